/* registry_int.h - what the files of registry/ share and nobody else sees: the Redis
 * connection with deadlines (conn.c), the key names of one cluster, clocks. */
#ifndef DDF_REGISTRY_INT_H
#define DDF_REGISTRY_INT_H

#include "registry.h"

#include <hiredis/hiredis.h>

/* One Redis connection that knows its URL, credentials and deadline. 'ctx' is NULL while
 * disconnected; the next ddf_redis_call connects again (AUTH, SELECT, PING). */
typedef struct ddf_redis {
    ddf_redis_url url;
    char shown[DDF_REGISTRY_MAX_URL]; /* the URL without credentials, for messages */
    int timeout_ms;                   /* bound on every wait */
    redisContext *ctx;                /* NULL = disconnected */
} ddf_redis;

/* Parse the URL and connect (see ddf_registry_new for the codes). */
int ddf_redis_init(ddf_redis *r, const char *url_text, int timeout_ms, ddf_error *err);
void ddf_redis_fini(ddf_redis *r);

/* Connect if disconnected, waiting at most 'timeout_ms' for each step. */
int ddf_redis_ensure(ddf_redis *r, int timeout_ms, ddf_error *err);

/* Close the connection after an error that left it in an unknown state. */
void ddf_redis_drop(ddf_redis *r);

/* Send one command and wait for its reply, reconnecting once if a reused connection turns
 * out to be dead (Redis restarted). A Redis error reply becomes DDF_EIO with its text. On
 * success *reply is owned by the caller (freeReplyObject). */
int ddf_redis_call(ddf_redis *r, int argc, const char **argv, redisReply **reply,
                   ddf_error *err);

/* Queue a command and write it out within the timeout (no reply awaited). */
int ddf_redis_send(ddf_redis *r, int argc, const char **argv, ddf_error *err);

/* Queue a command in the output buffer only. */
int ddf_redis_append(ddf_redis *r, int argc, const char **argv, ddf_error *err);

/* Write the output buffer until 'deadline_ms': 1 all written, 0 at the deadline (the rest
 * stays queued for the next call), negative after an I/O error (connection dropped). */
int ddf_redis_flush(ddf_redis *r, int64_t deadline_ms, ddf_error *err);

/* Start a non-blocking connect (replacing any connection); no handshake is sent. Whether it
 * succeeded shows when the first queued command is flushed or its reply read. */
int ddf_redis_connect_nonblock(ddf_redis *r, ddf_error *err);

/* Wait until 'deadline_ms' (monotonic) for one reply. Returns 1 with *reply, 0 at the
 * deadline (the connection is still usable: nothing was half-read into *reply), or a
 * negative code after an I/O error (the connection is dropped). */
int ddf_redis_recv(ddf_redis *r, int64_t deadline_ms, redisReply **reply, ddf_error *err);

/* Key names of one cluster. */
typedef struct ddf_registry_keys {
    char prefix[16 + DDF_REGISTRY_MAX_CLUSTER];  /* "ddf:<cluster>:" */
    char workers[32 + DDF_REGISTRY_MAX_CLUSTER]; /* "ddf:<cluster>:workers" */
    char events[32 + DDF_REGISTRY_MAX_CLUSTER];  /* "ddf:<cluster>:events" */
} ddf_registry_keys;

/* Fill 'keys' for 'cluster' (NULL: the default); DDF_EINVAL for a bad name. */
int ddf_registry_keys_init(ddf_registry_keys *keys, const char *cluster, ddf_error *err);

/* Clocks in ms: monotonic for deadlines, wall for timestamps. */
int64_t ddf_registry_mono_ms(void);
int64_t ddf_registry_wall_ms(void);

#endif
