/* frame_ops.c - table-to-table kernels of the pipeline: select, take, head/tail, assign,
 * concat (see frame_ops.h).
 *
 * Every kernel validates its inputs, then builds a fresh table column by column with one
 * routine, append_rows, which copies a run of rows - a contiguous range, or a range of a
 * selection vector - from a source column onto the end of a column of the result. Copying
 * (rather than sharing the input's buffers) is the ownership rule of frame_ops.h: a result
 * owns everything it points to, so a cached partition can be dropped while a result made
 * from it lives on, and the arena's byte count stays the true cost of each table.
 *
 * append_rows reserves exactly the rows and string bytes it will write before writing
 * any, so a result costs what it holds (no doubling slack), and an allocation failure
 * leaves the destination column's rows as they were; the caller then frees the whole
 * half-built table, which is one ddf_table_free. Column invariants of column.h are kept:
 * a null row's value slot is 0, validity bits past the length are 0, and a validity
 * bitmap is created only when a null is actually copied. A dictionary source column
 * (column.h) is copied string by string into a plain result: results own their bytes,
 * and a dictionary column is never appended to. */
#include "frame_ops.h"

#include "alloc.h"
#include "eval.h"
#include "expr_int.h"
#include "limits.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Row number of the i-th row of a run starting at 'first': through 'sel' when given. */
static inline size_t run_row(const uint32_t *sel, size_t first, size_t i)
{
    return sel ? sel[first + i] : first + i;
}

static bool is_storage_dtype(ddf_dtype dtype)
{
    return dtype == DDF_DTYPE_BOOL || dtype == DDF_DTYPE_INT64 || dtype == DDF_DTYPE_FLOAT64 ||
           dtype == DDF_DTYPE_STRING;
}

static size_t value_width(ddf_dtype dtype)
{
    return dtype == DDF_DTYPE_BOOL ? 1 : 8;
}

/* The string bytes held by rows 0..length of a string column (0 before any append, when
 * a fresh column has no offsets yet); 0 for other dtypes, whose reserve takes no bytes
 * (append_rows asks for every dtype: reading offsets[length] of a bool column would read
 * past its length bytes). */
static size_t str_end(const ddf_column *col)
{
    if (col->dtype != DDF_DTYPE_STRING || col->length == 0)
        return 0;
    return (size_t)col->values.offsets[col->length];
}

/* Bytes of the strings of a run, into *bytes. DDF_ETOOBIG when they would not fit the
 * int64 offsets on top of 'base' bytes already in the destination. */
static int run_str_bytes(const ddf_column *src, const uint32_t *sel, size_t first, size_t n,
                         size_t base, size_t *bytes)
{
    const int64_t *off = src->values.offsets;
    uint64_t sum = 0;

    if (n == 0) {
        *bytes = 0;
        return DDF_OK;
    }
    if (sel == NULL && src->codes == NULL) {
        sum = (uint64_t)(off[first + n] - off[first]);
    } else {
        for (size_t i = 0; i < n; i++) {
            size_t r = run_row(sel, first, i), len;

            (void)ddf_column_str(src, r, &len); /* through the dictionary, if any */
            /* Repeated rows can multiply a column's bytes: check before the sum wraps. */
            if (len > (uint64_t)INT64_MAX - sum)
                return DDF_ETOOBIG;
            sum += len;
        }
    }
    if (sum > (uint64_t)INT64_MAX - base)
        return DDF_ETOOBIG;
    *bytes = (size_t)sum;
    return DDF_OK;
}

