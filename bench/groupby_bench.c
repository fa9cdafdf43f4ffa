/* groupby_bench.c - in-memory hash group-by sum, for the figures against pandas
 * (bench/groupby_pandas.py builds the same data).
 *
 *   groupby-bench [--rows N] [--repeat R] [--groups G] [--sparse] [--strings] [--dict]
 *
 * For 8, 10,000 and 1,000,000 groups builds a table of N rows (default 10,000,000): an
 * int64 key k = (i * 2654435761) % ngroups and a float64 value v = (i % 1000) / 10.0, no
 * nulls, and times ddf_groupby_new + update + result of "sum of v by k" on one thread.
 * Prints seconds (best of R, default 3) and rows/s. --groups G runs G groups only;
 * --sparse multiplies each key by 0x9E3779B97F4A7C15 (mod 2^64): the same groups spread
 * over the whole int64 range, so the dense key map cannot serve them (the hash path);
 * --strings makes the keys strings "P-00042" (as the sales file's product codes);
 * --dict also compacts the table as a parsed partition is (table_compact.h), so the
 * string keys become a dictionary column and group-by takes its per-code path. */
#include "groupby.h"
#include "table_compact.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ddf_table *build(size_t rows, uint64_t ngroups, bool sparse, bool strings, bool dict)
{
    ddf_table *t = ddf_table_new(2);
    int rc = t ? DDF_OK : DDF_ENOMEM;

    if (rc == DDF_OK)
        rc = ddf_table_set_column(t, 0, "k", 1, strings ? DDF_DTYPE_STRING : DDF_DTYPE_INT64);
    if (rc == DDF_OK)
        rc = ddf_table_set_column(t, 1, "v", 1, DDF_DTYPE_FLOAT64);
    if (rc == DDF_OK)
        rc = ddf_column_reserve(&t->columns[0], t->arena, rows, strings ? rows * 8 : 0);
    if (rc == DDF_OK)
        rc = ddf_column_reserve(&t->columns[1], t->arena, rows, 0);
    for (size_t i = 0; i < rows && rc == DDF_OK; i++) {
        uint64_t k = ((uint64_t)i * 2654435761u) % ngroups;
        char s[32];

        if (strings) /* "P-00042", as the sales file's product codes */
            rc = ddf_column_append_str(&t->columns[0], t->arena, s,
                                       (size_t)snprintf(s, sizeof s, "P-%05llu",
                                                        (unsigned long long)k));
        else
            rc = ddf_column_append_i64(&t->columns[0], t->arena,
                                       (int64_t)(sparse ? k * 0x9E3779B97F4A7C15ull : k));
        if (rc == DDF_OK)
            rc = ddf_column_append_f64(&t->columns[1], t->arena, (double)(i % 1000) / 10.0);
    }
    if (rc == DDF_OK)
        t->nrows = rows;
    if (rc == DDF_OK && dict) {
        ddf_error err;
        rc = ddf_table_compact(t, &err);
    }
    if (rc != DDF_OK) {
        ddf_table_free(t);
        return NULL;
    }
    return t;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rows", required_argument, NULL, 'n'},
        {"repeat", required_argument, NULL, 'r'},
        {"groups", required_argument, NULL, 'g'},
        {"sparse", no_argument, NULL, 's'},
        {"strings", no_argument, NULL, 'S'},
        {"dict", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    uint64_t groups[] = {8, 10000, 1000000};
    size_t ngroup_sizes = sizeof groups / sizeof groups[0];
    size_t rows = 10000000, keys[] = {0};
    int repeat = 3, c;
    bool sparse = false, strings = false, dict = false;
    ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM}};
    ddf_error err;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            rows = strtoull(optarg, NULL, 10);
        else if (c == 'r')
            repeat = atoi(optarg);
        else if (c == 's')
            sparse = true;
        else if (c == 'S')
            strings = true;
        else if (c == 'D')
            strings = dict = true;
        else if (c == 'g' && strtoull(optarg, NULL, 10) > 0)
            groups[0] = strtoull(optarg, NULL, 10), ngroup_sizes = 1;
        else
            return fprintf(stderr, "usage: groupby-bench [--rows N] [--repeat R] "
                                   "[--groups G] [--sparse] [--strings] [--dict]\n"),
                   2;
    }
    if (repeat < 1)
        repeat = 1;
    for (size_t g = 0; g < ngroup_sizes; g++) {
        ddf_table *t = build(rows, groups[g], sparse, strings, dict);
        double best = 1e30, check = 0;
        size_t ng = 0;

        if (t == NULL)
            return fprintf(stderr, "groupby-bench: out of memory\n"), 1;
        for (int r = 0; r < repeat; r++) {
            ddf_groupby *gb;
            ddf_table *res;
            double t0 = now();

            if (ddf_groupby_new(t, keys, 1, aggs, 1, true, &gb, &err) < 0 ||
                ddf_groupby_update(gb, t, NULL, 0, 0, &err) < 0 ||
                ddf_groupby_result(gb, &res, &err) < 0)
                return fprintf(stderr, "groupby-bench: %s\n", err.msg), 1;
            double dt = now() - t0;
            best = dt < best ? dt : best;
            ng = res->nrows;
            check = res->columns[1].values.f64[0];
            ddf_table_free(res);
            ddf_groupby_free(gb);
        }
        printf("groupby-sum groups=%-8llu rows=%zu  %.3f s  %.1f Mrows/s  (ngroups=%zu "
               "sum[0]=%.1f)%s\n",
               (unsigned long long)groups[g], rows, best, rows / best / 1e6, ng, check,
               sparse ? " sparse" : dict ? " dict strings" : strings ? " strings" : "");
        ddf_table_free(t);
    }
    return 0;
}
