/* lease.c - the lease keeper: a thread that keeps one worker's registration alive.
 *
 * It owns its own registry connection (a ddf_registry is single-threaded) and refreshes the
 * lease every TTL/3, so two refreshes can fail before the lease expires. When Redis is down
 * it retries with a backoff that doubles from BACKOFF_MIN_MS up to min(TTL/3, 1 s); when
 * Redis comes back without the lease (restart, FLUSHALL, a long pause) the heartbeat script
 * registers again and publishes "join". The thread waits on a condition variable against
 * CLOCK_MONOTONIC, never in sleep(), so a stop request ends it at once.
 *
 * Locking: 'mu' guards 'stop', 'info.mem_used', 'info.partitions' and 'stats'; the thread
 * never holds it while talking to Redis. */
#include "registry_int.h"

#include "alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

struct ddf_lease_keeper {
    ddf_registry *reg;   /* used by the thread, then by stop() after the join */
    ddf_worker_info info;
    int64_t ttl_ms;
    int64_t interval_ms; /* TTL/3 */
    ddf_lease_log_fn *log;
    void *log_arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* signalled on stop */
    bool stop;
    ddf_lease_stats stats;
};

static void say(ddf_lease_keeper *k, const char *msg)
{
    if (k->log != NULL)
        k->log(k->log_arg, msg);
}

/* Wait until monotonic 'until_ms' or a stop request; true when asked to stop. Called with
 * 'mu' held. */
static bool wait_until(ddf_lease_keeper *k, int64_t until_ms)
{
    while (!k->stop) {
        int64_t now = ddf_registry_mono_ms();
        struct timespec ts;

        if (now >= until_ms)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (until_ms - now) * 1000000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&k->cond, &k->mu, &ts);
    }
    return k->stop;
}

static void *keeper_main(void *arg)
{
    ddf_lease_keeper *k = arg;
    int64_t backoff = BACKOFF_MIN_MS;
    int64_t cap = k->interval_ms < BACKOFF_MAX_MS ? k->interval_ms : BACKOFF_MAX_MS;
    int64_t next = ddf_registry_mono_ms() + k->interval_ms;
    char msg[DDF_REGISTRY_MAX_ID + DDF_ERROR_MSG_BYTES + 64];

    pthread_mutex_lock(&k->mu);
    while (!wait_until(k, next)) {
        ddf_worker_info w = k->info; /* a snapshot: figures may change while we talk */
        bool rejoined = false, was_connected = k->stats.connected;
        ddf_error err;
        int rc;

        pthread_mutex_unlock(&k->mu);
        ddf_error_init(&err);
        rc = ddf_registry_heartbeat(k->reg, &w, k->ttl_ms, &rejoined, &err);
        pthread_mutex_lock(&k->mu);
        if (rc == DDF_OK) {
            k->stats.heartbeats++;
            k->stats.connected = true;
            if (rejoined)
                k->stats.rejoins++;
            backoff = BACKOFF_MIN_MS;
            next = ddf_registry_mono_ms() + k->interval_ms;
        } else {
            k->stats.failures++;
            k->stats.connected = false;
            k->stats.last_error = err;
            next = ddf_registry_mono_ms() + backoff;
            backoff = backoff * 2 > cap ? cap : backoff * 2;
        }
        pthread_mutex_unlock(&k->mu);
        /* Log outside the lock: the callback may be slow or call back into us. */
        if (rc == DDF_OK && rejoined) {
            snprintf(msg, sizeof(msg), "lease of %s was gone; registered again (join)", w.id);
            say(k, msg);
        } else if (rc == DDF_OK && !was_connected) {
            snprintf(msg, sizeof(msg), "registry at %s is back", ddf_registry_url(k->reg));
            say(k, msg);
        } else if (rc < 0 && was_connected) {
            snprintf(msg, sizeof(msg), "heartbeat failed, retrying: %s", err.msg);
            say(k, msg);
        }
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

int ddf_lease_keeper_start(const ddf_registry_options *opt, const ddf_worker_info *w,
                           int64_t ttl_ms, ddf_lease_log_fn *log, void *log_arg,
                           ddf_lease_keeper **out, ddf_error *err)
{
    pthread_condattr_t ca;
    ddf_lease_keeper *k;
    int rc;

    *out = NULL;
    if (ttl_ms <= 0)
        ttl_ms = DDF_REGISTRY_DEFAULT_TTL_MS;
    if (ttl_ms < 30)
        return ddf_error_setf(err, DDF_EINVAL, "lease TTL of %lld ms is too short (>= 30)",
                              (long long)ttl_ms);
    k = ddf_calloc(1, sizeof(*k));
    if (k == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory starting the lease keeper");
    k->info = *w;
    if (k->info.started_ms <= 0)
        k->info.started_ms = ddf_registry_wall_ms(); /* uptime counts from the first join */
    k->ttl_ms = ttl_ms;
    k->interval_ms = ttl_ms / 3;
    k->log = log;
    k->log_arg = log_arg;
    rc = ddf_registry_new(opt, &k->reg, err);
    if (rc < 0)
        goto out_free;
    rc = ddf_registry_register(k->reg, &k->info, ttl_ms, err);
    if (rc < 0)
        goto out_registry;
    k->stats.connected = true;
    if (pthread_mutex_init(&k->mu, NULL) != 0) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot create the lease keeper's mutex");
        goto out_deregister;
    }
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&k->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot create the lease keeper's condition");
        goto out_mutex;
    }
    if (pthread_create(&k->thread, NULL, keeper_main, k) != 0) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot start the lease keeper's thread");
        goto out_cond;
    }
    *out = k;
    return DDF_OK;
out_cond:
    pthread_cond_destroy(&k->cond);
out_mutex:
    pthread_mutex_destroy(&k->mu);
out_deregister:
    ddf_registry_deregister(k->reg, k->info.id, NULL, NULL);
out_registry:
    ddf_registry_free(k->reg);
out_free:
    ddf_free(k);
    return rc;
}

void ddf_lease_keeper_update(ddf_lease_keeper *k, int64_t mem_used, int64_t partitions)
{
    pthread_mutex_lock(&k->mu);
    k->info.mem_used = mem_used;
    k->info.partitions = partitions;
    pthread_mutex_unlock(&k->mu);
}

void ddf_lease_keeper_stats(ddf_lease_keeper *k, ddf_lease_stats *out)
{
    pthread_mutex_lock(&k->mu);
    *out = k->stats;
    pthread_mutex_unlock(&k->mu);
}

int ddf_lease_keeper_stop(ddf_lease_keeper *k, bool deregister, ddf_error *err)
{
    int rc = DDF_OK;

    if (k == NULL)
        return DDF_OK;
    pthread_mutex_lock(&k->mu);
    k->stop = true;
    pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    if (deregister)
        rc = ddf_registry_deregister(k->reg, k->info.id, NULL, err);
    ddf_registry_free(k->reg);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->mu);
    ddf_free(k);
    return rc;
}
