/* ddf.h - libddf, the public C API of a ddf cluster: connect, read CSV files into a lazy
 * frame, and run pandas-style actions on it across the workers (DESIGN §2-§4).
 *
 * A client is a connection to one cluster: its Redis registry (or a private local cluster
 * it starts and stops itself) plus an XML-RPC client for the workers. A frame is lazy: a
 * CSV source split into partitions, a schema, and a pipeline of filter / assign / select
 * steps. Nothing runs until an action (count, head, a reduction, a group-by, collect, ...)
 * is asked for; then the client discovers the live workers, places each partition on one
 * of them by rendezvous hashing, sends every worker one plan in parallel, and merges what
 * comes back. A worker that fails is dropped for the action and its partitions rerun on
 * the others; a partition that needs a wider dtype makes the client widen the schema and
 * rerun, so results equal pandas' on the whole file.
 *
 *     ddf_client *c;  ddf_frame *f, *g;  ddf_table *t;  ddf_error err;
 *     ddf_connect_options co;  ddf_connect_options_init(&co);   (a local cluster)
 *     ddf_connect(&co, &c, &err);
 *     ddf_read_csv(c, "sales/part-1.csv", NULL, &f, &err);
 *     ddf_frame_filter(f, "qty > 5", &g, &err);
 *     ddf_plan_agg a[] = {{"price", DDF_AGG_MEAN}};
 *     ddf_frame_groupby(g, (const char *[]){"region"}, 1, a, 1, true, &t, &err);
 *     ...  ddf_table_free(t); ddf_frame_free(g); ddf_frame_free(f); ddf_close(c);
 *
 * Errors: every function returns DDF_OK or a negative ddf error code (common/error.h) and
 * fills 'err' with a message that names the worker, file and line where one is involved.
 * DDF_EUNREACH means no live worker (or Redis) could be reached: the CLI's exit status 3.
 *
 * Results are ddf_table (common/table.h), owned by the caller (ddf_table_free): typed
 * columns with validity bitmaps (ddf_column_is_valid, ddf_column_str).
 *
 * Threads: a client and its frames belong to one thread at a time. Frames are immutable
 * (operations return new frames) and hold a reference to their client's source data, but
 * not to the client: free frames before closing the client. */
#ifndef DDF_H
#define DDF_H

#include "agg.h"
#include "csv_reader.h"
#include "error.h"
#include "plan.h"
#include "schema.h"
#include "table.h"
#include "topk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDF_VERSION_STRING "0.1.0"

typedef struct ddf_client ddf_client; /* opaque */
typedef struct ddf_frame ddf_frame;   /* opaque */

/* ---- connecting ---------------------------------------------------------------- */

typedef struct ddf_connect_options {
    const char *redis_url;    /* NULL: $DDF_REDIS; neither: start a local cluster */
    const char *cluster;      /* NULL: "default" (a local cluster names its own) */
    const char *secret;       /* the workers' shared secret; NULL: the first line of
                                 'secret_file', else $DDF_SECRET, else no authentication */
    const char *secret_file;
    unsigned local_workers;   /* local cluster: workers, 0 = one per online core */
    unsigned local_threads;   /* local cluster: threads per worker, 0 = worker default */
    uint64_t local_memory_limit; /* local cluster: bytes per worker, 0 = worker default */
    const char *worker_bin;   /* local cluster: ddf-worker to start (local_cluster.h) */
    int local_lease_ttl_ms;   /* local cluster: workers' registry lease, 0 = 10 s */
    int call_timeout_ms;      /* deadline of one round of calls; 0: 600000 (10 min) */
    unsigned max_retries;     /* rounds of re-placement after worker failures; 0: 3 */
    unsigned max_widenings;   /* schema widenings per action; 0: 8 */
} ddf_connect_options;

void ddf_connect_options_init(ddf_connect_options *opt);

/* Connect to the cluster (checking that its registry answers), or start a local cluster.
 * DDF_EUNREACH (Redis down), DDF_EAUTH, DDF_ENOENT (ddf-worker or redis-server not
 * found), DDF_ETIMEDOUT. */
int ddf_connect(const ddf_connect_options *opt, ddf_client **out, ddf_error *err);

/* Disconnect; a local cluster is stopped. NULL is a no-op. */
void ddf_close(ddf_client *client);

