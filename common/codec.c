/* codec.c - the table blob: the binary columnar wire format of a ddf_table (see codec.h).
 *
 * A blob carries one table — names, dtypes, validity and values of every column — in a
 * versioned, little-endian layout that copies straight into column buffers. It is how bulk
 * data crosses XML-RPC (inside <base64>), so it is read from peers we do not trust: every
 * blob is validated end to end against its length before a byte of it is decoded, and the
 * checks never compute a size that could wrap. A blob that fails validation allocates
 * nothing.
 *
 * Layout, version 1 (docs/protocol.md, "Table blob"; all integers little-endian, no
 * padding or alignment anywhere — the decoder copies, so alignment buys nothing):
 *
 *   header     "DDFT" | u16 version = 1 | u16 flags = 0 | u32 ncols | u64 nrows
 *   per column u32 name_len | name bytes (no NUL) | u8 dtype (1 bool, 2 int64, 3 float64,
 *              4 string) | u64 null_count |
 *              validity: ceil(nrows / 8) bytes, LSB first, bit set = valid, present only
 *                        when null_count > 0, bits past nrows zero |
 *              values:   bool    nrows u8, each 0 or 1
 *                        int64   nrows i64
 *                        float64 nrows f64 (IEEE-754 binary64 bits, NaN payloads kept)
 *                        string  u64 offsets[nrows + 1] (offsets[0] = 0, non-decreasing)
 *                                | u64 nbytes (= offsets[nrows]) | nbytes bytes
 *   nothing after the last column.
 *
 * The encoding is canonical: a null row's value slot is zero (0, +0.0 bits, false, the
 * empty string), null_count equals the zero bits of the bitmap, and the bitmap is there
 * exactly when null_count > 0. So one table has one blob, and a blob that validates
 * decodes to a table that re-encodes to the same bytes. Validation checks all of it.
 *
 * Errors name the byte offset of the offending field in err->offset and, for a column,
 * its 1-based number in err->column (messages number columns from 0, as pandas' iloc). */
#include "codec.h"

#include "alloc.h"
#include "bitmap.h"
#include "limits.h"

#include <limits.h>

#include <assert.h>
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- what the byte layout assumes of the host, pinned at compile time ---- */

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "codec.c needs the compiler's __BYTE_ORDER__ (GCC, Clang)"
#endif
/* Little-endian hosts copy arrays with memcpy; others swap each element. */
#define HOST_IS_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

_Static_assert(CHAR_BIT == 8, "the wire is made of octets");
_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024,
               "float64 on the wire is IEEE-754 binary64");
#ifdef __FLOAT_WORD_ORDER__ /* GCC says; Clang does not, and the golden test checks 1.0 */
_Static_assert(__FLOAT_WORD_ORDER__ == __BYTE_ORDER__,
               "doubles are stored in the byte order of 64-bit integers");
#endif
_Static_assert(DDF_DTYPE_BOOL == 1 && DDF_DTYPE_INT64 == 2 && DDF_DTYPE_FLOAT64 == 3 &&
                   DDF_DTYPE_STRING == 4 && DDF_DTYPE_COUNT == 5,
               "dtype values are wire values");
_Static_assert(DDF_MAX_BLOB_BYTES <= SIZE_MAX && DDF_MAX_BLOB_BYTES < INT64_MAX,
               "a blob's size and string offsets fit size_t and the int64 offsets");
_Static_assert(DDF_MAX_COLUMNS <= UINT32_MAX && DDF_MAX_NAME_BYTES <= UINT32_MAX,
               "column count and name length are u32 on the wire");
_Static_assert(DDF_MAX_ROWS < UINT64_MAX / 8 - 1, "(nrows + 1) * 8 cannot wrap");
_Static_assert(DDF_MAX_ROWS <= SIZE_MAX, "a row count fits ddf_table.nrows");

#define HEADER_BYTES 20 /* magic 4 + version 2 + flags 2 + ncols 4 + nrows 8 */
#define NO_COLUMN SIZE_MAX

/* ---- little-endian loads and stores ----
 *
 * memcpy, not pointer casts: blob fields have no alignment. HOST_IS_LE is a constant, so
 * the compiler drops the branch not taken, yet both are compiled (and kept warning-free)
 * on every host. */

