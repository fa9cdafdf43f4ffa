/* test_agg.c - aggregation partial states (common/agg.c): pandas results by hand, merges
 * in any grouping and order equal one pass, serialization through the codec, and
 * allocation failure. */
#include "testutil.h"

#include "agg.h"
#include "alloc.h"
#include "codec.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NUL_ 0x7fff0001 /* marks a null in the int spec lists below */

/* |got - want| <= eps (this cmocka has no assert_double_equal) */
#define assert_near(got, want, eps) assert_true(fabs((double)(got) - (double)(want)) <= (eps))

/* ---- column builders ---- */

static ddf_column int_col(ddf_arena *a, const int64_t *v, size_t n)
{
    ddf_column c;

    ddf_column_init(&c, DDF_DTYPE_INT64);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i] == NUL_ ? ddf_column_append_null(&c, a)
                                      : ddf_column_append_i64(&c, a, v[i]),
                         DDF_OK);
    return c;
}

/* Float column; row i is null when isnull && isnull[i]. */
static ddf_column float_col(ddf_arena *a, const double *v, const bool *isnull, size_t n)
{
    ddf_column c;

    ddf_column_init(&c, DDF_DTYPE_FLOAT64);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(isnull && isnull[i] ? ddf_column_append_null(&c, a)
                                             : ddf_column_append_f64(&c, a, v[i]),
                         DDF_OK);
    return c;
}

/* Bool column from "TF." (. = null). */
static ddf_column bool_col(ddf_arena *a, const char *spec)
{
    ddf_column c;

    ddf_column_init(&c, DDF_DTYPE_BOOL);
    for (; *spec; spec++)
        assert_int_equal(*spec == '.' ? ddf_column_append_null(&c, a)
                                      : ddf_column_append_bool(&c, a, *spec == 'T'),
                         DDF_OK);
    return c;
}

/* String column; a NULL entry is a null row. */
static ddf_column str_col(ddf_arena *a, const char *const *v, size_t n)
{
    ddf_column c;

    ddf_column_init(&c, DDF_DTYPE_STRING);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i] == NULL ? ddf_column_append_null(&c, a)
                                      : ddf_column_append_str(&c, a, v[i], strlen(v[i])),
                         DDF_OK);
    return c;
}

/* One-pass result of 'kind' over 'col'; returns the status of init/update/finalize. */
static int run(ddf_agg_kind kind, const ddf_column *col, const uint32_t *sel, size_t nsel,
               ddf_arena *a, ddf_agg_value *out)
{
    ddf_agg_state st;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_agg_init(&st, kind, col->dtype, a, &err);
    if (rc == DDF_OK)
        rc = ddf_agg_update(&st, col, sel, nsel, 0, &err);
    if (rc == DDF_OK)
        rc = ddf_agg_finalize(&st, out, &err);
    ddf_agg_fini(&st);
    return rc;
}

static int64_t run_i64(ddf_agg_kind kind, const ddf_column *col, ddf_arena *a)
{
    ddf_agg_value v;

    assert_int_equal(run(kind, col, NULL, 0, a, &v), DDF_OK);
    assert_true(v.dtype == DDF_DTYPE_INT64 || v.dtype == DDF_DTYPE_BOOL);
    return v.i64;
}

static double run_f64(ddf_agg_kind kind, const ddf_column *col, ddf_arena *a)
{
    ddf_agg_value v;

    assert_int_equal(run(kind, col, NULL, 0, a, &v), DDF_OK);
    assert_int_equal(v.dtype, DDF_DTYPE_FLOAT64);
    return v.f64;
}

static bool run_is_null(ddf_agg_kind kind, const ddf_column *col, ddf_arena *a)
{
    ddf_agg_value v;

    assert_int_equal(run(kind, col, NULL, 0, a, &v), DDF_OK);
    return v.dtype == DDF_DTYPE_NULL;
}

static void assert_str_result(ddf_agg_kind kind, const ddf_column *col, ddf_arena *a,
                              const char *want)
{
    ddf_agg_value v;

    assert_int_equal(run(kind, col, NULL, 0, a, &v), DDF_OK);
    assert_int_equal(v.dtype, DDF_DTYPE_STRING);
    assert_int_equal(v.str_len, strlen(want));
    assert_memory_equal(v.str, want, v.str_len);
}

/* ---- hand-computed pandas results ---- */

static void test_agg_int_column_with_nulls_matches_pandas(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const int64_t v[] = {3, NUL_, -1, 4, 1, NUL_, 5};
    ddf_column c = int_col(a, v, 7);

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_COUNT, &c, a), 5);
    assert_int_equal(run_i64(DDF_AGG_SIZE, &c, a), 7);
    assert_int_equal(run_i64(DDF_AGG_SUM, &c, a), 12);
    assert_near(run_f64(DDF_AGG_MEAN, &c, a), 2.4, 1e-15);
    assert_int_equal(run_i64(DDF_AGG_MIN, &c, a), -1);
    assert_int_equal(run_i64(DDF_AGG_MAX, &c, a), 5);
    assert_near(run_f64(DDF_AGG_VAR, &c, a), 5.8, 1e-14);
    assert_near(run_f64(DDF_AGG_STD, &c, a), sqrt(5.8), 1e-14);
    assert_int_equal(run_i64(DDF_AGG_FIRST, &c, a), 3);
    assert_int_equal(run_i64(DDF_AGG_LAST, &c, a), 5);
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &c, a), 5);
    ddf_arena_free(a);
}

