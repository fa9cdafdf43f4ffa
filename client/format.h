/* format.h - how the ddf CLI prints values: pandas' text, CSV blocks or JSON Lines
 * (DESIGN §7).
 *
 * A printer writes every value a script shows - a scalar, a list, a frame or result table,
 * a series, or several of them in one print(...) call - to one FILE*, in one format:
 *
 *   table  what pandas 1.5 prints in a script with display.max_columns = 20 and the other
 *          options at their defaults: max_rows 60 (longer frames show 5 head rows, `...`
 *          and 5 tail rows), precision 6, max_colwidth 50, width 80 (wider frames wrap
 *          in blocks ending in ` \`), `[N rows x M columns]` under truncated frames and
 *          `Name: ..., Length: N, dtype: ...` under series. Values are printed back to
 *          back, as a Python REPL does.
 *   csv    every value a CSV block (frames: header and all rows, keys as leading columns,
 *          no range index; series: the index columns - `index` for a range index - and
 *          the values, headed by the series' name or `0` when it has none; scalars: one
 *          field; lists: one field a line), blocks separated by one blank line. Fields are quoted as Python's csv
 *          module does (when they hold the separator, a quote, CR or LF; quotes doubled; a
 *          row of one empty field is `""`). Nulls are empty fields, floats are Python's
 *          repr (0.1, 1e+20, 3.0, inf).
 *   json   one JSON object per value and line:
 *            {"kind":"scalar","value":42}
 *            {"kind":"list","values":[...]}
 *            {"kind":"table","columns":[...],"dtypes":[...],"data":[[row],...]}
 *            {"kind":"series","name":"qty","index":[...],"values":[...]}
 *            {"kind":"print","values":[...]}   (series and tables nested as objects)
 *          Nulls, NaN and +-inf are null; floats are the shortest text that reads back
 *          to the same double, written as Python's json.dumps writes them (3.0, 1e+20,
 *          5e-324); strings are escaped per RFC 8259 (", \, control characters), other
 *          UTF-8 passes through and each byte of invalid UTF-8 becomes \ufffd. A series
 *          with several keys has list-valued labels ([1959,1]). A streamed series (below)
 *          writes "values" before "index": its index is known only at the end.
 *
 * How our dtypes look in table format (pandas has no nullable int64 or bool by default):
 *   int64    pandas int64; a column holding a null is float64 (1.0, NaN) as pandas makes it.
 *   float64  float64; nulls and NaN show `NaN`.
 *   bool     bool (True/False); a column holding a null is object: True, False, NaN.
 *   string   object; nulls show `NaN` (what read_csv gives).
 * Whether a column "holds a null" is judged from the rows the printer is given: the
 * whole table, every streamed row, or (for a head/tail view) the head and tail only.
 * In csv and json an int64 stays an integer (1, not 1.0) and a bool stays a bool.
 *
 * Where the table format differs from pandas 1.5 on purpose or by approximation:
 *   - widths count code points, as pandas does without display.unicode.east_asian_width;
 *     bytes of invalid UTF-8 count one column each and are written as they are;
 *   - a null in a MultiIndex level (group-by with several keys and dropna=False) prints
 *     `NaN` as pandas does, but the level's other labels are laid out without it (pandas
 *     lays them out with another label in the null's place), and -0.0 there prints as
 *     -0.0 (pandas' level merges it with 0.0 and shows whichever came first);
 *   - "Empty DataFrame" of a keyed frame without value columns, given as a head/tail
 *     view, lists the head's keys only (pandas lists the first 100);
 *   - a list prints as a Python list, ['a', 1, 2.5, None], whose strings follow repr()
 *     for ASCII, C0/C1 controls, U+00A0, U+00AD, U+2028/9 and pass other characters
 *     through; with DDF_LIST_INDEX a list of strings prints as pandas prints
 *     df.columns: Index(['a', 'b'], dtype='object');
 *   - print(a, b, ...) writes runs of scalars on one line separated by spaces (Python's
 *     print) but each list, table or series argument on lines of its own (Python would
 *     glue its first line to the scalars before it); in csv the scalar line is written
 *     as it is, not as CSV fields;
 *   - a CR in a CSV field is quoted (Python 3.11's csv, hence pandas, leaves it bare).
 *
 * A printer is used by one thread. Every function returns DDF_OK or a negative code with
 * 'err' set. A failed write (EPIPE under `ddf ... | head`) returns DDF_EIO and makes
 * every later call return DDF_EIO too; ddf_printer_errno() tells EPIPE apart. The
 * process must ignore SIGPIPE for the write to fail rather than kill it. */
