/* exec_bench.c - the worker's executor alone (no server, no client) on a sales file
 * (bench/gen-sales): one query's plan run cold once, then warm (cached partitions), on a
 * pool of one thread, so callgrind's instructions per row are the evaluation's and a
 * timing is one core's.
 *
 *     exec-bench FILE.csv [--query apply_sum|isin_sum|count_filter] [--repeat N]
 *                [--slice ROWS|whole] [--blocksize BYTES]
 *
 * Prints the query, rows, the best warm seconds and nanoseconds per row. --slice whole
 * runs whole partitions (the path before fused slices) to compare the two. */
#include "exec.h"

#include "csv_reader.h"
#include "alloc.h"
#include "split.h"

#include <libgen.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef DDF_EXEC_NO_SLICES
#define DDF_EXEC_NO_SLICES SIZE_MAX
#endif

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *query = "apply_sum";
    int repeat = 5;
    size_t slice = 0;
    uint64_t blocksize = 64u << 20;
    char dir[PATH_MAX], base[PATH_MAX];
    ddf_csv_options copt;
    ddf_csv_file *cf;
    ddf_split_part *splits;
    size_t nsplits;
    ddf_error err;
    ddf_plan plan;
    ddf_plan_part *parts;
    ddf_step steps[2];
    ddf_plan_agg agg;
    ddf_exec_options opt;
    ddf_exec *ex;
    ddf_exec_result *res;
    double best = 1e30;
    uint64_t rows = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--query") == 0 && i + 1 < argc)
            query = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--slice") == 0 && i + 1 < argc) {
            i++;
            slice = strcmp(argv[i], "whole") == 0 ? DDF_EXEC_NO_SLICES
                                                  : (size_t)strtoull(argv[i], NULL, 10);
        } else if (strcmp(argv[i], "--blocksize") == 0 && i + 1 < argc)
            blocksize = strtoull(argv[++i], NULL, 10);
        else if (file == NULL)
            file = argv[i];
        else {
            fprintf(stderr, "usage: exec-bench FILE.csv [--query Q] [--repeat N] "
                            "[--slice ROWS|whole] [--blocksize BYTES]\n");
            return 2;
        }
    }
    if (file == NULL || realpath(file, dir) == NULL) {
        fprintf(stderr, "exec-bench: no readable file given\n");
        return 2;
    }
    snprintf(base, sizeof(base), "%s", dir);
    dirname(dir);
    ddf_csv_options_init(&copt);
    if (ddf_csv_open(base, &copt, &cf, &err) < 0 ||
        ddf_split_file(base, ddf_csv_data_start(cf), ddf_csv_data_line(cf), blocksize, '"',
                       &splits, &nsplits, &err) < 0) {
        fprintf(stderr, "exec-bench: %s\n", err.msg);
        return 1;
    }
    if (ddf_plan_init(&plan, &err) < 0)
        return 1;
    ddf_schema_free(plan.schema);
    plan.schema = ddf_schema_copy(ddf_csv_schema(cf));
    ddf_csv_close(cf);
    parts = calloc(nsplits, sizeof(*parts));
    for (size_t i = 0; i < nsplits; i++)
        parts[i] = (ddf_plan_part){.index = i, .path = base, .offset = splits[i].offset,
                                   .length = splits[i].length,
                                   .first_line = splits[i].first_line};
    plan.parts = parts;
    plan.nparts = nsplits;
    plan.steps = steps;
    plan.terminal.kind = DDF_TERM_REDUCE;
    plan.terminal.aggs = &agg;
    plan.terminal.naggs = 1;
    if (strcmp(query, "apply_sum") == 0) {
        steps[0] = (ddf_step){.kind = DDF_STEP_ASSIGN, .name = "revenue",
                              .expr = "price * qty * (1 - discount)"};
        plan.nsteps = 1;
        agg = (ddf_plan_agg){"revenue", DDF_AGG_SUM};
    } else if (strcmp(query, "isin_sum") == 0) {
        steps[0] = (ddf_step){.kind = DDF_STEP_FILTER,
                              .expr = "region in ['EU-East', 'US-West', 'LATAM']"};
        plan.nsteps = 1;
        agg = (ddf_plan_agg){"qty", DDF_AGG_SUM};
    } else {
        steps[0] = (ddf_step){.kind = DDF_STEP_FILTER, .expr = "qty > 2"};
        plan.nsteps = 1;
        plan.terminal.kind = DDF_TERM_COUNT;
        plan.terminal.naggs = 0;
    }
    ddf_exec_options_init(&opt);
    opt.data_root = dir;
#ifdef DDF_EXEC_SLICE_ROWS /* absent before fused slices: the same file times that tree */
    opt.slice_rows = slice;
#else
    (void)slice;
#endif
    opt.memory_limit = (size_t)8 << 30;
    if (ddf_exec_new(&opt, &ex, &err) < 0) {
        fprintf(stderr, "exec-bench: %s\n", err.msg);
        return 1;
    }
    if (ddf_plan_validate(&plan, dir, &err) < 0) {
        fprintf(stderr, "exec-bench: %s\n", err.msg);
        return 1;
    }
    for (int k = 0; k <= repeat; k++) {
        double t0 = now_s(), dt;

        if (ddf_exec_run(ex, &plan, &res, &err) < 0) {
            fprintf(stderr, "exec-bench: %s\n", err.msg);
            return 1;
        }
        dt = now_s() - t0;
        rows = 0;
        for (size_t i = 0; i < plan.nparts; i++) {
            if (res[i].status < 0) {
                fprintf(stderr, "exec-bench: partition %zu: %s\n", i, res[i].err.msg);
                return 1;
            }
            rows += res[i].rows_read;
        }
        ddf_exec_results_free(res, plan.nparts);
        if (k > 0 && dt < best)
            best = dt; /* run 0 parses: cold */
    }
    printf("%-12s rows %llu  warm %.4f s  %.2f ns/row\n", query, (unsigned long long)rows,
           best, best * 1e9 / (double)(rows ? rows : 1));
    plan.parts = NULL;
    plan.steps = NULL;
    plan.terminal.aggs = NULL;
    ddf_plan_fini(&plan);
    ddf_exec_free(ex);
    ddf_free(splits);
    free(parts);
    return 0;
}
