/* admin_rpc.c - one XML-RPC call from ddf-registry to an endpoint, with a real deadline.
 *
 * xmlrpc-c's curl timeout is checked only every ~3 s (see the library notes), so the call is
 * started asynchronously and the event loop is run with xmlrpc_client_event_loop_finish_
 * timeout; if the answer is late, the interrupt flag aborts the pending call. A client
 * object per call is fine here: the CLI makes one or two calls per run. */
#include "admin_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/client.h>

typedef struct call_state {
    bool done;
    bool failed;
    char msg[DDF_ERROR_MSG_BYTES];
    ddf_worker_info *info; /* where to copy a ping's struct, or NULL */
} call_state;

static void read_int_field(xmlrpc_env *env, xmlrpc_value *st, const char *key, int64_t *out)
{
    xmlrpc_value *v = NULL;

    xmlrpc_struct_find_value(env, st, key, &v);
    if (env->fault_occurred || v == NULL) {
        xmlrpc_env_clean(env);
        xmlrpc_env_init(env);
        return;
    }
    if (xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
        int i = 0;
        xmlrpc_read_int(env, v, &i);
        *out = i;
    } else if (xmlrpc_value_type(v) == XMLRPC_TYPE_I8) {
        xmlrpc_int64 i = 0;
        xmlrpc_read_i8(env, v, &i);
        *out = i;
    }
    xmlrpc_DECREF(v);
    xmlrpc_env_clean(env);
    xmlrpc_env_init(env);
}

static void read_str_field(xmlrpc_env *env, xmlrpc_value *st, const char *key, char *out,
                           size_t len)
{
    xmlrpc_value *v = NULL;

    xmlrpc_struct_find_value(env, st, key, &v);
    if (!env->fault_occurred && v != NULL && xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
        const char *s = NULL;
        xmlrpc_read_string(env, v, &s);
        if (!env->fault_occurred && s != NULL) {
            snprintf(out, len, "%s", s);
            free((void *)s); /* xmlrpc-c allocates it with malloc */
        }
    }
    if (v != NULL)
        xmlrpc_DECREF(v);
    xmlrpc_env_clean(env);
    xmlrpc_env_init(env);
}

static void on_response(const char *server_url, const char *method, xmlrpc_value *params,
                        void *user, xmlrpc_env *fault, xmlrpc_value *result)
{
    call_state *cs = user;

    (void)server_url;
    (void)method;
    (void)params;
    cs->done = true;
    if (fault->fault_occurred) {
        cs->failed = true;
        /* curl's own words are the useful part of xmlrpc-c's transport message */
        const char *why = strstr(fault->fault_string, "explaining:");
        why = why != NULL ? why + strlen("explaining:") : fault->fault_string;
        while (*why == ' ')
            why++;
        snprintf(cs->msg, sizeof(cs->msg), "%s", why);
        return;
    }
    if (cs->info != NULL && result != NULL && xmlrpc_value_type(result) == XMLRPC_TYPE_STRUCT) {
        xmlrpc_env env;
        xmlrpc_env_init(&env);
        read_str_field(&env, result, "host", cs->info->host, sizeof(cs->info->host));
        read_str_field(&env, result, "version", cs->info->version, sizeof(cs->info->version));
        read_int_field(&env, result, "pid", &cs->info->pid);
        read_int_field(&env, result, "threads", &cs->info->threads);
        read_int_field(&env, result, "mem_limit", &cs->info->mem_limit);
        read_int_field(&env, result, "mem_used", &cs->info->mem_used);
        read_int_field(&env, result, "partitions", &cs->info->partitions);
        xmlrpc_env_clean(&env);
    }
}

int ddf_admin_rpc_call(const char *url, const char *method, const char *secret,
                       int timeout_ms, ddf_worker_info *info, ddf_error *err)
{
    xmlrpc_server_info *server = NULL;
    xmlrpc_value *params = NULL;
    struct xmlrpc_curl_xportparms curl;
    struct xmlrpc_clientparms cp;
    xmlrpc_client *client = NULL;
    call_state cs;
    xmlrpc_env env;
    int interrupt = 0;
    int rc = DDF_OK;

    memset(&cs, 0, sizeof(cs));
    cs.info = info;
    xmlrpc_env_init(&env);
    xmlrpc_client_setup_global_const(&env);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot set up the XML-RPC client: %s",
                            env.fault_string);
        goto out_env;
    }
    memset(&curl, 0, sizeof(curl));
    memset(&cp, 0, sizeof(cp));
    cp.transport = "curl";
    cp.transportparmsP = &curl;
    cp.transportparm_size = XMLRPC_CXPSIZE(dont_advertise);
    curl.dont_advertise = 1;
    xmlrpc_client_create(&env, XMLRPC_CLIENT_NO_FLAGS, "ddf-registry", "0.1", &cp,
                         XMLRPC_CPSIZE(transportparm_size), &client);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot create an XML-RPC client: %s",
                            env.fault_string);
        goto out_global;
    }
    xmlrpc_client_set_interrupt(client, &interrupt);
    server = xmlrpc_server_info_new(&env, url);
    if (!env.fault_occurred && secret != NULL && secret[0] != '\0') {
        xmlrpc_server_info_set_user(&env, server, "ddf", secret);
        if (!env.fault_occurred)
            xmlrpc_server_info_allow_auth_basic(&env, server);
    }
    if (!env.fault_occurred)
        params = xmlrpc_array_new(&env);
    if (!env.fault_occurred)
        xmlrpc_client_start_rpc(&env, client, server, method, params, on_response, &cs);
    if (env.fault_occurred) {
        rc = ddf_error_setf(err, DDF_EUNREACH, "cannot call %s on %s: %s", method, url,
                            env.fault_string);
        goto out_client;
    }
    xmlrpc_client_event_loop_finish_timeout(client, (unsigned long)timeout_ms);
    if (!cs.done) {
        interrupt = 1; /* abort the pending call; its handler runs with a fault */
        xmlrpc_client_event_loop_finish(client);
        rc = ddf_error_setf(err, DDF_EUNREACH, "%s on %s: no answer within %d ms", method, url,
                            timeout_ms);
    } else if (cs.failed) {
        /* A fault string with "RPC failed at server" came from the endpoint; anything else
         * is the transport (refused, unknown host, not HTTP). */
        bool remote = strstr(cs.msg, "RPC failed at server") != NULL;
        rc = ddf_error_setf(err, remote ? DDF_EIO : DDF_EUNREACH, "%s on %s failed: %s",
                            method, url, cs.msg);
    }
out_client:
    if (params)
        xmlrpc_DECREF(params);
    if (server)
        xmlrpc_server_info_free(server);
    xmlrpc_client_destroy(client);
out_global:
    xmlrpc_client_teardown_global_const();
out_env:
    xmlrpc_env_clean(&env);
    return rc;
}
