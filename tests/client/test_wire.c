/* test_wire.c - the client's side of the worker protocol (client/wire.c): plans encoded by
 * the client decode, with the worker's own decoder (worker/plan_decode.c), to the plan that
 * was sent, for every terminal and step kind and every CSV option; answers built as the
 * worker builds them decode to what the worker meant; hostile answers are errors with a
 * message, never a crash or a leak (the ASan build runs LeakSanitizer). */
#include "testutil.h"

#include "codec.h"
#include "plan_decode.h"
#include "wire.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- comparing plans ---- */

static void assert_strings_equal(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    assert_int_equal(na, nb);
    assert_true((a == NULL) == (b == NULL));
    for (size_t i = 0; i < na; i++) assert_string_equal(a[i], b[i]);
}

static void assert_csv_equal(const ddf_csv_options *a, const ddf_csv_options *b)
{
    assert_int_equal(a->sep, b->sep);
    assert_int_equal(a->quote, b->quote);
    assert_int_equal(a->header, b->header);
    assert_strings_equal(a->names, a->nnames, b->names, b->nnames);
    assert_strings_equal(a->usecols, a->nusecols, b->usecols, b->nusecols);
    assert_true(a->skiprows == b->skiprows);
    assert_int_equal(a->ndtypes, b->ndtypes);
    assert_true((a->dtypes == NULL) == (b->dtypes == NULL));
    for (size_t i = 0; i < a->ndtypes; i++) {
        /* a struct's members may come back in any order: find each by name */
        size_t k = 0;
        while (k < b->ndtypes && strcmp(a->dtypes[i].name, b->dtypes[k].name) != 0) k++;
        assert_true(k < b->ndtypes);
        assert_int_equal(a->dtypes[i].dtype, b->dtypes[k].dtype);
    }
    assert_strings_equal(a->na_values, a->nna_values, b->na_values, b->nna_values);
    assert_int_equal(a->keep_default_na, b->keep_default_na);
    assert_int_equal(a->on_bad_lines, b->on_bad_lines);
    assert_true(a->blocksize == b->blocksize);
}

static void assert_plan_equal(const ddf_plan *a, const ddf_plan *b)
{
    const ddf_terminal *ta = &a->terminal, *tb = &b->terminal;

    assert_int_equal(b->version, DDF_PLAN_VERSION);
    assert_int_equal(a->combine, b->combine);
    assert_csv_equal(&a->csv, &b->csv);
    assert_true(ddf_schema_equal(a->schema, b->schema));
    assert_int_equal(a->nparts, b->nparts);
    for (size_t i = 0; i < a->nparts; i++) {
        assert_true(a->parts[i].index == b->parts[i].index);
        assert_string_equal(a->parts[i].path, b->parts[i].path);
        assert_true(a->parts[i].offset == b->parts[i].offset);
        assert_true(a->parts[i].length == b->parts[i].length);
        assert_true(a->parts[i].first_line == b->parts[i].first_line);
    }
    assert_int_equal(a->nsteps, b->nsteps);
    for (size_t i = 0; i < a->nsteps; i++) {
        const ddf_step *sa = &a->steps[i], *sb = &b->steps[i];
        assert_int_equal(sa->kind, sb->kind);
        if (sa->kind != DDF_STEP_SELECT) assert_string_equal(sa->expr, sb->expr);
        if (sa->kind == DDF_STEP_ASSIGN) assert_string_equal(sa->name, sb->name);
        if (sa->kind == DDF_STEP_SELECT)
            assert_strings_equal(sa->columns, sa->ncolumns, sb->columns, sb->ncolumns);
    }
    assert_int_equal(ta->kind, tb->kind);
    switch (ta->kind) {
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
        assert_true(ta->n == tb->n);
        break;
    case DDF_TERM_GROUPBY:
        assert_int_equal(ta->dropna, tb->dropna);
        assert_strings_equal(ta->keys, ta->nkeys, tb->keys, tb->nkeys);
        __attribute__((fallthrough)); /* and the aggs */
    case DDF_TERM_REDUCE:
        assert_int_equal(ta->naggs, tb->naggs);
        for (size_t i = 0; i < ta->naggs; i++) {
            assert_string_equal(ta->aggs[i].column, tb->aggs[i].column);
            assert_int_equal(ta->aggs[i].kind, tb->aggs[i].kind);
        }
        break;
    case DDF_TERM_VALUE_COUNTS:
        assert_string_equal(ta->column, tb->column);
        assert_int_equal(ta->dropna, tb->dropna);
        break;
    case DDF_TERM_TOPK:
        assert_true(ta->n == tb->n);
        assert_strings_equal(ta->keys, ta->nkeys, tb->keys, tb->nkeys);
        assert_int_equal(ta->largest, tb->largest);
        assert_int_equal(ta->keep, tb->keep);
        break;
    case DDF_TERM_WRITE_CSV:
        assert_string_equal(ta->path, tb->path);
        if (ta->name == NULL)
            assert_null(tb->name);
        else
            assert_string_equal(ta->name, tb->name);
        break;
    case DDF_TERM_COUNT:
    case DDF_TERM_COLLECT:
        break;
    }
}

/* Encode 'p', decode it with the worker's decoder, compare. */
static void round_trip(const ddf_plan *p)
{
    xmlrpc_value *v = NULL;
    ddf_plan back;
    ddf_error err;
    int rc;

    ddf_error_init(&err);
    rc = ddf_wire_encode_plan(p, &v, &err);
    if (rc != DDF_OK) fail_msg("encode: %s", err.msg);
    assert_non_null(v);
    rc = ddf_plan_decode(v, &back, &err);
    if (rc != DDF_OK) fail_msg("decode: %s", err.msg);
    assert_plan_equal(p, &back);
    ddf_plan_fini(&back);
    xmlrpc_DECREF(v);
}

/* ---- a plan with everything set ---- */

