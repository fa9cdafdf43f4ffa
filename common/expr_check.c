/* expr_check.c - type checking of expression trees against a schema.
 *
 * Before any data is touched, every node gets its result dtype by pandas' rules, so the
 * worker knows the type of a new column and the client can report a mistake with a caret
 * instead of a failure on some partition. The rules, written once here:
 *   - arithmetic: bool acts as int64; int op int is int64 for + - * // %, / is float64,
 *     ** is int64 only with a non-negative int literal exponent (else float64); any
 *     float64 or None operand makes float64; string + string is concatenation; any other
 *     string operand is an error ("cannot add string and int64", caret at the operator).
 *   - comparisons give bool; numbers compare with numbers (bool included), strings with
 *     strings, None with anything; otherwise "cannot compare string and int64".
 *   - and or not & | ~ take bool (or None) operands and give bool.
 *   - functions have fixed signatures (table below); if_else/fillna join their value types
 *     with ddf_dtype_join and refuse a join that turns non-strings into strings.
 * An all-null inferred column has storage dtype float64 (schema.h) and checks as such.
 * Recursion is bounded by the tree depth, which the parser caps at DDF_MAX_EXPR_DEPTH. */
#include "expr.h"
#include "expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct checker {
    const ddf_schema *schema;
    ddf_error *err;
} checker;

/* Arity of each function, in DDF_EXPR_FUNC_MAP order. */
static const struct {
    unsigned char min, max;
} arity[DDF_EXPR_FN_COUNT] = {
    [DDF_EXPR_FN_ABS] = {1, 1},      [DDF_EXPR_FN_ROUND] = {1, 2},
    [DDF_EXPR_FN_FLOOR] = {1, 1},    [DDF_EXPR_FN_CEIL] = {1, 1},
    [DDF_EXPR_FN_SQRT] = {1, 1},     [DDF_EXPR_FN_EXP] = {1, 1},
    [DDF_EXPR_FN_LOG] = {1, 1},      [DDF_EXPR_FN_LOG10] = {1, 1},
    [DDF_EXPR_FN_POW] = {2, 2},      [DDF_EXPR_FN_LOWER] = {1, 1},
    [DDF_EXPR_FN_UPPER] = {1, 1},    [DDF_EXPR_FN_LEN] = {1, 1},
    [DDF_EXPR_FN_STRIP] = {1, 1},    [DDF_EXPR_FN_CONTAINS] = {2, 2},
    [DDF_EXPR_FN_STARTSWITH] = {2, 2}, [DDF_EXPR_FN_ENDSWITH] = {2, 2},
    [DDF_EXPR_FN_REPLACE] = {3, 3},  [DDF_EXPR_FN_SUBSTR] = {2, 3},
    [DDF_EXPR_FN_IF_ELSE] = {3, 3},  [DDF_EXPR_FN_FILLNA] = {2, 2},
    [DDF_EXPR_FN_ISNULL] = {1, 1},   [DDF_EXPR_FN_NOTNULL] = {1, 1},
    [DDF_EXPR_FN_ASTYPE] = {2, 2},
};

