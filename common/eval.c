/* eval.c - vectorized evaluation of checked expression trees (expr.h) over a table.
 *
 * Each node evaluates to a whole temporary ddf_column of the node's rows, allocated in
 * the caller's scratch arena; parents combine children's columns in tight per-dtype loops.
 * Recursion follows the tree, whose depth the parser caps at DDF_MAX_EXPR_DEPTH. A node
 * of dtype NULL (the literal None) evaluates to an all-null column of whatever type its
 * parent needs. Every column made here keeps column.h's invariants: a null row's value
 * slot is 0 and null_count matches the bitmap; the one exception, float arithmetic's
 * "loose" operands (eval_f64_operand), is read by its parent operator alone.
 *
 * The rules, pandas/numpy's, written once:
 *   - nulls propagate through arithmetic, unary minus, functions and string functions.
 *   - comparisons with a null operand are False, except != which is True (as NaN in
 *     pandas); the result has no nulls. NaN compares as IEEE says (NaN == NaN is False).
 *     Strings compare by bytes, which for UTF-8 is Python's code point order.
 *   - and/or/&/| treat null as False and give no nulls; not/~ of null is null.
 *   - int64 + - * and unary minus, abs and ** wrap silently modulo 2^64 (numpy does).
 *   - int / int is float64 true division: x/0 is ±inf, 0/0 NaN (pandas).
 *   - int // and % follow Python's signs (floor division; the remainder has the divisor's
 *     sign); division by zero gives null. INT64_MIN // -1 wraps to INT64_MIN, % gives 0.
 *   - float // and % are numpy's npy_divmod: x // 0.0 is x/0.0 (±inf, NaN for 0 or NaN),
 *     x % 0.0 is NaN; otherwise floor division with the divisor's sign on the remainder.
 *   - ** with an int literal exponent (int64 result) is repeated squaring; otherwise pow().
 *   - round(x, n) is numpy's: x*10^n rounded half to even (rint), divided back; ints with
 *     n < 0 round half to even on the integer; ints with n >= 0 are unchanged.
 *   - sqrt/log of negatives give NaN, log(0) -inf (numpy, without its warning).
 *   - lower/upper are ASCII only (other bytes, UTF-8 included, pass through); len counts
 *     code points (Python len on valid UTF-8); strip removes ASCII whitespace " \t\n\v\f\r";
 *     contains/startswith/endswith/replace take a literal (not a regex), and replacing
 *     '' inserts between code points as Python does; substr(s, start[, n]) is Python's
 *     s[start:][:n] in code points (a negative start counts from the end, a negative n
 *     gives ''; note s[-2:][:3] is not s[-2:1]).
 *   - isin uses a hash set of the list; a None in the list matches null rows, else a null
 *     row is not in the list. 'not in' is the negation of isin (a null row is "not in").
 *   - if_else(c, a, b) is a where c is True and b where c is False or null (where()).
 *   - fillna(a, b) is b where a is null or NaN (pandas treats NaN as missing); isnull and
 *     notnull count NaN as null too.
 *   - astype: bool/int64/float64 between themselves (float -> int truncates toward zero;
 *     inf/NaN is DDF_ERANGE, as pandas raises) and to string (bools "True"/"False", ints in
 *     decimal, floats as Python's str(float): shortest round-trip digits, "1.0", "1e+16",
 *     "inf", "nan"); string to string is the identity. From string, as Series.astype
 *     does with int()/float()/bool() per value: int64 takes ASCII whitespace around an
 *     optional sign and decimal digits (" 12 " is 12); float64 takes that or a decimal
 *     with '.'/exponent, inf/infinity or nan in any case with a sign; bool is True for
 *     any non-empty string ("False" too), False for "". A null stays null (pandas' Int64
 *     and boolean keep it too; numpy pandas would fail or make None False). A value that
 *     does not parse, or an int beyond int64, is DDF_EINVAL naming the value and row.
 *     Deliberately narrower than Python: no '_' separators ("1_000") and no non-ASCII
 *     digits or spaces, which read_csv refuses too. */
#include "eval.h"

#include "bitmap.h"
#include "f64_chain.h"
#include "limits.h"
#include "numparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ev {
    const ddf_table *t;
    const uint32_t *sel;
    size_t n;     /* rows evaluated */
    ddf_arena *a; /* scratch */
    ddf_error *err;
} ev;

static int fail(ev *v, const ddf_expr *e, int code, const char *msg)
{
    ddf_error_setf(v->err, code, "%s", msg);
    if (v->err) v->err->offset = e ? (int64_t)e->offset : -1;
    return code;
}

static int oom(ev *v, const ddf_expr *e)
{
    return fail(v, e, DDF_ENOMEM, "out of memory evaluating expression");
}

/* A column of 'dt' and v->n rows, values uninitialised (string offsets zeroed), no nulls. */
static int mk(ev *v, const ddf_expr *e, ddf_dtype dt, ddf_column *c)
{
    size_t n = v->n;
    size_t sz = dt == DDF_DTYPE_BOOL ? 1 : 8;

    ddf_column_init(c, dt);
    if (dt == DDF_DTYPE_STRING)
        c->values.offsets = ddf_arena_calloc(v->a, n + 1, 8);
    else
        c->values.i64 = ddf_arena_alloc(v->a, (n ? n : 1) * sz);
    if (!c->values.i64) return oom(v, e);
    c->length = c->capacity = n;
    return DDF_OK;
}

/* Give 'c' a validity bitmap with every row valid. */
static int need_validity(ev *v, const ddf_expr *e, ddf_column *c)
{
    size_t nb = (v->n + 7) / 8;

    if (c->validity) return DDF_OK;
    c->validity = ddf_arena_alloc(v->a, nb ? nb : 1);
    if (!c->validity) return oom(v, e);
    memset(c->validity, 0xff, nb);
    if (v->n & 7) c->validity[nb - 1] = (uint8_t)((1u << (v->n & 7)) - 1);
    return DDF_OK;
}

