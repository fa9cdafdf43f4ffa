/* test_registry_lease.c - the lease keeper (registry/lease.c): it keeps a member alive,
 * carries updated figures, stops promptly, and comes back within one TTL after Redis
 * restarts without its data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redis_harness.h"
#include "registry.h"
#include "testutil.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

static ddf_test_redis *g_redis;

static int group_setup(void **state)
{
    (void)state;
    g_redis = ddf_test_redis_start(NULL);
    return g_redis != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ddf_test_redis_free(g_redis);
    return 0;
}

static ddf_registry_options options(const char *cluster)
{
    ddf_registry_options opt;

    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = cluster;
    return opt;
}

static ddf_worker_info worker(void)
{
    ddf_worker_info w;

    memset(&w, 0, sizeof(w));
    snprintf(w.id, sizeof(w.id), "http://127.0.0.1:7070/RPC2");
    snprintf(w.version, sizeof(w.version), "test");
    w.threads = 8;
    return w;
}

/* Members of the cluster seen by 'reg' right now (no pruning), or -1 on error. */
static int count_members(ddf_registry *reg, int64_t *mem_used)
{
    ddf_worker_list l;
    ddf_error err;
    int n;

    if (ddf_registry_discover(reg, false, &l, &err) != DDF_OK)
        return -1;
    n = (int)l.count;
    if (n > 0 && mem_used != NULL)
        *mem_used = l.items[0].mem_used;
    ddf_worker_list_fini(&l);
    return n;
}

typedef struct log_sink {
    int lines;
    char last[256];
} log_sink;

static void on_log(void *arg, const char *msg)
{
    log_sink *s = arg;

    s->lines++;
    snprintf(s->last, sizeof(s->last), "%s", msg);
}

static void test_keeper_keeps_a_short_lease_alive_and_carries_figures(void **state)
{
    ddf_registry_options opt = options("keep");
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_registry *reg = NULL;
    ddf_lease_stats st;
    ddf_error err;
    int64_t used = 0;

    (void)state;
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, 300, NULL, NULL, &k, &err), DDF_OK);
    assert_int_equal(count_members(reg, NULL), 1);
    ddf_lease_keeper_update(k, 4242, 7);
    /* Three TTLs: without heartbeats the lease would be long gone. */
    poll(NULL, 0, 900);
    assert_int_equal(count_members(reg, &used), 1);
    assert_int_equal(used, 4242);
    ddf_lease_keeper_stats(k, &st);
    assert_true(st.heartbeats >= 4);
    assert_int_equal(st.rejoins, 0);
    assert_true(st.connected);
    assert_int_equal(ddf_lease_keeper_stop(k, true, &err), DDF_OK);
    assert_int_equal(count_members(reg, NULL), 0);
    ddf_registry_free(reg);
}

static void test_keeper_stops_promptly_with_a_long_ttl(void **state)
{
    ddf_registry_options opt = options("prompt");
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_subscriber *sub = NULL;
    ddf_registry_event ev;
    ddf_error err;
    long long t0;

    (void)state;
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, 10000, NULL, NULL, &k, &err), DDF_OK);
    poll(NULL, 0, 50);
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_lease_keeper_stop(k, true, &err), DDF_OK);
    assert_true(ddf_test_now_ms() - t0 < 500); /* far below TTL/3: no sleeping through it */
    assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1);
    assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_JOIN);
    assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1);
    assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_LEAVE);
    assert_string_equal(ev.id, w.id);
    ddf_subscriber_free(sub);
    assert_int_equal(ddf_lease_keeper_stop(NULL, true, &err), DDF_OK);
}

