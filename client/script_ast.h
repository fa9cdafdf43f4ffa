/* script_ast.h - the syntax tree of a ddf script (DESIGN §6), the contract between the
 * parser (script_parse.c) and the evaluator.
 *
 * A script is the Python/pandas subset a Dask user already writes. The parser turns its text
 * into a ddf_script_program: an array of statements whose expressions are trees of
 * ddf_script_expr. The tree says only what the text says (no names resolved, no constants
 * folded beyond a literal's own spelling); what a name or a method means is the evaluator's
 * business, and so is refusing a well-formed construct it does not run (an import of an
 * unknown module, an 'is' on a frame, ...).
 *
 * Places. Every node records where its text is: 'pos' is the node's first byte (1-based line,
 * 1-based column counted in bytes, 0-based byte offset into the source) and 'len' the bytes
 * of its text, so [pos.offset, pos.offset + len) is the node's source span. A parenthesized
 * expression's node spans the inside of the parentheses (as Python's ast does); a node built
 * around it (a binary operator, a call, a tuple written with parentheses) spans them too.
 * Operator nodes also record 'op_pos', the operator token ('+', 'not in', '.', the '(' of a
 * call, the '[' of a subscript), which is the better place to point at when the operation
 * fails (a type error in 'a + b').
 *
 * Ownership. Every node, array and string is allocated in the arena given to
 * ddf_script_parse and is borrowed until that arena is reset or freed. Strings (names,
 * attributes, decoded literals) are NUL-terminated copies and also carry their length (a
 * string literal may hold NUL bytes).
 *
 * Bounds the evaluator may rely on: no expression tree is deeper than DDF_SCRIPT_MAX_DEPTH
 * (counting every node, so a left-assoc chain 'a+a+a+...' counts each '+'), and 'for' loops
 * nest at most DDF_SCRIPT_MAX_DEPTH deep, so a recursive walk cannot exhaust the stack. */
#ifndef DDF_SCRIPT_AST_H
#define DDF_SCRIPT_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits (checked before the memory they protect is taken) ---------------------------- */

/* Longest script text. A script is typed or generated for one analysis; 1 MiB is ~20,000
 * lines, and bounds the parser's memory (a few times this) on hostile input. */
#define DDF_SCRIPT_MAX_SOURCE_BYTES (1024u * 1024)

/* Longest single token (a name, a number, a string literal's source text): a query string
 * is bounded by the expression language's own limit of 64 KiB (DDF_MAX_EXPR_BYTES). */
#define DDF_SCRIPT_MAX_TOKEN_BYTES (64u * 1024)

/* Deepest expression tree, deepest recursion of the parser, deepest nesting of 'for'
 * blocks (indentation levels): bounds every recursive walk, the parser's and the
 * evaluator's, so hostile input cannot exhaust a thread's stack. Python's own limits are
 * close (100 indentation levels, 200 nested brackets). */
#define DDF_SCRIPT_MAX_DEPTH 100

/* Open brackets the tokenizer tracks at once; the parser's depth limit is met first. */
#define DDF_SCRIPT_MAX_BRACKETS (2 * DDF_SCRIPT_MAX_DEPTH)

/* Bytes of an error message, NUL included. */
#define DDF_SCRIPT_ERROR_BYTES 256

/* ---- places and errors ------------------------------------------------------------------- */

/* Where a piece of text starts. */
typedef struct ddf_script_pos {
    int line;      /* 1-based line; 0 = no place */
    int column;    /* 1-based, in bytes from the start of the line */
    size_t offset; /* 0-based byte offset into the source */
} ddf_script_pos;

/* Why parsing (and, later, evaluating) failed, and where. */
typedef struct ddf_script_error {
    int code;        /* DDF_OK, or DDF_EPARSE (syntax, unsupported construct), DDF_ETOOBIG
                      * (a limit above), DDF_ENOMEM, DDF_EINVAL (bad arguments) */
    int line;        /* 1-based; 0 when there is no place (out of memory) */
    int column;      /* 1-based, bytes */
    size_t offset;   /* byte offset into the source */
    bool incomplete; /* the text is a valid beginning that ended too early: a REPL should
                      * read another line and parse again (see script_parse.h) */
    char message[DDF_SCRIPT_ERROR_BYTES]; /* always NUL-terminated, no trailing newline */
} ddf_script_error;

