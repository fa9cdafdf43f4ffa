/* split.c - exact partition boundaries for a CSV byte range (see split.h, DESIGN §2).
 *
 * A partition starts just after a '\n' that is outside quotes. Whether a '\n' is outside
 * quotes depends only on the parity of the quote characters before it (split.h says why),
 * so the file is cut in two passes:
 *
 * - scan (parallel, one call per block): a window of bytes is summarised by its quote and
 *   newline counts and, for each relative parity p, the first '\n' reached with p quotes
 *   (mod 2) since the window start and the newlines before it. The summary does not depend
 *   on what came before the window, which is what lets blocks be scanned independently.
 * - resolve (cheap, O(blocks)): the prefix sum of the quote counts gives each window's
 *   absolute parity at its start; a block's partition starts after its window's first
 *   '\n' whose relative parity equals that start parity (so the absolute parity is even).
 *
 * Geometry, for blocks b_k = data_start + k * blocksize over [data_start, file_size):
 * window 0 = [data_start, b_1 - 1), window k >= 1 = [b_k - 1, min(b_{k+1}, file_size) - 1).
 * The windows tile [data_start, file_size - 1); a '\n' at position x in window k >= 1 is a
 * boundary x + 1 in [b_k, b_{k+1}), i.e. inside block k. The file's last byte is in no
 * window: a boundary after it would be at file_size, which is where an empty last
 * partition starts anyway.
 *
 * Invariants of a window being scanned (the struct is the whole state, so a window can be
 * fed in any pieces and the result equals one feed of all its bytes):
 * - 'length' bytes have been fed; the next byte is at file offset offset + length;
 * - 'quotes' and 'newlines' count those bytes; a byte equal to 'quote' counts as a quote
 *   only, even if 'quote' is '\n' (that makes no sense for CSV, but stays well defined);
 * - first_nl[p] is DDF_SPLIT_NONE or the offset of the first '\n' fed with quotes % 2 == p
 *   before it, and nl_before[p] is the number of '\n' fed before that one.
 *
 * Speed (4-9 GB/s in memory on x86-64, about 1 GB/s with the portable loop): bytes go in
 * cache-sized steps. A step without a quote character (memchr) only needs its newlines
 * counted (SSE2 byte counters, else memchr) and at most one memchr for the first '\n'.
 * Otherwise bytes go 64 at a time: two bitmasks (quote / newline positions, SSE2 when the
 * compiler has it, else a plain loop), popcounts for the counts, and, only while a
 * first_nl is still missing, a prefix-xor of the quote mask that gives the parity at
 * every newline of the chunk at once. */
#include "split.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__) && !defined(DDF_SPLIT_PORTABLE)
#include <emmintrin.h>
#define SPLIT_SSE2 1
#endif

/* Bytes ddf_split_file reads per pread: large enough that syscalls cost nothing next to
 * the scan, small enough to stay in the L2/L3 cache. */
#define SPLIT_READ_BYTES (1024u * 1024)

/* Bytes the scan takes per step (see ddf_split_scan_feed): fits in L2 with room. */
#define STEP_BYTES (64u * 1024)

/* Bytes per bitmask in the quoted path: one bit per byte of a uint64_t. */
#define CHUNK 64

uint64_t ddf_split_block_count(uint64_t data_start, uint64_t file_size, uint64_t blocksize)
{
    uint64_t region;

    if (blocksize == 0 || data_start >= file_size)
        return 0;
    region = file_size - data_start;
    return region / blocksize + (region % blocksize != 0);
}

/* For k >= ddf_split_block_count(): an empty window at the end of the scanned range. */
void ddf_split_window_range(uint64_t data_start, uint64_t file_size, uint64_t blocksize,
                            uint64_t k, uint64_t *offset, uint64_t *length)
{
    uint64_t n = ddf_split_block_count(data_start, file_size, blocksize);
    uint64_t start, end;

    if (k >= n) {
        *offset = n ? file_size - 1 : data_start;
        *length = 0;
        return;
    }
    /* k < n, so k * blocksize < file_size - data_start: no overflow. */
    start = data_start + k * blocksize;
    end = blocksize >= file_size - start ? file_size : start + blocksize; /* min(b_{k+1}, size) */
    *offset = k == 0 ? start : start - 1;
    *length = end - 1 - *offset;
}

void ddf_split_scan_init(ddf_split_window *win, uint64_t offset)
{
    memset(win, 0, sizeof(*win));
    win->offset = offset;
    win->first_nl[0] = win->first_nl[1] = DDF_SPLIT_NONE;
}

static unsigned popcount64(uint64_t x)
{
    return (unsigned)__builtin_popcountll(x);
}

