/* progress.c - the progress bar of the `ddf` program (see progress.h).
 *
 * Two halves: ddf_progress_render, a pure function from numbers and a width to one line of
 * text (what the tests check), and the bar, a little state machine over libddf's progress
 * reports that decides when to draw, redraw and wipe. The bar's clock is the action's own
 * elapsed time from the reports, not a clock of its own, so the state machine is as
 * deterministic as the renderer and needs no terminal to be tested.
 *
 * Invariant: 'shown' is the width of what is on the screen now, and the cursor is at its
 * end; 0 means nothing is drawn and the cursor is wherever other output left it. */
#define _GNU_SOURCE /* fopencookie */
#include "progress.h"

#include "alloc.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct ddf_progress_bar {
    FILE *out;            /* borrowed: the terminal the bar is drawn on */
    bool enabled;         /* 'out' is a terminal */
    size_t shown;         /* columns drawn now (see the invariant above) */
    double last_draw_ms;  /* the action's elapsed time at the last draw */
    int fd;               /* ddf_progress_bar_stream's descriptor */
};

/* ---- rendering -------------------------------------------------------------------------- */

/* A rate with an SI suffix in at most 6 characters: 950, 12.3k, 1.2M, 3.4G. */
static void format_rate(char *buf, size_t cap, double per_s)
{
    if (per_s < 999.5)
        snprintf(buf, cap, "%.0f", per_s);
    else if (per_s < 999.95e3)
        snprintf(buf, cap, "%.1fk", per_s / 1e3);
    else if (per_s < 999.95e6)
        snprintf(buf, cap, "%.1fM", per_s / 1e6);
    else if (per_s < 999.95e9)
        snprintf(buf, cap, "%.1fG", per_s / 1e9);
    else
        snprintf(buf, cap, "%.1fT", per_s / 1e12);
}

/* Elapsed time as a person reads it: 3.4s, 2m05s, 1h02m. */
static void format_elapsed(char *buf, size_t cap, double ms)
{
    double s = ms > 0 ? ms / 1e3 : 0;

    if (s < 59.95) {
        snprintf(buf, cap, "%.1fs", s);
    } else if (s < 3600) {
        unsigned long whole = (unsigned long)s;

        snprintf(buf, cap, "%lum%02lus", whole / 60, whole % 60);
    } else {
        unsigned long min = (unsigned long)(s / 60);

        snprintf(buf, cap, "%luh%02lum", min / 60, min % 60);
    }
}

size_t ddf_progress_render(char *buf, size_t cap, const ddf_progress *p, unsigned width)
{
    char text[160], rate[32], elapsed[32];
    size_t done = p->parts_done, total = p->parts_total, tlen, avail, cells, filled, len = 0;
    double secs = p->elapsed_ms / 1e3;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (width < DDF_PROGRESS_MIN_WIDTH)
        return 0;
    if (width > DDF_PROGRESS_MAX_WIDTH)
        width = DDF_PROGRESS_MAX_WIDTH;
    avail = width - 1; /* writing the last column makes some terminals wrap */
    if (done > total)
        done = total; /* a report never claims more than there is, but a bar must not */
    format_rate(rate, sizeof rate, secs > 0 ? (double)p->rows / secs : 0);
    format_elapsed(elapsed, sizeof elapsed, p->elapsed_ms);
    snprintf(text, sizeof text, "%zu/%zu partitions  %s rows/s  %s", done, total, rate,
             elapsed);
    tlen = strlen(text);
    /* the bar takes what the text leaves, "[" cells "]  ", and goes when under 10 cells */
    cells = avail > tlen + 4 ? avail - tlen - 4 : 0;
    if (cells > DDF_PROGRESS_BAR_CELLS)
        cells = DDF_PROGRESS_BAR_CELLS;
    if (cells >= 10) {
        /* floor, so the bar is full only when every partition is done */
        filled = total > 0 ? (size_t)((double)cells * (double)done / (double)total) : 0;
        if (filled > cells)
            filled = cells;
        len = (size_t)snprintf(buf, cap, "[%.*s%*s]  ", (int)filled,
                               "##############################", (int)(cells - filled), "");
        if (len >= cap)
            return strlen(buf);
    }
    if (tlen > avail - len)
        tlen = avail - len; /* a narrow terminal: the text's tail goes */
    len += (size_t)snprintf(buf + len, cap - len, "%.*s", (int)tlen, text);
    return len < cap ? len : cap - 1;
}

