/* ddf_registry_main.c - `ddf-registry`, the cluster's admin CLI (DESIGN §4, "master API").
 *
 * Parses flags, runs one command against libddf_registry and prints the result. Exit status
 * (DESIGN §7): 0 ok, 1 error, 2 usage (including a malformed --redis URL or cluster name),
 * 3 the registry cannot be reached (Redis down, unreachable, silent, or refusing our
 * credentials). Errors go to stderr as "ddf-registry: error: ...". */
#include "admin_rpc.h"
#include "registry.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "ddf-registry"
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

#ifndef DDF_VERSION
#define DDF_VERSION "0.0.0"
#endif

/* Set by SIGINT/SIGTERM; `watch` polls it between bounded waits. */
static volatile sig_atomic_t g_stop;

static const char USAGE[] =
    "usage: " PROG " [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "The admin CLI of a ddf cluster's Redis registry (keys under ddf:<cluster>:).\n"
    "\n"
    "Commands:\n"
    "  list [--format table|json]  live workers: id, lease age, threads, memory used/limit,\n"
    "                              partitions cached, version, uptime. Dead members found\n"
    "                              on the way are removed (and announced as dead).\n"
    "                              json: JSON Lines, one object per worker with the keys\n"
    "                              id host pid threads mem_used mem_limit partitions version\n"
    "                              started_ms refreshed_ms lease_age_ms lease_ttl_ms\n"
    "                              (null when static) uptime_ms static\n"
    "  watch                       print join/leave/dead events with UTC timestamps until\n"
    "                              Ctrl-C or SIGTERM; survives Redis restarts (prints\n"
    "                              'resync': events in between were missed)\n"
    "  add URL                     ping the endpoint (XML-RPC ddf.ping), then admit it as a\n"
    "                              static member (hash field static=1, no lease TTL: it stays\n"
    "                              until removed) and publish join\n"
    "  remove URL [--shutdown]     take a member out (publish leave); --shutdown also asks\n"
    "                              the endpoint to exit (XML-RPC ddf.shutdown). A running\n"
    "                              worker removed without --shutdown registers again at its\n"
    "                              next heartbeat.\n"
    "  reap                        remove dead members now (publish dead), print how many\n"
    "\n"
    "Options:\n"
    "  --redis URL      redis://[user:password@]host:port[/db]; default $DDF_REDIS, else\n"
    "                   " DDF_REGISTRY_DEFAULT_URL "\n"
    "  --cluster NAME   cluster name (default \"default\")\n"
    "  --timeout MS     bound on every network wait (default 2000)\n"
    "  --secret-file F  the workers' shared secret (first line of F) for add's ping and\n"
    "                   remove --shutdown; default $DDF_SECRET\n"
    "  -h, --help       this help\n"
    "  --version        print the version\n"
    "\n"
    "Exit status: 0 ok, 1 error, 2 usage, 3 Redis unreachable or refusing the credentials.\n";

typedef struct cli {
    ddf_registry_options opt;
    const char *command;
    const char *arg;    /* URL of add / remove */
    const char *format; /* list: "table" | "json" */
    bool shutdown;      /* remove --shutdown */
    char secret[1024];  /* the workers' shared secret, "" for none */
} cli;

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, PROG ": error: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry '" PROG " --help'.\n");
    return EXIT_USAGE;
}

/* The exit status for a library error code. */
static int fail(const ddf_error *err)
{
    fprintf(stderr, PROG ": error: %s\n", err->msg);
    switch (err->code) {
    case DDF_EUNREACH:
    case DDF_ETIMEDOUT:
    case DDF_EAUTH:
        return EXIT_UNREACHABLE;
    case DDF_EINVAL:
        return EXIT_USAGE;
    default:
        return 1;
    }
}

/* Parse argv into 'c'. Returns -1 to go on, else an exit status. Options may come before or
 * after the command; "--opt=value" and "--opt value" both work. */