/* Bit i of the result is the xor of bits 0..i of x: the parity of the quotes up to i. */
static uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* Bitmasks of the positions of 'quote' and of '\n' in the CHUNK bytes at p. */
static void chunk_masks(const unsigned char *p, unsigned char quote, uint64_t *qmask,
                        uint64_t *nlmask)
{
#ifdef SPLIT_SSE2
    const __m128i vq = _mm_set1_epi8((char)quote);
    const __m128i vn = _mm_set1_epi8('\n');
    uint64_t q = 0, n = 0;

    for (int i = 0; i < CHUNK; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        q |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) << i;
        n |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn)) << i;
    }
    *qmask = q;
    *nlmask = n & ~q;
#else
    uint64_t q = 0, n = 0;

    for (int i = 0; i < CHUNK; i++) {
        q |= (uint64_t)(p[i] == quote) << i;
        n |= (uint64_t)(p[i] == '\n') << i;
    }
    *qmask = q;
    *nlmask = n & ~q;
#endif
}

/* The number of bytes equal to c in [p, p + len). */
static uint64_t count_byte(const unsigned char *p, size_t len, unsigned char c)
{
    uint64_t count = 0;
    size_t i = 0;

#ifdef SPLIT_SSE2
    const __m128i vc = _mm_set1_epi8((char)c);
    const __m128i zero = _mm_setzero_si128();

    /* Per-byte counters (0 - (-1) per match) summed before they can wrap at 255. */
    while (len - i >= 16) {
        size_t rounds = (len - i) / 16 < 255 ? (len - i) / 16 : 255;
        __m128i acc = _mm_setzero_si128();
        for (size_t r = 0; r < rounds; r++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, vc));
        }
        acc = _mm_sad_epu8(acc, zero);
        count += (uint64_t)_mm_cvtsi128_si32(acc) +
                 (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(acc, 8));
    }
    for (; i < len; i++)
        count += p[i] == c;
#else
    /* libc's memchr is vectorised on every platform that matters */
    const unsigned char *hit;

    while (i < len && (hit = memchr(p + i, c, len - i)) != NULL) {
        count++;
        i = (size_t)(hit - p) + 1;
    }
#endif
    return count;
}

/* One byte at a time: the reference the fast paths must agree with. */
static void feed_bytes(ddf_split_window *win, const unsigned char *p, size_t len,
                       uint64_t base, unsigned char quote)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] == quote) {
            win->quotes++;
        } else if (p[i] == '\n') {
            unsigned par = (unsigned)(win->quotes & 1);
            if (win->first_nl[par] == DDF_SPLIT_NONE) {
                win->first_nl[par] = base + i;
                win->nl_before[par] = win->newlines;
            }
            win->newlines++;
        }
    }
}

/* A piece with no quote character: the parity stays put, so only the first '\n' at the
 * current parity can matter, and the rest is counting. */
static void feed_plain(ddf_split_window *win, const unsigned char *p, size_t len, uint64_t base)
{
    unsigned par = (unsigned)(win->quotes & 1);

    if (win->first_nl[par] == DDF_SPLIT_NONE) {
        const unsigned char *nl = memchr(p, '\n', len);
        if (nl == NULL)
            return;
        win->first_nl[par] = base + (uint64_t)(nl - p);
        win->nl_before[par] = win->newlines;
    }
    win->newlines += count_byte(p, len, '\n');
}

/* Whole chunks of CHUNK bytes; returns how many bytes it consumed (a multiple of CHUNK). */
static size_t feed_chunks(ddf_split_window *win, const unsigned char *p, size_t len,
                          uint64_t base, unsigned char quote)
{
    size_t i;

    for (i = 0; len - i >= CHUNK; i += CHUNK) {
        uint64_t qmask, nlmask;

        chunk_masks(p + i, quote, &qmask, &nlmask);
        if (nlmask && (win->first_nl[0] == DDF_SPLIT_NONE || win->first_nl[1] == DDF_SPLIT_NONE)) {
            /* A '\n' is never a quote, so the inclusive prefix parity at its bit is the
             * parity of the chunk's quotes before it. */
            uint64_t inside = prefix_xor(qmask);
            unsigned start = (unsigned)(win->quotes & 1);
            for (unsigned par = 0; par < 2; par++) {
                uint64_t hits;
                if (win->first_nl[par] != DDF_SPLIT_NONE)
                    continue;
                hits = nlmask & ((start ^ par) ? inside : ~inside);
                if (hits) {
                    unsigned bit = (unsigned)__builtin_ctzll(hits);
                    win->first_nl[par] = base + i + bit;
                    win->nl_before[par] = win->newlines + popcount64(nlmask & ((1ull << bit) - 1));
                }
            }
        }
        win->quotes += popcount64(qmask);
        win->newlines += popcount64(nlmask);
    }
    return i;
}

