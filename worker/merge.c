/* merge.c - merging per-partition partials into an action's result (see merge.h).
 *
 * Each terminal step keeps what its kernel merges into: a running total, the agg states
 * of a reduction, a group-by, a value-counts, a top-k; or, for the row-returning steps,
 * a copy of each partition's rows, concatenated in partition order at the end. A bitmap
 * of partition indexes makes a partial that arrives twice (a rerun) count once. */
#include "merge.h"

#include "agg.h"
#include "alloc.h"
#include "frame_ops.h"
#include "groupby.h"
#include "topk.h"
#include "value_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Partition indexes a merger accepts: a plan has at most DDF_PLAN_MAX_PARTS partitions per
 * worker, a frame far fewer than this many in all. */
#define MAX_INDEX (1u << 24)

#define AGG_FIELDS 12 /* columns of ddf_agg_states_to_table */

typedef struct kept {
    uint64_t index;
    ddf_table *rows;
} kept;

struct ddf_merger {
    ddf_terminal_kind kind;
    int64_t n;
    bool normalize;
    bool spent;
    ddf_schema *schema;
    uint8_t *seen;            /* bit i: partition i added */
    size_t seen_bytes;
    int64_t total;            /* COUNT, WRITE_CSV */
    kept *parts;              /* HEAD, TAIL, COLLECT: in arrival order */
    size_t nparts, cap;
    size_t naggs;             /* REDUCE */
    ddf_plan_agg *aggs;       /* REDUCE: copied column names in 'arena' */
    ddf_agg_state *states;    /* REDUCE */
    ddf_arena *arena;
    ddf_groupby *gb;
    ddf_value_counts *vc;
    ddf_topk *tk;
};

/* A table with the schema's columns and no rows: the 'like' of the kernels' specs. */
static ddf_table *empty_like(const ddf_schema *schema)
{
    ddf_table *t = ddf_table_new(schema->ncols);

    for (size_t c = 0; t && c < schema->ncols; c++)
        if (ddf_table_set_column(t, c, schema->fields[c].name, strlen(schema->fields[c].name),
                                 ddf_schema_storage_dtype(schema, c)) < 0) {
            ddf_table_free(t);
            return NULL;
        }
    return t;
}

static int column_of(const ddf_schema *schema, const char *name, size_t *out, ddf_error *err)
{
    long c = ddf_schema_find(schema, name);

    if (c < 0)
        return ddf_error_setf(err, DDF_EINVAL, "no column '%s' to aggregate or order by",
                              name);
    *out = (size_t)c;
    return DDF_OK;
}

