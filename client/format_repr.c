/* format_repr.c - Python's text for values: repr() of a double, str() of a scalar, the repr
 * of a list, and pandas' repr of an Index of strings (df.columns).
 *
 * Every format needs repr(double): the table format prints floats as Python does, csv
 * writes them as pandas' to_csv does (numpy's str, the same digits) and json as
 * json.dumps does (float.__repr__). CPython's repr is the shortest decimal string that
 * reads back to the same double (David Gay's dtoa, mode 0), laid out in fixed notation
 * when the decimal exponent is in [-4, 16) and in exponent notation otherwise
 * (Python/pystrtod.c, format_float_short with 'r'). We find the least p for which printf's
 * correctly rounded p significant digits read back (strtod) to x; at a power of two the
 * interval of decimals that round to x is lopsided, so the nearest p-digit decimal may
 * miss it while its neighbour hits it: both neighbours are tried before p is given up,
 * which keeps the result Gay's (checked against CPython on 200,000 doubles). */
#include "format_int.h"

#include "alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- repr(double) ---- */

/* The decimal 'digits' (no leading zero, 1..17 of them) times 10^exp10, read by strtod. */
static double read_back(const char *digits, size_t n, int exp10)
{
    char buf[40];
    size_t k = 0;
    unsigned e = (unsigned)(exp10 < 0 ? -exp10 : exp10);

    buf[k++] = digits[0];
    if (n > 1) {
        buf[k++] = '.';
        memcpy(buf + k, digits + 1, n - 1);
        k += n - 1;
    }
    buf[k++] = 'e';
    if (exp10 < 0)
        buf[k++] = '-';
    if (e >= 100)
        buf[k++] = (char)('0' + e / 100);
    if (e >= 10)
        buf[k++] = (char)('0' + e / 10 % 10);
    buf[k++] = (char)('0' + e % 10);
    buf[k] = '\0';
    return strtod(buf, NULL);
}

/* Add 'delta' (+1 or -1) to the 'n'-digit decimal digits*10^exp10 in its last place,
 * keeping n digits (a carry out of the top or a borrow that empties it moves exp10).
 * Returns false when the result is not a positive n-digit number. */
