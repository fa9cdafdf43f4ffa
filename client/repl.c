/* repl.c - the interactive prompt of `ddf` (see repl.h), on libedit.
 *
 * libedit's native interface (histedit.h) rather than its readline emulation: the native
 * one hands our state to every callback (EL_CLIENTDATA), where readline's completion hook
 * takes no argument and would need a global to find the session.
 *
 * An entry is the text typed since the last `>>> `. After each line the whole entry is
 * parsed again with DDF_SCRIPT_PARSE_INTERACTIVE; the parser says when the text is only a
 * beginning (err.incomplete), and the prompt becomes `... `. Parsing afresh each time
 * costs O(lines^2) for an entry, which for typed text is nothing, and keeps the one
 * authority on the grammar in the parser.
 *
 * Lifetimes: each parse attempt goes into a scratch arena that also holds a copy of the
 * text (a program borrows its source). An entry that parses is run, and its arena is kept
 * until the REPL is freed, since the session may keep what a program made from its tree
 * (a lambda in a variable). Entries that fail to parse are dropped at once. */
#include "repl.h"

#include "alloc.h"
#include "arena.h"
#include "script_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <wchar.h>

#define PROMPT_NEW ">>> "
#define PROMPT_MORE "... "
#define INDENT "    "        /* what Tab inserts where there is no name to complete */
#define MAX_MATCHES 500      /* completions listed at most (the rest are counted) */
#define LIST_WIDTH 80        /* columns the list of completions is wrapped to */

struct ddf_repl {
    ddf_repl_options opt;
    int in_fd;             /* the terminal opened again, non-blocking (see getc_fn), or
                            * -1 to read opt.in's descriptor */
    EditLine *el;
    History *hist;
    const char *prompt;    /* PROMPT_NEW or PROMPT_MORE */
    char prompt_buf[8];    /* libedit wants a char *: the prompt copied here */
    char *text;            /* the entry so far, ddf_malloc'd, not NUL-terminated */
    size_t len;
    size_t cap;
    ddf_arena *scratch;    /* the parse attempt of the entry being read */
    ddf_arena **kept;      /* arenas of the entries that ran (see the top of the file) */
    size_t nkept;
    size_t capkept;
};

/* The keywords of the language (script_parse.h), completed like names. */
static const char *const keywords[] = {
    "and", "as", "False", "for", "from", "import", "in", "is", "lambda", "None", "not",
    "or", "pass", "True",
};

void ddf_repl_options_init(ddf_repl_options *opt, char *path_buf, size_t path_cap)
{
    const char *home = getenv("HOME");
    int n;

    memset(opt, 0, sizeof *opt);
    opt->in = stdin;
    opt->out = stdout;
    opt->err = stderr;
    opt->wake_fd = -1;
    opt->history_size = DDF_REPL_HISTORY_SIZE;
    if (home != NULL && home[0] != '\0' && path_cap > 0) {
        n = snprintf(path_buf, path_cap, "%s/%s", home, DDF_REPL_HISTORY_FILE);
        if (n > 0 && (size_t)n < path_cap)
            opt->history_path = path_buf;
    }
}

static ddf_repl *repl_of(EditLine *el)
{
    void *data = NULL;

    el_get(el, EL_CLIENTDATA, &data);
    return data;
}

