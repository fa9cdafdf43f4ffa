/* test_codec.c - the table blob, encoded and decoded (common/codec.c).
 *
 * Round trips of every dtype and edge value, a golden blob that pins the documented byte
 * layout (docs/protocol.md), one test per validation rule with its exact message and
 * offset, truncation at every byte, a seeded corruption fuzz loop, and allocation failure
 * injection. Blobs under test live in buffers of their exact length, so the sanitizer
 * build catches any read past the end. */
#include "testutil.h"

#include "alloc.h"
#include "codec.h"
#include "limits.h"
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

/* ---- live allocation tracking, layered on the current (maybe failing) allocator ---- */

static ddf_alloc_fns inner;
static long live_blocks;

static void *track_malloc(size_t n)
{
    void *p = inner.malloc_fn(n);

    live_blocks += p != NULL;
    return p;
}

static void *track_calloc(size_t n, size_t size)
{
    void *p = inner.calloc_fn(n, size);

    live_blocks += p != NULL;
    return p;
}

static void *track_realloc(void *p, size_t n)
{
    void *q = inner.realloc_fn(p, n);

    live_blocks += p == NULL && q != NULL;
    return q;
}

static void track_free(void *p)
{
    live_blocks--;
    inner.free_fn(p);
}

/* Count blocks allocated from now on; free only those while tracking. */
static void track_start(void)
{
    static const ddf_alloc_fns fns = {track_malloc, track_calloc, track_realloc, track_free};

    inner = ddf_alloc_set(&fns);
    live_blocks = 0;
}

/* ---- building tables ---- */

static ddf_table *new_table(size_t ncols)
{
    ddf_table *t = ddf_table_new(ncols);

    assert_non_null(t);
    return t;
}

static void name_column(ddf_table *t, size_t c, const char *name, ddf_dtype dtype)
{
    assert_int_equal(ddf_table_set_column(t, c, name, strlen(name), dtype), DDF_OK);
}

/* The string of row 'i': empty, NUL and control bytes, UTF-8, a byte that is not UTF-8. */
static size_t string_at(size_t i, char *buf)
{
    static const struct {
        const char *s;
        size_t len;
    } pool[] = {
        {"", 0},           {"a", 1},           {"\0", 1},           {"a\0b", 3},
        {"\t\r\n\x1b", 4}, {"caf\xc3\xa9", 5}, {"\xff\xfe", 2},     {"<x>&amp;", 8},
        {"  ", 2},         {"\x7f\x01", 2},    {"longer string", 13},
    };
    size_t k = i % (sizeof(pool) / sizeof(pool[0]));

    memcpy(buf, pool[k].s, pool[k].len);
    return pool[k].len;
}

/* Columns b bool, i int64, f float64, s string of 'nrows' rows; with 'nulls', row r of
 * column c is null when (r + c) % 4 == 1. */
static ddf_table *every_dtype_table(size_t nrows, bool nulls)
{
    static const char *const names[] = {"b", "i", "f", "s"};
    static const ddf_dtype dtypes[] = {DDF_DTYPE_BOOL, DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64,
                                       DDF_DTYPE_STRING};
    ddf_table *t = new_table(4);
    char buf[32];
    size_t len;

    for (size_t c = 0; c < 4; c++)
        name_column(t, c, names[c], dtypes[c]);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < 4; c++) {
            ddf_column *col = &t->columns[c];
            int rc = DDF_OK;

            if (nulls && (r + c) % 4 == 1) {
                assert_int_equal(ddf_column_append_null(col, t->arena), DDF_OK);
                continue;
            }
            switch (dtypes[c]) {
            case DDF_DTYPE_BOOL:
                rc = ddf_column_append_bool(col, t->arena, r % 3 == 0);
                break;
            case DDF_DTYPE_INT64:
                rc = ddf_column_append_i64(col, t->arena, (int64_t)(r * 7919u) - 1000);
                break;
            case DDF_DTYPE_FLOAT64:
                rc = ddf_column_append_f64(col, t->arena, (double)r / 3.0 - 2.5);
                break;
            case DDF_DTYPE_STRING:
                len = string_at(r, buf);
                rc = ddf_column_append_str(col, t->arena, buf, len);
                break;
            case DDF_DTYPE_NULL:
                fail();
            }
            assert_int_equal(rc, DDF_OK);
        }
    }
    t->nrows = nrows;
    return t;
}

/* ---- checking ---- */

