/* projection.c - which columns of the files an action needs (projection pushdown).
 *
 * Converting text to numbers is most of a cold action's cost, and most queries touch a
 * few columns of many. Before a plan is sent, the client finds every source column the
 * pipeline and the terminal step name — the columns of each expression, each select
 * list, the keys and aggregated columns — and sends them as the plan's usecols with the
 * schema cut to match, so workers convert and cache only those. A step that is not needed
 * still runs, so its columns are kept too: the cut plan compiles exactly as the whole one.
 *
 * Workers cache each cut under its own key, so the cut also takes every column an earlier
 * action over all the partitions read ('remember': head, which reads a few, does not
 * count): the set only grows, a query over columns already read finds the cache warm,
 * and a new column costs one more parse of the partitions.
 *
 * The columns an action returns must survive: steps that return rows (head, tail,
 * collect, write_csv, nlargest) return every column, so they are cut only when a select
 * step bounds the output to names it lists. A count that names no column keeps the
 * first, which the parser still needs to tell rows apart. */
#include "client_int.h"

#include "alloc.h"
#include "expr.h"

#include <string.h>

static bool returns_rows(ddf_terminal_kind k)
{
    return k == DDF_TERM_HEAD || k == DDF_TERM_TAIL || k == DDF_TERM_COLLECT ||
           k == DDF_TERM_WRITE_CSV || k == DDF_TERM_TOPK;
}

static void mark(const ddf_schema *s, bool *need, const char *name)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (strcmp(s->fields[c].name, name) == 0)
            need[c] = true;
}

static void mark_expr(const ddf_schema *s, bool *need, const ddf_expr *e)
{
    if (e->kind == DDF_EXPR_COLUMN)
        mark(s, need, e->s);
    for (size_t i = 0; i < e->nargs; i++)
        mark_expr(s, need, e->args[i]);
}

int ddf_project(const ddf_frame *f, const ddf_terminal *t, bool remember, ddf_arena *arena,
                ddf_csv_options *csv, ddf_schema **schema, ddf_error *err)
{
    const ddf_schema *s = f->src->schema;
    bool *need, has_select = false;
    size_t n = 0;
    const char **usecols;
    ddf_schema *cut;
    int rc = DDF_OK;

    *csv = f->src->csv;
    *schema = NULL;
    for (size_t i = 0; i < f->nsteps; i++)
        has_select |= f->steps[i].kind == DDF_STEP_SELECT;
    if (s->ncols == 0 || (returns_rows(t->kind) && !has_select)) {
        /* every column is read: later cuts would only miss this read's cache */
        if (!remember)
            return DDF_OK;
        if (f->src->read_cols == NULL)
            f->src->read_cols = ddf_arena_calloc(f->src->arena, s->ncols ? s->ncols : 1,
                                                 sizeof(bool));
        for (size_t c = 0; c < s->ncols && f->src->read_cols != NULL; c++)
            f->src->read_cols[c] = true;
        return DDF_OK;
    }
    need = ddf_calloc(s->ncols, sizeof *need);
    if (need == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->nsteps && rc == DDF_OK; i++) {
        const ddf_step *st = &f->steps[i];
        ddf_expr *e;

        for (size_t k = 0; k < st->ncolumns; k++)
            mark(s, need, st->columns[k]);
        if (st->expr != NULL) {
            rc = ddf_expr_parse(st->expr, strlen(st->expr), arena, &e, err);
            if (rc == DDF_OK)
                mark_expr(s, need, e);
        }
    }
    for (size_t k = 0; k < t->nkeys; k++)
        mark(s, need, t->keys[k]);
    for (size_t k = 0; k < t->naggs; k++)
        mark(s, need, t->aggs[k].column);
    if (t->column != NULL)
        mark(s, need, t->column);
    if (f->src->read_cols == NULL)
        f->src->read_cols = ddf_arena_calloc(f->src->arena, s->ncols, sizeof(bool));
    for (size_t c = 0; c < s->ncols; c++) {
        if (f->src->read_cols != NULL)
            need[c] |= f->src->read_cols[c];
        n += need[c];
    }
    if (n == 0) {
        need[0] = true;
        n = 1;
    }
    for (size_t c = 0; remember && c < s->ncols && f->src->read_cols != NULL && rc == DDF_OK;
         c++)
        f->src->read_cols[c] = need[c];
    if (rc < 0 || n == s->ncols) {
        ddf_free(need);
        return rc;
    }
    usecols = ddf_arena_calloc(arena, n, sizeof *usecols);
    cut = ddf_schema_new();
    if (usecols == NULL || cut == NULL) {
        ddf_free(need);
        ddf_schema_free(cut);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    n = 0;
    for (size_t c = 0; c < s->ncols && rc == DDF_OK; c++) {
        if (!need[c])
            continue;
        usecols[n++] = s->fields[c].name;
        rc = ddf_schema_add(cut, s->fields[c].name, strlen(s->fields[c].name),
                            s->fields[c].dtype, s->fields[c].flags);
    }
    ddf_free(need);
    if (rc < 0) {
        ddf_schema_free(cut);
        return rc;
    }
    csv->usecols = usecols;
    csv->nusecols = n;
    /* pinned dtypes of columns cut away would name columns the reader no longer has */
    if (csv->ndtypes > 0) {
        ddf_csv_pin *pins = ddf_arena_calloc(arena, csv->ndtypes, sizeof *pins);
        size_t np = 0;

        if (pins == NULL) {
            ddf_schema_free(cut);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < csv->ndtypes; i++)
            for (size_t c = 0; c < n; c++)
                if (strcmp(csv->dtypes[i].name, usecols[c]) == 0)
                    pins[np++] = csv->dtypes[i];
        csv->dtypes = pins;
        csv->ndtypes = np;
    }
    *schema = cut;
    return DDF_OK;
}
