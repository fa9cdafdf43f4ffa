/* error.c - ddf_error and the text of each status code (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ddf_error_init(ddf_error *err)
{
    memset(err, 0, sizeof(*err));
    err->offset = -1;
}

int ddf_error_setf(ddf_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->line = 0; /* a new error has no place until its caller sets one */
    err->column = 0;
    err->offset = -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

const char *ddf_strerror(int code)
{
    switch (code) {
    case DDF_OK:
        return "success";
#define DDF_ERR_TEXT(name, value, text)                                                   \
    case value:                                                                           \
        return text;
        DDF_ERRNO_MAP(DDF_ERR_TEXT)
#undef DDF_ERR_TEXT
    }
    return "unknown error";
}

const char *ddf_err_name(int code)
{
    switch (code) {
    case DDF_OK:
        return "DDF_OK";
#define DDF_ERR_NAME(name, value, text)                                                   \
    case value:                                                                           \
        return "DDF_E" #name;
        DDF_ERRNO_MAP(DDF_ERR_NAME)
#undef DDF_ERR_NAME
    }
    return "DDF_E?";
}
