/* rpc.h - XML-RPC calls to many workers at once, under one deadline (DESIGN §3).
 *
 * An action calls every worker in parallel, never one after the other: ddf_rpc_run starts
 * all calls with xmlrpc-c's asynchronous client and runs its event loop until every call
 * has answered or the deadline has passed. xmlrpc-c's own per-call timeout is checked only
 * every ~3 s, so the deadline is enforced here: the loop runs with a timeout accurate to a
 * millisecond, and calls still pending then are aborted together and reported as
 * DDF_ETIMEDOUT. A call's failure never fails the others: each call has its own status.
 *
 * With a shared secret (DESIGN §8) every call carries it as HTTP Basic auth, user "ddf".
 * Not thread-safe: one ddf_rpc belongs to one thread at a time (one xmlrpc-c client). */
#ifndef DDF_RPC_H
#define DDF_RPC_H

#include "error.h"

#include <xmlrpc-c/base.h>

#include <stdbool.h>
#include <stddef.h>

/* Bytes of an XML-RPC document this client accepts: under xmlrpc-c's hard 128 MiB cap,
 * and what a worker's response is bounded by (docs/protocol.md). */
#define DDF_RPC_MAX_RESPONSE_BYTES (96u * 1024 * 1024)

typedef struct ddf_rpc ddf_rpc; /* opaque */

/* One call. The caller fills url, method and params (borrowed until ddf_rpc_run returns);
 * ddf_rpc_run fills the rest. */
typedef struct ddf_rpc_call {
    const char *url;          /* "http://host:port/RPC2" */
    const char *method;
    xmlrpc_value *params;     /* an array */
    int status;               /* DDF_OK; DDF_ETIMEDOUT (no answer by the deadline);
                                 DDF_EUNREACH (refused, reset, not HTTP, ...);
                                 DDF_EAUTH (the secret was refused); DDF_EIO (a fault
                                 from the worker: fault_code and message say which) */
    int fault_code;           /* the XML-RPC fault code, or 0 */
    char message[512];        /* why, when status != DDF_OK */
    xmlrpc_value *result;     /* DDF_OK: the answer, owned by the call (ddf_rpc_call_fini) */
    double elapsed_ms;        /* from the start of ddf_rpc_run to this call's answer */
    bool answered;            /* its answer (or failure) is in: set while the run goes on */
} ddf_rpc_call;

/* A client in *out (free with ddf_rpc_free); 'secret' may be NULL (no auth). DDF_EIO when
 * xmlrpc-c cannot be set up, DDF_ENOMEM. */
int ddf_rpc_new(const char *secret, ddf_rpc **out, ddf_error *err);
void ddf_rpc_free(ddf_rpc *rpc);

/* Start calls[0..n) at once and wait until each has answered or 'timeout_ms' has passed;
 * fills each call's status and result. Returns DDF_OK when the calls ran (each may still
 * have failed: look at their status), DDF_EINVAL for a call without url/method/params. */
int ddf_rpc_run(ddf_rpc *rpc, ddf_rpc_call *calls, size_t n, int timeout_ms, ddf_error *err);

/* ddf_rpc_run, calling 'tick' (when not NULL) about every DDF_RPC_TICK_MS while calls are
 * out, on the caller's thread, with the calls as they stand ('answered' tells which are
 * in). A progress display hangs on it; the deadline is the same. */
#define DDF_RPC_TICK_MS 200
typedef void ddf_rpc_tick_fn(void *arg, const ddf_rpc_call *calls, size_t n);
int ddf_rpc_run_ticking(ddf_rpc *rpc, ddf_rpc_call *calls, size_t n, int timeout_ms,
                        ddf_rpc_tick_fn *tick, void *arg, ddf_error *err);

/* Make the ticking run under way (or the next one) stop at its next tick: the calls still
 * out are abandoned (their handlers run as failures) and it returns DDF_EINTR. Only sets
 * a flag: safe from a tick, another thread or a signal handler. ddf_rpc_uncancel clears
 * it (a new action). */
void ddf_rpc_cancel(ddf_rpc *rpc);
void ddf_rpc_uncancel(ddf_rpc *rpc);

/* Release a call's result (safe to call twice). */
void ddf_rpc_call_fini(ddf_rpc_call *call);

#endif
