/* script_methods.c - the pandas API of a script's values: attributes, subscripts and
 * methods of frames, series, group-bys and computed results, each mapped onto libddf
 * (ddf.h) as pandas defines it (DESIGN §6).
 *
 * Lazy operations (filters, column selections, assignments, series expressions) build
 * new lazy values; actions (len, head, tail, reductions, group-bys, value_counts,
 * nlargest, describe, to_csv) run on the cluster at once and give scalars or computed
 * results. A series that is not a plain column is computed through a frame with the
 * series assigned to a column of a reserved name, so every action works on every series
 * (`(df.price * df.qty).max()`). */
#include "script_int.h"

#include "alloc.h"
#include "frame_ops.h"
#include "sort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The column a non-column series is computed into. */
#define TMP_COLUMN "__ddf_series__"
/* Longest list a for loop or to_list() may collect from a series. */
#define MAX_ITEMS 1000000

/* ---- small helpers ----------------------------------------------------------------------- */

static const char *recv_name(const ddf_script_expr *value)
{
    return value->kind == DDF_SCRIPT_EXPR_NAME ? value->name.text : NULL;
}

/* The arguments of one method call, as a method sees them. */
typedef struct margs {
    ddf_script_session *s;
    const ddf_script_expr *call;
    const char *name;
    sv **pos;
    size_t npos;
    const char *const *kwnames;
    sv **kwvalues;
    size_t nkw;
    bool *kw_used;
} margs;

/* Argument 'i' or keyword 'kw' (either may be absent: i < 0, kw NULL), or 'def'. */
static sv *arg(margs *m, int i, const char *kw, sv *def)
{
    if (i >= 0 && (size_t)i < m->npos) return m->pos[i];
    for (size_t k = 0; kw && k < m->nkw; k++) {
        if (strcmp(m->kwnames[k], kw) == 0) {
            m->kw_used[k] = true;
            return m->kwvalues[k];
        }
    }
    return def;
}

/* Where the method's name is written (df.head: 'head'), or the call when it has no
 * name there (max(series) reaches Series.max through the builtin). */
static ddf_script_pos name_pos(const ddf_script_expr *call)
{
    if (call == NULL) return (ddf_script_pos){0, 0, 0};
    if (call->call.func->kind == DDF_SCRIPT_EXPR_ATTRIBUTE) return call->call.func->attribute.name_pos;
    return call->op_pos;
}

static ddf_script_pos where(const margs *m)
{
    return m->call ? m->call->op_pos : (ddf_script_pos){0, 0, 0};
}

/* Every positional argument within 'max' and every keyword one taken by arg(). */
static int check_args(margs *m, size_t max)
{
    if (m->npos > max)
        return sv_fail(m->s, where(m), DDF_EINVAL, "%s() takes at most %zu positional "
                       "argument%s (%zu given)", m->name, max, max == 1 ? "" : "s", m->npos);
    for (size_t k = 0; k < m->nkw; k++)
        if (!m->kw_used[k])
            return sv_fail(m->s, m->call ? m->call->call.keywords[k].pos : where(m),
                           DDF_EINVAL, "%s() got an unexpected keyword argument '%s'",
                           m->name, m->kwnames[k]);
    return DDF_OK;
}

static int want_int(margs *m, sv *v, const char *what, int64_t *out)
{
    if (v->kind != SV_INT)
        return sv_fail(m->s, where(m), DDF_ETYPE, "%s(): %s must be an int, not %s", m->name,
                       what, sv_kind_name(v));
    *out = v->i;
    return DDF_OK;
}

static int want_bool(margs *m, sv *v, const char *what, bool *out)
{
    if (v->kind != SV_BOOL)
        return sv_fail(m->s, where(m), DDF_ETYPE, "%s(): %s must be True or False", m->name,
                       what);
    *out = v->b;
    return DDF_OK;
}

/* A string or a list of strings as column names (borrowed pointers into 'v'). */
static int want_names(margs *m, sv *v, const char *what, const char **names, size_t cap,
                      size_t *n)
{
    *n = 0;
    if (v->kind == SV_STR) {
        names[(*n)++] = v->s.p;
        return DDF_OK;
    }
    if (v->kind == SV_LIST) {
        if (v->list.n > cap)
            return sv_fail(m->s, where(m), DDF_ETOOBIG, "%s(): too many %s", m->name, what);
        for (size_t i = 0; i < v->list.n; i++) {
            if (v->list.items[i]->kind != SV_STR)
                return sv_fail(m->s, where(m), DDF_ETYPE, "%s(): %s must be column names",
                               m->name, what);
            names[(*n)++] = v->list.items[i]->s.p;
        }
        return DDF_OK;
    }
    return sv_fail(m->s, where(m), DDF_ETYPE, "%s(): %s must be a column name or a list of "
                   "them, not %s", m->name, what, sv_kind_name(v));
}

static char **copy_names(const char *const *names, size_t n)
{
    char **out = ddf_calloc(n ? n : 1, sizeof *out);

    for (size_t i = 0; out && i < n; i++) {
        if ((out[i] = ddf_strdup(names[i])) == NULL) {
            for (size_t j = 0; j < i; j++)
                ddf_free(out[j]);
            ddf_free(out);
            return NULL;
        }
    }
    return out;
}

static int no_column(ddf_script_session *s, ddf_script_pos pos, const char *holder,
                     const ddf_schema *schema, const char *name)
{
    const char *hint = sv_suggest_column(schema, name);
    char who[160];

    if (holder) snprintf(who, sizeof who, "'%s'", holder);
    else snprintf(who, sizeof who, "the DataFrame");
    if (hint)
        return sv_fail(s, pos, DDF_EINVAL, "%s has no column '%s'; did you mean '%s'?", who,
                       name, hint);
    return sv_fail(s, pos, DDF_EINVAL, "%s has no column '%s'", who, name);
}

static int check_columns(ddf_script_session *s, ddf_script_pos pos, const char *holder,
                         const sv *frame, const char *const *names, size_t n)
{
    const ddf_schema *schema = ddf_frame_schema(frame->frame.frame);

    for (size_t i = 0; i < n; i++)
        if (ddf_schema_find(schema, names[i]) < 0)
            return no_column(s, pos, holder, schema, names[i]);
    return DDF_OK;
}

/* A path as the workers should read it: relative to the current directory when the
 * cluster is local (the workers of a local cluster read from '/', as the user can, and a
 * script means its own directory, as pandas would); as written otherwise (relative to the
 * workers' data root). */
static int cluster_path(ddf_script_session *s, ddf_script_pos pos, const char *path, char *buf,
                        size_t cap)
{
    char cwd[4096];

    if (path[0] == '/' || ddf_client_local_cluster(s->client) == NULL) {
        if (strlen(path) >= cap) return sv_fail(s, pos, DDF_ETOOBIG, "path too long");
        memcpy(buf, path, strlen(path) + 1);
        return DDF_OK;
    }
    if (getcwd(cwd, sizeof cwd) == NULL)
        return sv_fail(s, pos, DDF_EIO, "cannot tell the current directory");
    if ((size_t)snprintf(buf, cap, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path) >= cap)
        return sv_fail(s, pos, DDF_ETOOBIG, "path too long");
    return DDF_OK;
}

/* Wrap a new libddf frame. */
static int new_frame(ddf_script_session *s, ddf_frame *f, sv **out)
{
    *out = sv_frame(f);
    return *out ? DDF_OK : sv_oom(s);
}

/* The frame and column to compute 'series' from: the series' own frame and column, or a
 * frame with the series assigned to TMP_COLUMN (*owned, to free). */
static int series_source(ddf_script_session *s, ddf_script_pos pos, const sv *series,
                         ddf_frame **frame, ddf_frame **owned, const char **col)
{
    ddf_error err;
    int rc;

    *owned = NULL;
    if (series->series.column != NULL) {
        *frame = series->series.frame->frame.frame;
        *col = series->series.column;
        return DDF_OK;
    }
    rc = ddf_frame_assign(series->series.frame->frame.frame, TMP_COLUMN, series->series.expr,
                          owned, &err);
    if (rc < 0) return sv_fail_ddf(s, pos, &err);
    *frame = *owned;
    *col = TMP_COLUMN;
    return DDF_OK;
}

/* Name column 'col' of 't' (in its arena). */
static int rename_column(ddf_script_session *s, ddf_table *t, size_t col, const char *name)
{
    char *copy = ddf_arena_strdup(t->arena, name ? name : "");

    if (copy == NULL) return sv_oom(s);
    t->names[col] = copy;
    return DDF_OK;
}

/* One value of a one-row table, as a scalar: a null is NaN for numbers (pandas' answer for
 * a reduction of nothing) and None otherwise. */
static sv *scalar_of(const ddf_column *c, size_t row)
{
    if (!ddf_column_is_valid(c, row))
        return c->dtype == DDF_DTYPE_FLOAT64 || c->dtype == DDF_DTYPE_INT64 ? sv_float(NAN)
                                                                             : sv_none();
    switch (c->dtype) {
    case DDF_DTYPE_BOOL: return sv_bool(c->values.b8[row] != 0);
    case DDF_DTYPE_INT64: return sv_int(c->values.i64[row]);
    case DDF_DTYPE_FLOAT64: return sv_float(c->values.f64[row]);
    case DDF_DTYPE_STRING: {
        size_t len;
        const char *p = ddf_column_str(c, row, &len);
        return sv_str(p, len);
    }
    default: return sv_none();
    }
}

/* ---- reductions -------------------------------------------------------------------------- */

static const struct {
    const char *name;
    ddf_agg_kind kind;
    bool numeric; /* pandas leaves strings out of it */
} agg_names[] = {
    {"count", DDF_AGG_COUNT, false}, {"size", DDF_AGG_SIZE, false},
    {"sum", DDF_AGG_SUM, true},      {"mean", DDF_AGG_MEAN, true},
    {"min", DDF_AGG_MIN, false},     {"max", DDF_AGG_MAX, false},
    {"std", DDF_AGG_STD, true},      {"var", DDF_AGG_VAR, true},
    {"first", DDF_AGG_FIRST, false}, {"last", DDF_AGG_LAST, false},
    {"nunique", DDF_AGG_NUNIQUE, false},
};

static int agg_of(const char *name, ddf_agg_kind *kind, bool *numeric)
{
    for (size_t i = 0; i < sizeof agg_names / sizeof *agg_names; i++) {
        if (strcmp(agg_names[i].name, name) == 0) {
            *kind = agg_names[i].kind;
            if (numeric) *numeric = agg_names[i].numeric;
            return DDF_OK;
        }
    }
    return DDF_EINVAL;
}

static bool is_reduction(const char *name)
{
    ddf_agg_kind k;

    return agg_of(name, &k, NULL) == DDF_OK && k != DDF_AGG_SIZE && k != DDF_AGG_FIRST &&
           k != DDF_AGG_LAST;
}

/* Whether pandas would answer a float where ddf's int64 column gives an int: the column
 * holds a null, so pandas holds it as float64. */
static bool int_result_may_be_float(ddf_dtype dtype, ddf_agg_kind kind)
{
    return dtype == DDF_DTYPE_INT64 &&
           (kind == DDF_AGG_MAX || kind == DDF_AGG_MIN || kind == DDF_AGG_SUM ||
            kind == DDF_AGG_FIRST || kind == DDF_AGG_LAST);
}

/* series.max() and friends: a scalar. */
static int series_reduce(margs *m, sv *series, sv **out)
{
    ddf_frame *frame, *owned;
    const char *col;
    ddf_agg_kind kind = DDF_AGG_COUNT;
    ddf_table *t = NULL;
    ddf_error err;
    int rc = check_args(m, 0);

    if (rc < 0) return rc;
    agg_of(m->name, &kind, NULL);
    rc = series_source(m->s, where(m), series, &frame, &owned, &col);
    if (rc < 0) return rc;
    if (int_result_may_be_float(series->series.dtype, kind)) {
        /* pandas holds ints with nulls as floats: 7.0, not 7. The same action counts the
         * values and the rows to tell. */
        ddf_plan_agg aggs[3] = {{col, kind}, {col, DDF_AGG_COUNT}, {col, DDF_AGG_SIZE}};

        rc = ddf_frame_aggregate(frame, aggs, 3, &t, &err);
    } else {
        rc = ddf_frame_reduce(frame, kind, &col, 1, &t, &err);
    }
    ddf_frame_free(owned);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    if (t->ncols < 1 || t->nrows != 1) {
        ddf_table_free(t);
        return sv_fail(m->s, where(m), DDF_ETYPE, "%s() does not apply to a %s series",
                       m->name, ddf_dtype_name(series->series.dtype));
    }
    *out = scalar_of(&t->columns[0], 0);
    if (*out && t->ncols == 3 && (*out)->kind == SV_INT &&
        t->columns[1].values.i64[0] < t->columns[2].values.i64[0])
        (*out)->kind = SV_FLOAT, (*out)->f = (double)(*out)->i;
    ddf_table_free(t);
    return *out ? DDF_OK : sv_oom(m->s);
}

