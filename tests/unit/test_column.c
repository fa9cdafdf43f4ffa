/* test_column.c - typed, nullable columns built in an arena (common/column.c). */
#include "testutil.h"

#include "alloc.h"
#include "column.h"
#include "error.h"

#include <math.h>
#include <string.h>

static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

static bool bit(const ddf_column *col, size_t row)
{
    return ddf_column_is_valid(col, row);
}

/* The string of string row 'row', as a NUL-terminated copy in 'buf' (no NULs inside). */
static const char *str_at(const ddf_column *col, size_t row, char *buf, size_t cap)
{
    size_t len;
    const char *s = ddf_column_str(col, row, &len);

    assert_true(len < cap);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* ---- one value of each dtype per row, shared by the bulk and failure tests ---- */

static int64_t i64_at(size_t i)
{
    return (int64_t)(i * 1000003u) - 500000;
}

static double f64_at(size_t i)
{
    return (double)i * 0.25 - 3.0;
}

static bool bool_at(size_t i)
{
    return i % 3 == 0;
}

/* The string of row 'i': 'i % 41' bytes, some of them NUL. */
static size_t str_at_row(size_t i, char *buf)
{
    size_t len = i % 41;

    for (size_t k = 0; k < len; k++)
        buf[k] = k % 7 == 3 ? '\0' : (char)('a' + (i + k) % 26);
    return len;
}

/* Whether row 'i' of a workload is null: only 'first_null', then every fifth row. */
static bool null_at(size_t i, size_t first_null)
{
    return i == first_null || (i > first_null && i % 5 == 3);
}

static int append_row(ddf_column *col, ddf_arena *arena, size_t i, size_t first_null)
{
    char buf[64];
    size_t len;

    if (null_at(i, first_null))
        return ddf_column_append_null(col, arena);
    switch (col->dtype) {
    case DDF_DTYPE_INT64:
        return ddf_column_append_i64(col, arena, i64_at(i));
    case DDF_DTYPE_FLOAT64:
        return ddf_column_append_f64(col, arena, f64_at(i));
    case DDF_DTYPE_BOOL:
        return ddf_column_append_bool(col, arena, bool_at(i));
    case DDF_DTYPE_STRING:
        len = str_at_row(i, buf);
        return ddf_column_append_str(col, arena, buf, len);
    case DDF_DTYPE_NULL:
        break;
    }
    fail();
    return DDF_EINVAL;
}

/* Check row 'i' of 'col' against what append_row put there. */
static void check_row(const ddf_column *col, size_t i, size_t first_null)
{
    char want[64];
    const char *got;
    size_t len, want_len;

    if (null_at(i, first_null)) {
        assert_false(ddf_column_is_valid(col, i));
        return;
    }
    assert_true(ddf_column_is_valid(col, i));
    switch (col->dtype) {
    case DDF_DTYPE_INT64:
        assert_int_equal(col->values.i64[i], i64_at(i));
        break;
    case DDF_DTYPE_FLOAT64:
        assert_true(col->values.f64[i] == f64_at(i));
        break;
    case DDF_DTYPE_BOOL:
        assert_int_equal(col->values.b8[i], bool_at(i) ? 1 : 0);
        break;
    case DDF_DTYPE_STRING:
        want_len = str_at_row(i, want);
        got = ddf_column_str(col, i, &len);
        assert_int_equal(len, want_len);
        if (len)
            assert_memory_equal(got, want, len);
        break;
    case DDF_DTYPE_NULL:
        fail();
    }
}

static size_t nulls_before(size_t rows, size_t first_null)
{
    size_t n = 0;

    for (size_t i = 0; i < rows; i++)
        n += null_at(i, first_null);
    return n;
}

static const ddf_dtype stored[] = {DDF_DTYPE_BOOL, DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64,
                                   DDF_DTYPE_STRING};
#define NSTORED (sizeof(stored) / sizeof(stored[0]))

/* ---- tests ---- */

static void test_column_init_makes_an_empty_column_without_buffers(void **state)
{
    ddf_column col;

    (void)state;
    memset(&col, 0x5a, sizeof(col));
    ddf_column_init(&col, DDF_DTYPE_FLOAT64);
    assert_int_equal(col.dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(col.length, 0);
    assert_int_equal(col.null_count, 0);
    assert_int_equal(col.capacity, 0);
    assert_null(col.validity);
    assert_null(col.values.i64);
    assert_null(col.bytes);
}

static void test_column_appends_of_each_dtype_without_nulls_have_no_bitmap(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column cols[4];
    char buf[8];

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&cols[0], DDF_DTYPE_INT64);
    ddf_column_init(&cols[1], DDF_DTYPE_FLOAT64);
    ddf_column_init(&cols[2], DDF_DTYPE_BOOL);
    ddf_column_init(&cols[3], DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_i64(&cols[0], arena, INT64_MIN), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&cols[0], arena, INT64_MAX), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&cols[0], arena, 0), DDF_OK);
    assert_int_equal(ddf_column_append_f64(&cols[1], arena, 1.5), DDF_OK);
    assert_int_equal(ddf_column_append_f64(&cols[1], arena, -INFINITY), DDF_OK);
    assert_int_equal(ddf_column_append_f64(&cols[1], arena, 1e300), DDF_OK);
    assert_int_equal(ddf_column_append_bool(&cols[2], arena, true), DDF_OK);
    assert_int_equal(ddf_column_append_bool(&cols[2], arena, false), DDF_OK);
    assert_int_equal(ddf_column_append_bool(&cols[2], arena, true), DDF_OK);
    assert_int_equal(ddf_column_append_str(&cols[3], arena, "one", 3), DDF_OK);
    assert_int_equal(ddf_column_append_str(&cols[3], arena, "two!", 4), DDF_OK);
    assert_int_equal(ddf_column_append_str(&cols[3], arena, "x", 1), DDF_OK);
    for (int c = 0; c < 4; c++) {
        assert_int_equal(cols[c].length, 3);
        assert_int_equal(cols[c].null_count, 0);
        assert_null(cols[c].validity);
        for (size_t r = 0; r < 3; r++)
            assert_true(ddf_column_is_valid(&cols[c], r));
    }
    assert_int_equal(cols[0].values.i64[0], INT64_MIN);
    assert_int_equal(cols[0].values.i64[1], INT64_MAX);
    assert_int_equal(cols[0].values.i64[2], 0);
    assert_true(cols[1].values.f64[0] == 1.5);
    assert_true(cols[1].values.f64[1] == -INFINITY);
    assert_true(cols[1].values.f64[2] == 1e300);
    assert_int_equal(cols[2].values.b8[0], 1);
    assert_int_equal(cols[2].values.b8[1], 0);
    assert_int_equal(cols[2].values.b8[2], 1);
    assert_string_equal(str_at(&cols[3], 0, buf, sizeof(buf)), "one");
    assert_string_equal(str_at(&cols[3], 1, buf, sizeof(buf)), "two!");
    assert_string_equal(str_at(&cols[3], 2, buf, sizeof(buf)), "x");
    assert_int_equal(cols[3].values.offsets[0], 0);
    assert_int_equal(cols[3].values.offsets[3], 8);
    ddf_arena_free(arena);
}

