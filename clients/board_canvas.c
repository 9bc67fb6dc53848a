/* board_canvas.c: the grid of cells a board frame is drawn on, and its
 * output as plain text or positioned ANSI rows (board_canvas.h). */
#include "board_canvas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing output string. */
struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

/* ---- text --------------------------------------------------------------- */

/*
 * The next character of *s into g (NUL-padded), *s moved past it.  Control
 * characters (C0, DEL, C1) and malformed UTF-8 come out as '?', so nothing
 * from the server can reach the terminal as an escape sequence.
 */
static void utf8_next(const char **s, char g[4])
{
	const unsigned char *p = (const unsigned char *)*s;
	int n = 0;

	memset(g, 0, 4);
	if (p[0] < 0x80)
		n = 1;
	else if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			n = 0;
	if (n > 1 && ((p[0] == 0xc2 && p[1] < 0xa0) ||        /* C1 controls */
	    (p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
		n = 0;
	if (n == 1 && (p[0] < 0x20 || p[0] == 0x7f))
		n = 0;
	if (n == 0) {
		g[0] = '?';
		*s += 1;
		return;
	}
	memcpy(g, p, (size_t)n);
	*s += n;
}

/* Cells the text takes: one a character. */
int canvas_text_width(const char *s)
{
	char g[4];
	int n = 0;

	while (*s) {
		utf8_next(&s, g);
		n++;
	}
	return n;
}

/* ---- canvas ------------------------------------------------------------- */

/* The row, or NULL when it is outside a bounded frame (or memory ran out). */
struct cell *canvas_row(struct canvas *cv, int y)
{
	if (y < 0 || cv->failed)
		return NULL;
	if (y >= cv->h) {
		struct cell *c;
		int h = cv->h ? cv->h : 32;

		if (cv->bounded || y >= BOARD_RENDER_MAX_H * 4)
			return NULL;
		while (h <= y)
			h *= 2;
		if ((c = realloc(cv->cells, (size_t)h * (size_t)cv->w * sizeof *c)) == NULL) {
			cv->failed = 1;
			return NULL;
		}
		memset(c + (size_t)cv->h * (size_t)cv->w, 0,
		    (size_t)(h - cv->h) * (size_t)cv->w * sizeof *c);
		cv->cells = c;
		cv->h = h;
	}
	return cv->cells + (size_t)y * (size_t)cv->w;
}

/* n cells from (y, x) set to the character g ("" for blanks) with attr. */
void canvas_fill(struct canvas *cv, int y, int x, int n, unsigned char attr, const char *g)
{
	struct cell *row = canvas_row(cv, y);

	if (row == NULL)
		return;
	for (int i = x < 0 ? 0 : x; i < x + n && i < cv->w; i++) {
		memset(row[i].g, 0, sizeof row[i].g);
		memcpy(row[i].g, g, strnlen(g, sizeof row[i].g));
		row[i].attr = attr;
	}
}

/*
 * Writes text at (y, x) in at most `max` cells (and within the frame); a
 * text that does not fit ends in "…".  Returns the cells written.
 */
int canvas_put(struct canvas *cv, int y, int x, int max, unsigned char attr, const char *text)
{
	struct cell *row = canvas_row(cv, y);
	int w = canvas_text_width(text), n = 0;
	char g[4];

	if (row == NULL || x < 0 || x >= cv->w)
		return 0;
	if (max > cv->w - x)
		max = cv->w - x;
	if (max <= 0)
		return 0;
	while (*text && n < max) {
		utf8_next(&text, g);
		if (w > max && n == max - 1)
			memcpy(g, "\xe2\x80\xa6", 4);   /* … */
		memcpy(row[x + n].g, g, 4);
		row[x + n].attr = attr;
		n++;
	}
	return n;
}

/* The text centred on row y. */
void canvas_put_centred(struct canvas *cv, int y, unsigned char attr, const char *text)
{
	int w = canvas_text_width(text), x = (cv->w - w) / 2;

	canvas_put(cv, y, x < 0 ? 0 : x, cv->w, attr, text);
}

/* ---- output ------------------------------------------------------------- */

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->failed)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 4096;
		char *p;

		while (sb->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(sb->p, cap)) == NULL) {
			sb->failed = 1;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void sgr(struct sbuf *sb, unsigned char attr)
{
	char buf[32] = "\033[0";

	if (attr & AT_BOLD)
		strcat(buf, ";1");
	if (attr & AT_DIM)
		strcat(buf, ";2");
	if (attr & AT_REVERSE)
		strcat(buf, ";7");
	if (attr & AT_CODE)
		strcat(buf, ";33");
	if (attr & AT_ALERT)
		strcat(buf, ";1;37;41");
	strcat(buf, "m");
	sb_str(sb, buf);
}

/* Rows [0, rows) of the canvas as text. */
char *canvas_out(const struct canvas *cv, int rows, enum board_out out)
{
	struct sbuf sb = { NULL, 0, 0, 0 };
	char pos[32];

	sb_add(&sb, "", 0);
	for (int y = 0; y < rows; y++) {
		const struct cell *row = cv->cells + (size_t)y * (size_t)cv->w;
		int end = cv->w, attr = -1;

		if (out == BOARD_OUT_PLAIN)
			while (end > 0 && (row[end - 1].g[0] == '\0' || row[end - 1].g[0] == ' '))
				end--;
		else {
			snprintf(pos, sizeof pos, "\033[%d;1H", y + 1);
			sb_str(&sb, pos);
		}
		for (int x = 0; x < end; x++) {
			if (out == BOARD_OUT_ANSI && row[x].attr != attr) {
				attr = row[x].attr;
				sgr(&sb, row[x].attr);
			}
			if (row[x].g[0])
				sb_add(&sb, row[x].g, strnlen(row[x].g, sizeof row[x].g));
			else
				sb_add(&sb, " ", 1);
		}
		sb_str(&sb, out == BOARD_OUT_ANSI ? "\033[0m" : "\n");
	}
	if (sb.failed) {
		free(sb.p);
		return NULL;
	}
	return sb.p;
}
