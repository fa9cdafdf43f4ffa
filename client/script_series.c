/* script_series.c - series as expressions of the worker language (common/expr.h): columns,
 * operators, functions and lambdas compiled to text the workers evaluate, never run as
 * code.
 *
 * A series value is the text of one expression over the columns of one frame. Operators
 * on series build bigger expressions (every operand in parentheses, so precedence is the
 * script's), and each new expression is parsed and type-checked against the frame's
 * schema at once: `sales.region * 2` fails where it is written, with pandas' dtype rules,
 * before any data is touched. Lambdas are compiled the same way: the parameter stands for
 * a row (apply(axis=1), assign) or for the element of a series (Series.apply), free names
 * must hold numbers or strings, which are inlined as literals. */
#include "script_int.h"

#include "alloc.h"
#include "expr.h"
#include "expr_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- text -------------------------------------------------------------------------------- */

typedef sv_text text;

static void put(text *t, const char *s, size_t n)
{
    sv_text_put(t, s, n);
}

static void puts_(text *t, const char *s)
{
    sv_text_put(t, s, strlen(s));
}

/* The text, or NULL when out of memory (then nothing is left to free). */
static char *take(text *t)
{
    if (t->oom || t->p == NULL) {
        ddf_free(t->p);
        if (!t->oom) return ddf_strdup("");
        return NULL;
    }
    return t->p;
}

/* ---- literals and columns ---------------------------------------------------------------- */

static void put_string_literal(text *t, const char *p, size_t n)
{
    put(t, "'", 1);
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '\\': put(t, "\\\\", 2); break;
        case '\'': put(t, "\\'", 2); break;
        case '\n': put(t, "\\n", 2); break;
        case '\t': put(t, "\\t", 2); break;
        case '\r': put(t, "\\r", 2); break;
        case '\0': put(t, "\\0", 2); break;
        default: put(t, p + i, 1);
        }
    }
    put(t, "'", 1);
}

static int put_literal(text *t, const sv *v, char *why, size_t whylen)
{
    char buf[64];

    switch (v->kind) {
    case SV_NONE: puts_(t, "None"); return DDF_OK;
    case SV_BOOL: puts_(t, v->b ? "True" : "False"); return DDF_OK;
    case SV_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)v->i);
        puts_(t, buf);
        return DDF_OK;
    case SV_FLOAT:
        if (!isfinite(v->f)) {
            snprintf(why, whylen, "%s cannot be written in a column expression",
                     isnan(v->f) ? "nan" : "inf");
            return DDF_ETYPE;
        }
        snprintf(buf, sizeof buf, "%.17g", v->f);
        /* keep it a float literal: 3.0, not 3 */
        if (strpbrk(buf, ".e") == NULL) strcat(buf, ".0");
        puts_(t, buf);
        return DDF_OK;
    case SV_STR: put_string_literal(t, v->s.p, v->s.len); return DDF_OK;
    default:
        snprintf(why, whylen, "a %s cannot be used in a column expression", sv_kind_name(v));
        return DDF_ETYPE;
    }
}

int sv_literal(const sv *v, char **out, char *why, size_t whylen)
{
    text t = {0};
    int rc = put_literal(&t, v, why, whylen);

    *out = NULL;
    if (rc < 0) {
        ddf_free(t.p);
        return rc;
    }
    *out = take(&t);
    if (*out == NULL) {
        snprintf(why, whylen, "out of memory");
        return DDF_ENOMEM;
    }
    return DDF_OK;
}

static void put_column(text *t, const char *name)
{
    put(t, "`", 1);
    puts_(t, name);
    put(t, "`", 1);
}

const char *sv_suggest_column(const ddf_schema *schema, const char *name)
{
    size_t best = (size_t)-1, len = strlen(name);
    const char *hint = NULL;

    for (size_t c = 0; c < schema->ncols; c++) {
        size_t score = ddf_expr_suggestion_score(name, len, schema->fields[c].name);

        if (score < best) {
            best = score;
            hint = schema->fields[c].name;
        }
    }
    return hint;
}

