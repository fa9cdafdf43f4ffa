/* groupby.c - hash group-by over 1 to 3 key columns with mergeable partial states.
 *
 * Groups are numbered 0..ngroups) in order of first appearance. Their key values live in
 * one ddf_column per key (in the group-by's arena, so string keys are copied once), and
 * the state of aggregation j of group g in cells[j][g].
 *
 * Cells: the common aggregations — count, size, sum and mean of numbers, min and max of
 * numbers — keep a compact cell of 8 to 32 bytes (a sum, its compensation and a count)
 * instead of the 112-byte ddf_agg_state; with a million groups the cells are what misses
 * the cache, so their size is the group-by's speed. Every other aggregation keeps full
 * states. A compact cell becomes a ddf_agg_state (state_of / store_state) wherever agg.c
 * must decide — merge, partial tables, finalize — so the rules of merging and finishing
 * live in agg.c alone; only the per-row folds are repeated here (see "folds").
 *
 * The hash table is open addressing with linear probing over 16-byte slots holding the
 * key tuple's 64-bit hash and group number + 1 (0 = empty), at most half full. With one
 * key that is not a string the hash is a bijection of the key (ddf_hash_mix64),
 * so equal hashes mean equal keys and a probe never reads the keys ("exact" mode; the
 * null key, which has no hash of its own there, is a group kept beside the table).
 *
 * Integer ids (customers, products, years) are usually dense: while the int64 keys seen
 * span at most DENSE_MAX_LEN values, a direct map from key - dense_lo to group number
 * answers most lookups with one load and no hashing (the idea of DuckDB's perfect hash
 * aggregate), and no slot is kept. The first key that would stretch the map past its
 * bound turns it off for good: the slots are then built from the groups' keys.
 *
 * One dictionary-encoded string key (column.h; cached partitions are compacted so) maps
 * its codes instead: each code's group is found once per update through the hash table
 * and kept in a code -> group array, so a row costs one load (map_dict).
 *
 * update works a batch of rows at a time: it maps the batch to group numbers, prefetching
 * slots a few rows ahead when the table outgrows the caches, then folds each
 * aggregation's column into its cells in one tight loop, prefetching cells the same way.
 * Full cells get their rows through a counting sort by group and one ddf_agg_update call
 * per group the batch touched. */
#include "groupby.h"

#include "alloc.h"
#include "hash.h"
#include "limits.h"
#include "sort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFIELDS 12          /* columns of one ddf_agg_states_to_table */
#define BATCH 16384         /* rows mapped before folding: scratch stays in L2 */
#define NO_GROUP UINT32_MAX /* a row dropped for a null key */
#define PF_DIST 16          /* rows of lookahead for prefetching */
#define PF_MIN_GROUPS 65536 /* below this the table stays in cache: prefetch costs more */
#define DENSE_MIN_LEN 65536 /* entries of the first dense key map */
#define DENSE_MAX_LEN (1u << 22) /* 16 MiB of map: int64 keys spanning more use slots */

/* Row i of a batch: rows[i], or base + i when the batch is a run of the table (no
 * selection), which spares filling rows[]. */
#define ROW(rows, base, i) ((rows) ? (size_t)(rows)[i] : (base) + (i))

/* Hot loops take their variable parts as arguments of an always-inlined body so
 * that the common case — no selection, no null — compiles to its own branch-free loop. */
#define HOT static inline __attribute__((always_inline))

typedef enum cell_kind {
    CELL_FULL,  /* ddf_agg_state */
    CELL_COUNT, /* count, size: uint64_t */
    CELL_FSUM,  /* sum, mean of float64: fsum_cell */
    CELL_ISUM,  /* sum, mean of int64 and bool: isum_cell */
    CELL_FEXT,  /* min, max of float64: fext_cell */
    CELL_IEXT,  /* min, max of int64 and bool: iext_cell */
} cell_kind;

typedef struct fsum_cell {
    double sum, comp; /* Neumaier */
    uint64_t n, pad;  /* 32 bytes: never straddles a cache line */
} fsum_cell;

typedef struct isum_cell {
    __int128 sum;
    uint64_t n, pad;
} isum_cell;

typedef struct fext_cell {
    double v;
    uint64_t n;
} fext_cell;

typedef struct iext_cell {
    int64_t v;
    uint64_t n;
} iext_cell;

typedef struct slot {
    uint64_t hash;
    uint32_t gid1; /* group + 1, 0 = empty */
    uint32_t pad;
} slot;

struct ddf_groupby {
    ddf_arena *arena;              /* key columns, names, string copies of the states */
    size_t nkeys;
    size_t naggs;
    bool dropna;
    bool spent;                    /* an update or merge failed: only free is allowed */
    bool exact;                    /* one key, not a string: hash equality is key equality */
    bool any_full;                 /* some aggregation keeps ddf_agg_state cells */
    size_t max_groups;             /* <= DDF_GROUPBY_MAX_GROUPS */
    size_t key_idx[DDF_GROUPBY_MAX_KEYS];   /* key column numbers in input tables */
    char *key_name[DDF_GROUPBY_MAX_KEYS];   /* in arena */
    ddf_column keys[DDF_GROUPBY_MAX_KEYS];  /* key values, one row per group */
    ddf_groupby_agg *aggs;         /* naggs; ddf_malloc'd */
    ddf_dtype *agg_dtype;          /* naggs input dtypes; ddf_malloc'd */
    char **agg_name;               /* naggs result column names, in arena */
    cell_kind *cell;               /* naggs */
    ddf_agg_state *empty;          /* naggs: an initialized state of each (state_of) */
    void **cells;                  /* naggs arrays of 'cap' cells; ddf_malloc'd */
    size_t ngroups;
    size_t cap;                    /* groups the per-group arrays hold */
    uint32_t *mark;                /* cap, any_full: batch-local number + 1 of a group */
    slot *slots;
    size_t nslots;                 /* power of two, >= 2 * ngroups */
    uint32_t null_gid1;            /* exact: the null key's group + 1, 0 = none yet */
    bool dense_on;                 /* int64 key, map in use: the slots are empty */
    uint32_t *dense;               /* group + 1 of key dense_lo + i, 0 = none */
    int64_t dense_lo;
    size_t dense_len;              /* 0 = no map yet */
    /* batch scratch, BATCH entries each (off: BATCH + 1); lid.. only when any_full */
    uint32_t *gid, *lid, *touched, *off, *order;
    uint64_t *hash;
    /* dictionary keys only: each tuple of codes' group (map_dict, map_dicts), kept while
     * the next update's keys have the same dictionaries: the slices of one partition
     * share theirs */
    uint32_t *dmap;
    const int64_t *dmap_offsets[DDF_GROUPBY_MAX_KEYS];
    const char *dmap_bytes[DDF_GROUPBY_MAX_KEYS];
    size_t dmap_dict_len[DDF_GROUPBY_MAX_KEYS];
};

static size_t cell_size(cell_kind k)
{
    switch (k) {
    case CELL_FULL: return sizeof(ddf_agg_state);
    case CELL_COUNT: return sizeof(uint64_t);
    case CELL_FSUM: return sizeof(fsum_cell);
    case CELL_ISUM: return sizeof(isum_cell);
    case CELL_FEXT: return sizeof(fext_cell);
    default: return sizeof(iext_cell);
    }
}

static cell_kind cell_for(ddf_agg_kind kind, ddf_dtype dtype)
{
    switch (kind) {
    case DDF_AGG_COUNT:
    case DDF_AGG_SIZE:
        return CELL_COUNT;
    case DDF_AGG_SUM:
    case DDF_AGG_MEAN:
        return dtype == DDF_DTYPE_FLOAT64 ? CELL_FSUM : CELL_ISUM; /* strings refused */
    case DDF_AGG_MIN:
    case DDF_AGG_MAX:
        if (dtype == DDF_DTYPE_FLOAT64)
            return CELL_FEXT;
        return dtype == DDF_DTYPE_STRING ? CELL_FULL : CELL_IEXT;
    default:
        return CELL_FULL;
    }
}

/* ---- hashing and key comparison ---- */

/* The null rule of agg.c: no validity bit, or NaN in a float64 column. */
static inline bool value_is_null(const ddf_column *c, size_t row)
{
    if (!ddf_column_is_valid(c, row))
        return true;
    return c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[row]);
}

/* The bits of a non-null, non-string key: -0.0 and 0.0 are one key. */
static inline uint64_t key_bits(const ddf_column *c, size_t row)
{
    uint64_t bits;
    double d;

    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        return (uint64_t)c->values.i64[row];
    case DDF_DTYPE_FLOAT64:
        d = c->values.f64[row];
        if (d == 0)
            d = 0;
        memcpy(&bits, &d, 8);
        return bits;
    default:
        return c->values.b8[row] != 0;
    }
}

