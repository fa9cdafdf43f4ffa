/* script_eval.c - the interpreter's core: statements, Python's expressions on scalars,
 * lists and dicts, names and imports, and the builtin functions (script_eval.h).
 *
 * Everything pandas-specific is elsewhere: operators on series build worker expressions
 * (script_series.c), attributes, subscripts and methods of frames, series and group-bys
 * run libddf (script_methods.c), and values are shown through the printer
 * (script_show.c). This file walks the tree the parser made, holds the variables and
 * gives every error the place of the text that caused it. */
#include "script_int.h"

#include "alloc.h"
#include "script_parse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum builtin {
    B_PRINT,
    B_LEN,
    B_READ_CSV,
    B_ROUND,
    B_ABS,
    B_MIN,
    B_MAX,
    B_SUM,
    B_STR,
    B_INT,
    B_FLOAT,
    B_BOOL,
    B_LIST,
    B_SORTED,
    B_RANGE,
    B_SQRT,
    B_FLOOR,
    B_CEIL,
    B_EXP,
    B_LOG,
    B_LOG10,
    B_COUNT,
};

static const char *const builtin_names[B_COUNT] = {
    "print", "len", "read_csv", "round", "abs", "min", "max", "sum", "str", "int",
    "float", "bool", "list", "sorted", "range", "sqrt", "floor", "ceil", "exp", "log",
    "log10",
};

const char *sv_builtin_name(int id)
{
    return id >= 0 && id < B_COUNT ? builtin_names[id] : NULL;
}

/* Longest list range() may build: a loop over more is not what a script is for. */
#define MAX_RANGE 1000000

/* ---- errors ------------------------------------------------------------------------------ */

int sv_fail(ddf_script_session *s, ddf_script_pos pos, int code, const char *fmt, ...)
{
    ddf_script_error *err = s->err;
    va_list ap;

    err->code = code;
    err->line = pos.line;
    err->column = pos.column;
    err->offset = pos.offset;
    err->incomplete = false;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int sv_fail_ddf(ddf_script_session *s, ddf_script_pos pos, const ddf_error *e)
{
    return sv_fail(s, pos, e->code < 0 ? e->code : DDF_EIO, "%s",
                   e->msg[0] ? e->msg : ddf_strerror(e->code));
}

int sv_oom(ddf_script_session *s)
{
    ddf_script_pos none = {0, 0, 0};

    return sv_fail(s, none, DDF_ENOMEM, "out of memory");
}

/* ---- the session ------------------------------------------------------------------------- */

ddf_script_session *ddf_script_session_new(ddf_client *client, ddf_printer *printer)
{
    ddf_script_session *s = ddf_calloc(1, sizeof *s);

    if (s == NULL) return NULL;
    s->client = client;
    s->printer = printer;
    return s;
}

void ddf_script_session_free(ddf_script_session *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->nvars; i++) {
        ddf_free(s->vars[i].name);
        sv_unref(s->vars[i].value);
    }
    ddf_free(s->vars);
    ddf_free(s);
}

void ddf_script_session_names(const ddf_script_session *s,
                              void (*fn)(void *arg, const char *name), void *arg)
{
    for (size_t i = 0; i < s->nvars; i++)
        fn(arg, s->vars[i].name);
    for (int b = 0; b < B_COUNT; b++)
        if (b < B_SQRT) fn(arg, builtin_names[b]);
}

static sv *get_var(ddf_script_session *s, const char *name)
{
    for (size_t i = 0; i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0) return s->vars[i].value;
    return NULL;
}

/* Bind 'name' to 'v' (a new reference is taken). */
static int set_var(ddf_script_session *s, const char *name, sv *v)
{
    for (size_t i = 0; i < s->nvars; i++) {
        if (strcmp(s->vars[i].name, name) == 0) {
            sv_unref(s->vars[i].value);
            s->vars[i].value = sv_ref(v);
            return DDF_OK;
        }
    }
    if (s->nvars == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        sv_var *grown = ddf_reallocarray(s->vars, cap, sizeof *grown);

        if (grown == NULL) return sv_oom(s);
        s->vars = grown;
        s->cap = cap;
    }
    s->vars[s->nvars].name = ddf_strdup(name);
    if (s->vars[s->nvars].name == NULL) return sv_oom(s);
    s->vars[s->nvars++].value = sv_ref(v);
    return DDF_OK;
}

/* ---- expressions ------------------------------------------------------------------------- */

static int eval(ddf_script_session *s, const ddf_script_expr *e, sv **out);

static int name_error(ddf_script_session *s, const ddf_script_expr *e)
{
    const char *name = e->name.text, *hint = NULL;
    size_t best = 3;

    for (size_t i = 0; i < s->nvars; i++) {
        size_t d = 0, n = strlen(s->vars[i].name), m = strlen(name);

        /* a cheap nearness: same length give or take one, few differing letters */
        if (n + 1 < m || m + 1 < n) continue;
        for (size_t k = 0; k < (n < m ? n : m); k++)
            d += s->vars[i].name[k] != name[k];
        d += n > m ? n - m : m - n;
        if (d < best) {
            best = d;
            hint = s->vars[i].name;
        }
    }
    if (hint)
        return sv_fail(s, e->pos, DDF_EINVAL, "name '%s' is not defined; did you mean '%s'?",
                       name, hint);
    return sv_fail(s, e->pos, DDF_EINVAL, "name '%s' is not defined", name);
}

static int eval_name(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    sv *v = get_var(s, e->name.text);

    if (v != NULL) {
        *out = sv_ref(v);
        return DDF_OK;
    }
    for (int b = 0; b < B_SQRT; b++) {
        if (strcmp(builtin_names[b], e->name.text) == 0) {
            /* read_csv is pandas': reachable bare too, as DESIGN §6 writes it */
            *out = sv_new(SV_FUNC);
            if (*out == NULL) return sv_oom(s);
            (*out)->func.id = b;
            return DDF_OK;
        }
    }
    return name_error(s, e);
}

/* Python's truth of a scalar or a container; series have none. */
static int truth(ddf_script_session *s, ddf_script_pos pos, const sv *v, bool *out)
{
    switch (v->kind) {
    case SV_NONE: *out = false; return DDF_OK;
    case SV_BOOL: *out = v->b; return DDF_OK;
    case SV_INT: *out = v->i != 0; return DDF_OK;
    case SV_FLOAT: *out = v->f != 0; return DDF_OK;
    case SV_STR: *out = v->s.len > 0; return DDF_OK;
    case SV_LIST: *out = v->list.n > 0; return DDF_OK;
    case SV_DICT: *out = v->dict.n > 0; return DDF_OK;
    default:
        return sv_fail(s, pos, DDF_ETYPE,
                       "the truth value of a %s is ambiguous: use '&', '|' and '~' between "
                       "masks", sv_kind_name(v));
    }
}

