/* exec.h - the worker's executor: runs a validated plan (plan.h) on a thread pool over
 * cached partitions and returns one partial result per partition.
 *
 * A ddf_exec holds what outlives one plan: the thread pool (pool.h), the cache of parsed
 * partitions (cache.h) and a small map of opened CSV files (opening one reads and infers
 * from a 256 KiB sample, which partitions of one file share). ddf_exec_run runs each
 * partition as one job: get the parsed table (cache hit, or ddf_csv_read_block and
 * insert), run the pipeline fused over it (filters narrow a selection vector without
 * copying, select is a zero-copy view, assign materializes the selected rows plus the new
 * column), then the terminal step's partial (the table of plan.h's list). Terminals that
 * fold rows into a state (count, reduce, group-by) run the pipeline a slice of rows at a
 * time instead, so the expression temporaries of a slice stay in cache (exec.c).
 *
 * Memory: 'memory_limit' is the budget of the cache. A partition whose parsed table alone
 * is larger than the budget fails (DDF_ETOOBIG naming the budget) and is not kept; the
 * worker stays up and the other partitions run. Transient memory not counted in the
 * budget, per running job (at most 'threads' at once): a table parsed but not cacheable,
 * a cached table evicted while the job still reads it, the selection vectors and
 * expression temporaries (scratch arena), one materialized table per assign step, the
 * terminal's state and its partial. Partials live until the caller frees the results.
 *
 * Thread-safety: ddf_exec_run may be called from many threads at once (each call waits
 * for its own jobs); ddf_exec_get_stats too. ddf_exec_free only when no call runs. */
#ifndef DDF_EXEC_H
#define DDF_EXEC_H

#include "cache.h"
#include "plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CSV files kept open (their header and inferred layout) between plans. */
#define DDF_EXEC_MAX_FILES 64

typedef struct ddf_exec ddf_exec; /* opaque */

typedef struct ddf_exec_options {
    unsigned threads;          /* pool threads; default 1 */
    size_t memory_limit;       /* cache budget in bytes; default 1 GiB */
    size_t stack_bytes;        /* per pool thread; 0 (default): DDF_POOL_STACK_BYTES */
    const char *data_root;     /* files are read (and written) only under it; copied.
                                  Default "/" */
    size_t slice_rows;         /* rows per fused slice, a multiple of 64; 0 (default):
                                  DDF_EXEC_SLICE_ROWS; DDF_EXEC_NO_SLICES: whole
                                  partitions only (tests compare the two) */
} ddf_exec_options;

/* Rows per slice of the fused pipeline: 64 KiB per float64 temporary, so an
 * expression's temporaries stay in L2 (measured: docs/benchmarks.md, "Fused slices"). */
#define DDF_EXEC_SLICE_ROWS 8192
#define DDF_EXEC_NO_SLICES SIZE_MAX

void ddf_exec_options_init(ddf_exec_options *opt);

/* Start the pool and create the cache. DDF_EINVAL (bad thread count, a data root that does
 * not resolve, slice_rows not a multiple of 64), DDF_ENOMEM; on error *out is NULL. */
int ddf_exec_new(const ddf_exec_options *opt, ddf_exec **out, ddf_error *err);

/* Stop the threads and free the cache and the files. NULL is a no-op. */
void ddf_exec_free(ddf_exec *ex);

/* What one partition gave. */
typedef struct ddf_exec_result {
    uint64_t index;            /* the partition's number (ddf_plan_part.index) */
    int status;                /* DDF_OK, DDF_EWIDEN, or the partition's own failure */
    ddf_error err;             /* details when status < 0 (file:line:column for CSV) */
    ddf_table *table;          /* the partial (plan.h); owned; NULL unless DDF_OK */
    ddf_dtype *needed;         /* DDF_EWIDEN: for each column of plan->schema the dtype its
                                  values need (ddf_malloc'd, owned); else NULL */
    size_t nneeded;            /* plan->schema->ncols when 'needed' is set */
    uint64_t rows_read;        /* rows of the parsed partition */
    uint64_t rows_out;         /* rows after the pipeline */
    uint64_t bad_lines;        /* lines dropped by on_bad_lines (known on a parse only) */
    char *warnings[DDF_MAX_WARNINGS]; /* on_bad_lines=warn: "file:line: ..." of the first
                                  dropped lines (ddf_malloc'd, owned; on a parse only) */
    size_t nwarnings;
    bool cache_hit;            /* the parsed partition came from the cache */
} ddf_exec_result;

/* Run every partition of 'plan' (ddf_plan_validate'd by the caller against the same data
 * root; paths are resolved and confined again here) and give, in *results, plan->nparts
 * results in plan order (free with ddf_exec_results_free). A partition's failure is its
 * result's status and does not fail the others or the call. The call itself fails (and
 * *results is NULL) only when the plan does not compile (the errors of
 * ddf_plan_validate) or memory for the results runs out. */
int ddf_exec_run(ddf_exec *ex, const ddf_plan *plan, ddf_exec_result **results,
                 ddf_error *err);

/* Free 'n' results and the array. NULL is a no-op. */
void ddf_exec_results_free(ddf_exec_result *results, size_t n);

typedef struct ddf_exec_stats {
    ddf_cache_stats cache;     /* hits, misses, evictions, entries, bytes, budget */
    unsigned threads;          /* pool threads */
    size_t files_open;         /* CSV files in the open-file map */
    uint64_t parts_run;        /* partitions run since start */
} ddf_exec_stats;

void ddf_exec_get_stats(ddf_exec *ex, ddf_exec_stats *out);

/* The cache (for tests and for clearing it). */
ddf_cache *ddf_exec_cache(ddf_exec *ex);

#endif
