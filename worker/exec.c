/* exec.c - running a plan's partitions on the pool, fused per partition (exec.h).
 *
 * One job per partition: resolve and confine its file, get its parsed table from the
 * cache or parse it, run the pipeline, build the terminal's partial. The pipeline keeps a
 * current table 'cur' and a selection vector 'sel' (NULL: every row): a filter narrows
 * 'sel' (no copy), a select replaces 'cur' by a view whose columns share the buffers of
 * the table under it (no copy, 'sel' stays valid), an assign materializes the selected rows
 * with the new column (frame_ops) and resets 'sel'. The terminal kernels all take 'sel', so
 * a filtered partition is never copied unless a step needs it. Count, reduce and group-by
 * run the same steps a slice of rows at a time instead ("fused slices" below), so that
 * expression temporaries stay in cache; the partials are the same bit for bit.
 *
 * Opened CSV files are kept in a small map keyed by real path, size, mtime and the read
 * digest, reference-counted so that a file closed for room is not under a running job.
 *
 * Lock order: ex->lock (the file map, counters) is never held while calling the cache,
 * whose lock is innermost. */
#include "exec.h"

#include "plan_int.h"
#include "pool.h"

#include "alloc.h"
#include "bitmap.h"
#include "eval.h"
#include "frame_ops.h"
#include "groupby.h"
#include "topk.h"
#include "value_counts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find common/limits.h */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct open_file {
    char *path;               /* real path, owned */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t opts_hash;
    ddf_csv_file *file;       /* owned */
    unsigned refs;            /* jobs using it */
    uint64_t last_use;        /* ex->clock at the last get */
    struct open_file *next;
} open_file;

struct ddf_exec {
    char data_root[PATH_MAX]; /* real path; fixed after new */
    size_t slice_rows;        /* fixed after new; DDF_EXEC_NO_SLICES: never slice */
    ddf_pool *pool;           /* fixed after new */
    ddf_cache *cache;         /* fixed after new; locks itself */
    pthread_mutex_t lock;     /* guards the fields below */
    open_file *files;         /* the open-file map, at most DDF_EXEC_MAX_FILES unused */
    size_t nfiles;
    uint64_t clock;           /* ticks per file get, for least recently used */
    uint64_t parts_run;
};

/* One ddf_exec_run: what its jobs share (read-only but 'results'). */
typedef struct run_ctx {
    ddf_exec *ex;
    const ddf_plan *plan;
    const ddf_plan_compiled *compiled;
    uint64_t opts_hash;
    uint64_t file_hash;       /* ddf_plan_file_hash: lets a wider cached table serve */
    ddf_cache_want want;      /* the plan schema's columns, for that */
    ddf_exec_result *results; /* job i writes results[i] only */
} run_ctx;

void ddf_exec_options_init(ddf_exec_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->threads = 1;
    opt->memory_limit = (size_t)1 << 30;
    opt->data_root = "/";
}

