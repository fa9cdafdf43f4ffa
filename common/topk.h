/* topk.h - DataFrame.nlargest / nsmallest as a mergeable partial kernel.
 *
 * A top-k keeps the n rows of a table that come first when ordered by one or more order
 * columns (all largest first, or all smallest first). A worker folds its partitions in
 * with ddf_topk_update, ships its rows as a table (ddf_topk_to_table, which the codec
 * carries), and the client merges partials in any order and grouping (ddf_topk_merge /
 * ddf_topk_merge_table) and builds the result once (ddf_topk_result). Each row carries
 * its position (partition, row), which breaks ties exactly as one pass over the whole
 * frame would: any split and merge order gives the one-pass result.
 *
 * Order (pandas 1.5.3 DataFrame.nlargest(n, columns, keep) / nsmallest):
 *  - rows compare on the order columns lexicographically, first column first; numbers
 *    numerically (-0.0 equals 0.0; inf is a value), False before True;
 *  - a null (NaN in float64 too) sorts after every value of its column, for nlargest and
 *    nsmallest alike, and nulls tie with each other. pandas does not drop such rows: it
 *    puts them last and returns them when fewer than n rows have values;
 *  - keep=first: rows tied on every order column are taken earliest first; keep=last:
 *    latest first, except ties on a null, which pandas 1.5.3 takes earliest first even
 *    for keep=last (its Series.nlargest appends the null rows in row order) - ddf does
 *    the same; keep=all: the first n rows as keep=first, plus every other row tied with
 *    the n-th on all order columns (so possibly more than n rows);
 *  - the result lists its rows in that order.
 * Where ddf differs from pandas 1.5.3 (pandas' results there depend on its algorithm, not
 * on a rule): with n >= the number of rows pandas sorts with an unstable quicksort, so
 * its order of tied rows is arbitrary (ddf: as above); with several order columns and
 * keep=last, pandas lists tied rows that are all taken earliest first (ddf: latest
 * first); with several order columns and a null at the n-th row of a non-last order
 * column, pandas returns more than n rows.
 *
 * dtypes: int64, float64 and bool order columns; a string order column is DDF_ETYPE, as
 * pandas refuses object columns. (pandas refuses a bool column with nulls too, being
 * object; ddf's nullable bool orders as pandas' "boolean" dtype does.) Other columns of
 * any dtype ride along.
 *
 * Partial layout (ddf_topk_to_table): the input columns (names and dtypes as 'like'),
 * then two int64 columns DDF_TOPK_PART_NAME and DDF_TOPK_ROW_NAME with each row's
 * position, >= 0. The rows are in result order, but a reader must not rely on it.
 *
 * Bounded: n <= DDF_TOPK_MAX_N; a top-k holds about 2n rows at most (rows pushed out are
 * reclaimed once they outnumber the live ones), and with keep=all n rows plus the ties of
 * the n-th, at most DDF_TOPK_MAX_HELD rows in all (or the lower bound set with
 * ddf_topk_set_max_held): one more tie is DDF_ETOOBIG naming the bound.
 *
 * After any error from update or merge a top-k is spent: every later call but
 * ddf_topk_free returns DDF_EINVAL. Not thread-safe: one top-k belongs to one thread at a
 * time. */
#ifndef DDF_TOPK_H
#define DDF_TOPK_H

#include "error.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest n: a partial of n rows travels in one codec blob (DDF_MAX_BLOB_BYTES, 90 MiB),
 * which 2^20 rows of ten 8-byte columns just fit; a larger "top" is a sort. */
#define DDF_TOPK_MAX_N (1024u * 1024)

/* Rows a keep=all top-k may hold (n plus the ties of the n-th): ties are unbounded in the
 * data (a constant column ties every row), so they get a bound of their own. */
#define DDF_TOPK_MAX_HELD (4u * 1024 * 1024)

/* Order columns of one top-k. */
#define DDF_TOPK_MAX_KEYS 16

/* Names of the position columns of a partial. */
#define DDF_TOPK_PART_NAME "__ddf_part"
#define DDF_TOPK_ROW_NAME "__ddf_row"

typedef enum ddf_topk_keep {
    DDF_TOPK_KEEP_FIRST = 0,
    DDF_TOPK_KEEP_LAST,
    DDF_TOPK_KEEP_ALL,
} ddf_topk_keep;

typedef struct ddf_topk ddf_topk; /* opaque */

/* Parse pandas' keep= ("first", "last", "all"). DDF_OK or DDF_EINVAL. */
int ddf_topk_keep_parse(const char *name, ddf_topk_keep *out);

/* The name of 'keep', or NULL for a value out of range. */
const char *ddf_topk_keep_name(ddf_topk_keep keep);

/* A new empty top-k in *out (free with ddf_topk_free) of the 'n' first rows of tables
 * laid out as 'like' (only its names and dtypes are read; it is not kept), ordered by
 * columns keys[0..nkeys), largest first when 'largest' (nlargest), else smallest first.
 * DDF_EINVAL for a bad key count, column number or keep; DDF_ETOOBIG for n over
 * DDF_TOPK_MAX_N or a 'like' of more than DDF_MAX_COLUMNS - 2 columns; DDF_ETYPE for a
 * string (or null) order column; DDF_ENOMEM. On error *out is NULL. */
int ddf_topk_new(const ddf_table *like, const size_t *keys, size_t nkeys, size_t n,
                 bool largest, ddf_topk_keep keep, ddf_topk **out, ddf_error *err);

/* Free the top-k and all it holds. NULL is a no-op. */
void ddf_topk_free(ddf_topk *tk);

/* Lower the keep=all bound below DDF_TOPK_MAX_HELD (a worker's memory budget; tests). */
void ddf_topk_set_max_held(ddf_topk *tk, size_t max_held);

/* Rows the result would have now. */
size_t ddf_topk_nrows(const ddf_topk *tk);

/* Fold rows of 'table' (partition number 'part') in: rows sel[0..nsel) when 'sel' is
 * non-NULL (each < table->nrows), else all. A row's position is its index in 'table'.
 * DDF_EINVAL when the table's columns are not those of 'like' or a row index is out of
 * range; DDF_ETOOBIG at DDF_TOPK_MAX_HELD; DDF_ENOMEM. */
int ddf_topk_update(ddf_topk *tk, const ddf_table *table, const uint32_t *sel, size_t nsel,
                    uint64_t part, ddf_error *err);

/* Merge the rows of 'src' into 'dst' (same 'like' dtypes, keys, n, direction and keep,
 * else DDF_EINVAL); 'src' is unchanged. Errors as update. */
int ddf_topk_merge(ddf_topk *dst, const ddf_topk *src, ddf_error *err);

/* The partial as a table in *out (layout above; caller frees with ddf_table_free).
 * DDF_EINVAL when spent; DDF_ENOMEM. On error *out is NULL. */
int ddf_topk_to_table(const ddf_topk *tk, ddf_table **out, ddf_error *err);

/* Merge a partial made by ddf_topk_to_table of a top-k with the same spec. DDF_ECORRUPT
 * when the table does not have that layout (column count, dtypes, position names, a null
 * or negative position); else errors as merge. */
int ddf_topk_merge_table(ddf_topk *tk, const ddf_table *table, ddf_error *err);

/* The result in *out (caller frees with ddf_table_free): the input columns, rows in
 * result order; with 'positions' the two position columns of the partial layout follow.
 * DDF_EINVAL when spent; DDF_ENOMEM. On error *out is NULL. */
int ddf_topk_result(const ddf_topk *tk, bool positions, ddf_table **out, ddf_error *err);

#endif
