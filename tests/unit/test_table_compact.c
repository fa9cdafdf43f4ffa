/* test_table_compact.c - compacting parsed partitions (common/table_compact.c) and the
 * dictionary string columns it makes, through every reader of string columns: column.h's
 * accessors, the codec, frame_ops, group-by and value_counts. Each reader's result on a
 * dictionary column must equal its result on the plain column it was made from. */
#include "testutil.h"

#include "agg.h"
#include "codec.h"
#include "csv_reader.h"
#include "eval.h"
#include "expr.h"
#include "frame_ops.h"
#include "groupby.h"
#include "table_compact.h"
#include "value_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROWS 5000
#define NREGIONS 8

static const char *const REGIONS[NREGIONS] = {"EU-West", "EU-East",    "US-East",    "US-West",
                                              "",        "APAC-South", "LATAM-long-name-x",
                                              "Africa"};

/* A table of NROWS rows: "k" string of 8 values (one of them "", nulls every 13th row),
 * "u" string unique per row, "v" int64, "f" float64 with nulls, "b" bool, "k2" string of
 * 5 values (nulls every 17th row). */
static ddf_table *make_plain(void)
{
    ddf_table *t = ddf_table_new(6);
    char buf[32];

    assert_non_null(t);
    assert_int_equal(ddf_table_set_column(t, 0, "k", 1, DDF_DTYPE_STRING), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 1, "u", 1, DDF_DTYPE_STRING), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 2, "v", 1, DDF_DTYPE_INT64), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 3, "f", 1, DDF_DTYPE_FLOAT64), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 4, "b", 1, DDF_DTYPE_BOOL), DDF_OK);
    assert_int_equal(ddf_table_set_column(t, 5, "k2", 2, DDF_DTYPE_STRING), DDF_OK);
    for (size_t i = 0; i < NROWS; i++) {
        /* Region 3 appears only in the first rows, so selections can leave it out. */
        size_t reg = i < 50 ? i % NREGIONS : (i * 7 + i / 3) % NREGIONS;
        if (i >= 50 && reg == 3)
            reg = 2;
        const char *k = REGIONS[reg];
        ddf_column *c = t->columns;

        if (i % 13 == 5)
            assert_int_equal(ddf_column_append_null(&c[0], t->arena), DDF_OK);
        else
            assert_int_equal(ddf_column_append_str(&c[0], t->arena, k, strlen(k)), DDF_OK);
        int n = snprintf(buf, sizeof buf, "2024-01-01T%08zu", i);
        assert_int_equal(ddf_column_append_str(&c[1], t->arena, buf, (size_t)n), DDF_OK);
        assert_int_equal(ddf_column_append_i64(&c[2], t->arena, (int64_t)(i % 97) - 40),
                         DDF_OK);
        if (i % 11 == 0)
            assert_int_equal(ddf_column_append_null(&c[3], t->arena), DDF_OK);
        else
            assert_int_equal(ddf_column_append_f64(&c[3], t->arena, (double)i / 8), DDF_OK);
        assert_int_equal(ddf_column_append_bool(&c[4], t->arena, i % 3 == 0), DDF_OK);
        if (i % 17 == 3) {
            assert_int_equal(ddf_column_append_null(&c[5], t->arena), DDF_OK);
        } else {
            const char *k2 = REGIONS[(i * 3 + i / 5) % 5];

            assert_int_equal(ddf_column_append_str(&c[5], t->arena, k2, strlen(k2)), DDF_OK);
        }
    }
    t->nrows = NROWS;
    return t;
}

/* make_plain() compacted: "k" becomes a dictionary column, "u" stays plain. */
static ddf_table *make_dict(void)
{
    ddf_table *t = make_plain();
    ddf_error err;

    assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
    assert_true(ddf_column_is_dict(&t->columns[0]));
    assert_false(ddf_column_is_dict(&t->columns[1]));
    assert_true(ddf_column_is_dict(&t->columns[5]));
    return t;
}

static void assert_tables_equal(const ddf_table *a, const ddf_table *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_true(ddf_table_equal(a, b));
}