static inline uint64_t key_hash(const ddf_column *c, size_t row)
{
    size_t len;
    const char *s;

    if (value_is_null(c, row))
        return 0x5bd1e9955bd1e995ull;
    if (c->dtype != DDF_DTYPE_STRING)
        return ddf_hash_mix64(key_bits(c, row));
    s = ddf_column_str(c, row, &len);
    return ddf_hash_bytes(s, len);
}

/* The hash of the key tuple at row 'row' of cols[]; in exact mode, of a non-null key. */
static inline uint64_t tuple_hash(const ddf_groupby *gb, const ddf_column *const *cols,
                                  size_t row)
{
    uint64_t h = key_hash(cols[0], row);

    for (size_t k = 1; k < gb->nkeys; k++)
        h = ddf_hash_mix64(h ^ (key_hash(cols[k], row) + 0x9e3779b97f4a7c15ull * k));
    return h;
}

static inline bool key_equal(const ddf_column *a, size_t i, const ddf_column *b, size_t j)
{
    bool na = value_is_null(a, i), nb = value_is_null(b, j);
    size_t la, lb;
    const char *sa, *sb;

    if (na || nb)
        return na && nb;
    if (a->dtype != DDF_DTYPE_STRING)
        return key_bits(a, i) == key_bits(b, j);
    sa = ddf_column_str(a, i, &la);
    sb = ddf_column_str(b, j, &lb);
    return la == lb && ddf_bytes_equal(sa, sb, la);
}

/* Order of two key values: nulls last, as pandas sorts them. */
static int key_cmp(const ddf_column *c, size_t i, size_t j)
{
    bool ni = value_is_null(c, i), nj = value_is_null(c, j);
    size_t li, lj;
    const char *si, *sj;
    int r;

    if (ni || nj)
        return ni == nj ? 0 : ni ? 1 : -1;
    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        return (c->values.i64[i] > c->values.i64[j]) - (c->values.i64[i] < c->values.i64[j]);
    case DDF_DTYPE_FLOAT64:
        return (c->values.f64[i] > c->values.f64[j]) - (c->values.f64[i] < c->values.f64[j]);
    case DDF_DTYPE_BOOL:
        return (int)c->values.b8[i] - (int)c->values.b8[j];
    default:
        si = ddf_column_str(c, i, &li);
        sj = ddf_column_str(c, j, &lj);
        r = memcmp(si, sj, li < lj ? li : lj);
        return r ? r : (li > lj) - (li < lj);
    }
}

/* ---- the table of groups ---- */

/* Room for one more group: grow per-group arrays and the slots. No change on error. */
static int reserve_group(ddf_groupby *gb, ddf_error *err)
{
    if (gb->ngroups >= gb->max_groups)
        return ddf_error_setf(err, DDF_ETOOBIG, "group-by: more than %zu groups (limit %s)",
                              gb->max_groups, "DDF_GROUPBY_MAX_GROUPS");
    if (gb->ngroups == gb->cap) {
        size_t ncap = gb->cap ? gb->cap * 2 : 64;

        if (gb->any_full) {
            uint32_t *m = ddf_reallocarray(gb->mark, ncap, sizeof *m);
            if (m == NULL)
                goto nomem;
            gb->mark = m;
        }
        for (size_t j = 0; j < gb->naggs; j++) {
            void *c = ddf_reallocarray(gb->cells[j], ncap, cell_size(gb->cell[j]));
            if (c == NULL)
                goto nomem;
            gb->cells[j] = c;
        }
        gb->cap = ncap;
    }
    if (!gb->dense_on && 2 * (gb->ngroups + 1) > gb->nslots) {
        size_t nslots = gb->nslots ? gb->nslots * 2 : 128, mask = nslots - 1;
        slot *slots = ddf_calloc(nslots, sizeof *slots);

        if (slots == NULL)
            goto nomem;
        for (size_t i = 0; i < gb->nslots; i++) {
            size_t p;

            if (gb->slots[i].gid1 == 0)
                continue;
            for (p = gb->slots[i].hash & mask; slots[p].gid1; p = (p + 1) & mask)
                ;
            slots[p] = gb->slots[i];
        }
        ddf_free(gb->slots);
        gb->slots = slots;
        gb->nslots = nslots;
    }
    return DDF_OK;
nomem:
    return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory growing to %zu groups",
                          gb->ngroups + 1);
}

/* Append group ngroups with the key of row 'row' of cols[]; its cells start empty. Room
 * was reserved. */
static int add_group(ddf_groupby *gb, const ddf_column *const *cols, size_t row,
                     ddf_error *err)
{
    size_t g = gb->ngroups;
    int rc = DDF_OK;

    for (size_t k = 0; k < gb->nkeys && rc == DDF_OK; k++) {
        const ddf_column *c = cols[k];
        ddf_column *dst = &gb->keys[k];

        /* NaN is a null key too: stored as null, not as a NaN value */
        rc = value_is_null(c, row) ? ddf_column_append_null(dst, gb->arena)
                                   : ddf_column_append_from(dst, gb->arena, c, row);
    }
    if (rc < 0) /* the caller marks the group-by spent */
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory copying a key");
    for (size_t j = 0; j < gb->naggs; j++) {
        if (gb->cell[j] == CELL_FULL)
            ((ddf_agg_state *)gb->cells[j])[g] = gb->empty[j];
        else
            memset((char *)gb->cells[j] + g * cell_size(gb->cell[j]), 0,
                   cell_size(gb->cell[j]));
    }
    if (gb->any_full)
        gb->mark[g] = 0;
    gb->ngroups++;
    return DDF_OK;
}

/* Make the dense map cover 'key', growing it around the keys seen (doubling, centred:
 * room both ways). False when the keys would span more than DENSE_MAX_LEN or memory is
 * short: the map is then off for good and the caller builds the slots. */
static bool dense_fit(ddf_groupby *gb, int64_t key)
{
    __int128 lo = key, hi = key, span, start;
    size_t len;
    uint32_t *map;

    if (gb->dense_len) {
        if ((__int128)key >= gb->dense_lo && (__int128)key - gb->dense_lo < (__int128)gb->dense_len)
            return true;
        for (size_t i = 0; i < gb->dense_len; i++) /* the keys' true extent, not the map's */
            if (gb->dense[i]) {
                lo = lo < (__int128)gb->dense_lo + i ? lo : (__int128)gb->dense_lo + i;
                hi = hi > (__int128)gb->dense_lo + i ? hi : (__int128)gb->dense_lo + i;
            }
    }
    span = hi - lo + 1;
    if (span > DENSE_MAX_LEN)
        goto off;
    for (len = DENSE_MIN_LEN; len < 2 * span && len < DENSE_MAX_LEN; len *= 2)
        ;
    start = lo - ((__int128)len - span) / 2;
    if (start < INT64_MIN)
        start = INT64_MIN;
    if (start + len - 1 > INT64_MAX)
        start = (__int128)INT64_MAX - len + 1;
    map = ddf_calloc(len, sizeof *map);
    if (map == NULL)
        goto off;
    for (size_t i = 0; i < gb->dense_len; i++)
        if (gb->dense[i])
            map[(__int128)gb->dense_lo + i - start] = gb->dense[i];
    ddf_free(gb->dense);
    gb->dense = map;
    gb->dense_lo = (int64_t)start;
    gb->dense_len = len;
    return true;
off:
    ddf_free(gb->dense);
    gb->dense = NULL;
    gb->dense_len = 0;
    gb->dense_on = false;
    return false;
}

/* Put every group with a non-null key into fresh slots (when the dense map turns off). */
static int slots_rebuild(ddf_groupby *gb, ddf_error *err)
{
    size_t nslots = 128, mask;
    slot *slots;

    while (nslots < 2 * (gb->ngroups + 1))
        nslots *= 2;
    slots = ddf_calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory for %zu groups",
                              gb->ngroups);
    mask = nslots - 1;
    for (size_t g = 0; g < gb->ngroups; g++) {
        uint64_t h;
        size_t p;

        if (value_is_null(&gb->keys[0], g))
            continue;
        h = ddf_hash_mix64(key_bits(&gb->keys[0], g));
        for (p = h & mask; slots[p].gid1; p = (p + 1) & mask)
            ;
        slots[p].hash = h;
        slots[p].gid1 = (uint32_t)g + 1;
    }
    ddf_free(gb->slots);
    gb->slots = slots;
    gb->nslots = nslots;
    return DDF_OK;
}

/* Whether group g has the key tuple of row 'row' of cols[] (its hash matched). */
static inline bool group_matches(const ddf_groupby *gb, uint32_t g, const ddf_column *const *cols,
                                 size_t row)
{
    if (gb->exact)
        return true;
    for (size_t k = 0; k < gb->nkeys; k++)
        if (!key_equal(cols[k], row, &gb->keys[k], g))
            return false;
    return true;
}

