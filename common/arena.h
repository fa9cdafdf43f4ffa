/* arena.h - region allocator that owns everything one partition or one result holds.
 *
 * Column buffers, validity bitmaps and string bytes of a partition are all allocated
 * from its arena; dropping the partition is one ddf_arena_free. Pointers returned are
 * borrowed "until the arena is reset or freed". ddf_arena_bytes() is the heap memory the
 * arena holds: it is the worker's memory accounting.
 *
 * Small requests are carved from 64 KiB chunks; large ones get a block of their own, which
 * ddf_arena_realloc can grow in place (column buffers grow while a block is parsed).
 * Not thread-safe: one arena belongs to one thread at a time. */
#ifndef DDF_ARENA_H
#define DDF_ARENA_H

#include <stddef.h>

typedef struct ddf_arena ddf_arena; /* opaque */

/* A new empty arena, or NULL when out of memory. */
ddf_arena *ddf_arena_new(void);

/* Release every block and the arena itself. NULL is a no-op. */
void ddf_arena_free(ddf_arena *arena);

/* Release every block; the arena stays usable and holds no memory. */
void ddf_arena_reset(ddf_arena *arena);

/* Forget every allocation but keep the blocks for the next ones (a scratch arena reused
 * per batch of rows: the same buffers each round, no malloc); pointers given before are
 * invalid. ddf_arena_bytes still counts the kept blocks; reset or free releases them. */
void ddf_arena_rewind(ddf_arena *arena);

/* 'size' bytes aligned to 16, uninitialised; NULL when out of memory. */
void *ddf_arena_alloc(ddf_arena *arena, size_t size);

/* Like ddf_arena_alloc but zeroed; n * size is overflow-checked. */
void *ddf_arena_calloc(ddf_arena *arena, size_t n, size_t size);

/* Resize 'ptr' (from this arena, allocated with 'old_size') to 'new_size', keeping the
 * first min(old, new) bytes. ptr == NULL acts as ddf_arena_alloc. On failure returns NULL
 * and 'ptr' stays valid. */
void *ddf_arena_realloc(ddf_arena *arena, void *ptr, size_t old_size, size_t new_size);

/* Give back what a dedicated block ('ptr', allocated or last resized to 'old_size'
 * bytes) holds past 'new_size' bytes, keeping the first new_size; returns the pointer to
 * use from now on (realloc may move it). Small allocations, carved from a chunk, stay as
 * they are. Cannot fail: when the heap will not shrink, 'ptr' is returned unchanged.
 * Used to drop a finished column's growth slack (table_compact.c). */
void *ddf_arena_shrink(ddf_arena *arena, void *ptr, size_t old_size, size_t new_size);

/* Free now the dedicated block of 'ptr' (allocated or last resized to 'size' bytes); a
 * small allocation stays until the arena is reset. 'ptr' must not be used again. */
void ddf_arena_release(ddf_arena *arena, void *ptr, size_t size);

/* A copy of the NUL-terminated 's' in the arena, or NULL when out of memory. */
char *ddf_arena_strdup(ddf_arena *arena, const char *s);

/* Heap bytes held by the arena (blocks and their headers). */
size_t ddf_arena_bytes(const ddf_arena *arena);

#endif
