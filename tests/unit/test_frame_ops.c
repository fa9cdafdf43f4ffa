/* test_frame_ops.c - the pipeline's table kernels (common/frame_ops.c): select by index and
 * name, take through a selection vector, head and tail with pandas' negative counts,
 * assign (new and replacing columns), concat with schema checks; every dtype with nulls
 * and strings holding NUL bytes, empty tables, bad input, allocation failure at every
 * step, and take(filter) against a reference built row by row. */
#include "testutil.h"

#include "alloc.h"
#include "error.h"
#include "eval.h"
#include "expr.h"
#include "frame_ops.h"
#include "limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int restore_libc(void **state)
{
    (void)state;
    ddf_test_fail_after(-1);
    ddf_alloc_set(NULL);
    return 0;
}

/* ---- builders: one spec string per column, one token per row ----
 * "." is null, T/F are bools, "_" the empty string, and '~' inside a string token stands
 * for a NUL byte (strings are length-counted, so NUL is an ordinary byte). */

static void append_token(ddf_column *col, ddf_arena *arena, const char *tok)
{
    char buf[256];
    size_t len;
    int rc;

    if (strcmp(tok, ".") == 0) {
        rc = ddf_column_append_null(col, arena);
    } else if (col->dtype == DDF_DTYPE_INT64) {
        rc = ddf_column_append_i64(col, arena, strtoll(tok, NULL, 10));
    } else if (col->dtype == DDF_DTYPE_FLOAT64) {
        rc = ddf_column_append_f64(col, arena, strtod(tok, NULL));
    } else if (col->dtype == DDF_DTYPE_BOOL) {
        rc = ddf_column_append_bool(col, arena, tok[0] == 'T');
    } else {
        len = strcmp(tok, "_") == 0 ? 0 : strlen(tok);
        memcpy(buf, tok, len);
        for (size_t i = 0; i < len; i++)
            if (buf[i] == '~')
                buf[i] = '\0';
        rc = ddf_column_append_str(col, arena, buf, len);
    }
    assert_int_equal(rc, DDF_OK);
}

static ddf_table *make_table(size_t ncols, const char *const *names, const ddf_dtype *dtypes,
                             const char *const *vals)
{
    ddf_table *t = ddf_table_new(ncols);
    size_t rows = 0;

    assert_non_null(t);
    for (size_t c = 0; c < ncols; c++) {
        char buf[512], *tok, *save;
        assert_int_equal(ddf_table_set_column(t, c, names[c], strlen(names[c]), dtypes[c]),
                         DDF_OK);
        snprintf(buf, sizeof buf, "%s", vals[c]);
        for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
            append_token(&t->columns[c], t->arena, tok);
        if (c > 0)
            assert_int_equal(t->columns[c].length, rows);
        rows = t->columns[c].length;
    }
    t->nrows = rows;
    return t;
}

static const char *const S_NAMES[] = {"i", "f", "b", "s"};
static const ddf_dtype S_TYPES[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_BOOL,
                                    DDF_DTYPE_STRING};

/* Five rows of every dtype, nulls in each column, a string with NUL bytes. */
static ddf_table *sample(void)
{
    static const char *const vals[] = {
        "1 . 3 -4 5",
        "0.5 nan . -0 2.5",
        "T F . T F",
        "a~b _ . hello x~~",
    };
    return make_table(4, S_NAMES, S_TYPES, vals);
}

/* The same columns with the rows given as one spec per column. */
static ddf_table *sample_rows(const char *i, const char *f, const char *b, const char *s)
{
    const char *vals[] = {i, f, b, s};
    return make_table(4, S_NAMES, S_TYPES, vals);
}

/* Every column of 't' keeps column.h's invariants: null slots are 0, bits past the length
 * are 0, null_count matches the bitmap, string offsets start at 0. A kernel's result is
 * held to more ('ours'): even an empty string column has its offsets[0], so readers of a
 * result need not special-case a fresh column. */