/* ---- expressions ------------------------------------------------------------------------- */

typedef enum ddf_script_expr_kind {
    DDF_SCRIPT_EXPR_NAME,      /* name.text: an identifier (never a keyword) */
    DDF_SCRIPT_EXPR_INT,       /* int_value: fits int64 (a minus sign folded into
                                * -9223372036854775808 only, as Python reads it) */
    DDF_SCRIPT_EXPR_FLOAT,     /* float_value (1e400 is inf, as in Python) */
    DDF_SCRIPT_EXPR_STRING,    /* string: escapes decoded, adjacent literals joined */
    DDF_SCRIPT_EXPR_BOOL,      /* bool_value: True / False */
    DDF_SCRIPT_EXPR_NONE,      /* None */
    DDF_SCRIPT_EXPR_LIST,      /* seq: [a, b] */
    DDF_SCRIPT_EXPR_TUPLE,     /* seq: (a, b), (a,), (), and bare 'a, b' where Python allows
                                * it: the right of '=', an expression statement, the
                                * target and iterable of 'for', a subscript 'a[1, 2]' */
    DDF_SCRIPT_EXPR_DICT,      /* dict: {k: v, ...}, keys in source order, duplicates kept */
    DDF_SCRIPT_EXPR_UNARY,     /* unary: - + ~ not */
    DDF_SCRIPT_EXPR_BINARY,    /* binary: + - * / // % ** & | ^ */
    DDF_SCRIPT_EXPR_BOOLOP,    /* binary: and / or (short-circuit in Python) */
    DDF_SCRIPT_EXPR_COMPARE,   /* binary: == != < <= > >= in, not in, is, is not; never
                                * chained ('a < b < c' is a parse error) */
    DDF_SCRIPT_EXPR_ATTRIBUTE, /* attribute: value.name */
    DDF_SCRIPT_EXPR_CALL,      /* call: func(args..., key=value...) */
    DDF_SCRIPT_EXPR_SUBSCRIPT, /* subscript: value[index] */
    DDF_SCRIPT_EXPR_LAMBDA,    /* lambda: lambda p1, p2: body */
    DDF_SCRIPT_EXPR_IFEXP,     /* ifexp: body if test else orelse (Python's conditional
                                * expression; op_pos is the 'if') */
} ddf_script_expr_kind;

/* Operators, with their Python spelling in ddf_script_op_text(). Left-assoc except POW. */
#define DDF_SCRIPT_OP_MAP(X)                                                                \
    X(NONE, "?")                                                                            \
    /* unary */                                                                             \
    X(NEG, "-") X(POS, "+") X(INVERT, "~") X(NOT, "not")                                    \
    /* binary */                                                                            \
    X(ADD, "+") X(SUB, "-") X(MUL, "*") X(DIV, "/") X(FLOORDIV, "//") X(MOD, "%")           \
    X(POW, "**") X(BITAND, "&") X(BITOR, "|") X(BITXOR, "^")                                \
    /* boolean */                                                                           \
    X(AND, "and") X(OR, "or")                                                               \
    /* comparison */                                                                        \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") X(IN, "in")       \
    X(NOT_IN, "not in") X(IS, "is") X(IS_NOT, "is not")

typedef enum ddf_script_op {
#define DDF_SCRIPT_OP_ENUM(name, text) DDF_SCRIPT_OP_##name,
    DDF_SCRIPT_OP_MAP(DDF_SCRIPT_OP_ENUM)
#undef DDF_SCRIPT_OP_ENUM
        DDF_SCRIPT_OP_COUNT
} ddf_script_op;

typedef struct ddf_script_expr ddf_script_expr;