static bool scalar_equal(const sv *a, const sv *b)
{
    if (sv_is_number(a) && sv_is_number(b)) {
        if (a->kind != SV_FLOAT && b->kind != SV_FLOAT)
            return (a->kind == SV_INT ? a->i : a->b) == (b->kind == SV_INT ? b->i : b->b);
        return sv_as_double(a) == sv_as_double(b);
    }
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case SV_NONE: return true;
    case SV_STR: return a->s.len == b->s.len && memcmp(a->s.p, b->s.p, a->s.len) == 0;
    case SV_LIST:
        if (a->list.n != b->list.n) return false;
        for (size_t i = 0; i < a->list.n; i++)
            if (!scalar_equal(a->list.items[i], b->list.items[i])) return false;
        return true;
    default: return a == b;
    }
}

/* <0, 0, >0, or DDF_ETYPE (a message set) for values Python cannot order. */
static int scalar_order(ddf_script_session *s, ddf_script_pos pos, const sv *a, const sv *b,
                        int *cmp)
{
    if (sv_is_number(a) && sv_is_number(b)) {
        if (a->kind != SV_FLOAT && b->kind != SV_FLOAT) {
            int64_t x = a->kind == SV_INT ? a->i : a->b, y = b->kind == SV_INT ? b->i : b->b;
            *cmp = (x > y) - (x < y);
        } else {
            double x = sv_as_double(a), y = sv_as_double(b);
            *cmp = (x > y) - (x < y);
            if (isnan(x) || isnan(y)) *cmp = 2; /* every comparison but != is false */
        }
        return DDF_OK;
    }
    if (a->kind == SV_STR && b->kind == SV_STR) {
        size_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
        int c = memcmp(a->s.p, b->s.p, n);

        *cmp = c ? (c > 0) - (c < 0) : (a->s.len > b->s.len) - (a->s.len < b->s.len);
        return DDF_OK;
    }
    return sv_fail(s, pos, DDF_ETYPE, "'<' is not supported between '%s' and '%s'",
                   sv_kind_name(a), sv_kind_name(b));
}

static int arith_int(ddf_script_session *s, ddf_script_pos pos, ddf_script_op op, int64_t x,
                     int64_t y, sv **out)
{
    int64_t r = 0;
    bool overflow = false;

    switch (op) {
    case DDF_SCRIPT_OP_ADD: overflow = __builtin_add_overflow(x, y, &r); break;
    case DDF_SCRIPT_OP_SUB: overflow = __builtin_sub_overflow(x, y, &r); break;
    case DDF_SCRIPT_OP_MUL: overflow = __builtin_mul_overflow(x, y, &r); break;
    case DDF_SCRIPT_OP_DIV:
        if (y == 0) return sv_fail(s, pos, DDF_EINVAL, "division by zero");
        *out = sv_float((double)x / (double)y);
        return *out ? DDF_OK : sv_oom(s);
    case DDF_SCRIPT_OP_FLOORDIV:
    case DDF_SCRIPT_OP_MOD:
        if (y == 0) return sv_fail(s, pos, DDF_EINVAL, "integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) {
            overflow = op == DDF_SCRIPT_OP_FLOORDIV;
            r = 0;
            break;
        }
        {
            int64_t q = x / y, m = x % y;

            if (m != 0 && ((m < 0) != (y < 0))) { /* Python floors */
                q -= 1;
                m += y;
            }
            r = op == DDF_SCRIPT_OP_FLOORDIV ? q : m;
        }
        break;
    case DDF_SCRIPT_OP_POW:
        if (y < 0) {
            *out = sv_float(pow((double)x, (double)y));
            return *out ? DDF_OK : sv_oom(s);
        }
        r = 1;
        for (int64_t i = 0; i < y && !overflow; i++)
            overflow = __builtin_mul_overflow(r, x, &r);
        if (x == 0 || x == 1) overflow = false, r = y == 0 ? 1 : x;
        break;
    case DDF_SCRIPT_OP_BITAND: r = x & y; break;
    case DDF_SCRIPT_OP_BITOR: r = x | y; break;
    case DDF_SCRIPT_OP_BITXOR: r = x ^ y; break;
    default: return sv_fail(s, pos, DDF_ETYPE, "unsupported operator");
    }
    if (overflow)
        return sv_fail(s, pos, DDF_EINVAL, "integer result out of the 64-bit range");
    *out = sv_int(r);
    return *out ? DDF_OK : sv_oom(s);
}

static int arith_float(ddf_script_session *s, ddf_script_pos pos, ddf_script_op op, double x,
                       double y, sv **out)
{
    double r;

    switch (op) {
    case DDF_SCRIPT_OP_ADD: r = x + y; break;
    case DDF_SCRIPT_OP_SUB: r = x - y; break;
    case DDF_SCRIPT_OP_MUL: r = x * y; break;
    case DDF_SCRIPT_OP_DIV:
        if (y == 0) return sv_fail(s, pos, DDF_EINVAL, "float division by zero");
        r = x / y;
        break;
    case DDF_SCRIPT_OP_FLOORDIV:
        if (y == 0) return sv_fail(s, pos, DDF_EINVAL, "float floor division by zero");
        r = floor(x / y);
        break;
    case DDF_SCRIPT_OP_MOD:
        if (y == 0) return sv_fail(s, pos, DDF_EINVAL, "float modulo by zero");
        r = fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        break;
    case DDF_SCRIPT_OP_POW: r = pow(x, y); break;
    default:
        return sv_fail(s, pos, DDF_ETYPE, "unsupported operand types for %s: 'float'",
                       ddf_script_op_text(op));
    }
    *out = sv_float(r);
    return *out ? DDF_OK : sv_oom(s);
}

static int concat(ddf_script_session *s, const sv *a, const sv *b, sv **out)
{
    if (a->kind == SV_STR) {
        char *p = ddf_malloc(a->s.len + b->s.len + 1);

        if (p == NULL) return sv_oom(s);
        memcpy(p, a->s.p, a->s.len);
        memcpy(p + a->s.len, b->s.p, b->s.len);
        *out = sv_str(p, a->s.len + b->s.len);
        ddf_free(p);
        return *out ? DDF_OK : sv_oom(s);
    }
    *out = sv_new(SV_LIST);
    if (*out == NULL) return sv_oom(s);
    (*out)->list.tuple = a->list.tuple;
    (*out)->list.items = ddf_mallocarray(a->list.n + b->list.n + 1, sizeof(sv *));
    if ((*out)->list.items == NULL) return sv_oom(s);
    for (size_t i = 0; i < a->list.n; i++)
        (*out)->list.items[(*out)->list.n++] = sv_ref(a->list.items[i]);
    for (size_t i = 0; i < b->list.n; i++)
        (*out)->list.items[(*out)->list.n++] = sv_ref(b->list.items[i]);
    return DDF_OK;
}