static void check_columns(const ddf_table *t, bool ours)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ddf_column *col = &t->columns[c];
        size_t nulls = 0;

        assert_int_equal(col->length, t->nrows);
        if (col->dtype == DDF_DTYPE_STRING && (ours || col->length)) {
            assert_non_null(col->values.offsets);
            assert_int_equal(col->values.offsets[0], 0);
        }
        for (size_t r = 0; r < col->length; r++) {
            if (ddf_column_is_valid(col, r))
                continue;
            nulls++;
            if (col->dtype == DDF_DTYPE_STRING)
                assert_int_equal(col->values.offsets[r + 1], col->values.offsets[r]);
            else if (col->dtype == DDF_DTYPE_BOOL)
                assert_int_equal(col->values.b8[r], 0);
            else
                assert_int_equal(col->values.i64[r], 0);
        }
        assert_int_equal(nulls, col->null_count);
        if (col->validity)
            for (size_t r = col->length; r < (col->length + 7) / 8 * 8; r++)
                assert_false((col->validity[r >> 3] >> (r & 7)) & 1);
    }
}

static void assert_well_formed(const ddf_table *t)
{
    check_columns(t, true);
}

/* 'got' is a kernel's result, 'want' the reference. */
static void assert_tables_equal(const ddf_table *got, const ddf_table *want)
{
    const ddf_table *a = got, *b = want;

    check_columns(got, true);
    check_columns(want, false);
    assert_true(ddf_table_equal(a, b));
}

/* Parse and check 'text' against t's columns into 'arena'. */
static ddf_expr *compile(const ddf_table *t, const char *text, ddf_arena *arena)
{
    ddf_schema *s = ddf_test_schema_of(t);
    ddf_expr *e = NULL;
    ddf_error err;

    if (ddf_expr_parse(text, strlen(text), arena, &e, &err) != DDF_OK ||
        ddf_expr_check(e, s, &err) != DDF_OK)
        fail_msg("'%s': %s", text, err.msg);
    ddf_schema_free(s);
    return e;
}

/* ---- select ---- */

static void test_select_reorders_and_repeats_columns_like_pandas(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    const size_t cols[] = {3, 0, 3};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_select(t, cols, 3, &r, &err), DDF_OK);
    assert_well_formed(r);
    assert_int_equal(r->ncols, 3);
    assert_int_equal(r->nrows, 5);
    assert_string_equal(r->names[0], "s");
    assert_string_equal(r->names[1], "i");
    assert_string_equal(r->names[2], "s");
    for (size_t k = 0; k < 3; k++)
        for (size_t row = 0; row < 5; row++)
            assert_true(ddf_column_value_equal(&r->columns[k], row, &t->columns[cols[k]], row));
    /* A copy, not a view: the result outlives its input. */
    ddf_table_free(t);
    size_t len;
    const char *s = ddf_column_str(&r->columns[0], 4, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0\0", 3);
    ddf_table_free(r);
}

static void test_select_no_columns_keeps_the_row_count(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_select(t, NULL, 0, &r, &err), DDF_OK);
    assert_int_equal(r->ncols, 0);
    assert_int_equal(r->nrows, 5);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_select_index_past_the_columns_is_einval(void **state)
{
    ddf_table *t = sample(), *r = (ddf_table *)&r;
    const size_t cols[] = {1, 4};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_select(t, cols, 2, &r, &err), DDF_EINVAL);
    assert_null(r);
    assert_int_equal(err.code, DDF_EINVAL);
    assert_string_equal(err.msg, "column index 4 (entry 1) is past the table's 4 columns");
    ddf_table_free(t);
}

static void test_select_names_picks_by_name_and_suggests_the_nearest(void **state)
{
    static const char *const names[] = {"qty", "price", "name"};
    static const ddf_dtype types[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_STRING};
    static const char *const vals[] = {"1 2", "1.5 .", "a b"};
    ddf_table *t = make_table(3, names, types, vals), *r = NULL;
    const char *pick[] = {"name", "qty"};
    const char *typo[] = {"name", "qyt"};
    const char *far[] = {"zebra"};
    const size_t want[] = {2, 0};
    ddf_table *ref = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_select_names(t, pick, 2, &r, &err), DDF_OK);
    assert_int_equal(ddf_frame_ops_select(t, want, 2, &ref, &err), DDF_OK);
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);

    assert_int_equal(ddf_frame_ops_select_names(t, typo, 2, &r, &err), DDF_EINVAL);
    assert_null(r);
    assert_string_equal(err.msg, "unknown column 'qyt' (did you mean 'qty'?)");
    assert_int_equal(ddf_frame_ops_select_names(t, far, 1, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "unknown column 'zebra'");
    ddf_table_free(t);
}

/* ---- take ---- */

