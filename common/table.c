/* table.c - a set of named columns owned by one arena (see table.h). */
#include "table.h"

#include "alloc.h"
#include "limits.h"

#include <assert.h>
#include <string.h>

ddf_table *ddf_table_new(size_t ncols)
{
    ddf_table *table;

    if (ncols > DDF_MAX_COLUMNS)
        return NULL;
    table = ddf_calloc(1, sizeof(*table));
    if (table == NULL)
        return NULL;
    table->arena = ddf_arena_new();
    if (table->arena == NULL)
        goto fail;
    table->ncols = ncols;
    table->names = ddf_arena_calloc(table->arena, ncols, sizeof(char *));
    table->columns = ddf_arena_calloc(table->arena, ncols, sizeof(ddf_column));
    if (table->names == NULL || table->columns == NULL)
        goto fail;
    return table;
fail:
    ddf_table_free(table);
    return NULL;
}

int ddf_table_set_column(ddf_table *table, size_t col, const char *name, size_t name_len,
                         ddf_dtype dtype)
{
    char *copy;

    assert(col < table->ncols);
    copy = ddf_arena_alloc(table->arena, name_len + 1);
    if (copy == NULL)
        return DDF_ENOMEM;
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';
    table->names[col] = copy;
    ddf_column_init(&table->columns[col], dtype);
    return DDF_OK;
}

ddf_table *ddf_table_new_from_schema(const ddf_schema *schema)
{
    ddf_table *table = ddf_table_new(schema->ncols);

    if (table == NULL)
        return NULL;
    for (size_t i = 0; i < schema->ncols; i++) {
        const char *name = schema->fields[i].name;
        if (ddf_table_set_column(table, i, name, strlen(name),
                                 ddf_schema_storage_dtype(schema, i)) < 0) {
            ddf_table_free(table);
            return NULL;
        }
    }
    return table;
}

void ddf_table_free(ddf_table *table)
{
    if (table == NULL)
        return;
    ddf_arena_free(table->arena);
    ddf_free(table);
}

size_t ddf_table_bytes(const ddf_table *table)
{
    return table ? sizeof(*table) + ddf_arena_bytes(table->arena) : 0;
}

bool ddf_table_equal(const ddf_table *a, const ddf_table *b)
{
    if (a->ncols != b->ncols || a->nrows != b->nrows)
        return false;
    for (size_t c = 0; c < a->ncols; c++) {
        const ddf_column *ca = &a->columns[c], *cb = &b->columns[c];
        if (strcmp(a->names[c], b->names[c]) != 0 || ca->dtype != cb->dtype ||
            ca->length != a->nrows || cb->length != b->nrows)
            return false;
        for (size_t r = 0; r < a->nrows; r++)
            if (!ddf_column_value_equal(ca, r, cb, r))
                return false;
    }
    return true;
}
