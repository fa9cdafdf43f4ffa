/* test_numparse.c - field text to int64, float64 and bool (common/numparse.c): the
 * spellings pandas accepts, floats bit for bit equal to strtod (both fast paths, the slow
 * path and the rounding edges of each), and never a read past the field: written-out
 * fields sit at the very end of their own heap block, where ASan sees a read one byte too
 * far, and random ones are followed by a digit that would change the value if read. */
#include "testutil.h"

#include "alloc.h"
#include "numparse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A heap block holding exactly the bytes of 's' (no NUL), so any read past the field is
 * out of bounds. *len gets its length; the caller frees the block. */
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

static bool bool_of(const char *s, bool *out)
{
    size_t len;
    char *copy = exact_copy(s, &len);
    bool ok = ddf_parse_bool(copy, len, out);

    free(copy);
    return ok;
}

static ddf_dtype classify(const char *s)
{
    size_t len;
    char *copy = exact_copy(s, &len);
    ddf_dtype t = ddf_parse_classify(copy, len);

    free(copy);
    return t;
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Parse 'text' and check the result is strtod's, bit for bit. Returns it. */
static double expect_as_strtod(const char *text)
{
    double ours = 0.0, theirs = strtod(text, NULL);

    if (!f64_of(text, &ours))
        fail_msg("'%.80s' (%zu bytes) was not read as a number", text, strlen(text));
    if (!same_bits(ours, theirs))
        fail_msg("'%.80s' (%zu bytes): ours %a, strtod %a", text, strlen(text), ours, theirs);
    return ours;
}

/* xorshift64*: deterministic and plenty for test inputs. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void test_numparse_int_reads_the_spellings_pandas_reads_as_int(void **state)
{
    int64_t v;
    (void)state;

    assert_true(i64_of("0", &v) && v == 0);
    assert_true(i64_of("123456", &v) && v == 123456);
    assert_true(i64_of("+5", &v) && v == 5);
    assert_true(i64_of(" 6 ", &v) && v == 6);
    assert_true(i64_of("\t-42\t", &v) && v == -42);
    assert_true(i64_of("  \t 17", &v) && v == 17);
    assert_true(i64_of("17 \t ", &v) && v == 17);
    assert_true(i64_of("007", &v) && v == 7);
    assert_true(i64_of("-0", &v) && v == 0);
    assert_true(i64_of("+0", &v) && v == 0);
}

static void test_numparse_int_range_is_exactly_int64(void **state)
{
    int64_t v;
    (void)state;

    assert_true(i64_of("9223372036854775807", &v) && v == INT64_MAX);
    assert_true(i64_of("+9223372036854775807", &v) && v == INT64_MAX);
    assert_true(i64_of("-9223372036854775808", &v) && v == INT64_MIN);
    assert_true(i64_of("-9223372036854775807", &v) && v == INT64_MIN + 1);
    assert_true(i64_of(" -9223372036854775808 ", &v) && v == INT64_MIN);
    assert_true(i64_of("0000000000000000000000009223372036854775807", &v) && v == INT64_MAX);
    assert_true(i64_of("-0000000000000000000000009223372036854775808", &v) && v == INT64_MIN);
    assert_true(i64_of("000000000000000000000000012", &v) && v == 12);
    assert_true(i64_of("00000000000000000000000000", &v) && v == 0);
    assert_true(i64_of("999999999999999999", &v) && v == 999999999999999999);

    assert_false(i64_of("9223372036854775808", &v));
    assert_false(i64_of("-9223372036854775809", &v));
    assert_false(i64_of("0009223372036854775808", &v));
    assert_false(i64_of("9999999999999999999", &v));  /* 19 digits, over */
    assert_false(i64_of("18446744073709551615", &v)); /* UINT64_MAX */
    assert_false(i64_of("18446744073709551616", &v)); /* wraps a uint64 to 0 */
    assert_false(i64_of("-18446744073709551616", &v));
    assert_false(i64_of("36893488147419103232", &v)); /* 2^65: wraps to 0 too */
    assert_false(i64_of("99999999999999999999999", &v));
}

static void test_numparse_int_rejects_text_and_float_spellings(void **state)
{
    const char *bad[] = {"",    " ",    "\t",  "+",   "-",    "1.0", "1.",  ".1",  "1e3",
                         "0x10", "1_000", "1,000", "1 2", "--1", "+-1", "-+1", "12a", "a12",
                         "inf", "nan", "True", "1\n", "\n1", "1\r", "\xd9\xa1"};
    int64_t v = 99;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (i64_of(bad[i], &v))
            fail_msg("'%s' was read as the int %lld", bad[i], (long long)v);
    /* A NUL inside the field is a byte like any other, not an end. */
    assert_false(ddf_parse_i64("1\0" "2", 3, &v));
}

/* strtoll as the reference: valid when it took digits, did not overflow and left nothing
 * but spaces. */
static bool reference_i64(const char *text, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (end == text || errno != 0)
        return false;
    while (*end == ' ' || *end == '\t')
        end++;
    *out = v;
    return *end == '\0';
}