static void test_take_gathers_every_dtype_with_nulls_and_repeats(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    const uint32_t sel[] = {4, 1, 0, 4, 2};
    ddf_table *ref = sample_rows("5 . 1 5 3", "2.5 nan 0.5 2.5 .", "F F T F .",
                                 "x~~ _ a~b x~~ .");
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_take(t, sel, 5, &r, &err), DDF_OK);
    assert_tables_equal(r, ref);
    assert_int_equal(r->columns[0].null_count, 1);
    assert_int_equal(r->columns[3].null_count, 1);
    ddf_table_free(r);
    ddf_table_free(ref);
    ddf_table_free(t);
}

static void test_take_null_selection_copies_all_rows(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_take(t, NULL, 99, &r, &err), DDF_OK);
    assert_tables_equal(r, t);
    assert_ptr_not_equal(r->columns[3].bytes, t->columns[3].bytes);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_take_without_nulls_makes_no_validity_bitmap(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    const uint32_t sel[] = {0, 3};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_take(t, sel, 2, &r, &err), DDF_OK);
    assert_well_formed(r);
    for (size_t c = 0; c < 4; c++)
        assert_null(r->columns[c].validity);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_take_empty_selection_keeps_the_schema_and_costs_little(void **state)
{
    ddf_table *t = ddf_table_new(1), *r = NULL;
    const uint32_t none[1] = {0};
    ddf_error err;

    (void)state;
    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "s", 1, DDF_DTYPE_STRING), DDF_OK);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(ddf_column_append_str(&t->columns[0], t->arena, "abcdefgh", 8),
                         DDF_OK);
    t->nrows = 20000;
    assert_int_equal(ddf_frame_ops_take(t, none, 0, &r, &err), DDF_OK);
    assert_int_equal(r->nrows, 0);
    assert_int_equal(r->columns[0].dtype, DDF_DTYPE_STRING);
    assert_string_equal(r->names[0], "s");
    assert_well_formed(r);
    /* Exact reservation: the result holds no share of the input's 200 KB. */
    assert_true(ddf_table_bytes(r) < 70 * 1024);
    assert_true(ddf_table_bytes(t) > 200 * 1024);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_take_row_past_the_end_is_einval(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    const uint32_t sel[] = {0, 5};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_take(t, sel, 2, &r, &err), DDF_EINVAL);
    assert_null(r);
    assert_string_equal(err.msg, "selection entry 1 is row 5, past the table's 5 rows");
    ddf_table_free(t);
}

static void test_take_of_an_empty_table(void **state)
{
    ddf_table *t = sample_rows("", "", "", ""), *r = NULL;
    const uint32_t sel[] = {0};
    ddf_error err;

    (void)state;
    assert_int_equal(t->nrows, 0);
    assert_int_equal(ddf_frame_ops_take(t, NULL, 0, &r, &err), DDF_OK);
    assert_tables_equal(r, t);
    ddf_table_free(r);
    assert_int_equal(ddf_frame_ops_take(t, sel, 1, &r, &err), DDF_EINVAL);
    ddf_table_free(t);
}

static void test_kernels_reject_malformed_tables(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_error err;

    (void)state;
    t->columns[2].length = 4;
    assert_int_equal(ddf_frame_ops_take(t, NULL, 0, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "column 'b' has 4 rows, the table 5");
    t->columns[2].length = 5;
    t->columns[1].dtype = DDF_DTYPE_NULL;
    assert_int_equal(ddf_frame_ops_head(t, NULL, 0, 2, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "column 'f' has no storage dtype (null)");
    t->columns[1].dtype = DDF_DTYPE_FLOAT64;
    assert_int_equal(ddf_frame_ops_take(NULL, NULL, 0, &r, &err), DDF_EINVAL);
    assert_null(r);
    ddf_table_free(t);
}

/* ---- head and tail ---- */

static void test_head_and_tail_follow_pandas_counts(void **state)
{
    ddf_table *t = sample(), *r = NULL, *ref;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_head(t, NULL, 0, 2, &r, &err), DDF_OK);
    ref = sample_rows("1 .", "0.5 nan", "T F", "a~b _");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);

    assert_int_equal(ddf_frame_ops_tail(t, NULL, 0, 2, &r, &err), DDF_OK);
    ref = sample_rows("-4 5", "-0 2.5", "T F", "hello x~~");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);

    /* head(-3): all but the last 3; tail(-3): all but the first 3. */
    assert_int_equal(ddf_frame_ops_head(t, NULL, 0, -3, &r, &err), DDF_OK);
    ref = sample_rows("1 .", "0.5 nan", "T F", "a~b _");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);
    assert_int_equal(ddf_frame_ops_tail(t, NULL, 0, -3, &r, &err), DDF_OK);
    ref = sample_rows("-4 5", "-0 2.5", "T F", "hello x~~");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);

    /* More than there is: everything; 0, or dropping everything: empty, schema kept. */
    assert_int_equal(ddf_frame_ops_head(t, NULL, 0, 1000, &r, &err), DDF_OK);
    assert_tables_equal(r, t);
    ddf_table_free(r);
    assert_int_equal(ddf_frame_ops_tail(t, NULL, 0, INT64_MAX, &r, &err), DDF_OK);
    assert_tables_equal(r, t);
    ddf_table_free(r);
    ref = sample_rows("", "", "", "");
    const int64_t empties[] = {0, -5, -6, INT64_MIN};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(ddf_frame_ops_head(t, NULL, 0, empties[k], &r, &err), DDF_OK);
        assert_tables_equal(r, ref);
        ddf_table_free(r);
        assert_int_equal(ddf_frame_ops_tail(t, NULL, 0, empties[k], &r, &err), DDF_OK);
        assert_tables_equal(r, ref);
        ddf_table_free(r);
    }
    ddf_table_free(ref);
    ddf_table_free(t);
}