static void test_column_bitmap_is_created_at_the_first_null_with_earlier_rows_valid(void **state)
{
    (void)state;
    /* The first null at every position across two bitmap bytes, for every dtype. */
    for (size_t t = 0; t < NSTORED; t++) {
        for (size_t first = 0; first < 20; first++) {
            ddf_arena *arena = ddf_arena_new();
            ddf_column col;

            assert_non_null(arena);
            ddf_column_init(&col, stored[t]);
            for (size_t i = 0; i < first; i++)
                assert_int_equal(append_row(&col, arena, i, SIZE_MAX), DDF_OK);
            assert_null(col.validity);
            assert_int_equal(ddf_column_append_null(&col, arena), DDF_OK);
            assert_non_null(col.validity);
            assert_int_equal(col.length, first + 1);
            assert_int_equal(col.null_count, 1);
            for (size_t i = 0; i < first; i++) {
                assert_true(bit(&col, i));
                check_row(&col, i, SIZE_MAX);
            }
            assert_false(bit(&col, first));
            /* rows after the null are valid again */
            for (size_t i = first + 1; i < first + 12; i++) {
                assert_int_equal(append_row(&col, arena, i, SIZE_MAX), DDF_OK);
                assert_true(bit(&col, i));
                check_row(&col, i, SIZE_MAX);
            }
            assert_false(bit(&col, first));
            assert_int_equal(col.null_count, 1);
            ddf_arena_free(arena);
        }
    }
}

