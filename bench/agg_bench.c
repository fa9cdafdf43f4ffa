/* agg_bench.c - the aggregation kernels against a plain C loop, in memory.
 *
 *   agg-bench [--rows N] [--repeat R]
 *
 * Builds a float64 column of N rows (default 10,000,000; values 0..1000 with 2 decimals,
 * no nulls, then the same with 5% nulls) and times ddf_agg_update for sum and mean
 * against the loop a C programmer would write (a plain double accumulator), which is
 * the memory-bandwidth yardstick. Prints seconds (best of R), rows/s and the ratio. */
#include "agg.h"
#include "arena.h"
#include "column.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plain sum that skips nulls the obvious way; volatile sink so it is not optimised out. */
static double plain_sum(const ddf_column *col)
{
    double s = 0;

    if (col->validity == NULL) {
        for (size_t i = 0; i < col->length; i++)
            s += col->values.f64[i];
    } else {
        for (size_t i = 0; i < col->length; i++)
            if (ddf_column_is_valid(col, i))
                s += col->values.f64[i];
    }
    return s;
}

static double time_plain(const ddf_column *col, int repeat, double *out)
{
    double best = 1e30;

    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        *out = plain_sum(col);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static double time_agg(const ddf_column *col, ddf_agg_kind kind, int repeat, double *out)
{
    double best = 1e30;
    ddf_error err;

    for (int r = 0; r < repeat; r++) {
        ddf_agg_state st;
        ddf_agg_value v;
        double t0 = now();
        if (ddf_agg_init(&st, kind, DDF_DTYPE_FLOAT64, NULL, &err) < 0 ||
            ddf_agg_update(&st, col, NULL, 0, 0, &err) < 0 ||
            ddf_agg_finalize(&st, &v, &err) < 0) {
            fprintf(stderr, "agg-bench: %s\n", err.msg);
            exit(1);
        }
        double t = now() - t0;
        ddf_agg_fini(&st);
        *out = v.f64;
        best = t < best ? t : best;
    }
    return best;
}

static void run(const char *label, const ddf_column *col, int repeat)
{
    double plain = 0, sum = 0, mean = 0;
    double tp = time_plain(col, repeat, &plain);
    double ts = time_agg(col, DDF_AGG_SUM, repeat, &sum);
    double tm = time_agg(col, DDF_AGG_MEAN, repeat, &mean);
    double n = (double)col->length;

    printf("%s (%zu rows, %zu nulls)\n", label, col->length, col->null_count);
    printf("  plain C loop     %8.4f s  %8.1f M rows/s  sum=%.6f\n", tp, n / tp / 1e6, plain);
    printf("  ddf sum          %8.4f s  %8.1f M rows/s  sum=%.6f  %.2fx the loop\n", ts,
           n / ts / 1e6, sum, ts / tp);
    printf("  ddf mean         %8.4f s  %8.1f M rows/s  mean=%.6f  %.2fx the loop\n", tm,
           n / tm / 1e6, mean, tm / tp);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"rows", required_argument, NULL, 'n'},
                                             {"repeat", required_argument, NULL, 'r'},
                                             {NULL, 0, NULL, 0}};
    size_t rows = 10000000;
    int repeat = 5, c;
    uint64_t seed = 7;
    ddf_arena *arena;
    ddf_column clean, nulls;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'n')
            rows = strtoull(optarg, NULL, 10);
        else if (c == 'r')
            repeat = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else {
            fprintf(stderr, "usage: agg-bench [--rows N] [--repeat R]\n");
            return 2;
        }
    }
    arena = ddf_arena_new();
    ddf_column_init(&clean, DDF_DTYPE_FLOAT64);
    ddf_column_init(&nulls, DDF_DTYPE_FLOAT64);
    if (arena == NULL || ddf_column_reserve(&clean, arena, rows, 0) < 0 ||
        ddf_column_reserve(&nulls, arena, rows, 0) < 0) {
        fprintf(stderr, "agg-bench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < rows; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)((seed >> 33) % 100000) / 100.0;
        ddf_column_append_f64(&clean, arena, v);
        if ((seed >> 20) % 20 == 0)
            ddf_column_append_null(&nulls, arena);
        else
            ddf_column_append_f64(&nulls, arena, v);
    }
    run("float64, no nulls", &clean, repeat);
    run("float64, 5% nulls", &nulls, repeat);
    ddf_arena_free(arena);
    return 0;
}