static void test_numparse_int_agrees_with_strtoll_on_random_spellings(void **state)
{
    static const char *pads[] = {"", "", "", " ", "\t", "  "};
    static const char *signs[] = {"", "", "-", "+"};
    uint64_t seed = 0x5eed1234;
    char buf[80];
    (void)state;

    for (int i = 0; i < 500000; i++) {
        uint64_t r = next_random(&seed), x = next_random(&seed);
        const char *lead = pads[r % 6], *trail = pads[(r >> 3) % 6], *sign = signs[(r >> 6) % 4];
        int n;

        switch ((r >> 8) % 5) {
        case 0: /* short */
            x %= 1000000;
            break;
        case 1: /* any width */
            x >>= (r >> 16) % 64;
            break;
        case 2: /* around the int64 bounds */
            x = (uint64_t)INT64_MAX - 3 + x % 8;
            break;
        case 3: /* around 10^19 and the uint64 bound */
            x = (x % 2 ? 10000000000000000000ull : UINT64_MAX - 8) + x % 8;
            break;
        default: /* all 64 bits */
            break;
        }
        if ((r >> 20) % 8 == 0) /* leading zeros */
            n = snprintf(buf, sizeof(buf), "%s%s%025llu%s", lead, sign, (unsigned long long)x,
                         trail);
        else if ((r >> 20) % 8 == 1) /* past 2^64 */
            n = snprintf(buf, sizeof(buf), "%s%s%llu%u%s", lead, sign, (unsigned long long)x,
                         (unsigned)(r >> 40) % 10, trail);
        else
            n = snprintf(buf, sizeof(buf), "%s%s%llu%s", lead, sign, (unsigned long long)x,
                         trail);
        assert_true(n > 0 && (size_t)n < sizeof(buf) - 1);

        int64_t want = 0, got = 0;
        bool want_ok = reference_i64(buf, &want);
        buf[n] = '7'; /* a digit right after the field: reading it would change the value */
        bool got_ok = ddf_parse_i64(buf, (size_t)n, &got);
        buf[n] = '\0';
        if (got_ok != want_ok || (want_ok && got != want))
            fail_msg("'%s': ours %d/%lld, strtoll %d/%lld", buf, got_ok, (long long)got,
                     want_ok, (long long)want);
    }
}

/* Every byte value in every position of a run of nine digits: the four-at-a-time digit
 * check must agree with the grammar, whatever the neighbouring bytes. */
static void test_numparse_every_byte_in_every_position_of_a_digit_run(void **state)
{
    char *heap = malloc(9); /* the field fills it: a read past it is out of bounds */
    (void)state;

    assert_non_null(heap);
    for (size_t pos = 0; pos < 9; pos++) {
        for (int b = 0; b < 256; b++) {
            char text[10];
            bool edge_space = (pos == 0 || pos == 8) && (b == ' ' || b == '\t');
            bool int_ok = (b >= '0' && b <= '9') || edge_space ||
                          (pos == 0 && (b == '+' || b == '-'));
            bool float_ok = int_ok || b == '.' || (pos > 0 && pos < 8 && (b == 'e' || b == 'E'));
            ddf_dtype want = int_ok ? DDF_DTYPE_INT64 : float_ok ? DDF_DTYPE_FLOAT64
                                                                 : DDF_DTYPE_STRING;
            ddf_dtype got;
            int64_t v;
            double d;

            memcpy(text, "123456789", 10);
            text[pos] = (char)b; /* for strtoll and strtod, consulted only when valid */
            memcpy(heap, text, 9);
            if (ddf_parse_i64(heap, 9, &v) != int_ok || (int_ok && v != strtoll(text, NULL, 10)))
                fail_msg("byte %d at %zu: int accepted %d", b, pos, !int_ok);
            if (ddf_parse_f64(heap, 9, &d) != float_ok ||
                (float_ok && !same_bits(d, strtod(text, NULL))))
                fail_msg("byte %d at %zu: float accepted %d", b, pos, !float_ok);
            got = ddf_parse_classify(heap, 9);
            if (got != want)
                fail_msg("byte %d at %zu: classified %d, expected %d", b, pos, (int)got,
                         (int)want);
        }
    }
    free(heap);
}

static void test_numparse_float_reads_the_spellings_pandas_reads_as_float(void **state)
{
    double d;
    (void)state;

    assert_true(f64_of("1e3", &d) && d == 1000.0);
    assert_true(f64_of("1E3", &d) && d == 1000.0);
    assert_true(f64_of("1e+3", &d) && d == 1000.0);
    assert_true(f64_of("1E-7", &d) && same_bits(d, 1e-7));
    assert_true(f64_of(".5", &d) && d == 0.5);
    assert_true(f64_of("5.", &d) && d == 5.0);
    assert_true(f64_of("-.5", &d) && d == -0.5);
    assert_true(f64_of("+5.", &d) && d == 5.0);
    assert_true(f64_of("5.e2", &d) && d == 500.0);
    assert_true(f64_of(".5e1", &d) && d == 5.0);
    assert_true(f64_of(" 1.5 ", &d) && d == 1.5);
    assert_true(f64_of("\t1.5\t", &d) && d == 1.5);
    assert_true(f64_of("+2.25", &d) && d == 2.25);
    assert_true(f64_of("3", &d) && d == 3.0);
    assert_true(f64_of("123.45", &d) && same_bits(d, 123.45));
    assert_true(f64_of("1234.56", &d) && same_bits(d, 1234.56));
    assert_true(f64_of("0.1", &d) && same_bits(d, 0.1));
    assert_true(f64_of("-17.25e-1", &d) && same_bits(d, -1.725));
    assert_true(f64_of("9223372036854775808", &d) && d == 9223372036854775808.0);
    assert_true(f64_of("123456789.123456789", &d) && same_bits(d, 123456789.123456789));
    assert_true(f64_of("0.30000000000000004", &d) && same_bits(d, 0.1 + 0.2));
}

