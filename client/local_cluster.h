/* local_cluster.h - a private cluster on this machine: a redis-server on a free loopback
 * port and N ddf-worker processes, for the lifetime of one client (the `ddf` CLI without
 * --redis, tests, benchmarks).
 *
 * Nothing may outlive the client: every child is started with PR_SET_PDEATHSIG (SIGKILL),
 * so it dies when the thread that started the cluster exits — start it from the thread
 * that lives as long as the cluster, normally the main thread — and in a process group of
 * its own, so a Ctrl-C at the terminal reaches the client, which then stops the cluster
 * in order (workers first: they publish `leave`, then Redis). Redis listens on 127.0.0.1
 * only, with a random password; the workers get a random shared secret in a file only
 * the user can read (DESIGN §8). Every wait is bounded.
 *
 * Not thread-safe: one cluster belongs to one thread at a time. */
#ifndef DDF_LOCAL_CLUSTER_H
#define DDF_LOCAL_CLUSTER_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Workers of one local cluster (a laptop has at most a few dozen cores). */
#define DDF_LOCAL_MAX_WORKERS 256

typedef struct ddf_local_options {
    unsigned workers;          /* 0: one per online core */
    unsigned threads;          /* per worker; 0: the worker's default */
    uint64_t memory_limit;     /* per worker, bytes; 0: the worker's default */
    const char *worker_bin;    /* NULL: $DDF_WORKER_BIN, else ddf-worker next to the
                                  running program or in ../worker/, else PATH */
    const char *redis_bin;     /* NULL: redis-server from PATH */
    const char *data_root;     /* NULL: "/" (the client reads files as the user can) */
    const char *cluster;       /* NULL: "local" */
    int start_timeout_ms;      /* 0: 15000; for Redis, then for all workers to register */
    int lease_ttl_ms;          /* workers' registry lease; 0: the worker's default (10 s) */
} ddf_local_options;

void ddf_local_options_init(ddf_local_options *opt);

typedef struct ddf_local_cluster ddf_local_cluster; /* opaque */

/* Start Redis and the workers, and wait until every worker is registered. On error
 * nothing is left running and 'err' names what failed (the worker's last stderr line
 * when one exited early). DDF_ENOENT (a program not found), DDF_ETIMEDOUT, DDF_EIO. */
int ddf_local_cluster_start(const ddf_local_options *opt, ddf_local_cluster **out,
                            ddf_error *err);

/* Stop the workers (SIGTERM, then SIGKILL after a bounded wait), then Redis; remove the
 * temporary directory; free. NULL is a no-op. */
void ddf_local_cluster_stop(ddf_local_cluster *lc);

/* The Redis URL (with its password), the cluster name and the secret clients must use. */
const char *ddf_local_cluster_redis_url(const ddf_local_cluster *lc);
const char *ddf_local_cluster_name(const ddf_local_cluster *lc);
const char *ddf_local_cluster_secret(const ddf_local_cluster *lc);

/* Workers started so far (also those since killed), their URLs and pids. */
size_t ddf_local_cluster_size(const ddf_local_cluster *lc);
const char *ddf_local_cluster_worker_url(const ddf_local_cluster *lc, size_t i);
pid_t ddf_local_cluster_worker_pid(const ddf_local_cluster *lc, size_t i);

/* Start one more worker and wait until it is registered (fault tests, scaling up). */
int ddf_local_cluster_add_worker(ddf_local_cluster *lc, ddf_error *err);

/* Send 'sig' to worker i (fault tests: SIGKILL, SIGSTOP, SIGCONT, SIGTERM). A worker that
 * exits is reaped by ddf_local_cluster_stop. */
int ddf_local_cluster_signal_worker(ddf_local_cluster *lc, size_t i, int sig, ddf_error *err);

#endif
