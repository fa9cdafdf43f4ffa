/* test_exec.c - the executor end to end on generated CSV files: every terminal kind,
 * merged as the client merges partials, equals the same kernels run in one pass over the
 * whole file (ddf_csv_read_file); cache hits on a second run; eviction and the memory
 * budget; widening and pinned-dtype errors per partition; allocation failures; fused
 * slices giving the whole-partition partials bit for bit. */
#include "exec.h"

#include "agg.h"
#include "alloc.h"
#include "eval.h"
#include "frame_ops.h"
#include "groupby.h"
#include "split.h"
#include "topk.h"
#include "value_counts.h"

#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture: a data root with a generated CSV ------------------------------------- */

typedef struct fixture {
    char root[64];
    char path[128];          /* root/data.csv */
    ddf_schema *schema;      /* of the whole file */
    ddf_table *whole;        /* the whole file in one table */
    ddf_split_part *splits;  /* exact partitions of ~blocksize */
    size_t nsplits;
    ddf_plan_part *parts;
    ddf_plan plan;
    ddf_step steps[4];
    const char *cols[5];
    ddf_plan_agg aggs[10];
    const char *keys[2];
} fixture;

/* Rows with nulls, quotes, separators and newlines inside quotes. */
static void write_data(const char *path, int rows)
{
    static const char *regions[] = {"EU-West", "EU-East", "\"US, \"\"North\"\"\"",
                                    "\"multi\nline\"", "", "APAC"};
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs("id,region,qty,price,ok\n", f);
    for (int i = 0; i < rows; i++) {
        fprintf(f, "%d,%s,", i, regions[(i * 7) % 6]);
        if (i % 11 != 3)
            fprintf(f, "%d", (i * 37) % 23 - 5);
        fputc(',', f);
        if (i % 13 != 5)
            fprintf(f, "%.3f", (double)((i * 53) % 1000) / 7.0);
        fputc(',', f);
        if (i % 17 != 2)
            fputs(i % 3 ? "True" : "False", f);
        fputc('\n', f);
    }
    fclose(f);
}

static void fixture_plan(fixture *fx)
{
    ddf_error err;

    assert_int_equal(ddf_plan_init(&fx->plan, &err), DDF_OK);
    ddf_schema_free(fx->plan.schema);
    fx->plan.schema = ddf_schema_copy(fx->schema);
    assert_non_null(fx->plan.schema);
    fx->plan.parts = fx->parts;
    fx->plan.nparts = fx->nsplits;
}

