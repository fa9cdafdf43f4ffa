/* format_table.c - the table format of frames and series: the text pandas 1.5 prints for
 * print(df) and print(series) in a script with display.max_columns = 20.
 *
 * This is a port of pandas/io/formats/format.py (DataFrameFormatter, SeriesFormatter,
 * FloatArrayFormatter, _make_fixed_width, _trim_zeros_float), string.py
 * (StringFormatter: dots, _join_multiline, _binify), printing.py (adjoin, justify) and
 * the index formatting of core/indexes (Index.format, RangeIndex, MultiIndex.format,
 * sparsify_labels, trim_front). The pandas function a piece follows is named above it;
 * its quirks are kept, since the point is that the text is the same.
 *
 * Text is built as "cells" (fstr: bytes, byte length, width in code points) in one arena
 * per call, then laid out line by line. Only the rows pandas shows are formatted: every
 * row of a short frame, or the first and last DDF_FORMAT_EDGE_ROWS of a long one, which
 * is also what pandas formats (it cuts the frame first), so column widths and float
 * layouts depend on the shown rows alone, as in pandas.
 *
 * Our dtypes as pandas holds them (format.h): int64 with a null is float64, bool with a
 * null is object, string is object. */
#include "format_int.h"

#include "arena.h"

#include <math.h>
#include <string.h>

/* A piece of text and its display width (code points). */
typedef struct fstr {
    const char *s;
    size_t len; /* bytes */
    size_t w;   /* code points */
} fstr;

/* A column of text, with room for the dot row and header rows pandas inserts. */
typedef struct scol {
    fstr *v;
    size_t n;
} scol;

typedef enum just { JUST_LEFT, JUST_RIGHT, JUST_CENTER } just;

/* pandas' dtype of a column of ours. */
typedef enum pkind {
    PK_INT,   /* int64 without nulls */
    PK_FLOAT, /* float64, or int64 with a null */
    PK_BOOL,  /* bool without nulls */
    PK_OBJ,   /* string, or bool with a null */
} pkind;

static const char *const pkind_dtype[] = {"int64", "float64", "bool", "object"};

/* The rows shown: all, or the first and last DDF_FORMAT_EDGE_ROWS. */
typedef struct shown {
    const ddf_table *t[2 * DDF_FORMAT_EDGE_ROWS]; /* when cut: the table of shown row i */
    size_t r[2 * DDF_FORMAT_EDGE_ROWS];           /* and its row there */
    const ddf_table *head;
    size_t n;         /* rows shown */
    bool cut;         /* truncated: pandas' is_truncated_vertically */
    uint64_t total;   /* rows of the whole frame */
    int64_t start;    /* range index label of row 0 */
} shown;

/* One rendering: the arena its text lives in and whether an allocation failed. */
typedef struct ctx {
    ddf_arena *arena;
    bool oom;
    const ddf_frame_view *v;
    const bool *nulls;
    shown sh;
} ctx;

/* ---- rows ---- */

static void shown_init(shown *sh, const ddf_frame_view *v)
{
    const ddf_table *t = v->table;

    memset(sh, 0, sizeof *sh);
    sh->head = t;
    sh->start = v->start;
    if (v->tail != NULL) {
        sh->total = v->nrows;
        sh->cut = true;
    } else {
        sh->total = t->nrows;
        sh->cut = t->nrows > DDF_FORMAT_MAX_ROWS;
    }
    if (!sh->cut) {
        sh->n = t->nrows;
        return;
    }
    for (size_t i = 0; i < DDF_FORMAT_EDGE_ROWS; i++) {
        const ddf_table *tail = v->tail ? v->tail : t;

        sh->t[i] = t;
        sh->r[i] = i;
        sh->t[DDF_FORMAT_EDGE_ROWS + i] = tail;
        sh->r[DDF_FORMAT_EDGE_ROWS + i] = tail->nrows - DDF_FORMAT_EDGE_ROWS + i;
    }
    sh->n = 2 * DDF_FORMAT_EDGE_ROWS;
}

static const ddf_column *row_col(const shown *sh, size_t i, size_t c, size_t *row)
{
    if (!sh->cut) {
        *row = i;
        return &sh->head->columns[c];
    }
    *row = sh->r[i];
    return &sh->t[i]->columns[c];
}

/* The range index label of shown row i. */
static int64_t row_label(const shown *sh, size_t i)
{
    if (sh->cut && i >= DDF_FORMAT_EDGE_ROWS)
        return sh->start + (int64_t)(sh->total - 2 * DDF_FORMAT_EDGE_ROWS) + (int64_t)i;
    return sh->start + (int64_t)i;
}