/* Nulls among the rows of a run. */
static size_t run_nulls(const ddf_column *src, const uint32_t *sel, size_t first, size_t n)
{
    size_t nulls = 0;

    if (src->validity == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        nulls += !ddf_column_is_valid(src, run_row(sel, first, i));
    return nulls;
}

/* Give 'dst' a validity bitmap sized to its capacity, marking its present rows valid,
 * as ddf_column_append_null does on a column's first null. */
static int add_validity(ddf_column *dst, ddf_arena *arena)
{
    size_t nbytes = (dst->capacity + 7) / 8;

    dst->validity = ddf_arena_alloc(arena, nbytes ? nbytes : 1);
    if (dst->validity == NULL)
        return DDF_ENOMEM;
    memset(dst->validity, 0, nbytes ? nbytes : 1);
    memset(dst->validity, 0xff, dst->length / 8);
    for (size_t i = dst->length & ~(size_t)7; i < dst->length; i++)
        dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    return DDF_OK;
}

/* Append rows first..first+n of 'src' (through 'sel' when given; entries already checked
 * in range) to 'dst', of the same dtype, allocating from 'arena'. Returns DDF_OK, or
 * DDF_ENOMEM / DDF_ETOOBIG with dst's rows unchanged. */
static int append_rows(ddf_column *dst, ddf_arena *arena, const ddf_column *src,
                       const uint32_t *sel, size_t first, size_t n)
{
    size_t base = dst->length, bytes = 0, nulls;
    size_t width = value_width(src->dtype);
    int rc;

    if (src->dtype == DDF_DTYPE_STRING) {
        rc = run_str_bytes(src, sel, first, n, str_end(dst), &bytes);
        if (rc < 0)
            return rc;
    }
    /* Even n == 0 reserves: it gives an empty string column its offsets[0], so readers
     * of the result never meet the NULL offsets of a fresh column. */
    rc = ddf_column_reserve(dst, arena, base + n, str_end(dst) + bytes);
    if (rc < 0)
        return rc;
    nulls = run_nulls(src, sel, first, n);
    if (nulls && dst->validity == NULL && add_validity(dst, arena) < 0)
        return DDF_ENOMEM;

    /* From here on nothing allocates: the run is written in full. */
    if (src->dtype == DDF_DTYPE_STRING) {
        int64_t *doff = dst->values.offsets;
        const int64_t *soff = src->values.offsets;
        int64_t end = doff[base];

        if (src->codes) {
            /* A dictionary column: the result is plain (it owns its bytes, and nothing
             * appends to a dictionary column), one string per row. */
            for (size_t i = 0; i < n; i++) {
                size_t len;
                const char *s = ddf_column_str(src, run_row(sel, first, i), &len);
                if (len)
                    memcpy(dst->bytes + end, s, len);
                end += (int64_t)len;
                doff[base + i + 1] = end;
            }
        } else if (sel == NULL && n) {
            /* One contiguous run: one memcpy of the bytes, offsets rebased. */
            int64_t shift = end - soff[first];
            if (bytes)
                memcpy(dst->bytes + end, src->bytes + soff[first], bytes);
            for (size_t i = 1; i <= n; i++)
                doff[base + i] = soff[first + i] + shift;
        } else {
            for (size_t i = 0; i < n; i++) {
                size_t r = sel[first + i];
                size_t len = (size_t)(soff[r + 1] - soff[r]);
                if (len)
                    memcpy(dst->bytes + end, src->bytes + soff[r], len);
                end += (int64_t)len;
                doff[base + i + 1] = end;
            }
        }
    } else if (sel == NULL) {
        if (n)
            memcpy(dst->values.b8 + base * width, src->values.b8 + first * width, n * width);
    } else if (width == 1) {
        for (size_t i = 0; i < n; i++)
            dst->values.b8[base + i] = src->values.b8[sel[first + i]];
    } else {
        /* int64 and float64 alike: move the 8 bytes, so NaN payloads and -0.0 survive. */
        for (size_t i = 0; i < n; i++)
            dst->values.i64[base + i] = src->values.i64[sel[first + i]];
    }

    if (dst->validity) {
        for (size_t i = 0; i < n; i++) {
            size_t d = base + i;
            if (ddf_column_is_valid(src, run_row(sel, first, i))) {
                dst->validity[d >> 3] |= (uint8_t)(1u << (d & 7));
                continue;
            }
            dst->validity[d >> 3] &= (uint8_t)~(1u << (d & 7));
            /* column.h: a null's slot is 0 (strings: already empty by the same rule). */
            if (src->dtype == DDF_DTYPE_BOOL)
                dst->values.b8[d] = 0;
            else if (src->dtype != DDF_DTYPE_STRING)
                dst->values.i64[d] = 0;
        }
    }
    dst->length = base + n;
    dst->null_count += nulls;
    return DDF_OK;
}

/* Whether 'in' is a table the kernels can read: every column named, of a storage dtype,
 * in->nrows long and with the buffers that length needs. DDF_EINVAL otherwise. */
static int check_table(const ddf_table *in, ddf_error *err)
{
    if (in == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "no input table");
    if (in->ncols > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_EINVAL, "table has %zu columns, over the limit of %d",
                              in->ncols, DDF_MAX_COLUMNS);
    if (in->ncols && (in->names == NULL || in->columns == NULL))
        return ddf_error_setf(err, DDF_EINVAL, "table has %zu columns but no column list",
                              in->ncols);
    if (in->nrows > DDF_MAX_ROWS)
        return ddf_error_setf(err, DDF_EINVAL, "table has %zu rows, over the limit of %llu",
                              in->nrows, (unsigned long long)DDF_MAX_ROWS);
    for (size_t c = 0; c < in->ncols; c++) {
        const ddf_column *col = &in->columns[c];
        const char *name = in->names[c];

        if (name == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "column %zu has no name", c);
        if (!is_storage_dtype(col->dtype))
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has no storage dtype (%s)",
                                  name, ddf_dtype_name(col->dtype));
        if (col->length != in->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has %zu rows, the table %zu",
                                  name, col->length, in->nrows);
        if (in->nrows && col->values.i64 == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has rows but no values",
                                  name);
        /* A dictionary's offsets span its entries, not the rows. */
        size_t noff = col->codes ? col->dict_length : in->nrows;
        if (col->dtype == DDF_DTYPE_STRING && in->nrows &&
            (col->values.offsets[0] != 0 || col->values.offsets[noff] < 0 ||
             (col->values.offsets[noff] > 0 && col->bytes == NULL)))
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has bad string offsets",
                                  name);
        if (col->codes && (col->dtype != DDF_DTYPE_STRING || col->dict_length == 0))
            return ddf_error_setf(err, DDF_EINVAL, "column '%s' has codes but no dictionary",
                                  name);
    }
    return DDF_OK;
}

