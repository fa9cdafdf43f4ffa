/* test_expr.c - the expression language's parser and type checker (common/expr.c,
 * common/expr_check.c): precedence, literals, names, every function's signature, error
 * messages with their offsets and carets, limits, garbage, and allocation failures. */
#include "testutil.h"

#include "alloc.h"
#include "arena.h"
#include "expr.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ddf_schema *sales_schema(void)
{
    ddf_schema *s = ddf_schema_new();

    assert_non_null(s);
    assert_int_equal(ddf_schema_add(s, "qty", 3, DDF_DTYPE_INT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "price", 5, DDF_DTYPE_FLOAT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "region", 6, DDF_DTYPE_STRING, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "returned", 8, DDF_DTYPE_BOOL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "odd name", 8, DDF_DTYPE_INT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "empty", 5, DDF_DTYPE_NULL, 0), DDF_OK);
    return s;
}

/* Parse 'text' (must succeed) and return it fully parenthesized, in a static buffer. */
static const char *roundtrip(const char *text)
{
    static char buf[1024];
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *e = NULL;
    ddf_error err;

    assert_non_null(arena);
    ddf_error_init(&err);
    if (ddf_expr_parse(text, strlen(text), arena, &e, &err) != DDF_OK)
        fail_msg("'%s' did not parse: %s at %lld", text, err.msg, (long long)err.offset);
    ddf_expr_format(e, buf, sizeof(buf));
    ddf_arena_free(arena);
    return buf;
}

/* Parse and check 'text'; returns the status and fills 'err' and *dtype. */
static int check_text(const char *text, ddf_dtype *dtype, ddf_error *err)
{
    ddf_schema *schema = sales_schema();
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *e = NULL;
    int rc;

    assert_non_null(arena);
    ddf_error_init(err);
    rc = ddf_expr_parse(text, strlen(text), arena, &e, err);
    if (rc == DDF_OK) {
        rc = ddf_expr_check(e, schema, err);
        *dtype = e->dtype;
    }
    ddf_arena_free(arena);
    ddf_schema_free(schema);
    return rc;
}

static void expect_error(const char *text, int code, const char *msg, long offset)
{
    ddf_dtype t;
    ddf_error err;
    int rc = check_text(text, &t, &err);

    if (rc != code || strcmp(err.msg, msg) != 0 || err.offset != offset)
        fail_msg("'%s': got %d '%s' at %lld, want %d '%s' at %ld", text, rc, err.msg,
                 (long long)err.offset, code, msg, offset);
}

