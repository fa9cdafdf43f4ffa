/* server.c - the worker's HTTP side: Abyss set up for many concurrent clients, every call
 * authenticated, the request size bounded, and a stop that lets plans in flight finish.
 *
 * We drive Abyss through its low-level API instead of xmlrpc_server_abyss_create because we
 * need three things the convenience layer hides:
 * - our own listening socket, bound before anything else, so port 0 is resolved and the
 *   advertised URL (the worker's id) is known before registering;
 * - a hook between HTTP and XML-RPC (the "XML processor") that checks HTTP Basic auth for
 *   every call, introspection and system.multicall included, and answers a refusal with an
 *   XML-RPC fault rather than an HTTP error a client cannot tell from a broken network;
 * - a handler in front of xmlrpc-c's that answers an oversized request with a fault (after
 *   reading and discarding its body, so the client sees the answer, not a reset) instead of
 *   xmlrpc-c's bare HTTP 500.
 * Abyss runs one thread per connection, up to DDF_WORKER_MAX_CONN at once. */
#include "server_int.h"

#include "alloc.h"

#include <xmlrpc-c/server_abyss.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define RPC_PATH       "/RPC2"
#define LISTEN_BACKLOG 128
/* An oversized request's body is read and dropped up to this size so the client gets the
 * fault; beyond it the connection is simply closed after the answer. */
#define DRAIN_MAX_BYTES (256ull * 1024 * 1024)

void ddf_worker_config_init(ddf_worker_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = DDF_LOG_INFO;
}

bool ddf_server_logs(const ddf_server *srv, ddf_log_level level)
{
    return level <= srv->log_level;
}

void ddf_server_log(const ddf_server *srv, ddf_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[1024];
    va_list ap;

    if (!ddf_server_logs(srv, level)) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one write per line, so lines of concurrent threads do not interleave */
    fprintf(stderr, "ddf-worker: %s: %s\n", names[level], line);
}

void ddf_server_fault(xmlrpc_env *env, const ddf_error *err)
{
    int code = err->code < 0 ? err->code : DDF_EIO;

    xmlrpc_env_set_fault(env, DDF_WORKER_FAULT(code), err->msg[0] ? err->msg : ddf_strerror(code));
}

void ddf_server_faultf(xmlrpc_env *env, int code, const char *fmt, ...)
{
    ddf_error err;
    va_list ap;

    ddf_error_init(&err);
    err.code = code;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    ddf_server_fault(env, &err);
}

bool ddf_server_plan_begin(ddf_server *srv)
{
    bool ok;

    pthread_mutex_lock(&srv->lock);
    ok = !srv->stopping;
    if (ok) srv->plans_running++;
    pthread_mutex_unlock(&srv->lock);
    return ok;
}

void ddf_server_plan_end(ddf_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->plans_running--;
    srv->plans_served++;
    if (srv->plans_running == 0) pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
}