static fixture *fixture_new(int rows, uint64_t blocksize)
{
    fixture *fx = calloc(1, sizeof(*fx));
    ddf_csv_options opt;
    ddf_csv_report report;
    ddf_table **tables;
    size_t ntables;
    ddf_csv_file *file;
    ddf_error err;

    snprintf(fx->root, sizeof(fx->root), "/tmp/ddf-exec-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->path, sizeof(fx->path), "%s/data.csv", fx->root);
    write_data(fx->path, rows);

    ddf_csv_options_init(&opt);
    ddf_csv_report_init(&report);
    assert_int_equal(ddf_csv_read_file(fx->path, &opt, 1, &fx->schema, &tables, &ntables,
                                       &report, &err), DDF_OK);
    ddf_csv_report_fini(&report);
    assert_int_equal(ddf_frame_ops_concat((const ddf_table *const *)tables, ntables,
                                          &fx->whole, &err), DDF_OK);
    ddf_csv_parts_free(tables, ntables);

    assert_int_equal(ddf_csv_open(fx->path, &opt, &file, &err), DDF_OK);
    assert_int_equal(ddf_split_file(fx->path, ddf_csv_data_start(file), ddf_csv_data_line(file),
                                    blocksize, '"', &fx->splits, &fx->nsplits, &err), DDF_OK);
    ddf_csv_close(file);
    fx->parts = calloc(fx->nsplits, sizeof(*fx->parts));
    for (size_t i = 0; i < fx->nsplits; i++)
        fx->parts[i] = (ddf_plan_part){.index = i, .path = "data.csv",
                                       .offset = fx->splits[i].offset,
                                       .length = fx->splits[i].length,
                                       .first_line = fx->splits[i].first_line};
    fixture_plan(fx);
    return fx;
}

static void fixture_free(fixture *fx)
{
    char cmd[200];

    ddf_plan_fini(&fx->plan);
    ddf_table_free(fx->whole);
    ddf_schema_free(fx->schema);
    ddf_free(fx->splits);
    free(fx->parts);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
    assert_int_equal(system(cmd), 0);
    free(fx);
}

static ddf_exec *exec_new(fixture *fx, unsigned threads, size_t budget)
{
    ddf_exec_options opt;
    ddf_exec *ex;
    ddf_error err;

    ddf_exec_options_init(&opt);
    opt.threads = threads;
    opt.memory_limit = budget;
    opt.data_root = fx->root;
    assert_int_equal(ddf_exec_new(&opt, &ex, &err), DDF_OK);
    return ex;
}

/* The fixture's pipeline: filter, assign, select. */
static void set_pipeline(fixture *fx)
{
    fx->steps[0] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 0 or isnull(price)"};
    fx->steps[1] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price"};
    fx->cols[0] = "region";
    fx->cols[1] = "qty";
    fx->cols[2] = "total";
    fx->cols[3] = "ok";
    fx->cols[4] = "price";
    fx->steps[2] = (ddf_step){.kind = DDF_STEP_SELECT, .columns = fx->cols, .ncolumns = 5};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 3;
}

/* The same pipeline over the whole file in one pass. */
static ddf_table *oracle_pipeline(fixture *fx)
{
    ddf_arena *a = ddf_arena_new();
    ddf_expr *pred, *total;
    uint32_t *sel;
    size_t nsel;
    ddf_table *assigned, *out;
    ddf_error err;
    ddf_schema *s;

    assert_int_equal(ddf_expr_parse(fx->steps[0].expr, strlen(fx->steps[0].expr), a, &pred,
                                    &err), DDF_OK);
    assert_int_equal(ddf_expr_check(pred, fx->schema, &err), DDF_OK);
    assert_int_equal(ddf_eval_filter(pred, fx->whole, NULL, 0, a, &sel, &nsel, &err), DDF_OK);
    assert_int_equal(ddf_expr_parse(fx->steps[1].expr, strlen(fx->steps[1].expr), a, &total,
                                    &err), DDF_OK);
    assert_int_equal(ddf_expr_check(total, fx->schema, &err), DDF_OK);
    assert_int_equal(ddf_frame_ops_assign(fx->whole, sel, nsel, "total", 5, total, a, &assigned,
                                          &err), DDF_OK);
    assert_int_equal(ddf_frame_ops_select_names(assigned, fx->cols, 5, &out, &err), DDF_OK);
    ddf_table_free(assigned);
    ddf_arena_free(a);
    (void)s;
    return out;
}

static ddf_exec_result *run_ok(ddf_exec *ex, fixture *fx)
{
    ddf_exec_result *res;
    ddf_error err;

    assert_int_equal(ddf_plan_validate(&fx->plan, fx->root, &err), DDF_OK);
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    for (size_t i = 0; i < fx->plan.nparts; i++) {
        if (res[i].status != DDF_OK)
            fail_msg("partition %zu: %s: %s", i, ddf_err_name(res[i].status), res[i].err.msg);
        assert_int_equal(res[i].index, fx->parts[i].index);
        assert_non_null(res[i].table);
    }
    return res;
}

static const ddf_table **partials(ddf_exec_result *res, size_t n)
{
    const ddf_table **t = calloc(n, sizeof(*t));

    for (size_t i = 0; i < n; i++)
        t[i] = res[i].table;
    return t;
}

static bool close_enough(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

/* Equal names, dtypes and values; floats within 1e-9 relative. */
static void assert_tables_close(const ddf_table *a, const ddf_table *b)
{
    assert_int_equal(a->ncols, b->ncols);
    assert_int_equal(a->nrows, b->nrows);
    for (size_t c = 0; c < a->ncols; c++) {
        const ddf_column *x = &a->columns[c], *y = &b->columns[c];

        assert_string_equal(a->names[c], b->names[c]);
        assert_int_equal(x->dtype, y->dtype);
        for (size_t r = 0; r < a->nrows; r++) {
            if (x->dtype == DDF_DTYPE_FLOAT64 && ddf_column_is_valid(x, r) &&
                ddf_column_is_valid(y, r)) {
                if (!close_enough(x->values.f64[r], y->values.f64[r]))
                    fail_msg("column %s row %zu: %.17g != %.17g", a->names[c], r,
                             x->values.f64[r], y->values.f64[r]);
            } else if (!ddf_column_value_equal(x, r, y, r)) {
                fail_msg("column %s row %zu differs", a->names[c], r);
            }
        }
    }
}

static ddf_table *concat_partials(ddf_exec_result *res, size_t n)
{
    const ddf_table **t = partials(res, n);
    ddf_table *all;
    ddf_error err;

    assert_int_equal(ddf_frame_ops_concat(t, n, &all, &err), DDF_OK);
    free(t);
    return all;
}

/* ---- the terminal kinds ------------------------------------------------------------ */

static void test_exec_count_collect_head_tail_match_one_pass(void **state)
{
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_table *f, *all, *want;
    ddf_exec_result *res;
    ddf_error err;
    uint64_t read = 0, out = 0;
    int64_t count = 0;

    (void)state;
    assert_true(fx->nsplits > 4);
    set_pipeline(fx);
    f = oracle_pipeline(fx);

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++) {
        assert_int_equal(res[i].table->nrows, 1);
        assert_string_equal(res[i].table->names[0], "count");
        count += res[i].table->columns[0].values.i64[0];
        read += res[i].rows_read;
        out += res[i].rows_out;
        assert_false(res[i].cache_hit);
    }
    assert_int_equal(count, f->nrows);
    assert_int_equal(out, f->nrows);
    assert_int_equal(read, fx->whole->nrows);
    ddf_exec_results_free(res, fx->nsplits);

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COLLECT};
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_true(res[i].cache_hit); /* the count parsed them all */
    all = concat_partials(res, fx->nsplits);
    assert_true(ddf_table_equal(all, f));
    ddf_table_free(all);
    ddf_exec_results_free(res, fx->nsplits);

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_HEAD, .n = 7};
    res = run_ok(ex, fx);
    all = concat_partials(res, fx->nsplits);
    ddf_exec_results_free(res, fx->nsplits);
    assert_int_equal(ddf_frame_ops_head(all, NULL, 0, 7, &want, &err), DDF_OK);
    ddf_table_free(all);
    all = want;
    assert_int_equal(ddf_frame_ops_head(f, NULL, 0, 7, &want, &err), DDF_OK);
    assert_true(ddf_table_equal(all, want));
    ddf_table_free(all);
    ddf_table_free(want);

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_TAIL, .n = 9};
    res = run_ok(ex, fx);
    all = concat_partials(res, fx->nsplits);
    ddf_exec_results_free(res, fx->nsplits);
    assert_int_equal(ddf_frame_ops_tail(all, NULL, 0, 9, &want, &err), DDF_OK);
    ddf_table_free(all);
    all = want;
    assert_int_equal(ddf_frame_ops_tail(f, NULL, 0, 9, &want, &err), DDF_OK);
    assert_true(ddf_table_equal(all, want));
    ddf_table_free(all);
    ddf_table_free(want);

    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void assert_values_close(const ddf_agg_value *a, const ddf_agg_value *b)
{
    assert_int_equal(a->dtype, b->dtype);
    switch (a->dtype) {
    case DDF_DTYPE_FLOAT64:
        assert_true(close_enough(a->f64, b->f64));
        break;
    case DDF_DTYPE_STRING:
        assert_int_equal(a->str_len, b->str_len);
        assert_memory_equal(a->str, b->str, a->str_len);
        break;
    case DDF_DTYPE_NULL:
        break;
    default:
        assert_int_equal(a->i64, b->i64);
    }
}

