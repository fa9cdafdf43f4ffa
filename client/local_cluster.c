/* local_cluster.c - a private redis-server and ddf-worker processes for one client (see
 * local_cluster.h).
 *
 * Children are plain fork + exec. A worker's stdout goes to a file in the cluster's
 * temporary directory, whose first line ("listening on URL") the parent polls for: a pipe
 * would have to be drained for the worker's whole life or it would block. Secrets never
 * appear on a command line, where any local user could read them: Redis reads its
 * password from its own config file, workers get the Redis URL in DDF_REDIS (the
 * environment of a process is readable by its owner only) and the shared secret in a
 * 0600 file. */
#define _GNU_SOURCE /* pipe2, getrandom, memrchr */
#include "local_cluster.h"

#include "alloc.h"
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_START_MS 15000
#define STOP_WAIT_MS 5000     /* after SIGTERM, before SIGKILL */
#define POLL_MS 10
#define REDIS_ATTEMPTS 5      /* new ports tried when redis-server exits at start */
#define SECRET_BYTES 24       /* random bytes, written as hex */

typedef struct child {
    pid_t pid;                /* 0 once reaped */
    char url[256];            /* workers: the advertised endpoint */
} child;

struct ddf_local_cluster {
    char dir[64];             /* the temporary directory, 0700 */
    char cluster[64];
    char secret[2 * SECRET_BYTES + 1];
    char redis_password[2 * SECRET_BYTES + 1];
    char redis_url[160];
    char worker_bin[PATH_MAX];
    char data_root[PATH_MAX];
    unsigned threads;
    int lease_ttl_ms;
    uint64_t memory_limit;
    int start_timeout_ms;
    child redis;
    child workers[DDF_LOCAL_MAX_WORKERS];
    size_t nworkers;
};

void ddf_local_options_init(ddf_local_options *opt)
{
    memset(opt, 0, sizeof *opt);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

static int random_hex(char *out, size_t bytes)
{
    unsigned char buf[64];
    static const char hex[] = "0123456789abcdef";

    if (bytes > sizeof buf || getrandom(buf, bytes, 0) != (ssize_t)bytes)
        return -1;
    for (size_t i = 0; i < bytes; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 15];
    }
    out[2 * bytes] = '\0';
    return 0;
}

/* A port that was free a moment ago (another process may take it: callers retry). */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    int ok;

    if (fd < 0)
        return -1;
    ok = write(fd, text, len) == (ssize_t)len;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* Copy 'src' into dst[cap]; false when it does not fit (dst then holds a prefix). */
static bool copy_str(char *dst, size_t cap, const char *src)
{
    size_t len = strlen(src);

    if (len >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return false;
    }
    memcpy(dst, src, len + 1);
    return true;
}

/* Whether 'path' names an executable file. */
static bool executable(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The worker program: explicit, $DDF_WORKER_BIN, beside the running program or in the
 * build tree's worker/ next to it, else on PATH. */
static int find_worker(const char *explicit_bin, char *out, size_t cap, ddf_error *err)
{
    const char *env = getenv("DDF_WORKER_BIN"), *path = getenv("PATH");
    char self[PATH_MAX], cand[PATH_MAX + 32];
    ssize_t n;

    if (explicit_bin || env) {
        const char *bin = explicit_bin ? explicit_bin : env;

        if (!executable(bin) || !copy_str(out, cap, bin))
            return ddf_error_setf(err, DDF_ENOENT, "worker program %s is not an executable "
                                  "file", bin);
        return DDF_OK;
    }
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        char *slash;

        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"/ddf-worker", "/../worker/ddf-worker"};
            for (size_t i = 0; i < 2; i++) {
                snprintf(cand, sizeof cand, "%s%s", self, rel[i]);
                if (executable(cand) && realpath(cand, out) != NULL)
                    return DDF_OK;
            }
        }
    }
    while (path && *path) {
        size_t len = strcspn(path, ":");

        snprintf(cand, sizeof cand, "%.*s/ddf-worker", (int)len, path);
        if (len && executable(cand) && copy_str(out, cap, cand))
            return DDF_OK;
        path += len + (path[len] == ':');
    }
    return ddf_error_setf(err, DDF_ENOENT, "ddf-worker not found (set DDF_WORKER_BIN, or put "
                          "it on PATH or beside this program)");
}