/* The group of row 'row' of cols[] (hash 'h' from tuple_hash) in *gid, added when new.
 * In exact mode a null key must not come here: see null_group. */
static int find_group(ddf_groupby *gb, const ddf_column *const *cols, size_t row, uint64_t h,
                      uint32_t *gid, ddf_error *err)
{
    size_t p, mask;
    int rc;

    if (gb->dense_on) {
        int64_t key = cols[0]->values.i64[row];

        if (dense_fit(gb, key)) {
            if (gb->dense[key - gb->dense_lo] == 0) {
                rc = reserve_group(gb, err);
                if (rc == DDF_OK)
                    rc = add_group(gb, cols, row, err);
                if (rc < 0)
                    return rc;
                gb->dense[key - gb->dense_lo] = (uint32_t)gb->ngroups;
            }
            *gid = gb->dense[key - gb->dense_lo] - 1;
            return DDF_OK;
        }
        rc = slots_rebuild(gb, err);
        if (rc < 0)
            return rc;
    }
    if (gb->nslots) {
        mask = gb->nslots - 1;
        for (p = h & mask; gb->slots[p].gid1; p = (p + 1) & mask) {
            uint32_t g = gb->slots[p].gid1 - 1;

            if (gb->slots[p].hash == h && group_matches(gb, g, cols, row)) {
                *gid = g;
                return DDF_OK;
            }
        }
    }
    rc = reserve_group(gb, err); /* may regrow the slots: find the free one again */
    if (rc == DDF_OK)
        rc = add_group(gb, cols, row, err);
    if (rc < 0)
        return rc;
    mask = gb->nslots - 1;
    for (p = h & mask; gb->slots[p].gid1; p = (p + 1) & mask)
        ;
    gb->slots[p].hash = h;
    gb->slots[p].gid1 = (uint32_t)gb->ngroups;
    *gid = (uint32_t)gb->ngroups - 1;
    return DDF_OK;
}

/* Exact mode: the group of the null key (row 'row' of cols[] is null), added when new. */
static int null_group(ddf_groupby *gb, const ddf_column *const *cols, size_t row,
                      uint32_t *gid, ddf_error *err)
{
    int rc;

    if (gb->null_gid1 == 0) {
        rc = reserve_group(gb, err);
        if (rc == DDF_OK)
            rc = add_group(gb, cols, row, err);
        if (rc < 0)
            return rc;
        gb->null_gid1 = (uint32_t)gb->ngroups;
    }
    *gid = gb->null_gid1 - 1;
    return DDF_OK;
}

/* The group of any row of cols[] whose keys are not dropped. */
static int group_of(ddf_groupby *gb, const ddf_column *const *cols, size_t row, uint32_t *gid,
                    ddf_error *err)
{
    if (gb->exact && value_is_null(cols[0], row))
        return null_group(gb, cols, row, gid, err);
    return find_group(gb, cols, row, tuple_hash(gb, cols, row), gid, err);
}

/* ---- mapping a batch of rows to groups ---- */

/* Exact mode: gid[i] for rows[0..n), NO_GROUP for dropped nulls. The probe compares
 * hashes only, and prefetches the slot of the row PF_DIST ahead on big tables. */
static int map_exact(ddf_groupby *gb, const ddf_column *col, const uint32_t *rows,
                     size_t base, size_t n, uint32_t *gid, ddf_error *err)
{
    const ddf_column *cols[1] = {col};
    bool pf = gb->ngroups > PF_MIN_GROUPS;
    int rc;

    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);
        uint64_t h;

        if (pf && i + PF_DIST < n) {
            uint64_t ahead = ddf_hash_mix64(key_bits(col, ROW(rows, base, i + PF_DIST)));

            __builtin_prefetch(&gb->slots[ahead & (gb->nslots - 1)]);
        }
        if (value_is_null(col, r)) {
            if (gb->dropna) {
                gid[i] = NO_GROUP;
                continue;
            }
            rc = null_group(gb, cols, r, &gid[i], err);
            if (rc < 0)
                return rc;
            continue;
        }
        h = ddf_hash_mix64(key_bits(col, r));
        if (gb->nslots) {
            size_t mask = gb->nslots - 1, p;

            for (p = h & mask; gb->slots[p].gid1 && gb->slots[p].hash != h; p = (p + 1) & mask)
                ;
            if (gb->slots[p].gid1) {
                gid[i] = gb->slots[p].gid1 - 1;
                continue;
            }
        }
        rc = find_group(gb, cols, r, h, &gid[i], err);
        if (rc < 0)
            return rc;
        pf = gb->ngroups > PF_MIN_GROUPS;
    }
    return DDF_OK;
}

