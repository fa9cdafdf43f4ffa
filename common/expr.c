/* expr.c - lexer and parser of the expression language (grammar in expr.h).
 *
 * A hand-written lexer produces one token at a time; a precedence-climbing parser builds
 * the tree in the caller's arena. The parser recurses only through prefix operators,
 * parentheses, calls and the right side of '**'; every such step counts against
 * DDF_MAX_EXPR_DEPTH, and every node records its depth, so left-assoc chains built by
 * loops ('a+a+a+...') are bounded too. Later passes (check, format, eval) recurse over a
 * tree whose depth is therefore at most DDF_MAX_EXPR_DEPTH. Text is bounded by
 * DDF_MAX_EXPR_BYTES before anything is allocated. Also here: formatting a tree back to
 * text and rendering an error with a caret. */
#include "expr.h"
#include "expr_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_kind {
    T_EOF,
    T_INT,
    T_FLOAT,
    T_STRING,
    T_NAME,   /* identifier, keywords included */
    T_QNAME,  /* `back quoted` */
    T_OP,     /* operator or punctuation; 'text'/'len' say which */
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t off;        /* byte offset of the first character */
    size_t len;        /* bytes of source text */
    const char *s;     /* T_STRING/T_QNAME: decoded value in the arena; else the source */
    size_t slen;       /* bytes in 's' */
    int64_t i;         /* T_INT */
    double f;          /* T_FLOAT */
    int min_magnitude; /* T_INT spelling 2^63: valid only negated, as INT64_MIN ('i') */
} token;

typedef struct parser {
    const char *text;  /* source, 'len' bytes */
    size_t len;
    size_t pos;        /* next byte to lex */
    token tok;         /* current token */
    unsigned depth;    /* current recursion depth */
    ddf_arena *arena;
    ddf_error *err;
} parser;

static const char *const func_names[] = {
#define DDF_EXPR_FUNC_TEXT(name, text) text,
    DDF_EXPR_FUNC_MAP(DDF_EXPR_FUNC_TEXT)
#undef DDF_EXPR_FUNC_TEXT
};

const char *ddf_expr_func_name(ddf_expr_func func)
{
    if ((unsigned)func >= DDF_EXPR_FN_COUNT)
        return "?";
    return func_names[func];
}

size_t ddf_expr_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                              size_t cap)
{
    size_t row[64 + 1];

    /* Only short names are worth suggesting; longer ones count as far apart. */
    if (alen > 64 || blen > 64)
        return cap + 1;
    if ((alen > blen ? alen - blen : blen - alen) > cap)
        return cap + 1;
    for (size_t j = 0; j <= blen; j++)
        row[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[blen] > cap ? cap + 1 : row[blen];
}

size_t ddf_expr_suggestion_score(const char *a, size_t alen, const char *name)
{
    size_t nlen = strlen(name);
    /* At most 2 edits, and fewer than either word is long: 'x' is not a typo of 'y',
     * nor 'q' of 'qty'. */
    size_t shorter = alen < nlen ? alen : nlen;
    size_t cap = shorter <= 2 ? shorter - (shorter > 0) : 2;
    size_t d;

    if (cap == 0)
        return (size_t)-1;
    d = ddf_expr_edit_distance(a, alen, name, nlen, cap);
    return d <= cap ? d : (size_t)-1;
}

/* Set a parse error at byte 'off'. Returns DDF_EPARSE. */
static int parse_error(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_error(parser *p, size_t off, const char *fmt, ...)
{
    va_list ap;
    char msg[DDF_ERROR_MSG_BYTES];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ddf_error_setf(p->err, DDF_EPARSE, "%s", msg);
    if (p->err)
        p->err->offset = (int64_t)off;
    return DDF_EPARSE;
}

static int no_memory(parser *p)
{
    ddf_error_setf(p->err, DDF_ENOMEM, "out of memory while parsing an expression");
    if (p->err)
        p->err->offset = -1;
    return DDF_ENOMEM;
}

static int is_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Lex a number starting at p->pos into p->tok. Python's forms: 123, 1_000, 1.5, .5, 1.,
 * 1e-3. An integer that does not fit int64 is an error, as pandas would make it object;
 * but 2^63 (9223372036854775808) lexes as a T_INT marked 'min_magnitude', because after a
 * minus sign it spells INT64_MIN: the parser folds the sign or reports the overflow. */
static int lex_number(parser *p)
{
    const char *t = p->text;
    size_t start = p->pos, i = p->pos;
    char buf[128];
    size_t n = 0;
    int is_float = 0;

    while (i < p->len && (is_digit((unsigned char)t[i]) || t[i] == '_'))
        i++;
    if (i < p->len && t[i] == '.') {
        is_float = 1;
        i++;
        while (i < p->len && (is_digit((unsigned char)t[i]) || t[i] == '_'))
            i++;
    }
    if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (t[j] == '+' || t[j] == '-'))
            j++;
        if (j < p->len && is_digit((unsigned char)t[j])) {
            is_float = 1;
            i = j;
            while (i < p->len && is_digit((unsigned char)t[i]))
                i++;
        }
    }
    if (i < p->len && (is_name_start((unsigned char)t[i]) || is_digit((unsigned char)t[i])))
        return parse_error(p, i, "invalid character '%c' in number", t[i]);
    for (size_t k = start; k < i; k++) {
        if (t[k] == '_')
            continue;
        if (n + 1 >= sizeof(buf))
            return parse_error(p, start, "number literal is too long");
        buf[n++] = t[k];
    }
    buf[n] = '\0';
    p->tok.kind = is_float ? T_FLOAT : T_INT;
    p->tok.off = start;
    p->tok.len = i - start;
    p->pos = i;
    errno = 0;
    if (is_float) {
        p->tok.f = strtod(buf, NULL);
    } else {
        long long v = strtoll(buf, NULL, 10);
        if (errno == ERANGE && v == LLONG_MAX) {
            errno = 0;
            unsigned long long u = strtoull(buf, NULL, 10);
            if (errno == ERANGE || u != (unsigned long long)INT64_MAX + 1)
                return parse_error(p, start, "integer literal %s does not fit in int64", buf);
            p->tok.min_magnitude = 1;
            v = INT64_MIN;
        }
        p->tok.i = v;
    }
    return DDF_OK;
}

