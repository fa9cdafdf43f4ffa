/* schema.h - the ordered names and dtypes of a frame's columns.
 *
 * One schema is shared by every partition of a frame (DESIGN §2). A field's dtype is
 * either pinned by the user (dtype={...}: a value that does not fit is an error) or
 * inferred, in which case partitions may ask for it to be widened along the lattice of
 * dtype.h. An inferred field that has seen only nulls has dtype DDF_DTYPE_NULL; it reads
 * as float64, as pandas reads an all-NaN column, until a value says otherwise. */
#ifndef DDF_SCHEMA_H
#define DDF_SCHEMA_H

#include "dtype.h"
#include "error.h"

#include <stddef.h>

#define DDF_FIELD_PINNED 1u /* dtype given by the user, never widened */

typedef struct ddf_field {
    char *name;      /* owned, NUL-terminated */
    ddf_dtype dtype; /* DDF_DTYPE_NULL only for inferred, all-null fields */
    unsigned flags;  /* DDF_FIELD_... */
} ddf_field;

typedef struct ddf_schema {
    size_t ncols;
    ddf_field *fields; /* ncols entries, owned */
} ddf_schema;

/* An empty schema, or NULL when out of memory. */
ddf_schema *ddf_schema_new(void);
void ddf_schema_free(ddf_schema *schema);

/* A deep copy, or NULL when out of memory. */
ddf_schema *ddf_schema_copy(const ddf_schema *schema);

/* Append a field (the name is copied). DDF_ETOOBIG past DDF_MAX_COLUMNS. */
int ddf_schema_add(ddf_schema *schema, const char *name, size_t name_len, ddf_dtype dtype,
                   unsigned flags);

/* Index of the field named 'name', or -1. */
long ddf_schema_find(const ddf_schema *schema, const char *name);

/* The dtype values of the field are stored as: DDF_DTYPE_NULL reads as float64. */
ddf_dtype ddf_schema_storage_dtype(const ddf_schema *schema, size_t col);

/* Rename duplicate names as pandas does: the second "a" becomes "a.1", the third "a.2",
 * skipping names already taken ("a", "a", "a.1" -> "a", "a.2", "a.1"). */
int ddf_schema_mangle_duplicates(ddf_schema *schema);

/* Whether two schemas have the same names, dtypes and flags. */
bool ddf_schema_equal(const ddf_schema *a, const ddf_schema *b);

#endif
