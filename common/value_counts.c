/* value_counts.c - distinct values of one column with their counts and first positions
 * (see value_counts.h for the rules and layouts).
 *
 * Values are numbered 0..n) in order of insertion. Their representative values live in
 * one ddf_column in the value-counts' arena (string values copied once); 'ents' holds per
 * value its hash, its canonical bits (numbers and bools: the value itself, so probing
 * never reads the column), its count and first position, in one record so that a row
 * costs two cache misses at most: its slot and its record. The hash table is open
 * addressing with linear probing: 'slots' holds value number + 1 (0 = empty), its size a
 * power of two kept at most half full. The null value is not hashed: 'null_v' numbers it.
 *
 * Why not ddf_groupby with a size aggregation: its partial carries 12 state columns per
 * aggregation, and the position of the null key's first row (needed for dropna=false tie
 * order) is in none of them. The hashing rules are group-by's (groupby.c): NaN is null,
 * -0.0 and 0.0 are one value.
 *
 * A dictionary-encoded column (column.h) is counted by code first, then each used entry
 * is folded once with its count and least row (update_dict).
 *
 * Invariant: for every value, (part, row) is the least position seen for it, and for
 * float64 the stored representative is the value at that position (-0.0 or 0.0). */
#include "value_counts.h"

#include "alloc.h"
#include "hash.h"
#include "limits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One distinct value. */
typedef struct vc_entry {
    uint64_t hash;  /* of the value (value_hash) */
    uint64_t bits;  /* numbers and bools: canonical bits (value_bits); strings: 0 */
    uint64_t count; /* rows holding it */
    uint64_t part;  /* partition of its first appearance */
    uint64_t row;   /* row of its first appearance */
} vc_entry;

#define NO_VALUE SIZE_MAX
#define BATCH 256               /* rows hashed ahead of folding */
#define PF_DIST 16              /* rows of lookahead for prefetching */
#define PF_MIN_SLOTS (1u << 16) /* below this the table stays in cache: no prefetch */

struct ddf_value_counts {
    ddf_arena *arena;   /* the values column's buffers */
    ddf_dtype dtype;
    bool dropna;
    bool spent;         /* an update or merge failed: only free is allowed */
    size_t max_values;  /* <= DDF_VALUE_COUNTS_MAX_VALUES */
    ddf_column values;  /* one row per value: its representative */
    vc_entry *ents;     /* cap records, n used */
    size_t n;           /* values */
    size_t cap;         /* records 'ents' holds */
    size_t null_v;      /* number of the null value, NO_VALUE when not seen */
    uint32_t *slots;    /* nslots: value + 1, 0 = empty */
    size_t nslots;      /* power of two, >= 2 * n */
};

/* ---- hashing and equality (groupby.c's rules; the hash itself is hash.h) ---- */

/* Whether row 'row' of 'c' is null for counting (NaN counts as null). */
static inline bool value_is_null(const ddf_column *c, size_t row)
{
    if (!ddf_column_is_valid(c, row))
        return true;
    return c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[row]);
}

/* The bits that identify a non-null number or bool: equal bits, equal values. */
static inline uint64_t value_bits(const ddf_column *c, size_t row)
{
    uint64_t bits;
    double d;

    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        return (uint64_t)c->values.i64[row];
    case DDF_DTYPE_FLOAT64:
        d = c->values.f64[row];
        if (d == 0)
            d = 0; /* -0.0 and 0.0 are one value */
        memcpy(&bits, &d, 8);
        return bits;
    case DDF_DTYPE_BOOL:
        return c->values.b8[row] != 0;
    default:
        return 0;
    }
}

/* The hash of a non-null value whose value_bits are 'bits'. */
static inline uint64_t value_hash(const ddf_column *c, size_t row, uint64_t bits)
{
    size_t len;
    const char *s;

    if (c->dtype != DDF_DTYPE_STRING)
        return ddf_hash_mix64(bits ^ 0x1234567ull);
    s = ddf_column_str(c, row, &len);
    return ddf_hash_bytes(s, len);
}