/* Exact mode, int64 keys: the dense map while it is on, else the slots' hashes. */
HOT int map_i64_body(ddf_groupby *gb, const ddf_column *col, bool valid_all,
                     const uint32_t *rows, size_t base, size_t n, uint32_t *gid, ddf_error *err)
{
    const ddf_column *cols[1] = {col};
    const int64_t *v = col->values.i64;
    int rc;

    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);
        uint64_t off = (uint64_t)v[r] - (uint64_t)gb->dense_lo, h;

        /* With many groups each lookup is a cache miss; PF_DIST rows ahead, fetch the
         * map entry or slot that row will need. (Written in the loop: GCC drops a call
         * to a function that only prefetches, as a call without effects.) */
        if (gb->ngroups > PF_MIN_GROUPS && i + PF_DIST < n) {
            uint64_t k = (uint64_t)v[ROW(rows, base, i + PF_DIST)];
            uint64_t o = k - (uint64_t)gb->dense_lo;

            if (gb->dense_on && o < gb->dense_len)
                __builtin_prefetch(&gb->dense[o]);
            else if (!gb->dense_on)
                __builtin_prefetch(&gb->slots[ddf_hash_mix64(k) & (gb->nslots - 1)]);
        }
        if (!valid_all && !ddf_column_is_valid(col, r)) {
            if (gb->dropna) {
                gid[i] = NO_GROUP;
                continue;
            }
            rc = null_group(gb, cols, r, &gid[i], err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (off < gb->dense_len && gb->dense[off]) {
            gid[i] = gb->dense[off] - 1;
            continue;
        }
        h = ddf_hash_mix64((uint64_t)v[r]);
        if (!gb->dense_on && gb->nslots) {
            size_t mask = gb->nslots - 1, p;

            for (p = h & mask; gb->slots[p].gid1 && gb->slots[p].hash != h; p = (p + 1) & mask)
                ;
            if (gb->slots[p].gid1) {
                gid[i] = gb->slots[p].gid1 - 1;
                continue;
            }
        }
        rc = find_group(gb, cols, r, h, &gid[i], err);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

static int map_i64(ddf_groupby *gb, const ddf_column *col, const uint32_t *rows, size_t base,
                   size_t n, uint32_t *gid, ddf_error *err)
{
    if (rows == NULL && col->validity == NULL)
        return map_i64_body(gb, col, true, NULL, base, n, gid, err);
    return map_i64_body(gb, col, false, rows, base, n, gid, err);
}

/* One string key: the batch's hashes first, then the probes, comparing bytes inline. */
HOT int map_str_body(ddf_groupby *gb, const ddf_column *col, bool valid_all,
                     const uint32_t *rows, size_t base, size_t n, uint32_t *gid, ddf_error *err)
{
    const ddf_column *cols[1] = {col};
    const ddf_column *keys = &gb->keys[0];
    const int64_t *off = col->values.offsets;
    uint64_t *h = gb->hash;
    int rc;

    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);

        h[i] = ddf_hash_bytes(col->bytes + off[r], (size_t)(off[r + 1] - off[r]));
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i), len = (size_t)(off[r + 1] - off[r]);
        const char *s = col->bytes + off[r];

        if (!valid_all && !ddf_column_is_valid(col, r)) {
            if (gb->dropna) {
                gid[i] = NO_GROUP;
                continue;
            }
            rc = find_group(gb, cols, r, key_hash(col, r), &gid[i], err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (gb->ngroups > PF_MIN_GROUPS && i + PF_DIST < n)
            __builtin_prefetch(&gb->slots[h[i + PF_DIST] & (gb->nslots - 1)]);
        if (gb->nslots) {
            size_t mask = gb->nslots - 1, p;

            for (p = h[i] & mask; gb->slots[p].gid1; p = (p + 1) & mask) {
                uint32_t g = gb->slots[p].gid1 - 1;
                const int64_t *ko = keys->values.offsets;

                if (gb->slots[p].hash == h[i] && (size_t)(ko[g + 1] - ko[g]) == len &&
                    ddf_column_is_valid(keys, g) && ddf_bytes_equal(keys->bytes + ko[g], s, len))
                    break;
            }
            if (gb->slots[p].gid1) {
                gid[i] = gb->slots[p].gid1 - 1;
                continue;
            }
        }
        rc = find_group(gb, cols, r, h[i], &gid[i], err);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

static int map_str(ddf_groupby *gb, const ddf_column *col, const uint32_t *rows, size_t base,
                   size_t n, uint32_t *gid, ddf_error *err)
{
    if (rows == NULL && col->validity == NULL)
        return map_str_body(gb, col, true, NULL, base, n, gid, err);
    return map_str_body(gb, col, false, rows, base, n, gid, err);
}

/* One dictionary-encoded string key (column.h): a row's group is its code's, so each
 * dictionary entry is hashed and probed once per update instead of once per row - 8
 * regions or 10,000 products cost 8 or 10,000 probes, whatever the rows. dmap[code] is
 * the code's group + 1, 0 until a row with that code is met (an entry no selected row
 * uses is never probed and makes no group). Codes index dmap, which holds dict_length
 * entries; compaction makes every code smaller (table_compact.c). */
HOT int map_dict_body(ddf_groupby *gb, const ddf_column *col, bool valid_all, uint32_t *dmap,
                      const uint32_t *rows, size_t base, size_t n, uint32_t *gid,
                      ddf_error *err)
{
    const ddf_column *cols[1] = {col};
    const uint16_t *codes = col->codes;
    int rc;

    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);
        uint32_t c = codes[r];

        if (!valid_all && !ddf_column_is_valid(col, r)) {
            /* A null's code names the empty entry: not its group, so no dmap. */
            if (gb->dropna) {
                gid[i] = NO_GROUP;
                continue;
            }
            rc = find_group(gb, cols, r, key_hash(col, r), &gid[i], err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (dmap[c]) {
            gid[i] = dmap[c] - 1;
            continue;
        }
        rc = find_group(gb, cols, r, key_hash(col, r), &gid[i], err);
        if (rc < 0)
            return rc;
        dmap[c] = gid[i] + 1;
    }
    return DDF_OK;
}

static int map_dict(ddf_groupby *gb, const ddf_column *col, uint32_t *dmap,
                    const uint32_t *rows, size_t base, size_t n, uint32_t *gid, ddf_error *err)
{
    if (rows == NULL && col->validity == NULL)
        return map_dict_body(gb, col, true, dmap, NULL, base, n, gid, err);
    return map_dict_body(gb, col, false, dmap, rows, base, n, gid, err);
}

/* Any keys: hashes of the whole batch first (a column at a time), then the probes. */
/* Several dictionary keys (region and product): map_dict for a tuple of codes, c0 +
 * len0 * (c1 + len1 * c2), each tuple probed once. A row with a null key hashes its tuple
 * (its code names the empty entry, not the null), or is dropped by dropna. */
static int map_dicts(ddf_groupby *gb, const ddf_column *const *cols, uint32_t *dmap,
                     const uint32_t *rows, size_t base, size_t n, uint32_t *gid,
                     ddf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i), tuple = 0, scale = 1;
        bool null = false;
        int rc;

        for (size_t k = 0; k < gb->nkeys; k++) {
            null |= !ddf_column_is_valid(cols[k], r);
            tuple += scale * cols[k]->codes[r];
            scale *= cols[k]->dict_length;
        }
        if (null && gb->dropna) {
            gid[i] = NO_GROUP;
            continue;
        }
        if (!null && dmap[tuple]) {
            gid[i] = dmap[tuple] - 1;
            continue;
        }
        rc = find_group(gb, cols, r, tuple_hash(gb, cols, r), &gid[i], err);
        if (rc < 0)
            return rc;
        if (!null)
            dmap[tuple] = gid[i] + 1;
    }
    return DDF_OK;
}

static int map_tuples(ddf_groupby *gb, const ddf_column *const *cols, const uint32_t *rows,
                      size_t base, size_t n, uint32_t *gid, ddf_error *err)
{
    uint64_t *h = gb->hash;
    int rc;

    for (size_t i = 0; i < n; i++)
        h[i] = tuple_hash(gb, cols, ROW(rows, base, i));
    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);

        if (gb->dropna) {
            size_t k = 0;

            while (k < gb->nkeys && !value_is_null(cols[k], r))
                k++;
            if (k < gb->nkeys) {
                gid[i] = NO_GROUP;
                continue;
            }
        }
        if (gb->ngroups > PF_MIN_GROUPS && i + PF_DIST < n)
            __builtin_prefetch(&gb->slots[h[i + PF_DIST] & (gb->nslots - 1)]);
        rc = gb->exact && value_is_null(cols[0], r) ? null_group(gb, cols, r, &gid[i], err)
                                                     : find_group(gb, cols, r, h[i], &gid[i], err);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

/* ---- folds ----
 * One tight loop per compact cell kind over a batch (rows[i] in group gid[i]). Each is
 * agg.c's per-row step for its kind — null rule, Neumaier for floats, exact __int128 for
 * ints and bools, a strict comparison so the first of equal extremes stays — keep the two
 * in step. */

#define PREFETCH_CELL(cells, gid, i, n, pf)                                                 \
    do {                                                                                   \
        if ((pf) && (i) + PF_DIST < (n) && (gid)[(i) + PF_DIST] != NO_GROUP)               \
            __builtin_prefetch(&(cells)[(gid)[(i) + PF_DIST]], 1);                         \
    } while (0)

static inline int64_t int_value(const ddf_column *col, size_t r)
{
    return col->dtype == DDF_DTYPE_BOOL ? (int64_t)col->values.b8[r] : col->values.i64[r];
}

static void fold_count(uint64_t *cells, const ddf_column *col, bool size, const uint32_t *rows,
                       size_t base, const uint32_t *gid, size_t n, bool pf)
{
    for (size_t i = 0; i < n; i++) {
        PREFETCH_CELL(cells, gid, i, n, pf);
        if (gid[i] != NO_GROUP && (size || !value_is_null(col, ROW(rows, base, i))))
            cells[gid[i]]++;
    }
}

HOT void fold_fsum_body(fsum_cell *cells, const ddf_column *col, bool valid_all,
                        const uint32_t *rows, size_t base, const uint32_t *gid, size_t n,
                        bool pf)
{
    const double *v = col->values.f64;

    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);

        PREFETCH_CELL(cells, gid, i, n, pf);
        if (gid[i] == NO_GROUP || (!valid_all && !ddf_column_is_valid(col, r)) || isnan(v[r]))
            continue;
        fsum_cell *c = &cells[gid[i]];
        double x = v[r], t = c->sum + x;

        c->comp += fabs(c->sum) >= fabs(x) ? (c->sum - t) + x : (x - t) + c->sum;
        c->sum = t;
        c->n++;
    }
}

static void fold_fsum(fsum_cell *cells, const ddf_column *col, const uint32_t *rows,
                      size_t base, const uint32_t *gid, size_t n, bool pf)
{
    if (rows == NULL && col->validity == NULL)
        fold_fsum_body(cells, col, true, NULL, base, gid, n, pf);
    else
        fold_fsum_body(cells, col, false, rows, base, gid, n, pf);
}

HOT void fold_isum_body(isum_cell *cells, const ddf_column *col, bool valid_all,
                        const uint32_t *rows, size_t base, const uint32_t *gid, size_t n,
                        bool pf)
{
    for (size_t i = 0; i < n; i++) {
        size_t r = ROW(rows, base, i);

        PREFETCH_CELL(cells, gid, i, n, pf);
        if (gid[i] == NO_GROUP || (!valid_all && !ddf_column_is_valid(col, r)))
            continue;
        cells[gid[i]].sum += int_value(col, r);
        cells[gid[i]].n++;
    }
}

static void fold_isum(isum_cell *cells, const ddf_column *col, const uint32_t *rows,
                      size_t base, const uint32_t *gid, size_t n, bool pf)
{
    if (rows == NULL && col->validity == NULL)
        fold_isum_body(cells, col, true, NULL, base, gid, n, pf);
    else
        fold_isum_body(cells, col, false, rows, base, gid, n, pf);
}

static void fold_fext(fext_cell *cells, bool is_min, const ddf_column *col,
                      const uint32_t *rows, size_t base, const uint32_t *gid, size_t n, bool pf)
{
    for (size_t i = 0; i < n; i++) {
        PREFETCH_CELL(cells, gid, i, n, pf);
        if (gid[i] == NO_GROUP || value_is_null(col, ROW(rows, base, i)))
            continue;
        fext_cell *c = &cells[gid[i]];
        double x = col->values.f64[ROW(rows, base, i)];

        if (c->n == 0 || (is_min ? x < c->v : x > c->v))
            c->v = x;
        c->n++;
    }
}

