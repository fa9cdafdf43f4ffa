/* http.c - the worker's HTTP/1.1 side: libmicrohttpd carries requests to xmlrpc-c's method
 * registry and answers back, every call authenticated and every body bounded.
 *
 * libmicrohttpd rather than xmlrpc-c's own Abyss server because of latency and stopping:
 * Abyss writes a response as one send() per header line, each waking the client, which
 * tripled a ping's round trip on loopback (docs/benchmarks.md); and an idle keep-alive
 * connection held a stopping Abyss for seconds. libmicrohttpd sends the head and the body
 * of a response in one system call, handles keep-alive, "Expect: 100-continue" and
 * timeouts itself, and closes idle connections at once when it stops. XML-RPC itself is
 * still all xmlrpc-c's: we only hand it the body of each POST.
 *
 * One thread per connection (methods block on plans), up to DDF_WORKER_MAX_CONN at once,
 * each with a stack for the deepest method. What is checked before any method runs:
 * - the path (/RPC2) and the HTTP method (POST), as HTTP errors: nothing XML-RPC to say;
 * - HTTP Basic auth, answered with an XML-RPC fault (a client cannot tell an HTTP error
 *   from a broken network); the body of a refused call is read and dropped, never kept;
 * - the body's size: past DDF_WORKER_MAX_REQUEST_BYTES it is read and dropped too, so the
 *   client sees the fault rather than a reset, up to DRAIN_MAX_BYTES; past that the fault
 *   is sent at once and the connection closed. */
#include "server_int.h"

#include "alloc.h"

#include <microhttpd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RPC_PATH "/RPC2"
/* Beyond this the client is not worth waiting for: the fault is sent without reading. */
#define DRAIN_MAX_BYTES (256ull * 1024 * 1024)
/* Connection-local buffer of libmicrohttpd (headers, and body bytes before we copy them). */
#define CONN_MEMORY_BYTES (128u * 1024)
/* The stack of a connection thread beyond what the deepest method declares. */
#define CONN_STACK_EXTRA (256u * 1024)

/* One request in flight, from its headers to the answer being sent. */
typedef struct request {
    char *body;
    size_t len, cap;
    uint64_t dropped;  /* bytes read and thrown away (refused or oversized) */
    uint64_t declared; /* Content-Length, or 0 when chunked or absent */
    bool authorized;
    bool oversized;
} request;

/* Whether the request carries "Authorization: Basic base64(ddf:secret)". The credentials
 * are compared in time independent of where they differ. */
static bool authorized(const ddf_server *srv, struct MHD_Connection *conn)
{
    const char *h, *want;
    size_t have_len, want_len, i;
    unsigned diff;

    if (srv->auth_expected == NULL) return true;
    h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
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

static void free_memblock(void *block)
{
    XMLRPC_MEMBLOCK_FREE(char, (xmlrpc_mem_block *)block);
}

/* Queue 'mb' (consumed) as the 200 answer: XML-RPC answers faults with HTTP 200 too. */
static enum MHD_Result answer_xml(struct MHD_Connection *conn, xmlrpc_mem_block *mb)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        XMLRPC_MEMBLOCK_SIZE(char, mb), XMLRPC_MEMBLOCK_CONTENTS(char, mb), free_memblock, mb);
    enum MHD_Result ret;

    if (resp == NULL) {
        free_memblock(mb);
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/xml; charset=\"utf-8\"");
    ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer_fault(struct MHD_Connection *conn, int code, const char *msg)
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
    xmlrpc_env_clean(&fault);
    if (env.fault_occurred) {
        if (mb != NULL) free_memblock(mb);
        xmlrpc_env_clean(&env);
        return MHD_NO;
    }
    xmlrpc_env_clean(&env);
    return answer_xml(conn, mb);
}

