/* limits.h - every size bound of the engine, with the reason for it.
 *
 * Inputs come from files and peers we do not control; each bound below is checked
 * before the allocation it protects, and the error names the bound that was hit. */
#ifndef DDF_LIMITS_H
#define DDF_LIMITS_H

/* One CSV field. libcsv grows its field buffer without bound; a hostile or broken file
 * (an unterminated quote) would otherwise pull the whole file into one field. */
#define DDF_MAX_FIELD_BYTES (16u * 1024 * 1024)

/* Columns in one file or frame: keeps per-column state arrays small and bounded. */
#define DDF_MAX_COLUMNS 4096

/* One column name (header cell). */
#define DDF_MAX_NAME_BYTES 1024

/* One partition's byte range. Bounds the read buffer and makes int64 offsets safe. */
#define DDF_MAX_BLOCK_BYTES (1024ull * 1024 * 1024)

/* Default partition size, as Dask's read_csv. */
#define DDF_DEFAULT_BLOCKSIZE (64ull * 1024 * 1024)

/* Partitions of one file: each costs ~100 bytes of bookkeeping before any is parsed, so
 * a tiny blocksize on a big file is refused up front instead of exhausting memory. */
#define DDF_MAX_PARTITIONS (4ull * 1024 * 1024)

/* Bytes read from the start of a file to find the header and infer dtypes. */
#define DDF_SAMPLE_BYTES (256u * 1024)

/* Extra NA strings a caller may add (na_values). */
#define DDF_MAX_NA_VALUES 256

/* Rows in one partition or table: offsets and counts stay far from overflow. */
#define DDF_MAX_ROWS (1ull << 40)

/* An encoded table (codec blob): just under xmlrpc-c's 128 MiB hard limit for one
 * document once base64 has grown it by 4/3. */
#define DDF_MAX_BLOB_BYTES (90ull * 1024 * 1024)

/* Bad-line warnings kept per partition (on_bad_lines=warn); the rest are counted only. */
#define DDF_MAX_WARNINGS 16

/* Longest expression text: a query string is typed by a person; 64 KiB leaves room for a
 * generated isin list of a few thousand values. */
#define DDF_MAX_EXPR_BYTES (64u * 1024)

/* Deepest expression tree (nesting of parentheses, operators, calls): bounds the parser's
 * and checker's recursion so hostile input cannot exhaust a thread's stack. */
#define DDF_MAX_EXPR_DEPTH 64

#endif
