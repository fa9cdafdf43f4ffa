/* test_script_parse.c - the script language's front end (client/script_lex.c,
 * client/script_parse.c, client/script_dump.c): every statement and expression form with
 * its tree and places, Python's precedence, literals, layout (indentation, joining, ';'),
 * every refused construct's message and place, incomplete input for the REPL, the error
 * renderer's exact text, limits, allocation failures, and long realistic scripts. */
#include "testutil.h"

#include "arena.h"
#include "error.h"
#include "script_ast.h"
#include "script_lex.h"
#include "script_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------------------------- */

/* Parse 'src' with 'flags' (must succeed) in 'arena'. */
static ddf_script_program *parse_ok(ddf_arena *arena, const char *src, unsigned flags)
{
    ddf_script_program *prog = NULL;
    ddf_script_error err;
    int rc = ddf_script_parse(src, strlen(src), flags, arena, &prog, &err);

    if (rc != DDF_OK)
        fail_msg("did not parse: %s\n%s at %d:%d", src, err.message, err.line, err.column);
    assert_int_equal(err.code, DDF_OK);
    assert_non_null(prog);
    assert_ptr_equal(prog->source, src);
    assert_int_equal(prog->source_len, strlen(src));
    return prog;
}

/* The dump of 'src' (must parse), in a static buffer. */
static const char *dump(const char *src)
{
    static char buf[16384];
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    size_t n;

    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    n = ddf_script_dump_program(prog, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    ddf_arena_free(arena);
    return buf;
}

/* The dump of the single expression statement 'src', without "(expr " and ")\n". */
static const char *dump_expr(const char *src)
{
    static char buf[4096];
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;

    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    assert_int_equal(prog->nstmts, 1);
    if (prog->stmts[0]->kind != DDF_SCRIPT_STMT_EXPR)
        fail_msg("'%s' is not an expression statement", src);
    assert_true(ddf_script_dump_expr(prog->stmts[0]->expr.value, buf, sizeof(buf)) < sizeof(buf));
    ddf_arena_free(arena);
    return buf;
}

typedef struct error_case {
    const char *src;
    int line;
    int column;
    const char *message;
} error_case;

/* Parse 'src' with 'flags' and expect failure 'code' at line:column with 'message'
 * (exact) and the given completeness. */
static void expect_error(const char *src, unsigned flags, int code, int line, int column,
                         bool incomplete, const char *message)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog = (ddf_script_program *)1;
    ddf_script_error err;
    int rc;

    assert_non_null(arena);
    rc = ddf_script_parse(src, strlen(src), flags, arena, &prog, &err);
    if (rc != code || err.code != code || err.line != line || err.column != column ||
        err.incomplete != incomplete || (message && strcmp(err.message, message) != 0))
        fail_msg("for:\n%s\nexpected %d at %d:%d%s: %s\ngot      %d at %d:%d%s: %s", src, code,
                 line, column, incomplete ? " (incomplete)" : "", message ? message : "*", rc,
                 err.line, err.column, err.incomplete ? " (incomplete)" : "", err.message);
    assert_null(prog);
    /* the offset agrees with line and column */
    if (line > 0) {
        size_t off = 0;
        for (int l = 1; l < line; l++)
            off = (size_t)(strchr(src + off, '\n') - src) + 1;
        assert_int_equal(err.offset, off + (size_t)column - 1);
    }
    ddf_arena_free(arena);
}

static void expect_errors(const error_case *cases, size_t n)
{
    for (size_t k = 0; k < n; k++)
        expect_error(cases[k].src, 0, DDF_EPARSE, cases[k].line, cases[k].column, false,
                     cases[k].message);
}

static void assert_pos(ddf_script_pos p, int line, int column, size_t offset)
{
    if (p.line != line || p.column != column || p.offset != offset)
        fail_msg("place %d:%d@%zu, expected %d:%d@%zu", p.line, p.column, p.offset, line,
                 column, offset);
}

/* The source text of [pos, pos + len) is 'text'. */
static void assert_span(const char *src, ddf_script_pos pos, size_t len, const char *text)
{
    if (len != strlen(text) || memcmp(src + pos.offset, text, len) != 0)
        fail_msg("span '%.*s', expected '%s'", (int)len, src + pos.offset, text);
}

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the language ------------------------------------------------------------------------ */

static void test_script_design_example_parses_verbatim(void **state)
{
    static const char src[] =
        "sales = read_csv(\"data/sales-*.csv\", dtype={\"customer\": \"int64\"})\n"
        "sales.columns\n"
        "len(sales)\n"
        "sales.head(10)\n"
        "sales.max()                                   # per column\n"
        "sales[\"qty\"].min()\n"
        "eu = sales[sales.region.isin([\"EU-West\", \"EU-East\"])]\n"
        "eu.groupby(\"region\").agg({\"qty\": \"sum\", \"price\": [\"mean\", \"max\"]})\n"
        "sales[\"total\"] = sales.apply(lambda r: r.price * r.qty, axis=1)\n"
        "sales.total.apply(lambda x: round(x, 1)).max()\n"
        "sales.query(\"qty > 10 and returned == False\").groupby([\"region\", "
        "\"returned\"]).size()\n"
        "for name, col in sales.items():\n"
        "    print(name, col.max())\n"
        "sales.describe()\n"
        "sales.to_csv(\"out/sales-*.csv\")\n";

    (void)state;
    assert_string_equal(
        dump(src),
        "(= sales (call read_csv \"data/sales-*.csv\" (= dtype (dict (\"customer\" \"int64\")))))\n"
        "(expr (. sales columns))\n"
        "(expr (call len sales))\n"
        "(expr (call (. sales head) 10))\n"
        "(expr (call (. sales max)))\n"
        "(expr (call (. ([] sales \"qty\") min)))\n"
        "(= eu ([] sales (call (. (. sales region) isin) (list \"EU-West\" \"EU-East\"))))\n"
        "(expr (call (. (call (. eu groupby) \"region\") agg) (dict (\"qty\" \"sum\") (\"price\" "
        "(list \"mean\" \"max\")))))\n"
        "(= ([] sales \"total\") (call (. sales apply) (lambda (r) (* (. r price) (. r qty))) "
        "(= axis 1)))\n"
        "(expr (call (. (call (. (. sales total) apply) (lambda (x) (call round x 1))) max)))\n"
        "(expr (call (. (call (. (call (. sales query) \"qty > 10 and returned == False\") "
        "groupby) (list \"region\" \"returned\")) size)))\n"
        "(for (tuple name col) (call (. sales items)) (expr (call print name (call (. col "
        "max)))))\n"
        "(expr (call (. sales describe)))\n"
        "(expr (call (. sales to_csv) \"out/sales-*.csv\"))\n");
}

static void test_script_assignment_forms_and_their_places(void **state)
{
    static const char src[] = "x = 1\n"
                              "df[\"c\"] = df.a + 1\n"
                              "a, b = b, a\n"
                              "(c, d) = 1, 2\n"
                              "t = 1,\n";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_stmt *s;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    assert_int_equal(prog->nstmts, 5);

    s = prog->stmts[0];
    assert_int_equal(s->kind, DDF_SCRIPT_STMT_ASSIGN);
    assert_pos(s->pos, 1, 1, 0);
    assert_span(src, s->pos, s->len, "x = 1");
    assert_pos(s->assign.op_pos, 1, 3, 2);
    assert_int_equal(s->assign.target->kind, DDF_SCRIPT_EXPR_NAME);
    assert_string_equal(s->assign.target->name.text, "x");
    assert_int_equal(s->assign.target->name.len, 1);
    assert_int_equal(s->assign.value->kind, DDF_SCRIPT_EXPR_INT);
    assert_int_equal(s->assign.value->int_value, 1);
    assert_pos(s->assign.value->pos, 1, 5, 4);

    s = prog->stmts[1];
    assert_int_equal(s->kind, DDF_SCRIPT_STMT_ASSIGN);
    assert_pos(s->pos, 2, 1, 6);
    assert_span(src, s->pos, s->len, "df[\"c\"] = df.a + 1");
    assert_int_equal(s->assign.target->kind, DDF_SCRIPT_EXPR_SUBSCRIPT);
    assert_span(src, s->assign.target->pos, s->assign.target->len, "df[\"c\"]");
    assert_pos(s->assign.target->op_pos, 2, 3, 8);
    assert_int_equal(s->assign.target->subscript.index->kind, DDF_SCRIPT_EXPR_STRING);
    assert_string_equal(s->assign.target->subscript.index->string.bytes, "c");
    assert_int_equal(s->assign.value->kind, DDF_SCRIPT_EXPR_BINARY);
    assert_int_equal(s->assign.value->binary.op, DDF_SCRIPT_OP_ADD);
    assert_span(src, s->assign.value->pos, s->assign.value->len, "df.a + 1");
    assert_pos(s->assign.value->op_pos, 2, 16, 21);

    s = prog->stmts[2];
    assert_int_equal(s->assign.target->kind, DDF_SCRIPT_EXPR_TUPLE);
    assert_int_equal(s->assign.target->seq.n, 2);
    assert_span(src, s->assign.target->pos, s->assign.target->len, "a, b");
    assert_span(src, s->assign.value->pos, s->assign.value->len, "b, a");

    s = prog->stmts[3];
    assert_int_equal(s->assign.target->kind, DDF_SCRIPT_EXPR_TUPLE);
    assert_span(src, s->assign.target->pos, s->assign.target->len, "(c, d)");

    s = prog->stmts[4];
    assert_int_equal(s->assign.value->kind, DDF_SCRIPT_EXPR_TUPLE);
    assert_int_equal(s->assign.value->seq.n, 1);
    assert_span(src, s->assign.value->pos, s->assign.value->len, "1,");
    assert_string_equal(dump(src), "(= x 1)\n"
                                   "(= ([] df \"c\") (+ (. df a) 1))\n"
                                   "(= (tuple a b) (tuple b a))\n"
                                   "(= (tuple c d) (tuple 1 2))\n"
                                   "(= t (tuple 1))\n");
    ddf_arena_free(arena);
}

