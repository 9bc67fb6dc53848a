/*
 * http_guard.h: a strict reading of every request head, byte by byte as it
 * arrives, for what evhttp's parser smooths over.
 *
 * libevent 2.1's parser takes a bare LF as a line end, joins folded lines,
 * cuts a value at a NUL, keeps the first of two Content-Length fields and
 * lets strtoll read "+19".  None of that is visible once the head is parsed,
 * and each is a way for a proxy in front of antred and antred to disagree
 * on where a request ends (request smuggling).  So each connection's input
 * buffer is watched as bytes come in, before evhttp parses them: the first
 * unsound head on the connection is remembered by its number, and when
 * evhttp hands that request over, http_guard_refusal says how to refuse it
 * (the reply closes the connection; nothing after it is read).
 */
#ifndef ANTRE_HTTP_GUARD_H
#define ANTRE_HTTP_GUARD_H

struct bufferevent;
struct evhttp_request;

/* Watches a new connection's input; called once, from evhttp's bufferevent
 * callback, before the connection has a socket. */
void http_guard_attach(struct bufferevent *bev);

/* The connection is closing: forgets its guard (http_connection_gone). */
void http_guard_forget(struct bufferevent *bev);

/* What evhttp hands over: 0 when the request's head was sound; else -1 with
 * the status (400, or 411 for a chunked body), the error code and a message
 * (static strings) to refuse it with, closing the connection.  Called once
 * for each request evhttp passes to the application, in order. */
int http_guard_refusal(struct evhttp_request *ev, int *status, const char **code,
    const char **message);

/* Frees the table (at exit). */
void http_guard_free(void);

#endif
