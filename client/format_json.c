/* format_json.c - the json format: one JSON object per printed value, one per line
 * (format.h lists the objects).
 *
 * Values: null for nulls, NaN and +-inf (JSON has no number for them); ints in decimal;
 * floats as Python's json.dumps writes them, which is float.__repr__: the shortest
 * digits that read back to the same double (3.0, 0.1, 1e+20, 5e-324); true/false.
 * Strings follow RFC 8259 as json.dumps(ensure_ascii=False) escapes them: \" \\ \b \f
 * \n \r \t, other control characters \u00XX, everything else as it is - except bytes
 * that are not valid UTF-8, each written \ufffd so that the line stays valid JSON.
 *
 * Key columns are table columns like the others (hidden names: index, level_k); a series'
 * index is its labels: range positions, a key's values, or arrays of several keys'. */
#include "format_int.h"

#include <math.h>
#include <string.h>

void ddf_fmt_json_string(ddf_printer *p, const char *s, size_t len)
{
    size_t run = 0; /* bytes before i that need no escape, written in one go */

    ddf_fmt_putc(p, '"');
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t n;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        if (c >= 0x80 && (n = ddf_fmt_utf8_next(s + i, len - i, &cp)) > 0) {
            i += n;
            run += n;
            continue;
        }
        ddf_fmt_put(p, s + i - run, run);
        run = 0;
        switch (c) {
        case '"':
            ddf_fmt_puts(p, "\\\"");
            break;
        case '\\':
            ddf_fmt_puts(p, "\\\\");
            break;
        case '\b':
            ddf_fmt_puts(p, "\\b");
            break;
        case '\f':
            ddf_fmt_puts(p, "\\f");
            break;
        case '\n':
            ddf_fmt_puts(p, "\\n");
            break;
        case '\r':
            ddf_fmt_puts(p, "\\r");
            break;
        case '\t':
            ddf_fmt_puts(p, "\\t");
            break;
        default:
            if (c < 0x20)
                ddf_fmt_printf(p, "\\u%04x", c);
            else
                ddf_fmt_puts(p, "\\ufffd"); /* a byte of invalid UTF-8 */
        }
        i++;
    }
    ddf_fmt_put(p, s + len - run, run);
    ddf_fmt_putc(p, '"');
}

static void value(ddf_printer *p, const ddf_scalar *v)
{
    char buf[DDF_FMT_REPR_BYTES];

    switch (v->dtype) {
    case DDF_DTYPE_NULL:
        ddf_fmt_puts(p, "null");
        break;
    case DDF_DTYPE_BOOL:
        ddf_fmt_puts(p, v->v.b ? "true" : "false");
        break;
    case DDF_DTYPE_INT64:
        ddf_fmt_printf(p, "%lld", (long long)v->v.i64);
        break;
    case DDF_DTYPE_FLOAT64:
        if (isfinite(v->v.f64))
            ddf_fmt_put(p, buf, ddf_fmt_repr_double(v->v.f64, buf));
        else
            ddf_fmt_puts(p, "null");
        break;
    case DDF_DTYPE_STRING:
        ddf_fmt_json_string(p, v->v.str.ptr, v->v.str.len);
        break;
    }
}

static void cell(ddf_printer *p, const ddf_column *col, size_t row)
{
    ddf_scalar v = ddf_scalar_from_column(col, row);

    value(p, &v);
}

void ddf_fmt_json_scalar(ddf_printer *p, const ddf_scalar *v, bool bare)
{
    if (!bare)
        ddf_fmt_puts(p, "{\"kind\":\"scalar\",\"value\":");
    value(p, v);
    if (!bare)
        ddf_fmt_putc(p, '}');
}

void ddf_fmt_json_list(ddf_printer *p, const ddf_scalar *items, size_t n, bool bare)
{
    if (!bare)
        ddf_fmt_puts(p, "{\"kind\":\"list\",\"values\":");
    ddf_fmt_putc(p, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            ddf_fmt_putc(p, ',');
        value(p, &items[i]);
    }
    ddf_fmt_putc(p, ']');
    if (!bare)
        ddf_fmt_putc(p, '}');
}

