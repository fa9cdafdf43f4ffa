/* column.c - building typed, nullable columns in an arena (see column.h).
 *
 * Growth doubles the capacity, so appending n rows costs O(n) copies in total. The
 * validity bitmap is created on the first null, with every earlier row marked valid. */
#include "column.h"

#include "error.h"

#include <assert.h>
#include <string.h>

void ddf_column_init(ddf_column *col, ddf_dtype dtype)
{
    memset(col, 0, sizeof(*col));
    col->dtype = dtype;
}

static size_t value_width(ddf_dtype dtype)
{
    switch (dtype) {
    case DDF_DTYPE_BOOL:
        return 1;
    case DDF_DTYPE_INT64:
    case DDF_DTYPE_FLOAT64:
    case DDF_DTYPE_STRING: /* offsets */
        return 8;
    case DDF_DTYPE_NULL:
        break;
    }
    return 8;
}

static int grow_rows(ddf_column *col, ddf_arena *arena, size_t rows)
{
    size_t width = value_width(col->dtype);
    size_t extra = col->dtype == DDF_DTYPE_STRING ? 1 : 0; /* offsets has length + 1 */
    size_t old_bits, new_bits;
    void *values;

    if (rows <= col->capacity && (col->dtype != DDF_DTYPE_STRING || col->values.offsets))
        return DDF_OK;
    if (rows > SIZE_MAX / 16 - 1)
        return DDF_ENOMEM;
    values = ddf_arena_realloc(arena, col->values.i64,
                               col->values.i64 ? (col->capacity + extra) * width : 0,
                               (rows + extra) * width);
    if (values == NULL)
        return DDF_ENOMEM;
    col->values.i64 = values;
    if (col->dtype == DDF_DTYPE_STRING && col->capacity == 0)
        col->values.offsets[0] = 0;
    if (col->validity) {
        old_bits = (col->capacity + 7) / 8;
        new_bits = (rows + 7) / 8;
        uint8_t *bitmap = ddf_arena_realloc(arena, col->validity, old_bits, new_bits);
        if (bitmap == NULL)
            return DDF_ENOMEM; /* the larger value buffer is harmless */
        memset(bitmap + old_bits, 0, new_bits - old_bits);
        col->validity = bitmap;
    }
    col->capacity = rows;
    return DDF_OK;
}

static int grow_bytes(ddf_column *col, ddf_arena *arena, size_t bytes)
{
    char *buf;

    if (bytes <= col->bytes_capacity)
        return DDF_OK;
    buf = ddf_arena_realloc(arena, col->bytes, col->bytes_capacity, bytes);
    if (buf == NULL)
        return DDF_ENOMEM;
    col->bytes = buf;
    col->bytes_capacity = bytes;
    return DDF_OK;
}

int ddf_column_reserve(ddf_column *col, ddf_arena *arena, size_t rows, size_t bytes)
{
    int rc;

    assert(col->codes == NULL && col->i8 == NULL); /* read-only columns (column.h) */
    rc = grow_rows(col, arena, rows);

    if (rc == DDF_OK && col->dtype == DDF_DTYPE_STRING)
        rc = grow_bytes(col, arena, bytes);
    return rc;
}

/* Room for one more row. */
static int make_room(ddf_column *col, ddf_arena *arena)
{
    assert(col->codes == NULL && col->i8 == NULL); /* read-only columns (column.h) */
    if (col->length < col->capacity)
        return DDF_OK;
    return grow_rows(col, arena, col->capacity < 8 ? 16 : col->capacity * 2);
}

static void mark_valid(ddf_column *col)
{
    if (col->validity)
        col->validity[col->length >> 3] |= (uint8_t)(1u << (col->length & 7));
}

int ddf_column_append_i64(ddf_column *col, ddf_arena *arena, int64_t value)
{
    if (make_room(col, arena) < 0)
        return DDF_ENOMEM;
    mark_valid(col);
    col->values.i64[col->length++] = value;
    return DDF_OK;
}

int ddf_column_append_f64(ddf_column *col, ddf_arena *arena, double value)
{
    if (make_room(col, arena) < 0)
        return DDF_ENOMEM;
    mark_valid(col);
    col->values.f64[col->length++] = value;
    return DDF_OK;
}

int ddf_column_append_bool(ddf_column *col, ddf_arena *arena, bool value)
{
    if (make_room(col, arena) < 0)
        return DDF_ENOMEM;
    mark_valid(col);
    col->values.b8[col->length++] = value ? 1 : 0;
    return DDF_OK;
}