/* Standard base64 of src[len] into a new string (for the expected Authorization header). */
static char *base64(const unsigned char *src, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = ddf_malloc((len + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    if (out == NULL) return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        *o++ = tab[src[i] >> 2];
        *o++ = tab[((src[i] & 3) << 4) | (src[i + 1] >> 4)];
        *o++ = tab[((src[i + 1] & 15) << 2) | (src[i + 2] >> 6)];
        *o++ = tab[src[i + 2] & 63];
    }
    if (i < len) {
        *o++ = tab[src[i] >> 2];
        if (i + 1 < len) {
            *o++ = tab[((src[i] & 3) << 4) | (src[i + 1] >> 4)];
            *o++ = tab[(src[i + 1] & 15) << 2];
        } else {
            *o++ = tab[(src[i] & 3) << 4];
            *o++ = '=';
        }
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

/* Whether the request carries "Authorization: Basic base64(ddf:secret)". The credentials are
 * compared in time independent of where they differ. */
static bool authorized(const ddf_server *srv, TSession *s)
{
    const char *h, *want;
    size_t have_len, want_len, i;
    unsigned diff;

    if (srv->auth_expected == NULL) return true;
    h = RequestHeaderValue(s, "authorization"); /* Abyss wants the name in lower case */
    if (h == NULL || strncasecmp(h, "basic ", 6) != 0) return false;
    h += 6;
    while (*h == ' ')
        h++;
    want = srv->auth_expected + 6;
    have_len = strlen(h);
    want_len = strlen(want);
    diff = have_len != want_len;
    for (i = 0; i < want_len; i++)
        diff |= (unsigned)(unsigned char)(i < have_len ? h[i] : 0) ^ (unsigned char)want[i];
    return diff == 0;
}

/* Between Abyss and xmlrpc-c: refuse unauthenticated calls, dispatch the others. */
static void process_call(xmlrpc_env *env, void *arg, const char *xml, size_t len, TSession *s,
                         xmlrpc_mem_block **out)
{
    ddf_server *srv = arg;

    if (!authorized(srv, s)) {
        xmlrpc_env fault;

        pthread_mutex_lock(&srv->lock);
        srv->calls_refused++;
        pthread_mutex_unlock(&srv->lock);
        *out = XMLRPC_MEMBLOCK_NEW(char, env, 0);
        if (env->fault_occurred) return;
        xmlrpc_env_init(&fault);
        xmlrpc_env_set_fault(&fault, DDF_WORKER_FAULT(DDF_EAUTH),
                             "authentication required: HTTP Basic auth, user \"ddf\", "
                             "password the cluster's shared secret");
        xmlrpc_serialize_fault(env, *out, &fault);
        xmlrpc_env_clean(&fault);
        return;
    }
    xmlrpc_registry_process_call2(env, srv->registry, xml, len, s, out);
}

/* Answer the current request with an XML-RPC fault (HTTP 200, as every XML-RPC answer). */
static void send_fault(TSession *s, int code, const char *msg)
{
    xmlrpc_env env, fault;
    xmlrpc_mem_block *mb;

    xmlrpc_env_init(&env);
    xmlrpc_env_init(&fault);
    mb = XMLRPC_MEMBLOCK_NEW(char, &env, 0);
    if (!env.fault_occurred) {
        xmlrpc_env_set_fault(&fault, DDF_WORKER_FAULT(code), msg);
        xmlrpc_serialize_fault(&env, mb, &fault);
    }
    if (!env.fault_occurred) {
        size_t n = XMLRPC_MEMBLOCK_SIZE(char, mb);
        ResponseStatus(s, 200);
        ResponseContentType(s, "text/xml; charset=\"utf-8\"");
        ResponseContentLength(s, n);
        ResponseWriteStart(s);
        ResponseWriteBody(s, XMLRPC_MEMBLOCK_CONTENTS(char, mb), (xmlrpc_uint32_t)n);
        ResponseWriteEnd(s);
    } else {
        ResponseStatus(s, 500);
        ResponseError2(s, msg);
    }
    if (mb != NULL) XMLRPC_MEMBLOCK_FREE(char, mb);
    xmlrpc_env_clean(&fault);
    xmlrpc_env_clean(&env);
}

/* Runs before xmlrpc-c's handler: an oversized POST to RPC_PATH is answered here. */
static void limit_handler(void *arg, TSession *s, abyss_bool *handled)
{
    ddf_server *srv = arg;
    const TRequestInfo *ri = NULL;
    const char *cl;
    unsigned long long n, left;
    char *end = NULL;
    char msg[200];

    *handled = 0;
    SessionGetRequestInfo(s, &ri);
    if (ri == NULL || ri->method != m_post || ri->uri == NULL || strcmp(ri->uri, RPC_PATH) != 0)
        return;
    cl = RequestHeaderValue(s, "content-length");
    if (cl == NULL) return;
    errno = 0;
    n = strtoull(cl, &end, 10);
    if (errno != 0 || end == cl || n <= DDF_WORKER_MAX_REQUEST_BYTES) return;
    for (left = n <= DRAIN_MAX_BYTES ? n : 0; left > 0;) {
        const char *p = NULL;
        size_t got = 0;

        SessionGetReadData(s, left > (1u << 20) ? (1u << 20) : (size_t)left, &p, &got);
        if (got == 0) {
            if (!SessionRefillBuffer(s))
                break; /* the client went away or timed out: answer anyway */
            continue;
        }
        left -= got;
    }
    snprintf(msg, sizeof msg,
             "request of %llu bytes is over this worker's limit of %u bytes "
             "(send fewer partitions or smaller values per call)",
             n, DDF_WORKER_MAX_REQUEST_BYTES);
    ddf_server_log(srv, DDF_LOG_WARN, "%s", msg);
    send_fault(s, DDF_ETOOBIG, msg);
    *handled = 1;
}

/* Bind 'host':'port' (numeric or a name resolving to IPv4) and listen. */
static int bind_listen(const char *host, int port, int *fd_out, int *port_out, ddf_error *err)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    char portstr[16];
    int fd = -1, one = 1, gai;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0)
        return ddf_error_setf(err, DDF_EINVAL, "cannot resolve listen address %s: %s", host,
                              gai_strerror(gai));
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
        goto fail;
    freeaddrinfo(res);
    *fd_out = fd;
    *port_out = ntohs(sa.sin_port);
    return DDF_OK;
fail:
    ddf_error_setf(err, DDF_EIO, "cannot listen on %s:%d: %s", host, port, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return DDF_EIO;
}

static int setup_abyss(ddf_server *srv, ddf_error *err)
{
    struct ServerReqHandler3 limit;
    xmlrpc_server_abyss_handler_parms hp;
    const char *error = NULL;
    abyss_bool ok = 0;
    xmlrpc_env env;
    int rc = DDF_OK;

    ChanSwitchUnixCreateFd(srv->listen_fd, &srv->chan, &error);
    if (error != NULL) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot use the listening socket: %s", error);
        free((void *)error);
        return rc;
    }
    ServerCreateSwitch(&srv->abyss, srv->chan, &error);
    if (error != NULL) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot create the HTTP server: %s", error);
        free((void *)error);
        return rc;
    }
    srv->abyss_created = true;
    ServerSetAdvertise(&srv->abyss, 0);
    ServerSetKeepaliveTimeout(&srv->abyss, DDF_WORKER_KEEPALIVE_S);
    ServerSetKeepaliveMaxConn(&srv->abyss, DDF_WORKER_KEEPALIVE_MAX);
    ServerSetTimeout(&srv->abyss, DDF_WORKER_READ_TIMEOUT_S);
    ServerSetMaxConn(&srv->abyss, DDF_WORKER_MAX_CONN);
    ServerSetMaxConnBacklog(&srv->abyss, LISTEN_BACKLOG);

    memset(&hp, 0, sizeof hp);
    hp.xml_processor = process_call;
    hp.xml_processor_arg = srv;
    hp.xml_processor_max_stack = xmlrpc_registry_max_stackSize(srv->registry);
    hp.uri_path = RPC_PATH;
    hp.chunk_response = 0;
    xmlrpc_env_init(&env);
    xmlrpc_server_abyss_set_handler3(&env, &srv->abyss, &hp, XMLRPC_AHPSIZE(uri_path));
    if (env.fault_occurred)
        rc = ddf_error_setf(err, DDF_EIO, "cannot add the XML-RPC handler: %s", env.fault_string);
    xmlrpc_env_clean(&env);
    if (rc < 0) return rc;
    /* Abyss tries the handler added last first: this one must see requests before
     * xmlrpc-c's. */
    memset(&limit, 0, sizeof limit);
    limit.handleReq = limit_handler;
    limit.userdata = srv;
    ServerAddHandler3(&srv->abyss, &limit, &ok);
    if (!ok) return ddf_error_setf(err, DDF_ENOMEM, "cannot add the request size handler");
    ServerInit2(&srv->abyss, &error);
    if (error != NULL) {
        rc =
            ddf_error_setf(err, DDF_EIO, "cannot start the HTTP server on %s: %s", srv->url, error);
        free((void *)error);
    }
    return rc;
}