static const char *const names[] = {"b", "k", "x", "s", "n", "w\xc3\xa9st"};
static const char *const usecols[] = {"k", "x", "s", "b", "n"};
static const ddf_csv_pin pins[] = {{"k", DDF_DTYPE_INT64}, {"s", DDF_DTYPE_STRING}};
static const char *const na_values[] = {"NA", "-", ""};
static const char *const sel_cols[] = {"k", "x", "z", "s"};
static const ddf_step steps[] = {
    {.kind = DDF_STEP_FILTER, .expr = "x > 1.5 and s != 'a\"b'"},
    {.kind = DDF_STEP_ASSIGN, .name = "z", .expr = "x * 2 + k"},
    {.kind = DDF_STEP_SELECT, .columns = sel_cols, .ncolumns = 4},
};
static const ddf_plan_part parts[] = {
    {.index = 0, .path = "data/a.csv", .offset = 0, .length = 17, .first_line = 1},
    {.index = (1ull << 40) + 3, .path = "/abs/b \xc3\xa9.csv", .offset = (5ull << 32) + 7,
     .length = 1ull << 30, .first_line = 3000000001ull},
    {.index = 7, .path = "data/a.csv", .offset = UINT32_MAX + 1ull, .length = 0, .first_line = 9},
};

static ddf_schema *full_schema(void)
{
    ddf_schema *s = ddf_schema_new();

    assert_non_null(s);
    assert_int_equal(ddf_schema_add(s, "b", 1, DDF_DTYPE_BOOL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "k", 1, DDF_DTYPE_INT64, DDF_FIELD_PINNED), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "x", 1, DDF_DTYPE_FLOAT64, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "s", 1, DDF_DTYPE_STRING, DDF_FIELD_PINNED), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "n", 1, DDF_DTYPE_NULL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(s, "w\xc3\xa9st", 5, DDF_DTYPE_INT64, 0), DDF_OK);
    return s;
}

static void full_plan(ddf_plan *p, ddf_schema *schema)
{
    memset(p, 0, sizeof(*p));
    p->version = DDF_PLAN_VERSION;
    ddf_csv_options_init(&p->csv);
    p->csv.sep = ';';
    p->csv.quote = '\'';
    p->csv.header = false;
    p->csv.names = names;
    p->csv.nnames = 6;
    p->csv.usecols = usecols;
    p->csv.nusecols = 5;
    p->csv.skiprows = 3;
    p->csv.dtypes = pins;
    p->csv.ndtypes = 2;
    p->csv.na_values = na_values;
    p->csv.nna_values = 3;
    p->csv.keep_default_na = false;
    p->csv.on_bad_lines = DDF_BAD_LINES_SKIP;
    p->csv.blocksize = (1ull << 30) - 1;
    p->schema = schema;
    p->parts = parts;
    p->nparts = 3;
    p->steps = steps;
    p->nsteps = 3;
}

static void test_every_terminal_round_trips(void **state)
{
    static const char *const gkeys[] = {"k", "s"};
    static const char *const tkeys[] = {"x", "k"};
    static const ddf_plan_agg raggs[] = {
        {"x", DDF_AGG_SUM}, {"x", DDF_AGG_MEAN}, {"s", DDF_AGG_NUNIQUE}, {"k", DDF_AGG_STD}};
    static const ddf_plan_agg gaggs[] = {{"x", DDF_AGG_SUM},  {"x", DDF_AGG_MAX},
                                         {"s", DDF_AGG_FIRST}, {"k", DDF_AGG_SIZE},
                                         {"b", DDF_AGG_LAST},  {"x", DDF_AGG_VAR},
                                         {"k", DDF_AGG_COUNT}, {"x", DDF_AGG_MIN}};
    const ddf_terminal terms[] = {
        {.kind = DDF_TERM_COUNT},
        {.kind = DDF_TERM_HEAD, .n = 5},
        {.kind = DDF_TERM_HEAD, .n = (int64_t)1 << 40},
        {.kind = DDF_TERM_TAIL, .n = -3},
        {.kind = DDF_TERM_TAIL, .n = INT64_MIN},
        {.kind = DDF_TERM_COLLECT},
        {.kind = DDF_TERM_REDUCE, .aggs = raggs, .naggs = 4},
        {.kind = DDF_TERM_GROUPBY, .keys = gkeys, .nkeys = 2, .aggs = gaggs, .naggs = 8,
         .dropna = false},
        {.kind = DDF_TERM_GROUPBY, .keys = gkeys, .nkeys = 1, .aggs = gaggs, .naggs = 1,
         .dropna = true},
        {.kind = DDF_TERM_VALUE_COUNTS, .column = "s", .dropna = false},
        {.kind = DDF_TERM_VALUE_COUNTS, .column = "w\xc3\xa9st", .dropna = true},
        {.kind = DDF_TERM_TOPK, .n = 10, .keys = tkeys, .nkeys = 2, .largest = false,
         .keep = DDF_TOPK_KEEP_ALL},
        {.kind = DDF_TERM_TOPK, .n = 0, .keys = tkeys, .nkeys = 1, .largest = true,
         .keep = DDF_TOPK_KEEP_LAST},
        {.kind = DDF_TERM_TOPK, .n = 3, .keys = tkeys, .nkeys = 1, .largest = true,
         .keep = DDF_TOPK_KEEP_FIRST},
        {.kind = DDF_TERM_WRITE_CSV, .path = "out/dir one"},
        {.kind = DDF_TERM_WRITE_CSV, .path = "out", .name = "sales-*.csv"},
    };
    ddf_schema *schema = full_schema();
    ddf_plan p;

    (void)state;
    for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
        full_plan(&p, schema);
        p.terminal = terms[i];
        if (i % 2 == 1) p.csv.on_bad_lines = DDF_BAD_LINES_WARN;
        p.combine = i % 3 == 0;
        round_trip(&p);
    }
    ddf_schema_free(schema);
}