static void fold_iext(iext_cell *cells, bool is_min, const ddf_column *col,
                      const uint32_t *rows, size_t base, const uint32_t *gid, size_t n, bool pf)
{
    for (size_t i = 0; i < n; i++) {
        PREFETCH_CELL(cells, gid, i, n, pf);
        if (gid[i] == NO_GROUP || value_is_null(col, ROW(rows, base, i)))
            continue;
        iext_cell *c = &cells[gid[i]];
        int64_t x = int_value(col, ROW(rows, base, i));

        if (c->n == 0 || (is_min ? x < c->v : x > c->v))
            c->v = x;
        c->n++;
    }
}

/* Full cells: the batch's rows sorted by group (counting sort over the groups it touched,
 * in order of first touch), then one ddf_agg_update per touched group and aggregation. */
static int fold_full(ddf_groupby *gb, const ddf_table *table, const uint32_t *rows,
                     size_t base, size_t n, uint64_t part, ddf_error *err)
{
    uint32_t *lid = gb->lid, *touched = gb->touched, *off = gb->off, *order = gb->order;
    size_t m = 0;
    uint32_t sum = 0;
    int rc = DDF_OK;

    for (size_t i = 0; i < n; i++) {
        uint32_t g = gb->gid[i];

        if (g == NO_GROUP) {
            lid[i] = NO_GROUP;
            continue;
        }
        if (gb->mark[g] == 0) {
            touched[m] = g;
            off[m] = 0;
            gb->mark[g] = (uint32_t)++m;
        }
        lid[i] = gb->mark[g] - 1;
        off[lid[i]]++;
    }
    for (size_t l = 0; l < m; l++) { /* counts -> start offsets, then scatter */
        uint32_t c = off[l];
        off[l] = sum;
        sum += c;
    }
    off[m] = sum;
    for (size_t i = 0; i < n; i++)
        if (lid[i] != NO_GROUP)
            order[off[lid[i]]++] = (uint32_t)ROW(rows, base, i);
    for (size_t l = m; l > 0; l--)
        off[l] = off[l - 1];
    off[0] = 0;
    for (size_t j = 0; j < gb->naggs && rc == DDF_OK; j++) {
        if (gb->cell[j] != CELL_FULL)
            continue;
        for (size_t l = 0; l < m && rc == DDF_OK; l++)
            rc = ddf_agg_update((ddf_agg_state *)gb->cells[j] + touched[l],
                                &table->columns[gb->aggs[j].col], order + off[l],
                                off[l + 1] - off[l], part, err);
    }
    for (size_t l = 0; l < m; l++)
        gb->mark[touched[l]] = 0;
    return rc;
}

static int fold_batch(ddf_groupby *gb, const ddf_table *table, const uint32_t *rows,
                      size_t base, size_t n, uint64_t part, ddf_error *err)
{
    bool pf = gb->ngroups > PF_MIN_GROUPS;

    for (size_t j = 0; j < gb->naggs; j++) {
        const ddf_column *col = &table->columns[gb->aggs[j].col];
        bool is_min = gb->aggs[j].kind == DDF_AGG_MIN;

        switch (gb->cell[j]) {
        case CELL_COUNT:
            fold_count(gb->cells[j], col, gb->aggs[j].kind == DDF_AGG_SIZE, rows, base,
                       gb->gid, n, pf);
            break;
        case CELL_FSUM:
            fold_fsum(gb->cells[j], col, rows, base, gb->gid, n, pf);
            break;
        case CELL_ISUM:
            fold_isum(gb->cells[j], col, rows, base, gb->gid, n, pf);
            break;
        case CELL_FEXT:
            fold_fext(gb->cells[j], is_min, col, rows, base, gb->gid, n, pf);
            break;
        case CELL_IEXT:
            fold_iext(gb->cells[j], is_min, col, rows, base, gb->gid, n, pf);
            break;
        default:
            break;
        }
    }
    return gb->any_full ? fold_full(gb, table, rows, base, n, part, err) : DDF_OK;
}

/* ---- cells as agg.c states ---- */

/* The state of aggregation j of group g: the cell itself when it is full, else *tmp
 * filled from the compact cell (write it back with store_state). */
static ddf_agg_state *state_of(const ddf_groupby *gb, size_t j, size_t g, ddf_agg_state *tmp)
{
    const char *cell = (const char *)gb->cells[j] + g * cell_size(gb->cell[j]);

    if (gb->cell[j] == CELL_FULL)
        return (ddf_agg_state *)cell;
    *tmp = gb->empty[j];
    switch (gb->cell[j]) {
    case CELL_COUNT:
        memcpy(&tmp->count, cell, sizeof tmp->count);
        break;
    case CELL_FSUM:
        tmp->fa = ((const fsum_cell *)cell)->sum;
        tmp->fb = ((const fsum_cell *)cell)->comp;
        tmp->count = ((const fsum_cell *)cell)->n;
        break;
    case CELL_ISUM:
        tmp->isum = ((const isum_cell *)cell)->sum;
        tmp->count = ((const isum_cell *)cell)->n;
        break;
    case CELL_FEXT:
        tmp->fa = ((const fext_cell *)cell)->v;
        tmp->count = ((const fext_cell *)cell)->n;
        break;
    default:
        tmp->ival = ((const iext_cell *)cell)->v;
        tmp->count = ((const iext_cell *)cell)->n;
        break;
    }
    return tmp;
}

static void store_state(ddf_groupby *gb, size_t j, size_t g, const ddf_agg_state *st)
{
    char *cell = (char *)gb->cells[j] + g * cell_size(gb->cell[j]);

    switch (gb->cell[j]) {
    case CELL_FULL:
        break; /* state_of handed out the cell itself */
    case CELL_COUNT:
        memcpy(cell, &st->count, sizeof st->count);
        break;
    case CELL_FSUM:
        ((fsum_cell *)cell)->sum = st->fa;
        ((fsum_cell *)cell)->comp = st->fb;
        ((fsum_cell *)cell)->n = st->count;
        break;
    case CELL_ISUM:
        ((isum_cell *)cell)->sum = st->isum;
        ((isum_cell *)cell)->n = st->count;
        break;
    case CELL_FEXT:
        ((fext_cell *)cell)->v = st->fa;
        ((fext_cell *)cell)->n = st->count;
        break;
    default:
        ((iext_cell *)cell)->v = st->ival;
        ((iext_cell *)cell)->n = st->count;
        break;
    }
}

/* Merge 'src' into aggregation j of group g by agg.c's rules. */
static int merge_state(ddf_groupby *gb, size_t j, size_t g, const ddf_agg_state *src,
                       ddf_error *err)
{
    ddf_agg_state tmp, *dst = state_of(gb, j, g, &tmp);
    int rc = ddf_agg_merge(dst, src, err);

    if (rc == DDF_OK)
        store_state(gb, j, g, dst);
    return rc;
}

/* ---- life cycle ---- */