static void test_agg_float_column_skips_nan_and_nulls(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const double v[] = {1.5, NAN, 0, -2.5, 0.0, -0.0};
    const bool nul[] = {0, 0, 1, 0, 0, 0};
    ddf_column c = float_col(a, v, nul, 6);
    ddf_agg_value r;

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_COUNT, &c, a), 4);
    assert_int_equal(run_i64(DDF_AGG_SIZE, &c, a), 6);
    assert_near(run_f64(DDF_AGG_SUM, &c, a), -1.0, 0);
    assert_near(run_f64(DDF_AGG_MEAN, &c, a), -0.25, 0);
    assert_near(run_f64(DDF_AGG_MIN, &c, a), -2.5, 0);
    assert_near(run_f64(DDF_AGG_MAX, &c, a), 1.5, 0);
    assert_near(run_f64(DDF_AGG_VAR, &c, a), 2.75, 1e-15);
    assert_near(run_f64(DDF_AGG_FIRST, &c, a), 1.5, 0);
    assert_int_equal(run(DDF_AGG_LAST, &c, NULL, 0, a, &r), DDF_OK);
    assert_true(r.f64 == 0.0 && signbit(r.f64));
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &c, a), 3); /* 0.0 and -0.0 are one */
    ddf_arena_free(a);
}

static void test_agg_bool_sum_counts_true_and_mean_is_a_fraction(void **state)
{
    ddf_arena *a = ddf_arena_new();
    ddf_column c = bool_col(a, "TF.T");
    ddf_agg_value r;

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_COUNT, &c, a), 3);
    assert_int_equal(run_i64(DDF_AGG_SUM, &c, a), 2);
    assert_near(run_f64(DDF_AGG_MEAN, &c, a), 2.0 / 3, 1e-15);
    assert_near(run_f64(DDF_AGG_VAR, &c, a), 1.0 / 3, 1e-15);
    assert_int_equal(run(DDF_AGG_MIN, &c, NULL, 0, a, &r), DDF_OK);
    assert_int_equal(r.dtype, DDF_DTYPE_BOOL);
    assert_int_equal(r.i64, 0);
    assert_int_equal(run_i64(DDF_AGG_MAX, &c, a), 1);
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &c, a), 2);
    assert_int_equal(run_i64(DDF_AGG_LAST, &c, a), 1);
    ddf_arena_free(a);
}

static void test_agg_strings_compare_bytewise_like_python(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const char *const v[] = {"b", "", NULL, "\xc3\xa9", "ab", "b", "z"};
    ddf_column c = str_col(a, v, 7);
    ddf_agg_value r;

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_COUNT, &c, a), 6);
    assert_int_equal(run_i64(DDF_AGG_SIZE, &c, a), 7);
    assert_str_result(DDF_AGG_MIN, &c, a, "");
    assert_str_result(DDF_AGG_MAX, &c, a, "\xc3\xa9"); /* 'é' > 'z' in Python */
    assert_str_result(DDF_AGG_FIRST, &c, a, "b");
    assert_str_result(DDF_AGG_LAST, &c, a, "z");
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &c, a), 5);
    assert_int_equal(run(DDF_AGG_SUM, &c, NULL, 0, a, &r), DDF_ETYPE);
    assert_int_equal(run(DDF_AGG_MEAN, &c, NULL, 0, a, &r), DDF_ETYPE);
    assert_int_equal(run(DDF_AGG_STD, &c, NULL, 0, a, &r), DDF_ETYPE);
    ddf_arena_free(a);
}

static void test_agg_empty_and_all_null_columns_give_zero_sum_and_null_rest(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const int64_t v[] = {NUL_, NUL_};
    ddf_column ints = int_col(a, v, 2), empty = int_col(a, v, 0);
    const double one = 7.0;
    ddf_column single = float_col(a, &one, NULL, 1);
    ddf_column floats = float_col(a, &one, NULL, 0);
    const char *const none[] = {NULL};
    ddf_column strs = str_col(a, none, 1);

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_SUM, &ints, a), 0);
    assert_int_equal(run_i64(DDF_AGG_SUM, &empty, a), 0);
    assert_near(run_f64(DDF_AGG_SUM, &floats, a), 0.0, 0);
    assert_int_equal(run_i64(DDF_AGG_COUNT, &ints, a), 0);
    assert_int_equal(run_i64(DDF_AGG_SIZE, &ints, a), 2);
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &ints, a), 0);
    for (int k = DDF_AGG_MEAN; k <= DDF_AGG_LAST; k++) {
        assert_true(run_is_null((ddf_agg_kind)k, &ints, a));
        assert_true(run_is_null((ddf_agg_kind)k, &floats, a));
    }
    assert_true(run_is_null(DDF_AGG_MIN, &strs, a));
    assert_true(run_is_null(DDF_AGG_VAR, &single, a)); /* ddof=1 needs two values */
    assert_true(run_is_null(DDF_AGG_STD, &single, a));
    assert_near(run_f64(DDF_AGG_MEAN, &single, a), 7.0, 0);
    ddf_arena_free(a);
}

