/*
 * http_conn.h: the HTTP connections (http_conn.c), through http.h: the
 * connection bound, the idle and slow-head timeouts, and each connection's
 * standing (its address's entry, staff or public, the staff reserve).
 * The first part is for every module; the rest is for http*.c only.
 */
#ifndef ANTRE_HTTP_CONN_H
#define ANTRE_HTTP_CONN_H

#include <stdint.h>

struct evhttp_bound_socket;
struct evhttp_connection;
struct evhttp_request;
struct peer;

/* Stops accepting new connections (shutdown begins). */
void http_stop_accepting(void);
void http_free(void);

/* Every HTTP connection's close must end here, once (the connection count
 * and table); a module that replaces a connection's close callback calls it. */
void http_connection_gone(struct evhttp_connection *evcon);

/* Housekeeping, about every 100 ms: closes connections that have not
 * completed a request within http-timeout (a head trickled byte by byte). */
void http_tick(void);

/* ---- for http*.c only ---------------------------------------------------- */

/* An open connection (http_conn.c). */
struct conn;

/* The monotonic clock in ms (timeouts, limits) and the wall clock in us
 * (request durations). */
int64_t http_clock_ms(void);
int64_t http_clock_us(void);

/* Creates the connection events and hooks every new connection of
 * server.http; 0 or -1 (out of memory). */
int http_conn_init(void);
/* A listener http_start bound: paused and resumed with the bound. */
/* A listening socket for one of `workers N`: bound with SO_REUSEPORT, so
 * every worker has its own on the same address and the kernel spreads the
 * connections over them.  NULL with errno set when it cannot be. */
struct evhttp_bound_socket *http_conn_bind_shared(const char *host, int port);
/* Whether host:port can be listened on by this daemon alone: asked before
 * the workers share it, so that another daemon already there (SO_REUSEPORT
 * would let a second one of the same user join it silently) stops this
 * one instead of taking part of its requests. */
int http_conn_port_free(const char *host, int port);
void http_conn_listen(struct evhttp_bound_socket *b);

/* The connection a request came on, or NULL when it is not in the table. */
struct conn *http_conn_of(struct evhttp_request *ev);
/* A request begins on its connection (busy: never idle), which is returned. */
struct conn *http_conn_begin(struct evhttp_request *ev);
/* The request ends: its connection's idle time starts again. */
void http_conn_end(struct evhttp_request *ev);
/* The request became a live stream: its connection is never idle. */
void http_conn_stream(struct evhttp_request *ev);

/* c's client address's entry (limit.h), or NULL (c NULL, address unknown). */
struct peer *http_conn_peer(const struct conn *c);
/* A request on a connection from trusted-proxy: the connection's address
 * accounting moves to the client its X-Forwarded-For names (xff may be
 * NULL), so the per-address limits count that client, not the proxy.
 * A counted stream's connection keeps its address. */
void http_conn_forwarded(struct conn *c, const char *xff);
/* 1 when no request on c needs a token: c is not in the table (NULL) or a
 * request on it carried a valid token. */
int http_conn_is_staff(const struct conn *c);
/* 1 when c was opened into the staff reserve (a token must come). */
int http_conn_is_reserve(const struct conn *c);
/* A request on c carried a valid token: c no longer counts as public. */
void http_conn_prove(struct conn *c);
/* 1 when a stream opened on c counts against its address: a public
 * connection from a known address whose stream is not counted yet. */
int http_conn_counts_streams(const struct conn *c);
/* Counts c's stream against its address: 0, or -1 when the address has
 * max-streams-per-address already (nothing counted). */
int http_conn_stream_add(struct conn *c);

#endif