static void test_script_operator_nodes_span_their_text_and_point_at_the_operator(void **state)
{
    static const char src[] = "(a + b) * -c.d(1, k=2)[0] ** 2 not in [x, y]";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_expr *cmp, *mul, *paren, *neg, *pow, *sub, *call, *attr, *list;
    ddf_script_program *prog;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    cmp = prog->stmts[0]->expr.value;
    assert_int_equal(cmp->kind, DDF_SCRIPT_EXPR_COMPARE);
    assert_int_equal(cmp->binary.op, DDF_SCRIPT_OP_NOT_IN);
    assert_span(src, cmp->pos, cmp->len, src);
    assert_pos(cmp->op_pos, 1, 32, 31);

    mul = cmp->binary.left;
    assert_int_equal(mul->binary.op, DDF_SCRIPT_OP_MUL);
    assert_span(src, mul->pos, mul->len, "(a + b) * -c.d(1, k=2)[0] ** 2");
    assert_pos(mul->op_pos, 1, 9, 8);

    paren = mul->binary.left; /* a parenthesized node spans the inside only */
    assert_int_equal(paren->binary.op, DDF_SCRIPT_OP_ADD);
    assert_span(src, paren->pos, paren->len, "a + b");

    neg = mul->binary.right; /* -2**2 binds as -(2**2) */
    assert_int_equal(neg->kind, DDF_SCRIPT_EXPR_UNARY);
    assert_int_equal(neg->unary.op, DDF_SCRIPT_OP_NEG);
    assert_span(src, neg->pos, neg->len, "-c.d(1, k=2)[0] ** 2");
    pow = neg->unary.operand;
    assert_int_equal(pow->binary.op, DDF_SCRIPT_OP_POW);
    assert_pos(pow->op_pos, 1, 27, 26);

    sub = pow->binary.left;
    assert_int_equal(sub->kind, DDF_SCRIPT_EXPR_SUBSCRIPT);
    assert_span(src, sub->pos, sub->len, "c.d(1, k=2)[0]");
    assert_pos(sub->op_pos, 1, 23, 22);
    call = sub->subscript.value;
    assert_int_equal(call->kind, DDF_SCRIPT_EXPR_CALL);
    assert_span(src, call->pos, call->len, "c.d(1, k=2)");
    assert_pos(call->op_pos, 1, 15, 14);
    assert_int_equal(call->call.nargs, 1);
    assert_int_equal(call->call.nkeywords, 1);
    assert_string_equal(call->call.keywords[0].name, "k");
    assert_pos(call->call.keywords[0].pos, 1, 19, 18);
    assert_int_equal(call->call.keywords[0].value->int_value, 2);
    attr = call->call.func;
    assert_int_equal(attr->kind, DDF_SCRIPT_EXPR_ATTRIBUTE);
    assert_string_equal(attr->attribute.name, "d");
    assert_pos(attr->op_pos, 1, 13, 12);
    assert_pos(attr->attribute.name_pos, 1, 14, 13);
    assert_span(src, attr->pos, attr->len, "c.d");

    list = cmp->binary.right;
    assert_int_equal(list->kind, DDF_SCRIPT_EXPR_LIST);
    assert_span(src, list->pos, list->len, "[x, y]");
    /* depth: leaf 1; the deepest path is cmp > mul > neg > pow > sub > call > attr > c */
    assert_int_equal(cmp->depth, 8);
    ddf_arena_free(arena);
}


static void test_script_precedence_and_associativity_follow_python(void **state)
{
    static const struct {
        const char *src;
        const char *tree;
    } cases[] = {
        {"-2**2", "(- (** 2 2))"},
        {"2**-1", "(** 2 (- 1))"},
        {"2**3**2", "(** 2 (** 3 2))"},
        {"-a.b", "(- (. a b))"},
        {"- - a", "(- (- a))"},
        {"+a", "(+ a)"},
        {"~a & b", "(& (~ a) b)"},
        {"a - b - c", "(- (- a b) c)"},
        {"a / b // c % d * e", "(* (% (// (/ a b) c) d) e)"},
        {"a + b * c", "(+ a (* b c))"},
        {"(a + b) * c", "(* (+ a b) c)"},
        {"a | b ^ c & d", "(| a (^ b (& c d)))"},
        {"a & b + c", "(& a (+ b c))"},
        {"a == b | c", "(== a (| b c))"},
        {"(a > 5) & (b < 3)", "(& (> a 5) (< b 3))"},
        {"not a == b", "(not (== a b))"},
        {"not not a", "(not (not a))"},
        {"a and b or c and d", "(or (and a b) (and c d))"},
        {"a or b or c", "(or (or a b) c)"},
        {"a and not b", "(and a (not b))"},
        {"a in b", "(in a b)"},
        {"a not in [1, 2]", "(not-in a (list 1 2))"},
        {"a is None", "(is a None)"},
        {"a is not None", "(is-not a None)"},
        {"a <= b", "(<= a b)"},
        {"a >= b != c", NULL}, /* chained: an error, tested below */
        {"x != -1", "(!= x (- 1))"},
        {"f(a)(b)[c].d", "(. ([] (call (call f a) b) c) d)"},
        {"lambda x: x + 1", "(lambda (x) (+ x 1))"},
        {"lambda x, y,: lambda z: x or z", "(lambda (x y) (lambda (z) (or x z)))"},
        {"a if b else c", "(if b a c)"},
        {"lambda x: 'big' if x > 5 else 'small'", "(lambda (x) (if (> x 5) \"big\" \"small\"))"},
        {"a if b else c if d else e", "(if b a (if d c e))"},
        {"a or b if c and d else lambda q: 1", "(if (and c d) (or a b) (lambda (q) 1))"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"- 9223372036854775807", "(- 9223372036854775807)"},
        {"a[a.x > 5]", "([] a (> (. a x) 5))"},
        {"a[[\"x\", \"y\"]]", "([] a (list \"x\" \"y\"))"},
        {"a[1, 2]", "([] a (tuple 1 2))"},
        {"a[1,]", "([] a (tuple 1))"},
        {"1, 2", "(tuple 1 2)"},
        {"(1, 2,)", "(tuple 1 2)"},
        {"()", "(tuple)"},
        {"((a))", "a"},
        {"{}", "(dict)"},
        {"[]", "(list)"},
        {"[1, [2, 3],]", "(list 1 (list 2 3))"},
        {"{'a': 1, 'b': [2], 3: {4: 5},}", "(dict (\"a\" 1) (\"b\" (list 2)) (3 (dict (4 5))))"},
        {"f()", "(call f)"},
        {"f(a, b, c=1, d=lambda r: r.x,)", "(call f a b (= c 1) (= d (lambda (r) (. r x))))"},
        {"print(x, end='')", "(call print x (= end \"\"))"},
        {"True or False and None", "(or True (and False None))"},
    };

    (void)state;
    for (size_t k = 0; k < NELEMS(cases); k++) {
        if (!cases[k].tree)
            continue;
        if (strcmp(dump_expr(cases[k].src), cases[k].tree) != 0)
            fail_msg("'%s' parsed as %s, expected %s", cases[k].src, dump_expr(cases[k].src),
                     cases[k].tree);
    }
}

/* The first expression statement of 'src' (must parse). */
static ddf_script_expr *expr_of(ddf_arena *arena, const char *src)
{
    ddf_script_program *prog = parse_ok(arena, src, 0);

    assert_true(prog->nstmts >= 1);
    assert_int_equal(prog->stmts[0]->kind, DDF_SCRIPT_STMT_EXPR);
    return prog->stmts[0]->expr.value;
}

static void test_script_number_literals_parse_to_their_values(void **state)
{
    static const struct {
        const char *src;
        int64_t value;
    } ints[] = {
        {"0", 0},
        {"00", 0},
        {"0_0", 0},
        {"1_000", 1000},
        {"0x_ff", 255},
        {"0XfF", 255},
        {"0o17", 15},
        {"0b1010", 10},
        {"0B1_0", 2},
        {"9223372036854775807", INT64_MAX},
        {"0x7fffffffffffffff", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"-0x8000000000000000", INT64_MIN},
    };
    static const struct {
        const char *src;
        double value;
    } floats[] = {
        {"1.5", 1.5},       {"1e3", 1000.0},        {".5", 0.5},       {"5.", 5.0},
        {"1.e2", 100.0},    {"1_0.5e-1_0", 10.5e-10}, {"1E+2", 100.0},  {"0.1", 0.1},
        {"00.5", 0.5},      {"1e400", 1e308 * 10},  {"2.5e-400", 0.0},
    };
    ddf_arena *arena = ddf_arena_new();

    (void)state;
    assert_non_null(arena);
    for (size_t k = 0; k < NELEMS(ints); k++) {
        ddf_script_expr *e = expr_of(arena, ints[k].src);
        assert_int_equal(e->kind, DDF_SCRIPT_EXPR_INT);
        if (e->int_value != ints[k].value)
            fail_msg("%s is %lld", ints[k].src, (long long)e->int_value);
        assert_span(ints[k].src, e->pos, e->len, ints[k].src); /* the minus is in the span */
    }
    for (size_t k = 0; k < NELEMS(floats); k++) {
        ddf_script_expr *e = expr_of(arena, floats[k].src);
        assert_int_equal(e->kind, DDF_SCRIPT_EXPR_FLOAT);
        if (e->float_value != floats[k].value)
            fail_msg("%s is %.17g", floats[k].src, e->float_value);
    }
    ddf_arena_free(arena);
}

static void test_script_string_literals_decode_python_escapes(void **state)
{
    static const struct {
        const char *src;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"'abc'", "abc", 3},
        {"\"it's\"", "it's", 4},
        {"'a\\nb\\tc\\\\d\\'e\\\"f'", "a\nb\tc\\d'e\"f", 11},
        {"'\\x41\\x7e'", "A~", 2},
        {"'\\u00e9\\u20ac'", "\xc3\xa9\xe2\x82\xac", 5},
        {"'\\U0001F600'", "\xf0\x9f\x98\x80", 4},
        {"'\\0\\101\\7'", "\0A\a", 3},
        {"'\\r\\a\\b\\f\\v'", "\r\a\b\f\v", 5},
        {"'\\d+\\.'", "\\d+\\.", 5}, /* unknown escapes keep the backslash */
        {"r'\\d+\\n'", "\\d+\\n", 5},
        {"R\"a\\\"b\"", "a\\\"b", 4}, /* a raw string's \" is two characters */
        {"u'x'", "x", 1},
        {"'caf\xc3\xa9'", "caf\xc3\xa9", 5},
        {"'a' \"b\" r'\\c'", "ab\\c", 4},
        {"'''a\n'b'\n\"\"c'''", "a\n'b'\n\"\"c", 9},
        {"\"\"\"x\\\ny\"\"\"", "xy", 2}, /* backslash-newline inside: skipped */
        {"'a\\\nb'", "ab", 2},
        {"'''a\r\nb'''", "a\nb", 3},
        {"''", "", 0},
        {"'' ''", "", 0},
    };
    ddf_arena *arena = ddf_arena_new();

    (void)state;
    assert_non_null(arena);
    for (size_t k = 0; k < NELEMS(cases); k++) {
        ddf_script_expr *e = expr_of(arena, cases[k].src);
        assert_int_equal(e->kind, DDF_SCRIPT_EXPR_STRING);
        if (e->string.len != cases[k].len ||
            memcmp(e->string.bytes, cases[k].bytes, cases[k].len) != 0)
            fail_msg("%s decoded to %zu bytes '%.*s'", cases[k].src, e->string.len,
                     (int)e->string.len, e->string.bytes);
        assert_int_equal(e->string.bytes[e->string.len], '\0');
        assert_span(cases[k].src, e->pos, e->len, cases[k].src); /* all the pieces */
    }
    ddf_arena_free(arena);
}