int ddf_groupby_new(const ddf_table *like, const size_t *keys, size_t nkeys,
                    const ddf_groupby_agg *aggs, size_t naggs, bool dropna, ddf_groupby **out,
                    ddf_error *err)
{
    ddf_groupby *gb;
    ddf_dtype rd;
    int rc;

    *out = NULL;
    if (nkeys < 1 || nkeys > DDF_GROUPBY_MAX_KEYS)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: %zu keys (1 to %d allowed)", nkeys,
                              DDF_GROUPBY_MAX_KEYS);
    if (naggs > DDF_GROUPBY_MAX_AGGS)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: %zu aggregations (limit %d)", naggs,
                              DDF_GROUPBY_MAX_AGGS);
    for (size_t k = 0; k < nkeys; k++) {
        if (keys[k] >= like->ncols)
            return ddf_error_setf(err, DDF_EINVAL, "group-by: key column %zu of %zu", keys[k],
                                  like->ncols);
        if (like->columns[keys[k]].dtype == DDF_DTYPE_NULL)
            return ddf_error_setf(err, DDF_ETYPE, "group-by: key '%s' has no dtype",
                                  like->names[keys[k]]);
    }
    for (size_t j = 0; j < naggs; j++) {
        if (aggs[j].col >= like->ncols)
            return ddf_error_setf(err, DDF_EINVAL, "group-by: value column %zu of %zu",
                                  aggs[j].col, like->ncols);
        if (ddf_agg_name(aggs[j].kind) == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "group-by: unknown aggregation %d",
                                  (int)aggs[j].kind);
        if (ddf_agg_result_dtype(aggs[j].kind, like->columns[aggs[j].col].dtype, &rd) < 0)
            return ddf_error_setf(err, DDF_ETYPE, "group-by: cannot %s column '%s' of %s",
                                  ddf_agg_name(aggs[j].kind), like->names[aggs[j].col],
                                  ddf_dtype_name(like->columns[aggs[j].col].dtype));
    }
    gb = ddf_calloc(1, sizeof *gb);
    if (gb == NULL)
        goto nomem;
    gb->nkeys = nkeys;
    gb->naggs = naggs;
    gb->dropna = dropna;
    gb->max_groups = DDF_GROUPBY_MAX_GROUPS;
    gb->exact = nkeys == 1 && like->columns[keys[0]].dtype != DDF_DTYPE_STRING;
    gb->dense_on = nkeys == 1 && like->columns[keys[0]].dtype == DDF_DTYPE_INT64;
    gb->arena = ddf_arena_new();
    gb->aggs = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->aggs);
    gb->agg_dtype = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->agg_dtype);
    gb->cell = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->cell);
    gb->empty = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->empty);
    gb->cells = ddf_calloc(naggs ? naggs : 1, sizeof *gb->cells);
    gb->gid = ddf_mallocarray(BATCH, sizeof *gb->gid);
    gb->hash = ddf_mallocarray(BATCH, sizeof *gb->hash);
    gb->agg_name = gb->arena ? ddf_arena_calloc(gb->arena, naggs + 1, sizeof(char *)) : NULL;
    if (!gb->arena || !gb->aggs || !gb->agg_dtype || !gb->cell || !gb->empty || !gb->cells ||
        !gb->gid || !gb->hash || !gb->agg_name)
        goto nomem;
    for (size_t k = 0; k < nkeys; k++) {
        const char *name = like->names[keys[k]];
        size_t len = strlen(name);

        gb->key_idx[k] = keys[k];
        ddf_column_init(&gb->keys[k], like->columns[keys[k]].dtype);
        gb->key_name[k] = ddf_arena_alloc(gb->arena, len + 1);
        if (gb->key_name[k] == NULL)
            goto nomem;
        memcpy(gb->key_name[k], name, len + 1);
    }
    for (size_t j = 0; j < naggs; j++) {
        const char *col = like->names[aggs[j].col];
        size_t uses = 0, len;

        gb->aggs[j] = aggs[j];
        gb->agg_dtype[j] = like->columns[aggs[j].col].dtype;
        gb->cell[j] = cell_for(aggs[j].kind, gb->agg_dtype[j]);
        /* checked above: cannot fail; allocates nothing (nunique's set comes later) */
        (void)ddf_agg_init(&gb->empty[j], aggs[j].kind, gb->agg_dtype[j], gb->arena, err);
        gb->any_full = gb->any_full || gb->cell[j] == CELL_FULL;
        for (size_t i = 0; i < naggs; i++)
            uses += aggs[i].col == aggs[j].col;
        len = strlen(col) + 16;
        gb->agg_name[j] = ddf_arena_alloc(gb->arena, len);
        if (gb->agg_name[j] == NULL)
            goto nomem;
        if (uses == 1)
            snprintf(gb->agg_name[j], len, "%s", col);
        else
            snprintf(gb->agg_name[j], len, "%s_%s", col, ddf_agg_name(aggs[j].kind));
    }
    if (gb->any_full) {
        gb->lid = ddf_mallocarray(BATCH, sizeof *gb->lid);
        gb->touched = ddf_mallocarray(BATCH, sizeof *gb->touched);
        gb->off = ddf_mallocarray(BATCH + 1, sizeof *gb->off);
        gb->order = ddf_mallocarray(BATCH, sizeof *gb->order);
        if (!gb->lid || !gb->touched || !gb->off || !gb->order)
            goto nomem;
    }
    *out = gb;
    return DDF_OK;
nomem:
    rc = ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory");
    ddf_groupby_free(gb);
    return rc;
}

void ddf_groupby_free(ddf_groupby *gb)
{
    if (gb == NULL)
        return;
    for (size_t j = 0; gb->cells && j < gb->naggs; j++) {
        for (size_t g = 0; gb->cell[j] == CELL_FULL && g < gb->ngroups; g++)
            ddf_agg_fini((ddf_agg_state *)gb->cells[j] + g);
        ddf_free(gb->cells[j]);
    }
    ddf_free(gb->cells);
    ddf_free(gb->cell);
    ddf_free(gb->empty);
    ddf_free(gb->aggs);
    ddf_free(gb->agg_dtype);
    ddf_free(gb->mark);
    ddf_free(gb->slots);
    ddf_free(gb->dense);
    ddf_free(gb->gid);
    ddf_free(gb->hash);
    ddf_free(gb->lid);
    ddf_free(gb->touched);
    ddf_free(gb->off);
    ddf_free(gb->order);
    ddf_free(gb->dmap);
    ddf_arena_free(gb->arena);
    ddf_free(gb);
}

/* Code tuples a map of dictionary keys may hold: 4 MiB of map at most. */
#define DICT_TUPLES_MAX (1u << 20)

/* The map of code tuples to groups of dictionary keys cols[0..nkeys): the one kept from
 * the last update when the keys have the same dictionaries (the same buffers), else a
 * fresh one. NULL when a key is not a dictionary, the tuples would pass
 * DICT_TUPLES_MAX, or out of memory: the caller then hashes the keys. */
static uint32_t *dict_map_for(ddf_groupby *gb, const ddf_column *const *cols)
{
    size_t tuples = 1;
    bool same = gb->dmap != NULL;

    for (size_t k = 0; k < gb->nkeys; k++) {
        const ddf_column *c = cols[k];

        if (c->codes == NULL || c->dict_length == 0 || tuples > DICT_TUPLES_MAX / c->dict_length)
            return NULL;
        tuples *= c->dict_length;
        same = same && gb->dmap_offsets[k] == c->values.offsets &&
               gb->dmap_bytes[k] == c->bytes && gb->dmap_dict_len[k] == c->dict_length;
    }
    if (same)
        return gb->dmap;
    ddf_free(gb->dmap);
    gb->dmap = ddf_calloc(tuples, sizeof(*gb->dmap));
    for (size_t k = 0; k < gb->nkeys; k++) {
        gb->dmap_offsets[k] = cols[k]->values.offsets;
        gb->dmap_bytes[k] = cols[k]->bytes;
        gb->dmap_dict_len[k] = cols[k]->dict_length;
    }
    return gb->dmap;
}

void ddf_groupby_set_max_groups(ddf_groupby *gb, size_t max_groups)
{
    gb->max_groups = max_groups < DDF_GROUPBY_MAX_GROUPS ? max_groups : DDF_GROUPBY_MAX_GROUPS;
}

size_t ddf_groupby_ngroups(const ddf_groupby *gb)
{
    return gb->ngroups;
}

static int check_usable(const ddf_groupby *gb, ddf_error *err)
{
    if (gb->spent)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: unusable after an earlier error");
    return DDF_OK;
}

/* ---- update ---- */

int ddf_groupby_update(ddf_groupby *gb, const ddf_table *table, const uint32_t *sel,
                       size_t nsel, uint64_t part, ddf_error *err)
{
    const ddf_column *cols[DDF_GROUPBY_MAX_KEYS];
    size_t n = sel ? nsel : table->nrows;
    uint32_t *dmap = NULL; /* dictionary keys only: code tuples' groups (dict_map_for) */
    int rc;

    rc = check_usable(gb, err);
    if (rc < 0)
        return rc;
    if (table->nrows > UINT32_MAX)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: %zu rows in one table (max %u)",
                              table->nrows, UINT32_MAX);
    for (size_t k = 0; k < gb->nkeys; k++) {
        if (gb->key_idx[k] >= table->ncols ||
            table->columns[gb->key_idx[k]].dtype != gb->keys[k].dtype)
            return ddf_error_setf(err, DDF_EINVAL, "group-by: key '%s' missing or retyped",
                                  gb->key_name[k]);
        cols[k] = &table->columns[gb->key_idx[k]];
    }
    for (size_t j = 0; j < gb->naggs; j++)
        if (gb->aggs[j].col >= table->ncols ||
            table->columns[gb->aggs[j].col].dtype != gb->agg_dtype[j])
            return ddf_error_setf(err, DDF_EINVAL, "group-by: value column %zu missing or "
                                  "retyped", gb->aggs[j].col);
    for (size_t i = 0; sel && i < nsel; i++)
        if (sel[i] >= table->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "group-by: selected row %u of %zu",
                                  sel[i], table->nrows);
    /* Without memory for the map a dictionary key takes map_tuples, which reads it
     * through ddf_column_str (map_str reads plain offsets). */
    if (!gb->exact && n)
        dmap = dict_map_for(gb, cols);
    for (size_t start = 0; start < n && rc == DDF_OK; start += BATCH) {
        size_t m = n - start < BATCH ? n - start : BATCH;

        const uint32_t *rows = sel ? sel + start : NULL;

        if (dmap && gb->nkeys == 1)
            rc = map_dict(gb, cols[0], dmap, rows, start, m, gb->gid, err);
        else if (dmap)
            rc = map_dicts(gb, cols, dmap, rows, start, m, gb->gid, err);
        else if (gb->exact && cols[0]->dtype == DDF_DTYPE_INT64)
            rc = map_i64(gb, cols[0], rows, start, m, gb->gid, err);
        else if (gb->exact)
            rc = map_exact(gb, cols[0], rows, start, m, gb->gid, err);
        else if (gb->nkeys == 1 && cols[0]->codes == NULL)
            rc = map_str(gb, cols[0], rows, start, m, gb->gid, err);
        else
            rc = map_tuples(gb, cols, rows, start, m, gb->gid, err);
        if (rc == DDF_OK)
            rc = fold_batch(gb, table, rows, start, m, part, err);
    }
    if (rc < 0)
        gb->spent = true;
    return rc;
}

