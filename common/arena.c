/* arena.c - the region allocator of partitions and results (see arena.h).
 *
 * Layout: a doubly linked list of blocks, each a header followed by its data. The head of
 * the list is the chunk small requests are carved from. A request above LARGE_BYTES gets
 * a dedicated block whose data starts right after its header, so ddf_arena_realloc can
 * find the header from the pointer and realloc the whole block, then relink it.
 * ddf_arena_rewind moves the blocks to a spare list that new blocks are taken from (the
 * smallest that fits), so a loop that allocates the same sizes each round reuses the same
 * memory, already mapped and likely in cache, instead of going back to malloc.
 * Invariant: arena->bytes == sum over blocks, spare ones included, of (header + capacity). */
#include "arena.h"

#include "alloc.h"

#include <stdint.h>
#include <string.h>

#define CHUNK_BYTES (64u * 1024)
#define LARGE_BYTES (CHUNK_BYTES / 8)
#define ALIGN 16u

typedef struct block {
    struct block *prev;
    struct block *next;
    size_t capacity; /* data bytes after the header */
    size_t used;     /* data bytes handed out (chunks only) */
} block;

struct ddf_arena {
    block *head;  /* most recent block; small requests come from the newest chunk */
    block *chunk; /* current chunk for small requests, or NULL */
    block *spare; /* blocks kept by ddf_arena_rewind for reuse (linked by next) */
    size_t bytes; /* heap bytes held, headers included (spare blocks too) */
};

#define HEADER_BYTES ((sizeof(block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static unsigned char *block_data(block *b)
{
    return (unsigned char *)b + HEADER_BYTES;
}

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

ddf_arena *ddf_arena_new(void)
{
    return ddf_calloc(1, sizeof(ddf_arena));
}

void ddf_arena_reset(ddf_arena *arena)
{
    block *b, *next;

    if (arena == NULL)
        return;
    for (b = arena->head; b; b = next) {
        next = b->next;
        ddf_free(b);
    }
    for (b = arena->spare; b; b = next) {
        next = b->next;
        ddf_free(b);
    }
    arena->head = NULL;
    arena->chunk = NULL;
    arena->spare = NULL;
    arena->bytes = 0;
}

void ddf_arena_rewind(ddf_arena *arena)
{
    block *b, *next;

    if (arena == NULL)
        return;
    for (b = arena->head; b; b = next) {
        next = b->next;
        b->next = arena->spare;
        arena->spare = b;
    }
    arena->head = NULL;
    arena->chunk = NULL;
}

/* The smallest spare block of at least 'capacity' bytes, unlinked, or NULL. */
static block *take_spare(ddf_arena *arena, size_t capacity)
{
    block **best = NULL;

    for (block **pp = &arena->spare; *pp; pp = &(*pp)->next)
        if ((*pp)->capacity >= capacity && (best == NULL || (*pp)->capacity < (*best)->capacity))
            best = pp;
    if (best == NULL)
        return NULL;
    block *b = *best;
    *best = b->next;
    return b;
}

void ddf_arena_free(ddf_arena *arena)
{
    ddf_arena_reset(arena);
    ddf_free(arena);
}

static void link_front(ddf_arena *arena, block *b)
{
    b->prev = NULL;
    b->next = arena->head;
    if (arena->head)
        arena->head->prev = b;
    arena->head = b;
}

static block *new_block(ddf_arena *arena, size_t capacity)
{
    block *b;

    if (capacity > SIZE_MAX - HEADER_BYTES)
        return NULL;
    b = arena->spare ? take_spare(arena, capacity) : NULL;
    if (b != NULL) { /* already counted in arena->bytes */
        b->used = 0;
        link_front(arena, b);
        return b;
    }
    b = ddf_malloc(HEADER_BYTES + capacity);
    if (b == NULL)
        return NULL;
    b->capacity = capacity;
    b->used = 0;
    link_front(arena, b);
    arena->bytes += HEADER_BYTES + capacity;
    return b;
}

void *ddf_arena_alloc(ddf_arena *arena, size_t size)
{
    block *b;
    size_t need = round_up(size ? size : 1);

    if (need < size) /* rounding overflowed */
        return NULL;
    if (need > LARGE_BYTES) {
        b = new_block(arena, need);
        if (b == NULL)
            return NULL;
        b->used = need;
        return block_data(b);
    }
    if (arena->chunk == NULL || arena->chunk->capacity - arena->chunk->used < need) {
        b = new_block(arena, CHUNK_BYTES);
        if (b == NULL)
            return NULL;
        arena->chunk = b;
    }
    b = arena->chunk;
    b->used += need;
    return block_data(b) + b->used - need;
}

