/* fuzz_expr.c - libFuzzer target for the expression language (DESIGN §9 "Fuzz targets").
 *
 * The input is expression text from a user we do not trust (a query string, a lambda
 * compiled by the client). It is parsed; a parse error must name a place inside the text.
 * A tree that parses is checked against a fixed schema; one that checks is evaluated over
 * a small table of edge values (nulls, int64 extremes, -0.0, inf, NaN, empty and UTF-8
 * strings, repeated five times), once over all rows and once through a selection vector
 * of every row:
 *  - the result has one row per input row and the dtype the checker promised (float64
 *    for None);
 *  - both evaluations agree row by row (the selection path is the filter's path);
 *  - rows holding the same values give the same result: the first 32 rows go through
 *    float arithmetic's vector blocks, the last 8 one at a time (common/f64_chain.c);
 *  - column k holds byte-sized ints, read through their byte copy (column.h) by float
 *    arithmetic: the same table without the copy gives the same bits;
 *  - a float64 result summed in four lanes without being made (ddf_eval_sum_lanes)
 *    leaves the lanes as agg.h's stream fed the evaluated column: the same bits;
 *  - a bool expression also runs as a filter, whose rows must be increasing, in range,
 *    and exactly the rows where the evaluated value is true.
 * Evaluation errors are allowed (astype of NaN to int64 is one), crashes, leaks, UB and
 * broken rules are not: any broken rule aborts. */
#include "agg.h"
#include "arena.h"
#include "eval.h"
#include "expr.h"
#include "limits.h"
#include "schema.h"
#include "table.h"
#include "table_compact.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEDGE 8            /* distinct rows */
#define NROWS (5 * NEDGE) /* the edge rows over and over */
#define NCOLS 6

static void fail(const char *what, const char *text, size_t len)
{
    fprintf(stderr, "fuzz-expr: %s: %.*s\n", what, (int)len, text);
    abort();
}

/* Columns i int64, f float64, s string, b bool, `odd name` int64, k int64 of byte-sized
 * values with its byte copy; NEDGE rows repeated, row 2 of each all null. */
static ddf_table *sample(void)
{
    static const int64_t iv[NEDGE] = {-7, 7, 0, INT64_MAX, INT64_MIN, 0, 1, -1};
    static const double fv[NEDGE] = {-0.0, 1.5, 0, INFINITY, NAN, 2.5, -INFINITY, 1e308};
    static const char *const sv[NEDGE] = {"Hello", "", NULL, "h\xc3\xa9llo w\xc3\xb6rld",
                                          "  pad  ", "ab", "\xf0\x9f\x98\x80", "7"};
    static const int64_t kv[NEDGE] = {-128, 127, 0, 0, -1, 1, 100, -5};
    static const char *const names[] = {"i", "f", "s", "b", "odd name", "k"};
    static const ddf_dtype dtypes[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_STRING,
                                       DDF_DTYPE_BOOL,  DDF_DTYPE_INT64,   DDF_DTYPE_INT64};
    ddf_table *t = ddf_table_new(NCOLS);
    int rc = t ? DDF_OK : DDF_ENOMEM;

    for (size_t c = 0; c < NCOLS && rc == DDF_OK; c++)
        rc = ddf_table_set_column(t, c, names[c], strlen(names[c]), dtypes[c]);
    for (size_t row = 0; row < NROWS && rc == DDF_OK; row++) {
        ddf_column *col = t->columns;
        ddf_arena *a = t->arena;
        size_t r = row % NEDGE;

        if (r == 2) {
            for (size_t c = 0; c < NCOLS && rc == DDF_OK; c++)
                rc = ddf_column_append_null(&col[c], a);
            continue;
        }
        rc = ddf_column_append_i64(&col[0], a, iv[r]);
        rc = rc ? rc : ddf_column_append_f64(&col[1], a, fv[r]);
        rc = rc ? rc : ddf_column_append_str(&col[2], a, sv[r], strlen(sv[r]));
        rc = rc ? rc : ddf_column_append_bool(&col[3], a, r % 3 == 0);
        rc = rc ? rc : ddf_column_append_i64(&col[4], a, (int64_t)r * 1000 - 3000);
        rc = rc ? rc : ddf_column_append_i64(&col[5], a, kv[r]);
    }
    if (rc != DDF_OK)
        abort(); /* a fixed, small table: only memory can fail, and that is not the input */
    t->nrows = NROWS;
    ddf_column_add_byte_copy(&t->columns[5], t->arena);
    if (t->columns[5].i8 == NULL)
        abort();
    return t;
}

static ddf_schema *schema_of(const ddf_table *t)
{
    ddf_schema *s = ddf_schema_new();

    for (size_t c = 0; s && c < t->ncols; c++)
        if (ddf_schema_add(s, t->names[c], strlen(t->names[c]), t->columns[c].dtype, 0) < 0)
            abort();
    if (s == NULL)
        abort();
    return s;
}

