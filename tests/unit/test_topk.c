/* test_topk.c - nlargest/nsmallest as partial states (common/topk.c): pandas 1.5.3's
 * answers on small frames (nulls last and filling up, ties for keep first/last/all,
 * -0.0 equal to 0.0, bools, several order columns), n = 0, n over the rows, empty tables,
 * merging random splits in random orders and groupings equals one pass and a naive sort,
 * partials through the codec, refused dtypes and corrupt partials, the keep=all bound,
 * and allocation failure. */
#include "testutil.h"

#include "alloc.h"
#include "codec.h"
#include "error.h"
#include "topk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders ---- */

/* The top-k of 't' in one pass, with positions. */
static ddf_table *topk(const ddf_table *t, const size_t *keys, size_t nkeys, size_t n,
                       bool largest, ddf_topk_keep keep)
{
    ddf_topk *tk;
    ddf_table *r;
    ddf_error err;

    assert_int_equal(ddf_topk_new(t, keys, nkeys, n, largest, keep, &tk, &err), DDF_OK);
    assert_int_equal(ddf_topk_update(tk, t, NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_topk_result(tk, true, &r, &err), DDF_OK);
    assert_int_equal(ddf_topk_nrows(tk), r->nrows);
    ddf_topk_free(tk);
    return r;
}

/* Assert that the result's rows are the input rows 'rows' (space-separated), in order. */
static void assert_rows(const ddf_table *r, const char *rows)
{
    char buf[256], *tok, *save;
    size_t k = 0;
    const ddf_column *part = &r->columns[r->ncols - 2], *row = &r->columns[r->ncols - 1];

    assert_string_equal(r->names[r->ncols - 2], DDF_TOPK_PART_NAME);
    assert_string_equal(r->names[r->ncols - 1], DDF_TOPK_ROW_NAME);
    snprintf(buf, sizeof buf, "%s", rows);
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), k++) {
        assert_true(k < r->nrows);
        assert_int_equal(part->values.i64[k], 0);
        assert_int_equal(row->values.i64[k], strtoll(tok, NULL, 10));
    }
    assert_int_equal(k, r->nrows);
}

static void check(const ddf_table *t, const size_t *keys, size_t nkeys, size_t n,
                  bool largest, ddf_topk_keep keep, const char *rows)
{
    ddf_table *r = topk(t, keys, nkeys, n, largest, keep);

    assert_rows(r, rows);
    ddf_table_free(r);
}

/* ---- pandas' answers ---- */

static void test_topk_nulls_come_last_and_fill_up_as_in_pandas(void **state)
{
    static const char *const names[] = {"a"};
    static const ddf_dtype dt[] = {DDF_DTYPE_FLOAT64};
    static const char *const vals[] = {"1 nan 2 . 3"};
    ddf_table *t = ddf_test_make_table(1, names, dt, vals);
    const size_t k0[] = {0};

    (void)state;
    /* Series([1, nan, 2, nan, 3]).nlargest(2) -> 4 2; (4) -> 4 2 0 1; (10) -> 4 2 0 1 3 */
    check(t, k0, 1, 2, true, DDF_TOPK_KEEP_FIRST, "4 2");
    check(t, k0, 1, 4, true, DDF_TOPK_KEEP_FIRST, "4 2 0 1");
    check(t, k0, 1, 10, true, DDF_TOPK_KEEP_FIRST, "4 2 0 1 3");
    check(t, k0, 1, 4, false, DDF_TOPK_KEEP_FIRST, "0 2 4 1");
    /* keep='last' still takes the first null (pandas appends nulls in row order). */
    check(t, k0, 1, 4, true, DDF_TOPK_KEEP_LAST, "4 2 0 1");
    /* keep='all': the nulls tie with each other, so both come. */
    check(t, k0, 1, 4, true, DDF_TOPK_KEEP_ALL, "4 2 0 1 3");
    ddf_table_free(t);
}

