/* ddf_main.c - the `ddf` program: run a ddf script on a cluster, or an interactive prompt
 * (DESIGN §6, §7).
 *
 *     ddf [--redis URL] [--cluster NAME] [--workers N] [--secret-file FILE]
 *         [--format table|csv|json] [-e CODE | SCRIPT | -]
 *
 * This file is the glue a main program should be: flags, where the script comes from,
 * the cluster (libddf: a local one for the program's lifetime unless a Redis is named),
 * the printer (format.h), the interpreter (script_eval.h), the REPL (repl.h), the
 * progress bar (progress.h), and how all of it ends: the exit status and the message.
 *
 * Exit statuses (DESIGN §7):
 *   0    success; also when the reader of our output went away (`ddf ... | head -1`)
 *   1    a script error: it does not parse, or running it failed
 *   2    usage: a bad flag or flag value, flags that do not go together, an unreadable
 *        script or --secret-file, a malformed --redis URL
 *   3    the cluster cannot be reached: connecting failed (Redis down, refused
 *        credentials, a local cluster that would not start), or an action found no live
 *        worker (DDF_EUNREACH) or was refused by the workers (DDF_EAUTH)
 *   128+n  stopped by signal n: 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP
 *
 * A closed pipe is not an error. `ddf ... | head` is a filter whose reader stopped
 * reading; like `yes | head` (which dies of SIGPIPE) or ripgrep (which exits 0), ddf stops
 * at once and quietly - no "Broken pipe" message - and exits 0, so a pipeline under
 * `set -o pipefail` does not fail because head had seen enough. SIGPIPE is ignored so the
 * failed write reaches the printer as EPIPE and the cluster is still stopped cleanly.
 * (Python instead prints a BrokenPipeError traceback and exits 1, or 120 from its final
 * flush.)
 *
 * Interrupts. Until the cluster is started, SIGINT, SIGTERM and SIGHUP end ddf as they
 * end any program (nothing is running yet). From then on they only set a flag, and what
 * it means depends on when it comes:
 *   - while a program runs, the flag is seen at the action's next progress report (on the
 *     action's thread, about every 200 ms), which interrupts the action
 *     (ddf_client_interrupt): it ends with DDF_EINTR, the workers finish the plans they
 *     have (their answers are dropped) and keep their caches. ddf then exits 128+n, after
 *     ddf_close has stopped a local cluster. Calls that report no progress (the file scan
 *     of read_csv) and statements that call nobody see the flag only when they return:
 *     then the program stops with the same status.
 *   - in the REPL, Ctrl-C at the prompt drops the line being typed; during an entry it
 *     stops the entry as above and the session goes on, its frames and the workers'
 *     caches as they were. Ctrl-D ends the REPL with status 0.
 *   - a second signal while the first is being dealt with ends ddf at once by that
 *     signal's default action (the local cluster's processes die with it: they are
 *     started with PR_SET_PDEATHSIG).
 * The flags below are this program's only global state, as a signal handler needs. */
#include "ddf.h"
#include "format.h"
#include "local_cluster.h"
#include "progress.h"
#include "repl.h"
#include "script_eval.h"
#include "script_parse.h"

#include "alloc.h"
#include "arena.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_SCRIPT 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

/* the first SIGINT/SIGTERM/SIGHUP not yet dealt with, or 0 */
static volatile sig_atomic_t g_signal;
/* a program (or the cluster's start) is running: a second signal ends ddf at once */
static volatile sig_atomic_t g_busy;
/* the write end of the REPL's self-pipe (repl.h), or -1 */
static volatile sig_atomic_t g_wake_fd = -1;

/* Runs on whichever thread the kernel picks (libraries start threads of their own), so it
 * only sets flags and writes to the self-pipe, which wakes the REPL wherever it waits. */
static void on_signal(int sig)
{
    int saved = errno;

    if (g_signal != 0 && g_busy) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    g_signal = sig;
    if (g_wake_fd >= 0) {
        ssize_t w = write(g_wake_fd, "", 1); /* full pipe: a wake-up is pending anyway */

        (void)w;
    }
    errno = saved;
}

/* ---- the command line ------------------------------------------------------------------- */

typedef struct cli_options {
    const char *redis_url;   /* --redis, or NULL */
    const char *cluster;     /* --cluster, or NULL */
    const char *secret_file; /* --secret-file, or NULL */
    unsigned workers;        /* --workers, 0 = one per core */
    ddf_format_kind format;
    const char *code;        /* -e CODE, or NULL */
    const char *script;      /* SCRIPT, "-" for stdin, or NULL */
} cli_options;