static void test_column_null_slots_hold_zero_of_their_dtype(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column ci, cf, cb, cs;
    size_t len;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&ci, DDF_DTYPE_INT64);
    ddf_column_init(&cf, DDF_DTYPE_FLOAT64);
    ddf_column_init(&cb, DDF_DTYPE_BOOL);
    ddf_column_init(&cs, DDF_DTYPE_STRING);
    /* Fill the buffers with values first, so a null's slot is not zero by luck. */
    assert_int_equal(ddf_column_reserve(&ci, arena, 64, 0), DDF_OK);
    assert_int_equal(ddf_column_reserve(&cf, arena, 64, 0), DDF_OK);
    assert_int_equal(ddf_column_reserve(&cb, arena, 64, 0), DDF_OK);
    memset(ci.values.i64, 0x77, 64 * sizeof(int64_t));
    memset(cf.values.f64, 0x77, 64 * sizeof(double));
    memset(cb.values.b8, 0x77, 64);
    assert_int_equal(ddf_column_append_str(&cs, arena, "abc", 3), DDF_OK);
    assert_int_equal(ddf_column_append_null(&ci, arena), DDF_OK);
    assert_int_equal(ddf_column_append_null(&cf, arena), DDF_OK);
    assert_int_equal(ddf_column_append_null(&cb, arena), DDF_OK);
    assert_int_equal(ddf_column_append_null(&cs, arena), DDF_OK);
    assert_int_equal(ci.values.i64[0], 0);
    assert_true(cf.values.f64[0] == 0.0 && !signbit(cf.values.f64[0]));
    assert_int_equal(cb.values.b8[0], 0);
    ddf_column_str(&cs, 1, &len);
    assert_int_equal(len, 0);
    assert_int_equal(cs.values.offsets[2], 3);
    assert_int_equal(ddf_column_append_str(&cs, arena, "de", 2), DDF_OK);
    ddf_column_str(&cs, 2, &len);
    assert_int_equal(len, 2);
    ddf_arena_free(arena);
}

static void test_column_null_count_counts_only_nulls(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;
    size_t nulls = 0;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_INT64);
    for (size_t i = 0; i < 1000; i++) {
        if (i % 7 == 2 || i % 11 == 0) {
            assert_int_equal(ddf_column_append_null(&col, arena), DDF_OK);
            nulls++;
        } else {
            assert_int_equal(ddf_column_append_i64(&col, arena, (int64_t)i), DDF_OK);
        }
        assert_int_equal(col.null_count, nulls);
    }
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(bit(&col, i), !(i % 7 == 2 || i % 11 == 0));
    ddf_arena_free(arena);
}

static void test_column_all_null_column_of_every_dtype(void **state)
{
    (void)state;
    for (size_t t = 0; t < NSTORED; t++) {
        ddf_arena *arena = ddf_arena_new();
        ddf_column col;

        assert_non_null(arena);
        ddf_column_init(&col, stored[t]);
        for (size_t i = 0; i < 100; i++)
            assert_int_equal(ddf_column_append_null(&col, arena), DDF_OK);
        assert_int_equal(col.length, 100);
        assert_int_equal(col.null_count, 100);
        for (size_t i = 0; i < 100; i++)
            assert_false(bit(&col, i));
        ddf_arena_free(arena);
    }
}

