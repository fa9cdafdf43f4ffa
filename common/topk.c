/* topk.c - the n first rows of a table under nlargest/nsmallest order, mergeable (see
 * topk.h for the order rules and the partial layout).
 *
 * Rows a top-k holds are copied into 'store', a table of the input columns plus the two
 * position columns. 'heap' is a 4-ary heap of entries, one per held row, whose root is
 * the row that comes last in result order (the n-th so far): a candidate row is compared
 * with the root only, and most rows of a large input stop there without being copied. A
 * row that beats the root is appended to the store and replaces the root; the row pushed
 * out stays in the store as garbage until garbage outnumbers the live rows, when
 * 'compact' copies the live rows into a fresh store. So a top-k holds at most ~2n rows,
 * and each row is copied O(1) times amortized.
 *
 * An entry caches the row's position and its first order value encoded as an unsigned
 * integer whose order is the result order (see 'encode'), so that sifting through a heap
 * of a million rows compares contiguous entries and reaches into the store only when the
 * first order values tie.
 *
 * keep=all adds 'ties': store rows outside the heap that tie the root on every order
 * column. Invariant: heap = the n first rows seen (in the total order that includes
 * position), ties = every other row seen whose order values equal the root's. The root
 * only moves forward in the order, so a row that stops tying it never ties again.
 *
 * The order is total: two rows tied on every order column differ in position (unless a
 * forged partial repeats one, which can reorder ties but not break anything). */
#include "topk.h"

#include "alloc.h"
#include "limits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One held row (or a candidate, with s == NOT_STORED). */
typedef struct entry {
    uint64_t key;  /* first order value, encoded: smaller comes first; 0 when null */
    uint64_t part; /* position: partition */
    uint64_t row;  /* position: row in the partition */
    uint32_t s;    /* store row */
    uint32_t null; /* first order value is null (sorts after every value) */
} entry;

#define NOT_STORED UINT32_MAX

struct ddf_topk {
    size_t ncols;                   /* input columns; the store has ncols + 2 */
    size_t nkeys;
    size_t keys[DDF_TOPK_MAX_KEYS]; /* order column numbers */
    size_t n;                       /* rows wanted */
    bool largest;                   /* nlargest: larger values first */
    ddf_topk_keep keep;
    bool spent;                     /* an update or merge failed: only free is allowed */
    size_t max_held;                /* keep=all: <= DDF_TOPK_MAX_HELD */
    ddf_table *store;               /* held rows (live and garbage) + positions */
    entry *heap;                    /* heap_cap entries, root = last in order */
    size_t nheap;                   /* <= n */
    size_t heap_cap;                /* grows to n as rows come: n may be far above them */
    uint32_t *ties;                 /* keep=all: store rows tied with the root */
    size_t nties;
    size_t ties_cap;
};

/* ---- order ---- */

static inline bool is_null(const ddf_column *c, size_t r)
{
    if (!ddf_column_is_valid(c, r))
        return true;
    return c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[r]);
}

/* Fill e->key and e->null from row 'r' of 'cols'. Ints flip the sign bit; floats take
 * their bits, all flipped when negative, else the sign bit set (IEEE order as unsigned
 * order), after -0.0 becomes 0.0 (they tie, as in pandas); nlargest complements the lot
 * so that smaller always comes first. */
static inline void encode(const ddf_topk *tk, const ddf_column *cols, size_t r, entry *e)
{
    const ddf_column *c = &cols[tk->keys[0]];
    uint64_t u;
    double d;

    if (is_null(c, r)) {
        e->null = 1;
        e->key = 0;
        return;
    }
    switch (c->dtype) {
    case DDF_DTYPE_INT64:
        u = (uint64_t)c->values.i64[r] ^ (1ull << 63);
        break;
    case DDF_DTYPE_FLOAT64:
        d = c->values.f64[r];
        if (d == 0)
            d = 0;
        memcpy(&u, &d, sizeof u);
        u = u >> 63 ? ~u : u | (1ull << 63);
        break;
    default:
        u = c->values.b8[r] != 0;
        break;
    }
    e->null = 0;
    e->key = tk->largest ? ~u : u;
}