int ddf_exec_new(const ddf_exec_options *opt, ddf_exec **out, ddf_error *err)
{
    ddf_exec *ex;
    int rc;

    *out = NULL;
    ex = ddf_calloc(1, sizeof(*ex));
    if (ex == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory creating the executor");
    if (opt->data_root == NULL || realpath(opt->data_root, ex->data_root) == NULL) {
        rc = ddf_error_setf(err, DDF_EINVAL, "data root %.200s: %s",
                            opt->data_root ? opt->data_root : "(none)",
                            opt->data_root ? strerror(errno) : "not set");
        goto out_free;
    }
    ex->slice_rows = opt->slice_rows ? opt->slice_rows : DDF_EXEC_SLICE_ROWS;
    if (ex->slice_rows != DDF_EXEC_NO_SLICES && ex->slice_rows % 64 != 0) {
        /* slices start on a byte of every validity bitmap, and on a group of four rows
         * of agg.c's float-sum lanes */
        rc = ddf_error_setf(err, DDF_EINVAL, "slice_rows %zu is not a multiple of 64",
                            opt->slice_rows);
        goto out_free;
    }
    rc = ddf_cache_new(opt->memory_limit, &ex->cache, err);
    if (rc < 0)
        goto out_free;
    rc = ddf_pool_new(opt->threads, opt->stack_bytes, &ex->pool, err);
    if (rc < 0)
        goto out_cache;
    pthread_mutex_init(&ex->lock, NULL);
    *out = ex;
    return DDF_OK;
out_cache:
    ddf_cache_free(ex->cache);
out_free:
    ddf_free(ex);
    return rc;
}

void ddf_exec_free(ddf_exec *ex)
{
    if (ex == NULL)
        return;
    ddf_pool_free(ex->pool);
    for (open_file *f = ex->files, *next; f; f = next) {
        next = f->next;
        ddf_csv_close(f->file);
        ddf_free(f->path);
        ddf_free(f);
    }
    ddf_cache_free(ex->cache);
    pthread_mutex_destroy(&ex->lock);
    ddf_free(ex);
}

ddf_cache *ddf_exec_cache(ddf_exec *ex)
{
    return ex->cache;
}

void ddf_exec_get_stats(ddf_exec *ex, ddf_exec_stats *out)
{
    memset(out, 0, sizeof(*out));
    ddf_cache_get_stats(ex->cache, &out->cache);
    out->threads = ddf_pool_threads(ex->pool);
    pthread_mutex_lock(&ex->lock);
    out->files_open = ex->nfiles;
    out->parts_run = ex->parts_run;
    pthread_mutex_unlock(&ex->lock);
}

void ddf_exec_results_free(ddf_exec_result *results, size_t n)
{
    if (results == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        ddf_table_free(results[i].table);
        ddf_free(results[i].needed);
        for (size_t w = 0; w < results[i].nwarnings; w++)
            ddf_free(results[i].warnings[w]);
    }
    ddf_free(results);
}

/* ---- the open-file map ------------------------------------------------------------- */

/* Close unused files beyond the bound, least recently used first. Caller holds ex->lock;
 * the closed files are chained on *dead for the caller to close after unlocking. */
static void trim_files(ddf_exec *ex, open_file **dead)
{
    while (ex->nfiles > DDF_EXEC_MAX_FILES) {
        open_file **victim = NULL;

        for (open_file **pp = &ex->files; *pp; pp = &(*pp)->next)
            if ((*pp)->refs == 0 && (victim == NULL || (*pp)->last_use < (*victim)->last_use))
                victim = pp;
        if (victim == NULL)
            return; /* all in use: the map may exceed its bound for a while */
        open_file *f = *victim;
        *victim = f->next;
        f->next = *dead;
        *dead = f;
        ex->nfiles--;
    }
}

static void close_list(open_file *dead)
{
    while (dead) {
        open_file *next = dead->next;
        ddf_csv_close(dead->file);
        ddf_free(dead->path);
        ddf_free(dead);
        dead = next;
    }
}

static open_file *find_file(ddf_exec *ex, const char *path, const struct stat *st,
                            int64_t mtime_ns, uint64_t opts_hash)
{
    for (open_file *f = ex->files; f; f = f->next)
        if (f->size == (uint64_t)st->st_size && f->mtime_ns == mtime_ns &&
            f->opts_hash == opts_hash && strcmp(f->path, path) == 0)
            return f;
    return NULL;
}

/* The opened file for 'path' with a reference taken (put it back with put_file). Opening
 * happens outside the lock; when two jobs open one file at once, the second keeps the
 * first one's and closes its own. */
static int get_file(ddf_exec *ex, const char *path, const struct stat *st, int64_t mtime_ns,
                    const ddf_plan *plan, uint64_t opts_hash, open_file **out, ddf_error *err)
{
    open_file *f, *nf, *dead = NULL;
    ddf_csv_file *file;
    int rc;

    pthread_mutex_lock(&ex->lock);
    f = find_file(ex, path, st, mtime_ns, opts_hash);
    if (f) {
        f->refs++;
        f->last_use = ++ex->clock;
        pthread_mutex_unlock(&ex->lock);
        *out = f;
        return DDF_OK;
    }
    pthread_mutex_unlock(&ex->lock);

    rc = ddf_csv_open(path, &plan->csv, &file, err);
    if (rc < 0)
        return rc;
    nf = ddf_calloc(1, sizeof(*nf));
    if (nf)
        nf->path = ddf_strdup(path);
    if (nf == NULL || nf->path == NULL) {
        ddf_free(nf);
        ddf_csv_close(file);
        return ddf_error_setf(err, DDF_ENOMEM, "%.200s: out of memory opening", path);
    }
    nf->size = (uint64_t)st->st_size;
    nf->mtime_ns = mtime_ns;
    nf->opts_hash = opts_hash;
    nf->file = file;
    nf->refs = 1;

    pthread_mutex_lock(&ex->lock);
    f = find_file(ex, path, st, mtime_ns, opts_hash);
    if (f) {
        f->refs++;
        f->last_use = ++ex->clock;
        nf->next = dead;
        dead = nf;
    } else {
        f = nf;
        f->last_use = ++ex->clock;
        f->next = ex->files;
        ex->files = f;
        ex->nfiles++;
        trim_files(ex, &dead);
    }
    pthread_mutex_unlock(&ex->lock);
    close_list(dead);
    *out = f;
    return DDF_OK;
}

static void put_file(ddf_exec *ex, open_file *f)
{
    open_file *dead = NULL;

    pthread_mutex_lock(&ex->lock);
    f->refs--;
    trim_files(ex, &dead);
    pthread_mutex_unlock(&ex->lock);
    close_list(dead);
}

/* ---- one partition ----------------------------------------------------------------- */

/* Prefix err->msg with a context (keeping code and place). */
static int err_prefix(ddf_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int err_prefix(ddf_error *err, int rc, const char *fmt, ...)
{
    char pre[128], msg[DDF_ERROR_MSG_BYTES];
    ddf_error keep = *err;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "%s", err->msg);
    ddf_error_setf(err, rc, "%s: %s", pre, msg);
    err->line = keep.line;
    err->column = keep.column;
    err->offset = keep.offset;
    return rc;
}

/* The parsed table of partition 'pp', from the cache or parsed and cached, in *out with a
 * reference the caller releases. */
static int load_part(run_ctx *ctx, const ddf_plan_part *pp, ddf_exec_result *r,
                     ddf_cache_entry **out)
{
    ddf_exec *ex = ctx->ex;
    char real[PATH_MAX];
    struct stat st;
    ddf_cache_key key;
    ddf_csv_report report;
    ddf_split_part part;
    ddf_cache_entry *entry = NULL;
    open_file *f = NULL;
    ddf_table *t = NULL;
    size_t bytes;
    bool load;
    int rc;

    *out = NULL;
    rc = ddf_plan_resolve_file(ex->data_root, pp->path, real, sizeof(real), &st, &r->err);
    if (rc < 0)
        return rc;
    if (pp->offset > (uint64_t)st.st_size || pp->length > (uint64_t)st.st_size - pp->offset)
        return ddf_error_setf(&r->err, DDF_EINVAL, "%.200s: bytes [%llu, %llu) are past the "
                              "end of the file (%llu bytes)", pp->path,
                              (unsigned long long)pp->offset,
                              (unsigned long long)(pp->offset + pp->length),
                              (unsigned long long)st.st_size);
    key.path = real;
    key.size = (uint64_t)st.st_size;
    key.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    key.offset = pp->offset;
    key.length = pp->length;
    key.opts_hash = ctx->opts_hash;
    key.file_hash = ctx->file_hash;
    rc = ddf_cache_acquire_covering(ex->cache, &key, &ctx->want, &entry, &load, &r->err);
    if (rc < 0)
        return rc;
    if (!load) {
        r->cache_hit = true;
        goto check_budget;
    }

    /* This job loads the partition; jobs wanting it meanwhile wait in the cache. */
    rc = get_file(ex, real, &st, key.mtime_ns, ctx->plan, ctx->opts_hash, &f, &r->err);
    if (rc < 0) {
        ddf_cache_abandon(ex->cache, entry);
        return rc;
    }
    part.offset = pp->offset;
    part.length = pp->length;
    part.first_line = pp->first_line ? pp->first_line : 1;
    ddf_csv_report_init(&report);
    rc = ddf_csv_read_block(f->file, ctx->plan->schema, &part, &t, &report, &r->err);
    put_file(ex, f);
    r->bad_lines = report.bad_lines;
    for (size_t w = 0; w < report.nwarnings; w++) { /* taken from the report */
        r->warnings[r->nwarnings++] = report.warnings[w];
        report.warnings[w] = NULL;
    }
    report.nwarnings = 0;
    if (rc == DDF_EWIDEN && report.needed) {
        r->needed = report.needed;
        r->nneeded = ctx->plan->schema->ncols;
        report.needed = NULL;
    }
    ddf_csv_report_fini(&report);
    if (rc < 0) {
        ddf_cache_abandon(ex->cache, entry);
        return rc;
    }
    ddf_cache_fill(ex->cache, entry, t); /* kept out of the cache when over the budget */

check_budget:
    /* A partition larger than the whole budget could only run by ignoring the limit. */
    bytes = ddf_table_bytes(ddf_cache_entry_table(entry));
    if (bytes > ddf_cache_get_budget(ex->cache)) {
        ddf_cache_release(ex->cache, entry);
        return ddf_error_setf(&r->err, DDF_ETOOBIG, "partition %llu (%.120s, %llu bytes at "
                              "%llu) needs %zu bytes parsed, over the worker's memory budget "
                              "of %zu bytes", (unsigned long long)pp->index, pp->path,
                              (unsigned long long)pp->length, (unsigned long long)pp->offset,
                              bytes, ddf_cache_get_budget(ex->cache));
    }
    *out = entry;
    return DDF_OK;
}

/* A view of columns cols[0..n) of 'in' sharing its buffers, allocated in 'scratch'. */
static int select_view(const ddf_table *in, const size_t *cols, size_t n, ddf_arena *scratch,
                       ddf_table **out, ddf_error *err)
{
    ddf_table *v = ddf_arena_calloc(scratch, 1, sizeof(*v));

    if (v) {
        v->names = ddf_arena_calloc(scratch, n ? n : 1, sizeof(char *));
        v->columns = ddf_arena_calloc(scratch, n ? n : 1, sizeof(ddf_column));
    }
    if (v == NULL || v->names == NULL || v->columns == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory selecting columns");
    v->arena = in->arena; /* borrowed: a view is never freed */
    v->ncols = n;
    v->nrows = in->nrows;
    for (size_t i = 0; i < n; i++) {
        v->names[i] = in->names[cols[i]];
        v->columns[i] = in->columns[cols[i]];
    }
    *out = v;
    return DDF_OK;
}

/* df[name] = expr over every row of 'in' without copying its other columns: a view whose
 * column 'name' (replaced in place, or appended) is the evaluated one, in 'scratch'. A
 * row-wise apply on a wide partition would otherwise copy every column, strings too, to
 * add one. Returns 1 when it cannot (a selection is pending, the column limit), and the
 * caller copies with ddf_frame_ops_assign. */
static int assign_view(const ddf_table *in, const char *name, const ddf_expr *expr,
                       ddf_arena *scratch, ddf_table **out, ddf_error *err)
{
    size_t at = in->ncols, n;
    ddf_column value;
    ddf_table *v;
    int rc;

    for (size_t c = 0; c < in->ncols && at == in->ncols; c++)
        if (strcmp(in->names[c], name) == 0)
            at = c;
    n = in->ncols + (at == in->ncols);
    if (n > DDF_MAX_COLUMNS)
        return 1;
    rc = ddf_eval(expr, in, NULL, 0, scratch, &value, err);
    if (rc < 0)
        return rc;
    if (value.length != in->nrows || value.dtype == DDF_DTYPE_NULL)
        return ddf_error_setf(err, DDF_EINVAL, "expression gave %zu rows of %s, expected %zu",
                              value.length, ddf_dtype_name(value.dtype), in->nrows);
    v = ddf_arena_calloc(scratch, 1, sizeof(*v));
    if (v) {
        v->names = ddf_arena_calloc(scratch, n, sizeof(char *));
        v->columns = ddf_arena_calloc(scratch, n, sizeof(ddf_column));
    }
    if (v == NULL || v->names == NULL || v->columns == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory assigning '%s'", name);
    v->arena = in->arena; /* borrowed: a view is never freed */
    v->ncols = n;
    v->nrows = in->nrows;
    for (size_t c = 0; c < in->ncols; c++) {
        v->names[c] = in->names[c];
        v->columns[c] = in->columns[c];
    }
    v->names[at] = (char *)name;
    v->columns[at] = value;
    *out = v;
    return DDF_OK;
}

/* A one-row table of one int64 column. */
static int one_int_table(const char *name, int64_t v, ddf_table **out, ddf_error *err)
{
    ddf_table *t = ddf_table_new(1);

    *out = NULL;
    if (t == NULL || ddf_table_set_column(t, 0, name, strlen(name), DDF_DTYPE_INT64) < 0 ||
        ddf_column_append_i64(&t->columns[0], t->arena, v) < 0) {
        ddf_table_free(t);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    t->nrows = 1;
    *out = t;
    return DDF_OK;
}

/* REDUCE's partial from its states: each state's table (ddf_agg_states_to_table), side by
 * side in one row (plan.h). */
static int reduce_table(const ddf_agg_state *states, size_t n, ddf_arena *scratch,
                        ddf_table **out, ddf_error *err)
{
    ddf_table **parts = ddf_calloc(n ? n : 1, sizeof(*parts));
    ddf_table wide = {0};
    int rc = DDF_OK;

    *out = NULL;
    if (parts == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == DDF_OK; i++)
        rc = ddf_agg_states_to_table(&states[i], 1, &parts[i], err);
    if (rc == DDF_OK) {
        size_t w = 0;

        for (size_t i = 0; i < n; i++)
            w += parts[i]->ncols;
        wide.ncols = w;
        wide.nrows = 1;
        wide.names = ddf_arena_calloc(scratch, w, sizeof(char *));
        wide.columns = ddf_arena_calloc(scratch, w, sizeof(ddf_column));
        if (wide.names == NULL || wide.columns == NULL) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        } else {
            w = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < parts[i]->ncols; k++, w++) {
                    wide.names[w] = parts[i]->names[k];
                    wide.columns[w] = parts[i]->columns[k];
                }
            rc = ddf_frame_ops_take(&wide, NULL, 0, out, err);
        }
    }
    for (size_t i = 0; i < n; i++)
        ddf_table_free(parts[i]);
    ddf_free(parts);
    return rc;
}

/* Initialise one state per aggregation of the plan over the columns of 'cur' (strings
 * copied into 'arena'); *ninit says how many to fini, on error too. */
static int reduce_init(const ddf_plan *plan, const ddf_plan_compiled *c, const ddf_table *cur,
                       ddf_arena *arena, ddf_agg_state *states, size_t *ninit, ddf_error *err)
{
    *ninit = 0;
    for (size_t i = 0; i < plan->terminal.naggs; i++) {
        int rc = ddf_agg_init(&states[i], c->aggs[i].kind, cur->columns[c->aggs[i].col].dtype,
                              arena, err);
        if (rc < 0)
            return rc;
        *ninit = i + 1;
    }
    return DDF_OK;
}

static void reduce_fini(ddf_agg_state *states, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ddf_agg_fini(&states[i]);
}

/* REDUCE: one state per aggregation over the rows, serialized side by side (plan.h). */
static int reduce_partial(const ddf_plan *plan, const ddf_plan_compiled *c,
                          const ddf_table *cur, const uint32_t *sel, size_t nsel,
                          uint64_t part, ddf_arena *scratch, ddf_table **out, ddf_error *err)
{
    size_t n = plan->terminal.naggs, ninit;
    ddf_agg_state *states = ddf_calloc(n ? n : 1, sizeof(*states));
    int rc;

    *out = NULL;
    if (states == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    rc = reduce_init(plan, c, cur, scratch, states, &ninit, err);
    for (size_t i = 0; i < n && rc == DDF_OK; i++)
        rc = ddf_agg_update(&states[i], &cur->columns[c->aggs[i].col], sel, nsel, part, err);
    if (rc == DDF_OK)
        rc = reduce_table(states, n, scratch, out, err);
    reduce_fini(states, ninit);
    ddf_free(states);
    return rc;
}

static int write_csv_part(ddf_exec *ex, const ddf_plan *plan, const ddf_table *cur,
                          const uint32_t *sel, size_t nsel, uint64_t index, ddf_error *err);

/* The terminal step's partial over rows 'sel' of 'cur'. */
static int terminal(run_ctx *ctx, const ddf_plan_part *pp, const ddf_table *cur,
                    const uint32_t *sel, size_t nsel, size_t rows, ddf_arena *scratch,
                    ddf_table **out, ddf_error *err)
{
    const ddf_terminal *t = &ctx->plan->terminal;
    const ddf_plan_compiled *c = ctx->compiled;
    int rc;

    switch (t->kind) {
    case DDF_TERM_COUNT:
        return one_int_table("count", (int64_t)rows, out, err);
    case DDF_TERM_HEAD:
        /* head(-k) drops the last k rows of the whole frame, which one partition cannot
         * know: it sends every row and the client cuts. */
        if (t->n < 0)
            return ddf_frame_ops_take(cur, sel, nsel, out, err);
        return ddf_frame_ops_head(cur, sel, nsel, t->n, out, err);
    case DDF_TERM_TAIL:
        if (t->n < 0)
            return ddf_frame_ops_take(cur, sel, nsel, out, err);
        return ddf_frame_ops_tail(cur, sel, nsel, t->n, out, err);
    case DDF_TERM_COLLECT:
        return ddf_frame_ops_take(cur, sel, nsel, out, err);
    case DDF_TERM_REDUCE:
        return reduce_partial(ctx->plan, c, cur, sel, nsel, pp->index, scratch, out, err);
    case DDF_TERM_GROUPBY: {
        ddf_groupby *gb = NULL;

        rc = ddf_groupby_new(cur, c->keys, t->nkeys, c->aggs, t->naggs, t->dropna, &gb, err);
        if (rc < 0)
            return rc;
        rc = ddf_groupby_update(gb, cur, sel, nsel, pp->index, err);
        if (rc == DDF_OK)
            rc = ddf_groupby_to_table(gb, out, err);
        ddf_groupby_free(gb);
        return rc;
    }
    case DDF_TERM_VALUE_COUNTS: {
        const ddf_column *col = &cur->columns[c->column];
        ddf_value_counts *vc = NULL;

        rc = ddf_value_counts_new(col->dtype, t->dropna, &vc, err);
        if (rc < 0)
            return rc;
        rc = ddf_value_counts_update(vc, col, sel, nsel, pp->index, err);
        if (rc == DDF_OK)
            rc = ddf_value_counts_to_table(vc, out, err);
        ddf_value_counts_free(vc);
        return rc;
    }
    case DDF_TERM_TOPK: {
        ddf_topk *tk = NULL;

        rc = ddf_topk_new(cur, c->keys, t->nkeys, (size_t)t->n, t->largest, t->keep, &tk, err);
        if (rc < 0)
            return rc;
        rc = ddf_topk_update(tk, cur, sel, nsel, pp->index, err);
        if (rc == DDF_OK)
            rc = ddf_topk_to_table(tk, out, err);
        ddf_topk_free(tk);
        return rc;
    }
    case DDF_TERM_WRITE_CSV:
        rc = write_csv_part(ctx->ex, ctx->plan, cur, sel, nsel, pp->index, err);
        return rc < 0 ? rc : one_int_table("rows", (int64_t)rows, out, err);
    }
    return ddf_error_setf(err, DDF_EINVAL, "unknown terminal step %d", (int)t->kind);
}

/* The pipeline and the terminal step over the parsed partition 'in'. */
static int run_pipeline(run_ctx *ctx, const ddf_plan_part *pp, const ddf_table *in,
                        ddf_exec_result *r)
{
    const ddf_plan *plan = ctx->plan;
    const ddf_plan_compiled *c = ctx->compiled;
    ddf_arena *scratch = ddf_arena_new();
    const ddf_table *cur = in;
    ddf_table *owned = NULL; /* the last table an assign made: 'cur' or under it */
    uint32_t *sel = NULL;
    size_t nsel = 0, rows;
    int rc = DDF_OK;

    if (scratch == NULL)
        return ddf_error_setf(&r->err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < plan->nsteps && rc == DDF_OK; i++) {
        const ddf_plan_cstep *cs = &c->steps[i];

        switch (cs->kind) {
        case DDF_STEP_FILTER: {
            uint32_t *nsel_rows;
            size_t n;

            rc = ddf_eval_filter(cs->expr, cur, sel, nsel, scratch, &nsel_rows, &n, &r->err);
            if (rc == DDF_OK) {
                sel = nsel_rows;
                nsel = n;
            }
            break;
        }
        case DDF_STEP_ASSIGN: {
            ddf_table *t = NULL;
            const char *name = plan->steps[i].name;

            rc = sel == NULL ? assign_view(cur, name, cs->expr, scratch, &t, &r->err) : 1;
            if (rc == DDF_OK) {
                cur = t;
                break;
            }
            if (rc > 0)
                rc = ddf_frame_ops_assign(cur, sel, nsel, name, strlen(name), cs->expr,
                                          scratch, &t, &r->err);
            if (rc == DDF_OK) {
                ddf_table_free(owned);
                owned = t;
                cur = t;
                sel = NULL;
                nsel = 0;
            }
            break;
        }
        case DDF_STEP_SELECT: {
            ddf_table *v = NULL;

            rc = select_view(cur, cs->cols, cs->ncols, scratch, &v, &r->err);
            if (rc == DDF_OK)
                cur = v;
            break;
        }
        }
        if (rc < 0)
            err_prefix(&r->err, rc, "plan.steps[%zu]", i);
    }
    if (rc == DDF_OK) {
        rows = sel ? nsel : cur->nrows;
        r->rows_out = rows;
        rc = terminal(ctx, pp, cur, sel, nsel, rows, scratch, &r->table, &r->err);
    }
    ddf_table_free(owned);
    ddf_arena_free(scratch);
    return rc;
}

/* Whether 't' has exactly the plan schema's columns in its order (not so when a wider
 * cached table serves the plan). */
static bool schema_order(const run_ctx *ctx, const ddf_table *t)
{
    if (t->ncols != ctx->want.n)
        return false;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], ctx->want.names[c]) != 0)
            return false;
    return true;
}