static pkind col_kind(const ctx *x, size_t c)
{
    const ddf_frame_view *v = x->v;
    bool has_null = x->nulls ? x->nulls[c]
                             : v->table->columns[c].null_count > 0 ||
                                   (v->tail && v->tail->columns[c].null_count > 0);

    switch (v->table->columns[c].dtype) {
    case DDF_DTYPE_INT64:
        return has_null ? PK_FLOAT : PK_INT;
    case DDF_DTYPE_BOOL:
        return has_null ? PK_OBJ : PK_BOOL;
    case DDF_DTYPE_FLOAT64:
        return PK_FLOAT;
    default:
        return PK_OBJ;
    }
}

/* ---- text pieces ---- */

static fstr lit(const char *s)
{
    fstr f = {s, strlen(s), ddf_fmt_width(s, strlen(s))};
    return f;
}

static char *xalloc(ctx *x, size_t n)
{
    char *m = ddf_arena_alloc(x->arena, n ? n : 1);

    if (m == NULL)
        x->oom = true;
    return m;
}

static fstr make(ctx *x, const char *s, size_t len)
{
    char *m = xalloc(x, len + 1);

    if (m == NULL)
        return lit("");
    memcpy(m, s, len);
    m[len] = '\0';
    return (fstr){m, len, ddf_fmt_width(m, len)};
}

/* pprint_thing(s, escape_chars=("\t", "\r", "\n")), after 'prefix'. */
static fstr escaped(ctx *x, const char *prefix, const char *s, size_t len)
{
    size_t plen = strlen(prefix), k = plen, extra = 0;
    char *m;

    for (size_t i = 0; i < len; i++)
        extra += s[i] == '\t' || s[i] == '\r' || s[i] == '\n';
    m = xalloc(x, plen + len + extra + 1);
    if (m == NULL)
        return lit("");
    memcpy(m, prefix, plen);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\t' || c == '\r' || c == '\n') {
            m[k++] = '\\';
            m[k++] = c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
        } else {
            m[k++] = c;
        }
    }
    m[k] = '\0';
    return (fstr){m, k, ddf_fmt_width(m, k)};
}

static fstr escaped_name(ctx *x, const char *prefix, const char *name)
{
    return escaped(x, prefix, name, strlen(name));
}

/* Python's str.ljust / rjust / center to 'width'. */
static fstr pad(ctx *x, fstr f, size_t width, just mode)
{
    size_t marg, left;
    char *m;

    if (f.w >= width)
        return f;
    marg = width - f.w;
    left = mode == JUST_LEFT ? 0 : mode == JUST_RIGHT ? marg : marg / 2 + (marg & width & 1);
    m = xalloc(x, f.len + marg + 1);
    if (m == NULL)
        return f;
    memset(m, ' ', left);
    memcpy(m + left, f.s, f.len);
    memset(m + left + f.len, ' ', marg - left);
    m[f.len + marg] = '\0';
    return (fstr){m, f.len + marg, width};
}

/* The first 'w' code points of f, then "...". */
static fstr cut_dots(ctx *x, fstr f, size_t w)
{
    size_t i = 0;
    char *m;

    for (size_t k = 0; k < w && i < f.len; k++) {
        uint32_t cp;
        size_t n = ddf_fmt_utf8_next(f.s + i, f.len - i, &cp);

        i += n ? n : 1;
    }
    m = xalloc(x, i + 4);
    if (m == NULL)
        return f;
    memcpy(m, f.s, i);
    memcpy(m + i, "...", 4);
    return (fstr){m, i + 3, w + 3};
}

static size_t max_width(const fstr *v, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++)
        if (v[i].w > w)
            w = v[i].w;
    return w;
}

/* format.py _make_fixed_width: justify to the widest (at least 'minimum'), but no wider
 * than display.max_colwidth, cutting longer text to end in "...". */
static void make_fixed_width(ctx *x, fstr *v, size_t n, just mode, size_t minimum)
{
    size_t max_len = max_width(v, n);

    if (n == 0)
        return;
    if (minimum > max_len)
        max_len = minimum;
    if (max_len > DDF_FORMAT_MAX_COLWIDTH)
        max_len = DDF_FORMAT_MAX_COLWIDTH;
    for (size_t i = 0; i < n; i++) {
        if (v[i].w > max_len)
            v[i] = cut_dots(x, v[i], max_len - 3);
        v[i] = pad(x, v[i], max_len, mode);
    }
}

/* base.py trim_front: drop leading spaces all the strings share. */
static void trim_front(fstr *v, size_t n)
{
    for (;;) {
        for (size_t i = 0; i < n; i++)
            if (v[i].len == 0 || v[i].s[0] != ' ')
                return;
        for (size_t i = 0; i < n; i++) {
            v[i].s++;
            v[i].len--;
            v[i].w--;
        }
        if (n == 0)
            return;
    }
}

/* ---- numbers (FloatArrayFormatter, IntArrayFormatter) ---- */

