/* events.c - the cluster's event channel: "join <id>", "leave <id>", "dead <id>".
 *
 * A subscriber is a connection in subscribed mode, read only through conn.c's poll-based
 * reader so that a wait ends at the caller's deadline (hiredis' blocking read would not,
 * and redisSetTimeout would break the context). On such a connection no other command may
 * be sent: a reply would be mistaken for a message.
 *
 * When the connection is lost (Redis restarted), the subscriber reconnects without ever
 * blocking past the caller's deadline: a non-blocking connect with AUTH, SELECT and
 * SUBSCRIBE pipelined behind it, whose replies are consumed by later calls as they come
 * (state HANDSHAKE). Attempts are spaced by a short capped backoff. Once SUBSCRIBE is
 * confirmed the caller gets DDF_REGISTRY_EVENT_RESYNC: pub/sub does not queue, so whatever
 * was published meanwhile is gone and the caller must rediscover. Only hostname resolution
 * (getaddrinfo, inside hiredis) can still block; IP literals never do. */
#include "registry_int.h"

#include "alloc.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

/* Reconnect attempts while Redis is down start this far apart and double up to the cap. */
#define BACKOFF_MIN_MS 20
#define BACKOFF_MAX_MS 500

enum sub_state {
    SUB_DOWN,      /* no connection: the next attempt is due at 'retry_at' */
    SUB_HANDSHAKE, /* connecting; 'pending' handshake replies still to come */
    SUB_LIVE,      /* subscribed */
};

struct ddf_subscriber {
    ddf_redis redis;
    ddf_registry_keys keys;
    enum sub_state state;
    int pending;      /* SUB_HANDSHAKE: replies outstanding (AUTH, SELECT, SUBSCRIBE) */
    int64_t retry_at; /* SUB_DOWN: monotonic ms before which no reconnect is tried */
    int backoff_ms;
};

const char *ddf_registry_event_name(ddf_registry_event_kind kind)
{
    switch (kind) {
    case DDF_REGISTRY_EVENT_JOIN:
        return "join";
    case DDF_REGISTRY_EVENT_LEAVE:
        return "leave";
    case DDF_REGISTRY_EVENT_DEAD:
        return "dead";
    case DDF_REGISTRY_EVENT_RESYNC:
        return "resync";
    }
    return "?";
}

/* Turn a pub/sub message into an event; false for anything else (other reply kinds,
 * messages we do not know). */
static bool parse_message(const redisReply *rep, ddf_registry_event *ev)
{
    const redisReply *payload;
    static const struct {
        const char *word;
        ddf_registry_event_kind kind;
    } words[] = {
        {"join ", DDF_REGISTRY_EVENT_JOIN},
        {"leave ", DDF_REGISTRY_EVENT_LEAVE},
        {"dead ", DDF_REGISTRY_EVENT_DEAD},
    };

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(rep->element[0]->str, "message") != 0 ||
        rep->element[2]->type != REDIS_REPLY_STRING)
        return false;
    payload = rep->element[2];
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i].word);
        if (payload->len > n && payload->len - n < sizeof(ev->id) &&
            memcmp(payload->str, words[i].word, n) == 0) {
            memset(ev, 0, sizeof(*ev));
            ev->kind = words[i].kind;
            memcpy(ev->id, payload->str + n, payload->len - n);
            ev->received_ms = ddf_registry_wall_ms();
            return true;
        }
    }
    return false;
}

/* Queue the session state Redis forgot (AUTH, SELECT) and SUBSCRIBE on a connection that
 * is being established; their replies are counted in 'pending'. */
static int queue_handshake(ddf_subscriber *sub, ddf_error *err)
{
    const ddf_redis_url *u = &sub->redis.url;
    char db[16];
    int rc;

    sub->pending = 0;
    if (u->has_password) {
        const char *argv[3] = {"AUTH", u->user, u->password};
        int argc = 3;
        if (u->user[0] == '\0') { /* the classic form: AUTH password */
            argv[1] = u->password;
            argc = 2;
        }
        rc = ddf_redis_append(&sub->redis, argc, argv, err);
        if (rc < 0)
            return rc;
        sub->pending++;
    }
    if (u->db != 0) {
        const char *argv[2] = {"SELECT", db};
        snprintf(db, sizeof(db), "%d", u->db);
        rc = ddf_redis_append(&sub->redis, 2, argv, err);
        if (rc < 0)
            return rc;
        sub->pending++;
    }
    const char *argv[2] = {"SUBSCRIBE", sub->keys.events};
    rc = ddf_redis_append(&sub->redis, 2, argv, err);
    if (rc < 0)
        return rc;
    sub->pending++;
    sub->state = SUB_HANDSHAKE;
    return DDF_OK;
}

/* Consume one handshake reply. 1 when the subscription is now live, 0 when more are due,
 * negative for a refusal no retry can fix (credentials, db). */
static int handshake_reply(ddf_subscriber *sub, const redisReply *rep, ddf_error *err)
{
    if (rep->type == REDIS_REPLY_ERROR) {
        if (strncmp(rep->str, "NOAUTH", 6) == 0)
            return ddf_error_setf(err, DDF_EAUTH,
                                  "Redis at %s requires a password: give it in the URL, "
                                  "redis://:PASSWORD@host:port",
                                  sub->redis.shown);
        if (strncmp(rep->str, "WRONGPASS", 9) == 0 || strstr(rep->str, "AUTH") != NULL)
            return ddf_error_setf(err, DDF_EAUTH, "Redis at %s refused the credentials: %s",
                                  sub->redis.shown, rep->str);
        return ddf_error_setf(err, DDF_EINVAL, "Redis at %s: %s", sub->redis.shown, rep->str);
    }
    if (--sub->pending > 0)
        return 0;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(rep->element[0]->str, "subscribe") != 0)
        return ddf_error_setf(err, DDF_EIO, "Redis at %s: unexpected reply to SUBSCRIBE",
                              sub->redis.shown);
    sub->state = SUB_LIVE;
    sub->backoff_ms = BACKOFF_MIN_MS;
    return 1;
}

