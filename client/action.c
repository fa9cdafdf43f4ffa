/* action.c - running one terminal step over a frame on the cluster (DESIGN §3): the part
 * of the client that has no scheduler to lean on.
 *
 * A round discovers the live workers, places every partition still to run on one of them
 * by rendezvous hashing, sends each worker its plan (all at once, under one deadline) and
 * hands every partial that comes back to the caller. A worker whose call fails — refused,
 * reset, timed out, shutting down, or an answer that does not decode — is left out for
 * the rest of the action, and the partitions it held go, in the next round, to their
 * runner-up among the survivors. Rounds are bounded; a partition's partial is delivered
 * once even if two workers ran it.
 *
 * A partition that meets a value its column's dtype cannot hold answers "widen": the round
 * still finishes (so every widening of the round is learnt at once), then the source's
 * schema is widened and the caller starts over with it. The wider schema stays with the
 * source, so the next action does not widen again. */
#include "client_int.h"

#include "alloc.h"
#include "merge.h"
#include "placement.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Row-returning steps send one partition per call: each partial can be as large as its
 * partition, and a response is bounded (docs/protocol.md). At most this many such calls go
 * to one worker at once (a wave); the partitions left wait for the next wave. A worker
 * serves 128 connections, and thousands of tiny partitions must not open thousands. */
#define MAX_CALLS_PER_WORKER 8