void *ddf_arena_calloc(ddf_arena *arena, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size)
        return NULL;
    p = ddf_arena_alloc(arena, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *ddf_arena_realloc(ddf_arena *arena, void *ptr, size_t old_size, size_t new_size)
{
    size_t old_need = round_up(old_size ? old_size : 1);
    size_t need = round_up(new_size ? new_size : 1);
    block *b, *moved;
    void *fresh;

    if (ptr == NULL)
        return ddf_arena_alloc(arena, new_size);
    if (need < new_size)
        return NULL;
    if (old_need > LARGE_BYTES && need > LARGE_BYTES) {
        /* A dedicated block: realloc it whole and relink its neighbours. */
        b = (block *)((unsigned char *)ptr - HEADER_BYTES);
        if (need <= b->capacity)
            return ptr;
        moved = ddf_realloc(b, HEADER_BYTES + need);
        if (moved == NULL)
            return NULL;
        if (moved->prev)
            moved->prev->next = moved;
        else
            arena->head = moved;
        if (moved->next)
            moved->next->prev = moved;
        arena->bytes += need - moved->capacity;
        moved->capacity = need;
        moved->used = need;
        return block_data(moved);
    }
    b = arena->chunk;
    if (b && old_need <= LARGE_BYTES && need <= LARGE_BYTES &&
        (unsigned char *)ptr + old_need == block_data(b) + b->used &&
        b->used - old_need + need <= b->capacity) {
        /* The newest small allocation: grow or shrink it where it is. */
        b->used = b->used - old_need + need;
        return ptr;
    }
    if (need <= old_need)
        return ptr;
    fresh = ddf_arena_alloc(arena, new_size);
    if (fresh == NULL)
        return NULL;
    memcpy(fresh, ptr, old_size < new_size ? old_size : new_size);
    return fresh;
}

/* The dedicated block holding 'ptr' of 'size' bytes, or NULL when 'ptr' was carved from
 * a chunk (or is NULL). */
static block *dedicated_block(void *ptr, size_t size)
{
    if (ptr == NULL || round_up(size ? size : 1) <= LARGE_BYTES)
        return NULL;
    return (block *)((unsigned char *)ptr - HEADER_BYTES);
}

/* Point b's neighbours (and the head) at b, which realloc may have moved. */
static void relink(ddf_arena *arena, block *b)
{
    if (b->prev)
        b->prev->next = b;
    else
        arena->head = b;
    if (b->next)
        b->next->prev = b;
}

void *ddf_arena_shrink(ddf_arena *arena, void *ptr, size_t old_size, size_t new_size)
{
    block *b = dedicated_block(ptr, old_size), *moved;
    size_t need = round_up(new_size);

    /* Down to a small size the block stays dedicated but keeps LARGE_BYTES + 16, so that
     * its size still tells ddf_arena_realloc and ddf_arena_release it is dedicated. */
    if (need <= LARGE_BYTES)
        need = LARGE_BYTES + ALIGN;
    if (b == NULL || need >= b->capacity || need < new_size)
        return ptr;
    moved = ddf_realloc(b, HEADER_BYTES + need); /* shrinks in place in practice */
    if (moved == NULL)
        return ptr; /* the larger block still serves */
    relink(arena, moved);
    arena->bytes -= moved->capacity - need;
    moved->capacity = need;
    moved->used = need;
    return block_data(moved);
}

void ddf_arena_release(ddf_arena *arena, void *ptr, size_t size)
{
    block *b = dedicated_block(ptr, size);

    if (b == NULL)
        return;
    if (b->prev)
        b->prev->next = b->next;
    else
        arena->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    arena->bytes -= HEADER_BYTES + b->capacity;
    ddf_free(b);
}

size_t ddf_arena_bytes(const ddf_arena *arena)
{
    return arena ? arena->bytes : 0;
}

char *ddf_arena_strdup(ddf_arena *arena, const char *s)
{
    size_t len = strlen(s);
    char *p = ddf_arena_alloc(arena, len + 1);

    if (p != NULL)
        memcpy(p, s, len + 1);
    return p;
}