static void test_agg_int64_sum_is_exact_and_overflow_is_an_error(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const int64_t back[] = {INT64_MAX, 1, -2};
    const int64_t over[] = {INT64_MAX, 1};
    const int64_t under[] = {INT64_MIN, -1};
    const int64_t edges[] = {INT64_MIN, INT64_MAX, 0};
    ddf_column c1 = int_col(a, back, 3), c2 = int_col(a, over, 2), c3 = int_col(a, under, 2);
    ddf_column c4 = int_col(a, edges, 3);
    ddf_agg_state st;
    ddf_agg_value r;
    ddf_error err;

    (void)state;
    assert_int_equal(run_i64(DDF_AGG_SUM, &c1, a), INT64_MAX - 1);
    assert_int_equal(run(DDF_AGG_SUM, &c2, NULL, 0, a, &r), DDF_ERANGE);
    assert_int_equal(run(DDF_AGG_SUM, &c3, NULL, 0, a, &r), DDF_ERANGE);
    assert_int_equal(run_i64(DDF_AGG_MIN, &c4, a), INT64_MIN);
    assert_int_equal(run_i64(DDF_AGG_MAX, &c4, a), INT64_MAX);
    assert_int_equal(run_i64(DDF_AGG_SUM, &c4, a), -1);
    assert_int_equal(run_i64(DDF_AGG_NUNIQUE, &c4, a), 3);
    ddf_error_init(&err);
    assert_int_equal(ddf_agg_init(&st, DDF_AGG_SUM, DDF_DTYPE_INT64, a, &err), DDF_OK);
    assert_int_equal(ddf_agg_update(&st, &c2, NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_agg_finalize(&st, &r, &err), DDF_ERANGE);
    assert_string_equal(err.msg, "sum of an int64 column overflows int64");
    ddf_agg_fini(&st);
    ddf_arena_free(a);
}

static void test_agg_infinities_and_signed_zeros_follow_ieee(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const double v1[] = {INFINITY, 1.0}, v2[] = {INFINITY, -INFINITY};
    const double z1[] = {0.0, -0.0}, z2[] = {-0.0, 0.0};
    ddf_column c1 = float_col(a, v1, NULL, 2), c2 = float_col(a, v2, NULL, 2);
    ddf_column c3 = float_col(a, z1, NULL, 2), c4 = float_col(a, z2, NULL, 2);

    (void)state;
    assert_true(isinf(run_f64(DDF_AGG_SUM, &c1, a)) && run_f64(DDF_AGG_SUM, &c1, a) > 0);
    assert_true(isnan(run_f64(DDF_AGG_SUM, &c2, a)));
    assert_true(isinf(run_f64(DDF_AGG_MAX, &c1, a)));
    assert_true(isinf(run_f64(DDF_AGG_MIN, &c2, a)) && run_f64(DDF_AGG_MIN, &c2, a) < 0);
    /* -0.0 < 0.0 for min/max whatever the order, so merges cannot change the result */
    assert_true(signbit(run_f64(DDF_AGG_MIN, &c3, a)));
    assert_true(signbit(run_f64(DDF_AGG_MIN, &c4, a)));
    assert_false(signbit(run_f64(DDF_AGG_MAX, &c3, a)));
    assert_false(signbit(run_f64(DDF_AGG_MAX, &c4, a)));
    ddf_arena_free(a);
}

static void test_agg_float_sum_is_compensated_within_and_across_states(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const double v[] = {1e16, 1.0, -1e16, 1.0};
    ddf_column c = float_col(a, v, NULL, 4);
    ddf_agg_state st[4];
    ddf_agg_value r;
    ddf_error err;
    const uint32_t order[] = {2, 0, 3, 1}; /* merge into state 2 in this order */

    (void)state;
    assert_near(run_f64(DDF_AGG_SUM, &c, a), 2.0, 0); /* a naive loop gives 1.0 */
    assert_near(run_f64(DDF_AGG_MEAN, &c, a), 0.5, 0);
    ddf_error_init(&err);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(ddf_agg_init(&st[i], DDF_AGG_SUM, DDF_DTYPE_FLOAT64, a, &err), DDF_OK);
        assert_int_equal(ddf_agg_update(&st[i], &c, &i, 1, i, &err), DDF_OK);
    }
    for (int k = 1; k < 4; k++)
        assert_int_equal(ddf_agg_merge(&st[order[0]], &st[order[k]], &err), DDF_OK);
    assert_int_equal(ddf_agg_finalize(&st[order[0]], &r, &err), DDF_OK);
    assert_near(r.f64, 2.0, 0);
    ddf_arena_free(a);
}

