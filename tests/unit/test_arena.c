/* test_arena.c - the region allocator (common/arena.c).
 *
 * Contents are checked with a per-allocation byte pattern, so any overlap between two live
 * allocations or any lost byte after a realloc shows up. Byte accounting is checked against
 * a tracking allocator installed under the arena: ddf_arena_bytes() must equal the heap
 * bytes the arena holds, less its own struct. */
#include "testutil.h"

#include "alloc.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The arena's size classes, as arena.c sets them: small requests up to 8 KiB come from
 * 64 KiB chunks, larger ones get a dedicated block. */
#define SMALL_MAX (8u * 1024)
#define CHUNK (64u * 1024)

static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

/* ---- content patterns ---- */

static unsigned char pattern_byte(unsigned seed, size_t i)
{
    return (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

static void fill(void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)p)[i] = pattern_byte(seed, i);
}

/* Whether the first 'n' bytes of 'p' still hold the pattern of 'seed'. */
static int holds(const void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)p)[i] != pattern_byte(seed, i))
            return 0;
    return 1;
}

static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15u) == 0;
}

/* ---- a tracking allocator: live heap bytes, delegating to whatever was installed ---- */

#define PREFIX 16 /* keeps the caller's pointer 16-aligned */

static ddf_alloc_fns inner;
static size_t live_bytes;

static void *track_malloc(size_t n)
{
    unsigned char *b = inner.malloc_fn(n + PREFIX);

    if (b == NULL)
        return NULL;
    memcpy(b, &n, sizeof(n));
    live_bytes += n;
    return b + PREFIX;
}

static void *track_calloc(size_t n, size_t size)
{
    void *p = track_malloc(n * size); /* ddf_calloc has checked n * size */

    if (p)
        memset(p, 0, n * size);
    return p;
}

static void *track_realloc(void *p, size_t n)
{
    unsigned char *b;
    size_t old;

    if (p == NULL)
        return track_malloc(n);
    b = (unsigned char *)p - PREFIX;
    memcpy(&old, b, sizeof(old));
    b = inner.realloc_fn(b, n + PREFIX);
    if (b == NULL)
        return NULL;
    memcpy(b, &n, sizeof(n));
    live_bytes = live_bytes - old + n;
    return b + PREFIX;
}

static void track_free(void *p)
{
    unsigned char *b = (unsigned char *)p - PREFIX;
    size_t old;

    memcpy(&old, b, sizeof(old));
    live_bytes -= old;
    inner.free_fn(b);
}

/* Track on top of the current allocator (libc, or testutil's failing one). */
static void track_start(void)
{
    static const ddf_alloc_fns fns = {track_malloc, track_calloc, track_realloc, track_free};

    live_bytes = 0;
    inner = ddf_alloc_set(&fns);
}

/* ---- tests ---- */

static void test_arena_new_arena_holds_no_bytes_and_free_of_null_is_a_no_op(void **state)
{
    ddf_arena *a;

    (void)state;
    ddf_arena_free(NULL);
    ddf_arena_reset(NULL);
    assert_int_equal(ddf_arena_bytes(NULL), 0);
    a = ddf_arena_new();
    assert_non_null(a);
    assert_int_equal(ddf_arena_bytes(a), 0);
    ddf_arena_free(a);
}

static void test_arena_many_small_allocations_keep_their_bytes(void **state)
{
    enum { N = 20000 };
    static unsigned char *ptrs[N];
    ddf_arena *a = ddf_arena_new();

    (void)state;
    assert_non_null(a);
    for (unsigned i = 0; i < N; i++) {
        size_t size = 1 + (i * 37u) % 300;
        ptrs[i] = ddf_arena_alloc(a, size);
        assert_non_null(ptrs[i]);
        assert_true(aligned16(ptrs[i]));
        fill(ptrs[i], size, i);
    }
    for (unsigned i = 0; i < N; i++)
        assert_true(holds(ptrs[i], 1 + (i * 37u) % 300, i));
    /* ~3 MB of requests in 64 KiB chunks: far fewer bytes than one malloc per request
     * would cost in headers, and at least what was asked for. */
    assert_true(ddf_arena_bytes(a) >= (size_t)N * 150);
    assert_true(ddf_arena_bytes(a) < (size_t)N * 150 * 2);
    ddf_arena_free(a);
}