/* 'len' bytes of 'src' in a fresh buffer of exactly that size (sanitizers see overreads). */
static unsigned char *exact_copy(const unsigned char *src, size_t len)
{
    unsigned char *p = malloc(len ? len : 1);

    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

static unsigned char *encode_ok(const ddf_table *t, size_t *len)
{
    unsigned char *blob = NULL;
    ddf_error err;

    ddf_error_init(&err);
    assert_int_equal(ddf_codec_encode(t, &blob, len, &err), DDF_OK);
    assert_non_null(blob);
    assert_int_equal(*len, ddf_codec_encoded_size(t));
    return blob;
}

/* The column.h invariants of a decoded table: exact lengths, null_count equal to the zero
 * bits, validity only with nulls, zero null slots, offsets from 0 without decrease. */
static void check_invariants(const ddf_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ddf_column *col = &t->columns[c];
        size_t nulls = 0;

        assert_non_null(t->names[c]);
        assert_int_equal(col->length, t->nrows);
        assert_true(col->capacity >= col->length);
        for (size_t r = 0; r < t->nrows; r++) {
            bool valid = ddf_column_is_valid(col, r);

            nulls += !valid;
            switch (col->dtype) {
            case DDF_DTYPE_BOOL:
                assert_true(col->values.b8[r] <= (valid ? 1 : 0));
                break;
            case DDF_DTYPE_INT64:
            case DDF_DTYPE_FLOAT64:
                if (!valid)
                    assert_int_equal(col->values.i64[r], 0);
                break;
            case DDF_DTYPE_STRING:
                assert_true(col->values.offsets[r + 1] >= col->values.offsets[r]);
                if (!valid)
                    assert_int_equal(col->values.offsets[r + 1], col->values.offsets[r]);
                break;
            case DDF_DTYPE_NULL:
                fail();
            }
        }
        assert_int_equal(col->null_count, nulls);
        assert_int_equal(col->validity == NULL, nulls == 0);
        if (col->dtype == DDF_DTYPE_STRING) {
            assert_non_null(col->values.offsets);
            assert_int_equal(col->values.offsets[0], 0);
            assert_true((size_t)col->values.offsets[t->nrows] <= col->bytes_capacity);
        }
    }
}

/* Decode 'blob' and return the table, which no longer needs the blob. */
static ddf_table *decode_ok(const unsigned char *blob, size_t len)
{
    unsigned char *copy = exact_copy(blob, len);
    ddf_table *t = NULL;
    ddf_error err;

    ddf_error_init(&err);
    assert_int_equal(ddf_codec_validate(copy, len, &err), DDF_OK);
    assert_int_equal(ddf_codec_decode(copy, len, &t, &err), DDF_OK);
    memset(copy, 0xa5, len); /* the table must not point into the blob */
    free(copy);
    assert_non_null(t);
    check_invariants(t);
    return t;
}

/* Encode 't', decode it, and check the copy equals it and re-encodes to the same bytes. */
static void roundtrip(const ddf_table *t)
{
    size_t len, len2;
    unsigned char *blob = encode_ok(t, &len);
    ddf_table *back = decode_ok(blob, len);
    unsigned char *blob2 = encode_ok(back, &len2);

    assert_true(ddf_table_equal(t, back));
    assert_int_equal(len2, len);
    assert_memory_equal(blob2, blob, len);
    ddf_free(blob2);
    ddf_table_free(back);
    ddf_free(blob);
}

/* Something to point at that is not NULL, so tests can see a function set *out = NULL. */
static ddf_table not_null_table;
static unsigned char not_null_byte;

/* Check that validating and decoding 'len' bytes of 'src' fail with 'code', 'msg' and
 * 'offset', allocating nothing. */
static void expect_error(const unsigned char *src, size_t len, int code, const char *msg,
                         int64_t offset)
{
    unsigned char *blob = exact_copy(src, len);
    ddf_table *t = &not_null_table;
    ddf_error err;

    ddf_error_init(&err);
    assert_int_equal(ddf_codec_validate(blob, len, &err), code);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.offset, offset);
    ddf_error_init(&err);
    ddf_test_fail_after(-1); /* count allocations */
    assert_int_equal(ddf_codec_decode(blob, len, &t, &err), code);
    assert_int_equal(ddf_test_alloc_count(), 0);
    assert_null(t);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.offset, offset);
    free(blob);
}

/* ---- the golden blob: the byte layout of docs/protocol.md, by hand ---- */

/* b bool [true, null], i int64 [-1, 258], f float64 [1.0, null], s string ["hi", ""]. */
static const unsigned char golden[] = {
    'D', 'D', 'F', 'T', 1, 0, 0, 0, /* magic, version 1, flags 0 */
    4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, /* 4 columns, 2 rows */
    /* 20: b */
    1, 0, 0, 0, 'b', 1, /* name length, name, dtype bool */
    1, 0, 0, 0, 0, 0, 0, 0, /* 26: null count 1 */
    0x01,                   /* 34: validity: row 0 valid, row 1 null */
    1, 0,                   /* 35: values; the null slot is 0 */
    /* 37: i */
    1, 0, 0, 0, 'i', 2, 0, 0, 0, 0, 0, 0, 0, 0,     /* no nulls, no bitmap */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* 51: -1 */
    2, 1, 0, 0, 0, 0, 0, 0,                         /* 59: 258 */
    /* 67: f */
    1, 0, 0, 0, 'f', 3, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, /* 81: validity */
    0, 0, 0, 0, 0, 0, 0xf0, 0x3f,                     /* 82: 1.0 */
    0, 0, 0, 0, 0, 0, 0, 0,                           /* 90: null slot, +0.0 */
    /* 98: s */
    1, 0, 0, 0, 's', 4, 0, 0, 0, 0, 0, 0, 0, 0, /* 104: null count 0 */
    0, 0, 0, 0, 0, 0, 0, 0,                     /* 112: offsets[0] */
    2, 0, 0, 0, 0, 0, 0, 0,                     /* 120: offsets[1] */
    2, 0, 0, 0, 0, 0, 0, 0,                     /* 128: offsets[2] */
    2, 0, 0, 0, 0, 0, 0, 0,                     /* 136: byte count */
    'h', 'i',                                   /* 144: bytes; 146 in all */
};