/* fork + exec argv in a child that dies with this thread and has its own process group;
 * stdout and stderr to the given files (NULL: /dev/null). 'env' (NAME=value) is added to
 * the child's environment when not NULL. Returns the pid, or -1. */
static pid_t spawn(char *const *argv, const char *out_path, const char *err_path,
                   const char *env)
{
    pid_t parent = getpid(), pid = fork();

    if (pid != 0)
        return pid;
    /* the child: only async-signal-safe calls until exec */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl took effect */
        _exit(127);
    setpgid(0, 0);
    int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    int er = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || er < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0)
        _exit(127);
    if (env)
        putenv((char *)env);
    execv(argv[0], argv);
    _exit(127);
}

/* Whether child c is still running; reaps it when not. */
static bool alive(child *c)
{
    int status;

    if (c->pid <= 0)
        return false;
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
        c->pid = 0;
        return false;
    }
    return true;
}

/* SIGTERM, wait until 'deadline', then SIGKILL; reaps. */
static void stop_child(child *c, long long deadline)
{
    if (c->pid <= 0)
        return;
    kill(c->pid, SIGTERM);
    while (alive(c) && now_ms() < deadline)
        sleep_ms(POLL_MS);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
    }
}

/* The last line of a file, for error messages ("" when none). */
static void last_line(const char *path, char *out, size_t cap)
{
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;
    off_t size;

    out[0] = '\0';
    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    if (size > 0 && lseek(fd, size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0,
                          SEEK_SET) >= 0)
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    char *nl = memrchr(buf, '\n', (size_t)n);
    copy_str(out, cap, nl ? nl + 1 : buf);
}

static int start_redis(ddf_local_cluster *lc, const char *redis_bin, long long deadline,
                       ddf_error *err)
{
    char conf[128], log[128], dir_arg[80], port_arg[16], why[256];
    const char *bin = redis_bin ? redis_bin : "redis-server";
    char resolved[PATH_MAX];

    snprintf(conf, sizeof conf, "%s/redis.conf", lc->dir);
    snprintf(log, sizeof log, "%s/redis.log", lc->dir);
    {
        char text[256];

        snprintf(text, sizeof text, "requirepass %s\n", lc->redis_password);
        if (write_file(conf, text) < 0)
            return ddf_error_setf(err, DDF_EIO, "cannot write %s: %s", conf, strerror(errno));
    }
    if (strchr(bin, '/') == NULL) { /* execv wants a path: look it up on PATH */
        const char *path = getenv("PATH");
        bool found = false;

        while (path && *path && !found) {
            size_t len = strcspn(path, ":");

            snprintf(resolved, sizeof resolved, "%.*s/%s", (int)len, path, bin);
            found = len && executable(resolved);
            path += len + (path[len] == ':');
        }
        if (!found)
            return ddf_error_setf(err, DDF_ENOENT, "%s not found on PATH (Debian package "
                                  "redis-server)", bin);
        bin = resolved;
    }
    snprintf(dir_arg, sizeof dir_arg, "%s", lc->dir);
    for (int attempt = 0; attempt < REDIS_ATTEMPTS; attempt++) {
        int port = free_port();
        char *argv[] = {(char *)bin,       conf,           "--port",     port_arg,
                        "--bind",          "127.0.0.1",    "--save",     "",
                        "--appendonly",    "no",           "--dir",      dir_arg,
                        "--daemonize",     "no",           "--loglevel", "warning",
                        NULL};

        if (port < 0)
            return ddf_error_setf(err, DDF_EIO, "no free loopback port: %s", strerror(errno));
        snprintf(port_arg, sizeof port_arg, "%d", port);
        snprintf(lc->redis_url, sizeof lc->redis_url, "redis://:%s@127.0.0.1:%d",
                 lc->redis_password, port);
        lc->redis.pid = spawn(argv, log, log, NULL);
        if (lc->redis.pid < 0)
            return ddf_error_setf(err, DDF_EIO, "cannot start %s: %s", bin, strerror(errno));
        while (now_ms() < deadline && alive(&lc->redis)) {
            ddf_registry_options ro;
            ddf_registry *reg = NULL;
            ddf_error e;

            ddf_registry_options_init(&ro);
            ro.redis_url = lc->redis_url;
            ro.cluster = lc->cluster;
            ro.timeout_ms = 500;
            if (ddf_registry_new(&ro, &reg, &e) == DDF_OK) {
                ddf_registry_free(reg);
                return DDF_OK;
            }
            sleep_ms(POLL_MS);
        }
        if (alive(&lc->redis)) { /* answered nothing in time */
            stop_child(&lc->redis, now_ms() + STOP_WAIT_MS);
            return ddf_error_setf(err, DDF_ETIMEDOUT, "redis-server did not answer within "
                                  "%d ms", lc->start_timeout_ms);
        }
    }
    last_line(log, why, sizeof why);
    return ddf_error_setf(err, DDF_EIO, "redis-server exited at start: %s",
                          why[0] ? why : "(no message)");
}