static int new_reduce(ddf_merger *m, const ddf_terminal *t, ddf_error *err)
{
    m->naggs = t->naggs;
    m->arena = ddf_arena_new();
    m->aggs = ddf_calloc(t->naggs ? t->naggs : 1, sizeof *m->aggs);
    m->states = ddf_calloc(t->naggs ? t->naggs : 1, sizeof *m->states);
    if (!m->arena || !m->aggs || !m->states)
        return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    for (size_t j = 0; j < t->naggs; j++) {
        size_t c = 0, len = strlen(t->aggs[j].column);
        char *name = ddf_arena_alloc(m->arena, len + 1);
        int rc = column_of(m->schema, t->aggs[j].column, &c, err);

        if (rc < 0)
            return rc;
        if (name == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
        memcpy(name, t->aggs[j].column, len + 1);
        m->aggs[j].column = name;
        m->aggs[j].kind = t->aggs[j].kind;
        rc = ddf_agg_init(&m->states[j], t->aggs[j].kind,
                          ddf_schema_storage_dtype(m->schema, c), m->arena, err);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

static int new_groupby(ddf_merger *m, const ddf_terminal *t, ddf_error *err)
{
    size_t keys[DDF_GROUPBY_MAX_KEYS];
    ddf_groupby_agg *aggs;
    ddf_table *like;
    int rc = DDF_OK;

    if (t->nkeys < 1 || t->nkeys > DDF_GROUPBY_MAX_KEYS)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: %zu keys (1 to %d allowed)", t->nkeys,
                              DDF_GROUPBY_MAX_KEYS);
    aggs = ddf_calloc(t->naggs ? t->naggs : 1, sizeof *aggs);
    like = empty_like(m->schema);
    if (aggs == NULL || like == NULL)
        rc = ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    for (size_t k = 0; k < t->nkeys && rc == DDF_OK; k++)
        rc = column_of(m->schema, t->keys[k], &keys[k], err);
    for (size_t j = 0; j < t->naggs && rc == DDF_OK; j++) {
        aggs[j].kind = t->aggs[j].kind;
        rc = column_of(m->schema, t->aggs[j].column, &aggs[j].col, err);
    }
    if (rc == DDF_OK)
        rc = ddf_groupby_new(like, keys, t->nkeys, aggs, t->naggs, t->dropna, &m->gb, err);
    ddf_free(aggs);
    ddf_table_free(like);
    return rc;
}

static int new_topk(ddf_merger *m, const ddf_terminal *t, ddf_error *err)
{
    size_t *keys = ddf_calloc(t->nkeys ? t->nkeys : 1, sizeof *keys);
    ddf_table *like = empty_like(m->schema);
    int rc = DDF_OK;

    if (keys == NULL || like == NULL)
        rc = ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    if (rc == DDF_OK && t->n < 0)
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: n = %lld",
                            t->largest ? "nlargest" : "nsmallest", (long long)t->n);
    for (size_t k = 0; k < t->nkeys && rc == DDF_OK; k++)
        rc = column_of(m->schema, t->keys[k], &keys[k], err);
    if (rc == DDF_OK)
        rc = ddf_topk_new(like, keys, t->nkeys, (size_t)t->n, t->largest, t->keep, &m->tk, err);
    ddf_free(keys);
    ddf_table_free(like);
    return rc;
}

int ddf_merger_new(const ddf_terminal *term, const ddf_schema *schema, bool normalize,
                   ddf_merger **out, ddf_error *err)
{
    ddf_merger *m;
    size_t c = 0;
    int rc = DDF_OK;

    *out = NULL;
    m = ddf_calloc(1, sizeof *m);
    if (m == NULL || (m->schema = ddf_schema_copy(schema)) == NULL) {
        ddf_free(m);
        return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    }
    m->kind = term->kind;
    m->n = term->n;
    m->normalize = normalize;
    switch (term->kind) {
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
        if (term->n < 0)
            rc = ddf_error_setf(err, DDF_EINVAL, "%s with n = %lld: collect and cut instead",
                                term->kind == DDF_TERM_HEAD ? "head" : "tail",
                                (long long)term->n);
        break;
    case DDF_TERM_REDUCE:
        rc = new_reduce(m, term, err);
        break;
    case DDF_TERM_GROUPBY:
        rc = new_groupby(m, term, err);
        break;
    case DDF_TERM_VALUE_COUNTS:
        rc = column_of(m->schema, term->column ? term->column : "", &c, err);
        if (rc == DDF_OK)
            rc = ddf_value_counts_new(ddf_schema_storage_dtype(m->schema, c), term->dropna,
                                      &m->vc, err);
        break;
    case DDF_TERM_TOPK:
        rc = new_topk(m, term, err);
        break;
    default:
        break;
    }
    if (rc < 0) {
        ddf_merger_free(m);
        return rc;
    }
    *out = m;
    return DDF_OK;
}

void ddf_merger_free(ddf_merger *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nparts; i++)
        ddf_table_free(m->parts[i].rows);
    ddf_free(m->parts);
    for (size_t j = 0; m->states && j < m->naggs; j++)
        ddf_agg_fini(&m->states[j]);
    ddf_free(m->states);
    ddf_free(m->aggs);
    ddf_arena_free(m->arena);
    ddf_groupby_free(m->gb);
    ddf_value_counts_free(m->vc);
    ddf_topk_free(m->tk);
    ddf_free(m->seen);
    ddf_schema_free(m->schema);
    ddf_free(m);
}

