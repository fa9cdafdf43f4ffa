/* agg.c - aggregation kernels as mergeable partial states (see agg.h for the rules).
 *
 * Invariant: a state folded from rows R1 then merged with a state folded from rows R2
 * finalizes to what one pass over R1 + R2 gives, exactly for counts, int sums, min/max,
 * first/last and nunique, within rounding for float sums (Neumaier) and var/std (Chan).
 * Each null / NaN / overflow / empty rule lives in one place below, named in a comment. */
#include "agg.h"

#include "alloc.h"
#include "hash.h"
#include "limits.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DDF_HAVE_AVX2_PATH 1
#endif
#endif
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[DDF_AGG_KIND_COUNT] = {
    "count", "size", "sum", "mean", "min", "max", "std", "var", "first", "last", "nunique",
};

const char *ddf_agg_name(ddf_agg_kind kind)
{
    return (unsigned)kind < DDF_AGG_KIND_COUNT ? kind_names[kind] : NULL;
}

int ddf_agg_parse(const char *name, ddf_agg_kind *out)
{
    for (int k = 0; k < DDF_AGG_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (ddf_agg_kind)k;
            return DDF_OK;
        }
    return DDF_EINVAL;
}

int ddf_agg_result_dtype(ddf_agg_kind kind, ddf_dtype dtype, ddf_dtype *out)
{
    if (dtype < DDF_DTYPE_BOOL || dtype > DDF_DTYPE_STRING)
        return DDF_EINVAL;
    switch (kind) {
    case DDF_AGG_COUNT:
    case DDF_AGG_SIZE:
    case DDF_AGG_NUNIQUE:
        *out = DDF_DTYPE_INT64;
        return DDF_OK;
    case DDF_AGG_SUM: /* pandas: bool sum counts True -> int64 */
        if (dtype == DDF_DTYPE_STRING)
            return DDF_ETYPE;
        *out = dtype == DDF_DTYPE_FLOAT64 ? DDF_DTYPE_FLOAT64 : DDF_DTYPE_INT64;
        return DDF_OK;
    case DDF_AGG_MEAN:
    case DDF_AGG_STD:
    case DDF_AGG_VAR:
        if (dtype == DDF_DTYPE_STRING)
            return DDF_ETYPE;
        *out = DDF_DTYPE_FLOAT64;
        return DDF_OK;
    case DDF_AGG_MIN:
    case DDF_AGG_MAX:
    case DDF_AGG_FIRST:
    case DDF_AGG_LAST:
        *out = dtype;
        return DDF_OK;
    }
    return DDF_EINVAL;
}

/* ---- nunique's hash set: open addressing, linear probing, load <= 1/2 ---- */

typedef struct set_entry {
    const char *s; /* strings: bytes in the state's arena; NULL for numbers and empty slot */
    uint64_t v;    /* numbers: value bits; strings: length */
    uint64_t hash; /* 0 marks an empty slot (real hashes are forced odd) */
} set_entry;

struct ddf_agg_set {
    size_t cap;    /* slots, a power of two */
    size_t used;   /* distinct values held */
    set_entry *slots;
};

/* Set hashes are forced odd: 0 marks an empty slot. */
static uint64_t hash_bytes(const char *s, size_t len)
{
    return ddf_hash_bytes(s, len) | 1;
}

static uint64_t hash_u64(uint64_t x)
{
    return ddf_hash_mix64(x) | 1;
}

static int set_grow(ddf_agg_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 16;
    set_entry *slots = ddf_calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return DDF_ENOMEM;
    for (size_t i = 0; i < set->cap; i++) {
        const set_entry *e = &set->slots[i];
        size_t j;

        if (e->hash == 0)
            continue;
        for (j = e->hash & (cap - 1); slots[j].hash; j = (j + 1) & (cap - 1))
            ;
        slots[j] = *e;
    }
    ddf_free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return DDF_OK;
}

/* Insert a number (s == NULL, v its bits) or string (s, v = length) unless present; a
 * new string is copied into 'arena'. DDF_ENOMEM leaves the set as it was. */
static int set_add(ddf_agg_set *set, ddf_arena *arena, const char *s, uint64_t v)
{
    uint64_t h = s ? hash_bytes(s, (size_t)v) : hash_u64(v);
    size_t j;

    if ((set->used + 1) * 2 > set->cap && set_grow(set) < 0)
        return DDF_ENOMEM;
    for (j = h & (set->cap - 1); set->slots[j].hash; j = (j + 1) & (set->cap - 1)) {
        const set_entry *e = &set->slots[j];

        if (e->hash == h && e->v == v && (s == NULL || memcmp(e->s, s, (size_t)v) == 0))
            return DDF_OK;
    }
    if (s) {
        char *copy = v ? ddf_arena_alloc(arena, (size_t)v) : (char *)"";

        if (copy == NULL)
            return DDF_ENOMEM;
        memcpy(copy, s, (size_t)v);
        s = copy;
    }
    set->slots[j] = (set_entry){.s = s, .v = v, .hash = h};
    set->used++;
    return DDF_OK;
}

/* ---- state ---- */

int ddf_agg_init(ddf_agg_state *st, ddf_agg_kind kind, ddf_dtype dtype, ddf_arena *arena,
                 ddf_error *err)
{
    ddf_dtype res;
    int rc;

    memset(st, 0, sizeof(*st));
    st->kind = kind;
    st->dtype = dtype;
    st->arena = arena;
    st->str = "";
    rc = ddf_agg_result_dtype(kind, dtype, &res);
    if (rc == DDF_ETYPE)
        return ddf_error_setf(err, rc, "cannot %s a %s column", ddf_agg_name(kind),
                              ddf_dtype_name(dtype));
    if (rc < 0)
        return ddf_error_setf(err, rc, "unknown aggregation %d or dtype %d", (int)kind,
                              (int)dtype);
    return DDF_OK;
}

