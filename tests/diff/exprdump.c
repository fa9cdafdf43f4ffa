/* exprdump.c - evaluate expressions over a CSV file and print the result columns.
 *
 * The differential test expr_vs_pandas.py runs this next to pandas. The file is read with
 * the local engine (split at --blocksize, so several partitions); each expression is
 * parsed (ddf_expr_parse), checked against the file's schema (ddf_expr_check) and
 * evaluated over every partition in turn (ddf_eval, or ddf_eval_filter in filter mode),
 * the partitions' results concatenated. With --reverse each partition is evaluated
 * through a selection vector naming its rows last to first (the sel path of eval.c), and
 * the results are put back in file order before printing. Output, one JSON line per
 * expression:
 *     {"expr": "...", "dtype": "int64", "values": [V, ...]}       evaluation
 *     {"expr": "...", "rows": [R, ...]}                           filter: file row numbers
 *     {"expr": "...", "error": "DDF_ETYPE", "message": "...", "offset": N}
 * V is null, true/false, an integer, a float ("%.17g"), or a string (JSON-escaped; bytes
 * >= 0x80 pass through, so valid UTF-8 input stays valid). Non-finite floats, which JSON
 * cannot hold, are the strings "Infinity", "-Infinity" and "NaN". R counts data rows of
 * the file from 0. An expression's error is output, not a failure of the tool.
 *
 * Expressions come from the command line (evaluations, or filters with --filter) and
 * from --exprs FILE: one per line, "e<TAB>expr" to evaluate, "f<TAB>expr" to filter.
 * Errors of the tool itself: "exprdump: <DDF_E...>: <message>" on stderr, exit 1; usage
 * errors exit 2. */
#include "dumputil.h"
#include "eval.h"
#include "expr.h"

#include "alloc.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct dump {
    const ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    bool reverse; /* evaluate through a reversed selection vector */
} dump;

static void usage(FILE *to)
{
    fprintf(to, "usage: ddf-exprdump FILE [--blocksize N] [--dtype COL=TYPE]... [--reverse] "
                "[--filter] [--exprs FILE] [EXPR...]\n");
}

static void put_error(const char *text, int rc, const ddf_error *err)
{
    fputs("{\"expr\":", stdout);
    dump_put_json_str(stdout, text, strlen(text));
    dump_put_error_fields(stdout, rc, err);
    printf(",\"offset\":%" PRId64 "}\n", err->offset);
}

/* Rows n-1 .. 0 of a partition, in 'arena'; NULL when out of memory. */
static uint32_t *reversed_rows(ddf_arena *arena, size_t n)
{
    uint32_t *sel = ddf_arena_alloc(arena, (n ? n : 1) * sizeof(*sel));

    for (size_t i = 0; sel && i < n; i++)
        sel[i] = (uint32_t)(n - 1 - i);
    return sel;
}

/* Evaluate the checked 'e' over one partition and print its values (in file order) or,
 * for a filter, its matching rows offset by 'base'. 'first' says whether a value was
 * printed before (for commas). Uses and resets nothing but 'scratch'. */
static int eval_part(FILE *o, const dump *d, const ddf_expr *e, bool filter, const ddf_table *t,
                     size_t base, ddf_arena *scratch, bool *first, ddf_dtype *dtype,
                     ddf_error *err)
{
    const uint32_t *sel = NULL;
    size_t n = t->nrows;
    int rc;

    if (d->reverse && !(sel = reversed_rows(scratch, n)))
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    if (filter) {
        uint32_t *rows;
        size_t k;
        rc = ddf_eval_filter(e, t, sel, n, scratch, &rows, &k, err);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < k; j++) { /* reversed: matches come last row first */
            size_t r = d->reverse ? rows[k - 1 - j] : rows[j];
            fprintf(o, "%s%zu", *first ? "" : ",", base + r);
            *first = false;
        }
        return DDF_OK;
    }
    ddf_column c;
    rc = ddf_eval(e, t, sel, n, scratch, &c, err);
    if (rc < 0)
        return rc;
    if (c.length != n)
        return ddf_error_setf(err, DDF_EINVAL, "ddf_eval gave %zu rows for %zu", c.length, n);
    *dtype = c.dtype;
    for (size_t j = 0; j < n; j++) {
        fputs(*first ? "" : ",", o);
        dump_put_cell(o, &c, d->reverse ? n - 1 - j : j);
        *first = false;
    }
    return DDF_OK;
}

/* Parse, check and evaluate one expression; print its line. Returns DDF_OK (an error of
 * the expression is printed, not returned) or DDF_ENOMEM. */