static void test_compact_encodes_low_cardinality(void **state)
{
    ddf_table *plain = make_plain(), *t = make_plain();
    size_t before = ddf_table_bytes(t), len;
    const ddf_column *k;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
    k = &t->columns[0];
    assert_non_null(k->codes);
    /* 8 regions, "" among them, which the nulls share */
    assert_int_equal(k->dict_length, NREGIONS);
    assert_null(t->columns[1].codes);
    assert_null(t->columns[2].validity); /* no nulls: no bitmap */
    assert_int_equal(t->columns[3].null_count, plain->columns[3].null_count);
    assert_tables_equal(plain, t);
    assert_true(ddf_table_bytes(t) < before);
    for (size_t i = 0; i < NROWS; i++) {
        assert_true(k->codes[i] < k->dict_length);
        assert_true(ddf_column_value_equal(k, i, &plain->columns[0], i));
        assert_true(ddf_column_value_equal(&plain->columns[0], i, k, i));
        if (!ddf_column_is_valid(k, i)) {
            (void)ddf_column_str(k, i, &len);
            assert_int_equal(len, 0); /* a null row reads "" as in the plain layout */
        }
    }
    /* same dictionary: equal codes are equal strings, the others differ */
    assert_true(ddf_column_value_equal(k, 0, k, NREGIONS));
    assert_false(ddf_column_value_equal(k, 0, k, 1));
    assert_int_equal(ddf_column_str_total(k), ddf_column_str_total(&plain->columns[0]));
    /* compacting again changes nothing */
    assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
    assert_tables_equal(plain, t);
    ddf_table_free(plain);
    ddf_table_free(t);
}

static void test_compact_small_tables(void **state)
{
    static const char *const names[] = {"s", "x"};
    static const ddf_dtype dtypes[] = {DDF_DTYPE_STRING, DDF_DTYPE_INT64};
    static const char *const few[] = {"a b . a a b a _ a b a a", "1 2 3 4 5 6 7 8 9 10 11 12"};
    static const char *const one[] = {"zz", "1"};
    ddf_table *empty = ddf_table_new(2), *t, *copy;
    ddf_error err;

    (void)state;
    assert_non_null(empty);
    assert_int_equal(ddf_table_set_column(empty, 0, "s", 1, DDF_DTYPE_STRING), DDF_OK);
    assert_int_equal(ddf_table_set_column(empty, 1, "x", 1, DDF_DTYPE_INT64), DDF_OK);
    assert_int_equal(ddf_table_compact(empty, &err), DDF_OK);
    assert_int_equal(empty->nrows, 0);
    ddf_table_free(empty);

    t = ddf_test_make_table(2, names, dtypes, few);
    copy = ddf_test_make_table(2, names, dtypes, few);
    assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
    assert_non_null(t->columns[0].codes); /* 3 values ("" included) in 12 rows */
    assert_tables_equal(copy, t);
    ddf_table_free(t);
    ddf_table_free(copy);

    t = ddf_test_make_table(2, names, dtypes, one);
    copy = ddf_test_make_table(2, names, dtypes, one);
    assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
    assert_null(t->columns[0].codes); /* one row: a dictionary is no smaller */
    assert_tables_equal(copy, t);
    ddf_table_free(t);
    ddf_table_free(copy);
}

/* Failing any allocation of the compaction leaves a correct table and no leak. */
static void test_compact_out_of_memory(void **state)
{
    ddf_table *plain = make_plain();
    ddf_error err;
    int rc;

    (void)state;
    for (long n = 0;; n++) {
        ddf_table *t = make_plain();

        ddf_test_fail_after(n);
        rc = ddf_table_compact(t, &err);
        ddf_test_fail_after(-1);
        assert_tables_equal(plain, t);
        ddf_table_free(t);
        if (rc == DDF_OK)
            break;
        assert_int_equal(rc, DDF_ENOMEM);
    }
    ddf_table_free(plain);
}

static void test_dict_codec(void **state)
{
    ddf_table *t = make_dict(), *back;

    (void)state;
    back = ddf_test_through_codec(t); /* asserts the decoded table equals t */
    assert_null(back->columns[0].codes); /* the wire has one string layout */
    assert_tables_equal(t, back);
    ddf_table_free(back);
    ddf_table_free(t);
}

/* Each frame_ops kernel on the dictionary table equals it on the plain one, and its
 * result is plain. */