static void clear_bit(ddf_column *c, size_t i)
{
    c->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

/* Bits [base, base + k) of a bitmap (k <= 64, base a multiple of 64), LSB first; bytes past
 * the last row are not read. */
static uint64_t load_bits(const uint8_t *bm, size_t base, size_t k)
{
    const uint8_t *p = bm + base / 8;
    uint64_t w = 0;

    if (k == 64) {
        memcpy(&w, p, 8);
        return w;
    }
    for (size_t b = 0; b < (k + 7) / 8; b++)
        w |= (uint64_t)p[b] << (8 * b);
    return w & ((UINT64_C(1) << k) - 1);
}

/* Recount nulls from the bitmap and zero null rows' value slots (not for strings, whose
 * builders write empty values themselves). A word of 64 rows at a time: a full word costs
 * one test, a null one visit (slices of a few percent nulls are mostly full words). */
static void finish(ddf_column *c)
{
    size_t n = c->length, nulls = 0;
    int64_t *slots = c->dtype == DDF_DTYPE_INT64 || c->dtype == DDF_DTYPE_FLOAT64
                         ? c->values.i64 : NULL;
    uint8_t *bytes = c->dtype == DDF_DTYPE_BOOL ? c->values.b8 : NULL;

    c->null_count = 0;
    if (!c->validity) return;
    for (size_t base = 0; base < n; base += 64) {
        size_t k = n - base < 64 ? n - base : 64;
        uint64_t miss = ~load_bits(c->validity, base, k);

        if (k < 64) miss &= (UINT64_C(1) << k) - 1;
        /* one loop per layout, so the common word without a null costs one test */
        if (slots) {
            for (; miss; miss &= miss - 1, nulls++)
                slots[base + (size_t)__builtin_ctzll(miss)] = 0;
        } else if (bytes) {
            for (; miss; miss &= miss - 1, nulls++)
                bytes[base + (size_t)__builtin_ctzll(miss)] = 0;
        } else {
            for (; miss; miss &= miss - 1)
                nulls++;
        }
    }
    c->null_count = nulls;
}

static void and_bytes(uint8_t *restrict o, const uint8_t *restrict a, const uint8_t *restrict b,
                      size_t nb)
{
    for (size_t k = 0; k < nb; k++) /* vectorized: sixteen bytes at a time */
        o[k] = a[k] & b[k];
}

/* out's validity = a's AND b's (b may be NULL); 'out' is fresh from mk (no bitmap yet) or
 * already has one of v->n rows. No bitmap when neither operand has one. */
static int and_validity(ev *v, const ddf_expr *e, ddf_column *out, const ddf_column *a,
                        const ddf_column *b)
{
    const uint8_t *va = a->validity, *vb = b ? b->validity : NULL;
    size_t nb = (v->n + 7) / 8;

    if (!va && !vb) return DDF_OK;
    if (!out->validity) {
        out->validity = ddf_arena_alloc(v->a, nb ? nb : 1);
        if (!out->validity) return oom(v, e);
        if (va && vb)
            and_bytes(out->validity, va, vb, nb);
        else
            memcpy(out->validity, va ? va : vb, nb);
    } else {
        for (size_t k = 0; va && k < nb; k++)
            out->validity[k] &= va[k];
        for (size_t k = 0; vb && k < nb; k++)
            out->validity[k] &= vb[k];
    }
    /* bits past the last row stay 0 (column.h), whatever the operands' last byte holds */
    if (v->n & 7) out->validity[nb - 1] &= (uint8_t)((1u << (v->n & 7)) - 1);
    return DDF_OK;
}

/* ---- strings: a growing byte buffer for string results ---- */

/* Append bytes to the string being built at the end of 'c' (rows are closed by s_end). */
static int s_add(ev *v, const ddf_expr *e, ddf_column *c, size_t *blen, const char *s, size_t len)
{
    if (len > DDF_MAX_FIELD_BYTES || *blen > SIZE_MAX / 2 - len)
        return fail(v, e, DDF_ETOOBIG, "string result over the size limit");
    if (*blen + len > c->bytes_capacity) {
        size_t cap = c->bytes_capacity ? c->bytes_capacity : 64;
        while (cap < *blen + len)
            cap *= 2;
        char *nb = ddf_arena_realloc(v->a, c->bytes, c->bytes_capacity, cap);
        if (!nb) return oom(v, e);
        c->bytes = nb;
        c->bytes_capacity = cap;
    }
    if (len) memcpy(c->bytes + *blen, s, len);
    *blen += len;
    return DDF_OK;
}

static void s_end(ddf_column *c, size_t row, size_t blen)
{
    c->values.offsets[row + 1] = (int64_t)blen;
}

/* ---- evaluation ---- */

static int eval(ev *v, const ddf_expr *e, ddf_column *c);

/* All-null column of 'dt'. */
static int all_null(ev *v, const ddf_expr *e, ddf_dtype dt, ddf_column *c)
{
    int rc;

    if ((rc = mk(v, e, dt, c)) < 0 || (rc = need_validity(v, e, c)) < 0) return rc;
    memset(c->validity, 0, (v->n + 7) / 8 ? (v->n + 7) / 8 : 1);
    if (dt != DDF_DTYPE_STRING)
        memset(c->values.i64, 0, (v->n ? v->n : 1) * (dt == DDF_DTYPE_BOOL ? 1 : 8));
    c->null_count = v->n;
    return DDF_OK;
}

/* Evaluate 'e' converted to 'to' (bool -> int64 -> float64 widening only). */
static int eval_as(ev *v, const ddf_expr *e, ddf_dtype to, ddf_column *c)
{
    ddf_column x;
    int rc;

    if (e->dtype == DDF_DTYPE_NULL) return all_null(v, e, to, c);
    if ((rc = eval(v, e, &x)) < 0) return rc;
    if (x.dtype == to) {
        *c = x;
        return DDF_OK;
    }
    if ((rc = mk(v, e, to, c)) < 0) return rc;
    c->validity = x.validity;
    c->null_count = x.null_count;
    /* one loop per conversion, so each is a straight (vectorizable) copy */
    if (x.dtype == DDF_DTYPE_BOOL && to == DDF_DTYPE_INT64)
        for (size_t i = 0; i < v->n; i++) c->values.i64[i] = x.values.b8[i];
    else if (x.dtype == DDF_DTYPE_BOOL)
        for (size_t i = 0; i < v->n; i++) c->values.f64[i] = (double)x.values.b8[i];
    else if (to == DDF_DTYPE_INT64)
        for (size_t i = 0; i < v->n; i++) c->values.i64[i] = x.values.i64[i];
    else
        for (size_t i = 0; i < v->n; i++) c->values.f64[i] = (double)x.values.i64[i];
    return DDF_OK;
}

static int eval_column(ev *v, const ddf_expr *e, ddf_column *c)
{
    const ddf_column *src;
    int rc;

    if (e->col < 0 || (size_t)e->col >= v->t->ncols)
        return fail(v, e, DDF_EINVAL, "expression names a column the table does not have");
    src = &v->t->columns[e->col];
    if (!v->sel) {
        *c = *src;
        c->length = v->n;
        return DDF_OK;
    }
    if ((rc = mk(v, e, src->dtype, c)) < 0) return rc;
    if (src->null_count && (rc = need_validity(v, e, c)) < 0) return rc;
    size_t blen = 0;
    for (size_t i = 0; i < v->n; i++) {
        size_t r = v->sel[i];
        if (!ddf_column_is_valid(src, r)) clear_bit(c, i);
        switch (src->dtype) {
        case DDF_DTYPE_BOOL:
            c->values.b8[i] = src->values.b8[r];
            break;
        case DDF_DTYPE_STRING: {
            size_t len;
            const char *s = ddf_column_str(src, r, &len);
            if ((rc = s_add(v, e, c, &blen, s, len)) < 0) return rc;
            s_end(c, i, blen);
            break;
        }
        default:
            c->values.i64[i] = src->values.i64[r];
            break;
        }
    }
    finish(c);
    return DDF_OK;
}

static int eval_literal(ev *v, const ddf_expr *e, ddf_column *c)
{
    int rc;

    switch (e->kind) {
    case DDF_EXPR_NULL:
        return all_null(v, e, DDF_DTYPE_FLOAT64, c);
    case DDF_EXPR_BOOL:
        if ((rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0) return rc;
        memset(c->values.b8, e->b, v->n);
        return DDF_OK;
    case DDF_EXPR_INT:
    case DDF_EXPR_FLOAT:
        if ((rc = mk(v, e, e->dtype, c)) < 0) return rc;
        for (size_t i = 0; i < v->n; i++) {
            if (e->kind == DDF_EXPR_INT)
                c->values.i64[i] = e->i;
            else
                c->values.f64[i] = e->f;
        }
        return DDF_OK;
    default: { /* STRING: the literal's bytes once per row */
        size_t blen = 0;
        if ((rc = mk(v, e, DDF_DTYPE_STRING, c)) < 0) return rc;
        for (size_t i = 0; i < v->n; i++) {
            if ((rc = s_add(v, e, c, &blen, e->s, e->slen)) < 0) return rc;
            s_end(c, i, blen);
        }
        return DDF_OK;
    }
    }
}

/* Python floor division and modulo on int64; 'b' is not 0. */
static int64_t py_floordiv(int64_t a, int64_t b)
{
    if (b == -1) return (int64_t)(0 - (uint64_t)a);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t py_mod(int64_t a, int64_t b)
{
    if (b == -1) return 0;
    int64_t m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
}

/* numpy's npy_divmod for float64. */
static double np_divmod(double a, double b, double *mod)
{
    double m = fmod(a, b), div, fd;

    if (b == 0.0) {
        *mod = m;
        return a / b;
    }
    div = (a - m) / b;
    if (m != 0.0) {
        if ((b < 0) != (m < 0)) {
            m += b;
            div -= 1.0;
        }
    } else {
        m = copysign(0.0, b);
    }
    if (div != 0.0) {
        fd = floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = copysign(0.0, a / b);
    }
    *mod = m;
    return fd;
}

static int64_t ipow(int64_t base, int64_t ex)
{
    uint64_t r = 1, b = (uint64_t)base;
    while (ex > 0) {
        if (ex & 1) r *= b;
        b *= b;
        ex >>= 1;
    }
    return (int64_t)r;
}

/* A numeric literal operand, as the operation's dtype sees it. */
static bool numeric_literal(const ddf_expr *e, ddf_dtype dt, int64_t *i, double *f)
{
    if (e->kind == DDF_EXPR_INT) {
        *i = e->i;
        *f = (double)e->i;
        return true;
    }
    if (e->kind == DDF_EXPR_FLOAT && dt == DDF_DTYPE_FLOAT64) {
        *f = e->f;
        return true;
    }
    return false;
}

static int eval_arith(ev *v, const ddf_expr *e, ddf_expr_op op, const ddf_expr *l,
                      const ddf_expr *r, bool loose, ddf_column *c);

/* Whether 'e' is float64 + - * / (what a chain is made of: f64_chain.h). */
static bool f64_arith(const ddf_expr *e)
{
    return e->kind == DDF_EXPR_BINARY && e->dtype == DDF_DTYPE_FLOAT64 &&
           (e->op == DDF_EXPR_OP_ADD || e->op == DDF_EXPR_OP_SUB || e->op == DDF_EXPR_OP_MUL ||
            e->op == DDF_EXPR_OP_DIV);
}

static ddf_f64_op f64_op_of(ddf_expr_op op)
{
    return op == DDF_EXPR_OP_ADD   ? DDF_F64_ADD
           : op == DDF_EXPR_OP_SUB ? DDF_F64_SUB
           : op == DDF_EXPR_OP_MUL ? DDF_F64_MUL
                                   : DDF_F64_DIV;
}

/* A float64 operand of + - * /: evaluated at float64, or left at int64 when that is its
 * dtype so the chain converts as it reads (no conversion pass and temporary column).
 * *is_int says which.
 *
 * An operand that is itself float + - * / is evaluated "loose": its null rows' value
 * slots are left as the arithmetic made them and its null_count is not counted, since
 * the chain reading it takes nothing from it but its bitmap and its valid rows, and
 * makes (and zeroes) its own. */
static int eval_f64_operand(ev *v, const ddf_expr *e, ddf_column *c, bool *is_int)
{
    *is_int = e->dtype == DDF_DTYPE_INT64;
    if (f64_arith(e))
        return eval_arith(v, e, e->op, e->args[0], e->args[1], true, c);
    return *is_int ? eval(v, e, c) : eval_as(v, e, DDF_DTYPE_FLOAT64, c);
}

/* 'e' as a term of a chain: a numeric literal; a float64 + - * / of an operand and a
 * literal, the operand evaluated (1 - discount); or any other operand, evaluated. *col
 * is the term's column (its validity is the term's), empty for a literal. */
static int chain_term(ev *v, const ddf_expr *e, ddf_f64_term *t, ddf_column *col)
{
    const ddf_expr *operand = e;
    int64_t si;
    double sf;
    bool is_int;
    int rc;

    memset(t, 0, sizeof(*t));
    ddf_column_init(col, DDF_DTYPE_FLOAT64);
    if (numeric_literal(e, DDF_DTYPE_FLOAT64, &si, &sf)) {
        t->kind = DDF_F64_TERM_SCALAR;
        t->s = sf;
        return DDF_OK;
    }
    if (f64_arith(e)) {
        if (numeric_literal(e->args[1], DDF_DTYPE_FLOAT64, &si, &t->s)) {
            t->has_sop = true;
            operand = e->args[0];
        } else if (numeric_literal(e->args[0], DDF_DTYPE_FLOAT64, &si, &t->s)) {
            t->has_sop = t->scalar_left = true;
            operand = e->args[1];
        }
        t->sop = f64_op_of(e->op);
    }
    if ((rc = eval_f64_operand(v, operand, col, &is_int)) < 0)
        return rc;
    if (is_int && col->i8 != NULL) { /* 1 byte a row read instead of 8 */
        t->kind = DDF_F64_TERM_INT8;
        t->i8 = col->i8;
    } else if (is_int) {
        t->kind = DDF_F64_TERM_INT;
        t->i = col->values.i64;
    } else {
        t->kind = DDF_F64_TERM_FLOAT;
        t->f = col->values.f64;
    }
    return DDF_OK;
}

/* The chain of float64 + - * / 'e' (f64_chain.h): the left spine of 'e' down to
 * DDF_F64_CHAIN_MAX terms, the right operands and the spine's end as terms, evaluated.
 * *c is made a float64 column of v->n rows without values whose bitmap is the AND of
 * the terms' (nulls propagate). */
static int chain_terms(ev *v, const ddf_expr *e, ddf_f64_chain *chain, ddf_column *c)
{
    const ddf_expr *spine[DDF_F64_CHAIN_MAX - 1], *head = e;
    ddf_column cols[DDF_F64_CHAIN_MAX];
    size_t depth = 0;
    int rc;

    while (f64_arith(head) && depth < DDF_F64_CHAIN_MAX - 1) {
        spine[depth++] = head;
        head = head->args[0];
    }
    chain->nterms = depth + 1;
    if ((rc = chain_term(v, head, &chain->terms[0], &cols[0])) < 0)
        return rc;
    for (size_t k = 1; k <= depth; k++) { /* the spine from the bottom up */
        const ddf_expr *node = spine[depth - k];

        chain->ops[k - 1] = f64_op_of(node->op);
        if ((rc = chain_term(v, node->args[1], &chain->terms[k], &cols[k])) < 0)
            return rc;
    }
    ddf_column_init(c, DDF_DTYPE_FLOAT64);
    c->length = c->capacity = v->n;
    for (size_t k = 0; k < chain->nterms; k++)
        if (cols[k].validity && (rc = and_validity(v, e, c, &cols[k], NULL)) < 0)
            return rc;
    return DDF_OK;
}

/* Float64 + - * / as one chain; 'loose' as eval_f64_operand. */
static int eval_f64_chain(ev *v, const ddf_expr *e, bool loose, ddf_column *c)
{
    ddf_f64_chain chain;
    int rc;

    if ((rc = chain_terms(v, e, &chain, c)) < 0)
        return rc;
    c->values.f64 = ddf_arena_alloc(v->a, (v->n ? v->n : 1) * sizeof(double));
    if (c->values.f64 == NULL)
        return oom(v, e);
    ddf_f64_chain_run(&chain, 0, v->n, c->values.f64);
    if (!loose)
        finish(c);
    return DDF_OK;
}

/* x + 1, 1 - x, qty * 2: an int64 operand and a literal of + - * without making a column
 * of the literal first. 1 when the operands are not of that shape. */
static int eval_int_scalar(ev *v, const ddf_expr *e, ddf_expr_op op, const ddf_expr *l,
                           const ddf_expr *r, ddf_column *c)
{
    bool left;
    int64_t si = 0;
    double sf = 0;
    ddf_column x;
    size_t n = v->n;
    int rc;

    if (e->dtype != DDF_DTYPE_INT64 ||
        (op != DDF_EXPR_OP_ADD && op != DDF_EXPR_OP_SUB && op != DDF_EXPR_OP_MUL))
        return 1;
    if (numeric_literal(r, DDF_DTYPE_INT64, &si, &sf))
        left = false;
    else if (numeric_literal(l, DDF_DTYPE_INT64, &si, &sf))
        left = true;
    else
        return 1;
    if ((rc = eval_as(v, left ? r : l, DDF_DTYPE_INT64, &x)) < 0 ||
        (rc = mk(v, e, DDF_DTYPE_INT64, c)) < 0 || (rc = and_validity(v, e, c, &x, NULL)) < 0)
        return rc;
    {
        const uint64_t *a = (const uint64_t *)x.values.i64;
        int64_t *o = c->values.i64;
        uint64_t s = (uint64_t)si;

        if (op == DDF_EXPR_OP_ADD)
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)(a[i] + s);
        else if (op == DDF_EXPR_OP_MUL)
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)(a[i] * s);
        else if (left)
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)(s - a[i]);
        else
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)(a[i] - s);
    }
    finish(c);
    return DDF_OK;
}

