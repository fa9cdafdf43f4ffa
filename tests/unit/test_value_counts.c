/* test_value_counts.c - Series.value_counts as partial states (common/value_counts.c):
 * every dtype, nulls dropped or counted, ties in order of first appearance, -0.0 and 0.0,
 * normalize, merging random splits in random orders and groupings equals one pass and a
 * naive count, partials through the codec, corrupt partials, the value limit, and
 * allocation failure. */
#include "testutil.h"

#include "alloc.h"
#include "codec.h"
#include "error.h"
#include "value_counts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders ---- */

/* A one-column table "x" of 'dtype' from space-separated tokens ("." = null, T/F for
 * bools, "_" = the empty string). */
static ddf_table *make_col(ddf_dtype dtype, const char *vals)
{
    static const char *const name[] = {"x"};

    return ddf_test_make_table(1, name, &dtype, &vals);
}

/* value_counts of 't''s column in one pass. */
static ddf_table *vcount(const ddf_table *t, bool dropna, bool normalize)
{
    ddf_value_counts *vc;
    ddf_table *r;
    ddf_error err;

    assert_int_equal(ddf_value_counts_new(t->columns[0].dtype, dropna, &vc, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_result(vc, normalize, &r, &err), DDF_OK);
    ddf_value_counts_free(vc);
    return r;
}

/* Assert the result's values (as make_col tokens) and counts. */
static void assert_result(const ddf_table *r, ddf_dtype dtype, const char *vals,
                          const int64_t *counts)
{
    ddf_table *want = make_col(dtype, vals);

    assert_int_equal(r->ncols, 2);
    assert_string_equal(r->names[0], "value");
    assert_string_equal(r->names[1], "count");
    assert_int_equal(r->nrows, want->nrows);
    for (size_t i = 0; i < r->nrows; i++) {
        assert_true(ddf_column_value_equal(&r->columns[0], i, &want->columns[0], i));
        assert_int_equal(r->columns[1].values.i64[i], counts[i]);
    }
    ddf_table_free(want);
}

/* ---- rules ---- */

static void test_value_counts_int_sorts_by_count_then_first_appearance(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_INT64, "3 1 2 2 1 3 5 4 4 . 7 .");
    ddf_table *r = vcount(t, true, false);
    const int64_t counts[] = {2, 2, 2, 2, 1, 1};

    (void)state;
    assert_result(r, DDF_DTYPE_INT64, "3 1 2 4 5 7", counts);
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_value_counts_dropna_false_counts_null_where_its_count_puts_it(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_FLOAT64, "1 nan 2 . 1 3");
    ddf_table *r = vcount(t, false, false);
    const int64_t counts[] = {2, 2, 1, 1};
    ddf_table *t2 = make_col(DDF_DTYPE_FLOAT64, "nan 2 1");
    ddf_table *r2 = vcount(t2, false, false);
    const int64_t ones[] = {1, 1, 1};

    (void)state;
    /* pandas: 1.0 2, NaN 2, 2.0 1, 3.0 1 - NaN and a null are one missing value. */
    assert_result(r, DDF_DTYPE_FLOAT64, "1 . 2 3", counts);
    assert_true(r->columns[0].validity != NULL);
    assert_result(r2, DDF_DTYPE_FLOAT64, ". 2 1", ones);
    ddf_table_free(r);
    ddf_table_free(t);
    ddf_table_free(r2);
    ddf_table_free(t2);
}

