/* progress.h - the progress bar `ddf` draws on stderr while a long action runs (DESIGN §7):
 *
 *     [########            ]  12/40 partitions  1.2M rows/s  3.4s
 *
 * It is fed by libddf's progress callback (ddf_client_set_progress), shows up only on a
 * terminal and only once an action has run for DDF_PROGRESS_DELAY_MS (short actions never
 * flash a bar), is redrawn in place with '\r' at most every DDF_PROGRESS_INTERVAL_MS, and
 * is wiped when the action ends so that results print on a clean line. Drawing uses only
 * '\r' and spaces, no terminal escapes, so it works on any terminal, TERM=dumb included.
 *
 * Not thread-safe: a bar belongs to the thread that runs the actions. */
#ifndef DDF_PROGRESS_H
#define DDF_PROGRESS_H

#include "ddf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DDF_PROGRESS_DELAY_MS 500.0   /* an action shorter than this shows no bar */
#define DDF_PROGRESS_INTERVAL_MS 100.0 /* at most ten redraws a second */
#define DDF_PROGRESS_MIN_WIDTH 20u    /* narrower terminals get no bar at all */
#define DDF_PROGRESS_MAX_WIDTH 200u   /* wider ones are drawn this wide */
#define DDF_PROGRESS_BAR_CELLS 30u    /* the [####  ] part at most, when there is room */

/* Render the line for 'p' to fit 'width' columns (a terminal's width; the line stays one
 * column short of it so the cursor never wraps) into 'buf' of 'cap' bytes, always
 * NUL-terminated when cap > 0. Returns the line's length, which is also its width in
 * columns (the text is ASCII); 0 when width < DDF_PROGRESS_MIN_WIDTH. */
size_t ddf_progress_render(char *buf, size_t cap, const ddf_progress *p, unsigned width);

typedef struct ddf_progress_bar ddf_progress_bar; /* opaque */

/* A bar drawn on 'out' (borrowed; normally stderr). When 'enabled' is false (stderr is not
 * a terminal) every call below does nothing. NULL when out of memory. */
ddf_progress_bar *ddf_progress_bar_new(FILE *out, bool enabled);

/* Wipe the bar if it is shown, then free. NULL is a no-op. */
void ddf_progress_bar_free(ddf_progress_bar *bar);

/* Take one progress report: draw or redraw the bar when due, wipe it when the action has
 * finished. Its signature fits ddf_progress_fn with the bar as 'arg'. */
void ddf_progress_bar_update(void *bar, const ddf_progress *p);

/* Wipe the bar from the screen now (before other output on the same terminal); it is
 * drawn again at the next due report. */
void ddf_progress_bar_clear(ddf_progress_bar *bar);

/* Whether the bar is on the screen now. */
bool ddf_progress_bar_is_shown(const ddf_progress_bar *bar);

/* A stream writing to file descriptor 'fd' that wipes the bar before each write, for the
 * results of a program whose stdout is the same terminal as the bar's stderr: rows printed
 * while an action streams then scroll above the bar instead of running into it. Line
 * buffered; write errors set errno as write(2) does (EPIPE...). The caller fcloses it
 * (which does not close 'fd') before freeing the bar. NULL when out of memory. */
FILE *ddf_progress_bar_stream(ddf_progress_bar *bar, int fd);

#endif
