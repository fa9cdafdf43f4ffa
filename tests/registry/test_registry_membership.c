/* test_registry_membership.c - register, heartbeat, deregister, discover and prune against a
 * real redis-server (registry/membership.c, registry/conn.c), and the errors for a down,
 * silent or password-protected Redis. Each test uses its own cluster name, so tests cannot
 * see each other's members. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redis_harness.h"
#include "registry.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static ddf_test_redis *g_redis; /* one server for the whole group */

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

static ddf_registry *open_cluster(const char *cluster)
{
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_error err;

    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = cluster;
    ddf_error_init(&err);
    if (ddf_registry_new(&opt, &reg, &err) != DDF_OK)
        fail_msg("ddf_registry_new: %s", err.msg);
    return reg;
}

static ddf_worker_info worker(int n)
{
    ddf_worker_info w;

    memset(&w, 0, sizeof(w));
    snprintf(w.id, sizeof(w.id), "http://127.0.0.1:%d/RPC2", 7000 + n);
    snprintf(w.host, sizeof(w.host), "host%d", n);
    snprintf(w.version, sizeof(w.version), "0.1.0");
    w.pid = 1000 + n;
    w.threads = 4;
    w.mem_limit = 1LL << 32;
    w.mem_used = 12345;
    w.partitions = n;
    return w;
}

static void test_register_discover_deregister_round_trip(void **state)
{
    ddf_registry *reg = open_cluster("roundtrip");
    ddf_worker_info a = worker(1), b = worker(2);
    ddf_worker_list l;
    ddf_error err;
    bool was = false;

    (void)state;
    assert_int_equal(ddf_registry_register(reg, &b, 10000, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 10000, &err), DDF_OK);
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.pruned, 0);
    assert_string_equal(l.items[0].id, a.id); /* sorted by id */
    assert_string_equal(l.items[1].id, b.id);
    assert_string_equal(l.items[0].host, "host1");
    assert_string_equal(l.items[0].version, "0.1.0");
    assert_int_equal(l.items[0].pid, 1001);
    assert_int_equal(l.items[0].threads, 4);
    assert_int_equal(l.items[0].mem_limit, 1LL << 32);
    assert_int_equal(l.items[0].mem_used, 12345);
    assert_int_equal(l.items[1].partitions, 2);
    assert_false(l.items[0].is_static);
    assert_true(l.items[0].ttl_ms > 9000 && l.items[0].ttl_ms <= 10000);
    assert_true(l.items[0].started_ms > 0);
    assert_true(l.now_ms - l.items[0].refreshed_ms >= 0);
    assert_true(l.now_ms - l.items[0].refreshed_ms < 2000);
    ddf_worker_list_fini(&l);

    assert_int_equal(ddf_registry_deregister(reg, a.id, &was, &err), DDF_OK);
    assert_true(was);
    assert_int_equal(ddf_registry_deregister(reg, a.id, &was, &err), DDF_OK);
    assert_false(was);
    assert_int_equal(ddf_registry_discover(reg, false, &l, &err), DDF_OK);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].id, b.id);
    ddf_worker_list_fini(&l);
    ddf_registry_free(reg);
}

static void test_keys_follow_the_design(void **state)
{
    ddf_registry *reg = open_cluster("keys");
    redisContext *c = ddf_test_redis_connect(g_redis);
    ddf_worker_info a = worker(1);
    redisReply *rep;
    ddf_error err;

    (void)state;
    assert_non_null(c);
    assert_int_equal(ddf_registry_register(reg, &a, 5000, &err), DDF_OK);
    rep = redisCommand(c, "SISMEMBER ddf:keys:workers %s", a.id);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);
    rep = redisCommand(c, "PTTL ddf:keys:worker:%s", a.id);
    assert_true(rep->integer > 4000 && rep->integer <= 5000);
    freeReplyObject(rep);
    rep = redisCommand(c, "HGET ddf:keys:worker:%s url", a.id);
    assert_string_equal(rep->str, a.id);
    freeReplyObject(rep);
    rep = redisCommand(c, "HMGET ddf:keys:worker:%s host pid threads mem_limit mem_used "
                          "partitions version started refreshed", a.id);
    assert_int_equal(rep->elements, 9);
    for (size_t i = 0; i < rep->elements; i++)
        assert_int_equal(rep->element[i]->type, REDIS_REPLY_STRING);
    freeReplyObject(rep);
    redisFree(c);
    ddf_registry_free(reg);
}

