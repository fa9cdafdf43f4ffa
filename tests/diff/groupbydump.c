/* groupbydump.c - a hash group-by of a CSV file, partials merged across partitions.
 *
 * The differential test groupby_vs_pandas.py runs this next to pandas. The file is read
 * with the local engine at --blocksize; the group-by is keyed by the --keys columns and
 * computes the --aggs list ("col:agg,col:agg", spec order). --mode picks the path:
 *     table   (default) one group-by per partition, serialized with ddf_groupby_to_table
 *             and encoded by the codec (then freed: only blobs are kept, as a client
 *             receives them); the blobs are decoded and merged into a fresh group-by
 *             with ddf_groupby_merge_table;
 *     merge   one group-by per partition (fed through a selection vector listing its
 *             rows backwards: first/last follow row positions, not feeding order),
 *             merged into a fresh group-by with ddf_groupby_merge;
 *     single  one group-by updated with every partition in file order.
 * --order reverse (default) or shuffle (seeded by --seed) is the order partials merge in.
 * --max-groups N lowers every group-by's group limit (ddf_groupby_set_max_groups).
 * Output, JSON lines: first {"names": [...], "dtypes": [...]} of ddf_groupby_result,
 * then one array per result row. Values are null, true/false, integers, floats ("%.17g")
 * or strings (JSON-escaped; bytes >= 0x80 pass through); non-finite floats are the
 * strings "Infinity", "-Infinity" and "NaN". --blob FILE also writes the result table as
 * a codec blob, for ddfcodec.py.
 * Errors: "groupbydump: <DDF_E...>: <message>" on stderr, exit 1; usage errors exit 2. */
#include "codec.h"
#include "dumputil.h"
#include "groupby.h"

#include "alloc.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { MODE_TABLE, MODE_MERGE, MODE_SINGLE };

/* What the command line asks for. Pointers borrow argv. */
struct request {
    const char *path;
    const char *keys;       /* "a,b" */
    const char *aggs;       /* "x:sum,y:mean" */
    const char *blob;       /* result blob file, or NULL */
    enum mode mode;
    bool dropna;
    bool shuffle;           /* merge order: shuffled, else reversed */
    uint64_t seed;
    size_t max_groups;      /* 0: the default limit */
};

/* The parsed group-by spec: column numbers of the input tables. */
struct spec {
    size_t keys[DDF_GROUPBY_MAX_KEYS];
    size_t nkeys;
    ddf_groupby_agg *aggs;  /* ddf_malloc'd */
    size_t naggs;
};

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-groupbydump FILE --keys K[,K...] --aggs COL:AGG[,COL:AGG...]\n"
                "       [--blocksize N] [--dropna|--no-dropna] [--mode table|merge|single]\n"
                "       [--order reverse|shuffle] [--seed N] [--max-groups N] [--blob FILE]\n");
}

/* The result table: a {"names", "dtypes"} line, then one JSON array per row. */
static void put_table(const ddf_table *t)
{
    fputs("{\"names\":[", stdout);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            putchar(',');
        dump_put_json_str(stdout, t->names[c], strlen(t->names[c]));
    }
    fputs("],\"dtypes\":[", stdout);
    for (size_t c = 0; c < t->ncols; c++)
        printf("%s\"%s\"", c ? "," : "", ddf_dtype_name(t->columns[c].dtype));
    fputs("]}\n", stdout);
    for (size_t r = 0; r < t->nrows; r++) {
        putchar('[');
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                putchar(',');
            dump_put_cell(stdout, &t->columns[c], r);
        }
        fputs("]\n", stdout);
    }
}

/* The number of the column named 'name' (len bytes) in *out; DDF_EINVAL if none. */
static int find_column(const ddf_table *t, const char *name, size_t len, size_t *out,
                       ddf_error *err)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (strlen(t->names[c]) == len && memcmp(t->names[c], name, len) == 0) {
            *out = c;
            return DDF_OK;
        }
    }
    return ddf_error_setf(err, DDF_EINVAL, "no column named '%.*s'", (int)len, name);
}