static ddf_table *golden_table(void)
{
    ddf_table *t = new_table(4);

    name_column(t, 0, "b", DDF_DTYPE_BOOL);
    name_column(t, 1, "i", DDF_DTYPE_INT64);
    name_column(t, 2, "f", DDF_DTYPE_FLOAT64);
    name_column(t, 3, "s", DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_bool(&t->columns[0], t->arena, true), DDF_OK);
    assert_int_equal(ddf_column_append_null(&t->columns[0], t->arena), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&t->columns[1], t->arena, -1), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&t->columns[1], t->arena, 258), DDF_OK);
    assert_int_equal(ddf_column_append_f64(&t->columns[2], t->arena, 1.0), DDF_OK);
    assert_int_equal(ddf_column_append_null(&t->columns[2], t->arena), DDF_OK);
    assert_int_equal(ddf_column_append_str(&t->columns[3], t->arena, "hi", 2), DDF_OK);
    assert_int_equal(ddf_column_append_str(&t->columns[3], t->arena, "", 0), DDF_OK);
    t->nrows = 2;
    return t;
}

/* A copy of the golden blob with 'n' bytes at 'at' replaced by 'bytes'. */
static unsigned char *golden_with(size_t at, const void *bytes, size_t n)
{
    unsigned char *blob = exact_copy(golden, sizeof(golden));

    memcpy(blob + at, bytes, n);
    return blob;
}

static void golden_u64(unsigned char *blob, size_t at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        blob[at + i] = (unsigned char)(v >> (8 * i));
}

static void golden_u32(unsigned char *blob, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        blob[at + i] = (unsigned char)(v >> (8 * i));
}

/* The golden blob with one byte changed must fail with 'code', 'msg' at 'offset'. */
static void expect_golden_byte_error(size_t at, unsigned char byte, int code, const char *msg,
                                     int64_t offset)
{
    unsigned char *blob = golden_with(at, &byte, 1);

    expect_error(blob, sizeof(golden), code, msg, offset);
    free(blob);
}

/* ---- round trips ---- */

static void test_codec_writes_the_documented_byte_layout(void **state)
{
    ddf_table *t = golden_table(), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    blob = encode_ok(t, &len);
    assert_int_equal(len, sizeof(golden));
    assert_memory_equal(blob, golden, sizeof(golden));
    back = decode_ok(golden, sizeof(golden));
    assert_true(ddf_table_equal(t, back));
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_roundtrips_every_dtype_with_nulls(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 70; n += 3) { /* bitmaps of every tail length */
        ddf_table *t = every_dtype_table(n, true);
        roundtrip(t);
        ddf_table_free(t);
    }
}

