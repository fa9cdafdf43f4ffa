/* test_ddf.c - libddf (client/ddf.h) over a real local cluster of ddf-worker processes:
 * actions give exact results, and stay exact when workers die, stop (within or past
 * their lease), leave or join between and during actions (DESIGN §3, step 5).
 *
 * The data is generated here, so the expected answers are computed here too: row i of
 * the file holds k = i % 7, v = i, s = "s<i % 5>"; small blocks make many partitions. */
#include "testutil.h"

#include "ddf.h"
#include "local_cluster.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WORKER_BIN
#error "WORKER_BIN must name the ddf-worker program"
#endif

#define ROWS 400000
#define BLOCK (64 * 1024)

typedef struct fixture {
    char dir[64];
    char path[128];
    ddf_client *client;
    ddf_frame *frame;
} fixture;

static void write_data(const char *path)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "k,v,s\n");
    for (long i = 0; i < ROWS; i++)
        fprintf(f, "%ld,%ld,s%ld\n", i % 7, i, i % 5);
    assert_int_equal(fclose(f), 0);
}

static int setup_lease(void **state, int lease_ttl_ms)
{
    fixture *fx = calloc(1, sizeof *fx);
    ddf_connect_options co;
    ddf_csv_options csv;
    ddf_error err;

    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ddf-test-ddf-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/data.csv", fx->dir);
    write_data(fx->path);
    ddf_connect_options_init(&co);
    co.local_workers = 3;
    co.local_threads = 1;
    co.worker_bin = WORKER_BIN;
    co.call_timeout_ms = 3000;
    co.max_retries = 4;
    co.local_lease_ttl_ms = lease_ttl_ms;
    if (ddf_connect(&co, &fx->client, &err) != DDF_OK)
        fail_msg("connect: %s", err.msg);
    ddf_csv_options_init(&csv);
    csv.blocksize = BLOCK;
    if (ddf_read_csv(fx->client, fx->path, &csv, &fx->frame, &err) != DDF_OK)
        fail_msg("read_csv: %s", err.msg);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_lease(state, 0);
}

/* Workers whose leases last 1.5 s, to outlive one in a test. */
static int setup_short_lease(void **state)
{
    return setup_lease(state, 1500);
}

