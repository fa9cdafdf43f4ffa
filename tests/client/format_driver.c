/* format_driver.c - prints values described on stdin with the printer (client/format.h),
 * for format_vs_pandas.py to compare with what pandas prints for the same values.
 *
 * Input, one record after another (tokens separated by single spaces):
 *   scalar <dtype> <value>
 *   list <flags> <n>            then n lines: item <dtype> <value>
 *   table <mode> <series> <nkeys> <start> <hide> <name> <ncols> <nrows>
 *                               then ncols lines: col <dtype> <hex name>
 *                               then nrows lines: r <value> ... (one per column)
 * where dtype is null|bool|int64|float64|string, a value is "." (null), T/F, a decimal
 * int, a float as C99 hex (or inf, -inf, nan), or a string as x<hex bytes>; name is "-"
 * for none or x<hex>. mode says how the table reaches the printer: "full" (one view),
 * "headtail" (the first and last DDF_FORMAT_EDGE_ROWS + 2 rows and the count) or
 * "stream" (ddf_print_frame_begin / ddf_print_series_begin and tables of 1..7 rows).
 * Each record's output is followed by a line "----8<----". Usage: format_driver
 * [table|csv|json] < cases; exits 1 with a message on bad input or a printer error. */
#include "format.h"

#include "alloc.h"
#include "schema.h"
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "----8<----\n"
#define MAX_LINE (1 << 20)

static char *line;
static unsigned long lineno;

static void die(const char *what)
{
    fprintf(stderr, "format_driver: line %lu: %s\n", lineno, what);
    exit(1);
}

