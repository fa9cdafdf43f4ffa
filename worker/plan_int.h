/* plan_int.h - a plan compiled for execution: what plan.c and exec.c share.
 *
 * Validation and execution need the same work: parse every expression, check it against
 * the schema as the pipeline has changed it so far, and resolve every column name of the
 * terminal step to an index. ddf_plan_compile does it once; ddf_plan_validate throws the
 * result away, the executor keeps it for the whole run and every job reads it (checked
 * expressions are only read by ddf_eval, so the threads share them). */
#ifndef DDF_PLAN_INT_H
#define DDF_PLAN_INT_H

#include "plan.h"

#include "expr.h"
#include "groupby.h"

/* One pipeline step, resolved against the schema it sees (the one before the step). */
typedef struct ddf_plan_cstep {
    ddf_step_kind kind;
    ddf_expr *expr;  /* FILTER, ASSIGN: checked expression, in the compile arena */
    size_t *cols;    /* SELECT: column indexes, in the compile arena */
    size_t ncols;
} ddf_plan_cstep;

typedef struct ddf_plan_compiled {
    ddf_plan_cstep *steps;     /* plan->nsteps entries, in the compile arena */
    ddf_schema *out;           /* the schema after the pipeline, storage dtypes; owned */
    size_t *keys;              /* GROUPBY keys / TOPK order columns, indexes into 'out' */
    ddf_groupby_agg *aggs;     /* REDUCE, GROUPBY: columns of 'out' and kinds */
    size_t column;             /* VALUE_COUNTS: index into 'out' */
} ddf_plan_compiled;

/* Compile the pipeline and the terminal step of 'plan' (paths are not looked at). Arrays
 * and expression trees go to 'arena'; out->out is owned (ddf_plan_compiled_fini). On error
 * a negative code, 'err' names the step or column, and nothing is left to fini. */
int ddf_plan_compile(const ddf_plan *plan, ddf_arena *arena, ddf_plan_compiled *out,
                     ddf_error *err);

void ddf_plan_compiled_fini(ddf_plan_compiled *c);

/* A 64-bit digest of everything that decides how a byte range parses: the CSV options
 * (blocksize excluded) and the schema's names, dtypes and flags. Part of a cache key. */
uint64_t ddf_plan_read_hash(const ddf_plan *plan);

/* The digest of the parse options that decide a column's values, without the choice of
 * columns (usecols, pinned dtypes, schema): two plans with equal file hashes parse a
 * column they both read, with the same dtype, to the same values. Never 0. */
uint64_t ddf_plan_file_hash(const ddf_plan *plan);

#endif
