/*
 * board_screen.c: what antre board shows, and the terminal it shows it on:
 * the picture kept from the stream's board, its deltas and calls, drawn by
 * board_render.c, written as plain ANSI rows (see cmd_board.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "board_ctx.h"
#include "board_render.h"
#include "cli.h"

#define FLASH_MS 6000             /* a call flashes this long */
#define FLASH_PHASE_MS 500

#define MSG_LOST "TERPUTUS \xe2\x80\x94 menyambung ulang\xe2\x80\xa6"
#define MSG_CONNECTING "Menyambung ke server\xe2\x80\xa6"

int64_t board_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void board_fatal(struct board_ctx *b, const char *msg)
{
	snprintf(b->fatal, sizeof b->fatal, "%s", msg);
	b->exit_code = CLI_EXIT_FAIL;
	b->done = 1;
	event_base_loopexit(b->base, NULL);
}

/* ---- the screen --------------------------------------------------------- */

/* Writes all of buf to standard output; -1 when the terminal is gone. */
static int out_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int env_int(const char *name, int dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 && v <= 10000 ? (int)v : dflt;
}

/* The frame's size: --width/--height, else the terminal's, else COLUMNS
 * and LINES, else 80x24. */
void board_screen_size(struct board_ctx *b)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		b->w = ws.ws_col;
		b->h = ws.ws_row;
	} else {
		b->w = env_int("COLUMNS", 80);
		b->h = env_int("LINES", 24);
	}
	if (b->width)
		b->w = b->width;
	if (b->height)
		b->h = b->height;
}

/* The alternate screen, cursor hidden, autowrap off (a full last row must
 * not scroll), cleared; and keys typed on the terminal not echoed over the
 * board (Ctrl-C still works). */
void board_screen_enter(struct board_ctx *b)
{
	static const char seq[] = "\033[?1049h\033[?25l\033[?7l\033[0m\033[2J";
	struct termios tio;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &b->saved_tio) == 0) {
		tio = b->saved_tio;
		tio.c_lflag &= ~(tcflag_t)ECHO;
		b->echo_off = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}
	if (out_write(seq, sizeof seq - 1) == 0)
		b->tty = 1;
}

void board_screen_leave(struct board_ctx *b)
{
	static const char seq[] = "\033[0m\033[2J\033[?7h\033[?25h\033[?1049l";

	if (b->tty)
		(void)out_write(seq, sizeof seq - 1);
	b->tty = 0;
	if (b->echo_off)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &b->saved_tio);
	b->echo_off = 0;
}

static int flash_phase(const struct board_ctx *b, int64_t now)
{
	if (b->flash_from == 0 || now - b->flash_from >= FLASH_MS || now < b->flash_from)
		return -1;
	return (int)((now - b->flash_from) / FLASH_PHASE_MS);
}

static void view_fill(struct board_ctx *b, struct board_view *v, int64_t now)
{
	int phase = flash_phase(b, now);

	memset(v, 0, sizeof *v);
	v->title = b->have_name ? b->name : NULL;
	v->board = b->have_board ? &b->board : NULL;
	v->utc_offset_s = b->utc_offset_s;
	v->now_ms = now;
	v->flash = phase >= 0 && phase % 2 == 0;
	if (b->state != LINK_LIVE)
		v->status = b->failures > 0 ? MSG_LOST : MSG_CONNECTING;
}

void board_redraw(struct board_ctx *b)
{
	struct board_view v;
	int64_t now = board_now_ms();
	char *frame;

	if (!b->tty || b->done)
		return;
	view_fill(b, &v, now);
	b->shown_minute = (now + b->utc_offset_s * 1000LL) / 60000;
	b->shown_phase = flash_phase(b, now);
	if ((frame = board_render(&v, b->w, b->h, BOARD_OUT_ANSI)) == NULL) {
		board_fatal(b, "out of memory");
		return;
	}
	if (out_write(frame, strlen(frame)) == -1) {
		/* the terminal went away: nobody to show anything to */
		b->tty = 0;
		board_fatal(b, "cannot write to the terminal");
	}
	free(frame);
}

void board_screen_resized(struct board_ctx *b)
{
	board_screen_size(b);
	if (b->tty)
		(void)out_write("\033[0m\033[2J", 8);
	board_redraw(b);
}

