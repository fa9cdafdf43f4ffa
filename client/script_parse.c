/* script_parse.c - recursive-descent parser of the ddf script language (grammar and the
 * refused constructs in script_parse.h, the tree in script_ast.h).
 *
 * One function per grammar rule, each leaving the first token it did not use as the current
 * token. Tokens come from script_lex.c on demand into a small lookahead window (the parser
 * looks at most three tokens ahead: 'not in', 'is not', 'key=' in a call, and the minus of
 * -9223372036854775808). A tokenizer error travels as an ERROR token and is reported when it
 * becomes the current token, so an earlier syntax error wins, as in Python.
 *
 * Bounds: every rule that can recurse (an expression inside brackets, a lambda body, a
 * prefix operator, the right side of '**') enters through enter(), which stops at
 * DDF_SCRIPT_MAX_DEPTH; and every node records its depth, so a left-assoc chain built by a
 * loop ('a+a+a+...', 'a.b.c...') cannot grow a tree deeper than that either. 'for' blocks
 * nest no deeper than the tokenizer's indentation limit (a one-line suite cannot hold a
 * 'for'). Arrays grow by doubling in the arena; the parser allocates nothing else.
 *
 * Places: a node starts at the first token of its rule (a left operand's opening
 * parenthesis included) and ends at the last token consumed ('prev_end'). */
#include "script_parse.h"

#include "script_lex.h"

#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOOKAHEAD 4

typedef struct parser {
    ddf_script_lexer lx;
    ddf_script_token la[LOOKAHEAD]; /* la[0] is the current token, then what follows */
    int nla;                        /* tokens in 'la' */
    size_t prev_end;                /* offset just past the last consumed token */
    unsigned depth;                 /* recursion depth of the expression rules */
    unsigned flags;                 /* DDF_SCRIPT_PARSE_* */
    bool last_suite_block;          /* the last 'for' parsed had an indented block */
    ddf_arena *arena;
    ddf_script_error *err;
} parser;

/* Statements that start with a keyword the language leaves out, and the message for each. */
static const struct {
    const char *keyword;
    const char *message;
} refused[] = {
    {"if", "'if' statements are not supported in ddf scripts"},
    {"elif", "'elif' clauses are not supported in ddf scripts"},
    {"else", "'else' clauses are not supported in ddf scripts"},
    {"while", "'while' loops are not supported in ddf scripts"},
    {"def", "function definitions ('def') are not supported in ddf scripts; use a lambda"},
    {"class", "class definitions ('class') are not supported in ddf scripts"},
    {"try", "'try' statements are not supported in ddf scripts"},
    {"except", "'except' clauses are not supported in ddf scripts"},
    {"finally", "'finally' clauses are not supported in ddf scripts"},
    {"with", "'with' statements are not supported in ddf scripts"},
    {"return", "'return' statements are not supported in ddf scripts"},
    {"yield", "'yield' is not supported in ddf scripts"},
    {"del", "'del' statements are not supported in ddf scripts"},
    {"global", "'global' declarations are not supported in ddf scripts"},
    {"nonlocal", "'nonlocal' declarations are not supported in ddf scripts"},
    {"raise", "'raise' statements are not supported in ddf scripts"},
    {"assert", "'assert' statements are not supported in ddf scripts"},
    {"break", "'break' statements are not supported in ddf scripts"},
    {"continue", "'continue' statements are not supported in ddf scripts"},
    {"async", "'async' is not supported in ddf scripts"},
    {"await", "'await' is not supported in ddf scripts"},
};

/* ---- errors ------------------------------------------------------------------------------ */

static int vfail(parser *p, int code, ddf_script_pos pos, bool incomplete, const char *fmt,
                 va_list ap) __attribute__((format(printf, 5, 0)));
static int vfail(parser *p, int code, ddf_script_pos pos, bool incomplete, const char *fmt,
                 va_list ap)
{
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
    p->err->code = code;
    p->err->line = pos.line;
    p->err->column = pos.column;
    p->err->offset = pos.offset;
    p->err->incomplete = incomplete;
    return code;
}

/* A syntax error at 'pos'. Returns DDF_EPARSE. */
static int fail(parser *p, ddf_script_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *p, ddf_script_pos pos, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(p, DDF_EPARSE, pos, false, fmt, ap);
    va_end(ap);
    return rc;
}

