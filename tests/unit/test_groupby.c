/* test_groupby.c - hash group-by (common/groupby.c): keys of every dtype, nulls dropped or
 * kept, sorted output, many aggregations in one pass, merging random splits in random
 * order equals one pass, partials through the codec, the group limit, and allocation
 * failure. */
#include "testutil.h"

#include "alloc.h"
#include "codec.h"
#include "error.h"
#include "groupby.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers; tables come from ddf_test_make_table: a row spec per column, one token
 * per row, "." = null ---- */

/* Group 't' by keys with aggs in one pass; returns the result table. */
static ddf_table *group(const ddf_table *t, const size_t *keys, size_t nkeys,
                        const ddf_groupby_agg *aggs, size_t naggs, bool dropna)
{
    ddf_groupby *gb;
    ddf_table *r;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, nkeys, aggs, naggs, dropna, &gb, &err), DDF_OK);
    assert_int_equal(ddf_groupby_update(gb, t, NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_groupby_result(gb, &r, &err), DDF_OK);
    ddf_groupby_free(gb);
    return r;
}

/* Whether 'got' equals 'want': names, dtypes, rows; floats within 1e-12 relative. */
static void assert_tables_close(const ddf_table *got, const ddf_table *want)
{
    assert_int_equal(got->ncols, want->ncols);
    assert_int_equal(got->nrows, want->nrows);
    for (size_t c = 0; c < got->ncols; c++) {
        const ddf_column *a = &got->columns[c], *b = &want->columns[c];

        assert_string_equal(got->names[c], want->names[c]);
        assert_int_equal(a->dtype, b->dtype);
        assert_int_equal(a->length, got->nrows);
        for (size_t i = 0; i < got->nrows; i++) {
            if (a->dtype == DDF_DTYPE_FLOAT64 && ddf_column_is_valid(a, i) &&
                ddf_column_is_valid(b, i)) {
                double x = a->values.f64[i], y = b->values.f64[i];
                if (x != y)
                    assert_true(fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y)));
            } else {
                assert_true(ddf_column_value_equal(a, i, b, i));
            }
        }
    }
}

static void assert_table_is(const ddf_table *got, size_t ncols, const char *const *names,
                            const ddf_dtype *dtypes, const char *const *vals)
{
    ddf_table *want = ddf_test_make_table(ncols, names, dtypes, vals);

    assert_tables_close(got, want);
    ddf_table_free(want);
}

/* ---- keys of each dtype ---- */

