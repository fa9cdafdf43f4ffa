/* script_lex.c - the tokenizer of the ddf script language (rules in script_lex.h).
 *
 * One token per call, straight from the source bytes; no token array is built, so memory
 * stays proportional to the decoded strings whatever the number of tokens. State between
 * calls is the indentation stack, the open brackets (implicit line joining, and matching
 * ')' against '('), and whether the current logical line owes a NEWLINE.
 *
 * Places: the lexer keeps the line number and the offset where that line starts, so a
 * token's column is a subtraction. Tokens that span lines (triple-quoted strings, a
 * backslash-continued string) recount the lines they cover once they end; an error inside
 * one finds its line by counting from the token's own line (place_at).
 *
 * A string literal is scanned twice: once to find where it ends (so its decoded copy is
 * allocated at the literal's size, never at the size of the rest of the source), once to
 * decode it. Decoding never grows the text (each escape is at least as long as its UTF-8). */
#include "script_lex.h"

#include "error.h"
#include "numparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A tab advances indentation to the next multiple of this, as in Python. */
#define TAB_WIDTH 8

static const char *const punct_texts[] = {
#define DDF_SCRIPT_PUNCT_TEXT(name, text) text,
    DDF_SCRIPT_PUNCT_MAP(DDF_SCRIPT_PUNCT_TEXT)
#undef DDF_SCRIPT_PUNCT_TEXT
};

const char *ddf_script_punct_text(ddf_script_punct punct)
{
    if ((unsigned)punct >= DDF_SCRIPT_P_COUNT)
        return "?";
    return punct_texts[punct];
}

bool ddf_script_is_keyword(const char *s, size_t len)
{
    static const char *const keywords[] = {
        "False", "None",   "True",    "and",      "as",       "assert", "async",
        "await", "break",  "class",   "continue", "def",      "del",    "elif",
        "else",  "except", "finally", "for",      "from",     "global", "if",
        "import", "in",    "is",      "lambda",   "nonlocal", "not",    "or",
        "pass",  "raise",  "return",  "try",      "while",    "with",   "yield",
    };
    for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
        if (strlen(keywords[k]) == len && memcmp(keywords[k], s, len) == 0)
            return true;
    return false;
}

ddf_script_pos ddf_script_lex_pos_at(const ddf_script_lexer *lx, size_t offset)
{
    ddf_script_pos p = {1, 1, 0};
    size_t from = 0;

    if (offset > lx->len)
        offset = lx->len;
    /* Count from the current line when we can: errors are almost always on it. */
    if (offset >= lx->line_start) {
        p.line = lx->line;
        from = lx->line_start;
    }
    for (size_t k = from; k < offset; k++) {
        if (lx->src[k] == '\n') {
            p.line++;
            from = k + 1;
        }
    }
    p.column = (int)(offset - from) + 1;
    p.offset = offset;
    return p;
}

/* The place of 'offset' on the current line (offset >= line_start). */
static ddf_script_pos here(const ddf_script_lexer *lx, size_t offset)
{
    ddf_script_pos p;

    p.line = lx->line;
    p.column = (int)(offset - lx->line_start) + 1;
    p.offset = offset;
    return p;
}

