/* test_format.c - the printer (client/format*.c): every kind of value in every format,
 * byte for byte. The table format's expected texts are what pandas 1.5 prints for the
 * same frames (format_vs_pandas.py checks many more against pandas itself). */
#include "testutil.h"

#include "format.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---- */

/* A printer writing to memory. */
typedef struct out {
    char *buf;
    size_t len;
    FILE *f;
    ddf_printer *p;
    ddf_error err;
} out;

static void out_open(out *o, ddf_format_kind kind)
{
    o->buf = NULL;
    o->len = 0;
    o->f = open_memstream(&o->buf, &o->len);
    assert_non_null(o->f);
    o->p = ddf_printer_new(o->f, kind);
    assert_non_null(o->p);
    ddf_error_init(&o->err);
}

static const char *out_text(out *o)
{
    fflush(o->f);
    return o->buf ? o->buf : "";
}

/* Forget what was printed so far. */
static void out_reset(out *o)
{
    fflush(o->f);
    rewind(o->f);
    fflush(o->f);
    if (o->buf)
        o->buf[0] = '\0';
}

static void out_close(out *o)
{
    ddf_printer_free(o->p);
    fclose(o->f);
    free(o->buf);
}

#define I DDF_DTYPE_INT64
#define F DDF_DTYPE_FLOAT64
#define B DDF_DTYPE_BOOL
#define S DDF_DTYPE_STRING

/* A table of string columns whose values may hold spaces and commas (NULL = null). */
static ddf_table *strings_table(size_t ncols, const char *const *names, size_t nrows,
                                const char *const *vals /* row-major */)
{
    ddf_table *t = ddf_table_new(ncols);

    assert_non_null(t);
    for (size_t c = 0; c < ncols; c++) {
        assert_int_equal(ddf_table_set_column(t, c, names[c], strlen(names[c]), S), DDF_OK);
        for (size_t r = 0; r < nrows; r++) {
            const char *v = vals[r * ncols + c];

            assert_int_equal(v ? ddf_column_append_str(&t->columns[c], t->arena, v, strlen(v))
                               : ddf_column_append_null(&t->columns[c], t->arena),
                             DDF_OK);
        }
    }
    t->nrows = nrows;
    return t;
}

/* i: int64 0..n-1, x: float64 i * 0.5 */
static ddf_table *counting_table(size_t n)
{
    ddf_table *t = ddf_table_new(2);

    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "i", 1, I), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 1, "x", 1, F), DDF_OK);
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, (int64_t)r), DDF_OK);
        assert_int_equal(ddf_column_append_f64(&t->columns[1], t->arena, (double)r * 0.5),
                         DDF_OK);
    }
    t->nrows = n;
    return t;
}

static ddf_table *small_frame(bool nulls)
{
    static const char *const names[] = {"qty", "price", "ok", "region"};
    static const ddf_dtype dtypes[] = {I, F, B, S};
    static const char *const plain[] = {"3 40 5", "1.5 0.1 2.25", "T T F", "east north west"};
    static const char *const holes[] = {"3 . 5", "1.5 . 2.25", "T . F", "east . west"};

    return ddf_test_make_table(4, names, dtypes, nulls ? holes : plain);
}

/* region (key), qty, price */
static ddf_table *grouped_frame(void)
{
    static const char *const names[] = {"region", "qty", "price"};
    static const ddf_dtype dtypes[] = {S, I, F};
    static const char *const vals[] = {"east north west", "3 5 4", "1.5 . 2.5"};

    return ddf_test_make_table(3, names, dtypes, vals);
}

/* year, m (keys), qty */
static ddf_table *two_key_series(void)
{
    static const char *const names[] = {"year", "m", "qty"};
    static const ddf_dtype dtypes[] = {I, I, I};
    static const char *const vals[] = {"1959 1959 1960", "1 2 1", "3 4 5"};

    return ddf_test_make_table(3, names, dtypes, vals);
}

static ddf_table *one_column(const char *name, ddf_dtype dtype, const char *vals)
{
    return ddf_test_make_table(1, &name, &dtype, &vals);
}

static ddf_table *float_column(const char *name, const double *vals, size_t n)
{
    ddf_table *t = ddf_table_new(1);

    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, name, strlen(name), F), DDF_OK);
    for (size_t r = 0; r < n; r++)
        assert_int_equal(ddf_column_append_f64(&t->columns[0], t->arena, vals[r]), DDF_OK);
    t->nrows = n;
    return t;
}

static void print_table(out *o, const ddf_table *t, size_t nkeys)
{
    ddf_frame_view v = {.table = t, .nkeys = nkeys};

    assert_int_equal(ddf_print_table(o->p, &v, &o->err), DDF_OK);
}

static void print_series(out *o, const ddf_table *t, size_t nkeys, const char *name)
{
    ddf_frame_view v = {.table = t, .nkeys = nkeys};

    assert_int_equal(ddf_print_series(o->p, &v, name, &o->err), DDF_OK);
}

static void print_scalar(out *o, ddf_scalar s)
{
    assert_int_equal(ddf_print_scalar(o->p, &s, &o->err), DDF_OK);
}

/* ---- formats ---- */

static void test_format_parse_names_the_three_formats(void **state)
{
    ddf_format_kind k;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_format_parse("table", &k, NULL), DDF_OK);
    assert_int_equal(k, DDF_FORMAT_TABLE);
    assert_int_equal(ddf_format_parse("csv", &k, NULL), DDF_OK);
    assert_int_equal(k, DDF_FORMAT_CSV);
    assert_int_equal(ddf_format_parse("json", &k, NULL), DDF_OK);
    assert_int_equal(k, DDF_FORMAT_JSON);
    assert_int_equal(ddf_format_parse("xml", &k, &err), DDF_EINVAL);
    assert_string_equal(err.msg, "unknown format 'xml' (table, csv or json)");
}

/* ---- scalars ---- */