void ddf_agg_fini(ddf_agg_state *st)
{
    if (st->set) {
        ddf_free(st->set->slots);
        ddf_free(st->set);
        st->set = NULL;
    }
}

/* Neumaier's compensated addition of 'x' into (sum, comp). */
static void neumaier_add(double *sum, double *comp, double x)
{
    double t = *sum + x;

    if (fabs(*sum) >= fabs(x))
        *comp += (*sum - t) + x;
    else
        *comp += (x - t) + *sum;
    *sum = t;
}

/* Chan et al.'s merge of (n, mean, m2) with (nb, mean_b, m2_b). */
static void welford_merge(uint64_t *n, double *mean, double *m2, uint64_t nb, double mean_b,
                          double m2_b)
{
    double na = (double)*n, nbd = (double)nb, tot = na + nbd, delta;

    if (nb == 0)
        return;
    if (*n == 0) {
        *n = nb;
        *mean = mean_b;
        *m2 = m2_b;
        return;
    }
    delta = mean_b - *mean;
    *mean += delta * (nbd / tot);
    *m2 += m2_b + delta * delta * (na * nbd / tot);
    *n += nb;
}

/* The number in a valid row as the double sum/mean/var use (bools are 0/1). */
static double num_at(const ddf_column *col, size_t r)
{
    switch (col->dtype) {
    case DDF_DTYPE_INT64: return (double)col->values.i64[r];
    case DDF_DTYPE_FLOAT64: return col->values.f64[r];
    default: return (double)col->values.b8[r];
    }
}

static int64_t int_at(const ddf_column *col, size_t r)
{
    return col->dtype == DDF_DTYPE_BOOL ? (int64_t)col->values.b8[r] : col->values.i64[r];
}

/* The null rule, once: a row is skipped when its validity bit is 0 or, in a float64
 * column, when it holds NaN (pandas skipna treats NaN as missing). */
static bool row_is_null(const ddf_column *col, size_t r)
{
    return !ddf_column_is_valid(col, r) ||
           (col->dtype == DDF_DTYPE_FLOAT64 && isnan(col->values.f64[r]));
}

/* Order of two values for min/max; a value of a state is given by (ival, fa, str).
 * Float ties between -0.0 and 0.0 are broken by sign (-0.0 < 0.0) so the result does not
 * depend on order of arrival. Strings compare byte-wise, a prefix first (Python's order). */