static void test_value_counts_signed_zeros_are_one_value_shown_as_the_first(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_FLOAT64, "-0.0 0.0 1 inf -inf inf");
    ddf_table *r = vcount(t, true, false);
    const int64_t counts[] = {2, 2, 1, 1};

    (void)state;
    assert_result(r, DDF_DTYPE_FLOAT64, "-0.0 inf 1 -inf", counts);
    assert_true(signbit(r->columns[0].values.f64[0]));
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_value_counts_bool_and_unicode_strings(void **state)
{
    ddf_table *b = make_col(DDF_DTYPE_BOOL, "T . F F T");
    ddf_table *rb = vcount(b, false, false);
    const int64_t bc[] = {2, 2, 1};
    ddf_table *s = make_col(DDF_DTYPE_STRING, "é b 日本 _ é _ 😀 b . é");
    ddf_table *rs = vcount(s, true, false);
    const int64_t sc[] = {3, 2, 2, 1, 1};

    (void)state;
    assert_result(rb, DDF_DTYPE_BOOL, "T F .", bc);
    assert_result(rs, DDF_DTYPE_STRING, "é b _ 日本 😀", sc);
    ddf_table_free(rb);
    ddf_table_free(b);
    ddf_table_free(rs);
    ddf_table_free(s);
}

static void test_value_counts_normalize_divides_by_the_counted_rows(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_FLOAT64, "1 . 2 2");
    ddf_table *r = vcount(t, true, true);
    ddf_table *rn = vcount(t, false, true);

    (void)state;
    assert_string_equal(r->names[1], "proportion");
    assert_int_equal(r->columns[1].dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(r->nrows, 2);
    assert_true(r->columns[1].values.f64[0] == 2.0 / 3.0);
    assert_true(r->columns[1].values.f64[1] == 1.0 / 3.0);
    assert_int_equal(rn->nrows, 3);
    assert_true(rn->columns[1].values.f64[0] == 0.5);
    assert_true(rn->columns[1].values.f64[1] == 0.25);
    assert_false(ddf_column_is_valid(&rn->columns[0], 2));
    ddf_table_free(r);
    ddf_table_free(rn);
    ddf_table_free(t);
}

static void test_value_counts_empty_and_all_null_columns(void **state)
{
    ddf_table *e = make_col(DDF_DTYPE_STRING, "");
    ddf_table *n = make_col(DDF_DTYPE_INT64, ". . .");
    ddf_table *r1 = vcount(e, true, false), *r2 = vcount(n, true, true);
    ddf_table *r3 = vcount(n, false, true), *r4 = vcount(e, false, true);

    (void)state;
    assert_int_equal(r1->nrows, 0);
    assert_int_equal(r2->nrows, 0);
    assert_int_equal(r3->nrows, 1);
    assert_false(ddf_column_is_valid(&r3->columns[0], 0));
    assert_true(r3->columns[1].values.f64[0] == 1.0);
    assert_int_equal(r4->nrows, 0);
    {
        /* An empty partial of strings (no offsets buffer yet) travels and merges. */
        ddf_value_counts *vc, *total;
        ddf_table *pt, *back;
        unsigned char *blob;
        size_t len;
        ddf_error err;

        assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, false, &vc, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, false, &total, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_to_table(vc, &pt, &err), DDF_OK);
        assert_int_equal(ddf_codec_encode(pt, &blob, &len, &err), DDF_OK);
        assert_int_equal(ddf_codec_decode(blob, len, &back, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_merge_table(total, back, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_nvalues(total), 0);
        ddf_free(blob);
        ddf_table_free(pt);
        ddf_table_free(back);
        ddf_value_counts_free(vc);
        ddf_value_counts_free(total);
    }
    ddf_table_free(r1);
    ddf_table_free(r2);
    ddf_table_free(r3);
    ddf_table_free(r4);
    ddf_table_free(e);
    ddf_table_free(n);
}

static void test_value_counts_selection_vector_restricts_rows(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_INT64, "1 2 2 3 3 3");
    const uint32_t sel[] = {0, 3, 5, 1};
    const int64_t counts[] = {2, 1, 1};
    ddf_value_counts *vc;
    ddf_table *r;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_INT64, true, &vc, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], sel, 4, 0, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_result(vc, false, &r, &err), DDF_OK);
    /* 1 first at row 0, 2 at row 1: the position is the row index, not the sel order. */
    assert_result(r, DDF_DTYPE_INT64, "3 1 2", counts);
    ddf_table_free(r);
    ddf_value_counts_free(vc);
    ddf_table_free(t);
}