/* "columns":[...],"dtypes":[...] of 'ncols' names and dtypes. */
static void columns_and_dtypes(ddf_printer *p, size_t ncols, const char *const *names,
                               const ddf_dtype *dtypes, const ddf_table *t, size_t nkeys,
                               bool hide)
{
    ddf_fmt_puts(p, "\"columns\":[");
    for (size_t c = 0; c < ncols; c++) {
        char buf[32];
        const char *name = c < nkeys && hide ? ddf_fmt_hidden_key_name(c, nkeys, buf)
                                             : names[c];

        if (c)
            ddf_fmt_putc(p, ',');
        ddf_fmt_json_string(p, name, strlen(name));
    }
    ddf_fmt_puts(p, "],\"dtypes\":[");
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            ddf_fmt_putc(p, ',');
        ddf_fmt_printf(p, "\"%s\"", ddf_dtype_name(t ? t->columns[c].dtype : dtypes[c]));
    }
    ddf_fmt_putc(p, ']');
}

/* Row 'r' of 't' as an array. */
static void row(ddf_printer *p, const ddf_table *t, size_t r)
{
    ddf_fmt_putc(p, '[');
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            ddf_fmt_putc(p, ',');
        cell(p, &t->columns[c], r);
    }
    ddf_fmt_putc(p, ']');
}

void ddf_fmt_json_table(ddf_printer *p, const ddf_frame_view *v)
{
    const ddf_table *t = v->table;

    ddf_fmt_puts(p, "{\"kind\":\"table\",");
    columns_and_dtypes(p, t->ncols, (const char *const *)t->names, NULL, t, v->nkeys,
                       v->hide_key_names);
    ddf_fmt_puts(p, ",\"data\":[");
    for (size_t r = 0; r < t->nrows; r++) {
        if (r)
            ddf_fmt_putc(p, ',');
        row(p, t, r);
    }
    ddf_fmt_puts(p, "]}");
}

static void series_name(ddf_printer *p, const char *name)
{
    ddf_fmt_puts(p, "{\"kind\":\"series\",\"name\":");
    if (name != NULL)
        ddf_fmt_json_string(p, name, strlen(name));
    else
        ddf_fmt_puts(p, "null");
}

static void range_index(ddf_printer *p, int64_t start, uint64_t n)
{
    for (uint64_t i = 0; i < n && p->werrno == 0; i++)
        ddf_fmt_printf(p, i ? ",%lld" : "%lld", (long long)(start + (int64_t)i));
}

void ddf_fmt_json_series(ddf_printer *p, const ddf_frame_view *v, const char *name)
{
    const ddf_table *t = v->table;

    series_name(p, name);
    ddf_fmt_puts(p, ",\"index\":[");
    if (v->nkeys == 0)
        range_index(p, v->start, t->nrows);
    for (size_t r = 0; v->nkeys > 0 && r < t->nrows; r++) {
        if (r)
            ddf_fmt_putc(p, ',');
        if (v->nkeys > 1)
            ddf_fmt_putc(p, '[');
        for (size_t c = 0; c < v->nkeys; c++) {
            if (c)
                ddf_fmt_putc(p, ',');
            cell(p, &t->columns[c], r);
        }
        if (v->nkeys > 1)
            ddf_fmt_putc(p, ']');
    }
    ddf_fmt_puts(p, "],\"values\":[");
    for (size_t r = 0; r < t->nrows; r++) {
        if (r)
            ddf_fmt_putc(p, ',');
        cell(p, &t->columns[v->nkeys], r);
    }
    ddf_fmt_puts(p, "]}");
}

void ddf_fmt_json_stream_begin(ddf_printer *p)
{
    if (p->stream == DDF_FMT_STREAM_SERIES) {
        series_name(p, p->series_name);
        ddf_fmt_puts(p, ",\"values\":[");
        return;
    }
    ddf_fmt_puts(p, "{\"kind\":\"table\",");
    columns_and_dtypes(p, p->ncols, (const char *const *)p->names, p->dtypes, NULL, 0, false);
    ddf_fmt_puts(p, ",\"data\":[");
}

void ddf_fmt_json_stream_rows(ddf_printer *p, const ddf_table *t, size_t col)
{
    for (size_t r = 0; r < t->nrows && p->werrno == 0; r++) {
        if (p->stream_rows + r > 0)
            ddf_fmt_putc(p, ',');
        if (p->stream == DDF_FMT_STREAM_SERIES)
            cell(p, &t->columns[col], r);
        else
            row(p, t, r);
    }
}

void ddf_fmt_json_stream_end(ddf_printer *p)
{
    if (p->stream == DDF_FMT_STREAM_SERIES) {
        ddf_fmt_puts(p, "],\"index\":[");
        range_index(p, p->start, p->stream_rows);
    }
    ddf_fmt_puts(p, "]}");
}
