/* test_schema.c - ordered column names and dtypes (common/schema.c). */
#include "testutil.h"

#include "alloc.h"
#include "limits.h"
#include "schema.h"

#include <stdio.h>
#include <string.h>

static int restore_libc(void **state)
{
    (void)state;
    ddf_alloc_set(NULL);
    return 0;
}

/* A schema of inferred int64 fields with the given names. */
static ddf_schema *schema_of(const char *const *names, size_t n)
{
    ddf_schema *s = ddf_schema_new();

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ddf_schema_add(s, names[i], strlen(names[i]), DDF_DTYPE_INT64, 0),
                         DDF_OK);
    return s;
}

static void assert_names(const ddf_schema *s, const char *const *names, size_t n)
{
    assert_int_equal(s->ncols, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(s->fields[i].name, names[i]);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Mangle 'in' and expect 'out' (as pandas 1.5's C parser renames a header). */
#define ASSERT_MANGLES(in, out)                                                          \
    do {                                                                                  \
        ddf_schema *s_ = schema_of(in, COUNT(in));                                        \
        assert_int_equal(ddf_schema_mangle_duplicates(s_), DDF_OK);                       \
        assert_names(s_, out, COUNT(out));                                                \
        ddf_schema_free(s_);                                                              \
    } while (0)

static void test_schema_new_schema_is_empty_and_free_of_null_is_a_no_op(void **state)
{
    ddf_schema *s = ddf_schema_new();

    (void)state;
    assert_non_null(s);
    assert_int_equal(s->ncols, 0);
    assert_int_equal(ddf_schema_find(s, "a"), -1);
    ddf_schema_free(s);
    ddf_schema_free(NULL);
}

static void test_schema_add_keeps_order_dtype_and_flags(void **state)
{
    ddf_schema *s = ddf_schema_new();

    (void)state;
    assert_non_null(s);
    assert_int_equal(ddf_schema_add(s, "id", 2, DDF_DTYPE_INT64, DDF_FIELD_PINNED), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "x", 1, DDF_DTYPE_NULL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "name", 4, DDF_DTYPE_STRING, 0), DDF_OK);
    assert_int_equal(s->ncols, 3);
    assert_string_equal(s->fields[0].name, "id");
    assert_int_equal(s->fields[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(s->fields[0].flags, DDF_FIELD_PINNED);
    assert_string_equal(s->fields[1].name, "x");
    assert_int_equal(s->fields[1].dtype, DDF_DTYPE_NULL);
    assert_int_equal(s->fields[1].flags, 0);
    assert_string_equal(s->fields[2].name, "name");
    assert_int_equal(s->fields[2].dtype, DDF_DTYPE_STRING);
    ddf_schema_free(s);
}

static void test_schema_add_copies_exactly_name_len_bytes(void **state)
{
    ddf_schema *s = ddf_schema_new();
    char name[] = "abcdef";

    (void)state;
    assert_non_null(s);
    assert_int_equal(ddf_schema_add(s, name, 3, DDF_DTYPE_BOOL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, name, 0, DDF_DTYPE_BOOL, 0), DDF_OK);
    name[0] = 'X'; /* the schema holds its own copy */
    assert_string_equal(s->fields[0].name, "abc");
    assert_string_equal(s->fields[1].name, "");
    assert_int_equal(ddf_schema_find(s, "abc"), 0);
    assert_int_equal(ddf_schema_find(s, ""), 1);
    ddf_schema_free(s);
}

static void test_schema_find_returns_the_first_match_or_minus_one(void **state)
{
    static const char *const names[] = {"a", "b", "c", "b"};
    ddf_schema *s = schema_of(names, COUNT(names));

    (void)state;
    assert_int_equal(ddf_schema_find(s, "a"), 0);
    assert_int_equal(ddf_schema_find(s, "b"), 1);
    assert_int_equal(ddf_schema_find(s, "c"), 2);
    assert_int_equal(ddf_schema_find(s, "d"), -1);
    assert_int_equal(ddf_schema_find(s, "B"), -1);
    assert_int_equal(ddf_schema_find(s, "bb"), -1);
    ddf_schema_free(s);
}

static void test_schema_storage_dtype_reads_null_as_float64(void **state)
{
    ddf_schema *s = ddf_schema_new();

    (void)state;
    assert_non_null(s);
    ddf_schema_add(s, "n", 1, DDF_DTYPE_NULL, 0);
    ddf_schema_add(s, "b", 1, DDF_DTYPE_BOOL, 0);
    ddf_schema_add(s, "i", 1, DDF_DTYPE_INT64, 0);
    ddf_schema_add(s, "f", 1, DDF_DTYPE_FLOAT64, 0);
    ddf_schema_add(s, "s", 1, DDF_DTYPE_STRING, 0);
    assert_int_equal(ddf_schema_storage_dtype(s, 0), DDF_DTYPE_FLOAT64);
    assert_int_equal(ddf_schema_storage_dtype(s, 1), DDF_DTYPE_BOOL);
    assert_int_equal(ddf_schema_storage_dtype(s, 2), DDF_DTYPE_INT64);
    assert_int_equal(ddf_schema_storage_dtype(s, 3), DDF_DTYPE_FLOAT64);
    assert_int_equal(ddf_schema_storage_dtype(s, 4), DDF_DTYPE_STRING);
    assert_int_equal(s->fields[0].dtype, DDF_DTYPE_NULL); /* the field itself stays NULL */
    ddf_schema_free(s);
}

static void test_schema_copy_is_deep_and_equal(void **state)
{
    ddf_schema *s = ddf_schema_new(), *c;

    (void)state;
    assert_non_null(s);
    ddf_schema_add(s, "a", 1, DDF_DTYPE_INT64, DDF_FIELD_PINNED);
    ddf_schema_add(s, "b", 1, DDF_DTYPE_NULL, 0);
    c = ddf_schema_copy(s);
    assert_non_null(c);
    assert_true(ddf_schema_equal(s, c));
    assert_ptr_not_equal(c->fields, s->fields);
    assert_ptr_not_equal(c->fields[0].name, s->fields[0].name);
    c->fields[0].name[0] = 'z';
    assert_string_equal(s->fields[0].name, "a");
    assert_false(ddf_schema_equal(s, c));
    ddf_schema_free(s); /* the copy outlives the original */
    assert_string_equal(c->fields[1].name, "b");
    assert_int_equal(c->fields[0].flags, DDF_FIELD_PINNED);
    ddf_schema_free(c);
}

static void test_schema_copy_of_an_empty_schema_is_empty(void **state)
{
    ddf_schema *s = ddf_schema_new(), *c;

    (void)state;
    assert_non_null(s);
    c = ddf_schema_copy(s);
    assert_non_null(c);
    assert_int_equal(c->ncols, 0);
    assert_true(ddf_schema_equal(s, c));
    ddf_schema_free(s);
    ddf_schema_free(c);
}

static void test_schema_equal_compares_names_dtypes_flags_and_count(void **state)
{
    ddf_schema *a = ddf_schema_new(), *b;

    (void)state;
    assert_non_null(a);
    ddf_schema_add(a, "x", 1, DDF_DTYPE_INT64, 0);
    ddf_schema_add(a, "y", 1, DDF_DTYPE_STRING, 0);
    b = ddf_schema_copy(a);
    assert_non_null(b);
    assert_true(ddf_schema_equal(a, b));
    assert_true(ddf_schema_equal(b, a));
    b->fields[1].dtype = DDF_DTYPE_FLOAT64;
    assert_false(ddf_schema_equal(a, b));
    b->fields[1].dtype = DDF_DTYPE_STRING;
    b->fields[0].flags = DDF_FIELD_PINNED;
    assert_false(ddf_schema_equal(a, b));
    b->fields[0].flags = 0;
    b->fields[1].name[0] = 'Y';
    assert_false(ddf_schema_equal(a, b));
    b->fields[1].name[0] = 'y';
    assert_true(ddf_schema_equal(a, b));
    ddf_schema_add(b, "z", 1, DDF_DTYPE_INT64, 0);
    assert_false(ddf_schema_equal(a, b));
    assert_false(ddf_schema_equal(b, a));
    ddf_schema_free(a);
    ddf_schema_free(b);
}

static void test_schema_add_stops_at_max_columns(void **state)
{
    ddf_schema *s = ddf_schema_new(), *c;
    char name[32];

    (void)state;
    assert_non_null(s);
    for (int i = 0; i < DDF_MAX_COLUMNS; i++) {
        int n = snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(ddf_schema_add(s, name, (size_t)n, DDF_DTYPE_INT64, 0), DDF_OK);
    }
    assert_int_equal(s->ncols, DDF_MAX_COLUMNS);
    assert_int_equal(ddf_schema_add(s, "one more", 8, DDF_DTYPE_INT64, 0), DDF_ETOOBIG);
    assert_int_equal(s->ncols, DDF_MAX_COLUMNS);
    assert_int_equal(ddf_schema_find(s, "one more"), -1);
    assert_int_equal(ddf_schema_find(s, "c4095"), DDF_MAX_COLUMNS - 1);
    c = ddf_schema_copy(s); /* a full schema copies */
    assert_non_null(c);
    assert_true(ddf_schema_equal(s, c));
    ddf_schema_free(c);
    ddf_schema_free(s);
}

static void test_schema_mangle_renames_a_later_duplicate(void **state)
{
    static const char *const in[] = {"a", "b", "a"};
    static const char *const out[] = {"a", "b", "a.1"};

    (void)state;
    ASSERT_MANGLES(in, out);
}

static void test_schema_mangle_skips_a_suffix_already_in_the_header(void **state)
{
    static const char *const in[] = {"a", "a", "a.1"};
    static const char *const out[] = {"a", "a.2", "a.1"};

    (void)state;
    ASSERT_MANGLES(in, out);
}

static void test_schema_mangle_numbers_repeats_in_order(void **state)
{
    static const char *const in[] = {"a", "a", "a"};
    static const char *const out[] = {"a", "a.1", "a.2"};

    (void)state;
    ASSERT_MANGLES(in, out);
}

static void test_schema_mangle_leaves_unique_names_alone(void **state)
{
    static const char *const in[] = {"a", "b", "a.1", "A", ""};
    static const char *const out[] = {"a", "b", "a.1", "A", ""};

    (void)state;
    ASSERT_MANGLES(in, out);
}

static void test_schema_mangle_matches_pandas_on_tangled_headers(void **state)
{
    /* Each expected result is what pandas 1.5.3 read_csv (C engine) makes of the header. */
    static const char *const in1[] = {"x", "x", "x.1", "x.2"};
    static const char *const out1[] = {"x", "x.3", "x.1", "x.2"};
    static const char *const in2[] = {"a", "a.1", "a", "a"};
    static const char *const out2[] = {"a", "a.1", "a.2", "a.3"};
    static const char *const in3[] = {"a", "a", "a.1", "a.1", "a"};
    static const char *const out3[] = {"a", "a.2", "a.1", "a.1.1", "a.3"};
    static const char *const in4[] = {"a.1", "a", "a"};
    static const char *const out4[] = {"a.1", "a", "a.2"};
    static const char *const in5[] = {"b", "a", "b", "a", "b", "a"};
    static const char *const out5[] = {"b", "a", "b.1", "a.1", "b.2", "a.2"};

    (void)state;
    ASSERT_MANGLES(in1, out1);
    ASSERT_MANGLES(in2, out2);
    ASSERT_MANGLES(in3, out3);
    ASSERT_MANGLES(in4, out4);
    ASSERT_MANGLES(in5, out5);
}

static void test_schema_mangle_keeps_each_fields_dtype_and_flags(void **state)
{
    ddf_schema *s = ddf_schema_new();

    (void)state;
    assert_non_null(s);
    ddf_schema_add(s, "v", 1, DDF_DTYPE_INT64, 0);
    ddf_schema_add(s, "v", 1, DDF_DTYPE_STRING, DDF_FIELD_PINNED);
    assert_int_equal(ddf_schema_mangle_duplicates(s), DDF_OK);
    assert_string_equal(s->fields[1].name, "v.1");
    assert_int_equal(s->fields[1].dtype, DDF_DTYPE_STRING);
    assert_int_equal(s->fields[1].flags, DDF_FIELD_PINNED);
    assert_int_equal(s->fields[0].dtype, DDF_DTYPE_INT64);
    ddf_schema_free(s);
}

static void test_schema_mangle_of_many_duplicates_makes_every_name_unique(void **state)
{
    ddf_schema *s = ddf_schema_new();
    char want[32];

    (void)state;
    assert_non_null(s);
    for (int i = 0; i < 300; i++)
        assert_int_equal(ddf_schema_add(s, "dup", 3, DDF_DTYPE_INT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_mangle_duplicates(s), DDF_OK);
    assert_string_equal(s->fields[0].name, "dup");
    for (int i = 1; i < 300; i++) {
        snprintf(want, sizeof(want), "dup.%d", i);
        assert_string_equal(s->fields[i].name, want);
    }
    ddf_schema_free(s);
}

static void test_schema_failed_add_leaves_the_schema_unchanged(void **state)
{
    int rc = DDF_ENOMEM;

    (void)state;
    for (long n = 0; rc != DDF_OK; n++) {
        ddf_schema *s;

        assert_true(n < 10);
        ddf_alloc_set(NULL);
        s = ddf_schema_new();
        assert_non_null(s);
        assert_int_equal(ddf_schema_add(s, "a", 1, DDF_DTYPE_INT64, 0), DDF_OK);
        ddf_test_fail_after(n);
        rc = ddf_schema_add(s, "bb", 2, DDF_DTYPE_STRING, DDF_FIELD_PINNED);
        assert_int_equal(rc != DDF_OK, ddf_test_alloc_failed());
        if (rc != DDF_OK) {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_int_equal(s->ncols, 1);
            assert_string_equal(s->fields[0].name, "a");
            assert_int_equal(ddf_schema_find(s, "bb"), -1);
        } else {
            assert_int_equal(s->ncols, 2);
            assert_string_equal(s->fields[1].name, "bb");
        }
        ddf_schema_free(s); /* ASan: nothing of the failed add is left behind */
    }
}

static void test_schema_failed_new_and_copy_return_null(void **state)
{
    static const char *const names[] = {"a", "b", "c", "d"};
    ddf_schema *s = schema_of(names, COUNT(names)), *c = NULL;
    long n;

    (void)state;
    ddf_test_fail_after(0);
    assert_null(ddf_schema_new());
    for (n = 0; c == NULL; n++) {
        assert_true(n < 100);
        ddf_test_fail_after(n);
        c = ddf_schema_copy(s);
        assert_int_equal(c == NULL, ddf_test_alloc_failed());
    }
    assert_true(n > 4); /* the copy allocates per field */
    ddf_alloc_set(NULL);
    assert_true(ddf_schema_equal(s, c));
    ddf_schema_free(c);
    ddf_schema_free(s);
}

static void test_schema_failed_mangle_leaves_a_valid_schema_and_can_be_retried(void **state)
{
    static const char *const in[] = {"a", "a", "b", "a", "b", "a.1"};
    static const char *const out[] = {"a", "a.2", "b", "a.3", "b.1", "a.1"};
    int rc = DDF_ENOMEM;

    (void)state;
    for (long n = 0; rc != DDF_OK; n++) {
        ddf_schema *s;

        assert_true(n < 20);
        ddf_alloc_set(NULL);
        s = schema_of(in, COUNT(in));
        ddf_test_fail_after(n);
        rc = ddf_schema_mangle_duplicates(s);
        assert_int_equal(rc != DDF_OK, ddf_test_alloc_failed());
        ddf_test_fail_after(-1);
        if (rc != DDF_OK) {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_int_equal(s->ncols, COUNT(in));
            for (size_t i = 0; i < s->ncols; i++)
                assert_non_null(s->fields[i].name);
            assert_int_equal(ddf_schema_mangle_duplicates(s), DDF_OK);
        }
        assert_names(s, out, COUNT(out));
        ddf_schema_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_new_schema_is_empty_and_free_of_null_is_a_no_op),
        cmocka_unit_test(test_schema_add_keeps_order_dtype_and_flags),
        cmocka_unit_test(test_schema_add_copies_exactly_name_len_bytes),
        cmocka_unit_test(test_schema_find_returns_the_first_match_or_minus_one),
        cmocka_unit_test(test_schema_storage_dtype_reads_null_as_float64),
        cmocka_unit_test(test_schema_copy_is_deep_and_equal),
        cmocka_unit_test(test_schema_copy_of_an_empty_schema_is_empty),
        cmocka_unit_test(test_schema_equal_compares_names_dtypes_flags_and_count),
        cmocka_unit_test(test_schema_add_stops_at_max_columns),
        cmocka_unit_test(test_schema_mangle_renames_a_later_duplicate),
        cmocka_unit_test(test_schema_mangle_skips_a_suffix_already_in_the_header),
        cmocka_unit_test(test_schema_mangle_numbers_repeats_in_order),
        cmocka_unit_test(test_schema_mangle_leaves_unique_names_alone),
        cmocka_unit_test(test_schema_mangle_matches_pandas_on_tangled_headers),
        cmocka_unit_test(test_schema_mangle_keeps_each_fields_dtype_and_flags),
        cmocka_unit_test(test_schema_mangle_of_many_duplicates_makes_every_name_unique),
        cmocka_unit_test_teardown(test_schema_failed_add_leaves_the_schema_unchanged,
                                  restore_libc),
        cmocka_unit_test_teardown(test_schema_failed_new_and_copy_return_null, restore_libc),
        cmocka_unit_test_teardown(
            test_schema_failed_mangle_leaves_a_valid_schema_and_can_be_retried, restore_libc),
    };

    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