/* ---- random splits ---- */

/* A random column of 'nrows' values of 'dtype' drawn from a few distinct ones, with
 * nulls, NaN and both zeros. */
static ddf_table *random_col(ddf_dtype dtype, size_t nrows, uint64_t *rng)
{
    static const char *const words[] = {"a", "b", "é", "日本", "", "zz", "😀"};
    ddf_table *t = ddf_table_new(1);
    ddf_column *col;
    size_t k = 1 + ddf_test_next_rand(rng) % 12;

    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "x", 1, dtype), DDF_OK);
    col = &t->columns[0];
    for (size_t i = 0; i < nrows; i++) {
        uint64_t v = ddf_test_next_rand(rng) % (k + 1);
        int rc;

        if (v == k)
            rc = ddf_column_append_null(col, t->arena);
        else if (dtype == DDF_DTYPE_INT64)
            rc = ddf_column_append_i64(col, t->arena, (int64_t)v - 3);
        else if (dtype == DDF_DTYPE_FLOAT64)
            rc = ddf_column_append_f64(col, t->arena,
                                       v == 0 ? -0.0 : v == 1 ? 0.0 : v == 2 ? NAN : v * 0.5);
        else if (dtype == DDF_DTYPE_BOOL)
            rc = ddf_column_append_bool(col, t->arena, v & 1);
        else
            rc = ddf_column_append_str(col, t->arena, words[v % 7], strlen(words[v % 7]));
        assert_int_equal(rc, DDF_OK);
    }
    t->nrows = nrows;
    return t;
}

static bool same_value(const ddf_column *c, size_t i, size_t j)
{
    if (ddf_test_is_missing(c, i) || ddf_test_is_missing(c, j))
        return ddf_test_is_missing(c, i) && ddf_test_is_missing(c, j);
    if (c->dtype == DDF_DTYPE_FLOAT64)
        return c->values.f64[i] == c->values.f64[j];
    return ddf_column_value_equal(c, i, c, j);
}

/* Check 'r' against a quadratic count over 't': values in order of count descending,
 * then first row; each value shown as at its first row. */
static void assert_naive(const ddf_table *t, bool dropna, const ddf_table *r)
{
    const ddf_column *c = &t->columns[0];
    size_t *first = calloc(t->nrows + 1, sizeof(size_t)), nfirst = 0;
    int64_t *cnt = calloc(t->nrows + 1, sizeof(int64_t));

    for (size_t i = 0; i < t->nrows; i++) {
        size_t f;
        if (dropna && ddf_test_is_missing(c, i))
            continue;
        for (f = 0; f < nfirst && !same_value(c, first[f], i); f++)
            ;
        if (f == nfirst)
            first[nfirst++] = i;
        cnt[f]++;
    }
    assert_int_equal(r->nrows, nfirst);
    for (size_t k = 0; k < nfirst; k++) {
        size_t best = nfirst;
        for (size_t f = 0; f < nfirst; f++)
            if (cnt[f] >= 0 && (best == nfirst || cnt[f] > cnt[best]))
                best = f; /* strict: earlier first rows win ties */
        assert_int_equal(r->columns[1].values.i64[k], cnt[best]);
        if (ddf_test_is_missing(c, first[best]))
            assert_false(ddf_column_is_valid(&r->columns[0], k));
        else
            assert_true(ddf_column_value_equal(&r->columns[0], k, c, first[best]));
        cnt[best] = -1;
    }
    free(first);
    free(cnt);
}