/* DDF_EINVAL naming the first entry of sel[0..nsel) that is not a row of a table of
 * 'nrows' rows. */
static int check_sel(const uint32_t *sel, size_t nsel, size_t nrows, ddf_error *err)
{
    for (size_t i = 0; sel && i < nsel; i++)
        if (sel[i] >= nrows)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "selection entry %zu is row %u, past the table's %zu rows", i,
                                  (unsigned)sel[i], nrows);
    return DDF_OK;
}

/* A new table in *t of 'ncols' columns for the caller to name and fill. */
static int new_table(size_t ncols, ddf_table **t, ddf_error *err)
{
    /* ddf_table_new returns NULL for both; tell the limit from a failed allocation. The
     * codes are returned literally so that readers (and the analyzer) see *t is set on
     * DDF_OK. */
    *t = NULL;
    if (ncols > DDF_MAX_COLUMNS) {
        ddf_error_setf(err, DDF_ETOOBIG, "%zu columns is over the limit of %d", ncols,
                       DDF_MAX_COLUMNS);
        return DDF_ETOOBIG;
    }
    *t = ddf_table_new(ncols);
    if (*t == NULL) {
        ddf_error_setf(err, DDF_ENOMEM, "out of memory creating a table of %zu columns", ncols);
        return DDF_ENOMEM;
    }
    return DDF_OK;
}

/* Set column 'c' of 't' to 'name' with the rows first..first+n of 'src' (through 'sel').
 * On error 'err' names the column. */