static void test_expr_precedence_and_associativity_follow_python(void **state)
{
    static const char *const cases[][2] = {
        {"a + b * c", "(a + (b * c))"},
        {"a - b - c", "((a - b) - c)"},
        {"a / b // c % d", "(((a / b) // c) % d)"},
        {"a ** b ** c", "(a ** (b ** c))"},
        {"-2**2", "(-(2 ** 2))"},
        {"2**-1", "(2 ** (-1))"},
        {"-a * b", "((-a) * b)"},
        {"a + -b", "(a + (-b))"},
        {"+a", "(+a)"},
        {"(a + b) * c", "((a + b) * c)"},
        {"a < b and c or d", "(((a < b) and c) or d)"},
        {"a or b and c", "(a or (b and c))"},
        {"not a == b", "(not (a == b))"},
        {"not not a", "(not (not a))"},
        {"a > 1 & b < 2", "((a > 1) & (b < 2))"},
        {"a | b & c", "(a | (b & c))"},
        {"~a | b", "((~a) | b)"},
        {"a == 1 | b != 2 and c >= 3", "((a == 1) | ((b != 2) and (c >= 3)))"},
        {"a <= b + 1", "(a <= (b + 1))"},
        {"x in [1, -2, 'a']", "(x in [1, -2, 'a'])"},
        {"x not in [True, None, -1.5]", "(x not in [True, None, -1.5])"},
        {"not x in [1]", "(not (x in [1]))"},
        {"abs(a - 1) + round(b, 2)", "(abs((a - 1)) + round(b, 2))"},
        {"if_else(a > 0, lower(s), 'x')", "if_else((a > 0), lower(s), 'x')"},
        {"((((a))))", "a"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(roundtrip(cases[i][0]), cases[i][1]);
}

static void test_expr_every_literal_form_parses_to_its_value(void **state)
{
    static const char *const cases[][2] = {
        {"42", "42"},
        {"1_000", "1000"},
        {"1.5", "1.5"},
        {".5", "0.5"},
        {"2.", "2.0"},
        {"1e3", "1000.0"},
        {"2.5E-1", "0.25"},
        {"0.1", "0.1"},
        {"1e999", "inf"},
        {"9223372036854775807", "9223372036854775807"},
        {"'single'", "'single'"},
        {"\"double\"", "'double'"},
        {"'it\\'s'", "'it\\'s'"},
        {"\"say \\\"hi\\\"\"", "'say \"hi\"'"},
        {"'a\\nb\\tc\\\\'", "'a\\nb\\tc\\\\'"},
        {"''", "''"},
        {"True", "True"},
        {"False", "False"},
        {"None", "None"},
    };
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *e = NULL;
    ddf_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(roundtrip(cases[i][0]), cases[i][1]);
    assert_int_equal(ddf_expr_parse("'a\\nb'", 6, arena, &e, &err), DDF_OK);
    assert_int_equal(e->kind, DDF_EXPR_STRING);
    assert_int_equal(e->slen, 3);
    assert_memory_equal(e->s, "a\nb", 3);
    assert_int_equal(ddf_expr_parse("  7", 3, arena, &e, &err), DDF_OK);
    assert_int_equal(e->kind, DDF_EXPR_INT);
    assert_int_equal(e->i, 7);
    assert_int_equal(e->offset, 2);
    ddf_arena_free(arena);
    expect_error("9223372036854775808", DDF_EPARSE,
                 "integer literal 9223372036854775808 does not fit in int64", 0);
}

/* -9223372036854775808 is INT64_MIN, as in Python: the sign folds into the literal, so the
 * magnitude 2^63 need not fit. Anywhere else 2^63 is still too big. */
static void test_expr_int64_min_literal_folds_its_sign(void **state)
{
    (void)state;
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *e = NULL;
    ddf_error err;
    ddf_dtype t;

    assert_non_null(arena);
    ddf_error_init(&err);
    const char *lit = "-9223372036854775808", *spaced = " - 9_223_372_036_854_775_808";
    assert_int_equal(ddf_expr_parse(lit, strlen(lit), arena, &e, &err), DDF_OK);
    assert_int_equal(e->kind, DDF_EXPR_INT);
    assert_int_equal(e->i, INT64_MIN);
    assert_int_equal(e->offset, 0);
    assert_int_equal(ddf_expr_parse(spaced, strlen(spaced), arena, &e, &err), DDF_OK);
    assert_int_equal(e->kind, DDF_EXPR_INT);
    assert_int_equal(e->i, INT64_MIN);
    assert_int_equal(e->offset, 1);
    ddf_arena_free(arena);
    assert_string_equal(roundtrip("qty == -9223372036854775808"), "(qty == -9223372036854775808)");
    assert_string_equal(roundtrip("qty - -9223372036854775808"), "(qty - -9223372036854775808)");
    assert_string_equal(roundtrip("--9223372036854775808"), "(--9223372036854775808)");
    assert_string_equal(roundtrip("qty in [-9223372036854775808, 1]"),
                        "(qty in [-9223372036854775808, 1])");
    assert_string_equal(roundtrip("-9223372036854775807"), "(-9223372036854775807)");
    assert_int_equal(check_text("qty == -9223372036854775808", &t, &err), DDF_OK);
    assert_int_equal(t, DDF_DTYPE_BOOL);
    assert_int_equal(check_text("qty ** -9223372036854775808", &t, &err), DDF_OK);
    assert_int_equal(t, DDF_DTYPE_FLOAT64); /* a negative exponent is never int64 */
    expect_error("+9223372036854775808", DDF_EPARSE,
                 "integer literal 9223372036854775808 does not fit in int64", 1);
    expect_error("qty in [9223372036854775808]", DDF_EPARSE,
                 "integer literal 9223372036854775808 does not fit in int64", 8);
    expect_error("-9223372036854775809", DDF_EPARSE,
                 "integer literal 9223372036854775809 does not fit in int64", 1);
    expect_error("-99999999999999999999", DDF_EPARSE,
                 "integer literal 99999999999999999999 does not fit in int64", 1);
    /* '**' binds tighter than the sign: this would be -(2^63 ** 2). */
    expect_error("-9223372036854775808 ** 2", DDF_EPARSE,
                 "integer literal 9223372036854775808 does not fit in int64", 1);
    expect_error("- 9223372036854775808**2", DDF_EPARSE,
                 "integer literal 9223372036854775808 does not fit in int64", 2);
}

static void test_expr_back_quoted_names_are_columns(void **state)
{
    ddf_dtype t = DDF_DTYPE_NULL;
    ddf_error err;

    (void)state;
    assert_string_equal(roundtrip("`odd name` + 1"), "(`odd name` + 1)");
    assert_string_equal(roundtrip("`qty`"), "qty");
    assert_int_equal(check_text("`odd name` * 2", &t, &err), DDF_OK);
    assert_int_equal(t, DDF_DTYPE_INT64);
    expect_error("`odd name", DDF_EPARSE, "unterminated `name`", 0);
    expect_error("1 + ``", DDF_EPARSE, "empty `name`", 4);
    expect_error("`odd nam`", DDF_ETYPE, "unknown column 'odd nam' (did you mean 'odd name'?)",
                 0);
}

static void test_expr_result_dtypes_follow_pandas(void **state)
{
    static const struct {
        const char *text;
        ddf_dtype dtype;
    } cases[] = {
        {"qty + 1", DDF_DTYPE_INT64},
        {"qty - 1", DDF_DTYPE_INT64},
        {"qty * qty", DDF_DTYPE_INT64},
        {"qty / 2", DDF_DTYPE_FLOAT64},
        {"qty // 2 % 3", DDF_DTYPE_INT64},
        {"qty ** 2", DDF_DTYPE_INT64},
        {"qty ** -1", DDF_DTYPE_FLOAT64},
        {"qty ** qty", DDF_DTYPE_FLOAT64},
        {"qty + price", DDF_DTYPE_FLOAT64},
        {"returned + 1", DDF_DTYPE_INT64},
        {"-returned", DDF_DTYPE_INT64},
        {"-price", DDF_DTYPE_FLOAT64},
        {"None + 1", DDF_DTYPE_FLOAT64},
        {"empty + 1", DDF_DTYPE_FLOAT64},
        {"region + 'x'", DDF_DTYPE_STRING},
        {"region == 'EU'", DDF_DTYPE_BOOL},
        {"qty > 1.5 and returned", DDF_DTYPE_BOOL},
        {"(qty > 1) & ~returned | returned", DDF_DTYPE_BOOL},
        {"returned == 1", DDF_DTYPE_BOOL},
        {"region == None", DDF_DTYPE_BOOL},
        {"qty in [1, 2.5, True]", DDF_DTYPE_BOOL},
        {"region not in ['a', None]", DDF_DTYPE_BOOL},
        {"abs(qty)", DDF_DTYPE_INT64},
        {"abs(returned)", DDF_DTYPE_INT64},
        {"abs(price)", DDF_DTYPE_FLOAT64},
        {"round(price, 1)", DDF_DTYPE_FLOAT64},
        {"round(price, -1)", DDF_DTYPE_FLOAT64},
        {"round(qty)", DDF_DTYPE_INT64},
        {"floor(qty)", DDF_DTYPE_FLOAT64},
        {"ceil(price)", DDF_DTYPE_FLOAT64},
        {"sqrt(qty)", DDF_DTYPE_FLOAT64},
        {"exp(qty)", DDF_DTYPE_FLOAT64},
        {"log(price)", DDF_DTYPE_FLOAT64},
        {"log10(price)", DDF_DTYPE_FLOAT64},
        {"pow(qty, 2)", DDF_DTYPE_INT64},
        {"pow(qty, 0.5)", DDF_DTYPE_FLOAT64},
        {"lower(region)", DDF_DTYPE_STRING},
        {"upper(region)", DDF_DTYPE_STRING},
        {"strip(region)", DDF_DTYPE_STRING},
        {"len(region)", DDF_DTYPE_INT64},
        {"contains(region, 'EU')", DDF_DTYPE_BOOL},
        {"startswith(region, 'EU')", DDF_DTYPE_BOOL},
        {"endswith(region, 'st')", DDF_DTYPE_BOOL},
        {"replace(region, '-', ' ')", DDF_DTYPE_STRING},
        {"substr(region, 1)", DDF_DTYPE_STRING},
        {"substr(region, 1, qty)", DDF_DTYPE_STRING},
        {"if_else(returned, qty, price)", DDF_DTYPE_FLOAT64},
        {"if_else(qty > 1, region, None)", DDF_DTYPE_STRING},
        {"fillna(empty, 0)", DDF_DTYPE_FLOAT64},
        {"fillna(region, 'none')", DDF_DTYPE_STRING},
        {"isnull(region)", DDF_DTYPE_BOOL},
        {"notnull(price)", DDF_DTYPE_BOOL},
        {"astype(qty, 'float64')", DDF_DTYPE_FLOAT64},
        {"astype(qty, 'str')", DDF_DTYPE_STRING},
        {"astype(region, 'int')", DDF_DTYPE_INT64},
        {"astype(qty, 'bool')", DDF_DTYPE_BOOL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ddf_dtype t = DDF_DTYPE_NULL;
        ddf_error err;
        if (check_text(cases[i].text, &t, &err) != DDF_OK)
            fail_msg("'%s': %s", cases[i].text, err.msg);
        if (t != cases[i].dtype)
            fail_msg("'%s': got %s, want %s", cases[i].text, ddf_dtype_name(t),
                     ddf_dtype_name(cases[i].dtype));
    }
}

static void test_expr_checked_columns_know_their_schema_index(void **state)
{
    ddf_schema *schema = sales_schema();
    ddf_arena *arena = ddf_arena_new();
    ddf_expr *e = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_expr_parse("price * qty", 11, arena, &e, &err), DDF_OK);
    assert_int_equal(e->args[0]->col, -1);
    assert_int_equal(ddf_expr_check(e, schema, &err), DDF_OK);
    assert_int_equal(e->args[0]->col, 1);
    assert_int_equal(e->args[1]->col, 0);
    assert_int_equal(e->offset, 6);
    assert_int_equal(e->depth, 2);
    ddf_arena_free(arena);
    ddf_schema_free(schema);
}

static void test_expr_every_function_checks_its_arity(void **state)
{
    (void)state;
    for (int f = 0; f < DDF_EXPR_FN_COUNT; f++) {
        const char *name = ddf_expr_func_name((ddf_expr_func)f);
        char text[128], want[128];
        size_t lo = 0, hi = 0;
        ddf_dtype t;
        ddf_error err;

        /* Find the accepted range by trying 0..4 arguments of a neutral column. */
        int ok[5];
        for (size_t n = 0; n < 5; n++) {
            int len = snprintf(text, sizeof(text), "%s(", name);
            for (size_t k = 0; k < n; k++)
                len += snprintf(text + len, sizeof(text) - (size_t)len, "%sqty", k ? ", " : "");
            snprintf(text + len, sizeof(text) - (size_t)len, ")");
            check_text(text, &t, &err);
            ok[n] = strstr(err.msg, "argument") == NULL || strstr(err.msg, "takes") == NULL;
            if (!ok[n]) {
                assert_int_equal(err.code, DDF_ETYPE);
                assert_int_equal(err.offset, 0);
            }
        }
        while (lo < 5 && !ok[lo])
            lo++;
        hi = lo;
        while (hi + 1 < 5 && ok[hi + 1])
            hi++;
        assert_true(lo >= 1 && lo <= 3);
        if (lo == hi)
            snprintf(want, sizeof(want), "%s() takes %zu argument%s, got 4", name, lo,
                     lo == 1 ? "" : "s");
        else
            snprintf(want, sizeof(want), "%s() takes %zu or %zu arguments, got 4", name, lo, hi);
        snprintf(text, sizeof(text), "%s(qty, qty, qty, qty)", name);
        expect_error(text, DDF_ETYPE, want, 0);
    }
    expect_error("1 + abs()", DDF_ETYPE, "abs() takes 1 argument, got 0", 4);
    expect_error("round(1, 2, 3)", DDF_ETYPE, "round() takes 1 or 2 arguments, got 3", 0);
    expect_error("replace(region)", DDF_ETYPE, "replace() takes 3 arguments, got 1", 0);
    expect_error("substr(region)", DDF_ETYPE, "substr() takes 2 or 3 arguments, got 1", 0);
    expect_error("if_else(returned, 1)", DDF_ETYPE, "if_else() takes 3 arguments, got 2", 0);
}

static void test_expr_type_errors_name_the_types_and_point_at_the_culprit(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
        long offset;
    } cases[] = {
        {"region + qty", "cannot add string and int64", 7},
        {"qty - region", "cannot subtract int64 and string", 4},
        {"(qty + 1) * region", "cannot multiply int64 and string", 10},
        {"region / 2", "cannot divide string and int64", 7},
        {"region // 2", "cannot floor-divide string and int64", 7},
        {"region % 2", "cannot take the modulo of string and int64", 7},
        {"region ** 2", "cannot raise to a power string and int64", 7},
        {"region > 5", "cannot compare string and int64", 7},
        {"qty == 'a'", "cannot compare int64 and string", 4},
        {"region in ['a', 1]", "cannot compare string and int64", 16},
        {"qty and returned", "operand of 'and' must be bool, not int64", 0},
        {"returned or qty + 1", "operand of 'or' must be bool, not int64", 12},
        {"returned & price", "operand of '&' must be bool, not float64", 11},
        {"qty | returned", "operand of '|' must be bool, not int64", 0},
        {"not qty", "operand of 'not' must be bool, not int64", 4},
        {"~region", "operand of '~' must be bool, not string", 1},
        {"-region", "bad operand type for unary -: string", 0},
        {"abs(region)", "abs() argument 1 must be a number, not string", 4},
        {"round(region)", "round() argument 1 must be a number, not string", 6},
        {"round(price, qty)", "round() digits must be an integer literal", 13},
        {"floor(region)", "floor() argument 1 must be a number, not string", 6},
        {"ceil(region)", "ceil() argument 1 must be a number, not string", 5},
        {"sqrt(region)", "sqrt() argument 1 must be a number, not string", 5},
        {"exp(region)", "exp() argument 1 must be a number, not string", 4},
        {"log(region)", "log() argument 1 must be a number, not string", 4},
        {"log10(region)", "log10() argument 1 must be a number, not string", 6},
        {"pow(qty, region)", "pow() argument 2 must be a number, not string", 9},
        {"lower(qty)", "lower() argument 1 must be a string, not int64", 6},
        {"upper(price)", "upper() argument 1 must be a string, not float64", 6},
        {"strip(returned)", "strip() argument 1 must be a string, not bool", 6},
        {"len(qty + 1)", "len() argument 1 must be a string, not int64", 4},
        {"contains(qty, 'a')", "contains() argument 1 must be a string, not int64", 9},
        {"contains(region, region)", "contains() argument 2 must be a string literal", 17},
        {"startswith(region, 1)", "startswith() argument 2 must be a string literal", 19},
        {"endswith(region, lower(region))", "endswith() argument 2 must be a string literal",
         17},
        {"replace(region, 'a', 1)", "replace() argument 3 must be a string literal", 21},
        {"replace(region, qty, 'b')", "replace() argument 2 must be a string literal", 16},
        {"substr(region, 1.5)", "substr() argument 2 must be an integer, not float64", 15},
        {"substr(region, 0, 'a')", "substr() argument 3 must be an integer, not string", 18},
        {"if_else(qty, 1, 2)", "if_else() argument 1 must be bool, not int64", 8},
        {"if_else(returned, 1, 'a')", "if_else() cannot join int64 and string into one type",
         21},
        {"if_else(returned, True, 1)", "if_else() cannot join bool and int64 into one type",
         24},
        {"fillna(qty, returned)", "fillna() cannot join int64 and bool into one type", 12},
        {"astype(qty, 'complex')", "astype() got unknown dtype 'complex'", 12},
        {"astype(qty, region)", "astype() argument 2 must be a string literal", 12},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i].text, DDF_ETYPE, cases[i].msg, cases[i].offset);
}

