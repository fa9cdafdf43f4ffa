/* script_int.h - what the interpreter's files share: the values a script computes with, the
 * session that holds its variables, and how an error gets its script place.
 *
 * Values (sv) are reference counted, because one frame is commonly held by a variable, by
 * every series taken from it and by the group-bys over it. A frame value wraps one lazy
 * libddf frame; a series is a worker expression over the columns of one frame value (the
 * text the worker expression language reads, common/expr.h), so a whole chain such as
 * `(sales.price * sales.qty).round(1)` costs nothing until an action runs it; a result is
 * a table already computed (a head, a group-by, describe). */
#ifndef DDF_SCRIPT_INT_H
#define DDF_SCRIPT_INT_H

#include "script_eval.h"

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sv_kind {
    SV_NONE,
    SV_BOOL,
    SV_INT,
    SV_FLOAT,
    SV_STR,
    SV_LIST,     /* also tuples: 'tuple' says which */
    SV_DICT,
    SV_FRAME,    /* a lazy libddf frame */
    SV_SERIES,   /* an expression over one frame's columns */
    SV_GROUPBY,  /* frame.groupby(keys)[columns] */
    SV_RESULT,   /* a computed table: a frame, or a series with its index */
    SV_SORTED,   /* frame.sort_values(...): sorted when shown, a top-k when cut by head */
    SV_LAMBDA,
    SV_MODULE,   /* pandas / dask.dataframe / math, under the name it was imported as */
    SV_FUNC,     /* a builtin function (len, print, read_csv, ...) */
    SV_STRACC,   /* series.str */
} sv_kind;

typedef struct sv sv;

/* Modules a script may import. */
typedef enum sv_module {
    SV_MOD_PANDAS,
    SV_MOD_DASK_DATAFRAME,
    SV_MOD_DASK,
    SV_MOD_MATH,
} sv_module;

struct sv {
    sv_kind kind;
    unsigned refs;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *p; /* owned, NUL-terminated (may hold NULs: use len) */
            size_t len;
        } s;
        struct {
            sv **items; /* owned references */
            size_t n;
            bool tuple;
            bool index; /* df.columns: printed as pandas prints an Index */
        } list;
        struct {
            sv **keys, **values;
            size_t n;
        } dict;
        struct {
            ddf_frame *frame; /* owned */
        } frame;
        struct {
            sv *frame;     /* SV_FRAME */
            char *expr;    /* worker expression text, owned */
            char *name;    /* owned, or NULL (pandas' name None) */
            char *column;  /* owned: the column when the series is one, else NULL */
            ddf_dtype dtype;
        } series;
        struct {
            sv *frame;      /* SV_FRAME */
            char **keys;    /* owned */
            size_t nkeys;
            bool dropna;
            char **cols;    /* owned: selected columns, or NULL for all */
            size_t ncols;
            bool one;       /* gb["col"]: aggregations give a series */
        } groupby;
        struct {
            ddf_table *table; /* owned */
            size_t nkeys;     /* leading index columns */
            bool series;      /* one value column after the keys */
            char *name;       /* series: owned, or NULL */
            bool hide_key_names;
            int64_t start;    /* nkeys == 0: label of the first row */
        } result;
        struct {
            sv *frame;      /* SV_FRAME */
            char **by;      /* owned */
            bool *ascending;
            size_t nby;
        } sorted;
        struct {
            ddf_arena *arena;             /* owns 'node' and its text */
            const ddf_script_expr *node;  /* a LAMBDA */
            ddf_script_pos pos;           /* where it was written */
        } lambda;
        struct {
            sv_module which;
        } module;
        struct {
            int id; /* script_eval.c's builtin table */
        } func;
        struct {
            sv *series;
        } stracc;
    };
};

/* A variable. */
typedef struct sv_var {
    char *name;
    sv *value;
} sv_var;

struct ddf_script_session {
    ddf_client *client;
    ddf_printer *printer;
    sv_var *vars;
    size_t nvars, cap;
    const ddf_script_program *program; /* the one running */
    ddf_script_error *err;             /* where the running program's error goes */
    double warned_elapsed_ms;          /* the last action whose dropped lines were told */
    size_t warned_calls;
};

/* ---- a growing text (script_value.c): expressions for the workers, reprs ------------------ */

typedef struct sv_text {
    char *p;   /* NUL-terminated once anything is put; ddf_malloc'ed */
    size_t len, cap;
    bool oom;  /* a put failed: the text is incomplete and only to be freed */
} sv_text;

void sv_text_put(sv_text *t, const char *s, size_t n);
void sv_text_puts(sv_text *t, const char *s);

/* ---- values (script_value.c) ----------------------------------------------------------- */

