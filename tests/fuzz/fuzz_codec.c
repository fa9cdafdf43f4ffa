/* fuzz_codec.c - libFuzzer target for the table codec (DESIGN §9 "Fuzz targets").
 *
 * The first byte picks the mode; the rest is its input.
 *
 * Even: decode. The rest is a blob from a peer we do not trust. ddf_codec_validate and
 *   ddf_codec_decode must agree (status, message, offset, column). A blob that decodes is
 *   canonical (docs/protocol.md, "Canonical form"), so it must re-encode to the same bytes,
 *   and the decoded table must keep the invariants codec.h promises (capacity == length,
 *   validity only when there are nulls, zero under nulls).
 *
 * Odd: build. The rest describes a small table (below), which is encoded, validated,
 *   decoded and compared with ddf_table_equal; the decoded table must re-encode to the
 *   same bytes, every strict prefix of the blob and the blob plus one byte must fail to
 *   validate. Options let the value slots under nulls hold garbage (the encoder writes
 *   zeros whatever memory holds) and encode a view that starts at row 8k (string offsets
 *   not starting at 0, the encoder's rebasing path).
 *
 *   u8 flags    bits 0-2 ncols, bit 3 garbage under nulls, bit 4 also encode a view,
 *               bit 5 nrows is 16 times the next byte (at most MAX_CELLS / ncols)
 *   u8 nrows    (or nrows / 16)
 *   per column  u8 dtype (1 + b % 4), u8 name length (b % 8), the name bytes (NUL -> '_'),
 *               then per row u8 ctl: ctl % 4 == 0 is a null; else a value from ctl and
 *               what follows: bool ctl bit 2; int64 8 bytes; float64 ctl bit 2 ? 8 bytes
 *               of bits : one of a few special values; string (ctl >> 2) % 16 bytes
 *   u8 view     the view starts at row 8 * (b % (nrows / 8 + 1))
 *
 * Input that runs out reads as zeros. Any broken rule aborts. */
#include "codec.h"

#include "alloc.h"
#include "limits.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CELLS 2048 /* rows times columns of a built table: keeps a run fast */

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_codec: %s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* ---- checks shared by both modes ---- */

/* Encode 't' (which must be encodable); the caller ddf_frees *blob. */
static void encode(const ddf_table *t, unsigned char **blob, size_t *len)
{
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_codec_encode(t, blob, len, &err);
    CHECK(rc == DDF_OK, "encode: %s: %s", ddf_err_name(rc), err.msg);
    CHECK(*len == ddf_codec_encoded_size(t), "encoded_size %zu, encode wrote %zu",
          ddf_codec_encoded_size(t), *len);
}

/* What codec.h promises of a decoded table. */
static void check_decoded(const ddf_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ddf_column *col = &t->columns[c];
        size_t nulls = 0;

        CHECK(col->length == t->nrows && col->capacity == col->length,
              "col %zu: length %zu, capacity %zu, nrows %zu", c, col->length, col->capacity,
              t->nrows);
        CHECK((col->validity != NULL) == (col->null_count > 0),
              "col %zu: validity %p with null_count %zu", c, (void *)col->validity,
              col->null_count);
        CHECK(t->names[c] != NULL && strlen(t->names[c]) <= DDF_MAX_NAME_BYTES,
              "col %zu: bad name", c);
        CHECK(col->dtype == DDF_DTYPE_STRING || t->nrows == 0 || col->values.i64 != NULL,
              "col %zu: no values", c);
        CHECK(col->dtype != DDF_DTYPE_STRING || col->values.offsets != NULL,
              "col %zu: string column without offsets", c);
        for (size_t r = 0; r < t->nrows; r++) {
            bool valid = ddf_column_is_valid(col, r);
            nulls += !valid;
            switch (col->dtype) {
            case DDF_DTYPE_BOOL:
                CHECK(col->values.b8[r] <= (valid ? 1 : 0), "col %zu row %zu: bool %u", c, r,
                      (unsigned)col->values.b8[r]);
                break;
            case DDF_DTYPE_INT64:
            case DDF_DTYPE_FLOAT64:
                CHECK(valid || col->values.i64[r] == 0, "col %zu row %zu: value under null",
                      c, r);
                break;
            case DDF_DTYPE_STRING:
                CHECK(col->values.offsets[r + 1] >= col->values.offsets[r] &&
                          (valid || col->values.offsets[r + 1] == col->values.offsets[r]),
                      "col %zu row %zu: bad string offsets", c, r);
                break;
            case DDF_DTYPE_NULL:
                CHECK(false, "col %zu: dtype null", c);
                break;
            }
        }
        CHECK(nulls == col->null_count, "col %zu: null_count %zu, bitmap %zu", c,
              col->null_count, nulls);
        if (col->dtype == DDF_DTYPE_STRING)
            CHECK(col->values.offsets[0] == 0 &&
                      (size_t)col->values.offsets[t->nrows] == col->bytes_capacity,
                  "col %zu: string offsets do not span the bytes", c);
    }
}