/* Parse --keys and --aggs against the columns of 't' into 'sp' (its aggs array is the
 * caller's to ddf_free, also on error). DDF_EINVAL for an unknown column or aggregation,
 * too many keys; DDF_ENOMEM. */
static int parse_spec(const struct request *rq, const ddf_table *t, struct spec *sp,
                      ddf_error *err)
{
    const char *p, *end, *colon;
    size_t n = 1;
    int rc;

    sp->nkeys = 0;
    for (p = rq->keys; *p; p = *end ? end + 1 : end) {
        end = p + strcspn(p, ",");
        if (sp->nkeys == DDF_GROUPBY_MAX_KEYS)
            return ddf_error_setf(err, DDF_EINVAL, "more than %d keys", DDF_GROUPBY_MAX_KEYS);
        rc = find_column(t, p, (size_t)(end - p), &sp->keys[sp->nkeys], err);
        if (rc < 0)
            return rc;
        sp->nkeys++;
    }
    for (p = rq->aggs; *p; p++)
        n += *p == ',';
    sp->aggs = ddf_mallocarray(n, sizeof *sp->aggs);
    if (sp->aggs == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    sp->naggs = 0;
    for (p = rq->aggs; *p; p = *end ? end + 1 : end) {
        char name[16];
        size_t nlen;

        end = p + strcspn(p, ",");
        colon = memchr(p, ':', (size_t)(end - p));
        if (colon == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "aggregation '%.*s' is not COL:AGG",
                                  (int)(end - p), p);
        rc = find_column(t, p, (size_t)(colon - p), &sp->aggs[sp->naggs].col, err);
        if (rc < 0)
            return rc;
        nlen = (size_t)(end - colon - 1);
        if (nlen >= sizeof name)
            return ddf_error_setf(err, DDF_EINVAL, "unknown aggregation '%.*s'", (int)nlen,
                                  colon + 1);
        memcpy(name, colon + 1, nlen);
        name[nlen] = '\0';
        if (ddf_agg_parse(name, &sp->aggs[sp->naggs].kind) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "unknown aggregation '%s'", name);
        sp->naggs++;
    }
    return DDF_OK;
}

/* The order partials merge in: reversed, or a Fisher-Yates shuffle seeded by 'seed'
 * (splitmix64, so a seed gives the same order everywhere). */
static void merge_order(size_t *order, size_t n, bool shuffle, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        order[i] = n - 1 - i;
    if (!shuffle)
        return;
    for (size_t i = n; i > 1; i--) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        size_t j, tmp;

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        j = (size_t)(z % i);
        tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
}

static int new_groupby(const struct request *rq, const ddf_table *like, const struct spec *sp,
                       ddf_groupby **out, ddf_error *err)
{
    int rc;

    rc = ddf_groupby_new(like, sp->keys, sp->nkeys, sp->aggs, sp->naggs, rq->dropna, out, err);
    if (rc == DDF_OK && rq->max_groups > 0)
        ddf_groupby_set_max_groups(*out, rq->max_groups);
    return rc;
}

/* One partition's partial as a codec blob (what a worker sends back). */
struct blob {
    unsigned char *buf; /* ddf_malloc'd */
    size_t len;
};

/* The partial state of 'gb' serialized and encoded into *out (caller ddf_frees out->buf). */
static int encode_partial(const ddf_groupby *gb, struct blob *out, ddf_error *err)
{
    ddf_table *t = NULL;
    int rc;

    rc = ddf_groupby_to_table(gb, &t, err);
    if (rc < 0)
        return rc;
    rc = ddf_codec_encode(t, &out->buf, &out->len, err);
    ddf_table_free(t);
    return rc;
}

/* Decode a partial's blob and merge it into 'total'. */
static int merge_blob(ddf_groupby *total, const struct blob *b, ddf_error *err)
{
    ddf_table *t = NULL;
    int rc;

    rc = ddf_codec_decode(b->buf, b->len, &t, err);
    if (rc < 0)
        return rc;
    rc = ddf_groupby_merge_table(total, t, err);
    ddf_table_free(t);
    return rc;
}

/* Fold partition p into a group-by of its own. In merge mode through a selection vector
 * of every row, last to first, so that path is exercised too. */
static int partial_of(const struct request *rq, const struct spec *sp, const ddf_table *part,
                      uint64_t p, ddf_groupby **out, ddf_error *err)
{
    uint32_t *sel = NULL;
    int rc;

    rc = new_groupby(rq, part, sp, out, err);
    if (rc < 0)
        return rc;
    if (rq->mode == MODE_MERGE && part->nrows > 0) {
        sel = ddf_mallocarray(part->nrows, sizeof *sel);
        if (sel == NULL) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            goto out_free_gb;
        }
        for (size_t r = 0; r < part->nrows; r++)
            sel[r] = (uint32_t)(part->nrows - 1 - r);
    }
    rc = ddf_groupby_update(*out, part, sel, sel ? part->nrows : 0, p, err);
    ddf_free(sel);
out_free_gb:
    if (rc < 0) {
        ddf_groupby_free(*out);
        *out = NULL;
    }
    return rc;
}

