/* plan.c - a plan's lifetime and its validation (plan.h), and its compilation for the
 * executor (plan_int.h).
 *
 * A plan arrives from the network, so nothing in it is trusted until ddf_plan_validate
 * has checked it: counts against the bounds of plan.h, every path confined to the data
 * root by its real path (DESIGN §8), every range inside its file, every expression parsed
 * and type-checked against the schema as the pipeline changes it, every aggregation one
 * pandas allows on its column. Errors name the member the way the decoder does
 * ("plan.steps[2] (filter): ...") so a client can find the culprit. */
#include "plan_int.h"

#include "alloc.h"
#include "limits.h"
#include "topk.h"

#include <errno.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find common/limits.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ddf_plan_init(ddf_plan *plan, ddf_error *err)
{
    memset(plan, 0, sizeof(*plan));
    plan->version = DDF_PLAN_VERSION;
    ddf_csv_options_init(&plan->csv);
    plan->terminal.dropna = true;
    plan->arena = ddf_arena_new();
    if (plan->arena == NULL)
        goto nomem;
    plan->schema = ddf_schema_new();
    if (plan->schema == NULL)
        goto nomem;
    return DDF_OK;
nomem:
    ddf_plan_fini(plan);
    return ddf_error_setf(err, DDF_ENOMEM, "out of memory creating a plan");
}

void ddf_plan_fini(ddf_plan *plan)
{
    if (plan == NULL)
        return;
    ddf_schema_free(plan->schema);
    ddf_arena_free(plan->arena);
    memset(plan, 0, sizeof(*plan));
}

/* ---- paths ------------------------------------------------------------------------- */

/* Whether the resolved 'real' is 'root' or below it ('root' is a real path too). */
static bool under_root(const char *root, const char *real)
{
    size_t n = strlen(root);

    if (n == 1 && root[0] == '/')
        return real[0] == '/';
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* 'path' made absolute against 'root' into 'full'. DDF_ETOOBIG when it does not fit. */
static int join_root(const char *root, const char *path, char *full, size_t cap,
                     ddf_error *err)
{
    int n = path[0] == '/' ? snprintf(full, cap, "%s", path)
                           : snprintf(full, cap, "%s/%s", root, path);

    if (n < 0 || (size_t)n >= cap)
        return ddf_error_setf(err, DDF_ETOOBIG, "%.200s: path too long", path);
    return DDF_OK;
}

static int real_root(const char *data_root, char root[PATH_MAX], ddf_error *err)
{
    if (data_root == NULL || realpath(data_root, root) == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "data root %.200s: %s",
                              data_root ? data_root : "(none)",
                              data_root ? strerror(errno) : "not set");
    return DDF_OK;
}

int ddf_plan_resolve_file(const char *data_root, const char *path, char *real, size_t cap,
                          struct stat *st, ddf_error *err)
{
    char root[PATH_MAX], full[2 * PATH_MAX], res[PATH_MAX];
    int rc;

    if (path == NULL || path[0] == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "empty path");
    rc = real_root(data_root, root, err);
    if (rc == DDF_OK)
        rc = join_root(root, path, full, sizeof(full), err);
    if (rc < 0)
        return rc;
    if (realpath(full, res) == NULL)
        return ddf_error_setf(err, errno == ENOENT || errno == ENOTDIR ? DDF_ENOENT : DDF_EIO,
                              "%.200s: %s", path, strerror(errno));
    if (!under_root(root, res))
        return ddf_error_setf(err, DDF_EINVAL, "%.200s: outside the worker's data root", path);
    if (stat(res, st) < 0)
        return ddf_error_setf(err, DDF_EIO, "%.200s: %s", path, strerror(errno));
    if (!S_ISREG(st->st_mode))
        return ddf_error_setf(err, DDF_EIO, "%.200s: not a regular file", path);
    if (strlen(res) >= cap)
        return ddf_error_setf(err, DDF_ETOOBIG, "%.200s: path too long", path);
    memcpy(real, res, strlen(res) + 1);
    return DDF_OK;
}

bool ddf_plan_csv_name_ok(const char *name)
{
    const char *star = strchr(name, '*');

    return star != NULL && strchr(star + 1, '*') == NULL && strchr(name, '/') == NULL &&
           strlen(name) <= 200 && name[0] != '.';
}

/* WRITE_CSV's directory: an existing directory under the root, or new levels of plain
 * names below one (the executor creates them). */
static int check_out_dir(const char *data_root, const char *path, ddf_error *err)
{
    char root[PATH_MAX], full[2 * PATH_MAX], res[PATH_MAX];
    struct stat st;
    char *slash;
    int rc;

    if (path == NULL || path[0] == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.path: empty");
    rc = real_root(data_root, root, err);
    if (rc == DDF_OK)
        rc = join_root(root, path, full, sizeof(full), err);
    if (rc < 0)
        return rc;
    if (realpath(full, res) != NULL) {
        if (!under_root(root, res))
            return ddf_error_setf(err, DDF_EINVAL,
                                  "plan.terminal.path: %.200s is outside the worker's data root",
                                  path);
        if (stat(res, &st) < 0 || !S_ISDIR(st.st_mode))
            return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.path: %.200s is not a directory",
                                  path);
        return DDF_OK;
    }
    /* Not there yet: the executor makes the missing levels (as Dask's to_csv makes its
     * directory), so each must be a plain name and the nearest existing ancestor a
     * directory under the root. */
    for (;;) {
        while (strlen(full) > 1 && full[strlen(full) - 1] == '/')
            full[strlen(full) - 1] = '\0';
        slash = strrchr(full, '/');
        if (slash == NULL || strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0)
            return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.path: %.200s is not a "
                                  "directory name", path);
        *slash = '\0';
        if (realpath(full[0] ? full : "/", res) != NULL)
            break;
        if (errno != ENOENT)
            return ddf_error_setf(err, DDF_ENOENT, "plan.terminal.path: %.200s: %s", path,
                                  strerror(errno));
    }
    if (!under_root(root, res))
        return ddf_error_setf(err, DDF_EINVAL,
                              "plan.terminal.path: %.200s is outside the worker's data root",
                              path);
    if (stat(res, &st) < 0 || !S_ISDIR(st.st_mode))
        return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.path: %.200s: %s is not a "
                              "directory", path, res);
    return DDF_OK;
}