static bool returns_rows(ddf_terminal_kind k)
{
    return k == DDF_TERM_HEAD || k == DDF_TERM_TAIL || k == DDF_TERM_COLLECT;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One call of a round: a worker and the positions (into the run's parts) it was given. */
typedef struct call_plan {
    size_t worker;
    size_t *pos;
    size_t npos;
} call_plan;

typedef struct run_state {
    ddf_frame *frame;
    const ddf_terminal *term;
    const uint64_t *parts;     /* frame partition indexes of this run */
    size_t nparts;
    bool *done;                /* per position */
    size_t pending;
    char **failed;             /* worker ids left out of this action */
    size_t nfailed;
    char last_failure[512];
    bool widened;
    ddf_csv_options csv;       /* the source's, cut to the action's columns */
    ddf_schema *cut;           /* the source's schema cut likewise, or NULL: uncut */
    ddf_arena *arena;          /* the cut's strings */
    ddf_partial_fn *fn;
    void *arg;
} run_state;

static bool is_failed(const run_state *st, const char *id)
{
    for (size_t i = 0; i < st->nfailed; i++)
        if (strcmp(st->failed[i], id) == 0)
            return true;
    return false;
}

static int mark_failed(run_state *st, const char *id, const char *why, ddf_error *err)
{
    char **grown = ddf_reallocarray(st->failed, st->nfailed + 1, sizeof *grown);

    if (grown == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    st->failed = grown;
    if ((st->failed[st->nfailed] = ddf_strdup(id)) == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    st->nfailed++;
    st->frame->client->last.workers_failed++;
    snprintf(st->last_failure, sizeof st->last_failure, "worker %s: %s", id, why);
    return DDF_OK;
}

/* Widen the source's schema as one partition asked. A pinned column never widens: the
 * worker reports a value that does not fit a pinned dtype as an error, so a widening
 * request for one means a confused peer. */
static int apply_widening(run_state *st, const ddf_part_result *r, const char *worker,
                          ddf_error *err)
{
    ddf_schema *s = st->frame->src->schema;

    for (size_t w = 0; w < r->nwiden; w++) {
        size_t c = 0;

        while (c < s->ncols && strcmp(s->fields[c].name, r->widen[w].column) != 0)
            c++;
        if (c == s->ncols)
            return ddf_error_setf(err, DDF_ECORRUPT, "worker %s asked to widen column '%s', "
                                  "which the frame does not have", worker, r->widen[w].column);
        if (s->fields[c].flags & DDF_FIELD_PINNED)
            return ddf_error_setf(err, DDF_ETYPE, "worker %s: column '%s' is pinned to %s "
                                  "but partition %llu holds %s values", worker,
                                  s->fields[c].name, ddf_dtype_name(s->fields[c].dtype),
                                  (unsigned long long)r->index,
                                  ddf_dtype_name(r->widen[w].dtype));
        s->fields[c].dtype = ddf_dtype_join(s->fields[c].dtype, r->widen[w].dtype);
    }
    st->widened = true;
    return DDF_OK;
}

/* The position in 'cp' of partition 'index', or SIZE_MAX. */
static size_t find_pos(const run_state *st, const call_plan *cp, uint64_t index)
{
    for (size_t i = 0; i < cp->npos; i++)
        if (st->parts[cp->pos[i]] == index)
            return cp->pos[i];
    return SIZE_MAX;
}

/* The warnings of every entry go to the client. */
static void take_warnings(run_state *st, ddf_part_result *res, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t w = 0; w < res[i].nwarnings; w++) {
            ddf_client_add_warning(st->frame->client, res[i].warnings[w]);
            res[i].warnings[w] = NULL;
        }
        res[i].nwarnings = 0;
    }
}

/* Take a successful call's answer. A worker's per-partition error fails the action (it is
 * the data's fault, and another worker would meet it too); an answer that does not decode
 * fails the worker. */
static int take_answer(run_state *st, const call_plan *cp, const char *worker,
                       xmlrpc_value *answer, ddf_error *err)
{
    ddf_action_stats *stats = &st->frame->client->last;
    ddf_part_result *res = NULL;
    size_t n = 0;
    ddf_error derr;
    int rc;

    rc = ddf_wire_decode_run(answer, &res, &n, &derr);
    if (rc < 0)
        return mark_failed(st, worker, derr.msg, err);
    take_warnings(st, res, n);
    if (n > 0 && res[0].combined) {
        /* one partial for every partition of the call, all OK */
        for (size_t i = 0; i < n && rc == DDF_OK; i++) {
            size_t pos = find_pos(st, cp, res[i].index);

            if (pos == SIZE_MAX || st->done[pos]) {
                rc = mark_failed(st, worker, "a combined answer for partitions it was not "
                                 "given", err);
                ddf_part_results_free(res, n);
                return rc;
            }
        }
        for (size_t i = 0; i < n; i++) {
            size_t pos = find_pos(st, cp, res[i].index);

            stats->rows_in += res[i].rows_in > 0 ? (uint64_t)res[i].rows_in : 0;
            stats->bad_lines += res[i].bad_lines > 0 ? (uint64_t)res[i].bad_lines : 0;
            stats->cache_hits += res[i].cache_hit;
            st->done[pos] = true;
            st->pending--;
        }
        {
            ddf_table *t = res[0].table;

            res[0].table = NULL;
            rc = st->fn(st->arg, res[0].index, t, err);
        }
        ddf_part_results_free(res, n);
        return rc;
    }
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        ddf_part_result *r = &res[i];
        size_t pos = find_pos(st, cp, r->index);

        if (pos == SIZE_MAX) {
            rc = mark_failed(st, worker, "answered for a partition it was not given", err);
            break;
        }
        stats->rows_in += r->rows_in > 0 ? (uint64_t)r->rows_in : 0;
        stats->bad_lines += r->bad_lines > 0 ? (uint64_t)r->bad_lines : 0;
        stats->cache_hits += r->cache_hit;
        switch (r->status) {
        case DDF_PART_OK:
            if (!st->done[pos]) {
                ddf_table *t = r->table;

                r->table = NULL;
                st->done[pos] = true;
                st->pending--;
                rc = st->fn(st->arg, r->index, t, err);
            }
            break;
        case DDF_PART_WIDEN:
            rc = apply_widening(st, r, worker, err);
            break;
        case DDF_PART_ERROR:
            rc = ddf_error_setf(err, r->code < 0 ? r->code : DDF_EIO, "worker %s: %s", worker,
                                r->error ? r->error : "partition failed");
            break;
        }
    }
    ddf_part_results_free(res, n);
    return rc;
}

/* A call that did not answer with results: the worker is left out (it is unreachable,
 * timed out, shutting down or confused), unless the fault says the plan itself is wrong. */
static int take_failure(run_state *st, const ddf_rpc_call *call, ddf_error *err)
{
    /* the call's message names the method and the worker */
    if (call->status == DDF_EAUTH)
        return ddf_error_setf(err, DDF_EAUTH, "the secret was refused: %s", call->message);
    if (call->status == DDF_EIO && call->fault_code > 0 && call->fault_code != -DDF_EUNREACH &&
        call->fault_code != -DDF_ENOMEM)
        return ddf_error_setf(err, -call->fault_code, "%s", call->message);
    return mark_failed(st, call->url, call->message, err);
}

static void free_calls(ddf_rpc_call *calls, call_plan *plans, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ddf_rpc_call_fini(&calls[i]);
        if (calls[i].params != NULL)
            xmlrpc_DECREF(calls[i].params);
        ddf_free(plans[i].pos);
    }
    ddf_free(calls);
    ddf_free(plans);
}

