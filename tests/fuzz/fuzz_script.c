/* fuzz_script.c - libFuzzer target for the script language's front end (client/script_*.c).
 *
 * The input is script text from a user we do not trust (a file, 'ddf -e', a REPL line). It
 * is tokenized on its own and parsed twice, as a file and as REPL input. Crashes, leaks, UB
 * and hangs are failures, and so is any broken rule (abort):
 *  - the token stream ends (EOF or an ERROR token) within a bounded number of tokens, and
 *    every token's line and column agree with its byte offset;
 *  - a failed parse has no program, a message, a code, and a place inside the text whose
 *    line and column agree with its offset (out of memory has no place);
 *  - a parsed program's every node lies inside the text, its place agrees with its offset,
 *    its children lie inside it, its depth is 1 + its deepest child's and at most
 *    DDF_SCRIPT_MAX_DEPTH; lambda bodies, attribute names, keywords and parameters too;
 *  - REPL parsing differs from file parsing only by asking for more of an unfinished
 *    'for' block: file OK => REPL OK or incomplete; REPL OK => file OK with the same dump;
 *  - the dump and the error renderer run on every outcome. */
#include "arena.h"
#include "error.h"
#include "script_ast.h"
#include "script_lex.h"
#include "script_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct text {
    const char *s;
    size_t len;
    size_t *line_starts; /* offset of each line's first byte */
    size_t nlines;
} text;

static void fail(const char *what, const text *t)
{
    fprintf(stderr, "fuzz-script: %s: %.*s\n", what, (int)(t->len > 200 ? 200 : t->len), t->s);
    abort();
}

/* Whether (line, column) is where byte 'offset' is (a line owns its '\n'; the end of the
 * text is on the last line). */
static int place_ok(const text *t, int line, int column, size_t offset)
{
    size_t start, end;

    if (line < 1 || (size_t)line > t->nlines || column < 1 || offset > t->len)
        return 0;
    start = t->line_starts[line - 1];
    end = (size_t)line < t->nlines ? t->line_starts[line] : t->len + 1;
    return offset >= start && offset < end && offset - start == (size_t)column - 1;
}

static void check_pos(const text *t, ddf_script_pos p, const char *what)
{
    if (!place_ok(t, p.line, p.column, p.offset))
        fail(what, t);
}

static void check_span(const text *t, ddf_script_pos p, size_t len, const char *what)
{
    check_pos(t, p, what);
    if (len > t->len - p.offset)
        fail(what, t);
}

/* 'child' lies inside 'parent'. */
static void check_inside(const text *t, const ddf_script_expr *parent,
                         const ddf_script_expr *child)
{
    /* a parenthesized child may start after its parent's '(' but never outside it */
    if (child->pos.offset < parent->pos.offset ||
        child->pos.offset + child->len > parent->pos.offset + parent->len)
        fail("a child outside its parent", t);
}

static unsigned check_expr(const text *t, const ddf_script_expr *e);

static unsigned child(const text *t, const ddf_script_expr *parent, const ddf_script_expr *c,
                      unsigned deepest)
{
    unsigned d;

    if (c == NULL)
        fail("a missing child", t);
    check_inside(t, parent, c);
    d = check_expr(t, c);
    return d > deepest ? d : deepest;
}

