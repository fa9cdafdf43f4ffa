/* redis_harness.c - start, stop and restart a private redis-server for a test process.
 *
 * Ports come from binding 127.0.0.1:0 and releasing the socket; another process may take
 * the port in between, so a start whose server exits early is retried on a new port (a
 * bounded number of times). Readiness is a raw PING over a socket, so the harness does not
 * depend on the code it tests. The pids of running servers are kept in a small table that
 * an atexit handler SIGKILLs: tests that fail an assertion may never reach their teardown. */
#define _GNU_SOURCE
#include "redis_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_ATTEMPTS 5     /* new ports tried when a server dies at startup */
#define READY_WAIT_MS 5000   /* for the first PONG */
#define READY_POLL_MS 10
#define STOP_WAIT_MS 5000    /* after SIGTERM, before SIGKILL */
#define MAX_SERVERS 16

struct ddf_test_redis {
    pid_t pid;          /* 0 when stopped */
    int port;
    char password[128]; /* "" = none */
    char url[256];
    char dir[64];       /* its working directory, removed on free */
};

/* Test-process state, not library state: the servers atexit must kill. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t g_pids[MAX_SERVERS];
static bool g_atexit_set;

static void kill_all_at_exit(void)
{
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < MAX_SERVERS; i++)
        if (g_pids[i] > 0) {
            kill(g_pids[i], SIGKILL);
            waitpid(g_pids[i], NULL, 0);
            g_pids[i] = 0;
        }
    pthread_mutex_unlock(&g_mu);
}

static void track(pid_t pid, bool add)
{
    pthread_mutex_lock(&g_mu);
    if (!g_atexit_set) {
        atexit(kill_all_at_exit);
        g_atexit_set = true;
    }
    for (int i = 0; i < MAX_SERVERS; i++) {
        if (add && g_pids[i] == 0) {
            g_pids[i] = pid;
            break;
        }
        if (!add && g_pids[i] == pid) {
            g_pids[i] = 0;
            break;
        }
    }
    pthread_mutex_unlock(&g_mu);
}

long long ddf_test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ddf_test_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Whether something on 'port' answers a PING like Redis (+PONG, or -NOAUTH). */
static bool answers(int port)
{
    struct sockaddr_in a;
    char buf[64];
    bool ok = false;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return false;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 500) == 1) {
            ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
            if (n > 0) {
                buf[n] = '\0';
                ok = strncmp(buf, "+PONG", 5) == 0 || strncmp(buf, "-NOAUTH", 7) == 0;
            }
        }
    }
    close(fd);
    return ok;
}

/* Fork and exec redis-server on r->port; wait until it answers. 0, or -1 (then stopped). */
static int spawn(ddf_test_redis *r)
{
    char port[16];
    const char *argv[20];
    int argc = 0;
    pid_t parent = getpid(), pid;

    snprintf(port, sizeof(port), "%d", r->port);
    argv[argc++] = "redis-server";
    argv[argc++] = "--port";
    argv[argc++] = port;
    argv[argc++] = "--bind";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--save";
    argv[argc++] = "";
    argv[argc++] = "--appendonly";
    argv[argc++] = "no";
    argv[argc++] = "--daemonize";
    argv[argc++] = "no";
    argv[argc++] = "--dir";
    argv[argc++] = r->dir;
    argv[argc++] = "--logfile";
    argv[argc++] = "redis.log";
    if (r->password[0] != '\0') {
        argv[argc++] = "--requirepass";
        argv[argc++] = r->password;
    }
    argv[argc] = NULL;

    pid = fork();
    if (pid < 0) {
        perror("redis harness: fork");
        return -1;
    }
    if (pid == 0) {
        /* Die with the test: the kernel sends SIGKILL when our parent thread exits. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* the parent died before prctl */
        if (chdir(r->dir) != 0)
            _exit(127);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    track(pid, true);
    /* Bounded twice: by the clock and by the number of tries. */
    long long until = ddf_test_now_ms() + READY_WAIT_MS;
    for (int i = 0; i < READY_WAIT_MS / READY_POLL_MS && ddf_test_now_ms() < until; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) { /* exited: port taken, no binary */
            track(pid, false);
            r->pid = 0;
            return -1;
        }
        if (answers(r->port))
            return 0;
        poll(NULL, 0, READY_POLL_MS);
    }
    fprintf(stderr, "redis harness: redis-server on port %d did not answer in %d ms\n",
            r->port, READY_WAIT_MS);
    ddf_test_redis_stop(r, true);
    return -1;
}

ddf_test_redis *ddf_test_redis_start(const char *password)
{
    ddf_test_redis *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    snprintf(r->dir, sizeof(r->dir), "/tmp/ddf-test-redis-XXXXXX");
    if (mkdtemp(r->dir) == NULL) {
        perror("redis harness: mkdtemp");
        free(r);
        return NULL;
    }
    if (password != NULL)
        snprintf(r->password, sizeof(r->password), "%s", password);
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        r->port = ddf_test_free_port();
        if (r->port > 0 && spawn(r) == 0) {
            if (r->password[0] != '\0')
                snprintf(r->url, sizeof(r->url), "redis://:%s@127.0.0.1:%d", r->password,
                         r->port);
            else
                snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d", r->port);
            return r;
        }
    }
    fprintf(stderr, "redis harness: could not start redis-server (%d attempts)\n",
            START_ATTEMPTS);
    ddf_test_redis_free(r);
    return NULL;
}

int ddf_test_redis_stop(ddf_test_redis *r, bool hard)
{
    int status;

    if (r->pid <= 0)
        return 0;
    kill(r->pid, hard ? SIGKILL : SIGTERM);
    long long until = ddf_test_now_ms() + STOP_WAIT_MS;
    for (int i = 0; i < STOP_WAIT_MS / 5 && ddf_test_now_ms() < until; i++) {
        if (waitpid(r->pid, &status, WNOHANG) == r->pid)
            goto gone;
        poll(NULL, 0, 5);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &status, 0);
gone:
    track(r->pid, false);
    r->pid = 0;
    return 0;
}

int ddf_test_redis_restart(ddf_test_redis *r)
{
    ddf_test_redis_stop(r, false);
    /* The port was ours a moment ago; redis-server sets SO_REUSEADDR, so TIME_WAIT is no
     * obstacle. A few tries cover a slow release. */
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (spawn(r) == 0)
            return 0;
        poll(NULL, 0, 50);
    }
    fprintf(stderr, "redis harness: could not restart redis-server on port %d\n", r->port);
    return -1;
}

void ddf_test_redis_free(ddf_test_redis *r)
{
    char path[128];

    if (r == NULL)
        return;
    ddf_test_redis_stop(r, true);
    snprintf(path, sizeof(path), "%s/redis.log", r->dir);
    unlink(path);
    rmdir(r->dir);
    free(r);
}

const char *ddf_test_redis_url(const ddf_test_redis *r)
{
    return r->url;
}

int ddf_test_redis_port(const ddf_test_redis *r)
{
    return r->port;
}

redisContext *ddf_test_redis_connect(const ddf_test_redis *r)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    redisReply *rep;

    if (c == NULL || c->err != 0) {
        fprintf(stderr, "redis harness: connect: %s\n", c != NULL ? c->errstr : "no memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv); /* a test's blocking command must not hang the suite */
    if (r->password[0] != '\0') {
        rep = redisCommand(c, "AUTH %s", r->password);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            freeReplyObject(rep);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(rep);
    }
    return c;
}
