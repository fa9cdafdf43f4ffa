/* server.h - ddf-worker's XML-RPC server: an HTTP/1.1 server (libmicrohttpd) in front of
 * xmlrpc-c's method registry, shared-secret auth, the ddf.* methods, and the worker's lease
 * in the registry (DESIGN §4, §5, §8).
 *
 * Lifecycle: ddf_server_new binds the listening socket (so the advertised URL, port 0
 * resolved, is known at once) and builds the method registry; ddf_server_run registers the
 * worker, serves until ddf_server_stop (a signal, or the ddf.shutdown method), then stops
 * taking plans, waits for the plans in flight, deregisters (publishing "leave") and returns.
 *
 * Threads: one thread per connection (http.c); every method is thread-safe. The lock order
 * is server lock, then the engine's own locks (methods never hold the server lock while
 * running a plan). ddf_server_stop may be called from any thread, but not from a signal
 * handler: main.c waits for signals on a thread of its own. */
#ifndef DDF_SERVER_H
#define DDF_SERVER_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

#define DDF_WORKER_VERSION "0.1.0"
/* Version of the worker's method set (docs/protocol.md, "Worker methods"). */
#define DDF_WORKER_PROTOCOL 1

/* A request document: well below xmlrpc-c's hard 128 MiB cap on any XML document, and far
 * above any plan (plans carry no bulk data). */
#define DDF_WORKER_MAX_REQUEST_BYTES (64u * 1024 * 1024)
/* A response document: the client (client/rpc.h) accepts 96 MiB; base64 grows blobs by 4/3,
 * so 48 MiB of XML leaves room for the XML around them. A plan whose results would be larger
 * fails and the client asks for fewer partitions per call. */
#define DDF_WORKER_MAX_RESPONSE_BYTES (48u * 1024 * 1024)
/* Simultaneous connections, one thread each: each client keeps one per parallel call (at
 * most 8 per worker), so this bounds the clients served at once. Past it, new connections
 * wait in the listen backlog until one closes. A thread's stack is reserved address space,
 * touched only as deep as a method goes. */
#define DDF_WORKER_MAX_CONN 512
/* Seconds a connection may stay silent, idle between calls or mid-request: a client that
 * hangs holds only its own connection thread, and only this long. A stopping worker
 * closes idle connections at once. */
#define DDF_WORKER_READ_TIMEOUT_S 30
/* Stack a method declares to xmlrpc-c (connection threads get the deepest method's plus
 * some for HTTP): the engine keeps buffers there. */
#define DDF_WORKER_METHOD_STACK (1024u * 1024)
/* Files one ddf.files call may return, and windows one ddf.scan call may ask for. */
#define DDF_WORKER_MAX_FILES   100000
#define DDF_WORKER_MAX_WINDOWS 65536
/* A shared secret: long enough for any generated key. */
#define DDF_WORKER_MAX_SECRET 1024

/* XML-RPC fault codes of the worker's own faults: the negated ddf status (DDF_EINVAL -2
 * gives faultCode 2), so a client maps a fault straight back to a status. */
#define DDF_WORKER_FAULT(code) (-(code))

typedef enum ddf_log_level {
    DDF_LOG_ERROR = 0,
    DDF_LOG_WARN,
    DDF_LOG_INFO,
    DDF_LOG_DEBUG,
} ddf_log_level;

typedef struct ddf_worker_config {
    const char *redis_url;   /* NULL: $DDF_REDIS, else the registry default */
    const char *cluster;     /* NULL: "default" */
    const char *listen_host; /* numeric IPv4 address to bind; NULL: "127.0.0.1" */
    int listen_port;         /* 0: any free port */
    const char *advertise;   /* host in the advertised URL; NULL: listen_host (or the
                                machine's name when listening on 0.0.0.0) */
    unsigned threads;        /* plan threads; 0: the number of online CPUs */
    uint64_t memory_limit;   /* bytes for cached partitions; 0: half of physical memory */
    const char *data_root;   /* files are read only below it; NULL: the current dir */
    const char *secret;      /* shared secret (HTTP Basic auth, user "ddf"); NULL only
                                with 'insecure' */
    bool insecure;           /* accept calls without auth (tests on a private host) */
    ddf_log_level log_level;
    int64_t lease_ttl_ms; /* <= 0: the registry default */
} ddf_worker_config;

void ddf_worker_config_init(ddf_worker_config *cfg);

typedef struct ddf_server ddf_server; /* opaque */

/* Check the configuration, resolve the data root, bind the socket and build the methods.
 * Nothing is registered yet. On error *out is NULL: DDF_EINVAL (bad option, no secret
 * without 'insecure'), DDF_ENOENT (data root), DDF_EIO (cannot bind), DDF_ENOMEM. */
int ddf_server_new(const ddf_worker_config *cfg, ddf_server **out, ddf_error *err);

/* The advertised URL, "http://host:port/RPC2": the worker's id in the registry. Borrowed. */
const char *ddf_server_url(const ddf_server *srv);

/* Register, call 'ready' (may be NULL) once calls are being accepted, serve until
 * ddf_server_stop, then drain and deregister. Returns DDF_OK after a clean stop, or the
 * registration's error (then nothing was served). */
int ddf_server_run(ddf_server *srv, void (*ready)(void *arg, const char *url), void *arg,
                   ddf_error *err);

/* Ask ddf_server_run to stop: new plans are refused from now on. Idempotent. */
void ddf_server_stop(ddf_server *srv);

void ddf_server_free(ddf_server *srv);

/* Whether a log line of 'level' is printed. */
bool ddf_server_logs(const ddf_server *srv, ddf_log_level level);

#endif
