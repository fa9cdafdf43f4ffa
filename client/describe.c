/* describe.c - df.describe() (ddf.h): summary statistics the way pandas prints them.
 *
 * count, mean, std, min and max of every numeric column come from one reduction over the
 * cluster. Quartiles are not mergeable partial states, and pandas gives exact ones (linear
 * interpolation between the closest ranks), so each numeric column is collected on its
 * own, sorted and read at the three ranks: memory holds one column at a time. A frame
 * without numeric columns is described as pandas describes object columns: count,
 * unique, top (the most frequent value, first seen on ties) and freq, from value_counts. */
#include "client_int.h"

#include "alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NUMERIC_ROWS[] = {"count", "mean", "std", "min",
                                           "25%",   "50%",  "75%", "max"};
static const char *const OBJECT_ROWS[] = {"count", "unique", "top", "freq"};
#define NSTATS 5 /* count mean std min max: aggregations per numeric column */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The value of a one-row result column as a double (NaN for null). */
static double cell(const ddf_column *col, size_t row)
{
    if (!ddf_column_is_valid(col, row))
        return NAN;
    if (col->dtype == DDF_DTYPE_INT64)
        return (double)col->values.i64[row];
    if (col->dtype == DDF_DTYPE_FLOAT64)
        return col->values.f64[row];
    return NAN;
}

/* pandas' quantile with linear interpolation over the sorted non-null values. */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);

    if (n == 0)
        return NAN;
    return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

/* The quartiles of column 'name' into q[3]. */
static int quartiles(ddf_frame *f, const char *name, double q[3], ddf_error *err)
{
    ddf_frame *one;
    ddf_table *t;
    double *v;
    size_t n = 0;
    int rc = ddf_frame_select(f, &name, 1, &one, err);

    if (rc < 0)
        return rc;
    rc = ddf_frame_collect(one, &t, err);
    ddf_frame_free(one);
    if (rc < 0)
        return rc;
    v = ddf_calloc(t->nrows ? t->nrows : 1, sizeof *v);
    if (v == NULL) {
        ddf_table_free(t);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < t->nrows; r++)
        if (ddf_column_is_valid(&t->columns[0], r))
            v[n++] = cell(&t->columns[0], r);
    qsort(v, n, sizeof *v, cmp_double);
    for (int i = 0; i < 3; i++)
        q[i] = quantile(v, n, 0.25 * (i + 1));
    ddf_free(v);
    ddf_table_free(t);
    return DDF_OK;
}

/* A result table: a string column "" with the row labels, then one column per name. */
static ddf_table *labelled(const char *const *labels, size_t nlabels, const char *const *names,
                           size_t n, ddf_dtype dtype)
{
    ddf_table *t = ddf_table_new(n + 1);
    bool ok = t != NULL;

    ok = ok && ddf_table_set_column(t, 0, "", 0, DDF_DTYPE_STRING) == DDF_OK;
    for (size_t c = 0; ok && c < n; c++)
        ok = ddf_table_set_column(t, c + 1, names[c], strlen(names[c]), dtype) == DDF_OK;
    for (size_t r = 0; ok && r < nlabels; r++)
        ok = ddf_column_append_str(&t->columns[0], t->arena, labels[r], strlen(labels[r])) ==
             DDF_OK;
    if (!ok) {
        ddf_table_free(t);
        return NULL;
    }
    t->nrows = nlabels;
    return t;
}