static void test_groupby_int_key_drops_nulls_and_sorts(void **state)
{
    (void)state;
    const char *n[] = {"k", "v"};
    ddf_dtype d[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64};
    const char *v[] = {"3 -1 3 . -1 2 3", "1 2 3 4 5 6 ."};
    ddf_table *t = ddf_test_make_table(2, n, d, v), *r;
    size_t keys[] = {0};
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM}};

    r = group(t, keys, 1, aggs, 1, true);
    assert_table_is(r, 2, n, d, (const char *[]){"-1 2 3", "7 6 4"});
    ddf_table_free(r);
    r = group(t, keys, 1, aggs, 1, false);
    assert_table_is(r, 2, n, d, (const char *[]){"-1 2 3 .", "7 6 4 4"});
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_groupby_float_key_nan_is_null_and_signed_zeros_are_one(void **state)
{
    (void)state;
    const char *n[] = {"k", "v"};
    ddf_dtype d[] = {DDF_DTYPE_FLOAT64, DDF_DTYPE_INT64};
    const char *v[] = {"0.5 nan -0.0 0.0 -2.5 . 0.5", "1 2 3 4 5 6 7"};
    ddf_table *t = ddf_test_make_table(2, n, d, v), *r;
    size_t keys[] = {0};
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM}};

    r = group(t, keys, 1, aggs, 1, false);
    assert_table_is(r, 2, n, d, (const char *[]){"-2.5 0 0.5 .", "5 7 8 8"});
    assert_false(signbit(r->columns[0].values.f64[1]));
    ddf_table_free(r);
    r = group(t, keys, 1, aggs, 1, true);
    assert_table_is(r, 2, n, d, (const char *[]){"-2.5 0 0.5", "5 7 8"});
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_groupby_bool_and_string_keys_sort_like_pandas(void **state)
{
    (void)state;
    const char *n[] = {"b", "s", "v"};
    ddf_dtype d[] = {DDF_DTYPE_BOOL, DDF_DTYPE_STRING, DDF_DTYPE_INT64};
    const char *v[] = {"T F . T F T", "b a _ B . b", "1 2 3 4 5 6"};
    ddf_table *t = ddf_test_make_table(3, n, d, v), *r;
    size_t kb[] = {0}, ks[] = {1};
    ddf_groupby_agg aggs[] = {{2, DDF_AGG_SUM}};

    r = group(t, kb, 1, aggs, 1, false);
    assert_table_is(r, 2, (const char *[]){"b", "v"}, (ddf_dtype[]){d[0], d[2]},
                    (const char *[]){"F T .", "7 11 3"});
    ddf_table_free(r);
    r = group(t, ks, 1, aggs, 1, true);
    assert_table_is(r, 2, (const char *[]){"s", "v"}, (ddf_dtype[]){d[1], d[2]},
                    (const char *[]){"_ B a b", "3 4 2 7"});
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_groupby_two_and_three_keys_of_mixed_dtypes(void **state)
{
    (void)state;
    const char *n[] = {"s", "b", "i", "f", "v"};
    ddf_dtype d[] = {DDF_DTYPE_STRING, DDF_DTYPE_BOOL, DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64,
                     DDF_DTYPE_INT64};
    const char *v[] = {"x y x x y x .", "T F T F F T T", "1 1 1 2 1 . 1",
                       "1.5 1.5 1.5 1.5 2.5 1.5 1.5", "1 2 3 4 5 6 7"};
    ddf_table *t = ddf_test_make_table(5, n, d, v), *r;
    size_t k2[] = {0, 1}, k3[] = {0, 2, 3};
    ddf_groupby_agg aggs[] = {{4, DDF_AGG_SUM}};

    r = group(t, k2, 2, aggs, 1, true);
    assert_table_is(r, 3, (const char *[]){"s", "b", "v"}, (ddf_dtype[]){d[0], d[1], d[4]},
                    (const char *[]){"x x y", "F T F", "4 10 7"});
    ddf_table_free(r);
    r = group(t, k3, 3, aggs, 1, false);
    assert_table_is(r, 4, (const char *[]){"s", "i", "f", "v"},
                    (ddf_dtype[]){d[0], d[2], d[3], d[4]},
                    (const char *[]){"x x x y y .", "1 2 . 1 1 1", "1.5 1.5 1.5 1.5 2.5 1.5",
                                     "4 4 6 2 5 7"});
    ddf_table_free(r);
    r = group(t, k3, 3, aggs, 1, true);
    assert_table_is(r, 4, (const char *[]){"s", "i", "f", "v"},
                    (ddf_dtype[]){d[0], d[2], d[3], d[4]},
                    (const char *[]){"x x y y", "1 2 1 1", "1.5 1.5 1.5 2.5", "4 4 2 5"});
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_groupby_many_aggregations_in_one_pass_are_named_by_column(void **state)
{
    (void)state;
    const char *n[] = {"k", "v", "s"};
    ddf_dtype d[] = {DDF_DTYPE_STRING, DDF_DTYPE_FLOAT64, DDF_DTYPE_STRING};
    const char *v[] = {"a b a a", "1 10 . 3", "p q . r"};
    ddf_table *t = ddf_test_make_table(3, n, d, v), *r;
    size_t keys[] = {0};
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM},  {1, DDF_AGG_MEAN}, {1, DDF_AGG_MAX},
                              {1, DDF_AGG_VAR},  {2, DDF_AGG_COUNT}};

    r = group(t, keys, 1, aggs, 5, true);
    assert_table_is(r, 6, (const char *[]){"k", "v_sum", "v_mean", "v_max", "v_var", "s"},
                    (ddf_dtype[]){DDF_DTYPE_STRING, DDF_DTYPE_FLOAT64, DDF_DTYPE_FLOAT64,
                                  DDF_DTYPE_FLOAT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_INT64},
                    (const char *[]){"a b", "4 10", "2 10", "3 10", "2 .", "2 1"});
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_groupby_selection_vector_restricts_rows(void **state)
{
    (void)state;
    const char *n[] = {"k", "v"};
    ddf_dtype d[] = {DDF_DTYPE_INT64, DDF_DTYPE_INT64};
    ddf_table *t = ddf_test_make_table(2, n, d, (const char *[]){"1 2 1 2 3", "1 2 3 4 5"}), *r;
    size_t keys[] = {0};
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM}};
    uint32_t sel[] = {0, 3, 2};
    ddf_groupby *gb;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, 1, aggs, 1, true, &gb, &err), DDF_OK);
    assert_int_equal(ddf_groupby_update(gb, t, sel, 3, 0, &err), DDF_OK);
    assert_int_equal(ddf_groupby_result(gb, &r, &err), DDF_OK);
    assert_table_is(r, 2, n, d, (const char *[]){"1 2", "4 4"});
    ddf_table_free(r);
    sel[0] = 5;
    assert_int_equal(ddf_groupby_update(gb, t, sel, 1, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "group-by: selected row 5 of 5");
    ddf_groupby_free(gb);
    ddf_table_free(t);
}

