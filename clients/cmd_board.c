/*
 * cmd_board.c: antre board [EVENT]: the waiting-room board, full screen on
 * a terminal (a small computer driving a TV), live from the event's
 * stream.  `--once` prints one frame as plain text instead, for scripts.
 *
 * The link to the server is a small state machine driven by one timer,
 * the step: it opens a new connection, asks for the event's name once
 * (GET /v1/events/{ev}), then opens the stream (GET …/stream) and keeps it.
 * evhttp's callbacks only record what happened and arm the step; the
 * connection is freed by the next step, never inside its own callbacks.
 * When the stream ends or breaks, the board keeps its last picture with a
 * "TERPUTUS" line and the step runs again after 1, 2, 4, 8, then every 10
 * seconds, sending Last-Event-ID so that the server replays what was missed.
 *
 * The stream is read as it arrives (evhttp's chunked callback) by a small
 * Server-Sent Events parser: `board` snapshots replace the picture, `call`
 * events show at once (and flash), `ticket` and `station` events are left
 * to the board snapshot that follows them.
 *
 * The screen is plain ANSI: the alternate screen with the cursor hidden and
 * autowrap off, every row rewritten in place on each change (board_render.c
 * lays it out), the size from TIOCGWINSZ again on SIGWINCH.  SIGINT, SIGTERM
 * and SIGHUP end the loop, and the terminal is restored on the way out.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "board_render.h"
#include "cli.h"
#include "cli_http.h"

#define STREAM_IDLE_S 45          /* silent this long (3 heartbeats): the stream is dead */
#define BACKOFF_MAX_S 10
#define TICK_MS 250               /* the clock, and the flash */
#define FLASH_MS 6000             /* a call flashes this long */
#define FLASH_PHASE_MS 500
#define ONCE_TIMEOUT_S 15         /* --once: the first board must come by then */
#define SSE_MAX (1024 * 1024)     /* a line, or an event's data (a full board is ~40 KiB) */
#define INFO_MAX (1024 * 1024)    /* the event's definition */
#define ERRBODY_MAX 2048

#define MSG_LOST "TERPUTUS \xe2\x80\x94 menyambung ulang\xe2\x80\xa6"
#define MSG_CONNECTING "Menyambung ke server\xe2\x80\xa6"

enum { OPT_ONCE = 256, OPT_HEIGHT };

enum link_state {
	LINK_WAIT,                    /* nothing in flight: the step comes */
	LINK_INFO,                    /* GET /v1/events/{ev} in flight */
	LINK_OPENING,                 /* GET …/stream sent, no status yet */
	LINK_LIVE,                    /* the stream is open */
};

/* The Server-Sent Events parser (the WHATWG event stream format). */
struct sse {
	char *line;                   /* the line being received */
	size_t len, cap;
	int after_cr;                 /* a '\n' right after a '\r' ends no line */
	char type[32];                /* the event type buffer */
	char *data;                   /* the data buffer: lines joined by '\n' */
	size_t dlen, dcap;
	char id[64];                  /* the last event ID buffer; kept across events */
};

struct board_ctx {
	char event[PROTO_ID_MAX];
	struct cli_http_target t;     /* the server, from the URL */
	struct event_base *base;
	int once;
	int width, height;            /* --width, --height; 0: the terminal's */

	/* the link */
	enum link_state state;
	struct evhttp_connection *conn;  /* the latest; freed by the next step */
	struct evhttp_request *req;      /* in flight, evhttp's; NULL when none */
	int status;                      /* the stream reply's status, 0 until known */
	struct evbuffer *errbody;        /* a refused stream's body */
	int abort;                       /* drop this stream: the step is armed */
	int backoff_s;
	int failures;                    /* connections lost or refused so far */
	int events_here;                 /* events read on this connection */
	char why[256];                   /* the last failure, for --once */
	char last_id[64];                /* Last-Event-ID for the next stream */
	struct sse sse;

	/* what is shown */
	char name[PROTO_NAME_MAX];
	int have_name;
	struct board board, scratch;
	int have_board;
	int utc_offset_s;
	struct call last_call;           /* the newest call event */
	int have_call;
	int64_t flash_from;              /* ms; 0: no flash */