static int contains(ddf_script_session *s, ddf_script_pos pos, const sv *item, const sv *in,
                    bool *out)
{
    *out = false;
    if (in->kind == SV_LIST) {
        for (size_t i = 0; i < in->list.n && !*out; i++)
            *out = scalar_equal(item, in->list.items[i]);
        return DDF_OK;
    }
    if (in->kind == SV_DICT) {
        for (size_t i = 0; i < in->dict.n && !*out; i++)
            *out = scalar_equal(item, in->dict.keys[i]);
        return DDF_OK;
    }
    if (in->kind == SV_STR && item->kind == SV_STR) {
        *out = item->s.len == 0;
        for (size_t i = 0; i + item->s.len <= in->s.len && !*out; i++)
            *out = memcmp(in->s.p + i, item->s.p, item->s.len) == 0;
        return DDF_OK;
    }
    return sv_fail(s, pos, DDF_ETYPE, "'in' needs a list, dict or str on its right, not %s",
                   sv_kind_name(in));
}

static int binary_scalars(ddf_script_session *s, const ddf_script_expr *e, sv *a, sv *b,
                          sv **out)
{
    ddf_script_op op = e->binary.op;
    ddf_script_pos pos = e->op_pos;
    int cmp = 0, rc;
    bool r;

    switch (op) {
    case DDF_SCRIPT_OP_EQ:
    case DDF_SCRIPT_OP_NE:
        r = scalar_equal(a, b) == (op == DDF_SCRIPT_OP_EQ);
        if (a->kind == SV_FLOAT && isnan(a->f)) r = op == DDF_SCRIPT_OP_NE;
        *out = sv_bool(r);
        return *out ? DDF_OK : sv_oom(s);
    case DDF_SCRIPT_OP_LT:
    case DDF_SCRIPT_OP_LE:
    case DDF_SCRIPT_OP_GT:
    case DDF_SCRIPT_OP_GE:
        rc = scalar_order(s, pos, a, b, &cmp);
        if (rc < 0) return rc;
        r = cmp == 2 ? false
            : op == DDF_SCRIPT_OP_LT ? cmp < 0
            : op == DDF_SCRIPT_OP_LE ? cmp <= 0
            : op == DDF_SCRIPT_OP_GT ? cmp > 0 : cmp >= 0;
        *out = sv_bool(r);
        return *out ? DDF_OK : sv_oom(s);
    case DDF_SCRIPT_OP_IN:
    case DDF_SCRIPT_OP_NOT_IN:
        rc = contains(s, pos, a, b, &r);
        if (rc < 0) return rc;
        *out = sv_bool(r == (op == DDF_SCRIPT_OP_IN));
        return *out ? DDF_OK : sv_oom(s);
    case DDF_SCRIPT_OP_IS:
    case DDF_SCRIPT_OP_IS_NOT:
        r = (a->kind == SV_NONE && b->kind == SV_NONE) ||
            (a->kind == SV_BOOL && b->kind == SV_BOOL && a->b == b->b) || a == b;
        *out = sv_bool(r == (op == DDF_SCRIPT_OP_IS));
        return *out ? DDF_OK : sv_oom(s);
    default:
        break;
    }
    if (op == DDF_SCRIPT_OP_ADD && ((a->kind == SV_STR && b->kind == SV_STR) ||
                                    (a->kind == SV_LIST && b->kind == SV_LIST &&
                                     a->list.tuple == b->list.tuple)))
        return concat(s, a, b, out);
    if (sv_is_number(a) && sv_is_number(b)) {
        if (a->kind != SV_FLOAT && b->kind != SV_FLOAT)
            return arith_int(s, pos, op, a->kind == SV_INT ? a->i : a->b,
                             b->kind == SV_INT ? b->i : b->b, out);
        return arith_float(s, pos, op, sv_as_double(a), sv_as_double(b), out);
    }
    return sv_fail(s, pos, DDF_ETYPE, "unsupported operand types for %s: '%s' and '%s'",
                   ddf_script_op_text(op), sv_kind_name(a), sv_kind_name(b));
}

static int eval_binary(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    sv *a = NULL, *b = NULL;
    int rc = eval(s, e->binary.left, &a);

    if (rc == DDF_OK && e->kind == DDF_SCRIPT_EXPR_BOOLOP && sv_is_scalar(a)) {
        bool t;

        /* Python's short circuit: 'a or b' is a when a is true */
        rc = truth(s, e->binary.left->pos, a, &t);
        if (rc == DDF_OK && t == (e->binary.op == DDF_SCRIPT_OP_OR)) {
            *out = a;
            return DDF_OK;
        }
        if (rc == DDF_OK) {
            sv_unref(a);
            return eval(s, e->binary.right, out);
        }
    }
    if (rc == DDF_OK) rc = eval(s, e->binary.right, &b);
    if (rc == DDF_OK) {
        ddf_script_op op = e->binary.op;

        if (a->kind == SV_SERIES && (op == DDF_SCRIPT_OP_IN || op == DDF_SCRIPT_OP_NOT_IN))
            rc = sv_fail(s, e->op_pos, DDF_ETYPE, "'in' on a Series: use series.isin([...])");
        else if ((a->kind == SV_SERIES && (sv_is_scalar(b) || b->kind == SV_SERIES)) ||
                 (b->kind == SV_SERIES && sv_is_scalar(a)))
            rc = sv_series_binary(s, op, a, b, e->op_pos, out);
        else if (e->kind == DDF_SCRIPT_EXPR_BOOLOP)
            rc = truth(s, e->binary.left->pos, a, &(bool){false}); /* a series: refused */
        else if ((sv_is_scalar(a) || a->kind == SV_LIST || a->kind == SV_DICT) &&
                 (sv_is_scalar(b) || b->kind == SV_LIST || b->kind == SV_DICT))
            rc = binary_scalars(s, e, a, b, out);
        else
            rc = sv_fail(s, e->op_pos, DDF_ETYPE,
                         "unsupported operand types for %s: '%s' and '%s'",
                         ddf_script_op_text(op), sv_kind_name(a), sv_kind_name(b));
        if (rc == DDF_OK && e->kind == DDF_SCRIPT_EXPR_BOOLOP && *out == NULL)
            rc = sv_fail(s, e->op_pos, DDF_ETYPE, "unsupported operands");
    }
    sv_unref(a);
    sv_unref(b);
    return rc;
}

