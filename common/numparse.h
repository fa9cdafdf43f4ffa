/* numparse.h - the value spellings pandas.read_csv accepts, parsed fast.
 *
 * Number conversion is the bottleneck of typed CSV parsing (glibc strtod: ~75 ns per call).
 * These parsers take a field as bytes and length (not NUL-terminated), accept exactly what
 * pandas' C parser accepts, and handle the common short decimals without strtod.
 *
 * Spellings (pandas 1.5 read_csv, measured):
 * - int64: optional leading/trailing spaces, optional '+' or '-', decimal digits only
 *   ("+5", " 6 "). No '_', no hex. Values outside int64 are not int64.
 * - float64: optional spaces, sign, digits with an optional '.', optional exponent
 *   ("1e3", ".5", "5.", "1E-7"); "inf", "Infinity" in any letter case with optional sign
 *   and no spaces (pandas compares the whole field: " inf" is a string).
 *   "1.5e", "1d5", "0x10" are not numbers. (NaN spellings are NA strings, handled by the
 *   NA matcher, not here.)
 * - bool: exactly True, False, true, false, TRUE, FALSE (no spaces).
 * The parsers never read past field + len. */
#ifndef DDF_NUMPARSE_H
#define DDF_NUMPARSE_H

#include "dtype.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse an int64. Returns true and sets *out, or false when the field is not an int64
 * spelling or is out of range. */
bool ddf_parse_i64(const char *s, size_t len, int64_t *out);

/* Parse a float64 (ints are floats too). Returns true and sets *out, correctly rounded
 * (identical to strtod), or false when the field is not a number. */
bool ddf_parse_f64(const char *s, size_t len, double *out);

/* Parse a bool spelling. */
bool ddf_parse_bool(const char *s, size_t len, bool *out);

/* The narrowest dtype of one non-NA field: DDF_DTYPE_BOOL, INT64, FLOAT64 or STRING.
 * An integer spelling outside int64 is STRING (pandas makes it uint64 or object; ddf has
 * no uint64 and keeps the text). */
ddf_dtype ddf_parse_classify(const char *s, size_t len);

#endif