/* Fail at 'offset' with 'code' and a message; the lexer stays failed. Returns 'code'. */
static int lex_fail(ddf_script_lexer *lx, int code, size_t offset, bool incomplete,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int lex_fail(ddf_script_lexer *lx, int code, size_t offset, bool incomplete,
                    const char *fmt, ...)
{
    va_list ap;
    ddf_script_pos p = ddf_script_lex_pos_at(lx, offset);

    va_start(ap, fmt);
    vsnprintf(lx->err.message, sizeof(lx->err.message), fmt, ap);
    va_end(ap);
    lx->err.code = code;
    lx->err.line = p.line;
    lx->err.column = p.column;
    lx->err.offset = p.offset;
    lx->err.incomplete = incomplete;
    lx->failed = true;
    return code;
}

static int no_memory(ddf_script_lexer *lx)
{
    int rc = lex_fail(lx, DDF_ENOMEM, lx->pos, false, "out of memory while parsing the script");
    lx->err.line = lx->err.column = 0;
    return rc;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong forms,
 * surrogates and code points past U+10FFFF are invalid, as in Python's decoder). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < need + 1 || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k <= need; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return need + 1;
}

int ddf_script_lex_init(ddf_script_lexer *lx, const char *src, size_t len, ddf_arena *arena)
{
    const unsigned char *u = (const unsigned char *)src;
    size_t k;

    memset(lx, 0, sizeof(*lx));
    lx->src = src ? src : "";
    lx->len = src ? len : 0;
    lx->arena = arena;
    lx->line = 1;
    lx->at_line_start = true;
    if (lx->len > DDF_SCRIPT_MAX_SOURCE_BYTES) {
        /* Place it at the first byte past the limit, which the renderer can show. */
        lx->len = DDF_SCRIPT_MAX_SOURCE_BYTES;
        return lex_fail(lx, DDF_ETOOBIG, 0, false,
                        "script of %zu bytes is over the %u-byte limit", len,
                        DDF_SCRIPT_MAX_SOURCE_BYTES);
    }
    for (k = 0; k < lx->len;) {
        size_t n;

        if (u[k] == 0)
            return lex_fail(lx, DDF_EPARSE, k, false, "the script contains a NUL byte");
        n = utf8_len(u + k, lx->len - k);
        if (n == 0)
            return lex_fail(lx, DDF_EPARSE, k, false,
                            "invalid UTF-8 byte 0x%02x (scripts are UTF-8 text)", u[k]);
        k += n;
    }
    /* A REPL ends a block with an empty line: "...\n" then a whitespace-only line "\n". */
    if (lx->len > 0 && lx->src[lx->len - 1] == '\n') {
        k = lx->len - 1;
        while (k > 0 && (lx->src[k - 1] == ' ' || lx->src[k - 1] == '\t' ||
                         lx->src[k - 1] == '\r' || lx->src[k - 1] == '\f'))
            k--;
        lx->ends_with_blank_line = k == 0 || lx->src[k - 1] == '\n';
    }
    if (lx->len >= 3 && memcmp(lx->src, "\xef\xbb\xbf", 3) == 0)
        lx->pos = 3; /* the byte order mark some editors write: not part of the text */
    return DDF_OK;
}

bool ddf_script_lex_open_bracket(const ddf_script_lexer *lx, char *which, ddf_script_pos *pos)
{
    if (lx->nbrackets == 0)
        return false;
    *which = lx->brackets[lx->nbrackets - 1];
    *pos = lx->bracket_pos[lx->nbrackets - 1];
    return true;
}

static bool is_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_char(unsigned char c)
{
    return is_name_start(c) || is_digit(c);
}

static int digit_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Account for the lines of [from, to), which the lexer has just passed over. */
static void count_lines(ddf_script_lexer *lx, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        if (lx->src[k] == '\n') {
            lx->line++;
            lx->line_start = k + 1;
        }
    }
}

/* ---- numbers ----------------------------------------------------------------------------- */

/* Skip the digits of 'base' at *i, with single underscores between digits (Python's
 * 1_000). Returns how many digits, or -1 after setting the error for a misplaced '_'. */
static long scan_digits(ddf_script_lexer *lx, size_t *i, int base)
{
    const char *t = lx->src;
    long n = 0;

    while (*i < lx->len) {
        unsigned char c = (unsigned char)t[*i];
        if (c == '_') {
            if (n == 0 || *i + 1 >= lx->len || digit_value((unsigned char)t[*i + 1]) >= base) {
                lex_fail(lx, DDF_EPARSE, *i, false,
                         "invalid number: '_' must separate two digits");
                return -1;
            }
            (*i)++;
            continue;
        }
        if (digit_value(c) >= base)
            break;
        n++;
        (*i)++;
    }
    return n;
}

/* Whether the 'n' digit bytes at 's' (underscores skipped) in 'base' fit int64; sets *v
 * and *int_min (exactly 2^63). */