static void test_column_a_million_rows_of_each_dtype_grow_and_keep_their_values(void **state)
{
    const size_t rows = 1000000;

    (void)state;
    for (size_t t = 0; t < NSTORED; t++) {
        ddf_arena *arena = ddf_arena_new();
        ddf_column col;
        size_t n = stored[t] == DDF_DTYPE_STRING ? rows / 4 : rows;

        assert_non_null(arena);
        ddf_column_init(&col, stored[t]);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(append_row(&col, arena, i, 1000), DDF_OK);
        assert_int_equal(col.length, n);
        assert_true(col.capacity >= n);
        assert_true(col.capacity < 4 * n); /* doubling, not wild over-allocation */
        assert_int_equal(col.null_count, nulls_before(n, 1000));
        for (size_t i = 0; i < n; i++)
            check_row(&col, i, 1000);
        ddf_arena_free(arena);
    }
}

static void test_column_strings_keep_empty_values_and_nul_bytes(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;
    const char *s;
    size_t len;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&col, arena, "", 0), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, NULL, 0), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, "a\0b\0", 4), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, "\0", 1), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, "", 0), DDF_OK);
    assert_int_equal(col.length, 5);
    assert_int_equal(col.null_count, 0);
    assert_null(col.validity); /* an empty string is a value, not a null */
    ddf_column_str(&col, 0, &len);
    assert_int_equal(len, 0);
    ddf_column_str(&col, 1, &len);
    assert_int_equal(len, 0);
    s = ddf_column_str(&col, 2, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "a\0b\0", 4);
    s = ddf_column_str(&col, 3, &len);
    assert_int_equal(len, 1);
    assert_int_equal(s[0], '\0');
    ddf_column_str(&col, 4, &len);
    assert_int_equal(len, 0);
    ddf_arena_free(arena);
}

static void test_column_empty_and_null_strings_read_as_a_pointer_to_zero_bytes(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;
    size_t len = 99;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&col, arena, "", 0), DDF_OK);
    assert_int_equal(ddf_column_append_null(&col, arena), DDF_OK);
    /* No byte is stored, yet each row is a pointer callers may memcpy 0 bytes from. */
    assert_non_null(ddf_column_str(&col, 0, &len));
    assert_int_equal(len, 0);
    len = 99;
    assert_non_null(ddf_column_str(&col, 1, &len));
    assert_int_equal(len, 0);
    ddf_arena_free(arena);
}

static void test_column_long_strings_grow_the_byte_buffer(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;
    static char big[100000];
    const char *s;
    size_t len;

    (void)state;
    assert_non_null(arena);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 13 + 1);
    ddf_column_init(&col, DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&col, arena, "short", 5), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, big, 300), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, big, sizeof(big)), DDF_OK);
    assert_int_equal(ddf_column_append_str(&col, arena, "tail", 4), DDF_OK);
    assert_true(col.bytes_capacity >= 5 + 300 + sizeof(big) + 4);
    s = ddf_column_str(&col, 0, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "short", 5);
    s = ddf_column_str(&col, 1, &len);
    assert_int_equal(len, 300);
    assert_memory_equal(s, big, 300);
    s = ddf_column_str(&col, 2, &len);
    assert_int_equal(len, sizeof(big));
    assert_memory_equal(s, big, sizeof(big));
    s = ddf_column_str(&col, 3, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "tail", 4);
    ddf_arena_free(arena);
}

