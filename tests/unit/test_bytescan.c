/* test_bytescan.c - the 16-byte scanner of the CSV fast path (common/bytescan.h) against
 * a byte-by-byte reference. */
#include "testutil.h"

#include "bytescan.h"

#include <stdlib.h>
#include <string.h>

static void reference(const char *p, char a, char b, char c, unsigned *is_a, unsigned *is_bc)
{
    *is_a = 0;
    *is_bc = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (p[i] == a)
            *is_a |= 1u << i;
        if (p[i] == b || p[i] == c)
            *is_bc |= 1u << i;
    }
}

static void test_bytescan_marks_exactly_the_wanted_bytes(void **state)
{
    const char alphabet[] = ",\";\t\r\nax\x80\xff";
    uint64_t seed = 42;
    char buf[16];
    (void)state;

    for (int round = 0; round < 200000; round++) {
        for (int i = 0; i < 16; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
        }
        char a = round % 3 == 0 ? ',' : round % 3 == 1 ? '\t' : ';';
        unsigned got_a, got_bc, want_a, want_bc;
        ddf_bytescan16(buf, a, '"', '\r', &got_a, &got_bc);
        reference(buf, a, '"', '\r', &want_a, &want_bc);
        assert_int_equal(got_a, want_a);
        assert_int_equal(got_bc, want_bc);
    }
}

static void test_bytescan_reads_an_unaligned_window_at_the_end_of_a_buffer(void **state)
{
    char *heap = malloc(17);
    unsigned is_a, is_bc;
    (void)state;

    memcpy(heap, "xa,b\"c\rd,,,,,,,,", 17);
    ddf_bytescan16(heap + 1, ',', '"', '\r', &is_a, &is_bc);
    assert_int_equal(is_a, 0x7f82u); /* a , b " c \r d ,,,,,,,, NUL */
    assert_int_equal(is_bc, (1u << 3) | (1u << 5));
    free(heap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytescan_marks_exactly_the_wanted_bytes),
        cmocka_unit_test(test_bytescan_reads_an_unaligned_window_at_the_end_of_a_buffer),
    };
    return cmocka_run_group_tests_name("bytescan", tests, NULL, NULL);
}
