/* ping_bench.c - round trips of a worker's ddf.ping over one kept-alive connection.
 *
 *   ping-bench URL [--calls N] [--secret-file FILE]
 *
 * Calls ddf.ping N times (default 2000) one after the other through xmlrpc-c's client
 * (curl transport: the HTTP connection is reused between calls), after 50 warm-up calls,
 * and prints calls/s and the round trip's mean, median and 99th percentile in
 * microseconds. With --secret-file the calls carry the worker's shared secret as HTTP
 * Basic auth (user "ddf"). A benchmark: it prints figures and asserts nothing; exit 1 on
 * the first failed call, 2 on usage errors. */
#include <xmlrpc-c/base.h>
#include <xmlrpc-c/client.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARMUP 50
#define MAX_CALLS 1000000
#define MAX_SECRET 4096

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The secret: the file's first line, without its newline. */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL || fgets(out, (int)cap, f) == NULL) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    n = strcspn(out, "\r\n");
    out[n] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"calls", required_argument, NULL, 'n'},
        {"secret-file", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *secret_file = NULL;
    char secret[MAX_SECRET] = "";
    long calls = 2000;
    xmlrpc_env env;
    xmlrpc_client *client = NULL;
    xmlrpc_server_info *server;
    xmlrpc_value *params, *result;
    double *lat, total = 0;
    int c, status = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            calls = strtol(optarg, NULL, 10);
        else if (c == 's')
            secret_file = optarg;
        else
            return 2;
    }
    if (optind != argc - 1 || calls < 1 || calls > MAX_CALLS) {
        fprintf(stderr, "usage: ping-bench URL [--calls N (1..%d)] [--secret-file FILE]\n",
                MAX_CALLS);
        return 2;
    }
    if (secret_file && read_secret(secret_file, secret, sizeof secret) < 0) {
        fprintf(stderr, "ping-bench: cannot read %s\n", secret_file);
        return 2;
    }
    lat = malloc((size_t)calls * sizeof *lat);
    if (lat == NULL)
        return 1;
    xmlrpc_env_init(&env);
    xmlrpc_client_setup_global_const(&env);
    xmlrpc_client_create(&env, XMLRPC_CLIENT_NO_FLAGS, "ping-bench", "1", NULL, 0, &client);
    server = env.fault_occurred ? NULL : xmlrpc_server_info_new(&env, argv[optind]);
    if (!env.fault_occurred && secret[0]) {
        xmlrpc_server_info_set_user(&env, server, "ddf", secret);
        if (!env.fault_occurred)
            xmlrpc_server_info_allow_auth_basic(&env, server);
    }
    params = env.fault_occurred ? NULL : xmlrpc_array_new(&env);
    for (long i = -WARMUP; i < calls && !env.fault_occurred; i++) {
        double t0 = now_us();

        xmlrpc_client_call2(&env, client, server, "ddf.ping", params, &result);
        if (env.fault_occurred)
            break;
        xmlrpc_DECREF(result);
        if (i >= 0) {
            lat[i] = now_us() - t0;
            total += lat[i];
        }
    }
    if (env.fault_occurred) {
        fprintf(stderr, "ping-bench: %s\n", env.fault_string);
        status = 1;
    } else {
        qsort(lat, (size_t)calls, sizeof *lat, cmp_double);
        printf("ddf.ping x %ld over one connection: %.0f calls/s, round trip mean %.1f us, "
               "median %.1f us, p99 %.1f us\n",
               calls, calls / (total / 1e6), total / (double)calls, lat[calls / 2],
               lat[(size_t)((double)calls * 0.99)]);
    }
    if (params)
        xmlrpc_DECREF(params);
    if (server)
        xmlrpc_server_info_free(server);
    if (client)
        xmlrpc_client_destroy(client);
    xmlrpc_client_teardown_global_const();
    xmlrpc_env_clean(&env);
    free(lat);
    return status;
}
