/* membership.c - who is in the cluster: register, heartbeat, deregister, discover, prune.
 *
 * Each change is one Lua script, so the set, the lease hash and the event can never
 * disagree: a reader sees a member either with its lease and after its "join", or not at
 * all. The scripts take Redis' own clock (TIME) for 'refreshed', so lease ages computed from
 * a discovery's 'now' do not depend on the clocks of the machines involved. Pruning is a
 * separate script per dead member whose SREM decides who publishes "dead": only the caller
 * whose SREM removed the member does, so concurrent pruners announce a death exactly once,
 * and a member that re-registered between discovery and pruning (its hash exists again) is
 * left alone. */
#include "registry_int.h"

#include "alloc.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ddf_registry {
    ddf_redis redis;
    ddf_registry_keys keys;
};

/* KEYS[1] workers set, KEYS[2] lease hash; ARGV: id, ttl ms ("0": static), events channel,
 * mode ("register" | "heartbeat"), then field/value pairs. Returns 1 when it published
 * "join" (a registration, or a heartbeat that found its lease gone), else 0. */
static const char REGISTER_LUA[] =
    "local t = redis.call('TIME')\n"
    "local now = string.format('%.0f', t[1] * 1000 + math.floor(t[2] / 1000))\n"
    "local alive = redis.call('EXISTS', KEYS[2]) == 1 and\n"
    "              redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1\n"
    "local fresh = ARGV[4] == 'register' or not alive\n"
    "if fresh then redis.call('DEL', KEYS[2]) end\n"
    "redis.call('HSET', KEYS[2], 'refreshed', now, unpack(ARGV, 5))\n"
    "if ARGV[2] == '0' then redis.call('HSET', KEYS[2], 'static', '1')\n"
    "else redis.call('PEXPIRE', KEYS[2], ARGV[2]) end\n"
    "redis.call('SADD', KEYS[1], ARGV[1])\n"
    "if fresh then redis.call('PUBLISH', ARGV[3], 'join ' .. ARGV[1]) return 1 end\n"
    "return 0\n";

/* KEYS[1] workers set, KEYS[2] lease hash; ARGV: id, events channel. */
static const char DEREGISTER_LUA[] =
    "redis.call('DEL', KEYS[2])\n"
    "local n = redis.call('SREM', KEYS[1], ARGV[1])\n"
    "if n == 1 then redis.call('PUBLISH', ARGV[2], 'leave ' .. ARGV[1]) end\n"
    "return n\n";

/* KEYS[1] workers set, KEYS[2] lease hash; ARGV: id, events channel. 1 = we pruned it. */
static const char PRUNE_LUA[] =
    "if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"
    "if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then\n"
    "  redis.call('PUBLISH', ARGV[2], 'dead ' .. ARGV[1])\n"
    "  return 1\n"
    "end\n"
    "return 0\n";

/* KEYS[1] workers set; ARGV[1] lease hash prefix. Returns {now, id, pttl, {field, value,
 * ...}, id, pttl, {...}, ...}; pttl is -2 for a member whose lease is gone. */
static const char DISCOVER_LUA[] =
    "local t = redis.call('TIME')\n"
    "local out = {string.format('%.0f', t[1] * 1000 + math.floor(t[2] / 1000))}\n"
    "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  local k = ARGV[1] .. id\n"
    "  out[#out + 1] = id\n"
    "  out[#out + 1] = redis.call('PTTL', k)\n"
    "  out[#out + 1] = redis.call('HGETALL', k)\n"
    "end\n"
    "return out\n";

int ddf_registry_keys_init(ddf_registry_keys *keys, const char *cluster, ddf_error *err)
{
    size_t n;

    if (cluster == NULL)
        cluster = DDF_REGISTRY_DEFAULT_CLUSTER;
    n = strlen(cluster);
    if (n == 0 || n >= DDF_REGISTRY_MAX_CLUSTER)
        return ddf_error_setf(err, DDF_EINVAL, "bad cluster name \"%.64s\": it must have 1 to %d "
                              "characters", cluster, DDF_REGISTRY_MAX_CLUSTER - 1);
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)cluster[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return ddf_error_setf(err, DDF_EINVAL,
                                  "bad cluster name \"%s\": only letters, digits, '_', '-' and "
                                  "'.' are allowed",
                                  cluster);
    }
    snprintf(keys->prefix, sizeof(keys->prefix), "ddf:%s:", cluster);
    snprintf(keys->workers, sizeof(keys->workers), "ddf:%s:workers", cluster);
    snprintf(keys->events, sizeof(keys->events), "ddf:%s:events", cluster);
    return DDF_OK;
}