/* Check 'e' and return its depth. */
static unsigned check_expr(const text *t, const ddf_script_expr *e)
{
    unsigned deepest = 0;

    check_span(t, e->pos, e->len, "expression place");
    check_pos(t, e->op_pos, "operator place");
    switch (e->kind) {
    case DDF_SCRIPT_EXPR_NAME:
        if (e->name.len == 0 || strlen(e->name.text) != e->name.len)
            fail("a bad name", t);
        break;
    case DDF_SCRIPT_EXPR_STRING:
        if (e->string.bytes[e->string.len] != '\0')
            fail("a string without its NUL", t);
        break;
    case DDF_SCRIPT_EXPR_INT: case DDF_SCRIPT_EXPR_FLOAT: case DDF_SCRIPT_EXPR_BOOL:
    case DDF_SCRIPT_EXPR_NONE:
        break;
    case DDF_SCRIPT_EXPR_LIST: case DDF_SCRIPT_EXPR_TUPLE:
        for (size_t k = 0; k < e->seq.n; k++)
            deepest = child(t, e, e->seq.items[k], deepest);
        break;
    case DDF_SCRIPT_EXPR_DICT:
        for (size_t k = 0; k < e->dict.n; k++) {
            deepest = child(t, e, e->dict.keys[k], deepest);
            deepest = child(t, e, e->dict.values[k], deepest);
        }
        break;
    case DDF_SCRIPT_EXPR_UNARY:
        deepest = child(t, e, e->unary.operand, deepest);
        break;
    case DDF_SCRIPT_EXPR_BINARY: case DDF_SCRIPT_EXPR_BOOLOP: case DDF_SCRIPT_EXPR_COMPARE:
        if (e->binary.op == DDF_SCRIPT_OP_NONE || e->binary.op >= DDF_SCRIPT_OP_COUNT)
            fail("a bad operator", t);
        deepest = child(t, e, e->binary.left, deepest);
        deepest = child(t, e, e->binary.right, deepest);
        break;
    case DDF_SCRIPT_EXPR_ATTRIBUTE:
        check_pos(t, e->attribute.name_pos, "attribute name place");
        if (strlen(e->attribute.name) != e->attribute.name_len)
            fail("a bad attribute name", t);
        deepest = child(t, e, e->attribute.value, deepest);
        break;
    case DDF_SCRIPT_EXPR_CALL:
        deepest = child(t, e, e->call.func, deepest);
        for (size_t k = 0; k < e->call.nargs; k++)
            deepest = child(t, e, e->call.args[k], deepest);
        for (size_t k = 0; k < e->call.nkeywords; k++) {
            check_pos(t, e->call.keywords[k].pos, "keyword place");
            for (size_t j = 0; j < k; j++)
                if (strcmp(e->call.keywords[j].name, e->call.keywords[k].name) == 0)
                    fail("a repeated keyword", t);
            deepest = child(t, e, e->call.keywords[k].value, deepest);
        }
        break;
    case DDF_SCRIPT_EXPR_SUBSCRIPT:
        deepest = child(t, e, e->subscript.value, deepest);
        deepest = child(t, e, e->subscript.index, deepest);
        break;
    case DDF_SCRIPT_EXPR_LAMBDA:
        if (e->lambda.nparams == 0)
            fail("a lambda without parameters", t);
        for (size_t k = 0; k < e->lambda.nparams; k++)
            check_pos(t, e->lambda.params[k].pos, "parameter place");
        check_span(t, e->lambda.body_pos, e->lambda.body_len, "lambda body place");
        if (e->lambda.body->pos.offset < e->lambda.body_pos.offset ||
            e->lambda.body->pos.offset + e->lambda.body->len >
                e->lambda.body_pos.offset + e->lambda.body_len)
            fail("a lambda body outside its raw text", t);
        deepest = child(t, e, e->lambda.body, deepest);
        break;
    case DDF_SCRIPT_EXPR_IFEXP:
        deepest = child(t, e, e->ifexp.test, deepest);
        deepest = child(t, e, e->ifexp.body, deepest);
        deepest = child(t, e, e->ifexp.orelse, deepest);
        break;
    default:
        fail("a bad expression kind", t);
    }
    if (e->depth != deepest + 1 || e->depth > DDF_SCRIPT_MAX_DEPTH)
        fail("a wrong or unbounded depth", t);
    return e->depth;
}

static void check_stmts(const text *t, ddf_script_stmt *const *stmts, size_t n, int nesting)
{
    if (nesting > DDF_SCRIPT_MAX_DEPTH)
        fail("'for' loops nested too deep", t);
    for (size_t k = 0; k < n; k++) {
        const ddf_script_stmt *s = stmts[k];

        check_span(t, s->pos, s->len, "statement place");
        switch (s->kind) {
        case DDF_SCRIPT_STMT_EXPR:
            check_expr(t, s->expr.value);
            break;
        case DDF_SCRIPT_STMT_ASSIGN:
            check_expr(t, s->assign.target);
            check_expr(t, s->assign.value);
            check_pos(t, s->assign.op_pos, "'=' place");
            if (s->assign.target->kind != DDF_SCRIPT_EXPR_NAME &&
                s->assign.target->kind != DDF_SCRIPT_EXPR_SUBSCRIPT &&
                s->assign.target->kind != DDF_SCRIPT_EXPR_TUPLE)
                fail("a bad assignment target", t);
            break;
        case DDF_SCRIPT_STMT_FOR:
            check_expr(t, s->loop.target);
            check_expr(t, s->loop.iter);
            if (s->loop.nbody == 0)
                fail("a 'for' without a body", t);
            check_stmts(t, s->loop.body, s->loop.nbody, nesting + 1);
            break;
        case DDF_SCRIPT_STMT_IMPORT:
            if (s->import.nnames == 0)
                fail("an import of nothing", t);
            for (size_t j = 0; j < s->import.nnames; j++)
                check_pos(t, s->import.names[j].pos, "import place");
            break;
        case DDF_SCRIPT_STMT_PASS:
            break;
        default:
            fail("a bad statement kind", t);
        }
    }
}