static bool step_last_digit(char *digits, size_t n, int *exp10, int delta)
{
    uint64_t v = 0, lo = 1, hi;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(digits[i] - '0');
    for (size_t i = 1; i < n; i++)
        lo *= 10;
    hi = lo * 10;
    if (delta < 0 && v == 0)
        return false;
    v = delta > 0 ? v + 1 : v - 1;
    if (v == hi) { /* 999 + 1 = 1000: one digit more, so 100 at the next exponent */
        v = lo;
        (*exp10)++;
    } else if (v < lo) { /* 100 - 1 = 99: one digit less, so 999 at the exponent below */
        if (n == 1)
            return false;
        v = v * 10 + 9;
        (*exp10)--;
    }
    for (size_t i = n; i-- > 0;) {
        digits[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return true;
}

/* Whether some 'prec'-digit decimal reads back to ax (finite, > 0): the nearest one, which
 * printf gives, or else one of its neighbours (see top). Fills digits and *exp10. */
static bool digits_at(double ax, int prec, char digits[20], int *exp10)
{
    char buf[40], alt[20] = {0};
    size_t n = 0;
    const char *c = buf;

    snprintf(buf, sizeof buf, "%.*e", prec - 1, ax);
    for (; *c != 'e'; c++)
        if (*c != '.')
            digits[n++] = *c;
    *exp10 = atoi(c + 1);
    if (read_back(digits, n, *exp10) == ax)
        return true;
    for (int delta = -1; delta <= 1; delta += 2) {
        int alt_exp = *exp10;

        memcpy(alt, digits, n);
        if (step_last_digit(alt, n, &alt_exp, delta) && read_back(alt, n, alt_exp) == ax) {
            memcpy(digits, alt, n);
            *exp10 = alt_exp;
            return true;
        }
    }
    return false;
}

/* The shortest digits of finite, nonzero |x| (trailing zeros dropped) and the decimal
 * exponent of the first one: |x| = D.DDD * 10^(*exp10). Returns the digit count.
 *
 * Whether some p-digit decimal reads back grows with p (a p-digit one padded with a zero
 * is a (p+1)-digit one, and the nearest (p+1)-digit decimal or a neighbour is then as
 * good), so the least p is found by bisection; doubles computed rather than read need 16
 * or 17 digits and are tried first. An integer under 2^53 is its own shortest digits. */
static size_t shortest_digits(double x, char digits[20], int *exp10)
{
    double ax = fabs(x);
    int lo = 1, hi = 15;
    size_t n;

    if (ax < 9007199254740992.0 && ax == floor(ax)) {
        char buf[24];
        int len = snprintf(buf, sizeof buf, "%.0f", ax);

        memcpy(digits, buf, (size_t)len);
        n = (size_t)len;
        *exp10 = len - 1;
    } else if (!digits_at(ax, 15, digits, exp10)) {
        n = 16;
        if (!digits_at(ax, 16, digits, exp10)) {
            digits_at(ax, 17, digits, exp10); /* 17 digits always read back */
            n = 17;
        }
    } else {
        while (lo < hi) { /* digits_at(hi) holds */
            int mid = (lo + hi) / 2;

            if (digits_at(ax, mid, digits, exp10))
                hi = mid;
            else
                lo = mid + 1;
        }
        digits_at(ax, hi, digits, exp10);
        n = (size_t)hi;
    }
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

size_t ddf_fmt_repr_double(double x, char out[DDF_FMT_REPR_BYTES])
{
    char digits[20] = {0}; /* filled by shortest_digits; zeroed for the analyzer */
    size_t n, k = 0;
    int exp10, decpt;

    if (isnan(x))
        return (size_t)snprintf(out, DDF_FMT_REPR_BYTES, "nan");
    if (isinf(x))
        return (size_t)snprintf(out, DDF_FMT_REPR_BYTES, "%s", x < 0 ? "-inf" : "inf");
    if (x == 0)
        return (size_t)snprintf(out, DDF_FMT_REPR_BYTES, "%s", signbit(x) ? "-0.0" : "0.0");
    n = shortest_digits(x, digits, &exp10);
    decpt = exp10 + 1; /* |x| = 0.DDD * 10^decpt, as CPython counts it */
    if (x < 0)
        out[k++] = '-';
    if (decpt <= -4 || decpt > 16) {
        out[k++] = digits[0];
        if (n > 1) {
            out[k++] = '.';
            memcpy(out + k, digits + 1, n - 1);
            k += n - 1;
        }
        k += (size_t)snprintf(out + k, DDF_FMT_REPR_BYTES - k, "e%c%02d", exp10 < 0 ? '-' : '+',
                              abs(exp10));
    } else if (decpt <= 0) { /* 0.000DDD */
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -decpt; i++)
            out[k++] = '0';
        memcpy(out + k, digits, n);
        k += n;
    } else if ((size_t)decpt >= n) { /* DDD000.0 */
        memcpy(out + k, digits, n);
        k += n;
        for (size_t i = n; i < (size_t)decpt; i++)
            out[k++] = '0';
        out[k++] = '.';
        out[k++] = '0';
    } else { /* DD.DD */
        memcpy(out + k, digits, (size_t)decpt);
        k += (size_t)decpt;
        out[k++] = '.';
        memcpy(out + k, digits + decpt, n - (size_t)decpt);
        k += n - (size_t)decpt;
    }
    out[k] = '\0';
    return k;
}

/* ---- UTF-8 ---- */

size_t ddf_fmt_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c;
    size_t n;

    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2;
        c = u[0] & 0x1F;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3;
        c = u[0] & 0x0F;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        return 0; /* a continuation byte, an overlong lead (C0, C1) or past U+10FFFF */
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

size_t ddf_fmt_width(const char *s, size_t len)
{
    size_t w = 0;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ddf_fmt_utf8_next(s + i, len - i, &cp);

        i += n ? n : 1;
        w++;
    }
    return w;
}

/* ---- str() and repr() of scalars ---- */

void ddf_fmt_py_str(ddf_printer *p, const ddf_scalar *v)
{
    char buf[DDF_FMT_REPR_BYTES];

    switch (v->dtype) {
    case DDF_DTYPE_NULL:
        ddf_fmt_puts(p, "None");
        break;
    case DDF_DTYPE_BOOL:
        ddf_fmt_puts(p, v->v.b ? "True" : "False");
        break;
    case DDF_DTYPE_INT64:
        ddf_fmt_printf(p, "%lld", (long long)v->v.i64);
        break;
    case DDF_DTYPE_FLOAT64:
        ddf_fmt_put(p, buf, ddf_fmt_repr_double(v->v.f64, buf));
        break;
    case DDF_DTYPE_STRING:
        ddf_fmt_put(p, v->v.str.ptr, v->v.str.len);
        break;
    }
}

/* Whether Python's str.isprintable() is false for non-ASCII 'cp': the separators and
 * format characters one meets in data (Zs, Zl, Zp, Cf, C1 controls, private use);
 * unassigned code points are not tracked. */
static bool py_unprintable(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x80, 0xA0},     {0xAD, 0xAD},     {0x600, 0x605},   {0x61C, 0x61C},
        {0x6DD, 0x6DD},   {0x70F, 0x70F},   {0x1680, 0x1680}, {0x180E, 0x180E},
        {0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x2064}, {0x2066, 0x206F},
        {0x3000, 0x3000}, {0xD800, 0xF8FF}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB},
        {0xFFFE, 0xFFFF}, {0xF0000, 0x10FFFF},
    };

    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