#ifndef DDF_FORMAT_H
#define DDF_FORMAT_H

#include "column.h"
#include "dtype.h"
#include "error.h"
#include "schema.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ddf_format_kind {
    DDF_FORMAT_TABLE = 0,
    DDF_FORMAT_CSV = 1,
    DDF_FORMAT_JSON = 2,
} ddf_format_kind;

/* pandas' display options the table format follows. A caller fetching a long frame's
 * head and tail asks for DDF_FORMAT_EDGE_ROWS rows at each end once it has more than
 * DDF_FORMAT_MAX_ROWS rows. */
#define DDF_FORMAT_MAX_ROWS 60     /* display.max_rows */
#define DDF_FORMAT_EDGE_ROWS 5     /* display.min_rows / 2: rows shown at each end */
#define DDF_FORMAT_MAX_COLUMNS 20  /* display.max_columns: wider shows 10 + ... + 10 */
#define DDF_FORMAT_WIDTH 80        /* display.width: wider frames wrap */
#define DDF_FORMAT_MAX_COLWIDTH 50 /* display.max_colwidth: longer cells end in ... */
#define DDF_FORMAT_PRECISION 6     /* display.precision */

/* "table", "csv" or "json". Returns DDF_OK or DDF_EINVAL (err names the choices). */
int ddf_format_parse(const char *name, ddf_format_kind *out, ddf_error *err);

/* One value: None, a bool, an int64, a float64 or a string. */
typedef struct ddf_scalar {
    ddf_dtype dtype; /* DDF_DTYPE_NULL: None */
    union {
        bool b;
        int64_t i64;
        double f64;
        struct {
            const char *ptr; /* UTF-8, borrowed, not NUL-terminated */
            size_t len;
        } str;
    } v;
} ddf_scalar;

static inline ddf_scalar ddf_scalar_null(void)
{
    ddf_scalar s = {.dtype = DDF_DTYPE_NULL};
    return s;
}

static inline ddf_scalar ddf_scalar_bool(bool b)
{
    ddf_scalar s = {.dtype = DDF_DTYPE_BOOL, .v.b = b};
    return s;
}

static inline ddf_scalar ddf_scalar_i64(int64_t i)
{
    ddf_scalar s = {.dtype = DDF_DTYPE_INT64, .v.i64 = i};
    return s;
}

static inline ddf_scalar ddf_scalar_f64(double f)
{
    ddf_scalar s = {.dtype = DDF_DTYPE_FLOAT64, .v.f64 = f};
    return s;
}

static inline ddf_scalar ddf_scalar_str(const char *ptr, size_t len)
{
    ddf_scalar s = {.dtype = DDF_DTYPE_STRING, .v.str = {ptr, len}};
    return s;
}

/* Row 'row' of 'col' (a null row is None); strings borrow the column's bytes. */
ddf_scalar ddf_scalar_from_column(const ddf_column *col, size_t row);

/* A frame, a result table or a series as printed: a table whose first 'nkeys' columns
 * are the index (group-by keys, sorted) and the rest the values. With nkeys == 0 the
 * index is a range index starting at 'start' (0 for a frame, n - 5 for its tail).
 *
 * In table format a long frame need not be fetched whole: 'table' may hold its first
 * rows and 'tail' its last rows (at least DDF_FORMAT_EDGE_ROWS each) with 'nrows' its
 * length (over DDF_FORMAT_MAX_ROWS). Otherwise 'tail' is NULL, 'table' holds every row
 * and is truncated as pandas truncates it. csv and json print every row: a 'tail' there
 * is DDF_EINVAL (stream long frames with ddf_print_frame_begin instead). */
