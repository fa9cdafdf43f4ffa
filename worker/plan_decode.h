/* plan_decode.h - XML-RPC values of a `ddf.run` or `ddf.infer` request -> plain C data.
 *
 * A plan arrives from the network, so nothing in it is trusted: every member is checked for
 * its XML-RPC type, every count against the bounds of plan.h and common/limits.h before
 * anything is allocated for it, and an error names the member by its path in the request
 * ("plan.parts[3].offset: expected an integer, got a double"). Unknown members are errors
 * too, so a typo in a client never silently changes a plan. The wire format is specified in
 * docs/protocol.md, "Worker methods (version 1)".
 *
 * 64-bit integers (offsets, lengths, n, skiprows, blocksize) may be sent as <int>, <i8> or a
 * <string> of decimal digits: Python's xmlrpc.client cannot send an int >= 2^31. */
#ifndef DDF_PLAN_DECODE_H
#define DDF_PLAN_DECODE_H

#include "arena.h"
#include "csv_reader.h"
#include "error.h"
#include "plan.h"

#include <xmlrpc-c/base.h>

#include <stdint.h>

/* Decode the struct 'v' (the one parameter of ddf.run) into '*plan', which this function
 * initialises with ddf_plan_init. On success the caller owns the plan (ddf_plan_fini). On
 * error: DDF_EINVAL (wrong type, missing or unknown member, bad value), DDF_ETOOBIG (a count
 * or a string over its bound), DDF_EVERSION, DDF_ENOMEM; 'err' names the member, and the
 * plan is already finalised (nothing to free). The plan is only decoded here, not
 * validated against files and expressions: that is ddf_plan_validate's job. */
int ddf_plan_decode(xmlrpc_value *v, ddf_plan *plan, ddf_error *err);

/* Decode CSV options (the "csv" member of a plan, the second parameter of ddf.infer) into
 * 'opt', which the caller has filled with ddf_csv_options_init. Strings and arrays are
 * copied into 'arena'. 'where' prefixes messages ("plan.csv"). v == NULL keeps the
 * defaults. Errors as ddf_plan_decode. */
int ddf_plan_decode_csv(xmlrpc_value *v, const char *where, ddf_arena *arena, ddf_csv_options *opt,
                        ddf_error *err);

/* Read a 64-bit integer sent as <int>, <i8> or a decimal <string>. DDF_EINVAL otherwise,
 * 'err' naming 'where'. */
int ddf_plan_decode_int64(xmlrpc_value *v, const char *where, int64_t *out, ddf_error *err);

/* Read a string into 'arena' (NUL-terminated), refusing embedded NUL bytes and strings over
 * 'max_len' bytes (DDF_ETOOBIG). */
int ddf_plan_decode_string(xmlrpc_value *v, const char *where, size_t max_len, ddf_arena *arena,
                           const char **out, ddf_error *err);

#endif
