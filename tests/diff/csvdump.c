/* csvdump.c - read a CSV file with the local engine and write its partitions as table blobs.
 *
 * The differential tests run this next to pandas.read_csv and compare. Output (stdout or
 * --out): "DDFDUMP1", the schema as a blob of an empty table, a u32 LE partition count,
 * then the partitions' blobs; each blob is preceded by its u64 LE byte length
 * (docs/protocol.md). Errors: "csvdump: <DDF_E...>: <message>" on stderr,
 * exit 1; usage errors exit 2. Warnings of on_bad_lines=warn go to stderr. */
#include "codec.h"
#include "csv_reader.h"

#include "alloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 64

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-csvdump FILE [--blocksize N] [--threads N] [--sep C] "
                "[--no-header] [--names a,b] [--usecols a,b] [--skiprows N] "
                "[--dtype COL=TYPE]... [--na-value S]... [--no-default-na] "
                "[--on-bad-lines error|warn|skip] [--out FILE]\n");
}

/* Split "a,b,c" in place into at most MAX_LIST items. */
static size_t split_list(char *s, const char **items)
{
    size_t n = 0;

    for (char *tok = strtok(s, ","); tok && n < MAX_LIST; tok = strtok(NULL, ","))
        items[n++] = tok;
    return n;
}

static void put_u64(FILE *f, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    fwrite(b, 1, 8, f);
}

static int write_blob(FILE *out, const ddf_table *table, ddf_error *err)
{
    unsigned char *blob;
    size_t len;
    int rc = ddf_codec_encode(table, &blob, &len, err);

    if (rc < 0)
        return rc;
    put_u64(out, len);
    fwrite(blob, 1, len, out);
    ddf_free(blob);
    return DDF_OK;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"blocksize", required_argument, NULL, 'b'}, {"threads", required_argument, NULL, 't'},
        {"sep", required_argument, NULL, 's'},       {"no-header", no_argument, NULL, 'H'},
        {"names", required_argument, NULL, 'n'},     {"usecols", required_argument, NULL, 'u'},
        {"skiprows", required_argument, NULL, 'k'},  {"dtype", required_argument, NULL, 'd'},
        {"na-value", required_argument, NULL, 'a'},  {"no-default-na", no_argument, NULL, 'N'},
        {"on-bad-lines", required_argument, NULL, 'l'}, {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    const char *names[MAX_LIST], *usecols[MAX_LIST], *na[MAX_LIST];
    ddf_csv_pin pins[MAX_LIST];
    ddf_csv_options opt;
    ddf_csv_report report;
    ddf_error err;
    ddf_schema *schema = NULL;
    ddf_table **parts = NULL;
    size_t nparts = 0;
    unsigned threads = 2;
    const char *out_path = NULL;
    FILE *out = stdout;
    int c, rc, status = 0;

    ddf_csv_options_init(&opt);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            opt.blocksize = strtoull(optarg, NULL, 10);
            break;
        case 't':
            threads = (unsigned)atoi(optarg);
            break;
        case 's':
            opt.sep = strcmp(optarg, "\\t") == 0 ? '\t' : optarg[0];
            break;
        case 'H':
            opt.header = false;
            break;
        case 'n':
            opt.nnames = split_list(optarg, names);
            opt.names = names;
            break;
        case 'u':
            opt.nusecols = split_list(optarg, usecols);
            opt.usecols = usecols;
            break;
        case 'k':
            opt.skiprows = strtoull(optarg, NULL, 10);
            break;
        case 'd': {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || opt.ndtypes == MAX_LIST) {
                usage(stderr);
                return 2;
            }
            *eq = '\0';
            pins[opt.ndtypes].name = optarg;
            if (ddf_dtype_parse(eq + 1, &pins[opt.ndtypes].dtype) < 0) {
                fprintf(stderr, "csvdump: unknown dtype '%s'\n", eq + 1);
                return 2;
            }
            opt.ndtypes++;
            opt.dtypes = pins;
            break;
        }
        case 'a':
            if (opt.nna_values < MAX_LIST)
                na[opt.nna_values++] = optarg;
            opt.na_values = na;
            break;
        case 'N':
            opt.keep_default_na = false;
            break;
        case 'l':
            if (strcmp(optarg, "warn") == 0)
                opt.on_bad_lines = DDF_BAD_LINES_WARN;
            else if (strcmp(optarg, "skip") == 0)
                opt.on_bad_lines = DDF_BAD_LINES_SKIP;
            else
                opt.on_bad_lines = DDF_BAD_LINES_ERROR;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    ddf_error_init(&err);
    ddf_csv_report_init(&report);
    rc = ddf_csv_read_file(argv[optind], &opt, threads, &schema, &parts, &nparts, &report,
                           &err);
    if (rc < 0) {
        fprintf(stderr, "csvdump: %s: %s\n", ddf_err_name(rc), err.msg);
        ddf_csv_report_fini(&report);
        return 1;
    }
    for (size_t w = 0; w < report.nwarnings; w++)
        fprintf(stderr, "csvdump: warning: %s\n", report.warnings[w]);
    if (report.bad_lines)
        fprintf(stderr, "csvdump: %llu bad lines dropped\n",
                (unsigned long long)report.bad_lines);
    if (out_path && (out = fopen(out_path, "wb")) == NULL) {
        perror(out_path);
        status = 1;
        goto done;
    }
    fwrite("DDFDUMP1", 1, 8, out);
    ddf_table *empty = ddf_table_new_from_schema(schema);
    if (empty == NULL || write_blob(out, empty, &err) < 0) {
        fprintf(stderr, "csvdump: cannot encode the schema: %s\n", err.msg);
        ddf_table_free(empty);
        status = 1;
        goto done;
    }
    ddf_table_free(empty);
    unsigned char n4[4] = {(unsigned char)nparts, (unsigned char)(nparts >> 8),
                           (unsigned char)(nparts >> 16), (unsigned char)(nparts >> 24)};
    fwrite(n4, 1, 4, out);
    for (size_t i = 0; i < nparts; i++) {
        rc = write_blob(out, parts[i], &err);
        if (rc < 0) {
            fprintf(stderr, "csvdump: %s: %s\n", ddf_err_name(rc), err.msg);
            status = 1;
            break;
        }
    }
    if (out != stdout && fclose(out) != 0)
        status = 1;
done:
    ddf_csv_report_fini(&report);
    ddf_csv_parts_free(parts, nparts);
    ddf_schema_free(schema);
    return status;
}
