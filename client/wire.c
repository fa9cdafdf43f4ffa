/* wire.c - the client's side of the worker XML-RPC protocol (see wire.h): requests built
 * from C data, answers read back into C data.
 *
 * Encoding threads one small context through every builder: the first failure (an
 * xmlrpc-c fault or a value the worker could not read back) is recorded once, and every
 * later builder call does nothing, so a builder is a straight list of puts and a failed
 * encode is undone by one DECREF of the outermost value. Each put consumes the value it is
 * given, so no reference outlives its statement.
 *
 * Decoding mirrors worker/plan_decode.c: each member's XML-RPC type is checked before it is
 * read, and values read from structs and arrays are borrowed (xmlrpc-c's accessors add a
 * reference, dropped at once, since the enclosing answer keeps its own), which keeps every
 * error path free of reference bookkeeping. What the decoders allocate is freed by the
 * matching _free on any error. */
#include "wire.h"

#include "agg.h"
#include "alloc.h"
#include "codec.h"
#include "dtype.h"
#include "topk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a member path in messages: "plan.terminal.aggs[1023].column". */
#define WHERE_BYTES 96
/* Short strings read from answers: status and dtype names. */
#define WORD_MAX 32
/* Windows per ddf.scan call (the worker's DDF_WORKER_MAX_WINDOWS). */
#define WIRE_MAX_WINDOWS 65536

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
    case XMLRPC_TYPE_NIL:
        return "nil";
    case XMLRPC_TYPE_I8:
        return "an i8";
    default:
        return "an unknown type";
    }
}

/* ddf_error_setf with the member path first: "<where>: <message>". */
static int failf(ddf_error *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int failf(ddf_error *err, int code, const char *where, const char *fmt, ...)
{
    char msg[DDF_ERROR_MSG_BYTES];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ddf_error_setf(err, code, "%s: %s", where, msg);
}

/* A member path into w[WHERE_BYTES] (a vsnprintf wrapper: truncating a long path is fine,
 * and it keeps -Wformat-truncation quiet). */
static void wheref(char *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wheref(char *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w, WHERE_BYTES, fmt, ap);
    va_end(ap);
}

/* ==== encoding ========================================================================= */

typedef struct enc {
    xmlrpc_env *env;
    ddf_error *err;
    int rc; /* the first failure; DDF_OK while there is none */
} enc;

static bool enc_ok(const enc *e)
{
    return e->rc == DDF_OK;
}

/* After an xmlrpc-c call: a fault becomes the encoder's failure. */
static bool enc_check(enc *e, const char *where)
{
    if (e->rc != DDF_OK) return false;
    if (!e->env->fault_occurred) return true;
    e->rc = failf(e->err, e->env->fault_code == XMLRPC_INTERNAL_ERROR ? DDF_ENOMEM : DDF_EINVAL,
                  where, "xmlrpc-c: %s", e->env->fault_string);
    return false;
}

static void enc_fail(enc *e, const char *where, const char *what)
{
    if (e->rc == DDF_OK) e->rc = failf(e->err, DDF_EINVAL, where, "%s", what);
}

/* A value just made by xmlrpc-c, or NULL (failure recorded). After a fault xmlrpc-c's
 * result is undefined (not even NULL), so it is not touched. */
static xmlrpc_value *enc_made(enc *e, xmlrpc_value *v, const char *where)
{
    if (e->env->fault_occurred) {
        enc_check(e, where);
        return NULL;
    }
    if (e->rc == DDF_OK && v != NULL) return v;
    if (v != NULL) xmlrpc_DECREF(v);
    if (e->rc == DDF_OK) e->rc = failf(e->err, DDF_ENOMEM, where, "out of memory");
    return NULL;
}

static xmlrpc_value *enc_struct(enc *e, const char *where)
{
    return enc_ok(e) ? enc_made(e, xmlrpc_struct_new(e->env), where) : NULL;
}

static xmlrpc_value *enc_array(enc *e, const char *where)
{
    return enc_ok(e) ? enc_made(e, xmlrpc_array_new(e->env), where) : NULL;
}

/* 'v' when all went well, else NULL with 'v' released: the end of every builder. */
static xmlrpc_value *enc_finish(enc *e, xmlrpc_value *v)
{
    if (enc_ok(e)) return v;
    if (v != NULL) xmlrpc_DECREF(v);
    return NULL;
}

/* Set st[key] = v; consumes 'v' (NULL: nothing to do, the failure is recorded). */
static void enc_put(enc *e, xmlrpc_value *st, const char *key, xmlrpc_value *v, const char *where)
{
    if (v == NULL) return;
    if (enc_ok(e) && st != NULL) {
        xmlrpc_struct_set_value(e->env, st, key, v);
        enc_check(e, where);
    }
    xmlrpc_DECREF(v);
}

/* Append 'v' to 'arr'; consumes 'v'. */
static void enc_append(enc *e, xmlrpc_value *arr, xmlrpc_value *v, const char *where)
{
    if (v == NULL) return;
    if (enc_ok(e) && arr != NULL) {
        xmlrpc_array_append_item(e->env, arr, v);
        enc_check(e, where);
    }
    xmlrpc_DECREF(v);
}

/* Text as a <string>. The plan decoder reads only <string>, and XML character data cannot
 * hold control bytes (a CR is not even kept), so those are refused here with a message
 * rather than sent as a document the worker rejects as malformed; xmlrpc-c refuses invalid
 * UTF-8 itself. */
static xmlrpc_value *enc_text(enc *e, const char *s, const char *where)
{
    size_t len, i;

    if (!enc_ok(e)) return NULL;
    if (s == NULL) {
        enc_fail(e, where, "missing (NULL)");
        return NULL;
    }
    len = strlen(s);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n') {
            char what[80];
            snprintf(what, sizeof what, "control byte 0x%02x at byte %zu cannot travel in XML", c,
                     i);
            enc_fail(e, where, what);
            return NULL;
        }
    }
    return enc_made(e, xmlrpc_string_new_lp(e->env, len, s), where);
}

