/* script_lex.h - the tokenizer of the ddf script language (DESIGN §6).
 *
 * Turns script text into Python's tokens, one at a time: names (keywords included: the
 * parser tells them apart), numbers, strings, operators, and the layout tokens NEWLINE,
 * INDENT and DEDENT by Python's rules:
 *  - a NEWLINE ends each logical line that holds a token; blank and comment-only lines
 *    produce nothing, and neither does a line break inside () [] {} (implicit joining) or
 *    after a backslash (explicit joining);
 *  - at the start of a logical line the indentation is compared with a stack of open
 *    levels: deeper pushes one INDENT, shallower pops one DEDENT per level left and must
 *    land on a level that exists. A tab advances to the next multiple of 8 columns; as in
 *    Python 3, indentation whose comparison would change with another tab width (tabs and
 *    spaces mixed inconsistently) is an error;
 *  - at the end of input: a NEWLINE if the last line has tokens, a DEDENT per open level,
 *    then EOF (inside open brackets: EOF right away, which the parser reports as "never
 *    closed").
 * Literals:
 *  - integers: decimal (0, 123, 1_000; no leading zeros), 0x / 0o / 0b; must fit int64,
 *    except that 9223372036854775808 lexes as 'int_min' (INT64_MIN), which only a preceding
 *    unary minus makes valid, as in Python where -9223372036854775808 is a literal's negation;
 *  - floats: 1.5, 1e3, .5, 5., 1_0.5e-3 (out of range becomes inf or 0, as in Python);
 *    1j (complex) is an error;
 *  - strings: '..' ".." '''..''' """..""" with prefix r / R (raw) or u / U (ignored);
 *    escapes \\ \' \" \n \t \r \a \b \f \v \0-\777 (octal) \xHH \uHHHH \UHHHHHHHH and
 *    backslash-newline (skipped), decoded to UTF-8; an unknown escape such as \d keeps its
 *    backslash as Python does (regular expressions in str.contains rely on it); \N{...},
 *    f-strings and bytes literals are errors naming the construct.
 * The source must be UTF-8 without NUL bytes (checked up front, as Python decodes first);
 * a UTF-8 byte order mark at the start is skipped. Bytes >= 0x80 may appear in names.
 *
 * Errors do not stop the token stream at once: the failing call returns an ERROR token
 * whose place and message are in lx->err, and every later call returns it again, so a
 * parser looking ahead reports its own, earlier error first. */
#ifndef DDF_SCRIPT_LEX_H
#define DDF_SCRIPT_LEX_H

#include "script_ast.h"

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ddf_script_tok_kind {
    DDF_SCRIPT_TOK_EOF,
    DDF_SCRIPT_TOK_NEWLINE, /* end of a logical line (len 1 at the '\n', 0 at end of input) */
    DDF_SCRIPT_TOK_INDENT,  /* placed at the first token of the deeper line */
    DDF_SCRIPT_TOK_DEDENT,  /* placed at the first token of the shallower line, or EOF */
    DDF_SCRIPT_TOK_NAME,    /* identifier or keyword: 's', 'slen' point into the source */
    DDF_SCRIPT_TOK_INT,     /* 'i' ('int_min': spelled 2^63, see above) */
    DDF_SCRIPT_TOK_FLOAT,   /* 'f' */
    DDF_SCRIPT_TOK_STRING,  /* 's', 'slen': decoded value in the arena, NUL-terminated */
    DDF_SCRIPT_TOK_OP,      /* 'punct' */
    DDF_SCRIPT_TOK_ERROR,   /* tokenizing failed here: see the lexer's 'err' */
} ddf_script_tok_kind;

/* Every operator and delimiter of Python 3, so that the parser can name the ones the
 * language leaves out ('<<', '@', ':=', '+=', ...) instead of stumbling over them. */
#define DDF_SCRIPT_PUNCT_MAP(X)                                                             \
    X(LPAREN, "(") X(RPAREN, ")") X(LBRACKET, "[") X(RBRACKET, "]") X(LBRACE, "{")          \
    X(RBRACE, "}") X(COMMA, ",") X(COLON, ":") X(SEMI, ";") X(DOT, ".") X(ELLIPSIS, "...")  \
    X(ASSIGN, "=") X(WALRUS, ":=") X(ARROW, "->") X(AT, "@") X(PLUS, "+") X(MINUS, "-")     \
    X(STAR, "*") X(POW, "**") X(SLASH, "/") X(FLOORDIV, "//") X(PERCENT, "%") X(AMP, "&")   \
    X(PIPE, "|") X(CARET, "^") X(TILDE, "~") X(LSHIFT, "<<") X(RSHIFT, ">>") X(EQ, "==")    \
    X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") X(PLUS_EQ, "+=")              \
    X(MINUS_EQ, "-=") X(STAR_EQ, "*=") X(SLASH_EQ, "/=") X(FLOORDIV_EQ, "//=")              \
    X(PERCENT_EQ, "%=") X(POW_EQ, "**=") X(AT_EQ, "@=") X(AMP_EQ, "&=") X(PIPE_EQ, "|=")    \
    X(CARET_EQ, "^=") X(LSHIFT_EQ, "<<=") X(RSHIFT_EQ, ">>=")

