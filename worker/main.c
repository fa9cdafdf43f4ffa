/* main.c - ddf-worker: parse flags, start the server (server.c), turn SIGTERM/SIGINT into a
 * graceful stop, exit 0 after a clean one.
 *
 * Signals are blocked in every thread and taken by one thread with sigwait, so the stop runs
 * as ordinary code (locks, condition variables) rather than inside a signal handler.
 * Exit status: 0 after a clean stop, 1 when the worker cannot start or register, 2 for usage
 * errors. */
#include "server.h"

#include "registry.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: ddf-worker [options]\n"
    "  --redis URL           registry, redis://[user:password@]host:port[/db] (or DDF_REDIS)\n"
    "  --listen HOST:PORT    address to serve XML-RPC on (default 127.0.0.1:0; port 0 picks a\n"
    "                        free port)\n"
    "  --advertise HOST      host name clients use to reach this worker (default: the\n"
    "                        listen host)\n"
    "  --threads N           plan threads (default: online CPUs)\n"
    "  --memory-limit BYTES  memory for cached partitions; K, M, G suffixes (default: half\n"
    "                        of physical memory)\n"
    "  --data-root DIR       files are read and written only below DIR (default: .)\n"
    "  --cluster NAME        cluster name (default: default)\n"
    "  --lease-ttl MS        registry lease; refreshed every third of it (default: 10000)\n"
    "  --secret-file FILE    shared secret every call must carry (or DDF_SECRET)\n"
    "  --insecure            accept calls without a secret (private test hosts only)\n"
    "  --log-level L         error, warn, info (default) or debug\n"
    "  --help, --version\n"
    "The first line on stdout is \"listening on URL\"; URL is the worker's id in the registry.\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "ddf-worker: error: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "",
            usage_text);
    return 2;
}

static int parse_u64(const char *s, uint64_t *out, bool suffixes)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mul = 1;

    if (s[0] < '0' || s[0] > '9') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) return -1;
    if (suffixes && *end != '\0') {
        switch (*end++) {
        case 'k':
        case 'K':
            mul = 1ull << 10;
            break;
        case 'm':
        case 'M':
            mul = 1ull << 20;
            break;
        case 'g':
        case 'G':
            mul = 1ull << 30;
            break;
        case 't':
        case 'T':
            mul = 1ull << 40;
            break;
        default:
            return -1;
        }
        if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0) return -1;
    } else if (*end != '\0') {
        return -1;
    }
    if (v > UINT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

/* Read the secret from 'path': its first line, trailing whitespace dropped. */
static int read_secret(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "ddf-worker: error: cannot read the secret file %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (n == 0) {
        fprintf(stderr, "ddf-worker: error: the secret file %s is empty\n", path);
        return -1;
    }
    return 0;
}

typedef struct signal_waiter {
    ddf_server *srv;
    sigset_t set;
} signal_waiter;

