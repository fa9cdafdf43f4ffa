/* csvdump.c - read a CSV file with the local engine and write its partitions as table blobs.
 *
 * The differential tests run this next to pandas.read_csv and compare. Output (stdout or
 * --out): "DDFDUMP1", the schema as a blob of an empty table, a u32 LE partition count,
 * then the partitions' blobs; each blob is preceded by its u64 LE byte length
 * (docs/protocol.md). Errors: "csvdump: <DDF_E...>: <message>" on stderr,
 * exit 1; usage errors exit 2. Warnings of on_bad_lines=warn go to stderr. */
#include "codec.h"
#include "dumputil.h"

#include "alloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-csvdump FILE [--blocksize N] [--threads N] [--sep C] "
                "[--no-header] [--names a,b] [--usecols a,b] [--skiprows N] "
                "[--dtype COL=TYPE]... [--na-value S]... [--no-default-na] "
                "[--on-bad-lines error|warn|skip] [--out FILE]\n");
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
    static const struct option longopts[] = {DUMP_LONGOPTS_CSV,
                                             {"threads", required_argument, NULL, 't'},
                                             {"out", required_argument, NULL, 'o'},
                                             DUMP_LONGOPT_HELP,
                                             {NULL, 0, NULL, 0}};
    dump_csv in;
    ddf_error err;
    unsigned threads = 2;
    const char *out_path = NULL;
    FILE *out = stdout;
    int c, rc, status = 0;

    dump_csv_init(&in, "csvdump", usage);
    while ((c = dump_getopt(&in, argc, argv, "h", longopts)) >= 0) {
        switch (c) {
        case 't':
            threads = (unsigned)atoi(optarg);
            break;
        case 'o':
            out_path = optarg;
            break;
        }
    }
    if (c != -1)
        return in.status;
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (dump_csv_read(&in, argv[optind], threads, false, &err) < 0)
        return 1;
    for (size_t w = 0; w < in.report.nwarnings; w++)
        fprintf(stderr, "csvdump: warning: %s\n", in.report.warnings[w]);
    if (in.report.bad_lines)
        fprintf(stderr, "csvdump: %llu bad lines dropped\n",
                (unsigned long long)in.report.bad_lines);
    if (out_path && (out = fopen(out_path, "wb")) == NULL) {
        perror(out_path);
        status = 1;
        goto done;
    }
    fwrite("DDFDUMP1", 1, 8, out);
    ddf_table *empty = ddf_table_new_from_schema(in.schema);
    if (empty == NULL || write_blob(out, empty, &err) < 0) {
        fprintf(stderr, "csvdump: cannot encode the schema: %s\n", err.msg);
        ddf_table_free(empty);
        status = 1;
        goto done;
    }
    ddf_table_free(empty);
    unsigned char n4[4] = {(unsigned char)in.nparts, (unsigned char)(in.nparts >> 8),
                           (unsigned char)(in.nparts >> 16), (unsigned char)(in.nparts >> 24)};
    fwrite(n4, 1, 4, out);
    for (size_t i = 0; i < in.nparts; i++) {
        rc = write_blob(out, in.parts[i], &err);
        if (rc < 0) {
            dump_error("csvdump", rc, err.msg);
            status = 1;
            break;
        }
    }
    if (out != stdout && fclose(out) != 0)
        status = 1;
done:
    dump_csv_fini(&in);
    return status;
}
