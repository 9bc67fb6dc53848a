/*
 * server.h: the daemon's one global state: settings, events, the Redis
 * store, the HTTP server.  Everything else is file-static or passed in.
 */
#ifndef ANTRE_SERVER_H
#define ANTRE_SERVER_H

#include "config.h"
#include "event.h"
#include "font.h"

#define SECRET_LEN 32

/*
 * The event loop's priorities.  libevent runs only the most urgent queue
 * that has active events each round: the fan-out to the live streams
 * (main.c) runs below everything else, so a request's reply goes out
 * before it.  Every other event is at the default, SERVER_PRIORITIES / 2.
 */
#define SERVER_PRIORITIES 3
#define SERVER_PRIO_FANOUT 2

struct event_base;
struct evhttp;
struct store;

/* The loaded events, shared by the requests that started under them: a
 * SIGHUP swaps in a new set while old requests finish with the old one. */
struct event_ref {
	int refs;
	struct event_set set;
};

struct server {
	struct event_base *base;
	struct config cfg;
	struct event_ref *events;
	struct store *store;
	struct evhttp *http;
	unsigned char secret[SECRET_LEN];
	struct font font;                /* for ticket.png; glyphs NULL if none */
	int connections;                 /* open HTTP connections */
	int inflight;                    /* requests not yet answered */
	int stopping;
	int worker;                      /* 1..workers, 0: the only process */
};

extern struct server server;

struct event_ref *server_events_hold(void);
void server_events_release(struct event_ref *ref);
/* Replaces the loaded events; the old set lives on while held. */
void server_events_replace(struct event_set *set);

/* Reads the secret file, creating it with 32 random bytes (mode 0600) when
 * it does not exist.  0, or -1 with the reason in err (256 bytes). */
int server_load_secret(const char *path, unsigned char *secret, char *err);

#endif