/* The group-by over every partition, by the requested path, in *out. */
static int group(const struct request *rq, const struct spec *sp, ddf_table **parts,
                 size_t nparts, ddf_groupby **out, ddf_error *err)
{
    ddf_groupby **partial = NULL;
    struct blob *blobs = NULL;
    size_t *order = NULL;
    int rc;

    rc = new_groupby(rq, parts[0], sp, out, err);
    if (rc < 0)
        return rc;
    if (rq->mode == MODE_SINGLE) {
        for (size_t p = 0; p < nparts && rc == DDF_OK; p++)
            rc = ddf_groupby_update(*out, parts[p], NULL, 0, p, err);
        goto out;
    }
    partial = ddf_calloc(nparts, sizeof *partial);
    blobs = ddf_calloc(nparts, sizeof *blobs);
    order = ddf_mallocarray(nparts, sizeof *order);
    if (partial == NULL || blobs == NULL || order == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto out_free_partials;
    }
    for (size_t p = 0; p < nparts; p++) {
        rc = partial_of(rq, sp, parts[p], p, &partial[p], err);
        if (rc < 0)
            goto out_free_partials;
        if (rq->mode == MODE_TABLE) {
            rc = encode_partial(partial[p], &blobs[p], err);
            ddf_groupby_free(partial[p]);
            partial[p] = NULL;
            if (rc < 0)
                goto out_free_partials;
        }
    }
    merge_order(order, nparts, rq->shuffle, rq->seed);
    for (size_t i = 0; i < nparts; i++) {
        if (rq->mode == MODE_TABLE)
            rc = merge_blob(*out, &blobs[order[i]], err);
        else
            rc = ddf_groupby_merge(*out, partial[order[i]], err);
        if (rc < 0)
            goto out_free_partials;
    }
out_free_partials:
    for (size_t p = 0; partial && p < nparts; p++)
        ddf_groupby_free(partial[p]);
    for (size_t p = 0; blobs && p < nparts; p++)
        ddf_free(blobs[p].buf);
    ddf_free(partial);
    ddf_free(blobs);
    ddf_free(order);
out:
    if (rc < 0) {
        ddf_groupby_free(*out);
        *out = NULL;
    }
    return rc;
}

static int write_blob(const char *path, const ddf_table *t, ddf_error *err)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    rc = ddf_codec_encode(t, &blob, &len, err);
    if (rc < 0)
        return rc;
    f = fopen(path, "wb");
    if (f == NULL) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: cannot create", path);
        goto out_free_blob;
    }
    if (fwrite(blob, 1, len, f) != len)
        rc = ddf_error_setf(err, DDF_EIO, "%s: write failed", path);
    if (fclose(f) != 0 && rc == DDF_OK)
        rc = ddf_error_setf(err, DDF_EIO, "%s: write failed", path);
