/* test_ddf_redis.c - libddf against a cluster it did not start: a test Redis and two
 * ddf-worker processes. Redis is restarted between two actions, losing every key; the
 * workers' lease keepers register again, the client's registry connection comes back,
 * and the second action is as exact as the first. */
#include "testutil.h"

#include "ddf.h"
#include "redis_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WORKER_BIN
#error "WORKER_BIN must name the ddf-worker program"
#endif

#define ROWS 100000
#define NWORKERS 2

static pid_t start_worker(const char *redis_url)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (devnull >= 0)
            dup2(devnull, 1);
        execl(WORKER_BIN, WORKER_BIN, "--redis", redis_url, "--listen", "127.0.0.1:0",
              "--insecure", "--cluster", "restart", "--data-root", "/", "--threads", "1",
              "--log-level", "error", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_worker(pid_t pid)
{
    int status;

    kill(pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* Wait (bounded) until the registry lists 'want' workers. */
static void wait_workers(ddf_client *c, size_t want)
{
    size_t n = 0;
    ddf_error err;

    for (int i = 0; i < 300 && n != want; i++) {
        if (ddf_client_workers(c, &n, &err) != DDF_OK)
            n = 0;
        if (n != want)
            usleep(100000);
    }
    assert_int_equal(n, want);
}

static void check_sum(ddf_frame *f)
{
    const char *cols[] = {"v"};
    ddf_table *t = NULL;
    ddf_error err;

    if (ddf_frame_reduce(f, DDF_AGG_SUM, cols, 1, &t, &err) != DDF_OK)
        fail_msg("sum: %s", err.msg);
    assert_int_equal(t->columns[0].values.i64[0], (int64_t)ROWS * (ROWS - 1) / 2);
    ddf_table_free(t);
}

static void test_redis_restart_between_actions(void **state)
{
    char dir[] = "/tmp/ddf-test-redis-XXXXXX", path[64];
    ddf_test_redis *redis = ddf_test_redis_start(NULL);
    ddf_connect_options co;
    ddf_csv_options csv;
    ddf_client *c = NULL;
    ddf_frame *f = NULL;
    pid_t workers[NWORKERS];
    ddf_error err;
    FILE *out;

    (void)state;
    assert_non_null(redis);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/data.csv", dir);
    out = fopen(path, "w");
    assert_non_null(out);
    fprintf(out, "k,v\n");
    for (long i = 0; i < ROWS; i++)
        fprintf(out, "%ld,%ld\n", i % 3, i);
    assert_int_equal(fclose(out), 0);
    for (int w = 0; w < NWORKERS; w++)
        workers[w] = start_worker(ddf_test_redis_url(redis));

    ddf_connect_options_init(&co);
    co.redis_url = ddf_test_redis_url(redis);
    co.cluster = "restart";
    co.call_timeout_ms = 10000;
    if (ddf_connect(&co, &c, &err) != DDF_OK)
        fail_msg("connect: %s", err.msg);
    wait_workers(c, NWORKERS);
    ddf_csv_options_init(&csv);
    csv.blocksize = 32 * 1024;
    if (ddf_read_csv(c, path, &csv, &f, &err) != DDF_OK)
        fail_msg("read_csv: %s", err.msg);
    check_sum(f);

    assert_int_equal(ddf_test_redis_restart(redis), 0);
    /* the registry is empty now; each lease keeper re-registers within a heartbeat */
    wait_workers(c, NWORKERS);
    check_sum(f);

    ddf_frame_free(f);
    ddf_close(c);
    for (int w = 0; w < NWORKERS; w++)
        stop_worker(workers[w]);
    ddf_test_redis_free(redis);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_restart_between_actions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
