/* test_split.c - exact CSV partition boundaries (common/split.c).
 *
 * The core check is an oracle: a brute-force parser finds every record start (data_start
 * and each byte after a '\n' outside quotes, quotes toggling), and the partitions must
 * start at { data_start } and, for each block k >= 1, at the first record start >= b_k
 * (file_size when there is none), tile the region, and carry the line of their first
 * byte. It runs over random CSV-like text and random quote soup for every blocksize from
 * 1 to len + 1 and several data starts, with windows fed in random pieces. */
#include "testutil.h"

#include "alloc.h"
#include "split.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- deterministic randomness (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform-ish in [0, n); n >= 1. */
static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

/* ---- generators ---- */

typedef struct text {
    char *buf;
    size_t len;
    size_t cap;
} text;

static text text_new(size_t cap)
{
    text t = {malloc(cap + 1), 0, cap + 1};

    assert_non_null(t.buf);
    return t;
}

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->buf = realloc(t->buf, t->cap);
        assert_non_null(t->buf);
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* CSV-like text of about 'target' bytes: unquoted and quoted fields, "" escapes, '\n'
 * and "\r\n" inside quotes, LF and CRLF line ends, blank lines, sometimes no final line
 * end, sometimes cut at a random byte (an unbalanced quote). Caller frees t.buf. */
static text gen_csv(size_t target, char quote)
{
    static const char *words[] = {"", "a", "12", "x y", "-3.5", "True", "abc,", "z"};
    text t = text_new(target + 64);
    char q[2] = {quote, '\0'};

    while (t.len < target) {
        size_t fields = 1 + rnd_below(4);
        if (rnd_below(12) == 0) {
            puts_(&t, rnd_below(2) ? "\n" : "\r\n"); /* blank line */
            continue;
        }
        for (size_t f = 0; f < fields; f++) {
            if (f)
                puts_(&t, ",");
            if (rnd_below(2)) {
                puts_(&t, words[rnd_below(8)]);
                continue;
            }
            puts_(&t, q);
            for (size_t piece = rnd_below(5); piece > 0; piece--) {
                switch (rnd_below(6)) {
                case 0:
                    put(&t, q, 1);
                    put(&t, q, 1); /* escaped quote */
                    break;
                case 1:
                    puts_(&t, "\n");
                    break;
                case 2:
                    puts_(&t, "\r\n");
                    break;
                case 3:
                    puts_(&t, ",");
                    break;
                default:
                    puts_(&t, words[rnd_below(8)]);
                }
            }
            puts_(&t, q);
        }
        puts_(&t, rnd_below(3) ? "\n" : "\r\n");
    }
    if (rnd_below(4) == 0 && t.len > 0)
        t.len -= t.buf[t.len - 1] == '\n' ? 1 : 0; /* no final line end */
    if (rnd_below(5) == 0 && t.len > 0)
        t.len = rnd_below(t.len + 1); /* cut anywhere */
    return t;
}

/* 'len' bytes drawn from a tiny alphabet heavy in quotes and line ends. */
static text gen_soup(size_t len, char quote)
{
    const char alphabet[] = {quote, quote, '\n', '\n', '\r', ',', 'a', 'b'};
    text t = text_new(len);

    for (size_t i = 0; i < len; i++)
        put(&t, &alphabet[rnd_below(sizeof(alphabet))], 1);
    return t;
}

/* ---- the oracle ---- */

/* next[i] = the smallest record start q >= i, or len when none (i in [0, len]). Record
 * starts are data_start and every i + 1 with s[i] == '\n' outside quotes, parsing from
 * data_start with quotes toggling. Caller frees. */
static size_t *record_starts_from(const char *s, size_t len, size_t data_start, char quote)
{
    size_t *next = malloc((len + 1) * sizeof(*next));
    bool *is_start = calloc(len + 2, sizeof(*is_start));
    bool quoted = false;

    assert_non_null(next);
    assert_non_null(is_start);
    is_start[data_start] = true;
    for (size_t i = data_start; i < len; i++) {
        if (s[i] == quote)
            quoted = !quoted;
        else if (s[i] == '\n' && !quoted)
            is_start[i + 1] = true;
    }
    next[len] = len;
    for (size_t i = len; i-- > 0;)
        next[i] = is_start[i] ? i : next[i + 1];
    free(is_start);
    return next;
}

