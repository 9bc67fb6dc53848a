/* http_conn.c: the connection bound, the table of open connections, the
 * timeouts (http_tick) and the listeners' life. */
#include "http_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "http_guard.h"
#include "limit.h"
#include "log.h"
#include "server.h"

#define MAX_BOUND 8
static struct evhttp_bound_socket *bound[MAX_BOUND];
static int nbound;

/*
 * Connection bound.  evhttp 2.1 has no connection limit or open/close hooks
 * of its own, so: every new connection asks us for its bufferevent
 * (on_new_bev, counted), a deferred event then installs the close callback
 * (which uncounts), and the listeners pause while the count is at the limit.
 * The close callback cannot be set inside on_new_bev because the evhttp
 * connection does not exist yet; it is the bufferevent's callback argument
 * once evhttp has set it up.
 */
#define NEW_BEV_MAX 256
static struct bufferevent *new_bevs[NEW_BEV_MAX];
static int nnew_bevs;
static struct event *adopt_event;
static int accepting = 1;

/* After accept() fails for want of descriptors (EMFILE, ENFILE) the
 * listeners rest this long: the pending connection stays in the backlog
 * and would fail again at once, a spin that logs without end. */
#define ACCEPT_REST_MS 250
static struct event *rest_event;
static int resting;                      /* the listeners rest (a timer runs) */
static int rest_logged;                  /* the episode has been logged */

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
#define RESERVE_PROOF_MS 2000

struct conn {
	struct evhttp_connection *evcon;     /* NULL: the slot is free */
	int64_t since_ms;
	int busy;                            /* requests being served */
	int stream;                          /* a live stream: never idle */
	struct peer *peer;                   /* its address's entry, or NULL */
	int staff;                           /* a request carried a valid token */
	int reserve;                         /* opened into the staff reserve */
	int counted_stream;                  /* counted in peer->streams */
	int proxied;                         /* from trusted-proxy: peer is its client's */
};

static struct conn *conns;
static int nconns;                       /* slots (the highest fd + 1 seen) */
static int npublic;                      /* open connections not (yet) staff */

int64_t http_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t http_clock_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* The listeners accept exactly when all of these hold. */
static int should_accept(void)
{
	return !server.stopping && !resting && nbound > 0 &&
	    server.connections < server.cfg.max_connections && nnew_bevs < NEW_BEV_MAX;
}

static void listeners_update(void)
{
	int on = should_accept();

	if (on == accepting)
		return;
	for (int i = 0; i < nbound; i++) {
		struct evconnlistener *l = evhttp_bound_socket_get_listener(bound[i]);
		if (on)
			evconnlistener_enable(l);
		else
			evconnlistener_disable(l);
	}
	accepting = on;
}

/* accept() failed with an error that is not the peer's doing: rest, then
 * try again; logged once for each run of failures (an episode ends with the
 * next connection accepted). */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, ACCEPT_REST_MS * 1000 };

	(void)l;
	(void)arg;
	if (!rest_logged) {
		log_warnx("http: accept: %s (open connections %d, max-connections %d); "
		    "pausing new connections for %d ms at a time until one is accepted",
		    evutil_socket_error_to_string(err), server.connections,
		    server.cfg.max_connections, ACCEPT_REST_MS);
		rest_logged = 1;
	}
	resting = 1;
	listeners_update();
	evtimer_add(rest_event, &tv);
}

static void on_rest_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	resting = 0;
	listeners_update();
}

static struct conn *conn_of(struct evhttp_connection *evcon)
{
	int fd;

	if (evcon == NULL)
		return NULL;
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd < 0 || fd >= nconns || conns[fd].evcon != evcon)
		return NULL;
	return &conns[fd];
}

struct conn *http_conn_of(struct evhttp_request *ev)
{
	return conn_of(evhttp_request_get_connection(ev));
}

/* Takes a new connection into the table; 0, or -1 when its address is at
 * max-connections-per-address (the caller closes it). */