sv *sv_column(ddf_script_session *s, sv *frame, const char *name)
{
    const ddf_schema *schema = ddf_frame_schema(frame->frame.frame);
    long col = ddf_schema_find(schema, name);
    text t = {0};
    sv *v;

    (void)s;
    put_column(&t, name);
    v = sv_new(SV_SERIES);
    if (v == NULL || t.oom) {
        ddf_free(v);
        ddf_free(t.p);
        return NULL;
    }
    v->series.expr = t.p;
    v->series.name = ddf_strdup(name);
    v->series.column = ddf_strdup(name);
    if (v->series.name == NULL || v->series.column == NULL) {
        ddf_free(v->series.name);
        ddf_free(v->series.column);
        ddf_free(t.p);
        ddf_free(v);
        return NULL;
    }
    v->series.frame = sv_ref(frame);
    v->series.dtype = col >= 0 ? ddf_schema_storage_dtype(schema, (size_t)col) : DDF_DTYPE_NULL;
    return v;
}

/* ---- new series -------------------------------------------------------------------------- */

int sv_series_new(ddf_script_session *s, sv *frame, char *expr, const char *name,
                  ddf_script_pos pos, sv **out)
{
    const ddf_schema *schema = ddf_frame_schema(frame->frame.frame);
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *tree = NULL;
    ddf_error err;
    ddf_dtype dtype = DDF_DTYPE_NULL;
    int rc;
    sv *v;

    *out = NULL;
    if (arena == NULL) {
        ddf_free(expr);
        return sv_oom(s);
    }
    ddf_error_init(&err);
    rc = ddf_expr_parse(expr, strlen(expr), arena, &tree, &err);
    if (rc == DDF_OK) rc = ddf_expr_check(tree, schema, &err);
    if (rc == DDF_OK) dtype = tree->dtype;
    ddf_arena_free(arena);
    if (rc < 0) {
        ddf_free(expr);
        return sv_fail(s, pos, rc == DDF_ETOOBIG ? DDF_ETOOBIG : DDF_ETYPE, "%s", err.msg);
    }
    v = sv_new(SV_SERIES);
    if (v == NULL || (name != NULL && (v->series.name = ddf_strdup(name)) == NULL)) {
        ddf_free(v);
        ddf_free(expr);
        return sv_oom(s);
    }
    v->series.frame = sv_ref(frame);
    v->series.expr = expr;
    v->series.dtype = dtype;
    *out = v;
    return DDF_OK;
}

static const char *worker_binary_op(ddf_script_op op)
{
    switch (op) {
    case DDF_SCRIPT_OP_ADD: return "+";
    case DDF_SCRIPT_OP_SUB: return "-";
    case DDF_SCRIPT_OP_MUL: return "*";
    case DDF_SCRIPT_OP_DIV: return "/";
    case DDF_SCRIPT_OP_FLOORDIV: return "//";
    case DDF_SCRIPT_OP_MOD: return "%";
    case DDF_SCRIPT_OP_POW: return "**";
    case DDF_SCRIPT_OP_BITAND: return "&";
    case DDF_SCRIPT_OP_BITOR: return "|";
    case DDF_SCRIPT_OP_EQ: return "==";
    case DDF_SCRIPT_OP_NE: return "!=";
    case DDF_SCRIPT_OP_LT: return "<";
    case DDF_SCRIPT_OP_LE: return "<=";
    case DDF_SCRIPT_OP_GT: return ">";
    case DDF_SCRIPT_OP_GE: return ">=";
    default: return NULL;
    }
}

/* Put operand 'v' (a series of 'frame' or a scalar) in parentheses. */
static int put_operand(ddf_script_session *s, text *t, const sv *v, const sv *frame,
                       ddf_script_pos pos)
{
    char why[160];

    if (v->kind == SV_SERIES) {
        if (v->series.frame != frame)
            return sv_fail(s, pos, DDF_EINVAL,
                           "these series come from different frames: ddf combines columns "
                           "of one frame only (it aligns no index)");
        put(t, "(", 1);
        puts_(t, v->series.expr);
        put(t, ")", 1);
        return DDF_OK;
    }
    if (put_literal(t, v, why, sizeof why) < 0) return sv_fail(s, pos, DDF_ETYPE, "%s", why);
    return DDF_OK;
}