/* Line of the byte at 'pos' when the byte at *cursor is on line *line (moving both up to
 * pos, which must not go backwards); the end of the data counts as the line of the last
 * byte. */
static uint64_t line_at(const char *s, size_t len, size_t *cursor, uint64_t *line, size_t pos)
{
    size_t end = pos < len ? pos : len - 1;

    for (; *cursor < end; ++*cursor)
        *line += s[*cursor] == '\n';
    return *line;
}

/* The window a byte-at-a-time reading of the definition gives. */
static void naive_scan(const char *s, size_t len, uint64_t offset, char quote,
                       ddf_split_window *w)
{
    memset(w, 0, sizeof(*w));
    w->offset = offset;
    w->length = len;
    w->first_nl[0] = w->first_nl[1] = DDF_SPLIT_NONE;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == quote) {
            w->quotes++;
        } else if (s[i] == '\n') {
            int p = (int)(w->quotes % 2);
            if (w->first_nl[p] == DDF_SPLIT_NONE) {
                w->first_nl[p] = offset + i;
                w->nl_before[p] = w->newlines;
            }
            w->newlines++;
        }
    }
}

static bool windows_equal(const ddf_split_window *a, const ddf_split_window *b)
{
    return a->offset == b->offset && a->length == b->length && a->quotes == b->quotes &&
           a->newlines == b->newlines && a->first_nl[0] == b->first_nl[0] &&
           a->first_nl[1] == b->first_nl[1] &&
           (a->first_nl[0] == DDF_SPLIT_NONE || a->nl_before[0] == b->nl_before[0]) &&
           (a->first_nl[1] == DDF_SPLIT_NONE || a->nl_before[1] == b->nl_before[1]);
}

/* Scan one window three ways (one feed, random pieces, naive) and check they agree. */
static void scan_checked(const char *s, uint64_t offset, size_t len, char quote,
                         ddf_split_window *out)
{
    ddf_split_window pieces, naive;
    size_t done = 0;

    ddf_split_scan_window(s + offset, len, offset, quote, out);
    ddf_split_scan_init(&pieces, offset);
    while (done < len) {
        size_t take = rnd_below(4) == 0 ? rnd_below(len - done + 1) : rnd_below(70);
        if (take > len - done)
            take = len - done;
        ddf_split_scan_feed(&pieces, s + offset + done, take, quote);
        done += take;
    }
    naive_scan(s + offset, len, offset, quote, &naive);
    if (!windows_equal(out, &naive) || !windows_equal(&pieces, &naive))
        fail_msg("window [%llu, +%zu): scan disagrees with the byte loop",
                 (unsigned long long)offset, len);
}

/* Check that 'parts' (n of them) are what the oracle says for s[0, len). */
static void check_parts(const char *s, size_t len, size_t data_start, uint64_t blocksize,
                        uint64_t first_line, char quote, const ddf_split_part *parts, size_t n)
{
    size_t *next, cursor = data_start;
    uint64_t counted = first_line;
    uint64_t want_n = data_start < len ? (len - data_start + blocksize - 1) / blocksize : 0;

    if (n != want_n)
        fail_msg("len %zu start %zu blocksize %llu: %zu parts, want %llu", len, data_start,
                 (unsigned long long)blocksize, n, (unsigned long long)want_n);
    if (n == 0)
        return;
    next = record_starts_from(s, len, data_start, quote);
    for (size_t k = 0; k < n; k++) {
        uint64_t block = data_start + k * blocksize;
        uint64_t start = k == 0 ? data_start : next[block];
        uint64_t end = k + 1 < n ? next[data_start + (k + 1) * blocksize] : len;
        uint64_t line = line_at(s, len, &cursor, &counted, (size_t)start);
        if (parts[k].offset != start || parts[k].length != end - start ||
            parts[k].first_line != line) {
            free(next);
            fail_msg("len %zu start %zu blocksize %llu part %zu: [%llu, +%llu) line %llu, "
                     "want [%llu, +%llu) line %llu",
                     len, data_start, (unsigned long long)blocksize, k,
                     (unsigned long long)parts[k].offset, (unsigned long long)parts[k].length,
                     (unsigned long long)parts[k].first_line, (unsigned long long)start,
                     (unsigned long long)(end - start), (unsigned long long)line);
        }
    }
    free(next);
}