/* repr() of a string: single quotes unless it holds ' and no ", escapes as CPython's
 * unicode_repr. A byte of invalid UTF-8 is written \xNN. */
static void py_repr_str(ddf_printer *p, const char *s, size_t len)
{
    char quote = '\'';

    if (memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL)
        quote = '"';
    ddf_fmt_putc(p, quote);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ddf_fmt_utf8_next(s + i, len - i, &cp);

        if (n == 0) {
            ddf_fmt_printf(p, "\\x%02x", (unsigned char)s[i]);
            i++;
            continue;
        }
        if (cp == (uint32_t)quote || cp == '\\') {
            ddf_fmt_putc(p, '\\');
            ddf_fmt_putc(p, (char)cp);
        } else if (cp == '\t') {
            ddf_fmt_puts(p, "\\t");
        } else if (cp == '\n') {
            ddf_fmt_puts(p, "\\n");
        } else if (cp == '\r') {
            ddf_fmt_puts(p, "\\r");
        } else if (cp < 0x20 || cp == 0x7F) {
            ddf_fmt_printf(p, "\\x%02x", (unsigned)cp);
        } else if (cp >= 0x80 && py_unprintable(cp)) {
            if (cp < 0x100)
                ddf_fmt_printf(p, "\\x%02x", (unsigned)cp);
            else if (cp < 0x10000)
                ddf_fmt_printf(p, "\\u%04x", (unsigned)cp);
            else
                ddf_fmt_printf(p, "\\U%08x", (unsigned)cp);
        } else {
            ddf_fmt_put(p, s + i, n);
        }
        i += n;
    }
    ddf_fmt_putc(p, quote);
}

static void py_repr(ddf_printer *p, const ddf_scalar *v)
{
    if (v->dtype == DDF_DTYPE_STRING)
        py_repr_str(p, v->v.str.ptr, v->v.str.len);
    else
        ddf_fmt_py_str(p, v);
}

/* ---- pandas' Index repr ---- */

/* A growing string for the Index repr, which is laid out before it is written. */
typedef struct dstr {
    char *s;
    size_t len;
    size_t cap;
    bool oom;
} dstr;

static void ds_put(dstr *d, const char *s, size_t n)
{
    if (d->oom)
        return;
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;
        char *grown;

        while (cap < d->len + n + 1)
            cap *= 2;
        grown = ddf_realloc(d->s, cap);
        if (grown == NULL) {
            d->oom = true;
            return;
        }
        d->s = grown;
        d->cap = cap;
    }
    memcpy(d->s + d->len, s, n);
    d->len += n;
    d->s[d->len] = '\0';
}

static void ds_puts(dstr *d, const char *s)
{
    ds_put(d, s, strlen(s));
}

/* Width of d[from..) without its trailing whitespace: len(x.rstrip()). */
static size_t ds_rstrip_width(const dstr *d, size_t from)
{
    size_t end = d->len;

    while (end > from && (d->s[end - 1] == ' ' || d->s[end - 1] == '\n'))
        end--;
    return ddf_fmt_width(d->s + from, end - from);
}

static void ds_rstrip(dstr *d)
{
    while (d->len > 0 && (d->s[d->len - 1] == ' ' || d->s[d->len - 1] == '\n'))
        d->len--;
    if (d->s)
        d->s[d->len] = '\0';
}

/* pandas' default_pprint of a string: quoted, with \t \r \n escaped (nothing else). */
static void ds_quoted(dstr *d, const ddf_scalar *v)
{
    ds_put(d, "'", 1);
    for (size_t i = 0; i < v->v.str.len; i++) {
        char c = v->v.str.ptr[i];

        if (c == '\t')
            ds_puts(d, "\\t");
        else if (c == '\r')
            ds_puts(d, "\\r");
        else if (c == '\n')
            ds_puts(d, "\\n");
        else
            ds_put(d, &c, 1);
    }
    ds_put(d, "'", 1);
}

