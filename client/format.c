/* format.c - the printer: one output, one format, and the order values come out in
 * (see format.h for the formats themselves).
 *
 * The printer buffers output and hands it to the FILE* at the end of every value, so a
 * reader of a pipe sees each value whole and a closed pipe is noticed at the next value.
 * The first failed write is remembered (werrno) and fails every later call.
 *
 * State between calls:
 *   - csv_block_done: csv separates blocks by one blank line, so the next block writes it;
 *   - in_call / call_args / line_open: inside print(...), scalars share a line (table,
 *     csv) or an array (json), and any other value ends the scalars' line first;
 *   - stream: a frame or series printed a table at a time. csv and json write the rows
 *     through; the table format keeps the first DDF_FORMAT_MAX_ROWS + 1 rows and the last
 *     DDF_FORMAT_EDGE_ROWS (ddf_fmt_keep) and renders them at the end as it would a
 *     head/tail view, knowing from every row whether a column held a null. */
#include "format_int.h"

#include "alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int ddf_format_parse(const char *name, ddf_format_kind *out, ddf_error *err)
{
    if (strcmp(name, "table") == 0)
        *out = DDF_FORMAT_TABLE;
    else if (strcmp(name, "csv") == 0)
        *out = DDF_FORMAT_CSV;
    else if (strcmp(name, "json") == 0)
        *out = DDF_FORMAT_JSON;
    else
        return ddf_error_setf(err, DDF_EINVAL, "unknown format '%s' (table, csv or json)", name);
    return DDF_OK;
}

ddf_scalar ddf_scalar_from_column(const ddf_column *col, size_t row)
{
    const char *s;
    size_t len;

    if (!ddf_column_is_valid(col, row))
        return ddf_scalar_null();
    switch (col->dtype) {
    case DDF_DTYPE_BOOL:
        return ddf_scalar_bool(col->values.b8[row] != 0);
    case DDF_DTYPE_INT64:
        return ddf_scalar_i64(col->values.i64[row]);
    case DDF_DTYPE_FLOAT64:
        return ddf_scalar_f64(col->values.f64[row]);
    case DDF_DTYPE_STRING:
        s = ddf_column_str(col, row, &len);
        return ddf_scalar_str(s, len);
    default:
        return ddf_scalar_null();
    }
}

/* ---- output ---- */

static void drain(ddf_printer *p)
{
    if (p->len > 0 && p->werrno == 0) {
        errno = 0;
        if (fwrite(p->buf, 1, p->len, p->out) != p->len)
            p->werrno = errno ? errno : EIO;
    }
    p->len = 0;
}

void ddf_fmt_put(ddf_printer *p, const char *s, size_t n)
{
    while (n > 0 && p->werrno == 0) {
        size_t room = sizeof p->buf - p->len, k = n < room ? n : room;

        memcpy(p->buf + p->len, s, k);
        p->len += k;
        s += k;
        n -= k;
        if (p->len == sizeof p->buf)
            drain(p);
    }
}

void ddf_fmt_puts(ddf_printer *p, const char *s)
{
    ddf_fmt_put(p, s, strlen(s));
}

void ddf_fmt_putc(ddf_printer *p, char c)
{
    ddf_fmt_put(p, &c, 1);
}

void ddf_fmt_spaces(ddf_printer *p, size_t n)
{
    static const char spaces[] = "                                ";

    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;

        ddf_fmt_put(p, spaces, k);
        n -= k;
    }
}