/* A plain-text HTTP error, for requests that are not XML-RPC calls at all. */
static enum MHD_Result answer_http(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (resp == NULL) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(resp, "Allow", "POST");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void oversized_message(char *buf, size_t cap, uint64_t bytes, bool exact)
{
    snprintf(buf, cap,
             "request of %s%llu bytes is over this worker's limit of %u bytes "
             "(send fewer partitions or smaller values per call)",
             exact ? "" : "more than ", (unsigned long long)bytes, DDF_WORKER_MAX_REQUEST_BYTES);
}

/* Keep 'n' more body bytes; false (and the request marked oversized) past the limit. */
static bool append_body(request *rq, const char *data, size_t n)
{
    if (rq->len + n > DDF_WORKER_MAX_REQUEST_BYTES) {
        rq->oversized = true;
        rq->dropped += rq->len + n;
        ddf_free(rq->body);
        rq->body = NULL;
        rq->len = rq->cap = 0;
        return false;
    }
    if (rq->len + n > rq->cap) {
        /* the declared length when there is one, so a plan is copied once */
        size_t want = rq->declared > rq->len + n ? (size_t)rq->declared : (rq->len + n) * 2;
        char *grown;

        if (want > DDF_WORKER_MAX_REQUEST_BYTES) want = DDF_WORKER_MAX_REQUEST_BYTES;
        grown = ddf_realloc(rq->body, want);
        if (grown == NULL) return false;
        rq->body = grown;
        rq->cap = want;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    return true;
}

/* The whole body is in: run the call. */
static enum MHD_Result finish_call(ddf_server *srv, struct MHD_Connection *conn, request *rq)
{
    xmlrpc_mem_block *out = NULL;
    xmlrpc_env env;
    char msg[256];

    if (!rq->authorized) {
        pthread_mutex_lock(&srv->lock);
        srv->calls_refused++;
        pthread_mutex_unlock(&srv->lock);
        return answer_fault(conn, DDF_EAUTH,
                            "authentication required: HTTP Basic auth, user \"ddf\", "
                            "password the cluster's shared secret");
    }
    if (rq->oversized) {
        oversized_message(msg, sizeof msg, rq->declared ? rq->declared : rq->dropped,
                          rq->declared != 0);
        ddf_server_log(srv, DDF_LOG_WARN, "%s", msg);
        return answer_fault(conn, DDF_ETOOBIG, msg);
    }
    xmlrpc_env_init(&env);
    xmlrpc_registry_process_call2(&env, srv->registry, rq->body ? rq->body : "", rq->len, NULL,
                                  &out);
    /* The registry answers a bad call with a fault document; env only fails when it
     * cannot build one (out of memory). */
    if (env.fault_occurred) {
        ddf_server_log(srv, DDF_LOG_ERROR, "cannot answer a call: %s", env.fault_string);
        xmlrpc_env_clean(&env);
        return answer_http(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the answer\n");
    }
    xmlrpc_env_clean(&env);
    return answer_xml(conn, out);
}

/* libmicrohttpd's access handler: called once with the headers, then once per piece of
 * body (*size > 0), then once more (*size == 0) when the body is complete. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *size, void **state)
{
    ddf_server *srv = cls;
    request *rq = *state;
    const char *cl;

    (void)version;
    if (rq == NULL) {
        if (strcmp(url, RPC_PATH) != 0)
            return answer_http(conn, MHD_HTTP_NOT_FOUND, "ddf-worker serves XML-RPC at /RPC2\n");
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return answer_http(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "XML-RPC calls are POSTs\n");
        rq = ddf_calloc(1, sizeof *rq);
        if (rq == NULL) return MHD_NO;
        *state = rq;
        pthread_mutex_lock(&srv->lock);
        srv->requests_active++;
        pthread_mutex_unlock(&srv->lock);
        rq->authorized = authorized(srv, conn);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) rq->declared = strtoull(cl, NULL, 10);
        if (rq->declared > DDF_WORKER_MAX_REQUEST_BYTES) {
            rq->oversized = true;
            if (rq->declared > DRAIN_MAX_BYTES) return finish_call(srv, conn, rq);
        }
        return MHD_YES;
    }
    if (*size > 0) {
        if (!rq->authorized || rq->oversized) {
            rq->dropped += *size;
            if (rq->dropped > DRAIN_MAX_BYTES) return MHD_NO;
        } else if (!append_body(rq, data, *size) && !rq->oversized) {
            return MHD_NO; /* out of memory */
        }
        *size = 0;
        return MHD_YES;
    }
    return finish_call(srv, conn, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why)
{
    ddf_server *srv = cls;
    request *rq = *state;

    (void)conn;
    (void)why;
    if (rq == NULL) return;
    ddf_free(rq->body);
    ddf_free(rq);
    *state = NULL;
    pthread_mutex_lock(&srv->lock);
    if (--srv->requests_active == 0) pthread_cond_broadcast(&srv->wake);
    pthread_mutex_unlock(&srv->lock);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    vsnprintf(line, sizeof line, fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    ddf_server_log(cls, DDF_LOG_DEBUG, "http: %s", line);
}

int ddf_http_start(ddf_server *srv, ddf_error *err)
{
    size_t stack = xmlrpc_registry_max_stackSize(srv->registry) + CONN_STACK_EXTRA;

    srv->httpd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
            MHD_USE_ITC | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, srv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)DDF_WORKER_MAX_CONN,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)DDF_WORKER_READ_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
        MHD_OPTION_THREAD_STACK_SIZE, stack,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, srv,
        MHD_OPTION_END);
    if (srv->httpd == NULL)
        return ddf_error_setf(err, DDF_EIO, "cannot start the HTTP server on %s", srv->url);
    return DDF_OK;
}

void ddf_http_quiesce(ddf_server *srv)
{
    /* The listening socket stays ours (ddf_server_free closes it); nothing new is accepted,
     * while connections already open are still served. */
    if (srv->httpd != NULL && !srv->http_quiesced) MHD_quiesce_daemon(srv->httpd);
    srv->http_quiesced = true;
}

void ddf_http_stop(ddf_server *srv)
{
    ddf_http_quiesce(srv);
    if (srv->httpd != NULL) MHD_stop_daemon(srv->httpd); /* closes idle connections now */
    srv->httpd = NULL;
}
