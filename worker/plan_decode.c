/* plan_decode.c - decoding a `ddf.run` request (an XML-RPC struct) into a ddf_plan.
 *
 * The request is hostile until proven otherwise: each member's XML-RPC type is checked, each
 * array's size is compared with its bound before the array is allocated, each string's length
 * before it is copied, and unknown members are refused. Every string and array lands in the
 * plan's arena, so a failed decode is undone by one ddf_plan_fini.
 *
 * Values read from structs and arrays are borrowed: xmlrpc-c's accessors add a reference,
 * which is dropped at once because the enclosing value, alive for the whole decode, keeps
 * its own. That keeps every error path free of reference bookkeeping. */
#include "plan_decode.h"

#include "agg.h"
#include "dtype.h"
#include "limits.h"
#include "topk.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find common/limits.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short strings: enum names ("groupby"), dtype names, one-character separators. */
#define WORD_MAX 32
/* A path in a plan: PATH_MAX is what the kernel accepts. */
#define PATH_MAX_BYTES PATH_MAX
/* Room for a member path in messages: "plan.terminal.aggs[1023].column". */
#define WHERE_BYTES 96

/* snprintf for member paths in messages: truncating a very long one is fine. */
static void wheref(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wheref(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

static const char *type_name(xmlrpc_type t)
{
    switch (t) {
    case XMLRPC_TYPE_INT:
        return "an int";
    case XMLRPC_TYPE_BOOL:
        return "a boolean";
    case XMLRPC_TYPE_DOUBLE:
        return "a double";
    case XMLRPC_TYPE_DATETIME:
        return "a dateTime";
    case XMLRPC_TYPE_STRING:
        return "a string";
    case XMLRPC_TYPE_BASE64:
        return "base64";
    case XMLRPC_TYPE_ARRAY:
        return "an array";
    case XMLRPC_TYPE_STRUCT:
        return "a struct";
    case XMLRPC_TYPE_C_PTR:
        return "a C pointer";
    case XMLRPC_TYPE_NIL:
        return "nil";
    case XMLRPC_TYPE_I8:
        return "an i8";
    default:
        return "an unknown type";
    }
}

static int expect(xmlrpc_value *v, xmlrpc_type t, const char *what, const char *where,
                  ddf_error *err)
{
    if (xmlrpc_value_type(v) != t)
        return ddf_error_setf(err, DDF_EINVAL, "%s: expected %s, got %s", where, what,
                              type_name(xmlrpc_value_type(v)));
    return DDF_OK;
}

/* The member 'key' of struct 'st', borrowed; NULL when absent. */
static xmlrpc_value *member(xmlrpc_value *st, const char *key)
{
    xmlrpc_env env;
    xmlrpc_value *v = NULL;

    xmlrpc_env_init(&env);
    xmlrpc_struct_find_value(&env, st, key, &v);
    xmlrpc_env_clean(&env);
    if (v != NULL) xmlrpc_DECREF(v); /* 'st' keeps its own reference */
    return v;
}

static xmlrpc_value *required(xmlrpc_value *st, const char *key, const char *where, ddf_error *err)
{
    xmlrpc_value *v = member(st, key);

    if (v == NULL) ddf_error_setf(err, DDF_EINVAL, "%s: missing member \"%s\"", where, key);
    return v;
}

/* Refuse members of 'st' not named in 'known' (NULL-terminated). */
static int check_members(xmlrpc_value *st, const char *const *known, const char *where,
                         ddf_error *err)
{
    xmlrpc_env env;
    int n, i, rc = DDF_OK;

    xmlrpc_env_init(&env);
    n = xmlrpc_struct_size(&env, st);
    for (i = 0; i < n && rc == DDF_OK && !env.fault_occurred; i++) {
        xmlrpc_value *k = NULL, *v = NULL;
        const char *key = NULL;
        size_t len = 0;
        bool found = false;

        xmlrpc_struct_read_member(&env, st, (unsigned)i, &k, &v);
        if (env.fault_occurred) break;
        xmlrpc_read_string_lp(&env, k, &len, &key);
        if (!env.fault_occurred) {
            for (const char *const *p = known; *p != NULL && !found; p++)
                found = strlen(*p) == len && memcmp(*p, key, len) == 0;
            if (!found)
                rc = ddf_error_setf(err, DDF_EINVAL, "%s: unknown member \"%.*s\"", where,
                                    len > 64 ? 64 : (int)len, key);
            free((void *)key);
        }
        xmlrpc_DECREF(k);
        xmlrpc_DECREF(v);
    }
    if (env.fault_occurred && rc == DDF_OK)
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: unreadable struct: %s", where, env.fault_string);
    xmlrpc_env_clean(&env);
    return rc;
}

int ddf_plan_decode_string(xmlrpc_value *v, const char *where, size_t max_len, ddf_arena *arena,
                           const char **out, ddf_error *err)
{
    xmlrpc_env env;
    const char *s = NULL;
    size_t len = 0;
    char *copy;
    int rc;

    *out = NULL;
    rc = expect(v, XMLRPC_TYPE_STRING, "a string", where, err);
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_string_lp(&env, v, &len, &s);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: unreadable string: %s", where, env.fault_string);
        goto out_env;
    }
    if (len > max_len) {
        rc = ddf_error_setf(err, DDF_ETOOBIG,
                            "%s: string of %zu bytes is over the limit of "
                            "%zu",
                            where, len, max_len);
        goto out_free;
    }
    if (memchr(s, '\0', len) != NULL) {
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: string holds a NUL byte", where);
        goto out_free;
    }
    copy = ddf_arena_alloc(arena, len + 1);
    if (copy == NULL) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", where);
        goto out_free;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = copy;
out_free:
    free((void *)s); /* xmlrpc-c allocates with malloc */
out_env:
    xmlrpc_env_clean(&env);
    return rc;
}

/* A short string into buf[WORD_MAX + 1] (for enum names), without the arena. */
static int read_word(xmlrpc_value *v, const char *where, char *buf, ddf_error *err)
{
    xmlrpc_env env;
    const char *s = NULL;
    size_t len = 0;
    int rc;

    rc = expect(v, XMLRPC_TYPE_STRING, "a string", where, err);
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_string_lp(&env, v, &len, &s);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: unreadable string", where);
    } else if (len > WORD_MAX || memchr(s, '\0', len) != NULL) {
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: not a valid name (%zu bytes)", where, len);
    } else {
        memcpy(buf, s, len);
        buf[len] = '\0';
    }
    free((void *)s);
    xmlrpc_env_clean(&env);
    return rc;
}