/* Append row 'row' of 'src' to 'dst' (same dtype); a NaN becomes a null, since both mean
 * "missing" and the codec then carries one spelling. */
static int append_value(ddf_column *dst, ddf_arena *arena, const ddf_column *src, size_t row)
{
    const char *s;
    size_t len;

    if (value_is_null(src, row))
        return ddf_column_append_null(dst, arena);
    switch (src->dtype) {
    case DDF_DTYPE_INT64:
        return ddf_column_append_i64(dst, arena, src->values.i64[row]);
    case DDF_DTYPE_FLOAT64:
        return ddf_column_append_f64(dst, arena, src->values.f64[row]);
    case DDF_DTYPE_BOOL:
        return ddf_column_append_bool(dst, arena, src->values.b8[row] != 0);
    default:
        s = ddf_column_str(src, row, &len);
        return ddf_column_append_str(dst, arena, s, len);
    }
}

/* ---- the table of values ---- */

/* Room for one more value: grow the records and the slots. No change on error. */
static int reserve_value(ddf_value_counts *vc, ddf_error *err)
{
    if (vc->n >= vc->max_values)
        return ddf_error_setf(err, DDF_ETOOBIG,
                              "value_counts: more than %zu distinct values (the limit)",
                              vc->max_values);
    if (vc->n == vc->cap) {
        size_t cap = vc->cap ? vc->cap * 2 : 64;
        vc_entry *ents = ddf_reallocarray(vc->ents, cap, sizeof(*ents));

        if (ents == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
        vc->ents = ents;
        vc->cap = cap;
    }
    if (2 * (vc->n + 1) > vc->nslots) {
        size_t nslots = vc->nslots ? vc->nslots * 2 : 128;
        uint32_t *slots = ddf_calloc(nslots, sizeof(uint32_t));

        if (slots == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
        for (size_t v = 0; v < vc->n; v++) {
            size_t i;

            if (v == vc->null_v)
                continue;
            for (i = vc->ents[v].hash & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1))
                ;
            slots[i] = (uint32_t)(v + 1);
        }
        ddf_free(vc->slots);
        vc->slots = slots;
        vc->nslots = nslots;
    }
    return DDF_OK;
}

/* Count 'count' more rows of the value at row 'r' of 'col' (null or not; bits and hash
 * its value_bits and value_hash when not), first seen at (part, row).
 * Errors: DDF_ETOOBIG, DDF_ENOMEM, DDF_ECORRUPT when the count would pass INT64_MAX (only
 * a forged partial gets there: real row counts are far below). */
static int fold_hashed(ddf_value_counts *vc, const ddf_column *col, size_t r, bool null,
                       uint64_t bits, uint64_t h, uint64_t count, uint64_t part, uint64_t row,
                       ddf_error *err)
{
    size_t v = NO_VALUE, i = 0, mask = vc->nslots - 1;
    vc_entry *e;
    uint32_t s;
    int rc;

    if (null) {
        v = vc->null_v;
    } else {
        for (i = h & mask; vc->nslots && (s = vc->slots[i]) != 0; i = (i + 1) & mask) {
            const char *a, *b;
            size_t la, lb;

            e = &vc->ents[s - 1];
            if (e->hash != h || e->bits != bits)
                continue;
            if (col->dtype == DDF_DTYPE_STRING) {
                a = ddf_column_str(&vc->values, s - 1, &la);
                b = ddf_column_str(col, r, &lb);
                if (la != lb || !ddf_bytes_equal(a, b, la))
                    continue;
            }
            v = s - 1;
            break;
        }
    }
    if (v != NO_VALUE) {
        e = &vc->ents[v];
        if (count > (uint64_t)INT64_MAX - e->count)
            return ddf_error_setf(err, DDF_ECORRUPT, "value_counts: counts add past INT64_MAX");
        e->count += count;
        if (part < e->part || (part == e->part && row < e->row)) {
            e->part = part;
            e->row = row;
            /* The representative is the value at the first position: pandas shows -0.0
             * when it comes before 0.0. Other dtypes' equal values are one. */
            if (col->dtype == DDF_DTYPE_FLOAT64 && !null)
                vc->values.values.f64[v] = col->values.f64[r];
        }
        return DDF_OK;
    }
    rc = reserve_value(vc, err);
    if (rc < 0)
        return rc;
    if (append_value(&vc->values, vc->arena, col, r) < 0)
        return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
    vc->ents[vc->n] = (vc_entry){h, bits, count, part, row};
    if (null) {
        vc->null_v = vc->n;
    } else {
        mask = vc->nslots - 1; /* the slots may have grown */
        for (i = h & mask; vc->slots[i]; i = (i + 1) & mask)
            ;
        vc->slots[i] = (uint32_t)(vc->n + 1);
    }
    vc->n++;
    return DDF_OK;
}

/* fold_hashed of a row not hashed yet. */
static int fold(ddf_value_counts *vc, const ddf_column *col, size_t r, uint64_t count,
                uint64_t part, uint64_t row, ddf_error *err)
{
    bool null = value_is_null(col, r);
    uint64_t bits = null ? 0 : value_bits(col, r);

    return fold_hashed(vc, col, r, null, bits, null ? 0 : value_hash(col, r, bits), count,
                       part, row, err);
}

/* ---- public functions ---- */

int ddf_value_counts_new(ddf_dtype dtype, bool dropna, ddf_value_counts **out,
                         ddf_error *err)
{
    ddf_value_counts *vc;

    *out = NULL;
    if (dtype != DDF_DTYPE_INT64 && dtype != DDF_DTYPE_FLOAT64 && dtype != DDF_DTYPE_BOOL &&
        dtype != DDF_DTYPE_STRING)
        return ddf_error_setf(err, DDF_EINVAL, "value_counts: bad dtype %d", (int)dtype);
    vc = ddf_calloc(1, sizeof(*vc));
    if (vc == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
    vc->arena = ddf_arena_new();
    if (vc->arena == NULL) {
        ddf_free(vc);
        return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
    }
    vc->dtype = dtype;
    vc->dropna = dropna;
    vc->max_values = DDF_VALUE_COUNTS_MAX_VALUES;
    vc->null_v = NO_VALUE;
    ddf_column_init(&vc->values, dtype);
    *out = vc;
    return DDF_OK;
}

void ddf_value_counts_free(ddf_value_counts *vc)
{
    if (vc == NULL)
        return;
    ddf_free(vc->ents);
    ddf_free(vc->slots);
    ddf_arena_free(vc->arena);
    ddf_free(vc);
}

void ddf_value_counts_set_max_values(ddf_value_counts *vc, size_t max_values)
{
    if (max_values < DDF_VALUE_COUNTS_MAX_VALUES)
        vc->max_values = max_values;
}

size_t ddf_value_counts_nvalues(const ddf_value_counts *vc)
{
    return vc->n;
}

static int check_usable(const ddf_value_counts *vc, ddf_error *err)
{
    if (vc->spent)
        return ddf_error_setf(err, DDF_EINVAL,
                              "value_counts: unusable after an earlier error");
    return DDF_OK;
}

/* A dictionary column (column.h): count each code's rows and note its first row, then
 * fold each used entry once with its count - hashing and probing per dictionary entry,
 * not per row. The null value, whose code names the empty entry, is counted apart. */
static int update_dict(ddf_value_counts *vc, const ddf_column *col, const uint32_t *sel,
                       size_t nrows, uint64_t part, ddf_error *err)
{
    typedef struct code_count {
        uint64_t count, first;
    } code_count;
    code_count *cc = ddf_calloc(col->dict_length, sizeof *cc);
    uint64_t nulls = 0, first_null = 0;
    int rc = DDF_OK;

    if (cc == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
    for (size_t k = 0; k < nrows; k++) {
        size_t r = sel ? sel[k] : k;

        if (!ddf_column_is_valid(col, r)) {
            /* The least row, not the first met: a selection need not be sorted. */
            if (nulls++ == 0 || r < first_null)
                first_null = r;
            continue;
        }
        code_count *c = &cc[col->codes[r]];
        if (c->count++ == 0 || r < c->first)
            c->first = r;
    }
    for (size_t e = 0; e < col->dict_length && rc == DDF_OK; e++) {
        size_t r = cc[e].first;

        if (cc[e].count)
            rc = fold_hashed(vc, col, r, false, 0, value_hash(col, r, 0), cc[e].count, part,
                             r, err);
    }
    if (rc == DDF_OK && nulls && !vc->dropna)
        rc = fold_hashed(vc, col, first_null, true, 0, 0, nulls, part, first_null, err);
    ddf_free(cc);
    return rc;
}

int ddf_value_counts_update(ddf_value_counts *vc, const ddf_column *col, const uint32_t *sel,
                            size_t nsel, uint64_t part, ddf_error *err)
{
    size_t nrows = sel ? nsel : col->length;
    int rc = check_usable(vc, err);

    if (rc < 0)
        return rc;
    if (col->dtype != vc->dtype)
        return ddf_error_setf(err, DDF_EINVAL, "value_counts: column is %s, expected %s",
                              ddf_dtype_name(col->dtype), ddf_dtype_name(vc->dtype));
    for (size_t k = 0; k < nsel && sel; k++)
        if (sel[k] >= col->length)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "value_counts: row %u out of range (%zu rows)",
                                  (unsigned)sel[k], col->length);
    if (col->codes) {
        rc = update_dict(vc, col, sel, nrows, part, err);
        if (rc < 0)
            vc->spent = true;
        return rc;
    }
    /* A batch at a time: hash it first, then fold each row while prefetching the slot
     * of the row PF_DIST ahead and the record that slot names - on a table past the
     * caches, two memory latencies per row are the whole cost otherwise. */
    for (size_t base = 0; base < nrows; base += BATCH) {
        size_t m = nrows - base < BATCH ? nrows - base : BATCH;
        uint64_t bits[BATCH], h[BATCH];
        bool null[BATCH];
        bool big = vc->nslots >= PF_MIN_SLOTS;

        for (size_t k = 0; k < m; k++) {
            size_t r = sel ? sel[base + k] : base + k;

            null[k] = value_is_null(col, r);
            bits[k] = null[k] ? 0 : value_bits(col, r);
            h[k] = null[k] ? 0 : value_hash(col, r, bits[k]);
        }
        for (size_t k = 0; k < m; k++) {
            size_t r = sel ? sel[base + k] : base + k;

            if (big && k + PF_DIST < m)
                __builtin_prefetch(&vc->slots[h[k + PF_DIST] & (vc->nslots - 1)]);
            if (big && k + PF_DIST / 2 < m) {
                uint32_t s = vc->slots[h[k + PF_DIST / 2] & (vc->nslots - 1)];
                if (s)
                    __builtin_prefetch(&vc->ents[s - 1]);
            }
            if (vc->dropna && null[k])
                continue;
            rc = fold_hashed(vc, col, r, null[k], bits[k], h[k], 1, part, r, err);
            if (rc < 0) {
                vc->spent = true;
                return rc;
            }
        }
    }
    return DDF_OK;
}

int ddf_value_counts_merge(ddf_value_counts *dst, const ddf_value_counts *src,
                           ddf_error *err)
{
    int rc = check_usable(dst, err);

    if (rc < 0)
        return rc;
    if (src == dst || src->spent || src->dtype != dst->dtype || src->dropna != dst->dropna)
        return ddf_error_setf(err, DDF_EINVAL,
                              "value_counts: merging a different or spent value-counts");
    for (size_t v = 0; v < src->n; v++) {
        const vc_entry *e = &src->ents[v];

        rc = fold(dst, &src->values, v, e->count, e->part, e->row, err);
        if (rc < 0) {
            dst->spent = true;
            return rc;
        }
    }
    return DDF_OK;
}

static const char *const partial_names[4] = {"value", "count", "part", "row"};

/* A new table of 'ncols' columns named names[c] and typed dtypes[c]; NULL when out of
 * memory. */
static ddf_table *new_table(size_t ncols, const char *const *names, const ddf_dtype *dtypes)
{
    ddf_table *t = ddf_table_new(ncols);

    if (t == NULL)
        return NULL;
    for (size_t c = 0; c < ncols; c++) {
        if (ddf_table_set_column(t, c, names[c], strlen(names[c]), dtypes[c]) < 0) {
            ddf_table_free(t);
            return NULL;
        }
    }
    return t;
}

int ddf_value_counts_to_table(const ddf_value_counts *vc, ddf_table **out, ddf_error *err)
{
    const ddf_dtype dtypes[4] = {vc->dtype, DDF_DTYPE_INT64, DDF_DTYPE_INT64, DDF_DTYPE_INT64};
    ddf_table *t;

    *out = NULL;
    if (check_usable(vc, err) < 0)
        return DDF_EINVAL;
    t = new_table(4, partial_names, dtypes);
    if (t == NULL)
        goto no_mem;
    for (size_t c = 0; c < 4; c++)
        if (ddf_column_reserve(&t->columns[c], t->arena, vc->n,
                               c == 0 && vc->dtype == DDF_DTYPE_STRING && vc->n
                                   ? (size_t)vc->values.values.offsets[vc->n]
                                   : 0) < 0)
            goto no_mem;
    for (size_t v = 0; v < vc->n; v++) {
        if (append_value(&t->columns[0], t->arena, &vc->values, v) < 0 ||
            ddf_column_append_i64(&t->columns[1], t->arena, (int64_t)vc->ents[v].count) < 0 ||
            ddf_column_append_i64(&t->columns[2], t->arena, (int64_t)vc->ents[v].part) < 0 ||
            ddf_column_append_i64(&t->columns[3], t->arena, (int64_t)vc->ents[v].row) < 0)
            goto no_mem;
    }
    t->nrows = vc->n;
    *out = t;
    return DDF_OK;
no_mem:
    ddf_table_free(t);
    return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
}

/* Check that 'table' is a partial of 'vc' (layout in value_counts.h) before anything is
 * folded in, so a corrupt partial changes nothing. */
static int check_partial(const ddf_value_counts *vc, const ddf_table *table, ddf_error *err)
{
    if (table->ncols != 4)
        return ddf_error_setf(err, DDF_ECORRUPT,
                              "value_counts: partial has %zu columns, expected 4", table->ncols);
    for (size_t c = 0; c < 4; c++) {
        const ddf_column *col = &table->columns[c];
        ddf_dtype want = c == 0 ? vc->dtype : DDF_DTYPE_INT64;

        if (strcmp(table->names[c], partial_names[c]) != 0 || col->dtype != want ||
            col->length != table->nrows)
            return ddf_error_setf(err, DDF_ECORRUPT,
                                  "value_counts: partial column %zu is not %s %s", c + 1,
                                  ddf_dtype_name(want), partial_names[c]);
    }
    for (size_t r = 0; r < table->nrows; r++) {
        if (vc->dropna && value_is_null(&table->columns[0], r))
            return ddf_error_setf(err, DDF_ECORRUPT,
                                  "value_counts: partial row %zu has a null value under "
                                  "dropna", r);
        for (size_t c = 1; c < 4; c++) {
            if (!ddf_column_is_valid(&table->columns[c], r) ||
                table->columns[c].values.i64[r] < (c == 1 ? 1 : 0))
                return ddf_error_setf(err, DDF_ECORRUPT,
                                      "value_counts: partial row %zu has a bad %s", r,
                                      partial_names[c]);
        }
    }
    return DDF_OK;
}

int ddf_value_counts_merge_table(ddf_value_counts *vc, const ddf_table *table,
                                 ddf_error *err)
{
    const ddf_column *vals = &table->columns[0];
    int rc = check_usable(vc, err);

    if (rc < 0)
        return rc;
    rc = check_partial(vc, table, err);
    if (rc < 0)
        return rc;
    for (size_t r = 0; r < table->nrows; r++) {
        rc = fold(vc, vals, r, (uint64_t)table->columns[1].values.i64[r],
                  (uint64_t)table->columns[2].values.i64[r],
                  (uint64_t)table->columns[3].values.i64[r], err);
        if (rc < 0) {
            vc->spent = true;
            return rc;
        }
    }
    return DDF_OK;
}

/* One result row to sort: count, then first position, decide its place. */
typedef struct order_entry {
    uint64_t count;
    uint64_t part;
    uint64_t row;
    size_t v; /* value number: equal positions only come from forged partials */
} order_entry;

/* Count descending, then first appearance: a total order, so qsort's instability cannot
 * show. */
static int cmp_entries(const void *pa, const void *pb)
{
    const order_entry *a = pa, *b = pb;

    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->part != b->part)
        return a->part < b->part ? -1 : 1;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return (a->v > b->v) - (a->v < b->v);
}

int ddf_value_counts_result(const ddf_value_counts *vc, bool normalize, ddf_table **out,
                            ddf_error *err)
{
    const char *const names[2] = {"value", normalize ? "proportion" : "count"};
    const ddf_dtype dtypes[2] = {vc->dtype, normalize ? DDF_DTYPE_FLOAT64 : DDF_DTYPE_INT64};
    order_entry *order = NULL;
    ddf_table *t = NULL;
    unsigned __int128 total = 0; /* n counts of up to INT64_MAX each */

    *out = NULL;
    if (check_usable(vc, err) < 0)
        return DDF_EINVAL;
    if (vc->n && (order = ddf_mallocarray(vc->n, sizeof(*order))) == NULL)
        goto no_mem;
    for (size_t v = 0; v < vc->n; v++) {
        order[v] = (order_entry){vc->ents[v].count, vc->ents[v].part, vc->ents[v].row, v};
        total += vc->ents[v].count;
    }
    if (vc->n)
        qsort(order, vc->n, sizeof(*order), cmp_entries);
    t = new_table(2, names, dtypes);
    if (t == NULL)
        goto no_mem;
    for (size_t c = 0; c < 2; c++)
        if (ddf_column_reserve(&t->columns[c], t->arena, vc->n,
                               c == 0 && vc->dtype == DDF_DTYPE_STRING && vc->n
                                   ? (size_t)vc->values.values.offsets[vc->n]
                                   : 0) < 0)
            goto no_mem;
    for (size_t k = 0; k < vc->n; k++) {
        size_t v = order[k].v;
        int rc = append_value(&t->columns[0], t->arena, &vc->values, v);

        if (rc == DDF_OK)
            /* pandas divides by counts.sum() of the result (both made double, as numpy's
             * int64 true division does): with dropna the nulls are out of both. */
            rc = normalize ? ddf_column_append_f64(&t->columns[1], t->arena,
                                                   (double)vc->ents[v].count / (double)total)
                           : ddf_column_append_i64(&t->columns[1], t->arena,
                                                   (int64_t)vc->ents[v].count);
        if (rc < 0)
            goto no_mem;
    }
    t->nrows = vc->n;
    ddf_free(order);
    *out = t;
    return DDF_OK;
no_mem:
    ddf_free(order);
    ddf_table_free(t);
    return ddf_error_setf(err, DDF_ENOMEM, "value_counts: out of memory");
}
