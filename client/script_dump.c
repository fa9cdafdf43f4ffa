/* script_dump.c - the script front end's text output: a tree as S-expressions (for tests
 * and debugging; forms in script_ast.h) and an error with its source line and a caret.
 *
 * Both write into a caller's buffer the way snprintf does: as much as fits, always
 * NUL-terminated, returning the length the whole text needs. The dump recurses over the
 * tree, whose depth the parser bounds (DDF_SCRIPT_MAX_DEPTH). */
#include "script_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct outbuf {
    char *buf;
    size_t cap;
    size_t len; /* bytes the whole text needs so far */
} outbuf;

static void out_init(outbuf *o, char *buf, size_t cap)
{
    o->buf = buf;
    o->cap = cap;
    o->len = 0;
    if (cap > 0)
        buf[0] = '\0';
}

static void put(outbuf *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
    if (o->cap > 0)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
}

static void puts_(outbuf *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(outbuf *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *const op_texts[] = {
#define DDF_SCRIPT_OP_TEXT(name, text) text,
    DDF_SCRIPT_OP_MAP(DDF_SCRIPT_OP_TEXT)
#undef DDF_SCRIPT_OP_TEXT
};

const char *ddf_script_op_text(ddf_script_op op)
{
    if ((unsigned)op >= DDF_SCRIPT_OP_COUNT)
        return "?";
    return op_texts[op];
}

/* The dump's name of an operator: its spelling, with '-' for the space of "not in". */
static void put_op(outbuf *o, ddf_script_op op)
{
    const char *t = ddf_script_op_text(op);

    for (; *t; t++)
        put(o, *t == ' ' ? "-" : t, 1);
}

/* A double as Python's repr writes it: the fewest digits that read back the same, in
 * fixed notation for exponents -4..15 and with '.0' when integral, else as 1e+16. */
static void put_float(outbuf *o, double f)
{
    char tmp[48];
    int prec, exp10;

    if (f != f) {
        puts_(o, "nan");
        return;
    }
    if (f > 1.7976931348623157e308 || f < -1.7976931348623157e308) {
        puts_(o, f > 0 ? "inf" : "-inf");
        return;
    }
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    exp10 = atoi(strchr(tmp, 'e') + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = prec - exp10 > 0 ? prec - exp10 : 0;
        snprintf(tmp, sizeof(tmp), "%.*f", decimals, f);
        puts_(o, tmp);
        if (decimals == 0)
            puts_(o, ".0");
        return;
    }
    puts_(o, tmp);
}

/* A string literal in double quotes, C-escaped; bytes >= 0x80 (UTF-8) as they are. */
static void put_string(outbuf *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        switch (c) {
        case '"': puts_(o, "\\\""); break;
        case '\\': puts_(o, "\\\\"); break;
        case '\n': puts_(o, "\\n"); break;
        case '\t': puts_(o, "\\t"); break;
        case '\r': puts_(o, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                putf(o, "\\x%02x", c);
            else
                put(o, (const char *)&s[k], 1);
        }
    }
    put(o, "\"", 1);
}

static void dump_expr(outbuf *o, const ddf_script_expr *e)
{
    switch (e->kind) {
    case DDF_SCRIPT_EXPR_NAME:
        put(o, e->name.text, e->name.len);
        break;
    case DDF_SCRIPT_EXPR_INT:
        putf(o, "%lld", (long long)e->int_value);
        break;
    case DDF_SCRIPT_EXPR_FLOAT:
        put_float(o, e->float_value);
        break;
    case DDF_SCRIPT_EXPR_STRING:
        put_string(o, e->string.bytes, e->string.len);
        break;
    case DDF_SCRIPT_EXPR_BOOL:
        puts_(o, e->bool_value ? "True" : "False");
        break;
    case DDF_SCRIPT_EXPR_NONE:
        puts_(o, "None");
        break;
    case DDF_SCRIPT_EXPR_LIST:
    case DDF_SCRIPT_EXPR_TUPLE:
        puts_(o, e->kind == DDF_SCRIPT_EXPR_LIST ? "(list" : "(tuple");
        for (size_t k = 0; k < e->seq.n; k++) {
            put(o, " ", 1);
            dump_expr(o, e->seq.items[k]);
        }
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_DICT:
        puts_(o, "(dict");
        for (size_t k = 0; k < e->dict.n; k++) {
            put(o, " (", 2);
            dump_expr(o, e->dict.keys[k]);
            put(o, " ", 1);
            dump_expr(o, e->dict.values[k]);
            put(o, ")", 1);
        }
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_UNARY:
        put(o, "(", 1);
        put_op(o, e->unary.op);
        put(o, " ", 1);
        dump_expr(o, e->unary.operand);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_BINARY:
    case DDF_SCRIPT_EXPR_BOOLOP:
    case DDF_SCRIPT_EXPR_COMPARE:
        put(o, "(", 1);
        put_op(o, e->binary.op);
        put(o, " ", 1);
        dump_expr(o, e->binary.left);
        put(o, " ", 1);
        dump_expr(o, e->binary.right);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_ATTRIBUTE:
        puts_(o, "(. ");
        dump_expr(o, e->attribute.value);
        put(o, " ", 1);
        put(o, e->attribute.name, e->attribute.name_len);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_CALL:
        puts_(o, "(call ");
        dump_expr(o, e->call.func);
        for (size_t k = 0; k < e->call.nargs; k++) {
            put(o, " ", 1);
            dump_expr(o, e->call.args[k]);
        }
        for (size_t k = 0; k < e->call.nkeywords; k++) {
            puts_(o, " (= ");
            put(o, e->call.keywords[k].name, e->call.keywords[k].name_len);
            put(o, " ", 1);
            dump_expr(o, e->call.keywords[k].value);
            put(o, ")", 1);
        }
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_SUBSCRIPT:
        puts_(o, "([] ");
        dump_expr(o, e->subscript.value);
        put(o, " ", 1);
        dump_expr(o, e->subscript.index);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_LAMBDA:
        puts_(o, "(lambda (");
        for (size_t k = 0; k < e->lambda.nparams; k++) {
            if (k > 0)
                put(o, " ", 1);
            put(o, e->lambda.params[k].name, e->lambda.params[k].name_len);
        }
        puts_(o, ") ");
        dump_expr(o, e->lambda.body);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_EXPR_IFEXP:
        puts_(o, "(if ");
        dump_expr(o, e->ifexp.test);
        put(o, " ", 1);
        dump_expr(o, e->ifexp.body);
        put(o, " ", 1);
        dump_expr(o, e->ifexp.orelse);
        put(o, ")", 1);
        break;
    }
}

static void dump_alias(outbuf *o, const ddf_script_alias *a)
{
    put(o, " ", 1);
    if (a->asname == NULL) {
        put(o, a->name, a->name_len);
        return;
    }
    puts_(o, "(as ");
    put(o, a->name, a->name_len);
    put(o, " ", 1);
    put(o, a->asname, a->asname_len);
    put(o, ")", 1);
}

static void dump_stmt(outbuf *o, const ddf_script_stmt *s)
{
    switch (s->kind) {
    case DDF_SCRIPT_STMT_EXPR:
        puts_(o, "(expr ");
        dump_expr(o, s->expr.value);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_STMT_ASSIGN:
        puts_(o, "(= ");
        dump_expr(o, s->assign.target);
        put(o, " ", 1);
        dump_expr(o, s->assign.value);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_STMT_FOR:
        puts_(o, "(for ");
        dump_expr(o, s->loop.target);
        put(o, " ", 1);
        dump_expr(o, s->loop.iter);
        for (size_t k = 0; k < s->loop.nbody; k++) {
            put(o, " ", 1);
            dump_stmt(o, s->loop.body[k]);
        }
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_STMT_IMPORT:
        if (s->import.module) {
            puts_(o, "(from ");
            put(o, s->import.module, s->import.module_len);
        } else {
            puts_(o, "(import");
        }
        for (size_t k = 0; k < s->import.nnames; k++)
            dump_alias(o, &s->import.names[k]);
        put(o, ")", 1);
        break;
    case DDF_SCRIPT_STMT_PASS:
        puts_(o, "(pass)");
        break;
    }
}

size_t ddf_script_dump_expr(const ddf_script_expr *expr, char *buf, size_t cap)
{
    outbuf o;

    out_init(&o, buf, cap);
    dump_expr(&o, expr);
    return o.len;
}

size_t ddf_script_dump_stmt(const ddf_script_stmt *stmt, char *buf, size_t cap)
{
    outbuf o;

    out_init(&o, buf, cap);
    dump_stmt(&o, stmt);
    return o.len;
}

size_t ddf_script_dump_program(const ddf_script_program *program, char *buf, size_t cap)
{
    outbuf o;

    out_init(&o, buf, cap);
    for (size_t k = 0; k < program->nstmts; k++) {
        dump_stmt(&o, program->stmts[k]);
        put(&o, "\n", 1);
    }
    return o.len;
}

size_t ddf_script_format_error(char *buf, size_t cap, const char *source, size_t source_len,
                               const char *filename, int line, int column,
                               const char *message)
{
    size_t start = 0, end, width;
    outbuf o;
    int l;

    out_init(&o, buf, cap);
    if (!filename)
        filename = "<script>";
    if (!message)
        message = "";
    if (!source) {
        source = "";
        source_len = 0;
    }
    if (line < 1) {
        puts_(&o, filename);
        puts_(&o, ": ");
        puts_(&o, message);
        put(&o, "\n", 1);
        return o.len;
    }
    /* Find the line; one past the last shows as empty. */
    for (l = 1; l < line && start <= source_len; l++) {
        const char *nl = start < source_len ? memchr(source + start, '\n', source_len - start)
                                            : NULL;
        start = nl ? (size_t)(nl - source) + 1 : source_len + 1;
    }
    if (start > source_len) {
        start = end = source_len;
    } else {
        const char *nl = memchr(source + start, '\n', source_len - start);
        end = nl ? (size_t)(nl - source) : source_len;
    }
    {
        /* the header counts characters, as the caret line does: a UTF-8 character is one
         * column, whatever its bytes */
        int chars = 1;

        for (size_t b = start; b < end && b < start + (size_t)(column > 0 ? column - 1 : 0); b++)
            chars += ((unsigned char)source[b] & 0xC0) != 0x80;
        if (column > 0 && (size_t)(column - 1) > end - start)
            chars += (int)((size_t)(column - 1) - (end - start));
        puts_(&o, filename);
        putf(&o, ":%d:%d: ", line, column > 0 ? chars : column);
        puts_(&o, message);
        put(&o, "\n", 1);
    }
    if (end > start && source[end - 1] == '\r')
        end--; /* a CRLF line's '\r' is not shown */
    puts_(&o, "    ");
    put(&o, source + start, end - start);
    put(&o, "\n", 1);
    puts_(&o, "    ");
    width = column > 1 ? (size_t)column - 1 : 0;
    if (width > end - start)
        width = end - start;
    for (size_t k = start; k < start + width; k++) {
        unsigned char c = (unsigned char)source[k];
        if (c == '\t')
            put(&o, "\t", 1);
        else if ((c & 0xc0) != 0x80) /* one space per character: skip continuation bytes */
            put(&o, " ", 1);
    }
    puts_(&o, "^\n");
    return o.len;
}