static void test_scalars_print_as_python_str_in_table_format(void **state)
{
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_scalar(&o, ddf_scalar_i64(42));
    print_scalar(&o, ddf_scalar_i64(INT64_MIN));
    print_scalar(&o, ddf_scalar_f64(0.1));
    print_scalar(&o, ddf_scalar_f64(3.0));
    print_scalar(&o, ddf_scalar_f64(1e20));
    print_scalar(&o, ddf_scalar_f64(NAN));
    print_scalar(&o, ddf_scalar_f64(-INFINITY));
    print_scalar(&o, ddf_scalar_null());
    print_scalar(&o, ddf_scalar_bool(true));
    print_scalar(&o, ddf_scalar_str("a, \"b\"\nc", 8));
    assert_string_equal(out_text(&o), "42\n-9223372036854775808\n0.1\n3.0\n1e+20\nnan\n-inf\n"
                                      "None\nTrue\na, \"b\"\nc\n");
    out_close(&o);
}

static void test_scalars_are_csv_blocks_with_nulls_empty(void **state)
{
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_CSV);
    print_scalar(&o, ddf_scalar_i64(42));
    print_scalar(&o, ddf_scalar_f64(0.1));
    print_scalar(&o, ddf_scalar_f64(NAN));
    print_scalar(&o, ddf_scalar_null());
    print_scalar(&o, ddf_scalar_f64(INFINITY));
    print_scalar(&o, ddf_scalar_bool(false));
    print_scalar(&o, ddf_scalar_str("a,b", 3));
    assert_string_equal(out_text(&o), "42\n\n0.1\n\n\"\"\n\n\"\"\n\ninf\n\nFalse\n\n\"a,b\"\n");
    out_close(&o);
}

static void test_scalars_are_json_objects_with_nan_and_inf_null(void **state)
{
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_JSON);
    print_scalar(&o, ddf_scalar_i64(42));
    print_scalar(&o, ddf_scalar_f64(3.0));
    print_scalar(&o, ddf_scalar_f64(NAN));
    print_scalar(&o, ddf_scalar_f64(-INFINITY));
    print_scalar(&o, ddf_scalar_null());
    print_scalar(&o, ddf_scalar_bool(true));
    print_scalar(&o, ddf_scalar_str("x", 1));
    assert_string_equal(out_text(&o), "{\"kind\":\"scalar\",\"value\":42}\n"
                                      "{\"kind\":\"scalar\",\"value\":3.0}\n"
                                      "{\"kind\":\"scalar\",\"value\":null}\n"
                                      "{\"kind\":\"scalar\",\"value\":null}\n"
                                      "{\"kind\":\"scalar\",\"value\":null}\n"
                                      "{\"kind\":\"scalar\",\"value\":true}\n"
                                      "{\"kind\":\"scalar\",\"value\":\"x\"}\n");
    out_close(&o);
}

/* Python's repr / json.dumps of each, checked in CPython 3.11. */
static void test_json_floats_are_shortest_round_trip(void **state)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},
        {1e-300, "1e-300"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-0.0, "-0.0"},
        {3.0, "3.0"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123456789.0, "123456789.0"},
        {1.0 / 3, "0.3333333333333333"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1e22, "1e+22"},
        {1e23, "1e+23"},
        {0.3, "0.3"},
        {1e-5, "1e-05"},
        {0.0001, "0.0001"},
        {9223372036854775808.0, "9.223372036854776e+18"},
        {1.5e300, "1.5e+300"},
        {-2.5, "-2.5"},
    };
    out o;
    uint64_t rng = 88172645463325252ull;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[128];

        out_open(&o, DDF_FORMAT_JSON);
        print_scalar(&o, ddf_scalar_f64(cases[i].v));
        snprintf(want, sizeof want, "{\"kind\":\"scalar\",\"value\":%s}\n", cases[i].text);
        assert_string_equal(out_text(&o), want);
        out_close(&o);
    }
    /* any finite double reads back bit for bit */
    out_open(&o, DDF_FORMAT_CSV);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ddf_test_next_rand(&rng);
        double v, back;

        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        out_reset(&o);
        print_scalar(&o, ddf_scalar_f64(v));
        back = strtod(out_text(&o) + (out_text(&o)[0] == '\n'), NULL);
        assert_memory_equal(&back, &v, sizeof v);
        assert_true(strlen(out_text(&o)) <= 26);
    }
    out_close(&o);
}

static void test_json_strings_are_escaped_per_rfc_8259(void **state)
{
    /* quote, backslash, the short escapes, other controls, DEL, UTF-8, invalid bytes:
     * a lone continuation byte, a cut 3-byte sequence, an overlong NUL, a surrogate */
    static const char s[] = "q\"b\\n\n\t\r\b\f\x01\x1f\x7f é中😀 "
                            "\x80 \xe4\xb8 \xc0\x80 \xed\xa0\x80";
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_JSON);
    print_scalar(&o, ddf_scalar_str(s, sizeof s - 1));
    assert_string_equal(out_text(&o),
                        "{\"kind\":\"scalar\",\"value\":\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f"
                        "\x7f é中😀 \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd "
                        "\\ufffd\\ufffd\\ufffd\"}\n");
    out_close(&o);
}

/* ---- lists ---- */