static bool to_int64(const char *s, size_t n, int base, int64_t *v, bool *int_min)
{
    uint64_t acc = 0, limit = (uint64_t)INT64_MAX + 1;

    for (size_t k = 0; k < n; k++) {
        int d = digit_value((unsigned char)s[k]);
        if (s[k] == '_')
            continue;
        /* acc * base + d <= 2^63, checked without overflowing a uint64_t */
        if (acc > (limit - (uint64_t)d) / (uint64_t)base)
            return false;
        acc = acc * (uint64_t)base + (uint64_t)d;
    }
    *int_min = acc == limit;
    *v = *int_min ? INT64_MIN : (int64_t)acc;
    return true;
}

/* After a number: a letter or digit glued to it is a malformed literal, not two tokens. */
static int check_number_end(ddf_script_lexer *lx, size_t i)
{
    unsigned char c;

    if (i >= lx->len)
        return DDF_OK;
    c = (unsigned char)lx->src[i];
    if (c == 'j' || c == 'J')
        return lex_fail(lx, DDF_EPARSE, i, false,
                        "complex numbers ('1j') are not supported in ddf scripts");
    if (is_name_char(c)) {
        if (c < 0x80)
            return lex_fail(lx, DDF_EPARSE, i, false, "invalid character '%c' in number", c);
        return lex_fail(lx, DDF_EPARSE, i, false, "invalid character in number");
    }
    return DDF_OK;
}

static int int_too_big(ddf_script_lexer *lx, size_t start, size_t end)
{
    int n = (int)(end - start > 40 ? 40 : end - start);
    return lex_fail(lx, DDF_EPARSE, start, false,
                    "integer literal %.*s%s does not fit in int64 (ddf integers are 64-bit)", n,
                    lx->src + start, end - start > 40 ? "..." : "");
}

/* 0x.. 0o.. 0b.. at 'start'. */
static int lex_based_int(ddf_script_lexer *lx, ddf_script_token *tok, size_t start)
{
    char k = (char)(lx->src[start + 1] | 0x20);
    int base = k == 'x' ? 16 : k == 'o' ? 8 : 2;
    const char *what = k == 'x' ? "hexadecimal" : k == 'o' ? "octal" : "binary";
    size_t i = start + 2;
    long n;

    /* Python allows one '_' right after the prefix: 0x_ff. */
    if (i + 1 < lx->len && lx->src[i] == '_' && digit_value((unsigned char)lx->src[i + 1]) < base)
        i++;
    n = scan_digits(lx, &i, base);
    if (n < 0)
        return lx->err.code;
    if (i < lx->len && is_digit((unsigned char)lx->src[i]))
        return lex_fail(lx, DDF_EPARSE, i, false, "invalid digit '%c' in %s literal",
                        lx->src[i], what);
    if (n == 0)
        return lex_fail(lx, DDF_EPARSE, start, false, "invalid %s literal: no digits", what);
    if (check_number_end(lx, i) < 0)
        return lx->err.code;
    if (!to_int64(lx->src + start + 2, i - start - 2, base, &tok->i, &tok->int_min))
        return int_too_big(lx, start, i);
    tok->kind = DDF_SCRIPT_TOK_INT;
    tok->len = i - start;
    lx->pos = i;
    return DDF_OK;
}

