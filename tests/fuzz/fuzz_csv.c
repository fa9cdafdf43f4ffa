/* fuzz_csv.c - libFuzzer target for the CSV reader (DESIGN §9 "Fuzz targets").
 *
 * The input is two option bytes and then the file:
 *
 *   byte 0  bits 0-1  sep: ',' ';' '\t' '|'
 *           bit  2    header off (header=None)
 *           bits 3-4  on_bad_lines: 0 error, 1 warn, 2 skip, 3 warn
 *           bits 5-7  blocksize: 1, 2, 3, 7, 64, 4096, the default (64 MiB), 17; raised
 *                     when the file would make more than MAX_PARTS partitions
 *   byte 1  bits 0-1  skiprows 0..3
 *           bit  2    keep_default_na off
 *           bit  3    na_values {"x", "-"}
 *           bit  4    quote '\'' instead of '"'
 *           bits 5-7  unused
 *   rest    the CSV file, at most MAX_FILE_BYTES
 *
 * The file goes to one temporary file per process (mkstemp in $TMPDIR or /tmp, rewritten
 * each run, unlinked at exit) and is read with ddf_csv_read_file on one thread, twice: with
 * the chosen blocksize and with one block for the whole file. What must hold, else abort():
 *
 * - every partition of a successful read matches the schema (column count, names,
 *   storage dtypes) and keeps the invariants of column.h: each column nrows long,
 *   null_count equal to the clear bits of the bitmap, no bits set past the length, a
 *   null row's slot zero, bools 0 or 1, string offsets from 0 and never decreasing;
 * - each partition survives a codec round trip (encode, decode, ddf_table_equal);
 * - both reads agree: the same status, error code, message and place, or the same schema,
 *   bad-line count and warnings, and the same rows in the same order (ddf_column_value_
 *   equal). A difference is a bug in exact splitting (split.h) or in how a block starts;
 * - widening: the file is smaller than the inference sample (DDF_SAMPLE_BYTES), so
 *   ddf_csv_read_file never needs a second round here. The target does that round by
 *   hand: each partition read with every dtype unknown (ddf_csv_read_block) returns
 *   DDF_OK or DDF_EWIDEN, and the join of what the partitions need is the inferred schema.
 *
 * Sanitizers (address, undefined) and libFuzzer's leak check catch the rest. */
#include "codec.h"
#include "csv_reader.h"

#include "alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_BYTES (64u * 1024)
#define OPTION_BYTES   2
#define MAX_PARTS      1024         /* keeps blocksize 1 on a large input fast */
#define ONE_BLOCK      (1ull << 30) /* the whole file in one partition */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_path[4096]; /* $TMPDIR (default /tmp)/ddf-fuzz-csv-XXXXXX */
static int tmp_fd = -1;

static void remove_tmp(void)
{
    if (tmp_fd >= 0) {
        close(tmp_fd);
        unlink(tmp_path);
        tmp_fd = -1;
    }
}

/* Make the temporary file hold exactly 'data'. The file is created on the first call. */
static void write_tmp(const uint8_t *data, size_t size)
{
    size_t done = 0;

    if (tmp_fd < 0) {
        /* scripts/fuzz.sh points TMPDIR at its work directory, which also catches the
         * file of a run that crashed (atexit handlers do not run then). */
        const char *dir = getenv("TMPDIR");
        int n = snprintf(tmp_path, sizeof(tmp_path), "%s/ddf-fuzz-csv-XXXXXX",
                         dir && *dir ? dir : "/tmp");
        if (n < 0 || (size_t)n >= sizeof(tmp_path)) {
            fprintf(stderr, "fuzz_csv: TMPDIR is too long\n");
            abort();
        }
        tmp_fd = mkstemp(tmp_path);
        if (tmp_fd < 0) {
            perror("fuzz_csv: mkstemp");
            abort();
        }
        atexit(remove_tmp);
    }
    while (done < size) {
        ssize_t n = pwrite(tmp_fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            perror("fuzz_csv: pwrite");
            abort();
        }
        done += (size_t)n;
    }
    if (ftruncate(tmp_fd, (off_t)size) != 0) {
        perror("fuzz_csv: ftruncate");
        abort();
    }
}

/* Report a broken rule and stop: libFuzzer saves the input that did it. */
#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_csv: %s:%d: check failed: %s: ", __FILE__, __LINE__,    \
                    #cond);                                                               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static const char *const na_strings[] = {"x", "-"};

