/* test_sort.c - the context-carrying stable merge sort (common/sort.c): random arrays of
 * every length up to a few hundred and some large ones agree with qsort, equal keys keep
 * their order, the context reaches the comparison, and allocation failure leaves the
 * array unchanged. */
#include "testutil.h"

#include "alloc.h"
#include "error.h"
#include "sort.h"

#include <stdlib.h>
#include <string.h>

typedef struct item {
    int key;
    int seq; /* original position: checks stability */
} item;

static int cmp_items(const void *a, const void *b, void *ctx)
{
    const item *x = a, *y = b;
    int *calls = ctx;

    (*calls)++;
    return (x->key > y->key) - (x->key < y->key);
}

static int cmp_plain(const void *a, const void *b)
{
    const item *x = a, *y = b;

    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void check(size_t n, int range, unsigned *seed)
{
    item *v = malloc((n ? n : 1) * sizeof *v), *w = malloc((n ? n : 1) * sizeof *w);
    int calls = 0;

    assert_non_null(v);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++) {
        v[i].key = (int)(rand_r(seed) % (unsigned)range) - range / 2;
        v[i].seq = (int)i;
    }
    memcpy(w, v, n * sizeof *v);
    assert_int_equal(ddf_sort(v, n, sizeof *v, cmp_items, &calls), DDF_OK);
    qsort(w, n, sizeof *w, cmp_plain); /* by key, then original position = stable */
    assert_memory_equal(v, w, n * sizeof *v);
    if (n > 1)
        assert_true(calls > 0);
    free(v);
    free(w);
}

static void test_sort_agrees_with_a_stable_reference(void **state)
{
    unsigned seed = 99;

    (void)state;
    for (size_t n = 0; n <= 300; n++)
        check(n, n % 3 ? 5 : 1000, &seed);
    check(100000, 50, &seed);
    check(100001, 1 << 30, &seed);
}

static void test_sort_fails_cleanly_without_memory(void **state)
{
    item v[40];
    int calls = 0;

    (void)state;
    for (int i = 0; i < 40; i++)
        v[i] = (item){40 - i, i};
    ddf_test_fail_after(0);
    assert_int_equal(ddf_sort(v, 40, sizeof *v, cmp_items, &calls), DDF_ENOMEM);
    ddf_test_fail_after(-1);
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i].key, 40 - i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_agrees_with_a_stable_reference),
        cmocka_unit_test(test_sort_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