/* A number at 'start': Python's decimal integers and floats (see script_lex.h). */
static int lex_number(ddf_script_lexer *lx, ddf_script_token *tok, size_t start)
{
    const char *t = lx->src;
    size_t i = start;
    bool is_float = false;
    long n;

    if (t[i] == '0' && i + 1 < lx->len && strchr("xXoObB", t[i + 1]) != NULL && t[i + 1])
        return lex_based_int(lx, tok, start);
    if ((n = scan_digits(lx, &i, 10)) < 0)
        return lx->err.code;
    if (i < lx->len && t[i] == '.') {
        is_float = true;
        i++;
        if (i < lx->len && is_digit((unsigned char)t[i]) && scan_digits(lx, &i, 10) < 0)
            return lx->err.code;
    }
    if (i < lx->len && (t[i] == 'e' || t[i] == 'E')) {
        size_t e = i;
        i++;
        if (i < lx->len && (t[i] == '+' || t[i] == '-'))
            i++;
        if (i >= lx->len || !is_digit((unsigned char)t[i]))
            return lex_fail(lx, DDF_EPARSE, e, false, "invalid number: exponent has no digits");
        if (scan_digits(lx, &i, 10) < 0)
            return lx->err.code;
        is_float = true;
    }
    if (check_number_end(lx, i) < 0)
        return lx->err.code;
    if (i - start > DDF_SCRIPT_MAX_TOKEN_BYTES)
        return lex_fail(lx, DDF_ETOOBIG, start, false, "number literal is over the %u-byte limit",
                        DDF_SCRIPT_MAX_TOKEN_BYTES);
    tok->len = i - start;
    lx->pos = i;
    if (!is_float) {
        /* "0", "00" are zero; "007" is the octal of Python 2, an error in Python 3. */
        size_t k = start;
        while (k < i && (t[k] == '0' || t[k] == '_'))
            k++;
        if (t[start] == '0' && k < i)
            return lex_fail(lx, DDF_EPARSE, start, false,
                            "leading zeros in decimal integer literals are not permitted; "
                            "use 0o for an octal integer");
        if (!to_int64(t + start, i - start, 10, &tok->i, &tok->int_min))
            return int_too_big(lx, start, i);
        tok->kind = DDF_SCRIPT_TOK_INT;
        return DDF_OK;
    }
    {
        char small[128], *buf = small;
        size_t m = 0;

        if (i - start >= sizeof(small) && !(buf = ddf_arena_alloc(lx->arena, i - start + 1)))
            return no_memory(lx);
        for (size_t k = start; k < i; k++)
            if (t[k] != '_')
                buf[m++] = t[k];
        if (!ddf_parse_f64(buf, m, &tok->f))
            /* unreachable: the scan above accepted only float spellings */
            return lex_fail(lx, DDF_EPARSE, start, false, "invalid float literal");
        tok->kind = DDF_SCRIPT_TOK_FLOAT;
    }
    return DDF_OK;
}

/* ---- strings ----------------------------------------------------------------------------- */

/* Append code point 'cp' (< 0x110000, not a surrogate) as UTF-8. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decode the escape whose backslash is at t[*i] (body ends at 'end') into out + *n. */
static int decode_escape(ddf_script_lexer *lx, size_t *i, size_t end, char *out, size_t *n)
{
    const char *t = lx->src;
    size_t at = *i;
    char c = t[at + 1]; /* the literal's end was found past it: at + 1 < end */
    int ndigits = 0;
    uint32_t cp = 0;

    switch (c) {
    case '\n': *i = at + 2; return DDF_OK; /* backslash-newline: the line continues */
    case '\r':
        *i = at + 2 + (at + 2 < end && t[at + 2] == '\n');
        return DDF_OK;
    case '\\': out[(*n)++] = '\\'; break;
    case '\'': out[(*n)++] = '\''; break;
    case '"': out[(*n)++] = '"'; break;
    case 'n': out[(*n)++] = '\n'; break;
    case 't': out[(*n)++] = '\t'; break;
    case 'r': out[(*n)++] = '\r'; break;
    case 'a': out[(*n)++] = '\a'; break;
    case 'b': out[(*n)++] = '\b'; break;
    case 'f': out[(*n)++] = '\f'; break;
    case 'v': out[(*n)++] = '\v'; break;
    case 'x': ndigits = 2; break;
    case 'u': ndigits = 4; break;
    case 'U': ndigits = 8; break;
    case 'N':
        return lex_fail(lx, DDF_EPARSE, at, false,
                        "\\N{...} escapes are not supported in ddf scripts");
    default:
        if (c >= '0' && c <= '7') {
            size_t k = at + 1;
            while (k < end && k < at + 4 && t[k] >= '0' && t[k] <= '7')
                cp = cp * 8 + (uint32_t)(t[k++] - '0');
            *n += put_utf8(out + *n, cp);
            *i = k;
            return DDF_OK;
        }
        /* Unknown escapes keep their backslash, as in Python: "\d+" is a regex. */
        out[(*n)++] = '\\';
        *i = at + 1;
        return DDF_OK;
    }
    if (ndigits == 0) {
        *i = at + 2;
        return DDF_OK;
    }
    for (int k = 0; k < ndigits; k++) {
        size_t j = at + 2 + (size_t)k;
        int d = j < end ? digit_value((unsigned char)t[j]) : 99;
        if (d >= 16)
            return lex_fail(lx, DDF_EPARSE, at, false,
                            "invalid \\%c escape: expected %d hex digits", c, ndigits);
        cp = cp * 16 + (uint32_t)d;
    }
    if (cp > 0x10ffff)
        return lex_fail(lx, DDF_EPARSE, at, false,
                        "invalid \\%c escape: U+%X is past the last code point U+10FFFF", c,
                        (unsigned)cp);
    if (cp >= 0xd800 && cp <= 0xdfff)
        return lex_fail(lx, DDF_EPARSE, at, false,
                        "invalid \\%c escape: surrogate U+%04X cannot be encoded as UTF-8", c,
                        (unsigned)cp);
    *n += put_utf8(out + *n, cp);
    *i = at + 2 + (size_t)ndigits;
    return DDF_OK;
}

