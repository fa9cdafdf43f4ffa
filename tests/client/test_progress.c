/* test_progress.c - the progress bar of the ddf program (client/progress.c): the line it
 * renders for given numbers and widths, and when it draws, redraws and wipes itself, all
 * checked without a terminal (the bar's clock is the action's elapsed time). */
#include "testutil.h"

#include "progress.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ddf_progress prog(size_t done, size_t total, uint64_t rows, double ms)
{
    ddf_progress p = {.parts_done = done, .parts_total = total, .rows = rows,
                      .elapsed_ms = ms, .finished = false};
    return p;
}

static void expect_line(ddf_progress p, unsigned width, const char *want)
{
    char buf[512];
    size_t n = ddf_progress_render(buf, sizeof buf, &p, width);

    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

/* ---- rendering ------------------------------------------------------------------------------ */

static void test_render_shows_bar_partitions_rate_and_elapsed(void **state)
{
    (void)state;
    expect_line(prog(12, 40, 1200000, 1000), 80,
                "[#########                     ]  12/40 partitions  1.2M rows/s  1.0s");
}

static void test_render_bar_is_empty_at_start_and_full_only_when_done(void **state)
{
    (void)state;
    expect_line(prog(0, 7, 0, 600), 80,
                "[                              ]  0/7 partitions  0 rows/s  0.6s");
    expect_line(prog(6, 7, 0, 600), 80,
                "[#########################     ]  6/7 partitions  0 rows/s  0.6s");
    expect_line(prog(7, 7, 0, 600), 80,
                "[##############################]  7/7 partitions  0 rows/s  0.6s");
}

static void test_render_clamps_done_to_total(void **state)
{
    (void)state;
    expect_line(prog(9, 7, 0, 600), 80,
                "[##############################]  7/7 partitions  0 rows/s  0.6s");
}

static void test_render_with_no_partitions_known_yet(void **state)
{
    (void)state;
    expect_line(prog(0, 0, 0, 500), 80,
                "[                              ]  0/0 partitions  0 rows/s  0.5s");
}

static void test_render_rates_take_si_suffixes(void **state)
{
    (void)state;
    expect_line(prog(1, 2, 950, 1000), 80,
                "[###############               ]  1/2 partitions  950 rows/s  1.0s");
    expect_line(prog(1, 2, 999600, 1000000), 80,
                "[###############               ]  1/2 partitions  1.0k rows/s  16m40s");
    expect_line(prog(1, 2, 12345, 1000), 80,
                "[###############               ]  1/2 partitions  12.3k rows/s  1.0s");
    expect_line(prog(1, 2, 3400000000ull, 1000), 80,
                "[###############               ]  1/2 partitions  3.4G rows/s  1.0s");
}

static void test_render_elapsed_in_seconds_minutes_and_hours(void **state)
{
    (void)state;
    expect_line(prog(1, 4, 0, 59940), 80,
                "[#######                       ]  1/4 partitions  0 rows/s  59.9s");
    expect_line(prog(1, 4, 0, 65000), 80,
                "[#######                       ]  1/4 partitions  0 rows/s  1m05s");
    expect_line(prog(1, 4, 0, 3723000), 80,
                "[#######                       ]  1/4 partitions  0 rows/s  1h02m");
}

static void test_render_zero_elapsed_is_a_zero_rate(void **state)
{
    (void)state;
    expect_line(prog(0, 3, 1000, 0), 80,
                "[                              ]  0/3 partitions  0 rows/s  0.0s");
}

static void test_render_narrow_terminals_shrink_then_drop_the_bar(void **state)
{
    (void)state;
    /* text "1/2 partitions  0 rows/s  1.0s" is 30 columns: the bar gets width-1-30-4 */
    expect_line(prog(1, 2, 0, 1000), 50, "[#######        ]  1/2 partitions  0 rows/s  1.0s");
    expect_line(prog(1, 2, 0, 1000), 45, "[#####     ]  1/2 partitions  0 rows/s  1.0s");
    expect_line(prog(1, 2, 0, 1000), 44, "1/2 partitions  0 rows/s  1.0s");
    expect_line(prog(1, 2, 0, 1000), 25, "1/2 partitions  0 rows/s");
    expect_line(prog(1, 2, 0, 1000), 20, "1/2 partitions  0 r");
    expect_line(prog(1, 2, 0, 1000), 19, "");
    expect_line(prog(1, 2, 0, 1000), 0, "");
}

static void test_render_never_reaches_the_last_column(void **state)
{
    static const uint64_t rows[] = {0, 7, 999, 123456789, UINT64_MAX / 2};
    char buf[512];

    (void)state;
    for (unsigned width = 0; width <= 300; width++)
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            ddf_progress p = prog(r * 1000, 123456, rows[r], (double)width * 997.0);
            size_t n = ddf_progress_render(buf, sizeof buf, &p, width);

            assert_int_equal(n, strlen(buf));
            if (width < DDF_PROGRESS_MIN_WIDTH)
                assert_int_equal(n, 0);
            else
                assert_true(n <= (width > DDF_PROGRESS_MAX_WIDTH ? DDF_PROGRESS_MAX_WIDTH
                                                                  : width) - 1);
        }
}

