/* client_bench.c - libddf end to end on a sales file (bench/gen-sales): each query of the
 * client benchmark run cold (a fresh local cluster: parse included) and warm (the same
 * query again: cached partitions), with the peak memory of every process.
 *
 *     client-bench FILE.csv [--workers 2] [--blocksize BYTES] [--only NAME] [--repeat N]
 *                  [--session on]
 *
 * The default queries are the seven; --only filter_groupby_product (qty > 3, then
 * group-by product) and --only groupby_region_product (two dictionary keys) run extra
 * ones that are not in that list.
 * --session on runs every query on one cluster, one after the other, as a user would:
 * "cold" is then each query's first run in the session, and the peak is the session's.
 * Prints one line per query: name, cold s, warm s (the best of N warm runs), and the sum of the peak resident sets
 * (VmHWM) of the workers plus the client's own. bench/client_pandas.py times pandas on
 * the same queries; docs/benchmarks.md puts the two side by side. */
#include "ddf.h"

#include "local_cluster.h"

#include <limits.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int query_fn(ddf_frame *f, ddf_error *err);

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int q_count(ddf_frame *f, ddf_error *err)
{
    int64_t n;

    return ddf_frame_count(f, &n, err);
}

static int q_maxmin(ddf_frame *f, ddf_error *err)
{
    const ddf_schema *s = ddf_frame_schema(f);
    ddf_plan_agg *aggs = calloc(2 * s->ncols, sizeof *aggs);
    ddf_table *t = NULL;
    int rc;

    if (aggs == NULL)
        return DDF_ENOMEM;
    for (size_t c = 0; c < s->ncols; c++) {
        aggs[2 * c] = (ddf_plan_agg){s->fields[c].name, DDF_AGG_MAX};
        aggs[2 * c + 1] = (ddf_plan_agg){s->fields[c].name, DDF_AGG_MIN};
    }
    rc = ddf_frame_aggregate(f, aggs, 2 * s->ncols, &t, err);
    ddf_table_free(t);
    free(aggs);
    return rc;
}

static int groupby(ddf_frame *f, const char *key, const ddf_plan_agg *aggs, size_t n,
                   ddf_error *err)
{
    ddf_table *t = NULL;
    int rc = ddf_frame_groupby(f, &key, 1, aggs, n, true, &t, err);

    ddf_table_free(t);
    return rc;
}

static int q_gb_region(ddf_frame *f, ddf_error *err)
{
    ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}, {"price", DDF_AGG_MEAN},
                           {"discount", DDF_AGG_MAX}};

    return groupby(f, "region", aggs, 3, err);
}

static int q_gb_product(ddf_frame *f, ddf_error *err)
{
    ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}};

    return groupby(f, "product", aggs, 1, err);
}

/* a filter, then group-by product: the fused slices' path with 10,000 groups (not in
 * the default list, which is the issue's; --only filter_groupby_product) */
static int q_filter_gb_product(ddf_frame *f, ddf_error *err)
{
    ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}};
    ddf_frame *g;
    int rc = ddf_frame_filter(f, "qty > 3", &g, err);

    if (rc < 0)
        return rc;
    rc = groupby(g, "product", aggs, 1, err);
    ddf_frame_free(g);
    return rc;
}

/* group-by region and product: two dictionary keys, 80,000 groups (--only) */
static int q_gb_region_product(ddf_frame *f, ddf_error *err)
{
    const char *keys[] = {"region", "product"};
    ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}};
    ddf_table *t = NULL;
    int rc = ddf_frame_groupby(f, keys, 2, aggs, 1, true, &t, err);

    ddf_table_free(t);
    return rc;
}

/* a derived frame, then the sum of one column */
static int sum_of(ddf_frame *f, int (*derive)(ddf_frame *, ddf_frame **, ddf_error *),
                  const char *col, ddf_error *err)
{
    ddf_frame *g;
    ddf_table *t = NULL;
    int rc = derive(f, &g, err);

    if (rc < 0)
        return rc;
    rc = ddf_frame_reduce(g, DDF_AGG_SUM, &col, 1, &t, err);
    ddf_table_free(t);
    ddf_frame_free(g);
    return rc;
}

static int isin(ddf_frame *f, ddf_frame **g, ddf_error *err)
{
    return ddf_frame_filter(f, "region in ['EU-East', 'US-West', 'LATAM']", g, err);
}