static void test_dict_frame_ops(void **state)
{
    ddf_table *plain = make_plain(), *dict = make_dict(), *a, *b;
    uint32_t sel[300];
    ddf_error err;

    (void)state;
    for (size_t i = 0; i < 300; i++) /* backwards, with repeats: a filter or a take */
        sel[i] = (uint32_t)((NROWS - 1 - i * 17) % NROWS);
    assert_int_equal(ddf_frame_ops_take(plain, sel, 300, &a, &err), DDF_OK);
    assert_int_equal(ddf_frame_ops_take(dict, sel, 300, &b, &err), DDF_OK);
    assert_null(b->columns[0].codes);
    assert_tables_equal(a, b);
    ddf_table_free(a);
    ddf_table_free(b);

    for (int64_t n = -7; n <= 7; n += 7) {
        assert_int_equal(ddf_frame_ops_head(plain, sel, 300, n * 20, &a, &err), DDF_OK);
        assert_int_equal(ddf_frame_ops_head(dict, sel, 300, n * 20, &b, &err), DDF_OK);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
        assert_int_equal(ddf_frame_ops_tail(plain, NULL, 0, n * 20, &a, &err), DDF_OK);
        assert_int_equal(ddf_frame_ops_tail(dict, NULL, 0, n * 20, &b, &err), DDF_OK);
        assert_null(b->columns[0].codes);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
    }

    {
        const ddf_table *pp[2] = {plain, plain}, *dp[2] = {dict, plain};
        assert_int_equal(ddf_frame_ops_concat(pp, 2, &a, &err), DDF_OK);
        assert_int_equal(ddf_frame_ops_concat(dp, 2, &b, &err), DDF_OK);
        assert_null(b->columns[0].codes);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
    }
    ddf_table_free(plain);
    ddf_table_free(dict);
}

/* The result of grouping 't' (rows 'sel') by the columns keys[0..nkeys) with a spec
 * that reads strings through every path: size, sums, and min/max/nunique/first of the
 * string key itself. */
static ddf_table *group(const ddf_table *t, const size_t *keys, size_t nkeys, bool dropna,
                        const uint32_t *sel, size_t nsel)
{
    static const ddf_groupby_agg aggs[] = {
        {2, DDF_AGG_SIZE}, {2, DDF_AGG_SUM},     {3, DDF_AGG_MEAN},  {0, DDF_AGG_MIN},
        {0, DDF_AGG_MAX},  {0, DDF_AGG_NUNIQUE}, {0, DDF_AGG_FIRST}, {0, DDF_AGG_COUNT},
    };
    ddf_groupby *gb;
    ddf_table *r;
    ddf_error err;

    assert_int_equal(ddf_groupby_new(t, keys, nkeys, aggs, sizeof aggs / sizeof aggs[0],
                                     dropna, &gb, &err),
                     DDF_OK);
    assert_int_equal(ddf_groupby_update(gb, t, sel, nsel, 0, &err), DDF_OK);
    /* a second partition: the same rows again, as another worker's */
    assert_int_equal(ddf_groupby_update(gb, t, sel, nsel, 1, &err), DDF_OK);
    assert_int_equal(ddf_groupby_result(gb, &r, &err), DDF_OK);
    ddf_groupby_free(gb);
    return r;
}

static void test_dict_groupby(void **state)
{
    ddf_table *plain = make_plain(), *dict = make_dict(), *a, *b;
    static const size_t one[] = {0}, two[] = {0, 4}, other[] = {4}, dicts[] = {0, 5},
                        three[] = {5, 0, 5};
    uint32_t *sel = malloc(NROWS * sizeof *sel);
    size_t nsel = 0;

    (void)state;
    /* rows past the first 50: region 3's dictionary entry is used by no selected row */
    for (size_t i = NROWS; i-- > 50;)
        sel[nsel++] = (uint32_t)i;
    for (int dropna = 0; dropna <= 1; dropna++) {
        a = group(plain, one, 1, dropna, NULL, 0);
        b = group(dict, one, 1, dropna, NULL, 0);
        assert_int_equal(a->nrows, dropna ? NREGIONS : NREGIONS + 1);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);

        a = group(plain, one, 1, dropna, sel, nsel);
        b = group(dict, one, 1, dropna, sel, nsel);
        assert_int_equal(a->nrows, dropna ? NREGIONS - 1 : NREGIONS);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);

        a = group(plain, two, 2, dropna, sel, nsel); /* two keys: the tuple path */
        b = group(dict, two, 2, dropna, sel, nsel);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);

        for (int s = 0; s <= 1; s++) { /* keys all dictionaries: code tuples (map_dicts) */
            a = group(plain, dicts, 2, dropna, s ? sel : NULL, s ? nsel : 0);
            b = group(dict, dicts, 2, dropna, s ? sel : NULL, s ? nsel : 0);
            assert_tables_equal(a, b);
            ddf_table_free(a);
            ddf_table_free(b);
            a = group(plain, three, 3, dropna, s ? sel : NULL, s ? nsel : 0);
            b = group(dict, three, 3, dropna, s ? sel : NULL, s ? nsel : 0);
            assert_tables_equal(a, b);
            ddf_table_free(a);
            ddf_table_free(b);
        }

        a = group(plain, other, 1, dropna, NULL, 0); /* a dictionary column as a value */
        b = group(dict, other, 1, dropna, NULL, 0);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
    }
    free(sel);
    ddf_table_free(plain);
    ddf_table_free(dict);
}