int ddf_server_new(const ddf_worker_config *cfg, ddf_server **out, ddf_error *err)
{
    const char *listen_host = cfg->listen_host ? cfg->listen_host : "127.0.0.1";
    const char *root = cfg->data_root ? cfg->data_root : ".";
    ddf_exec_options eopt;
    ddf_server *srv;
    struct stat st;
    xmlrpc_env env;
    int port = 0, rc;
    long ncpu;

    *out = NULL;
    if (cfg->secret == NULL && !cfg->insecure)
        return ddf_error_setf(err, DDF_EINVAL,
                              "no shared secret: give --secret-file FILE or "
                              "DDF_SECRET (or --insecure to accept unauthenticated calls)");
    if (cfg->secret != NULL &&
        (cfg->secret[0] == '\0' || strlen(cfg->secret) > DDF_WORKER_MAX_SECRET))
        return ddf_error_setf(err, DDF_EINVAL, "the shared secret must hold 1 to %d bytes",
                              DDF_WORKER_MAX_SECRET);
    if (cfg->listen_port < 0 || cfg->listen_port > 65535)
        return ddf_error_setf(err, DDF_EINVAL, "bad listen port %d", cfg->listen_port);
    srv = ddf_calloc(1, sizeof(*srv));
    if (srv == NULL) return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    srv->listen_fd = -1;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    srv->log_level = cfg->log_level;
    srv->lease_ttl_ms = cfg->lease_ttl_ms;
    snprintf(srv->redis_url, sizeof srv->redis_url, "%s", ddf_redis_url_choose(cfg->redis_url));
    snprintf(srv->cluster, sizeof srv->cluster, "%s",
             cfg->cluster ? cfg->cluster : DDF_REGISTRY_DEFAULT_CLUSTER);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    srv->threads = cfg->threads ? cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
    if (cfg->memory_limit) {
        srv->memory_limit = cfg->memory_limit;
    } else {
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
        srv->memory_limit =
            pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize / 2 : 1ull << 30;
    }

    if (realpath(root, srv->data_root) == NULL) {
        rc = ddf_error_setf(err, DDF_ENOENT, "data root %s: %s", root, strerror(errno));
        goto fail;
    }
    if (stat(srv->data_root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        rc = ddf_error_setf(err, DDF_ENOENT, "data root %s is not a directory", root);
        goto fail;
    }
    if (cfg->secret != NULL) {
        size_t n = strlen(cfg->secret);
        char *cred = ddf_malloc(n + 5), *b64;
        if (cred == NULL) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(cred, "ddf:", 4);
        memcpy(cred + 4, cfg->secret, n + 1);
        b64 = base64((const unsigned char *)cred, n + 4);
        memset(cred, 0, n + 4);
        ddf_free(cred);
        srv->auth_expected = b64 ? ddf_malloc(strlen(b64) + 7) : NULL;
        if (srv->auth_expected == NULL) {
            ddf_free(b64);
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory");
            goto fail;
        }
        sprintf(srv->auth_expected, "Basic %s", b64);
        ddf_free(b64);
    }

    rc = bind_listen(listen_host, cfg->listen_port, &srv->listen_fd, &port, err);
    if (rc < 0) goto fail;
    if (cfg->advertise != NULL && cfg->advertise[0] != '\0')
        snprintf(srv->host, sizeof srv->host, "%s", cfg->advertise);
    else if (strcmp(listen_host, "0.0.0.0") == 0 && gethostname(srv->host, sizeof srv->host) == 0)
        srv->host[sizeof srv->host - 1] = '\0';
    else
        snprintf(srv->host, sizeof srv->host, "%s", listen_host);
    if ((size_t)snprintf(srv->url, sizeof srv->url, "http://%s:%d%s", srv->host, port, RPC_PATH) >=
            sizeof srv->url ||
        !ddf_registry_id_is_valid(srv->url)) {
        rc = ddf_error_setf(err, DDF_EINVAL, "advertised URL for host \"%.64s\" is not valid",
                            srv->host);
        goto fail_fd;
    }

    xmlrpc_env_init(&env);
    /* Process-wide in xmlrpc-c: the XML of one request may be this large (the size handler
     * refuses bigger bodies first, with a clear fault). */
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, DDF_WORKER_MAX_REQUEST_BYTES);
    xmlrpc_server_abyss_global_init(&env);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot initialise Abyss: %s", env.fault_string);
        xmlrpc_env_clean(&env);
        goto fail_fd;
    }
    srv->registry = xmlrpc_registry_new(&env);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot create the method registry");
        xmlrpc_env_clean(&env);
        goto fail_global;
    }
    xmlrpc_env_clean(&env);
    rc = ddf_methods_register(srv, srv->registry, err);
    if (rc < 0) goto fail_registry;
    ddf_exec_options_init(&eopt);
    eopt.threads = srv->threads;
    eopt.memory_limit = srv->memory_limit > SIZE_MAX ? SIZE_MAX : (size_t)srv->memory_limit;
    eopt.data_root = srv->data_root;
    rc = ddf_exec_new(&eopt, &srv->exec, err);
    if (rc < 0) goto fail_registry;
    rc = setup_abyss(srv, err);
    if (rc < 0) goto fail_abyss;
    srv->started_ms = (int64_t)time(NULL) * 1000;
    clock_gettime(CLOCK_MONOTONIC, &srv->started);
    *out = srv;
    return DDF_OK;