static int eval_unary(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    ddf_script_op op = e->unary.op;
    sv *a = NULL;
    int rc = eval(s, e->unary.operand, &a);

    if (rc < 0) return rc;
    if (a->kind == SV_SERIES) {
        rc = sv_series_unary(s, op, a, e->op_pos, out);
    } else if (op == DDF_SCRIPT_OP_NOT) {
        bool t;

        rc = truth(s, e->pos, a, &t);
        if (rc == DDF_OK) *out = sv_bool(!t), rc = *out ? DDF_OK : sv_oom(s);
    } else if (a->kind == SV_FLOAT && op != DDF_SCRIPT_OP_INVERT) {
        *out = sv_float(op == DDF_SCRIPT_OP_NEG ? -a->f : a->f);
        rc = *out ? DDF_OK : sv_oom(s);
    } else if (a->kind == SV_INT || a->kind == SV_BOOL) {
        int64_t x = a->kind == SV_INT ? a->i : a->b;

        if (op == DDF_SCRIPT_OP_NEG && x == INT64_MIN)
            rc = sv_fail(s, e->op_pos, DDF_EINVAL, "integer result out of the 64-bit range");
        else
            *out = sv_int(op == DDF_SCRIPT_OP_NEG ? -x : op == DDF_SCRIPT_OP_INVERT ? ~x : x),
            rc = *out ? DDF_OK : sv_oom(s);
    } else {
        rc = sv_fail(s, e->op_pos, DDF_ETYPE, "bad operand type for unary %s: '%s'",
                     ddf_script_op_text(op), sv_kind_name(a));
    }
    sv_unref(a);
    return rc;
}

static int eval_seq(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    sv *v = sv_new(SV_LIST);

    if (v == NULL) return sv_oom(s);
    v->list.tuple = e->kind == DDF_SCRIPT_EXPR_TUPLE;
    v->list.items = ddf_calloc(e->seq.n ? e->seq.n : 1, sizeof(sv *));
    if (v->list.items == NULL) {
        sv_unref(v);
        return sv_oom(s);
    }
    for (size_t i = 0; i < e->seq.n; i++) {
        int rc = eval(s, e->seq.items[i], &v->list.items[i]);

        if (rc < 0) {
            sv_unref(v);
            return rc;
        }
        v->list.n++;
    }
    *out = v;
    return DDF_OK;
}

static int eval_dict(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    sv *v = sv_new(SV_DICT);
    size_t n = e->dict.n ? e->dict.n : 1;

    if (v == NULL) return sv_oom(s);
    v->dict.keys = ddf_calloc(n, sizeof(sv *));
    v->dict.values = ddf_calloc(n, sizeof(sv *));
    if (v->dict.keys == NULL || v->dict.values == NULL) {
        sv_unref(v);
        return sv_oom(s);
    }
    for (size_t i = 0; i < e->dict.n; i++) {
        sv *k = NULL, *val = NULL;
        int rc = eval(s, e->dict.keys[i], &k);

        if (rc == DDF_OK && !sv_is_scalar(k))
            rc = sv_fail(s, e->dict.keys[i]->pos, DDF_ETYPE, "a %s cannot be a dict key",
                         sv_kind_name(k));
        if (rc == DDF_OK) rc = eval(s, e->dict.values[i], &val);
        if (rc < 0) {
            sv_unref(k);
            sv_unref(v);
            return rc;
        }
        /* a repeated key keeps its first place and takes the last value, as in Python */
        size_t j = 0;
        while (j < v->dict.n && !scalar_equal(v->dict.keys[j], k))
            j++;
        if (j < v->dict.n) {
            sv_unref(k);
            sv_unref(v->dict.values[j]);
            v->dict.values[j] = val;
        } else {
            v->dict.keys[v->dict.n] = k;
            v->dict.values[v->dict.n++] = val;
        }
    }
    *out = v;
    return DDF_OK;
}

/* A lambda outlives the program it was written in (a REPL frees each entry's tree): its
 * text is parsed again into an arena of its own. */
static int eval_lambda(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    const ddf_script_program *prog = s->program;
    ddf_script_program *copy = NULL;
    ddf_script_error perr;
    char *src;
    sv *v = sv_new(SV_LAMBDA);

    if (v == NULL || (v->lambda.arena = ddf_arena_new()) == NULL) {
        ddf_free(v);
        return sv_oom(s);
    }
    src = ddf_arena_alloc(v->lambda.arena, e->len + 1);
    if (src == NULL) {
        sv_unref(v);
        return sv_oom(s);
    }
    memcpy(src, prog->source + e->pos.offset, e->len);
    src[e->len] = '\0';
    memset(&perr, 0, sizeof perr);
    if (ddf_script_parse(src, e->len, 0, v->lambda.arena, &copy, &perr) != DDF_OK ||
        copy->nstmts != 1 || copy->stmts[0]->kind != DDF_SCRIPT_STMT_EXPR ||
        copy->stmts[0]->expr.value->kind != DDF_SCRIPT_EXPR_LAMBDA) {
        sv_unref(v);
        return sv_fail(s, e->pos, DDF_EPARSE, "cannot keep this lambda: %s", perr.message);
    }
    v->lambda.node = copy->stmts[0]->expr.value;
    v->lambda.pos = e->pos;
    *out = v;
    return DDF_OK;
}

/* ---- calls ------------------------------------------------------------------------------- */

typedef struct call_args {
    sv *pos[64];
    size_t npos;
    const char *kwnames[32];
    sv *kwvalues[32];
    size_t nkw;
} call_args;

static void args_free(call_args *a)
{
    for (size_t i = 0; i < a->npos; i++)
        sv_unref(a->pos[i]);
    for (size_t i = 0; i < a->nkw; i++)
        sv_unref(a->kwvalues[i]);
}

static int eval_args(ddf_script_session *s, const ddf_script_expr *call, call_args *a)
{
    memset(a, 0, sizeof *a);
    if (call->call.nargs > sizeof a->pos / sizeof *a->pos ||
        call->call.nkeywords > sizeof a->kwnames / sizeof *a->kwnames)
        return sv_fail(s, call->op_pos, DDF_ETOOBIG, "too many arguments");
    for (size_t i = 0; i < call->call.nargs; i++) {
        int rc = eval(s, call->call.args[i], &a->pos[i]);

        if (rc < 0) return rc;
        a->npos++;
    }
    for (size_t i = 0; i < call->call.nkeywords; i++) {
        int rc = eval(s, call->call.keywords[i].value, &a->kwvalues[i]);

        if (rc < 0) return rc;
        a->kwnames[i] = call->call.keywords[i].name;
        a->nkw++;
    }
    return DDF_OK;
}

static int no_keywords(ddf_script_session *s, const ddf_script_expr *call, const char *fn,
                       const call_args *a)
{
    if (a->nkw > 0)
        return sv_fail(s, call->call.keywords[0].pos, DDF_EINVAL,
                       "%s() takes no keyword argument '%s'", fn, a->kwnames[0]);
    return DDF_OK;
}

static int want_args(ddf_script_session *s, const ddf_script_expr *call, const char *fn,
                     const call_args *a, size_t min, size_t max)
{
    if (a->npos < min || a->npos > max) {
        if (min == max)
            return sv_fail(s, call->op_pos, DDF_EINVAL, "%s() takes %zu argument%s (%zu given)",
                           fn, min, min == 1 ? "" : "s", a->npos);
        return sv_fail(s, call->op_pos, DDF_EINVAL,
                       "%s() takes %zu to %zu arguments (%zu given)", fn, min, max, a->npos);
    }
    return no_keywords(s, call, fn, a);
}