void ddf_registry_options_init(ddf_registry_options *opt)
{
    opt->redis_url = NULL;
    opt->cluster = NULL;
    opt->timeout_ms = DDF_REGISTRY_DEFAULT_TIMEOUT_MS;
}

int ddf_registry_new(const ddf_registry_options *opt, ddf_registry **out, ddf_error *err)
{
    ddf_registry *reg;
    int rc;

    *out = NULL;
    reg = ddf_calloc(1, sizeof(*reg));
    if (reg == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory opening the registry");
    rc = ddf_registry_keys_init(&reg->keys, opt->cluster, err);
    if (rc < 0)
        goto out_free;
    rc = ddf_redis_init(&reg->redis, ddf_redis_url_choose(opt->redis_url), opt->timeout_ms,
                        err);
    if (rc < 0)
        goto out_free;
    *out = reg;
    return DDF_OK;
out_free:
    ddf_free(reg);
    return rc;
}

void ddf_registry_free(ddf_registry *reg)
{
    if (reg == NULL)
        return;
    ddf_redis_fini(&reg->redis);
    ddf_free(reg);
}

const char *ddf_registry_url(const ddf_registry *reg)
{
    return reg->redis.shown;
}

bool ddf_registry_id_is_valid(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;

    if (n == 0 || n >= DDF_REGISTRY_MAX_ID)
        return false;
    if (strncmp(id, "http://", 7) != 0 && strncmp(id, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)id[i]))
            return false;
    return id[strncmp(id, "http://", 7) == 0 ? 7 : 8] != '\0';
}

static int check_id(const char *id, ddf_error *err)
{
    if (!ddf_registry_id_is_valid(id))
        return ddf_error_setf(err, DDF_EINVAL,
                              "bad worker id \"%.200s\": expected an http:// URL without spaces, "
                              "under %d bytes",
                              id != NULL ? id : "", DDF_REGISTRY_MAX_ID);
    return DDF_OK;
}

static void lease_key(const ddf_registry *reg, const char *id, char *buf, size_t len)
{
    snprintf(buf, len, "%sworker:%s", reg->keys.prefix, id);
}

/* Run REGISTER_LUA for 'w'. *joined: whether it published "join". */
static int run_register(ddf_registry *reg, const ddf_worker_info *w, int64_t ttl_ms,
                        const char *mode, bool *joined, ddf_error *err)
{
    char key[sizeof(reg->keys.prefix) + 8 + DDF_REGISTRY_MAX_ID];
    char ttl[24], pid[24], threads[24], mem_limit[24], mem_used[24], parts[24], started[24];
    redisReply *rep = NULL;
    int rc;

    if (joined != NULL)
        *joined = false;
    rc = check_id(w->id, err);
    if (rc < 0)
        return rc;
    if (ttl_ms < 0)
        return ddf_error_setf(err, DDF_EINVAL, "negative lease TTL %" PRId64 " ms", ttl_ms);
    lease_key(reg, w->id, key, sizeof(key));
    snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
    snprintf(pid, sizeof(pid), "%" PRId64, w->pid);
    snprintf(threads, sizeof(threads), "%" PRId64, w->threads);
    snprintf(mem_limit, sizeof(mem_limit), "%" PRId64, w->mem_limit);
    snprintf(mem_used, sizeof(mem_used), "%" PRId64, w->mem_used);
    snprintf(parts, sizeof(parts), "%" PRId64, w->partitions);
    snprintf(started, sizeof(started), "%" PRId64,
             w->started_ms > 0 ? w->started_ms : ddf_registry_wall_ms());
    const char *argv[] = {
        "EVAL", REGISTER_LUA, "2", reg->keys.workers, key, w->id, ttl, reg->keys.events, mode,
        "url", w->id, "host", w->host, "pid", pid, "threads", threads, "mem_limit", mem_limit,
        "mem_used", mem_used, "partitions", parts, "version", w->version, "started", started,
    };
    rc = ddf_redis_call(&reg->redis, (int)(sizeof(argv) / sizeof(argv[0])), argv, &rep, err);
    if (rc < 0)
        return rc;
    if (rep->type != REDIS_REPLY_INTEGER)
        rc = ddf_error_setf(err, DDF_EIO, "Redis at %s: unexpected reply to register",
                            reg->redis.shown);
    else if (joined != NULL)
        *joined = rep->integer == 1;
    freeReplyObject(rep);
    return rc;
}

