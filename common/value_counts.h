/* value_counts.h - Series.value_counts as a mergeable partial kernel.
 *
 * A value-counts keeps, for each distinct value of one column, how many rows hold it and
 * the position (partition, row) where it first appears. A worker folds its partitions in
 * with ddf_value_counts_update, ships the partial as a table (ddf_value_counts_to_table,
 * which the codec carries), and the client merges partials in any order and grouping
 * (ddf_value_counts_merge_table / ddf_value_counts_merge) and builds the result once
 * (ddf_value_counts_result). Any split and merge order gives the one-pass result.
 *
 * Rules (pandas 1.5.3 Series.value_counts(sort=True, ascending=False)):
 *  - NaN in a float64 column is null, as everywhere in ddf; dropna=true (pandas' default)
 *    leaves nulls out entirely (they count neither as a value nor in normalize's total);
 *    dropna=false counts them as one value of their own, a null in the result, ordered
 *    among the others by its count and first position like any value (pandas puts NaN
 *    wherever its count sorts it, not last);
 *  - -0.0 and 0.0 are one value (pandas hashes them as one); the result shows the one that
 *    appears first, as pandas does;
 *  - result rows are sorted by count, largest first; equal counts in order of first
 *    appearance. pandas 1.5.3 sorts with numpy's unstable quicksort, which gives first
 *    appearance only for up to 16 distinct values and an arbitrary (but fixed) order of
 *    ties beyond: ddf always gives first appearance, which any split can reproduce;
 *  - normalize=true gives each count divided by the sum of the counts in the result.
 *
 * Partial layout (ddf_value_counts_to_table): one row per distinct value, in no
 * particular order, these columns:
 *    value  <input dtype>  the value (null: the null value, only when dropna is false)
 *    count  int64          rows holding it, >= 1
 *    part   int64          partition of its first appearance, >= 0
 *    row    int64          row of its first appearance in that partition, >= 0
 *
 * Result layout (ddf_value_counts_result): "value" (input dtype) and "count" (int64), or
 * "proportion" (float64) when normalizing.
 *
 * Bounded: at most DDF_VALUE_COUNTS_MAX_VALUES distinct values (or the lower limit set
 * with ddf_value_counts_set_max_values); one more is DDF_ETOOBIG naming the limit. After
 * any error from update or merge a value-counts is spent: every later call but
 * ddf_value_counts_free returns DDF_EINVAL.
 *
 * Not thread-safe: one value-counts belongs to one thread at a time. */
#ifndef DDF_VALUE_COUNTS_H
#define DDF_VALUE_COUNTS_H

#include "dtype.h"
#include "error.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct values of one value-counts: each costs ~50 bytes plus its string bytes, so
 * 16M values is ~1 GiB before strings; as for group-by, a worker should not hold more,
 * and value numbers stay well inside uint32_t. */
#define DDF_VALUE_COUNTS_MAX_VALUES (16u * 1024 * 1024)

typedef struct ddf_value_counts ddf_value_counts; /* opaque */

/* A new empty value-counts of a column of 'dtype' in *out (free with
 * ddf_value_counts_free). DDF_EINVAL for DDF_DTYPE_NULL or an unknown dtype; DDF_ENOMEM.
 * On error *out is NULL. */
int ddf_value_counts_new(ddf_dtype dtype, bool dropna, ddf_value_counts **out,
                         ddf_error *err);

/* Free the value-counts and all it holds. NULL is a no-op. */
void ddf_value_counts_free(ddf_value_counts *vc);

/* Lower the limit below DDF_VALUE_COUNTS_MAX_VALUES (a worker's memory budget; tests). */
void ddf_value_counts_set_max_values(ddf_value_counts *vc, size_t max_values);

/* Distinct values so far (the null value included when counted). */
size_t ddf_value_counts_nvalues(const ddf_value_counts *vc);

/* Fold rows of 'col' (partition number 'part') in: rows sel[0..nsel) when 'sel' is
 * non-NULL (each < col->length), else all. A row's position is its index in 'col'.
 * DDF_EINVAL when the column's dtype is not the value-counts' or a row index is out of
 * range; DDF_ETOOBIG at the value limit; DDF_ENOMEM. */
int ddf_value_counts_update(ddf_value_counts *vc, const ddf_column *col, const uint32_t *sel,
                            size_t nsel, uint64_t part, ddf_error *err);

/* Merge the values of 'src' into 'dst' (same dtype and dropna, else DDF_EINVAL); 'src' is
 * unchanged. Errors as update. */
int ddf_value_counts_merge(ddf_value_counts *dst, const ddf_value_counts *src,
                           ddf_error *err);

/* The partial state as a table in *out (layout above; caller frees with ddf_table_free).
 * DDF_ENOMEM; on error *out is NULL. */
int ddf_value_counts_to_table(const ddf_value_counts *vc, ddf_table **out, ddf_error *err);

/* Merge a partial table made by ddf_value_counts_to_table of a value-counts with the same
 * dtype and dropna. DDF_ECORRUPT when the table does not have that layout (names, dtypes,
 * a null count or position, a count < 1, a position < 0, a null value under dropna, or
 * counts that add past INT64_MAX); else errors as merge. */
int ddf_value_counts_merge_table(ddf_value_counts *vc, const ddf_table *table,
                                 ddf_error *err);

/* The finished result in *out (layout above; caller frees with ddf_table_free): counts
 * when 'normalize' is false, proportions when true. DDF_EINVAL when spent; DDF_ENOMEM. On
 * error *out is NULL. */
int ddf_value_counts_result(const ddf_value_counts *vc, bool normalize, ddf_table **out,
                            ddf_error *err);

#endif
