/* groupby.h - hash group-by with mergeable partial results.
 *
 * A group-by keeps, for each distinct key tuple (1 to DDF_GROUPBY_MAX_KEYS key columns of
 * any dtype), one ddf_agg_state per aggregation of its spec (agg.h). A worker folds its
 * partitions in with ddf_groupby_update, ships the partial state as a table
 * (ddf_groupby_to_table, which the codec carries), and the client merges the partials in
 * any order (ddf_groupby_merge_table / ddf_groupby_merge) and builds the result once
 * (ddf_groupby_result). Merging partials gives the one-pass result (agg.h's rules).
 *
 * Key rules (pandas DataFrame.groupby, sort=True):
 *  - a row with a null in any key is dropped when dropna is true (the default); with
 *    dropna false null is a key value of its own, sorted after every other value;
 *  - NaN in a float64 key is null (as agg.h treats NaN), and -0.0 and 0.0 are one key;
 *  - result rows are sorted by the keys, first key first: numbers numerically, strings
 *    byte-wise (Python's order of UTF-8), False before True.
 *
 * Result layout (ddf_groupby_result): the key columns, named as in the input, then one
 * column per aggregation in spec order, named "<col>_<agg>" ("price_mean"), or just
 * "<col>" when the spec aggregates that column only once. Dtypes are
 * ddf_agg_result_dtype's.
 *
 * Partial layout (ddf_groupby_to_table): one row per group, in no particular order: the
 * key columns (named and typed as the input keys), then for each aggregation of the spec,
 * in order, the 12 columns of ddf_agg_states_to_table (agg.h) with their names there. A
 * reader must know the spec: ddf_groupby_merge_table checks the column count, names and
 * dtypes, and ddf_agg_states_from_table validates the states.
 *
 * Bounded: at most DDF_GROUPBY_MAX_GROUPS groups (or the lower limit set with
 * ddf_groupby_set_max_groups); one more is DDF_ETOOBIG naming the limit.
 *
 * After any error from update or merge a group-by is spent: it holds a subset of the rows,
 * every later call but ddf_groupby_free returns DDF_EINVAL.
 *
 * Not thread-safe: one group-by belongs to one thread at a time. */
#ifndef DDF_GROUPBY_H
#define DDF_GROUPBY_H

#include "agg.h"
#include "error.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Key columns of one group-by (pandas accepts more; three covers the scope and
 * keeps the per-row key loop unrolled in practice). */
#define DDF_GROUPBY_MAX_KEYS 3

/* Groups of one group-by. Each group costs about 16 bytes of hash table plus ~100 bytes
 * per aggregation state, so 16M groups of one aggregation is ~2 GiB: beyond that a
 * worker should not hold the result, and group ids stay well inside uint32_t. */
#define DDF_GROUPBY_MAX_GROUPS (16u * 1024 * 1024)

/* Aggregations in one spec: one result column each. */
#define DDF_GROUPBY_MAX_AGGS 1024

typedef struct ddf_groupby ddf_groupby; /* opaque */

/* One aggregation: 'kind' over the column numbered 'col' of the input tables. */
typedef struct ddf_groupby_agg {
    size_t col;
    ddf_agg_kind kind;
} ddf_groupby_agg;

/* A new empty group-by in *out (free with ddf_groupby_free) keyed by columns
 * keys[0..nkeys) and computing aggs[0..naggs) of tables laid out as 'like' (only its
 * names and dtypes are read; it is not kept). DDF_EINVAL for a bad count or column
 * number, DDF_ETYPE for a key of dtype null or an aggregation pandas refuses
 * (sum of strings), DDF_ENOMEM. On error *out is NULL. */
int ddf_groupby_new(const ddf_table *like, const size_t *keys, size_t nkeys,
                    const ddf_groupby_agg *aggs, size_t naggs, bool dropna, ddf_groupby **out,
                    ddf_error *err);

/* Free the group-by and all it holds. NULL is a no-op. */
void ddf_groupby_free(ddf_groupby *gb);

/* Lower the group limit below DDF_GROUPBY_MAX_GROUPS (a worker's memory budget; tests). */
void ddf_groupby_set_max_groups(ddf_groupby *gb, size_t max_groups);

/* Groups so far. */
size_t ddf_groupby_ngroups(const ddf_groupby *gb);

/* Fold rows of 'table' (partition number 'part', for first/last) in: rows sel[0..nsel)
 * when 'sel' is non-NULL (each < table->nrows), else all. DDF_EINVAL when the table's
 * dtypes are not those of 'like', a row index is out of range or table->nrows is over
 * UINT32_MAX; DDF_ETOOBIG at the group limit; DDF_ENOMEM. A single dictionary key's map
 * of codes to groups is kept for the next update whose key has the same dictionary (the
 * same buffers), as slices of one partition do: so a table fed to a group-by must stay
 * alive while the group-by is updated, as the dictionary of a freed table could be
 * followed by another at the same address. */
int ddf_groupby_update(ddf_groupby *gb, const ddf_table *table, const uint32_t *sel,
                       size_t nsel, uint64_t part, ddf_error *err);

/* Merge the groups of 'src' into 'dst' (same spec: keys, aggregations, dtypes, dropna; else
 * DDF_EINVAL). 'src' is unchanged. Errors as update. */
int ddf_groupby_merge(ddf_groupby *dst, const ddf_groupby *src, ddf_error *err);

/* The partial state as a table in *out (layout above; caller frees with ddf_table_free).
 * DDF_ETOOBIG / DDF_ENOMEM as ddf_agg_states_to_table. On error *out is NULL. */
int ddf_groupby_to_table(const ddf_groupby *gb, ddf_table **out, ddf_error *err);

/* Merge a partial table made by ddf_groupby_to_table of a group-by with the same spec.
 * DDF_ECORRUPT when the table does not have that layout; else errors as merge. */
int ddf_groupby_merge_table(ddf_groupby *gb, const ddf_table *table, ddf_error *err);

/* The finished result in *out (layout above; caller frees with ddf_table_free). DDF_ERANGE
 * when an int64 sum does not fit; DDF_ENOMEM. On error *out is NULL. */
int ddf_groupby_result(const ddf_groupby *gb, ddf_table **out, ddf_error *err);

#endif