/* _trim_zeros_float's is_number_with_decimal: ^\s*[\+-]?[0-9]+\.[0-9]*$ */
static bool number_with_decimal(const fstr *f)
{
    size_t i = 0, d = 0;

    while (i < f->len && f->s[i] == ' ')
        i++;
    if (i < f->len && (f->s[i] == '+' || f->s[i] == '-'))
        i++;
    while (i < f->len && f->s[i] >= '0' && f->s[i] <= '9')
        i++, d++;
    if (d == 0 || i >= f->len || f->s[i] != '.')
        return false;
    for (i++; i < f->len; i++)
        if (f->s[i] < '0' || f->s[i] > '9')
            return false;
    return true;
}

/* format.py _trim_zeros_float: drop trailing zeros from all numbers with a decimal point
 * while every one of them ends in 0, then put one 0 back after a bare point. Strings were
 * allocated with a spare byte for that 0. */
static void trim_zeros(fstr *v, size_t n)
{
    for (;;) {
        size_t numbers = 0;
        bool all_zero = true;

        for (size_t i = 0; i < n; i++)
            if (number_with_decimal(&v[i])) {
                numbers++;
                all_zero = all_zero && v[i].s[v[i].len - 1] == '0';
            }
        if (numbers == 0 || !all_zero)
            break;
        for (size_t i = 0; i < n; i++)
            if (number_with_decimal(&v[i])) {
                v[i].len--;
                v[i].w--;
            }
    }
    for (size_t i = 0; i < n; i++)
        if (number_with_decimal(&v[i]) && v[i].s[v[i].len - 1] == '.') {
            ((char *)v[i].s)[v[i].len] = '0';
            v[i].len++;
            v[i].w++;
        }
}

/* Format vals[] (na[i]: missing) with printf's 'conv' ('f' or 'e') at display.precision,
 * then trim zeros. */
static void floats_with(ctx *x, fstr *out, const double *vals, const bool *na, size_t n,
                        bool leading, char conv, const char *na_rep)
{
    char fmt[8], buf[512];

    snprintf(fmt, sizeof fmt, "%%%s.*%c", leading ? " " : "", conv);
    for (size_t i = 0; i < n; i++) {
        if (na[i]) {
            out[i] = lit(na_rep);
            continue;
        }
        /* fmt is one of four fixed formats (-Wformat-nonliteral is off) */
        int k = snprintf(buf, sizeof buf, fmt, DDF_FORMAT_PRECISION, vals[i]);
        char *m = xalloc(x, (size_t)(k > 0 ? k : 0) + 2); /* a spare byte for a 0 */

        if (m == NULL || k < 0 || (size_t)k >= sizeof buf) {
            out[i] = lit("");
            continue;
        }
        memcpy(m, buf, (size_t)k + 1);
        out[i] = (fstr){m, (size_t)k, (size_t)k};
    }
    trim_zeros(out, n);
}

/* FloatArrayFormatter.get_result_as_array with fixed_width: fixed notation at 6
 * decimals, trimmed; scientific when a value is under 1e-6 (and not 0) or when a value
 * is over 1e6 and some formatted value is longer than digits + 6. */
static void float_strings(ctx *x, fstr *out, const double *vals, const bool *na, size_t n,
                          bool leading, just mode)
{
    const char *na_rep = mode == JUST_LEFT ? " NaN" : "NaN";
    bool large = false, small = false;

    floats_with(x, out, vals, na, n, leading, 'f', na_rep);
    for (size_t i = 0; i < n; i++) {
        double a = fabs(vals[i]);

        if (na[i])
            continue;
        large = large || a > 1e6;
        small = small || (a < 1e-6 && a > 0);
    }
    if (small || (max_width(out, n) > DDF_FORMAT_PRECISION + 6 && large))
        floats_with(x, out, vals, na, n, leading, 'e', na_rep);
}

/* format.py format_array of shown column 'c' as pandas dtype 'k', including its final
 * _make_fixed_width. 'leading': the leading space pandas gives values next to an index. */
