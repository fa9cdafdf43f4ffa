/* test_registry_events.c - the event channel (registry/events.c): order, deadlines, and a
 * subscriber that survives a Redis restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redis_harness.h"
#include "registry.h"

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

static ddf_worker_info worker(const char *id)
{
    ddf_worker_info w;

    memset(&w, 0, sizeof(w));
    snprintf(w.id, sizeof(w.id), "%s", id);
    w.threads = 2;
    return w;
}

/* The next event within 'ms', which must exist and be (kind, id). */
static void expect_event(ddf_subscriber *sub, int ms, ddf_registry_event_kind kind,
                         const char *id)
{
    ddf_registry_event ev;
    ddf_error err;

    assert_int_equal(ddf_subscriber_next(sub, ms, &ev, &err), 1);
    assert_string_equal(ddf_registry_event_name(ev.kind), ddf_registry_event_name(kind));
    assert_string_equal(ev.id, id);
    assert_true(ev.received_ms > 0);
}

static void test_events_arrive_in_order(void **state)
{
    ddf_registry_options opt = options("order");
    ddf_subscriber *sub = NULL;
    ddf_registry *reg = NULL;
    ddf_worker_info a = worker("http://a:1/RPC2"), b = worker("http://b:1/RPC2");
    ddf_worker_info c = worker("http://c:1/RPC2");
    ddf_registry_event ev;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    assert_true(ddf_subscriber_is_connected(sub));
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 10000, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &b, 10000, &err), DDF_OK);
    assert_int_equal(ddf_registry_deregister(reg, a.id, NULL, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &c, 0, &err), DDF_OK);
    assert_int_equal(ddf_registry_deregister(reg, c.id, NULL, &err), DDF_OK);
    assert_int_equal(ddf_registry_deregister(reg, c.id, NULL, &err), DDF_OK); /* no event */
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_JOIN, a.id);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_JOIN, b.id);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_LEAVE, a.id);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_JOIN, c.id);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_LEAVE, c.id);
    assert_int_equal(ddf_subscriber_next(sub, 200, &ev, &err), 0);
    ddf_registry_free(reg);
    ddf_subscriber_free(sub);
}

static void test_other_clusters_events_are_not_seen(void **state)
{
    ddf_registry_options mine = options("mine"), theirs = options("theirs");
    ddf_subscriber *sub = NULL;
    ddf_registry *reg = NULL;
    ddf_worker_info a = worker("http://a:1/RPC2");
    ddf_registry_event ev;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_subscriber_new(&mine, &sub, &err), DDF_OK);
    assert_int_equal(ddf_registry_new(&theirs, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 10000, &err), DDF_OK);
    assert_int_equal(ddf_subscriber_next(sub, 200, &ev, &err), 0);
    ddf_registry_free(reg);
    ddf_subscriber_free(sub);
}

static void test_next_returns_timeout_at_the_deadline(void **state)
{
    ddf_registry_options opt = options("quiet");
    ddf_subscriber *sub = NULL;
    ddf_registry_event ev;
    ddf_error err;
    long long t0, dt;

    (void)state;
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_subscriber_next(sub, 250, &ev, &err), 0);
    dt = ddf_test_now_ms() - t0;
    assert_true(dt >= 240 && dt < 1000);
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_subscriber_next(sub, 0, &ev, &err), 0);
    assert_true(ddf_test_now_ms() - t0 < 100);
    ddf_subscriber_free(sub);
}

static void test_subscriber_resumes_after_a_redis_restart(void **state)
{
    ddf_registry_options opt = options("restart");
    ddf_subscriber *sub = NULL;
    ddf_registry *reg = NULL;
    ddf_worker_info a = worker("http://a:1/RPC2");
    ddf_registry_event ev;
    ddf_error err;
    long long t0;
    int rc;

    (void)state;
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    assert_int_equal(ddf_test_redis_stop(g_redis, true), 0);
    /* While Redis is down, waits still end at their deadline. */
    for (int i = 0; i < 3; i++) {
        t0 = ddf_test_now_ms();
        assert_int_equal(ddf_subscriber_next(sub, 150, &ev, &err), 0);
        assert_true(ddf_test_now_ms() - t0 < 1000);
    }
    assert_false(ddf_subscriber_is_connected(sub));
    assert_int_equal(ddf_test_redis_restart(g_redis), 0);
    /* Back: the first thing reported is the resync (bounded: 40 x 100 ms). */
    rc = 0;
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = ddf_subscriber_next(sub, 100, &ev, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_RESYNC);
    assert_string_equal(ev.id, "");
    assert_true(ddf_subscriber_is_connected(sub));
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 10000, &err), DDF_OK);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_JOIN, a.id);
    ddf_registry_free(reg);
    ddf_subscriber_free(sub);
}

