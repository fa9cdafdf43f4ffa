/* hash.h - the hash function and byte comparison behind every hash table in ddf (group-by
 * keys, value_counts, nunique's sets).
 *
 * One definition, so the tables agree on what a key hashes to and none pays for a slow
 * one. Keys are short (ids, codes, names): a variable-length memcpy or memcmp is a library
 * call, so tails are read with fixed-size loads that never pass the last byte. */
#ifndef DDF_HASH_H
#define DDF_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* splitmix64's finalizer: a bijection in which every input bit reaches every output bit,
 * so for one 64-bit key equal hashes mean equal keys. */
static inline uint64_t ddf_hash_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The last n < 8 bytes of a string as one number: for a given n, distinct bytes give
 * distinct numbers, so equal lengths and equal tails mean equal bytes. */
static inline uint64_t ddf_hash_tail(const char *s, size_t n)
{
    uint32_t a, b;

    if (n >= 4) {
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4); /* overlaps a when n < 8: together they cover n bytes */
        return (uint64_t)a << 32 | b;
    }
    if (n == 0)
        return 0;
    return (uint64_t)(uint8_t)s[0] << 16 | (uint64_t)(uint8_t)s[n >> 1] << 8 |
           (uint8_t)s[n - 1];
}

/* A 64-bit hash of n bytes (the length included: "a" and "a\0" differ). */
static inline uint64_t ddf_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    uint64_t w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = ddf_hash_mix64(h ^ w);
    }
    return ddf_hash_mix64(h ^ ddf_hash_tail(s, n) ^ 0xff);
}

/* Whether n bytes at a and b are equal. */
static inline bool ddf_bytes_equal(const char *a, const char *b, size_t n)
{
    uint64_t x, y;

    for (; n >= 8; a += 8, b += 8, n -= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
    }
    return ddf_hash_tail(a, n) == ddf_hash_tail(b, n);
}

#endif
