/* method_run.c - ddf.run: decode a plan, validate it, run it on the executor (exec.h) and
 * answer one entry per partition, partials as table blobs in <base64>.
 *
 * Order of checks, cheapest first, so a bad or hostile plan costs little: the server still
 * takes plans (a stopping worker answers "worker shutting down" so the client re-places the
 * work), the plan decodes (bounds before allocation, plan_decode.c), it validates against the
 * data root (files, ranges, expressions), then it runs. The response is sized before it is
 * built: partials that would make it larger than DDF_WORKER_MAX_RESPONSE_BYTES fail the call
 * with a fault asking for fewer partitions, instead of an answer the client cannot parse.
 * Error messages may quote CSV bytes, so they are made XML-safe before they are sent. */
#include "server_int.h"

#include "alloc.h"
#include "codec.h"
#include "exec.h"
#include "merge.h"
#include "plan_int.h"
#include "plan_decode.h"

#include <stdio.h>
#include <string.h>

/* XML around one result entry (member names, tags, figures): generous. */
#define ENTRY_OVERHEAD_BYTES 1024

/* Copy 'msg' into out[cap] with every byte that is not plain printable ASCII (or tab,
 * newline) replaced by '?': messages are for people, and may quote hostile CSV bytes. */
static void xml_safe(const char *msg, char *out, size_t cap)
{
    size_t i;

    for (i = 0; msg[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)msg[i];
        out[i] = (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' ? (char)c : '?';
    }
    out[i] = '\0';
}

static const char *status_name(int status)
{
    return status == DDF_OK ? "ok" : status == DDF_EWIDEN ? "widen" : "error";
}

/* Bytes the response will take, or SIZE_MAX when a partial is too large to encode. */
static size_t response_size(const ddf_exec_result *res, size_t n)
{
    size_t total = 256, i;

    for (i = 0; i < n; i++) {
        size_t blob = 0;
        if (res[i].status == DDF_OK && res[i].table != NULL) {
            blob = ddf_codec_encoded_size(res[i].table);
            if (blob == SIZE_MAX || blob > SIZE_MAX / 2) return SIZE_MAX;
            blob = (blob + 2) / 3 * 4 + blob / 54; /* base64 plus xmlrpc-c's line breaks */
        }
        total += blob + ENTRY_OVERHEAD_BYTES + res[i].nneeded * 96;
    }
    return total;
}

static xmlrpc_value *result_value(xmlrpc_env *env, const char *srv_url, const ddf_plan *plan,
                                  const ddf_exec_result *r)
{
    char msg[DDF_ERROR_MSG_BYTES];
    xmlrpc_value *st = xmlrpc_struct_new(env);

    if (env->fault_occurred) return NULL;
    ddf_xr_put_i8(env, st, "index", (int64_t)r->index);
    ddf_xr_put_str(env, st, "status", status_name(r->status));
    if (r->status == DDF_ETOOBIG || r->status == DDF_ENOMEM) {
        /* memory trouble is this worker's, not the data's: say which worker */
        char full[DDF_ERROR_MSG_BYTES + DDF_REGISTRY_MAX_ID + 8];
        snprintf(full, sizeof full, "worker %s: %s", srv_url, r->err.msg);
        xml_safe(full, msg, sizeof msg);
    } else {
        xml_safe(r->status < 0 && r->status != DDF_EWIDEN ? r->err.msg : "", msg, sizeof msg);
    }
    ddf_xr_put_str(env, st, "error", msg);
    ddf_xr_put_int(env, st, "code",
                   r->status < 0 && r->status != DDF_EWIDEN ? DDF_WORKER_FAULT(r->status) : 0);
    ddf_xr_put_i8(env, st, "rows_in", (int64_t)r->rows_read);
    ddf_xr_put_i8(env, st, "rows_out", (int64_t)r->rows_out);
    ddf_xr_put_i8(env, st, "bad_lines", (int64_t)r->bad_lines);
    ddf_xr_put_bool(env, st, "cache_hit", r->cache_hit);
    if (r->nwarnings > 0 && !env->fault_occurred) {
        xmlrpc_value *arr = xmlrpc_array_new(env);

        for (size_t w = 0; w < r->nwarnings && !env->fault_occurred; w++) {
            xml_safe(r->warnings[w], msg, sizeof msg);
            ddf_xr_append(env, arr, xmlrpc_string_new(env, msg));
        }
        ddf_xr_put(env, st, "warnings", arr);
    }
    if (r->status == DDF_OK && r->table != NULL && !env->fault_occurred) {
        unsigned char *blob = NULL;
        size_t len = 0;
        ddf_error err;

        ddf_error_init(&err);
        if (ddf_codec_encode(r->table, &blob, &len, &err) < 0)
            ddf_server_fault(env, &err);
        else
            ddf_xr_put(env, st, "blob", xmlrpc_base64_new(env, len, blob));
        ddf_free(blob);
    }
    if (r->status == DDF_EWIDEN && r->needed != NULL && !env->fault_occurred) {
        xmlrpc_value *arr = xmlrpc_array_new(env);
        for (size_t c = 0; c < r->nneeded && c < plan->schema->ncols && !env->fault_occurred; c++) {
            xmlrpc_value *w;
            if (r->needed[c] == plan->schema->fields[c].dtype) continue;
            w = xmlrpc_struct_new(env);
            ddf_xr_put_str(env, w, "column", plan->schema->fields[c].name);
            ddf_xr_put_str(env, w, "dtype", ddf_dtype_name(r->needed[c]));
            ddf_xr_append(env, arr, w);
        }
        ddf_xr_put(env, st, "widen", arr);
    }
    if (env->fault_occurred) {
        xmlrpc_DECREF(st);
        return NULL;
    }
    return st;
}

/* plan.combine: when every partition succeeded, merge their group-by or value_counts
 * partials into the first entry's table and drop the others', so the answer carries one
 * partial for the whole call. Any failure, or a step that does not combine, leaves the
 * per-partition answer as it is: combining is an optimization, never an error. */
static bool combine_partials(ddf_server *srv, const ddf_plan *plan, ddf_exec_result *res)
{
    ddf_terminal_kind k = plan->terminal.kind;
    ddf_plan_compiled pc;
    ddf_merger *m = NULL;
    ddf_table *merged = NULL;
    ddf_arena *arena;
    ddf_error err;
    int rc;

    if ((k != DDF_TERM_GROUPBY && k != DDF_TERM_VALUE_COUNTS) || plan->nparts < 2)
        return false;
    for (size_t i = 0; i < plan->nparts; i++)
        if (res[i].status != DDF_OK || res[i].table == NULL)
            return false;
    if ((arena = ddf_arena_new()) == NULL)
        return false;
    ddf_error_init(&err);
    rc = ddf_plan_compile(plan, arena, &pc, &err);
    if (rc == DDF_OK) {
        rc = ddf_merger_new(&plan->terminal, pc.out, false, &m, &err);
        ddf_plan_compiled_fini(&pc);
    }
    for (size_t i = 0; rc == DDF_OK && i < plan->nparts; i++)
        rc = ddf_merger_add(m, res[i].index, res[i].table, &err);
    if (rc == DDF_OK)
        rc = ddf_merger_partial(m, &merged, &err);
    ddf_merger_free(m);
    ddf_arena_free(arena);
    if (rc < 0) {
        ddf_server_log(srv, DDF_LOG_WARN, "not combining partials: %s", err.msg);
        return false;
    }
    ddf_table_free(res[0].table);
    res[0].table = merged;
    for (size_t i = 1; i < plan->nparts; i++) {
        ddf_table_free(res[i].table);
        res[i].table = NULL;
    }
    return true;
}

static xmlrpc_value *m_run(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;
    ddf_exec_result *res = NULL;
    xmlrpc_value *out = NULL, *arr;
    ddf_exec_stats stats;
    ddf_plan plan;
    ddf_error err;
    size_t size, i;
    bool combined;

    (void)call;
    ddf_error_init(&err);
    if (ddf_xr_check_params(env, params, "ddf.run", 1, 1, "1 parameter (a plan struct)") < 0)
        return NULL;
    if (!ddf_server_plan_begin(srv)) {
        ddf_server_faultf(env, DDF_EUNREACH, "worker shutting down: %s takes no new plans",
                          srv->url);
        return NULL;
    }
    if (ddf_plan_decode(ddf_xr_param(params, 0), &plan, &err) < 0) {
        ddf_server_fault(env, &err);
        goto out_end;
    }
    if (ddf_plan_validate(&plan, srv->data_root, &err) < 0 ||
        ddf_exec_run(srv->exec, &plan, &res, &err) < 0) {
        char msg[DDF_ERROR_MSG_BYTES];
        xml_safe(err.msg, msg, sizeof msg);
        ddf_server_faultf(env, err.code < 0 ? err.code : DDF_EIO, "%s", msg);
        goto out_plan;
    }
    combined = plan.combine && combine_partials(srv, &plan, res);
    size = response_size(res, plan.nparts);
    if (size > DDF_WORKER_MAX_RESPONSE_BYTES) {
        if (size == SIZE_MAX)
            ddf_server_faultf(env, DDF_ETOOBIG,
                              "a partial is too large to encode on %s: ask "
                              "for fewer partitions per call",
                              srv->url);
        else
            ddf_server_faultf(env, DDF_ETOOBIG,
                              "response would be %zu bytes, over the %u MiB "
                              "limit of %s: ask for fewer partitions per call",
                              size, DDF_WORKER_MAX_RESPONSE_BYTES >> 20, srv->url);
        goto out_results;
    }
    arr = xmlrpc_array_new(env);
    for (i = 0; i < plan.nparts && !env->fault_occurred; i++)
        ddf_xr_append(env, arr, result_value(env, srv->url, &plan, &res[i]));
    out = xmlrpc_struct_new(env);
    ddf_xr_put(env, out, "results", arr);
    if (combined)
        ddf_xr_put_bool(env, out, "combined", true);
    if (env->fault_occurred && out != NULL) {
        xmlrpc_DECREF(out);
        out = NULL;
    }
out_results:
    ddf_exec_results_free(res, plan.nparts);
out_plan:
    ddf_plan_fini(&plan);
out_end:
    ddf_exec_get_stats(srv->exec, &stats);
    if (srv->keeper != NULL) /* set for the whole time calls are served */
        ddf_lease_keeper_update(srv->keeper, (int64_t)stats.cache.bytes,
                                (int64_t)stats.cache.entries);
    ddf_server_plan_end(srv);
    return out;
}

const struct xmlrpc_method_info3 ddf_method_run_info = {
    "ddf.run",
    m_run,
    NULL,
    DDF_WORKER_METHOD_STACK,
    "S:S",
    "ddf.run(plan) -> {results: [{index, status (ok|widen|error), error, code, blob (a table "
    "blob, status ok), widen ([{column, dtype}], status widen), rows_in, rows_out, "
    "bad_lines, cache_hit}]}: runs the plan's partitions on the worker's thread pool, one "
    "entry per partition in plan order. The plan struct (version, csv, schema, parts, steps, "
    "terminal) is specified in docs/protocol.md. Faults: a bad plan (naming the member, step "
    "or column), a response over 48 MiB (ask for fewer partitions), worker shutting down."};