static void test_heartbeat_refreshes_and_rejoins_a_vanished_lease(void **state)
{
    ddf_registry *reg = open_cluster("heartbeat");
    redisContext *c = ddf_test_redis_connect(g_redis);
    ddf_worker_info a = worker(1);
    ddf_worker_list l;
    ddf_error err;
    bool rejoined = true;

    (void)state;
    assert_int_equal(ddf_registry_register(reg, &a, 3000, &err), DDF_OK);
    a.mem_used = 777;
    assert_int_equal(ddf_registry_heartbeat(reg, &a, 3000, &rejoined, &err), DDF_OK);
    assert_false(rejoined);
    assert_int_equal(ddf_registry_discover(reg, false, &l, &err), DDF_OK);
    assert_int_equal(l.items[0].mem_used, 777);
    ddf_worker_list_fini(&l);

    /* The lease vanishes (FLUSHALL, a restart): the next heartbeat registers again. */
    freeReplyObject(redisCommand(c, "DEL ddf:heartbeat:worker:%s", a.id));
    assert_int_equal(ddf_registry_heartbeat(reg, &a, 3000, &rejoined, &err), DDF_OK);
    assert_true(rejoined);
    freeReplyObject(redisCommand(c, "SREM ddf:heartbeat:workers %s", a.id));
    assert_int_equal(ddf_registry_heartbeat(reg, &a, 3000, &rejoined, &err), DDF_OK);
    assert_true(rejoined);
    assert_int_equal(ddf_registry_discover(reg, false, &l, &err), DDF_OK);
    assert_int_equal(l.count, 1);
    ddf_worker_list_fini(&l);
    redisFree(c);
    ddf_registry_free(reg);
}

static void test_static_member_has_no_ttl_and_is_never_reaped(void **state)
{
    ddf_registry *reg = open_cluster("static");
    ddf_worker_info a = worker(1);
    ddf_worker_list l;
    ddf_error err;
    size_t pruned = 9;

    (void)state;
    assert_int_equal(ddf_registry_register(reg, &a, 0, &err), DDF_OK);
    assert_int_equal(ddf_registry_reap(reg, &pruned, &err), DDF_OK);
    assert_int_equal(pruned, 0);
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.count, 1);
    assert_true(l.items[0].is_static);
    assert_int_equal(l.items[0].ttl_ms, -1);
    ddf_worker_list_fini(&l);
    ddf_registry_free(reg);
}

typedef struct reaper_arg {
    size_t pruned;
    int rc;
} reaper_arg;

static void *reaper(void *p)
{
    reaper_arg *a = p;
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_error err;

    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = "expiry";
    a->rc = ddf_registry_new(&opt, &reg, &err);
    if (a->rc == DDF_OK)
        a->rc = ddf_registry_reap(reg, &a->pruned, &err);
    ddf_registry_free(reg);
    return NULL;
}