#define USAGE_LINE "usage: ddf [options] [-e CODE | SCRIPT | -]\n"

static void print_help(FILE *out)
{
    fputs(USAGE_LINE
          "\n"
          "Run a ddf script - the Python/pandas subset a Dask user writes - on a ddf\n"
          "cluster. With no script: an interactive prompt when stdin is a terminal, else\n"
          "the script is read from stdin.\n"
          "\n"
          "options:\n"
          "  -e CODE             run CODE (error places name it <string>)\n"
          "  -                   read the script from stdin (<stdin>)\n"
          "  --redis URL         the cluster's registry: redis://[user:password@]host:port[/db]\n"
          "                      (default $DDF_REDIS; with neither, ddf starts a local\n"
          "                      cluster of its own and stops it when it ends)\n"
          "  --cluster NAME      the cluster's name in its registry (default \"default\")\n"
          "  --secret-file FILE  the workers' shared secret, the first line of FILE\n"
          "                      (default $DDF_SECRET)\n"
          "  --workers N         local cluster: N workers (default one per core)\n"
          "  --format FORMAT     how values print: table (default), csv or json\n"
          "  -h, --help          show this help and exit\n"
          "  --version           show the version and exit\n"
          "\n"
          "exit status: 0 success, 1 script error, 2 usage error, 3 cluster unreachable,\n"
          "130 interrupted (Ctrl-C). A closed output pipe (ddf ... | head) ends ddf\n"
          "quietly with status 0.\n",
          out);
}

/* Report a usage error; returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("ddf: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n" USAGE_LINE "Try 'ddf --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* --workers: a count a local cluster can start. */
static bool parse_workers(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    if (s[0] < '0' || s[0] > '9')
        return false; /* strtoul would take " 4", "+4" and "-4" */
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > DDF_LOCAL_MAX_WORKERS)
        return false;
    *out = (unsigned)v;
    return true;
}

enum { OPT_REDIS = 256, OPT_CLUSTER, OPT_SECRET_FILE, OPT_WORKERS, OPT_FORMAT, OPT_VERSION };

/* Parse argv into 'o'. Returns -1 to go on, or the status to exit with at once (0 after
 * --help or --version, EXIT_USAGE after a message). */
