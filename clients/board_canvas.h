/*
 * board_canvas.h: private to board_render.c and board_canvas.c.  The grid
 * of cells a board frame is drawn on, and its output as plain text or as
 * positioned ANSI rows.  One cell holds one character.
 */
#ifndef ANTRE_BOARD_CANVAS_H
#define ANTRE_BOARD_CANVAS_H

#include "board_render.h"

/* Cell attributes, as SGR parameters at output. */
enum {
	AT_BOLD = 1,
	AT_REVERSE = 2,
	AT_DIM = 4,
	AT_CODE = 8,                 /* the called code: yellow */
	AT_ALERT = 16,               /* the status line: white on red */
};

struct cell {
	char g[4];                   /* one UTF-8 character, NUL-padded; "" is a blank */
	unsigned char attr;
};

/* The frame being drawn.  Unbounded (height 0), rows are added as drawn. */
struct canvas {
	int w, h;
	int bounded;
	struct cell *cells;          /* w * h, row by row */
	int failed;                  /* out of memory: the frame is lost */
};

/* Cells the text takes: one a character. */
int canvas_text_width(const char *s);
/* The row, or NULL when it is outside a bounded frame (or memory ran out). */
struct cell *canvas_row(struct canvas *cv, int y);
/* n cells from (y, x) set to the character g ("" for blanks) with attr. */
void canvas_fill(struct canvas *cv, int y, int x, int n, unsigned char attr, const char *g);
/* Writes text at (y, x) in at most `max` cells (and within the frame); a
 * text that does not fit ends in "…".  Returns the cells written. */
int canvas_put(struct canvas *cv, int y, int x, int max, unsigned char attr, const char *text);
/* The text centred on row y. */
void canvas_put_centred(struct canvas *cv, int y, unsigned char attr, const char *text);
/* Rows [0, rows) of the canvas as a new string (the caller frees), or NULL
 * when out of memory. */
char *canvas_out(const struct canvas *cv, int rows, enum board_out out);

#endif
