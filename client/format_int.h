/* format_int.h - what the printer's files share (format.c, format_table.c, format_csv.c,
 * format_json.c, format_repr.c): the printer itself, its output buffer, and the text
 * helpers more than one format needs. Not part of libddf's interface. */
#ifndef DDF_FORMAT_INT_H
#define DDF_FORMAT_INT_H

#include "format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DDF_FMT_BUF_BYTES 16384 /* output buffered before one fwrite */

typedef enum ddf_fmt_stream {
    DDF_FMT_STREAM_NONE = 0,
    DDF_FMT_STREAM_FRAME,
    DDF_FMT_STREAM_SERIES,
} ddf_fmt_stream;

/* What a table-format stream keeps of the rows it is given: enough to print pandas'
 * view of the whole, in memory bounded by the frame's width. */
typedef struct ddf_fmt_keep {
    ddf_table *head; /* the first rows, up to DDF_FORMAT_MAX_ROWS + 1 */
    ddf_table *tail; /* the last rows seen, up to DDF_FORMAT_EDGE_ROWS */
    bool *nulls;     /* per column: some row seen so far is null */
} ddf_fmt_keep;

struct ddf_printer {
    FILE *out;
    ddf_format_kind kind;
    int werrno;          /* errno of the first failed write; 0 = none. Sticky. */
    bool csv_block_done; /* csv: a block was written; the next one starts after "\n" */
    bool in_call;        /* between ddf_print_call_begin and _end */
    size_t call_args;    /* values printed so far in the current call */
    bool line_open;      /* table/csv in a call: scalars written on the current line */

    /* an open stream (ddf_print_frame_begin / ddf_print_series_begin) */
    ddf_fmt_stream stream;
    uint64_t stream_rows; /* rows received */
    size_t ncols;         /* stream columns (1 for a series) */
    char **names;         /* ncols copied names (frame streams) */
    ddf_dtype *dtypes;    /* ncols dtypes */
    char *series_name;    /* copied; NULL = unnamed */
    int64_t start;        /* series stream: first label */
    ddf_fmt_keep keep;    /* table format */

    size_t len;                  /* bytes waiting in buf */
    char buf[DDF_FMT_BUF_BYTES]; /* output not yet handed to 'out' */
};

/* ---- output (format.c): writes after a failure are dropped; the failure is reported by
 * ddf_fmt_finish. */
void ddf_fmt_put(ddf_printer *p, const char *s, size_t n);
void ddf_fmt_puts(ddf_printer *p, const char *s);
void ddf_fmt_putc(ddf_printer *p, char c);
void ddf_fmt_spaces(ddf_printer *p, size_t n);
void ddf_fmt_printf(ddf_printer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand everything to 'out' and fflush it. DDF_EIO when any write failed. */
int ddf_fmt_finish(ddf_printer *p, ddf_error *err);
/* DDF_EIO when a write already failed, else DDF_OK. */
int ddf_fmt_check(const ddf_printer *p, ddf_error *err);

/* ---- text (format_repr.c) */
#define DDF_FMT_REPR_BYTES 32 /* longest Python repr of a double, "-1.7976931348623157e+308" */

/* Python's repr(x) of a double: the shortest digits that read back to x, fixed notation
 * for 1e-4 <= |x| < 1e16 ("0.1", "3.0", "1000000000000000.0") and exponent notation
 * otherwise ("1e+16", "1e-05", "5e-324"); "nan", "inf", "-inf", "-0.0". Returns the
 * length written to 'out' (NUL-terminated). */
size_t ddf_fmt_repr_double(double x, char out[DDF_FMT_REPR_BYTES]);

/* Length of the valid UTF-8 sequence at s[0..len) and its code point in *cp, or 0 when
 * the bytes there are not valid UTF-8 (overlong, surrogate, over U+10FFFF, cut short). */
size_t ddf_fmt_utf8_next(const char *s, size_t len, uint32_t *cp);

/* Display width of s[0..len) as pandas counts it: code points (an invalid byte counts 1). */
size_t ddf_fmt_width(const char *s, size_t len);

/* Python's str() of a scalar for print(): None, True, 42, 0.1, strings as they are. */
void ddf_fmt_py_str(ddf_printer *p, const ddf_scalar *v);

/* The table format's list: a Python list repr, or pandas' Index repr (DDF_LIST_INDEX).
 * Returns DDF_OK or DDF_ENOMEM. */
int ddf_fmt_table_list(ddf_printer *p, const ddf_scalar *items, size_t n, unsigned flags,
                       ddf_error *err);

/* ---- table format (format_table.c). 'nulls', when not NULL, says per column of the
 * view's table whether the column holds a null anywhere (a stream saw every row);
 * NULL: judge from the rows given. The view is valid (format.c checked it). */
int ddf_fmt_table_frame(ddf_printer *p, const ddf_frame_view *v, const bool *nulls,
                        ddf_error *err);
int ddf_fmt_table_series(ddf_printer *p, const ddf_frame_view *v, const bool *nulls,
                         const char *name, ddf_error *err);

/* ---- csv (format_csv.c) */
void ddf_fmt_csv_scalar(ddf_printer *p, const ddf_scalar *v);
void ddf_fmt_csv_list(ddf_printer *p, const ddf_scalar *items, size_t n);
void ddf_fmt_csv_table(ddf_printer *p, const ddf_frame_view *v);
void ddf_fmt_csv_series(ddf_printer *p, const ddf_frame_view *v, const char *name);
/* The header of a streamed frame or series, and the rows of one of its tables. */
void ddf_fmt_csv_stream_header(ddf_printer *p);
void ddf_fmt_csv_stream_rows(ddf_printer *p, const ddf_table *t, size_t col);

/* ---- json (format_json.c): the value alone, no newline (print nests it) */
void ddf_fmt_json_scalar(ddf_printer *p, const ddf_scalar *v, bool bare);
void ddf_fmt_json_list(ddf_printer *p, const ddf_scalar *items, size_t n, bool bare);
void ddf_fmt_json_table(ddf_printer *p, const ddf_frame_view *v);
void ddf_fmt_json_series(ddf_printer *p, const ddf_frame_view *v, const char *name);
/* A streamed frame or series: the opening, the rows of one table, the closing. */
void ddf_fmt_json_stream_begin(ddf_printer *p);
void ddf_fmt_json_stream_rows(ddf_printer *p, const ddf_table *t, size_t col);
void ddf_fmt_json_stream_end(ddf_printer *p);
/* One JSON string. */
void ddf_fmt_json_string(ddf_printer *p, const char *s, size_t len);

/* The name csv and json give key column 'k' of 'nkeys' whose names are hidden:
 * "index" for one key, "level_<k>" for several (pandas' reset_index). 'buf' has 32
 * bytes. */
const char *ddf_fmt_hidden_key_name(size_t k, size_t nkeys, char buf[32]);

#endif
