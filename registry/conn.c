/* conn.c - one Redis connection with a deadline on every wait, and reconnection.
 *
 * hiredis 0.14's timeout covers connect() only: a blocking redisCommand against a silent
 * server waits forever, and redisSetTimeout leaves the context broken after the first
 * timeout. So commands here are queued with redisAppendCommandArgv and the reply is read by
 * poll() + redisBufferRead + redisGetReplyFromReader against a monotonic deadline. The same
 * reader loop serves the subscriber (events.c), whose waits end without an error.
 *
 * Every (re)connect replays the session state Redis forgets: AUTH (ACL form with a user),
 * PING (a NOAUTH here means the URL lacks a password), SELECT. A reused connection that
 * turns out dead (Redis restarted) is reconnected once per call. Writes block SIGPIPE in the
 * calling thread, so a peer that vanished is an error, never a dead process. */
#include "registry_int.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ddf_registry_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ddf_registry_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ddf_redis_drop(ddf_redis *r)
{
    if (r->ctx != NULL) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
}

/* Wait for 'events' on the connection's socket until 'deadline_ms'. 1 ready, 0 deadline.
 * A deadline already past still polls once, so data that has arrived is never ignored. */
static int wait_fd(ddf_redis *r, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - ddf_registry_mono_ms();
        struct pollfd pfd = {.fd = r->ctx->fd, .events = events};
        int n;

        if (left < 0)
            left = 0;
        n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 1; /* let the read or write report the error */
        if (ddf_registry_mono_ms() >= deadline_ms)
            return 0;
    }
}

int ddf_redis_flush(ddf_redis *r, int64_t deadline_ms, ddf_error *err)
{
    sigset_t pipe_set, old, pending;
    bool was_pending;
    int done = 0, rc = 1;

    if (r->ctx == NULL)
        return ddf_error_setf(err, DDF_EUNREACH, "not connected to Redis at %s", r->shown);
    /* The write happens with SIGPIPE blocked (hiredis uses write(), not MSG_NOSIGNAL); a
     * SIGPIPE it raised is taken back so it is not delivered when the mask is restored. On
     * a blocking socket a write could still block with a full send buffer, which commands
     * of a few KiB never meet. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    while (!done) {
        if (!wait_fd(r, POLLOUT, deadline_ms)) {
            rc = 0;
            break;
        }
        if (redisBufferWrite(r->ctx, &done) != REDIS_OK) {
            rc = ddf_error_setf(err, DDF_EUNREACH, "lost connection to Redis at %s: %s",
                                r->shown, r->ctx->errstr[0] ? r->ctx->errstr : "write failed");
            break;
        }
    }
    if (!was_pending) {
        struct timespec zero = {0, 0};
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1)
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0)
        ddf_redis_drop(r);
    return rc;
}

int ddf_redis_append(ddf_redis *r, int argc, const char **argv, ddf_error *err)
{
    if (r->ctx == NULL)
        return ddf_error_setf(err, DDF_EUNREACH, "not connected to Redis at %s", r->shown);
    if (redisAppendCommandArgv(r->ctx, argc, argv, NULL) != REDIS_OK)
        return ddf_error_setf(err, DDF_ENOMEM, "cannot queue a command for Redis at %s",
                              r->shown);
    return DDF_OK;
}

int ddf_redis_send(ddf_redis *r, int argc, const char **argv, ddf_error *err)
{
    int rc = ddf_redis_append(r, argc, argv, err);

    if (rc < 0)
        return rc;
    rc = ddf_redis_flush(r, ddf_registry_mono_ms() + r->timeout_ms, err);
    if (rc == 0) {
        ddf_redis_drop(r);
        return ddf_error_setf(err, DDF_ETIMEDOUT,
                              "Redis at %s did not accept a command within %d ms", r->shown,
                              r->timeout_ms);
    }
    return rc < 0 ? rc : DDF_OK;
}

int ddf_redis_connect_nonblock(ddf_redis *r, ddf_error *err)
{
    redisContext *c;

    ddf_redis_drop(r);
    c = redisConnectNonBlock(r->url.host, r->url.port);
    if (c == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "cannot allocate a connection to Redis at %s",
                              r->shown);
    if (c->err != 0) {
        int rc = ddf_error_setf(err, DDF_EUNREACH, "cannot reach Redis at %s: %s", r->shown,
                                c->errstr);
        redisFree(c);
        return rc;
    }
    r->ctx = c;
    return DDF_OK;
}

int ddf_redis_recv(ddf_redis *r, int64_t deadline_ms, redisReply **reply, ddf_error *err)
{
    *reply = NULL;
    if (r->ctx == NULL)
        return ddf_error_setf(err, DDF_EUNREACH, "not connected to Redis at %s", r->shown);
    for (;;) {
        void *rep = NULL;

        if (redisGetReplyFromReader(r->ctx, &rep) != REDIS_OK) {
            int rc = ddf_error_setf(err, DDF_EIO, "bad reply from Redis at %s: %s", r->shown,
                                    r->ctx->errstr);
            ddf_redis_drop(r);
            return rc;
        }
        if (rep != NULL) {
            *reply = rep;
            return 1;
        }
        if (!wait_fd(r, POLLIN, deadline_ms))
            return 0;
        if (redisBufferRead(r->ctx) != REDIS_OK) {
            int rc = ddf_error_setf(err, DDF_EUNREACH, "lost connection to Redis at %s: %s",
                                    r->shown, r->ctx->errstr);
            ddf_redis_drop(r);
            return rc;
        }
    }
}

/* One command of the connection handshake: send, wait, hand back the reply (error replies
 * included: the caller words them). */
static int handshake_cmd(ddf_redis *r, int argc, const char **argv, int timeout_ms,
                         redisReply **reply, ddf_error *err)
{
    int rc = ddf_redis_send(r, argc, argv, err);

    if (rc < 0)
        return rc;
    rc = ddf_redis_recv(r, ddf_registry_mono_ms() + timeout_ms, reply, err);
    if (rc == 0) {
        ddf_redis_drop(r);
        return ddf_error_setf(err, DDF_ETIMEDOUT,
                              "Redis at %s did not answer %s within %d ms (is it Redis?)",
                              r->shown, argv[0], timeout_ms);
    }
    return rc < 0 ? rc : DDF_OK;
}

static int handshake(ddf_redis *r, int timeout_ms, ddf_error *err)
{
    redisReply *rep = NULL;
    char db[16];
    int rc;

    if (r->url.has_password) {
        const char *argv[3] = {"AUTH", r->url.user, r->url.password};
        int argc = 3;
        if (r->url.user[0] == '\0') {
            argv[1] = r->url.password;
            argc = 2;
        }
        rc = handshake_cmd(r, argc, argv, timeout_ms, &rep, err);
        if (rc < 0)
            return rc;
        if (rep->type == REDIS_REPLY_ERROR) {
            rc = ddf_error_setf(err, DDF_EAUTH, "Redis at %s refused the credentials: %s",
                                r->shown, rep->str);
            goto out;
        }
        freeReplyObject(rep);
    }
    {
        const char *argv[1] = {"PING"};
        rc = handshake_cmd(r, 1, argv, timeout_ms, &rep, err);
        if (rc < 0)
            return rc;
        if (rep->type == REDIS_REPLY_ERROR) {
            if (strncmp(rep->str, "NOAUTH", 6) == 0)
                rc = ddf_error_setf(err, DDF_EAUTH,
                                    "Redis at %s requires a password: give it in the URL, "
                                    "redis://:PASSWORD@host:port",
                                    r->shown);
            else
                rc = ddf_error_setf(err, DDF_EIO, "Redis at %s: PING: %s", r->shown, rep->str);
            goto out;
        }
        freeReplyObject(rep);
    }
    if (r->url.db != 0) {
        const char *argv[2] = {"SELECT", db};
        snprintf(db, sizeof(db), "%d", r->url.db);
        rc = handshake_cmd(r, 2, argv, timeout_ms, &rep, err);
        if (rc < 0)
            return rc;
        if (rep->type == REDIS_REPLY_ERROR) {
            rc = ddf_error_setf(err, DDF_EINVAL, "Redis at %s: SELECT %d: %s", r->shown,
                                r->url.db, rep->str);
            goto out;
        }
        freeReplyObject(rep);
    }
    return DDF_OK;
out:
    freeReplyObject(rep);
    ddf_redis_drop(r);
    return rc;
}

int ddf_redis_ensure(ddf_redis *r, int timeout_ms, ddf_error *err)
{
    struct timeval tv;
    redisContext *c;

    if (r->ctx != NULL)
        return DDF_OK;
    if (timeout_ms < 1)
        timeout_ms = 1;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (c == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "cannot allocate a connection to Redis at %s",
                              r->shown);
    if (c->err != 0) {
        int rc = ddf_error_setf(err, DDF_EUNREACH, "cannot reach Redis at %s: %s", r->shown,
                                c->errstr);
        redisFree(c);
        return rc;
    }
    r->ctx = c;
    return handshake(r, timeout_ms, err);
}

int ddf_redis_init(ddf_redis *r, const char *url_text, int timeout_ms, ddf_error *err)
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : DDF_REGISTRY_DEFAULT_TIMEOUT_MS;
    rc = ddf_redis_url_parse(url_text, &r->url, err);
    if (rc < 0)
        return rc;
    ddf_redis_url_format(&r->url, r->shown, sizeof(r->shown));
    rc = ddf_redis_ensure(r, r->timeout_ms, err);
    if (rc < 0)
        ddf_redis_fini(r);
    return rc;
}

