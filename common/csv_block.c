/* csv_block.c - parsing one partition (a byte range of a CSV file) into typed columns.
 *
 * The range starts on a record boundary (split.h), so libcsv can start there. Each field
 * goes straight from libcsv's callback into its column: NA check, then the dtype's parser
 * (numparse.h), then an append into the table's arena. Nothing is buffered per row: a
 * row that turns out bad (too many fields) is rolled back by truncating the columns.
 *
 * Widening: a value that does not fit an inferred (unpinned) column's dtype does not fail
 * the block. The block stops storing values, keeps classifying the misfits to learn the
 * least dtype every column needs, and returns DDF_EWIDEN with report->needed; the caller
 * widens the frame's schema and reads again (DESIGN §2). A misfit in a pinned column is an
 * error naming file, line and column.
 *
 * Lines are found only when a message needs one, so the hot path pays nothing for them:
 * libcsv reports every newline outside quotes (CSV_REPALL_NL), the block counts those,
 * and a message rescans the block's bytes up to the current record's count of outside
 * newlines, counting the newlines inside quoted fields on the way. */
#include "csv_int.h"

#include "alloc.h"
#include "bytescan.h"
#include "limits.h"
#include "numparse.h"
#include "table_compact.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK_BYTES (1u << 20)

/* How values of one column are parsed while the block runs. */
typedef enum store_mode {
    STORE_BOOL,
    STORE_INT64,
    STORE_FLOAT64,
    STORE_STRING,
    STORE_UNSEEN, /* inferred column with only nulls so far: any value needs widening */
} store_mode;

typedef struct block_state {
    const ddf_csv_file *file;
    const ddf_schema *schema;
    const ddf_split_part *part;
    ddf_table *table;
    ddf_csv_report *report;
    ddf_error *err;
    store_mode *mode;      /* per column */
    ddf_dtype *needed;     /* per column: least dtype the values seen need */
    int fd;                /* the file, open for reading */
    uint32_t field;        /* fields seen in the current record */
    uint64_t outside_nl;   /* newlines outside quotes seen so far */
    uint64_t record_nl;    /* outside_nl when the current record started */
    bool widening;         /* some column needs widening: values are no longer stored */
    bool first_blank;      /* field 0 of this record is spaces/tabs only (not yet stored) */
    char *blank;           /* bytes of that field, kept until we know the line is not blank */
    uint32_t *sep_at;      /* separator positions of one plain line, sep_cap entries */
    uint32_t sep_cap;      /* a record has at most nfields - 1 separators that count */
    bool spilled;          /* libcsv holds the start of a record longer than the buffer */
    bool spill_quoted;     /* ... and that start ends inside a quoted field */
    size_t blank_len;
    size_t blank_cap;
    int rc;                /* first error; the callbacks do nothing once it is set */
} block_state;


/* The 1-based file line the current record starts on (or, between records, the line
 * after the last newline): rescans the block up to its record_nl-th outside newline. */
static uint64_t record_line(const block_state *st)
{
    uint64_t target = st->field ? st->record_nl : st->outside_nl;
    uint64_t line = st->part->first_line, outside = 0, done = 0;
    bool quoted = false;
    char buf[64 * 1024];

    while (outside < target && done < st->part->length) {
        size_t want = st->part->length - done < sizeof(buf) ? (size_t)(st->part->length - done)
                                                             : sizeof(buf);
        long long got = ddf_csv_pread_full(st->fd, buf, want, st->part->offset + done);
        if (got <= 0)
            break;
        for (long long i = 0; i < got && outside < target; i++) {
            if (buf[i] == st->file->quote) {
                quoted = !quoted;
            } else if (buf[i] == '\n') {
                line++;
                outside += !quoted;
            }
        }
        done += (uint64_t)got;
    }
    return line;
}

static int fail_nomem(block_state *st)
{
    st->rc = ddf_error_setf(st->err, DDF_ENOMEM, "%s: out of memory at offset %llu",
                            st->file->path, (unsigned long long)st->part->offset);
    return st->rc;
}

/* A value that does not fit column c's dtype: widen an inferred column, fail a pinned one. */
static void misfit(block_state *st, size_t c, const char *s, size_t len)
{
    const ddf_field *f = &st->schema->fields[c];

    if (f->flags & DDF_FIELD_PINNED) {
        uint64_t line = record_line(st);
        st->rc = ddf_error_setf(st->err, DDF_ETYPE,
                                "%s:%llu: column '%s': cannot parse '%.*s' as %s",
                                st->file->path, (unsigned long long)line, f->name,
                                (int)(len > 64 ? 64 : len), s, ddf_dtype_name(f->dtype));
        if (st->err) {
            st->err->line = line;
            st->err->column = (uint32_t)c + 1;
        }
        return;
    }
    st->needed[c] = ddf_dtype_join(st->needed[c], ddf_parse_classify(s, len));
    st->widening = true;
}