int sv_series_binary(ddf_script_session *s, ddf_script_op op, sv *a, sv *b,
                     ddf_script_pos pos, sv **out)
{
    sv *frame = a->kind == SV_SERIES ? a->series.frame : b->series.frame;
    const char *wop = worker_binary_op(op), *name = NULL;
    text t = {0};
    int rc;

    *out = NULL;
    if (op == DDF_SCRIPT_OP_AND || op == DDF_SCRIPT_OP_OR)
        return sv_fail(s, pos, DDF_ETYPE,
                       "the truth value of a Series is ambiguous: use '%s' between masks, "
                       "each in parentheses", op == DDF_SCRIPT_OP_AND ? "&" : "|");
    if (wop == NULL)
        return sv_fail(s, pos, DDF_ETYPE, "'%s' is not supported on a Series",
                       ddf_script_op_text(op));
    /* pandas keeps the name of a series combined with a scalar, or with a series of the
     * same name */
    if (a->kind == SV_SERIES && b->kind == SV_SERIES) {
        if (a->series.name && b->series.name && strcmp(a->series.name, b->series.name) == 0)
            name = a->series.name;
    } else {
        name = a->kind == SV_SERIES ? a->series.name : b->series.name;
    }
    rc = put_operand(s, &t, a, frame, pos);
    if (rc == DDF_OK) {
        put(&t, " ", 1);
        puts_(&t, wop);
        put(&t, " ", 1);
        rc = put_operand(s, &t, b, frame, pos);
    }
    if (rc < 0) {
        ddf_free(t.p);
        return rc;
    }
    if (t.oom) {
        ddf_free(t.p);
        return sv_oom(s);
    }
    return sv_series_new(s, frame, t.p, name, pos, out);
}

int sv_series_unary(ddf_script_session *s, ddf_script_op op, sv *a, ddf_script_pos pos,
                    sv **out)
{
    const char *wop = op == DDF_SCRIPT_OP_NEG ? "-" : op == DDF_SCRIPT_OP_POS ? "+"
                      : op == DDF_SCRIPT_OP_INVERT ? "~" : NULL;
    text t = {0};

    *out = NULL;
    if (wop == NULL)
        return sv_fail(s, pos, DDF_ETYPE,
                       "the truth value of a Series is ambiguous: use '~' to negate a mask");
    puts_(&t, wop);
    put(&t, "(", 1);
    puts_(&t, a->series.expr);
    put(&t, ")", 1);
    if (t.oom) {
        ddf_free(t.p);
        return sv_oom(s);
    }
    return sv_series_new(s, a->series.frame, t.p, a->series.name, pos, out);
}

int sv_series_call(ddf_script_session *s, const char *func, sv *series, sv *const *args,
                   size_t nargs, const char *name, ddf_script_pos pos, sv **out)
{
    text t = {0};
    char why[160];

    *out = NULL;
    puts_(&t, func);
    put(&t, "(", 1);
    puts_(&t, series->series.expr);
    for (size_t i = 0; i < nargs; i++) {
        put(&t, ", ", 2);
        if (put_literal(&t, args[i], why, sizeof why) < 0) {
            ddf_free(t.p);
            return sv_fail(s, pos, DDF_ETYPE, "%s(): %s", func, why);
        }
    }
    put(&t, ")", 1);
    if (t.oom) {
        ddf_free(t.p);
        return sv_oom(s);
    }
    return sv_series_new(s, series->series.frame, t.p, name, pos, out);
}

/* ---- lambdas ----------------------------------------------------------------------------- */

typedef struct lambda_ctx {
    ddf_script_session *s;
    const sv *frame;
    const sv *arg;         /* element mode: the series the parameter stands for */
    const char *param;
    bool row;
    ddf_script_pos where;  /* the lambda's place in the script */
} lambda_ctx;

static int compile(lambda_ctx *c, const ddf_script_expr *e, text *t);