/* Lex a quoted string ('...' or "...") or a `back quoted name`, decoding escapes
 * \\ \' \" \` \n \t \r \0 into an arena copy. Backquoted names take no escapes but the
 * backquote itself cannot appear in them. */
static int lex_quoted(parser *p, tok_kind kind)
{
    const char *t = p->text;
    char quote = t[p->pos];
    size_t start = p->pos, i = p->pos + 1, n = 0;
    char *out;

    /* The decoded text is never longer than the source. */
    out = ddf_arena_alloc(p->arena, p->len - start + 1);
    if (!out)
        return no_memory(p);
    for (;;) {
        if (i >= p->len)
            return parse_error(p, start, kind == T_QNAME ? "unterminated `name`"
                                                         : "unterminated string literal");
        char c = t[i];
        if (c == quote)
            break;
        if (c == '\\' && kind == T_STRING) {
            if (i + 1 >= p->len)
                return parse_error(p, start, "unterminated string literal");
            switch (t[i + 1]) {
            case '\\': c = '\\'; break;
            case '\'': c = '\''; break;
            case '"': c = '"'; break;
            case '`': c = '`'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '0': c = '\0'; break;
            default:
                return parse_error(p, i, "unknown escape '\\%c' in string literal", t[i + 1]);
            }
            i++;
        } else if (c == '\n' && kind == T_STRING) {
            return parse_error(p, start, "unterminated string literal");
        }
        out[n++] = c;
        i++;
    }
    out[n] = '\0';
    if (kind == T_QNAME && n == 0)
        return parse_error(p, start, "empty `name`");
    p->tok.kind = kind;
    p->tok.off = start;
    p->tok.len = i + 1 - start;
    p->tok.s = out;
    p->tok.slen = n;
    p->pos = i + 1;
    return DDF_OK;
}

