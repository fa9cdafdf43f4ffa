/* registry.h - libddf_registry: cluster membership kept in Redis (DESIGN §4).
 *
 * Keys, all under the prefix "ddf:<cluster>:":
 *   workers          set of worker ids; an id is the worker's endpoint URL
 *   worker:<id>      hash with a TTL, the worker's lease: url, host, pid, threads,
 *                    mem_limit, mem_used, partitions, version, started, refreshed (both ms
 *                    since the epoch, Redis' clock for refreshed), static ("1" for an
 *                    endpoint admitted by hand: no TTL)
 *   events           pub/sub channel: "join <id>", "leave <id>", "dead <id>"
 *
 * A member of 'workers' whose lease hash is gone is dead; discovery removes it and publishes
 * "dead" (exactly once, even with concurrent pruners). A worker whose lease vanished while it
 * still runs re-registers at its next heartbeat and publishes "join" again.
 *
 * Every network wait has a deadline (ddf_registry_options.timeout_ms): a down, unreachable or
 * silent Redis yields DDF_EUNREACH or DDF_ETIMEDOUT with a message naming the URL, a refused
 * password DDF_EAUTH. Messages never show the password.
 *
 * Threads: a ddf_registry, ddf_subscriber or ddf_lease_keeper handle is used by one thread at
 * a time; separate handles are independent (each has its own connection). The lease keeper's
 * own functions may be called from any thread. */
#ifndef DDF_REGISTRY_H
#define DDF_REGISTRY_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Used when neither an explicit URL nor DDF_REDIS is given. */
#define DDF_REGISTRY_DEFAULT_URL "redis://127.0.0.1:6379"
#define DDF_REGISTRY_DEFAULT_CLUSTER "default"
/* Lease TTL (DESIGN §4); a keeper refreshes it every TTL/3. */
#define DDF_REGISTRY_DEFAULT_TTL_MS 10000
/* Bound on each network wait: connect, one command's reply, a SUBSCRIBE confirmation. */
#define DDF_REGISTRY_DEFAULT_TIMEOUT_MS 2000

/* A Redis URL is typed by a person or a script; 1 KiB is far above any real one. */
#define DDF_REGISTRY_MAX_URL 1024
/* Worker ids are endpoint URLs ("http://10.0.0.5:7070/RPC2"). */
#define DDF_REGISTRY_MAX_ID 512
/* Cluster names become part of every key: short, [A-Za-z0-9_.-]. */
#define DDF_REGISTRY_MAX_CLUSTER 64
/* Members returned by one discovery: bounds the memory a hostile Redis can make us take. */
#define DDF_REGISTRY_MAX_MEMBERS 65536

/* ---- Redis URLs: redis://[user:password@]host:port[/db] ------------------------------ */

typedef struct ddf_redis_url {
    char host[256];     /* host name or IPv4 address; "[v6]" brackets removed */
    int port;           /* 1..65535, always given explicitly */
    int db;             /* SELECT index, 0 when absent */
    char user[128];     /* ACL user name, "" for none (AUTH pass) */
    char password[256]; /* "" for none */
    bool has_password;  /* AUTH is sent on every (re)connect */
} ddf_redis_url;

/* Parse 'text'. On error: DDF_EINVAL, 'err' names the URL (password hidden) and the problem
 * (missing port, bad port, bad db, junk after ...), *out is zeroed. Percent escapes in user
 * and password are decoded. */
int ddf_redis_url_parse(const char *text, ddf_redis_url *out, ddf_error *err);

/* Write "redis://host:port[/db]" (never the credentials) into buf[len]. */
void ddf_redis_url_format(const ddf_redis_url *url, char *buf, size_t len);

/* The URL to use: 'explicit_url' if not NULL, else $DDF_REDIS if set and non-empty, else
 * DDF_REGISTRY_DEFAULT_URL. The result is borrowed from the argument or the environment. */
const char *ddf_redis_url_choose(const char *explicit_url);