static xmlrpc_value *enc_i8(enc *e, int64_t i, const char *where)
{
    return enc_ok(e) ? enc_made(e, xmlrpc_i8_new(e->env, i), where) : NULL;
}

static xmlrpc_value *enc_u64(enc *e, uint64_t u, const char *where)
{
    if (enc_ok(e) && u > (uint64_t)INT64_MAX) {
        char what[64];
        snprintf(what, sizeof what, "%llu is over the i8 maximum", (unsigned long long)u);
        enc_fail(e, where, what);
    }
    return enc_i8(e, (int64_t)u, where);
}

/* A member path "<prefix>.<key>" into w[WHERE_BYTES]. */
static const char *member_where(char *w, const char *prefix, const char *key)
{
    wheref(w, "%s.%s", prefix, key);
    return w;
}

static void put_text(enc *e, xmlrpc_value *st, const char *prefix, const char *key, const char *s)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    enc_put(e, st, key, enc_text(e, s, w), w);
}

static void put_i8(enc *e, xmlrpc_value *st, const char *prefix, const char *key, int64_t i)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    enc_put(e, st, key, enc_i8(e, i, w), w);
}

static void put_u64(enc *e, xmlrpc_value *st, const char *prefix, const char *key, uint64_t u)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    enc_put(e, st, key, enc_u64(e, u, w), w);
}

static void put_bool(enc *e, xmlrpc_value *st, const char *prefix, const char *key, bool b)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    enc_put(e, st, key, enc_made(e, xmlrpc_bool_new(e->env, b), w), w);
}

/* One of 'count' names, by enum value. */
/* An enum's wire name ('name', from the plan's name functions; NULL for a value out of
 * range). */
static void put_name(enc *e, xmlrpc_value *st, const char *prefix, const char *key,
                     const char *name, int value)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    if (name == NULL) {
        char what[48];
        snprintf(what, sizeof what, "%d is not a valid value", value);
        enc_fail(e, w, what);
        return;
    }
    enc_put(e, st, key, enc_text(e, name, w), w);
}

/* A one-character string (sep, quote): what the decoder's read_char accepts. */
static void put_char(enc *e, xmlrpc_value *st, const char *prefix, const char *key, char c)
{
    char w[WHERE_BYTES], s[2] = {c, '\0'};

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    if (c == '\0' || c == '\n' || c == '\r') {
        enc_fail(e, w, "must be one character other than NUL or a line break");
        return;
    }
    enc_put(e, st, key, enc_text(e, s, w), w);
}

static const char *dtype_name(enc *e, ddf_dtype d, bool allow_null, const char *where)
{
    if (!enc_ok(e)) return NULL;
    if ((unsigned)d >= DDF_DTYPE_COUNT || (d == DDF_DTYPE_NULL && !allow_null)) {
        char what[64];
        snprintf(what, sizeof what, "dtype %d is not %s", (int)d,
                 allow_null ? "a dtype" : "bool, int64, float64 or string");
        enc_fail(e, where, what);
        return NULL;
    }
    return ddf_dtype_name(d);
}

/* Refuse a NULL array that claims items. */
static bool has_items(enc *e, const void *p, size_t n, const char *where)
{
    if (!enc_ok(e)) return false;
    if (p == NULL && n > 0) {
        enc_fail(e, where, "NULL array with items");
        return false;
    }
    return true;
}

static xmlrpc_value *strings_value(enc *e, const char *const *s, size_t n, const char *where)
{
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    if (!has_items(e, s, n, where)) return NULL;
    arr = enc_array(e, where);
    for (size_t i = 0; i < n && enc_ok(e); i++) {
        wheref(w, "%s[%zu]", where, i);
        enc_append(e, arr, enc_text(e, s[i], w), w);
    }
    return enc_finish(e, arr);
}

static void put_strings(enc *e, xmlrpc_value *st, const char *prefix, const char *key,
                        const char *const *s, size_t n)
{
    char w[WHERE_BYTES];

    if (!enc_ok(e)) return;
    member_where(w, prefix, key);
    enc_put(e, st, key, strings_value(e, s, n, w), w);
}

/* Pinned dtypes as {column: dtype}, pandas' dtype={...}. */
static xmlrpc_value *pins_value(enc *e, const ddf_csv_pin *pins, size_t n, const char *where)
{
    char w[WHERE_BYTES];
    xmlrpc_value *st;

    if (!has_items(e, pins, n, where)) return NULL;
    st = enc_struct(e, where);
    for (size_t i = 0; i < n && enc_ok(e); i++) {
        xmlrpc_value *key, *val;
        const char *name;

        wheref(w, "%s[%zu]", where, i);
        key = enc_text(e, pins[i].name, w);
        name = dtype_name(e, pins[i].dtype, false, w);
        val = name != NULL ? enc_text(e, name, w) : NULL;
        if (enc_ok(e) && xmlrpc_struct_has_key(e->env, st, pins[i].name))
            enc_fail(e, w, "duplicate column");
        if (enc_check(e, w)) xmlrpc_struct_set_value_v(e->env, st, key, val);
        enc_check(e, w);
        if (key != NULL) xmlrpc_DECREF(key);
        if (val != NULL) xmlrpc_DECREF(val);
    }
    return enc_finish(e, st);
}

