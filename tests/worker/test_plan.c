/* test_plan.c - plan validation: confinement to the data root (.., symlinks), files and
 * ranges, expressions checked against the schema as the pipeline changes it, terminal
 * columns and aggregations; exact messages; allocation failures. */
#include "plan.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSV "region,qty,price,ok\nEU,1,2.5,True\nUS,3,4.0,False\n"

typedef struct fixture {
    char root[64];     /* the data root: data.csv, sub/, inner-link.csv, escape.csv */
    char outside[96];  /* a file outside the root */
    ddf_plan plan;
    ddf_plan_part part;
    ddf_step steps[4];
    ddf_plan_agg aggs[2];
    const char *keys[2];
    const char *cols[2];
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    char p[256];
    ddf_error err;

    snprintf(fx->root, sizeof(fx->root), "/tmp/ddf-plan-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->outside, sizeof(fx->outside), "%s-outside.csv", fx->root);
    write_file(fx->outside, CSV);
    snprintf(p, sizeof(p), "%s/data.csv", fx->root);
    write_file(p, CSV);
    snprintf(p, sizeof(p), "%s/sub", fx->root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/escape.csv", fx->root);
    assert_int_equal(symlink(fx->outside, p), 0);
    snprintf(p, sizeof(p), "%s/inner-link.csv", fx->root);
    assert_int_equal(symlink("data.csv", p), 0);

    assert_int_equal(ddf_plan_init(&fx->plan, &err), DDF_OK);
    assert_int_equal(ddf_schema_add(fx->plan.schema, "region", 6, DDF_DTYPE_STRING, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(fx->plan.schema, "qty", 3, DDF_DTYPE_INT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(fx->plan.schema, "price", 5, DDF_DTYPE_FLOAT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(fx->plan.schema, "ok", 2, DDF_DTYPE_BOOL, 0), DDF_OK);
    fx->part = (ddf_plan_part){.index = 0, .path = "data.csv", .offset = 19,
                               .length = sizeof(CSV) - 1 - 19, .first_line = 2};
    fx->plan.parts = &fx->part;
    fx->plan.nparts = 1;
    fx->plan.terminal.kind = DDF_TERM_COUNT;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[400];

    ddf_plan_fini(&fx->plan);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", fx->root, fx->outside);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* Validate and expect 'code' and exactly 'msg' (NULL: any message). */
static void expect(fixture *fx, int code, const char *msg)
{
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_plan_validate(&fx->plan, fx->root, &err);
    if (rc != code)
        fail_msg("expected %s, got %s: %s", ddf_err_name(code), ddf_err_name(rc), err.msg);
    if (msg)
        assert_string_equal(err.msg, msg);
}

static void test_plan_init_gives_an_empty_plan_and_fini_is_idempotent(void **state)
{
    ddf_plan plan;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_plan_init(&plan, &err), DDF_OK);
    assert_int_equal(plan.version, DDF_PLAN_VERSION);
    assert_non_null(plan.arena);
    assert_non_null(plan.schema);
    assert_int_equal(plan.csv.sep, ',');
    ddf_plan_fini(&plan);
    ddf_plan_fini(&plan);
    memset(&plan, 0, sizeof(plan));
    ddf_plan_fini(&plan);
}

static void test_plan_init_fails_cleanly_without_memory(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        ddf_plan plan;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_plan_init(&plan, &err);
        ddf_test_fail_after(-1);
        ddf_plan_fini(&plan);
        if (rc == DDF_OK)
            break;
        assert_int_equal(rc, DDF_ENOMEM);
        assert_string_equal(err.msg, "out of memory creating a plan");
    }
}

static void test_plan_with_pipeline_and_groupby_is_valid(void **state)
{
    fixture *fx = *state;

    fx->steps[0] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 1 and ok"};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price"};
    fx->cols[0] = "region";
    fx->cols[1] = "total";
    fx->steps[2] = (ddf_step){.kind = DDF_STEP_SELECT, .columns = fx->cols, .ncolumns = 2};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 3;
    fx->keys[0] = "region";
    fx->aggs[0] = (ddf_plan_agg){.column = "total", .kind = DDF_AGG_MEAN};
    fx->aggs[1] = (ddf_plan_agg){.column = "region", .kind = DDF_AGG_NUNIQUE};
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY, .keys = fx->keys, .nkeys = 1,
                                       .aggs = fx->aggs, .naggs = 2, .dropna = true};
    expect(fx, DDF_OK, NULL);
}

static void test_plan_path_escaping_with_dotdot_is_refused(void **state)
{
    fixture *fx = *state;
    char rel[128];

    snprintf(rel, sizeof(rel), "../%s", strrchr(fx->outside, '/') + 1);
    fx->part.path = rel;
    fx->part.offset = 0;
    fx->part.length = 1;
    char want[256];
    snprintf(want, sizeof(want), "plan.parts[0]: %s: outside the worker's data root", rel);
    expect(fx, DDF_EINVAL, want);
    /* The same through an absolute path with ".." in the middle. */
    char abs[256];
    snprintf(abs, sizeof(abs), "%s/sub/../../%s", fx->root, strrchr(fx->outside, '/') + 1);
    fx->part.path = abs;
    expect(fx, DDF_EINVAL, NULL);
    /* ".." that stays inside is fine. */
    fx->part.path = "sub/../data.csv";
    expect(fx, DDF_OK, NULL);
}

static void test_plan_path_escaping_through_a_symlink_is_refused(void **state)
{
    fixture *fx = *state;

    fx->part.path = "escape.csv";
    fx->part.offset = 0;
    fx->part.length = 1;
    expect(fx, DDF_EINVAL, "plan.parts[0]: escape.csv: outside the worker's data root");
    fx->part.path = "inner-link.csv"; /* a symlink that stays inside */
    expect(fx, DDF_OK, NULL);
    fx->part.path = fx->outside; /* absolute, outside */
    expect(fx, DDF_EINVAL, NULL);
}

static void test_plan_missing_file_and_directory_are_refused(void **state)
{
    fixture *fx = *state;

    fx->part.path = "nope.csv";
    expect(fx, DDF_ENOENT, "plan.parts[0]: nope.csv: No such file or directory");
    fx->part.path = "sub";
    fx->part.offset = 0;
    fx->part.length = 0;
    expect(fx, DDF_EIO, "plan.parts[0]: sub: not a regular file");
    fx->part.path = "";
    expect(fx, DDF_EINVAL, "plan.parts[0]: empty path");
}

static void test_plan_range_past_the_end_is_refused(void **state)
{
    fixture *fx = *state;

    fx->part.offset = 19;
    fx->part.length = sizeof(CSV); /* one byte too many */
    expect(fx, DDF_EINVAL, "plan.parts[0]: data.csv: bytes [19, 69) are past the end of the "
                           "file (49 bytes)");
    fx->part.offset = UINT64_MAX;
    fx->part.length = 2;
    expect(fx, DDF_EINVAL, NULL);
    fx->part.offset = sizeof(CSV) - 1; /* an empty partition at the end is fine */
    fx->part.length = 0;
    expect(fx, DDF_OK, NULL);
}

static void test_plan_bad_expression_names_the_step_and_keeps_the_offset(void **state)
{
    fixture *fx = *state;
    ddf_error err;

    fx->steps[0] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > "};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 1;
    expect(fx, DDF_EPARSE, NULL);
    ddf_plan_validate(&fx->plan, fx->root, &err);
    assert_non_null(strstr(err.msg, "plan.steps[0] (filter 'qty > '): "));
    assert_int_equal(err.offset, 6);

    fx->steps[0].expr = "qyt > 1";
    expect(fx, DDF_ETYPE, "plan.steps[0] (filter 'qyt > 1'): unknown column 'qyt' (did you "
                          "mean 'qty'?)");
    ddf_plan_validate(&fx->plan, fx->root, &err);
    assert_int_equal(err.offset, 0);

    fx->steps[0].expr = "qty + 1";
    expect(fx, DDF_ETYPE, "plan.steps[0] (filter 'qty + 1'): the condition is int64, not bool");
}

static void test_plan_pipeline_changes_the_schema_later_steps_see(void **state)
{
    fixture *fx = *state;

    /* assign adds a column the next step may use */
    fx->steps[0] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "big", .expr = "qty > 2"};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "big"};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 2;
    expect(fx, DDF_OK, NULL);
    /* assign replaces a column's dtype: qty becomes a string, so qty > 2 no longer checks */
    fx->steps[0] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "qty", .expr = "region"};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 2"};
    expect(fx, DDF_ETYPE, NULL);
    /* select narrows: a dropped column is unknown afterwards */
    fx->cols[0] = "price";
    fx->steps[0] = (ddf_step){.kind = DDF_STEP_SELECT, .columns = fx->cols, .ncolumns = 1};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 2"};
    expect(fx, DDF_ETYPE, "plan.steps[1] (filter 'qty > 2'): unknown column 'qty'");
    fx->cols[0] = "nope";
    expect(fx, DDF_EINVAL, "plan.steps[0] (select): unknown column 'nope'");
    /* the terminal sees the schema after the pipeline */
    fx->cols[0] = "price";
    fx->plan.nsteps = 1;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_VALUE_COUNTS, .column = "qty"};
    expect(fx, DDF_EINVAL, "plan.terminal.column: unknown column 'qty'");
    fx->plan.terminal.column = "price";
    expect(fx, DDF_OK, NULL);
}