static void test_render_truncates_to_a_small_buffer(void **state)
{
    ddf_progress p = prog(12, 40, 1200000, 1000);
    char buf[8];

    (void)state;
    assert_int_equal(ddf_progress_render(buf, sizeof buf, &p, 80), 7);
    assert_string_equal(buf, "[######");
    assert_int_equal(ddf_progress_render(buf, 0, &p, 80), 0);
}

/* ---- the bar -------------------------------------------------------------------------------- */

/* A bar drawing into memory: what it wrote is read back with take(). */
typedef struct screen {
    char *text;
    size_t len;
    FILE *f;
    size_t seen;
} screen;

static void screen_open(screen *s)
{
    memset(s, 0, sizeof *s);
    s->f = open_memstream(&s->text, &s->len);
    assert_non_null(s->f);
}

/* What was written since the last take(), as a string (static storage). */
static const char *take(screen *s)
{
    static char out[1024];
    size_t n;

    fflush(s->f);
    n = s->len - s->seen;
    assert_true(n < sizeof out);
    memcpy(out, s->text + s->seen, n);
    out[n] = '\0';
    s->seen = s->len;
    return out;
}

static void screen_close(screen *s)
{
    fclose(s->f);
    free(s->text);
}

static void update(ddf_progress_bar *bar, ddf_progress p)
{
    ddf_progress_bar_update(bar, &p);
}

static void test_bar_waits_half_a_second_before_drawing(void **state)
{
    screen s;
    ddf_progress_bar *bar;

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    assert_non_null(bar);
    update(bar, prog(0, 4, 0, 0));
    update(bar, prog(1, 4, 0, 200));
    update(bar, prog(2, 4, 0, 499));
    assert_string_equal(take(&s), "");
    assert_false(ddf_progress_bar_is_shown(bar));
    update(bar, prog(2, 4, 1000, 500));
    assert_string_equal(take(&s),
                        "\r[###############               ]  2/4 partitions  2.0k rows/s  0.5s");
    assert_true(ddf_progress_bar_is_shown(bar));
    ddf_progress_bar_free(bar);
    screen_close(&s);
}

static void test_short_action_never_shows_a_bar(void **state)
{
    screen s;
    ddf_progress_bar *bar;
    ddf_progress p = prog(4, 4, 100, 300);

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    update(bar, prog(0, 4, 0, 0));
    p.finished = true;
    ddf_progress_bar_update(bar, &p);
    ddf_progress_bar_clear(bar);
    ddf_progress_bar_free(bar);
    assert_string_equal(take(&s), "");
    screen_close(&s);
}

static void test_bar_redraws_at_most_ten_times_a_second(void **state)
{
    screen s;
    ddf_progress_bar *bar;

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    update(bar, prog(1, 4, 0, 600));
    assert_string_equal(take(&s),
                        "\r[#######                       ]  1/4 partitions  0 rows/s  0.6s");
    update(bar, prog(2, 4, 0, 650));
    update(bar, prog(2, 4, 0, 699));
    assert_string_equal(take(&s), "");
    update(bar, prog(2, 4, 0, 700));
    assert_string_equal(take(&s),
                        "\r[###############               ]  2/4 partitions  0 rows/s  0.7s");
    ddf_progress_bar_free(bar);
    screen_close(&s);
}

static void test_bar_blanks_the_tail_of_a_longer_line(void **state)
{
    screen s;
    ddf_progress_bar *bar;

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    update(bar, prog(1, 4, 12345678, 1000));
    assert_string_equal(take(&s), "\r[#######                       ]  1/4 partitions  "
                                  "12.3M rows/s  1.0s");
    update(bar, prog(1, 4, 0, 1100));
    /* the new line is 4 columns shorter: 4 spaces wipe what is left of the old one */
    assert_string_equal(take(&s), "\r[#######                       ]  1/4 partitions  "
                                  "0 rows/s  1.1s    ");
    ddf_progress_bar_free(bar);
    screen_close(&s);
}

