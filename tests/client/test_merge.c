/* test_merge.c - the client's merger (client/merge.c): partials computed per partition as
 * a worker computes them (the kernels of common/), fed in random order with reruns (a
 * partition's partial twice), give the one-pass result over the whole table for every
 * terminal step. */
#include "testutil.h"

#include "agg.h"
#include "frame_ops.h"
#include "groupby.h"
#include "merge.h"
#include "topk.h"
#include "value_counts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 3000
#define MAXP 40

/* k int64 (0..20, 5% null), v float64 (10% null), s string (6 values), b bool. */
static ddf_table *random_table(unsigned *seed)
{
    static const char *strs[] = {"north", "south", "", "east", "w\xc3\xa9st", "x"};
    const char *names[] = {"k", "v", "s", "b"};
    ddf_dtype d[] = {DDF_DTYPE_INT64, DDF_DTYPE_FLOAT64, DDF_DTYPE_STRING, DDF_DTYPE_BOOL};
    ddf_table *t = ddf_table_new(4);

    assert_non_null(t);
    for (size_t c = 0; c < 4; c++)
        assert_int_equal(ddf_table_set_column(t, c, names[c], 1, d[c]), DDF_OK);
    for (size_t i = 0; i < ROWS; i++) {
        unsigned r = (unsigned)rand_r(seed);
        const char *s = strs[r % 6];
        ddf_arena *a = t->arena;

        assert_int_equal(r % 20 == 3 ? ddf_column_append_null(&t->columns[0], a)
                                     : ddf_column_append_i64(&t->columns[0], a, (r >> 4) % 21),
                         DDF_OK);
        assert_int_equal(r % 10 == 1 ? ddf_column_append_null(&t->columns[1], a)
                                     : ddf_column_append_f64(&t->columns[1], a,
                                                             ((r >> 8) % 10000) / 7.0 - 300),
                         DDF_OK);
        assert_int_equal(ddf_column_append_str(&t->columns[2], a, s, strlen(s)), DDF_OK);
        assert_int_equal(ddf_column_append_bool(&t->columns[3], a, (r >> 3) & 1), DDF_OK);
    }
    t->nrows = ROWS;
    return t;
}

static ddf_schema *schema_of(const ddf_table *t)
{
    ddf_schema *s = ddf_schema_new();

    assert_non_null(s);
    for (size_t c = 0; c < t->ncols; c++)
        assert_int_equal(ddf_schema_add(s, t->names[c], strlen(t->names[c]),
                                        t->columns[c].dtype, 0), DDF_OK);
    return s;
}

static ddf_table *int_table(const char *name, int64_t v)
{
    ddf_table *t = ddf_table_new(1);

    assert_int_equal(ddf_table_set_column(t, 0, name, strlen(name), DDF_DTYPE_INT64), DDF_OK);
    assert_int_equal(ddf_column_append_i64(&t->columns[0], t->arena, v), DDF_OK);
    t->nrows = 1;
    return t;
}

