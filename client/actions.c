/* actions.c - the actions of ddf.h: each builds its terminal step, runs it through the
 * action engine (action.c) and shapes the merged result as pandas does.
 *
 * Order-sensitive actions stream: head asks for partitions in order, a few more each
 * round, until the rows it has cannot change; collect_each hands partitions over in order
 * while the next ones run. Both need the schema settled first — a widening found late
 * would change rows already handed over — so collect_each first counts every column it
 * returns over the whole frame (which also warms the workers' caches). */
#include "client_int.h"

#include "alloc.h"
#include "frame_ops.h"
#include "merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Partitions asked for by head's first round, doubled each round after. */
#define HEAD_FIRST_BATCH 2
/* Partitions in flight at once for collect_each, per live worker. */
#define STREAM_BATCH_PER_WORKER 4

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void begin(ddf_frame *f)
{
    ddf_client_begin_action(f->client);
}

static int merged(ddf_frame *f, const ddf_terminal *t, bool normalize, ddf_table **out,
                  ddf_error *err)
{
    *out = NULL;
    begin(f);
    return ddf_action_merge(f, t, normalize, out, err);
}

/* The single int64 cell of a COUNT / WRITE_CSV result. */
static int one_int(ddf_frame *f, const ddf_terminal *t, int64_t *value, ddf_error *err)
{
    ddf_table *r;
    int rc = merged(f, t, false, &r, err);

    if (rc < 0)
        return rc;
    if (r->ncols != 1 || r->nrows != 1 || r->columns[0].dtype != DDF_DTYPE_INT64)
        rc = ddf_error_setf(err, DDF_ECORRUPT, "a count that is not one int64 cell");
    else
        *value = r->columns[0].values.i64[0];
    ddf_table_free(r);
    return rc;
}

int ddf_frame_count(ddf_frame *f, int64_t *rows, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_COUNT};

    return one_int(f, &t, rows, err);
}

int ddf_frame_to_csv(ddf_frame *f, const char *path, int64_t *rows, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_WRITE_CSV, .path = path};
    const char *slash = path ? strrchr(path, '/') : NULL;
    char dir[4096];

    if (path == NULL || path[0] == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "to_csv: no directory");
    /* "DIR/name-*.csv": Dask's one file per partition, named by its index */
    if (strchr(slash ? slash + 1 : path, '*') != NULL) {
        size_t n = slash ? (size_t)(slash - path) : 1;

        t.name = slash ? slash + 1 : path;
        if (!ddf_plan_csv_name_ok(t.name))
            return ddf_error_setf(err, DDF_EINVAL, "to_csv: \"%s\" must hold one '*' (the "
                                  "partition's index) and not start with '.'", t.name);
        if (n >= sizeof dir)
            return ddf_error_setf(err, DDF_ETOOBIG, "to_csv: path too long");
        memcpy(dir, slash ? path : ".", n);
        dir[n] = '\0';
        if (n == 0) dir[0] = '/', dir[1] = '\0';
        t.path = dir;
    }
    return one_int(f, &t, rows, err);
}

int ddf_frame_collect(ddf_frame *f, ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_COLLECT};

    return merged(f, &t, false, out, err);
}

static int merge_partial(void *arg, uint64_t index, ddf_table *partial, ddf_error *err)
{
    int rc = ddf_merger_add(arg, index, partial, err);

    ddf_table_free(partial);
    return rc;
}

/* head(n >= 0): partitions in order, HEAD_FIRST_BATCH first, twice as many each round,
 * until the partitions before the first missing one hold n rows. */
static int head_in_order(ddf_frame *f, int64_t n, ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_HEAD, .n = n};
    size_t np = f->src->nparts;
    uint64_t *idx = ddf_calloc(np ? np : 1, sizeof *idx);
    double t0 = now_ms();
    int rc;

    if (idx == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < np; i++)
        idx[i] = i;
    for (unsigned attempt = 0;; attempt++) {
        ddf_merger *m;
        size_t lo = 0, batch = HEAD_FIRST_BATCH;
        uint64_t missing;

        rc = ddf_merger_new(&t, f->out, false, &m, err);
        if (rc < 0)
            break;
        while (rc == DDF_OK && lo < np && !(n == 0 || ddf_merger_head_done(m, &missing))) {
            size_t k = np - lo < batch ? np - lo : batch;

            rc = ddf_action_run(f, &t, idx + lo, k, merge_partial, m, err);
            lo += k;
            batch *= 2;
        }
        if (rc == DDF_OK)
            rc = ddf_merger_result(m, out, err);
        ddf_merger_free(m);
        if (rc != DDF_EWIDEN)
            break;
        if (attempt + 1 >= f->client->max_widenings) {
            rc = ddf_error_setf(err, DDF_EWIDEN, "the schema still needed widening after %u "
                                "reruns", f->client->max_widenings);
            break;
        }
    }
    ddf_free(idx);
    f->client->last.elapsed_ms = now_ms() - t0;
    return rc;
}

