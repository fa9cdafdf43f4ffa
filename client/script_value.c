/* script_value.c - the values of a running script (script_int.h): made, shared by
 * reference count, and freed with everything they hold (a frame value frees its libddf
 * frame, a series drops its frame, a result frees its table). */
#include "script_int.h"

#include "alloc.h"

#include <string.h>

sv *sv_new(sv_kind kind)
{
    sv *v = ddf_calloc(1, sizeof *v);

    if (v != NULL) {
        v->kind = kind;
        v->refs = 1;
    }
    return v;
}

sv *sv_ref(sv *v)
{
    if (v != NULL) v->refs++;
    return v;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ddf_free(names[i]);
    ddf_free(names);
}

void sv_unref(sv *v)
{
    if (v == NULL || --v->refs > 0) return;
    switch (v->kind) {
    case SV_STR:
        ddf_free(v->s.p);
        break;
    case SV_LIST:
        for (size_t i = 0; i < v->list.n; i++)
            sv_unref(v->list.items[i]);
        ddf_free(v->list.items);
        break;
    case SV_DICT:
        for (size_t i = 0; i < v->dict.n; i++) {
            sv_unref(v->dict.keys[i]);
            sv_unref(v->dict.values[i]);
        }
        ddf_free(v->dict.keys);
        ddf_free(v->dict.values);
        break;
    case SV_FRAME:
        ddf_frame_free(v->frame.frame);
        break;
    case SV_SERIES:
        sv_unref(v->series.frame);
        ddf_free(v->series.expr);
        ddf_free(v->series.name);
        ddf_free(v->series.column);
        break;
    case SV_GROUPBY:
        sv_unref(v->groupby.frame);
        free_names(v->groupby.keys, v->groupby.nkeys);
        free_names(v->groupby.cols, v->groupby.ncols);
        break;
    case SV_RESULT:
        ddf_table_free(v->result.table);
        ddf_free(v->result.name);
        break;
    case SV_SORTED:
        sv_unref(v->sorted.frame);
        free_names(v->sorted.by, v->sorted.nby);
        ddf_free(v->sorted.ascending);
        break;
    case SV_LAMBDA:
        ddf_arena_free(v->lambda.arena);
        break;
    case SV_STRACC:
        sv_unref(v->stracc.series);
        break;
    default:
        break;
    }
    ddf_free(v);
}

sv *sv_none(void)
{
    return sv_new(SV_NONE);
}

sv *sv_bool(bool b)
{
    sv *v = sv_new(SV_BOOL);

    if (v) v->b = b;
    return v;
}

sv *sv_int(int64_t i)
{
    sv *v = sv_new(SV_INT);

    if (v) v->i = i;
    return v;
}

sv *sv_float(double f)
{
    sv *v = sv_new(SV_FLOAT);

    if (v) v->f = f;
    return v;
}

sv *sv_str(const char *p, size_t len)
{
    sv *v = sv_new(SV_STR);

    if (v == NULL) return NULL;
    v->s.p = ddf_malloc(len + 1);
    if (v->s.p == NULL) {
        ddf_free(v);
        return NULL;
    }
    if (len) memcpy(v->s.p, p, len);
    v->s.p[len] = '\0';
    v->s.len = len;
    return v;
}

sv *sv_frame(ddf_frame *frame)
{
    sv *v = sv_new(SV_FRAME);

    if (v == NULL) {
        ddf_frame_free(frame);
        return NULL;
    }
    v->frame.frame = frame;
    return v;
}

sv *sv_result(ddf_table *table, size_t nkeys, bool series, const char *name)
{
    sv *v = sv_new(SV_RESULT);

    if (v == NULL || (name != NULL && (v->result.name = ddf_strdup(name)) == NULL)) {
        ddf_free(v);
        ddf_table_free(table);
        return NULL;
    }
    v->result.table = table;
    v->result.nkeys = nkeys;
    v->result.series = series;
    return v;
}

const char *sv_kind_name(const sv *v)
{
    switch (v->kind) {
    case SV_NONE: return "NoneType";
    case SV_BOOL: return "bool";
    case SV_INT: return "int";
    case SV_FLOAT: return "float";
    case SV_STR: return "str";
    case SV_LIST: return v->list.tuple ? "tuple" : v->list.index ? "Index" : "list";
    case SV_DICT: return "dict";
    case SV_FRAME: return "DataFrame";
    case SV_SERIES: return "Series";
    case SV_GROUPBY: return v->groupby.one ? "SeriesGroupBy" : "DataFrameGroupBy";
    case SV_RESULT: return v->result.series ? "Series" : "DataFrame";
    case SV_SORTED: return "DataFrame";
    case SV_LAMBDA: return "function";
    case SV_MODULE: return "module";
    case SV_FUNC: return "builtin_function_or_method";
    case SV_STRACC: return "StringMethods";
    }
    return "value";
}

bool sv_is_scalar(const sv *v)
{
    return v->kind == SV_NONE || v->kind == SV_BOOL || v->kind == SV_INT ||
           v->kind == SV_FLOAT || v->kind == SV_STR;
}

bool sv_is_number(const sv *v)
{
    return v->kind == SV_BOOL || v->kind == SV_INT || v->kind == SV_FLOAT;
}

double sv_as_double(const sv *v)
{
    return v->kind == SV_FLOAT ? v->f : v->kind == SV_INT ? (double)v->i : (double)v->b;
}

void sv_text_put(sv_text *t, const char *s, size_t n)
{
    if (t->oom) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char *p;

        while (cap < t->len + n + 1)
            cap *= 2;
        p = ddf_realloc(t->p, cap);
        if (p == NULL) {
            t->oom = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

void sv_text_puts(sv_text *t, const char *s)
{
    sv_text_put(t, s, strlen(s));
}