static void test_agg_first_and_last_keep_position_whatever_the_merge_order(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const char *const v[] = {"\xe6\x97\xa5\xe6\x9c\xac", NULL, "x", "\xc3\xa9"};
    ddf_column c = str_col(a, v, 4);
    ddf_agg_state first[4], last[4];
    ddf_agg_value r;
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    /* row i is partition 3 - i: partition order is the reverse of row order */
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(ddf_agg_init(&first[i], DDF_AGG_FIRST, DDF_DTYPE_STRING, a, &err),
                         DDF_OK);
        assert_int_equal(ddf_agg_init(&last[i], DDF_AGG_LAST, DDF_DTYPE_STRING, a, &err),
                         DDF_OK);
        assert_int_equal(ddf_agg_update(&first[i], &c, &i, 1, 3 - i, &err), DDF_OK);
        assert_int_equal(ddf_agg_update(&last[i], &c, &i, 1, 3 - i, &err), DDF_OK);
    }
    assert_int_equal(ddf_agg_merge(&first[1], &first[0], &err), DDF_OK);
    assert_int_equal(ddf_agg_merge(&first[1], &first[3], &err), DDF_OK);
    assert_int_equal(ddf_agg_merge(&first[1], &first[2], &err), DDF_OK);
    assert_int_equal(ddf_agg_finalize(&first[1], &r, &err), DDF_OK);
    assert_int_equal(r.str_len, 2);
    assert_memory_equal(r.str, "\xc3\xa9", 2); /* partition 0 */
    assert_int_equal(ddf_agg_merge(&last[3], &last[1], &err), DDF_OK);
    assert_int_equal(ddf_agg_merge(&last[3], &last[0], &err), DDF_OK);
    assert_int_equal(ddf_agg_merge(&last[3], &last[2], &err), DDF_OK);
    assert_int_equal(ddf_agg_finalize(&last[3], &r, &err), DDF_OK);
    assert_int_equal(r.str_len, 6);
    assert_memory_equal(r.str, "\xe6\x97\xa5\xe6\x9c\xac", 6); /* partition 3 */
    /* byte order: U+65E5 (e6 ...) sorts after U+00E9 (c3 ...), as in Python */
    assert_str_result(DDF_AGG_MAX, &c, a, "\xe6\x97\xa5\xe6\x9c\xac");
    assert_str_result(DDF_AGG_MIN, &c, a, "x");
    ddf_arena_free(a);
}

static void test_agg_selection_vector_restricts_rows(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const int64_t v[] = {10, 20, NUL_, 40, 50};
    const uint32_t sel[] = {4, 2, 0};
    ddf_column c = int_col(a, v, 5);
    ddf_agg_value r;

    (void)state;
    assert_int_equal(run(DDF_AGG_SUM, &c, sel, 3, a, &r), DDF_OK);
    assert_int_equal(r.i64, 60);
    assert_int_equal(run(DDF_AGG_SIZE, &c, sel, 3, a, &r), DDF_OK);
    assert_int_equal(r.i64, 3);
    assert_int_equal(run(DDF_AGG_FIRST, &c, sel, 3, a, &r), DDF_OK);
    assert_int_equal(r.i64, 10); /* first by position, not by selection order */
    assert_int_equal(run(DDF_AGG_LAST, &c, sel, 3, a, &r), DDF_OK);
    assert_int_equal(r.i64, 50);
    assert_int_equal(run(DDF_AGG_COUNT, &c, sel, 0, a, &r), DDF_OK);
    assert_int_equal(r.i64, 0);
    ddf_arena_free(a);
}