/* ---- compile ----------------------------------------------------------------------- */

/* The schema the pipeline starts from: the plan's, with all-null fields as the float64
 * they are stored as (ddf_expr_check and the tables must agree on every dtype). */
static ddf_schema *start_schema(const ddf_schema *in)
{
    ddf_schema *s = ddf_schema_copy(in);

    for (size_t c = 0; s && c < s->ncols; c++) {
        s->fields[c].dtype = ddf_schema_storage_dtype(in, c);
        s->fields[c].flags = 0;
    }
    return s;
}

static const char *const TERMINAL_NAMES[] = {
    [DDF_TERM_COUNT] = "count",       [DDF_TERM_HEAD] = "head",
    [DDF_TERM_TAIL] = "tail",         [DDF_TERM_COLLECT] = "collect",
    [DDF_TERM_REDUCE] = "reduce",     [DDF_TERM_GROUPBY] = "groupby",
    [DDF_TERM_VALUE_COUNTS] = "value_counts", [DDF_TERM_TOPK] = "topk",
    [DDF_TERM_WRITE_CSV] = "write_csv",
};
static const char *const STEP_NAMES[] = {
    [DDF_STEP_FILTER] = "filter", [DDF_STEP_ASSIGN] = "assign", [DDF_STEP_SELECT] = "select"};
static const char *const BAD_LINES_NAMES[] = {
    [DDF_BAD_LINES_ERROR] = "error", [DDF_BAD_LINES_WARN] = "warn", [DDF_BAD_LINES_SKIP] = "skip"};

#define NAME_OF(table, v) ((unsigned)(v) < sizeof(table) / sizeof((table)[0]) ? (table)[v] : NULL)

static int parse_name(const char *const *table, size_t n, const char *name, int *out)
{
    for (size_t i = 0; i < n; i++)
        if (table[i] != NULL && strcmp(table[i], name) == 0) {
            *out = (int)i;
            return DDF_OK;
        }
    return DDF_EINVAL;
}

const char *ddf_plan_terminal_name(ddf_terminal_kind kind)
{
    return NAME_OF(TERMINAL_NAMES, kind);
}

int ddf_plan_terminal_parse(const char *name, ddf_terminal_kind *out)
{
    int v;
    int rc = parse_name(TERMINAL_NAMES, sizeof TERMINAL_NAMES / sizeof TERMINAL_NAMES[0], name,
                        &v);

    if (rc == DDF_OK)
        *out = (ddf_terminal_kind)v;
    return rc;
}