static void test_defaults_and_empty_lists_round_trip(void **state)
{
    static const char *const none[1] = {NULL};
    ddf_schema *schema = ddf_schema_new();
    ddf_plan p;

    (void)state;
    /* default options, no steps, no parts, an empty schema; version 0 is sent as 1 */
    memset(&p, 0, sizeof p);
    ddf_csv_options_init(&p.csv);
    p.schema = schema;
    p.terminal.kind = DDF_TERM_COUNT;
    round_trip(&p);
    /* empty but present lists stay present (names=[] is not names=None) */
    p.csv.names = none;
    p.csv.usecols = none;
    p.csv.na_values = none;
    p.csv.dtypes = pins;
    p.csv.ndtypes = 0;
    round_trip(&p);
    ddf_schema_free(schema);
}

static void test_csv_options_round_trip_alone(void **state)
{
    ddf_schema *schema = full_schema();
    xmlrpc_value *v = NULL;
    ddf_csv_options back;
    xmlrpc_env env;
    ddf_arena *arena = ddf_arena_new();
    ddf_error err;
    ddf_plan p;

    (void)state;
    assert_non_null(arena);
    full_plan(&p, schema);
    xmlrpc_env_init(&env);
    assert_int_equal(ddf_wire_encode_csv(&env, &p.csv, &v, &err), DDF_OK);
    assert_false(env.fault_occurred);
    ddf_csv_options_init(&back);
    if (ddf_plan_decode_csv(v, "options", arena, &back, &err) != DDF_OK) fail_msg("%s", err.msg);
    assert_csv_equal(&p.csv, &back);
    xmlrpc_DECREF(v);
    xmlrpc_env_clean(&env);
    ddf_arena_free(arena);
    ddf_schema_free(schema);
}

static void test_encoder_refuses_what_the_worker_cannot_read(void **state)
{
    ddf_schema *schema = full_schema(), *bad = ddf_schema_new();
    ddf_plan_part nopath[1] = {{.index = 0, .path = NULL, .length = 1}};
    ddf_plan_part huge[1] = {{.index = 0, .path = "a", .offset = (uint64_t)INT64_MAX + 1}};
    ddf_csv_pin nullpin[1] = {{"k", DDF_DTYPE_NULL}};
    ddf_csv_pin dup[2] = {{"k", DDF_DTYPE_INT64}, {"k", DDF_DTYPE_STRING}};
    xmlrpc_value *v = (xmlrpc_value *)&v;
    ddf_error err;
    ddf_plan p;
    struct {
        const char *where;
        int kind;
    } cases[] = {{"plan.parts[0].path", 0}, {"plan.parts[0].offset", 1},
                 {"plan.schema[0].name", 2}, {"plan.terminal.kind", 3},
                 {"plan.csv.sep", 4},         {"plan.csv.dtypes[0]", 5},
                 {"plan.csv.dtypes[1]", 6},   {"plan.terminal.keep", 7},
                 {"plan.steps[1].expr", 8},   {"plan.terminal.aggs[0]", 9},
                 {"plan.csv.names[0]", 10},   {"plan.schema[0]", 11},
                 {"plan.csv.names", 12}};
    static const ddf_plan_agg badagg[1] = {{"x", (ddf_agg_kind)99}};
    static const char *const badutf8[1] = {"a\xff"};
    static const ddf_step badstep[2] = {{.kind = DDF_STEP_FILTER, .expr = "x"},
                                        {.kind = DDF_STEP_FILTER, .expr = NULL}};

    (void)state;
    assert_int_equal(ddf_schema_add(bad, "a\rb", 3, DDF_DTYPE_INT64, 0), DDF_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        full_plan(&p, schema);
        p.terminal.kind = DDF_TERM_COUNT;
        switch (cases[i].kind) {
        case 0: p.parts = nopath, p.nparts = 1; break;
        case 1: p.parts = huge, p.nparts = 1; break;
        case 2: p.schema = bad; break;
        case 3: p.terminal.kind = (ddf_terminal_kind)42; break;
        case 4: p.csv.sep = '\n'; break;
        case 5: p.csv.dtypes = nullpin, p.csv.ndtypes = 1; break;
        case 6: p.csv.dtypes = dup, p.csv.ndtypes = 2; break;
        case 7:
            p.terminal = (ddf_terminal){.kind = DDF_TERM_TOPK, .n = 1, .keys = names, .nkeys = 1,
                                        .keep = (ddf_topk_keep)5};
            break;
        case 8: p.steps = badstep, p.nsteps = 2; break;
        case 9: p.terminal = (ddf_terminal){.kind = DDF_TERM_REDUCE, .aggs = badagg, .naggs = 1}; break;
        case 10: p.csv.names = badutf8, p.csv.nnames = 1; break;
        case 11: schema->fields[0].dtype = (ddf_dtype)9; break;
        case 12: p.csv.names = NULL, p.csv.nnames = 2; break;
        }
        ddf_error_init(&err);
        v = (xmlrpc_value *)&v;
        assert_int_equal(ddf_wire_encode_plan(&p, &v, &err), DDF_EINVAL);
        assert_null(v);
        if (strstr(err.msg, cases[i].where) == NULL)
            fail_msg("case %zu: \"%s\" does not name %s", i, err.msg, cases[i].where);
        schema->fields[0].dtype = DDF_DTYPE_BOOL;
    }
    assert_int_equal(ddf_wire_encode_plan(NULL, &v, &err), DDF_EINVAL);
    ddf_schema_free(bad);
    ddf_schema_free(schema);
}

/* ---- windows ---- */