static void test_lists_in_each_format(void **state)
{
    const ddf_scalar items[] = {ddf_scalar_str("a", 1),  ddf_scalar_i64(1),
                                ddf_scalar_f64(2.5),     ddf_scalar_null(),
                                ddf_scalar_bool(true),   ddf_scalar_str("it's", 4),
                                ddf_scalar_str("say \"x\"", 7), ddf_scalar_str("both ' \"", 8),
                                ddf_scalar_str("t\t\x01\xc3\xa9\xc2\xa0", 7)};
    const ddf_scalar cols[] = {ddf_scalar_str("region", 6), ddf_scalar_str("qty", 3),
                               ddf_scalar_str("price", 5)};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    assert_int_equal(ddf_print_list(o.p, items, 9, 0, &o.err), DDF_OK);
    assert_int_equal(ddf_print_list(o.p, cols, 3, DDF_LIST_INDEX, &o.err), DDF_OK);
    assert_int_equal(ddf_print_list(o.p, cols, 0, DDF_LIST_INDEX, &o.err), DDF_OK);
    assert_int_equal(ddf_print_list(o.p, items, 2, DDF_LIST_INDEX, &o.err), DDF_OK);
    assert_string_equal(out_text(&o),
                        "['a', 1, 2.5, None, True, \"it's\", 'say \"x\"', 'both \\' \"', "
                        "'t\\t\\x01é\\xa0']\n"
                        "Index(['region', 'qty', 'price'], dtype='object')\n"
                        "Index([], dtype='object')\n"
                        "['a', 1]\n");
    out_close(&o);

    out_open(&o, DDF_FORMAT_CSV);
    assert_int_equal(ddf_print_list(o.p, items, 5, 0, &o.err), DDF_OK);
    assert_int_equal(ddf_print_list(o.p, cols, 2, 0, &o.err), DDF_OK);
    assert_string_equal(out_text(&o), "a\n1\n2.5\n\"\"\nTrue\n\nregion\nqty\n");
    out_close(&o);

    out_open(&o, DDF_FORMAT_JSON);
    assert_int_equal(ddf_print_list(o.p, items, 5, 0, &o.err), DDF_OK);
    assert_int_equal(ddf_print_list(o.p, items, 0, 0, &o.err), DDF_OK);
    assert_string_equal(out_text(&o), "{\"kind\":\"list\",\"values\":[\"a\",1,2.5,null,true]}\n"
                                      "{\"kind\":\"list\",\"values\":[]}\n");
    out_close(&o);
}

static void test_a_long_index_wraps_as_pandas_does(void **state)
{
    char names[12][24];
    ddf_scalar items[12];
    out o;

    (void)state;
    for (int i = 0; i < 12; i++) {
        snprintf(names[i], sizeof names[i], "column_%d", i);
        items[i] = ddf_scalar_str(names[i], strlen(names[i]));
    }
    out_open(&o, DDF_FORMAT_TABLE);
    assert_int_equal(ddf_print_list(o.p, items, 12, DDF_LIST_INDEX, &o.err), DDF_OK);
    assert_string_equal(out_text(&o),
                        "Index(['column_0', 'column_1', 'column_2', 'column_3', 'column_4', "
                        "'column_5',\n"
                        "       'column_6', 'column_7', 'column_8', 'column_9', 'column_10',\n"
                        "       'column_11'],\n"
                        "      dtype='object')\n");
    out_close(&o);
}

/* ---- tables in table format ---- */

static void test_table_nulls_in_every_dtype_look_like_pandas(void **state)
{
    ddf_table *plain = small_frame(false), *holes = small_frame(true);
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_table(&o, plain, 0);
    /* int64 with a null is float64, bool with a null object, string nulls NaN */
    print_table(&o, holes, 0);
    assert_string_equal(out_text(&o), "   qty  price     ok region\n"
                                      "0    3   1.50   True   east\n"
                                      "1   40   0.10   True  north\n"
                                      "2    5   2.25  False   west\n"
                                      "   qty  price     ok region\n"
                                      "0  3.0   1.50   True   east\n"
                                      "1  NaN    NaN    NaN    NaN\n"
                                      "2  5.0   2.25  False   west\n");
    out_close(&o);
    ddf_table_free(plain);
    ddf_table_free(holes);
}

static const char truncated_61[] = "     i     x\n"
                                   "0    0   0.0\n"
                                   "1    1   0.5\n"
                                   "2    2   1.0\n"
                                   "3    3   1.5\n"
                                   "4    4   2.0\n"
                                   "..  ..   ...\n"
                                   "56  56  28.0\n"
                                   "57  57  28.5\n"
                                   "58  58  29.0\n"
                                   "59  59  29.5\n"
                                   "60  60  30.0\n"
                                   "\n"
                                   "[61 rows x 2 columns]\n";

static void test_table_of_61_rows_shows_head_and_tail(void **state)
{
    ddf_table *t = counting_table(61), *head = ddf_test_slice(t, 0, 5),
              *tail = ddf_test_slice(t, 56, 61), *sixty = counting_table(60);
    ddf_frame_view v = {.table = head, .tail = tail, .nrows = 61};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_table(&o, t, 0);
    assert_string_equal(out_text(&o), truncated_61);
    out_reset(&o);
    assert_int_equal(ddf_print_table(o.p, &v, &o.err), DDF_OK);
    assert_string_equal(out_text(&o), truncated_61);
    out_reset(&o);
    print_table(&o, sixty, 0); /* 60 rows: all shown */
    assert_int_equal(strlen(out_text(&o)), 793); /* len(repr(df)) + 1 in pandas */
    assert_null(strstr(out_text(&o), "..."));
    out_close(&o);
    ddf_table_free(t);
    ddf_table_free(head);
    ddf_table_free(tail);
    ddf_table_free(sixty);
}

static void test_table_of_25_columns_shows_ten_and_ten_and_wraps(void **state)
{
    ddf_table *t = ddf_table_new(25);
    out o;

    (void)state;
    for (size_t c = 0; c < 25; c++) {
        char name[8];

        snprintf(name, sizeof name, "c%zu", c);
        assert_int_equal(ddf_table_set_column(t, c, name, strlen(name), I), DDF_OK);
        for (int r = 0; r < 3; r++)
            assert_int_equal(ddf_column_append_i64(&t->columns[c], t->arena,
                                                   (int64_t)c * 1000 + r), DDF_OK);
    }
    t->nrows = 3;
    out_open(&o, DDF_FORMAT_TABLE);
    print_table(&o, t, 0);
    assert_string_equal(
        out_text(&o),
        "   c0    c1    c2    c3    c4    c5    c6    c7    c8    c9  ...    c15  \\\n"
        "0   0  1000  2000  3000  4000  5000  6000  7000  8000  9000  ...  15000   \n"
        "1   1  1001  2001  3001  4001  5001  6001  7001  8001  9001  ...  15001   \n"
        "2   2  1002  2002  3002  4002  5002  6002  7002  8002  9002  ...  15002   \n"
        "\n"
        "     c16    c17    c18    c19    c20    c21    c22    c23    c24  \n"
        "0  16000  17000  18000  19000  20000  21000  22000  23000  24000  \n"
        "1  16001  17001  18001  19001  20001  21001  22001  23001  24001  \n"
        "2  16002  17002  18002  19002  20002  21002  22002  23002  24002  \n"
        "\n"
        "[3 rows x 25 columns]\n");
    out_close(&o);
    ddf_table_free(t);
}