static int fill_column(ddf_table *t, size_t c, const char *name, size_t name_len,
                       const ddf_column *src, const uint32_t *sel, size_t first, size_t n,
                       ddf_error *err)
{
    int rc = ddf_table_set_column(t, c, name, name_len, src->dtype);

    if (rc == DDF_OK)
        rc = append_rows(&t->columns[c], t->arena, src, sel, first, n);
    if (rc == DDF_ETOOBIG)
        return ddf_error_setf(err, rc, "column '%.*s': string bytes over the int64 offsets",
                              (int)name_len, name);
    if (rc < 0)
        return ddf_error_setf(err, rc, "out of memory copying column '%.*s'", (int)name_len,
                              name);
    return DDF_OK;
}

/* The columns cols[0..ncols) of 'in', rows first..first+n (through 'sel'); cols == NULL
 * means every column. The one builder behind select, take, head and tail. */
static int copy_rows(const ddf_table *in, const size_t *cols, size_t ncols, const uint32_t *sel,
                     size_t first, size_t n, ddf_table **out, ddf_error *err)
{
    ddf_table *t;
    int rc = new_table(ncols, &t, err);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ncols && rc == DDF_OK; i++) {
        size_t c = cols ? cols[i] : i;
        rc = fill_column(t, i, in->names[c], strlen(in->names[c]), &in->columns[c], sel, first,
                         n, err);
    }
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    t->nrows = n;
    *out = t;
    return DDF_OK;
}

int ddf_frame_ops_select(const ddf_table *in, const size_t *cols, size_t ncols, ddf_table **out,
                         ddf_error *err)
{
    int rc;

    *out = NULL;
    if ((rc = check_table(in, err)) < 0)
        return rc;
    if (ncols && cols == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "no column list");
    for (size_t i = 0; i < ncols; i++)
        if (cols[i] >= in->ncols)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "column index %zu (entry %zu) is past the table's %zu columns",
                                  cols[i], i, in->ncols);
    return copy_rows(in, cols, ncols, NULL, 0, in->nrows, out, err);
}

/* Index of the first column of 't' named 'name' (name_len bytes), or -1. */
static long find_column(const ddf_table *t, const char *name, size_t name_len)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strlen(t->names[c]) == name_len && memcmp(t->names[c], name, name_len) == 0)
            return (long)c;
    return -1;
}

/* DDF_EINVAL for an unknown column, suggesting the closest name as expr_check does. */
static int unknown_column(const ddf_table *t, const char *name, ddf_error *err)
{
    size_t len = strlen(name), best = (size_t)-1;
    const char *hint = NULL;

    for (size_t c = 0; c < t->ncols; c++) {
        size_t score = ddf_expr_suggestion_score(name, len, t->names[c]);
        if (score < best) {
            best = score;
            hint = t->names[c];
        }
    }
    if (hint)
        return ddf_error_setf(err, DDF_EINVAL, "unknown column '%s' (did you mean '%s'?)", name,
                              hint);
    return ddf_error_setf(err, DDF_EINVAL, "unknown column '%s'", name);
}