static void test_windows_encode_and_scan_answers_decode(void **state)
{
    static const char text[] = "a,b\n\"x\ny\",1\n2,3\n\"q\"\"\",4\n";
    const uint64_t offsets[] = {0, 6, (5ull << 32) + 1}, lengths[] = {6, 19, 1ull << 30};
    ddf_split_window win[2], back[2];
    xmlrpc_value *v = NULL, *ans;
    xmlrpc_env env;
    ddf_error err;
    int64_t i8 = 0;

    (void)state;
    xmlrpc_env_init(&env);
    assert_int_equal(ddf_wire_encode_windows(&env, offsets, lengths, 3, &v, &err), DDF_OK);
    assert_int_equal(xmlrpc_array_size(&env, v), 3);
    {
        xmlrpc_value *w = NULL, *o = NULL;
        xmlrpc_array_read_item(&env, v, 2, &w);
        xmlrpc_struct_find_value(&env, w, "offset", &o);
        assert_int_equal(xmlrpc_value_type(o), XMLRPC_TYPE_I8);
        assert_int_equal(ddf_plan_decode_int64(o, "o", &i8, &err), DDF_OK);
        assert_true(i8 == (int64_t)offsets[2]);
        xmlrpc_DECREF(o);
        xmlrpc_DECREF(w);
    }
    assert_false(env.fault_occurred);
    xmlrpc_DECREF(v);

    /* the worker's answer for two real windows, built as worker/methods.c builds it */
    ddf_split_scan_window(text, 6, 0, '"', &win[0]);
    ddf_split_scan_window(text + 6, sizeof text - 1 - 6, 6, '"', &win[1]);
    ans = xmlrpc_array_new(&env);
    for (int k = 0; k < 2; k++) {
        const ddf_split_window *w = &win[k];
#define NL(x) ((x) == DDF_SPLIT_NONE ? (int64_t)-1 : (int64_t)(x))
        xmlrpc_value *st = xmlrpc_build_value(
            &env, "{s:I,s:I,s:I,s:I,s:(II),s:(II)}", "offset", (int64_t)w->offset, "length",
            (int64_t)w->length, "quotes", (int64_t)w->quotes, "newlines", (int64_t)w->newlines,
            "first_nl", NL(w->first_nl[0]), NL(w->first_nl[1]), "nl_before",
            (int64_t)w->nl_before[0], (int64_t)w->nl_before[1]);
#undef NL
        xmlrpc_array_append_item(&env, ans, st);
        xmlrpc_DECREF(st);
    }
    assert_false(env.fault_occurred);
    assert_int_equal(ddf_wire_decode_scan(ans, back, 2, &err), DDF_OK);
    assert_memory_equal(win, back, sizeof win);
    assert_true(win[0].first_nl[1] == DDF_SPLIT_NONE || win[1].first_nl[1] == DDF_SPLIT_NONE);
    /* one window too many or too few */
    assert_int_equal(ddf_wire_decode_scan(ans, back, 3, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "expected 3"));
    assert_int_equal(ddf_wire_decode_scan(ans, back, 1, &err), DDF_ECORRUPT);
    xmlrpc_DECREF(ans);

    /* refusals */
    v = NULL;
    assert_int_equal(ddf_wire_encode_windows(&env, offsets, NULL, 2, &v, &err), DDF_EINVAL);
    assert_int_equal(ddf_wire_encode_windows(&env, offsets, lengths, 70000, &v, &err),
                     DDF_ETOOBIG);
    {
        const uint64_t big[] = {UINT64_MAX};
        assert_int_equal(ddf_wire_encode_windows(&env, big, lengths, 1, &v, &err), DDF_EINVAL);
        assert_non_null(strstr(err.msg, "windows[0].offset"));
    }
    assert_null(v);
    assert_int_equal(ddf_wire_encode_windows(&env, NULL, NULL, 0, &v, &err), DDF_OK);
    assert_int_equal(xmlrpc_array_size(&env, v), 0);
    xmlrpc_DECREF(v);
    xmlrpc_env_clean(&env);
}

static void test_hostile_scan_answers_are_errors(void **state)
{
    const char *answers[] = {
        "{s:I}",                                            /* not an array */
        "(i)",                                              /* item not a struct */
        "({s:I,s:I,s:I,s:I,s:(II),s:(II)})",                /* ok but for first_nl -2 */
        "({s:I,s:I,s:I,s:I,s:(III),s:(II)})",               /* a pair of three */
        "({s:I,s:I,s:I,s:I,s:(II)})",                       /* nl_before missing */
        "({s:s,s:I,s:I,s:I,s:(II),s:(II)})",                /* offset a string */
        "({s:I,s:I,s:I,s:I,s:(II),s:(II)})",                /* nl_before -1 */
    };
    const char *names_in[] = {"ddf.scan answer", "ddf.scan answer[0]", "first_nl[0]",
                              "first_nl", "nl_before", "offset", "nl_before[1]"};
    ddf_split_window out[1];
    xmlrpc_env env;
    ddf_error err;

    (void)state;
    xmlrpc_env_init(&env);
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        xmlrpc_value *v = NULL;
        switch (i) {
        case 0: v = xmlrpc_build_value(&env, answers[i], "offset", (int64_t)1); break;
        case 1: v = xmlrpc_build_value(&env, answers[i], 1); break;
        case 2:
            v = xmlrpc_build_value(&env, answers[i], "offset", (int64_t)0, "length", (int64_t)5,
                                   "quotes", (int64_t)0, "newlines", (int64_t)0, "first_nl",
                                   (int64_t)-2, (int64_t)-1, "nl_before", (int64_t)0, (int64_t)0);
            break;
        case 3:
            v = xmlrpc_build_value(&env, answers[i], "offset", (int64_t)0, "length", (int64_t)5,
                                   "quotes", (int64_t)0, "newlines", (int64_t)0, "first_nl",
                                   (int64_t)-1, (int64_t)-1, (int64_t)-1, "nl_before", (int64_t)0,
                                   (int64_t)0);
            break;
        case 4:
            v = xmlrpc_build_value(&env, answers[i], "offset", (int64_t)0, "length", (int64_t)5,
                                   "quotes", (int64_t)0, "newlines", (int64_t)0, "first_nl",
                                   (int64_t)-1, (int64_t)-1);
            break;
        case 5:
            v = xmlrpc_build_value(&env, answers[i], "offset", "0", "length", (int64_t)5, "quotes",
                                   (int64_t)0, "newlines", (int64_t)0, "first_nl", (int64_t)-1,
                                   (int64_t)-1, "nl_before", (int64_t)0, (int64_t)0);
            break;
        case 6:
            v = xmlrpc_build_value(&env, answers[i], "offset", (int64_t)0, "length", (int64_t)5,
                                   "quotes", (int64_t)0, "newlines", (int64_t)0, "first_nl",
                                   (int64_t)-1, (int64_t)-1, "nl_before", (int64_t)0, (int64_t)-1);
            break;
        }
        assert_false(env.fault_occurred);
        ddf_error_init(&err);
        assert_int_equal(ddf_wire_decode_scan(v, out, 1, &err), DDF_ECORRUPT);
        if (strstr(err.msg, names_in[i]) == NULL)
            fail_msg("case %zu: \"%s\" does not name %s", i, err.msg, names_in[i]);
        xmlrpc_DECREF(v);
    }
    xmlrpc_env_clean(&env);
}