static void test_group_by_keys_are_the_index_in_table_format(void **state)
{
    ddf_table *t = grouped_frame();
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_table(&o, t, 1);
    assert_string_equal(out_text(&o), "        qty  price\n"
                                      "region            \n"
                                      "east      3    1.5\n"
                                      "north     5    NaN\n"
                                      "west      4    2.5\n");
    out_close(&o);
    ddf_table_free(t);
}

static void test_empty_frame_and_series(void **state)
{
    static const char *const names[] = {"a", "b"};
    static const ddf_dtype dtypes[] = {F, F};
    static const char *const none[] = {"", ""};
    ddf_table *t = ddf_test_make_table(2, names, dtypes, none), *s = one_column("qty", I, "");
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_table(&o, t, 0);
    print_series(&o, s, 0, "qty");
    assert_string_equal(out_text(&o), "Empty DataFrame\nColumns: [a, b]\nIndex: []\n"
                                      "Series([], Name: qty, dtype: int64)\n");
    out_close(&o);
    ddf_table_free(t);
    ddf_table_free(s);
}

/* ---- series in table format ---- */

static void test_series_with_two_keys_shows_a_multi_index(void **state)
{
    ddf_table *t = two_key_series();
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_series(&o, t, 2, "qty");
    assert_string_equal(out_text(&o), "year  m\n"
                                      "1959  1    3\n"
                                      "      2    4\n"
                                      "1960  1    5\n"
                                      "Name: qty, dtype: int64\n");
    out_close(&o);
    ddf_table_free(t);
}

static void test_long_series_has_length_in_footer(void **state)
{
    double vals[100];
    ddf_table *t;
    out o;

    (void)state;
    for (int i = 0; i < 100; i++)
        vals[i] = i * 1.5;
    t = float_column("x", vals, 100);
    out_open(&o, DDF_FORMAT_TABLE);
    print_series(&o, t, 0, "x");
    assert_string_equal(out_text(&o), "0       0.0\n"
                                      "1       1.5\n"
                                      "2       3.0\n"
                                      "3       4.5\n"
                                      "4       6.0\n"
                                      "      ...  \n"
                                      "95    142.5\n"
                                      "96    144.0\n"
                                      "97    145.5\n"
                                      "98    147.0\n"
                                      "99    148.5\n"
                                      "Name: x, Length: 100, dtype: float64\n");
    out_close(&o);
    ddf_table_free(t);
}

static void test_series_floats_switch_to_scientific_as_pandas(void **state)
{
    static const double small[] = {1e-7, 1.0, 123.0}, big[] = {1e7, 1.5},
                        wide[] = {1234567.0, 0.5}, odd[] = {INFINITY, -INFINITY, NAN, -0.0};
    ddf_table *t1 = float_column("a", small, 3), *t2 = float_column("a", big, 2),
              *t3 = float_column("a", wide, 2), *t4 = float_column("a", odd, 4);
    static const char *const svals[] = {
        "tab\there", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
    ddf_table *t5 = strings_table(1, (const char *const[]){"s"}, 2, svals);
    ddf_table *t6 = one_column("s", S, "a . ccc");
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    print_series(&o, t1, 0, NULL);
    print_series(&o, t2, 0, NULL);
    print_series(&o, t3, 0, NULL);
    print_series(&o, t4, 0, NULL);
    print_series(&o, t5, 0, NULL);
    print_series(&o, t6, 0, NULL);
    assert_string_equal(out_text(&o),
                        "0    1.000000e-07\n"
                        "1    1.000000e+00\n"
                        "2    1.230000e+02\n"
                        "dtype: float64\n"
                        "0    10000000.0\n"
                        "1           1.5\n"
                        "dtype: float64\n"
                        "0    1234567.0\n"
                        "1          0.5\n"
                        "dtype: float64\n"
                        "0    inf\n"
                        "1   -inf\n"
                        "2    NaN\n"
                        "3   -0.0\n"
                        "dtype: float64\n"
                        "0                                            tab\\there\n"
                        "1    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\n"
                        "dtype: object\n"
                        "0      a\n"
                        "1    NaN\n"
                        "2    ccc\n"
                        "dtype: object\n");
    out_close(&o);
    ddf_table_free(t1);
    ddf_table_free(t2);
    ddf_table_free(t3);
    ddf_table_free(t4);
    ddf_table_free(t5);
    ddf_table_free(t6);
}

/* ---- csv ---- */

static void test_csv_tables_series_and_keys(void **state)
{
    ddf_table *plain = small_frame(false), *holes = small_frame(true), *g = grouped_frame(),
              *s2 = two_key_series(), *s1 = one_column("s", S, "a . ccc");
    ddf_frame_view hidden = {.table = s2, .nkeys = 2, .hide_key_names = true};
    ddf_frame_view tail_half = {.table = s1, .start = 7};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_CSV);
    print_table(&o, plain, 0);
    print_table(&o, holes, 0);
    print_table(&o, g, 1);
    print_series(&o, s2, 2, "qty");
    assert_int_equal(ddf_print_series(o.p, &hidden, "qty", &o.err), DDF_OK);
    print_series(&o, s1, 0, NULL);
    assert_int_equal(ddf_print_series(o.p, &tail_half, "s", &o.err), DDF_OK);
    assert_string_equal(out_text(&o), "qty,price,ok,region\n"
                                      "3,1.5,True,east\n"
                                      "40,0.1,True,north\n"
                                      "5,2.25,False,west\n"
                                      "\n"
                                      "qty,price,ok,region\n"
                                      "3,1.5,True,east\n"
                                      ",,,\n"
                                      "5,2.25,False,west\n"
                                      "\n"
                                      "region,qty,price\n"
                                      "east,3,1.5\n"
                                      "north,5,\n"
                                      "west,4,2.5\n"
                                      "\n"
                                      "year,m,qty\n"
                                      "1959,1,3\n"
                                      "1959,2,4\n"
                                      "1960,1,5\n"
                                      "\n"
                                      "level_0,level_1,qty\n"
                                      "1959,1,3\n"
                                      "1959,2,4\n"
                                      "1960,1,5\n"
                                      "\n"
                                      "index,0\n"
                                      "0,a\n"
                                      "1,\n"
                                      "2,ccc\n"
                                      "\n"
                                      "index,s\n"
                                      "7,a\n"
                                      "8,\n"
                                      "9,ccc\n");
    out_close(&o);
    ddf_table_free(plain);
    ddf_table_free(holes);
    ddf_table_free(g);
    ddf_table_free(s2);
    ddf_table_free(s1);
}

