/* dumputil.c - the pieces every differential-test dump tool shares: CSV options from the
 * command line, reading the file into partitions, and JSON output of values.
 *
 * The Python scripts (the <name>_vs_pandas.py beside it) parse what the tools print, so the
 * output here is a format: JSON values, except that non-finite floats are the strings
 * "NaN", "Infinity" and "-Infinity" and strings pass bytes >= 0x80 through unescaped.
 * Messages go to stderr as "<tool>: ..."; the scripts match on that prefix. */
#include "dumputil.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dump_csv_init(dump_csv *in, const char *tool, void (*usage)(FILE *to))
{
    memset(in, 0, sizeof(*in));
    in->tool = tool;
    in->usage = usage;
    ddf_csv_options_init(&in->opt);
    ddf_csv_report_init(&in->report);
}

void dump_csv_fini(dump_csv *in)
{
    ddf_csv_report_fini(&in->report);
    ddf_csv_parts_free(in->parts, in->nparts);
    ddf_schema_free(in->schema);
    in->schema = NULL;
    in->parts = NULL;
    in->nparts = 0;
}

/* Split "a,b,c" in place into at most DUMP_MAX_LIST items. */
static size_t split_list(char *s, const char **items)
{
    size_t n = 0;

    for (char *tok = strtok(s, ","); tok && n < DUMP_MAX_LIST; tok = strtok(NULL, ","))
        items[n++] = tok;
    return n;
}

/* --dtype COL=TYPE: pin COL's dtype. */
static int take_dtype(dump_csv *in, char *arg)
{
    ddf_csv_options *opt = &in->opt;
    char *eq = strchr(arg, '=');

    if (eq == NULL || opt->ndtypes == DUMP_MAX_LIST) {
        in->usage(stderr);
        return -1;
    }
    *eq = '\0';
    in->pins[opt->ndtypes].name = arg;
    if (ddf_dtype_parse(eq + 1, &in->pins[opt->ndtypes].dtype) < 0) {
        fprintf(stderr, "%s: unknown dtype '%s'\n", in->tool, eq + 1);
        return -1;
    }
    opt->ndtypes++;
    opt->dtypes = in->pins;
    return 1;
}

/* Take getopt_long's 'code' with its argument 'arg' (split or cut in place, and kept:
 * 'arg' must outlive 'in', as argv does). Returns 1 when 'code' is a CSV option and was
 * taken, 0 when it is not one (the tool's own), -1 when its value is bad: the usage or
 * "<tool>: unknown dtype '...'" is then on stderr. */
static int take_option(dump_csv *in, int code, char *arg)
{
    ddf_csv_options *opt = &in->opt;

    switch (code) {
    case DUMP_OPT_BLOCKSIZE:
        opt->blocksize = strtoull(arg, NULL, 10);
        return 1;
    case DUMP_OPT_SEP:
        opt->sep = strcmp(arg, "\\t") == 0 ? '\t' : arg[0];
        return 1;
    case DUMP_OPT_NO_HEADER:
        opt->header = false;
        return 1;
    case DUMP_OPT_NAMES:
        opt->nnames = split_list(arg, in->names);
        opt->names = in->names;
        return 1;
    case DUMP_OPT_USECOLS:
        opt->nusecols = split_list(arg, in->usecols);
        opt->usecols = in->usecols;
        return 1;
    case DUMP_OPT_SKIPROWS:
        opt->skiprows = strtoull(arg, NULL, 10);
        return 1;
    case DUMP_OPT_DTYPE:
        return take_dtype(in, arg);
    case DUMP_OPT_NA_VALUE:
        if (opt->nna_values < DUMP_MAX_LIST)
            in->na_values[opt->nna_values++] = arg;
        opt->na_values = in->na_values;
        return 1;
    case DUMP_OPT_NO_DEFAULT_NA:
        opt->keep_default_na = false;
        return 1;
    case DUMP_OPT_ON_BAD_LINES:
        if (strcmp(arg, "warn") == 0)
            opt->on_bad_lines = DDF_BAD_LINES_WARN;
        else if (strcmp(arg, "skip") == 0)
            opt->on_bad_lines = DDF_BAD_LINES_SKIP;
        else
            opt->on_bad_lines = DDF_BAD_LINES_ERROR;
        return 1;
    default:
        return 0;
    }
}

int dump_getopt(dump_csv *in, int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    int c, taken;

    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        taken = take_option(in, c, optarg);
        if (taken < 0) {
            in->status = 2;
            return DUMP_GETOPT_EXIT;
        }
        if (taken > 0)
            continue;
        if (c == 'h') {
            in->usage(stdout);
            in->status = 0;
            return DUMP_GETOPT_EXIT;
        }
        if (c == '?' || c == ':') { /* getopt_long has said what is wrong */
            in->usage(stderr);
            in->status = 2;
            return DUMP_GETOPT_EXIT;
        }
        return c;
    }
    return -1;
}

int dump_csv_read(dump_csv *in, const char *path, unsigned threads, bool need_parts,
                  ddf_error *err)
{
    int rc;

    ddf_error_init(err);
    rc = ddf_csv_read_file(path, &in->opt, threads, &in->schema, &in->parts, &in->nparts,
                           &in->report, err);
    if (rc < 0) {
        dump_error(in->tool, rc, err->msg);
        goto out_fini;
    }
    if (need_parts && in->nparts == 0) {
        rc = ddf_error_setf(err, DDF_EEMPTY, "%s: no partitions", path);
        fprintf(stderr, "%s: %s\n", in->tool, err->msg);
        goto out_fini;
    }
    return DDF_OK;
out_fini:
    dump_csv_fini(in);
    return rc;
}

void dump_error(const char *tool, int rc, const char *msg)
{
    fprintf(stderr, "%s: %s: %s\n", tool, ddf_err_name(rc), msg);
}

void dump_put_json_str(FILE *o, const char *s, size_t len)
{
    fputc('"', o);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", o);
        else if (c == '\r')
            fputs("\\r", o);
        else if (c == '\t')
            fputs("\\t", o);
        else if (c < 0x20)
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

void dump_put_f64(FILE *o, double d)
{
    if (isnan(d))
        fputs("\"NaN\"", o);
    else if (isinf(d))
        fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", o);
    else
        fprintf(o, "%.17g", d);
}

void dump_put_cell(FILE *o, const ddf_column *c, size_t row)
{
    const char *s;
    size_t len;

    if (!ddf_column_is_valid(c, row)) {
        fputs("null", o);
        return;
    }
    switch (c->dtype) {
    case DDF_DTYPE_BOOL:
        fputs(c->values.b8[row] ? "true" : "false", o);
        break;
    case DDF_DTYPE_INT64:
        fprintf(o, "%" PRId64, c->values.i64[row]);
        break;
    case DDF_DTYPE_FLOAT64:
        dump_put_f64(o, c->values.f64[row]);
        break;
    case DDF_DTYPE_STRING:
        s = ddf_column_str(c, row, &len);
        dump_put_json_str(o, s, len);
        break;
    default:
        fputs("null", o);
        break;
    }
}

void dump_put_error_fields(FILE *o, int rc, const ddf_error *err)
{
    fprintf(o, ",\"error\":\"%s\",\"message\":", ddf_err_name(rc));
    dump_put_json_str(o, err->msg, strlen(err->msg));
}