static uint16_t le16(uint16_t v)
{
    return HOST_IS_LE ? v : __builtin_bswap16(v);
}

static uint32_t le32(uint32_t v)
{
    return HOST_IS_LE ? v : __builtin_bswap32(v);
}

static uint64_t le64(uint64_t v)
{
    return HOST_IS_LE ? v : __builtin_bswap64(v);
}

static uint16_t load_u16(const unsigned char *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return le16(v);
}

static uint32_t load_u32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return le32(v);
}

static uint64_t load_u64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return le64(v);
}

static unsigned char *store_u16(unsigned char *p, uint16_t v)
{
    v = le16(v);
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

static unsigned char *store_u32(unsigned char *p, uint32_t v)
{
    v = le32(v);
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

static unsigned char *store_u64(unsigned char *p, uint64_t v)
{
    v = le64(v);
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

/* Copy 'n' 8-byte host-order values (int64, double bits) to little-endian at 'dst';
 * returns the end. */
static unsigned char *store_u64s(unsigned char *dst, const void *src, size_t n)
{
    const unsigned char *s = src;

    if (HOST_IS_LE) {
        if (n)
            memcpy(dst, src, n * 8);
        return dst + n * 8;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, s + i * 8, 8);
        dst = store_u64(dst, v);
    }
    return dst;
}

/* Copy 'n' little-endian 8-byte values at 'src' to host order at 'dst'. */
static void load_u64s(void *dst, const unsigned char *src, size_t n)
{
    unsigned char *d = dst;

    if (HOST_IS_LE) {
        if (n)
            memcpy(dst, src, n * 8);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v = load_u64(src + i * 8);
        memcpy(d + i * 8, &v, 8);
    }
}

/* ---- bitmaps ---- */

static size_t bitmap_bytes(uint64_t nrows)
{
    return (size_t)(nrows / 8 + (nrows % 8 != 0));
}

/* The bits of byte 'k' of a bitmap of 'nrows' bits that stand for rows. */
static unsigned row_mask(size_t k, uint64_t nrows)
{
    uint64_t first = (uint64_t)k * 8;

    return nrows - first >= 8 ? 0xffu : (1u << (nrows - first)) - 1;
}

/* Rows among the first 'nrows' whose bit is 0; a NULL bitmap has none. */
static uint64_t count_nulls(const uint8_t *validity, uint64_t nrows)
{
    if (validity == NULL)
        return 0;
    return nrows - (uint64_t)ddf_bitmap_count(validity, (size_t)nrows);
}

/* Call 'fn(row, ctx)' for each null row of 'validity' (nrows bits) until it returns
 * nonzero; returns that value, or 0. Skips all-valid bytes eight rows at a time. */
static int each_null_row(const uint8_t *validity, uint64_t nrows,
                         int (*fn)(uint64_t row, void *ctx), void *ctx)
{
    size_t n = bitmap_bytes(nrows);

    for (size_t k = 0; k < n; k++) {
        unsigned nulls = ~(unsigned)validity[k] & row_mask(k, nrows);
        while (nulls) {
            int rc = fn((uint64_t)k * 8 + (unsigned)__builtin_ctz(nulls), ctx);
            if (rc)
                return rc;
            nulls &= nulls - 1;
        }
    }
    return 0;
}

/* ---- errors ---- */

/* Set 'err' (may be NULL) to 'code' at byte 'pos' of the blob and, unless it is
 * NO_COLUMN, at column 'col'. Returns 'code'. */
static int fail_at(ddf_error *err, int code, size_t pos, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_at(ddf_error *err, int code, size_t pos, size_t col, const char *fmt, ...)
{
    char msg[DDF_ERROR_MSG_BYTES];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ddf_error_setf(err, code, "%s", msg);
    if (err) {
        err->offset = (int64_t)pos;
        if (col != NO_COLUMN)
            err->column = (uint32_t)(col + 1);
    }
    return code;
}

/* ---- sizes ---- */

/* a + b, or SIZE_MAX when it does not fit. */
static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* n * width (width 1 or 8), or SIZE_MAX when it does not fit. */
static size_t mul_sat(size_t n, size_t width)
{
    return n > SIZE_MAX / width ? SIZE_MAX : n * width;
}

/* String bytes of a column: offsets[nrows] - offsets[0] (0 before anything is appended);
 * a dictionary column is encoded plain, so its bytes are those of every row's entry. */
static size_t string_bytes(const ddf_column *col, size_t nrows)
{
    if (col->values.offsets == NULL)
        return 0;
    if (col->codes)
        return ddf_column_str_total(col);
    return (size_t)(col->values.offsets[nrows] - col->values.offsets[0]);
}

/* Bytes column 'col' of 'table' encodes to, saturating at SIZE_MAX. */
static size_t column_size(const ddf_table *table, size_t c)
{
    const ddf_column *col = &table->columns[c];
    size_t n = table->nrows;
    size_t size = 4 + 1 + 8; /* name length, dtype, null count */

    size = add_sat(size, strlen(table->names[c]));
    if (count_nulls(col->validity, n) > 0)
        size = add_sat(size, bitmap_bytes(n));
    switch (col->dtype) {
    case DDF_DTYPE_BOOL:
        return add_sat(size, n);
    case DDF_DTYPE_INT64:
    case DDF_DTYPE_FLOAT64:
        return add_sat(size, mul_sat(n, 8));
    case DDF_DTYPE_STRING:
        size = add_sat(size, mul_sat(add_sat(n, 1), 8)); /* offsets */
        size = add_sat(size, 8);                          /* nbytes */
        return add_sat(size, string_bytes(col, n));
    case DDF_DTYPE_NULL:
        break;
    }
    return size; /* not encodable; ddf_codec_encode says so */
}

size_t ddf_codec_encoded_size(const ddf_table *table)
{
    size_t size = HEADER_BYTES;

    for (size_t c = 0; c < table->ncols; c++)
        size = add_sat(size, column_size(table, c));
    return size;
}

/* ---- encoding ---- */

/* Nonzero when null row 'row' of the string column 'ctx' holds bytes. */
static int null_string_has_bytes(uint64_t row, void *ctx)
{
    size_t len;

    (void)ddf_column_str(ctx, row, &len);
    return len != 0;
}

/* Check that 'table' keeps the invariants a blob states (table.h, column.h): DDF_OK, or
 * DDF_ETOOBIG for a limit, DDF_EINVAL for a malformed table (a bug of its builder). */
static int check_encodable(const ddf_table *table, ddf_error *err)
{
    if (table->ncols > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_ETOOBIG, "table of %zu columns is over the limit of %d",
                              table->ncols, DDF_MAX_COLUMNS);
    if (table->nrows > DDF_MAX_ROWS)
        return ddf_error_setf(err, DDF_ETOOBIG, "table of %zu rows is over the limit of %llu",
                              table->nrows, DDF_MAX_ROWS);
    for (size_t c = 0; c < table->ncols; c++) {
        const ddf_column *col = &table->columns[c];
        size_t name_len = strlen(table->names[c]);

        if (name_len > DDF_MAX_NAME_BYTES)
            return ddf_error_setf(err, DDF_ETOOBIG,
                                  "column %zu: name of %zu bytes is over the limit of %d", c,
                                  name_len, DDF_MAX_NAME_BYTES);
        if (col->dtype < DDF_DTYPE_BOOL || col->dtype > DDF_DTYPE_STRING)
            return ddf_error_setf(err, DDF_EINVAL, "column %zu: dtype %d cannot be encoded", c,
                                  (int)col->dtype);
        if (col->length != table->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "column %zu has %zu rows, the table %zu", c,
                                  col->length, table->nrows);
        if (col->dtype == DDF_DTYPE_STRING && col->validity &&
            each_null_row(col->validity, table->nrows, null_string_has_bytes,
                          (void *)col))
            return ddf_error_setf(err, DDF_EINVAL,
                                  "column %zu: a null row holds string bytes", c);
    }
    return DDF_OK;
}

struct zero_slots {
    unsigned char *values; /* encoded value array */
    size_t width;          /* bytes per value */
};

static int zero_slot(uint64_t row, void *ctx)
{
    struct zero_slots *z = ctx;

    memset(z->values + row * z->width, 0, z->width);
    return 0;
}

/* Write the n rows of dictionary column 'col' at 'p' as a plain string column (the wire
 * has one string layout): each row's offset, then each row's entry; returns the end. */
static unsigned char *write_dict_strings(unsigned char *p, const ddf_column *col, size_t n)
{
    uint64_t end = 0;
    size_t len;

    for (size_t i = 0; i < n; i++) {
        p = store_u64(p, end);
        (void)ddf_column_str(col, i, &len);
        end += len;
    }
    p = store_u64(p, end); /* offsets[n] */
    p = store_u64(p, end); /* nbytes */
    for (size_t i = 0; i < n; i++) {
        const char *s = ddf_column_str(col, i, &len);
        memcpy(p, s, len);
        p += len;
    }
    return p;
}

/* Write column 'c' of 'table' at 'p'; returns the end. The space was sized by
 * column_size and the table checked by check_encodable. A null row's slot is written as
 * zero whatever memory holds, so kernels may leave garbage under nulls. */
static unsigned char *write_column(unsigned char *p, const ddf_table *table, size_t c)
{
    const ddf_column *col = &table->columns[c];
    size_t n = table->nrows, name_len = strlen(table->names[c]);
    uint64_t nulls = count_nulls(col->validity, n);
    struct zero_slots z;
    size_t base, nbytes;

    p = store_u32(p, (uint32_t)name_len);
    memcpy(p, table->names[c], name_len);
    p += name_len;
    *p++ = (unsigned char)col->dtype;
    p = store_u64(p, nulls);
    if (nulls > 0) {
        size_t nb = bitmap_bytes(n);
        memcpy(p, col->validity, nb);
        p[nb - 1] &= (unsigned char)row_mask(nb - 1, n); /* canonical: no bits past nrows */
        p += nb;
    }
    switch (col->dtype) {
    case DDF_DTYPE_BOOL:
        for (size_t i = 0; i < n; i++)
            p[i] = col->values.b8[i] != 0 && ddf_column_is_valid(col, i);
        return p + n;
    case DDF_DTYPE_INT64:
    case DDF_DTYPE_FLOAT64:
        z.values = p;
        z.width = 8;
        p = store_u64s(p, col->values.i64, n);
        if (nulls > 0)
            each_null_row(col->validity, n, zero_slot, &z);
        return p;
    case DDF_DTYPE_STRING:
        if (col->codes)
            return write_dict_strings(p, col, n);
        base = col->values.offsets ? (size_t)col->values.offsets[0] : 0;
        nbytes = string_bytes(col, n);
        if (base == 0 && col->values.offsets) {
            p = store_u64s(p, col->values.offsets, n + 1);
        } else {
            /* Rebase a view that does not start at byte 0 (or a column never appended
             * to, which has no offsets yet). */
            for (size_t i = 0; i <= n; i++)
                p = store_u64(p, col->values.offsets
                                     ? (uint64_t)col->values.offsets[i] - base : 0);
        }
        p = store_u64(p, nbytes);
        if (nbytes)
            memcpy(p, col->bytes + base, nbytes);
        return p + nbytes;
    case DDF_DTYPE_NULL:
        break;
    }
    return p; /* unreachable: check_encodable refuses DDF_DTYPE_NULL */
}

/* Encode 'table' (see codec.h): check it, size it exactly, allocate once, write. On error
 * *out is NULL, *out_len 0, and nothing is held: DDF_ETOOBIG over a limit, DDF_EINVAL
 * for a table that breaks its own invariants, DDF_ENOMEM. On success the caller owns
 * *out and frees it with ddf_free. */
int ddf_codec_encode(const ddf_table *table, unsigned char **out, size_t *out_len,
                     ddf_error *err)
{
    unsigned char *buf, *p;
    size_t size;
    int rc;

    *out = NULL;
    *out_len = 0;
    rc = check_encodable(table, err);
    if (rc < 0)
        return rc;
    size = ddf_codec_encoded_size(table);
    if (size > DDF_MAX_BLOB_BYTES)
        return ddf_error_setf(err, DDF_ETOOBIG,
                              "table encodes to %zu bytes, over the blob limit of %llu",
                              size, DDF_MAX_BLOB_BYTES);
    buf = ddf_malloc(size);
    if (buf == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory for a blob of %zu bytes", size);
    memcpy(buf, DDF_CODEC_MAGIC, 4);
    p = store_u16(buf + 4, DDF_CODEC_VERSION);
    p = store_u16(p, 0);
    p = store_u32(p, (uint32_t)table->ncols);
    p = store_u64(p, table->nrows);
    for (size_t c = 0; c < table->ncols; c++)
        p = write_column(p, table, c);
    assert((size_t)(p - buf) == size); /* column_size and write_column agree */
    *out = buf;
    *out_len = size;
    return DDF_OK;
}

/* ---- reading: the walk shared by validation and decoding ---- */

typedef struct reader {
    const unsigned char *buf;
    size_t len;
    size_t pos; /* next byte to read; pos <= len */
} reader;

/* Where one column's parts lie in the blob, as read_column found them. */
typedef struct col_layout {
    size_t name_pos;     /* name bytes */
    size_t name_len;
    ddf_dtype dtype;
    uint64_t null_count;
    size_t bitmap_pos;   /* validity bitmap; bitmap_len 0 when absent */
    size_t bitmap_len;
    size_t values_pos;   /* values; strings: offsets[nrows + 1] */
    size_t nbytes_pos;   /* strings: the nbytes field */
    size_t bytes_pos;    /* strings: the bytes */
    uint64_t nbytes;
} col_layout;

/* Whether 'n' more bytes are there (the comparison is against what remains, so nothing
 * can wrap). If not: DDF_ECORRUPT naming 'what' and where it starts. */
static int need(const reader *r, uint64_t n, const char *what, size_t col, ddf_error *err)
{
    size_t left = r->len - r->pos;

    if (n <= left)
        return DDF_OK;
    if (col == NO_COLUMN)
        return fail_at(err, DDF_ECORRUPT, r->pos, col,
                       "truncated blob: %s: %" PRIu64 " bytes at offset %zu, only %zu remain",
                       what, n, r->pos, left);
    return fail_at(err, DDF_ECORRUPT, r->pos, col,
                   "truncated blob: column %zu %s: %" PRIu64
                   " bytes at offset %zu, only %zu remain",
                   col, what, n, r->pos, left);
}

/* Read and check the header; on success r is at the first column. DDF_ECORRUPT or
 * DDF_EVERSION otherwise. */
static int read_header(reader *r, uint32_t *ncols, uint64_t *nrows, ddf_error *err)
{
    uint16_t version, flags;
    int rc;

    if ((rc = need(r, 4, "magic", NO_COLUMN, err)) < 0)
        return rc;
    if (memcmp(r->buf, DDF_CODEC_MAGIC, 4) != 0)
        return fail_at(err, DDF_ECORRUPT, 0, NO_COLUMN,
                       "bad magic: not a ddf table blob (expected \"DDFT\")");
    r->pos = 4;
    if ((rc = need(r, 2, "version", NO_COLUMN, err)) < 0)
        return rc;
    version = load_u16(r->buf + 4);
    if (version != DDF_CODEC_VERSION)
        return fail_at(err, DDF_EVERSION, 4, NO_COLUMN,
                       "unsupported blob version %u (this build reads version %d)",
                       (unsigned)version, DDF_CODEC_VERSION);
    r->pos = 6;
    if ((rc = need(r, 2, "flags", NO_COLUMN, err)) < 0)
        return rc;
    flags = load_u16(r->buf + 6);
    if (flags != 0)
        return fail_at(err, DDF_EVERSION, 6, NO_COLUMN,
                       "unsupported blob flags 0x%04x (version 1 defines none)",
                       (unsigned)flags);
    r->pos = 8;
    if ((rc = need(r, 4, "column count", NO_COLUMN, err)) < 0)
        return rc;
    *ncols = load_u32(r->buf + 8);
    if (*ncols > DDF_MAX_COLUMNS)
        return fail_at(err, DDF_ECORRUPT, 8, NO_COLUMN,
                       "column count %" PRIu32 " is over the limit of %d", *ncols,
                       DDF_MAX_COLUMNS);
    r->pos = 12;
    if ((rc = need(r, 8, "row count", NO_COLUMN, err)) < 0)
        return rc;
    *nrows = load_u64(r->buf + 12);
    if (*nrows > DDF_MAX_ROWS)
        return fail_at(err, DDF_ECORRUPT, 12, NO_COLUMN,
                       "row count %" PRIu64 " is over the limit of %llu", *nrows,
                       DDF_MAX_ROWS);
    r->pos = HEADER_BYTES;
    return DDF_OK;
}

/* Read the fixed fields of column 'c' and find its parts, checking every length against
 * the bytes that remain, every count against its limit, the dtype and the name; on
 * success r is past the column. The bulk contents (bitmap, values, offsets) are
 * check_column's. */
static int read_column(reader *r, uint64_t nrows, size_t c, col_layout *lay, ddf_error *err)
{
    const unsigned char *nul;
    uint32_t name_len;
    unsigned dtype;
    uint64_t width;
    int rc;

    if ((rc = need(r, 4, "name length", c, err)) < 0)
        return rc;
    name_len = load_u32(r->buf + r->pos);
    if (name_len > DDF_MAX_NAME_BYTES)
        return fail_at(err, DDF_ECORRUPT, r->pos, c,
                       "column %zu: name length %" PRIu32 " is over the limit of %d", c,
                       name_len, DDF_MAX_NAME_BYTES);
    r->pos += 4;
    if ((rc = need(r, name_len, "name", c, err)) < 0)
        return rc;
    lay->name_pos = r->pos;
    lay->name_len = name_len;
    nul = memchr(r->buf + r->pos, 0, name_len); /* names are C strings in a table */
    if (nul)
        return fail_at(err, DDF_ECORRUPT, (size_t)(nul - r->buf), c,
                       "column %zu: name holds a NUL byte", c);
    r->pos += name_len;

    if ((rc = need(r, 1, "dtype", c, err)) < 0)
        return rc;
    dtype = r->buf[r->pos];
    if (dtype < DDF_DTYPE_BOOL || dtype > DDF_DTYPE_STRING)
        return fail_at(err, DDF_ECORRUPT, r->pos, c, "column %zu: unknown dtype %u", c, dtype);
    lay->dtype = (ddf_dtype)dtype;
    r->pos += 1;

    if ((rc = need(r, 8, "null count", c, err)) < 0)
        return rc;
    lay->null_count = load_u64(r->buf + r->pos);
    if (lay->null_count > nrows)
        return fail_at(err, DDF_ECORRUPT, r->pos, c,
                       "column %zu: null count %" PRIu64 " is more than the %" PRIu64 " rows",
                       c, lay->null_count, nrows);
    r->pos += 8;

    lay->bitmap_pos = r->pos;
    lay->bitmap_len = lay->null_count > 0 ? bitmap_bytes(nrows) : 0;
    if ((rc = need(r, lay->bitmap_len, "validity bitmap", c, err)) < 0)
        return rc;
    r->pos += lay->bitmap_len;

    /* nrows <= DDF_MAX_ROWS, so (nrows + 1) * 8 fits in a uint64_t (pinned above). */
    width = lay->dtype == DDF_DTYPE_BOOL ? 1 : 8;
    lay->values_pos = r->pos;
    if (lay->dtype != DDF_DTYPE_STRING) {
        if ((rc = need(r, nrows * width, "values", c, err)) < 0)
            return rc;
        r->pos += (size_t)(nrows * width);
        return DDF_OK;
    }
    if ((rc = need(r, (nrows + 1) * 8, "string offsets", c, err)) < 0)
        return rc;
    r->pos += (size_t)((nrows + 1) * 8);
    if ((rc = need(r, 8, "string byte count", c, err)) < 0)
        return rc;
    lay->nbytes_pos = r->pos;
    lay->nbytes = load_u64(r->buf + r->pos);
    r->pos += 8;
    if ((rc = need(r, lay->nbytes, "string bytes", c, err)) < 0)
        return rc;
    lay->bytes_pos = r->pos;
    r->pos += (size_t)lay->nbytes;
    return DDF_OK;
}

struct slot_check {
    const unsigned char *values; /* the column's value array in the blob */
    size_t width;                /* bytes per value */
    uint64_t bad_row;            /* the first null row holding a value */
};

static int slot_is_nonzero(uint64_t row, void *ctx)
{
    struct slot_check *s = ctx;
    const unsigned char *v = s->values + row * s->width;

    for (size_t i = 0; i < s->width; i++) {
        if (v[i]) {
            s->bad_row = row;
            return 1;
        }
    }
    return 0;
}

static bool row_is_valid(const unsigned char *bitmap, uint64_t row)
{
    return bitmap == NULL || (bitmap[row >> 3] >> (row & 7)) & 1;
}

/* Check the contents of column 'c' laid out as 'lay': the bitmap agrees with null_count
 * and has no bits past nrows, bools are 0/1, null slots are zero, string offsets start
 * at 0, never decrease and end at nbytes. DDF_ECORRUPT otherwise. */
static int check_column(const reader *r, uint64_t nrows, size_t c, const col_layout *lay,
                        ddf_error *err)
{
    const unsigned char *buf = r->buf;
    const unsigned char *bitmap = lay->bitmap_len ? buf + lay->bitmap_pos : NULL;
    const unsigned char *values = buf + lay->values_pos;
    struct slot_check s;

    if (bitmap) {
        size_t last = lay->bitmap_len - 1;
        uint64_t nulls;

        if (bitmap[last] & ~row_mask(last, nrows))
            return fail_at(err, DDF_ECORRUPT, lay->bitmap_pos + last, c,
                           "column %zu: validity bitmap has bits set past the last row", c);
        nulls = count_nulls(bitmap, nrows);
        if (nulls != lay->null_count)
            return fail_at(err, DDF_ECORRUPT, lay->bitmap_pos, c,
                           "column %zu: validity bitmap has %" PRIu64
                           " nulls, the null count says %" PRIu64,
                           c, nulls, lay->null_count);
    }

    if (lay->dtype == DDF_DTYPE_BOOL) {
        for (uint64_t i = 0; i < nrows; i++) {
            if (values[i] > 1)
                return fail_at(err, DDF_ECORRUPT, lay->values_pos + (size_t)i, c,
                               "column %zu row %" PRIu64 ": bool value %u is not 0 or 1", c,
                               i, (unsigned)values[i]);
        }
    }
    switch (lay->dtype) {
    case DDF_DTYPE_BOOL:
    case DDF_DTYPE_INT64:
    case DDF_DTYPE_FLOAT64:
        s.values = values;
        s.width = lay->dtype == DDF_DTYPE_BOOL ? 1 : 8;
        if (bitmap && each_null_row(bitmap, nrows, slot_is_nonzero, &s))
            return fail_at(err, DDF_ECORRUPT, lay->values_pos + (size_t)(s.bad_row * s.width),
                           c, "column %zu row %" PRIu64 ": null row holds a value", c,
                           s.bad_row);
        return DDF_OK;
    case DDF_DTYPE_STRING: {
        uint64_t prev = load_u64(values), next;

        if (prev != 0)
            return fail_at(err, DDF_ECORRUPT, lay->values_pos, c,
                           "column %zu: first string offset is %" PRIu64 ", not 0", c, prev);
        for (uint64_t i = 0; i < nrows; i++, prev = next) {
            size_t at = lay->values_pos + (size_t)(i + 1) * 8;
            next = load_u64(buf + at);
            if (next < prev)
                return fail_at(err, DDF_ECORRUPT, at, c,
                               "column %zu row %" PRIu64 ": string offset %" PRIu64
                               " is below the previous %" PRIu64,
                               c, i, next, prev);
            if (next != prev && !row_is_valid(bitmap, i))
                return fail_at(err, DDF_ECORRUPT, at, c,
                               "column %zu row %" PRIu64 ": null row holds a value", c, i);
        }
        if (prev != lay->nbytes)
            return fail_at(err, DDF_ECORRUPT, lay->nbytes_pos, c,
                           "column %zu: string byte count %" PRIu64
                           " differs from the last offset %" PRIu64,
                           c, lay->nbytes, prev);
        return DDF_OK;
    }
    case DDF_DTYPE_NULL:
        break;
    }
    return DDF_OK; /* read_column refused any other dtype */
}

/* Validate a blob (see codec.h). Allocates nothing. DDF_ETOOBIG when 'len' is over
 * DDF_MAX_BLOB_BYTES; DDF_ECORRUPT or DDF_EVERSION with err->offset at the problem. */
int ddf_codec_validate(const unsigned char *buf, size_t len, ddf_error *err)
{
    reader r = {buf, len, 0};
    uint32_t ncols;
    uint64_t nrows;
    col_layout lay;
    int rc;

    if (len > DDF_MAX_BLOB_BYTES)
        return ddf_error_setf(err, DDF_ETOOBIG, "blob of %zu bytes is over the limit of %llu",
                              len, DDF_MAX_BLOB_BYTES);
    rc = read_header(&r, &ncols, &nrows, err);
    if (rc < 0)
        return rc;
    for (size_t c = 0; c < ncols; c++) {
        rc = read_column(&r, nrows, c, &lay, err);
        if (rc < 0)
            return rc;
        rc = check_column(&r, nrows, c, &lay, err);
        if (rc < 0)
            return rc;
    }
    if (r.pos != len)
        return fail_at(err, DDF_ECORRUPT, r.pos, NO_COLUMN,
                       "trailing data after the last column (%zu bytes)", len - r.pos);
    return DDF_OK;
}

/* ---- decoding ---- */

/* Build column 'c' of 'table' from a validated blob: buffers in the table's arena, sized
 * exactly (capacity == length), validity NULL when the column has no null. DDF_ENOMEM is
 * the only error; the caller frees the table. */
static int build_column(ddf_table *table, const reader *r, size_t c, const col_layout *lay,
                        ddf_error *err)
{
    ddf_column *col = &table->columns[c];
    size_t n = table->nrows;

    if (ddf_table_set_column(table, c, (const char *)r->buf + lay->name_pos, lay->name_len,
                             lay->dtype) < 0)
        goto no_mem;
    if (lay->null_count > 0) {
        col->validity = ddf_arena_alloc(table->arena, lay->bitmap_len);
        if (col->validity == NULL)
            goto no_mem;
        memcpy(col->validity, r->buf + lay->bitmap_pos, lay->bitmap_len);
    }
    switch (lay->dtype) {
    case DDF_DTYPE_BOOL:
        if (n) {
            col->values.b8 = ddf_arena_alloc(table->arena, n);
            if (col->values.b8 == NULL)
                goto no_mem;
            memcpy(col->values.b8, r->buf + lay->values_pos, n);
        }
        break;
    case DDF_DTYPE_INT64:
    case DDF_DTYPE_FLOAT64:
        if (n) {
            col->values.i64 = ddf_arena_alloc(table->arena, n * 8);
            if (col->values.i64 == NULL)
                goto no_mem;
            load_u64s(col->values.i64, r->buf + lay->values_pos, n);
        }
        break;
    case DDF_DTYPE_STRING:
        /* offsets always exist, even for zero rows: offsets[0] is the byte total. */
        col->values.offsets = ddf_arena_alloc(table->arena, (n + 1) * 8);
        if (col->values.offsets == NULL)
            goto no_mem;
        load_u64s(col->values.offsets, r->buf + lay->values_pos, n + 1);
        if (lay->nbytes) {
            col->bytes = ddf_arena_alloc(table->arena, (size_t)lay->nbytes);
            if (col->bytes == NULL)
                goto no_mem;
            memcpy(col->bytes, r->buf + lay->bytes_pos, (size_t)lay->nbytes);
        }
        col->bytes_capacity = (size_t)lay->nbytes;
        break;
    case DDF_DTYPE_NULL:
        break;
    }
    col->length = n;
    col->capacity = n;
    col->null_count = (size_t)lay->null_count;
    return DDF_OK;
no_mem:
    return ddf_error_setf(err, DDF_ENOMEM, "out of memory decoding column %zu of %zu rows", c,
                          n);
}

/* Decode a blob (see codec.h): validate it whole, then build. On error *out is NULL and
 * nothing is held; a blob that fails validation allocates nothing. */
int ddf_codec_decode(const unsigned char *buf, size_t len, ddf_table **out, ddf_error *err)
{
    reader r = {buf, len, 0};
    ddf_table *table;
    uint32_t ncols;
    uint64_t nrows;
    col_layout lay;
    int rc;

    *out = NULL;
    rc = ddf_codec_validate(buf, len, err);
    if (rc < 0)
        return rc;
    rc = read_header(&r, &ncols, &nrows, err); /* validated: cannot fail */
    if (rc < 0)
        return rc;
    table = ddf_table_new(ncols);
    if (table == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory for a table of %" PRIu32
                                               " columns",
                              ncols);
    table->nrows = (size_t)nrows;
    for (size_t c = 0; c < ncols; c++) {
        rc = read_column(&r, nrows, c, &lay, err);
        if (rc < 0)
            goto out_free_table;
        rc = build_column(table, &r, c, &lay, err);
        if (rc < 0)
            goto out_free_table;
    }
    *out = table;
    return DDF_OK;
out_free_table:
    ddf_table_free(table);
    return rc;
}
