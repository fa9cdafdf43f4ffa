/* frame.c - lazy frames (ddf.h): a shared source plus a pipeline of filter / assign /
 * select steps, checked when built.
 *
 * A frame never runs anything. Each operation copies the pipeline, appends its step and
 * compiles the whole plan as a worker would (worker/plan_int.h), so a typo or a type error
 * is reported when the step is written, not when a worker meets it, and the frame knows
 * its output schema (df.columns, df.dtypes) without asking the cluster. */
#include "client_int.h"

#include "alloc.h"
#include "plan_int.h"

#include <stdio.h>
#include <string.h>

void ddf_source_unref(ddf_source *src)
{
    if (src == NULL || --src->refs > 0)
        return;
    ddf_schema_free(src->schema);
    ddf_arena_free(src->arena);
    ddf_free(src);
}

/* A plan over no partitions that counts: enough to compile the pipeline. */
static void probe_plan(const ddf_frame *f, ddf_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->version = DDF_PLAN_VERSION;
    plan->csv = f->src->csv;
    plan->schema = f->src->schema;
    plan->steps = f->steps;
    plan->nsteps = f->nsteps;
    plan->terminal.kind = DDF_TERM_COUNT;
}

int ddf_frame_recompile(ddf_frame *f, ddf_error *err)
{
    ddf_plan plan;
    ddf_plan_compiled pc;
    ddf_arena *scratch = ddf_arena_new();
    int rc;

    if (scratch == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    probe_plan(f, &plan);
    rc = ddf_plan_compile(&plan, scratch, &pc, err);
    if (rc == DDF_OK && f->out != NULL) {
        ddf_schema **r = ddf_reallocarray(f->retired, f->nretired + 1, sizeof *r);

        if (r == NULL) {
            ddf_plan_compiled_fini(&pc);
            ddf_arena_free(scratch);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
        f->retired = r;
        f->retired[f->nretired++] = f->out;
        f->out = NULL;
    }
    if (rc == DDF_OK) {
        f->out = pc.out;
        pc.out = NULL;
        ddf_plan_compiled_fini(&pc);
    }
    ddf_arena_free(scratch);
    return rc;
}

static bool copy_step(ddf_arena *a, const ddf_step *s, ddf_step *d)
{
    bool ok = true;

    d->kind = s->kind;
    if (s->expr) ok = ok && (d->expr = ddf_arena_strdup(a, s->expr)) != NULL;
    if (s->name) ok = ok && (d->name = ddf_arena_strdup(a, s->name)) != NULL;
    if (s->ncolumns > 0) {
        const char **cols = ddf_arena_calloc(a, s->ncolumns, sizeof *cols);

        ok = ok && cols != NULL;
        for (size_t k = 0; ok && k < s->ncolumns; k++)
            ok = (cols[k] = ddf_arena_strdup(a, s->columns[k])) != NULL;
        d->columns = cols;
        d->ncolumns = s->ncolumns;
    }
    return ok;
}

/* A frame over 'src' with a copy of 'steps', then of 'extra' when not NULL. The strings
 * are copied: the new frame may outlive the one it came from. */
static int frame_new(ddf_client *c, ddf_source *src, const ddf_step *steps, size_t nsteps,
                     const ddf_step *extra, ddf_frame **out, ddf_error *err)
{
    ddf_frame *f = ddf_calloc(1, sizeof *f);

    *out = NULL;
    if (f == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    f->client = c;
    f->src = src;
    src->refs++;
    f->arena = ddf_arena_new();
    if (f->arena != NULL)
        f->steps = ddf_arena_calloc(f->arena, nsteps + 1, sizeof *f->steps);
    if (f->steps == NULL) {
        ddf_frame_free(f);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nsteps + (extra != NULL); i++) {
        if (!copy_step(f->arena, i < nsteps ? &steps[i] : extra, &f->steps[i])) {
            ddf_frame_free(f);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
    }
    f->nsteps = nsteps + (extra != NULL);
    *out = f;
    return DDF_OK;
}

int ddf_frame_of_source(ddf_client *c, ddf_source *src, ddf_frame **out, ddf_error *err)
{
    int rc = frame_new(c, src, NULL, 0, NULL, out, err);

    if (rc < 0 && src->refs == 0) {
        src->refs = 1;
        ddf_source_unref(src);
    }

    if (rc == DDF_OK && (rc = ddf_frame_recompile(*out, err)) < 0) {
        ddf_frame_free(*out);
        *out = NULL;
    }
    return rc;
}

void ddf_frame_free(ddf_frame *f)
{
    if (f == NULL)
        return;
    ddf_schema_free(f->out);
    for (size_t i = 0; i < f->nretired; i++)
        ddf_schema_free(f->retired[i]);
    ddf_free(f->retired);
    ddf_arena_free(f->arena);
    ddf_source_unref(f->src);
    ddf_free(f);
}

const ddf_schema *ddf_frame_schema(const ddf_frame *f)
{
    return f->out;
}

size_t ddf_frame_npartitions(const ddf_frame *f)
{
    return f->src->nparts;
}

/* The plan compiler names the step it rejects as a worker sees it, "plan.steps[2] (filter
 * 'qty > x'): ..."; a caller building a frame wrote "filter 'qty > x'", so say that. */
static void step_wording(ddf_error *err)
{
    char tmp[DDF_ERROR_MSG_BYTES];
    const char *open, *close;

    if (strncmp(err->msg, "plan.steps[", 11) != 0 || (open = strstr(err->msg, "] (")) == NULL ||
        (close = strstr(open, "): ")) == NULL)
        return;
    snprintf(tmp, sizeof tmp, "%.*s%s", (int)(close - (open + 3)), open + 3, close + 1);
    memcpy(err->msg, tmp, sizeof tmp);
}

/* Append 'step' to a copy of 'f' and check the result. */
static int derive(const ddf_frame *f, const ddf_step *step, ddf_frame **out, ddf_error *err)
{
    ddf_frame *g;
    int rc;

    *out = NULL;
    if (f->nsteps >= DDF_PLAN_MAX_STEPS)
        return ddf_error_setf(err, DDF_ETOOBIG, "a pipeline holds at most %d steps",
                              DDF_PLAN_MAX_STEPS);
    rc = frame_new(f->client, f->src, f->steps, f->nsteps, step, &g, err);
    if (rc == DDF_OK && (rc = ddf_frame_recompile(g, err)) < 0) {
        step_wording(err);
        ddf_frame_free(g);
        return rc;
    }
    *out = g;
    return rc;
}

int ddf_frame_filter(const ddf_frame *f, const char *expr, ddf_frame **out, ddf_error *err)
{
    ddf_step st = {.kind = DDF_STEP_FILTER, .expr = expr};

    if (expr == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "filter: no expression");
    return derive(f, &st, out, err);
}

int ddf_frame_assign(const ddf_frame *f, const char *name, const char *expr, ddf_frame **out,
                     ddf_error *err)
{
    ddf_step st = {.kind = DDF_STEP_ASSIGN, .expr = expr, .name = name};

    if (expr == NULL || name == NULL || name[0] == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "assign: a column name and an expression "
                              "are needed");
    return derive(f, &st, out, err);
}

int ddf_frame_select(const ddf_frame *f, const char *const *columns, size_t ncolumns,
                     ddf_frame **out, ddf_error *err)
{
    ddf_step st = {.kind = DDF_STEP_SELECT, .columns = columns, .ncolumns = ncolumns};

    if (ncolumns > 0 && columns == NULL)
        return ddf_error_setf(err, DDF_EINVAL, "select: no column list");
    for (size_t i = 0; i < ncolumns; i++)
        if (columns[i] == NULL)
            return ddf_error_setf(err, DDF_EINVAL, "select: column %zu is NULL", i);
    return derive(f, &st, out, err);
}
