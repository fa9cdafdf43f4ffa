/* parse_bench.c - parse-bench: how fast the CSV engine reads a file on this machine.
 *
 *     parse-bench FILE [--threads N] [--blocksize BYTES] [--repeat R] [--tokenize-only]
 *
 * Default mode times ddf_csv_read_file (csv_reader.h): open and infer, split exactly,
 * read every partition on N threads into typed tables, widen and read again if a
 * partition asks. That is the whole local engine, file to columns. Tables are freed
 * outside the timed region.
 *
 * --tokenize-only times libcsv alone (CSV_STRICT, callbacks that only count records)
 * over the file already read into memory: the floor under what ddf pays to tokenize,
 * before any type conversion, I/O or threading. Its figures are for one thread.
 *
 * Each mode runs R times and reports the best (least) wall time from
 * clock_gettime(CLOCK_MONOTONIC). MB is 10^6 bytes of the file. Run it on a file in
 * the page cache (cat FILE > /dev/null) so disks do not enter the figures. The output is
 * "key: value" lines, one figure each, for bench/run_parse.sh to pick up; it never
 * asserts. Exit status: 0 done, 1 the file could not be read or parsed, 2 usage error. */
#include "alloc.h"
#include "csv_reader.h"
#include "limits.h"

#include <csv.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64   /* what ddf_csv_read_file starts at most */
#define MAX_REPEAT 1000

typedef struct bench_args {
    const char *path;
    unsigned threads;        /* ddf reader threads, 1..MAX_THREADS */
    uint64_t blocksize;      /* partition size in bytes */
    unsigned repeat;         /* runs; the best is reported */
    bool tokenize_only;      /* libcsv alone instead of ddf */
} bench_args;