static fstr *format_array(ctx *x, size_t c, pkind k, bool leading, just mode)
{
    const shown *sh = &x->sh;
    size_t n = sh->n;
    fstr *out = ddf_arena_calloc(x->arena, n ? n : 1, sizeof(fstr));
    double *vals = ddf_arena_calloc(x->arena, n ? n : 1, sizeof(double));
    bool *na = ddf_arena_calloc(x->arena, n ? n : 1, sizeof(bool));

    if (out == NULL || vals == NULL || na == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r;
        const ddf_column *col = row_col(sh, i, c, &r);
        bool valid = ddf_column_is_valid(col, r);
        char buf[32];
        const char *s;
        size_t len;

        switch (k) {
        case PK_INT:
            snprintf(buf, sizeof buf, leading ? "% lld" : "%lld", (long long)col->values.i64[r]);
            out[i] = make(x, buf, strlen(buf));
            break;
        case PK_BOOL:
            out[i] = lit(col->values.b8[r] ? (leading ? " True" : "True")
                                           : (leading ? " False" : "False"));
            break;
        case PK_FLOAT:
            vals[i] = col->dtype == DDF_DTYPE_INT64 ? (double)col->values.i64[r]
                                                    : col->values.f64[r];
            na[i] = !valid || isnan(vals[i]);
            break;
        case PK_OBJ:
            if (!valid)
                out[i] = lit(leading ? " NaN" : "NaN");
            else if (col->dtype == DDF_DTYPE_BOOL)
                out[i] = lit(col->values.b8[r] ? (leading ? " True" : "True")
                                               : (leading ? " False" : "False"));
            else {
                s = ddf_column_str(col, r, &len);
                out[i] = escaped(x, leading ? " " : "", s, len);
            }
            break;
        }
    }
    if (k == PK_FLOAT)
        float_strings(x, out, vals, na, n, leading, mode);
    make_fixed_width(x, out, n, mode, 0);
    return out;
}

/* ---- the index ---- */

/* The labels of index level 'c' (a key column) as Index.format gives them: numbers via
 * format_array left-justified with trim_front, anything else (object) as pprint_thing,
 * nulls NaN. */
static fstr *level_labels(ctx *x, size_t c)
{
    const shown *sh = &x->sh;
    pkind k = col_kind(x, c);
    fstr *out;

    if (k == PK_INT || k == PK_FLOAT) {
        out = format_array(x, c, k, true, JUST_LEFT);
        if (out)
            trim_front(out, sh->n);
        return out;
    }
    out = ddf_arena_calloc(x->arena, sh->n ? sh->n : 1, sizeof(fstr));
    if (out == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < sh->n; i++) {
        size_t r, len;
        const ddf_column *col = row_col(sh, i, c, &r);
        const char *s;

        if (!ddf_column_is_valid(col, r))
            out[i] = lit("NaN");
        else if (col->dtype == DDF_DTYPE_BOOL)
            out[i] = lit(col->values.b8[r] ? "True" : "False");
        else {
            s = ddf_column_str(col, r, &len);
            out[i] = escaped(x, "", s, len);
        }
    }
    return out;
}

/* The labels of a range index: RangeIndex._format_with_header (left-justified to the
 * wider of the first and last) when whole, Int64Index's (format_array, trim_front) once
 * cut into head and tail. */
static fstr *range_labels(ctx *x)
{
    const shown *sh = &x->sh;
    fstr *out = ddf_arena_calloc(x->arena, sh->n ? sh->n : 1, sizeof(fstr));
    size_t width = 0;

    if (out == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < sh->n; i++) {
        char buf[32];

        snprintf(buf, sizeof buf, sh->cut ? "% lld" : "%lld", (long long)row_label(sh, i));
        out[i] = make(x, buf, strlen(buf));
    }
    if (!sh->cut) {
        if (sh->n > 0)
            width = out[0].w > out[sh->n - 1].w ? out[0].w : out[sh->n - 1].w;
        for (size_t i = 0; i < sh->n; i++)
            out[i] = pad(x, out[i], width, JUST_LEFT);
        return out;
    }
    make_fixed_width(x, out, sh->n, JUST_LEFT, 0);
    trim_front(out, sh->n);
    return out;
}

/* multi.py sparsify_labels: blank a level's label when it and every level before it
 * repeat the row above; the last level always shows. Rows before 'start' (the names)
 * stay. Bottom-up, so each row is compared with the row above as it was. */
static void sparsify(scol *levels, size_t nlevels, size_t start)
{
    size_t n = levels[0].n;

    for (size_t r = n; r-- > start + 1;)
        for (size_t l = 0; l + 1 < nlevels; l++) {
            const fstr *a = &levels[l].v[r - 1], *b = &levels[l].v[r];

            if (a->len != b->len || memcmp(a->s, b->s, a->len) != 0)
                break;
            levels[l].v[r] = lit("");
        }
}

/* printing.py adjoin: glue columns side by side, each but the last left-justified to
 * its width + 'space', the last to its own width; shorter columns padded with spaces.
 * Returns the lines (as many as the longest column) in *nlines. */