static void test_topk_ties_for_keep_first_last_and_all(void **state)
{
    static const char *const names[] = {"v", "s"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING};
    static const char *const vals[] = {"1 2 2 2 3", "a é 日本 _ 😀"};
    ddf_table *t = ddf_test_make_table(2, names, dt, vals);
    const size_t k0[] = {0};
    ddf_table *r;

    (void)state;
    /* Series([1, 2, 2, 2, 3]).nlargest(2, keep=...): first 4 1, last 4 3, all 4 1 2 3 */
    check(t, k0, 1, 2, true, DDF_TOPK_KEEP_FIRST, "4 1");
    check(t, k0, 1, 2, true, DDF_TOPK_KEEP_LAST, "4 3");
    check(t, k0, 1, 2, true, DDF_TOPK_KEEP_ALL, "4 1 2 3");
    check(t, k0, 1, 4, true, DDF_TOPK_KEEP_LAST, "4 3 2 1");
    check(t, k0, 1, 1, false, DDF_TOPK_KEEP_ALL, "0");
    check(t, k0, 1, 2, false, DDF_TOPK_KEEP_ALL, "0 1 2 3");
    /* The string column rides along. */
    r = topk(t, k0, 1, 2, true, DDF_TOPK_KEEP_LAST);
    assert_int_equal(r->columns[1].dtype, DDF_DTYPE_STRING);
    {
        size_t len;
        const char *s = ddf_column_str(&r->columns[1], 0, &len);
        assert_int_equal(len, strlen("😀"));
        assert_memory_equal(s, "😀", len);
        s = ddf_column_str(&r->columns[1], 1, &len);
        assert_int_equal(len, 0);
    }
    ddf_table_free(r);
    ddf_table_free(t);
}

static void test_topk_signed_zeros_tie_and_infinities_order(void **state)
{
    static const char *const names[] = {"f"};
    static const ddf_dtype dt[] = {DDF_DTYPE_FLOAT64};
    static const char *const vals[] = {"0.0 -0.0 0.0 inf -inf -1"};
    ddf_table *t = ddf_test_make_table(1, names, dt, vals);
    const size_t k0[] = {0};

    (void)state;
    /* Series([0.0, -0.0, 0.0]).nlargest(2) -> 0 1 */
    check(t, k0, 1, 3, true, DDF_TOPK_KEEP_FIRST, "3 0 1");
    check(t, k0, 1, 3, true, DDF_TOPK_KEEP_LAST, "3 2 1");
    check(t, k0, 1, 3, false, DDF_TOPK_KEEP_FIRST, "4 5 0");
    check(t, k0, 1, 3, false, DDF_TOPK_KEEP_ALL, "4 5 0 1 2");
    ddf_table_free(t);
}

static void test_topk_bools_order_false_before_true(void **state)
{
    static const char *const names[] = {"b"};
    static const ddf_dtype dt[] = {DDF_DTYPE_BOOL};
    static const char *const vals[] = {"T . F T"};
    ddf_table *t = ddf_test_make_table(1, names, dt, vals);
    const size_t k0[] = {0};

    (void)state;
    /* Series([True, None, False, True], dtype="boolean").nlargest(3) -> 0 3 2;
     * .nsmallest(4) -> 2 0 3 1 */
    check(t, k0, 1, 3, true, DDF_TOPK_KEEP_FIRST, "0 3 2");
    check(t, k0, 1, 4, false, DDF_TOPK_KEEP_FIRST, "2 0 3 1");
    ddf_table_free(t);
}

static void test_topk_several_order_columns_are_lexicographic(void **state)
{
    static const char *const names[] = {"a", "b"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64};
    static const char *const vals[] = {"3 3 3 1", "1 nan 2 5"};
    ddf_table *t = ddf_test_make_table(2, names, dt, vals);
    const size_t ab[] = {0, 1}, ba[] = {1, 0};

    (void)state;
    /* DataFrame.nlargest(n, ['a', 'b']): 2 -> 2 0; 3 -> 2 0 1; 4 -> 2 0 1 3 */
    check(t, ab, 2, 2, true, DDF_TOPK_KEEP_FIRST, "2 0");
    check(t, ab, 2, 3, true, DDF_TOPK_KEEP_FIRST, "2 0 1");
    check(t, ab, 2, 4, true, DDF_TOPK_KEEP_FIRST, "2 0 1 3");
    check(t, ba, 2, 2, false, DDF_TOPK_KEEP_FIRST, "0 2");
    check(t, ba, 2, 4, false, DDF_TOPK_KEEP_FIRST, "0 2 3 1");
    ddf_table_free(t);
}