static void test_agg_mismatched_states_and_columns_are_rejected(void **state)
{
    ddf_arena *a = ddf_arena_new();
    ddf_column c = bool_col(a, "T");
    ddf_agg_state s1, s2;
    ddf_agg_kind k;
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_agg_init(&s1, DDF_AGG_SUM, DDF_DTYPE_INT64, a, &err), DDF_OK);
    assert_int_equal(ddf_agg_init(&s2, DDF_AGG_MEAN, DDF_DTYPE_INT64, a, &err), DDF_OK);
    assert_int_equal(ddf_agg_merge(&s1, &s2, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "cannot merge a mean/int64 state into sum/int64");
    assert_int_equal(ddf_agg_update(&s1, &c, NULL, 0, 0, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "sum state of int64 given a bool column");
    assert_int_equal(ddf_agg_init(&s2, DDF_AGG_VAR, DDF_DTYPE_STRING, a, &err), DDF_ETYPE);
    assert_string_equal(err.msg, "cannot var a string column");
    assert_int_equal(ddf_agg_parse("nunique", &k), DDF_OK);
    assert_int_equal(k, DDF_AGG_NUNIQUE);
    assert_int_equal(ddf_agg_parse("median", &k), DDF_EINVAL);
    assert_null(ddf_agg_name((ddf_agg_kind)99));
    ddf_arena_free(a);
}

/* ---- property: split, aggregate, merge in random order == one pass ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static ddf_column random_col(ddf_arena *a, ddf_dtype dt, size_t n)
{
    ddf_column c;
    char buf[8];

    ddf_column_init(&c, dt);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd();

        if (x % 7 == 0) {
            assert_int_equal(ddf_column_append_null(&c, a), DDF_OK);
            continue;
        }
        x >>= 3;
        switch (dt) {
        case DDF_DTYPE_INT64: /* a few huge values of both signs: partial sums leave int64
                                 * and the final sum sometimes comes back into it */
            assert_int_equal(ddf_column_append_i64(&c, a, (int64_t)(x % 2000) - 1000 +
                                                              (x % 200 == 0   ? INT64_MAX / 2
                                                               : x % 200 == 1 ? INT64_MIN / 2
                                                                              : 0)),
                             DDF_OK);
            break;
        case DDF_DTYPE_FLOAT64: /* magnitudes from 1e-3 to 1e6, both signs */
            assert_int_equal(ddf_column_append_f64(
                                 &c, a,
                                 ((double)(x % 100000) / 1000.0 - 50.0) *
                                     pow(10.0, (double)((x >> 20) % 7) - 3.0)),
                             DDF_OK);
            break;
        case DDF_DTYPE_BOOL:
            assert_int_equal(ddf_column_append_bool(&c, a, x & 1), DDF_OK);
            break;
        default: {
            size_t len = x % 4;

            for (size_t k = 0; k < len; k++)
                buf[k] = (char)('a' + (x >> (8 + 3 * k)) % 5);
            assert_int_equal(ddf_column_append_str(&c, a, buf, len), DDF_OK);
        }
        }
    }
    return c;
}

static void assert_values_match(const ddf_agg_value *want, const ddf_agg_value *got)
{
    assert_int_equal(want->dtype, got->dtype);
    switch (want->dtype) {
    case DDF_DTYPE_FLOAT64:
        if (isnan(want->f64))
            assert_true(isnan(got->f64));
        else
            assert_true(fabs(want->f64 - got->f64) <= 1e-12 * fabs(want->f64));
        break;
    case DDF_DTYPE_STRING:
        assert_int_equal(want->str_len, got->str_len);
        assert_memory_equal(want->str, got->str, want->str_len);
        break;
    case DDF_DTYPE_NULL:
        break;
    default:
        assert_int_equal(want->i64, got->i64);
    }
}

static void test_agg_merging_random_splits_in_random_order_equals_one_pass(void **state)
{
    const ddf_dtype dtypes[] = {DDF_DTYPE_BOOL, DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64,
                                DDF_DTYPE_STRING};
    int sums_in_range = 0, sums_out_of_range = 0; /* both int sum paths get exercised */

    (void)state;
    for (int trial = 0; trial < 40; trial++) {
        ddf_arena *a = ddf_arena_new();
        ddf_dtype dt = dtypes[trial % 4];
        size_t n = 1 + rnd() % 3000, nparts = 1 + rnd() % 64;
        ddf_column col = random_col(a, dt, n);
        size_t *cuts = calloc(nparts + 1, sizeof(*cuts));
        uint32_t *sel = calloc(n, sizeof(*sel));
        ddf_agg_state *parts = calloc(nparts, sizeof(*parts));
        ddf_error err;

        assert_non_null(cuts);
        ddf_error_init(&err);
        for (size_t p = 1; p < nparts; p++)
            cuts[p] = rnd() % (n + 1);
        cuts[nparts] = n;
        for (size_t p = 1; p < nparts; p++) /* sort the cut points (insertion sort) */
            for (size_t q = p; q > 1 && cuts[q - 1] > cuts[q]; q--) {
                size_t t = cuts[q];
                cuts[q] = cuts[q - 1];
                cuts[q - 1] = t;
            }
        for (size_t i = 0; i < n; i++)
            sel[i] = (uint32_t)i;
        for (int k = 0; k < DDF_AGG_KIND_COUNT; k++) {
            ddf_agg_value want, got;
            ddf_dtype res;
            size_t live = nparts;
            int rc1, rc2;

            if (ddf_agg_result_dtype((ddf_agg_kind)k, dt, &res) != DDF_OK)
                continue;
            rc1 = run((ddf_agg_kind)k, &col, NULL, 0, a, &want);
            for (size_t p = 0; p < nparts; p++) {
                assert_int_equal(ddf_agg_init(&parts[p], (ddf_agg_kind)k, dt, a, &err), DDF_OK);
                /* partition p holds rows [cuts[p], cuts[p+1]) as its rows 0.. */
                assert_int_equal(ddf_agg_update(&parts[p], &col, sel + cuts[p],
                                                cuts[p + 1] - cuts[p], p, &err),
                                 DDF_OK);
            }
            /* random merge tree: merge a random state into another, drop it */
            while (live > 1) {
                size_t i = rnd() % live, j = rnd() % (live - 1);
                ddf_agg_state tmp;

                if (j >= i)
                    j++;
                assert_int_equal(ddf_agg_merge(&parts[i], &parts[j], &err), DDF_OK);
                ddf_agg_fini(&parts[j]);
                tmp = parts[j];
                parts[j] = parts[live - 1];
                parts[live - 1] = tmp;
                live--;
            }
            rc2 = ddf_agg_finalize(&parts[0], &got, &err);
            assert_int_equal(rc1, rc2);
            if (k == DDF_AGG_SUM && dt == DDF_DTYPE_INT64)
                *(rc1 == DDF_OK ? &sums_in_range : &sums_out_of_range) += 1;
            if (rc1 == DDF_OK)
                assert_values_match(&want, &got);
            ddf_agg_fini(&parts[0]);
        }
        free(parts);
        free(sel);
        free(cuts);
        ddf_arena_free(a);
    }
    assert_true(sums_in_range > 0 && sums_out_of_range > 0);
}