static fstr *adjoin(ctx *x, const scol *cols, size_t ncols, size_t space, size_t *nlines)
{
    size_t *lengths = ddf_arena_calloc(x->arena, ncols ? ncols : 1, sizeof(size_t));
    size_t n = 0, total = 0;
    fstr *lines;

    *nlines = 0;
    if (lengths == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < ncols; i++) {
        lengths[i] = max_width(cols[i].v, cols[i].n) + (i + 1 < ncols ? space : 0);
        if (cols[i].n > n)
            n = cols[i].n;
    }
    lines = ddf_arena_calloc(x->arena, n ? n : 1, sizeof(fstr));
    if (lines == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t j = 0; j < n; j++) {
        size_t bytes = 0, k = 0;
        char *m;

        for (size_t i = 0; i < ncols; i++)
            bytes += lengths[i] + (j < cols[i].n ? cols[i].v[j].len : 0);
        m = xalloc(x, bytes + 1);
        if (m == NULL)
            return NULL;
        total = 0;
        for (size_t i = 0; i < ncols; i++) {
            const fstr *f = j < cols[i].n ? &cols[i].v[j] : NULL;
            size_t w = f ? f->w : 0;

            if (f) {
                memcpy(m + k, f->s, f->len);
                k += f->len;
            }
            if (lengths[i] > w) {
                memset(m + k, ' ', lengths[i] - w);
                k += lengths[i] - w;
            }
            total += w > lengths[i] ? w : lengths[i];
        }
        m[k] = '\0';
        lines[j] = (fstr){m, k, total};
    }
    *nlines = n;
    return lines;
}

static void put_lines(ddf_printer *p, const fstr *lines, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (j)
            ddf_fmt_putc(p, '\n');
        ddf_fmt_put(p, lines[j].s, lines[j].len);
    }
}

/* A list of 'n' copies of 's' (and room for one more). */
static scol repeat(ctx *x, const char *s, size_t n)
{
    scol c = {ddf_arena_calloc(x->arena, n + 1, sizeof(fstr)), n};

    if (c.v == NULL) {
        x->oom = true;
        c.n = 0;
        return c;
    }
    for (size_t i = 0; i < n; i++)
        c.v[i] = lit(s);
    return c;
}

/* A list of 'n' empty cells, with room for one more (a dot row). */
static scol scol_new(ctx *x, size_t n)
{
    return repeat(x, "", n);
}

static void scol_insert(scol *c, size_t at, fstr f)
{
    memmove(c->v + at + 1, c->v + at, (c->n - at) * sizeof(fstr));
    c->v[at] = f;
    c->n++;
}

/* The levels of a keyed index: per key column, its name (when 'names') then its labels;
 * several levels are sparsified as MultiIndex.format does. */
static scol *key_levels(ctx *x, bool names)
{
    const ddf_frame_view *v = x->v;
    size_t nh = names ? 1 : 0;
    scol *levels = ddf_arena_calloc(x->arena, v->nkeys, sizeof(scol));

    if (levels == NULL) {
        x->oom = true;
        return NULL;
    }
    for (size_t k = 0; k < v->nkeys; k++) {
        fstr *labels = level_labels(x, k);

        levels[k] = scol_new(x, nh + x->sh.n);
        if (labels == NULL || x->oom)
            return NULL;
        if (names)
            levels[k].v[0] = v->hide_key_names ? lit("") : escaped_name(x, "", v->table->names[k]);
        memcpy(levels[k].v + nh, labels, x->sh.n * sizeof(fstr));
        for (size_t i = 0; v->nkeys > 1 && i < x->sh.n; i++) {
            /* MultiIndex.format: a missing label is "NaN" as it is, after the level's
             * other labels are laid out (format.h: pandas' layout differs here) */
            size_t r;
            const ddf_column *col = row_col(&x->sh, i, k, &r);

            if (!ddf_column_is_valid(col, r) ||
                (col->dtype == DDF_DTYPE_FLOAT64 && isnan(col->values.f64[r])))
                levels[k].v[nh + i] = lit("NaN");
        }
    }
    if (v->nkeys > 1)
        sparsify(levels, v->nkeys, nh);
    return levels;
}

/* DataFrameFormatter._get_formatted_index: the index column, header rows included. */
static scol frame_index(ctx *x, bool show_names)
{
    const ddf_frame_view *v = x->v;
    size_t nlevels = v->nkeys ? v->nkeys : 1, nlines;
    scol *levels, out = {0};
    fstr *lines;

    if (v->nkeys == 0) {
        levels = ddf_arena_calloc(x->arena, 1, sizeof(scol));
        if (levels == NULL) {
            x->oom = true;
            return out;
        }
        levels[0].v = range_labels(x);
        levels[0].n = x->sh.n;
        if (levels[0].v == NULL)
            return out;
    } else {
        levels = key_levels(x, show_names);
        if (levels == NULL)
            return out;
    }
    for (size_t l = 0; l < nlevels; l++)
        make_fixed_width(x, levels[l].v, levels[l].n, JUST_LEFT, 0);
    lines = adjoin(x, levels, nlevels, 1, &nlines);
    out = scol_new(x, nlines + 1);
    if (lines == NULL || out.v == NULL)
        return (scol){0};
    memcpy(out.v + 1, lines, nlines * sizeof(fstr)); /* out.v[0]: the columns' header row */
    return out;
}

/* ---- empty frames ---- */

/* str() of a key cell, as pprint_thing of an Index element shows it: a null is NaN
 * ("nan"), an int64 key holding a null is a float64 one. */