/* The local cluster the client started, or NULL (tests use it to kill workers). */
struct ddf_local_cluster *ddf_client_local_cluster(ddf_client *client);

/* Live workers now (a fresh discovery; dead members are reaped). DDF_EUNREACH. */
int ddf_client_workers(ddf_client *client, size_t *count, ddf_error *err);

/* What the last action did: calls made, partitions run (reruns included), workers that
 * failed and were dropped, schema widenings, rows parsed, partitions served from cache. */
typedef struct ddf_action_stats {
    unsigned rounds;
    size_t calls;
    size_t parts_run;
    size_t workers_failed;
    unsigned widenings;
    uint64_t rows_in;
    uint64_t bad_lines;
    size_t cache_hits;
    double elapsed_ms;
} ddf_action_stats;

void ddf_client_last_stats(const ddf_client *client, ddf_action_stats *out);

/* Progress of the action running: partitions answered of those it must run, rows read
 * so far, time since it started. An action that reruns (a worker failed, a schema
 * widened) counts its partitions once. */
typedef struct ddf_progress {
    size_t parts_done;
    size_t parts_total;
    uint64_t rows;
    double elapsed_ms;
    bool finished; /* the action's last report (it succeeded or failed) */
} ddf_progress;

typedef void ddf_progress_fn(void *arg, const ddf_progress *p);

/* Have 'fn' called on the action's own thread while actions run: when each round of
 * calls starts and ends, about every 200 ms while calls are out, and once when the action
 * ends. NULL turns it off. The CLI draws its progress bar with it. */
void ddf_client_set_progress(ddf_client *client, ddf_progress_fn *fn, void *arg);

/* Stop the action running on 'client': it ends within one progress period (~200 ms) with
 * DDF_EINTR. The workers finish the plans they were given (their answers are dropped) and
 * keep their caches. Only sets a flag: call it from the progress function, another thread
 * or a signal handler; an action that starts later clears it. The actions need a progress
 * function set to be stopped this way, and read_csv's file scan is not. */
void ddf_client_interrupt(ddf_client *client);

/* Lines the last action dropped with on_bad_lines="warn", as pandas warns of them:
 * "file:line: ..." messages (at most DDF_CLIENT_MAX_WARNINGS; stats.bad_lines counts
 * them all). Borrowed until the next action. Lines of a partition read from a worker's
 * cache are not warned of again. Returns the count; *msgs may be NULL. */
#define DDF_CLIENT_MAX_WARNINGS 64
size_t ddf_client_warnings(const ddf_client *client, const char *const **msgs);

/* ---- frames ---------------------------------------------------------------------- */

/* A frame over the CSV files matching 'pattern' (a glob, absolute or relative to the
 * workers' data root; the files must be readable by every worker at the same path).
 * 'opt' NULL is pandas' defaults (ddf_csv_options_init); its strings are copied. Files
 * are split at record boundaries (quote parity, DESIGN §2) into partitions of about
 * opt->blocksize bytes; the schema is inferred from the first file's start and all files
 * must have the same columns. DDF_ENOENT (no file matches), DDF_EINVAL, DDF_EPARSE. */
int ddf_read_csv(ddf_client *client, const char *pattern, const ddf_csv_options *opt,
                 ddf_frame **out, ddf_error *err);

void ddf_frame_free(ddf_frame *frame);

/* The schema after the pipeline: column names and dtypes (pandas' df.columns, df.dtypes).
 * An action that widens the schema gives the frame a new one; the old stays valid until
 * the frame is freed. */
const ddf_schema *ddf_frame_schema(const ddf_frame *frame);
size_t ddf_frame_npartitions(const ddf_frame *frame);

/* Lazy operations: each returns a new frame and leaves 'frame' as it was. Expressions are
 * the worker expression language (common/expr.h) and are type-checked here: DDF_EPARSE /
 * DDF_ETYPE with the position (also for an unknown column: "did you mean ..."). */
int ddf_frame_filter(const ddf_frame *frame, const char *expr, ddf_frame **out,
                     ddf_error *err);
int ddf_frame_assign(const ddf_frame *frame, const char *name, const char *expr,
                     ddf_frame **out, ddf_error *err);
int ddf_frame_select(const ddf_frame *frame, const char *const *columns, size_t ncolumns,
                     ddf_frame **out, ddf_error *err);

