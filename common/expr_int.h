/* expr_int.h - what expr.c (parser) and expr_check.c (type checker) share. */
#ifndef DDF_EXPR_INT_H
#define DDF_EXPR_INT_H

#include <stddef.h>

/* Levenshtein distance between two byte strings, or 'cap' + 1 when it is over 'cap'. */
size_t ddf_expr_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                              size_t cap);

/* How far 'a' (alen bytes) is from 'name' when close enough to suggest it as a typo's
 * fix, else (size_t)-1. Callers suggest the candidate with the least score. */
size_t ddf_expr_suggestion_score(const char *a, size_t alen, const char *name);

#endif
