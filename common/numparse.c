/* numparse.c - the value spellings pandas.read_csv accepts, parsed without strtod when
 * the value is a short decimal (see numparse.h for the accepted spellings).
 *
 * Fast path for floats (Clinger): when the decimal mantissa m has at most 19 digits,
 * m <= 2^53 and the decimal exponent e satisfies |e| <= 22, both m and 10^|e| are exact
 * doubles, so m * 10^e or m / 10^-e is one correctly rounded IEEE operation: the result is
 * exactly what strtod gives. Anything else (long mantissas, big exponents) goes to strtod
 * on a NUL-terminated copy. Ints accumulate in uint64_t so overflow is detected exactly. */
#include "numparse.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

/* Longest float spelling handed to strtod from the stack; longer ones use the heap. */
#define STACK_COPY_BYTES 128

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Narrow [*s, *end) to the text between leading and trailing spaces. */
static inline void trim(const char **s, const char **end)
{
    while (*s < *end && is_space(**s))
        (*s)++;
    while (*end > *s && is_space((*end)[-1]))
        (*end)--;
}

bool ddf_parse_i64(const char *s, size_t len, int64_t *out)
{
    const char *end = s + len, *fast_end;
    bool negative = false;
    uint64_t v = 0;

    trim(&s, &end);
    if (s < end && (*s == '+' || *s == '-')) {
        negative = *s == '-';
        s++;
    }
    if (s == end)
        return false;
    /* Up to 18 digits cannot overflow a uint64_t: no check in the common loop. */
    fast_end = end - s > 18 ? s + 18 : end;
    for (; s < fast_end; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    for (; s < end; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return false; /* not a digit, or past 2^64 */
        v = v * 10 + d;
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

static bool equals_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);

    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* Exact powers of ten as doubles: 10^0 .. 10^22 are all representable. */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Check the float grammar of [s, end) (trimmed, sign included) and try the fast path.
 * Returns 1 with *out set, 0 when the spelling is valid but needs strtod, -1 when the
 * text is not a number. */
static int scan_decimal(const char *s, const char *end, double *out)
{
    bool negative = false;
    uint64_t mantissa = 0;
    int digits = 0, exp10 = 0;
    size_t int_digits = 0, frac_digits = 0;

    if (s < end && (*s == '+' || *s == '-')) {
        negative = *s == '-';
        s++;
    }
    /* Every digit goes into the mantissa while there are at most 19 of them (leading zeros
     * included: they only send rare spellings like 0.0000000000000000001 to strtod). */
    for (; s < end && is_digit(*s); s++, int_digits++)
        mantissa = mantissa * 10 + (uint64_t)(*s - '0');
    if (s < end && *s == '.') {
        s++;
        for (; s < end && is_digit(*s); s++, frac_digits++)
            mantissa = mantissa * 10 + (uint64_t)(*s - '0');
    }
    if (int_digits + frac_digits == 0)
        return -1;
    digits = (int)(int_digits + frac_digits > 20 ? 20 : int_digits + frac_digits);
    exp10 = -(int)(frac_digits > 400 ? 400 : frac_digits);
    if (s < end && (*s == 'e' || *s == 'E')) {
        bool exp_negative = false;
        int e = 0;
        size_t exp_digits = 0;
        s++;
        if (s < end && (*s == '+' || *s == '-')) {
            exp_negative = *s == '-';
            s++;
        }
        for (; s < end && is_digit(*s); s++, exp_digits++)
            if (e < 100000)
                e = e * 10 + (*s - '0');
        if (exp_digits == 0)
            return -1;
        exp10 += exp_negative ? -e : e;
    }
    if (s != end)
        return -1;
    /* Past 19 digits the mantissa wrapped: the value is right only from strtod. */
    if (digits > 19 || mantissa > (1ull << 53) || exp10 < -22 || exp10 > 22)
        return 0;
    double v = (double)mantissa;
    v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
    *out = negative ? -v : v;
    return 1;
}

bool ddf_parse_f64(const char *s, size_t len, double *out)
{
    const char *end = s + len;
    const char *body;
    char stack[STACK_COPY_BYTES];
    char *copy;
    size_t n;
    int fast;

    trim(&s, &end);
    fast = scan_decimal(s, end, out);
    if (fast == 1)
        return true;
    if (fast < 0) {
        body = s < end && (*s == '+' || *s == '-') ? s + 1 : s;
        if (equals_nocase(body, (size_t)(end - body), "inf") ||
            equals_nocase(body, (size_t)(end - body), "infinity")) {
            *out = s < end && *s == '-' ? -__builtin_inf() : __builtin_inf();
            return true;
        }
        return false;
    }
    /* A valid spelling the fast path cannot round exactly: strtod on a terminated copy. */
    n = (size_t)(end - s);
    copy = n < sizeof(stack) ? stack : ddf_malloc(n + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, s, n);
    copy[n] = '\0';
    *out = strtod(copy, NULL);
    if (copy != stack)
        ddf_free(copy);
    return true;
}

bool ddf_parse_bool(const char *s, size_t len, bool *out)
{
    switch (len) {
    case 4:
        if (memcmp(s, "True", 4) == 0 || memcmp(s, "true", 4) == 0 ||
            memcmp(s, "TRUE", 4) == 0) {
            *out = true;
            return true;
        }
        return false;
    case 5:
        if (memcmp(s, "False", 5) == 0 || memcmp(s, "false", 5) == 0 ||
            memcmp(s, "FALSE", 5) == 0) {
            *out = false;
            return true;
        }
        return false;
    default:
        return false;
    }
}

ddf_dtype ddf_parse_classify(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    int64_t i;
    double d;
    bool b;

    trim(&p, &end);
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    if (p < end && is_digit(*p)) {
        /* Looks numeric: an int spelling out of range is a string, not a float. */
        bool all_digits = true;
        for (const char *q = p; q < end; q++)
            if (!is_digit(*q)) {
                all_digits = false;
                break;
            }
        if (all_digits)
            return ddf_parse_i64(s, len, &i) ? DDF_DTYPE_INT64 : DDF_DTYPE_STRING;
    }
    if (ddf_parse_bool(s, len, &b))
        return DDF_DTYPE_BOOL;
    if (ddf_parse_f64(s, len, &d))
        return DDF_DTYPE_FLOAT64;
    return DDF_DTYPE_STRING;
}