/* One group-by fed two tables whose dictionaries number the regions differently (the
 * second made from the rows in reverse, so its entries come in another order): the map
 * of codes to groups kept between updates (groupby.c, dict_map_for) must be rebuilt for
 * the second, and the groups be those of the plain tables. */
static void test_dict_groupby_two_dictionaries(void **state)
{
    static const size_t one[] = {0};
    static const ddf_groupby_agg aggs[] = {{2, DDF_AGG_SUM}, {0, DDF_AGG_COUNT}};
    ddf_table *plain = make_plain(), *dict = make_dict(), *rplain = NULL, *rdict = NULL;
    ddf_table *res[2];
    uint32_t *rev = malloc(NROWS * sizeof *rev);
    ddf_error err;

    (void)state;
    assert_non_null(rev);
    for (size_t i = 0; i < NROWS; i++)
        rev[i] = (uint32_t)(NROWS - 1 - i);
    assert_int_equal(ddf_frame_ops_take(plain, rev, NROWS, &rplain, &err), DDF_OK);
    assert_int_equal(ddf_frame_ops_take(plain, rev, NROWS, &rdict, &err), DDF_OK);
    assert_int_equal(ddf_table_compact(rdict, &err), DDF_OK);
    assert_true(ddf_column_is_dict(&rdict->columns[0]));
    assert_true(rdict->columns[0].codes[0] != dict->columns[0].codes[NROWS - 1] ||
                rdict->columns[0].codes[1] != dict->columns[0].codes[NROWS - 2]);
    for (int k = 0; k < 2; k++) {
        const ddf_table *a = k ? dict : plain, *b = k ? rdict : rplain;
        ddf_groupby *gb;

        assert_int_equal(ddf_groupby_new(a, one, 1, aggs, 2, false, &gb, &err), DDF_OK);
        assert_int_equal(ddf_groupby_update(gb, a, NULL, 0, 0, &err), DDF_OK);
        assert_int_equal(ddf_groupby_update(gb, b, NULL, 0, 1, &err), DDF_OK);
        assert_int_equal(ddf_groupby_update(gb, a, NULL, 0, 2, &err), DDF_OK);
        assert_int_equal(ddf_groupby_result(gb, &res[k], &err), DDF_OK);
        ddf_groupby_free(gb);
    }
    assert_tables_equal(res[0], res[1]);
    ddf_table_free(res[0]);
    ddf_table_free(res[1]);
    ddf_table_free(rplain);
    ddf_table_free(rdict);
    ddf_table_free(plain);
    ddf_table_free(dict);
    free(rev);
}

static ddf_table *count_values(const ddf_column *col, bool dropna, const uint32_t *sel,
                               size_t nsel)
{
    ddf_value_counts *vc;
    ddf_table *r;
    ddf_error err;

    assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, dropna, &vc, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(vc, col, sel, nsel, 1, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_update(vc, col, sel, nsel, 0, &err), DDF_OK);
    assert_int_equal(ddf_value_counts_result(vc, false, &r, &err), DDF_OK);
    ddf_value_counts_free(vc);
    return r;
}