/* ---- ddf.run answers ---- */

static ddf_table *small_table(void)
{
    static const char *const cn[] = {"k", "s", "x"};
    static const ddf_dtype cd[] = {DDF_DTYPE_INT64, DDF_DTYPE_STRING, DDF_DTYPE_FLOAT64};
    static const char *const cv[] = {"1 . -9223372036854775808", "a _ .", "0.5 . -0"};

    return ddf_test_make_table(3, cn, cd, cv);
}

/* The entry worker/method_run.c builds: 'extra' is added as the status' own member. */
static xmlrpc_value *entry(xmlrpc_env *env, int64_t index, const char *status, const char *msg,
                           int code, const char *extra_key, xmlrpc_value *extra)
{
    xmlrpc_value *st = xmlrpc_build_value(
        env, "{s:I,s:s,s:s,s:i,s:I,s:I,s:I,s:b}", "index", index, "status", status, "error", msg,
        "code", code, "rows_in", (int64_t)5000000000ll, "rows_out", (int64_t)3, "bad_lines",
        (int64_t)2, "cache_hit", (xmlrpc_bool)1);

    if (extra != NULL) {
        xmlrpc_struct_set_value(env, st, extra_key, extra);
        xmlrpc_DECREF(extra);
    }
    return st;
}

static xmlrpc_value *answer_of(xmlrpc_env *env, xmlrpc_value *entries)
{
    xmlrpc_value *ans = xmlrpc_build_value(env, "{s:A}", "results", entries);

    xmlrpc_DECREF(entries);
    return ans;
}

static xmlrpc_value *blob_value(xmlrpc_env *env, const ddf_table *t, bool corrupt_it, size_t cut)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    ddf_error err;
    xmlrpc_value *v;

    assert_int_equal(ddf_codec_encode(t, &blob, &len, &err), DDF_OK);
    if (corrupt_it) blob[0] = 'X';
    v = xmlrpc_base64_new(env, len - cut, blob);
    ddf_free(blob);
    return v;
}

static void test_run_answers_decode(void **state)
{
    ddf_table *t = small_table();
    xmlrpc_value *arr, *ans, *widen;
    ddf_part_result *r = NULL;
    xmlrpc_env env;
    ddf_error err;
    size_t n = 0;

    (void)state;
    xmlrpc_env_init(&env);
    arr = xmlrpc_array_new(&env);
    widen = xmlrpc_build_value(&env, "({s:s,s:s}{s:6,s:s})", "column", "x", "dtype", "float64",
                               "column", "k\x01", (size_t)2, "dtype", "string");
    {
        xmlrpc_value *e[3] = {
            entry(&env, (1ll << 40) + 1, "ok", "", 0, "blob", blob_value(&env, t, false, 0)),
            entry(&env, 7, "widen", "", 0, "widen", widen),
            entry(&env, 2, "error", "f.csv:3:2: expected 2 fields, saw 3", 10, NULL, NULL),
        };
        for (int k = 0; k < 3; k++) {
            xmlrpc_array_append_item(&env, arr, e[k]);
            xmlrpc_DECREF(e[k]);
        }
    }
    ans = answer_of(&env, arr);
    assert_false(env.fault_occurred);

    assert_int_equal(ddf_wire_decode_run(ans, &r, &n, &err), DDF_OK);
    assert_int_equal(n, 3);
    assert_true(r[0].index == (1ull << 40) + 1);
    assert_int_equal(r[0].status, DDF_PART_OK);
    assert_non_null(r[0].table);
    assert_true(ddf_table_equal(t, r[0].table));
    assert_null(r[0].error);
    assert_int_equal(r[0].code, 0);
    assert_true(r[0].rows_in == 5000000000ll && r[0].rows_out == 3 && r[0].bad_lines == 2);
    assert_true(r[0].cache_hit);

    assert_int_equal(r[1].status, DDF_PART_WIDEN);
    assert_true(r[1].index == 7);
    assert_null(r[1].table);
    assert_int_equal(r[1].nwiden, 2);
    assert_string_equal(r[1].widen[0].column, "x");
    assert_int_equal(r[1].widen[0].dtype, DDF_DTYPE_FLOAT64);
    assert_string_equal(r[1].widen[1].column, "k\x01"); /* sent as base64 */
    assert_int_equal(r[1].widen[1].dtype, DDF_DTYPE_STRING);

    assert_int_equal(r[2].status, DDF_PART_ERROR);
    assert_int_equal(r[2].code, DDF_EBADLINE);
    assert_string_equal(r[2].error, "f.csv:3:2: expected 2 fields, saw 3");
    assert_null(r[2].table);
    ddf_part_results_free(r, n);
    xmlrpc_DECREF(ans);

    /* an empty answer */
    ans = xmlrpc_build_value(&env, "{s:()}", "results");
    assert_int_equal(ddf_wire_decode_run(ans, &r, &n, &err), DDF_OK);
    assert_int_equal(n, 0);
    ddf_part_results_free(r, n);
    xmlrpc_DECREF(ans);
    ddf_part_results_free(NULL, 0);
    ddf_table_free(t);
    xmlrpc_env_clean(&env);
}

/* Each hostile answer: a negative code, a message naming 'where', nothing leaked. */
/* An answer of two entries (the second with a blob when 'second_blob', an error when
 * 'second_error') and combined = 'combined'. */