static void test_groupby_bad_specs_are_rejected(void **state)
{
    (void)state;
    const char *n[] = {"k", "s"};
    ddf_dtype d[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING};
    ddf_table *t = ddf_test_make_table(2, n, d, (const char *[]){"1", "a"});
    size_t keys[] = {0, 0, 0, 0}, bad[] = {7};
    ddf_groupby_agg sum_s[] = {{1, DDF_AGG_SUM}};
    ddf_groupby *gb;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, 4, NULL, 0, true, &gb, &err), DDF_EINVAL);
    assert_null(gb);
    assert_int_equal(ddf_groupby_new(t, bad, 1, NULL, 0, true, &gb, &err), DDF_EINVAL);
    assert_int_equal(ddf_groupby_new(t, keys, 1, sum_s, 1, true, &gb, &err), DDF_ETYPE);
    assert_string_equal(err.msg, "group-by: cannot sum column 's' of string");
    ddf_table_free(t);
}

static void test_groupby_group_limit_is_a_clear_error(void **state)
{
    (void)state;
    const char *n[] = {"k"};
    ddf_dtype d[] = {DDF_DTYPE_INT64};
    ddf_table *t = ddf_test_make_table(1, n, d, (const char *[]){"1 2 3 1 4"}), *r;
    size_t keys[] = {0};
    ddf_groupby *gb;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, 1, NULL, 0, true, &gb, &err), DDF_OK);
    ddf_groupby_set_max_groups(gb, 3);
    assert_int_equal(ddf_groupby_update(gb, t, NULL, 0, 0, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg,
                        "group-by: more than 3 groups (limit DDF_GROUPBY_MAX_GROUPS)");
    assert_int_equal(ddf_groupby_result(gb, &r, &err), DDF_EINVAL);
    assert_null(r);
    ddf_groupby_free(gb);
    ddf_table_free(t);
}

/* ---- random splits ---- */

/* A random table: k1 int64 (0..9, 10% null), k2 string (4 values, 5% null), b bool,
 * v float64 (5% null), w int64. */
