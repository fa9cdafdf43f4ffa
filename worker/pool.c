/* pool.c - a fixed thread pool serving a FIFO of job batches (pool.h).
 *
 * A batch lives on its caller's stack: the caller links it at the tail of the queue,
 * wakes the threads and sleeps until its 'done' count reaches 'njobs'. A thread takes the
 * next undistributed index of the first batch in the queue; the batch leaves the queue
 * once its last index is taken, and its caller is woken once its last job has finished
 * (only then may the caller's stack frame go away).
 *
 * Lock: 'lock' guards the queue, every queued batch's 'next' and 'done', and 'stop'.
 * 'work' wakes threads when a batch arrives or the pool stops; 'finished' wakes callers. */
#include "pool.h"

#include "alloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

typedef struct batch {
    ddf_pool_fn fn;
    void *arg;
    size_t njobs;
    size_t next;          /* first index not handed out */
    size_t done;          /* jobs finished */
    struct batch *link;   /* next batch in the queue */
} batch;

struct ddf_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;      /* a batch was queued, or stop */
    pthread_cond_t finished;  /* some batch finished its last job */
    batch *head;              /* batches with indexes left to hand out, oldest first */
    batch *tail;
    bool stop;
    unsigned nthreads;        /* threads started */
    pthread_t *threads;
};

static void *thread_main(void *arg)
{
    ddf_pool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        batch *b;
        size_t i;

        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->head == NULL)
            break; /* stopping, nothing left */
        b = p->head;
        i = b->next++;
        if (b->next == b->njobs) {
            p->head = b->link;
            if (p->head == NULL)
                p->tail = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        b->fn(b->arg, i);
        pthread_mutex_lock(&p->lock);
        if (++b->done == b->njobs)
            pthread_cond_broadcast(&p->finished);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void stop_and_join(ddf_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    p->nthreads = 0;
}

int ddf_pool_new(unsigned nthreads, size_t stack_bytes, ddf_pool **out, ddf_error *err)
{
    pthread_attr_t attr;
    ddf_pool *p;
    int rc = DDF_OK;

    *out = NULL;
    if (nthreads == 0 || nthreads > DDF_POOL_MAX_THREADS)
        return ddf_error_setf(err, DDF_EINVAL, "thread pool: %u threads, 1 to %d allowed",
                              nthreads, DDF_POOL_MAX_THREADS);
    p = ddf_calloc(1, sizeof(*p));
    if (p == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory creating the thread pool");
    p->threads = ddf_calloc(nthreads, sizeof(*p->threads));
    if (p->threads == NULL) {
        ddf_free(p);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory creating the thread pool");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->finished, NULL);
    if (pthread_attr_init(&attr) != 0) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "thread pool: cannot set thread attributes");
        goto out_free;
    }
    if (pthread_attr_setstacksize(&attr, stack_bytes ? stack_bytes : DDF_POOL_STACK_BYTES) !=
        0) {
        rc = ddf_error_setf(err, DDF_EINVAL, "thread pool: bad stack size %zu", stack_bytes);
        goto out_attr;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        int e = pthread_create(&p->threads[i], &attr, thread_main, p);
        if (e != 0) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "thread pool: cannot start thread %u of %u: %s",
                                i + 1, nthreads, strerror(e));
            goto out_attr;
        }
        p->nthreads++;
    }
out_attr:
    pthread_attr_destroy(&attr);
out_free:
    if (rc < 0) {
        stop_and_join(p);
        pthread_cond_destroy(&p->finished);
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->lock);
        ddf_free(p->threads);
        ddf_free(p);
        return rc;
    }
    *out = p;
    return DDF_OK;
}

void ddf_pool_free(ddf_pool *pool)
{
    if (pool == NULL)
        return;
    stop_and_join(pool);
    pthread_cond_destroy(&pool->finished);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    ddf_free(pool->threads);
    ddf_free(pool);
}

void ddf_pool_run(ddf_pool *pool, ddf_pool_fn fn, void *arg, size_t njobs)
{
    batch b = {.fn = fn, .arg = arg, .njobs = njobs};

    if (njobs == 0)
        return;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail)
        pool->tail->link = &b;
    else
        pool->head = &b;
    pool->tail = &b;
    pthread_cond_broadcast(&pool->work);
    while (b.done < b.njobs)
        pthread_cond_wait(&pool->finished, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

unsigned ddf_pool_threads(const ddf_pool *pool)
{
    return pool->nthreads;
}
