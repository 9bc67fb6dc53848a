/*
 * board_render.c: the waiting-room board's frame, drawn on a grid of cells
 * and then written out as plain text or as positioned ANSI rows.
 *
 * From top to bottom: the title bar (event name, clock), "SEDANG
 * DIPANGGIL" with the newest call's code in block letters and where to go,
 * then the waiting per stage beside the other desks' tickets (one column
 * under 64 cells), the people in observation with their leave times, and
 * at the bottom the status line (when the caller has one) and the doses of
 * the day.  One cell holds one character: the labels and codes are ASCII;
 * names from the event are taken as one cell a character.
 */
#include "board_render.h"
#include "board_canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_COLUMNS_MIN 64           /* narrower: the lists go one under the other */

/* ---- fonts -------------------------------------------------------------- */

struct glyph {
	char ch;
	const char *rows[7];
};

struct font {
	const struct glyph *glyphs;
	size_t n;
	int w, h;
};

/* 5x7, for the called code. */
static const struct glyph glyphs7[] = {
	{ '0', { ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###." } },
	{ '1', { "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###." } },
	{ '2', { ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####" } },
	{ '3', { "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###." } },
	{ '4', { "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#." } },
	{ '5', { "#####", "#....", "####.", "....#", "....#", "#...#", ".###." } },
	{ '6', { "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###." } },
	{ '7', { "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..." } },
	{ '8', { ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###." } },
	{ '9', { ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.." } },
	{ '-', { ".....", ".....", ".....", "#####", ".....", ".....", "....." } },
	{ 'A', { ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#" } },
	{ 'B', { "####.", "#...#", "#...#", "####.", "#...#", "#...#", "####." } },
	{ 'C', { ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###." } },
	{ 'D', { "###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###.." } },
	{ 'E', { "#####", "#....", "#....", "####.", "#....", "#....", "#####" } },
	{ 'F', { "#####", "#....", "#....", "####.", "#....", "#....", "#...." } },
	{ 'G', { ".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####" } },
	{ 'H', { "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#" } },
	{ 'I', { ".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###." } },
	{ 'J', { "..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.." } },
	{ 'K', { "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#" } },
	{ 'L', { "#....", "#....", "#....", "#....", "#....", "#....", "#####" } },
	{ 'M', { "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#" } },
	{ 'N', { "#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#" } },
	{ 'O', { ".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###." } },
	{ 'P', { "####.", "#...#", "#...#", "####.", "#....", "#....", "#...." } },
	{ 'Q', { ".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#" } },
	{ 'R', { "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#" } },
	{ 'S', { ".####", "#....", "#....", ".###.", "....#", "....#", "####." } },
	{ 'T', { "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.." } },
	{ 'U', { "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###." } },
	{ 'V', { "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.." } },
	{ 'W', { "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#." } },
	{ 'X', { "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#" } },
	{ 'Y', { "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.." } },
	{ 'Z', { "#####", "....#", "...#.", "..#..", ".#...", "#....", "#####" } },
};

/* 3x5, when 5x7 does not fit. */
static const struct glyph glyphs5[] = {
	{ '0', { "###", "#.#", "#.#", "#.#", "###" } },
	{ '1', { ".#.", "##.", ".#.", ".#.", "###" } },
	{ '2', { "###", "..#", "###", "#..", "###" } },
	{ '3', { "###", "..#", ".##", "..#", "###" } },
	{ '4', { "#.#", "#.#", "###", "..#", "..#" } },
	{ '5', { "###", "#..", "###", "..#", "###" } },
	{ '6', { "###", "#..", "###", "#.#", "###" } },
	{ '7', { "###", "..#", "..#", "..#", "..#" } },
	{ '8', { "###", "#.#", "###", "#.#", "###" } },
	{ '9', { "###", "#.#", "###", "..#", "###" } },
	{ '-', { "...", "...", "###", "...", "..." } },
	{ 'A', { ".#.", "#.#", "###", "#.#", "#.#" } },
	{ 'B', { "##.", "#.#", "##.", "#.#", "##." } },
	{ 'C', { ".##", "#..", "#..", "#..", ".##" } },
	{ 'D', { "##.", "#.#", "#.#", "#.#", "##." } },
	{ 'E', { "###", "#..", "##.", "#..", "###" } },
	{ 'F', { "###", "#..", "##.", "#..", "#.." } },
	{ 'G', { ".##", "#..", "#.#", "#.#", ".##" } },
	{ 'H', { "#.#", "#.#", "###", "#.#", "#.#" } },
	{ 'I', { "###", ".#.", ".#.", ".#.", "###" } },
	{ 'J', { "..#", "..#", "..#", "#.#", ".#." } },
	{ 'K', { "#.#", "#.#", "##.", "#.#", "#.#" } },
	{ 'L', { "#..", "#..", "#..", "#..", "###" } },
	{ 'M', { "#.#", "###", "###", "#.#", "#.#" } },
	{ 'N', { "##.", "#.#", "#.#", "#.#", "#.#" } },
	{ 'O', { ".#.", "#.#", "#.#", "#.#", ".#." } },
	{ 'P', { "##.", "#.#", "##.", "#..", "#.." } },
	{ 'Q', { ".#.", "#.#", "#.#", "##.", ".##" } },
	{ 'R', { "##.", "#.#", "##.", "#.#", "#.#" } },
	{ 'S', { ".##", "#..", ".#.", "..#", "##." } },
	{ 'T', { "###", ".#.", ".#.", ".#.", ".#." } },
	{ 'U', { "#.#", "#.#", "#.#", "#.#", "###" } },
	{ 'V', { "#.#", "#.#", "#.#", "#.#", ".#." } },
	{ 'W', { "#.#", "#.#", "###", "###", "#.#" } },
	{ 'X', { "#.#", "#.#", ".#.", "#.#", "#.#" } },
	{ 'Y', { "#.#", "#.#", ".#.", ".#.", ".#." } },
	{ 'Z', { "###", "..#", ".#.", "#..", "###" } },
};

static const struct font font7 = { glyphs7, sizeof glyphs7 / sizeof glyphs7[0], 5, 7 };
static const struct font font5 = { glyphs5, sizeof glyphs5 / sizeof glyphs5[0], 3, 5 };

/* A size for the block letters: each font pixel is xs cells wide and ys
 * rows high (terminal cells are about twice as high as wide). */
struct bigsize {
	const struct font *f;
	int xs, ys;
};

/* Largest first. */
static const struct bigsize bigsizes[] = {
	{ &font7, 6, 3 },
	{ &font7, 4, 2 },
	{ &font7, 3, 2 },
	{ &font7, 2, 1 },
	{ &font5, 2, 1 },
	{ &font5, 1, 1 },
};
#define NBIGSIZES (int)(sizeof bigsizes / sizeof bigsizes[0])
#define BIGSIZE_ONCE 3               /* the largest for unbounded frames */

static const struct glyph *glyph_find(const struct font *f, char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	for (size_t i = 0; i < f->n; i++)
		if (f->glyphs[i].ch == ch)
			return &f->glyphs[i];
	return NULL;
}

/* The block letters' width in cells, or -1 when a character has no glyph. */
static int big_width(const struct bigsize *s, const char *code)
{
	int n = (int)strlen(code);

	if (n == 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (glyph_find(s->f, code[i]) == NULL)
			return -1;
	return n * s->f->w * s->xs + (n - 1) * s->xs;
}

/* ---- text --------------------------------------------------------------- */

static void tfmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* "09:41" of `ms` on the event's clock. */
static void clock_hm(int64_t ms, int off, char *buf, size_t size)
{
	char full[40];

	proto_time_format(ms, off, full, sizeof full);
	tfmt(buf, size, "%.5s", full + 11);
}

/* Indonesia's zones by their offset, else "UTC+hh:mm". */
static void zone_name(int off, char *buf, size_t size)
{
	if (off == 7 * 3600)
		tfmt(buf, size, "WIB");
	else if (off == 8 * 3600)
		tfmt(buf, size, "WITA");
	else if (off == 9 * 3600)
		tfmt(buf, size, "WIT");
	else
		tfmt(buf, size, "UTC%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
		    abs(off) % 3600 / 60);
}

/* ---- the board's content ------------------------------------------------ */

static const char *stage_name(const struct board *b, const char *stage)
{
	for (int i = 0; b && i < b->nstages; i++)
		if (strcmp(b->stages[i].id, stage) == 0)
			return b->stages[i].name[0] ? b->stages[i].name : b->stages[i].id;
	return stage;
}

static const struct call *newest_call(const struct board_view *v)
{
	return v->board && v->board->ncalls > 0 ? &v->board->calls[0] : NULL;
}

/* The desks holding a ticket, but the one of the newest call (shown big). */
static int other_desk(const struct board_view *v, int i)
{
	const struct station *s = &v->board->stations[i];
	const struct call *c = newest_call(v);

	if (s->ticket_code[0] == '\0')
		return 0;
	return !(c && strcmp(c->station, s->id) == 0 && strcmp(c->code, s->ticket_code) == 0);
}

/* "A-015  Skrining 2" */
static void desk_text(const struct board_view *v, int i, char *buf, size_t size)
{
	const struct station *s = &v->board->stations[i];

	tfmt(buf, size, "%s  %s %d", s->ticket_code, stage_name(v->board, s->stage), s->number);
}

/* "A-009 10:02" */
static void hold_text(const struct board_view *v, int i, char *buf, size_t size)
{
	const struct board_hold *h = &v->board->holds[i];
	char hm[16];

	if (h->until > 0)
		clock_hm(h->until, v->utc_offset_s, hm, sizeof hm);
	else
		tfmt(hm, sizeof hm, "-");
	tfmt(buf, size, "%s %s", h->code, hm);
}

typedef void item_text(const struct board_view *v, int i, char *buf, size_t size);

/*
 * A list of short items in columns of equal width (downwards first), in
 * `width` cells from column x and at most `rows` rows (rows < 0: as many as
 * needed).  When they do not all fit, the last place says "+N lagi".
 * `pick` chooses the items among `n`; `draw` 0 only counts.  Returns the
 * rows used.
 */
static int grid(struct canvas *cv, int y, int x, int width, int rows, int draw,
    const struct board_view *v, int n, int (*pick)(const struct board_view *, int),
    item_text *text)
{
	int idx[PROTO_MAX_STATIONS + PROTO_MAX_HOLDS], m = 0, itemw = 1, cols, need, shown;
	char buf[160];

	for (int i = 0; i < n; i++)
		if (pick == NULL || pick(v, i)) {
			idx[m++] = i;
			text(v, i, buf, sizeof buf);
			if (canvas_text_width(buf) > itemw)
				itemw = canvas_text_width(buf);
		}
	if (m == 0 || width <= 0 || rows == 0)
		return 0;
	cols = (width + 3) / (itemw + 3);
	if (cols < 1)
		cols = 1;
	need = (m + cols - 1) / cols;
	if (rows < 0 || need <= rows)
		rows = need;
	shown = m <= rows * cols ? m : rows * cols - 1;
	if (!draw)
		return rows;
	/* fill the columns evenly: as few rows as the shown items need */
	need = (shown + (shown < m) + cols - 1) / cols;
	if (need < rows)
		rows = need;
	for (int k = 0; k < shown; k++) {
		int cx = x + k / rows * (itemw + 3), cy = y + k % rows;
		text(v, idx[k], buf, sizeof buf);
		canvas_put(cv, cy, cx, x + width - cx, 0, buf);
	}
	if (shown < m) {
		int cx = x + shown / rows * (itemw + 3);
		tfmt(buf, sizeof buf, "+%d lagi", m - shown);
		canvas_put(cv, y + shown % rows, cx, x + width - cx, AT_DIM, buf);
	}
	return rows;
}

/* One stage's waiting line: "Pendaftaran   12 orang   20–30 menit" (the
 * range a regular newcomer can expect, as the person's page words it),
 * "< 5 menit" when it ends within five minutes; an older daemon's eta_s
 * alone as "± 8 menit". */
static void stage_line(struct canvas *cv, int y, int x, int width, int namew,
    const struct board_stage *s)
{
	const int *r = s->eta_range_s;
	char buf[64];

	canvas_put(cv, y, x, namew, 0, s->name[0] ? s->name : s->id);
	tfmt(buf, sizeof buf, "%4d orang", s->waiting);
	canvas_put(cv, y, x + namew, width - namew, AT_BOLD, buf);
	if (s->waiting == 0 || s->eta_s < 0)
		return;
	if (r[0] >= 0 && r[1] >= r[0] && (r[1] + 30) / 60 <= 5)
		tfmt(buf, sizeof buf, "< 5 menit");
	else if (r[0] >= 0 && r[1] >= r[0])
		tfmt(buf, sizeof buf, "%d\xe2\x80\x93%d menit", (r[0] + 30) / 60, (r[1] + 30) / 60);
	else if (s->eta_s < 60)
		tfmt(buf, sizeof buf, "< 1 menit");
	else
		tfmt(buf, sizeof buf, "\xc2\xb1 %d menit", (s->eta_s + 59) / 60);
	canvas_put(cv, y, x + namew + 13, width - namew - 13, 0, buf);
}

/* The waiting list: a header and one line a stage.  Returns rows used. */
static int draw_waiting(struct canvas *cv, int y, int x, int width, int rows,
    const struct board_view *v)
{
	const struct board *b = v->board;
	int namew = 0, n = 0;

	if (rows == 0)
		return 0;
	for (int i = 0; i < b->nstages; i++) {
		int w = canvas_text_width(b->stages[i].name[0] ? b->stages[i].name : b->stages[i].id);
		if (w > namew)
			namew = w;
	}
	/* long names are cut to leave room for the minutes ("120–150 menit"),
	 * but keep 12 cells */
	namew += 1;
	if (namew > 12 && namew > width - 26)
		namew = width - 26 > 12 ? width - 26 : 12;
	canvas_put(cv, y, x, width, AT_BOLD, "ANTREAN MENUNGGU");
	for (n = 1; n - 1 < b->nstages && (rows < 0 || n < rows); n++)
		stage_line(cv, y + n, x, width, namew, &b->stages[n - 1]);
	return n;
}

static int pick_desk(const struct board_view *v, int i)
{
	return other_desk(v, i);
}

/* The other desks' tickets: header and grid; 0 rows when there are none. */
static int draw_desks(struct canvas *cv, int y, int x, int width, int rows, int draw,
    const struct board_view *v)
{
	int n;

	if (rows == 0 || rows == 1)
		return 0;
	n = grid(cv, y + 1, x, width, rows < 0 ? -1 : rows - 1, draw, v, v->board->nstations,
	    pick_desk, desk_text);
	if (n == 0)
		return 0;
	if (draw)
		canvas_put(cv, y, x, width, AT_BOLD, "DI MEJA LAIN");
	return n + 1;
}

/* People in observation: header and grid of codes with leave times. */
static int draw_holds(struct canvas *cv, int y, int width, int rows, int draw,
    const struct board_view *v)
{
	int n;

	if (rows == 0 || rows == 1 || v->board->nholds == 0)
		return 0;
	n = grid(cv, y + 1, 1, width - 2, rows < 0 ? -1 : rows - 1, draw, v, v->board->nholds,
	    NULL, hold_text);
	if (draw)
		canvas_put(cv, y, 1, width - 2, AT_BOLD, "OBSERVASI \xe2\x80\x94 boleh pulang pukul");
	return n + 1;
}

/*
 * The lists under the call: waiting and other desks side by side (or one
 * under the other when narrow), then observation.  rows < 0: all of them;
 * draw 0: only the rows they would take.
 */
static int draw_lists(struct canvas *cv, int y, int rows, int draw, const struct board_view *v)
{
	int w = cv->w, two = w >= TWO_COLUMNS_MIN, used, left, right, x2, left_w, right_w;
	struct canvas none = { w, 0, 1, NULL, 0 };
	struct canvas *dc = draw ? cv : &none;   /* counting draws nowhere */

	if (v->board == NULL || rows == 0)
		return 0;
	left_w = two ? w / 2 - 2 : w - 2;
	x2 = two ? w / 2 + 1 : 1;
	right_w = two ? w - x2 - 1 : w - 2;
	left = draw_waiting(dc, y, 1, left_w, rows, v);
	if (two) {
		right = draw_desks(dc, y, x2, right_w, rows, draw, v);
		used = left > right ? left : right;
	} else {
		right = rows < 0 || rows - left - 1 > 0 ?
		    draw_desks(dc, y + left + 1, x2, right_w, rows < 0 ? -1 : rows - left - 1,
		    draw, v) : 0;
		used = left + (right ? 1 + right : 0);
	}
	if (v->board->nholds > 0 && (rows < 0 || rows - used - 1 > 1))
		used += 1 + draw_holds(dc, y + used + 1, w, rows < 0 ? -1 : rows - used - 1, draw, v);
	return used;
}

/* The newest call: header, block letters (size s, or none), and where to go. */
static int draw_call(struct canvas *cv, int y, const struct bigsize *s,
    const struct board_view *v)
{
	const struct call *c = newest_call(v);
	unsigned char hi = v->flash ? AT_REVERSE : 0;
	char buf[PROTO_CODE_MAX + PROTO_NAME_MAX + 64];
	int y0 = y;

	canvas_put_centred(cv, y++, AT_BOLD, "SEDANG DIPANGGIL");
	if (v->board == NULL) {
		canvas_put_centred(cv, y++, AT_DIM, "Menunggu data antrean\xe2\x80\xa6");
		return y - y0;
	}
	if (c == NULL) {
		canvas_put_centred(cv, y++, AT_DIM, "Belum ada panggilan");
		return y - y0;
	}
	if (s) {
		int bw = big_width(s, c->code), n = (int)strlen(c->code);
		int x0 = (cv->w - bw) / 2, pad = s->xs * 2;

		/* the flash lights a box around the letters, a little wider */
		for (int r = 0; r < s->f->h * s->ys; r++)
			canvas_fill(cv, y + r, x0 - pad, bw + 2 * pad, hi | AT_CODE | AT_BOLD, "");
		for (int i = 0; i < n; i++) {
			const struct glyph *g = glyph_find(s->f, c->code[i]);
			int gx = x0 + i * (s->f->w + 1) * s->xs;
			for (int r = 0; r < s->f->h; r++)
				for (int k = 0; k < s->f->w; k++)
					if (g->rows[r][k] == '#')
						for (int yy = 0; yy < s->ys; yy++)
							canvas_fill(cv, y + r * s->ys + yy, gx + k * s->xs, s->xs,
							    hi | AT_CODE | AT_BOLD, "\xe2\x96\x88");
		}
		y += s->f->h * s->ys + 1;
	}
	tfmt(buf, sizeof buf, "Nomor %s silakan ke meja %s %d%s", c->code,
	    stage_name(v->board, c->stage), c->station_number, c->recall ? " (panggilan ulang)" : "");
	if (canvas_text_width(buf) + 2 > cv->w)      /* narrow: the essentials */
		tfmt(buf, sizeof buf, "%s \xe2\x86\x92 %s %d", c->code, stage_name(v->board, c->stage),
		    c->station_number);
	canvas_put_centred(cv, y++, hi | AT_BOLD, buf);
	return y - y0;
}

/* Rows the call block takes with block letters of size s (NULL: none). */
static int call_rows(const struct bigsize *s)
{
	return 2 + (s ? s->f->h * s->ys + 1 : 0);
}

/* The title bar: the event's name, and the clock on the right. */
static void draw_title(struct canvas *cv, const struct board_view *v)
{
	char clock[48], hm[16], zone[16];
	int room = cv->w - 2, cw;

	canvas_fill(cv, 0, 0, cv->w, AT_REVERSE | AT_BOLD, "");
	if (v->now_ms > 0 && v->board) {
		clock_hm(v->now_ms, v->utc_offset_s, hm, sizeof hm);
		zone_name(v->utc_offset_s, zone, sizeof zone);
		tfmt(clock, sizeof clock, "%s %s", hm, zone);
		cw = canvas_text_width(clock);
		if (cw + 2 <= cv->w / 3) {
			canvas_put(cv, 0, cv->w - cw - 1, cw, AT_REVERSE | AT_BOLD, clock);
			room -= cw + 3;
		}
	}
	canvas_put(cv, 0, 1, room, AT_REVERSE | AT_BOLD,
	    v->title && v->title[0] ? v->title : "Papan Antrean");
}

/* The dose count, and issued tickets and a progress bar where there is room. */
static void draw_footer(struct canvas *cv, int y, const struct board_view *v)
{
	const struct board *b = v->board;
	char left[80], right[48];
	int lw, rw, bar;

	if (b == NULL)
		return;
	if (b->target > 0)
		tfmt(left, sizeof left, "Dosis hari ini: %d / %d", b->doses_today, b->target);
	else
		tfmt(left, sizeof left, "Dosis hari ini: %d", b->doses_today);
	tfmt(right, sizeof right, "Tiket hari ini: %d", b->issued_today);
	lw = canvas_put(cv, y, 1, cv->w - 2, AT_BOLD, left);
	rw = canvas_text_width(right);
	if (lw + rw + 6 > cv->w)
		return;
	canvas_put(cv, y, cv->w - rw - 1, rw, 0, right);
	bar = cv->w - lw - rw - 8;
	if (bar > 40)
		bar = 40;
	if (b->target > 0 && bar >= 10) {
		int done = (int)((int64_t)bar * (b->doses_today > b->target ? b->target :
		    b->doses_today) / b->target);
		int x = 1 + lw + 3;
		canvas_fill(cv, y, x, done, 0, "\xe2\x96\x88");
		canvas_fill(cv, y, x + done, bar - done, AT_DIM, "\xe2\x96\x91");
	}
}

char *board_render(const struct board_view *v, int width, int height, enum board_out out)
{
	struct canvas cv;
	const struct bigsize *big = NULL;
	const struct call *c = newest_call(v);
	int y, bottom, rows, lists_all, lists_min, first;
	char *text;

	if (width < 1)
		width = 1;
	if (width > BOARD_RENDER_MAX_W)
		width = BOARD_RENDER_MAX_W;
	if (height > BOARD_RENDER_MAX_H)
		height = BOARD_RENDER_MAX_H;
	memset(&cv, 0, sizeof cv);
	cv.w = width;
	cv.bounded = height > 0;
	if (cv.bounded) {
		cv.h = height;
		if ((cv.cells = calloc((size_t)width * (size_t)height, sizeof *cv.cells)) == NULL)
			return NULL;
	}

	/* rows kept at the bottom: the status line, the doses */
	bottom = 1 + (v->status ? 1 : 0);
	lists_all = draw_lists(&cv, 0, -1, 0, v);
	lists_min = v->board ? 1 + v->board->nstages : 0;
	if (lists_min > lists_all)
		lists_min = lists_all;

	/* the largest letters that fit the width and leave the lists whole;
	 * else the largest leaving the waiting list; else plain text */
	first = cv.bounded ? 0 : BIGSIZE_ONCE;
	for (int pass = 0; c && pass < 2 && big == NULL; pass++)
		for (int i = first; i < NBIGSIZES && big == NULL; i++) {
			int bw = big_width(&bigsizes[i], c->code);
			int need = pass == 0 ? lists_all : lists_min;
			if (bw < 0 || bw + 2 > width)
				continue;
			/* title and blank, the call, blank and rule, lists, blank, bottom */
			if (!cv.bounded || 2 + call_rows(&bigsizes[i]) + 2 + need + 1 + bottom <= height)
				big = &bigsizes[i];
		}

	draw_title(&cv, v);
	y = 2;
	y += draw_call(&cv, y, big, v);
	y += 1;
	if (v->board) {
		canvas_fill(&cv, y, 0, width, AT_DIM, "\xe2\x94\x80");   /* ─ */
		y += 1;
		rows = cv.bounded ? height - bottom - y - 1 : -1;   /* -1: all */
		if (!cv.bounded || rows > 0)
			y += draw_lists(&cv, y, rows, 1, v);
	}
	if (cv.bounded) {
		/* the call may have run into the bottom rows of a tiny screen */
		y = height - bottom;
		for (int r = y; r < height; r++)
			canvas_fill(&cv, r, 0, width, 0, "");
	} else
		y += 1;
	if (v->status) {
		canvas_fill(&cv, y, 0, width, AT_ALERT, "");
		canvas_put_centred(&cv, y, AT_ALERT, v->status);
		y++;
	}
	draw_footer(&cv, y, v);
	y++;
	if (cv.failed || (!cv.bounded && canvas_row(&cv, y - 1) == NULL)) {
		free(cv.cells);
		return NULL;
	}
	text = canvas_out(&cv, cv.bounded ? height : y, out);
	free(cv.cells);
	return text;
}