static ddf_table *random_table(size_t rows, unsigned *seed)
{
    static const char *strs[] = {"alpha", "", "beta", "\xc3\xa9t\xc3\xa9"};
    ddf_table *t = ddf_table_new(5);
    const char *names[] = {"k1", "k2", "b", "v", "w"};
    ddf_dtype d[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING, DDF_DTYPE_BOOL, DDF_DTYPE_FLOAT64,
                     DDF_DTYPE_INT64};

    assert_non_null(t);
    for (size_t c = 0; c < 5; c++)
        assert_int_equal(ddf_table_set_column(t, c, names[c], strlen(names[c]), d[c]), 0);
    for (size_t i = 0; i < rows; i++) {
        int r = rand_r(seed);
        ddf_arena *a = t->arena;
        assert_int_equal(r % 10 == 0 ? ddf_column_append_null(&t->columns[0], a)
                                     : ddf_column_append_i64(&t->columns[0], a, rand_r(seed) % 10),
                         0);
        const char *s = strs[rand_r(seed) % 4];
        assert_int_equal(r % 20 == 1 ? ddf_column_append_null(&t->columns[1], a)
                                     : ddf_column_append_str(&t->columns[1], a, s, strlen(s)),
                         0);
        assert_int_equal(ddf_column_append_bool(&t->columns[2], a, rand_r(seed) & 1), 0);
        assert_int_equal(r % 20 == 2 ? ddf_column_append_null(&t->columns[3], a)
                                     : ddf_column_append_f64(&t->columns[3], a,
                                                             (rand_r(seed) % 100000) / 7.0 - 5000),
                         0);
        assert_int_equal(ddf_column_append_i64(&t->columns[4], a, rand_r(seed) % 1000 - 500), 0);
    }
    t->nrows = rows;
    return t;
}

/* Random tables grouped by keys[0..nkeys), split at random points into 1..64 partitions,
 * each partition grouped alone and the partials merged in random order (half of them as
 * tables through the codec): the result must equal one pass. */
static void check_random_splits(const size_t *keys, size_t nkeys, unsigned seed)
{
    ddf_groupby_agg aggs[] = {{3, DDF_AGG_SUM},   {3, DDF_AGG_MEAN},  {3, DDF_AGG_STD},
                              {3, DDF_AGG_VAR},   {4, DDF_AGG_MIN},   {4, DDF_AGG_FIRST},
                              {4, DDF_AGG_LAST},  {2, DDF_AGG_SUM},   {1, DDF_AGG_NUNIQUE},
                              {1, DDF_AGG_MAX},   {3, DDF_AGG_COUNT}, {4, DDF_AGG_SIZE}};
    size_t naggs = sizeof aggs / sizeof aggs[0];
    ddf_error err;

    for (int trial = 0; trial < 40; trial++) {
        size_t rows = 1 + rand_r(&seed) % 2000, nparts = 1 + rand_r(&seed) % 64;
        bool dropna = trial & 1;
        ddf_table *t = random_table(rows, &seed), *want, *got;
        ddf_groupby *one, *parts[64], *acc;
        size_t cut[65], perm[64];
        uint32_t *sel = malloc(rows * sizeof *sel);

        assert_non_null(sel);
        for (size_t i = 0; i < rows; i++)
            sel[i] = (uint32_t)i;
        assert_int_equal(ddf_groupby_new(t, keys, nkeys, aggs, naggs, dropna, &one, &err), 0);
        assert_int_equal(ddf_groupby_update(one, t, NULL, 0, 0, &err), 0);
        assert_int_equal(ddf_groupby_result(one, &want, &err), 0);
        /* sorted random cut points; partition p = rows cut[p]..cut[p+1] */
        cut[0] = 0;
        cut[nparts] = rows;
        for (size_t p = 1; p < nparts; p++)
            cut[p] = rand_r(&seed) % (rows + 1);
        for (size_t p = 1; p < nparts; p++)
            for (size_t q = p + 1; q < nparts; q++)
                if (cut[q] < cut[p]) {
                    size_t x = cut[p];
                    cut[p] = cut[q];
                    cut[q] = x;
                }
        for (size_t p = 0; p < nparts; p++) {
            assert_int_equal(
                ddf_groupby_new(t, keys, nkeys, aggs, naggs, dropna, &parts[p], &err), 0);
            /* the partition's rows, via a selection vector; first/last order is by (part,
             * row), and row numbers here are global, which keeps the order */
            assert_int_equal(ddf_groupby_update(parts[p], t, sel + cut[p], cut[p + 1] - cut[p],
                                                p, &err),
                             0);
            perm[p] = p;
        }
        for (size_t p = nparts; p > 1; p--) {
            size_t q = rand_r(&seed) % p, x = perm[p - 1];
            perm[p - 1] = perm[q];
            perm[q] = x;
        }
        assert_int_equal(ddf_groupby_new(t, keys, nkeys, aggs, naggs, dropna, &acc, &err), 0);
        for (size_t p = 0; p < nparts; p++) {
            if (p % 2) { /* half of them travel as a partial table through the codec */
                ddf_table *pt, *back;
                unsigned char *blob;
                size_t len;
                assert_int_equal(ddf_groupby_to_table(parts[perm[p]], &pt, &err), 0);
                assert_int_equal(ddf_codec_encode(pt, &blob, &len, &err), 0);
                assert_int_equal(ddf_codec_decode(blob, len, &back, &err), 0);
                assert_int_equal(ddf_groupby_merge_table(acc, back, &err), 0);
                ddf_free(blob);
                ddf_table_free(pt);
                ddf_table_free(back);
            } else {
                assert_int_equal(ddf_groupby_merge(acc, parts[perm[p]], &err), 0);
            }
        }
        assert_int_equal(ddf_groupby_result(acc, &got, &err), 0);
        assert_tables_close(got, want);
        ddf_table_free(got);
        ddf_table_free(want);
        ddf_groupby_free(acc);
        for (size_t p = 0; p < nparts; p++)
            ddf_groupby_free(parts[p]);
        ddf_groupby_free(one);
        ddf_table_free(t);
        free(sel);
    }
}

