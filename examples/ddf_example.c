/* ddf_example.c - libddf (client/ddf.h) end to end: start a local cluster, read a sales
 * CSV into a lazy frame, and run a few actions on it across the workers.
 *
 *     ddf-example FILE.csv [--workers N] [--blocksize BYTES]
 *
 * FILE.csv is a file of bench/gen-sales (columns region, product, qty, price, discount,
 * ...); the workers read it at the same path, so give an absolute path. */
#include "ddf.h"

#include "local_cluster.h"

#include <limits.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print a small result table: a header, then one line per row. */
static void print_table(const char *title, const ddf_table *t)
{
    printf("%s\n", title);
    for (size_t c = 0; c < t->ncols; c++)
        printf("%s%s", c ? "\t" : "  ", t->names[c]);
    printf("\n");
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const ddf_column *col = &t->columns[c];
            size_t len;
            const char *s;

            printf("%s", c ? "\t" : "  ");
            if (!ddf_column_is_valid(col, r)) {
                printf("<NA>");
                continue;
            }
            switch (col->dtype) {
            case DDF_DTYPE_INT64: printf("%lld", (long long)col->values.i64[r]); break;
            case DDF_DTYPE_FLOAT64: printf("%.6g", col->values.f64[r]); break;
            case DDF_DTYPE_BOOL: printf("%s", col->values.b8[r] ? "True" : "False"); break;
            default:
                s = ddf_column_str(col, r, &len);
                printf("%.*s", (int)len, s);
            }
        }
        printf("\n");
    }
    printf("\n");
}

static int fail(const char *what, const ddf_error *err)
{
    fprintf(stderr, "ddf-example: %s: %s\n", what, err->msg);
    return err->code == DDF_EUNREACH ? 3 : 1;
}

int main(int argc, char **argv)
{
    ddf_connect_options co;
    ddf_csv_options csv;
    ddf_client *client = NULL;
    ddf_frame *sales = NULL, *big = NULL;
    ddf_table *t = NULL;
    ddf_action_stats st;
    ddf_error err;
    char path[PATH_MAX];
    int64_t rows = 0;
    int status = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: ddf-example FILE.csv [--workers N] [--blocksize BYTES]\n");
        return 2;
    }
    ddf_connect_options_init(&co);
    ddf_csv_options_init(&csv);
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--workers") == 0)
            co.local_workers = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--blocksize") == 0)
            csv.blocksize = strtoull(argv[i + 1], NULL, 10);
    }
    if (realpath(argv[1], path) == NULL) {
        perror(argv[1]);
        return 1;
    }
    if (ddf_connect(&co, &client, &err) < 0)
        return fail("starting a local cluster", &err);
    if (ddf_read_csv(client, path, &csv, &sales, &err) < 0) {
        status = fail("read_csv", &err);
        goto out;
    }
    printf("%s: %zu partitions, %zu columns\n\n", path, ddf_frame_npartitions(sales),
           ddf_frame_schema(sales)->ncols);

    if (ddf_frame_count(sales, &rows, &err) < 0) {
        status = fail("count", &err);
        goto out;
    }
    ddf_client_last_stats(client, &st);
    printf("len(df) = %lld  (%.1f ms, %zu calls)\n\n", (long long)rows, st.elapsed_ms,
           st.calls);

    if (ddf_frame_head(sales, 5, &t, &err) < 0) {
        status = fail("head", &err);
        goto out;
    }
    print_table("df.head(5)", t);
    ddf_table_free(t);
    t = NULL;

    if (ddf_frame_filter(sales, "qty > 5", &big, &err) < 0) {
        status = fail("filter", &err);
        goto out;
    }
    {
        const char *keys[] = {"region"};
        ddf_plan_agg aggs[] = {{"qty", DDF_AGG_SUM}, {"price", DDF_AGG_MEAN},
                               {"price", DDF_AGG_COUNT}};

        if (ddf_frame_groupby(big, keys, 1, aggs, 3, true, &t, &err) < 0) {
            status = fail("groupby", &err);
            goto out;
        }
    }
    ddf_client_last_stats(client, &st);
    print_table("df[df.qty > 5].groupby('region').agg(qty=sum, price=[mean, count])", t);
    printf("(%.1f ms; %zu of %zu partitions from the workers' caches)\n", st.elapsed_ms,
           st.cache_hits, st.parts_run);
out:
    ddf_table_free(t);
    ddf_frame_free(big);
    ddf_frame_free(sales);
    ddf_close(client);
    return status;
}