/* The params of a call: [plan], for the partitions of 'cp'. */
static int encode_call(run_state *st, const call_plan *cp, xmlrpc_value **params,
                       ddf_error *err)
{
    const ddf_frame *f = st->frame;
    ddf_plan_part *pp = ddf_calloc(cp->npos, sizeof *pp);
    xmlrpc_value *pv = NULL;
    xmlrpc_env env;
    ddf_plan plan;
    int rc;

    if (pp == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < cp->npos; i++)
        pp[i] = f->src->parts[st->parts[cp->pos[i]]];
    memset(&plan, 0, sizeof plan);
    plan.version = DDF_PLAN_VERSION;
    plan.csv = st->csv;
    plan.schema = st->cut != NULL ? st->cut : f->src->schema;
    plan.parts = pp;
    plan.nparts = cp->npos;
    plan.steps = f->steps;
    plan.nsteps = f->nsteps;
    plan.terminal = *st->term;
    plan.combine = st->term->kind == DDF_TERM_GROUPBY || st->term->kind == DDF_TERM_VALUE_COUNTS;
    rc = ddf_wire_encode_plan(&plan, &pv, err);
    ddf_free(pp);
    if (rc < 0)
        return rc;
    xmlrpc_env_init(&env);
    *params = xmlrpc_array_new(&env);
    if (!env.fault_occurred)
        xmlrpc_array_append_item(&env, *params, pv);
    xmlrpc_DECREF(pv);
    if (env.fault_occurred) {
        if (*params != NULL)
            xmlrpc_DECREF(*params);
        *params = NULL;
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot build a call: %s", env.fault_string);
    }
    xmlrpc_env_clean(&env);
    return rc;
}

/* Plan one round: the calls for the pending partitions over the live workers. */
static int plan_round(run_state *st, char **ids, size_t nids, ddf_rpc_call **calls_out,
                      call_plan **plans_out, size_t *ncalls_out, ddf_error *err)
{
    bool one_per_call = returns_rows(st->term->kind);
    bool *alive = ddf_calloc(nids ? nids : 1, sizeof *alive);
    uint64_t *keys = ddf_calloc(st->pending, sizeof *keys);
    size_t *owner = ddf_calloc(st->pending, sizeof *owner);
    size_t *which = ddf_calloc(st->pending, sizeof *which);
    size_t *per_worker = ddf_calloc(nids ? nids : 1, sizeof *per_worker);
    ddf_rpc_call *calls = NULL;
    call_plan *plans = NULL;
    size_t ncalls = 0, k = 0;
    int rc = DDF_OK;

    if (!alive || !keys || !owner || !which || !per_worker) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t w = 0; w < nids; w++)
        alive[w] = !is_failed(st, ids[w]);
    for (size_t p = 0; p < st->nparts; p++) {
        if (st->done[p])
            continue;
        const ddf_plan_part *pp = &st->frame->src->parts[st->parts[p]];

        keys[k] = ddf_place_part_key(pp->path, pp->offset, pp->length);
        which[k++] = p;
    }
    ddf_place((const char *const *)ids, nids, alive, keys, k, owner);
    for (size_t i = 0; i < k; i++) {
        if (one_per_call && per_worker[owner[i]] == MAX_CALLS_PER_WORKER)
            owner[i] = DDF_PLACE_NONE; /* next wave */
        else
            per_worker[owner[i]]++;
    }
    for (size_t w = 0; w < nids; w++)
        ncalls += one_per_call ? per_worker[w] : (per_worker[w] > 0);
    calls = ddf_calloc(ncalls ? ncalls : 1, sizeof *calls);
    plans = ddf_calloc(ncalls ? ncalls : 1, sizeof *plans);
    if (!calls || !plans) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto out;
    }
    ncalls = 0;
    for (size_t w = 0; w < nids && rc == DDF_OK; w++) {
        if (per_worker[w] == 0)
            continue;
        for (size_t i = 0; i < k && rc == DDF_OK; i++) {
            if (owner[i] != w)
                continue;
            call_plan *cp;

            if (one_per_call || ncalls == 0 || plans[ncalls - 1].worker != w) {
                cp = &plans[ncalls++];
                cp->worker = w;
                cp->pos = ddf_calloc(one_per_call ? 1 : per_worker[w], sizeof *cp->pos);
                if (cp->pos == NULL) {
                    rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
                    break;
                }
            }
            cp = &plans[ncalls - 1];
            cp->pos[cp->npos++] = which[i];
        }
    }
    for (size_t i = 0; i < ncalls && rc == DDF_OK; i++) {
        calls[i].url = ids[plans[i].worker];
        calls[i].method = "ddf.run";
        rc = encode_call(st, &plans[i], &calls[i].params, err);
    }
