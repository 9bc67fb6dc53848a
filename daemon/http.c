/* http.c: evhttp setup, connection bound, routing, auth and replies. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "http_guard.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "protocol.h"

/* The route table: every endpoint antred serves, one row each. */
extern const struct route route_healthz, route_events_list, route_event_get,
    route_board, route_ticket_issue, route_ticket_get, route_ticket_cancel,
    route_station_call, route_station_recall, route_station_start,
    route_station_complete, route_station_skip, route_station_transfer,
    route_station_pause, route_station_resume, route_ticket_qr_png,
    route_ticket_qr_svg, route_ticket_escpos, route_ticket_png,
    route_status_page, route_web, route_event_stream, route_ticket_stream,
    route_event_stats, route_rollup, route_ticket_lookup;
extern const struct route route_metrics;
extern const struct route route_event_report;

static const struct route *const routes[] = {
	&route_healthz,
	&route_events_list,
	&route_event_get,
	&route_board,
	&route_ticket_issue,
	&route_ticket_lookup,
	&route_ticket_get,
	&route_ticket_cancel,
	&route_station_call,
	&route_station_recall,
	&route_station_start,
	&route_station_complete,
	&route_station_skip,
	&route_station_transfer,
	&route_station_pause,
	&route_station_resume,
	&route_ticket_qr_png,
	&route_ticket_qr_svg,
	&route_ticket_escpos,
	&route_ticket_png,
	&route_status_page,
	&route_web,
	&route_event_stream,
	&route_ticket_stream,
	&route_event_stats,
	&route_rollup,
	&route_metrics,
	&route_event_report,
};

#define NROUTES (sizeof routes / sizeof routes[0])

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

static void on_rest_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	resting = 0;
	listeners_update();
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
};

static struct conn *conns;
static int nconns;                       /* slots (the highest fd + 1 seen) */
static int npublic;                      /* open connections not (yet) staff */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
			fatal("realloc");
		memset(grown + nconns, 0, (size_t)(n - nconns) * sizeof *grown);
		conns = grown;
		nconns = n;
	}
	c = &conns[fd];
	*c = (struct conn){ evcon, mono_ms(), 0, 0, NULL, 0, 0, 0 };
	c->reserve = npublic >= server.cfg.max_connections - limit_staff_reserve(&server.cfg);
	npublic++;
	if ((c->peer = limit_peer_get(fd)) != NULL) {
		c->peer->conns++;
		c->peer->public_conns++;
		if (c->peer->public_conns > server.cfg.max_connections_per_address)
			return -1;
	}
	return 0;
}

/* A request on c carried a valid token: c no longer counts as public. */
static void conn_prove(struct conn *c)
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
			limit_peer_put(c->peer, mono_ms());
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
	int64_t now = mono_ms(), limit = (int64_t)server.cfg.http_timeout_s * 1000;
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

static int64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Matches `path` against a pattern, capturing {params}; 1 on a match. */
static int route_match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;

	r->nparams = 0;
	while (*p && *s) {
		if (*p == '{') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			if (len == 0 || len >= HTTP_PARAM_MAX || r->nparams == HTTP_MAX_PARAMS)
				return 0;
			memcpy(r->params[r->nparams], s, len);
			r->params[r->nparams++][len] = '\0';
			s += len;
			p = strchr(p, '}') + 1;
		} else if (*p++ != *s++)
			return 0;
	}
	return *p == '\0' && *s == '\0';
}

static enum role bearer_role(struct evhttp_request *ev)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(ev),
	    "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return ROLE_NONE;
	h += 7;
	while (*h == ' ')
		h++;
	return config_token_role(&server.cfg, h);
}

static void req_free(struct req *r)
{
	struct conn *c = conn_of(evhttp_request_get_connection(r->ev));

	if (c && c->busy > 0) {
		c->busy--;
		c->since_ms = mono_ms();
	}
	server.inflight--;
	server_events_release(r->events);
	free(r);
}

void http_detach(struct req *r)
{
	struct conn *c = conn_of(evhttp_request_get_connection(r->ev));

	if (c)
		c->stream = 1;
	req_free(r);
}

/* The pages' scripts and styles are files under /web/ (no inline code);
 * images also come as data: (the pages' empty favicon) and blob: (the
 * desk's QR and ticket previews); nothing may frame a page, and a status
 * link's signature never leaves in a Referer. */