static void test_dict_value_counts(void **state)
{
    ddf_table *plain = make_plain(), *dict = make_dict(), *a, *b;
    uint32_t sel[400];

    (void)state;
    for (size_t i = 0; i < 400; i++) /* unsorted, first positions not first in order */
        sel[i] = (uint32_t)((i * 4099 + 11) % NROWS);
    for (int dropna = 0; dropna <= 1; dropna++) {
        a = count_values(&plain->columns[0], dropna, NULL, 0);
        b = count_values(&dict->columns[0], dropna, NULL, 0);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
        a = count_values(&plain->columns[0], dropna, sel, 400);
        b = count_values(&dict->columns[0], dropna, sel, 400);
        assert_tables_equal(a, b);
        ddf_table_free(a);
        ddf_table_free(b);
    }
    ddf_table_free(plain);
    ddf_table_free(dict);
}

/* The value of 'kind' over column 'col' of 'plain' and of 'dict' (rows 'sel' when given),
 * fed in two halves as slices are: equal results. */
static void assert_agg_same(const ddf_table *plain, const ddf_table *dict, size_t col,
                            ddf_agg_kind kind, const uint32_t *sel, size_t nsel)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_agg_state st[2];
    ddf_agg_value v[2];
    ddf_error err;

    assert_non_null(arena);
    for (int k = 0; k < 2; k++) {
        const ddf_column *c = &(k ? dict : plain)->columns[col];
        size_t n = sel ? nsel : plain->nrows;

        assert_int_equal(ddf_agg_init(&st[k], kind, c->dtype, arena, &err), DDF_OK);
        if (sel) {
            assert_int_equal(ddf_agg_update(&st[k], c, sel, n / 2, 0, &err), DDF_OK);
            assert_int_equal(ddf_agg_update(&st[k], c, sel + n / 2, n - n / 2, 1, &err), DDF_OK);
        } else {
            assert_int_equal(ddf_agg_update(&st[k], c, NULL, 0, 0, &err), DDF_OK);
        }
        assert_int_equal(ddf_agg_finalize(&st[k], &v[k], &err), DDF_OK);
    }
    assert_int_equal(v[0].dtype, v[1].dtype);
    assert_int_equal(v[0].i64, v[1].i64);
    assert_int_equal(v[0].str_len, v[1].str_len);
    if (v[0].str_len)
        assert_memory_equal(v[0].str, v[1].str, v[0].str_len);
    for (int k = 0; k < 2; k++)
        ddf_agg_fini(&st[k]);
    ddf_arena_free(arena);
}

/* min/max of a dictionary column compare its used entries, not its rows (agg.c,
 * minmax_dict): the plain column's result, also when a selection leaves entries out. */
static void test_dict_agg(void **state)
{
    static const ddf_agg_kind kinds[] = {DDF_AGG_MIN, DDF_AGG_MAX, DDF_AGG_FIRST, DDF_AGG_LAST,
                                         DDF_AGG_NUNIQUE, DDF_AGG_COUNT};
    ddf_table *plain = make_plain(), *dict = make_dict();
    uint32_t sel[400], late[400];

    (void)state;
    for (size_t i = 0; i < 400; i++) {
        sel[i] = (uint32_t)((i * 4099 + 11) % NROWS);
        late[i] = (uint32_t)(NROWS - 1 - i); /* region 3 only in the first rows: left out */
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        assert_agg_same(plain, dict, 0, kinds[k], NULL, 0);
        assert_agg_same(plain, dict, 0, kinds[k], sel, 400);
        assert_agg_same(plain, dict, 0, kinds[k], late, 400);
    }
    ddf_table_free(plain);
    ddf_table_free(dict);
}

/* isin over a dictionary column probes each entry once (eval.c, isin_dict): its values
 * and the rows a filter keeps must be the plain column's, nulls and None included. */