/* l op r; 'loose' as eval_f64_operand says (honoured by float + - * / only, which are
 * e's own operator and operands). */
static int eval_arith(ev *v, const ddf_expr *e, ddf_expr_op op, const ddf_expr *l,
                      const ddf_expr *r, bool loose, ddf_column *c)
{
    ddf_column x, y;
    ddf_dtype dt = e->dtype;
    int rc;

    if (f64_arith(e) && e->op == op)
        return eval_f64_chain(v, e, loose, c);
    if ((rc = eval_int_scalar(v, e, op, l, r, c)) <= 0)
        return rc;
    if ((rc = eval_as(v, l, dt, &x)) < 0 || (rc = eval_as(v, r, dt, &y)) < 0 ||
        (rc = mk(v, e, dt, c)) < 0 || (rc = and_validity(v, e, c, &x, &y)) < 0)
        return rc;
    if (dt == DDF_DTYPE_STRING) { /* + is concatenation */
        size_t blen = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (ddf_column_is_valid(c, i)) {
                size_t la, lb;
                const char *sa = ddf_column_str(&x, i, &la), *sb = ddf_column_str(&y, i, &lb);
                if ((rc = s_add(v, e, c, &blen, sa, la)) < 0 ||
                    (rc = s_add(v, e, c, &blen, sb, lb)) < 0)
                    return rc;
            }
            s_end(c, i, blen);
        }
        finish(c);
        return DDF_OK;
    }
    if (dt == DDF_DTYPE_INT64) {
        const int64_t *a = x.values.i64, *b = y.values.i64;
        int64_t *o = c->values.i64;
        size_t n = v->n;

        switch (op) { /* wrapping arithmetic, as numpy's int64 */
        case DDF_EXPR_OP_ADD:
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)a[i] + (uint64_t)b[i]);
            goto done;
        case DDF_EXPR_OP_SUB:
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)a[i] - (uint64_t)b[i]);
            goto done;
        case DDF_EXPR_OP_MUL:
            for (size_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)a[i] * (uint64_t)b[i]);
            goto done;
        default:
            break;
        }
        if ((op == DDF_EXPR_OP_FLOORDIV || op == DDF_EXPR_OP_MOD) &&
            (rc = need_validity(v, e, c)) < 0)
            return rc;
        for (size_t i = 0; i < v->n; i++) {
            switch (op) {
            case DDF_EXPR_OP_ADD:
                o[i] = (int64_t)((uint64_t)a[i] + (uint64_t)b[i]);
                break;
            case DDF_EXPR_OP_SUB:
                o[i] = (int64_t)((uint64_t)a[i] - (uint64_t)b[i]);
                break;
            case DDF_EXPR_OP_MUL:
                o[i] = (int64_t)((uint64_t)a[i] * (uint64_t)b[i]);
                break;
            case DDF_EXPR_OP_FLOORDIV:
            case DDF_EXPR_OP_MOD:
                if (b[i] == 0) {
                    clear_bit(c, i); /* int division by zero: null */
                    o[i] = 0;
                } else {
                    o[i] = op == DDF_EXPR_OP_MOD ? py_mod(a[i], b[i]) : py_floordiv(a[i], b[i]);
                }
                break;
            default:
                o[i] = b[i] < 0 ? 0 : ipow(a[i], b[i]);
                break; /* POW */
            }
        }
    } else {
        const double *a = x.values.f64, *b = y.values.f64;
        double *o = c->values.f64, m;
        size_t n = v->n;

        /* + - * / are chains (eval_f64_chain): here are // % and ** */
        for (size_t i = 0; i < n; i++) {
            switch (op) {
            case DDF_EXPR_OP_FLOORDIV:
                o[i] = np_divmod(a[i], b[i], &m);
                break;
            case DDF_EXPR_OP_MOD:
                np_divmod(a[i], b[i], &m);
                o[i] = m;
                break;
            default:
                o[i] = pow(a[i], b[i]);
                break;
            }
        }
    }