/* key=value in a call. */
typedef struct ddf_script_keyword {
    const char *name;       /* NUL-terminated; unique within one call */
    size_t name_len;
    ddf_script_pos pos;     /* the name */
    ddf_script_expr *value;
} ddf_script_keyword;

/* A lambda parameter. */
typedef struct ddf_script_param {
    const char *name; /* NUL-terminated; unique within one lambda */
    size_t name_len;
    ddf_script_pos pos;
} ddf_script_param;

struct ddf_script_expr {
    ddf_script_expr_kind kind;
    ddf_script_pos pos;    /* first byte of the node's text */
    size_t len;            /* bytes of the node's text */
    ddf_script_pos op_pos; /* the operator token (see the top of this file); 'pos' for
                            * nodes that have none */
    unsigned depth;        /* 1 for a leaf, 1 + the deepest child otherwise */
    union {
        struct {
            const char *text;
            size_t len;
        } name;                /* NAME */
        int64_t int_value;     /* INT */
        double float_value;    /* FLOAT */
        bool bool_value;       /* BOOL */
        struct {
            const char *bytes; /* decoded, NUL-terminated (may hold NULs: use len) */
            size_t len;
        } string;              /* STRING */
        struct {
            ddf_script_expr **items;
            size_t n;
        } seq;                 /* LIST, TUPLE */
        struct {
            ddf_script_expr **keys;
            ddf_script_expr **values;
            size_t n;
        } dict;                /* DICT */
        struct {
            ddf_script_op op;
            ddf_script_expr *operand;
        } unary;               /* UNARY */
        struct {
            ddf_script_op op;
            ddf_script_expr *left;
            ddf_script_expr *right;
        } binary;              /* BINARY, BOOLOP, COMPARE */
        struct {
            ddf_script_expr *value;
            const char *name;  /* NUL-terminated */
            size_t name_len;
            ddf_script_pos name_pos;
        } attribute;           /* ATTRIBUTE; op_pos is the '.' */
        struct {
            ddf_script_expr *func;
            ddf_script_expr **args;         /* positional, in order */
            size_t nargs;
            ddf_script_keyword *keywords;   /* after every positional one, in order */
            size_t nkeywords;
        } call;                /* CALL; op_pos is the '(' */
        struct {
            ddf_script_expr *value;
            ddf_script_expr *index; /* a TUPLE for a[1, 2]; never a slice */
        } subscript;           /* SUBSCRIPT; op_pos is the '[' */
        struct {
            ddf_script_param *params; /* at least one */
            size_t nparams;
            ddf_script_expr *body;
            ddf_script_pos body_pos;  /* the raw text after ':', from its first token ... */
            size_t body_len;          /* ... to the end of its last (parentheses included,
                                       * unlike body->pos/len for '(x + 1)') */
        } lambda;              /* LAMBDA; op_pos is the 'lambda' keyword */
        struct {
            ddf_script_expr *test;
            ddf_script_expr *body;   /* the value when 'test' is true */
            ddf_script_expr *orelse;
        } ifexp;               /* IFEXP */
    };
};

/* ---- statements -------------------------------------------------------------------------- */

typedef enum ddf_script_stmt_kind {
    DDF_SCRIPT_STMT_EXPR,   /* expr: an expression statement (a REPL prints its value) */
    DDF_SCRIPT_STMT_ASSIGN, /* assign: target = value */
    DDF_SCRIPT_STMT_FOR,    /* loop: for target in iter: body */
    DDF_SCRIPT_STMT_IMPORT, /* import: import a.b as c, d / from m import x as y, z */
    DDF_SCRIPT_STMT_PASS,   /* pass */
} ddf_script_stmt_kind;

/* One imported name: 'dask.dataframe as dd' has name "dask.dataframe", asname "dd". */
typedef struct ddf_script_alias {
    const char *name;       /* dotted, NUL-terminated, spaces removed ('a . b' is "a.b") */
    size_t name_len;
    ddf_script_pos pos;     /* the name's first part */
    const char *asname;     /* NUL-terminated, or NULL when there is no 'as' */
    size_t asname_len;
    ddf_script_pos as_pos;  /* the asname; unset when asname is NULL */
} ddf_script_alias;