/* The plan schema's columns of a wider cached table (ddf_cache_acquire_covering), in the
 * schema's order, as a view sharing its buffers; names and columns are the caller's to
 * free. */
static int schema_view(const run_ctx *ctx, const ddf_table *t, ddf_table *view,
                       ddf_error *err)
{
    const ddf_cache_want *w = &ctx->want;

    view->names = ddf_calloc(w->n ? w->n : 1, sizeof(char *));
    view->columns = ddf_calloc(w->n ? w->n : 1, sizeof(ddf_column));
    if (view->names == NULL || view->columns == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->n; i++) {
        size_t c = 0;

        while (c < t->ncols && strcmp(t->names[c], w->names[i]) != 0)
            c++;
        if (c == t->ncols || t->columns[c].dtype != w->dtypes[i])
            return ddf_error_setf(err, DDF_ECORRUPT, "cached partition lacks column '%s'",
                                  w->names[i]);
        view->names[i] = t->names[c];
        view->columns[i] = t->columns[c];
    }
    view->arena = t->arena; /* borrowed: a view is never freed as a table */
    view->ncols = w->n;
    view->nrows = t->nrows;
    return DDF_OK;
}

/* ---- fused slices ------------------------------------------------------------------ */

/* Terminals that fold rows into one state per partition (count, reduce, group-by) run the
 * pipeline over consecutive slices of ex->slice_rows rows instead of the whole partition:
 * a slice is a view of the cached table (slice_column), its filters and assigns write
 * temporaries of a few KiB into a scratch arena reset per slice, so they stay in L1/L2
 * instead of streaming partition-sized columns through memory, and the terminal folds
 * each slice into the one state (agg.h's streams, ddf_groupby_update is cumulative).
 *
 * The result is the whole-partition path's, bit for bit: rows reach the state in the same
 * order, a float sum keeps its lanes across slices (ddf_agg_stream), first/last number
 * rows from the slice's start. Two differences are handled by not slicing, for the states
 * that keep the row of their value (first/last, min/max in a full ddf_agg_state): an
 * assign after a filter is evaluated over the slice's every row with the selection kept
 * (the whole path materializes the selected rows, so its row numbers are the compacted
 * ones), and a group-by, whose rows ddf_groupby_update numbers within the table it is
 * given. Errors: a slice evaluates rows the whole path would not (the assign above) and
 * meets steps in another order, so on any error the partition runs again whole and
 * reports what that path says. */