/* A one-row table of reductions turned into pandas' Series indexed by column name. */
static int reductions_as_series(ddf_script_session *s, ddf_table *row, sv **out)
{
    ddf_table *t = ddf_table_new(2);
    ddf_dtype vt = DDF_DTYPE_INT64;
    int rc = t ? DDF_OK : DDF_ENOMEM;

    for (size_t c = 0; c < row->ncols; c++) {
        ddf_dtype d = row->columns[c].dtype;

        if (d == DDF_DTYPE_FLOAT64 && vt == DDF_DTYPE_INT64) vt = DDF_DTYPE_FLOAT64;
        else if (d == DDF_DTYPE_STRING || d == DDF_DTYPE_BOOL) vt = DDF_DTYPE_STRING;
    }
    if (rc == DDF_OK) rc = ddf_table_set_column(t, 0, "index", 5, DDF_DTYPE_STRING);
    if (rc == DDF_OK) rc = ddf_table_set_column(t, 1, "", 0, vt);
    for (size_t c = 0; c < row->ncols && rc == DDF_OK; c++) {
        const ddf_column *src = &row->columns[c];
        ddf_column *dst = &t->columns[1];

        rc = ddf_column_append_str(&t->columns[0], t->arena, row->names[c], strlen(row->names[c]));
        if (rc < 0) break;
        if (!ddf_column_is_valid(src, 0)) {
            rc = vt == DDF_DTYPE_FLOAT64 ? ddf_column_append_f64(dst, t->arena, NAN)
                                         : ddf_column_append_null(dst, t->arena);
        } else if (vt == DDF_DTYPE_INT64) {
            rc = ddf_column_append_i64(dst, t->arena, src->values.i64[0]);
        } else if (vt == DDF_DTYPE_FLOAT64) {
            rc = ddf_column_append_f64(dst, t->arena, src->dtype == DDF_DTYPE_INT64
                                                          ? (double)src->values.i64[0]
                                                          : src->values.f64[0]);
        } else {
            sv *v = scalar_of(src, 0), *str = NULL;
            char buf[64];
            const char *p = buf;
            size_t len;

            if (v == NULL) { rc = DDF_ENOMEM; break; }
            switch (v->kind) {
            case SV_STR: p = v->s.p; break;
            case SV_BOOL: snprintf(buf, sizeof buf, "%s", v->b ? "True" : "False"); break;
            case SV_INT: snprintf(buf, sizeof buf, "%lld", (long long)v->i); break;
            case SV_FLOAT: ddf_format_repr_double(v->f, buf); break;
            default: snprintf(buf, sizeof buf, "None"); break;
            }
            len = v->kind == SV_STR ? v->s.len : strlen(buf);
            rc = ddf_column_append_str(dst, t->arena, p, len);
            sv_unref(v);
            sv_unref(str);
        }
    }
    t->nrows = row->ncols;
    ddf_table_free(row);
    if (rc < 0) {
        ddf_table_free(t);
        return sv_oom(s);
    }
    *out = sv_result(t, 1, true, NULL);
    if (*out == NULL) return sv_oom(s);
    (*out)->result.hide_key_names = true;
    return DDF_OK;
}

/* The int64 results of 'row' whose column holds a null become floats, as pandas gives
 * them (its column is float64): one more action counts the values of those columns. */
static int floats_for_null_ints(margs *m, sv *frame, ddf_agg_kind kind, ddf_table *row)
{
    const char *cols[DDF_MAX_COLUMNS];
    size_t n = 0;
    ddf_table *counts = NULL;
    ddf_error err;
    int64_t rows;
    int rc;

    for (size_t c = 0; c < row->ncols; c++)
        if (int_result_may_be_float(row->columns[c].dtype, kind)) cols[n++] = row->names[c];
    if (n == 0) return DDF_OK;
    rc = ddf_frame_count(frame->frame.frame, &rows, &err);
    if (rc == DDF_OK) rc = ddf_frame_reduce(frame->frame.frame, DDF_AGG_COUNT, cols, n, &counts, &err);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    for (size_t i = 0; i < n && i < counts->ncols; i++) {
        if (counts->columns[i].values.i64[0] >= rows) continue;
        for (size_t c = 0; c < row->ncols; c++) {
            ddf_column *col = &row->columns[c];

            if (strcmp(row->names[c], cols[i]) != 0 || col->dtype != DDF_DTYPE_INT64) continue;
            /* the same 8 bytes hold the double: the one-row column is rewritten in place */
            if (ddf_column_is_valid(col, 0)) col->values.f64[0] = (double)col->values.i64[0];
            col->dtype = DDF_DTYPE_FLOAT64;
        }
    }
    ddf_table_free(counts);
    return DDF_OK;
}

/* df.max() and friends: a series over the columns the reduction applies to. */
static int frame_reduce(margs *m, sv *frame, sv **out)
{
    ddf_agg_kind kind = DDF_AGG_COUNT;
    ddf_table *t = NULL;
    ddf_error err;
    sv *numeric_only = arg(m, -1, "numeric_only", NULL);
    const char *cols[DDF_MAX_COLUMNS];
    size_t ncols = 0;
    int rc = check_args(m, 0);

    if (rc < 0) return rc;
    agg_of(m->name, &kind, NULL);
    if (numeric_only != NULL && numeric_only->kind == SV_BOOL && numeric_only->b) {
        const ddf_schema *schema = ddf_frame_schema(frame->frame.frame);

        for (size_t c = 0; c < schema->ncols; c++) {
            ddf_dtype d = ddf_schema_storage_dtype(schema, c);

            if (d == DDF_DTYPE_INT64 || d == DDF_DTYPE_FLOAT64 || d == DDF_DTYPE_BOOL)
                cols[ncols++] = schema->fields[c].name;
        }
        rc = ddf_frame_reduce(frame->frame.frame, kind, cols, ncols, &t, &err);
    } else {
        rc = ddf_frame_reduce(frame->frame.frame, kind, NULL, 0, &t, &err);
    }
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    rc = floats_for_null_ints(m, frame, kind, t);
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    return reductions_as_series(m->s, t, out);
}

/* ---- heads, tails and computing a series --------------------------------------------- */

static int frame_head_tail(ddf_script_session *s, ddf_script_pos pos, ddf_frame *f, int64_t n,
                           bool head, ddf_table **out, int64_t *start)
{
    ddf_error err;
    int64_t rows = 0;
    int rc;

    *start = 0;
    rc = head ? ddf_frame_head(f, n, out, &err) : ddf_frame_tail(f, n, out, &err);
    if (rc < 0) return sv_fail_ddf(s, pos, &err);
    if (!head) {
        /* the tail's first label is its position in the whole frame */
        rc = ddf_frame_count(f, &rows, &err);
        if (rc < 0) {
            ddf_table_free(*out);
            *out = NULL;
            return sv_fail_ddf(s, pos, &err);
        }
        *start = rows - (int64_t)(*out)->nrows;
    }
    return DDF_OK;
}

int sv_series_table(ddf_script_session *s, ddf_script_pos pos, const sv *series, int64_t n,
                    bool head, bool all, ddf_table **out, int64_t *start);