/* Empty the self-pipe: the signals it counted are looked at through hooks.signalled. */
static void drain_wake(int fd)
{
    char buf[64];

    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* libedit's character reader (EL_GETCFN), ours so that a signal is never lost between
 * "no signal yet" and the wait for a key: the wait also watches the program's self-pipe,
 * which the signal handler writes to from whatever thread it runs on. The read after the
 * wait must not block either: a Ctrl-C makes the terminal discard the keys typed before
 * it, possibly between poll() saying "readable" and read(), so the terminal is read
 * through a descriptor of our own opened O_NONBLOCK (a new open file description: the
 * flag does not leak to the shell's). A byte sequence is decoded into one character as
 * libedit's own reader does (mbrtowc, LC_CTYPE); a byte that is not valid in the locale
 * passes as itself. Returns 1 with *wc set, 0 at end of input, or -1 with errno (EINTR:
 * a signal of the program came). */
static int getc_fn(EditLine *el, wchar_t *wc)
{
    ddf_repl *r = repl_of(el);
    int fd = r->in_fd >= 0 ? r->in_fd : fileno(r->opt.in), wake = r->opt.wake_fd;
    mbstate_t state;

    memset(&state, 0, sizeof state);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake, .events = POLLIN}};
        char byte;
        ssize_t k;
        size_t m;
        int n;

        if (r->opt.hooks.signalled != NULL && r->opt.hooks.signalled(r->opt.hooks.arg)) {
            errno = EINTR;
            return -1;
        }
        n = poll(pfd, wake >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* the check above says whether it was one of ours */
            return -1;
        }
        if (wake >= 0 && pfd[1].revents != 0)
            drain_wake(wake);
        if (pfd[0].revents == 0)
            continue;
        k = read(fd, &byte, 1);
        if (k == 0)
            return 0;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        m = mbrtowc(wc, &byte, 1, &state);
        if (m == (size_t)-2)
            continue; /* the middle of a multibyte character */
        if (m == (size_t)-1) {
            *wc = (wchar_t)(unsigned char)byte;
            return 1;
        }
        if (m == 0)
            *wc = L'\0';
        return 1;
    }
}

static char *prompt_fn(EditLine *el)
{
    ddf_repl *r = repl_of(el);

    snprintf(r->prompt_buf, sizeof r->prompt_buf, "%s", r->prompt);
    return r->prompt_buf;
}

/* ---- completion ------------------------------------------------------------------------ */

/* The candidates for one Tab: names starting with 'prefix', collected from the session
 * and the keywords, each ddf_strdup'd. */
typedef struct matches {
    const char *prefix;
    size_t prefix_len;
    char **names;
    size_t n;
    size_t cap;
    size_t dropped; /* past MAX_MATCHES, or out of memory */
} matches;

