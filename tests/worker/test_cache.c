/* test_cache.c - the partition cache: hits and misses, LRU order, eviction under a byte
 * budget, tables that outlive their eviction, oversize entries, racing inserts, and many
 * threads at once, and tables of one byte range cut to different column sets. */
#include "cache.h"

#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A table of one int64 column "v" holding 'rows' copies of 'value'. */
static ddf_table *make_table(int64_t value, size_t rows)
{
    ddf_table *t = ddf_table_new(1);

    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "v", 1, DDF_DTYPE_INT64), DDF_OK);
    for (size_t i = 0; i < rows; i++)
        assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, value), DDF_OK);
    t->nrows = rows;
    return t;
}

static ddf_cache_key key_of(const char *path, uint64_t offset)
{
    ddf_cache_key k = {.path = path, .size = 1000, .mtime_ns = 42, .offset = offset,
                       .length = 100, .opts_hash = 7};
    return k;
}

/* Bytes one make_table(_, 10) costs, so budgets can be set in entries. */
static size_t unit_bytes(void)
{
    ddf_table *t = make_table(0, 10);
    size_t b = ddf_table_bytes(t);

    ddf_table_free(t);
    return b;
}

static void insert(ddf_cache *c, const char *path, uint64_t offset)
{
    ddf_cache_key k = key_of(path, offset);
    ddf_cache_entry *e;
    ddf_error err;

    assert_int_equal(ddf_cache_insert(c, &k, make_table((int64_t)offset, 10), &e, &err), DDF_OK);
    assert_int_equal(ddf_cache_entry_table(e)->columns[0].values.i64[0], (int64_t)offset);
    ddf_cache_release(c, e);
}

static bool has(ddf_cache *c, const char *path, uint64_t offset)
{
    ddf_cache_key k = key_of(path, offset);
    ddf_cache_entry *e = ddf_cache_lookup(c, &k);

    if (e)
        assert_int_equal(ddf_cache_entry_table(e)->columns[0].values.i64[0], (int64_t)offset);
    ddf_cache_release(c, e);
    return e != NULL;
}

static void test_cache_counts_a_miss_then_a_hit(void **state)
{
    ddf_cache *c;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
    assert_false(has(c, "/data/a.csv", 0));
    insert(c, "/data/a.csv", 0);
    assert_true(has(c, "/data/a.csv", 0));
    assert_true(has(c, "/data/a.csv", 0));
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.bytes, unit_bytes());
    assert_int_equal(st.evictions, 0);
    assert_int_equal(ddf_cache_get_budget(c), 10 * unit_bytes());
    ddf_cache_free(c);
}

static void test_cache_key_distinguishes_every_field(void **state)
{
    ddf_cache *c;
    ddf_error err;
    ddf_cache_key k = key_of("/data/a.csv", 0), other;
    ddf_cache_entry *e;

    (void)state;
    assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
    insert(c, "/data/a.csv", 0);
    other = k, other.path = "/data/b.csv";
    assert_null(ddf_cache_lookup(c, &other));
    other = k, other.size = 1001;
    assert_null(ddf_cache_lookup(c, &other));
    other = k, other.mtime_ns = 43;
    assert_null(ddf_cache_lookup(c, &other));
    other = k, other.length = 99;
    assert_null(ddf_cache_lookup(c, &other));
    other = k, other.opts_hash = 8;
    assert_null(ddf_cache_lookup(c, &other));
    e = ddf_cache_lookup(c, &k);
    assert_non_null(e);
    ddf_cache_release(c, e);
    ddf_cache_free(c);
}

