/* test_registry_url.c - Redis URLs, worker ids and cluster names (registry/url.c). No Redis
 * needed: these are the parsers' good and bad inputs and the exact words of their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "registry.h"
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

static void parse_ok(const char *text, const char *host, int port, int db, const char *user,
                     const char *password)
{
    ddf_redis_url u;
    ddf_error err;

    ddf_error_init(&err);
    assert_int_equal(ddf_redis_url_parse(text, &u, &err), DDF_OK);
    assert_string_equal(u.host, host);
    assert_int_equal(u.port, port);
    assert_int_equal(u.db, db);
    assert_string_equal(u.user, user);
    assert_string_equal(u.password, password);
    assert_int_equal(u.has_password, password[0] != '\0');
}

/* Parse 'text', expect DDF_EINVAL with exactly 'msg'. */
static void parse_bad(const char *text, const char *msg)
{
    ddf_redis_url u;
    ddf_error err;

    ddf_error_init(&err);
    assert_int_equal(ddf_redis_url_parse(text, &u, &err), DDF_EINVAL);
    assert_int_equal(err.code, DDF_EINVAL);
    assert_string_equal(err.msg, msg);
    assert_string_equal(u.host, ""); /* nothing half-parsed is left behind */
    assert_string_equal(u.password, "");
}

static void test_url_accepts_host_port_db_and_credentials(void **state)
{
    (void)state;
    parse_ok("redis://127.0.0.1:6379", "127.0.0.1", 6379, 0, "", "");
    parse_ok("redis://localhost:1/15", "localhost", 1, 15, "", "");
    parse_ok("redis://cache-1.example.com:65535/", "cache-1.example.com", 65535, 0, "", "");
    parse_ok("redis://:s3cret@10.0.0.5:7000", "10.0.0.5", 7000, 0, "", "s3cret");
    parse_ok("redis://alice:pw@h:2/3", "h", 2, 3, "alice", "pw");
    parse_ok("REDIS://h:2", "h", 2, 0, "", "");
    parse_ok("redis://[::1]:6380/2", "::1", 6380, 2, "", "");
}

static void test_url_decodes_percent_escapes_and_takes_the_last_at(void **state)
{
    (void)state;
    parse_ok("redis://:p%40ss%3Aw@h:1", "h", 1, 0, "", "p@ss:w");
    parse_ok("redis://:a@b@h:1", "h", 1, 0, "", "a@b");
    parse_ok("redis://us%65r:x@h:1", "h", 1, 0, "user", "x");
}

static void test_url_rejects_missing_or_bad_parts_with_precise_messages(void **state)
{
    (void)state;
    parse_bad("127.0.0.1:6379", "bad Redis URL \"127.0.0.1:6379\": it must start with redis:// "
                                "(redis://[user:password@]host:port[/db])");
    parse_bad("redis://127.0.0.1",
              "bad Redis URL \"redis://127.0.0.1\": missing port (e.g. redis://127.0.0.1:6379)");
    parse_bad("redis://h/2", "bad Redis URL \"redis://h/2\": missing port (e.g. redis://h:6379)");
    parse_bad("redis://h:", "bad Redis URL \"redis://h:\": bad port \"\" (expected 1..65535)");
    parse_bad("redis://h:0", "bad Redis URL \"redis://h:0\": bad port \"0\" (expected 1..65535)");
    parse_bad("redis://h:65536",
              "bad Redis URL \"redis://h:65536\": bad port \"65536\" (expected 1..65535)");
    parse_bad("redis://h:63x9",
              "bad Redis URL \"redis://h:63x9\": bad port \"63x9\" (expected 1..65535)");
    parse_bad("redis://h:1?db=2",
              "bad Redis URL \"redis://h:1?db=2\": bad port \"1?db=2\" (expected 1..65535)");
    parse_bad("redis://h:1/x", "bad Redis URL \"redis://h:1/x\": bad db \"x\" (expected a "
                               "number, e.g. /0)");
    parse_bad("redis://h:1/2/3", "bad Redis URL \"redis://h:1/2/3\": bad db \"2/3\" (expected a "
                                 "number, e.g. /0)");
    parse_bad("redis://:1", "bad Redis URL \"redis://:1\": missing host");
    parse_bad("redis://h$st:1", "bad Redis URL \"redis://h$st:1\": bad host");
    parse_bad("redis://[::1:1", "bad Redis URL \"redis://[::1:1\": unclosed '['");
    parse_bad("redis://h :1", "bad Redis URL \"redis://h :1\": space or control character");
    parse_bad("", "empty Redis URL (expected redis://[user:password@]host:port[/db])");
}