/* The partial a worker would return for 'term' over rows [lo, hi) of t as partition p. */
static ddf_table *partial(const ddf_terminal *term, const ddf_table *t, size_t lo, size_t hi,
                          uint64_t p)
{
    uint32_t *sel = malloc((hi - lo + 1) * sizeof *sel);
    ddf_table *part, *out = NULL;
    ddf_error err;

    assert_non_null(sel);
    for (size_t i = lo; i < hi; i++)
        sel[i - lo] = (uint32_t)i;
    assert_int_equal(ddf_frame_ops_take(t, sel, hi - lo, &part, &err), DDF_OK);
    free(sel);
    switch (term->kind) {
    case DDF_TERM_COUNT:
        out = int_table("count", (int64_t)part->nrows);
        break;
    case DDF_TERM_HEAD:
        assert_int_equal(ddf_frame_ops_head(part, NULL, 0, term->n, &out, &err), DDF_OK);
        break;
    case DDF_TERM_TAIL:
        assert_int_equal(ddf_frame_ops_tail(part, NULL, 0, term->n, &out, &err), DDF_OK);
        break;
    case DDF_TERM_COLLECT:
        assert_int_equal(ddf_frame_ops_take(part, NULL, 0, &out, &err), DDF_OK);
        break;
    case DDF_TERM_REDUCE: { /* 12 state columns per aggregation, side by side */
        ddf_arena *a = ddf_arena_new();

        out = ddf_table_new(12 * term->naggs);
        assert_non_null(out);
        for (size_t j = 0; j < term->naggs; j++) {
            ddf_agg_state st;
            ddf_table *one;
            size_t c = 0;

            while (strcmp(part->names[c], term->aggs[j].column) != 0)
                c++;
            assert_int_equal(ddf_agg_init(&st, term->aggs[j].kind, part->columns[c].dtype, a,
                                          &err), DDF_OK);
            assert_int_equal(ddf_agg_update(&st, &part->columns[c], NULL, 0, p, &err), DDF_OK);
            assert_int_equal(ddf_agg_states_to_table(&st, 1, &one, &err), DDF_OK);
            for (size_t f = 0; f < 12; f++) {
                const ddf_column *src = &one->columns[f];
                ddf_column *dst = &out->columns[12 * j + f];

                assert_int_equal(ddf_table_set_column(out, 12 * j + f, one->names[f],
                                                      strlen(one->names[f]), src->dtype), DDF_OK);
                if (src->dtype == DDF_DTYPE_STRING) {
                    size_t len;
                    const char *s = ddf_column_str(src, 0, &len);
                    assert_int_equal(ddf_column_append_str(dst, out->arena, s, len), DDF_OK);
                } else if (src->dtype == DDF_DTYPE_FLOAT64) {
                    assert_int_equal(ddf_column_append_f64(dst, out->arena, src->values.f64[0]),
                                     DDF_OK);
                } else {
                    assert_int_equal(ddf_column_append_i64(dst, out->arena, src->values.i64[0]),
                                     DDF_OK);
                }
            }
            ddf_table_free(one);
            ddf_agg_fini(&st);
        }
        out->nrows = 1;
        ddf_arena_free(a);
        break;
    }
    case DDF_TERM_GROUPBY: {
        size_t keys[] = {0, 2};
        ddf_groupby_agg aggs[] = {{1, DDF_AGG_SUM}, {1, DDF_AGG_FIRST}, {3, DDF_AGG_MEAN}};
        ddf_groupby *gb;

        assert_int_equal(ddf_groupby_new(part, keys, 2, aggs, 3, term->dropna, &gb, &err), DDF_OK);
        assert_int_equal(ddf_groupby_update(gb, part, NULL, 0, p, &err), DDF_OK);
        assert_int_equal(ddf_groupby_to_table(gb, &out, &err), DDF_OK);
        ddf_groupby_free(gb);
        break;
    }
    case DDF_TERM_VALUE_COUNTS: {
        ddf_value_counts *vc;

        assert_int_equal(ddf_value_counts_new(DDF_DTYPE_STRING, term->dropna, &vc, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_update(vc, &part->columns[2], NULL, 0, p, &err), DDF_OK);
        assert_int_equal(ddf_value_counts_to_table(vc, &out, &err), DDF_OK);
        ddf_value_counts_free(vc);
        break;
    }
    case DDF_TERM_TOPK: {
        size_t keys[] = {1};
        ddf_topk *tk;

        assert_int_equal(ddf_topk_new(part, keys, 1, (size_t)term->n, term->largest, term->keep,
                                      &tk, &err), DDF_OK);
        assert_int_equal(ddf_topk_update(tk, part, NULL, 0, p, &err), DDF_OK);
        assert_int_equal(ddf_topk_to_table(tk, &out, &err), DDF_OK);
        ddf_topk_free(tk);
        break;
    }
    default:
        fail();
    }
    ddf_table_free(part);
    return out;
}

static void assert_same(const ddf_table *got, const ddf_table *want)
{
    assert_int_equal(got->ncols, want->ncols);
    assert_int_equal(got->nrows, want->nrows);
    for (size_t c = 0; c < got->ncols; c++) {
        assert_string_equal(got->names[c], want->names[c]);
        for (size_t i = 0; i < got->nrows; i++) {
            const ddf_column *a = &got->columns[c], *b = &want->columns[c];

            if (a->dtype == DDF_DTYPE_FLOAT64 && ddf_column_is_valid(a, i) &&
                ddf_column_is_valid(b, i))
                assert_true(fabs(a->values.f64[i] - b->values.f64[i]) <=
                            1e-9 * fmax(1.0, fabs(b->values.f64[i])));
            else
                assert_true(ddf_column_value_equal(a, i, b, i));
        }
    }
}

/* Split t at random points, merge the partials in random order with a rerun, and compare
 * with the merge of one partial of the whole table (one pass). */
static void check_term(const ddf_terminal *term, unsigned *seed)
{
    ddf_table *t = random_table(seed), *want, *got, *whole;
    ddf_schema *schema = schema_of(t);
    size_t cut[MAXP + 1], np = 1 + (size_t)rand_r(seed) % MAXP, order[MAXP];
    ddf_merger *m;
    ddf_error err;

    cut[0] = 0;
    for (size_t p = 1; p < np; p++)
        cut[p] = (size_t)rand_r(seed) % (ROWS + 1);
    cut[np] = ROWS;
    for (size_t p = 1; p < np; p++)
        for (size_t q = p + 1; q < np; q++)
            if (cut[q] < cut[p]) {
                size_t x = cut[p];
                cut[p] = cut[q];
                cut[q] = x;
            }
    for (size_t p = 0; p < np; p++)
        order[p] = p;
    for (size_t p = np; p > 1; p--) {
        size_t q = (size_t)rand_r(seed) % p, x = order[p - 1];
        order[p - 1] = order[q];
        order[q] = x;
    }
    assert_int_equal(ddf_merger_new(term, schema, false, &m, &err), DDF_OK);
    for (size_t i = 0; i <= np; i++) { /* the last round repeats one partition: a rerun */
        size_t p = order[i < np ? i : 0];
        ddf_table *part = partial(term, t, cut[p], cut[p + 1], p);

        assert_int_equal(ddf_merger_add(m, p, part, &err), DDF_OK);
        ddf_table_free(part);
    }
    assert_int_equal(ddf_merger_result(m, &got, &err), DDF_OK);
    ddf_merger_free(m);
    assert_int_equal(ddf_merger_new(term, schema, false, &m, &err), DDF_OK);
    whole = partial(term, t, 0, ROWS, 0);
    assert_int_equal(ddf_merger_add(m, 0, whole, &err), DDF_OK);
    assert_int_equal(ddf_merger_result(m, &want, &err), DDF_OK);
    assert_same(got, want);
    ddf_table_free(whole);
    ddf_merger_free(m);
    ddf_table_free(got);
    ddf_table_free(want);
    ddf_schema_free(schema);
    ddf_table_free(t);
}

static void test_every_terminal_merges_to_the_one_pass_result(void **state)
{
    static const ddf_plan_agg aggs[] = {{"v", DDF_AGG_SUM},  {"v", DDF_AGG_MEAN},
                                        {"v", DDF_AGG_STD},  {"k", DDF_AGG_MAX},
                                        {"s", DDF_AGG_FIRST}, {"b", DDF_AGG_SUM},
                                        {"s", DDF_AGG_NUNIQUE}};
    static const char *const gkeys[] = {"k", "s"};
    static const char *const tkeys[] = {"v"};
    unsigned seed = 4242;
    ddf_terminal term;

    (void)state;
    for (int round = 0; round < 6; round++) {
        memset(&term, 0, sizeof term);
        term.kind = DDF_TERM_COUNT;
        check_term(&term, &seed);
        term.kind = DDF_TERM_COLLECT;
        check_term(&term, &seed);
        term.kind = DDF_TERM_HEAD;
        term.n = round * 97;
        check_term(&term, &seed);
        term.kind = DDF_TERM_TAIL;
        check_term(&term, &seed);
        term.kind = DDF_TERM_REDUCE;
        term.aggs = aggs;
        term.naggs = sizeof aggs / sizeof aggs[0];
        check_term(&term, &seed);
        term.kind = DDF_TERM_GROUPBY;
        term.keys = gkeys;
        term.nkeys = 2;
        static const ddf_plan_agg gaggs[] = {{"v", DDF_AGG_SUM}, {"v", DDF_AGG_FIRST},
                                             {"b", DDF_AGG_MEAN}};
        term.aggs = gaggs;
        term.naggs = 3;
        term.dropna = round & 1;
        check_term(&term, &seed);
        term.kind = DDF_TERM_VALUE_COUNTS;
        term.column = "s";
        check_term(&term, &seed);
        term.kind = DDF_TERM_TOPK;
        term.keys = tkeys;
        term.nkeys = 1;
        term.n = 1 + round * 13;
        term.largest = round % 2;
        term.keep = round % 3 == 0 ? DDF_TOPK_KEEP_FIRST : DDF_TOPK_KEEP_LAST;
        check_term(&term, &seed);
    }
}

static void test_head_is_done_once_a_prefix_holds_n_rows(void **state)
{
    unsigned seed = 7;
    ddf_table *t = random_table(&seed), *p0, *p2;
    ddf_schema *schema = schema_of(t);
    ddf_terminal term = {.kind = DDF_TERM_HEAD, .n = 150};
    ddf_merger *m;
    ddf_error err;
    uint64_t missing = 99;

    (void)state;
    assert_int_equal(ddf_merger_new(&term, schema, false, &m, &err), DDF_OK);
    p2 = partial(&term, t, 200, 400, 2);
    assert_int_equal(ddf_merger_add(m, 2, p2, &err), DDF_OK);
    assert_false(ddf_merger_head_done(m, &missing));
    assert_int_equal(missing, 0);
    p0 = partial(&term, t, 0, 100, 0);
    assert_int_equal(ddf_merger_add(m, 0, p0, &err), DDF_OK);
    assert_false(ddf_merger_head_done(m, &missing)); /* 100 rows, partition 1 missing */
    assert_int_equal(missing, 1);
    ddf_table_free(p0);
    p0 = partial(&term, t, 100, 200, 1);
    assert_int_equal(ddf_merger_add(m, 1, p0, &err), DDF_OK);
    assert_true(ddf_merger_head_done(m, &missing));
    assert_int_equal(missing, 3);
    ddf_table_free(p0);
    ddf_table_free(p2);
    ddf_merger_free(m);
    ddf_schema_free(schema);
    ddf_table_free(t);
}

static void test_bad_specs_and_partials_are_errors(void **state)
{
    unsigned seed = 9;
    ddf_table *t = random_table(&seed), *bad = int_table("rows", 5);
    ddf_schema *schema = schema_of(t);
    static const char *const nokey[] = {"nope"};
    ddf_terminal term = {.kind = DDF_TERM_GROUPBY, .keys = nokey, .nkeys = 1};
    ddf_merger *m = NULL;
    ddf_error err;

    (void)state;
    assert_int_equal(ddf_merger_new(&term, schema, false, &m, &err), DDF_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err.msg, "nope"));
    term = (ddf_terminal){.kind = DDF_TERM_HEAD, .n = -3};
    assert_int_equal(ddf_merger_new(&term, schema, false, &m, &err), DDF_EINVAL);
    term = (ddf_terminal){.kind = DDF_TERM_COUNT};
    assert_int_equal(ddf_merger_new(&term, schema, false, &m, &err), DDF_OK);
    assert_int_equal(ddf_merger_add(m, 0, bad, &err), DDF_ECORRUPT);
    assert_non_null(strstr(err.msg, "partition 0"));
    assert_int_equal(ddf_merger_add(m, 1, bad, &err), DDF_EINVAL); /* spent */
    ddf_merger_free(m);
    ddf_table_free(bad);
    ddf_schema_free(schema);
    ddf_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_terminal_merges_to_the_one_pass_result),
        cmocka_unit_test(test_head_is_done_once_a_prefix_holds_n_rows),
        cmocka_unit_test(test_bad_specs_and_partials_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
