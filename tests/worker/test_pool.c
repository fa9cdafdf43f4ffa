/* test_pool.c - the worker's thread pool: every job of a batch runs exactly once, on the
 * pool's threads, with the stack asked for; concurrent batches; clean shutdown. */
#define _GNU_SOURCE /* pthread_getattr_np: to see the stack size a job runs on */
#include "pool.h"

#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct counts {
    atomic_int *hits;      /* per job */
    pthread_t caller;      /* the thread that called ddf_pool_run */
    atomic_int on_caller;  /* jobs that ran on it (must stay 0) */
    atomic_size_t min_stack;
} counts;

static void count_job(void *arg, size_t i)
{
    counts *c = arg;
    pthread_attr_t attr;
    size_t stack = 0;

    atomic_fetch_add(&c->hits[i], 1);
    if (pthread_equal(pthread_self(), c->caller))
        atomic_fetch_add(&c->on_caller, 1);
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &stack);
        pthread_attr_destroy(&attr);
    }
    size_t cur = atomic_load(&c->min_stack);
    while (stack < cur && !atomic_compare_exchange_weak(&c->min_stack, &cur, stack))
        ;
}

static void test_pool_runs_every_job_exactly_once(void **state)
{
    enum { N = 1000 };
    ddf_pool *pool;
    ddf_error err;
    counts c = {0};

    (void)state;
    assert_int_equal(ddf_pool_new(4, 0, &pool, &err), DDF_OK);
    assert_int_equal(ddf_pool_threads(pool), 4);
    c.hits = calloc(N, sizeof(*c.hits));
    c.caller = pthread_self();
    atomic_store(&c.min_stack, SIZE_MAX);
    for (int round = 0; round < 3; round++) {
        ddf_pool_run(pool, count_job, &c, N);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(atomic_load(&c.hits[i]), round + 1);
    }
    assert_int_equal(atomic_load(&c.on_caller), 0);
    assert_true(atomic_load(&c.min_stack) >= DDF_POOL_STACK_BYTES);
    ddf_pool_run(pool, count_job, &c, 0); /* an empty batch returns at once */
    ddf_pool_free(pool);
    free(c.hits);
}

static void test_pool_stack_size_is_the_one_asked_for(void **state)
{
    ddf_pool *pool;
    ddf_error err;
    counts c = {0};

    (void)state;
    assert_int_equal(ddf_pool_new(1, 16u * 1024 * 1024, &pool, &err), DDF_OK);
    c.hits = calloc(4, sizeof(*c.hits));
    c.caller = pthread_self();
    atomic_store(&c.min_stack, SIZE_MAX);
    ddf_pool_run(pool, count_job, &c, 4);
    assert_true(atomic_load(&c.min_stack) >= 16u * 1024 * 1024);
    ddf_pool_free(pool);
    free(c.hits);
}

typedef struct caller_arg {
    ddf_pool *pool;
    counts c;
    size_t njobs;
} caller_arg;

static void *caller_main(void *p)
{
    caller_arg *a = p;

    for (int round = 0; round < 20; round++)
        ddf_pool_run(a->pool, count_job, &a->c, a->njobs);
    return NULL;
}

static void test_pool_serves_concurrent_batches(void **state)
{
    enum { CALLERS = 4 };
    caller_arg args[CALLERS];
    pthread_t th[CALLERS];
    ddf_pool *pool;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_pool_new(3, 0, &pool, &err), DDF_OK);
    for (int i = 0; i < CALLERS; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        args[i].pool = pool;
        args[i].njobs = 50 + (size_t)i * 17;
        args[i].c.hits = calloc(args[i].njobs, sizeof(*args[i].c.hits));
        atomic_store(&args[i].c.min_stack, SIZE_MAX);
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &args[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(th[i], NULL);
        for (size_t j = 0; j < args[i].njobs; j++)
            assert_int_equal(atomic_load(&args[i].c.hits[j]), 20);
        free(args[i].c.hits);
    }
    ddf_pool_free(pool);
}

static void test_pool_refuses_bad_thread_counts(void **state)
{
    ddf_pool *pool = (ddf_pool *)1;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_pool_new(0, 0, &pool, &err), DDF_EINVAL);
    assert_null(pool);
    assert_string_equal(err.msg, "thread pool: 0 threads, 1 to 1024 allowed");
    assert_int_equal(ddf_pool_new(DDF_POOL_MAX_THREADS + 1, 0, &pool, &err), DDF_EINVAL);
    ddf_pool_free(NULL);
}

static void test_pool_new_fails_cleanly_without_memory(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        ddf_pool *pool;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        rc = ddf_pool_new(2, 0, &pool, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            ddf_pool_free(pool);
            assert_true(n >= 2);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(pool);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_every_job_exactly_once),
        cmocka_unit_test(test_pool_stack_size_is_the_one_asked_for),
        cmocka_unit_test(test_pool_serves_concurrent_batches),
        cmocka_unit_test(test_pool_refuses_bad_thread_counts),
        cmocka_unit_test(test_pool_new_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