static void test_arena_many_large_allocations_keep_their_bytes(void **state)
{
    enum { N = 200 };
    unsigned char *ptrs[N];
    size_t total = 0;
    ddf_arena *a = ddf_arena_new();

    (void)state;
    assert_non_null(a);
    for (unsigned i = 0; i < N; i++) {
        size_t size = SMALL_MAX + 1 + i * 1013u;
        ptrs[i] = ddf_arena_alloc(a, size);
        assert_non_null(ptrs[i]);
        assert_true(aligned16(ptrs[i]));
        fill(ptrs[i], size, i);
        total += size;
    }
    for (unsigned i = 0; i < N; i++)
        assert_true(holds(ptrs[i], SMALL_MAX + 1 + i * 1013u, i));
    assert_true(ddf_arena_bytes(a) >= total);
    ddf_arena_free(a);
}

static void test_arena_interleaved_small_and_large_allocations_do_not_overlap(void **state)
{
    enum { N = 2000 };
    static unsigned char *ptrs[N];
    ddf_arena *a = ddf_arena_new();

    (void)state;
    assert_non_null(a);
    for (unsigned i = 0; i < N; i++) {
        size_t size = i % 10 == 0 ? SMALL_MAX + 16 * i : 8 + i % 64;
        ptrs[i] = ddf_arena_alloc(a, size);
        assert_non_null(ptrs[i]);
        fill(ptrs[i], size, i);
    }
    for (unsigned i = 0; i < N; i++)
        assert_true(holds(ptrs[i], i % 10 == 0 ? SMALL_MAX + 16 * i : 8 + i % 64, i));
    ddf_arena_free(a);
}

static void test_arena_every_result_is_aligned_to_16(void **state)
{
    ddf_arena *a = ddf_arena_new();
    void *p;

    (void)state;
    assert_non_null(a);
    for (size_t size = 0; size <= SMALL_MAX + 64; size += size < 64 ? 1 : 61) {
        p = ddf_arena_alloc(a, size);
        assert_non_null(p);
        assert_true(aligned16(p));
        p = ddf_arena_calloc(a, 1, size);
        assert_non_null(p);
        assert_true(aligned16(p));
        p = ddf_arena_realloc(a, p, size, size + 3);
        assert_non_null(p);
        assert_true(aligned16(p));
    }
    ddf_arena_free(a);
}

static void test_arena_zero_byte_allocations_are_distinct(void **state)
{
    ddf_arena *a = ddf_arena_new();
    char *p, *q;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 0);
    q = ddf_arena_alloc(a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    ddf_arena_free(a);
}

static void test_arena_realloc_of_null_allocates(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_realloc(a, NULL, 0, 100);
    assert_non_null(p);
    fill(p, 100, 1);
    p = ddf_arena_realloc(a, NULL, 0, 3 * SMALL_MAX);
    assert_non_null(p);
    fill(p, 3 * SMALL_MAX, 2);
    assert_true(holds(p, 3 * SMALL_MAX, 2));
    ddf_arena_free(a);
}

static void test_arena_realloc_grows_the_last_small_allocation_in_place(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *q, *next;
    size_t before;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 40);
    assert_non_null(p);
    fill(p, 40, 3);
    before = ddf_arena_bytes(a);
    q = ddf_arena_realloc(a, p, 40, 1000);
    assert_ptr_equal(q, p);
    assert_int_equal(ddf_arena_bytes(a), before); /* no new chunk */
    assert_true(holds(q, 40, 3));
    fill(q, 1000, 4);
    next = ddf_arena_alloc(a, 64); /* must come after the grown block */
    assert_non_null(next);
    fill(next, 64, 5);
    assert_true(holds(q, 1000, 4));
    assert_true(holds(next, 64, 5));
    ddf_arena_free(a);
}

