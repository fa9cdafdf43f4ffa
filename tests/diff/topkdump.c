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
#include "dumputil.h"
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

/* A cell as dumputil.h prints it, but a float zero as "0.0" or "-0.0": "-0" would read
 * as the int 0 and lose the sign the test checks. */
static void put_cell(const ddf_column *c, size_t r)
{
    if (c->dtype == DDF_DTYPE_FLOAT64 && ddf_column_is_valid(c, r) && c->values.f64[r] == 0)
        fputs(signbit(c->values.f64[r]) ? "-0.0" : "0.0", stdout);
    else
        dump_put_cell(stdout, c, r);
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
            dump_put_json_str(stdout, parts[0]->names[c], strlen(parts[0]->names[c]));
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
        dump_put_json_str(stdout, spec, strlen(spec));
        dump_put_error_fields(stdout, rc, err);
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
        dump_put_json_str(stdout, spec, strlen(spec));
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
    static const struct option longopts[] = {DUMP_LONGOPT_BLOCKSIZE,
                                             {"topk", required_argument, NULL, 't'},
                                             DUMP_LONGOPT_HELP, {NULL, 0, NULL, 0}};
    const char *specs[MAX_SPECS];
    size_t nspecs = 0;
    dump_csv in;
    ddf_error err;
    int c, rc = 0, status = 0;

    dump_csv_init(&in, "topkdump", usage);
    while ((c = dump_getopt(&in, argc, argv, "h", longopts)) == 't') {
        if (nspecs == MAX_SPECS) {
            fprintf(stderr, "topkdump: more than %d --topk\n", MAX_SPECS);
            return 2;
        }
        specs[nspecs++] = optarg;
    }
    if (c != -1)
        return in.status;
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (dump_csv_read(&in, argv[optind], 2, true, &err) < 0)
        return 1;
    for (size_t col = 0; col < in.parts[0]->ncols && rc == 0; col++)
        rc = value_counts(in.parts, in.nparts, col, &err);
    for (size_t k = 0; k < nspecs && rc == 0; k++)
        rc = topk(in.parts, in.nparts, specs[k], &err);
    if (rc < 0) {
        dump_error("topkdump", rc, err.msg);
        status = 1;
    }
    if (fflush(stdout) != 0)
        status = 1;
    dump_csv_fini(&in);
    return status;
}