/* A failure with its own code and completeness. */
static int fail_ex(parser *p, int code, ddf_script_pos pos, bool incomplete, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int fail_ex(parser *p, int code, ddf_script_pos pos, bool incomplete, const char *fmt,
                   ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(p, code, pos, incomplete, fmt, ap);
    va_end(ap);
    return rc;
}

static int no_memory(parser *p)
{
    ddf_script_pos none = {0, 0, 0};
    return fail_ex(p, DDF_ENOMEM, none, false, "out of memory while parsing the script");
}

/* ---- tokens ------------------------------------------------------------------------------ */

/* The token k places ahead (0: the current one). */
static ddf_script_token *peek(parser *p, int k)
{
    while (p->nla <= k) {
        /* A failure comes back as an ERROR token; advance() reports it. */
        (void)ddf_script_lex_next(&p->lx, &p->la[p->nla]);
        p->nla++;
    }
    return &p->la[k];
}

static ddf_script_token *cur(parser *p)
{
    return &p->la[0];
}

/* Consume the current token. Fails when the next one is a tokenizer error. */
static int advance(parser *p)
{
    p->prev_end = p->la[0].pos.offset + p->la[0].len;
    memmove(&p->la[0], &p->la[1], (size_t)(p->nla - 1) * sizeof(p->la[0]));
    p->nla--;
    if (peek(p, 0)->kind == DDF_SCRIPT_TOK_ERROR) {
        *p->err = p->lx.err;
        return p->err->code;
    }
    return DDF_OK;
}

static bool tok_is_op(const ddf_script_token *t, ddf_script_punct punct)
{
    return t->kind == DDF_SCRIPT_TOK_OP && t->punct == punct;
}

static bool tok_is_kw(const ddf_script_token *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == DDF_SCRIPT_TOK_NAME && t->slen == n && memcmp(t->s, kw, n) == 0;
}

static bool tok_is_ident(const ddf_script_token *t)
{
    return t->kind == DDF_SCRIPT_TOK_NAME && !ddf_script_is_keyword(t->s, t->slen);
}

static bool is_op(parser *p, ddf_script_punct punct)
{
    return tok_is_op(cur(p), punct);
}

static bool is_kw(parser *p, const char *kw)
{
    return tok_is_kw(cur(p), kw);
}

/* A short description of token 't' for messages: 'x', '+=', end of line, ... */
static void describe(const parser *p, const ddf_script_token *t, char *buf, size_t cap)
{
    switch (t->kind) {
    case DDF_SCRIPT_TOK_EOF: snprintf(buf, cap, "end of input"); break;
    case DDF_SCRIPT_TOK_NEWLINE: snprintf(buf, cap, "end of line"); break;
    case DDF_SCRIPT_TOK_INDENT: snprintf(buf, cap, "an indented line"); break;
    case DDF_SCRIPT_TOK_DEDENT: snprintf(buf, cap, "the end of the indented block"); break;
    case DDF_SCRIPT_TOK_STRING: snprintf(buf, cap, "a string literal"); break;
    case DDF_SCRIPT_TOK_OP: snprintf(buf, cap, "'%s'", ddf_script_punct_text(t->punct)); break;
    default: {
        int n = (int)(t->len > 32 ? 32 : t->len);
        snprintf(buf, cap, "'%.*s%s'", n, p->lx.src + t->pos.offset, t->len > 32 ? "..." : "");
    }
    }
}

/* The current token is not what the rule wants: name a refused construct when the token
 * is one, say that input ended (incomplete) inside a bracket, or "expected X, found Y". */
static int unexpected(parser *p, const char *wanted)
{
    ddf_script_token *t = cur(p);
    char found[64], which;
    ddf_script_pos at;

    if (t->kind == DDF_SCRIPT_TOK_EOF) {
        if (ddf_script_lex_open_bracket(&p->lx, &which, &at))
            return fail_ex(p, DDF_EPARSE, at, true, "'%c' was never closed", which);
        return fail_ex(p, DDF_EPARSE, t->pos, true, "unexpected end of input");
    }
    if (t->kind == DDF_SCRIPT_TOK_INDENT)
        return fail(p, t->pos, "unexpected indent");
    if (t->kind == DDF_SCRIPT_TOK_OP) {
        const char *text = ddf_script_punct_text(t->punct);
        switch (t->punct) {
        case DDF_SCRIPT_P_PLUS_EQ: case DDF_SCRIPT_P_MINUS_EQ: case DDF_SCRIPT_P_STAR_EQ:
        case DDF_SCRIPT_P_SLASH_EQ: case DDF_SCRIPT_P_FLOORDIV_EQ: case DDF_SCRIPT_P_PERCENT_EQ:
        case DDF_SCRIPT_P_POW_EQ: case DDF_SCRIPT_P_AT_EQ: case DDF_SCRIPT_P_AMP_EQ:
        case DDF_SCRIPT_P_PIPE_EQ: case DDF_SCRIPT_P_CARET_EQ: case DDF_SCRIPT_P_LSHIFT_EQ:
        case DDF_SCRIPT_P_RSHIFT_EQ:
            return fail(p, t->pos,
                        "augmented assignment ('%s') is not supported in ddf scripts; "
                        "write x = x %.*s ...",
                        text, (int)strlen(text) - 1, text);
        case DDF_SCRIPT_P_LSHIFT: case DDF_SCRIPT_P_RSHIFT:
            return fail(p, t->pos, "shift operators ('%s') are not supported in ddf scripts",
                        text);
        case DDF_SCRIPT_P_AT:
            return fail(p, t->pos, "the '@' operator is not supported in ddf scripts");
        case DDF_SCRIPT_P_ELLIPSIS:
            return fail(p, t->pos, "'...' (Ellipsis) is not supported in ddf scripts");
        case DDF_SCRIPT_P_WALRUS:
            return fail(p, t->pos,
                        "assignment expressions (':=') are not supported in ddf scripts");
        default:
            break;
        }
    }
    describe(p, t, found, sizeof(found));
    return fail(p, t->pos, "expected %s, found %s", wanted, found);
}

/* The current token cannot follow a complete expression: name the constructs that put a
 * keyword there ('a if b else c', '[x for x in y]'), else as unexpected(). */
static int after_expr(parser *p, const char *wanted)
{
    if (is_kw(p, "if"))
        return fail(p, cur(p)->pos, "a conditional expression ('a if b else c') cannot "
                    "stand here: put it in parentheses");
    if (is_kw(p, "for") || is_kw(p, "async"))
        return fail(p, cur(p)->pos,
                    "comprehensions and generator expressions ('[x for x in y]') are not "
                    "supported in ddf scripts");
    return unexpected(p, wanted);
}

static int expect_op(parser *p, ddf_script_punct punct, const char *wanted)
{
    if (!is_op(p, punct))
        return after_expr(p, wanted);
    return advance(p);
}

/* ---- nodes ------------------------------------------------------------------------------- */

static const char *copy_text(parser *p, const char *s, size_t n)
{
    char *c = ddf_arena_alloc(p->arena, n + 1);

    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Room for element 'n' (one more) in 'base' of '*cap' elements of 'size' bytes, doubling
 * in the arena. Returns the (maybe moved) array, or NULL when out of memory ('base' is
 * then still valid). */
static void *grow(parser *p, void *base, size_t n, size_t *cap, size_t size)
{
    void *bigger;
    size_t want;

    if (n < *cap)
        return base;
    want = *cap ? 2 * *cap : 4;
    bigger = ddf_arena_realloc(p->arena, base, *cap * size, want * size);
    if (bigger)
        *cap = want;
    return bigger;
}

static ddf_script_expr *new_expr(parser *p, ddf_script_expr_kind kind, ddf_script_pos start)
{
    ddf_script_expr *e = ddf_arena_calloc(p->arena, 1, sizeof(*e));

    if (e) {
        e->kind = kind;
        e->pos = start;
        e->op_pos = start;
        e->depth = 1;
    }
    return e;
}

static void deeper(ddf_script_expr *e, const ddf_script_expr *child)
{
    if (child->depth + 1 > e->depth)
        e->depth = child->depth + 1;
}

/* Finish 'e': its text ends at the last consumed token; its depth must be in bounds. */
static int seal(parser *p, ddf_script_expr *e)
{
    e->len = p->prev_end - e->pos.offset;
    if (e->depth > DDF_SCRIPT_MAX_DEPTH)
        return fail_ex(p, DDF_ETOOBIG, e->op_pos, false,
                       "expression nests deeper than %d levels", DDF_SCRIPT_MAX_DEPTH);
    return DDF_OK;
}

static int make_binary(parser *p, ddf_script_expr_kind kind, ddf_script_op op,
                       ddf_script_pos start, ddf_script_pos op_pos, ddf_script_expr *l,
                       ddf_script_expr *r, ddf_script_expr **out)
{
    ddf_script_expr *e = new_expr(p, kind, start);

    if (!e)
        return no_memory(p);
    e->op_pos = op_pos;
    e->binary.op = op;
    e->binary.left = l;
    e->binary.right = r;
    deeper(e, l);
    deeper(e, r);
    *out = e;
    return seal(p, e);
}

/* Each rule that recursion passes through counts here (see the top of the file). */
static int enter(parser *p)
{
    if (++p->depth > DDF_SCRIPT_MAX_DEPTH)
        return fail_ex(p, DDF_ETOOBIG, cur(p)->pos, false,
                       "expression nests deeper than %d levels", DDF_SCRIPT_MAX_DEPTH);
    return DDF_OK;
}

static void leave(parser *p)
{
    p->depth--;
}

/* ---- expressions ------------------------------------------------------------------------- */

static int parse_expr(parser *p, ddf_script_expr **out);
static int parse_factor(parser *p, ddf_script_expr **out);
static int parse_not(parser *p, ddf_script_expr **out);

/* Whether 't' can begin an expression (refused forms included, so they get their message). */
static bool starts_expr(const ddf_script_token *t)
{
    switch (t->kind) {
    case DDF_SCRIPT_TOK_NAME:
        return tok_is_ident(t) || tok_is_kw(t, "True") || tok_is_kw(t, "False") ||
               tok_is_kw(t, "None") || tok_is_kw(t, "not") || tok_is_kw(t, "lambda") ||
               tok_is_kw(t, "await") || tok_is_kw(t, "yield");
    case DDF_SCRIPT_TOK_INT:
    case DDF_SCRIPT_TOK_FLOAT:
    case DDF_SCRIPT_TOK_STRING:
        return true;
    case DDF_SCRIPT_TOK_OP:
        switch (t->punct) {
        case DDF_SCRIPT_P_LPAREN: case DDF_SCRIPT_P_LBRACKET: case DDF_SCRIPT_P_LBRACE:
        case DDF_SCRIPT_P_MINUS: case DDF_SCRIPT_P_PLUS: case DDF_SCRIPT_P_TILDE:
        case DDF_SCRIPT_P_STAR: case DDF_SCRIPT_P_POW: case DDF_SCRIPT_P_ELLIPSIS:
            return true;
        default:
            return false;
        }
    default:
        return false;
    }
}

static int unpacking(parser *p)
{
    return fail(p, cur(p)->pos, "unpacking with '%s' is not supported in ddf scripts",
                ddf_script_punct_text(cur(p)->punct));
}

/* exprlist: expr (',' expr)* [','], a TUPLE from the first comma on (Python's bare tuple). */
static int parse_exprlist(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos;
    ddf_script_expr *first, *t, **items = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if ((rc = parse_expr(p, &first)) < 0)
        return rc;
    if (!is_op(p, DDF_SCRIPT_P_COMMA)) {
        *out = first;
        return DDF_OK;
    }
    if (!(t = new_expr(p, DDF_SCRIPT_EXPR_TUPLE, start)))
        return no_memory(p);
    if (!(items = grow(p, items, n, &cap, sizeof(*items))))
        return no_memory(p);
    items[n++] = first;
    deeper(t, first);
    while (is_op(p, DDF_SCRIPT_P_COMMA)) {
        ddf_script_expr *e;
        if ((rc = advance(p)) < 0)
            return rc;
        if (!starts_expr(cur(p)))
            break;
        if ((rc = parse_expr(p, &e)) < 0)
            return rc;
        if (!(items = grow(p, items, n, &cap, sizeof(*items))))
            return no_memory(p);
        items[n++] = e;
        deeper(t, e);
    }
    t->seq.items = items;
    t->seq.n = n;
    *out = t;
    return seal(p, t);
}

/* Adjacent string literals, joined into one STRING node. */
static int parse_strings(parser *p, ddf_script_expr **out)
{
    ddf_script_expr *e = new_expr(p, DDF_SCRIPT_EXPR_STRING, cur(p)->pos);
    const char *bytes = cur(p)->s;
    size_t len = cur(p)->slen, cap = 0;
    char *joined = NULL;
    int rc;

    if (!e)
        return no_memory(p);
    if ((rc = advance(p)) < 0)
        return rc;
    while (cur(p)->kind == DDF_SCRIPT_TOK_STRING) {
        const ddf_script_token *t = cur(p);
        if (len + t->slen + 1 > cap) {
            size_t want = 2 * (len + t->slen + 1);
            char *bigger = ddf_arena_realloc(p->arena, joined, cap, want);
            if (!bigger)
                return no_memory(p);
            if (!joined)
                memcpy(bigger, bytes, len);
            joined = bigger;
            cap = want;
        }
        memcpy(joined + len, t->s, t->slen);
        len += t->slen;
        joined[len] = '\0';
        bytes = joined;
        if ((rc = advance(p)) < 0)
            return rc;
    }
    e->string.bytes = bytes;
    e->string.len = len;
    *out = e;
    return seal(p, e);
}

/* '(' ... ')': a parenthesized expression (its own node, spanning the inside), or a tuple. */
static int parse_paren(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos;
    ddf_script_expr *first, *t, **items = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if ((rc = advance(p)) < 0)
        return rc;
    if (!is_op(p, DDF_SCRIPT_P_RPAREN)) {
        if ((rc = parse_expr(p, &first)) < 0)
            return rc;
        if (is_op(p, DDF_SCRIPT_P_RPAREN)) {
            *out = first;
            return advance(p);
        }
        if (!is_op(p, DDF_SCRIPT_P_COMMA))
            return after_expr(p, "')'");
    }
    if (!(t = new_expr(p, DDF_SCRIPT_EXPR_TUPLE, start)))
        return no_memory(p);
    if (!is_op(p, DDF_SCRIPT_P_RPAREN)) {
        if (!(items = grow(p, items, n, &cap, sizeof(*items))))
            return no_memory(p);
        items[n++] = first;
        deeper(t, first);
        while (is_op(p, DDF_SCRIPT_P_COMMA)) {
            ddf_script_expr *e;
            if ((rc = advance(p)) < 0)
                return rc;
            if (is_op(p, DDF_SCRIPT_P_RPAREN))
                break;
            if ((rc = parse_expr(p, &e)) < 0)
                return rc;
            if (!(items = grow(p, items, n, &cap, sizeof(*items))))
                return no_memory(p);
            items[n++] = e;
            deeper(t, e);
            if (!is_op(p, DDF_SCRIPT_P_COMMA) && !is_op(p, DDF_SCRIPT_P_RPAREN))
                return after_expr(p, "',' or ')'");
        }
    }
    if ((rc = expect_op(p, DDF_SCRIPT_P_RPAREN, "')'")) < 0)
        return rc;
    t->seq.items = items;
    t->seq.n = n;
    *out = t;
    return seal(p, t);
}

/* '[' items ']' */
static int parse_list(parser *p, ddf_script_expr **out)
{
    ddf_script_expr *l = new_expr(p, DDF_SCRIPT_EXPR_LIST, cur(p)->pos), **items = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (!l)
        return no_memory(p);
    if ((rc = advance(p)) < 0)
        return rc;
    while (!is_op(p, DDF_SCRIPT_P_RBRACKET)) {
        ddf_script_expr *e;
        if ((rc = parse_expr(p, &e)) < 0)
            return rc;
        if (!(items = grow(p, items, n, &cap, sizeof(*items))))
            return no_memory(p);
        items[n++] = e;
        deeper(l, e);
        if (is_op(p, DDF_SCRIPT_P_COMMA)) {
            if ((rc = advance(p)) < 0)
                return rc;
        } else if (!is_op(p, DDF_SCRIPT_P_RBRACKET)) {
            return after_expr(p, "',' or ']'");
        }
    }
    if ((rc = advance(p)) < 0)
        return rc;
    l->seq.items = items;
    l->seq.n = n;
    *out = l;
    return seal(p, l);
}

/* '{' key ':' value, ... '}' */
static int parse_dict(parser *p, ddf_script_expr **out)
{
    ddf_script_expr *d = new_expr(p, DDF_SCRIPT_EXPR_DICT, cur(p)->pos);
    ddf_script_expr **keys = NULL, **values = NULL;
    size_t n = 0, kcap = 0, vcap = 0;
    int rc;

    if (!d)
        return no_memory(p);
    if ((rc = advance(p)) < 0)
        return rc;
    while (!is_op(p, DDF_SCRIPT_P_RBRACE)) {
        ddf_script_expr *k, *v;
        if (is_op(p, DDF_SCRIPT_P_POW))
            return unpacking(p);
        if ((rc = parse_expr(p, &k)) < 0)
            return rc;
        if (!is_op(p, DDF_SCRIPT_P_COLON)) {
            if (n == 0 && (is_op(p, DDF_SCRIPT_P_COMMA) || is_op(p, DDF_SCRIPT_P_RBRACE)))
                return fail(p, d->pos,
                            "set literals ('{a, b}') are not supported in ddf scripts");
            return after_expr(p, "':'");
        }
        if ((rc = advance(p)) < 0 || (rc = parse_expr(p, &v)) < 0)
            return rc;
        if (!(keys = grow(p, keys, n, &kcap, sizeof(*keys))))
            return no_memory(p);
        if (!(values = grow(p, values, n, &vcap, sizeof(*values))))
            return no_memory(p);
        keys[n] = k;
        values[n++] = v;
        deeper(d, k);
        deeper(d, v);
        if (is_op(p, DDF_SCRIPT_P_COMMA)) {
            if ((rc = advance(p)) < 0)
                return rc;
        } else if (!is_op(p, DDF_SCRIPT_P_RBRACE)) {
            return after_expr(p, "',' or '}'");
        }
    }
    if ((rc = advance(p)) < 0)
        return rc;
    d->dict.keys = keys;
    d->dict.values = values;
    d->dict.n = n;
    *out = d;
    return seal(p, d);
}

static int int_too_big(parser *p)
{
    return fail(p, cur(p)->pos,
                "integer literal 9223372036854775808 does not fit in int64 (ddf integers are "
                "64-bit)");
}

static int parse_atom(parser *p, ddf_script_expr **out)
{
    ddf_script_token *t = cur(p);
    ddf_script_expr *e;

    switch (t->kind) {
    case DDF_SCRIPT_TOK_NAME:
        if (tok_is_kw(t, "True") || tok_is_kw(t, "False")) {
            if (!(e = new_expr(p, DDF_SCRIPT_EXPR_BOOL, t->pos)))
                return no_memory(p);
            e->bool_value = tok_is_kw(t, "True");
        } else if (tok_is_kw(t, "None")) {
            if (!(e = new_expr(p, DDF_SCRIPT_EXPR_NONE, t->pos)))
                return no_memory(p);
        } else if (tok_is_ident(t)) {
            if (!(e = new_expr(p, DDF_SCRIPT_EXPR_NAME, t->pos)))
                return no_memory(p);
            if (!(e->name.text = copy_text(p, t->s, t->slen)))
                return no_memory(p);
            e->name.len = t->slen;
        } else if (tok_is_kw(t, "await") || tok_is_kw(t, "yield")) {
            return fail(p, t->pos, "'%.*s' is not supported in ddf scripts", (int)t->slen,
                        t->s);
        } else if (tok_is_kw(t, "lambda")) {
            return fail(p, t->pos, "a lambda cannot be an operand here; put it in parentheses");
        } else {
            return unexpected(p, "an expression");
        }
        break;
    case DDF_SCRIPT_TOK_INT:
        if (t->int_min)
            return int_too_big(p);
        if (!(e = new_expr(p, DDF_SCRIPT_EXPR_INT, t->pos)))
            return no_memory(p);
        e->int_value = t->i;
        break;
    case DDF_SCRIPT_TOK_FLOAT:
        if (!(e = new_expr(p, DDF_SCRIPT_EXPR_FLOAT, t->pos)))
            return no_memory(p);
        e->float_value = t->f;
        break;
    case DDF_SCRIPT_TOK_STRING:
        return parse_strings(p, out);
    case DDF_SCRIPT_TOK_OP:
        switch (t->punct) {
        case DDF_SCRIPT_P_LPAREN: return parse_paren(p, out);
        case DDF_SCRIPT_P_LBRACKET: return parse_list(p, out);
        case DDF_SCRIPT_P_LBRACE: return parse_dict(p, out);
        case DDF_SCRIPT_P_STAR: case DDF_SCRIPT_P_POW: return unpacking(p);
        default: return unexpected(p, "an expression");
        }
    default:
        return unexpected(p, "an expression");
    }
    *out = e;
    {
        int rc = advance(p);
        return rc < 0 ? rc : seal(p, e);
    }
}

/* '(' args ')' after 'func', which started at 'start'. */
static int parse_call(parser *p, ddf_script_pos start, ddf_script_expr *func,
                      ddf_script_expr **out)
{
    ddf_script_expr *c = new_expr(p, DDF_SCRIPT_EXPR_CALL, start), **args = NULL;
    ddf_script_keyword *kws = NULL;
    size_t nargs = 0, acap = 0, nkws = 0, kcap = 0;
    int rc;

    if (!c)
        return no_memory(p);
    c->op_pos = cur(p)->pos;
    c->call.func = func;
    deeper(c, func);
    if ((rc = advance(p)) < 0)
        return rc;
    while (!is_op(p, DDF_SCRIPT_P_RPAREN)) {
        ddf_script_token *t = cur(p);
        ddf_script_expr *v;

        if (is_op(p, DDF_SCRIPT_P_STAR) || is_op(p, DDF_SCRIPT_P_POW))
            return unpacking(p);
        if (tok_is_ident(t) && tok_is_op(peek(p, 1), DDF_SCRIPT_P_ASSIGN)) {
            ddf_script_keyword kw;
            kw.name_len = t->slen;
            kw.pos = t->pos;
            for (size_t k = 0; k < nkws; k++)
                if (kws[k].name_len == t->slen && memcmp(kws[k].name, t->s, t->slen) == 0)
                    return fail(p, t->pos, "keyword argument '%.*s' repeated", (int)t->slen,
                                t->s);
            if (!(kw.name = copy_text(p, t->s, t->slen)))
                return no_memory(p);
            if ((rc = advance(p)) < 0 || (rc = advance(p)) < 0 || (rc = parse_expr(p, &v)) < 0)
                return rc;
            kw.value = v;
            if (!(kws = grow(p, kws, nkws, &kcap, sizeof(*kws))))
                return no_memory(p);
            kws[nkws++] = kw;
        } else {
            if (nkws > 0)
                return fail(p, t->pos, "positional argument follows keyword argument");
            if ((rc = parse_expr(p, &v)) < 0)
                return rc;
            if (is_op(p, DDF_SCRIPT_P_ASSIGN))
                return fail(p, v->pos,
                            "expression cannot contain assignment, perhaps you meant \"==\"?");
            if (!(args = grow(p, args, nargs, &acap, sizeof(*args))))
                return no_memory(p);
            args[nargs++] = v;
        }
        deeper(c, v);
        if (is_op(p, DDF_SCRIPT_P_COMMA)) {
            if ((rc = advance(p)) < 0)
                return rc;
        } else if (!is_op(p, DDF_SCRIPT_P_RPAREN)) {
            return after_expr(p, "',' or ')'");
        }
    }
    if ((rc = advance(p)) < 0)
        return rc;
    c->call.args = args;
    c->call.nargs = nargs;
    c->call.keywords = kws;
    c->call.nkeywords = nkws;
    *out = c;
    return seal(p, c);
}

static int slice(parser *p)
{
    return fail(p, cur(p)->pos, "slices ('a[1:3]') are not supported in ddf scripts");
}

/* '[' index ']' after 'value': one expression, or a tuple of them; never a slice. */
static int parse_subscript(parser *p, ddf_script_pos start, ddf_script_expr *value,
                           ddf_script_expr **out)
{
    ddf_script_expr *s = new_expr(p, DDF_SCRIPT_EXPR_SUBSCRIPT, start), *index;
    ddf_script_pos istart;
    int rc;

    if (!s)
        return no_memory(p);
    s->op_pos = cur(p)->pos;
    if ((rc = advance(p)) < 0)
        return rc;
    istart = cur(p)->pos;
    if (is_op(p, DDF_SCRIPT_P_COLON))
        return slice(p);
    if ((rc = parse_expr(p, &index)) < 0)
        return rc;
    if (is_op(p, DDF_SCRIPT_P_COMMA)) {
        ddf_script_expr *t = new_expr(p, DDF_SCRIPT_EXPR_TUPLE, istart), **items = NULL;
        size_t n = 0, cap = 0;
        if (!t || !(items = grow(p, items, n, &cap, sizeof(*items))))
            return no_memory(p);
        items[n++] = index;
        deeper(t, index);
        while (is_op(p, DDF_SCRIPT_P_COMMA)) {
            ddf_script_expr *e;
            if ((rc = advance(p)) < 0)
                return rc;
            if (is_op(p, DDF_SCRIPT_P_RBRACKET))
                break;
            if (is_op(p, DDF_SCRIPT_P_COLON))
                return slice(p);
            if ((rc = parse_expr(p, &e)) < 0)
                return rc;
            if (!(items = grow(p, items, n, &cap, sizeof(*items))))
                return no_memory(p);
            items[n++] = e;
            deeper(t, e);
        }
        t->seq.items = items;
        t->seq.n = n;
        if ((rc = seal(p, t)) < 0)
            return rc;
        index = t;
    }
    if (is_op(p, DDF_SCRIPT_P_COLON))
        return slice(p);
    if ((rc = expect_op(p, DDF_SCRIPT_P_RBRACKET, "']'")) < 0)
        return rc;
    s->subscript.value = value;
    s->subscript.index = index;
    deeper(s, value);
    deeper(s, index);
    *out = s;
    return seal(p, s);
}

/* atom ('.' name | '(' args ')' | '[' index ']')*: a loop, so chains cost no recursion. */
static int parse_primary(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos;
    int rc;

    if ((rc = parse_atom(p, out)) < 0)
        return rc;
    for (;;) {
        if (is_op(p, DDF_SCRIPT_P_DOT)) {
            ddf_script_expr *a = new_expr(p, DDF_SCRIPT_EXPR_ATTRIBUTE, start);
            ddf_script_token *t;
            if (!a)
                return no_memory(p);
            a->op_pos = cur(p)->pos;
            if ((rc = advance(p)) < 0)
                return rc;
            t = cur(p);
            if (!tok_is_ident(t))
                return unexpected(p, "an attribute name after '.'");
            if (!(a->attribute.name = copy_text(p, t->s, t->slen)))
                return no_memory(p);
            a->attribute.name_len = t->slen;
            a->attribute.name_pos = t->pos;
            a->attribute.value = *out;
            deeper(a, *out);
            if ((rc = advance(p)) < 0)
                return rc;
            *out = a;
            if ((rc = seal(p, a)) < 0)
                return rc;
        } else if (is_op(p, DDF_SCRIPT_P_LPAREN)) {
            if ((rc = parse_call(p, start, *out, out)) < 0)
                return rc;
        } else if (is_op(p, DDF_SCRIPT_P_LBRACKET)) {
            if ((rc = parse_subscript(p, start, *out, out)) < 0)
                return rc;
        } else {
            return DDF_OK;
        }
    }
}

/* primary ['**' factor] */
static int parse_power(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos, op_pos;
    ddf_script_expr *r;
    int rc;

    if ((rc = parse_primary(p, out)) < 0)
        return rc;
    if (!is_op(p, DDF_SCRIPT_P_POW))
        return DDF_OK;
    op_pos = cur(p)->pos;
    if ((rc = enter(p)) < 0 || (rc = advance(p)) < 0 || (rc = parse_factor(p, &r)) < 0)
        return rc;
    leave(p);
    return make_binary(p, DDF_SCRIPT_EXPR_BINARY, DDF_SCRIPT_OP_POW, start, op_pos, *out, r,
                       out);
}

/* ('-'|'+'|'~') factor | power */
static int parse_factor(parser *p, ddf_script_expr **out)
{
    ddf_script_token *t = cur(p);
    ddf_script_pos start = t->pos;
    ddf_script_op op;
    ddf_script_expr *e;
    int rc;

    if (tok_is_op(t, DDF_SCRIPT_P_MINUS))
        op = DDF_SCRIPT_OP_NEG;
    else if (tok_is_op(t, DDF_SCRIPT_P_PLUS))
        op = DDF_SCRIPT_OP_POS;
    else if (tok_is_op(t, DDF_SCRIPT_P_TILDE))
        op = DDF_SCRIPT_OP_INVERT;
    else
        return parse_power(p, out);
    if (op == DDF_SCRIPT_OP_NEG && peek(p, 1)->kind == DDF_SCRIPT_TOK_INT && peek(p, 1)->int_min) {
        /* -9223372036854775808 is INT64_MIN, unless the literal is an operand of something
         * that binds tighter than the sign ('**', '.', a call, a subscript) */
        ddf_script_token *after = peek(p, 2);
        if (!tok_is_op(after, DDF_SCRIPT_P_POW) && !tok_is_op(after, DDF_SCRIPT_P_DOT) &&
            !tok_is_op(after, DDF_SCRIPT_P_LPAREN) && !tok_is_op(after, DDF_SCRIPT_P_LBRACKET)) {
            if (!(e = new_expr(p, DDF_SCRIPT_EXPR_INT, start)))
                return no_memory(p);
            e->int_value = INT64_MIN;
            if ((rc = advance(p)) < 0 || (rc = advance(p)) < 0)
                return rc;
            *out = e;
            return seal(p, e);
        }
    }
    if (!(e = new_expr(p, DDF_SCRIPT_EXPR_UNARY, start)))
        return no_memory(p);
    e->unary.op = op;
    if ((rc = enter(p)) < 0 || (rc = advance(p)) < 0 ||
        (rc = parse_factor(p, &e->unary.operand)) < 0)
        return rc;
    leave(p);
    deeper(e, e->unary.operand);
    *out = e;
    return seal(p, e);
}

/* One left-assoc level of binary operators: 'ops' (their 'n' punctuations, mapped to
 * 'aops') between operands parsed by 'next'. */
static int parse_left_assoc(parser *p, ddf_script_expr **out,
                            int (*next)(parser *, ddf_script_expr **),
                            const ddf_script_punct *ops, const ddf_script_op *aops, size_t n)
{
    ddf_script_pos start = cur(p)->pos;
    int rc;

    if ((rc = next(p, out)) < 0)
        return rc;
    for (;;) {
        ddf_script_pos op_pos = cur(p)->pos;
        ddf_script_expr *r;
        size_t k;

        for (k = 0; k < n && !is_op(p, ops[k]); k++)
            ;
        if (k == n)
            return DDF_OK;
        if ((rc = advance(p)) < 0 || (rc = next(p, &r)) < 0 ||
            (rc = make_binary(p, DDF_SCRIPT_EXPR_BINARY, aops[k], start, op_pos, *out, r,
                              out)) < 0)
            return rc;
    }
}

static int parse_term(parser *p, ddf_script_expr **out)
{
    static const ddf_script_punct ops[] = {DDF_SCRIPT_P_STAR, DDF_SCRIPT_P_SLASH,
                                           DDF_SCRIPT_P_FLOORDIV, DDF_SCRIPT_P_PERCENT};
    static const ddf_script_op aops[] = {DDF_SCRIPT_OP_MUL, DDF_SCRIPT_OP_DIV,
                                         DDF_SCRIPT_OP_FLOORDIV, DDF_SCRIPT_OP_MOD};
    return parse_left_assoc(p, out, parse_factor, ops, aops, 4);
}

static int parse_sum(parser *p, ddf_script_expr **out)
{
    static const ddf_script_punct ops[] = {DDF_SCRIPT_P_PLUS, DDF_SCRIPT_P_MINUS};
    static const ddf_script_op aops[] = {DDF_SCRIPT_OP_ADD, DDF_SCRIPT_OP_SUB};
    return parse_left_assoc(p, out, parse_term, ops, aops, 2);
}

static int parse_bitand(parser *p, ddf_script_expr **out)
{
    static const ddf_script_punct ops[] = {DDF_SCRIPT_P_AMP};
    static const ddf_script_op aops[] = {DDF_SCRIPT_OP_BITAND};
    return parse_left_assoc(p, out, parse_sum, ops, aops, 1);
}

static int parse_bitxor(parser *p, ddf_script_expr **out)
{
    static const ddf_script_punct ops[] = {DDF_SCRIPT_P_CARET};
    static const ddf_script_op aops[] = {DDF_SCRIPT_OP_BITXOR};
    return parse_left_assoc(p, out, parse_bitand, ops, aops, 1);
}

static int parse_bitor(parser *p, ddf_script_expr **out)
{
    static const ddf_script_punct ops[] = {DDF_SCRIPT_P_PIPE};
    static const ddf_script_op aops[] = {DDF_SCRIPT_OP_BITOR};
    return parse_left_assoc(p, out, parse_bitxor, ops, aops, 1);
}

/* The comparison operator at the current token, and how many tokens it takes; 0 if none. */
static int comparison_op(parser *p, ddf_script_op *op)
{
    static const struct {
        ddf_script_punct punct;
        ddf_script_op op;
    } cmps[] = {
        {DDF_SCRIPT_P_EQ, DDF_SCRIPT_OP_EQ}, {DDF_SCRIPT_P_NE, DDF_SCRIPT_OP_NE},
        {DDF_SCRIPT_P_LT, DDF_SCRIPT_OP_LT}, {DDF_SCRIPT_P_LE, DDF_SCRIPT_OP_LE},
        {DDF_SCRIPT_P_GT, DDF_SCRIPT_OP_GT}, {DDF_SCRIPT_P_GE, DDF_SCRIPT_OP_GE},
    };
    for (size_t k = 0; k < sizeof(cmps) / sizeof(cmps[0]); k++)
        if (is_op(p, cmps[k].punct)) {
            *op = cmps[k].op;
            return 1;
        }
    if (is_kw(p, "in")) {
        *op = DDF_SCRIPT_OP_IN;
        return 1;
    }
    if (is_kw(p, "not") && tok_is_kw(peek(p, 1), "in")) {
        *op = DDF_SCRIPT_OP_NOT_IN;
        return 2;
    }
    if (is_kw(p, "is")) {
        bool neg = tok_is_kw(peek(p, 1), "not");
        *op = neg ? DDF_SCRIPT_OP_IS_NOT : DDF_SCRIPT_OP_IS;
        return neg ? 2 : 1;
    }
    return 0;
}

/* bitor [cmp bitor]; a second comparison is refused. */
static int parse_comparison(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos, op_pos;
    ddf_script_op op = DDF_SCRIPT_OP_NONE;
    ddf_script_expr *r;
    int rc, ntok;

    if ((rc = parse_bitor(p, out)) < 0)
        return rc;
    if ((ntok = comparison_op(p, &op)) == 0)
        return DDF_OK;
    op_pos = cur(p)->pos;
    while (ntok-- > 0)
        if ((rc = advance(p)) < 0)
            return rc;
    if ((rc = parse_bitor(p, &r)) < 0 ||
        (rc = make_binary(p, DDF_SCRIPT_EXPR_COMPARE, op, start, op_pos, *out, r, out)) < 0)
        return rc;
    if (comparison_op(p, &op))
        return fail(p, cur(p)->pos,
                    "chained comparisons ('a < b < c') are not supported in ddf scripts "
                    "(pandas series cannot chain them); write (a < b) & (b < c)");
    return DDF_OK;
}

/* 'not' not | comparison */
static int parse_not(parser *p, ddf_script_expr **out)
{
    ddf_script_expr *e;
    int rc;

    if (!is_kw(p, "not"))
        return parse_comparison(p, out);
    if (!(e = new_expr(p, DDF_SCRIPT_EXPR_UNARY, cur(p)->pos)))
        return no_memory(p);
    e->unary.op = DDF_SCRIPT_OP_NOT;
    if ((rc = enter(p)) < 0 || (rc = advance(p)) < 0 ||
        (rc = parse_not(p, &e->unary.operand)) < 0)
        return rc;
    leave(p);
    deeper(e, e->unary.operand);
    *out = e;
    return seal(p, e);
}

/* Left-assoc 'and' or 'or' over operands parsed by 'next'. */
static int parse_boolop(parser *p, ddf_script_expr **out, const char *kw, ddf_script_op op,
                        int (*next)(parser *, ddf_script_expr **))
{
    ddf_script_pos start = cur(p)->pos;
    int rc;

    if ((rc = next(p, out)) < 0)
        return rc;
    while (is_kw(p, kw)) {
        ddf_script_pos op_pos = cur(p)->pos;
        ddf_script_expr *r;
        if ((rc = advance(p)) < 0 || (rc = next(p, &r)) < 0 ||
            (rc = make_binary(p, DDF_SCRIPT_EXPR_BOOLOP, op, start, op_pos, *out, r, out)) < 0)
            return rc;
    }
    return DDF_OK;
}

static int parse_and(parser *p, ddf_script_expr **out)
{
    return parse_boolop(p, out, "and", DDF_SCRIPT_OP_AND, parse_not);
}

static int parse_or(parser *p, ddf_script_expr **out)
{
    return parse_boolop(p, out, "or", DDF_SCRIPT_OP_OR, parse_and);
}

/* 'lambda' name (',' name)* [','] ':' expr */
static int parse_lambda(parser *p, ddf_script_expr **out)
{
    ddf_script_expr *l = new_expr(p, DDF_SCRIPT_EXPR_LAMBDA, cur(p)->pos);
    ddf_script_param *params = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (!l)
        return no_memory(p);
    if ((rc = advance(p)) < 0)
        return rc;
    while (!is_op(p, DDF_SCRIPT_P_COLON)) {
        ddf_script_token *t = cur(p);
        ddf_script_param param;

        if (is_op(p, DDF_SCRIPT_P_STAR) || is_op(p, DDF_SCRIPT_P_POW))
            return unpacking(p);
        if (!tok_is_ident(t))
            return unexpected(p, n == 0 ? "a parameter name after 'lambda'" : "a parameter name");
        for (size_t k = 0; k < n; k++)
            if (params[k].name_len == t->slen && memcmp(params[k].name, t->s, t->slen) == 0)
                return fail(p, t->pos, "duplicate parameter '%.*s' in lambda", (int)t->slen,
                            t->s);
        param.name_len = t->slen;
        param.pos = t->pos;
        if (!(param.name = copy_text(p, t->s, t->slen)) ||
            !(params = grow(p, params, n, &cap, sizeof(*params))))
            return no_memory(p);
        params[n++] = param;
        if ((rc = advance(p)) < 0)
            return rc;
        if (is_op(p, DDF_SCRIPT_P_ASSIGN))
            return fail(p, cur(p)->pos,
                        "default values of lambda parameters are not supported in ddf scripts");
        if (is_op(p, DDF_SCRIPT_P_COMMA)) {
            if ((rc = advance(p)) < 0)
                return rc;
        } else if (!is_op(p, DDF_SCRIPT_P_COLON)) {
            return unexpected(p, "',' or ':'");
        }
    }
    if (n == 0)
        return fail(p, cur(p)->pos, "a lambda needs at least one parameter (lambda x: ...)");
    if ((rc = advance(p)) < 0)
        return rc;
    l->lambda.body_pos = cur(p)->pos;
    if ((rc = parse_expr(p, &l->lambda.body)) < 0)
        return rc;
    l->lambda.body_len = p->prev_end - l->lambda.body_pos.offset;
    l->lambda.params = params;
    l->lambda.nparams = n;
    deeper(l, l->lambda.body);
    *out = l;
    return seal(p, l);
}

/* expr: lambda | or ['if' or 'else' expr]: Python's conditional expression, which
 * lambdas use ('lambda x: "big" if x > 5 else "small"'). */
static int parse_expr(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos;
    int rc;

    if ((rc = enter(p)) < 0)
        return rc;
    if (is_kw(p, "lambda"))
        rc = parse_lambda(p, out);
    else
        rc = parse_or(p, out);
    if (rc == DDF_OK && is_kw(p, "if") && (*out)->kind != DDF_SCRIPT_EXPR_LAMBDA) {
        ddf_script_expr *e = new_expr(p, DDF_SCRIPT_EXPR_IFEXP, start);

        if (!e) {
            leave(p);
            return no_memory(p);
        }
        e->op_pos = cur(p)->pos;
        e->ifexp.body = *out;
        if ((rc = advance(p)) == DDF_OK && (rc = parse_or(p, &e->ifexp.test)) == DDF_OK) {
            if (!is_kw(p, "else"))
                rc = unexpected(p, "'else' of the conditional expression");
            else if ((rc = advance(p)) == DDF_OK)
                rc = parse_expr(p, &e->ifexp.orelse);
        }
        if (rc == DDF_OK) {
            deeper(e, e->ifexp.body);
            deeper(e, e->ifexp.test);
            deeper(e, e->ifexp.orelse);
            *out = e;
            rc = seal(p, e);
        }
    } else if (rc == DDF_OK && is_kw(p, "if")) {
        rc = after_expr(p, "");
    }
    leave(p);
    return rc;
}

/* ---- statements -------------------------------------------------------------------------- */

static int parse_statement(parser *p, ddf_script_stmt ***stmts, size_t *n, size_t *cap);

static ddf_script_stmt *new_stmt(parser *p, ddf_script_stmt_kind kind, ddf_script_pos start)
{
    ddf_script_stmt *s = ddf_arena_calloc(p->arena, 1, sizeof(*s));

    if (s) {
        s->kind = kind;
        s->pos = start;
    }
    return s;
}

static int append_stmt(parser *p, ddf_script_stmt ***stmts, size_t *n, size_t *cap,
                       ddf_script_stmt *s)
{
    ddf_script_stmt **bigger = grow(p, *stmts, *n, cap, sizeof(**stmts));

    if (!bigger)
        return no_memory(p);
    *stmts = bigger;
    (*stmts)[(*n)++] = s;
    return DDF_OK;
}

/* The message for a statement keyword the language leaves out, or NULL. */
static const char *refused_message(const ddf_script_token *t)
{
    for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
        if (tok_is_kw(t, refused[k].keyword))
            return refused[k].message;
    return NULL;
}

/* Whether 'e' may be assigned to; fails with the reason when not. */
static int check_target(parser *p, const ddf_script_expr *e)
{
    switch (e->kind) {
    case DDF_SCRIPT_EXPR_NAME:
    case DDF_SCRIPT_EXPR_SUBSCRIPT:
        return DDF_OK;
    case DDF_SCRIPT_EXPR_TUPLE:
        if (e->seq.n == 0)
            return fail(p, e->pos, "cannot assign to ()");
        for (size_t k = 0; k < e->seq.n; k++) {
            const ddf_script_expr *item = e->seq.items[k];
            if (item->kind == DDF_SCRIPT_EXPR_TUPLE || item->kind == DDF_SCRIPT_EXPR_LIST)
                return fail(p, item->pos, "nested unpacking is not supported in ddf scripts");
            if (item->kind != DDF_SCRIPT_EXPR_NAME)
                return fail(p, item->pos,
                            "only names can be unpacked in an assignment (a, b = ...)");
        }
        return DDF_OK;
    case DDF_SCRIPT_EXPR_ATTRIBUTE:
        return fail(p, e->pos,
                    "assigning to an attribute ('a.%s = ...') is not supported in ddf "
                    "scripts; write a[\"%s\"] = ... to set a column",
                    e->attribute.name, e->attribute.name);
    case DDF_SCRIPT_EXPR_CALL:
        return fail(p, e->pos, "cannot assign to a function call");
    case DDF_SCRIPT_EXPR_INT: case DDF_SCRIPT_EXPR_FLOAT: case DDF_SCRIPT_EXPR_STRING:
    case DDF_SCRIPT_EXPR_BOOL: case DDF_SCRIPT_EXPR_NONE:
        return fail(p, e->pos, "cannot assign to a literal");
    case DDF_SCRIPT_EXPR_COMPARE:
        return fail(p, e->pos, "cannot assign to a comparison (use '==' to compare)");
    default:
        return fail(p, e->pos, "cannot assign to this expression; assign to a name, names "
                               "(a, b = ...) or a subscript (df[\"c\"] = ...)");
    }
}

/* A dotted module name (a.b.c) into a new arena string. */
static int parse_dotted(parser *p, const char **name, size_t *len, ddf_script_pos *pos)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *pos = cur(p)->pos;
    for (;;) {
        ddf_script_token *t = cur(p);
        if (!tok_is_ident(t))
            return unexpected(p, "a module name");
        /* 'cap' doubles past the parts' total, which the source bounds */
        while (n + t->slen + 2 > cap) {
            size_t want = cap ? 2 * cap : 32;
            char *bigger = ddf_arena_realloc(p->arena, buf, cap, want);
            if (!bigger)
                return no_memory(p);
            buf = bigger;
            cap = want;
        }
        memcpy(buf + n, t->s, t->slen);
        n += t->slen;
        buf[n] = '\0';
        if ((rc = advance(p)) < 0)
            return rc;
        if (!is_op(p, DDF_SCRIPT_P_DOT))
            break;
        buf[n++] = '.';
        if ((rc = advance(p)) < 0)
            return rc;
    }
    *name = buf;
    *len = n;
    return DDF_OK;
}

/* ['as' name] after an imported name. */
static int parse_as(parser *p, ddf_script_alias *a)
{
    ddf_script_token *t;
    int rc;

    a->asname = NULL;
    a->asname_len = 0;
    if (!is_kw(p, "as"))
        return DDF_OK;
    if ((rc = advance(p)) < 0)
        return rc;
    t = cur(p);
    if (!tok_is_ident(t))
        return unexpected(p, "a name after 'as'");
    a->as_pos = t->pos;
    a->asname_len = t->slen;
    if (!(a->asname = copy_text(p, t->s, t->slen)))
        return no_memory(p);
    return advance(p);
}

/* 'import' dotted ['as' name] (',' ...)*  or
 * 'from' dotted 'import' (name ['as' name], ... | '(' ... ')') */
static int parse_import(parser *p, ddf_script_stmt *s)
{
    bool from = is_kw(p, "from"), paren = false;
    ddf_script_alias *names = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if ((rc = advance(p)) < 0)
        return rc;
    if (from) {
        if (is_op(p, DDF_SCRIPT_P_DOT) || is_op(p, DDF_SCRIPT_P_ELLIPSIS))
            return fail(p, cur(p)->pos,
                        "relative imports ('from . import x') are not supported in ddf scripts");
        if ((rc = parse_dotted(p, &s->import.module, &s->import.module_len,
                               &s->import.module_pos)) < 0)
            return rc;
        if (!is_kw(p, "import"))
            return unexpected(p, "'import'");
        if ((rc = advance(p)) < 0)
            return rc;
        if (is_op(p, DDF_SCRIPT_P_STAR))
            return fail(p, cur(p)->pos,
                        "'from ... import *' is not supported in ddf scripts; name what you "
                        "import");
        if (is_op(p, DDF_SCRIPT_P_LPAREN)) {
            paren = true;
            if ((rc = advance(p)) < 0)
                return rc;
        }
    }
    for (;;) {
        ddf_script_alias a;
        memset(&a, 0, sizeof(a));
        if (from) {
            ddf_script_token *t = cur(p);
            if (!tok_is_ident(t))
                return unexpected(p, "a name to import");
            a.pos = t->pos;
            a.name_len = t->slen;
            if (!(a.name = copy_text(p, t->s, t->slen)))
                return no_memory(p);
            if ((rc = advance(p)) < 0)
                return rc;
        } else if ((rc = parse_dotted(p, &a.name, &a.name_len, &a.pos)) < 0) {
            return rc;
        }
        if ((rc = parse_as(p, &a)) < 0)
            return rc;
        if (!(names = grow(p, names, n, &cap, sizeof(*names))))
            return no_memory(p);
        names[n++] = a;
        if (!is_op(p, DDF_SCRIPT_P_COMMA))
            break;
        if ((rc = advance(p)) < 0)
            return rc;
        if (paren && is_op(p, DDF_SCRIPT_P_RPAREN))
            break;
    }
    if (paren && (rc = expect_op(p, DDF_SCRIPT_P_RPAREN, "',' or ')'")) < 0)
        return rc;
    s->import.names = names;
    s->import.nnames = n;
    return DDF_OK;
}

/* One simple statement (no ';', no NEWLINE). */
static int parse_simple(parser *p, ddf_script_stmt **out)
{
    ddf_script_token *t = cur(p);
    ddf_script_pos start = t->pos;
    ddf_script_stmt *s = NULL;
    ddf_script_expr *e, *v;
    const char *msg;
    int rc;

    if (tok_is_kw(t, "for"))
        return fail(p, t->pos, "a 'for' loop must start its own line");
    if ((msg = refused_message(t)) != NULL)
        return fail(p, t->pos, "%s", msg);
    if (tok_is_kw(t, "pass")) {
        if (!(s = new_stmt(p, DDF_SCRIPT_STMT_PASS, start)))
            return no_memory(p);
        if ((rc = advance(p)) < 0)
            return rc;
    } else if (tok_is_kw(t, "import") || tok_is_kw(t, "from")) {
        if (!(s = new_stmt(p, DDF_SCRIPT_STMT_IMPORT, start)))
            return no_memory(p);
        if ((rc = parse_import(p, s)) < 0)
            return rc;
    } else {
        if ((rc = parse_exprlist(p, &e)) < 0)
            return rc;
        if (is_op(p, DDF_SCRIPT_P_ASSIGN)) {
            if ((rc = check_target(p, e)) < 0)
                return rc;
            if (!(s = new_stmt(p, DDF_SCRIPT_STMT_ASSIGN, start)))
                return no_memory(p);
            s->assign.op_pos = cur(p)->pos;
            if ((rc = advance(p)) < 0 || (rc = parse_exprlist(p, &v)) < 0)
                return rc;
            if (is_op(p, DDF_SCRIPT_P_ASSIGN))
                return fail(p, cur(p)->pos,
                            "chained assignment ('a = b = ...') is not supported in ddf scripts");
            s->assign.target = e;
            s->assign.value = v;
        } else if (is_op(p, DDF_SCRIPT_P_COLON)) {
            return fail(p, cur(p)->pos,
                        "variable annotations ('x: int = ...') are not supported in ddf scripts");
        } else {
            if (!(s = new_stmt(p, DDF_SCRIPT_STMT_EXPR, start)))
                return no_memory(p);
            s->expr.value = e;
        }
    }
    s->len = p->prev_end - start.offset;
    *out = s;
    return DDF_OK;
}

/* simple (';' simple)* [';'] NEWLINE, appended to the statement list. */
static int parse_simple_line(parser *p, ddf_script_stmt ***stmts, size_t *n, size_t *cap)
{
    int rc;

    for (;;) {
        ddf_script_stmt *s = NULL;
        if ((rc = parse_simple(p, &s)) < 0 || (rc = append_stmt(p, stmts, n, cap, s)) < 0)
            return rc;
        if (is_op(p, DDF_SCRIPT_P_SEMI)) {
            if ((rc = advance(p)) < 0)
                return rc;
            if (cur(p)->kind == DDF_SCRIPT_TOK_NEWLINE)
                break;
            continue;
        }
        if (cur(p)->kind == DDF_SCRIPT_TOK_NEWLINE)
            break;
        return after_expr(p, "';' or the end of the line");
    }
    return advance(p);
}

/* for targets: name (',' name)* [','], optionally parenthesized; a TUPLE from a comma on. */
static int parse_for_target(parser *p, ddf_script_expr **out)
{
    ddf_script_pos start = cur(p)->pos;
    bool paren = is_op(p, DDF_SCRIPT_P_LPAREN), comma = false;
    ddf_script_expr *t, **items = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (paren && (rc = advance(p)) < 0)
        return rc;
    for (;;) {
        ddf_script_token *tok = cur(p);
        ddf_script_expr *name;

        if (is_op(p, DDF_SCRIPT_P_LPAREN) || is_op(p, DDF_SCRIPT_P_LBRACKET))
            return fail(p, tok->pos,
                        "nested unpacking in a 'for' target is not supported in ddf scripts");
        if (is_op(p, DDF_SCRIPT_P_STAR))
            return unpacking(p);
        if (!tok_is_ident(tok))
            return unexpected(p, "a name");
        if (!(name = new_expr(p, DDF_SCRIPT_EXPR_NAME, tok->pos)) ||
            !(name->name.text = copy_text(p, tok->s, tok->slen)))
            return no_memory(p);
        name->name.len = tok->slen;
        if ((rc = advance(p)) < 0 || (rc = seal(p, name)) < 0)
            return rc;
        if (!(items = grow(p, items, n, &cap, sizeof(*items))))
            return no_memory(p);
        items[n++] = name;
        if (!is_op(p, DDF_SCRIPT_P_COMMA))
            break;
        comma = true;
        if ((rc = advance(p)) < 0)
            return rc;
        if (paren ? is_op(p, DDF_SCRIPT_P_RPAREN) : is_kw(p, "in"))
            break;
    }
    if (is_op(p, DDF_SCRIPT_P_DOT) || is_op(p, DDF_SCRIPT_P_LBRACKET) ||
        is_op(p, DDF_SCRIPT_P_LPAREN))
        return fail(p, cur(p)->pos,
                    "a 'for' target must be a name or names separated by commas");
    if (paren && (rc = expect_op(p, DDF_SCRIPT_P_RPAREN, "',' or ')'")) < 0)
        return rc;
    if (!comma) {
        *out = items[0];
        return DDF_OK;
    }
    if (!(t = new_expr(p, DDF_SCRIPT_EXPR_TUPLE, start)))
        return no_memory(p);
    t->seq.items = items;
    t->seq.n = n;
    t->depth = 2;
    *out = t;
    return seal(p, t);
}

/* 'for' targets 'in' exprlist ':' suite */
static int parse_for(parser *p, ddf_script_stmt **out)
{
    ddf_script_stmt *s = new_stmt(p, DDF_SCRIPT_STMT_FOR, cur(p)->pos), **body = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (!s)
        return no_memory(p);
    if ((rc = advance(p)) < 0 || (rc = parse_for_target(p, &s->loop.target)) < 0)
        return rc;
    if (!is_kw(p, "in"))
        return unexpected(p, "'in'");
    if ((rc = advance(p)) < 0 || (rc = parse_exprlist(p, &s->loop.iter)) < 0)
        return rc;
    if ((rc = expect_op(p, DDF_SCRIPT_P_COLON, "':'")) < 0)
        return rc;
    if (cur(p)->kind != DDF_SCRIPT_TOK_NEWLINE) {
        /* one-line suite: for c in df.columns: print(c) */
        if ((rc = parse_simple_line(p, &body, &n, &cap)) < 0)
            return rc;
        p->last_suite_block = false;
    } else {
        if ((rc = advance(p)) < 0)
            return rc;
        if (cur(p)->kind != DDF_SCRIPT_TOK_INDENT) {
            /* At the end of input the body may still come, unless a REPL user has ended
             * the block with an empty line. */
            bool more = cur(p)->kind == DDF_SCRIPT_TOK_EOF &&
                        !((p->flags & DDF_SCRIPT_PARSE_INTERACTIVE) &&
                          p->lx.ends_with_blank_line);
            return fail_ex(p, DDF_EPARSE, cur(p)->pos, more,
                           "expected an indented block after the 'for' statement on line %d",
                           s->pos.line);
        }
        if ((rc = advance(p)) < 0)
            return rc;
        while (cur(p)->kind != DDF_SCRIPT_TOK_DEDENT)
            if ((rc = parse_statement(p, &body, &n, &cap)) < 0)
                return rc;
        if ((rc = advance(p)) < 0)
            return rc;
        p->last_suite_block = true;
    }
    s->loop.body = body;
    s->loop.nbody = n;
    s->len = body[n - 1]->pos.offset + body[n - 1]->len - s->pos.offset;
    *out = s;
    return DDF_OK;
}

/* One line's statements, or a 'for' with its body, appended to the list. */
static int parse_statement(parser *p, ddf_script_stmt ***stmts, size_t *n, size_t *cap)
{
    ddf_script_token *t = cur(p);
    ddf_script_stmt *s = NULL;
    int rc;

    if (tok_is_kw(t, "for")) {
        if ((rc = parse_for(p, &s)) < 0)
            return rc;
        return append_stmt(p, stmts, n, cap, s);
    }
    if (tok_is_op(t, DDF_SCRIPT_P_AT))
        return fail(p, t->pos, "decorators ('@') are not supported in ddf scripts");
    if (t->kind == DDF_SCRIPT_TOK_INDENT)
        return fail(p, t->pos, "unexpected indent");
    p->last_suite_block = false;
    return parse_simple_line(p, stmts, n, cap);
}

int ddf_script_parse(const char *source, size_t len, unsigned flags, ddf_arena *arena,
                     ddf_script_program **out, ddf_script_error *err)
{
    ddf_script_error scratch;
    ddf_script_program *prog;
    ddf_script_stmt **stmts = NULL;
    size_t n = 0, cap = 0;
    bool open_block = false;
    parser *p;
    int rc;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (out)
        *out = NULL;
    if (!out || !arena || (!source && len > 0)) {
        snprintf(err->message, sizeof(err->message), "ddf_script_parse: invalid arguments");
        return err->code = DDF_EINVAL;
    }
    /* The parser holds the tokenizer's indentation and bracket stacks (a few KiB): in the
     * arena rather than on the caller's stack. */
    if (!(p = ddf_arena_calloc(arena, 1, sizeof(*p)))) {
        snprintf(err->message, sizeof(err->message), "out of memory while parsing the script");
        return err->code = DDF_ENOMEM;
    }
    p->flags = flags;
    p->arena = arena;
    p->err = err;
    if ((rc = ddf_script_lex_init(&p->lx, source, len, arena)) < 0) {
        *err = p->lx.err;
        return rc;
    }
    if (peek(p, 0)->kind == DDF_SCRIPT_TOK_ERROR) {
        *err = p->lx.err;
        return err->code;
    }
    while (cur(p)->kind != DDF_SCRIPT_TOK_EOF) {
        if (cur(p)->kind == DDF_SCRIPT_TOK_NEWLINE || cur(p)->kind == DDF_SCRIPT_TOK_DEDENT) {
            if ((rc = advance(p)) < 0) /* not produced at the top level; harmless */
                return rc;
            continue;
        }
        open_block = false;
        if ((rc = parse_statement(p, &stmts, &n, &cap)) < 0)
            return rc;
        open_block = stmts[n - 1]->kind == DDF_SCRIPT_STMT_FOR && p->last_suite_block;
    }
    if ((flags & DDF_SCRIPT_PARSE_INTERACTIVE) && open_block && !p->lx.ends_with_blank_line)
        return fail_ex(p, DDF_EPARSE, cur(p)->pos, true,
                       "the 'for' block goes on until an empty line");
    if (!(prog = ddf_arena_calloc(arena, 1, sizeof(*prog))))
        return no_memory(p);
    prog->stmts = stmts;
    prog->nstmts = n;
    prog->source = p->lx.src;
    prog->source_len = p->lx.len;
    *out = prog;
    err->code = DDF_OK;
    return DDF_OK;
}
