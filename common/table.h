/* table.h - named columns of equal length in one arena: a parsed partition, a partial
 * result or a collected result.
 *
 * The table owns its arena, and the arena owns the column buffers and the names: freeing
 * the table frees everything (ddf_table_free). ddf_table_bytes() is what the table costs
 * in memory, which the worker's cache accounts for. */
#ifndef DDF_TABLE_H
#define DDF_TABLE_H

#include "arena.h"
#include "column.h"
#include "schema.h"

#include <stddef.h>

typedef struct ddf_table {
    ddf_arena *arena;    /* owns names and column buffers */
    size_t ncols;
    size_t nrows;        /* every column has this length once the table is complete */
    char **names;        /* ncols NUL-terminated names, in the arena */
    ddf_column *columns; /* ncols columns, in the arena */
} ddf_table;

/* A table with 'ncols' empty columns named and typed as 'schema' says (DDF_DTYPE_NULL
 * fields become float64). On failure returns NULL. */
ddf_table *ddf_table_new_from_schema(const ddf_schema *schema);

/* A table with 'ncols' unnamed, untyped columns; the caller sets names and dtypes with
 * ddf_table_set_column before appending. Returns NULL when out of memory or when ncols is
 * over DDF_MAX_COLUMNS (callers check that limit first to tell the two apart). */
ddf_table *ddf_table_new(size_t ncols);

/* Name and type column 'col' (the name is copied into the arena). */
int ddf_table_set_column(ddf_table *table, size_t col, const char *name, size_t name_len,
                         ddf_dtype dtype);

/* Free the table and everything in its arena. NULL is a no-op. */
void ddf_table_free(ddf_table *table);

/* Heap bytes held by the table. */
size_t ddf_table_bytes(const ddf_table *table);

/* Whether both tables have the same names, dtypes, rows and values (ddf_column_value_equal). */
bool ddf_table_equal(const ddf_table *a, const ddf_table *b);

#endif
