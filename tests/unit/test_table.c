/* test_table.c - named columns owned by one arena (common/table.c). */
#include "testutil.h"

#include "alloc.h"
#include "limits.h"
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

/* The schema (id int64 pinned, x inferred all-null, s string, b bool). */
static ddf_schema *sample_schema(void)
{
    ddf_schema *s = ddf_schema_new();

    assert_non_null(s);
    assert_int_equal(ddf_schema_add(s, "id", 2, DDF_DTYPE_INT64, DDF_FIELD_PINNED), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "x", 1, DDF_DTYPE_NULL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "s", 1, DDF_DTYPE_STRING, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "b", 1, DDF_DTYPE_BOOL, 0), DDF_OK);
    return s;
}

/* Append 'rows' rows to a table of sample_schema(); row i of x is null when i % 3 == 1. */
static void fill(ddf_table *t, size_t rows)
{
    char buf[32];

    for (size_t i = t->nrows; i < t->nrows + rows; i++) {
        int n = snprintf(buf, sizeof(buf), "row%zu", i);
        assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, (int64_t)i), DDF_OK);
        if (i % 3 == 1)
            assert_int_equal(ddf_column_append_null(&t->columns[1], t->arena), DDF_OK);
        else
            assert_int_equal(ddf_column_append_f64(&t->columns[1], t->arena, i * 0.5), DDF_OK);
        assert_int_equal(ddf_column_append_str(&t->columns[2], t->arena, buf, (size_t)n),
                         DDF_OK);
        assert_int_equal(ddf_column_append_bool(&t->columns[3], t->arena, i % 2), DDF_OK);
    }
    t->nrows += rows;
}

static ddf_table *sample_table(size_t rows)
{
    ddf_schema *s = sample_schema();
    ddf_table *t = ddf_table_new_from_schema(s);

    ddf_schema_free(s);
    assert_non_null(t);
    fill(t, rows);
    return t;
}

static void test_table_new_from_schema_names_and_types_every_column(void **state)
{
    ddf_schema *s = sample_schema();
    ddf_table *t = ddf_table_new_from_schema(s);

    (void)state;
    assert_non_null(t);
    assert_non_null(t->arena);
    assert_int_equal(t->ncols, 4);
    assert_int_equal(t->nrows, 0);
    assert_string_equal(t->names[0], "id");
    assert_string_equal(t->names[1], "x");
    assert_string_equal(t->names[2], "s");
    assert_string_equal(t->names[3], "b");
    assert_ptr_not_equal(t->names[0], s->fields[0].name); /* copied into the arena */
    assert_int_equal(t->columns[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(t->columns[1].dtype, DDF_DTYPE_FLOAT64); /* all-null field: float64 */
    assert_int_equal(t->columns[2].dtype, DDF_DTYPE_STRING);
    assert_int_equal(t->columns[3].dtype, DDF_DTYPE_BOOL);
    for (size_t c = 0; c < t->ncols; c++) {
        assert_int_equal(t->columns[c].length, 0);
        assert_int_equal(t->columns[c].null_count, 0);
        assert_null(t->columns[c].validity);
    }
    ddf_schema_free(s); /* the table does not borrow from the schema */
    assert_string_equal(t->names[0], "id");
    ddf_table_free(t);
}

static void test_table_new_from_an_empty_schema_has_no_columns(void **state)
{
    ddf_schema *s = ddf_schema_new();
    ddf_table *t;

    (void)state;
    assert_non_null(s);
    t = ddf_table_new_from_schema(s);
    assert_non_null(t);
    assert_int_equal(t->ncols, 0);
    assert_int_equal(t->nrows, 0);
    ddf_table_free(t);
    ddf_schema_free(s);
}

static void test_table_new_makes_untyped_columns_up_to_max_columns(void **state)
{
    ddf_table *t;

    (void)state;
    t = ddf_table_new(3);
    assert_non_null(t);
    assert_int_equal(t->ncols, 3);
    for (size_t c = 0; c < 3; c++) {
        assert_null(t->names[c]);
        assert_int_equal(t->columns[c].dtype, DDF_DTYPE_NULL);
        assert_int_equal(t->columns[c].length, 0);
    }
    ddf_table_free(t);
    t = ddf_table_new(DDF_MAX_COLUMNS);
    assert_non_null(t);
    assert_int_equal(t->ncols, DDF_MAX_COLUMNS);
    ddf_table_free(t);
    assert_null(ddf_table_new(DDF_MAX_COLUMNS + 1));
    ddf_table_free(NULL);
}

static void test_table_set_column_copies_the_name_and_resets_the_column(void **state)
{
    ddf_table *t = ddf_table_new(2);
    char name[] = "price\0hidden";

    (void)state;
    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 1, name, 5, DDF_DTYPE_FLOAT64), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 0, "", 0, DDF_DTYPE_STRING), DDF_OK);
    name[0] = 'P';
    assert_string_equal(t->names[1], "price");
    assert_string_equal(t->names[0], "");
    assert_int_equal(t->columns[1].dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(t->columns[0].dtype, DDF_DTYPE_STRING);
    assert_int_equal(ddf_column_append_f64(&t->columns[1], t->arena, 2.5), DDF_OK);
    /* Setting it again gives an empty column of the new type. */
    assert_int_equal(ddf_table_set_column(t, 1, "qty", 3, DDF_DTYPE_INT64), DDF_OK);
    assert_string_equal(t->names[1], "qty");
    assert_int_equal(t->columns[1].dtype, DDF_DTYPE_INT64);
    assert_int_equal(t->columns[1].length, 0);
    assert_null(t->columns[1].values.i64);
    ddf_table_free(t);
}