/* What one mode measured. */
typedef struct bench_result {
    uint64_t file_bytes;
    uint64_t rows;           /* data records (header excluded) */
    double best_sec;         /* least wall time over the runs */
    double runs_sec[MAX_REPEAT]; /* every run, in order */
} bench_result;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One "key: value" line with values aligned in one column. */
static void print_kv(const char *key, const char *fmt, ...)
{
    va_list ap;

    printf("%s:%*s", key, (int)(17 - strlen(key)), "");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* The figures every mode prints, in the same keys as bench/pandas_parse.py. */
static void print_figures(const bench_result *r, unsigned repeat, unsigned threads)
{
    double mb = (double)r->file_bytes / 1e6;

    print_kv("file MB", "%.2f", mb);
    print_kv("rows", "%" PRIu64, r->rows);
    print_kv("threads", "%u", threads);
    print_kv("repeat", "%u", repeat);
    printf("runs:%*s", 13, "");
    for (unsigned i = 0; i < repeat; i++)
        printf("%s%.4f", i ? " " : "", r->runs_sec[i]);
    putchar('\n');
    print_kv("seconds", "%.4f", r->best_sec);
    print_kv("MB/s", "%.1f", mb / r->best_sec);
    print_kv("MB/s per thread", "%.1f", mb / r->best_sec / threads);
    print_kv("rows/s", "%.0f", (double)r->rows / r->best_sec);
}

/* --- ddf --------------------------------------------------------------------------- */

/* Time ddf_csv_read_file 'repeat' times. Returns 0, or 1 after printing the error. */
static int bench_ddf(const bench_args *a, bench_result *r)
{
    ddf_csv_options opt;
    struct stat st;
    size_t last_nparts = 0;
    size_t table_bytes = 0;
    uint64_t bad_lines = 0;
    char schema_text[4096] = "";

    if (stat(a->path, &st) != 0) {
        fprintf(stderr, "parse-bench: %s: %s\n", a->path, strerror(errno));
        return 1;
    }
    r->file_bytes = (uint64_t)st.st_size;
    ddf_csv_options_init(&opt);
    opt.blocksize = a->blocksize;

    for (unsigned run = 0; run < a->repeat; run++) {
        ddf_schema *schema = NULL;
        ddf_table **parts = NULL;
        size_t nparts = 0;
        ddf_csv_report report;
        ddf_error err;
        double t0, sec;
        int rc;

        ddf_error_init(&err);
        ddf_csv_report_init(&report);
        t0 = now_sec();
        rc = ddf_csv_read_file(a->path, &opt, a->threads, &schema, &parts, &nparts, &report,
                               &err);
        sec = now_sec() - t0;
        if (rc < 0) {
            /* The message names file:line:column itself (error.h). */
            fprintf(stderr, "parse-bench: %s (%s)\n", err.msg, ddf_err_name(rc));
            ddf_csv_report_fini(&report);
            return 1;
        }
        r->runs_sec[run] = sec;
        if (run == 0 || sec < r->best_sec)
            r->best_sec = sec;
        r->rows = 0;
        table_bytes = 0;
        for (size_t i = 0; i < nparts; i++) {
            r->rows += parts[i]->nrows;
            table_bytes += ddf_table_bytes(parts[i]);
        }
        last_nparts = nparts;
        bad_lines = report.bad_lines;
        if (run == 0) {
            size_t used = 0;
            for (size_t c = 0; c < schema->ncols && used < sizeof(schema_text); c++) {
                int n = snprintf(schema_text + used, sizeof(schema_text) - used, "%s%s:%s",
                                 c ? " " : "", schema->fields[c].name,
                                 ddf_dtype_name(schema->fields[c].dtype));
                if (n < 0)
                    break;
                used += (size_t)n;
            }
        }
        ddf_csv_parts_free(parts, nparts);
        ddf_schema_free(schema);
        ddf_csv_report_fini(&report);
    }

    print_kv("mode", "ddf_csv_read_file");
    print_kv("file", "%s", a->path);
    print_kv("blocksize", "%" PRIu64, a->blocksize);
    print_kv("partitions", "%zu", last_nparts);
    print_kv("schema", "%s", schema_text);
    print_kv("bad lines", "%" PRIu64, bad_lines);
    print_kv("table MB", "%.2f", (double)table_bytes / 1e6);
    print_figures(r, a->repeat, a->threads);
    return 0;
}

/* --- libcsv alone ------------------------------------------------------------------ */

typedef struct token_counts {
    uint64_t fields;
    uint64_t records;
} token_counts;

static void on_field(void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    ((token_counts *)arg)->fields++;
}

static void on_record(int terminator, void *arg)
{
    (void)terminator;
    ((token_counts *)arg)->records++;
}

/* Read the whole file into *buf (ddf_malloc'd, caller frees). Returns 0, or 1 after
 * printing the error (then *buf is NULL). */
static int slurp(const char *path, char **buf, size_t *len)
{
    struct stat st;
    size_t got = 0;
    int fd;

    *buf = NULL;
    *len = 0;
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "parse-bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "parse-bench: %s: %s\n", path, strerror(errno));
        goto out_close;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "parse-bench: %s: not a regular file\n", path);
        goto out_close;
    }
    *buf = ddf_malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (*buf == NULL) {
        fprintf(stderr, "parse-bench: %s: out of memory for %lld bytes\n", path,
                (long long)st.st_size);
        goto out_close;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "parse-bench: %s: %s\n", path,
                    n < 0 ? strerror(errno) : "file shrank while reading");
            goto out_free;
        }
        got += (size_t)n;
    }
    *len = got;
    close(fd);
    return 0;

out_free:
    ddf_free(*buf);
    *buf = NULL;
out_close:
    close(fd);
    return 1;
}

/* Time libcsv over the file in memory 'repeat' times. Returns 0, or 1 after printing. */
static int bench_tokenize(const bench_args *a, bench_result *r)
{
    token_counts counts = {0, 0};
    char *buf;
    size_t len;
    int rc = 0;

    if (slurp(a->path, &buf, &len) != 0)
        return 1;
    r->file_bytes = len;
    for (unsigned run = 0; run < a->repeat; run++) {
        struct csv_parser p;
        double t0, sec;
        size_t done;

        memset(&counts, 0, sizeof(counts));
        t0 = now_sec();
        csv_init(&p, CSV_STRICT); /* fails only for a NULL parser */
        done = csv_parse(&p, buf, len, on_field, on_record, &counts);
        if (done == len)
            csv_fini(&p, on_field, on_record, &counts);
        sec = now_sec() - t0;
        if (done != len) {
            fprintf(stderr, "parse-bench: %s: libcsv: %s near byte %zu\n", a->path,
                    csv_strerror(csv_error(&p)), done);
            csv_free(&p);
            rc = 1;
            goto out;
        }
        csv_free(&p);
        r->runs_sec[run] = sec;
        if (run == 0 || sec < r->best_sec)
            r->best_sec = sec;
    }
    r->rows = counts.records > 0 ? counts.records - 1 : 0; /* the header is a record */

    print_kv("mode", "libcsv tokenize-only");
    print_kv("file", "%s", a->path);
    print_kv("fields", "%" PRIu64, counts.fields);
    print_figures(r, a->repeat, 1);
out:
    ddf_free(buf);
    return rc;
}

