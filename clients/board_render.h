/*
 * board_render.h: one frame of the waiting-room board (antre board), laid
 * out to fit a terminal of any size: the event's name and clock, the newest
 * call with its code in large block letters, the tickets at the other
 * desks, the waiting per stage, the people in observation and the doses of
 * the day.  Labels in Bahasa Indonesia, output in UTF-8.
 *
 * Rendering is pure: no I/O, no clock, no terminal state.  The caller says
 * what to show and how large, and writes the text where it wants.
 */
#ifndef ANTRE_BOARD_RENDER_H
#define ANTRE_BOARD_RENDER_H

#include <stdint.h>

#include "protocol.h"

#define BOARD_RENDER_MAX_W 1000     /* larger sizes are clipped to these */
#define BOARD_RENDER_MAX_H 500

/* What a frame shows.  Everything is the caller's and only read. */
struct board_view {
	const char *title;           /* the event's name; NULL or "" until known */
	const struct board *board;   /* NULL until the first snapshot */
	int utc_offset_s;            /* the event's UTC offset: clock and times */
	int64_t now_ms;              /* for the clock in the title; 0: no clock */
	int flash;                   /* 1: the newest call shows in reverse video */
	const char *status;          /* a line kept on screen ("TERPUTUS …"), or NULL */
};

enum board_out {
	BOARD_OUT_PLAIN,             /* lines of text, no escape sequence at all */
	BOARD_OUT_ANSI,              /* every row placed with CUP, padded to the width, SGR */
};

/*
 * Lays out one frame of `width` x `height` cells and returns it as a new
 * NUL-terminated string the caller frees; NULL when out of memory.
 *
 * height 0 means as tall as the content (for --once): the frame is then
 * never cut, and the code is drawn no larger than 7 rows.  Otherwise the
 * sections shrink to fit (smaller block letters, then plain text; lists cut
 * with "+N lagi"), the status line and the dose count staying on the last
 * rows.  BOARD_OUT_ANSI positions each row itself and fills it to the full
 * width, so it assumes autowrap is off and clears nothing; BOARD_OUT_PLAIN
 * ends each line with "\n" and drops trailing blanks.
 */
char *board_render(const struct board_view *v, int width, int height, enum board_out out);

#endif