static void test_arena_realloc_shrinks_the_last_small_allocation_and_frees_its_tail(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *q, *next;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 1000);
    assert_non_null(p);
    fill(p, 1000, 6);
    q = ddf_arena_realloc(a, p, 1000, 10);
    assert_ptr_equal(q, p);
    assert_true(holds(q, 10, 6));
    next = ddf_arena_alloc(a, 500); /* reuses the tail, not the kept 10 bytes */
    assert_non_null(next);
    assert_true(next >= q + 10);
    assert_true(next < q + 1000);
    fill(next, 500, 7);
    assert_true(holds(q, 10, 6));
    assert_true(holds(next, 500, 7));
    ddf_arena_free(a);
}

static void test_arena_realloc_grows_a_small_allocation_that_is_not_last(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *after, *q;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 48);
    after = ddf_arena_alloc(a, 48);
    assert_non_null(p);
    assert_non_null(after);
    fill(p, 48, 8);
    fill(after, 48, 9);
    q = ddf_arena_realloc(a, p, 48, 4000);
    assert_non_null(q);
    assert_ptr_not_equal(q, p); /* growing in place would overwrite 'after' */
    assert_true(holds(q, 48, 8));
    fill(q, 4000, 10);
    assert_true(holds(after, 48, 9));
    assert_true(holds(q, 4000, 10));
    ddf_arena_free(a);
}

static void test_arena_realloc_shrinks_a_small_allocation_that_is_not_last(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *after, *q;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 300);
    after = ddf_arena_alloc(a, 300);
    assert_non_null(p);
    assert_non_null(after);
    fill(p, 300, 11);
    fill(after, 300, 12);
    q = ddf_arena_realloc(a, p, 300, 20);
    assert_non_null(q);
    assert_true(holds(q, 20, 11));
    assert_true(holds(after, 300, 12));
    ddf_arena_free(a);
}

static void test_arena_realloc_grows_the_last_small_allocation_past_its_chunk(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *filler, *p, *q;

    (void)state;
    assert_non_null(a);
    /* Fill the chunk to within 7 KiB of its end, then grow the last allocation past it. */
    for (unsigned i = 0; i < 8; i++) {
        filler = ddf_arena_alloc(a, i < 7 ? SMALL_MAX : 1024);
        assert_non_null(filler);
    }
    p = ddf_arena_alloc(a, 64);
    assert_non_null(p);
    fill(p, 64, 13);
    q = ddf_arena_realloc(a, p, 64, SMALL_MAX);
    assert_non_null(q);
    assert_true(holds(q, 64, 13));
    fill(q, SMALL_MAX, 14);
    assert_true(holds(q, SMALL_MAX, 14));
    ddf_arena_free(a);
}

static void test_arena_realloc_keeps_bytes_of_a_dedicated_block(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *big, *small1, *big2, *small2;
    size_t size = SMALL_MAX + 100, big2_size = 2 * SMALL_MAX;

    (void)state;
    assert_non_null(a);
    small1 = ddf_arena_alloc(a, 100);
    big = ddf_arena_alloc(a, size);
    big2 = ddf_arena_alloc(a, 2 * SMALL_MAX);
    small2 = ddf_arena_alloc(a, 100);
    assert_non_null(small1);
    assert_non_null(big);
    assert_non_null(big2);
    assert_non_null(small2);
    fill(small1, 100, 15);
    fill(big, size, 16);
    fill(big2, 2 * SMALL_MAX, 17);
    fill(small2, 100, 18);
    /* 'big' sits in the middle of the block list; grow it many times (it moves). */
    for (size_t next = size * 2; next <= 4u * 1024 * 1024; next *= 2) {
        big = ddf_arena_realloc(a, big, size, next);
        assert_non_null(big);
        assert_true(aligned16(big));
        assert_true(holds(big, size, 16));
        fill(big, next, 16);
        size = next;
        /* 'big2' is at the head of the list: grow it too, so both cases are relinked. */
        big2 = ddf_arena_realloc(a, big2, big2_size, big2_size + SMALL_MAX);
        assert_non_null(big2);
        big2_size += SMALL_MAX;
        assert_true(holds(big2, 2 * SMALL_MAX, 17));
    }
    assert_true(holds(small1, 100, 15));
    assert_true(holds(big, size, 16));
    assert_true(holds(small2, 100, 18));
    /* The list must still be whole: a new arena's worth of allocations and a reset work. */
    for (unsigned i = 0; i < 100; i++)
        assert_non_null(ddf_arena_alloc(a, i % 2 ? 100 : 3 * SMALL_MAX));
    ddf_arena_reset(a);
    assert_int_equal(ddf_arena_bytes(a), 0);
    ddf_arena_free(a);
}