void ddf_fmt_printf(ddf_printer *p, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) /* only short numbers are printed this way */
        ddf_fmt_put(p, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int ddf_fmt_check(const ddf_printer *p, ddf_error *err)
{
    if (p->werrno != 0)
        return ddf_error_setf(err, DDF_EIO, "write error: %s", strerror(p->werrno));
    return DDF_OK;
}

int ddf_fmt_finish(ddf_printer *p, ddf_error *err)
{
    drain(p);
    if (p->werrno == 0) {
        errno = 0;
        if (fflush(p->out) != 0)
            p->werrno = errno ? errno : EIO;
    }
    return ddf_fmt_check(p, err);
}

/* ---- the printer ---- */

ddf_printer *ddf_printer_new(FILE *out, ddf_format_kind kind)
{
    ddf_printer *p = ddf_calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->out = out;
    p->kind = kind;
    return p;
}

static void stream_clear(ddf_printer *p)
{
    for (size_t i = 0; p->names != NULL && i < p->ncols; i++)
        ddf_free(p->names[i]);
    ddf_free(p->names);
    ddf_free(p->dtypes);
    ddf_free(p->series_name);
    ddf_table_free(p->keep.head);
    ddf_table_free(p->keep.tail);
    ddf_free(p->keep.nulls);
    p->names = NULL;
    p->dtypes = NULL;
    p->series_name = NULL;
    memset(&p->keep, 0, sizeof p->keep);
    p->ncols = 0;
    p->stream_rows = 0;
    p->stream = DDF_FMT_STREAM_NONE;
}

void ddf_printer_free(ddf_printer *p)
{
    if (p == NULL)
        return;
    stream_clear(p);
    drain(p);
    ddf_free(p);
}

int ddf_printer_errno(const ddf_printer *p)
{
    return p->werrno;
}

/* ---- the order of values ---- */

/* Before any value: refuse it inside a stream, fail fast after a write error, and end a
 * print(...) line of scalars when a value of another kind follows. */
static int value_begin(ddf_printer *p, bool scalar_in_call, const char *what, ddf_error *err)
{
    int rc = ddf_fmt_check(p, err);

    if (rc < 0)
        return rc;
    if (p->stream != DDF_FMT_STREAM_NONE)
        return ddf_error_setf(err, DDF_EINVAL, "cannot print %s while a %s is streamed", what,
                              p->stream == DDF_FMT_STREAM_FRAME ? "frame" : "series");
    if (p->kind == DDF_FORMAT_JSON) {
        if (p->in_call && p->call_args > 0)
            ddf_fmt_putc(p, ',');
        return DDF_OK;
    }
    if (scalar_in_call && p->line_open) {
        ddf_fmt_putc(p, ' ');
        return DDF_OK;
    }
    if (p->line_open) { /* a table after scalars: the scalars' line ends first */
        ddf_fmt_putc(p, '\n');
        p->line_open = false;
        p->csv_block_done = p->kind == DDF_FORMAT_CSV;
    }
    if (p->kind == DDF_FORMAT_CSV && p->csv_block_done)
        ddf_fmt_putc(p, '\n');
    p->line_open = scalar_in_call;
    return DDF_OK;
}

/* After a value: end its line (the table renderers and json stop short of it; csv
 * writes whole lines), and flush it out unless it is an argument of a print call. A
 * scalar of a print call leaves its line open for the next one. */
static int value_end(ddf_printer *p, bool scalar_in_call, ddf_error *err)
{
    if (p->kind == DDF_FORMAT_TABLE) {
        if (!scalar_in_call)
            ddf_fmt_putc(p, '\n');
    } else if (p->kind == DDF_FORMAT_CSV) {
        if (!scalar_in_call)
            p->csv_block_done = true;
    } else if (!p->in_call) {
        ddf_fmt_putc(p, '\n');
    }
    if (p->in_call) {
        p->call_args++;
        return ddf_fmt_check(p, err);
    }
    return ddf_fmt_finish(p, err);
}

int ddf_print_scalar(ddf_printer *p, const ddf_scalar *value, ddf_error *err)
{
    bool in_line = p->in_call && p->kind != DDF_FORMAT_JSON;
    int rc = value_begin(p, in_line, "a scalar", err);

    if (rc < 0)
        return rc;
    if (p->kind == DDF_FORMAT_JSON)
        ddf_fmt_json_scalar(p, value, p->in_call);
    else if (p->kind == DDF_FORMAT_CSV && !p->in_call)
        ddf_fmt_csv_scalar(p, value);
    else
        ddf_fmt_py_str(p, value);
    return value_end(p, in_line, err);
}

int ddf_print_list(ddf_printer *p, const ddf_scalar *items, size_t n, unsigned flags,
                   ddf_error *err)
{
    int rc = value_begin(p, false, "a list", err);

    if (rc < 0)
        return rc;
    if (p->kind == DDF_FORMAT_JSON)
        ddf_fmt_json_list(p, items, n, p->in_call);
    else if (p->kind == DDF_FORMAT_CSV)
        ddf_fmt_csv_list(p, items, n);
    else if ((rc = ddf_fmt_table_list(p, items, n, flags, err)) < 0)
        return rc;
    return value_end(p, false, err);
}

static bool dtype_printable(ddf_dtype d)
{
    return d == DDF_DTYPE_BOOL || d == DDF_DTYPE_INT64 || d == DDF_DTYPE_FLOAT64 ||
           d == DDF_DTYPE_STRING;
}

/* Check what the view promises (format.h) before any of it is printed. */
static int check_view(const ddf_printer *p, const ddf_frame_view *v, bool series,
                      ddf_error *err)
{
    const ddf_table *t = v->table;

    if (t == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "nothing to print: the view has no table");
    if (v->nkeys > t->ncols || (series && t->ncols != v->nkeys + 1))
        return ddf_error_setf(err, DDF_EINVAL,
                              "a %s of %zu columns cannot have %zu index columns",
                              series ? "series" : "table", t->ncols, v->nkeys);
    for (size_t c = 0; c < t->ncols; c++) {
        if (!dtype_printable(t->columns[c].dtype))
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has no printable dtype",
                                  t->names[c]);
        if (t->columns[c].length != t->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has %zu rows, not %zu",
                                  t->names[c], t->columns[c].length, t->nrows);
    }
    if (v->tail == NULL)
        return DDF_OK;
    if (p->kind != DDF_FORMAT_TABLE)
        return ddf_error_setf(err, DDF_EINVAL,
                              "%s prints every row: stream the frame instead of a head and tail",
                              p->kind == DDF_FORMAT_CSV ? "csv" : "json");
    if (v->tail->ncols != t->ncols)
        return ddf_error_setf(err, DDF_EINVAL, "the tail has %zu columns, the head %zu",
                              v->tail->ncols, t->ncols);
    for (size_t c = 0; c < t->ncols; c++)
        if (v->tail->columns[c].dtype != t->columns[c].dtype ||
            v->tail->columns[c].length != v->tail->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' differs in head and tail",
                                  t->names[c]);
    if (t->nrows < DDF_FORMAT_EDGE_ROWS || v->tail->nrows < DDF_FORMAT_EDGE_ROWS ||
        v->nrows <= DDF_FORMAT_MAX_ROWS)
        return ddf_error_setf(err, DDF_EINVAL,
                              "a head and tail view needs %d rows at each end of over %d "
                              "rows (has %zu + %zu of %llu)",
                              DDF_FORMAT_EDGE_ROWS, DDF_FORMAT_MAX_ROWS, t->nrows,
                              v->tail->nrows, (unsigned long long)v->nrows);
    return DDF_OK;
}

