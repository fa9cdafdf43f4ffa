/* plan.h - a plan: what one worker does for one action (DESIGN §3).
 *
 * The client turns an action (count, head, a reduction, a group-by, collect, ...) into one
 * plan per worker: the partitions placed on that worker, how to read them (CSV options
 * and the frame's schema), the frame's lazy pipeline (filter / assign / select, in order)
 * and the terminal step. The worker runs the pipeline and the terminal step fused per
 * partition, on its thread pool, and answers with one partial result per partition
 * (exec.h), which the client merges in partition order.
 *
 * This header is the contract between the XML-RPC layer (server.c decodes a `ddf.run`
 * request into a ddf_plan; docs/protocol.md spells the request) and the executor
 * (exec.c). A plan is plain data: every pointer in it points into plan->arena, which
 * ddf_plan_fini frees.
 *
 * Partial result of each terminal step (one table per partition, carried by the codec):
 *   COUNT         one int64 column "count", one row: rows after the pipeline
 *   HEAD / TAIL   the first / last n rows after the pipeline (all columns after select);
 *                 for n < 0 every row (only the whole frame knows which rows -n drops:
 *                 the client concatenates the partials in order and applies head/tail(n))
 *   COLLECT       every row after the pipeline
 *   REDUCE        one row: for each aggregation in plan order, the 12 columns that
 *                 ddf_agg_states_to_table gives for its one state (a group-by partial
 *                 without keys; ddf_agg_states_to_table wants states of one kind)
 *   GROUPBY       ddf_groupby_to_table
 *   VALUE_COUNTS  ddf_value_counts_to_table of one column
 *   TOPK          ddf_topk_to_table
 *   WRITE_CSV     one int64 column "rows", one row: rows written to
 *                 <path>/<name with * = index> under the data root */
#ifndef DDF_PLAN_H
#define DDF_PLAN_H

#include "agg.h"
#include "arena.h"
#include "csv_reader.h"
#include "error.h"
#include "schema.h"
#include "topk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define DDF_PLAN_VERSION 1

/* Bounds a decoder enforces before allocating (a plan comes from the network). */
#define DDF_PLAN_MAX_PARTS 65536
#define DDF_PLAN_MAX_STEPS 256
#define DDF_PLAN_MAX_AGGS 1024

typedef enum ddf_step_kind {
    DDF_STEP_FILTER = 0, /* keep rows where 'expr' (bool) is true; null counts as false */
    DDF_STEP_ASSIGN,     /* column 'name' = 'expr' (replaces in place, or appends) */
    DDF_STEP_SELECT,     /* keep 'columns', in that order */
} ddf_step_kind;

typedef struct ddf_step {
    ddf_step_kind kind;
    const char *expr;          /* FILTER, ASSIGN: expression text (expr.h) */
    const char *name;          /* ASSIGN */
    const char *const *columns; /* SELECT */
    size_t ncolumns;
} ddf_step;

typedef enum ddf_terminal_kind {
    DDF_TERM_COUNT = 0,
    DDF_TERM_HEAD,
    DDF_TERM_TAIL,
    DDF_TERM_COLLECT,
    DDF_TERM_REDUCE,
    DDF_TERM_GROUPBY,
    DDF_TERM_VALUE_COUNTS,
    DDF_TERM_TOPK,
    DDF_TERM_WRITE_CSV,
} ddf_terminal_kind;

/* One aggregation of REDUCE or GROUPBY: 'kind' of the column named 'column' (after the
 * pipeline). */
typedef struct ddf_plan_agg {
    const char *column;
    ddf_agg_kind kind;
} ddf_plan_agg;

typedef struct ddf_terminal {
    ddf_terminal_kind kind;
    int64_t n;                  /* HEAD, TAIL: rows (pandas' negative n allowed); TOPK: n */
    const ddf_plan_agg *aggs;   /* REDUCE, GROUPBY */
    size_t naggs;
    const char *const *keys;    /* GROUPBY: key columns; TOPK: order columns */
    size_t nkeys;
    bool dropna;                /* GROUPBY, VALUE_COUNTS (pandas default true) */
    const char *column;         /* VALUE_COUNTS */
    bool largest;               /* TOPK: nlargest (true) or nsmallest */
    ddf_topk_keep keep;         /* TOPK */
    const char *path;           /* WRITE_CSV: directory under the data root */
    const char *name;           /* WRITE_CSV: file name with one '*' for the partition's
                                   index (Dask's "sales-*.csv"); NULL: "part-*.csv" */
} ddf_terminal;