/* Python's round(x, nd): the exact binary value rounded half to even at nd decimals, which
 * is what glibc's correctly rounded printf does (round(2.675, 2) is 2.67: the double is
 * just below 2.675). */
static double round_digits(double x, int64_t nd)
{
    char buf[400];

    if (!isfinite(x) || nd > 308) return x;
    if (nd >= 0) {
        snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
        return strtod(buf, NULL);
    }
    if (nd < -308) return 0.0 * x;
    {
        double p = pow(10.0, (double)-nd);

        return nearbyint(x / p) * p;
    }
}

static int builtin_minmax_sum(ddf_script_session *s, const ddf_script_expr *call, int id,
                              call_args *a, sv **out)
{
    const char *fn = builtin_names[id];
    sv *const *items = a->pos;
    size_t n = a->npos;
    int rc = no_keywords(s, call, fn, a);

    if (rc < 0) return rc;
    if (n == 1 && a->pos[0]->kind == SV_LIST) {
        items = a->pos[0]->list.items;
        n = a->pos[0]->list.n;
    } else if (n == 1 && (a->pos[0]->kind == SV_SERIES || a->pos[0]->kind == SV_FRAME)) {
        /* max(series) as series.max() */
        return sv_call_method(s, call, a->pos[0], fn, NULL, 0, NULL, NULL, 0, out);
    }
    if (id == B_SUM) {
        sv *acc = sv_int(0);

        if (acc == NULL) return sv_oom(s);
        for (size_t i = 0; i < n; i++) {
            sv *next = NULL;

            if (!sv_is_number(items[i])) {
                sv_unref(acc);
                return sv_fail(s, call->op_pos, DDF_ETYPE, "sum() adds numbers, not %s",
                               sv_kind_name(items[i]));
            }
            rc = acc->kind == SV_FLOAT || items[i]->kind == SV_FLOAT
                     ? arith_float(s, call->op_pos, DDF_SCRIPT_OP_ADD, sv_as_double(acc),
                                   sv_as_double(items[i]), &next)
                     : arith_int(s, call->op_pos, DDF_SCRIPT_OP_ADD, acc->i,
                                 items[i]->kind == SV_INT ? items[i]->i : items[i]->b, &next);
            sv_unref(acc);
            if (rc < 0) return rc;
            acc = next;
        }
        *out = acc;
        return DDF_OK;
    }
    if (n == 0) return sv_fail(s, call->op_pos, DDF_EINVAL, "%s() of an empty sequence", fn);
    {
        sv *best = items[0];

        for (size_t i = 1; i < n; i++) {
            int cmp;

            rc = scalar_order(s, call->op_pos, items[i], best, &cmp);
            if (rc < 0) return rc;
            if ((id == B_MIN && cmp < 0) || (id == B_MAX && cmp > 0 && cmp != 2))
                best = items[i];
        }
        *out = sv_ref(best);
    }
    return DDF_OK;
}

static int str_of(ddf_script_session *s, const sv *v, sv **out)
{
    char buf[64];

    switch (v->kind) {
    case SV_STR: *out = sv_str(v->s.p, v->s.len); break;
    case SV_NONE: *out = sv_str("None", 4); break;
    case SV_BOOL: *out = sv_str(v->b ? "True" : "False", v->b ? 4 : 5); break;
    case SV_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)v->i);
        *out = sv_str(buf, strlen(buf));
        break;
    case SV_FLOAT:
        *out = sv_str(buf, ddf_format_repr_double(v->f, buf));
        break;
    default:
        snprintf(buf, sizeof buf, "<%s>", sv_kind_name(v));
        *out = sv_str(buf, strlen(buf));
        break;
    }
    return *out ? DDF_OK : sv_oom(s);
}

