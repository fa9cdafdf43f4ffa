/* dtype.c - names, parsing and the widening lattice of column types (see dtype.h). */
#include "dtype.h"

#include "error.h"

#include <string.h>

const char *ddf_dtype_name(ddf_dtype dtype)
{
    switch (dtype) {
    case DDF_DTYPE_NULL:
        return "null";
    case DDF_DTYPE_BOOL:
        return "bool";
    case DDF_DTYPE_INT64:
        return "int64";
    case DDF_DTYPE_FLOAT64:
        return "float64";
    case DDF_DTYPE_STRING:
        return "string";
    }
    return "?";
}

int ddf_dtype_parse(const char *name, ddf_dtype *out)
{
    static const struct {
        const char *name;
        ddf_dtype dtype;
    } spellings[] = {
        {"int64", DDF_DTYPE_INT64},     {"Int64", DDF_DTYPE_INT64},  {"int", DDF_DTYPE_INT64},
        {"float64", DDF_DTYPE_FLOAT64}, {"float", DDF_DTYPE_FLOAT64}, {"Float64", DDF_DTYPE_FLOAT64},
        {"bool", DDF_DTYPE_BOOL},       {"boolean", DDF_DTYPE_BOOL}, {"string", DDF_DTYPE_STRING},
        {"str", DDF_DTYPE_STRING},      {"object", DDF_DTYPE_STRING},
    };

    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        if (strcmp(name, spellings[i].name) == 0) {
            *out = spellings[i].dtype;
            return DDF_OK;
        }
    }
    return DDF_EINVAL;
}

ddf_dtype ddf_dtype_join(ddf_dtype a, ddf_dtype b)
{
    if (a == b)
        return a;
    if (a == DDF_DTYPE_NULL)
        return b;
    if (b == DDF_DTYPE_NULL)
        return a;
    if ((a == DDF_DTYPE_INT64 && b == DDF_DTYPE_FLOAT64) ||
        (a == DDF_DTYPE_FLOAT64 && b == DDF_DTYPE_INT64))
        return DDF_DTYPE_FLOAT64;
    return DDF_DTYPE_STRING; /* bool with a number, or anything with a string */
}

bool ddf_dtype_fits(ddf_dtype from, ddf_dtype to)
{
    return ddf_dtype_join(from, to) == to;
}