static void test_column_reserve_makes_later_appends_allocation_free(void **state)
{
    (void)state;
    for (size_t t = 0; t < NSTORED; t++) {
        ddf_arena *arena = ddf_arena_new();
        ddf_column col;

        assert_non_null(arena);
        ddf_column_init(&col, stored[t]);
        assert_int_equal(ddf_column_reserve(&col, arena, 500, 500 * 40), DDF_OK);
        assert_true(col.capacity >= 500);
        if (stored[t] == DDF_DTYPE_STRING) {
            assert_true(col.bytes_capacity >= 500 * 40);
            assert_int_equal(col.values.offsets[0], 0);
        }
        /* Reserve for a bitmap too: the first null allocates it, so put it first. */
        assert_int_equal(append_row(&col, arena, 0, 0), DDF_OK);
        ddf_test_fail_after(0); /* any allocation from here on fails */
        for (size_t i = 1; i < 500; i++)
            assert_int_equal(append_row(&col, arena, i, 0), DDF_OK);
        assert_false(ddf_test_alloc_failed());
        assert_int_equal(ddf_test_alloc_count(), 0);
        ddf_alloc_set(NULL);
        for (size_t i = 0; i < 500; i++)
            check_row(&col, i, 0);
        ddf_arena_free(arena);
    }
}

static void test_column_reserve_below_capacity_changes_nothing(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;
    int64_t *values;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_INT64);
    assert_int_equal(ddf_column_reserve(&col, arena, 100, 0), DDF_OK);
    values = col.values.i64;
    assert_int_equal(ddf_column_append_i64(&col, arena, 42), DDF_OK);
    assert_int_equal(ddf_column_reserve(&col, arena, 10, 0), DDF_OK);
    assert_ptr_equal(col.values.i64, values);
    assert_int_equal(col.capacity, 100);
    assert_int_equal(col.values.i64[0], 42);
    ddf_arena_free(arena);
}

static void test_column_reserve_on_a_column_with_nulls_grows_the_bitmap(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_FLOAT64);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(append_row(&col, arena, i, 4), DDF_OK);
    assert_int_equal(ddf_column_reserve(&col, arena, 5000, 0), DDF_OK);
    for (size_t i = 10; i < 5000; i++)
        assert_int_equal(append_row(&col, arena, i, 4), DDF_OK);
    for (size_t i = 0; i < 5000; i++)
        check_row(&col, i, 4);
    assert_int_equal(col.null_count, nulls_before(5000, 4));
    ddf_arena_free(arena);
}

static void test_column_reserve_of_an_impossible_size_fails_cleanly(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column col, str;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&col, DDF_DTYPE_INT64);
    assert_int_equal(ddf_column_append_i64(&col, arena, 7), DDF_OK);
    assert_int_equal(ddf_column_reserve(&col, arena, SIZE_MAX, 0), DDF_ENOMEM);
    assert_int_equal(ddf_column_reserve(&col, arena, SIZE_MAX / 8, 0), DDF_ENOMEM);
    assert_int_equal(col.length, 1);
    assert_int_equal(col.values.i64[0], 7);
    ddf_column_init(&str, DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_str(&str, arena, "ab", 2), DDF_OK);
    assert_int_equal(ddf_column_reserve(&str, arena, 4, SIZE_MAX), DDF_ENOMEM);
    assert_int_equal(str.length, 1);
    assert_int_equal(ddf_column_append_str(&str, arena, "cd", 2), DDF_OK);
    assert_int_equal(str.values.offsets[2], 4);
    assert_memory_equal(str.bytes, "abcd", 4);
    ddf_arena_free(arena);
}