/* Options from the two option bytes (see the top of the file). */
static void options_from(const uint8_t *b, ddf_csv_options *opt)
{
    static const char seps[] = {',', ';', '\t', '|'};
    static const ddf_bad_lines modes[] = {DDF_BAD_LINES_ERROR, DDF_BAD_LINES_WARN,
                                          DDF_BAD_LINES_SKIP, DDF_BAD_LINES_WARN};
    static const uint64_t blocksizes[] = {1, 2, 3, 7, 64, 4096, DDF_DEFAULT_BLOCKSIZE, 17};

    ddf_csv_options_init(opt);
    opt->sep = seps[b[0] & 3];
    opt->header = !(b[0] & 4);
    opt->on_bad_lines = modes[(b[0] >> 3) & 3];
    opt->blocksize = blocksizes[b[0] >> 5];
    opt->skiprows = b[1] & 3;
    opt->keep_default_na = !(b[1] & 4);
    if (b[1] & 8) {
        opt->na_values = na_strings;
        opt->nna_values = sizeof(na_strings) / sizeof(na_strings[0]);
    }
    if (b[1] & 16)
        opt->quote = '\'';
}

/* One ddf_csv_read_file and everything it returns. */
typedef struct read_result {
    int rc;
    ddf_error err;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
} read_result;

static void read_csv(const ddf_csv_options *opt, read_result *res)
{
    ddf_error_init(&res->err);
    ddf_csv_report_init(&res->report);
    res->rc = ddf_csv_read_file(tmp_path, opt, 1, &res->schema, &res->parts, &res->nparts,
                                &res->report, &res->err);
    if (res->rc < 0)
        CHECK(res->schema == NULL && res->parts == NULL && res->nparts == 0,
              "a failed read returned data");
    else
        CHECK(res->schema != NULL && (res->parts != NULL || res->nparts == 0),
              "a successful read returned no schema");
}

static void result_fini(read_result *res)
{
    ddf_csv_parts_free(res->parts, res->nparts);
    ddf_schema_free(res->schema);
    ddf_csv_report_fini(&res->report);
}

/* The invariants of column.h for column 'c' of partition 'p' (nrows rows). */
static void check_column(const ddf_column *col, size_t p, size_t c, size_t nrows)
{
    size_t nulls = 0;

    CHECK(col->length == nrows, "part %zu col %zu: length %zu, nrows %zu", p, c, col->length,
          nrows);
    CHECK(col->capacity >= col->length, "part %zu col %zu: capacity %zu < length %zu", p, c,
          col->capacity, col->length);
    if (col->validity) {
        for (size_t r = 0; r < nrows; r++)
            nulls += !ddf_column_is_valid(col, r);
        /* column.h: bits past 'length' are 0 (the bitmap holds 'capacity' bits). */
        for (size_t r = nrows; r < (col->capacity + 7) / 8 * 8; r++)
            CHECK(!((col->validity[r >> 3] >> (r & 7)) & 1),
                  "part %zu col %zu: validity bit %zu set past length %zu", p, c, r, nrows);
    }
    CHECK(col->null_count == nulls, "part %zu col %zu: null_count %zu, bitmap has %zu nulls",
          p, c, col->null_count, nulls);
    if (col->dtype == DDF_DTYPE_STRING) {
        /* a dictionary column's offsets span its entries, and each code names one */
        size_t nent = col->codes ? col->dict_length : nrows;

        if (col->values.offsets == NULL) {
            CHECK(nent == 0, "part %zu col %zu: no string offsets for %zu strings", p, c, nent);
            return;
        }
        CHECK(col->values.offsets[0] == 0, "part %zu col %zu: offsets[0] = %lld", p, c,
              (long long)col->values.offsets[0]);
        for (size_t r = 0; r < nent; r++)
            CHECK(col->values.offsets[r + 1] >= col->values.offsets[r],
                  "part %zu col %zu string %zu: string offsets decrease", p, c, r);
        CHECK((size_t)col->values.offsets[nent] <= col->bytes_capacity,
              "part %zu col %zu: offsets end past the byte buffer", p, c);
        for (size_t r = 0; col->codes && r < nrows; r++)
            CHECK(col->codes[r] < col->dict_length,
                  "part %zu col %zu row %zu: code %u past %zu entries", p, c, r,
                  (unsigned)col->codes[r], col->dict_length);
    }
    for (size_t r = 0; r < nrows; r++) {
        bool valid = ddf_column_is_valid(col, r);
        switch (col->dtype) {
        case DDF_DTYPE_BOOL:
            CHECK(col->values.b8[r] <= (valid ? 1 : 0), "part %zu col %zu row %zu: bool %u",
                  p, c, r, (unsigned)col->values.b8[r]);
            break;
        case DDF_DTYPE_INT64:
        case DDF_DTYPE_FLOAT64:
            CHECK(valid || col->values.i64[r] == 0,
                  "part %zu col %zu row %zu: null row holds a value", p, c, r);
            break;
        case DDF_DTYPE_STRING: {
            size_t len;

            ddf_column_str(col, r, &len);
            CHECK(valid || len == 0, "part %zu col %zu row %zu: null row holds a string", p,
                  c, r);
            break;
        }
        case DDF_DTYPE_NULL:
            CHECK(false, "part %zu col %zu: a column of dtype null", p, c);
            break;
        }
    }
}

