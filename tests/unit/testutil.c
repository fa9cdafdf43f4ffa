/* testutil.c - allocation failure injection and temporary files for the unit tests. */
#include "testutil.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long fail_countdown = -1;
static long alloc_count;
static int alloc_failed;

static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0) {
        alloc_failed = 1;
        return 1;
    }
    fail_countdown--;
    return 0;
}

static void *t_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

static void *t_calloc(size_t n, size_t s)
{
    return should_fail() ? NULL : calloc(n, s);
}

static void *t_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

void ddf_test_fail_after(long n)
{
    static const ddf_alloc_fns fns = {t_malloc, t_calloc, t_realloc, free};

    ddf_alloc_set(&fns);
    fail_countdown = n;
    alloc_count = 0;
    alloc_failed = 0;
}

long ddf_test_alloc_count(void)
{
    return alloc_count;
}

int ddf_test_alloc_failed(void)
{
    return alloc_failed;
}

static char paths[8][64];

const char *ddf_test_write_file(int slot, const void *data, size_t len)
{
    FILE *f;
    int fd;

    if (slot < 0 || slot >= 8)
        return NULL;
    if (paths[slot][0])
        unlink(paths[slot]);
    snprintf(paths[slot], sizeof(paths[slot]), "/tmp/ddf-test-XXXXXX");
    fd = mkstemp(paths[slot]);
    if (fd < 0)
        return NULL;
    f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        return NULL;
    }
    if (len && fwrite(data, 1, len, f) != len) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    return paths[slot];
}

void ddf_test_cleanup_files(void)
{
    for (int i = 0; i < 8; i++) {
        if (paths[i][0])
            unlink(paths[i]);
        paths[i][0] = '\0';
    }
}