/* Mark 'index' seen; *dup is true when it already was. */
static int mark_seen(ddf_merger *m, uint64_t index, bool *dup, ddf_error *err)
{
    size_t byte = (size_t)(index >> 3);

    if (index >= MAX_INDEX)
        return ddf_error_setf(err, DDF_EINVAL, "partition index %llu out of range",
                              (unsigned long long)index);
    if (byte >= m->seen_bytes) {
        size_t nb = m->seen_bytes ? m->seen_bytes : 64;
        uint8_t *s;

        while (nb <= byte)
            nb *= 2;
        s = ddf_realloc(m->seen, nb);
        if (s == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
        memset(s + m->seen_bytes, 0, nb - m->seen_bytes);
        m->seen = s;
        m->seen_bytes = nb;
    }
    *dup = (m->seen[byte] >> (index & 7)) & 1;
    return DDF_OK;
}

static int one_int(const ddf_table *p, const char *name, int64_t *out, uint64_t index,
                   ddf_error *err)
{
    if (p->ncols != 1 || p->nrows != 1 || p->columns[0].dtype != DDF_DTYPE_INT64 ||
        strcmp(p->names[0], name) != 0 || !ddf_column_is_valid(&p->columns[0], 0))
        return ddf_error_setf(err, DDF_ECORRUPT, "partition %llu: expected one int64 '%s'",
                              (unsigned long long)index, name);
    *out = p->columns[0].values.i64[0];
    return DDF_OK;
}

/* One row of 12 state columns per aggregation (plan.h); each block is read as its own
 * one-state table. */
static int add_reduce(ddf_merger *m, uint64_t index, const ddf_table *p, ddf_error *err)
{
    ddf_agg_state st;
    int rc = DDF_OK;

    if (p->nrows != 1 || p->ncols != AGG_FIELDS * m->naggs)
        return ddf_error_setf(err, DDF_ECORRUPT, "partition %llu: a reduction partial of %zu "
                              "rows and %zu columns, expected 1 and %zu",
                              (unsigned long long)index, p->nrows, p->ncols,
                              AGG_FIELDS * m->naggs);
    for (size_t j = 0; j < m->naggs && rc == DDF_OK; j++) {
        ddf_table view = *p;

        view.ncols = AGG_FIELDS;
        view.names = p->names + AGG_FIELDS * j;
        view.columns = p->columns + AGG_FIELDS * j;
        rc = ddf_agg_states_from_table(&view, m->arena, &st, 1, err);
        if (rc < 0)
            break;
        rc = ddf_agg_merge(&m->states[j], &st, err);
        ddf_agg_fini(&st);
    }
    return rc;
}

int ddf_merger_add(ddf_merger *m, uint64_t index, const ddf_table *partial, ddf_error *err)
{
    bool dup = false;
    int64_t v = 0;
    int rc;

    if (m->spent)
        return ddf_error_setf(err, DDF_EINVAL, "merge: unusable after an earlier error");
    rc = mark_seen(m, index, &dup, err);
    if (rc < 0 || dup)
        return rc; /* a rerun's second copy: already counted */
    switch (m->kind) {
    case DDF_TERM_COUNT:
    case DDF_TERM_WRITE_CSV:
        rc = one_int(partial, m->kind == DDF_TERM_COUNT ? "count" : "rows", &v, index, err);
        if (rc == DDF_OK && __builtin_add_overflow(m->total, v, &m->total))
            rc = ddf_error_setf(err, DDF_ERANGE, "count overflows int64");
        break;
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
    case DDF_TERM_COLLECT:
        if (m->nparts == m->cap) {
            size_t nc = m->cap ? 2 * m->cap : 16;
            kept *k = ddf_reallocarray(m->parts, nc, sizeof *k);
            if (k == NULL) {
                rc = ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
                break;
            }
            m->parts = k;
            m->cap = nc;
        }
        rc = ddf_frame_ops_take(partial, NULL, 0, &m->parts[m->nparts].rows, err);
        if (rc == DDF_OK)
            m->parts[m->nparts++].index = index;
        break;
    case DDF_TERM_REDUCE:
        rc = add_reduce(m, index, partial, err);
        break;
    case DDF_TERM_GROUPBY:
        rc = ddf_groupby_merge_table(m->gb, partial, err);
        break;
    case DDF_TERM_VALUE_COUNTS:
        rc = ddf_value_counts_merge_table(m->vc, partial, err);
        break;
    case DDF_TERM_TOPK:
        rc = ddf_topk_merge_table(m->tk, partial, err);
        break;
    }
    if (rc < 0) {
        m->spent = true;
        return rc;
    }
    m->seen[index >> 3] |= (uint8_t)(1u << (index & 7));
    return DDF_OK;
}

static int cmp_kept(const void *a, const void *b)
{
    uint64_t x = ((const kept *)a)->index, y = ((const kept *)b)->index;

    return (x > y) - (x < y);
}

int ddf_merger_partial(ddf_merger *m, ddf_table **out, ddf_error *err)
{
    *out = NULL;
    if (m->spent)
        return ddf_error_setf(err, DDF_EINVAL, "merge: unusable after an earlier error");
    if (m->kind == DDF_TERM_GROUPBY)
        return ddf_groupby_to_table(m->gb, out, err);
    if (m->kind == DDF_TERM_VALUE_COUNTS)
        return ddf_value_counts_to_table(m->vc, out, err);
    return ddf_error_setf(err, DDF_EINVAL, "merge: only group-by and value_counts partials "
                          "combine");
}

bool ddf_merger_head_done(const ddf_merger *m, uint64_t *lowest_missing)
{
    uint64_t i = 0;
    size_t rows = 0;

    while ((i >> 3) < m->seen_bytes && ((m->seen[i >> 3] >> (i & 7)) & 1))
        i++;
    if (lowest_missing)
        *lowest_missing = i;
    if (m->kind != DDF_TERM_HEAD)
        return false;
    for (size_t p = 0; p < m->nparts; p++)
        if (m->parts[p].index < i)
            rows += m->parts[p].rows->nrows;
    return rows >= (uint64_t)m->n;
}

/* One row, one int64 column. */
static int int_result(const char *name, int64_t v, ddf_table **out, ddf_error *err)
{
    ddf_table *t = ddf_table_new(1);

    if (t == NULL || ddf_table_set_column(t, 0, name, strlen(name), DDF_DTYPE_INT64) < 0 ||
        ddf_column_append_i64(&t->columns[0], t->arena, v) < 0) {
        ddf_table_free(t);
        return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    }
    t->nrows = 1;
    *out = t;
    return DDF_OK;
}

/* The rows kept, in partition order, then head/tail n. */
static int rows_result(ddf_merger *m, ddf_table **out, ddf_error *err)
{
    const ddf_table **tables;
    ddf_table *all = NULL, *empty;
    int rc;

    if (m->nparts == 0) {
        empty = empty_like(m->schema);
        if (empty == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
        *out = empty;
        return DDF_OK;
    }
    qsort(m->parts, m->nparts, sizeof *m->parts, cmp_kept);
    tables = ddf_calloc(m->nparts, sizeof *tables);
    if (tables == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    for (size_t i = 0; i < m->nparts; i++)
        tables[i] = m->parts[i].rows;
    rc = ddf_frame_ops_concat((const ddf_table *const *)tables, m->nparts, &all, err);
    ddf_free(tables);
    if (rc < 0 || m->kind == DDF_TERM_COLLECT) {
        *out = all;
        return rc;
    }
    rc = m->kind == DDF_TERM_HEAD ? ddf_frame_ops_head(all, NULL, 0, m->n, out, err)
                                  : ddf_frame_ops_tail(all, NULL, 0, m->n, out, err);
    ddf_table_free(all);
    return rc;
}

static int reduce_result(ddf_merger *m, ddf_table **out, ddf_error *err)
{
    ddf_table *t = ddf_table_new(m->naggs);
    int rc = t ? DDF_OK : DDF_ENOMEM;

    for (size_t j = 0; j < m->naggs && rc == DDF_OK; j++) {
        char name[512];
        size_t uses = 0;
        ddf_dtype rd;
        ddf_agg_value v;
        ddf_column *c = &t->columns[j];

        for (size_t i = 0; i < m->naggs; i++)
            uses += strcmp(m->aggs[i].column, m->aggs[j].column) == 0;
        if (uses == 1)
            snprintf(name, sizeof name, "%s", m->aggs[j].column);
        else
            snprintf(name, sizeof name, "%s_%s", m->aggs[j].column,
                     ddf_agg_name(m->aggs[j].kind));
        (void)ddf_agg_result_dtype(m->states[j].kind, m->states[j].dtype, &rd); /* checked */
        rc = ddf_table_set_column(t, j, name, strlen(name), rd);
        if (rc == DDF_OK)
            rc = ddf_agg_finalize(&m->states[j], &v, err);
        if (rc == DDF_ERANGE) {
            ddf_table_free(t);
            return rc;
        }
        if (rc < 0)
            break;
        if (v.dtype == DDF_DTYPE_NULL)
            rc = ddf_column_append_null(c, t->arena);
        else if (rd == DDF_DTYPE_FLOAT64)
            rc = ddf_column_append_f64(c, t->arena,
                                       v.dtype == DDF_DTYPE_FLOAT64 ? v.f64 : (double)v.i64);
        else if (rd == DDF_DTYPE_INT64)
            rc = ddf_column_append_i64(c, t->arena, v.i64);
        else if (rd == DDF_DTYPE_BOOL)
            rc = ddf_column_append_bool(c, t->arena, v.i64 != 0);
        else
            rc = ddf_column_append_str(c, t->arena, v.str, v.str_len);
    }
    if (rc < 0) {
        ddf_table_free(t);
        return ddf_error_setf(err, DDF_ENOMEM, "merge: out of memory");
    }
    t->nrows = 1;
    *out = t;
    return DDF_OK;
}

int ddf_merger_result(ddf_merger *m, ddf_table **out, ddf_error *err)
{
    *out = NULL;
    if (m->spent)
        return ddf_error_setf(err, DDF_EINVAL, "merge: unusable after an earlier error");
    switch (m->kind) {
    case DDF_TERM_COUNT:
        return int_result("count", m->total, out, err);
    case DDF_TERM_WRITE_CSV:
        return int_result("rows", m->total, out, err);
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
    case DDF_TERM_COLLECT:
        return rows_result(m, out, err);
    case DDF_TERM_REDUCE:
        return reduce_result(m, out, err);
    case DDF_TERM_GROUPBY:
        return ddf_groupby_result(m->gb, out, err);
    case DDF_TERM_VALUE_COUNTS:
        return ddf_value_counts_result(m->vc, m->normalize, out, err);
    case DDF_TERM_TOPK:
        return ddf_topk_result(m->tk, false, out, err);
    }
    return ddf_error_setf(err, DDF_EINVAL, "merge: unknown terminal step %d", (int)m->kind);
}