static void test_plan_terminal_columns_and_aggregations_are_checked(void **state)
{
    fixture *fx = *state;

    fx->aggs[0] = (ddf_plan_agg){.column = "region", .kind = DDF_AGG_SUM};
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = fx->aggs, .naggs = 1};
    expect(fx, DDF_ETYPE, "plan.terminal.aggs[0]: sum of column 'region' (string) is not "
                          "supported");
    fx->aggs[0] = (ddf_plan_agg){.column = "qtty", .kind = DDF_AGG_SUM};
    expect(fx, DDF_EINVAL, "plan.terminal.aggs[0]: unknown column 'qtty'");
    fx->aggs[0] = (ddf_plan_agg){.column = "qty", .kind = (ddf_agg_kind)99};
    expect(fx, DDF_EINVAL, "plan.terminal.aggs[0]: unknown aggregation 99");
    fx->plan.terminal.naggs = 0;
    expect(fx, DDF_EINVAL, "plan.terminal.aggs: no aggregation");

    fx->keys[0] = "nope";
    fx->aggs[0] = (ddf_plan_agg){.column = "qty", .kind = DDF_AGG_SUM};
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY, .keys = fx->keys, .nkeys = 1,
                                       .aggs = fx->aggs, .naggs = 1};
    expect(fx, DDF_EINVAL, "plan.terminal.keys[0]: unknown column 'nope'");
    fx->plan.terminal.nkeys = 0;
    expect(fx, DDF_EINVAL, "plan.terminal.keys: 0 columns, between 1 and 3 allowed");

    fx->keys[0] = "region";
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_TOPK, .keys = fx->keys, .nkeys = 1,
                                       .n = 3};
    expect(fx, DDF_ETYPE, "plan.terminal.keys[0]: cannot order by string column 'region' (as "
                          "pandas' nlargest refuses object columns)");
    fx->keys[0] = "price";
    expect(fx, DDF_OK, NULL);
    fx->plan.terminal.n = -1;
    expect(fx, DDF_EINVAL, "plan.terminal.n: -1 is outside 0..1048576");
}