static void test_arena_realloc_relinks_a_dedicated_block_at_the_head(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *older, *head;

    (void)state;
    assert_non_null(a);
    older = ddf_arena_alloc(a, 3 * SMALL_MAX);
    head = ddf_arena_alloc(a, 3 * SMALL_MAX);
    assert_non_null(older);
    assert_non_null(head);
    fill(older, 3 * SMALL_MAX, 19);
    fill(head, 3 * SMALL_MAX, 20);
    for (size_t size = 3 * SMALL_MAX; size < 8u * 1024 * 1024; size *= 2) {
        head = ddf_arena_realloc(a, head, size, size * 2);
        assert_non_null(head);
        assert_true(holds(head, 3 * SMALL_MAX, 20));
        older = ddf_arena_realloc(a, older, size, size * 2);
        assert_non_null(older);
        assert_true(holds(older, 3 * SMALL_MAX, 19));
    }
    ddf_arena_free(a); /* ASan: every moved block is freed exactly once */
}

static void test_arena_realloc_shrinks_a_dedicated_block_and_keeps_its_prefix(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p;
    size_t before;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 100000);
    assert_non_null(p);
    fill(p, 100000, 21);
    before = ddf_arena_bytes(a);
    p = ddf_arena_realloc(a, p, 100000, 20000);
    assert_non_null(p);
    assert_true(holds(p, 20000, 21));
    p = ddf_arena_realloc(a, p, 20000, 100); /* down to a small size */
    assert_non_null(p);
    assert_true(holds(p, 100, 21));
    assert_int_equal(ddf_arena_bytes(a), before); /* shrinking returns nothing */
    p = ddf_arena_realloc(a, p, 100, 50000); /* and up again */
    assert_non_null(p);
    assert_true(holds(p, 100, 21));
    fill(p, 50000, 22);
    assert_true(holds(p, 50000, 22));
    ddf_arena_free(a);
}

static void test_arena_realloc_moves_a_small_allocation_into_a_dedicated_block(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *q, *after;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 5000);
    assert_non_null(p);
    fill(p, 5000, 23);
    q = ddf_arena_realloc(a, p, 5000, 5 * SMALL_MAX);
    assert_non_null(q);
    assert_true(holds(q, 5000, 23));
    fill(q, 5 * SMALL_MAX, 24);
    after = ddf_arena_alloc(a, 64);
    assert_non_null(after);
    fill(after, 64, 25);
    q = ddf_arena_realloc(a, q, 5 * SMALL_MAX, 50 * SMALL_MAX); /* now dedicated: grows */
    assert_non_null(q);
    assert_true(holds(q, 5 * SMALL_MAX, 24));
    assert_true(holds(after, 64, 25));
    ddf_arena_free(a);
}

static void test_arena_calloc_zeroes_reused_memory(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p, *z;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 4000);
    assert_non_null(p);
    memset(p, 0xab, 4000);
    p = ddf_arena_realloc(a, p, 4000, 16); /* the dirty tail is handed out again */
    z = ddf_arena_calloc(a, 30, 100);
    assert_non_null(z);
    assert_true(z < p + 4000); /* it really is the dirty memory */
    for (size_t i = 0; i < 3000; i++)
        assert_int_equal(z[i], 0);
    z = ddf_arena_calloc(a, 10, SMALL_MAX); /* dedicated */
    assert_non_null(z);
    for (size_t i = 0; i < 10 * SMALL_MAX; i++)
        assert_int_equal(z[i], 0);
    z = ddf_arena_calloc(a, 0, 8);
    assert_non_null(z);
    ddf_arena_free(a);
}

