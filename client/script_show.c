/* script_show.c - showing a script's values through the printer (format.h): what an
 * expression statement and print(...) write.
 *
 * Lazy values are computed here, and only as much as the format needs: in table format a
 * long frame or series fetches its first DDF_FORMAT_MAX_ROWS + 1 rows and, when there are
 * more, its last DDF_FORMAT_EDGE_ROWS and its length; in csv and json every row is
 * streamed a partition at a time, so `ddf --format csv -e 'df'` works on any size as a
 * Unix filter. */
#include "script_int.h"

#include "alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sv_series_table(ddf_script_session *s, ddf_script_pos pos, const sv *series, int64_t n,
                    bool head, bool all, ddf_table **out, int64_t *start);
int sv_sorted_table(ddf_script_session *s, ddf_script_pos pos, const sv *sorted,
                    ddf_table **out);

static int printed(ddf_script_session *s, ddf_script_pos pos, int rc, const ddf_error *err)
{
    if (rc == DDF_OK) return DDF_OK;
    return sv_fail(s, pos, rc, "%s", err->msg[0] ? err->msg : "cannot write the output");
}

/* ---- text forms of values the printer has no kind for ------------------------------------ */

typedef sv_text repr_buf;

static void add(repr_buf *b, const char *s, size_t n)
{
    sv_text_put(b, s, n);
}

static void adds(repr_buf *b, const char *s)
{
    sv_text_put(b, s, strlen(s));
}

/* Python's repr() of a value, as far as a script can hold it. */
static void repr(repr_buf *b, const sv *v, int depth)
{
    char buf[64];

    if (depth > DDF_SCRIPT_MAX_DEPTH) {
        adds(b, "...");
        return;
    }
    switch (v->kind) {
    case SV_NONE: adds(b, "None"); break;
    case SV_BOOL: adds(b, v->b ? "True" : "False"); break;
    case SV_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)v->i);
        adds(b, buf);
        break;
    case SV_FLOAT:
        ddf_format_repr_double(v->f, buf);
        adds(b, buf);
        break;
    case SV_STR:
        add(b, "'", 1);
        for (size_t i = 0; i < v->s.len; i++) {
            char c = v->s.p[i];

            if (c == '\'' || c == '\\') add(b, "\\", 1);
            if (c == '\n') adds(b, "\\n");
            else if (c == '\t') adds(b, "\\t");
            else add(b, &c, 1);
        }
        add(b, "'", 1);
        break;
    case SV_LIST:
        adds(b, v->list.tuple ? "(" : "[");
        for (size_t i = 0; i < v->list.n; i++) {
            if (i) adds(b, ", ");
            repr(b, v->list.items[i], depth + 1);
        }
        if (v->list.tuple && v->list.n == 1) adds(b, ",");
        adds(b, v->list.tuple ? ")" : "]");
        break;
    case SV_DICT:
        adds(b, "{");
        for (size_t i = 0; i < v->dict.n; i++) {
            if (i) adds(b, ", ");
            repr(b, v->dict.keys[i], depth + 1);
            adds(b, ": ");
            repr(b, v->dict.values[i], depth + 1);
        }
        adds(b, "}");
        break;
    case SV_GROUPBY:
        adds(b, "<");
        adds(b, sv_kind_name(v));
        adds(b, " by [");
        for (size_t k = 0; k < v->groupby.nkeys; k++) {
            if (k) adds(b, ", ");
            add(b, "'", 1);
            adds(b, v->groupby.keys[k]);
            add(b, "'", 1);
        }
        adds(b, "]>");
        break;
    case SV_SERIES:
        adds(b, "<Series ");
        adds(b, v->series.name ? v->series.name : "(unnamed)");
        adds(b, ">");
        break;
    case SV_LAMBDA: adds(b, "<function <lambda>>"); break;
    case SV_MODULE: adds(b, "<module>"); break;
    case SV_FUNC: adds(b, "<built-in function>"); break;
    default:
        adds(b, "<");
        adds(b, sv_kind_name(v));
        adds(b, ">");
        break;
    }
}

static int show_text(ddf_script_session *s, ddf_script_pos pos, const sv *v)
{
    repr_buf b = {0};
    ddf_scalar sc;
    ddf_error err;
    int rc;

    repr(&b, v, 0);
    if (b.oom) {
        ddf_free(b.p);
        return sv_oom(s);
    }
    sc = ddf_scalar_str(b.p ? b.p : "", b.len);
    rc = ddf_print_scalar(s->printer, &sc, &err);
    ddf_free(b.p);
    return printed(s, pos, rc, &err);
}

/* ---- scalars and lists ------------------------------------------------------------------- */