static void test_head_and_tail_of_a_selection_count_selected_rows(void **state)
{
    ddf_table *t = sample(), *r = NULL, *ref;
    const uint32_t sel[] = {4, 3, 1, 0};
    const uint32_t bad[] = {4, 3, 9};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_head(t, sel, 4, 2, &r, &err), DDF_OK);
    ref = sample_rows("5 -4", "2.5 -0", "F T", "x~~ hello");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);
    assert_int_equal(ddf_frame_ops_tail(t, sel, 4, 3, &r, &err), DDF_OK);
    ref = sample_rows("-4 . 1", "-0 nan 0.5", "T F T", "hello _ a~b");
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    ddf_table_free(ref);
    assert_int_equal(ddf_frame_ops_head(t, sel, 0, 3, &r, &err), DDF_OK);
    assert_int_equal(r->nrows, 0);
    ddf_table_free(r);
    /* A bad selection is refused even past the rows kept. */
    assert_int_equal(ddf_frame_ops_head(t, bad, 3, 1, &r, &err), DDF_EINVAL);
    assert_null(r);
    ddf_table_free(t);
}

/* ---- assign ---- */

static void test_assign_new_column_goes_last(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_arena *scratch = ddf_arena_new();
    ddf_expr *e = compile(t, "i * 2", scratch);
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "j", 1, e, scratch, &r, &err), DDF_OK);
    assert_well_formed(r);
    assert_int_equal(r->ncols, 5);
    assert_string_equal(r->names[4], "j");
    assert_int_equal(r->columns[4].dtype, DDF_DTYPE_INT64);
    assert_int_equal(r->columns[4].values.i64[0], 2);
    assert_false(ddf_column_is_valid(&r->columns[4], 1));
    assert_int_equal(r->columns[4].values.i64[3], -8);
    for (size_t c = 0; c < 4; c++)
        for (size_t row = 0; row < 5; row++)
            assert_true(ddf_column_value_equal(&r->columns[c], row, &t->columns[c], row));
    /* The result is copied out of scratch. */
    ddf_arena_free(scratch);
    assert_int_equal(r->columns[4].values.i64[4], 10);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_assign_replaces_in_place_and_may_change_dtype(void **state)
{
    ddf_table *t = sample(), *r = NULL, *ref;
    ddf_arena *scratch = ddf_arena_new();
    ddf_expr *e = compile(t, "i / 2", scratch);
    const uint32_t sel[] = {3, 0};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_assign(t, sel, 2, "i", 1, e, scratch, &r, &err), DDF_OK);
    ref = sample_rows("-4 1", "-0 0.5", "T T", "hello a~b");
    assert_int_equal(r->ncols, 4);
    assert_string_equal(r->names[0], "i");
    assert_int_equal(r->columns[0].dtype, DDF_DTYPE_FLOAT64);
    assert_true(r->columns[0].values.f64[0] == -2.0 && r->columns[0].values.f64[1] == 0.5);
    for (size_t c = 1; c < 4; c++)
        for (size_t row = 0; row < 2; row++)
            assert_true(ddf_column_value_equal(&r->columns[c], row, &ref->columns[c], row));
    ddf_table_free(r);

    /* A bare column reference: eval borrows the input's buffers, assign copies them. */
    e = compile(t, "s", scratch);
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "s2", 2, e, scratch, &r, &err), DDF_OK);
    assert_int_equal(r->ncols, 5);
    assert_ptr_not_equal(r->columns[4].bytes, t->columns[3].bytes);
    for (size_t row = 0; row < 5; row++)
        assert_true(ddf_column_value_equal(&r->columns[4], row, &t->columns[3], row));
    assert_well_formed(r);
    ddf_table_free(r);
    ddf_table_free(ref);
    ddf_arena_free(scratch);
    ddf_table_free(t);
}