	/* the screen */
	int tty;                         /* the alternate screen is on */
	int echo_off;                    /* keys typed are not echoed: saved_tio */
	struct termios saved_tio;
	int w, h;
	int64_t shown_minute;
	int shown_phase;

	struct event *step_ev, *tick_ev, *once_ev;
	struct event *sig_ev[4];
	int done;
	int exit_code;
	char fatal[320];                 /* printed after the screen is restored */
};

static void link_arm(struct board_ctx *b, int seconds);
static void link_retry(struct board_ctx *b);
static void redraw(struct board_ctx *b);

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void set_why(struct board_ctx *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_why(struct board_ctx *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
}

/* Ends the run with exit status 1 and `msg` (printed once the screen is back). */
static void board_fatal(struct board_ctx *b, const char *msg)
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
static void screen_size(struct board_ctx *b)
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
static void screen_enter(struct board_ctx *b)
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

static void screen_leave(struct board_ctx *b)
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

/* Draws the whole screen again (not with --once, which prints once). */
static void redraw(struct board_ctx *b)
{
	struct board_view v;
	int64_t now = now_ms();
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

/* --once: the frame, as plain text, and the end of the run. */
static void print_once(struct board_ctx *b)
{
	struct board_view v;
	char *frame;
	int w = b->width ? b->width : env_int("COLUMNS", 80);

	view_fill(b, &v, now_ms());
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

/* A call into the picture: first of the last calls, and its desk's ticket. */
static void board_apply_call(struct board *bd, const struct call *c)
{
	if (bd->ncalls > 0 && strcmp(bd->calls[0].ticket_id, c->ticket_id) == 0 &&
	    bd->calls[0].at == c->at)
		return;                  /* the board has it already */
	if (bd->ncalls == PROTO_MAX_CALLS)
		bd->ncalls--;
	memmove(&bd->calls[1], &bd->calls[0], (size_t)bd->ncalls * sizeof bd->calls[0]);
	bd->calls[0] = *c;
	bd->ncalls++;
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
		redraw(b);
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
	b->flash_from = now_ms();
	redraw(b);
}

/* ---- the event stream parser -------------------------------------------- */

/* Appends n bytes (and keeps a NUL after them); -1 past SSE_MAX or out of memory. */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > SSE_MAX)
		return -1;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 1024;
		char *q;

		while (*len + n + 1 > c)
			c *= 2;
		if ((q = realloc(*buf, c)) == NULL)
			return -1;
		*buf = q;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Forgets a half-received event (a new connection); the last event ID stays. */
static void sse_reset(struct sse *s)
{
	s->len = 0;
	s->dlen = 0;
	s->after_cr = 0;
	s->type[0] = '\0';
}

static void sse_free(struct sse *s)
{
	free(s->line);
	free(s->data);
}

/* A blank line: the event is complete. */
static void sse_dispatch(struct board_ctx *b)
{
	struct sse *s = &b->sse;
	cJSON *j;

	snprintf(b->last_id, sizeof b->last_id, "%s", s->id);
	if (s->dlen == 0) {
		s->type[0] = '\0';
		return;
	}
	s->data[--s->dlen] = '\0';      /* the last line's '\n' */
	if (b->events_here++ == 0)
		b->backoff_s = 1;        /* the server is back for real */
	if (strcmp(s->type, "board") == 0 || strcmp(s->type, "call") == 0) {
		if ((j = cJSON_ParseWithLength(s->data, s->dlen)) != NULL) {
			if (s->type[0] == 'b')
				on_board(b, j);
			else
				on_call(b, j);
			cJSON_Delete(j);
		}
	}
	/* ticket, station: the board snapshot that follows shows them */
	s->type[0] = '\0';
	s->dlen = 0;
}

/* One line (without its end), NUL-terminated in s->line.  -1: too much data. */
static int sse_line(struct board_ctx *b)
{
	struct sse *s = &b->sse;
	char *value, *colon;
	const char *field = s->line ? s->line : "";

	if (s->len == 0) {
		sse_dispatch(b);
		return 0;
	}
	if (field[0] == ':')
		return 0;                /* a comment: ": ping" */
	if ((colon = strchr(s->line, ':')) != NULL) {
		*colon = '\0';
		value = colon + 1;
		if (*value == ' ')
			value++;
	} else
		value = s->line + s->len;        /* "" */
	if (strcmp(field, "event") == 0)
		snprintf(s->type, sizeof s->type, "%s", value);
	else if (strcmp(field, "data") == 0)
		return buf_add(&s->data, &s->dlen, &s->dcap, value, strlen(value)) == -1 ||
		    buf_add(&s->data, &s->dlen, &s->dcap, "\n", 1) == -1 ? -1 : 0;
	else if (strcmp(field, "id") == 0 && strlen(value) < sizeof s->id)
		snprintf(s->id, sizeof s->id, "%s", value);
	/* retry: the board keeps its own backoff; other fields are ignored */
	return 0;
}

/* Bytes of the stream, as they come.  -1 when it is not a stream antre can
 * read (a line or an event over SSE_MAX). */
static int sse_feed(struct board_ctx *b, const char *p, size_t n)
{
	struct sse *s = &b->sse;

	while (n > 0 && !b->done) {
		size_t k = 0;

		if (s->after_cr) {
			s->after_cr = 0;
			if (*p == '\n') {
				p++;
				n--;
				continue;
			}
		}
		while (k < n && p[k] != '\r' && p[k] != '\n')
			k++;
		if (buf_add(&s->line, &s->len, &s->cap, p, k) == -1)
			return -1;
		if (k == n)
			return 0;
		s->after_cr = p[k] == '\r';
		p += k + 1;
		n -= k + 1;
		if (sse_line(b) == -1)
			return -1;
		s->len = 0;
	}
	return 0;
}

/* ---- the link ----------------------------------------------------------- */

/* The server's error in words: "MESSAGE (CODE)", or the start of the body. */
static void error_text(struct evbuffer *body, int status, char *buf, size_t size)
{
	char text[ERRBODY_MAX + 1];
	size_t len = evbuffer_copyout(body, text, ERRBODY_MAX), n;
	struct proto_error e;
	char perr[PROTO_ERR_MAX];
	cJSON *j;

	text[len == (size_t)-1 ? 0 : len] = '\0';
	j = cJSON_Parse(text);
	if (j && proto_error_decode(j, &e, perr) == 0)
		snprintf(buf, size, "%s (%s)", e.message, e.code);
	else {
		n = strcspn(text, "\r\n");
		if (n > 120)
			n = 120;
		snprintf(buf, size, "the server answered HTTP %d%s%.*s", status, n ? ": " : "",
		    (int)n, text);
	}
	cJSON_Delete(j);
}

/* A refusal: the event does not exist (or this is no antred) ends the
 * board; anything else (Redis away: 503) is tried again. */
static void refused(struct board_ctx *b, struct evbuffer *body, int status)
{
	char msg[256];

	error_text(body, status, msg, sizeof msg);
	set_why(b, "%s", msg);
	if (status == 404)
		board_fatal(b, msg);
	else
		link_retry(b);
}

/*
 * Why evhttp gave up on a request (not called for every failure: a refused
 * connect goes straight to the done callback).  Owned by evhttp.
 */
static void on_error(enum evhttp_request_error e, void *arg)
{
	struct board_ctx *b = arg;
	int saved = errno;

	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		set_why(b, "no data from %s in %d s", b->t.url, STREAM_IDLE_S);
		break;
	case EVREQ_HTTP_EOF:
		set_why(b, "%s closed the connection", b->t.url);
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		set_why(b, "the reply from %s is too large", b->t.url);
		break;
	case EVREQ_HTTP_INVALID_HEADER:
		set_why(b, "%s did not answer in HTTP", b->t.url);
		break;
	default:
		if (saved == ECONNRESET || saved == ECONNREFUSED || saved == ETIMEDOUT ||
		    saved == EHOSTUNREACH || saved == ENETUNREACH)
			set_why(b, "connection to %s failed: %s", b->t.url, strerror(saved));
		break;
	}
}

/* The event's definition came (or not).  req is evhttp's, freed after return. */
static void on_info_done(struct evhttp_request *req, void *arg)
{
	struct board_ctx *b = arg;
	struct evbuffer *in;
	const cJSON *ev, *name;
	cJSON *j;
	int status = req ? evhttp_request_get_response_code(req) : 0;

	b->req = NULL;
	if (status == 0) {
		if (b->why[0] == '\0')
			set_why(b, "cannot connect to %s (is antred running there?)", b->t.url);
		link_retry(b);
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	if (status != 200) {
		refused(b, in, status);
		return;
	}
	j = cJSON_ParseWithLength((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in));
	ev = cJSON_GetObjectItemCaseSensitive(j, "event");
	name = cJSON_GetObjectItemCaseSensitive(ev, "name");
	snprintf(b->name, sizeof b->name, "%s", cJSON_IsString(name) && name->valuestring[0] ?
	    name->valuestring : b->event);
	cJSON_Delete(j);
	b->have_name = 1;
	b->state = LINK_WAIT;
	link_arm(b, 0);
}

/* The stream's status and headers are in.  Returning 0 lets the body come. */
static int on_stream_header(struct evhttp_request *req, void *arg)
{
	struct board_ctx *b = arg;

	b->status = evhttp_request_get_response_code(req);
	if (b->status == 200) {
		b->state = LINK_LIVE;
		redraw(b);               /* the TERPUTUS line goes */
	}
	return 0;
}

/* A piece of the body: evhttp empties the input buffer after this returns. */
static void on_stream_chunk(struct evhttp_request *req, void *arg)
{
	struct board_ctx *b = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n;

	if (b->abort || b->done)
		return;
	if (b->status != 200) {
		n = evbuffer_get_length(in);
		if (evbuffer_get_length(b->errbody) + n > ERRBODY_MAX)
			n = ERRBODY_MAX - evbuffer_get_length(b->errbody);
		evbuffer_remove_buffer(in, b->errbody, n);
		return;
	}
	while (!b->done && (n = evbuffer_get_contiguous_space(in)) > 0) {
		if (sse_feed(b, (const char *)evbuffer_pullup(in, (ev_ssize_t)n), n) == -1) {
			set_why(b, "%s sent an event larger than %d bytes", b->t.url, SSE_MAX);
			b->abort = 1;    /* the step frees the connection */
			link_retry(b);
			return;
		}
		evbuffer_drain(in, n);
	}
}

/* The stream is over: ended by the server, broken, or refused. */
static void on_stream_done(struct evhttp_request *req, void *arg)
{
	struct board_ctx *b = arg;
	int status = req ? evhttp_request_get_response_code(req) : 0;

	b->req = NULL;
	if (b->abort || b->done)
		return;
	if (status == 0 || b->status == 200) {
		if (b->why[0] == '\0' && b->status == 200)
			set_why(b, "%s ended the stream", b->t.url);
		else if (b->why[0] == '\0')
			set_why(b, "cannot connect to %s (is antred running there?)", b->t.url);
		link_retry(b);
		return;
	}
	refused(b, b->errbody, status);
}

/* GET prefix/v1/events/{ev}[/stream] on the new connection. */
static int link_request(struct board_ctx *b, int stream)
{
	const char *segs[] = { "v1", "events", b->event, stream ? "stream" : NULL, NULL };
	char path[CLI_HTTP_PATH_MAX], full[CLI_HTTP_PATH_MAX + 256];
	struct evhttp_request *req;
	struct evkeyvalq *h;

	if (cli_http_path(path, sizeof path, segs, NULL) == -1 ||
	    (size_t)snprintf(full, sizeof full, "%s%s", b->t.prefix, path) >= sizeof full) {
		set_why(b, "the request path is too long");
		return -1;
	}
	/* owned by evhttp from evhttp_make_request on, whatever it returns */
	if ((req = evhttp_request_new(stream ? on_stream_done : on_info_done, b)) == NULL) {
		set_why(b, "out of memory");
		return -1;
	}
	evhttp_request_set_error_cb(req, on_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", b->t.host_header);
	evhttp_add_header(h, "User-Agent", "antre-board");
	if (stream) {
		evhttp_request_set_header_cb(req, on_stream_header);
		evhttp_request_set_chunked_cb(req, on_stream_chunk);
		evhttp_add_header(h, "Accept", "text/event-stream");
		if (b->last_id[0])
			evhttp_add_header(h, "Last-Event-ID", b->last_id);
	} else
		evhttp_connection_set_max_body_size(b->conn, INFO_MAX);
	b->req = req;
	b->state = stream ? LINK_OPENING : LINK_INFO;
	if (evhttp_make_request(b->conn, req, EVHTTP_REQ_GET, full) == -1) {
		b->req = NULL;
		if (b->why[0] == '\0')
			set_why(b, "cannot send a request to %s", b->t.url);
		return -1;
	}
	return 0;
}

/*
 * The step (a timer): frees the last connection, whatever it was doing,
 * and opens the next request: the event's name until it is known, then the
 * stream.
 */
static void link_step(evutil_socket_t fd, short what, void *arg)
{
	struct board_ctx *b = arg;

	(void)fd;
	(void)what;
	if (b->done)
		return;
	if (b->conn) {
		evhttp_connection_free(b->conn);         /* and a request in flight */
		b->conn = NULL;
		b->req = NULL;
	}
	b->abort = 0;
	b->status = 0;
	b->events_here = 0;
	b->why[0] = '\0';
	evbuffer_drain(b->errbody, evbuffer_get_length(b->errbody));
	sse_reset(&b->sse);
	b->conn = cli_http_target_connect(&b->t, b->base,
	    b->have_name ? STREAM_IDLE_S : CLI_HTTP_TIMEOUT_S, b->why, sizeof b->why);
	if (b->conn == NULL || link_request(b, b->have_name) == -1)
		link_retry(b);
}

/* The step runs in `seconds` (0: at the next turn of the loop), once. */
static void link_arm(struct board_ctx *b, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_del(b->step_ev);
	evtimer_add(b->step_ev, &tv);
}

/* The link is down: show it, and step again after the backoff.  With
 * --once there is no second try. */
static void link_retry(struct board_ctx *b)
{
	char msg[320];

	if (b->done)
		return;
	if (b->once) {
		snprintf(msg, sizeof msg, "%s", b->why[0] ? b->why : "the connection failed");
		board_fatal(b, msg);
		return;
	}
	b->state = LINK_WAIT;
	b->failures++;
	link_arm(b, b->backoff_s);
	b->backoff_s = b->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : b->backoff_s * 2;
	redraw(b);
}

/* ---- timers and signals ------------------------------------------------- */

/* Redraws when the clock's minute or the flash's phase changed. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct board_ctx *b = arg;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	if ((now + b->utc_offset_s * 1000LL) / 60000 != b->shown_minute ||
	    flash_phase(b, now) != b->shown_phase)
		redraw(b);
}

static void on_once_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct board_ctx *b = arg;
	char msg[320];

	(void)fd;
	(void)what;
	snprintf(msg, sizeof msg, "no board from %s within %d s%s%s", b->t.url, ONCE_TIMEOUT_S,
	    b->why[0] ? ": " : "", b->why);
	board_fatal(b, msg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct board_ctx *b = arg;

	(void)what;
	if (sig == SIGWINCH) {
		screen_size(b);
		if (b->tty)
			(void)out_write("\033[0m\033[2J", 8);
		redraw(b);
		return;
	}
	b->done = 1;
	event_base_loopexit(b->base, NULL);
}

/* ---- the command -------------------------------------------------------- */

static void board_ctx_free(struct board_ctx *b)
{
	if (b->conn)
		evhttp_connection_free(b->conn);
	for (size_t i = 0; i < sizeof b->sig_ev / sizeof b->sig_ev[0]; i++)
		if (b->sig_ev[i])
			event_free(b->sig_ev[i]);
	if (b->step_ev)
		event_free(b->step_ev);
	if (b->tick_ev)
		event_free(b->tick_ev);
	if (b->once_ev)
		event_free(b->once_ev);
	if (b->errbody)
		evbuffer_free(b->errbody);
	if (b->base)
		event_base_free(b->base);
	sse_free(&b->sse);
	cli_http_target_free(&b->t);
	free(b);
}

static int board_run(struct board_ctx *b)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	struct timeval tick = { 0, TICK_MS * 1000 }, once = { ONCE_TIMEOUT_S, 0 };

	if ((b->base = event_base_new()) == NULL || (b->errbody = evbuffer_new()) == NULL ||
	    (b->step_ev = evtimer_new(b->base, link_step, b)) == NULL ||
	    (b->tick_ev = event_new(b->base, -1, EV_PERSIST, on_tick, b)) == NULL ||
	    (b->once_ev = evtimer_new(b->base, on_once_timeout, b)) == NULL) {
		cli_warnx("out of memory");
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if ((b->sig_ev[i] = evsignal_new(b->base, sigs[i], on_signal, b)) == NULL ||
		    evsignal_add(b->sig_ev[i], NULL) == -1) {
			cli_warnx("cannot handle signals");
			return CLI_EXIT_FAIL;
		}
	/* a write to a closed connection is an error to handle, not a death */
	signal(SIGPIPE, SIG_IGN);
	b->backoff_s = 1;
	link_arm(b, 0);
	if (b->once)
		evtimer_add(b->once_ev, &once);
	else {
		screen_size(b);
		screen_enter(b);
		evtimer_add(b->tick_ev, &tick);
		redraw(b);
	}
	event_base_dispatch(b->base);
	screen_leave(b);
	if (b->fatal[0])
		cli_warnx("%s", b->fatal);
	return b->exit_code;
}

static int board_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "width", required_argument, NULL, 'w' },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct board_ctx *b;
	char err[256];
	int ch, rc, once = 0, width = 0, height = 0;

	while ((ch = getopt_long(argc, argv, "w:h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_ONCE:
			once = 1;
			break;
		case 'w':
			if (cli_parse_int(optarg, 1, 1000, &width) == -1)
				return cli_usage(cmd, "--width must be 1 to 1000 columns, not '%s'",
				    optarg);
			break;
		case OPT_HEIGHT:
			if (cli_parse_int(optarg, 1, 1000, &height) == -1)
				return cli_usage(cmd, "--height must be 1 to 1000 rows, not '%s'",
				    optarg);
			break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (argc - optind > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (argc - optind == 1)
		c->event_opt = argv[optind];
	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;
	if ((b = calloc(1, sizeof *b)) == NULL) {
		cli_warnx("out of memory");
		return CLI_EXIT_FAIL;
	}
	if (cli_http_target_parse(c->url, &b->t, err, sizeof err) == -1) {
		board_ctx_free(b);
		return cli_usage(NULL, "%s", err);
	}
	snprintf(b->event, sizeof b->event, "%s", c->event);
	b->once = once;
	b->width = width;
	b->height = height;
	b->shown_phase = -1;
	rc = board_run(b);
	board_ctx_free(b);
	return rc;
}

const struct cli_cmd cmd_board = {
	"board", "",
	"[EVENT] [--once] [-w W] [--height H]",
	"the waiting-room board, full screen and live (for a TV)",
	"The event's board on this terminal, in Bahasa Indonesia: the newest call in\n"
	"large letters (flashing when called or called again), the tickets at the\n"
	"other desks, the waiting per stage with the estimated minutes, the people in\n"
	"observation and when they may leave, and the doses of the day.  It follows\n"
	"the event's live stream (no token needed), redraws on every change and on a\n"
	"resize, and while the server is away says so (\"TERPUTUS\") and reconnects\n"
	"after 1, 2, 4, 8, then every 10 seconds, catching up on the calls it missed.\n"
	"Ctrl-C (SIGINT), SIGTERM or SIGHUP end it and restore the terminal.\n"
	"\n"
	"EVENT (or -e EVENT before 'board') is needed when the server has several\n"
	"events; give it on a kiosk so that the board starts before the server does.\n"
	"\n"
	"Options:\n"
	"  --once          print one frame as plain text (no escape sequences) once\n"
	"                  the first board has come, and exit; 1 if it does not come\n"
	"                  within 15 s\n"
	"  -w, --width W   the frame's width (default: the terminal's; with --once,\n"
	"                  COLUMNS or 80)\n"
	"      --height H  the frame's height (default: the terminal's; with --once,\n"
	"                  as tall as the content)\n"
	"  -h, --help      this help\n",
	board_exec,
};