const char *ddf_plan_step_name(ddf_step_kind kind)
{
    return NAME_OF(STEP_NAMES, kind);
}

const char *ddf_plan_bad_lines_name(ddf_bad_lines mode)
{
    return NAME_OF(BAD_LINES_NAMES, mode);
}

int ddf_plan_bad_lines_parse(const char *name, ddf_bad_lines *out)
{
    int v;
    int rc = parse_name(BAD_LINES_NAMES, sizeof BAD_LINES_NAMES / sizeof BAD_LINES_NAMES[0],
                        name, &v);

    if (rc == DDF_OK)
        *out = (ddf_bad_lines)v;
    return rc;
}

static const char *step_name(ddf_step_kind k)
{
    const char *name = ddf_plan_step_name(k);

    return name != NULL ? name : "?";
}

/* Parse and check one step's expression against 's'; errors keep the parser's offset and
 * get the step in front of the message. */
static int compile_expr(const ddf_step *st, size_t i, const ddf_schema *s, ddf_arena *arena,
                        ddf_expr **out, ddf_error *err)
{
    size_t len;
    int64_t offset;
    int rc;

    if (st->expr == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "plan.steps[%zu] (%s): no expression", i,
                              step_name(st->kind));
    len = strlen(st->expr);
    rc = ddf_expr_parse(st->expr, len, arena, out, err);
    if (rc == DDF_OK)
        rc = ddf_expr_check(*out, s, err);
    if (rc < 0 && err) {
        char msg[DDF_ERROR_MSG_BYTES];

        offset = err->offset;
        snprintf(msg, sizeof(msg), "%s", err->msg);
        ddf_error_setf(err, rc, "plan.steps[%zu] (%s '%.60s'): %s", i, step_name(st->kind),
                       st->expr, msg);
        err->offset = offset;
    }
    return rc;
}

static int find_col(const ddf_schema *s, const char *name, const char *where, size_t *out,
                    ddf_error *err)
{
    long c;

    if (name == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "%s: no column name", where);
    c = ddf_schema_find(s, name);
    if (c < 0)
        return ddf_error_setf(err, DDF_EINVAL, "%s: unknown column '%.100s'", where, name);
    *out = (size_t)c;
    return DDF_OK;
}