static void test_topk_n_zero_n_over_rows_and_empty_tables(void **state)
{
    static const char *const names[] = {"a", "s"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING};
    static const char *const vals[] = {"5 4", "x y"};
    static const char *const none[] = {"", ""};
    ddf_table *t = ddf_test_make_table(2, names, dt, vals);
    ddf_table *e = ddf_test_make_table(2, names, dt, none), *r;
    const size_t k0[] = {0};
    unsigned char *blob;
    size_t len;
    ddf_error err;

    (void)state;
    check(t, k0, 1, 0, true, DDF_TOPK_KEEP_ALL, "");
    check(t, k0, 1, 3, false, DDF_TOPK_KEEP_FIRST, "1 0");
    check(e, k0, 1, 3, true, DDF_TOPK_KEEP_FIRST, "");
    r = topk(e, k0, 1, 3, true, DDF_TOPK_KEEP_FIRST);
    assert_int_equal(ddf_codec_encode(r, &blob, &len, &err), DDF_OK);
    ddf_free(blob);
    ddf_table_free(r);
    ddf_table_free(t);
    ddf_table_free(e);
}

static void test_topk_selection_vector_restricts_rows(void **state)
{
    static const char *const names[] = {"a"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64};
    static const char *const vals[] = {"9 1 8 2 7"};
    ddf_table *t = ddf_test_make_table(1, names, dt, vals), *r;
    const size_t k0[] = {0};
    const uint32_t sel[] = {1, 3, 4};
    ddf_topk *tk;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_topk_new(t, k0, 1, 2, true, DDF_TOPK_KEEP_FIRST, &tk, &err), DDF_OK);
    assert_int_equal(ddf_topk_update(tk, t, sel, 3, 0, &err), DDF_OK);
    assert_int_equal(ddf_topk_result(tk, true, &r, &err), DDF_OK);
    assert_rows(r, "4 3");
    ddf_table_free(r);
    assert_int_equal(ddf_topk_result(tk, false, &r, &err), DDF_OK);
    assert_int_equal(r->ncols, 1);
    assert_int_equal(r->columns[0].values.i64[0], 7);
    ddf_table_free(r);
    ddf_topk_free(tk);
    ddf_table_free(t);
}

/* ---- random splits against a naive sort ---- */

/* A random table: i int64, f float64 (-0.0, 0.0, NaN, inf), b bool, s string, with
 * nulls and few distinct values so that ties are common. */
static ddf_table *random_table(size_t nrows, uint64_t *rng)
{
    static const char *const names[] = {"i", "f", "b", "s"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_BOOL,
                                   DDF_DTYPE_STRING};
    static const char *const words[] = {"a", "é", "日本", "", "😀"};
    static const double fs[] = {-0.0, 0.0, NAN, INFINITY, -INFINITY, 1.5, -2.5, 1e300};
    ddf_table *t = ddf_table_new(4);

    assert_non_null(t);
    for (size_t c = 0; c < 4; c++)
        assert_int_equal(ddf_table_set_column(t, c, names[c], 1, dt[c]), DDF_OK);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < 4; c++) {
            ddf_column *col = &t->columns[c];
            uint64_t v = ddf_test_next_rand(rng);
            int rc;

            if (v % 7 == 0)
                rc = ddf_column_append_null(col, t->arena);
            else if (c == 0)
                rc = ddf_column_append_i64(col, t->arena,
                                           v % 11 == 1 ? INT64_MIN : (int64_t)(v >> 8) % 5);
            else if (c == 1)
                rc = ddf_column_append_f64(col, t->arena, fs[(v >> 8) % 8]);
            else if (c == 2)
                rc = ddf_column_append_bool(col, t->arena, (v >> 8) & 1);
            else
                rc = ddf_column_append_str(col, t->arena, words[(v >> 8) % 5],
                                           strlen(words[(v >> 8) % 5]));
            assert_int_equal(rc, DDF_OK);
        }
    }
    t->nrows = nrows;
    return t;
}

