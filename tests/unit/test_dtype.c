/* test_dtype.c - dtype names, parsing and the widening lattice (common/dtype.c). */
#include "testutil.h"

#include "dtype.h"
#include "error.h"

#define N DDF_DTYPE_NULL
#define B DDF_DTYPE_BOOL
#define I DDF_DTYPE_INT64
#define F DDF_DTYPE_FLOAT64
#define S DDF_DTYPE_STRING

static const ddf_dtype all[DDF_DTYPE_COUNT] = {N, B, I, F, S};

/* join[a][b], written out from the diagram in dtype.h. */
static const ddf_dtype join_table[DDF_DTYPE_COUNT][DDF_DTYPE_COUNT] = {
    /*        N  B  I  F  S */
    /* N */ {N, B, I, F, S},
    /* B */ {B, B, S, S, S},
    /* I */ {I, S, I, F, S},
    /* F */ {F, S, F, F, S},
    /* S */ {S, S, S, S, S},
};

static void test_dtype_every_type_has_its_name(void **state)
{
    (void)state;
    assert_string_equal(ddf_dtype_name(DDF_DTYPE_NULL), "null");
    assert_string_equal(ddf_dtype_name(DDF_DTYPE_BOOL), "bool");
    assert_string_equal(ddf_dtype_name(DDF_DTYPE_INT64), "int64");
    assert_string_equal(ddf_dtype_name(DDF_DTYPE_FLOAT64), "float64");
    assert_string_equal(ddf_dtype_name(DDF_DTYPE_STRING), "string");
}

static void test_dtype_an_unknown_value_is_named_question_mark(void **state)
{
    (void)state;
    assert_string_equal(ddf_dtype_name((ddf_dtype)DDF_DTYPE_COUNT), "?");
}

static void test_dtype_parse_accepts_every_pandas_spelling(void **state)
{
    static const struct {
        const char *name;
        ddf_dtype dtype;
    } spellings[] = {
        {"int64", I},   {"Int64", I},     {"int", I},      {"float64", F},
        {"Float64", F}, {"float", F},     {"bool", B},     {"boolean", B},
        {"string", S},  {"str", S},       {"object", S},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        ddf_dtype out = DDF_DTYPE_NULL;
        assert_int_equal(ddf_dtype_parse(spellings[i].name, &out), DDF_OK);
        assert_int_equal(out, spellings[i].dtype);
    }
}

static void test_dtype_names_parse_back_to_their_type(void **state)
{
    (void)state;
    for (int d = DDF_DTYPE_BOOL; d < DDF_DTYPE_COUNT; d++) {
        ddf_dtype out = DDF_DTYPE_NULL;
        assert_int_equal(ddf_dtype_parse(ddf_dtype_name((ddf_dtype)d), &out), DDF_OK);
        assert_int_equal(out, d);
    }
}

static void test_dtype_parse_rejects_other_spellings_and_leaves_out_alone(void **state)
{
    static const char *const rejected[] = {
        "", "INT64", "int32", "float32", "int64 ", " int64", "null", "datetime64[ns]",
        "category", "Bool", "string[pyarrow]", "i8",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        ddf_dtype out = DDF_DTYPE_STRING;
        assert_int_equal(ddf_dtype_parse(rejected[i], &out), DDF_EINVAL);
        assert_int_equal(out, DDF_DTYPE_STRING);
    }
}

static void test_dtype_join_follows_the_lattice_table(void **state)
{
    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++)
        for (int b = 0; b < DDF_DTYPE_COUNT; b++)
            assert_int_equal(ddf_dtype_join(all[a], all[b]), join_table[a][b]);
}

static void test_dtype_join_is_commutative(void **state)
{
    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++)
        for (int b = 0; b < DDF_DTYPE_COUNT; b++)
            assert_int_equal(ddf_dtype_join(all[a], all[b]), ddf_dtype_join(all[b], all[a]));
}

static void test_dtype_join_is_associative(void **state)
{
    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++)
        for (int b = 0; b < DDF_DTYPE_COUNT; b++)
            for (int c = 0; c < DDF_DTYPE_COUNT; c++)
                assert_int_equal(ddf_dtype_join(ddf_dtype_join(all[a], all[b]), all[c]),
                                 ddf_dtype_join(all[a], ddf_dtype_join(all[b], all[c])));
}

static void test_dtype_join_is_idempotent_with_null_as_bottom_and_string_as_top(void **state)
{
    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++) {
        assert_int_equal(ddf_dtype_join(all[a], all[a]), all[a]);
        assert_int_equal(ddf_dtype_join(DDF_DTYPE_NULL, all[a]), all[a]);
        assert_int_equal(ddf_dtype_join(DDF_DTYPE_STRING, all[a]), DDF_DTYPE_STRING);
    }
}

static void test_dtype_join_is_an_upper_bound_of_both(void **state)
{
    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++)
        for (int b = 0; b < DDF_DTYPE_COUNT; b++) {
            ddf_dtype j = ddf_dtype_join(all[a], all[b]);
            assert_true(ddf_dtype_fits(all[a], j));
            assert_true(ddf_dtype_fits(all[b], j));
        }
}

static void test_dtype_fits_follows_the_lattice_order(void **state)
{
    /* fits[from][to] */
    static const bool fits[DDF_DTYPE_COUNT][DDF_DTYPE_COUNT] = {
        /*        N  B  I  F  S */
        /* N */ {1, 1, 1, 1, 1},
        /* B */ {0, 1, 0, 0, 1},
        /* I */ {0, 0, 1, 1, 1},
        /* F */ {0, 0, 0, 1, 1},
        /* S */ {0, 0, 0, 0, 1},
    };

    (void)state;
    for (int a = 0; a < DDF_DTYPE_COUNT; a++)
        for (int b = 0; b < DDF_DTYPE_COUNT; b++)
            assert_int_equal(ddf_dtype_fits(all[a], all[b]), fits[a][b]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_every_type_has_its_name),
        cmocka_unit_test(test_dtype_an_unknown_value_is_named_question_mark),
        cmocka_unit_test(test_dtype_parse_accepts_every_pandas_spelling),
        cmocka_unit_test(test_dtype_names_parse_back_to_their_type),
        cmocka_unit_test(test_dtype_parse_rejects_other_spellings_and_leaves_out_alone),
        cmocka_unit_test(test_dtype_join_follows_the_lattice_table),
        cmocka_unit_test(test_dtype_join_is_commutative),
        cmocka_unit_test(test_dtype_join_is_associative),
        cmocka_unit_test(test_dtype_join_is_idempotent_with_null_as_bottom_and_string_as_top),
        cmocka_unit_test(test_dtype_join_is_an_upper_bound_of_both),
        cmocka_unit_test(test_dtype_fits_follows_the_lattice_order),
    };

    return cmocka_run_group_tests_name("dtype", tests, NULL, NULL);
}
