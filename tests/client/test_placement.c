/* test_placement.c - rendezvous placement (client/placement.c): deterministic, balanced,
 * and moving only what a join or a leave must move. */
#include "testutil.h"

#include "placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPARTS 6000
#define MAXW 8

/* Worker ids as endpoint URLs, and the array of them ddf_place takes. */
typedef struct fleet {
    char ids[MAXW][64];
    const char *workers[MAXW];
} fleet;

static void setup_ids(fleet *f)
{
    for (int w = 0; w < MAXW; w++) {
        snprintf(f->ids[w], sizeof f->ids[w], "http://10.0.0.%d:7070/RPC2", w + 1);
        f->workers[w] = f->ids[w];
    }
}

static void make_keys(uint64_t *keys, size_t n)
{
    for (size_t p = 0; p < n; p++) /* 64 MiB partitions of a few files */
        keys[p] = ddf_place_part_key(p % 3 ? "/data/sales.csv" : "/data/other.csv",
                                     (uint64_t)p * 67108864u, 67108864u);
}

static void test_placement_is_deterministic_and_keys_differ(void **state)
{
    uint64_t keys[NPARTS];
    size_t a[NPARTS], b[NPARTS];

    fleet f;
    const char *const *workers = f.workers;

    (void)state;
    setup_ids(&f);
    make_keys(keys, NPARTS);
    assert_int_not_equal(ddf_place_part_key("/a.csv", 0, 10), ddf_place_part_key("/a.csv", 10, 10));
    assert_int_not_equal(ddf_place_part_key("/a.csv", 0, 10), ddf_place_part_key("/b.csv", 0, 10));
    assert_int_not_equal(ddf_place_part_key("/a.csv", 0, 10), ddf_place_part_key("/a.csv", 0, 11));
    ddf_place(workers, 4, NULL, keys, NPARTS, a);
    ddf_place(workers, 4, NULL, keys, NPARTS, b);
    assert_memory_equal(a, b, sizeof a);
    /* the order workers are listed in does not matter */
    const char *rev[4] = {workers[3], workers[2], workers[1], workers[0]};
    ddf_place(rev, 4, NULL, keys, NPARTS, b);
    for (size_t p = 0; p < NPARTS; p++)
        assert_int_equal(a[p], 3 - b[p]);
}

static void test_placement_is_balanced(void **state)
{
    uint64_t keys[NPARTS];
    size_t owner[NPARTS];

    fleet f;
    const char *const *workers = f.workers;

    (void)state;
    setup_ids(&f);
    make_keys(keys, NPARTS);
    for (size_t n = 1; n <= MAXW; n++) {
        size_t count[MAXW] = {0};

        ddf_place(workers, n, NULL, keys, NPARTS, owner);
        for (size_t p = 0; p < NPARTS; p++) {
            assert_true(owner[p] < n);
            count[owner[p]]++;
        }
        for (size_t w = 0; w < n; w++) /* within 15% of a fair share */
            assert_true(count[w] * 100 >= NPARTS * 85 / n && count[w] * 100 <= NPARTS * 115 / n);
    }
}

static void test_a_join_moves_only_what_the_new_worker_wins(void **state)
{
    uint64_t keys[NPARTS];
    size_t before[NPARTS], after[NPARTS], moved = 0;

    fleet f;
    const char *const *workers = f.workers;

    (void)state;
    setup_ids(&f);
    make_keys(keys, NPARTS);
    ddf_place(workers, 3, NULL, keys, NPARTS, before);
    ddf_place(workers, 4, NULL, keys, NPARTS, after);
    for (size_t p = 0; p < NPARTS; p++) {
        if (before[p] != after[p]) {
            assert_int_equal(after[p], 3); /* only to the newcomer */
            moved++;
        }
    }
    /* about a quarter moves */
    assert_true(moved * 100 >= NPARTS * 20 && moved * 100 <= NPARTS * 30);
}

static void test_a_leave_moves_only_the_leavers_partitions(void **state)
{
    uint64_t keys[NPARTS];
    size_t before[NPARTS], after[NPARTS];
    bool alive[4] = {true, false, true, true};

    fleet f;
    const char *const *workers = f.workers;

    (void)state;
    setup_ids(&f);
    make_keys(keys, NPARTS);
    ddf_place(workers, 4, NULL, keys, NPARTS, before);
    ddf_place(workers, 4, alive, keys, NPARTS, after);
    for (size_t p = 0; p < NPARTS; p++) {
        assert_int_not_equal(after[p], 1);
        if (before[p] != 1)
            assert_int_equal(after[p], before[p]);
    }
}

static void test_no_live_worker_is_none(void **state)
{
    uint64_t key = ddf_place_part_key("/x.csv", 0, 1);
    bool alive[2] = {false, false};
    size_t owner = 0;

    fleet f;
    const char *const *workers = f.workers;

    (void)state;
    setup_ids(&f);
    ddf_place(workers, 2, alive, &key, 1, &owner);
    assert_int_equal(owner, DDF_PLACE_NONE);
    ddf_place(workers, 0, NULL, &key, 1, &owner);
    assert_int_equal(owner, DDF_PLACE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement_is_deterministic_and_keys_differ),
        cmocka_unit_test(test_placement_is_balanced),
        cmocka_unit_test(test_a_join_moves_only_what_the_new_worker_wins),
        cmocka_unit_test(test_a_leave_moves_only_the_leavers_partitions),
        cmocka_unit_test(test_no_live_worker_is_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
