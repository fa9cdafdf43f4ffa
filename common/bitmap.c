/* bitmap.c - set-bit counts of validity bitmaps (bitmap.h). */
#include "bitmap.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DDF_BITMAP_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define DDF_BITMAP_CLONES
#endif

DDF_BITMAP_CLONES size_t ddf_bitmap_count(const uint8_t *bits, size_t nbits)
{
    size_t full = nbits / 8, k = 0, set = 0;
    uint64_t w;

    for (; k + 8 <= full; k += 8) {
        memcpy(&w, bits + k, 8);
        set += (size_t)__builtin_popcountll(w);
    }
    for (; k < full; k++)
        set += (size_t)__builtin_popcount(bits[k]);
    if (nbits & 7)
        set += (size_t)__builtin_popcount(bits[full] & ((1u << (nbits & 7)) - 1));
    return set;
}