static int describe_numeric(ddf_frame *f, const char **names, size_t n, ddf_table **out,
                            ddf_error *err)
{
    static const ddf_agg_kind kinds[NSTATS] = {DDF_AGG_COUNT, DDF_AGG_MEAN, DDF_AGG_STD,
                                               DDF_AGG_MIN, DDF_AGG_MAX};
    ddf_plan_agg *aggs = ddf_calloc(n * NSTATS, sizeof *aggs);
    ddf_table *red = NULL, *t = NULL;
    int rc;

    if (aggs == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t c = 0; c < n; c++)
        for (size_t k = 0; k < NSTATS; k++)
            aggs[c * NSTATS + k] = (ddf_plan_agg){names[c], kinds[k]};
    rc = ddf_frame_aggregate(f, aggs, n * NSTATS, &red, err);
    ddf_free(aggs);
    if (rc < 0)
        return rc;
    t = labelled(NUMERIC_ROWS, 8, names, n, DDF_DTYPE_FLOAT64);
    if (t == NULL) {
        ddf_table_free(red);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    for (size_t c = 0; c < n && rc == DDF_OK; c++) {
        const ddf_column *s = &red->columns[c * NSTATS];
        double q[3], row[8];

        rc = quartiles(f, names[c], q, err);
        row[0] = cell(&s[0], 0);
        row[1] = cell(&s[1], 0);
        row[2] = cell(&s[2], 0);
        row[3] = cell(&s[3], 0);
        row[4] = q[0];
        row[5] = q[1];
        row[6] = q[2];
        row[7] = cell(&s[4], 0);
        for (int r = 0; r < 8 && rc == DDF_OK; r++)
            rc = isnan(row[r]) ? ddf_column_append_null(&t->columns[c + 1], t->arena)
                               : ddf_column_append_f64(&t->columns[c + 1], t->arena, row[r]);
    }
    ddf_table_free(red);
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    *out = t;
    return DDF_OK;
}

/* The text of row r of a value_counts "value" column, as pandas prints it. */
static void value_text(const ddf_column *col, size_t r, char *buf, size_t cap)
{
    size_t len;
    const char *s;

    if (!ddf_column_is_valid(col, r)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    switch (col->dtype) {
    case DDF_DTYPE_BOOL:
        snprintf(buf, cap, "%s", col->values.b8[r] ? "True" : "False");
        break;
    case DDF_DTYPE_INT64:
        snprintf(buf, cap, "%lld", (long long)col->values.i64[r]);
        break;
    case DDF_DTYPE_FLOAT64:
        snprintf(buf, cap, "%.17g", col->values.f64[r]);
        break;
    default:
        s = ddf_column_str(col, r, &len);
        snprintf(buf, cap, "%.*s", (int)(len < cap ? len : cap - 1), s);
    }
}

static int describe_objects(ddf_frame *f, ddf_table **out, ddf_error *err)
{
    const ddf_schema *s = f->out;
    const char **names = ddf_calloc(s->ncols ? s->ncols : 1, sizeof *names);
    ddf_table *t;
    int rc = DDF_OK;

    if (names == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t c = 0; c < s->ncols; c++)
        names[c] = s->fields[c].name;
    t = labelled(OBJECT_ROWS, 4, names, s->ncols, DDF_DTYPE_STRING);
    ddf_free(names);
    if (t == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t c = 0; c < s->ncols && rc == DDF_OK; c++) {
        ddf_table *vc;
        char cells[4][512];
        int64_t count = 0;

        rc = ddf_frame_value_counts(f, s->fields[c].name, true, false, &vc, err);
        if (rc < 0)
            break;
        for (size_t r = 0; r < vc->nrows; r++)
            count += vc->columns[1].values.i64[r];
        snprintf(cells[0], sizeof cells[0], "%lld", (long long)count);
        snprintf(cells[1], sizeof cells[1], "%zu", vc->nrows);
        if (vc->nrows > 0) {
            value_text(&vc->columns[0], 0, cells[2], sizeof cells[2]);
            snprintf(cells[3], sizeof cells[3], "%lld",
                     (long long)vc->columns[1].values.i64[0]);
        }
        for (int r = 0; r < 4 && rc == DDF_OK; r++)
            rc = (r >= 2 && vc->nrows == 0)
                     ? ddf_column_append_null(&t->columns[c + 1], t->arena)
                     : ddf_column_append_str(&t->columns[c + 1], t->arena, cells[r],
                                             strlen(cells[r]));
        ddf_table_free(vc);
    }
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    *out = t;
    return DDF_OK;
}

int ddf_frame_describe(ddf_frame *f, ddf_table **out, ddf_error *err)
{
    const ddf_schema *s = f->out;
    const char **names = ddf_calloc(s->ncols ? s->ncols : 1, sizeof *names);
    size_t n = 0;
    int rc;

    *out = NULL;
    if (names == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t c = 0; c < s->ncols; c++)
        if (s->fields[c].dtype == DDF_DTYPE_INT64 || s->fields[c].dtype == DDF_DTYPE_FLOAT64)
            names[n++] = s->fields[c].name;
    if (s->ncols == 0)
        rc = ddf_error_setf(err, DDF_EINVAL, "describe: the frame has no columns");
    else
        rc = n > 0 ? describe_numeric(f, names, n, out, err) : describe_objects(f, out, err);
    ddf_free(names);
    return rc;
}