static void test_column_value_equal_compares_values_of_each_dtype(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column a, b;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&a, DDF_DTYPE_INT64);
    ddf_column_init(&b, DDF_DTYPE_INT64);
    ddf_column_append_i64(&a, arena, 5);
    ddf_column_append_i64(&a, arena, 6);
    ddf_column_append_i64(&b, arena, 6);
    assert_true(ddf_column_value_equal(&a, 1, &b, 0));
    assert_false(ddf_column_value_equal(&a, 0, &b, 0));

    ddf_column_init(&a, DDF_DTYPE_BOOL);
    ddf_column_init(&b, DDF_DTYPE_BOOL);
    ddf_column_append_bool(&a, arena, true);
    ddf_column_append_bool(&a, arena, false);
    ddf_column_append_bool(&b, arena, false);
    assert_true(ddf_column_value_equal(&a, 1, &b, 0));
    assert_false(ddf_column_value_equal(&a, 0, &b, 0));

    ddf_column_init(&a, DDF_DTYPE_STRING);
    ddf_column_init(&b, DDF_DTYPE_STRING);
    ddf_column_append_str(&a, arena, "ab", 2);
    ddf_column_append_str(&a, arena, "a\0c", 3);
    ddf_column_append_str(&a, arena, "", 0);
    ddf_column_append_str(&b, arena, "a\0c", 3);
    ddf_column_append_str(&b, arena, "a\0d", 3);
    ddf_column_append_str(&b, arena, "", 0);
    ddf_column_append_str(&b, arena, "abc", 3);
    assert_true(ddf_column_value_equal(&a, 1, &b, 0));
    assert_false(ddf_column_value_equal(&a, 1, &b, 1)); /* differs after the NUL */
    assert_true(ddf_column_value_equal(&a, 2, &b, 2));  /* "" == "" */
    assert_false(ddf_column_value_equal(&a, 0, &b, 3)); /* a prefix is not equal */
    assert_false(ddf_column_value_equal(&a, 2, &b, 0));

    /* Columns of nothing but empty strings have no byte buffer at all. */
    ddf_column_init(&a, DDF_DTYPE_STRING);
    ddf_column_init(&b, DDF_DTYPE_STRING);
    ddf_column_append_str(&a, arena, "", 0);
    ddf_column_append_str(&b, arena, "", 0);
    ddf_column_append_str(&b, arena, "z", 1);
    assert_true(ddf_column_value_equal(&a, 0, &b, 0));
    assert_false(ddf_column_value_equal(&a, 0, &b, 1));
    ddf_arena_free(arena);
}

static void test_column_value_equal_compares_floats_by_bits(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column a;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&a, DDF_DTYPE_FLOAT64);
    ddf_column_append_f64(&a, arena, NAN);    /* 0 */
    ddf_column_append_f64(&a, arena, NAN);    /* 1 */
    ddf_column_append_f64(&a, arena, 0.0);    /* 2 */
    ddf_column_append_f64(&a, arena, -0.0);   /* 3 */
    ddf_column_append_f64(&a, arena, 1.0);    /* 4 */
    ddf_column_append_f64(&a, arena, 1.0);    /* 5 */
    ddf_column_append_f64(&a, arena, 0.0);    /* 6 */
    assert_true(ddf_column_value_equal(&a, 0, &a, 1));  /* NaN == NaN */
    assert_false(ddf_column_value_equal(&a, 2, &a, 3)); /* 0.0 != -0.0 */
    assert_false(ddf_column_value_equal(&a, 3, &a, 2));
    assert_true(ddf_column_value_equal(&a, 4, &a, 5));
    assert_true(ddf_column_value_equal(&a, 2, &a, 6));
    assert_false(ddf_column_value_equal(&a, 0, &a, 4));
    assert_false(ddf_column_value_equal(&a, 2, &a, 0));
    ddf_arena_free(arena);
}

static void test_column_value_equal_treats_null_as_equal_only_to_null(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column a, b, c;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&a, DDF_DTYPE_FLOAT64);
    ddf_column_init(&b, DDF_DTYPE_FLOAT64);
    ddf_column_init(&c, DDF_DTYPE_FLOAT64);
    ddf_column_append_f64(&a, arena, 0.0);
    ddf_column_append_null(&a, arena); /* slot holds 0.0 too */
    ddf_column_append_f64(&b, arena, 3.0);
    ddf_column_append_null(&b, arena);
    ddf_column_append_f64(&c, arena, 0.0); /* no bitmap at all */
    assert_true(ddf_column_value_equal(&a, 1, &b, 1)); /* null == null */
    assert_false(ddf_column_value_equal(&a, 1, &a, 0)); /* null != 0.0 in its slot */
    assert_false(ddf_column_value_equal(&a, 0, &a, 1));
    assert_false(ddf_column_value_equal(&c, 0, &b, 1));
    assert_true(ddf_column_value_equal(&c, 0, &a, 0)); /* bitmap or not, both valid */
    ddf_arena_free(arena);
}