/* The spec of one naive sort. */
typedef struct spec {
    const ddf_table *t;
    const size_t *keys;
    size_t nkeys;
    bool largest;
    ddf_topk_keep keep;
} spec;

/* Order values of rows i and j: < 0 when i comes first; *nulls when tied with a null. */
static int naive_keys(const spec *sp, size_t i, size_t j, bool *nulls)
{
    *nulls = false;
    for (size_t k = 0; k < sp->nkeys; k++) {
        const ddf_column *c = &sp->t->columns[sp->keys[k]];
        double x, y;

        if (ddf_test_is_missing(c, i) && ddf_test_is_missing(c, j)) {
            *nulls = true;
            continue;
        }
        if (ddf_test_is_missing(c, i) || ddf_test_is_missing(c, j))
            return ddf_test_is_missing(c, i) ? 1 : -1;
        if (c->dtype == DDF_DTYPE_INT64) {
            if (c->values.i64[i] != c->values.i64[j])
                return (c->values.i64[i] < c->values.i64[j]) == sp->largest ? 1 : -1;
            continue;
        }
        x = c->dtype == DDF_DTYPE_BOOL ? c->values.b8[i] : c->values.f64[i];
        y = c->dtype == DDF_DTYPE_BOOL ? c->values.b8[j] : c->values.f64[j];
        if (x != y)
            return (x < y) == sp->largest ? 1 : -1;
    }
    return 0;
}

static int naive_cmp(const spec *sp, size_t i, size_t j)
{
    bool nulls;
    int c = naive_keys(sp, i, j, &nulls);

    if (c || i == j)
        return c;
    return (sp->keep == DDF_TOPK_KEEP_LAST && !nulls) == (i < j) ? 1 : -1;
}

/* The expected row numbers in order; returns how many. */
static size_t naive_topk(const spec *sp, size_t n, size_t *out)
{
    size_t m = sp->t->nrows, take;
    bool nulls;

    for (size_t i = 0; i < m; i++) { /* insertion sort: no qsort context in C11 */
        size_t j = i;
        for (; j > 0 && naive_cmp(sp, out[j - 1], i) > 0; j--)
            out[j] = out[j - 1];
        out[j] = i;
    }
    take = n < m ? n : m;
    if (sp->keep == DDF_TOPK_KEEP_ALL && take > 0)
        while (take < m && naive_keys(sp, out[take - 1], out[take], &nulls) == 0)
            take++;
    return take;
}

