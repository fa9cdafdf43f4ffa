/* script_eval.h - running a parsed ddf script (script_ast.h) against a cluster (ddf.h) and
 * printing what it shows (format.h): the interpreter behind the `ddf` program.
 *
 * A session holds the script's variables across runs, so a REPL runs each entry as one
 * program in the same session. Values are what a pandas user expects: frames are lazy
 * libddf frames; a column or an expression over columns is a lazy series (compiled to
 * the worker expression language, never evaluated as code); lambdas compile to that same
 * language; actions (len, head, max, groupby(...).agg, ...) run on the cluster when their
 * result is needed. Expression statements print their value (as a REPL does), print(...)
 * prints its arguments.
 *
 * Errors carry the script place of the offending text (line, column) and a message such
 * as "'sales' has no column 'qyt'; did you mean 'qty'?"; err->code tells a script error
 * (DDF_EPARSE, DDF_ETYPE, DDF_EINVAL, DDF_ENOENT, ...) from an unreachable cluster
 * (DDF_EUNREACH: the CLI's exit status 3) and from a failed write of the output (DDF_EIO
 * with the printer's errno, EPIPE for a reader that went away). */
#ifndef DDF_SCRIPT_EVAL_H
#define DDF_SCRIPT_EVAL_H

#include "ddf.h"
#include "format.h"
#include "script_ast.h"

typedef struct ddf_script_session ddf_script_session; /* opaque */

/* A session over 'client' printing with 'printer' (both borrowed, outliving the session).
 * NULL when out of memory. */
ddf_script_session *ddf_script_session_new(ddf_client *client, ddf_printer *printer);

/* Free the session and every value it holds (frames first: before ddf_close). */
void ddf_script_session_free(ddf_script_session *s);

/* Run every statement of 'program' in order; stop at the first error. Variables assigned
 * before an error keep their values. Returns DDF_OK, or a negative code with 'err' set
 * (line and column point into program->source). */
int ddf_script_run(ddf_script_session *s, const ddf_script_program *program,
                   ddf_script_error *err);

/* The names defined in the session, for a REPL's completion: calls 'fn' once per name. */
void ddf_script_session_names(const ddf_script_session *s,
                              void (*fn)(void *arg, const char *name), void *arg);

#endif