static void test_csv_quotes_as_python_csv_module(void **state)
{
    static const char *const names[] = {"plain", "a,b"};
    static const char *const vals[] = {"x", "a,b", "say \"hi\"", "line\nbreak", "cr\rx", "",
                                       " sp ", NULL, "'", "\""};
    static const char *const one[] = {"v"};
    static const char *const single[] = {"", NULL, "x,y"};
    ddf_table *t = strings_table(2, names, 5, vals), *u = strings_table(1, one, 3, single);
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_CSV);
    print_table(&o, t, 0);
    /* one column: an empty field alone on its line is "" */
    print_table(&o, u, 0);
    assert_string_equal(out_text(&o), "plain,\"a,b\"\n"
                                      "x,\"a,b\"\n"
                                      "\"say \"\"hi\"\"\",\"line\nbreak\"\n"
                                      "\"cr\rx\",\n"
                                      " sp ,\n"
                                      "',\"\"\"\"\n"
                                      "\n"
                                      "v\n"
                                      "\"\"\n"
                                      "\"\"\n"
                                      "\"x,y\"\n");
    out_close(&o);
    ddf_table_free(t);
    ddf_table_free(u);
}

/* ---- json ---- */

static void test_json_tables_and_series(void **state)
{
    ddf_table *plain = small_frame(false), *g = grouped_frame(), *s2 = two_key_series(),
              *s1 = one_column("s", S, "a . ccc");
    ddf_frame_view hidden = {.table = g, .nkeys = 1, .hide_key_names = true};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_JSON);
    print_table(&o, plain, 0);
    assert_int_equal(ddf_print_table(o.p, &hidden, &o.err), DDF_OK);
    print_series(&o, s2, 2, "qty");
    print_series(&o, s1, 0, NULL);
    print_series(&o, g, 2, "price");
    assert_string_equal(
        out_text(&o),
        "{\"kind\":\"table\",\"columns\":[\"qty\",\"price\",\"ok\",\"region\"],"
        "\"dtypes\":[\"int64\",\"float64\",\"bool\",\"string\"],"
        "\"data\":[[3,1.5,true,\"east\"],[40,0.1,true,\"north\"],[5,2.25,false,\"west\"]]}\n"
        "{\"kind\":\"table\",\"columns\":[\"index\",\"qty\",\"price\"],"
        "\"dtypes\":[\"string\",\"int64\",\"float64\"],"
        "\"data\":[[\"east\",3,1.5],[\"north\",5,null],[\"west\",4,2.5]]}\n"
        "{\"kind\":\"series\",\"name\":\"qty\",\"index\":[[1959,1],[1959,2],[1960,1]],"
        "\"values\":[3,4,5]}\n"
        "{\"kind\":\"series\",\"name\":null,\"index\":[0,1,2],\"values\":[\"a\",null,\"ccc\"]}\n"
        "{\"kind\":\"series\",\"name\":\"price\",\"index\":[[\"east\",3],[\"north\",5],"
        "[\"west\",4]],\"values\":[1.5,null,2.5]}\n");
    out_close(&o);
    ddf_table_free(plain);
    ddf_table_free(g);
    ddf_table_free(s2);
    ddf_table_free(s1);
}

/* ---- print(...) ---- */