static void schedule_retry(ddf_subscriber *sub)
{
    ddf_redis_drop(&sub->redis);
    sub->state = SUB_DOWN;
    sub->retry_at = ddf_registry_mono_ms() + sub->backoff_ms;
    sub->backoff_ms = sub->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : sub->backoff_ms * 2;
}

/* Drive the subscription until an event, the deadline or a fatal error: 1, 0 or < 0. A
 * live subscription that completes a handshake reports RESYNC when 'resync' is set (not for
 * the first subscription, made by ddf_subscriber_new). */
static int drive(ddf_subscriber *sub, int64_t deadline, bool resync, ddf_registry_event *ev,
                 ddf_error *err)
{
    ddf_error scratch;

    for (;;) {
        int64_t now = ddf_registry_mono_ms();
        redisReply *rep = NULL;
        int rc;

        if (sub->state == SUB_DOWN) {
            if (now < sub->retry_at) {
                /* Sleep until the next attempt or the deadline, whichever is first. */
                int64_t until = sub->retry_at < deadline ? sub->retry_at : deadline;
                if (until > now)
                    poll(NULL, 0, (int)(until - now));
                if (ddf_registry_mono_ms() >= deadline)
                    return 0;
                continue;
            }
            /* Failures to reach Redis are expected here and retried: keep them out of 'err'. */
            rc = ddf_redis_connect_nonblock(&sub->redis, &scratch);
            if (rc == DDF_OK)
                rc = queue_handshake(sub, &scratch);
            if (rc == DDF_ENOMEM)
                return ddf_error_setf(err, rc, "%s", scratch.msg);
            if (rc < 0) {
                schedule_retry(sub);
                continue;
            }
        }
        rc = ddf_redis_flush(&sub->redis, deadline, &scratch);
        if (rc == 0)
            return 0; /* still connecting or writing: the rest is for the next call */
        if (rc < 0) {
            schedule_retry(sub);
            continue;
        }
        rc = ddf_redis_recv(&sub->redis, deadline, &rep, &scratch);
        if (rc == 0)
            return 0;
        if (rc < 0) { /* lost: reconnect at once if it was live, else back off */
            bool was_live = sub->state == SUB_LIVE;
            schedule_retry(sub);
            if (was_live)
                sub->retry_at = 0;
            continue;
        }
        if (sub->state == SUB_HANDSHAKE) {
            rc = handshake_reply(sub, rep, err);
            freeReplyObject(rep);
            if (rc < 0) {
                ddf_redis_drop(&sub->redis);
                sub->state = SUB_DOWN;
                return rc;
            }
            if (rc == 1 && resync) {
                memset(ev, 0, sizeof(*ev));
                ev->kind = DDF_REGISTRY_EVENT_RESYNC;
                ev->received_ms = ddf_registry_wall_ms();
                return 1;
            }
            if (rc == 1)
                return 0; /* ddf_subscriber_new: subscribed */
            continue;
        }
        rc = parse_message(rep, ev);
        freeReplyObject(rep);
        if (rc)
            return 1;
    }
}

int ddf_subscriber_new(const ddf_registry_options *opt, ddf_subscriber **out, ddf_error *err)
{
    ddf_registry_event ev;
    ddf_subscriber *sub;
    int rc;

    *out = NULL;
    sub = ddf_calloc(1, sizeof(*sub));
    if (sub == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory subscribing to events");
    sub->backoff_ms = BACKOFF_MIN_MS;
    rc = ddf_registry_keys_init(&sub->keys, opt->cluster, err);
    if (rc < 0)
        goto out_free;
    /* A blocking connect with AUTH and PING first: its errors are the clear ones
     * (unreachable, refused credentials) a caller needs at startup. */
    rc = ddf_redis_init(&sub->redis, ddf_redis_url_choose(opt->redis_url), opt->timeout_ms,
                        err);
    if (rc < 0)
        goto out_free;
    {
        const char *argv[2] = {"SUBSCRIBE", sub->keys.events};
        rc = ddf_redis_append(&sub->redis, 2, argv, err);
        if (rc < 0)
            goto out_fini;
        sub->pending = 1;
        sub->state = SUB_HANDSHAKE;
    }
    rc = drive(sub, ddf_registry_mono_ms() + sub->redis.timeout_ms, false, &ev, err);
    if (rc < 0)
        goto out_fini;
    if (sub->state != SUB_LIVE) {
        rc = ddf_error_setf(err, DDF_ETIMEDOUT, "Redis at %s did not confirm SUBSCRIBE within "
                            "%d ms", sub->redis.shown, sub->redis.timeout_ms);
        goto out_fini;
    }
    *out = sub;
    return DDF_OK;
out_fini:
    ddf_redis_fini(&sub->redis);
out_free:
    ddf_free(sub);
    return rc;
}

void ddf_subscriber_free(ddf_subscriber *sub)
{
    if (sub == NULL)
        return;
    ddf_redis_fini(&sub->redis);
    ddf_free(sub);
}

bool ddf_subscriber_is_connected(const ddf_subscriber *sub)
{
    return sub->state == SUB_LIVE && sub->redis.ctx != NULL;
}

int ddf_subscriber_next(ddf_subscriber *sub, int timeout_ms, ddf_registry_event *ev,
                        ddf_error *err)
{
    return drive(sub, ddf_registry_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0), true, ev,
                 err);
}