static void test_script_keywords_literals_and_names(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_expr *e;

    (void)state;
    assert_non_null(arena);
    e = expr_of(arena, "[True, False, None, true, _x1, caf\xc3\xa9]");
    assert_int_equal(e->seq.n, 6);
    assert_int_equal(e->seq.items[0]->kind, DDF_SCRIPT_EXPR_BOOL);
    assert_true(e->seq.items[0]->bool_value);
    assert_int_equal(e->seq.items[1]->kind, DDF_SCRIPT_EXPR_BOOL);
    assert_false(e->seq.items[1]->bool_value);
    assert_int_equal(e->seq.items[2]->kind, DDF_SCRIPT_EXPR_NONE);
    assert_int_equal(e->seq.items[3]->kind, DDF_SCRIPT_EXPR_NAME);
    assert_string_equal(e->seq.items[3]->name.text, "true");
    assert_string_equal(e->seq.items[4]->name.text, "_x1");
    assert_string_equal(e->seq.items[5]->name.text, "caf\xc3\xa9");
    assert_int_equal(e->seq.items[5]->name.len, 5);
    /* names that merely start with a keyword are names */
    assert_string_equal(dump("if_else = format_ + import_x\n"),
                        "(= if_else (+ format_ import_x))\n");
    ddf_arena_free(arena);
}

static void test_script_lambdas_keep_parameters_and_the_raw_body_text(void **state)
{
    static const char src[] = "df.apply(lambda r, s: (r.price * r.qty), axis=1)";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_expr *call, *lam;

    (void)state;
    assert_non_null(arena);
    call = expr_of(arena, src);
    lam = call->call.args[0];
    assert_int_equal(lam->kind, DDF_SCRIPT_EXPR_LAMBDA);
    assert_span(src, lam->pos, lam->len, "lambda r, s: (r.price * r.qty)");
    assert_pos(lam->op_pos, 1, 10, 9);
    assert_int_equal(lam->lambda.nparams, 2);
    assert_string_equal(lam->lambda.params[0].name, "r");
    assert_pos(lam->lambda.params[0].pos, 1, 17, 16);
    assert_string_equal(lam->lambda.params[1].name, "s");
    assert_int_equal(lam->lambda.params[1].name_len, 1);
    /* the raw body keeps its parentheses; the body node spans the inside */
    assert_span(src, lam->lambda.body_pos, lam->lambda.body_len, "(r.price * r.qty)");
    assert_pos(lam->lambda.body_pos, 1, 23, 22);
    assert_span(src, lam->lambda.body->pos, lam->lambda.body->len, "r.price * r.qty");
    assert_int_equal(call->call.nkeywords, 1);
    assert_string_equal(call->call.keywords[0].name, "axis");

    /* a body that runs to the end of the statement, and one ended by a comma */
    lam = expr_of(arena, "lambda x: round(x, 1)  # c");
    assert_span("lambda x: round(x, 1)  # c", lam->lambda.body_pos, lam->lambda.body_len,
                "round(x, 1)");
    lam = expr_of(arena, "f(lambda x: x, 2)")->call.args[0];
    assert_int_equal(lam->lambda.body_len, 1);
    ddf_arena_free(arena);
}

static void test_script_for_loops_in_every_form(void **state)
{
    static const char src[] = "for c in df.columns: print(c)\n"
                              "for a, b in df.items():\n"
                              "    print(a)\n"
                              "\n"
                              "    # a comment between statements\n"
                              "    print(b); x = 1\n"
                              "for (k, v) in d.items(): pass\n"
                              "for (k) in [1]: pass\n"
                              "for k, in x: pass\n"
                              "for i in 1, 2, 3:\n"
                              "    for j in y:\n"
                              "        for z in w:\n"
                              "            pass\n"
                              "done = 1\n";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_stmt *s;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    assert_string_equal(dump(src),
                        "(for c (. df columns) (expr (call print c)))\n"
                        "(for (tuple a b) (call (. df items)) (expr (call print a)) "
                        "(expr (call print b)) (= x 1))\n"
                        "(for (tuple k v) (call (. d items)) (pass))\n"
                        "(for k (list 1) (pass))\n"
                        "(for (tuple k) x (pass))\n"
                        "(for i (tuple 1 2 3) (for j y (for z w (pass))))\n"
                        "(= done 1)\n");
    assert_int_equal(prog->nstmts, 7);
    s = prog->stmts[0];
    assert_int_equal(s->kind, DDF_SCRIPT_STMT_FOR);
    assert_span(src, s->pos, s->len, "for c in df.columns: print(c)");
    assert_int_equal(s->loop.nbody, 1);
    s = prog->stmts[1];
    assert_pos(s->pos, 2, 1, 30);
    assert_span(src, s->loop.target->pos, s->loop.target->len, "a, b");
    assert_int_equal(s->loop.target->seq.items[1]->kind, DDF_SCRIPT_EXPR_NAME);
    assert_pos(s->loop.target->seq.items[1]->pos, 2, 8, 37);
    assert_int_equal(s->loop.nbody, 3);
    assert_pos(s->loop.body[2]->pos, 6, 15, 117);
    assert_span(src, s->pos, s->len,
                "for a, b in df.items():\n    print(a)\n\n    # a comment between "
                "statements\n    print(b); x = 1");
    s = prog->stmts[2];
    assert_span(src, s->loop.target->pos, s->loop.target->len, "(k, v)");
    assert_int_equal(prog->stmts[3]->loop.target->kind, DDF_SCRIPT_EXPR_NAME);
    s = prog->stmts[5];
    assert_int_equal(s->loop.body[0]->loop.body[0]->kind, DDF_SCRIPT_STMT_FOR);
    assert_pos(s->loop.body[0]->loop.body[0]->pos, 12, 9, 234);
    ddf_arena_free(arena);
}

static void test_script_imports_name_modules_and_aliases(void **state)
{
    static const char src[] = "import pandas as pd, numpy\n"
                              "import dask . dataframe as dd\n"
                              "from dask import dataframe as dd, bag\n"
                              "from a.b import (c, d as e,)\n";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_stmt *s;

    (void)state;
    assert_non_null(arena);
    assert_string_equal(dump(src), "(import (as pandas pd) numpy)\n"
                                   "(import (as dask.dataframe dd))\n"
                                   "(from dask (as dataframe dd) bag)\n"
                                   "(from a.b c (as d e))\n");
    prog = parse_ok(arena, src, 0);
    s = prog->stmts[0];
    assert_int_equal(s->kind, DDF_SCRIPT_STMT_IMPORT);
    assert_null(s->import.module);
    assert_int_equal(s->import.nnames, 2);
    assert_string_equal(s->import.names[0].name, "pandas");
    assert_string_equal(s->import.names[0].asname, "pd");
    assert_pos(s->import.names[0].as_pos, 1, 18, 17);
    assert_null(s->import.names[1].asname);
    assert_pos(s->import.names[1].pos, 1, 22, 21);
    s = prog->stmts[1];
    assert_string_equal(s->import.names[0].name, "dask.dataframe");
    assert_int_equal(s->import.names[0].name_len, 14);
    s = prog->stmts[2];
    assert_string_equal(s->import.module, "dask");
    assert_pos(s->import.module_pos, 3, 6, 62);
    assert_string_equal(s->import.names[0].name, "dataframe");
    assert_string_equal(s->import.names[0].asname, "dd");
    assert_span(src, s->pos, s->len, "from dask import dataframe as dd, bag");
    ddf_arena_free(arena);
}

static void test_script_statements_split_on_semicolons_and_lines(void **state)
{
    (void)state;
    assert_string_equal(dump("a = 1; print(a)"), "(= a 1)\n(expr (call print a))\n");
    assert_string_equal(dump("a = 1;\nb = 2;  # trailing\n"), "(= a 1)\n(= b 2)\n");
    assert_string_equal(dump(""), "");
    assert_string_equal(dump("\n\n   \n# only a comment\n  # indented comment\n"), "");
    assert_string_equal(dump("pass"), "(pass)\n");
    assert_string_equal(dump("x\n\n\ny"), "(expr x)\n(expr y)\n");
    assert_string_equal(dump("x = (1 +\n   2)\ny = [\n  1,\n\n  # c\n  2,\n]\n"),
                        "(= x (+ 1 2))\n(= y (list 1 2))\n");
    assert_string_equal(dump("x = 1 + \\\n    2\n"), "(= x (+ 1 2))\n");
    assert_string_equal(dump("x = 1\r\nfor a in b:\r\n    print(a)\r\ny = '''p\r\n'''\r\n"),
                        "(= x 1)\n(for a b (expr (call print a)))\n(= y \"p\\n\")\n");
    assert_string_equal(dump("\xef\xbb\xbfx = 1\n"), "(= x 1)\n");
    assert_string_equal(dump("for a in b:\n\tx\n\tfor c in d:\n\t\ty\nz\n"),
                        "(for a b (expr x) (for c d (expr y)))\n(expr z)\n");
    assert_string_equal(dump("\fx = 1\n"), "(= x 1)\n");
}

static void test_script_places_count_lines_bytes_and_offsets(void **state)
{
    static const char src[] = "a = 1\n"
                              "b = '''x\n"
                              "y''' + c\n"
                              "d = (1,\n"
                              "     e)\n"
                              "f = \\\n"
                              "  g\n"
                              "\xef\xbb\xbf = h\n"; /* not a BOM here: a name */
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_expr *e;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, src, 0);
    e = prog->stmts[1]->assign.value;
    assert_span(src, e->pos, e->len, "'''x\ny''' + c");
    assert_pos(e->binary.right->pos, 3, 8, 22);
    e = prog->stmts[2]->assign.value;
    assert_pos(e->seq.items[1]->pos, 5, 6, 37);
    assert_pos(prog->stmts[3]->assign.value->pos, 7, 3, 48);
    assert_pos(prog->stmts[4]->assign.value->pos, 8, 7, 56);
    ddf_arena_free(arena);
}