#define HTTP_CSP "default-src 'self'; img-src 'self' data: blob:; " \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

void http_add_common_headers(struct evhttp_request *ev, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);

	if (type)
		evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* every answer, pages and API alike (PROTOCOL.md, "Security headers") */
	evhttp_add_header(h, "Content-Security-Policy", HTTP_CSP);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	if (server.stopping)
		evhttp_add_header(h, "Connection", "close");
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

void http_reply_raw(struct req *r, int status, const char *content_type,
    const void *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL)
		fatal("evbuffer_new");
	http_add_common_headers(r->ev, content_type);
	if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
		/* GET's headers and length, no body: evhttp 2.1 would send the
		 * body unannounced, and the client would read it as the next
		 * response */
		char n[24];

		/* data NULL: the caller gives GET's length only (a streamed
		 * answer such as the report) */
		snprintf(n, sizeof n, "%zu", len);
		if (status != 204)
			evhttp_add_header(evhttp_request_get_output_headers(r->ev),
			    "Content-Length", n);
		len = 0;
	}
	if (len)
		evbuffer_add(buf, data, len);
	evhttp_send_reply(r->ev, status, status_text(status), buf);
	evbuffer_free(buf);
	metrics_http_observe(r->route ? r->route->name : NULL, status, now_us() - r->start_us);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("%s %s -> %d (%lld us)", r->route ? r->route->name : "-",
		    evhttp_request_get_uri(r->ev), status, (long long)(now_us() - r->start_us));
	req_free(r);
}

void http_reply_json(struct req *r, int status, cJSON *body)
{
	char *text;

	if (body == NULL) {
		http_reply_raw(r, status, NULL, NULL, 0);
		return;
	}
	if ((text = cJSON_PrintUnformatted(body)) == NULL)
		fatalx("out of memory printing JSON");
	cJSON_Delete(body);
	http_reply_raw(r, status, "application/json; charset=utf-8", text, strlen(text));
	free(text);
}

void http_reply_error(struct req *r, int status, const char *code,
    const char *message)
{
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "WWW-Authenticate", "Bearer");
	http_reply_json(r, status, proto_error_encode(code, message));
}

void http_reply_refused(struct req *r)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "1");
	http_reply_error(r, 503, "store_unavailable",
	    "the queue store (Redis) refused the change (out of memory, or it cannot save); "
	    "nothing was changed, try again");
}

void http_reply_unavailable(struct req *r)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "1");
	http_reply_error(r, 503, "store_unavailable",
	    "the queue store (Redis) is not reachable; nothing was changed, try again");
}

size_t http_body_length(struct req *r)
{
	return evbuffer_get_length(evhttp_request_get_input_buffer(r->ev));
}

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values
 * past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			k = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			k = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i <= k)         /* fewer than k continuation bytes left */
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

cJSON *http_body_object(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *text, *end = NULL;
	cJSON *j;

	if (len == 0) {
		http_reply_error(r, 400, "invalid_json", "a JSON object body is required");
		return NULL;
	}
	text = (const char *)evbuffer_pullup(in, -1);
	/* Text fields are C strings inside antred: a NUL in one (a raw byte
	 * or \u0000) would silently cut it, so none is accepted; nor is
	 * anything but UTF-8. */
	if (!utf8_valid((const unsigned char *)text, len) || memchr(text, '\0', len) != NULL ||
	    memmem(text, len, "\\u0000", 6) != NULL) {
		http_reply_error(r, 400, "invalid_json",
		    "the body must be UTF-8 JSON without NUL characters");
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	/* one JSON value and nothing after it but white space */
	while (j && end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (j == NULL || !cJSON_IsObject(j) || end != text + len) {
		cJSON_Delete(j);
		http_reply_error(r, 400, "invalid_json", "the body must be one JSON object");
		return NULL;
	}
	return j;
}

const char *http_query(struct req *r, const char *name, char *buf, size_t size)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	const char *q = evhttp_uri_get_query(uri);
	struct evkeyvalq params;
	const char *v;
	const char *ret = NULL;

	if (q == NULL || evhttp_parse_query_str(q, &params) != 0)
		return NULL;
	if ((v = evhttp_find_header(&params, name)) != NULL && strlen(v) < size) {
		strcpy(buf, v);
		ret = buf;
	}
	evhttp_clear_headers(&params);
	return ret;
}

/* 1 when the query has the parameter, whatever its length. */
static int has_query(struct req *r, const char *name)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));
	struct evkeyvalq params;
	int found;

	if (q == NULL || evhttp_parse_query_str(q, &params) != 0)
		return 0;
	found = evhttp_find_header(&params, name) != NULL;
	evhttp_clear_headers(&params);
	return found;
}

