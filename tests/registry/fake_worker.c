/* fake_worker.c - a stand-in worker for the CLI tests: registers through the lease keeper,
 * prints "ready", and on SIGTERM/SIGINT deregisters (publishing "leave") and exits 0. A
 * SIGKILL leaves its lease to expire, as a crashed worker would.
 *
 * usage: ddf-fake-worker REDIS_URL CLUSTER ID TTL_MS THREADS MEM_LIMIT VERSION */
#include "registry.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void log_line(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "fake-worker: %s\n", msg);
}

int main(int argc, char **argv)
{
    ddf_registry_options opt;
    ddf_worker_info w;
    ddf_lease_keeper *k = NULL;
    ddf_error err;
    sigset_t set;
    int sig = 0;

    if (argc != 8) {
        fprintf(stderr, "usage: %s REDIS_URL CLUSTER ID TTL_MS THREADS MEM_LIMIT VERSION\n",
                argv[0]);
        return 2;
    }
    /* Block the stop signals before any thread starts, then wait for them synchronously. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    ddf_registry_options_init(&opt);
    opt.redis_url = argv[1];
    opt.cluster = argv[2];
    memset(&w, 0, sizeof(w));
    snprintf(w.id, sizeof(w.id), "%s", argv[3]);
    gethostname(w.host, sizeof(w.host) - 1);
    w.pid = getpid();
    w.threads = atoll(argv[5]);
    w.mem_limit = atoll(argv[6]);
    w.mem_used = w.mem_limit / 4;
    w.partitions = 3;
    snprintf(w.version, sizeof(w.version), "%s", argv[7]);
    ddf_error_init(&err);
    if (ddf_lease_keeper_start(&opt, &w, atoll(argv[4]), log_line, NULL, &k, &err) < 0) {
        fprintf(stderr, "fake-worker: error: %s\n", err.msg);
        return 3;
    }
    printf("ready\n");
    fflush(stdout);
    sigwait(&set, &sig);
    if (ddf_lease_keeper_stop(k, true, &err) < 0) {
        fprintf(stderr, "fake-worker: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
