/* methods.c - the worker's small XML-RPC methods: ddf.ping, ddf.files, ddf.scan, ddf.infer and
 * ddf.shutdown (ddf.run, the plan executor's entry, lives in method_run.c), and the value
 * helpers both files use.
 *
 * Every method checks its parameters itself (count and XML-RPC type) and answers bad input
 * with a fault naming the parameter, so a hostile or buggy client never reaches the engine
 * with something it did not expect. File paths are confined to the data root: a path is
 * resolved with realpath (symlinks and ".." followed) and must land inside the root.
 *
 * Wire rules (docs/protocol.md, "Worker methods"): 64-bit figures are <i8>, never <int>
 * (32-bit) nor <double> (lossy); text that is not valid XML character data (control bytes,
 * invalid UTF-8, a CR that XML would drop) is sent as <base64> instead of <string>. */
#include "server_int.h"

#include "alloc.h"
#include "arena.h"
#include "csv_reader.h"
#include "plan_decode.h"
#include "split.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read at a time by ddf.scan: big enough for memchr speed, small for a method stack. */
#define SCAN_BUF_BYTES (1u << 20)

/* ---- XML-RPC helpers shared with method_run.c (declared in server_int.h) -------------- */

xmlrpc_value *ddf_xr_param(xmlrpc_value *params, int i)
{
    xmlrpc_env env;
    xmlrpc_value *v = NULL;

    xmlrpc_env_init(&env);
    xmlrpc_array_read_item(&env, params, (unsigned)i, &v);
    xmlrpc_env_clean(&env);
    if (v != NULL) xmlrpc_DECREF(v);
    return v;
}

int ddf_xr_check_params(xmlrpc_env *env, xmlrpc_value *params, const char *method, int min, int max,
                        const char *usage)
{
    int n = xmlrpc_array_size(env, params);

    if (env->fault_occurred) return -1;
    if (n < min || n > max) {
        ddf_server_faultf(env, DDF_EINVAL, "%s takes %s; got %d parameter%s", method, usage, n,
                          n == 1 ? "" : "s");
        return -1;
    }
    return n;
}

bool ddf_xr_is_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p;
        size_t n, i;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n') return false;
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3;
        else
            return false;
        if ((size_t)(end - p) <= n) return false;
        for (i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) return false;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
            (c == 0xf4 && p[1] >= 0x90) || (c == 0xed && p[1] >= 0xa0))
            return false; /* overlong, above U+10FFFF, or a surrogate */
        if (c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
            return false; /* U+FFFE, U+FFFF are not XML characters */
        p += n + 1;
    }
    return true;
}

xmlrpc_value *ddf_xr_text(xmlrpc_env *env, const char *s)
{
    size_t len = strlen(s);

    if (ddf_xr_is_text(s, len)) return xmlrpc_string_new_lp(env, len, s);
    return xmlrpc_base64_new(env, len, (const unsigned char *)s);
}

void ddf_xr_put(xmlrpc_env *env, xmlrpc_value *st, const char *key, xmlrpc_value *v)
{
    if (env->fault_occurred || v == NULL) {
        if (v != NULL) xmlrpc_DECREF(v);
        return;
    }
    xmlrpc_struct_set_value(env, st, key, v);
    xmlrpc_DECREF(v);
}

void ddf_xr_put_i8(xmlrpc_env *env, xmlrpc_value *st, const char *key, int64_t i)
{
    if (!env->fault_occurred) ddf_xr_put(env, st, key, xmlrpc_i8_new(env, i));
}

void ddf_xr_put_int(xmlrpc_env *env, xmlrpc_value *st, const char *key, int i)
{
    if (!env->fault_occurred) ddf_xr_put(env, st, key, xmlrpc_int_new(env, i));
}

void ddf_xr_put_str(xmlrpc_env *env, xmlrpc_value *st, const char *key, const char *s)
{
    if (!env->fault_occurred) ddf_xr_put(env, st, key, ddf_xr_text(env, s));
}

void ddf_xr_put_bool(xmlrpc_env *env, xmlrpc_value *st, const char *key, bool b)
{
    if (!env->fault_occurred) ddf_xr_put(env, st, key, xmlrpc_bool_new(env, b));
}

void ddf_xr_append(xmlrpc_env *env, xmlrpc_value *arr, xmlrpc_value *v)
{
    if (v == NULL) return;
    if (!env->fault_occurred) xmlrpc_array_append_item(env, arr, v);
    xmlrpc_DECREF(v);
}