int ddf_frame_ops_select_names(const ddf_table *in, const char *const *names, size_t nnames,
                               ddf_table **out, ddf_error *err)
{
    size_t *cols;
    int rc;

    *out = NULL;
    if ((rc = check_table(in, err)) < 0)
        return rc;
    if (nnames && names == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "no column list");
    if (nnames > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_ETOOBIG, "%zu columns is over the limit of %d", nnames,
                              DDF_MAX_COLUMNS);
    for (size_t i = 0; i < nnames; i++) {
        if (names[i] == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "column name %zu is missing", i);
        if (find_column(in, names[i], strlen(names[i])) < 0)
            return unknown_column(in, names[i], err);
    }
    cols = ddf_mallocarray(nnames ? nnames : 1, sizeof(*cols));
    if (cols == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory selecting %zu columns", nnames);
    for (size_t i = 0; i < nnames; i++)
        cols[i] = (size_t)find_column(in, names[i], strlen(names[i]));
    rc = copy_rows(in, cols, nnames, NULL, 0, in->nrows, out, err);
    ddf_free(cols);
    return rc;
}

int ddf_frame_ops_take(const ddf_table *in, const uint32_t *sel, size_t nsel, ddf_table **out,
                       ddf_error *err)
{
    int rc;

    *out = NULL;
    if ((rc = check_table(in, err)) < 0 || (rc = check_sel(sel, nsel, in->nrows, err)) < 0)
        return rc;
    return copy_rows(in, NULL, in->ncols, sel, 0, sel ? nsel : in->nrows, out, err);
}

/* pandas' head/tail on 'total' rows: the run [*first, *first + *n) they keep. */
static void head_tail_run(size_t total, int64_t n, bool tail, size_t *first, size_t *count)
{
    uint64_t k;

    if (n >= 0) {
        k = (uint64_t)n < total ? (uint64_t)n : total;
    } else {
        /* Negate in unsigned: -INT64_MIN does not fit an int64. */
        uint64_t drop = (uint64_t)0 - (uint64_t)n;
        k = drop >= total ? 0 : total - drop;
    }
    *count = (size_t)k;
    *first = tail ? total - (size_t)k : 0;
}

static int head_or_tail(const ddf_table *in, const uint32_t *sel, size_t nsel, int64_t n,
                        bool tail, ddf_table **out, ddf_error *err)
{
    size_t first, count;
    int rc;

    *out = NULL;
    if ((rc = check_table(in, err)) < 0 || (rc = check_sel(sel, nsel, in->nrows, err)) < 0)
        return rc;
    head_tail_run(sel ? nsel : in->nrows, n, tail, &first, &count);
    return copy_rows(in, NULL, in->ncols, sel, first, count, out, err);
}

int ddf_frame_ops_head(const ddf_table *in, const uint32_t *sel, size_t nsel, int64_t n,
                       ddf_table **out, ddf_error *err)
{
    return head_or_tail(in, sel, nsel, n, false, out, err);
}

int ddf_frame_ops_tail(const ddf_table *in, const uint32_t *sel, size_t nsel, int64_t n,
                       ddf_table **out, ddf_error *err)
{
    return head_or_tail(in, sel, nsel, n, true, out, err);
}

int ddf_frame_ops_assign(const ddf_table *in, const uint32_t *sel, size_t nsel, const char *name,
                         size_t name_len, const ddf_expr *checked, ddf_arena *scratch,
                         ddf_table **out, ddf_error *err)
{
    ddf_column value;
    ddf_table *t;
    size_t n, ncols;
    long replace;
    int rc;

    *out = NULL;
    if ((rc = check_table(in, err)) < 0 || (rc = check_sel(sel, nsel, in->nrows, err)) < 0)
        return rc;
    if (checked == NULL || scratch == NULL || (name == NULL && name_len))
        return ddf_error_setf(err, DDF_EINVAL, "assign needs a name, an expression and a "
                                               "scratch arena");
    if (name_len > DDF_MAX_NAME_BYTES)
        return ddf_error_setf(err, DDF_ETOOBIG, "column name of %zu bytes is over the limit "
                              "of %d", name_len, DDF_MAX_NAME_BYTES);
    if (name_len && memchr(name, '\0', name_len))
        return ddf_error_setf(err, DDF_EINVAL, "column name '%s' holds a NUL byte", name);
    replace = find_column(in, name ? name : "", name_len);
    ncols = in->ncols + (replace < 0);
    if (ncols > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_ETOOBIG, "a new column '%.*s' would pass the limit of "
                              "%d columns", (int)name_len, name, DDF_MAX_COLUMNS);

    rc = ddf_eval(checked, in, sel, nsel, scratch, &value, err);
    if (rc < 0)
        return rc;
    n = sel ? nsel : in->nrows;
    /* ddf_eval promises one row per evaluated row of a storage dtype; check rather than
     * read past its buffers should that ever break. */
    if (value.length != n || !is_storage_dtype(value.dtype))
        return ddf_error_setf(err, DDF_EINVAL, "expression gave %zu rows of %s, expected %zu",
                              value.length, ddf_dtype_name(value.dtype), n);

    if ((rc = new_table(ncols, &t, err)) < 0)
        return rc;
    for (size_t c = 0; c < ncols && rc == DDF_OK; c++) {
        if ((long)c == replace || c == in->ncols)
            rc = fill_column(t, c, name ? name : "", name_len, &value, NULL, 0, n, err);
        else
            rc = fill_column(t, c, in->names[c], strlen(in->names[c]), &in->columns[c], sel, 0,
                             n, err);
    }
    if (rc < 0) {
        ddf_table_free(t);
        return rc;
    }
    t->nrows = n;
    *out = t;
    return DDF_OK;
}

/* DDF_EINVAL unless 'part' (number i) has part 0's column names and dtypes, naming the
 * first difference. */
static int check_same_columns(const ddf_table *p0, const ddf_table *part, size_t i,
                              ddf_error *err)
{
    if (part->ncols != p0->ncols)
        return ddf_error_setf(err, DDF_EINVAL, "part %zu has %zu columns, part 0 has %zu", i,
                              part->ncols, p0->ncols);
    for (size_t c = 0; c < p0->ncols; c++) {
        const ddf_column *a = &p0->columns[c], *b = &part->columns[c];
        if (strcmp(p0->names[c], part->names[c]) != 0 || a->dtype != b->dtype)
            return ddf_error_setf(err, DDF_EINVAL, "part %zu column %zu is '%s' %s, part 0 has "
                                  "'%s' %s", i, c, part->names[c], ddf_dtype_name(b->dtype),
                                  p0->names[c], ddf_dtype_name(a->dtype));
    }
    return DDF_OK;
}

int ddf_frame_ops_concat(const ddf_table *const *parts, size_t nparts, ddf_table **out,
                         ddf_error *err)
{
    const ddf_table *p0;
    ddf_table *t;
    size_t rows = 0;
    int rc;

    *out = NULL;
    if (nparts == 0 || parts == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "no tables to concatenate");
    p0 = parts[0];
    for (size_t i = 0; i < nparts; i++) {
        if ((rc = check_table(parts[i], err)) < 0) {
            char msg[DDF_ERROR_MSG_BYTES];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return ddf_error_setf(err, rc, "part %zu: %s", i, msg);
        }
        if ((rc = check_same_columns(p0, parts[i], i, err)) < 0)
            return rc;
        /* Each part is under DDF_MAX_ROWS, so the sum cannot wrap before this check. */
        rows += parts[i]->nrows;
        if (rows > DDF_MAX_ROWS)
            return ddf_error_setf(err, DDF_ETOOBIG, "concatenated rows pass the limit of %llu",
                                  (unsigned long long)DDF_MAX_ROWS);
    }

    if ((rc = new_table(p0->ncols, &t, err)) < 0)
        return rc;
    for (size_t c = 0; c < p0->ncols; c++) {
        ddf_column *dst = &t->columns[c];
        const char *name = p0->names[c];
        uint64_t bytes = 0;

        rc = ddf_table_set_column(t, c, name, strlen(name), p0->columns[c].dtype);
        if (rc < 0)
            goto oom;
        if (dst->dtype == DDF_DTYPE_STRING) {
            for (size_t i = 0; i < nparts; i++) {
                uint64_t b = ddf_column_str_total(&parts[i]->columns[c]);
                if (b > (uint64_t)INT64_MAX - bytes) {
                    rc = ddf_error_setf(err, DDF_ETOOBIG, "column '%s': string bytes over the "
                                        "int64 offsets", name);
                    goto fail;
                }
                bytes += b;
            }
        }
        /* One exact reservation for all parts; append_rows then finds the room there. */
        rc = ddf_column_reserve(dst, t->arena, rows, (size_t)bytes);
        if (rc < 0)
            goto oom;
        for (size_t i = 0; i < nparts; i++) {
            rc = append_rows(dst, t->arena, &parts[i]->columns[c], NULL, 0, parts[i]->nrows);
            if (rc < 0)
                goto oom;
        }
    }
    t->nrows = rows;
    *out = t;
    return DDF_OK;
oom:
    rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory concatenating %zu tables", nparts);
fail:
    ddf_table_free(t);
    return rc;
}