static void test_cache_evicts_least_recently_used_first(void **state)
{
    ddf_cache *c;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(3 * unit_bytes(), &c, &err), DDF_OK);
    insert(c, "/d/f", 0);
    insert(c, "/d/f", 100);
    insert(c, "/d/f", 200);
    assert_true(has(c, "/d/f", 0)); /* 0 is now the most recent; 100 the least */
    insert(c, "/d/f", 300);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.bytes, 3 * unit_bytes());
    assert_false(has(c, "/d/f", 100));
    assert_true(has(c, "/d/f", 200));
    assert_true(has(c, "/d/f", 0));
    assert_true(has(c, "/d/f", 300));
    /* Order now, oldest first: 200, 0, 300. */
    insert(c, "/d/f", 400);
    insert(c, "/d/f", 500);
    assert_false(has(c, "/d/f", 200));
    assert_false(has(c, "/d/f", 0));
    assert_true(has(c, "/d/f", 300));
    ddf_cache_clear(c);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    ddf_cache_free(c);
}

static void test_cache_table_survives_eviction_while_referenced(void **state)
{
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/f", 0);
    ddf_cache_entry *held;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(2 * unit_bytes(), &c, &err), DDF_OK);
    insert(c, "/d/f", 0);
    held = ddf_cache_lookup(c, &k);
    assert_non_null(held);
    insert(c, "/d/f", 100);
    insert(c, "/d/f", 200); /* evicts 0, which 'held' still reads */
    assert_false(has(c, "/d/f", 0));
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.bytes, 2 * unit_bytes()); /* evicted tables no longer count */
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(ddf_cache_entry_table(held)->columns[0].values.i64[i], 0);
    ddf_cache_release(c, held); /* frees it: ASan would see a leak or a double free */
    ddf_cache_free(c);
}

static void test_cache_returns_but_does_not_keep_an_oversize_table(void **state)
{
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/big", 0);
    ddf_cache_entry *e;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(2 * unit_bytes(), &c, &err), DDF_OK);
    insert(c, "/d/f", 0);
    assert_int_equal(ddf_cache_insert(c, &k, make_table(9, 100000), &e, &err), DDF_OK);
    assert_int_equal(ddf_cache_entry_table(e)->nrows, 100000);
    ddf_cache_release(c, e);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.oversize, 1);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.evictions, 0); /* nothing was evicted for it */
    assert_true(has(c, "/d/f", 0));
    assert_false(has(c, "/d/big", 0));
    ddf_cache_free(c);
}

static void test_cache_second_insert_of_a_key_shares_the_first(void **state)
{
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/f", 0);
    ddf_cache_entry *a, *b;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(4 * unit_bytes(), &c, &err), DDF_OK);
    assert_int_equal(ddf_cache_insert(c, &k, make_table(1, 10), &a, &err), DDF_OK);
    assert_int_equal(ddf_cache_insert(c, &k, make_table(2, 10), &b, &err), DDF_OK);
    assert_ptr_equal(a, b);
    assert_int_equal(ddf_cache_entry_table(b)->columns[0].values.i64[0], 1);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 1);
    ddf_cache_release(c, a);
    ddf_cache_release(c, b);
    ddf_cache_free(c);
}

static void test_cache_grows_its_buckets_past_many_entries(void **state)
{
    ddf_cache *c;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(1000 * unit_bytes(), &c, &err), DDF_OK);
    for (uint64_t i = 0; i < 500; i++)
        insert(c, "/d/many", i * 100);
    for (uint64_t i = 0; i < 500; i++)
        assert_true(has(c, "/d/many", i * 100));
    ddf_cache_free(c);
}

typedef struct racer {
    ddf_cache *cache;
    unsigned seed;
} racer;

static void *race_main(void *p)
{
    racer *r = p;

    for (int i = 0; i < 3000; i++) {
        uint64_t off = (uint64_t)(rand_r(&r->seed) % 16) * 100;
        ddf_cache_key k = key_of("/d/race", off);
        ddf_cache_entry *e = ddf_cache_lookup(r->cache, &k);
        ddf_error err;

        if (e == NULL && ddf_cache_insert(r->cache, &k, make_table((int64_t)off, 10), &e,
                                          &err) != DDF_OK)
            return (void *)1;
        const ddf_table *t = ddf_cache_entry_table(e);
        for (size_t j = 0; j < t->nrows; j++)
            if (t->columns[0].values.i64[j] != (int64_t)off)
                return (void *)1;
        ddf_cache_release(r->cache, e);
    }
    return NULL;
}