static void test_assign_none_gives_an_all_null_float_column(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_arena *scratch = ddf_arena_new();
    ddf_expr *e = compile(t, "None", scratch);
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "n", 1, e, scratch, &r, &err), DDF_OK);
    assert_well_formed(r);
    assert_int_equal(r->columns[4].dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(r->columns[4].null_count, 5);
    ddf_table_free(r);
    ddf_arena_free(scratch);
    ddf_table_free(t);
}

static void test_assign_bad_names_and_rows_are_refused(void **state)
{
    ddf_table *t = sample(), *r = NULL;
    ddf_arena *scratch = ddf_arena_new();
    ddf_expr *e = compile(t, "i + 1", scratch);
    const uint32_t sel[] = {7};
    char longname[DDF_MAX_NAME_BYTES + 2];
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "a\0b", 3, e, scratch, &r, &err),
                     DDF_EINVAL);
    assert_string_equal(err.msg, "column name 'a' holds a NUL byte");
    memset(longname, 'x', sizeof longname);
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, longname, sizeof longname, e, scratch,
                                          &r, &err),
                     DDF_ETOOBIG);
    assert_int_equal(ddf_frame_ops_assign(t, sel, 1, "j", 1, e, scratch, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "selection entry 0 is row 7, past the table's 5 rows");
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "j", 1, NULL, scratch, &r, &err),
                     DDF_EINVAL);
    assert_null(r);
    /* An evaluation error comes back as ddf_eval reports it. */
    e = compile(t, "astype(s, 'int64')", scratch);
    assert_int_equal(ddf_frame_ops_assign(t, NULL, 0, "j", 1, e, scratch, &r, &err),
                     DDF_EINVAL);
    assert_int_equal(err.offset, 0);
    assert_null(r);
    ddf_arena_free(scratch);
    ddf_table_free(t);
}

/* ---- concat ---- */

static void test_concat_appends_rows_and_mixes_null_free_parts(void **state)
{
    ddf_table *a = sample_rows("1 2", "0.5 1.5", "T F", "x y~"); /* no nulls at all */
    ddf_table *b = sample_rows("", "", "", "");
    ddf_table *c = sample_rows(". 4", "nan .", ". T", "_ .");
    ddf_table *ref = sample_rows("1 2 . 4", "0.5 1.5 nan .", "T F . T", "x y~ _ .");
    const ddf_table *parts[] = {a, b, c};
    ddf_table *r = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_concat(parts, 3, &r, &err), DDF_OK);
    assert_tables_equal(r, ref);
    ddf_table_free(r);
    /* A single part is a copy. */
    assert_int_equal(ddf_frame_ops_concat(parts + 2, 1, &r, &err), DDF_OK);
    assert_tables_equal(r, c);
    ddf_table_free(r);
    /* Nulls first, then a part without a bitmap: its rows must read as valid. */
    const ddf_table *rev[] = {c, a};
    ddf_table *ref2 = sample_rows(". 4 1 2", "nan . 0.5 1.5", ". T T F", "_ . x y~");
    assert_int_equal(ddf_frame_ops_concat(rev, 2, &r, &err), DDF_OK);
    assert_tables_equal(r, ref2);
    ddf_table_free(r);
    ddf_table_free(ref2);
    /* Only empty parts: an empty table of the schema. */
    assert_int_equal(ddf_frame_ops_concat(parts + 1, 1, &r, &err), DDF_OK);
    assert_tables_equal(r, b);
    ddf_table_free(r);
    ddf_table_free(ref);
    ddf_table_free(a);
    ddf_table_free(b);
    ddf_table_free(c);
}