static void test_finished_action_wipes_the_bar(void **state)
{
    screen s;
    ddf_progress_bar *bar;
    ddf_progress p = prog(4, 4, 0, 900);
    char want[128];

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    update(bar, prog(1, 4, 0, 600));
    take(&s);
    p.finished = true;
    ddf_progress_bar_update(bar, &p);
    snprintf(want, sizeof want, "\r%64s\r", "");
    assert_string_equal(take(&s), want);
    assert_false(ddf_progress_bar_is_shown(bar));
    /* wiping twice writes nothing; the next action starts over, with its own delay */
    ddf_progress_bar_clear(bar);
    update(bar, prog(0, 4, 0, 100));
    assert_string_equal(take(&s), "");
    update(bar, prog(0, 4, 0, 550));
    assert_string_equal(take(&s),
                        "\r[                              ]  0/4 partitions  0 rows/s  0.6s");
    ddf_progress_bar_free(bar); /* free wipes what is shown */
    snprintf(want, sizeof want, "\r%64s\r", "");
    assert_string_equal(take(&s), want);
    screen_close(&s);
}

static void test_disabled_bar_writes_nothing(void **state)
{
    screen s;
    ddf_progress_bar *bar;
    ddf_progress p = prog(4, 4, 0, 5000);

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, false);
    update(bar, prog(1, 4, 0, 600));
    update(bar, prog(2, 4, 0, 5000));
    p.finished = true;
    ddf_progress_bar_update(bar, &p);
    assert_false(ddf_progress_bar_is_shown(bar));
    ddf_progress_bar_free(bar);
    ddf_progress_bar_free(NULL);
    assert_string_equal(take(&s), "");
    screen_close(&s);
}

static void test_result_stream_wipes_the_bar_before_writing(void **state)
{
    screen s;
    ddf_progress_bar *bar;
    FILE *out;
    int fds[2];
    char got[64];
    ssize_t n;
    char want[128];

    (void)state;
    screen_open(&s);
    bar = ddf_progress_bar_new(s.f, true);
    assert_int_equal(pipe(fds), 0);
    out = ddf_progress_bar_stream(bar, fds[1]);
    assert_non_null(out);
    update(bar, prog(1, 4, 0, 600));
    take(&s);
    fputs("a,b\n", out); /* line buffered: written now, after the bar is wiped */
    snprintf(want, sizeof want, "\r%64s\r", "");
    assert_string_equal(take(&s), want);
    assert_false(ddf_progress_bar_is_shown(bar));
    n = read(fds[0], got, sizeof got - 1);
    assert_int_equal(n, 4);
    got[n] = '\0';
    assert_string_equal(got, "a,b\n");
    /* a reader that went away is EPIPE, as for stdout itself */
    close(fds[0]);
    errno = 0;
    fputs("1,2\n", out);
    fflush(out);
    assert_true(ferror(out));
    assert_int_equal(errno, EPIPE);
    fclose(out); /* fails too (the line is still buffered), and frees the stream */
    close(fds[1]);
    ddf_progress_bar_free(bar);
    screen_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_shows_bar_partitions_rate_and_elapsed),
        cmocka_unit_test(test_render_bar_is_empty_at_start_and_full_only_when_done),
        cmocka_unit_test(test_render_clamps_done_to_total),
        cmocka_unit_test(test_render_with_no_partitions_known_yet),
        cmocka_unit_test(test_render_rates_take_si_suffixes),
        cmocka_unit_test(test_render_elapsed_in_seconds_minutes_and_hours),
        cmocka_unit_test(test_render_zero_elapsed_is_a_zero_rate),
        cmocka_unit_test(test_render_narrow_terminals_shrink_then_drop_the_bar),
        cmocka_unit_test(test_render_never_reaches_the_last_column),
        cmocka_unit_test(test_render_truncates_to_a_small_buffer),
        cmocka_unit_test(test_bar_waits_half_a_second_before_drawing),
        cmocka_unit_test(test_short_action_never_shows_a_bar),
        cmocka_unit_test(test_bar_redraws_at_most_ten_times_a_second),
        cmocka_unit_test(test_bar_blanks_the_tail_of_a_longer_line),
        cmocka_unit_test(test_finished_action_wipes_the_bar),
        cmocka_unit_test(test_disabled_bar_writes_nothing),
        cmocka_unit_test(test_result_stream_wipes_the_bar_before_writing),
    };

    /* SIGPIPE would kill the test where ddf, which ignores it, sees EPIPE */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
