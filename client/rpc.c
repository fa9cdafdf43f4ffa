/* rpc.c - parallel XML-RPC calls under one deadline (see rpc.h).
 *
 * Each call is started with xmlrpc_client_start_rpc and a response handler that records
 * its outcome; xmlrpc_client_event_loop_finish_timeout runs them all. At the deadline the
 * interrupt flag makes xmlrpc-c abort every pending transfer at once (their handlers run
 * with "Callback aborted"), which is why the handler must know the deadline passed: it
 * reports those as timeouts rather than as transport failures. */
#include "rpc.h"

#include "alloc.h"

#include <xmlrpc-c/client.h>

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct ddf_rpc {
    xmlrpc_client *client;
    char *secret;                 /* NULL: no auth */
    int interrupt;                /* xmlrpc-c's abort flag */
    volatile sig_atomic_t cancel; /* ddf_rpc_cancel: end the run under way */
    bool global_set;              /* xmlrpc_client_setup_global_const succeeded */
};

/* What a handler needs: its call, the run's start and whether the deadline passed. */
typedef struct call_ctx {
    ddf_rpc_call *call;
    const struct timespec *start;
    const bool *expired;
    bool done;
} call_ctx;

static double ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int ddf_rpc_new(const char *secret, ddf_rpc **out, ddf_error *err)
{
    struct xmlrpc_curl_xportparms curl;
    struct xmlrpc_clientparms cp;
    xmlrpc_env env;
    ddf_rpc *rpc;
    int rc = DDF_OK;

    *out = NULL;
    rpc = ddf_calloc(1, sizeof *rpc);
    if (rpc == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "XML-RPC client: out of memory");
    if (secret != NULL) {
        size_t len = strlen(secret);

        rpc->secret = ddf_malloc(len + 1);
        if (rpc->secret == NULL) {
            ddf_rpc_free(rpc);
            return ddf_error_setf(err, DDF_ENOMEM, "XML-RPC client: out of memory");
        }
        memcpy(rpc->secret, secret, len + 1);
    }
    xmlrpc_env_init(&env);
    xmlrpc_client_setup_global_const(&env); /* reference-counted by xmlrpc-c */
    if (!env.fault_occurred) {
        rpc->global_set = true;
        /* process-wide; large partial results travel as base64 (docs/protocol.md) */
        xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, DDF_RPC_MAX_RESPONSE_BYTES);
        memset(&curl, 0, sizeof curl);
        memset(&cp, 0, sizeof cp);
        curl.dont_advertise = 1;
        cp.transport = "curl";
        cp.transportparmsP = &curl;
        cp.transportparm_size = XMLRPC_CXPSIZE(dont_advertise);
        xmlrpc_client_create(&env, XMLRPC_CLIENT_NO_FLAGS, "ddf", "0.1", &cp,
                             XMLRPC_CPSIZE(transportparm_size), &rpc->client);
    }
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot set up the XML-RPC client: %s",
                            env.fault_string);
        xmlrpc_env_clean(&env);
        ddf_rpc_free(rpc);
        return rc;
    }
    xmlrpc_client_set_interrupt(rpc->client, &rpc->interrupt);
    xmlrpc_env_clean(&env);
    *out = rpc;
    return DDF_OK;
}

void ddf_rpc_free(ddf_rpc *rpc)
{
    if (rpc == NULL)
        return;
    if (rpc->client)
        xmlrpc_client_destroy(rpc->client);
    if (rpc->global_set)
        xmlrpc_client_teardown_global_const();
    ddf_free(rpc->secret);
    ddf_free(rpc);
}

void ddf_rpc_call_fini(ddf_rpc_call *call)
{
    if (call->result) {
        xmlrpc_DECREF(call->result);
        call->result = NULL;
    }
}

static void on_response(const char *server_url, const char *method, xmlrpc_value *params,
                        void *user, xmlrpc_env *fault, xmlrpc_value *result)
{
    call_ctx *ctx = user;
    ddf_rpc_call *call = ctx->call;
    const char *msg;

    (void)server_url;
    (void)method;
    (void)params;
    ctx->done = true;
    call->answered = true;
    call->elapsed_ms = ms_since(ctx->start);
    if (!fault->fault_occurred) {
        xmlrpc_INCREF(result);
        call->result = result;
        call->status = DDF_OK;
        return;
    }
    msg = fault->fault_string ? fault->fault_string : "unknown failure";
    if (*ctx->expired) {
        call->status = DDF_ETIMEDOUT;
        snprintf(call->message, sizeof call->message, "%s on %s: no answer within the deadline",
                 call->method, call->url);
    } else if (strstr(msg, "RPC failed at server") != NULL) {
        /* a fault the worker raised: its own words, without xmlrpc-c's preamble */
        const char *said = strstr(msg, "RPC failed at server.") + strlen("RPC failed at server.");

        while (*said == ' ')
            said++;
        call->status = strstr(msg, "authentication") ? DDF_EAUTH : DDF_EIO;
        call->fault_code = fault->fault_code;
        snprintf(call->message, sizeof call->message, "%s on worker %s: %s", call->method, call->url,
                 said);
    } else {
        /* the transport: curl's reason follows "explaining:" when there is one */
        const char *why = strstr(msg, "explaining: ");

        /* only the HTTP status may say 401: the message also holds times in ms */
        call->status = strstr(msg, "HTTP response code is 401") ? DDF_EAUTH : DDF_EUNREACH;
        snprintf(call->message, sizeof call->message, "%s on %s failed: %s", call->method,
                 call->url, why ? why + strlen("explaining: ") : msg);
    }
}

