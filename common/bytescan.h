/* bytescan.h - find up to three byte values in 16 bytes at once.
 *
 * The CSV fast path looks for separators and for the bytes that end it (quote, CR) in
 * every byte of most lines; comparing 16 bytes per step instead of one is what makes that
 * path cheap. SSE2 is part of every x86-64 CPU; other targets get a plain loop with the
 * same results. */
#ifndef DDF_BYTESCAN_H
#define DDF_BYTESCAN_H

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>

/* For the 16 bytes at p: bit i of *is_a is set when p[i] == a, bit i of *is_bc when
 * p[i] == b or p[i] == c. */
static inline void ddf_bytescan16(const char *p, char a, char b, char c, unsigned *is_a,
                                  unsigned *is_bc)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i ea = _mm_cmpeq_epi8(v, _mm_set1_epi8(a));
    __m128i eb = _mm_cmpeq_epi8(v, _mm_set1_epi8(b));
    __m128i ec = _mm_cmpeq_epi8(v, _mm_set1_epi8(c));

    *is_a = (unsigned)_mm_movemask_epi8(ea);
    *is_bc = (unsigned)_mm_movemask_epi8(_mm_or_si128(eb, ec));
}
#else
static inline void ddf_bytescan16(const char *p, char a, char b, char c, unsigned *is_a,
                                  unsigned *is_bc)
{
    unsigned ma = 0, mbc = 0;

    for (unsigned i = 0; i < 16; i++) {
        ma |= (unsigned)(p[i] == a) << i;
        mbc |= (unsigned)(p[i] == b || p[i] == c) << i;
    }
    *is_a = ma;
    *is_bc = mbc;
}
#endif

#endif