static void test_dict_isin(void **state)
{
    static const char *const exprs[] = {
        "k in ['EU-West', 'US-West']", "k not in ['EU-West', 'US-West']", "k in ['', None]",
        "k not in [None]", "k in ['nope']", "k in ['Africa', 'LATAM-long-name-x', 'EU-East']",
    };
    ddf_table *plain = make_plain(), *dict = make_dict();
    ddf_schema *schema = ddf_test_schema_of(plain);
    ddf_arena *arena = ddf_arena_new();
    uint32_t sel[400];

    (void)state;
    assert_non_null(arena);
    for (size_t i = 0; i < 400; i++)
        sel[i] = (uint32_t)((i * 4099 + 11) % NROWS);
    for (size_t q = 0; q < sizeof exprs / sizeof exprs[0]; q++) {
        ddf_expr *e = NULL;
        ddf_error err;
        ddf_column a, b;
        uint32_t *ra, *rb;
        size_t na, nb;

        assert_int_equal(ddf_expr_parse(exprs[q], strlen(exprs[q]), arena, &e, &err), DDF_OK);
        assert_int_equal(ddf_expr_check(e, schema, &err), DDF_OK);
        for (int with_sel = 0; with_sel <= 1; with_sel++) {
            const uint32_t *s = with_sel ? sel : NULL;
            size_t ns = with_sel ? 400 : 0, rows = with_sel ? 400 : NROWS;

            assert_int_equal(ddf_eval(e, plain, s, ns, arena, &a, &err), DDF_OK);
            assert_int_equal(ddf_eval(e, dict, s, ns, arena, &b, &err), DDF_OK);
            for (size_t i = 0; i < rows; i++)
                assert_int_equal(a.values.b8[i], b.values.b8[i]);
            assert_int_equal(ddf_eval_filter(e, plain, s, ns, arena, &ra, &na, &err), DDF_OK);
            assert_int_equal(ddf_eval_filter(e, dict, s, ns, arena, &rb, &nb, &err), DDF_OK);
            assert_int_equal(na, nb);
            assert_memory_equal(ra, rb, na * sizeof(*ra));
        }
        ddf_arena_reset(arena);
    }
    ddf_arena_free(arena);
    ddf_schema_free(schema);
    ddf_table_free(plain);
    ddf_table_free(dict);
}

/* An int64 column of byte-sized values gets its byte copy (column.h); one value out of
 * the int8 range, or another dtype, gets none. */
static void test_compact_byte_copies(void **state)
{
    static const int64_t out_of_range[] = {128, -129, INT64_MAX, INT64_MIN};
    ddf_table *dict = make_dict();
    const ddf_column *v = &dict->columns[2];
    ddf_error err;

    (void)state;
    assert_non_null(v->i8); /* (i % 97) - 40 */
    for (size_t i = 0; i < NROWS; i++)
        assert_int_equal(v->i8[i], v->values.i64[i]);
    assert_null(dict->columns[3].i8);
    assert_null(dict->columns[4].i8);
    ddf_table_free(dict);
    for (size_t k = 0; k <= sizeof out_of_range / sizeof out_of_range[0]; k++) {
        ddf_table *t = ddf_table_new(1);

        assert_non_null(t);
        assert_int_equal(ddf_table_set_column(t, 0, "a", 1, DDF_DTYPE_INT64), DDF_OK);
        /* every byte value, nulls between them, then the out-of-range one (k < 4) */
        for (int x = -128; x <= 127; x++) {
            if (x % 7 == 0)
                assert_int_equal(ddf_column_append_null(&t->columns[0], t->arena), DDF_OK);
            assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, x), DDF_OK);
        }
        if (k < sizeof out_of_range / sizeof out_of_range[0])
            assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, out_of_range[k]),
                             DDF_OK);
        t->nrows = t->columns[0].length;
        assert_int_equal(ddf_table_compact(t, &err), DDF_OK);
        if (k < sizeof out_of_range / sizeof out_of_range[0]) {
            assert_null(t->columns[0].i8);
        } else {
            assert_non_null(t->columns[0].i8);
            for (size_t i = 0; i < t->nrows; i++)
                assert_int_equal(t->columns[0].i8[i], t->columns[0].values.i64[i]);
        }
        ddf_table_free(t);
    }
}

/* Float arithmetic reads an int column through its byte copy (f64_chain.h) and must give
 * the bits it gives through the int64 values: the same table with the copy dropped. Over
 * 5000 rows, every chain block and the tail; with and without a selection. */
