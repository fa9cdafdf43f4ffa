/* cache.c - parsed partitions shared between jobs, LRU-evicted under a byte budget.
 *
 * A chained hash table finds an entry by key; a doubly linked list orders the cached
 * entries from most (head) to least (tail) recently used. An entry is in one of three
 * states: loading (hashed, not in the list, no table yet: a job is parsing it and others
 * wait on 'loaded'), cached (hashed and listed, counted in the stats) or detached (in
 * neither: evicted, oversize or abandoned, alive only while referenced). 'refs' counts one
 * for being cached plus one per holder (the loader, each waiter, each reader); eviction
 * unlinks an entry and drops the cache's reference, so a reader's table outlives eviction
 * and the last release frees it.
 *
 * Lock: 'lock' guards every field of the cache and the 'refs', 'loading', 'cached',
 * 'table', 'bytes' and link fields of every entry. Tables are freed outside the lock
 * (freeing a big arena takes a while). */
#include "cache.h"

#include "alloc.h"
#include "hash.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct ddf_cache_entry {
    ddf_cache_key key;        /* key.path owned (ddf_malloc'd) */
    uint64_t hash;            /* of the key */
    ddf_table *table;         /* owned, read-only once inserted */
    size_t bytes;             /* ddf_table_bytes(table) at insert */
    unsigned refs;            /* holders, plus one while cached */
    bool loading;             /* hashed, table not there yet */
    bool cached;              /* hashed and in the LRU list */
    ddf_cache_entry *chain;   /* next in the hash bucket */
    ddf_cache_entry *prev;    /* LRU: more recently used */
    ddf_cache_entry *next;    /* LRU: less recently used */
};

struct ddf_cache {
    pthread_mutex_t lock;
    ddf_cache_entry **buckets; /* nbuckets chains */
    size_t nbuckets;           /* a power of two */
    ddf_cache_entry *head;     /* most recently used */
    ddf_cache_entry *tail;     /* least recently used */
    size_t nhashed;            /* entries in the buckets: cached + loading */
    pthread_cond_t loaded;     /* some loading entry was filled or abandoned */
    ddf_cache_stats stats;     /* entries, bytes, budget and counters */
};

#define INITIAL_BUCKETS 64

