/* ddfquery.c - a test tool: libddf (client/ddf.h) queries read from a file, each result
 * written as a codec blob, for the differential test client_vs_pandas.py.
 *
 *     ddfquery [--workers N] [--worker-bin PATH] QUERYFILE OUTDIR
 *
 * It starts one local cluster (N workers, default 3; PATH is the ddf-worker to run) and
 * runs the queries of QUERYFILE against it one after the other. The query on line L (1-based;
 * empty lines and lines starting with '#' are skipped) writes
 *     OUTDIR/qL.blob   its result table as a codec blob (common/codec.h, read by
 *                      tests/diff/ddfcodec.py), or
 *     OUTDIR/qL.err    "<DDF_E...> <message>" when it failed,
 * and OUTDIR/qL.info   "partitions P\nwidenings W\n" (the frame's partitions, the last
 *                      action's schema widenings) when the action ran.
 *
 * A query is TAB-separated tokens (so expressions may hold spaces and commas), in order:
 *
 *  read options, csv= required:
 *     csv=PATTERN           absolute path or glob the workers read
 *     blocksize=BYTES       partition size
 *     sep=C                 one-character separator ("sep=tab" for a tab)
 *     header=none           no header row (columns named by names= or "0", "1", ...)
 *     names=a,b,c           column names
 *     usecols=a,b           columns to keep
 *     dtype=COL:TYPE        pin a dtype (int64 float64 bool string); repeatable
 *     na=VALUE              an extra NA string; repeatable
 *     no_default_na         pandas' default NA strings are not NA
 *     skiprows=N            records skipped first
 *     on_bad_lines=error|warn|skip
 *  pipeline steps, applied in order:
 *     filter=EXPR           ddf_frame_filter
 *     assign=NAME:EXPR      ddf_frame_assign (NAME ends at the first ':')
 *     select=a,b            ddf_frame_select
 *  one action:
 *     count                          a one-row table, column "count" (int64)
 *     head:N | tail:N                N may be 0 or negative
 *     reduce:KIND[:a,b]              ddf_frame_reduce (no columns: every applicable one)
 *     agg:col/kind,col/kind          ddf_frame_aggregate
 *     groupby:k1,k2:col/kind,...[:nodropna]   ddf_frame_groupby (aggregations may be empty)
 *     value_counts:col[:normalize][:keepna]
 *     nlargest:N:a,b[:first|last|all] | nsmallest:...
 *     collect                        ddf_frame_collect
 *     collect_each                   ddf_frame_collect_each, partitions concatenated (checks
 *                                    they arrive in order 0, 1, 2, ...)
 *     describe                       ddf_frame_describe
 *     columns                        the frame's schema as a table without rows
 *
 * Exit status: 0 when every query ran (failed queries included: their .err is the
 * result), 1 on a problem of the tool itself (a bad query line, an unwritable OUTDIR),
 * 2 on bad usage, 3 when the cluster cannot be started. */
#include "ddf.h"

#include "alloc.h"
#include "codec.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 64   /* tokens on one query line */
#define MAX_LIST 64     /* names in one comma list, aggregations, pins, NA strings */

static const char *tool = "ddfquery";

/* One query line, parsed: pointers into the line (which the caller owns and which is
 * edited in place: separators become NULs). */
typedef struct query {
    ddf_csv_options opt;
    const char *pattern;
    const char *names[MAX_LIST];
    const char *usecols[MAX_LIST];
    const char *na[MAX_LIST];
    ddf_csv_pin pins[MAX_LIST];
    char *steps[MAX_TOKENS];  /* "filter=...", "assign=...", "select=..." */
    size_t nsteps;
    char *action;
} query;

/* Split 's' at 'sep' in place into at most 'max' pieces; an empty 's' is no pieces.
 * Returns the count, or -1 when there are more than 'max'. */
