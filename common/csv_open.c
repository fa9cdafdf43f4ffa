/* csv_open.c - opening a CSV file: options, header, column selection and dtype inference.
 *
 * ddf_csv_open reads only the start of the file. It finds the header record with a small
 * quote-aware scan of its own (libcsv does not report byte offsets, and the data must
 * start at an exact offset for split.h), names the columns as pandas does (mangled
 * duplicates, "Unnamed: i" for empty names), applies names/usecols/dtype, then infers
 * the dtypes of the other columns by parsing a sample of whole records with the block
 * reader and an all-unknown schema: the widening the sample asks for is the inferred
 * schema. The NA matcher and libcsv's set-up also live here. */
#include "csv_int.h"

#include "alloc.h"
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ddf_csv_options_init(ddf_csv_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->sep = ',';
    opt->quote = '"';
    opt->header = true;
    opt->keep_default_na = true;
    opt->on_bad_lines = DDF_BAD_LINES_ERROR;
    opt->blocksize = DDF_DEFAULT_BLOCKSIZE;
}

/* ---- NA strings ---------------------------------------------------------------------- */

static bool equals_any(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return true;
    return false;
}

/* pandas 1.5 STR_NA_VALUES (the empty string is handled by the caller), dispatched on the
 * first byte so that a number or a word costs one switch: this runs on every field. */
static bool is_default_na(const char *s, size_t len)
{
    static const char *const hash[] = {"#N/A", "#N/A N/A", "#NA"};
    static const char *const minus[] = {"-1.#IND", "-1.#QNAN", "-NaN", "-nan"};
    static const char *const one[] = {"1.#IND", "1.#QNAN"};
    static const char *const upper_n[] = {"N/A", "NA", "NULL", "NaN"};
    static const char *const lower_n[] = {"n/a", "nan", "null"};

    if (len < 2 || len > 8)
        return false;
    switch (s[0]) {
    case '#':
        return equals_any(s, len, hash, 3);
    case '-':
        return s[len - 1] > '9' && equals_any(s, len, minus, 4);
    case '1':
        return len >= 6 && s[1] == '.' && s[2] == '#' && equals_any(s, len, one, 2);
    case '<':
        return len == 4 && memcmp(s, "<NA>", 4) == 0;
    case 'N':
        return equals_any(s, len, upper_n, 4);
    case 'n':
        return equals_any(s, len, lower_n, 3);
    default:
        return false;
    }
}

bool ddf_csv_is_na_slow(const na_set *na, const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (na->defaults && is_default_na(s, len))
        return true;
    for (size_t i = 0; i < na->count; i++)
        if (na->lengths[i] == len && memcmp(na->values[i], s, len) == 0)
            return true;
    return false;
}

static void na_fini(na_set *na)
{
    for (size_t i = 0; i < na->count; i++)
        ddf_free(na->values[i]);
    ddf_free(na->values);
    ddf_free(na->lengths);
    memset(na, 0, sizeof(*na));
}

static int na_init(na_set *na, const ddf_csv_options *opt, ddf_error *err)
{
    memset(na, 0, sizeof(*na));
    na->defaults = opt->keep_default_na;
    if (opt->nna_values == 0)
        return DDF_OK;
    if (opt->nna_values > DDF_MAX_NA_VALUES)
        return ddf_error_setf(err, DDF_EINVAL, "na_values: %zu strings, the limit is %d",
                              opt->nna_values, DDF_MAX_NA_VALUES);
    na->values = ddf_calloc(opt->nna_values, sizeof(char *));
    na->lengths = ddf_calloc(opt->nna_values, sizeof(size_t));
    if (na->values == NULL || na->lengths == NULL)
        goto nomem;
    for (size_t i = 0; i < opt->nna_values; i++) {
        na->values[i] = ddf_strdup(opt->na_values[i]);
        if (na->values[i] == NULL)
            goto nomem;
        na->lengths[i] = strlen(opt->na_values[i]);
        na->count++;
    }
    return DDF_OK;
nomem:
    na_fini(na);
    return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
}

/* ---- libcsv set-up -------------------------------------------------------------------- */

static int no_space(unsigned char c)
{
    (void)c;
    return 0; /* pandas keeps spaces around unquoted fields; libcsv would trim them */
}

#define FIELD_BLOCK_BYTES 4096u

/* libcsv grows its field buffer through this; refusing past the bound makes csv_parse
 * stop with CSV_ENOMEM instead of swallowing a whole broken file into one field. */
static void *bounded_realloc(void *ptr, size_t size)
{
    if (size > (size_t)DDF_MAX_FIELD_BYTES)
        return NULL; /* libcsv then retries smaller steps up to exactly the bound */
    return ddf_realloc(ptr, size);
}