static void test_codec_roundtrips_every_dtype_without_nulls(void **state)
{
    ddf_table *t = every_dtype_table(100, false), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    roundtrip(t);
    blob = encode_ok(t, &len);
    back = decode_ok(blob, len);
    for (size_t c = 0; c < back->ncols; c++) {
        assert_null(back->columns[c].validity);
        assert_int_equal(back->columns[c].null_count, 0);
    }
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_roundtrips_a_large_table(void **state)
{
    ddf_table *t = every_dtype_table(20000, true); /* buffers in blocks of their own */

    (void)state;
    roundtrip(t);
    ddf_table_free(t);
}

static void test_codec_roundtrips_zero_rows_of_every_dtype(void **state)
{
    ddf_table *t = every_dtype_table(0, true), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    roundtrip(t);
    blob = encode_ok(t, &len);
    assert_int_equal(len, 20 + 4 * (4 + 1 + 1 + 8) + 8 + 8); /* string: offsets[0], count */
    back = decode_ok(blob, len);
    assert_int_equal(back->nrows, 0);
    assert_int_equal(back->columns[3].values.offsets[0], 0);
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_roundtrips_zero_columns(void **state)
{
    ddf_table *t = new_table(0), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    roundtrip(t);
    t->nrows = 7; /* a row count without columns: a count(*) result */
    roundtrip(t);
    blob = encode_ok(t, &len);
    assert_int_equal(len, 20);
    back = decode_ok(blob, len);
    assert_int_equal(back->ncols, 0);
    assert_int_equal(back->nrows, 7);
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_roundtrips_empty_strings_nul_and_control_bytes(void **state)
{
    static const char *const values[] = {"", "\0", "\0\0\0", "\x01\x02\x03", "\r\n", "",
                                         "\xff", "\x1b[0m", "a\0b\0"};
    static const size_t lens[] = {0, 1, 3, 3, 2, 0, 1, 4, 4};
    ddf_table *t = new_table(2), *back;
    unsigned char *blob;
    size_t len, n = sizeof(lens) / sizeof(lens[0]), got_len;

    (void)state;
    name_column(t, 0, "s", DDF_DTYPE_STRING);
    name_column(t, 1, "name with\ttab and \x01 control", DDF_DTYPE_STRING);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ddf_column_append_str(&t->columns[0], t->arena, values[i], lens[i]),
                         DDF_OK);
        assert_int_equal(ddf_column_append_str(&t->columns[1], t->arena, "", 0), DDF_OK);
    }
    t->nrows = n;
    roundtrip(t);
    blob = encode_ok(t, &len);
    back = decode_ok(blob, len);
    assert_string_equal(back->names[1], "name with\ttab and \x01 control");
    for (size_t i = 0; i < n; i++) {
        const char *got = ddf_column_str(&back->columns[0], i, &got_len);
        assert_int_equal(got_len, lens[i]);
        assert_memory_equal(got, values[i], lens[i]);
    }
    assert_null(back->columns[1].bytes); /* only empty strings: no byte buffer */
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static uint64_t bits_of(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

static double double_of(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

static void test_codec_keeps_nan_negative_zero_and_infinity_bit_exact(void **state)
{
    static const uint64_t bits[] = {
        0x7ff8000000000000u, /* quiet NaN */
        0xfff8000000000001u, /* negative NaN with a payload */
        0x7ff0000000000001u, /* signalling NaN */
        0x8000000000000000u, /* -0.0 */
        0x0000000000000000u, /* +0.0 */
        0x7ff0000000000000u, /* inf */
        0xfff0000000000000u, /* -inf */
        0x0000000000000001u, /* smallest subnormal */
        0x7fefffffffffffffu, /* DBL_MAX */
    };
    size_t n = sizeof(bits) / sizeof(bits[0]);
    ddf_table *t = new_table(1), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    name_column(t, 0, "f", DDF_DTYPE_FLOAT64);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ddf_column_append_f64(&t->columns[0], t->arena, double_of(bits[i])),
                         DDF_OK);
    t->nrows = n;
    roundtrip(t);
    blob = encode_ok(t, &len);
    back = decode_ok(blob, len);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bits_of(back->columns[0].values.f64[i]), bits[i]);
    assert_true(isnan(back->columns[0].values.f64[0]));
    assert_true(signbit(back->columns[0].values.f64[3]));
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_keeps_int64_min_and_max(void **state)
{
    static const int64_t values[] = {INT64_MIN, INT64_MAX, -1, 0, 1, INT64_MIN + 1};
    size_t n = sizeof(values) / sizeof(values[0]);
    ddf_table *t = new_table(1), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    name_column(t, 0, "i", DDF_DTYPE_INT64);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, values[i]), DDF_OK);
    t->nrows = n;
    blob = encode_ok(t, &len);
    assert_int_equal(blob[20 + 4 + 1 + 1 + 8 + 7], 0x80); /* INT64_MIN's top byte, last */
    back = decode_ok(blob, len);
    for (size_t i = 0; i < n; i++)
        assert_true(back->columns[0].values.i64[i] == values[i]);
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_omits_a_bitmap_without_nulls(void **state)
{
    ddf_table *t = every_dtype_table(10, false), *back;
    size_t plain = ddf_codec_encoded_size(t), len;
    unsigned char *blob;

    (void)state;
    for (size_t c = 0; c < t->ncols; c++) { /* all-valid bitmaps, as a kernel may leave */
        t->columns[c].validity = ddf_arena_alloc(t->arena, 2);
        assert_non_null(t->columns[c].validity);
        memset(t->columns[c].validity, 0xff, 2);
    }
    blob = encode_ok(t, &len);
    assert_int_equal(len, plain);
    back = decode_ok(blob, len);
    for (size_t c = 0; c < back->ncols; c++)
        assert_null(back->columns[c].validity);
    assert_true(ddf_table_equal(t, back));
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_writes_zero_under_nulls_whatever_memory_holds(void **state)
{
    ddf_table *t = every_dtype_table(6, true), *back;
    unsigned char *blob;
    size_t len;

    (void)state;
    /* Rows null: b 1 5, i 0 4, f 3 ((r + c) % 4 == 1). A kernel may leave garbage there. */
    t->columns[0].values.b8[1] = 1;
    t->columns[0].values.b8[2] = 7; /* a valid bool that is not 0/1 is written as 1 */
    t->columns[1].values.i64[4] = 12345;
    t->columns[2].values.f64[3] = -0.0;
    t->columns[0].validity[0] |= 0xc0; /* bits of rows 6 and 7, past the last row */
    blob = encode_ok(t, &len);
    back = decode_ok(blob, len);
    assert_int_equal(back->columns[0].values.b8[1], 0);
    assert_int_equal(back->columns[0].values.b8[2], 1);
    assert_int_equal(back->columns[1].values.i64[4], 0);
    assert_int_equal(bits_of(back->columns[2].values.f64[3]), 0);
    ddf_table_free(back);
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_decoded_columns_take_appends(void **state)
{
    (void)state;
    for (int nulls = 0; nulls < 2; nulls++) {
        ddf_table *t = every_dtype_table(13, nulls), *back;
        unsigned char *blob;
        size_t len, slen;
        const char *s;

        blob = encode_ok(t, &len);
        back = decode_ok(blob, len);
        for (int k = 0; k < 40; k++) { /* through several regrowths */
            ddf_column *col = back->columns;
            assert_int_equal(ddf_column_append_bool(&col[0], back->arena, true), DDF_OK);
            assert_int_equal(ddf_column_append_null(&col[1], back->arena), DDF_OK);
            assert_int_equal(ddf_column_append_f64(&col[2], back->arena, 0.5), DDF_OK);
            assert_int_equal(ddf_column_append_str(&col[3], back->arena, "xyz", 3), DDF_OK);
        }
        back->nrows += 40;
        for (size_t r = 0; r < 13; r++)
            for (size_t c = 0; c < 4; c++)
                assert_true(ddf_column_value_equal(&t->columns[c], r, &back->columns[c], r));
        assert_true(ddf_column_is_valid(&back->columns[1], 11));
        assert_false(ddf_column_is_valid(&back->columns[1], 13));
        assert_false(ddf_column_is_valid(&back->columns[1], 52));
        s = ddf_column_str(&back->columns[3], 52, &slen);
        assert_int_equal(slen, 3);
        assert_memory_equal(s, "xyz", 3);
        check_invariants(back);
        ddf_table_free(back);
        ddf_free(blob);
        ddf_table_free(t);
    }
}

/* ---- validation: one rule each, exact message and offset ---- */

static void test_codec_rejects_bad_magic(void **state)
{
    (void)state;
    expect_golden_byte_error(0, 'X', DDF_ECORRUPT,
                             "bad magic: not a ddf table blob (expected \"DDFT\")", 0);
    expect_golden_byte_error(3, 't', DDF_ECORRUPT,
                             "bad magic: not a ddf table blob (expected \"DDFT\")", 0);
}

static void test_codec_rejects_a_future_version_and_unknown_flags(void **state)
{
    (void)state;
    expect_golden_byte_error(4, 2, DDF_EVERSION,
                             "unsupported blob version 2 (this build reads version 1)", 4);
    expect_golden_byte_error(5, 1, DDF_EVERSION,
                             "unsupported blob version 257 (this build reads version 1)", 4);
    expect_golden_byte_error(4, 0, DDF_EVERSION,
                             "unsupported blob version 0 (this build reads version 1)", 4);
    expect_golden_byte_error(7, 0x80, DDF_EVERSION,
                             "unsupported blob flags 0x8000 (version 1 defines none)", 6);
}

static void test_codec_rejects_counts_over_their_limits(void **state)
{
    unsigned char *blob = exact_copy(golden, sizeof(golden));

    (void)state;
    golden_u32(blob, 8, DDF_MAX_COLUMNS + 1);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column count 4097 is over the limit of 4096", 8);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 12, DDF_MAX_ROWS + 1);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "row count 1099511627777 is over the limit of 1099511627776", 12);
    memcpy(blob, golden, sizeof(golden));
    golden_u32(blob, 67, DDF_MAX_NAME_BYTES + 1);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column 2: name length 1025 is over the limit of 1024", 67);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 26, 3);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column 0: null count 3 is more than the 2 rows", 26);
    free(blob);
}

static void test_codec_rejects_huge_declared_lengths_without_allocating(void **state)
{
    unsigned char *blob = exact_copy(golden, sizeof(golden));

    (void)state;
    golden_u64(blob, 12, DDF_MAX_ROWS); /* at the limit: the bitmap is what is too long */
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "truncated blob: column 0 validity bitmap: 137438953472 bytes at offset 34, "
                 "only 112 remain",
                 34);
    memcpy(blob, golden, sizeof(golden));
    golden_u32(blob, 20, DDF_MAX_NAME_BYTES);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "truncated blob: column 0 name: 1024 bytes at offset 24, only 122 remain", 24);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 136, UINT64_MAX);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "truncated blob: column 3 string bytes: 18446744073709551615 bytes at offset "
                 "144, only 2 remain",
                 144);
    memcpy(blob, golden, sizeof(golden));
    golden_u32(blob, 8, DDF_MAX_COLUMNS);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "truncated blob: column 4 name length: 4 bytes at offset 146, only 0 remain",
                 146);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 12, UINT64_MAX / 8); /* (nrows + 1) * 8 would wrap if multiplied */
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "row count 2305843009213693951 is over the limit of 1099511627776", 12);
    free(blob);
}