static int run_one(const dump *d, const char *text, bool filter)
{
    ddf_arena *tree = ddf_arena_new(), *scratch = ddf_arena_new();
    ddf_dtype dtype = DDF_DTYPE_FLOAT64;
    ddf_expr *e = NULL;
    char *buf = NULL; /* the values, from open_memstream (malloc) */
    size_t buflen = 0;
    FILE *mem;
    ddf_error err;
    bool first = true;
    size_t base = 0;
    int rc = DDF_OK;

    ddf_error_init(&err);
    if (!tree || !scratch) {
        rc = DDF_ENOMEM;
        goto out_free_arenas;
    }
    rc = ddf_expr_parse(text, strlen(text), tree, &e, &err);
    if (rc == DDF_OK)
        rc = ddf_expr_check(e, d->schema, &err);
    if (rc < 0) {
        put_error(text, rc, &err);
        rc = rc == DDF_ENOMEM ? rc : DDF_OK;
        goto out_free_arenas;
    }
    /* The values go to a buffer first: an error in a later partition (astype) replaces
     * the whole line. */
    if (!(mem = open_memstream(&buf, &buflen))) {
        rc = DDF_ENOMEM;
        goto out_free_arenas;
    }
    for (size_t p = 0; p < d->nparts && rc == DDF_OK; p++) {
        rc = eval_part(mem, d, e, filter, d->parts[p], base, scratch, &first, &dtype, &err);
        base += d->parts[p]->nrows;
        ddf_arena_reset(scratch);
    }
    fclose(mem);
    if (rc < 0) {
        put_error(text, rc, &err);
        rc = rc == DDF_ENOMEM ? rc : DDF_OK;
    } else {
        fputs("{\"expr\":", stdout);
        dump_put_json_str(stdout, text, strlen(text));
        if (filter) {
            fputs(",\"rows\":[", stdout);
        } else {
            if (e->dtype != DDF_DTYPE_NULL) /* all-null results are float64 columns */
                dtype = e->dtype;
            printf(",\"dtype\":\"%s\",\"values\":[", ddf_dtype_name(dtype));
        }
        fwrite(buf, 1, buflen, stdout);
        fputs("]}\n", stdout);
    }
out_free_arenas:
    free(buf);
    ddf_arena_free(scratch);
    ddf_arena_free(tree);
    return rc;
}

/* Run every "e<TAB>expr" / "f<TAB>expr" line of 'path'. */
static int run_file(const dump *d, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = DDF_OK;

    if (!f) {
        fprintf(stderr, "exprdump: cannot open %s\n", path);
        return DDF_ENOENT;
    }
    while (rc == DDF_OK && (n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n < 2 || line[1] != '\t' || (line[0] != 'e' && line[0] != 'f')) {
            fprintf(stderr, "exprdump: %s: bad line (want e<TAB>expr or f<TAB>expr)\n", path);
            rc = DDF_EINVAL;
            break;
        }
        rc = run_one(d, line + 2, line[0] == 'f');
    }
    free(line); /* getline's buffer comes from malloc */
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {DUMP_LONGOPT_BLOCKSIZE,
                                             DUMP_LONGOPT_DTYPE,
                                             {"exprs", required_argument, NULL, 'x'},
                                             {"filter", no_argument, NULL, 'f'},
                                             {"reverse", no_argument, NULL, 'r'},
                                             DUMP_LONGOPT_HELP,
                                             {NULL, 0, NULL, 0}};
    dump_csv in;
    ddf_error err;
    const char *exprs = NULL;
    bool filter = false, reverse = false;
    int c, rc = DDF_OK, status = 0;

    dump_csv_init(&in, "exprdump", usage);
    /* "+": options end at the file; expressions after it may start with '-'. */
    while ((c = dump_getopt(&in, argc, argv, "+h", longopts)) >= 0) {
        switch (c) {
        case 'x':
            exprs = optarg;
            break;
        case 'f':
            filter = true;
            break;
        case 'r':
            reverse = true;
            break;
        }
    }
    if (c != -1)
        return in.status;
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    rc = dump_csv_read(&in, argv[optind], 2, false, &err);
    if (rc < 0)
        return 1;
    dump d = {in.schema, in.parts, in.nparts, reverse};
    for (int k = optind + 1; k < argc && rc == DDF_OK; k++)
        rc = run_one(&d, argv[k], filter);
    if (rc == DDF_OK && exprs)
        rc = run_file(&d, exprs);
    if (rc < 0) {
        dump_error("exprdump", rc, ddf_strerror(rc));
        status = 1;
    }
    if (fflush(stdout) != 0)
        status = 1;
    dump_csv_fini(&in);
    return status;
}