static xmlrpc_value *csv_value(enc *e, const ddf_csv_options *opt, const char *where)
{
    xmlrpc_value *st;

    if (!enc_ok(e)) return NULL;
    if (opt == NULL) {
        enc_fail(e, where, "missing (NULL)");
        return NULL;
    }
    st = enc_struct(e, where);
    put_char(e, st, where, "sep", opt->sep);
    put_char(e, st, where, "quote", opt->quote);
    put_bool(e, st, where, "header", opt->header);
    if (opt->names != NULL || opt->nnames > 0)
        put_strings(e, st, where, "names", opt->names, opt->nnames);
    if (opt->usecols != NULL || opt->nusecols > 0)
        put_strings(e, st, where, "usecols", opt->usecols, opt->nusecols);
    put_u64(e, st, where, "skiprows", opt->skiprows);
    if (opt->dtypes != NULL || opt->ndtypes > 0) {
        char w[WHERE_BYTES];
        member_where(w, where, "dtypes");
        enc_put(e, st, "dtypes", pins_value(e, opt->dtypes, opt->ndtypes, w), w);
    }
    if (opt->na_values != NULL || opt->nna_values > 0)
        put_strings(e, st, where, "na_values", opt->na_values, opt->nna_values);
    put_bool(e, st, where, "keep_default_na", opt->keep_default_na);
    put_name(e, st, where, "on_bad_lines", ddf_plan_bad_lines_name(opt->on_bad_lines),
             (int)opt->on_bad_lines);
    put_u64(e, st, where, "blocksize", opt->blocksize);
    return enc_finish(e, st);
}

int ddf_wire_encode_csv(xmlrpc_env *env, const ddf_csv_options *opt, xmlrpc_value **out,
                        ddf_error *err)
{
    enc e = {env, err, DDF_OK};

    *out = NULL;
    if (env->fault_occurred)
        return ddf_error_setf(err, DDF_EINVAL, "options: the xmlrpc_env already holds a fault");
    *out = csv_value(&e, opt, "options");
    return e.rc;
}

static xmlrpc_value *schema_value(enc *e, const ddf_schema *schema)
{
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    if (!enc_ok(e)) return NULL;
    if (schema == NULL) {
        enc_fail(e, "plan.schema", "missing (NULL)");
        return NULL;
    }
    if (!has_items(e, schema->fields, schema->ncols, "plan.schema")) return NULL;
    arr = enc_array(e, "plan.schema");
    for (size_t i = 0; i < schema->ncols && enc_ok(e); i++) {
        const ddf_field *f = &schema->fields[i];
        xmlrpc_value *st;

        wheref(w, "plan.schema[%zu]", i);
        st = enc_struct(e, w);
        put_text(e, st, w, "name", f->name);
        put_text(e, st, w, "dtype", dtype_name(e, f->dtype, true, w));
        put_bool(e, st, w, "pinned", (f->flags & DDF_FIELD_PINNED) != 0);
        enc_append(e, arr, enc_finish(e, st), w);
    }
    return enc_finish(e, arr);
}

static xmlrpc_value *parts_value(enc *e, const ddf_plan *plan)
{
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    if (!has_items(e, plan->parts, plan->nparts, "plan.parts")) return NULL;
    arr = enc_array(e, "plan.parts");
    for (size_t i = 0; i < plan->nparts && enc_ok(e); i++) {
        const ddf_plan_part *p = &plan->parts[i];
        xmlrpc_value *st;

        wheref(w, "plan.parts[%zu]", i);
        st = enc_struct(e, w);
        put_u64(e, st, w, "index", p->index);
        put_text(e, st, w, "path", p->path);
        put_u64(e, st, w, "offset", p->offset);
        put_u64(e, st, w, "length", p->length);
        put_u64(e, st, w, "first_line", p->first_line);
        enc_append(e, arr, enc_finish(e, st), w);
    }
    return enc_finish(e, arr);
}

static xmlrpc_value *steps_value(enc *e, const ddf_plan *plan)
{
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    if (!has_items(e, plan->steps, plan->nsteps, "plan.steps")) return NULL;
    arr = enc_array(e, "plan.steps");
    for (size_t i = 0; i < plan->nsteps && enc_ok(e); i++) {
        const ddf_step *s = &plan->steps[i];
        xmlrpc_value *st;

        wheref(w, "plan.steps[%zu]", i);
        st = enc_struct(e, w);
        put_name(e, st, w, "kind", ddf_plan_step_name(s->kind), (int)s->kind);
        if (s->kind == DDF_STEP_FILTER || s->kind == DDF_STEP_ASSIGN)
            put_text(e, st, w, "expr", s->expr);
        if (s->kind == DDF_STEP_ASSIGN) put_text(e, st, w, "name", s->name);
        if (s->kind == DDF_STEP_SELECT)
            put_strings(e, st, w, "columns", s->columns, s->ncolumns);
        enc_append(e, arr, enc_finish(e, st), w);
    }
    return enc_finish(e, arr);
}

static xmlrpc_value *aggs_value(enc *e, const ddf_terminal *t)
{
    const char *where = "plan.terminal.aggs";
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    if (!has_items(e, t->aggs, t->naggs, where)) return NULL;
    arr = enc_array(e, where);
    for (size_t i = 0; i < t->naggs && enc_ok(e); i++) {
        const char *agg = ddf_agg_name(t->aggs[i].kind);
        xmlrpc_value *st;

        wheref(w, "%s[%zu]", where, i);
        st = enc_struct(e, w);
        put_text(e, st, w, "column", t->aggs[i].column);
        if (agg == NULL)
            enc_fail(e, w, "not an aggregation kind");
        else
            put_text(e, st, w, "agg", agg);
        enc_append(e, arr, enc_finish(e, st), w);
    }
    return enc_finish(e, arr);
}