/* The series' values as a one-column table named after it: its first or last n, or all. */
int sv_series_table(ddf_script_session *s, ddf_script_pos pos, const sv *series, int64_t n,
                    bool head, bool all, ddf_table **out, int64_t *start)
{
    ddf_frame *frame, *owned, *one = NULL;
    const char *col;
    ddf_error err;
    int rc = series_source(s, pos, series, &frame, &owned, &col);

    *out = NULL;
    *start = 0;
    if (rc < 0) return rc;
    rc = ddf_frame_select(frame, &col, 1, &one, &err);
    if (rc < 0) rc = sv_fail_ddf(s, pos, &err);
    else if (all && (rc = ddf_frame_collect(one, out, &err)) < 0) rc = sv_fail_ddf(s, pos, &err);
    else if (!all) rc = frame_head_tail(s, pos, one, n, head, out, start);
    ddf_frame_free(one);
    ddf_frame_free(owned);
    if (rc == DDF_OK) rc = rename_column(s, *out, 0, series->series.name);
    if (rc < 0) {
        ddf_table_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- sorting a computed table ------------------------------------------------------------ */

typedef struct sort_ctx {
    const ddf_table *t;
    const size_t *cols;
    const bool *asc;
    size_t n;
} sort_ctx;

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const sort_ctx *c = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    for (size_t k = 0; k < c->n; k++) {
        const ddf_column *col = &c->t->columns[c->cols[k]];
        bool va = ddf_column_is_valid(col, a), vb = ddf_column_is_valid(col, b);
        int r = 0;

        if (!va || !vb) { /* nulls last, whatever the direction (na_position='last') */
            if (va != vb) return va ? -1 : 1;
            continue;
        }
        switch (col->dtype) {
        case DDF_DTYPE_INT64:
            r = (col->values.i64[a] > col->values.i64[b]) - (col->values.i64[a] < col->values.i64[b]);
            break;
        case DDF_DTYPE_FLOAT64: {
            double x = col->values.f64[a], y = col->values.f64[b];

            if (isnan(x) || isnan(y)) {
                if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
                continue;
            }
            r = (x > y) - (x < y);
            break;
        }
        case DDF_DTYPE_BOOL: r = (int)col->values.b8[a] - (int)col->values.b8[b]; break;
        case DDF_DTYPE_STRING: {
            size_t la, lb;
            const char *sa = ddf_column_str(col, a, &la), *sb = ddf_column_str(col, b, &lb);
            int m = memcmp(sa, sb, la < lb ? la : lb);

            r = m ? (m > 0) - (m < 0) : (la > lb) - (la < lb);
            break;
        }
        default: break;
        }
        if (r != 0) return c->asc[k] ? r : -r;
    }
    return 0;
}

static int sort_table(ddf_script_session *s, ddf_script_pos pos, ddf_table *in,
                      char *const *by, const bool *asc, size_t nby, ddf_table **out)
{
    size_t cols[DDF_TOPK_MAX_KEYS];
    uint32_t *perm;
    sort_ctx ctx = {in, cols, asc, nby};
    ddf_error err;
    int rc;

    if (in->nrows > UINT32_MAX)
        return sv_fail(s, pos, DDF_ETOOBIG, "sort_values: too many rows to sort here");
    for (size_t k = 0; k < nby; k++) {
        size_t c = 0;

        while (c < in->ncols && strcmp(in->names[c], by[k]) != 0)
            c++;
        if (c == in->ncols)
            return sv_fail(s, pos, DDF_EINVAL, "sort_values: no column '%s'", by[k]);
        cols[k] = c;
    }
    perm = ddf_mallocarray(in->nrows ? in->nrows : 1, sizeof *perm);
    if (perm == NULL) return sv_oom(s);
    for (size_t i = 0; i < in->nrows; i++)
        perm[i] = (uint32_t)i;
    rc = ddf_sort(perm, in->nrows, sizeof *perm, cmp_rows, &ctx);
    if (rc == DDF_OK) rc = ddf_frame_ops_take(in, perm, in->nrows, out, &err);
    else ddf_error_setf(&err, rc, "out of memory");
    ddf_free(perm);
    return rc < 0 ? sv_fail_ddf(s, pos, &err) : DDF_OK;
}

/* A sort_values value computed: the frame collected and sorted. */
int sv_sorted_table(ddf_script_session *s, ddf_script_pos pos, const sv *sorted,
                    ddf_table **out);
int sv_sorted_table(ddf_script_session *s, ddf_script_pos pos, const sv *sorted,
                    ddf_table **out)
{
    ddf_table *all = NULL;
    ddf_error err;
    int rc = ddf_frame_collect(sorted->sorted.frame->frame.frame, &all, &err);

    *out = NULL;
    if (rc < 0) return sv_fail_ddf(s, pos, &err);
    rc = sort_table(s, pos, all, sorted->sorted.by, sorted->sorted.ascending, sorted->sorted.nby,
                    out);
    ddf_table_free(all);
    return rc;
}

/* ---- group-by ---------------------------------------------------------------------------- */

static bool is_key(const sv *gb, const char *name)
{
    for (size_t k = 0; k < gb->groupby.nkeys; k++)
        if (strcmp(gb->groupby.keys[k], name) == 0) return true;
    return false;
}

/* pandas holds an int column with a null as float64, so its sum, min, max, first and last
 * per group are floats: the int64 results of such columns become floats (one more action
 * counts the values of the int columns aggregated). */
static int groupby_null_ints(margs *m, const sv *gb, const ddf_plan_agg *aggs, size_t naggs,
                             ddf_table *t)
{
    const char *cols[DDF_MAX_COLUMNS];
    size_t n = 0;
    ddf_table *counts = NULL;
    ddf_error err;
    int64_t rows;
    int rc;

    for (size_t a = 0; a < naggs; a++) {
        const ddf_column *c = &t->columns[gb->groupby.nkeys + a];
        bool seen = false;

        if (!int_result_may_be_float(c->dtype, aggs[a].kind)) continue;
        for (size_t i = 0; i < n; i++)
            seen |= strcmp(cols[i], aggs[a].column) == 0;
        if (!seen) cols[n++] = aggs[a].column;
    }
    if (n == 0) return DDF_OK;
    rc = ddf_frame_count(gb->groupby.frame->frame.frame, &rows, &err);
    if (rc == DDF_OK)
        rc = ddf_frame_reduce(gb->groupby.frame->frame.frame, DDF_AGG_COUNT, cols, n, &counts, &err);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    for (size_t i = 0; i < n && i < counts->ncols; i++) {
        if (counts->columns[i].values.i64[0] >= rows) continue;
        for (size_t a = 0; a < naggs; a++) {
            ddf_column *c = &t->columns[gb->groupby.nkeys + a];

            if (strcmp(aggs[a].column, cols[i]) != 0 ||
                !int_result_may_be_float(c->dtype, aggs[a].kind))
                continue;
            /* in place: a double takes the 8 bytes of each int */
            for (size_t r = 0; r < c->length; r++)
                c->values.f64[r] = ddf_column_is_valid(c, r) ? (double)c->values.i64[r] : NAN;
            c->dtype = DDF_DTYPE_FLOAT64;
        }
    }
    ddf_table_free(counts);
    return DDF_OK;
}

/* Run aggs over gb; a series when the group-by is over one column with one aggregation. */
static int groupby_run(margs *m, sv *gb, const ddf_plan_agg *aggs, size_t naggs, bool series,
                       const char *name, sv **out)
{
    ddf_table *t = NULL;
    ddf_error err;
    int rc;

    if (naggs == 0)
        return sv_fail(m->s, where(m), DDF_EINVAL, "%s(): no column to aggregate", m->name);
    rc = ddf_frame_groupby(gb->groupby.frame->frame.frame, (const char *const *)gb->groupby.keys,
                           gb->groupby.nkeys, aggs, naggs, gb->groupby.dropna, &t, &err);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    rc = groupby_null_ints(m, gb, aggs, naggs, t);
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    if (series && (rc = rename_column(m->s, t, t->ncols - 1, name)) < 0) {
        ddf_table_free(t);
        return rc;
    }
    *out = sv_result(t, gb->groupby.nkeys, series, name);
    return *out ? DDF_OK : sv_oom(m->s);
}

/* The columns a group-by aggregates by default: the selected ones, or every non-key one
 * (only numbers for sum, mean, std and var, as pandas 1.5 leaves the others out). */
static size_t groupby_targets(const sv *gb, bool numeric, const char **cols, size_t cap)
{
    const ddf_schema *schema = ddf_frame_schema(gb->groupby.frame->frame.frame);
    size_t n = 0;

    if (gb->groupby.cols != NULL) {
        for (size_t i = 0; i < gb->groupby.ncols && n < cap; i++)
            cols[n++] = gb->groupby.cols[i];
        return n;
    }
    for (size_t c = 0; c < schema->ncols && n < cap; c++) {
        ddf_dtype d = ddf_schema_storage_dtype(schema, c);

        if (is_key(gb, schema->fields[c].name)) continue;
        if (numeric && d == DDF_DTYPE_STRING) continue;
        cols[n++] = schema->fields[c].name;
    }
    return n;
}

static int groupby_agg_named(margs *m, sv *gb, const char *aggname, sv **out)
{
    ddf_plan_agg aggs[DDF_MAX_COLUMNS];
    const char *cols[DDF_MAX_COLUMNS];
    ddf_agg_kind kind;
    bool numeric;
    size_t n;

    if (agg_of(aggname, &kind, &numeric) < 0)
        return sv_fail(m->s, where(m), DDF_EINVAL,
                       "unknown aggregation '%s' (count, size, sum, mean, min, max, std, var, "
                       "first, last, nunique)", aggname);
    if (kind == DDF_AGG_SIZE) {
        aggs[0].column = gb->groupby.keys[0];
        aggs[0].kind = DDF_AGG_SIZE;
        return groupby_run(m, gb, aggs, 1, true, NULL, out);
    }
    n = groupby_targets(gb, numeric, cols, DDF_MAX_COLUMNS);
    for (size_t i = 0; i < n; i++) {
        aggs[i].column = cols[i];
        aggs[i].kind = kind;
    }
    return groupby_run(m, gb, aggs, n, gb->groupby.one, gb->groupby.one ? cols[0] : NULL, out);
}

/* gb.agg("sum") / agg(["sum", "max"]) / agg({"qty": "sum", "price": ["mean", "max"]}). */
static int groupby_agg(margs *m, sv *gb, sv **out)
{
    sv *spec = arg(m, 0, "func", NULL);
    ddf_plan_agg aggs[DDF_MAX_COLUMNS];
    size_t naggs = 0;
    int rc = check_args(m, 1);

    if (rc < 0) return rc;
    if (spec == NULL) return sv_fail(m->s, where(m), DDF_EINVAL, "agg() needs what to compute");
    if (spec->kind == SV_STR) return groupby_agg_named(m, gb, spec->s.p, out);
    if (spec->kind == SV_LIST) {
        const char *cols[DDF_MAX_COLUMNS];
        bool numeric = false;
        size_t n;

        for (size_t j = 0; j < spec->list.n; j++) {
            bool nu = false;
            ddf_agg_kind k;

            if (spec->list.items[j]->kind == SV_STR && agg_of(spec->list.items[j]->s.p, &k, &nu) == DDF_OK)
                numeric |= nu;
        }
        /* pandas 1.5 leaves out the columns a numeric aggregation cannot take */
        n = groupby_targets(gb, numeric, cols, DDF_MAX_COLUMNS);

        for (size_t c = 0; c < n; c++) {
            for (size_t j = 0; j < spec->list.n; j++) {
                sv *a = spec->list.items[j];

                if (a->kind != SV_STR || agg_of(a->s.p, &aggs[naggs].kind, NULL) < 0)
                    return sv_fail(m->s, where(m), DDF_EINVAL, "agg(): unknown aggregation");
                if (naggs + 1 >= DDF_MAX_COLUMNS)
                    return sv_fail(m->s, where(m), DDF_ETOOBIG, "agg(): too many aggregations");
                aggs[naggs++].column = cols[c];
            }
        }
        /* every column aggregated more than once is named column_agg; one column's
         * aggregations (gb.qty.agg(["min", "max"])) are named as pandas names them */
        rc = groupby_run(m, gb, aggs, naggs, false, NULL, out);
        if (rc == DDF_OK && gb->groupby.one && n == 1)
            for (size_t j = 0; j < naggs && rc == DDF_OK; j++)
                rc = rename_column(m->s, (*out)->result.table, gb->groupby.nkeys + j,
                                   spec->list.items[j]->s.p);
        return rc;
    }
    if (spec->kind == SV_DICT) {
        for (size_t i = 0; i < spec->dict.n; i++) {
            sv *col = spec->dict.keys[i], *what = spec->dict.values[i];
            sv *const *list = what->kind == SV_LIST ? what->list.items : &what;
            size_t nl = what->kind == SV_LIST ? what->list.n : 1;

            if (col->kind != SV_STR)
                return sv_fail(m->s, where(m), DDF_ETYPE, "agg(): dict keys must be columns");
            rc = check_columns(m->s, where(m), NULL, gb->groupby.frame,
                               (const char *const *)&col->s.p, 1);
            if (rc < 0) return rc;
            for (size_t j = 0; j < nl; j++) {
                if (list[j]->kind != SV_STR ||
                    agg_of(list[j]->s.p, &aggs[naggs].kind, NULL) < 0)
                    return sv_fail(m->s, where(m), DDF_EINVAL,
                                   "agg(): unknown aggregation for '%s' (count, size, sum, "
                                   "mean, min, max, std, var, first, last, nunique)", col->s.p);
                if (naggs + 1 >= DDF_MAX_COLUMNS)
                    return sv_fail(m->s, where(m), DDF_ETOOBIG, "agg(): too many aggregations");
                aggs[naggs++].column = col->s.p;
            }
        }
        return groupby_run(m, gb, aggs, naggs, false, NULL, out);
    }
    return sv_fail(m->s, where(m), DDF_ETYPE, "agg() takes a name, a list or a dict, not %s",
                   sv_kind_name(spec));
}

static int make_groupby(margs *m, sv *frame, const char *holder, sv **out)
{
    sv *by = arg(m, 0, "by", NULL), *dropna = arg(m, -1, "dropna", NULL),
       *sort = arg(m, -1, "sort", NULL);
    const char *keys[DDF_TOPK_MAX_KEYS];
    size_t nkeys;
    bool dn = true;
    int rc = check_args(m, 1);
    sv *gb;

    if (rc < 0) return rc;
    if (by == NULL) return sv_fail(m->s, where(m), DDF_EINVAL, "groupby() needs the key columns");
    rc = want_names(m, by, "keys", keys, DDF_TOPK_MAX_KEYS, &nkeys);
    if (rc == DDF_OK && nkeys == 0)
        rc = sv_fail(m->s, where(m), DDF_EINVAL, "groupby() needs at least one key");
    if (rc == DDF_OK) rc = check_columns(m->s, where(m), holder, frame, keys, nkeys);
    if (rc == DDF_OK && dropna) rc = want_bool(m, dropna, "dropna", &dn);
    if (rc == DDF_OK && sort && !(sort->kind == SV_BOOL && sort->b))
        rc = sv_fail(m->s, where(m), DDF_EINVAL, "groupby(): ddf always sorts by the keys "
                     "(sort=True)");
    if (rc < 0) return rc;
    gb = sv_new(SV_GROUPBY);
    if (gb == NULL || (gb->groupby.keys = copy_names(keys, nkeys)) == NULL) {
        ddf_free(gb);
        return sv_oom(m->s);
    }
    gb->groupby.nkeys = nkeys;
    gb->groupby.dropna = dn;
    gb->groupby.frame = sv_ref(frame);
    *out = gb;
    return DDF_OK;
}

/* gb[col] / gb[[cols]] / gb.col */
static int groupby_select(ddf_script_session *s, ddf_script_pos pos, sv *gb, const char **cols,
                          size_t n, bool one, sv **out)
{
    sv *v;
    int rc = check_columns(s, pos, NULL, gb->groupby.frame, cols, n);

    if (rc < 0) return rc;
    v = sv_new(SV_GROUPBY);
    if (v == NULL) return sv_oom(s);
    v->groupby.frame = sv_ref(gb->groupby.frame);
    v->groupby.keys = copy_names((const char *const *)gb->groupby.keys, gb->groupby.nkeys);
    v->groupby.cols = copy_names(cols, n);
    v->groupby.nkeys = gb->groupby.nkeys;
    v->groupby.ncols = n;
    v->groupby.dropna = gb->groupby.dropna;
    v->groupby.one = one;
    if (v->groupby.keys == NULL || v->groupby.cols == NULL) {
        sv_unref(v);
        return sv_oom(s);
    }
    *out = v;
    return DDF_OK;
}

/* ---- attributes -------------------------------------------------------------------------- */

static const char *const frame_methods[] = {
    "head", "tail", "count", "max", "min", "sum", "mean", "std", "var", "nunique", "describe",
    "groupby", "apply", "assign", "query", "nlargest", "nsmallest", "sort_values", "to_csv",
    "items", "drop", "compute", "persist", "copy", "value_counts", "isin", "fillna", "abs",
    "round", "astype", "isnull", "notnull", "isna", "notna", "agg", "aggregate", "size",
    "first", "last", "to_list", "tolist", "between", "map", "reset_index", NULL};

static bool is_method(const char *name)
{
    for (size_t i = 0; frame_methods[i]; i++)
        if (strcmp(frame_methods[i], name) == 0) return true;
    return false;
}

static int list_of_names(ddf_script_session *s, const ddf_schema *schema, bool index, sv **out)
{
    sv *v = sv_new(SV_LIST);

    if (v == NULL) return sv_oom(s);
    v->list.index = index;
    v->list.items = ddf_calloc(schema->ncols ? schema->ncols : 1, sizeof(sv *));
    if (v->list.items == NULL) {
        sv_unref(v);
        return sv_oom(s);
    }
    for (size_t c = 0; c < schema->ncols; c++) {
        v->list.items[c] = sv_str(schema->fields[c].name, strlen(schema->fields[c].name));
        if (v->list.items[c] == NULL) {
            sv_unref(v);
            return sv_oom(s);
        }
        v->list.n++;
    }
    *out = v;
    return DDF_OK;
}

/* pandas' dtype names: strings are 'object'. */
static const char *pandas_dtype(ddf_dtype d)
{
    return d == DDF_DTYPE_STRING ? "object" : d == DDF_DTYPE_NULL ? "float64" : ddf_dtype_name(d);
}

static int frame_dtypes(ddf_script_session *s, const ddf_schema *schema, sv **out)
{
    ddf_table *t = ddf_table_new(2);
    int rc = t ? DDF_OK : DDF_ENOMEM;

    if (rc == DDF_OK) rc = ddf_table_set_column(t, 0, "index", 5, DDF_DTYPE_STRING);
    if (rc == DDF_OK) rc = ddf_table_set_column(t, 1, "", 0, DDF_DTYPE_STRING);
    for (size_t c = 0; c < schema->ncols && rc == DDF_OK; c++) {
        const char *d = pandas_dtype(ddf_schema_storage_dtype(schema, c));

        rc = ddf_column_append_str(&t->columns[0], t->arena, schema->fields[c].name,
                                   strlen(schema->fields[c].name));
        if (rc == DDF_OK) rc = ddf_column_append_str(&t->columns[1], t->arena, d, strlen(d));
    }
    if (rc < 0) {
        ddf_table_free(t);
        return sv_oom(s);
    }
    t->nrows = schema->ncols;
    *out = sv_result(t, 1, true, NULL);
    if (*out == NULL) return sv_oom(s);
    (*out)->result.hide_key_names = true;
    return DDF_OK;
}

/* A sorted frame, computed: its columns are taken from the sorted rows. */
static int sorted_result(ddf_script_session *s, ddf_script_pos pos, const sv *sorted, sv **out)
{
    ddf_table *t = NULL;
    int rc = sv_sorted_table(s, pos, sorted, &t);

    if (rc < 0) return rc;
    *out = sv_result(t, 0, false, NULL);
    return *out ? DDF_OK : sv_oom(s);
}

int sv_attribute(ddf_script_session *s, const ddf_script_expr *node, sv *recv, sv **out)
{
    const char *name = node->attribute.name;
    ddf_script_pos pos = node->attribute.name_pos;

    *out = NULL;
    if (recv->kind == SV_SORTED) {
        sv *r = NULL;
        int rc = sorted_result(s, pos, recv, &r);

        if (rc == DDF_OK) rc = sv_attribute(s, node, r, out);
        sv_unref(r);
        return rc;
    }
    switch (recv->kind) {
    case SV_FRAME: {
        const ddf_schema *schema = ddf_frame_schema(recv->frame.frame);

        if (strcmp(name, "columns") == 0) return list_of_names(s, schema, true, out);
        if (strcmp(name, "dtypes") == 0) return frame_dtypes(s, schema, out);
        if (strcmp(name, "shape") == 0) {
            int64_t rows;
            int rc = sv_len(s, pos, recv, &rows);

            if (rc < 0) return rc;
            *out = sv_new(SV_LIST);
            if (*out == NULL) return sv_oom(s);
            (*out)->list.tuple = true;
            (*out)->list.items = ddf_calloc(2, sizeof(sv *));
            if ((*out)->list.items == NULL) return sv_oom(s);
            (*out)->list.items[0] = sv_int(rows);
            (*out)->list.items[1] = sv_int((int64_t)schema->ncols);
            (*out)->list.n = 2;
            return (*out)->list.items[0] && (*out)->list.items[1] ? DDF_OK : sv_oom(s);
        }
        if (strcmp(name, "npartitions") == 0) {
            *out = sv_int((int64_t)ddf_frame_npartitions(recv->frame.frame));
            return *out ? DDF_OK : sv_oom(s);
        }
        if (ddf_schema_find(schema, name) >= 0) {
            *out = sv_column(s, recv, name);
            return *out ? DDF_OK : sv_oom(s);
        }
        if (is_method(name))
            return sv_fail(s, pos, DDF_EINVAL, "'%s' is a method: call it, %s(...)", name, name);
        return no_column(s, pos, recv_name(node->attribute.value), schema, name);
    }
    case SV_SERIES:
        if (strcmp(name, "str") == 0) {
            if (recv->series.dtype != DDF_DTYPE_STRING)
                return sv_fail(s, pos, DDF_ETYPE, "can only use .str on string values, not %s",
                               ddf_dtype_name(recv->series.dtype));
            *out = sv_new(SV_STRACC);
            if (*out == NULL) return sv_oom(s);
            (*out)->stracc.series = sv_ref(recv);
            return DDF_OK;
        }
        if (strcmp(name, "name") == 0) {
            *out = recv->series.name ? sv_str(recv->series.name, strlen(recv->series.name))
                                     : sv_none();
            return *out ? DDF_OK : sv_oom(s);
        }
        if (strcmp(name, "size") == 0) {
            int64_t rows;
            int rc = sv_len(s, pos, recv, &rows);

            if (rc < 0) return rc;
            *out = sv_int(rows);
            return *out ? DDF_OK : sv_oom(s);
        }
        if (strcmp(name, "dtype") == 0) {
            const char *d = pandas_dtype(recv->series.dtype);

            *out = sv_str(d, strlen(d));
            return *out ? DDF_OK : sv_oom(s);
        }
        if (is_method(name))
            return sv_fail(s, pos, DDF_EINVAL, "'%s' is a method: call it, %s(...)", name, name);
        return sv_fail(s, pos, DDF_EINVAL, "'Series' object has no attribute '%s'", name);
    case SV_GROUPBY: {
        const char *cols[1] = {name};

        if (!recv->groupby.one &&
            ddf_schema_find(ddf_frame_schema(recv->groupby.frame->frame.frame), name) >= 0)
            return groupby_select(s, pos, recv, cols, 1, true, out);
        if (is_method(name))
            return sv_fail(s, pos, DDF_EINVAL, "'%s' is a method: call it, %s(...)", name, name);
        return sv_fail(s, pos, DDF_EINVAL, "'%s' object has no attribute '%s'",
                       sv_kind_name(recv), name);
    }
    case SV_RESULT:
        if (strcmp(name, "columns") == 0 && !recv->result.series) {
            ddf_schema *schema = ddf_schema_new();
            int rc = schema ? DDF_OK : DDF_ENOMEM;

            for (size_t c = recv->result.nkeys; c < recv->result.table->ncols && rc == DDF_OK; c++)
                rc = ddf_schema_add(schema, recv->result.table->names[c],
                                    strlen(recv->result.table->names[c]),
                                    recv->result.table->columns[c].dtype, 0);
            if (rc == DDF_OK) rc = list_of_names(s, schema, true, out);
            else rc = sv_oom(s);
            ddf_schema_free(schema);
            return rc;
        }
        if (!recv->result.series) {
            const ddf_table *t = recv->result.table;

            for (size_t c = recv->result.nkeys; c < t->ncols; c++) {
                if (strcmp(t->names[c], name) == 0) {
                    size_t cols[DDF_TOPK_MAX_KEYS + 1], n = 0;
                    ddf_table *sel = NULL;
                    ddf_error err;

                    for (size_t k = 0; k < recv->result.nkeys && n < DDF_TOPK_MAX_KEYS; k++)
                        cols[n++] = k;
                    cols[n++] = c;
                    if (ddf_frame_ops_select(t, cols, n, &sel, &err) < 0)
                        return sv_fail_ddf(s, pos, &err);
                    *out = sv_result(sel, recv->result.nkeys, true, name);
                    if (*out == NULL) return sv_oom(s);
                    (*out)->result.hide_key_names = recv->result.hide_key_names;
                    (*out)->result.start = recv->result.start;
                    return DDF_OK;
                }
            }
        }
        if (strcmp(name, "name") == 0 && recv->result.series) {
            *out = recv->result.name ? sv_str(recv->result.name, strlen(recv->result.name))
                                     : sv_none();
            return *out ? DDF_OK : sv_oom(s);
        }
        return sv_fail(s, pos, DDF_EINVAL, "'%s' result has no attribute '%s'",
                       sv_kind_name(recv), name);
    default:
        return sv_fail(s, pos, DDF_EINVAL, "'%s' object has no attribute '%s'",
                       sv_kind_name(recv), name);
    }
}

/* ---- subscripts -------------------------------------------------------------------------- */

int sv_subscript(ddf_script_session *s, const ddf_script_expr *node, sv *recv, sv *index,
                 sv **out)
{
    ddf_script_pos pos = node->op_pos;
    const char *holder = recv_name(node->subscript.value);
    ddf_error err;
    int rc;

    *out = NULL;
    if (recv->kind == SV_SORTED) {
        sv *r = NULL;

        rc = sorted_result(s, pos, recv, &r);
        if (rc == DDF_OK) rc = sv_subscript(s, node, r, index, out);
        sv_unref(r);
        return rc;
    }
    switch (recv->kind) {
    case SV_FRAME: {
        const ddf_schema *schema = ddf_frame_schema(recv->frame.frame);

        if (index->kind == SV_STR) {
            if (ddf_schema_find(schema, index->s.p) < 0)
                return no_column(s, node->subscript.index->pos, holder, schema, index->s.p);
            *out = sv_column(s, recv, index->s.p);
            return *out ? DDF_OK : sv_oom(s);
        }
        if (index->kind == SV_LIST) {
            const char *cols[DDF_MAX_COLUMNS];
            size_t n = 0;
            ddf_frame *f = NULL;

            for (size_t i = 0; i < index->list.n; i++) {
                if (index->list.items[i]->kind != SV_STR || n == DDF_MAX_COLUMNS)
                    return sv_fail(s, pos, DDF_ETYPE, "select columns with a list of names");
                cols[n++] = index->list.items[i]->s.p;
            }
            rc = check_columns(s, node->subscript.index->pos, holder, recv, cols, n);
            if (rc < 0) return rc;
            rc = ddf_frame_select(recv->frame.frame, cols, n, &f, &err);
            if (rc < 0) return sv_fail_ddf(s, pos, &err);
            return new_frame(s, f, out);
        }
        if (index->kind == SV_SERIES) {
            ddf_frame *f = NULL;

            if (index->series.frame != recv)
                return sv_fail(s, node->subscript.index->pos, DDF_EINVAL,
                               "the mask must be computed from the same frame: ddf aligns no "
                               "index (write %s[%s.col > x])", holder ? holder : "df",
                               holder ? holder : "df");
            if (index->series.dtype != DDF_DTYPE_BOOL)
                return sv_fail(s, node->subscript.index->pos, DDF_ETYPE,
                               "a mask must be bool, not %s", ddf_dtype_name(index->series.dtype));
            rc = ddf_frame_filter(recv->frame.frame, index->series.expr, &f, &err);
            if (rc < 0) return sv_fail_ddf(s, node->subscript.index->pos, &err);
            return new_frame(s, f, out);
        }
        return sv_fail(s, pos, DDF_ETYPE, "a DataFrame is indexed by a column name, a list of "
                       "names or a bool mask, not %s", sv_kind_name(index));
    }
    case SV_GROUPBY: {
        const char *cols[DDF_MAX_COLUMNS];
        size_t n = 0;

        if (index->kind == SV_STR) {
            cols[0] = index->s.p;
            return groupby_select(s, pos, recv, cols, 1, true, out);
        }
        if (index->kind == SV_LIST) {
            for (size_t i = 0; i < index->list.n; i++) {
                if (index->list.items[i]->kind != SV_STR || n == DDF_MAX_COLUMNS)
                    return sv_fail(s, pos, DDF_ETYPE, "select columns with a list of names");
                cols[n++] = index->list.items[i]->s.p;
            }
            return groupby_select(s, pos, recv, cols, n, false, out);
        }
        return sv_fail(s, pos, DDF_ETYPE, "a group-by is indexed by column names");
    }
    case SV_RESULT:
        if (index->kind == SV_LIST && !recv->result.series) {
            const ddf_table *t = recv->result.table;
            size_t cols[DDF_MAX_COLUMNS], n = 0;
            ddf_table *sel = NULL;

            for (size_t k = 0; k < recv->result.nkeys; k++)
                cols[n++] = k;
            for (size_t i = 0; i < index->list.n; i++) {
                const sv *name = index->list.items[i];
                size_t c = recv->result.nkeys;

                if (name->kind != SV_STR || n == DDF_MAX_COLUMNS)
                    return sv_fail(s, pos, DDF_ETYPE, "select columns with a list of names");
                while (c < t->ncols && strcmp(t->names[c], name->s.p) != 0)
                    c++;
                if (c == t->ncols)
                    return sv_fail(s, node->subscript.index->pos, DDF_EINVAL,
                                   "the result has no column '%s'", name->s.p);
                cols[n++] = c;
            }
            if (ddf_frame_ops_select(t, cols, n, &sel, &err) < 0) return sv_fail_ddf(s, pos, &err);
            *out = sv_result(sel, recv->result.nkeys, false, NULL);
            if (*out == NULL) return sv_oom(s);
            (*out)->result.hide_key_names = recv->result.hide_key_names;
            (*out)->result.start = recv->result.start;
            return DDF_OK;
        }
        if (index->kind == SV_STR && !recv->result.series) {
            ddf_script_expr fake = *node;

            fake.kind = DDF_SCRIPT_EXPR_ATTRIBUTE;
            fake.attribute.value = node->subscript.value;
            fake.attribute.name = index->s.p;
            fake.attribute.name_pos = node->subscript.index->pos;
            return sv_attribute(s, &fake, recv, out);
        }
        return sv_fail(s, pos, DDF_ETYPE, "this result cannot be indexed by %s",
                       sv_kind_name(index));
    case SV_LIST:
        if (index->kind == SV_INT) {
            int64_t i = index->i < 0 ? index->i + (int64_t)recv->list.n : index->i;

            if (i < 0 || i >= (int64_t)recv->list.n)
                return sv_fail(s, pos, DDF_EINVAL, "list index out of range");
            *out = sv_ref(recv->list.items[i]);
            return DDF_OK;
        }
        return sv_fail(s, pos, DDF_ETYPE, "list indices must be integers");
    case SV_DICT:
        for (size_t i = 0; i < recv->dict.n; i++) {
            const sv *k = recv->dict.keys[i];

            if (k->kind == index->kind &&
                ((k->kind == SV_STR && k->s.len == index->s.len &&
                  memcmp(k->s.p, index->s.p, k->s.len) == 0) ||
                 (k->kind == SV_INT && k->i == index->i) || (k->kind == SV_BOOL && k->b == index->b))) {
                *out = sv_ref(recv->dict.values[i]);
                return DDF_OK;
            }
        }
        return sv_fail(s, pos, DDF_EINVAL, "key not in dict");
    case SV_SERIES:
        return sv_fail(s, pos, DDF_EINVAL, "ddf series have no row labels to index: use "
                       "head(), tail() or a mask on the frame");
    default:
        return sv_fail(s, pos, DDF_ETYPE, "'%s' object is not subscriptable", sv_kind_name(recv));
    }
}

int sv_setitem(ddf_script_session *s, const ddf_script_expr *node, sv *frame, sv *key,
               sv *value, sv **out)
{
    ddf_script_pos pos = node->op_pos;
    char *expr = NULL, why[160];
    ddf_frame *f = NULL;
    ddf_error err;
    int rc;

    *out = NULL;
    if (frame->kind != SV_FRAME)
        return sv_fail(s, node->subscript.value->pos, DDF_ETYPE,
                       "only a DataFrame's columns can be assigned, not a %s's",
                       sv_kind_name(frame));
    if (key->kind != SV_STR)
        return sv_fail(s, node->subscript.index->pos, DDF_ETYPE, "a column name must be a str");
    if (value->kind == SV_SERIES) {
        if (value->series.frame != frame)
            return sv_fail(s, pos, DDF_EINVAL, "the new column must be computed from the same "
                           "frame: ddf aligns no index");
        rc = ddf_frame_assign(frame->frame.frame, key->s.p, value->series.expr, &f, &err);
    } else if (sv_is_scalar(value)) {
        if (sv_literal(value, &expr, why, sizeof why) < 0)
            return sv_fail(s, pos, DDF_ETYPE, "%s", why);
        rc = ddf_frame_assign(frame->frame.frame, key->s.p, expr, &f, &err);
        ddf_free(expr);
    } else {
        return sv_fail(s, pos, DDF_ETYPE, "a column is assigned a Series of the same frame or "
                       "a scalar, not a %s", sv_kind_name(value));
    }
    if (rc < 0) return sv_fail_ddf(s, pos, &err);
    return new_frame(s, f, out);
}

/* ---- read_csv ---------------------------------------------------------------------------- */

/* A dtype as pandas users give it: a name ("int64", "str", "object", ...) or Python's
 * type (str, int, float, bool). */
static int dtype_of(const sv *v, ddf_dtype *out)
{
    if (v->kind == SV_STR) return ddf_dtype_parse(v->s.p, out);
    if (v->kind == SV_FUNC) {
        const char *name = sv_builtin_name(v->func.id);

        if (name != NULL && (strcmp(name, "str") == 0 || strcmp(name, "int") == 0 ||
                             strcmp(name, "float") == 0 || strcmp(name, "bool") == 0))
            return ddf_dtype_parse(name, out);
    }
    return DDF_EINVAL;
}

/* A list of strings as borrowed pointers (into 'v'), in *out (ddf_malloc'ed). */
static int string_list(margs *m, sv *v, const char *what, const char ***out, size_t *n)
{
    sv *const *items = v->kind == SV_LIST ? v->list.items : &v;
    size_t count = v->kind == SV_LIST ? v->list.n : 1;

    *out = ddf_calloc(count ? count : 1, sizeof **out);
    if (*out == NULL) return sv_oom(m->s);
    for (size_t i = 0; i < count; i++) {
        if (items[i]->kind != SV_STR) {
            ddf_free((void *)*out);
            *out = NULL;
            return sv_fail(m->s, where(m), DDF_ETYPE, "read_csv(): %s must be strings", what);
        }
        (*out)[i] = items[i]->s.p;
    }
    *n = count;
    return DDF_OK;
}

int sv_read_csv(ddf_script_session *s, const ddf_script_expr *call, sv **args, size_t nargs,
                const char *const *kwnames, sv **kwvalues, size_t nkw, sv **out)
{
    bool used[32] = {false};
    margs m = {s, call, "read_csv", args, nargs, kwnames, kwvalues, nkw, used};
    sv *path = arg(&m, 0, "filepath_or_buffer", NULL), *v;
    const char **names = NULL, **usecols = NULL, **na = NULL;
    ddf_csv_pin *pins = NULL;
    ddf_csv_options opt;
    ddf_frame *f = NULL;
    ddf_error err;
    int rc = DDF_OK;

    *out = NULL;
    if (nkw > sizeof used / sizeof *used)
        return sv_fail(s, call->op_pos, DDF_ETOOBIG, "too many keyword arguments");
    if (path == NULL || path->kind != SV_STR)
        return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv() needs a path (a str)");
    ddf_csv_options_init(&opt);
    if ((v = arg(&m, -1, "sep", NULL)) || (v = arg(&m, -1, "delimiter", NULL))) {
        if (v->kind != SV_STR || v->s.len != 1)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): sep must be one character");
        opt.sep = v->s.p[0];
    }
    if ((v = arg(&m, -1, "quotechar", NULL))) {
        if (v->kind != SV_STR || v->s.len != 1)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): quotechar must be one "
                           "character");
        opt.quote = v->s.p[0];
    }
    if ((v = arg(&m, -1, "blocksize", NULL))) {
        if (v->kind != SV_INT || v->i <= 0)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): blocksize must be a "
                           "positive int (bytes)");
        opt.blocksize = (uint64_t)v->i;
    }
    if ((v = arg(&m, -1, "skiprows", NULL))) {
        if (v->kind != SV_INT || v->i < 0)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): skiprows must be a "
                           "number of rows");
        opt.skiprows = (uint64_t)v->i;
    }
    if ((v = arg(&m, -1, "header", NULL))) {
        if (v->kind == SV_NONE) opt.header = false;
        else if (v->kind == SV_INT && v->i == 0) opt.header = true;
        else return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): header must be 0 or None");
    }
    if ((v = arg(&m, -1, "keep_default_na", NULL))) {
        if (v->kind != SV_BOOL)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): keep_default_na must be a "
                           "bool");
        opt.keep_default_na = v->b;
    }
    if ((v = arg(&m, -1, "on_bad_lines", NULL))) {
        if (v->kind == SV_STR && strcmp(v->s.p, "error") == 0) opt.on_bad_lines = DDF_BAD_LINES_ERROR;
        else if (v->kind == SV_STR && strcmp(v->s.p, "warn") == 0) opt.on_bad_lines = DDF_BAD_LINES_WARN;
        else if (v->kind == SV_STR && strcmp(v->s.p, "skip") == 0) opt.on_bad_lines = DDF_BAD_LINES_SKIP;
        else return sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): on_bad_lines must be "
                            "'error', 'warn' or 'skip'");
    }
    if ((v = arg(&m, -1, "names", NULL))) rc = string_list(&m, v, "names", &names, &opt.nnames);
    if (rc == DDF_OK && (v = arg(&m, -1, "usecols", NULL)))
        rc = string_list(&m, v, "usecols", &usecols, &opt.nusecols);
    if (rc == DDF_OK && (v = arg(&m, -1, "na_values", NULL)))
        rc = string_list(&m, v, "na_values", &na, &opt.nna_values);
    if (rc == DDF_OK && (v = arg(&m, -1, "dtype", NULL))) {
        if (v->kind != SV_DICT)
            rc = sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): dtype must be a dict "
                         "{column: dtype}");
        else if ((pins = ddf_calloc(v->dict.n ? v->dict.n : 1, sizeof *pins)) == NULL)
            rc = sv_oom(s);
        for (size_t i = 0; rc == DDF_OK && i < v->dict.n; i++) {
            if (v->dict.keys[i]->kind != SV_STR || dtype_of(v->dict.values[i], &pins[i].dtype) < 0)
                rc = sv_fail(s, call->op_pos, DDF_EINVAL, "read_csv(): dtype maps column "
                             "names to int64, float64, bool or string");
            pins[i].name = v->dict.keys[i]->s.p;
        }
        opt.dtypes = pins;
        opt.ndtypes = rc == DDF_OK ? v->dict.n : 0;
    }
    opt.names = names;
    opt.usecols = usecols;
    opt.na_values = na;
    if (rc == DDF_OK) rc = check_args(&m, 1);
    if (rc == DDF_OK) {
        char full[4096 + 256];

        rc = cluster_path(s, call->pos, path->s.p, full, sizeof full);
        if (rc == DDF_OK) {
            rc = ddf_read_csv(s->client, full, &opt, &f, &err);
            if (rc < 0) rc = sv_fail_ddf(s, call->pos, &err);
        }
    }
    ddf_free((void *)names);
    ddf_free((void *)usecols);
    ddf_free((void *)na);
    ddf_free(pins);
    if (rc < 0) return rc;
    return new_frame(s, f, out);
}