/* A string literal whose prefix starts at 'start' and quote is at 'q'. */
static int lex_string(ddf_script_lexer *lx, ddf_script_token *tok, size_t start, size_t q,
                      bool raw)
{
    const char *t = lx->src;
    char quote = t[q];
    bool triple = q + 2 < lx->len && t[q + 1] == quote && t[q + 2] == quote;
    size_t body = q + (triple ? 3 : 1), i = body, end;
    bool continued = false; /* the last thing passed was a backslash-newline */
    char *out;
    size_t n = 0;

    /* Pass 1: find the closing quote. */
    for (;;) {
        if (i >= lx->len) {
            if (triple)
                return lex_fail(lx, DDF_EPARSE, start, true,
                                "unterminated triple-quoted string literal");
            return lex_fail(lx, DDF_EPARSE, start, continued, "unterminated string literal");
        }
        if (t[i] == '\\') {
            if (i + 1 >= lx->len)
                return lex_fail(lx, DDF_EPARSE, start, true,
                                "unterminated string literal (input ends after '\\')");
            continued = t[i + 1] == '\n' ||
                        (t[i + 1] == '\r' && i + 2 < lx->len && t[i + 2] == '\n');
            i += 2 + (t[i + 1] == '\r' && continued);
            continue;
        }
        continued = false;
        if (t[i] == '\n' && !triple)
            return lex_fail(lx, DDF_EPARSE, start, false,
                            "unterminated string literal (a line ends inside it; use \\n or "
                            "a triple-quoted string)");
        if (t[i] == quote &&
            (!triple || (i + 2 < lx->len && t[i + 1] == quote && t[i + 2] == quote)))
            break;
        i++;
    }
    end = i;
    i = end + (triple ? 3 : 1);
    if (i - start > DDF_SCRIPT_MAX_TOKEN_BYTES)
        return lex_fail(lx, DDF_ETOOBIG, start, false,
                        "string literal is over the %u-byte limit", DDF_SCRIPT_MAX_TOKEN_BYTES);
    /* Pass 2: decode [body, end). */
    if (!(out = ddf_arena_alloc(lx->arena, end - body + 1)))
        return no_memory(lx);
    for (size_t k = body; k < end;) {
        if (t[k] == '\r' && k + 1 < end && t[k + 1] == '\n') {
            k++; /* a CRLF line break inside the literal is "\n", as Python reads files */
            continue;
        }
        if (t[k] == '\\' && !raw) {
            if (decode_escape(lx, &k, end, out, &n) < 0)
                return lx->err.code;
            continue;
        }
        if (t[k] == '\\') {
            /* raw: the backslash stays and protects the next character from ending the
             * literal; both are copied */
            out[n++] = t[k++];
        }
        out[n++] = t[k++];
    }
    out[n] = '\0';
    tok->kind = DDF_SCRIPT_TOK_STRING;
    tok->len = i - start;
    tok->s = out;
    tok->slen = n;
    count_lines(lx, start, i);
    lx->pos = i;
    return DDF_OK;
}