static void add_match(void *arg, const char *name)
{
    matches *m = arg;
    char **grown;

    if (strncmp(name, m->prefix, m->prefix_len) != 0)
        return;
    if (m->n == MAX_MATCHES) {
        m->dropped++;
        return;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;

        grown = ddf_reallocarray(m->names, cap, sizeof *grown);
        if (grown == NULL) {
            m->dropped++;
            return;
        }
        m->names = grown;
        m->cap = cap;
    }
    m->names[m->n] = ddf_strdup(name);
    if (m->names[m->n] == NULL)
        m->dropped++;
    else
        m->n++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates (a variable may shadow nothing, but a session may list a name
 * twice, and keywords never collide with names). */
static void sort_unique(matches *m)
{
    size_t w = 0;

    qsort(m->names, m->n, sizeof *m->names, cmp_names);
    for (size_t i = 0; i < m->n; i++) {
        if (w > 0 && strcmp(m->names[w - 1], m->names[i]) == 0)
            ddf_free(m->names[i]);
        else
            m->names[w++] = m->names[i];
    }
    m->n = w;
}

static void free_matches(matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        ddf_free(m->names[i]);
    ddf_free(m->names);
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

/* Write the candidates under the line, in columns, as a shell does on a second Tab. */
static void list_matches(ddf_repl *r, const matches *m)
{
    size_t widest = 0, per_line, col = 0;

    for (size_t i = 0; i < m->n; i++)
        if (strlen(m->names[i]) > widest)
            widest = strlen(m->names[i]);
    per_line = LIST_WIDTH / (widest + 2);
    if (per_line == 0)
        per_line = 1;
    fputc('\n', r->opt.out);
    for (size_t i = 0; i < m->n; i++) {
        fprintf(r->opt.out, "%-*s", (int)(widest + 2), m->names[i]);
        if (++col == per_line || i + 1 == m->n) {
            fputc('\n', r->opt.out);
            col = 0;
        }
    }
    if (m->dropped > 0)
        fprintf(r->opt.out, "(and %zu more)\n", m->dropped);
    fflush(r->opt.out);
}

/* Tab: complete the name before the cursor from the session's names and the keywords, as
 * far as the candidates agree; list them when they agree no further. Where there is no
 * name before the cursor, insert an indentation (a 'for' body needs one). After a '.' we
 * cannot know the value's type before running it, so nothing is offered. */
static unsigned char complete_fn(EditLine *el, int ch)
{
    ddf_repl *r = repl_of(el);
    const LineInfo *li = el_line(el);
    const char *end = li->cursor, *start = end;
    matches m = {0};
    size_t common;
    unsigned char rc;
    char *rest;

    (void)ch;
    while (start > li->buffer && is_name_char(start[-1]))
        start--;
    if (start == end) {
        if (start > li->buffer && start[-1] == '.')
            return CC_REFRESH_BEEP;
        return el_insertstr(el, INDENT) == 0 ? CC_REFRESH : CC_ERROR;
    }
    if ((start > li->buffer && start[-1] == '.') || (*start >= '0' && *start <= '9'))
        return CC_REFRESH_BEEP;
    rest = ddf_malloc((size_t)(end - start) + 1);
    if (rest == NULL)
        return CC_ERROR;
    memcpy(rest, start, (size_t)(end - start));
    rest[end - start] = '\0';
    m.prefix = rest;
    m.prefix_len = (size_t)(end - start);
    if (r->opt.session != NULL)
        ddf_script_session_names(r->opt.session, add_match, &m);
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        add_match(&m, keywords[i]);
    sort_unique(&m);
    if (m.n == 0) {
        rc = CC_REFRESH_BEEP;
        goto out;
    }
    /* how far every candidate agrees */
    common = strlen(m.names[0]);
    for (size_t i = 1; i < m.n; i++) {
        size_t k = 0;

        while (k < common && m.names[i][k] == m.names[0][k])
            k++;
        common = k;
    }
    if (common > m.prefix_len) {
        char save = m.names[0][common];

        m.names[0][common] = '\0';
        rc = el_insertstr(el, m.names[0] + m.prefix_len) == 0 ? CC_REFRESH : CC_ERROR;
        m.names[0][common] = save;
    } else if (m.n == 1) {
        rc = CC_REFRESH; /* already complete */
    } else {
        list_matches(r, &m);
        rc = CC_REDISPLAY;
    }
out:
    free_matches(&m);
    ddf_free(rest);
    return rc;
}

/* ---- history --------------------------------------------------------------------------- */

static void history_load(ddf_repl *r)
{
    HistEvent ev;

    if (r->opt.history_path != NULL)
        history(r->hist, &ev, H_LOAD, r->opt.history_path); /* none yet is fine */
}

/* Save the history, readable by the user only: typed lines may hold a URL's password. */
static void history_save(ddf_repl *r)
{
    HistEvent ev;
    int fd;

    if (r->opt.history_path == NULL)
        return;
    fd = open(r->opt.history_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (history(r->hist, &ev, H_SAVE, r->opt.history_path) < 0)
        fprintf(r->opt.err, "ddf: warning: cannot save the history in %s\n",
                r->opt.history_path);
}

/* Remember a typed line (without its newline); blank lines are not worth recalling. */
static void history_add(ddf_repl *r, const char *line, size_t n)
{
    HistEvent ev;
    char *copy;
    size_t i = 0;

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == n)
        return;
    copy = ddf_malloc(n + 1);
    if (copy == NULL)
        return; /* history is a convenience: the entry still runs */
    memcpy(copy, line, n);
    copy[n] = '\0';
    history(r->hist, &ev, H_ENTER, copy);
    ddf_free(copy);
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* The terminal on 'fd' opened again, non-blocking (see getc_fn), or -1 when it cannot be
 * (not a terminal): then reads block, and a Ctrl-C that discards typed keys can leave the
 * read waiting for the next key. */
static int open_nonblocking(int fd)
{
    char path[256];

    if (ttyname_r(fd, path, sizeof path) != 0)
        return -1;
    return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

int ddf_repl_new(const ddf_repl_options *opt, ddf_repl **out, ddf_error *err)
{
    HistEvent ev;
    ddf_repl *r;

    *out = NULL;
    r = ddf_calloc(1, sizeof *r);
    if (r == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    r->opt = *opt;
    r->in_fd = -1;
    if (r->opt.in == NULL)
        r->opt.in = stdin;
    if (r->opt.out == NULL)
        r->opt.out = stdout;
    if (r->opt.err == NULL)
        r->opt.err = stderr;
    if (r->opt.history_size <= 0)
        r->opt.history_size = DDF_REPL_HISTORY_SIZE;
    r->prompt = PROMPT_NEW;
    r->in_fd = open_nonblocking(fileno(r->opt.in));
    r->scratch = ddf_arena_new();
    r->hist = history_init();
    if (r->scratch == NULL || r->hist == NULL) {
        ddf_repl_free(r);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    history(r->hist, &ev, H_SETSIZE, r->opt.history_size);
    history(r->hist, &ev, H_SETUNIQUE, 1);
    r->el = el_init("ddf", r->opt.in, r->opt.out, r->opt.err);
    if (r->el == NULL) {
        ddf_repl_free(r);
        return ddf_error_setf(err, DDF_EIO, "cannot start line editing on the terminal");
    }
    el_set(r->el, EL_CLIENTDATA, r);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_PROMPT, prompt_fn);
    el_set(r->el, EL_HIST, history, r->hist);
    /* No libedit signal handlers: the program's see every signal (getc_fn), and
     * libedit's would pass each one on to the whole process group with kill(0, sig).
     * libedit still puts the terminal back when el_gets returns, and reads its size at
     * every prompt. */
    el_set(r->el, EL_SIGNAL, 0);
    el_set(r->el, EL_GETCFN, getc_fn);
    /* the wide form: libedit's narrow EL_ADDFN copies the two strings and never frees them */
    el_wset(r->el, EL_ADDFN, L"ddf-complete", L"complete a name", complete_fn);
    el_set(r->el, EL_BIND, "^I", "ddf-complete", NULL);
    el_source(r->el, NULL); /* the user's ~/.editrc, as every libedit program reads it */
    history_load(r);
    *out = r;
    return DDF_OK;
}

void ddf_repl_free(ddf_repl *r)
{
    if (r == NULL)
        return;
    if (r->el != NULL)
        el_end(r->el);
    if (r->hist != NULL)
        history_end(r->hist);
    if (r->in_fd >= 0)
        close(r->in_fd);
    for (size_t i = 0; i < r->nkept; i++)
        ddf_arena_free(r->kept[i]);
    ddf_free(r->kept);
    ddf_arena_free(r->scratch);
    ddf_free(r->text);
    ddf_free(r);
}

static int append_text(ddf_repl *r, const char *s, size_t n)
{
    size_t need = r->len + n + 1;

    if (need > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        char *grown;

        while (cap < need)
            cap *= 2;
        grown = ddf_realloc(r->text, cap);
        if (grown == NULL)
            return DDF_ENOMEM;
        r->text = grown;
        r->cap = cap;
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    return DDF_OK;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
            return false;
    return true;
}

/* Keep the scratch arena (the entry that ran lives in it) and start a new one. */
static int keep_scratch(ddf_repl *r)
{
    ddf_arena *fresh;

    if (r->nkept == r->capkept) {
        size_t cap = r->capkept ? 2 * r->capkept : 16;
        ddf_arena **grown = ddf_reallocarray(r->kept, cap, sizeof *grown);

        if (grown == NULL)
            return DDF_ENOMEM;
        r->kept = grown;
        r->capkept = cap;
    }
    fresh = ddf_arena_new();
    if (fresh == NULL)
        return DDF_ENOMEM;
    r->kept[r->nkept++] = r->scratch;
    r->scratch = fresh;
    return DDF_OK;
}

/* Parse the entry so far and run it when it is complete. *status becomes
 * DDF_REPL_CONTINUE to read more (incomplete, or done with) or an exit status from a hook.
 * Returns DDF_OK, or DDF_ENOMEM. */
static int take_entry(ddf_repl *r, int *status)
{
    ddf_script_program *prog = NULL;
    ddf_script_error perr;
    char *copy;
    int rc;

    *status = DDF_REPL_CONTINUE;
    if (r->len > DDF_SCRIPT_MAX_SOURCE_BYTES) {
        /* the parser says so too, but only after we copy it: say it here, bounded */
        memset(&perr, 0, sizeof perr);
        perr.code = DDF_ETOOBIG;
        snprintf(perr.message, sizeof perr.message, "an entry is limited to %u bytes",
                 (unsigned)DDF_SCRIPT_MAX_SOURCE_BYTES);
        r->opt.hooks.report(r->opt.hooks.arg, "", 0, &perr);
        r->len = 0;
        return DDF_OK;
    }
    copy = ddf_arena_alloc(r->scratch, r->len + 1);
    if (copy == NULL)
        return DDF_ENOMEM;
    memcpy(copy, r->text, r->len);
    copy[r->len] = '\0';
    memset(&perr, 0, sizeof perr);
    rc = ddf_script_parse(copy, r->len, DDF_SCRIPT_PARSE_INTERACTIVE, r->scratch, &prog, &perr);
    if (rc < 0 && perr.incomplete) {
        ddf_arena_reset(r->scratch);
        return DDF_OK; /* keep r->text: the next line is appended to it */
    }
    if (rc == DDF_ENOMEM)
        return DDF_ENOMEM;
    if (rc < 0) {
        r->opt.hooks.report(r->opt.hooks.arg, copy, r->len, &perr);
        ddf_arena_reset(r->scratch);
    } else if (prog->nstmts == 0) {
        ddf_arena_reset(r->scratch); /* only comments */
    } else {
        rc = keep_scratch(r);
        if (rc < 0)
            return rc;
        *status = r->opt.hooks.run(r->opt.hooks.arg, prog);
    }
    r->len = 0;
    return DDF_OK;
}

int ddf_repl_run(ddf_repl *r, ddf_error *err)
{
    int status = DDF_REPL_CONTINUE;

    while (status == DDF_REPL_CONTINUE) {
        const char *line;
        int n = 0;

        r->prompt = r->len == 0 ? PROMPT_NEW : PROMPT_MORE;
        errno = 0;
        line = el_gets(r->el, &n);
        if (line == NULL || n <= 0) {
            if (n < 0 && errno == EINTR) {
                /* Ctrl-C (or another signal): the program says whether to go on */
                status = r->opt.hooks.interrupted(r->opt.hooks.arg);
                fputc('\n', r->opt.out);
                fflush(r->opt.out);
                r->len = 0;
                el_reset(r->el);
                continue;
            }
            /* Ctrl-D on an empty line, the terminal gone, or an input error: as Python,
             * end the session, also in the middle of an entry */
            fputc('\n', r->opt.out);
            fflush(r->opt.out);
            status = 0;
            break;
        }
        history_add(r, line, (size_t)n);
        if (append_text(r, line, (size_t)n) < 0 ||
            (line[n - 1] != '\n' && append_text(r, "\n", 1) < 0)) {
            status = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            break;
        }
        if (is_blank(r->text, r->len)) {
            r->len = 0; /* Enter on an empty prompt */
            continue;
        }
        if (take_entry(r, &status) < 0) {
            status = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            break;
        }
    }
    history_save(r);
    return status;
}