static int split(char *s, char sep, const char **out, size_t max)
{
    size_t n = 0;

    if (*s == '\0')
        return 0;
    for (;;) {
        char *end = strchr(s, sep);

        if (n == max)
            return -1;
        out[n++] = s;
        if (end == NULL)
            return (int)n;
        *end = '\0';
        s = end + 1;
    }
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Parse a query line (without its newline) into 'q'. Returns 0, or -1 after printing why. */
static int parse_query(char *line, unsigned lineno, query *q)
{
    char *tokens[MAX_TOKENS];
    size_t ntok = 0;

    memset(q, 0, sizeof *q);
    ddf_csv_options_init(&q->opt);
    for (char *s = line;;) {
        char *end = strchr(s, '\t');

        if (ntok == MAX_TOKENS) {
            fprintf(stderr, "%s: line %u: more than %d tokens\n", tool, lineno, MAX_TOKENS);
            return -1;
        }
        if (end)
            *end = '\0';
        if (*s)
            tokens[ntok++] = s;
        if (end == NULL)
            break;
        s = end + 1;
    }
    for (size_t i = 0; i < ntok; i++) {
        char *t = tokens[i];
        char *eq = strchr(t, '=');
        char *val = eq ? eq + 1 : NULL;
        size_t keylen = eq ? (size_t)(eq - t) : strlen(t);
        int n;

#define KEY(k) (keylen == sizeof(k) - 1 && strncmp(t, k, keylen) == 0)
        if (eq && KEY("csv")) {
            q->pattern = val;
        } else if (eq && KEY("blocksize")) {
            int64_t v;
            if (parse_i64(val, &v) < 0 || v <= 0)
                goto bad;
            q->opt.blocksize = (uint64_t)v;
        } else if (eq && KEY("sep")) {
            if (strcmp(val, "tab") == 0)
                q->opt.sep = '\t';
            else if (strlen(val) == 1)
                q->opt.sep = val[0];
            else
                goto bad;
        } else if (eq && KEY("header")) {
            if (strcmp(val, "none") != 0)
                goto bad;
            q->opt.header = false;
        } else if (eq && KEY("names")) {
            if ((n = split(val, ',', q->names, MAX_LIST)) < 0)
                goto bad;
            q->opt.names = q->names;
            q->opt.nnames = (size_t)n;
        } else if (eq && KEY("usecols")) {
            if ((n = split(val, ',', q->usecols, MAX_LIST)) < 0)
                goto bad;
            q->opt.usecols = q->usecols;
            q->opt.nusecols = (size_t)n;
        } else if (eq && KEY("dtype")) {
            char *colon = strrchr(val, ':');
            if (colon == NULL || q->opt.ndtypes == MAX_LIST)
                goto bad;
            *colon = '\0';
            q->pins[q->opt.ndtypes].name = val;
            if (ddf_dtype_parse(colon + 1, &q->pins[q->opt.ndtypes].dtype) < 0)
                goto bad;
            q->opt.ndtypes++;
            q->opt.dtypes = q->pins;
        } else if (eq && KEY("na")) {
            if (q->opt.nna_values == MAX_LIST)
                goto bad;
            q->na[q->opt.nna_values++] = val;
            q->opt.na_values = q->na;
        } else if (!eq && KEY("no_default_na")) {
            q->opt.keep_default_na = false;
        } else if (eq && KEY("skiprows")) {
            int64_t v;
            if (parse_i64(val, &v) < 0 || v < 0)
                goto bad;
            q->opt.skiprows = (uint64_t)v;
        } else if (eq && KEY("on_bad_lines")) {
            if (strcmp(val, "error") == 0)
                q->opt.on_bad_lines = DDF_BAD_LINES_ERROR;
            else if (strcmp(val, "warn") == 0)
                q->opt.on_bad_lines = DDF_BAD_LINES_WARN;
            else if (strcmp(val, "skip") == 0)
                q->opt.on_bad_lines = DDF_BAD_LINES_SKIP;
            else
                goto bad;
        } else if (eq && (KEY("filter") || KEY("assign") || KEY("select"))) {
            q->steps[q->nsteps++] = t;
        } else if (i == ntok - 1) {
            q->action = t;
        } else {
            goto bad;
        }
#undef KEY
        continue;
bad:
        fprintf(stderr, "%s: line %u: bad token '%s'\n", tool, lineno, t);
        return -1;
    }
    if (q->pattern == NULL || q->action == NULL) {
        fprintf(stderr, "%s: line %u: a query needs csv= and an action\n", tool, lineno);
        return -1;
    }
    return 0;
}

/* "col/kind,col/kind" into 'aggs' (pointing into 's'). Count, or -1. */
static int parse_aggs(char *s, ddf_plan_agg *aggs, size_t max)
{
    const char *items[MAX_LIST];
    int n = split(s, ',', items, MAX_LIST);

    if (n < 0 || (size_t)n > max)
        return -1;
    for (int i = 0; i < n; i++) {
        char *slash = strrchr(items[i], '/');
        if (slash == NULL)
            return -1;
        *slash = '\0';
        aggs[i].column = items[i];
        if (ddf_agg_parse(slash + 1, &aggs[i].kind) < 0)
            return -1;
    }
    return n;
}

/* A one-row table holding 'rows' in an int64 column "count". NULL when out of memory. */
static ddf_table *count_table(int64_t rows)
{
    ddf_table *t = ddf_table_new(1);

    if (t == NULL)
        return NULL;
    if (ddf_table_set_column(t, 0, "count", 5, DDF_DTYPE_INT64) < 0 ||
        ddf_column_append_i64(&t->columns[0], t->arena, rows) < 0) {
        ddf_table_free(t);
        return NULL;
    }
    t->nrows = 1;
    return t;
}

/* collect_each: the partitions appended to one table, checked to come in order. */
typedef struct concat {
    ddf_table *all;     /* NULL until the first partition */
    uint64_t next;      /* the partition index expected next */
    ddf_error *err;
} concat;

static int concat_part(void *arg, uint64_t index, ddf_table *part)
{
    concat *cc = arg;
    int rc = DDF_OK;

    if (index != cc->next) {
        rc = ddf_error_setf(cc->err, DDF_EINVAL, "collect_each: partition %" PRIu64
                            " arrived where %" PRIu64 " was due", index, cc->next);
        goto out;
    }
    cc->next++;
    if (cc->all == NULL) {
        cc->all = ddf_table_new(part->ncols);
        if (cc->all == NULL) {
            rc = ddf_error_setf(cc->err, DDF_ENOMEM, "collect_each: out of memory");
            goto out;
        }
        for (size_t c = 0; c < part->ncols; c++)
            if (ddf_table_set_column(cc->all, c, part->names[c], strlen(part->names[c]),
                                     part->columns[c].dtype) < 0) {
                rc = ddf_error_setf(cc->err, DDF_ENOMEM, "collect_each: out of memory");
                goto out;
            }
    }
    if (part->ncols != cc->all->ncols) {
        rc = ddf_error_setf(cc->err, DDF_EINVAL, "collect_each: partition %" PRIu64
                            " has %zu columns, the first had %zu", index, part->ncols,
                            cc->all->ncols);
        goto out;
    }
    for (size_t c = 0; c < part->ncols; c++) {
        if (part->columns[c].dtype != cc->all->columns[c].dtype ||
            strcmp(part->names[c], cc->all->names[c]) != 0) {
            rc = ddf_error_setf(cc->err, DDF_EINVAL, "collect_each: partition %" PRIu64
                                " column %zu differs from the first's", index, c);
            goto out;
        }
        for (size_t r = 0; r < part->nrows; r++)
            if (ddf_column_append_from(&cc->all->columns[c], cc->all->arena,
                                       &part->columns[c], r) < 0) {
                rc = ddf_error_setf(cc->err, DDF_ENOMEM, "collect_each: out of memory");
                goto out;
            }
    }
    cc->all->nrows += part->nrows;
out:
    ddf_table_free(part);
    return rc;
}

/* Run the action 'a' on 'f' into a new table *out. A ddf status; 'err' set on error. */
static int run_action(ddf_frame *f, char *a, ddf_table **out, ddf_error *err)
{
    const char *parts[8];
    int np = split(a, ':', parts, 8);
    const char *verb = np > 0 ? parts[0] : "";
    int64_t n;

    *out = NULL;
#define NEED(lo, hi)                                                                      \
    do {                                                                                  \
        if (np < (lo) || np > (hi))                                                       \
            return ddf_error_setf(err, DDF_EINVAL, "%s: %d fields, need %d to %d", verb,  \
                                  np, (lo), (hi));                                        \
    } while (0)
    if (strcmp(verb, "count") == 0) {
        int rc;
        NEED(1, 1);
        rc = ddf_frame_count(f, &n, err);
        if (rc < 0)
            return rc;
        *out = count_table(n);
        return *out ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    if (strcmp(verb, "head") == 0 || strcmp(verb, "tail") == 0) {
        NEED(2, 2);
        if (parse_i64(parts[1], &n) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: bad row count '%s'", verb, parts[1]);
        return verb[0] == 'h' ? ddf_frame_head(f, n, out, err)
                              : ddf_frame_tail(f, n, out, err);
    }
    if (strcmp(verb, "reduce") == 0) {
        const char *cols[MAX_LIST];
        ddf_agg_kind kind;
        int nc = 0;
        NEED(2, 3);
        if (ddf_agg_parse(parts[1], &kind) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "reduce: unknown kind '%s'", parts[1]);
        if (np == 3 && (nc = split((char *)parts[2], ',', cols, MAX_LIST)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "reduce: too many columns");
        return ddf_frame_reduce(f, kind, np == 3 ? cols : NULL, (size_t)nc, out, err);
    }
    if (strcmp(verb, "agg") == 0) {
        ddf_plan_agg aggs[MAX_LIST];
        int na;
        NEED(2, 2);
        if ((na = parse_aggs((char *)parts[1], aggs, MAX_LIST)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "agg: bad aggregations");
        return ddf_frame_aggregate(f, aggs, (size_t)na, out, err);
    }
    if (strcmp(verb, "groupby") == 0) {
        const char *keys[MAX_LIST];
        ddf_plan_agg aggs[MAX_LIST];
        bool dropna = true;
        int nk, na = 0;
        NEED(2, 4);
        if ((nk = split((char *)parts[1], ',', keys, MAX_LIST)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "groupby: too many keys");
        if (np >= 3 && (na = parse_aggs((char *)parts[2], aggs, MAX_LIST)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "groupby: bad aggregations");
        if (np == 4) {
            if (strcmp(parts[3], "nodropna") != 0)
                return ddf_error_setf(err, DDF_EINVAL, "groupby: bad flag '%s'", parts[3]);
            dropna = false;
        }
        return ddf_frame_groupby(f, keys, (size_t)nk, aggs, (size_t)na, dropna, out, err);
    }
    if (strcmp(verb, "value_counts") == 0) {
        bool normalize = false, dropna = true;
        NEED(2, 4);
        for (int i = 2; i < np; i++) {
            if (strcmp(parts[i], "normalize") == 0)
                normalize = true;
            else if (strcmp(parts[i], "keepna") == 0)
                dropna = false;
            else
                return ddf_error_setf(err, DDF_EINVAL, "value_counts: bad flag '%s'",
                                      parts[i]);
        }
        return ddf_frame_value_counts(f, parts[1], dropna, normalize, out, err);
    }
    if (strcmp(verb, "nlargest") == 0 || strcmp(verb, "nsmallest") == 0) {
        const char *cols[MAX_LIST];
        ddf_topk_keep keep = DDF_TOPK_KEEP_FIRST;
        int nc;
        NEED(3, 4);
        if (parse_i64(parts[1], &n) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: bad n '%s'", verb, parts[1]);
        if ((nc = split((char *)parts[2], ',', cols, MAX_LIST)) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: too many columns", verb);
        if (np == 4 && ddf_topk_keep_parse(parts[3], &keep) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: bad keep '%s'", verb, parts[3]);
        return ddf_frame_topk(f, n, cols, (size_t)nc, verb[1] == 'l', keep, out, err);
    }
    if (strcmp(verb, "collect") == 0) {
        NEED(1, 1);
        return ddf_frame_collect(f, out, err);
    }
    if (strcmp(verb, "collect_each") == 0) {
        concat cc = {NULL, 0, err};
        int rc;
        NEED(1, 1);
        rc = ddf_frame_collect_each(f, concat_part, &cc, err);
        if (rc < 0) {
            ddf_table_free(cc.all);
            return rc;
        }
        if (cc.all == NULL)  /* no partitions: the schema's columns, no rows */
            cc.all = ddf_table_new_from_schema(ddf_frame_schema(f));
        *out = cc.all;
        return *out ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    if (strcmp(verb, "describe") == 0) {
        NEED(1, 1);
        return ddf_frame_describe(f, out, err);
    }
    if (strcmp(verb, "columns") == 0) {
        NEED(1, 1);
        *out = ddf_table_new_from_schema(ddf_frame_schema(f));
        return *out ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
#undef NEED
    return ddf_error_setf(err, DDF_EINVAL, "unknown action '%s'", verb);
}

/* Apply one pipeline step to *f, replacing it (the old frame is freed). */
static int run_step(ddf_frame **f, char *step, ddf_error *err)
{
    ddf_frame *g = NULL;
    char *val = strchr(step, '=') + 1;
    int rc;

    if (strncmp(step, "filter=", 7) == 0) {
        rc = ddf_frame_filter(*f, val, &g, err);
    } else if (strncmp(step, "assign=", 7) == 0) {
        char *colon = strchr(val, ':');
        if (colon == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "assign: no ':' in '%s'", val);
        *colon = '\0';
        rc = ddf_frame_assign(*f, val, colon + 1, &g, err);
    } else {
        const char *cols[MAX_LIST];
        int nc = split(val, ',', cols, MAX_LIST);
        if (nc < 0)
            return ddf_error_setf(err, DDF_EINVAL, "select: too many columns");
        rc = ddf_frame_select(*f, cols, (size_t)nc, &g, err);
    }
    if (rc < 0)
        return rc;
    ddf_frame_free(*f);
    *f = g;
    return DDF_OK;
}

/* Write 'len' bytes to OUTDIR/q<lineno>.<ext>. 0, or -1 after printing why. */
static int write_out(const char *outdir, unsigned lineno, const char *ext, const void *buf,
                     size_t len)
{
    char path[4096];
    FILE *fp;

    snprintf(path, sizeof path, "%s/q%u.%s", outdir, lineno, ext);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0) {
        fprintf(stderr, "%s: %s: %s\n", tool, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Run one query line; writes its .blob or .err (and .info). 0, or -1 on a tool problem. */
static int run_query(ddf_client *client, char *line, unsigned lineno, const char *outdir)
{
    query q;
    ddf_frame *f = NULL;
    ddf_table *t = NULL;
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    ddf_error err;
    int rc, status = 0;

    if (parse_query(line, lineno, &q) < 0)
        return -1;
    ddf_error_init(&err);
    rc = ddf_read_csv(client, q.pattern, &q.opt, &f, &err);
    for (size_t i = 0; rc == DDF_OK && i < q.nsteps; i++)
        rc = run_step(&f, q.steps[i], &err);
    if (rc == DDF_OK) {
        ddf_action_stats st;
        char info[128];
        int len;

        rc = run_action(f, q.action, &t, &err);
        ddf_client_last_stats(client, &st);
        len = snprintf(info, sizeof info, "partitions %zu\nwidenings %u\n",
                       ddf_frame_npartitions(f), st.widenings);
        if (write_out(outdir, lineno, "info", info, (size_t)len) < 0)
            status = -1;
    }
    if (rc == DDF_OK)
        rc = ddf_codec_encode(t, &blob, &blob_len, &err);
    if (rc == DDF_OK) {
        if (write_out(outdir, lineno, "blob", blob, blob_len) < 0)
            status = -1;
    } else {
        char msg[64 + DDF_ERROR_MSG_BYTES];
        int len = snprintf(msg, sizeof msg, "%s %s\n", ddf_err_name(rc), err.msg);
        if (write_out(outdir, lineno, "err", msg, (size_t)len) < 0)
            status = -1;
    }
    ddf_free(blob);
    ddf_table_free(t);
    ddf_frame_free(f);
    return status;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: %s [--workers N] [--worker-bin PATH] QUERYFILE OUTDIR\n", tool);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"worker-bin", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ddf_connect_options co;
    ddf_client *client = NULL;
    ddf_error err;
    FILE *in = NULL;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int opt, status = 0;

    ddf_connect_options_init(&co);
    co.local_workers = 3;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w': {
            int64_t v;
            if (parse_i64(optarg, &v) < 0 || v < 1 || v > 64) {
                fprintf(stderr, "%s: bad --workers '%s'\n", tool, optarg);
                return 2;
            }
            co.local_workers = (unsigned)v;
            break;
        }
        case 'b':
            co.worker_bin = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    in = fopen(argv[optind], "r");
    if (in == NULL) {
        fprintf(stderr, "%s: %s: %s\n", tool, argv[optind], strerror(errno));
        return 1;
    }
    ddf_error_init(&err);
    if (ddf_connect(&co, &client, &err) < 0) {
        fprintf(stderr, "%s: connect: %s %s\n", tool, ddf_err_name(err.code), err.msg);
        fclose(in);
        return 3;
    }
    for (ssize_t got; (got = getline(&line, &cap, in)) != -1;) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0 || line[0] == '#')
            continue;
        if (run_query(client, line, lineno, argv[optind + 1]) < 0) {
            status = 1;
            break;
        }
    }
    free(line);  /* getline's buffer is the C library's */
    fclose(in);
    ddf_close(client);
    return status;
}