/* Rows [start, start + n) of 'src' as a view in *dst: value pointers advanced by 'start',
 * the validity bitmap by start / 8 ('start' a multiple of 8) with the slice's nulls
 * counted, dropped when there are none. String offsets are advanced too, so a slice's
 * offsets[0] is not 0: readers on this path use offset differences (ddf_column_str). The
 * one place that knows a column's layout: a new per-row buffer is advanced here. */
static void slice_column(const ddf_column *src, size_t start, size_t n, ddf_column *dst)
{
    *dst = *src;
    dst->length = n;
    dst->capacity = n;
    switch (src->dtype) {
    case DDF_DTYPE_BOOL:
        dst->values.b8 = src->values.b8 + start;
        break;
    case DDF_DTYPE_STRING:
        if (src->codes != NULL) /* a dictionary's offsets index its entries, not rows */
            dst->codes = src->codes + start;
        else
            dst->values.offsets = src->values.offsets + start;
        break;
    case DDF_DTYPE_NULL:
        break;
    default:
        dst->values.i64 = src->values.i64 + start;
        if (src->i8 != NULL)
            dst->i8 = src->i8 + start;
        break;
    }
    dst->null_count = 0;
    if (src->validity == NULL || src->null_count == 0) {
        dst->validity = NULL;
        return;
    }
    {
        const uint8_t *v = src->validity + start / 8;

        dst->null_count = n - ddf_bitmap_count(v, n);
        dst->validity = dst->null_count ? (uint8_t *)v : NULL;
    }
}