static void test_value_counts_random_splits_merge_to_the_one_pass_result(void **state)
{
    static const ddf_dtype dtypes[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_BOOL,
                                       DDF_DTYPE_STRING};
    uint64_t rng = 0x9e3779b97f4a7c15ull;

    (void)state;
    for (int trial = 0; trial < 200; trial++) {
        ddf_dtype dtype = dtypes[trial % 4];
        bool dropna = (trial / 4) % 2 == 0;
        size_t nrows = ddf_test_next_rand(&rng) % 300;
        size_t nparts = 1 + ddf_test_next_rand(&rng) % 64;
        ddf_table *t = random_col(dtype, nrows, &rng);
        ddf_table *one = vcount(t, dropna, false), *merged;
        ddf_table **partials = calloc(nparts, sizeof(*partials));
        size_t *perm = calloc(nparts, sizeof(size_t));
        ddf_value_counts *total, *group = NULL;
        ddf_error err;

        assert_naive(t, dropna, one);
        for (size_t p = 0; p < nparts; p++) {
            size_t from = nrows * p / nparts, to = nrows * (p + 1) / nparts;
            ddf_table *s = ddf_test_slice(t, from, to), *pt;
            ddf_value_counts *vc;

            /* Slice p is partition p with rows from 0, as a worker numbers them. */
            assert_int_equal(ddf_value_counts_new(dtype, dropna, &vc, &err), DDF_OK);
            assert_int_equal(ddf_value_counts_update(vc, &s->columns[0], NULL, 0, p, &err),
                             DDF_OK);
            assert_int_equal(ddf_value_counts_to_table(vc, &pt, &err), DDF_OK);
            partials[p] = ddf_test_through_codec(pt);
            ddf_table_free(pt);
            ddf_value_counts_free(vc);
            ddf_table_free(s);
        }
        ddf_test_shuffled_order(perm, nparts, &rng);
        /* Merge in random order, some partials first into a side group merged at the end. */
        assert_int_equal(ddf_value_counts_new(dtype, dropna, &total, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_new(dtype, dropna, &group, &err), DDF_OK);
        for (size_t k = 0; k < nparts; k++) {
            ddf_value_counts *into = ddf_test_next_rand(&rng) % 3 == 0 ? group : total;
            assert_int_equal(ddf_value_counts_merge_table(into, partials[perm[k]], &err),
                             DDF_OK);
        }
        assert_int_equal(ddf_value_counts_merge(total, group, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_result(total, false, &merged, &err), DDF_OK);
        assert_true(ddf_table_equal(one, merged));
        ddf_table_free(merged);
        ddf_value_counts_free(total);
        ddf_value_counts_free(group);
        for (size_t p = 0; p < nparts; p++)
            ddf_table_free(partials[p]);
        free(partials);
        free(perm);
        ddf_table_free(one);
        ddf_table_free(t);
    }
}

/* Enough values that the hash table outgrows the caches and update prefetches. */
static void test_value_counts_many_values_keep_first_appearance_order(void **state)
{
    const size_t nvals = 50000, nrows = 4 * nvals;
    ddf_table *t = ddf_table_new(1), *r;

    (void)state;
    assert_int_equal(ddf_table_set_column(t, 0, "x", 1, DDF_DTYPE_INT64), DDF_OK);
    for (size_t i = 0; i < nrows; i++) /* 7919 is prime to nvals: rows 0..nvals) differ */
        assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena,
                                               (int64_t)((i * 7919) % nvals)), DDF_OK);
    t->nrows = nrows;
    r = vcount(t, true, false);
    assert_int_equal(r->nrows, nvals);
    for (size_t k = 0; k < nvals; k++) {
        assert_int_equal(r->columns[0].values.i64[k], (int64_t)((k * 7919) % nvals));
        assert_int_equal(r->columns[1].values.i64[k], 4);
    }
    ddf_table_free(r);
    ddf_table_free(t);
}

/* ---- errors ---- */