static void test_codec_accepts_the_largest_row_count_without_columns(void **state)
{
    unsigned char blob[20] = {'D', 'D', 'F', 'T', 1, 0, 0, 0, 0, 0, 0, 0};
    ddf_table *t;

    (void)state;
    golden_u64(blob, 12, DDF_MAX_ROWS);
    t = decode_ok(blob, sizeof(blob));
    assert_int_equal(t->nrows, DDF_MAX_ROWS);
    ddf_table_free(t);
}

static void test_codec_rejects_an_unknown_dtype(void **state)
{
    (void)state;
    expect_golden_byte_error(25, 0, DDF_ECORRUPT, "column 0: unknown dtype 0", 25);
    expect_golden_byte_error(42, 5, DDF_ECORRUPT, "column 1: unknown dtype 5", 42);
    expect_golden_byte_error(103, 0xff, DDF_ECORRUPT, "column 3: unknown dtype 255", 103);
}

static void test_codec_rejects_a_nul_byte_in_a_column_name(void **state)
{
    (void)state;
    expect_golden_byte_error(71, 0, DDF_ECORRUPT, "column 2: name holds a NUL byte", 71);
}

static void test_codec_rejects_bool_value_2(void **state)
{
    ddf_error err;
    unsigned char bad = 2;
    unsigned char *blob = golden_with(35, &bad, 1);

    (void)state;
    expect_error(blob, sizeof(golden), DDF_ECORRUPT, "column 0 row 0: bool value 2 is not 0 or 1",
                 35);
    ddf_error_init(&err);
    assert_int_equal(ddf_codec_validate(blob, sizeof(golden), &err), DDF_ECORRUPT);
    assert_int_equal(err.column, 1); /* 1-based, as error.h says */
    free(blob);
}