static void store(block_state *st, size_t c, const char *s, size_t len)
{
    ddf_column *col = &st->table->columns[c];
    ddf_arena *arena = st->table->arena;
    int64_t i;
    double d;
    bool b;
    int rc;

    if (len == 0 || ddf_csv_is_na(&st->file->na, s, len)) {
        if (!st->widening && ddf_column_append_null(col, arena) < 0)
            fail_nomem(st);
        return;
    }
    switch (st->mode[c]) {
    case STORE_INT64:
        if (!ddf_parse_i64(s, len, &i))
            break;
        if (!st->widening && ddf_column_append_i64(col, arena, i) < 0)
            fail_nomem(st);
        return;
    case STORE_FLOAT64:
        if (!ddf_parse_f64(s, len, &d))
            break;
        if (!st->widening && ddf_column_append_f64(col, arena, d) < 0)
            fail_nomem(st);
        return;
    case STORE_BOOL:
        if (!ddf_parse_bool(s, len, &b))
            break;
        if (!st->widening && ddf_column_append_bool(col, arena, b) < 0)
            fail_nomem(st);
        return;
    case STORE_STRING:
        if (!st->widening) {
            rc = ddf_column_append_str(col, arena, s, len);
            if (rc < 0)
                fail_nomem(st);
        }
        return;
    case STORE_UNSEEN:
        break;
    }
    misfit(st, c, s, len);
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static uint64_t count_char(const char *s, size_t len, char ch)
{
    uint64_t n = 0;
    const char *end = s + len, *p = s;

    while (p < end && (p = memchr(p, ch, (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static void on_field(void *data, size_t len, void *ud)
{
    block_state *st = ud;
    const char *s = data ? data : "";
    uint32_t f = st->field++;
    int32_t c;

    if (st->rc)
        return;
    if (f == 0)
        st->record_nl = st->outside_nl;
    if (f >= st->file->nfields)
        return; /* too many fields: judged at the end of the record */
    if (f == 1 && st->first_blank) {
        /* Field 0 was spaces only, but the line has more fields: it is a value after all. */
        st->first_blank = false;
        c = st->file->field_to_col[0];
        if (c >= 0)
            store(st, (size_t)c, st->blank, st->blank_len);
        if (st->rc)
            return;
    }
    if (f == 0 && len && is_blank(s, len)) {
        /* pandas skips lines of spaces; keep the bytes until the line shows more fields. */
        if (len > st->blank_cap) {
            char *grown = ddf_realloc(st->blank, len);
            if (grown == NULL) {
                fail_nomem(st);
                return;
            }
            st->blank = grown;
            st->blank_cap = len;
        }
        memcpy(st->blank, s, len);
        st->blank_len = len;
        st->first_blank = true;
        return;
    }
    c = st->file->field_to_col[f];
    if (c >= 0)
        store(st, (size_t)c, s, len);
}

/* Drop the values the current, bad record appended past row 'nrows'. */
static void rollback_row(block_state *st)
{
    size_t nrows = st->table->nrows;

    for (size_t c = 0; c < st->table->ncols; c++) {
        ddf_column *col = &st->table->columns[c];
        for (size_t r = nrows; r < col->length; r++) {
            if (!ddf_column_is_valid(col, r))
                col->null_count--;
            else if (col->validity) /* column.h: bits past the length are 0 */
                col->validity[r >> 3] &= (uint8_t)~(1u << (r & 7));
        }
        if (col->length > nrows)
            col->length = nrows;
    }
}

static void bad_line(block_state *st, uint32_t nfields)
{
    char msg[DDF_ERROR_MSG_BYTES];
    bool keep = st->file->on_bad_lines == DDF_BAD_LINES_ERROR ||
                (st->file->on_bad_lines == DDF_BAD_LINES_WARN &&
                 st->report->nwarnings < DDF_MAX_WARNINGS);
    uint64_t line = keep ? record_line(st) : 0; /* only kept messages pay for a line */

    snprintf(msg, sizeof(msg), "%s:%llu: expected %u fields, saw %u", st->file->path,
             (unsigned long long)line, st->file->nfields, nfields);
    if (st->file->on_bad_lines == DDF_BAD_LINES_ERROR) {
        st->rc = ddf_error_setf(st->err, DDF_EBADLINE, "%s", msg);
        if (st->err)
            st->err->line = line;
        return;
    }
    rollback_row(st);
    st->report->bad_lines++;
    if (keep) {
        char *copy = ddf_strdup(msg);
        if (copy == NULL) {
            fail_nomem(st);
            return;
        }
        st->report->warnings[st->report->nwarnings++] = copy;
    }
}

static void on_record(int term, void *ud)
{
    block_state *st = ud;
    uint32_t nfields = st->field;

    st->field = 0;
    if (st->rc == 0 && nfields > 0 && !(nfields == 1 && st->first_blank)) {
        if (nfields > st->file->nfields) {
            bad_line(st, nfields);
        } else {
            /* Short rows are padded with nulls, as pandas does. */
            for (uint32_t f = nfields; f < st->file->nfields && st->rc == 0; f++) {
                int32_t c = st->file->field_to_col[f];
                if (c >= 0 && !st->widening &&
                    ddf_column_append_null(&st->table->columns[c], st->table->arena) < 0)
                    fail_nomem(st);
            }
            if (st->rc == 0)
                st->table->nrows++;
        }
    }
    st->first_blank = false;
    if (term == '\n')
        st->outside_nl++;
}

/* libcsv stopped at byte 'at' of the chunk: say why, with the line. */
static int parse_failed(block_state *st, struct csv_parser *p, bool at_end)
{
    uint64_t line = record_line(st);
    int rc;

    if (csv_error(p) == CSV_ENOMEM && ddf_csv_parser_hit_field_limit(p))
        rc = ddf_error_setf(st->err, DDF_ETOOBIG, "%s:%llu: field longer than %u bytes",
                            st->file->path, (unsigned long long)line, DDF_MAX_FIELD_BYTES);
    else if (csv_error(p) == CSV_ENOMEM)
        rc = ddf_error_setf(st->err, DDF_ENOMEM, "%s:%llu: out of memory", st->file->path,
                            (unsigned long long)line);
    else if (at_end)
        rc = ddf_error_setf(st->err, DDF_EPARSE,
                            "%s:%llu: unterminated quoted field at end of file", st->file->path,
                            (unsigned long long)line);
    else
        rc = ddf_error_setf(st->err, DDF_EPARSE,
                            "%s:%llu: malformed quoting (a quote inside an unquoted field, or "
                            "text after a closing quote)",
                            st->file->path, (unsigned long long)line);
    if (st->err)
        st->err->line = line;
    st->rc = rc;
    return rc;
}

static int setup_columns(block_state *st)
{
    size_t n = st->schema->ncols;

    st->mode = ddf_mallocarray(n ? n : 1, sizeof(*st->mode));
    st->needed = ddf_mallocarray(n ? n : 1, sizeof(*st->needed));
    if (st->mode == NULL || st->needed == NULL)
        return DDF_ENOMEM;
    for (size_t c = 0; c < n; c++) {
        ddf_dtype d = st->schema->fields[c].dtype;
        st->needed[c] = d;
        switch (d) {
        case DDF_DTYPE_BOOL:
            st->mode[c] = STORE_BOOL;
            break;
        case DDF_DTYPE_INT64:
            st->mode[c] = STORE_INT64;
            break;
        case DDF_DTYPE_FLOAT64:
            st->mode[c] = STORE_FLOAT64;
            break;
        case DDF_DTYPE_STRING:
            st->mode[c] = STORE_STRING;
            break;
        case DDF_DTYPE_NULL:
            st->mode[c] = STORE_UNSEEN;
            break;
        }
    }
    return DDF_OK;
}

/* Make room for every row this chunk can add: at most one per newline, plus one. */
static int reserve_rows(block_state *st, const char *buf, size_t len)
{
    size_t rows = st->table->nrows + (size_t)count_char(buf, len, '\n') + 1;

    for (size_t c = 0; c < st->table->ncols; c++) {
        ddf_column *col = &st->table->columns[c];
        if (rows > col->capacity &&
            ddf_column_reserve(col, st->table->arena, rows, col->bytes_capacity) < 0)
            return DDF_ENOMEM;
    }
    return DDF_OK;
}

/* The fast path: a line [line, line + len) (without its '\n') that holds no quote and no
 * carriage return other than a final one is split on the separator here, producing the
 * same callbacks libcsv would, without its byte-at-a-time state machine. Returns false,
 * having called nothing, for any other line, which then goes to libcsv. */
static bool split_plain(block_state *st, const char *line, size_t len)
{
    const char sep = st->file->sep, quote = st->file->quote;
    uint32_t n = 0, start = 0;
    size_t i = 0;
    unsigned seps, stops;

    if (len && line[len - 1] == '\r')
        len--; /* CRLF */
    if (len > DDF_MAX_FIELD_BYTES)
        return false; /* libcsv reports the field-size bound */
    for (; i + 16 <= len; i += 16) {
        ddf_bytescan16(line + i, sep, quote, '\r', &seps, &stops);
        if (stops)
            return false; /* a quote or a CR: libcsv's case */
        while (seps) {
            if (n == st->sep_cap)
                return false; /* more fields than a record may have */
            st->sep_at[n++] = (uint32_t)i + (uint32_t)__builtin_ctz(seps);
            seps &= seps - 1;
        }
    }
    for (; i < len; i++) {
        char c = line[i];
        if (c == quote || c == '\r')
            return false;
        if (c == sep) {
            if (n == st->sep_cap)
                return false;
            st->sep_at[n++] = (uint32_t)i;
        }
    }
    for (uint32_t f = 0; f < n; f++) {
        on_field((void *)(line + start), st->sep_at[f] - start, st);
        start = st->sep_at[f] + 1;
    }
    if (len || n) /* an empty line has no field at all, as libcsv reports it */
        on_field((void *)(line + start), len - start, st);
    on_record('\n', st);
    return true;
}

/* End (just past its '\n') of the record going on at buf[at] with quote state *quoted,
 * found by quote parity, or 0 when it does not end within buf[0, have); then *quoted is
 * the state at buf[have]. */
static size_t record_end(const block_state *st, const char *buf, size_t at, size_t have,
                        bool *quoted)
{
    for (size_t i = at; i < have; i++) {
        if (buf[i] == st->file->quote)
            *quoted = !*quoted;
        else if (buf[i] == '\n' && !*quoted)
            return i + 1;
    }
    return 0;
}

/* Parse the whole records at the start of buf[0, have); returns the bytes consumed. */
static size_t parse_records(block_state *st, struct csv_parser *p, const char *buf,
                            size_t have)
{
    size_t at = 0;

    while (at < have && st->rc == 0) {
        bool quoted = st->spill_quoted;
        size_t end;
        if (!st->spilled) {
            const char *nl = memchr(buf + at, '\n', have - at);
            if (nl == NULL)
                break;
            if (split_plain(st, buf + at, (size_t)(nl - (buf + at)))) {
                at = (size_t)(nl - buf) + 1;
                continue;
            }
        }
        end = record_end(st, buf, at, have, &quoted);
        if (end == 0)
            break; /* a quoted field goes on past the buffer */
        if (csv_parse(p, buf + at, end - at, on_field, on_record, st) < end - at &&
            st->rc == 0)
            parse_failed(st, p, false);
        st->spilled = false;
        st->spill_quoted = false;
        at = end;
    }
    return at;
}

/* Read the partition through a buffer and parse it. Whole records go to parse_records;
 * the unfinished record at the end of the buffer moves to its front and waits for more
 * bytes, the buffer growing for a record longer than itself (up to the field bound: past
 * it, libcsv's bounded buffer reports the field as too long). What is left at the end of
 * the range (a last line without newline, an unterminated quote) goes to libcsv, whose
 * csv_fini ends or rejects it. */
static int parse_range(block_state *st, int fd, struct csv_parser *p)
{
    const ddf_split_part *part = st->part;
    size_t cap = part->length < READ_CHUNK_BYTES ? (size_t)part->length : READ_CHUNK_BYTES;
    char *buf = ddf_malloc(cap ? cap : 1);
    uint64_t done = 0;
    size_t have = 0, used;

    if (buf == NULL)
        return fail_nomem(st);
    while (done < part->length && st->rc == 0) {
        if (have == cap) {
            /* One record fills the buffer: grow it, or hand the record to libcsv. */
            if (cap >= 2u * DDF_MAX_FIELD_BYTES) {
                /* libcsv takes the record in pieces; note where its quoting stands so
                 * the rest of the record goes to libcsv too. */
                bool quoted = st->spill_quoted;
                record_end(st, buf, 0, have, &quoted);
                st->spilled = true;
                st->spill_quoted = quoted;
                if (csv_parse(p, buf, have, on_field, on_record, st) < have && st->rc == 0)
                    parse_failed(st, p, false);
                have = 0;
                continue;
            }
            char *grown = ddf_realloc(buf, cap * 2);
            if (grown == NULL) {
                fail_nomem(st);
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t want = part->length - done < cap - have ? (size_t)(part->length - done)
                                                       : cap - have;
        long long got = ddf_csv_pread_full(fd, buf + have, want, part->offset + done);
        if (got < 0) {
            st->rc = ddf_error_setf(st->err, DDF_EIO, "%s: read error at offset %llu: %s",
                                    st->file->path, (unsigned long long)(part->offset + done),
                                    strerror(errno));
            break;
        }
        if ((size_t)got < want) {
            st->rc = ddf_error_setf(st->err, DDF_EIO,
                                    "%s: file is shorter than when it was opened "
                                    "(it changed while being read)",
                                    st->file->path);
            break;
        }
        if (!st->widening && reserve_rows(st, buf + have, want) < 0) {
            fail_nomem(st);
            break;
        }
        have += want;
        done += want;
        used = parse_records(st, p, buf, have);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    if (st->rc == 0 && have &&
        csv_parse(p, buf, have, on_field, on_record, st) < have && st->rc == 0)
        parse_failed(st, p, false);
    if (st->rc == 0 && csv_fini(p, on_field, on_record, st) != 0 && st->rc == 0)
        parse_failed(st, p, true);
    ddf_free(buf);
    return st->rc;
}

/* Shrink a parsed partition before anyone caches it: exact-size buffers instead of the
 * parse's doubling slack, low-cardinality strings as dictionaries (table_compact.h).
 * Best effort: on failure (only out of memory) the table stays complete and correct,
 * only less compact. */
static void compact(ddf_table *table)
{
    ddf_error ignored;

    ddf_error_init(&ignored);
    (void)ddf_table_compact(table, &ignored);
}

int ddf_csv_read_block(const ddf_csv_file *file, const ddf_schema *schema,
                       const ddf_split_part *part, ddf_table **out, ddf_csv_report *report,
                       ddf_error *err)
{
    block_state st;
    struct csv_parser p;
    int fd, rc;

    *out = NULL;
    if (schema->ncols != file->schema->ncols)
        return ddf_error_setf(err, DDF_EINVAL, "%s: schema has %zu columns, the file %zu",
                              file->path, schema->ncols, file->schema->ncols);
    if (part->length > DDF_MAX_BLOCK_BYTES)
        return ddf_error_setf(err, DDF_ETOOBIG, "%s: block of %llu bytes is over the %llu limit",
                              file->path, (unsigned long long)part->length,
                              (unsigned long long)DDF_MAX_BLOCK_BYTES);
    memset(&st, 0, sizeof(st));
    st.file = file;
    st.schema = schema;
    st.part = part;
    st.report = report;
    st.err = err;
    rc = setup_columns(&st);
    if (rc < 0)
        goto out_free_state;
    st.table = ddf_table_new_from_schema(schema);
    if (st.table == NULL) {
        rc = DDF_ENOMEM;
        goto out_free_state;
    }
    fd = open(file->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = ddf_error_setf(err, errno == ENOENT ? DDF_ENOENT : DDF_EIO, "%s: %s", file->path,
                            strerror(errno));
        goto out_free_table;
    }
    st.fd = fd;
    st.sep_cap = file->nfields; /* one more than a good record has, to see bad lines */
    st.sep_at = ddf_mallocarray(st.sep_cap, sizeof(*st.sep_at));
    if (st.sep_at == NULL) {
        close(fd);
        rc = DDF_ENOMEM;
        goto out_free_table;
    }
    ddf_csv_parser_init(&p, file->sep, file->quote);
    rc = parse_range(&st, fd, &p);
    csv_free(&p);
    close(fd);
    if (rc == DDF_OK && st.widening) {
        report->needed = st.needed;
        st.needed = NULL;
        rc = ddf_error_setf(err, DDF_EWIDEN, "%s: partition at offset %llu needs wider dtypes",
                            file->path, (unsigned long long)part->offset);
        goto out_free_table;
    }
    if (rc < 0)
        goto out_free_table;
    for (size_t c = 0; c < st.table->ncols; c++)
        assert(st.table->columns[c].length == st.table->nrows);
    compact(st.table);
    *out = st.table;
    st.table = NULL;
out_free_table:
    ddf_table_free(st.table);
out_free_state:
    if (rc == DDF_ENOMEM && err && err->code != DDF_ENOMEM)
        ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", file->path);
    ddf_free(st.blank);
    ddf_free(st.sep_at);
    ddf_free(st.mode);
    ddf_free(st.needed);
    return rc;
}
