/* source.c - read_csv (ddf.h): turning a glob into a frame's partitions and schema, with
 * the workers doing the reading (DESIGN §2).
 *
 * The client never opens the files itself: they live where the workers run. One worker
 * expands the glob (ddf.files); every file's header and dtypes are inferred from a sample
 * (ddf.infer, all files at once, spread over the workers) and the files must agree on
 * their columns, their dtypes joined; then the quote-parity pass runs over every block
 * of every multi-block file in parallel (ddf.scan), and ddf_split_resolve turns the
 * counts into exact record boundaries. A one-block file needs no scan. */
#include "client_int.h"

#include "alloc.h"
#include "split.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

/* Windows per ddf.scan call: a few calls per worker keep them all busy. */
#define SCAN_WINDOWS_PER_CALL 64

static const char **copy_strs(ddf_arena *a, const char *const *v, size_t n)
{
    const char **out = ddf_arena_calloc(a, n ? n : 1, sizeof *out);

    for (size_t i = 0; out != NULL && i < n; i++)
        if ((out[i] = ddf_arena_strdup(a, v[i])) == NULL)
            return NULL;
    return out;
}

/* The options, their strings copied into 'a': a frame outlives the caller's options. */
static int copy_options(ddf_arena *a, const ddf_csv_options *in, ddf_csv_options *out,
                        ddf_error *err)
{
    bool ok = true;

    *out = *in;
    if (in->nnames) ok = (out->names = copy_strs(a, in->names, in->nnames)) != NULL;
    if (ok && in->nusecols) ok = (out->usecols = copy_strs(a, in->usecols, in->nusecols)) != NULL;
    if (ok && in->nna_values)
        ok = (out->na_values = copy_strs(a, in->na_values, in->nna_values)) != NULL;
    if (ok && in->ndtypes) {
        ddf_csv_pin *pins = ddf_arena_calloc(a, in->ndtypes, sizeof *pins);

        ok = pins != NULL;
        for (size_t i = 0; ok && i < in->ndtypes; i++) {
            pins[i].dtype = in->dtypes[i].dtype;
            ok = (pins[i].name = ddf_arena_strdup(a, in->dtypes[i].name)) != NULL;
        }
        out->dtypes = pins;
    }
    if (!ok)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    if (out->blocksize == 0)
        return ddf_error_setf(err, DDF_EINVAL, "read_csv: blocksize must be at least 1 byte");
    return DDF_OK;
}

/* Calls in flight at once per worker: a worker serves 128 connections. */
#define MAX_CALLS_PER_WORKER 8

/* Run 'calls' (urls already set to workers, round robin) in waves of at most
 * MAX_CALLS_PER_WORKER per worker, and retry every call that did not reach its worker on
 * the other workers in turn; a fault is the answer (an error about the file). */
static int run_spread(ddf_client *c, ddf_rpc_call *calls, size_t n, char **ids, size_t nids,
                      ddf_error *err)
{
    size_t wave = nids * MAX_CALLS_PER_WORKER;
    int rc = DDF_OK;

    for (size_t off = 0; off < n && rc == DDF_OK; off += wave)
        rc = ddf_rpc_run(c->rpc, calls + off, n - off < wave ? n - off : wave,
                         c->call_timeout_ms, err);

    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        for (size_t tries = 1; calls[i].status != DDF_OK && calls[i].fault_code == 0 &&
                               calls[i].status != DDF_EAUTH && tries < nids; tries++) {
            size_t w = 0;

            while (w < nids && strcmp(ids[w], calls[i].url) != 0)
                w++;
            ddf_rpc_call_fini(&calls[i]);
            calls[i].url = ids[(w + 1) % nids];
            rc = ddf_rpc_run(c->rpc, &calls[i], 1, c->call_timeout_ms, err);
            if (rc < 0)
                return rc;
        }
        if (calls[i].status != DDF_OK)
            return ddf_error_setf(err, calls[i].fault_code > 0 ? -calls[i].fault_code
                                                                : calls[i].status,
                                  "%s", calls[i].message); /* names the method and worker */
    }
    return rc;
}

static void free_calls(ddf_rpc_call *calls, size_t n)
{
    for (size_t i = 0; calls != NULL && i < n; i++) {
        ddf_rpc_call_fini(&calls[i]);
        if (calls[i].params != NULL)
            xmlrpc_DECREF(calls[i].params);
    }
    ddf_free(calls);
}