static xmlrpc_value *combined_answer(xmlrpc_env *env, const ddf_table *t, bool combined,
                                     bool second_blob, bool second_error)
{
    xmlrpc_value *arr = xmlrpc_array_new(env), *ans, *e[2];

    e[0] = entry(env, 4, "ok", "", 0, "blob", blob_value(env, t, false, 0));
    e[1] = second_error ? entry(env, 9, "error", "bad", 3, NULL, NULL)
                        : entry(env, 9, "ok", "", 0, second_blob ? "blob" : NULL,
                                second_blob ? blob_value(env, t, false, 0) : NULL);
    for (int k = 0; k < 2; k++) {
        xmlrpc_array_append_item(env, arr, e[k]);
        xmlrpc_DECREF(e[k]);
    }
    ans = answer_of(env, arr);
    {
        xmlrpc_value *flag = xmlrpc_bool_new(env, combined);

        xmlrpc_struct_set_value(env, ans, "combined", flag);
        xmlrpc_DECREF(flag);
    }
    return ans;
}

static void check_hostile_run(xmlrpc_value *ans, int code, const char *where);

/* plan.combine: one blob, in the first entry, for every entry of the answer. */
static void test_combined_answers(void **state)
{
    ddf_table *t = small_table();
    ddf_part_result *r = NULL;
    xmlrpc_value *ans, *flag;
    xmlrpc_env env;
    ddf_error err;
    size_t n = 0;

    (void)state;
    xmlrpc_env_init(&env);
    ans = combined_answer(&env, t, true, false, false);
    assert_false(env.fault_occurred);
    assert_int_equal(ddf_wire_decode_run(ans, &r, &n, &err), DDF_OK);
    assert_int_equal(n, 2);
    assert_true(r[0].combined);
    assert_true(ddf_table_equal(t, r[0].table));
    assert_false(r[1].combined);
    assert_null(r[1].table);
    assert_int_equal(r[1].status, DDF_PART_OK);
    ddf_part_results_free(r, n);
    xmlrpc_DECREF(ans);
    /* a combined answer may not hold a failed partition or a second blob; without the
     * flag every ok entry needs its blob */
    check_hostile_run(combined_answer(&env, t, true, false, true), DDF_ECORRUPT,
                      "results[1]");
    check_hostile_run(combined_answer(&env, t, true, true, false), DDF_ECORRUPT,
                      "results[1]");
    check_hostile_run(combined_answer(&env, t, false, false, false), DDF_ECORRUPT,
                      "results[1].blob");
    ans = combined_answer(&env, t, true, false, false);
    flag = xmlrpc_string_new(&env, "yes");
    xmlrpc_struct_set_value(&env, ans, "combined", flag);
    xmlrpc_DECREF(flag);
    check_hostile_run(ans, DDF_ECORRUPT, "combined");
    assert_false(env.fault_occurred);
    xmlrpc_env_clean(&env);
    ddf_table_free(t);
}

static void check_hostile_run(xmlrpc_value *ans, int code, const char *where)
{
    ddf_part_result *r = (ddf_part_result *)&r;
    ddf_error err;
    size_t n = 99;

    ddf_error_init(&err);
    assert_int_equal(ddf_wire_decode_run(ans, &r, &n, &err), code);
    assert_null(r);
    assert_int_equal(n, 0);
    if (strstr(err.msg, where) == NULL) fail_msg("\"%s\" does not name %s", err.msg, where);
    if (ans != NULL) xmlrpc_DECREF(ans);
}

static xmlrpc_value *one(xmlrpc_env *env, xmlrpc_value *e)
{
    xmlrpc_value *arr = xmlrpc_array_new(env), *ok;

    /* a good entry first, so a failure in the second frees the first */
    ok = entry(env, 0, "error", "boom", 3, NULL, NULL);
    xmlrpc_array_append_item(env, arr, ok);
    xmlrpc_DECREF(ok);
    xmlrpc_array_append_item(env, arr, e);
    xmlrpc_DECREF(e);
    return answer_of(env, arr);
}

