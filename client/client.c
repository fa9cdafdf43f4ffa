/* client.c - a connection to one ddf cluster (ddf.h): its registry, the XML-RPC client
 * that calls its workers, and, when no Redis is named, the private local cluster it runs.
 *
 * Workers are discovered afresh for every action, with dead members reaped, so a worker
 * that joined is used from the next action on and one that died is not called. */
#include "client_int.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CALL_TIMEOUT_MS 600000
#define DEFAULT_RETRIES 3
#define DEFAULT_WIDENINGS 8
#define MAX_SECRET_BYTES 4096

void ddf_connect_options_init(ddf_connect_options *opt)
{
    memset(opt, 0, sizeof *opt);
}

/* The first line of 'path', trailing whitespace dropped, as the worker reads it. */
static int read_secret_file(const char *path, char **out, ddf_error *err)
{
    char buf[MAX_SECRET_BYTES + 2];
    FILE *f = fopen(path, "r");
    size_t len;

    if (f == NULL)
        return ddf_error_setf(err, DDF_EIO, "cannot read the secret file %s", path);
    if (fgets(buf, sizeof buf, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                       buf[len - 1] == '\t'))
        buf[--len] = '\0';
    if (len == 0)
        return ddf_error_setf(err, DDF_EINVAL, "the secret file %s is empty", path);
    if (len > MAX_SECRET_BYTES)
        return ddf_error_setf(err, DDF_EINVAL, "the secret in %s is over %d bytes", path,
                              MAX_SECRET_BYTES);
    *out = ddf_strdup(buf);
    return *out ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
}

static int choose_secret(const ddf_connect_options *opt, char **out, ddf_error *err)
{
    const char *env = getenv("DDF_SECRET");

    /* what the caller names (a command-line flag) wins over the environment */
    *out = NULL;
    if (opt->secret == NULL && opt->secret_file != NULL)
        return read_secret_file(opt->secret_file, out, err);
    if (opt->secret != NULL || (env != NULL && env[0] != '\0')) {
        *out = ddf_strdup(opt->secret != NULL ? opt->secret : env);
        return *out ? DDF_OK : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    return DDF_OK;
}

static int start_local(ddf_client *c, const ddf_connect_options *opt, ddf_error *err)
{
    ddf_local_options lo;
    int rc;

    ddf_local_options_init(&lo);
    lo.workers = opt->local_workers;
    lo.threads = opt->local_threads;
    lo.memory_limit = opt->local_memory_limit;
    lo.worker_bin = opt->worker_bin;
    lo.lease_ttl_ms = opt->local_lease_ttl_ms;
    rc = ddf_local_cluster_start(&lo, &c->local, err);
    if (rc < 0)
        return rc;
    c->redis_url = ddf_strdup(ddf_local_cluster_redis_url(c->local));
    c->cluster = ddf_strdup(ddf_local_cluster_name(c->local));
    c->secret = ddf_strdup(ddf_local_cluster_secret(c->local));
    if (!c->redis_url || !c->cluster || !c->secret)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    return DDF_OK;
}

int ddf_connect(const ddf_connect_options *opt, ddf_client **out, ddf_error *err)
{
    ddf_connect_options defaults;
    ddf_registry_options ro;
    const char *env_url = getenv("DDF_REDIS");
    ddf_client *c;
    int rc;

    *out = NULL;
    if (opt == NULL) {
        ddf_connect_options_init(&defaults);
        opt = &defaults;
    }
    c = ddf_calloc(1, sizeof *c);
    if (c == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    c->call_timeout_ms = opt->call_timeout_ms > 0 ? opt->call_timeout_ms
                                                  : DEFAULT_CALL_TIMEOUT_MS;
    c->max_retries = opt->max_retries > 0 ? opt->max_retries : DEFAULT_RETRIES;
    c->max_widenings = opt->max_widenings > 0 ? opt->max_widenings : DEFAULT_WIDENINGS;
    if (opt->redis_url == NULL && (env_url == NULL || env_url[0] == '\0')) {
        rc = start_local(c, opt, err);
    } else {
        c->redis_url = ddf_strdup(opt->redis_url != NULL ? opt->redis_url : env_url);
        c->cluster = ddf_strdup(opt->cluster != NULL ? opt->cluster : "default");
        rc = (c->redis_url && c->cluster) ? choose_secret(opt, &c->secret, err)
                                          : ddf_error_setf(err, DDF_ENOMEM, "out of memory");
    }
    if (rc < 0)
        goto fail;
    ddf_registry_options_init(&ro);
    ro.redis_url = c->redis_url;
    ro.cluster = c->cluster;
    rc = ddf_registry_new(&ro, &c->reg, err);
    if (rc < 0)
        goto fail;
    rc = ddf_rpc_new(c->secret, &c->rpc, err);
    if (rc < 0)
        goto fail;
    *out = c;
    return DDF_OK;
fail:
    ddf_close(c);
    return rc;
}

void ddf_client_clear_warnings(ddf_client *c)
{
    for (size_t i = 0; i < c->nwarnings; i++)
        ddf_free(c->warnings[i]);
    c->nwarnings = 0;
}

void ddf_close(ddf_client *c)
{
    if (c == NULL)
        return;
    ddf_client_clear_warnings(c);
    ddf_rpc_free(c->rpc);
    ddf_registry_free(c->reg);
    ddf_local_cluster_stop(c->local);
    ddf_free(c->redis_url);
    ddf_free(c->cluster);
    if (c->secret != NULL) {
        memset(c->secret, 0, strlen(c->secret));
        ddf_free(c->secret);
    }
    ddf_free(c);
}

struct ddf_local_cluster *ddf_client_local_cluster(ddf_client *c)
{
    return c->local;
}

void ddf_client_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; ids != NULL && i < n; i++)
        ddf_free(ids[i]);
    ddf_free(ids);
}