/* ---- actions ----------------------------------------------------------------------- */

/* Rows after the pipeline (len(df)). */
int ddf_frame_count(ddf_frame *frame, int64_t *rows, ddf_error *err);

/* The first / last n rows, in file order; pandas' negative n (all but the last / first
 * -n rows) is allowed. head fetches partitions in order until it has n rows. */
int ddf_frame_head(ddf_frame *frame, int64_t n, ddf_table **out, ddf_error *err);
int ddf_frame_tail(ddf_frame *frame, int64_t n, ddf_table **out, ddf_error *err);

/* Aggregations over the whole frame: one row, one column per aggregation, named as
 * group-by names them (common/groupby.h: the column's name when it is aggregated once,
 * "column_agg" otherwise). */
int ddf_frame_aggregate(ddf_frame *frame, const ddf_plan_agg *aggs, size_t naggs, ddf_table **out,
                  ddf_error *err);

/* One reduction of many columns (df.max(), df[["a","b"]].sum()): one row, one column per
 * reduced column with its name. 'columns' NULL: every column the reduction applies to
 * (pandas' numeric_only=None leaves out the others: strings for sum/mean/std/var). */
int ddf_frame_reduce(ddf_frame *frame, ddf_agg_kind kind, const char *const *columns,
               size_t ncolumns, ddf_table **out, ddf_error *err);

/* df.groupby(keys, dropna=dropna).agg(...): key columns then one column per aggregation,
 * sorted by the keys (pandas' sort=True). */
int ddf_frame_groupby(ddf_frame *frame, const char *const *keys, size_t nkeys,
                const ddf_plan_agg *aggs, size_t naggs, bool dropna, ddf_table **out,
                ddf_error *err);

/* df[column].value_counts(dropna, normalize): "value" then "count" (or "proportion"),
 * by count descending, ties in order of first appearance. */
int ddf_frame_value_counts(ddf_frame *frame, const char *column, bool dropna, bool normalize,
                     ddf_table **out, ddf_error *err);

/* df.nlargest(n, columns, keep) / nsmallest: every column of the kept rows. */
int ddf_frame_topk(ddf_frame *frame, int64_t n, const char *const *columns, size_t ncolumns,
             bool largest, ddf_topk_keep keep, ddf_table **out, ddf_error *err);

/* Every row, in partition order. */
int ddf_frame_collect(ddf_frame *frame, ddf_table **out, ddf_error *err);

/* Every row, handed to 'fn' one partition at a time in partition order (tables owned by
 * the callee: it frees them). A nonzero return from 'fn' stops and is returned. Memory
 * holds the partitions that arrived ahead of the next one in order. */
typedef int ddf_partition_fn(void *arg, uint64_t index, ddf_table *part);
int ddf_frame_collect_each(ddf_frame *frame, ddf_partition_fn *fn, void *arg, ddf_error *err);

/* df.describe(): for the int64 and float64 columns (all columns when none is numeric:
 * count, unique, top, freq as pandas does for strings and bools), rows "count", "mean",
 * "std", "min", "25%", "50%", "75%", "max" in a first string column named "" and one
 * float64 column per described column. Quartiles are exact (pandas' linear
 * interpolation): each described column is collected, one at a time. */
int ddf_frame_describe(ddf_frame *frame, ddf_table **out, ddf_error *err);

/* Write the frame as CSV files, one per partition with a header in each (Dask's to_csv),
 * under the workers' data root: 'path' is a directory (files part-<index>.csv) or
 * "DIR/NAME" with one '*' in NAME that the partition's index replaces ("out/sales-*.csv"
 * writes out/sales-0.csv, out/sales-1.csv, ...). *rows gets the rows written. */
int ddf_frame_to_csv(ddf_frame *frame, const char *path, int64_t *rows, ddf_error *err);

/* df.items(): one column at a time, each fetched when asked for. */
typedef struct ddf_items ddf_items; /* opaque */
int ddf_items_begin(ddf_frame *frame, ddf_items **out, ddf_error *err);
/* The next column as a one-column table in *out (caller frees) and its name (valid until
 * the next call); DDF_OK with *out NULL after the last column. */
int ddf_items_next(ddf_items *it, const char **name, ddf_table **out, ddf_error *err);
void ddf_items_end(ddf_items *it);

#endif
