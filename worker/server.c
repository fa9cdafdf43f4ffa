/* server.c - the worker's lifecycle: configuration checked, the listening socket bound
 * before anything else (so port 0 is resolved and the advertised URL, the worker's id, is
 * known before registering), the lease in the registry, and a stop that lets plans in
 * flight finish and their answers go out before the worker leaves. The HTTP side is
 * http.c, the methods methods.c and method_run.c. */
#include "server_int.h"

#include "alloc.h"

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
/* Seconds a stopping worker waits for answers to calls whose plans have finished (or
 * whose bodies are still arriving) before closing their connections anyway. */
#define STOP_GRACE_S 10

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
    pthread_cond_init(&srv->wake, NULL);
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
    srv->registry = xmlrpc_registry_new(&env);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_ENOMEM, "cannot create the method registry");
        xmlrpc_env_clean(&env);
        goto fail_fd;
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
    srv->started_ms = (int64_t)time(NULL) * 1000;
    clock_gettime(CLOCK_MONOTONIC, &srv->started);
    *out = srv;
    return DDF_OK;

fail_registry:
    xmlrpc_registry_free(srv->registry);
fail_fd:
    close(srv->listen_fd);
fail:
    ddf_free(srv->auth_expected);
    pthread_cond_destroy(&srv->wake);
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
    struct timespec grace;
    ddf_error kerr;
    uint64_t served;
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

    rc = ddf_http_start(srv, err);
    if (rc < 0) {
        ddf_lease_keeper_stop(srv->keeper, true, NULL);
        srv->keeper = NULL;
        return rc;
    }
    if (ready != NULL) ready(arg, srv->url);
    ddf_server_log(srv, DDF_LOG_INFO, "serving %s (data root %s, %u threads, cluster %s)", srv->url,
                   srv->data_root, srv->threads, srv->cluster);

    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping)
        pthread_cond_wait(&srv->wake, &srv->lock);
    pthread_mutex_unlock(&srv->lock);

    /* Stopping: no new connection, no new plan; the plans in flight finish, then their
     * answers (and those of calls still arriving) get STOP_GRACE_S to go out before every
     * connection, idle keep-alive ones included, is closed. */
    ddf_http_quiesce(srv);
    pthread_mutex_lock(&srv->lock);
    while (srv->plans_running > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    clock_gettime(CLOCK_REALTIME, &grace);
    grace.tv_sec += STOP_GRACE_S;
    while (srv->requests_active > 0 &&
           pthread_cond_timedwait(&srv->wake, &srv->lock, &grace) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&srv->lock);
    ddf_http_stop(srv);

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
    pthread_cond_broadcast(&srv->wake);
    pthread_mutex_unlock(&srv->lock);
}

void ddf_server_free(ddf_server *srv)
{
    if (srv == NULL) return;
    if (srv->keeper != NULL) ddf_lease_keeper_stop(srv->keeper, true, NULL);
    ddf_http_stop(srv);       /* no-op after ddf_server_run */
    ddf_exec_free(srv->exec); /* no method runs any more */
    xmlrpc_registry_free(srv->registry);
    close(srv->listen_fd);
    ddf_free(srv->auth_expected);
    pthread_cond_destroy(&srv->wake);
    pthread_cond_destroy(&srv->idle);
    pthread_mutex_destroy(&srv->lock);
    ddf_free(srv);
}
