/* client_int.h - what the parts of libddf share behind client/ddf.h: the client (its
 * registry, RPC client and options), a frame's source (files split into partitions and
 * the schema they are read with) and the action engine that runs a terminal step over a
 * frame with placement, retries and schema widening. */
#ifndef DDF_CLIENT_INT_H
#define DDF_CLIENT_INT_H

#include "ddf.h"

#include "arena.h"
#include "local_cluster.h"
#include "registry.h"
#include "rpc.h"

struct ddf_client {
    char *redis_url;           /* owned */
    char *cluster;             /* owned */
    char *secret;              /* owned, or NULL */
    int call_timeout_ms;
    unsigned max_retries;
    unsigned max_widenings;
    ddf_local_cluster *local;  /* owned, or NULL */
    ddf_registry *reg;
    ddf_rpc *rpc;
    ddf_action_stats last;
    char *warnings[DDF_CLIENT_MAX_WARNINGS]; /* of the last action, owned */
    size_t nwarnings;
    ddf_progress_fn *progress_fn; /* or NULL */
    void *progress_arg;
    double action_start_ms;       /* CLOCK_MONOTONIC, when the last action began */
};

/* Start an action's bookkeeping: zeroed stats, no warnings. */
void ddf_client_begin_action(ddf_client *c);

/* Forget the warnings gathered so far (an action starting over after a widening). */
void ddf_client_clear_warnings(ddf_client *c);

/* Keep a worker's warning for the caller (takes 'msg'; dropped past the cap). */
void ddf_client_add_warning(ddf_client *c, char *msg);

/* The files of a frame, split into partitions, and the schema every plan reads them with.
 * Shared by the frames derived from one read_csv (reference counted): a widening found by
 * any action is kept, so later actions start from the wider schema. */
typedef struct ddf_source {
    unsigned refs;
    ddf_arena *arena;          /* the strings and arrays below */
    ddf_csv_options csv;       /* deep copy */
    ddf_schema *schema;        /* owned; widened in place */
    ddf_plan_part *parts;      /* in frame order, index = position */
    size_t nparts;
    bool *read_cols;           /* per schema column: some action has read it (projection.c);
                                  in 'arena' */
} ddf_source;

struct ddf_frame {
    ddf_client *client;        /* borrowed */
    ddf_source *src;           /* one reference */
    ddf_arena *arena;          /* the steps' strings */
    ddf_step *steps;
    size_t nsteps;
    ddf_schema *out;           /* the schema after the pipeline; owned */
    ddf_schema **retired;      /* earlier 'out's, replaced by widenings: kept until the frame
                                  is freed, since actions borrow column names from 'out' */
    size_t nretired;
};

void ddf_source_unref(ddf_source *src);

/* The frame of a new source (refs 0), with no steps. The source belongs to the frame
 * from then on, also when this fails. */
int ddf_frame_of_source(ddf_client *c, ddf_source *src, ddf_frame **out, ddf_error *err);

/* Live worker ids (sorted; reaps dead members), minus none. *ids is ddf_malloc'd, each
 * string too; free with ddf_client_free_ids. DDF_EUNREACH when the registry is down. */
int ddf_client_live_workers(ddf_client *c, char ***ids, size_t *n, ddf_error *err);
void ddf_client_free_ids(char **ids, size_t n);

/* Recompute frame->out from the source's schema and the steps (after a widening). */
int ddf_frame_recompile(ddf_frame *frame, ddf_error *err);

/* The CSV options and schema a plan for 'term' over 'frame' reads with: the source's, cut
 * to the columns the action needs and those earlier actions read (projection.c); with
 * 'remember' (the action reads every partition) its columns join those. *schema is NULL
 * when nothing is cut (use the source's), else owned by the caller; the strings go to
 * 'arena'. */
int ddf_project(const ddf_frame *frame, const ddf_terminal *term, bool remember,
                ddf_arena *arena, ddf_csv_options *csv, ddf_schema **schema,
                ddf_error *err);

/* Receives each partition's partial, once per partition of the run (reruns filtered). */
typedef int ddf_partial_fn(void *arg, uint64_t index, ddf_table *partial, ddf_error *err);

/* Run 'term' over the partitions parts[0..nparts) (indexes into frame->src->parts) of
 * 'frame': placement, one plan per worker, parallel calls, re-placement of the
 * partitions of failed workers (bounded), and the widening of the source's schema.
 * 'fn' takes ownership of each partial. A widening discards what was delivered: it returns
 * DDF_EWIDEN after widening the schema (and the frame's output schema), and the caller
 * starts over. Stats accumulate in frame->client->last. */
int ddf_action_run(ddf_frame *frame, const ddf_terminal *term, const uint64_t *parts,
                   size_t nparts, ddf_partial_fn *fn, void *arg, ddf_error *err);

/* ddf_action_run over every partition into a merger, starting over after each widening
 * (at most max_widenings times), and the merged result. */
int ddf_action_merge(ddf_frame *frame, const ddf_terminal *term, bool normalize,
                     ddf_table **out, ddf_error *err);

#endif