static void test_print_call_joins_scalars_and_blocks_the_rest(void **state)
{
    ddf_table *s2 = two_key_series(), *plain = small_frame(false);
    ddf_frame_view sv = {.table = s2, .nkeys = 2}, tv = {.table = plain};
    const ddf_scalar pair[] = {ddf_scalar_i64(1), ddf_scalar_i64(2)};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_str("total", 5));
    print_scalar(&o, ddf_scalar_i64(42));
    print_scalar(&o, ddf_scalar_f64(0.5));
    print_scalar(&o, ddf_scalar_null());
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_str("x", 1));
    assert_int_equal(ddf_print_series(o.p, &sv, "qty", &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_bool(false));
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_string_equal(out_text(&o), "total 42 0.5 None\n"
                                      "x\n"
                                      "year  m\n"
                                      "1959  1    3\n"
                                      "      2    4\n"
                                      "1960  1    5\n"
                                      "Name: qty, dtype: int64\n"
                                      "False\n"
                                      "\n");
    out_close(&o);

    out_open(&o, DDF_FORMAT_CSV);
    print_scalar(&o, ddf_scalar_i64(7));
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_str("a,b", 3));
    print_scalar(&o, ddf_scalar_i64(1));
    assert_int_equal(ddf_print_table(o.p, &tv, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_i64(8));
    assert_string_equal(out_text(&o), "7\n"
                                      "\n"
                                      "a,b 1\n"
                                      "\n"
                                      "qty,price,ok,region\n"
                                      "3,1.5,True,east\n"
                                      "40,0.1,True,north\n"
                                      "5,2.25,False,west\n"
                                      "\n"
                                      "\n"
                                      "\n"
                                      "8\n");
    out_close(&o);

    out_open(&o, DDF_FORMAT_JSON);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    print_scalar(&o, ddf_scalar_str("n", 1));
    print_scalar(&o, ddf_scalar_f64(NAN));
    assert_int_equal(ddf_print_list(o.p, pair, 2, 0, &o.err), DDF_OK);
    assert_int_equal(ddf_print_series(o.p, &sv, "qty", &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_string_equal(out_text(&o),
                        "{\"kind\":\"print\",\"values\":[\"n\",null,[1,2],{\"kind\":\"series\","
                        "\"name\":\"qty\",\"index\":[[1959,1],[1959,2],[1960,1]],"
                        "\"values\":[3,4,5]}]}\n"
                        "{\"kind\":\"print\",\"values\":[]}\n");
    out_close(&o);
    ddf_table_free(s2);
    ddf_table_free(plain);
}

/* ---- streams ---- */

/* Print 't' as a stream of tables of 'chunk' rows (a series of column 0 if 'series'). */
static void stream(out *o, const ddf_table *t, size_t chunk, bool series, const char *name)
{
    ddf_schema *schema = ddf_test_schema_of(t);

    if (series)
        assert_int_equal(ddf_print_series_begin(o->p, name, t->columns[0].dtype, 0, &o->err),
                         DDF_OK);
    else
        assert_int_equal(ddf_print_frame_begin(o->p, schema, &o->err), DDF_OK);
    for (size_t r = 0; r < t->nrows; r += chunk) {
        ddf_table *part = ddf_test_slice(t, r, r + chunk < t->nrows ? r + chunk : t->nrows);

        assert_int_equal(series ? ddf_print_series_rows(o->p, part, 0, &o->err)
                                : ddf_print_frame_rows(o->p, part, &o->err), DDF_OK);
        ddf_table_free(part);
    }
    assert_int_equal(series ? ddf_print_series_end(o->p, &o->err)
                            : ddf_print_frame_end(o->p, &o->err), DDF_OK);
    ddf_schema_free(schema);
}

static void test_streams_in_csv_and_json(void **state)
{
    ddf_table *plain = small_frame(true), *s = one_column("qty", I, "1 . 3");
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_CSV);
    stream(&o, plain, 2, false, NULL);
    stream(&o, s, 1, true, "qty");
    assert_string_equal(out_text(&o), "qty,price,ok,region\n"
                                      "3,1.5,True,east\n"
                                      ",,,\n"
                                      "5,2.25,False,west\n"
                                      "\n"
                                      "index,qty\n"
                                      "0,1\n"
                                      "1,\n"
                                      "2,3\n");
    out_close(&o);

    out_open(&o, DDF_FORMAT_JSON);
    stream(&o, plain, 1, false, NULL);
    stream(&o, s, 2, true, "qty");
    stream(&o, s, 2, true, NULL);
    assert_string_equal(out_text(&o),
                        "{\"kind\":\"table\",\"columns\":[\"qty\",\"price\",\"ok\",\"region\"],"
                        "\"dtypes\":[\"int64\",\"float64\",\"bool\",\"string\"],"
                        "\"data\":[[3,1.5,true,\"east\"],[null,null,null,null],"
                        "[5,2.25,false,\"west\"]]}\n"
                        "{\"kind\":\"series\",\"name\":\"qty\",\"values\":[1,null,3],"
                        "\"index\":[0,1,2]}\n"
                        "{\"kind\":\"series\",\"name\":null,\"values\":[1,null,3],"
                        "\"index\":[0,1,2]}\n");
    out_close(&o);
    ddf_table_free(plain);
    ddf_table_free(s);
}

static void test_stream_of_no_rows(void **state)
{
    ddf_table *none = one_column("a", F, "");
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_JSON);
    stream(&o, none, 1, false, NULL);
    out_close(&o);
    out_open(&o, DDF_FORMAT_TABLE);
    stream(&o, none, 1, false, NULL);
    stream(&o, none, 1, true, "a");
    assert_string_equal(out_text(&o), "Empty DataFrame\nColumns: [a]\nIndex: []\n"
                                      "Series([], Name: a, dtype: float64)\n");
    out_close(&o);
    ddf_table_free(none);
}

static void test_csv_stream_writes_rows_as_they_come(void **state)
{
    ddf_table *t = counting_table(20000);
    ddf_schema *schema = ddf_test_schema_of(t);
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_CSV);
    assert_int_equal(ddf_print_frame_begin(o.p, schema, &o.err), DDF_OK);
    assert_int_equal(ddf_print_frame_rows(o.p, t, &o.err), DDF_OK);
    /* before the end most rows are out already: the printer keeps one buffer */
    assert_true(strlen(out_text(&o)) > 200000 - 16384);
    assert_int_equal(ddf_print_frame_end(o.p, &o.err), DDF_OK);
    assert_true(strstr(out_text(&o), "\n19999,9999.5\n") != NULL);
    out_close(&o);
    ddf_schema_free(schema);
    ddf_table_free(t);
}

/* Column 'c' of 't' as a table of its own. */
static ddf_table *column_of(const ddf_table *t, size_t c)
{
    ddf_table *u = ddf_table_new(1);

    assert_non_null(u);
    assert_int_equal(ddf_table_set_column(u, 0, t->names[c], strlen(t->names[c]),
                                          t->columns[c].dtype), DDF_OK);
    for (size_t r = 0; r < t->nrows; r++)
        assert_int_equal(ddf_column_append_from(&u->columns[0], u->arena, &t->columns[c], r),
                         DDF_OK);
    u->nrows = t->nrows;
    return u;
}