static char *next_line(void)
{
    if (fgets(line, MAX_LINE, stdin) == NULL)
        return NULL;
    lineno++;
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* Decode x<hex> in place; returns the byte count. */
static size_t unhex(char *tok)
{
    size_t n = 0;

    if (tok[0] != 'x')
        die("a string must be x<hex>");
    for (const char *h = tok + 1; h[0] && h[1]; h += 2) {
        char b[3] = {h[0], h[1], 0};

        tok[n++] = (char)strtol(b, NULL, 16);
    }
    tok[n] = '\0';
    return n;
}

static ddf_dtype parse_dtype(const char *s)
{
    static const char *const names[] = {"null", "bool", "int64", "float64", "string"};

    for (int d = 0; d < 5; d++)
        if (strcmp(s, names[d]) == 0)
            return (ddf_dtype)d;
    die("unknown dtype");
    return DDF_DTYPE_NULL;
}

/* A scalar from a token; strings are decoded in place and borrowed. */
static ddf_scalar parse_value(ddf_dtype dtype, char *tok)
{
    if (strcmp(tok, ".") == 0 || dtype == DDF_DTYPE_NULL)
        return ddf_scalar_null();
    switch (dtype) {
    case DDF_DTYPE_BOOL:
        return ddf_scalar_bool(tok[0] == 'T');
    case DDF_DTYPE_INT64:
        return ddf_scalar_i64(strtoll(tok, NULL, 10));
    case DDF_DTYPE_FLOAT64:
        return ddf_scalar_f64(strtod(tok, NULL));
    default: {
        size_t n = unhex(tok);
        return ddf_scalar_str(tok, n);
    }
    }
}

static void append(ddf_table *t, size_t c, const ddf_scalar *v)
{
    ddf_column *col = &t->columns[c];
    int rc;

    switch (v->dtype) {
    case DDF_DTYPE_NULL:
        rc = ddf_column_append_null(col, t->arena);
        break;
    case DDF_DTYPE_BOOL:
        rc = ddf_column_append_bool(col, t->arena, v->v.b);
        break;
    case DDF_DTYPE_INT64:
        rc = ddf_column_append_i64(col, t->arena, v->v.i64);
        break;
    case DDF_DTYPE_FLOAT64:
        rc = ddf_column_append_f64(col, t->arena, v->v.f64);
        break;
    default:
        rc = ddf_column_append_str(col, t->arena, v->v.str.ptr, v->v.str.len);
    }
    if (rc < 0)
        die("out of memory");
}

/* Rows [from, to) of 't' as a table of their own. */
static ddf_table *slice(const ddf_table *t, size_t from, size_t to)
{
    ddf_table *s = ddf_table_new(t->ncols);

    if (s == NULL)
        die("out of memory");
    for (size_t c = 0; c < t->ncols; c++) {
        if (ddf_table_set_column(s, c, t->names[c], strlen(t->names[c]),
                                 t->columns[c].dtype) < 0)
            die("out of memory");
        for (size_t r = from; r < to; r++)
            if (ddf_column_append_from(&s->columns[c], s->arena, &t->columns[c], r) < 0)
                die("out of memory");
    }
    s->nrows = to - from;
    return s;
}

static void check(int rc, const ddf_error *err)
{
    if (rc < 0) {
        fprintf(stderr, "format_driver: line %lu: %s\n", lineno, err->msg);
        exit(1);
    }
}

static void run_table(ddf_printer *p, char *args)
{
    char mode[16], name[4096];
    int series, hide;
    size_t nkeys, ncols, nrows;
    long long start;
    ddf_table *t;
    ddf_error err;
    ddf_frame_view v = {0};
    char *nm = NULL;

    ddf_error_init(&err);
    if (sscanf(args, "%15s %d %zu %lld %d %4095s %zu %zu", mode, &series, &nkeys, &start,
               &hide, name, &ncols, &nrows) != 8)
        die("bad table line");
    if (strcmp(name, "-") != 0) {
        unhex(name);
        nm = name;
    }
    t = ddf_table_new(ncols);
    if (t == NULL)
        die("out of memory");
    for (size_t c = 0; c < ncols; c++) {
        char *s = next_line(), *dt, *hex, *save;

        if (s == NULL || strncmp(s, "col ", 4) != 0)
            die("expected col");
        dt = strtok_r(s + 4, " ", &save);
        hex = strtok_r(NULL, " ", &save);
        if (dt == NULL)
            die("bad col");
        if (hex == NULL)
            hex = (char[]){"x"};
        size_t n = unhex(hex);
        if (ddf_table_set_column(t, c, hex, n, parse_dtype(dt)) < 0)
            die("out of memory");
    }
    for (size_t r = 0; r < nrows; r++) {
        char *s = next_line(), *save = NULL, *tok;

        if (s == NULL || strncmp(s, "r", 1) != 0)
            die("expected r");
        tok = strtok_r(s + 1, " ", &save);
        for (size_t c = 0; c < ncols; c++, tok = strtok_r(NULL, " ", &save)) {
            ddf_scalar val;

            if (tok == NULL)
                die("short row");
            val = parse_value(t->columns[c].dtype, tok);
            append(t, c, &val);
        }
    }
    t->nrows = nrows;
    v.nkeys = nkeys;
    v.start = start;
    v.hide_key_names = hide != 0;
    if (strcmp(mode, "full") == 0) {
        v.table = t;
        check(series ? ddf_print_series(p, &v, nm, &err) : ddf_print_table(p, &v, &err), &err);
    } else if (strcmp(mode, "headtail") == 0) {
        size_t k = DDF_FORMAT_EDGE_ROWS + 2;
        ddf_table *head = slice(t, 0, k), *tail = slice(t, nrows - k, nrows);

        v.table = head;
        v.tail = tail;
        v.nrows = nrows;
        check(series ? ddf_print_series(p, &v, nm, &err) : ddf_print_table(p, &v, &err), &err);
        ddf_table_free(head);
        ddf_table_free(tail);
    } else if (strcmp(mode, "stream") == 0) {
        ddf_schema *schema = ddf_schema_new();
        unsigned seed = (unsigned)nrows * 2654435761u;

        if (schema == NULL)
            die("out of memory");
        for (size_t c = 0; c < ncols; c++)
            if (ddf_schema_add(schema, t->names[c], strlen(t->names[c]), t->columns[c].dtype,
                               0) < 0)
                die("out of memory");
        if (series)
            check(ddf_print_series_begin(p, nm, t->columns[0].dtype, start, &err), &err);
        else
            check(ddf_print_frame_begin(p, schema, &err), &err);
        for (size_t r = 0; r < nrows || r == 0;) {
            size_t n = 1 + (seed = seed * 1103515245u + 12345u) / 65536 % 7;
            ddf_table *part;

            if (r + n > nrows)
                n = nrows - r;
            part = slice(t, r, r + n);
            check(series ? ddf_print_series_rows(p, part, 0, &err)
                         : ddf_print_frame_rows(p, part, &err), &err);
            ddf_table_free(part);
            r += n;
            if (nrows == 0)
                break;
        }
        check(series ? ddf_print_series_end(p, &err) : ddf_print_frame_end(p, &err), &err);
        ddf_schema_free(schema);
    } else {
        die("unknown mode");
    }
    ddf_table_free(t);
}

int main(int argc, char **argv)
{
    ddf_format_kind kind = DDF_FORMAT_TABLE;
    ddf_printer *p;
    ddf_error err;
    char *s;

    ddf_error_init(&err);
    if (argc > 1 && ddf_format_parse(argv[1], &kind, &err) < 0)
        die(err.msg);
    line = malloc(MAX_LINE);
    p = ddf_printer_new(stdout, kind);
    if (line == NULL || p == NULL)
        die("out of memory");
    while ((s = next_line()) != NULL) {
        if (strncmp(s, "scalar ", 7) == 0) {
            char *save, *dt = strtok_r(s + 7, " ", &save), *tok = strtok_r(NULL, " ", &save);
            ddf_scalar v;

            if (dt == NULL || tok == NULL)
                die("bad scalar");
            v = parse_value(parse_dtype(dt), tok);
            check(ddf_print_scalar(p, &v, &err), &err);
        } else if (strncmp(s, "list ", 5) == 0) {
            unsigned flags;
            size_t n;
            ddf_scalar *items;
            char **bufs;

            if (sscanf(s + 5, "%u %zu", &flags, &n) != 2)
                die("bad list");
            items = calloc(n + 1, sizeof *items);
            bufs = calloc(n + 1, sizeof *bufs);
            if (items == NULL || bufs == NULL)
                die("out of memory");
            for (size_t i = 0; i < n; i++) {
                char *it = next_line(), *save, *dt, *tok;

                if (it == NULL || strncmp(it, "item ", 5) != 0)
                    die("expected item");
                bufs[i] = strdup(it + 5);
                if (bufs[i] == NULL)
                    die("out of memory");
                dt = strtok_r(bufs[i], " ", &save);
                tok = strtok_r(NULL, " ", &save);
                if (dt == NULL || tok == NULL)
                    die("bad item");
                items[i] = parse_value(parse_dtype(dt), tok);
            }
            check(ddf_print_list(p, items, n, flags, &err), &err);
            for (size_t i = 0; i < n; i++)
                free(bufs[i]);
            free(bufs);
            free(items);
        } else if (strncmp(s, "table ", 6) == 0) {
            run_table(p, s + 6);
        } else {
            die("unknown record");
        }
        fputs(SEP, stdout);
    }
    ddf_printer_free(p);
    free(line);
    return 0;
}