static int parse_args(int argc, char **argv, cli *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        size_t name_len = (a[0] == '-' && a[1] == '-' && eq != NULL) ? (size_t)(eq - a)
                                                                    : strlen(a);
        const char *val = NULL;
#define IS(opt) (name_len == strlen(opt) && strncmp(a, opt, name_len) == 0)
#define VALUE()                                                                              \
    do {                                                                                     \
        if (eq != NULL && a[0] == '-' && a[1] == '-')                                        \
            val = eq + 1;                                                                    \
        else if (i + 1 < argc)                                                               \
            val = argv[++i];                                                                 \
        else                                                                                 \
            return usage_error("%s needs a value", a);                                       \
    } while (0)
        if (IS("-h") || IS("--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else if (IS("--version")) {
            printf(PROG " %s\n", DDF_VERSION);
            return 0;
        } else if (IS("--redis")) {
            VALUE();
            c->opt.redis_url = val;
        } else if (IS("--cluster")) {
            VALUE();
            c->opt.cluster = val;
        } else if (IS("--secret-file")) {
            FILE *f;

            VALUE();
            f = fopen(val, "r");
            if (f == NULL || fgets(c->secret, sizeof c->secret, f) == NULL) {
                if (f)
                    fclose(f);
                return usage_error("cannot read the secret from --secret-file %s", val);
            }
            fclose(f);
            c->secret[strcspn(c->secret, "\r\n")] = '\0';
        } else if (IS("--timeout")) {
            char *end;
            long ms;
            VALUE();
            ms = strtol(val, &end, 10);
            if (*val == '\0' || *end != '\0' || ms < 1 || ms > 600000)
                return usage_error("bad --timeout \"%s\" (milliseconds, 1..600000)", val);
            c->opt.timeout_ms = (int)ms;
        } else if (IS("--format")) {
            VALUE();
            if (strcmp(val, "table") != 0 && strcmp(val, "json") != 0)
                return usage_error("bad --format \"%s\" (table or json)", val);
            c->format = val;
        } else if (IS("--shutdown")) {
            c->shutdown = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option %s", a);
        } else if (c->command == NULL) {
            c->command = a;
        } else if (c->arg == NULL) {
            c->arg = a;
        } else {
            return usage_error("unexpected argument \"%s\"", a);
        }
#undef IS
#undef VALUE
    }
    if (c->command == NULL)
        return usage_error("%s", "no command (list, watch, add, remove, reap)");
    bool takes_url = strcmp(c->command, "add") == 0 || strcmp(c->command, "remove") == 0;
    if (!takes_url && strcmp(c->command, "list") != 0 && strcmp(c->command, "watch") != 0 &&
        strcmp(c->command, "reap") != 0)
        return usage_error("unknown command \"%s\"", c->command);
    if (takes_url && c->arg == NULL)
        return usage_error("%s needs an endpoint URL", c->command);
    if (!takes_url && c->arg != NULL)
        return usage_error("unexpected argument \"%s\"", c->arg);
    if (takes_url && !ddf_registry_id_is_valid(c->arg))
        return usage_error("bad endpoint URL \"%s\" (expected http://host:port/path)", c->arg);
    if (c->format != NULL && strcmp(c->command, "list") != 0)
        return usage_error("%s", "--format applies to list only");
    if (c->shutdown && strcmp(c->command, "remove") != 0)
        return usage_error("%s", "--shutdown applies to remove only");
    return -1;
}

/* ---- list ------------------------------------------------------------------------- */

static void fmt_duration(int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        ms = 0;
    if (ms < 10000)
        snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
    else if (ms < 3600 * 1000)
        snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000, ms / 1000 % 60);
    else if (ms < 86400 * 1000LL)
        snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, ms / 60000 % 60);
    else
        snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", ms / 86400000, ms / 3600000 % 24);
}

static void fmt_bytes(int64_t b, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;

    if (b <= 0) {
        snprintf(buf, len, b == 0 ? "0" : "?");
        return;
    }
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRId64 " B", b);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void list_json(const ddf_worker_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        const ddf_worker_info *w = &l->items[i];
        printf("{\"id\":");
        json_string(stdout, w->id);
        printf(",\"host\":");
        json_string(stdout, w->host);
        printf(",\"pid\":%" PRId64 ",\"threads\":%" PRId64 ",\"mem_used\":%" PRId64
               ",\"mem_limit\":%" PRId64 ",\"partitions\":%" PRId64 ",\"version\":",
               w->pid, w->threads, w->mem_used, w->mem_limit, w->partitions);
        json_string(stdout, w->version);
        printf(",\"started_ms\":%" PRId64 ",\"refreshed_ms\":%" PRId64
               ",\"lease_age_ms\":%" PRId64 ",",
               w->started_ms, w->refreshed_ms, l->now_ms - w->refreshed_ms);
        if (w->is_static)
            printf("\"lease_ttl_ms\":null,");
        else
            printf("\"lease_ttl_ms\":%" PRId64 ",", w->ttl_ms);
        printf("\"uptime_ms\":%" PRId64 ",\"static\":%s}\n",
               w->started_ms > 0 ? l->now_ms - w->started_ms : 0,
               w->is_static ? "true" : "false");
    }
}

