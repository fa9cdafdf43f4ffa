/* test_local_cluster.c - the private cluster a client starts (client/local_cluster.c),
 * with fake-ddf-worker standing in for ddf-worker: workers registered, one more added,
 * everything gone after stop, nothing left behind when the client is SIGKILLed, clear
 * errors for a missing or failing worker program. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "testutil.h"

#include "local_cluster.h"
#include "registry.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FAKE_WORKER
#error "FAKE_WORKER must name the fake-ddf-worker program"
#endif

static bool pid_gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

/* Wait up to 'ms' for 'pid' to disappear (it is not our child: we cannot reap it). */
static bool wait_gone(pid_t pid, int ms)
{
    for (int t = 0; t < ms; t += 10) {
        if (pid_gone(pid))
            return true;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return pid_gone(pid);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static size_t members(const ddf_local_cluster *lc)
{
    ddf_registry_options ro;
    ddf_registry *reg;
    ddf_worker_list list;
    ddf_error err;
    size_t n;

    ddf_registry_options_init(&ro);
    ro.redis_url = ddf_local_cluster_redis_url(lc);
    ro.cluster = ddf_local_cluster_name(lc);
    assert_int_equal(ddf_registry_new(&ro, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_discover(reg, false, &list, &err), DDF_OK);
    n = list.count;
    ddf_worker_list_fini(&list);
    ddf_registry_free(reg);
    return n;
}

static void test_workers_register_and_stop_leaves_nothing(void **state)
{
    ddf_local_options opt;
    ddf_local_cluster *lc;
    ddf_error err;
    pid_t pids[4];
    char dir_probe[256];

    (void)state;
    ddf_local_options_init(&opt);
    opt.workers = 3;
    opt.worker_bin = FAKE_WORKER;
    opt.data_root = "/tmp";
    assert_int_equal(ddf_local_cluster_start(&opt, &lc, &err), DDF_OK);
    assert_int_equal(ddf_local_cluster_size(lc), 3);
    assert_int_equal(members(lc), 3);
    assert_int_equal(strlen(ddf_local_cluster_secret(lc)), 48);
    assert_non_null(strstr(ddf_local_cluster_redis_url(lc), "redis://:"));
    assert_string_not_equal(ddf_local_cluster_worker_url(lc, 0),
                            ddf_local_cluster_worker_url(lc, 1));
    assert_int_equal(ddf_local_cluster_add_worker(lc, &err), DDF_OK);
    assert_int_equal(members(lc), 4);
    for (size_t i = 0; i < 4; i++)
        pids[i] = ddf_local_cluster_worker_pid(lc, i);
    /* a killed worker is reaped by stop, not an error */
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 2, SIGKILL, &err), DDF_OK);
    snprintf(dir_probe, sizeof dir_probe, "%s", ddf_local_cluster_redis_url(lc));
    ddf_local_cluster_stop(lc);
    for (size_t i = 0; i < 4; i++)
        assert_true(pid_gone(pids[i]));
}

static void test_a_killed_client_leaves_no_process_behind(void **state)
{
    int fds[2];
    pid_t client, pids[3];
    ssize_t got = 0;
    char tmp[] = "/tmp/ddf-lc-test-XXXXXX"; /* the killed client cannot remove its files */

    (void)state;
    assert_non_null(mkdtemp(tmp));
    assert_int_equal(pipe(fds), 0);
    client = fork();
    assert_true(client >= 0);
    if (client == 0) {
        ddf_local_options opt;
        ddf_local_cluster *lc;
        ddf_error err;
        pid_t mine[3];

        close(fds[0]);
        setenv("TMPDIR", tmp, 1);
        ddf_local_options_init(&opt);
        opt.workers = 2;
        opt.worker_bin = FAKE_WORKER;
        if (ddf_local_cluster_start(&opt, &lc, &err) != DDF_OK)
            _exit(1);
        mine[0] = ddf_local_cluster_worker_pid(lc, 0);
        mine[1] = ddf_local_cluster_worker_pid(lc, 1);
        mine[2] = 0;
        if (write(fds[1], mine, sizeof mine) != (ssize_t)sizeof mine)
            _exit(1);
        pause(); /* until SIGKILL */
        _exit(0);
    }
    close(fds[1]);
    while (got < (ssize_t)sizeof pids) {
        ssize_t n = read(fds[0], (char *)pids + got, sizeof pids - (size_t)got);
        assert_true(n > 0);
        got += n;
    }
    close(fds[0]);
    assert_false(pid_gone(pids[0]));
    kill(client, SIGKILL);
    waitpid(client, NULL, 0);
    assert_true(wait_gone(pids[0], 5000));
    assert_true(wait_gone(pids[1], 5000));
    assert_int_equal(nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_missing_or_failing_worker_programs_are_clear_errors(void **state)
{
    ddf_local_options opt;
    ddf_local_cluster *lc = NULL;
    ddf_error err;

    (void)state;
    ddf_local_options_init(&opt);
    opt.workers = 1;
    opt.worker_bin = "/nonexistent/ddf-worker";
    assert_int_equal(ddf_local_cluster_start(&opt, &lc, &err), DDF_ENOENT);
    assert_null(lc);
    assert_non_null(strstr(err.msg, "/nonexistent/ddf-worker"));
    opt.worker_bin = "/bin/false"; /* exits at once */
    opt.start_timeout_ms = 5000;
    assert_int_equal(ddf_local_cluster_start(&opt, &lc, &err), DDF_EIO);
    assert_null(lc);
    assert_non_null(strstr(err.msg, "exited at start"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workers_register_and_stop_leaves_nothing),
        cmocka_unit_test(test_a_killed_client_leaves_no_process_behind),
        cmocka_unit_test(test_missing_or_failing_worker_programs_are_clear_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