void ddf_redis_fini(ddf_redis *r)
{
    ddf_redis_drop(r);
    memset(&r->url, 0, sizeof(r->url)); /* the password does not outlive its use */
}

int ddf_redis_call(ddf_redis *r, int argc, const char **argv, redisReply **reply,
                   ddf_error *err)
{
    *reply = NULL;
    for (int attempt = 0;; attempt++) {
        bool reused = r->ctx != NULL;
        redisReply *rep = NULL;
        int rc = ddf_redis_ensure(r, r->timeout_ms, err);

        if (rc < 0)
            return rc;
        rc = ddf_redis_send(r, argc, argv, err);
        if (rc >= 0) {
            rc = ddf_redis_recv(r, ddf_registry_mono_ms() + r->timeout_ms, &rep, err);
            if (rc == 0) {
                /* the reply may still come: this connection's replies would be off by one */
                ddf_redis_drop(r);
                return ddf_error_setf(err, DDF_ETIMEDOUT,
                                      "Redis at %s did not answer %s within %d ms", r->shown,
                                      argv[0], r->timeout_ms);
            }
        }
        if (rc < 0) {
            /* A connection that worked before and fails now usually means Redis restarted. */
            if (reused && attempt == 0 && rc == DDF_EUNREACH)
                continue;
            return rc;
        }
        if (rep->type == REDIS_REPLY_ERROR) {
            int code = strncmp(rep->str, "NOAUTH", 6) == 0 ? DDF_EAUTH : DDF_EIO;
            rc = ddf_error_setf(err, code, "Redis at %s: %s: %s", r->shown, argv[0], rep->str);
            freeReplyObject(rep);
            return rc;
        }
        *reply = rep;
        return DDF_OK;
    }
}
