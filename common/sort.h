/* sort.h - a stable sort whose comparison gets a context pointer.
 *
 * C11's qsort passes the comparison nothing but the two elements, so comparing group
 * numbers by their keys needs the keys in a global (or thread-local) variable; ddf keeps
 * no global mutable state. glibc's qsort_r is not in C11 or POSIX. This is a merge sort:
 * stable (equal elements keep their order, which makes results deterministic), O(n log n)
 * comparisons, and n elements of scratch memory. */
#ifndef DDF_SORT_H
#define DDF_SORT_H

#include <stddef.h>

typedef int ddf_sort_cmp(const void *a, const void *b, void *ctx);

/* Sort n elements of 'size' bytes at 'base' by cmp (negative, zero, positive as strcmp).
 * DDF_OK, or DDF_ENOMEM (base unchanged) when the scratch buffer cannot be allocated. */
int ddf_sort(void *base, size_t n, size_t size, ddf_sort_cmp *cmp, void *ctx);

#endif
