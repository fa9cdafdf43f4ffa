/* topkdump.c - value_counts of every column and the asked nlargest/nsmallest of a CSV
 * file, each merged from per-partition partials.
 *
 * The differential test topk_vs_pandas.py runs this next to pandas. The file is read with
 * the local engine at --blocksize; every partition is folded into its own partial, which
 * goes through the codec (encode, decode) as a worker's answer would, and the partials
 * are merged in reverse partition order. Output, one JSON line each:
 *     {"op":"value_counts","column":C,"dropna":B,"normalize":B,"values":[...],
 *      "counts":[...]}                     for every column, dropna and normalize
 *     {"op":"topk","spec":S,"rows":[...],"keys":[[...],...]}   for each --topk S
 *     {"op":"topk","spec":S,"error":"DDF_ETYPE","message":M}   when refused
 * A --topk spec is "N:METHOD:KEEP:COL[,COL...]" (METHOD nlargest or nsmallest). "rows"
 * are row numbers in the whole file (pandas' default index); "keys" the order values of
 * each row. Values are null, true/false, integers, floats ("%.17g", zeros as "0.0" and
 * "-0.0"; non-finite as the strings "Infinity", "-Infinity", "NaN") or JSON strings (bytes >= 0x80 pass through).
 * Errors: "topkdump: <DDF_E...>: <message>" on stderr, exit 1; usage errors exit 2. */
#include "codec.h"
#include "csv_reader.h"
#include "topk.h"
#include "value_counts.h"

#include "alloc.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPECS 1024

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-topkdump FILE [--blocksize N] [--topk N:METHOD:KEEP:COLS]...\n");
}