static void test_value_counts_bad_arguments_are_rejected(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_INT64, "1 2");
    ddf_value_counts *vc, *vf, *bad;
    const uint32_t sel[] = {2};
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_NULL, true, &bad, &err), DDF_EINVAL);
    assert_null(bad);
    assert_int_equal(ddf_value_counts_new((ddf_dtype)42, true, &bad, &err), DDF_EINVAL);
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_FLOAT64, true, &vf, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_INT64, true, &vc, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(vf, &t->columns[0], NULL, 0, 0, &err),
                     DDF_EINVAL);
    assert_string_equal(err.msg, "value_counts: column is int64, expected float64");
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], sel, 1, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "value_counts: row 2 out of range (2 rows)");
    assert_int_equal(ddf_value_counts_merge(vc, vf, &err), DDF_EINVAL);
    assert_int_equal(ddf_value_counts_merge(vc, vc, &err), DDF_EINVAL);
    /* Argument errors leave the value-counts usable. */
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_nvalues(vc), 2);
    ddf_value_counts_free(vc);
    ddf_value_counts_free(vf);
    ddf_value_counts_free(NULL);
    ddf_table_free(t);
}

/* A partial table with the given columns, built by hand. */
static ddf_table *make_partial(const char *const *names, const ddf_dtype *dtypes,
                               const char *const *vals)
{
    ddf_table *t = ddf_table_new(4);

    assert_non_null(t);
    for (size_t c = 0; c < 4; c++) {
        ddf_table *one = make_col(dtypes[c], vals[c]);
        assert_int_equal(ddf_table_set_column(t, c, names[c], strlen(names[c]), dtypes[c]),
                         DDF_OK);
        for (size_t r = 0; r < one->nrows; r++) {
            if (!ddf_column_is_valid(&one->columns[0], r))
                assert_int_equal(ddf_column_append_null(&t->columns[c], t->arena), DDF_OK);
            else
                assert_int_equal(ddf_column_append_i64(&t->columns[c], t->arena,
                                                       one->columns[0].values.i64[r]),
                                 DDF_OK);
        }
        t->nrows = one->nrows;
        ddf_table_free(one);
    }
    return t;
}

static void test_value_counts_corrupt_partials_are_refused(void **state)
{
    static const char *const names[] = {"value", "count", "part", "row"};
    static const char *const badname[] = {"value", "count", "part", "rows"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_INT64, DDF_DTYPE_INT64,
                                   DDF_DTYPE_INT64};
    static const ddf_dtype dtf[] = {DDF_DTYPE_FLOAT64, DDF_DTYPE_INT64, DDF_DTYPE_INT64,
                                    DDF_DTYPE_INT64};
    static const struct {
        const char *const *names;
        const ddf_dtype *dtypes;
        const char *vals[4];
        const char *msg;
    } cases[] = {
        {badname, dt, {"1", "1", "0", "0"}, "value_counts: partial column 4 is not int64 row"},
        {names, dtf, {"1", "1", "0", "0"}, "value_counts: partial column 1 is not int64 value"},
        {names, dt, {"1 2", "1 0", "0 0", "0 1"}, "value_counts: partial row 1 has a bad count"},
        {names, dt, {"1", "1", "-1", "0"}, "value_counts: partial row 0 has a bad part"},
        {names, dt, {"1", "1", "0", "."}, "value_counts: partial row 0 has a bad row"},
        {names, dt, {".", "1", "0", "0"},
         "value_counts: partial row 0 has a null value under dropna"},
        {names, dt, {"1 1", "9223372036854775807 1", "0 0", "0 1"},
         "value_counts: counts add past INT64_MAX"},
    };
    ddf_error err;

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ddf_table *p = make_partial(cases[k].names, cases[k].dtypes, cases[k].vals);
        ddf_value_counts *vc;

        assert_int_equal(ddf_value_counts_new(DDF_DTYPE_INT64, true, &vc, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_merge_table(vc, p, &err), DDF_ECORRUPT);
        assert_string_equal(err.msg, cases[k].msg);
        ddf_table_free(p);
        ddf_value_counts_free(vc);
    }
    {
        ddf_table *three = ddf_table_new(3);
        ddf_value_counts *vc;

        assert_int_equal(ddf_value_counts_new(DDF_DTYPE_INT64, true, &vc, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_merge_table(vc, three, &err), DDF_ECORRUPT);
        assert_string_equal(err.msg, "value_counts: partial has 3 columns, expected 4");
        assert_int_equal(ddf_value_counts_nvalues(vc), 0);
        ddf_value_counts_free(vc);
        ddf_table_free(three);
    }
}

static void test_value_counts_value_limit_is_an_error_then_spent(void **state)
{
    ddf_table *t = make_col(DDF_DTYPE_STRING, "a b a c d");
    ddf_value_counts *vc;
    ddf_table *r;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, true, &vc, &err), DDF_OK);
    ddf_value_counts_set_max_values(vc, 3);
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], NULL, 0, 0, &err),
                     DDF_ETOOBIG);
    assert_string_equal(err.msg, "value_counts: more than 3 distinct values (the limit)");
    assert_int_equal(ddf_value_counts_update(vc, &t->columns[0], NULL, 0, 0, &err),
                     DDF_EINVAL);
    assert_string_equal(err.msg, "value_counts: unusable after an earlier error");
    assert_int_equal(ddf_value_counts_result(vc, false, &r, &err), DDF_EINVAL);
    assert_null(r);
    assert_int_equal(ddf_value_counts_to_table(vc, &r, &err), DDF_EINVAL);
    ddf_value_counts_free(vc);
    ddf_table_free(t);
}