static void test_arena_oversized_requests_return_null_and_keep_the_arena(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *p;

    (void)state;
    assert_non_null(a);
    p = ddf_arena_alloc(a, 100);
    assert_non_null(p);
    fill(p, 100, 26);
    ddf_test_fail_after(-1); /* count allocations */
    assert_null(ddf_arena_alloc(a, SIZE_MAX));
    assert_null(ddf_arena_alloc(a, SIZE_MAX - 8));
    assert_null(ddf_arena_calloc(a, SIZE_MAX / 2 + 1, 2));
    assert_null(ddf_arena_calloc(a, 2, SIZE_MAX / 2 + 1));
    assert_null(ddf_arena_realloc(a, p, 100, SIZE_MAX));
    assert_null(ddf_arena_realloc(a, p, 100, SIZE_MAX - 20));
    assert_int_equal(ddf_test_alloc_count(), 0); /* refused before calling malloc */
    assert_true(holds(p, 100, 26));
    assert_non_null(ddf_arena_alloc(a, 100));
    ddf_arena_free(a);
}

static void test_arena_bytes_equal_the_heap_bytes_held(void **state)
{
    ddf_arena *a;
    size_t base, last = 0;
    unsigned char *grow = NULL, *big = NULL;
    size_t grow_size = 0, big_size = SMALL_MAX * 2;

    (void)state;
    track_start();
    a = ddf_arena_new();
    assert_non_null(a);
    base = live_bytes; /* the arena struct itself */
    assert_int_equal(ddf_arena_bytes(a), 0);
    big = ddf_arena_alloc(a, big_size);
    assert_non_null(big);
    for (unsigned i = 0; i < 3000; i++) {
        switch (i % 5) {
        case 0:
            assert_non_null(ddf_arena_alloc(a, 1 + i % 700));
            break;
        case 1:
            assert_non_null(ddf_arena_alloc(a, SMALL_MAX + i));
            break;
        case 2:
            grow = ddf_arena_realloc(a, grow, grow_size, grow_size + 40);
            assert_non_null(grow);
            grow_size += 40;
            break;
        case 3:
            big = ddf_arena_realloc(a, big, big_size, big_size + 1000);
            assert_non_null(big);
            big_size += 1000;
            break;
        default:
            assert_non_null(ddf_arena_calloc(a, i % 300, 3));
            break;
        }
        assert_int_equal(ddf_arena_bytes(a), live_bytes - base);
        assert_true(ddf_arena_bytes(a) >= last); /* monotonic until reset */
        last = ddf_arena_bytes(a);
    }
    assert_true(last > 3000u * SMALL_MAX / 5);
    ddf_arena_reset(a);
    assert_int_equal(ddf_arena_bytes(a), 0);
    assert_int_equal(live_bytes, base);
    ddf_arena_free(a);
    assert_int_equal(live_bytes, 0);
}

/* ddf_arena_shrink gives a dedicated block's tail back and keeps its prefix; a small
 * allocation stays; ddf_arena_release frees a dedicated block now. Bytes stay exact. */
static void test_arena_shrink_and_release_dedicated_blocks(void **state)
{
    ddf_arena *a;
    unsigned char *big, *other, *small, *p;
    size_t base, before;

    (void)state;
    track_start();
    a = ddf_arena_new();
    assert_non_null(a);
    base = live_bytes;
    big = ddf_arena_alloc(a, 1u << 20);
    other = ddf_arena_alloc(a, SMALL_MAX * 4);
    small = ddf_arena_alloc(a, 100);
    assert_non_null(big);
    assert_non_null(other);
    assert_non_null(small);
    fill(big, 1u << 20, 1);
    fill(other, SMALL_MAX * 4, 2);
    fill(small, 100, 3);
    before = ddf_arena_bytes(a);

    p = ddf_arena_shrink(a, big, 1u << 20, 100000);
    assert_true(holds(p, 100000, 1));
    assert_int_equal(ddf_arena_bytes(a), live_bytes - base);
    assert_true(ddf_arena_bytes(a) < before - 900000);
    /* down to a small size: stays a dedicated block just over the small bound */
    p = ddf_arena_shrink(a, p, 100000, 10);
    assert_true(holds(p, 10, 1));
    assert_int_equal(ddf_arena_bytes(a), live_bytes - base);
    assert_true(ddf_arena_shrink(a, small, 100, 10) == small);
    assert_true(ddf_arena_shrink(a, NULL, 0, 0) == NULL);

    before = ddf_arena_bytes(a);
    ddf_arena_release(a, other, SMALL_MAX * 4);
    assert_true(ddf_arena_bytes(a) < before - SMALL_MAX * 4 + 1);
    assert_int_equal(ddf_arena_bytes(a), live_bytes - base);
    ddf_arena_release(a, small, 100); /* small: kept until reset */
    ddf_arena_release(a, NULL, 0);
    assert_true(holds(p, 10, 1));
    /* the list is intact: more blocks, then a reset, free everything */
    assert_non_null(ddf_arena_alloc(a, SMALL_MAX * 2));
    ddf_arena_release(a, p, 10); /* 10 bytes: taken as small, kept until reset */
    ddf_arena_reset(a);
    assert_int_equal(ddf_arena_bytes(a), 0);
    assert_int_equal(live_bytes, base);
    ddf_arena_free(a);
    assert_int_equal(live_bytes, 0);
}