static void test_script_tokenizer_emits_python_layout_tokens(void **state)
{
    static const char src[] = "for a in b:  # c\n"
                              "    x = 'y'\n"
                              "\n"
                              "    f(1,\n"
                              "  2)\n";
    static const struct {
        ddf_script_tok_kind kind;
        int line;
        int column;
    } want[] = {
        {DDF_SCRIPT_TOK_NAME, 1, 1},    {DDF_SCRIPT_TOK_NAME, 1, 5},
        {DDF_SCRIPT_TOK_NAME, 1, 7},    {DDF_SCRIPT_TOK_NAME, 1, 10},
        {DDF_SCRIPT_TOK_OP, 1, 11},     {DDF_SCRIPT_TOK_NEWLINE, 1, 17},
        {DDF_SCRIPT_TOK_INDENT, 2, 5},  {DDF_SCRIPT_TOK_NAME, 2, 5},
        {DDF_SCRIPT_TOK_OP, 2, 7},      {DDF_SCRIPT_TOK_STRING, 2, 9},
        {DDF_SCRIPT_TOK_NEWLINE, 2, 12}, {DDF_SCRIPT_TOK_NAME, 4, 5},
        {DDF_SCRIPT_TOK_OP, 4, 6},      {DDF_SCRIPT_TOK_INT, 4, 7},
        {DDF_SCRIPT_TOK_OP, 4, 8},      {DDF_SCRIPT_TOK_INT, 5, 3},
        {DDF_SCRIPT_TOK_OP, 5, 4},      {DDF_SCRIPT_TOK_NEWLINE, 5, 5},
        {DDF_SCRIPT_TOK_DEDENT, 6, 1},  {DDF_SCRIPT_TOK_EOF, 6, 1},
        {DDF_SCRIPT_TOK_EOF, 6, 1},
    };
    ddf_arena *arena = ddf_arena_new();
    ddf_script_lexer *lx = calloc(1, sizeof(*lx));
    ddf_script_token tok;

    (void)state;
    assert_non_null(arena);
    assert_non_null(lx);
    assert_int_equal(ddf_script_lex_init(lx, src, strlen(src), arena), DDF_OK);
    for (size_t k = 0; k < NELEMS(want); k++) {
        assert_int_equal(ddf_script_lex_next(lx, &tok), DDF_OK);
        if (tok.kind != want[k].kind || tok.pos.line != want[k].line ||
            tok.pos.column != want[k].column)
            fail_msg("token %zu: kind %d at %d:%d, expected kind %d at %d:%d", k, tok.kind,
                     tok.pos.line, tok.pos.column, want[k].kind, want[k].line, want[k].column);
        if (k == 4)
            assert_int_equal(tok.punct, DDF_SCRIPT_P_COLON);
        if (k == 9) {
            assert_string_equal(tok.s, "y");
            assert_int_equal(tok.len, 3);
        }
    }
    /* errors stick: every later call returns the same error token */
    assert_int_equal(ddf_script_lex_init(lx, "x = 1 $ 2", 9, arena), DDF_OK);
    for (int k = 0; k < 3; k++)
        assert_int_equal(ddf_script_lex_next(lx, &tok), DDF_OK);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ddf_script_lex_next(lx, &tok), DDF_EPARSE);
        assert_int_equal(tok.kind, DDF_SCRIPT_TOK_ERROR);
        assert_int_equal(tok.pos.column, 7);
        assert_string_equal(lx->err.message, "unexpected character '$'");
    }
    assert_true(ddf_script_is_keyword("lambda", 6));
    assert_false(ddf_script_is_keyword("lambd", 5));
    assert_string_equal(ddf_script_punct_text(DDF_SCRIPT_P_FLOORDIV_EQ), "//=");
    assert_string_equal(ddf_script_op_text(DDF_SCRIPT_OP_NOT_IN), "not in");
    assert_string_equal(ddf_script_op_text(DDF_SCRIPT_OP_COUNT), "?");
    free(lx);
    ddf_arena_free(arena);
}

/* ---- refused and malformed input --------------------------------------------------------- */

static void test_script_refused_statements_are_named_at_their_keyword(void **state)
{
    static const error_case cases[] = {
        {"if x:\n    y\n", 1, 1, "'if' statements are not supported in ddf scripts"},
        {"x = 1\nelif y: pass\n", 2, 1, "'elif' clauses are not supported in ddf scripts"},
        {"for a in b:\n    x\nelse:\n    y\n", 3, 1,
         "'else' clauses are not supported in ddf scripts"},
        {"while x: pass\n", 1, 1, "'while' loops are not supported in ddf scripts"},
        {"def f(x):\n    return x\n", 1, 1,
         "function definitions ('def') are not supported in ddf scripts; use a lambda"},
        {"class A: pass\n", 1, 1, "class definitions ('class') are not supported in ddf scripts"},
        {"try:\n    x\nexcept E:\n    y\n", 1, 1,
         "'try' statements are not supported in ddf scripts"},
        {"except: pass\n", 1, 1, "'except' clauses are not supported in ddf scripts"},
        {"finally: pass\n", 1, 1, "'finally' clauses are not supported in ddf scripts"},
        {"with open(f) as g: pass\n", 1, 1, "'with' statements are not supported in ddf scripts"},
        {"return 1\n", 1, 1, "'return' statements are not supported in ddf scripts"},
        {"yield 1\n", 1, 1, "'yield' is not supported in ddf scripts"},
        {"x = yield\n", 1, 5, "'yield' is not supported in ddf scripts"},
        {"del df['a']\n", 1, 1, "'del' statements are not supported in ddf scripts"},
        {"global x\n", 1, 1, "'global' declarations are not supported in ddf scripts"},
        {"nonlocal x\n", 1, 1, "'nonlocal' declarations are not supported in ddf scripts"},
        {"raise E\n", 1, 1, "'raise' statements are not supported in ddf scripts"},
        {"assert x\n", 1, 1, "'assert' statements are not supported in ddf scripts"},
        {"for a in b:\n    break\n", 2, 5, "'break' statements are not supported in ddf scripts"},
        {"for a in b: continue\n", 1, 13,
         "'continue' statements are not supported in ddf scripts"},
        {"async def f(): pass\n", 1, 1, "'async' is not supported in ddf scripts"},
        {"await f()\n", 1, 1, "'await' is not supported in ddf scripts"},
        {"x = await f()\n", 1, 5, "'await' is not supported in ddf scripts"},
        {"@cache\ndef f(): pass\n", 1, 1, "decorators ('@') are not supported in ddf scripts"},
        {"x = 1; if y: pass\n", 1, 8, "'if' statements are not supported in ddf scripts"},
        {"x = 1; for a in b: pass\n", 1, 8, "a 'for' loop must start its own line"},
        {"for a in b: for c in d: pass\n", 1, 13, "a 'for' loop must start its own line"},
        {"x += 1\n", 1, 3,
         "augmented assignment ('+=') is not supported in ddf scripts; write x = x + ..."},
        {"df['a'] //= 2\n", 1, 9,
         "augmented assignment ('//=') is not supported in ddf scripts; write x = x // ..."},
        {"x **= 2\n", 1, 3,
         "augmented assignment ('**=') is not supported in ddf scripts; write x = x ** ..."},
        {"a = b = 1\n", 1, 7, "chained assignment ('a = b = ...') is not supported in ddf scripts"},
        {"df.total = 1\n", 1, 1,
         "assigning to an attribute ('a.total = ...') is not supported in ddf scripts; write "
         "a[\"total\"] = ... to set a column"},
        {"x: int = 1\n", 1, 2,
         "variable annotations ('x: int = ...') are not supported in ddf scripts"},
        {"from . import x\n", 1, 6,
         "relative imports ('from . import x') are not supported in ddf scripts"},
        {"from ..a import x\n", 1, 6,
         "relative imports ('from . import x') are not supported in ddf scripts"},
        {"from x import *\n", 1, 15,
         "'from ... import *' is not supported in ddf scripts; name what you import"},
    };

    (void)state;
    expect_errors(cases, NELEMS(cases));
}