/* ---- serialization ---- */

/* Both states finalize alike: the same status and, when DDF_OK, the same value; an int
 * sum (which may be out of int64 range, hence an error) carries its exact __int128. */
static void assert_same_result(const ddf_agg_state *want_st, const ddf_agg_state *got_st)
{
    ddf_agg_value want, got;
    int rc = ddf_agg_finalize(want_st, &want, NULL);

    assert_int_equal(ddf_agg_finalize(got_st, &got, NULL), rc);
    assert_true(want_st->isum == got_st->isum);
    if (rc == DDF_OK)
        assert_values_match(&want, &got);
}

/* Encode states through the codec and back; returns the status of the first failure. */
static int round_trip(const ddf_agg_state *states, size_t n, ddf_arena *a, ddf_agg_state *out,
                      ddf_error *err)
{
    ddf_table *t = NULL, *back = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    int rc;

    rc = ddf_agg_states_to_table(states, n, &t, err);
    if (rc < 0)
        return rc;
    rc = ddf_codec_encode(t, &blob, &len, err);
    if (rc < 0)
        goto out_free_table;
    rc = ddf_codec_decode(blob, len, &back, err);
    if (rc < 0)
        goto out_free_blob;
    rc = ddf_agg_states_from_table(back, a, out, n, err);
    ddf_table_free(back);
out_free_blob:
    ddf_free(blob);
out_free_table:
    ddf_table_free(t);
    return rc;
}

static void test_agg_states_survive_the_codec_round_trip(void **state)
{
    const ddf_dtype dtypes[] = {DDF_DTYPE_BOOL, DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64,
                                DDF_DTYPE_STRING};

    (void)state;
    for (int d = 0; d < 4; d++) {
        ddf_arena *a = ddf_arena_new();
        ddf_column col = random_col(a, dtypes[d], 500);
        ddf_error err;

        ddf_error_init(&err);
        for (int k = 0; k < DDF_AGG_KIND_COUNT; k++) {
            ddf_agg_state st[3], back[3];
            ddf_dtype res;
            uint32_t sel[100];

            if (ddf_agg_result_dtype((ddf_agg_kind)k, dtypes[d], &res) != DDF_OK)
                continue;
            for (int s = 0; s < 3; s++) {
                assert_int_equal(ddf_agg_init(&st[s], (ddf_agg_kind)k, dtypes[d], a, &err),
                                 DDF_OK);
                for (int i = 0; i < 100; i++)
                    sel[i] = (uint32_t)(s * 200 + i);
                if (s < 2) /* the third state stays empty */
                    assert_int_equal(ddf_agg_update(&st[s], &col, sel, 100, (uint64_t)s, &err),
                                     DDF_OK);
            }
            assert_int_equal(round_trip(st, 3, a, back, &err), DDF_OK);
            for (int s = 0; s < 3; s++)
                assert_same_result(&st[s], &back[s]);
            /* decoded states merge like the originals */
            assert_int_equal(ddf_agg_merge(&st[0], &st[1], &err), DDF_OK);
            assert_int_equal(ddf_agg_merge(&back[1], &back[0], &err), DDF_OK);
            assert_same_result(&st[0], &back[1]);
            for (int s = 0; s < 3; s++) {
                ddf_agg_fini(&st[s]);
                ddf_agg_fini(&back[s]);
            }
        }
        ddf_arena_free(a);
    }
}

