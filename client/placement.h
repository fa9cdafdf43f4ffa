/* placement.h - which worker runs which partition: rendezvous (highest random weight)
 * hashing (DESIGN §3).
 *
 * Every (worker, partition) pair gets a pseudo-random weight; a partition goes to the live
 * worker with the highest. The weight depends on nothing but the pair, so when a worker
 * joins it takes about 1/N of the partitions — only those it now wins — and when one leaves
 * only its own partitions move, each to its runner-up. Partitions stay where their parsed
 * copy is cached: that is what keeps caches warm across actions and membership changes.
 *
 * A partition is named by a key that survives re-planning: ddf_place_part_key hashes the
 * file's path and the partition's byte range. Pure functions; thread-safe. */
#ifndef DDF_PLACEMENT_H
#define DDF_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No live worker for a partition. */
#define DDF_PLACE_NONE SIZE_MAX

/* The key of the partition [offset, offset + length) of 'path'. */
uint64_t ddf_place_part_key(const char *path, uint64_t offset, uint64_t length);

/* The weight of a worker (its id, the endpoint URL) for a partition key. */
uint64_t ddf_place_weight(const char *worker_id, uint64_t part_key);

/* For each of nparts partition keys, the index in workers[0..nworkers) of the live worker
 * with the highest weight (alive == NULL: all are live) into owner[i], or DDF_PLACE_NONE
 * when none is live. Ties (equal 64-bit weights) go to the smaller id, so every client
 * computes the same placement. */
void ddf_place(const char *const *workers, size_t nworkers, const bool *alive,
               const uint64_t *part_keys, size_t nparts, size_t *owner);

#endif