static void test_script_refused_expressions_are_named_at_their_place(void **state)
{
    static const error_case cases[] = {
        {"x = f\"total {t}\"\n", 1, 5, "f-strings are not supported in ddf scripts"},
        {"x = RF'{a}'\n", 1, 5, "f-strings are not supported in ddf scripts"},
        {"x = b'raw'\n", 1, 5, "bytes literals are not supported in ddf scripts"},
        {"if (n := len(df)) > 3: pass\n", 1, 1, "'if' statements are not supported in ddf scripts"},
        {"y = (n := 3)\n", 1, 8, "assignment expressions (':=') are not supported in ddf scripts"},
        {"f(n := 3)\n", 1, 5, "assignment expressions (':=') are not supported in ddf scripts"},
        {"x := 3\n", 1, 3, "assignment expressions (':=') are not supported in ddf scripts"},
        {"[c for c in cols]\n", 1, 4,
         "comprehensions and generator expressions ('[x for x in y]') are not supported in ddf "
         "scripts"},
        {"sum(x for x in y)\n", 1, 7,
         "comprehensions and generator expressions ('[x for x in y]') are not supported in ddf "
         "scripts"},
        {"{k: v for k, v in d}\n", 1, 7,
         "comprehensions and generator expressions ('[x for x in y]') are not supported in ddf "
         "scripts"},
        {"{k for k in d}\n", 1, 4,
         "comprehensions and generator expressions ('[x for x in y]') are not supported in ddf "
         "scripts"},
        {"(x for x in y)\n", 1, 4,
         "comprehensions and generator expressions ('[x for x in y]') are not supported in ddf "
         "scripts"},
        {"x = a if b\n", 1, 11, "expected 'else' of the conditional expression, found end of "
                               "line"},
        {"x = lambda r: 1 if 2\n", 1, 21, "expected 'else' of the conditional expression, found "
                                         "end of line"},
        {"f(*args)\n", 1, 3, "unpacking with '*' is not supported in ddf scripts"},
        {"f(**kw)\n", 1, 3, "unpacking with '**' is not supported in ddf scripts"},
        {"x = [*a, 1]\n", 1, 6, "unpacking with '*' is not supported in ddf scripts"},
        {"x = {**a}\n", 1, 6, "unpacking with '**' is not supported in ddf scripts"},
        {"a, *b = c\n", 1, 4, "unpacking with '*' is not supported in ddf scripts"},
        {"for *a in b: pass\n", 1, 5, "unpacking with '*' is not supported in ddf scripts"},
        {"f = lambda *a: a\n", 1, 12, "unpacking with '*' is not supported in ddf scripts"},
        {"x = a[1:3]\n", 1, 8, "slices ('a[1:3]') are not supported in ddf scripts"},
        {"x = a[:3]\n", 1, 7, "slices ('a[1:3]') are not supported in ddf scripts"},
        {"x = a[1, 2:]\n", 1, 11, "slices ('a[1:3]') are not supported in ddf scripts"},
        {"x = a[1,:]\n", 1, 9, "slices ('a[1:3]') are not supported in ddf scripts"},
        {"a < b < c\n", 1, 7,
         "chained comparisons ('a < b < c') are not supported in ddf scripts (pandas series "
         "cannot chain them); write (a < b) & (b < c)"},
        {"df[df.a > 5 & df.b < 3]\n", 1, 20,
         "chained comparisons ('a < b < c') are not supported in ddf scripts (pandas series "
         "cannot chain them); write (a < b) & (b < c)"},
        {"a == b is not c\n", 1, 8,
         "chained comparisons ('a < b < c') are not supported in ddf scripts (pandas series "
         "cannot chain them); write (a < b) & (b < c)"},
        {"x = {1, 2}\n", 1, 5, "set literals ('{a, b}') are not supported in ddf scripts"},
        {"x = {1}\n", 1, 5, "set literals ('{a, b}') are not supported in ddf scripts"},
        {"x = 3j\n", 1, 6, "complex numbers ('1j') are not supported in ddf scripts"},
        {"x = a[...]\n", 1, 7, "'...' (Ellipsis) is not supported in ddf scripts"},
        {"x = a << 2\n", 1, 7, "shift operators ('<<') are not supported in ddf scripts"},
        {"x = a >> 2\n", 1, 7, "shift operators ('>>') are not supported in ddf scripts"},
        {"x = a @ b\n", 1, 7, "the '@' operator is not supported in ddf scripts"},
        {"x = '\\N{BULLET}'\n", 1, 6, "\\N{...} escapes are not supported in ddf scripts"},
        {"f = lambda: 0\n", 1, 11, "a lambda needs at least one parameter (lambda x: ...)"},
        {"f = lambda x=1: x\n", 1, 13,
         "default values of lambda parameters are not supported in ddf scripts"},
        {"f = lambda x, x: x\n", 1, 15, "duplicate parameter 'x' in lambda"},
        {"x = 1 + lambda y: y\n", 1, 9,
         "a lambda cannot be an operand here; put it in parentheses"},
        {"f(a=1, a=2)\n", 1, 8, "keyword argument 'a' repeated"},
        {"f(a=1, 2)\n", 1, 8, "positional argument follows keyword argument"},
        {"f(a.b=1)\n", 1, 3, "expression cannot contain assignment, perhaps you meant \"==\"?"},
        {"a, (b, c) = x\n", 1, 4, "nested unpacking is not supported in ddf scripts"},
        {"a, b.c = x\n", 1, 4, "only names can be unpacked in an assignment (a, b = ...)"},
        {"for a, (b, c) in x: pass\n", 1, 8,
         "nested unpacking in a 'for' target is not supported in ddf scripts"},
        {"for a.b in x: pass\n", 1, 6,
         "a 'for' target must be a name or names separated by commas"},
        {"for a[0] in x: pass\n", 1, 6,
         "a 'for' target must be a name or names separated by commas"},
        {"f() = 1\n", 1, 1, "cannot assign to a function call"},
        {"1 = x\n", 1, 1, "cannot assign to a literal"},
        {"None = x\n", 1, 1, "cannot assign to a literal"},
        {"() = x\n", 1, 1, "cannot assign to ()"},
        {"a == b = 1\n", 1, 1, "cannot assign to a comparison (use '==' to compare)"},
        {"a + b = 1\n", 1, 1,
         "cannot assign to this expression; assign to a name, names (a, b = ...) or a "
         "subscript (df[\"c\"] = ...)"},
    };

    (void)state;
    expect_errors(cases, NELEMS(cases));
}

static void test_script_syntax_errors_say_what_was_expected(void **state)
{
    static const error_case cases[] = {
        {"x = \n", 1, 5, "expected an expression, found end of line"},
        {"x = 1 +", 1, 8, "expected an expression, found end of line"},
        {"x = 1;;\n", 1, 7, "expected an expression, found ';'"},
        {"f(1 2)\n", 1, 5, "expected ',' or ')', found '2'"},
        {"[1 2]\n", 1, 4, "expected ',' or ']', found '2'"},
        {"{1: 2 3: 4}\n", 1, 7, "expected ',' or '}', found '3'"},
        {"{1: 2, 3}\n", 1, 9, "expected ':', found '}'"},
        {"(1 2)\n", 1, 4, "expected ')', found '2'"},
        {"x y\n", 1, 3, "expected ';' or the end of the line, found 'y'"},
        {"print 'x'\n", 1, 7, "expected ';' or the end of the line, found a string literal"},
        {"a.1\n", 1, 2, "expected ';' or the end of the line, found '.1'"},
        {"a.for\n", 1, 3, "expected an attribute name after '.', found 'for'"},
        {"x = for\n", 1, 5, "expected an expression, found 'for'"},
        {"for in x: pass\n", 1, 5, "expected a name, found 'in'"},
        {"for x y: pass\n", 1, 7, "expected 'in', found 'y'"},
        {"for x in y pass\n", 1, 12, "expected ':', found 'pass'"},
        {"for x in y:\nx\n", 2, 1,
         "expected an indented block after the 'for' statement on line 1"},
        {"x = 1\n    y = 2\n", 2, 5, "unexpected indent"},
        {"for a in b:\n    x\n  y\n", 3, 3,
         "unindent does not match any outer indentation level"},
        {"import\n", 1, 7, "expected a module name, found end of line"},
        {"import a as\n", 1, 12, "expected a name after 'as', found end of line"},
        {"from a b\n", 1, 8, "expected 'import', found 'b'"},
        {"from a import (b\n", 1, 15, NULL}, /* incomplete: see below */
        {"lambda x y: 1\n", 1, 10, "expected ',' or ':', found 'y'"},
        {"lambda 1: 1\n", 1, 8, "expected a parameter name after 'lambda', found '1'"},
        {"x = a not b\n", 1, 7, "expected ';' or the end of the line, found 'not'"},
        {"x = (1 +\n  2) )\n", 2, 6, "unmatched ')'"},
        {"x = [1, 2)\n", 1, 10, "closing ')' does not match the '[' on line 1, column 5"},
        {"f(x,, y)\n", 1, 5, "expected an expression, found ','"},
        {"x = -\n", 1, 6, "expected an expression, found end of line"},
        {"x = 9223372036854775808\n", 1, 5,
         "integer literal 9223372036854775808 does not fit in int64 (ddf integers are 64-bit)"},
        {"x = -9223372036854775808 ** 2\n", 1, 6,
         "integer literal 9223372036854775808 does not fit in int64 (ddf integers are 64-bit)"},
        {"x = -9223372036854775808 .bit_length()\n", 1, 6,
         "integer literal 9223372036854775808 does not fit in int64 (ddf integers are 64-bit)"},
        {"x = 18446744073709551616\n", 1, 5,
         "integer literal 18446744073709551616 does not fit in int64 (ddf integers are 64-bit)"},
        {"x = 0x1_0000_0000_0000_0000\n", 1, 5,
         "integer literal 0x1_0000_0000_0000_0000 does not fit in int64 (ddf integers are "
         "64-bit)"},
        {"x = 123456789012345678901234567890123456789012345\n", 1, 5,
         "integer literal 1234567890123456789012345678901234567890... does not fit in int64 "
         "(ddf integers are 64-bit)"},
    };

    (void)state;
    for (size_t k = 0; k < NELEMS(cases); k++)
        if (cases[k].message)
            expect_error(cases[k].src, 0, DDF_EPARSE, cases[k].line, cases[k].column, false,
                         cases[k].message);
}

static void test_script_tokenizer_errors_point_at_the_bad_text(void **state)
{
    static const error_case cases[] = {
        {"x = 007\n", 1, 5,
         "leading zeros in decimal integer literals are not permitted; use 0o for an octal "
         "integer"},
        {"x = 1__0\n", 1, 6, "invalid number: '_' must separate two digits"},
        {"x = 1_\n", 1, 6, "invalid number: '_' must separate two digits"},
        {"x = 1._5\n", 1, 7, "invalid character '_' in number"},
        {"x = 1e\n", 1, 6, "invalid number: exponent has no digits"},
        {"x = 1e+\n", 1, 6, "invalid number: exponent has no digits"},
        {"x = 12abc\n", 1, 7, "invalid character 'a' in number"},
        {"x = 0x\n", 1, 5, "invalid hexadecimal literal: no digits"},
        {"x = 0b102\n", 1, 9, "invalid digit '2' in binary literal"},
        {"x = 0o8\n", 1, 7, "invalid digit '8' in octal literal"},
        {"x = 0xfg\n", 1, 8, "invalid character 'g' in number"},
        {"x = 'abc\n", 1, 5,
         "unterminated string literal (a line ends inside it; use \\n or a triple-quoted "
         "string)"},
        {"x = 'abc", 1, 5, "unterminated string literal"},
        {"x = '\\x4g'\n", 1, 6, "invalid \\x escape: expected 2 hex digits"},
        {"x = '\\u12'\n", 1, 6, "invalid \\u escape: expected 4 hex digits"},
        {"x = '\\U00110000'\n", 1, 6,
         "invalid \\U escape: U+110000 is past the last code point U+10FFFF"},
        {"x = '\\udc00'\n", 1, 6,
         "invalid \\u escape: surrogate U+DC00 cannot be encoded as UTF-8"},
        {"x = '''a\nb\\xzz'''\n", 2, 2, "invalid \\x escape: expected 2 hex digits"},
        {"x = 1 $ 2\n", 1, 7, "unexpected character '$'"},
        {"x = a ? b\n", 1, 7, "unexpected character '?'"},
        {"x = `a`\n", 1, 5, "unexpected character '`'"},
        {"x = !a\n", 1, 5, "unexpected character '!' (use 'not' to negate, '!=' to compare)"},
        {"x = 1\x01\n", 1, 6, "unexpected byte 0x01"},
        {"x = 1 \\ 2\n", 1, 7, "unexpected character after a line continuation '\\'"},
        {"for a in b:\n\tx\n        y\n", 3, 9,
         "inconsistent use of tabs and spaces in indentation"},
        {"for a in b:\n        x\n\ty\n", 3, 2,
         "inconsistent use of tabs and spaces in indentation"},
        {"x = 'caf\xc3'\n", 1, 9, "invalid UTF-8 byte 0xc3 (scripts are UTF-8 text)"},
        {"a\nx = '\xed\xa0\x80'\n", 2, 6, "invalid UTF-8 byte 0xed (scripts are UTF-8 text)"},
        {"\xff", 1, 1, "invalid UTF-8 byte 0xff (scripts are UTF-8 text)"},
    };

    (void)state;
    expect_errors(cases, NELEMS(cases));
    /* a NUL byte: strlen would stop at it */
    {
        static const char src[] = "x = 1\ny\0 = 2\n";
        ddf_arena *arena = ddf_arena_new();
        ddf_script_program *prog;
        ddf_script_error err;

        assert_non_null(arena);
        assert_int_equal(ddf_script_parse(src, sizeof(src) - 1, 0, arena, &prog, &err),
                         DDF_EPARSE);
        assert_string_equal(err.message, "the script contains a NUL byte");
        assert_int_equal(err.line, 2);
        assert_int_equal(err.column, 2);
        assert_int_equal(err.offset, 7);
        ddf_arena_free(arena);
    }
}