void ddf_split_scan_feed(ddf_split_window *win, const char *buf, size_t len, char quote)
{
    const unsigned char *p = (const unsigned char *)buf;
    unsigned char q = (unsigned char)quote;

    /* Cache-sized steps: the quote check and the scan that follows read the same bytes,
     * and a quote-free step takes the fast path even when its neighbours have quotes. */
    while (len > 0) {
        size_t step = len < STEP_BYTES ? len : STEP_BYTES, done;
        uint64_t base = win->offset + win->length; /* file offset of p[0] */

        if (memchr(p, q, step) == NULL) {
            feed_plain(win, p, step, base);
        } else {
            done = feed_chunks(win, p, step, base, q);
            feed_bytes(win, p + done, step - done, base + done, q);
        }
        win->length += step;
        p += step;
        len -= step;
    }
}

void ddf_split_scan_window(const char *buf, size_t len, uint64_t offset, char quote,
                           ddf_split_window *out)
{
    ddf_split_scan_init(out, offset);
    ddf_split_scan_feed(out, buf, len, quote);
}

/* Whether a window can be trusted: counts within its length, first newlines inside it.
 * Windows may come from peers, so resolve checks rather than asserts. */
static bool window_is_sane(const ddf_split_window *w)
{
    if (w->quotes > w->length || w->newlines > w->length - w->quotes)
        return false;
    for (int par = 0; par < 2; par++) {
        if (w->first_nl[par] == DDF_SPLIT_NONE)
            continue;
        if (w->first_nl[par] < w->offset || w->first_nl[par] - w->offset >= w->length ||
            w->nl_before[par] >= w->newlines || w->nl_before[par] > w->first_nl[par] - w->offset)
            return false;
    }
    return true;
}

int ddf_split_resolve(const ddf_split_window *windows, size_t n, uint64_t data_start,
                      uint64_t file_size, uint64_t first_line, ddf_split_part *parts,
                      ddf_error *err)
{
    uint64_t pos = data_start, newlines = 0, next_offset, next_line;
    unsigned parity = 0;

    /* Validate everything before writing anything. */
    if (data_start > file_size)
        return ddf_error_setf(err, DDF_EINVAL, "data start %llu is past the end (%llu bytes)",
                              (unsigned long long)data_start, (unsigned long long)file_size);
    if (n == 0) {
        if (data_start == file_size)
            return DDF_OK;
        return ddf_error_setf(err, DDF_EINVAL, "no windows for the %llu bytes at offset %llu",
                              (unsigned long long)(file_size - data_start),
                              (unsigned long long)data_start);
    }
    if (data_start == file_size)
        return ddf_error_setf(err, DDF_EINVAL, "%zu windows for an empty region", n);
    for (size_t k = 0; k < n; k++) {
        const ddf_split_window *w = &windows[k];
        if (w->offset != pos || w->length > file_size - 1 - pos)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "window %zu [%llu, +%llu) does not continue at offset %llu "
                                  "inside the scanned range [%llu, %llu)",
                                  k, (unsigned long long)w->offset,
                                  (unsigned long long)w->length, (unsigned long long)pos,
                                  (unsigned long long)data_start,
                                  (unsigned long long)(file_size - 1));
        if (!window_is_sane(w))
            return ddf_error_setf(err, DDF_EINVAL, "window %zu at offset %llu is inconsistent",
                                  k, (unsigned long long)w->offset);
        pos += w->length;
        newlines += w->newlines;
    }
    if (pos != file_size - 1)
        return ddf_error_setf(err, DDF_EINVAL, "windows end at %llu, not at %llu",
                              (unsigned long long)pos, (unsigned long long)(file_size - 1));
    if (first_line > UINT64_MAX - newlines)
        return ddf_error_setf(err, DDF_EINVAL, "first line %llu overflows",
                              (unsigned long long)first_line);

    /* Forward: each block's boundary at even absolute parity, or NONE for "no record
     * starts in this block". */
    newlines = 0;
    for (size_t k = 0; k < n; k++) {
        const ddf_split_window *w = &windows[k];
        if (k == 0) {
            parts[0].offset = data_start;
            parts[0].first_line = first_line;
        } else if (w->first_nl[parity] != DDF_SPLIT_NONE) {
            parts[k].offset = w->first_nl[parity] + 1;
            parts[k].first_line = first_line + newlines + w->nl_before[parity] + 1;
        } else {
            parts[k].offset = DDF_SPLIT_NONE;
        }
        parity ^= (unsigned)(w->quotes & 1);
        newlines += w->newlines;
    }
    /* Backward: an empty partition starts where the next one does; the end of the file
     * counts as the line of its last byte (the windows leave that byte out). */
    next_offset = file_size;
    next_line = first_line + newlines;
    for (size_t k = n; k-- > 0;) {
        if (parts[k].offset == DDF_SPLIT_NONE) {
            parts[k].offset = next_offset;
            parts[k].first_line = next_line;
        }
        parts[k].length = next_offset - parts[k].offset;
        next_offset = parts[k].offset;
        next_line = parts[k].first_line;
    }
    return DDF_OK;
}