/* Advance p->tok to the next token. */
static int next(parser *p)
{
    static const char *const ops[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*",
                                      "/",  "%",  "<",  ">",  "(",  ")",  "[", "]", ",",
                                      "&",  "|",  "~"};
    const char *t = p->text;

    while (p->pos < p->len && (t[p->pos] == ' ' || t[p->pos] == '\t' || t[p->pos] == '\n' ||
                               t[p->pos] == '\r'))
        p->pos++;
    memset(&p->tok, 0, sizeof(p->tok));
    p->tok.off = p->pos;
    if (p->pos >= p->len) {
        p->tok.kind = T_EOF;
        return DDF_OK;
    }
    unsigned char c = (unsigned char)t[p->pos];
    if (is_digit(c) || (c == '.' && p->pos + 1 < p->len && is_digit((unsigned char)t[p->pos + 1])))
        return lex_number(p);
    if (c == '\'' || c == '"')
        return lex_quoted(p, T_STRING);
    if (c == '`')
        return lex_quoted(p, T_QNAME);
    if (is_name_start(c)) {
        size_t i = p->pos;
        while (i < p->len && (is_name_start((unsigned char)t[i]) || is_digit((unsigned char)t[i])))
            i++;
        p->tok.kind = T_NAME;
        p->tok.s = t + p->pos;
        p->tok.slen = p->tok.len = i - p->pos;
        p->pos = i;
        return DDF_OK;
    }
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        size_t n = strlen(ops[k]);
        if (p->len - p->pos >= n && memcmp(t + p->pos, ops[k], n) == 0) {
            p->tok.kind = T_OP;
            p->tok.s = t + p->pos;
            p->tok.slen = p->tok.len = n;
            p->pos += n;
            return DDF_OK;
        }
    }
    if (c == '=')
        return parse_error(p, p->pos, "'=' is assignment; use '==' to compare");
    if (c >= 0x20 && c < 0x7f)
        return parse_error(p, p->pos, "unexpected character '%c'", c);
    return parse_error(p, p->pos, "unexpected byte 0x%02x", c);
}

/* Whether the current token is operator or keyword 'what'. */
static int is(const parser *p, const char *what)
{
    size_t n = strlen(what);
    return (p->tok.kind == T_OP || p->tok.kind == T_NAME) && p->tok.slen == n &&
           memcmp(p->tok.s, what, n) == 0;
}

/* A short description of the current token for messages. */
static int describe(const parser *p, char *buf, size_t cap)
{
    if (p->tok.kind == T_EOF)
        return snprintf(buf, cap, "end of expression");
    int n = (int)(p->tok.len > 32 ? 32 : p->tok.len);
    return snprintf(buf, cap, "'%.*s'", n, p->text + p->tok.off);
}

static int unexpected(parser *p, const char *wanted)
{
    char what[48];
    describe(p, what, sizeof(what));
    return parse_error(p, p->tok.off, "expected %s, found %s", wanted, what);
}

static ddf_expr *node_new(parser *p, ddf_expr_kind kind, size_t off, size_t nargs)
{
    ddf_expr *e = ddf_arena_calloc(p->arena, 1, sizeof(*e));

    if (!e)
        return NULL;
    e->kind = kind;
    e->offset = off;
    e->col = -1;
    e->depth = 1;
    e->dtype = DDF_DTYPE_NULL;
    if (nargs) {
        e->args = ddf_arena_calloc(p->arena, nargs, sizeof(*e->args));
        if (!e->args)
            return NULL;
        e->nargs = nargs;
    }
    return e;
}

/* Record e's depth from its children; error when it is over the limit. */
static int seal(parser *p, ddf_expr *e)
{
    for (size_t k = 0; k < e->nargs; k++)
        if (e->args[k] && e->args[k]->depth + 1 > e->depth)
            e->depth = e->args[k]->depth + 1;
    if (e->depth > DDF_MAX_EXPR_DEPTH)
        return parse_error(p, e->offset, "expression nests deeper than %d levels",
                           DDF_MAX_EXPR_DEPTH);
    return DDF_OK;
}

static int binary(parser *p, ddf_expr_op op, size_t off, ddf_expr *l, ddf_expr *r,
                  ddf_expr **out)
{
    ddf_expr *e = node_new(p, DDF_EXPR_BINARY, off, 2);

    if (!e)
        return no_memory(p);
    e->op = op;
    e->args[0] = l;
    e->args[1] = r;
    *out = e;
    return seal(p, e);
}

static int parse_or(parser *p, ddf_expr **out);
static int parse_unary(parser *p, ddf_expr **out);
static int parse_cmp(parser *p, ddf_expr **out);

static int enter(parser *p)
{
    if (++p->depth > DDF_MAX_EXPR_DEPTH)
        return parse_error(p, p->tok.off, "expression nests deeper than %d levels",
                           DDF_MAX_EXPR_DEPTH);
    return DDF_OK;
}