static void test_script_the_earliest_error_wins(void **state)
{
    (void)state;
    /* the parser fails at '= =' before the tokenizer reaches the bad string */
    expect_error("x = = 'abc\n", 0, DDF_EPARSE, 1, 5, false,
                 "expected an expression, found '='");
    expect_error("x = 1 2 $\n", 0, DDF_EPARSE, 1, 7,
                 false, "expected ';' or the end of the line, found '2'");
    /* ... and the tokenizer's error surfaces when the parser reaches it */
    expect_error("x = (1, 2 $\n", 0, DDF_EPARSE, 1, 11, false, "unexpected character '$'");
}

/* ---- the REPL ---------------------------------------------------------------------------- */

static void test_script_incomplete_input_asks_for_more(void **state)
{
    static const struct {
        const char *src;
        unsigned flags;
        bool incomplete; /* false: an ordinary error; see 'complete' below for successes */
        int line;
        int column;
        const char *message;
    } cases[] = {
        {"f(1,", 0, true, 1, 2, "'(' was never closed"},
        {"f(1,\n  [2,\n", 0, true, 2, 3, "'[' was never closed"},
        {"d = {'a':\n", 0, true, 1, 5, "'{' was never closed"},
        {"from a import (b\n", 0, true, 1, 15, "'(' was never closed"},
        {"x = '''abc\n", 0, true, 1, 5, "unterminated triple-quoted string literal"},
        {"x = \"\"\"abc", 0, true, 1, 5, "unterminated triple-quoted string literal"},
        {"x = 'abc\\\n", 0, true, 1, 5, "unterminated string literal"},
        {"x = 1 + \\", 0, true, 1, 9, "unexpected end of input after a line continuation '\\'"},
        {"x = 1 + \\\n", 0, true, 1, 9, "unexpected end of input after a line continuation '\\'"},
        {"for x in y:", 0, true, 1, 12,
         "expected an indented block after the 'for' statement on line 1"},
        {"for x in y:\n", 0, true, 2, 1,
         "expected an indented block after the 'for' statement on line 1"},
        {"for x in y:\n", DDF_SCRIPT_PARSE_INTERACTIVE, true, 2, 1,
         "expected an indented block after the 'for' statement on line 1"},
        {"for x in y:\n    print(x)\n", DDF_SCRIPT_PARSE_INTERACTIVE, true, 3, 1,
         "the 'for' block goes on until an empty line"},
        {"for x in y:\n    for z in x:\n        print(z)\n", DDF_SCRIPT_PARSE_INTERACTIVE, true,
         4, 1, "the 'for' block goes on until an empty line"},
        {"for x in y:\n    print(x)", DDF_SCRIPT_PARSE_INTERACTIVE, true, 2, 13,
         "the 'for' block goes on until an empty line"},
        {"x = 1\nfor x in y:\n    print(x)\n    # more to come\n", DDF_SCRIPT_PARSE_INTERACTIVE,
         true, 5, 1, "the 'for' block goes on until an empty line"},
        /* ordinary errors: the text cannot become valid by going on */
        {"for x in y:\n\n", DDF_SCRIPT_PARSE_INTERACTIVE, false, 3, 1,
         "expected an indented block after the 'for' statement on line 1"},
        {"for x in y:\n  \n", DDF_SCRIPT_PARSE_INTERACTIVE, false, 3, 1,
         "expected an indented block after the 'for' statement on line 1"},
        {"x = 1 +\n", 0, false, 1, 8, "expected an expression, found end of line"},
        {"x = 'abc\n", DDF_SCRIPT_PARSE_INTERACTIVE, false, 1, 5, NULL},
        {"f(1 2", 0, false, 1, 5, "expected ',' or ')', found '2'"},
        {"for x in y\n", 0, false, 1, 11, "expected ':', found end of line"},
        {"x = )", 0, false, 1, 5, "unmatched ')'"},
    };
    static const char *const complete[] = {
        "for x in y:\n    print(x)\n\n",
        "for x in y:\n    print(x)\n   \n",
        "for x in y:\n    print(x)\r\n\r\n",
        "for c in cols: print(c)\n",
        "for c in cols: print(c)",
        "x = 1\n",
        "x = 1",
        "",
        "for x in y:\n    print(x)\nprint(1)\n",
        "f(1,\n  2)\n",
        "x = '''a\n\nb'''\n",
    };

    (void)state;
    for (size_t k = 0; k < NELEMS(cases); k++)
        expect_error(cases[k].src, cases[k].flags, DDF_EPARSE, cases[k].line, cases[k].column,
                     cases[k].incomplete, cases[k].message);
    for (size_t k = 0; k < NELEMS(complete); k++) {
        ddf_arena *arena = ddf_arena_new();
        assert_non_null(arena);
        parse_ok(arena, complete[k], DDF_SCRIPT_PARSE_INTERACTIVE);
        ddf_arena_free(arena);
    }
    /* without the flag the end of the text ends the block */
    assert_string_equal(dump("for x in y:\n    print(x)\n"), "(for x y (expr (call print x)))\n");
}

/* A REPL session: lines are appended until the text parses or fails for good. */
static void test_script_a_repl_session_reads_until_complete(void **state)
{
    static const char *const lines[] = {
        "sales = read_csv('s.csv',\n", "                 dtype={'a': 'int64'})\n",
        "for name, col in sales.items():\n", "    print(name,\n", "          col.max())\n",
        "\n",
    };
    static const bool want_complete[] = {false, true, false, false, false, true};
    char text[512] = "";
    size_t len = 0;

    (void)state;
    for (size_t k = 0; k < NELEMS(lines); k++) {
        ddf_arena *arena = ddf_arena_new();
        ddf_script_program *prog;
        ddf_script_error err;
        int rc;

        assert_non_null(arena);
        memcpy(text + len, lines[k], strlen(lines[k]) + 1);
        len += strlen(lines[k]);
        rc = ddf_script_parse(text, len, DDF_SCRIPT_PARSE_INTERACTIVE, arena, &prog, &err);
        if (want_complete[k]) {
            assert_int_equal(rc, DDF_OK);
            assert_int_equal(prog->nstmts, 1);
            len = 0; /* the REPL runs it and starts over */
            text[0] = '\0';
        } else {
            assert_int_equal(rc, DDF_EPARSE);
            assert_true(err.incomplete);
        }
        ddf_arena_free(arena);
    }
}

/* ---- the error renderer ------------------------------------------------------------------ */

static const char *render(const char *src, const char *file, int line, int column,
                          const char *msg)
{
    static char buf[1024];
    size_t n = ddf_script_format_error(buf, sizeof(buf), src, src ? strlen(src) : 0, file, line,
                                       column, msg);

    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_script_errors_render_with_the_line_and_a_caret(void **state)
{
    char small[12];
    size_t n;

    (void)state;
    assert_string_equal(render("x = 1 +\n", "s.py", 1, 8,
                               "expected an expression, found end of line"),
                        "s.py:1:8: expected an expression, found end of line\n"
                        "    x = 1 +\n"
                        "           ^\n");
    /* the second line of three, without its neighbours */
    assert_string_equal(render("a = 1\nb = c d\ne = 2", "t.ddf", 2, 7, "m"),
                        "t.ddf:2:7: m\n"
                        "    b = c d\n"
                        "          ^\n");
    /* the last line without a newline, the caret at column 1 */
    assert_string_equal(render("a\nbc", "f", 2, 1, "m"), "f:2:1: m\n    bc\n    ^\n");
    /* UTF-8: 'é' is two bytes before the caret but one column, in the header and in the
     * caret line */
    assert_string_equal(render("x = \"\xc3\xa9\" + y z\n", "u", 1, 14, "m"),
                        "u:1:13: m\n"
                        "    x = \"\xc3\xa9\" + y z\n"
                        "                ^\n");
    /* tabs are kept in the line and copied into the caret line */
    assert_string_equal(render("\tx y\n", "t", 1, 4, "m"), "t:1:4: m\n    \tx y\n    \t  ^\n");
    /* the end of input past the last newline: an empty line */
    assert_string_equal(render("a\nb\n", "e", 3, 1, "m"), "e:3:1: m\n    \n    ^\n");
    /* a column past the end of the line puts the caret just after it */
    assert_string_equal(render("ab\ncd\n", "c", 1, 40, "m"), "c:1:40: m\n    ab\n      ^\n");
    /* a CRLF line shows without its '\r' */
    assert_string_equal(render("ab\r\ncd\r\n", "c", 1, 3, "m"), "c:1:3: m\n    ab\n      ^\n");
    /* no place (out of memory), no filename */
    assert_string_equal(render("x", "f", 0, 0, "out of memory"), "f: out of memory\n");
    assert_string_equal(render("x", NULL, 1, 1, "m"), "<script>:1:1: m\n    x\n    ^\n");
    assert_string_equal(render(NULL, "f", 1, 1, "m"), "f:1:1: m\n    \n    ^\n");
    /* snprintf's contract: truncated, NUL-terminated, the full length returned */
    n = ddf_script_format_error(small, sizeof(small), "abc", 3, "file", 1, 2, "message");
    assert_int_equal(n, strlen("file:1:2: message\n    abc\n     ^\n"));
    assert_string_equal(small, "file:1:2: m");
    assert_int_equal(ddf_script_format_error(NULL, 0, "abc", 3, "f", 1, 1, "m"),
                     strlen("f:1:1: m\n    abc\n    ^\n"));
}

/* Parse errors rendered end to end, as the CLI will show them. */
static void test_script_parse_errors_render_end_to_end(void **state)
{
    static const char src[] = "sales = read_csv('s.csv')\n"
                              "for r in sales.items():\n"
                              "\tif r.qty > 3: print(r)\n";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_error err;
    char buf[512];

    (void)state;
    assert_non_null(arena);
    assert_int_equal(ddf_script_parse(src, strlen(src), 0, arena, &prog, &err), DDF_EPARSE);
    ddf_script_format_error(buf, sizeof(buf), src, strlen(src), "report.ddf", err.line,
                            err.column, err.message);
    assert_string_equal(buf, "report.ddf:3:2: 'if' statements are not supported in ddf scripts\n"
                             "    \tif r.qty > 3: print(r)\n"
                             "    \t^\n");
    ddf_arena_free(arena);
}

/* ---- limits ------------------------------------------------------------------------------ */

/* 'n' copies of 'unit' between 'head' and 'tail', in a new malloc'd string. */
static char *repeat(const char *head, const char *unit, size_t n, const char *middle,
                    const char *unit2, const char *tail)
{
    size_t len = strlen(head) + n * (strlen(unit) + strlen(unit2)) + strlen(middle) +
                 strlen(tail) + 1;
    char *s = malloc(len), *p = s;

    assert_non_null(s);
    p += sprintf(p, "%s", head);
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "%s", unit);
    p += sprintf(p, "%s", middle);
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "%s", unit2);
    sprintf(p, "%s", tail);
    return s;
}