/* ---- Opening a registry ------------------------------------------------------------- */

typedef struct ddf_registry_options {
    const char *redis_url; /* NULL: $DDF_REDIS, else DDF_REGISTRY_DEFAULT_URL */
    const char *cluster;   /* NULL: DDF_REGISTRY_DEFAULT_CLUSTER */
    int timeout_ms;        /* every network wait; <= 0: DDF_REGISTRY_DEFAULT_TIMEOUT_MS */
} ddf_registry_options;

void ddf_registry_options_init(ddf_registry_options *opt);

typedef struct ddf_registry ddf_registry; /* opaque: one Redis connection + key names */

/* Connect, AUTH, SELECT and PING. On error: a negative code (DDF_EINVAL for a bad URL or
 * cluster name, DDF_EUNREACH, DDF_ETIMEDOUT, DDF_EAUTH), *out is NULL. A connection lost
 * later is re-established by the next call (one retry per call). */
int ddf_registry_new(const ddf_registry_options *opt, ddf_registry **out, ddf_error *err);
void ddf_registry_free(ddf_registry *reg);

/* "redis://host:port[/db]" of this registry, for messages. Borrowed from 'reg'. */
const char *ddf_registry_url(const ddf_registry *reg);

/* ---- Members ---------------------------------------------------------------------- */

/* One member as stored in its lease hash. Strings are truncated to fit. */
typedef struct ddf_worker_info {
    char id[DDF_REGISTRY_MAX_ID]; /* endpoint URL: http://host:port/path */
    char host[256];               /* where it runs (informational) */
    int64_t pid;
    int64_t threads;
    int64_t mem_limit;    /* bytes, 0 = unknown */
    int64_t mem_used;     /* bytes */
    int64_t partitions;   /* partitions cached */
    char version[64];
    int64_t started_ms;   /* ms since the epoch; 0 when registering: now */
    int64_t refreshed_ms; /* ms since the epoch, Redis' clock: last register/heartbeat */
    int64_t ttl_ms;       /* lease left when discovered; -1 for a static member */
    bool is_static;       /* admitted by `ddf-registry add`: no TTL, no heartbeat */
} ddf_worker_info;

/* Whether 'id' is usable as a worker id: an http:// or https:// URL of printable,
 * space-free characters, shorter than DDF_REGISTRY_MAX_ID. */
bool ddf_registry_id_is_valid(const char *id);

/* Worker side. Register 'w' with a lease of 'ttl_ms' (SADD + HSET + PEXPIRE + PUBLISH join in
 * one Lua script). ttl_ms == 0 admits a static member: static=1, no TTL. */
int ddf_registry_register(ddf_registry *reg, const ddf_worker_info *w, int64_t ttl_ms,
                          ddf_error *err);

/* Refresh the lease (all fields + TTL). If the lease or the set entry was gone, register
 * again and publish "join": *rejoined (may be NULL) is then true. */
int ddf_registry_heartbeat(ddf_registry *reg, const ddf_worker_info *w, int64_t ttl_ms,
                           bool *rejoined, ddf_error *err);

/* Remove 'id' (SREM + DEL) and publish "leave" if it was a member; *was_member may be NULL. */
int ddf_registry_deregister(ddf_registry *reg, const char *id, bool *was_member,
                            ddf_error *err);

/* Client side: the live members, sorted by id. */
typedef struct ddf_worker_list {
    ddf_worker_info *items; /* owned, ddf_worker_list_fini frees */
    size_t count;
    int64_t now_ms; /* Redis' clock when read: lease age = now_ms - refreshed_ms */
    size_t pruned;  /* dead members this call removed (and published "dead" for) */
} ddf_worker_list;

/* Read every member and its lease in one atomic script. With 'prune', members whose lease
 * is gone are removed, each with one "dead" event (a second pruner racing us publishes
 * nothing for the same member). Without it, dead members are skipped. On error *out is
 * empty. */