static int cmp_vals(ddf_dtype dt, int64_t ia, double fa, const char *sa, size_t la, int64_t ib,
                    double fb, const char *sb, size_t lb)
{
    switch (dt) {
    case DDF_DTYPE_FLOAT64:
        if (fa != fb)
            return fa < fb ? -1 : 1;
        return (int)!signbit(fa) - (int)!signbit(fb);
    case DDF_DTYPE_STRING: {
        int c = memcmp(sa, sb, la < lb ? la : lb);
        if (c)
            return c < 0 ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    default:
        return ia < ib ? -1 : ia > ib;
    }
}

/* Position order for first/last: (partition, row). */
static int cmp_pos(uint64_t pa, uint64_t ra, uint64_t pb, uint64_t rb)
{
    if (pa != pb)
        return pa < pb ? -1 : 1;
    return ra < rb ? -1 : ra > rb;
}

/* Whether a candidate should replace the value (ival, fa, str, part, row) held by 'st'
 * for min/max/first/last; 'empty' says 'st' holds none yet. */
static bool better(const ddf_agg_state *st, bool empty, int64_t iv, double fv, const char *s,
                   size_t len, uint64_t part, uint64_t row)
{
    if (empty)
        return true;
    switch (st->kind) {
    case DDF_AGG_MIN:
        return cmp_vals(st->dtype, iv, fv, s, len, st->ival, st->fa, st->str, st->str_len) < 0;
    case DDF_AGG_MAX:
        return cmp_vals(st->dtype, iv, fv, s, len, st->ival, st->fa, st->str, st->str_len) > 0;
    case DDF_AGG_FIRST:
        return cmp_pos(part, row, st->part, st->row) < 0;
    default:
        return cmp_pos(part, row, st->part, st->row) > 0;
    }
}

/* Row 'r' of 'col' as a candidate state value (strings borrowed from the column). */
static ddf_agg_state row_value(const ddf_agg_state *st, const ddf_column *col, size_t r,
                               uint64_t part, uint64_t pos)
{
    ddf_agg_state v = *st;

    v.ival = 0;
    v.fa = 0.0;
    v.str = "";
    v.str_len = 0;
    if (col->dtype == DDF_DTYPE_STRING)
        v.str = ddf_column_str(col, r, &v.str_len);
    else if (col->dtype == DDF_DTYPE_FLOAT64)
        v.fa = col->values.f64[r];
    else
        v.ival = int_at(col, r);
    v.part = part;
    v.row = pos;
    return v;
}

/* Take a value for min/max/first/last; a string is copied into the arena. */
static int take(ddf_agg_state *st, int64_t iv, double fv, const char *s, size_t len,
                uint64_t part, uint64_t row)
{
    if (st->dtype == DDF_DTYPE_STRING) {
        char *copy = len ? ddf_arena_alloc(st->arena, len) : (char *)"";

        if (copy == NULL)
            return DDF_ENOMEM;
        memcpy(copy, s, len);
        st->str = copy;
        st->str_len = len;
    }
    st->ival = iv;
    st->fa = fv;
    st->part = part;
    st->row = row;
    return DDF_OK;
}

/* The bits nunique hashes for a valid numeric row: 0.0 and -0.0 are one value (pandas). */
static uint64_t key_bits(const ddf_column *col, size_t r)
{
    uint64_t bits;
    double d;

    if (col->dtype != DDF_DTYPE_FLOAT64)
        return (uint64_t)int_at(col, r);
    d = col->values.f64[r] == 0.0 ? 0.0 : col->values.f64[r];
    memcpy(&bits, &d, sizeof(bits));
    return bits;
}

#ifdef DDF_HAVE_AVX2_PATH
/* f64_chain.c's ddf_f64_chain_sum repeats these operations in this order on values it
 * has not stored: a change here must be made there too (test_eval compares the two).
 *
 * sum_lanes' four lanes in one AVX2 register, for the CPUs that have it (the build
 * targets every x86-64, so this is chosen at run time): per lane the same operations in
 * the same order as the SSE2 pair below (blendv picks as its and/andnot/or does, the >=
 * compare is the same predicate), so both give the same bits. Whole groups of 4 rows
 * only; returns the rows done in *done and the rows counted. */
__attribute__((target("avx2"))) static uint64_t sum_quads_avx2(const double *v,
                                                                const uint8_t *valid,
                                                                size_t n, double sum[4],
                                                                double comp[4], size_t *done)
{
    /* lane masks of four validity bits, low bit first */
#define Q(b) {-(int64_t)((b) & 1), -(int64_t)(((b) >> 1) & 1), -(int64_t)(((b) >> 2) & 1), \
              -(int64_t)(((b) >> 3) & 1)}
    static const int64_t quad_mask[16][4] = {Q(0), Q(1), Q(2),  Q(3),  Q(4),  Q(5),
                                             Q(6), Q(7), Q(8),  Q(9),  Q(10), Q(11),
                                             Q(12), Q(13), Q(14), Q(15)};
#undef Q
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d s = _mm256_loadu_pd(sum), c = _mm256_loadu_pd(comp);
    __m256i kept = _mm256_setzero_si256();
    int64_t k[4];
    size_t i = 0;

#define SUM_QUAD(M, OFF)                                                                \
    do {                                                                                \
        __m256d x = _mm256_loadu_pd(v + i + (OFF)), t, ge, a, b;                        \
        __m256d keep = _mm256_and_pd(_mm256_cmp_pd(x, x, _CMP_EQ_OQ), _mm256_castsi256_pd(M)); \
                                                                                        \
        x = _mm256_and_pd(x, keep);                                                     \
        kept = _mm256_sub_epi64(kept, _mm256_castpd_si256(keep));                       \
        t = _mm256_add_pd(s, x);                                                        \
        ge = _mm256_cmp_pd(_mm256_andnot_pd(sign, s), _mm256_andnot_pd(sign, x), _CMP_GE_OS); \
        a = _mm256_add_pd(_mm256_sub_pd(s, t), x);                                      \
        b = _mm256_add_pd(_mm256_sub_pd(x, t), s);                                      \
        c = _mm256_add_pd(c, _mm256_blendv_pd(b, a, ge));                               \
        s = t;                                                                          \
    } while (0)
#define QUAD_MASK(b) _mm256_loadu_si256((const __m256i *)quad_mask[(b)])
    if (valid == NULL) {
        const __m256i all = _mm256_set1_epi64x(-1);

        for (; i + 4 <= n; i += 4)
            SUM_QUAD(all, 0);
    }
    /* a validity byte a step: eight rows, two quads, one load of the bitmap ('i' starts
     * at row 0, so bytes line up with steps) */
    for (; i + 8 <= n; i += 8) {
        unsigned bits = valid[i >> 3];

        SUM_QUAD(QUAD_MASK(bits & 0xfu), 0);
        SUM_QUAD(QUAD_MASK(bits >> 4), 4);
    }
    for (; i + 4 <= n; i += 4)
        SUM_QUAD(QUAD_MASK((valid[i >> 3] >> (i & 7)) & 0xfu), 0);
#undef QUAD_MASK
#undef SUM_QUAD
    _mm256_storeu_pd(sum, s);
    _mm256_storeu_pd(comp, c);
    _mm256_storeu_si256((__m256i *)k, kept);
    *done = i;
    return (uint64_t)k[0] + (uint64_t)k[1] + (uint64_t)k[2] + (uint64_t)k[3];
}
#endif

/* The lanes of sum_float_column over v[0..n): 'valid' is NULL (no nulls) or the validity
 * bitmap. Lane l takes rows i with i % 4 == l; with SSE2 (every x86-64) two lanes share a
 * register, the same arithmetic two at a time, so both versions give the same bits. */
static uint64_t sum_lanes(const double *v, const uint8_t *valid, size_t n, double sum[4],
                          double comp[4])
{
    uint64_t count = 0;
    size_t i = 0;

#ifdef DDF_HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2")) {
        count = sum_quads_avx2(v, valid, n, sum, comp, &i);
        goto tail;
    }
#endif
#ifdef __SSE2__
    /* lane masks of two validity bits, low bit first */
    static const int64_t pair_mask[4][2] = {{0, 0}, {-1, 0}, {0, -1}, {-1, -1}};
    const __m128d sign = _mm_set1_pd(-0.0);
    __m128d s[2] = {_mm_loadu_pd(sum), _mm_loadu_pd(sum + 2)};
    __m128d c[2] = {_mm_loadu_pd(comp), _mm_loadu_pd(comp + 2)};
    __m128i kept = _mm_setzero_si128();
    int64_t k[2];

    /* both halves written out: GCC kept the two-step loop over h, with s[] and c[] in
     * memory (23 instructions a row under callgrind; 16 unrolled) */
