/* f64_chain.c - a chain of float64 arithmetic over a block of rows in registers, stored
 * or added to a float sum's lanes there (f64_chain.h).
 *
 * Written with GCC's vector extensions: a v4d is four rows, one AVX2 register or two SSE2
 * ones. A block is eight of them, 32 rows: each term is loaded into a block and folded
 * into the running one with the chain's operator, so a term and an operator cost one
 * switch per 32 rows and the values never leave the registers until the result is
 * stored. The kernel has an AVX2 clone, chosen at load time. */
#include "f64_chain.h"

#include <string.h>

typedef double v4d __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));


#define QUADS 8 /* vectors a block: 8 of the 16 AVX2 registers, 8 more for the term */
#define BLOCK_ROWS (4 * QUADS)

#if defined(__GNUC__) && !defined(__clang__)
#define EACH_QUAD(...) _Pragma("GCC unroll 8") for (int q = 0; q < QUADS; q++) { __VA_ARGS__; }
#else
#define EACH_QUAD(...) for (int q = 0; q < QUADS; q++) { __VA_ARGS__; }
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DDF_CHAIN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DDF_CHAIN_CLONES
#endif
#define DDF_CHAIN_INLINE static inline __attribute__((always_inline))

/* int64 -> double without a vector conversion (x86 has none below AVX-512): an int64 in
 * [-2^51, 2^51) added to the bits of 1.5 * 2^52 lands in the significand exactly, so that
 * double minus 1.5 * 2^52 is the value exactly, as (double) gives it. Whether a value
 * was outside is kept as the OR of value + 2^51 over the rows, which is below 2^52 exactly
 * when every one of them is. */
#define MAGIC_BITS UINT64_C(0x4338000000000000) /* 1.5 * 2^52 */
#define MAGIC 6755399441055744.0
#define HALF_RANGE (UINT64_C(1) << 51)
/* A signed byte b as the double 2^52 + (b + 128): its bits are 2^52's with b ^ 0x80 in
 * the low byte. Four bytes of one little-endian word go to four lanes by shifts, so the
 * conversion needs neither a byte shuffle nor a sign extension, which GCC's vector
 * extensions turn into scalar code. */
#define BYTE_BITS UINT64_C(0x4330000000000080) /* 2^52, with the sign bit of b flipped */
#define BYTE_MAGIC 4503599627370624.0          /* 2^52 + 128 */
#define BYTE_SHIFTS ((v4u){0, 8, 16, 24})

/* Macros, not functions: a function returning a vector type changes the ABI between the
 * AVX2 clone and the default one, which GCC warns about. */
#define SPLAT(s) ((v4d){(s), (s), (s), (s)})
#define SPLAT_U(s) ((v4u){(s), (s), (s), (s)})

DDF_CHAIN_INLINE double apply(ddf_f64_op op, double a, double b)
{
    switch (op) {
    case DDF_F64_ADD:
        return a + b;
    case DDF_F64_SUB:
        return a - b;
    case DDF_F64_MUL:
        return a * b;
    default:
        return a / b;
    }
}

/* acc[q] = acc[q] op x[q] for the block. */
DDF_CHAIN_INLINE void apply_block(ddf_f64_op op, v4d *acc, const v4d *x)
{
    switch (op) {
    case DDF_F64_ADD:
        EACH_QUAD(acc[q] = acc[q] + x[q])
        break;
    case DDF_F64_SUB:
        EACH_QUAD(acc[q] = acc[q] - x[q])
        break;
    case DDF_F64_MUL:
        EACH_QUAD(acc[q] = acc[q] * x[q])
        break;
    default:
        EACH_QUAD(acc[q] = acc[q] / x[q])
        break;
    }
}

/* x = term t over rows [i, i + BLOCK_ROWS). 'exact' converts int64 values one at a time
 * (the fallback when some value is out of the fast conversion's range, *oor says). */