static void test_expr_unknown_names_suggest_the_nearest(void **state)
{
    (void)state;
    expect_error("qyt > 5", DDF_ETYPE, "unknown column 'qyt' (did you mean 'qty'?)", 0);
    expect_error("1 + prise", DDF_ETYPE, "unknown column 'prise' (did you mean 'price'?)", 4);
    expect_error("zzzzzz", DDF_ETYPE, "unknown column 'zzzzzz'", 0);
    /* The nearest candidate wins, not the first close one. */
    expect_error("regio", DDF_ETYPE, "unknown column 'regio' (did you mean 'region'?)", 0);
    expect_error("q", DDF_ETYPE, "unknown column 'q'", 0);
    expect_error("lowr(region)", DDF_EPARSE, "unknown function 'lowr' (did you mean 'lower'?)",
                 0);
    expect_error("frobnicate(1)", DDF_EPARSE, "unknown function 'frobnicate'", 0);
}

static void test_expr_render_error_puts_a_caret_under_the_offset(void **state)
{
    ddf_dtype t;
    ddf_error err;
    char buf[256];
    const char *text;

    (void)state;
    text = "qyt > 5";
    assert_int_equal(check_text(text, &t, &err), DDF_ETYPE);
    ddf_expr_render_error(text, strlen(text), &err, buf, sizeof(buf));
    assert_string_equal(buf, "unknown column 'qyt' (did you mean 'qty'?)\n  qyt > 5\n  ^");

    text = "region + qty";
    assert_int_equal(check_text(text, &t, &err), DDF_ETYPE);
    ddf_expr_render_error(text, strlen(text), &err, buf, sizeof(buf));
    assert_string_equal(buf, "cannot add string and int64\n  region + qty\n         ^");

    text = "qty > 1 and\n\tregion + 1";
    assert_int_equal(check_text(text, &t, &err), DDF_ETYPE);
    ddf_expr_render_error(text, strlen(text), &err, buf, sizeof(buf));
    assert_string_equal(buf, "cannot add string and int64\n  \tregion + 1\n  \t       ^");

    text = "qty +";
    assert_int_equal(check_text(text, &t, &err), DDF_EPARSE);
    ddf_expr_render_error(text, strlen(text), &err, buf, sizeof(buf));
    assert_string_equal(buf, "expected an operand, found end of expression\n  qty +\n       ^");

    ddf_error_init(&err);
    ddf_error_setf(&err, DDF_EINVAL, "no place");
    err.offset = -1;
    assert_int_equal(ddf_expr_render_error("x", 1, &err, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "no place");
    /* A short buffer truncates but reports the full length. */
    assert_int_equal(ddf_expr_render_error("x", 1, &err, buf, 3), 8);
    assert_string_equal(buf, "no");
}

static void test_expr_garbage_gives_parse_errors_with_offsets(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
        long offset;
    } cases[] = {
        {"", "empty expression", 0},
        {"   ", "empty expression", 0},
        {"'abc", "unterminated string literal", 0},
        {"x == \"abc", "unterminated string literal", 5},
        {"'ab\ncd'", "unterminated string literal", 0},
        {"'abc\\", "unterminated string literal", 0},
        {"'\\q'", "unknown escape '\\q' in string literal", 1},
        {"a $ b", "unexpected character '$'", 2},
        {"a \x01", "unexpected byte 0x01", 2},
        {"a = 1", "'=' is assignment; use '==' to compare", 2},
        {"a +", "expected an operand, found end of expression", 3},
        {"* a", "expected an operand, found '*'", 0},
        {"(a", "expected ')' to close the '(' at offset 0", 2},
        {"a)", "expected an operator or end of expression, found ')'", 1},
        {"a b", "expected an operator or end of expression, found 'b'", 2},
        {"a and", "expected an operand, found end of expression", 5},
        {"a < b < c", "chained comparison is not supported; write (a < b) and (b < c)", 6},
        {"a == b in [1]",
         "chained comparison is not supported; write (a < b) and (b < c)", 7},
        {"x in 1", "expected '[' after 'in', found '1'", 5},
        {"x in [a]", "expected a literal in the 'in' list, found 'a'", 6},
        {"x in [1 2]", "expected ',' or ']', found '2'", 8},
        {"x in [-'a']", "expected a number after the sign, found ''a''", 7},
        {"x in [1", "expected ',' or ']', found end of expression", 7},
        {"x in [", "expected a literal in the 'in' list, found end of expression", 6},
        {"abs(1 2)", "expected ',' or ')', found '2'", 6},
        {"1abc", "invalid character 'a' in number", 1},
        {"in", "expected an operand, found 'in'", 0},
        {"a not b", "expected an operator or end of expression, found 'not'", 2},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i].text, DDF_EPARSE, cases[i].msg, cases[i].offset);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);

    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t k = 0; k < n; k++)
        memcpy(s + hl + k * ul, unit, ul);
    memcpy(s + hl + n * ul, tail, tl + 1);
    return s;
}