int ddf_print_table(ddf_printer *p, const ddf_frame_view *v, ddf_error *err)
{
    int rc = check_view(p, v, false, err);

    if (rc < 0 || (rc = value_begin(p, false, "a table", err)) < 0)
        return rc;
    if (p->kind == DDF_FORMAT_JSON)
        ddf_fmt_json_table(p, v);
    else if (p->kind == DDF_FORMAT_CSV)
        ddf_fmt_csv_table(p, v);
    else if ((rc = ddf_fmt_table_frame(p, v, NULL, err)) < 0)
        return rc;
    return value_end(p, false, err);
}

int ddf_print_series(ddf_printer *p, const ddf_frame_view *v, const char *name,
                     ddf_error *err)
{
    int rc = check_view(p, v, true, err);

    if (rc < 0 || (rc = value_begin(p, false, "a series", err)) < 0)
        return rc;
    if (p->kind == DDF_FORMAT_JSON)
        ddf_fmt_json_series(p, v, name);
    else if (p->kind == DDF_FORMAT_CSV)
        ddf_fmt_csv_series(p, v, name);
    else if ((rc = ddf_fmt_table_series(p, v, NULL, name, err)) < 0)
        return rc;
    return value_end(p, false, err);
}

/* ---- print(...) ---- */

int ddf_print_call_begin(ddf_printer *p, ddf_error *err)
{
    int rc = ddf_fmt_check(p, err);

    if (rc < 0)
        return rc;
    if (p->in_call || p->stream != DDF_FMT_STREAM_NONE)
        return ddf_error_setf(err, DDF_EINVAL, "print(...) cannot begin inside a %s",
                              p->in_call ? "print call" : "stream");
    p->in_call = true;
    p->call_args = 0;
    p->line_open = false;
    if (p->kind == DDF_FORMAT_JSON)
        ddf_fmt_puts(p, "{\"kind\":\"print\",\"values\":[");
    return DDF_OK;
}