/* Decode 'blob' (which must be valid), check the table and that it re-encodes to 'blob'.
 * Returns the table (caller frees). */
static ddf_table *decode_canonical(const unsigned char *blob, size_t len)
{
    unsigned char *again;
    size_t again_len;
    ddf_table *t;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_codec_decode(blob, len, &t, &err);
    CHECK(rc == DDF_OK, "decode: %s: %s", ddf_err_name(rc), err.msg);
    check_decoded(t);
    encode(t, &again, &again_len);
    CHECK(again_len == len && memcmp(again, blob, len) == 0,
          "not canonical: %zu bytes re-encode to %zu different bytes", len, again_len);
    ddf_free(again);
    return t;
}

/* ---- mode 0: decode untrusted bytes ---- */

static void fuzz_decode(const uint8_t *buf, size_t len)
{
    ddf_error ev, ed;
    ddf_table *t = (ddf_table *)1; /* decode must set it */
    int rv, rd;

    ddf_error_init(&ev);
    ddf_error_init(&ed);
    rv = ddf_codec_validate(buf, len, &ev);
    rd = ddf_codec_decode(buf, len, &t, &ed);
    CHECK(rv == rd, "validate %s (%s), decode %s (%s)", ddf_err_name(rv), ev.msg,
          ddf_err_name(rd), ed.msg);
    if (rd < 0) {
        CHECK(t == NULL, "failed decode left a table");
        CHECK(rv == DDF_ECORRUPT || rv == DDF_EVERSION, "unexpected error %s: %s",
              ddf_err_name(rv), ev.msg);
        CHECK(ev.offset == ed.offset && ev.column == ed.column &&
                  strcmp(ev.msg, ed.msg) == 0,
              "validate and decode disagree: '%s' at %lld, '%s' at %lld", ev.msg,
              (long long)ev.offset, ed.msg, (long long)ed.offset);
        CHECK(ev.offset >= 0 && (size_t)ev.offset <= len, "error offset %lld of %zu bytes",
              (long long)ev.offset, len);
        return;
    }
    ddf_table_free(t);
    t = decode_canonical(buf, len);
    ddf_table_free(t);
}

/* ---- mode 1: build a table, round-trip it ---- */

typedef struct byte_src {
    const uint8_t *p;
    size_t left;
} byte_src;

static uint8_t take_u8(byte_src *s)
{
    if (s->left == 0)
        return 0;
    s->left--;
    return *s->p++;
}

static uint64_t take_u64(byte_src *s)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)take_u8(s) << (8 * i);
    return v;
}

static double special_f64(unsigned k)
{
    static const uint64_t bits[] = {
        0x0000000000000000ull, /* +0.0 */
        0x8000000000000000ull, /* -0.0 */
        0x7ff8000000000000ull, /* quiet NaN */
        0xfff8000000000001ull, /* negative NaN with a payload */
        0x7ff0000000000000ull, /* +inf */
        0x0000000000000001ull, /* smallest subnormal */
        0x3ff0000000000000ull, /* 1.0 */
        0xc00921fb54442d18ull, /* -pi */
    };
    double d;

    memcpy(&d, &bits[k % 8], sizeof(d));
    return d;
}

static void append_row(ddf_table *t, ddf_column *col, byte_src *s)
{
    uint8_t ctl = take_u8(s);
    char str[16];
    uint64_t bits;
    double d;
    size_t len;
    int rc;

    if (ctl % 4 == 0) {
        rc = ddf_column_append_null(col, t->arena);
    } else {
        switch (col->dtype) {
        case DDF_DTYPE_BOOL:
            rc = ddf_column_append_bool(col, t->arena, (ctl >> 2) & 1);
            break;
        case DDF_DTYPE_INT64:
            rc = ddf_column_append_i64(col, t->arena, (int64_t)take_u64(s));
            break;
        case DDF_DTYPE_FLOAT64:
            if (ctl & 4) {
                bits = take_u64(s);
                memcpy(&d, &bits, sizeof(d));
            } else {
                d = special_f64(ctl >> 3);
            }
            rc = ddf_column_append_f64(col, t->arena, d);
            break;
        case DDF_DTYPE_STRING:
        default:
            len = (size_t)(ctl >> 2) % sizeof(str);
            for (size_t i = 0; i < len; i++)
                str[i] = (char)take_u8(s);
            rc = ddf_column_append_str(col, t->arena, str, len);
            break;
        }
    }
    CHECK(rc == DDF_OK, "append: %s", ddf_err_name(rc));
}

/* Write garbage into the value slots of null rows (not strings: a null string that holds
 * bytes is a malformed table, which encode refuses). */
static void spoil_null_slots(ddf_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        ddf_column *col = &t->columns[c];
        for (size_t r = 0; r < t->nrows; r++) {
            if (ddf_column_is_valid(col, r))
                continue;
            if (col->dtype == DDF_DTYPE_BOOL)
                col->values.b8[r] = 0xa5;
            else if (col->dtype == DDF_DTYPE_INT64 || col->dtype == DDF_DTYPE_FLOAT64)
                col->values.i64[r] = (int64_t)0xa5a5a5a5a5a5a5a5ull;
        }
    }
}