/* Split s[0, len) in memory through the public scan/resolve API and check the result. */
static void split_and_check(const char *s, size_t len, size_t data_start, uint64_t blocksize,
                            char quote)
{
    uint64_t n = ddf_split_block_count(data_start, len, blocksize);
    ddf_split_window *w = calloc(n ? n : 1, sizeof(*w));
    ddf_split_part *parts = calloc(n ? n : 1, sizeof(*parts));
    uint64_t first_line = 1 + rnd_below(9), pos = data_start;
    ddf_error err;
    int rc;

    assert_non_null(w);
    assert_non_null(parts);
    for (uint64_t k = 0; k < n; k++) {
        uint64_t off, wlen;
        ddf_split_window_range(data_start, len, blocksize, k, &off, &wlen);
        assert_int_equal(off, pos); /* windows tile [data_start, len - 1) */
        pos += wlen;
        scan_checked(s, off, (size_t)wlen, quote, &w[k]);
    }
    if (n)
        assert_int_equal(pos, len - 1);
    ddf_error_init(&err);
    rc = ddf_split_resolve(w, (size_t)n, data_start, len, first_line, parts, &err);
    if (rc != DDF_OK)
        fail_msg("resolve: %s", err.msg);
    check_parts(s, len, data_start, blocksize, first_line, quote, parts, (size_t)n);
    free(parts);
    free(w);
}

/* Every blocksize 1..len+1 at a few data starts. */
static void check_all_blocksizes(const char *s, size_t len, char quote)
{
    size_t starts[] = {0, 1, len / 3, len / 2, len ? len - 1 : 0, len};
    const char *nl = memchr(s, '\n', len);

    if (nl) /* just after a "header" line, the usual case */
        starts[1] = (size_t)(nl - s) + 1;
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        if (starts[i] > len)
            continue;
        for (uint64_t bs = 1; bs <= len + 1; bs++)
            split_and_check(s, len, starts[i], bs, quote);
    }
}

/* ---- tests ---- */

static void test_split_block_count_covers_the_region(void **state)
{
    (void)state;
    assert_int_equal(ddf_split_block_count(0, 0, 1), 0);
    assert_int_equal(ddf_split_block_count(5, 5, 1), 0);
    assert_int_equal(ddf_split_block_count(6, 5, 1), 0);
    assert_int_equal(ddf_split_block_count(0, 10, 0), 0);
    assert_int_equal(ddf_split_block_count(0, 10, 1), 10);
    assert_int_equal(ddf_split_block_count(0, 10, 3), 4);
    assert_int_equal(ddf_split_block_count(0, 10, 5), 2);
    assert_int_equal(ddf_split_block_count(0, 10, 10), 1);
    assert_int_equal(ddf_split_block_count(0, 10, 11), 1);
    assert_int_equal(ddf_split_block_count(3, 10, 3), 3);
    assert_int_equal(ddf_split_block_count(9, 10, 100), 1);
    assert_int_equal(ddf_split_block_count(0, UINT64_MAX, UINT64_MAX), 1);
    assert_int_equal(ddf_split_block_count(0, UINT64_MAX, 1), UINT64_MAX);
    assert_int_equal(ddf_split_block_count(1, UINT64_MAX, UINT64_MAX / 2), 2);
}

static void expect_window(uint64_t data_start, uint64_t size, uint64_t bs, uint64_t k,
                          uint64_t want_off, uint64_t want_len)
{
    uint64_t off = 1234, len = 5678;

    ddf_split_window_range(data_start, size, bs, k, &off, &len);
    assert_int_equal(off, want_off);
    assert_int_equal(len, want_len);
}

