/* fake_ddf_worker.c - a stand-in for ddf-worker with its command line, for the local
 * cluster's tests: it checks the contract the launcher relies on (flags, DDF_REDIS in the
 * environment, a secret file only its owner can read), holds a listening socket on
 * 127.0.0.1:0, prints "listening on http://127.0.0.1:PORT/RPC2", registers through the
 * lease keeper, and on SIGTERM/SIGINT deregisters and exits 0. It serves no calls.
 *
 * usage: fake-ddf-worker --listen HOST:PORT --cluster NAME --secret-file FILE
 *                        --data-root DIR [--threads N] [--memory-limit BYTES] */
#include "registry.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},   {"cluster", required_argument, NULL, 'c'},
        {"secret-file", required_argument, NULL, 's'}, {"data-root", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'},  {"memory-limit", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *cluster = NULL, *secret = NULL, *root = NULL, *listen_at = NULL;
    long long threads = 1, mem = 0;
    ddf_registry_options opt;
    ddf_worker_info w;
    ddf_lease_keeper *k = NULL;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    struct stat st;
    ddf_error err;
    sigset_t set;
    int c, sig, fd;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen_at = optarg; break;
        case 'c': cluster = optarg; break;
        case 's': secret = optarg; break;
        case 'd': root = optarg; break;
        case 't': threads = atoll(optarg); break;
        case 'm': mem = atoll(optarg); break;
        default: return 2;
        }
    }
    if (!listen_at || strcmp(listen_at, "127.0.0.1:0") != 0 || !cluster || !secret || !root ||
        getenv("DDF_REDIS") == NULL) {
        fprintf(stderr, "fake-ddf-worker: usage: missing or unexpected arguments\n");
        return 2;
    }
    if (stat(secret, &st) != 0 || (st.st_mode & 077) != 0 || st.st_size == 0) {
        fprintf(stderr, "fake-ddf-worker: the secret file must exist and be private\n");
        return 2;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("fake-ddf-worker: socket");
        return 1;
    }
    ddf_registry_options_init(&opt);
    opt.cluster = cluster; /* the URL comes from DDF_REDIS */
    memset(&w, 0, sizeof w);
    snprintf(w.id, sizeof w.id, "http://127.0.0.1:%d/RPC2", ntohs(a.sin_port));
    snprintf(w.host, sizeof w.host, "127.0.0.1");
    snprintf(w.version, sizeof w.version, "fake");
    w.pid = getpid();
    w.threads = threads;
    w.mem_limit = mem;
    ddf_error_init(&err);
    if (ddf_lease_keeper_start(&opt, &w, 2000, NULL, NULL, &k, &err) < 0) {
        fprintf(stderr, "fake-ddf-worker: error: %s\n", err.msg);
        return 3;
    }
    printf("listening on %s\n", w.id);
    fflush(stdout);
    sigwait(&set, &sig);
    if (ddf_lease_keeper_stop(k, true, &err) < 0) {
        fprintf(stderr, "fake-ddf-worker: error: %s\n", err.msg);
        return 1;
    }
    close(fd);
    return 0;
}