static void test_expired_lease_is_pruned_with_one_dead_event_among_racing_reapers(void **state)
{
    ddf_registry *reg = open_cluster("expiry");
    ddf_registry_options opt;
    ddf_subscriber *sub = NULL;
    ddf_worker_info a = worker(1), b = worker(2);
    ddf_registry_event ev;
    reaper_arg args[4];
    pthread_t th[4];
    ddf_worker_list l;
    ddf_error err;
    size_t total = 0;
    int dead = 0, rc;

    (void)state;
    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = "expiry";
    assert_int_equal(ddf_subscriber_new(&opt, &sub, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &a, 300, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &b, 10000, &err), DDF_OK);
    /* Wait (bounded) until a's lease has expired; b stays alive. */
    for (long long until = ddf_test_now_ms() + 3000;;) {
        assert_int_equal(ddf_registry_discover(reg, false, &l, &err), DDF_OK);
        size_t n = l.count;
        ddf_worker_list_fini(&l);
        if (n == 1)
            break;
        assert_true(ddf_test_now_ms() < until);
        poll(NULL, 0, 50);
    }
    for (int i = 0; i < 4; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        assert_int_equal(pthread_create(&th[i], NULL, reaper, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, DDF_OK);
        total += args[i].pruned;
    }
    assert_int_equal(total, 1);
    /* A member someone else added without a lease (not even a valid id) is pruned too. */
    {
        redisContext *c = ddf_test_redis_connect(g_redis);
        size_t pruned = 0;
        assert_non_null(c);
        freeReplyObject(redisCommand(c, "SADD ddf:expiry:workers junk"));
        redisFree(c);
        assert_int_equal(ddf_registry_reap(reg, &pruned, &err), DDF_OK);
        assert_int_equal(pruned, 1);
        assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1); /* join a */
        assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1); /* join b */
        assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1);
        assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_DEAD);
        assert_string_equal(ev.id, a.id);
        dead++;
        assert_int_equal(ddf_subscriber_next(sub, 1000, &ev, &err), 1);
        assert_int_equal(ev.kind, DDF_REGISTRY_EVENT_DEAD);
        assert_string_equal(ev.id, "junk");
    }
    /* Discovery after the race finds nothing more to prune. */
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.pruned, 0);
    assert_int_equal(l.count, 1);
    ddf_worker_list_fini(&l);
    /* Events: join a, join b, dead a, and no second dead. */
    while ((rc = ddf_subscriber_next(sub, 300, &ev, &err)) == 1)
        if (ev.kind == DDF_REGISTRY_EVENT_DEAD) {
            assert_string_equal(ev.id, a.id);
            dead++;
        }
    assert_int_equal(rc, 0);
    assert_int_equal(dead, 1);
    ddf_subscriber_free(sub);
    ddf_registry_free(reg);
}

#define NTHREADS 50

typedef struct registrant_arg {
    int n;
    int rc;
    bool deregister;
} registrant_arg;

static void *registrant(void *p)
{
    registrant_arg *a = p;
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_worker_info w = worker(a->n);
    ddf_error err;

    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = "fifty";
    a->rc = ddf_registry_new(&opt, &reg, &err);
    if (a->rc == DDF_OK)
        a->rc = a->deregister ? ddf_registry_deregister(reg, w.id, NULL, &err)
                              : ddf_registry_register(reg, &w, 10000, &err);
    ddf_registry_free(reg);
    return NULL;
}

static void run_registrants(bool deregister)
{
    registrant_arg args[NTHREADS];
    pthread_t th[NTHREADS];

    for (int i = 0; i < NTHREADS; i++) {
        args[i].n = i;
        args[i].deregister = deregister;
        assert_int_equal(pthread_create(&th[i], NULL, registrant, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, DDF_OK);
    }
}

static void test_fifty_concurrent_registrants_give_a_consistent_list(void **state)
{
    ddf_registry *reg = open_cluster("fifty");
    ddf_worker_list l;
    ddf_error err;

    (void)state;
    run_registrants(false);
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.count, NTHREADS);
    for (size_t i = 0; i < l.count; i++) {
        ddf_worker_info w = worker((int)i);
        /* ids are http://127.0.0.1:70NN/RPC2: sorted order is numeric order */
        assert_string_equal(l.items[i].id, w.id);
        assert_int_equal(l.items[i].pid, w.pid);
    }
    ddf_worker_list_fini(&l);
    run_registrants(true);
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.count, 0);
    ddf_worker_list_fini(&l);
    ddf_registry_free(reg);
}