/* Compare order columns from the second on of row ar of 'ac' and row br of 'bc': < 0 when
 * a comes first; on a tie *null_tie says whether a null was among the tied values. */
static int cmp_rest(const ddf_topk *tk, const ddf_column *ac, size_t ar, const ddf_column *bc,
                    size_t br, bool *null_tie)
{
    *null_tie = false;
    for (size_t k = 1; k < tk->nkeys; k++) {
        const ddf_column *ca = &ac[tk->keys[k]], *cb = &bc[tk->keys[k]];
        bool na = is_null(ca, ar), nb = is_null(cb, br);
        int c;

        if (na || nb) {
            if (na != nb)
                return na ? 1 : -1; /* nulls last in both directions, as pandas */
            *null_tie = true;
            continue;
        }
        switch (ca->dtype) {
        case DDF_DTYPE_INT64: {
            int64_t x = ca->values.i64[ar], y = cb->values.i64[br];
            c = (x > y) - (x < y);
            break;
        }
        case DDF_DTYPE_FLOAT64: {
            double x = ca->values.f64[ar], y = cb->values.f64[br];
            c = (x > y) - (x < y); /* -0.0 == 0.0: a tie, as pandas */
            break;
        }
        default:
            c = (int)ca->values.b8[ar] - (int)cb->values.b8[br];
            break;
        }
        if (c)
            return tk->largest ? -c : c;
    }
    return 0;
}

/* Compare the order values of entry a (row ar of 'ac') and b (row br of 'bc'); as
 * cmp_rest. */
static int cmp_keys(const ddf_topk *tk, const entry *a, const ddf_column *ac, size_t ar,
                    const entry *b, const ddf_column *bc, size_t br, bool *null_tie)
{
    bool rest_null;
    int c;

    if (a->null != b->null)
        return a->null ? 1 : -1;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    *null_tie = a->null;
    if (tk->nkeys == 1)
        return 0;
    c = cmp_rest(tk, ac, ar, bc, br, &rest_null);
    *null_tie |= rest_null;
    return c;
}

/* The total order of rows: order values, then position (see topk.h for keep). */
static int cmp_rows(const ddf_topk *tk, const entry *a, const ddf_column *ac, size_t ar,
                    const entry *b, const ddf_column *bc, size_t br)
{
    bool null_tie = false;
    int c = cmp_keys(tk, a, ac, ar, b, bc, br, &null_tie);

    if (c)
        return c;
    if (a->part != b->part)
        c = a->part < b->part ? -1 : 1;
    else if (a->row != b->row)
        c = a->row < b->row ? -1 : 1;
    /* pandas 1.5.3 appends null rows in row order even for keep=last. */
    return tk->keep == DDF_TOPK_KEEP_LAST && !null_tie ? -c : c;
}