static void test_groupby_merging_random_splits_in_random_order_equals_one_pass(void **state)
{
    static const size_t two[] = {0, 1}, int_key[] = {0}, float_key[] = {3}, bool_key[] = {2},
                        str_key[] = {1};

    (void)state;
    check_random_splits(two, 2, 12345);      /* tuples: hashes checked against the keys */
    check_random_splits(int_key, 1, 777);    /* int64: the dense key map */
    check_random_splits(float_key, 1, 4242); /* float64: exact hashes, NaN as null */
    check_random_splits(bool_key, 1, 99);
    check_random_splits(str_key, 1, 31337);
}

/* Strings that share 8-byte prefixes, differ only past them, hold NUL bytes or are empty:
 * one group each, in byte order (Python's order of UTF-8), the null group last. */
static void test_groupby_string_keys_past_the_prefix_sort_bytewise(void **state)
{
    static const char *const keys_in[] = {"abcdefghij", "ab", "abcdefgh", "", "ab\0",
                                          "abcdefghi", "\xc3\xa9", "abcdefghij", "a", "ab",
                                          NULL, "abcdefgh\0", "ABCDEFGHIJ"};
    static const size_t lens[] = {10, 2, 8, 0, 3, 9, 2, 10, 1, 2, 0, 9, 10};
    static const char *const want[] = {"", "ABCDEFGHIJ", "a", "ab", "ab\0", "abcdefgh",
                                       "abcdefgh\0", "abcdefghi", "abcdefghij", "\xc3\xa9"};
    static const size_t want_len[] = {0, 10, 1, 2, 3, 8, 9, 9, 10, 2};
    static const int64_t want_n[] = {1, 1, 1, 2, 1, 1, 1, 1, 2, 1};
    size_t n = sizeof lens / sizeof lens[0], key[] = {0};
    ddf_groupby_agg aggs[] = {{0, DDF_AGG_SIZE}};
    ddf_table *t = ddf_table_new(1), *r;
    ddf_groupby *gb;
    ddf_error err;

    (void)state;
    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "s", 1, DDF_DTYPE_STRING), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(keys_in[i] ? ddf_column_append_str(&t->columns[0], t->arena,
                                                            keys_in[i], lens[i])
                                    : ddf_column_append_null(&t->columns[0], t->arena),
                         0);
    t->nrows = n;
    for (int dropna = 0; dropna < 2; dropna++) {
        size_t ngroups = sizeof want_len / sizeof want_len[0] + !dropna, len;

        assert_int_equal(ddf_groupby_new(t, key, 1, aggs, 1, dropna, &gb, &err), 0);
        assert_int_equal(ddf_groupby_update(gb, t, NULL, 0, 0, &err), 0);
        assert_int_equal(ddf_groupby_result(gb, &r, &err), 0);
        assert_int_equal(r->nrows, ngroups);
        for (size_t g = 0; g < sizeof want_len / sizeof want_len[0]; g++) {
            const char *got = ddf_column_str(&r->columns[0], g, &len);

            assert_int_equal(len, want_len[g]);
            assert_memory_equal(got, want[g], len);
            assert_int_equal(r->columns[1].values.i64[g], want_n[g]);
        }
        if (!dropna)
            assert_false(ddf_column_is_valid(&r->columns[0], ngroups - 1));
        ddf_table_free(r);
        ddf_groupby_free(gb);
    }
    ddf_table_free(t);
}