/* params = [string, value] (value may be NULL: [string]). Takes 'value'. */
static xmlrpc_value *params2(const char *s, xmlrpc_value *value)
{
    xmlrpc_env env;
    xmlrpc_value *arr, *str;

    xmlrpc_env_init(&env);
    arr = xmlrpc_array_new(&env);
    str = env.fault_occurred ? NULL : xmlrpc_string_new(&env, s);
    if (!env.fault_occurred)
        xmlrpc_array_append_item(&env, arr, str);
    if (!env.fault_occurred && value != NULL)
        xmlrpc_array_append_item(&env, arr, value);
    if (str != NULL)
        xmlrpc_DECREF(str);
    if (value != NULL)
        xmlrpc_DECREF(value);
    if (env.fault_occurred && arr != NULL) {
        xmlrpc_DECREF(arr);
        arr = NULL;
    }
    xmlrpc_env_clean(&env);
    return arr;
}

typedef struct file_info {
    ddf_wire_file f;           /* path, size, mtime (path borrowed from the files answer) */
    ddf_wire_infer inf;
    uint64_t nblocks;
    size_t first_window;       /* into the windows array, for nblocks > 1 */
} file_info;

static int list_files(ddf_client *c, const char *pattern, char **ids, size_t nids,
                      ddf_wire_file **files, size_t *nfiles, ddf_error *err)
{
    ddf_rpc_call call;
    int rc;

    memset(&call, 0, sizeof call);
    call.url = ids[0];
    call.method = "ddf.files";
    call.params = params2(pattern, NULL);
    if (call.params == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    rc = run_spread(c, &call, 1, ids, nids, err);
    if (rc == DDF_OK)
        rc = ddf_wire_decode_files(call.result, files, nfiles, err);
    if (rc == DDF_OK && *nfiles == 0)
        rc = ddf_error_setf(err, DDF_ENOENT, "read_csv: no file matches '%s' (worker %s)",
                            pattern, call.url);
    ddf_rpc_call_fini(&call);
    xmlrpc_DECREF(call.params);
    return rc;
}

static int infer_all(ddf_client *c, const ddf_csv_options *opt, file_info *fi, size_t n,
                     char **ids, size_t nids, ddf_error *err)
{
    ddf_rpc_call *calls = ddf_calloc(n, sizeof *calls);
    int rc = DDF_OK;

    if (calls == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        xmlrpc_env env;
        xmlrpc_value *o = NULL;

        xmlrpc_env_init(&env);
        rc = ddf_wire_encode_csv(&env, opt, &o, err);
        xmlrpc_env_clean(&env);
        calls[i].url = ids[i % nids];
        calls[i].method = "ddf.infer";
        if (rc == DDF_OK && (calls[i].params = params2(fi[i].f.path, o)) == NULL)
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    if (rc == DDF_OK)
        rc = run_spread(c, calls, n, ids, nids, err);
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        rc = ddf_wire_decode_infer(calls[i].result, &fi[i].inf, err);
        if (rc == DDF_OK && fi[i].inf.data_start > fi[i].inf.size)
            rc = ddf_error_setf(err, DDF_ECORRUPT, "ddf.infer on %s: data starts past the "
                                "end of the file", fi[i].f.path);
    }
    free_calls(calls, n);
    return rc;
}

/* One schema for all files: the same column names in the same order, dtypes joined. */
static int join_schemas(const file_info *fi, size_t n, ddf_schema **out, ddf_error *err)
{
    ddf_schema *s = ddf_schema_copy(fi[0].inf.schema);

    if (s == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 1; i < n; i++) {
        const ddf_schema *o = fi[i].inf.schema;
        bool same = o->ncols == s->ncols;

        for (size_t c = 0; same && c < s->ncols; c++)
            same = strcmp(o->fields[c].name, s->fields[c].name) == 0;
        if (!same) {
            ddf_schema_free(s);
            return ddf_error_setf(err, DDF_EINVAL, "read_csv: %s has other columns than %s "
                                  "(%zu vs %zu columns, or other names): every file of a "
                                  "frame needs the same header", fi[i].f.path, fi[0].f.path,
                                  o->ncols, fi[0].inf.schema->ncols);
        }
        for (size_t c = 0; c < s->ncols; c++)
            if (!(s->fields[c].flags & DDF_FIELD_PINNED))
                s->fields[c].dtype = ddf_dtype_join(s->fields[c].dtype, o->fields[c].dtype);
    }
    *out = s;
    return DDF_OK;
}

/* The quote-parity pass over every block of every multi-block file. */
static int scan_all(ddf_client *c, const ddf_csv_options *opt, file_info *fi, size_t n,
                    char **ids, size_t nids, ddf_split_window **windows_out, ddf_error *err)
{
    size_t nwin = 0, ncalls = 0, k = 0;
    ddf_split_window *win;
    ddf_rpc_call *calls;
    size_t *call_first, *call_count;
    char quote[2] = {opt->quote, '\0'};
    int rc = DDF_OK;

    *windows_out = NULL;
    for (size_t i = 0; i < n; i++) {
        fi[i].first_window = nwin;
        if (fi[i].nblocks > 1) {
            nwin += fi[i].nblocks;
            ncalls += (fi[i].nblocks + SCAN_WINDOWS_PER_CALL - 1) / SCAN_WINDOWS_PER_CALL;
        }
    }
    if (nwin == 0)
        return DDF_OK;
    win = ddf_calloc(nwin, sizeof *win);
    calls = ddf_calloc(ncalls, sizeof *calls);
    call_first = ddf_calloc(ncalls, sizeof *call_first);
    call_count = ddf_calloc(ncalls, sizeof *call_count);
    if (!win || !calls || !call_first || !call_count) {
        ddf_free(win);
        ddf_free(calls);
        ddf_free(call_first);
        ddf_free(call_count);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        for (uint64_t b = 0; fi[i].nblocks > 1 && b < fi[i].nblocks && rc == DDF_OK;
             b += SCAN_WINDOWS_PER_CALL) {
            size_t m = (size_t)(fi[i].nblocks - b < SCAN_WINDOWS_PER_CALL
                                    ? fi[i].nblocks - b : SCAN_WINDOWS_PER_CALL);
            uint64_t offs[SCAN_WINDOWS_PER_CALL], lens[SCAN_WINDOWS_PER_CALL];
            xmlrpc_value *wv = NULL, *qv = NULL;
            xmlrpc_env env;

            for (size_t j = 0; j < m; j++)
                ddf_split_window_range(fi[i].inf.data_start, fi[i].inf.size, opt->blocksize,
                                       b + j, &offs[j], &lens[j]);
            xmlrpc_env_init(&env);
            rc = ddf_wire_encode_windows(&env, offs, lens, m, &wv, err);
            if (rc == DDF_OK) {
                calls[k].params = params2(fi[i].f.path, wv);
                qv = xmlrpc_string_new(&env, quote);
                if (calls[k].params != NULL && !env.fault_occurred)
                    xmlrpc_array_append_item(&env, calls[k].params, qv);
                if (qv != NULL)
                    xmlrpc_DECREF(qv);
                if (calls[k].params == NULL || env.fault_occurred)
                    rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            }
            xmlrpc_env_clean(&env);
            calls[k].url = ids[k % nids];
            calls[k].method = "ddf.scan";
            call_first[k] = fi[i].first_window + (size_t)b;
            call_count[k] = m;
            k++;
        }
    }
    if (rc == DDF_OK)
        rc = run_spread(c, calls, ncalls, ids, nids, err);
    for (size_t i = 0; i < ncalls && rc == DDF_OK; i++)
        rc = ddf_wire_decode_scan(calls[i].result, &win[call_first[i]], call_count[i], err);
    free_calls(calls, ncalls);
    ddf_free(call_first);
    ddf_free(call_count);
    if (rc < 0) {
        ddf_free(win);
        return rc;
    }
    *windows_out = win;
    return DDF_OK;
}

/* The partitions of every file, in file order, into the source. Empty partitions (a block
 * where no record starts) are left out. */
static int make_parts(ddf_source *src, file_info *fi, size_t n, const ddf_split_window *win,
                      ddf_error *err)
{
    size_t cap = 0, np = 0;
    ddf_split_part *tmp = NULL;
    int rc = DDF_OK;

    for (size_t i = 0; i < n; i++)
        cap += fi[i].nblocks ? (size_t)fi[i].nblocks : 0;
    src->parts = ddf_arena_calloc(src->arena, cap ? cap : 1, sizeof *src->parts);
    if (src->parts == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == DDF_OK; i++) {
        const ddf_wire_infer *inf = &fi[i].inf;
        size_t nb = (size_t)fi[i].nblocks;
        const char *path;

        if (nb == 0)
            continue;
        if ((path = ddf_arena_strdup(src->arena, fi[i].f.path)) == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        if (nb == 1) {
            ddf_split_part one = {inf->data_start, inf->size - inf->data_start,
                                  inf->data_line};
            tmp = ddf_reallocarray(NULL, 1, sizeof *tmp);
            if (tmp != NULL)
                tmp[0] = one;
        } else {
            tmp = ddf_calloc(nb, sizeof *tmp);
            if (tmp != NULL)
                rc = ddf_split_resolve(&win[fi[i].first_window], nb, inf->data_start,
                                       inf->size, inf->data_line, tmp, err);
        }
        if (tmp == NULL)
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        for (size_t k = 0; k < nb && rc == DDF_OK; k++) {
            if (tmp[k].length == 0)
                continue;
            ddf_plan_part *p = &src->parts[np];

            p->index = np++;
            p->path = path;
            p->offset = tmp[k].offset;
            p->length = tmp[k].length;
            p->first_line = tmp[k].first_line;
        }
        ddf_free(tmp);
        tmp = NULL;
    }
    src->nparts = np;
    return rc;
}

int ddf_read_csv(ddf_client *c, const char *pattern, const ddf_csv_options *opt_in,
                 ddf_frame **out, ddf_error *err)
{
    ddf_csv_options defaults;
    ddf_wire_file *files = NULL;
    size_t nfiles = 0, nids = 0;
    file_info *fi = NULL;
    ddf_split_window *win = NULL;
    ddf_source *src;
    char **ids = NULL;
    int rc;

    *out = NULL;
    if (pattern == NULL || pattern[0] == '\0')
        return ddf_error_setf(err, DDF_EINVAL, "read_csv: no path or pattern");
    if (opt_in == NULL) {
        ddf_csv_options_init(&defaults);
        opt_in = &defaults;
    }
    src = ddf_calloc(1, sizeof *src);
    if (src == NULL || (src->arena = ddf_arena_new()) == NULL) {
        ddf_free(src);
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    src->refs = 1;
    rc = copy_options(src->arena, opt_in, &src->csv, err);
    if (rc == DDF_OK)
        rc = ddf_client_live_workers(c, &ids, &nids, err);
    if (rc == DDF_OK && nids == 0)
        rc = ddf_error_setf(err, DDF_EUNREACH, "no live worker in cluster '%s' at %s",
                            c->cluster, ddf_registry_url(c->reg));
    if (rc == DDF_OK)
        rc = list_files(c, pattern, ids, nids, &files, &nfiles, err);
    if (rc == DDF_OK && (fi = ddf_calloc(nfiles, sizeof *fi)) == NULL)
        rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == DDF_OK && i < nfiles; i++)
        fi[i].f = files[i];
    if (rc == DDF_OK)
        rc = infer_all(c, &src->csv, fi, nfiles, ids, nids, err);
    if (rc == DDF_OK)
        rc = join_schemas(fi, nfiles, &src->schema, err);
    for (size_t i = 0; rc == DDF_OK && i < nfiles; i++)
        fi[i].nblocks = ddf_split_block_count(fi[i].inf.data_start, fi[i].inf.size,
                                              src->csv.blocksize);
    if (rc == DDF_OK)
        rc = scan_all(c, &src->csv, fi, nfiles, ids, nids, &win, err);
    if (rc == DDF_OK)
        rc = make_parts(src, fi, nfiles, win, err);
    for (size_t i = 0; fi != NULL && i < nfiles; i++)
        ddf_wire_infer_fini(&fi[i].inf);
    ddf_free(fi);
    ddf_free(win);
    ddf_wire_files_free(files, nfiles);
    ddf_client_free_ids(ids, nids);
    if (rc < 0) {
        ddf_source_unref(src);
        return rc;
    }
    src->refs = 0;
    return ddf_frame_of_source(c, src, out, err);
}