static void test_byte_copy_arithmetic(void **state)
{
    static const char *const exprs[] = {
        "v * 1.5", "f * v - v", "(1 - v) / 3 + f * v", "f / v", "v * f * (1 - f / 1000)",
        "2.5 - v", "v + v * 0.5", "v / 7 - f",
    };
    ddf_table *dict = make_dict();
    ddf_table wide = *dict;
    ddf_column cols[6];
    ddf_schema *schema = ddf_test_schema_of(dict);
    ddf_arena *arena = ddf_arena_new();
    uint32_t sel[400];

    (void)state;
    assert_non_null(arena);
    assert_non_null(dict->columns[2].i8);
    memcpy(cols, dict->columns, sizeof cols);
    cols[2].i8 = NULL;
    wide.columns = cols;
    for (size_t i = 0; i < 400; i++)
        sel[i] = (uint32_t)((i * 4099 + 11) % NROWS);
    for (size_t q = 0; q < sizeof exprs / sizeof exprs[0]; q++) {
        ddf_expr *e = NULL;
        ddf_error err;

        assert_int_equal(ddf_expr_parse(exprs[q], strlen(exprs[q]), arena, &e, &err), DDF_OK);
        assert_int_equal(ddf_expr_check(e, schema, &err), DDF_OK);
        for (int with_sel = 0; with_sel <= 1; with_sel++) {
            const uint32_t *s = with_sel ? sel : NULL;
            size_t ns = with_sel ? 400 : 0, rows = with_sel ? 400 : NROWS;
            ddf_column a, b;

            assert_int_equal(ddf_eval(e, &wide, s, ns, arena, &a, &err), DDF_OK);
            assert_int_equal(ddf_eval(e, dict, s, ns, arena, &b, &err), DDF_OK);
            assert_int_equal(a.dtype, DDF_DTYPE_FLOAT64);
            for (size_t i = 0; i < rows; i++)
                if (!ddf_column_value_equal(&a, i, &b, i))
                    fail_msg("%s, row %zu: %.17g vs %.17g", exprs[q], i, a.values.f64[i],
                             b.values.f64[i]);
        }
        ddf_arena_reset(arena);
    }
    ddf_arena_free(arena);
    ddf_schema_free(schema);
    ddf_table_free(dict);
}

/* A parsed partition comes out compacted: the category column as a dictionary. */
static void test_csv_partition_is_compacted(void **state)
{
    char *text = malloc(64 * 1024);
    size_t len = 0;
    ddf_csv_options opt;
    ddf_csv_report report;
    ddf_schema *schema;
    ddf_table **parts;
    size_t nparts;
    ddf_error err;
    const char *path;

    (void)state;
    len += (size_t)sprintf(text + len, "id,region,ts\n");
    for (int i = 0; i < 2000; i++)
        len += (size_t)sprintf(text + len, "%d,%s,t%06d\n", i, REGIONS[i % NREGIONS], i);
    path = ddf_test_write_file(0, text, len);
    ddf_csv_options_init(&opt);
    ddf_csv_report_init(&report);
    assert_int_equal(ddf_csv_read_file(path, &opt, 1, &schema, &parts, &nparts, &report, &err),
                     DDF_OK);
    assert_int_equal(nparts, 1);
    assert_non_null(parts[0]->columns[1].codes);
    assert_null(parts[0]->columns[2].codes);
    for (size_t i = 0; i < 2000; i++) {
        size_t n;
        const char *s = ddf_column_str(&parts[0]->columns[1], i, &n);
        /* "" reads as NaN in pandas' rules: null */
        if (i % NREGIONS == 4)
            assert_false(ddf_column_is_valid(&parts[0]->columns[1], i));
        else
            assert_true(n == strlen(REGIONS[i % NREGIONS]) &&
                        memcmp(s, REGIONS[i % NREGIONS], n) == 0);
    }
    ddf_csv_parts_free(parts, nparts);
    ddf_schema_free(schema);
    ddf_csv_report_fini(&report);
    ddf_test_cleanup_files();
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_encodes_low_cardinality),
        cmocka_unit_test(test_compact_small_tables),
        cmocka_unit_test_teardown(test_compact_out_of_memory, ddf_test_restore_libc),
        cmocka_unit_test(test_dict_codec),
        cmocka_unit_test(test_dict_frame_ops),
        cmocka_unit_test(test_dict_groupby),
        cmocka_unit_test(test_dict_value_counts),
        cmocka_unit_test(test_dict_groupby_two_dictionaries),
        cmocka_unit_test(test_dict_isin),
        cmocka_unit_test(test_dict_agg),
        cmocka_unit_test(test_csv_partition_is_compacted),
        cmocka_unit_test(test_compact_byte_copies),
        cmocka_unit_test(test_byte_copy_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
