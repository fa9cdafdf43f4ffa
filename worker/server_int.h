/* server_int.h - what server.c and the method files share: the server's state and the helpers
 * that turn ddf errors into XML-RPC faults (the one place that mapping lives). */
#ifndef DDF_SERVER_INT_H
#define DDF_SERVER_INT_H

#include "server.h"

#include "exec.h"
#include "registry.h"

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/server.h>

#include <linux/limits.h> /* PATH_MAX; <limits.h> would find common/limits.h */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

struct ddf_server {
    /* Fixed after ddf_server_new: read by any thread without the lock. */
    char url[DDF_REGISTRY_MAX_ID]; /* advertised URL = worker id */
    char host[256];                /* advertised host */
    char data_root[PATH_MAX];      /* realpath of --data-root */
    char *auth_expected;           /* "Basic base64(ddf:secret)", NULL when insecure */
    char redis_url[DDF_REGISTRY_MAX_URL];
    char cluster[DDF_REGISTRY_MAX_CLUSTER + 1];
    unsigned threads;
    uint64_t memory_limit; /* bytes */
    ddf_log_level log_level;
    int64_t lease_ttl_ms;
    int64_t started_ms;      /* wall clock, ms since the epoch */
    struct timespec started; /* CLOCK_MONOTONIC, for uptime */
    int listen_fd;           /* ours: the HTTP server is handed it, never closes it */
    xmlrpc_registry *registry;
    struct MHD_Daemon *httpd; /* while ddf_server_run serves (http.c) */
    bool http_quiesced;
    ddf_lease_keeper *keeper; /* set while ddf_server_run runs */
    ddf_exec *exec;           /* thread pool + partition cache (thread-safe) */

    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t idle;  /* signalled when plans_running drops to 0 */
    pthread_cond_t wake;  /* signalled on a stop request and when requests_active drops to 0 */
    bool stopping;        /* no new plans */
    unsigned plans_running;
    unsigned requests_active; /* HTTP requests from their headers until answered (http.c) */
    uint64_t plans_served;
    uint64_t calls_refused; /* failed auth */
};

/* Log a line on stderr when 'level' is enabled: "ddf-worker: <level>: <message>". */
void ddf_server_log(const ddf_server *srv, ddf_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set 'env' to the fault for 'err' (code DDF_WORKER_FAULT(err->code), message err->msg). */
void ddf_server_fault(xmlrpc_env *env, const ddf_error *err);

/* Set 'env' to a fault with a formatted message; 'code' is a ddf status. */
void ddf_server_faultf(xmlrpc_env *env, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The HTTP server (http.c): serve calls on listen_fd from threads of its own; stop
 * accepting connections (those open are still served); close every connection and join
 * the threads (a method running is waited for). */
int ddf_http_start(ddf_server *srv, ddf_error *err);
void ddf_http_quiesce(ddf_server *srv);
void ddf_http_stop(ddf_server *srv);

/* Register the ddf.* methods (methods.c) with 'srv' as their server info. */
int ddf_methods_register(ddf_server *srv, xmlrpc_registry *registry, ddf_error *err);

/* ddf.run (method_run.c); serverInfo is filled in by ddf_methods_register. */
extern const struct xmlrpc_method_info3 ddf_method_run_info;

/* ---- XML-RPC value helpers (methods.c). Each does nothing once env->fault_occurred. ---- */

/* Item i of a parameter array, borrowed (the array keeps a reference); NULL if absent. */
xmlrpc_value *ddf_xr_param(xmlrpc_value *params, int i);
/* The number of parameters, or -1 with a fault ("M takes USAGE; got N parameters") when it
 * is not in [min, max]. */
int ddf_xr_check_params(xmlrpc_env *env, xmlrpc_value *params, const char *method, int min, int max,
                        const char *usage);
/* Whether s[len] can travel as an XML-RPC <string> unchanged: valid UTF-8 without control
 * characters other than tab and newline (XML 1.0 forbids them; xmlrpc-c drops CR). */
bool ddf_xr_is_text(const char *s, size_t len);
/* A <string> when 's' is XML text, else <base64> of its bytes. New reference. */
xmlrpc_value *ddf_xr_text(xmlrpc_env *env, const char *s);
/* Set member 'key' of struct 'st'; ddf_xr_put consumes 'v' (a new reference). */
void ddf_xr_put(xmlrpc_env *env, xmlrpc_value *st, const char *key, xmlrpc_value *v);
void ddf_xr_put_i8(xmlrpc_env *env, xmlrpc_value *st, const char *key, int64_t i);
void ddf_xr_put_int(xmlrpc_env *env, xmlrpc_value *st, const char *key, int i);
void ddf_xr_put_str(xmlrpc_env *env, xmlrpc_value *st, const char *key, const char *s);
void ddf_xr_put_bool(xmlrpc_env *env, xmlrpc_value *st, const char *key, bool b);
/* Append 'v' (consumed) to array 'arr'. */
void ddf_xr_append(xmlrpc_env *env, xmlrpc_value *arr, xmlrpc_value *v);

/* A plan starts (false, and nothing counted, once the server is stopping) / ends. */
bool ddf_server_plan_begin(ddf_server *srv);
void ddf_server_plan_end(ddf_server *srv);

#endif
