/* csv_demo.c - the engine at work on one CSV file: exact splitting, dtype inference and
 * widening, a parallel parse into typed columns; prints the schema, the partitions, the
 * speed and the first rows.
 *
 *   ddf-csv-demo FILE [--blocksize BYTES] [--threads N] */
#include "csv_reader.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_cell(const ddf_column *col, size_t row)
{
    size_t len;
    const char *s;

    if (!ddf_column_is_valid(col, row)) {
        printf(" %13s", "<NA>");
        return;
    }
    switch (col->dtype) {
    case DDF_DTYPE_INT64:
        printf(" %13" PRId64, col->values.i64[row]);
        break;
    case DDF_DTYPE_FLOAT64:
        printf(" %13.6g", col->values.f64[row]);
        break;
    case DDF_DTYPE_BOOL:
        printf(" %13s", col->values.b8[row] ? "True" : "False");
        break;
    default:
        s = ddf_column_str(col, row, &len);
        printf(" %13.*s", (int)(len > 13 ? 13 : len), s);
        break;
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"blocksize", required_argument, NULL, 'b'},
                                             {"threads", required_argument, NULL, 't'},
                                             {NULL, 0, NULL, 0}};
    ddf_csv_options opt;
    ddf_csv_report report;
    ddf_error err;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts, rows = 0, shown = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t bytes = 0;
    double t0, secs;
    int c, rc;

    ddf_csv_options_init(&opt);
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'b')
            opt.blocksize = strtoull(optarg, NULL, 10);
        else if (c == 't')
            threads = atol(optarg);
        else
            return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: ddf-csv-demo FILE [--blocksize BYTES] [--threads N]\n");
        return 2;
    }
    ddf_error_init(&err);
    ddf_csv_report_init(&report);
    t0 = now_seconds();
    rc = ddf_csv_read_file(argv[optind], &opt, threads > 0 ? (unsigned)threads : 1, &schema,
                           &parts, &nparts, &report, &err);
    secs = now_seconds() - t0;
    if (rc < 0) {
        fprintf(stderr, "ddf-csv-demo: error: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < nparts; i++) {
        rows += parts[i]->nrows;
        bytes += ddf_table_bytes(parts[i]);
    }
    printf("%s: %zu rows in %zu partitions of <= %" PRIu64 " bytes, parsed in %.3f s on %ld "
           "threads\n", argv[optind], rows, nparts, opt.blocksize, secs, threads);
    printf("memory held by the partitions: %.1f MiB\n\n", (double)bytes / (1024.0 * 1024.0));
    printf("%-14s %-8s %s\n", "column", "dtype", "nulls");
    for (size_t col = 0; col < schema->ncols; col++) {
        size_t nulls = 0;
        for (size_t i = 0; i < nparts; i++)
            nulls += parts[i]->columns[col].null_count;
        printf("%-14s %-8s %zu\n", schema->fields[col].name,
               ddf_dtype_name(ddf_schema_storage_dtype(schema, col)), nulls);
    }
    printf("\nfirst rows:\n");
    for (size_t col = 0; col < schema->ncols && col < 8; col++)
        printf(" %13.13s", schema->fields[col].name);
    printf("\n");
    for (size_t i = 0; i < nparts && shown < 5; i++) {
        for (size_t r = 0; r < parts[i]->nrows && shown < 5; r++, shown++) {
            for (size_t col = 0; col < schema->ncols && col < 8; col++)
                print_cell(&parts[i]->columns[col], r);
            printf("\n");
        }
    }
    ddf_csv_parts_free(parts, nparts);
    ddf_schema_free(schema);
    ddf_csv_report_fini(&report);
    return 0;
}