int ddf_column_append_str(ddf_column *col, ddf_arena *arena, const char *s, size_t len)
{
    int64_t end;
    size_t need, cap;

    if (make_room(col, arena) < 0)
        return DDF_ENOMEM;
    end = col->values.offsets[col->length];
    need = (size_t)end + len;
    if (need > col->bytes_capacity) {
        cap = col->bytes_capacity < 64 ? 256 : col->bytes_capacity * 2;
        if (cap < need)
            cap = need;
        if (grow_bytes(col, arena, cap) < 0)
            return DDF_ENOMEM;
    }
    if (len)
        memcpy(col->bytes + end, s, len);
    mark_valid(col);
    col->values.offsets[++col->length] = end + (int64_t)len;
    return DDF_OK;
}

int ddf_column_append_null(ddf_column *col, ddf_arena *arena)
{
    size_t nbytes;

    if (make_room(col, arena) < 0)
        return DDF_ENOMEM;
    if (col->validity == NULL) {
        nbytes = (col->capacity + 7) / 8;
        col->validity = ddf_arena_alloc(arena, nbytes);
        if (col->validity == NULL)
            return DDF_ENOMEM;
        memset(col->validity, 0, nbytes);
        memset(col->validity, 0xff, col->length / 8);
        for (size_t i = col->length & ~(size_t)7; i < col->length; i++)
            col->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    /* Clear the bit even though bits past the length are 0 by rule: a truncating caller
     * that forgot would otherwise turn this null into a value. */
    col->validity[col->length >> 3] &= (uint8_t)~(1u << (col->length & 7));
    switch (col->dtype) {
    case DDF_DTYPE_STRING:
        col->values.offsets[col->length + 1] = col->values.offsets[col->length];
        break;
    case DDF_DTYPE_BOOL:
        col->values.b8[col->length] = 0;
        break;
    default:
        col->values.i64[col->length] = 0; /* also 0.0 for float64 */
        break;
    }
    col->length++;
    col->null_count++;
    return DDF_OK;
}

bool ddf_column_value_equal(const ddf_column *a, size_t i, const ddf_column *b, size_t j)
{
    bool va = ddf_column_is_valid(a, i), vb = ddf_column_is_valid(b, j);
    size_t la, lb;
    const char *sa, *sb;

    if (a->dtype != b->dtype || va != vb)
        return false;
    if (!va)
        return true;
    switch (a->dtype) {
    case DDF_DTYPE_BOOL:
        return a->values.b8[i] == b->values.b8[j];
    case DDF_DTYPE_INT64:
        return a->values.i64[i] == b->values.i64[j];
    case DDF_DTYPE_FLOAT64:
        return memcmp(&a->values.f64[i], &b->values.f64[j], sizeof(double)) == 0;
    case DDF_DTYPE_STRING:
        /* One dictionary holds each string once: equal codes, equal strings. */
        if (a->codes && b->codes && a->values.offsets == b->values.offsets)
            return a->codes[i] == b->codes[j];
        sa = ddf_column_str(a, i, &la);
        sb = ddf_column_str(b, j, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    case DDF_DTYPE_NULL:
        break;
    }
    return false;
}

int ddf_column_append_from(ddf_column *col, ddf_arena *arena, const ddf_column *src,
                           size_t row)
{
    const char *s;
    size_t len;

    if (!ddf_column_is_valid(src, row))
        return ddf_column_append_null(col, arena);
    switch (src->dtype) {
    case DDF_DTYPE_INT64:
        return ddf_column_append_i64(col, arena, src->values.i64[row]);
    case DDF_DTYPE_FLOAT64:
        return ddf_column_append_f64(col, arena, src->values.f64[row]);
    case DDF_DTYPE_BOOL:
        return ddf_column_append_bool(col, arena, src->values.b8[row] != 0);
    default:
        s = ddf_column_str(src, row, &len);
        return ddf_column_append_str(col, arena, s, len);
    }
}

size_t ddf_column_str_total(const ddf_column *col)
{
    const int64_t *off = col->values.offsets;
    size_t total = 0;

    if (off == NULL || col->length == 0)
        return 0;
    if (col->codes == NULL)
        return (size_t)(off[col->length] - off[0]);
    for (size_t i = 0; i < col->length; i++)
        total += (size_t)(off[col->codes[i] + 1] - off[col->codes[i]]);
    return total;
}