done:
    finish(c);
    return DDF_OK;
}

static int cmp_result(ddf_expr_op op, int s)
{
    switch (op) {
    case DDF_EXPR_OP_EQ:
        return s == 0;
    case DDF_EXPR_OP_NE:
        return s != 0;
    case DDF_EXPR_OP_LT:
        return s < 0;
    case DDF_EXPR_OP_LE:
        return s <= 0;
    case DDF_EXPR_OP_GT:
        return s > 0;
    default:
        return s >= 0;
    }
}

static int eval_compare(ev *v, const ddf_expr *e, ddf_column *c)
{
    const ddf_expr *l = e->args[0], *r = e->args[1];
    ddf_dtype dt;
    ddf_column x, y;
    int rc;

    if ((rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0) return rc;
    if (l->dtype == DDF_DTYPE_NULL || r->dtype == DDF_DTYPE_NULL) {
        memset(c->values.b8, e->op == DDF_EXPR_OP_NE, v->n);
        return DDF_OK;
    }
    if (l->dtype == DDF_DTYPE_STRING)
        dt = DDF_DTYPE_STRING;
    else if (l->dtype == DDF_DTYPE_FLOAT64 || r->dtype == DDF_DTYPE_FLOAT64)
        dt = DDF_DTYPE_FLOAT64;
    else
        dt = DDF_DTYPE_INT64;
    if ((rc = eval_as(v, l, dt, &x)) < 0 || (rc = eval_as(v, r, dt, &y)) < 0) return rc;
    for (size_t i = 0; i < v->n; i++) {
        int res;
        if (!ddf_column_is_valid(&x, i) || !ddf_column_is_valid(&y, i)) {
            res = e->op == DDF_EXPR_OP_NE;
        } else if (dt == DDF_DTYPE_STRING) {
            size_t la, lb;
            const char *sa = ddf_column_str(&x, i, &la), *sb = ddf_column_str(&y, i, &lb);
            int s = memcmp(sa, sb, la < lb ? la : lb);
            if (s == 0) s = la < lb ? -1 : la > lb;
            res = cmp_result(e->op, s);
        } else if (dt == DDF_DTYPE_FLOAT64) {
            double a = x.values.f64[i], b = y.values.f64[i];
            switch (e->op) { /* IEEE: NaN compares false except != */
            case DDF_EXPR_OP_EQ:
                res = a == b;
                break;
            case DDF_EXPR_OP_NE:
                res = a != b;
                break;
            case DDF_EXPR_OP_LT:
                res = a < b;
                break;
            case DDF_EXPR_OP_LE:
                res = a <= b;
                break;
            case DDF_EXPR_OP_GT:
                res = a > b;
                break;
            default:
                res = a >= b;
                break;
            }
        } else {
            int64_t a = x.values.i64[i], b = y.values.i64[i];
            res = cmp_result(e->op, (a > b) - (a < b));
        }
        c->values.b8[i] = (uint8_t)res;
    }
    return DDF_OK;
}

static int eval_logic(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column x, y;
    int rc;
    int is_and = e->op == DDF_EXPR_OP_AND || e->op == DDF_EXPR_OP_BITAND;

    if ((rc = eval_as(v, e->args[0], DDF_DTYPE_BOOL, &x)) < 0 ||
        (rc = eval_as(v, e->args[1], DDF_DTYPE_BOOL, &y)) < 0 ||
        (rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0)
        return rc;
    for (size_t i = 0; i < v->n; i++) { /* null counts as False; value slots of nulls are 0 */
        uint8_t a = x.values.b8[i] && ddf_column_is_valid(&x, i);
        uint8_t b = y.values.b8[i] && ddf_column_is_valid(&y, i);
        c->values.b8[i] = is_and ? (a & b) : (a | b);
    }
    return DDF_OK;
}

static int eval_unary(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column x;
    int rc;

    if ((rc = eval_as(v, e->args[0], e->dtype, &x)) < 0 || (rc = mk(v, e, e->dtype, c)) < 0)
        return rc;
    c->validity = x.validity;
    c->null_count = x.null_count;
    for (size_t i = 0; i < v->n; i++) {
        switch (e->op) {
        case DDF_EXPR_OP_NOT:
        case DDF_EXPR_OP_INVERT:
            c->values.b8[i] = ddf_column_is_valid(&x, i) ? !x.values.b8[i] : 0;
            break;
        case DDF_EXPR_OP_NEG:
            if (e->dtype == DDF_DTYPE_INT64)
                c->values.i64[i] = (int64_t)(0 - (uint64_t)x.values.i64[i]);
            else
                c->values.f64[i] = ddf_column_is_valid(&x, i) ? -x.values.f64[i] : 0.0;
            break;
        default:
            c->values.i64[i] = x.values.i64[i];
            break; /* POS */
        }
    }
    return DDF_OK;
}

/* ---- isin: an open-addressing hash set of the literal list ---- */

typedef struct lset {
    ddf_dtype kind; /* INT64 (bool/int operand), FLOAT64 or STRING */
    size_t mask;    /* slots - 1 */
    uint8_t *used;
    int64_t *ikey; /* INT64 keys; FLOAT64 keys as normalized bits */
    const char **skey;
    size_t *slen;
    bool has_null; /* None in the list */
} lset;

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* A few loads per string instead of a byte-wise loop (byte-wise FNV cost isin about a
 * hundred instructions a row on short labels such as regions): 8-byte words, the last
 * one overlapping the one before; under 8 bytes two overlapping 4-byte loads, under 4
 * three bytes (wyhash's reads). Never reads past the string; the length is in the seed. */
static uint64_t shash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ n, w = 0;
    uint32_t lo, hi;

    if (n >= 8) {
        for (; n > 8; s += 8, n -= 8) {
            memcpy(&w, s, 8);
            h = mix(h ^ w);
        }
        memcpy(&w, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        w = (uint64_t)lo | (uint64_t)hi << 32;
    } else if (n > 0) {
        w = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[n / 2] << 8 |
            (uint64_t)(uint8_t)s[n - 1] << 16;
    }
    return mix(h ^ w);
}

static int64_t fkey(double d)
{
    int64_t k;
    if (d == 0.0) d = 0.0; /* -0.0 == 0.0 */
    memcpy(&k, &d, 8);
    return k;
}

/* Find or insert; returns whether found. */
static bool lset_probe(lset *s, int64_t ik, const char *sk, size_t sl, bool insert)
{
    uint64_t h = s->kind == DDF_DTYPE_STRING ? shash(sk, sl) : mix((uint64_t)ik);
    for (size_t p = h & s->mask;; p = (p + 1) & s->mask) {
        if (!s->used[p]) {
            if (insert) {
                s->used[p] = 1;
                s->ikey[p] = ik;
                s->skey[p] = sk;
                s->slen[p] = sl;
            }
            return false;
        }
        if (s->kind == DDF_DTYPE_STRING ? (s->slen[p] == sl && memcmp(s->skey[p], sk, sl) == 0)
                                        : s->ikey[p] == ik)
            return true;
    }
}

/* The numeric value of a literal (INT, FLOAT, BOOL, or minus one of them). */
static void lit_num(const ddf_expr *e, bool *is_int, int64_t *i, double *f)
{
    bool neg = false;
    if (e->kind == DDF_EXPR_UNARY) {
        neg = e->op == DDF_EXPR_OP_NEG;
        e = e->args[0];
    }
    *is_int = e->kind != DDF_EXPR_FLOAT;
    *i = e->kind == DDF_EXPR_BOOL ? e->b : e->i;
    *f = e->kind == DDF_EXPR_FLOAT ? e->f : (double)*i;
    if (neg) {
        *i = (int64_t)(0 - (uint64_t)*i);
        *f = -*f;
    }
}

/* isin over a dictionary column (column.h): each entry probed once, then a row's answer
 * is its code's; a region column of 8 entries costs 8 probes instead of one a row. */
static int isin_dict(ev *v, const ddf_expr *e, lset *s, const ddf_column *col, ddf_column *c)
{
    uint8_t *entry_in = ddf_arena_alloc(v->a, col->dict_length ? col->dict_length : 1);
    const uint8_t null_in = (uint8_t)(s->has_null != e->negated);

    if (entry_in == NULL) return oom(v, e);
    for (size_t k = 0; k < col->dict_length; k++) {
        size_t len = (size_t)(col->values.offsets[k + 1] - col->values.offsets[k]);

        entry_in[k] = (uint8_t)(lset_probe(s, 0, col->bytes + col->values.offsets[k], len,
                                           false) != e->negated);
    }
    if (col->validity == NULL || col->null_count == 0) {
        for (size_t i = 0; i < v->n; i++) c->values.b8[i] = entry_in[col->codes[i]];
    } else {
        for (size_t i = 0; i < v->n; i++)
            c->values.b8[i] = ddf_column_is_valid(col, i) ? entry_in[col->codes[i]] : null_in;
    }
    return DDF_OK;
}

static int eval_isin(ev *v, const ddf_expr *e, ddf_column *c)
{
    const ddf_expr *x = e->args[0];
    ddf_column col;
    lset s = {0};
    size_t m = e->nargs - 1, slots = 16;
    int rc;

    s.kind = x->dtype == DDF_DTYPE_STRING    ? DDF_DTYPE_STRING
             : x->dtype == DDF_DTYPE_FLOAT64 ? DDF_DTYPE_FLOAT64
                                             : DDF_DTYPE_INT64;
    while (slots < 2 * m)
        slots *= 2;
    s.mask = slots - 1;
    s.used = ddf_arena_calloc(v->a, slots, 1);
    s.ikey = ddf_arena_calloc(v->a, slots, sizeof(*s.ikey));
    s.skey = ddf_arena_calloc(v->a, slots, sizeof(*s.skey));
    s.slen = ddf_arena_calloc(v->a, slots, sizeof(*s.slen));
    if (!s.used || !s.ikey || !s.skey || !s.slen) return oom(v, e);
    for (size_t k = 1; k < e->nargs; k++) {
        const ddf_expr *l = e->args[k];
        bool is_int;
        int64_t iv;
        double fv;
        if (l->kind == DDF_EXPR_NULL) {
            s.has_null = true;
            continue;
        }
        if (s.kind == DDF_DTYPE_STRING) {
            if (l->kind == DDF_EXPR_STRING) lset_probe(&s, 0, l->s, l->slen, true);
            continue;
        }
        if (l->kind == DDF_EXPR_STRING) continue;
        lit_num(l, &is_int, &iv, &fv);
        if (s.kind == DDF_DTYPE_FLOAT64) {
            if (!isnan(fv)) lset_probe(&s, fkey(fv), NULL, 0, true);
        } else if (is_int) {
            lset_probe(&s, iv, NULL, 0, true);
        } else if (fv == floor(fv) && fv >= -9223372036854775808.0 && fv < 9223372036854775808.0) {
            lset_probe(&s, (int64_t)fv, NULL, 0, true); /* 3 in [3.0] */
        }
    }
    if (x->dtype == DDF_DTYPE_NULL) {
        if ((rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0) return rc;
        memset(c->values.b8, s.has_null != e->negated, v->n);
        return DDF_OK;
    }
    if ((rc = eval_as(v, x, s.kind, &col)) < 0 || (rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0) return rc;
    if (ddf_column_is_dict(&col))
        return isin_dict(v, e, &s, &col, c);
    for (size_t i = 0; i < v->n; i++) {
        bool in;
        if (!ddf_column_is_valid(&col, i)) {
            in = s.has_null;
        } else if (s.kind == DDF_DTYPE_STRING) {
            size_t len;
            const char *str = ddf_column_str(&col, i, &len);
            in = lset_probe(&s, 0, str, len, false);
        } else if (s.kind == DDF_DTYPE_FLOAT64) {
            in = !isnan(col.values.f64[i]) &&
                 lset_probe(&s, fkey(col.values.f64[i]), NULL, 0, false);
        } else {
            in = lset_probe(&s, col.values.i64[i], NULL, 0, false);
        }
        c->values.b8[i] = (uint8_t)(in != e->negated);
    }
    return DDF_OK;
}

/* ---- functions ---- */

/* Whether row i of 'c' is missing in pandas' sense: null, or NaN in a float column. */
static bool missing(const ddf_column *c, size_t i)
{
    return !ddf_column_is_valid(c, i) || (c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[i]));
}

/* numpy round of a float to 'nd' decimals: scale, rint (half to even), unscale. */
static double round_f(double x, int64_t nd)
{
    if (nd >= 0) {
        double f = pow(10.0, (double)(nd > 400 ? 400 : nd));
        double y = x * f;
        return isinf(f) || isinf(y) ? x : rint(y) / f;
    }
    double f = pow(10.0, (double)(-nd > 400 ? 400 : -nd));
    return rint(x / f) * f;
}

/* Round an int to -nd (> 0) decimal places, half to even on the integer. */
static int64_t round_i(int64_t a, int64_t nd)
{
    uint64_t p = 1, ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a, q, r;

    if (nd >= 0) return a;
    for (int64_t k = 0; k < -nd; k++) {
        if (p > UINT64_MAX / 10) return 0;
        p *= 10;
    }
    q = ua / p;
    r = ua % p;
    if (r > p - r || (r == p - r && (q & 1))) q++;
    q *= p;
    return (int64_t)(a < 0 ? 0 - q : q);
}

static int64_t lit_int(const ddf_expr *e)
{
    bool is_int;
    int64_t i;
    double f;
    lit_num(e, &is_int, &i, &f);
    return i;
}

static int eval_math(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column x;
    ddf_dtype in = e->dtype == DDF_DTYPE_INT64 ? DDF_DTYPE_INT64 : DDF_DTYPE_FLOAT64;
    int64_t nd = e->func == DDF_EXPR_FN_ROUND && e->nargs == 2 ? lit_int(e->args[1]) : 0;
    int rc;

    if ((rc = eval_as(v, e->args[0], in, &x)) < 0 || (rc = mk(v, e, e->dtype, c)) < 0) return rc;
    c->validity = x.validity;
    c->null_count = x.null_count;
    for (size_t i = 0; i < v->n; i++) {
        if (in == DDF_DTYPE_INT64) {
            int64_t a = x.values.i64[i];
            if (e->func == DDF_EXPR_FN_ABS)
                c->values.i64[i] = a < 0 ? (int64_t)(0 - (uint64_t)a) : a;
            else
                c->values.i64[i] = round_i(a, nd);
            continue;
        }
        double a = x.values.f64[i], r;
        switch (e->func) {
        case DDF_EXPR_FN_ABS:
            r = fabs(a);
            break;
        case DDF_EXPR_FN_ROUND:
            r = round_f(a, nd);
            break;
        case DDF_EXPR_FN_FLOOR:
            r = floor(a);
            break;
        case DDF_EXPR_FN_CEIL:
            r = ceil(a);
            break;
        case DDF_EXPR_FN_SQRT:
            r = sqrt(a);
            break;
        case DDF_EXPR_FN_EXP:
            r = exp(a);
            break;
        case DDF_EXPR_FN_LOG:
            r = log(a);
            break;
        default:
            r = log10(a);
            break;
        }
        c->values.f64[i] = ddf_column_is_valid(&x, i) ? r : 0.0;
    }
    return DDF_OK;
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((uint8_t)s[i] & 0xc0) != 0x80;
    return k;
}

/* Byte offset of code point 'cp' in s[0..n) (n when past the end). */
static size_t utf8_at(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    for (; i < n; i++)
        if (((uint8_t)s[i] & 0xc0) != 0x80 && cp-- == 0) return i;
    return n;
}

static bool is_ws(char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0) return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0) return h + i;
    return NULL;
}

/* String functions. 'x' is the string operand; results follow the opening comment. */
static int eval_strfn(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column x, st = {0}, ln = {0};
    size_t blen = 0;
    int rc;

    if ((rc = eval_as(v, e->args[0], DDF_DTYPE_STRING, &x)) < 0 ||
        (rc = mk(v, e, e->dtype, c)) < 0 || (rc = and_validity(v, e, c, &x, NULL)) < 0)
        return rc;
    if (e->func == DDF_EXPR_FN_SUBSTR) {
        if ((rc = eval_as(v, e->args[1], DDF_DTYPE_INT64, &st)) < 0 ||
            (rc = and_validity(v, e, c, &st, NULL)) < 0)
            return rc;
        if (e->nargs == 3 && ((rc = eval_as(v, e->args[2], DDF_DTYPE_INT64, &ln)) < 0 ||
                              (rc = and_validity(v, e, c, &ln, NULL)) < 0))
            return rc;
    }
    const ddf_expr *p1 = e->nargs > 1 ? e->args[1] : NULL, *p2 = e->nargs > 2 ? e->args[2] : NULL;
    for (size_t i = 0; i < v->n; i++) {
        size_t n;
        const char *s = ddf_column_str(&x, i, &n);
        bool ok = ddf_column_is_valid(c, i);
        switch (e->func) {
        case DDF_EXPR_FN_LEN:
            c->values.i64[i] = ok ? (int64_t)utf8_len(s, n) : 0;
            continue;
        case DDF_EXPR_FN_CONTAINS:
            c->values.b8[i] = ok && find_bytes(s, n, p1->s, p1->slen) != NULL;
            continue;
        case DDF_EXPR_FN_STARTSWITH:
            c->values.b8[i] = ok && n >= p1->slen && memcmp(s, p1->s, p1->slen) == 0;
            continue;
        case DDF_EXPR_FN_ENDSWITH:
            c->values.b8[i] = ok && n >= p1->slen && memcmp(s + n - p1->slen, p1->s, p1->slen) == 0;
            continue;
        default:
            break;
        }
        if (!ok) {
            s_end(c, i, blen);
            continue;
        }
        size_t start = blen;
        switch (e->func) {
        case DDF_EXPR_FN_LOWER:
        case DDF_EXPR_FN_UPPER:
            if ((rc = s_add(v, e, c, &blen, s, n)) < 0) return rc;
            for (size_t k = start; k < blen; k++) {
                char ch = c->bytes[k];
                if (e->func == DDF_EXPR_FN_LOWER && ch >= 'A' && ch <= 'Z')
                    c->bytes[k] = (char)(ch + 32);
                else if (e->func == DDF_EXPR_FN_UPPER && ch >= 'a' && ch <= 'z')
                    c->bytes[k] = (char)(ch - 32);
            }
            break;
        case DDF_EXPR_FN_STRIP: {
            size_t a = 0, b = n;
            while (a < b && is_ws(s[a]))
                a++;
            while (b > a && is_ws(s[b - 1]))
                b--;
            rc = s_add(v, e, c, &blen, s + a, b - a);
            break;
        }
        case DDF_EXPR_FN_REPLACE: {
            const char *q = s, *end = s + n, *hit;
            rc = DDF_OK;
            if (p1->slen == 0) { /* Python: '' matches before, between and after every
                                   code point: 'ab'.replace('', '-') == '-a-b-' */
                size_t k = 0;
                rc = s_add(v, e, c, &blen, p2->s, p2->slen);
                while (rc == DDF_OK && k < n) {
                    size_t cp = k + 1;
                    while (cp < n && ((uint8_t)s[cp] & 0xc0) == 0x80)
                        cp++;
                    if ((rc = s_add(v, e, c, &blen, s + k, cp - k)) == DDF_OK)
                        rc = s_add(v, e, c, &blen, p2->s, p2->slen);
                    k = cp;
                }
                break;
            }
            while (rc == DDF_OK && (hit = find_bytes(q, (size_t)(end - q), p1->s, p1->slen))) {
                if ((rc = s_add(v, e, c, &blen, q, (size_t)(hit - q))) == DDF_OK)
                    rc = s_add(v, e, c, &blen, p2->s, p2->slen);
                q = hit + p1->slen;
            }
            if (rc == DDF_OK) rc = s_add(v, e, c, &blen, q, (size_t)(end - q));
            break;
        }
        default: { /* SUBSTR: s[start:start+len] in code points */
            int64_t cps = (int64_t)utf8_len(s, n), a = st.values.i64[i], b;
            if (a < 0) a = a < -cps ? 0 : cps + a;
            if (a > cps) a = cps;
            if (e->nargs == 3)
                b = ln.values.i64[i] < 0
                        ? a
                        : (ln.values.i64[i] > cps - a ? cps : a + ln.values.i64[i]);
            else
                b = cps;
            size_t ba = utf8_at(s, n, (size_t)a), bb = utf8_at(s, n, (size_t)b);
            rc = s_add(v, e, c, &blen, s + ba, bb - ba);
            break;
        }
        }
        if (rc < 0) return rc;
        s_end(c, i, blen);
    }
    finish(c);
    return DDF_OK;
}

/* Copy row j of 'src' into row i of 'c' (same dtype), validity included. */
static int put_row(ev *v, const ddf_expr *e, ddf_column *c, size_t i, const ddf_column *src,
                   size_t *blen)
{
    int rc = DDF_OK;
    if (!ddf_column_is_valid(src, i)) clear_bit(c, i);
    switch (c->dtype) {
    case DDF_DTYPE_BOOL:
        c->values.b8[i] = src->values.b8[i];
        break;
    case DDF_DTYPE_STRING: {
        size_t n;
        const char *s = ddf_column_str(src, i, &n);
        if ((rc = s_add(v, e, c, blen, s, n)) == DDF_OK) s_end(c, i, *blen);
        break;
    }
    default:
        c->values.i64[i] = src->values.i64[i];
        break;
    }
    return rc;
}

static int eval_choose(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column cond, a, b;
    ddf_dtype dt = e->dtype == DDF_DTYPE_NULL ? DDF_DTYPE_FLOAT64 : e->dtype;
    bool is_if = e->func == DDF_EXPR_FN_IF_ELSE;
    size_t blen = 0;
    int rc;

    if ((is_if && (rc = eval_as(v, e->args[0], DDF_DTYPE_BOOL, &cond)) < 0) ||
        (rc = eval_as(v, e->args[is_if ? 1 : 0], dt, &a)) < 0 ||
        (rc = eval_as(v, e->args[is_if ? 2 : 1], dt, &b)) < 0 || (rc = mk(v, e, dt, c)) < 0 ||
        (rc = need_validity(v, e, c)) < 0)
        return rc;
    for (size_t i = 0; i < v->n; i++) {
        bool first = is_if ? ddf_column_is_valid(&cond, i) && cond.values.b8[i] : !missing(&a, i);
        if ((rc = put_row(v, e, c, i, first ? &a : &b, &blen)) < 0) return rc;
    }
    finish(c);
    return DDF_OK;
}

static int eval_isnull(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_column x;
    bool want = e->func == DDF_EXPR_FN_ISNULL;
    int rc;

    if ((rc = mk(v, e, DDF_DTYPE_BOOL, c)) < 0) return rc;
    if (e->args[0]->dtype == DDF_DTYPE_NULL) {
        memset(c->values.b8, want, v->n);
        return DDF_OK;
    }
    if ((rc = eval(v, e->args[0], &x)) < 0) return rc;
    for (size_t i = 0; i < v->n; i++)
        c->values.b8[i] = missing(&x, i) == want;
    return DDF_OK;
}

/* Python's str(float): shortest digits that read back to 'd'; fixed notation for decimal
 * exponents -4 <= e < 16, else d.ddde+XX. 'buf' holds at least 40 bytes. */
/* Whether m * 10^e10 reads back as 'ad'. */
static bool reads_back(uint64_t m, int e10, double ad)
{
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%llue%d", (unsigned long long)m, e10);
    return strtod(tmp, NULL) == ad;
}

/* Shortest decimal digits of 'ad' (> 0, finite) that read back to it, the closest to it
 * when several of that length do (as Python's repr): into 'dig' (no NUL), returns their
 * count and sets *ex, the decimal exponent of the first digit. At each length the
 * correctly rounded digits may miss while a neighbour reads back: 2^-24 is
 * 5.9604644775390625e-08, whose 16 digits are 5.960464477539063e-08, not ...062 (found
 * by expr_vs_pandas). */
static int shortest_digits(double ad, char *dig, int *ex)
{
    char tmp[40];
    uint64_t m = 0, got = 0;
    int p, e10 = 0;

    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, ad); /* d.ddde+XX, correctly rounded */
        const char *t = tmp;
        for (m = 0; *t != 'e'; t++)
            if (*t != '.') m = m * 10 + (uint64_t)(*t - '0');
        e10 = atoi(t + 1) - (p - 1); /* ad ~ m * 10^e10 */
        if (reads_back(m, e10, ad)) {
            got = m;
            break;
        }
        if (reads_back(m + 1, e10, ad)) {
            got = m + 1;
            break;
        }
        if (m > 1 && reads_back(m - 1, e10, ad)) {
            got = m - 1;
            break;
        }
    }
    if (!got) got = m; /* 17 correctly rounded digits always read back */
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)got);
    int nd = (int)strlen(tmp);
    memcpy(dig, tmp, (size_t)nd);
    *ex = e10 + nd - 1;
    return nd;
}