static void test_bad_ids_and_cluster_names_are_refused(void **state)
{
    ddf_registry *reg = open_cluster("badids");
    ddf_registry_options opt;
    ddf_registry *other = NULL;
    ddf_worker_info w = worker(1);
    ddf_error err;

    (void)state;
    snprintf(w.id, sizeof(w.id), "not a url");
    assert_int_equal(ddf_registry_register(reg, &w, 1000, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "bad worker id \"not a url\": expected an http:// URL without "
                                 "spaces, under 512 bytes");
    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    opt.cluster = "a b";
    assert_int_equal(ddf_registry_new(&opt, &other, &err), DDF_EINVAL);
    assert_null(other);
    ddf_registry_free(reg);
}

static void test_db_in_the_url_selects_the_database(void **state)
{
    char url[128];
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_worker_info w = worker(1);
    redisContext *c = ddf_test_redis_connect(g_redis);
    redisReply *rep;
    ddf_error err;

    (void)state;
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", ddf_test_redis_port(g_redis));
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    opt.cluster = "db3";
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &w, 10000, &err), DDF_OK);
    rep = redisCommand(c, "SCARD ddf:db3:workers");
    assert_int_equal(rep->integer, 0);
    freeReplyObject(rep);
    freeReplyObject(redisCommand(c, "SELECT 3"));
    rep = redisCommand(c, "SCARD ddf:db3:workers");
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);
    ddf_registry_free(reg);

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/99999", ddf_test_redis_port(g_redis));
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "SELECT 99999"));
    redisFree(c);
}

static void test_down_redis_is_a_quick_clear_error_naming_the_url(void **state)
{
    char url[64], want[160];
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_error err;
    int port = ddf_test_free_port();
    long long t0 = ddf_test_now_ms();

    (void)state;
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_EUNREACH);
    snprintf(want, sizeof(want), "cannot reach Redis at redis://127.0.0.1:%d: Connection refused",
             port);
    assert_string_equal(err.msg, want);
    assert_null(reg);
    assert_true(ddf_test_now_ms() - t0 < 1000);
}

/* A peer that accepts TCP connections (the kernel's backlog) but never answers. */
static void test_silent_server_times_out_instead_of_hanging(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    char url[64];
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_error err;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    long long t0;

    (void)state;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", ntohs(a.sin_port));
    ddf_registry_options_init(&opt);
    opt.redis_url = url;
    opt.timeout_ms = 300;
    t0 = ddf_test_now_ms();
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_ETIMEDOUT);
    assert_true(ddf_test_now_ms() - t0 < 2000);
    assert_non_null(strstr(err.msg, "did not answer PING within 300 ms"));
    close(fd);
}

static void test_password_is_sent_and_wrong_or_missing_ones_are_named(void **state)
{
    ddf_test_redis *secured = ddf_test_redis_start("s3cret");
    char url[128], want[256];
    ddf_registry_options opt;
    ddf_registry *reg = NULL;
    ddf_worker_info w = worker(1);
    ddf_error err;
    int port;

    (void)state;
    assert_non_null(secured);
    port = ddf_test_redis_port(secured);
    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(secured);
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    assert_int_equal(ddf_registry_register(reg, &w, 1000, &err), DDF_OK);
    ddf_registry_free(reg);
    /* ACL form: the default user with its password */
    snprintf(url, sizeof(url), "redis://default:s3cret@127.0.0.1:%d", port);
    opt.redis_url = url;
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
    ddf_registry_free(reg);

    /* an ACL user of its own, allowed only the cluster's keys and channels */
    {
        redisContext *c = ddf_test_redis_connect(secured);
        redisReply *rep;
        assert_non_null(c);
        rep = redisCommand(c, "ACL SETUSER alice on >alicepw ~ddf:* &ddf:* +@all");
        assert_int_equal(rep->type, REDIS_REPLY_STATUS);
        freeReplyObject(rep);
        redisFree(c);
        snprintf(url, sizeof(url), "redis://alice:alicepw@127.0.0.1:%d", port);
        assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_OK);
        assert_int_equal(ddf_registry_register(reg, &w, 1000, &err), DDF_OK);
        ddf_registry_free(reg);
        snprintf(url, sizeof(url), "redis://alice:nope@127.0.0.1:%d", port);
        assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_EAUTH);
    }

    snprintf(url, sizeof(url), "redis://:badpw7@127.0.0.1:%d", port);
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_EAUTH);
    snprintf(want, sizeof(want), "Redis at redis://127.0.0.1:%d refused the credentials: "
                                 "WRONGPASS", port);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_null(strstr(err.msg, "badpw7"));

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_EAUTH);
    snprintf(want, sizeof(want), "Redis at redis://127.0.0.1:%d requires a password: give it "
                                 "in the URL, redis://:PASSWORD@host:port", port);
    assert_string_equal(err.msg, want);
    ddf_test_redis_free(secured);
}