static void test_codec_rejects_a_value_in_a_null_slot(void **state)
{
    (void)state;
    expect_golden_byte_error(36, 1, DDF_ECORRUPT, "column 0 row 1: null row holds a value", 36);
    expect_golden_byte_error(97, 0x80, DDF_ECORRUPT, /* -0.0 is not the null slot's +0.0 */
                             "column 2 row 1: null row holds a value", 90);
}

static void test_codec_rejects_a_null_string_with_bytes(void **state)
{
    /* s with row 1 null but spanning a byte: null count 1, bitmap 0x01, offsets 0 1 2. */
    ddf_table *t = new_table(1);
    unsigned char *blob;
    size_t len;

    (void)state;
    name_column(t, 0, "s", DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&t->columns[0], t->arena, "a", 1), DDF_OK);
    assert_int_equal(ddf_column_append_str(&t->columns[0], t->arena, "b", 1), DDF_OK);
    t->nrows = 2;
    blob = encode_ok(t, &len); /* 20 + 4+1+1+8 + 24 + 8 + 2 */
    assert_int_equal(len, 68);
    {
        unsigned char bad[69];
        memcpy(bad, blob, 34);
        golden_u64(bad, 26, 1); /* null count */
        bad[34] = 0x01;         /* row 1 null */
        memcpy(bad + 35, blob + 34, len - 34);
        expect_error(bad, sizeof(bad), DDF_ECORRUPT, "column 0 row 1: null row holds a value",
                     35 + 16);
    }
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_rejects_non_monotonic_offsets(void **state)
{
    unsigned char *blob = exact_copy(golden, sizeof(golden));

    (void)state;
    golden_u64(blob, 120, 3); /* offsets 0 3 2 */
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column 3 row 1: string offset 2 is below the previous 3", 128);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 120, UINT64_MAX); /* a "negative" int64 offset */
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column 3 row 1: string offset 2 is below the previous 18446744073709551615",
                 128);
    memcpy(blob, golden, sizeof(golden));
    golden_u64(blob, 112, 1);
    expect_error(blob, sizeof(golden), DDF_ECORRUPT, "column 3: first string offset is 1, not 0",
                 112);
    free(blob);
}

static void test_codec_rejects_a_byte_count_that_differs_from_the_last_offset(void **state)
{
    unsigned char *blob = exact_copy(golden, sizeof(golden));

    (void)state;
    golden_u64(blob, 136, 1); /* 1 byte, then 1 trailing: the offsets disagree first */
    expect_error(blob, sizeof(golden), DDF_ECORRUPT,
                 "column 3: string byte count 1 differs from the last offset 2", 136);
    free(blob);
}

static void test_codec_rejects_a_bitmap_that_disagrees_with_the_null_count(void **state)
{
    (void)state;
    expect_golden_byte_error(34, 0x00, DDF_ECORRUPT,
                             "column 0: validity bitmap has 2 nulls, the null count says 1", 34);
    expect_golden_byte_error(81, 0x03, DDF_ECORRUPT,
                             "column 2: validity bitmap has 0 nulls, the null count says 1", 81);
    expect_golden_byte_error(34, 0x05, DDF_ECORRUPT,
                             "column 0: validity bitmap has bits set past the last row", 34);
}

static void test_codec_rejects_trailing_bytes(void **state)
{
    unsigned char longer[sizeof(golden) + 3];

    (void)state;
    memcpy(longer, golden, sizeof(golden));
    memset(longer + sizeof(golden), 0, 3);
    expect_error(longer, sizeof(longer), DDF_ECORRUPT,
                 "trailing data after the last column (3 bytes)", sizeof(golden));
}