static void put_json_str(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void put_cell(const ddf_column *c, size_t r)
{
    const char *s;
    size_t len;
    double d;

    if (!ddf_column_is_valid(c, r)) {
        fputs("null", stdout);
        return;
    }
    switch (c->dtype) {
    case DDF_DTYPE_BOOL:
        fputs(c->values.b8[r] ? "true" : "false", stdout);
        break;
    case DDF_DTYPE_INT64:
        printf("%" PRId64, c->values.i64[r]);
        break;
    case DDF_DTYPE_FLOAT64:
        d = c->values.f64[r];
        if (isnan(d))
            fputs("\"NaN\"", stdout);
        else if (isinf(d))
            fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", stdout);
        else if (d == 0)
            fputs(signbit(d) ? "-0.0" : "0.0", stdout); /* "-0" would read as the int 0 */
        else
            printf("%.17g", d);
        break;
    default:
        s = ddf_column_str(c, r, &len);
        put_json_str(s, len);
        break;
    }
}

/* Encode and decode 'in' (freed) into *out, as a partial travels from a worker. */
static int through_codec(ddf_table *in, ddf_table **out, ddf_error *err)
{
    unsigned char *blob;
    size_t len;
    int rc = ddf_codec_encode(in, &blob, &len, err);

    ddf_table_free(in);
    *out = NULL;
    if (rc < 0)
        return rc;
    rc = ddf_codec_decode(blob, len, out, err);
    ddf_free(blob);
    return rc;
}

/* value_counts of column 'c' with every dropna and normalize. */
static int value_counts(ddf_table **parts, size_t nparts, size_t c, ddf_error *err)
{
    for (int dropna = 1; dropna >= 0; dropna--) {
        ddf_table **partials = ddf_calloc(nparts, sizeof(*partials));
        ddf_value_counts *total = NULL;
        int rc = partials ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");

        for (size_t p = 0; p < nparts && rc == 0; p++) {
            ddf_value_counts *vc;
            ddf_table *pt;

            rc = ddf_value_counts_new(parts[p]->columns[c].dtype, dropna, &vc, err);
            if (rc < 0)
                break;
            rc = ddf_value_counts_update(vc, &parts[p]->columns[c], NULL, 0, p, err);
            if (rc == 0 && (rc = ddf_value_counts_to_table(vc, &pt, err)) == 0)
                rc = through_codec(pt, &partials[p], err);
            ddf_value_counts_free(vc);
        }
        if (rc == 0)
            rc = ddf_value_counts_new(parts[0]->columns[c].dtype, dropna, &total, err);
        for (size_t p = nparts; rc == 0 && p-- > 0;)
            rc = ddf_value_counts_merge_table(total, partials[p], err);
        for (int normalize = 0; rc == 0 && normalize <= 1; normalize++) {
            ddf_table *r;

            rc = ddf_value_counts_result(total, normalize, &r, err);
            if (rc < 0)
                break;
            fputs("{\"op\":\"value_counts\",\"column\":", stdout);
            put_json_str(parts[0]->names[c], strlen(parts[0]->names[c]));
            printf(",\"dropna\":%s,\"normalize\":%s,\"values\":[", dropna ? "true" : "false",
                   normalize ? "true" : "false");
            for (size_t k = 0; k < r->nrows; k++) {
                if (k)
                    putchar(',');
                put_cell(&r->columns[0], k);
            }
            fputs("],\"counts\":[", stdout);
            for (size_t k = 0; k < r->nrows; k++) {
                if (k)
                    putchar(',');
                put_cell(&r->columns[1], k);
            }
            fputs("]}\n", stdout);
            ddf_table_free(r);
        }
        ddf_value_counts_free(total);
        for (size_t p = 0; partials && p < nparts; p++)
            ddf_table_free(partials[p]);
        ddf_free(partials);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

/* Parse "N:METHOD:KEEP:COL[,COL...]" against the columns of 'like'. */
static int parse_spec(const char *spec, const ddf_table *like, size_t *n, bool *largest,
                      ddf_topk_keep *keep, size_t *keys, size_t *nkeys, ddf_error *err)
{
    char buf[1024], *method, *keeps, *cols, *tok, *save;

    snprintf(buf, sizeof buf, "%s", spec);
    method = strchr(buf, ':');
    keeps = method ? strchr(method + 1, ':') : NULL;
    cols = keeps ? strchr(keeps + 1, ':') : NULL;
    if (cols == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "bad spec '%s'", spec);
    *method++ = *keeps++ = *cols++ = '\0';
    *n = strtoull(buf, NULL, 10);
    *largest = strcmp(method, "nlargest") == 0;
    if (!*largest && strcmp(method, "nsmallest") != 0)
        return ddf_error_setf(err, DDF_EINVAL, "bad method '%s'", method);
    if (ddf_topk_keep_parse(keeps, keep) < 0)
        return ddf_error_setf(err, DDF_EINVAL, "bad keep '%s'", keeps);
    *nkeys = 0;
    for (tok = strtok_r(cols, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t c;

        for (c = 0; c < like->ncols && strcmp(like->names[c], tok) != 0; c++)
            ;
        if (c == like->ncols || *nkeys == DDF_TOPK_MAX_KEYS)
            return ddf_error_setf(err, DDF_EINVAL, "bad column '%s'", tok);
        keys[(*nkeys)++] = c;
    }
    return DDF_OK;
}

static int topk(ddf_table **parts, size_t nparts, const char *spec, ddf_error *err)
{
    size_t n = 0, keys[DDF_TOPK_MAX_KEYS], nkeys = 0, *start = NULL;
    bool largest = true;
    ddf_topk_keep keep = DDF_TOPK_KEEP_FIRST;
    ddf_table **partials = NULL, *r = NULL;
    ddf_topk *total = NULL;
    int rc = parse_spec(spec, parts[0], &n, &largest, &keep, keys, &nkeys, err);

    if (rc < 0)
        return rc;
    rc = ddf_topk_new(parts[0], keys, nkeys, n, largest, keep, &total, err);
    if (rc == DDF_ETYPE) {
        fputs("{\"op\":\"topk\",\"spec\":", stdout);
        put_json_str(spec, strlen(spec));
        printf(",\"error\":\"%s\",\"message\":", ddf_err_name(rc));
        put_json_str(err->msg, strlen(err->msg));
        fputs("}\n", stdout);
        return DDF_OK;
    }
    partials = ddf_calloc(nparts, sizeof(*partials));
    start = ddf_calloc(nparts, sizeof(*start));
    if (rc == 0 && (partials == NULL || start == NULL))
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t p = 0; p < nparts && rc == 0; p++) {
        ddf_topk *tk;
        ddf_table *pt;

        start[p] = p ? start[p - 1] + parts[p - 1]->nrows : 0;
        rc = ddf_topk_new(parts[p], keys, nkeys, n, largest, keep, &tk, err);
        if (rc < 0)
            break;
        rc = ddf_topk_update(tk, parts[p], NULL, 0, p, err);
        if (rc == 0 && (rc = ddf_topk_to_table(tk, &pt, err)) == 0)
            rc = through_codec(pt, &partials[p], err);
        ddf_topk_free(tk);
    }
    for (size_t p = nparts; rc == 0 && p-- > 0;)
        rc = ddf_topk_merge_table(total, partials[p], err);
    if (rc == 0)
        rc = ddf_topk_result(total, true, &r, err);
    if (rc == 0) {
        size_t ncols = r->ncols - 2;

        fputs("{\"op\":\"topk\",\"spec\":", stdout);
        put_json_str(spec, strlen(spec));
        fputs(",\"rows\":[", stdout);
        for (size_t k = 0; k < r->nrows; k++) {
            uint64_t part = (uint64_t)r->columns[ncols].values.i64[k];
            uint64_t row = (uint64_t)r->columns[ncols + 1].values.i64[k];

            printf("%s%" PRIu64, k ? "," : "", (uint64_t)start[part] + row);
        }
        fputs("],\"keys\":[", stdout);
        for (size_t k = 0; k < r->nrows; k++) {
            printf("%s[", k ? "," : "");
            for (size_t j = 0; j < nkeys; j++) {
                if (j)
                    putchar(',');
                put_cell(&r->columns[keys[j]], k);
            }
            putchar(']');
        }
        fputs("]}\n", stdout);
    }
    ddf_table_free(r);
    ddf_topk_free(total);
    for (size_t p = 0; partials && p < nparts; p++)
        ddf_table_free(partials[p]);
    ddf_free(partials);
    ddf_free(start);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"blocksize", required_argument, NULL, 'b'},
                                             {"topk", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *specs[MAX_SPECS];
    size_t nspecs = 0;
    ddf_csv_options opt;
    ddf_csv_report report;
    ddf_error err;
    ddf_schema *schema = NULL;
    ddf_table **parts = NULL;
    size_t nparts = 0;
    int c, rc = 0, status = 0;

    ddf_csv_options_init(&opt);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            opt.blocksize = strtoull(optarg, NULL, 10);
            break;
        case 't':
            if (nspecs == MAX_SPECS) {
                fprintf(stderr, "topkdump: more than %d --topk\n", MAX_SPECS);
                return 2;
            }
            specs[nspecs++] = optarg;
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
    rc = ddf_csv_read_file(argv[optind], &opt, 2, &schema, &parts, &nparts, &report, &err);
    if (rc < 0) {
        fprintf(stderr, "topkdump: %s: %s\n", ddf_err_name(rc), err.msg);
        ddf_csv_report_fini(&report);
        return 1;
    }
    if (nparts == 0) {
        fprintf(stderr, "topkdump: %s: no partitions\n", argv[optind]);
        status = 1;
        goto done;
    }
    for (size_t col = 0; col < parts[0]->ncols && rc == 0; col++)
        rc = value_counts(parts, nparts, col, &err);
    for (size_t k = 0; k < nspecs && rc == 0; k++)
        rc = topk(parts, nparts, specs[k], &err);
    if (rc < 0) {
        fprintf(stderr, "topkdump: %s: %s\n", ddf_err_name(rc), err.msg);
        status = 1;
    }
    if (fflush(stdout) != 0)
        status = 1;
done:
    ddf_csv_report_fini(&report);
    ddf_csv_parts_free(parts, nparts);
    ddf_schema_free(schema);
    return status;
}
