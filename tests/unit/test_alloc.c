/* test_alloc.c - the replaceable allocator and its overflow checks (common/alloc.c). */
#include "testutil.h"

#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every test starts and ends with libc's allocator. */
static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

static void test_alloc_calloc_overflow_returns_null_without_allocating(void **state)
{
    (void)state;
    ddf_test_fail_after(-1); /* count calls, fail none */
    assert_null(ddf_calloc(SIZE_MAX / 2 + 1, 2));
    assert_null(ddf_calloc(2, SIZE_MAX / 2 + 1));
    assert_null(ddf_calloc(SIZE_MAX, SIZE_MAX));
    assert_int_equal(ddf_test_alloc_count(), 0);
}

static void test_alloc_mallocarray_overflow_returns_null_without_allocating(void **state)
{
    (void)state;
    ddf_test_fail_after(-1);
    assert_null(ddf_mallocarray(SIZE_MAX / 8 + 1, 8));
    assert_null(ddf_mallocarray(3, SIZE_MAX / 2));
    assert_int_equal(ddf_test_alloc_count(), 0);
}

static void test_alloc_reallocarray_overflow_returns_null_and_keeps_the_block(void **state)
{
    char *p;

    (void)state;
    p = ddf_malloc(4);
    assert_non_null(p);
    memcpy(p, "abc", 4);
    ddf_test_fail_after(-1);
    assert_null(ddf_reallocarray(p, SIZE_MAX / 4 + 1, 4));
    assert_int_equal(ddf_test_alloc_count(), 0);
    assert_string_equal(p, "abc"); /* still ours, still intact */
    ddf_free(p);
}

static void test_alloc_array_sizes_at_the_limit_are_not_rejected_as_overflow(void **state)
{
    int64_t *a;

    (void)state;
    a = ddf_mallocarray(1000, sizeof(*a));
    assert_non_null(a);
    a[999] = 7;
    a = ddf_reallocarray(a, 2000, sizeof(*a));
    assert_non_null(a);
    assert_int_equal(a[999], 7);
    ddf_free(a);
}

static void test_alloc_calloc_zeroes_and_zero_sizes_give_a_pointer(void **state)
{
    unsigned char *p;
    void *q, *r, *s;

    (void)state;
    p = ddf_calloc(100, 3);
    assert_non_null(p);
    for (size_t i = 0; i < 300; i++)
        assert_int_equal(p[i], 0);
    q = ddf_calloc(0, 8);
    r = ddf_malloc(0);
    s = ddf_mallocarray(0, 8);
    assert_non_null(q);
    assert_non_null(r);
    assert_non_null(s);
    ddf_free(p);
    ddf_free(q);
    ddf_free(r);
    ddf_free(s);
}

static void test_alloc_free_of_null_is_a_no_op(void **state)
{
    (void)state;
    ddf_test_fail_after(-1);
    ddf_free(NULL);
    assert_int_equal(ddf_test_alloc_count(), 0);
}

static void test_alloc_strndup_copies_len_bytes_and_terminates(void **state)
{
    char *s;

    (void)state;
    s = ddf_strndup("abcdef", 3);
    assert_non_null(s);
    assert_string_equal(s, "abc");
    ddf_free(s);
    s = ddf_strndup("xyz", 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    ddf_free(s);
    s = ddf_strndup("a\0b", 3); /* bytes, not a C string: all three are copied */
    assert_non_null(s);
    assert_memory_equal(s, "a\0b\0", 4);
    ddf_free(s);
}

static void test_alloc_strndup_of_size_max_returns_null_without_allocating(void **state)
{
    (void)state;
    ddf_test_fail_after(-1);
    /* len + 1 wraps to 0: must not allocate a 1-byte buffer and copy SIZE_MAX bytes. */
    assert_null(ddf_strndup("abc", SIZE_MAX));
    assert_int_equal(ddf_test_alloc_count(), 0);
}

static void test_alloc_strdup_copies_the_whole_string(void **state)
{
    char *s;

    (void)state;
    s = ddf_strdup("hello, world");
    assert_non_null(s);
    assert_string_equal(s, "hello, world");
    ddf_free(s);
}

static void test_alloc_strndup_returns_null_when_malloc_fails(void **state)
{
    (void)state;
    ddf_test_fail_after(0);
    assert_null(ddf_strndup("abc", 3));
    assert_true(ddf_test_alloc_failed());
    assert_null(ddf_strdup("abc"));
}

static void test_alloc_every_entry_point_goes_through_the_table(void **state)
{
    void *p;

    (void)state;
    ddf_test_fail_after(0); /* every call through the table fails */
    assert_null(ddf_malloc(8));
    assert_null(ddf_calloc(1, 8));
    assert_null(ddf_mallocarray(2, 8));
    assert_null(ddf_realloc(NULL, 8));
    assert_null(ddf_reallocarray(NULL, 2, 8));
    assert_int_equal(ddf_test_alloc_count(), 5);
    ddf_test_fail_after(-1);
    p = ddf_malloc(8);
    assert_non_null(p);
    assert_int_equal(ddf_test_alloc_count(), 1);
    ddf_free(p);
}

static void test_alloc_set_returns_the_previous_table_and_null_restores_libc(void **state)
{
    ddf_alloc_fns prev;
    void *p;

    (void)state;
    prev = ddf_alloc_set(NULL);
    ddf_test_fail_after(0); /* installs the failing table */
    prev = ddf_alloc_set(NULL);
    assert_ptr_not_equal((void *)prev.malloc_fn, (void *)malloc);
    p = ddf_malloc(8); /* libc again: succeeds and is not counted */
    assert_non_null(p);
    ddf_free(p);
    prev = ddf_alloc_set(NULL);
    assert_ptr_equal((void *)prev.malloc_fn, (void *)malloc);
    assert_ptr_equal((void *)prev.free_fn, (void *)free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_alloc_calloc_overflow_returns_null_without_allocating,
                                  restore_libc),
        cmocka_unit_test_teardown(
            test_alloc_mallocarray_overflow_returns_null_without_allocating, restore_libc),
        cmocka_unit_test_teardown(
            test_alloc_reallocarray_overflow_returns_null_and_keeps_the_block, restore_libc),
        cmocka_unit_test_teardown(
            test_alloc_array_sizes_at_the_limit_are_not_rejected_as_overflow, restore_libc),
        cmocka_unit_test_teardown(test_alloc_calloc_zeroes_and_zero_sizes_give_a_pointer,
                                  restore_libc),
        cmocka_unit_test_teardown(test_alloc_free_of_null_is_a_no_op, restore_libc),
        cmocka_unit_test_teardown(test_alloc_strndup_copies_len_bytes_and_terminates,
                                  restore_libc),
        cmocka_unit_test_teardown(test_alloc_strndup_of_size_max_returns_null_without_allocating,
                                  restore_libc),
        cmocka_unit_test_teardown(test_alloc_strdup_copies_the_whole_string, restore_libc),
        cmocka_unit_test_teardown(test_alloc_strndup_returns_null_when_malloc_fails,
                                  restore_libc),
        cmocka_unit_test_teardown(test_alloc_every_entry_point_goes_through_the_table,
                                  restore_libc),
        cmocka_unit_test_teardown(
            test_alloc_set_returns_the_previous_table_and_null_restores_libc, restore_libc),
    };

    return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
