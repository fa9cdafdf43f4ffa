/* schema.c - ordered column names and dtypes (see schema.h). */
#include "schema.h"

#include "alloc.h"
#include "limits.h"

#include <stdio.h>
#include <string.h>

ddf_schema *ddf_schema_new(void)
{
    return ddf_calloc(1, sizeof(ddf_schema));
}

void ddf_schema_free(ddf_schema *schema)
{
    if (schema == NULL)
        return;
    for (size_t i = 0; i < schema->ncols; i++)
        ddf_free(schema->fields[i].name);
    ddf_free(schema->fields);
    ddf_free(schema);
}

ddf_schema *ddf_schema_copy(const ddf_schema *schema)
{
    ddf_schema *copy = ddf_schema_new();

    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i < schema->ncols; i++) {
        const ddf_field *f = &schema->fields[i];
        if (ddf_schema_add(copy, f->name, strlen(f->name), f->dtype, f->flags) < 0) {
            ddf_schema_free(copy);
            return NULL;
        }
    }
    return copy;
}

int ddf_schema_add(ddf_schema *schema, const char *name, size_t name_len, ddf_dtype dtype,
                   unsigned flags)
{
    ddf_field *fields;
    char *copy;

    if (schema->ncols >= DDF_MAX_COLUMNS)
        return DDF_ETOOBIG;
    copy = ddf_strndup(name, name_len);
    if (copy == NULL)
        return DDF_ENOMEM;
    fields = ddf_reallocarray(schema->fields, schema->ncols + 1, sizeof(*fields));
    if (fields == NULL) {
        ddf_free(copy);
        return DDF_ENOMEM;
    }
    schema->fields = fields;
    fields[schema->ncols].name = copy;
    fields[schema->ncols].dtype = dtype;
    fields[schema->ncols].flags = flags;
    schema->ncols++;
    return DDF_OK;
}

long ddf_schema_find(const ddf_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->ncols; i++)
        if (strcmp(schema->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

ddf_dtype ddf_schema_storage_dtype(const ddf_schema *schema, size_t col)
{
    ddf_dtype d = schema->fields[col].dtype;

    return d == DDF_DTYPE_NULL ? DDF_DTYPE_FLOAT64 : d;
}

static bool name_taken(const ddf_schema *schema, size_t upto, const char *name)
{
    for (size_t i = 0; i < schema->ncols; i++)
        if (i != upto && strcmp(schema->fields[i].name, name) == 0)
            return true;
    return false;
}

int ddf_schema_mangle_duplicates(ddf_schema *schema)
{
    /* Quadratic in columns, which are few (DDF_MAX_COLUMNS) and checked once per file. */
    for (size_t i = 1; i < schema->ncols; i++) {
        const char *base = schema->fields[i].name;
        size_t seen = 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(schema->fields[j].name, base) == 0)
                seen++;
        if (seen == 0)
            continue;
        size_t len = strlen(base) + 24;
        char *renamed = ddf_malloc(len);
        if (renamed == NULL)
            return DDF_ENOMEM;
        for (size_t k = seen;; k++) {
            snprintf(renamed, len, "%s.%zu", base, k);
            if (!name_taken(schema, i, renamed))
                break;
        }
        ddf_free(schema->fields[i].name);
        schema->fields[i].name = renamed;
    }
    return DDF_OK;
}

bool ddf_schema_equal(const ddf_schema *a, const ddf_schema *b)
{
    if (a->ncols != b->ncols)
        return false;
    for (size_t i = 0; i < a->ncols; i++) {
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            a->fields[i].dtype != b->fields[i].dtype || a->fields[i].flags != b->fields[i].flags)
            return false;
    }
    return true;
}