static void test_arena_reset_then_reuse_starts_from_zero(void **state)
{
    ddf_arena *a;
    unsigned char *p[3];
    size_t base, first;

    (void)state;
    track_start();
    a = ddf_arena_new();
    assert_non_null(a);
    base = live_bytes;
    for (int round = 0; round < 3; round++) {
        p[0] = ddf_arena_alloc(a, 100);
        p[1] = ddf_arena_alloc(a, 3 * SMALL_MAX);
        p[2] = ddf_arena_realloc(a, p[1], 3 * SMALL_MAX, 30 * SMALL_MAX);
        assert_non_null(p[0]);
        assert_non_null(p[2]);
        fill(p[0], 100, 27);
        fill(p[2], 30 * SMALL_MAX, 28);
        assert_true(holds(p[0], 100, 27));
        assert_true(holds(p[2], 30 * SMALL_MAX, 28));
        first = ddf_arena_bytes(a);
        assert_int_equal(first, live_bytes - base);
        assert_true(first >= CHUNK + 30 * SMALL_MAX);
        ddf_arena_reset(a);
        assert_int_equal(ddf_arena_bytes(a), 0);
        assert_int_equal(live_bytes, base);
    }
    ddf_arena_free(a);
}

/* One workload touching every allocating path. Returns 0 when it ran to the end, -1 when
 * an allocation failed; then the arena and every earlier allocation are still whole. */
static int workload(ddf_arena *a)
{
    unsigned char *small = NULL, *big = NULL, *p;
    size_t small_size = 0, big_size = 0, next;

    for (unsigned i = 0; i < 40; i++) {
        p = ddf_arena_alloc(a, 100 + i);
        if (p == NULL)
            return -1;
        p = ddf_arena_calloc(a, 3, SMALL_MAX + i);
        if (p == NULL)
            return -1;
        /* a small buffer grown step by step, from the chunk into a dedicated block */
        p = ddf_arena_realloc(a, small, small_size, small_size + 700);
        if (p == NULL) {
            assert_true(small == NULL || holds(small, small_size, 29));
            return -1;
        }
        small = p;
        small_size += 700;
        fill(small, small_size, 29);
        /* a dedicated block grown by doubling, then dropped for a fresh one */
        next = big_size ? big_size * 2 : 2 * SMALL_MAX;
        p = ddf_arena_realloc(a, big, big_size, next);
        if (p == NULL) {
            assert_true(big == NULL || holds(big, big_size, 30));
            return -1;
        }
        big = p;
        big_size = next;
        fill(big, big_size, 30);
        if (big_size >= 1024u * 1024) {
            big = NULL;
            big_size = 0;
        }
    }
    return 0;
}

static void test_arena_allocation_failure_leaves_a_valid_freeable_arena(void **state)
{
    ddf_arena *a;
    size_t base;
    long n;
    int rc = -1;

    (void)state;
    for (n = 0; rc != 0; n++) {
        assert_true(n < 10000);
        ddf_test_fail_after(n);
        track_start(); /* tracks on top of the failing allocator */
        a = ddf_arena_new();
        if (a == NULL) {
            assert_int_equal(n, 0);
            assert_int_equal(live_bytes, 0);
            continue;
        }
        base = live_bytes;
        rc = workload(a);
        assert_int_equal(ddf_test_alloc_failed(), rc != 0);
        assert_int_equal(ddf_arena_bytes(a), live_bytes - base);
        /* Still usable once memory is back. */
        ddf_test_fail_after(-1);
        track_start();
        assert_non_null(ddf_arena_alloc(a, 10));
        assert_non_null(ddf_arena_alloc(a, 10 * SMALL_MAX));
        ddf_arena_free(a); /* ASan's leak check: nothing left behind */
    }
    assert_true(n > 40); /* the workload really allocates many times */
}