void ddf_csv_parser_init(struct csv_parser *p, char sep, char quote)
{
    csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL); /* fails only for NULL p */
    csv_set_delim(p, (unsigned char)sep);
    csv_set_quote(p, (unsigned char)quote);
    csv_set_space_func(p, no_space);
    csv_set_realloc_func(p, bounded_realloc);
    csv_set_free_func(p, ddf_free);
    csv_set_blk_size(p, FIELD_BLOCK_BYTES);
}

bool ddf_csv_parser_hit_field_limit(struct csv_parser *p)
{
    return csv_get_buffer_size(p) + FIELD_BLOCK_BYTES > (size_t)DDF_MAX_FIELD_BYTES;
}

long long ddf_csv_pread_full(int fd, void *buf, size_t len, uint64_t offset)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long long)done;
}

/* ---- the start of the file ------------------------------------------------------------ */

/* The first bytes of the file, read on demand. */
typedef struct prefix {
    int fd;
    uint64_t size; /* file size */
    char *buf;
    size_t len;    /* bytes of the file in buf: [0, len) */
    size_t cap;
} prefix;

/* Make buf hold the file up to 'upto' (or its end). */
static int prefix_ensure(prefix *pf, uint64_t upto, const char *path, ddf_error *err)
{
    size_t want, cap;
    long long got;
    char *grown;

    if (upto > pf->size)
        upto = pf->size;
    if (upto <= pf->len)
        return DDF_OK;
    cap = pf->cap ? pf->cap : 64 * 1024;
    while (cap < upto)
        cap *= 2;
    if (cap > pf->size)
        cap = (size_t)pf->size;
    if (cap > pf->cap) {
        grown = ddf_realloc(pf->buf, cap);
        if (grown == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", path);
        pf->buf = grown;
        pf->cap = cap;
    }
    want = cap - pf->len;
    got = ddf_csv_pread_full(pf->fd, pf->buf + pf->len, want, pf->len);
    if (got < 0)
        return ddf_error_setf(err, DDF_EIO, "%s: %s", path, strerror(errno));
    pf->len += (size_t)got;
    if ((size_t)got < want)
        pf->size = pf->len; /* the file shrank under us; what we read is what there is */
    return DDF_OK;
}

/* One record found by the scan: [start, end), end is just past its '\n' (or the file end). */
typedef struct span {
    uint64_t start;
    uint64_t end;
    uint64_t newlines; /* '\n' inside [start, end) */
    bool blank;        /* nothing but spaces, tabs and line ends */
} span;

/* Scan the record starting at 'start', quote-aware. A record may not be longer than a
 * field may be (plus the header's many short fields): bounded by DDF_MAX_FIELD_BYTES * 4. */
static int scan_record(prefix *pf, uint64_t start, char quote, span *out, const char *path,
                       ddf_error *err)
{
    const uint64_t limit = 4ull * DDF_MAX_FIELD_BYTES;
    bool quoted = false;
    uint64_t i = start;
    int rc;

    memset(out, 0, sizeof(*out));
    out->start = start;
    out->blank = true;
    for (;;) {
        if (i >= pf->len) {
            if (i >= pf->size)
                break;
            if (i - start > limit)
                return ddf_error_setf(err, DDF_ETOOBIG,
                                      "%s: the record at offset %llu is longer than %llu bytes",
                                      path, (unsigned long long)start,
                                      (unsigned long long)limit);
            rc = prefix_ensure(pf, i + 1, path, err);
            if (rc < 0)
                return rc;
            if (i >= pf->len)
                break;
        }
        char ch = pf->buf[i++];
        if (ch == quote)
            quoted = !quoted;
        if (ch == '\n') {
            out->newlines++;
            if (!quoted)
                break;
        } else if (ch != ' ' && ch != '\t' && ch != '\r') {
            out->blank = false;
        }
    }
    out->end = i;
    return DDF_OK;
}

/* Fields of one record, parsed by libcsv. */
typedef struct field_list {
    ddf_schema *names; /* fields collected as a schema of NULL dtypes */
    uint32_t count;    /* fields seen, also past the limit */
    uint32_t records;  /* records that had fields: more than one means lone-CR line ends */
    int rc;
} field_list;

static void collect_field(void *data, size_t len, void *ud)
{
    field_list *fl = ud;

    fl->count++;
    if (fl->rc == 0)
        fl->rc = ddf_schema_add(fl->names, data ? data : "", len, DDF_DTYPE_NULL, 0);
}

static void collect_record(int term, void *ud)
{
    field_list *fl = ud;

    (void)term;
    if (fl->count > 0 && fl->names->ncols > 0)
        fl->records++;
    fl->count = 0;
}

/* Parse the record 'sp' into fl->names. */
static int parse_record(prefix *pf, const span *sp, char sep, char quote, field_list *fl,
                        const char *path, ddf_error *err)
{
    struct csv_parser p;
    size_t len = (size_t)(sp->end - sp->start);
    int rc = DDF_OK;

    ddf_csv_parser_init(&p, sep, quote);
    if (csv_parse(&p, pf->buf + sp->start, len, collect_field, collect_record, fl) < len ||
        csv_fini(&p, collect_field, collect_record, fl) != 0) {
        if (csv_error(&p) == CSV_ENOMEM && ddf_csv_parser_hit_field_limit(&p))
            rc = ddf_error_setf(err, DDF_ETOOBIG, "%s: a header field is longer than %u bytes",
                                path, DDF_MAX_FIELD_BYTES);
        else if (csv_error(&p) == CSV_ENOMEM)
            rc = ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", path);
        else
            rc = ddf_error_setf(err, DDF_EPARSE, "%s: malformed quoting in the header", path);
    }
    csv_free(&p);
    if (rc == DDF_OK && fl->records > 1)
        rc = ddf_error_setf(err, DDF_EPARSE, "%s: lines end with a lone carriage return, "
                            "which is not supported (use LF or CRLF)", path);
    else if (rc == DDF_OK && fl->rc == DDF_ETOOBIG)
        rc = ddf_error_setf(err, DDF_ETOOBIG, "%s: more than %d columns", path,
                            DDF_MAX_COLUMNS);
    else if (rc == DDF_OK && fl->rc < 0)
        rc = ddf_error_setf(err, fl->rc, "%s: out of memory", path);
    return rc;
}

/* ---- columns ---------------------------------------------------------------------------- */

/* Name the fields: the header's names mangled as pandas does, or the caller's names, or
 * "0", "1", ... Then choose the used columns and their pinned dtypes. */
static int build_schema(ddf_csv_file *file, ddf_schema *names, const ddf_csv_options *opt,
                        ddf_error *err)
{
    char buf[32];
    int rc;

    for (size_t i = 0; i < names->ncols; i++) {
        if (strlen(names->fields[i].name) > DDF_MAX_NAME_BYTES)
            return ddf_error_setf(err, DDF_ETOOBIG, "%s: column %zu has a name longer than "
                                  "%d bytes", file->path, i + 1, DDF_MAX_NAME_BYTES);
        if (names->fields[i].name[0] != '\0')
            continue;
        ddf_free(names->fields[i].name); /* pandas: "Unnamed: <index>" */
        snprintf(buf, sizeof(buf), "Unnamed: %zu", i);
        names->fields[i].name = ddf_strdup(buf);
        if (names->fields[i].name == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    rc = ddf_schema_mangle_duplicates(names);
    if (rc < 0)
        return ddf_error_setf(err, rc, "out of memory");

    file->field_to_col = ddf_mallocarray(file->nfields ? file->nfields : 1, sizeof(int32_t));
    if (file->field_to_col == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t u = 0; u < opt->nusecols; u++)
        if (ddf_schema_find(names, opt->usecols[u]) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: usecols names column '%s', which the "
                                  "file does not have", file->path, opt->usecols[u]);
    for (uint32_t f = 0; f < file->nfields; f++) {
        const char *name = names->fields[f].name;
        bool used = opt->nusecols == 0;
        for (size_t u = 0; u < opt->nusecols && !used; u++)
            used = strcmp(opt->usecols[u], name) == 0;
        file->field_to_col[f] = used ? (int32_t)file->schema->ncols : -1;
        if (!used)
            continue;
        ddf_dtype dtype = DDF_DTYPE_NULL;
        unsigned flags = 0;
        for (size_t d = 0; d < opt->ndtypes; d++) {
            if (strcmp(opt->dtypes[d].name, name) == 0) {
                dtype = opt->dtypes[d].dtype;
                flags = DDF_FIELD_PINNED;
            }
        }
        rc = ddf_schema_add(file->schema, name, strlen(name), dtype, flags);
        if (rc < 0)
            return ddf_error_setf(err, rc, "out of memory");
    }
    for (size_t d = 0; d < opt->ndtypes; d++) {
        if (ddf_schema_find(file->schema, opt->dtypes[d].name) < 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: dtype given for column '%s', which "
                                  "is not read", file->path, opt->dtypes[d].name);
        if (opt->dtypes[d].dtype == DDF_DTYPE_NULL)
            return ddf_error_setf(err, DDF_EINVAL, "dtype of column '%s' is not a dtype",
                                  opt->dtypes[d].name);
    }
    return DDF_OK;
}

static int check_options(const char *path, const ddf_csv_options *opt, ddf_error *err)
{
    if (opt->sep == '\n' || opt->sep == '\r' || opt->sep == opt->quote || opt->sep == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "sep must be one character other than a "
                              "quote or a line end");
    if (opt->quote == '\n' || opt->quote == '\r' || opt->quote == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "quotechar must be a printable character");
    if (opt->blocksize == 0)
        return ddf_error_setf(err, DDF_EINVAL, "blocksize must be at least 1 byte");
    if (opt->on_bad_lines > DDF_BAD_LINES_SKIP)
        return ddf_error_setf(err, DDF_EINVAL, "on_bad_lines must be error, warn or skip");
    if (opt->nnames > DDF_MAX_COLUMNS || opt->nusecols > DDF_MAX_COLUMNS ||
        opt->ndtypes > DDF_MAX_COLUMNS)
        return ddf_error_setf(err, DDF_EINVAL, "more than %d names, usecols or dtypes",
                              DDF_MAX_COLUMNS);
    for (size_t i = 0; i < opt->nnames; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(opt->names[i], opt->names[j]) == 0)
                return ddf_error_setf(err, DDF_EINVAL, "names: duplicate name '%s' (as in "
                                      "pandas, duplicate names are not allowed)", opt->names[i]);
    (void)path;
    return DDF_OK;
}

/* ---- inference ---------------------------------------------------------------------- */

/* Parse [data_start, end of the first whole record past DDF_SAMPLE_BYTES) with every
 * inferred column unknown; what the sample asks for is the schema. */
static int infer_dtypes(ddf_csv_file *file, prefix *pf, ddf_error *err)
{
    uint64_t target = file->data_start + DDF_SAMPLE_BYTES;
    ddf_split_part part;
    ddf_csv_report report;
    ddf_table *table = NULL;
    span sp;
    int rc;

    if (target >= pf->size) {
        target = pf->size;
    } else {
        /* Whole records only: walk them from the data start, where the quote parity is
         * known to be even, to the first record boundary at or past the target. */
        uint64_t at = file->data_start;
        while (at < target) {
            rc = scan_record(pf, at, file->quote, &sp, file->path, err);
            if (rc < 0)
                return rc;
            at = sp.end;
        }
        target = at;
    }
    part.offset = file->data_start;
    part.length = target - file->data_start;
    part.first_line = file->data_line;
    ddf_csv_report_init(&report);
    rc = ddf_csv_read_block(file, file->schema, &part, &table, &report, err);
    if (rc == DDF_EWIDEN) {
        for (size_t c = 0; c < file->schema->ncols; c++)
            file->schema->fields[c].dtype = report.needed[c];
        rc = DDF_OK;
        if (err)
            ddf_error_init(err);
    } else if (rc == DDF_OK && table->nrows == 0 && target == pf->size) {
        /* No rows at all: pandas reads the columns of a header-only file as object. */
        for (size_t c = 0; c < file->schema->ncols; c++)
            if (file->schema->fields[c].dtype == DDF_DTYPE_NULL)
                file->schema->fields[c].dtype = DDF_DTYPE_STRING;
    }
    ddf_table_free(table);
    ddf_csv_report_fini(&report);
    return rc;
}

/* ---- open ------------------------------------------------------------------------------ */

static int open_layout(ddf_csv_file *file, prefix *pf, const ddf_csv_options *opt,
                       ddf_error *err)
{
    field_list fl = {0};
    uint64_t at = 0, line = 1, skipped = 0;
    span sp;
    int rc;

    rc = prefix_ensure(pf, 3, file->path, err);
    if (rc < 0)
        return rc;
    if (pf->len >= 3 && memcmp(pf->buf, "\xef\xbb\xbf", 3) == 0)
        at = 3; /* UTF-8 byte order mark, which pandas drops */
    /* skiprows counts every line, blank ones too; then blank lines before the first record
     * are skipped. */
    for (;;) {
        if (at >= pf->size)
            return ddf_error_setf(err, DDF_EEMPTY, "%s: no columns to parse from file",
                                  file->path);
        rc = scan_record(pf, at, file->quote, &sp, file->path, err);
        if (rc < 0)
            return rc;
        if (skipped < opt->skiprows) {
            skipped++;
        } else if (!sp.blank) {
            break;
        }
        at = sp.end;
        line += sp.newlines;
    }
    fl.names = ddf_schema_new();
    if (fl.names == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    rc = parse_record(pf, &sp, file->sep, file->quote, &fl, file->path, err);
    if (rc < 0)
        goto out;
    if (opt->header) {
        file->data_start = sp.end;
        file->data_line = line + sp.newlines;
    } else {
        file->data_start = at;
        file->data_line = line;
    }
    if (opt->nnames) {
        /* names replace the header (or name the columns of a headerless file). */
        if (opt->header && opt->nnames != fl.names->ncols) {
            rc = ddf_error_setf(err, DDF_EINVAL, "%s: names has %zu entries but the header "
                                "has %zu fields", file->path, opt->nnames, fl.names->ncols);
            goto out;
        }
        ddf_schema_free(fl.names);
        fl.names = ddf_schema_new();
        if (fl.names == NULL) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < opt->nnames && rc == DDF_OK; i++)
            rc = ddf_schema_add(fl.names, opt->names[i], strlen(opt->names[i]),
                                DDF_DTYPE_NULL, 0);
        if (rc < 0) {
            rc = ddf_error_setf(err, rc, "out of memory");
            goto out;
        }
    } else if (!opt->header) {
        for (size_t i = 0; i < fl.names->ncols; i++) {
            char buf[24];
            snprintf(buf, sizeof(buf), "%zu", i);
            ddf_free(fl.names->fields[i].name);
            fl.names->fields[i].name = ddf_strdup(buf);
            if (fl.names->fields[i].name == NULL) {
                rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    file->nfields = (uint32_t)fl.names->ncols;
    rc = build_schema(file, fl.names, opt, err);
    if (rc == DDF_OK)
        rc = infer_dtypes(file, pf, err);
out:
    ddf_schema_free(fl.names);
    return rc;
}

int ddf_csv_open(const char *path, const ddf_csv_options *opt, ddf_csv_file **out,
                 ddf_error *err)
{
    ddf_csv_file *file;
    prefix pf = {.fd = -1};
    struct stat st;
    int rc;

    *out = NULL;
    rc = check_options(path, opt, err);
    if (rc < 0)
        return rc;
    file = ddf_calloc(1, sizeof(*file));
    if (file == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    file->path = ddf_strdup(path);
    file->schema = ddf_schema_new();
    if (file->path == NULL || file->schema == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        goto fail;
    }
    file->sep = opt->sep;
    file->quote = opt->quote;
    file->on_bad_lines = opt->on_bad_lines;
    rc = na_init(&file->na, opt, err);
    if (rc < 0)
        goto fail;
    pf.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (pf.fd < 0) {
        rc = ddf_error_setf(err, errno == ENOENT ? DDF_ENOENT : DDF_EIO, "%s: %s", path,
                            strerror(errno));
        goto fail;
    }
    if (fstat(pf.fd, &st) < 0) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ddf_error_setf(err, DDF_EIO, "%s: %s", path,
                            S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        goto fail;
    }
    pf.size = (uint64_t)st.st_size;
    file->size = pf.size;
    rc = open_layout(file, &pf, opt, err);
    if (rc < 0)
        goto fail;
    file->size = pf.size;
    close(pf.fd);
    ddf_free(pf.buf);
    *out = file;
    return DDF_OK;
fail:
    if (pf.fd >= 0)
        close(pf.fd);
    ddf_free(pf.buf);
    ddf_csv_close(file);
    return rc;
}

void ddf_csv_close(ddf_csv_file *file)
{
    if (file == NULL)
        return;
    na_fini(&file->na);
    ddf_schema_free(file->schema);
    ddf_free(file->field_to_col);
    ddf_free(file->path);
    ddf_free(file);
}

const ddf_schema *ddf_csv_schema(const ddf_csv_file *file)
{
    return file->schema;
}

const char *ddf_csv_path(const ddf_csv_file *file)
{
    return file->path;
}

uint64_t ddf_csv_size(const ddf_csv_file *file)
{
    return file->size;
}

uint64_t ddf_csv_data_start(const ddf_csv_file *file)
{
    return file->data_start;
}

uint64_t ddf_csv_data_line(const ddf_csv_file *file)
{
    return file->data_line;
}

void ddf_csv_report_init(ddf_csv_report *report)
{
    memset(report, 0, sizeof(*report));
}

void ddf_csv_report_fini(ddf_csv_report *report)
{
    if (report == NULL)
        return;
    ddf_free(report->needed);
    for (size_t i = 0; i < report->nwarnings; i++)
        ddf_free(report->warnings[i]);
    memset(report, 0, sizeof(*report));
}