enum { COL_ID, COL_AGE, COL_THREADS, COL_MEM, COL_PARTS, COL_VERSION, COL_UPTIME, NCOLS };

static void list_table(const ddf_worker_list *l)
{
    static const char *head[NCOLS] = {"ID",         "LEASE AGE", "THREADS", "MEMORY USED/LIMIT",
                                      "PARTITIONS", "VERSION",   "UPTIME"};
    static const bool right[NCOLS] = {false, true, true, true, true, false, true};
    size_t width[NCOLS];
    char cell[NCOLS][DDF_REGISTRY_MAX_ID];

    for (int c = 0; c < NCOLS; c++)
        width[c] = strlen(head[c]);
    /* Two passes: widths first, then the rows. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int c = 0; c < NCOLS; c++)
                printf(c + 1 < NCOLS ? (right[c] ? "%*s  " : "%-*s  ") : "%*s\n",
                       (int)width[c], head[c]);
        }
        for (size_t i = 0; i < l->count; i++) {
            const ddf_worker_info *w = &l->items[i];
            char used[32], limit[32];

            snprintf(cell[COL_ID], sizeof(cell[0]), "%s", w->id);
            if (w->is_static)
                snprintf(cell[COL_AGE], sizeof(cell[0]), "static");
            else
                fmt_duration(l->now_ms - w->refreshed_ms, cell[COL_AGE], sizeof(cell[0]));
            snprintf(cell[COL_THREADS], sizeof(cell[0]), "%" PRId64, w->threads);
            fmt_bytes(w->mem_used, used, sizeof(used));
            fmt_bytes(w->mem_limit, limit, sizeof(limit));
            snprintf(cell[COL_MEM], sizeof(cell[0]), "%s / %s", used,
                     w->mem_limit > 0 ? limit : "-");
            snprintf(cell[COL_PARTS], sizeof(cell[0]), "%" PRId64, w->partitions);
            snprintf(cell[COL_VERSION], sizeof(cell[0]), "%s", w->version[0] ? w->version : "-");
            if (w->started_ms > 0)
                fmt_duration(l->now_ms - w->started_ms, cell[COL_UPTIME], sizeof(cell[0]));
            else
                snprintf(cell[COL_UPTIME], sizeof(cell[0]), "-");
            for (int c = 0; c < NCOLS; c++) {
                if (pass == 0 && strlen(cell[c]) > width[c])
                    width[c] = strlen(cell[c]);
                if (pass == 1)
                    printf(c + 1 < NCOLS ? (right[c] ? "%*s  " : "%-*s  ") : "%*s\n",
                           (int)width[c], cell[c]);
            }
        }
    }
    printf("%zu worker%s\n", l->count, l->count == 1 ? "" : "s");
}

static int cmd_list(ddf_registry *reg, const cli *c)
{
    ddf_worker_list l;
    ddf_error err;

    ddf_error_init(&err);
    if (ddf_registry_discover(reg, true, &l, &err) < 0)
        return fail(&err);
    if (l.pruned > 0)
        fprintf(stderr, PROG ": removed %zu dead member%s\n", l.pruned, l.pruned == 1 ? "" : "s");
    if (c->format != NULL && strcmp(c->format, "json") == 0)
        list_json(&l);
    else
        list_table(&l);
    ddf_worker_list_fini(&l);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- watch ------------------------------------------------------------------------ */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void print_event(const ddf_registry_event *ev)
{
    time_t secs = (time_t)(ev->received_ms / 1000);
    struct tm tm;
    char ts[32];

    gmtime_r(&secs, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    if (ev->kind == DDF_REGISTRY_EVENT_RESYNC)
        printf("%s.%03dZ resync\n", ts, (int)(ev->received_ms % 1000));
    else
        printf("%s.%03dZ %s %s\n", ts, (int)(ev->received_ms % 1000),
               ddf_registry_event_name(ev->kind), ev->id);
    fflush(stdout);
}

static int cmd_watch(const cli *c)
{
    struct sigaction sa;
    ddf_subscriber *sub = NULL;
    ddf_registry_event ev;
    ddf_error err;
    bool connected = true;
    int rc;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the wait in poll() */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ddf_error_init(&err);
    if (ddf_subscriber_new(&c->opt, &sub, &err) < 0)
        return fail(&err);
    fprintf(stderr, PROG ": watching cluster \"%s\" (Ctrl-C to stop)\n",
            c->opt.cluster != NULL ? c->opt.cluster : DDF_REGISTRY_DEFAULT_CLUSTER);
    while (!g_stop) {
        rc = ddf_subscriber_next(sub, 200, &ev, &err);
        if (rc < 0) {
            ddf_subscriber_free(sub);
            return fail(&err);
        }
        if (rc == 1) {
            print_event(&ev);
            if (ev.kind == DDF_REGISTRY_EVENT_RESYNC && !connected)
                fprintf(stderr, PROG ": reconnected; events in between were missed\n");
            connected = true;
        } else if (connected && !ddf_subscriber_is_connected(sub)) {
            fprintf(stderr, PROG ": warning: lost the connection to Redis; reconnecting\n");
            connected = false;
        }
    }
    ddf_subscriber_free(sub);
    return 0;
}

/* ---- add, remove, reap ------------------------------------------------------------ */

static int cmd_add(ddf_registry *reg, const cli *c)
{
    ddf_worker_info w;
    ddf_error err;

    memset(&w, 0, sizeof(w));
    ddf_error_init(&err);
    snprintf(w.id, sizeof(w.id), "%s", c->arg);
    if (ddf_admin_rpc_call(c->arg, "ddf.ping", c->secret, c->opt.timeout_ms, &w, &err) < 0) {
        fprintf(stderr, PROG ": error: not admitting %s: %s\n", c->arg, err.msg);
        return 1;
    }
    if (ddf_registry_register(reg, &w, 0, &err) < 0)
        return fail(&err);
    printf("added %s (static member, join published)\n", c->arg);
    return 0;
}

static int cmd_remove(ddf_registry *reg, const cli *c)
{
    bool was_member = false;
    ddf_error err;

    ddf_error_init(&err);
    if (ddf_registry_deregister(reg, c->arg, &was_member, &err) < 0)
        return fail(&err);
    if (was_member)
        printf("removed %s (leave published)\n", c->arg);
    if (c->shutdown) {
        if (ddf_admin_rpc_call(c->arg, "ddf.shutdown", c->secret, c->opt.timeout_ms, NULL,
                               &err) < 0) {
            fprintf(stderr, PROG ": error: %s\n", err.msg);
            return 1;
        }
        printf("asked %s to shut down\n", c->arg);
    } else if (!was_member) {
        fprintf(stderr, PROG ": error: %s is not a member of cluster \"%s\"\n", c->arg,
                c->opt.cluster != NULL ? c->opt.cluster : DDF_REGISTRY_DEFAULT_CLUSTER);
        return 1;
    }
    return 0;
}

static int cmd_reap(ddf_registry *reg)
{
    size_t pruned = 0;
    ddf_error err;

    ddf_error_init(&err);
    if (ddf_registry_reap(reg, &pruned, &err) < 0)
        return fail(&err);
    printf("reaped %zu\n", pruned);
    return 0;
}

int main(int argc, char **argv)
{
    ddf_registry *reg = NULL;
    ddf_error err;
    cli c;
    int rc;

    memset(&c, 0, sizeof(c));
    ddf_registry_options_init(&c.opt);
    if (getenv("DDF_SECRET") != NULL && strlen(getenv("DDF_SECRET")) < sizeof c.secret)
        strcpy(c.secret, getenv("DDF_SECRET"));
    rc = parse_args(argc, argv, &c);
    if (rc >= 0)
        return rc;
    if (strcmp(c.command, "watch") == 0)
        return cmd_watch(&c);
    ddf_error_init(&err);
    if (ddf_registry_new(&c.opt, &reg, &err) < 0)
        return fail(&err);
    if (strcmp(c.command, "list") == 0)
        rc = cmd_list(reg, &c);
    else if (strcmp(c.command, "add") == 0)
        rc = cmd_add(reg, &c);
    else if (strcmp(c.command, "remove") == 0)
        rc = cmd_remove(reg, &c);
    else
        rc = cmd_reap(reg);
    ddf_registry_free(reg);
    return rc;
}