static void test_topk_random_splits_merge_to_the_one_pass_result(void **state)
{
    uint64_t rng = 0x2545f4914f6cdd1dull;

    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        size_t nrows = ddf_test_next_rand(&rng) % 250, nparts = 1 + ddf_test_next_rand(&rng) % 64;
        size_t nkeys = 1 + ddf_test_next_rand(&rng) % 3, keys[3];
        size_t n = ddf_test_next_rand(&rng) % (nrows + 4);
        bool largest = ddf_test_next_rand(&rng) & 1;
        ddf_topk_keep keep = (ddf_topk_keep)(ddf_test_next_rand(&rng) % 3);
        ddf_table *t = random_table(nrows, &rng), *whole, *merged;
        ddf_table **partials = calloc(nparts, sizeof(*partials));
        size_t *perm = calloc(nparts, sizeof(size_t)), *start = calloc(nparts, sizeof(size_t));
        size_t *want = calloc(nrows + 1, sizeof(size_t)), nwant;
        ddf_topk *one, *total, *group;
        ddf_error err;
        spec sp;

        for (size_t k = 0; k < nkeys; k++)
            keys[k] = ddf_test_next_rand(&rng) % 3; /* i, f, b; repeats allowed, as in pandas */
        assert_int_equal(ddf_topk_new(t, keys, nkeys, n, largest, keep, &one, &err), DDF_OK);
        for (size_t p = 0; p < nparts; p++) {
            size_t from = nrows * p / nparts, to = nrows * (p + 1) / nparts;
            ddf_table *s = ddf_test_slice(t, from, to), *pt;
            ddf_topk *tk;

            start[p] = from;
            assert_int_equal(ddf_topk_new(t, keys, nkeys, n, largest, keep, &tk, &err),
                             DDF_OK);
            assert_int_equal(ddf_topk_update(tk, s, NULL, 0, p, &err), DDF_OK);
            assert_int_equal(ddf_topk_update(one, s, NULL, 0, p, &err), DDF_OK);
            assert_int_equal(ddf_topk_to_table(tk, &pt, &err), DDF_OK);
            partials[p] = ddf_test_through_codec(pt);
            ddf_table_free(pt);
            ddf_topk_free(tk);
            ddf_table_free(s);
        }
        ddf_test_shuffled_order(perm, nparts, &rng);
        assert_int_equal(ddf_topk_new(t, keys, nkeys, n, largest, keep, &total, &err), DDF_OK);
        assert_int_equal(ddf_topk_new(t, keys, nkeys, n, largest, keep, &group, &err), DDF_OK);
        for (size_t k = 0; k < nparts; k++) {
            ddf_topk *into = ddf_test_next_rand(&rng) % 3 == 0 ? group : total;
            assert_int_equal(ddf_topk_merge_table(into, partials[perm[k]], &err), DDF_OK);
        }
        assert_int_equal(ddf_topk_merge(total, group, &err), DDF_OK);
        assert_int_equal(ddf_topk_result(total, true, &merged, &err), DDF_OK);
        assert_int_equal(ddf_topk_result(one, true, &whole, &err), DDF_OK);
        assert_true(ddf_table_equal(whole, merged));

        sp = (spec){t, keys, nkeys, largest, keep};
        nwant = naive_topk(&sp, n, want);
        assert_int_equal(merged->nrows, nwant);
        for (size_t k = 0; k < nwant; k++) {
            int64_t p = merged->columns[4].values.i64[k], r = merged->columns[5].values.i64[k];
            size_t g = start[p] + (size_t)r;

            assert_int_equal(g, want[k]);
            for (size_t c = 0; c < 4; c++)
                assert_true(ddf_column_value_equal(&merged->columns[c], k, &t->columns[c], g));
        }
        ddf_table_free(merged);
        ddf_table_free(whole);
        ddf_topk_free(one);
        ddf_topk_free(total);
        ddf_topk_free(group);
        for (size_t p = 0; p < nparts; p++)
            ddf_table_free(partials[p]);
        free(partials);
        free(perm);
        free(start);
        free(want);
        ddf_table_free(t);
    }
}

/* Many rows through a small heap: evicted rows are reclaimed (the store compacts), and
 * the answer is still the naive one. */
static void test_topk_long_input_through_a_small_heap(void **state)
{
    uint64_t rng = 77;
    ddf_table *t = random_table(3000, &rng), *r;
    const size_t keys[] = {1, 0};
    size_t *want = calloc(t->nrows, sizeof(size_t)), nwant;
    spec sp = {t, keys, 2, true, DDF_TOPK_KEEP_LAST};

    (void)state;
    r = topk(t, keys, 2, 37, true, DDF_TOPK_KEEP_LAST);
    nwant = naive_topk(&sp, 37, want);
    assert_int_equal(r->nrows, nwant);
    for (size_t k = 0; k < nwant; k++)
        assert_int_equal(r->columns[5].values.i64[k], (int64_t)want[k]);
    ddf_table_free(r);
    free(want);
    ddf_table_free(t);
}

/* A big heap: the n largest of a permutation are its n largest values, in order. */
static void test_topk_big_n_over_a_permutation(void **state)
{
    static const char *const names[] = {"v"};
    static const ddf_dtype dt[] = {DDF_DTYPE_FLOAT64};
    static const char *const none[] = {""};
    const size_t nrows = 200000, n = 50000, k0[] = {0};
    ddf_table *t = ddf_test_make_table(1, names, dt, none), *r;

    (void)state;
    for (size_t i = 0; i < nrows; i++) /* 7919 is prime to nrows: a permutation */
        assert_int_equal(ddf_column_append_f64(&t->columns[0], t->arena,
                                               (double)((i * 7919) % nrows)), DDF_OK);
    t->nrows = nrows;
    r = topk(t, k0, 1, n, true, DDF_TOPK_KEEP_FIRST);
    assert_int_equal(r->nrows, n);
    for (size_t k = 0; k < n; k++)
        assert_true(r->columns[0].values.f64[k] == (double)(nrows - 1 - k));
    ddf_table_free(r);
    ddf_table_free(t);
}

