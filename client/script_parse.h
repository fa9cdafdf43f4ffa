/* script_parse.h - parse a ddf script (DESIGN §6) into the tree of script_ast.h.
 *
 * The language is the Python/pandas subset a Dask user writes; anything else is refused
 * with a message that names the construct, at its place, never misread. Grammar, in
 * Python's terms (statements separated by NEWLINE or ';'):
 *
 *   statement   'for' targets 'in' exprlist ':' suite      (suite: one line, or a block)
 *               'import' dotted ['as' name] (',' ...)*
 *               'from' dotted 'import' name ['as' name] (',' ...)*   (or in parentheses)
 *               'pass'  |  target '=' exprlist  |  exprlist
 *   targets     name (',' name)* [','], optionally in parentheses
 *   target      name | primary '[' ... ']' | name (',' name)*     (not a.b, not a = b = c)
 *   exprlist    expr (',' expr)* [',']                    (two or more: a bare tuple)
 *   expr        'lambda' name (',' name)* [','] ':' expr  |  or
 *   or          and ('or' and)*
 *   and         not ('and' not)*
 *   not         'not' not  |  comparison
 *   comparison  bitor [cmp bitor]      cmp: == != < <= > >= in, not in, is, is not
 *                                      (one only: 'a < b < c' is an error, since pandas
 *                                      series cannot chain comparisons)
 *   bitor       bitxor ('|' bitxor)*  ;  bitxor  bitand ('^' bitand)*
 *   bitand      sum ('&' sum)*        ;  sum     term (('+'|'-') term)*
 *   term        factor (('*'|'/'|'//'|'%') factor)*
 *   factor      ('-'|'+'|'~') factor  |  power
 *   power       primary ['**' factor]  (right-assoc; -2**2 is -(2**2), 2**-1 is valid)
 *   primary     atom ('.' name | '(' args ')' | '[' exprlist ']')*
 *   args        expr, ..., name=expr, ...  [',']   (keywords last, each name once)
 *   atom        name | int | float | string+ | True | False | None | '(' ')' |
 *               '(' expr ')' | '(' expr ',' [exprs] ')' | '[' [exprs] ']' |
 *               '{' [expr ':' expr, ...] '}'          (trailing commas allowed)
 *
 * Refused, each with its own message ("'while' loops are not supported in ddf scripts"):
 * if/elif/else, while, def, class, try/except/finally, with, return, yield, del,
 * global/nonlocal, raise, assert, break, continue, async, await, decorators, f-strings,
 * bytes literals, ':=', comprehensions and generator expressions, 'a if b else c', '*' and
 * '**' unpacking, slices, augmented assignment ('+='), chained comparison, chained
 * assignment (a = b = 1), attribute assignment (df.x = 1: pandas would not make a column),
 * annotations (x: int = 1), set literals, complex numbers, '...', '<<' '>>' '@', relative
 * and star imports, lambdas without parameters or with defaults, duplicate lambda
 * parameters, positional arguments after keyword ones, a 'for' or other compound
 * statement after ':' on the same line.
 *
 * The REPL. A failure only because the text ended too early sets err->incomplete: inside
 * open brackets, inside a triple-quoted string, after a trailing backslash, after
 * 'for ...:' with no body yet. The REPL then reads another line, appends it (with its
 * '\n') and parses the whole text again. With DDF_SCRIPT_PARSE_INTERACTIVE a 'for' whose
 * indented block reaches the end of the text is also incomplete until the text ends with
 * a blank line (a whitespace-only line and '\n', i.e. the user pressed Enter on an empty
 * prompt), as in Python's REPL; then "for x in y:\n\n" with no body is an error. A
 * one-line 'for c in cols: print(c)' is complete at once (nothing may follow it).
 * Without the flag (a file, 'ddf -e'), the end of the text ends every block. */
#ifndef DDF_SCRIPT_PARSE_H
#define DDF_SCRIPT_PARSE_H

#include "script_ast.h"

#include "arena.h"

#include <stddef.h>

/* Flags of ddf_script_parse. */
#define DDF_SCRIPT_PARSE_INTERACTIVE 1u /* REPL input: a block ends at a blank line */

/* Parse 'len' bytes of 'source' (need not be NUL-terminated; NULL when len is 0) into a
 * program allocated from 'arena'. Returns DDF_OK with *out set and err->code DDF_OK, or a
 * negative code (DDF_EPARSE, DDF_ETOOBIG, DDF_ENOMEM, DDF_EINVAL) with *out NULL and 'err'
 * saying what and where; what was allocated stays in the arena until the caller resets
 * or frees it. The program borrows 'source' (program->source) and every node lives in
 * 'arena'. An empty or comment-only text is a program of no statements. Allocates nothing
 * outside 'arena'; no global state, so distinct calls may run on distinct threads. */
int ddf_script_parse(const char *source, size_t len, unsigned flags, ddf_arena *arena,
                     ddf_script_program **out, ddf_script_error *err);

#endif
