/* sort.c - bottom-up merge sort with a comparison context (see sort.h). Runs of
 * INSERTION_RUN elements are insertion-sorted in place first: for small runs that is
 * fewer moves than merging, and most key comparisons here are cheap. */
#include "sort.h"

#include "alloc.h"
#include "error.h"

#include <string.h>

#define INSERTION_RUN 16

static void insertion_sort(char *base, size_t n, size_t size, ddf_sort_cmp *cmp, void *ctx,
                           char *tmp)
{
    for (size_t i = 1; i < n; i++) {
        size_t j = i;

        memcpy(tmp, base + i * size, size);
        while (j > 0 && cmp(base + (j - 1) * size, tmp, ctx) > 0) {
            memcpy(base + j * size, base + (j - 1) * size, size);
            j--;
        }
        memcpy(base + j * size, tmp, size);
    }
}

int ddf_sort(void *base, size_t n, size_t size, ddf_sort_cmp *cmp, void *ctx)
{
    char *a = base, *buf, *src, *dst;

    if (n < 2 || size == 0)
        return DDF_OK;
    buf = ddf_mallocarray(n + 1, size); /* + 1: the insertion sort's held element */
    if (buf == NULL)
        return DDF_ENOMEM;
    for (size_t lo = 0; lo < n; lo += INSERTION_RUN)
        insertion_sort(a + lo * size, n - lo < INSERTION_RUN ? n - lo : INSERTION_RUN, size,
                       cmp, ctx, buf + n * size);
    src = a;
    dst = buf;
    for (size_t width = INSERTION_RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;

            /* '<= 0' takes the left element on ties: stable */
            while (i < mid && j < hi) {
                if (cmp(src + i * size, src + j * size, ctx) <= 0)
                    memcpy(dst + k++ * size, src + i++ * size, size);
                else
                    memcpy(dst + k++ * size, src + j++ * size, size);
            }
            memcpy(dst + k * size, src + i * size, (mid - i) * size);
            k += mid - i;
            memcpy(dst + k * size, src + j * size, (hi - j) * size);
        }
        char *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * size);
    ddf_free(buf);
    return DDF_OK;
}