static int parse_rc(const char *src, size_t len, ddf_script_error *err)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    int rc;

    assert_non_null(arena);
    rc = ddf_script_parse(src, len, 0, arena, &prog, err);
    ddf_arena_free(arena);
    return rc;
}

static void test_script_nesting_is_bounded_without_exhausting_the_stack(void **state)
{
    static const struct {
        const char *head, *unit, *middle, *unit2, *tail;
        size_t ok; /* this many units parse: 100 levels with the innermost */
    } shapes[] = {
        {"x = ", "(", "1", ")", "\n", 99},
        {"x = ", "[", "1", "]", "\n", 99},
        {"x = ", "{1: ", "1", "}", "\n", 99},
        {"x = ", "f(", "1", ")", "\n", 99},
        {"x = ", "-", "1", "", "\n", 99},
        {"x = ", "not ", "a", "", "\n", 99},
        {"x = ", "2**", "2", "", "\n", 99},
        {"x = ", "lambda a: ", "a", "", "\n", 99},
        {"x = a", "", "", "+a", "\n", 99},
        {"x = a", "", "", ".b", "\n", 99},
        {"x = a", "", "", "[0]", "\n", 99},
        {"x = a", "", "", "()", "\n", 99},
        {"for a in ", "(", "b", ")", ": pass\n", 99},
    };
    ddf_script_error err;

    (void)state;
    for (size_t k = 0; k < NELEMS(shapes); k++) {
        size_t ok = shapes[k].ok;
        char *good = repeat(shapes[k].head, shapes[k].unit, ok, shapes[k].middle,
                            shapes[k].unit2, shapes[k].tail);
        char *bad = repeat(shapes[k].head, shapes[k].unit, ok + 1, shapes[k].middle,
                           shapes[k].unit2, shapes[k].tail);
        char *huge = repeat(shapes[k].head, shapes[k].unit, 100000, shapes[k].middle,
                            shapes[k].unit2, shapes[k].tail);
        if (parse_rc(good, strlen(good), &err) != DDF_OK)
            fail_msg("shape %zu with %zu levels: %s", k, ok, err.message);
        assert_int_equal(parse_rc(bad, strlen(bad), &err), DDF_ETOOBIG);
        assert_string_equal(err.message, "expression nests deeper than 100 levels");
        assert_false(err.incomplete);
        assert_int_equal(parse_rc(huge, strlen(huge), &err), DDF_ETOOBIG);
        free(good);
        free(bad);
        free(huge);
    }
}

static void test_script_indentation_depth_is_bounded(void **state)
{
    char *src = malloc(200 * 220), *p;
    ddf_script_error err;
    int levels;

    (void)state;
    assert_non_null(src);
    for (levels = 100; levels <= 101; levels++) {
        p = src;
        for (int l = 0; l < levels; l++)
            p += sprintf(p, "%*sfor a in b:\n", l, "");
        sprintf(p, "%*spass\n", levels, "");
        if (levels == 100) {
            assert_int_equal(parse_rc(src, strlen(src), &err), DDF_OK);
        } else {
            assert_int_equal(parse_rc(src, strlen(src), &err), DDF_ETOOBIG);
            assert_string_equal(err.message, "too many levels of indentation (the limit is 100)");
            assert_int_equal(err.line, 102); /* 'pass', at the 101st level */
            assert_int_equal(err.column, 102);
        }
    }
    free(src);
}

static void test_script_source_and_token_sizes_are_bounded(void **state)
{
    size_t big = DDF_SCRIPT_MAX_SOURCE_BYTES + 1;
    char *src = malloc(big + 1);
    ddf_script_error err;

    (void)state;
    assert_non_null(src);
    memset(src, '\n', big);
    src[big] = '\0';
    assert_int_equal(parse_rc(src, big, &err), DDF_ETOOBIG);
    assert_string_equal(err.message, "script of 1048577 bytes is over the 1048576-byte limit");
    assert_int_equal(err.line, 1);
    /* exactly at the limit is fine */
    assert_int_equal(parse_rc(src, big - 1, &err), DDF_OK);

    /* a name, a string literal, a number over the token limit */
    memset(src, 'a', DDF_SCRIPT_MAX_TOKEN_BYTES + 1);
    src[DDF_SCRIPT_MAX_TOKEN_BYTES + 1] = '\0';
    assert_int_equal(parse_rc(src, strlen(src), &err), DDF_ETOOBIG);
    assert_string_equal(err.message, "name is over the 65536-byte limit");
    assert_int_equal(parse_rc(src, DDF_SCRIPT_MAX_TOKEN_BYTES, &err), DDF_OK);
    src[0] = '\'';
    src[DDF_SCRIPT_MAX_TOKEN_BYTES] = '\'';
    assert_int_equal(parse_rc(src, DDF_SCRIPT_MAX_TOKEN_BYTES + 1, &err), DDF_ETOOBIG);
    assert_string_equal(err.message, "string literal is over the 65536-byte limit");
    src[DDF_SCRIPT_MAX_TOKEN_BYTES - 1] = '\'';
    assert_int_equal(parse_rc(src, DDF_SCRIPT_MAX_TOKEN_BYTES, &err), DDF_OK);
    memset(src, '1', DDF_SCRIPT_MAX_TOKEN_BYTES + 1);
    src[1] = '.';
    assert_int_equal(parse_rc(src, DDF_SCRIPT_MAX_TOKEN_BYTES + 1, &err), DDF_ETOOBIG);
    assert_string_equal(err.message, "number literal is over the 65536-byte limit");
    free(src);
}

static void test_script_wide_programs_parse(void **state)
{
    size_t n = 20000;
    char *src = malloc(n * 32 + 64), *p = src; /* 15 + 6 + 5 bytes per k at most */
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;

    (void)state;
    assert_non_null(src);
    assert_non_null(arena);
    /* many statements, then one list of many items, then many adjacent strings */
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "x%zu = %zu\n", k, k);
    p += sprintf(p, "l = [");
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "%zu,", k);
    p += sprintf(p, "]\ns = ");
    for (size_t k = 0; k < n; k++)
        p += sprintf(p, "'ab' ");
    sprintf(p, "\n");
    prog = parse_ok(arena, src, 0);
    assert_int_equal(prog->nstmts, n + 2);
    assert_int_equal(prog->stmts[n - 1]->assign.value->int_value, (int64_t)n - 1);
    assert_int_equal(prog->stmts[n]->assign.value->seq.n, n);
    assert_int_equal(prog->stmts[n]->assign.value->depth, 2);
    assert_int_equal(prog->stmts[n + 1]->assign.value->string.len, 2 * n);
    assert_memory_equal(prog->stmts[n + 1]->assign.value->string.bytes + 2 * n - 4, "abab\0", 5);
    ddf_arena_free(arena);
    free(src);
}

static void test_script_bad_arguments_are_refused(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_error err;

    (void)state;
    assert_non_null(arena);
    assert_int_equal(ddf_script_parse(NULL, 3, 0, arena, &prog, &err), DDF_EINVAL);
    assert_null(prog);
    assert_int_equal(ddf_script_parse("x", 1, 0, NULL, &prog, &err), DDF_EINVAL);
    assert_int_equal(ddf_script_parse("x", 1, 0, arena, NULL, &err), DDF_EINVAL);
    assert_int_equal(ddf_script_parse(NULL, 0, 0, arena, &prog, &err), DDF_OK);
    assert_int_equal(prog->nstmts, 0);
    /* 'err' may be NULL */
    assert_int_equal(ddf_script_parse("x = ", 4, 0, arena, &prog, NULL), DDF_EPARSE);
    /* the length is respected: no NUL needed, nothing read past it */
    assert_int_equal(ddf_script_parse("x = 1 +", 5, 0, arena, &prog, &err), DDF_OK);
    assert_int_equal(prog->stmts[0]->assign.value->int_value, 1);
    ddf_arena_free(arena);
}

/* ---- memory ------------------------------------------------------------------------------ */

static const char realistic_report[] =
    "# Monthly revenue report\n"
    "import pandas as pd\n"
    "import dask.dataframe as dd\n"
    "from dask import dataframe as ddf2\n"
    "\n"
    "orders = dd.read_csv(\"data/orders-2024-*.csv\",\n"
    "                     dtype={\"order_id\": \"int64\", \"customer\": \"int64\",\n"
    "                            \"amount\": \"float64\"},\n"
    "                     blocksize=64_000_000)\n"
    "orders[\"net\"] = orders.amount - orders.discount.fillna(0.0)\n"
    "big = orders[(orders.net > 1_000) & ~orders.country.isin([\"XX\", \"ZZ\"])]\n"
    "by_country = big.groupby([\"country\", \"channel\"]).agg({\"net\": [\"sum\", \"mean\"],\n"
    "                                                      \"order_id\": \"count\"})\n"
    "by_country.head(20)\n"
    "top = orders.nlargest(10, \"net\")\n"
    "for col in [\"net\", \"amount\"]:\n"
    "    print(col, orders[col].max(), orders[col].min())\n"
    "    print(\"  mean:\", orders[col].mean())   # per column\n"
    "stats = orders.describe()\n"
    "orders.assign(ratio=orders.net / orders.amount).query(\"ratio < 0.5\").to_csv(\n"
    "    \"out/low-*.csv\")\n"
    "print(len(orders), 'rows;', \"done\")\n";