/* Which string prefix the name [start, start + n) is, when a quote follows it:
 * 0 none, 'r' raw, 'u' plain, 'f' an f-string, 'b' bytes. */
static char string_prefix(const char *s, size_t n)
{
    bool r = false, f = false, b = false, u = false;

    if (n == 0 || n > 2)
        return 0;
    for (size_t k = 0; k < n; k++) {
        switch (s[k] | 0x20) {
        case 'r': if (r) return 0; r = true; break;
        case 'f': if (f || b) return 0; f = true; break;
        case 'b': if (f || b) return 0; b = true; break;
        case 'u': if (n > 1) return 0; u = true; break;
        default: return 0;
        }
    }
    return f ? 'f' : b ? 'b' : r ? 'r' : u ? 'u' : 0;
}

/* ---- operators --------------------------------------------------------------------------- */

static int lex_punct(ddf_script_lexer *lx, ddf_script_token *tok, size_t start)
{
    size_t best_len = 0;
    int best = -1;

    for (int k = 0; k < DDF_SCRIPT_P_COUNT; k++) {
        size_t n = strlen(punct_texts[k]);
        if (n > best_len && lx->len - start >= n &&
            memcmp(lx->src + start, punct_texts[k], n) == 0) {
            best = k;
            best_len = n;
        }
    }
    if (best < 0) {
        unsigned char c = (unsigned char)lx->src[start];
        if (c == '!')
            return lex_fail(lx, DDF_EPARSE, start, false,
                            "unexpected character '!' (use 'not' to negate, '!=' to compare)");
        if (c >= 0x20 && c < 0x7f)
            return lex_fail(lx, DDF_EPARSE, start, false, "unexpected character '%c'", c);
        return lex_fail(lx, DDF_EPARSE, start, false, "unexpected byte 0x%02x", c);
    }
    tok->kind = DDF_SCRIPT_TOK_OP;
    tok->punct = (ddf_script_punct)best;
    tok->len = best_len;
    lx->pos = start + best_len;
    /* Brackets: implicit line joining and matching. */
    if (best == DDF_SCRIPT_P_LPAREN || best == DDF_SCRIPT_P_LBRACKET ||
        best == DDF_SCRIPT_P_LBRACE) {
        if (lx->nbrackets >= DDF_SCRIPT_MAX_BRACKETS)
            return lex_fail(lx, DDF_ETOOBIG, start, false,
                            "brackets nest deeper than %d levels", DDF_SCRIPT_MAX_BRACKETS);
        lx->brackets[lx->nbrackets] = lx->src[start];
        lx->bracket_pos[lx->nbrackets++] = tok->pos;
    } else if (best == DDF_SCRIPT_P_RPAREN || best == DDF_SCRIPT_P_RBRACKET ||
               best == DDF_SCRIPT_P_RBRACE) {
        char close = lx->src[start];
        char open = close == ')' ? '(' : close == ']' ? '[' : '{';
        if (lx->nbrackets == 0)
            return lex_fail(lx, DDF_EPARSE, start, false, "unmatched '%c'", close);
        if (lx->brackets[lx->nbrackets - 1] != open) {
            ddf_script_pos o = lx->bracket_pos[lx->nbrackets - 1];
            return lex_fail(lx, DDF_EPARSE, start, false,
                            "closing '%c' does not match the '%c' on line %d, column %d", close,
                            lx->brackets[lx->nbrackets - 1], o.line, o.column);
        }
        lx->nbrackets--;
    }
    return DDF_OK;
}

/* ---- layout ------------------------------------------------------------------------------ */

static int inconsistent_tabs(ddf_script_lexer *lx, size_t at)
{
    return lex_fail(lx, DDF_EPARSE, at, false,
                    "inconsistent use of tabs and spaces in indentation");
}