static int conn_add(struct evhttp_connection *evcon)
{
	int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	struct conn *c;

	if (fd < 0)
		return 0;
	if (fd >= nconns) {
		int n = fd + 1024;
		struct conn *grown = realloc(conns, (size_t)n * sizeof *conns);
		if (grown == NULL)
			/* OOM only: indexed by fd, and the kernel gives no fd past
			 * RLIMIT_NOFILE; no request picks an fd */
			fatal("realloc");
		memset(grown + nconns, 0, (size_t)(n - nconns) * sizeof *grown);
		conns = grown;
		nconns = n;
	}
	c = &conns[fd];
	*c = (struct conn){ .evcon = evcon, .since_ms = http_clock_ms() };
	c->reserve = npublic >= server.cfg.max_connections - limit_staff_reserve(&server.cfg);
	npublic++;
	if ((c->peer = limit_peer_get(fd)) != NULL) {
		c->peer->conns++;
		c->peer->public_conns++;
		/* the proxy holds its clients' connections: they count per client */
		c->proxied = limit_peer_is_proxy(c->peer);
		if (!c->proxied && c->peer->public_conns > server.cfg.max_connections_per_address)
			return -1;
	}
	return 0;
}

/* Moves c's count from its entry to `to`'s (NULL: nothing moves). */
static void conn_move(struct conn *c, struct peer *to)
{
	struct peer *from = c->peer;

	if (to == NULL || to == from)
		return;
	to->conns++;
	if (!c->staff)
		to->public_conns++;
	c->peer = to;
	from->conns--;
	if (!c->staff)
		from->public_conns--;
	limit_peer_put(from, http_clock_ms());
}

void http_conn_forwarded(struct conn *c, const char *xff)
{
	struct peer *to = NULL;

	if (c == NULL || !c->proxied || c->peer == NULL || c->counted_stream)
		return;
	if (xff)
		to = limit_peer_forwarded(xff);
	/* without a usable header: the proxy itself, never the client of an
	 * earlier request on this connection */
	if (to == NULL)
		to = limit_peer_get(bufferevent_getfd(evhttp_connection_get_bufferevent(c->evcon)));
	conn_move(c, to);
}

void http_conn_prove(struct conn *c)
{
	if (c == NULL || c->staff)
		return;
	c->staff = 1;
	npublic--;
	if (c->peer)
		c->peer->public_conns--;
}

void http_connection_gone(struct evhttp_connection *evcon)
{
	struct conn *c = conn_of(evcon);

	if (c) {
		if (!c->staff)
			npublic--;
		if (c->peer) {
			c->peer->conns--;
			if (!c->staff)
				c->peer->public_conns--;
			if (c->counted_stream)
				c->peer->streams--;
			limit_peer_put(c->peer, http_clock_ms());
		}
		*c = (struct conn){ 0 };
	}
	http_guard_forget(evhttp_connection_get_bufferevent(evcon));   /* http_guard */
	server.connections--;
	listeners_update();
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	(void)arg;
	http_connection_gone(evcon);
}

void http_tick(void)
{
	static int64_t last_sweep_ms;
	int64_t now = http_clock_ms(), limit = (int64_t)server.cfg.http_timeout_s * 1000;
	int64_t proof = limit < RESERVE_PROOF_MS ? limit : RESERVE_PROOF_MS;

	for (int fd = 0; fd < nconns; fd++) {
		struct conn *c = &conns[fd];
		if (c->evcon && !c->busy && !c->stream &&
		    now - c->since_ms > (c->reserve && !c->staff ? proof : limit)) {
			log_debug("http: closing a connection with no whole request in %d s",
			    server.cfg.http_timeout_s);
			evhttp_connection_free(c->evcon);   /* on_conn_close frees the slot */
		}
	}
	if (now - last_sweep_ms >= 1000) {
		limit_sweep(now);
		last_sweep_ms = now;
	}
}

/* The deferred half of on_new_bev: the connections evhttp has set up since
 * get their close callback and their slot. */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (int i = 0; i < nnew_bevs; i++) {
		bufferevent_data_cb rcb;
		void *evcon = NULL;
		bufferevent_getcb(new_bevs[i], &rcb, NULL, NULL, &evcon);
		if (evcon) {
			evhttp_connection_set_closecb(evcon, on_conn_close, NULL);
			/* over its address's share: closed before a byte is read */
			if (conn_add(evcon) == -1)
				evhttp_connection_free(evcon);
		}
	}
	nnew_bevs = 0;
	/* on_new_bev paused accepting when the list was full, not only at the
	 * connection limit: accept again if below it */
	listeners_update();
}