#define SUM_HALF(h, M)                                                                  \
    do {                                                                                \
        __m128d x = _mm_loadu_pd(v + i + 2 * (h)), t, ge, a, b;                         \
        __m128d keep = _mm_and_pd(_mm_cmpeq_pd(x, x), _mm_castsi128_pd(M));             \
                                                                                        \
        x = _mm_and_pd(x, keep); /* a null or NaN adds +0.0 and is not counted */       \
        kept = _mm_sub_epi64(kept, _mm_castpd_si128(keep));                             \
        t = _mm_add_pd(s[h], x);                                                        \
        ge = _mm_cmpge_pd(_mm_andnot_pd(sign, s[h]), _mm_andnot_pd(sign, x));           \
        a = _mm_add_pd(_mm_sub_pd(s[h], t), x);                                         \
        b = _mm_add_pd(_mm_sub_pd(x, t), s[h]);                                         \
        c[h] = _mm_add_pd(c[h], _mm_or_pd(_mm_and_pd(ge, a), _mm_andnot_pd(ge, b)));    \
        s[h] = t;                                                                       \
    } while (0)
    if (valid == NULL) {
        const __m128i all = _mm_set1_epi64x(-1);

        for (; i + 4 <= n; i += 4) {
            SUM_HALF(0, all);
            SUM_HALF(1, all);
        }
    }
    for (; i + 4 <= n; i += 4) {
        unsigned bits = (valid[i >> 3] >> (i & 7)) & 0xfu;
        __m128i m0 = _mm_loadu_si128((const __m128i *)pair_mask[bits & 3]);
        __m128i m1 = _mm_loadu_si128((const __m128i *)pair_mask[bits >> 2]);

        SUM_HALF(0, m0);
        SUM_HALF(1, m1);
    }
#undef SUM_HALF
    _mm_storeu_pd(sum, s[0]);
    _mm_storeu_pd(sum + 2, s[1]);
    _mm_storeu_pd(comp, c[0]);
    _mm_storeu_pd(comp + 2, c[1]);
    _mm_storeu_si128((__m128i *)k, kept);
    count = (uint64_t)k[0] + (uint64_t)k[1];
#else
    for (; i + 4 <= n; i += 4) {
        for (int l = 0; l < 4; l++) {
            double x = v[i + l], t;
            bool keep = x == x && (valid == NULL || ((valid[(i + l) >> 3] >> ((i + l) & 7)) & 1));

            x = keep ? x : 0.0;
            count += keep;
            t = sum[l] + x;
            comp[l] += fabs(sum[l]) >= fabs(x) ? (sum[l] - t) + x : (x - t) + sum[l];
            sum[l] = t;
        }
    }
#endif
#ifdef DDF_HAVE_AVX2_PATH
tail:
#endif
    for (; i < n; i++) {
        double x = v[i];

        if (x != x || (valid && !((valid[i >> 3] >> (i & 7)) & 1)))
            continue;
        neumaier_add(&sum[0], &comp[0], x);
        count++;
    }
    return count;
}

/* sum/mean of a whole float64 column: the hot case, written as four independent Neumaier
 * lanes without a branch per row, so the loop runs near memory speed instead of waiting
 * on one accumulator. Nulls and NaN contribute 0 and are not counted (the rule of
 * row_is_null); the lanes fold into the state with the same compensated addition, so the
 * result equals the generic loop's within rounding. */
static void sum_float_column(ddf_agg_state *st, const ddf_column *col)
{
    double sum[4] = {0, 0, 0, 0}, comp[4] = {0, 0, 0, 0};
    uint64_t count;

    count = sum_lanes(col->values.f64, col->validity, col->length, sum, comp);
    for (int l = 0; l < 4; l++) {
        neumaier_add(&st->fa, &st->fb, sum[l]);
        st->fb += comp[l]; /* a correction, not a value: it joins the state's own */
    }
    st->count += count;
}

static int update_rows(ddf_agg_state *st, const ddf_column *col, const uint32_t *sel,
                       size_t nsel, uint64_t part, uint64_t row_base, bool lanes,
                       ddf_error *err);

/* The best of min/max among the rows of a dictionary column: the codes the rows use are
 * marked in a bitmap, then each used entry is compared once instead of each row's
 * string. A bitmap, not a per-entry array, because a slice of 8,192 rows may use few of
 * 10,000 entries: it costs dict_length / 8 bytes to clear and scan. *row gets the first
 * row holding the best. */
static int minmax_dict(const ddf_agg_state *st, const ddf_column *col, const uint32_t *sel,
                       size_t n, uint64_t *kept, size_t *row, const char **s, size_t *len)
{
    const int want = st->kind == DDF_AGG_MIN ? -1 : 1;
    const int64_t *off = col->values.offsets;
    size_t words = (col->dict_length + 63) / 64, best = SIZE_MAX;
    uint64_t *used = ddf_calloc(words ? words : 1, sizeof(*used));

    if (used == NULL)
        return DDF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t r = sel ? sel[i] : i;

        if (!ddf_column_is_valid(col, r))
            continue;
        ++*kept;
        used[col->codes[r] >> 6] |= UINT64_C(1) << (col->codes[r] & 63);
    }
    for (size_t w = 0; w < words; w++)
        for (uint64_t bits = used[w]; bits; bits &= bits - 1) {
            size_t k = w * 64 + (size_t)__builtin_ctzll(bits);
            size_t lk = (size_t)(off[k + 1] - off[k]);
            const char *sk = lk ? col->bytes + off[k] : "";

            if (best == SIZE_MAX ||
                cmp_vals(DDF_DTYPE_STRING, 0, 0, sk, lk, 0, 0, *s, *len) == want) {
                best = k;
                *s = sk;
                *len = lk;
            }
        }
    *row = SIZE_MAX;
    for (size_t i = 0; i < n && best != SIZE_MAX && *row == SIZE_MAX; i++) {
        size_t r = sel ? sel[i] : i;

        if (col->codes[r] == best && ddf_column_is_valid(col, r))
            *row = r;
    }
    ddf_free(used);
    return DDF_OK;
}

/* min/max of the rows: the best found by a loop per layout, then offered to the state as
 * the generic loop of update_rows does (which copies a candidate state a row, five times
 * slower). Ties keep the first row; values are what cmp_vals orders, so the result is
 * the generic loop's. */