static void put_label_str(ddf_printer *p, const ddf_column *col, size_t r, bool as_float)
{
    ddf_scalar s = ddf_scalar_from_column(col, r);

    if (s.dtype == DDF_DTYPE_NULL)
        s = ddf_scalar_f64(NAN);
    else if (s.dtype == DDF_DTYPE_INT64 && as_float)
        s = ddf_scalar_f64((double)s.v.i64);
    ddf_fmt_py_str(p, &s);
}

/* StringFormatter._empty_info_line: no rows or no columns. The Index line lists the
 * labels of the first 100 rows (display.max_seq_items) the view holds. */
static void empty_frame(ctx *x, ddf_printer *p)
{
    const ddf_frame_view *v = x->v;
    const ddf_table *t = v->table;
    size_t ndata = t->ncols - v->nkeys, nlabels;

    ddf_fmt_puts(p, "Empty DataFrame\nColumns: [");
    for (size_t c = 0; c < ndata && c < 100; c++) {
        if (c)
            ddf_fmt_puts(p, ", ");
        ddf_fmt_puts(p, t->names[v->nkeys + c]);
    }
    ddf_fmt_puts(p, ndata > 100 ? ", ...]\nIndex: [" : "]\nIndex: [");
    nlabels = x->sh.total < 100 ? (size_t)x->sh.total : 100;
    if (v->nkeys > 0 && nlabels > t->nrows)
        nlabels = t->nrows;
    for (size_t r = 0; r < nlabels; r++) {
        if (r)
            ddf_fmt_puts(p, ", ");
        if (v->nkeys == 0) {
            ddf_fmt_printf(p, "%lld", (long long)(v->start + (int64_t)r));
            continue;
        }
        if (v->nkeys > 1)
            ddf_fmt_putc(p, '(');
        for (size_t k = 0; k < v->nkeys; k++) {
            if (k)
                ddf_fmt_puts(p, ", ");
            put_label_str(p, &t->columns[k], r, col_kind(x, k) == PK_FLOAT);
        }
        if (v->nkeys > 1)
            ddf_fmt_putc(p, ')');
    }
    ddf_fmt_puts(p, x->sh.total > nlabels ? ", ...]" : "]");
    if (x->sh.total > DDF_FORMAT_MAX_ROWS || ndata > DDF_FORMAT_MAX_COLUMNS)
        ddf_fmt_printf(p, "\n\n[%llu rows x %zu columns]", (unsigned long long)x->sh.total,
                       ndata);
}

/* ---- frames ---- */

/* string.py _binify: where to wrap columns of 'widths' into lines of 'line_width'.
 * Fills bins[] (the column each block ends before) and returns how many. */
static size_t binify(const size_t *widths, size_t n, long line_width, size_t *bins)
{
    long curr = 0;
    size_t nbins = 0;

    for (size_t i = 0; i < n; i++) {
        long wa = (long)widths[i] + 1;
        bool wrap;

        curr += wa;
        wrap = i > 0 && curr + (i + 1 == n ? 1 : 2) > line_width;
        if (wrap) {
            bins[nbins++] = i;
            curr = wa;
        }
    }
    bins[nbins++] = n;
    return nbins;
}

/* string.py _join_multiline: the index then as many columns as fit in display.width,
 * block after block, blocks but the last ending in a column of " \". */
static int join_multiline(ctx *x, ddf_printer *p, scol *cols, size_t ncols)
{
    size_t nrows = x->sh.cut ? 2 * DDF_FORMAT_EDGE_ROWS + 1 : x->sh.n;
    size_t *widths = ddf_arena_calloc(x->arena, ncols, sizeof(size_t));
    size_t *bins = ddf_arena_calloc(x->arena, ncols + 1, sizeof(size_t));
    scol *row = ddf_arena_calloc(x->arena, ncols + 2, sizeof(scol));
    long lwidth = DDF_FORMAT_WIDTH - (long)max_width(cols[0].v, cols[0].n) - 1;
    size_t nbins, start = 0;

    if (widths == NULL || bins == NULL || row == NULL)
        return DDF_ENOMEM;
    for (size_t i = 1; i < ncols; i++)
        widths[i - 1] = max_width(cols[i].v, cols[i].n);
    nbins = binify(widths, ncols - 1, lwidth, bins);
    for (size_t b = 0; b < nbins; b++) {
        size_t end = bins[b], k = 0, nlines;
        fstr *lines;

        row[k++] = cols[0];
        for (size_t i = start; i < end; i++)
            row[k++] = cols[1 + i];
        if (nbins > 1) {
            row[k] = repeat(x, b + 1 < nbins ? "  " : " ", nrows);
            if (b + 1 < nbins && nrows > 0)
                row[k].v[0] = lit(" \\");
            k++;
        }
        lines = adjoin(x, row, k, 1, &nlines);
        if (lines == NULL || x->oom)
            return DDF_ENOMEM;
        if (b)
            ddf_fmt_puts(p, "\n\n");
        put_lines(p, lines, nlines);
        start = end;
    }
    return DDF_OK;
}