static void test_table_stream_prints_what_the_whole_table_prints(void **state)
{
    size_t sizes[] = {0, 1, 5, 59, 60, 61, 62, 65, 66, 200};
    out whole, streamed;

    (void)state;
    out_open(&whole, DDF_FORMAT_TABLE);
    out_open(&streamed, DDF_FORMAT_TABLE);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t chunk = 1; chunk <= 13; chunk += 3) {
            ddf_table *t = counting_table(sizes[i]), *x = column_of(t, 1);

            out_reset(&whole);
            out_reset(&streamed);
            print_table(&whole, t, 0);
            stream(&streamed, t, chunk, false, NULL);
            assert_string_equal(out_text(&streamed), out_text(&whole));
            out_reset(&whole);
            out_reset(&streamed);
            print_series(&whole, x, 0, "x");
            stream(&streamed, x, chunk, true, "x");
            assert_string_equal(out_text(&streamed), out_text(&whole));
            ddf_table_free(t);
            ddf_table_free(x);
        }
    out_close(&whole);
    out_close(&streamed);
}

/* An int64 column whose only null is in the middle of 100 rows: pandas makes it float64.
 * The whole table and a stream see the null; a head/tail view cannot. */
static void test_a_null_in_the_middle_makes_ints_floats(void **state)
{
    ddf_table *mid, *head, *tail;
    ddf_frame_view ht;
    out a, b;

    (void)state;
    mid = ddf_table_new(1);
    assert_int_equal(ddf_table_set_column(mid, 0, "i", 1, I), DDF_OK);
    for (int64_t r = 0; r < 100; r++)
        assert_int_equal(r == 50 ? ddf_column_append_null(&mid->columns[0], mid->arena)
                                 : ddf_column_append_i64(&mid->columns[0], mid->arena, r),
                         DDF_OK);
    mid->nrows = 100;
    head = ddf_test_slice(mid, 0, 5);
    tail = ddf_test_slice(mid, 95, 100);
    ht = (ddf_frame_view){.table = head, .tail = tail, .nrows = 100};
    out_open(&a, DDF_FORMAT_TABLE);
    out_open(&b, DDF_FORMAT_TABLE);
    print_series(&a, mid, 0, "i");
    stream(&b, mid, 7, true, "i");
    assert_string_equal(out_text(&a), out_text(&b));
    assert_non_null(strstr(out_text(&a), "99    99.0\nName: i, Length: 100, dtype: float64\n"));
    out_reset(&b);
    assert_int_equal(ddf_print_series(b.p, &ht, "i", &b.err), DDF_OK);
    assert_non_null(strstr(out_text(&b), "99    99\nName: i, Length: 100, dtype: int64\n"));
    out_close(&a);
    out_close(&b);
    ddf_table_free(mid);
    ddf_table_free(head);
    ddf_table_free(tail);
}

/* ---- misuse and failures ---- */

