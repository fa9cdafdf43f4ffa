/* aggdump.c - every aggregation of every column of a CSV file, merged across partitions.
 *
 * The differential test agg_vs_pandas.py runs this next to pandas. The file is read with
 * the local engine; for each column and each aggregation its dtype allows, every
 * partition is aggregated into its own state (and finalized once, to exercise that), the
 * states are merged in reverse partition order and the merge is finalized. Output, one
 * JSON line per (column, aggregation):
 *     {"column": "...", "agg": "sum", "value": V}
 * V is null, true/false, an integer, a float ("%.17g"), or a string (JSON-escaped; bytes
 * >= 0x80 pass through, so valid UTF-8 input stays valid). Non-finite floats, which JSON
 * cannot hold, are the strings "Infinity", "-Infinity" and "NaN".
 * Errors: "aggdump: <DDF_E...>: <message>" on stderr, exit 1; usage errors exit 2. */
#include "agg.h"
#include "dumputil.h"

#include "alloc.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-aggdump FILE [--blocksize N]\n");
}

/* An aggregation's result as JSON (dumputil.h's format). */
static void put_value(const ddf_agg_value *v)
{
    switch (v->dtype) {
    case DDF_DTYPE_BOOL:
        fputs(v->i64 ? "true" : "false", stdout);
        break;
    case DDF_DTYPE_INT64:
        printf("%" PRId64, v->i64);
        break;
    case DDF_DTYPE_FLOAT64:
        dump_put_f64(stdout, v->f64);
        break;
    case DDF_DTYPE_STRING:
        dump_put_json_str(stdout, v->str, v->str_len);
        break;
    default:
        fputs("null", stdout);
        break;
    }
}

/* Aggregate column 'c' of every partition with 'kind' and print the line. States and
 * their strings live in 'arena' (the caller frees it). */
static int agg_column(ddf_table **parts, size_t nparts, size_t c, ddf_dtype dtype,
                      ddf_agg_kind kind, ddf_arena *arena, ddf_error *err)
{
    ddf_agg_state *states = NULL, total;
    ddf_agg_value v;
    size_t ninit = 0;
    int rc;

    rc = ddf_agg_init(&total, kind, dtype, arena, err);
    if (rc < 0)
        goto out_fini_total;
    if (nparts > 0 && (states = ddf_calloc(nparts, sizeof(*states))) == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto out_fini_total;
    }
    for (size_t p = 0; p < nparts; p++) {
        rc = ddf_agg_init(&states[p], kind, dtype, arena, err);
        if (rc < 0)
            goto out_fini_states;
        ninit++;
        rc = ddf_agg_update(&states[p], &parts[p]->columns[c], NULL, 0, p, err);
        if (rc < 0)
            goto out_fini_states;
        rc = ddf_agg_finalize(&states[p], &v, err);
        if (rc < 0 && rc != DDF_ERANGE) /* a partial int sum may overflow; the total not */
            goto out_fini_states;
    }
    for (size_t p = nparts; p-- > 0;) {
        rc = ddf_agg_merge(&total, &states[p], err);
        if (rc < 0)
            goto out_fini_states;
    }
    rc = ddf_agg_finalize(&total, &v, err);
    if (rc < 0)
        goto out_fini_states;
    fputs("{\"column\":", stdout);
    dump_put_json_str(stdout, parts[0]->names[c], strlen(parts[0]->names[c]));
    printf(",\"agg\":\"%s\",\"value\":", ddf_agg_name(kind));
    put_value(&v);
    fputs("}\n", stdout);
out_fini_states:
    for (size_t p = 0; p < ninit; p++)
        ddf_agg_fini(&states[p]);
    ddf_free(states);
out_fini_total:
    ddf_agg_fini(&total);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {DUMP_LONGOPT_BLOCKSIZE, DUMP_LONGOPT_HELP,
                                             {NULL, 0, NULL, 0}};
    dump_csv in;
    ddf_error err;
    int rc, status = 0;

    dump_csv_init(&in, "aggdump", usage);
    if (dump_getopt(&in, argc, argv, "h", longopts) != -1) /* no options of its own */
        return in.status;
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (dump_csv_read(&in, argv[optind], 2, true, &err) < 0)
        return 1;
    for (size_t col = 0; col < in.parts[0]->ncols && status == 0; col++) {
        ddf_dtype dtype = in.parts[0]->columns[col].dtype;

        for (int k = 0; k < DDF_AGG_KIND_COUNT; k++) {
            ddf_dtype rdtype;
            ddf_arena *arena;

            if (ddf_agg_result_dtype((ddf_agg_kind)k, dtype, &rdtype) < 0)
                continue;
            if ((arena = ddf_arena_new()) == NULL) {
                fprintf(stderr, "aggdump: out of memory\n");
                status = 1;
                break;
            }
            rc = agg_column(in.parts, in.nparts, col, dtype, (ddf_agg_kind)k, arena, &err);
            ddf_arena_free(arena);
            if (rc < 0) {
                fprintf(stderr, "aggdump: %s: column %s, %s: %s\n", ddf_err_name(rc),
                        in.parts[0]->names[col], ddf_agg_name((ddf_agg_kind)k), err.msg);
                status = 1;
                break;
            }
        }
    }
    if (fflush(stdout) != 0)
        status = 1;
    dump_csv_fini(&in);
    return status;
}