/* rewind keeps the blocks: the same sizes again reuse them (no new bytes), the contents
 * are the new ones, and free releases the kept blocks too (ASan checks). */
static void test_arena_rewind_reuses_its_blocks(void **state)
{
    ddf_arena *a = ddf_arena_new();
    unsigned char *big1, *big2, *small;
    size_t held;

    (void)state;
    for (int round = 0; round < 4; round++) {
        big1 = ddf_arena_alloc(a, 65536);
        big2 = ddf_arena_alloc(a, 8 * 8192);
        small = ddf_arena_alloc(a, 100);
        assert_non_null(big1);
        assert_non_null(big2);
        assert_non_null(small);
        fill(big1, 65536, 1);
        fill(big2, 8 * 8192, 2);
        fill(small, 100, 3);
        assert_true(holds(big1, 65536, 1) && holds(big2, 8 * 8192, 2) && holds(small, 100, 3));
        if (round == 0)
            held = ddf_arena_bytes(a);
        else
            assert_int_equal(ddf_arena_bytes(a), held);
        ddf_arena_rewind(a);
        assert_int_equal(ddf_arena_bytes(a), held);
    }
    /* a larger request than any kept block still gets one */
    big1 = ddf_arena_alloc(a, 200000);
    assert_non_null(big1);
    fill(big1, 200000, 4);
    assert_true(ddf_arena_bytes(a) > held);
    ddf_arena_rewind(NULL);
    ddf_arena_reset(a);
    assert_int_equal(ddf_arena_bytes(a), 0);
    ddf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_rewind_reuses_its_blocks),
        cmocka_unit_test(test_arena_new_arena_holds_no_bytes_and_free_of_null_is_a_no_op),
        cmocka_unit_test_teardown(test_arena_shrink_and_release_dedicated_blocks, restore_libc),
        cmocka_unit_test(test_arena_many_small_allocations_keep_their_bytes),
        cmocka_unit_test(test_arena_many_large_allocations_keep_their_bytes),
        cmocka_unit_test(test_arena_interleaved_small_and_large_allocations_do_not_overlap),
        cmocka_unit_test(test_arena_every_result_is_aligned_to_16),
        cmocka_unit_test(test_arena_zero_byte_allocations_are_distinct),
        cmocka_unit_test(test_arena_realloc_of_null_allocates),
        cmocka_unit_test(test_arena_realloc_grows_the_last_small_allocation_in_place),
        cmocka_unit_test(test_arena_realloc_shrinks_the_last_small_allocation_and_frees_its_tail),
        cmocka_unit_test(test_arena_realloc_grows_a_small_allocation_that_is_not_last),
        cmocka_unit_test(test_arena_realloc_shrinks_a_small_allocation_that_is_not_last),
        cmocka_unit_test(test_arena_realloc_grows_the_last_small_allocation_past_its_chunk),
        cmocka_unit_test(test_arena_realloc_keeps_bytes_of_a_dedicated_block),
        cmocka_unit_test(test_arena_realloc_relinks_a_dedicated_block_at_the_head),
        cmocka_unit_test(test_arena_realloc_shrinks_a_dedicated_block_and_keeps_its_prefix),
        cmocka_unit_test(test_arena_realloc_moves_a_small_allocation_into_a_dedicated_block),
        cmocka_unit_test(test_arena_calloc_zeroes_reused_memory),
        cmocka_unit_test_teardown(test_arena_oversized_requests_return_null_and_keep_the_arena,
                                  restore_libc),
        cmocka_unit_test_teardown(test_arena_bytes_equal_the_heap_bytes_held, restore_libc),
        cmocka_unit_test_teardown(test_arena_reset_then_reuse_starts_from_zero, restore_libc),
        cmocka_unit_test_teardown(test_arena_allocation_failure_leaves_a_valid_freeable_arena,
                                  restore_libc),
    };

    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
