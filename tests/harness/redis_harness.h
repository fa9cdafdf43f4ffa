/* redis_harness.h - a private redis-server for tests, on a free loopback port.
 *
 * The server listens on 127.0.0.1 only, keeps nothing on disk (--save '' --appendonly no)
 * and can require a password. It never outlives the test: ddf_test_redis_free stops it, an
 * atexit handler kills any left running, and the child asks the kernel to SIGKILL it when
 * the thread that started it dies (PR_SET_PDEATHSIG) — so start servers from the main
 * thread. Every wait is bounded in time and in count. Failures are reported on stderr. */
#ifndef DDF_REDIS_HARNESS_H
#define DDF_REDIS_HARNESS_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

typedef struct ddf_test_redis ddf_test_redis;

/* Start a server ('password' may be NULL). NULL when it could not be started. */
ddf_test_redis *ddf_test_redis_start(const char *password);

/* Stop the server: SIGTERM, or SIGKILL when 'hard' (a crash); 0 once it has exited. */
int ddf_test_redis_stop(ddf_test_redis *r, bool hard);

/* Start it again on the same port (stopping it first if it runs); 0 once it answers. Data
 * is gone: nothing is saved. */
int ddf_test_redis_restart(ddf_test_redis *r);

/* Stop and free; NULL is a no-op. */
void ddf_test_redis_free(ddf_test_redis *r);

/* "redis://[:password@]127.0.0.1:PORT" (borrowed). */
const char *ddf_test_redis_url(const ddf_test_redis *r);
int ddf_test_redis_port(const ddf_test_redis *r);

/* A plain hiredis connection, authenticated, for checking what the code under test wrote.
 * NULL on failure. The caller redisFree()s it. */
redisContext *ddf_test_redis_connect(const ddf_test_redis *r);

/* A loopback port nobody listens on (bound and released: good enough for "refused"). */
int ddf_test_free_port(void);

/* Milliseconds on the monotonic clock, for bounded waits in tests. */
long long ddf_test_now_ms(void);

#endif
