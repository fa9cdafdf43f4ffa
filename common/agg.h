/* agg.h - aggregations (count size sum mean min max std var first last nunique) as
 * mergeable partial states.
 *
 * A worker aggregates each partition into a small state; the client merges the states it
 * gets back, in whatever grouping and order they arrive, and finalizes once. Merging is
 * exact or numerically stable so that any split gives the one-pass result: int sums are
 * exact (__int128), float sums compensated (Neumaier), var/std merged by Chan's parallel
 * Welford formula, first/last keep their position (partition, row), nunique keeps the set
 * of distinct values.
 *
 * Semantics are pandas' (Series.agg, skipna=True). The rules, written once in agg.c:
 *  - nulls are skipped by every aggregation but size; NaN in a float64 column counts as
 *    null too (CSV-parsed "NaN" already is null, and pandas skips NaN the same way);
 *  - sum of an empty or all-null column is 0; mean/min/max/first/last of it is null;
 *    var/std (ddof=1) with fewer than two values is null;
 *  - bools are 0/1 for sum (counts True), mean, var, std; min/max/first/last keep bool;
 *  - strings: count size min max first last nunique only (byte-wise order, which is
 *    Python's order of UTF-8 strings); others are DDF_ETYPE;
 *  - int64 sum is exact: finalize returns DDF_ERANGE when the exact sum does not fit an
 *    int64 (pandas would silently wrap);
 *  - nunique counts 0.0 and -0.0 as one value, as pandas' hash table does.
 *
 * Serialized layout (ddf_agg_states_to_table): one row per state, these columns in order:
 *    kind     int64    ddf_agg_kind
 *    dtype    int64    input ddf_dtype
 *    count    int64    values seen (size: rows seen)
 *    isum_hi  int64    int/bool sum: high 64 bits of the exact __int128 sum
 *    isum_lo  int64    int/bool sum: low 64 bits (as uint64 bits)
 *    ival     int64    int/bool value of min/max/first/last
 *    part     int64    first/last: partition of the value
 *    row      int64    first/last: row of the value
 *    fa       float64  float sum | Welford mean | float value of min/max/first/last
 *    fb       float64  Neumaier compensation | Welford M2
 *    str      string   string value of min/max/first/last
 *    set      string   nunique: the distinct values packed: 8-byte little-endian value
 *                      bits each for numbers and bools, u32 LE length + bytes for strings
 * Fields a kind does not use hold 0 / "" (never null), so the codec carries it unchanged.
 *
 * Not thread-safe; a state belongs to one thread at a time. */
#ifndef DDF_AGG_H
#define DDF_AGG_H

#include "arena.h"
#include "column.h"
#include "error.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ddf_agg_kind {
    DDF_AGG_COUNT = 0,
    DDF_AGG_SIZE,
    DDF_AGG_SUM,
    DDF_AGG_MEAN,
    DDF_AGG_MIN,
    DDF_AGG_MAX,
    DDF_AGG_STD,
    DDF_AGG_VAR,
    DDF_AGG_FIRST,
    DDF_AGG_LAST,
    DDF_AGG_NUNIQUE,
} ddf_agg_kind;

#define DDF_AGG_KIND_COUNT 11

typedef struct ddf_agg_set ddf_agg_set; /* opaque: nunique's hash set */

/* A partial state. Plain data so group-by can keep arrays of them; read it only through
 * the functions below. Strings it holds are copies in 'arena'. */
typedef struct ddf_agg_state {
    ddf_agg_kind kind;
    ddf_dtype dtype;     /* dtype of the input column */
    ddf_arena *arena;    /* borrowed: holds string copies; outlives the state */
    uint64_t count;      /* values seen (size: rows seen, nulls included) */
    __int128 isum;       /* int/bool sum, exact */
    double fa;           /* float sum | Welford mean | float value */
    double fb;           /* Neumaier compensation | Welford M2 */
    int64_t ival;        /* int/bool value of min/max/first/last */
    const char *str;     /* string value of min/max/first/last (in 'arena') */
    size_t str_len;      /* its bytes */
    uint64_t part;       /* first/last: partition of the value */
    uint64_t row;        /* first/last: row of the value in its partition */
    ddf_agg_set *set;    /* nunique: distinct values; owned, freed by ddf_agg_fini */
} ddf_agg_state;

/* A finalized result. dtype DDF_DTYPE_NULL means the result is null. A string result
 * borrows from the state's arena. */
typedef struct ddf_agg_value {
    ddf_dtype dtype;
    int64_t i64;         /* int64 result, and bool results as 0/1 */
    double f64;
    const char *str;
    size_t str_len;
} ddf_agg_value;

/* "count", "sum", ... ; NULL for an unknown kind. */
const char *ddf_agg_name(ddf_agg_kind kind);

/* Parse a pandas aggregation name. DDF_OK or DDF_EINVAL. */
int ddf_agg_parse(const char *name, ddf_agg_kind *out);