/* cmp_rows of two held rows; first order values that differ decide without a call. */
static inline int cmp_held(const ddf_topk *tk, const entry *a, const entry *b)
{
    const ddf_column *cols = tk->store->columns;

    if (a->null == b->null && !a->null && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return cmp_rows(tk, a, cols, a->s, b, cols, b->s);
}

/* The entry of store row 's', rebuilt from the store. */
static entry stored(const ddf_topk *tk, uint32_t s)
{
    const ddf_column *cols = tk->store->columns;
    entry e = {0, (uint64_t)cols[tk->ncols].values.i64[s],
               (uint64_t)cols[tk->ncols + 1].values.i64[s], s, 0};

    encode(tk, cols, s, &e);
    return e;
}

/* ---- the heap (root = the row that comes last) ----
 *
 * 4-ary: a heap of a million entries is 32 MiB, past the caches, and each level of a
 * sift costs a memory latency; four children per node halve the levels, and the four
 * share two cache lines. */

#define ARITY 4

static void sift_down(const ddf_topk *tk, entry *heap, size_t n, size_t i)
{
    entry x = heap[i];

    for (;;) {
        size_t first = ARITY * i + 1, m, end;

        if (first >= n)
            break;
        end = first + ARITY < n ? first + ARITY : n;
        m = first;
        for (size_t c = first + 1; c < end; c++)
            if (cmp_held(tk, &heap[c], &heap[m]) > 0)
                m = c;
        if (cmp_held(tk, &heap[m], &x) <= 0)
            break;
        heap[i] = heap[m];
        i = m;
    }
    heap[i] = x;
}

static void sift_up(const ddf_topk *tk, entry *heap, size_t i)
{
    entry x = heap[i];

    while (i > 0) {
        size_t p = (i - 1) / ARITY;

        if (cmp_held(tk, &x, &heap[p]) <= 0)
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = x;
}

/* ---- the store ---- */

/* A new empty store shaped as 'proto' (names and dtypes); NULL when out of memory. */
static ddf_table *store_new(const ddf_table *proto)
{
    ddf_table *t = ddf_table_new(proto->ncols);

    if (t == NULL)
        return NULL;
    for (size_t c = 0; c < proto->ncols; c++) {
        if (ddf_table_set_column(t, c, proto->names[c], strlen(proto->names[c]),
                                 proto->columns[c].dtype) < 0) {
            ddf_table_free(t);
            return NULL;
        }
    }
    return t;
}

/* Append row 'r' of 'src' to 'dst' (same dtype), as it is (a NaN stays a NaN). */
static int copy_value(ddf_column *dst, ddf_arena *arena, const ddf_column *src, size_t r)
{
    const char *s;
    size_t len;

    if (!ddf_column_is_valid(src, r))
        return ddf_column_append_null(dst, arena);
    switch (src->dtype) {
    case DDF_DTYPE_INT64:
        return ddf_column_append_i64(dst, arena, src->values.i64[r]);
    case DDF_DTYPE_FLOAT64:
        return ddf_column_append_f64(dst, arena, src->values.f64[r]);
    case DDF_DTYPE_BOOL:
        return ddf_column_append_bool(dst, arena, src->values.b8[r] != 0);
    default:
        s = ddf_column_str(src, r, &len);
        return ddf_column_append_str(dst, arena, s, len);
    }
}

/* Append the input columns of row 'r' of 'cols' and position (part, row) to table 't'
 * (ncols + 2 columns). On ENOMEM the columns may differ in length: the caller drops 't'
 * or the top-k. */
static int append_row(ddf_table *t, size_t ncols, const ddf_column *cols, size_t r,
                      uint64_t part, uint64_t row)
{
    for (size_t c = 0; c < ncols; c++)
        if (copy_value(&t->columns[c], t->arena, &cols[c], r) < 0)
            return DDF_ENOMEM;
    if (ddf_column_append_i64(&t->columns[ncols], t->arena, (int64_t)part) < 0 ||
        ddf_column_append_i64(&t->columns[ncols + 1], t->arena, (int64_t)row) < 0)
        return DDF_ENOMEM;
    t->nrows++;
    return DDF_OK;
}

/* Copy the live rows (heap, then ties) into a fresh store and renumber them. On ENOMEM
 * nothing changes. */
static int compact(ddf_topk *tk)
{
    ddf_table *fresh = store_new(tk->store);
    const ddf_column *cols = tk->store->columns;

    if (fresh == NULL)
        return DDF_ENOMEM;
    for (size_t k = 0; k < tk->nheap + tk->nties; k++) {
        uint32_t s = k < tk->nheap ? tk->heap[k].s : tk->ties[k - tk->nheap];

        if (append_row(fresh, tk->ncols, cols, s, (uint64_t)cols[tk->ncols].values.i64[s],
                       (uint64_t)cols[tk->ncols + 1].values.i64[s]) < 0) {
            ddf_table_free(fresh);
            return DDF_ENOMEM;
        }
    }
    /* Renumber only once every copy succeeded: heap then ties, in the order copied. */
    for (size_t k = 0; k < tk->nheap; k++)
        tk->heap[k].s = (uint32_t)k;
    for (size_t k = 0; k < tk->nties; k++)
        tk->ties[k] = (uint32_t)(tk->nheap + k);
    ddf_table_free(tk->store);
    tk->store = fresh;
    return DDF_OK;
}

/* Append row 'r' of 'cols' at e's position to the store, compacting first when garbage
 * outnumbers the live rows. Sets e->s. */
static int store_add(ddf_topk *tk, const ddf_column *cols, size_t r, entry *e, ddf_error *err)
{
    size_t live = tk->nheap + tk->nties;

    if (tk->store->nrows >= 2 * live + 64 && compact(tk) < 0)
        return ddf_error_setf(err, DDF_ENOMEM, "topk: out of memory");
    if (append_row(tk->store, tk->ncols, cols, r, e->part, e->row) < 0)
        return ddf_error_setf(err, DDF_ENOMEM, "topk: out of memory");
    e->s = (uint32_t)(tk->store->nrows - 1);
    return DDF_OK;
}

static int push_tie(ddf_topk *tk, uint32_t s, ddf_error *err)
{
    if (tk->nheap + tk->nties >= tk->max_held)
        return ddf_error_setf(err, DDF_ETOOBIG,
                              "topk: keep='all' would hold more than %zu rows (the limit)",
                              tk->max_held);
    if (tk->nties == tk->ties_cap) {
        size_t cap = tk->ties_cap ? tk->ties_cap * 2 : 64;
        uint32_t *p = ddf_reallocarray(tk->ties, cap, sizeof(uint32_t));

        if (p == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "topk: out of memory");
        tk->ties = p;
        tk->ties_cap = cap;
    }
    tk->ties[tk->nties++] = s;
    return DDF_OK;
}

/* Offer row 'r' of 'cols', whose entry (key and position) is 'cand'. The common case - a
 * full heap and a row that does not beat its root - costs one comparison and no copy. */
static int offer(ddf_topk *tk, const ddf_column *cols, size_t r, entry cand, ddf_error *err)
{
    const ddf_column *sc;
    entry old;
    bool null_tie;
    int rc;

    if (tk->n == 0)
        return DDF_OK;
    if (tk->nheap < tk->n) {
        if (tk->nheap == tk->heap_cap) {
            size_t cap = tk->heap_cap < 32 ? 64 : 2 * tk->heap_cap;
            entry *heap;

            cap = cap < tk->n ? cap : tk->n;
            heap = ddf_reallocarray(tk->heap, cap, sizeof(*heap));
            if (heap == NULL)
                return ddf_error_setf(err, DDF_ENOMEM, "topk: out of memory");
            tk->heap = heap;
            tk->heap_cap = cap;
        }
        rc = store_add(tk, cols, r, &cand, err);
        if (rc < 0)
            return rc;
        tk->heap[tk->nheap++] = cand;
        sift_up(tk, tk->heap, tk->nheap - 1);
        return DDF_OK;
    }
    sc = tk->store->columns;
    if (cmp_rows(tk, &cand, cols, r, &tk->heap[0], sc, tk->heap[0].s) >= 0) {
        if (tk->keep != DDF_TOPK_KEEP_ALL ||
            cmp_keys(tk, &cand, cols, r, &tk->heap[0], sc, tk->heap[0].s, &null_tie) != 0)
            return DDF_OK;
        rc = store_add(tk, cols, r, &cand, err);
        return rc < 0 ? rc : push_tie(tk, cand.s, err);
    }
    rc = store_add(tk, cols, r, &cand, err); /* may compact: read the heap after */
    if (rc < 0)
        return rc;
    old = tk->heap[0];
    tk->heap[0] = cand;
    sift_down(tk, tk->heap, tk->nheap, 0);
    if (tk->keep == DDF_TOPK_KEEP_ALL) {
        sc = tk->store->columns;
        if (cmp_keys(tk, &old, sc, old.s, &tk->heap[0], sc, tk->heap[0].s, &null_tie) == 0)
            return push_tie(tk, old.s, err);
        tk->nties = 0; /* the new root comes before them all: they are out */
    }
    return DDF_OK;
}

/* ---- public functions ---- */

static const char *const KEEP_NAMES[] = {"first", "last", "all"};

const char *ddf_topk_keep_name(ddf_topk_keep keep)
{
    return (unsigned)keep < 3 ? KEEP_NAMES[keep] : NULL;
}

int ddf_topk_keep_parse(const char *name, ddf_topk_keep *out)
{
    for (int k = 0; k < 3; k++) {
        if (strcmp(name, KEEP_NAMES[k]) == 0) {
            *out = (ddf_topk_keep)k;
            return DDF_OK;
        }
    }
    return DDF_EINVAL;
}

int ddf_topk_new(const ddf_table *like, const size_t *keys, size_t nkeys, size_t n,
                 bool largest, ddf_topk_keep keep, ddf_topk **out, ddf_error *err)
{
    const char *method = largest ? "nlargest" : "nsmallest";
    ddf_topk *tk;

    *out = NULL;
    if (nkeys == 0 || nkeys > DDF_TOPK_MAX_KEYS)
        return ddf_error_setf(err, DDF_EINVAL, "%s: %zu order columns (1 to %d allowed)",
                              method, nkeys, DDF_TOPK_MAX_KEYS);
    if (keep != DDF_TOPK_KEEP_FIRST && keep != DDF_TOPK_KEEP_LAST && keep != DDF_TOPK_KEEP_ALL)
        return ddf_error_setf(err, DDF_EINVAL,
                              "%s: keep must be either \"first\", \"last\" or \"all\"", method);
    if (n > DDF_TOPK_MAX_N)
        return ddf_error_setf(err, DDF_ETOOBIG, "%s: n = %zu is over the limit of %u rows",
                              method, n, (unsigned)DDF_TOPK_MAX_N);
    if (like->ncols > DDF_MAX_COLUMNS - 2)
        return ddf_error_setf(err, DDF_ETOOBIG, "%s: %zu columns is over the limit of %d",
                              method, like->ncols, DDF_MAX_COLUMNS - 2);
    for (size_t k = 0; k < nkeys; k++) {
        ddf_dtype dt;

        if (keys[k] >= like->ncols)
            return ddf_error_setf(err, DDF_EINVAL, "%s: no column %zu (%zu columns)", method,
                                  keys[k], like->ncols);
        dt = like->columns[keys[k]].dtype;
        if (dt != DDF_DTYPE_INT64 && dt != DDF_DTYPE_FLOAT64 && dt != DDF_DTYPE_BOOL)
            return ddf_error_setf(err, DDF_ETYPE,
                                  "Column '%s' has dtype %s, cannot use method '%s' with "
                                  "this dtype",
                                  like->names[keys[k]], ddf_dtype_name(dt), method);
    }
    tk = ddf_calloc(1, sizeof(*tk));
    if (tk == NULL)
        goto no_mem;
    tk->ncols = like->ncols;
    tk->nkeys = nkeys;
    memcpy(tk->keys, keys, nkeys * sizeof(*keys));
    tk->n = n;
    tk->largest = largest;
    tk->keep = keep;
    tk->max_held = DDF_TOPK_MAX_HELD;
    tk->store = ddf_table_new(like->ncols + 2);
    if (tk->store == NULL)
        goto no_mem;
    for (size_t c = 0; c < like->ncols + 2; c++) {
        const char *name = c < like->ncols ? like->names[c]
                           : c == like->ncols ? DDF_TOPK_PART_NAME
                                              : DDF_TOPK_ROW_NAME;
        ddf_dtype dt = c < like->ncols ? like->columns[c].dtype : DDF_DTYPE_INT64;

        if (dt == DDF_DTYPE_NULL) {
            ddf_topk_free(tk);
            return ddf_error_setf(err, DDF_ETYPE, "%s: column '%s' has no dtype", method,
                                  name);
        }
        if (ddf_table_set_column(tk->store, c, name, strlen(name), dt) < 0)
            goto no_mem;
    }
    *out = tk;
    return DDF_OK;
no_mem:
    ddf_topk_free(tk);
    return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", method);
}

void ddf_topk_free(ddf_topk *tk)
{
    if (tk == NULL)
        return;
    ddf_table_free(tk->store);
    ddf_free(tk->heap);
    ddf_free(tk->ties);
    ddf_free(tk);
}

void ddf_topk_set_max_held(ddf_topk *tk, size_t max_held)
{
    if (max_held < DDF_TOPK_MAX_HELD)
        tk->max_held = max_held;
}

size_t ddf_topk_nrows(const ddf_topk *tk)
{
    return tk->nheap + tk->nties;
}

static int check_usable(const ddf_topk *tk, ddf_error *err)
{
    if (tk->spent)
        return ddf_error_setf(err, DDF_EINVAL, "topk: unusable after an earlier error");
    return DDF_OK;
}

/* Whether the first tk->ncols columns of 't' have the dtypes of the top-k's input. */
static bool same_dtypes(const ddf_topk *tk, const ddf_table *t)
{
    for (size_t c = 0; c < tk->ncols; c++)
        if (t->columns[c].dtype != tk->store->columns[c].dtype)
            return false;
    return true;
}

int ddf_topk_update(ddf_topk *tk, const ddf_table *table, const uint32_t *sel, size_t nsel,
                    uint64_t part, ddf_error *err)
{
    size_t nrows = sel ? nsel : table->nrows;
    int rc = check_usable(tk, err);

    if (rc < 0)
        return rc;
    if (table->ncols != tk->ncols || !same_dtypes(tk, table))
        return ddf_error_setf(err, DDF_EINVAL, "topk: table columns differ from the spec");
    for (size_t k = 0; sel && k < nsel; k++)
        if (sel[k] >= table->nrows)
            return ddf_error_setf(err, DDF_EINVAL, "topk: row %u out of range (%zu rows)",
                                  (unsigned)sel[k], table->nrows);
    for (size_t k = 0; k < nrows; k++) {
        size_t r = sel ? sel[k] : k;
        entry cand = {0, part, r, NOT_STORED, 0};

        encode(tk, table->columns, r, &cand);
        rc = offer(tk, table->columns, r, cand, err);
        if (rc < 0) {
            tk->spent = true;
            return rc;
        }
    }
    return DDF_OK;
}

/* Offer every row of 'src''s store that is live, reading positions from its columns. */
static int offer_live(ddf_topk *dst, const ddf_topk *src, ddf_error *err)
{
    for (size_t k = 0; k < src->nheap + src->nties; k++) {
        /* Same spec, same encoding: a heap entry carries over as it is. */
        entry e = k < src->nheap ? src->heap[k] : stored(src, src->ties[k - src->nheap]);
        uint32_t s = e.s;
        int rc;

        e.s = NOT_STORED;
        rc = offer(dst, src->store->columns, s, e, err);
        if (rc < 0)
            return rc;
    }
    return DDF_OK;
}

int ddf_topk_merge(ddf_topk *dst, const ddf_topk *src, ddf_error *err)
{
    int rc = check_usable(dst, err);

    if (rc < 0)
        return rc;
    if (src == dst || src->spent || src->ncols != dst->ncols || !same_dtypes(dst, src->store) ||
        src->nkeys != dst->nkeys || memcmp(src->keys, dst->keys, src->nkeys * sizeof(size_t)) ||
        src->n != dst->n || src->largest != dst->largest || src->keep != dst->keep)
        return ddf_error_setf(err, DDF_EINVAL, "topk: merging a different or spent top-k");
    rc = offer_live(dst, src, err);
    if (rc < 0)
        dst->spent = true;
    return rc;
}

/* Check that 'table' is a partial of 'tk' before anything is offered, so a corrupt one
 * changes nothing. */
static int check_partial(const ddf_topk *tk, const ddf_table *table, ddf_error *err)
{
    if (table->ncols != tk->ncols + 2)
        return ddf_error_setf(err, DDF_ECORRUPT, "topk: partial has %zu columns, expected %zu",
                              table->ncols, tk->ncols + 2);
    if (!same_dtypes(tk, table))
        return ddf_error_setf(err, DDF_ECORRUPT, "topk: partial column dtypes differ");
    for (size_t c = 0; c < table->ncols; c++)
        if (table->columns[c].length != table->nrows)
            return ddf_error_setf(err, DDF_ECORRUPT, "topk: partial column %zu has %zu rows",
                                  c + 1, table->columns[c].length);
    for (size_t c = tk->ncols; c < tk->ncols + 2; c++) {
        const ddf_column *col = &table->columns[c];
        const char *want = c == tk->ncols ? DDF_TOPK_PART_NAME : DDF_TOPK_ROW_NAME;

        if (col->dtype != DDF_DTYPE_INT64 || strcmp(table->names[c], want) != 0)
            return ddf_error_setf(err, DDF_ECORRUPT, "topk: partial column %zu is not int64 %s",
                                  c + 1, want);
        for (size_t r = 0; r < table->nrows; r++)
            if (!ddf_column_is_valid(col, r) || col->values.i64[r] < 0)
                return ddf_error_setf(err, DDF_ECORRUPT, "topk: partial row %zu has a bad %s",
                                      r, want);
    }
    return DDF_OK;
}

int ddf_topk_merge_table(ddf_topk *tk, const ddf_table *table, ddf_error *err)
{
    int rc = check_usable(tk, err);

    if (rc < 0)
        return rc;
    rc = check_partial(tk, table, err);
    if (rc < 0)
        return rc;
    for (size_t r = 0; r < table->nrows; r++) {
        const ddf_column *cols = table->columns;
        entry cand = {0, (uint64_t)cols[tk->ncols].values.i64[r],
                      (uint64_t)cols[tk->ncols + 1].values.i64[r], NOT_STORED, 0};

        encode(tk, cols, r, &cand);
        rc = offer(tk, cols, r, cand, err);
        if (rc < 0) {
            tk->spent = true;
            return rc;
        }
    }
    return DDF_OK;
}

/* A tie to sort: all ties share the root's order values, so position alone orders them. */
typedef struct tie_entry {
    uint64_t part;
    uint64_t row;
    uint32_t s;
} tie_entry;

static int cmp_ties(const void *pa, const void *pb)
{
    const tie_entry *a = pa, *b = pb;

    if (a->part != b->part)
        return a->part < b->part ? -1 : 1;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return (a->s > b->s) - (a->s < b->s);
}

int ddf_topk_result(const ddf_topk *tk, bool positions, ddf_table **out, ddf_error *err)
{
    size_t nout = tk->nheap + tk->nties, ncols = tk->ncols + (positions ? 2 : 0);
    const ddf_column *cols = tk->store->columns;
    entry *sorted = NULL;
    tie_entry *ties = NULL;
    ddf_table *t = NULL;

    *out = NULL;
    if (check_usable(tk, err) < 0)
        return DDF_EINVAL;
    if (tk->nheap && (sorted = ddf_mallocarray(tk->nheap, sizeof(*sorted))) == NULL)
        goto no_mem;
    if (tk->nties && (ties = ddf_mallocarray(tk->nties, sizeof(*ties))) == NULL)
        goto no_mem;
    /* Heapsort a copy of the heap: popping the root (the last row) to the back leaves the
     * rows first to last. The order is total, so no stability is needed. */
    if (tk->nheap)
        memcpy(sorted, tk->heap, tk->nheap * sizeof(*sorted));
    for (size_t end = tk->nheap; end > 1; end--) {
        entry x = sorted[0];
        sorted[0] = sorted[end - 1];
        sorted[end - 1] = x;
        sift_down(tk, sorted, end - 1, 0);
    }
    for (size_t k = 0; k < tk->nties; k++) {
        uint32_t s = tk->ties[k];
        ties[k] = (tie_entry){(uint64_t)cols[tk->ncols].values.i64[s],
                              (uint64_t)cols[tk->ncols + 1].values.i64[s], s};
    }
    if (tk->nties)
        qsort(ties, tk->nties, sizeof(*ties), cmp_ties);
    t = ddf_table_new(ncols);
    if (t == NULL)
        goto no_mem;
    for (size_t c = 0; c < ncols; c++) {
        if (ddf_table_set_column(t, c, tk->store->names[c], strlen(tk->store->names[c]),
                                 cols[c].dtype) < 0 ||
            ddf_column_reserve(&t->columns[c], t->arena, nout, 0) < 0)
            goto no_mem;
    }
    for (size_t k = 0; k < nout; k++) {
        uint32_t s = k < tk->nheap ? sorted[k].s : ties[k - tk->nheap].s;

        for (size_t c = 0; c < ncols; c++)
            if (copy_value(&t->columns[c], t->arena, &cols[c], s) < 0)
                goto no_mem;
    }
    t->nrows = nout;
    ddf_free(sorted);
    ddf_free(ties);
    *out = t;
    return DDF_OK;
no_mem:
    ddf_free(sorted);
    ddf_free(ties);
    ddf_table_free(t);
    return ddf_error_setf(err, DDF_ENOMEM, "topk: out of memory");
}

int ddf_topk_to_table(const ddf_topk *tk, ddf_table **out, ddf_error *err)
{
    return ddf_topk_result(tk, true, out, err);
}
