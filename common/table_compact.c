/* table_compact.c - rebuild a parsed partition with exact-size buffers and dictionary
 * string columns (see table_compact.h).
 *
 * In place, in the table's own arena: each column buffer is a dedicated arena block
 * (parsing grew it with ddf_arena_realloc), so ddf_arena_shrink gives its slack back to
 * the heap without copying a byte (glibc shrinks a block where it is; an mmapped one with
 * mremap). Copying the table into a fresh arena, the first version, cost a third more
 * parse time in page faults and memcpy for the same result.
 *
 * A string column first goes through a dictionary builder: an open-addressing table of
 * the distinct strings met so far (pointers into the column), giving each row its code in
 * a scratch array shared by all columns. The builder gives up at a checkpoint when the
 * column looks high-cardinality, or at the entry bound; the column is then only shrunk,
 * so a unique-valued column costs the first checkpoint's hashing. A column that is worth it gets its codes
 * and dictionary as new blocks, and its old offsets and bytes are freed
 * (ddf_arena_release).
 *
 * A column with nulls gets the empty string as entry 0 before any row: a null row's
 * string is "" in the plain layout, so it takes code 0, and a null row of the dictionary
 * column still reads as "" (column.h). */
#include "table_compact.h"

#include "alloc.h"
#include "hash.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A string up to 16 bytes long is identified by its length and two words (key_words),
 * so probing compares them and never reads the column's bytes, which for 10,000 products
 * are 10,000 cache lines scattered over the column: most category values are short. */
#define INLINE_BYTES 16

typedef struct dict_entry {
    const char *s; /* in the column */
    uint64_t a, b; /* key_words */
    size_t len;
} dict_entry;

/* The distinct strings of one column, in order of first appearance. */
typedef struct dict_builder {
    dict_entry *ents; /* ents_cap, n used; grows to DDF_COMPACT_MAX_ENTRIES at most */
    size_t ents_cap;
    size_t n;
    size_t bytes;     /* sum of the entries' lengths */
    uint32_t *slots;  /* nslots: entry + 1, 0 = empty; at most half full */
    size_t nslots;    /* power of two: 2^(64 - shift) */
    unsigned shift;
} dict_builder;

#define FIRST_SLOTS 256 /* 2^8 */
#define FIRST_SHIFT 56

/* Two words of s (len bytes): with len, the string itself when len <= INLINE_BYTES
 * (hash.h's exact tail below 8 bytes; the first and last 8 bytes, overlapping, up to
 * 16); else a hash and the first 8 bytes, which the bytes must then confirm. */
static inline void key_words(const char *s, size_t len, uint64_t *a, uint64_t *b)
{
    if (len < 8) {
        *a = ddf_hash_tail(s, len);
        *b = 0;
    } else if (len <= INLINE_BYTES) {
        memcpy(a, s, 8);
        memcpy(b, s + len - 8, 8);
    } else {
        *a = ddf_hash_bytes(s, len);
        memcpy(b, s, 8);
    }
}

/* The slot of a key in a table of 2^(64 - shift) slots: multiply-shift hashing (the top
 * bits of a product mix every input bit), two multiplies a row instead of a full
 * ddf_hash_bytes - this loop is most of the compaction's cost. */