static int teardown(void **state)
{
    fixture *fx = *state;

    ddf_frame_free(fx->frame);
    ddf_close(fx->client);
    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* sum(v) over the frame must be exact: every partition counted once; *st (may be NULL)
 * gets the sum's stats. */
static void check_sum_stats(fixture *fx, ddf_action_stats *st)
{
    const char *cols[] = {"v"};
    ddf_table *t;
    ddf_error err;
    int64_t rows = -1;

    if (ddf_frame_reduce(fx->frame, DDF_AGG_SUM, cols, 1, &t, &err) != DDF_OK)
        fail_msg("sum: %s", err.msg);
    assert_int_equal(t->nrows, 1);
    assert_int_equal(t->columns[0].values.i64[0], (int64_t)ROWS * (ROWS - 1) / 2);
    ddf_table_free(t);
    if (st != NULL)
        ddf_client_last_stats(fx->client, st);
    if (ddf_frame_count(fx->frame, &rows, &err) != DDF_OK)
        fail_msg("count: %s", err.msg);
    assert_int_equal(rows, ROWS);
}

static void check_sum(fixture *fx)
{
    check_sum_stats(fx, NULL);
}

static void test_actions_exact(void **state)
{
    fixture *fx = *state;
    const char *keys[] = {"k"};
    ddf_plan_agg aggs[] = {{"v", DDF_AGG_COUNT}, {"v", DDF_AGG_MAX}};
    ddf_frame *g;
    ddf_table *t;
    ddf_error err;
    int64_t rows;

    assert_true(ddf_frame_npartitions(fx->frame) > 20);
    check_sum(fx);
    /* group-by: k = 0..6, counts and max v per key */
    if (ddf_frame_groupby(fx->frame, keys, 1, aggs, 2, true, &t, &err) != DDF_OK)
        fail_msg("groupby: %s", err.msg);
    assert_int_equal(t->nrows, 7);
    for (int64_t k = 0; k < 7; k++) {
        int64_t count = ROWS / 7 + (k < ROWS % 7), max = k;

        while (max + 7 < ROWS)
            max += 7;
        assert_int_equal(t->columns[0].values.i64[k], k);
        assert_int_equal(t->columns[1].values.i64[k], count);
        assert_int_equal(t->columns[2].values.i64[k], max);
    }
    ddf_table_free(t);
    /* head in order through a selective filter: the first rows with v % 1000 == 999 */
    assert_int_equal(ddf_frame_filter(fx->frame, "v % 1000 == 999", &g, &err), DDF_OK);
    if (ddf_frame_head(g, 5, &t, &err) != DDF_OK)
        fail_msg("head: %s", err.msg);
    assert_int_equal(t->nrows, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(t->columns[1].values.i64[i], 999 + 1000 * i);
    ddf_table_free(t);
    assert_int_equal(ddf_frame_count(g, &rows, &err), DDF_OK);
    assert_int_equal(rows, ROWS / 1000);
    /* tail and pandas' negative n */
    assert_int_equal(ddf_frame_tail(g, 2, &t, &err), DDF_OK);
    assert_int_equal(t->nrows, 2);
    assert_int_equal(t->columns[1].values.i64[1], ROWS - 1);
    ddf_table_free(t);
    assert_int_equal(ddf_frame_head(g, -(ROWS / 1000 - 1), &t, &err), DDF_OK);
    assert_int_equal(t->nrows, 1);
    assert_int_equal(t->columns[1].values.i64[0], 999);
    ddf_table_free(t);
    ddf_frame_free(g);
}

typedef struct progress_log {
    size_t reports, finished, last_done, total;
    bool monotonic;
    uint64_t rows;
} progress_log;

static void on_progress(void *arg, const ddf_progress *p)
{
    progress_log *log = arg;

    if (p->parts_done < log->last_done && !log->finished)
        log->monotonic = false;
    log->reports++;
    log->finished += p->finished;
    log->last_done = p->parts_done;
    log->total = p->parts_total;
    log->rows = p->rows;
}

/* The progress the CLI draws its bar from: reports while the action runs, partitions
 * counted up to every one of them, a last report marked finished. */
static void test_progress_reports(void **state)
{
    fixture *fx = *state;
    progress_log log = {.monotonic = true};
    ddf_error err;
    int64_t rows;

    ddf_client_set_progress(fx->client, on_progress, &log);
    if (ddf_frame_count(fx->frame, &rows, &err) != DDF_OK)
        fail_msg("count: %s", err.msg);
    ddf_client_set_progress(fx->client, NULL, NULL);
    assert_int_equal(rows, ROWS);
    assert_true(log.reports >= 2);
    assert_int_equal(log.finished, 1);
    assert_true(log.monotonic);
    assert_int_equal(log.total, ddf_frame_npartitions(fx->frame));
    assert_int_equal(log.last_done, log.total);
    assert_int_equal(log.rows, ROWS);
    /* off again: nothing more is reported */
    log.reports = 0;
    assert_int_equal(ddf_frame_count(fx->frame, &rows, &err), DDF_OK);
    assert_int_equal(log.reports, 0);
}

static void interrupt_at_once(void *arg, const ddf_progress *p)
{
    ddf_client *client = arg;

    if (!p->finished)
        ddf_client_interrupt(client);
}

/* Ctrl-C in the CLI: the action ends with DDF_EINTR; the next one runs normally on the
 * same workers and is exact. */
static void test_interrupt_ends_the_action_and_the_next_one_runs(void **state)
{
    fixture *fx = *state;
    ddf_error err;
    int64_t rows = -1;
    ddf_table *t = NULL;

    ddf_client_set_progress(fx->client, interrupt_at_once, fx->client);
    assert_int_equal(ddf_frame_count(fx->frame, &rows, &err), DDF_EINTR);
    assert_string_equal(err.msg, "interrupted");
    assert_int_equal(ddf_frame_head(fx->frame, 3, &t, &err), DDF_EINTR);
    assert_null(t);
    ddf_client_set_progress(fx->client, NULL, NULL);
    if (ddf_frame_count(fx->frame, &rows, &err) != DDF_OK)
        fail_msg("count after an interrupt: %s", err.msg);
    assert_int_equal(rows, ROWS);
    check_sum(fx);
}

static void test_typo_is_an_error_when_written(void **state)
{
    fixture *fx = *state;
    ddf_frame *g = NULL;
    ddf_error err;

    assert_true(ddf_frame_filter(fx->frame, "vv > 3", &g, &err) < 0);
    assert_null(g);
    /* worded as the caller wrote it */
    if (strcmp(err.msg, "filter 'vv > 3': unknown column 'vv'") != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(err.offset, 0); /* the position in the expression survives */
}

/* A file with one line of three fields in a two-column file, at line 4. */
static void write_bad_file(const char *path)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "a,b\n1,2\n3,4\n5,6,7\n8,9\n");
    assert_int_equal(fclose(f), 0);
}

/* on_bad_lines: "error" fails the action naming the worker, file and line; "warn" drops
 * the line and hands its message to the caller, as pandas warns. */
static void test_bad_lines_error_and_warn(void **state)
{
    fixture *fx = *state;
    char path[160];
    const char *const *msgs = NULL;
    ddf_csv_options csv;
    ddf_action_stats st;
    ddf_frame *f;
    ddf_error err;
    int64_t rows = 0;

    snprintf(path, sizeof path, "%s/bad.csv", fx->dir);
    write_bad_file(path);
    ddf_csv_options_init(&csv);
    /* the line is in the sample read_csv infers from: it fails there, as pandas' eager
     * read_csv does (a bad line past the sample fails the action that reads it) */
    assert_int_equal(ddf_read_csv(fx->client, path, &csv, &f, &err), DDF_EBADLINE);
    assert_non_null(strstr(err.msg, "worker http://127.0.0.1:"));
    assert_non_null(strstr(err.msg, "bad.csv:4"));

    csv.on_bad_lines = DDF_BAD_LINES_WARN;
    assert_int_equal(ddf_read_csv(fx->client, path, &csv, &f, &err), DDF_OK);
    assert_int_equal(ddf_frame_count(f, &rows, &err), DDF_OK);
    assert_int_equal(rows, 3);
    ddf_client_last_stats(fx->client, &st);
    assert_int_equal(st.bad_lines, 1);
    assert_int_equal(ddf_client_warnings(fx->client, &msgs), 1);
    assert_non_null(strstr(msgs[0], "bad.csv:4"));
    ddf_frame_free(f);

    /* past the inference sample (256 KiB), the action that reads the line fails */
    {
        FILE *out = fopen(path, "w");

        assert_non_null(out);
        fprintf(out, "a,b\n");
        for (int i = 0; i < 40000; i++)
            fprintf(out, "%d,%d\n", i, i);
        fprintf(out, "1,2,3\n7,8\n");
        assert_int_equal(fclose(out), 0);
    }
    ddf_csv_options_init(&csv);
    assert_int_equal(ddf_read_csv(fx->client, path, &csv, &f, &err), DDF_OK);
    assert_int_equal(ddf_frame_count(f, &rows, &err), DDF_EBADLINE);
    assert_non_null(strstr(err.msg, "worker http://127.0.0.1:"));
    assert_non_null(strstr(err.msg, "bad.csv:40002"));
    ddf_frame_free(f);
    unlink(path);
}

typedef struct killer {
    pid_t pid;
    int delay_ms;
} killer;

static void *kill_later(void *arg)
{
    killer *k = arg;
    struct timespec ts = {k->delay_ms / 1000, (k->delay_ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
    kill(k->pid, SIGKILL);
    return NULL;
}

static void test_kill9_during_action(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    killer k = {ddf_local_cluster_worker_pid(lc, 0), 20};
    ddf_action_stats st;
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, kill_later, &k), 0);
    check_sum(fx); /* cold: the parse takes long enough for the kill to land mid-action */
    pthread_join(th, NULL);
    check_sum(fx);
    ddf_client_last_stats(fx->client, &st);
    assert_true(st.parts_run >= ddf_frame_npartitions(fx->frame));
}

static void test_join_between_actions_gets_partitions(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    ddf_action_stats before, after;
    ddf_error err;

    check_sum_stats(fx, &before);
    assert_int_equal(before.calls, 3);
    assert_int_equal(ddf_local_cluster_add_worker(lc, &err), DDF_OK);
    check_sum_stats(fx, &after);
    /* the newcomer took ~1/4 of the partitions, which it had to parse: fewer cache hits */
    assert_true(after.cache_hits < ddf_frame_npartitions(fx->frame));
    assert_int_equal(after.calls, 4);
}

static void test_sigterm_worker(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    ddf_error err;
    size_t n = 0;

    check_sum(fx);
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 1, SIGTERM, &err), DDF_OK);
    for (int i = 0; i < 300; i++) { /* it deregisters within seconds; 30 s under load */
        assert_int_equal(ddf_client_workers(fx->client, &n, &err), DDF_OK);
        if (n == 2)
            break;
        usleep(100000);
    }
    assert_int_equal(n, 2);
    check_sum(fx);
}