out:
    ddf_free(alive);
    ddf_free(keys);
    ddf_free(owner);
    ddf_free(which);
    ddf_free(per_worker);
    if (rc < 0) {
        if (calls != NULL)
            free_calls(calls, plans, ncalls);
        else
            ddf_free(plans);
        return rc;
    }
    *calls_out = calls;
    *plans_out = plans;
    *ncalls_out = ncalls;
    return DDF_OK;
}

static int no_worker_error(run_state *st, ddf_error *err)
{
    ddf_client *c = st->frame->client;

    if (st->nfailed > 0)
        return ddf_error_setf(err, DDF_EUNREACH, "no live worker left in cluster '%s' "
                              "(%zu failed during this action; last: %s)", c->cluster,
                              st->nfailed, st->last_failure);
    return ddf_error_setf(err, DDF_EUNREACH, "no live worker in cluster '%s' at %s",
                          c->cluster, ddf_registry_url(c->reg));
}

/* Tell the caller's progress function how far the run is: partitions answered, counting
 * those of calls that are in but not yet taken. */
static void report(run_state *st, const ddf_rpc_call *calls, const call_plan *plans,
                   size_t ncalls, bool finished)
{
    ddf_client *c = st->frame->client;
    ddf_progress p;

    if (c->progress_fn == NULL)
        return;
    p.parts_total = st->nparts;
    p.parts_done = st->nparts - st->pending;
    for (size_t i = 0; i < ncalls && !finished; i++)
        if (calls[i].answered && calls[i].status == DDF_OK)
            p.parts_done += plans[i].npos;
    if (p.parts_done > p.parts_total)
        p.parts_done = p.parts_total;
    p.rows = c->last.rows_in;
    p.elapsed_ms = now_ms() - c->action_start_ms;
    p.finished = finished;
    c->progress_fn(c->progress_arg, &p);
}

typedef struct tick_state {
    run_state *st;
    const call_plan *plans;
} tick_state;

static void on_tick(void *arg, const ddf_rpc_call *calls, size_t n)
{
    tick_state *ts = arg;

    report(ts->st, calls, ts->plans, n, false);
}

static int run_round(run_state *st, ddf_error *err)
{
    ddf_client *c = st->frame->client;
    char **ids = NULL;
    size_t nids = 0, nlive = 0, ncalls = 0;
    ddf_rpc_call *calls = NULL;
    call_plan *plans = NULL;
    int rc;

    rc = ddf_client_live_workers(c, &ids, &nids, err);
    if (rc < 0)
        return rc;
    for (size_t w = 0; w < nids; w++)
        nlive += !is_failed(st, ids[w]);
    if (nlive == 0) {
        ddf_client_free_ids(ids, nids);
        return no_worker_error(st, err);
    }
    rc = plan_round(st, ids, nids, &calls, &plans, &ncalls, err);
    if (rc == DDF_OK) {
        tick_state ts = {st, plans};

        report(st, calls, plans, 0, false);
        rc = ddf_rpc_run_ticking(c->rpc, calls, ncalls, c->call_timeout_ms,
                                 c->progress_fn ? on_tick : NULL, &ts, err);
    }
    c->last.rounds++;
    c->last.calls += ncalls;
    for (size_t i = 0; i < ncalls && rc == DDF_OK; i++) {
        c->last.parts_run += plans[i].npos;
        if (is_failed(st, calls[i].url))
            continue; /* another call to it failed: its partitions go elsewhere */
        if (calls[i].status == DDF_OK)
            rc = take_answer(st, &plans[i], calls[i].url, calls[i].result, err);
        else
            rc = take_failure(st, &calls[i], err);
    }
    if (calls != NULL)
        free_calls(calls, plans, ncalls);
    ddf_client_free_ids(ids, nids);
    return rc;
}