/* ---- len and iteration ------------------------------------------------------------------- */

int sv_len(ddf_script_session *s, ddf_script_pos pos, sv *v, int64_t *out)
{
    ddf_error err;
    ddf_frame *f = v->kind == SV_FRAME ? v->frame.frame
                   : v->kind == SV_SERIES ? v->series.frame->frame.frame
                   : v->kind == SV_SORTED ? v->sorted.frame->frame.frame : NULL;

    if (v->kind == SV_RESULT) {
        *out = (int64_t)v->result.table->nrows;
        return DDF_OK;
    }
    if (f == NULL)
        return sv_fail(s, pos, DDF_ETYPE, "object of type '%s' has no len()", sv_kind_name(v));
    if (ddf_frame_count(f, out, &err) < 0) return sv_fail_ddf(s, pos, &err);
    return DDF_OK;
}

static int pair(ddf_script_session *s, sv *a, sv *b, sv **out)
{
    sv *t = sv_new(SV_LIST);

    if (t == NULL || (t->list.items = ddf_calloc(2, sizeof(sv *))) == NULL) {
        ddf_free(t);
        sv_unref(a);
        sv_unref(b);
        return sv_oom(s);
    }
    t->list.tuple = true;
    t->list.items[0] = a;
    t->list.items[1] = b;
    t->list.n = 2;
    if (a == NULL || b == NULL) {
        sv_unref(t);
        return sv_oom(s);
    }
    *out = t;
    return DDF_OK;
}