static void test_codec_rejects_a_blob_over_the_size_limit(void **state)
{
    unsigned char *big = calloc(1, DDF_MAX_BLOB_BYTES + 1); /* untouched pages: cheap */
    ddf_table *t = NULL;
    ddf_error err;

    (void)state;
    assert_non_null(big);
    memcpy(big, golden, sizeof(golden));
    ddf_error_init(&err);
    assert_int_equal(ddf_codec_validate(big, DDF_MAX_BLOB_BYTES + 1, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg, "blob of 94371841 bytes is over the limit of 94371840");
    assert_int_equal(ddf_codec_decode(big, DDF_MAX_BLOB_BYTES + 1, &t, &err), DDF_ETOOBIG);
    assert_null(t);
    free(big);
}

static void test_codec_rejects_truncation_at_every_byte(void **state)
{
    ddf_table *t = every_dtype_table(19, true);
    unsigned char *full;
    size_t len;

    (void)state;
    full = encode_ok(t, &len);
    for (int which = 0; which < 2; which++) {
        const unsigned char *src = which ? golden : full;
        size_t n = which ? sizeof(golden) : len;

        for (size_t cut = 0; cut < n; cut++) {
            unsigned char *blob = exact_copy(src, cut);
            ddf_table *out = NULL;
            ddf_error err;

            ddf_error_init(&err);
            assert_int_equal(ddf_codec_validate(blob, cut, &err), DDF_ECORRUPT);
            assert_true(strncmp(err.msg, "truncated blob: ", 16) == 0);
            assert_true(err.offset >= 0 && (size_t)err.offset <= cut);
            ddf_test_fail_after(-1);
            assert_int_equal(ddf_codec_decode(blob, cut, &out, &err), DDF_ECORRUPT);
            assert_null(out);
            assert_int_equal(ddf_test_alloc_count(), 0);
            free(blob);
        }
    }
    ddf_alloc_set(NULL);
    ddf_free(full);
    ddf_table_free(t);
}

/* xorshift64*: a fixed sequence on every platform. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1du;
}

static void test_codec_survives_20000_random_corruptions(void **state)
{
    ddf_table *t = every_dtype_table(11, true);
    unsigned char *orig, *blob;
    uint64_t seed = 0x5eed2024u;
    long decoded = 0, refused = 0;
    size_t len;

    (void)state;
    orig = encode_ok(t, &len);
    blob = exact_copy(orig, len);
    for (int k = 0; k < 20000; k++) {
        uint64_t r = next_random(&seed);
        size_t at = (size_t)(r % len);
        ddf_table *out = NULL;
        ddf_error err;
        int rc;

        memcpy(blob, orig, len);
        if (k % 4 != 3) {
            blob[at] ^= (unsigned char)(1 + (r >> 32) % 255); /* one byte, never unchanged */
        } else {
            /* A field-sized overwrite with an extreme or random value: hits lengths. */
            static const uint64_t extremes[] = {0, 1, 0xff, 0x7fffffff, 0xffffffff,
                                                DDF_MAX_ROWS, UINT64_MAX, UINT64_MAX / 8};
            uint64_t v = (r >> 40) % 2 ? extremes[(r >> 41) % 8] : next_random(&seed);
            size_t width = (r >> 48) % 2 ? 8 : 4;
            for (size_t i = 0; i < width && at + i < len; i++)
                blob[at + i] = (unsigned char)(v >> (8 * i));
        }
        ddf_error_init(&err);
        ddf_test_fail_after(-1);
        rc = ddf_codec_decode(blob, len, &out, &err);
        if (rc == DDF_OK) {
            unsigned char *again;
            size_t again_len;

            ddf_alloc_set(NULL);
            assert_int_equal(ddf_codec_validate(blob, len, &err), DDF_OK);
            check_invariants(out);
            again = encode_ok(out, &again_len); /* canonical: the same bytes */
            assert_int_equal(again_len, len);
            assert_memory_equal(again, blob, len);
            ddf_free(again);
            ddf_table_free(out);
            decoded++;
        } else {
            assert_true(rc == DDF_ECORRUPT || rc == DDF_EVERSION);
            assert_null(out);
            assert_int_equal(ddf_test_alloc_count(), 0);
            assert_true(err.msg[0] != '\0');
            assert_true(err.offset >= 0 && (size_t)err.offset <= len);
            assert_int_equal(ddf_codec_validate(blob, len, &err), rc);
            refused++;
        }
    }
    ddf_alloc_set(NULL);
    assert_true(decoded > 1000); /* value bytes: corrupt data that is still a table */
    assert_true(refused > 1000);
    free(blob);
    ddf_free(orig);
    ddf_table_free(t);
}

/* ---- encoding failures ---- */

static void test_codec_refuses_to_encode_a_name_over_the_limit(void **state)
{
    static char name[DDF_MAX_NAME_BYTES + 2];
    ddf_table *t = new_table(1);
    unsigned char *blob = &not_null_byte;
    size_t len = 99;
    ddf_error err;

    (void)state;
    memset(name, 'n', DDF_MAX_NAME_BYTES + 1);
    name_column(t, 0, name, DDF_DTYPE_INT64);
    ddf_error_init(&err);
    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg, "column 0: name of 1025 bytes is over the limit of 1024");
    assert_null(blob);
    assert_int_equal(len, 0);
    ddf_table_free(t);
}

static void test_codec_refuses_to_encode_a_table_over_the_blob_limit(void **state)
{
    size_t big = DDF_MAX_BLOB_BYTES - 20 - (4 + 1 + 1 + 8) - 16 - 8 + 1; /* one byte over */
    char *value = calloc(1, big);
    ddf_table *t = new_table(1);
    unsigned char *blob = NULL;
    size_t len;
    ddf_error err;

    (void)state;
    assert_non_null(value);
    name_column(t, 0, "s", DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&t->columns[0], t->arena, value, big), DDF_OK);
    t->nrows = 1;
    assert_int_equal(ddf_codec_encoded_size(t), DDF_MAX_BLOB_BYTES + 1);
    ddf_error_init(&err);
    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg,
                        "table encodes to 94371841 bytes, over the blob limit of 94371840");
    assert_null(blob);
    ddf_table_free(t);
    free(value);
}

static void test_codec_refuses_to_encode_a_malformed_table(void **state)
{
    ddf_table *t = every_dtype_table(3, true);
    unsigned char *blob = NULL;
    size_t len;
    ddf_error err;

    (void)state;
    t->nrows = 4; /* columns have 3 rows */
    ddf_error_init(&err);
    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "column 0 has 3 rows, the table 4");
    assert_null(blob);
    t->nrows = 3;
    /* s: row 2 is null ((2 + 3) % 4 == 1); make it span the bytes of row 1. */
    t->columns[3].values.offsets[2] = 0;
    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "column 3: a null row holds string bytes");
    assert_null(blob);
    ddf_table_free(t);
}