static int q_isin_sum(ddf_frame *f, ddf_error *err)
{
    return sum_of(f, isin, "qty", err);
}

static int revenue(ddf_frame *f, ddf_frame **g, ddf_error *err)
{
    return ddf_frame_assign(f, "revenue", "price * qty * (1 - discount)", g, err);
}

static int q_apply_sum(ddf_frame *f, ddf_error *err)
{
    return sum_of(f, revenue, "revenue", err);
}

static int q_head(ddf_frame *f, ddf_error *err)
{
    ddf_table *t = NULL;
    int rc = ddf_frame_head(f, 10, &t, err);

    ddf_table_free(t);
    return rc;
}

static const struct {
    const char *name;
    query_fn *fn;
    bool extra; /* run by --only alone */
} QUERIES[] = {
    {"count", q_count, false},
    {"max_min_all", q_maxmin, false},
    {"groupby_region", q_gb_region, false},
    {"groupby_product", q_gb_product, false},
    {"isin_sum", q_isin_sum, false},
    {"apply_sum", q_apply_sum, false},
    {"head10", q_head, false},
    {"filter_groupby_product", q_filter_gb_product, true},
    {"groupby_region_product", q_gb_region_product, true},
};

/* VmHWM of a process in KiB, 0 if unknown. */
static long peak_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = 0;
    FILE *f;

    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* The sum of the peak resident sets of the client and its workers. */
static double peak_mib(ddf_client *c)
{
    ddf_local_cluster *lc = ddf_client_local_cluster(c);
    long kib = peak_kib(0);

    for (size_t w = 0; w < ddf_local_cluster_size(lc); w++)
        kib += peak_kib(ddf_local_cluster_worker_pid(lc, w));
    return kib / 1024.0;
}

int main(int argc, char **argv)
{
    ddf_client *c = NULL;
    ddf_frame *f = NULL;
    bool session = false;
    ddf_connect_options co;
    ddf_csv_options csv;
    const char *only = NULL;
    int repeat = 1;
    char path[PATH_MAX];

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: client-bench FILE.csv [--workers N] [--blocksize BYTES] "
                        "[--only NAME]\n");
        return 2;
    }
    ddf_connect_options_init(&co);
    ddf_csv_options_init(&csv);
    co.local_workers = 2;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--workers") == 0)
            co.local_workers = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--blocksize") == 0)
            csv.blocksize = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--session") == 0 && strcmp(argv[i + 1], "on") == 0)
            session = true;
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 1;
    }
    if (realpath(argv[1], path) == NULL) {
        perror(argv[1]);
        return 1;
    }
    printf("%-16s %9s %9s %12s %10s\n", "query", "cold_s", "warm_s", "peak_MiB", "start_s");
    for (size_t q = 0; q < sizeof QUERIES / sizeof QUERIES[0]; q++) {
        double t0, t1, t2, warm = 1e30;
        ddf_error err;

        if (only != NULL ? strcmp(only, QUERIES[q].name) != 0 : QUERIES[q].extra)
            continue;
        t0 = now_s();
        if (c == NULL && (ddf_connect(&co, &c, &err) < 0 ||
                          ddf_read_csv(c, path, &csv, &f, &err) < 0)) {
            fprintf(stderr, "client-bench: %s\n", err.msg);
            return 1;
        }
        t1 = now_s();
        if (QUERIES[q].fn(f, &err) < 0) {
            fprintf(stderr, "client-bench: %s: %s\n", QUERIES[q].name, err.msg);
            return 1;
        }
        t2 = now_s();
        for (int r = 0; r < repeat; r++) {
            double w0 = now_s();

            if (QUERIES[q].fn(f, &err) < 0) {
                fprintf(stderr, "client-bench: %s: %s\n", QUERIES[q].name, err.msg);
                return 1;
            }
            if (now_s() - w0 < warm)
                warm = now_s() - w0;
        }
        printf("%-16s %9.3f %9.3f %12.1f %10.3f\n", QUERIES[q].name, t2 - t1, warm,
               peak_mib(c), t1 - t0);
        fflush(stdout);
        if (!session) {
            ddf_frame_free(f);
            ddf_close(c);
            f = NULL;
            c = NULL;
        }
    }
    ddf_frame_free(f);
    ddf_close(c);
    return 0;
}