/* The values of a computed series as scalars: an int64 column holding a null gives
 * floats, as pandas holds it. */
static int result_values(ddf_script_session *s, const sv *r, sv ***items, size_t *n)
{
    const ddf_table *t = r->result.table;
    const ddf_column *col = &t->columns[t->ncols - 1];
    bool as_float = col->dtype == DDF_DTYPE_INT64 && col->null_count > 0;

    *items = ddf_calloc(t->nrows ? t->nrows : 1, sizeof(sv *));
    if (*items == NULL) return sv_oom(s);
    for (size_t i = 0; i < t->nrows; i++) {
        sv *v = scalar_of(col, i);

        if (v == NULL) return sv_oom(s);
        if (as_float && v->kind == SV_INT) v->kind = SV_FLOAT, v->f = (double)v->i;
        (*items)[(*n)++] = v;
    }
    return DDF_OK;
}

/* The series' values, collected, as scalars. */
static int series_values(ddf_script_session *s, ddf_script_pos pos, const sv *series,
                         sv ***items, size_t *n)
{
    ddf_table *t = NULL;
    int64_t start;
    int rc = sv_series_table(s, pos, series, 0, true, true, &t, &start);

    if (rc < 0) return rc;
    if (t->nrows > MAX_ITEMS) {
        ddf_table_free(t);
        return sv_fail(s, pos, DDF_ETOOBIG, "the series has more than %d values to walk "
                       "through here", MAX_ITEMS);
    }
    *items = ddf_calloc(t->nrows ? t->nrows : 1, sizeof(sv *));
    for (size_t i = 0; *items && i < t->nrows; i++) {
        if (((*items)[i] = scalar_of(&t->columns[0], i)) == NULL) break;
        if (t->columns[0].dtype == DDF_DTYPE_INT64 && t->columns[0].null_count > 0 &&
            (*items)[i]->kind == SV_INT)
            (*items)[i]->kind = SV_FLOAT, (*items)[i]->f = (double)(*items)[i]->i;
        *n = i + 1;
    }
    rc = *items && *n == t->nrows ? DDF_OK : DDF_ENOMEM;
    ddf_table_free(t);
    return rc == DDF_OK ? DDF_OK : sv_oom(s);
}

int sv_iterate(ddf_script_session *s, ddf_script_pos pos, sv *v, sv ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    switch (v->kind) {
    case SV_LIST:
        *items = ddf_calloc(v->list.n ? v->list.n : 1, sizeof(sv *));
        if (*items == NULL) return sv_oom(s);
        for (size_t i = 0; i < v->list.n; i++)
            (*items)[i] = sv_ref(v->list.items[i]);
        *n = v->list.n;
        return DDF_OK;
    case SV_DICT:
        *items = ddf_calloc(v->dict.n ? v->dict.n : 1, sizeof(sv *));
        if (*items == NULL) return sv_oom(s);
        for (size_t i = 0; i < v->dict.n; i++)
            (*items)[i] = sv_ref(v->dict.keys[i]);
        *n = v->dict.n;
        return DDF_OK;
    case SV_FRAME: { /* for c in df: the column names, as pandas */
        sv *names = NULL;
        int rc = list_of_names(s, ddf_frame_schema(v->frame.frame), false, &names);

        if (rc < 0) return rc;
        rc = sv_iterate(s, pos, names, items, n);
        sv_unref(names);
        return rc;
    }
    case SV_SERIES:
        return series_values(s, pos, v, items, n);
    case SV_RESULT: {
        const ddf_table *t = v->result.table;

        if (!v->result.series) { /* a frame: its column names */
            *items = ddf_calloc(t->ncols ? t->ncols : 1, sizeof(sv *));
            if (*items == NULL) return sv_oom(s);
            for (size_t c = v->result.nkeys; c < t->ncols; c++) {
                if (((*items)[*n] = sv_str(t->names[c], strlen(t->names[c]))) == NULL)
                    return sv_oom(s);
                (*n)++;
            }
            return DDF_OK;
        }
        return result_values(s, v, items, n);
    }
    case SV_STR:
        *items = ddf_calloc(v->s.len ? v->s.len : 1, sizeof(sv *));
        if (*items == NULL) return sv_oom(s);
        for (size_t i = 0; i < v->s.len; i++) {
            if (((*items)[i] = sv_str(v->s.p + i, 1)) == NULL) return sv_oom(s);
            *n = i + 1;
        }
        return DDF_OK;
    default:
        return sv_fail(s, pos, DDF_ETYPE, "'%s' object is not iterable", sv_kind_name(v));
    }
}

/* ---- methods ----------------------------------------------------------------------------- */