fail_abyss:
    ddf_exec_free(srv->exec);
    if (srv->abyss_created) ServerFree(&srv->abyss);
    if (srv->chan != NULL) ChanSwitchDestroy(srv->chan);
fail_registry:
    xmlrpc_registry_free(srv->registry);
fail_global:
    xmlrpc_server_abyss_global_term();
fail_fd:
    close(srv->listen_fd);
fail:
    ddf_free(srv->auth_expected);
    pthread_cond_destroy(&srv->idle);
    pthread_mutex_destroy(&srv->lock);
    ddf_free(srv);
    return rc;
}

const char *ddf_server_url(const ddf_server *srv)
{
    return srv->url;
}

static void lease_log(void *arg, const char *msg)
{
    ddf_server_log(arg, DDF_LOG_WARN, "registry: %s", msg);
}

int ddf_server_run(ddf_server *srv, void (*ready)(void *arg, const char *url), void *arg,
                   ddf_error *err)
{
    ddf_registry_options ropt;
    ddf_worker_info w;
    ddf_error kerr;
    uint64_t served;
    bool skip;
    int rc;

    ddf_registry_options_init(&ropt);
    ropt.redis_url = srv->redis_url;
    ropt.cluster = srv->cluster;
    memset(&w, 0, sizeof w);
    snprintf(w.id, sizeof w.id, "%s", srv->url);
    snprintf(w.host, sizeof w.host, "%s", srv->host);
    snprintf(w.version, sizeof w.version, "%s", DDF_WORKER_VERSION);
    w.pid = getpid();
    w.threads = srv->threads;
    w.mem_limit = (int64_t)srv->memory_limit;
    w.started_ms = srv->started_ms;
    rc = ddf_lease_keeper_start(&ropt, &w, srv->lease_ttl_ms, lease_log, srv, &srv->keeper, err);
    if (rc < 0) return rc;

    pthread_mutex_lock(&srv->lock);
    skip = srv->stopping;
    srv->running = true;
    pthread_mutex_unlock(&srv->lock);
    if (ready != NULL) ready(arg, srv->url);
    ddf_server_log(srv, DDF_LOG_INFO, "serving %s (data root %s, %u threads, cluster %s)", srv->url,
                   srv->data_root, srv->threads, srv->cluster);
    /* ServerRun returns after ServerTerminate, once every connection has finished: answers
     * to calls in flight are sent, idle keep-alive connections close within
     * DDF_WORKER_KEEPALIVE_S (Abyss polls for finished connections every 2 s). */
    if (!skip) ServerRun(&srv->abyss);

    /* No new plans from here on; wait for those in flight. */
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    while (srv->plans_running > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);

    ddf_error_init(&kerr);
    rc = ddf_lease_keeper_stop(srv->keeper, true, &kerr);
    srv->keeper = NULL;
    if (rc < 0) ddf_server_log(srv, DDF_LOG_WARN, "could not deregister: %s", kerr.msg);
    pthread_mutex_lock(&srv->lock);
    served = srv->plans_served;
    pthread_mutex_unlock(&srv->lock);
    ddf_server_log(srv, DDF_LOG_INFO, "stopped; %llu plans served", (unsigned long long)served);
    return DDF_OK;
}

void ddf_server_stop(ddf_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_mutex_unlock(&srv->lock);
    ServerTerminate(&srv->abyss);
}

void ddf_server_free(ddf_server *srv)
{
    if (srv == NULL) return;
    if (srv->keeper != NULL) ddf_lease_keeper_stop(srv->keeper, true, NULL);
    ServerFree(&srv->abyss);
    ChanSwitchDestroy(srv->chan);
    ddf_exec_free(srv->exec); /* ServerRun has returned: no method runs any more */
    xmlrpc_registry_free(srv->registry);
    xmlrpc_server_abyss_global_term();
    close(srv->listen_fd);
    ddf_free(srv->auth_expected);
    pthread_cond_destroy(&srv->idle);
    pthread_mutex_destroy(&srv->lock);
    ddf_free(srv);
}
