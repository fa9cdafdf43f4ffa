/* test_plan_decode.c - decoding ddf.run requests (worker/plan_decode.c).
 *
 * Requests are built with xmlrpc-c's own value API, as the server would receive them after
 * parsing. Each error case checks the exact member path in the message, since that is what a
 * client developer reads; bounds are checked on arrays that would be expensive to decode, so
 * a hostile count is refused before anything is allocated for it. */
#include "plan_decode.h"

#include "limits.h"
#include "testutil.h"

#include <xmlrpc-c/base.h>

#include <stdlib.h>
#include <string.h>

static xmlrpc_env env;

static int setup(void **state)
{
    (void)state;
    xmlrpc_env_init(&env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xmlrpc_env_clean(&env);
    ddf_test_fail_after(-1);
    return 0;
}

/* A valid count plan over one partition, to be modified by each test. */
static xmlrpc_value *count_plan(void)
{
    xmlrpc_value *v = xmlrpc_build_value(
        &env, "{s:i,s:({s:s,s:s}{s:s,s:s,s:b}),s:({s:i,s:s,s:I,s:I,s:i}),s:{s:s}}", "version", 1,
        "schema", "name", "a", "dtype", "int64", "name", "b", "dtype", "string", "pinned", 1,
        "parts", "index", 3, "path", "data/t.csv", "offset", (xmlrpc_int64)5000000000LL, "length",
        (xmlrpc_int64)20, "first_line", 2, "terminal", "kind", "count");
    assert_false(env.fault_occurred);
    return v;
}

/* Set (or replace) member 'key' of 'st' to 'v', consuming 'v'. */
static void set(xmlrpc_value *st, const char *key, xmlrpc_value *v)
{
    assert_false(env.fault_occurred);
    xmlrpc_struct_set_value(&env, st, key, v);
    xmlrpc_DECREF(v);
    assert_false(env.fault_occurred);
}

/* Decode 'v' (consumed) expecting failure with 'code' and a message containing 'msg'. */
static void expect_error(xmlrpc_value *v, int code, const char *msg)
{
    ddf_plan plan;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_plan_decode(v, &plan, &err);
    xmlrpc_DECREF(v);
    if (rc != code || strstr(err.msg, msg) == NULL)
        fail_msg("expected %s with \"%s\", got %s: \"%s\"", ddf_err_name(code), msg,
                 ddf_err_name(rc), err.msg);
}

static void test_decode_count_plan(void **state)
{
    xmlrpc_value *v = count_plan();
    ddf_plan plan;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_int_equal(plan.version, DDF_PLAN_VERSION);
    assert_int_equal(plan.schema->ncols, 2);
    assert_string_equal(plan.schema->fields[0].name, "a");
    assert_int_equal(plan.schema->fields[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(plan.schema->fields[0].flags, 0);
    assert_int_equal(plan.schema->fields[1].dtype, DDF_DTYPE_STRING);
    assert_int_equal(plan.schema->fields[1].flags, DDF_FIELD_PINNED);
    assert_int_equal(plan.nparts, 1);
    assert_int_equal(plan.parts[0].index, 3);
    assert_string_equal(plan.parts[0].path, "data/t.csv");
    assert_int_equal(plan.parts[0].offset, 5000000000ULL);
    assert_int_equal(plan.parts[0].length, 20);
    assert_int_equal(plan.parts[0].first_line, 2);
    assert_int_equal(plan.nsteps, 0);
    assert_int_equal(plan.terminal.kind, DDF_TERM_COUNT);
    assert_true(plan.terminal.dropna);
    /* csv defaults are pandas' */
    assert_int_equal(plan.csv.sep, ',');
    assert_int_equal(plan.csv.quote, '"');
    assert_true(plan.csv.header);
    ddf_plan_fini(&plan);
}

static void test_decode_groupby_plan_with_csv_options_and_steps(void **state)
{
    xmlrpc_value *v = count_plan();
    ddf_plan plan;
    ddf_error err;

    (void)state;
    set(v, "csv",
        xmlrpc_build_value(&env, "{s:s,s:s,s:b,s:(ss),s:(s),s:s,s:{s:s},s:(ss),s:b,s:s,s:s}", "sep",
                           ";", "quote", "'", "header", 0, "names", "a", "b", "usecols", "a",
                           "skiprows", "2", "dtypes", "a", "Int64", "na_values", "-", "n/a",
                           "keep_default_na", 0, "on_bad_lines", "warn", "blocksize", "1048576"));
    set(v, "steps",
        xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:s,s:s}{s:s,s:(ss)})", "kind", "filter", "expr",
                           "a > 1", "kind", "assign", "name", "c", "expr", "a * 2", "kind",
                           "select", "columns", "b", "c"));
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:({s:s,s:s}{s:s,s:s}),s:(s),s:b}", "kind", "groupby",
                           "aggs", "column", "c", "agg", "sum", "column", "c", "agg", "nunique",
                           "keys", "b", "dropna", 0));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_int_equal(plan.csv.sep, ';');
    assert_int_equal(plan.csv.quote, '\'');
    assert_false(plan.csv.header);
    assert_int_equal(plan.csv.nnames, 2);
    assert_string_equal(plan.csv.names[1], "b");
    assert_int_equal(plan.csv.nusecols, 1);
    assert_int_equal(plan.csv.skiprows, 2);
    assert_int_equal(plan.csv.ndtypes, 1);
    assert_string_equal(plan.csv.dtypes[0].name, "a");
    assert_int_equal(plan.csv.dtypes[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(plan.csv.nna_values, 2);
    assert_string_equal(plan.csv.na_values[1], "n/a");
    assert_false(plan.csv.keep_default_na);
    assert_int_equal(plan.csv.on_bad_lines, DDF_BAD_LINES_WARN);
    assert_int_equal(plan.csv.blocksize, 1048576);
    assert_int_equal(plan.nsteps, 3);
    assert_int_equal(plan.steps[0].kind, DDF_STEP_FILTER);
    assert_string_equal(plan.steps[0].expr, "a > 1");
    assert_int_equal(plan.steps[1].kind, DDF_STEP_ASSIGN);
    assert_string_equal(plan.steps[1].name, "c");
    assert_int_equal(plan.steps[2].kind, DDF_STEP_SELECT);
    assert_int_equal(plan.steps[2].ncolumns, 2);
    assert_string_equal(plan.steps[2].columns[1], "c");
    assert_int_equal(plan.terminal.kind, DDF_TERM_GROUPBY);
    assert_int_equal(plan.terminal.naggs, 2);
    assert_int_equal(plan.terminal.aggs[1].kind, DDF_AGG_NUNIQUE);
    assert_string_equal(plan.terminal.aggs[0].column, "c");
    assert_int_equal(plan.terminal.nkeys, 1);
    assert_string_equal(plan.terminal.keys[0], "b");
    assert_false(plan.terminal.dropna);
    ddf_plan_fini(&plan);
}

static void test_decode_other_terminals(void **state)
{
    ddf_plan plan;
    ddf_error err;
    xmlrpc_value *v;

    (void)state;
    v = count_plan();
    set(v, "terminal", xmlrpc_build_value(&env, "{s:s,s:i}", "kind", "head", "n", -5));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_int_equal(plan.terminal.kind, DDF_TERM_HEAD);
    assert_int_equal(plan.terminal.n, -5);
    ddf_plan_fini(&plan);

    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:s,s:(ss),s:b,s:s}", "kind", "topk", "n", "3", "keys", "a",
                           "b", "largest", 0, "keep", "all"));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_int_equal(plan.terminal.kind, DDF_TERM_TOPK);
    assert_int_equal(plan.terminal.n, 3);
    assert_int_equal(plan.terminal.nkeys, 2);
    assert_false(plan.terminal.largest);
    assert_int_equal(plan.terminal.keep, DDF_TOPK_KEEP_ALL);
    ddf_plan_fini(&plan);

    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:s}", "kind", "value_counts", "column", "b"));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_string_equal(plan.terminal.column, "b");
    assert_true(plan.terminal.dropna);
    ddf_plan_fini(&plan);

    v = count_plan();
    set(v, "terminal", xmlrpc_build_value(&env, "{s:s,s:s}", "kind", "write_csv", "path", "out/x"));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_string_equal(plan.terminal.path, "out/x");
    ddf_plan_fini(&plan);

    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:({s:s,s:s})}", "kind", "reduce", "aggs", "column", "a",
                           "agg", "std"));
    assert_int_equal(ddf_plan_decode(v, &plan, &err), DDF_OK);
    xmlrpc_DECREF(v);
    assert_int_equal(plan.terminal.aggs[0].kind, DDF_AGG_STD);
    ddf_plan_fini(&plan);
}

