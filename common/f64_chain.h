/* f64_chain.h - float64 arithmetic over a few columns in one pass over the rows.
 *
 * price * qty * (1 - discount) evaluated a node at a time writes a temporary column per
 * node and reads it back: four passes over memory for one result. A chain is the left
 * spine of such a tree, ((t0 op1 t1) op2 t2) ..., each term t a float64 or int64 column
 * (read through its byte copy when it has one),
 * a column combined with a scalar (1 - x, x * 2.5) or a scalar alone; eval.c builds one
 * from any tree of + - * / (a right operand that is not a term is evaluated first and
 * becomes a column term). The chain runs 32 rows at a time in vector registers: each
 * term's values are loaded once and the result is written once. Every row gets the
 * same IEEE operations in the same order as node by node, and an int64 term the value of
 * (double)x, so the bits are those of evaluating the tree node by node. */
#ifndef DDF_F64_CHAIN_H
#define DDF_F64_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ddf_f64_term_kind {
    DDF_F64_TERM_FLOAT,  /* a float64 column */
    DDF_F64_TERM_INT,    /* an int64 column, read as (double) */
    DDF_F64_TERM_INT8,   /* an int64 column's byte copy (column.h), read as (double) */
    DDF_F64_TERM_SCALAR, /* one value for every row */
} ddf_f64_term_kind;

typedef enum ddf_f64_op { DDF_F64_ADD, DDF_F64_SUB, DDF_F64_MUL, DDF_F64_DIV } ddf_f64_op;

typedef struct ddf_f64_term {
    ddf_f64_term_kind kind;
    const double *f;  /* DDF_F64_TERM_FLOAT: the rows' values */
    const int64_t *i; /* DDF_F64_TERM_INT: the rows' values */
    const int8_t *i8; /* DDF_F64_TERM_INT8: the rows' values */
    double s;         /* DDF_F64_TERM_SCALAR: the value; else the scalar of 'sop' */
    bool has_sop;     /* a column term combined with 's': x sop s, or s sop x */
    ddf_f64_op sop;
    bool scalar_left; /* s sop x */
} ddf_f64_term;

#define DDF_F64_CHAIN_MAX 8

typedef struct ddf_f64_chain {
    size_t nterms; /* 1..DDF_F64_CHAIN_MAX */
    ddf_f64_term terms[DDF_F64_CHAIN_MAX];
    ddf_f64_op ops[DDF_F64_CHAIN_MAX - 1]; /* ops[k - 1] joins terms[k] to the rows so far */
} ddf_f64_chain;

/* out[r - start] = the chain's value at row r, for r in [start, start + n). */
void ddf_f64_chain_run(const ddf_f64_chain *chain, size_t start, size_t n, double *out);

/* Add the chain's values at rows [start, start + n) to the four Neumaier lanes
 * sum[4]/comp[4] of a float sum (agg.c's sum_lanes: lane l takes the rows r with
 * (r - start) % 4 == l) without storing them: the bits of ddf_f64_chain_run followed by
 * sum_lanes, with the loads of the next rows overlapping the additions. A row whose bit
 * in 'valid' is 0 (bit r of the bitmap for row r; NULL: every row valid) and a NaN add
 * nothing. 'start' is a multiple of 8 and n of 4. Returns the rows added. */
uint64_t ddf_f64_chain_sum(const ddf_f64_chain *chain, size_t start, size_t n,
                           const uint8_t *valid, double sum[4], double comp[4]);

#endif
