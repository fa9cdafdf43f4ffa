/* numparse.c - field text to int64, float64 and bool, spelled as pandas.read_csv spells them.
 *
 * The CSV reader calls these once per typed field, and ddf_parse_classify once per field
 * while a column's type is inferred or widened, so they are the hot path of typed parsing.
 * glibc strtod costs ~75 ns and strtoll ~36 ns a call, and neither takes a length; here a
 * field is bytes plus a length, never NUL-terminated, and nothing at or past s + len is read.
 * Nothing allocates and nothing fails except on a spelling: false means "not this type".
 *
 * Integers accumulate in a uint64_t (19 digits cannot wrap it; more than 19 significant
 * digits is past int64), so the range check is exact and there is no signed overflow.
 *
 * Digits are taken four at a time while four bytes of the field remain (four_digits).
 *
 * Floats: one pass checks the grammar, trims the spaces and collects the mantissa digits
 * into a uint64_t with the decimal exponent, so the field denotes x = m * 10^e for an
 * integer m. With at most 19 significant digits m < 10^19 < 2^64: the uint64_t holds m
 * exactly (leading zeros add nothing to it). Then the first of these that applies:
 *
 * 1. Clinger's fast path ("How to read floating point numbers accurately", 1990), for
 *    m <= 2^53 and -22 <= e <= 22. Every integer of magnitude <= 2^53 is a double, so
 *    (double)m is exact; 10^k = 2^k * 5^k with 5^22 < 2^53, so 10^0 .. 10^22 are exact
 *    doubles (the literals below convert exactly). IEEE 754 makes one multiplication or
 *    division return the exact result correctly rounded; with exact operands that is the
 *    double nearest x, ties to even: what glibc's correctly rounding strtod returns. When
 *    22 < e <= 37 and m * 10^(e - 22) is still <= 2^53, that product is an exact integer
 *    and one multiplication by 1e22 finishes the same way ("12e30"). A zero mantissa is
 *    +-0.0 whatever the exponent. Assumed: binary64 arithmetic without excess precision
 *    (FLT_EVAL_METHOD == 0: x86-64 SSE2, AArch64; elsewhere this path is compiled out).
 *
 * 2. Exact integer rounding, for any m < 2^64 and -27 <= e <= 27 (the 16 to 19 digit
 *    mantissas over 2^53 that the shortest round trip of a double usually has, as in
 *    "0.30000000000000004"). 5^27 < 2^63, so with 128-bit integers: for e >= 0, N = m * 5^e
 *    is exact and x = N * 2^e; for e < 0, q and r are the quotient and remainder of
 *    m * 2^s by 5^-e, so x = (q + r / 5^-e) * 2^(e - s), with s chosen so that q has 64
 *    bits or more. N or q is then rounded to 53 bits by hand, to nearest, ties to even,
 *    where a nonzero r means "above the tie". The rounded mantissa (<= 2^53) and the power of two are exact
 *    doubles and their product is in the normal range, so the result is exact: the
 *    correctly rounded x again. Needs a compiler with unsigned __int128 (GCC and Clang on
 *    64-bit targets); without one this path is compiled out.
 *
 * Both paths put the sign on afterwards, which is the same because round-to-nearest is
 * symmetric (and gives -0.0 for "-0", as strtod does). Both assume the default
 * round-to-nearest mode (ddf never changes it) and no -ffast-math.
 *
 * 3. Otherwise (more than 19 significant digits, exponents beyond 27), strtod on a
 *    NUL-terminated copy in a stack buffer; a field too long for the buffer is first
 *    shortened to an equivalent canonical spelling (see convert_slow), so this path never
 *    allocates and never rejects a valid spelling for its length.
 *
 * Overflow and underflow give strtod's value, and like pandas we do not treat them as
 * errors: "1e309" is inf, "1e-400" is 0.0 (strtod's ERANGE is not looked at). */
#include "numparse.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Significant digits kept on the slow path. A decimal that lies exactly halfway between
 * two adjacent doubles (or on the overflow threshold) has at most 768 significant digits,
 * so 800 digits plus a "sticky" nonzero digit for whatever was dropped round the same. */