int ddf_print_call_end(ddf_printer *p, ddf_error *err)
{
    int rc = ddf_fmt_check(p, err);

    if (rc < 0)
        return rc;
    if (!p->in_call || p->stream != DDF_FMT_STREAM_NONE)
        return ddf_error_setf(err, DDF_EINVAL, "print(...) ends %s",
                              p->in_call ? "inside a stream" : "without beginning");
    if (p->kind == DDF_FORMAT_JSON) {
        ddf_fmt_puts(p, "]}\n");
    } else if (p->line_open || p->call_args == 0) {
        if (!p->line_open && p->kind == DDF_FORMAT_CSV && p->csv_block_done)
            ddf_fmt_putc(p, '\n'); /* print() alone: an empty line, a block of its own */
        ddf_fmt_putc(p, '\n');
        p->csv_block_done = p->kind == DDF_FORMAT_CSV;
    }
    p->in_call = false;
    p->line_open = false;
    p->call_args = 0;
    return ddf_fmt_finish(p, err);
}

/* ---- streams ---- */

/* An empty table with the stream's columns, for the table format's kept rows. */
static ddf_table *keep_table(const ddf_printer *p)
{
    ddf_table *t = ddf_table_new(p->ncols);

    if (t == NULL)
        return NULL;
    for (size_t c = 0; c < p->ncols; c++) {
        const char *name = p->names ? p->names[c] : "";

        if (ddf_table_set_column(t, c, name, strlen(name), p->dtypes[c]) < 0) {
            ddf_table_free(t);
            return NULL;
        }
    }
    return t;
}

/* Append rows [from, to) of 'src' to 'dst': every column, or only column 'col' of 'src'
 * when the stream is a series. */
static int keep_append(const ddf_printer *p, ddf_table *dst, const ddf_table *src, size_t col,
                       size_t from, size_t to)
{
    for (size_t c = 0; c < dst->ncols; c++) {
        const ddf_column *s = &src->columns[p->stream == DDF_FMT_STREAM_SERIES ? col : c];

        for (size_t r = from; r < to; r++)
            if (ddf_column_append_from(&dst->columns[c], dst->arena, s, r) < 0)
                return DDF_ENOMEM;
    }
    dst->nrows += to - from;
    return DDF_OK;
}

/* Keep what the table format will print of 't': rows until the head is full, and the
 * last DDF_FORMAT_EDGE_ROWS rows of everything so far as the tail. */
