/* http.c: the route table, request dispatch, roles and the request's body. */
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

/* The route table, in match order: routes.c holds THE list, http_start
 * installs it (the array outlives the server). */
static const struct route *const *routes;
static size_t nroutes;

#define NROUTES nroutes

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

/* An address over auth-fail-limit may not try tokens (even a right one)
 * until its window ends, and a wrong token counts against it: 1 when r's
 * token may not be tried, with *wait the seconds until it may. */
static int auth_refused(struct req *r, struct peer *p, int *wait)
{
	int64_t now = http_clock_ms();

	if ((*wait = limit_auth_blocked(p, now)) > 0)
		return 1;
	if (r->role != ROLE_NONE || !limit_auth_failed(p, now))
		return 0;
	*wait = limit_auth_blocked(p, now);
	return 1;
}

/*
 * The limits that come before routing: the wrong tokens an address may
 * try (auth_refused); a connection opened into the staff reserve serves
 * token holders only.  0 to go on, or -1 with r answered.
 */
static int admit_request(struct req *r, struct conn *c)
{
	const struct evkeyvalq *in = evhttp_request_get_input_headers(r->ev);
	struct peer *p;
	int has_auth = evhttp_find_header(in, "Authorization") != NULL;
	int wait;

	http_conn_forwarded(c, evhttp_find_header(in, "X-Forwarded-For"));
	p = http_conn_peer(c);

	if (p && has_auth && auth_refused(r, p, &wait)) {
		reply_closes(r, wait);
		http_reply_error(r, 429, "too_many_auth_failures",
		    "too many wrong tokens from this address; try again after Retry-After seconds");
		return -1;
	}
	if (http_conn_is_staff(c))
		return 0;
	if (r->role != ROLE_NONE) {
		http_conn_prove(c);
		return 0;
	}
	if (!http_conn_is_reserve(c))
		return 0;
	if (req_holds_token(r)) {       /* ?token= on a stream */
		http_conn_prove(c);
		return 0;
	}
	reply_closes(r, 1);
	http_reply_error(r, 503, "server_busy",
	    "the server is full; the connections left are kept for staff; try again");
	return -1;
}

int http_stream_admit(struct req *r)
{
	struct conn *c = http_conn_of(r->ev);

	if (!http_conn_counts_streams(c) || req_holds_token(r))
		return 0;
	if (http_conn_stream_add(c) == -1) {
		reply_closes(r, 5);
		http_reply_error(r, 429, "too_many_streams",
		    "this address has as many live streams as it may; close one or try later");
		return -1;
	}
	return 0;
}

/* May r use its route?  0 to go on, or -1 with r answered 401 or 403. */
static int route_permits(struct req *r)
{
	if (r->route->roles == ROLES_PUBLIC)
		return 0;
	/* a signed link opens a public view; the handler checks it */
	if (r->role == ROLE_NONE && r->route->signed_ok &&
	    evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Authorization") == NULL &&
	    has_query(r, "sig")) {
		/* an over-long one stays "": it fails like any forgery */
		http_query(r, "sig", r->sig, sizeof r->sig);
		return 0;
	}
	if (r->role == ROLE_NONE) {
		http_reply_error(r, 401, "unauthorized",
		    "a valid bearer token is required");
		return -1;
	}
	if (!role_allows(r->role, r->route->roles, evhttp_request_get_command(r->ev))) {
		http_reply_error(r, 403, "forbidden",
		    "this token's role may not do this");
		return -1;
	}
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
	c = http_conn_begin(ev);
	r->ev = ev;
	r->start_us = http_clock_us();
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
	if (route_permits(r) == -1)
		return;
	if (strncmp(r->route->path, "/v1/events/{ev}", 15) == 0 &&
	    (r->event = event_find(&r->events->set, r->params[0])) == NULL) {
		http_reply_error(r, 404, "unknown_event", "no such event");
		return;
	}
	r->route->handler(r);
}

int http_start(const struct route *const *list, size_t n)
{
	const struct config *c = &server.cfg;

	routes = list;
	nroutes = n;

	if ((server.http = evhttp_new(server.base)) == NULL || http_conn_init() == -1) {
		log_warnx("http: out of memory");
		return -1;
	}
	evhttp_set_max_body_size(server.http, c->max_body_bytes);
	evhttp_set_max_headers_size(server.http, c->max_header_bytes);
	evhttp_set_timeout(server.http, c->http_timeout_s);
	evhttp_set_allowed_methods(server.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(server.http, on_request, NULL);
	for (int i = 0; i < c->nlisten; i++) {
		struct evhttp_bound_socket *b = c->workers > 1 ?
		    http_conn_bind_shared(c->listen[i].host, c->listen[i].port) :
		    evhttp_bind_socket_with_handle(server.http, c->listen[i].host,
		    (ev_uint16_t)c->listen[i].port);
		if (b == NULL) {
			log_warn("http: cannot listen on %s:%d", c->listen[i].host,
			    c->listen[i].port);
			return -1;
		}
		http_conn_listen(b);
		log_info("listening on http://%s:%d", c->listen[i].host, c->listen[i].port);
	}
	return 0;
}