/* pandas' is_numeric_dtype of a column's pandas dtype: the header of a numeric column
 * gets a leading space. */
static bool numeric(pkind k)
{
    return k != PK_OBJ;
}

/* DataFrameFormatter._get_formatted_column_labels' need_leadsp, quirk included: it zips
 * the shown columns' names with the dtypes of the frame's first columns (not the shown
 * ones), and a dict keyed by name keeps the last of equal names. */
static bool header_leading_space(ctx *x, const size_t *shown_cols, size_t nshow, size_t j)
{
    const ddf_table *t = x->v->table;
    const char *name = t->names[shown_cols[j]];
    bool lead = false;

    for (size_t i = 0; i < nshow; i++)
        if (strcmp(t->names[shown_cols[i]], name) == 0)
            lead = numeric(col_kind(x, x->v->nkeys + i));
    return lead;
}

/* The text of a frame (DataFrameFormatter + StringFormatter.to_string), no final
 * newline. */
static int render_frame(ctx *x, ddf_printer *p)
{
    const ddf_frame_view *v = x->v;
    const ddf_table *t = v->table;
    size_t ndata = t->ncols - v->nkeys, nshow, ncols, nhdr;
    bool cut_h = ndata > DDF_FORMAT_MAX_COLUMNS, show_names = v->nkeys > 0 && !v->hide_key_names;
    size_t half = DDF_FORMAT_MAX_COLUMNS / 2, shown_cols[DDF_FORMAT_MAX_COLUMNS];
    scol *cols;

    if (x->sh.total == 0 || ndata == 0) {
        empty_frame(x, p);
        return DDF_OK;
    }
    nshow = cut_h ? DDF_FORMAT_MAX_COLUMNS : ndata;
    for (size_t j = 0; j < nshow; j++)
        shown_cols[j] = v->nkeys + (cut_h && j >= half ? ndata - DDF_FORMAT_MAX_COLUMNS + j : j);
    nhdr = show_names ? 2 : 1;
    cols = ddf_arena_calloc(x->arena, nshow + 2, sizeof(scol));
    if (cols == NULL)
        return DDF_ENOMEM;
    cols[0] = frame_index(x, show_names);
    if (x->oom || cols[0].v == NULL)
        return DDF_ENOMEM;
    ncols = 1;
    for (size_t j = 0; j < nshow; j++) {
        size_t c = shown_cols[j], hw, ml;
        pkind k = col_kind(x, c);
        fstr *vals = format_array(x, c, k, true, JUST_RIGHT);
        scol col = scol_new(x, nhdr + x->sh.n);

        if (vals == NULL || x->oom)
            return DDF_ENOMEM;
        col.v[0] = escaped_name(x, header_leading_space(x, shown_cols, nshow, j) ? " " : "",
                                t->names[c]);
        hw = col.v[0].w; /* the index-name row's cell is "" */
        make_fixed_width(x, vals, x->sh.n, JUST_RIGHT, hw);
        ml = max_width(vals, x->sh.n);
        if (hw > ml)
            ml = hw;
        for (size_t h = 0; h < nhdr; h++)
            col.v[h] = pad(x, col.v[h], ml, JUST_RIGHT);
        memcpy(col.v + nhdr, vals, x->sh.n * sizeof(fstr));
        cols[ncols++] = col;
    }
    if (x->oom)
        return DDF_ENOMEM;
    /* StringFormatter._insert_dot_separators */
    if (cut_h) {
        memmove(cols + half + 2, cols + half + 1, (ncols - half - 1) * sizeof(scol));
        cols[half + 1] = repeat(x, " ...", cols[0].n);
        ncols++;
    }
    if (x->sh.cut) {
        size_t row_num = DDF_FORMAT_EDGE_ROWS;

        for (size_t ix = 0; ix < ncols; ix++) {
            bool dot_col = cut_h && ix == half + 1;
            size_t cw = cols[ix].v[row_num].w;
            fstr dots = lit(cw > 3 || dot_col ? "..." : "..");

            if (dot_col)
                cw = 4;
            scol_insert(&cols[ix], row_num + nhdr,
                        pad(x, dots, cw, ix == 0 ? JUST_LEFT : JUST_RIGHT));
        }
    }
    if (x->oom || join_multiline(x, p, cols, ncols) < 0)
        return DDF_ENOMEM;
    if (x->sh.cut || cut_h)
        ddf_fmt_printf(p, "\n\n[%llu rows x %zu columns]", (unsigned long long)x->sh.total,
                       ndata);
    return DDF_OK;
}

/* ---- series ---- */

