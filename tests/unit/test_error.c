/* test_error.c - status codes, their names and texts, and ddf_error (common/error.c). */
#include "testutil.h"

#include "error.h"

#include <string.h>

/* Every code of the X-macro, as the test sees it. */
static const struct {
    int code;
    const char *name;
    const char *text;
} codes[] = {
#define CODE_ROW(name, value, text) {value, "DDF_E" #name, text},
    DDF_ERRNO_MAP(CODE_ROW)
#undef CODE_ROW
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void test_error_every_code_has_its_name_and_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        assert_string_equal(ddf_err_name(codes[i].code), codes[i].name);
        assert_string_equal(ddf_strerror(codes[i].code), codes[i].text);
        assert_true(strlen(codes[i].text) > 0);
        assert_string_not_equal(ddf_strerror(codes[i].code), "unknown error");
    }
}

static void test_error_codes_are_negative_and_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        assert_true(codes[i].code < 0);
        for (size_t j = i + 1; j < NCODES; j++) {
            assert_int_not_equal(codes[i].code, codes[j].code);
            assert_string_not_equal(codes[i].name, codes[j].name);
        }
    }
}

static void test_error_known_codes_keep_their_values_and_words(void **state)
{
    (void)state;
    assert_int_equal(DDF_OK, 0);
    assert_int_equal(DDF_ENOMEM, -1);
    assert_string_equal(ddf_err_name(DDF_ENOMEM), "DDF_ENOMEM");
    assert_string_equal(ddf_strerror(DDF_ENOMEM), "out of memory");
    assert_string_equal(ddf_err_name(DDF_EINVAL), "DDF_EINVAL");
    assert_string_equal(ddf_strerror(DDF_EINVAL), "invalid argument");
    assert_string_equal(ddf_err_name(DDF_ETOOBIG), "DDF_ETOOBIG");
    assert_string_equal(ddf_strerror(DDF_EPARSE), "parse error");
}

static void test_error_ok_is_success(void **state)
{
    (void)state;
    assert_string_equal(ddf_err_name(DDF_OK), "DDF_OK");
    assert_string_equal(ddf_strerror(DDF_OK), "success");
}

static void test_error_unknown_codes_have_placeholder_name_and_text(void **state)
{
    (void)state;
    assert_string_equal(ddf_err_name(1), "DDF_E?");
    assert_string_equal(ddf_strerror(1), "unknown error");
    assert_string_equal(ddf_err_name(-10000), "DDF_E?");
    assert_string_equal(ddf_strerror(-10000), "unknown error");
}

static void test_error_init_clears_code_message_and_place(void **state)
{
    ddf_error err;

    (void)state;
    memset(&err, 0x5a, sizeof(err));
    ddf_error_init(&err);
    assert_int_equal(err.code, DDF_OK);
    assert_string_equal(err.msg, "");
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 0);
    assert_int_equal(err.offset, -1);
}

static void test_error_setf_formats_and_returns_the_code(void **state)
{
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_error_setf(&err, DDF_EPARSE, "%s:%d: bad %c", "f.csv", 7, 'x'),
                     DDF_EPARSE);
    assert_int_equal(err.code, DDF_EPARSE);
    assert_string_equal(err.msg, "f.csv:7: bad x");
}

static void test_error_setf_truncates_a_long_message_and_keeps_the_nul(void **state)
{
    char longmsg[3 * DDF_ERROR_MSG_BYTES];
    ddf_error err;

    (void)state;
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    memset(&err, 0x5a, sizeof(err));
    assert_int_equal(ddf_error_setf(&err, DDF_ETOOBIG, "%s", longmsg), DDF_ETOOBIG);
    assert_int_equal(err.msg[DDF_ERROR_MSG_BYTES - 1], '\0');
    assert_int_equal(strlen(err.msg), DDF_ERROR_MSG_BYTES - 1);
    assert_memory_equal(err.msg, longmsg, DDF_ERROR_MSG_BYTES - 1);
}

static void test_error_setf_replaces_an_earlier_longer_message(void **state)
{
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    ddf_error_setf(&err, DDF_EIO, "a rather long first message");
    ddf_error_setf(&err, DDF_ENOENT, "short");
    assert_int_equal(err.code, DDF_ENOENT);
    assert_string_equal(err.msg, "short");
}

static void test_error_setf_with_null_err_only_returns_the_code(void **state)
{
    (void)state;
    assert_int_equal(ddf_error_setf(NULL, DDF_ECORRUPT, "ignored %d", 1), DDF_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_every_code_has_its_name_and_text),
        cmocka_unit_test(test_error_codes_are_negative_and_distinct),
        cmocka_unit_test(test_error_known_codes_keep_their_values_and_words),
        cmocka_unit_test(test_error_ok_is_success),
        cmocka_unit_test(test_error_unknown_codes_have_placeholder_name_and_text),
        cmocka_unit_test(test_error_init_clears_code_message_and_place),
        cmocka_unit_test(test_error_setf_formats_and_returns_the_code),
        cmocka_unit_test(test_error_setf_truncates_a_long_message_and_keeps_the_nul),
        cmocka_unit_test(test_error_setf_replaces_an_earlier_longer_message),
        cmocka_unit_test(test_error_setf_with_null_err_only_returns_the_code),
    };

    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