int ddf_rpc_run(ddf_rpc *rpc, ddf_rpc_call *calls, size_t n, int timeout_ms, ddf_error *err)
{
    return ddf_rpc_run_ticking(rpc, calls, n, timeout_ms, NULL, NULL, err);
}

static bool all_done(const call_ctx *ctx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ctx[i].done)
            return false;
    return true;
}

void ddf_rpc_cancel(ddf_rpc *rpc)
{
    rpc->cancel = 1;
}

void ddf_rpc_uncancel(ddf_rpc *rpc)
{
    rpc->cancel = 0;
}

int ddf_rpc_run_ticking(ddf_rpc *rpc, ddf_rpc_call *calls, size_t n, int timeout_ms,
                        ddf_rpc_tick_fn *tick, void *arg, ddf_error *err)
{
    bool cancelled = false;
    struct timespec start;
    call_ctx *ctx;
    xmlrpc_server_info **servers;
    bool expired = false;
    xmlrpc_env env;

    for (size_t i = 0; i < n; i++)
        if (calls[i].url == NULL || calls[i].method == NULL || calls[i].params == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "XML-RPC call %zu lacks a url, method or "
                                  "params", i);
    ctx = ddf_calloc(n ? n : 1, sizeof *ctx);
    servers = ddf_calloc(n ? n : 1, sizeof *servers);
    if (ctx == NULL || servers == NULL) {
        ddf_free(ctx);
        ddf_free(servers);
        return ddf_error_setf(err, DDF_ENOMEM, "XML-RPC calls: out of memory");
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    rpc->interrupt = 0;
    xmlrpc_env_init(&env);
    for (size_t i = 0; i < n; i++) {
        ddf_rpc_call *call = &calls[i];

        call->status = DDF_EUNREACH;
        call->fault_code = 0;
        call->message[0] = '\0';
        call->result = NULL;
        call->elapsed_ms = 0;
        call->answered = false;
        ctx[i].call = call;
        ctx[i].start = &start;
        ctx[i].expired = &expired;
        servers[i] = xmlrpc_server_info_new(&env, call->url);
        if (!env.fault_occurred && rpc->secret) {
            xmlrpc_server_info_set_user(&env, servers[i], "ddf", rpc->secret);
            if (!env.fault_occurred)
                xmlrpc_server_info_allow_auth_basic(&env, servers[i]);
        }
        if (!env.fault_occurred)
            xmlrpc_client_start_rpc(&env, rpc->client, servers[i], call->method, call->params,
                                    on_response, &ctx[i]);
        if (env.fault_occurred) { /* a bad URL, or no memory: this call only */
            ctx[i].done = true;
            call->answered = true;
            snprintf(call->message, sizeof call->message, "%s on %s: %s", call->method,
                     call->url, env.fault_string);
            xmlrpc_env_clean(&env);
            xmlrpc_env_init(&env);
        }
    }
    if (tick == NULL) {
        xmlrpc_client_event_loop_finish_timeout(rpc->client,
                                                (unsigned long)(timeout_ms > 0 ? timeout_ms : 0));
    } else {
        /* the same deadline, waited for in slices with a tick after each; a tick may
         * cancel the run */
        for (double left = timeout_ms; left > 0 && !all_done(ctx, n) && !rpc->cancel;
             left = timeout_ms - ms_since(&start)) {
            xmlrpc_client_event_loop_finish_timeout(
                rpc->client, (unsigned long)(left < DDF_RPC_TICK_MS ? left : DDF_RPC_TICK_MS) + 1);
            tick(arg, calls, n);
        }
        cancelled = rpc->cancel != 0;
    }
    expired = !all_done(ctx, n);
    if (expired) {
        rpc->interrupt = 1; /* every pending call's handler runs now, as a timeout */
        xmlrpc_client_event_loop_finish(rpc->client);
        rpc->interrupt = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (servers[i])
            xmlrpc_server_info_free(servers[i]);
    xmlrpc_env_clean(&env);
    ddf_free(servers);
    ddf_free(ctx);
    if (cancelled)
        return ddf_error_setf(err, DDF_EINTR, "interrupted");
    return DDF_OK;
}