static void test_expr_nesting_past_the_depth_limit_is_an_error(void **state)
{
    static const char *const msg = "expression nests deeper than 64 levels";
    char *s, *t;
    ddf_dtype dt;
    ddf_error err;

    (void)state;
    /* Just under the limit parses. */
    s = repeat("", "(", 60, "1");
    t = repeat(s, ")", 60, "");
    assert_int_equal(check_text(t, &dt, &err), DDF_OK);
    free(s);
    free(t);

    s = repeat("", "(", 10000, "1");
    t = repeat(s, ")", 10000, "");
    assert_int_equal(check_text(t, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    assert_true(err.offset >= 0 && err.offset < 100);
    free(s);
    free(t);

    s = repeat("", "-", 10000, "1");
    assert_int_equal(check_text(s, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    free(s);
    s = repeat("", "not ", 10000, "True");
    assert_int_equal(check_text(s, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    free(s);
    s = repeat("2", "**2", 10000, "");
    assert_int_equal(check_text(s, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    free(s);
    /* Left-assoc chains are built by a loop, but the tree they make is bounded too. */
    s = repeat("1", "+1", 10000, "");
    assert_int_equal(check_text(s, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    free(s);
    s = repeat("", "abs(", 10000, "1");
    assert_int_equal(check_text(s, &dt, &err), DDF_EPARSE);
    assert_string_equal(err.msg, msg);
    free(s);
    /* A long isin list is wide, not deep. */
    s = repeat("qty in [0", ", 1", 5000, "]");
    assert_int_equal(check_text(s, &dt, &err), DDF_OK);
    assert_int_equal(dt, DDF_DTYPE_BOOL);
    free(s);
}

static void test_expr_text_past_the_length_limit_is_an_error(void **state)
{
    char *s;
    ddf_dtype dt;
    ddf_error err;

    (void)state;
    s = repeat("1", " ", DDF_MAX_EXPR_BYTES - 1, "");
    assert_int_equal(check_text(s, &dt, &err), DDF_OK);
    free(s);
    s = repeat("1", " ", DDF_MAX_EXPR_BYTES, "");
    assert_int_equal(check_text(s, &dt, &err), DDF_ETOOBIG);
    assert_string_equal(err.msg, "expression of 65537 bytes is over the 65536-byte limit");
    assert_int_equal(err.offset, DDF_MAX_EXPR_BYTES);
    free(s);
}

/* A fixed-seed xorshift: the same inputs on every run and platform. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fuzz_one(const char *text, size_t len, ddf_arena *arena, const ddf_schema *schema)
{
    ddf_expr *e = NULL;
    ddf_error err;
    char buf[512];
    int rc;

    ddf_error_init(&err);
    rc = ddf_expr_parse(text, len, arena, &e, &err);
    if (rc == DDF_OK) {
        assert_non_null(e);
        ddf_expr_format(e, buf, sizeof(buf));
        rc = ddf_expr_check(e, schema, &err);
    }
    if (rc != DDF_OK) {
        if (rc != DDF_EPARSE && rc != DDF_ETYPE)
            fail_msg("rc %d for '%.*s'", rc, (int)len, text);
        assert_int_equal(err.code, rc);
        assert_true(err.offset >= 0 && (size_t)err.offset <= len);
        assert_true(strlen(err.msg) > 0);
        ddf_expr_render_error(text, len, &err, buf, sizeof(buf));
    }
    ddf_arena_reset(arena);
}

static void test_expr_random_input_parses_or_fails_cleanly(void **state)
{
    static const char *const toks[] = {
        "qty", "price", "region", "returned", "`odd name`", "empty", "nope", "1", "0", "-1",
        "2.5", "'a'", "\"b\"", "True", "False", "None", "+", "-", "*", "/", "//", "%", "**",
        "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "&", "|", "~", "in", "not in",
        "(", ")", "[", "]", ",", "abs", "round", "lower", "len", "if_else", "fillna",
        "astype", "contains", "substr", "'int64'", "isnull", "pow", "=", "'", "`", "\\",
    };
    static const char alphabet[] = "qtyprice() +-*/%<>=!&|~[],'\"`\\.0123456789eE_ \n\t\x01\xff";
    ddf_schema *schema = sales_schema();
    ddf_arena *arena = ddf_arena_new();
    char text[512];

    (void)state;
    assert_non_null(arena);
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = rng() % 40;
        for (size_t k = 0; k < len; k++)
            text[k] = (iter & 1) ? (char)(rng() & 0xff)
                                 : alphabet[rng() % (sizeof(alphabet) - 1)];
        fuzz_one(text, len, arena, schema);
    }
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = 1 + rng() % 12, len = 0;
        for (size_t k = 0; k < n; k++) {
            const char *t = toks[rng() % (sizeof(toks) / sizeof(toks[0]))];
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", k ? " " : "", t);
        }
        fuzz_one(text, len, arena, schema);
    }
    ddf_arena_free(arena);
    ddf_schema_free(schema);
}

static void test_expr_allocation_failures_are_clean(void **state)
{
    static const char text[] =
        "if_else(qty in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], lower(`odd name`), 'x\\ty') + "
        "replace(region, 'a', 'b') == 'EU' and not returned | (price ** 2 > 1e3)";
    int succeeded = 0;

    (void)state;
    for (long n = 0; n < 1000 && !succeeded; n++) {
        ddf_arena *arena;
        ddf_expr *e = NULL;
        ddf_error err;
        int rc;

        ddf_test_fail_after(n);
        arena = ddf_arena_new();
        if (!arena)
            continue;
        ddf_error_init(&err);
        rc = ddf_expr_parse(text, strlen(text), arena, &e, &err);
        if (ddf_test_alloc_failed()) {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_null(e);
            assert_int_equal(err.code, DDF_ENOMEM);
        } else {
            assert_int_equal(rc, DDF_OK);
            succeeded = 1;
        }
        ddf_arena_free(arena);
    }
    ddf_test_fail_after(-1);
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_precedence_and_associativity_follow_python),
        cmocka_unit_test(test_expr_every_literal_form_parses_to_its_value),
        cmocka_unit_test(test_expr_int64_min_literal_folds_its_sign),
        cmocka_unit_test(test_expr_back_quoted_names_are_columns),
        cmocka_unit_test(test_expr_result_dtypes_follow_pandas),
        cmocka_unit_test(test_expr_checked_columns_know_their_schema_index),
        cmocka_unit_test(test_expr_every_function_checks_its_arity),
        cmocka_unit_test(test_expr_type_errors_name_the_types_and_point_at_the_culprit),
        cmocka_unit_test(test_expr_unknown_names_suggest_the_nearest),
        cmocka_unit_test(test_expr_render_error_puts_a_caret_under_the_offset),
        cmocka_unit_test(test_expr_garbage_gives_parse_errors_with_offsets),
        cmocka_unit_test(test_expr_nesting_past_the_depth_limit_is_an_error),
        cmocka_unit_test(test_expr_text_past_the_length_limit_is_an_error),
        cmocka_unit_test(test_expr_random_input_parses_or_fails_cleanly),
        cmocka_unit_test(test_expr_allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