static void test_value_counts_allocation_failure_is_clean(void **state)
{
    ddf_table *t = random_col(DDF_DTYPE_STRING, 2000, &(uint64_t){42});
    int done = 0;

    (void)state;
    for (long n = 0; !done; n++) {
        ddf_value_counts *a = NULL, *b = NULL;
        ddf_table *pt = NULL, *r = NULL;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_value_counts_new(DDF_DTYPE_STRING, false, &a, &err);
        if (rc == 0)
            rc = ddf_value_counts_new(DDF_DTYPE_STRING, false, &b, &err);
        if (rc == 0)
            rc = ddf_value_counts_update(a, &t->columns[0], NULL, 0, 0, &err);
        if (rc == 0)
            rc = ddf_value_counts_to_table(a, &pt, &err);
        if (rc == 0)
            rc = ddf_value_counts_merge_table(b, pt, &err);
        if (rc == 0)
            rc = ddf_value_counts_merge(b, a, &err);
        if (rc == 0)
            rc = ddf_value_counts_result(b, true, &r, &err);
        ddf_test_fail_after(-1);
        if (rc == 0) {
            assert_int_equal(r->nrows, ddf_value_counts_nvalues(a));
            done = 1;
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
        }
        ddf_table_free(r);
        ddf_table_free(pt);
        ddf_value_counts_free(a);
        ddf_value_counts_free(b);
    }
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_counts_int_sorts_by_count_then_first_appearance),
        cmocka_unit_test(test_value_counts_dropna_false_counts_null_where_its_count_puts_it),
        cmocka_unit_test(test_value_counts_signed_zeros_are_one_value_shown_as_the_first),
        cmocka_unit_test(test_value_counts_bool_and_unicode_strings),
        cmocka_unit_test(test_value_counts_normalize_divides_by_the_counted_rows),
        cmocka_unit_test(test_value_counts_empty_and_all_null_columns),
        cmocka_unit_test(test_value_counts_selection_vector_restricts_rows),
        cmocka_unit_test(test_value_counts_random_splits_merge_to_the_one_pass_result),
        cmocka_unit_test(test_value_counts_many_values_keep_first_appearance_order),
        cmocka_unit_test(test_value_counts_bad_arguments_are_rejected),
        cmocka_unit_test(test_value_counts_corrupt_partials_are_refused),
        cmocka_unit_test(test_value_counts_value_limit_is_an_error_then_spent),
        cmocka_unit_test(test_value_counts_allocation_failure_is_clean),
    };

    return cmocka_run_group_tests(tests, NULL, ddf_test_restore_libc);
}