int ddf_registry_register(ddf_registry *reg, const ddf_worker_info *w, int64_t ttl_ms,
                          ddf_error *err)
{
    return run_register(reg, w, ttl_ms, "register", NULL, err);
}

int ddf_registry_heartbeat(ddf_registry *reg, const ddf_worker_info *w, int64_t ttl_ms,
                           bool *rejoined, ddf_error *err)
{
    if (ttl_ms <= 0)
        return ddf_error_setf(err, DDF_EINVAL, "a heartbeat needs a positive lease TTL");
    return run_register(reg, w, ttl_ms, "heartbeat", rejoined, err);
}

/* Run one of the two-key, (id, channel) scripts; *result is its integer reply. 'check':
 * refuse ids we would not register (pruning takes whatever is in the set, up to the size
 * limit, so junk someone else put there does not stay forever). */
static int run_id_script(ddf_registry *reg, const char *script, const char *id, bool check,
                         long long *result, ddf_error *err)
{
    char key[sizeof(reg->keys.prefix) + 8 + DDF_REGISTRY_MAX_ID];
    redisReply *rep = NULL;
    int rc = check ? check_id(id, err) : DDF_OK;

    if (rc < 0)
        return rc;
    lease_key(reg, id, key, sizeof(key));
    const char *argv[] = {"EVAL", script, "2", reg->keys.workers, key, id, reg->keys.events};
    rc = ddf_redis_call(&reg->redis, 7, argv, &rep, err);
    if (rc < 0)
        return rc;
    if (rep->type != REDIS_REPLY_INTEGER)
        rc = ddf_error_setf(err, DDF_EIO, "Redis at %s: unexpected reply to a script",
                            reg->redis.shown);
    else
        *result = rep->integer;
    freeReplyObject(rep);
    return rc;
}

int ddf_registry_deregister(ddf_registry *reg, const char *id, bool *was_member,
                            ddf_error *err)
{
    long long n = 0;
    int rc = run_id_script(reg, DEREGISTER_LUA, id, true, &n, err);

    if (was_member != NULL)
        *was_member = rc == DDF_OK && n == 1;
    return rc;
}

static int64_t to_i64(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    return end != s ? (int64_t)v : 0;
}

/* Fill 'w' from an HGETALL array; unknown fields are ignored (newer writers may add some). */
static void fill_info(ddf_worker_info *w, const redisReply *fields)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "host") == 0)
            snprintf(w->host, sizeof(w->host), "%s", v->str);
        else if (strcmp(k->str, "version") == 0)
            snprintf(w->version, sizeof(w->version), "%s", v->str);
        else if (strcmp(k->str, "pid") == 0)
            w->pid = to_i64(v->str);
        else if (strcmp(k->str, "threads") == 0)
            w->threads = to_i64(v->str);
        else if (strcmp(k->str, "mem_limit") == 0)
            w->mem_limit = to_i64(v->str);
        else if (strcmp(k->str, "mem_used") == 0)
            w->mem_used = to_i64(v->str);
        else if (strcmp(k->str, "partitions") == 0)
            w->partitions = to_i64(v->str);
        else if (strcmp(k->str, "started") == 0)
            w->started_ms = to_i64(v->str);
        else if (strcmp(k->str, "refreshed") == 0)
            w->refreshed_ms = to_i64(v->str);
        else if (strcmp(k->str, "static") == 0)
            w->is_static = strcmp(v->str, "1") == 0;
    }
}