static void test_cache_serves_four_threads_at_once(void **state)
{
    enum { T = 4 };
    pthread_t th[T];
    racer r[T];
    ddf_cache *c;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(5 * unit_bytes(), &c, &err), DDF_OK);
    for (int i = 0; i < T; i++) {
        r[i].cache = c;
        r[i].seed = (unsigned)i + 1;
        assert_int_equal(pthread_create(&th[i], NULL, race_main, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.hits + st.misses, T * 3000);
    assert_true(st.entries <= 5);
    assert_true(st.bytes <= 5 * unit_bytes());
    assert_true(st.evictions > 0);
    ddf_cache_free(c);
}

typedef struct waiter {
    ddf_cache *cache;
    uint64_t offset;
    ddf_cache_entry *got;
    bool load;
    int rc;
} waiter;

static void *waiter_main(void *p)
{
    waiter *w = p;
    ddf_cache_key k = key_of("/d/w", w->offset);
    ddf_error err;

    w->rc = ddf_cache_acquire(w->cache, &k, &w->got, &w->load, &err);
    return NULL;
}

/* Wait (bounded: 2000 x 1 ms) until 'n' acquires are waiting. */
static void wait_for_waiters(ddf_cache *c, uint64_t n)
{
    ddf_cache_stats st;

    for (int i = 0; i < 2000; i++) {
        ddf_cache_get_stats(c, &st);
        if (st.waits >= n)
            return;
        usleep(1000);
    }
    fail_msg("only %llu of %llu acquires waited", (unsigned long long)st.waits,
             (unsigned long long)n);
}

static void test_cache_acquire_loads_once_and_waiters_share_the_table(void **state)
{
    enum { W = 3 };
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/w", 0);
    ddf_cache_entry *mine;
    ddf_cache_stats st;
    pthread_t th[W];
    waiter w[W];
    ddf_error err;
    bool load;

    (void)state;
    assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
    assert_int_equal(ddf_cache_acquire(c, &k, &mine, &load, &err), DDF_OK);
    assert_true(load);
    assert_null(ddf_cache_lookup(c, &k)); /* loading is not there yet for lookup */
    for (int i = 0; i < W; i++) {
        w[i] = (waiter){.cache = c, .offset = 0};
        assert_int_equal(pthread_create(&th[i], NULL, waiter_main, &w[i]), 0);
    }
    wait_for_waiters(c, W);
    ddf_cache_fill(c, mine, make_table(0, 10));
    for (int i = 0; i < W; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, DDF_OK);
        assert_false(w[i].load);
        assert_ptr_equal(w[i].got, mine);
        ddf_cache_release(c, w[i].got);
    }
    ddf_cache_release(c, mine);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.misses, 2); /* the acquire and the lookup */
    assert_int_equal(st.hits, W);
    assert_int_equal(st.waits, W);
    assert_int_equal(st.entries, 1);
    assert_true(has(c, "/d/w", 0));
    ddf_cache_free(c);
}

static void test_cache_abandoned_load_passes_to_a_waiter(void **state)
{
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/w", 100);
    ddf_cache_entry *mine;
    pthread_t th;
    waiter w = {0};
    ddf_error err;
    bool load;

    (void)state;
    assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
    assert_int_equal(ddf_cache_acquire(c, &k, &mine, &load, &err), DDF_OK);
    assert_true(load);
    w = (waiter){.cache = c, .offset = 100};
    assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
    wait_for_waiters(c, 1);
    ddf_cache_abandon(c, mine);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, DDF_OK);
    assert_true(w.load); /* the waiter loads it now */
    ddf_cache_fill(c, w.got, make_table(100, 10));
    ddf_cache_release(c, w.got);
    assert_true(has(c, "/d/w", 100));
    ddf_cache_free(c);
}