/* May a token of role `have` use a route open to `roles`?  admin may do
 * everything; organisers may read everything. */
static int role_allows(enum role have, unsigned roles, enum evhttp_cmd_type method)
{
	if (have == ROLE_ADMIN || (roles & ROLE_BIT(have)))
		return 1;
	return have == ROLE_ORGANISER &&
	    (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD);
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

/* The methods a route may take, in the order an Allow header lists them. */
static const char *const allow_methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH" };

static unsigned allow_bit(const char *method)
{
	for (unsigned i = 0; i < sizeof allow_methods / sizeof allow_methods[0]; i++)
		if (strcmp(allow_methods[i], method) == 0)
			return 1u << i;
	return 0;
}

/* 405's Allow header: the methods of every row that matched the path, and
 * HEAD wherever GET is. */
static void allow_header(struct evhttp_request *ev, unsigned mask)
{
	char text[64] = "";

	if (mask & allow_bit("GET"))
		mask |= allow_bit("HEAD");
	for (unsigned i = 0; i < sizeof allow_methods / sizeof allow_methods[0]; i++)
		if (mask & (1u << i))
			snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s",
			    text[0] ? ", " : "", allow_methods[i]);
	evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", text);
}

/* Asks the client to close: evhttp closes after a reply that says so. */
static void reply_closes(struct req *r, int retry_after_s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	char secs[16];

	snprintf(secs, sizeof secs, "%d", retry_after_s);
	evhttp_add_header(h, "Retry-After", secs);
	if (!server.stopping)      /* add_common_headers says it then */
		evhttp_add_header(h, "Connection", "close");
}

/* The request has a token that is valid: the bearer header, or ?token=
 * (the streams' way, since EventSource cannot send headers). */
static int req_holds_token(struct req *r)
{
	return r->role != ROLE_NONE || http_query_role(r) != ROLE_NONE;
}

enum role http_query_role(struct req *r)
{
	char token[CONFIG_TOKEN_MAX + 1];

	if (r->query_role == 0)
		r->query_role = 1 + (http_query(r, "token", token, sizeof token) ?
		    config_token_role(&server.cfg, token) : ROLE_NONE);
	return (enum role)(r->query_role - 1);
}

/*
 * The limits that come before routing: an address over auth-fail-limit
 * may not try tokens (even a right one) until its window ends; a wrong
 * token counts against it; a connection opened into the staff reserve
 * serves token holders only.  0 to go on, or -1 with r answered.
 */
static int admit_request(struct req *r, struct conn *c)
{
	struct peer *p = c ? c->peer : NULL;
	int has_auth = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
	    "Authorization") != NULL;
	int wait;

	if (p && has_auth && (wait = limit_auth_blocked(p, mono_ms())) > 0) {
		reply_closes(r, wait);
		http_reply_error(r, 429, "too_many_auth_failures",
		    "too many wrong tokens from this address; try again after Retry-After seconds");
		return -1;
	}
	if (p && has_auth && r->role == ROLE_NONE && limit_auth_failed(p, mono_ms())) {
		reply_closes(r, limit_auth_blocked(p, mono_ms()));
		http_reply_error(r, 429, "too_many_auth_failures",
		    "too many wrong tokens from this address; try again after Retry-After seconds");
		return -1;
	}
	if (c == NULL || c->staff)
		return 0;
	if (r->role != ROLE_NONE) {
		conn_prove(c);
		return 0;
	}
	if (!c->reserve)
		return 0;
	if (req_holds_token(r)) {       /* ?token= on a stream */
		conn_prove(c);
		return 0;
	}
	reply_closes(r, 1);
	http_reply_error(r, 503, "server_busy",
	    "the server is full; the connections left are kept for staff; try again");
	return -1;
}