static void test_split_windows_tile_the_region_but_its_last_byte(void **state)
{
    (void)state;
    /* blocksize 1: window 0 is empty, each later one the single byte before its block */
    expect_window(0, 4, 1, 0, 0, 0);
    expect_window(0, 4, 1, 1, 0, 1);
    expect_window(0, 4, 1, 3, 2, 1);
    /* one block: everything but the last byte */
    expect_window(0, 10, 10, 0, 0, 9);
    expect_window(0, 10, 1000, 0, 0, 9);
    expect_window(4, 10, 1000, 0, 4, 5);
    /* a one-byte region has an empty window */
    expect_window(9, 10, 3, 0, 9, 0);
    /* data_start > 0: b_k = 2 + 3k, windows [2,4) [4,7) [7,9) */
    expect_window(2, 10, 3, 0, 2, 2);
    expect_window(2, 10, 3, 1, 4, 3);
    expect_window(2, 10, 3, 2, 7, 2);
    /* past the last block: empty, at the end of the scanned range */
    expect_window(2, 10, 3, 3, 9, 0);
    expect_window(5, 5, 3, 0, 5, 0);
    /* no overflow near the top of the range */
    expect_window(0, UINT64_MAX, UINT64_MAX - 1, 0, 0, UINT64_MAX - 2);
    expect_window(0, UINT64_MAX, UINT64_MAX - 1, 1, UINT64_MAX - 2, 1);
    expect_window(1, UINT64_MAX, UINT64_MAX / 2, 1, UINT64_MAX / 2, UINT64_MAX / 2);

    /* and the tiling holds for every small geometry */
    for (uint64_t size = 0; size < 40; size++)
        for (uint64_t start = 0; start <= size; start++)
            for (uint64_t bs = 1; bs <= size + 2; bs++) {
                uint64_t n = ddf_split_block_count(start, size, bs), pos = start;
                for (uint64_t k = 0; k < n; k++) {
                    uint64_t off, len;
                    ddf_split_window_range(start, size, bs, k, &off, &len);
                    assert_int_equal(off, pos);
                    if (k > 0)
                        assert_int_equal(off, start + k * bs - 1);
                    pos += len;
                }
                assert_int_equal(pos, n ? size - 1 : start);
            }
}

static void test_split_quoted_newline_across_a_block_boundary(void **state)
{
    /* Header "a,b\n", then data from byte 4 in blocks of 4 (at 4, 8, 12, 16). Block 8
     * starts inside the quoted field "x\ny\nz" (bytes 6..12): its newlines at 8 and 10
     * are quoted, so partition 1 is empty and partition 2 starts at 14 ("3,w"), line 5. */
    const char *s = "a,b\n1,\"x\ny\nz\"\n3,w\n";
    size_t len = strlen(s), n;
    ddf_split_window w[4];
    ddf_split_part parts[4], *from_file;
    const char *path;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_split_block_count(4, len, 4), 4);
    for (int k = 0; k < 4; k++) {
        uint64_t off, wlen;
        ddf_split_window_range(4, len, 4, (uint64_t)k, &off, &wlen);
        ddf_split_scan_window(s + off, (size_t)wlen, off, '"', &w[k]);
    }
    /* window 0 = [4, 7) ends on the opening quote; window 1 = [7, 11) = x \n y \n has no
     * quote, so its first newline is at relative parity 0, none at parity 1 */
    assert_int_equal(w[0].quotes, 1);
    assert_int_equal(w[1].offset, 7);
    assert_int_equal(w[1].length, 4);
    assert_int_equal(w[1].quotes, 0);
    assert_int_equal(w[1].newlines, 2);
    assert_int_equal(w[1].first_nl[0], 8);
    assert_int_equal(w[1].first_nl[1], DDF_SPLIT_NONE);
    /* window 2 = [11, 15) = z " \n 3: the newline at 13 follows one quote */
    assert_int_equal(w[2].first_nl[1], 13);
    assert_int_equal(w[2].nl_before[1], 0);
    /* window 3 = [15, 17): the final newline at 17 is in no window */
    assert_int_equal(w[3].offset + w[3].length, len - 1);

    ddf_error_init(&err);
    assert_int_equal(ddf_split_resolve(w, 4, 4, len, 2, parts, &err), DDF_OK);
    assert_int_equal(parts[0].offset, 4);
    assert_int_equal(parts[0].length, 10);
    assert_int_equal(parts[0].first_line, 2);
    assert_int_equal(parts[1].offset, 14); /* empty: starts where the next one does */
    assert_int_equal(parts[1].length, 0);
    assert_int_equal(parts[1].first_line, 5);
    assert_int_equal(parts[2].offset, 14);
    assert_int_equal(parts[2].length, 4);
    assert_int_equal(parts[2].first_line, 5);
    assert_int_equal(parts[3].offset, 18); /* nothing starts before the end */
    assert_int_equal(parts[3].length, 0);
    assert_int_equal(parts[3].first_line, 5);

    path = ddf_test_write_file(0, s, len);
    assert_non_null(path);
    assert_int_equal(ddf_split_file(path, 4, 2, 4, '"', &from_file, &n, &err), DDF_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(from_file, parts, sizeof(parts));
    ddf_free(from_file);
}