static void test_cache_fill_over_the_budget_is_shared_but_not_kept(void **state)
{
    ddf_cache *c;
    ddf_cache_key k = key_of("/d/w", 0);
    ddf_cache_entry *mine, *again;
    ddf_cache_stats st;
    ddf_error err;
    bool load;

    (void)state;
    assert_int_equal(ddf_cache_new(unit_bytes(), &c, &err), DDF_OK);
    assert_int_equal(ddf_cache_acquire(c, &k, &mine, &load, &err), DDF_OK);
    ddf_cache_fill(c, mine, make_table(0, 100000));
    assert_int_equal(ddf_cache_entry_table(mine)->nrows, 100000);
    assert_int_equal(ddf_cache_acquire(c, &k, &again, &load, &err), DDF_OK);
    assert_true(load); /* not kept: the next one loads again */
    ddf_cache_abandon(c, again);
    ddf_cache_release(c, mine);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.oversize, 1);
    assert_int_equal(st.entries, 0);
    ddf_cache_free(c);
}

static void *acquire_main(void *p)
{
    racer *r = p;

    for (int i = 0; i < 3000; i++) {
        uint64_t off = (uint64_t)(rand_r(&r->seed) % 16) * 100;
        ddf_cache_key k = key_of("/d/acq", off);
        ddf_cache_entry *e;
        ddf_error err;
        bool load;

        if (ddf_cache_acquire(r->cache, &k, &e, &load, &err) != DDF_OK)
            return (void *)1;
        if (load)
            ddf_cache_fill(r->cache, e, make_table((int64_t)off, 10));
        const ddf_table *t = ddf_cache_entry_table(e);
        for (size_t j = 0; j < t->nrows; j++)
            if (t->columns[0].values.i64[j] != (int64_t)off)
                return (void *)1;
        ddf_cache_release(r->cache, e);
    }
    return NULL;
}