/* The literal 9223372036854775808 without a minus sign in front. */
static int too_big_int(parser *p)
{
    return parse_error(p, p->tok.off,
                       "integer literal 9223372036854775808 does not fit in int64");
}

/* A literal, optionally with a sign on a number: an item of an 'in [...]' list. */
static int parse_list_item(parser *p, ddf_expr **out)
{
    size_t off = p->tok.off;
    int neg = 0, rc;
    ddf_expr *e;

    if (is(p, "-") || is(p, "+")) {
        neg = is(p, "-");
        if ((rc = next(p)) < 0)
            return rc;
        if (p->tok.kind != T_INT && p->tok.kind != T_FLOAT)
            return unexpected(p, "a number after the sign");
    }
    switch (p->tok.kind) {
    case T_INT:
        if (p->tok.min_magnitude && !neg)
            return too_big_int(p);
        if (!(e = node_new(p, DDF_EXPR_INT, off, 0)))
            return no_memory(p);
        e->i = neg ? (int64_t)(0 - (uint64_t)p->tok.i) : p->tok.i; /* -2^63 wraps to itself */
        break;
    case T_FLOAT:
        if (!(e = node_new(p, DDF_EXPR_FLOAT, off, 0)))
            return no_memory(p);
        e->f = neg ? -p->tok.f : p->tok.f;
        break;
    case T_STRING:
        if (!(e = node_new(p, DDF_EXPR_STRING, off, 0)))
            return no_memory(p);
        e->s = p->tok.s;
        e->slen = p->tok.slen;
        break;
    default:
        if (is(p, "True") || is(p, "False")) {
            if (!(e = node_new(p, DDF_EXPR_BOOL, off, 0)))
                return no_memory(p);
            e->b = is(p, "True");
        } else if (is(p, "None")) {
            if (!(e = node_new(p, DDF_EXPR_NULL, off, 0)))
                return no_memory(p);
        } else {
            return unexpected(p, "a literal in the 'in' list");
        }
    }
    *out = e;
    return next(p);
}


/* Room for one more argument of 'e' (an isin list or a call), doubling 'cap'. */
static int make_room_for_arg(parser *p, ddf_expr *e, size_t *cap)
{
    ddf_expr **grown;

    if (e->nargs < *cap)
        return DDF_OK;
    grown = ddf_arena_realloc(p->arena, e->args, *cap * sizeof(*e->args),
                              2 * *cap * sizeof(*e->args));
    if (!grown)
        return no_memory(p);
    e->args = grown;
    *cap *= 2;
    return DDF_OK;
}
/* '[' item, ... ']' after 'in': fills e->args[1..]. The array grows by doubling. */
static int parse_in_list(parser *p, ddf_expr *e)
{
    size_t cap = 8;
    int rc;

    if (!is(p, "["))
        return unexpected(p, "'[' after 'in'");
    if ((rc = next(p)) < 0)
        return rc;
    while (!is(p, "]")) {
        if ((rc = make_room_for_arg(p, e, &cap)) < 0)
            return rc;
        if ((rc = parse_list_item(p, &e->args[e->nargs])) < 0)
            return rc;
        e->nargs++;
        if (is(p, ","))
            rc = next(p);
        else if (!is(p, "]"))
            return unexpected(p, "',' or ']'");
        if (rc < 0)
            return rc;
    }
    return next(p);
}

/* name '(' args ')' with the name already the current token. */
static int parse_call(parser *p, ddf_expr **out)
{
    size_t off = p->tok.off, cap = 4;
    const char *name = p->tok.s;
    size_t nlen = p->tok.slen;
    ddf_expr *e;
    int rc, f = -1;

    for (int k = 0; k < DDF_EXPR_FN_COUNT; k++)
        if (strlen(func_names[k]) == nlen && memcmp(func_names[k], name, nlen) == 0)
            f = k;
    if (f < 0) {
        int n = (int)(nlen > 64 ? 64 : nlen), best = -1;
        size_t best_score = (size_t)-1;
        for (int k = 0; k < DDF_EXPR_FN_COUNT; k++) {
            size_t score = ddf_expr_suggestion_score(name, nlen, func_names[k]);
            if (score < best_score) {
                best_score = score;
                best = k;
            }
        }
        if (best >= 0)
            return parse_error(p, off, "unknown function '%.*s' (did you mean '%s'?)", n,
                               name, func_names[best]);
        return parse_error(p, off, "unknown function '%.*s'", n, name);
    }
    if (!(e = node_new(p, DDF_EXPR_CALL, off, cap)))
        return no_memory(p);
    e->func = (ddf_expr_func)f;
    e->nargs = 0;
    if ((rc = next(p)) < 0 || (rc = next(p)) < 0) /* the name, then '(' */
        return rc;
    while (!is(p, ")")) {
        if ((rc = make_room_for_arg(p, e, &cap)) < 0)
            return rc;
        if ((rc = parse_or(p, &e->args[e->nargs])) < 0)
            return rc;
        e->nargs++;
        if (is(p, ","))
            rc = next(p);
        else if (!is(p, ")"))
            return unexpected(p, "',' or ')'");
        if (rc < 0)
            return rc;
    }
    *out = e;
    if ((rc = seal(p, e)) < 0)
        return rc;
    return next(p);
}

