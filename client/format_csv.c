/* format_csv.c - the csv format: every printed value is a CSV block (format.h).
 *
 * Fields are written as Python's csv module writes them with QUOTE_MINIMAL, which is what
 * pandas' to_csv uses: a field is quoted when it holds the separator, the quote character,
 * CR or LF, and quotes inside are doubled; a row of one empty field is written `""` so
 * that it is not a blank line (a blank line ends a block here). Lines end in LF, as
 * to_csv's on Linux. Values: nulls and NaN empty, ints in decimal, floats as Python's
 * repr (what to_csv writes: numpy's str of a float64 has the same digits and layout),
 * bools True/False.
 *
 * Key columns are leading columns, named as the keys (hidden names: index, level_k); a
 * range index is not written for a frame (to_csv(index=False)) but is for a series,
 * whose columns are the index (`index` when unnamed) and the values (`0` when the series
 * is unnamed, as reset_index() names it). */
#include "format_int.h"

#include <math.h>
#include <string.h>

/* One field; 'alone' when it is the only field of its row. */
static void field(ddf_printer *p, const char *s, size_t len, bool alone)
{
    bool quote = len == 0 ? alone : false;

    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        ddf_fmt_put(p, s, len);
        return;
    }
    ddf_fmt_putc(p, '"');
    for (const char *q; len > 0 && (q = memchr(s, '"', len)) != NULL;) {
        size_t k = (size_t)(q - s) + 1; /* through the quote, which is then doubled */

        ddf_fmt_put(p, s, k);
        ddf_fmt_putc(p, '"');
        s += k;
        len -= k;
    }
    ddf_fmt_put(p, s, len);
    ddf_fmt_putc(p, '"');
}

static void scalar_field(ddf_printer *p, const ddf_scalar *v, bool alone)
{
    char buf[DDF_FMT_REPR_BYTES];

    switch (v->dtype) {
    case DDF_DTYPE_NULL:
        field(p, "", 0, alone);
        break;
    case DDF_DTYPE_BOOL:
        ddf_fmt_puts(p, v->v.b ? "True" : "False");
        break;
    case DDF_DTYPE_INT64:
        ddf_fmt_printf(p, "%lld", (long long)v->v.i64);
        break;
    case DDF_DTYPE_FLOAT64:
        if (isnan(v->v.f64))
            field(p, "", 0, alone);
        else
            ddf_fmt_put(p, buf, ddf_fmt_repr_double(v->v.f64, buf));
        break;
    case DDF_DTYPE_STRING:
        field(p, v->v.str.ptr, v->v.str.len, alone);
        break;
    }
}

static void cell(ddf_printer *p, const ddf_column *col, size_t row, bool alone)
{
    ddf_scalar v = ddf_scalar_from_column(col, row);

    scalar_field(p, &v, alone);
}

void ddf_fmt_csv_scalar(ddf_printer *p, const ddf_scalar *v)
{
    scalar_field(p, v, true);
    ddf_fmt_putc(p, '\n');
}

void ddf_fmt_csv_list(ddf_printer *p, const ddf_scalar *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scalar_field(p, &items[i], true);
        ddf_fmt_putc(p, '\n');
    }
}

/* The header name of column 'c' of a view: key columns with hidden names get pandas'. */
static void key_header(ddf_printer *p, const ddf_frame_view *v, size_t c, bool alone)
{
    char buf[32];
    const char *name = c < v->nkeys && v->hide_key_names
                           ? ddf_fmt_hidden_key_name(c, v->nkeys, buf)
                           : v->table->names[c];

    field(p, name, strlen(name), alone);
}

void ddf_fmt_csv_table(ddf_printer *p, const ddf_frame_view *v)
{
    const ddf_table *t = v->table;
    bool alone = t->ncols == 1;

    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            ddf_fmt_putc(p, ',');
        key_header(p, v, c, alone);
    }
    ddf_fmt_putc(p, '\n');
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                ddf_fmt_putc(p, ',');
            cell(p, &t->columns[c], r, alone);
        }
        ddf_fmt_putc(p, '\n');
    }
}

static void values_header(ddf_printer *p, const char *name)
{
    if (name != NULL)
        field(p, name, strlen(name), false);
    else
        ddf_fmt_putc(p, '0');
    ddf_fmt_putc(p, '\n');
}

void ddf_fmt_csv_series(ddf_printer *p, const ddf_frame_view *v, const char *name)
{
    const ddf_table *t = v->table;

    if (v->nkeys == 0)
        ddf_fmt_puts(p, "index");
    for (size_t c = 0; c < v->nkeys; c++) {
        if (c)
            ddf_fmt_putc(p, ',');
        key_header(p, v, c, false);
    }
    ddf_fmt_putc(p, ',');
    values_header(p, name);
    for (size_t r = 0; r < t->nrows; r++) {
        if (v->nkeys == 0)
            ddf_fmt_printf(p, "%lld,", (long long)(v->start + (int64_t)r));
        for (size_t c = 0; c <= v->nkeys; c++) {
            if (c)
                ddf_fmt_putc(p, ',');
            cell(p, &t->columns[c], r, false);
        }
        ddf_fmt_putc(p, '\n');
    }
}

void ddf_fmt_csv_stream_header(ddf_printer *p)
{
    if (p->stream == DDF_FMT_STREAM_SERIES) {
        ddf_fmt_puts(p, "index,");
        values_header(p, p->series_name);
        return;
    }
    for (size_t c = 0; c < p->ncols; c++) {
        if (c)
            ddf_fmt_putc(p, ',');
        field(p, p->names[c], strlen(p->names[c]), p->ncols == 1);
    }
    ddf_fmt_putc(p, '\n');
}

void ddf_fmt_csv_stream_rows(ddf_printer *p, const ddf_table *t, size_t col)
{
    for (size_t r = 0; r < t->nrows && p->werrno == 0; r++) {
        if (p->stream == DDF_FMT_STREAM_SERIES) {
            ddf_fmt_printf(p, "%lld,", (long long)(p->start + (int64_t)(p->stream_rows + r)));
            cell(p, &t->columns[col], r, false);
        } else {
            for (size_t c = 0; c < t->ncols; c++) {
                if (c)
                    ddf_fmt_putc(p, ',');
                cell(p, &t->columns[c], r, t->ncols == 1);
            }
        }
        ddf_fmt_putc(p, '\n');
    }
}