static inline size_t key_slot(uint64_t a, uint64_t b, size_t len, unsigned shift)
{
    return (size_t)(((a ^ (b + len) * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >>
                    shift);
}

/* Empty 'd' for the next column, keeping its memory. */
static void builder_clear(dict_builder *d)
{
    d->n = 0;
    d->bytes = 0;
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
}

/* Room for twice the entries (at most DDF_COMPACT_MAX_ENTRIES): a table of a few rows,
 * which a small partition or a fuzzer's input is, should not pay for the largest
 * dictionary. */
static int builder_grow_entries(dict_builder *d)
{
    size_t cap = d->ents_cap * 2 < DDF_COMPACT_MAX_ENTRIES ? d->ents_cap * 2
                                                            : DDF_COMPACT_MAX_ENTRIES;
    dict_entry *ents = ddf_reallocarray(d->ents, cap, sizeof *ents);

    if (ents == NULL)
        return DDF_ENOMEM;
    d->ents = ents;
    d->ents_cap = cap;
    return DDF_OK;
}

/* Double the slots, re-placing every entry. */
static int builder_grow(dict_builder *d)
{
    size_t nslots = d->nslots * 2, mask = nslots - 1;
    unsigned shift = d->shift - 1;
    uint32_t *slots = ddf_calloc(nslots, sizeof *slots);

    if (slots == NULL)
        return DDF_ENOMEM;
    for (size_t e = 0; e < d->n; e++) {
        const dict_entry *x = &d->ents[e];
        size_t p;

        for (p = key_slot(x->a, x->b, x->len, shift); slots[p]; p = (p + 1) & mask)
            ;
        slots[p] = (uint32_t)e + 1;
    }
    ddf_free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    d->shift = shift;
    return DDF_OK;
}

/* The code of string s (len bytes) in *code, adding it when new. Returns DDF_OK,
 * DDF_ETOOBIG when a new entry would pass DDF_COMPACT_MAX_ENTRIES, or DDF_ENOMEM. */
static inline __attribute__((always_inline)) int builder_code(dict_builder *d, const char *s,
                                                             size_t len, uint32_t *code)
{
    uint64_t a, b;
    size_t mask = d->nslots - 1, p;
    uint32_t e1;

    key_words(s, len, &a, &b);
    for (p = key_slot(a, b, len, d->shift); (e1 = d->slots[p]) != 0; p = (p + 1) & mask) {
        const dict_entry *e = &d->ents[e1 - 1];

        if (e->a == a && e->b == b && e->len == len &&
            (len <= INLINE_BYTES || ddf_bytes_equal(e->s, s, len))) {
            *code = e1 - 1;
            return DDF_OK;
        }
    }
    if (d->n == DDF_COMPACT_MAX_ENTRIES)
        return DDF_ETOOBIG;
    if (d->n == d->ents_cap && builder_grow_entries(d) < 0)
        return DDF_ENOMEM;
    d->ents[d->n] = (dict_entry){s, a, b, len};
    d->slots[p] = (uint32_t)++d->n;
    d->bytes += len;
    *code = (uint32_t)d->n - 1;
    if (2 * d->n > d->nslots)
        return builder_grow(d);
    return DDF_OK;
}

/* Whether the dictionary of the first 'rows' rows, 'd', should be given up at this
 * checkpoint: a column where nearly every row brings a new string (ids, timestamps) is
 * left after DDF_COMPACT_SAMPLE_ROWS, and the bar rises as rows pass, so that a column
 * of 10,000 products - up to 61% new strings in the first 16384 rows, 15% by 65,536 - is
 * kept while one of half-unique strings stops early. */
static bool give_up(const dict_builder *d, size_t rows)
{
    if (rows <= DDF_COMPACT_SAMPLE_ROWS)
        return d->n * 8 > rows * 7;
    if (rows <= 4 * DDF_COMPACT_SAMPLE_ROWS)
        return d->n * 8 > rows * 5;
    return d->n * DDF_COMPACT_SAMPLE_RATIO > rows;
}

/* Whether 'src' (a plain string column of n rows) is worth a dictionary: codes into
 * codes[0..n) and the entries in 'd' when it is. DDF_ENOMEM only on allocation failure;
 * *use says the verdict. */
static int try_dict(dict_builder *d, const ddf_column *src, size_t n, uint32_t *codes,
                    bool *use)
{
    const int64_t *off = src->values.offsets; /* plain: compact_column checked */
    size_t start = 0, stop;
    uint32_t code;
    int rc = DDF_OK;

    *use = false;
    builder_clear(d);
    if (src->null_count && (rc = builder_code(d, "", 0, &code)) < 0)
        return rc; /* entry 0: the empty string, which null rows hold */
    /* Between checkpoints the loop is only the row's lookup: this is the hot loop. */
    for (stop = DDF_COMPACT_SAMPLE_ROWS; start < n; start = stop, stop *= 4) {
        if (start && give_up(d, start))
            return DDF_OK; /* high cardinality: stay plain */
        if (stop > n)
            stop = n;
        for (size_t r = start; r < stop; r++) {
            size_t len = (size_t)(off[r + 1] - off[r]);

            /* an empty string: "" (the column may have no bytes at all) */
            rc = builder_code(d, len ? src->bytes + off[r] : "", len, &codes[r]);
            if (rc == DDF_ETOOBIG)
                return DDF_OK;
            if (rc < 0)
                return rc;
        }
    }
    if (give_up(d, n))
        return DDF_OK; /* decided on all rows (or after the last checkpoint) */
    /* Worth it only when smaller than offsets plus every row's bytes. */
    *use = (uint64_t)n * sizeof(uint16_t) + (d->n + 1) * 8 + d->bytes <
           (uint64_t)(n + 1) * 8 + ddf_column_str_total(src);
    return DDF_OK;
}

/* Codes are stored in 16 bits: a dictionary has at most 65,536 entries. */
_Static_assert(DDF_COMPACT_MAX_ENTRIES <= UINT16_MAX + 1, "codes must fit column.h's uint16_t");

/* Make string column 'col' (n rows, plain) the dictionary column of 'd', whose entries
 * point into it, and free its old offsets and bytes. 'codes' holds the n rows' codes.
 * On DDF_ENOMEM the column is unchanged. */
static int encode_dict(ddf_column *col, ddf_arena *arena, size_t n, const dict_builder *d,
                       const uint32_t *codes)
{
    uint16_t *c = ddf_arena_alloc(arena, n * sizeof(*c));
    int64_t *off = ddf_arena_alloc(arena, (d->n + 1) * 8);
    char *bytes = d->bytes ? ddf_arena_alloc(arena, d->bytes) : NULL;

    if (c == NULL || off == NULL || (d->bytes && bytes == NULL)) {
        ddf_arena_release(arena, c, n * sizeof(*c));
        ddf_arena_release(arena, off, (d->n + 1) * 8);
        ddf_arena_release(arena, bytes, d->bytes);
        return DDF_ENOMEM;
    }
    for (size_t r = 0; r < n; r++)
        c[r] = (uint16_t)codes[r];
    off[0] = 0;
    for (size_t e = 0; e < d->n; e++) {
        if (d->ents[e].len)
            memcpy(bytes + off[e], d->ents[e].s, d->ents[e].len);
        off[e + 1] = off[e] + (int64_t)d->ents[e].len;
    }
    /* The entries pointed into the old bytes: free them only now. */
    ddf_arena_release(arena, col->values.offsets, (col->capacity + 1) * 8);
    ddf_arena_release(arena, col->bytes, col->bytes_capacity);
    col->codes = c;
    col->dict_length = d->n;
    col->values.offsets = off;
    col->bytes = bytes;
    col->bytes_capacity = d->bytes;
    col->capacity = n;
    return DDF_OK;
}

void ddf_column_add_byte_copy(ddf_column *col, ddf_arena *arena)
{
    const int64_t *v = col->values.i64;
    size_t n = col->length;
    int8_t *b;

    if (col->dtype != DDF_DTYPE_INT64 || col->i8 != NULL)
        return;
    /* the scan stops at the first value out of range: for an id, the first rows */
    for (size_t i = 0; i < n; i++)
        if (v[i] < INT8_MIN || v[i] > INT8_MAX)
            return;
    b = ddf_arena_alloc(arena, n ? n : 1);
    if (b == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        b[i] = (int8_t)v[i];
    col->i8 = b;
}

/* Compact column 'col' of n rows in place: drop an all-valid validity bitmap, shrink
 * every buffer to its rows, and turn a low-cardinality string column into a dictionary
 * ('codes': n rows of scratch). On DDF_ENOMEM (no memory for the dictionary) the column
 * is still valid and shrunk, only plain. */
static int compact_column(ddf_column *col, ddf_arena *arena, size_t n, dict_builder *d,
                          uint32_t *codes)
{
    size_t width = col->dtype == DDF_DTYPE_BOOL ? 1 : 8;
    size_t bits = (col->capacity + 7) / 8;
    bool use = false;
    int rc;

    if (col->codes)
        return DDF_OK; /* a dictionary column is built at its exact size */
    if (col->validity && col->null_count == 0) {
        ddf_arena_release(arena, col->validity, bits);
        col->validity = NULL;
    } else if (col->validity) {
        col->validity = ddf_arena_shrink(arena, col->validity, bits, (n + 7) / 8);
    }
    if (col->dtype != DDF_DTYPE_STRING) {
        col->values.i64 = ddf_arena_shrink(arena, col->values.i64, col->capacity * width,
                                           n * width);
        col->capacity = n;
        ddf_column_add_byte_copy(col, arena);
        return DDF_OK;
    }
    if (col->values.offsets == NULL)
        return DDF_OK; /* a fresh column of no rows holds nothing */
    rc = try_dict(d, col, n, codes, &use);
    if (rc == DDF_OK && use)
        rc = encode_dict(col, arena, n, d, codes);
    if (rc == DDF_OK && use)
        return DDF_OK;
    /* Plain, also when the dictionary ran out of memory: the bitmap was shrunk to n rows
     * already, so the capacity must say n too. */
    size_t nbytes = ddf_column_str_total(col);
    col->values.offsets = ddf_arena_shrink(arena, col->values.offsets, (col->capacity + 1) * 8,
                                           (n + 1) * 8);
    col->bytes = ddf_arena_shrink(arena, col->bytes, col->bytes_capacity, nbytes);
    col->capacity = n;
    col->bytes_capacity = nbytes;
    return rc;
}

int ddf_table_compact(ddf_table *t, ddf_error *err)
{
    dict_builder d = {0};
    uint32_t *codes = NULL;
    int rc = DDF_OK;

    d.ents_cap = FIRST_SLOTS / 2;
    d.ents = ddf_mallocarray(d.ents_cap, sizeof *d.ents);
    d.slots = ddf_calloc(FIRST_SLOTS, sizeof *d.slots);
    d.nslots = FIRST_SLOTS;
    d.shift = FIRST_SHIFT;
    codes = ddf_mallocarray(t->nrows ? t->nrows : 1, sizeof *codes);
    if (d.ents == NULL || d.slots == NULL || codes == NULL)
        rc = DDF_ENOMEM;
    for (size_t c = 0; c < t->ncols && rc == DDF_OK; c++)
        rc = compact_column(&t->columns[c], t->arena, t->nrows, &d, codes);
    ddf_free(codes);
    ddf_free(d.slots);
    ddf_free(d.ents);
    if (rc < 0)
        return ddf_error_setf(err, rc, "out of memory compacting a table of %zu rows",
                              t->nrows);
    return DDF_OK;
}
