/* alloc.h - the one door for heap memory.
 *
 * All of ddf allocates through these functions so that tests can make the Nth allocation
 * fail and check that every caller cleans up (as hiredis' alloc.h and libuv's
 * uv_replace_allocator). The function table is the library's only process-wide setting: a
 * program or test sets it once, before it starts threads. Counts are checked for
 * overflow: ddf_calloc and ddf_mallocarray return NULL when n * size does not fit. */
#ifndef DDF_ALLOC_H
#define DDF_ALLOC_H

#include <stddef.h>

typedef struct ddf_alloc_fns {
    void *(*malloc_fn)(size_t size);
    void *(*calloc_fn)(size_t n, size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} ddf_alloc_fns;

/* Replace the allocator; returns the previous table. NULL restores libc's. */
ddf_alloc_fns ddf_alloc_set(const ddf_alloc_fns *fns);

void *ddf_malloc(size_t size);
void *ddf_calloc(size_t n, size_t size);
void *ddf_mallocarray(size_t n, size_t size);
void *ddf_realloc(void *ptr, size_t size);
void *ddf_reallocarray(void *ptr, size_t n, size_t size);
void ddf_free(void *ptr);

/* A NUL-terminated copy of the first 'len' bytes of 's', or NULL. */
char *ddf_strndup(const char *s, size_t len);
char *ddf_strdup(const char *s);

#endif