/* One step: check it against *s and leave in *s the schema after it. */
static int compile_step(const ddf_step *st, size_t i, ddf_schema **s, ddf_arena *arena,
                        ddf_plan_cstep *cs, ddf_error *err)
{
    char where[64];
    int rc;

    cs->kind = st->kind;
    switch (st->kind) {
    case DDF_STEP_FILTER:
        rc = compile_expr(st, i, *s, arena, &cs->expr, err);
        if (rc == DDF_OK && cs->expr->dtype != DDF_DTYPE_BOOL)
            rc = ddf_error_setf(err, DDF_ETYPE, "plan.steps[%zu] (filter '%.60s'): the "
                                "condition is %s, not bool", i, st->expr,
                                ddf_dtype_name(cs->expr->dtype));
        return rc;
    case DDF_STEP_ASSIGN: {
        ddf_dtype dt;
        long c;

        if (st->name == NULL || st->name[0] == '\0' || strlen(st->name) > DDF_MAX_NAME_BYTES)
            return ddf_error_setf(err, DDF_EINVAL, "plan.steps[%zu] (assign): bad column name",
                                  i);
        rc = compile_expr(st, i, *s, arena, &cs->expr, err);
        if (rc < 0)
            return rc;
        /* None assigns an all-null float64 column (frame_ops.h). */
        dt = cs->expr->dtype == DDF_DTYPE_NULL ? DDF_DTYPE_FLOAT64 : cs->expr->dtype;
        c = ddf_schema_find(*s, st->name);
        if (c >= 0) {
            (*s)->fields[c].dtype = dt;
            return DDF_OK;
        }
        rc = ddf_schema_add(*s, st->name, strlen(st->name), dt, 0);
        if (rc < 0)
            return ddf_error_setf(err, rc, "plan.steps[%zu] (assign '%.60s'): %s", i,
                                  st->name, rc == DDF_ETOOBIG ? "too many columns"
                                                              : "out of memory");
        return DDF_OK;
    }
    case DDF_STEP_SELECT: {
        ddf_schema *n;

        if (st->ncolumns > DDF_MAX_COLUMNS || (st->ncolumns && st->columns == NULL))
            return ddf_error_setf(err, DDF_EINVAL, "plan.steps[%zu] (select): bad column list",
                                  i);
        cs->ncols = st->ncolumns;
        cs->cols = ddf_arena_calloc(arena, st->ncolumns ? st->ncolumns : 1, sizeof(size_t));
        n = ddf_schema_new();
        if (cs->cols == NULL || n == NULL) {
            ddf_schema_free(n);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
        snprintf(where, sizeof(where), "plan.steps[%zu] (select)", i);
        for (size_t k = 0; k < st->ncolumns; k++) {
            rc = find_col(*s, st->columns[k], where, &cs->cols[k], err);
            if (rc == DDF_OK) {
                const ddf_field *f = &(*s)->fields[cs->cols[k]];
                rc = ddf_schema_add(n, f->name, strlen(f->name), f->dtype, 0);
                if (rc < 0)
                    ddf_error_setf(err, rc, "out of memory");
            }
            if (rc < 0) {
                ddf_schema_free(n);
                return rc;
            }
        }
        ddf_schema_free(*s);
        *s = n;
        return DDF_OK;
    }
    }
    return ddf_error_setf(err, DDF_EINVAL, "plan.steps[%zu]: unknown kind %d", i,
                          (int)st->kind);
}

static int compile_aggs(const ddf_terminal *t, const ddf_schema *s, ddf_arena *arena,
                        ddf_plan_compiled *c, ddf_error *err)
{
    char where[64];

    if (t->naggs == 0)
        return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.aggs: no aggregation");
    if (t->naggs > DDF_PLAN_MAX_AGGS || t->aggs == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.aggs: %zu aggregations, the "
                              "limit is %d", t->naggs, DDF_PLAN_MAX_AGGS);
    c->aggs = ddf_arena_calloc(arena, t->naggs, sizeof(*c->aggs));
    if (c->aggs == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->naggs; i++) {
        ddf_dtype rt;
        int rc;

        snprintf(where, sizeof(where), "plan.terminal.aggs[%zu]", i);
        if ((unsigned)t->aggs[i].kind >= DDF_AGG_KIND_COUNT)
            return ddf_error_setf(err, DDF_EINVAL, "%s: unknown aggregation %d", where,
                                  (int)t->aggs[i].kind);
        rc = find_col(s, t->aggs[i].column, where, &c->aggs[i].col, err);
        if (rc < 0)
            return rc;
        c->aggs[i].kind = t->aggs[i].kind;
        if (ddf_agg_result_dtype(t->aggs[i].kind, s->fields[c->aggs[i].col].dtype, &rt) < 0)
            return ddf_error_setf(err, DDF_ETYPE, "%s: %s of column '%.100s' (%s) is not "
                                  "supported", where, ddf_agg_name(t->aggs[i].kind),
                                  t->aggs[i].column,
                                  ddf_dtype_name(s->fields[c->aggs[i].col].dtype));
    }
    return DDF_OK;
}

static int compile_keys(const ddf_terminal *t, const ddf_schema *s, size_t max, bool numeric,
                        ddf_arena *arena, ddf_plan_compiled *c, ddf_error *err)
{
    char where[64];

    if (t->nkeys == 0 || t->nkeys > max || t->keys == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.keys: %zu columns, between 1 "
                              "and %zu allowed", t->nkeys, max);
    c->keys = ddf_arena_calloc(arena, t->nkeys, sizeof(size_t));
    if (c->keys == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->nkeys; i++) {
        int rc;

        snprintf(where, sizeof(where), "plan.terminal.keys[%zu]", i);
        rc = find_col(s, t->keys[i], where, &c->keys[i], err);
        if (rc < 0)
            return rc;
        if (numeric && s->fields[c->keys[i]].dtype == DDF_DTYPE_STRING)
            return ddf_error_setf(err, DDF_ETYPE, "%s: cannot order by string column '%.100s' "
                                  "(as pandas' nlargest refuses object columns)", where,
                                  t->keys[i]);
    }
    return DDF_OK;
}

static int compile_terminal(const ddf_terminal *t, const ddf_schema *s, ddf_arena *arena,
                            ddf_plan_compiled *c, ddf_error *err)
{
    switch (t->kind) {
    case DDF_TERM_COUNT:
    case DDF_TERM_HEAD:
    case DDF_TERM_TAIL:
    case DDF_TERM_COLLECT:
    case DDF_TERM_WRITE_CSV:
        return DDF_OK;
    case DDF_TERM_REDUCE:
        return compile_aggs(t, s, arena, c, err);
    case DDF_TERM_GROUPBY: {
        int rc = compile_keys(t, s, DDF_GROUPBY_MAX_KEYS, false, arena, c, err);
        return rc < 0 ? rc : compile_aggs(t, s, arena, c, err);
    }
    case DDF_TERM_VALUE_COUNTS:
        return find_col(s, t->column, "plan.terminal.column", &c->column, err);
    case DDF_TERM_TOPK:
        if (t->n < 0 || t->n > (int64_t)DDF_TOPK_MAX_N)
            return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.n: %lld is outside 0..%u",
                                  (long long)t->n, DDF_TOPK_MAX_N);
        if ((unsigned)t->keep > DDF_TOPK_KEEP_ALL)
            return ddf_error_setf(err, DDF_EINVAL, "plan.terminal.keep: unknown value %d",
                                  (int)t->keep);
        return compile_keys(t, s, DDF_TOPK_MAX_KEYS, true, arena, c, err);
    }
    return ddf_error_setf(err, DDF_EINVAL, "plan.terminal: unknown kind %d", (int)t->kind);
}