static void test_column_value_equal_is_false_across_dtypes(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_column i, f, ni, nf;

    (void)state;
    assert_non_null(arena);
    ddf_column_init(&i, DDF_DTYPE_INT64);
    ddf_column_init(&f, DDF_DTYPE_FLOAT64);
    ddf_column_init(&ni, DDF_DTYPE_INT64);
    ddf_column_init(&nf, DDF_DTYPE_FLOAT64);
    ddf_column_append_i64(&i, arena, 0);
    ddf_column_append_f64(&f, arena, 0.0); /* the same bits */
    ddf_column_append_null(&ni, arena);
    ddf_column_append_null(&nf, arena);
    assert_false(ddf_column_value_equal(&i, 0, &f, 0));
    assert_false(ddf_column_value_equal(&ni, 0, &nf, 0));
    ddf_arena_free(arena);
}

/* Append 'rows' rows under failure injection after n = 0, 1, 2, ... allocations. Each
 * failed append must return DDF_ENOMEM and leave the column as it was; appending again
 * once memory is back must carry on as if nothing had happened. */
static void append_under_failures(ddf_dtype dtype, size_t rows, size_t first_null)
{
    long n;
    int failed = 1;

    for (n = 0; failed; n++) {
        ddf_arena *arena;
        ddf_column col;
        int rc;

        assert_true(n < 1000);
        failed = 0;
        ddf_alloc_set(NULL);
        arena = ddf_arena_new();
        assert_non_null(arena);
        ddf_column_init(&col, dtype);
        ddf_test_fail_after(n);
        for (size_t i = 0; i < rows; i++) {
            rc = append_row(&col, arena, i, first_null);
            if (rc == DDF_OK)
                continue;
            assert_int_equal(rc, DDF_ENOMEM);
            assert_true(ddf_test_alloc_failed());
            failed = 1;
            assert_int_equal(col.length, i);
            assert_int_equal(col.null_count, nulls_before(i, first_null));
            for (size_t r = 0; r < i; r++)
                check_row(&col, r, first_null);
            ddf_test_fail_after(-1); /* memory is back: the same row goes in now */
            assert_int_equal(append_row(&col, arena, i, first_null), DDF_OK);
        }
        assert_int_equal(col.length, rows);
        assert_int_equal(col.null_count, nulls_before(rows, first_null));
        for (size_t r = 0; r < rows; r++)
            check_row(&col, r, first_null);
        ddf_arena_free(arena);
    }
    assert_true(n > 5); /* several allocations were failed in turn */
}

static void test_column_failed_appends_leave_the_column_unchanged(void **state)
{
    (void)state;
    for (size_t t = 0; t < NSTORED; t++) {
        /* Enough rows that buffers outgrow the arena's chunks into blocks of their own. */
        append_under_failures(stored[t], 100000, 3);        /* bitmap made while small */
        append_under_failures(stored[t], 100000, 70000);    /* bitmap made when large */
        append_under_failures(stored[t], 100000, SIZE_MAX); /* no nulls at all */
    }
}

static void test_column_failed_reserve_leaves_the_values_intact(void **state)
{
    (void)state;
    for (size_t t = 0; t < NSTORED; t++) {
        int rc = DDF_ENOMEM;

        for (long n = 0; rc != DDF_OK; n++) {
            ddf_arena *arena;
            ddf_column col;

            assert_true(n < 100);
            ddf_alloc_set(NULL);
            arena = ddf_arena_new();
            assert_non_null(arena);
            ddf_column_init(&col, stored[t]);
            for (size_t i = 0; i < 20; i++)
                assert_int_equal(append_row(&col, arena, i, 5), DDF_OK);
            ddf_test_fail_after(n);
            rc = ddf_column_reserve(&col, arena, 100000, 1000000);
            assert_true(rc == DDF_OK || rc == DDF_ENOMEM);
            assert_int_equal(rc != DDF_OK, ddf_test_alloc_failed());
            assert_int_equal(col.length, 20);
            for (size_t i = 0; i < 20; i++)
                check_row(&col, i, 5);
            ddf_test_fail_after(-1);
            for (size_t i = 20; i < 200; i++)
                assert_int_equal(append_row(&col, arena, i, 5), DDF_OK);
            for (size_t i = 0; i < 200; i++)
                check_row(&col, i, 5);
            ddf_arena_free(arena);
        }
    }
}

