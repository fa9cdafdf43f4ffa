/* dtype.h - the four column types and the widening lattice between them.
 *
 * Values of a CSV column are classified one by one; a column's type is the join of its
 * values' types, as pandas.read_csv(low_memory=False) decides it on a whole file:
 *
 *        NULL (nothing but nulls seen)
 *        /    \
 *     BOOL    INT64
 *       |       |
 *       |     FLOAT64
 *        \    /
 *        STRING
 *
 * so int + float = float, bool + int = string, anything + string = string. */
#ifndef DDF_DTYPE_H
#define DDF_DTYPE_H

#include <stdbool.h>

typedef enum ddf_dtype {
    DDF_DTYPE_NULL = 0, /* inference only: no non-null value seen yet */
    DDF_DTYPE_BOOL = 1,
    DDF_DTYPE_INT64 = 2,
    DDF_DTYPE_FLOAT64 = 3,
    DDF_DTYPE_STRING = 4,
} ddf_dtype;

#define DDF_DTYPE_COUNT 5

/* "int64", "float64", "bool", "string" ("null" for DDF_DTYPE_NULL). */
const char *ddf_dtype_name(ddf_dtype dtype);

/* Parse a dtype as pandas users spell it: int64/Int64/int, float64/Float64/float,
 * bool/boolean, string/str/object. Returns DDF_OK or DDF_EINVAL. */
int ddf_dtype_parse(const char *name, ddf_dtype *out);

/* The least type that holds values of both 'a' and 'b'. */
ddf_dtype ddf_dtype_join(ddf_dtype a, ddf_dtype b);

/* Whether every value of type 'from' is representable in 'to'. */
bool ddf_dtype_fits(ddf_dtype from, ddf_dtype to);

#endif