int ddf_plan_compile(const ddf_plan *plan, ddf_arena *arena, ddf_plan_compiled *out,
                     ddf_error *err)
{
    ddf_schema *s;
    int rc = DDF_OK;

    memset(out, 0, sizeof(*out));
    if (plan->schema == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "plan.schema: missing");
    if (plan->nsteps > DDF_PLAN_MAX_STEPS || (plan->nsteps && plan->steps == NULL))
        return ddf_error_setf(err, DDF_EINVAL, "plan.steps: %zu steps, the limit is %d",
                              plan->nsteps, DDF_PLAN_MAX_STEPS);
    s = start_schema(plan->schema);
    out->steps = ddf_arena_calloc(arena, plan->nsteps ? plan->nsteps : 1,
                                  sizeof(*out->steps));
    if (s == NULL || out->steps == NULL) {
        ddf_schema_free(s);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory compiling the plan");
    }
    for (size_t i = 0; i < plan->nsteps && rc == DDF_OK; i++)
        rc = compile_step(&plan->steps[i], i, &s, arena, &out->steps[i], err);
    if (rc == DDF_OK)
        rc = compile_terminal(&plan->terminal, s, arena, out, err);
    if (rc < 0) {
        ddf_schema_free(s);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->out = s;
    return DDF_OK;
}

void ddf_plan_compiled_fini(ddf_plan_compiled *c)
{
    if (c == NULL)
        return;
    ddf_schema_free(c->out);
    memset(c, 0, sizeof(*c));
}

/* ---- validate ---------------------------------------------------------------------- */

static int check_part(const ddf_plan_part *p, size_t i, const char *data_root, ddf_error *err)
{
    char real[PATH_MAX];
    struct stat st;
    int rc;

    if (p->path == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "plan.parts[%zu]: no path", i);
    rc = ddf_plan_resolve_file(data_root, p->path, real, sizeof(real), &st, err);
    if (rc < 0) {
        char msg[DDF_ERROR_MSG_BYTES];

        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        return ddf_error_setf(err, rc, "plan.parts[%zu]: %s", i, msg);
    }
    if (p->length > DDF_MAX_BLOCK_BYTES)
        return ddf_error_setf(err, DDF_ETOOBIG, "plan.parts[%zu]: %.200s: %llu bytes is over "
                              "the block limit of %llu", i, p->path,
                              (unsigned long long)p->length,
                              (unsigned long long)DDF_MAX_BLOCK_BYTES);
    if (p->offset > (uint64_t)st.st_size || p->length > (uint64_t)st.st_size - p->offset)
        return ddf_error_setf(err, DDF_EINVAL, "plan.parts[%zu]: %.200s: bytes [%llu, %llu) "
                              "are past the end of the file (%llu bytes)", i, p->path,
                              (unsigned long long)p->offset,
                              (unsigned long long)(p->offset + p->length),
                              (unsigned long long)st.st_size);
    return DDF_OK;
}

int ddf_plan_validate(const ddf_plan *plan, const char *data_root, ddf_error *err)
{
    ddf_plan_compiled c;
    ddf_arena *arena;
    int rc;

    if (plan->version != DDF_PLAN_VERSION)
        return ddf_error_setf(err, DDF_EVERSION, "plan.version: %u is not supported (this "
                              "worker speaks version %d)", plan->version, DDF_PLAN_VERSION);
    if (plan->nparts > DDF_PLAN_MAX_PARTS || (plan->nparts && plan->parts == NULL))
        return ddf_error_setf(err, DDF_EINVAL, "plan.parts: %zu partitions, the limit is %d",
                              plan->nparts, DDF_PLAN_MAX_PARTS);
    if (plan->schema == NULL || plan->schema->ncols == 0)
        return ddf_error_setf(err, DDF_EINVAL, "plan.schema: no columns");
    for (size_t i = 0; i < plan->nparts; i++) {
        rc = check_part(&plan->parts[i], i, data_root, err);
        if (rc < 0)
            return rc;
    }
    arena = ddf_arena_new();
    if (arena == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory validating the plan");
    rc = ddf_plan_compile(plan, arena, &c, err);
    ddf_plan_compiled_fini(&c);
    ddf_arena_free(arena);
    if (rc == DDF_OK && plan->terminal.kind == DDF_TERM_WRITE_CSV)
        rc = check_out_dir(data_root, plan->terminal.path, err);
    if (rc == DDF_OK && plan->terminal.kind == DDF_TERM_WRITE_CSV && plan->terminal.name &&
        !ddf_plan_csv_name_ok(plan->terminal.name))
        rc = ddf_error_setf(err, DDF_EINVAL, "plan.terminal.name: \"%.200s\" must hold one "
                            "'*' (the partition's index), no '/', and not start with '.'",
                            plan->terminal.name);
    return rc;
}

/* ---- the read digest --------------------------------------------------------------- */

/* FNV-1a over a field, then its length, so that ("ab","c") and ("a","bc") differ. */
static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    for (size_t i = 0; i < sizeof(n); i++)
        h = (h ^ ((n >> (8 * i)) & 0xff)) * 0x100000001b3ull;
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return s ? mix_bytes(h, s, strlen(s)) : mix_bytes(h, "\xff", 1);
}

static uint64_t mix_u64(uint64_t h, uint64_t v)
{
    return mix_bytes(h, &v, sizeof(v));
}

/* The options that decide every column's values, into digest 'h'. */
static uint64_t mix_file_options(uint64_t h, const ddf_csv_options *o)
{
    h = mix_u64(h, (uint64_t)(unsigned char)o->sep << 8 | (unsigned char)o->quote);
    h = mix_u64(h, (uint64_t)o->header << 1 | o->keep_default_na);
    h = mix_u64(h, (uint64_t)o->on_bad_lines);
    h = mix_u64(h, o->skiprows);
    h = mix_u64(h, o->nnames);
    for (size_t i = 0; i < o->nnames; i++)
        h = mix_str(h, o->names[i]);
    h = mix_u64(h, o->nna_values);
    for (size_t i = 0; i < o->nna_values; i++)
        h = mix_str(h, o->na_values[i]);
    return h;
}

uint64_t ddf_plan_file_hash(const ddf_plan *plan)
{
    uint64_t h = mix_file_options(0x84222325cbf29ce4ull, &plan->csv);

    return h ? h : 1; /* 0 means "not shared" to the cache */
}

uint64_t ddf_plan_read_hash(const ddf_plan *plan)
{
    const ddf_csv_options *o = &plan->csv;
    uint64_t h = mix_file_options(0xcbf29ce484222325ull, o);

    h = mix_u64(h, o->nusecols);
    for (size_t i = 0; i < o->nusecols; i++)
        h = mix_str(h, o->usecols[i]);
    h = mix_u64(h, o->ndtypes);
    for (size_t i = 0; i < o->ndtypes; i++) {
        h = mix_str(h, o->dtypes[i].name);
        h = mix_u64(h, (uint64_t)o->dtypes[i].dtype);
    }
    h = mix_u64(h, plan->schema ? plan->schema->ncols : 0);
    for (size_t i = 0; plan->schema && i < plan->schema->ncols; i++) {
        h = mix_str(h, plan->schema->fields[i].name);
        h = mix_u64(h, (uint64_t)plan->schema->fields[i].dtype << 8 |
                           plan->schema->fields[i].flags);
    }
    return h;
}