static void check_error(const text *t, int rc, const ddf_script_program *prog,
                        const ddf_script_error *err)
{
    char buf[1024];

    if (prog != NULL || err->code != rc || err->message[0] == '\0')
        fail("an error without its code or message", t);
    if (rc == DDF_ENOMEM)
        return;
    if (!place_ok(t, err->line, err->column, err->offset))
        fail("an error placed outside the text or in the wrong column", t);
    ddf_script_format_error(buf, sizeof(buf), t->s, t->len, "fuzz", err->line, err->column,
                            err->message);
}

/* Tokenize to the end: bounded, and every place right. */
static void check_tokens(const text *t, ddf_arena *arena)
{
    ddf_script_lexer *lx = malloc(sizeof(*lx));
    ddf_script_token tok;
    size_t budget = 4 * t->len + 2 * DDF_SCRIPT_MAX_DEPTH + 16;

    if (lx == NULL)
        abort();
    if (ddf_script_lex_init(lx, t->s, t->len, arena) == DDF_OK) {
        for (;;) {
            if (budget-- == 0)
                fail("the token stream does not end", t);
            if (ddf_script_lex_next(lx, &tok) < 0) {
                if (tok.kind != DDF_SCRIPT_TOK_ERROR || lx->err.message[0] == '\0')
                    fail("a tokenizer error without its token", t);
                break;
            }
            if (!place_ok(t, tok.pos.line, tok.pos.column, tok.pos.offset) ||
                tok.len > t->len - tok.pos.offset)
                fail("a token placed wrong", t);
            if (tok.kind == DDF_SCRIPT_TOK_EOF)
                break;
        }
    }
    free(lx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dump_file[1 << 16], dump_repl[1 << 16];
    ddf_arena *arena = ddf_arena_new();
    ddf_script_program *file = NULL, *repl = NULL;
    ddf_script_error ferr, rerr;
    text t;
    int frc, rrc;

    if (arena == NULL)
        abort();
    t.s = (const char *)data;
    t.len = size;
    t.line_starts = malloc((size + 1) * sizeof(*t.line_starts));
    if (t.line_starts == NULL)
        abort();
    t.nlines = 0;
    t.line_starts[t.nlines++] = 0;
    for (size_t k = 0; k < size; k++)
        if (data[k] == '\n')
            t.line_starts[t.nlines++] = k + 1;

    check_tokens(&t, arena);
    frc = ddf_script_parse(t.s, size, 0, arena, &file, &ferr);
    rrc = ddf_script_parse(t.s, size, DDF_SCRIPT_PARSE_INTERACTIVE, arena, &repl, &rerr);
    if (frc < 0)
        check_error(&t, frc, file, &ferr);
    else
        check_stmts(&t, file->stmts, file->nstmts, 0);
    if (rrc < 0)
        check_error(&t, rrc, repl, &rerr);
    else
        check_stmts(&t, repl->stmts, repl->nstmts, 0);
    if (frc == DDF_OK && rrc < 0 && !rerr.incomplete)
        fail("a file parses but the same REPL input fails for good", &t);
    if (rrc == DDF_OK) {
        if (frc != DDF_OK)
            fail("REPL input parses but the same file does not", &t);
        ddf_script_dump_program(file, dump_file, sizeof(dump_file));
        ddf_script_dump_program(repl, dump_repl, sizeof(dump_repl));
        if (strcmp(dump_file, dump_repl) != 0)
            fail("REPL and file parse the same text differently", &t);
    }
    free(t.line_starts);
    ddf_arena_free(arena);
    return 0;
}