static void test_sigstop_then_sigcont(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    ddf_action_stats st;
    ddf_error err;

    check_sum(fx);
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 2, SIGSTOP, &err), DDF_OK);
    check_sum(fx); /* its calls time out (3 s); its partitions rerun elsewhere */
    ddf_client_last_stats(fx->client, &st);
    assert_true(st.workers_failed >= 1);
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 2, SIGCONT, &err), DDF_OK);
    check_sum(fx);
    ddf_client_last_stats(fx->client, &st);
    assert_int_equal(st.workers_failed, 0);
}

/* Wait (bounded) until the registry lists 'want' live workers. */
static void wait_workers(fixture *fx, size_t want)
{
    ddf_error err;
    size_t n = 0;

    for (int i = 0; i < 300 && n != want; i++) {
        assert_int_equal(ddf_client_workers(fx->client, &n, &err), DDF_OK);
        if (n != want)
            usleep(100000);
    }
    assert_int_equal(n, want);
}

static void test_sigstop_past_lease_then_sigcont(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    ddf_action_stats st;
    ddf_error err;

    check_sum(fx);
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 1, SIGSTOP, &err), DDF_OK);
    wait_workers(fx, 2); /* its lease ran out: the next discovery reaps it as dead */
    check_sum_stats(fx, &st);
    assert_int_equal(st.workers_failed, 0); /* never called: no timeout to wait for */
    assert_int_equal(ddf_local_cluster_signal_worker(lc, 1, SIGCONT, &err), DDF_OK);
    wait_workers(fx, 3); /* its lease keeper finds the lease gone and joins again */
    check_sum(fx);
}

static void test_no_worker_left_is_unreachable(void **state)
{
    fixture *fx = *state;
    ddf_local_cluster *lc = ddf_client_local_cluster(fx->client);
    ddf_table *t = NULL;
    ddf_error err;
    int64_t rows;

    for (size_t i = 0; i < ddf_local_cluster_size(lc); i++)
        ddf_local_cluster_signal_worker(lc, i, SIGKILL, &err);
    assert_int_equal(ddf_frame_count(fx->frame, &rows, &err), DDF_EUNREACH);
    assert_non_null(strstr(err.msg, "no live worker"));
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_actions_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_ends_the_action_and_the_next_one_runs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_typo_is_an_error_when_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines_error_and_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_during_action, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_between_actions_gets_partitions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigstop_then_sigcont, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigstop_past_lease_then_sigcont,
                                        setup_short_lease, teardown),
        cmocka_unit_test_setup_teardown(test_no_worker_left_is_unreachable, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
