/*
 * board_ctx.h: private to cmd_board.c and board_screen.c.  One run of
 * antre board: the link to the server (cmd_board.c) and what is shown
 * (board_screen.c).
 */
#ifndef ANTRE_BOARD_CTX_H
#define ANTRE_BOARD_CTX_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "cli_http.h"
#include "cli_sse.h"
#include "protocol.h"

struct event;
struct event_base;
struct evbuffer;
struct evhttp_connection;
struct evhttp_request;

enum link_state {
	LINK_WAIT,                    /* nothing in flight: the step comes */
	LINK_INFO,                    /* GET /v1/events/{ev} in flight */
	LINK_OPENING,                 /* GET …/stream sent, no status yet */
	LINK_LIVE,                    /* the stream is open */
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
	struct cli_sse sse;

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

/* The wall clock in ms. */
int64_t board_now_ms(void);
/* Ends the run with exit status 1 and `msg` (printed once the screen is back). */
void board_fatal(struct board_ctx *b, const char *msg);

/* The frame's size from the options, the terminal or the environment. */
void board_screen_size(struct board_ctx *b);
/* The board's own screen on the terminal, and the terminal as it was. */
void board_screen_enter(struct board_ctx *b);
void board_screen_leave(struct board_ctx *b);
/* The terminal was resized: size, clear and draw again. */
void board_screen_resized(struct board_ctx *b);
/* The clock's tick: redraws when its minute or the flash's phase changed. */
void board_screen_tick(struct board_ctx *b);
/* Draws the whole screen again (not with --once, which prints once). */
void board_redraw(struct board_ctx *b);

/* The stream's events into the picture (a cli_sse_event; arg is the
 * board_ctx): boards, their deltas and calls; 1 once the run is done. */
int board_on_event(void *arg, const char *type, const char *data, size_t len,
    const char *id);

#endif