static void test_plan_version_and_bounds_are_checked(void **state)
{
    fixture *fx = *state;

    fx->plan.version = 2;
    expect(fx, DDF_EVERSION, "plan.version: 2 is not supported (this worker speaks version 1)");
    fx->plan.version = DDF_PLAN_VERSION;
    fx->plan.nsteps = DDF_PLAN_MAX_STEPS + 1;
    fx->plan.steps = fx->steps;
    expect(fx, DDF_EINVAL, "plan.steps: 257 steps, the limit is 256");
}

static void test_plan_write_csv_directory_must_be_under_the_root(void **state)
{
    fixture *fx = *state;
    char out[128];

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_WRITE_CSV, .path = "out"};
    expect(fx, DDF_OK, NULL); /* new, its parent is the root */
    fx->plan.terminal.path = "sub";
    expect(fx, DDF_OK, NULL); /* exists */
    fx->plan.terminal.path = "data.csv";
    expect(fx, DDF_EINVAL, "plan.terminal.path: data.csv is not a directory");
    fx->plan.terminal.path = "../elsewhere";
    expect(fx, DDF_EINVAL, "plan.terminal.path: ../elsewhere is outside the worker's data root");
    fx->plan.terminal.path = "sub/..";
    expect(fx, DDF_OK, NULL); /* the root itself */
    snprintf(out, sizeof(out), "%s/..", fx->root);
    fx->plan.terminal.path = out;
    expect(fx, DDF_EINVAL, NULL);
    fx->plan.terminal.path = "missing/deeper"; /* made, level by level, as Dask does */
    expect(fx, DDF_OK, NULL);
    fx->plan.terminal.path = "missing/../../x";
    expect(fx, DDF_EINVAL, NULL);
    fx->plan.terminal.path = "data.csv/deeper";
    expect(fx, DDF_EINVAL, NULL);
    /* the file name template: one '*', no directory, no hidden file */
    fx->plan.terminal.path = "out";
    fx->plan.terminal.name = "sales-*.csv";
    expect(fx, DDF_OK, NULL);
    fx->plan.terminal.name = "sales.csv";
    expect(fx, DDF_EINVAL, "plan.terminal.name: \"sales.csv\" must hold one '*' (the "
                           "partition's index), no '/', and not start with '.'");
    fx->plan.terminal.name = "a-*-*.csv";
    expect(fx, DDF_EINVAL, NULL);
    fx->plan.terminal.name = "../x-*.csv";
    expect(fx, DDF_EINVAL, NULL);
    fx->plan.terminal.name = ".x-*.csv";
    expect(fx, DDF_EINVAL, NULL);
}

