/* groupby.c - hash group-by over 1 to 3 key columns with mergeable partial states.
 *
 * Groups are numbered 0..ngroups) in order of first appearance. Their key values live in
 * one ddf_column per key (in the group-by's arena, so string keys are copied once), and
 * their states in one ddf_agg_state array per aggregation (states[j][g]), which is the
 * contiguous run ddf_agg_states_to_table wants.
 *
 * The hash table is open addressing with linear probing: 'slots' holds group number + 1
 * (0 = empty), capacity a power of two kept at most half full; hashes[g] caches each
 * group's 64-bit hash so growing and probing rarely touch the keys.
 *
 * update works a batch at a time with no per-row allocation: it maps each row to a group
 * (inserting new ones), numbers the groups the batch touched 0..m) in order of first
 * touch, counting-sorts the rows by that number, then calls ddf_agg_update once per
 * touched group and aggregation with that group's rows as the selection vector. When
 * every aggregation is count, size, or sum/mean of numbers, it folds each row straight
 * into its group's states instead (see "direct folds"), and one int64 key is probed by
 * a specialized loop. */
#include "groupby.h"

#include "alloc.h"
#include "limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFIELDS 12 /* columns of one ddf_agg_states_to_table */

struct ddf_groupby {
    ddf_arena *arena;              /* key columns, names, string copies of the states */
    size_t nkeys;
    size_t naggs;
    bool dropna;
    bool spent;                    /* an update or merge failed: only free is allowed */
    bool direct;                   /* every aggregation is_direct: update folds row by row */
    bool i64_key;                  /* one int64 key: find_group_i64 */
    size_t max_groups;             /* <= DDF_GROUPBY_MAX_GROUPS */
    size_t key_idx[DDF_GROUPBY_MAX_KEYS];   /* key column numbers in input tables */
    char *key_name[DDF_GROUPBY_MAX_KEYS];   /* in arena */
    ddf_column keys[DDF_GROUPBY_MAX_KEYS];  /* key values, one row per group */
    ddf_groupby_agg *aggs;         /* naggs; ddf_malloc'd */
    ddf_dtype *agg_dtype;          /* naggs input dtypes; ddf_malloc'd */
    char **agg_name;               /* naggs result column names, in arena */
    ddf_agg_state **states;        /* naggs arrays of 'cap' states; ddf_malloc'd */
    uint64_t *hashes;              /* cap: hash of group g */
    uint32_t *mark;                /* cap: batch-local number + 1 of group g, else 0 */
    size_t ngroups;
    size_t cap;                    /* groups the per-group arrays hold */
    uint32_t *slots;               /* nslots: group + 1, 0 = empty */
    size_t nslots;                 /* power of two, >= 2 * ngroups */
};

/* ---- hashing and key comparison ---- */

/* splitmix64's finalizer: every input bit reaches every output bit. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    uint64_t w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = mix64(h ^ w);
    }
    w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w ^ 0xff);
}

/* Whether row 'row' of key column 'c' is null for grouping (NaN counts as null). */
static inline bool key_is_null(const ddf_column *c, size_t row)
{
    if (!ddf_column_is_valid(c, row))
        return true;
    return c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[row]);
}

static inline uint64_t key_hash(const ddf_column *c, size_t row)
{
    uint64_t bits;
    double d;
    size_t len;
    const char *s;

    if (key_is_null(c, row))
        return 0x5bd1e9955bd1e995ull;
    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        return mix64((uint64_t)c->values.i64[row]);
    case DDF_DTYPE_FLOAT64:
        d = c->values.f64[row];
        if (d == 0)
            d = 0; /* -0.0 and 0.0 are one key */
        memcpy(&bits, &d, 8);
        return mix64(bits ^ 0x1234567ull);
    case DDF_DTYPE_BOOL:
        return mix64(c->values.b8[row] + 0x77ull);
    default:
        s = ddf_column_str(c, row, &len);
        return hash_bytes(s, len);
    }
}