typedef struct ddf_script_stmt ddf_script_stmt;

struct ddf_script_stmt {
    ddf_script_stmt_kind kind;
    ddf_script_pos pos; /* first byte of the statement */
    size_t len;         /* bytes up to the end of its last token (for a 'for', the end of
                         * its body's last statement); no ';', comment or newline */
    union {
        struct {
            ddf_script_expr *value;
        } expr;         /* EXPR */
        struct {
            ddf_script_expr *target; /* a NAME, a SUBSCRIPT (df["c"] = ...), or a TUPLE
                                      * of NAMEs (a, b = ...; its len counts parentheses) */
            ddf_script_expr *value;
            ddf_script_pos op_pos;   /* the '=' */
        } assign;       /* ASSIGN */
        struct {
            ddf_script_expr *target; /* a NAME, or a TUPLE of NAMEs: 'for a, b in' and
                                      * 'for (a, b) in' alike (never nested) */
            ddf_script_expr *iter;
            ddf_script_stmt **body;  /* at least one statement */
            size_t nbody;
        } loop;         /* FOR; pos is the 'for' keyword */
        struct {
            const char *module;      /* 'from module import ...': dotted, NUL-terminated;
                                      * NULL for 'import name, ...' */
            size_t module_len;
            ddf_script_pos module_pos;
            ddf_script_alias *names; /* at least one */
            size_t nnames;
        } import;       /* IMPORT */
    };
};

/* A parsed script: its top-level statements in order. */
typedef struct ddf_script_program {
    ddf_script_stmt **stmts;
    size_t nstmts;
    const char *source;  /* the text parsed (borrowed from the caller, not copied) */
    size_t source_len;
} ddf_script_program;

/* ---- text forms (script_dump.c) ---------------------------------------------------------- */

/* The Python spelling of 'op' ("not in"), or "?". */
const char *ddf_script_op_text(ddf_script_op op);

/* Write the tree as S-expressions into 'buf' of 'cap' bytes, always NUL-terminated when
 * cap > 0; return the length the whole text needs, as snprintf does. The forms:
 *     x  1  1.5  "s\n"  True  None        names and literals (strings C-escaped)
 *     (list a b)  (tuple a b)  (dict (k v) ...)
 *     (- x)  (not x)  (+ a b)  (and a b)  (not-in a b)  (is-not a b)
 *     (. value name)  ([] value index)  (call f a b (= key value))  (lambda (p q) body)
 *     (if test body orelse)
 *     (= target value)  (expr value)  (pass)  (for target iter stmt ...)
 *     (import (as a.b c) d)  (from m (as x y) z)
 * A program is its statements, one per line, each line ending in '\n'. */
size_t ddf_script_dump_expr(const ddf_script_expr *expr, char *buf, size_t cap);
size_t ddf_script_dump_stmt(const ddf_script_stmt *stmt, char *buf, size_t cap);
size_t ddf_script_dump_program(const ddf_script_program *program, char *buf, size_t cap);

/* Render an error at (line, column) of 'source' as three lines, each ending in '\n':
 *     <filename>:<line>:<column>: <message>        (this column counts characters)
 *         <the source line, tabs kept>
 *         <spaces up to column>^
 * with four spaces before the source line and before the caret line. 'column' counts bytes,
 * the caret line counts characters: a UTF-8 character before the caret is one space, and a
 * tab is copied as a tab so the caret stays under its byte in any tab width. A line past
 * the end of the source (an error at the end of input) shows as empty; a column past the
 * end of its line puts the caret just after the line. Without a place (line < 1) only
 * "<filename>: <message>\n" is written. 'filename' NULL is "<script>". Writes into 'buf'
 * of 'cap' bytes, always NUL-terminated when cap > 0; returns the length the whole text
 * needs, as snprintf does. */
size_t ddf_script_format_error(char *buf, size_t cap, const char *source, size_t source_len,
                               const char *filename, int line, int column,
                               const char *message);

#endif
