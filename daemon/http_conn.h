/*
 * http_conn.h: private to http*.c.  The table of open connections: the
 * connection bound, the idle and slow-head timeouts, and each connection's
 * standing (its address's entry, staff or public, the staff reserve).
 * The public side of it (http_tick, http_connection_gone, http_detach,
 * http_stop_accepting, http_free) is declared in http.h.
 */
#ifndef ANTRE_HTTP_CONN_H
#define ANTRE_HTTP_CONN_H

#include <stdint.h>

#include "http.h"

struct evhttp_bound_socket;
struct peer;

/*
 * Every open connection, by file descriptor: when its last request ended
 * (or it opened), whether one is being served, whether it became a stream.
 * libevent 2.1's timeout is only for inactivity, so a client that trickles
 * a request head a byte at a time (slowloris) would hold its slot forever;
 * http_tick closes a connection that has not completed a request within
 * http-timeout of the previous one.
 *
 * Each connection also counts in its client address's entry (limit.h),
 * and is "public" until a request on it carries a valid token ("staff").
 * Of max-connections, staff-reserve-connections are kept for token
 * holders: a connection opened while the public ones already fill the
 * rest is a "reserve" one, on which a request without a token is refused
 * (503 server_busy, closed) and which must prove itself within
 * RESERVE_PROOF_MS.  So strangers, whatever they do, hold at most
 * max-connections less the reserve for longer than a moment, and a desk
 * that connects always finds a slot within max-connections.
 */
struct conn {
	struct evhttp_connection *evcon;     /* NULL: the slot is free */
	int64_t since_ms;
	int busy;                            /* requests being served */
	int stream;                          /* a live stream: never idle */
	struct peer *peer;                   /* its address's entry, or NULL */
	int staff;                           /* a request carried a valid token */
	int reserve;                         /* opened into the staff reserve */
	int counted_stream;                  /* counted in peer->streams */
};

/* The monotonic clock in ms (timeouts, limits) and the wall clock in us
 * (request durations). */
int64_t http_clock_ms(void);
int64_t http_clock_us(void);

/* Creates the connection events and hooks every new connection of
 * server.http; 0 or -1 (out of memory). */
int http_conn_init(void);
/* A listener http_start bound: counted, paused at the bound. */
void http_conn_listen(struct evhttp_bound_socket *b);

/* The connection a request came on (counted busy by http_conn_begin), or
 * NULL when it is not in the table. */
struct conn *http_conn_of(struct evhttp_request *ev);
/* A request begins: counted in flight and busy on its connection. */
struct conn *http_conn_begin(struct evhttp_request *ev);
/* A request on c carried a valid token: c no longer counts as public. */
void http_conn_prove(struct conn *c);
/* The request ends (answered or detached): uncounts it and frees r. */
void http_conn_release(struct req *r);

#endif