static int parse_primary(parser *p, ddf_expr **out)
{
    size_t off = p->tok.off;
    ddf_expr *e;
    int rc;

    switch (p->tok.kind) {
    case T_INT:
    case T_FLOAT:
    case T_STRING:
        return parse_list_item(p, out);
    case T_QNAME:
        if (!(e = node_new(p, DDF_EXPR_COLUMN, off, 0)))
            return no_memory(p);
        e->s = p->tok.s;
        e->slen = p->tok.slen;
        *out = e;
        return next(p);
    case T_NAME:
        if (is(p, "True") || is(p, "False") || is(p, "None"))
            return parse_list_item(p, out);
        if (is(p, "and") || is(p, "or") || is(p, "not") || is(p, "in"))
            return unexpected(p, "an operand");
        {
            /* A call when '(' follows: peek without consuming. */
            parser save = *p;
            if ((rc = next(&save)) < 0) /* 'err' is shared: it is already set */
                return rc;
            if (is(&save, "("))
                return parse_call(p, out);
        }
        if (!(e = node_new(p, DDF_EXPR_COLUMN, off, 0)))
            return no_memory(p);
        if (!(e->s = ddf_arena_alloc(p->arena, p->tok.slen + 1)))
            return no_memory(p);
        memcpy((char *)e->s, p->tok.s, p->tok.slen);
        ((char *)e->s)[p->tok.slen] = '\0';
        e->slen = p->tok.slen;
        *out = e;
        return next(p);
    case T_OP:
        if (is(p, "(")) {
            if ((rc = next(p)) < 0 || (rc = parse_or(p, out)) < 0)
                return rc;
            if (!is(p, ")"))
                return parse_error(p, p->tok.off, "expected ')' to close the '(' at offset %zu",
                                   off);
            return next(p);
        }
        return unexpected(p, "an operand");
    default:
        return unexpected(p, "an operand");
    }
}

/* primary ['**' unary]: right-assoc, and the exponent may carry a sign (2**-1). */
static int parse_power(parser *p, ddf_expr **out)
{
    ddf_expr *l, *r;
    size_t off;
    int rc;

    if ((rc = parse_primary(p, &l)) < 0)
        return rc;
    if (!is(p, "**")) {
        *out = l;
        return DDF_OK;
    }
    off = p->tok.off;
    if ((rc = enter(p)) < 0 || (rc = next(p)) < 0 || (rc = parse_unary(p, &r)) < 0)
        return rc;
    p->depth--;
    return binary(p, DDF_EXPR_OP_POW, off, l, r, out);
}

/* '-9223372036854775808' at p->tok (the minus at 'off'): the int64 literal INT64_MIN, as
 * Python reads it, with the sign folded (negating +2^63 would overflow). Not before '**',
 * which binds tighter than the sign: -9223372036854775808 ** 2 is -(2^63 ** 2). */
static int parse_int_min(parser *p, size_t off, ddf_expr **out)
{
    ddf_expr *e;
    size_t lit_off;
    int rc;

    if ((rc = next(p)) < 0)
        return rc;
    lit_off = p->tok.off;
    if (!(e = node_new(p, DDF_EXPR_INT, off, 0)))
        return no_memory(p);
    e->i = INT64_MIN;
    if ((rc = next(p)) < 0)
        return rc;
    if (is(p, "**"))
        return parse_error(p, lit_off,
                           "integer literal 9223372036854775808 does not fit in int64");
    *out = e;
    return DDF_OK;
}