static struct bufferevent *on_new_bev(struct event_base *base, void *arg)
{
	struct bufferevent *bev;

	(void)arg;
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	http_guard_attach(bev);      /* strict request heads: http_guard.c */
	server.connections++;
	rest_logged = 0;                     /* accepting works again */
	new_bevs[nnew_bevs++] = bev;
	event_active(adopt_event, EV_TIMEOUT, 0);
	/* Pause accepting at the limit, or when the adoption list is full
	 * (it empties before the loop polls again). */
	listeners_update();
	return bev;
}

int http_conn_init(void)
{
	if ((adopt_event = event_new(server.base, -1, 0, on_adopt, NULL)) == NULL ||
	    (rest_event = evtimer_new(server.base, on_rest_done, NULL)) == NULL)
		return -1;
	evhttp_set_bevcb(server.http, on_new_bev, NULL);
	return 0;
}

/* A listening socket on host:port, shared with other SO_REUSEPORT
 * sockets of this user when `shared`; -1 when it cannot be had. */
static int listen_fd(const char *host, int port, int shared)
{
	struct evutil_addrinfo hints = { 0 }, *ai = NULL;
	char service[16];
	int fd, one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	snprintf(service, sizeof service, "%d", port);
	if (evutil_getaddrinfo(host, service, &hints, &ai) != 0 || ai == NULL)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* the backlog evhttp_bind_socket gives, so one worker is as one daemon */
	if (fd != -1 &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    (shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 128) == -1)) {
		close(fd);
		fd = -1;
	}
	evutil_freeaddrinfo(ai);
	return fd;
}

struct evhttp_bound_socket *http_conn_bind_shared(const char *host, int port)
{
	struct evhttp_bound_socket *b;
	int fd = listen_fd(host, port, 1);

	if (fd == -1)
		return NULL;
	if ((b = evhttp_accept_socket_with_handle(server.http, fd)) == NULL)
		close(fd);
	return b;
}

int http_conn_port_free(const char *host, int port)
{
	int fd = listen_fd(host, port, 0);

	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

void http_conn_listen(struct evhttp_bound_socket *b)
{
	bound[nbound++] = b;
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(b), on_accept_error);
}

struct conn *http_conn_begin(struct evhttp_request *ev)
{
	struct conn *c = http_conn_of(ev);

	if (c != NULL)
		c->busy++;
	return c;
}

void http_conn_end(struct evhttp_request *ev)
{
	struct conn *c = http_conn_of(ev);

	if (c && c->busy > 0) {
		c->busy--;
		c->since_ms = http_clock_ms();
	}
}

void http_conn_stream(struct evhttp_request *ev)
{
	struct conn *c = http_conn_of(ev);

	if (c)
		c->stream = 1;
}

struct peer *http_conn_peer(const struct conn *c)
{
	return c ? c->peer : NULL;
}

int http_conn_is_staff(const struct conn *c)
{
	return c == NULL || c->staff;
}

int http_conn_is_reserve(const struct conn *c)
{
	return c != NULL && c->reserve;
}

int http_conn_counts_streams(const struct conn *c)
{
	return c != NULL && c->peer != NULL && !c->staff && !c->counted_stream;
}

int http_conn_stream_add(struct conn *c)
{
	if (c->peer->streams >= server.cfg.max_streams_per_address)
		return -1;
	c->peer->streams++;
	c->counted_stream = 1;
	return 0;
}

void http_stop_accepting(void)
{
	/* Close the listening sockets rather than pause them: a new client
	 * is refused at once (and tries another daemon) instead of waiting in
	 * the backlog of one that is going away. */
	for (int i = 0; i < nbound; i++)
		evhttp_del_accept_socket(server.http, bound[i]);
	nbound = 0;
	accepting = 0;
}

void http_free(void)
{
	free(conns);
	conns = NULL;
	nconns = 0;
	if (server.http)
		evhttp_free(server.http);
	server.http = NULL;
	http_guard_free();           /* after evhttp_free: its closes forget guards */
	if (adopt_event)
		event_free(adopt_event);
	adopt_event = NULL;
	if (rest_event)
		event_free(rest_event);
	rest_event = NULL;
	limit_free();
	nbound = 0;
}