static int lambda_fail(lambda_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lambda_fail(lambda_ctx *c, const char *fmt, ...)
{
    char msg[DDF_SCRIPT_ERROR_BYTES];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sv_fail(c->s, c->where, DDF_EPARSE, "in lambda: %s", msg);
}

static bool is_param(const lambda_ctx *c, const ddf_script_expr *e)
{
    return e->kind == DDF_SCRIPT_EXPR_NAME && strcmp(e->name.text, c->param) == 0;
}

/* r.col / r["col"] in row mode: the column, checked. */
static int put_row_column(lambda_ctx *c, const char *name, text *t)
{
    const ddf_schema *schema = ddf_frame_schema(c->frame->frame.frame);

    if (ddf_schema_find(schema, name) < 0) {
        const char *hint = sv_suggest_column(schema, name);

        if (hint)
            return lambda_fail(c, "the frame has no column '%s'; did you mean '%s'?", name,
                               hint);
        return lambda_fail(c, "the frame has no column '%s'", name);
    }
    put_column(t, name);
    return DDF_OK;
}

/* Python's builtins and math's functions a lambda may call, as worker functions. */
static const struct {
    const char *py, *worker;
    int min, max;      /* arguments */
    const char *extra; /* an argument appended, for astype */
} lambda_funcs[] = {
    {"abs", "abs", 1, 1, NULL},      {"round", "round", 1, 2, NULL},
    {"len", "len", 1, 1, NULL},      {"pow", "pow", 2, 2, NULL},
    {"str", "astype", 1, 1, "'string'"}, {"int", "astype", 1, 1, "'int64'"},
    {"float", "astype", 1, 1, "'float64'"}, {"bool", "astype", 1, 1, "'bool'"},
    {"sqrt", "sqrt", 1, 1, NULL},    {"exp", "exp", 1, 1, NULL},
    {"log", "log", 1, 1, NULL},      {"log10", "log10", 1, 1, NULL},
    {"floor", "floor", 1, 1, NULL},  {"ceil", "ceil", 1, 1, NULL},
    {"isnull", "isnull", 1, 1, NULL}, {"isna", "isnull", 1, 1, NULL},
    {"notnull", "notnull", 1, 1, NULL}, {"notna", "notnull", 1, 1, NULL},
};

/* String methods on a value: x.lower() is lower(x). */
static const struct {
    const char *py, *worker;
    int min, max;
} lambda_methods[] = {
    {"lower", "lower", 0, 0},          {"upper", "upper", 0, 0},
    {"strip", "strip", 0, 0},          {"startswith", "startswith", 1, 1},
    {"endswith", "endswith", 1, 1},    {"replace", "replace", 2, 2},
};

static int compile_args(lambda_ctx *c, const ddf_script_expr *call, text *t, size_t first)
{
    for (size_t i = first; i < call->call.nargs; i++) {
        int rc;

        if (i > first) put(t, ", ", 2);
        rc = compile(c, call->call.args[i], t);
        if (rc < 0) return rc;
    }
    return DDF_OK;
}

static int compile_call(lambda_ctx *c, const ddf_script_expr *e, text *t)
{
    const ddf_script_expr *f = e->call.func;
    const char *fname = NULL;
    int rc;

    if (e->call.nkeywords > 0)
        return lambda_fail(c, "keyword arguments are not supported in lambdas");
    if (f->kind == DDF_SCRIPT_EXPR_NAME) {
        fname = f->name.text;
    } else if (f->kind == DDF_SCRIPT_EXPR_ATTRIBUTE &&
               f->attribute.value->kind == DDF_SCRIPT_EXPR_NAME &&
               !is_param(c, f->attribute.value)) {
        /* math.sqrt(x), pd.isnull(x), np.floor(x) */
        fname = f->attribute.name;
    } else if (f->kind == DDF_SCRIPT_EXPR_ATTRIBUTE) {
        /* a method of a value: x.lower(), r.name.startswith("a") */
        for (size_t i = 0; i < sizeof lambda_methods / sizeof *lambda_methods; i++) {
            if (strcmp(lambda_methods[i].py, f->attribute.name) != 0) continue;
            if ((int)e->call.nargs < lambda_methods[i].min ||
                (int)e->call.nargs > lambda_methods[i].max)
                return lambda_fail(c, "%s() takes %d argument%s", f->attribute.name,
                                   lambda_methods[i].max, lambda_methods[i].max == 1 ? "" : "s");
            puts_(t, lambda_methods[i].worker);
            put(t, "(", 1);
            rc = compile(c, f->attribute.value, t);
            if (rc == DDF_OK && e->call.nargs > 0) {
                put(t, ", ", 2);
                rc = compile_args(c, e, t, 0);
            }
            put(t, ")", 1);
            return rc;
        }
        return lambda_fail(c, "method '%s' cannot be compiled for the workers", f->attribute.name);
    }
    if (fname != NULL) {
        for (size_t i = 0; i < sizeof lambda_funcs / sizeof *lambda_funcs; i++) {
            if (strcmp(lambda_funcs[i].py, fname) != 0) continue;
            if ((int)e->call.nargs < lambda_funcs[i].min ||
                (int)e->call.nargs > lambda_funcs[i].max)
                return lambda_fail(c, "%s() takes %d to %d arguments", fname,
                                   lambda_funcs[i].min, lambda_funcs[i].max);
            puts_(t, lambda_funcs[i].worker);
            put(t, "(", 1);
            rc = compile_args(c, e, t, 0);
            if (lambda_funcs[i].extra) {
                put(t, ", ", 2);
                puts_(t, lambda_funcs[i].extra);
            }
            put(t, ")", 1);
            return rc;
        }
        return lambda_fail(c, "function '%s' cannot be compiled for the workers (they know "
                              "abs, round, len, pow, str, int, float, bool, math's sqrt, exp, "
                              "log, log10, floor, ceil, and pd.isnull / notnull)", fname);
    }
    return lambda_fail(c, "this call cannot be compiled for the workers");
}

static const sv *lookup_var(const ddf_script_session *s, const char *name)
{
    for (size_t i = 0; i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0) return s->vars[i].value;
    return NULL;
}

static int compile(lambda_ctx *c, const ddf_script_expr *e, text *t)
{
    char why[160];
    int rc = DDF_OK;

    switch (e->kind) {
    case DDF_SCRIPT_EXPR_NAME:
        if (is_param(c, e)) {
            if (c->row)
                return lambda_fail(c, "'%s' is a whole row: use %s.column or %s[\"column\"]",
                                   c->param, c->param, c->param);
            put(t, "(", 1);
            puts_(t, c->arg->series.expr);
            put(t, ")", 1);
            return DDF_OK;
        } else {
            const sv *v = lookup_var(c->s, e->name.text);

            if (v == NULL)
                return lambda_fail(c, "name '%s' is not defined", e->name.text);
            if (!sv_is_scalar(v))
                return lambda_fail(c, "'%s' is a %s; a lambda may use only its parameter, "
                                      "numbers and strings", e->name.text, sv_kind_name(v));
            if (put_literal(t, v, why, sizeof why) < 0) return lambda_fail(c, "%s", why);
            return DDF_OK;
        }
    case DDF_SCRIPT_EXPR_INT: {
        sv lit = {.kind = SV_INT, .i = e->int_value};
        put_literal(t, &lit, why, sizeof why);
        return DDF_OK;
    }
    case DDF_SCRIPT_EXPR_FLOAT: {
        sv lit = {.kind = SV_FLOAT, .f = e->float_value};
        if (put_literal(t, &lit, why, sizeof why) < 0) return lambda_fail(c, "%s", why);
        return DDF_OK;
    }
    case DDF_SCRIPT_EXPR_STRING:
        put_string_literal(t, e->string.bytes, e->string.len);
        return DDF_OK;
    case DDF_SCRIPT_EXPR_BOOL: puts_(t, e->bool_value ? "True" : "False"); return DDF_OK;
    case DDF_SCRIPT_EXPR_NONE: puts_(t, "None"); return DDF_OK;
    case DDF_SCRIPT_EXPR_ATTRIBUTE:
        if (c->row && is_param(c, e->attribute.value))
            return put_row_column(c, e->attribute.name, t);
        return lambda_fail(c, "attribute '%s' cannot be compiled for the workers",
                           e->attribute.name);
    case DDF_SCRIPT_EXPR_SUBSCRIPT:
        if (c->row && is_param(c, e->subscript.value) &&
            e->subscript.index->kind == DDF_SCRIPT_EXPR_STRING)
            return put_row_column(c, e->subscript.index->string.bytes, t);
        return lambda_fail(c, "only %s[\"column\"] can be subscripted", c->param);
    case DDF_SCRIPT_EXPR_UNARY: {
        ddf_script_op op = e->unary.op;

        puts_(t, op == DDF_SCRIPT_OP_NEG ? "-(" : op == DDF_SCRIPT_OP_POS ? "+("
                 : op == DDF_SCRIPT_OP_NOT ? "not (" : "~(");
        rc = compile(c, e->unary.operand, t);
        put(t, ")", 1);
        return rc;
    }
    case DDF_SCRIPT_EXPR_BINARY:
    case DDF_SCRIPT_EXPR_BOOLOP:
    case DDF_SCRIPT_EXPR_COMPARE: {
        ddf_script_op op = e->binary.op;
        const char *wop = worker_binary_op(op);

        if (op == DDF_SCRIPT_OP_AND) wop = "and";
        if (op == DDF_SCRIPT_OP_OR) wop = "or";
        if (op == DDF_SCRIPT_OP_IN || op == DDF_SCRIPT_OP_NOT_IN) {
            const ddf_script_expr *r = e->binary.right;

            if (r->kind == DDF_SCRIPT_EXPR_LIST || r->kind == DDF_SCRIPT_EXPR_TUPLE) {
                put(t, "(", 1);
                rc = compile(c, e->binary.left, t);
                puts_(t, op == DDF_SCRIPT_OP_IN ? ") in [" : ") not in [");
                for (size_t i = 0; i < r->seq.n && rc == DDF_OK; i++) {
                    if (i) put(t, ", ", 2);
                    rc = compile(c, r->seq.items[i], t);
                }
                put(t, "]", 1);
                return rc;
            }
            /* 'sub' in x: substring test */
            puts_(t, op == DDF_SCRIPT_OP_IN ? "contains(" : "not contains(");
            rc = compile(c, r, t);
            put(t, ", ", 2);
            if (rc == DDF_OK) rc = compile(c, e->binary.left, t);
            put(t, ")", 1);
            return rc;
        }
        if (wop == NULL)
            return lambda_fail(c, "operator '%s' is not supported", ddf_script_op_text(op));
        put(t, "(", 1);
        rc = compile(c, e->binary.left, t);
        put(t, ") ", 2);
        puts_(t, wop);
        put(t, " (", 2);
        if (rc == DDF_OK) rc = compile(c, e->binary.right, t);
        put(t, ")", 1);
        return rc;
    }
    case DDF_SCRIPT_EXPR_CALL: return compile_call(c, e, t);
    case DDF_SCRIPT_EXPR_IFEXP:
        puts_(t, "if_else(");
        rc = compile(c, e->ifexp.test, t);
        put(t, ", ", 2);
        if (rc == DDF_OK) rc = compile(c, e->ifexp.body, t);
        put(t, ", ", 2);
        if (rc == DDF_OK) rc = compile(c, e->ifexp.orelse, t);
        put(t, ")", 1);
        return rc;
    case DDF_SCRIPT_EXPR_LAMBDA: return lambda_fail(c, "a lambda inside a lambda is not supported");
    default: return lambda_fail(c, "this expression cannot be compiled for the workers");
    }
}

int sv_lambda_apply(ddf_script_session *s, const sv *lam, sv *frame, sv *arg, bool row,
                    ddf_script_pos pos, sv **out)
{
    const ddf_script_expr *node = lam->lambda.node;
    lambda_ctx c = {s, frame, arg, NULL, row, pos};
    text t = {0};
    int rc;

    *out = NULL;
    if (node->lambda.nparams != 1)
        return sv_fail(s, pos, DDF_EINVAL, "the lambda must take one parameter, not %zu",
                       node->lambda.nparams);
    c.param = node->lambda.params[0].name;
    rc = compile(&c, node->lambda.body, &t);
    if (rc < 0) {
        ddf_free(t.p);
        return rc;
    }
    if (t.oom) {
        ddf_free(t.p);
        return sv_oom(s);
    }
    return sv_series_new(s, frame, t.p, row ? NULL : arg->series.name, pos, out);
}
