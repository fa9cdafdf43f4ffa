/* eval.h - vectorized evaluation of checked expressions over a table's rows.
 *
 * ddf_eval computes a checked ddf_expr (expr.h) over the rows of a table, or over the rows
 * a selection vector names, a node at a time: every node produces a whole temporary
 * column in a caller's scratch arena, so no per-row tree walk happens. Float + - * / are
 * the exception: a tree of them is one chain (f64_chain.h) that reads its operands once
 * and writes one column, or, through ddf_eval_fold, blocks of it. The null, overflow,
 * division-by-zero and NaN rules follow pandas/numpy and are written once in eval.c's
 * opening comment. Not thread-safe per scratch arena; the expression and table are only
 * read, so many threads may evaluate one expression with their own arenas. */
#ifndef DDF_EVAL_H
#define DDF_EVAL_H

#include "arena.h"
#include "column.h"
#include "error.h"
#include "expr.h"
#include "table.h"

#include <stddef.h>
#include <stdint.h>

/* Evaluate 'checked' (ddf_expr_check'ed against input's schema) over the rows of 'input'
 * — all nrows rows when 'sel' is NULL, else the 'nsel' rows sel[0..nsel) in that order —
 * into *out, a column of checked->dtype (float64 when that is DDF_DTYPE_NULL) with one
 * row per evaluated row. *out's buffers are in 'scratch' or borrowed from input's arena
 * (a bare column reference without 'sel' is not copied): read-only, valid until either is
 * reset. Returns DDF_OK, or DDF_ENOMEM, DDF_EINVAL (a selected row out of range, a
 * column index the table lacks, astype of a string that does not parse as the target
 * type: the message names the value and its row), DDF_ETOOBIG (a string value over
 * DDF_MAX_FIELD_BYTES) or DDF_ERANGE (astype of inf/NaN to int64) with 'err'
 * set and err->offset at the node; on error *out is an empty column and what was
 * allocated stays in 'scratch' until the caller resets it. */
int ddf_eval(const ddf_expr *checked, const ddf_table *input, const uint32_t *sel, size_t nsel,
             ddf_arena *scratch, ddf_column *out, ddf_error *err);

/* Rows of an expression's value that ddf_eval_fold hands over at a time: 4 KiB of float64,
 * which stay in the L1 cache from the store to the reader's load. A multiple of 64, so a
 * block starts on a byte of the bitmap and on a group of four rows. */
#define DDF_EVAL_FOLD_ROWS 512

/* One block of ddf_eval_fold: rows [start, start + block->length) of the value. */
typedef int (*ddf_eval_fold_fn)(void *ctx, const ddf_column *block, size_t start,
                                ddf_error *err);

/* Evaluate 'checked' over every row of 'input' as ddf_eval does, but hand the value to
 * 'fn' in consecutive blocks instead of one column, so a reader that folds it (a sum)
 * never has a whole column written and read back: float64 + - * / in blocks of
 * DDF_EVAL_FOLD_ROWS rows, anything else as one block of every row. A block's
 * null_count and bitmap are right; the value slots of its null rows are unspecified (not
 * 0 as column.h says), so 'fn' reads valid rows only. Returns DDF_OK, ddf_eval's errors,
 * or the first nonzero return of 'fn' (the blocks after it are not made). */
int ddf_eval_fold(const ddf_expr *checked, const ddf_table *input, ddf_arena *scratch,
                  ddf_eval_fold_fn fn, void *ctx, ddf_error *err);

/* Add the value of 'checked' over every row of 'input' to the four Neumaier lanes of a
 * float sum, sum[4]/comp[4], and the rows added to *count, without making the value at
 * all (ddf_f64_chain_sum): the bits of ddf_eval_fold handing its blocks to agg.h's
 * stream. Only for float64 + - * / over a multiple of 4 rows; 1 for anything else (fold
 * it with ddf_eval_fold), DDF_OK, or ddf_eval's errors. */
int ddf_eval_sum_lanes(const ddf_expr *checked, const ddf_table *input, ddf_arena *scratch,
                       double sum[4], double comp[4], uint64_t *count, ddf_error *err);

/* Evaluate the bool expression 'pred' as ddf_eval does and return, in *out_sel (in
 * 'scratch'), the row numbers of 'input' (taken from 'sel' when given) where it is true;
 * a null predicate value counts as false, as DataFrame.query drops it. *out_n is their
 * count, in the input order. On error as ddf_eval, with *out_sel NULL and *out_n 0;
 * DDF_EINVAL when 'pred' is not bool. */
int ddf_eval_filter(const ddf_expr *pred, const ddf_table *input, const uint32_t *sel, size_t nsel,
                    ddf_arena *scratch, uint32_t **out_sel, size_t *out_n, ddf_error *err);

#endif