static void test_a_restarted_redis_is_reconnected_by_the_next_call(void **state)
{
    ddf_registry *reg = open_cluster("restart");
    ddf_worker_info w = worker(1);
    ddf_worker_list l;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_registry_register(reg, &w, 10000, &err), DDF_OK);
    assert_int_equal(ddf_test_redis_restart(g_redis), 0);
    assert_int_equal(ddf_registry_discover(reg, true, &l, &err), DDF_OK);
    assert_int_equal(l.count, 0); /* nothing was saved */
    ddf_worker_list_fini(&l);
    ddf_registry_free(reg);
}

/* Failing allocation 1, 2, ... N: a clean DDF_ENOMEM each time, nothing leaked (ASan). */
static void test_allocation_failures_are_clean_errors(void **state)
{
    ddf_registry *reg = open_cluster("alloc");
    ddf_registry_options opt;
    ddf_worker_info w = worker(1);
    ddf_worker_list l;
    ddf_error err;
    int rc = DDF_ENOMEM;

    (void)state;
    assert_int_equal(ddf_registry_register(reg, &w, 10000, &err), DDF_OK);
    for (long n = 0; n < 10 && rc == DDF_ENOMEM; n++) {
        ddf_test_fail_after(n);
        rc = ddf_registry_discover(reg, true, &l, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK)
            assert_int_equal(l.count, 1);
        ddf_worker_list_fini(&l);
    }
    assert_int_equal(rc, DDF_OK);
    ddf_registry_free(reg);

    ddf_registry_options_init(&opt);
    opt.redis_url = ddf_test_redis_url(g_redis);
    ddf_test_fail_after(0);
    reg = NULL;
    assert_int_equal(ddf_registry_new(&opt, &reg, &err), DDF_ENOMEM);
    ddf_test_fail_after(-1);
    assert_null(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_discover_deregister_round_trip),
        cmocka_unit_test(test_keys_follow_the_design),
        cmocka_unit_test(test_heartbeat_refreshes_and_rejoins_a_vanished_lease),
        cmocka_unit_test(test_static_member_has_no_ttl_and_is_never_reaped),
        cmocka_unit_test(test_expired_lease_is_pruned_with_one_dead_event_among_racing_reapers),
        cmocka_unit_test(test_fifty_concurrent_registrants_give_a_consistent_list),
        cmocka_unit_test(test_bad_ids_and_cluster_names_are_refused),
        cmocka_unit_test(test_db_in_the_url_selects_the_database),
        cmocka_unit_test(test_down_redis_is_a_quick_clear_error_naming_the_url),
        cmocka_unit_test(test_silent_server_times_out_instead_of_hanging),
        cmocka_unit_test(test_password_is_sent_and_wrong_or_missing_ones_are_named),
        cmocka_unit_test(test_a_restarted_redis_is_reconnected_by_the_next_call),
        cmocka_unit_test(test_allocation_failures_are_clean_errors),
    };
    return cmocka_run_group_tests_name("registry_membership", tests, group_setup,
                                       group_teardown);
}
