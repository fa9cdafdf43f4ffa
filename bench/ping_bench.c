/* ping_bench.c - round trips of a worker's ddf.ping over one kept-alive connection.
 *
 *   ping-bench URL [--calls N] [--secret-file FILE] [--rounds R] [--client raw|xmlrpc|both]
 *
 * Calls ddf.ping N times (default 2000) one after the other, after 50 warm-up calls, with
 * two clients taking turns R times (default 3), and prints calls/s and the round trip's
 * mean, median and 99th percentile in microseconds for each turn:
 * - "raw": one TCP connection and a fixed HTTP/1.1 request written in one send, read back
 *   by its Content-Length: the worker's own round trip, with next to nothing on the
 *   client side;
 * - "xmlrpc-c": xmlrpc-c's client (curl transport, the connection reused), as libddf
 *   calls workers: the round trip a ddf client sees.
 * --client keeps one of the two (default both). With --secret-file the calls carry the worker's shared secret as HTTP Basic auth (user
 * "ddf"). A benchmark: it prints figures and asserts nothing; exit 1 on the first failed
 * call, 2 on usage errors. */
#define _GNU_SOURCE /* strcasestr */
#include <xmlrpc-c/base.h>
#include <xmlrpc-c/client.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <getopt.h>
#include <stdbool.h>
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

static void report(const char *client, double *lat, long calls, double total)
{
    qsort(lat, (size_t)calls, sizeof *lat, cmp_double);
    printf("ddf.ping x %ld, %-8s client: %.0f calls/s, round trip mean %.1f us, median %.1f us, "
           "p99 %.1f us\n",
           calls, client, calls / (total / 1e6), total / (double)calls, lat[calls / 2],
           lat[(size_t)((double)calls * 0.99)]);
}

/* Standard base64 of the NUL-terminated 's' into out (cap >= 4/3 strlen + 4). */
static void base64(const char *s, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), i;
    const unsigned char *p = (const unsigned char *)s;

    for (i = 0; i + 2 < n; i += 3) {
        *out++ = tab[p[i] >> 2];
        *out++ = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *out++ = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
        *out++ = tab[p[i + 2] & 63];
    }
    if (i < n) {
        *out++ = tab[p[i] >> 2];
        *out++ = tab[((p[i] & 3) << 4) | (i + 1 < n ? p[i + 1] >> 4 : 0)];
        *out++ = i + 1 < n ? tab[(p[i + 1] & 15) << 2] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

/* The raw client: host and port from "http://HOST:PORT/PATH". */
static int raw_round(const char *url, const char *secret, long calls, double *lat)
{
    static const char body[] = "<?xml version=\"1.0\"?><methodCall><methodName>ddf.ping"
                               "</methodName><params></params></methodCall>";
    char host[256], path[256] = "/RPC2", port[16], auth[MAX_SECRET * 2 + 64], req[MAX_SECRET * 3 + 1024];
    char buf[65536], cred[MAX_SECRET + 8];
    struct addrinfo hints = {0}, *ai = NULL;
    double total = 0;
    int fd, one = 1, n;

    if (sscanf(url, "http://%255[^:/]:%15[0-9]%255s", host, port, path) < 2) {
        fprintf(stderr, "ping-bench: cannot read host and port from %s\n", url);
        return 2;
    }
    auth[0] = '\0';
    if (secret[0]) {
        char b64[MAX_SECRET * 2];

        snprintf(cred, sizeof cred, "ddf:%s", secret);
        base64(cred, b64);
        snprintf(auth, sizeof auth, "Authorization: Basic %s\r\n", b64);
    }
    n = snprintf(req, sizeof req,
                 "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: text/xml\r\n%s"
                 "Content-Length: %zu\r\n\r\n%s",
                 path, host, port, auth, sizeof body - 1, body);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) return 1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        perror("ping-bench: connect");
        freeaddrinfo(ai);
        return 1;
    }
    freeaddrinfo(ai);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (long i = -WARMUP; i < calls; i++) {
        double t0 = now_us();
        size_t got = 0, head = 0;
        long length = -1;

        if (write(fd, req, (size_t)n) != n) break;
        while (length < 0 || got < head + (size_t)length) {
            ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);

            if (r <= 0) {
                fprintf(stderr, "ping-bench: the worker closed the connection\n");
                close(fd);
                return 1;
            }
            got += (size_t)r;
            buf[got] = '\0';
            if (length < 0) {
                char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "content-length:");

                if (end != NULL && cl != NULL) {
                    head = (size_t)(end + 4 - buf);
                    length = atol(cl + 15);
                }
            }
            if (got >= sizeof buf - 1) break;
        }
        if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || strstr(buf, "faultCode") != NULL) {
            fprintf(stderr, "ping-bench: the call failed: %.200s\n", buf);
            close(fd);
            return 1;
        }
        if (i >= 0) {
            lat[i] = now_us() - t0;
            total += lat[i];
        }
    }
    close(fd);
    report("raw", lat, calls, total);
    return 0;
}

