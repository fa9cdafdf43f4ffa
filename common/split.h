/* split.h - exact partition boundaries for a CSV byte range (DESIGN §2).
 *
 * A partition must start at a record boundary: just after a '\n' that is outside quotes.
 * A block boundary may fall inside a quoted field that holds a newline, so the position
 * of a boundary depends on how many quote characters come before it. The pass is split in
 * two so that the expensive half runs in parallel (one call per block, on the workers):
 *
 * 1. ddf_split_scan_window() over each block's window: counts quote characters and
 *    newlines, and finds the first '\n' reached at even and at odd relative quote parity.
 * 2. ddf_split_resolve() prefix-sums the parities and picks, for each block, the first
 *    boundary at even absolute parity; a block with none is an empty partition.
 *
 * Blocks are laid over the data region [data_start, file_size): block k starts at
 * b_k = data_start + k * blocksize. Partition 0 starts at data_start; partition k >= 1
 * starts at the first record boundary q >= b_k. A boundary q is found by the newline at
 * q - 1, so the window of block k >= 1 is [b_k - 1, b_{k+1} - 1) and window 0 is
 * [data_start, b_1 - 1), with b_{k+1} clipped to file_size. Windows tile
 * [data_start, file_size - 1): the last byte is in none, since a boundary after it would
 * be at file_size, where an empty last partition starts anyway.
 *
 * Every quote character toggles the parity; that is exact for RFC 4180 CSV, where a quote
 * appears only around a field or doubled inside one. (A quote inside an unquoted field
 * is rejected by the reader, which makes this rule hold for every file ddf accepts.)
 * Line numbers come along: each partition knows the 1-based file line it starts on. */
#ifndef DDF_SPLIT_H
#define DDF_SPLIT_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define DDF_SPLIT_NONE UINT64_MAX

/* What one window holds. Positions are absolute file offsets. */
typedef struct ddf_split_window {
    uint64_t offset;        /* window start */
    uint64_t length;        /* window bytes */
    uint64_t quotes;        /* quote characters in the window */
    uint64_t newlines;      /* '\n' in the window */
    uint64_t first_nl[2];   /* first '\n' with an even [0] / odd [1] count of quotes before
                               it in the window, or DDF_SPLIT_NONE */
    uint64_t nl_before[2];  /* '\n' in the window before first_nl[p] */
} ddf_split_window;

/* One partition: the byte range [offset, offset + length) and its first line. */
typedef struct ddf_split_part {
    uint64_t offset;
    uint64_t length;
    uint64_t first_line; /* 1-based line number of the byte at 'offset'; for an empty
                            partition at file_size, the line of the file's last byte */
} ddf_split_part;

/* Number of blocks for a data region; 0 when it is empty. blocksize must be >= 1. */
uint64_t ddf_split_block_count(uint64_t data_start, uint64_t file_size, uint64_t blocksize);

/* The window [offset, offset + length) of block k (see above). For k >= the block count:
 * an empty window at the end of the scanned range. */
void ddf_split_window_range(uint64_t data_start, uint64_t file_size, uint64_t blocksize,
                            uint64_t k, uint64_t *offset, uint64_t *length);

/* Scan a window in pieces: init, then feed its bytes in order (any piece sizes), so a
 * large window is read through a small buffer. 'quote' is the quote character (a byte
 * equal to it counts as a quote only, so a '\n' quote finds no newlines). The window
 * struct is the whole state: feeding in pieces gives the same result as one feed. */
void ddf_split_scan_init(ddf_split_window *win, uint64_t offset);
void ddf_split_scan_feed(ddf_split_window *win, const char *buf, size_t len, char quote);

/* Scan a whole window held in memory: 'buf' holds the 'len' bytes at file offset 'offset'. */
void ddf_split_scan_window(const char *buf, size_t len, uint64_t offset, char quote,
                           ddf_split_window *out);

/* Turn the n windows of one file (in block order) into n partitions. 'first_line' is the
 * 1-based line of data_start. Partition k is empty (length 0) when no record starts in
 * its block; partitions tile [data_start, file_size). Unbalanced quotes are not an error
 * here: the partition holding the unterminated quote reports it, with its line, when it
 * is parsed. Fails only with DDF_EINVAL (and then writes nothing to 'parts'): for windows
 * that do not tile the region or whose fields contradict each other (they may come from
 * peers), data_start > file_size, or a first_line that would overflow. */
int ddf_split_resolve(const ddf_split_window *windows, size_t n, uint64_t data_start,
                      uint64_t file_size, uint64_t first_line, ddf_split_part *parts,
                      ddf_error *err);

/* The whole pass on a local file: reads [data_start, file_size) of 'path' window by
 * window and resolves. *parts (ddf_malloc'd, caller frees) gets *nparts entries; it is
 * NULL when the region is empty and on error. Errors: DDF_ENOENT (no such file), DDF_EIO
 * (not a regular file, read error), DDF_EINVAL (blocksize 0, a '\n' quote, data_start
 * past the end), DDF_ENOMEM. */
int ddf_split_file(const char *path, uint64_t data_start, uint64_t first_line,
                   uint64_t blocksize, char quote, ddf_split_part **parts, size_t *nparts,
                   ddf_error *err);

#endif