static inline bool key_equal(const ddf_column *a, size_t i, const ddf_column *b, size_t j)
{
    bool na = key_is_null(a, i), nb = key_is_null(b, j);
    size_t la, lb;
    const char *sa, *sb;

    if (na || nb)
        return na && nb;
    switch (a->dtype) {
    case DDF_DTYPE_INT64:
        return a->values.i64[i] == b->values.i64[j];
    case DDF_DTYPE_FLOAT64:
        return a->values.f64[i] == b->values.f64[j];
    case DDF_DTYPE_BOOL:
        return a->values.b8[i] == b->values.b8[j];
    default:
        sa = ddf_column_str(a, i, &la);
        sb = ddf_column_str(b, j, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
}

/* Order of two non-null-or-null key values: nulls last, as pandas sorts them. */
static int key_cmp(const ddf_column *c, size_t i, size_t j)
{
    bool ni = key_is_null(c, i), nj = key_is_null(c, j);
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

/* Room for one more group: grow per-group arrays and the slot array. No change on error. */
static int reserve_group(ddf_groupby *gb, ddf_error *err)
{
    size_t ncap, nslots;
    uint32_t *slots;

    if (gb->ngroups >= gb->max_groups)
        return ddf_error_setf(err, DDF_ETOOBIG, "group-by: more than %zu groups (limit %s)",
                              gb->max_groups, "DDF_GROUPBY_MAX_GROUPS");
    if (gb->ngroups == gb->cap) {
        ncap = gb->cap ? gb->cap * 2 : 64;
        uint64_t *h = ddf_reallocarray(gb->hashes, ncap, sizeof *h);
        if (h == NULL)
            goto nomem;
        gb->hashes = h;
        uint32_t *m = ddf_reallocarray(gb->mark, ncap, sizeof *m);
        if (m == NULL)
            goto nomem;
        gb->mark = m;
        for (size_t j = 0; j < gb->naggs; j++) {
            ddf_agg_state *s = ddf_reallocarray(gb->states[j], ncap, sizeof *s);
            if (s == NULL)
                goto nomem;
            gb->states[j] = s;
        }
        gb->cap = ncap;
    }
    if (2 * (gb->ngroups + 1) > gb->nslots) {
        nslots = gb->nslots ? gb->nslots * 2 : 128;
        slots = ddf_calloc(nslots, sizeof *slots);
        if (slots == NULL)
            goto nomem;
        for (size_t g = 0; g < gb->ngroups; g++) {
            size_t p = gb->hashes[g] & (nslots - 1);
            while (slots[p])
                p = (p + 1) & (nslots - 1);
            slots[p] = (uint32_t)g + 1;
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

/* Append group ngroups with the key of row 'row' of cols[]; its states start empty. */
static int add_group(ddf_groupby *gb, const ddf_column *const *cols, size_t row, uint64_t h,
                     ddf_error *err)
{
    size_t g = gb->ngroups, len;
    const char *s;
    int rc = DDF_OK;

    for (size_t k = 0; k < gb->nkeys && rc == DDF_OK; k++) {
        const ddf_column *c = cols[k];
        ddf_column *dst = &gb->keys[k];

        if (key_is_null(c, row)) {
            rc = ddf_column_append_null(dst, gb->arena);
            continue;
        }
        switch (c->dtype) {
        case DDF_DTYPE_INT64:
            rc = ddf_column_append_i64(dst, gb->arena, c->values.i64[row]);
            break;
        case DDF_DTYPE_FLOAT64:
            rc = ddf_column_append_f64(dst, gb->arena, c->values.f64[row]);
            break;
        case DDF_DTYPE_BOOL:
            rc = ddf_column_append_bool(dst, gb->arena, c->values.b8[row] != 0);
            break;
        default:
            s = ddf_column_str(c, row, &len);
            rc = ddf_column_append_str(dst, gb->arena, s, len);
            break;
        }
    }
    if (rc < 0)
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory copying a key");
    for (size_t j = 0; j < gb->naggs; j++) {
        rc = ddf_agg_init(&gb->states[j][g], gb->aggs[j].kind, gb->agg_dtype[j], gb->arena,
                          err);
        if (rc < 0) { /* checked in new; cannot happen */
            for (size_t i = 0; i < j; i++)
                ddf_agg_fini(&gb->states[i][g]);
            return rc;
        }
    }
    gb->hashes[g] = h;
    gb->mark[g] = 0;
    gb->ngroups++;
    return DDF_OK;
}

/* The group of row 'row' of cols[] in *gid, added when new. */
static int find_group(ddf_groupby *gb, const ddf_column *const *cols, size_t row,
                      uint32_t *gid, ddf_error *err)
{
    uint64_t h = key_hash(cols[0], row);
    size_t p, mask;
    int rc;

    for (size_t k = 1; k < gb->nkeys; k++)
        h = mix64(h ^ (key_hash(cols[k], row) + 0x9e3779b97f4a7c15ull * k));
    if (gb->nslots) {
        mask = gb->nslots - 1;
        for (p = h & mask; gb->slots[p]; p = (p + 1) & mask) {
            uint32_t g = gb->slots[p] - 1;
            size_t k;

            if (gb->hashes[g] != h)
                continue;
            for (k = 0; k < gb->nkeys; k++)
                if (!key_equal(cols[k], row, &gb->keys[k], g))
                    break;
            if (k == gb->nkeys) {
                *gid = g;
                return DDF_OK;
            }
        }
    }
    rc = reserve_group(gb, err); /* may regrow the slots: find the free one again */
    if (rc < 0)
        return rc;
    mask = gb->nslots - 1;
    for (p = h & mask; gb->slots[p]; p = (p + 1) & mask)
        ;
    rc = add_group(gb, cols, row, h, err);
    if (rc < 0)
        return rc;
    gb->slots[p] = (uint32_t)gb->ngroups;
    *gid = (uint32_t)gb->ngroups - 1;
    return DDF_OK;
}

/* find_group for one int64 key: the hot case, probed without the per-dtype switches.
 * Falls back to find_group to insert. */
static inline int find_group_i64(ddf_groupby *gb, const ddf_column *const *cols, size_t row,
                                 uint32_t *gid, ddf_error *err)
{
    const ddf_column *c = cols[0];
    const ddf_column *keys = &gb->keys[0];

    if (gb->nslots && ddf_column_is_valid(c, row)) {
        int64_t k = c->values.i64[row];
        uint64_t h = mix64((uint64_t)k);
        size_t mask = gb->nslots - 1;

        for (size_t p = h & mask; gb->slots[p]; p = (p + 1) & mask) {
            uint32_t g = gb->slots[p] - 1;

            /* the key itself decides; skipping hashes[g] saves a cache miss */
            if (keys->values.i64[g] == k && ddf_column_is_valid(keys, g)) {
                *gid = g;
                return DDF_OK;
            }
        }
    }
    return find_group(gb, cols, row, gid, err);
}

/* With many groups the probe is a chain of cache misses (slot, key, states). A software
 * pipeline hides them: PF_FAR rows ahead, fetch the slot; PF_NEAR rows ahead, read it
 * (now cached) and fetch the group's key and states. Hints only: a stale slot costs a
 * useless fetch, never a wrong answer. */
#define PF_FAR 16
#define PF_NEAR 8
#define PF_MIN_GROUPS 65536 /* below this the table stays in cache: prefetch costs more */

static inline void prefetch_i64(const ddf_groupby *gb, const ddf_column *c, const uint32_t *sel,
                                size_t n, size_t i)
{
    size_t mask = gb->nslots - 1;

    if (gb->nslots == 0)
        return;
    if (i + PF_FAR < n) {
        size_t r = sel ? sel[i + PF_FAR] : i + PF_FAR;
        __builtin_prefetch(&gb->slots[mix64((uint64_t)c->values.i64[r]) & mask]);
    }
    if (i + PF_NEAR < n) {
        size_t r = sel ? sel[i + PF_NEAR] : i + PF_NEAR;
        uint32_t s = gb->slots[mix64((uint64_t)c->values.i64[r]) & mask];

        if (s) {
            __builtin_prefetch(&gb->keys[0].values.i64[s - 1]);
            for (size_t j = 0; j < gb->naggs; j++)
                __builtin_prefetch(&gb->states[j][s - 1].count, 1);
        }
    }
}

/* ---- direct folds ----
 * count, size, and sum/mean of numbers are folded row by row straight into the state,
 * skipping update's counting sort. Each step is agg.c's per-row step for that kind
 * (ddf_agg_update with a selection vector): nulls and NaN skipped, Neumaier for floats,
 * exact __int128 for ints and bools, count of values. Keep the two in step. */

static bool is_direct(ddf_agg_kind kind, ddf_dtype dtype)
{
    if (kind == DDF_AGG_COUNT || kind == DDF_AGG_SIZE)
        return true;
    return (kind == DDF_AGG_SUM || kind == DDF_AGG_MEAN) && dtype != DDF_DTYPE_STRING;
}

static inline void direct_fold(ddf_agg_state *st, const ddf_column *col, size_t r)
{
    double x, t;

    if (st->kind == DDF_AGG_SIZE) {
        st->count++;
        return;
    }
    if (key_is_null(col, r)) /* the same rule as agg.c's row_is_null */
        return;
    if (st->kind != DDF_AGG_COUNT) {
        switch (col->dtype) {
        case DDF_DTYPE_FLOAT64: /* Neumaier, as agg.c's neumaier_add */
            x = col->values.f64[r];
            t = st->fa + x;
            if (fabs(st->fa) >= fabs(x))
                st->fb += (st->fa - t) + x;
            else
                st->fb += (x - t) + st->fa;
            st->fa = t;
            break;
        case DDF_DTYPE_INT64:
            st->isum += col->values.i64[r];
            break;
        default:
            st->isum += col->values.b8[r];
            break;
        }
    }
    st->count++;
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
    gb->direct = true;
    gb->i64_key = nkeys == 1 && like->columns[keys[0]].dtype == DDF_DTYPE_INT64;
    gb->arena = ddf_arena_new();
    gb->aggs = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->aggs);
    gb->agg_dtype = ddf_mallocarray(naggs ? naggs : 1, sizeof *gb->agg_dtype);
    gb->states = ddf_calloc(naggs ? naggs : 1, sizeof *gb->states);
    gb->agg_name = gb->arena ? ddf_arena_calloc(gb->arena, naggs + 1, sizeof(char *)) : NULL;
    if (!gb->arena || !gb->aggs || !gb->agg_dtype || !gb->states || !gb->agg_name)
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
        gb->direct = gb->direct && is_direct(aggs[j].kind, gb->agg_dtype[j]);
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
    for (size_t j = 0; gb->states && j < gb->naggs; j++) {
        for (size_t g = 0; g < gb->ngroups; g++)
            ddf_agg_fini(&gb->states[j][g]);
        ddf_free(gb->states[j]);
    }
    ddf_free(gb->states);
    ddf_free(gb->aggs);
    ddf_free(gb->agg_dtype);
    ddf_free(gb->hashes);
    ddf_free(gb->mark);
    ddf_free(gb->slots);
    ddf_arena_free(gb->arena);
    ddf_free(gb);
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
    uint32_t *buf = NULL, *lid, *touched, *off, *order;
    size_t n = sel ? nsel : table->nrows, m = 0;
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
    if (n == 0)
        return DDF_OK;
    if (gb->direct) {
        for (size_t i = 0; i < n && rc == DDF_OK; i++) {
            size_t row = sel ? sel[i] : i;
            uint32_t g;

            if (gb->dropna) {
                size_t k;
                for (k = 0; k < gb->nkeys; k++)
                    if (key_is_null(cols[k], row))
                        break;
                if (k < gb->nkeys)
                    continue;
            }
            if (gb->i64_key && gb->ngroups > PF_MIN_GROUPS)
                prefetch_i64(gb, cols[0], sel, n, i);
            rc = gb->i64_key ? find_group_i64(gb, cols, row, &g, err)
                             : find_group(gb, cols, row, &g, err);
            for (size_t j = 0; j < gb->naggs && rc == DDF_OK; j++)
                direct_fold(&gb->states[j][g], &table->columns[gb->aggs[j].col], row);
        }
        goto out_spent;
    }
    /* lid[n]: batch-local group of each row or UINT32_MAX; touched[n]: local -> group;
     * off[n + 1]: counting sort offsets; order[n]: rows sorted by local group. */
    buf = ddf_mallocarray(4 * n + 1, sizeof *buf);
    if (buf == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory for %zu rows", n);
        goto out_spent;
    }
    lid = buf;
    touched = buf + n;
    off = buf + 2 * n;
    order = buf + 3 * n + 1;
    for (size_t i = 0; i < n; i++) {
        size_t row = sel ? sel[i] : i;
        uint32_t g;

        if (gb->dropna) {
            size_t k;
            for (k = 0; k < gb->nkeys; k++)
                if (key_is_null(cols[k], row))
                    break;
            if (k < gb->nkeys) {
                lid[i] = UINT32_MAX;
                continue;
            }
        }
        rc = gb->i64_key ? find_group_i64(gb, cols, row, &g, err)
                         : find_group(gb, cols, row, &g, err);
        if (rc < 0)
            goto out_unmark;
        if (gb->mark[g] == 0) {
            touched[m] = g;
            off[m] = 0;
            gb->mark[g] = (uint32_t)++m;
        }
        lid[i] = gb->mark[g] - 1;
        off[lid[i]]++;
    }
    /* counts -> start offsets, then scatter */
    {
        uint32_t sum = 0;
        for (size_t l = 0; l < m; l++) {
            uint32_t c = off[l];
            off[l] = sum;
            sum += c;
        }
        off[m] = sum;
        for (size_t i = 0; i < n; i++)
            if (lid[i] != UINT32_MAX)
                order[off[lid[i]]++] = sel ? sel[i] : (uint32_t)i;
        for (size_t l = m; l > 0; l--)
            off[l] = off[l - 1];
        off[0] = 0;
    }
    for (size_t l = 0; l < m && rc == DDF_OK; l++)
        for (size_t j = 0; j < gb->naggs && rc == DDF_OK; j++)
            rc = ddf_agg_update(&gb->states[j][touched[l]], &table->columns[gb->aggs[j].col],
                                order + off[l], off[l + 1] - off[l], part, err);
out_unmark:
    for (size_t l = 0; l < m; l++)
        gb->mark[touched[l]] = 0;
    ddf_free(buf);
out_spent:
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
        rc = find_group(dst, cols, s, &g, err);
        for (size_t j = 0; j < dst->naggs && rc == DDF_OK; j++)
            rc = ddf_agg_merge(&dst->states[j][g], &src->states[j][s], err);
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
    size_t len;
    const char *s;
    int rc = ddf_column_reserve(d, t->arena, src->length,
                                src->dtype == DDF_DTYPE_STRING && src->length
                                    ? (size_t)src->values.offsets[src->length]
                                    : 0);

    for (size_t i = 0; i < src->length && rc == DDF_OK; i++) {
        if (!ddf_column_is_valid(src, i)) {
            rc = ddf_column_append_null(d, t->arena);
            continue;
        }
        switch (src->dtype) {
        case DDF_DTYPE_INT64:
            rc = ddf_column_append_i64(d, t->arena, src->values.i64[i]);
            break;
        case DDF_DTYPE_FLOAT64:
            rc = ddf_column_append_f64(d, t->arena, src->values.f64[i]);
            break;
        case DDF_DTYPE_BOOL:
            rc = ddf_column_append_bool(d, t->arena, src->values.b8[i] != 0);
            break;
        default:
            s = ddf_column_str(src, i, &len);
            rc = ddf_column_append_str(d, t->arena, s, len);
            break;
        }
    }
    return rc;
}

int ddf_groupby_to_table(const ddf_groupby *gb, ddf_table **out, ddf_error *err)
{
    ddf_table *t, *st = NULL;
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
        rc = ddf_agg_states_to_table(gb->states[j], gb->ngroups, &st, err);
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
    size_t n = table->nrows;
    uint32_t g;
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
    if (tmp == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "group-by: out of memory");
    for (size_t j = 0; j < gb->naggs && rc == DDF_OK; j++) {
        ddf_table view = *table;

        view.ncols = NFIELDS;
        view.names = table->names + gb->nkeys + NFIELDS * j;
        view.columns = table->columns + gb->nkeys + NFIELDS * j;
        rc = ddf_agg_states_from_table(&view, gb->arena, tmp, n, err);
        if (rc < 0)
            break;
        for (size_t r = 0; r < n && rc == DDF_OK; r++) {
            if (tmp[r].kind != gb->aggs[j].kind || tmp[r].dtype != gb->agg_dtype[j])
                rc = ddf_error_setf(err, DDF_ECORRUPT, "group-by partial: aggregation %zu is "
                                    "not %s of %s", j, ddf_agg_name(gb->aggs[j].kind),
                                    ddf_dtype_name(gb->agg_dtype[j]));
        }
        for (size_t r = 0; r < n && rc == DDF_OK; r++) {
            rc = find_group(gb, cols, r, &g, err);
            if (rc == DDF_OK)
                rc = ddf_agg_merge(&gb->states[j][g], &tmp[r], err);
        }
        for (size_t r = 0; r < n; r++)
            ddf_agg_fini(&tmp[r]);
    }
    ddf_free(tmp);
    if (rc < 0)
        gb->spent = true;
    return rc;
}

/* ---- result ---- */

static _Thread_local const ddf_groupby *sort_gb; /* qsort has no context argument in C11 */

static int cmp_groups(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    for (size_t k = 0; k < sort_gb->nkeys; k++) {
        int r = key_cmp(&sort_gb->keys[k], a, b);
        if (r)
            return r;
    }
    return 0;
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
    for (size_t g = 0; g < gb->ngroups; g++)
        order[g] = (uint32_t)g;
    sort_gb = gb;
    qsort(order, gb->ngroups, sizeof *order, cmp_groups);
    sort_gb = NULL;
    for (size_t k = 0; k < gb->nkeys; k++) {
        const ddf_column *src = &gb->keys[k];
        ddf_column *d = &t->columns[k];
        ddf_agg_value kv;

        if (ddf_table_set_column(t, k, gb->key_name[k], strlen(gb->key_name[k]),
                                 src->dtype) < 0)
            goto nomem;
        for (size_t i = 0; i < gb->ngroups; i++) {
            size_t g = order[i];

            memset(&kv, 0, sizeof kv);
            kv.dtype = key_is_null(src, g) ? DDF_DTYPE_NULL : src->dtype;
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
        if (ddf_table_set_column(t, c, gb->agg_name[j], strlen(gb->agg_name[j]), rd) < 0)
            goto nomem;
        for (size_t i = 0; i < gb->ngroups; i++) {
            rc = ddf_agg_finalize(&gb->states[j][order[i]], &v, err);
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