/* The terminal with exactly the members its kind takes: the decoder refuses others. */
static xmlrpc_value *terminal_value(enc *e, const ddf_terminal *t)
{
    const char *where = "plan.terminal";
    xmlrpc_value *st = enc_struct(e, where);

    put_name(e, st, where, "kind", ddf_plan_terminal_name(t->kind), (int)t->kind);
    switch (t->kind) {
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
        put_i8(e, st, where, "n", t->n);
        break;
    case DDF_TERM_REDUCE:
        enc_put(e, st, "aggs", aggs_value(e, t), "plan.terminal.aggs");
        break;
    case DDF_TERM_GROUPBY:
        put_strings(e, st, where, "keys", t->keys, t->nkeys);
        enc_put(e, st, "aggs", aggs_value(e, t), "plan.terminal.aggs");
        put_bool(e, st, where, "dropna", t->dropna);
        break;
    case DDF_TERM_VALUE_COUNTS:
        put_text(e, st, where, "column", t->column);
        put_bool(e, st, where, "dropna", t->dropna);
        break;
    case DDF_TERM_TOPK:
        put_i8(e, st, where, "n", t->n);
        put_strings(e, st, where, "keys", t->keys, t->nkeys);
        put_bool(e, st, where, "largest", t->largest);
        put_name(e, st, where, "keep", ddf_topk_keep_name(t->keep), (int)t->keep);
        break;
    case DDF_TERM_WRITE_CSV:
        put_text(e, st, where, "path", t->path);
        if (t->name != NULL)
            put_text(e, st, where, "name", t->name);
        break;
    case DDF_TERM_COUNT:
    case DDF_TERM_COLLECT:
        break;
    }
    return enc_finish(e, st);
}

int ddf_wire_encode_plan(const ddf_plan *plan, xmlrpc_value **out, ddf_error *err)
{
    xmlrpc_env env;
    enc e = {&env, err, DDF_OK};
    xmlrpc_value *st;

    *out = NULL;
    if (plan == NULL) return ddf_error_setf(err, DDF_EINVAL, "plan: missing (NULL)");
    xmlrpc_env_init(&env);
    st = enc_struct(&e, "plan");
    if (enc_ok(&e)) {
        int version = plan->version ? (int)plan->version : DDF_PLAN_VERSION;
        enc_put(&e, st, "version", enc_made(&e, xmlrpc_int_new(&env, version), "plan.version"),
                "plan.version");
    }
    enc_put(&e, st, "csv", csv_value(&e, &plan->csv, "plan.csv"), "plan.csv");
    enc_put(&e, st, "schema", schema_value(&e, plan->schema), "plan.schema");
    enc_put(&e, st, "parts", parts_value(&e, plan), "plan.parts");
    if (plan->nsteps > 0) enc_put(&e, st, "steps", steps_value(&e, plan), "plan.steps");
    enc_put(&e, st, "terminal", terminal_value(&e, &plan->terminal), "plan.terminal");
    if (plan->combine) put_bool(&e, st, "plan", "combine", true);
    *out = enc_finish(&e, st);
    xmlrpc_env_clean(&env);
    return e.rc;
}

int ddf_wire_encode_windows(xmlrpc_env *env, const uint64_t *offsets, const uint64_t *lengths,
                            size_t n, xmlrpc_value **out, ddf_error *err)
{
    enc e = {env, err, DDF_OK};
    char w[WHERE_BYTES];
    xmlrpc_value *arr;

    *out = NULL;
    if (env->fault_occurred)
        return ddf_error_setf(err, DDF_EINVAL, "windows: the xmlrpc_env already holds a fault");
    if (n > WIRE_MAX_WINDOWS)
        return ddf_error_setf(err, DDF_ETOOBIG,
                              "windows: %zu is over the worker's limit of %d per call", n,
                              WIRE_MAX_WINDOWS);
    if (!has_items(&e, offsets, n, "windows") || !has_items(&e, lengths, n, "windows"))
        return e.rc;
    arr = enc_array(&e, "windows");
    for (size_t i = 0; i < n && enc_ok(&e); i++) {
        xmlrpc_value *st;

        wheref(w, "windows[%zu]", i);
        st = enc_struct(&e, w);
        put_u64(&e, st, w, "offset", offsets[i]);
        put_u64(&e, st, w, "length", lengths[i]);
        enc_append(&e, arr, enc_finish(&e, st), w);
    }
    *out = enc_finish(&e, arr);
    return e.rc;
}

/* ==== decoding ========================================================================= */

static int corrupt(ddf_error *err, const char *where, const char *what)
{
    return failf(err, DDF_ECORRUPT, where, "%s", what);
}

static int expect(xmlrpc_value *v, xmlrpc_type t, const char *where, ddf_error *err)
{
    if (v == NULL) return corrupt(err, where, "missing");
    if (xmlrpc_value_type(v) != t)
        return failf(err, DDF_ECORRUPT, where, "expected %s, got %s", type_name(t),
                     type_name(xmlrpc_value_type(v)));
    return DDF_OK;
}

/* Member 'key' of struct 'st' (borrowed), its path in w[WHERE_BYTES]; NULL when absent. */
static xmlrpc_value *member(xmlrpc_value *st, const char *prefix, const char *key, char *w)
{
    xmlrpc_env env;
    xmlrpc_value *v = NULL;

    member_where(w, prefix, key);
    xmlrpc_env_init(&env);
    xmlrpc_struct_find_value(&env, st, key, &v);
    if (env.fault_occurred) v = NULL; /* xmlrpc-c leaves outputs undefined after a fault */
    xmlrpc_env_clean(&env);
    if (v != NULL) xmlrpc_DECREF(v); /* 'st' keeps its own reference */
    return v;
}

/* Item i of array 'arr', borrowed. */
static xmlrpc_value *item(xmlrpc_value *arr, size_t i)
{
    xmlrpc_env env;
    xmlrpc_value *v = NULL;

    xmlrpc_env_init(&env);
    xmlrpc_array_read_item(&env, arr, (unsigned)i, &v);
    if (env.fault_occurred) v = NULL;
    xmlrpc_env_clean(&env);
    if (v != NULL) xmlrpc_DECREF(v);
    return v;
}