static ddf_scalar to_scalar(const sv *v)
{
    switch (v->kind) {
    case SV_BOOL: return ddf_scalar_bool(v->b);
    case SV_INT: return ddf_scalar_i64(v->i);
    case SV_FLOAT: return ddf_scalar_f64(v->f);
    case SV_STR: return ddf_scalar_str(v->s.p, v->s.len);
    default: return ddf_scalar_null();
    }
}

static int show_list(ddf_script_session *s, ddf_script_pos pos, const sv *v)
{
    ddf_scalar *items;
    ddf_error err;
    int rc;

    for (size_t i = 0; i < v->list.n; i++)
        if (!sv_is_scalar(v->list.items[i])) return show_text(s, pos, v);
    /* a tuple reads as Python writes it, (8, 7); csv and json have lists only */
    if (v->list.tuple && ddf_printer_kind(s->printer) == DDF_FORMAT_TABLE)
        return show_text(s, pos, v);
    items = ddf_calloc(v->list.n ? v->list.n : 1, sizeof *items);
    if (items == NULL) return sv_oom(s);
    for (size_t i = 0; i < v->list.n; i++)
        items[i] = to_scalar(v->list.items[i]);
    rc = ddf_print_list(s->printer, items, v->list.n, v->list.index ? DDF_LIST_INDEX : 0, &err);
    ddf_free(items);
    return printed(s, pos, rc, &err);
}

/* ---- frames and series ------------------------------------------------------------------- */

typedef struct stream {
    ddf_script_session *s;
    ddf_printer *p;
    bool series, begun;
    const char *name;
    ddf_error err;
} stream;

static int stream_begin_from(stream *st, const ddf_table *t)
{
    ddf_schema *schema;
    int rc;

    if (st->series)
        return ddf_print_series_begin(st->p, st->name, t->columns[0].dtype, 0, &st->err);
    schema = ddf_schema_new();
    if (schema == NULL) return ddf_error_setf(&st->err, DDF_ENOMEM, "out of memory");
    rc = DDF_OK;
    for (size_t c = 0; c < t->ncols && rc == DDF_OK; c++)
        rc = ddf_schema_add(schema, t->names[c], strlen(t->names[c]), t->columns[c].dtype, 0);
    if (rc == DDF_OK) rc = ddf_print_frame_begin(st->p, schema, &st->err);
    else ddf_error_setf(&st->err, rc, "out of memory");
    ddf_schema_free(schema);
    return rc;
}

static int stream_part(void *arg, uint64_t index, ddf_table *part)
{
    stream *st = arg;
    int rc = DDF_OK;

    (void)index;
    if (!st->begun) {
        rc = stream_begin_from(st, part);
        st->begun = rc == DDF_OK;
    }
    if (rc == DDF_OK)
        rc = st->series ? ddf_print_series_rows(st->p, part, 0, &st->err)
                        : ddf_print_frame_rows(st->p, part, &st->err);
    ddf_table_free(part);
    return rc;
}

/* Every row of 'f' (one column named 'name' when 'series') streamed to the printer. */
static int stream_all(ddf_script_session *s, ddf_script_pos pos, ddf_frame *f, bool series,
                      const char *name)
{
    stream st = {s, s->printer, series, false, name, {0}};
    ddf_error err;
    int rc;

    ddf_error_init(&st.err);
    rc = ddf_frame_collect_each(f, stream_part, &st, &err);
    if (rc < 0) {
        /* the printer's failure, or the cluster's */
        if (st.err.code < 0) return sv_fail(s, pos, st.err.code, "%s", st.err.msg);
        return sv_fail_ddf(s, pos, &err);
    }
    if (!st.begun) {
        const ddf_schema *schema = ddf_frame_schema(f);

        rc = series ? ddf_print_series_begin(s->printer, name,
                                             ddf_schema_storage_dtype(schema, 0), 0, &st.err)
                    : ddf_print_frame_begin(s->printer, schema, &st.err);
        if (rc < 0) return printed(s, pos, rc, &st.err);
    }
    rc = series ? ddf_print_series_end(s->printer, &st.err) : ddf_print_frame_end(s->printer, &st.err);
    return printed(s, pos, rc, &st.err);
}

static int show_view(ddf_script_session *s, ddf_script_pos pos, const ddf_frame_view *view,
                     bool series, const char *name)
{
    ddf_error err;
    int rc = series ? ddf_print_series(s->printer, view, name, &err)
                    : ddf_print_table(s->printer, view, &err);

    return printed(s, pos, rc, &err);
}