static int keep_rows(ddf_printer *p, const ddf_table *t, size_t col)
{
    ddf_fmt_keep *k = &p->keep;
    size_t head_room = DDF_FORMAT_MAX_ROWS + 1 - k->head->nrows;
    size_t n = t->nrows, from_old, old_n = k->tail->nrows;
    ddf_table *tail;

    if (head_room > 0 && keep_append(p, k->head, t, col, 0, n < head_room ? n : head_room) < 0)
        return DDF_ENOMEM;
    /* the new tail: the old tail's last rows, then this table's */
    from_old = n >= DDF_FORMAT_EDGE_ROWS ? old_n
               : old_n > DDF_FORMAT_EDGE_ROWS - n ? old_n - (DDF_FORMAT_EDGE_ROWS - n)
                                                  : 0;
    tail = keep_table(p);
    if (tail == NULL || keep_append(p, tail, k->tail, 0, from_old, old_n) < 0 ||
        keep_append(p, tail, t, col, n > DDF_FORMAT_EDGE_ROWS ? n - DDF_FORMAT_EDGE_ROWS : 0,
                    n) < 0) {
        ddf_table_free(tail);
        return DDF_ENOMEM;
    }
    ddf_table_free(k->tail);
    k->tail = tail;
    for (size_t c = 0; c < p->ncols; c++)
        k->nulls[c] |= t->columns[p->stream == DDF_FMT_STREAM_SERIES ? col : c].null_count > 0;
    return DDF_OK;
}

/* Start a stream of 'ncols' columns: copy names and dtypes, set up what the format needs
 * (the kept rows, or the csv header and json opening). */
static int stream_begin(ddf_printer *p, ddf_fmt_stream kind, const ddf_schema *schema,
                        const char *name, ddf_dtype dtype, int64_t start, ddf_error *err)
{
    size_t ncols = schema ? schema->ncols : 1;
    int rc = value_begin(p, false, kind == DDF_FMT_STREAM_FRAME ? "a frame" : "a series", err);

    if (rc < 0)
        return rc;
    p->stream = kind;
    p->ncols = ncols;
    p->start = start;
    p->dtypes = ddf_calloc(ncols ? ncols : 1, sizeof(ddf_dtype));
    if (p->dtypes == NULL)
        goto nomem;
    if (schema != NULL) {
        p->names = ddf_calloc(ncols ? ncols : 1, sizeof(char *));
        if (p->names == NULL)
            goto nomem;
        for (size_t c = 0; c < ncols; c++) {
            p->dtypes[c] = ddf_schema_storage_dtype(schema, c);
            p->names[c] = ddf_strdup(schema->fields[c].name);
            if (p->names[c] == NULL)
                goto nomem;
        }
    } else {
        p->dtypes[0] = dtype;
        if (name != NULL && (p->series_name = ddf_strdup(name)) == NULL)
            goto nomem;
    }
    for (size_t c = 0; c < ncols; c++)
        if (!dtype_printable(p->dtypes[c])) {
            rc = ddf_error_setf(err, DDF_EINVAL, "no printable dtype for stream column %zu", c);
            goto fail;
        }
    if (p->kind == DDF_FORMAT_TABLE) {
        p->keep.head = keep_table(p);
        p->keep.tail = keep_table(p);
        p->keep.nulls = ddf_calloc(ncols ? ncols : 1, sizeof(bool));
        if (p->keep.head == NULL || p->keep.tail == NULL || p->keep.nulls == NULL)
            goto nomem;
    } else if (p->kind == DDF_FORMAT_CSV) {
        ddf_fmt_csv_stream_header(p);
    } else {
        ddf_fmt_json_stream_begin(p);
    }
    return ddf_fmt_check(p, err);
nomem:
    rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory starting to print a %s",
                        kind == DDF_FMT_STREAM_FRAME ? "frame" : "series");
fail:
    stream_clear(p);
    return rc;
}

int ddf_print_frame_begin(ddf_printer *p, const ddf_schema *schema, ddf_error *err)
{
    return stream_begin(p, DDF_FMT_STREAM_FRAME, schema, NULL, DDF_DTYPE_NULL, 0, err);
}

int ddf_print_series_begin(ddf_printer *p, const char *name, ddf_dtype dtype, int64_t start,
                           ddf_error *err)
{
    return stream_begin(p, DDF_FMT_STREAM_SERIES, NULL, name, dtype, start, err);
}