static void test_int64_accepts_int_i8_and_decimal_strings_only(void **state)
{
    ddf_error err;
    int64_t out;
    xmlrpc_value *v;

    (void)state;
    v = xmlrpc_string_new(&env, "-9223372036854775808");
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_OK);
    assert_true(out == INT64_MIN);
    xmlrpc_DECREF(v);
    v = xmlrpc_i8_new(&env, 1LL << 40);
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_OK);
    assert_true(out == 1LL << 40);
    xmlrpc_DECREF(v);
    v = xmlrpc_string_new(&env, "12x");
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "x: \"12x\" is not a 64-bit decimal integer");
    xmlrpc_DECREF(v);
    v = xmlrpc_string_new(&env, "99999999999999999999");
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_EINVAL);
    xmlrpc_DECREF(v);
    v = xmlrpc_string_new(&env, " 1");
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_EINVAL);
    xmlrpc_DECREF(v);
    v = xmlrpc_double_new(&env, 1.0);
    assert_int_equal(ddf_plan_decode_int64(v, "x", &out, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "x: expected an integer (int, i8 or decimal string), got a "
                                 "double");
    xmlrpc_DECREF(v);
}

static void test_wrong_types_and_missing_members_name_the_member(void **state)
{
    xmlrpc_value *v;

    (void)state;
    expect_error(xmlrpc_build_value(&env, "(i)", 1), DDF_EINVAL,
                 "plan: expected a struct, got an array");
    expect_error(xmlrpc_build_value(&env, "{s:(),s:(),s:{s:s}}", "schema", "parts", "terminal",
                                    "kind", "count"),
                 DDF_EINVAL, "plan: missing member \"version\"");
    v = count_plan();
    set(v, "version", xmlrpc_int_new(&env, 2));
    expect_error(v, DDF_EVERSION, "plan.version: 2 is not supported");
    v = count_plan();
    set(v, "bogus", xmlrpc_int_new(&env, 2));
    expect_error(v, DDF_EINVAL, "plan: unknown member \"bogus\"");
    v = count_plan();
    set(v, "parts",
        xmlrpc_build_value(&env, "({s:i,s:s,s:d,s:i})", "index", 0, "path", "p", "offset", 1.5,
                           "length", 3));
    expect_error(v, DDF_EINVAL,
                 "plan.parts[0].offset: expected an integer (int, i8 or "
                 "decimal string), got a double");
    v = count_plan();
    set(v, "parts",
        xmlrpc_build_value(&env, "({s:i,s:s,s:i})", "index", 0, "path", "p", "offset", 1));
    expect_error(v, DDF_EINVAL, "plan.parts[0]: missing member \"length\"");
    v = count_plan();
    set(v, "parts",
        xmlrpc_build_value(&env, "({s:i,s:s,s:i,s:i})", "index", 0, "path", "p", "offset", -1,
                           "length", 3));
    expect_error(v, DDF_EINVAL, "plan.parts[0].offset: -1 is negative");
    v = count_plan();
    set(v, "parts",
        xmlrpc_build_value(&env, "({s:i,s:s,s:i,s:i})", "index", 0, "path", "", "offset", 1,
                           "length", 3));
    expect_error(v, DDF_EINVAL, "plan.parts[0].path: empty");
    v = count_plan();
    set(v, "schema", xmlrpc_build_value(&env, "({s:s,s:s})", "name", "a", "dtype", "int32"));
    expect_error(v, DDF_EINVAL, "plan.schema[0]: unknown dtype \"int32\"");
    v = count_plan();
    set(v, "schema",
        xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:s})", "name", "a", "dtype", "int64", "name", "a",
                           "dtype", "bool"));
    expect_error(v, DDF_EINVAL, "plan.schema[1]: duplicate column \"a\"");
    v = count_plan();
    set(v, "csv", xmlrpc_build_value(&env, "{s:s}", "sep", ",,"));
    expect_error(v, DDF_EINVAL, "plan.csv.sep: expected one character");
    v = count_plan();
    set(v, "csv", xmlrpc_build_value(&env, "{s:s}", "on_bad_lines", "explode"));
    expect_error(v, DDF_EINVAL, "plan.csv.on_bad_lines: \"explode\" is not error, warn or skip");
    v = count_plan();
    set(v, "csv", xmlrpc_build_value(&env, "{s:i}", "blocksize", 0));
    expect_error(v, DDF_EINVAL, "plan.csv.blocksize: 0 is not in 1..");
    v = count_plan();
    set(v, "steps",
        xmlrpc_build_value(&env, "({s:s,s:s,s:(s)})", "kind", "filter", "expr", "a", "columns",
                           "a"));
    expect_error(v, DDF_EINVAL, "plan.steps[0]: a filter has only kind and expr");
    v = count_plan();
    set(v, "steps", xmlrpc_build_value(&env, "({s:s,s:s})", "kind", "drop", "expr", "a"));
    expect_error(v, DDF_EINVAL, "plan.steps[0].kind: \"drop\" is not filter, assign or select");
    v = count_plan();
    set(v, "steps", xmlrpc_build_value(&env, "({s:s,s:s})", "kind", "assign", "expr", "a"));
    expect_error(v, DDF_EINVAL, "plan.steps[0]: missing member \"name\"");
    v = count_plan();
    set(v, "terminal", xmlrpc_build_value(&env, "{s:s,s:i}", "kind", "count", "n", 3));
    expect_error(v, DDF_EINVAL, "plan.terminal: a count step takes no \"n\"");
    v = count_plan();
    set(v, "terminal", xmlrpc_build_value(&env, "{s:s}", "kind", "pivot"));
    expect_error(v, DDF_EINVAL, "plan.terminal.kind: unknown terminal step \"pivot\"");
    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:({s:s,s:s}),s:(s)}", "kind", "groupby", "aggs", "column",
                           "a", "agg", "median", "keys", "b"));
    expect_error(v, DDF_EINVAL, "plan.terminal.aggs[0].agg: unknown aggregation \"median\"");
    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:(),s:()}", "kind", "groupby", "aggs", "keys"));
    expect_error(v, DDF_EINVAL, "plan.terminal.keys: empty");
    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:i,s:(s),s:s}", "kind", "topk", "n", 2, "keys", "a", "keep",
                           "some"));
    expect_error(v, DDF_EINVAL, "plan.terminal.keep: \"some\" is not first, last or all");
    v = count_plan();
    set(v, "terminal",
        xmlrpc_build_value(&env, "{s:s,s:i,s:(s)}", "kind", "topk", "n", -2, "keys", "a"));
    expect_error(v, DDF_EINVAL, "plan.terminal.n: -2 is negative");
}

