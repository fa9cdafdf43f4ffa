/* error.h - status codes and error details.
 *
 * Every fallible function returns DDF_OK (0) or a negative DDF_E... code, and fills a
 * caller-provided ddf_error with a bounded message and, where one applies, the place:
 * file, line and column for CSV input, a byte offset for expressions. The codes are listed
 * once, in DDF_ERRNO_MAP, which also generates ddf_strerror() and ddf_err_name(). */
#ifndef DDF_ERROR_H
#define DDF_ERROR_H

#include <stddef.h>
#include <stdint.h>

#define DDF_ERRNO_MAP(X)                                                                  \
    X(NOMEM, -1, "out of memory")                                                         \
    X(INVAL, -2, "invalid argument")                                                      \
    X(IO, -3, "input/output error")                                                       \
    X(NOENT, -4, "no such file")                                                          \
    X(PARSE, -5, "parse error")                                                           \
    X(TOOBIG, -6, "over a size limit")                                                    \
    X(TYPE, -7, "value does not fit the column type")                                     \
    X(WIDEN, -8, "schema needs widening")                                                 \
    X(EMPTY, -9, "no columns to parse")                                                   \
    X(BADLINE, -10, "bad line")                                                           \
    X(CORRUPT, -11, "corrupt data")                                                       \
    X(VERSION, -12, "unsupported version")                                                \
    X(RANGE, -13, "out of range")                                                         \
    X(UNREACH, -14, "peer unreachable")                                                   \
    X(AUTH, -15, "authentication failed")                                                 \
    X(TIMEDOUT, -16, "timed out")                                                        \
    X(INTR, -17, "interrupted")

enum {
    DDF_OK = 0,
#define DDF_ERR_ENUM(name, code, text) DDF_E##name = code,
    DDF_ERRNO_MAP(DDF_ERR_ENUM)
#undef DDF_ERR_ENUM
};

#define DDF_ERROR_MSG_BYTES 256

/* Details of the last failure. 'line' and 'column' are 1-based, 0 when not known. */
typedef struct ddf_error {
    int code;                          /* DDF_OK or a DDF_E... code */
    char msg[DDF_ERROR_MSG_BYTES];     /* human-readable, always NUL-terminated */
    uint64_t line;                     /* input line, 1-based; 0 = none */
    uint32_t column;                   /* input column (field number), 1-based; 0 = none */
    int64_t offset;                    /* byte offset into an expression or blob; -1 = none */
} ddf_error;

/* Reset 'err' to "no error". */
void ddf_error_init(ddf_error *err);

/* Set 'err' (may be NULL) to 'code' with a printf-style message, truncated to fit, and
 * clear its place (line, column, offset), which the caller sets after when it has one.
 * Returns 'code' so callers can write: return ddf_error_setf(err, DDF_EINVAL, ...). */
int ddf_error_setf(ddf_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The fixed text of a code ("out of memory"), or "unknown error". */
const char *ddf_strerror(int code);

/* The name of a code ("DDF_ENOMEM"), or "DDF_E?". */
const char *ddf_err_name(int code);

#endif