/* AUTH and SELECT are replayed on reconnect, and a reconnect makes progress even when every
 * call allows only a few milliseconds (the handshake continues across calls). */
static void test_subscriber_with_password_and_db_resumes_in_short_slices(void **state)
{
    ddf_test_redis *secured = ddf_test_redis_start("pw-events");
    char url[128];
    ddf_registry_options opt;
    ddf_subscriber *sub = NULL;
    ddf_registry *reg = NULL;
    ddf_worker_info a = worker("http://a:1/RPC2");
    ddf_registry_event ev;
    ddf_error err;
    long long t0;
    int rc = 0;

    (void)state;
    assert_non_null(secured);
    snprintf(url, sizeof(url), "redis://default:pw-events@127.0.0.1:%d/2",
             ddf_test_redis_port(secured));
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    opt.cluster = "slices";
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    assert_int_equal(ddf_test_redis_restart(secured), 0);
    for (int i = 0; i < 400 && rc == 0; i++) {
        t0 = ddf_test_now_ms();
        rc = ddf_subscriber_next(sub, 5, &ev, &err);
        assert_true(ddf_test_now_ms() - t0 < 200);
    }
    assert_int_equal(rc, 1);
    assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_RESYNC);
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 10000, &err), DDF_OK);
    expect_event(sub, 2000, DDF_REGISTRY_EVENT_JOIN, a.id);
    ddf_registry_free(reg);
    ddf_subscriber_free(sub);
    ddf_test_redis_free(secured);
}

/* A password changed while we were away is not retried forever: next() says so. */
static void test_subscriber_reports_refused_credentials_after_a_reconnect(void **state)
{
    ddf_test_redis *secured = ddf_test_redis_start("pw-old");
    ddf_registry_options opt;
    ddf_subscriber *sub = NULL;
    ddf_registry_event ev;
    redisContext *c;
    ddf_error err;
    int rc = 0;

    (void)state;
    assert_non_null(secured);
    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(secured);
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    c = ddf_test_redis_connect(secured);
    assert_non_null(c);
    freeReplyObject(redisCommand(c, "CONFIG SET requirepass pw-new"));
    freeReplyObject(redisCommand(c, "CLIENT KILL TYPE pubsub"));
    redisFree(c);
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = ddf_subscriber_next(sub, 100, &ev, &err);
    assert_int_equal(rc, DDF_EAUTH);
    assert_non_null(strstr(err.msg, "refused the credentials: WRONGPASS"));
    assert_null(strstr(err.msg, "pw-old"));
    ddf_subscriber_free(sub);
    ddf_test_redis_free(secured);
}

static void test_subscribing_to_a_down_redis_fails_clearly(void **state)
{
    char url[64], want[128];
    ddf_registry_options opt;
    ddf_subscriber *sub = NULL;
    ddf_error err;
    int port = ddf_test_free_port();

    (void)state;
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_EUNREACH);
    snprintf(want, sizeof(want), "cannot reach Redis at redis://127.0.0.1:%d: Connection refused",
             port);
    assert_string_equal(err.msg, want);
    assert_null(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_arrive_in_order),
        cmocka_unit_test(test_other_clusters_events_are_not_seen),
        cmocka_unit_test(test_next_returns_timeout_at_the_deadline),
        cmocka_unit_test(test_subscriber_resumes_after_a_redis_restart),
        cmocka_unit_test(test_subscriber_with_password_and_db_resumes_in_short_slices),
        cmocka_unit_test(test_subscriber_reports_refused_credentials_after_a_reconnect),
        cmocka_unit_test(test_subscribing_to_a_down_redis_fails_clearly),
    };
    return cmocka_run_group_tests_name("registry_events", tests, group_setup, group_teardown);
}