static void test_split_matches_a_brute_force_parser_for_every_blocksize(void **state)
{
    (void)state;
    rng_state = 0x5eed0001;
    for (int round = 0; round < 150; round++) {
        text t = gen_csv(rnd_below(260), round % 10 == 9 ? '\'' : '"');
        check_all_blocksizes(t.buf, t.len, round % 10 == 9 ? '\'' : '"');
        free(t.buf);
    }
}

static void test_split_matches_a_brute_force_parser_on_quote_soup(void **state)
{
    (void)state;
    rng_state = 0x5eed0002;
    for (int round = 0; round < 150; round++) {
        text t = gen_soup(rnd_below(260), '"');
        check_all_blocksizes(t.buf, t.len, '"');
        free(t.buf);
    }
}

static void test_split_edge_inputs_match_the_brute_force_parser(void **state)
{
    static const char *cases[] = {
        "", "\n", "\n\n", "\"", "\"\n", "\n\"", "\"\"\n\"\"", "a\nb\nc", "a\nb\nc\n",
        "\"\n\"\n\"\n\"\n", "\r\n\r\n", "\"a\r\nb\"\r\nc\r\n", "\"\"\"\n\"\"\"\n",
    };

    (void)state;
    rng_state = 0x5eed0003;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_all_blocksizes(cases[i], strlen(cases[i]), '"');
}

static void test_split_long_windows_scan_like_a_byte_loop(void **state)
{
    (void)state;
    rng_state = 0x5eed0004;
    for (int round = 0; round < 40; round++) {
        /* long windows cross many 64-byte chunks; some have no quote at all */
        text t = round % 4 == 0 ? gen_soup(3000 + rnd_below(3000), '"')
                                : gen_csv(2000 + rnd_below(6000), '"');
        if (round % 5 == 1)
            for (size_t i = 0; i < t.len; i++)
                t.buf[i] = t.buf[i] == '"' ? 'q' : t.buf[i];
        for (int j = 0; j < 6; j++) {
            uint64_t bs = j == 0 ? t.len + 1 : 1 + rnd_below(t.len / 2 + 1);
            size_t start = j % 2 ? rnd_below(t.len + 1) : 0;
            split_and_check(t.buf, t.len, start, bs, '"');
        }
        free(t.buf);
    }
}

static void test_split_long_runs_of_newlines_and_quotes_are_counted_exactly(void **state)
{
    static const char *patterns[] = {"\n", "\"", "\"\n", "\n\n\"", "a\n"};
    size_t len = 20000;
    char *buf = malloc(len);
    ddf_split_window w;

    (void)state;
    assert_non_null(buf);
    rng_state = 0x5eed0007;
    /* runs long enough to overflow any byte-sized counter in a vector loop */
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        size_t plen = strlen(patterns[i]);
        for (size_t j = 0; j < len; j++)
            buf[j] = patterns[i][j % plen];
        scan_checked(buf, 0, len, '"', &w);
        scan_checked(buf, 3, len - 3, '"', &w);
    }
    memset(buf, '\n', len);
    ddf_split_scan_window(buf, len, 100, '"', &w);
    assert_int_equal(w.newlines, len);
    assert_int_equal(w.first_nl[0], 100);
    assert_int_equal(w.first_nl[1], DDF_SPLIT_NONE);
    free(buf);
}

