/* frame_ops.h - the table-to-table kernels of a worker's pipeline: select, take, head, tail,
 * assign and concat.
 *
 * A worker runs a frame's lazy pipeline (DESIGN §3) over each partition: filter gives a
 * selection vector (ddf_eval_filter), assign adds a computed column, select projects, and
 * the terminal step keeps some rows (head, tail) or glues partitions together (concat, for
 * head across partitions and for collect). These are the kernels for those steps.
 *
 * Ownership: every kernel reads its inputs and returns a new table in *out that owns its
 * own arena (table.h) and shares no buffer with any input: the values are copied, so the
 * result outlives its inputs, may be cached on its own, and ddf_table_bytes(*out) is what
 * it really costs (buffers are sized exactly, not grown by doubling). The caller frees
 * *out with ddf_table_free. On error *out is NULL, 'err' (may be NULL) says why, and
 * nothing is left allocated except what ddf_frame_ops_assign put in the caller's scratch
 * arena.
 *
 * Selections: 'sel' lists row numbers of the input, in output order, as ddf_eval_filter
 * returns them; repeats are allowed (as DataFrame.take). sel == NULL means every row in
 * order, and 'nsel' is then ignored. Any entry >= the input's nrows is DDF_EINVAL, checked
 * before anything is allocated.
 *
 * Inputs are validated, not trusted: a table whose column lengths differ from nrows or
 * whose dtype is not a storage dtype (DDF_DTYPE_NULL) is DDF_EINVAL, not a crash.
 *
 * Not thread-safe per output; inputs are only read, so many threads may read one input. */
#ifndef DDF_FRAME_OPS_H
#define DDF_FRAME_OPS_H

#include "arena.h"
#include "error.h"
#include "expr.h"
#include "table.h"

#include <stddef.h>
#include <stdint.h>

/* The columns cols[0..ncols) of 'in', in that order, with all of in's rows, as pandas'
 * df[["b", "a"]]. A column may be chosen twice and then appears twice under the same name
 * (pandas does the same: df[["a", "a"]] has two columns "a"). ncols == 0 gives a table of
 * no columns and in->nrows rows (df[[]]). DDF_EINVAL for an index past in->ncols,
 * DDF_ETOOBIG for ncols over DDF_MAX_COLUMNS, DDF_ENOMEM. */
int ddf_frame_ops_select(const ddf_table *in, const size_t *cols, size_t ncols, ddf_table **out,
                         ddf_error *err);

/* ddf_frame_ops_select by name: names[0..nnames) are NUL-terminated column names; each
 * picks the first column of that name. An unknown name is DDF_EINVAL with the message
 * "unknown column 'qyt' (did you mean 'qty'?)" (the hint only when a close name exists). */
int ddf_frame_ops_select_names(const ddf_table *in, const char *const *names, size_t nnames,
                               ddf_table **out, ddf_error *err);

/* The rows sel[0..nsel) of 'in' (every row when sel is NULL), all columns, as a new compact
 * table: values, string bytes and nulls are copied. DDF_EINVAL for a row past the end,
 * DDF_ETOOBIG when the string bytes of a column would overflow its int64 offsets,
 * DDF_ENOMEM. */
int ddf_frame_ops_take(const ddf_table *in, const uint32_t *sel, size_t nsel, ddf_table **out,
                       ddf_error *err);

/* The first 'n' rows of 'in', or of the rows sel[0..nsel) when sel is given, with pandas'
 * DataFrame.head rules: n larger than the rows gives all of them; n == 0 an empty table
 * with in's names and dtypes; n < 0 all rows but the last -n (none when -n >= rows). */
int ddf_frame_ops_head(const ddf_table *in, const uint32_t *sel, size_t nsel, int64_t n,
                       ddf_table **out, ddf_error *err);

/* The last 'n' rows, as DataFrame.tail: n < 0 gives all rows but the first -n. Otherwise
 * as ddf_frame_ops_head. */
int ddf_frame_ops_tail(const ddf_table *in, const uint32_t *sel, size_t nsel, int64_t n,
                       ddf_table **out, ddf_error *err);

/* pandas' df.assign(name=expr) / df[name] = expr: evaluate 'checked' (ddf_expr_check'ed
 * against in's names and dtypes) with ddf_eval over the rows sel[0..nsel) of 'in' (every
 * row when sel is NULL) and return those rows plus the result as a column called 'name'
 * (name_len bytes, need not be NUL-terminated). When 'in' has a column of that name (the
 * first, if several), the new column takes its place and position, possibly with another
 * dtype; otherwise it goes last. An expression of dtype null (None) gives an all-null
 * float64 column, as pandas' df["c"] = None reads back after read_csv.
 * Evaluation temporaries go to 'scratch' and stay there until the caller resets it; the
 * result is copied out of it, so resetting 'scratch' does not touch *out.
 * Errors: ddf_eval's (err->offset at the expression node), DDF_EINVAL for a name with a
 * NUL byte or a row past the end, DDF_ETOOBIG for a name over DDF_MAX_NAME_BYTES or a
 * new column past DDF_MAX_COLUMNS, DDF_ENOMEM. */
int ddf_frame_ops_assign(const ddf_table *in, const uint32_t *sel, size_t nsel, const char *name,
                         size_t name_len, const ddf_expr *checked, ddf_arena *scratch,
                         ddf_table **out, ddf_error *err);

/* The rows of parts[0], then parts[1], ... parts[nparts - 1], in one table (pd.concat of
 * frames with equal columns). Every part must have the same column names and dtypes in the
 * same order: the first difference is DDF_EINVAL naming the part and the column, e.g.
 * "part 2 column 1 is 'qty' string, part 0 has 'qty' int64". nparts == 0 is DDF_EINVAL
 * (no schema to give the result, as pandas' "No objects to concatenate"); DDF_ETOOBIG
 * when the rows would pass DDF_MAX_ROWS; DDF_ENOMEM. */
int ddf_frame_ops_concat(const ddf_table *const *parts, size_t nparts, ddf_table **out,
                         ddf_error *err);

#endif