DDF_CHAIN_INLINE void load_block(const ddf_f64_term *t, size_t i, bool exact, v4u *oor, v4d *x)
{
    switch (t->kind) {
    case DDF_F64_TERM_FLOAT:
        EACH_QUAD(memcpy(&x[q], t->f + i + 4 * q, sizeof x[q]))
        break;
    case DDF_F64_TERM_INT:
        if (exact) {
            EACH_QUAD(const int64_t *a = t->i + i + 4 * q;
                      double d[4] = {(double)a[0], (double)a[1], (double)a[2], (double)a[3]};
                      memcpy(&x[q], d, sizeof d))
        } else {
            EACH_QUAD(v4u u; memcpy(&u, t->i + i + 4 * q, sizeof u);
                      *oor |= u + SPLAT_U(HALF_RANGE); u += SPLAT_U(MAGIC_BITS);
                      memcpy(&x[q], &u, sizeof u); x[q] -= SPLAT(MAGIC))
        }
        break;
    case DDF_F64_TERM_INT8: /* the same trick on bytes: exact for all of them */
        EACH_QUAD(uint32_t w; memcpy(&w, t->i8 + i + 4 * q, sizeof w);
                  v4u u = ((SPLAT_U(w) >> BYTE_SHIFTS) & SPLAT_U(0xff)) ^ SPLAT_U(BYTE_BITS);
                  memcpy(&x[q], &u, sizeof u); x[q] -= SPLAT(BYTE_MAGIC))
        break;
    default:
        EACH_QUAD(x[q] = SPLAT(t->s))
        return;
    }
    if (!t->has_sop)
        return;
    {
        const v4d s = SPLAT(t->s);

        /* the scalar on the side it was written on: s - x is not x - s, and for + and *
         * the operands' order is kept too, so NaNs come out as node by node */
        switch (t->sop * 2 + t->scalar_left) {
        case DDF_F64_ADD * 2:
            EACH_QUAD(x[q] = x[q] + s)
            break;
        case DDF_F64_ADD * 2 + 1:
            EACH_QUAD(x[q] = s + x[q])
            break;
        case DDF_F64_SUB * 2:
            EACH_QUAD(x[q] = x[q] - s)
            break;
        case DDF_F64_SUB * 2 + 1:
            EACH_QUAD(x[q] = s - x[q])
            break;
        case DDF_F64_MUL * 2:
            EACH_QUAD(x[q] = x[q] * s)
            break;
        case DDF_F64_MUL * 2 + 1:
            EACH_QUAD(x[q] = s * x[q])
            break;
        case DDF_F64_DIV * 2:
            EACH_QUAD(x[q] = x[q] / s)
            break;
        default:
            EACH_QUAD(x[q] = s / x[q])
            break;
        }
    }
}

/* Term t at row r, for the rows past the last whole block. */
DDF_CHAIN_INLINE double term_at(const ddf_f64_term *t, size_t r)
{
    double x = t->kind == DDF_F64_TERM_FLOAT ? t->f[r]
               : t->kind == DDF_F64_TERM_INT  ? (double)t->i[r]
               : t->kind == DDF_F64_TERM_INT8 ? (double)t->i8[r]
                                              : t->s;

    if (t->kind == DDF_F64_TERM_SCALAR || !t->has_sop)
        return x;
    return t->scalar_left ? apply(t->sop, t->s, x) : apply(t->sop, x, t->s);
}

/* acc = the chain over the block of rows [row, row + BLOCK_ROWS); x is the term's
 * scratch. */
DDF_CHAIN_INLINE void chain_block(const ddf_f64_chain *c, size_t row, bool exact, v4u *oor,
                                  v4d *acc, v4d *x)
{
    load_block(&c->terms[0], row, exact, oor, acc);
    for (size_t k = 1; k < c->nterms; k++) {
        load_block(&c->terms[k], row, exact, oor, x);
        apply_block(c->ops[k - 1], acc, x);
    }
}

/* The chain over rows [start, start + n) into out[0..n); true when an int64 term's fast
 * conversion met a value out of its range (the blocks' results are then wrong, the
 * tail's right). */
DDF_CHAIN_INLINE bool run_rows(const ddf_f64_chain *c, size_t start, size_t n, double *out,
                               bool exact)
{
    v4u oor = SPLAT_U(0);
    v4d acc[QUADS] = {{0}}, x[QUADS] = {{0}}; /* always written before read; GCC 12 doubts */
    size_t i = 0;

    for (; i + BLOCK_ROWS <= n; i += BLOCK_ROWS) {
        chain_block(c, start + i, exact, &oor, acc, x);
        EACH_QUAD(memcpy(out + i + 4 * q, &acc[q], sizeof acc[q]))
    }
    for (; i < n; i++) {
        double row = term_at(&c->terms[0], start + i);

        for (size_t k = 1; k < c->nterms; k++)
            row = apply(c->ops[k - 1], row, term_at(&c->terms[k], start + i));
        out[i] = row;
    }
    return ((oor[0] | oor[1] | oor[2] | oor[3]) >> 52) != 0;
}

DDF_CHAIN_CLONES void ddf_f64_chain_run(const ddf_f64_chain *chain, size_t start, size_t n,
                                        double *out)
{
    if (run_rows(chain, start, n, out, false))
        run_rows(chain, start, n, out, true);
}

/* ---- summing the chain in four lanes ---------------------------------------------- */

/* Lane masks of four validity bits, low bit first. */
#define MASK(b) {-(uint64_t)((b) & 1), -(uint64_t)(((b) >> 1) & 1), \
                 -(uint64_t)(((b) >> 2) & 1), -(uint64_t)(((b) >> 3) & 1)}
static const v4u QUAD_MASK[16] = {MASK(0),  MASK(1),  MASK(2),  MASK(3), MASK(4),  MASK(5),
                                  MASK(6),  MASK(7),  MASK(8),  MASK(9), MASK(10), MASK(11),
                                  MASK(12), MASK(13), MASK(14), MASK(15)};