/* SeriesFormatter._get_footer: Name (if any), Length (if cut), dtype. */
static void series_footer(ctx *x, ddf_printer *p, const char *name)
{
    if (name != NULL) {
        fstr f = escaped_name(x, "Name: ", name);

        ddf_fmt_put(p, f.s, f.len);
        ddf_fmt_puts(p, ", ");
    }
    if (x->sh.cut)
        ddf_fmt_printf(p, "Length: %llu, ", (unsigned long long)x->sh.total);
    ddf_fmt_puts(p, "dtype: ");
    ddf_fmt_puts(p, pkind_dtype[col_kind(x, x->v->nkeys)]);
}

/* SeriesFormatter._get_formatted_index: the header line at [0] then the labels;
 * *have_header says whether pandas prints that line. */
static scol series_index(ctx *x, bool *have_header)
{
    const ddf_frame_view *v = x->v;
    scol out = scol_new(x, x->sh.n + 1), *levels;
    fstr *labels, *lines;
    size_t nlines;

    *have_header = false;
    if (out.v == NULL)
        return out;
    if (v->nkeys <= 1) {
        labels = v->nkeys ? level_labels(x, 0) : range_labels(x);
        if (labels == NULL)
            return (scol){0};
        out.v[0] = v->nkeys && !v->hide_key_names ? escaped_name(x, "", v->table->names[0])
                                                  : lit("");
        *have_header = v->nkeys && !v->hide_key_names;
        memcpy(out.v + 1, labels, x->sh.n * sizeof(fstr));
        return out;
    }
    /* MultiIndex.format(names=True): sparsified, adjoined with 2 spaces */
    levels = key_levels(x, true);
    if (levels == NULL)
        return (scol){0};
    lines = adjoin(x, levels, v->nkeys, 2, &nlines);
    if (lines == NULL)
        return (scol){0};
    memcpy(out.v, lines, nlines * sizeof(fstr));
    for (size_t k = 0; k < v->nkeys && !v->hide_key_names; k++)
        *have_header = *have_header || v->table->names[k][0] != '\0';
    return out;
}

/* SeriesFormatter.to_string, no final newline. */
static int render_series(ctx *x, ddf_printer *p, const char *name)
{
    bool have_header;
    scol cols[2];
    fstr *vals, *lines;
    size_t nlines;

    if (x->sh.total == 0) {
        ddf_fmt_puts(p, "Series([], ");
        series_footer(x, p, name);
        ddf_fmt_putc(p, ')');
        return DDF_OK;
    }
    cols[0] = series_index(x, &have_header);
    vals = format_array(x, x->v->nkeys, col_kind(x, x->v->nkeys), true, JUST_RIGHT);
    cols[1] = scol_new(x, x->sh.n);
    if (x->oom || vals == NULL || cols[0].v == NULL)
        return DDF_ENOMEM;
    memcpy(cols[1].v, vals, x->sh.n * sizeof(fstr));
    if (x->sh.cut) {
        size_t row_num = DDF_FORMAT_EDGE_ROWS, width = cols[1].v[row_num - 1].w;

        scol_insert(&cols[1], row_num, pad(x, lit(width > 3 ? "..." : ".."), width, JUST_CENTER));
        scol_insert(&cols[0], row_num + 1, lit(""));
    }
    cols[0].v++; /* the labels, without the header line */
    cols[0].n--;
    lines = adjoin(x, cols, 2, 3, &nlines);
    if (lines == NULL || x->oom)
        return DDF_ENOMEM;
    if (have_header) {
        ddf_fmt_put(p, cols[0].v[-1].s, cols[0].v[-1].len);
        ddf_fmt_putc(p, '\n');
    }
    put_lines(p, lines, nlines);
    ddf_fmt_putc(p, '\n');
    series_footer(x, p, name);
    return DDF_OK;
}

/* ---- entry points ---- */

static int render(ddf_printer *p, const ddf_frame_view *v, const bool *nulls, bool series,
                  const char *name, ddf_error *err)
{
    ctx x = {.arena = ddf_arena_new(), .v = v, .nulls = nulls};
    int rc;

    if (x.arena == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory printing a %s",
                              series ? "series" : "table");
    shown_init(&x.sh, v);
    rc = series ? render_series(&x, p, name) : render_frame(&x, p);
    if (rc < 0 || x.oom)
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory printing a %s",
                            series ? "series" : "table");
    ddf_arena_free(x.arena);
    return rc;
}

int ddf_fmt_table_frame(ddf_printer *p, const ddf_frame_view *v, const bool *nulls,
                        ddf_error *err)
{
    return render(p, v, nulls, false, NULL, err);
}

int ddf_fmt_table_series(ddf_printer *p, const ddf_frame_view *v, const bool *nulls,
                         const char *name, ddf_error *err)
{
    return render(p, v, nulls, true, name, err);
}
