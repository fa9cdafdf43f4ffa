/* wire.h - the client's side of the worker XML-RPC protocol (docs/protocol.md, "Worker
 * methods (version 1)"): C data -> the XML-RPC values a request carries, and a worker's
 * answers -> C data.
 *
 * The worker holds the other half (worker/plan_decode.c decodes what ddf_wire_encode_plan
 * and ddf_wire_encode_csv build; worker/methods.c and worker/method_run.c build what the
 * decoders below read), so the two stay symmetric and the tests check them against each
 * other. Keeping the spelling of the protocol in one client file means the rest of the
 * client (planning, retries, merging) never touches xmlrpc-c values.
 *
 * Encoders refuse what the worker could not read back, with DDF_EINVAL naming the member
 * ("plan.parts[2].path: missing"): a NULL string, text that XML cannot carry (control
 * bytes other than tab and newline, invalid UTF-8; the plan decoder takes <string> only),
 * an unsigned figure over INT64_MAX, a bad enum value. 64-bit figures go as <i8>; doubles
 * never appear. On error *out is NULL and nothing is left to free.
 *
 * Decoders treat an answer as untrusted: a wrong type, a missing member, a bad value or a
 * blob that fails validation is DDF_ECORRUPT (the codec's own code for a blob) with a
 * message naming the member by its path ("results[3].widen[0].dtype: ..."); on error
 * nothing is left to free. Members the worker may send as <base64> (names, paths: text
 * that is not XML character data) are read from <string> or <base64>; integers from <i8>
 * or <int>. Unknown members are ignored, so a worker may add figures to its answers.
 * Values read from an answer are borrowed; the answer stays the caller's. */
#ifndef DDF_WIRE_H
#define DDF_WIRE_H

#include "csv_reader.h" /* ddf_csv_options */
#include "error.h"
#include "plan.h"
#include "schema.h"
#include "split.h"
#include "table.h"

#include <xmlrpc-c/base.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- requests ---- */

/* The csv member of a plan / the options argument of ddf.infer: every option, lists only
 * when their pointer is set (names, usecols, dtypes as a {column: dtype} struct,
 * na_values). *out is a new struct the caller DECREFs. An xmlrpc-c failure is also left in
 * 'env'. DDF_EINVAL (see above), DDF_ENOMEM. */
int ddf_wire_encode_csv(xmlrpc_env *env, const ddf_csv_options *opt, xmlrpc_value **out,
                        ddf_error *err);

/* A whole plan as ddf.run's one parameter (a struct): version (0 is sent as
 * DDF_PLAN_VERSION), csv, schema ([{name, dtype, pinned}], "null" for an all-null inferred
 * column), parts, steps (left out when there are none) and the terminal with only the
 * members its kind takes. *out is a new struct the caller DECREFs. DDF_EINVAL, DDF_ENOMEM. */
int ddf_wire_encode_plan(const ddf_plan *plan, xmlrpc_value **out, ddf_error *err);

/* The windows argument of ddf.scan: [{offset, length}] for n windows (at most 65 536, the
 * worker's limit per call). *out is a new array the caller DECREFs; failures as
 * ddf_wire_encode_csv. */
int ddf_wire_encode_windows(xmlrpc_env *env, const uint64_t *offsets, const uint64_t *lengths,
                            size_t n, xmlrpc_value **out, ddf_error *err);

/* ---- answers ---- */

typedef enum ddf_part_status {
    DDF_PART_OK = 0, /* 'table' holds the partial result */
    DDF_PART_WIDEN,  /* the schema must be widened ('widen') and the plan rerun */
    DDF_PART_ERROR,  /* the partition failed: 'code' and 'error' say why */
} ddf_part_status;

typedef struct ddf_part_widen {
    char *column;    /* owned */
    ddf_dtype dtype; /* the dtype the partition needs */
} ddf_part_widen;

/* One entry of ddf.run's answer. */
typedef struct ddf_part_result {
    uint64_t index;          /* the partition's index in the plan */
    ddf_part_status status;
    int code;                /* ERROR: the negative ddf code (fault code 3 -> DDF_EIO); else 0 */
    char *error;             /* ERROR: the message (owned); else NULL */
    ddf_table *table;        /* OK: the decoded blob (owned); else NULL */
    ddf_part_widen *widen;   /* WIDEN: nwiden entries (owned); else NULL */
    size_t nwiden;
    int64_t rows_in, rows_out, bad_lines;
    bool cache_hit;
    char **warnings;         /* on_bad_lines=warn: "file:line: ..." messages (owned) */
    size_t nwarnings;
    bool combined;           /* first entry of a combined answer: 'table' is the partial
                                merged over every entry (all OK, the others without one) */
} ddf_part_result;

/* Decode ddf.run's answer {results: [...], combined?} into *out (*n entries, in answer
 * order; free with ddf_part_results_free). Every blob is validated and decoded
 * (common/codec.h). A combined answer (plan.combine) has every entry OK and one blob, in
 * the first entry, which gets 'combined'.
 * DDF_ECORRUPT naming the member, the codec's code for a bad blob, DDF_ENOMEM. */
int ddf_wire_decode_run(xmlrpc_value *answer, ddf_part_result **out, size_t *n, ddf_error *err);

/* Free n results and the array. NULL is a no-op. */
void ddf_part_results_free(ddf_part_result *r, size_t n);

/* One file of ddf.files' answer. */
typedef struct ddf_wire_file {
    char *path; /* owned; relative to the data root when the pattern was */
    uint64_t size;
    int64_t mtime_ns;
} ddf_wire_file;

/* Decode ddf.files' answer [{path, size, mtime, mtime_ns}] into *out (*n entries; free
 * with ddf_wire_files_free; NULL when there are none). DDF_ECORRUPT, DDF_ENOMEM. */
int ddf_wire_decode_files(xmlrpc_value *answer, ddf_wire_file **out, size_t *n, ddf_error *err);

void ddf_wire_files_free(ddf_wire_file *f, size_t n);

/* Decode ddf.scan's answer, which must hold exactly n entries, into out[0..n) (first_nl -1
 * becomes DDF_SPLIT_NONE) for ddf_split_resolve. DDF_ECORRUPT (out's contents are then
 * undefined, but hold nothing to free). */
int ddf_wire_decode_scan(xmlrpc_value *answer, ddf_split_window *out, size_t n, ddf_error *err);

/* ddf.infer's answer. */
typedef struct ddf_wire_infer {
    ddf_schema *schema; /* owned; pinned columns carry DDF_FIELD_PINNED, "null" is
                           DDF_DTYPE_NULL (as the plan decoder reads it) */
    uint64_t size, data_start, data_line;
    int64_t mtime_ns;
} ddf_wire_infer;

/* Decode ddf.infer's answer {path, size, data_start, data_line, mtime_ns, columns} into
 * *out (free its schema with ddf_wire_infer_fini). DDF_ECORRUPT (an unknown dtype, a
 * duplicate column, ...), DDF_ENOMEM; on error *out is zeroed. */
int ddf_wire_decode_infer(xmlrpc_value *answer, ddf_wire_infer *out, ddf_error *err);

/* Free what 'w' owns; safe on a zeroed struct and twice. */
void ddf_wire_infer_fini(ddf_wire_infer *w);

#endif