/* Row r of the two results is one value: equal, or both NaN. */
static int same_value(const ddf_column *a, size_t i, const ddf_column *b, size_t j)
{
    if (ddf_column_value_equal(a, i, b, j))
        return 1;
    return a->dtype == DDF_DTYPE_FLOAT64 && ddf_column_is_valid(a, i) &&
           ddf_column_is_valid(b, j) && isnan(a->values.f64[i]) && isnan(b->values.f64[j]);
}

/* An error's place is a byte of the text (or just past it), or -1 for none. */
static int place_ok(const ddf_error *err, size_t size)
{
    return err->offset >= -1 && err->offset <= (int64_t)size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    ddf_table *t = sample();
    ddf_schema *schema = schema_of(t);
    ddf_arena *arena = ddf_arena_new(), *scratch = ddf_arena_new();
    uint32_t all[NROWS], *sel = NULL;
    ddf_column whole, picked;
    ddf_expr *e = NULL;
    ddf_error err;
    size_t nsel = 0;
    int rc, rc2;

    if (arena == NULL || scratch == NULL)
        abort();
    for (uint32_t r = 0; r < NROWS; r++)
        all[r] = r;
    rc = ddf_expr_parse(text, size, arena, &e, &err);
    if (rc < 0) {
        if (e != NULL || err.msg[0] == '\0' || !place_ok(&err, size))
            fail("parse error without a message or a place", text, size);
        goto out;
    }
    if (ddf_expr_check(e, schema, &err) < 0) {
        if (err.msg[0] == '\0' || !place_ok(&err, size))
            fail("type error without a message or a place", text, size);
        goto out;
    }
    rc = ddf_eval(e, t, NULL, 0, scratch, &whole, &err);
    rc2 = ddf_eval(e, t, all, NROWS, scratch, &picked, &err);
    if ((rc < 0) != (rc2 < 0))
        fail("all rows and every row selected disagree on failing", text, size);
    if (rc < 0)
        goto out;
    if (whole.length != NROWS || picked.length != NROWS)
        fail("result is not one row per row", text, size);
    if (whole.dtype != (e->dtype == DDF_DTYPE_NULL ? DDF_DTYPE_FLOAT64 : e->dtype) ||
        picked.dtype != whole.dtype)
        fail("result dtype is not the checked dtype", text, size);
    for (size_t r = 0; r < NROWS; r++)
        if (!same_value(&whole, r, &picked, r))
            fail("all rows and every row selected give different values", text, size);
    for (size_t r = NEDGE; r < NROWS; r++)
        if (!same_value(&whole, r, &whole, r % NEDGE))
            fail("rows of the same values give different values", text, size);
    {
        ddf_column cols[NCOLS];
        ddf_table wide = *t;
        ddf_column plain;

        memcpy(cols, t->columns, sizeof cols);
        cols[5].i8 = NULL;
        wide.columns = cols;
        if (ddf_eval(e, &wide, NULL, 0, scratch, &plain, &err) < 0)
            fail("the table without its byte copy fails where it did not", text, size);
        for (size_t r = 0; r < NROWS; r++)
            if (!ddf_column_value_equal(&whole, r, &plain, r))
                fail("a byte copy and its int64 values give different results", text, size);
    }
    if (whole.dtype == DDF_DTYPE_FLOAT64) {
        ddf_agg_state a, b;
        ddf_agg_stream sa, sb;
        int lanes;

        if (ddf_agg_init(&a, DDF_AGG_SUM, DDF_DTYPE_FLOAT64, scratch, &err) < 0 ||
            ddf_agg_init(&b, DDF_AGG_SUM, DDF_DTYPE_FLOAT64, scratch, &err) < 0)
            abort();
        ddf_agg_stream_init(&sa, &a, true);
        ddf_agg_stream_init(&sb, &b, true);
        if (ddf_agg_stream_update(&sa, &a, &whole, NULL, 0, 0, 0, &err) < 0)
            abort();
        lanes = ddf_eval_sum_lanes(e, t, scratch, sb.sum, sb.comp, &sb.count, &err);
        if (lanes < 0)
            fail("summing in lanes fails where evaluation did not", text, size);
        if (lanes == DDF_OK && (memcmp(sa.sum, sb.sum, sizeof sa.sum) != 0 ||
                                memcmp(sa.comp, sb.comp, sizeof sa.comp) != 0 ||
                                sa.count != sb.count))
            fail("lanes summed without the column differ from the column's", text, size);
        ddf_agg_fini(&a);
        ddf_agg_fini(&b);
    }
    if (e->dtype == DDF_DTYPE_BOOL) {
        size_t next = 0;

        if (ddf_eval_filter(e, t, NULL, 0, scratch, &sel, &nsel, &err) < 0)
            fail("filter fails where evaluation did not", text, size);
        for (size_t r = 0; r < NROWS; r++) {
            int truth = ddf_column_is_valid(&whole, r) && whole.values.b8[r];

            if (truth != (next < nsel && sel[next] == r))
                fail("filter rows are not the true rows", text, size);
            next += truth;
        }
        if (next != nsel)
            fail("filter returned rows past the table", text, size);
    }
out:
    ddf_arena_free(scratch);
    ddf_arena_free(arena);
    ddf_schema_free(schema);
    ddf_table_free(t);
    return 0;
}