static int type_error(checker *c, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int type_error(checker *c, size_t off, const char *fmt, ...)
{
    va_list ap;
    char msg[DDF_ERROR_MSG_BYTES];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ddf_error_setf(c->err, DDF_ETYPE, "%s", msg);
    if (c->err)
        c->err->offset = (int64_t)off;
    return DDF_ETYPE;
}

/* Offset of the leftmost token of 'e': where a caret under an operand belongs. */
static size_t start_of(const ddf_expr *e)
{
    while ((e->kind == DDF_EXPR_BINARY || e->kind == DDF_EXPR_ISIN) && e->nargs > 0 &&
           e->args[0]->offset < e->offset)
        e = e->args[0];
    return e->offset;
}

static const char *tn(ddf_dtype t)
{
    return t == DDF_DTYPE_NULL ? "None" : ddf_dtype_name(t);
}

static int is_num(ddf_dtype t)
{
    return t == DDF_DTYPE_NULL || t == DDF_DTYPE_BOOL || t == DDF_DTYPE_INT64 ||
           t == DDF_DTYPE_FLOAT64;
}

static int is_intlike(ddf_dtype t)
{
    return t == DDF_DTYPE_BOOL || t == DDF_DTYPE_INT64;
}

static int is_int_literal(const ddf_expr *e)
{
    return e->kind == DDF_EXPR_INT || (e->kind == DDF_EXPR_UNARY && e->op == DDF_EXPR_OP_NEG &&
                                       e->args[0]->kind == DDF_EXPR_INT);
}

static const char *verb(ddf_expr_op op)
{
    switch (op) {
    case DDF_EXPR_OP_ADD: return "add";
    case DDF_EXPR_OP_SUB: return "subtract";
    case DDF_EXPR_OP_MUL: return "multiply";
    case DDF_EXPR_OP_DIV: return "divide";
    case DDF_EXPR_OP_FLOORDIV: return "floor-divide";
    case DDF_EXPR_OP_MOD: return "take the modulo of";
    default: return "raise to a power";
    }
}

/* Result of arithmetic 'op' on 'l' and 'r' ('rhs' is the right operand node). */
static int arith(checker *c, ddf_expr_op op, size_t off, ddf_dtype l, ddf_dtype r,
                 const ddf_expr *rhs, ddf_dtype *out)
{
    if (l == DDF_DTYPE_STRING || r == DDF_DTYPE_STRING) {
        if (op == DDF_EXPR_OP_ADD && (l == DDF_DTYPE_STRING || l == DDF_DTYPE_NULL) &&
            (r == DDF_DTYPE_STRING || r == DDF_DTYPE_NULL)) {
            *out = DDF_DTYPE_STRING;
            return DDF_OK;
        }
        return type_error(c, off, "cannot %s %s and %s", verb(op), tn(l), tn(r));
    }
    if (op == DDF_EXPR_OP_DIV || !is_intlike(l) || !is_intlike(r))
        *out = DDF_DTYPE_FLOAT64;
    else if (op == DDF_EXPR_OP_POW)
        /* (an INT node is negative only as the folded literal -9223372036854775808) */
        *out = (rhs->kind == DDF_EXPR_INT && rhs->i >= 0) || rhs->kind == DDF_EXPR_BOOL
                   ? DDF_DTYPE_INT64
                   : DDF_DTYPE_FLOAT64;
    else
        *out = DDF_DTYPE_INT64;
    return DDF_OK;
}

static int comparable(ddf_dtype a, ddf_dtype b)
{
    return a == DDF_DTYPE_NULL || b == DDF_DTYPE_NULL || (is_num(a) && is_num(b)) ||
           (a == DDF_DTYPE_STRING && b == DDF_DTYPE_STRING);
}

/* Join the value types of if_else/fillna; a join that only a string holds is refused. */
static int join(checker *c, const ddf_expr *e, const ddf_expr *a, const ddf_expr *b)
{
    ddf_dtype j = ddf_dtype_join(a->dtype, b->dtype);

    int a_str = a->dtype == DDF_DTYPE_STRING || a->dtype == DDF_DTYPE_NULL;
    int b_str = b->dtype == DDF_DTYPE_STRING || b->dtype == DDF_DTYPE_NULL;

    if (j == DDF_DTYPE_STRING && !(a_str && b_str))
        return type_error(c, start_of(b), "%s() cannot join %s and %s into one type",
                          ddf_expr_func_name(e->func), tn(a->dtype), tn(b->dtype));
    return DDF_OK;
}

static int want(checker *c, const ddf_expr *call, size_t k, int ok, const char *what)
{
    const ddf_expr *a = call->args[k];

    if (ok)
        return DDF_OK;
    return type_error(c, start_of(a), "%s() argument %zu must be %s, not %s",
                      ddf_expr_func_name(call->func), k + 1, what, tn(a->dtype));
}

static int want_literal(checker *c, const ddf_expr *call, size_t k)
{
    const ddf_expr *a = call->args[k];

    if (a->kind == DDF_EXPR_STRING)
        return DDF_OK;
    return type_error(c, start_of(a), "%s() argument %zu must be a string literal",
                      ddf_expr_func_name(call->func), k + 1);
}

static int check_call(checker *c, ddf_expr *e)
{
    ddf_expr **a = e->args;
    const char *name = ddf_expr_func_name(e->func);
    unsigned lo = arity[e->func].min, hi = arity[e->func].max;
    int rc = DDF_OK;

    if (e->nargs < lo || e->nargs > hi) {
        if (lo == hi)
            return type_error(c, e->offset, "%s() takes %u argument%s, got %zu", name, lo,
                              lo == 1 ? "" : "s", e->nargs);
        return type_error(c, e->offset, "%s() takes %u or %u arguments, got %zu", name, lo, hi,
                          e->nargs);
    }
    ddf_dtype t0 = a[0]->dtype;
    int str0 = t0 == DDF_DTYPE_STRING || t0 == DDF_DTYPE_NULL;
    switch (e->func) {
    case DDF_EXPR_FN_ABS:
    case DDF_EXPR_FN_ROUND:
        if ((rc = want(c, e, 0, is_num(t0), "a number")) < 0)
            return rc;
        if (e->nargs == 2 && !is_int_literal(a[1]))
            return type_error(c, start_of(a[1]), "round() digits must be an integer literal");
        e->dtype = is_intlike(t0) ? DDF_DTYPE_INT64 : DDF_DTYPE_FLOAT64;
        break;
    case DDF_EXPR_FN_FLOOR:
    case DDF_EXPR_FN_CEIL:
    case DDF_EXPR_FN_SQRT:
    case DDF_EXPR_FN_EXP:
    case DDF_EXPR_FN_LOG:
    case DDF_EXPR_FN_LOG10:
        rc = want(c, e, 0, is_num(t0), "a number");
        e->dtype = DDF_DTYPE_FLOAT64;
        break;
    case DDF_EXPR_FN_POW:
        if ((rc = want(c, e, 0, is_num(t0), "a number")) < 0 ||
            (rc = want(c, e, 1, is_num(a[1]->dtype), "a number")) < 0)
            return rc;
        rc = arith(c, DDF_EXPR_OP_POW, e->offset, t0, a[1]->dtype, a[1], &e->dtype);
        break;
    case DDF_EXPR_FN_LOWER:
    case DDF_EXPR_FN_UPPER:
    case DDF_EXPR_FN_STRIP:
        rc = want(c, e, 0, str0, "a string");
        e->dtype = DDF_DTYPE_STRING;
        break;
    case DDF_EXPR_FN_LEN:
        rc = want(c, e, 0, str0, "a string");
        e->dtype = DDF_DTYPE_INT64;
        break;
    case DDF_EXPR_FN_CONTAINS:
    case DDF_EXPR_FN_STARTSWITH:
    case DDF_EXPR_FN_ENDSWITH:
        if ((rc = want(c, e, 0, str0, "a string")) < 0)
            return rc;
        rc = want_literal(c, e, 1);
        e->dtype = DDF_DTYPE_BOOL;
        break;
    case DDF_EXPR_FN_REPLACE:
        if ((rc = want(c, e, 0, str0, "a string")) < 0 || (rc = want_literal(c, e, 1)) < 0)
            return rc;
        rc = want_literal(c, e, 2);
        e->dtype = DDF_DTYPE_STRING;
        break;
    case DDF_EXPR_FN_SUBSTR:
        if ((rc = want(c, e, 0, str0, "a string")) < 0)
            return rc;
        for (size_t k = 1; k < e->nargs && rc == DDF_OK; k++)
            rc = want(c, e, k, is_intlike(a[k]->dtype), "an integer");
        e->dtype = DDF_DTYPE_STRING;
        break;
    case DDF_EXPR_FN_IF_ELSE:
        if ((rc = want(c, e, 0, t0 == DDF_DTYPE_BOOL || t0 == DDF_DTYPE_NULL, "bool")) < 0 ||
            (rc = join(c, e, a[1], a[2])) < 0)
            return rc;
        e->dtype = ddf_dtype_join(a[1]->dtype, a[2]->dtype);
        break;
    case DDF_EXPR_FN_FILLNA:
        if ((rc = join(c, e, a[0], a[1])) < 0)
            return rc;
        e->dtype = ddf_dtype_join(t0, a[1]->dtype);
        break;
    case DDF_EXPR_FN_ISNULL:
    case DDF_EXPR_FN_NOTNULL:
        e->dtype = DDF_DTYPE_BOOL;
        break;
    case DDF_EXPR_FN_ASTYPE:
        if ((rc = want_literal(c, e, 1)) < 0)
            return rc;
        if (strlen(a[1]->s) != a[1]->slen || ddf_dtype_parse(a[1]->s, &e->dtype) < 0)
            return type_error(c, a[1]->offset, "astype() got unknown dtype '%.64s'", a[1]->s);
        break;
    default:
        return type_error(c, e->offset, "unknown function");
    }
    return rc;
}

static int check_column(checker *c, ddf_expr *e)
{
    long col = strlen(e->s) == e->slen ? ddf_schema_find(c->schema, e->s) : -1;
    int n = (int)(e->slen > 64 ? 64 : e->slen);

    if (col < 0) {
        size_t best_score = (size_t)-1, best = 0;
        for (size_t k = 0; k < c->schema->ncols; k++) {
            size_t score = ddf_expr_suggestion_score(e->s, e->slen, c->schema->fields[k].name);
            if (score < best_score) {
                best_score = score;
                best = k;
            }
        }
        if (best_score != (size_t)-1)
            return type_error(c, e->offset, "unknown column '%.*s' (did you mean '%s'?)", n,
                              e->s, c->schema->fields[best].name);
        return type_error(c, e->offset, "unknown column '%.*s'", n, e->s);
    }
    e->col = col;
    e->dtype = ddf_schema_storage_dtype(c->schema, (size_t)col);
    return DDF_OK;
}

static int check(checker *c, ddf_expr *e)
{
    int rc;

    for (size_t k = 0; k < e->nargs; k++)
        if ((rc = check(c, e->args[k])) < 0)
            return rc;
    switch (e->kind) {
    case DDF_EXPR_NULL: e->dtype = DDF_DTYPE_NULL; return DDF_OK;
    case DDF_EXPR_BOOL: e->dtype = DDF_DTYPE_BOOL; return DDF_OK;
    case DDF_EXPR_INT: e->dtype = DDF_DTYPE_INT64; return DDF_OK;
    case DDF_EXPR_FLOAT: e->dtype = DDF_DTYPE_FLOAT64; return DDF_OK;
    case DDF_EXPR_STRING: e->dtype = DDF_DTYPE_STRING; return DDF_OK;
    case DDF_EXPR_COLUMN: return check_column(c, e);
    case DDF_EXPR_CALL: return check_call(c, e);
    case DDF_EXPR_ISIN:
        for (size_t k = 1; k < e->nargs; k++)
            if (!comparable(e->args[0]->dtype, e->args[k]->dtype))
                return type_error(c, e->args[k]->offset, "cannot compare %s and %s",
                                  tn(e->args[0]->dtype), tn(e->args[k]->dtype));
        e->dtype = DDF_DTYPE_BOOL;
        return DDF_OK;
    case DDF_EXPR_UNARY: {
        ddf_dtype t = e->args[0]->dtype;
        if (e->op == DDF_EXPR_OP_NOT || e->op == DDF_EXPR_OP_INVERT) {
            if (t != DDF_DTYPE_BOOL && t != DDF_DTYPE_NULL)
                return type_error(c, start_of(e->args[0]), "operand of '%s' must be bool, not %s",
                                  e->op == DDF_EXPR_OP_NOT ? "not" : "~", tn(t));
            e->dtype = DDF_DTYPE_BOOL;
            return DDF_OK;
        }
        if (!is_num(t))
            return type_error(c, e->offset, "bad operand type for unary %s: %s",
                              e->op == DDF_EXPR_OP_NEG ? "-" : "+", tn(t));
        e->dtype = is_intlike(t) ? DDF_DTYPE_INT64 : DDF_DTYPE_FLOAT64;
        return DDF_OK;
    }
    case DDF_EXPR_BINARY:
        break;
    }
    ddf_dtype l = e->args[0]->dtype, r = e->args[1]->dtype;
    switch (e->op) {
    case DDF_EXPR_OP_EQ:
    case DDF_EXPR_OP_NE:
    case DDF_EXPR_OP_LT:
    case DDF_EXPR_OP_LE:
    case DDF_EXPR_OP_GT:
    case DDF_EXPR_OP_GE:
        if (!comparable(l, r))
            return type_error(c, e->offset, "cannot compare %s and %s", tn(l), tn(r));
        e->dtype = DDF_DTYPE_BOOL;
        return DDF_OK;
    case DDF_EXPR_OP_AND:
    case DDF_EXPR_OP_OR:
    case DDF_EXPR_OP_BITAND:
    case DDF_EXPR_OP_BITOR:
        for (size_t k = 0; k < 2; k++) {
            ddf_dtype t = e->args[k]->dtype;
            static const char *const names[] = {"and", "or", "&", "|"};
            if (t != DDF_DTYPE_BOOL && t != DDF_DTYPE_NULL)
                return type_error(c, start_of(e->args[k]), "operand of '%s' must be bool, not %s",
                                  names[e->op - DDF_EXPR_OP_AND], tn(t));
        }
        e->dtype = DDF_DTYPE_BOOL;
        return DDF_OK;
    default:
        return arith(c, e->op, e->offset, l, r, e->args[1], &e->dtype);
    }
}

int ddf_expr_check(ddf_expr *expr, const ddf_schema *schema, ddf_error *err)
{
    checker c = {schema, err};

    return check(&c, expr);
}