/* At the start of a logical line outside brackets: measure the indentation and compare it
 * with the stack. Returns 1 with an INDENT or DEDENT in *tok, 0 when the level is unchanged
 * or the line is blank (then the caller reads on), or a negative code. */
static int indentation(ddf_script_lexer *lx, ddf_script_token *tok)
{
    const char *t = lx->src;
    size_t i = lx->pos;
    int col = 0, alt = 0, top, alt_top;

    while (i < lx->len) {
        if (t[i] == ' ') {
            col++;
            alt++;
        } else if (t[i] == '\t') {
            col = (col / TAB_WIDTH + 1) * TAB_WIDTH;
            alt++;
        } else if (t[i] == '\f') {
            col = alt = 0; /* Python resets the count at a form feed */
        } else if (t[i] != '\r') {
            break;
        }
        i++;
    }
    lx->pos = i;
    if (i >= lx->len) {
        lx->at_line_start = false; /* end of input: the caller emits what is due */
        return 0;
    }
    if (t[i] == '#' || t[i] == '\n')
        return 0; /* blank or comment-only: no tokens, no indentation */
    lx->at_line_start = false;
    top = lx->indents[lx->nindents];
    alt_top = lx->alt_indents[lx->nindents];
    tok->pos = here(lx, i);
    if (col == top) {
        if (alt != alt_top)
            return inconsistent_tabs(lx, i);
        return 0;
    }
    if (col > top) {
        if (alt <= alt_top)
            return inconsistent_tabs(lx, i);
        if (lx->nindents >= DDF_SCRIPT_MAX_DEPTH)
            return lex_fail(lx, DDF_ETOOBIG, i, false,
                            "too many levels of indentation (the limit is %d)",
                            DDF_SCRIPT_MAX_DEPTH);
        lx->nindents++;
        lx->indents[lx->nindents] = col;
        lx->alt_indents[lx->nindents] = alt;
        tok->kind = DDF_SCRIPT_TOK_INDENT;
        return 1;
    }
    {
        int n = 0;
        while (lx->nindents > 0 && col < lx->indents[lx->nindents]) {
            lx->nindents--;
            n++;
        }
        if (col != lx->indents[lx->nindents])
            return lex_fail(lx, DDF_EPARSE, i, false,
                            "unindent does not match any outer indentation level");
        if (alt != lx->alt_indents[lx->nindents])
            return inconsistent_tabs(lx, i);
        lx->pending_dedents = n - 1;
        lx->pending_pos = tok->pos;
        tok->kind = DDF_SCRIPT_TOK_DEDENT;
        return 1;
    }
}

/* End of input: a NEWLINE if one is due, then DEDENTs, then EOF. */
static int at_end(ddf_script_lexer *lx, ddf_script_token *tok)
{
    tok->pos = here(lx, lx->len);
    if (lx->nbrackets > 0) {
        tok->kind = DDF_SCRIPT_TOK_EOF; /* the parser says which bracket is still open */
    } else if (lx->line_has_tokens) {
        lx->line_has_tokens = false;
        tok->kind = DDF_SCRIPT_TOK_NEWLINE;
    } else if (lx->nindents > 0) {
        lx->nindents--;
        tok->kind = DDF_SCRIPT_TOK_DEDENT;
    } else {
        tok->kind = DDF_SCRIPT_TOK_EOF;
    }
    return DDF_OK;
}

static int error_token(ddf_script_lexer *lx, ddf_script_token *tok)
{
    memset(tok, 0, sizeof(*tok));
    tok->kind = DDF_SCRIPT_TOK_ERROR;
    tok->pos.line = lx->err.line;
    tok->pos.column = lx->err.column;
    tok->pos.offset = lx->err.offset;
    return lx->err.code;
}