static void test_strings_with_nul_bytes_are_refused(void **state)
{
    xmlrpc_value *v = count_plan();

    (void)state;
    set(v, "steps",
        xmlrpc_build_value(&env, "({s:s,s:s#})", "kind", "filter", "expr", "a\0b", (size_t)3));
    expect_error(v, DDF_EINVAL, "plan.steps[0].expr: string holds a NUL byte");
}

static void test_bounds_are_checked_before_allocating(void **state)
{
    xmlrpc_value *v, *arr;
    char *big;
    int i;

    (void)state;
    /* One past the bound of partitions: refused from the array size alone (the items are
     * not even structs). */
    arr = xmlrpc_array_new(&env);
    for (i = 0; i <= DDF_PLAN_MAX_PARTS; i++) {
        xmlrpc_value *one = xmlrpc_int_new(&env, i);
        xmlrpc_array_append_item(&env, arr, one);
        xmlrpc_DECREF(one);
    }
    v = count_plan();
    set(v, "parts", arr);
    expect_error(v, DDF_ETOOBIG, "plan.parts: 65537 items is over the limit of 65536");

    arr = xmlrpc_array_new(&env);
    for (i = 0; i <= DDF_PLAN_MAX_STEPS; i++) {
        xmlrpc_value *one = xmlrpc_int_new(&env, i);
        xmlrpc_array_append_item(&env, arr, one);
        xmlrpc_DECREF(one);
    }
    v = count_plan();
    set(v, "steps", arr);
    expect_error(v, DDF_ETOOBIG, "plan.steps: 257 items is over the limit of 256");

    big = malloc(DDF_MAX_EXPR_BYTES + 2);
    assert_non_null(big);
    memset(big, 'a', DDF_MAX_EXPR_BYTES + 1);
    big[DDF_MAX_EXPR_BYTES + 1] = '\0';
    v = count_plan();
    set(v, "steps", xmlrpc_build_value(&env, "({s:s,s:s})", "kind", "filter", "expr", big));
    free(big);
    expect_error(v, DDF_ETOOBIG, "plan.steps[0].expr: string of 65537 bytes is over the limit");

    v = count_plan();
    set(v, "parts",
        xmlrpc_build_value(&env, "({s:i,s:s,s:i,s:I})", "index", 0, "path", "p", "offset", 0,
                           "length", (xmlrpc_int64)DDF_MAX_BLOCK_BYTES + 1));
    expect_error(v, DDF_ETOOBIG,
                 "plan.parts[0].length: 1073741825 bytes is over the partition "
                 "limit");
}

/* Every allocation the decoder makes may fail: each failure is a clean DDF_ENOMEM (or the
 * init's error) and leaks nothing. */
static void test_allocation_failures_are_clean(void **state)
{
    xmlrpc_value *v = count_plan();
    ddf_plan plan;
    ddf_error err;
    long n;
    int rc;

    (void)state;
    set(v, "steps",
        xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:(ss)})", "kind", "filter", "expr", "a > 1",
                           "kind", "select", "columns", "a", "b"));
    for (n = 0; n < 10000; n++) {
        ddf_test_fail_after(n);
        rc = ddf_plan_decode(v, &plan, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            ddf_plan_fini(&plan);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
    }
    assert_true(n > 0);
    assert_true(n < 10000);
    xmlrpc_DECREF(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decode_count_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_groupby_plan_with_csv_options_and_steps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_decode_other_terminals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int64_accepts_int_i8_and_decimal_strings_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_types_and_missing_members_name_the_member, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_strings_with_nul_bytes_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds_are_checked_before_allocating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures_are_clean, setup, teardown),
    };
    return cmocka_run_group_tests_name("plan_decode", tests, NULL, NULL);
}