static int minmax_rows(ddf_agg_state *st, const ddf_column *col, const uint32_t *sel,
                       size_t n, uint64_t part, uint64_t row_base, ddf_error *err)
{
    const int want = st->kind == DDF_AGG_MIN ? -1 : 1;
    uint64_t kept = 0, seen = st->count;
    size_t best = SIZE_MAX, len = 0;
    int64_t iv = 0;
    double fv = 0.0;
    const char *s = "";

    if (col->dtype == DDF_DTYPE_STRING && ddf_column_is_dict(col)) {
        if (minmax_dict(st, col, sel, n, &kept, &best, &s, &len) < 0)
            return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", ddf_agg_name(st->kind));
    } else if (col->dtype == DDF_DTYPE_FLOAT64) {
        const double *x = col->values.f64;

        /* a loop per dtype, the test of the dtype out of it */
        for (size_t i = 0; i < n; i++) {
            size_t r = sel ? sel[i] : i;

            if (!ddf_column_is_valid(col, r) || isnan(x[r]))
                continue;
            kept++;
            if (best == SIZE_MAX || cmp_vals(DDF_DTYPE_FLOAT64, 0, x[r], NULL, 0, 0, fv, NULL,
                                             0) == want)
                best = r, fv = x[r];
        }
    } else if (col->dtype == DDF_DTYPE_STRING) {
        for (size_t i = 0; i < n; i++) {
            size_t r = sel ? sel[i] : i, lx;
            const char *x;

            if (!ddf_column_is_valid(col, r))
                continue;
            kept++;
            x = ddf_column_str(col, r, &lx);
            if (best == SIZE_MAX || cmp_vals(DDF_DTYPE_STRING, 0, 0, x, lx, 0, 0, s, len) == want)
                best = r, s = x, len = lx;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            size_t r = sel ? sel[i] : i;
            int64_t x;

            if (!ddf_column_is_valid(col, r))
                continue;
            kept++;
            x = int_at(col, r);
            if (best == SIZE_MAX || (want < 0 ? x < iv : x > iv))
                best = r, iv = x;
        }
    }
    st->count += kept;
    if (best != SIZE_MAX && better(st, seen == 0, iv, fv, s, len, part, row_base + best) &&
        take(st, iv, fv, s, len, part, row_base + best) < 0)
        return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", ddf_agg_name(st->kind));
    return DDF_OK;
}

int ddf_agg_update(ddf_agg_state *st, const ddf_column *col, const uint32_t *sel, size_t nsel,
                   uint64_t part, ddf_error *err)
{
    return update_rows(st, col, sel, nsel, part, 0, true, err);
}

/* ddf_agg_update with first/last rows numbered from 'row_base'; 'lanes' false keeps a
 * float sum off the lane path (the stream folds its lanes itself). */