static void test_hostile_run_answers_are_errors(void **state)
{
    ddf_table *t = small_table();
    xmlrpc_env env;

    (void)state;
    xmlrpc_env_init(&env);
    check_hostile_run(NULL, DDF_ECORRUPT, "ddf.run answer");
    check_hostile_run(xmlrpc_build_value(&env, "(i)", 1), DDF_ECORRUPT,
                      "ddf.run answer: expected a struct, got an array");
    check_hostile_run(xmlrpc_build_value(&env, "{s:i}", "result", 1), DDF_ECORRUPT,
                      "ddf.run answer.results: missing");
    check_hostile_run(xmlrpc_build_value(&env, "{s:s}", "results", "x"), DDF_ECORRUPT,
                      "results: expected an array, got a string");
    check_hostile_run(one(&env, xmlrpc_build_value(&env, "i", 4)), DDF_ECORRUPT,
                      "results[1]: expected a struct");
    {
        xmlrpc_value *e = entry(&env, 1, "ok", "", 0, "blob", blob_value(&env, t, false, 0));
        xmlrpc_value *s = xmlrpc_string_new(&env, "1");
        xmlrpc_struct_set_value(&env, e, "index", s);
        xmlrpc_DECREF(s);
        check_hostile_run(one(&env, e), DDF_ECORRUPT, "results[1].index: expected an integer");
    }
    check_hostile_run(one(&env, entry(&env, -1, "ok", "", 0, "blob",
                                      blob_value(&env, t, false, 0))),
                      DDF_ECORRUPT, "results[1].index: -1 is negative");
    {
        xmlrpc_value *e = entry(&env, 1, "ok", "", 0, "blob", blob_value(&env, t, false, 0));
        xmlrpc_value *d = xmlrpc_double_new(&env, 1.0);
        xmlrpc_struct_set_value(&env, e, "rows_in", d);
        xmlrpc_DECREF(d);
        check_hostile_run(one(&env, e), DDF_ECORRUPT, "results[1].rows_in: expected an integer");
    }
    {
        xmlrpc_value *e = entry(&env, 1, "ok", "", 0, "blob", blob_value(&env, t, false, 0));
        xmlrpc_value *b = xmlrpc_int_new(&env, 1);
        xmlrpc_struct_set_value(&env, e, "cache_hit", b);
        xmlrpc_DECREF(b);
        check_hostile_run(one(&env, e), DDF_ECORRUPT, "results[1].cache_hit: expected a boolean");
    }
    check_hostile_run(one(&env, entry(&env, 1, "ok", "", 0, "blob",
                                      blob_value(&env, t, true, 0))),
                      DDF_ECORRUPT, "results[1].blob");
    check_hostile_run(one(&env, entry(&env, 1, "ok", "", 0, "blob",
                                      blob_value(&env, t, false, 3))),
                      DDF_ECORRUPT, "results[1].blob: truncated blob");
    check_hostile_run(one(&env, entry(&env, 1, "ok", "", 0, "blob",
                                      xmlrpc_string_new(&env, "DDFT"))),
                      DDF_ECORRUPT, "results[1].blob: expected base64, got a string");
    check_hostile_run(one(&env, entry(&env, 1, "ok", "", 0, NULL, NULL)), DDF_ECORRUPT,
                      "results[1].blob: missing");
    check_hostile_run(one(&env, entry(&env, 1, "maybe", "", 0, NULL, NULL)), DDF_ECORRUPT,
                      "results[1].status: unknown status \"maybe\"");
    check_hostile_run(one(&env, entry(&env, 1, "error", "x", 0, NULL, NULL)), DDF_ECORRUPT,
                      "results[1].code: 0 is not a ddf fault code");
    check_hostile_run(one(&env, entry(&env, 1, "error", "x", 503, NULL, NULL)), DDF_ECORRUPT,
                      "results[1].code");
    {
        xmlrpc_value *e = entry(&env, 1, "error", "x", 3, NULL, NULL);
        xmlrpc_value *m = xmlrpc_int_new(&env, 1);
        xmlrpc_struct_set_value(&env, e, "error", m);
        xmlrpc_DECREF(m);
        check_hostile_run(one(&env, e), DDF_ECORRUPT, "results[1].error: expected a string");
    }
    check_hostile_run(one(&env, entry(&env, 1, "widen", "", 0, "widen",
                                      xmlrpc_array_new(&env))),
                      DDF_ECORRUPT, "results[1].widen: status widen names no column");
    check_hostile_run(
        one(&env, entry(&env, 1, "widen", "", 0, "widen",
                        xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:s})", "column", "a", "dtype",
                                           "int64", "column", "b", "dtype", "decimal"))),
        DDF_ECORRUPT, "results[1].widen[1].dtype: unknown dtype \"decimal\"");
    check_hostile_run(
        one(&env, entry(&env, 1, "widen", "", 0, "widen",
                        xmlrpc_build_value(&env, "({s:6,s:s})", "column", "a\0b", (size_t)3,
                                           "dtype", "int64"))),
        DDF_ECORRUPT, "results[1].widen[0].column: text holds a NUL byte");
    assert_false(env.fault_occurred);
    ddf_table_free(t);
    xmlrpc_env_clean(&env);
}

/* Out of memory anywhere in decoding: DDF_ENOMEM and nothing leaked. */
static void test_run_decode_survives_allocation_failures(void **state)
{
    ddf_table *t = small_table();
    xmlrpc_value *arr, *e, *ans;
    xmlrpc_env env;
    ddf_error err;
    int rc;

    (void)state;
    xmlrpc_env_init(&env);
    arr = xmlrpc_array_new(&env);
    e = entry(&env, 0, "ok", "", 0, "blob", blob_value(&env, t, false, 0));
    xmlrpc_array_append_item(&env, arr, e);
    xmlrpc_DECREF(e);
    e = entry(&env, 1, "widen", "", 0, "widen",
              xmlrpc_build_value(&env, "({s:s,s:s})", "column", "x", "dtype", "string"));
    xmlrpc_array_append_item(&env, arr, e);
    xmlrpc_DECREF(e);
    e = entry(&env, 2, "error", "boom", 1, NULL, NULL);
    xmlrpc_array_append_item(&env, arr, e);
    xmlrpc_DECREF(e);
    ans = answer_of(&env, arr);
    assert_false(env.fault_occurred);
    for (long k = 0;; k++) {
        ddf_part_result *r = NULL;
        size_t n = 0;

        ddf_test_fail_after(k);
        rc = ddf_wire_decode_run(ans, &r, &n, &err);
        ddf_test_fail_after(-1);
        if (rc == DDF_OK) {
            assert_int_equal(n, 3);
            ddf_part_results_free(r, n);
            break;
        }
        assert_int_equal(rc, DDF_ENOMEM);
        assert_null(r);
        assert_true(k < 1000);
    }
    xmlrpc_DECREF(ans);
    ddf_table_free(t);
    xmlrpc_env_clean(&env);
}

/* ---- ddf.files and ddf.infer ---- */