/* pandas' negative n: every row but the last (head) or first (tail) -n. */
static int cut_collected(ddf_frame *f, int64_t n, bool head, ddf_table **out, ddf_error *err)
{
    ddf_table *all;
    int rc = ddf_frame_collect(f, &all, err);

    if (rc < 0)
        return rc;
    rc = head ? ddf_frame_ops_head(all, NULL, all->nrows, n, out, err)
              : ddf_frame_ops_tail(all, NULL, all->nrows, n, out, err);
    ddf_table_free(all);
    return rc;
}

int ddf_frame_head(ddf_frame *f, int64_t n, ddf_table **out, ddf_error *err)
{
    *out = NULL;
    if (n < 0)
        return cut_collected(f, n, true, out, err);
    begin(f);
    return head_in_order(f, n, out, err);
}

int ddf_frame_tail(ddf_frame *f, int64_t n, ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_TAIL, .n = n};

    if (n < 0)
        return cut_collected(f, n, false, out, err);
    return merged(f, &t, false, out, err);
}

int ddf_frame_aggregate(ddf_frame *f, const ddf_plan_agg *aggs, size_t naggs, ddf_table **out,
                  ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = naggs};

    if (naggs == 0 || aggs == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "aggregate: no aggregation");
    return merged(f, &t, false, out, err);
}

int ddf_frame_reduce(ddf_frame *f, ddf_agg_kind kind, const char *const *columns, size_t ncolumns,
               ddf_table **out, ddf_error *err)
{
    const ddf_schema *s = f->out;
    ddf_plan_agg *aggs;
    size_t n = 0;
    int rc;

    *out = NULL;
    aggs = ddf_calloc(columns ? (ncolumns ? ncolumns : 1) : (s->ncols ? s->ncols : 1),
                      sizeof *aggs);
    if (aggs == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    if (columns != NULL) {
        for (size_t i = 0; i < ncolumns; i++)
            aggs[n++] = (ddf_plan_agg){columns[i], kind};
    } else {
        for (size_t c = 0; c < s->ncols; c++) {
            ddf_dtype rd;

            if (ddf_agg_result_dtype(kind, s->fields[c].dtype, &rd) == DDF_OK)
                aggs[n++] = (ddf_plan_agg){s->fields[c].name, kind};
        }
    }
    if (n == 0)
        rc = ddf_error_setf(err, DDF_ETYPE, "%s: no column of the frame can be reduced",
                            ddf_agg_name(kind));
    else
        rc = ddf_frame_aggregate(f, aggs, n, out, err);
    ddf_free(aggs);
    return rc;
}

int ddf_frame_groupby(ddf_frame *f, const char *const *keys, size_t nkeys, const ddf_plan_agg *aggs,
                size_t naggs, bool dropna, ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_GROUPBY, .keys = keys, .nkeys = nkeys, .aggs = aggs,
                      .naggs = naggs, .dropna = dropna};

    if (nkeys == 0 || keys == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "groupby: no key column");
    if (naggs == 0 || aggs == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "groupby: no aggregation (size counts the "
                              "rows of each group)");
    return merged(f, &t, false, out, err);
}

int ddf_frame_value_counts(ddf_frame *f, const char *column, bool dropna, bool normalize,
                     ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_VALUE_COUNTS, .column = column, .dropna = dropna};

    if (column == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "value_counts: no column");
    return merged(f, &t, normalize, out, err);
}

int ddf_frame_topk(ddf_frame *f, int64_t n, const char *const *columns, size_t ncolumns,
             bool largest, ddf_topk_keep keep, ddf_table **out, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_TOPK, .n = n, .keys = columns, .nkeys = ncolumns,
                      .largest = largest, .keep = keep};

    if (ncolumns == 0 || columns == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "%s: no column", largest ? "nlargest"
                                                                        : "nsmallest");
    return merged(f, &t, false, out, err);
}