static int call_builtin(ddf_script_session *s, const ddf_script_expr *call, int id,
                        call_args *a, sv **out)
{
    const char *fn = builtin_names[id];
    sv *x = a->npos > 0 ? a->pos[0] : NULL;
    int rc;

    switch (id) {
    case B_PRINT:
        rc = no_keywords(s, call, fn, a);
        if (rc == DDF_OK) rc = sv_print_call(s, call->pos, a->pos, a->npos);
        if (rc == DDF_OK) *out = sv_none(), rc = *out ? DDF_OK : sv_oom(s);
        return rc;
    case B_LEN: {
        int64_t n = 0;

        rc = want_args(s, call, fn, a, 1, 1);
        if (rc < 0) return rc;
        if (x->kind == SV_LIST) n = (int64_t)x->list.n;
        else if (x->kind == SV_DICT) n = (int64_t)x->dict.n;
        else if (x->kind == SV_STR) n = (int64_t)x->s.len;
        else if ((rc = sv_len(s, call->pos, x, &n)) < 0) return rc;
        *out = sv_int(n);
        return *out ? DDF_OK : sv_oom(s);
    }
    case B_READ_CSV:
        return sv_read_csv(s, call, a->pos, a->npos, a->kwnames, a->kwvalues, a->nkw, out);
    case B_ROUND: {
        int64_t nd = 0;

        if (a->npos == 1 && a->nkw == 1 && strcmp(a->kwnames[0], "ndigits") == 0) {
            a->pos[a->npos++] = a->kwvalues[0];
            a->kwvalues[0] = NULL;
            a->nkw = 0;
        }
        rc = want_args(s, call, fn, a, 1, 2);
        if (rc < 0) return rc;
        if (x->kind == SV_SERIES)
            return sv_call_method(s, call, x, "round", a->pos + 1, a->npos - 1, NULL, NULL, 0,
                                  out);
        if (a->npos == 2) {
            if (a->pos[1]->kind != SV_INT)
                return sv_fail(s, call->call.args[1]->pos, DDF_ETYPE,
                               "round()'s ndigits must be an int");
            nd = a->pos[1]->i;
        }
        if (x->kind == SV_INT || x->kind == SV_BOOL) {
            *out = sv_ref(x);
            return DDF_OK;
        }
        if (x->kind != SV_FLOAT)
            return sv_fail(s, call->call.args[0]->pos, DDF_ETYPE, "round() of a %s",
                           sv_kind_name(x));
        if (a->npos == 1) {
            double r = nearbyint(x->f);

            if (!isfinite(r) || fabs(r) >= 9.2e18)
                return sv_fail(s, call->pos, DDF_EINVAL, "cannot round %g to an int", x->f);
            *out = sv_int((int64_t)r);
        } else {
            *out = sv_float(round_digits(x->f, nd));
        }
        return *out ? DDF_OK : sv_oom(s);
    }
    case B_ABS:
        rc = want_args(s, call, fn, a, 1, 1);
        if (rc < 0) return rc;
        if (x->kind == SV_SERIES) return sv_call_method(s, call, x, "abs", NULL, 0, NULL, NULL, 0, out);
        if (x->kind == SV_FLOAT) *out = sv_float(fabs(x->f));
        else if (x->kind == SV_INT && x->i != INT64_MIN) *out = sv_int(x->i < 0 ? -x->i : x->i);
        else if (x->kind == SV_BOOL) *out = sv_int(x->b);
        else return sv_fail(s, call->pos, DDF_ETYPE, "bad operand type for abs(): '%s'",
                            sv_kind_name(x));
        return *out ? DDF_OK : sv_oom(s);
    case B_MIN:
    case B_MAX:
    case B_SUM:
        return builtin_minmax_sum(s, call, id, a, out);
    case B_STR:
        rc = want_args(s, call, fn, a, 1, 1);
        return rc < 0 ? rc : str_of(s, x, out);
    case B_INT:
    case B_FLOAT:
    case B_BOOL:
        rc = want_args(s, call, fn, a, 1, 1);
        if (rc < 0) return rc;
        if (x->kind == SV_SERIES)
            return sv_fail(s, call->pos, DDF_ETYPE,
                           "cannot convert a Series to %s: use series.astype(\"%s\")", fn,
                           id == B_INT ? "int64" : id == B_FLOAT ? "float64" : "bool");
        if (id == B_BOOL) {
            bool t;

            rc = truth(s, call->pos, x, &t);
            if (rc == DDF_OK) *out = sv_bool(t), rc = *out ? DDF_OK : sv_oom(s);
            return rc;
        }
        if (x->kind == SV_STR) {
            char *end = NULL;

            if (id == B_INT) {
                long long v = strtoll(x->s.p, &end, 10);

                if (end == x->s.p || *end != '\0')
                    return sv_fail(s, call->pos, DDF_EINVAL,
                                   "invalid literal for int() with base 10: '%s'", x->s.p);
                *out = sv_int(v);
            } else {
                double v = strtod(x->s.p, &end);

                if (end == x->s.p || *end != '\0')
                    return sv_fail(s, call->pos, DDF_EINVAL,
                                   "could not convert string to float: '%s'", x->s.p);
                *out = sv_float(v);
            }
            return *out ? DDF_OK : sv_oom(s);
        }
        if (!sv_is_number(x))
            return sv_fail(s, call->pos, DDF_ETYPE, "%s() of a %s", fn, sv_kind_name(x));
        if (id == B_INT) {
            double d = sv_as_double(x);

            if (x->kind == SV_FLOAT && (!isfinite(d) || fabs(d) >= 9.2e18))
                return sv_fail(s, call->pos, DDF_EINVAL, "cannot convert %g to an int", d);
            *out = x->kind == SV_FLOAT ? sv_int((int64_t)d) : sv_int(x->kind == SV_INT ? x->i : x->b);
        } else {
            *out = sv_float(sv_as_double(x));
        }
        return *out ? DDF_OK : sv_oom(s);
    case B_LIST:
    case B_SORTED: {
        sv **items = NULL;
        size_t n = 0;

        rc = want_args(s, call, fn, a, 1, 1);
        if (rc < 0) return rc;
        rc = sv_iterate(s, call->call.args[0]->pos, x, &items, &n);
        if (rc < 0) return rc;
        if (id == B_SORTED) {
            /* insertion sort: lists a script sorts are short, and it is stable */
            for (size_t i = 1; i < n && rc == DDF_OK; i++) {
                for (size_t j = i; j > 0; j--) {
                    int cmp;

                    rc = scalar_order(s, call->pos, items[j - 1], items[j], &cmp);
                    if (rc < 0 || cmp <= 0 || cmp == 2) break;
                    sv *tmp = items[j - 1];
                    items[j - 1] = items[j];
                    items[j] = tmp;
                }
            }
        }
        *out = rc == DDF_OK ? sv_new(SV_LIST) : NULL;
        if (*out == NULL) {
            for (size_t i = 0; i < n; i++)
                sv_unref(items[i]);
            ddf_free(items);
            return rc < 0 ? rc : sv_oom(s);
        }
        (*out)->list.items = items;
        (*out)->list.n = n;
        return DDF_OK;
    }
    case B_RANGE: {
        int64_t lo = 0, hi, step = 1;
        sv *v;

        rc = want_args(s, call, fn, a, 1, 3);
        if (rc < 0) return rc;
        for (size_t i = 0; i < a->npos; i++)
            if (a->pos[i]->kind != SV_INT)
                return sv_fail(s, call->call.args[i]->pos, DDF_ETYPE,
                               "range() takes ints, not %s", sv_kind_name(a->pos[i]));
        hi = a->pos[a->npos == 1 ? 0 : 1]->i;
        if (a->npos >= 2) lo = a->pos[0]->i;
        if (a->npos == 3) step = a->pos[2]->i;
        if (step == 0) return sv_fail(s, call->pos, DDF_EINVAL, "range() step must not be zero");
        {
            double count = ceil(((double)hi - (double)lo) / (double)step);

            if (count > MAX_RANGE)
                return sv_fail(s, call->pos, DDF_ETOOBIG, "range() of more than %d items",
                               MAX_RANGE);
            v = sv_new(SV_LIST);
            if (v == NULL) return sv_oom(s);
            v->list.items = ddf_calloc(count > 0 ? (size_t)count : 1, sizeof(sv *));
            if (v->list.items == NULL) {
                sv_unref(v);
                return sv_oom(s);
            }
            for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) {
                if ((v->list.items[v->list.n] = sv_int(i)) == NULL) {
                    sv_unref(v);
                    return sv_oom(s);
                }
                v->list.n++;
                if (__builtin_add_overflow(i, step, &(int64_t){0})) break;
            }
        }
        *out = v;
        return DDF_OK;
    }
    default: { /* math's functions on numbers */
        double d, r;

        rc = want_args(s, call, fn, a, 1, 1);
        if (rc < 0) return rc;
        if (!sv_is_number(x))
            return sv_fail(s, call->pos, DDF_ETYPE, "math.%s() takes a number, not %s", fn,
                           sv_kind_name(x));
        d = sv_as_double(x);
        if ((id == B_SQRT && d < 0) || ((id == B_LOG || id == B_LOG10) && d <= 0))
            return sv_fail(s, call->pos, DDF_EINVAL, "math domain error");
        r = id == B_SQRT ? sqrt(d) : id == B_FLOOR ? floor(d) : id == B_CEIL ? ceil(d)
            : id == B_EXP ? exp(d) : id == B_LOG ? log(d) : log10(d);
        if (id == B_FLOOR || id == B_CEIL) {
            if (!isfinite(r) || fabs(r) >= 9.2e18)
                return sv_fail(s, call->pos, DDF_EINVAL, "cannot convert %g to an int", r);
            *out = sv_int((int64_t)r);
        } else {
            *out = sv_float(r);
        }
        return *out ? DDF_OK : sv_oom(s);
    }
    }
}