static void test_concat_schema_mismatch_names_the_first_difference(void **state)
{
    static const char *const n2[] = {"i", "f", "b", "t"};
    static const ddf_dtype t2[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING, DDF_DTYPE_BOOL,
                                   DDF_DTYPE_STRING};
    static const char *const v2[] = {"1", "x", "T", "y"};
    ddf_table *a = sample(), *b = make_table(4, n2, t2, v2), *c = make_table(3, n2, t2, v2);
    const ddf_table *ab[] = {a, a, b}, *ac[] = {a, c}, *an[] = {a, NULL};
    ddf_table *r = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_frame_ops_concat(ab, 3, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "part 2 column 1 is 'f' string, part 0 has 'f' float64");
    assert_int_equal(ddf_frame_ops_concat(ac, 2, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "part 1 has 3 columns, part 0 has 4");
    assert_int_equal(ddf_frame_ops_concat(an, 2, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "part 1: no input table");
    assert_int_equal(ddf_frame_ops_concat(ab, 0, &r, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "no tables to concatenate");
    assert_null(r);
    ddf_table_free(a);
    ddf_table_free(b);
    ddf_table_free(c);
}

/* ---- allocation failure: fail the 1st, 2nd, ... allocation until the call succeeds ---- */

typedef int (*kernel_fn)(const ddf_table *t, ddf_arena *scratch, const ddf_expr *e,
                         ddf_table **out, ddf_error *err);

static const uint32_t FAIL_SEL[] = {4, 0, 3, 1, 1};

static int k_select(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                    ddf_error *err)
{
    const size_t cols[] = {3, 1, 2, 0, 3};
    (void)s, (void)e;
    return ddf_frame_ops_select(t, cols, 5, out, err);
}

static int k_select_names(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                          ddf_error *err)
{
    const char *names[] = {"s", "b", "i"};
    (void)s, (void)e;
    return ddf_frame_ops_select_names(t, names, 3, out, err);
}

static int k_take(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                  ddf_error *err)
{
    (void)s, (void)e;
    return ddf_frame_ops_take(t, FAIL_SEL, 5, out, err);
}

static int k_head(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                  ddf_error *err)
{
    (void)s, (void)e;
    return ddf_frame_ops_head(t, FAIL_SEL, 5, -1, out, err);
}

static int k_tail(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                  ddf_error *err)
{
    (void)s, (void)e;
    return ddf_frame_ops_tail(t, NULL, 0, 3, out, err);
}

static int k_assign(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                    ddf_error *err)
{
    return ddf_frame_ops_assign(t, FAIL_SEL, 5, "s", 1, e, s, out, err);
}

static int k_concat(const ddf_table *t, ddf_arena *s, const ddf_expr *e, ddf_table **out,
                    ddf_error *err)
{
    const ddf_table *parts[] = {t, t, t};
    (void)s, (void)e;
    return ddf_frame_ops_concat(parts, 3, out, err);
}

static void test_allocation_failure_at_every_step_is_enomem_without_leaks(void **state)
{
    static const kernel_fn kernels[] = {k_select, k_select_names, k_take, k_head,
                                        k_tail,   k_assign,       k_concat};
    static const char *const knames[] = {"select", "select_names", "take", "head",
                                         "tail",   "assign",       "concat"};
    ddf_table *t = sample();
    ddf_arena *scratch = ddf_arena_new();
    ddf_arena *exprs = ddf_arena_new();
    ddf_expr *e = compile(t, "upper(s) + 'z'", exprs);

    (void)state;
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        ddf_table *want = NULL;
        ddf_error err;
        long failures = 0;
        int done = 0;

        assert_int_equal(kernels[k](t, scratch, e, &want, &err), DDF_OK);
        ddf_arena_reset(scratch);
        for (long n = 0; !done; n++) {
            ddf_table *r = (ddf_table *)&r;
            int rc;

            ddf_test_fail_after(n);
            rc = kernels[k](t, scratch, e, &r, &err);
            ddf_test_fail_after(-1);
            ddf_arena_reset(scratch);
            if (rc == DDF_OK) {
                assert_tables_equal(r, want);
                ddf_table_free(r);
                done = 1;
            } else {
                if (rc != DDF_ENOMEM)
                    fail_msg("%s: failing allocation %ld gave %s: %s", knames[k], n,
                             ddf_err_name(rc), err.msg);
                assert_int_equal(err.code, DDF_ENOMEM);
                assert_null(r);
                failures++;
            }
        }
        assert_true(failures > 2); /* each kernel allocates more than the table shell */
        ddf_table_free(want);
    }
    ddf_arena_free(exprs);
    ddf_arena_free(scratch);
    ddf_table_free(t);
}

/* ---- randomized: take(filter) equals the rows kept one by one ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: reproducible without global state. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* A table of 'rows' random rows: i int64, f float64, b bool, s string (NUL bytes too),
 * each column null with probability 1/'nullish' (never when nullish == 0). */
static ddf_table *random_table(uint64_t *rng, size_t rows, unsigned nullish)
{
    ddf_table *t = ddf_table_new(4);

    assert_non_null(t);
    for (size_t c = 0; c < 4; c++)
        assert_int_equal(ddf_table_set_column(t, c, S_NAMES[c], 1, S_TYPES[c]), DDF_OK);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < 4; c++) {
            ddf_column *col = &t->columns[c];
            uint64_t x = rng_next(rng);
            char buf[16];
            size_t len;
            int rc;

            if (nullish && x % nullish == 0) {
                rc = ddf_column_append_null(col, t->arena);
            } else if (c == 0) {
                rc = ddf_column_append_i64(col, t->arena, (int64_t)(x >> 8) % 200 - 100);
            } else if (c == 1) {
                rc = ddf_column_append_f64(col, t->arena, (double)((x >> 8) % 1000) / 8.0);
            } else if (c == 2) {
                rc = ddf_column_append_bool(col, t->arena, (x >> 9) & 1);
            } else {
                len = (x >> 8) % sizeof buf;
                for (size_t k = 0; k < len; k++)
                    buf[k] = (char)"ab\0cd"[(x >> (k * 3)) % 5];
                rc = ddf_column_append_str(col, t->arena, buf, len);
            }
            assert_int_equal(rc, DDF_OK);
        }
    }
    t->nrows = rows;
    return t;
}