static int read_array(xmlrpc_value *v, const char *where, size_t *n, ddf_error *err)
{
    xmlrpc_env env;
    int size;
    int rc = expect(v, XMLRPC_TYPE_ARRAY, where, err);

    *n = 0;
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    size = xmlrpc_array_size(&env, v);
    if (env.fault_occurred) size = -1;
    xmlrpc_env_clean(&env);
    if (size < 0) return corrupt(err, where, "unreadable array");
    *n = (size_t)size;
    return DDF_OK;
}

/* A 64-bit integer: <i8>, or <int> (which the worker uses for small figures). */
static int read_i64(xmlrpc_value *v, const char *where, int64_t *out, ddf_error *err)
{
    xmlrpc_env env;
    int rc = DDF_OK;

    *out = 0;
    if (v == NULL) return corrupt(err, where, "missing");
    xmlrpc_env_init(&env);
    if (xmlrpc_value_type(v) == XMLRPC_TYPE_I8) {
        xmlrpc_int64 i = 0;
        xmlrpc_read_i8(&env, v, &i);
        *out = i;
    } else if (xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
        int i = 0;
        xmlrpc_read_int(&env, v, &i);
        *out = i;
    } else {
        rc = failf(err, DDF_ECORRUPT, where, "expected an integer (i8 or int), got %s",
                   type_name(xmlrpc_value_type(v)));
    }
    if (env.fault_occurred && rc == DDF_OK) rc = corrupt(err, where, "unreadable integer");
    xmlrpc_env_clean(&env);
    return rc;
}

static int read_u64(xmlrpc_value *v, const char *where, uint64_t *out, ddf_error *err)
{
    int64_t i;
    int rc = read_i64(v, where, &i, err);

    *out = 0;
    if (rc < 0) return rc;
    if (i < 0) return failf(err, DDF_ECORRUPT, where, "%lld is negative", (long long)i);
    *out = (uint64_t)i;
    return DDF_OK;
}

static int read_bool(xmlrpc_value *v, const char *where, bool *out, ddf_error *err)
{
    xmlrpc_env env;
    xmlrpc_bool b = 0;
    int rc = expect(v, XMLRPC_TYPE_BOOL, where, err);

    *out = false;
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_bool(&env, v, &b);
    if (env.fault_occurred) rc = corrupt(err, where, "unreadable boolean");
    xmlrpc_env_clean(&env);
    *out = b != 0;
    return rc;
}

/* Text sent as <string>, or as <base64> when it is not XML character data (the worker's
 * rule for names and paths): a new NUL-terminated copy (*out, ddf_free). */
static int read_text(xmlrpc_value *v, const char *where, char **out, ddf_error *err)
{
    xmlrpc_env env;
    const unsigned char *bytes = NULL;
    const char *s = NULL;
    size_t len = 0;
    int rc = DDF_OK;

    *out = NULL;
    if (v == NULL) return corrupt(err, where, "missing");
    xmlrpc_env_init(&env);
    if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
        xmlrpc_read_string_lp(&env, v, &len, &s);
    } else if (xmlrpc_value_type(v) == XMLRPC_TYPE_BASE64) {
        xmlrpc_read_base64(&env, v, &len, &bytes);
        s = (const char *)bytes;
    } else {
        rc = failf(err, DDF_ECORRUPT, where, "expected a string or base64, got %s",
                   type_name(xmlrpc_value_type(v)));
    }
    if (rc == DDF_OK && env.fault_occurred) {
        s = NULL; /* undefined after a fault */
        rc = failf(err, DDF_ECORRUPT, where, "unreadable text: %s", env.fault_string);
    } else if (rc == DDF_OK && len > 0 && memchr(s, '\0', len) != NULL) {
        rc = corrupt(err, where, "text holds a NUL byte");
    } else if (rc == DDF_OK) {
        *out = ddf_strndup(len > 0 ? s : "", len);
        if (*out == NULL) rc = ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", where);
    }
    free((void *)s); /* xmlrpc-c allocates with malloc */
    xmlrpc_env_clean(&env);
    return rc;
}

/* A short <string> (a status or dtype name) into buf[WORD_MAX + 1]. */
static int read_word(xmlrpc_value *v, const char *where, char *buf, ddf_error *err)
{
    xmlrpc_env env;
    const char *s = NULL;
    size_t len = 0;
    int rc = expect(v, XMLRPC_TYPE_STRING, where, err);

    buf[0] = '\0';
    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_string_lp(&env, v, &len, &s);
    if (env.fault_occurred)
        s = NULL, rc = corrupt(err, where, "unreadable string");
    else if (len > WORD_MAX || memchr(s, '\0', len) != NULL)
        rc = failf(err, DDF_ECORRUPT, where, "not a valid name (%zu bytes)", len);
    else
        memcpy(buf, s, len), buf[len] = '\0';
    free((void *)s);
    xmlrpc_env_clean(&env);
    return rc;
}

/* A dtype name as ddf_dtype_name spells it; "null" (an all-null inferred column) is
 * DDF_DTYPE_NULL, as the worker's plan decoder reads a schema. */
static int read_dtype(xmlrpc_value *v, const char *where, ddf_dtype *out, ddf_error *err)
{
    char buf[WORD_MAX + 1];
    int rc = read_word(v, where, buf, err);

    *out = DDF_DTYPE_NULL;
    if (rc < 0) return rc;
    if (strcmp(buf, "null") == 0) return DDF_OK;
    if (ddf_dtype_parse(buf, out) < 0)
        return failf(err, DDF_ECORRUPT, where,
                     "unknown dtype \"%s\" (int64, float64, bool, string or null)", buf);
    return DDF_OK;
}

/* Required members by type: each names its own path on error. */
static int get_i64(xmlrpc_value *st, const char *prefix, const char *key, int64_t *out,
                   ddf_error *err)
{
    char w[WHERE_BYTES];
    xmlrpc_value *v = member(st, prefix, key, w);

    return read_i64(v, w, out, err);
}