static void test_misuse_is_an_error_not_a_crash(void **state)
{
    ddf_table *t = counting_table(61), *head = ddf_test_slice(t, 0, 5),
              *short_tail = ddf_test_slice(t, 57, 61), *s = one_column("s", S, "a");
    ddf_schema *schema = ddf_test_schema_of(t);
    ddf_frame_view ht = {.table = head, .tail = short_tail, .nrows = 61};
    ddf_frame_view two = {.table = t}, keys = {.table = t, .nkeys = 3};
    out o;

    (void)state;
    out_open(&o, DDF_FORMAT_TABLE);
    assert_int_equal(ddf_print_table(o.p, &ht, &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg, "a head and tail view needs 5 rows at each end of over 60 "
                                   "rows (has 5 + 4 of 61)");
    assert_int_equal(ddf_print_series(o.p, &two, "x", &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg, "a series of 2 columns cannot have 0 index columns");
    assert_int_equal(ddf_print_table(o.p, &keys, &o.err), DDF_EINVAL);
    assert_int_equal(ddf_print_frame_rows(o.p, t, &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg, "no frame is being printed");
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_EINVAL);
    assert_int_equal(ddf_print_frame_begin(o.p, schema, &o.err), DDF_OK);
    assert_int_equal(ddf_print_scalar(o.p, &(ddf_scalar){.dtype = DDF_DTYPE_NULL}, &o.err),
                     DDF_EINVAL);
    assert_string_equal(o.err.msg, "cannot print a scalar while a frame is streamed");
    assert_int_equal(ddf_print_frame_rows(o.p, s, &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg, "rows of 1 columns for a frame of 2");
    assert_int_equal(ddf_print_series_end(o.p, &o.err), DDF_EINVAL);
    assert_int_equal(ddf_print_frame_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_call_begin(o.p, &o.err), DDF_EINVAL);
    assert_int_equal(ddf_print_call_end(o.p, &o.err), DDF_OK);
    assert_int_equal(ddf_print_series_begin(o.p, "s", DDF_DTYPE_STRING, 0, &o.err), DDF_OK);
    assert_int_equal(ddf_print_series_rows(o.p, t, 0, &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg, "column 'i' is int64 with 61 rows, not string with 61");
    assert_int_equal(ddf_print_series_rows(o.p, s, 1, &o.err), DDF_EINVAL);
    ddf_printer_free(o.p); /* dropped mid-stream: nothing leaks */
    o.p = ddf_printer_new(o.f, DDF_FORMAT_CSV);
    ht.tail = t;
    assert_int_equal(ddf_print_table(o.p, &ht, &o.err), DDF_EINVAL);
    assert_string_equal(o.err.msg,
                        "csv prints every row: stream the frame instead of a head and tail");
    out_close(&o);
    ddf_schema_free(schema);
    ddf_table_free(t);
    ddf_table_free(head);
    ddf_table_free(short_tail);
    ddf_table_free(s);
}

static void test_write_errors_are_reported_and_sticky(void **state)
{
    int fds[2];
    FILE *f;
    ddf_printer *p;
    ddf_error err;
    ddf_scalar one = ddf_scalar_i64(1);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);

    (void)state;
    /* the reader went away: ddf ... | head */
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    f = fdopen(fds[1], "w");
    assert_non_null(f);
    p = ddf_printer_new(f, DDF_FORMAT_CSV);
    assert_int_equal(ddf_print_scalar(p, &one, &err), DDF_EIO);
    assert_int_equal(ddf_printer_errno(p), EPIPE);
    assert_string_equal(err.msg, "write error: Broken pipe");
    assert_int_equal(ddf_print_scalar(p, &one, &err), DDF_EIO);
    assert_int_equal(ddf_print_call_begin(p, &err), DDF_EIO);
    ddf_printer_free(p);
    fclose(f);
    /* a full disk */
    f = fopen("/dev/full", "w");
    if (f != NULL) {
        p = ddf_printer_new(f, DDF_FORMAT_JSON);
        assert_int_equal(ddf_print_scalar(p, &one, &err), DDF_EIO);
        assert_int_equal(ddf_printer_errno(p), ENOSPC);
        ddf_printer_free(p);
        fclose(f);
    }
    signal(SIGPIPE, old);
}

/* Fail allocation 1, 2, ... until printing succeeds: each failure is a clean DDF_ENOMEM
 * (ASan finds any leak), and the final output is right. */
static void test_out_of_memory_fails_cleanly(void **state)
{
    ddf_table *t = counting_table(61), *g = grouped_frame(), *s2 = two_key_series();
    ddf_schema *schema = ddf_test_schema_of(t);
    const ddf_scalar cols[] = {ddf_scalar_str("a", 1), ddf_scalar_str("b", 1),
                               ddf_scalar_str("c", 1)};
    bool done = false;
    long failures = 0;

    (void)state;
    for (long n = 0; !done; n++) {
        out o;
        ddf_frame_view v = {.table = t}, gv = {.table = g, .nkeys = 1},
                       sv = {.table = s2, .nkeys = 2};
        int rc;

        out_open(&o, DDF_FORMAT_TABLE);
        ddf_test_fail_after(n);
        rc = ddf_print_table(o.p, &v, &o.err);
        if (rc == DDF_OK)
            rc = ddf_print_table(o.p, &gv, &o.err);
        if (rc == DDF_OK)
            rc = ddf_print_series(o.p, &sv, "qty", &o.err);
        if (rc == DDF_OK)
            rc = ddf_print_list(o.p, cols, 3, DDF_LIST_INDEX, &o.err);
        if (rc == DDF_OK) {
            rc = ddf_print_frame_begin(o.p, schema, &o.err);
            for (size_t r = 0; rc == DDF_OK && r < 61; r += 20) {
                ddf_test_fail_after(-1);
                ddf_table *part = ddf_test_slice(t, r, r + 20 < 61 ? r + 20 : 61);
                ddf_test_fail_after(n);
                rc = ddf_print_frame_rows(o.p, part, &o.err);
                ddf_test_fail_after(-1);
                ddf_table_free(part);
                ddf_test_fail_after(n);
            }
            if (rc == DDF_OK)
                rc = ddf_print_frame_end(o.p, &o.err);
        }
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            done = true;
            assert_true(strncmp(out_text(&o), truncated_61, sizeof truncated_61 - 1) == 0);
            assert_non_null(strstr(out_text(&o), "Index(['a', 'b', 'c'], dtype='object')\n"));
            assert_string_equal(out_text(&o) + strlen(out_text(&o)) - strlen(truncated_61),
                                truncated_61);
        } else {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_non_null(strstr(o.err.msg, "out of memory"));
            failures++;
        }
        out_close(&o);
        assert_true(n < 100000);
    }
    assert_true(failures > 10); /* each allocation made to fail: arenas take 64 KiB at once */
    ddf_schema_free(schema);
    ddf_table_free(t);
    ddf_table_free(g);
    ddf_table_free(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse_names_the_three_formats),
        cmocka_unit_test(test_scalars_print_as_python_str_in_table_format),
        cmocka_unit_test(test_scalars_are_csv_blocks_with_nulls_empty),
        cmocka_unit_test(test_scalars_are_json_objects_with_nan_and_inf_null),
        cmocka_unit_test(test_json_floats_are_shortest_round_trip),
        cmocka_unit_test(test_json_strings_are_escaped_per_rfc_8259),
        cmocka_unit_test(test_lists_in_each_format),
        cmocka_unit_test(test_a_long_index_wraps_as_pandas_does),
        cmocka_unit_test(test_table_nulls_in_every_dtype_look_like_pandas),
        cmocka_unit_test(test_table_of_61_rows_shows_head_and_tail),
        cmocka_unit_test(test_table_of_25_columns_shows_ten_and_ten_and_wraps),
        cmocka_unit_test(test_group_by_keys_are_the_index_in_table_format),
        cmocka_unit_test(test_empty_frame_and_series),
        cmocka_unit_test(test_series_with_two_keys_shows_a_multi_index),
        cmocka_unit_test(test_long_series_has_length_in_footer),
        cmocka_unit_test(test_series_floats_switch_to_scientific_as_pandas),
        cmocka_unit_test(test_csv_tables_series_and_keys),
        cmocka_unit_test(test_csv_quotes_as_python_csv_module),
        cmocka_unit_test(test_json_tables_and_series),
        cmocka_unit_test(test_print_call_joins_scalars_and_blocks_the_rest),
        cmocka_unit_test(test_streams_in_csv_and_json),
        cmocka_unit_test(test_stream_of_no_rows),
        cmocka_unit_test(test_csv_stream_writes_rows_as_they_come),
        cmocka_unit_test(test_table_stream_prints_what_the_whole_table_prints),
        cmocka_unit_test(test_a_null_in_the_middle_makes_ints_floats),
        cmocka_unit_test(test_misuse_is_an_error_not_a_crash),
        cmocka_unit_test(test_write_errors_are_reported_and_sticky),
        cmocka_unit_test_teardown(test_out_of_memory_fails_cleanly, ddf_test_restore_libc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