/* Append row 'r' of 'src' to 'dst' with the column append functions. */
static void append_row(ddf_table *dst, const ddf_table *src, size_t r)
{
    for (size_t c = 0; c < src->ncols; c++) {
        const ddf_column *s = &src->columns[c];
        ddf_column *d = &dst->columns[c];
        const char *p;
        size_t len;

        if (!ddf_column_is_valid(s, r)) {
            assert_int_equal(ddf_column_append_null(d, dst->arena), DDF_OK);
            continue;
        }
        switch (s->dtype) {
        case DDF_DTYPE_INT64:
            assert_int_equal(ddf_column_append_i64(d, dst->arena, s->values.i64[r]), DDF_OK);
            break;
        case DDF_DTYPE_FLOAT64:
            assert_int_equal(ddf_column_append_f64(d, dst->arena, s->values.f64[r]), DDF_OK);
            break;
        case DDF_DTYPE_BOOL:
            assert_int_equal(ddf_column_append_bool(d, dst->arena, s->values.b8[r]), DDF_OK);
            break;
        default:
            p = ddf_column_str(s, r, &len);
            assert_int_equal(ddf_column_append_str(d, dst->arena, p, len), DDF_OK);
            break;
        }
    }
    dst->nrows++;
}

static ddf_table *empty_like(const ddf_table *t)
{
    ddf_table *e = ddf_table_new(t->ncols);
    assert_non_null(e);
    for (size_t c = 0; c < t->ncols; c++)
        assert_int_equal(ddf_table_set_column(e, c, t->names[c], strlen(t->names[c]),
                                              t->columns[c].dtype),
                         DDF_OK);
    return e;
}

