/* cache.h - the worker's cache of parsed partitions, LRU-evicted under a byte budget.
 *
 * The source file is the truth (DESIGN §2); a parsed partition in memory is a cache that
 * can always be rebuilt, so evicting one is always safe. An entry is keyed by everything
 * that decides what the bytes parse to: the file (real path, size, mtime in ns, so an
 * edited file misses), the byte range, and a digest of the parse options and the schema.
 *
 * Entries are shared: a lookup or an insert hands out a reference, and an entry evicted
 * while a job still reads its table stays alive until the last ddf_cache_release. Evicted
 * but still referenced tables no longer count in 'bytes' (they are the readers' transient
 * memory now).
 *
 * Concurrency: every call is thread-safe (one mutex); parsing happens outside the lock.
 * The executor uses ddf_cache_acquire: the first job to miss a key gets a placeholder and
 * parses; jobs that want the same key meanwhile wait for it (no duplicate parse, no
 * duplicate memory) and share the table once the loader calls ddf_cache_fill; if the
 * loader fails (ddf_cache_abandon), one of the waiters loads instead. A loader must
 * not acquire another key while it holds a placeholder (a job loads one partition).
 * ddf_cache_lookup / ddf_cache_insert are the simple pair that never waits.
 *
 * Column sets: clients cut a plan's read to the columns it names (projection pushdown),
 * so one byte range can be parsed under several column sets. When a key carries a nonzero
 * 'file_hash' (the parse options that decide values, without the choice of columns), an
 * acquire that misses may be answered by a cached table of the same range and file_hash
 * holding every wanted column with the wanted dtype, and caching a table drops the cached
 * tables of its range that it covers: a session that counted rows (one column) and then
 * read every column keeps one copy of the first column, not two. */
#ifndef DDF_CACHE_H
#define DDF_CACHE_H

#include "error.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ddf_cache ddf_cache;             /* opaque */
typedef struct ddf_cache_entry ddf_cache_entry; /* opaque: one shared table */

typedef struct ddf_cache_key {
    const char *path;     /* real path; copied by insert */
    uint64_t size;        /* file bytes */
    int64_t mtime_ns;     /* modification time, ns since the epoch */
    uint64_t offset;      /* the partition's byte range */
    uint64_t length;
    uint64_t opts_hash;   /* digest of parse options + schema (ddf_plan_read_hash) */
    uint64_t file_hash;   /* digest of the options without the column choice
                           * (ddf_plan_file_hash); 0: never shared across column sets */
} ddf_cache_key;

/* The columns a job needs from a partition, by name and dtype (borrowed). */
typedef struct ddf_cache_want {
    const char *const *names;
    const ddf_dtype *dtypes;
    size_t n;
} ddf_cache_want;

typedef struct ddf_cache_stats {
    uint64_t hits;        /* lookups that found an entry */
    uint64_t misses;      /* lookups that did not */
    uint64_t evictions;   /* entries dropped to make room */
    uint64_t oversize;    /* inserts of a table larger than the whole budget (not kept) */
    uint64_t waits;       /* acquires that waited for another job's parse */
    size_t entries;       /* entries cached now */
    size_t bytes;         /* ddf_table_bytes of the cached entries */
    size_t budget;        /* the byte budget */
} ddf_cache_stats;

/* A new empty cache holding at most 'budget' bytes of tables. DDF_ENOMEM. */
int ddf_cache_new(size_t budget, ddf_cache **out, ddf_error *err);

/* Free the cache and its entries. Every reference must have been released. NULL: no-op. */
void ddf_cache_free(ddf_cache *cache);

/* The entry for 'key' with a reference taken (the caller releases it), and it becomes
 * the most recently used; NULL on a miss. Counts a hit or a miss. */
ddf_cache_entry *ddf_cache_lookup(ddf_cache *cache, const ddf_cache_key *key);

/* Cache 'table' under 'key' and return its entry, with a reference for the caller, in
 * *out. Takes ownership of 'table' whatever happens. Least recently used entries nobody
 * needs any more are evicted to make room (referenced ones are dropped from the cache too
 * but live on until released). When the key is cached already, 'table' is freed and the
 * cached entry returned. A table larger than the whole budget is not cached but still
 * returned in an uncached entry. DDF_ENOMEM (then 'table' is freed and *out is NULL). */
int ddf_cache_insert(ddf_cache *cache, const ddf_cache_key *key, ddf_table *table,
                     ddf_cache_entry **out, ddf_error *err);

/* Get the entry for 'key' or the duty to load it. Returns DDF_OK and in *out an entry
 * with a reference for the caller: a ready one (*load false; counted as a hit, also when
 * it had to wait for another job's parse), or a placeholder (*load true; counted as a
 * miss) that the caller must complete with ddf_cache_fill or ddf_cache_abandon and then
 * release. DDF_ENOMEM (then *out is NULL). */
int ddf_cache_acquire(ddf_cache *cache, const ddf_cache_key *key, ddf_cache_entry **out,
                      bool *load, ddf_error *err);

/* ddf_cache_acquire that, when 'key' itself is not cached and key->file_hash is nonzero,
 * first takes a cached table of the same byte range and file_hash that holds every column
 * of 'want' (a hit; the table may have more columns, in any order: the caller picks them
 * by name). want == NULL acts as ddf_cache_acquire. */
int ddf_cache_acquire_covering(ddf_cache *cache, const ddf_cache_key *key,
                               const ddf_cache_want *want, ddf_cache_entry **out, bool *load,
                               ddf_error *err);

/* Give the placeholder 'entry' its parsed 'table' (ownership passes to the entry) and
 * wake the waiters. It is cached as ddf_cache_insert would (evicting to make room), or
 * kept detached when larger than the whole budget. The caller still holds its reference. */
void ddf_cache_fill(ddf_cache *cache, ddf_cache_entry *entry, ddf_table *table);

/* The load of placeholder 'entry' failed: unhash it, wake the waiters (one of them will
 * load) and drop the caller's reference (no ddf_cache_release after this). */
void ddf_cache_abandon(ddf_cache *cache, ddf_cache_entry *entry);

/* The entry's table: read-only, valid until the reference is released. */
const ddf_table *ddf_cache_entry_table(const ddf_cache_entry *entry);

/* Drop a reference from lookup or insert; the last one frees an evicted entry. NULL: no-op. */
void ddf_cache_release(ddf_cache *cache, ddf_cache_entry *entry);

/* Evict every entry (referenced ones live on until released). */
void ddf_cache_clear(ddf_cache *cache);

/* The byte budget (fixed at ddf_cache_new). */
size_t ddf_cache_get_budget(const ddf_cache *cache);

/* A consistent snapshot of the counters (for ddf.ping). */
void ddf_cache_get_stats(ddf_cache *cache, ddf_cache_stats *out);

#endif
