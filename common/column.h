/* column.h - one typed, nullable column: a value buffer plus a validity bitmap.
 *
 * The layout is Arrow's: int64 and float64 values in a flat array, bools one byte each
 * (0 or 1), strings as int64 offsets[length + 1] into one byte buffer (UTF-8, not
 * NUL-terminated). Bit i of 'validity' is 1 when row i holds a value; validity == NULL
 * means no row is null, which is the common case and costs nothing. The value slot of a
 * null row is 0 (0.0, false, the empty string). Validity bits past 'length' are 0, and
 * 'validity' may be non-NULL while null_count is 0. A string column fresh from
 * ddf_column_init has offsets == NULL until its first append or reserve.
 *
 * A string column may be dictionary-encoded (Arrow's dictionary type): 'codes' is then
 * non-NULL, row i holds dictionary entry codes[i], and values.offsets[dict_length + 1]
 * and 'bytes' hold the dictionary's entries instead of one string per row. The entries
 * are distinct, so within a column equal codes are equal strings. A cached partition's
 * low-cardinality columns (region, product) are stored so (table_compact.h): a 16-bit
 * code a row (a dictionary has at most 65,536 entries) instead of 8 bytes of offset plus
 * the string. A null row's code names an empty
 * entry, so its string is "" as in the plain layout. ddf_column_str and
 * ddf_column_value_equal read both layouts; code that reads 'values.offsets' or 'bytes'
 * itself must look at 'codes' first (or take the fast path it offers: work per entry,
 * then per code). A dictionary column is read-only: it is never the destination of an append
 * or reserve (copy it with ddf_column_append_from into a plain column instead).
 *
 * An int64 column of a cached partition whose values all fit in a signed byte (quantities,
 * ratings, flags) may also carry them as 'i8', one byte a row (table_compact.h). Kernels
 * bound by memory read that copy instead of eight bytes a row (the float chain,
 * f64_chain.h); everything else reads values.i64, which is always there. A null row's
 * byte is 0, as its slot. Such a column is read-only, as a dictionary column is.
 *
 * Buffers belong to the arena the column was built with: a column is a view that lives
 * as long as that arena. The append functions grow buffers geometrically from the arena
 * and fail with DDF_ENOMEM, leaving the column as it was. */
#ifndef DDF_COLUMN_H
#define DDF_COLUMN_H

#include "arena.h"
#include "dtype.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ddf_column {
    ddf_dtype dtype;
    size_t length;      /* rows */
    size_t null_count;  /* rows whose validity bit is 0 */
    uint8_t *validity;  /* bit i (LSB first) set = row i valid; NULL = all valid */
    union {
        int64_t *i64;
        double *f64;
        uint8_t *b8;
        int64_t *offsets; /* strings: length + 1 entries, offsets[0] == 0 */
    } values;
    char *bytes;          /* strings: the bytes offsets point into */
    size_t capacity;      /* rows the value buffer holds */
    size_t bytes_capacity; /* strings: bytes the byte buffer holds */
    const uint16_t *codes; /* strings: NULL = plain; else length codes < dict_length */
    size_t dict_length;   /* dictionary entries (offsets holds dict_length + 1) */
    const int8_t *i8;     /* int64: NULL, or values.i64's values as bytes (all fit) */
} ddf_column;

/* An empty column of 'dtype' with no buffers (dtype must not be DDF_DTYPE_NULL). */
void ddf_column_init(ddf_column *col, ddf_dtype dtype);

/* Make room for at least 'rows' rows in total (and, for strings, 'bytes' string bytes in
 * total) so appends below that need no allocation. */
int ddf_column_reserve(ddf_column *col, ddf_arena *arena, size_t rows, size_t bytes);

int ddf_column_append_i64(ddf_column *col, ddf_arena *arena, int64_t value);
int ddf_column_append_f64(ddf_column *col, ddf_arena *arena, double value);
int ddf_column_append_bool(ddf_column *col, ddf_arena *arena, bool value);
int ddf_column_append_str(ddf_column *col, ddf_arena *arena, const char *s, size_t len);
int ddf_column_append_null(ddf_column *col, ddf_arena *arena);
/* Append row 'row' of 'src' (same dtype as col): its value, or null. */
int ddf_column_append_from(ddf_column *col, ddf_arena *arena, const ddf_column *src,
                           size_t row);

static inline bool ddf_column_is_valid(const ddf_column *col, size_t row)
{
    return col->validity == NULL || (col->validity[row >> 3] >> (row & 7)) & 1;
}

/* Whether 'col' is a dictionary-encoded string column. */
static inline bool ddf_column_is_dict(const ddf_column *col)
{
    return col->codes != NULL;
}

/* The bytes of string row 'row' (not NUL-terminated) and their length, through the
 * dictionary when the column has one. Never NULL: a column of only empty strings or
 * nulls has no byte buffer, and NULL would make the caller's memcpy/memcmp of 0 bytes
 * undefined. */
static inline const char *ddf_column_str(const ddf_column *col, size_t row, size_t *len)
{
    if (col->codes)
        row = col->codes[row];
    *len = (size_t)(col->values.offsets[row + 1] - col->values.offsets[row]);
    return *len ? col->bytes + col->values.offsets[row] : "";
}

/* The string bytes of rows 0..length of string column 'col' (what a plain copy of it
 * holds): offsets[length] - offsets[0] when plain, a pass over the codes for a dictionary
 * column, 0 for a fresh column. */
size_t ddf_column_str_total(const ddf_column *col);

/* Whether rows 'i' of 'a' and 'j' of 'b' hold the same value (both null counts as equal;
 * floats compare by bits, so NaN equals NaN and -0.0 differs from 0.0). */
bool ddf_column_value_equal(const ddf_column *a, size_t i, const ddf_column *b, size_t j);

#endif
