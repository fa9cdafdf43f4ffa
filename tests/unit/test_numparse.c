/* test_numparse.c - value spellings (common/numparse.c): what pandas accepts, bit-exact
 * floats against strtod, and never a read past the field. */
#include "testutil.h"

#include "numparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A heap copy of 's' holding exactly its bytes (no NUL), so ASan catches a parser that
 * reads past the field. The caller frees it. */
static char *exact_copy(const char *s, size_t *len)
{
    char *copy;

    *len = strlen(s);
    copy = malloc(*len ? *len : 1);
    assert_non_null(copy);
    memcpy(copy, s, *len);
    return copy;
}

static bool i64_of(const char *s, int64_t *out)
{
    size_t len;
    char *copy = exact_copy(s, &len);
    bool ok = ddf_parse_i64(copy, len, out);

    free(copy);
    return ok;
}

static bool f64_of(const char *s, double *out)
{
    size_t len;
    char *copy = exact_copy(s, &len);
    bool ok = ddf_parse_f64(copy, len, out);

    free(copy);
    return ok;
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static void test_numparse_int_spellings_pandas_accepts(void **state)
{
    int64_t v;
    (void)state;

    assert_true(i64_of("0", &v) && v == 0);
    assert_true(i64_of("+5", &v) && v == 5);
    assert_true(i64_of(" 6 ", &v) && v == 6);
    assert_true(i64_of("\t-42\t", &v) && v == -42);
    assert_true(i64_of("007", &v) && v == 7);
    assert_true(i64_of("-0", &v) && v == 0);
    assert_true(i64_of("9223372036854775807", &v) && v == INT64_MAX);
    assert_true(i64_of("-9223372036854775808", &v) && v == INT64_MIN);
    assert_true(i64_of("000000000000000000000000012", &v) && v == 12);
}

static void test_numparse_int_rejects_what_pandas_reads_as_text_or_float(void **state)
{
    const char *bad[] = {"",    " ",    "+",     "-",   "1.0", "1e3", "0x10", "1_000",
                         "1 2", "--1", "+-1",   "12a", "a12", "inf", "nan", "True",
                         "9223372036854775808", "-9223372036854775809",
                         "99999999999999999999999", "18446744073709551616"};
    int64_t v;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(i64_of(bad[i], &v));
}

static void test_numparse_float_spellings_pandas_accepts(void **state)
{
    double d;
    (void)state;

    assert_true(f64_of("1e3", &d) && d == 1000.0);
    assert_true(f64_of("1E-7", &d) && same_bits(d, 1e-7));
    assert_true(f64_of(".5", &d) && d == 0.5);
    assert_true(f64_of("5.", &d) && d == 5.0);
    assert_true(f64_of(" 1.5 ", &d) && d == 1.5);
    assert_true(f64_of("+2.25", &d) && d == 2.25);
    assert_true(f64_of("3", &d) && d == 3.0);
    assert_true(f64_of("-0.0", &d) && d == 0.0 && signbit(d));
    assert_true(f64_of("-0", &d) && signbit(d));
    assert_true(f64_of("inf", &d) && isinf(d) && d > 0);
    assert_true(f64_of("-inf", &d) && isinf(d) && d < 0);
    assert_true(f64_of("+inf", &d) && isinf(d) && d > 0);
    assert_true(f64_of("Infinity", &d) && isinf(d) && d > 0);
    assert_true(f64_of("-Infinity", &d) && isinf(d) && d < 0);
    assert_true(f64_of("INF", &d) && isinf(d));
    assert_true(f64_of("1e309", &d) && isinf(d)); /* as strtod: overflow to inf */
    assert_true(f64_of("4.9e-324", &d) && same_bits(d, 4.9e-324));
    assert_true(f64_of("1.7976931348623157e308", &d) && d == 1.7976931348623157e308);
    assert_true(f64_of("123456789.123456789", &d) && same_bits(d, 123456789.123456789));
    assert_true(f64_of("0.1", &d) && same_bits(d, 0.1));
    assert_true(f64_of("1e0005", &d) && d == 1e5);
}

static void test_numparse_float_rejects_non_numbers(void **state)
{
    const char *bad[] = {"",     ".",     "e5",  "1e",    "1.5e", "1d5", "0x10", "1_000",
                         "--1",  "1.2.3", "nan", "-nan",  "NaN",  "in",  "infinit", "1 e5",
                         "True", "abc",   "+",   "1e+",   ". 5"};
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(f64_of(bad[i], &d));
}

static void test_numparse_reads_only_the_given_length(void **state)
{
    int64_t v;
    double d;
    (void)state;

    assert_true(ddf_parse_i64("123", 2, &v));
    assert_int_equal(v, 12);
    assert_true(ddf_parse_f64("1.25e3", 4, &d));
    assert_true(d == 1.25);
    assert_false(ddf_parse_f64("1.25e3", 5, &d)); /* "1.25e" */
}

static void test_numparse_bool_spellings_are_exact(void **state)
{
    const char *yes[] = {"True", "true", "TRUE"}, *no[] = {"False", "false", "FALSE"};
    const char *bad[] = {"tRUE", " true", "True ", "1", "0", "T", "yes", ""};
    bool b;
    (void)state;

    for (int i = 0; i < 3; i++) {
        assert_true(ddf_parse_bool(yes[i], strlen(yes[i]), &b) && b);
        assert_true(ddf_parse_bool(no[i], strlen(no[i]), &b) && !b);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(ddf_parse_bool(bad[i], strlen(bad[i]), &b));
}

static void test_numparse_classify_follows_pandas(void **state)
{
    static const struct {
        const char *text;
        ddf_dtype dtype;
    } cases[] = {
        {"12", DDF_DTYPE_INT64},        {" -3 ", DDF_DTYPE_INT64},
        {"1.0", DDF_DTYPE_FLOAT64},     {"1e3", DDF_DTYPE_FLOAT64},
        {"inf", DDF_DTYPE_FLOAT64},     {"True", DDF_DTYPE_BOOL},
        {"FALSE", DDF_DTYPE_BOOL},      {" true", DDF_DTYPE_STRING},
        {"abc", DDF_DTYPE_STRING},      {"1_000", DDF_DTYPE_STRING},
        {"9223372036854775808", DDF_DTYPE_STRING},
        {"-9223372036854775809", DDF_DTYPE_STRING},
        {"-", DDF_DTYPE_STRING},        {"1.5e", DDF_DTYPE_STRING},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(ddf_parse_classify(cases[i].text, strlen(cases[i].text)),
                         cases[i].dtype);
}

/* xorshift64*: deterministic and good enough for test inputs. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void test_numparse_floats_match_strtod_bit_for_bit(void **state)
{
    uint64_t seed = 20261126;
    char buf[64];
    double ours;
    (void)state;

    for (int i = 0; i < 1000000; i++) {
        uint64_t r = next_random(&seed);
        int n;
        switch (r % 6) {
        case 0: /* prices */
            n = snprintf(buf, sizeof(buf), "%llu.%02llu", (unsigned long long)(r >> 8) % 100000,
                         (unsigned long long)(r >> 40) % 100);
            break;
        case 1: /* long mantissas, past the fast path */
            n = snprintf(buf, sizeof(buf), "%s%llu.%llu", r & 256 ? "-" : "",
                         (unsigned long long)(r >> 3), (unsigned long long)next_random(&seed));
            break;
        case 2: /* exponents around the fast path's edge */
            n = snprintf(buf, sizeof(buf), "%llue%d", (unsigned long long)(r >> 20) % 10000000,
                         (int)((r >> 8) % 80) - 40);
            break;
        case 3: /* the shortest representation of a random double */
        {
            double d;
            uint64_t bits = next_random(&seed);
            memcpy(&d, &bits, sizeof(d));
            if (!isfinite(d))
                d = 1.0 / 3.0;
            n = snprintf(buf, sizeof(buf), "%.17g", d);
            break;
        }
        case 4: /* small decimals with leading zeros */
            n = snprintf(buf, sizeof(buf), "0.%06llu", (unsigned long long)(r >> 10) % 1000000);
            break;
        default: /* 16-19 digit integers, where 2^53 is crossed */
            n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(r >> (r % 12)));
            break;
        }
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        double expect = strtod(buf, NULL);
        if (!ddf_parse_f64(buf, (size_t)n, &ours) || !same_bits(ours, expect))
            fail_msg("'%s': ours %.17g, strtod %.17g", buf, ours, expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numparse_int_spellings_pandas_accepts),
        cmocka_unit_test(test_numparse_int_rejects_what_pandas_reads_as_text_or_float),
        cmocka_unit_test(test_numparse_float_spellings_pandas_accepts),
        cmocka_unit_test(test_numparse_float_rejects_non_numbers),
        cmocka_unit_test(test_numparse_reads_only_the_given_length),
        cmocka_unit_test(test_numparse_bool_spellings_are_exact),
        cmocka_unit_test(test_numparse_classify_follows_pandas),
        cmocka_unit_test(test_numparse_floats_match_strtod_bit_for_bit),
    };
    return cmocka_run_group_tests_name("numparse", tests, NULL, NULL);
}
