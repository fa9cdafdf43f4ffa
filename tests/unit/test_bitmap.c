/* test_bitmap.c - set-bit counts of validity bitmaps (common/bitmap.c).
 *
 * Counts are checked against a bit-at-a-time count over every length up to a few words,
 * with the bits past the last one set, so a count that reads them shows up; each bitmap
 * is allocated to its exact byte length, so the sanitizer build catches a read past it. */
#include "testutil.h"

#include "bitmap.h"

#include <stdint.h>
#include <stdlib.h>

static size_t count_slowly(const uint8_t *bits, size_t nbits)
{
    size_t set = 0;

    for (size_t i = 0; i < nbits; i++)
        set += (bits[i / 8] >> (i % 8)) & 1u;
    return set;
}

static void test_bitmap_count_matches_a_bit_at_a_time_count(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u;

    (void)state;
    for (size_t nbits = 0; nbits <= 300; nbits++) {
        for (int pattern = 0; pattern < 4; pattern++) {
            size_t nbytes = (nbits + 7) / 8;
            uint8_t *bits = malloc(nbytes ? nbytes : 1);

            assert_non_null(bits);
            for (size_t k = 0; k < nbytes; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
                bits[k] = pattern == 0 ? 0x00 : pattern == 1 ? 0xff : (uint8_t)x;
            }
            if (nbits & 7) /* bits past the last one are set: they must not count */
                bits[nbytes - 1] |= (uint8_t)(0xffu << (nbits & 7));
            assert_int_equal(ddf_bitmap_count(bits, nbits), count_slowly(bits, nbits));
            free(bits);
        }
    }
}

static void test_bitmap_count_of_a_full_and_an_empty_word(void **state)
{
    uint8_t ones[16], zeros[16];

    (void)state;
    for (size_t k = 0; k < sizeof ones; k++)
        ones[k] = 0xff, zeros[k] = 0;
    assert_int_equal(ddf_bitmap_count(ones, 128), 128);
    assert_int_equal(ddf_bitmap_count(ones, 127), 127);
    assert_int_equal(ddf_bitmap_count(ones, 64), 64);
    assert_int_equal(ddf_bitmap_count(ones, 0), 0);
    assert_int_equal(ddf_bitmap_count(zeros, 128), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap_count_matches_a_bit_at_a_time_count),
        cmocka_unit_test(test_bitmap_count_of_a_full_and_an_empty_word),
    };

    return cmocka_run_group_tests_name("bitmap", tests, NULL, NULL);
}