/* Whether 'plan' runs in slices over a partition of 'nrows' rows; *lanes says whether the
 * whole path's terminal sees no selection (agg.h's streams need to know). */
static bool fusable(const ddf_exec *ex, const ddf_plan *plan, const ddf_plan_compiled *c,
                    size_t nrows, bool *lanes)
{
    const ddf_terminal *t = &plan->terminal;
    bool filtered = false, compacts = false, work = false, keeps_rows = false;

    if (ex->slice_rows == DDF_EXEC_NO_SLICES || nrows <= ex->slice_rows)
        return false; /* one slice is the whole partition */
    if (t->kind != DDF_TERM_COUNT && t->kind != DDF_TERM_REDUCE &&
        t->kind != DDF_TERM_GROUPBY)
        return false;
    for (size_t i = 0; i < plan->nsteps; i++) {
        if (c->steps[i].kind == DDF_STEP_FILTER) {
            filtered = true;
            work = true;
        } else if (c->steps[i].kind == DDF_STEP_ASSIGN) {
            compacts |= filtered; /* the whole path materializes the selected rows */
            filtered = false;
            work = true;
        }
    }
    if (!work)
        return false; /* nothing to fuse: the terminal reads the cached columns as is */
    for (size_t i = 0; t->kind != DDF_TERM_COUNT && i < t->naggs; i++) {
        ddf_agg_kind k = c->aggs[i].kind;

        /* states that keep the row of their value: first/last, and min/max in a full
         * state (every reduce; a group-by's of strings, its numbers have compact cells) */
        if (k == DDF_AGG_FIRST || k == DDF_AGG_LAST)
            keeps_rows = true;
        else if ((k == DDF_AGG_MIN || k == DDF_AGG_MAX) &&
                 (t->kind == DDF_TERM_REDUCE ||
                  c->out->fields[c->aggs[i].col].dtype == DDF_DTYPE_STRING))
            keeps_rows = true;
    }
    if (keeps_rows && (compacts || t->kind == DDF_TERM_GROUPBY))
        return false;
    *lanes = !filtered;
    return true;
}

/* What one partition's slices fold into. */
typedef struct fold {
    uint64_t rows;            /* rows out of the pipeline so far */
    bool started;             /* states made (on the first slice: they need its dtypes) */
    ddf_agg_state *states;    /* REDUCE: plan->terminal.naggs */
    ddf_agg_stream *streams;
    size_t ninit;             /* states to fini */
    ddf_groupby *gb;          /* GROUPBY */
} fold;