sv *sv_new(sv_kind kind); /* refs 1, zeroed; NULL when out of memory */
sv *sv_ref(sv *v);
void sv_unref(sv *v);
sv *sv_none(void);
sv *sv_bool(bool b);
sv *sv_int(int64_t i);
sv *sv_float(double f);
sv *sv_str(const char *p, size_t len);
sv *sv_frame(ddf_frame *frame); /* takes 'frame' (freed on failure) */
sv *sv_result(ddf_table *table, size_t nkeys, bool series, const char *name); /* takes table */
const char *sv_kind_name(const sv *v); /* "DataFrame", "Series", "int", ... */
bool sv_is_scalar(const sv *v);       /* None, bool, int, float, str */
bool sv_is_number(const sv *v);       /* bool, int, float (Python's numbers) */
double sv_as_double(const sv *v);     /* bool, int, float */

/* The name of builtin function 'id' (SV_FUNC), or NULL. */
const char *sv_builtin_name(int id);

/* ---- errors (script_eval.c) ------------------------------------------------------------- */

/* Set the running program's error at 'pos' and return 'code'. */
int sv_fail(ddf_script_session *s, ddf_script_pos pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for a libddf error: its code, and its message as it is. */
int sv_fail_ddf(ddf_script_session *s, ddf_script_pos pos, const ddf_error *err);
/* Out of memory, without a place. */
int sv_oom(ddf_script_session *s);

/* ---- expressions over columns (script_series.c) ----------------------------------------- */

/* A literal of the worker language for a scalar value ('v' None, bool, int, float, str),
 * in *out (ddf_malloc'ed). DDF_ETYPE for other values (message in 'why'). */
int sv_literal(const sv *v, char **out, char *why, size_t whylen);

/* The series of column 'name' of frame value 'frame' (no check that it exists). */
sv *sv_column(ddf_script_session *s, sv *frame, const char *name);

/* A series over 'frame' computing 'expr' (takes 'expr'), named 'name' (copied; NULL: none):
 * the expression is type-checked against the frame's schema and its dtype kept. A type
 * error is reported at 'pos'. */
int sv_series_new(ddf_script_session *s, sv *frame, char *expr, const char *name,
                  ddf_script_pos pos, sv **out);

/* a <op> b where one side at least is a series (the other a scalar or a series of the
 * same frame): the series of pandas' result, named as pandas names it. */
int sv_series_binary(ddf_script_session *s, ddf_script_op op, sv *a, sv *b,
                     ddf_script_pos pos, sv **out);
int sv_series_unary(ddf_script_session *s, ddf_script_op op, sv *a, ddf_script_pos pos,
                    sv **out);

/* f(series, literal args...) for a worker function ("round", "lower", "fillna", ...). */
int sv_series_call(ddf_script_session *s, const char *func, sv *series, sv *const *args,
                   size_t nargs, const char *name, ddf_script_pos pos, sv **out);

/* Compile lambda 'lam' applied to 'arg' into a series of 'frame': with 'row' the
 * parameter is a row of the frame (apply(..., axis=1), assign(c=lambda d: ...)) and
 * 'r.col' / 'r["col"]' are its columns; otherwise it is the element of series 'arg'. */
int sv_lambda_apply(ddf_script_session *s, const sv *lam, sv *frame, sv *arg, bool row,
                    ddf_script_pos pos, sv **out);

/* The frame's column names nearest 'name', for "did you mean" (NULL: none near). */
const char *sv_suggest_column(const ddf_schema *schema, const char *name);

/* ---- methods and attributes (script_methods.c) ------------------------------------------ */

/* recv.name (not called). */
int sv_attribute(ddf_script_session *s, const ddf_script_expr *node, sv *recv, sv **out);
/* recv.name(args, kwargs). */
int sv_call_method(ddf_script_session *s, const ddf_script_expr *call, sv *recv,
                   const char *name, sv **args, size_t nargs, const char *const *kwnames,
                   sv **kwvalues, size_t nkw, sv **out);
/* recv[index]. */
int sv_subscript(ddf_script_session *s, const ddf_script_expr *node, sv *recv, sv *index,
                 sv **out);
/* frame[key] = value: the new frame in *out. */
int sv_setitem(ddf_script_session *s, const ddf_script_expr *node, sv *frame, sv *key,
               sv *value, sv **out);
/* read_csv(path, keyword options). */
int sv_read_csv(ddf_script_session *s, const ddf_script_expr *call, sv **args, size_t nargs,
                const char *const *kwnames, sv **kwvalues, size_t nkw, sv **out);
/* len(v) for frames, series and results. */
int sv_len(ddf_script_session *s, ddf_script_pos pos, sv *v, int64_t *out);
/* The values a 'for' walks over: a list of values in *items (owned references). */
int sv_iterate(ddf_script_session *s, ddf_script_pos pos, sv *v, sv ***items, size_t *n);

/* ---- printing (script_show.c) ------------------------------------------------------------ */

/* Show a value as an expression statement shows it (None shows nothing). */
int sv_show(ddf_script_session *s, ddf_script_pos pos, sv *v);
/* print(args...). */
int sv_print_call(ddf_script_session *s, ddf_script_pos pos, sv **args, size_t n);

#endif