/* The dtype 'kind' gives over a column of 'dtype' in *out. DDF_OK, or DDF_ETYPE when
 * pandas does not allow it (sum/mean/std/var of strings). */
int ddf_agg_result_dtype(ddf_agg_kind kind, ddf_dtype dtype, ddf_dtype *out);

/* An empty state. DDF_ETYPE (err says which) for an unsupported kind x dtype; DDF_EINVAL
 * for a bad kind. Strings are copied into 'arena', which must outlive the state. Nothing
 * is allocated yet; call ddf_agg_fini once done either way. */
int ddf_agg_init(ddf_agg_state *st, ddf_agg_kind kind, ddf_dtype dtype, ddf_arena *arena,
                 ddf_error *err);

/* Free what the state owns (nunique's set). The arena's copies stay. */
void ddf_agg_fini(ddf_agg_state *st);

/* Fold rows of 'col' (partition number 'part') into 'st': rows sel[0..nsel) when 'sel' is
 * non-NULL (uint32_t row indexes, each < col->length), else every row. DDF_EINVAL when the
 * column's dtype is not the state's; DDF_ENOMEM when a copy or the set cannot grow, the
 * state then holds a subset of the rows (still valid for fini, not for results). */
int ddf_agg_update(ddf_agg_state *st, const ddf_column *col, const uint32_t *sel, size_t nsel,
                   uint64_t part, ddf_error *err);

/* Folding one partition in consecutive slices (the worker's fused pipeline), equal bit
 * for bit to one ddf_agg_update over the rows of all slices in order. Two things differ
 * from calling ddf_agg_update per slice: first/last record rows numbered from the slice's
 * 'row_base', and a float64 sum/mean on the lane path keeps its four Neumaier lanes, and
 * the lane of each row, across slices, folding them into the state only at
 * ddf_agg_stream_finish (a per-slice fold would round differently).
 * 'lanes' says which path one whole-partition update would have taken: true when that
 * call would have had no selection. Rows given with a selection are then the rows the
 * whole update would have seen compacted (a filter before an assign materializes). */
typedef struct ddf_agg_stream {
    bool lanes;          /* float64 sum/mean fed as one unselected column */
    double sum[4];       /* the lanes (sum_lanes in agg.c) */
    double comp[4];
    double pend[3];      /* rows of an unfinished group of four, in order; a null or NaN is
                            NAN here (it adds nothing and is not counted) */
    unsigned npend;
    uint64_t count;      /* values the lanes took */
} ddf_agg_stream;

/* Start streaming into 'st' (fresh from ddf_agg_init). */
void ddf_agg_stream_init(ddf_agg_stream *s, const ddf_agg_state *st, bool lanes);

/* Fold one slice: as ddf_agg_update, rows numbered from 'row_base' for first/last. */
int ddf_agg_stream_update(ddf_agg_stream *s, ddf_agg_state *st, const ddf_column *col,
                          const uint32_t *sel, size_t nsel, uint64_t part, uint64_t row_base,
                          ddf_error *err);

/* Whether the stream's next row goes to lane 0 of a float sum: its lanes (sum, comp,
 * count) may then take whole groups of four rows from another adder of the same
 * arithmetic (eval.h's ddf_eval_sum_lanes) in place of an update. */
static inline bool ddf_agg_stream_at_lane0(const ddf_agg_stream *s)
{
    return s->lanes && s->npend == 0;
}

/* Fold what the lanes hold into 'st'; call once after the last slice. */
void ddf_agg_stream_finish(ddf_agg_stream *s, ddf_agg_state *st);

/* Merge 'src' into 'dst' (same kind and dtype, else DDF_EINVAL). DDF_ENOMEM as update. */
int ddf_agg_merge(ddf_agg_state *dst, const ddf_agg_state *src, ddf_error *err);

/* The result of 'st'. DDF_ERANGE when an int64 sum does not fit an int64. */
int ddf_agg_finalize(const ddf_agg_state *st, ddf_agg_value *out, ddf_error *err);

/* One table of n states (same kind and dtype, else DDF_EINVAL), laid out as above; *out is
 * freed by the caller with ddf_table_free. DDF_ETOOBIG when a packed nunique set exceeds
 * DDF_MAX_FIELD_BYTES; DDF_ENOMEM. On error *out is NULL and nothing is held. */
int ddf_agg_states_to_table(const ddf_agg_state *states, size_t n, ddf_table **out,
                            ddf_error *err);

/* Rebuild the table's n states (table->nrows must be n) into states[0..n); strings are
 * copied into 'arena'; the caller finis each state. DDF_ECORRUPT for a table that is not
 * such a layout (wrong columns, bad kind/dtype, a count over DDF_MAX_ROWS, an int sum
 * beyond count * 2^63, a truncated set); DDF_ENOMEM. On error no state is left to fini. */
int ddf_agg_states_from_table(const ddf_table *table, ddf_arena *arena, ddf_agg_state *states,
                              size_t n, ddf_error *err);

#endif
