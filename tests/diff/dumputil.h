/* dumputil.h - what the differential-test dump tools (ddf-csvdump, -aggdump, -exprdump,
 * -topkdump, -groupbydump) share: the CSV reading options they take on the command line,
 * reading the file into partitions with the local engine, and JSON-lines output of values.
 * One version of each, so that the tools print and parse alike and the Python scripts
 * read every tool's output the same way. */
#ifndef DDF_DUMPUTIL_H
#define DDF_DUMPUTIL_H

#include "csv_reader.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* Most names, usecols, --dtype pins and --na-value strings one command line gives. */
#define DUMP_MAX_LIST 64

/* getopt_long codes of the CSV options (dump_getopt takes them): above every character,
 * so a tool's own short codes never collide with them. */
enum dump_csv_opt {
    DUMP_OPT_BLOCKSIZE = 0x100,
    DUMP_OPT_SEP,
    DUMP_OPT_NO_HEADER,
    DUMP_OPT_NAMES,
    DUMP_OPT_USECOLS,
    DUMP_OPT_SKIPROWS,
    DUMP_OPT_DTYPE,
    DUMP_OPT_NA_VALUE,
    DUMP_OPT_NO_DEFAULT_NA,
    DUMP_OPT_ON_BAD_LINES,
};

/* 'struct option' entries for a tool's longopts table: --help, one CSV option, or all. */
#define DUMP_LONGOPT_HELP {"help", no_argument, NULL, 'h'}
#define DUMP_LONGOPT_BLOCKSIZE {"blocksize", required_argument, NULL, DUMP_OPT_BLOCKSIZE}
#define DUMP_LONGOPT_DTYPE {"dtype", required_argument, NULL, DUMP_OPT_DTYPE}
#define DUMP_LONGOPTS_CSV                                            \
    DUMP_LONGOPT_BLOCKSIZE,                                          \
    {"sep", required_argument, NULL, DUMP_OPT_SEP},                  \
    {"no-header", no_argument, NULL, DUMP_OPT_NO_HEADER},            \
    {"names", required_argument, NULL, DUMP_OPT_NAMES},              \
    {"usecols", required_argument, NULL, DUMP_OPT_USECOLS},          \
    {"skiprows", required_argument, NULL, DUMP_OPT_SKIPROWS},        \
    DUMP_LONGOPT_DTYPE,                                              \
    {"na-value", required_argument, NULL, DUMP_OPT_NA_VALUE},        \
    {"no-default-na", no_argument, NULL, DUMP_OPT_NO_DEFAULT_NA},    \
    {"on-bad-lines", required_argument, NULL, DUMP_OPT_ON_BAD_LINES}

/* A tool's CSV input: the options it was given (with the storage they point into) and,
 * after dump_csv_read, the file's schema and partitions. */
typedef struct dump_csv {
    const char *tool;            /* "aggdump": the prefix of every message */
    void (*usage)(FILE *to);     /* the tool's usage text, printed on a bad option */
    int status;                  /* exit status, after dump_getopt says to exit */
    ddf_csv_options opt;         /* what ddf_csv_read_file is given */
    const char *names[DUMP_MAX_LIST];     /* --names, pointing into argv */
    const char *usecols[DUMP_MAX_LIST];   /* --usecols, pointing into argv */
    const char *na_values[DUMP_MAX_LIST]; /* --na-value, pointing into argv */
    ddf_csv_pin pins[DUMP_MAX_LIST];      /* --dtype COL=TYPE, names pointing into argv */
    ddf_schema *schema;          /* the file's schema, NULL before reading */
    ddf_table **parts;           /* its partitions in file order */
    size_t nparts;
    ddf_csv_report report;       /* warnings and bad lines of the read */
} dump_csv;

/* Default options, nothing read yet. 'tool' and 'usage' are borrowed. */
void dump_csv_init(dump_csv *in, const char *tool, void (*usage)(FILE *to));

/* Free what dump_csv_read made; 'in' is empty again. Safe after a failed read. */
void dump_csv_fini(dump_csv *in);

/* Returned by dump_getopt when the tool is to exit with in->status. */
#define DUMP_GETOPT_EXIT (-2)

/* getopt_long over 'longopts' (which name --help as 'h'), with the CSV options among them
 * taken into 'in' on the way: returns the tool's next own option code, -1 after the last
 * option (optind is then at the operands), or DUMP_GETOPT_EXIT with in->status 0 after
 * --help (the usage on stdout) or 2 after an unknown option or a bad value (the usage or
 * a message on stderr). */
int dump_getopt(dump_csv *in, int argc, char **argv, const char *shortopts,
                const struct option *longopts);

/* Read the CSV file 'path' with in->opt on 'threads' threads into in->schema/parts.
 * With 'need_parts' a file without partitions is an error too (DDF_EEMPTY). Returns
 * DDF_OK, or a negative code after printing "<tool>: <DDF_E...>: <message>" (or
 * "<tool>: <path>: no partitions") to stderr; then 'in' holds nothing to free and 'err'
 * the details. */
int dump_csv_read(dump_csv *in, const char *path, unsigned threads, bool need_parts,
                  ddf_error *err);

/* "<tool>: <DDF_E...>: <message>" and a newline on stderr: how every tool reports an
 * error of its own. */
void dump_error(const char *tool, int rc, const char *msg);

/* 'len' bytes of 's' as a JSON string: quotes, backslashes and control bytes escaped,
 * bytes >= 0x80 passed through (so valid UTF-8 input stays valid). */
void dump_put_json_str(FILE *o, const char *s, size_t len);

/* A float64 as JSON: "%.17g", or one of the strings "NaN", "Infinity", "-Infinity",
 * which JSON numbers cannot hold. */
void dump_put_f64(FILE *o, double d);

/* Row 'row' of column 'c' as JSON: null, true/false, an integer, a float (dump_put_f64)
 * or a string (dump_put_json_str). */
void dump_put_cell(FILE *o, const ddf_column *c, size_t row);

/* ',"error":"<DDF_E...>","message":"..."': the fields of a line that reports an error. */
void dump_put_error_fields(FILE *o, int rc, const ddf_error *err);

#endif