/* Waits for SIGTERM/SIGINT (stop the server) or SIGUSR1 (main is done: just return). */
static void *wait_signals(void *arg)
{
    signal_waiter *sw = arg;
    int sig = 0;

    for (;;) {
        if (sigwait(&sw->set, &sig) != 0) continue;
        if (sig == SIGUSR1) return NULL;
        fprintf(stderr, "ddf-worker: info: %s: finishing plans in flight, then leaving\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        ddf_server_stop(sw->srv);
    }
}

static void print_ready(void *arg, const char *url)
{
    (void)arg;
    printf("listening on %s\n", url);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static char secret[DDF_WORKER_MAX_SECRET + 2];
    char host[256];
    const char *secret_file = NULL, *env_secret;
    ddf_worker_config cfg;
    ddf_server *srv = NULL;
    signal_waiter sw;
    pthread_t waiter;
    ddf_error err;
    int i, rc;

    /* Column buffers of 1 MiB and more get mappings of their own, returned to the system
     * when freed: a parse grows its columns, then compaction shrinks them or frees the
     * plain strings it dictionary-encoded, and from the heap those freed blocks stayed
     * resident (the 10M-row session peaked at 1.19 GiB; 0.93 GiB so). The warm paths
     * that fold rows (count, reduce, group-by) evaluate slices a few KiB long, below
     * the threshold. Smaller freed memory is kept up to 128 MiB per malloc arena for the
     * next job. A fixed threshold also turns off glibc's growing one, which would put
     * those blocks back on the heap after the first free. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    ddf_worker_config_init(&cfg);
    ddf_error_init(&err);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("ddf-worker %s (protocol %d)\n", DDF_WORKER_VERSION, DDF_WORKER_PROTOCOL);
            return 0;
        } else if (strcmp(a, "--insecure") == 0) {
            cfg.insecure = true;
            takes = false;
        } else if (v == NULL) {
            return usage_error(
                strncmp(a, "--", 2) == 0 ? "missing value for" : "unexpected argument", a);
        } else if (strcmp(a, "--redis") == 0) {
            cfg.redis_url = v;
        } else if (strcmp(a, "--listen") == 0) {
            const char *colon = strrchr(v, ':');
            uint64_t port;
            if (colon == NULL || (size_t)(colon - v) >= sizeof host ||
                parse_u64(colon + 1, &port, false) < 0 || port > 65535)
                return usage_error("--listen wants HOST:PORT", v);
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            cfg.listen_host = host[0] ? host : NULL;
            cfg.listen_port = (int)port;
        } else if (strcmp(a, "--advertise") == 0) {
            cfg.advertise = v;
        } else if (strcmp(a, "--threads") == 0) {
            uint64_t n;
            if (parse_u64(v, &n, false) < 0 || n < 1 || n > 1024)
                return usage_error("--threads wants 1..1024", v);
            cfg.threads = (unsigned)n;
        } else if (strcmp(a, "--memory-limit") == 0) {
            if (parse_u64(v, &cfg.memory_limit, true) < 0 || cfg.memory_limit == 0)
                return usage_error("--memory-limit wants a positive byte count", v);
        } else if (strcmp(a, "--data-root") == 0) {
            cfg.data_root = v;
        } else if (strcmp(a, "--cluster") == 0) {
            cfg.cluster = v;
        } else if (strcmp(a, "--lease-ttl") == 0) {
            uint64_t ms;
            if (parse_u64(v, &ms, false) < 0 || ms < 300 || ms > 3600000)
                return usage_error("--lease-ttl wants 300..3600000 milliseconds", v);
            cfg.lease_ttl_ms = (int64_t)ms;
        } else if (strcmp(a, "--secret-file") == 0) {
            secret_file = v;
        } else if (strcmp(a, "--log-level") == 0) {
            if (strcmp(v, "error") == 0)
                cfg.log_level = DDF_LOG_ERROR;
            else if (strcmp(v, "warn") == 0 || strcmp(v, "warning") == 0)
                cfg.log_level = DDF_LOG_WARN;
            else if (strcmp(v, "info") == 0)
                cfg.log_level = DDF_LOG_INFO;
            else if (strcmp(v, "debug") == 0)
                cfg.log_level = DDF_LOG_DEBUG;
            else
                return usage_error("--log-level wants error, warn, info or debug", v);
        } else {
            return usage_error("unknown option", a);
        }
        if (takes) i++;
    }
    if (secret_file != NULL) {
        if (read_secret(secret_file, secret, sizeof secret) < 0) return 1;
        cfg.secret = secret;
    } else if ((env_secret = getenv("DDF_SECRET")) != NULL && env_secret[0] != '\0') {
        cfg.secret = env_secret;
    }
    if (cfg.secret != NULL && cfg.insecure) cfg.insecure = false; /* a secret always wins */

    /* Before any thread exists, so every thread inherits the mask. */
    sigemptyset(&sw.set);
    sigaddset(&sw.set, SIGTERM);
    sigaddset(&sw.set, SIGINT);
    sigaddset(&sw.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sw.set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the worker */

    rc = ddf_server_new(&cfg, &srv, &err);
    memset(secret, 0, sizeof secret);
    if (rc < 0) {
        fprintf(stderr, "ddf-worker: error: %s\n", err.msg);
        return rc == DDF_EINVAL ? 2 : 1;
    }
    sw.srv = srv;
    if (pthread_create(&waiter, NULL, wait_signals, &sw) != 0) {
        fprintf(stderr, "ddf-worker: error: cannot start the signal thread\n");
        ddf_server_free(srv);
        return 1;
    }
    rc = ddf_server_run(srv, print_ready, NULL, &err);
    pthread_kill(waiter, SIGUSR1);
    pthread_join(waiter, NULL);
    if (rc < 0) fprintf(stderr, "ddf-worker: error: %s\n", err.msg);
    ddf_server_free(srv);
    return rc < 0 ? 1 : 0;
}
