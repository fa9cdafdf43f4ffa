/* placement.c - rendezvous hashing (see placement.h). */
#include "placement.h"

#include "hash.h"

#include <string.h>

uint64_t ddf_place_part_key(const char *path, uint64_t offset, uint64_t length)
{
    uint64_t h = ddf_hash_bytes(path, strlen(path));

    h = ddf_hash_mix64(h ^ ddf_hash_mix64(offset + 0x9e3779b97f4a7c15ull));
    return ddf_hash_mix64(h ^ ddf_hash_mix64(length ^ 0xc2b2ae3d27d4eb4full));
}

uint64_t ddf_place_weight(const char *worker_id, uint64_t part_key)
{
    /* mixing the two hashes again makes the weights of one worker independent across
     * partitions and of one partition independent across workers */
    return ddf_hash_mix64(ddf_hash_bytes(worker_id, strlen(worker_id)) ^
                          ddf_hash_mix64(part_key ^ 0x94d049bb133111ebull));
}

void ddf_place(const char *const *workers, size_t nworkers, const bool *alive,
               const uint64_t *part_keys, size_t nparts, size_t *owner)
{
    for (size_t p = 0; p < nparts; p++) {
        size_t best = DDF_PLACE_NONE;
        uint64_t best_w = 0;

        for (size_t w = 0; w < nworkers; w++) {
            uint64_t wt;

            if (alive && !alive[w])
                continue;
            wt = ddf_place_weight(workers[w], part_keys[p]);
            if (best == DDF_PLACE_NONE || wt > best_w ||
                (wt == best_w && strcmp(workers[w], workers[best]) < 0)) {
                best = w;
                best_w = wt;
            }
        }
        owner[p] = best;
    }
}
