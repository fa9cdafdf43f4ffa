/* csv_reader.h - reading CSV files into typed columnar partitions, as pandas.read_csv would.
 *
 * Three steps, so that the costly one runs in parallel on many threads or machines:
 *
 * 1. ddf_csv_open() reads the start of a file: skips 'skiprows' records and a UTF-8 BOM,
 *    takes the header (or 'names'), applies 'usecols' and pinned dtypes, and infers the
 *    other dtypes from a sample (DDF_SAMPLE_BYTES) of the data. It fixes the byte offset
 *    and line where the data starts.
 * 2. split.h cuts [data_start, file size) into exact partitions of about 'blocksize'.
 * 3. ddf_csv_read_block() parses one partition into a ddf_table with the given schema. A
 *    value that does not fit an inferred dtype does not fail the block: the block reports
 *    the widened dtypes it needs (DDF_EWIDEN and report->needed); the caller widens the
 *    schema of the whole frame and reads again, so every partition shares one schema. A
 *    value that does not fit a pinned dtype is an error naming file, line and column.
 *
 * Dialect (pandas defaults): header row, ',' separator, '"' quoting with "" escapes,
 * CRLF or LF, blank and whitespace-only lines skipped, a last line without newline,
 * pandas' default NA strings plus 'na_values', duplicate names mangled "a", "a.1". Rows
 * with fewer fields than the header are padded with nulls (as pandas); rows with more are
 * bad lines, handled by 'on_bad_lines'. Deliberate differences from pandas: a quote
 * character inside an unquoted field is an error (it would make exact splitting
 * ambiguous); integers outside int64 stay strings; int columns with nulls stay int64. */
#ifndef DDF_CSV_READER_H
#define DDF_CSV_READER_H

#include "error.h"
#include "schema.h"
#include "split.h"
#include "limits.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ddf_bad_lines {
    DDF_BAD_LINES_ERROR = 0, /* the block fails with DDF_EBADLINE naming file:line */
    DDF_BAD_LINES_WARN,      /* the line is dropped and reported in ddf_csv_report */
    DDF_BAD_LINES_SKIP,      /* the line is dropped and counted */
} ddf_bad_lines;

typedef struct ddf_csv_pin {
    const char *name; /* column */
    ddf_dtype dtype;  /* its dtype, never widened */
} ddf_csv_pin;

/* read_csv options. Pointers are borrowed for the duration of ddf_csv_open. */
typedef struct ddf_csv_options {
    char sep;                       /* field separator, default ',' */
    char quote;                     /* quote character, default '"' */
    bool header;                    /* true: a header row names the columns (header=0);
                                       false: header=None, columns named by 'names' or
                                       "0", "1", ... */
    const char *const *names;       /* column names replacing the header, or NULL */
    size_t nnames;
    const char *const *usecols;     /* columns to keep (by name), or NULL for all */
    size_t nusecols;
    uint64_t skiprows;              /* records skipped at the start of the file */
    const ddf_csv_pin *dtypes;      /* pinned dtypes, or NULL */
    size_t ndtypes;
    const char *const *na_values;   /* extra NA strings */
    size_t nna_values;
    bool keep_default_na;           /* default true: pandas' NA strings are NA too */
    ddf_bad_lines on_bad_lines;     /* default DDF_BAD_LINES_ERROR */
    uint64_t blocksize;             /* partition size in bytes, default 64 MiB */
} ddf_csv_options;

/* Fill 'opt' with pandas' defaults. */
void ddf_csv_options_init(ddf_csv_options *opt);

typedef struct ddf_csv_file ddf_csv_file; /* opaque: one opened file's layout */

/* Open 'path', read its header and infer its schema (step 1). On error *out is NULL and
 * 'err' says why: DDF_ENOENT, DDF_EIO (a directory, unreadable), DDF_EEMPTY ("no columns
 * to parse from file", as pandas), DDF_EPARSE, DDF_EINVAL (bad options). */
int ddf_csv_open(const char *path, const ddf_csv_options *opt, ddf_csv_file **out,
                 ddf_error *err);

void ddf_csv_close(ddf_csv_file *file);

/* The inferred schema (owned by 'file'). */
const ddf_schema *ddf_csv_schema(const ddf_csv_file *file);

/* The file's path, size, and the offset and 1-based line where its data records start. */
const char *ddf_csv_path(const ddf_csv_file *file);
uint64_t ddf_csv_size(const ddf_csv_file *file);
uint64_t ddf_csv_data_start(const ddf_csv_file *file);
uint64_t ddf_csv_data_line(const ddf_csv_file *file);

/* What one block reports besides its rows. */
typedef struct ddf_csv_report {
    ddf_dtype *needed;            /* DDF_EWIDEN: per schema column, the dtype the block's
                                     values need (ddf_malloc'd, ncols entries) */
    uint64_t bad_lines;           /* lines dropped by on_bad_lines=warn|skip */
    size_t nwarnings;             /* messages kept (on_bad_lines=warn), at most
                                     DDF_MAX_WARNINGS */
    char *warnings[DDF_MAX_WARNINGS]; /* ddf_malloc'd messages "file:line: ..." */
} ddf_csv_report;

void ddf_csv_report_init(ddf_csv_report *report);
void ddf_csv_report_fini(ddf_csv_report *report);

/* Parse the partition 'part' of 'file' with 'schema' (the file's schema, possibly
 * widened) into a new table (*out, caller frees). Safe to call from many threads at once
 * on one file. Returns DDF_OK; DDF_EWIDEN with report->needed set when an inferred
 * column needs a wider dtype (then *out is NULL); or an error with file:line:column. */
int ddf_csv_read_block(const ddf_csv_file *file, const ddf_schema *schema,
                       const ddf_split_part *part, ddf_table **out, ddf_csv_report *report,
                       ddf_error *err);

/* The local engine: open, split by opt->blocksize, read every partition on 'nthreads'
 * threads, widen and read again until every partition fits one schema. On success
 * *parts holds *nparts tables (empty partitions included, in file order; free each and
 * the array with ddf_csv_parts_free) and *schema the final schema (caller frees). */
int ddf_csv_read_file(const char *path, const ddf_csv_options *opt, unsigned nthreads,
                      ddf_schema **schema, ddf_table ***parts, size_t *nparts,
                      ddf_csv_report *report, ddf_error *err);

void ddf_csv_parts_free(ddf_table **parts, size_t nparts);

#endif