/* --- flags ------------------------------------------------------------------------- */

static void usage(FILE *to)
{
    fprintf(to,
            "usage: parse-bench FILE [--threads N] [--blocksize BYTES] [--repeat R]\n"
            "                        [--tokenize-only]\n"
            "\n"
            "Time ddf_csv_read_file on FILE (best of R runs) and print MB/s and rows/s.\n"
            "Warm the page cache first: cat FILE > /dev/null.\n"
            "\n"
            "  -t, --threads N      reader threads, 1..%d (default 1)\n"
            "  -b, --blocksize B    partition size in bytes; K, M, G suffixes are KiB, MiB,\n"
            "                       GiB (default %llu, at most %llu)\n"
            "  -r, --repeat R       runs, 1..%d; the best is reported (default 3)\n"
            "      --tokenize-only  time libcsv alone over the file in memory instead\n"
            "  -h, --help           show this help\n",
            MAX_THREADS, (unsigned long long)DDF_DEFAULT_BLOCKSIZE,
            (unsigned long long)DDF_MAX_BLOCK_BYTES, MAX_REPEAT);
}

/* Parse a whole unsigned decimal, with an optional K/M/G (binary) suffix when
 * 'suffixes', into *out within [min, max]. Returns false on anything else. */
static bool parse_size(const char *s, bool suffixes, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    if (suffixes && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return false;
        }
        end++;
    }
    if (*end != '\0' || v > (max >> shift))
        return false;
    v <<= shift;
    if (v < min)
        return false;
    *out = v;
    return true;
}

/* Fill 'a' from argv. Returns -1 to go on, else the exit status (0 for --help). */
static int parse_args(int argc, char **argv, bench_args *a)
{
    enum { OPT_TOKENIZE_ONLY = 256 };
    static const struct option longopts[] = {
        {"threads", required_argument, NULL, 't'},
        {"blocksize", required_argument, NULL, 'b'},
        {"repeat", required_argument, NULL, 'r'},
        {"tokenize-only", no_argument, NULL, OPT_TOKENIZE_ONLY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int opt;

    a->path = NULL;
    a->threads = 1;
    a->blocksize = DDF_DEFAULT_BLOCKSIZE;
    a->repeat = 3;
    a->tokenize_only = false;
    while ((opt = getopt_long(argc, argv, "t:b:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 't':
            if (!parse_size(optarg, false, 1, MAX_THREADS, &v)) {
                fprintf(stderr, "parse-bench: --threads: '%s' is not in 1..%d\n", optarg,
                        MAX_THREADS);
                return 2;
            }
            a->threads = (unsigned)v;
            break;
        case 'b':
            if (!parse_size(optarg, true, 1, DDF_MAX_BLOCK_BYTES, &a->blocksize)) {
                fprintf(stderr,
                        "parse-bench: --blocksize: '%s' is not a size in 1..%llu bytes\n",
                        optarg, (unsigned long long)DDF_MAX_BLOCK_BYTES);
                return 2;
            }
            break;
        case 'r':
            if (!parse_size(optarg, false, 1, MAX_REPEAT, &v)) {
                fprintf(stderr, "parse-bench: --repeat: '%s' is not in 1..%d\n", optarg,
                        MAX_REPEAT);
                return 2;
            }
            a->repeat = (unsigned)v;
            break;
        case OPT_TOKENIZE_ONLY:
            a->tokenize_only = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default: /* getopt_long has printed what is wrong */
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, optind == argc ? "parse-bench: no FILE given\n"
                                       : "parse-bench: more than one FILE given\n");
        usage(stderr);
        return 2;
    }
    a->path = argv[optind];
    return -1;
}

int main(int argc, char **argv)
{
    static bench_result result; /* static: runs_sec is 8 KB */
    bench_args args;
    int rc = parse_args(argc, argv, &args);

    if (rc >= 0)
        return rc;
    rc = args.tokenize_only ? bench_tokenize(&args, &result) : bench_ddf(&args, &result);
    if (fflush(stdout) != 0)
        return 1;
    return rc;
}