static void test_numparse_float_reads_infinity_in_any_case_but_without_spaces(void **state)
{
    const char *pos[] = {"inf", "INF", "Inf", "iNf", "+inf", "Infinity", "infinity",
                         "INFINITY", "+Infinity", "InFiNiTy"};
    const char *neg[] = {"-inf", "-INF", "-Infinity", "-infinity", "-INFINITY"};
    /* pandas compares the whole field with strcasecmp: no spaces, no partial words. */
    const char *bad[] = {" inf", "inf ", "\tinf", "- inf", "in", "infin", "infinit",
                         "infinityy", "infinity!", "--inf", "+-inf", "-+inf", "inf1",
                         "1inf", "i", "INFINITE", "nf"};
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++)
        assert_true(f64_of(pos[i], &d) && isinf(d) && d > 0);
    for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++)
        assert_true(f64_of(neg[i], &d) && isinf(d) && d < 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (f64_of(bad[i], &d))
            fail_msg("'%s' was read as %g", bad[i], d);
}

static void test_numparse_float_rejects_everything_else(void **state)
{
    const char *bad[] = {"",      " ",     ".",     "-.",    "+.",    " . ",  "e5",
                         ".e5",   "1e",    "1E",    "1e+",   "1e-",   "1.5e", "1.5e+",
                         "1d5",   "1D5",   "0x10",  "0X1p3", "1_000", "1,5",  "--1",
                         "++1",   "-+1",   "1.2.3", "1..2",  "1e5e5", "1e5.", "1e.5",
                         "1 e5",  "1e 5",  "1 .5",  ". 5",   "- 1",   "1-",   "1e5 x",
                         "nan",   "NaN",   "-nan",  "NAN",   "+nan",  "null", "True",
                         "abc",   "+",     "-",     "1\n",   "\n1",   "1\r",  "\xef\xbc\x91",
                         "1\xc2\xa0"};
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (f64_of(bad[i], &d))
            fail_msg("'%s' was read as %g", bad[i], d);
    assert_false(ddf_parse_f64("1\0" "5", 3, &d));
}

static void test_numparse_float_zero_keeps_its_sign_as_strtod_does(void **state)
{
    const char *zeros[] = {"0",   "-0",    "+0",     "0.0",   "-0.0",     "-.0",
                           "-0.", "0e0",   "-0e0",   "-0e-5", "-0e999999", "0e-999999",
                           "-00000000000000000000000000.000000000000000000000000",
                           "-0.000000000000000000000000e99999999999999999999999"};
    (void)state;

    for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++) {
        double d = expect_as_strtod(zeros[i]);
        assert_true(d == 0.0);
        assert_int_equal(signbit(d) != 0, zeros[i][0] == '-');
    }
}

static void test_numparse_float_subnormals_and_overflow_round_as_strtod(void **state)
{
    const char *texts[] = {
        "4.9e-324",       "4.9406564584124654e-324", "5e-324",      "2e-324",
        "2.4703282292062327e-324", /* just under half the smallest subnormal: 0 */
        "2.4703282292062328e-324", /* just over: the smallest subnormal */
        "2.2250738585072011e-308", /* the largest subnormal */
        "2.2250738585072014e-308", /* DBL_MIN */
        "2.225073858507201136057409796709131975934819546351645648e-308",
        "1e-310",         "-1e-310",  "1e-320",  "1.5e-323", "1e-400",  "-1e-400",
        "1e308",          "-1e308",   "1.7976931348623157e308",
        "1.7976931348623158e308", /* rounds down to DBL_MAX */
        "1.7976931348623159e308", /* past the threshold: inf */
        "1e309",          "-1e309",   "1e99999", "123e99999999999999999999"};
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_as_strtod(texts[i]);
    assert_true(f64_of("4.9e-324", &d) && d == 4.9406564584124654e-324);
    assert_true(f64_of("2.4703282292062327e-324", &d) && d == 0.0);
    assert_true(f64_of("1.7976931348623158e308", &d) && d == DBL_MAX);
    /* strtod says ERANGE; the value is what counts, and pandas reads inf too. */
    assert_true(f64_of("1e309", &d) && isinf(d) && d > 0);
    assert_true(f64_of("-1e309", &d) && isinf(d) && d < 0);
    assert_true(f64_of("1e-400", &d) && d == 0.0 && !signbit(d));
}

static void test_numparse_float_exponents_may_have_leading_zeros(void **state)
{
    const char *texts[] = {"1e0005",   "1e-0005", "1E+0005", "1.5e+00", "1.5e-00",
                           "2e0000000000000000000000000022", "2e-000000000000000000000000023",
                           "7e00000000000000000000000000000000000000000000000000000308"};
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_as_strtod(texts[i]);
    assert_true(f64_of("1e0005", &d) && d == 1e5);
    assert_true(f64_of("1e-0005", &d) && same_bits(d, 1e-5));
}

/* The fast paths' edges: 2^53, 10^22, the shifted exponents up to 10^37, 19 digits, the
 * 128-bit path's 10^+-27, ties. */