/* ---- merge ---- */

static int check_same_spec(const ddf_groupby *a, const ddf_groupby *b, ddf_error *err)
{
    bool same = a->nkeys == b->nkeys && a->naggs == b->naggs && a->dropna == b->dropna;

    for (size_t k = 0; same && k < a->nkeys; k++)
        same = a->keys[k].dtype == b->keys[k].dtype;
    for (size_t j = 0; same && j < a->naggs; j++)
        same = a->aggs[j].kind == b->aggs[j].kind && a->agg_dtype[j] == b->agg_dtype[j];
    if (!same)
        return ddf_error_setf(err, DDF_EINVAL, "group-by: merging group-bys of other specs");
    return DDF_OK;
}

int ddf_groupby_merge(ddf_groupby *dst, const ddf_groupby *src, ddf_error *err)
{
    const ddf_column *cols[DDF_GROUPBY_MAX_KEYS];
    ddf_agg_state tmp;
    int rc;
    uint32_t g;

    rc = check_usable(dst, err);
    if (rc == DDF_OK)
        rc = check_usable(src, err);
    if (rc == DDF_OK)
        rc = check_same_spec(dst, src, err);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < src->nkeys; k++)
        cols[k] = &src->keys[k];
    for (size_t s = 0; s < src->ngroups && rc == DDF_OK; s++) {
        rc = group_of(dst, cols, s, &g, err);
        for (size_t j = 0; j < dst->naggs && rc == DDF_OK; j++)
            rc = merge_state(dst, j, g, state_of(src, j, s, &tmp), err);
    }
    if (rc < 0)
        dst->spent = true;
    return rc;
}

/* ---- partial tables ---- */

/* Append every row of 'src' to column 'dst' of table 't'. */
static int copy_column(ddf_table *t, size_t dst, const ddf_column *src)
{
    ddf_column *d = &t->columns[dst];
    int rc = ddf_column_reserve(d, t->arena, src->length,
                                src->dtype == DDF_DTYPE_STRING && src->length
                                    ? (size_t)src->values.offsets[src->length]
                                    : 0);

    for (size_t i = 0; i < src->length && rc == DDF_OK; i++)
        rc = ddf_column_append_from(d, t->arena, src, i);
    return rc;
}

/* The states of aggregation j as one array in *out (what ddf_agg_states_to_table takes):
 * the cells themselves when full, else *tmp filled (caller frees it). */
static int states_of(const ddf_groupby *gb, size_t j, const ddf_agg_state **out,
                     ddf_agg_state **tmp)
{
    *tmp = NULL;
    *out = gb->cells[j]; /* NULL before the first group: fine for zero states */
    if (gb->cell[j] == CELL_FULL || gb->ngroups == 0)
        return DDF_OK;
    *tmp = ddf_mallocarray(gb->ngroups, sizeof **tmp);
    if (*tmp == NULL)
        return DDF_ENOMEM;
    for (size_t g = 0; g < gb->ngroups; g++)
        (void)state_of(gb, j, g, &(*tmp)[g]);
    *out = *tmp;
    return DDF_OK;
}

int ddf_groupby_to_table(const ddf_groupby *gb, ddf_table **out, ddf_error *err)
{
    ddf_table *t, *st = NULL;
    ddf_agg_state *tmp = NULL;
    const ddf_agg_state *states;
    size_t ncols = gb->nkeys + NFIELDS * gb->naggs;
    int rc;

    *out = NULL;
    rc = check_usable(gb, err);
    if (rc < 0)
        return rc;
    if (ncols > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_ETOOBIG, "group-by: %zu partial columns (limit %d)",
                              ncols, DDF_MAX_COLUMNS);
    t = ddf_table_new(ncols);
    if (t == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory");
    for (size_t k = 0; k < gb->nkeys; k++) {
        rc = ddf_table_set_column(t, k, gb->key_name[k], strlen(gb->key_name[k]),
                                  gb->keys[k].dtype);
        if (rc == DDF_OK)
            rc = copy_column(t, k, &gb->keys[k]);
        if (rc < 0)
            goto nomem;
    }
    for (size_t j = 0; j < gb->naggs; j++) {
        if (states_of(gb, j, &states, &tmp) < 0)
            goto nomem;
        rc = ddf_agg_states_to_table(states, gb->ngroups, &st, err);
        ddf_free(tmp);
        tmp = NULL;
        if (rc < 0)
            goto out_free;
        for (size_t f = 0; f < NFIELDS; f++) {
            size_t c = gb->nkeys + NFIELDS * j + f;
            rc = ddf_table_set_column(t, c, st->names[f], strlen(st->names[f]),
                                      st->columns[f].dtype);
            if (rc == DDF_OK)
                rc = copy_column(t, c, &st->columns[f]);
            if (rc < 0)
                goto nomem;
        }
        ddf_table_free(st);
        st = NULL;
    }
    t->nrows = gb->ngroups;
    *out = t;
    return DDF_OK;
nomem:
    rc = ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory building the partial");
out_free:
    ddf_table_free(st);
    ddf_table_free(t);
    return rc;
}

int ddf_groupby_merge_table(ddf_groupby *gb, const ddf_table *table, ddf_error *err)
{
    const ddf_column *cols[DDF_GROUPBY_MAX_KEYS];
    ddf_agg_state *tmp = NULL;
    uint32_t *gid = NULL;
    size_t n = table->nrows;
    int rc;

    rc = check_usable(gb, err);
    if (rc < 0)
        return rc;
    if (table->ncols != gb->nkeys + NFIELDS * gb->naggs)
        return ddf_error_setf(err, DDF_ECORRUPT, "group-by partial: %zu columns, expected %zu",
                              table->ncols, gb->nkeys + NFIELDS * gb->naggs);
    for (size_t k = 0; k < gb->nkeys; k++) {
        if (table->columns[k].dtype != gb->keys[k].dtype || table->columns[k].length != n)
            return ddf_error_setf(err, DDF_ECORRUPT, "group-by partial: key %zu is not %s", k,
                                  ddf_dtype_name(gb->keys[k].dtype));
        cols[k] = &table->columns[k];
    }
    tmp = ddf_mallocarray(n ? n : 1, sizeof *tmp);
    gid = ddf_mallocarray(n ? n : 1, sizeof *gid);
    if (tmp == NULL || gid == NULL) {
        ddf_free(tmp);
        ddf_free(gid);
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory");
    }
    for (size_t r = 0; r < n && rc == DDF_OK; r++)
        rc = group_of(gb, cols, r, &gid[r], err);
    for (size_t j = 0; j < gb->naggs && rc == DDF_OK; j++) {
        ddf_table view = *table;

        view.ncols = NFIELDS;
        view.names = table->names + gb->nkeys + NFIELDS * j;
        view.columns = table->columns + gb->nkeys + NFIELDS * j;
        rc = ddf_agg_states_from_table(&view, gb->arena, tmp, n, err);
        if (rc < 0)
            break;
        for (size_t r = 0; r < n && rc == DDF_OK; r++)
            if (tmp[r].kind != gb->aggs[j].kind || tmp[r].dtype != gb->agg_dtype[j])
                rc = ddf_error_setf(err, DDF_ECORRUPT, "group-by partial: aggregation %zu is "
                                    "not %s of %s", j, ddf_agg_name(gb->aggs[j].kind),
                                    ddf_dtype_name(gb->agg_dtype[j]));
        for (size_t r = 0; r < n && rc == DDF_OK; r++)
            rc = merge_state(gb, j, gid[r], &tmp[r], err);
        for (size_t r = 0; r < n; r++)
            ddf_agg_fini(&tmp[r]);
    }
    ddf_free(tmp);
    ddf_free(gid);
    if (rc < 0)
        gb->spent = true;
    return rc;
}

/* ---- result ---- */

static int cmp_groups(const void *pa, const void *pb, void *ctx)
{
    const ddf_groupby *gb = ctx;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    for (size_t k = 0; k < gb->nkeys; k++) {
        int r = key_cmp(&gb->keys[k], a, b);
        if (r)
            return r;
    }
    return 0;
}

/* One string key: order by the first 8 bytes as a big-endian number (the byte order of
 * the strings, zero-padded), which decides most comparisons without touching the
 * strings; equal prefixes fall back to key_cmp. Nulls carry null = 1 and sort last. */
typedef struct str_item {
    uint64_t prefix;
    uint32_t g;
    uint32_t null;
} str_item;

static int cmp_str_items(const void *pa, const void *pb, void *ctx)
{
    const ddf_groupby *gb = ctx;
    const str_item *a = pa, *b = pb;

    if (a->null != b->null)
        return a->null ? 1 : -1;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    return key_cmp(&gb->keys[0], a->g, b->g);
}

static int str_order(const ddf_groupby *gb, uint32_t *order)
{
    const ddf_column *c = &gb->keys[0];
    str_item *items = ddf_mallocarray(gb->ngroups ? gb->ngroups : 1, sizeof *items);

    if (items == NULL)
        return DDF_ENOMEM;
    for (size_t g = 0; g < gb->ngroups; g++) {
        size_t len;
        const char *s = ddf_column_str(c, g, &len);
        unsigned char b[8] = {0};

        memcpy(b, s, len < 8 ? len : 8);
        items[g].prefix = 0;
        for (int k = 0; k < 8; k++)
            items[g].prefix = items[g].prefix << 8 | b[k];
        items[g].g = (uint32_t)g;
        items[g].null = !ddf_column_is_valid(c, g);
    }
    if (ddf_sort(items, gb->ngroups, sizeof *items, cmp_str_items, (void *)gb) < 0) {
        ddf_free(items);
        return DDF_ENOMEM;
    }
    for (size_t i = 0; i < gb->ngroups; i++)
        order[i] = items[i].g;
    ddf_free(items);
    return DDF_OK;
}

typedef struct sort_item {
    uint64_t key; /* ordered as unsigned */
    uint32_t g;
} sort_item;

/* The non-null key of group g as an unsigned number in the key's order. */
static uint64_t order_bits(const ddf_column *c, size_t g)
{
    uint64_t bits = key_bits(c, g);

    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        return bits ^ (1ull << 63);
    case DDF_DTYPE_FLOAT64: /* IEEE order: flip negatives whole, set the sign of others */
        return bits >> 63 ? ~bits : bits | (1ull << 63);
    default:
        return bits;
    }
}