static int cmp_info(const void *a, const void *b)
{
    return strcmp(((const ddf_worker_info *)a)->id, ((const ddf_worker_info *)b)->id);
}

void ddf_worker_list_fini(ddf_worker_list *list)
{
    if (list == NULL)
        return;
    ddf_free(list->items);
    memset(list, 0, sizeof(*list));
}

int ddf_registry_discover(ddf_registry *reg, bool prune, ddf_worker_list *out, ddf_error *err)
{
    const char *argv[] = {"EVAL", DISCOVER_LUA, "1", reg->keys.workers, NULL};
    char prefix[sizeof(reg->keys.prefix) + 8];
    redisReply *rep = NULL;
    size_t members;
    int rc;

    memset(out, 0, sizeof(*out));
    snprintf(prefix, sizeof(prefix), "%sworker:", reg->keys.prefix);
    argv[4] = prefix;
    rc = ddf_redis_call(&reg->redis, 5, argv, &rep, err);
    if (rc < 0)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 || rep->elements % 3 != 1 ||
        rep->element[0]->type != REDIS_REPLY_STRING) {
        rc = ddf_error_setf(err, DDF_EIO, "Redis at %s: unexpected reply to discover",
                            reg->redis.shown);
        goto out;
    }
    members = rep->elements / 3;
    if (members > DDF_REGISTRY_MAX_MEMBERS) {
        rc = ddf_error_setf(err, DDF_ETOOBIG, "cluster has %zu members, over the limit of %d",
                            members, DDF_REGISTRY_MAX_MEMBERS);
        goto out;
    }
    out->now_ms = to_i64(rep->element[0]->str);
    if (members > 0) {
        out->items = ddf_calloc(members, sizeof(*out->items));
        if (out->items == NULL) {
            rc = ddf_error_setf(err, DDF_ENOMEM, "out of memory reading %zu members", members);
            goto out;
        }
    }
    for (size_t i = 0; i < members; i++) {
        const redisReply *id = rep->element[1 + 3 * i], *pttl = rep->element[2 + 3 * i];
        const redisReply *fields = rep->element[3 + 3 * i];
        ddf_worker_info *w;

        if (id->type != REDIS_REPLY_STRING || pttl->type != REDIS_REPLY_INTEGER ||
            fields->type != REDIS_REPLY_ARRAY) {
            rc = ddf_error_setf(err, DDF_EIO, "Redis at %s: unexpected member in discover",
                                reg->redis.shown);
            goto out;
        }
        if (pttl->integer == -2) { /* lease gone: dead */
            long long won = 0;
            if (prune && id->len < DDF_REGISTRY_MAX_ID && strlen(id->str) == id->len) {
                rc = run_id_script(reg, PRUNE_LUA, id->str, false, &won, err);
                if (rc < 0)
                    goto out;
                out->pruned += won == 1;
            }
            continue;
        }
        if (id->len >= DDF_REGISTRY_MAX_ID)
            continue; /* not written by us: ids are checked on the way in */
        w = &out->items[out->count++];
        memcpy(w->id, id->str, id->len);
        fill_info(w, fields);
        w->ttl_ms = pttl->integer >= 0 ? pttl->integer : -1;
        if (pttl->integer == -1)
            w->is_static = true; /* no TTL: nobody heartbeats it, it lives until removed */
    }
    if (out->count > 1)
        qsort(out->items, out->count, sizeof(*out->items), cmp_info);
out:
    freeReplyObject(rep);
    if (rc < 0)
        ddf_worker_list_fini(out);
    return rc;
}

int ddf_registry_reap(ddf_registry *reg, size_t *pruned, ddf_error *err)
{
    ddf_worker_list list;
    int rc = ddf_registry_discover(reg, true, &list, err);

    if (pruned != NULL)
        *pruned = rc == DDF_OK ? list.pruned : 0;
    ddf_worker_list_fini(&list);
    return rc;
}