/* Prefix operators: '-' '+' at arithmetic level, 'not' '~' at logical level. Each prefix
 * operator is one level of recursion and counts against the depth limit. */
static int parse_prefix(parser *p, ddf_expr **out, int logical)
{
    size_t off = p->tok.off;
    ddf_expr_op op;
    ddf_expr *e;
    int rc;

    if (logical && (is(p, "not") || is(p, "~")))
        op = is(p, "~") ? DDF_EXPR_OP_INVERT : DDF_EXPR_OP_NOT;
    else if (!logical && (is(p, "-") || is(p, "+")))
        op = is(p, "-") ? DDF_EXPR_OP_NEG : DDF_EXPR_OP_POS;
    else
        op = DDF_EXPR_OP_NONE;
    if (op == DDF_EXPR_OP_NONE)
        return logical ? parse_cmp(p, out) : parse_power(p, out);
    if (op == DDF_EXPR_OP_NEG) {
        parser save = *p;
        if ((rc = next(&save)) < 0) /* 'err' is shared: it is already set */
            return rc;
        if (save.tok.kind == T_INT && save.tok.min_magnitude)
            return parse_int_min(p, off, out);
    }
    if ((rc = enter(p)) < 0)
        return rc;
    if (!(e = node_new(p, DDF_EXPR_UNARY, off, 1)))
        return no_memory(p);
    e->op = op;
    if ((rc = next(p)) < 0 || (rc = parse_prefix(p, &e->args[0], logical)) < 0)
        return rc;
    p->depth--;
    *out = e;
    return seal(p, e);
}

static int parse_unary(parser *p, ddf_expr **out)
{
    return parse_prefix(p, out, 0);
}

/* Left-assoc binary levels, tightest last. */
static int parse_mul(parser *p, ddf_expr **out)
{
    ddf_expr *r;
    int rc;

    if ((rc = parse_unary(p, out)) < 0)
        return rc;
    for (;;) {
        ddf_expr_op op;
        size_t off = p->tok.off;
        if (is(p, "*")) op = DDF_EXPR_OP_MUL;
        else if (is(p, "/")) op = DDF_EXPR_OP_DIV;
        else if (is(p, "//")) op = DDF_EXPR_OP_FLOORDIV;
        else if (is(p, "%")) op = DDF_EXPR_OP_MOD;
        else return DDF_OK;
        if ((rc = next(p)) < 0 || (rc = parse_unary(p, &r)) < 0 ||
            (rc = binary(p, op, off, *out, r, out)) < 0)
            return rc;
    }
}

static int parse_add(parser *p, ddf_expr **out)
{
    ddf_expr *r;
    int rc;

    if ((rc = parse_mul(p, out)) < 0)
        return rc;
    for (;;) {
        ddf_expr_op op;
        size_t off = p->tok.off;
        if (is(p, "+")) op = DDF_EXPR_OP_ADD;
        else if (is(p, "-")) op = DDF_EXPR_OP_SUB;
        else return DDF_OK;
        if ((rc = next(p)) < 0 || (rc = parse_mul(p, &r)) < 0 ||
            (rc = binary(p, op, off, *out, r, out)) < 0)
            return rc;
    }
}

/* Which comparison (or 'in' / 'not in') starts at the current token; 0 if none. */
static int cmp_op(parser *p, ddf_expr_op *op, int *in, int *neg)
{
    static const struct { const char *text; ddf_expr_op op; } cmps[] = {
        {"==", DDF_EXPR_OP_EQ}, {"!=", DDF_EXPR_OP_NE}, {"<", DDF_EXPR_OP_LT},
        {"<=", DDF_EXPR_OP_LE}, {">", DDF_EXPR_OP_GT},  {">=", DDF_EXPR_OP_GE},
    };
    *in = *neg = 0;
    for (size_t k = 0; k < sizeof(cmps) / sizeof(cmps[0]); k++)
        if (is(p, cmps[k].text)) {
            *op = cmps[k].op;
            return 1;
        }
    if (is(p, "in")) {
        *in = 1;
        return 1;
    }
    if (is(p, "not")) {
        parser save = *p;
        if (next(&save) == DDF_OK && is(&save, "in")) {
            *in = *neg = 1;
            return 1;
        }
    }
    return 0;
}