static int xmlrpc_round(xmlrpc_client *client, xmlrpc_server_info *server, long calls, double *lat)
{
    xmlrpc_env env;
    xmlrpc_value *params, *result;
    double total = 0;
    int status = 0;

    xmlrpc_env_init(&env);
    params = xmlrpc_array_new(&env);
    for (long i = -WARMUP; i < calls && !env.fault_occurred; i++) {
        double t0 = now_us();

        xmlrpc_client_call2(&env, client, server, "ddf.ping", params, &result);
        if (env.fault_occurred) break;
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
        report("xmlrpc-c", lat, calls, total);
    }
    if (params) xmlrpc_DECREF(params);
    xmlrpc_env_clean(&env);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"calls", required_argument, NULL, 'n'},
        {"secret-file", required_argument, NULL, 's'},
        {"rounds", required_argument, NULL, 'r'},
        {"client", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    bool raw = true, lib = true;
    const char *secret_file = NULL;
    char secret[MAX_SECRET] = "";
    long calls = 2000, rounds = 3;
    xmlrpc_env env;
    xmlrpc_client *client = NULL;
    xmlrpc_server_info *server = NULL;
    double *lat;
    int c, status = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            calls = strtol(optarg, NULL, 10);
        else if (c == 's')
            secret_file = optarg;
        else if (c == 'r')
            rounds = strtol(optarg, NULL, 10);
        else if (c == 'c' && strcmp(optarg, "raw") == 0)
            lib = false;
        else if (c == 'c' && strcmp(optarg, "xmlrpc") == 0)
            raw = false;
        else if (c != 'c' || strcmp(optarg, "both") != 0)
            return 2;
    }
    if (optind != argc - 1 || calls < 1 || calls > MAX_CALLS || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: ping-bench URL [--calls N (1..%d)] [--secret-file FILE] "
                        "[--rounds R (1..100)] [--client raw|xmlrpc|both]\n",
                MAX_CALLS);
        return 2;
    }
    if (secret_file && read_secret(secret_file, secret, sizeof secret) < 0) {
        fprintf(stderr, "ping-bench: cannot read %s\n", secret_file);
        return 2;
    }
    lat = malloc((size_t)calls * sizeof *lat);
    if (lat == NULL) return 1;
    xmlrpc_env_init(&env);
    xmlrpc_client_setup_global_const(&env);
    xmlrpc_client_create(&env, XMLRPC_CLIENT_NO_FLAGS, "ping-bench", "1", NULL, 0, &client);
    if (!env.fault_occurred) server = xmlrpc_server_info_new(&env, argv[optind]);
    if (!env.fault_occurred && secret[0]) {
        xmlrpc_server_info_set_user(&env, server, "ddf", secret);
        if (!env.fault_occurred) xmlrpc_server_info_allow_auth_basic(&env, server);
    }
    if (env.fault_occurred) {
        fprintf(stderr, "ping-bench: %s\n", env.fault_string);
        status = 1;
    }
    for (long r = 0; r < rounds && status == 0; r++) {
        if (raw) status = raw_round(argv[optind], secret, calls, lat);
        if (status == 0 && lib) status = xmlrpc_round(client, server, calls, lat);
    }
    if (server) xmlrpc_server_info_free(server);
    if (client) xmlrpc_client_destroy(client);
    xmlrpc_client_teardown_global_const();
    xmlrpc_env_clean(&env);
    free(lat);
    return status;
}