static void test_random_take_of_filter_equals_row_by_row_reference(void **state)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    ddf_arena *scratch = ddf_arena_new();

    (void)state;
    for (int round = 0; round < 60; round++) {
        size_t rows = round < 5 ? (size_t)round : (size_t)(rng_next(&rng) % 3000);
        unsigned nullish = (unsigned)(round % 4) * 3; /* 0 (no nulls), 1/3, 1/6, 1/9 */
        ddf_table *t = random_table(&rng, rows, nullish);
        int64_t k = (int64_t)(rng_next(&rng) % 200) - 100;
        char text[64];
        ddf_expr *pred;
        uint32_t *sel;
        size_t nsel;
        ddf_table *got = NULL, *ref = empty_like(t), *r2 = NULL, *ref2 = empty_like(t);
        ddf_error err;

        snprintf(text, sizeof text, "b or i > %lld", (long long)k);
        pred = compile(t, text, scratch);
        assert_int_equal(ddf_eval_filter(pred, t, NULL, 0, scratch, &sel, &nsel, &err), DDF_OK);
        assert_int_equal(ddf_frame_ops_take(t, sel, nsel, &got, &err), DDF_OK);
        for (size_t r = 0; r < rows; r++) {
            const ddf_column *b = &t->columns[2], *i = &t->columns[0];
            /* A null operand of 'or' counts as False (DataFrame.query drops it). */
            bool keep = (ddf_column_is_valid(b, r) && b->values.b8[r]) ||
                        (ddf_column_is_valid(i, r) && i->values.i64[r] > k);
            if (keep)
                append_row(ref, t, r);
        }
        assert_tables_equal(got, ref);

        /* Then head of the same selection, and an arbitrary selection with repeats. */
        size_t n = rows ? (size_t)(rng_next(&rng) % (rows * 2)) : 0;
        uint32_t *any = ddf_mallocarray(n ? n : 1, sizeof(*any));
        assert_non_null(any);
        for (size_t j = 0; j < n; j++) {
            any[j] = (uint32_t)(rng_next(&rng) % rows);
            append_row(ref2, t, any[j]);
        }
        assert_int_equal(ddf_frame_ops_take(t, any, n, &r2, &err), DDF_OK);
        assert_tables_equal(r2, ref2);
        ddf_table_free(r2);
        assert_int_equal(ddf_frame_ops_head(t, any, n, (int64_t)(n / 2), &r2, &err), DDF_OK);
        assert_int_equal(r2->nrows, n / 2);
        for (size_t c = 0; c < 4; c++)
            for (size_t j = 0; j < n / 2; j++)
                assert_true(ddf_column_value_equal(&r2->columns[c], j, &ref2->columns[c], j));
        assert_well_formed(r2);

        /* concat of the two results equals their references glued row by row. */
        const ddf_table *parts[] = {got, r2};
        ddf_table *cat = NULL, *refcat = empty_like(t);
        for (size_t j = 0; j < ref->nrows; j++)
            append_row(refcat, ref, j);
        for (size_t j = 0; j < r2->nrows; j++)
            append_row(refcat, r2, j);
        assert_int_equal(ddf_frame_ops_concat(parts, 2, &cat, &err), DDF_OK);
        assert_tables_equal(cat, refcat);

        ddf_table_free(cat);
        ddf_table_free(refcat);
        ddf_table_free(r2);
        ddf_free(any);
        ddf_table_free(ref2);
        ddf_table_free(got);
        ddf_table_free(ref);
        ddf_table_free(t);
        ddf_arena_reset(scratch);
    }
    ddf_arena_free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_reorders_and_repeats_columns_like_pandas),
        cmocka_unit_test(test_select_no_columns_keeps_the_row_count),
        cmocka_unit_test(test_select_index_past_the_columns_is_einval),
        cmocka_unit_test(test_select_names_picks_by_name_and_suggests_the_nearest),
        cmocka_unit_test(test_take_gathers_every_dtype_with_nulls_and_repeats),
        cmocka_unit_test(test_take_null_selection_copies_all_rows),
        cmocka_unit_test(test_take_without_nulls_makes_no_validity_bitmap),
        cmocka_unit_test(test_take_empty_selection_keeps_the_schema_and_costs_little),
        cmocka_unit_test(test_take_row_past_the_end_is_einval),
        cmocka_unit_test(test_take_of_an_empty_table),
        cmocka_unit_test(test_kernels_reject_malformed_tables),
        cmocka_unit_test(test_head_and_tail_follow_pandas_counts),
        cmocka_unit_test(test_head_and_tail_of_a_selection_count_selected_rows),
        cmocka_unit_test(test_assign_new_column_goes_last),
        cmocka_unit_test(test_assign_replaces_in_place_and_may_change_dtype),
        cmocka_unit_test(test_assign_none_gives_an_all_null_float_column),
        cmocka_unit_test(test_assign_bad_names_and_rows_are_refused),
        cmocka_unit_test(test_concat_appends_rows_and_mixes_null_free_parts),
        cmocka_unit_test(test_concat_schema_mismatch_names_the_first_difference),
        cmocka_unit_test_teardown(test_allocation_failure_at_every_step_is_enomem_without_leaks,
                                  restore_libc),
        cmocka_unit_test(test_random_take_of_filter_equals_row_by_row_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