/* sum [cmp sum]: a second comparison is an error (see expr.h). */
static int parse_cmp(parser *p, ddf_expr **out)
{
    ddf_expr_op op = DDF_EXPR_OP_NONE;
    int in, neg, rc;
    size_t off;
    ddf_expr *r;

    if ((rc = parse_add(p, out)) < 0)
        return rc;
    if (!cmp_op(p, &op, &in, &neg))
        return DDF_OK;
    off = p->tok.off;
    if (in) {
        ddf_expr *e = node_new(p, DDF_EXPR_ISIN, off, 8);
        if (!e)
            return no_memory(p);
        e->negated = neg;
        e->args[0] = *out;
        e->nargs = 1;
        if ((neg && (rc = next(p)) < 0) || (rc = next(p)) < 0 ||
            (rc = parse_in_list(p, e)) < 0)
            return rc;
        *out = e;
        if ((rc = seal(p, e)) < 0)
            return rc;
    } else {
        if ((rc = next(p)) < 0 || (rc = parse_add(p, &r)) < 0 ||
            (rc = binary(p, op, off, *out, r, out)) < 0)
            return rc;
    }
    if (cmp_op(p, &op, &in, &neg))
        return parse_error(p, p->tok.off,
                           "chained comparison is not supported; write (a < b) and (b < c)");
    return DDF_OK;
}

static int parse_and(parser *p, ddf_expr **out)
{
    ddf_expr *r;
    int rc;

    if ((rc = parse_prefix(p, out, 1)) < 0)
        return rc;
    for (;;) {
        ddf_expr_op op;
        size_t off = p->tok.off;
        if (is(p, "and")) op = DDF_EXPR_OP_AND;
        else if (is(p, "&")) op = DDF_EXPR_OP_BITAND;
        else return DDF_OK;
        if ((rc = next(p)) < 0 || (rc = parse_prefix(p, &r, 1)) < 0 ||
            (rc = binary(p, op, off, *out, r, out)) < 0)
            return rc;
    }
}

static int parse_or(parser *p, ddf_expr **out)
{
    ddf_expr *r;
    int rc;

    if ((rc = enter(p)) < 0 || (rc = parse_and(p, out)) < 0)
        return rc;
    for (;;) {
        ddf_expr_op op;
        size_t off = p->tok.off;
        if (is(p, "or")) op = DDF_EXPR_OP_OR;
        else if (is(p, "|")) op = DDF_EXPR_OP_BITOR;
        else break;
        if ((rc = next(p)) < 0 || (rc = parse_and(p, &r)) < 0 ||
            (rc = binary(p, op, off, *out, r, out)) < 0)
            return rc;
    }
    p->depth--;
    return DDF_OK;
}

int ddf_expr_parse(const char *text, size_t len, ddf_arena *arena, ddf_expr **out,
                   ddf_error *err)
{
    parser p;
    int rc;

    *out = NULL;
    memset(&p, 0, sizeof(p));
    p.text = text;
    p.len = len;
    p.arena = arena;
    p.err = err;
    if (len > DDF_MAX_EXPR_BYTES) {
        rc = ddf_error_setf(err, DDF_ETOOBIG, "expression of %zu bytes is over the %u-byte limit",
                            len, DDF_MAX_EXPR_BYTES);
        if (err)
            err->offset = DDF_MAX_EXPR_BYTES;
        return rc;
    }
    if ((rc = next(&p)) < 0)
        return rc;
    if (p.tok.kind == T_EOF)
        return parse_error(&p, 0, "empty expression");
    if ((rc = parse_or(&p, out)) < 0)
        goto fail;
    if (p.tok.kind != T_EOF) {
        rc = unexpected(&p, "an operator or end of expression");
        goto fail;
    }
    return DDF_OK;
fail:
    *out = NULL;
    return rc;
}

/* ---- formatting ---------------------------------------------------------------------- */

typedef struct outbuf {
    char *buf;
    size_t cap;
    size_t len; /* bytes the whole text needs so far */
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
    if (o->cap)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
}

static void puts_(outbuf *o, const char *s)
{
    put(o, s, strlen(s));
}

static const char *op_text(ddf_expr_op op)
{
    static const char *const t[] = {"?", "-", "+", "not ", "~", "+", "-", "*", "/", "//",
                                    "%", "**", "==", "!=", "<", "<=", ">", ">=", "and",
                                    "or", "&", "|"};
    return (unsigned)op < sizeof(t) / sizeof(t[0]) ? t[op] : "?";
}