/* ---- int64 keys: the dense map, its growth and its retreat to the slots ---- */

typedef struct key_row {
    int64_t key;
    int64_t w;
} key_row;

static int cmp_key_row(const void *a, const void *b)
{
    int64_t x = ((const key_row *)a)->key, y = ((const key_row *)b)->key;

    return (x > y) - (x < y);
}

/* Keys that start dense, stretch the map both ways, then leave it (a key 10^15 away, the
 * int64 extremes), with nulls; fed in three updates through selection vectors, or in one:
 * count, sum, min and max of an int column must match a sort-based reference exactly. */
static void test_groupby_int_keys_from_dense_to_sparse_match_a_reference(void **state)
{
    enum { ROWS = 70000 };
    unsigned seed = 2024;
    ddf_table *t = ddf_table_new(2);
    key_row *ref = malloc(ROWS * sizeof *ref);
    uint32_t *sel = malloc(ROWS * sizeof *sel);
    size_t keys[] = {0}, nref = 0, nulls = 0;
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_COUNT}, {1, DDF_AGG_SUM}, {1, DDF_AGG_MIN},
                              {1, DDF_AGG_MAX}, {1, DDF_AGG_SIZE}};
    ddf_error err;

    (void)state;
    assert_non_null(t);
    assert_non_null(ref);
    assert_non_null(sel);
    assert_int_equal(ddf_table_set_column(t, 0, "k", 1, DDF_DTYPE_INT64), 0);
    assert_int_equal(ddf_table_set_column(t, 1, "w", 1, DDF_DTYPE_INT64), 0);
    for (size_t i = 0; i < ROWS; i++) {
        int r = rand_r(&seed);
        int64_t k, w = rand_r(&seed) % 2001 - 1000;

        if (i < 25000)
            k = 1000000 + r % 3000; /* dense */
        else if (i < 45000)
            k = 1000000 + (r % 3000000) - 1500000; /* stretches the map both ways */
        else if (r % 50 == 0)
            k = r % 2 ? INT64_MAX - r % 3 : INT64_MIN + r % 3;
        else
            k = r % 3 ? r % 5000 : (int64_t)1000000000000000 + r % 7; /* off the map */
        if (r % 97 == 0) {
            assert_int_equal(ddf_column_append_null(&t->columns[0], t->arena), 0);
            nulls++;
        } else {
            assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, k), 0);
            ref[nref].key = k;
            ref[nref++].w = w;
        }
        assert_int_equal(ddf_column_append_i64(&t->columns[1], t->arena, w), 0);
        sel[i] = (uint32_t)i;
    }
    t->nrows = ROWS;
    qsort(ref, nref, sizeof *ref, cmp_key_row);
    for (int mode = 0; mode < 4; mode++) {
        bool dropna = mode & 1, split = mode & 2;
        ddf_groupby *gb;
        ddf_table *res;
        size_t g = 0;

        assert_int_equal(ddf_groupby_new(t, keys, 1, aggs, 5, dropna, &gb, &err), 0);
        if (split) {
            assert_int_equal(ddf_groupby_update(gb, t, sel, 25000, 0, &err), 0);
            assert_int_equal(ddf_groupby_update(gb, t, sel + 25000, 20000, 0, &err), 0);
            assert_int_equal(ddf_groupby_update(gb, t, sel + 45000, ROWS - 45000, 0, &err), 0);
        } else {
            assert_int_equal(ddf_groupby_update(gb, t, NULL, 0, 0, &err), 0);
        }
        assert_int_equal(ddf_groupby_result(gb, &res, &err), 0);
        for (size_t i = 0; i < nref; g++) {
            size_t j = i;
            int64_t sum = 0, mn = ref[i].w, mx = ref[i].w;

            for (; j < nref && ref[j].key == ref[i].key; j++) {
                sum += ref[j].w;
                mn = ref[j].w < mn ? ref[j].w : mn;
                mx = ref[j].w > mx ? ref[j].w : mx;
            }
            assert_true(g < res->nrows);
            assert_int_equal(res->columns[0].values.i64[g], ref[i].key);
            assert_int_equal(res->columns[1].values.i64[g], (int64_t)(j - i));
            assert_int_equal(res->columns[2].values.i64[g], sum);
            assert_int_equal(res->columns[3].values.i64[g], mn);
            assert_int_equal(res->columns[4].values.i64[g], mx);
            assert_int_equal(res->columns[5].values.i64[g], (int64_t)(j - i));
            i = j;
        }
        if (!dropna) { /* the null key's group comes last */
            assert_false(ddf_column_is_valid(&res->columns[0], g));
            assert_int_equal(res->columns[5].values.i64[g], (int64_t)nulls);
            g++;
        }
        assert_int_equal(res->nrows, g);
        ddf_table_free(res);
        ddf_groupby_free(gb);
    }
    /* the phases grouped apart and merged, sparse first: merging must leave the map too */
    {
        static const size_t start[] = {45000, 0, 25000}, len[] = {ROWS - 45000, 25000, 20000};
        ddf_groupby *one, *part, *acc;
        ddf_table *want, *got, *pt;

        assert_int_equal(ddf_groupby_new(t, keys, 1, aggs, 5, false, &one, &err), 0);
        assert_int_equal(ddf_groupby_update(one, t, NULL, 0, 0, &err), 0);
        assert_int_equal(ddf_groupby_result(one, &want, &err), 0);
        assert_int_equal(ddf_groupby_new(t, keys, 1, aggs, 5, false, &acc, &err), 0);
        for (size_t p = 0; p < 3; p++) {
            assert_int_equal(ddf_groupby_new(t, keys, 1, aggs, 5, false, &part, &err), 0);
            assert_int_equal(ddf_groupby_update(part, t, sel + start[p], len[p], p, &err), 0);
            if (p == 1) {
                assert_int_equal(ddf_groupby_to_table(part, &pt, &err), 0);
                assert_int_equal(ddf_groupby_merge_table(acc, pt, &err), 0);
                ddf_table_free(pt);
            } else {
                assert_int_equal(ddf_groupby_merge(acc, part, &err), 0);
            }
            ddf_groupby_free(part);
        }
        assert_int_equal(ddf_groupby_result(acc, &got, &err), 0);
        assert_tables_close(got, want);
        ddf_table_free(got);
        ddf_table_free(want);
        ddf_groupby_free(acc);
        ddf_groupby_free(one);
    }
    ddf_table_free(t);
    free(ref);
    free(sel);
}