static void test_script_allocation_failures_fail_cleanly(void **state)
{
    /* twenty copies of the report: enough nodes for several arena chunks, and a string
     * literal over the arena's large-request size, so many allocations can fail */
    size_t one = sizeof(realistic_report) - 1, big = 20000, len = 20 * one + big + 8;
    char *src = malloc(len + 1), *p = src;
    bool succeeded = false;
    long failures = 0;

    (void)state;
    assert_non_null(src);
    for (int k = 0; k < 20; k++, p += one)
        memcpy(p, realistic_report, one);
    p += sprintf(p, "s = '");
    memset(p, 'x', big);
    p += big;
    sprintf(p, "'\n");
    len = strlen(src);
    for (long n = 0; n < 10000 && !succeeded; n++) {
        ddf_arena *arena;
        ddf_script_program *prog = NULL;
        ddf_script_error err;
        int rc;

        ddf_test_fail_after(n);
        arena = ddf_arena_new();
        if (!arena)
            continue;
        rc = ddf_script_parse(src, len, 0, arena, &prog, &err);
        if (ddf_test_alloc_failed()) {
            assert_int_equal(rc, DDF_ENOMEM);
            assert_int_equal(err.code, DDF_ENOMEM);
            assert_null(prog);
            assert_string_equal(err.message, "out of memory while parsing the script");
            assert_int_equal(err.line, 0); /* no place to point at */
            failures++;
        } else {
            assert_int_equal(rc, DDF_OK);
            assert_int_equal(prog->nstmts, 20 * 13 + 1);
            succeeded = true;
        }
        ddf_arena_free(arena);
    }
    ddf_test_fail_after(-1);
    assert_true(succeeded);
    assert_true(failures >= 5);
    free(src);
}

/* ---- realistic scripts ------------------------------------------------------------------- */

static void test_script_realistic_report_parses(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    const char *d;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, realistic_report, 0);
    assert_int_equal(prog->nstmts, 13);
    d = dump(realistic_report);
    assert_non_null(strstr(d, "(= orders (call (. dd read_csv) \"data/orders-2024-*.csv\" "
                              "(= dtype (dict (\"order_id\" \"int64\") (\"customer\" \"int64\") "
                              "(\"amount\" \"float64\"))) (= blocksize 64000000)))\n"));
    assert_non_null(strstr(d, "(= big ([] orders (& (> (. orders net) 1000) (~ (call (. (. "
                              "orders country) isin) (list \"XX\" \"ZZ\"))))))\n"));
    assert_non_null(strstr(d, "(for col (list \"net\" \"amount\") (expr (call print col "));
    assert_non_null(strstr(d, "(expr (call (. (call (. (call (. orders assign) (= ratio (/ (. "
                              "orders net) (. orders amount)))) query) \"ratio < 0.5\") to_csv) "
                              "\"out/low-*.csv\"))\n"));
    assert_span(realistic_report, prog->stmts[15 - 3]->pos, prog->stmts[12]->len,
                "print(len(orders), 'rows;', \"done\")");
    ddf_arena_free(arena);
}

static void test_script_realistic_loops_and_one_liners_parse(void **state)
{
    static const char src[] =
        "sales = read_csv('data/sales.csv'); sales.dtypes\n"
        "cols = sales.columns\n"
        "for c in cols: print(c, sales[c].nunique())\n"
        "for name, col in sales.items():\n"
        "    top = col.value_counts().head(3)   # three most common\n"
        "    print(name, top)\n"
        "    for q in [0.25, 0.5]:\n"
        "        pass\n"
        "\n"
        "sales[\"label\"] = sales.apply(lambda r: r.region.lower() + \"-\" + r.product, axis=1)\n"
        "sales.value_counts(\"label\").sort_values(ascending=False).head()\n"
        "sales.sort_values([\"qty\", \"price\"], ascending=[True, False]).tail(5)\n"
        "sales[sales.price.isnull() | (sales.qty <= 0)].to_csv('out/bad-*.csv', index=False)\n"
        "sales.groupby('region', dropna=False).qty.agg(['sum', 'std', 'var', 'nunique'])\n"
        "sales.price.apply(lambda p: round(p * 1.2, 2)).describe()\n"
        "n = len(sales); m = sales.qty.sum() / n\n"
        "print(f'{m}') if n else None\n";
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    ddf_script_error err;

    (void)state;
    assert_non_null(arena);
    /* everything up to the last line is in the language; the last line is not */
    assert_int_equal(ddf_script_parse(src, strlen(src), 0, arena, &prog, &err), DDF_EPARSE);
    assert_string_equal(err.message, "f-strings are not supported in ddf scripts");
    assert_int_equal(err.line, 17);
    {
        size_t cut = (size_t)(strstr(src, "print(f'") - src);
        char *head = malloc(cut + 1);
        assert_non_null(head);
        memcpy(head, src, cut);
        head[cut] = '\0';
        prog = parse_ok(arena, head, 0);
        assert_int_equal(prog->nstmts, 13);
        assert_int_equal(prog->stmts[3]->kind, DDF_SCRIPT_STMT_FOR);
        assert_int_equal(prog->stmts[3]->loop.nbody, 1);
        assert_int_equal(prog->stmts[4]->loop.nbody, 3);
        assert_int_equal(prog->stmts[4]->loop.body[2]->kind, DDF_SCRIPT_STMT_FOR);
        assert_string_equal(
            dump(head) + (strstr(dump(head), "(= ([] sales \"label\")") - dump(head)),
            "(= ([] sales \"label\") (call (. sales apply) (lambda (r) (+ (+ (call (. (. r "
            "region) lower)) \"-\") (. r product))) (= axis 1)))\n"
            "(expr (call (. (call (. (call (. sales value_counts) \"label\") sort_values) (= "
            "ascending False)) head)))\n"
            "(expr (call (. (call (. sales sort_values) (list \"qty\" \"price\") (= ascending "
            "(list True False))) tail) 5))\n"
            "(expr (call (. ([] sales (| (call (. (. sales price) isnull)) (<= (. sales qty) 0))) "
            "to_csv) \"out/bad-*.csv\" (= index False)))\n"
            "(expr (call (. (. (call (. sales groupby) \"region\" (= dropna False)) qty) agg) "
            "(list \"sum\" \"std\" \"var\" \"nunique\")))\n"
            "(expr (call (. (call (. (. sales price) apply) (lambda (p) (call round (* p 1.2) "
            "2))) describe)))\n"
            "(= n (call len sales))\n"
            "(= m (/ (call (. (. sales qty) sum)) n))\n");
        free(head);
    }
    ddf_arena_free(arena);
}

static void test_script_dump_truncates_like_snprintf(void **state)
{
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *prog;
    char buf[8];
    size_t n;

    (void)state;
    assert_non_null(arena);
    prog = parse_ok(arena, "x = [1.5, 'a\\x01', 1e16, 0.0001, 1e-05, -0.0]\n", 0);
    assert_string_equal(dump("x = [1.5, 'a\\x01\"\\\\', 1e16, 0.0001, 1e-05, 1e22, 2.5e-7]\n"),
                        "(= x (list 1.5 \"a\\x01\\\"\\\\\" 1e+16 0.0001 1e-05 1e+22 2.5e-07))\n");
    n = ddf_script_dump_program(prog, buf, sizeof(buf));
    assert_int_equal(n, strlen("(= x (list 1.5 \"a\\x01\" 1e+16 0.0001 1e-05 (- 0.0)))\n"));
    assert_string_equal(buf, "(= x (l");
    assert_int_equal(ddf_script_dump_stmt(prog->stmts[0], NULL, 0), n - 1);
    assert_int_equal(ddf_script_dump_expr(prog->stmts[0]->assign.value, buf, 1), n - 7);
    assert_string_equal(buf, "");
    ddf_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_design_example_parses_verbatim),
        cmocka_unit_test(test_script_assignment_forms_and_their_places),
        cmocka_unit_test(test_script_operator_nodes_span_their_text_and_point_at_the_operator),
        cmocka_unit_test(test_script_precedence_and_associativity_follow_python),
        cmocka_unit_test(test_script_number_literals_parse_to_their_values),
        cmocka_unit_test(test_script_string_literals_decode_python_escapes),
        cmocka_unit_test(test_script_keywords_literals_and_names),
        cmocka_unit_test(test_script_lambdas_keep_parameters_and_the_raw_body_text),
        cmocka_unit_test(test_script_for_loops_in_every_form),
        cmocka_unit_test(test_script_imports_name_modules_and_aliases),
        cmocka_unit_test(test_script_statements_split_on_semicolons_and_lines),
        cmocka_unit_test(test_script_places_count_lines_bytes_and_offsets),
        cmocka_unit_test(test_script_tokenizer_emits_python_layout_tokens),
        cmocka_unit_test(test_script_refused_statements_are_named_at_their_keyword),
        cmocka_unit_test(test_script_refused_expressions_are_named_at_their_place),
        cmocka_unit_test(test_script_syntax_errors_say_what_was_expected),
        cmocka_unit_test(test_script_tokenizer_errors_point_at_the_bad_text),
        cmocka_unit_test(test_script_the_earliest_error_wins),
        cmocka_unit_test(test_script_incomplete_input_asks_for_more),
        cmocka_unit_test(test_script_a_repl_session_reads_until_complete),
        cmocka_unit_test(test_script_errors_render_with_the_line_and_a_caret),
        cmocka_unit_test(test_script_parse_errors_render_end_to_end),
        cmocka_unit_test(test_script_nesting_is_bounded_without_exhausting_the_stack),
        cmocka_unit_test(test_script_indentation_depth_is_bounded),
        cmocka_unit_test(test_script_source_and_token_sizes_are_bounded),
        cmocka_unit_test(test_script_wide_programs_parse),
        cmocka_unit_test(test_script_bad_arguments_are_refused),
        cmocka_unit_test_teardown(test_script_allocation_failures_fail_cleanly,
                                  ddf_test_restore_libc),
        cmocka_unit_test(test_script_realistic_report_parses),
        cmocka_unit_test(test_script_realistic_loops_and_one_liners_parse),
        cmocka_unit_test(test_script_dump_truncates_like_snprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