static void test_agg_states_from_a_foreign_table_are_corrupt(void **state)
{
    ddf_arena *a = ddf_arena_new();
    const int64_t v[] = {1, 2, 2};
    ddf_column c = int_col(a, v, 3);
    ddf_agg_state st, back;
    ddf_table *t = NULL, *other = ddf_table_new(1);
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_agg_init(&st, DDF_AGG_NUNIQUE, DDF_DTYPE_INT64, a, &err), DDF_OK);
    assert_int_equal(ddf_agg_update(&st, &c, NULL, 0, 0, &err), DDF_OK);
    assert_int_equal(ddf_agg_states_to_table(&st, 1, &t, &err), DDF_OK);
    assert_int_equal(ddf_agg_states_from_table(t, a, &back, 2, &err), DDF_ECORRUPT);
    /* a set whose length is not a multiple of 8 */
    t->columns[11].values.offsets[1] -= 1;
    assert_int_equal(ddf_agg_states_from_table(t, a, &back, 1, &err), DDF_ECORRUPT);
    assert_string_equal(err.msg, "row 0: truncated set");
    t->columns[11].values.offsets[1] += 1;
    t->columns[2].values.i64[0] = -1; /* a count over DDF_MAX_ROWS */
    assert_int_equal(ddf_agg_states_from_table(t, a, &back, 1, &err), DDF_ECORRUPT);
    assert_string_equal(err.msg, "row 0: count or sum out of range");
    t->columns[0].values.i64[0] = 42;
    assert_int_equal(ddf_agg_states_from_table(t, a, &back, 1, &err), DDF_ECORRUPT);
    assert_string_equal(err.msg, "row 0: bad kind or dtype");
    assert_non_null(other);
    assert_int_equal(ddf_table_set_column(other, 0, "x", 1, DDF_DTYPE_INT64), DDF_OK);
    assert_int_equal(ddf_agg_states_from_table(other, a, &back, 0, &err), DDF_ECORRUPT);
    ddf_table_free(other);
    ddf_table_free(t);
    ddf_agg_fini(&st);
    ddf_arena_free(a);
}

/* ---- allocation failure ---- */

static void test_agg_nunique_fails_cleanly_at_every_allocation(void **state)
{
    const char *const v[] = {"a", "bb", "a", "ccc", "dd", "", NULL, "e", "f", "g", "h", "i",
                             "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u"};
    int done = 0;
    long n;

    (void)state;
    for (n = 0; !done; n++) {
        ddf_arena *a = ddf_arena_new(), *b = ddf_arena_new();
        ddf_column c, c2;
        ddf_agg_state s1, s2;
        ddf_agg_value r;
        ddf_error err;
        int rc;

        assert_non_null(a);
        c = str_col(a, v, 24);
        c2 = str_col(a, v, 5);
        ddf_error_init(&err);
        assert_int_equal(ddf_agg_init(&s1, DDF_AGG_NUNIQUE, DDF_DTYPE_STRING, b, &err), DDF_OK);
        assert_int_equal(ddf_agg_init(&s2, DDF_AGG_NUNIQUE, DDF_DTYPE_STRING, b, &err), DDF_OK);
        ddf_test_fail_after(n);
        rc = ddf_agg_update(&s1, &c, NULL, 0, 0, &err);
        if (rc == DDF_OK)
            rc = ddf_agg_update(&s2, &c2, NULL, 0, 1, &err);
        if (rc == DDF_OK)
            rc = ddf_agg_merge(&s2, &s1, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_int_equal(ddf_agg_finalize(&s2, &r, &err), DDF_OK);
            assert_int_equal(r.i64, 22);
            done = 1;
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_string_equal(err.msg, "nunique: out of memory");
        }
        ddf_agg_fini(&s1);
        ddf_agg_fini(&s2);
        ddf_arena_free(b);
        ddf_arena_free(a);
    }
    assert_true(n > 3); /* failures were injected before it succeeded */
}

static void test_agg_serialization_fails_cleanly_at_every_allocation(void **state)
{
    int done = 0;
    long n;

    (void)state;
    for (n = 0; !done; n++) {
        ddf_arena *a = ddf_arena_new(), *b;
        ddf_column c = random_col(a, DDF_DTYPE_STRING, 300);
        ddf_agg_state st[2], back[2];
        ddf_agg_value want, got;
        uint32_t sel[50];
        ddf_error err;
        int rc;

        ddf_error_init(&err);
        for (uint32_t i = 0; i < 50; i++)
            sel[i] = i;
        for (int s = 0; s < 2; s++) {
            assert_int_equal(ddf_agg_init(&st[s], DDF_AGG_NUNIQUE, DDF_DTYPE_STRING, a, &err),
                             DDF_OK);
            /* state 0 sees every row, state 1 the first 50 */
            assert_int_equal(ddf_agg_update(&st[s], &c, s ? sel : NULL, 50, 0, &err), DDF_OK);
        }
        b = ddf_arena_new();
        assert_non_null(b);
        ddf_test_fail_after(n);
        rc = round_trip(st, 2, b, back, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            for (int s = 0; s < 2; s++) {
                assert_int_equal(ddf_agg_finalize(&st[s], &want, &err), DDF_OK);
                assert_int_equal(ddf_agg_finalize(&back[s], &got, &err), DDF_OK);
                assert_values_match(&want, &got);
                ddf_agg_fini(&back[s]);
            }
            done = 1;
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
        }
        for (int s = 0; s < 2; s++)
            ddf_agg_fini(&st[s]);
        ddf_arena_free(b);
        ddf_arena_free(a);
    }
    assert_true(n > 3); /* failures were injected before it succeeded */
}

/* ddf_agg_stream: a partition fed in slices of any size, with or without a selection,
 * gives the state one ddf_agg_update over all of it gives, bit for bit. */