typedef struct ddf_frame_view {
    const ddf_table *table; /* every row, or the head of a long frame */
    const ddf_table *tail;  /* NULL, or the last rows of a long frame */
    uint64_t nrows;         /* the whole frame's rows when tail != NULL */
    size_t nkeys;           /* leading columns that are the index */
    int64_t start;          /* nkeys == 0: label of the first row */
    bool hide_key_names;    /* keys are unnamed labels (describe's count, mean, ...):
                             * table format shows no index-name row, csv and json call
                             * them index (one key) or level_0, level_1, ... */
} ddf_frame_view;

typedef struct ddf_printer ddf_printer; /* opaque */

/* A printer writing to 'out' (not closed by the printer), or NULL when out of memory. */
ddf_printer *ddf_printer_new(FILE *out, ddf_format_kind kind);

/* Free the printer, handing 'out' what it still buffers (only an open stream or print
 * call has any: it stays unfinished). NULL is a no-op. */
void ddf_printer_free(ddf_printer *p);

/* The errno of the write that failed (EPIPE when the reader went away), or 0. */
int ddf_printer_errno(const ddf_printer *p);

/* The format the printer writes. */
ddf_format_kind ddf_printer_kind(const ddf_printer *p);

/* Python's repr() of a double into 'out' (NUL-terminated): "0.1", "3.0", "1e+16", "nan",
 * "-inf". Returns its length. */
#define DDF_FORMAT_REPR_BYTES 32
size_t ddf_format_repr_double(double x, char out[DDF_FORMAT_REPR_BYTES]);

/* Print one scalar: table `42`, `0.1`, `True`, `None`, strings as they are (Python's
 * str()); csv one field; json {"kind":"scalar","value":...}. */
int ddf_print_scalar(ddf_printer *p, const ddf_scalar *value, ddf_error *err);

/* Print a list of 'n' scalars (see the flag for the table format). */
#define DDF_LIST_INDEX 1u /* table format: pandas' Index repr when every item is a string */
int ddf_print_list(ddf_printer *p, const ddf_scalar *items, size_t n, unsigned flags,
                   ddf_error *err);

/* Print a frame or result table (see ddf_frame_view). */
int ddf_print_table(ddf_printer *p, const ddf_frame_view *v, ddf_error *err);

/* Print a series: the view's table has nkeys + 1 columns, the last one the values.
 * 'name' is the series' name (NUL-terminated), NULL for none. */
int ddf_print_series(ddf_printer *p, const ddf_frame_view *v, const char *name,
                     ddf_error *err);

/* Print a frame a partition at a time, in order: begin with the frame's schema (no
 * index columns; the range index starts at 0), then any number of tables whose columns
 * have the schema's dtypes, then end. csv and json write rows as they come and keep
 * none; table format keeps the first DDF_FORMAT_MAX_ROWS + 1 rows and the last
 * DDF_FORMAT_EDGE_ROWS and prints at end. No other value may be printed in between. */
int ddf_print_frame_begin(ddf_printer *p, const ddf_schema *schema, ddf_error *err);
int ddf_print_frame_rows(ddf_printer *p, const ddf_table *rows, ddf_error *err);
int ddf_print_frame_end(ddf_printer *p, ddf_error *err);

/* Likewise for a series with a range index starting at 'start': column 'col' of each
 * table holds the values, of type 'dtype'. */
int ddf_print_series_begin(ddf_printer *p, const char *name, ddf_dtype dtype, int64_t start,
                           ddf_error *err);
int ddf_print_series_rows(ddf_printer *p, const ddf_table *rows, size_t col, ddf_error *err);
int ddf_print_series_end(ddf_printer *p, ddf_error *err);

/* print(a, b, ...): the values printed between begin and end (with the functions above,
 * streams included) are the call's arguments. table and csv: runs of scalars share one
 * line, separated by spaces; other values are printed as on their own. json: one
 * {"kind":"print","values":[...]} whose scalars and lists are plain JSON values and
 * whose tables and series are nested objects. print() with no argument prints an empty
 * line (json: "values":[]). */
int ddf_print_call_begin(ddf_printer *p, ddf_error *err);
int ddf_print_call_end(ddf_printer *p, ddf_error *err);

#endif