/* Read exactly 'len' bytes at 'offset'. Returns DDF_OK or DDF_EIO with 'err' set. */
static int read_at(int fd, const char *path, char *buf, size_t len, uint64_t offset,
                   ddf_error *err)
{
    size_t done = 0;

    while (done < len) {
        ssize_t got = pread(fd, buf + done, len - done, (off_t)(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ddf_error_setf(err, DDF_EIO, "%s: read error at offset %llu: %s", path,
                                  (unsigned long long)(offset + done), strerror(errno));
        if (got == 0)
            return ddf_error_setf(err, DDF_EIO,
                                  "%s: file is shorter than when it was opened "
                                  "(it changed while being read)",
                                  path);
        done += (size_t)got;
    }
    return DDF_OK;
}

/* Scan [data_start, file_size - 1) of fd sequentially into the n windows, cutting each
 * buffer at window ends. */
static int scan_fd(int fd, const char *path, uint64_t data_start, uint64_t file_size,
                   uint64_t blocksize, char quote, ddf_split_window *windows, size_t n,
                   ddf_error *err)
{
    uint64_t pos = data_start, end = file_size - 1;
    size_t cap = end - pos < SPLIT_READ_BYTES ? (size_t)(end - pos) : SPLIT_READ_BYTES;
    size_t k = 0;
    char *buf;
    int rc = DDF_OK;

    for (size_t i = 0; i < n; i++) {
        uint64_t off, len;
        ddf_split_window_range(data_start, file_size, blocksize, i, &off, &len);
        ddf_split_scan_init(&windows[i], off);
    }
    if (cap == 0)
        return DDF_OK;
    buf = ddf_malloc(cap);
    if (buf == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", path);
    while (pos < end) {
        size_t want = end - pos < cap ? (size_t)(end - pos) : cap;
        size_t used = 0;

        rc = read_at(fd, path, buf, want, pos, err);
        if (rc < 0)
            break;
        while (used < want) {
            uint64_t off, len, left;
            size_t take;

            /* Move to the window holding pos + used (skips empty windows). */
            ddf_split_window_range(data_start, file_size, blocksize, k, &off, &len);
            left = off + len - (pos + used);
            if (left == 0) {
                k++;
                continue;
            }
            take = want - used < left ? want - used : (size_t)left;
            ddf_split_scan_feed(&windows[k], buf + used, take, quote);
            used += take;
        }
        pos += want;
    }
    ddf_free(buf);
    return rc;
}

int ddf_split_file(const char *path, uint64_t data_start, uint64_t first_line,
                   uint64_t blocksize, char quote, ddf_split_part **parts, size_t *nparts,
                   ddf_error *err)
{
    ddf_split_window *windows = NULL;
    ddf_split_part *out = NULL;
    struct stat st;
    uint64_t size, n;
    int fd, rc;

    *parts = NULL;
    *nparts = 0;
    if (blocksize == 0)
        return ddf_error_setf(err, DDF_EINVAL, "%s: block size must be at least 1 byte", path);
    if (quote == '\n')
        return ddf_error_setf(err, DDF_EINVAL, "%s: the quote character cannot be a newline",
                              path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ddf_error_setf(err, errno == ENOENT ? DDF_ENOENT : DDF_EIO, "%s: %s", path,
                              strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: %s", path, strerror(EISDIR));
        goto out_close;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: not a regular file", path);
        goto out_close;
    }
    size = (uint64_t)st.st_size;
    if (data_start > size) {
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: data start %llu is past the end (%llu bytes)",
                            path, (unsigned long long)data_start, (unsigned long long)size);
        goto out_close;
    }
    n = ddf_split_block_count(data_start, size, blocksize);
    if (n == 0) {
        rc = DDF_OK;
        goto out_close;
    }
    if (n > SIZE_MAX / sizeof(*windows)) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "%s: %llu blocks: out of memory", path,
                            (unsigned long long)n);
        goto out_close;
    }
    windows = ddf_mallocarray((size_t)n, sizeof(*windows));
    out = ddf_mallocarray((size_t)n, sizeof(*out));
    if (windows == NULL || out == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "%s: %llu blocks: out of memory", path,
                            (unsigned long long)n);
        goto out_free;
    }
    rc = scan_fd(fd, path, data_start, size, blocksize, quote, windows, (size_t)n, err);
    if (rc < 0)
        goto out_free;
    rc = ddf_split_resolve(windows, (size_t)n, data_start, size, first_line, out, err);
    if (rc < 0)
        goto out_free;
    *parts = out;
    *nparts = (size_t)n;
    out = NULL;
out_free:
    ddf_free(out);
    ddf_free(windows);
out_close:
    close(fd);
    return rc;
}