static void test_table_bytes_grow_with_the_data(void **state)
{
    ddf_table *t = sample_table(0);
    size_t empty, small, big;

    (void)state;
    assert_int_equal(ddf_table_bytes(NULL), 0);
    empty = ddf_table_bytes(t);
    assert_true(empty >= sizeof(ddf_table));
    fill(t, 10);
    small = ddf_table_bytes(t);
    assert_true(small >= empty);
    fill(t, 200000);
    big = ddf_table_bytes(t);
    /* at least 8 + 8 + 1 bytes of values, 8 of offsets and ~9 of string per row */
    assert_true(big >= small + 200000 * (8 + 8 + 1 + 8 + 9));
    assert_true(big < small + 200000 * (8 + 8 + 1 + 8 + 9) * 4);
    ddf_table_free(t);
}

static void test_table_equal_holds_for_the_same_content(void **state)
{
    ddf_table *a = sample_table(1000), *b = sample_table(1000);

    (void)state;
    assert_true(ddf_table_equal(a, b));
    assert_true(ddf_table_equal(b, a));
    assert_true(ddf_table_equal(a, a));
    ddf_table_free(a);
    ddf_table_free(b);
}

static void test_table_equal_sees_a_changed_value_null_name_or_type(void **state)
{
    ddf_table *a = sample_table(50), *b = sample_table(50);

    (void)state;
    b->columns[0].values.i64[49] = -1; /* a value */
    assert_false(ddf_table_equal(a, b));
    b->columns[0].values.i64[49] = 49;
    assert_true(ddf_table_equal(a, b));

    b->columns[2].bytes[b->columns[2].values.offsets[7]] = 'R'; /* a string byte */
    assert_false(ddf_table_equal(a, b));
    b->columns[2].bytes[b->columns[2].values.offsets[7]] = 'r';
    assert_true(ddf_table_equal(a, b));

    b->columns[1].validity[0] ^= 1; /* row 0 of x becomes null */
    assert_false(ddf_table_equal(a, b));
    b->columns[1].validity[0] ^= 1;
    assert_true(ddf_table_equal(a, b));

    b->names[3][0] = 'B'; /* a name */
    assert_false(ddf_table_equal(a, b));
    b->names[3][0] = 'b';

    b->columns[0].dtype = DDF_DTYPE_FLOAT64; /* a type, same bits */
    assert_false(ddf_table_equal(a, b));
    b->columns[0].dtype = DDF_DTYPE_INT64;
    assert_true(ddf_table_equal(a, b));
    ddf_table_free(a);
    ddf_table_free(b);
}

static void test_table_equal_sees_a_different_shape(void **state)
{
    ddf_table *a = sample_table(20), *b = sample_table(21), *c = ddf_table_new(3);

    (void)state;
    assert_false(ddf_table_equal(a, b)); /* rows */
    assert_false(ddf_table_equal(b, a));
    assert_non_null(c);
    assert_false(ddf_table_equal(a, c)); /* columns */
    /* a column shorter than nrows: an incomplete table equals nothing */
    b->nrows = 20;
    assert_false(ddf_table_equal(a, b));
    b->columns[0].length = 20;
    b->columns[1].length = 20;
    b->columns[2].length = 20;
    b->columns[3].length = 20;
    assert_true(ddf_table_equal(a, b));
    /* columns that agree with each other but not with nrows: still not a table */
    a->nrows = b->nrows = 19;
    assert_false(ddf_table_equal(a, b));
    assert_false(ddf_table_equal(a, a));
    ddf_table_free(a);
    ddf_table_free(b);
    ddf_table_free(c);
}