typedef enum ddf_script_punct {
#define DDF_SCRIPT_PUNCT_ENUM(name, text) DDF_SCRIPT_P_##name,
    DDF_SCRIPT_PUNCT_MAP(DDF_SCRIPT_PUNCT_ENUM)
#undef DDF_SCRIPT_PUNCT_ENUM
        DDF_SCRIPT_P_COUNT
} ddf_script_punct;

typedef struct ddf_script_token {
    ddf_script_tok_kind kind;
    ddf_script_pos pos;     /* first byte */
    size_t len;             /* bytes of source text (0 for INDENT, DEDENT, EOF) */
    ddf_script_punct punct; /* OP */
    const char *s;          /* NAME: the source text; STRING: the decoded value */
    size_t slen;            /* bytes in 's' */
    int64_t i;              /* INT */
    bool int_min;           /* INT spelled 9223372036854775808: 'i' is INT64_MIN */
    double f;               /* FLOAT */
} ddf_script_token;

/* The tokenizer's state. Plain data so a parser can embed it; the fields are private to
 * script_lex.c. */
typedef struct ddf_script_lexer {
    const char *src;          /* the source, 'len' bytes, borrowed */
    size_t len;
    ddf_arena *arena;         /* decoded strings */
    size_t pos;               /* next byte to read */
    int line;                 /* line of 'pos', 1-based */
    size_t line_start;        /* offset of that line's first byte */
    bool at_line_start;       /* indentation is next */
    bool line_has_tokens;     /* a NEWLINE is due at the end of this logical line */
    int pending_dedents;      /* DEDENTs still to return, at 'pending_pos' */
    ddf_script_pos pending_pos;
    int nindents;             /* open indentation levels above column 0 */
    int indents[DDF_SCRIPT_MAX_DEPTH + 1];     /* columns, tabs to multiples of 8 */
    int alt_indents[DDF_SCRIPT_MAX_DEPTH + 1]; /* columns, a tab as 1 (Python's check) */
    int nbrackets;            /* open ( [ { */
    char brackets[DDF_SCRIPT_MAX_BRACKETS];
    ddf_script_pos bracket_pos[DDF_SCRIPT_MAX_BRACKETS];
    bool ends_with_blank_line; /* the source ends in a whitespace-only line and '\n' */
    bool failed;              /* 'err' is set; every call returns an ERROR token */
    ddf_script_error err;
} ddf_script_lexer;

/* Start tokenizing 'len' bytes of 'src' (borrowed; need not be NUL-terminated; NULL when
 * len is 0). Decoded strings are allocated in 'arena'. Checks the whole text first: over
 * DDF_SCRIPT_MAX_SOURCE_BYTES (DDF_ETOOBIG), a NUL byte or invalid UTF-8 (DDF_EPARSE) fail
 * here; the error is returned, kept in lx->err, and returned again by every
 * ddf_script_lex_next. Nothing to free: the state holds no memory of its own. */
int ddf_script_lex_init(ddf_script_lexer *lx, const char *src, size_t len, ddf_arena *arena);

/* The next token into *tok. Returns DDF_OK, or a negative code with tok->kind
 * DDF_SCRIPT_TOK_ERROR and lx->err telling why and where (err.incomplete when the input
 * ended inside a triple-quoted string or after a line-continuing backslash). After EOF,
 * EOF again. */
int ddf_script_lex_next(ddf_script_lexer *lx, ddf_script_token *tok);

/* The innermost open bracket ('(', '[' or '{') and where it is; false when none is open. */
bool ddf_script_lex_open_bracket(const ddf_script_lexer *lx, char *which, ddf_script_pos *pos);

/* The place of byte 'offset' (at most lx->len) of the source. */
ddf_script_pos ddf_script_lex_pos_at(const ddf_script_lexer *lx, size_t offset);

/* Whether the 'len' bytes at 's' are a Python 3 keyword ("for", "lambda", "True", ...). */
bool ddf_script_is_keyword(const char *s, size_t len);

/* The spelling of 'punct' ("**="), or "?". */
const char *ddf_script_punct_text(ddf_script_punct punct);

#endif