/* ---- errors ---- */

static void test_topk_bad_specs_are_rejected(void **state)
{
    static const char *const names[] = {"a", "s", "b"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING, DDF_DTYPE_BOOL};
    static const char *const vals[] = {"1", "x", "T"};
    ddf_table *t = ddf_test_make_table(3, names, dt, vals);
    const size_t k0[] = {0}, ks[] = {1}, kbad[] = {3};
    size_t many[DDF_TOPK_MAX_KEYS + 1] = {0};
    ddf_topk *tk;
    ddf_topk_keep keep;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_topk_new(t, ks, 1, 5, true, DDF_TOPK_KEEP_FIRST, &tk, &err),
                     DDF_ETYPE);
    assert_null(tk);
    assert_string_equal(err.msg,
                        "Column 's' has dtype string, cannot use method 'nlargest' with this "
                        "dtype");
    assert_int_equal(ddf_topk_new(t, ks, 1, 5, false, DDF_TOPK_KEEP_FIRST, &tk, &err),
                     DDF_ETYPE);
    assert_string_equal(err.msg,
                        "Column 's' has dtype string, cannot use method 'nsmallest' with this "
                        "dtype");
    assert_int_equal(ddf_topk_new(t, kbad, 1, 5, true, DDF_TOPK_KEEP_FIRST, &tk, &err),
                     DDF_EINVAL);
    assert_string_equal(err.msg, "nlargest: no column 3 (3 columns)");
    assert_int_equal(ddf_topk_new(t, k0, 0, 5, true, DDF_TOPK_KEEP_FIRST, &tk, &err),
                     DDF_EINVAL);
    assert_int_equal(ddf_topk_new(t, many, DDF_TOPK_MAX_KEYS + 1, 5, true,
                                  DDF_TOPK_KEEP_FIRST, &tk, &err), DDF_EINVAL);
    assert_int_equal(ddf_topk_new(t, k0, 1, 5, true, (ddf_topk_keep)7, &tk, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "nlargest: keep must be either \"first\", \"last\" or \"all\"");
    assert_int_equal(ddf_topk_new(t, k0, 1, DDF_TOPK_MAX_N + 1, true, DDF_TOPK_KEEP_FIRST, &tk,
                                  &err), DDF_ETOOBIG);
    assert_string_equal(err.msg, "nlargest: n = 1048577 is over the limit of 1048576 rows");
    assert_int_equal(ddf_topk_keep_parse("last", &keep), DDF_OK);
    assert_int_equal(keep, DDF_TOPK_KEEP_LAST);
    assert_int_equal(ddf_topk_keep_parse("all", &keep), DDF_OK);
    assert_int_equal(keep, DDF_TOPK_KEEP_ALL);
    assert_int_equal(ddf_topk_keep_parse("First", &keep), DDF_EINVAL);
    ddf_topk_free(NULL);
    ddf_table_free(t);
}