static size_t fmt_float(double d, char *buf)
{
    char dig[24];
    int nd, ex;
    char *o = buf;

    if (isnan(d)) return (size_t)sprintf(buf, "nan");
    if (isinf(d)) return (size_t)sprintf(buf, d < 0 ? "-inf" : "inf");
    if (signbit(d)) *o++ = '-';
    if (d == 0.0) {
        dig[0] = '0';
        nd = 1;
        ex = 0;
    } else {
        nd = shortest_digits(fabs(d), dig, &ex);
    }
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    if (ex >= -4 && ex < 16) {
        if (ex < 0) {
            o += sprintf(o, "0.");
            for (int k = 0; k < -ex - 1; k++)
                *o++ = '0';
            memcpy(o, dig, (size_t)nd);
            o += nd;
        } else {
            for (int k = 0; k <= ex; k++)
                *o++ = k < nd ? dig[k] : '0';
            *o++ = '.';
            if (nd > ex + 1) {
                memcpy(o, dig + ex + 1, (size_t)(nd - ex - 1));
                o += nd - ex - 1;
            } else {
                *o++ = '0';
            }
        }
    } else {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
    *o = '\0';
    return (size_t)(o - buf);
}

/* Whether s[0..n) is Python's float('nan') spelling: nan with any case and an optional
 * sign ("inf" and "infinity" ddf_parse_f64 reads itself). */
static bool is_nan_text(const char *s, size_t n)
{
    if (n == 4 && (s[0] == '+' || s[0] == '-')) {
        s++;
        n--;
    }
    return n == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n';
}

/* astype from string, as Series.astype calls int()/float()/bool() on each value: see the
 * opening comment. A value that does not parse fails the whole evaluation with
 * DDF_EINVAL naming the value and its row of the input table. */
static int astype_from_string(ev *v, const ddf_expr *e, ddf_column *c)
{
    ddf_dtype to = e->dtype;
    ddf_column x;
    int rc;

    if ((rc = eval(v, e->args[0], &x)) < 0 || (rc = mk(v, e, to, c)) < 0) return rc;
    c->validity = x.validity;
    c->null_count = x.null_count;
    for (size_t i = 0; i < v->n; i++) {
        size_t n, a = 0;
        const char *s = ddf_column_str(&x, i, &n);
        bool ok;

        if (!ddf_column_is_valid(&x, i)) { /* null stays null (slot 0) */
            if (to == DDF_DTYPE_BOOL)
                c->values.b8[i] = 0;
            else
                c->values.i64[i] = 0;
            continue;
        }
        if (to == DDF_DTYPE_BOOL) { /* bool(str): non-empty is True, "False" included */
            c->values.b8[i] = n > 0;
            continue;
        }
        while (a < n && is_ws(s[a])) /* int() and float() strip whitespace */
            a++;
        while (n > a && is_ws(s[n - 1]))
            n--;
        if (to == DDF_DTYPE_INT64) {
            ok = n > a && ddf_parse_i64(s + a, n - a, &c->values.i64[i]);
        } else if (is_nan_text(s + a, n - a)) {
            c->values.f64[i] = NAN;
            ok = true;
        } else {
            ok = n > a && ddf_parse_f64(s + a, n - a, &c->values.f64[i]);
        }
        if (!ok) {
            size_t len;
            const char *val = ddf_column_str(&x, i, &len);
            int shown = (int)(len > 40 ? 40 : len);
            ddf_error_setf(v->err, DDF_EINVAL, "astype('%s'): cannot convert '%.*s'%s at row %zu",
                           ddf_dtype_name(to), shown, val, len > 40 ? "..." : "",
                           v->sel ? (size_t)v->sel[i] : i);
            if (v->err) v->err->offset = (int64_t)e->offset;
            return DDF_EINVAL;
        }
    }
    return DDF_OK;
}

static int eval_astype(ev *v, const ddf_expr *e, ddf_column *c)
{
    const ddf_expr *a = e->args[0];
    ddf_dtype to = e->dtype, from = a->dtype;
    ddf_column x;
    size_t blen = 0;
    int rc;

    if (from == DDF_DTYPE_NULL) return all_null(v, e, to, c);
    if (from == to || (to != DDF_DTYPE_STRING && to != DDF_DTYPE_BOOL && from < to))
        return eval_as(v, a, to, c); /* bool -> int64 -> float64: widening */
    if (from == DDF_DTYPE_STRING)
        return astype_from_string(v, e, c);
    if ((rc = eval(v, a, &x)) < 0 || (rc = mk(v, e, to, c)) < 0) return rc;
    c->validity = x.validity;
    c->null_count = x.null_count;
    for (size_t i = 0; i < v->n; i++) {
        bool ok = ddf_column_is_valid(&x, i);
        if (to == DDF_DTYPE_STRING) {
            char buf[48];
            size_t n = 0;
            if (ok && from == DDF_DTYPE_BOOL)
                n = (size_t)sprintf(buf, "%s", x.values.b8[i] ? "True" : "False");
            else if (ok && from == DDF_DTYPE_INT64)
                n = (size_t)sprintf(buf, "%lld", (long long)x.values.i64[i]);
            else if (ok)
                n = fmt_float(x.values.f64[i], buf);
            if ((rc = s_add(v, e, c, &blen, buf, n)) < 0) return rc;
            s_end(c, i, blen);
        } else if (to == DDF_DTYPE_BOOL) {
            c->values.b8[i] =
                from == DDF_DTYPE_INT64 ? x.values.i64[i] != 0 : x.values.f64[i] != 0.0;
        } else { /* float64 -> int64 */
            double d = x.values.f64[i];
            /* [-2^63, 2^63): -2^63 is INT64_MIN exactly, 2^63 is out */
            if (ok && !(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
                return fail(v, e, DDF_ERANGE,
                            "astype('int64') of a non-finite or out-of-range value");
            c->values.i64[i] = ok ? (int64_t)d : 0;
        }
    }
    return DDF_OK;
}

static int eval_call(ev *v, const ddf_expr *e, ddf_column *c)
{
    switch (e->func) {
    case DDF_EXPR_FN_ABS:
    case DDF_EXPR_FN_ROUND:
    case DDF_EXPR_FN_FLOOR:
    case DDF_EXPR_FN_CEIL:
    case DDF_EXPR_FN_SQRT:
    case DDF_EXPR_FN_EXP:
    case DDF_EXPR_FN_LOG:
    case DDF_EXPR_FN_LOG10:
        return eval_math(v, e, c);
    case DDF_EXPR_FN_POW:
        return eval_arith(v, e, DDF_EXPR_OP_POW, e->args[0], e->args[1], false, c);
    case DDF_EXPR_FN_IF_ELSE:
    case DDF_EXPR_FN_FILLNA:
        return eval_choose(v, e, c);
    case DDF_EXPR_FN_ISNULL:
    case DDF_EXPR_FN_NOTNULL:
        return eval_isnull(v, e, c);
    case DDF_EXPR_FN_ASTYPE:
        return eval_astype(v, e, c);
    default:
        return eval_strfn(v, e, c);
    }
}

static int eval(ev *v, const ddf_expr *e, ddf_column *c)
{
    switch (e->kind) {
    case DDF_EXPR_COLUMN:
        return eval_column(v, e, c);
    case DDF_EXPR_UNARY:
        return eval_unary(v, e, c);
    case DDF_EXPR_CALL:
        return eval_call(v, e, c);
    case DDF_EXPR_ISIN:
        return eval_isin(v, e, c);
    case DDF_EXPR_BINARY:
        switch (e->op) {
        case DDF_EXPR_OP_EQ:
        case DDF_EXPR_OP_NE:
        case DDF_EXPR_OP_LT:
        case DDF_EXPR_OP_LE:
        case DDF_EXPR_OP_GT:
        case DDF_EXPR_OP_GE:
            return eval_compare(v, e, c);
        case DDF_EXPR_OP_AND:
        case DDF_EXPR_OP_OR:
        case DDF_EXPR_OP_BITAND:
        case DDF_EXPR_OP_BITOR:
            return eval_logic(v, e, c);
        default:
            return eval_arith(v, e, e->op, e->args[0], e->args[1], false, c);
        }
    default:
        return eval_literal(v, e, c);
    }
}

int ddf_eval(const ddf_expr *checked, const ddf_table *input, const uint32_t *sel, size_t nsel,
             ddf_arena *scratch, ddf_column *out, ddf_error *err)
{
    ev v = {input, sel, sel ? nsel : input->nrows, scratch, err};
    int rc;

    ddf_column_init(out, DDF_DTYPE_FLOAT64);
    for (size_t i = 0; sel && i < nsel; i++)
        if (sel[i] >= input->nrows)
            return fail(&v, NULL, DDF_EINVAL, "selection names a row past the table's end");
    if (checked->dtype == DDF_DTYPE_NULL)
        rc = all_null(&v, checked, DDF_DTYPE_FLOAT64, out);
    else
        rc = eval(&v, checked, out);
    if (rc < 0) ddf_column_init(out, DDF_DTYPE_FLOAT64);
    return rc;
}

int ddf_eval_fold(const ddf_expr *checked, const ddf_table *input, ddf_arena *scratch,
                  ddf_eval_fold_fn fn, void *ctx, ddf_error *err)
{
    ev v = {input, NULL, input->nrows, scratch, err};
    ddf_f64_chain chain;
    ddf_column c;
    double *buf;
    int rc;

    if (!f64_arith(checked)) {
        if ((rc = ddf_eval(checked, input, NULL, 0, scratch, &c, err)) < 0)
            return rc;
        return fn(ctx, &c, 0, err);
    }
    if ((rc = chain_terms(&v, checked, &chain, &c)) < 0)
        return rc;
    buf = ddf_arena_alloc(scratch, DDF_EVAL_FOLD_ROWS * sizeof(double));
    if (buf == NULL)
        return oom(&v, checked);
    for (size_t start = 0; start < v.n; start += DDF_EVAL_FOLD_ROWS) {
        size_t n = v.n - start < DDF_EVAL_FOLD_ROWS ? v.n - start : DDF_EVAL_FOLD_ROWS;
        ddf_column block = c;

        ddf_f64_chain_run(&chain, start, n, buf);
        block.length = block.capacity = n;
        block.values.f64 = buf;
        block.validity = c.validity ? c.validity + start / 8 : NULL;
        block.null_count = block.validity ? n - ddf_bitmap_count(block.validity, n) : 0;
        if ((rc = fn(ctx, &block, start, err)) != 0)
            return rc;
    }
    return DDF_OK;
}

int ddf_eval_sum_lanes(const ddf_expr *checked, const ddf_table *input, ddf_arena *scratch,
                       double sum[4], double comp[4], uint64_t *count, ddf_error *err)
{
    ev v = {input, NULL, input->nrows, scratch, err};
    ddf_f64_chain chain;
    ddf_column c;
    int rc;

    if (!f64_arith(checked) || input->nrows % 4 != 0)
        return 1;
    if ((rc = chain_terms(&v, checked, &chain, &c)) < 0)
        return rc;
    *count += ddf_f64_chain_sum(&chain, 0, v.n, c.validity, sum, comp);
    return DDF_OK;
}

int ddf_eval_filter(const ddf_expr *pred, const ddf_table *input, const uint32_t *sel, size_t nsel,
                    ddf_arena *scratch, uint32_t **out_sel, size_t *out_n, ddf_error *err)
{
    ddf_column c;
    uint32_t *o;
    size_t k = 0;
    int rc;

    *out_sel = NULL;
    *out_n = 0;
    if (pred->dtype != DDF_DTYPE_BOOL && pred->dtype != DDF_DTYPE_NULL) {
        ddf_error_setf(err, DDF_EINVAL, "filter expression must be bool, not %s",
                       ddf_dtype_name(pred->dtype));
        if (err) err->offset = (int64_t)pred->offset;
        return DDF_EINVAL;
    }
    if ((rc = ddf_eval(pred, input, sel, nsel, scratch, &c, err)) < 0) return rc;
    o = ddf_arena_alloc(scratch, (c.length ? c.length : 1) * sizeof(*o));
    if (!o) {
        ddf_error_setf(err, DDF_ENOMEM, "out of memory evaluating expression");
        return DDF_ENOMEM;
    }
    /* branch-free when nothing is null and no selection maps the rows: a row is written
     * always and kept by advancing, so a filter keeping half the rows costs no
     * mispredicted branch a row */
    if (c.dtype == DDF_DTYPE_BOOL && c.validity == NULL && sel == NULL) {
        for (size_t i = 0; i < c.length; i++) {
            o[k] = (uint32_t)i;
            k += c.values.b8[i] != 0;
        }
    } else if (c.dtype == DDF_DTYPE_BOOL) {
        for (size_t i = 0; i < c.length; i++)
            if (c.values.b8[i] && ddf_column_is_valid(&c, i)) o[k++] = sel ? sel[i] : (uint32_t)i;
    }
    *out_sel = o;
    *out_n = k;
    return DDF_OK;
}