/* module.name: the function it stands for, or -1. */
static int module_function(sv_module m, const char *name)
{
    static const char *const math_names[] = {"sqrt", "floor", "ceil", "exp", "log", "log10"};
    static const int math_ids[] = {B_SQRT, B_FLOOR, B_CEIL, B_EXP, B_LOG, B_LOG10};

    if ((m == SV_MOD_PANDAS || m == SV_MOD_DASK_DATAFRAME) && strcmp(name, "read_csv") == 0)
        return B_READ_CSV;
    if (m == SV_MOD_MATH)
        for (size_t i = 0; i < sizeof math_names / sizeof *math_names; i++)
            if (strcmp(name, math_names[i]) == 0) return math_ids[i];
    return -1;
}

static const char *module_name(sv_module m)
{
    return m == SV_MOD_PANDAS ? "pandas" : m == SV_MOD_DASK_DATAFRAME ? "dask.dataframe"
           : m == SV_MOD_DASK ? "dask" : "math";
}

static int eval_call(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    const ddf_script_expr *f = e->call.func;
    call_args a;
    sv *callee = NULL, *recv = NULL;
    int rc;

    if (f->kind == DDF_SCRIPT_EXPR_ATTRIBUTE) {
        rc = eval(s, f->attribute.value, &recv);
        if (rc < 0) return rc;
        if (recv->kind == SV_MODULE) {
            int id = module_function(recv->module.which, f->attribute.name);

            if (id < 0) {
                rc = sv_fail(s, f->attribute.name_pos, DDF_EINVAL,
                             "module '%s' has no function '%s' in ddf scripts",
                             module_name(recv->module.which), f->attribute.name);
                sv_unref(recv);
                return rc;
            }
            sv_unref(recv);
            rc = eval_args(s, e, &a);
            if (rc == DDF_OK) rc = call_builtin(s, e, id, &a, out);
            args_free(&a);
            return rc;
        }
        rc = eval_args(s, e, &a);
        if (rc == DDF_OK)
            rc = sv_call_method(s, e, recv, f->attribute.name, a.pos, a.npos, a.kwnames,
                                a.kwvalues, a.nkw, out);
        args_free(&a);
        sv_unref(recv);
        return rc;
    }
    rc = eval(s, f, &callee);
    if (rc < 0) return rc;
    if (callee->kind != SV_FUNC) {
        rc = sv_fail(s, e->op_pos, DDF_ETYPE, "'%s' object is not callable%s",
                     sv_kind_name(callee),
                     callee->kind == SV_LAMBDA ? " here: lambdas run through apply or assign"
                                               : "");
        sv_unref(callee);
        return rc;
    }
    rc = eval_args(s, e, &a);
    if (rc == DDF_OK) rc = call_builtin(s, e, callee->func.id, &a, out);
    args_free(&a);
    sv_unref(callee);
    return rc;
}

static int eval(ddf_script_session *s, const ddf_script_expr *e, sv **out)
{
    sv *v = NULL;
    int rc;

    *out = NULL;
    switch (e->kind) {
    case DDF_SCRIPT_EXPR_NAME: return eval_name(s, e, out);
    case DDF_SCRIPT_EXPR_INT: *out = sv_int(e->int_value); break;
    case DDF_SCRIPT_EXPR_FLOAT: *out = sv_float(e->float_value); break;
    case DDF_SCRIPT_EXPR_STRING: *out = sv_str(e->string.bytes, e->string.len); break;
    case DDF_SCRIPT_EXPR_BOOL: *out = sv_bool(e->bool_value); break;
    case DDF_SCRIPT_EXPR_NONE: *out = sv_none(); break;
    case DDF_SCRIPT_EXPR_LIST:
    case DDF_SCRIPT_EXPR_TUPLE: return eval_seq(s, e, out);
    case DDF_SCRIPT_EXPR_DICT: return eval_dict(s, e, out);
    case DDF_SCRIPT_EXPR_UNARY: return eval_unary(s, e, out);
    case DDF_SCRIPT_EXPR_BINARY:
    case DDF_SCRIPT_EXPR_BOOLOP:
    case DDF_SCRIPT_EXPR_COMPARE: return eval_binary(s, e, out);
    case DDF_SCRIPT_EXPR_ATTRIBUTE:
        rc = eval(s, e->attribute.value, &v);
        if (rc < 0) return rc;
        if (v->kind == SV_MODULE && v->module.which == SV_MOD_DASK &&
            strcmp(e->attribute.name, "dataframe") == 0) {
            /* import dask.dataframe; dask.dataframe.read_csv(...) */
            *out = sv_new(SV_MODULE);
            if (*out == NULL) rc = sv_oom(s);
            else (*out)->module.which = SV_MOD_DASK_DATAFRAME;
        } else if (v->kind == SV_MODULE) {
            int id = module_function(v->module.which, e->attribute.name);

            if (id < 0)
                rc = sv_fail(s, e->attribute.name_pos, DDF_EINVAL,
                             "module '%s' has no attribute '%s' in ddf scripts",
                             module_name(v->module.which), e->attribute.name);
            else if ((*out = sv_new(SV_FUNC)) == NULL)
                rc = sv_oom(s);
            else
                (*out)->func.id = id;
        } else {
            rc = sv_attribute(s, e, v, out);
        }
        sv_unref(v);
        return rc;
    case DDF_SCRIPT_EXPR_CALL: return eval_call(s, e, out);
    case DDF_SCRIPT_EXPR_SUBSCRIPT: {
        sv *index = NULL;

        rc = eval(s, e->subscript.value, &v);
        if (rc == DDF_OK) rc = eval(s, e->subscript.index, &index);
        if (rc == DDF_OK) rc = sv_subscript(s, e, v, index, out);
        sv_unref(v);
        sv_unref(index);
        return rc;
    }
    case DDF_SCRIPT_EXPR_LAMBDA: return eval_lambda(s, e, out);
    case DDF_SCRIPT_EXPR_IFEXP: {
        bool t = false;

        rc = eval(s, e->ifexp.test, &v);
        if (rc == DDF_OK) rc = truth(s, e->ifexp.test->pos, v, &t);
        sv_unref(v);
        if (rc < 0) return rc;
        return eval(s, t ? e->ifexp.body : e->ifexp.orelse, out);
    }
    }
    return *out ? DDF_OK : sv_oom(s);
}

/* ---- statements -------------------------------------------------------------------------- */

static int run_stmts(ddf_script_session *s, ddf_script_stmt *const *stmts, size_t n);

/* Bind a for or assignment target: a name, or a tuple of names unpacked from a list. */
static int bind(ddf_script_session *s, const ddf_script_expr *target, sv *v)
{
    if (target->kind == DDF_SCRIPT_EXPR_NAME) return set_var(s, target->name.text, v);
    if (target->kind == DDF_SCRIPT_EXPR_TUPLE) {
        if (v->kind != SV_LIST)
            return sv_fail(s, target->pos, DDF_ETYPE, "cannot unpack a %s", sv_kind_name(v));
        if (v->list.n != target->seq.n)
            return sv_fail(s, target->pos, DDF_EINVAL,
                           "cannot unpack %zu values into %zu names", v->list.n,
                           target->seq.n);
        for (size_t i = 0; i < target->seq.n; i++) {
            int rc = bind(s, target->seq.items[i], v->list.items[i]);

            if (rc < 0) return rc;
        }
        return DDF_OK;
    }
    return sv_fail(s, target->pos, DDF_EPARSE, "cannot assign to this");
}