static int method_head_tail_frame(margs *m, ddf_frame *f, sv **out)
{
    int64_t n = 5, start;
    ddf_table *t = NULL;
    sv *nv = arg(m, 0, "n", NULL);
    int rc = check_args(m, 1);

    if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
    if (rc == DDF_OK) rc = frame_head_tail(m->s, where(m), f, n, strcmp(m->name, "head") == 0, &t, &start);
    if (rc < 0) return rc;
    *out = sv_result(t, 0, false, NULL);
    if (*out == NULL) return sv_oom(m->s);
    (*out)->result.start = start;
    return DDF_OK;
}

static int method_topk(margs *m, ddf_frame *f, const char *one_col, const char *series_name,
                       sv **out)
{
    sv *nv = arg(m, 0, "n", NULL), *colv = arg(m, one_col ? -1 : 1, "columns", NULL),
       *keepv = arg(m, -1, "keep", NULL);
    const char *cols[DDF_TOPK_MAX_KEYS];
    size_t ncols = 0;
    ddf_topk_keep keep = DDF_TOPK_KEEP_FIRST;
    ddf_table *t = NULL;
    ddf_error err;
    int64_t n = 5;
    int rc = check_args(m, one_col ? 1 : 2);

    if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
    if (rc == DDF_OK && one_col) cols[ncols++] = one_col;
    else if (rc == DDF_OK && colv == NULL)
        rc = sv_fail(m->s, where(m), DDF_EINVAL, "%s() needs the columns to order by", m->name);
    else if (rc == DDF_OK) rc = want_names(m, colv, "columns", cols, DDF_TOPK_MAX_KEYS, &ncols);
    if (rc == DDF_OK && keepv) {
        if (keepv->kind != SV_STR || ddf_topk_keep_parse(keepv->s.p, &keep) < 0)
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "%s(): keep must be 'first', 'last' or "
                         "'all'", m->name);
    }
    if (rc < 0) return rc;
    rc = ddf_frame_topk(f, n, cols, ncols, strcmp(m->name, "nlargest") == 0, keep, &t, &err);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    if (one_col) {
        ddf_table *sel = NULL;

        rc = ddf_frame_ops_select_names(t, &one_col, 1, &sel, &err);
        ddf_table_free(t);
        if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
        t = sel;
        if ((rc = rename_column(m->s, t, 0, series_name)) < 0) {
            ddf_table_free(t);
            return rc;
        }
    }
    *out = sv_result(t, 0, one_col != NULL, series_name);
    return *out ? DDF_OK : sv_oom(m->s);
}

static int method_describe(margs *m, ddf_frame *f, bool series, const char *name, sv **out)
{
    ddf_table *t = NULL;
    ddf_error err;
    int rc = check_args(m, 0);

    if (rc < 0) return rc;
    rc = ddf_frame_describe(f, &t, &err);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    if (series && t->ncols == 2 && (rc = rename_column(m->s, t, 1, name)) < 0) {
        ddf_table_free(t);
        return rc;
    }
    *out = sv_result(t, 1, series && t->ncols == 2, name);
    if (*out == NULL) return sv_oom(m->s);
    (*out)->result.hide_key_names = true;
    return DDF_OK;
}

static int method_value_counts(margs *m, sv *series, sv **out)
{
    sv *normv = arg(m, -1, "normalize", NULL), *dropv = arg(m, -1, "dropna", NULL);
    bool normalize = false, dropna = true;
    ddf_frame *frame, *owned;
    const char *col;
    ddf_table *t = NULL;
    ddf_error err;
    int rc = check_args(m, 0);

    if (rc == DDF_OK && normv) rc = want_bool(m, normv, "normalize", &normalize);
    if (rc == DDF_OK && dropv) rc = want_bool(m, dropv, "dropna", &dropna);
    if (rc == DDF_OK) rc = series_source(m->s, where(m), series, &frame, &owned, &col);
    if (rc < 0) return rc;
    rc = ddf_frame_value_counts(frame, col, dropna, normalize, &t, &err);
    ddf_frame_free(owned);
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    /* pandas 1.5: the counts are named after the series, the index has no name */
    if ((rc = rename_column(m->s, t, 1, series->series.name)) < 0) {
        ddf_table_free(t);
        return rc;
    }
    *out = sv_result(t, 1, true, series->series.name);
    if (*out == NULL) return sv_oom(m->s);
    (*out)->result.hide_key_names = true;
    return DDF_OK;
}

/* "[lit, lit, ...]" of a list of scalars into 't'; a value that has no literal is an
 * error of the method. */
static int put_literal_list(margs *m, sv_text *t, const sv *list)
{
    char why[160];

    sv_text_put(t, "[", 1);
    for (size_t i = 0; i < list->list.n; i++) {
        char *lit = NULL;

        if (sv_literal(list->list.items[i], &lit, why, sizeof why) < 0)
            return sv_fail(m->s, where(m), DDF_ETYPE, "%s(): %s", m->name, why);
        if (i) sv_text_put(t, ", ", 2);
        sv_text_puts(t, lit);
        ddf_free(lit);
    }
    sv_text_put(t, "]", 1);
    return DDF_OK;
}

/* query("qty > 10 and region == @r"): @name takes a script variable's value, outside
 * quotes. */
static int query_text(margs *m, const sv *q, char **out)
{
    sv_text t = {0};
    char quote = 0;
    int rc = DDF_OK;

    for (size_t i = 0; i < q->s.len && rc == DDF_OK; i++) {
        char c = q->s.p[i];

        if (quote == 0 && c == '@') {
            char name[128], why[160], *lit = NULL;
            size_t j = i + 1, k = 0;
            const sv *v = NULL;

            while (j < q->s.len && k + 1 < sizeof name &&
                   (q->s.p[j] == '_' || (q->s.p[j] >= 'a' && q->s.p[j] <= 'z') ||
                    (q->s.p[j] >= 'A' && q->s.p[j] <= 'Z') ||
                    (k > 0 && q->s.p[j] >= '0' && q->s.p[j] <= '9')))
                name[k++] = q->s.p[j++];
            name[k] = '\0';
            for (size_t vi = 0; vi < m->s->nvars; vi++)
                if (strcmp(m->s->vars[vi].name, name) == 0) v = m->s->vars[vi].value;
            if (v == NULL) {
                rc = sv_fail(m->s, where(m), DDF_EINVAL, "query(): name '@%s' is not defined",
                             name);
            } else if (v->kind == SV_LIST) { /* 'x in @names' */
                rc = put_literal_list(m, &t, v);
            } else if (sv_literal(v, &lit, why, sizeof why) < 0) {
                rc = sv_fail(m->s, where(m), DDF_ETYPE, "query(): @%s: %s", name, why);
            } else {
                sv_text_puts(&t, lit);
                ddf_free(lit);
            }
            i = j - 1;
            continue;
        }
        if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (quote != 0 && c == '\\' && i + 1 < q->s.len) {
            sv_text_put(&t, &c, 1);
            c = q->s.p[++i];
        } else if (quote != 0 && c == quote) {
            quote = 0;
        }
        sv_text_put(&t, &c, 1);
    }
    if (rc == DDF_OK && t.oom) rc = sv_oom(m->s);
    if (rc < 0) {
        ddf_free(t.p);
        return rc;
    }
    *out = t.p ? t.p : ddf_strdup("");
    return *out ? DDF_OK : sv_oom(m->s);
}

/* to_csv("out/sales-*.csv") or to_csv("out"): Dask's one file per partition. */
static int method_to_csv(margs *m, ddf_frame *f, sv **out)
{
    sv *path = arg(m, 0, "path", NULL), *index = arg(m, -1, "index", NULL);
    char dir[4096];
    const char *star;
    int64_t rows = 0;
    ddf_error err;
    int rc = check_args(m, 1);

    if (rc < 0) return rc;
    if (path == NULL || path->kind != SV_STR || path->s.len == 0 || path->s.len >= sizeof dir)
        return sv_fail(m->s, where(m), DDF_EINVAL, "to_csv() needs a path");
    if (index && !(index->kind == SV_BOOL && !index->b))
        return sv_fail(m->s, where(m), DDF_EINVAL, "to_csv(): ddf frames have no index to "
                       "write; give index=False or nothing");
    memcpy(dir, path->s.p, path->s.len + 1);
    star = strchr(dir, '*');
    if (star == NULL && path->s.len > 4 && strcmp(dir + path->s.len - 4, ".csv") == 0)
        return sv_fail(m->s, where(m), DDF_EINVAL, "to_csv(): ddf writes one file per "
                       "partition: give a name with '*' for its number ('out/sales-*.csv') "
                       "or a directory");
    {
        char full[4096 + 256];

        rc = cluster_path(m->s, where(m), dir, full, sizeof full);
        if (rc < 0) return rc;
        rc = ddf_frame_to_csv(f, full, &rows, &err);
    }
    if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
    *out = sv_none();
    return *out ? DDF_OK : sv_oom(m->s);
}

static int method_items(margs *m, sv *frame, sv **out)
{
    const ddf_schema *schema = ddf_frame_schema(frame->frame.frame);
    sv *list;
    int rc = check_args(m, 0);

    if (rc < 0) return rc;
    list = sv_new(SV_LIST);
    if (list == NULL || (list->list.items = ddf_calloc(schema->ncols ? schema->ncols : 1,
                                                       sizeof(sv *))) == NULL) {
        ddf_free(list);
        return sv_oom(m->s);
    }
    for (size_t c = 0; c < schema->ncols; c++) {
        const char *name = schema->fields[c].name;

        rc = pair(m->s, sv_str(name, strlen(name)), sv_column(m->s, frame, name),
                  &list->list.items[c]);
        if (rc < 0) {
            sv_unref(list);
            return rc;
        }
        list->list.n++;
    }
    *out = list;
    return DDF_OK;
}

static int method_assign(margs *m, sv *frame, sv **out)
{
    sv *cur = sv_ref(frame);
    int rc;

    for (size_t k = 0; k < m->nkw; k++)
        m->kw_used[k] = true; /* every keyword is a new column */
    rc = check_args(m, 0);

    for (size_t k = 0; k < m->nkw && rc == DDF_OK; k++) {
        sv *v = m->kwvalues[k], *series = NULL, *next = NULL;
        char *expr = NULL, why[160];
        ddf_frame *f = NULL;
        ddf_error err;

        if (v->kind == SV_LAMBDA) {
            rc = sv_lambda_apply(m->s, v, cur, NULL, true, where(m), &series);
            if (rc == DDF_OK) expr = ddf_strdup(series->series.expr);
        } else if (v->kind == SV_SERIES) {
            if (v->series.frame != frame && v->series.frame != cur)
                rc = sv_fail(m->s, where(m), DDF_EINVAL, "assign(): '%s' must be computed "
                             "from the same frame", m->kwnames[k]);
            else
                expr = ddf_strdup(v->series.expr);
        } else if (sv_is_scalar(v)) {
            if (sv_literal(v, &expr, why, sizeof why) < 0)
                rc = sv_fail(m->s, where(m), DDF_ETYPE, "assign(): %s", why);
        } else {
            rc = sv_fail(m->s, where(m), DDF_ETYPE, "assign(): '%s' must be a lambda, a Series "
                         "or a scalar", m->kwnames[k]);
        }
        if (rc == DDF_OK && expr == NULL) rc = sv_oom(m->s);
        if (rc == DDF_OK) {
            rc = ddf_frame_assign(cur->frame.frame, m->kwnames[k], expr, &f, &err);
            if (rc < 0) rc = sv_fail_ddf(m->s, where(m), &err);
            else rc = new_frame(m->s, f, &next);
        }
        ddf_free(expr);
        sv_unref(series);
        if (rc == DDF_OK) {
            sv_unref(cur);
            cur = next;
        }
    }
    if (rc < 0) {
        sv_unref(cur);
        return rc;
    }
    *out = cur;
    return DDF_OK;
}

static int method_sort_values(margs *m, sv *frame, sv **out)
{
    sv *by = arg(m, 0, "by", NULL), *asc = arg(m, -1, "ascending", NULL);
    const char *cols[DDF_TOPK_MAX_KEYS];
    size_t n = 0;
    sv *v;
    int rc = check_args(m, 1);

    if (rc == DDF_OK && by == NULL)
        rc = sv_fail(m->s, where(m), DDF_EINVAL, "sort_values() needs 'by'");
    if (rc == DDF_OK) rc = want_names(m, by, "by", cols, DDF_TOPK_MAX_KEYS, &n);
    if (rc == DDF_OK) rc = check_columns(m->s, where(m), NULL, frame, cols, n);
    if (rc < 0) return rc;
    v = sv_new(SV_SORTED);
    if (v == NULL) return sv_oom(m->s);
    v->sorted.frame = sv_ref(frame);
    v->sorted.by = copy_names(cols, n);
    v->sorted.ascending = ddf_calloc(n ? n : 1, sizeof(bool));
    v->sorted.nby = n;
    if (v->sorted.by == NULL || v->sorted.ascending == NULL) {
        sv_unref(v);
        return sv_oom(m->s);
    }
    for (size_t i = 0; i < n; i++) {
        sv *a = asc == NULL ? NULL : asc->kind == SV_LIST ? (i < asc->list.n ? asc->list.items[i] : NULL) : asc;

        if (asc != NULL && (a == NULL || a->kind != SV_BOOL)) {
            sv_unref(v);
            return sv_fail(m->s, where(m), DDF_EINVAL, "sort_values(): ascending must be a "
                           "bool or one bool per key");
        }
        v->sorted.ascending[i] = a == NULL || a->b;
    }
    *out = v;
    return DDF_OK;
}