void board_screen_tick(struct board_ctx *b)
{
	int64_t now = board_now_ms();

	if ((now + b->utc_offset_s * 1000LL) / 60000 != b->shown_minute ||
	    flash_phase(b, now) != b->shown_phase)
		board_redraw(b);
}

/* --once: the frame, as plain text, and the end of the run. */
static void print_once(struct board_ctx *b)
{
	struct board_view v;
	char *frame;
	int w = b->width ? b->width : env_int("COLUMNS", 80);

	view_fill(b, &v, board_now_ms());
	v.status = NULL;
	v.flash = 0;
	if ((frame = board_render(&v, w, b->height, BOARD_OUT_PLAIN)) == NULL) {
		board_fatal(b, "out of memory");
		return;
	}
	fputs(frame, stdout);
	free(frame);
	b->done = 1;
	event_base_loopexit(b->base, NULL);
}

/* ---- what the stream says ----------------------------------------------- */

/* A call into the picture: among the last calls (protocol's merge, as the
 * delta that follows will have it), and its desk's ticket at once. */
static void board_apply_call(struct board *bd, const struct call *c)
{
	if (!proto_board_add_call(bd, c))
		return;                  /* the board has it already */
	for (int i = 0; i < bd->nstations; i++)
		if (strcmp(bd->stations[i].id, c->station) == 0) {
			snprintf(bd->stations[i].ticket_id, sizeof bd->stations[i].ticket_id, "%s",
			    c->ticket_id);
			snprintf(bd->stations[i].ticket_code, sizeof bd->stations[i].ticket_code, "%s",
			    c->code);
		}
}

static void on_board(struct board_ctx *b, const cJSON *j)
{
	char err[PROTO_ERR_MAX];

	if (proto_board_decode(j, &b->scratch, err) == -1)
		return;                  /* a board antre cannot read: keep the last one */
	b->board = b->scratch;
	b->have_board = 1;
	b->utc_offset_s = cli_utc_offset(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
	    "at")));
	/* a snapshot taken before the newest call (they race) must not hide it */
	if (b->have_call && b->last_call.at > b->board.at)
		board_apply_call(&b->board, &b->last_call);
	if (b->once)
		print_once(b);
	else
		board_redraw(b);
}

/* What changed on the board since the last board or delta (PROTOCOL.md,
 * "Deltas"); one antre cannot read changes nothing. */
static void on_delta(struct board_ctx *b, const cJSON *j)
{
	static struct board_delta d;   /* large: off the stack */
	char err[PROTO_ERR_MAX];

	if (!b->have_board || proto_board_delta_decode(j, &d, err) == -1)
		return;
	proto_board_apply(&b->board, &d);
	if (!b->once)
		board_redraw(b);
}

/* A station paused or resumed: that station of the picture, at once. */
static void on_station(struct board_ctx *b, const cJSON *j)
{
	char err[PROTO_ERR_MAX];
	struct station s;

	if (!b->have_board || proto_station_decode(j, &s, err) == -1)
		return;
	proto_board_set_station(&b->board, &s);
	if (!b->once)
		board_redraw(b);
}

static void on_call(struct board_ctx *b, const cJSON *j)
{
	char err[PROTO_ERR_MAX];
	struct call c;

	if (proto_call_decode(j, &c, err) == -1)
		return;
	b->last_call = c;
	b->have_call = 1;
	if (b->have_board)
		board_apply_call(&b->board, &c);
	b->flash_from = board_now_ms();
	board_redraw(b);
}

int board_on_event(void *arg, const char *type, const char *data, size_t len,
    const char *id)
{
	struct board_ctx *b = arg;
	cJSON *j;

	snprintf(b->last_id, sizeof b->last_id, "%s", id);
	if (data == NULL)
		return b->done;
	if (b->events_here++ == 0)
		b->backoff_s = 1;        /* the server is back for real */
	if (strcmp(type, "board") == 0 || strcmp(type, "call") == 0 ||
	    strcmp(type, "delta") == 0 || strcmp(type, "station") == 0) {
		if ((j = cJSON_ParseWithLength(data, len)) != NULL) {
			if (type[0] == 'b')
				on_board(b, j);
			else if (type[0] == 'd')
				on_delta(b, j);
			else if (type[0] == 's')
				on_station(b, j);
			else
				on_call(b, j);
			cJSON_Delete(j);
		}
	}
	/* ticket: the delta that follows shows it */
	return b->done;
}