static void test_plan_resolve_file_gives_the_real_path(void **state)
{
    fixture *fx = *state;
    char real[4096], want[128];
    struct stat st;
    ddf_error err;

    assert_int_equal(ddf_plan_resolve_file(fx->root, "inner-link.csv", real, sizeof(real), &st,
                                           &err), DDF_OK);
    snprintf(want, sizeof(want), "%s/data.csv", fx->root);
    assert_string_equal(real, want);
    assert_int_equal(st.st_size, sizeof(CSV) - 1);
    assert_int_equal(ddf_plan_resolve_file(fx->root, "data.csv", real, 8, &st, &err),
                     DDF_ETOOBIG);
}

static void test_plan_validate_fails_cleanly_without_memory(void **state)
{
    fixture *fx = *state;

    fx->steps[0] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 1 and ok"};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price"};
    fx->cols[0] = "region";
    fx->cols[1] = "total";
    fx->steps[2] = (ddf_step){.kind = DDF_STEP_SELECT, .columns = fx->cols, .ncolumns = 2};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 3;
    fx->keys[0] = "region";
    fx->aggs[0] = (ddf_plan_agg){.column = "total", .kind = DDF_AGG_MEAN};
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY, .keys = fx->keys, .nkeys = 1,
                                       .aggs = fx->aggs, .naggs = 1};
    for (long n = 0;; n++) {
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_plan_validate(&fx->plan, fx->root, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_true(n > 3);
            break;
        }
        if (rc != DDF_ENOMEM)
            fail_msg("allocation %ld: %s: %s", n, ddf_err_name(rc), err.msg);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_init_gives_an_empty_plan_and_fini_is_idempotent),
        cmocka_unit_test(test_plan_init_fails_cleanly_without_memory),
        T(test_plan_with_pipeline_and_groupby_is_valid),
        T(test_plan_path_escaping_with_dotdot_is_refused),
        T(test_plan_path_escaping_through_a_symlink_is_refused),
        T(test_plan_missing_file_and_directory_are_refused),
        T(test_plan_range_past_the_end_is_refused),
        T(test_plan_bad_expression_names_the_step_and_keeps_the_offset),
        T(test_plan_pipeline_changes_the_schema_later_steps_see),
        T(test_plan_terminal_columns_and_aggregations_are_checked),
        T(test_plan_version_and_bounds_are_checked),
        T(test_plan_write_csv_directory_must_be_under_the_root),
        T(test_plan_resolve_file_gives_the_real_path),
        T(test_plan_validate_fails_cleanly_without_memory),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