/* Encode, decode, compare: a parsed partition is a table like any other. */
static void check_codec_round_trip(const ddf_table *t, size_t p)
{
    unsigned char *blob;
    size_t len;
    ddf_table *back;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_codec_encode(t, &blob, &len, &err);
    CHECK(rc == DDF_OK, "part %zu: encode: %s", p, err.msg);
    CHECK(len == ddf_codec_encoded_size(t), "part %zu: encoded_size %zu, encode %zu", p,
          ddf_codec_encoded_size(t), len);
    rc = ddf_codec_decode(blob, len, &back, &err);
    CHECK(rc == DDF_OK, "part %zu: decode of our own blob: %s", p, err.msg);
    CHECK(ddf_table_equal(t, back), "part %zu: codec round trip changed the table", p);
    ddf_table_free(back);
    ddf_free(blob);
}

/* Every partition of a successful read against its schema. */
static void check_parts(const read_result *res)
{
    const ddf_schema *schema = res->schema;

    for (size_t p = 0; p < res->nparts; p++) {
        const ddf_table *t = res->parts[p];
        CHECK(t != NULL, "part %zu is NULL", p);
        CHECK(t->ncols == schema->ncols, "part %zu: %zu columns, the schema %zu", p, t->ncols,
              schema->ncols);
        for (size_t c = 0; c < t->ncols; c++) {
            CHECK(strcmp(t->names[c], schema->fields[c].name) == 0,
                  "part %zu col %zu: name '%s', the schema '%s'", p, c, t->names[c],
                  schema->fields[c].name);
            CHECK(t->columns[c].dtype == ddf_schema_storage_dtype(schema, c),
                  "part %zu col %zu: dtype %s, the schema %s", p, c,
                  ddf_dtype_name(t->columns[c].dtype), ddf_dtype_name(schema->fields[c].dtype));
            check_column(&t->columns[c], p, c, t->nrows);
        }
        check_codec_round_trip(t, p);
    }
}

/* Read every partition of the file (split by opt->blocksize) with all dtypes unknown:
 * the dtypes they ask for must join to the schema of the successful read 'whole'. */
static void check_widening(const ddf_csv_options *opt, const read_result *whole)
{
    ddf_csv_file *file;
    ddf_split_part *parts;
    ddf_schema *unknown;
    ddf_dtype *joined;
    size_t nparts, rows = 0, ncols = whole->schema->ncols;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_csv_open(tmp_path, opt, &file, &err);
    CHECK(rc == DDF_OK, "open failed after a successful read: %s", err.msg);
    rc = ddf_split_file(tmp_path, ddf_csv_data_start(file), ddf_csv_data_line(file),
                        opt->blocksize, opt->quote, &parts, &nparts, &err);
    CHECK(rc == DDF_OK, "split failed after a successful read: %s", err.msg);
    unknown = ddf_schema_copy(ddf_csv_schema(file));
    joined = ddf_calloc(ncols ? ncols : 1, sizeof(*joined)); /* DDF_DTYPE_NULL is 0 */
    CHECK(unknown != NULL && joined != NULL && unknown->ncols == ncols, "out of memory");
    for (size_t c = 0; c < ncols; c++)
        unknown->fields[c].dtype = DDF_DTYPE_NULL;
    for (size_t p = 0; p < nparts; p++) {
        ddf_csv_report report;
        ddf_table *t;

        ddf_csv_report_init(&report);
        rc = ddf_csv_read_block(file, unknown, &parts[p], &t, &report, &err);
        CHECK(rc == DDF_OK || rc == DDF_EWIDEN, "part %zu with unknown dtypes: %s: %s", p,
              ddf_err_name(rc), err.msg);
        if (rc == DDF_EWIDEN) {
            CHECK(t == NULL && report.needed != NULL, "part %zu: EWIDEN without needs", p);
            for (size_t c = 0; c < ncols; c++)
                joined[c] = ddf_dtype_join(joined[c], report.needed[c]);
        } else {
            ddf_table_free(t);
        }
        ddf_csv_report_fini(&report);
    }
    for (size_t p = 0; p < whole->nparts; p++)
        rows += whole->parts[p]->nrows;
    for (size_t c = 0; c < ncols; c++) {
        ddf_dtype want = whole->schema->fields[c].dtype;
        /* A file without data rows reads as strings (pandas: object), though none asks. */
        CHECK(joined[c] == want ||
                  (rows == 0 && joined[c] == DDF_DTYPE_NULL && want == DDF_DTYPE_STRING),
              "col %zu: partitions need %s, the file was read as %s", c,
              ddf_dtype_name(joined[c]), ddf_dtype_name(want));
    }
    ddf_free(joined);
    ddf_schema_free(unknown);
    ddf_free(parts);
    ddf_csv_close(file);
}

