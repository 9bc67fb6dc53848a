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
 * The stream is read as it arrives (evhttp's chunked callback) by the
 * Server-Sent Events parser of cli_sse.c; board_screen.c keeps the picture:
 * a `board` replaces it, a `delta` is applied to it (PROTOCOL.md,
 * "Deltas"), `call` and `station` events show at once (a call flashes),
 * `ticket` events are left to the delta that follows them.
 *
 * The screen is plain ANSI: the alternate screen with the cursor hidden and
 * autowrap off, every row rewritten in place on each change (board_screen.c
 * writes it, board_render.c lays it out), the size from TIOCGWINSZ again on
 * SIGWINCH.  SIGINT, SIGTERM
 * and SIGHUP end the loop, and the terminal is restored on the way out.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "board_ctx.h"
#include "cli.h"
#include "cli_http.h"

#define STREAM_IDLE_S 45          /* silent this long (3 heartbeats): the stream is dead */
#define BACKOFF_MAX_S 10
#define TICK_MS 250               /* the clock, and the flash */
#define ONCE_TIMEOUT_S 15         /* --once: the first board must come by then */
#define INFO_MAX (1024 * 1024)    /* the event's definition */
#define ERRBODY_MAX 2048

enum { OPT_ONCE = 256, OPT_HEIGHT };

static void link_arm(struct board_ctx *b, int seconds);
static void link_retry(struct board_ctx *b);

static void set_why(struct board_ctx *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_why(struct board_ctx *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
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
		board_redraw(b);               /* the TERPUTUS line goes */
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
		if (cli_sse_feed(&b->sse, (const char *)evbuffer_pullup(in, (ev_ssize_t)n), n) == -1) {
			set_why(b, "%s sent an event larger than %d bytes", b->t.url, CLI_SSE_MAX);
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
	cli_sse_reset(&b->sse);
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
	board_redraw(b);
}

/* ---- timers and signals ------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	board_screen_tick(arg);
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
		board_screen_resized(b);
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
	cli_sse_free(&b->sse);
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
		board_screen_size(b);
		board_screen_enter(b);
		evtimer_add(b->tick_ev, &tick);
		board_redraw(b);
	}
	event_base_dispatch(b->base);
	board_screen_leave(b);
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
	b->sse.on_event = board_on_event;
	b->sse.arg = b;
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
