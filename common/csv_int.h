/* csv_int.h - what the CSV reader's files (csv_open.c, csv_block.c, csv_file.c) share.
 *
 * An opened file (ddf_csv_file) is immutable after ddf_csv_open, which is why many
 * threads may read blocks of it at once. */
#ifndef DDF_CSV_INT_H
#define DDF_CSV_INT_H

#include "csv_reader.h"

#include <csv.h>

/* NA strings: pandas' defaults and/or the caller's, matched exactly (no trimming). */
typedef struct na_set {
    bool defaults;      /* pandas' default NA strings are NA */
    size_t count;       /* extra strings */
    char **values;      /* ddf_malloc'd copies */
    size_t *lengths;
} na_set;

struct ddf_csv_file {
    char *path;              /* as given */
    uint64_t size;           /* bytes, at open time */
    uint64_t data_start;     /* offset of the first data record */
    uint64_t data_line;      /* 1-based line of data_start */
    char sep;
    char quote;
    ddf_bad_lines on_bad_lines;
    uint32_t nfields;        /* fields per record (header width) */
    int32_t *field_to_col;   /* nfields entries: schema column, or -1 when not used */
    ddf_schema *schema;      /* inferred, owned */
    na_set na;
};

/* Whether the field is an NA string of 'na' (the full check). */
bool ddf_csv_is_na_slow(const na_set *na, const char *s, size_t len);

/* Whether the field is an NA string of 'na'. Empty fields are always NA (pandas). Runs on
 * every field, so the common answer (a number or a word, no extra NA strings) is decided
 * inline from the length and the first byte, which no default NA string shares with a
 * digit other than '1'. */
static inline bool ddf_csv_is_na(const na_set *na, const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (na->count == 0) {
        if (!na->defaults || len < 2 || len > 8)
            return false;
        switch (s[0]) {
        case '#':
        case '-':
        case '1':
        case '<':
        case 'N':
        case 'n':
            break;
        default:
            return false;
        }
    }
    return ddf_csv_is_na_slow(na, s, len);
}

/* libcsv set up for ddf: strict quoting, every newline reported (for line numbers and
 * blank lines), no trimming of spaces (pandas keeps them), a bounded field buffer. */
void ddf_csv_parser_init(struct csv_parser *p, char sep, char quote);

/* Whether libcsv's out-of-memory came from the field-size bound (see limits.h). */
bool ddf_csv_parser_hit_field_limit(struct csv_parser *p);

/* Read up to 'len' bytes at 'offset' of the open descriptor, retrying short reads.
 * Returns the bytes read (less only at end of file) or -1 with errno set. */
long long ddf_csv_pread_full(int fd, void *buf, size_t len, uint64_t offset);

#endif