int ddf_cache_new(size_t budget, ddf_cache **out, ddf_error *err)
{
    ddf_cache *c = ddf_calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        goto nomem;
    c->buckets = ddf_calloc(INITIAL_BUCKETS, sizeof(*c->buckets));
    if (c->buckets == NULL)
        goto nomem;
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        goto nomem;
    if (pthread_cond_init(&c->loaded, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        goto nomem;
    }
    c->nbuckets = INITIAL_BUCKETS;
    c->stats.budget = budget;
    *out = c;
    return DDF_OK;
nomem:
    if (c)
        ddf_free(c->buckets);
    ddf_free(c);
    return ddf_error_setf(err, DDF_ENOMEM, "out of memory creating the partition cache");
}

static void entry_free(ddf_cache_entry *e)
{
    if (e == NULL)
        return;
    ddf_table_free(e->table);
    ddf_free((char *)e->key.path);
    ddf_free(e);
}

static uint64_t key_hash(const ddf_cache_key *k)
{
    uint64_t h = ddf_hash_mix64(k->size ^ ddf_hash_mix64((uint64_t)k->mtime_ns));

    h = ddf_hash_mix64(h ^ k->offset);
    h = ddf_hash_mix64(h ^ k->length);
    h = ddf_hash_mix64(h ^ k->opts_hash);
    for (const char *p = k->path; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return ddf_hash_mix64(h);
}

static bool key_equal(const ddf_cache_key *a, const ddf_cache_key *b)
{
    return a->size == b->size && a->mtime_ns == b->mtime_ns && a->offset == b->offset &&
           a->length == b->length && a->opts_hash == b->opts_hash &&
           strcmp(a->path, b->path) == 0;
}

/* Caller holds the lock. */
static ddf_cache_entry *find(ddf_cache *c, const ddf_cache_key *k, uint64_t h)
{
    for (ddf_cache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->chain)
        if (e->hash == h && key_equal(&e->key, k))
            return e;
    return NULL;
}

static void lru_unlink(ddf_cache *c, ddf_cache_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(ddf_cache *c, ddf_cache_entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

static void unhash(ddf_cache *c, ddf_cache_entry *e)
{
    ddf_cache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    e->chain = NULL;
    c->nhashed--;
}

/* Unlink a cached entry from the cache and drop the cache's reference; returns the entry
 * when that was the last one (the caller frees it after unlocking), else NULL. */
static ddf_cache_entry *detach(ddf_cache *c, ddf_cache_entry *e)
{
    unhash(c, e);
    lru_unlink(c, e);
    e->cached = false;
    c->stats.entries--;
    c->stats.bytes -= e->bytes;
    return --e->refs == 0 ? e : NULL;
}

/* Double the buckets when the chains get long; without memory the chains just stay long. */
static void maybe_grow(ddf_cache *c)
{
    size_t n = c->nbuckets * 2;
    ddf_cache_entry **nb;

    if (c->nhashed < c->nbuckets)
        return;
    nb = ddf_calloc(n, sizeof(*nb));
    if (nb == NULL)
        return;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (ddf_cache_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->chain;
            e->chain = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    ddf_free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

void ddf_cache_free(ddf_cache *cache)
{
    if (cache == NULL)
        return;
    ddf_cache_clear(cache);
    pthread_cond_destroy(&cache->loaded);
    pthread_mutex_destroy(&cache->lock);
    ddf_free(cache->buckets);
    ddf_free(cache);
}

ddf_cache_entry *ddf_cache_lookup(ddf_cache *cache, const ddf_cache_key *key)
{
    uint64_t h = key_hash(key);
    ddf_cache_entry *e;

    pthread_mutex_lock(&cache->lock);
    e = find(cache, key, h);
    if (e && e->loading)
        e = NULL; /* not there yet: a miss, without waiting */
    if (e) {
        e->refs++;
        lru_unlink(cache, e);
        lru_push_front(cache, e);
        cache->stats.hits++;
    } else {
        cache->stats.misses++;
    }
    pthread_mutex_unlock(&cache->lock);
    return e;
}

/* Free a list of dead entries chained through 'next' (outside the lock). */
static void free_list(ddf_cache_entry *dead)
{
    while (dead) {
        ddf_cache_entry *next = dead->next;
        entry_free(dead);
        dead = next;
    }
}

/* A new detached entry for 'key' holding one reference, or NULL. */
static ddf_cache_entry *entry_new(const ddf_cache_key *key, uint64_t h)
{
    ddf_cache_entry *e = ddf_calloc(1, sizeof(*e));

    if (e)
        e->key.path = ddf_strdup(key->path);
    if (e == NULL || e->key.path == NULL) {
        ddf_free(e);
        return NULL;
    }
    e->key.size = key->size;
    e->key.mtime_ns = key->mtime_ns;
    e->key.offset = key->offset;
    e->key.length = key->length;
    e->key.opts_hash = key->opts_hash;
    e->key.file_hash = key->file_hash;
    e->hash = h;
    e->refs = 1;
    return e;
}

static void rehash_in(ddf_cache *c, ddf_cache_entry *e)
{
    maybe_grow(c);
    e->chain = c->buckets[e->hash & (c->nbuckets - 1)];
    c->buckets[e->hash & (c->nbuckets - 1)] = e;
    c->nhashed++;
}

/* Whether 'a' and 'b' are the same byte range of the same file version, parsed with the
 * same value-deciding options (perhaps different columns). */
static bool same_range(const ddf_cache_key *a, const ddf_cache_key *b)
{
    return a->file_hash != 0 && a->file_hash == b->file_hash && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->offset == b->offset && a->length == b->length &&
           strcmp(a->path, b->path) == 0;
}

static bool table_has(const ddf_table *t, const char *name, ddf_dtype dtype)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (t->columns[c].dtype == dtype && strcmp(t->names[c], name) == 0)
            return true;
    return false;
}

/* Whether 'big' holds every column of 'small' (same rows: both parse one range). */
static bool covers(const ddf_table *big, const ddf_table *small)
{
    if (big->nrows != small->nrows)
        return false;
    for (size_t c = 0; c < small->ncols; c++)
        if (!table_has(big, small->names[c], small->columns[c].dtype))
            return false;
    return true;
}

/* A cached entry of key's range holding every wanted column, or NULL. Caller holds the
 * lock. A linear walk: it runs only on a miss, which a parse of the range follows. */
static ddf_cache_entry *find_covering(ddf_cache *c, const ddf_cache_key *key,
                                      const ddf_cache_want *want)
{
    for (ddf_cache_entry *e = c->head; e; e = e->next) {
        bool all = e->cached && e->table && same_range(&e->key, key);

        for (size_t i = 0; all && i < want->n; i++)
            all = table_has(e->table, want->names[i], want->dtypes[i]);
        if (all)
            return e;
    }
    return NULL;
}

/* Drop the cached entries that 'e' makes redundant: same range, columns it has. */
static void drop_covered(ddf_cache *c, ddf_cache_entry *e, ddf_cache_entry **dead)
{
    for (ddf_cache_entry *x = c->head, *next; x; x = next) {
        next = x->next;
        if (x != e && x->cached && same_range(&x->key, &e->key) && covers(e->table, x->table)) {
            ddf_cache_entry *victim = detach(c, x);
            if (victim) {
                victim->next = *dead;
                *dead = victim;
            }
        }
    }
}

/* Make the hashed or detached entry 'e', whose table is set, cached: evict least recently
 * used entries until it fits (victims chained on *dead), or count it oversize and leave
 * it detached (unhashed). Caller holds the lock. */
static void admit(ddf_cache *c, ddf_cache_entry *e, bool hashed, ddf_cache_entry **dead)
{
    if (e->bytes > c->stats.budget) {
        c->stats.oversize++;
        if (hashed)
            unhash(c, e);
        return;
    }
    if (e->key.file_hash != 0)
        drop_covered(c, e, dead);
    while (c->tail && c->stats.bytes + e->bytes > c->stats.budget) {
        ddf_cache_entry *victim = detach(c, c->tail);
        c->stats.evictions++;
        if (victim) {
            victim->next = *dead;
            *dead = victim;
        }
    }
    if (!hashed)
        rehash_in(c, e);
    e->cached = true;
    e->refs++;
    lru_push_front(c, e);
    c->stats.entries++;
    c->stats.bytes += e->bytes;
}

int ddf_cache_insert(ddf_cache *cache, const ddf_cache_key *key, ddf_table *table,
                     ddf_cache_entry **out, ddf_error *err)
{
    ddf_cache_entry *e, *old, *dead = NULL;
    uint64_t h = key_hash(key);

    *out = NULL;
    e = entry_new(key, h);
    if (e == NULL) {
        ddf_table_free(table);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory caching a partition");
    }
    e->table = table;
    e->bytes = ddf_table_bytes(table);

    pthread_mutex_lock(&cache->lock);
    old = find(cache, key, h);
    if (old && !old->loading) {
        /* Another job parsed the same range first: share its table. */
        old->refs++;
        lru_unlink(cache, old);
        lru_push_front(cache, old);
        pthread_mutex_unlock(&cache->lock);
        entry_free(e);
        *out = old;
        return DDF_OK;
    }
    if (old == NULL)
        admit(cache, e, false, &dead);
    /* else a loader owns the key: this table stays detached, the caller's alone */
    pthread_mutex_unlock(&cache->lock);
    free_list(dead);
    *out = e;
    return DDF_OK;
}

int ddf_cache_acquire(ddf_cache *cache, const ddf_cache_key *key, ddf_cache_entry **out,
                      bool *load, ddf_error *err)
{
    return ddf_cache_acquire_covering(cache, key, NULL, out, load, err);
}

int ddf_cache_acquire_covering(ddf_cache *cache, const ddf_cache_key *key,
                               const ddf_cache_want *want, ddf_cache_entry **out, bool *load,
                               ddf_error *err)
{
    uint64_t h = key_hash(key);
    ddf_cache_entry *e;

    *out = NULL;
    *load = false;
    pthread_mutex_lock(&cache->lock);
    for (;;) {
        e = find(cache, key, h);
        if (e == NULL)
            break;
        e->refs++;
        if (e->loading) {
            cache->stats.waits++;
            while (e->loading)
                pthread_cond_wait(&cache->loaded, &cache->lock);
        }
        if (e->table) {
            /* Ready (or filled while we waited, cached or oversize): share it. */
            if (e->cached) {
                lru_unlink(cache, e);
                lru_push_front(cache, e);
            }
            cache->stats.hits++;
            pthread_mutex_unlock(&cache->lock);
            *out = e;
            return DDF_OK;
        }
        /* The loader gave up: drop our hold and look again (we may load it ourselves). */
        if (--e->refs == 0)
            entry_free(e); /* a placeholder: no table to free, quick under the lock */
    }
    if (want != NULL && key->file_hash != 0 && (e = find_covering(cache, key, want)) != NULL) {
        e->refs++;
        lru_unlink(cache, e);
        lru_push_front(cache, e);
        cache->stats.hits++;
        pthread_mutex_unlock(&cache->lock);
        *out = e;
        return DDF_OK;
    }
    cache->stats.misses++;
    e = entry_new(key, h);
    if (e == NULL) {
        pthread_mutex_unlock(&cache->lock);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory caching a partition");
    }
    e->loading = true;
    rehash_in(cache, e);
    pthread_mutex_unlock(&cache->lock);
    *out = e;
    *load = true;
    return DDF_OK;
}

void ddf_cache_fill(ddf_cache *cache, ddf_cache_entry *entry, ddf_table *table)
{
    ddf_cache_entry *dead = NULL;

    pthread_mutex_lock(&cache->lock);
    entry->table = table;
    entry->bytes = ddf_table_bytes(table);
    entry->loading = false;
    admit(cache, entry, true, &dead);
    pthread_cond_broadcast(&cache->loaded);
    pthread_mutex_unlock(&cache->lock);
    free_list(dead);
}

void ddf_cache_abandon(ddf_cache *cache, ddf_cache_entry *entry)
{
    bool last;

    pthread_mutex_lock(&cache->lock);
    unhash(cache, entry);
    entry->loading = false;
    pthread_cond_broadcast(&cache->loaded);
    last = --entry->refs == 0;
    pthread_mutex_unlock(&cache->lock);
    if (last)
        entry_free(entry);
}

const ddf_table *ddf_cache_entry_table(const ddf_cache_entry *entry)
{
    return entry->table;
}

void ddf_cache_release(ddf_cache *cache, ddf_cache_entry *entry)
{
    bool last;

    if (entry == NULL)
        return;
    pthread_mutex_lock(&cache->lock);
    last = --entry->refs == 0;
    pthread_mutex_unlock(&cache->lock);
    if (last)
        entry_free(entry);
}

void ddf_cache_clear(ddf_cache *cache)
{
    ddf_cache_entry *dead = NULL;

    pthread_mutex_lock(&cache->lock);
    while (cache->tail) {
        ddf_cache_entry *victim = detach(cache, cache->tail);
        if (victim) {
            victim->next = dead;
            dead = victim;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    free_list(dead);
}

size_t ddf_cache_get_budget(const ddf_cache *cache)
{
    return cache->stats.budget; /* never written after ddf_cache_new */
}

void ddf_cache_get_stats(ddf_cache *cache, ddf_cache_stats *out)
{
    pthread_mutex_lock(&cache->lock);
    *out = cache->stats;
    pthread_mutex_unlock(&cache->lock);
}