#undef MASK

/* The lanes as registers while a run adds to them. */
typedef struct lanes {
    v4d sum, comp;
    v4u kept; /* per lane, minus the rows taken (a mask is -1) */
} lanes;

/* |x| by clearing the sign bits, as andnot(-0.0, x) does. */
#define fabs4(X) __extension__({                                                       \
    v4d v_ = (X);                                                                       \
    v4u u_;                                                                             \
    memcpy(&u_, &v_, sizeof u_);                                                        \
    u_ &= SPLAT_U(~(UINT64_C(1) << 63));                                                \
    memcpy(&v_, &u_, sizeof v_);                                                        \
    v_;                                                                                 \
})

/* One group of four rows into the lanes, the operations of agg.c's sum_quads_avx2 in
 * its order: a row is kept when its mask bit is set and it is not NaN (a dropped row adds
 * +0.0); Neumaier's compensation picks (s - t) + x when |s| >= |x|, else (x - t) + s. */
#define ADD_QUAD(L, X, M)                                                               \
    do {                                                                                \
        v4d x_ = (X), t_, a_, b_;                                                       \
        v4u keep_ = (v4u)(x_ == x_) & (M), xb_, ge_, ab_, bb_;                          \
                                                                                        \
        memcpy(&xb_, &x_, sizeof xb_);                                                  \
        xb_ &= keep_;                                                                   \
        memcpy(&x_, &xb_, sizeof x_);                                                   \
        (L).kept += keep_;                                                              \
        t_ = (L).sum + x_;                                                              \
        ge_ = (v4u)(fabs4((L).sum) >= fabs4(x_));                                       \
        a_ = ((L).sum - t_) + x_;                                                       \
        b_ = (x_ - t_) + (L).sum;                                                       \
        memcpy(&ab_, &a_, sizeof ab_);                                                  \
        memcpy(&bb_, &b_, sizeof bb_);                                                  \
        ab_ = (ab_ & ge_) | (bb_ & ~ge_);                                               \
        memcpy(&a_, &ab_, sizeof a_);                                                   \
        (L).comp += a_;                                                                 \
        (L).sum = t_;                                                                   \
    } while (0)

/* The mask of quad q of the block at 'row' (a multiple of 8) of bitmap 'valid'. */
#define QUAD_BITS(valid, row, q) \
    ((valid) ? QUAD_MASK[((valid)[((row) >> 3) + ((q) >> 1)] >> (((q) & 1) * 4)) & 0xfu] \
             : SPLAT_U(~UINT64_C(0)))

/* The chain over rows [start, start + n) added to the lanes, 'exact' as run_rows'; true
 * when a fast int64 conversion met a value out of its range (the lanes are then wrong). */
DDF_CHAIN_INLINE bool sum_rows(const ddf_f64_chain *c, size_t start, size_t n,
                               const uint8_t *valid, lanes *l, bool exact)
{
    v4u oor = SPLAT_U(0);
    v4d acc[QUADS] = {{0}}, x[QUADS] = {{0}};
    double tail[BLOCK_ROWS];
    size_t i = 0;

    for (; i + BLOCK_ROWS <= n; i += BLOCK_ROWS) {
        chain_block(c, start + i, exact, &oor, acc, x);
        EACH_QUAD(ADD_QUAD(*l, acc[q], QUAD_BITS(valid, start + i, q)))
    }
    if (i < n) { /* under 32 rows, a multiple of 4: run_rows' tail loop, then the quads */
        if (run_rows(c, start + i, n - i, tail, exact))
            oor = SPLAT_U(UINT64_C(1) << 52);
        for (size_t q = 0; 4 * q < n - i; q++) {
            v4d t;

            memcpy(&t, tail + 4 * q, sizeof t);
            ADD_QUAD(*l, t, QUAD_BITS(valid, start + i, q));
        }
    }
    return ((oor[0] | oor[1] | oor[2] | oor[3]) >> 52) != 0;
}

DDF_CHAIN_CLONES uint64_t ddf_f64_chain_sum(const ddf_f64_chain *chain, size_t start,
                                            size_t n, const uint8_t *valid, double sum[4],
                                            double comp[4])
{
    lanes l, first;

    memcpy(&l.sum, sum, sizeof l.sum);
    memcpy(&l.comp, comp, sizeof l.comp);
    l.kept = SPLAT_U(0);
    first = l;
    if (sum_rows(chain, start, n, valid, &l, false)) {
        l = first;
        sum_rows(chain, start, n, valid, &l, true);
    }
    memcpy(sum, &l.sum, sizeof l.sum);
    memcpy(comp, &l.comp, sizeof l.comp);
    return -(l.kept[0] + l.kept[1] + l.kept[2] + l.kept[3]);
}