static int run_assign(ddf_script_session *s, const ddf_script_stmt *st)
{
    const ddf_script_expr *target = st->assign.target;
    sv *v = NULL;
    int rc = eval(s, st->assign.value, &v);

    if (rc < 0) return rc;
    if (target->kind == DDF_SCRIPT_EXPR_SUBSCRIPT) {
        const ddf_script_expr *holder = target->subscript.value;
        sv *frame = NULL, *key = NULL, *updated = NULL;

        if (holder->kind != DDF_SCRIPT_EXPR_NAME) {
            sv_unref(v);
            return sv_fail(s, holder->pos, DDF_EPARSE,
                           "assign columns through a variable: name[\"column\"] = ...");
        }
        rc = eval(s, holder, &frame);
        if (rc == DDF_OK) rc = eval(s, target->subscript.index, &key);
        if (rc == DDF_OK) rc = sv_setitem(s, target, frame, key, v, &updated);
        if (rc == DDF_OK) rc = set_var(s, holder->name.text, updated);
        sv_unref(updated);
        sv_unref(key);
        sv_unref(frame);
    } else {
        rc = bind(s, target, v);
    }
    sv_unref(v);
    return rc;
}

static int run_for(ddf_script_session *s, const ddf_script_stmt *st)
{
    sv *iter = NULL, **items = NULL;
    size_t n = 0;
    int rc = eval(s, st->loop.iter, &iter);

    if (rc == DDF_OK) rc = sv_iterate(s, st->loop.iter->pos, iter, &items, &n);
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        rc = bind(s, st->loop.target, items[i]);
        if (rc == DDF_OK) rc = run_stmts(s, st->loop.body, st->loop.nbody);
    }
    for (size_t i = 0; i < n; i++)
        sv_unref(items[i]);
    ddf_free(items);
    sv_unref(iter);
    return rc;
}

static int run_import(ddf_script_session *s, const ddf_script_stmt *st)
{
    for (size_t i = 0; i < st->import.nnames; i++) {
        const ddf_script_alias *al = &st->import.names[i];
        char full[256];
        const char *bound;
        sv_module m;
        sv *v;
        int rc;

        if (st->import.module) {
            sv_module from;
            int id;

            /* from math import sqrt, from pandas import read_csv: a function */
            if (strcmp(st->import.module, "math") == 0) from = SV_MOD_MATH;
            else if (strcmp(st->import.module, "pandas") == 0) from = SV_MOD_PANDAS;
            else if (strcmp(st->import.module, "dask.dataframe") == 0) from = SV_MOD_DASK_DATAFRAME;
            else from = SV_MOD_DASK;
            id = module_function(from, al->name);
            if (id >= 0 && strcmp(st->import.module, "dask") != 0) {
                v = sv_new(SV_FUNC);
                if (v == NULL) return sv_oom(s);
                v->func.id = id;
                rc = set_var(s, al->asname ? al->asname : al->name, v);
                sv_unref(v);
                if (rc < 0) return rc;
                continue;
            }
            snprintf(full, sizeof full, "%s.%s", st->import.module, al->name);
        } else {
            snprintf(full, sizeof full, "%s", al->name);
        }
        if (strcmp(full, "pandas") == 0) m = SV_MOD_PANDAS;
        else if (strcmp(full, "dask.dataframe") == 0) m = SV_MOD_DASK_DATAFRAME;
        else if (strcmp(full, "dask") == 0) m = SV_MOD_DASK;
        else if (strcmp(full, "math") == 0) m = SV_MOD_MATH;
        else
            return sv_fail(s, al->pos, DDF_EINVAL,
                           "module '%s' is not available in ddf scripts (pandas, "
                           "dask.dataframe and math are)", full);
        /* 'import dask.dataframe' binds 'dask', as in Python */
        if (al->asname) bound = al->asname;
        else if (st->import.module) bound = al->name;
        else bound = m == SV_MOD_DASK_DATAFRAME ? "dask" : al->name;
        if (!al->asname && !st->import.module && m == SV_MOD_DASK_DATAFRAME) m = SV_MOD_DASK;
        v = sv_new(SV_MODULE);
        if (v == NULL) return sv_oom(s);
        v->module.which = m;
        rc = set_var(s, bound, v);
        sv_unref(v);
        if (rc < 0) return rc;
    }
    return DDF_OK;
}

/* Lines the last action dropped with on_bad_lines="warn", told on stderr once, as pandas
 * warns of them. */
static void tell_warnings(ddf_script_session *s)
{
    ddf_action_stats st;
    const char *const *msgs = NULL;
    size_t n;

    ddf_client_last_stats(s->client, &st);
    if (st.bad_lines == 0 ||
        (st.elapsed_ms == s->warned_elapsed_ms && st.calls == s->warned_calls))
        return;
    s->warned_elapsed_ms = st.elapsed_ms;
    s->warned_calls = st.calls;
    n = ddf_client_warnings(s->client, &msgs);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "ddf: warning: %s\n", msgs[i]);
    if (st.bad_lines > n)
        fprintf(stderr, "ddf: warning: %llu more bad lines dropped\n",
                (unsigned long long)(st.bad_lines - n));
}

static int run_stmt(ddf_script_session *s, const ddf_script_stmt *st)
{
    sv *v = NULL;
    int rc = DDF_OK;

    switch (st->kind) {
    case DDF_SCRIPT_STMT_EXPR:
        rc = eval(s, st->expr.value, &v);
        tell_warnings(s);
        if (rc == DDF_OK) rc = sv_show(s, st->pos, v);
        sv_unref(v);
        break;
    case DDF_SCRIPT_STMT_ASSIGN: rc = run_assign(s, st); break;
    case DDF_SCRIPT_STMT_FOR: rc = run_for(s, st); break;
    case DDF_SCRIPT_STMT_IMPORT: rc = run_import(s, st); break;
    case DDF_SCRIPT_STMT_PASS: break;
    }
    tell_warnings(s);
    return rc;
}

static int run_stmts(ddf_script_session *s, ddf_script_stmt *const *stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = run_stmt(s, stmts[i]);

        if (rc < 0) return rc;
    }
    return DDF_OK;
}

int ddf_script_run(ddf_script_session *s, const ddf_script_program *program,
                   ddf_script_error *err)
{
    int rc;

    memset(err, 0, sizeof *err);
    s->program = program;
    s->err = err;
    rc = run_stmts(s, program->stmts, program->nstmts);
    s->program = NULL;
    s->err = NULL;
    return rc;
}