static void test_keeper_rejoins_within_one_ttl_after_a_redis_restart(void **state)
{
    enum { TTL = 600 };
    ddf_registry_options opt = options("restart");
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_registry *reg = NULL;
    ddf_lease_stats st;
    log_sink sink = {0, ""};
    ddf_error err;
    long long t0;
    int n = 0;

    (void)state;
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, TTL, on_log, &sink, &k, &err), DDF_OK);
    assert_int_equal(ddf_test_redis_stop(g_redis, true), 0);
    poll(NULL, 0, TTL / 2); /* a heartbeat or two fail meanwhile */
    assert_int_equal(ddf_test_redis_restart(g_redis), 0);
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    /* The restarted Redis has no data; the member must be back within one TTL. */
    while (ddf_test_now_ms() - t0 < 3 * TTL) {
        n = count_members(reg, NULL);
        if (n == 1)
            break;
        poll(NULL, 0, 10);
    }
    assert_int_equal(n, 1);
    assert_true(ddf_test_now_ms() - t0 <= TTL);
    ddf_lease_keeper_stats(k, &st);
    assert_int_equal(st.rejoins, 1);
    assert_true(st.failures >= 1);
    assert_int_equal(ddf_lease_keeper_stop(k, true, &err), DDF_OK);
    assert_true(sink.lines >= 2); /* "heartbeat failed", then "registered again" */
    assert_non_null(strstr(sink.last, "registered again"));
    ddf_registry_free(reg);
}

static void test_keeper_stops_promptly_while_redis_is_down(void **state)
{
    ddf_registry_options opt = options("downstop");
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_lease_stats st;
    ddf_error err;
    long long t0;

    (void)state;
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, 300, NULL, NULL, &k, &err), DDF_OK);
    assert_int_equal(ddf_test_redis_stop(g_redis, false), 0);
    poll(NULL, 0, 400);
    ddf_lease_keeper_stats(k, &st);
    assert_false(st.connected);
    assert_int_equal(st.last_error.code, DDF_EUNREACH);
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_lease_keeper_stop(k, false, &err), DDF_OK);
    assert_true(ddf_test_now_ms() - t0 < 500); /* far below TTL/3: no sleeping through it */
    assert_int_equal(ddf_test_redis_restart(g_redis), 0);
}

static void test_keeper_start_fails_cleanly_when_redis_is_down(void **state)
{
    char url[64];
    ddf_registry_options opt;
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_error err;

    (void)state;
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", ddf_test_free_port());
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, 1000, NULL, NULL, &k, &err), DDF_EUNREACH);
    assert_null(k);
    assert_int_equal(ddf_lease_keeper_start(&opt, &w, 10, NULL, NULL, &k, &err), DDF_EINVAL);
}

/* Failing allocation 1, 2, ... N of a keeper's start and of a subscriber: a clean
 * DDF_ENOMEM each time, nothing leaked (ASan), nothing left registered. */
static void test_allocation_failures_at_start_are_clean(void **state)
{
    ddf_registry_options opt = options("alloc");
    ddf_worker_info w = worker();
    ddf_lease_keeper *k = NULL;
    ddf_subscriber *sub = NULL;
    ddf_registry *reg = NULL;
    ddf_error err;
    int rc = DDF_ENOMEM;

    (void)state;
    for (long n = 0; n < 20 && rc == DDF_ENOMEM; n++) {
        ddf_test_fail_after(n);
        rc = ddf_lease_keeper_start(&opt, &w, 1000, NULL, NULL, &k, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_ENOMEM)
            assert_null(k);
    }
    assert_int_equal(rc, DDF_OK);
    assert_int_equal(ddf_lease_keeper_stop(k, true, &err), DDF_OK);
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(count_members(reg, NULL), 0);
    ddf_registry_free(reg);

    rc = DDF_ENOMEM;
    for (long n = 0; n < 20 && rc == DDF_ENOMEM; n++) {
        ddf_test_fail_after(n);
        rc = ddf_subscriber_new(&opt, &sub, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_ENOMEM)
            assert_null(sub);
    }
    assert_int_equal(rc, DDF_OK);
    ddf_subscriber_free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeper_keeps_a_short_lease_alive_and_carries_figures),
        cmocka_unit_test(test_keeper_stops_promptly_with_a_long_ttl),
        cmocka_unit_test(test_keeper_rejoins_within_one_ttl_after_a_redis_restart),
        cmocka_unit_test(test_keeper_stops_promptly_while_redis_is_down),
        cmocka_unit_test(test_keeper_start_fails_cleanly_when_redis_is_down),
        cmocka_unit_test(test_allocation_failures_at_start_are_clean),
    };
    return cmocka_run_group_tests_name("registry_lease", tests, group_setup, group_teardown);
}