static void test_agg_stream_of_slices_equals_one_update(void **state)
{
    enum { N = 1003 };
    static const ddf_agg_kind kinds[] = {DDF_AGG_SUM, DDF_AGG_MEAN, DDF_AGG_VAR,
                                         DDF_AGG_FIRST, DDF_AGG_LAST, DDF_AGG_MIN};
    static const size_t cuts[][4] = {{64, 128, 512, 960}, {3, 7, 64, 65}, {1, 2, 3, 1000}};
    ddf_arena *a = ddf_arena_new();
    double v[N];
    bool nul[N];
    uint32_t sel[N];
    size_t nsel = 0;
    ddf_error err;

    (void)state;
    for (size_t i = 0; i < N; i++) {
        v[i] = (double)((i * 7919) % 1000) / 3.0 - 100.0 + (i % 29 == 0 ? 1e15 : 0);
        if (i % 31 == 4)
            v[i] = NAN;
        nul[i] = i % 17 == 3;
        if (i % 3 != 1)
            sel[nsel++] = (uint32_t)i;
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (size_t cut = 0; cut < 3; cut++)
            for (int selected = 0; selected < 2; selected++) {
                /* the whole: unselected, or the selected rows compacted into a column */
                double cv[N];
                bool cn[N];
                ddf_column whole = float_col(a, v, nul, N);
                ddf_agg_state one, st;
                ddf_agg_stream s;
                size_t prev = 0, j = 0;

                if (selected) {
                    for (size_t i = 0; i < nsel; i++) {
                        cv[i] = v[sel[i]];
                        cn[i] = nul[sel[i]];
                    }
                    whole = float_col(a, cv, cn, nsel);
                }
                assert_int_equal(ddf_agg_init(&one, kinds[k], DDF_DTYPE_FLOAT64, a, &err), 0);
                assert_int_equal(ddf_agg_update(&one, &whole, NULL, 0, 5, &err), DDF_OK);
                assert_int_equal(ddf_agg_init(&st, kinds[k], DDF_DTYPE_FLOAT64, a, &err), 0);
                ddf_agg_stream_init(&s, &st, true);
                for (size_t p = 0; p <= 4; p++) {
                    size_t end = p < 4 ? cuts[cut][p] : N;
                    bool sn[N];
                    ddf_column slice;

                    for (size_t i = prev; i < end; i++)
                        sn[i - prev] = nul[i];
                    slice = float_col(a, v + prev, sn, end - prev);
                    if (selected) {
                        uint32_t rel[N];
                        size_t m = 0;

                        for (; j < nsel && sel[j] < end; j++)
                            rel[m++] = sel[j] - (uint32_t)prev;
                        assert_int_equal(ddf_agg_stream_update(&s, &st, &slice, rel, m, 5, prev,
                                                               &err), DDF_OK);
                    } else {
                        assert_int_equal(ddf_agg_stream_update(&s, &st, &slice, NULL, 0, 5, prev,
                                                               &err), DDF_OK);
                    }
                    prev = end;
                }
                ddf_agg_stream_finish(&s, &st);
                assert_int_equal(st.count, one.count);
                assert_memory_equal(&st.fa, &one.fa, sizeof(double));
                assert_memory_equal(&st.fb, &one.fb, sizeof(double));
                if (!selected) /* positions: the rows of the partition */
                    assert_int_equal(st.row, one.row);
                ddf_agg_fini(&one);
                ddf_agg_fini(&st);
            }
    ddf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_stream_of_slices_equals_one_update),
        cmocka_unit_test(test_agg_int_column_with_nulls_matches_pandas),
        cmocka_unit_test(test_agg_float_column_skips_nan_and_nulls),
        cmocka_unit_test(test_agg_bool_sum_counts_true_and_mean_is_a_fraction),
        cmocka_unit_test(test_agg_strings_compare_bytewise_like_python),
        cmocka_unit_test(test_agg_empty_and_all_null_columns_give_zero_sum_and_null_rest),
        cmocka_unit_test(test_agg_int64_sum_is_exact_and_overflow_is_an_error),
        cmocka_unit_test(test_agg_infinities_and_signed_zeros_follow_ieee),
        cmocka_unit_test(test_agg_float_sum_is_compensated_within_and_across_states),
        cmocka_unit_test(test_agg_first_and_last_keep_position_whatever_the_merge_order),
        cmocka_unit_test(test_agg_selection_vector_restricts_rows),
        cmocka_unit_test(test_agg_mismatched_states_and_columns_are_rejected),
        cmocka_unit_test(test_agg_merging_random_splits_in_random_order_equals_one_pass),
        cmocka_unit_test(test_agg_states_survive_the_codec_round_trip),
        cmocka_unit_test(test_agg_states_from_a_foreign_table_are_corrupt),
        cmocka_unit_test_teardown(test_agg_nunique_fails_cleanly_at_every_allocation,
                                  ddf_test_restore_libc),
        cmocka_unit_test_teardown(test_agg_serialization_fails_cleanly_at_every_allocation,
                                  ddf_test_restore_libc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