/* Fold the rows 'sel' of slice 'cur' (rows from 'start' of the partition) in. */
static int fold_slice(run_ctx *ctx, const ddf_plan_part *pp, fold *f, const ddf_table *cur,
                      const uint32_t *sel, size_t nsel, size_t start, bool lanes,
                      ddf_arena *keep, ddf_error *err)
{
    const ddf_plan *plan = ctx->plan;
    const ddf_plan_compiled *c = ctx->compiled;
    const ddf_terminal *t = &plan->terminal;
    int rc = DDF_OK;

    f->rows += sel ? nsel : cur->nrows;
    if (t->kind == DDF_TERM_REDUCE) {
        if (!f->started) {
            size_t n = t->naggs ? t->naggs : 1;

            f->states = ddf_arena_calloc(keep, n, sizeof(*f->states));
            f->streams = ddf_arena_calloc(keep, n, sizeof(*f->streams));
            if (f->states == NULL || f->streams == NULL)
                return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            f->started = true;
            rc = reduce_init(plan, c, cur, keep, f->states, &f->ninit, err);
            for (size_t i = 0; i < f->ninit; i++)
                ddf_agg_stream_init(&f->streams[i], &f->states[i], lanes);
        }
        for (size_t i = 0; i < t->naggs && rc == DDF_OK; i++)
            rc = ddf_agg_stream_update(&f->streams[i], &f->states[i],
                                       &cur->columns[c->aggs[i].col], sel, nsel, pp->index,
                                       start, err);
    } else if (t->kind == DDF_TERM_GROUPBY) {
        if (!f->started) {
            f->started = true;
            rc = ddf_groupby_new(cur, c->keys, t->nkeys, c->aggs, t->naggs, t->dropna, &f->gb,
                                 err);
        }
        if (rc == DDF_OK)
            rc = ddf_groupby_update(f->gb, cur, sel, nsel, pp->index, err);
    }
    return rc;
}

/* A slice's sum or mean of the column its last step assigns, fed block by block. */
typedef struct sum_fold {
    ddf_agg_stream *stream;
    ddf_agg_state *state;
    uint64_t part;
    uint64_t row_base; /* the slice's first row in the partition */
} sum_fold;

static int fold_sum_block(void *arg, const ddf_column *block, size_t start, ddf_error *err)
{
    sum_fold *s = arg;

    return ddf_agg_stream_update(s->stream, s->state, block, NULL, 0, s->part,
                                 s->row_base + start, err);
}

/* Whether the slices of 'plan' may fold its last step, an assign of a float64
 * expression, straight into its one aggregation, a sum or mean of that column
 * (sums_assigned says when a slice does): float arithmetic is added to the lanes in
 * registers (ddf_eval_sum_lanes), anything else ddf_eval_fold hands over a few KiB at a
 * time, so the column is never written whole and read back. Either way the lanes take
 * the column's rows in order, as they take the column, so the sum has the same bits. */
static bool folds_assigned_sum(const ddf_plan *plan, const ddf_plan_compiled *c, bool lanes)
{
    const ddf_terminal *t = &plan->terminal;

    if (!lanes || plan->nsteps == 0 || t->kind != DDF_TERM_REDUCE || t->naggs != 1 ||
        c->steps[plan->nsteps - 1].kind != DDF_STEP_ASSIGN)
        return false;
    return (c->aggs[0].kind == DDF_AGG_SUM || c->aggs[0].kind == DDF_AGG_MEAN) &&
           c->steps[plan->nsteps - 1].expr->dtype == DDF_DTYPE_FLOAT64;
}

/* Whether the last step, run on 'cur' with no rows selected, assigns the column the
 * aggregation reads (the index assign_view would give it). */
static bool sums_assigned(const ddf_plan *plan, const ddf_plan_compiled *c,
                          const ddf_table *cur)
{
    const char *name = plan->steps[plan->nsteps - 1].name;
    size_t at = cur->ncols;

    for (size_t k = 0; k < cur->ncols && at == cur->ncols; k++)
        if (strcmp(cur->names[k], name) == 0)
            at = k;
    return at == c->aggs[0].col && at < DDF_MAX_COLUMNS;
}