/* Poll worker i's stdout file for "listening on URL" until 'deadline'. */
static int await_listening(ddf_local_cluster *lc, size_t i, long long deadline,
                           ddf_error *err)
{
    char out_path[128], err_path[128], buf[512], why[256];
    child *w = &lc->workers[i];
    static const char prefix[] = "listening on ";

    snprintf(out_path, sizeof out_path, "%s/worker-%zu.out", lc->dir, i);
    snprintf(err_path, sizeof err_path, "%s/worker-%zu.err", lc->dir, i);
    while (now_ms() < deadline) {
        int fd = open(out_path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        char *nl;

        if (fd >= 0)
            close(fd);
        if (n > 0) {
            buf[n] = '\0';
            nl = strchr(buf, '\n');
            if (nl) {
                *nl = '\0';
                if (strncmp(buf, prefix, sizeof prefix - 1) != 0)
                    return ddf_error_setf(err, DDF_EIO, "worker %zu printed \"%s\", expected "
                                          "\"listening on URL\"", i, buf);
                if (!copy_str(w->url, sizeof w->url, buf + sizeof prefix - 1))
                    return ddf_error_setf(err, DDF_EIO, "worker %zu: its URL is too long", i);
                return DDF_OK;
            }
        }
        if (!alive(w)) {
            last_line(err_path, why, sizeof why);
            return ddf_error_setf(err, DDF_EIO, "worker %zu (%s) exited at start: %s", i,
                                  lc->worker_bin, why[0] ? why : "(no message)");
        }
        sleep_ms(POLL_MS);
    }
    return ddf_error_setf(err, DDF_ETIMEDOUT, "worker %zu did not start listening within %d ms",
                          i, lc->start_timeout_ms);
}

/* Wait until every worker in [from, nworkers) is a member of the registry. */
static int await_registered(ddf_local_cluster *lc, size_t from, long long deadline,
                            ddf_error *err)
{
    ddf_registry_options ro;
    ddf_registry *reg = NULL;
    int rc;

    ddf_registry_options_init(&ro);
    ro.redis_url = lc->redis_url;
    ro.cluster = lc->cluster;
    ro.timeout_ms = 1000;
    rc = ddf_registry_new(&ro, &reg, err);
    while (rc == DDF_OK) {
        ddf_worker_list list;
        size_t found = 0;

        rc = ddf_registry_discover(reg, false, &list, err);
        if (rc < 0)
            break;
        for (size_t i = from; i < lc->nworkers; i++)
            for (size_t m = 0; m < list.count; m++)
                if (strcmp(list.items[m].id, lc->workers[i].url) == 0) {
                    found++;
                    break;
                }
        ddf_worker_list_fini(&list);
        if (found == lc->nworkers - from)
            break;
        if (now_ms() >= deadline) {
            rc = ddf_error_setf(err, DDF_ETIMEDOUT, "%zu of %zu workers registered within "
                                "%d ms", found, lc->nworkers - from, lc->start_timeout_ms);
            break;
        }
        sleep_ms(POLL_MS);
    }
    ddf_registry_free(reg);
    return rc;
}

/* Spawn worker number lc->nworkers (not waited for). */
static int spawn_worker(ddf_local_cluster *lc, ddf_error *err)
{
    size_t i = lc->nworkers;
    char out_path[128], err_path[128], secret_path[128], threads[16], mem[32], ttl[16];
    char env[256];
    char *argv[20];
    int a = 0;

    if (i >= DDF_LOCAL_MAX_WORKERS)
        return ddf_error_setf(err, DDF_ETOOBIG, "a local cluster has at most %d workers",
                              DDF_LOCAL_MAX_WORKERS);
    snprintf(out_path, sizeof out_path, "%s/worker-%zu.out", lc->dir, i);
    snprintf(err_path, sizeof err_path, "%s/worker-%zu.err", lc->dir, i);
    snprintf(secret_path, sizeof secret_path, "%s/secret", lc->dir);
    snprintf(env, sizeof env, "DDF_REDIS=%s", lc->redis_url);
    argv[a++] = lc->worker_bin;
    argv[a++] = "--listen";
    argv[a++] = "127.0.0.1:0";
    argv[a++] = "--cluster";
    argv[a++] = lc->cluster;
    argv[a++] = "--secret-file";
    argv[a++] = secret_path;
    argv[a++] = "--data-root";
    argv[a++] = lc->data_root;
    if (lc->threads) {
        snprintf(threads, sizeof threads, "%u", lc->threads);
        argv[a++] = "--threads";
        argv[a++] = threads;
    }
    if (lc->memory_limit) {
        snprintf(mem, sizeof mem, "%llu", (unsigned long long)lc->memory_limit);
        argv[a++] = "--memory-limit";
        argv[a++] = mem;
    }
    if (lc->lease_ttl_ms > 0) {
        snprintf(ttl, sizeof ttl, "%d", lc->lease_ttl_ms);
        argv[a++] = "--lease-ttl";
        argv[a++] = ttl;
    }
    argv[a] = NULL;
    lc->workers[i].url[0] = '\0';
    lc->workers[i].pid = spawn(argv, out_path, err_path, env);
    if (lc->workers[i].pid < 0)
        return ddf_error_setf(err, DDF_EIO, "cannot start %s: %s", lc->worker_bin,
                              strerror(errno));
    lc->nworkers++;
    return DDF_OK;
}

int ddf_local_cluster_start(const ddf_local_options *opt, ddf_local_cluster **out,
                            ddf_error *err)
{
    ddf_local_cluster *lc;
    long long deadline;
    unsigned n = opt->workers;
    char secret_path[128];
    int rc;

    *out = NULL;
    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (unsigned)cores : 1;
    }
    if (n > DDF_LOCAL_MAX_WORKERS)
        return ddf_error_setf(err, DDF_EINVAL, "%u workers: a local cluster has at most %d", n,
                              DDF_LOCAL_MAX_WORKERS);
    lc = ddf_calloc(1, sizeof *lc);
    if (lc == NULL)
        return ddf_error_setf(err, DDF_ENOMEM, "local cluster: out of memory");
    lc->start_timeout_ms = opt->start_timeout_ms > 0 ? opt->start_timeout_ms : DEFAULT_START_MS;
    lc->threads = opt->threads;
    lc->lease_ttl_ms = opt->lease_ttl_ms;
    lc->memory_limit = opt->memory_limit;
    snprintf(lc->cluster, sizeof lc->cluster, "%s", opt->cluster ? opt->cluster : "local");
    snprintf(lc->data_root, sizeof lc->data_root, "%s", opt->data_root ? opt->data_root : "/");
    rc = find_worker(opt->worker_bin, lc->worker_bin, sizeof lc->worker_bin, err);
    if (rc < 0) {
        ddf_free(lc);
        return rc;
    }
    snprintf(lc->dir, sizeof lc->dir, "%s/ddf-local-XXXXXX",
             getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 32 ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(lc->dir) == NULL) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot create a temporary directory: %s",
                            strerror(errno));
        ddf_free(lc);
        return rc;
    }
    snprintf(secret_path, sizeof secret_path, "%s/secret", lc->dir);
    if (random_hex(lc->secret, SECRET_BYTES) < 0 ||
        random_hex(lc->redis_password, SECRET_BYTES) < 0 ||
        write_file(secret_path, lc->secret) < 0) {
        rc = ddf_error_setf(err, DDF_EIO, "cannot make the cluster's secrets: %s",
                            strerror(errno));
        ddf_local_cluster_stop(lc);
        return rc;
    }
    deadline = now_ms() + lc->start_timeout_ms;
    rc = start_redis(lc, opt->redis_bin, deadline, err);
    for (unsigned i = 0; i < n && rc == DDF_OK; i++)
        rc = spawn_worker(lc, err);
    for (size_t i = 0; i < lc->nworkers && rc == DDF_OK; i++)
        rc = await_listening(lc, i, deadline, err);
    if (rc == DDF_OK)
        rc = await_registered(lc, 0, deadline, err);
    if (rc < 0) {
        ddf_local_cluster_stop(lc);
        return rc;
    }
    *out = lc;
    return DDF_OK;
}