static int frame_method(margs *m, sv *frame, const char *holder, sv **out)
{
    const char *name = m->name;
    ddf_frame *f = frame->frame.frame, *nf = NULL;
    ddf_error err;
    int rc;

    if (strcmp(name, "head") == 0 || strcmp(name, "tail") == 0)
        return method_head_tail_frame(m, f, out);
    if (is_reduction(name)) return frame_reduce(m, frame, out);
    if (strcmp(name, "describe") == 0) return method_describe(m, f, false, NULL, out);
    if (strcmp(name, "groupby") == 0) return make_groupby(m, frame, holder, out);
    if (strcmp(name, "nlargest") == 0 || strcmp(name, "nsmallest") == 0)
        return method_topk(m, f, NULL, NULL, out);
    if (strcmp(name, "sort_values") == 0) return method_sort_values(m, frame, out);
    if (strcmp(name, "to_csv") == 0) return method_to_csv(m, f, out);
    if (strcmp(name, "items") == 0) return method_items(m, frame, out);
    if (strcmp(name, "assign") == 0) return method_assign(m, frame, out);
    if (strcmp(name, "compute") == 0 || strcmp(name, "persist") == 0 ||
        strcmp(name, "copy") == 0) {
        rc = check_args(m, 0);
        if (rc == DDF_OK) *out = sv_ref(frame);
        return rc;
    }
    if (strcmp(name, "query") == 0) {
        sv *q = arg(m, 0, "expr", NULL);
        char *text = NULL;

        rc = check_args(m, 1);
        if (rc == DDF_OK && (q == NULL || q->kind != SV_STR))
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "query() needs the condition as a str");
        if (rc == DDF_OK) rc = query_text(m, q, &text);
        if (rc < 0) return rc;
        rc = ddf_frame_filter(f, text, &nf, &err);
        ddf_free(text);
        if (rc < 0) return sv_fail_ddf(m->s, m->call->call.nargs > 0 ? m->call->call.args[0]->pos : where(m), &err);
        return new_frame(m->s, nf, out);
    }
    if (strcmp(name, "apply") == 0) {
        sv *fn = arg(m, 0, "func", NULL), *axis = arg(m, -1, "axis", NULL);

        rc = check_args(m, 1);
        if (rc < 0) return rc;
        if (fn == NULL || fn->kind != SV_LAMBDA)
            return sv_fail(m->s, where(m), DDF_EINVAL, "apply() takes a lambda");
        if (axis == NULL || !((axis->kind == SV_INT && axis->i == 1) ||
                              (axis->kind == SV_STR && strcmp(axis->s.p, "columns") == 0)))
            return sv_fail(m->s, where(m), DDF_EINVAL, "DataFrame.apply runs row-wise in ddf: "
                           "give axis=1");
        return sv_lambda_apply(m->s, fn, frame, NULL, true, fn->lambda.pos, out);
    }
    if (strcmp(name, "drop") == 0) {
        sv *cols = arg(m, -1, "columns", NULL);
        const char *drop[DDF_MAX_COLUMNS], *keep[DDF_MAX_COLUMNS];
        const ddf_schema *schema = ddf_frame_schema(f);
        size_t nd = 0, nk = 0;

        rc = check_args(m, 0);
        if (rc == DDF_OK && cols == NULL)
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "drop() takes columns=[...]");
        if (rc == DDF_OK) rc = want_names(m, cols, "columns", drop, DDF_MAX_COLUMNS, &nd);
        if (rc == DDF_OK) rc = check_columns(m->s, where(m), holder, frame, drop, nd);
        if (rc < 0) return rc;
        for (size_t c = 0; c < schema->ncols; c++) {
            bool gone = false;

            for (size_t d = 0; d < nd; d++)
                gone |= strcmp(drop[d], schema->fields[c].name) == 0;
            if (!gone) keep[nk++] = schema->fields[c].name;
        }
        rc = ddf_frame_select(f, keep, nk, &nf, &err);
        if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
        return new_frame(m->s, nf, out);
    }
    return sv_fail(m->s, name_pos(m->call), DDF_EINVAL,
                   "'DataFrame' has no method '%s' in ddf scripts", name);
}

static int series_method(margs *m, sv *series, sv **out)
{
    const char *name = m->name;
    int rc;

    if (is_reduction(name)) return series_reduce(m, series, out);
    if (strcmp(name, "head") == 0 || strcmp(name, "tail") == 0) {
        sv *nv = arg(m, 0, "n", NULL);
        int64_t n = 5, start;
        ddf_table *t = NULL;

        rc = check_args(m, 1);
        if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
        if (rc == DDF_OK)
            rc = sv_series_table(m->s, where(m), series, n, strcmp(name, "head") == 0, false, &t,
                                 &start);
        if (rc < 0) return rc;
        *out = sv_result(t, 0, true, series->series.name);
        if (*out == NULL) return sv_oom(m->s);
        (*out)->result.start = start;
        return DDF_OK;
    }
    if (strcmp(name, "value_counts") == 0) return method_value_counts(m, series, out);
    if (strcmp(name, "compute") == 0 || strcmp(name, "persist") == 0 || strcmp(name, "copy") == 0) {
        rc = check_args(m, 0);
        if (rc == DDF_OK) *out = sv_ref(series);
        return rc;
    }
    if (strcmp(name, "isin") == 0) {
        sv *values = arg(m, 0, "values", NULL);
        sv_text t = {0};

        rc = check_args(m, 1);
        if (rc == DDF_OK && (values == NULL || values->kind != SV_LIST))
            rc = sv_fail(m->s, where(m), DDF_ETYPE, "isin() takes a list of values");
        if (rc < 0) return rc;
        sv_text_put(&t, "(", 1);
        sv_text_puts(&t, series->series.expr);
        sv_text_puts(&t, ") in ");
        rc = put_literal_list(m, &t, values);
        if (rc == DDF_OK && t.oom) rc = sv_oom(m->s);
        if (rc < 0) {
            ddf_free(t.p);
            return rc;
        }
        return sv_series_new(m->s, series->series.frame, t.p, series->series.name, where(m), out);
    }
    if (strcmp(name, "between") == 0) {
        sv *lo = arg(m, 0, "left", NULL), *hi = arg(m, 1, "right", NULL), *a = NULL, *b = NULL;

        rc = check_args(m, 2);
        if (rc == DDF_OK && (lo == NULL || hi == NULL))
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "between() takes left and right");
        if (rc == DDF_OK) rc = sv_series_binary(m->s, DDF_SCRIPT_OP_GE, series, lo, where(m), &a);
        if (rc == DDF_OK) rc = sv_series_binary(m->s, DDF_SCRIPT_OP_LE, series, hi, where(m), &b);
        if (rc == DDF_OK) rc = sv_series_binary(m->s, DDF_SCRIPT_OP_BITAND, a, b, where(m), out);
        sv_unref(a);
        sv_unref(b);
        return rc;
    }
    if (strcmp(name, "apply") == 0 || strcmp(name, "map") == 0) {
        sv *fn = arg(m, 0, strcmp(name, "apply") == 0 ? "func" : "arg", NULL);

        rc = check_args(m, 1);
        if (rc < 0) return rc;
        if (fn == NULL || fn->kind != SV_LAMBDA)
            return sv_fail(m->s, where(m), DDF_EINVAL, "%s() takes a lambda", name);
        return sv_lambda_apply(m->s, fn, series->series.frame, series, false, fn->lambda.pos, out);
    }
    if (strcmp(name, "isnull") == 0 || strcmp(name, "isna") == 0 || strcmp(name, "notnull") == 0 ||
        strcmp(name, "notna") == 0 || strcmp(name, "abs") == 0) {
        const char *fn = name[0] == 'a' ? "abs" : name[0] == 'i' ? "isnull" : "notnull";

        rc = check_args(m, 0);
        if (rc < 0) return rc;
        return sv_series_call(m->s, fn, series, NULL, 0, series->series.name, where(m), out);
    }
    if (strcmp(name, "round") == 0) {
        sv *d = arg(m, 0, "decimals", NULL);
        sv *args[1] = {d};

        rc = check_args(m, 1);
        if (rc < 0) return rc;
        return sv_series_call(m->s, "round", series, args, d ? 1 : 0, series->series.name,
                              where(m), out);
    }
    if (strcmp(name, "fillna") == 0) {
        sv *v = arg(m, 0, "value", NULL);

        rc = check_args(m, 1);
        if (rc == DDF_OK && v == NULL) rc = sv_fail(m->s, where(m), DDF_EINVAL, "fillna() needs a value");
        if (rc < 0) return rc;
        return sv_series_call(m->s, "fillna", series, &v, 1, series->series.name, where(m), out);
    }
    if (strcmp(name, "astype") == 0) {
        sv *t = arg(m, 0, "dtype", NULL), *canon = NULL;
        ddf_dtype d;

        rc = check_args(m, 1);
        if (rc == DDF_OK && (t == NULL || dtype_of(t, &d) < 0))
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "astype() takes int64, float64, bool or "
                         "string (or str / object)");
        if (rc < 0) return rc;
        canon = sv_str(ddf_dtype_name(d), strlen(ddf_dtype_name(d)));
        if (canon == NULL) return sv_oom(m->s);
        rc = sv_series_call(m->s, "astype", series, &canon, 1, series->series.name, where(m), out);
        sv_unref(canon);
        return rc;
    }
    if (strcmp(name, "describe") == 0 || strcmp(name, "nlargest") == 0 ||
        strcmp(name, "nsmallest") == 0) {
        ddf_frame *frame, *owned, *one = NULL;
        const char *col;
        ddf_error err;

        rc = series_source(m->s, where(m), series, &frame, &owned, &col);
        if (rc < 0) return rc;
        rc = ddf_frame_select(frame, &col, 1, &one, &err);
        if (rc < 0) rc = sv_fail_ddf(m->s, where(m), &err);
        else if (name[0] == 'd') rc = method_describe(m, one, true, series->series.name, out);
        else rc = method_topk(m, one, col, series->series.name, out);
        ddf_frame_free(one);
        ddf_frame_free(owned);
        return rc;
    }
    if (strcmp(name, "to_list") == 0 || strcmp(name, "tolist") == 0) {
        sv **items = NULL;
        size_t n = 0;

        rc = check_args(m, 0);
        if (rc == DDF_OK) rc = series_values(m->s, where(m), series, &items, &n);
        if (rc < 0) return rc;
        *out = sv_new(SV_LIST);
        if (*out == NULL) {
            for (size_t i = 0; i < n; i++)
                sv_unref(items[i]);
            ddf_free(items);
            return sv_oom(m->s);
        }
        (*out)->list.items = items;
        (*out)->list.n = n;
        return DDF_OK;
    }
    if (strcmp(name, "sort_values") == 0) {
        sv *asc = arg(m, -1, "ascending", NULL);
        ddf_table *t = NULL, *sorted = NULL;
        int64_t start;
        bool ascending = true;
        char *by[1];

        rc = check_args(m, 0);
        if (rc == DDF_OK && asc) rc = want_bool(m, asc, "ascending", &ascending);
        if (rc == DDF_OK) rc = sv_series_table(m->s, where(m), series, 0, true, true, &t, &start);
        if (rc < 0) return rc;
        by[0] = t->names[0];
        rc = sort_table(m->s, where(m), t, by, &ascending, 1, &sorted);
        ddf_table_free(t);
        if (rc < 0) return rc;
        *out = sv_result(sorted, 0, true, series->series.name);
        return *out ? DDF_OK : sv_oom(m->s);
    }
    return sv_fail(m->s, name_pos(m->call), DDF_EINVAL,
                   "'Series' has no method '%s' in ddf scripts", name);
}

static int str_method(margs *m, sv *acc, sv **out)
{
    static const struct {
        const char *name, *worker;
        size_t nargs;
    } fns[] = {
        {"lower", "lower", 0},         {"upper", "upper", 0},       {"strip", "strip", 0},
        {"len", "len", 0},             {"contains", "contains", 1}, {"startswith", "startswith", 1},
        {"endswith", "endswith", 1},   {"replace", "replace", 2},
    };
    sv *series = acc->stracc.series;

    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        sv *args[2] = {NULL, NULL};
        int rc;

        if (strcmp(fns[i].name, m->name) != 0) continue;
        if (fns[i].nargs >= 1) args[0] = arg(m, 0, fns[i].nargs == 2 ? "pat" : "pat", NULL);
        if (fns[i].nargs == 2) args[1] = arg(m, 1, "repl", NULL);
        /* pandas' regex=True default: a pattern without special characters means the same */
        arg(m, -1, "regex", NULL);
        rc = check_args(m, fns[i].nargs);
        if (rc < 0) return rc;
        for (size_t k = 0; k < fns[i].nargs; k++)
            if (args[k] == NULL || args[k]->kind != SV_STR)
                return sv_fail(m->s, where(m), DDF_EINVAL, "str.%s() takes %zu string "
                               "argument%s", m->name, fns[i].nargs, fns[i].nargs == 1 ? "" : "s");
        if (fns[i].nargs >= 1 && strpbrk(args[0]->s.p, ".^$*+?{}[]\\|()") != NULL &&
            (strcmp(m->name, "contains") == 0 || strcmp(m->name, "replace") == 0))
            return sv_fail(m->s, where(m), DDF_EINVAL, "str.%s(): ddf matches plain text, not "
                           "regular expressions ('%s' holds a special character)", m->name,
                           args[0]->s.p);
        return sv_series_call(m->s, fns[i].worker, series, args, fns[i].nargs,
                              series->series.name, where(m), out);
    }
    return sv_fail(m->s, where(m), DDF_EINVAL, "'.str' has no method '%s' in ddf scripts "
                   "(lower, upper, strip, len, contains, startswith, endswith, replace)", m->name);
}