static void test_groupby_partial_survives_the_codec_round_trip(void **state)
{
    (void)state;
    unsigned seed = 7;
    ddf_table *t = random_table(500, &seed), *pt, *back, *want, *got;
    size_t keys[] = {1, 2, 0};
    ddf_groupby_agg aggs[] = {{3, DDF_AGG_MEAN}, {1, DDF_AGG_MIN}, {4, DDF_AGG_NUNIQUE}};
    ddf_groupby *a, *b;
    unsigned char *blob;
    size_t len;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, 3, aggs, 3, false, &a, &err), 0);
    assert_int_equal(ddf_groupby_new(t, keys, 3, aggs, 3, false, &b, &err), 0);
    assert_int_equal(ddf_groupby_update(a, t, NULL, 0, 0, &err), 0);
    assert_int_equal(ddf_groupby_to_table(a, &pt, &err), 0);
    assert_int_equal(pt->ncols, 3 + 3 * 12);
    assert_int_equal(ddf_codec_encode(pt, &blob, &len, &err), 0);
    assert_int_equal(ddf_codec_decode(blob, len, &back, &err), 0);
    assert_int_equal(ddf_groupby_merge_table(b, back, &err), 0);
    assert_int_equal(ddf_groupby_result(a, &want, &err), 0);
    assert_int_equal(ddf_groupby_result(b, &got, &err), 0);
    assert_true(ddf_table_equal(got, want));
    /* a table of another layout is corrupt */
    back->ncols--;
    assert_int_equal(ddf_groupby_merge_table(b, back, &err), DDF_ECORRUPT);
    back->ncols++;
    ddf_free(blob);
    ddf_table_free(pt);
    ddf_table_free(back);
    ddf_table_free(want);
    ddf_table_free(got);
    ddf_groupby_free(a);
    ddf_groupby_free(b);
    ddf_table_free(t);
}