static void test_split_resolve_rejects_windows_that_do_not_tile(void **state)
{
    const char *s = "ab\n\"c\nd\"\nef\n";
    size_t len = strlen(s); /* 12; blocksize 4: windows [0,3) [3,7) [7,11) */
    ddf_split_window w[3], bad[3];
    ddf_split_part parts[3], untouched[3];
    ddf_error err;

    (void)state;
    for (int k = 0; k < 3; k++) {
        uint64_t off, wlen;
        ddf_split_window_range(0, len, 4, (uint64_t)k, &off, &wlen);
        ddf_split_scan_window(s + off, (size_t)wlen, off, '"', &w[k]);
    }
    ddf_error_init(&err);
    assert_int_equal(ddf_split_resolve(w, 3, 0, len, 1, parts, &err), DDF_OK);
    assert_int_equal(parts[1].offset, 9); /* the '\n' at 5 is quoted */
    assert_int_equal(parts[1].first_line, 4);
    memset(untouched, 0xab, sizeof(untouched));

    /* a gap */
    memcpy(bad, w, sizeof(bad));
    bad[1].offset++;
    memcpy(parts, untouched, sizeof(parts));
    assert_int_equal(ddf_split_resolve(bad, 3, 0, len, 1, parts, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "window 1"));
    assert_memory_equal(parts, untouched, sizeof(parts)); /* nothing written */
    /* an overlap running past the scanned range */
    memcpy(bad, w, sizeof(bad));
    bad[2].length = 5;
    assert_int_equal(ddf_split_resolve(bad, 3, 0, len, 1, parts, &err), DDF_EINVAL);
    /* ending short */
    assert_int_equal(ddf_split_resolve(w, 2, 0, len, 1, parts, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "windows end at 7, not at 11"));
    /* no windows for a non-empty region, windows for an empty one */
    assert_int_equal(ddf_split_resolve(w, 0, 0, len, 1, parts, &err), DDF_EINVAL);
    assert_int_equal(ddf_split_resolve(w, 0, len, len, 1, parts, &err), DDF_OK);
    assert_int_equal(ddf_split_resolve(w, 1, len, len, 1, parts, &err), DDF_EINVAL);
    assert_int_equal(ddf_split_resolve(w, 0, len + 1, len, 1, parts, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "past the end"));
    /* a first newline outside its window, counts beyond the length */
    memcpy(bad, w, sizeof(bad));
    bad[1].first_nl[0] = 20;
    assert_int_equal(ddf_split_resolve(bad, 3, 0, len, 1, parts, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "inconsistent"));
    memcpy(bad, w, sizeof(bad));
    bad[2].newlines = 99;
    assert_int_equal(ddf_split_resolve(bad, 3, 0, len, 1, parts, &err), DDF_EINVAL);
    memcpy(bad, w, sizeof(bad));
    bad[1].nl_before[1] = 7;
    assert_int_equal(ddf_split_resolve(bad, 3, 0, len, 1, parts, &err), DDF_EINVAL);
    /* a line number that would overflow */
    assert_int_equal(ddf_split_resolve(w, 3, 0, len, UINT64_MAX - 1, parts, &err),
                     DDF_EINVAL);
    assert_memory_equal(parts, untouched, sizeof(parts));
}

/* A file much larger than the 1 MiB read buffer, split at several blocksizes. */
static void test_split_file_matches_the_brute_force_parser(void **state)
{
    static const uint64_t sizes[] = {1, 7, 4096, 65536, 777777, 1u << 20, 3u << 20, 1u << 30};
    text t;
    const char *path;
    ddf_error err;

    (void)state;
    rng_state = 0x5eed0005;
    t = gen_csv(3u << 20, '"');
    path = ddf_test_write_file(0, t.buf, t.len);
    assert_non_null(path);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t starts[] = {0, 17, t.len - 1000};
        for (size_t j = 0; j < 3; j++) {
            ddf_split_part *parts;
            size_t n;
            uint64_t bs = sizes[i];
            if (bs < 100 && starts[j] != t.len - 1000)
                continue; /* blocksize 1 over 3 MiB: too slow for the oracle; a tail will do */
            ddf_error_init(&err);
            assert_int_equal(ddf_split_file(path, starts[j], 3, bs, '"', &parts, &n, &err),
                             DDF_OK);
            check_parts(t.buf, t.len, starts[j], bs, 3, '"', parts, n);
            ddf_free(parts);
        }
    }
    free(t.buf);
}

static void test_split_file_reports_a_missing_file(void **state)
{
    ddf_split_part *parts = (ddf_split_part *)&parts;
    size_t n = 99;
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_split_file("/nonexistent/ddf-split.csv", 0, 1, 64, '"', &parts, &n,
                                    &err),
                     DDF_ENOENT);
    assert_string_equal(err.msg, "/nonexistent/ddf-split.csv: No such file or directory");
    assert_null(parts);
    assert_int_equal(n, 0);
}

static void test_split_file_reports_a_directory_as_an_io_error(void **state)
{
    ddf_split_part *parts;
    size_t n;
    ddf_error err;

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_split_file("/tmp", 0, 1, 64, '"', &parts, &n, &err), DDF_EIO);
    assert_string_equal(err.msg, "/tmp: Is a directory");
    assert_null(parts);
}

