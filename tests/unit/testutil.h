/* testutil.h - helpers shared by the unit tests: allocation failure injection, temporary
 * files, and building, slicing and comparing small tables. Include after <cmocka.h>'s
 * prerequisites. */
#ifndef DDF_TESTUTIL_H
#define DDF_TESTUTIL_H

#include "schema.h"
#include "table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Make the allocation after 'n' more successful ones fail (n = 0: the next one fails);
 * a negative n switches failure injection off. Allocations are counted either way. */
void ddf_test_fail_after(long n);

/* Allocations made since the last ddf_test_fail_after() call. */
long ddf_test_alloc_count(void);

/* Whether an injected failure happened since the last ddf_test_fail_after() call. */
int ddf_test_alloc_failed(void);

/* Write 'len' bytes to a new temporary file; returns its path (static storage, valid until
 * the next call with the same 'slot' 0..7). The file is removed by ddf_test_cleanup_files. */
const char *ddf_test_write_file(int slot, const void *data, size_t len);
void ddf_test_cleanup_files(void);

/* A cmocka teardown: the default (libc) allocator behind the counting hooks, failure
 * injection off; allocations are still counted. Returns 0. */
int ddf_test_restore_libc(void **state);

/* ---- tables ---- */

/* A table of 'ncols' columns named names[c], typed dtypes[c], with rows from the
 * space-separated tokens of vals[c] (under 512 bytes): "." is null, T/F are bools, a token
 * starting with '_' is the empty string. Every column must have as many rows. Caller
 * frees; fails the test on error. */
ddf_table *ddf_test_make_table(size_t ncols, const char *const *names, const ddf_dtype *dtypes,
                               const char *const *vals);

/* Rows [from, to) of every column of 't', same names and dtypes. Caller frees. */
ddf_table *ddf_test_slice(const ddf_table *t, size_t from, size_t to);

/* 't' encoded and decoded by the codec (as a partial travels from a worker), asserted
 * equal to 't'. Caller frees. */
ddf_table *ddf_test_through_codec(const ddf_table *t);

/* The schema of 't': its names and dtypes. Caller frees. */
ddf_schema *ddf_test_schema_of(const ddf_table *t);

/* Whether row 'i' of 'c' is missing as pandas sees it: null, or a float NaN. */
bool ddf_test_is_missing(const ddf_column *c, size_t i);

/* The next value of the xorshift64 generator with state *s (never 0). */
uint64_t ddf_test_next_rand(uint64_t *s);

/* perm[0..n) = 0..n-1 in an order shuffled (Fisher-Yates) with ddf_test_next_rand(rng):
 * the order partials merge in. */
void ddf_test_shuffled_order(size_t *perm, size_t n, uint64_t *rng);

#endif