static int show_frame(ddf_script_session *s, ddf_script_pos pos, ddf_frame *f)
{
    ddf_table *head = NULL, *tail = NULL;
    ddf_frame_view view = {0};
    ddf_error err;
    int64_t rows = 0;
    int rc;

    if (ddf_printer_kind(s->printer) != DDF_FORMAT_TABLE) return stream_all(s, pos, f, false, NULL);
    rc = ddf_frame_head(f, DDF_FORMAT_MAX_ROWS + 1, &head, &err);
    if (rc == DDF_OK && head->nrows > DDF_FORMAT_MAX_ROWS) {
        rc = ddf_frame_tail(f, DDF_FORMAT_EDGE_ROWS, &tail, &err);
        if (rc == DDF_OK) rc = ddf_frame_count(f, &rows, &err);
    }
    if (rc < 0) {
        ddf_table_free(head);
        ddf_table_free(tail);
        return sv_fail_ddf(s, pos, &err);
    }
    view.table = head;
    view.tail = tail;
    view.nrows = (uint64_t)rows;
    rc = show_view(s, pos, &view, false, NULL);
    ddf_table_free(head);
    ddf_table_free(tail);
    return rc;
}

static int show_series(ddf_script_session *s, ddf_script_pos pos, const sv *series)
{
    ddf_table *head = NULL, *tail = NULL;
    ddf_frame_view view = {0};
    int64_t start, rows = 0;
    int rc;

    if (ddf_printer_kind(s->printer) != DDF_FORMAT_TABLE) {
        ddf_frame *frame = series->series.frame->frame.frame, *owned = NULL, *one = NULL;
        const char *col = series->series.column;
        ddf_error err;

        if (col == NULL) {
            col = "__ddf_series__";
            rc = ddf_frame_assign(frame, col, series->series.expr, &owned, &err);
            if (rc < 0) return sv_fail_ddf(s, pos, &err);
            frame = owned;
        }
        rc = ddf_frame_select(frame, &col, 1, &one, &err);
        if (rc < 0) rc = sv_fail_ddf(s, pos, &err);
        else rc = stream_all(s, pos, one, true, series->series.name);
        ddf_frame_free(one);
        ddf_frame_free(owned);
        return rc;
    }
    rc = sv_series_table(s, pos, series, DDF_FORMAT_MAX_ROWS + 1, true, false, &head, &start);
    if (rc == DDF_OK && head->nrows > DDF_FORMAT_MAX_ROWS) {
        rc = sv_series_table(s, pos, series, DDF_FORMAT_EDGE_ROWS, false, false, &tail, &start);
        rows = start + (tail ? (int64_t)tail->nrows : 0);
    }
    if (rc < 0) {
        ddf_table_free(head);
        return rc;
    }
    view.table = head;
    view.tail = tail;
    view.nrows = (uint64_t)rows;
    rc = show_view(s, pos, &view, true, series->series.name);
    ddf_table_free(head);
    ddf_table_free(tail);
    return rc;
}

static int show_value(ddf_script_session *s, ddf_script_pos pos, sv *v, bool none_too)
{
    ddf_frame_view view = {0};
    ddf_scalar sc;
    ddf_error err;
    int rc;

    switch (v->kind) {
    case SV_NONE:
        if (!none_too) return DDF_OK;
        /* fall through */
    case SV_BOOL:
    case SV_INT:
    case SV_FLOAT:
    case SV_STR:
        sc = to_scalar(v);
        rc = ddf_print_scalar(s->printer, &sc, &err);
        return printed(s, pos, rc, &err);
    case SV_LIST: return show_list(s, pos, v);
    case SV_FRAME: return show_frame(s, pos, v->frame.frame);
    case SV_SERIES: return show_series(s, pos, v);
    case SV_RESULT:
        view.table = v->result.table;
        view.nkeys = v->result.nkeys;
        view.start = v->result.start;
        view.hide_key_names = v->result.hide_key_names;
        return show_view(s, pos, &view, v->result.series, v->result.name);
    case SV_SORTED: {
        ddf_table *t = NULL;

        rc = sv_sorted_table(s, pos, v, &t);
        if (rc < 0) return rc;
        view.table = t;
        rc = show_view(s, pos, &view, false, NULL);
        ddf_table_free(t);
        return rc;
    }
    default: return show_text(s, pos, v);
    }
}

int sv_show(ddf_script_session *s, ddf_script_pos pos, sv *v)
{
    return show_value(s, pos, v, false);
}

int sv_print_call(ddf_script_session *s, ddf_script_pos pos, sv **args, size_t n)
{
    ddf_error err;
    int rc = ddf_print_call_begin(s->printer, &err);

    if (rc < 0) return printed(s, pos, rc, &err);
    for (size_t i = 0; i < n && rc == DDF_OK; i++)
        rc = show_value(s, pos, args[i], true);
    if (rc < 0) return rc;
    rc = ddf_print_call_end(s->printer, &err);
    return printed(s, pos, rc, &err);
}