static void put_string(outbuf *o, const char *s, size_t n)
{
    put(o, "'", 1);
    for (size_t k = 0; k < n; k++) {
        switch (s[k]) {
        case '\\': put(o, "\\\\", 2); break;
        case '\'': put(o, "\\'", 2); break;
        case '\n': put(o, "\\n", 2); break;
        case '\t': put(o, "\\t", 2); break;
        case '\r': put(o, "\\r", 2); break;
        case '\0': put(o, "\\0", 2); break;
        default: put(o, s + k, 1);
        }
    }
    put(o, "'", 1);
}

/* Recursion is bounded by the tree's depth, at most DDF_MAX_EXPR_DEPTH. */
static void format(outbuf *o, const ddf_expr *e)
{
    char num[64];
    int plain = 1;

    switch (e->kind) {
    case DDF_EXPR_NULL: puts_(o, "None"); break;
    case DDF_EXPR_BOOL: puts_(o, e->b ? "True" : "False"); break;
    case DDF_EXPR_INT:
        snprintf(num, sizeof(num), "%" PRId64, e->i);
        puts_(o, num);
        break;
    case DDF_EXPR_FLOAT:
        /* The shortest of %.15g..%.17g that reads back to the same double. */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof(num), "%.*g", prec, e->f);
            if (strtod(num, NULL) == e->f)
                break;
        }
        puts_(o, num);
        if (!strpbrk(num, ".eEna"))
            puts_(o, ".0");
        break;
    case DDF_EXPR_STRING: put_string(o, e->s, e->slen); break;
    case DDF_EXPR_COLUMN:
        for (size_t k = 0; k < e->slen; k++)
            if (!(is_name_start((unsigned char)e->s[k]) ||
                  (k > 0 && is_digit((unsigned char)e->s[k]))))
                plain = 0;
        if (!plain) put(o, "`", 1);
        put(o, e->s, e->slen);
        if (!plain) put(o, "`", 1);
        break;
    case DDF_EXPR_UNARY:
        put(o, "(", 1);
        puts_(o, op_text(e->op));
        format(o, e->args[0]);
        put(o, ")", 1);
        break;
    case DDF_EXPR_BINARY:
        put(o, "(", 1);
        format(o, e->args[0]);
        put(o, " ", 1);
        puts_(o, op_text(e->op));
        put(o, " ", 1);
        format(o, e->args[1]);
        put(o, ")", 1);
        break;
    case DDF_EXPR_CALL:
        puts_(o, ddf_expr_func_name(e->func));
        put(o, "(", 1);
        for (size_t k = 0; k < e->nargs; k++) {
            if (k) put(o, ", ", 2);
            format(o, e->args[k]);
        }
        put(o, ")", 1);
        break;
    case DDF_EXPR_ISIN:
        put(o, "(", 1);
        format(o, e->args[0]);
        puts_(o, e->negated ? " not in [" : " in [");
        for (size_t k = 1; k < e->nargs; k++) {
            if (k > 1) put(o, ", ", 2);
            format(o, e->args[k]);
        }
        put(o, "])", 2);
        break;
    }
}

size_t ddf_expr_format(const ddf_expr *expr, char *buf, size_t cap)
{
    outbuf o = {buf, cap, 0};

    if (cap)
        buf[0] = '\0';
    format(&o, expr);
    return o.len;
}

size_t ddf_expr_render_error(const char *text, size_t len, const ddf_error *err, char *buf,
                             size_t cap)
{
    outbuf o = {buf, cap, 0};
    size_t off, start, end;

    if (cap)
        buf[0] = '\0';
    puts_(&o, err->msg);
    if (err->offset < 0 || !text)
        return o.len;
    off = (size_t)err->offset > len ? len : (size_t)err->offset;
    start = off;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    end = off;
    while (end < len && text[end] != '\n')
        end++;
    put(&o, "\n  ", 3);
    put(&o, text + start, end - start);
    put(&o, "\n  ", 3);
    /* Tabs stay tabs so the caret lines up in a terminal. */
    for (size_t k = start; k < off; k++)
        put(&o, text[k] == '\t' ? "\t" : " ", 1);
    put(&o, "^", 1);
    return o.len;
}
