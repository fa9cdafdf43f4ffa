/* codec.h - the binary columnar wire format of tables (docs/protocol.md, "Table blob").
 *
 * Bulk data — parsed partitions, partial results, collected columns — travels between
 * client and workers as one blob per table inside an XML-RPC <base64>, because XML-RPC
 * doubles are lossy and its strings reject control characters. The format is versioned,
 * little-endian, and a blob is validated end to end against its length before anything is
 * decoded: a truncated, corrupt or hostile blob is an error, never a crash or an
 * over-allocation. */
#ifndef DDF_CODEC_H
#define DDF_CODEC_H

#include "error.h"
#include "table.h"

#include <stddef.h>
#include <stdint.h>

#define DDF_CODEC_MAGIC "DDFT"
#define DDF_CODEC_VERSION 1

/* Encode 'table' into a new buffer of *out_len bytes (ddf_malloc'd; the caller ddf_frees
 * *out). Null rows are written as zero whatever the column's memory holds there. On error
 * *out is NULL, *out_len 0 and 'err' says why: DDF_ETOOBIG when the blob would exceed
 * DDF_MAX_BLOB_BYTES (or a name DDF_MAX_NAME_BYTES), DDF_EINVAL for a table that breaks
 * the invariants of table.h / column.h (a bug of whoever built it), DDF_ENOMEM. */
int ddf_codec_encode(const ddf_table *table, unsigned char **out, size_t *out_len,
                     ddf_error *err);

/* Exact size ddf_codec_encode would produce, so callers can split before encoding;
 * SIZE_MAX if it does not fit a size_t. Reads every validity bitmap (nrows / 8 bytes per
 * nullable column) to learn which columns have nulls, and of the values only the first
 * and last string offsets. */
size_t ddf_codec_encoded_size(const ddf_table *table);

/* Check a blob completely (magic, version, every length, offset, count and value rule of
 * docs/protocol.md) without allocating anything. DDF_OK; DDF_ETOOBIG when 'len' exceeds
 * DDF_MAX_BLOB_BYTES; else DDF_ECORRUPT or DDF_EVERSION with the byte offset of the
 * problem in err->offset and, inside a column, its 1-based number in err->column. */
int ddf_codec_validate(const unsigned char *buf, size_t len, ddf_error *err);

/* Validate, then decode into a new table (*out, caller frees with ddf_table_free) that
 * owns all its memory: the blob may be freed right after. Column buffers are sized
 * exactly (capacity == length); a column without nulls has validity == NULL. On error
 * *out is NULL and nothing is held: the errors of ddf_codec_validate (then nothing was
 * allocated), or DDF_ENOMEM. */
int ddf_codec_decode(const unsigned char *buf, size_t len, ddf_table **out, ddf_error *err);

#endif