int ddf_action_run(ddf_frame *frame, const ddf_terminal *term, const uint64_t *parts,
                   size_t nparts, ddf_partial_fn *fn, void *arg, ddf_error *err)
{
    ddf_client *c = frame->client;
    run_state st;
    int rc = DDF_OK;

    memset(&st, 0, sizeof st);
    st.frame = frame;
    st.term = term;
    st.parts = parts;
    st.nparts = nparts;
    st.pending = nparts;
    st.fn = fn;
    st.arg = arg;
    st.done = ddf_calloc(nparts ? nparts : 1, sizeof *st.done);
    st.arena = ddf_arena_new();
    if (st.done == NULL || st.arena == NULL) {
        ddf_free(st.done);
        ddf_arena_free(st.arena);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    rc = ddf_project(frame, term, nparts == frame->src->nparts, st.arena, &st.csv, &st.cut,
                     err);
    /* Rounds without a failure are waves and always make progress; rounds with one are
     * retries, and those are bounded. */
    for (unsigned retries = 0; st.pending > 0 && rc == DDF_OK && !st.widened;) {
        size_t failed_before = st.nfailed, pending_before = st.pending;

        rc = run_round(&st, err);
        if (rc == DDF_OK && st.nfailed > failed_before && ++retries > c->max_retries &&
            st.pending > 0)
            rc = ddf_error_setf(err, DDF_EUNREACH, "gave up after %u rounds with failures, "
                                "%zu partitions left; last failure: %s", retries, st.pending,
                                st.last_failure);
        else if (rc == DDF_OK && st.nfailed == failed_before && st.pending == pending_before &&
                 !st.widened)
            rc = ddf_error_setf(err, DDF_ECORRUPT, "a round of calls returned no partition "
                                "and no failure");
    }
    if (rc == DDF_OK && st.widened) {
        c->last.widenings++;
        ddf_client_clear_warnings(c); /* the rerun reads the same lines again */
        rc = ddf_frame_recompile(frame, err);
        if (rc == DDF_OK)
            rc = DDF_EWIDEN;
    }
    report(&st, NULL, NULL, 0, true);
    ddf_client_free_ids(st.failed, st.nfailed);
    ddf_free(st.done);
    ddf_schema_free(st.cut);
    ddf_arena_free(st.arena);
    return rc;
}

static int merge_partial(void *arg, uint64_t index, ddf_table *partial, ddf_error *err)
{
    int rc = ddf_merger_add(arg, index, partial, err);

    ddf_table_free(partial);
    return rc;
}

int ddf_action_merge(ddf_frame *frame, const ddf_terminal *term, bool normalize,
                     ddf_table **out, ddf_error *err)
{
    ddf_client *c = frame->client;
    size_t n = frame->src->nparts;
    uint64_t *all = ddf_calloc(n ? n : 1, sizeof *all);
    double t0 = now_ms();
    int rc;

    *out = NULL;
    if (all == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    for (unsigned attempt = 0;; attempt++) {
        ddf_merger *m;

        rc = ddf_merger_new(term, frame->out, normalize, &m, err);
        if (rc < 0)
            break;
        rc = ddf_action_run(frame, term, all, n, merge_partial, m, err);
        if (rc == DDF_OK)
            rc = ddf_merger_result(m, out, err);
        ddf_merger_free(m);
        if (rc != DDF_EWIDEN)
            break;
        if (attempt + 1 >= c->max_widenings) {
            rc = ddf_error_setf(err, DDF_EWIDEN, "the schema still needed widening after %u "
                                "reruns", c->max_widenings);
            break;
        }
    }
    ddf_free(all);
    c->last.elapsed_ms = now_ms() - t0;
    return rc;
}