static int update_rows(ddf_agg_state *st, const ddf_column *col, const uint32_t *sel,
                       size_t nsel, uint64_t part, uint64_t row_base, bool lanes,
                       ddf_error *err)
{
    size_t n = sel ? nsel : col->length;
    size_t best = SIZE_MAX; /* min/max/first/last: row of the best value in this column */
    uint64_t seen = st->count;

    if (col->dtype != st->dtype)
        return ddf_error_setf(err, DDF_EINVAL, "%s state of %s given a %s column",
                              ddf_agg_name(st->kind), ddf_dtype_name(st->dtype),
                              ddf_dtype_name(col->dtype));
    if (st->kind == DDF_AGG_SIZE) { /* size counts nulls too */
        st->count += n;
        return DDF_OK;
    }
    if ((st->kind == DDF_AGG_SUM || st->kind == DDF_AGG_MEAN) &&
        st->dtype == DDF_DTYPE_FLOAT64 && sel == NULL && lanes) {
        sum_float_column(st, col);
        return DDF_OK;
    }
    if (st->kind == DDF_AGG_MIN || st->kind == DDF_AGG_MAX)
        return minmax_rows(st, col, sel, n, part, row_base, err);
    if (st->kind == DDF_AGG_NUNIQUE && st->set == NULL) {
        st->set = ddf_calloc(1, sizeof(*st->set));
        if (st->set == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "nunique: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = sel ? sel[i] : i;
        int rc;

        if (row_is_null(col, r))
            continue;
        switch (st->kind) {
        case DDF_AGG_SUM:
        case DDF_AGG_MEAN:
            if (st->dtype == DDF_DTYPE_FLOAT64)
                neumaier_add(&st->fa, &st->fb, col->values.f64[r]);
            else
                st->isum += int_at(col, r);
            break;
        case DDF_AGG_STD:
        case DDF_AGG_VAR: {
            double x = num_at(col, r), delta = x - st->fa;

            st->fa += delta / (double)(st->count + 1);
            st->fb += delta * (x - st->fa);
            break;
        }
        case DDF_AGG_MIN:
        case DDF_AGG_MAX:
        case DDF_AGG_FIRST:
        case DDF_AGG_LAST: {
            /* compare with the best row of this column so far (or the state's value
             * until one beats it); the winner is copied once, after the loop */
            ddf_agg_state cand = row_value(st, col, r, part, row_base + r);
            bool win;

            if (best == SIZE_MAX) {
                win = better(st, seen == 0, cand.ival, cand.fa, cand.str, cand.str_len, part,
                             row_base + r);
            } else {
                ddf_agg_state cur = row_value(st, col, best, part, row_base + best);

                win = better(&cur, false, cand.ival, cand.fa, cand.str, cand.str_len, part,
                             row_base + r);
            }
            if (win)
                best = r;
            break;
        }
        case DDF_AGG_NUNIQUE: {
            size_t len;
            const char *s = st->dtype == DDF_DTYPE_STRING ? ddf_column_str(col, r, &len) : NULL;

            rc = set_add(st->set, st->arena, s, s ? (uint64_t)len : key_bits(col, r));
            if (rc < 0)
                return ddf_error_setf(err, rc, "nunique: out of memory");
            break;
        }
        default:
            break;
        }
        st->count++;
    }
    if (best != SIZE_MAX) {
        ddf_agg_state v = row_value(st, col, best, part, row_base + best);

        if (take(st, v.ival, v.fa, v.str, v.str_len, part, row_base + best) < 0)
            return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", ddf_agg_name(st->kind));
    }
    return DDF_OK;
}

/* ---- streaming slices of one partition (agg.h) ---- */

void ddf_agg_stream_init(ddf_agg_stream *s, const ddf_agg_state *st, bool lanes)
{
    memset(s, 0, sizeof(*s));
    s->lanes = lanes && (st->kind == DDF_AGG_SUM || st->kind == DDF_AGG_MEAN) &&
               st->dtype == DDF_DTYPE_FLOAT64;
}

/* One row at the next position of the lanes: kept in 'pend' until its group of four is
 * complete, which then goes through the lanes with sum_lanes' arithmetic (its portable
 * branch, lane by lane: the SSE2 one does the same operations two at a time). */
static void stream_row(ddf_agg_stream *s, double x)
{
    if (s->npend < 3) {
        s->pend[s->npend++] = x;
        return;
    }
    for (int l = 0; l < 4; l++) {
        double v = l < 3 ? s->pend[l] : x, t;
        bool keep = v == v;

        v = keep ? v : 0.0;
        s->count += keep;
        t = s->sum[l] + v;
        s->comp[l] += fabs(s->sum[l]) >= fabs(v) ? (s->sum[l] - t) + v : (v - t) + s->sum[l];
        s->sum[l] = t;
    }
    s->npend = 0;
}

int ddf_agg_stream_update(ddf_agg_stream *s, ddf_agg_state *st, const ddf_column *col,
                          const uint32_t *sel, size_t nsel, uint64_t part, uint64_t row_base,
                          ddf_error *err)
{
    size_t n = sel ? nsel : col->length, i = 0;

    if (!s->lanes || col->dtype != st->dtype)
        return update_rows(st, col, sel, nsel, part, row_base, false, err);
    if (sel == NULL && s->npend == 0) {
        /* the common case: the slice starts a group of four and its validity bitmap on a
         * byte, so the vector loop takes all but its last n % 4 rows */
        i = n & ~(size_t)3;
        s->count += sum_lanes(col->values.f64, col->validity, i, s->sum, s->comp);
    }
    for (; i < n; i++) {
        size_t r = sel ? sel[i] : i;

        stream_row(s, ddf_column_is_valid(col, r) ? col->values.f64[r] : NAN);
    }
    return DDF_OK;
}

void ddf_agg_stream_finish(ddf_agg_stream *s, ddf_agg_state *st)
{
    if (!s->lanes)
        return;
    /* the last n % 4 rows: sum_lanes' tail loop */
    for (unsigned k = 0; k < s->npend; k++) {
        if (s->pend[k] != s->pend[k])
            continue;
        neumaier_add(&s->sum[0], &s->comp[0], s->pend[k]);
        s->count++;
    }
    s->npend = 0;
    /* sum_float_column's fold */
    for (int l = 0; l < 4; l++) {
        neumaier_add(&st->fa, &st->fb, s->sum[l]);
        st->fb += s->comp[l];
    }
    st->count += s->count;
    s->lanes = false;
}

int ddf_agg_merge(ddf_agg_state *dst, const ddf_agg_state *src, ddf_error *err)
{
    if (dst->kind != src->kind || dst->dtype != src->dtype)
        return ddf_error_setf(err, DDF_EINVAL, "cannot merge a %s/%s state into %s/%s",
                              ddf_agg_name(src->kind), ddf_dtype_name(src->dtype),
                              ddf_agg_name(dst->kind), ddf_dtype_name(dst->dtype));
    switch (dst->kind) {
    case DDF_AGG_SUM:
    case DDF_AGG_MEAN:
        if (dst->dtype == DDF_DTYPE_FLOAT64) {
            neumaier_add(&dst->fa, &dst->fb, src->fa);
            dst->fb += src->fb;
        } else {
            /* cannot overflow: |isum| <= count * 2^63 and counts stay below
             * DDF_MAX_ROWS = 2^40, so sums stay below 2^103 */
            dst->isum += src->isum;
        }
        break;
    case DDF_AGG_STD:
    case DDF_AGG_VAR:
        welford_merge(&dst->count, &dst->fa, &dst->fb, src->count, src->fa, src->fb);
        return DDF_OK;
    case DDF_AGG_MIN:
    case DDF_AGG_MAX:
    case DDF_AGG_FIRST:
    case DDF_AGG_LAST:
        if (src->count &&
            better(dst, dst->count == 0, src->ival, src->fa, src->str, src->str_len, src->part, src->row) &&
            take(dst, src->ival, src->fa, src->str, src->str_len, src->part, src->row) < 0)
            return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", ddf_agg_name(dst->kind));
        break;
    case DDF_AGG_NUNIQUE:
        if (src->set == NULL)
            break;
        if (dst->set == NULL && (dst->set = ddf_calloc(1, sizeof(*dst->set))) == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "nunique: out of memory");
        for (size_t i = 0; i < src->set->cap; i++) {
            const set_entry *e = &src->set->slots[i];

            if (e->hash && set_add(dst->set, dst->arena, e->s, e->v) < 0)
                return ddf_error_setf(err, DDF_ENOMEM, "nunique: out of memory");
        }
        break;
    default:
        break;
    }
    dst->count += src->count;
    return DDF_OK;
}

/* The value of an int/bool sum as a double, for mean. */
static double i128_to_double(__int128 v)
{
    return (double)v;
}

int ddf_agg_finalize(const ddf_agg_state *st, ddf_agg_value *out, ddf_error *err)
{
    memset(out, 0, sizeof(*out));
    out->str = "";
    switch (st->kind) {
    case DDF_AGG_COUNT:
    case DDF_AGG_SIZE:
        out->dtype = DDF_DTYPE_INT64;
        out->i64 = (int64_t)st->count;
        return DDF_OK;
    case DDF_AGG_NUNIQUE:
        out->dtype = DDF_DTYPE_INT64;
        out->i64 = st->set ? (int64_t)st->set->used : 0;
        return DDF_OK;
    case DDF_AGG_SUM: /* empty sum is 0 (pandas min_count=0) */
        if (st->dtype == DDF_DTYPE_FLOAT64) {
            out->dtype = DDF_DTYPE_FLOAT64;
            /* once the sum is inf or NaN the compensation is meaningless (inf - inf) */
            out->f64 = isfinite(st->fa) ? st->fa + st->fb : st->fa;
            return DDF_OK;
        }
        /* the overflow rule: an exact sum outside int64 is an error, never a wrap */
        if (st->isum > INT64_MAX || st->isum < INT64_MIN)
            return ddf_error_setf(err, DDF_ERANGE, "sum of an %s column overflows int64",
                                  ddf_dtype_name(st->dtype));
        out->dtype = DDF_DTYPE_INT64;
        out->i64 = (int64_t)st->isum;
        return DDF_OK;
    default:
        break;
    }
    /* the empty rule: no values -> null; var/std need two */
    if (st->count == 0 || ((st->kind == DDF_AGG_STD || st->kind == DDF_AGG_VAR) && st->count < 2)) {
        out->dtype = DDF_DTYPE_NULL;
        return DDF_OK;
    }
    switch (st->kind) {
    case DDF_AGG_MEAN:
        out->dtype = DDF_DTYPE_FLOAT64;
        if (st->dtype == DDF_DTYPE_FLOAT64)
            out->f64 = (isfinite(st->fa) ? st->fa + st->fb : st->fa) / (double)st->count;
        else
            out->f64 = i128_to_double(st->isum) / (double)st->count;
        return DDF_OK;
    case DDF_AGG_VAR:
    case DDF_AGG_STD: {
        double var = st->fb / (double)(st->count - 1); /* ddof = 1 */

        out->dtype = DDF_DTYPE_FLOAT64;
        out->f64 = st->kind == DDF_AGG_STD ? sqrt(var) : var;
        return DDF_OK;
    }
    default: /* min max first last */
        out->dtype = st->dtype;
        out->i64 = st->ival;
        out->f64 = st->fa;
        out->str = st->str;
        out->str_len = st->str_len;
        return DDF_OK;
    }
}

/* ---- serialization: the layout is specified in agg.h ---- */

enum { C_KIND, C_DTYPE, C_COUNT, C_HI, C_LO, C_IVAL, C_PART, C_ROW, C_FA, C_FB, C_STR, C_SET,
       NCOLS };

static const struct {
    const char *name;
    ddf_dtype dtype;
} layout[NCOLS] = {
    {"kind", DDF_DTYPE_INT64},   {"dtype", DDF_DTYPE_INT64}, {"count", DDF_DTYPE_INT64},
    {"isum_hi", DDF_DTYPE_INT64}, {"isum_lo", DDF_DTYPE_INT64}, {"ival", DDF_DTYPE_INT64},
    {"part", DDF_DTYPE_INT64},   {"row", DDF_DTYPE_INT64},   {"fa", DDF_DTYPE_FLOAT64},
    {"fb", DDF_DTYPE_FLOAT64},   {"str", DDF_DTYPE_STRING},  {"set", DDF_DTYPE_STRING},
};

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Pack a nunique set into 'arena' (format in agg.h). */
static int pack_set(const ddf_agg_state *st, ddf_arena *arena, char **out, size_t *len)
{
    size_t total = 0, at = 0;
    unsigned char *buf;

    *out = "";
    *len = 0;
    if (st->set == NULL)
        return DDF_OK;
    for (size_t i = 0; i < st->set->cap; i++)
        if (st->set->slots[i].hash)
            total += st->set->slots[i].s ? 4 + (size_t)st->set->slots[i].v : 8;
    if (total > DDF_MAX_FIELD_BYTES)
        return DDF_ETOOBIG;
    if (total == 0)
        return DDF_OK;
    buf = ddf_arena_alloc(arena, total);
    if (buf == NULL)
        return DDF_ENOMEM;
    for (size_t i = 0; i < st->set->cap; i++) {
        const set_entry *e = &st->set->slots[i];

        if (e->hash == 0)
            continue;
        if (e->s) {
            put_le(buf + at, e->v, 4);
            memcpy(buf + at + 4, e->s, (size_t)e->v);
            at += 4 + (size_t)e->v;
        } else {
            put_le(buf + at, e->v, 8);
            at += 8;
        }
    }
    *out = (char *)buf;
    *len = total;
    return DDF_OK;
}

int ddf_agg_states_to_table(const ddf_agg_state *states, size_t n, ddf_table **out,
                            ddf_error *err)
{
    ddf_table *t;
    int rc = DDF_OK;

    *out = NULL;
    for (size_t i = 1; i < n; i++)
        if (states[i].kind != states[0].kind || states[i].dtype != states[0].dtype)
            return ddf_error_setf(err, DDF_EINVAL, "state %zu differs in kind or dtype", i);
    t = ddf_table_new(NCOLS);
    if (t == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (int c = 0; c < NCOLS && rc == DDF_OK; c++)
        rc = ddf_table_set_column(t, (size_t)c, layout[c].name, strlen(layout[c].name),
                                  layout[c].dtype);
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        const ddf_agg_state *st = &states[i];
        uint64_t lo = (uint64_t)(unsigned __int128)st->isum;
        int64_t hi = (int64_t)(st->isum >> 64);
        char *set;
        size_t set_len;

        rc = pack_set(st, t->arena, &set, &set_len);
        if (rc == DDF_OK) rc = ddf_column_append_i64(&t->columns[C_KIND], t->arena, st->kind);
        if (rc == DDF_OK) rc = ddf_column_append_i64(&t->columns[C_DTYPE], t->arena, st->dtype);
        if (rc == DDF_OK)
            rc = ddf_column_append_i64(&t->columns[C_COUNT], t->arena, (int64_t)st->count);
        if (rc == DDF_OK) rc = ddf_column_append_i64(&t->columns[C_HI], t->arena, hi);
        if (rc == DDF_OK) rc = ddf_column_append_i64(&t->columns[C_LO], t->arena, (int64_t)lo);
        if (rc == DDF_OK) rc = ddf_column_append_i64(&t->columns[C_IVAL], t->arena, st->ival);
        if (rc == DDF_OK)
            rc = ddf_column_append_i64(&t->columns[C_PART], t->arena, (int64_t)st->part);
        if (rc == DDF_OK)
            rc = ddf_column_append_i64(&t->columns[C_ROW], t->arena, (int64_t)st->row);
        if (rc == DDF_OK) rc = ddf_column_append_f64(&t->columns[C_FA], t->arena, st->fa);
        if (rc == DDF_OK) rc = ddf_column_append_f64(&t->columns[C_FB], t->arena, st->fb);
        if (rc == DDF_OK)
            rc = ddf_column_append_str(&t->columns[C_STR], t->arena, st->str, st->str_len);
        if (rc == DDF_OK)
            rc = ddf_column_append_str(&t->columns[C_SET], t->arena, set, set_len);
    }
    if (rc < 0) {
        ddf_table_free(t);
        return ddf_error_setf(err, rc, "serializing %s states: %s",
                              n ? ddf_agg_name(states[0].kind) : "no", ddf_strerror(rc));
    }
    t->nrows = n;
    *out = t;
    return DDF_OK;
}

/* Rebuild state 'st' (already init'ed) from row 'r'; DDF_ECORRUPT or DDF_ENOMEM. */
static int load_row(const ddf_table *t, size_t r, ddf_agg_state *st, ddf_error *err)
{
    const ddf_column *c = t->columns;
    size_t len;
    const char *s;
    int rc;

    st->count = (uint64_t)c[C_COUNT].values.i64[r];
    st->isum = (__int128)(((unsigned __int128)(uint64_t)c[C_HI].values.i64[r] << 64) |
                          (uint64_t)c[C_LO].values.i64[r]);
    /* the bound that keeps merged __int128 sums from overflowing: |sum| <= count * 2^63 */
    if (st->count > DDF_MAX_ROWS ||
        st->isum > (__int128)st->count * ((__int128)1 << 63) ||
        st->isum < -(__int128)st->count * ((__int128)1 << 63))
        return ddf_error_setf(err, DDF_ECORRUPT, "row %zu: count or sum out of range", r);
    st->ival = c[C_IVAL].values.i64[r];
    st->part = (uint64_t)c[C_PART].values.i64[r];
    st->row = (uint64_t)c[C_ROW].values.i64[r];
    st->fa = c[C_FA].values.f64[r];
    st->fb = c[C_FB].values.f64[r];
    s = ddf_column_str(&c[C_STR], r, &len);
    if (len && (rc = take(st, st->ival, st->fa, s, len, st->part, st->row)) < 0)
        return ddf_error_setf(err, rc, "out of memory");
    s = ddf_column_str(&c[C_SET], r, &len);
    if (len && st->kind != DDF_AGG_NUNIQUE)
        return ddf_error_setf(err, DDF_ECORRUPT, "row %zu: a set in a non-nunique state", r);
    if (st->kind == DDF_AGG_NUNIQUE) {
        const unsigned char *p = (const unsigned char *)s, *end = p + len;

        if ((st->set = ddf_calloc(1, sizeof(*st->set))) == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        while (p < end) {
            uint64_t v;
            const char *vs = NULL;

            if (st->dtype == DDF_DTYPE_STRING) {
                if (end - p < 4 || (uint64_t)(end - p - 4) < (v = get_le(p, 4)))
                    return ddf_error_setf(err, DDF_ECORRUPT, "row %zu: truncated set", r);
                vs = (const char *)p + 4;
                p += 4 + v;
            } else {
                if (end - p < 8)
                    return ddf_error_setf(err, DDF_ECORRUPT, "row %zu: truncated set", r);
                v = get_le(p, 8);
                p += 8;
            }
            if (set_add(st->set, st->arena, vs, v) < 0)
                return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
    }
    return DDF_OK;
}

int ddf_agg_states_from_table(const ddf_table *table, ddf_arena *arena, ddf_agg_state *states,
                              size_t n, ddf_error *err)
{
    size_t r;
    int rc = DDF_OK;

    if (table->ncols != NCOLS || table->nrows != n)
        return ddf_error_setf(err, DDF_ECORRUPT, "not an aggregation state table");
    for (int c = 0; c < NCOLS; c++)
        if (table->columns[c].dtype != layout[c].dtype ||
            strcmp(table->names[c], layout[c].name) != 0 || table->columns[c].null_count)
            return ddf_error_setf(err, DDF_ECORRUPT, "column %d is not '%s' %s", c + 1,
                                  layout[c].name, ddf_dtype_name(layout[c].dtype));
    for (r = 0; r < n; r++) {
        int64_t kind = table->columns[C_KIND].values.i64[r];
        int64_t dtype = table->columns[C_DTYPE].values.i64[r];

        if (kind < 0 || kind >= DDF_AGG_KIND_COUNT || dtype < DDF_DTYPE_BOOL ||
            dtype > DDF_DTYPE_STRING ||
            ddf_agg_init(&states[r], (ddf_agg_kind)kind, (ddf_dtype)dtype, arena, err) < 0) {
            rc = ddf_error_setf(err, DDF_ECORRUPT, "row %zu: bad kind or dtype", r);
            break;
        }
        rc = load_row(table, r, &states[r], err);
        if (rc < 0) {
            ddf_agg_fini(&states[r]);
            break;
        }
    }
    if (rc < 0)
        while (r-- > 0)
            ddf_agg_fini(&states[r]);
    return rc;
}