static int groupby_method(margs *m, sv *gb, sv **out)
{
    const char *name = m->name;
    ddf_agg_kind kind;
    int rc;

    if (strcmp(name, "agg") == 0 || strcmp(name, "aggregate") == 0) return groupby_agg(m, gb, out);
    if (agg_of(name, &kind, NULL) == DDF_OK) {
        arg(m, -1, "numeric_only", NULL);
        rc = check_args(m, 0);
        if (rc < 0) return rc;
        return groupby_agg_named(m, gb, name, out);
    }
    return sv_fail(m->s, name_pos(m->call), DDF_EINVAL,
                   "'%s' has no method '%s' in ddf scripts", sv_kind_name(gb), name);
}

/* A reduction of a computed series (gb.qty.sum().max()), done here: it is in memory. */
static int result_reduce(margs *m, sv *r, sv **out)
{
    const ddf_table *t = r->result.table;
    const ddf_column *col = &t->columns[t->ncols - 1];
    ddf_agg_kind kind = DDF_AGG_COUNT;
    size_t count = 0, best = SIZE_MAX;
    double sum = 0, mean = 0, m2 = 0;
    int64_t isum = 0;
    bool overflow = false;
    int rc = check_args(m, 0);

    if (rc < 0) return rc;
    agg_of(m->name, &kind, NULL);
    if (kind == DDF_AGG_NUNIQUE)
        return sv_fail(m->s, where(m), DDF_EINVAL, "nunique() of a computed series is not "
                       "supported");
    if (col->dtype == DDF_DTYPE_STRING && kind != DDF_AGG_COUNT && kind != DDF_AGG_MIN &&
        kind != DDF_AGG_MAX)
        return sv_fail(m->s, where(m), DDF_ETYPE, "%s() of strings", m->name);
    for (size_t i = 0; i < t->nrows; i++) {
        double x;

        if (!ddf_column_is_valid(col, i)) continue;
        if (col->dtype == DDF_DTYPE_FLOAT64 && isnan(col->values.f64[i])) continue;
        count++;
        if (kind == DDF_AGG_MIN || kind == DDF_AGG_MAX) {
            int c;
            uint32_t a = (uint32_t)i, b = (uint32_t)best;
            bool asc = true;
            size_t cols[1] = {t->ncols - 1};
            sort_ctx ctx = {t, cols, &asc, 1};

            if (best == SIZE_MAX) {
                best = i;
                continue;
            }
            c = cmp_rows(&a, &b, &ctx);
            if ((kind == DDF_AGG_MIN && c < 0) || (kind == DDF_AGG_MAX && c > 0)) best = i;
            continue;
        }
        x = col->dtype == DDF_DTYPE_FLOAT64 ? col->values.f64[i]
            : col->dtype == DDF_DTYPE_INT64 ? (double)col->values.i64[i] : col->values.b8[i];
        if (col->dtype != DDF_DTYPE_FLOAT64)
            overflow |= __builtin_add_overflow(isum, col->dtype == DDF_DTYPE_INT64
                                                         ? col->values.i64[i] : col->values.b8[i],
                                               &isum);
        sum += x;
        { /* Welford, as the workers' kernels */
            double d = x - mean;

            mean += d / (double)count;
            m2 += d * (x - mean);
        }
    }
    switch (kind) {
    case DDF_AGG_COUNT: *out = sv_int((int64_t)count); break;
    case DDF_AGG_MIN:
    case DDF_AGG_MAX:
        *out = best == SIZE_MAX ? sv_float(NAN) : scalar_of(col, best);
        if (*out && col->dtype == DDF_DTYPE_INT64 && col->null_count > 0 && (*out)->kind == SV_INT)
            (*out)->kind = SV_FLOAT, (*out)->f = (double)(*out)->i;
        break;
    case DDF_AGG_SUM:
        *out = col->dtype != DDF_DTYPE_FLOAT64 && !overflow && col->null_count == 0
                   ? sv_int(isum) : sv_float(sum);
        break;
    case DDF_AGG_MEAN: *out = sv_float(count ? mean : NAN); break;
    case DDF_AGG_VAR: *out = sv_float(count > 1 ? m2 / (double)(count - 1) : NAN); break;
    default: *out = sv_float(count > 1 ? sqrt(m2 / (double)(count - 1)) : NAN); break;
    }
    return *out ? DDF_OK : sv_oom(m->s);
}

static int result_method(margs *m, sv *r, sv **out)
{
    const char *name = m->name;
    ddf_table *t = r->result.table, *cut = NULL;
    ddf_error err;
    int rc;

    if (strcmp(name, "head") == 0 || strcmp(name, "tail") == 0) {
        sv *nv = arg(m, 0, "n", NULL);
        int64_t n = 5;
        bool head = name[0] == 'h';

        rc = check_args(m, 1);
        if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
        if (rc < 0) return rc;
        rc = head ? ddf_frame_ops_head(t, NULL, 0, n, &cut, &err)
                  : ddf_frame_ops_tail(t, NULL, 0, n, &cut, &err);
        if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
        *out = sv_result(cut, r->result.nkeys, r->result.series, r->result.name);
        if (*out == NULL) return sv_oom(m->s);
        (*out)->result.hide_key_names = r->result.hide_key_names;
        (*out)->result.start = r->result.start + (head ? 0 : (int64_t)(t->nrows - cut->nrows));
        return DDF_OK;
    }
    if (strcmp(name, "compute") == 0 || strcmp(name, "copy") == 0) {
        rc = check_args(m, 0);
        if (rc == DDF_OK) *out = sv_ref(r);
        return rc;
    }
    if (r->result.series && is_reduction(name)) return result_reduce(m, r, out);
    if (r->result.series && (strcmp(name, "nlargest") == 0 || strcmp(name, "nsmallest") == 0)) {
        sv *nv = arg(m, 0, "n", NULL);
        int64_t n = 5;
        char *key[1] = {t->names[t->ncols - 1]};
        bool asc = name[1] == 's';
        ddf_table *sorted = NULL;

        rc = check_args(m, 1);
        if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
        if (rc == DDF_OK) rc = sort_table(m->s, where(m), t, key, &asc, 1, &sorted);
        if (rc < 0) return rc;
        rc = ddf_frame_ops_head(sorted, NULL, 0, n < 0 ? 0 : n, &cut, &err);
        ddf_table_free(sorted);
        if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
        *out = sv_result(cut, r->result.nkeys, true, r->result.name);
        if (*out == NULL) return sv_oom(m->s);
        (*out)->result.hide_key_names = r->result.hide_key_names;
        return DDF_OK;
    }
    if (strcmp(name, "sort_values") == 0) {
        sv *by = arg(m, r->result.series ? -1 : 0, "by", NULL), *asc = arg(m, -1, "ascending", NULL);
        char *keys[DDF_TOPK_MAX_KEYS];
        bool ascending[DDF_TOPK_MAX_KEYS];
        const char *names[DDF_TOPK_MAX_KEYS];
        size_t nk = 0;

        rc = check_args(m, r->result.series ? 0 : 1);
        if (rc == DDF_OK && r->result.series) names[nk++] = t->names[t->ncols - 1];
        else if (rc == DDF_OK && by == NULL)
            rc = sv_fail(m->s, where(m), DDF_EINVAL, "sort_values() needs 'by'");
        else if (rc == DDF_OK) rc = want_names(m, by, "by", names, DDF_TOPK_MAX_KEYS, &nk);
        for (size_t k = 0; k < nk && rc == DDF_OK; k++) {
            sv *a = asc == NULL ? NULL : asc->kind == SV_LIST ? (k < asc->list.n ? asc->list.items[k] : NULL) : asc;

            if (asc != NULL && (a == NULL || a->kind != SV_BOOL))
                rc = sv_fail(m->s, where(m), DDF_EINVAL, "sort_values(): ascending must be a "
                             "bool or one bool per key");
            ascending[k] = a == NULL || a->b;
            keys[k] = (char *)names[k];
        }
        if (rc == DDF_OK) rc = sort_table(m->s, where(m), t, keys, ascending, nk, &cut);
        if (rc < 0) return rc;
        *out = sv_result(cut, r->result.nkeys, r->result.series, r->result.name);
        if (*out == NULL) return sv_oom(m->s);
        (*out)->result.hide_key_names = r->result.hide_key_names;
        return DDF_OK;
    }
    if (strcmp(name, "reset_index") == 0) {
        arg(m, -1, "drop", NULL);
        rc = check_args(m, 0);
        if (rc < 0) return rc;
        rc = ddf_frame_ops_take(t, NULL, 0, &cut, &err);
        if (rc < 0) return sv_fail_ddf(m->s, where(m), &err);
        if (r->result.series && (rc = rename_column(m->s, cut, cut->ncols - 1,
                                                    r->result.name ? r->result.name : "0")) < 0) {
            ddf_table_free(cut);
            return rc;
        }
        *out = sv_result(cut, 0, false, NULL);
        return *out ? DDF_OK : sv_oom(m->s);
    }
    if (strcmp(name, "to_list") == 0 || strcmp(name, "tolist") == 0) {
        const ddf_column *col = &t->columns[t->ncols - 1];

        rc = check_args(m, 0);
        if (rc < 0) return rc;
        (void)col;
        if (!r->result.series)
            return sv_fail(m->s, where(m), DDF_ETYPE, "to_list() is a Series method");
        *out = sv_new(SV_LIST);
        if (*out == NULL) return sv_oom(m->s);
        rc = result_values(m->s, r, &(*out)->list.items, &(*out)->list.n);
        if (rc < 0) {
            sv_unref(*out);
            *out = NULL;
        }
        return rc;
    }
    return sv_fail(m->s, name_pos(m->call), DDF_EINVAL,
                   "a computed %s has no method '%s' in ddf scripts (head, tail, reset_index, "
                   "to_list)", sv_kind_name(r), name);
}

static int sorted_method(margs *m, sv *sorted, sv **out)
{
    if (strcmp(m->name, "head") == 0 || strcmp(m->name, "tail") == 0) {
        sv *nv = arg(m, 0, "n", NULL);
        int64_t n = 5;
        ddf_table *all = NULL, *cut = NULL;
        ddf_error err;
        int rc = check_args(m, 1);

        if (rc == DDF_OK && nv) rc = want_int(m, nv, "n", &n);
        if (rc == DDF_OK) rc = sv_sorted_table(m->s, where(m), sorted, &all);
        if (rc < 0) return rc;
        rc = m->name[0] == 'h' ? ddf_frame_ops_head(all, NULL, 0, n, &cut, &err)
                               : ddf_frame_ops_tail(all, NULL, 0, n, &cut, &err);
        if (rc < 0) {
            ddf_table_free(all);
            return sv_fail_ddf(m->s, where(m), &err);
        }
        *out = sv_result(cut, 0, false, NULL);
        if (*out != NULL && m->name[0] == 't')
            (*out)->result.start = (int64_t)(all->nrows - cut->nrows);
        ddf_table_free(all);
        return *out ? DDF_OK : sv_oom(m->s);
    }
    if (strcmp(m->name, "compute") == 0) {
        int rc = check_args(m, 0);

        if (rc == DDF_OK) *out = sv_ref(sorted);
        return rc;
    }
    return sv_fail(m->s, name_pos(m->call), DDF_EINVAL,
                   "a sorted frame has no method '%s' in ddf scripts (head, tail)", m->name);
}

int sv_call_method(ddf_script_session *s, const ddf_script_expr *call, sv *recv,
                   const char *name, sv **args, size_t nargs, const char *const *kwnames,
                   sv **kwvalues, size_t nkw, sv **out)
{
    bool used[32] = {false};
    margs m = {s, call, name, args, nargs, kwnames, kwvalues, nkw, used};
    const char *holder = call && call->call.func->kind == DDF_SCRIPT_EXPR_ATTRIBUTE
                             ? recv_name(call->call.func->attribute.value) : NULL;

    *out = NULL;
    if (nkw > sizeof used / sizeof *used)
        return sv_fail(s, call->op_pos, DDF_ETOOBIG, "too many keyword arguments");
    switch (recv->kind) {
    case SV_FRAME: return frame_method(&m, recv, holder, out);
    case SV_SERIES: return series_method(&m, recv, out);
    case SV_STRACC: return str_method(&m, recv, out);
    case SV_GROUPBY: return groupby_method(&m, recv, out);
    case SV_RESULT: return result_method(&m, recv, out);
    case SV_SORTED: return sorted_method(&m, recv, out);
    case SV_STR:
        if (strcmp(name, "lower") == 0 || strcmp(name, "upper") == 0) {
            sv *v = check_args(&m, 0) == DDF_OK ? sv_str(recv->s.p, recv->s.len) : NULL;

            if (v == NULL) return s->err->code ? s->err->code : sv_oom(s);
            for (size_t i = 0; i < v->s.len; i++) {
                char c = v->s.p[i];

                if (name[0] == 'l' && c >= 'A' && c <= 'Z') v->s.p[i] = (char)(c + 32);
                if (name[0] == 'u' && c >= 'a' && c <= 'z') v->s.p[i] = (char)(c - 32);
            }
            *out = v;
            return DDF_OK;
        }
        /* fall through */
    default:
        return sv_fail(s, name_pos(call),
                       DDF_EINVAL, "'%s' object has no method '%s'", sv_kind_name(recv), name);
    }
}