int ddf_client_live_workers(ddf_client *c, char ***ids, size_t *n, ddf_error *err)
{
    ddf_worker_list list;
    int rc;

    *ids = NULL;
    *n = 0;
    rc = ddf_registry_discover(c->reg, true, &list, err);
    if (rc < 0)
        return rc;
    if (list.count > 0) {
        *ids = ddf_calloc(list.count, sizeof **ids);
        if (*ids == NULL) {
            ddf_worker_list_fini(&list);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < list.count; i++) {
        (*ids)[i] = ddf_strdup(list.items[i].id);
        if ((*ids)[i] == NULL) {
            ddf_client_free_ids(*ids, i);
            *ids = NULL;
            ddf_worker_list_fini(&list);
            return ddf_error_setf(err, DDF_ENOMEM, "out of memory");
        }
    }
    *n = list.count;
    ddf_worker_list_fini(&list);
    return DDF_OK;
}

int ddf_client_workers(ddf_client *c, size_t *count, ddf_error *err)
{
    char **ids;
    int rc = ddf_client_live_workers(c, &ids, count, err);

    if (rc == DDF_OK)
        ddf_client_free_ids(ids, *count);
    return rc;
}

void ddf_client_last_stats(const ddf_client *c, ddf_action_stats *out)
{
    *out = c->last;
}

void ddf_client_begin_action(ddf_client *c)
{
    struct timespec ts;

    memset(&c->last, 0, sizeof c->last);
    ddf_client_clear_warnings(c);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->action_start_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    ddf_rpc_uncancel(c->rpc);
}

void ddf_client_interrupt(ddf_client *client)
{
    ddf_rpc_cancel(client->rpc);
}

void ddf_client_set_progress(ddf_client *client, ddf_progress_fn *fn, void *arg)
{
    client->progress_fn = fn;
    client->progress_arg = arg;
}

void ddf_client_add_warning(ddf_client *c, char *msg)
{
    if (c->nwarnings < DDF_CLIENT_MAX_WARNINGS)
        c->warnings[c->nwarnings++] = msg;
    else
        ddf_free(msg);
}

size_t ddf_client_warnings(const ddf_client *c, const char *const **msgs)
{
    if (msgs != NULL)
        *msgs = (const char *const *)c->warnings;
    return c->nwarnings;
}