/* Exact mode: order[] sorted by the one key with an LSD radix sort (a comparison sort of a
 * million groups costs more than folding ten million rows into them); nulls last. */
static int radix_order(const ddf_groupby *gb, uint32_t *order)
{
    const ddf_column *c = &gb->keys[0];
    size_t n = 0, nulls = 0;
    sort_item *a = ddf_mallocarray(gb->ngroups ? 2 * gb->ngroups : 1, sizeof *a), *b, *t;
    uint64_t diff = 0;

    if (a == NULL)
        return DDF_ENOMEM;
    b = a + gb->ngroups;
    for (size_t g = 0; g < gb->ngroups; g++) {
        if (value_is_null(c, g)) {
            nulls++;
            continue;
        }
        a[n].key = order_bits(c, g);
        a[n].g = (uint32_t)g;
        diff |= a[n].key ^ a[0].key;
        n++;
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0}, sum = 0;

        if (((diff >> shift) & 0xff) == 0)
            continue; /* every key has this byte: the pass would change nothing */
        for (size_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & 0xff]++;
        for (size_t d = 0; d < 256; d++) {
            size_t k = count[d];
            count[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            b[count[(a[i].key >> shift) & 0xff]++] = a[i];
        t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = a[i].g;
    if (nulls) /* the one null group of exact mode */
        order[n] = gb->null_gid1 - 1;
    ddf_free(a < b ? a : b);
    return DDF_OK;
}

static int append_value(ddf_column *c, ddf_arena *a, const ddf_agg_value *v)
{
    switch (v->dtype) {
    case DDF_DTYPE_NULL:
        return ddf_column_append_null(c, a);
    case DDF_DTYPE_INT64:
        return ddf_column_append_i64(c, a, v->i64);
    case DDF_DTYPE_FLOAT64:
        return ddf_column_append_f64(c, a, v->f64);
    case DDF_DTYPE_BOOL:
        return ddf_column_append_bool(c, a, v->i64 != 0);
    default:
        return ddf_column_append_str(c, a, v->str, v->str_len);
    }
}

int ddf_groupby_result(const ddf_groupby *gb, ddf_table **out, ddf_error *err)
{
    ddf_table *t;
    uint32_t *order;
    ddf_agg_value v;
    ddf_agg_state tmp;
    ddf_dtype rd;
    int rc;

    *out = NULL;
    rc = check_usable(gb, err);
    if (rc < 0)
        return rc;
    if (gb->nkeys + gb->naggs > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_ETOOBIG, "group-by: %zu result columns (limit %d)",
                              gb->nkeys + gb->naggs, DDF_MAX_COLUMNS);
    order = ddf_mallocarray(gb->ngroups ? gb->ngroups : 1, sizeof *order);
    t = ddf_table_new(gb->nkeys + gb->naggs);
    if (order == NULL || t == NULL)
        goto nomem;
    if (gb->exact) {
        if (radix_order(gb, order) < 0)
            goto nomem;
    } else if (gb->nkeys == 1) {
        if (str_order(gb, order) < 0)
            goto nomem;
    } else {
        for (size_t g = 0; g < gb->ngroups; g++)
            order[g] = (uint32_t)g;
        if (ddf_sort(order, gb->ngroups, sizeof *order, cmp_groups, (void *)gb) < 0)
            goto nomem;
    }
    for (size_t k = 0; k < gb->nkeys; k++) {
        const ddf_column *src = &gb->keys[k];
        ddf_column *d = &t->columns[k];
        ddf_agg_value kv;

        if (ddf_table_set_column(t, k, gb->key_name[k], strlen(gb->key_name[k]),
                                 src->dtype) < 0 ||
            ddf_column_reserve(d, t->arena, gb->ngroups, 0) < 0)
            goto nomem;
        for (size_t i = 0; i < gb->ngroups; i++) {
            size_t g = order[i];

            if (i + PF_DIST < gb->ngroups && src->dtype != DDF_DTYPE_STRING)
                __builtin_prefetch(&src->values.i64[order[i + PF_DIST]]);
            memset(&kv, 0, sizeof kv);
            kv.dtype = value_is_null(src, g) ? DDF_DTYPE_NULL : src->dtype;
            if (kv.dtype == DDF_DTYPE_INT64)
                kv.i64 = src->values.i64[g];
            else if (kv.dtype == DDF_DTYPE_BOOL)
                kv.i64 = src->values.b8[g];
            else if (kv.dtype == DDF_DTYPE_FLOAT64)
                kv.f64 = src->values.f64[g] == 0 ? 0.0 : src->values.f64[g];
            else if (kv.dtype == DDF_DTYPE_STRING)
                kv.str = ddf_column_str(src, g, &kv.str_len);
            if (append_value(d, t->arena, &kv) < 0)
                goto nomem;
        }
    }
    for (size_t j = 0; j < gb->naggs; j++) {
        size_t c = gb->nkeys + j;

        (void)ddf_agg_result_dtype(gb->aggs[j].kind, gb->agg_dtype[j], &rd); /* checked */
        if (ddf_table_set_column(t, c, gb->agg_name[j], strlen(gb->agg_name[j]), rd) < 0 ||
            ddf_column_reserve(&t->columns[c], t->arena, gb->ngroups, 0) < 0)
            goto nomem;
        for (size_t i = 0; i < gb->ngroups; i++) {
            if (i + PF_DIST < gb->ngroups)
                __builtin_prefetch((const char *)gb->cells[j] +
                                   order[i + PF_DIST] * cell_size(gb->cell[j]));
            rc = ddf_agg_finalize(state_of(gb, j, order[i], &tmp), &v, err);
            if (rc < 0)
                goto out_free;
            if (v.dtype != DDF_DTYPE_NULL && v.dtype != rd) { /* e.g. bool min as int */
                if (rd == DDF_DTYPE_FLOAT64 && v.dtype != DDF_DTYPE_FLOAT64)
                    v.f64 = (double)v.i64;
                v.dtype = rd;
            }
            if (append_value(&t->columns[c], t->arena, &v) < 0)
                goto nomem;
        }
    }
    t->nrows = gb->ngroups;
    ddf_free(order);
    *out = t;
    return DDF_OK;
nomem:
    rc = ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory building the result");
out_free:
    ddf_table_free(t);
    ddf_free(order);
    return rc;
}