#define SLOW_DIGITS 800

/* Exponent digits stop accumulating here: any larger exponent means 0 or inf anyway. */
#define EXP_SATURATE 100000

#if FLT_EVAL_METHOD == 0
#define CLINGER_PATH 1
#else
#define CLINGER_PATH 0
#endif

#ifdef __SIZEOF_INT128__
#define INT128_PATH 1
__extension__ typedef unsigned __int128 u128;
#else
#define INT128_PATH 0
#endif

/* A float spelling, as scan_number found it: x = mantissa * 10^(exp - frac_digits). */
typedef struct number {
    const char *start;  /* the spelling without its spaces, sign included */
    const char *end;    /* one past its last byte */
    uint64_t mantissa;  /* the mantissa's digits with the '.' removed, modulo 2^64 */
    size_t digits;      /* how many digits the mantissa has, leading zeros included */
    size_t frac_digits; /* how many of them follow the '.' */
    int exp;            /* the written exponent, 0 if none, saturated past EXP_SATURATE */
    bool negative;      /* a leading '-' */
    bool integer;       /* only digits: no '.', no exponent */
} number;

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The digit's value, or something over 9 for a byte that is not a digit. */
static inline unsigned digit_of(char c)
{
    return (unsigned)(unsigned char)c - '0';
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* If the 4 bytes at p are all digits, set *value to the number they spell (0..9999) and
 * return true. Bytes b with b >> 4 == 3 and (b + 6) >> 4 == 3 are exactly '0'..'9' (a
 * carry out of a byte only happens for b >= 0xfa, which fails its own test). Then pairs
 * combine into 16-bit lanes (d0 * 10 + d1, d2 * 10 + d3) and one multiplication puts
 * lane0 * 100 + lane1 into bits 16..31. */
static inline bool four_digits(const char *p, uint32_t *value)
{
    uint32_t v;

    memcpy(&v, p, 4); /* little-endian: p[0] is the low byte */
    if (((v & 0xf0f0f0f0u) | (((v + 0x06060606u) & 0xf0f0f0f0u) >> 4)) != 0x33333333u)
        return false;
    v -= 0x30303030u;
    v = v * 10 + (v >> 8);
    *value = ((v & 0x00ff00ffu) * ((100u << 16) + 1)) >> 16;
    return true;
}
#else
static inline bool four_digits(const char *p, uint32_t *value)
{
    (void)p;
    (void)value;
    return false; /* the byte loop does it all */
}
#endif

/* Append the run of digits at p (up to end) to *m, modulo 2^64; returns where it stops. */
static inline const char *take_digits(const char *p, const char *end, uint64_t *m)
{
    uint64_t v = *m;
    uint32_t four;
    unsigned d;

    while (end - p >= 4 && four_digits(p, &four)) {
        v = v * 10000 + four;
        p += 4;
    }
    while (p < end && (d = digit_of(*p)) <= 9) {
        v = v * 10 + d;
        p++;
    }
    *m = v;
    return p;
}

bool ddf_parse_i64(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len, *digits;
    bool negative = false;
    uint64_t v = 0;
    size_t n;

    while (p < end && is_space(*p))
        p++;
    if (p < end && (*p == '-' || *p == '+'))
        negative = *p++ == '-';
    digits = p;
    p = take_digits(p, end, &v); /* wraps past 19 digits; those are rejected below */
    n = (size_t)(p - digits);
    if (n == 0)
        return false;
    while (p < end && is_space(*p))
        p++;
    if (p != end)
        return false;
    if (n > 19) {
        /* Leading zeros add nothing to v; 20 significant digits are >= 10^19 > 2^63. */
        while (n > 0 && *digits == '0') {
            digits++;
            n--;
        }
        if (n > 19)
            return false;
    }
    if (negative) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

/* Check that [s, end) is a decimal float spelling: optional spaces, optional sign, digits
 * with an optional '.' (at least one digit), an optional exponent (e or E, optional sign,
 * at least one digit), optional spaces. Fills *n and returns true, or returns false. */
static inline __attribute__((always_inline)) bool scan_number(const char *s, const char *end,
                                                              number *n)
{
    const char *p = s, *first;
    size_t int_digits, frac_digits = 0;
    uint64_t m = 0;
    unsigned d;
    int e = 0;

    while (p < end && is_space(*p))
        p++;
    n->start = p;
    n->negative = false;
    if (p < end && (*p == '-' || *p == '+'))
        n->negative = *p++ == '-';
    first = p;
    p = take_digits(p, end, &m); /* wraps past 19 digits: see convert_fast */
    int_digits = (size_t)(p - first);
    n->integer = true;
    if (p < end && *p == '.') {
        n->integer = false;
        first = ++p;
        p = take_digits(p, end, &m);
        frac_digits = (size_t)(p - first);
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool exp_negative = false;

        n->integer = false;
        p++;
        if (p < end && (*p == '-' || *p == '+'))
            exp_negative = *p++ == '-';
        first = p;
        while (p < end && (d = digit_of(*p)) <= 9) {
            if (e < EXP_SATURATE)
                e = e * 10 + (int)d;
            p++;
        }
        if (p == first)
            return false;
        if (exp_negative)
            e = -e;
    }
    n->end = p;
    while (p < end && is_space(*p))
        p++;
    if (p != end)
        return false;
    n->mantissa = m;
    n->digits = int_digits + frac_digits;
    n->frac_digits = frac_digits;
    n->exp = e;
    return true;
}

#if CLINGER_PATH
/* 10^0 .. 10^22: all exact doubles (5^22 < 2^53). */
static const double exact_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 10^0 .. 10^15 as integers: the exponents that can move into a mantissa <= 2^53. */
static const uint64_t int_pow10[16] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
};
#endif

/* How many of n's mantissa digits are significant (leading zeros dropped). */
static size_t significant_digits(const number *n)
{
    const char *p = n->start;
    size_t zeros = 0;

    if (*p == '-' || *p == '+')
        p++;
    for (; p < n->end && (*p == '0' || *p == '.'); p++)
        zeros += *p == '0';
    return n->digits - zeros;
}

#if INT128_PATH
/* 5^0 .. 5^27: every power of five below 2^63. */
static const uint64_t pow5[28] = {
    1ull,
    5ull,
    25ull,
    125ull,
    625ull,
    3125ull,
    15625ull,
    78125ull,
    390625ull,
    1953125ull,
    9765625ull,
    48828125ull,
    244140625ull,
    1220703125ull,
    6103515625ull,
    30517578125ull,
    152587890625ull,
    762939453125ull,
    3814697265625ull,
    19073486328125ull,
    95367431640625ull,
    476837158203125ull,
    2384185791015625ull,
    11920928955078125ull,
    59604644775390625ull,
    298023223876953125ull,
    1490116119384765625ull,
    7450580596923828125ull,
};

/* 2^k as a double, for -1022 <= k <= 1023 (built from its bits: exact). */
static inline double pow2(int k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* The double nearest (q + f) * 2^k for a fraction 0 <= f < 1 of which only 'above'
 * (f > 0) is known: what falls below the 53 bits kept is rest + f against half, both
 * integers, so f matters only to break a tie upwards. q > 0; the caller keeps the result
 * in the normal range. */
static inline double round_u128(u128 q, bool above, int k)
{
    uint64_t hi = (uint64_t)(q >> 64);
    int bits = hi ? 128 - __builtin_clzll(hi) : 64 - __builtin_clzll((uint64_t)q);
    int shift = bits - 53;
    uint64_t mant;
    u128 rest, half;

    if (shift <= 0) /* exact already (then f is 0: see the callers) */
        return (double)(uint64_t)q * pow2(k);
    mant = (uint64_t)(q >> shift);
    rest = q & (((u128)1 << shift) - 1);
    half = (u128)1 << (shift - 1);
    if (rest > half || (rest == half && (above || (mant & 1))))
        mant++; /* may reach 2^53, still exact */
    return (double)mant * pow2(k + shift);
}

/* x = m * 10^e exactly rounded, for 0 < m < 2^64 and -27 <= e <= 27. */
static double convert_int128(uint64_t m, int e)
{
    if (e >= 0) /* m * 5^e < 2^64 * 2^63: exact, then times 2^e */
        return round_u128((u128)m * pow5[e], false, e);
    /* m * 2^s in [2^126, 2^127), so q >= 2^126 / 5^27 > 2^63: at least 64 bits. */
    int s = 127 - (64 - __builtin_clzll(m));
    u128 num = (u128)m << s;
    u128 q = num / pow5[-e];
    bool above = num - q * pow5[-e] != 0;

    return round_u128(q, above, e - s);
}
#endif

/* Paths 1 and 2 (see the top of the file). Returns true with *out set, or false when the
 * value needs convert_slow. */
static inline bool convert_fast(const number *n, double *out)
{
    uint64_t m = n->mantissa;
    double v;
    int e;

    /* Past 19 digits m wrapped, unless the extra ones were leading zeros. Fractions over
     * 1000 digits go to the slow path without counting (and e stays far from INT_MIN). */
    if (n->digits > 19 && (n->frac_digits > 1000 || significant_digits(n) > 19))
        return false;
    e = n->exp - (int)n->frac_digits;
    if (m == 0) {
        v = 0.0;
        goto done;
    }
#if CLINGER_PATH
    const uint64_t two53 = 1ull << 53;

    if (m <= two53) {
        if (e >= 0 && e <= 22) {
            v = (double)m * exact_pow10[e];
            goto done;
        }
        if (e < 0 && e >= -22) {
            v = (double)m / exact_pow10[-e];
            goto done;
        }
        if (e > 22 && e - 22 <= 15 && m <= two53 / int_pow10[e - 22]) {
            v = (double)(m * int_pow10[e - 22]) * exact_pow10[22];
            goto done;
        }
    }
#endif
#if INT128_PATH
    if (e >= -27 && e <= 27) {
        v = convert_int128(m, e);
        goto done;
    }
#endif
    (void)e; /* unused when neither path is compiled in */
    return false;
done:
    *out = n->negative ? -v : v;
    return true;
}

/* Convert a valid spelling [s, end) (sign included, no spaces) that the fast paths do not
 * take: strtod on a NUL-terminated copy. One that does not fit the stack buffer is copied
 * in a canonical form "[-]0.<d1 d2 ... dk>e<E>" with the leading zeros gone (d1 != 0)
 * and at most SLOW_DIGITS digits, so 10^(E-1) <= |x| < 10^E.
 *
 * Why the canonical copy rounds like the field: rounding to nearest depends only on where
 * x lies among the breakpoints: the midpoints between adjacent doubles and the overflow
 * threshold (DBL_MAX + half an ulp). Each is m * 2^q with m < 2^54, which has at most 768
 * significant decimal digits (the worst is at the bottom, 2^-1075 = 5^1075 * 10^-1075).
 * If the field has more than SLOW_DIGITS significant digits, let t be x cut to its first
 * SLOW_DIGITS; a breakpoint strictly between t and t + 10^(E - SLOW_DIGITS) would need more
 * digits than that, so there is none. When something nonzero was cut, x lies strictly
 * inside that gap, and so does t plus a final digit 1: both round to the same double.
 * Cutting only zeros changes nothing. E is clamped to +-99999: a value at or beyond
 * 10^399 is inf and one below 10^-400 is 0 either way. */
static __attribute__((noinline)) double convert_slow(const char *s, const char *end)
{
    char buf[SLOW_DIGITS + 32];
    char exp_text[8];
    const char *p = s;
    char *q = buf;
    size_t kept = 0;
    bool negative = false, started = false, in_frac = false, sticky = false;
    int64_t point = 0, e = 0;
    int i = 0;

    if ((size_t)(end - s) < sizeof(buf)) {
        memcpy(buf, s, (size_t)(end - s));
        buf[end - s] = '\0';
        return strtod(buf, NULL);
    }
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    if (negative)
        *q++ = '-';
    *q++ = '0';
    *q++ = '.';
    for (; p < end && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            in_frac = true;
            continue;
        }
        if (!started && *p == '0') {
            if (in_frac)
                point--; /* 0.00d: each zero moves the first digit one place down */
            continue;
        }
        started = true;
        if (!in_frac)
            point++;
        if (kept < SLOW_DIGITS) {
            *q++ = *p;
            kept++;
        } else if (*p != '0') {
            sticky = true;
        }
    }
    if (kept == 0)
        return negative ? -0.0 : 0.0; /* all zeros: strtod's +-0 whatever the exponent */
    if (sticky)
        *q++ = '1';
    if (p < end) { /* the exponent: the scan saw at least one digit */
        bool exp_negative = false;

        p++;
        if (*p == '-' || *p == '+')
            exp_negative = *p++ == '-';
        for (; p < end; p++)
            if (e < EXP_SATURATE)
                e = e * 10 + (*p - '0');
        if (exp_negative)
            e = -e;
    }
    /* |point| <= the field's length and |e| < 10^6: no int64_t overflow. */
    e += point;
    if (e > 99999)
        e = 99999;
    if (e < -99999)
        e = -99999;
    *q++ = 'e';
    if (e < 0) {
        *q++ = '-';
        e = -e;
    }
    do {
        exp_text[i++] = (char)('0' + e % 10);
        e /= 10;
    } while (e > 0);
    while (i > 0)
        *q++ = exp_text[--i];
    *q = '\0';
    return strtod(buf, NULL);
}

/* Whether [s, s + len) is one of pandas' infinity spellings: an optional sign, then "inf"
 * or "infinity" in any letter case. The whole field: pandas compares it with strcasecmp
 * once its number parser has failed, so " inf" is a string. Sets *negative. */
static bool is_inf_spelling(const char *s, size_t len, bool *negative)
{
    static const char word[] = "infinity";

    *negative = false;
    if (len > 0 && (*s == '-' || *s == '+')) {
        *negative = *s == '-';
        s++;
        len--;
    }
    if (len != 3 && len != 8)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((s[i] | 0x20) != word[i]) /* only 'X' and 'x' map to 'x' */
            return false;
    return true;
}

bool ddf_parse_f64(const char *s, size_t len, double *out)
{
    number n;
    bool negative;

    if (scan_number(s, s + len, &n)) {
        if (!convert_fast(&n, out))
            *out = convert_slow(n.start, n.end);
        return true;
    }
    if (is_inf_spelling(s, len, &negative)) {
        *out = negative ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    return false;
}

bool ddf_parse_bool(const char *s, size_t len, bool *out)
{
    if (len == 4 && (memcmp(s, "True", 4) == 0 || memcmp(s, "true", 4) == 0 ||
                     memcmp(s, "TRUE", 4) == 0)) {
        *out = true;
        return true;
    }
    if (len == 5 && (memcmp(s, "False", 5) == 0 || memcmp(s, "false", 5) == 0 ||
                     memcmp(s, "FALSE", 5) == 0)) {
        *out = false;
        return true;
    }
    return false;
}

/* One scan decides it: a bool spelling, else digits only (an int if it fits int64, else
 * text), else any other number spelling or infinity (a float), else text. Nothing is
 * converted unless an integer has 19 or more digits and its range must be checked. */
ddf_dtype ddf_parse_classify(const char *s, size_t len)
{
    number n;
    int64_t i;
    bool b;

    if (ddf_parse_bool(s, len, &b))
        return DDF_DTYPE_BOOL;
    if (scan_number(s, s + len, &n)) {
        if (!n.integer)
            return DDF_DTYPE_FLOAT64;
        if (n.digits <= 18) /* < 10^18 < 2^63 */
            return DDF_DTYPE_INT64;
        return ddf_parse_i64(s, len, &i) ? DDF_DTYPE_INT64 : DDF_DTYPE_STRING;
    }
    return is_inf_spelling(s, len, &b) ? DDF_DTYPE_FLOAT64 : DDF_DTYPE_STRING;
}