static void test_split_file_with_an_empty_region_has_no_partitions(void **state)
{
    ddf_split_part *parts;
    size_t n = 99;
    ddf_error err;
    const char *path;

    (void)state;
    ddf_error_init(&err);
    path = ddf_test_write_file(1, "a,b\n", 4);
    assert_int_equal(ddf_split_file(path, 4, 2, 64, '"', &parts, &n, &err), DDF_OK);
    assert_null(parts);
    assert_int_equal(n, 0);
    path = ddf_test_write_file(1, "", 0);
    assert_int_equal(ddf_split_file(path, 0, 1, 1, '"', &parts, &n, &err), DDF_OK);
    assert_null(parts);
    assert_int_equal(n, 0);
    /* one byte: one partition, nothing to scan */
    path = ddf_test_write_file(1, "\"", 1);
    assert_int_equal(ddf_split_file(path, 0, 1, 1, '"', &parts, &n, &err), DDF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(parts[0].offset, 0);
    assert_int_equal(parts[0].length, 1);
    assert_int_equal(parts[0].first_line, 1);
    ddf_free(parts);
}

static void test_split_file_rejects_bad_arguments(void **state)
{
    ddf_split_part *parts;
    size_t n;
    ddf_error err;
    const char *path = ddf_test_write_file(2, "a,b\n1,2\n", 8);

    (void)state;
    ddf_error_init(&err);
    assert_int_equal(ddf_split_file(path, 9, 1, 64, '"', &parts, &n, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "data start 9 is past the end (8 bytes)"));
    assert_null(parts);
    assert_int_equal(ddf_split_file(path, 0, 1, 0, '"', &parts, &n, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "block size"));
    assert_int_equal(ddf_split_file(path, 0, 1, 4, '\n', &parts, &n, &err), DDF_EINVAL);
    assert_non_null(strstr(err.msg, "quote"));
}

static void test_split_file_cleans_up_after_each_failed_allocation(void **state)
{
    text t;
    const char *path;
    ddf_error err;
    ddf_split_part *parts;
    size_t n;
    int rc;
    long fail;

    (void)state;
    rng_state = 0x5eed0006;
    t = gen_csv(5000, '"');
    path = ddf_test_write_file(3, t.buf, t.len);
    for (fail = 0;; fail++) {
        ddf_error_init(&err);
        ddf_test_fail_after(fail);
        rc = ddf_split_file(path, 0, 1, 1000, '"', &parts, &n, &err);
        if (!ddf_test_alloc_failed())
            break;
        assert_int_equal(rc, DDF_ENOMEM);
        assert_non_null(strstr(err.msg, "out of memory"));
        assert_null(parts);
        assert_int_equal(n, 0);
    }
    ddf_test_fail_after(-1);
    assert_true(fail >= 3); /* windows, partitions, read buffer */
    assert_int_equal(rc, DDF_OK);
    check_parts(t.buf, t.len, 0, 1000, 1, '"', parts, n);
    ddf_free(parts);
    free(t.buf);
}

static int teardown_files(void **state)
{
    (void)state;
    ddf_test_cleanup_files();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_block_count_covers_the_region),
        cmocka_unit_test(test_split_windows_tile_the_region_but_its_last_byte),
        cmocka_unit_test(test_split_quoted_newline_across_a_block_boundary),
        cmocka_unit_test(test_split_matches_a_brute_force_parser_for_every_blocksize),
        cmocka_unit_test(test_split_matches_a_brute_force_parser_on_quote_soup),
        cmocka_unit_test(test_split_edge_inputs_match_the_brute_force_parser),
        cmocka_unit_test(test_split_long_windows_scan_like_a_byte_loop),
        cmocka_unit_test(test_split_long_runs_of_newlines_and_quotes_are_counted_exactly),
        cmocka_unit_test(test_split_resolve_rejects_windows_that_do_not_tile),
        cmocka_unit_test(test_split_file_matches_the_brute_force_parser),
        cmocka_unit_test(test_split_file_reports_a_missing_file),
        cmocka_unit_test(test_split_file_reports_a_directory_as_an_io_error),
        cmocka_unit_test(test_split_file_with_an_empty_region_has_no_partitions),
        cmocka_unit_test(test_split_file_rejects_bad_arguments),
        cmocka_unit_test(test_split_file_cleans_up_after_each_failed_allocation),
    };

    return cmocka_run_group_tests_name("split", tests, NULL, teardown_files);
}
