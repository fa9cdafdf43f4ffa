/* testutil.c - what several unit tests share: allocation failure injection, temporary
 * files, and the small-table builders and checks of the kernel tests (group-by, top-k,
 * value_counts, frame ops, eval), kept here so that they build and compare alike. */
#include "testutil.h"

#include "alloc.h"
#include "codec.h"
#include "error.h"

#include <math.h>
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

int ddf_test_restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    ddf_test_fail_after(-1);
    return 0;
}

ddf_table *ddf_test_make_table(size_t ncols, const char *const *names, const ddf_dtype *dtypes,
                               const char *const *vals)
{
    ddf_table *t = ddf_table_new(ncols);
    size_t rows = 0;

    assert_non_null(t);
    for (size_t c = 0; c < ncols; c++) {
        ddf_column *col = &t->columns[c];
        char buf[512], *tok, *save;

        assert_int_equal(ddf_table_set_column(t, c, names[c], strlen(names[c]), dtypes[c]),
                         DDF_OK);
        snprintf(buf, sizeof buf, "%s", vals[c]);
        for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            int rc;
            if (strcmp(tok, ".") == 0)
                rc = ddf_column_append_null(col, t->arena);
            else if (dtypes[c] == DDF_DTYPE_INT64)
                rc = ddf_column_append_i64(col, t->arena, strtoll(tok, NULL, 10));
            else if (dtypes[c] == DDF_DTYPE_FLOAT64)
                rc = ddf_column_append_f64(col, t->arena, strtod(tok, NULL));
            else if (dtypes[c] == DDF_DTYPE_BOOL)
                rc = ddf_column_append_bool(col, t->arena, tok[0] == 'T');
            else
                rc = ddf_column_append_str(col, t->arena, tok[0] == '_' ? "" : tok,
                                           tok[0] == '_' ? 0 : strlen(tok));
            assert_int_equal(rc, DDF_OK);
        }
        if (c > 0)
            assert_int_equal(col->length, rows);
        rows = col->length;
    }
    t->nrows = rows;
    return t;
}

ddf_table *ddf_test_slice(const ddf_table *t, size_t from, size_t to)
{
    ddf_table *s = ddf_table_new(t->ncols);

    assert_non_null(s);
    for (size_t c = 0; c < t->ncols; c++) {
        const ddf_column *src = &t->columns[c];
        ddf_column *dst = &s->columns[c];

        assert_int_equal(ddf_table_set_column(s, c, t->names[c], strlen(t->names[c]),
                                              src->dtype), DDF_OK);
        for (size_t r = from; r < to; r++) {
            const char *p;
            size_t len;
            int rc;

            if (!ddf_column_is_valid(src, r))
                rc = ddf_column_append_null(dst, s->arena);
            else if (src->dtype == DDF_DTYPE_STRING) {
                p = ddf_column_str(src, r, &len);
                rc = ddf_column_append_str(dst, s->arena, p, len);
            } else if (src->dtype == DDF_DTYPE_BOOL)
                rc = ddf_column_append_bool(dst, s->arena, src->values.b8[r]);
            else /* the bits of a float64 too */
                rc = ddf_column_append_i64(dst, s->arena, src->values.i64[r]);
            assert_int_equal(rc, DDF_OK);
        }
    }
    s->nrows = to - from;
    return s;
}

ddf_table *ddf_test_through_codec(const ddf_table *t)
{
    unsigned char *blob;
    size_t len;
    ddf_table *back;
    ddf_error err;

    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_OK);
    assert_int_equal(ddf_codec_decode(blob, len, &back, &err), DDF_OK);
    ddf_free(blob);
    assert_true(ddf_table_equal(t, back));
    return back;
}

ddf_schema *ddf_test_schema_of(const ddf_table *t)
{
    ddf_schema *s = ddf_schema_new();
    assert_non_null(s);
    for (size_t k = 0; k < t->ncols; k++)
        assert_int_equal(
            ddf_schema_add(s, t->names[k], strlen(t->names[k]), t->columns[k].dtype, 0), DDF_OK);
    return s;
}

bool ddf_test_is_missing(const ddf_column *c, size_t i)
{
    return !ddf_column_is_valid(c, i) || (c->dtype == DDF_DTYPE_FLOAT64 && isnan(c->values.f64[i]));
}

uint64_t ddf_test_next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

void ddf_test_shuffled_order(size_t *perm, size_t n, uint64_t *rng)
{
    for (size_t p = 0; p < n; p++)
        perm[p] = p;
    for (size_t p = n; p > 1; p--) {
        size_t j = ddf_test_next_rand(rng) % p, x = perm[p - 1];
        perm[p - 1] = perm[j];
        perm[j] = x;
    }
}