static void test_cache_acquire_from_four_threads_parses_each_key_once(void **state)
{
    enum { T = 4 };
    pthread_t th[T];
    racer r[T];
    ddf_cache *c;
    ddf_cache_stats st;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_cache_new(100 * unit_bytes(), &c, &err), DDF_OK);
    for (int i = 0; i < T; i++) {
        r[i].cache = c;
        r[i].seed = (unsigned)i + 7;
        assert_int_equal(pthread_create(&th[i], NULL, acquire_main, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.misses, 16); /* never two loads of one key */
    assert_int_equal(st.hits + st.misses, T * 3000);
    ddf_cache_free(c);

    /* Under a budget of five entries: evictions, and still correct. */
    assert_int_equal(ddf_cache_new(5 * unit_bytes(), &c, &err), DDF_OK);
    for (int i = 0; i < T; i++) {
        r[i].cache = c;
        assert_int_equal(pthread_create(&th[i], NULL, acquire_main, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    ddf_cache_get_stats(c, &st);
    assert_true(st.evictions > 0);
    assert_true(st.entries <= 5);
    ddf_cache_free(c);
}

static void test_cache_acquire_fails_cleanly_without_memory(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        ddf_cache *c;
        ddf_cache_key k = key_of("/d/f", 0);
        ddf_cache_entry *e;
        ddf_error err;
        bool load;
        int rc;

        assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
        ddf_test_fail_after(n);
        rc = ddf_cache_acquire(c, &k, &e, &load, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_true(load);
            ddf_cache_fill(c, e, make_table(0, 10));
            ddf_cache_release(c, e);
            assert_true(has(c, "/d/f", 0));
            ddf_cache_free(c);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(e);
        ddf_cache_free(c);
    }
}

static void test_cache_fails_cleanly_without_memory(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        ddf_cache *c;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_cache_new(100, &c, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            ddf_cache_free(c);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(c);
    }
    for (long n = 0;; n++) {
        ddf_cache *c;
        ddf_cache_key k = key_of("/d/f", 0);
        ddf_cache_entry *e;
        ddf_table *t;
        ddf_error err;
        int rc;

        assert_int_equal(ddf_cache_new(10 * unit_bytes(), &c, &err), DDF_OK);
        t = make_table(0, 10);
        ddf_test_fail_after(n);
        rc = ddf_cache_insert(c, &k, t, &e, &err); /* takes 't' either way */
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_true(has(c, "/d/f", 0));
            ddf_cache_release(c, e);
            ddf_cache_free(c);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(e);
        assert_false(has(c, "/d/f", 0));
        ddf_cache_free(c);
    }
}

/* A table of 'rows' rows with int64 columns named by the characters of 'cols' ("ab": a, b),
 * column k holding k + 1 in every row. */
static ddf_table *cols_table(const char *cols, size_t rows)
{
    size_t n = strlen(cols);
    ddf_table *t = ddf_table_new(n);

    assert_non_null(t);
    for (size_t c = 0; c < n; c++) {
        assert_int_equal(ddf_table_set_column(t, c, cols + c, 1, DDF_DTYPE_INT64), DDF_OK);
        for (size_t i = 0; i < rows; i++)
            assert_int_equal(ddf_column_append_i64(&t->columns[c], t->arena, (int64_t)c + 1),
                             DDF_OK);
    }
    t->nrows = rows;
    return t;
}

/* The key of range 0 of /d/s.csv cut to 'cols' (its own opts_hash), sharing file hash 99. */
static ddf_cache_key cut_key(const char *cols)
{
    ddf_cache_key k = key_of("/d/s.csv", 0);

    k.opts_hash = 1000;
    for (const char *p = cols; *p; p++)
        k.opts_hash = k.opts_hash * 31 + (unsigned char)*p;
    k.file_hash = 99;
    return k;
}

/* Acquire the cut 'cols' wanting those int64 columns: returns the entry, *load as given. */
static ddf_cache_entry *acquire_cut(ddf_cache *c, const char *cols, bool *load)
{
    const char *names[8];
    ddf_dtype dtypes[8];
    char one[8][2];
    size_t n = strlen(cols);
    ddf_cache_key k = cut_key(cols);
    ddf_cache_want want = {names, dtypes, n};
    ddf_cache_entry *e = NULL;
    ddf_error err;

    for (size_t i = 0; i < n; i++) {
        one[i][0] = cols[i];
        one[i][1] = '\0';
        names[i] = one[i];
        dtypes[i] = DDF_DTYPE_INT64;
    }
    assert_int_equal(ddf_cache_acquire_covering(c, &k, &want, &e, load, &err), DDF_OK);
    return e;
}

static void test_cache_wider_table_serves_a_narrower_cut(void **state)
{
    ddf_cache *c;
    ddf_cache_entry *e;
    ddf_cache_stats st;
    ddf_error err;
    bool load;

    (void)state;
    assert_int_equal(ddf_cache_new(1 << 20, &c, &err), DDF_OK);
    e = acquire_cut(c, "abc", &load);
    assert_true(load);
    ddf_cache_fill(c, e, cols_table("abc", 10));
    ddf_cache_release(c, e);

    e = acquire_cut(c, "b", &load); /* a cut never parsed: served by "abc" */
    assert_false(load);
    assert_int_equal(ddf_cache_entry_table(e)->ncols, 3);
    ddf_cache_release(c, e);
    e = acquire_cut(c, "bd", &load); /* d was never read: a miss, to parse */
    assert_true(load);
    ddf_cache_abandon(c, e);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.entries, 1);

    /* Another byte range or another file hash is not served. */
    {
        ddf_cache_key k = cut_key("b");
        const char *names[] = {"b"};
        ddf_dtype dtypes[] = {DDF_DTYPE_INT64};
        ddf_cache_want want = {names, dtypes, 1};

        k.offset = 100;
        assert_int_equal(ddf_cache_acquire_covering(c, &k, &want, &e, &load, &err), DDF_OK);
        assert_true(load);
        ddf_cache_abandon(c, e);
        k = cut_key("b");
        k.file_hash = 98;
        assert_int_equal(ddf_cache_acquire_covering(c, &k, &want, &e, &load, &err), DDF_OK);
        assert_true(load);
        ddf_cache_abandon(c, e);
        dtypes[0] = DDF_DTYPE_FLOAT64; /* b is cached as int64 */
        k = cut_key("b");
        assert_int_equal(ddf_cache_acquire_covering(c, &k, &want, &e, &load, &err), DDF_OK);
        assert_true(load);
        ddf_cache_abandon(c, e);
    }
    ddf_cache_free(c);
}

static void test_cache_wider_table_drops_the_cuts_it_covers(void **state)
{
    ddf_cache *c;
    ddf_cache_entry *e, *held;
    ddf_cache_stats st;
    ddf_error err;
    bool load;

    (void)state;
    assert_int_equal(ddf_cache_new(1 << 20, &c, &err), DDF_OK);
    e = acquire_cut(c, "a", &load);
    ddf_cache_fill(c, e, cols_table("a", 10));
    held = e; /* a reader still holds the narrow table */
    e = acquire_cut(c, "cd", &load);
    ddf_cache_fill(c, e, cols_table("cd", 10));
    ddf_cache_release(c, e);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 2);

    e = acquire_cut(c, "abc", &load); /* covers "a", not "cd" */
    assert_true(load);
    ddf_cache_fill(c, e, cols_table("abc", 10));
    ddf_cache_release(c, e);
    ddf_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 2); /* "cd" and "abc" */
    {
        ddf_cache_key k = cut_key("a");
        assert_null(ddf_cache_lookup(c, &k)); /* "a" itself is gone */
    }
    /* the dropped table lives on for its reader */
    assert_int_equal(ddf_cache_entry_table(held)->columns[0].values.i64[9], 1);
    ddf_cache_release(c, held);

    e = acquire_cut(c, "a", &load); /* now served by "abc" */
    assert_false(load);
    assert_int_equal(ddf_cache_entry_table(e)->ncols, 3);
    ddf_cache_release(c, e);
    ddf_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_counts_a_miss_then_a_hit),
        cmocka_unit_test(test_cache_key_distinguishes_every_field),
        cmocka_unit_test(test_cache_evicts_least_recently_used_first),
        cmocka_unit_test(test_cache_table_survives_eviction_while_referenced),
        cmocka_unit_test(test_cache_returns_but_does_not_keep_an_oversize_table),
        cmocka_unit_test(test_cache_second_insert_of_a_key_shares_the_first),
        cmocka_unit_test(test_cache_grows_its_buckets_past_many_entries),
        cmocka_unit_test(test_cache_serves_four_threads_at_once),
        cmocka_unit_test(test_cache_acquire_loads_once_and_waiters_share_the_table),
        cmocka_unit_test(test_cache_abandoned_load_passes_to_a_waiter),
        cmocka_unit_test(test_cache_fill_over_the_budget_is_shared_but_not_kept),
        cmocka_unit_test(test_cache_acquire_from_four_threads_parses_each_key_once),
        cmocka_unit_test(test_cache_fails_cleanly_without_memory),
        cmocka_unit_test(test_cache_acquire_fails_cleanly_without_memory),
        cmocka_unit_test(test_cache_wider_table_serves_a_narrower_cut),
        cmocka_unit_test(test_cache_wider_table_drops_the_cuts_it_covers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