static int get_u64(xmlrpc_value *st, const char *prefix, const char *key, uint64_t *out,
                   ddf_error *err)
{
    char w[WHERE_BYTES];
    xmlrpc_value *v = member(st, prefix, key, w);

    return read_u64(v, w, out, err);
}

/* A non-negative count kept as int64 (rows_in, rows_out, bad_lines). */
static int get_count(xmlrpc_value *st, const char *prefix, const char *key, int64_t *out,
                     ddf_error *err)
{
    uint64_t u;
    int rc = get_u64(st, prefix, key, &u, err);

    *out = (int64_t)u;
    return rc;
}

static int get_bool(xmlrpc_value *st, const char *prefix, const char *key, bool *out,
                    ddf_error *err)
{
    char w[WHERE_BYTES];
    xmlrpc_value *v = member(st, prefix, key, w);

    return read_bool(v, w, out, err);
}

static int get_text(xmlrpc_value *st, const char *prefix, const char *key, char **out,
                    ddf_error *err)
{
    char w[WHERE_BYTES];
    xmlrpc_value *v = member(st, prefix, key, w);

    return read_text(v, w, out, err);
}

/* ---- ddf.run ---- */

static int decode_blob(xmlrpc_value *st, const char *prefix, ddf_table **out, ddf_error *err)
{
    char w[WHERE_BYTES];
    xmlrpc_value *v = member(st, prefix, "blob", w);
    const unsigned char *bytes = NULL;
    xmlrpc_env env;
    ddf_error cerr;
    size_t len = 0;
    int rc = expect(v, XMLRPC_TYPE_BASE64, w, err);

    if (rc < 0) return rc;
    xmlrpc_env_init(&env);
    xmlrpc_read_base64(&env, v, &len, &bytes);
    if (env.fault_occurred) {
        bytes = NULL; /* undefined after a fault */
        rc = failf(err, DDF_ECORRUPT, w, "unreadable base64: %s", env.fault_string);
    } else {
        ddf_error_init(&cerr);
        rc = ddf_codec_decode(bytes, len, out, &cerr);
        if (rc < 0) {
            failf(err, rc, w, "%s", cerr.msg);
            if (err != NULL) err->offset = cerr.offset, err->column = cerr.column;
        }
    }
    free((void *)bytes);
    xmlrpc_env_clean(&env);
    return rc;
}