/* ---- collect_each ------------------------------------------------------------------ */

typedef struct stream_batch {
    uint64_t lo;               /* first partition of the batch */
    ddf_table **slot;          /* per partition of the batch */
} stream_batch;

static int keep_partial(void *arg, uint64_t index, ddf_table *partial, ddf_error *err)
{
    stream_batch *b = arg;

    (void)err;
    b->slot[index - b->lo] = partial;
    return DDF_OK;
}

/* Read every column the frame returns over every partition once (a count of each), so
 * that any widening happens before rows are handed over. Cheap when the partitions are
 * cached, and it caches them when they are not. */
static int settle_schema(ddf_frame *f, ddf_error *err)
{
    const ddf_schema *s = f->out;
    ddf_plan_agg *aggs;
    ddf_table *t = NULL;
    int rc;

    if (s->ncols == 0)
        return DDF_OK;
    aggs = ddf_calloc(s->ncols, sizeof *aggs);
    if (aggs == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t c = 0; c < s->ncols; c++)
        aggs[c] = (ddf_plan_agg){s->fields[c].name, DDF_AGG_COUNT};
    rc = ddf_frame_aggregate(f, aggs, s->ncols, &t, err);
    ddf_table_free(t);
    ddf_free(aggs);
    return rc;
}

int ddf_frame_collect_each(ddf_frame *f, ddf_partition_fn *fn, void *arg, ddf_error *err)
{
    ddf_terminal t = {.kind = DDF_TERM_COLLECT};
    size_t np = f->src->nparts, nw = 0, per;
    uint64_t *idx = NULL;
    stream_batch b = {0};
    int rc = DDF_OK;

    rc = settle_schema(f, err);
    if (rc < 0)
        return rc;
    begin(f);
    rc = ddf_client_workers(f->client, &nw, err);
    if (rc < 0)
        return rc;
    per = (nw ? nw : 1) * STREAM_BATCH_PER_WORKER;
    idx = ddf_calloc(np ? np : 1, sizeof *idx);
    b.slot = ddf_calloc(per, sizeof *b.slot);
    if (idx == NULL || b.slot == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        idx[i] = i;
    for (size_t lo = 0; lo < np && rc == DDF_OK; lo += per) {
        size_t k = np - lo < per ? np - lo : per;

        b.lo = lo;
        rc = ddf_action_run(f, &t, idx + lo, k, keep_partial, &b, err);
        if (rc == DDF_EWIDEN)
            rc = ddf_error_setf(err, DDF_EWIDEN, "the files changed while being read: a "
                                "partition needs a wider dtype than earlier ones had");
        for (size_t i = 0; i < k; i++) {
            if (rc == DDF_OK && b.slot[i] != NULL) {
                int urc = fn(arg, lo + i, b.slot[i]);

                b.slot[i] = NULL;
                if (urc != 0)
                    rc = urc;
            }
            ddf_table_free(b.slot[i]);
            b.slot[i] = NULL;
        }
    }
out:
    ddf_free(b.slot);
    ddf_free(idx);
    return rc;
}

/* ---- items ------------------------------------------------------------------------- */

struct ddf_items {
    ddf_frame *frame;
    size_t next;
};

int ddf_items_begin(ddf_frame *f, ddf_items **out, ddf_error *err)
{
    *out = ddf_calloc(1, sizeof **out);
    if (*out == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    (*out)->frame = f;
    return DDF_OK;
}

int ddf_items_next(ddf_items *it, const char **name, ddf_table **out, ddf_error *err)
{
    const ddf_schema *s = it->frame->out;
    const char *col;
    ddf_frame *one;
    int rc;

    *out = NULL;
    *name = NULL;
    if (it->next >= s->ncols)
        return DDF_OK;
    col = s->fields[it->next].name;
    rc = ddf_frame_select(it->frame, &col, 1, &one, err);
    if (rc < 0)
        return rc;
    rc = ddf_frame_collect(one, out, err);
    ddf_frame_free(one);
    if (rc == DDF_OK)
        *name = it->frame->out->fields[it->next++].name;
    return rc;
}

void ddf_items_end(ddf_items *it)
{
    ddf_free(it);
}