static void test_files_answers_decode(void **state)
{
    ddf_wire_file *f = NULL;
    xmlrpc_value *v;
    xmlrpc_env env;
    ddf_error err;
    size_t n = 0;

    (void)state;
    xmlrpc_env_init(&env);
    v = xmlrpc_build_value(&env, "({s:s,s:I,s:I,s:I}{s:6,s:I,s:I,s:I})", "path", "a/b.csv",
                           "size", (int64_t)(6ll << 32), "mtime", (int64_t)1700000000,
                           "mtime_ns", (int64_t)1700000000123456789ll, "path", "c\rd.csv",
                           (size_t)7, "size", (int64_t)0, "mtime", (int64_t)0, "mtime_ns",
                           (int64_t)-5);
    assert_false(env.fault_occurred);
    assert_int_equal(ddf_wire_decode_files(v, &f, &n, &err), DDF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].path, "a/b.csv");
    assert_true(f[0].size == 6ull << 32);
    assert_true(f[0].mtime_ns == 1700000000123456789ll);
    assert_string_equal(f[1].path, "c\rd.csv");
    assert_true(f[1].mtime_ns == -5);
    ddf_wire_files_free(f, n);
    xmlrpc_DECREF(v);

    v = xmlrpc_build_value(&env, "()");
    assert_int_equal(ddf_wire_decode_files(v, &f, &n, &err), DDF_OK);
    assert_int_equal(n, 0);
    assert_null(f);
    xmlrpc_DECREF(v);

    /* hostile: not an array; a path that is an int; a negative size */
    v = xmlrpc_build_value(&env, "{}");
    assert_int_equal(ddf_wire_decode_files(v, &f, &n, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "ddf.files answer"));
    xmlrpc_DECREF(v);
    v = xmlrpc_build_value(&env, "({s:s,s:I,s:I}{s:i,s:I,s:I})", "path", "a", "size", (int64_t)1,
                           "mtime_ns", (int64_t)1, "path", 3, "size", (int64_t)1, "mtime_ns",
                           (int64_t)1);
    assert_int_equal(ddf_wire_decode_files(v, &f, &n, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "ddf.files answer[1].path: expected a string or base64"));
    assert_null(f);
    xmlrpc_DECREF(v);
    v = xmlrpc_build_value(&env, "({s:s,s:I,s:I})", "path", "a", "size", (int64_t)-1, "mtime_ns",
                           (int64_t)1);
    assert_int_equal(ddf_wire_decode_files(v, &f, &n, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "[0].size: -1 is negative"));
    xmlrpc_DECREF(v);
    xmlrpc_env_clean(&env);
}

static xmlrpc_value *infer_answer(xmlrpc_env *env, xmlrpc_value *columns)
{
    xmlrpc_value *v = xmlrpc_build_value(env, "{s:s,s:I,s:I,s:I,s:I,s:A}", "path", "d/f.csv",
                                         "size", (int64_t)(9ll << 32), "data_start", (int64_t)12,
                                         "data_line", (int64_t)2, "mtime_ns",
                                         (int64_t)1700000000000000001ll, "columns", columns);

    xmlrpc_DECREF(columns);
    return v;
}

static void test_infer_answers_decode(void **state)
{
    ddf_wire_infer w;
    xmlrpc_value *v;
    xmlrpc_env env;
    ddf_error err;
    ddf_schema *want = ddf_schema_new();

    (void)state;
    xmlrpc_env_init(&env);
    v = infer_answer(&env, xmlrpc_build_value(
                               &env, "({s:s,s:s,s:b}{s:s,s:s,s:b}{s:6,s:s,s:b}{s:s,s:s})",
                               "name", "k", "dtype", "int64", "pinned", (xmlrpc_bool)1, "name",
                               "empty", "dtype", "null", "pinned", (xmlrpc_bool)0, "name",
                               "a\x01", (size_t)2, "dtype", "string", "pinned", (xmlrpc_bool)0,
                               "name", "f", "dtype", "float64"));
    assert_false(env.fault_occurred);
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_OK);
    assert_int_equal(ddf_schema_add(want, "k", 1, DDF_DTYPE_INT64, DDF_FIELD_PINNED), DDF_OK);
    assert_int_equal(ddf_schema_add(want, "empty", 5, DDF_DTYPE_NULL, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(want, "a\x01", 2, DDF_DTYPE_STRING, 0), DDF_OK);
    assert_int_equal(ddf_schema_add(want, "f", 1, DDF_DTYPE_FLOAT64, 0), DDF_OK);
    assert_true(ddf_schema_equal(want, w.schema));
    assert_true(w.size == 9ull << 32 && w.data_start == 12 && w.data_line == 2);
    assert_true(w.mtime_ns == 1700000000000000001ll);
    ddf_wire_infer_fini(&w);
    ddf_wire_infer_fini(&w); /* twice is fine */
    assert_null(w.schema);
    xmlrpc_DECREF(v);

    /* hostile: unknown dtype, duplicate, pinned null, columns missing, not a struct */
    v = infer_answer(&env, xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:s})", "name", "a", "dtype",
                                              "int64", "name", "b", "dtype", "decimal"));
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "columns[1].dtype: unknown dtype \"decimal\""));
    assert_null(w.schema);
    xmlrpc_DECREF(v);
    v = infer_answer(&env, xmlrpc_build_value(&env, "({s:s,s:s}{s:s,s:s})", "name", "a", "dtype",
                                              "int64", "name", "a", "dtype", "string"));
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "duplicate column \"a\""));
    xmlrpc_DECREF(v);
    v = infer_answer(&env, xmlrpc_build_value(&env, "({s:s,s:s,s:b})", "name", "a", "dtype",
                                              "null", "pinned", (xmlrpc_bool)1));
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "pinned"));
    xmlrpc_DECREF(v);
    v = xmlrpc_build_value(&env, "{s:I,s:I,s:I,s:I}", "size", (int64_t)1, "data_start",
                           (int64_t)0, "data_line", (int64_t)1, "mtime_ns", (int64_t)0);
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "ddf.infer answer.columns: missing"));
    xmlrpc_DECREF(v);
    v = xmlrpc_build_value(&env, "s", "nope");
    assert_int_equal(ddf_wire_decode_infer(v, &w, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "expected a struct, got a string"));
    xmlrpc_DECREF(v);
    assert_false(env.fault_occurred);
    ddf_schema_free(want);
    xmlrpc_env_clean(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_terminal_round_trips),
        cmocka_unit_test(test_defaults_and_empty_lists_round_trip),
        cmocka_unit_test(test_csv_options_round_trip_alone),
        cmocka_unit_test(test_encoder_refuses_what_the_worker_cannot_read),
        cmocka_unit_test(test_windows_encode_and_scan_answers_decode),
        cmocka_unit_test(test_hostile_scan_answers_are_errors),
        cmocka_unit_test(test_run_answers_decode),
        cmocka_unit_test(test_combined_answers),
        cmocka_unit_test(test_hostile_run_answers_are_errors),
        cmocka_unit_test_teardown(test_run_decode_survives_allocation_failures,
                                  ddf_test_restore_libc),
        cmocka_unit_test(test_files_answers_decode),
        cmocka_unit_test(test_infer_answers_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