static void test_topk_mismatched_tables_and_topks_are_rejected(void **state)
{
    static const char *const names[] = {"a", "b"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64};
    static const ddf_dtype dt2[] = {DDF_DTYPE_INT64, DDF_DTYPE_INT64};
    static const char *const vals[] = {"1 2", "1 2"};
    ddf_table *t = ddf_test_make_table(2, names, dt, vals);
    ddf_table *t2 = ddf_test_make_table(2, names, dt2, vals);
    const size_t k0[] = {0};
    const uint32_t sel[] = {2};
    ddf_topk *a, *b, *c;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_topk_new(t, k0, 1, 1, true, DDF_TOPK_KEEP_FIRST, &a, &err), DDF_OK);
    assert_int_equal(ddf_topk_new(t, k0, 1, 2, true, DDF_TOPK_KEEP_FIRST, &b, &err), DDF_OK);
    assert_int_equal(ddf_topk_new(t2, k0, 1, 1, true, DDF_TOPK_KEEP_FIRST, &c, &err), DDF_OK);
    assert_int_equal(ddf_topk_update(a, t2, NULL, 0, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "topk: table columns differ from the spec");
    assert_int_equal(ddf_topk_update(a, t, sel, 1, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "topk: row 2 out of range (2 rows)");
    assert_int_equal(ddf_topk_merge(a, b, &err), DDF_EINVAL);
    assert_int_equal(ddf_topk_merge(a, c, &err), DDF_EINVAL);
    assert_int_equal(ddf_topk_merge(a, a, &err), DDF_EINVAL);
    /* Argument errors leave the top-k usable. */
    assert_int_equal(ddf_topk_update(a, t, NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_topk_nrows(a), 1);
    ddf_topk_free(a);
    ddf_topk_free(b);
    ddf_topk_free(c);
    ddf_table_free(t);
    ddf_table_free(t2);
}

static void test_topk_corrupt_partials_are_refused(void **state)
{
    static const char *const names[] = {"a", DDF_TOPK_PART_NAME, DDF_TOPK_ROW_NAME};
    static const char *const bad[] = {"a", DDF_TOPK_PART_NAME, "row"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64, DDF_DTYPE_INT64, DDF_DTYPE_INT64};
    static const ddf_dtype dtf[] = {DDF_DTYPE_FLOAT64, DDF_DTYPE_INT64, DDF_DTYPE_INT64};
    static const ddf_dtype dtb[] = {DDF_DTYPE_INT64, DDF_DTYPE_INT64, DDF_DTYPE_BOOL};
    static const struct {
        const char *const *names;
        const ddf_dtype *dtypes;
        const char *vals[3];
        const char *msg;
    } cases[] = {
        {bad, dt, {"1", "0", "0"}, "topk: partial column 3 is not int64 __ddf_row"},
        {names, dtb, {"1", "0", "T"}, "topk: partial column 3 is not int64 __ddf_row"},
        {names, dtf, {"1", "0", "0"}, "topk: partial column dtypes differ"},
        {names, dt, {"1 2", "0 -1", "0 0"}, "topk: partial row 1 has a bad __ddf_part"},
        {names, dt, {"1 2", "0 0", "0 ."}, "topk: partial row 1 has a bad __ddf_row"},
    };
    static const char *const one[] = {"a"};
    static const char *const vals1[] = {"1"};
    ddf_table *like = ddf_test_make_table(1, one, dt, vals1);
    const size_t k0[] = {0};
    ddf_error err;

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ddf_table *p = ddf_test_make_table(3, cases[k].names, cases[k].dtypes, cases[k].vals);
        ddf_topk *tk;

        assert_int_equal(ddf_topk_new(like, k0, 1, 5, true, DDF_TOPK_KEEP_FIRST, &tk, &err),
                         DDF_OK);
        assert_int_equal(ddf_topk_merge_table(tk, p, &err), DDF_ECORRUPT);
        assert_string_equal(err.msg, cases[k].msg);
        assert_int_equal(ddf_topk_nrows(tk), 0);
        ddf_table_free(p);
        ddf_topk_free(tk);
    }
    {
        ddf_topk *tk;
        assert_int_equal(ddf_topk_new(like, k0, 1, 5, true, DDF_TOPK_KEEP_FIRST, &tk, &err),
                         DDF_OK);
        assert_int_equal(ddf_topk_merge_table(tk, like, &err), DDF_ECORRUPT);
        assert_string_equal(err.msg, "topk: partial has 1 columns, expected 3");
        ddf_topk_free(tk);
    }
    ddf_table_free(like);
}

static void test_topk_keep_all_bound_is_an_error_then_spent(void **state)
{
    static const char *const names[] = {"a"};
    static const ddf_dtype dt[] = {DDF_DTYPE_INT64};
    static const char *const vals[] = {"5 5 5 5 5 5"};
    ddf_table *t = ddf_test_make_table(1, names, dt, vals), *r;
    const size_t k0[] = {0};
    ddf_topk *tk;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_topk_new(t, k0, 1, 2, true, DDF_TOPK_KEEP_ALL, &tk, &err), DDF_OK);
    ddf_topk_set_max_held(tk, 4);
    assert_int_equal(ddf_topk_update(tk, t, NULL, 0, 0, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg, "topk: keep='all' would hold more than 4 rows (the limit)");
    assert_int_equal(ddf_topk_update(tk, t, NULL, 0, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "topk: unusable after an earlier error");
    assert_int_equal(ddf_topk_result(tk, false, &r, &err), DDF_EINVAL);
    assert_null(r);
    assert_int_equal(ddf_topk_to_table(tk, &r, &err), DDF_EINVAL);
    ddf_topk_free(tk);
    ddf_table_free(t);
}

static void test_topk_allocation_failure_is_clean(void **state)
{
    uint64_t rng = 5;
    ddf_table *t = random_table(3000, &rng);
    const size_t keys[] = {1, 2};

    (void)state;
    for (int keep = 0; keep < 3; keep++) {
        int done = 0;

        for (long n = 0; !done; n++) {
            ddf_topk *a = NULL, *b = NULL, *c = NULL;
            ddf_table *pt = NULL, *r = NULL, *rb = NULL;
            ddf_error err;
            int rc;

            ddf_test_fail_after(n);
            rc = ddf_topk_new(t, keys, 2, 40, false, (ddf_topk_keep)keep, &a, &err);
            if (rc == 0)
                rc = ddf_topk_new(t, keys, 2, 40, false, (ddf_topk_keep)keep, &b, &err);
            if (rc == 0)
                rc = ddf_topk_new(t, keys, 2, 40, false, (ddf_topk_keep)keep, &c, &err);
            if (rc == 0)
                rc = ddf_topk_update(a, t, NULL, 0, 0, &err);
            if (rc == 0)
                rc = ddf_topk_to_table(a, &pt, &err);
            if (rc == 0)
                rc = ddf_topk_merge_table(b, pt, &err);
            if (rc == 0)
                rc = ddf_topk_merge(c, a, &err);
            if (rc == 0)
                rc = ddf_topk_result(c, false, &r, &err);
            if (rc == 0)
                rc = ddf_topk_result(b, false, &rb, &err);
            ddf_test_fail_after(-1);
            if (rc == 0) {
                assert_int_equal(r->nrows, ddf_topk_nrows(a));
                assert_true(ddf_table_equal(r, rb));
                done = 1;
            } else {
                assert_int_equal(rc, DDF_ENOMEM);
            }
            ddf_table_free(r);
            ddf_table_free(rb);
            ddf_table_free(pt);
            ddf_topk_free(a);
            ddf_topk_free(b);
            ddf_topk_free(c);
        }
    }
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topk_nulls_come_last_and_fill_up_as_in_pandas),
        cmocka_unit_test(test_topk_ties_for_keep_first_last_and_all),
        cmocka_unit_test(test_topk_signed_zeros_tie_and_infinities_order),
        cmocka_unit_test(test_topk_bools_order_false_before_true),
        cmocka_unit_test(test_topk_several_order_columns_are_lexicographic),
        cmocka_unit_test(test_topk_n_zero_n_over_rows_and_empty_tables),
        cmocka_unit_test(test_topk_selection_vector_restricts_rows),
        cmocka_unit_test(test_topk_random_splits_merge_to_the_one_pass_result),
        cmocka_unit_test(test_topk_long_input_through_a_small_heap),
        cmocka_unit_test(test_topk_big_n_over_a_permutation),
        cmocka_unit_test(test_topk_bad_specs_are_rejected),
        cmocka_unit_test(test_topk_mismatched_tables_and_topks_are_rejected),
        cmocka_unit_test(test_topk_corrupt_partials_are_refused),
        cmocka_unit_test(test_topk_keep_all_bound_is_an_error_then_spent),
        cmocka_unit_test(test_topk_allocation_failure_is_clean),
    };

    return cmocka_run_group_tests(tests, NULL, ddf_test_restore_libc);
}