/* One table of a stream: check it against the stream's columns, then write or keep it. */
static int stream_rows(ddf_printer *p, ddf_fmt_stream kind, const ddf_table *t, size_t col,
                       ddf_error *err)
{
    int rc = ddf_fmt_check(p, err);

    if (rc < 0)
        return rc;
    if (p->stream != kind)
        return ddf_error_setf(err, DDF_EINVAL, "no %s is being printed",
                              kind == DDF_FMT_STREAM_FRAME ? "frame" : "series");
    if (kind == DDF_FMT_STREAM_FRAME && t->ncols != p->ncols)
        return ddf_error_setf(err, DDF_EINVAL, "rows of %zu columns for a frame of %zu",
                              t->ncols, p->ncols);
    if (kind == DDF_FMT_STREAM_SERIES && col >= t->ncols)
        return ddf_error_setf(err, DDF_EINVAL, "no column %zu in a table of %zu", col,
                              t->ncols);
    for (size_t c = 0; c < p->ncols; c++) {
        const ddf_column *tc = &t->columns[kind == DDF_FMT_STREAM_SERIES ? col : c];

        if (tc->dtype != p->dtypes[c] || tc->length != t->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' is %s with %zu rows, not %s "
                                  "with %zu", t->names[kind == DDF_FMT_STREAM_SERIES ? col : c],
                                  ddf_dtype_name(tc->dtype), tc->length,
                                  ddf_dtype_name(p->dtypes[c]), t->nrows);
    }
    if (p->kind == DDF_FORMAT_TABLE) {
        if (keep_rows(p, t, col) < 0)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory keeping rows to print");
    } else if (p->kind == DDF_FORMAT_CSV) {
        ddf_fmt_csv_stream_rows(p, t, col);
    } else {
        ddf_fmt_json_stream_rows(p, t, col);
    }
    p->stream_rows += t->nrows;
    return ddf_fmt_check(p, err);
}

int ddf_print_frame_rows(ddf_printer *p, const ddf_table *rows, ddf_error *err)
{
    return stream_rows(p, DDF_FMT_STREAM_FRAME, rows, 0, err);
}

int ddf_print_series_rows(ddf_printer *p, const ddf_table *rows, size_t col, ddf_error *err)
{
    return stream_rows(p, DDF_FMT_STREAM_SERIES, rows, col, err);
}

/* Finish a stream: the table format renders what it kept, csv and json close. The stream
 * is over whatever happens. */
static int stream_end(ddf_printer *p, ddf_fmt_stream kind, ddf_error *err)
{
    int rc = ddf_fmt_check(p, err);

    if (rc < 0) {
        stream_clear(p);
        return rc;
    }
    if (p->stream != kind)
        return ddf_error_setf(err, DDF_EINVAL, "no %s is being printed",
                              kind == DDF_FMT_STREAM_FRAME ? "frame" : "series");
    if (p->kind == DDF_FORMAT_TABLE) {
        ddf_frame_view v = {.table = p->keep.head, .start = p->start};

        if (p->stream_rows > DDF_FORMAT_MAX_ROWS) {
            v.tail = p->keep.tail;
            v.nrows = p->stream_rows;
        }
        rc = kind == DDF_FMT_STREAM_FRAME
                 ? ddf_fmt_table_frame(p, &v, p->keep.nulls, err)
                 : ddf_fmt_table_series(p, &v, p->keep.nulls, p->series_name, err);
    } else if (p->kind == DDF_FORMAT_JSON) {
        ddf_fmt_json_stream_end(p);
    }
    stream_clear(p);
    if (rc < 0)
        return rc;
    return value_end(p, false, err);
}

int ddf_print_frame_end(ddf_printer *p, ddf_error *err)
{
    return stream_end(p, DDF_FMT_STREAM_FRAME, err);
}

int ddf_print_series_end(ddf_printer *p, ddf_error *err)
{
    return stream_end(p, DDF_FMT_STREAM_SERIES, err);
}

const char *ddf_fmt_hidden_key_name(size_t k, size_t nkeys, char buf[32])
{
    if (nkeys == 1)
        return "index";
    snprintf(buf, 32, "level_%zu", k);
    return buf;
}

ddf_format_kind ddf_printer_kind(const ddf_printer *p)
{
    return p->kind;
}