int http_stream_admit(struct req *r)
{
	struct conn *c = conn_of(evhttp_request_get_connection(r->ev));

	if (c == NULL || c->peer == NULL || c->staff || c->counted_stream || req_holds_token(r))
		return 0;
	if (c->peer->streams >= server.cfg.max_streams_per_address) {
		reply_closes(r, 5);
		http_reply_error(r, 429, "too_many_streams",
		    "this address has as many live streams as it may; close one or try later");
		return -1;
	}
	c->peer->streams++;
	c->counted_stream = 1;
	return 0;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *method = method_name(evhttp_request_get_command(ev));
	struct req *r = calloc(1, sizeof *r);
	struct conn *c;
	int path_matched = 0, status;
	const char *code, *message;
	unsigned allow = 0;

	(void)arg;
	if (r == NULL)
		fatal("calloc");
	server.inflight++;
	if ((c = conn_of(evhttp_request_get_connection(ev))) != NULL)
		c->busy++;
	r->ev = ev;
	r->start_us = now_us();
	r->events = server_events_hold();
	/* a head http_guard found unsound: refused, and the connection closed */
	if (http_guard_refusal(ev, &status, &code, &message) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
		http_reply_error(r, status, code, message);
		return;
	}
	/* known on public routes too: some show more to operators (streams) */
	r->role = bearer_role(ev);
	if (admit_request(r, c) == -1)
		return;
	if (path == NULL || *path == '\0')
		path = "/";
	for (size_t i = 0; i < NROUTES; i++) {
		if (!route_match(routes[i]->path, path, r))
			continue;
		path_matched = 1;
		allow |= allow_bit(routes[i]->method);
		/* HEAD is GET without the body (http_reply_raw) */
		if (strcmp(routes[i]->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i]->method, "GET") == 0)) {
			r->route = routes[i];
			break;
		}
	}
	if (r->route == NULL) {
		if (path_matched) {
			allow_header(ev, allow);
			http_reply_error(r, 405, "method_not_allowed",
			    "this path does not take that method");
		} else
			http_reply_error(r, 404, "not_found", "no such endpoint");
		return;
	}
	if (r->route->roles != ROLES_PUBLIC) {
		/* a signed link opens a public view; the handler checks it */
		if (r->role == ROLE_NONE && r->route->signed_ok &&
		    evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization") == NULL &&
		    has_query(r, "sig")) {
			/* an over-long one stays "": it fails like any forgery */
			http_query(r, "sig", r->sig, sizeof r->sig);
			goto allowed;
		}
		if (r->role == ROLE_NONE) {
			http_reply_error(r, 401, "unauthorized",
			    "a valid bearer token is required");
			return;
		}
		if (!role_allows(r->role, r->route->roles, evhttp_request_get_command(ev))) {
			http_reply_error(r, 403, "forbidden",
			    "this token's role may not do this");
			return;
		}
	}
allowed:
	if (strncmp(r->route->path, "/v1/events/{ev}", 15) == 0 &&
	    (r->event = event_find(&r->events->set, r->params[0])) == NULL) {
		http_reply_error(r, 404, "unknown_event", "no such event");
		return;
	}
	r->route->handler(r);
}

int http_start(void)
{
	const struct config *c = &server.cfg;

	if ((server.http = evhttp_new(server.base)) == NULL ||
	    (adopt_event = event_new(server.base, -1, 0, on_adopt, NULL)) == NULL ||
	    (rest_event = evtimer_new(server.base, on_rest_done, NULL)) == NULL) {
		log_warnx("http: out of memory");
		return -1;
	}
	evhttp_set_max_body_size(server.http, c->max_body_bytes);
	evhttp_set_max_headers_size(server.http, c->max_header_bytes);
	evhttp_set_timeout(server.http, c->http_timeout_s);
	evhttp_set_allowed_methods(server.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(server.http, on_new_bev, NULL);
	evhttp_set_gencb(server.http, on_request, NULL);
	for (int i = 0; i < c->nlisten; i++) {
		struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(
		    server.http, c->listen[i].host, (ev_uint16_t)c->listen[i].port);
		if (b == NULL) {
			log_warn("http: cannot listen on %s:%d", c->listen[i].host,
			    c->listen[i].port);
			return -1;
		}
		bound[nbound++] = b;
		evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(b), on_accept_error);
		log_info("listening on http://%s:%d", c->listen[i].host, c->listen[i].port);
	}
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