int ddf_local_cluster_add_worker(ddf_local_cluster *lc, ddf_error *err)
{
    long long deadline = now_ms() + lc->start_timeout_ms;
    size_t i = lc->nworkers;
    int rc = spawn_worker(lc, err);

    if (rc == DDF_OK)
        rc = await_listening(lc, i, deadline, err);
    if (rc == DDF_OK)
        rc = await_registered(lc, i, deadline, err);
    if (rc < 0 && i < lc->nworkers)
        stop_child(&lc->workers[i], now_ms() + STOP_WAIT_MS);
    return rc;
}

int ddf_local_cluster_signal_worker(ddf_local_cluster *lc, size_t i, int sig, ddf_error *err)
{
    if (i >= lc->nworkers || !alive(&lc->workers[i]))
        return ddf_error_setf(err, DDF_EINVAL, "local cluster: no running worker %zu", i);
    if (kill(lc->workers[i].pid, sig) < 0)
        return ddf_error_setf(err, DDF_EIO, "cannot signal worker %zu: %s", i, strerror(errno));
    return DDF_OK;
}

/* Remove the files in the cluster's directory (it holds only ours), then the directory. */
static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char file[PATH_MAX];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(path);
}

void ddf_local_cluster_stop(ddf_local_cluster *lc)
{
    long long deadline;

    if (lc == NULL)
        return;
    /* workers first, all at once: they deregister while Redis is still there */
    for (size_t i = 0; i < lc->nworkers; i++)
        if (alive(&lc->workers[i])) {
            kill(lc->workers[i].pid, SIGCONT); /* a stopped worker cannot handle SIGTERM */
            kill(lc->workers[i].pid, SIGTERM);
        }
    deadline = now_ms() + STOP_WAIT_MS;
    for (size_t i = 0; i < lc->nworkers; i++)
        stop_child(&lc->workers[i], deadline);
    stop_child(&lc->redis, now_ms() + STOP_WAIT_MS);
    if (lc->dir[0])
        remove_dir(lc->dir);
    ddf_free(lc);
}

const char *ddf_local_cluster_redis_url(const ddf_local_cluster *lc)
{
    return lc->redis_url;
}

const char *ddf_local_cluster_name(const ddf_local_cluster *lc)
{
    return lc->cluster;
}

const char *ddf_local_cluster_secret(const ddf_local_cluster *lc)
{
    return lc->secret;
}

size_t ddf_local_cluster_size(const ddf_local_cluster *lc)
{
    return lc->nworkers;
}

const char *ddf_local_cluster_worker_url(const ddf_local_cluster *lc, size_t i)
{
    return i < lc->nworkers ? lc->workers[i].url : NULL;
}

pid_t ddf_local_cluster_worker_pid(const ddf_local_cluster *lc, size_t i)
{
    return i < lc->nworkers ? lc->workers[i].pid : 0;
}