static int decode_widen(xmlrpc_value *st, const char *prefix, ddf_part_result *r, ddf_error *err)
{
    char w[WHERE_BYTES], wi[WHERE_BYTES], wm[WHERE_BYTES];
    xmlrpc_value *arr = member(st, prefix, "widen", w);
    size_t n;
    int rc = read_array(arr, w, &n, err);

    if (rc < 0) return rc;
    if (n == 0) return corrupt(err, w, "status widen names no column to widen");
    r->widen = ddf_calloc(n, sizeof(*r->widen));
    if (r->widen == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", w);
    r->nwiden = n;
    for (size_t i = 0; i < n; i++) {
        xmlrpc_value *it = item(arr, i);

        wheref(wi, "%s[%zu]", w, i);
        rc = expect(it, XMLRPC_TYPE_STRUCT, wi, err);
        if (rc == DDF_OK) rc = get_text(it, wi, "column", &r->widen[i].column, err);
        if (rc == DDF_OK) rc = read_dtype(member(it, wi, "dtype", wm), wm, &r->widen[i].dtype, err);
        if (rc < 0) return rc;
    }
    return DDF_OK;
}

static int decode_error(xmlrpc_value *st, const char *prefix, ddf_part_result *r, ddf_error *err)
{
    char w[WHERE_BYTES];
    int64_t code;
    int rc = get_i64(st, prefix, "code", &code, err);

    if (rc < 0) return rc;
    /* the fault code of a ddf status: 1 (DDF_ENOMEM) .. 16 (DDF_ETIMEDOUT) */
    if (code < 1 || code > -(int64_t)DDF_ETIMEDOUT) {
        member_where(w, prefix, "code");
        return failf(err, DDF_ECORRUPT, w, "%lld is not a ddf fault code (1..%d)",
                     (long long)code, -DDF_ETIMEDOUT);
    }
    r->code = -(int)code;
    return get_text(st, prefix, "error", &r->error, err);
}

/* The optional "warnings" array of strings, at most DDF_MAX_WARNINGS. */
static int decode_warnings(xmlrpc_value *st, const char *prefix, ddf_part_result *r,
                           ddf_error *err)
{
    char w[WHERE_BYTES], wi[WHERE_BYTES];
    xmlrpc_value *arr = member(st, prefix, "warnings", w);
    size_t n;
    int rc;

    if (arr == NULL) return DDF_OK;
    rc = read_array(arr, w, &n, err);
    if (rc < 0) return rc;
    if (n > DDF_MAX_WARNINGS)
        return corrupt(err, w, "more warnings than a partition keeps");
    r->warnings = ddf_calloc(n ? n : 1, sizeof(*r->warnings));
    if (r->warnings == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", w);
    for (size_t i = 0; i < n; i++) {
        wheref(wi, "%s[%zu]", w, i);
        rc = read_text(item(arr, i), wi, &r->warnings[i], err);
        if (rc < 0) return rc;
        r->nwarnings++;
    }
    return DDF_OK;
}

static int decode_result(xmlrpc_value *st, const char *where, ddf_part_result *r, ddf_error *err)
{
    char status[WORD_MAX + 1], w[WHERE_BYTES];
    int rc = expect(st, XMLRPC_TYPE_STRUCT, where, err);

    if (rc == DDF_OK) rc = get_u64(st, where, "index", &r->index, err);
    if (rc == DDF_OK) rc = read_word(member(st, where, "status", w), w, status, err);
    if (rc == DDF_OK) rc = get_count(st, where, "rows_in", &r->rows_in, err);
    if (rc == DDF_OK) rc = get_count(st, where, "rows_out", &r->rows_out, err);
    if (rc == DDF_OK) rc = get_count(st, where, "bad_lines", &r->bad_lines, err);
    if (rc == DDF_OK) rc = get_bool(st, where, "cache_hit", &r->cache_hit, err);
    if (rc == DDF_OK) rc = decode_warnings(st, where, r, err);
    if (rc < 0) return rc;
    if (strcmp(status, "ok") == 0) {
        r->status = DDF_PART_OK;
        /* no blob: covered by a combined answer's first entry (checked by the caller) */
        if (member(st, where, "blob", w) == NULL) return DDF_OK;
        return decode_blob(st, where, &r->table, err);
    }
    if (strcmp(status, "widen") == 0) {
        r->status = DDF_PART_WIDEN;
        return decode_widen(st, where, r, err);
    }
    if (strcmp(status, "error") == 0) {
        r->status = DDF_PART_ERROR;
        return decode_error(st, where, r, err);
    }
    member_where(w, where, "status");
    return failf(err, DDF_ECORRUPT, w, "unknown status \"%s\" (ok, widen or error)", status);
}

/* Blobs where the answer says they are: one per OK entry, or, combined, only the first's. */
static int check_combined(xmlrpc_value *answer, const char *where, ddf_part_result *res,
                          size_t count, ddf_error *err)
{
    char w[WHERE_BYTES], wi[WHERE_BYTES];
    xmlrpc_value *m = member(answer, where, "combined", w);
    bool combined = false;
    int rc = m != NULL ? read_bool(m, w, &combined, err) : DDF_OK;

    for (size_t i = 0; rc == DDF_OK && i < count; i++) {
        bool want = res[i].status == DDF_PART_OK && (!combined || i == 0);

        wheref(wi, "%s.results[%zu]", where, i);
        if (combined && res[i].status != DDF_PART_OK)
            rc = corrupt(err, wi, "a combined answer with a partition that is not ok");
        else if (want && res[i].table == NULL) {
            wheref(wi, "%s.results[%zu].blob", where, i);
            rc = corrupt(err, wi, "missing (status ok)");
        }
        else if (!want && res[i].table != NULL)
            rc = corrupt(err, wi, "a blob in a combined answer's later entry");
    }
    if (rc == DDF_OK && combined && count > 0)
        res[0].combined = true;
    return rc;
}

int ddf_wire_decode_run(xmlrpc_value *answer, ddf_part_result **out, size_t *n, ddf_error *err)
{
    const char *where = "ddf.run answer";
    char w[WHERE_BYTES];
    ddf_part_result *res;
    xmlrpc_value *arr;
    size_t count;
    int rc;

    *out = NULL;
    *n = 0;
    rc = expect(answer, XMLRPC_TYPE_STRUCT, where, err);
    if (rc < 0) return rc;
    arr = member(answer, where, "results", w);
    rc = read_array(arr, w, &count, err);
    if (rc < 0) return rc;
    res = ddf_calloc(count ? count : 1, sizeof(*res));
    if (res == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", w);
    for (size_t i = 0; i < count; i++) {
        char wi[WHERE_BYTES];

        wheref(wi, "%s[%zu]", w, i);
        rc = decode_result(item(arr, i), wi, &res[i], err);
        if (rc < 0) {
            ddf_part_results_free(res, count);
            return rc;
        }
    }
    rc = check_combined(answer, where, res, count, err);
    if (rc < 0) {
        ddf_part_results_free(res, count);
        return rc;
    }
    *out = res;
    *n = count;
    return DDF_OK;
}

void ddf_part_results_free(ddf_part_result *r, size_t n)
{
    if (r == NULL) return;
    for (size_t i = 0; i < n; i++) {
        ddf_free(r[i].error);
        ddf_table_free(r[i].table);
        for (size_t k = 0; r[i].widen != NULL && k < r[i].nwiden; k++) ddf_free(r[i].widen[k].column);
        ddf_free(r[i].widen);
        for (size_t k = 0; r[i].warnings != NULL && k < r[i].nwarnings; k++) ddf_free(r[i].warnings[k]);
        ddf_free(r[i].warnings);
    }
    ddf_free(r);
}

/* ---- ddf.files ---- */

int ddf_wire_decode_files(xmlrpc_value *answer, ddf_wire_file **out, size_t *n, ddf_error *err)
{
    const char *where = "ddf.files answer";
    ddf_wire_file *files = NULL;
    size_t count;
    int rc;

    *out = NULL;
    *n = 0;
    rc = read_array(answer, where, &count, err);
    if (rc < 0 || count == 0) return rc;
    files = ddf_calloc(count, sizeof(*files));
    if (files == NULL) return ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", where);
    for (size_t i = 0; i < count && rc == DDF_OK; i++) {
        xmlrpc_value *st = item(answer, i);
        char w[WHERE_BYTES];

        wheref(w, "%s[%zu]", where, i);
        rc = expect(st, XMLRPC_TYPE_STRUCT, w, err);
        if (rc == DDF_OK) rc = get_text(st, w, "path", &files[i].path, err);
        if (rc == DDF_OK) rc = get_u64(st, w, "size", &files[i].size, err);
        if (rc == DDF_OK) rc = get_i64(st, w, "mtime_ns", &files[i].mtime_ns, err);
    }
    if (rc < 0) {
        ddf_wire_files_free(files, count);
        return rc;
    }
    *out = files;
    *n = count;
    return DDF_OK;
}

void ddf_wire_files_free(ddf_wire_file *f, size_t n)
{
    if (f == NULL) return;
    for (size_t i = 0; i < n; i++) ddf_free(f[i].path);
    ddf_free(f);
}

/* ---- ddf.scan ---- */

/* A pair [even, odd] of i8; 'none_ok': -1 means none (DDF_SPLIT_NONE). */
static int get_pair(xmlrpc_value *st, const char *prefix, const char *key, bool none_ok,
                    uint64_t out[2], ddf_error *err)
{
    char w[WHERE_BYTES], wi[WHERE_BYTES];
    xmlrpc_value *arr = member(st, prefix, key, w);
    size_t n;
    int rc = read_array(arr, w, &n, err);

    if (rc < 0) return rc;
    if (n != 2) return failf(err, DDF_ECORRUPT, w, "%zu items, expected [even, odd]", n);
    for (size_t p = 0; p < 2; p++) {
        int64_t i;

        wheref(wi, "%s[%zu]", w, p);
        rc = read_i64(item(arr, p), wi, &i, err);
        if (rc < 0) return rc;
        if (i < (none_ok ? -1 : 0))
            return failf(err, DDF_ECORRUPT, wi, "%lld is negative", (long long)i);
        out[p] = i == -1 ? DDF_SPLIT_NONE : (uint64_t)i;
    }
    return DDF_OK;
}

int ddf_wire_decode_scan(xmlrpc_value *answer, ddf_split_window *out, size_t n, ddf_error *err)
{
    const char *where = "ddf.scan answer";
    size_t count;
    int rc = read_array(answer, where, &count, err);

    if (rc < 0) return rc;
    if (count != n)
        return failf(err, DDF_ECORRUPT, where, "%zu windows, expected %zu (one per window asked)",
                     count, n);
    for (size_t i = 0; i < n; i++) {
        xmlrpc_value *st = item(answer, i);
        ddf_split_window *win = &out[i];
        char w[WHERE_BYTES];

        wheref(w, "%s[%zu]", where, i);
        rc = expect(st, XMLRPC_TYPE_STRUCT, w, err);
        if (rc == DDF_OK) rc = get_u64(st, w, "offset", &win->offset, err);
        if (rc == DDF_OK) rc = get_u64(st, w, "length", &win->length, err);
        if (rc == DDF_OK) rc = get_u64(st, w, "quotes", &win->quotes, err);
        if (rc == DDF_OK) rc = get_u64(st, w, "newlines", &win->newlines, err);
        if (rc == DDF_OK) rc = get_pair(st, w, "first_nl", true, win->first_nl, err);
        if (rc == DDF_OK) rc = get_pair(st, w, "nl_before", false, win->nl_before, err);
        if (rc < 0) return rc;
    }
    return DDF_OK;
}

/* ---- ddf.infer ---- */

static int decode_columns(xmlrpc_value *arr, const char *where, ddf_schema *schema,
                          ddf_error *err)
{
    size_t n;
    int rc = read_array(arr, where, &n, err);

    if (rc < 0) return rc;
    for (size_t i = 0; i < n; i++) {
        xmlrpc_value *st = item(arr, i), *m;
        char w[WHERE_BYTES], wm[WHERE_BYTES];
        ddf_dtype dtype = DDF_DTYPE_NULL;
        bool pinned = false;
        char *name = NULL;

        wheref(w, "%s[%zu]", where, i);
        rc = expect(st, XMLRPC_TYPE_STRUCT, w, err);
        if (rc == DDF_OK) rc = get_text(st, w, "name", &name, err);
        if (rc == DDF_OK) rc = read_dtype(member(st, w, "dtype", wm), wm, &dtype, err);
        if (rc == DDF_OK && (m = member(st, w, "pinned", wm)) != NULL)
            rc = read_bool(m, wm, &pinned, err);
        if (rc == DDF_OK && pinned && dtype == DDF_DTYPE_NULL)
            rc = corrupt(err, w, "a pinned column has a dtype, not null");
        if (rc == DDF_OK && ddf_schema_find(schema, name) >= 0)
            rc = failf(err, DDF_ECORRUPT, w, "duplicate column \"%.64s\"", name);
        if (rc == DDF_OK) {
            rc = ddf_schema_add(schema, name, strlen(name), dtype, pinned ? DDF_FIELD_PINNED : 0);
            if (rc < 0) failf(err, rc, w, "cannot add column: %s", ddf_strerror(rc));
        }
        ddf_free(name);
        if (rc < 0) return rc;
    }
    return DDF_OK;
}

int ddf_wire_decode_infer(xmlrpc_value *answer, ddf_wire_infer *out, ddf_error *err)
{
    const char *where = "ddf.infer answer";
    char w[WHERE_BYTES];
    int rc;

    memset(out, 0, sizeof(*out));
    rc = expect(answer, XMLRPC_TYPE_STRUCT, where, err);
    if (rc == DDF_OK) rc = get_u64(answer, where, "size", &out->size, err);
    if (rc == DDF_OK) rc = get_u64(answer, where, "data_start", &out->data_start, err);
    if (rc == DDF_OK) rc = get_u64(answer, where, "data_line", &out->data_line, err);
    if (rc == DDF_OK) rc = get_i64(answer, where, "mtime_ns", &out->mtime_ns, err);
    if (rc == DDF_OK && out->data_start > out->size)
        rc = failf(err, DDF_ECORRUPT, where, "data_start %llu is past the file's %llu bytes",
                   (unsigned long long)out->data_start, (unsigned long long)out->size);
    if (rc == DDF_OK && (out->schema = ddf_schema_new()) == NULL)
        rc = ddf_error_setf(err, DDF_ENOMEM, "%s: out of memory", where);
    if (rc == DDF_OK)
        rc = decode_columns(member(answer, where, "columns", w), w, out->schema, err);
    if (rc < 0) ddf_wire_infer_fini(out);
    return rc;
}

void ddf_wire_infer_fini(ddf_wire_infer *w)
{
    if (w == NULL) return;
    ddf_schema_free(w->schema);
    memset(w, 0, sizeof(*w));
}
