/* expr.h - the worker expression language: parse to an AST, type-check against a schema.
 *
 * Query strings, filters and lambdas (DESIGN §6) compile to this closed language; nothing
 * is ever evaluated as code. ddf_expr_parse turns text into a tree of ddf_expr nodes, all
 * allocated in a caller's arena and each carrying the byte offset of its text, so errors
 * can point at it with a caret. ddf_expr_check resolves column names against a schema and
 * computes every node's result dtype by pandas' rules before any data is touched.
 *
 * Grammar, loosest binding first (Python's, with pandas query's reading of & | ~):
 *     or, |            left-assoc   (| binds like 'or', as in DataFrame.query)
 *     and, &           left-assoc   (& binds like 'and')
 *     not, ~           prefix       (~ is logical not: operands must be bool)
 *     == != < <= > >= in, not in    non-associative: 'a < b < c' is rejected
 *     + -              left-assoc
 *     * / // %         left-assoc
 *     unary - +        prefix
 *     **               right-assoc; its left side is a primary, so -2**2 == -(2**2)
 *     primary          literal, name, `odd name`, f(args), ( expr )
 * 'x in [lit, ...]' takes a list of literals (a leading minus is allowed on numbers).
 * Integer literals must fit int64; the minus of -9223372036854775808 folds into the literal
 * (INT64_MIN, as Python reads it), except before '**', which binds tighter than the sign. */
#ifndef DDF_EXPR_H
#define DDF_EXPR_H

#include "arena.h"
#include "dtype.h"
#include "error.h"
#include "schema.h"

#include "limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


typedef enum ddf_expr_kind {
    DDF_EXPR_NULL,   /* None */
    DDF_EXPR_BOOL,   /* True / False: 'b' */
    DDF_EXPR_INT,    /* 'i' */
    DDF_EXPR_FLOAT,  /* 'f' */
    DDF_EXPR_STRING, /* 's', 'slen' (escapes decoded) */
    DDF_EXPR_COLUMN, /* 's', 'slen' = name; 'col' = schema index after checking */
    DDF_EXPR_UNARY,  /* 'op', args[0] */
    DDF_EXPR_BINARY, /* 'op', args[0], args[1] */
    DDF_EXPR_CALL,   /* 'func', args[0..nargs) */
    DDF_EXPR_ISIN,   /* args[0] in args[1..nargs) (all literals); 'negated' for 'not in' */
} ddf_expr_kind;

typedef enum ddf_expr_op {
    DDF_EXPR_OP_NONE,
    DDF_EXPR_OP_NEG,      /* -x */
    DDF_EXPR_OP_POS,      /* +x */
    DDF_EXPR_OP_NOT,      /* not x */
    DDF_EXPR_OP_INVERT,   /* ~x (logical not on bool) */
    DDF_EXPR_OP_ADD,
    DDF_EXPR_OP_SUB,
    DDF_EXPR_OP_MUL,
    DDF_EXPR_OP_DIV,      /* / : always float64 */
    DDF_EXPR_OP_FLOORDIV, /* // */
    DDF_EXPR_OP_MOD,      /* % */
    DDF_EXPR_OP_POW,      /* ** */
    DDF_EXPR_OP_EQ,
    DDF_EXPR_OP_NE,
    DDF_EXPR_OP_LT,
    DDF_EXPR_OP_LE,
    DDF_EXPR_OP_GT,
    DDF_EXPR_OP_GE,
    DDF_EXPR_OP_AND,      /* and */
    DDF_EXPR_OP_OR,       /* or */
    DDF_EXPR_OP_BITAND,   /* & (logical and on bool) */
    DDF_EXPR_OP_BITOR,    /* | (logical or on bool) */
} ddf_expr_op;

#define DDF_EXPR_FUNC_MAP(X)                                                              \
    X(ABS, "abs") X(ROUND, "round") X(FLOOR, "floor") X(CEIL, "ceil") X(SQRT, "sqrt")     \
    X(EXP, "exp") X(LOG, "log") X(LOG10, "log10") X(POW, "pow") X(LOWER, "lower")         \
    X(UPPER, "upper") X(LEN, "len") X(STRIP, "strip") X(CONTAINS, "contains")             \
    X(STARTSWITH, "startswith") X(ENDSWITH, "endswith") X(REPLACE, "replace")             \
    X(SUBSTR, "substr") X(IF_ELSE, "if_else") X(FILLNA, "fillna") X(ISNULL, "isnull")     \
    X(NOTNULL, "notnull") X(ASTYPE, "astype")

typedef enum ddf_expr_func {
#define DDF_EXPR_FUNC_ENUM(name, text) DDF_EXPR_FN_##name,
    DDF_EXPR_FUNC_MAP(DDF_EXPR_FUNC_ENUM)
#undef DDF_EXPR_FUNC_ENUM
    DDF_EXPR_FN_COUNT
} ddf_expr_func;

/* One node. Every pointer in it points into the arena given to ddf_expr_parse and is
 * borrowed until that arena is reset or freed. */
typedef struct ddf_expr {
    ddf_expr_kind kind;
    ddf_expr_op op;          /* UNARY, BINARY */
    ddf_expr_func func;      /* CALL */
    bool negated;            /* ISIN: 'not in' */
    bool b;                  /* BOOL */
    int64_t i;               /* INT */
    double f;                /* FLOAT */
    const char *s;           /* STRING value or COLUMN name, NUL-terminated, arena */
    size_t slen;             /* bytes in 's' (a string may hold NUL bytes) */
    long col;                /* COLUMN: schema index, -1 until checked */
    size_t offset;           /* byte offset of the node's token (operator, name, literal) */
    unsigned depth;          /* 1 for a leaf, 1 + deepest child otherwise */
    ddf_dtype dtype;         /* result type, set by ddf_expr_check (NULL for None) */
    size_t nargs;            /* children */
    struct ddf_expr **args;  /* nargs children, arena */
} ddf_expr;

/* Parse 'len' bytes of 'text' (need not be NUL-terminated) into a tree allocated from
 * 'arena'. Returns DDF_OK and *out, or a negative code (DDF_EPARSE, DDF_ETOOBIG, DDF_ENOMEM)
 * with *out NULL and err->offset at the offending byte; what was allocated stays in the
 * arena until the caller resets it. */
int ddf_expr_parse(const char *text, size_t len, ddf_arena *arena, ddf_expr **out,
                   ddf_error *err);

/* Resolve names and compute the dtype of every node of 'expr' against 'schema'. Returns
 * DDF_OK, or DDF_ETYPE with err->offset at the offending node. Allocates nothing. */
int ddf_expr_check(ddf_expr *expr, const ddf_schema *schema, ddf_error *err);

/* The function's name ("lower"), or "?". */
const char *ddf_expr_func_name(ddf_expr_func func);

/* Write 'expr' fully parenthesized ("(a + (b * c))") into 'buf' of 'cap' bytes, always
 * NUL-terminated when cap > 0. Returns the length the whole text needs, as snprintf. */
size_t ddf_expr_format(const ddf_expr *expr, char *buf, size_t cap);

/* Render err->msg, the line of 'text' holding err->offset and a caret under it:
 *     unknown column 'qyt' (did you mean 'qty'?)
 *       qyt > 5
 *       ^
 * into 'buf' as ddf_expr_format does. Without an offset only the message is written. */
size_t ddf_expr_render_error(const char *text, size_t len, const ddf_error *err, char *buf,
                             size_t cap);

#endif