/* append_from copies a row's value, or its null, for every dtype. */
static void test_column_append_from_copies_values_and_nulls(void **state)
{
    static const ddf_dtype dtypes[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_BOOL,
                                       DDF_DTYPE_STRING};
    ddf_arena *a = ddf_arena_new();

    (void)state;
    assert_non_null(a);
    for (size_t d = 0; d < 4; d++) {
        ddf_column src, dst;

        ddf_column_init(&src, dtypes[d]);
        ddf_column_init(&dst, dtypes[d]);
        assert_int_equal(dtypes[d] == DDF_DTYPE_INT64    ? ddf_column_append_i64(&src, a, -5)
                         : dtypes[d] == DDF_DTYPE_FLOAT64 ? ddf_column_append_f64(&src, a, -0.0)
                         : dtypes[d] == DDF_DTYPE_BOOL    ? ddf_column_append_bool(&src, a, true)
                                                          : ddf_column_append_str(&src, a, "a\0b", 3),
                         DDF_OK);
        assert_int_equal(ddf_column_append_null(&src, a), DDF_OK);
        for (size_t r = 0; r < 2; r++)
            assert_int_equal(ddf_column_append_from(&dst, a, &src, 1 - r), DDF_OK);
        assert_int_equal(dst.length, 2);
        assert_false(ddf_column_is_valid(&dst, 0));
        assert_true(ddf_column_value_equal(&dst, 1, &src, 0));
    }
    ddf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_append_from_copies_values_and_nulls),
        cmocka_unit_test(test_column_init_makes_an_empty_column_without_buffers),
        cmocka_unit_test(test_column_appends_of_each_dtype_without_nulls_have_no_bitmap),
        cmocka_unit_test(test_column_bitmap_is_created_at_the_first_null_with_earlier_rows_valid),
        cmocka_unit_test(test_column_null_slots_hold_zero_of_their_dtype),
        cmocka_unit_test(test_column_null_count_counts_only_nulls),
        cmocka_unit_test(test_column_all_null_column_of_every_dtype),
        cmocka_unit_test(test_column_a_million_rows_of_each_dtype_grow_and_keep_their_values),
        cmocka_unit_test(test_column_strings_keep_empty_values_and_nul_bytes),
        cmocka_unit_test(test_column_empty_and_null_strings_read_as_a_pointer_to_zero_bytes),
        cmocka_unit_test(test_column_long_strings_grow_the_byte_buffer),
        cmocka_unit_test_teardown(test_column_reserve_makes_later_appends_allocation_free,
                                  restore_libc),
        cmocka_unit_test(test_column_reserve_below_capacity_changes_nothing),
        cmocka_unit_test(test_column_reserve_on_a_column_with_nulls_grows_the_bitmap),
        cmocka_unit_test(test_column_reserve_of_an_impossible_size_fails_cleanly),
        cmocka_unit_test(test_column_value_equal_compares_values_of_each_dtype),
        cmocka_unit_test(test_column_value_equal_compares_floats_by_bits),
        cmocka_unit_test(test_column_value_equal_treats_null_as_equal_only_to_null),
        cmocka_unit_test(test_column_value_equal_is_false_across_dtypes),
        cmocka_unit_test_teardown(test_column_failed_appends_leave_the_column_unchanged,
                                  restore_libc),
        cmocka_unit_test_teardown(test_column_failed_reserve_leaves_the_values_intact,
                                  restore_libc),
    };

    return cmocka_run_group_tests_name("column", tests, NULL, NULL);
}