#define INDEX_SPACE2 "\n       " /* a new line of values, under "Index([" */
#define INDEX_SPACE1 "\n      "  /* a new line of attributes, under "Index(" */
#define INDEX_MAX_SEQ 100        /* display.max_seq_items */

/* format_object_summary's _extend_line: append 'word' to the current line (summary
 * [line..)), starting a new line first when it would reach 'width'. */
static void extend_line(dstr *d, size_t *line, const char *word, size_t wlen, size_t width)
{
    dstr w = {(char *)word, wlen, 0, false};

    if (ds_rstrip_width(d, *line) + ds_rstrip_width(&w, 0) >= width) {
        ds_rstrip(d);
        *line = d->len;
        ds_puts(d, INDEX_SPACE2);
    }
    ds_put(d, word, wlen);
}

/* pandas.io.formats.printing.format_object_summary for an Index of strings (no
 * justification, one line break per display line), then Index.__repr__'s attributes. */
static int index_repr(ddf_printer *p, const ddf_scalar *items, size_t n, ddf_error *err)
{
    dstr d = {0}, word = {0};
    bool truncated = n > INDEX_MAX_SEQ;
    size_t line, nhead = truncated ? 10 : 0, tail_from = truncated ? n - 10 : 0;
    int rc = DDF_OK;

    ds_puts(&d, "Index(");
    if (n == 0) {
        ds_puts(&d, "[], ");
    } else if (n <= 2) {
        ds_puts(&d, "[");
        ds_quoted(&d, &items[0]);
        if (n == 2) {
            ds_puts(&d, ", ");
            ds_quoted(&d, &items[1]);
        }
        ds_puts(&d, "], ");
    } else {
        size_t summary = d.len; /* the summary starts with INDEX_SPACE2, cut at the end */

        ds_puts(&d, INDEX_SPACE2);
        line = summary;
        for (size_t i = 0; i < n; i++) {
            bool last = i == n - 1;

            if (i >= nhead && i < tail_from)
                continue;
            word.len = 0;
            ds_quoted(&word, &items[i]);
            if (!last)
                ds_puts(&word, ", ");
            if (word.oom)
                break;
            extend_line(&d, &line, word.s, word.len, last ? DDF_FORMAT_WIDTH - 2
                                                           : DDF_FORMAT_WIDTH);
            if (truncated && i == nhead - 1) {
                ds_rstrip(&d);
                ds_puts(&d, INDEX_SPACE2 "...");
                line = d.len;
                ds_puts(&d, INDEX_SPACE2);
            }
        }
        ds_puts(&d, "],");
        if (!d.oom && ddf_fmt_width(d.s + summary, d.len - summary) > DDF_FORMAT_WIDTH)
            ds_puts(&d, INDEX_SPACE1);
        else
            ds_puts(&d, " ");
        /* "[" + summary[len(space2):] */
        if (!d.oom) {
            memmove(d.s + summary + 1, d.s + summary + strlen(INDEX_SPACE2),
                    d.len - summary - strlen(INDEX_SPACE2) + 1);
            d.s[summary] = '[';
            d.len -= strlen(INDEX_SPACE2) - 1;
        }
    }
    ds_puts(&d, "dtype='object'");
    if (truncated) {
        char buf[48];

        snprintf(buf, sizeof buf, ", length=%zu", n);
        ds_puts(&d, buf);
    }
    ds_puts(&d, ")");
    if (d.oom || word.oom)
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory printing a list of %zu items", n);
    else
        ddf_fmt_put(p, d.s, d.len);
    ddf_free(word.s);
    ddf_free(d.s);
    return rc;
}

int ddf_fmt_table_list(ddf_printer *p, const ddf_scalar *items, size_t n, unsigned flags,
                       ddf_error *err)
{
    if (flags & DDF_LIST_INDEX) {
        bool strings = true;

        for (size_t i = 0; i < n && strings; i++)
            strings = items[i].dtype == DDF_DTYPE_STRING;
        if (strings)
            return index_repr(p, items, n, err);
    }
    ddf_fmt_putc(p, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            ddf_fmt_puts(p, ", ");
        py_repr(p, &items[i]);
    }
    ddf_fmt_putc(p, ']');
    return DDF_OK;
}

size_t ddf_format_repr_double(double x, char out[DDF_FORMAT_REPR_BYTES])
{
    return ddf_fmt_repr_double(x, out);
}