int ddf_registry_discover(ddf_registry *reg, bool prune, ddf_worker_list *out, ddf_error *err);
void ddf_worker_list_fini(ddf_worker_list *list);

/* Prune dead members now; *pruned (may be NULL) is how many this call removed. */
int ddf_registry_reap(ddf_registry *reg, size_t *pruned, ddf_error *err);

/* ---- Events ----------------------------------------------------------------------- */

typedef enum ddf_registry_event_kind {
    DDF_REGISTRY_EVENT_JOIN,
    DDF_REGISTRY_EVENT_LEAVE,
    DDF_REGISTRY_EVENT_DEAD,
    /* The subscription was lost and is back (Redis restarted): events in between were
     * missed, so a client should discover again. 'id' is empty. */
    DDF_REGISTRY_EVENT_RESYNC,
} ddf_registry_event_kind;

typedef struct ddf_registry_event {
    ddf_registry_event_kind kind;
    char id[DDF_REGISTRY_MAX_ID];
    int64_t received_ms; /* local clock, ms since the epoch */
} ddf_registry_event;

/* "join", "leave", "dead" or "resync". */
const char *ddf_registry_event_name(ddf_registry_event_kind kind);

typedef struct ddf_subscriber ddf_subscriber; /* opaque: a connection in subscribed mode */

/* Connect and SUBSCRIBE to the cluster's events (confirmed before returning). */
int ddf_subscriber_new(const ddf_registry_options *opt, ddf_subscriber **out, ddf_error *err);
void ddf_subscriber_free(ddf_subscriber *sub);

/* Wait at most 'timeout_ms' for the next event. Returns 1 with *ev filled, 0 on timeout, or
 * a negative code for what reconnecting cannot fix (a refused password). A lost connection
 * is re-established (AUTH, SELECT, SUBSCRIBE) within the same deadline; while Redis is down
 * the call keeps trying and returns 0 at the deadline. */
int ddf_subscriber_next(ddf_subscriber *sub, int timeout_ms, ddf_registry_event *ev,
                        ddf_error *err);

/* Whether the subscription is currently established. */
bool ddf_subscriber_is_connected(const ddf_subscriber *sub);

/* ---- Lease keeper ----------------------------------------------------------------- */

typedef struct ddf_lease_keeper ddf_lease_keeper; /* opaque: a thread + its own connection */

typedef struct ddf_lease_stats {
    uint64_t heartbeats; /* successful refreshes */
    uint64_t failures;   /* failed attempts (Redis down, timeout) */
    uint64_t rejoins;    /* times the lease was gone and "join" was published again */
    bool connected;      /* the last attempt succeeded */
    ddf_error last_error;
} ddf_lease_stats;

/* Called from the keeper's thread on a state change (lost, rejoined, back). 'msg' is
 * borrowed for the call. */
typedef void ddf_lease_log_fn(void *arg, const char *msg);

/* Register 'w' now (an error here means Redis cannot be used: nothing to stop), then start a
 * thread that heartbeats every ttl_ms/3 (ttl_ms <= 0: the default), reconnecting with a
 * bounded backoff while Redis is down. 'log' may be NULL. */
int ddf_lease_keeper_start(const ddf_registry_options *opt, const ddf_worker_info *w,
                           int64_t ttl_ms, ddf_lease_log_fn *log, void *log_arg,
                           ddf_lease_keeper **out, ddf_error *err);

/* Figures sent with the next heartbeat. */
void ddf_lease_keeper_update(ddf_lease_keeper *k, int64_t mem_used, int64_t partitions);

void ddf_lease_keeper_stats(ddf_lease_keeper *k, ddf_lease_stats *out);

/* Stop the thread (promptly: it never sleeps past a stop request), then, with 'deregister',
 * remove the member and publish "leave". Frees 'k' in every case; NULL is a no-op. Returns
 * the deregistration's status. */
int ddf_lease_keeper_stop(ddf_lease_keeper *k, bool deregister, ddf_error *err);

#endif
