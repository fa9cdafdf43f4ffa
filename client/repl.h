/* repl.h - the interactive prompt of `ddf` (DESIGN §6: "no script and a TTY: a REPL").
 *
 * A Python-style read-eval-print loop on a terminal, over libedit: `>>> ` for a new entry,
 * `... ` while the text so far is a valid beginning that ended too early (an open bracket,
 * a `for` block until a blank line: script_parse.h's err.incomplete), line editing, history
 * kept in a file across sessions, and Tab completing the session's names and the
 * language's keywords. Each complete entry is parsed and handed to the program to run in
 * one session, so variables live from one entry to the next; an error is reported and the
 * loop goes on. Ctrl-D on an empty line ends the loop; Ctrl-C abandons the line being
 * typed (the program's signal handler decides, through the hooks below). A signal cuts
 * the wait for a key short through a "self-pipe" the program's handler writes a byte to,
 * which works whichever thread the signal lands on (libraries start threads of their
 * own) and whenever it comes, also just before the wait begins.
 *
 * The loop does not run programs or print errors itself: the `ddf` program does both the
 * same way for a script and for an entry (its exit statuses, progress bar and interrupts),
 * through ddf_repl_hooks.
 *
 * Not thread-safe; one REPL per terminal. */
#ifndef DDF_REPL_H
#define DDF_REPL_H

#include "error.h"
#include "script_ast.h"
#include "script_eval.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DDF_REPL_HISTORY_SIZE 1000       /* entries kept in the history file */
#define DDF_REPL_HISTORY_FILE ".ddf_history" /* in $HOME */
#define DDF_REPL_CONTINUE 256            /* a hook's "read the next entry": no exit status */

/* What the REPL asks of the program around it. */
typedef struct ddf_repl_hooks {
    /* Run one complete entry. Returns DDF_REPL_CONTINUE to read the next one, or an exit
     * status (>= 0) to end the loop with. */
    int (*run)(void *arg, const ddf_script_program *program);
    /* Report that the entry text[0..len) does not parse ('err' says where). */
    void (*report)(void *arg, const char *text, size_t len, const ddf_script_error *err);
    /* Whether a signal has come that should cut reading short. Asked before each wait
     * for a key and whenever opt->wake_fd becomes readable. */
    bool (*signalled)(void *arg);
    /* Reading was cut short by such a signal (Ctrl-C at the prompt, SIGTERM). Returns
     * DDF_REPL_CONTINUE to drop the line and prompt again, or an exit status. */
    int (*interrupted)(void *arg);
    void *arg;
} ddf_repl_hooks;

typedef struct ddf_repl_options {
    FILE *in;                    /* the terminal; default stdin */
    FILE *out;                   /* prompts and echo; default stdout */
    FILE *err;                   /* default stderr */
    const char *history_path;    /* NULL: no history file */
    int history_size;            /* 0: DDF_REPL_HISTORY_SIZE */
    ddf_script_session *session; /* borrowed: its names are completed */
    int wake_fd;                 /* read end of the program's self-pipe (non-blocking), a
                                  * byte a signal; -1: none */
    ddf_repl_hooks hooks;
} ddf_repl_options;

/* Defaults, and history in $HOME/.ddf_history (none when HOME is unset or empty). The
 * path points into 'path_buf' of 'path_cap' bytes. */
void ddf_repl_options_init(ddf_repl_options *opt, char *path_buf, size_t path_cap);

typedef struct ddf_repl ddf_repl; /* opaque */

/* A REPL with 'opt' (copied; the files, the session and the history path are borrowed and
 * must outlive it). DDF_ENOMEM, DDF_EIO (libedit would not start on 'in'). */
int ddf_repl_new(const ddf_repl_options *opt, ddf_repl **out, ddf_error *err);

/* Read, parse and run entries until Ctrl-D or a hook ends the loop; saves the history.
 * Returns the exit status (0 at Ctrl-D, else what a hook returned), or a negative code
 * with 'err' set when the REPL itself fails (out of memory). */
int ddf_repl_run(ddf_repl *repl, ddf_error *err);

/* Free the REPL and the text and syntax trees of every entry it ran. The session may
 * borrow from those (a lambda kept in a variable), so free the session first. NULL is a
 * no-op. */
void ddf_repl_free(ddf_repl *repl);

#endif
