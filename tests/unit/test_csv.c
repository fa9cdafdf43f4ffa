/* test_csv.c - the CSV reader: dialect, dtypes, widening, and every error path with its
 * exact message and place. */
#include "testutil.h"

#include "alloc.h"
#include "csv_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read 'text' with the local engine; on success the partitions are concatenated into
 * 'parts'/'nparts' for the caller to free. Returns the status. */
static int read_text(const char *text, size_t len, const ddf_csv_options *opt_in,
                     ddf_schema **schema, ddf_table ***parts, size_t *nparts, ddf_error *err,
                     ddf_csv_report *report)
{
    ddf_csv_options opt;
    const char *path = ddf_test_write_file(0, text, len);

    assert_non_null(path);
    if (opt_in)
        opt = *opt_in;
    else
        ddf_csv_options_init(&opt);
    ddf_error_init(err);
    ddf_csv_report_init(report);
    return ddf_csv_read_file(path, &opt, 2, schema, parts, nparts, report, err);
}

/* Free what a successful read_text returned. */
static void release(ddf_schema *schema, ddf_table **parts, size_t nparts,
                    ddf_csv_report *report)
{
    ddf_csv_parts_free(parts, nparts);
    ddf_schema_free(schema);
    ddf_csv_report_fini(report);
}

/* Read expecting failure; returns the status and leaves the message in 'err'. */
static int read_fails(const char *text, const ddf_csv_options *opt, ddf_error *err)
{
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    int rc = read_text(text, strlen(text), opt, &schema, &parts, &nparts, err, &report);

    assert_true(rc < 0);
    assert_null(schema);
    assert_null(parts);
    ddf_csv_report_fini(&report);
    return rc;
}

/* The message with the temporary file's path replaced by "F", for exact comparisons. */
static const char *msg_of(const ddf_error *err)
{
    static char buf[DDF_ERROR_MSG_BYTES];
    const char *prefix = "/tmp/ddf-test-";
    const char *colon = strchr(err->msg, ':');

    if (strncmp(err->msg, prefix, strlen(prefix)) == 0 && colon)
        snprintf(buf, sizeof(buf), "F%s", colon);
    else
        snprintf(buf, sizeof(buf), "%s", err->msg);
    return buf;
}