static void test_exec_reduce_merges_to_the_one_pass_result(void **state)
{
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    static const ddf_plan_agg aggs[] = {
        {"qty", DDF_AGG_SUM},      {"price", DDF_AGG_MEAN},  {"region", DDF_AGG_MAX},
        {"region", DDF_AGG_NUNIQUE}, {"ok", DDF_AGG_FIRST}, {"total", DDF_AGG_STD},
        {"price", DDF_AGG_COUNT},  {"region", DDF_AGG_SIZE}, {"qty", DDF_AGG_LAST},
        {"total", DDF_AGG_MIN},
    };
    size_t n = sizeof(aggs) / sizeof(aggs[0]);
    ddf_arena *arena = ddf_arena_new();
    ddf_exec_result *res;
    ddf_table *f;
    ddf_error err;

    (void)state;
    set_pipeline(fx);
    f = oracle_pipeline(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = n};
    res = run_ok(ex, fx);
    for (size_t k = 0; k < n; k++) {
        long col = -1;
        ddf_agg_state one, merged;
        ddf_agg_value want, got;

        for (size_t c = 0; c < f->ncols; c++)
            if (strcmp(f->names[c], aggs[k].column) == 0)
                col = (long)c;
        assert_true(col >= 0);
        assert_int_equal(ddf_agg_init(&one, aggs[k].kind, f->columns[col].dtype, arena, &err),
                         DDF_OK);
        assert_int_equal(ddf_agg_update(&one, &f->columns[col], NULL, 0, 0, &err), DDF_OK);
        assert_int_equal(ddf_agg_init(&merged, aggs[k].kind, f->columns[col].dtype, arena, &err),
                         DDF_OK);
        for (size_t i = 0; i < fx->nsplits; i++) {
            size_t cols[12];
            ddf_table *slice;
            ddf_agg_state st;

            assert_int_equal(res[i].table->ncols, 12 * n);
            assert_int_equal(res[i].table->nrows, 1);
            for (size_t j = 0; j < 12; j++)
                cols[j] = 12 * k + j;
            assert_int_equal(ddf_frame_ops_select(res[i].table, cols, 12, &slice, &err), DDF_OK);
            assert_int_equal(ddf_agg_states_from_table(slice, arena, &st, 1, &err), DDF_OK);
            assert_int_equal(ddf_agg_merge(&merged, &st, &err), DDF_OK);
            ddf_agg_fini(&st);
            ddf_table_free(slice);
        }
        assert_int_equal(ddf_agg_finalize(&one, &want, &err), DDF_OK);
        assert_int_equal(ddf_agg_finalize(&merged, &got, &err), DDF_OK);
        assert_values_close(&got, &want);
        ddf_agg_fini(&one);
        ddf_agg_fini(&merged);
    }
    ddf_exec_results_free(res, fx->nsplits);
    ddf_arena_free(arena);
    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static size_t col_of(const ddf_table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    fail_msg("no column %s", name);
    return 0;
}

static void test_exec_groupby_merges_to_the_one_pass_result(void **state)
{
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    static const ddf_plan_agg aggs[] = {
        {"qty", DDF_AGG_SUM}, {"price", DDF_AGG_MEAN}, {"ok", DDF_AGG_COUNT},
        {"total", DDF_AGG_VAR}, {"qty", DDF_AGG_FIRST},
    };
    size_t n = sizeof(aggs) / sizeof(aggs[0]);
    ddf_groupby_agg gaggs[5];
    ddf_exec_result *res;
    ddf_groupby *one, *merged;
    ddf_table *f, *want, *got;
    size_t keys[2];
    ddf_error err;

    (void)state;
    set_pipeline(fx);
    f = oracle_pipeline(fx);
    for (int dropna = 1; dropna >= 0; dropna--) {
        fx->keys[0] = "region";
        fx->keys[1] = "ok";
        fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY, .keys = fx->keys,
                                           .nkeys = 2, .aggs = aggs, .naggs = n,
                                           .dropna = dropna};
        res = run_ok(ex, fx);
        keys[0] = col_of(f, "region");
        keys[1] = col_of(f, "ok");
        for (size_t k = 0; k < n; k++)
            gaggs[k] = (ddf_groupby_agg){.col = col_of(f, aggs[k].column), .kind = aggs[k].kind};
        assert_int_equal(ddf_groupby_new(f, keys, 2, gaggs, n, dropna, &one, &err), DDF_OK);
        assert_int_equal(ddf_groupby_update(one, f, NULL, 0, 0, &err), DDF_OK);
        assert_int_equal(ddf_groupby_new(f, keys, 2, gaggs, n, dropna, &merged, &err), DDF_OK);
        for (size_t i = 0; i < fx->nsplits; i++)
            assert_int_equal(ddf_groupby_merge_table(merged, res[i].table, &err), DDF_OK);
        assert_int_equal(ddf_groupby_result(one, &want, &err), DDF_OK);
        assert_int_equal(ddf_groupby_result(merged, &got, &err), DDF_OK);
        if (want->nrows < 5)
            fail_msg("only %zu groups", want->nrows);
        assert_tables_close(got, want);
        ddf_table_free(want);
        ddf_table_free(got);
        ddf_groupby_free(one);
        ddf_groupby_free(merged);
        ddf_exec_results_free(res, fx->nsplits);
    }
    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_value_counts_and_topk_merge_to_the_one_pass_result(void **state)
{
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_value_counts *one, *merged;
    ddf_topk *tone, *tmerged;
    ddf_table *f, *want, *got;
    size_t keys[2];
    ddf_error err;

    (void)state;
    set_pipeline(fx);
    f = oracle_pipeline(fx);

    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_VALUE_COUNTS, .column = "region",
                                       .dropna = false};
    res = run_ok(ex, fx);
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, false, &one, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(one, &f->columns[col_of(f, "region")], NULL, 0, 0,
                                             &err), DDF_OK);
    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, false, &merged, &err), DDF_OK);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_int_equal(ddf_value_counts_merge_table(merged, res[i].table, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_result(one, false, &want, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_result(merged, false, &got, &err), DDF_OK);
    assert_true(ddf_table_equal(got, want));
    ddf_table_free(want);
    ddf_table_free(got);
    ddf_value_counts_free(one);
    ddf_value_counts_free(merged);
    ddf_exec_results_free(res, fx->nsplits);

    for (int keep = DDF_TOPK_KEEP_FIRST; keep <= DDF_TOPK_KEEP_ALL; keep++) {
        fx->keys[0] = "qty";
        fx->keys[1] = "price";
        fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_TOPK, .keys = fx->keys, .nkeys = 2,
                                           .n = 25, .largest = keep != 1,
                                           .keep = (ddf_topk_keep)keep};
        res = run_ok(ex, fx);
        keys[0] = col_of(f, "qty");
        keys[1] = col_of(f, "price");
        assert_int_equal(ddf_topk_new(f, keys, 2, 25, keep != 1, (ddf_topk_keep)keep, &tone,
                                      &err), DDF_OK);
        assert_int_equal(ddf_topk_update(tone, f, NULL, 0, 0, &err), DDF_OK);
        assert_int_equal(ddf_topk_new(f, keys, 2, 25, keep != 1, (ddf_topk_keep)keep, &tmerged,
                                      &err), DDF_OK);
        for (size_t i = 0; i < fx->nsplits; i++)
            assert_int_equal(ddf_topk_merge_table(tmerged, res[i].table, &err), DDF_OK);
        assert_int_equal(ddf_topk_result(tone, false, &want, &err), DDF_OK);
        assert_int_equal(ddf_topk_result(tmerged, false, &got, &err), DDF_OK);
        assert_true(want->nrows >= 25);
        assert_true(ddf_table_equal(got, want));
        ddf_table_free(want);
        ddf_table_free(got);
        ddf_topk_free(tone);
        ddf_topk_free(tmerged);
        ddf_exec_results_free(res, fx->nsplits);
    }
    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_write_csv_writes_parts_that_read_back(void **state)
{
    fixture *fx = fixture_new(1000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_table *f, *back;
    ddf_error err;
    int64_t rows = 0;

    (void)state;
    set_pipeline(fx);
    f = oracle_pipeline(fx);
    /* every other run names the files as Dask's to_csv("out/sales-*.csv") does */
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_WRITE_CSV, .path = "out/by/name",
                                       .name = "sales-*.csv"}; /* levels made as needed */
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++) {
        char named[200];

        snprintf(named, sizeof(named), "%s/out/by/name/sales-%zu.csv", fx->root, i);
        assert_int_equal(access(named, R_OK), 0);
    }
    ddf_exec_results_free(res, fx->nsplits);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_WRITE_CSV, .path = "out"};
    res = run_ok(ex, fx);
    {
        /* Concatenate the parts (each with its header) into one file and read it back. */
        char all[160], part[200];
        FILE *o;

        snprintf(all, sizeof(all), "%s/all.csv", fx->root);
        o = fopen(all, "w");
        for (size_t i = 0; i < fx->nsplits; i++) {
            char line[4096];
            FILE *in;
            bool header = true;

            assert_string_equal(res[i].table->names[0], "rows");
            rows += res[i].table->columns[0].values.i64[0];
            snprintf(part, sizeof(part), "%s/out/part-%zu.csv", fx->root, i);
            in = fopen(part, "r");
            assert_non_null(in);
            while (fgets(line, sizeof(line), in)) {
                if (!header || i == 0)
                    fputs(line, o);
                header = false;
            }
            fclose(in);
        }
        fclose(o);
        assert_int_equal(rows, f->nrows);

        ddf_csv_options opt;
        ddf_csv_report report;
        ddf_schema *schema;
        ddf_table **tables;
        size_t ntables;

        ddf_csv_options_init(&opt);
        ddf_csv_report_init(&report);
        assert_int_equal(ddf_csv_read_file(all, &opt, 1, &schema, &tables, &ntables, &report,
                                           &err), DDF_OK);
        ddf_csv_report_fini(&report);
        assert_int_equal(ddf_frame_ops_concat((const ddf_table *const *)tables, ntables, &back,
                                              &err), DDF_OK);
        ddf_csv_parts_free(tables, ntables);
        ddf_schema_free(schema);
    }
    /* The empty region reads back as null, as pandas reads its own "" back. Compare the
     * other columns exactly (floats round-trip). */
    {
        size_t cols[] = {1, 2, 3, 4};
        ddf_table *a, *b;

        assert_int_equal(ddf_frame_ops_select(back, cols, 4, &a, &err), DDF_OK);
        assert_int_equal(ddf_frame_ops_select(f, cols, 4, &b, &err), DDF_OK);
        assert_tables_close(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
    }
    ddf_table_free(back);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

/* ---- cache, budget, widening, errors ----------------------------------------------- */

static void test_exec_second_run_hits_the_cache(void **state)
{
    fixture *fx = fixture_new(2000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_exec_stats st;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    res = run_ok(ex, fx);
    ddf_exec_results_free(res, fx->nsplits);
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_true(res[i].cache_hit);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_get_stats(ex, &st);
    assert_int_equal(st.cache.misses, fx->nsplits);
    assert_int_equal(st.cache.hits, fx->nsplits);
    assert_int_equal(st.cache.entries, fx->nsplits);
    assert_int_equal(st.cache.evictions, 0);
    assert_int_equal(st.files_open, 1);
    assert_int_equal(st.threads, 2);
    assert_int_equal(st.parts_run, 2 * fx->nsplits);

    /* Pinning a dtype the cache already holds reads the same values: served. */
    fx->plan.schema->fields[0].flags |= DDF_FIELD_PINNED;
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_true(res[i].cache_hit);
    ddf_exec_results_free(res, fx->nsplits);
    /* Another dtype is another parse. */
    fx->plan.schema->fields[0].dtype = DDF_DTYPE_STRING;
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_false(res[i].cache_hit);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_free(ex);
    fixture_free(fx);
}

/* Switch fx's plan to read only columns 'names' (in file order), as a client's cut does. */
static void cut_plan(fixture *fx, const char *const *names, size_t n)
{
    ddf_schema *cut = ddf_schema_new();

    assert_non_null(cut);
    for (size_t i = 0; i < n; i++) {
        long c = ddf_schema_find(fx->schema, names[i]);
        assert_true(c >= 0);
        assert_int_equal(ddf_schema_add(cut, names[i], strlen(names[i]),
                                        fx->schema->fields[c].dtype, 0), DDF_OK);
    }
    ddf_schema_free(fx->plan.schema);
    fx->plan.schema = cut;
    fx->plan.csv.usecols = names;
    fx->plan.csv.nusecols = n;
}

static void full_plan(fixture *fx)
{
    ddf_schema_free(fx->plan.schema);
    fx->plan.schema = ddf_schema_copy(fx->schema);
    assert_non_null(fx->plan.schema);
    fx->plan.csv.usecols = NULL;
    fx->plan.csv.nusecols = 0;
}

/* The collected partitions of 'res' hold columns 'names' of the whole file, row by row. */
static void assert_collected(const fixture *fx, const ddf_exec_result *res,
                             const char *const *names, size_t n)
{
    size_t row = 0;

    for (size_t i = 0; i < fx->nsplits; i++) {
        const ddf_table *t = res[i].table;

        assert_int_equal(t->ncols, n);
        for (size_t k = 0; k < n; k++) {
            long c = ddf_schema_find(fx->schema, names[k]);
            assert_string_equal(t->names[k], names[k]);
            for (size_t r = 0; r < t->nrows; r++)
                assert_true(ddf_column_value_equal(&t->columns[k], r,
                                                   &fx->whole->columns[c], row + r));
        }
        row += t->nrows;
    }
    assert_int_equal(row, fx->whole->nrows);
}

static void test_exec_cut_is_served_by_a_wider_cached_table(void **state)
{
    static const char *const cut[] = {"region", "price"};
    fixture *fx = fixture_new(2000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_exec_stats st;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COLLECT};
    res = run_ok(ex, fx); /* every column parsed and cached */
    ddf_exec_results_free(res, fx->nsplits);
    cut_plan(fx, cut, 2);
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_true(res[i].cache_hit);
    assert_collected(fx, res, cut, 2);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_get_stats(ex, &st);
    assert_int_equal(st.cache.misses, fx->nsplits);
    assert_int_equal(st.cache.entries, fx->nsplits);
    full_plan(fx);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_wider_parse_replaces_the_cuts_it_covers(void **state)
{
    static const char *const cut[] = {"id", "qty"};
    static const char *const all[] = {"id", "region", "qty", "price", "ok"};
    fixture *fx = fixture_new(2000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_exec_stats st;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COLLECT};
    cut_plan(fx, cut, 2);
    res = run_ok(ex, fx);
    assert_collected(fx, res, cut, 2);
    ddf_exec_results_free(res, fx->nsplits);
    full_plan(fx);
    res = run_ok(ex, fx); /* a miss: the cut lacks columns */
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_false(res[i].cache_hit);
    assert_collected(fx, res, all, 5);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_get_stats(ex, &st);
    assert_int_equal(st.cache.entries, fx->nsplits); /* the cuts were dropped */
    cut_plan(fx, cut, 2);
    res = run_ok(ex, fx);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_true(res[i].cache_hit);
    assert_collected(fx, res, cut, 2);
    ddf_exec_results_free(res, fx->nsplits);
    full_plan(fx);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_evicts_under_a_small_budget_and_stays_correct(void **state)
{
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *probe = exec_new(fx, 1, 64u << 20);
    ddf_exec_result *res;
    ddf_exec_stats st;
    ddf_exec *ex;
    size_t biggest = 0;
    int64_t count;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    res = run_ok(probe, fx);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_get_stats(probe, &st);
    biggest = st.cache.bytes / fx->nsplits * 2;
    ddf_exec_free(probe);

    ex = exec_new(fx, 2, 3 * biggest); /* room for about three partitions */
    for (int round = 0; round < 2; round++) {
        res = run_ok(ex, fx);
        count = 0;
        for (size_t i = 0; i < fx->nsplits; i++)
            count += res[i].table->columns[0].values.i64[0];
        assert_int_equal(count, fx->whole->nrows);
        ddf_exec_results_free(res, fx->nsplits);
    }
    ddf_exec_get_stats(ex, &st);
    assert_true(st.cache.evictions > 0);
    assert_true(st.cache.bytes <= 3 * biggest);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_partition_over_the_budget_fails_alone(void **state)
{
    fixture *fx = fixture_new(500, 8192);
    ddf_exec *ex = exec_new(fx, 2, 1000);
    ddf_exec_result *res;
    ddf_error err;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    for (size_t i = 0; i < fx->nsplits; i++) {
        assert_int_equal(res[i].status, DDF_ETOOBIG);
        assert_null(res[i].table);
        assert_non_null(strstr(res[i].err.msg, "over the worker's memory budget of 1000 bytes"));
    }
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_reports_widening_and_pinned_misfits_per_partition(void **state)
{
    fixture *fx = fixture_new(2000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    char path[160];
    FILE *f;
    ddf_error err;
    size_t last = fx->nsplits - 1;

    (void)state;
    /* Append a record whose qty is not a number: only the last partition holds it. */
    snprintf(path, sizeof(path), "%s/data.csv", fx->root);
    f = fopen(path, "a");
    fputs("2000,EU-West,x,1.5,True\n", f);
    fclose(f);
    {
        struct stat stt;
        assert_int_equal(stat(path, &stt), 0);
        fx->parts[last].length = (uint64_t)stt.st_size - fx->parts[last].offset;
    }
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    assert_int_equal(ddf_plan_validate(&fx->plan, fx->root, &err), DDF_OK);
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    for (size_t i = 0; i < last; i++)
        assert_int_equal(res[i].status, DDF_OK);
    assert_int_equal(res[last].status, DDF_EWIDEN);
    assert_null(res[last].table);
    assert_int_equal(res[last].nneeded, fx->schema->ncols);
    assert_int_equal(res[last].needed[2], DDF_DTYPE_STRING); /* qty */
    ddf_exec_results_free(res, fx->nsplits);

    /* Pinned: the same value is an error naming file, line and column. */
    fx->plan.schema->fields[2].flags |= DDF_FIELD_PINNED;
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    for (size_t i = 0; i < last; i++)
        assert_int_equal(res[i].status, DDF_OK);
    assert_int_equal(res[last].status, DDF_ETYPE);
    /* Line 1 is the header; one row in six has a quoted newline (333 of the 2000). */
    assert_int_equal(res[last].err.line, 1 + 2000 + 333 + 1);
    assert_int_equal(res[last].err.column, 3);
    assert_non_null(strstr(res[last].err.msg, "data.csv:2335: column 'qty': cannot parse 'x' "
                                              "as int64"));
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_partition_errors_do_not_fail_the_others(void **state)
{
    fixture *fx = fixture_new(1000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_error err;
    char link[160];

    (void)state;
    /* A file that vanished or escaped after validation fails its own partition. */
    snprintf(link, sizeof(link), "%s/gone.csv", fx->root);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    fx->parts[1].path = "gone.csv";
    fx->parts[2].path = "missing.csv";
    /* An expression that fails at run time (astype of a bad string) names its step. */
    fx->steps[0] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "n", .expr = "astype(region, 'int64')"};
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = 1;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    assert_int_equal(res[1].status, DDF_EINVAL);
    assert_string_equal(res[1].err.msg, "gone.csv: outside the worker's data root");
    assert_int_equal(res[2].status, DDF_ENOENT);
    assert_int_equal(res[0].status, DDF_EINVAL);
    assert_non_null(strstr(res[0].err.msg, "plan.steps[0]: "));
    ddf_exec_results_free(res, fx->nsplits);

    /* A plan that does not compile fails the call. */
    fx->steps[0].expr = "region +";
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_EPARSE);
    assert_null(res);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_head_with_negative_n_sends_every_row(void **state)
{
    fixture *fx = fixture_new(1000, 8192);
    ddf_exec *ex = exec_new(fx, 2, 64u << 20);
    ddf_exec_result *res;
    ddf_table *all;

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_HEAD, .n = -3};
    res = run_ok(ex, fx);
    all = concat_partials(res, fx->nsplits);
    assert_true(ddf_table_equal(all, fx->whole));
    ddf_table_free(all);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_free(ex);
    fixture_free(fx);
}

typedef struct runner {
    ddf_exec *ex;
    fixture *fx;
    int64_t want;
    int failures;
} runner;

static void *runner_main(void *p)
{
    runner *r = p;

    for (int round = 0; round < 10; round++) {
        ddf_exec_result *res;
        ddf_error err;
        int64_t count = 0;

        if (ddf_exec_run(r->ex, &r->fx->plan, &res, &err) != DDF_OK) {
            r->failures++;
            continue;
        }
        for (size_t i = 0; i < r->fx->nsplits; i++) {
            if (res[i].status != DDF_OK)
                r->failures++;
            else
                count += res[i].table->columns[0].values.i64[0];
        }
        if (count != r->want)
            r->failures++;
        ddf_exec_results_free(res, r->fx->nsplits);
    }
    return NULL;
}

static void test_exec_serves_concurrent_plans_over_an_evicting_cache(void **state)
{
    enum { T = 4 };
    fixture *fx = fixture_new(3000, 8192);
    ddf_exec *ex;
    ddf_exec_result *res;
    ddf_exec_stats st;
    pthread_t th[T];
    runner r[T];
    ddf_table *f;
    size_t part_bytes;

    (void)state;
    set_pipeline(fx);
    f = oracle_pipeline(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    ex = exec_new(fx, 2, 64u << 20);
    res = run_ok(ex, fx);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_get_stats(ex, &st);
    part_bytes = st.cache.bytes / fx->nsplits * 2;
    ddf_exec_free(ex);

    /* Cold cache, ample budget: concurrent plans parse each partition once. */
    ex = exec_new(fx, 2, 64u << 20);
    for (int i = 0; i < T; i++) {
        r[i] = (runner){.ex = ex, .fx = fx, .want = (int64_t)f->nrows};
        assert_int_equal(pthread_create(&th[i], NULL, runner_main, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    ddf_exec_get_stats(ex, &st);
    assert_int_equal(st.cache.misses, fx->nsplits);
    ddf_exec_free(ex);

    /* A budget of about three partitions: evictions under concurrent plans. */
    ex = exec_new(fx, 2, 3 * part_bytes);
    for (int i = 0; i < T; i++) {
        r[i] = (runner){.ex = ex, .fx = fx, .want = (int64_t)f->nrows};
        assert_int_equal(pthread_create(&th[i], NULL, runner_main, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    ddf_exec_get_stats(ex, &st);
    assert_int_equal(st.parts_run, T * 10 * fx->nsplits);
    assert_true(st.cache.evictions > 0);
    ddf_table_free(f);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_new_refuses_a_missing_data_root(void **state)
{
    ddf_exec_options opt;
    ddf_exec *ex;
    ddf_error err;

    (void)state;
    ddf_exec_options_init(&opt);
    opt.data_root = "/nonexistent/ddf";
    assert_int_equal(ddf_exec_new(&opt, &ex, &err), DDF_EINVAL);
    assert_null(ex);
    assert_string_equal(err.msg, "data root /nonexistent/ddf: No such file or directory");
    ddf_exec_free(NULL);
    ddf_exec_results_free(NULL, 0);
}

static void test_exec_fails_cleanly_without_memory(void **state)
{
    fixture *fx = fixture_new(200, 2048);
    ddf_exec *ex = exec_new(fx, 1, 64u << 20);
    static const ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}, {"region", DDF_AGG_NUNIQUE}};
    const ddf_terminal terms[] = {
        {.kind = DDF_TERM_GROUPBY, .keys = (const char *const[]){"region"}, .nkeys = 1,
         .aggs = aggs, .naggs = 2, .dropna = true},
        {.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = 2},
        {.kind = DDF_TERM_COLLECT},
    };
    long failures = 0;

    (void)state;
    set_pipeline(fx);
    for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]); t++) {
        fx->plan.terminal = terms[t];
        for (long n = 0;; n++) {
            ddf_exec_result *res;
            ddf_error err;
            bool all_ok = true;
            int rc;

            ddf_cache_clear(ddf_exec_cache(ex));
            ddf_test_fail_after(n);
            rc = ddf_exec_run(ex, &fx->plan, &res, &err);
            ddf_test_fail_after(-1);
            if (rc < 0) {
                assert_int_equal(rc, DDF_ENOMEM);
                assert_null(res);
                failures++;
                continue;
            }
            for (size_t i = 0; i < fx->nsplits; i++) {
                if (res[i].status == DDF_OK)
                    continue;
                all_ok = false;
                if (res[i].status != DDF_ENOMEM)
                    fail_msg("allocation %ld: partition %zu: %s: %s", n, i,
                             ddf_err_name(res[i].status), res[i].err.msg);
                assert_null(res[i].table);
            }
            ddf_exec_results_free(res, fx->nsplits);
            if (all_ok)
                break;
            failures++;
        }
    }
    assert_true(failures > 10);
    ddf_exec_free(ex);
    fixture_free(fx);
}


/* ---- fused slices: the same partials as whole partitions -------------------------- */

static ddf_exec *exec_sliced(fixture *fx, size_t slice_rows)
{
    ddf_exec_options opt;
    ddf_exec *ex;
    ddf_error err;

    ddf_exec_options_init(&opt);
    opt.threads = 2;
    opt.data_root = fx->root;
    opt.slice_rows = slice_rows;
    assert_int_equal(ddf_exec_new(&opt, &ex, &err), DDF_OK);
    return ex;
}

/* Where two tables first differ, for the failure message. */
static const char *first_difference(const ddf_table *a, const ddf_table *b)
{
    static __thread char msg[200];

    if (a->ncols != b->ncols || a->nrows != b->nrows) {
        snprintf(msg, sizeof(msg), "%zux%zu vs %zux%zu", a->nrows, a->ncols, b->nrows,
                 b->ncols);
        return msg;
    }
    for (size_t c = 0; c < a->ncols; c++)
        for (size_t r = 0; r < a->nrows; r++)
            if (!ddf_column_value_equal(&a->columns[c], r, &b->columns[c], r)) {
                snprintf(msg, sizeof(msg), "column %s row %zu: %.17g vs %.17g (i64 %lld vs %lld)",
                         a->names[c], r,
                         a->columns[c].dtype == DDF_DTYPE_FLOAT64 ? a->columns[c].values.f64[r] : 0,
                         b->columns[c].dtype == DDF_DTYPE_FLOAT64 ? b->columns[c].values.f64[r] : 0,
                         a->columns[c].dtype == DDF_DTYPE_INT64 ? (long long)a->columns[c].values.i64[r] : 0,
                         b->columns[c].dtype == DDF_DTYPE_INT64 ? (long long)b->columns[c].values.i64[r] : 0);
                return msg;
            }
    return "names";
}

/* Run fx->plan on whole partitions and in slices of 64, 192 and 640 rows: every
 * partition's status, message, rows and partial table must be the same, bit for bit
 * (floats compare by bits in ddf_table_equal). 640 rows is more than one of
 * ddf_eval_fold's blocks. */
static void assert_slices_match_whole(fixture *fx)
{
    static const size_t sizes[] = {DDF_EXEC_NO_SLICES, 64, 192, 640};
    enum { NSIZES = sizeof sizes / sizeof sizes[0] };
    ddf_exec_result *res[NSIZES];
    ddf_error err;

    assert_int_equal(ddf_plan_validate(&fx->plan, fx->root, &err), DDF_OK);
    for (size_t k = 0; k < NSIZES; k++) {
        ddf_exec *ex = exec_sliced(fx, sizes[k]);

        assert_int_equal(ddf_exec_run(ex, &fx->plan, &res[k], &err), DDF_OK);
        ddf_exec_free(ex);
    }
    for (size_t k = 1; k < NSIZES; k++) {
        size_t sliced = 0;

        for (size_t i = 0; i < fx->nsplits; i++)
            sliced += res[0][i].rows_read > sizes[k];
        assert_true(sliced >= 2); /* so the slices really ran */
    }
    for (size_t k = 1; k < NSIZES; k++)
        for (size_t i = 0; i < fx->nsplits; i++) {
            assert_int_equal(res[k][i].status, res[0][i].status);
            assert_string_equal(res[k][i].err.msg, res[0][i].err.msg);
            assert_int_equal(res[k][i].rows_out, res[0][i].rows_out);
            if (res[0][i].status == DDF_OK && !ddf_table_equal(res[k][i].table, res[0][i].table))
                fail_msg("slices of %zu rows: partition %zu differs: %s", sizes[k], i,
                         first_difference(res[k][i].table, res[0][i].table));
        }
    for (size_t k = 0; k < NSIZES; k++)
        ddf_exec_results_free(res[k], fx->nsplits);
}

static void set_steps(fixture *fx, const ddf_step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fx->steps[i] = steps[i];
    fx->plan.steps = fx->steps;
    fx->plan.nsteps = n;
}

/* Partitions of about 1300 rows, not a multiple of the slice: the last slice ends inside
 * a validity byte; qty, price and ok hold nulls, region strings with quotes and newlines. */
static fixture *slices_fixture(void)
{
    fixture *fx = fixture_new(5000, 40000);

    assert_true(fx->nsplits >= 3);
    return fx;
}

static void test_exec_slices_reduce_every_kind_over_an_assign(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg aggs[] = {
        {"total", DDF_AGG_COUNT}, {"total", DDF_AGG_SIZE},  {"total", DDF_AGG_SUM},
        {"total", DDF_AGG_MEAN},  {"total", DDF_AGG_MIN},   {"total", DDF_AGG_MAX},
        {"total", DDF_AGG_STD},   {"total", DDF_AGG_VAR},   {"total", DDF_AGG_FIRST},
        {"total", DDF_AGG_LAST},  {"total", DDF_AGG_NUNIQUE}, {"qty", DDF_AGG_SUM},
        {"qty", DDF_AGG_FIRST},   {"qty", DDF_AGG_LAST},    {"region", DDF_AGG_MIN},
        {"region", DDF_AGG_MAX},  {"region", DDF_AGG_FIRST}, {"region", DDF_AGG_LAST},
        {"region", DDF_AGG_NUNIQUE}, {"ok", DDF_AGG_SUM},   {"ok", DDF_AGG_MEAN},
        {"price", DDF_AGG_SUM},   {"n", DDF_AGG_SUM},       {"n", DDF_AGG_MAX},
    };
    const ddf_step steps[] = {
        {.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "price * qty * (1 - price / 1000)"},
        {.kind = DDF_STEP_ASSIGN, .name = "n", .expr = "qty * 3 - id"},
    };

    (void)state;
    set_steps(fx, steps, 2);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = aggs,
                                       .naggs = sizeof(aggs) / sizeof(aggs[0])};
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

/* A sum or mean of the column the last step assigns is folded from the expression's
 * blocks (exec.c, folds_assigned_sum) and must give the whole path's bits; so must the
 * plans next to it that do not fold: a filter first, the sum of another column, a second
 * aggregation, an int expression. */
static void test_exec_slices_fold_an_assigned_sum(void **state)
{
    static const ddf_plan_agg sum[] = {{"total", DDF_AGG_SUM}};
    static const ddf_plan_agg mean[] = {{"total", DDF_AGG_MEAN}};
    static const ddf_plan_agg sum_price[] = {{"price", DDF_AGG_SUM}};
    static const ddf_plan_agg two[] = {{"total", DDF_AGG_SUM}, {"total", DDF_AGG_COUNT}};
    static const struct {
        const char *name, *expr;
        const ddf_plan_agg *aggs;
        size_t naggs;
        bool filter;
    } cases[] = {
        {"total", "price * qty * (1 - price / 1000)", sum, 1, false},
        {"total", "price * qty * (1 - price / 1000)", mean, 1, false},
        {"total", "qty / 3", sum, 1, false},
        {"total", "price * qty + 0.5", sum, 1, true},
        {"price", "price * 2 - qty", sum_price, 1, false},
        {"total", "price - 1", sum_price, 1, false},
        {"total", "price * qty", two, 2, false},
        {"total", "qty * 2", sum, 1, false},
        {"total", "(qty - 2) / (qty - 2) * price", sum, 1, false}, /* NaN rows: skipped */
    };

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fixture *fx = slices_fixture();
        const ddf_step steps[] = {
            {.kind = DDF_STEP_FILTER, .expr = "qty > 3"},
            {.kind = DDF_STEP_ASSIGN, .name = cases[k].name, .expr = cases[k].expr},
        };

        set_steps(fx, cases[k].filter ? steps : steps + 1, cases[k].filter ? 2 : 1);
        fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = cases[k].aggs,
                                           .naggs = cases[k].naggs};
        assert_slices_match_whole(fx);
        fixture_free(fx);
    }
}

static void test_exec_slices_filter_then_reduce(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg aggs[] = {
        {"price", DDF_AGG_SUM}, {"price", DDF_AGG_MEAN}, {"price", DDF_AGG_STD},
        {"price", DDF_AGG_FIRST}, {"price", DDF_AGG_LAST}, {"qty", DDF_AGG_SUM},
        {"region", DDF_AGG_MAX}, {"id", DDF_AGG_COUNT},
    };
    const ddf_step steps[] = {
        {.kind = DDF_STEP_FILTER, .expr = "qty > 0 or isnull(price)"},
    };

    (void)state;
    set_steps(fx, steps, 1);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = 8};
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

/* A filter before an assign: the whole path compacts the selected rows, so a float sum
 * takes its lanes over them (agg.h's streams keep that order across slices); with
 * first/last the partition runs whole. */
static void test_exec_slices_filter_assign_reduce(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg sums[] = {
        {"total", DDF_AGG_SUM}, {"total", DDF_AGG_MEAN}, {"price", DDF_AGG_SUM},
        {"total", DDF_AGG_VAR}, {"region", DDF_AGG_NUNIQUE},
    };
    static const ddf_plan_agg firsts[] = {{"total", DDF_AGG_SUM}, {"total", DDF_AGG_FIRST},
                                          {"region", DDF_AGG_MIN}};
    const ddf_step steps[] = {
        {.kind = DDF_STEP_FILTER, .expr = "qty > -3"},
        {.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price + 0.1"},
        {.kind = DDF_STEP_SELECT, .columns = (const char *const[]){"total", "price", "region"},
         .ncolumns = 3},
    };

    (void)state;
    set_steps(fx, steps, 3);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = sums, .naggs = 5};
    assert_slices_match_whole(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = firsts, .naggs = 3};
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

static void test_exec_slices_groupby_after_assign_and_filter(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg aggs[] = {
        {"total", DDF_AGG_SUM}, {"price", DDF_AGG_MEAN}, {"ok", DDF_AGG_COUNT},
        {"total", DDF_AGG_VAR}, {"qty", DDF_AGG_NUNIQUE}, {"total", DDF_AGG_MAX},
        {"ok", DDF_AGG_MIN},
    };
    /* these keep rows (first, min of strings): the partitions run whole */
    static const ddf_plan_agg with_first[] = {{"total", DDF_AGG_SUM}, {"qty", DDF_AGG_FIRST},
                                              {"region", DDF_AGG_MIN}};
    const ddf_step steps[] = {
        {.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price"},
        {.kind = DDF_STEP_FILTER, .expr = "total > 10 or isnull(total)"},
    };

    (void)state;
    set_steps(fx, steps, 2);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY,
                                       .keys = (const char *const[]){"region"}, .nkeys = 1,
                                       .aggs = aggs, .naggs = 7, .dropna = true};
    assert_slices_match_whole(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY,
                                       .keys = (const char *const[]){"ok", "region"},
                                       .nkeys = 2, .aggs = aggs, .naggs = 7, .dropna = false};
    assert_slices_match_whole(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY,
                                       .keys = (const char *const[]){"region"}, .nkeys = 1,
                                       .aggs = with_first, .naggs = 3, .dropna = true};
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

/* String columns in slices: their offsets start past 0. */
static void test_exec_slices_string_columns(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg aggs[] = {
        {"tag", DDF_AGG_MIN}, {"tag", DDF_AGG_MAX}, {"tag", DDF_AGG_FIRST},
        {"tag", DDF_AGG_LAST}, {"tag", DDF_AGG_NUNIQUE}, {"tag", DDF_AGG_COUNT},
    };
    static const ddf_plan_agg count[] = {{"id", DDF_AGG_COUNT}, {"price", DDF_AGG_SUM}};
    static const ddf_plan_agg sliced[] = {{"tag", DDF_AGG_NUNIQUE}, {"tag", DDF_AGG_COUNT},
                                          {"region", DDF_AGG_NUNIQUE}};
    const ddf_step steps[] = {
        {.kind = DDF_STEP_FILTER, .expr = "not startswith(region, 'EU') or qty > 4"},
        {.kind = DDF_STEP_ASSIGN, .name = "tag",
         .expr = "upper(region) + '-' + astype(qty, 'str')"},
    };

    (void)state;
    set_steps(fx, steps, 2);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = 6};
    assert_slices_match_whole(fx); /* min/max/first/last after a filter: run whole */
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = sliced, .naggs = 3};
    assert_slices_match_whole(fx);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_GROUPBY,
                                       .keys = (const char *const[]){"tag"}, .nkeys = 1,
                                       .aggs = count, .naggs = 2, .dropna = false};
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

static void test_exec_slices_count(void **state)
{
    fixture *fx = slices_fixture();
    const ddf_step filter[] = {{.kind = DDF_STEP_FILTER, .expr = "qty > 2 and ok"}};
    const ddf_step assign[] = {{.kind = DDF_STEP_ASSIGN, .name = "x", .expr = "qty + 1"}};

    (void)state;
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_COUNT};
    set_steps(fx, filter, 1);
    assert_slices_match_whole(fx);
    set_steps(fx, assign, 1);
    assert_slices_match_whole(fx);
    fixture_free(fx);
}

/* An error in a slice runs the partition whole, whose error is the one reported (rows of
 * the whole partition, the step the whole path meets first). */
static void test_exec_slices_report_the_whole_paths_error(void **state)
{
    fixture *fx = slices_fixture();
    static const ddf_plan_agg aggs[] = {{"bad", DDF_AGG_SUM}};
    const ddf_step steps[] = {
        {.kind = DDF_STEP_ASSIGN, .name = "bad", .expr = "astype(region, 'int64')"},
    };
    /* the filter drops the rows astype cannot read: the whole path succeeds, a slice
     * evaluating the assign over all its rows fails and falls back */
    const ddf_step filtered[] = {
        {.kind = DDF_STEP_FILTER, .expr = "region == ''"},
        {.kind = DDF_STEP_ASSIGN, .name = "bad", .expr = "astype(astype(id, 'str'), 'int64')"},
        {.kind = DDF_STEP_ASSIGN, .name = "bad", .expr = "astype(region + '7', 'int64')"},
    };
    ddf_exec *ex = exec_sliced(fx, 64);
    ddf_exec_result *res;
    ddf_error err;

    (void)state;
    set_steps(fx, steps, 1);
    fx->plan.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = 1};
    assert_slices_match_whole(fx);
    assert_int_equal(ddf_plan_validate(&fx->plan, fx->root, &err), DDF_OK);
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    assert_int_equal(res[0].status, DDF_EINVAL);
    ddf_exec_results_free(res, fx->nsplits);
    set_steps(fx, filtered, 3);
    assert_slices_match_whole(fx);
    assert_int_equal(ddf_plan_validate(&fx->plan, fx->root, &err), DDF_OK);
    assert_int_equal(ddf_exec_run(ex, &fx->plan, &res, &err), DDF_OK);
    for (size_t i = 0; i < fx->nsplits; i++)
        assert_int_equal(res[i].status, DDF_OK);
    ddf_exec_results_free(res, fx->nsplits);
    ddf_exec_free(ex);
    fixture_free(fx);
}

static void test_exec_slices_refuse_a_size_off_64(void **state)
{
    ddf_exec_options opt;
    ddf_exec *ex;
    ddf_error err;

    (void)state;
    ddf_exec_options_init(&opt);
    opt.slice_rows = 100;
    assert_int_equal(ddf_exec_new(&opt, &ex, &err), DDF_EINVAL);
    assert_null(ex);
    assert_string_equal(err.msg, "slice_rows 100 is not a multiple of 64");
}

/* Allocation failures inside slices (and the whole run they fall back to) fail the
 * partition with DDF_ENOMEM and leak nothing. */
static void test_exec_slices_fail_cleanly_without_memory(void **state)
{
    fixture *fx = fixture_new(400, 100000);
    ddf_exec *ex = exec_sliced(fx, 64);
    static const ddf_plan_agg aggs[] = {{"total", DDF_AGG_SUM}, {"region", DDF_AGG_NUNIQUE}};
    const ddf_terminal terms[] = {
        {.kind = DDF_TERM_GROUPBY, .keys = (const char *const[]){"region"}, .nkeys = 1,
         .aggs = aggs, .naggs = 2, .dropna = true},
        {.kind = DDF_TERM_REDUCE, .aggs = aggs, .naggs = 2},
        {.kind = DDF_TERM_COUNT},
    };
    const ddf_step steps[] = {
        {.kind = DDF_STEP_FILTER, .expr = "qty > 0 or isnull(price)"},
        {.kind = DDF_STEP_ASSIGN, .name = "total", .expr = "qty * price"},
    };
    long failures = 0;

    (void)state;
    set_steps(fx, steps, 2);
    for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]); t++) {
        fx->plan.terminal = terms[t];
        for (long n = 0;; n++) {
            ddf_exec_result *res;
            ddf_error err;
            bool all_ok = true;
            int rc;

            ddf_test_fail_after(n);
            rc = ddf_exec_run(ex, &fx->plan, &res, &err);
            ddf_test_fail_after(-1);
            if (rc < 0) {
                assert_int_equal(rc, DDF_ENOMEM);
                failures++;
                continue;
            }
            for (size_t i = 0; i < fx->nsplits; i++) {
                if (res[i].status == DDF_OK)
                    continue;
                all_ok = false;
                if (res[i].status != DDF_ENOMEM)
                    fail_msg("allocation %ld: partition %zu: %s: %s", n, i,
                             ddf_err_name(res[i].status), res[i].err.msg);
            }
            ddf_exec_results_free(res, fx->nsplits);
            if (all_ok)
                break;
            failures++;
        }
    }
    assert_true(failures > 10);
    ddf_exec_free(ex);
    fixture_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_count_collect_head_tail_match_one_pass),
        cmocka_unit_test(test_exec_reduce_merges_to_the_one_pass_result),
        cmocka_unit_test(test_exec_groupby_merges_to_the_one_pass_result),
        cmocka_unit_test(test_exec_value_counts_and_topk_merge_to_the_one_pass_result),
        cmocka_unit_test(test_exec_write_csv_writes_parts_that_read_back),
        cmocka_unit_test(test_exec_second_run_hits_the_cache),
        cmocka_unit_test(test_exec_cut_is_served_by_a_wider_cached_table),
        cmocka_unit_test(test_exec_wider_parse_replaces_the_cuts_it_covers),
        cmocka_unit_test(test_exec_evicts_under_a_small_budget_and_stays_correct),
        cmocka_unit_test(test_exec_partition_over_the_budget_fails_alone),
        cmocka_unit_test(test_exec_reports_widening_and_pinned_misfits_per_partition),
        cmocka_unit_test(test_exec_partition_errors_do_not_fail_the_others),
        cmocka_unit_test(test_exec_head_with_negative_n_sends_every_row),
        cmocka_unit_test(test_exec_serves_concurrent_plans_over_an_evicting_cache),
        cmocka_unit_test(test_exec_new_refuses_a_missing_data_root),
        cmocka_unit_test(test_exec_fails_cleanly_without_memory),
        cmocka_unit_test(test_exec_slices_reduce_every_kind_over_an_assign),
        cmocka_unit_test(test_exec_slices_fold_an_assigned_sum),
        cmocka_unit_test(test_exec_slices_filter_then_reduce),
        cmocka_unit_test(test_exec_slices_filter_assign_reduce),
        cmocka_unit_test(test_exec_slices_groupby_after_assign_and_filter),
        cmocka_unit_test(test_exec_slices_string_columns),
        cmocka_unit_test(test_exec_slices_count),
        cmocka_unit_test(test_exec_slices_report_the_whole_paths_error),
        cmocka_unit_test(test_exec_slices_refuse_a_size_off_64),
        cmocka_unit_test(test_exec_slices_fail_cleanly_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
