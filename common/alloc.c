/* alloc.c - the replaceable allocator behind ddf_malloc and friends (see alloc.h). */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ddf_alloc_fns allocator = {malloc, calloc, realloc, free};

ddf_alloc_fns ddf_alloc_set(const ddf_alloc_fns *fns)
{
    ddf_alloc_fns old = allocator;
    static const ddf_alloc_fns libc = {malloc, calloc, realloc, free};

    allocator = fns ? *fns : libc;
    return old;
}

void *ddf_malloc(size_t size)
{
    return allocator.malloc_fn(size ? size : 1);
}

void *ddf_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return allocator.calloc_fn(n ? n : 1, size ? size : 1);
}

void *ddf_mallocarray(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return ddf_malloc(n * size);
}

void *ddf_realloc(void *ptr, size_t size)
{
    return allocator.realloc_fn(ptr, size ? size : 1);
}

void *ddf_reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return ddf_realloc(ptr, n * size);
}

void ddf_free(void *ptr)
{
    if (ptr)
        allocator.free_fn(ptr);
}

char *ddf_strndup(const char *s, size_t len)
{
    char *copy;

    if (len == SIZE_MAX) /* len + 1 would wrap to 0 */
        return NULL;
    copy = ddf_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *ddf_strdup(const char *s)
{
    return ddf_strndup(s, strlen(s));
}