static void test_table_equal_treats_nan_as_equal_and_signed_zeros_as_different(void **state)
{
    ddf_table *a = ddf_table_new(1), *b = ddf_table_new(1);

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    ddf_table_set_column(a, 0, "f", 1, DDF_DTYPE_FLOAT64);
    ddf_table_set_column(b, 0, "f", 1, DDF_DTYPE_FLOAT64);
    ddf_column_append_f64(&a->columns[0], a->arena, NAN);
    ddf_column_append_f64(&b->columns[0], b->arena, NAN);
    a->nrows = b->nrows = 1;
    assert_true(ddf_table_equal(a, b));
    ddf_column_append_f64(&a->columns[0], a->arena, 0.0);
    ddf_column_append_f64(&b->columns[0], b->arena, -0.0);
    a->nrows = b->nrows = 2;
    assert_false(ddf_table_equal(a, b));
    ddf_table_free(a);
    ddf_table_free(b);
}

static void test_table_failed_new_from_schema_returns_null_and_leaks_nothing(void **state)
{
    static char name[9000];
    ddf_schema *s = ddf_schema_new();
    ddf_table *t = NULL;
    long n;

    (void)state;
    assert_non_null(s);
    /* Names longer than the arena's small requests: each gets a block of its own. */
    memset(name, 'n', sizeof(name));
    for (int i = 0; i < 3; i++)
        assert_int_equal(ddf_schema_add(s, name, sizeof(name), DDF_DTYPE_INT64, 0), DDF_OK);
    for (n = 0; t == NULL; n++) {
        assert_true(n < 100);
        ddf_test_fail_after(n);
        t = ddf_table_new_from_schema(s);
        assert_int_equal(t == NULL, ddf_test_alloc_failed());
    }
    assert_true(n > 5); /* table, arena, chunk and each name: each failed in turn */
    ddf_alloc_set(NULL);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(strlen(t->names[2]), sizeof(name));
    ddf_table_free(t);
    ddf_schema_free(s);
}

static void test_table_failed_set_column_keeps_the_old_name_and_column(void **state)
{
    static char longname[3 * 8192];
    ddf_table *t = ddf_table_new(1);

    (void)state;
    assert_non_null(t);
    memset(longname, 'q', sizeof(longname));
    assert_int_equal(ddf_table_set_column(t, 0, "old", 3, DDF_DTYPE_INT64), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, 77), DDF_OK);
    ddf_test_fail_after(0); /* a name this long needs a block of its own */
    assert_int_equal(ddf_table_set_column(t, 0, longname, sizeof(longname), DDF_DTYPE_STRING),
                     DDF_ENOMEM);
    assert_true(ddf_test_alloc_failed());
    ddf_alloc_set(NULL);
    assert_string_equal(t->names[0], "old");
    assert_int_equal(t->columns[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(t->columns[0].length, 1);
    assert_int_equal(t->columns[0].values.i64[0], 77);
    assert_int_equal(ddf_table_set_column(t, 0, longname, sizeof(longname), DDF_DTYPE_STRING),
                     DDF_OK);
    assert_int_equal(strlen(t->names[0]), sizeof(longname));
    ddf_table_free(t);
}

static void test_table_failed_new_returns_null_and_leaks_nothing(void **state)
{
    ddf_table *t = NULL;
    long n;

    (void)state;
    for (n = 0; t == NULL; n++) {
        assert_true(n < 100);
        ddf_test_fail_after(n);
        t = ddf_table_new(DDF_MAX_COLUMNS); /* names and columns in blocks of their own */
        assert_int_equal(t == NULL, ddf_test_alloc_failed());
    }
    assert_true(n > 3);
    ddf_alloc_set(NULL);
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_new_from_schema_names_and_types_every_column),
        cmocka_unit_test(test_table_new_from_an_empty_schema_has_no_columns),
        cmocka_unit_test(test_table_new_makes_untyped_columns_up_to_max_columns),
        cmocka_unit_test(test_table_set_column_copies_the_name_and_resets_the_column),
        cmocka_unit_test(test_table_bytes_grow_with_the_data),
        cmocka_unit_test(test_table_equal_holds_for_the_same_content),
        cmocka_unit_test(test_table_equal_sees_a_changed_value_null_name_or_type),
        cmocka_unit_test(test_table_equal_sees_a_different_shape),
        cmocka_unit_test(test_table_equal_treats_nan_as_equal_and_signed_zeros_as_different),
        cmocka_unit_test_teardown(
            test_table_failed_new_from_schema_returns_null_and_leaks_nothing, restore_libc),
        cmocka_unit_test_teardown(test_table_failed_set_column_keeps_the_old_name_and_column,
                                  restore_libc),
        cmocka_unit_test_teardown(test_table_failed_new_returns_null_and_leaks_nothing,
                                  restore_libc),
    };

    return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