/* Walks the rows of a list of partitions in order. */
typedef struct row_cursor {
    ddf_table *const *parts;
    size_t nparts;
    size_t part; /* current partition */
    size_t row;  /* next row in it */
} row_cursor;

/* The next row: its table and row number; false at the end. */
static bool next_row(row_cursor *cur, const ddf_table **t, size_t *row)
{
    while (cur->part < cur->nparts && cur->row >= cur->parts[cur->part]->nrows) {
        cur->part++;
        cur->row = 0;
    }
    if (cur->part == cur->nparts)
        return false;
    *t = cur->parts[cur->part];
    *row = cur->row++;
    return true;
}

/* The read in small blocks ('a') must equal the read in one block ('b'). */
static void compare_reads(const read_result *a, const read_result *b)
{
    row_cursor ca = {a->parts, a->nparts, 0, 0}, cb = {b->parts, b->nparts, 0, 0};
    const ddf_table *ta, *tb;
    size_t ra, rb, n = 0;

    CHECK(a->rc == b->rc, "blocks read %s (%s), one block %s (%s)", ddf_err_name(a->rc),
          a->err.msg, ddf_err_name(b->rc), b->err.msg);
    if (a->rc < 0) {
        CHECK(a->err.code == b->err.code && a->err.line == b->err.line &&
                  a->err.column == b->err.column && strcmp(a->err.msg, b->err.msg) == 0,
              "errors differ: blocks '%s' line %llu col %u, one block '%s' line %llu col %u",
              a->err.msg, (unsigned long long)a->err.line, a->err.column, b->err.msg,
              (unsigned long long)b->err.line, b->err.column);
        return;
    }
    CHECK(ddf_schema_equal(a->schema, b->schema), "schemas differ");
    CHECK(a->report.bad_lines == b->report.bad_lines, "bad lines: blocks %llu, one block %llu",
          (unsigned long long)a->report.bad_lines, (unsigned long long)b->report.bad_lines);
    CHECK(a->report.nwarnings == b->report.nwarnings, "warnings: blocks %zu, one block %zu",
          a->report.nwarnings, b->report.nwarnings);
    for (size_t w = 0; w < a->report.nwarnings; w++)
        CHECK(strcmp(a->report.warnings[w], b->report.warnings[w]) == 0,
              "warning %zu: blocks '%s', one block '%s'", w, a->report.warnings[w],
              b->report.warnings[w]);
    for (;;) {
        bool more_a = next_row(&ca, &ta, &ra), more_b = next_row(&cb, &tb, &rb);
        CHECK(more_a == more_b, "row counts differ: %s ends first after %zu rows",
              more_a ? "one block" : "blocks", n);
        if (!more_a)
            break;
        for (size_t c = 0; c < a->schema->ncols; c++)
            CHECK(ddf_column_value_equal(&ta->columns[c], ra, &tb->columns[c], rb),
                  "row %zu col %zu differs (partition %zu row %zu of the blocks read)", n, c,
                  ca.part, ra);
        n++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ddf_csv_options opt, one;
    read_result blocks, whole;
    size_t len;

    if (size < OPTION_BYTES || size - OPTION_BYTES > MAX_FILE_BYTES)
        return -1; /* not added to the corpus */
    options_from(data, &opt);
    len = size - OPTION_BYTES;
    if (len / opt.blocksize > MAX_PARTS)
        opt.blocksize = len / MAX_PARTS + 1;
    write_tmp(data + OPTION_BYTES, len);

    memset(&blocks, 0, sizeof(blocks));
    memset(&whole, 0, sizeof(whole));
    read_csv(&opt, &blocks);
    if (blocks.rc == DDF_OK)
        check_parts(&blocks);
    one = opt;
    one.blocksize = ONE_BLOCK;
    read_csv(&one, &whole);
    if (whole.rc == DDF_OK)
        check_parts(&whole);
    compare_reads(&blocks, &whole);
    if (whole.rc == DDF_OK)
        check_widening(&opt, &whole);
    result_fini(&blocks);
    result_fini(&whole);
    return 0;
}