static void test_numparse_float_fast_path_edges_round_as_strtod(void **state)
{
    const char *texts[] = {
        "9007199254740992",    "9007199254740993",    "9007199254740994",
        "9007199254740995",    "-9007199254740993",   "9007199254740993.0",
        "900719925474099.3",   "90071992547409.93e2", "9007199254740992e22",
        "9007199254740993e22", "9007199254740992e-22", "9007199254740993e-22",
        "1e22",                "1e23",                "3e22",               "1e-22",
        "1e-23",               "123e-22",             "12e30",              "1e37",
        "9e37",                "1e38",                "9007199254740992e23", "900719925474099e23",
        "900719925474099e24",  "1234567890123456789",
        "1234567890123456789e-22", "0.1234567890123456789", "9999999999999999999",
        "0000000000000000001.5",   "1.000000000000000000", "4503599627370497.5",
        "4503599627370496.5",  "1.7976931348623157e22", "8.98846567431158e307",
        "5.21378555557987542e-10", /* 128-bit path: low bits exactly half, remainder > 0 */
        "1e-27",               "18446744073709551615e-27", "9999999999999999999e27",
        "0.000000000000000000000000000000000012345", "1e-28", "1e28"};
    (void)state;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_as_strtod(texts[i]);
}

static void test_numparse_float_long_mantissas_round_as_strtod(void **state)
{
    const char *texts[] = {
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "1.23456789012345678901234567890",
        "0.000000000000000000000000000001234567890123456789012345678901",
        "3.14159265358979323846264338327950288419716939937510",
        "2.71828182845904523536028747135266249775724709369995e-300",
        "179769313486231570814527423731704356798070567525844996598917476803157260780028538760"
        "589558632766878171540458953514382464234321326889464182768467546703537516986049910576"
        "551282076245490090389328944075868508455133942304583236903222948165808559332123348274"
        "797826204144723168738177180919299881250404026184124858368",
        "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    };
    char *big;
    size_t n = 5000;
    (void)state;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_as_strtod(texts[i]);

    /* 5000 digits, and 5000 digits after "0.", well past the slow path's 800. */
    big = malloc(n + 8);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('1' + i % 9);
    big[n] = '\0';
    expect_as_strtod(big);
    memcpy(big + n, "e-4990", 7);
    expect_as_strtod(big);
    big[0] = '0';
    big[1] = '.';
    for (size_t i = 2; i < 400; i++)
        big[i] = '0';
    big[n] = '\0';
    expect_as_strtod(big);
    free(big);
}

/* A decimal integer as little-endian digit values, for building exact halfway values. */
typedef struct bignum {
    unsigned char digit[1200];
    size_t n;
} bignum;

static void big_set(bignum *b, uint64_t v)
{
    b->n = 0;
    do {
        b->digit[b->n++] = (unsigned char)(v % 10);
        v /= 10;
    } while (v > 0);
}

/* b *= k, for k < 2^59 (so digit * k + carry fits a uint64_t). */
static void big_mul(bignum *b, uint64_t k)
{
    uint64_t carry = 0;

    for (size_t i = 0; i < b->n; i++) {
        uint64_t t = b->digit[i] * k + carry;
        b->digit[i] = (unsigned char)(t % 10);
        carry = t / 10;
    }
    while (carry > 0) {
        assert_true(b->n < sizeof(b->digit));
        b->digit[b->n++] = (unsigned char)(carry % 10);
        carry /= 10;
    }
}

static void big_pow(bignum *b, uint64_t base, int exp)
{
    for (int i = 0; i < exp; i++)
        big_mul(b, base);
}

/* Append the digits of b, most significant first, at 'out'; returns the end. */
static char *big_print(const bignum *b, char *out)
{
    for (size_t i = b->n; i > 0; i--)
        *out++ = (char)('0' + b->digit[i - 1]);
    return out;
}

static char *repeat(char *out, char c, size_t n)
{
    memset(out, c, n);
    return out + n;
}

/* Exact decimal values on a rounding breakpoint, and just off it by a digit the slow path
 * drops (past its 800 significant digits): the sticky digit must keep the side. */
static void test_numparse_float_halfway_cases_past_800_digits_round_as_strtod(void **state)
{
    static char text[4096];
    const double min_sub = 4.9406564584124654e-324;
    bignum b;
    size_t zeros;
    char *q;
    (void)state;

    /* 2^-1075 = 5^1075 / 10^1075, half the smallest subnormal: a tie, to even 0. */
    big_set(&b, 1);
    big_pow(&b, 5, 1075);
    assert_true(b.n > 700 && b.n < 800);
    zeros = 1075 - b.n;
    memcpy(text, "0.", 2);
    q = repeat(text + 2, '0', zeros);
    q = big_print(&b, q);
    *q = '\0';
    assert_true(expect_as_strtod(text) == 0.0);
    q = repeat(q, '0', 200); /* more zeros: still a tie */
    *q = '\0';
    assert_true(expect_as_strtod(text) == 0.0);
    q[-1] = '1'; /* the 953rd significant digit: just over the tie */
    assert_true(expect_as_strtod(text) == min_sub);
    memcpy(q, "e0", 3);
    assert_true(expect_as_strtod(text) == min_sub);

    /* 3 * 2^-1075, between 1 and 2 smallest subnormals: a tie, to even 2. */
    big_set(&b, 3);
    big_pow(&b, 5, 1075);
    zeros = 1075 - b.n;
    memcpy(text, "0.", 2);
    q = repeat(text + 2, '0', zeros);
    q = big_print(&b, q);
    *q = '\0';
    assert_true(expect_as_strtod(text) == 2 * min_sub);
    q[-1]--; /* the last digit was a 5: now just under the tie */
    q = repeat(q, '9', 300);
    *q = '\0';
    assert_true(expect_as_strtod(text) == min_sub);

    /* 1 + 2^-53, between 1 and the next double: a tie, to even 1. */
    strcpy(text, "1.00000000000000011102230246251565404236316680908203125");
    assert_true(expect_as_strtod(text) == 1.0);
    q = repeat(text + strlen(text), '0', 900);
    *q = '\0';
    assert_true(expect_as_strtod(text) == 1.0);
    q[-1] = '1';
    assert_true(expect_as_strtod(text) == 1.0 + DBL_EPSILON);
    /* The same value, scaled: digits before the point, and an exponent to undo it. */
    memmove(text + 1, text + 2, strlen(text + 2) + 1); /* drop the '.' */
    strcat(text, "e-953");
    assert_true(expect_as_strtod(text) == 1.0 + DBL_EPSILON);

    /* 2^1024 - 2^970, the overflow threshold, a tie between DBL_MAX (odd) and 2^1024. */
    big_set(&b, (1ull << 54) - 1);
    big_pow(&b, 2, 970);
    q = big_print(&b, text);
    *q = '\0';
    assert_true(isinf(expect_as_strtod(text)));
    *q++ = '.';
    q = repeat(q, '0', 900);
    *q = '\0';
    assert_true(isinf(expect_as_strtod(text)));
    q = big_print(&b, text);
    assert_true(q[-1] > '0');
    q[-1]--; /* one under the threshold, then a long tail of nines */
    *q++ = '.';
    q = repeat(q, '9', 900);
    *q = '\0';
    assert_true(expect_as_strtod(text) == DBL_MAX);
}

static void test_numparse_reads_nothing_past_the_length(void **state)
{
    char *heap = malloc(6);
    int64_t v;
    double d;
    (void)state;

    assert_non_null(heap);
    /* Prefixes of longer text: the rest must not count. */
    assert_true(ddf_parse_i64("123", 2, &v) && v == 12);
    assert_true(ddf_parse_i64("-9223372036854775808", 19, &v) && v == -922337203685477580);
    assert_false(ddf_parse_i64("123", 0, &v));
    assert_false(ddf_parse_i64("-1", 1, &v));
    assert_true(ddf_parse_f64("1.25e3", 4, &d) && d == 1.25);
    assert_false(ddf_parse_f64("1.25e3", 5, &d)); /* "1.25e" */
    assert_false(ddf_parse_f64("1.25e-3", 6, &d)); /* "1.25e-" */
    assert_true(ddf_parse_f64("12345678901234567890123", 3, &d) && d == 123.0);
    assert_true(ddf_parse_f64("infinity", 3, &d) && isinf(d));
    assert_false(ddf_parse_f64("infinity", 5, &d));
    assert_false(ddf_parse_f64("5", 0, &d));
    assert_true(ddf_parse_bool("Truex", 4, &(bool){false}));
    assert_int_equal(ddf_parse_classify("123.5", 3), DDF_DTYPE_INT64);
    assert_int_equal(ddf_parse_classify("1e5", 2), DDF_DTYPE_STRING);

    /* Fields ending at the last byte of a heap block (ASan: one byte more is a fault). */
    memcpy(heap, "  -7  ", 6);
    assert_true(ddf_parse_i64(heap, 6, &v) && v == -7);
    memcpy(heap, "9e-300", 6);
    assert_true(ddf_parse_f64(heap, 6, &d) && same_bits(d, 9e-300));
    memcpy(heap, "1.5e-0", 6);
    assert_true(ddf_parse_f64(heap, 6, &d) && d == 1.5);
    memcpy(heap, "   1.e", 6);
    assert_false(ddf_parse_f64(heap, 6, &d));
    memcpy(heap, "-infin", 6);
    assert_false(ddf_parse_f64(heap, 6, &d));
    memcpy(heap, "FALSEx", 6);
    assert_int_equal(ddf_parse_classify(heap + 1, 5), DDF_DTYPE_STRING);
    assert_int_equal(ddf_parse_classify(heap, 5), DDF_DTYPE_BOOL);
    free(heap);
}

static void test_numparse_long_fields_parse_without_allocating(void **state)
{
    size_t n = 100000;
    char *big = malloc(n + 1);
    double d, want;
    (void)state;

    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('0' + (i * 7) % 10);
    big[0] = '9';
    big[n / 2] = '.';
    big[n] = '\0'; /* for strtod only: the parser gets n bytes */
    ddf_test_fail_after(0); /* the next allocation fails */
    want = strtod(big, NULL);
    assert_true(ddf_parse_f64(big, n, &d) && same_bits(d, want));
    assert_true(isinf(d)); /* about 10^49999 */
    big[n / 2] = '3';
    memcpy(big, "0.", 2);
    want = strtod(big, NULL);
    assert_true(ddf_parse_f64(big, n, &d) && same_bits(d, want));
    assert_true(d > 0.4 && d < 0.5);
    assert_int_equal(ddf_parse_classify(big, n), DDF_DTYPE_FLOAT64);
    big[1] = '1';
    assert_int_equal(ddf_parse_classify(big, n), DDF_DTYPE_STRING); /* 100000-digit int */
    assert_int_equal(ddf_test_alloc_count(), 0);
    ddf_alloc_set(NULL);
    free(big);
}

static void test_numparse_bool_spellings_are_exact(void **state)
{
    const char *yes[] = {"True", "true", "TRUE"}, *no[] = {"False", "false", "FALSE"};
    const char *bad[] = {"tRUE", "TRue",  " true", "True ", "true\t", "1",   "0", "T",
                         "F",    "yes",   "no",    "",      "Tru",    "Fals", "FALSe",
                         "Truee", "t rue", "on"};
    bool b;
    (void)state;

    for (int i = 0; i < 3; i++) {
        assert_true(bool_of(yes[i], &b) && b);
        assert_true(bool_of(no[i], &b) && !b);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (bool_of(bad[i], &b))
            fail_msg("'%s' was read as a bool", bad[i]);
}

static void test_numparse_classify_follows_pandas(void **state)
{
    static const struct {
        const char *text;
        ddf_dtype dtype;
    } cases[] = {
        {"12", DDF_DTYPE_INT64},
        {"+5", DDF_DTYPE_INT64},
        {" 6 ", DDF_DTYPE_INT64},
        {" -3 ", DDF_DTYPE_INT64},
        {"007", DDF_DTYPE_INT64},
        {"-0", DDF_DTYPE_INT64},
        {"9223372036854775807", DDF_DTYPE_INT64},
        {"-9223372036854775808", DDF_DTYPE_INT64},
        {"000000000000000000000000000042", DDF_DTYPE_INT64},
        {"9223372036854775808", DDF_DTYPE_STRING},
        {"-9223372036854775809", DDF_DTYPE_STRING},
        {"18446744073709551616", DDF_DTYPE_STRING},
        {"99999999999999999999999", DDF_DTYPE_STRING},
        {"1.0", DDF_DTYPE_FLOAT64},
        {"1e3", DDF_DTYPE_FLOAT64},
        {"1E3", DDF_DTYPE_FLOAT64},
        {".5", DDF_DTYPE_FLOAT64},
        {"5.", DDF_DTYPE_FLOAT64},
        {" 1.5 ", DDF_DTYPE_FLOAT64},
        {"99999999999999999999999.0", DDF_DTYPE_FLOAT64},
        {"1e400", DDF_DTYPE_FLOAT64},
        {"inf", DDF_DTYPE_FLOAT64},
        {"-inf", DDF_DTYPE_FLOAT64},
        {"+inf", DDF_DTYPE_FLOAT64},
        {"INF", DDF_DTYPE_FLOAT64},
        {"Infinity", DDF_DTYPE_FLOAT64},
        {"-Infinity", DDF_DTYPE_FLOAT64},
        {" inf", DDF_DTYPE_STRING},
        {"True", DDF_DTYPE_BOOL},
        {"false", DDF_DTYPE_BOOL},
        {"FALSE", DDF_DTYPE_BOOL},
        {" true", DDF_DTYPE_STRING},
        {"tRue", DDF_DTYPE_STRING},
        {"abc", DDF_DTYPE_STRING},
        {"nan", DDF_DTYPE_STRING},
        {"1_000", DDF_DTYPE_STRING},
        {"0x10", DDF_DTYPE_STRING},
        {"1d5", DDF_DTYPE_STRING},
        {"1.5e", DDF_DTYPE_STRING},
        {"1e", DDF_DTYPE_STRING},
        {"--1", DDF_DTYPE_STRING},
        {"-", DDF_DTYPE_STRING},
        {".", DDF_DTYPE_STRING},
        {"", DDF_DTYPE_STRING},
        {" ", DDF_DTYPE_STRING},
        {"12 34", DDF_DTYPE_STRING},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (classify(cases[i].text) != cases[i].dtype)
            fail_msg("'%s': classified %d, expected %d", cases[i].text,
                     (int)classify(cases[i].text), (int)cases[i].dtype);
}

/* A random double of any magnitude (finite). */
static double random_double(uint64_t *seed)
{
    uint64_t bits = next_random(seed);
    double d;

    memcpy(&d, &bits, sizeof(d));
    return isfinite(d) ? d : 1.0 / 3.0;
}

/* Write one random float spelling of a varied shape into buf; returns its length. */
static int random_spelling(uint64_t *seed, char *buf, size_t cap)
{
    static const char *pads[] = {"", "", "", "", " ", "\t", "  "};
    uint64_t r = next_random(seed), x = next_random(seed), y = next_random(seed);
    const char *sign = r & 1 ? "-" : (r & 2) && (r & 4) ? "+" : "";
    int prec = (int)((r >> 8) % 18);

    switch ((r >> 16) % 15) {
    case 0: /* prices */
    case 1:
        return snprintf(buf, cap, "%s%llu.%02llu", sign, (unsigned long long)(x % 100000),
                        (unsigned long long)(y % 100));
    case 2: /* short decimals, fast path territory */
        return snprintf(buf, cap, "%s%.*g", sign, prec + 1,
                        (double)(x % 1000000000) / (double)(1 + y % 100000));
    case 3: /* long mantissas: 20 to 40 digits with a point anywhere */
    {
        int n = snprintf(buf, cap, "%s%llu%llu", sign, (unsigned long long)x,
                         (unsigned long long)y);
        int at = (int)strlen(sign) + (int)((r >> 24) % (uint64_t)(n - (int)strlen(sign)));
        memmove(buf + at + 1, buf + at, (size_t)(n - at) + 1);
        buf[at] = '.';
        return n + 1;
    }
    case 4: /* the shortest round trip of a random double, any magnitude */
        return snprintf(buf, cap, "%.17g", random_double(seed));
    case 5: /* fewer digits, e/E forms */
        return snprintf(buf, cap, r & 32 ? "%.*e" : "%.*E", prec, random_double(seed));
    case 6: /* mantissas up to 2^54 with exponents across the fast path's range */
        return snprintf(buf, cap, "%s%llue%d", sign, (unsigned long long)(x >> (10 + y % 54)),
                        (int)(y >> 8 & 127) - 64);
    case 7: /* the same with a fraction */
        return snprintf(buf, cap, "%s%llu.%llue%+d", sign,
                        (unsigned long long)(x >> (30 + y % 34)),
                        (unsigned long long)(y >> (20 + x % 44)), (int)(r >> 40 & 63) - 32);
    case 8: /* leading zeros, points at the edges, spaces, exponent zeros */
        switch ((r >> 24) % 5) {
        case 0:
            return snprintf(buf, cap, "%s0.%0*llu", sign, prec + 1,
                            (unsigned long long)(x % 1000000));
        case 1:
            return snprintf(buf, cap, "%s000%llu.%llu00", sign,
                            (unsigned long long)(x % 100000000), (unsigned long long)(y % 1000));
        case 2:
            return snprintf(buf, cap, "%s%s.%llu%s", pads[x % 7], sign,
                            (unsigned long long)(y >> (y % 64)), pads[(x >> 3) % 7]);
        case 3:
            return snprintf(buf, cap, "%s%s%llu.%s", pads[x % 7], sign,
                            (unsigned long long)(y >> (y % 64)), pads[(x >> 3) % 7]);
        default:
            return snprintf(buf, cap, "%s%llu.%llue%c%05d", sign, (unsigned long long)(x % 1000),
                            (unsigned long long)(y % 1000), r & 64 ? '-' : '+',
                            (int)((r >> 32) % 400));
        }
    case 9: /* integers around 2^53 and up to 20 digits */
        if (r & 128)
            return snprintf(buf, cap, "%s%llu", sign,
                            (unsigned long long)((1ull << 53) - 16 + x % 32));
        return snprintf(buf, cap, "%s%llu", sign, (unsigned long long)(x >> (y % 12)));
    case 10: /* subnormals and the overflow edge */
    {
        double d = (r & 128) ? (double)(x % 100000) * 4.9406564584124654e-324
                             : DBL_MAX * (1.0 - (double)(x % 1000) * 1e-17);
        return snprintf(buf, cap, "%.*g", prec + 1, d);
    }
    case 12: /* the shortest round trip of a double of ordinary magnitude: 15-19 digits */
    {
        double d = ldexp((double)(x >> 11), (int)(y % 120) - 113);
        return snprintf(buf, cap, "%s%.*g", sign, 15 + (int)(r >> 40) % 5, d);
    }
    case 13: /* exact ties between adjacent doubles, few digits: ulp 2, 1, 1/2, 1/4 */
    {
        uint64_t k = (1ull << 52) | (x >> 12);
        switch ((r >> 24) % 4) {
        case 0: /* odd integers in [2^53, 2^54) */
            return snprintf(buf, cap, "%s%llu%s", sign, (unsigned long long)(2 * k + 1),
                            y & 1 ? "" : "0e-1");
        case 1: /* n + 1/2 in [2^52, 2^53) */
            return snprintf(buf, cap, "%s%llu.5", sign, (unsigned long long)k);
        case 2: /* n + 1/4 or 3/4 in [2^51, 2^52) */
            return snprintf(buf, cap, "%s%llu.%s", sign, (unsigned long long)(k >> 1),
                            y & 1 ? "25" : "75");
        default: /* n + k/8 in [2^50, 2^51), k odd */
            return snprintf(buf, cap, "%s%llu.%03llu", sign, (unsigned long long)(k >> 2),
                            (unsigned long long)(125 * (2 * (y % 4) + 1)));
        }
    }
    default: /* near ties: decimals close to the midpoint of two adjacent doubles */
    {
#if LDBL_MANT_DIG >= 64
        double a = fabs(random_double(seed)), b = nextafter(a, HUGE_VAL);
        if (!isinf(b)) {
            long double mid = ((long double)a + (long double)b) / 2; /* exact */
            return snprintf(buf, cap, "%s%.*Le", sign, 16 + (int)(y % 25), mid);
        }
#endif
        return snprintf(buf, cap, "%.17g", random_double(seed));
    }
    }
}

/* Random spellings longer than the slow path's stack buffer, so they go through its
 * canonical form: leading zeros, long runs of 0 and 9 around the 800th digit, points and
 * exponents anywhere, and near-ties (exact midpoints of doubles, printed in full, then
 * nudged by a digit far down). */
static void test_numparse_float_fields_longer_than_the_copy_buffer_round_as_strtod(void **state)
{
    static char text[4096];
    uint64_t seed = 77;
    (void)state;

    for (int i = 0; i < 12000; i++) {
        uint64_t r = next_random(&seed);
        char *q = text;

        if (r & 1)
            *q++ = r & 2 ? '-' : '+';
        if (i % 3 == 0) {
#if LDBL_MANT_DIG >= 64
            double a = fabs(random_double(&seed)), b = nextafter(a, HUGE_VAL);
            long double mid = ((long double)a + (long double)b) / 2; /* exact */
            char *e;
            size_t tail;

            if (isinf(b))
                continue;
            q += snprintf(q, 1100, "%.*Le", 700 + (int)(r >> 8) % 300, mid);
            e = strchr(text, 'e');
            assert_non_null(e);
            tail = strlen(e) + 1;
            memmove(e + 300, e, tail); /* room for 300 more digits before the exponent */
            memset(e, (r >> 20) % 3 == 0 ? '9' : '0', 300);
            if ((r >> 20) % 3 == 1)
                e[299] = '1';
            if ((r >> 20) % 3 == 0 && e[-1] > '0')
                e[-1]--;
            expect_as_strtod(text);
            continue;
#endif
        }
        q = repeat(q, '0', (size_t)((r >> 4) % 900));
        size_t int_digits = (size_t)((r >> 14) % 1200), frac_digits = (size_t)((r >> 25) % 1200);
        for (size_t k = 0; k < int_digits + frac_digits; k++) {
            uint64_t d = next_random(&seed);
            if (k == int_digits)
                *q++ = '.';
            /* mostly runs: of zeros, of nines, of one random digit */
            *q++ = (char)(d % 16 == 0 ? '0' + (d >> 8) % 10 : (r >> 36) % 3 == 0 ? '0'
                                                       : (r >> 36) % 3 == 1   ? '9'
                                                                              : '0' + r % 10);
        }
        if (int_digits + frac_digits == 0)
            *q++ = '7';
        if ((r >> 40) % 2) {
            int e = (int)((r >> 43) % 2000) - 1000;
            q += sprintf(q, "%c%s%s%d", (r >> 41) % 2 ? 'e' : 'E', e < 0 ? "-" : "+",
                         (r >> 42) % 2 ? "00" : "", abs(e));
        }
        *q = '\0';
        expect_as_strtod(text);
    }
}

/* Whether 'text' is an integer spelling: spaces, sign, digits, spaces. */
static bool is_int_spelling(const char *text)
{
    const char *p = text + strspn(text, " \t");

    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    p += strspn(p, "0123456789");
    return p[strspn(p, " \t")] == '\0';
}

static void test_numparse_float_agrees_with_strtod_on_two_million_random_spellings(void **state)
{
    uint64_t seed = 20261126;
    char buf[128];
    (void)state;

    for (int i = 0; i < 2000000; i++) {
        int n = random_spelling(&seed, buf, sizeof(buf) - 1);
        double want, got = 0.0;
        int64_t v;
        ddf_dtype t, want_t;

        assert_true(n > 0 && (size_t)n < sizeof(buf) - 1);
        want = strtod(buf, NULL);
        buf[n] = '5'; /* a digit right after the field: reading it would change the value */
        if (!ddf_parse_f64(buf, (size_t)n, &got) || !same_bits(got, want)) {
            buf[n] = '\0';
            fail_msg("#%d '%s': ours %a, strtod %a", i, buf, got, want);
        }
        t = ddf_parse_classify(buf, (size_t)n);
        want_t = ddf_parse_i64(buf, (size_t)n, &v) ? DDF_DTYPE_INT64 : DDF_DTYPE_FLOAT64;
        buf[n] = '\0';
        if (want_t == DDF_DTYPE_FLOAT64 && is_int_spelling(buf))
            want_t = DDF_DTYPE_STRING; /* out of int64 range */
        if (t != want_t)
            fail_msg("#%d '%s': classified %d, expected %d", i, buf, (int)t, (int)want_t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numparse_int_reads_the_spellings_pandas_reads_as_int),
        cmocka_unit_test(test_numparse_int_range_is_exactly_int64),
        cmocka_unit_test(test_numparse_int_rejects_text_and_float_spellings),
        cmocka_unit_test(test_numparse_int_agrees_with_strtoll_on_random_spellings),
        cmocka_unit_test(test_numparse_every_byte_in_every_position_of_a_digit_run),
        cmocka_unit_test(test_numparse_float_reads_the_spellings_pandas_reads_as_float),
        cmocka_unit_test(test_numparse_float_reads_infinity_in_any_case_but_without_spaces),
        cmocka_unit_test(test_numparse_float_rejects_everything_else),
        cmocka_unit_test(test_numparse_float_zero_keeps_its_sign_as_strtod_does),
        cmocka_unit_test(test_numparse_float_subnormals_and_overflow_round_as_strtod),
        cmocka_unit_test(test_numparse_float_exponents_may_have_leading_zeros),
        cmocka_unit_test(test_numparse_float_fast_path_edges_round_as_strtod),
        cmocka_unit_test(test_numparse_float_long_mantissas_round_as_strtod),
        cmocka_unit_test(test_numparse_float_fields_longer_than_the_copy_buffer_round_as_strtod),
        cmocka_unit_test(test_numparse_float_halfway_cases_past_800_digits_round_as_strtod),
        cmocka_unit_test(test_numparse_reads_nothing_past_the_length),
        cmocka_unit_test(test_numparse_long_fields_parse_without_allocating),
        cmocka_unit_test(test_numparse_bool_spellings_are_exact),
        cmocka_unit_test(test_numparse_classify_follows_pandas),
        cmocka_unit_test(test_numparse_float_agrees_with_strtod_on_two_million_random_spellings),
    };
    return cmocka_run_group_tests_name("numparse", tests, NULL, NULL);
}