static void test_csv_reads_typed_columns_with_nulls(void **state)
{
    const char *text = "id,price,ok,name\n1,2.5,True,apple\n2,,False,\"pear, ripe\"\n,3,,NA\n";
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts, len;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_int_equal(read_text(text, strlen(text), NULL, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_int_equal(nparts, 1);
    ddf_table *t = parts[0];
    assert_int_equal(t->nrows, 3);
    assert_int_equal(t->columns[0].dtype, DDF_DTYPE_INT64);
    assert_int_equal(t->columns[1].dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(t->columns[2].dtype, DDF_DTYPE_BOOL);
    assert_int_equal(t->columns[3].dtype, DDF_DTYPE_STRING);
    assert_int_equal(t->columns[0].values.i64[1], 2);
    assert_false(ddf_column_is_valid(&t->columns[0], 2));
    assert_int_equal(t->columns[0].null_count, 1);
    assert_true(t->columns[1].values.f64[0] == 2.5);
    assert_false(ddf_column_is_valid(&t->columns[1], 1));
    assert_int_equal(t->columns[2].values.b8[1], 0);
    const char *s = ddf_column_str(&t->columns[3], 1, &len);
    assert_int_equal(len, 10);
    assert_memory_equal(s, "pear, ripe", 10);
    assert_false(ddf_column_is_valid(&t->columns[3], 2));
    release(schema, parts, nparts, &report);
}

static void test_csv_empty_file_has_no_columns_to_parse(void **state)
{
    ddf_error err;
    (void)state;

    assert_int_equal(read_fails("", NULL, &err), DDF_EEMPTY);
    assert_string_equal(msg_of(&err), "F: no columns to parse from file");
    assert_int_equal(read_fails("\n\n  \n", NULL, &err), DDF_EEMPTY);
}

static void test_csv_header_only_gives_zero_rows_of_strings(void **state)
{
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_int_equal(read_text("a,b\n", 4, NULL, &schema, &parts, &nparts, &err, &report),
                     DDF_OK);
    assert_int_equal(schema->ncols, 2);
    assert_int_equal(schema->fields[1].dtype, DDF_DTYPE_STRING);
    size_t rows = 0;
    for (size_t i = 0; i < nparts; i++)
        rows += parts[i]->nrows;
    assert_int_equal(rows, 0);
    release(schema, parts, nparts, &report);
}

static void test_csv_long_row_is_a_bad_line_naming_file_and_line(void **state)
{
    ddf_error err;
    (void)state;

    assert_int_equal(read_fails("a,b\n1,2\n\"x\ny\",2\n3,4,5\n", NULL, &err), DDF_EBADLINE);
    assert_string_equal(msg_of(&err), "F:5: expected 2 fields, saw 3");
    assert_int_equal(err.line, 5);
}

static void test_csv_bad_lines_warn_and_skip_drop_the_line(void **state)
{
    const char *text = "a,b\n1,x\n2,y,z\n3,w\n";
    ddf_csv_options opt;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    opt.on_bad_lines = DDF_BAD_LINES_WARN;
    assert_int_equal(read_text(text, strlen(text), &opt, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_int_equal(parts[0]->nrows, 2);
    assert_int_equal(parts[0]->columns[0].values.i64[1], 3);
    assert_int_equal(report.bad_lines, 1);
    assert_int_equal(report.nwarnings, 1);
    assert_non_null(strstr(report.warnings[0], ":3: expected 2 fields, saw 3"));
    release(schema, parts, nparts, &report);

    opt.on_bad_lines = DDF_BAD_LINES_SKIP;
    assert_int_equal(read_text(text, strlen(text), &opt, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_int_equal(parts[0]->nrows, 2);
    assert_int_equal(report.bad_lines, 1);
    assert_int_equal(report.nwarnings, 0);
    release(schema, parts, nparts, &report);
}

static void test_csv_bad_line_rollback_keeps_later_nulls(void **state)
{
    const char *text = "a,b\n,1\n2,3,4\n,5\n"; /* found by fuzz-csv */
    ddf_csv_options opt;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    opt.on_bad_lines = DDF_BAD_LINES_SKIP;
    assert_int_equal(read_text(text, strlen(text), &opt, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_int_equal(parts[0]->nrows, 2);
    assert_false(ddf_column_is_valid(&parts[0]->columns[0], 0));
    assert_false(ddf_column_is_valid(&parts[0]->columns[0], 1));
    assert_int_equal(parts[0]->columns[0].null_count, 2);
    assert_int_equal(parts[0]->columns[1].values.i64[1], 5);
    release(schema, parts, nparts, &report);
}

static void test_csv_short_row_is_padded_with_nulls(void **state)
{
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_int_equal(read_text("a,b,c\n1,2,3\n4\n", 14, NULL, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_int_equal(parts[0]->nrows, 2);
    assert_false(ddf_column_is_valid(&parts[0]->columns[1], 1));
    assert_false(ddf_column_is_valid(&parts[0]->columns[2], 1));
    assert_int_equal(parts[0]->columns[0].values.i64[1], 4);
    release(schema, parts, nparts, &report);
}

static void test_csv_unterminated_quote_at_end_of_file_is_an_error(void **state)
{
    ddf_error err;
    (void)state;

    assert_int_equal(read_fails("a,b\n1,2\n3,\"open\n", NULL, &err), DDF_EPARSE);
    assert_string_equal(msg_of(&err), "F:3: unterminated quoted field at end of file");
}

static void test_csv_quote_inside_unquoted_field_is_an_error(void **state)
{
    ddf_error err;
    (void)state;

    assert_int_equal(read_fails("a,b\n1,2\n3,ab\"c\n", NULL, &err), DDF_EPARSE);
    assert_string_equal(msg_of(&err), "F:3: malformed quoting (a quote inside an unquoted "
                                      "field, or text after a closing quote)");
}

static void test_csv_nul_bytes_are_kept_in_strings(void **state)
{
    const char text[] = "a,b\nx\0y,1\n";
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts, len;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_int_equal(read_text(text, sizeof(text) - 1, NULL, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    const char *s = ddf_column_str(&parts[0]->columns[0], 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 3);
    release(schema, parts, nparts, &report);
}

static void test_csv_field_over_the_size_limit_is_an_error(void **state)
{
    size_t n = DDF_MAX_FIELD_BYTES + 100;
    char *text = malloc(n + 16);
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_non_null(text);
    memcpy(text, "a\n\"", 3);
    memset(text + 3, 'x', n);
    memcpy(text + 3 + n, "\"\n", 2);
    assert_int_equal(read_text(text, n + 5, NULL, &schema, &parts, &nparts, &err, &report),
                     DDF_ETOOBIG);
    assert_non_null(strstr(err.msg, ": field longer than 16777216 bytes"));
    ddf_csv_report_fini(&report);
    free(text);
}

static void test_csv_record_longer_than_the_read_buffer_is_read_whole(void **state)
{
    /* Three quoted 12 MiB fields: 36 MiB in one record, past the reader's largest buffer
     * (32 MiB), so libcsv gets the record in pieces. */
    size_t field = 12u * 1024 * 1024, len = 0;
    char *text = malloc(3 * field + 64);
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts, flen;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_non_null(text);
    memcpy(text, "a,b,c\n", 6);
    len = 6;
    for (int f = 0; f < 3; f++) {
        text[len++] = '"';
        memset(text + len, 'x', field);
        text[len + 7] = '\n'; /* a newline inside the quotes, too */
        len += field;
        text[len++] = '"';
        text[len++] = f < 2 ? ',' : '\n';
    }
    memcpy(text + len, "1,2,3\n", 6);
    len += 6;
    assert_int_equal(read_text(text, len, NULL, &schema, &parts, &nparts, &err, &report),
                     DDF_OK);
    assert_int_equal(parts[0]->nrows, 2);
    for (int f = 0; f < 3; f++) {
        ddf_column_str(&parts[0]->columns[f], 0, &flen);
        assert_int_equal(flen, field);
        const char *s = ddf_column_str(&parts[0]->columns[f], 1, &flen);
        assert_int_equal(flen, 1);
        assert_int_equal(s[0], '1' + f);
    }
    release(schema, parts, nparts, &report);
    free(text);
}

static void test_csv_missing_file_and_directory_are_errors(void **state)
{
    ddf_csv_options opt;
    ddf_csv_file *file;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    ddf_error_init(&err);
    assert_int_equal(ddf_csv_open("/nonexistent/x.csv", &opt, &file, &err), DDF_ENOENT);
    assert_null(file);
    assert_string_equal(err.msg, "/nonexistent/x.csv: No such file or directory");
    assert_int_equal(ddf_csv_open("/tmp", &opt, &file, &err), DDF_EIO);
    assert_string_equal(err.msg, "/tmp: is a directory");
}

static void test_csv_pinned_dtype_misfit_names_line_and_column(void **state)
{
    ddf_csv_pin pins[] = {{"b", DDF_DTYPE_INT64}};
    ddf_csv_options opt;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    opt.dtypes = pins;
    opt.ndtypes = 1;
    assert_int_equal(read_fails("a,b\n1,2\n3,x\n", &opt, &err), DDF_ETYPE);
    assert_string_equal(msg_of(&err), "F:3: column 'b': cannot parse 'x' as int64");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 2);
}

static void test_csv_block_reports_the_widening_it_needs(void **state)
{
    const char *text = "a,b,c\n1,x,True\n2.5,y,1\n";
    const char *path = ddf_test_write_file(0, text, strlen(text));
    ddf_csv_options opt;
    ddf_csv_file *file;
    ddf_schema *schema;
    ddf_table *table;
    ddf_csv_report report;
    ddf_split_part part;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    ddf_error_init(&err);
    assert_int_equal(ddf_csv_open(path, &opt, &file, &err), DDF_OK);
    /* The whole file is the sample, so inference already widened: */
    assert_int_equal(ddf_csv_schema(file)->fields[0].dtype, DDF_DTYPE_FLOAT64);
    assert_int_equal(ddf_csv_schema(file)->fields[2].dtype, DDF_DTYPE_STRING);
    /* A narrower schema (as a first round would have) is answered with the widening: */
    schema = ddf_schema_copy(ddf_csv_schema(file));
    schema->fields[0].dtype = DDF_DTYPE_INT64;
    schema->fields[2].dtype = DDF_DTYPE_BOOL;
    part.offset = ddf_csv_data_start(file);
    part.length = ddf_csv_size(file) - part.offset;
    part.first_line = ddf_csv_data_line(file);
    ddf_csv_report_init(&report);
    assert_int_equal(ddf_csv_read_block(file, schema, &part, &table, &report, &err),
                     DDF_EWIDEN);
    assert_null(table);
    assert_int_equal(report.needed[0], DDF_DTYPE_FLOAT64);
    assert_int_equal(report.needed[1], DDF_DTYPE_STRING);
    assert_int_equal(report.needed[2], DDF_DTYPE_STRING);
    ddf_csv_report_fini(&report);
    ddf_schema_free(schema);
    ddf_csv_close(file);
}

static void test_csv_read_file_widens_past_the_sample(void **state)
{
    /* 300 KiB of ints, then a float: the sample (256 KiB) sees only ints. */
    size_t rows = 60000, cap = rows * 8 + 64, len = 0;
    char *text = malloc(cap);
    ddf_csv_options opt;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "v\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu\n", i % 100000);
    len += (size_t)snprintf(text + len, cap - len, "0.5\n");
    ddf_csv_options_init(&opt);
    opt.blocksize = 64 * 1024;
    assert_int_equal(read_text(text, len, &opt, &schema, &parts, &nparts, &err, &report),
                     DDF_OK);
    assert_int_equal(schema->fields[0].dtype, DDF_DTYPE_FLOAT64);
    assert_true(nparts > 4);
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) {
        assert_int_equal(parts[i]->columns[0].dtype, DDF_DTYPE_FLOAT64);
        total += parts[i]->nrows;
    }
    assert_int_equal(total, rows + 1);
    assert_true(parts[nparts - 1]->columns[0].values.f64[parts[nparts - 1]->nrows - 1] == 0.5);
    release(schema, parts, nparts, &report);
    free(text);
}

static void test_csv_bad_options_are_rejected(void **state)
{
    const char *cols[] = {"zz"};
    ddf_csv_pin pins[] = {{"nope", DDF_DTYPE_BOOL}};
    ddf_csv_options opt;
    ddf_error err;
    (void)state;

    ddf_csv_options_init(&opt);
    opt.usecols = cols;
    opt.nusecols = 1;
    assert_int_equal(read_fails("a,b\n1,2\n", &opt, &err), DDF_EINVAL);
    assert_string_equal(msg_of(&err),
                        "F: usecols names column 'zz', which the file does not have");
    ddf_csv_options_init(&opt);
    opt.dtypes = pins;
    opt.ndtypes = 1;
    assert_int_equal(read_fails("a,b\n1,2\n", &opt, &err), DDF_EINVAL);
    assert_string_equal(msg_of(&err), "F: dtype given for column 'nope', which is not read");
    ddf_csv_options_init(&opt);
    opt.blocksize = 0;
    assert_int_equal(read_fails("a\n1\n", &opt, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "blocksize must be at least 1 byte");
}

static void test_csv_lone_carriage_returns_are_rejected(void **state)
{
    ddf_error err;
    (void)state;

    assert_int_equal(read_fails("a,b\r1,2\r3,4\r", NULL, &err), DDF_EPARSE);
    assert_string_equal(msg_of(&err), "F: lines end with a lone carriage return, which is "
                                      "not supported (use LF or CRLF)");
}

static void test_csv_bom_is_dropped_from_the_first_name(void **state)
{
    const char *text = "\xef\xbb\xbfid,v\r\n1,2\r\n";
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    (void)state;

    assert_int_equal(read_text(text, strlen(text), NULL, &schema, &parts, &nparts, &err,
                               &report), DDF_OK);
    assert_string_equal(schema->fields[0].name, "id");
    assert_int_equal(parts[0]->columns[1].values.i64[0], 2);
    release(schema, parts, nparts, &report);
}

static void test_csv_every_allocation_failure_is_clean(void **state)
{
    const char *text = "a,b,c\n1,x,2.5\n2,\"y\nz\",\n3,w,1e3\n";
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_csv_report report;
    ddf_error err;
    int rc = DDF_ENOMEM;
    (void)state;

    for (long n = 0; n < 10000 && rc == DDF_ENOMEM; n++) {
        ddf_test_fail_after(n);
        rc = read_text(text, strlen(text), NULL, &schema, &parts, &nparts, &err, &report);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_int_equal(parts[0]->nrows, 3);
            ddf_csv_parts_free(parts, nparts);
            ddf_schema_free(schema);
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_null(parts);
        }
        ddf_csv_report_fini(&report);
    }
    assert_int_equal(rc, DDF_OK);
}

static int teardown(void **state)
{
    (void)state;
    ddf_test_cleanup_files();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_reads_typed_columns_with_nulls),
        cmocka_unit_test(test_csv_empty_file_has_no_columns_to_parse),
        cmocka_unit_test(test_csv_header_only_gives_zero_rows_of_strings),
        cmocka_unit_test(test_csv_long_row_is_a_bad_line_naming_file_and_line),
        cmocka_unit_test(test_csv_bad_lines_warn_and_skip_drop_the_line),
        cmocka_unit_test(test_csv_bad_line_rollback_keeps_later_nulls),
        cmocka_unit_test(test_csv_short_row_is_padded_with_nulls),
        cmocka_unit_test(test_csv_unterminated_quote_at_end_of_file_is_an_error),
        cmocka_unit_test(test_csv_quote_inside_unquoted_field_is_an_error),
        cmocka_unit_test(test_csv_nul_bytes_are_kept_in_strings),
        cmocka_unit_test(test_csv_field_over_the_size_limit_is_an_error),
        cmocka_unit_test(test_csv_record_longer_than_the_read_buffer_is_read_whole),
        cmocka_unit_test(test_csv_missing_file_and_directory_are_errors),
        cmocka_unit_test(test_csv_pinned_dtype_misfit_names_line_and_column),
        cmocka_unit_test(test_csv_block_reports_the_widening_it_needs),
        cmocka_unit_test(test_csv_read_file_widens_past_the_sample),
        cmocka_unit_test(test_csv_bad_options_are_rejected),
        cmocka_unit_test(test_csv_lone_carriage_returns_are_rejected),
        cmocka_unit_test(test_csv_bom_is_dropped_from_the_first_name),
        cmocka_unit_test(test_csv_every_allocation_failure_is_clean),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, teardown);
}