/* ---- the bar ------------------------------------------------------------------------------ */

ddf_progress_bar *ddf_progress_bar_new(FILE *out, bool enabled)
{
    ddf_progress_bar *bar = ddf_calloc(1, sizeof *bar);

    if (bar == NULL)
        return NULL;
    bar->out = out;
    bar->enabled = enabled;
    bar->fd = -1;
    return bar;
}

void ddf_progress_bar_free(ddf_progress_bar *bar)
{
    if (bar == NULL)
        return;
    ddf_progress_bar_clear(bar);
    ddf_free(bar);
}

bool ddf_progress_bar_is_shown(const ddf_progress_bar *bar)
{
    return bar->shown > 0;
}

/* The terminal's width, or 80 when 'out' is no terminal (tests) or will not say. */
static unsigned terminal_width(FILE *out)
{
    struct winsize ws;

    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Spaces over the old line: fewer bytes than one write per column, bounded per call. */
static void put_spaces(FILE *out, size_t n)
{
    static const char spaces[] = "                                                    ";

    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;

        fwrite(spaces, 1, k, out);
        n -= k;
    }
}

void ddf_progress_bar_clear(ddf_progress_bar *bar)
{
    if (bar == NULL || bar->shown == 0)
        return;
    fputc('\r', bar->out);
    put_spaces(bar->out, bar->shown);
    fputc('\r', bar->out);
    fflush(bar->out);
    bar->shown = 0;
}

void ddf_progress_bar_update(void *arg, const ddf_progress *p)
{
    ddf_progress_bar *bar = arg;
    char line[DDF_PROGRESS_MAX_WIDTH + 1];
    size_t len;

    if (!bar->enabled)
        return;
    if (p->finished) {
        ddf_progress_bar_clear(bar);
        bar->last_draw_ms = 0;
        return;
    }
    if (p->elapsed_ms < DDF_PROGRESS_DELAY_MS)
        return;
    /* a new action restarts its clock below the last draw: draw at once */
    if (bar->shown > 0 && p->elapsed_ms >= bar->last_draw_ms &&
        p->elapsed_ms - bar->last_draw_ms < DDF_PROGRESS_INTERVAL_MS)
        return;
    len = ddf_progress_render(line, sizeof line, p, terminal_width(bar->out));
    if (len == 0) {
        ddf_progress_bar_clear(bar);
        return;
    }
    fputc('\r', bar->out);
    fwrite(line, 1, len, bar->out);
    if (bar->shown > len) /* the old line was longer: blank its tail, come back */
        put_spaces(bar->out, bar->shown - len);
    fflush(bar->out);
    /* the cursor now sits after the padding; what is on screen is max(shown, len) wide */
    bar->shown = bar->shown > len ? bar->shown : len;
    bar->last_draw_ms = p->elapsed_ms;
}

/* ---- a result stream that keeps clear of the bar ------------------------------------------- */

static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    ddf_progress_bar *bar = cookie;
    size_t off = 0;

    ddf_progress_bar_clear(bar);
    while (off < size) {
        ssize_t n = write(bar->fd, buf + off, size - off);

        if (n < 0 && errno == EINTR)
            continue; /* a Ctrl-C is handled by the program, not by losing output */
        if (n < 0)
            return off > 0 ? (ssize_t)off : -1; /* errno says why (EPIPE, ENOSPC...) */
        off += (size_t)n;
    }
    return (ssize_t)size;
}

static int stream_close(void *cookie)
{
    (void)cookie; /* the descriptor is the caller's */
    return 0;
}

FILE *ddf_progress_bar_stream(ddf_progress_bar *bar, int fd)
{
    cookie_io_functions_t io = {.read = NULL, .write = stream_write, .seek = NULL,
                                .close = stream_close};
    FILE *f;

    bar->fd = fd;
    f = fopencookie(bar, "w", io);
    if (f != NULL)
        setvbuf(f, NULL, _IOLBF, BUFSIZ);
    return f;
}