/* ---- allocation failure ---- */

static void test_groupby_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    unsigned seed = 99;
    ddf_table *t = random_table(300, &seed);
    size_t keys[] = {1, 0};
    ddf_groupby_agg aggs[] = {{3, DDF_AGG_SUM}, {1, DDF_AGG_NUNIQUE}, {1, DDF_AGG_MAX}};
    int done = 0;

    for (long n = 0; !done && n < 100000; n++) {
        ddf_groupby *a = NULL, *b = NULL;
        ddf_table *pt = NULL, *r = NULL;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_groupby_new(t, keys, 2, aggs, 3, false, &a, &err);
        if (rc == 0)
            rc = ddf_groupby_new(t, keys, 2, aggs, 3, false, &b, &err);
        if (rc == 0)
            rc = ddf_groupby_update(a, t, NULL, 0, 0, &err);
        if (rc == 0)
            rc = ddf_groupby_to_table(a, &pt, &err);
        if (rc == 0)
            rc = ddf_groupby_merge_table(b, pt, &err);
        if (rc == 0)
            rc = ddf_groupby_merge(b, a, &err);
        if (rc == 0)
            rc = ddf_groupby_result(b, &r, &err);
        ddf_test_fail_after(-1);
        if (rc == 0) {
            assert_int_equal(r->nrows, ddf_groupby_ngroups(a));
            done = 1;
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
        }
        ddf_table_free(r);
        ddf_table_free(pt);
        ddf_groupby_free(a);
        ddf_groupby_free(b);
    }
    assert_true(done);
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groupby_int_key_drops_nulls_and_sorts),
        cmocka_unit_test(test_groupby_float_key_nan_is_null_and_signed_zeros_are_one),
        cmocka_unit_test(test_groupby_bool_and_string_keys_sort_like_pandas),
        cmocka_unit_test(test_groupby_two_and_three_keys_of_mixed_dtypes),
        cmocka_unit_test(test_groupby_many_aggregations_in_one_pass_are_named_by_column),
        cmocka_unit_test(test_groupby_selection_vector_restricts_rows),
        cmocka_unit_test(test_groupby_bad_specs_are_rejected),
        cmocka_unit_test(test_groupby_group_limit_is_a_clear_error),
        cmocka_unit_test(test_groupby_merging_random_splits_in_random_order_equals_one_pass),
        cmocka_unit_test(test_groupby_string_keys_past_the_prefix_sort_bytewise),
        cmocka_unit_test(test_groupby_int_keys_from_dense_to_sparse_match_a_reference),
        cmocka_unit_test(test_groupby_partial_survives_the_codec_round_trip),
        cmocka_unit_test_teardown(test_groupby_fails_cleanly_at_every_allocation,
                                  ddf_test_restore_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