/* The file name template of to_csv when none is given. */
#define DDF_PLAN_CSV_NAME "part-*.csv"
/* Whether 'name' is a valid to_csv file name template: one '*', no '/', at most 200
 * bytes, not "." or ".." around the index. */
bool ddf_plan_csv_name_ok(const char *name);

/* One partition: bytes [offset, offset + length) of 'path', which start and end on record
 * boundaries (the client resolved them with the quote-parity pass). 'index' is its
 * number in the frame: results carry it, and it is the partition number of first/last
 * and of value_counts' and top-k's positions. */
typedef struct ddf_plan_part {
    uint64_t index;
    const char *path;
    uint64_t offset;
    uint64_t length;
    uint64_t first_line;        /* 1-based line of its first record, for messages */
} ddf_plan_part;

typedef struct ddf_plan {
    uint32_t version;           /* DDF_PLAN_VERSION */
    ddf_csv_options csv;        /* how the files are read (pointers into 'arena') */
    ddf_schema *schema;         /* the frame's schema (possibly widened); owned */
    const ddf_plan_part *parts;
    size_t nparts;
    const ddf_step *steps;      /* the pipeline, in order */
    size_t nsteps;
    ddf_terminal terminal;
    bool combine;               /* GROUPBY, VALUE_COUNTS: when every partition succeeds,
                                   answer one partial merged over all of them (merge.h)
                                   instead of one per partition: less to send and decode */
    ddf_arena *arena;           /* owns every string and array above */
} ddf_plan;

/* An empty plan (version set, csv defaults, a new arena and schema). DDF_ENOMEM. */
int ddf_plan_init(ddf_plan *plan, ddf_error *err);

/* Free what the plan owns. Safe on a zeroed plan and after a failed init. */
void ddf_plan_fini(ddf_plan *plan);

/* Check a decoded plan before running anything: version, counts within the bounds above,
 * every path a regular file under 'data_root' once symlinks and ".." are resolved (DESIGN
 * §8), ranges within the file, expressions that parse and type-check against the schema
 * as the pipeline changes it, aggregations pandas allows on the columns' dtypes, key and
 * value columns that exist. DDF_EINVAL / DDF_ETYPE / DDF_EPARSE / DDF_ENOENT with a message
 * naming the step, column or path. */
int ddf_plan_validate(const ddf_plan *plan, const char *data_root, ddf_error *err);

/* Resolve 'path' (absolute, or relative to 'data_root') with realpath() into 'real' ('cap'
 * bytes, PATH_MAX is enough) and check that it lies under the real path of 'data_root' and
 * is a regular file; *st gets its stat. The executor calls it again when it opens a file,
 * so a symlink swapped in after validation cannot escape. DDF_ENOENT (no such file),
 * DDF_EINVAL (outside the data root), DDF_EIO (not a regular file, unreadable), with a
 * message naming 'path'. */
/* The wire names of the plan's enums (docs/protocol.md): "groupby", "filter", "warn".
 * The name functions give NULL for a value out of range; the parse functions DDF_OK or
 * DDF_EINVAL. One table for the worker's decoder and the client's encoder. */
const char *ddf_plan_terminal_name(ddf_terminal_kind kind);
int ddf_plan_terminal_parse(const char *name, ddf_terminal_kind *out);
const char *ddf_plan_step_name(ddf_step_kind kind);
const char *ddf_plan_bad_lines_name(ddf_bad_lines mode);
int ddf_plan_bad_lines_parse(const char *name, ddf_bad_lines *out);

int ddf_plan_resolve_file(const char *data_root, const char *path, char *real, size_t cap,
                          struct stat *st, ddf_error *err);

#endif