static void test_url_errors_never_show_the_password(void **state)
{
    (void)state;
    parse_bad("redis://:hunter2@h", "bad Redis URL \"redis://***@h\": missing port (e.g. "
                                    "redis://h:6379)");
    parse_bad("redis://hunter2@h:1", "bad Redis URL \"redis://***@h:1\": credentials without a "
                                     "':' (write redis://:PASSWORD@host:port or "
                                     "redis://USER:PASSWORD@...)");
    parse_bad("redis://:@h:1", "bad Redis URL \"redis://***@h:1\": empty password");
    parse_bad("redis://:a%zz@h:1", "bad Redis URL \"redis://***@h:1\": bad password (too long "
                                   "or a bad %-escape)");
    parse_bad("http://:hunter2@h:1", "bad Redis URL \"***\": it must start with redis:// "
                                     "(redis://[user:password@]host:port[/db])");
}

static void test_url_over_the_length_limit_is_refused(void **state)
{
    char long_url[DDF_REGISTRY_MAX_URL + 16];
    ddf_redis_url u;
    ddf_error err;

    (void)state;
    memset(long_url, 'a', sizeof(long_url) - 1);
    long_url[sizeof(long_url) - 1] = '\0';
    memcpy(long_url, "redis://", 8);
    assert_int_equal(ddf_redis_url_parse(long_url, &u, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "over the limit"));
}

static void test_url_format_shows_host_port_db_only(void **state)
{
    ddf_redis_url u;
    ddf_error err;
    char buf[128];

    (void)state;
    assert_int_equal(ddf_redis_url_parse("redis://bob:pw@h:7/4", &u, &err), DDF_OK);
    ddf_redis_url_format(&u, buf, sizeof(buf));
    assert_string_equal(buf, "redis://h:7/4");
    assert_int_equal(ddf_redis_url_parse("redis://[::1]:7", &u, &err), DDF_OK);
    ddf_redis_url_format(&u, buf, sizeof(buf));
    assert_string_equal(buf, "redis://[::1]:7");
}

static void test_url_choose_prefers_explicit_then_env_then_default(void **state)
{
    (void)state;
    unsetenv("DDF_REDIS");
    assert_string_equal(ddf_redis_url_choose(NULL), DDF_REGISTRY_DEFAULT_URL);
    setenv("DDF_REDIS", "", 1);
    assert_string_equal(ddf_redis_url_choose(NULL), DDF_REGISTRY_DEFAULT_URL);
    setenv("DDF_REDIS", "redis://e:1", 1);
    assert_string_equal(ddf_redis_url_choose(NULL), "redis://e:1");
    assert_string_equal(ddf_redis_url_choose("redis://x:2"), "redis://x:2");
    unsetenv("DDF_REDIS");
}

static void test_registry_ids_are_http_urls_without_spaces(void **state)
{
    char long_id[DDF_REGISTRY_MAX_ID + 8];

    (void)state;
    assert_true(ddf_registry_id_is_valid("http://10.0.0.5:7070/RPC2"));
    assert_true(ddf_registry_id_is_valid("https://w1:1"));
    assert_false(ddf_registry_id_is_valid(NULL));
    assert_false(ddf_registry_id_is_valid(""));
    assert_false(ddf_registry_id_is_valid("http://"));
    assert_false(ddf_registry_id_is_valid("w1:7070"));
    assert_false(ddf_registry_id_is_valid("http://a b:1"));
    assert_false(ddf_registry_id_is_valid("http://a\n:1"));
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    memcpy(long_id, "http://", 7);
    assert_false(ddf_registry_id_is_valid(long_id));
}

static void test_registry_cluster_names_make_the_key_prefix(void **state)
{
    ddf_registry_keys k;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_registry_keys_init(&k, NULL, &err), DDF_OK);
    assert_string_equal(k.prefix, "ddf:default:");
    assert_string_equal(k.workers, "ddf:default:workers");
    assert_string_equal(k.events, "ddf:default:events");
    assert_int_equal(ddf_registry_keys_init(&k, "prod-eu.1_a", &err), DDF_OK);
    assert_string_equal(k.workers, "ddf:prod-eu.1_a:workers");
    assert_int_equal(ddf_registry_keys_init(&k, "a:b", &err), DDF_EINVAL);
    assert_string_equal(err.msg, "bad cluster name \"a:b\": only letters, digits, '_', '-' and "
                                 "'.' are allowed");
    assert_int_equal(ddf_registry_keys_init(&k, "", &err), DDF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_accepts_host_port_db_and_credentials),
        cmocka_unit_test(test_url_decodes_percent_escapes_and_takes_the_last_at),
        cmocka_unit_test(test_url_rejects_missing_or_bad_parts_with_precise_messages),
        cmocka_unit_test(test_url_errors_never_show_the_password),
        cmocka_unit_test(test_url_over_the_length_limit_is_refused),
        cmocka_unit_test(test_url_format_shows_host_port_db_only),
        cmocka_unit_test(test_url_choose_prefers_explicit_then_env_then_default),
        cmocka_unit_test(test_registry_ids_are_http_urls_without_spaces),
        cmocka_unit_test(test_registry_cluster_names_make_the_key_prefix),
    };
    return cmocka_run_group_tests_name("registry_url", tests, NULL, NULL);
}