static int parse_args(int argc, char **argv, cli_options *o)
{
    static const struct option longopts[] = {
        {"redis", required_argument, NULL, OPT_REDIS},
        {"cluster", required_argument, NULL, OPT_CLUSTER},
        {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *env_url = getenv("DDF_REDIS");
    bool remote;
    ddf_error err;
    int ch;

    memset(o, 0, sizeof *o);
    o->format = DDF_FORMAT_TABLE;
    opterr = 0; /* our messages, in our form */
    /* a leading ':' reports a missing argument as ':' rather than '?' */
    while ((ch = getopt_long(argc, argv, ":e:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            if (o->code != NULL)
                return usage_error("-e may be given once");
            o->code = optarg;
            break;
        case OPT_REDIS:
            if (optarg[0] == '\0')
                return usage_error("--redis needs a URL");
            o->redis_url = optarg;
            break;
        case OPT_CLUSTER:
            if (optarg[0] == '\0')
                return usage_error("--cluster needs a name");
            o->cluster = optarg;
            break;
        case OPT_SECRET_FILE:
            o->secret_file = optarg;
            break;
        case OPT_WORKERS:
            if (!parse_workers(optarg, &o->workers))
                return usage_error("--workers takes a count of 1 to %d, not '%s'",
                                   DDF_LOCAL_MAX_WORKERS, optarg);
            break;
        case OPT_FORMAT:
            if (ddf_format_parse(optarg, &o->format, &err) < 0)
                return usage_error("--format: %s", err.msg);
            break;
        case 'h':
            print_help(stdout);
            return 0;
        case OPT_VERSION:
            printf("ddf %s\n", DDF_VERSION_STRING);
            return 0;
        case ':': /* argv[optind - 1] is the option, also when it is a long one */
            return usage_error("%s needs an argument", argv[optind - 1]);
        default:  /* optopt: a short option's letter; 0 for an unknown long option */
            if (optopt > 0 && optopt < 128)
                return usage_error("unknown option -%c", optopt);
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (o->code != NULL)
            return usage_error("-e and a script (%s) cannot both be given", argv[optind]);
        o->script = argv[optind++];
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s' (a script takes no arguments)",
                           argv[optind]);
    /* flags that mean nothing for the kind of cluster chosen are mistakes: say so */
    remote = o->redis_url != NULL || (env_url != NULL && env_url[0] != '\0');
    if (remote && o->workers != 0)
        return usage_error("--workers is for a local cluster; %s names a remote one",
                           o->redis_url != NULL ? "--redis" : "$DDF_REDIS");
    if (!remote && o->cluster != NULL)
        return usage_error("--cluster needs --redis or $DDF_REDIS (a local cluster names "
                           "its own)");
    if (!remote && o->secret_file != NULL)
        return usage_error("--secret-file needs --redis or $DDF_REDIS (a local cluster "
                           "makes its own secret)");
    /* libddf reads the file when it connects; a wrong path is the command line's fault */
    if (o->secret_file != NULL && access(o->secret_file, R_OK) != 0)
        return usage_error("cannot read the secret file %s: %s", o->secret_file,
                           strerror(errno));
    return -1;
}

/* ---- the script's text -------------------------------------------------------------------- */

/* Read all of 'fd' into *buf (ddf_malloc'd, NUL-terminated), at most one byte more than a
 * script may hold so that the parser names the limit. Returns 0 or an errno. */
static int read_all(int fd, char **buf, size_t *len)
{
    size_t cap = 4096, n = 0, max = DDF_SCRIPT_MAX_SOURCE_BYTES + 1;
    char *b = ddf_malloc(cap + 1), *grown;

    if (b == NULL)
        return ENOMEM;
    while (n < max) {
        ssize_t k;

        if (n == cap) {
            cap = cap * 2 < max ? cap * 2 : max;
            grown = ddf_realloc(b, cap + 1);
            if (grown == NULL) {
                ddf_free(b);
                return ENOMEM;
            }
            b = grown;
        }
        k = read(fd, b + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;

            ddf_free(b);
            return e;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* ---- reporting ---------------------------------------------------------------------------- */

/* "ddf: error: file:line:col: message", the source line and a caret, on stderr. */
static void report_script_error(const char *src, size_t len, const char *filename,
                                 const ddf_script_error *e)
{
    char small[1024], *buf = small;
    size_t need;

    need = ddf_script_format_error(small, sizeof small, src, len, filename, e->line,
                                   e->column, e->message);
    if (need >= sizeof small) { /* a long source line */
        buf = ddf_malloc(need + 1);
        if (buf != NULL)
            ddf_script_format_error(buf, need + 1, src, len, filename, e->line, e->column,
                                    e->message);
        else
            buf = small; /* truncated beats nothing */
    }
    fprintf(stderr, "ddf: error: %s", buf);
    if (buf != small)
        ddf_free(buf);
}

/* On a terminal the tty has echoed "^C" where the cursor was: start a line of our own. */
static void say_interrupted(void)
{
    fputs(isatty(STDERR_FILENO) ? "\nddf: interrupted\n" : "ddf: interrupted\n", stderr);
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct cli {
    cli_options opt;
    const char *filename;         /* "<string>", "<stdin>" or the script's path */
    bool repl;
    ddf_client *client;
    ddf_progress_bar *bar;
    FILE *stream;                 /* the bar-aware stream on stdout, or NULL */
    FILE *out;                    /* where values print: 'stream' or stdout */
    ddf_printer *printer;
    ddf_script_session *session;
    bool stopping;                /* this run's interrupt has been acted on */
} cli;

/* Act on a signal seen during a run (see the top of the file). Called from the progress
 * callback, on the action's thread. */
static void stop_running(cli *c)
{
    c->stopping = true;
    ddf_progress_bar_clear(c->bar);
    ddf_client_interrupt(c->client); /* the action ends at its next tick */
}

static void on_progress(void *arg, const ddf_progress *p)
{
    cli *c = arg;

    if (g_signal != 0 && !c->stopping)
        stop_running(c);
    if (!c->stopping)
        ddf_progress_bar_update(c->bar, p);
}

/* After a run that a signal cut short: the status to end with, or in the REPL after a
 * Ctrl-C, DDF_REPL_CONTINUE. */
static int interrupted_run(cli *c)
{
    int sig = g_signal;

    say_interrupted();
    if (!c->repl || sig != SIGINT)
        return 128 + sig;
    g_signal = 0;
    return DDF_REPL_CONTINUE;
}

/* Run one program (a script, or a REPL entry) in the session. Returns the exit status, or
 * in the REPL DDF_REPL_CONTINUE when the session goes on. */
static int run_program(cli *c, const ddf_script_program *prog)
{
    ddf_script_error err;
    int rc, out_errno = 0, code;

    memset(&err, 0, sizeof err);
    c->stopping = false;
    g_busy = 1;
    rc = ddf_script_run(c->session, prog, &err);
    g_busy = 0;
    ddf_progress_bar_clear(c->bar);
    if (fflush(c->out) != 0)
        out_errno = errno;
    if (g_signal != 0)
        return interrupted_run(c);
    code = rc < 0 ? (err.code < 0 ? err.code : rc) : DDF_OK;
    if (ddf_printer_errno(c->printer) != 0)
        out_errno = ddf_printer_errno(c->printer);
    if (out_errno == EPIPE)
        return 0; /* the reader went away: stop, quietly (see the top of the file) */
    if (out_errno != 0) {
        fprintf(stderr, "ddf: error: cannot write the output: %s\n", strerror(out_errno));
        return c->repl ? DDF_REPL_CONTINUE : EXIT_SCRIPT;
    }
    if (code == DDF_OK)
        return c->repl ? DDF_REPL_CONTINUE : 0;
    report_script_error(prog->source, prog->source_len, c->filename, &err);
    if (c->repl)
        return DDF_REPL_CONTINUE; /* as Python's REPL: an error ends the entry only */
    return code == DDF_EUNREACH || code == DDF_EAUTH ? EXIT_UNREACHABLE : EXIT_SCRIPT;
}

/* ---- the REPL's hooks --------------------------------------------------------------------- */

static int repl_run(void *arg, const ddf_script_program *program)
{
    return run_program(arg, program);
}

static void repl_report(void *arg, const char *text, size_t len, const ddf_script_error *err)
{
    cli *c = arg;

    report_script_error(text, len, c->filename, err);
}

static bool repl_signalled(void *arg)
{
    (void)arg;
    return g_signal != 0;
}

static int repl_interrupted(void *arg)
{
    int sig = g_signal;

    (void)arg;
    if (sig == 0 || sig == SIGINT) { /* Ctrl-C: the line is dropped, the session goes on */
        g_signal = 0;
        return DDF_REPL_CONTINUE;
    }
    return 128 + sig;
}

/* A pipe both ends of which are non-blocking and closed on exec (the cluster's processes
 * must not hold it). Returns 0 or -1. */
static int make_wake_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) < 0) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
    }
    return 0;
}

static int run_repl(cli *c)
{
    char history_path[4096];
    int wake[2];
    ddf_repl_options ro;
    ddf_repl *repl;
    ddf_error err;
    int status;

    ddf_repl_options_init(&ro, history_path, sizeof history_path);
    ro.session = c->session;
    ro.hooks.run = repl_run;
    ro.hooks.report = repl_report;
    ro.hooks.signalled = repl_signalled;
    ro.hooks.interrupted = repl_interrupted;
    ro.hooks.arg = c;
    if (make_wake_pipe(wake) < 0) {
        fprintf(stderr, "ddf: error: cannot make a pipe: %s\n", strerror(errno));
        return EXIT_SCRIPT;
    }
    ro.wake_fd = wake[0];
    g_wake_fd = wake[1];
    if (ddf_repl_new(&ro, &repl, &err) < 0) {
        fprintf(stderr, "ddf: error: %s\n", err.msg);
        status = EXIT_SCRIPT;
        goto out_pipe;
    }
    status = ddf_repl_run(repl, &err);
    if (status < 0) {
        fprintf(stderr, "ddf: error: %s\n", err.msg);
        status = EXIT_SCRIPT;
    }
    /* the session may borrow from the entries' trees, which the REPL holds: it goes first */
    ddf_script_session_free(c->session);
    c->session = NULL;
    ddf_repl_free(repl);
out_pipe:
    g_wake_fd = -1; /* before the descriptor can be reused for something else */
    close(wake[1]);
    close(wake[0]);
    return status;
}

/* ---- main --------------------------------------------------------------------------------- */

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* restart system calls: libddf's I/O is not ours to interrupt; the REPL's wait for a
     * key is cut short by the self-pipe instead */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Connect (or start the local cluster). Returns -1 on success, else the exit status after
 * the message. */
static int connect_cluster(cli *c)
{
    ddf_connect_options co;
    ddf_error err;
    int rc;

    ddf_connect_options_init(&co);
    co.redis_url = c->opt.redis_url;
    co.cluster = c->opt.cluster;
    co.secret_file = c->opt.secret_file;
    co.local_workers = c->opt.workers;
    g_busy = 1;
    rc = ddf_connect(&co, &c->client, &err);
    g_busy = 0;
    if (g_signal != 0) {
        say_interrupted();
        return 128 + g_signal;
    }
    if (rc == DDF_OK)
        return -1;
    fprintf(stderr, "ddf: error: %s\n", err.msg);
    /* a URL that does not parse is the command line's fault; everything else means there
     * is no cluster to talk to (down, refused, or a local one that would not start) */
    return rc == DDF_EINVAL ? EXIT_USAGE : EXIT_UNREACHABLE;
}

/* Get the script's text into *src: -e's CODE (borrowed), or a file or stdin (*owned). */
static int load_script(cli *c, const char **src, size_t *len, char **owned)
{
    int fd, e;

    *owned = NULL;
    if (c->opt.code != NULL) {
        c->filename = "<string>";
        *src = c->opt.code;
        *len = strlen(c->opt.code);
        return -1;
    }
    if (c->opt.script == NULL || strcmp(c->opt.script, "-") == 0) {
        c->filename = "<stdin>";
        e = read_all(STDIN_FILENO, owned, len);
        if (e != 0) {
            fprintf(stderr, "ddf: error: cannot read the script from stdin: %s\n",
                    strerror(e));
            return EXIT_SCRIPT;
        }
        *src = *owned;
        return -1;
    }
    c->filename = c->opt.script;
    fd = open(c->opt.script, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* as Python's "can't open file": the command line named something unusable */
        fprintf(stderr, "ddf: error: cannot open the script %s: %s\n", c->opt.script,
                strerror(errno));
        return EXIT_USAGE;
    }
    e = read_all(fd, owned, len);
    close(fd);
    if (e != 0) {
        fprintf(stderr, "ddf: error: cannot read the script %s: %s\n", c->opt.script,
                strerror(e));
        return e == EISDIR ? EXIT_USAGE : EXIT_SCRIPT;
    }
    *src = *owned;
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    const char *src = NULL;
    char *owned = NULL;
    size_t len = 0;
    ddf_arena *arena = NULL;
    ddf_script_program *prog = NULL;
    ddf_script_error perr;
    int status;

    memset(&c, 0, sizeof c);
    status = parse_args(argc, argv, &c.opt);
    if (status >= 0)
        return status;
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (EPIPE), not a death */
    c.repl = c.opt.code == NULL && c.opt.script == NULL && isatty(STDIN_FILENO);
    if (c.repl) {
        setlocale(LC_CTYPE, ""); /* libedit edits UTF-8 as characters, not bytes */
        c.filename = "<stdin>";
    } else {
        /* parse before starting a cluster: a typo is reported in milliseconds */
        status = load_script(&c, &src, &len, &owned);
        if (status >= 0)
            goto out;
        arena = ddf_arena_new();
        if (arena == NULL) {
            fputs("ddf: error: out of memory\n", stderr);
            status = EXIT_SCRIPT;
            goto out;
        }
        memset(&perr, 0, sizeof perr);
        if (ddf_script_parse(src, len, 0, arena, &prog, &perr) < 0) {
            report_script_error(src, len, c.filename, &perr);
            status = EXIT_SCRIPT;
            goto out;
        }
    }
    /* from here on a signal must stop the cluster; until now it could just kill ddf (a
     * Ctrl-C while `ddf -` reads a script typed at the terminal) */
    install_signals();
    status = connect_cluster(&c);
    if (status >= 0)
        goto out;
    c.bar = ddf_progress_bar_new(stderr, isatty(STDERR_FILENO));
    if (c.bar != NULL && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO))
        c.stream = ddf_progress_bar_stream(c.bar, STDOUT_FILENO);
    c.out = c.stream != NULL ? c.stream : stdout;
    c.printer = c.bar ? ddf_printer_new(c.out, c.opt.format) : NULL;
    c.session = c.printer ? ddf_script_session_new(c.client, c.printer) : NULL;
    if (c.session == NULL) {
        fputs("ddf: error: out of memory\n", stderr);
        status = EXIT_SCRIPT;
        goto out;
    }
    ddf_client_set_progress(c.client, on_progress, &c);
    if (c.repl) {
        status = run_repl(&c);
    } else {
        status = run_program(&c, prog);
        if (status == DDF_REPL_CONTINUE)
            status = 0; /* not reached: run_program answers so in the REPL only */
    }
out:
    /* in reverse order of making; the session before the trees it may borrow from */
    ddf_script_session_free(c.session);
    ddf_arena_free(arena);
    ddf_printer_free(c.printer);
    if (c.stream != NULL)
        fclose(c.stream);
    ddf_progress_bar_free(c.bar);
    ddf_close(c.client);
    ddf_free(owned);
    if (fflush(stdout) != 0 && errno != EPIPE && status == 0) {
        fprintf(stderr, "ddf: error: cannot write the output: %s\n", strerror(errno));
        status = EXIT_SCRIPT;
    }
    return status;
}
