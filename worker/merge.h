/* merge.h - the client's half of an action: merging the partials workers return into the
 * action's result (DESIGN §3, step 4). A worker uses it too, to combine the partials of
 * its partitions into one before answering (plan.combine).
 *
 * Workers answer with one partial per partition (worker/plan.h says what each terminal
 * step's partial is); they arrive in any order, from any worker, and a partition rerun
 * after a failure arrives again. A merger takes each partition's partial once (a second
 * copy of the same index is ignored, so reruns are harmless) and finishes when told: the
 * result then equals the one-pass result over the whole frame (the kernels' merge rules).
 * Order-sensitive results — head, tail, collect — are assembled in partition order.
 *
 * Results (tables the caller frees):
 *   COUNT, WRITE_CSV  one row, one int64 column "count" / "rows"
 *   HEAD n, TAIL n    the first / last n rows of the frame (n >= 0; for pandas' negative
 *                     n the client collects instead and cuts the result itself)
 *   COLLECT           every row, in partition order
 *   REDUCE            one row, a column per aggregation named as group-by names them
 *   GROUPBY           ddf_groupby_result's table
 *   VALUE_COUNTS      ddf_value_counts_result's table ("count" or "proportion")
 *   TOPK              ddf_topk_result's table (without positions)
 *
 * Not thread-safe: one merger belongs to one thread. */
#ifndef DDF_MERGE_H
#define DDF_MERGE_H

#include "error.h"
#include "plan.h"
#include "schema.h"
#include "table.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ddf_merger ddf_merger; /* opaque */

/* A merger for 'term' over frames whose schema after the pipeline is 'schema' (needed to
 * rebuild group-by, value_counts and top-k specs; copied). 'normalize' is value_counts'
 * option, which only the final step applies. DDF_EINVAL / DDF_ETYPE for a spec the
 * kernels refuse, DDF_ENOMEM. */
int ddf_merger_new(const ddf_terminal *term, const ddf_schema *schema, bool normalize,
                   ddf_merger **out, ddf_error *err);
void ddf_merger_free(ddf_merger *m);

/* Take the partial of partition 'index' (read, not kept). A partial whose layout does
 * not match the spec is DDF_ECORRUPT naming the partition; the merger is then spent. */
int ddf_merger_add(ddf_merger *m, uint64_t index, const ddf_table *partial, ddf_error *err);

/* HEAD: whether partitions 0..k) (the lowest indexes, all present) already hold n rows,
 * so later partitions cannot change the result. 'lowest_missing' is the first index not
 * added yet. Always false for other steps. */
bool ddf_merger_head_done(const ddf_merger *m, uint64_t *lowest_missing);

/* GROUPBY, VALUE_COUNTS: what was merged so far as one partial, in the layout of a
 * partition's (plan.h), so that a worker can answer one partial for many partitions
 * (plan.combine). DDF_EINVAL for other steps. */
int ddf_merger_partial(ddf_merger *m, ddf_table **out, ddf_error *err);

/* The result in *out (layout above). DDF_ERANGE for an int sum that overflows int64. */
int ddf_merger_result(ddf_merger *m, ddf_table **out, ddf_error *err);

#endif