/* The slice's last step and reduction folded (folds_assigned_sum). */
static int fold_assigned_sum(run_ctx *ctx, const ddf_plan_part *pp, fold *f,
                             const ddf_table *cur, const ddf_expr *expr, size_t start,
                             bool lanes, ddf_arena *scratch, ddf_arena *keep, ddf_error *err)
{
    const ddf_plan_compiled *c = ctx->compiled;
    sum_fold s;
    int rc;

    if (!f->started) {
        f->states = ddf_arena_calloc(keep, 1, sizeof(*f->states));
        f->streams = ddf_arena_calloc(keep, 1, sizeof(*f->streams));
        if (f->states == NULL || f->streams == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        f->started = true;
        if ((rc = ddf_agg_init(&f->states[0], c->aggs[0].kind, expr->dtype, keep, err)) < 0)
            return rc;
        f->ninit = 1;
        ddf_agg_stream_init(&f->streams[0], &f->states[0], lanes);
    }
    f->rows += cur->nrows;
    if (ddf_agg_stream_at_lane0(&f->streams[0])) { /* the usual slice: added in registers */
        ddf_agg_stream *st = &f->streams[0];

        rc = ddf_eval_sum_lanes(expr, cur, scratch, st->sum, st->comp, &st->count, err);
        if (rc <= 0)
            return rc;
    }
    s = (sum_fold){&f->streams[0], &f->states[0], pp->index, start};
    return ddf_eval_fold(expr, cur, scratch, fold_sum_block, &s, err);
}

/* The partial of what 'f' folded. */
static int fold_finish(run_ctx *ctx, fold *f, ddf_arena *keep, ddf_table **out,
                       ddf_error *err)
{
    const ddf_terminal *t = &ctx->plan->terminal;

    switch (t->kind) {
    case DDF_TERM_REDUCE:
        for (size_t i = 0; i < f->ninit; i++)
            ddf_agg_stream_finish(&f->streams[i], &f->states[i]);
        return reduce_table(f->states, t->naggs, keep, out, err);
    case DDF_TERM_GROUPBY:
        return ddf_groupby_to_table(f->gb, out, err);
    default:
        return one_int_table("count", (int64_t)f->rows, out, err);
    }
}

/* The pipeline over rows [start, start + n) of 'in' and the fold of its result. 'view'
 * is the slice's table, its columns rewritten here. */
static int run_slice(run_ctx *ctx, const ddf_plan_part *pp, const ddf_table *in,
                     ddf_table *view, size_t start, size_t n, bool lanes, bool sum_folds,
                     fold *f, ddf_arena *scratch, ddf_arena *keep, ddf_error *err)
{
    const ddf_plan *plan = ctx->plan;
    const ddf_plan_compiled *c = ctx->compiled;
    const ddf_table *cur = view;
    uint32_t *sel = NULL;
    size_t nsel = 0;
    int rc = DDF_OK;

    view->nrows = n;
    for (size_t k = 0; k < in->ncols; k++)
        slice_column(&in->columns[k], start, n, &view->columns[k]);
    for (size_t i = 0; i < plan->nsteps && rc == DDF_OK; i++) {
        const ddf_plan_cstep *cs = &c->steps[i];
        ddf_table *t = NULL;

        switch (cs->kind) {
        case DDF_STEP_FILTER: {
            uint32_t *rows;
            size_t k;

            rc = ddf_eval_filter(cs->expr, cur, sel, nsel, scratch, &rows, &k, err);
            if (rc == DDF_OK) {
                sel = rows;
                nsel = k;
            }
            break;
        }
        case DDF_STEP_ASSIGN:
            if (sum_folds && i + 1 == plan->nsteps && sel == NULL &&
                sums_assigned(plan, c, cur))
                return fold_assigned_sum(ctx, pp, f, cur, cs->expr, start, lanes, scratch,
                                         keep, err);
            /* over every row of the slice, the selection kept (see above) */
            rc = assign_view(cur, plan->steps[i].name, cs->expr, scratch, &t, err);
            if (rc > 0)
                rc = ddf_error_setf(err, DDF_ETOOBIG, "too many columns");
            break;
        case DDF_STEP_SELECT:
            rc = select_view(cur, cs->cols, cs->ncols, scratch, &t, err);
            break;
        }
        if (rc == DDF_OK && t)
            cur = t;
    }
    if (rc == DDF_OK)
        rc = fold_slice(ctx, pp, f, cur, sel, nsel, start, lanes, keep, err);
    return rc;
}

/* The pipeline and terminal over 'in' in slices (fusable() said yes). DDF_OK with
 * r->table set, or a negative code after which the caller runs the partition whole. */
static int run_sliced(run_ctx *ctx, const ddf_plan_part *pp, const ddf_table *in, bool lanes,
                      ddf_exec_result *r)
{
    size_t step = ctx->ex->slice_rows;
    bool sum_folds = folds_assigned_sum(ctx->plan, ctx->compiled, lanes);
    ddf_arena *scratch = ddf_arena_new(), *keep = ddf_arena_new();
    ddf_table view = {0};
    fold f = {0};
    int rc = DDF_OK;

    if (scratch == NULL || keep == NULL) {
        rc = ddf_error_setf(&r->err, DDF_ENOMEM, "out of memory");
        goto out;
    }
    view.arena = in->arena; /* borrowed: a view is never freed */
    view.ncols = in->ncols;
    view.names = in->names;
    view.columns = ddf_arena_calloc(keep, in->ncols ? in->ncols : 1, sizeof(ddf_column));
    if (view.columns == NULL) {
        rc = ddf_error_setf(&r->err, DDF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t start = 0; start < in->nrows && rc == DDF_OK; start += step) {
        ddf_arena_rewind(scratch); /* the last slice's buffers, still in cache */
        rc = run_slice(ctx, pp, in, &view, start, in->nrows - start < step ? in->nrows - start
                                                                          : step,
                       lanes, sum_folds, &f, scratch, keep, &r->err);
    }
    if (rc == DDF_OK) {
        rc = fold_finish(ctx, &f, keep, &r->table, &r->err);
        r->rows_out = f.rows;
    }
out:
    reduce_fini(f.states, f.ninit);
    ddf_groupby_free(f.gb);
    ddf_arena_free(keep);
    ddf_arena_free(scratch);
    return rc;
}

static void run_job(void *arg, size_t i)
{
    run_ctx *ctx = arg;
    const ddf_plan_part *pp = &ctx->plan->parts[i];
    ddf_exec_result *r = &ctx->results[i];
    ddf_cache_entry *entry = NULL;
    int rc;

    r->index = pp->index;
    ddf_error_init(&r->err);
    rc = load_part(ctx, pp, r, &entry);
    if (rc == DDF_OK) {
        const ddf_table *t = ddf_cache_entry_table(entry);
        ddf_table view = {0};

        bool lanes = true;

        if (ctx->file_hash != 0 && !schema_order(ctx, t))
            rc = schema_view(ctx, t, &view, &r->err);
        if (rc == DDF_OK) {
            const ddf_table *in = view.columns ? &view : t;

            r->rows_read = t->nrows;
            rc = fusable(ctx->ex, ctx->plan, ctx->compiled, in->nrows, &lanes)
                     ? run_sliced(ctx, pp, in, lanes, r)
                     : 1;
            if (rc < 0) { /* run whole: its error, or its result (see fused slices) */
                ddf_table_free(r->table);
                r->table = NULL;
                ddf_error_init(&r->err);
            }
            if (rc != DDF_OK)
                rc = run_pipeline(ctx, pp, in, r);
        }
        ddf_free(view.names);
        ddf_free(view.columns);
    }
    ddf_cache_release(ctx->ex->cache, entry);
    if (rc < 0) {
        ddf_table_free(r->table);
        r->table = NULL;
        if (r->err.code == DDF_OK)
            ddf_error_setf(&r->err, rc, "%s", ddf_strerror(rc));
    }
    r->status = rc;
    pthread_mutex_lock(&ctx->ex->lock);
    ctx->ex->parts_run++;
    pthread_mutex_unlock(&ctx->ex->lock);
}

int ddf_exec_run(ddf_exec *ex, const ddf_plan *plan, ddf_exec_result **results,
                 ddf_error *err)
{
    ddf_plan_compiled compiled;
    run_ctx ctx;
    ddf_arena *arena;
    int rc;

    *results = NULL;
    if (plan->nparts > DDF_PLAN_MAX_PARTS || (plan->nparts && plan->parts == NULL))
        return ddf_error_setf(err, DDF_EINVAL, "plan.parts: %zu partitions, the limit is %d",
                              plan->nparts, DDF_PLAN_MAX_PARTS);
    arena = ddf_arena_new();
    if (arena == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory running the plan");
    rc = ddf_plan_compile(plan, arena, &compiled, err);
    if (rc < 0)
        goto out_arena;
    ctx.results = ddf_calloc(plan->nparts ? plan->nparts : 1, sizeof(*ctx.results));
    if (ctx.results == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory for %zu results", plan->nparts);
        goto out_compiled;
    }
    ctx.ex = ex;
    ctx.plan = plan;
    ctx.compiled = &compiled;
    ctx.opts_hash = ddf_plan_read_hash(plan);
    ctx.file_hash = 0;
    ctx.want = (ddf_cache_want){0};
    if (plan->schema != NULL && plan->schema->ncols > 0) {
        const char **names = ddf_arena_calloc(arena, plan->schema->ncols, sizeof(char *));
        ddf_dtype *dtypes = ddf_arena_calloc(arena, plan->schema->ncols, sizeof(ddf_dtype));

        if (names != NULL && dtypes != NULL) { /* else: no sharing, still correct */
            for (size_t c = 0; c < plan->schema->ncols; c++) {
                names[c] = plan->schema->fields[c].name;
                dtypes[c] = plan->schema->fields[c].dtype;
            }
            ctx.want = (ddf_cache_want){names, dtypes, plan->schema->ncols};
            ctx.file_hash = ddf_plan_file_hash(plan);
        }
    }
    ddf_pool_run(ex->pool, run_job, &ctx, plan->nparts);
    *results = ctx.results;
out_compiled:
    ddf_plan_compiled_fini(&compiled);
out_arena:
    ddf_arena_free(arena);
    return rc;
}

/* ---- WRITE_CSV --------------------------------------------------------------------- */

/* A bounded output buffer flushed to a descriptor; the first write error sticks. */
typedef struct out_buf {
    int fd;
    size_t len;
    int error;                /* errno of the first failed write, or 0 */
    char buf[64 * 1024];
} out_buf;

static void ob_flush(out_buf *o)
{
    size_t off = 0;

    while (off < o->len && o->error == 0) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            o->error = n < 0 ? errno : EIO;
        else
            off += (size_t)n;
    }
    o->len = 0;
}

static void ob_put(out_buf *o, const char *s, size_t n)
{
    while (n) {
        size_t k = sizeof(o->buf) - o->len;

        if (k == 0) {
            ob_flush(o);
            continue;
        }
        if (k > n)
            k = n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

/* A string field, quoted as pandas' to_csv does (QUOTE_MINIMAL) when it holds the
 * separator, the quote, or a line break; an empty string is quoted too, so it does not
 * read back as a null. */
static void ob_field(out_buf *o, const char *s, size_t n, char sep, char quote)
{
    bool q = n == 0;

    for (size_t i = 0; i < n && !q; i++)
        q = s[i] == sep || s[i] == quote || s[i] == '\n' || s[i] == '\r';
    if (!q) {
        ob_put(o, s, n);
        return;
    }
    ob_put(o, &quote, 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == quote)
            ob_put(o, &quote, 1);
        ob_put(o, &s[i], 1);
    }
    ob_put(o, &quote, 1);
}

/* A float as Python's repr: the shortest text that reads back to the same double, with
 * ".0" on integral values; NaN is written as null (empty) by the caller. */
static size_t format_double(double v, char *buf, size_t cap)
{
    int n = 0;

    if (isinf(v))
        return (size_t)snprintf(buf, cap, v < 0 ? "-inf" : "inf");
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (strpbrk(buf, ".e") == NULL && (size_t)n + 2 < cap) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}

static void write_value(out_buf *o, const ddf_column *col, size_t row, char sep, char quote)
{
    char num[64];
    size_t n;

    if (!ddf_column_is_valid(col, row))
        return;
    switch (col->dtype) {
    case DDF_DTYPE_INT64:
        n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)col->values.i64[row]);
        ob_put(o, num, n);
        break;
    case DDF_DTYPE_FLOAT64:
        if (!isnan(col->values.f64[row]))
            ob_put(o, num, format_double(col->values.f64[row], num, sizeof(num)));
        break;
    case DDF_DTYPE_BOOL:
        if (col->values.b8[row])
            ob_put(o, "True", 4);
        else
            ob_put(o, "False", 5);
        break;
    case DDF_DTYPE_STRING: {
        const char *s = ddf_column_str(col, row, &n);
        ob_field(o, s, n, sep, quote);
        break;
    }
    case DDF_DTYPE_NULL:
        break;
    }
}

/* The output directory under the data root, created with its missing levels, as a real
 * path. ddf_plan_validate has checked that the levels that exist lie under the root and the
 * missing ones are plain names; the real path is checked again at the end. */
static int out_dir(const char *root, const char *path, char real[PATH_MAX], ddf_error *err)
{
    char full[2 * PATH_MAX];
    size_t n = strlen(root);
    int k = path[0] == '/' ? snprintf(full, sizeof(full), "%s", path)
                           : snprintf(full, sizeof(full), "%s/%s", root, path);

    if (k < 0 || (size_t)k >= sizeof(full))
        return ddf_error_setf(err, DDF_ETOOBIG, "%.200s: path too long", path);
    for (char *p = full + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(full, 0777) < 0 && errno != EEXIST) {
            int e = errno;

            *p = '/';
            return ddf_error_setf(err, DDF_EIO, "%.200s: %s", path, strerror(e));
        }
        *p = '/';
    }
    if (mkdir(full, 0777) < 0 && errno != EEXIST)
        return ddf_error_setf(err, DDF_EIO, "%.200s: %s", path, strerror(errno));
    if (realpath(full, real) == NULL)
        return ddf_error_setf(err, DDF_EIO, "%.200s: %s", path, strerror(errno));
    if (!(n == 1 || (strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0'))))
        return ddf_error_setf(err, DDF_EINVAL, "%.200s: outside the worker's data root", path);
    return DDF_OK;
}

/* Write rows 'sel' of 'cur' to <path>/<name> with the partition's index for the '*' of
 * the name (part-<index>.csv by default): header, then rows, through a temporary file
 * renamed into place so a reader never sees half a part. */
static int write_csv_part(ddf_exec *ex, const ddf_plan *plan, const ddf_table *cur,
                          const uint32_t *sel, size_t nsel, uint64_t index, ddf_error *err)
{
    char dir[PATH_MAX], dst[PATH_MAX + 64], tmp[PATH_MAX + 96];
    char sep = plan->csv.sep ? plan->csv.sep : ',';
    char quote = plan->csv.quote ? plan->csv.quote : '"';
    size_t rows = sel ? nsel : cur->nrows;
    out_buf *o;
    int rc;

    rc = out_dir(ex->data_root, plan->terminal.path, dir, err);
    if (rc < 0)
        return rc;
    {
        const char *name = plan->terminal.name ? plan->terminal.name : DDF_PLAN_CSV_NAME;
        const char *star = strchr(name, '*'); /* validated: exactly one */
        int pre = (int)(star - name);

        snprintf(dst, sizeof(dst), "%s/%.*s%llu%s", dir, pre, name, (unsigned long long)index,
                 star + 1);
        snprintf(tmp, sizeof(tmp), "%s/.%.*s%llu%s.%ld.tmp", dir, pre, name,
                 (unsigned long long)index, star + 1, (long)getpid());
    }
    o = ddf_malloc(sizeof(*o));
    if (o == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory writing %.200s", dst);
    o->len = 0;
    o->error = 0;
    o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (o->fd < 0) {
        rc = ddf_error_setf(err, DDF_EIO, "%.200s: %s", tmp, strerror(errno));
        ddf_free(o);
        return rc;
    }
    for (size_t c = 0; c < cur->ncols; c++) {
        if (c)
            ob_put(o, &sep, 1);
        ob_field(o, cur->names[c], strlen(cur->names[c]), sep, quote);
    }
    ob_put(o, "\n", 1);
    for (size_t i = 0; i < rows && o->error == 0; i++) {
        size_t row = sel ? sel[i] : i;

        for (size_t c = 0; c < cur->ncols; c++) {
            if (c)
                ob_put(o, &sep, 1);
            write_value(o, &cur->columns[c], row, sep, quote);
        }
        ob_put(o, "\n", 1);
    }
    ob_flush(o);
    if (close(o->fd) < 0 && o->error == 0)
        o->error = errno;
    if (o->error == 0 && rename(tmp, dst) < 0)
        o->error = errno;
    if (o->error) {
        rc = ddf_error_setf(err, DDF_EIO, "%.200s: %s", dst, strerror(o->error));
        unlink(tmp);
    }
    ddf_free(o);
    return rc;
}