static ddf_table *build_table(byte_src *s, uint8_t flags)
{
    size_t ncols = flags & 7, nrows;
    ddf_table *t = ddf_table_new(ncols);

    CHECK(t != NULL, "ddf_table_new(%zu) failed", ncols);
    nrows = take_u8(s);
    if (flags & 32)
        nrows *= 16;
    if (ncols && nrows > MAX_CELLS / ncols)
        nrows = MAX_CELLS / ncols; /* input that runs out would build big all-null tables */
    for (size_t c = 0; c < ncols; c++) {
        ddf_dtype dtype = (ddf_dtype)(1 + take_u8(s) % 4);
        size_t name_len = take_u8(s) % 8;
        char name[8];

        for (size_t i = 0; i < name_len; i++) {
            name[i] = (char)take_u8(s);
            if (name[i] == '\0')
                name[i] = '_'; /* names are C strings */
        }
        CHECK(ddf_table_set_column(t, c, name, name_len, dtype) == DDF_OK, "set_column");
        for (size_t r = 0; r < nrows; r++)
            append_row(t, &t->columns[c], s);
    }
    t->nrows = nrows;
    return t;
}

/* A table that views rows [start, nrows) of 'src' (start a multiple of 8, so the bitmap
 * needs no shift): its column structs point into src's buffers; freeing it frees only its
 * own arena (names, column structs). */
static ddf_table *make_view(const ddf_table *src, size_t start)
{
    ddf_table *v = ddf_table_new(src->ncols);

    CHECK(v != NULL && start % 8 == 0 && start <= src->nrows, "make_view");
    v->nrows = src->nrows - start;
    for (size_t c = 0; c < src->ncols; c++) {
        const ddf_column *sc = &src->columns[c];
        ddf_column *vc = &v->columns[c];

        CHECK(ddf_table_set_column(v, c, src->names[c], strlen(src->names[c]), sc->dtype) ==
                  DDF_OK,
              "set_column");
        *vc = *sc;
        vc->length = vc->capacity = v->nrows;
        if (sc->validity)
            vc->validity = sc->validity + start / 8;
        if (sc->values.i64) { /* a string column never appended to has no offsets */
            if (sc->dtype == DDF_DTYPE_BOOL)
                vc->values.b8 = sc->values.b8 + start;
            else
                vc->values.i64 = sc->values.i64 + start; /* also f64, offsets */
        }
        vc->null_count = 0;
        for (size_t r = 0; r < v->nrows; r++)
            vc->null_count += !ddf_column_is_valid(vc, r);
    }
    return v;
}

/* Encode 't', then: the blob validates, decodes to an equal table, is canonical, and
 * no strict prefix nor the blob plus a byte is valid. */
static void round_trip(const ddf_table *t, uint8_t cut)
{
    unsigned char *blob, *longer;
    size_t len;
    ddf_table *back;
    ddf_error err;
    int rc;

    encode(t, &blob, &len);
    ddf_error_init(&err);
    rc = ddf_codec_validate(blob, len, &err);
    CHECK(rc == DDF_OK, "our own blob does not validate: %s", err.msg);
    back = decode_canonical(blob, len);
    CHECK(ddf_table_equal(t, back), "decode(encode(t)) differs from t");
    ddf_table_free(back);

    rc = ddf_codec_validate(blob, len - 1, &err);
    CHECK(rc == DDF_ECORRUPT, "blob minus its last byte: %s", ddf_err_name(rc));
    rc = ddf_codec_validate(blob, len * cut / 256, &err);
    CHECK(rc == DDF_ECORRUPT, "blob cut to %zu of %zu bytes: %s", len * cut / 256, len,
          ddf_err_name(rc));
    longer = ddf_malloc(len + 1);
    CHECK(longer != NULL, "out of memory");
    memcpy(longer, blob, len);
    longer[len] = cut;
    rc = ddf_codec_validate(longer, len + 1, &err);
    CHECK(rc == DDF_ECORRUPT, "blob plus a byte: %s", ddf_err_name(rc));
    ddf_free(longer);
    ddf_free(blob);
}

static void fuzz_build(const uint8_t *buf, size_t len)
{
    byte_src s = {buf, len};
    uint8_t flags = take_u8(&s);
    ddf_table *t = build_table(&s, flags);
    uint8_t view_at = take_u8(&s);

    if (flags & 8)
        spoil_null_slots(t);
    round_trip(t, view_at);
    if (flags & 16) {
        ddf_table *v = make_view(t, 8 * (view_at % (t->nrows / 8 + 1)));
        round_trip(v, view_at);
        ddf_table_free(v);
    }
    ddf_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return -1;
    if (data[0] & 1)
        fuzz_build(data + 1, size - 1);
    else
        fuzz_decode(data + 1, size - 1);
    return 0;
}