/* One token starting at lx->pos, which is not whitespace, a comment or a line break. */
static int lex_token(ddf_script_lexer *lx, ddf_script_token *tok)
{
    const char *t = lx->src;
    size_t start = lx->pos, i = start;
    unsigned char c = (unsigned char)t[start];

    tok->pos = here(lx, start);
    if (is_name_start(c)) {
        char prefix;
        while (i < lx->len && is_name_char((unsigned char)t[i]))
            i++;
        if (i < lx->len && (t[i] == '\'' || t[i] == '"') &&
            (prefix = string_prefix(t + start, i - start)) != 0) {
            if (prefix == 'f')
                return lex_fail(lx, DDF_EPARSE, start, false,
                                "f-strings are not supported in ddf scripts");
            if (prefix == 'b')
                return lex_fail(lx, DDF_EPARSE, start, false,
                                "bytes literals are not supported in ddf scripts");
            return lex_string(lx, tok, start, i, prefix == 'r');
        }
        if (i - start > DDF_SCRIPT_MAX_TOKEN_BYTES)
            return lex_fail(lx, DDF_ETOOBIG, start, false, "name is over the %u-byte limit",
                            DDF_SCRIPT_MAX_TOKEN_BYTES);
        tok->kind = DDF_SCRIPT_TOK_NAME;
        tok->s = t + start;
        tok->slen = tok->len = i - start;
        lx->pos = i;
        return DDF_OK;
    }
    if (is_digit(c) || (c == '.' && start + 1 < lx->len && is_digit((unsigned char)t[start + 1])))
        return lex_number(lx, tok, start);
    if (c == '\'' || c == '"')
        return lex_string(lx, tok, start, start, false);
    return lex_punct(lx, tok, start);
}

int ddf_script_lex_next(ddf_script_lexer *lx, ddf_script_token *tok)
{
    const char *t = lx->src;
    int rc;

    memset(tok, 0, sizeof(*tok));
    if (lx->failed)
        return error_token(lx, tok);
    if (lx->pending_dedents > 0) {
        lx->pending_dedents--;
        tok->kind = DDF_SCRIPT_TOK_DEDENT;
        tok->pos = lx->pending_pos;
        return DDF_OK;
    }
    for (;;) {
        if (lx->at_line_start && lx->nbrackets == 0) {
            rc = indentation(lx, tok);
            if (rc < 0)
                return error_token(lx, tok);
            if (rc > 0)
                return DDF_OK;
        }
        while (lx->pos < lx->len && (t[lx->pos] == ' ' || t[lx->pos] == '\t' ||
                                     t[lx->pos] == '\f' || t[lx->pos] == '\r'))
            lx->pos++;
        if (lx->pos >= lx->len)
            return at_end(lx, tok);
        if (t[lx->pos] == '#') {
            while (lx->pos < lx->len && t[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (t[lx->pos] == '\n') {
            ddf_script_pos p = here(lx, lx->pos);
            lx->pos++;
            lx->line++;
            lx->line_start = lx->pos;
            if (lx->nbrackets > 0)
                continue; /* implicit line joining */
            lx->at_line_start = true;
            if (!lx->line_has_tokens)
                continue;
            lx->line_has_tokens = false;
            tok->kind = DDF_SCRIPT_TOK_NEWLINE;
            tok->pos = p;
            tok->len = 1;
            return DDF_OK;
        }
        if (t[lx->pos] == '\\') {
            size_t j = lx->pos + 1;
            if (j < lx->len && t[j] == '\r' && j + 1 < lx->len && t[j + 1] == '\n')
                j++;
            if (j >= lx->len || (t[j] == '\n' && j + 1 >= lx->len)) {
                lex_fail(lx, DDF_EPARSE, lx->pos, true,
                         "unexpected end of input after a line continuation '\\'");
                return error_token(lx, tok);
            }
            if (t[j] != '\n') {
                lex_fail(lx, DDF_EPARSE, lx->pos, false,
                         "unexpected character after a line continuation '\\'");
                return error_token(lx, tok);
            }
            lx->pos = j + 1;
            lx->line++;
            lx->line_start = lx->pos;
            continue;
        }
        if ((rc = lex_token(lx, tok)) < 0)
            return error_token(lx, tok);
        lx->line_has_tokens = true;
        return DDF_OK;
    }
}