out_free_blob:
    ddf_free(blob);
    return rc;
}

/* Parse the command line into 'rq' and 'in'. 0 to go on, else the exit status + 1. */
static int parse_args(int argc, char **argv, struct request *rq, dump_csv *in)
{
    static const struct option longopts[] = {DUMP_LONGOPT_BLOCKSIZE,
                                             {"keys", required_argument, NULL, 'k'},
                                             {"aggs", required_argument, NULL, 'a'},
                                             {"dropna", no_argument, NULL, 'd'},
                                             {"no-dropna", no_argument, NULL, 'D'},
                                             {"mode", required_argument, NULL, 'm'},
                                             {"order", required_argument, NULL, 'o'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"blob", required_argument, NULL, 'B'},
                                             {"max-groups", required_argument, NULL, 'g'},
                                             DUMP_LONGOPT_HELP,
                                             {NULL, 0, NULL, 0}};
    int c;

    memset(rq, 0, sizeof *rq);
    rq->dropna = true;
    rq->aggs = "";
    while ((c = dump_getopt(in, argc, argv, "h", longopts)) >= 0) {
        switch (c) {
        case 'k':
            rq->keys = optarg;
            break;
        case 'a':
            rq->aggs = optarg;
            break;
        case 'd':
        case 'D':
            rq->dropna = c == 'd';
            break;
        case 'm':
            if (strcmp(optarg, "table") == 0)
                rq->mode = MODE_TABLE;
            else if (strcmp(optarg, "merge") == 0)
                rq->mode = MODE_MERGE;
            else if (strcmp(optarg, "single") == 0)
                rq->mode = MODE_SINGLE;
            else
                goto bad;
            break;
        case 'o':
            if (strcmp(optarg, "reverse") != 0 && strcmp(optarg, "shuffle") != 0)
                goto bad;
            rq->shuffle = strcmp(optarg, "shuffle") == 0;
            break;
        case 's':
            rq->seed = strtoull(optarg, NULL, 10);
            break;
        case 'B':
            rq->blob = optarg;
            break;
        case 'g':
            rq->max_groups = (size_t)strtoull(optarg, NULL, 10);
            break;
        }
    }
    if (c != -1)
        return in->status + 1;
    if (optind != argc - 1 || rq->keys == NULL || rq->keys[0] == '\0')
        goto bad;
    rq->path = argv[optind];
    return 0;
bad:
    usage(stderr);
    return 3;
}

int main(int argc, char **argv)
{
    struct request rq;
    struct spec sp = {.aggs = NULL};
    dump_csv in;
    ddf_error err;
    ddf_table *result = NULL;
    ddf_groupby *gb = NULL;
    int rc, status;

    dump_csv_init(&in, "groupbydump", usage);
    status = parse_args(argc, argv, &rq, &in);
    if (status)
        return status - 1;
    if (dump_csv_read(&in, rq.path, 2, false, &err) < 0)
        return 1;
    if (in.nparts == 0) {
        rc = ddf_error_setf(&err, DDF_EEMPTY, "%s: no partitions", rq.path);
        goto fail;
    }
    rc = parse_spec(&rq, in.parts[0], &sp, &err);
    if (rc < 0)
        goto fail;
    rc = group(&rq, &sp, in.parts, in.nparts, &gb, &err);
    if (rc < 0)
        goto fail;
    rc = ddf_groupby_result(gb, &result, &err);
    if (rc < 0)
        goto fail;
    if (rq.blob) {
        rc = write_blob(rq.blob, result, &err);
        if (rc < 0)
            goto fail;
    }
    put_table(result);
    if (fflush(stdout) != 0)
        status = 1;
    goto done;
fail:
    dump_error("groupbydump", rc, err.msg);
    status = 1;
done:
    ddf_table_free(result);
    ddf_groupby_free(gb);
    ddf_free(sp.aggs);
    dump_csv_fini(&in);
    return status;
}