/* ---- allocation failures ---- */

static void test_codec_failed_decode_returns_enomem_and_leaks_nothing(void **state)
{
    ddf_table *t = every_dtype_table(3000, true), *out;
    unsigned char *blob;
    size_t len;
    long n;
    int rc;

    (void)state;
    blob = encode_ok(t, &len);
    for (n = 0;; n++) {
        ddf_error err;

        ddf_error_init(&err);
        ddf_test_fail_after(n);
        track_start(); /* on top of the failing allocator */
        out = &not_null_table;
        rc = ddf_codec_decode(blob, len, &out, &err);
        if (rc == DDF_OK)
            break;
        assert_int_equal(rc, DDF_ENOMEM);
        assert_true(ddf_test_alloc_failed());
        assert_null(out);
        assert_true(strncmp(err.msg, "out of memory", 13) == 0);
        assert_int_equal(live_blocks, 0);
    }
    assert_false(ddf_test_alloc_failed());
    assert_true(ddf_table_equal(t, out));
    ddf_table_free(out);
    assert_int_equal(live_blocks, 0);
    ddf_alloc_set(NULL);
    assert_true(n >= 6); /* table, arena, name chunk and the dedicated column buffers */
    ddf_free(blob);
    ddf_table_free(t);
}

static void test_codec_failed_encode_returns_enomem_and_leaks_nothing(void **state)
{
    ddf_table *t = every_dtype_table(50, true);
    unsigned char *blob;
    char want[64];
    size_t len;
    long n;
    int rc;

    (void)state;
    snprintf(want, sizeof(want), "out of memory for a blob of %zu bytes",
             ddf_codec_encoded_size(t));
    for (n = 0;; n++) {
        ddf_error err;

        ddf_error_init(&err);
        ddf_test_fail_after(n);
        track_start();
        blob = &not_null_byte;
        rc = ddf_codec_encode(t, &blob, &len, &err);
        if (rc == DDF_OK)
            break;
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(blob);
        assert_string_equal(err.msg, want);
        assert_int_equal(live_blocks, 0);
    }
    assert_int_equal(n, 1); /* the blob is the encoder's one allocation */
    assert_int_equal(live_blocks, 1);
    ddf_free(blob);
    assert_int_equal(live_blocks, 0);
    ddf_alloc_set(NULL);
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_writes_the_documented_byte_layout),
        cmocka_unit_test(test_codec_roundtrips_every_dtype_with_nulls),
        cmocka_unit_test(test_codec_roundtrips_every_dtype_without_nulls),
        cmocka_unit_test(test_codec_roundtrips_a_large_table),
        cmocka_unit_test(test_codec_roundtrips_zero_rows_of_every_dtype),
        cmocka_unit_test(test_codec_roundtrips_zero_columns),
        cmocka_unit_test(test_codec_roundtrips_empty_strings_nul_and_control_bytes),
        cmocka_unit_test(test_codec_keeps_nan_negative_zero_and_infinity_bit_exact),
        cmocka_unit_test(test_codec_keeps_int64_min_and_max),
        cmocka_unit_test(test_codec_omits_a_bitmap_without_nulls),
        cmocka_unit_test(test_codec_writes_zero_under_nulls_whatever_memory_holds),
        cmocka_unit_test(test_codec_decoded_columns_take_appends),
        cmocka_unit_test_teardown(test_codec_rejects_bad_magic, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_a_future_version_and_unknown_flags,
                                  restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_counts_over_their_limits, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_huge_declared_lengths_without_allocating,
                                  restore_libc),
        cmocka_unit_test(test_codec_accepts_the_largest_row_count_without_columns),
        cmocka_unit_test_teardown(test_codec_rejects_an_unknown_dtype, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_a_nul_byte_in_a_column_name, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_bool_value_2, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_a_value_in_a_null_slot, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_a_null_string_with_bytes, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_non_monotonic_offsets, restore_libc),
        cmocka_unit_test_teardown(
            test_codec_rejects_a_byte_count_that_differs_from_the_last_offset, restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_a_bitmap_that_disagrees_with_the_null_count,
                                  restore_libc),
        cmocka_unit_test_teardown(test_codec_rejects_trailing_bytes, restore_libc),
        cmocka_unit_test(test_codec_rejects_a_blob_over_the_size_limit),
        cmocka_unit_test_teardown(test_codec_rejects_truncation_at_every_byte, restore_libc),
        cmocka_unit_test_teardown(test_codec_survives_20000_random_corruptions, restore_libc),
        cmocka_unit_test(test_codec_refuses_to_encode_a_name_over_the_limit),
        cmocka_unit_test(test_codec_refuses_to_encode_a_table_over_the_blob_limit),
        cmocka_unit_test(test_codec_refuses_to_encode_a_malformed_table),
        cmocka_unit_test_teardown(test_codec_failed_decode_returns_enomem_and_leaks_nothing,
                                  restore_libc),
        cmocka_unit_test_teardown(test_codec_failed_encode_returns_enomem_and_leaks_nothing,
                                  restore_libc),
    };

    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