int ddf_plan_decode_int64(xmlrpc_value *v, const char *where, int64_t *out, ddf_error *err)
{
    xmlrpc_env env;
    int rc = DDF_OK;

    *out = 0;
    xmlrpc_env_init(&env);
    switch (xmlrpc_value_type(v)) {
    case XMLRPC_TYPE_INT: {
        int i = 0;
        xmlrpc_read_int(&env, v, &i);
        *out = i;
        break;
    }
    case XMLRPC_TYPE_I8: {
        xmlrpc_int64 i = 0;
        xmlrpc_read_i8(&env, v, &i);
        *out = i;
        break;
    }
    case XMLRPC_TYPE_STRING: {
        char buf[WORD_MAX + 1], *end = NULL;
        long long ll;

        rc = read_word(v, where, buf, err);
        if (rc < 0) break;
        errno = 0;
        ll = strtoll(buf, &end, 10);
        if (buf[0] == '\0' || *end != '\0' || errno != 0 ||
            !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
            rc = ddf_error_setf(err, DDF_EINVAL, "%s: \"%s\" is not a 64-bit decimal integer",
                                where, buf);
        else
            *out = ll;
        break;
    }
    default:
        rc = ddf_error_setf(err, DDF_EINVAL,
                            "%s: expected an integer (int, i8 or decimal "
                            "string), got %s",
                            where, type_name(xmlrpc_value_type(v)));
    }
    if (env.fault_occurred && rc == DDF_OK)
        rc = ddf_error_setf(err, DDF_EINVAL, "%s: unreadable integer", where);
    xmlrpc_env_clean(&env);
    return rc;
}

/* A non-negative 64-bit integer. */
static int read_u64(xmlrpc_value *v, const char *where, uint64_t *out, ddf_error *err)
{
    int64_t i;
    int rc = ddf_plan_decode_int64(v, where, &i, err);

    if (rc < 0) return rc;
    if (i < 0) return ddf_error_setf(err, DDF_EINVAL, "%s: %lld is negative", where, (long long)i);
    *out = (uint64_t)i;
    return DDF_OK;
}

static int read_bool(xmlrpc_value *v, const char *where, bool *out, ddf_error *err)
{
    xmlrpc_env env;
    xmlrpc_bool b = 0;
    int rc = expect(v, XMLRPC_TYPE_BOOL, "a boolean", where, err);

    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_bool(&env, v, &b);
    xmlrpc_env_clean(&env);
    *out = b != 0;
    return DDF_OK;
}

/* One character given as a one-byte string (sep, quote). */
static int read_char(xmlrpc_value *v, const char *where, char *out, ddf_error *err)
{
    char buf[WORD_MAX + 1];
    int rc = read_word(v, where, buf, err);

    if (rc < 0) return rc;
    if (strlen(buf) != 1 || buf[0] == '\n' || buf[0] == '\r')
        return ddf_error_setf(err, DDF_EINVAL,
                              "%s: expected one character other than a line "
                              "break, got \"%s\"",
                              where, buf);
    *out = buf[0];
    return DDF_OK;
}

/* The size of array 'v' after checking its type and bound 'max'. */
static int array_size(xmlrpc_value *v, const char *where, size_t max, size_t *n, ddf_error *err)
{
    xmlrpc_env env;
    int size, rc;

    *n = 0;
    rc = expect(v, XMLRPC_TYPE_ARRAY, "an array", where, err);
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    size = xmlrpc_array_size(&env, v);
    xmlrpc_env_clean(&env);
    if (size < 0) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable array", where);
    if ((size_t)size > max)
        return ddf_error_setf(err, DDF_ETOOBIG, "%s: %d items is over the limit of %zu", where,
                              size, max);
    *n = (size_t)size;
    return DDF_OK;
}

/* Item i of array 'v', borrowed. */
static xmlrpc_value *item(xmlrpc_value *v, size_t i)
{
    xmlrpc_env env;
    xmlrpc_value *it = NULL;

    xmlrpc_env_init(&env);
    xmlrpc_array_read_item(&env, v, (unsigned)i, &it);
    xmlrpc_env_clean(&env);
    if (it != NULL) xmlrpc_DECREF(it);
    return it;
}

/* An array of at most 'max' strings of at most 'max_len' bytes into the arena. */
static int read_strings(xmlrpc_value *v, const char *where, size_t max, size_t max_len,
                        ddf_arena *arena, const char *const **out, size_t *n, ddf_error *err)
{
    const char **items;
    char w[WHERE_BYTES];
    size_t count, i;
    int rc;

    *out = NULL;
    *n = 0;
    rc = array_size(v, where, max, &count, err);
    if (rc < 0) return rc;
    items = ddf_arena_calloc(arena, count ? count : 1, sizeof(*items));
    if (items == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", where);
    for (i = 0; i < count; i++) {
        xmlrpc_value *it = item(v, i);
        wheref(w, sizeof w, "%s[%zu]", where, i);
        if (it == NULL) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable item", w);
        rc = ddf_plan_decode_string(it, w, max_len, arena, &items[i], err);
        if (rc < 0) return rc;
    }
    *out = items;
    *n = count;
    return DDF_OK;
}

static int read_dtype(xmlrpc_value *v, const char *where, bool allow_null, ddf_dtype *out,
                      ddf_error *err)
{
    char buf[WORD_MAX + 1];
    int rc = read_word(v, where, buf, err);

    if (rc < 0) return rc;
    if (allow_null && strcmp(buf, "null") == 0) {
        *out = DDF_DTYPE_NULL;
        return DDF_OK;
    }
    if (ddf_dtype_parse(buf, out) < 0)
        return ddf_error_setf(err, DDF_EINVAL,
                              "%s: unknown dtype \"%s\" (int64, float64, "
                              "bool or string)",
                              where, buf);
    return DDF_OK;
}

int ddf_plan_decode_csv(xmlrpc_value *v, const char *where, ddf_arena *arena, ddf_csv_options *opt,
                        ddf_error *err)
{
    static const char *const known[] = {
        "sep",    "quote",     "header",          "names",        "usecols",   "skiprows",
        "dtypes", "na_values", "keep_default_na", "on_bad_lines", "blocksize", NULL};
    char w[WHERE_BYTES];
    xmlrpc_value *m;
    int rc;

    if (v == NULL) return DDF_OK;
    rc = expect(v, XMLRPC_TYPE_STRUCT, "a struct", where, err);
    if (rc == DDF_OK) rc = check_members(v, known, where, err);
    if (rc == DDF_OK && (m = member(v, "sep")) != NULL) {
        wheref(w, sizeof w, "%s.sep", where);
        rc = read_char(m, w, &opt->sep, err);
    }
    if (rc == DDF_OK && (m = member(v, "quote")) != NULL) {
        wheref(w, sizeof w, "%s.quote", where);
        rc = read_char(m, w, &opt->quote, err);
    }
    if (rc == DDF_OK && (m = member(v, "header")) != NULL) {
        wheref(w, sizeof w, "%s.header", where);
        rc = read_bool(m, w, &opt->header, err);
    }
    if (rc == DDF_OK && (m = member(v, "names")) != NULL) {
        wheref(w, sizeof w, "%s.names", where);
        rc = read_strings(m, w, DDF_MAX_COLUMNS, DDF_MAX_NAME_BYTES, arena, &opt->names,
                          &opt->nnames, err);
    }
    if (rc == DDF_OK && (m = member(v, "usecols")) != NULL) {
        wheref(w, sizeof w, "%s.usecols", where);
        rc = read_strings(m, w, DDF_MAX_COLUMNS, DDF_MAX_NAME_BYTES, arena, &opt->usecols,
                          &opt->nusecols, err);
    }
    if (rc == DDF_OK && (m = member(v, "skiprows")) != NULL) {
        wheref(w, sizeof w, "%s.skiprows", where);
        rc = read_u64(m, w, &opt->skiprows, err);
    }
    if (rc == DDF_OK && (m = member(v, "na_values")) != NULL) {
        wheref(w, sizeof w, "%s.na_values", where);
        rc = read_strings(m, w, DDF_MAX_NA_VALUES, DDF_MAX_FIELD_BYTES, arena, &opt->na_values,
                          &opt->nna_values, err);
    }
    if (rc == DDF_OK && (m = member(v, "keep_default_na")) != NULL) {
        wheref(w, sizeof w, "%s.keep_default_na", where);
        rc = read_bool(m, w, &opt->keep_default_na, err);
    }
    if (rc == DDF_OK && (m = member(v, "on_bad_lines")) != NULL) {
        char buf[WORD_MAX + 1];
        wheref(w, sizeof w, "%s.on_bad_lines", where);
        rc = read_word(m, w, buf, err);
        if (rc == DDF_OK && ddf_plan_bad_lines_parse(buf, &opt->on_bad_lines) < 0)
            rc = ddf_error_setf(err, DDF_EINVAL, "%s: \"%s\" is not error, warn or skip", w,
                                buf);
    }
    if (rc == DDF_OK && (m = member(v, "blocksize")) != NULL) {
        wheref(w, sizeof w, "%s.blocksize", where);
        rc = read_u64(m, w, &opt->blocksize, err);
        if (rc == DDF_OK && (opt->blocksize == 0 || opt->blocksize > DDF_MAX_BLOCK_BYTES))
            rc = ddf_error_setf(err, DDF_EINVAL, "%s: %llu is not in 1..%llu", w,
                                (unsigned long long)opt->blocksize,
                                (unsigned long long)DDF_MAX_BLOCK_BYTES);
    }
    if (rc == DDF_OK && (m = member(v, "dtypes")) != NULL) {
        /* {name: dtype}: a struct, as pandas' dtype={...} dict. */
        xmlrpc_env env;
        ddf_csv_pin *pins;
        int n;

        wheref(w, sizeof w, "%s.dtypes", where);
        rc = expect(m, XMLRPC_TYPE_STRUCT, "a struct", w, err);
        if (rc < 0) return rc;
        xmlrpc_env_init(&env);
        n = xmlrpc_struct_size(&env, m);
        xmlrpc_env_clean(&env);
        if (n < 0 || n > DDF_MAX_COLUMNS)
            return ddf_error_setf(err, DDF_ETOOBIG, "%s: %d members is over the limit of %d", w, n,
                                  DDF_MAX_COLUMNS);
        pins = ddf_arena_calloc(arena, n ? (size_t)n : 1, sizeof(*pins));
        if (pins == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", w);
        for (int i = 0; i < n && rc == DDF_OK; i++) {
            xmlrpc_value *k = NULL, *dv = NULL;
            char wi[WHERE_BYTES];

            xmlrpc_env_init(&env);
            xmlrpc_struct_read_member(&env, m, (unsigned)i, &k, &dv);
            xmlrpc_env_clean(&env);
            if (k == NULL || dv == NULL)
                return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable member", w);
            rc = ddf_plan_decode_string(k, w, DDF_MAX_NAME_BYTES, arena, &pins[i].name, err);
            if (rc == DDF_OK) {
                wheref(wi, sizeof wi, "%s[\"%.32s\"]", w, pins[i].name);
                rc = read_dtype(dv, wi, false, &pins[i].dtype, err);
            }
            xmlrpc_DECREF(k);
            xmlrpc_DECREF(dv);
        }
        opt->dtypes = pins;
        opt->ndtypes = (size_t)n;
    }
    return rc;
}

static int decode_schema(xmlrpc_value *v, ddf_schema *schema, ddf_arena *arena, ddf_error *err)
{
    static const char *const known[] = {"name", "dtype", "pinned", NULL};
    char w[WHERE_BYTES];
    size_t n, i;
    int rc;

    rc = array_size(v, "plan.schema", DDF_MAX_COLUMNS, &n, err);
    if (rc < 0) return rc;
    for (i = 0; i < n; i++) {
        xmlrpc_value *f = item(v, i), *m;
        const char *name = NULL;
        ddf_dtype dtype = DDF_DTYPE_NULL;
        bool pinned = false;

        wheref(w, sizeof w, "plan.schema[%zu]", i);
        if (f == NULL) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable item", w);
        rc = expect(f, XMLRPC_TYPE_STRUCT, "a struct", w, err);
        if (rc == DDF_OK) rc = check_members(f, known, w, err);
        if (rc == DDF_OK)
            rc = (m = required(f, "name", w, err)) == NULL
                     ? DDF_EINVAL
                     : ddf_plan_decode_string(m, w, DDF_MAX_NAME_BYTES, arena, &name, err);
        if (rc == DDF_OK)
            rc = (m = required(f, "dtype", w, err)) == NULL ? DDF_EINVAL
                                                            : read_dtype(m, w, true, &dtype, err);
        if (rc == DDF_OK && (m = member(f, "pinned")) != NULL) rc = read_bool(m, w, &pinned, err);
        if (rc < 0) return rc;
        if (pinned && dtype == DDF_DTYPE_NULL)
            return ddf_error_setf(err, DDF_EINVAL,
                                  "%s: a pinned column needs a dtype, not "
                                  "null",
                                  w);
        if (ddf_schema_find(schema, name) >= 0)
            return ddf_error_setf(err, DDF_EINVAL, "%s: duplicate column \"%.64s\"", w, name);
        rc = ddf_schema_add(schema, name, strlen(name), dtype, pinned ? DDF_FIELD_PINNED : 0);
        if (rc < 0)
            return ddf_error_setf(err, rc, "%s: cannot add column: %s", w, ddf_strerror(rc));
    }
    return DDF_OK;
}

static int decode_parts(xmlrpc_value *v, ddf_plan *plan, ddf_error *err)
{
    static const char *const known[] = {"index", "path", "offset", "length", "first_line", NULL};
    char w[WHERE_BYTES], wm[WHERE_BYTES];
    ddf_plan_part *parts;
    size_t n, i;
    int rc;

    rc = array_size(v, "plan.parts", DDF_PLAN_MAX_PARTS, &n, err);
    if (rc < 0) return rc;
    parts = ddf_arena_calloc(plan->arena, n ? n : 1, sizeof(*parts));
    if (parts == NULL) return ddf_error_setf(err, DDF_ENOMEM, "plan.parts: out of memory");
    for (i = 0; i < n; i++) {
        xmlrpc_value *p = item(v, i), *m;
        ddf_plan_part *pt = &parts[i];

        wheref(w, sizeof w, "plan.parts[%zu]", i);
        if (p == NULL) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable item", w);
        rc = expect(p, XMLRPC_TYPE_STRUCT, "a struct", w, err);
        if (rc == DDF_OK) rc = check_members(p, known, w, err);
#define PART_U64(key, field)                                                                       \
    if (rc == DDF_OK) {                                                                            \
        wheref(wm, sizeof wm, "%s." key, w);                                                       \
        rc = (m = required(p, key, w, err)) == NULL ? DDF_EINVAL                                   \
                                                    : read_u64(m, wm, &pt->field, err);            \
    }
        PART_U64("index", index)
        PART_U64("offset", offset)
        PART_U64("length", length)
#undef PART_U64
        if (rc == DDF_OK) {
            wheref(wm, sizeof wm, "%s.path", w);
            rc = (m = required(p, "path", w, err)) == NULL
                     ? DDF_EINVAL
                     : ddf_plan_decode_string(m, wm, PATH_MAX_BYTES, plan->arena, &pt->path, err);
        }
        pt->first_line = 1;
        if (rc == DDF_OK && (m = member(p, "first_line")) != NULL) {
            wheref(wm, sizeof wm, "%s.first_line", w);
            rc = read_u64(m, wm, &pt->first_line, err);
        }
        if (rc < 0) return rc;
        if (pt->path[0] == '\0') return ddf_error_setf(err, DDF_EINVAL, "%s.path: empty", w);
        if (pt->length > DDF_MAX_BLOCK_BYTES)
            return ddf_error_setf(err, DDF_ETOOBIG,
                                  "%s.length: %llu bytes is over the "
                                  "partition limit of %llu",
                                  w, (unsigned long long)pt->length,
                                  (unsigned long long)DDF_MAX_BLOCK_BYTES);
        if (pt->offset > INT64_MAX - pt->length)
            return ddf_error_setf(err, DDF_EINVAL, "%s: offset + length overflows", w);
    }
    plan->parts = parts;
    plan->nparts = n;
    return DDF_OK;
}

static int decode_steps(xmlrpc_value *v, ddf_plan *plan, ddf_error *err)
{
    static const char *const known[] = {"kind", "expr", "name", "columns", NULL};
    char w[WHERE_BYTES], wm[WHERE_BYTES], kind[WORD_MAX + 1];
    ddf_step *steps;
    size_t n, i;
    int rc;

    rc = array_size(v, "plan.steps", DDF_PLAN_MAX_STEPS, &n, err);
    if (rc < 0) return rc;
    steps = ddf_arena_calloc(plan->arena, n ? n : 1, sizeof(*steps));
    if (steps == NULL) return ddf_error_setf(err, DDF_ENOMEM, "plan.steps: out of memory");
    for (i = 0; i < n; i++) {
        xmlrpc_value *s = item(v, i), *m;
        ddf_step *st = &steps[i];

        wheref(w, sizeof w, "plan.steps[%zu]", i);
        if (s == NULL) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable item", w);
        rc = expect(s, XMLRPC_TYPE_STRUCT, "a struct", w, err);
        if (rc == DDF_OK) rc = check_members(s, known, w, err);
        if (rc == DDF_OK) {
            wheref(wm, sizeof wm, "%s.kind", w);
            rc = (m = required(s, "kind", w, err)) == NULL ? DDF_EINVAL
                                                           : read_word(m, wm, kind, err);
        }
        if (rc < 0) return rc;
        if (strcmp(kind, "filter") == 0 || strcmp(kind, "assign") == 0) {
            st->kind = kind[0] == 'f' ? DDF_STEP_FILTER : DDF_STEP_ASSIGN;
            wheref(wm, sizeof wm, "%s.expr", w);
            rc = (m = required(s, "expr", w, err)) == NULL
                     ? DDF_EINVAL
                     : ddf_plan_decode_string(m, wm, DDF_MAX_EXPR_BYTES, plan->arena, &st->expr,
                                              err);
            if (rc == DDF_OK && st->kind == DDF_STEP_ASSIGN) {
                wheref(wm, sizeof wm, "%s.name", w);
                rc = (m = required(s, "name", w, err)) == NULL
                         ? DDF_EINVAL
                         : ddf_plan_decode_string(m, wm, DDF_MAX_NAME_BYTES, plan->arena, &st->name,
                                                  err);
            } else if (rc == DDF_OK && (member(s, "name") || member(s, "columns"))) {
                rc = ddf_error_setf(err, DDF_EINVAL, "%s: a filter has only kind and expr", w);
            }
            if (rc == DDF_OK && st->kind == DDF_STEP_ASSIGN && member(s, "columns"))
                rc = ddf_error_setf(err, DDF_EINVAL, "%s: an assign has no columns", w);
        } else if (strcmp(kind, "select") == 0) {
            st->kind = DDF_STEP_SELECT;
            wheref(wm, sizeof wm, "%s.columns", w);
            rc = (m = required(s, "columns", w, err)) == NULL
                     ? DDF_EINVAL
                     : read_strings(m, wm, DDF_MAX_COLUMNS, DDF_MAX_NAME_BYTES, plan->arena,
                                    &st->columns, &st->ncolumns, err);
            if (rc == DDF_OK && (member(s, "expr") || member(s, "name")))
                rc = ddf_error_setf(err, DDF_EINVAL, "%s: a select has only kind and columns", w);
        } else {
            rc = ddf_error_setf(err, DDF_EINVAL,
                                "%s.kind: \"%s\" is not filter, assign or "
                                "select",
                                w, kind);
        }
        if (rc < 0) return rc;
    }
    plan->steps = steps;
    plan->nsteps = n;
    return DDF_OK;
}

static int decode_aggs(xmlrpc_value *v, ddf_plan *plan, ddf_terminal *t, ddf_error *err)
{
    static const char *const known[] = {"column", "agg", NULL};
    char w[WHERE_BYTES], wm[WHERE_BYTES], name[WORD_MAX + 1];
    ddf_plan_agg *aggs;
    size_t n, i;
    int rc;

    rc = array_size(v, "plan.terminal.aggs", DDF_PLAN_MAX_AGGS, &n, err);
    if (rc < 0) return rc;
    aggs = ddf_arena_calloc(plan->arena, n ? n : 1, sizeof(*aggs));
    if (aggs == NULL) return ddf_error_setf(err, DDF_ENOMEM, "plan.terminal.aggs: out of memory");
    for (i = 0; i < n; i++) {
        xmlrpc_value *a = item(v, i), *m;

        wheref(w, sizeof w, "plan.terminal.aggs[%zu]", i);
        if (a == NULL) return ddf_error_setf(err, DDF_EINVAL, "%s: unreadable item", w);
        rc = expect(a, XMLRPC_TYPE_STRUCT, "a struct", w, err);
        if (rc == DDF_OK) rc = check_members(a, known, w, err);
        if (rc == DDF_OK) {
            wheref(wm, sizeof wm, "%s.column", w);
            rc = (m = required(a, "column", w, err)) == NULL
                     ? DDF_EINVAL
                     : ddf_plan_decode_string(m, wm, DDF_MAX_NAME_BYTES, plan->arena,
                                              &aggs[i].column, err);
        }
        if (rc == DDF_OK) {
            wheref(wm, sizeof wm, "%s.agg", w);
            rc =
                (m = required(a, "agg", w, err)) == NULL ? DDF_EINVAL : read_word(m, wm, name, err);
        }
        if (rc == DDF_OK && ddf_agg_parse(name, &aggs[i].kind) < 0)
            rc = ddf_error_setf(err, DDF_EINVAL, "%s.agg: unknown aggregation \"%s\"", w, name);
        if (rc < 0) return rc;
    }
    t->aggs = aggs;
    t->naggs = n;
    return DDF_OK;
}


/* Which members each terminal kind takes besides "kind": anything else is refused. */
static bool terminal_takes(ddf_terminal_kind k, const char *key)
{
    switch (k) {
    case DDF_TERM_COUNT:
    case DDF_TERM_COLLECT:
        return false;
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
        return strcmp(key, "n") == 0;
    case DDF_TERM_REDUCE:
        return strcmp(key, "aggs") == 0;
    case DDF_TERM_GROUPBY:
        return strcmp(key, "aggs") == 0 || strcmp(key, "keys") == 0 || strcmp(key, "dropna") == 0;
    case DDF_TERM_VALUE_COUNTS:
        return strcmp(key, "column") == 0 || strcmp(key, "dropna") == 0;
    case DDF_TERM_TOPK:
        return strcmp(key, "n") == 0 || strcmp(key, "keys") == 0 || strcmp(key, "largest") == 0 ||
               strcmp(key, "keep") == 0;
    case DDF_TERM_WRITE_CSV:
        return strcmp(key, "path") == 0 || strcmp(key, "name") == 0;
    }
    return false;
}

static int decode_terminal(xmlrpc_value *v, ddf_plan *plan, ddf_error *err)
{
    static const char *const all[] = {"kind",   "n",       "aggs", "keys", "dropna",
                                      "column", "largest", "keep", "path", "name", NULL};
    const char *where = "plan.terminal";
    ddf_terminal *t = &plan->terminal;
    char kind[WORD_MAX + 1];
    xmlrpc_value *m;
    size_t i;
    int rc;

    rc = expect(v, XMLRPC_TYPE_STRUCT, "a struct", where, err);
    if (rc == DDF_OK) rc = check_members(v, all, where, err);
    if (rc == DDF_OK)
        rc = (m = required(v, "kind", where, err)) == NULL
                 ? DDF_EINVAL
                 : read_word(m, "plan.terminal.kind", kind, err);
    if (rc < 0) return rc;
    memset(t, 0, sizeof(*t));
    if (ddf_plan_terminal_parse(kind, &t->kind) < 0)
        return ddf_error_setf(err, DDF_EINVAL,
                              "plan.terminal.kind: unknown terminal step "
                              "\"%s\"",
                              kind);
    t->dropna = true; /* pandas' default for groupby and value_counts */
    t->largest = true;
    t->keep = DDF_TOPK_KEEP_FIRST;
    for (i = 1; all[i] != NULL; i++)
        if (member(v, all[i]) != NULL && !terminal_takes(t->kind, all[i]))
            return ddf_error_setf(err, DDF_EINVAL, "plan.terminal: a %s step takes no \"%s\"", kind,
                                  all[i]);

    if (t->kind == DDF_TERM_HEAD || t->kind == DDF_TERM_TAIL || t->kind == DDF_TERM_TOPK) {
        if ((m = required(v, "n", where, err)) == NULL) return DDF_EINVAL;
        rc = ddf_plan_decode_int64(m, "plan.terminal.n", &t->n, err);
        if (rc == DDF_OK && t->kind == DDF_TERM_TOPK && t->n < 0)
            rc = ddf_error_setf(err, DDF_EINVAL, "plan.terminal.n: %lld is negative",
                                (long long)t->n);
        if (rc < 0) return rc;
    }
    if (t->kind == DDF_TERM_REDUCE || t->kind == DDF_TERM_GROUPBY) {
        if ((m = required(v, "aggs", where, err)) == NULL) return DDF_EINVAL;
        rc = decode_aggs(m, plan, t, err);
        if (rc < 0) return rc;
    }
    if (t->kind == DDF_TERM_GROUPBY || t->kind == DDF_TERM_TOPK) {
        if ((m = required(v, "keys", where, err)) == NULL) return DDF_EINVAL;
        rc = read_strings(m, "plan.terminal.keys", DDF_MAX_COLUMNS, DDF_MAX_NAME_BYTES, plan->arena,
                          &t->keys, &t->nkeys, err);
        if (rc == DDF_OK && t->nkeys == 0)
            rc = ddf_error_setf(err, DDF_EINVAL, "plan.terminal.keys: empty");
        if (rc < 0) return rc;
    }
    if ((m = member(v, "dropna")) != NULL) {
        rc = read_bool(m, "plan.terminal.dropna", &t->dropna, err);
        if (rc < 0) return rc;
    }
    if (t->kind == DDF_TERM_VALUE_COUNTS) {
        if ((m = required(v, "column", where, err)) == NULL) return DDF_EINVAL;
        rc = ddf_plan_decode_string(m, "plan.terminal.column", DDF_MAX_NAME_BYTES, plan->arena,
                                    &t->column, err);
        if (rc < 0) return rc;
    }
    if ((m = member(v, "largest")) != NULL) {
        rc = read_bool(m, "plan.terminal.largest", &t->largest, err);
        if (rc < 0) return rc;
    }
    if ((m = member(v, "keep")) != NULL) {
        rc = read_word(m, "plan.terminal.keep", kind, err);
        if (rc == DDF_OK && ddf_topk_keep_parse(kind, &t->keep) < 0)
            rc = ddf_error_setf(err, DDF_EINVAL,
                                "plan.terminal.keep: \"%s\" is not first, "
                                "last or all",
                                kind);
        if (rc < 0) return rc;
    }
    if (t->kind == DDF_TERM_WRITE_CSV) {
        if ((m = required(v, "path", where, err)) == NULL) return DDF_EINVAL;
        rc = ddf_plan_decode_string(m, "plan.terminal.path", PATH_MAX_BYTES, plan->arena, &t->path,
                                    err);
        if (rc < 0) return rc;
        if ((m = member(v, "name")) != NULL) {
            rc = ddf_plan_decode_string(m, "plan.terminal.name", PATH_MAX_BYTES, plan->arena,
                                        &t->name, err);
            if (rc < 0) return rc;
        }
    }
    return DDF_OK;
}

static int decode_into(xmlrpc_value *v, ddf_plan *plan, ddf_error *err)
{
    static const char *const known[] = {"version", "csv",      "schema",  "parts",
                                        "steps",   "terminal", "combine", NULL};
    xmlrpc_value *m;
    int64_t version;
    int rc;

    rc = expect(v, XMLRPC_TYPE_STRUCT, "a struct", "plan", err);
    if (rc == DDF_OK) rc = check_members(v, known, "plan", err);
    if (rc < 0) return rc;
    if ((m = required(v, "version", "plan", err)) == NULL) return DDF_EINVAL;
    rc = ddf_plan_decode_int64(m, "plan.version", &version, err);
    if (rc < 0) return rc;
    if (version != DDF_PLAN_VERSION)
        return ddf_error_setf(err, DDF_EVERSION,
                              "plan.version: %lld is not supported (this "
                              "worker speaks version %d)",
                              (long long)version, DDF_PLAN_VERSION);
    plan->version = DDF_PLAN_VERSION;
    rc = ddf_plan_decode_csv(member(v, "csv"), "plan.csv", plan->arena, &plan->csv, err);
    if (rc < 0) return rc;
    if ((m = required(v, "schema", "plan", err)) == NULL) return DDF_EINVAL;
    rc = decode_schema(m, plan->schema, plan->arena, err);
    if (rc < 0) return rc;
    if ((m = required(v, "parts", "plan", err)) == NULL) return DDF_EINVAL;
    rc = decode_parts(m, plan, err);
    if (rc < 0) return rc;
    if ((m = member(v, "steps")) != NULL) {
        rc = decode_steps(m, plan, err);
        if (rc < 0) return rc;
    }
    if ((m = member(v, "combine")) != NULL) {
        rc = read_bool(m, "plan.combine", &plan->combine, err);
        if (rc < 0) return rc;
    }
    if ((m = required(v, "terminal", "plan", err)) == NULL) return DDF_EINVAL;
    return decode_terminal(m, plan, err);
}

int ddf_plan_decode(xmlrpc_value *v, ddf_plan *plan, ddf_error *err)
{
    int rc = ddf_plan_init(plan, err);

    if (rc < 0) return rc;
    rc = decode_into(v, plan, err);
    if (rc < 0) ddf_plan_fini(plan);
    return rc;
}
