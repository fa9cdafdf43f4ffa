/* bitmap.h - counting the set bits of a validity bitmap (column.h's layout: bit i of byte
 * i / 8, LSB first).
 *
 * Null counts are taken per slice of a cached partition (worker/exec.c) and per column
 * sent (codec.c), so counting is on the path of every warm query. The build targets every
 * x86-64 CPU, whose baseline has no popcnt instruction: __builtin_popcountll is then a
 * libgcc call of ~15 instructions per word. The count here has a popcnt clone, chosen at
 * load time on CPUs that have it. */
#ifndef DDF_BITMAP_H
#define DDF_BITMAP_H

#include <stddef.h>
#include <stdint.h>

/* Set bits among bits [0, nbits) of 'bits' (bytes past the last bit are not read). */
size_t ddf_bitmap_count(const uint8_t *bits, size_t nbits);

#endif