/* Read a string parameter (at most 'max' bytes, no NUL) into buf[max + 1]. */
static int read_path_param(xmlrpc_env *env, xmlrpc_value *v, const char *what, char *buf,
                           size_t max)
{
    const char *s = NULL;
    size_t len = 0;

    if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRING) {
        ddf_server_faultf(env, DDF_EINVAL, "%s must be a string", what);
        return -1;
    }
    xmlrpc_read_string_lp(env, v, &len, &s);
    if (env->fault_occurred) return -1;
    if (len == 0 || len > max || memchr(s, '\0', len) != NULL) {
        free((void *)s);
        ddf_server_faultf(env, DDF_EINVAL, "%s must be a non-empty path of at most %zu bytes", what,
                          max);
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    free((void *)s);
    return 0;
}

/* Whether the resolved path 'real' is the root or below it. */
static bool under_root(const ddf_server *srv, const char *real)
{
    size_t n = strlen(srv->data_root);

    if (n == 1) /* the root is "/" */
        return real[0] == '/';
    return strncmp(real, srv->data_root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Resolve a client's path (absolute, or relative to the data root) to a regular file inside
 * the root. DDF_ENOENT, DDF_EINVAL (outside the root), DDF_EIO (not a regular file). */
static int resolve_file(const ddf_server *srv, const char *path, char real[PATH_MAX],
                        struct stat *st, ddf_error *err)
{
    char full[2 * PATH_MAX];

    if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else
        snprintf(full, sizeof full, "%s/%s", srv->data_root, path);
    if (realpath(full, real) == NULL)
        return ddf_error_setf(err, errno == ENOENT || errno == ENOTDIR ? DDF_ENOENT : DDF_EIO,
                              "%.200s: %s", path, strerror(errno));
    if (!under_root(srv, real))
        return ddf_error_setf(err, DDF_EINVAL, "%.200s: outside the worker's data root", path);
    if (stat(real, st) < 0)
        return ddf_error_setf(err, DDF_EIO, "%.200s: %s", path, strerror(errno));
    if (!S_ISREG(st->st_mode))
        return ddf_error_setf(err, DDF_EIO, "%.200s: not a regular file", path);
    return DDF_OK;
}

/* ---- ddf.ping ------------------------------------------------------------------------- */

static xmlrpc_value *m_ping(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;
    struct timespec now;
    uint64_t served, refused;
    unsigned running;
    bool stopping;
    ddf_exec_stats es;
    int64_t mem_used, parts;
    xmlrpc_value *st;

    (void)call;
    if (ddf_xr_check_params(env, params, "ddf.ping", 0, 0, "no parameters") < 0) return NULL;
    pthread_mutex_lock(&srv->lock);
    served = srv->plans_served;
    refused = srv->calls_refused;
    running = srv->plans_running;
    stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    clock_gettime(CLOCK_MONOTONIC, &now);
    ddf_exec_get_stats(srv->exec, &es);
    mem_used = (int64_t)es.cache.bytes;
    parts = (int64_t)es.cache.entries;

    st = xmlrpc_struct_new(env);
    if (env->fault_occurred) return NULL;
    ddf_xr_put_str(env, st, "id", srv->url);
    ddf_xr_put_str(env, st, "host", srv->host);
    ddf_xr_put_str(env, st, "version", DDF_WORKER_VERSION);
    ddf_xr_put_int(env, st, "protocol", DDF_WORKER_PROTOCOL);
    ddf_xr_put_int(env, st, "threads", (int)srv->threads);
    ddf_xr_put_i8(env, st, "pid", getpid());
    ddf_xr_put_i8(env, st, "memory_used", mem_used);
    ddf_xr_put_i8(env, st, "memory_limit", (int64_t)srv->memory_limit);
    ddf_xr_put_i8(env, st, "partitions_cached", parts);
    ddf_xr_put_i8(env, st, "cache_hits", (int64_t)es.cache.hits);
    ddf_xr_put_i8(env, st, "cache_misses", (int64_t)es.cache.misses);
    ddf_xr_put_i8(env, st, "cache_evictions", (int64_t)es.cache.evictions);
    ddf_xr_put_i8(env, st, "uptime_s", now.tv_sec - srv->started.tv_sec);
    ddf_xr_put_i8(env, st, "started_ms", srv->started_ms);
    ddf_xr_put_i8(env, st, "plans_served", (int64_t)served);
    ddf_xr_put_int(env, st, "plans_running", (int)running);
    ddf_xr_put_i8(env, st, "calls_refused", (int64_t)refused);
    ddf_xr_put_bool(env, st, "shutting_down", stopping);
    /* the names ddf-registry's lease hash uses (admin_rpc.c reads them on `add`) */
    ddf_xr_put_i8(env, st, "mem_used", mem_used);
    ddf_xr_put_i8(env, st, "mem_limit", (int64_t)srv->memory_limit);
    ddf_xr_put_i8(env, st, "partitions", parts);
    if (env->fault_occurred) {
        xmlrpc_DECREF(st);
        return NULL;
    }
    return st;
}

/* ---- ddf.files ------------------------------------------------------------------------ */

/* Copy 's' into out[cap] with glob's metacharacters escaped (the root is taken literally). */
static int glob_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;

    for (; *s; s++) {
        if (strchr("*?[]\\", *s) != NULL) {
            if (o + 1 >= cap) return -1;
            out[o++] = '\\';
        }
        if (o + 1 >= cap) return -1;
        out[o++] = *s;
    }
    out[o] = '\0';
    return 0;
}

static xmlrpc_value *m_files(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;
    char pattern[PATH_MAX + 1], full[3 * PATH_MAX + 2], esc[2 * PATH_MAX];
    const char *prefix;
    size_t strip, i;
    xmlrpc_value *arr = NULL;
    glob_t g;
    int grc;

    (void)call;
    if (ddf_xr_check_params(env, params, "ddf.files", 1, 1, "1 parameter (a glob pattern)") < 0)
        return NULL;
    if (read_path_param(env, ddf_xr_param(params, 0), "ddf.files: the pattern", pattern, PATH_MAX) <
        0)
        return NULL;
    /* A relative pattern is relative to the root, and so are the paths returned. */
    prefix = strcmp(srv->data_root, "/") == 0 ? "" : srv->data_root;
    if (pattern[0] == '/') {
        snprintf(full, sizeof full, "%s", pattern);
        strip = 0;
    } else {
        if (glob_escape(prefix, esc, sizeof esc) < 0) {
            ddf_server_faultf(env, DDF_ETOOBIG, "ddf.files: data root path too long");
            return NULL;
        }
        snprintf(full, sizeof full, "%s/%s", esc, pattern);
        strip = strlen(prefix) + 1;
    }
    memset(&g, 0, sizeof g);
    grc = glob(full, 0, NULL, &g);
    if (grc == GLOB_NOSPACE) {
        globfree(&g);
        ddf_server_faultf(env, DDF_ENOMEM, "ddf.files: out of memory expanding \"%.200s\"",
                          pattern);
        return NULL;
    }
    if (grc != 0 && grc != GLOB_NOMATCH) {
        globfree(&g);
        ddf_server_faultf(env, DDF_EIO, "ddf.files: cannot read directories for \"%.200s\"",
                          pattern);
        return NULL;
    }
    if (g.gl_pathc > DDF_WORKER_MAX_FILES) {
        ddf_server_faultf(env, DDF_ETOOBIG,
                          "ddf.files: \"%.200s\" matches %zu files, over the "
                          "limit of %d",
                          pattern, (size_t)g.gl_pathc, DDF_WORKER_MAX_FILES);
        globfree(&g);
        return NULL;
    }
    arr = xmlrpc_array_new(env);
    for (i = 0; i < g.gl_pathc && !env->fault_occurred; i++) {
        const char *m = g.gl_pathv[i];
        char real[PATH_MAX];
        struct stat st;
        xmlrpc_value *f;

        /* Matches outside the root (a "../" pattern, a symlink out) or that are not regular
         * files are left out: the client asked for data files it may read. */
        if (realpath(m, real) == NULL || !under_root(srv, real) || stat(real, &st) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        f = xmlrpc_struct_new(env);
        if (env->fault_occurred) break;
        ddf_xr_put_str(env, f, "path", strlen(m) > strip ? m + strip : m);
        ddf_xr_put_i8(env, f, "size", (int64_t)st.st_size);
        ddf_xr_put_i8(env, f, "mtime", (int64_t)st.st_mtim.tv_sec);
        ddf_xr_put_i8(env, f, "mtime_ns",
                      (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
        ddf_xr_append(env, arr, f);
    }
    globfree(&g);
    if (env->fault_occurred) {
        if (arr != NULL) xmlrpc_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* ---- ddf.scan ------------------------------------------------------------------------- */

static xmlrpc_value *window_value(xmlrpc_env *env, const ddf_split_window *w)
{
    xmlrpc_value *st = xmlrpc_struct_new(env), *pair;
    int p;

    if (env->fault_occurred) return NULL;
    ddf_xr_put_i8(env, st, "offset", (int64_t)w->offset);
    ddf_xr_put_i8(env, st, "length", (int64_t)w->length);
    ddf_xr_put_i8(env, st, "quotes", (int64_t)w->quotes);
    ddf_xr_put_i8(env, st, "newlines", (int64_t)w->newlines);
    for (int k = 0; k < 2 && !env->fault_occurred; k++) {
        const uint64_t *src = k == 0 ? w->first_nl : w->nl_before;
        pair = xmlrpc_array_new(env);
        for (p = 0; p < 2 && !env->fault_occurred; p++)
            ddf_xr_append(env, pair,
                          xmlrpc_i8_new(env, src[p] == DDF_SPLIT_NONE ? -1 : (int64_t)src[p]));
        ddf_xr_put(env, st, k == 0 ? "first_nl" : "nl_before", pair);
    }
    if (env->fault_occurred) {
        xmlrpc_DECREF(st);
        return NULL;
    }
    return st;
}

/* Scan [offset, offset + length) of the open file 'fd' through 'buf'. */
static int scan_range(int fd, uint64_t offset, uint64_t length, char quote, char *buf,
                      ddf_split_window *w, const char *path, ddf_error *err)
{
    uint64_t pos = offset, end = offset + length;

    ddf_split_scan_init(w, offset);
    while (pos < end) {
        size_t want = end - pos > SCAN_BUF_BYTES ? SCAN_BUF_BYTES : (size_t)(end - pos);
        ssize_t got = pread(fd, buf, want, (off_t)pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return ddf_error_setf(err, DDF_EIO, "%.200s: read failed at byte %llu: %s", path,
                                  (unsigned long long)pos,
                                  got < 0 ? strerror(errno) : "file shrank");
        ddf_split_scan_feed(w, buf, (size_t)got, quote);
        pos += (uint64_t)got;
    }
    return DDF_OK;
}

static xmlrpc_value *m_scan(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;
    char path[PATH_MAX + 1], real[PATH_MAX];
    xmlrpc_value *wins, *arr = NULL;
    char quote = '"', *buf = NULL;
    struct stat st;
    ddf_error err;
    int n, nwin, i, fd = -1;

    (void)call;
    ddf_error_init(&err);
    n = ddf_xr_check_params(env, params, "ddf.scan", 2, 3,
                            "2 or 3 parameters (path, windows [, quote])");
    if (n < 0) return NULL;
    if (read_path_param(env, ddf_xr_param(params, 0), "ddf.scan: the path", path, PATH_MAX) < 0)
        return NULL;
    wins = ddf_xr_param(params, 1);
    if (xmlrpc_value_type(wins) != XMLRPC_TYPE_ARRAY) {
        ddf_server_faultf(env, DDF_EINVAL,
                          "ddf.scan: windows must be an array of "
                          "{offset, length} structs");
        return NULL;
    }
    if (n == 3) {
        xmlrpc_value *q = ddf_xr_param(params, 2);
        const char *s = NULL;
        size_t len = 0;
        if (xmlrpc_value_type(q) == XMLRPC_TYPE_STRING) xmlrpc_read_string_lp(env, q, &len, &s);
        if (env->fault_occurred) return NULL;
        if (s == NULL || len != 1 || s[0] == '\n') {
            free((void *)s);
            ddf_server_faultf(env, DDF_EINVAL,
                              "ddf.scan: quote must be one character other "
                              "than a newline");
            return NULL;
        }
        quote = s[0];
        free((void *)s);
    }
    nwin = xmlrpc_array_size(env, wins);
    if (env->fault_occurred) return NULL;
    if (nwin > DDF_WORKER_MAX_WINDOWS) {
        ddf_server_faultf(env, DDF_ETOOBIG,
                          "ddf.scan: %d windows is over the limit of %d per "
                          "call",
                          nwin, DDF_WORKER_MAX_WINDOWS);
        return NULL;
    }
    if (resolve_file(srv, path, real, &st, &err) < 0) {
        ddf_server_fault(env, &err);
        return NULL;
    }
    fd = open(real, O_RDONLY | O_CLOEXEC);
    buf = ddf_malloc(SCAN_BUF_BYTES);
    if (fd < 0 || buf == NULL) {
        ddf_server_faultf(env, fd < 0 ? DDF_EIO : DDF_ENOMEM, "ddf.scan: %.200s: %s", path,
                          fd < 0 ? strerror(errno) : "out of memory");
        goto out;
    }
    arr = xmlrpc_array_new(env);
    for (i = 0; i < nwin && !env->fault_occurred; i++) {
        xmlrpc_value *w = ddf_xr_param(wins, i), *o = NULL, *l = NULL;
        char where[64];
        int64_t off, len;
        ddf_split_window win;

        snprintf(where, sizeof where, "ddf.scan: windows[%d]", i);
        if (w == NULL || xmlrpc_value_type(w) != XMLRPC_TYPE_STRUCT) {
            ddf_server_faultf(env, DDF_EINVAL, "%s: expected an {offset, length} struct", where);
            break;
        }
        xmlrpc_struct_find_value(env, w, "offset", &o);
        if (env->fault_occurred) break;
        xmlrpc_struct_find_value(env, w, "length", &l);
        if (env->fault_occurred || o == NULL || l == NULL) {
            if (o != NULL) xmlrpc_DECREF(o);
            if (l != NULL) xmlrpc_DECREF(l);
            if (!env->fault_occurred)
                ddf_server_faultf(env, DDF_EINVAL, "%s: needs offset and length", where);
            break;
        }
        xmlrpc_DECREF(o); /* 'w' keeps its own references */
        xmlrpc_DECREF(l);
        if (ddf_plan_decode_int64(o, where, &off, &err) < 0 ||
            ddf_plan_decode_int64(l, where, &len, &err) < 0) {
            ddf_server_fault(env, &err);
            break;
        }
        if (off < 0 || len < 0 || off > (int64_t)st.st_size || len > (int64_t)st.st_size - off) {
            ddf_server_faultf(env, DDF_ERANGE,
                              "%s: [%lld, +%lld) is not within the %lld bytes "
                              "of %.200s",
                              where, (long long)off, (long long)len, (long long)st.st_size, path);
            break;
        }
        if (scan_range(fd, (uint64_t)off, (uint64_t)len, quote, buf, &win, path, &err) < 0) {
            ddf_server_fault(env, &err);
            break;
        }
        ddf_xr_append(env, arr, window_value(env, &win));
    }
out:
    ddf_free(buf);
    if (fd >= 0) close(fd);
    if (env->fault_occurred) {
        if (arr != NULL) xmlrpc_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* ---- ddf.infer ------------------------------------------------------------------------ */

static xmlrpc_value *m_infer(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;
    char path[PATH_MAX + 1], real[PATH_MAX];
    ddf_csv_options opt;
    ddf_csv_file *file = NULL;
    ddf_arena *arena = NULL;
    xmlrpc_value *st = NULL, *cols;
    struct stat sb;
    ddf_error err;
    int n;

    (void)call;
    ddf_error_init(&err);
    n = ddf_xr_check_params(env, params, "ddf.infer", 1, 2, "1 or 2 parameters (path [, options])");
    if (n < 0) return NULL;
    if (read_path_param(env, ddf_xr_param(params, 0), "ddf.infer: the path", path, PATH_MAX) < 0)
        return NULL;
    arena = ddf_arena_new();
    if (arena == NULL) {
        ddf_server_faultf(env, DDF_ENOMEM, "ddf.infer: out of memory");
        return NULL;
    }
    ddf_csv_options_init(&opt);
    if (ddf_plan_decode_csv(n == 2 ? ddf_xr_param(params, 1) : NULL, "ddf.infer: options", arena,
                            &opt, &err) < 0 ||
        resolve_file(srv, path, real, &sb, &err) < 0 || ddf_csv_open(real, &opt, &file, &err) < 0) {
        ddf_server_fault(env, &err);
        goto out;
    }
    st = xmlrpc_struct_new(env);
    ddf_xr_put_str(env, st, "path", path);
    ddf_xr_put_i8(env, st, "size", (int64_t)ddf_csv_size(file));
    ddf_xr_put_i8(env, st, "data_start", (int64_t)ddf_csv_data_start(file));
    ddf_xr_put_i8(env, st, "data_line", (int64_t)ddf_csv_data_line(file));
    ddf_xr_put_i8(env, st, "mtime_ns",
                  (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
    cols = xmlrpc_array_new(env);
    if (!env->fault_occurred) {
        const ddf_schema *schema = ddf_csv_schema(file);
        for (size_t i = 0; i < schema->ncols && !env->fault_occurred; i++) {
            xmlrpc_value *c = xmlrpc_struct_new(env);
            if (env->fault_occurred) break;
            ddf_xr_put_str(env, c, "name", schema->fields[i].name);
            ddf_xr_put_str(env, c, "dtype", ddf_dtype_name(schema->fields[i].dtype));
            ddf_xr_put_bool(env, c, "pinned", (schema->fields[i].flags & DDF_FIELD_PINNED) != 0);
            ddf_xr_append(env, cols, c);
        }
    }
    ddf_xr_put(env, st, "columns", cols);
out:
    ddf_csv_close(file);
    ddf_arena_free(arena);
    if (env->fault_occurred) {
        if (st != NULL) xmlrpc_DECREF(st);
        return NULL;
    }
    return st;
}

/* ---- ddf.shutdown --------------------------------------------------------------------- */

static xmlrpc_value *m_shutdown(xmlrpc_env *env, xmlrpc_value *params, void *info, void *call)
{
    ddf_server *srv = info;

    (void)call;
    if (ddf_xr_check_params(env, params, "ddf.shutdown", 0, 0, "no parameters") < 0) return NULL;
    ddf_server_log(srv, DDF_LOG_INFO, "ddf.shutdown called: finishing plans in flight");
    ddf_server_stop(srv); /* this answer still goes out before the worker stops */
    return xmlrpc_bool_new(env, 1);
}

/* ---- registration --------------------------------------------------------------------- */

int ddf_methods_register(ddf_server *srv, xmlrpc_registry *registry, ddf_error *err)
{
    struct xmlrpc_method_info3 methods[] = {
        {"ddf.ping", m_ping, srv, DDF_WORKER_METHOD_STACK, "S:",
         "ddf.ping() -> struct describing this worker: id (its URL), host, version, protocol "
         "(int), threads (int), pid, memory_used, memory_limit (bytes), partitions_cached, "
         "cache_hits, cache_misses, cache_evictions, uptime_s, started_ms, plans_served, "
         "plans_running (int), "
         "calls_refused, shutting_down (bool); unmarked figures are i8. Also mem_used, "
         "mem_limit and partitions, as in the registry's lease hash."},
        {"ddf.files", m_files, srv, DDF_WORKER_METHOD_STACK, "A:s",
         "ddf.files(pattern) -> array of {path, size, mtime, mtime_ns} (i8 figures; mtime in "
         "seconds since the epoch), sorted by path, for the regular files matching the glob "
         "pattern under the data root. A relative pattern is relative to the data root and "
         "so are the paths returned; matches outside the root are left out."},
        {"ddf.scan", m_scan, srv, DDF_WORKER_METHOD_STACK, "A:sA,A:sAs",
         "ddf.scan(path, windows [, quote]) -> the quote-parity pass over byte windows of a "
         "file (common/split.h): windows is an array of {offset, length} (int, i8 or decimal "
         "string); each answer is {offset, length, quotes, newlines, first_nl: [even, odd], "
         "nl_before: [even, odd]} as i8, -1 for none. quote defaults to '\"'."},
        {"ddf.infer", m_infer, srv, DDF_WORKER_METHOD_STACK, "S:s,S:sS",
         "ddf.infer(path [, csv options]) -> {path, size, data_start, data_line, mtime_ns, "
         "columns: [{name, dtype, pinned}]}: the header and the dtypes inferred from a sample "
         "of the file's start, as pandas.read_csv would. Options as in a plan's csv member "
         "(docs/protocol.md)."},
        {"ddf.shutdown", m_shutdown, srv, DDF_WORKER_METHOD_STACK, "b:",
         "ddf.shutdown() -> true; then the worker stops taking plans, finishes those in "
         "flight, leaves the registry and exits 0 (what SIGTERM does)."},
    };
    xmlrpc_env env;
    size_t i;
    int rc = DDF_OK;

    xmlrpc_env_init(&env);
    for (i = 0; i < sizeof methods / sizeof methods[0] && !env.fault_occurred; i++)
        xmlrpc_registry_add_method3(&env, registry, &methods[i]);
    if (!env.fault_occurred) {
        struct xmlrpc_method_info3 run = ddf_method_run_info;
        run.serverInfo = srv;
        xmlrpc_registry_add_method3(&env, registry, &run);
    }
    if (env.fault_occurred)
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot register methods: %s", env.fault_string);
    xmlrpc_env_clean(&env);
    return rc;
}
