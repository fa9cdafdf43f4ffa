/* pool.h - a fixed set of threads that runs batches of jobs.
 *
 * The worker runs each partition of a plan as one job. Its XML-RPC method threads have a
 * small stack (xmlrpc-c gives ~128 KiB), far too little for the engine's parsers and
 * kernels, so they never run jobs themselves: they hand a batch to the pool and wait. The
 * pool's threads get an explicit stack size (DDF_POOL_STACK_BYTES by default).
 *
 * Several batches may be in flight at once (concurrent ddf.run calls); they are served in
 * the order they arrived, each job exactly once. All calls are thread-safe. */
#ifndef DDF_POOL_H
#define DDF_POOL_H

#include "error.h"

#include <stddef.h>

/* Stack of each pool thread: the CSV reader, the expression evaluator (recursion bounded
 * by DDF_MAX_EXPR_DEPTH) and the kernels need far less, with room to spare. */
#define DDF_POOL_STACK_BYTES (8u * 1024 * 1024)

/* Threads of one pool: a worker has at most a few hundred cores. */
#define DDF_POOL_MAX_THREADS 1024

typedef struct ddf_pool ddf_pool; /* opaque */

/* One job: 'index' is its number in the batch, 0..njobs-1. */
typedef void (*ddf_pool_fn)(void *arg, size_t index);

/* Start 'nthreads' threads (1..DDF_POOL_MAX_THREADS) with 'stack_bytes' of stack each (0:
 * DDF_POOL_STACK_BYTES). DDF_EINVAL for a bad count, DDF_ENOMEM when memory or threads
 * cannot be had; on error *out is NULL and no thread is left running. */
int ddf_pool_new(unsigned nthreads, size_t stack_bytes, ddf_pool **out, ddf_error *err);

/* Stop the threads once the batches queued have run, join them and free the pool. No call
 * may be in flight or follow. NULL is a no-op. */
void ddf_pool_free(ddf_pool *pool);

/* Run fn(arg, i) for every i in [0, njobs) on the pool's threads and return when all have
 * returned. Never runs a job on the calling thread. njobs == 0 returns at once. */
void ddf_pool_run(ddf_pool *pool, ddf_pool_fn fn, void *arg, size_t njobs);

unsigned ddf_pool_threads(const ddf_pool *pool);

#endif
