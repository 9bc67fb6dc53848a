/* cli_http.c: one evhttp client connection, one request at a time; and the
 * server a URL names, which antre board connects to on its own. */
#include "cli_http.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

struct cli_http {
	struct event_base *base;
	struct evhttp_connection *conn;  /* opened by the first request */
	struct cli_http_target t;
	char *auth;                      /* "Bearer TOKEN", or NULL */
	char err[256];

	/* the request in flight */
	struct cli_reply *reply;
	int timeout_s;
	int done;
	int failed;
};

static void set_err(struct cli_http *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct cli_http *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
}

int cli_http_target_parse(const char *url, struct cli_http_target *t, char *err,
    size_t errsize)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host, *path;
	char *full = NULL;
	size_t n;
	int rc = -1;

	memset(t, 0, sizeof *t);
	/* "host:8080" alone is what people type; it means http:// */
	if (strstr(url, "://") == NULL) {
		if ((full = malloc(strlen(url) + 8)) == NULL)
			goto oom;
		strcpy(full, "http://");
		strcat(full, url);
	}
	if ((uri = evhttp_uri_parse(full ? full : url)) == NULL) {
		snprintf(err, errsize, "not a URL: %s", url);
		goto done;
	}
	scheme = evhttp_uri_get_scheme(uri);
	if (scheme == NULL || strcasecmp(scheme, "http") != 0) {
		snprintf(err, errsize, "only http:// URLs are supported, not %s", url);
		goto done;
	}
	host = evhttp_uri_get_host(uri);
	if (host == NULL || *host == '\0') {
		snprintf(err, errsize, "no host in the URL %s", url);
		goto done;
	}
	if (evhttp_uri_get_query(uri) != NULL || evhttp_uri_get_fragment(uri) != NULL) {
		snprintf(err, errsize, "the URL %s must not have a query or fragment", url);
		goto done;
	}
	t->port = evhttp_uri_get_port(uri) == -1 ? 80 : evhttp_uri_get_port(uri);
	path = evhttp_uri_get_path(uri);
	t->url = strdup(url);
	t->host = strdup(host);
	t->host_header = malloc(strlen(host) + 8);
	t->prefix = strdup(path ? path : "");
	if (t->url == NULL || t->host == NULL || t->host_header == NULL || t->prefix == NULL)
		goto oom;
	if (evhttp_uri_get_port(uri) == -1)
		strcpy(t->host_header, host);
	else
		sprintf(t->host_header, "%s:%d", host, t->port);
	/* evhttp keeps an IPv6 literal's brackets; getaddrinfo wants none */
	n = strlen(t->host);
	if (n >= 2 && t->host[0] == '[' && t->host[n - 1] == ']') {
		memmove(t->host, t->host + 1, n - 2);
		t->host[n - 2] = '\0';
	}
	n = strlen(t->prefix);
	while (n > 0 && t->prefix[n - 1] == '/')
		t->prefix[--n] = '\0';
	rc = 0;
	goto done;
oom:
	snprintf(err, errsize, "out of memory");
done:
	if (rc == -1)
		cli_http_target_free(t);
	if (uri)
		evhttp_uri_free(uri);
	free(full);
	return rc;
}

void cli_http_target_free(struct cli_http_target *t)
{
	free(t->url);
	free(t->host);
	free(t->host_header);
	free(t->prefix);
	memset(t, 0, sizeof *t);
}

struct evhttp_connection *cli_http_target_connect(const struct cli_http_target *t,
    struct event_base *base, int timeout_s, char *err, size_t errsize)
{
	struct evhttp_connection *conn;
	struct addrinfo hints, *res = NULL;
	char addr[NI_MAXHOST], port[16];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", t->port);
	if ((rc = getaddrinfo(t->host, port, &hints, &res)) != 0) {
		snprintf(err, errsize, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return NULL;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0,
	    NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0) {
		snprintf(err, errsize, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return NULL;
	}
	if ((conn = evhttp_connection_base_new(base, NULL, addr, (unsigned short)t->port)) == NULL) {
		snprintf(err, errsize, "cannot create a connection to %s", t->url);
		return NULL;
	}
	evhttp_connection_set_timeout(conn, timeout_s);
	evhttp_connection_set_retries(conn, 0);
	return conn;
}

struct cli_http *cli_http_new(const char *url, const char *token, char *err, size_t errsize)
{
	struct cli_http *h;
	size_t n;

	if ((h = calloc(1, sizeof *h)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (cli_http_target_parse(url, &h->t, err, errsize) == -1)
		goto fail;
	if (token != NULL) {
		n = strlen(token) + 8;
		if ((h->auth = malloc(n)) == NULL)
			goto oom;
		snprintf(h->auth, n, "Bearer %s", token);
	}
	if ((h->base = event_base_new()) == NULL)
		goto oom;
	return h;
oom:
	snprintf(err, errsize, "out of memory");
fail:
	cli_http_free(h);
	return NULL;
}

void cli_http_free(struct cli_http *h)
{
	if (h == NULL)
		return;
	if (h->conn)
		evhttp_connection_free(h->conn);
	if (h->base)
		event_base_free(h->base);
	cli_http_target_free(&h->t);
	if (h->auth) {
		explicit_bzero(h->auth, strlen(h->auth));
		free(h->auth);
	}
	free(h);
}

const char *cli_http_url(const struct cli_http *h)
{
	return h->t.url;
}

const char *cli_http_error(const struct cli_http *h)
{
	return h->err;
}

int cli_query_add(char *q, size_t size, const char *name, const char *v)
{
	size_t n = strlen(q);
	int w = snprintf(q + n, size - n, "%s%s=", n ? "&" : "", name);

	if (w < 0 || (size_t)w >= size - n)
		return -1;
	n += (size_t)w;
	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;
		int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.:,", ch) != NULL;
		if (n + 4 > size)
			return -1;
		n += (size_t)snprintf(q + n, size - n, keep ? "%c" : "%%%02X", ch);
	}
	return 0;
}

int cli_http_path(char *buf, size_t size, const char *const *segs, const char *query)
{
	size_t len = 0;
	int n;

	buf[0] = '\0';
	for (; *segs; segs++) {
		char *enc = evhttp_uriencode(*segs, -1, 0);

		if (enc == NULL)
			return -1;
		n = snprintf(buf + len, size - len, "/%s", enc);
		free(enc);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += n;
	}
	if (query) {
		n = snprintf(buf + len, size - len, "?%s", query);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
	}
	return 0;
}

static int http_connect(struct cli_http *h)
{
	h->conn = cli_http_target_connect(&h->t, h->base, CLI_HTTP_TIMEOUT_S, h->err,
	    sizeof h->err);
	if (h->conn == NULL)
		return -1;
	evhttp_connection_set_max_body_size(h->conn, CLI_HTTP_MAX_BODY);
	return 0;
}

/*
 * Failure details, called just before on_done(NULL) when evhttp gives up
 * on the request (not for every failure: a refused connect comes straight
 * to on_done).  errno is what the failing call left, restored by evhttp.
 */
static void on_error(enum evhttp_request_error e, void *arg)
{
	struct cli_http *h = arg;
	int saved = errno;

	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		set_err(h, "no answer from %s within %d s", h->t.url, h->timeout_s);
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		set_err(h, "the reply from %s is larger than %d MiB", h->t.url, CLI_HTTP_MAX_BODY >> 20);
		break;
	case EVREQ_HTTP_INVALID_HEADER:
		set_err(h, "%s did not answer in HTTP", h->t.url);
		break;
	default:
		/* errno may be stale (EINPROGRESS from the connect): only these
		 * say what happened */
		if (saved == ECONNRESET || saved == EPIPE || saved == ECONNREFUSED ||
		    saved == ETIMEDOUT || saved == EHOSTUNREACH || saved == ENETUNREACH)
			set_err(h, "connection to %s failed: %s", h->t.url, strerror(saved));
		else
			set_err(h, "%s closed the connection without a reply", h->t.url);
		break;
	}
}

/*
 * The request is over.  `req` belongs to evhttp and is freed when this
 * returns, so the body is copied out; NULL or a response code of 0 means
 * there was no reply.
 */
static void on_done(struct evhttp_request *req, void *arg)
{
	struct cli_http *h = arg;
	struct cli_reply *r = h->reply;
	struct evbuffer *in;
	const char *ctype;

	h->done = 1;
	event_base_loopbreak(h->base);
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		h->failed = 1;
		if (h->err[0] == '\0')
			set_err(h, "cannot connect to %s (is antred running there?)", h->t.url);
		return;
	}
	r->status = evhttp_request_get_response_code(req);
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	snprintf(r->content_type, sizeof r->content_type, "%s", ctype ? ctype : "");
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Idempotency-Replayed");
	r->replayed = ctype != NULL && strcasecmp(ctype, "true") == 0;
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
	if (ctype != NULL && strspn(ctype, "0123456789") == strlen(ctype) && strlen(ctype) <= 4)
		r->retry_after_s = atoi(ctype);
	in = evhttp_request_get_input_buffer(req);
	r->len = evbuffer_get_length(in);
	if ((r->body = malloc(r->len + 1)) == NULL) {
		h->failed = 1;
		set_err(h, "out of memory for the reply from %s", h->t.url);
		r->len = 0;
		return;
	}
	evbuffer_remove(in, r->body, r->len);
	r->body[r->len] = '\0';
}

static int method_type(const char *method, enum evhttp_cmd_type *type)
{
	if (strcmp(method, "GET") == 0)
		*type = EVHTTP_REQ_GET;
	else if (strcmp(method, "POST") == 0)
		*type = EVHTTP_REQ_POST;
	else if (strcmp(method, "PUT") == 0)
		*type = EVHTTP_REQ_PUT;
	else if (strcmp(method, "DELETE") == 0)
		*type = EVHTTP_REQ_DELETE;
	else
		return -1;
	return 0;
}

int cli_http_request(struct cli_http *h, const char *method, const char *path,
    const char *json, struct cli_reply *reply)
{
	return cli_http_send(h, method, path, json, NULL, CLI_HTTP_TIMEOUT_S, reply);
}

int cli_http_send(struct cli_http *h, const char *method, const char *path,
    const char *json, const char *key, int timeout_s, struct cli_reply *reply)
{
	struct evhttp_request *req;
	struct evkeyvalq *hdrs;
	enum evhttp_cmd_type type;
	char full[CLI_HTTP_PATH_MAX + 256];

	memset(reply, 0, sizeof *reply);
	h->err[0] = '\0';
	if (method_type(method, &type) == -1) {
		set_err(h, "unsupported method %s", method);
		return -1;
	}
	if ((size_t)snprintf(full, sizeof full, "%s%s", h->t.prefix, path) >= sizeof full) {
		set_err(h, "request path too long: %s", path);
		return -1;
	}
	if (h->conn == NULL && http_connect(h) == -1)
		return -1;
	h->timeout_s = timeout_s;
	evhttp_connection_set_timeout(h->conn, timeout_s);
	/* owned by evhttp from evhttp_make_request on, success or not */
	if ((req = evhttp_request_new(on_done, h)) == NULL) {
		set_err(h, "out of memory");
		return -1;
	}
	evhttp_request_set_error_cb(req, on_error);
	hdrs = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdrs, "Host", h->t.host_header);
	evhttp_add_header(hdrs, "User-Agent", "antre");
	if (h->auth)
		evhttp_add_header(hdrs, "Authorization", h->auth);
	if (key)
		evhttp_add_header(hdrs, "Idempotency-Key", key);
	if (json) {
		evhttp_add_header(hdrs, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), json, strlen(json));
	}
	h->reply = reply;
	h->done = 0;
	h->failed = 0;
	if (evhttp_make_request(h->conn, req, type, full) == -1) {
		/* evhttp has freed or failed the request already */
		if (h->err[0] == '\0')
			set_err(h, "cannot send the request to %s", h->t.url);
		h->reply = NULL;
		return -1;
	}
	/* on_done breaks the loop; returning without it means nothing was pending */
	event_base_dispatch(h->base);
	h->reply = NULL;
	if (!h->done) {
		set_err(h, "the event loop stopped before a reply from %s", h->t.url);
		return -1;
	}
	if (h->failed) {
		cli_reply_free(reply);
		return -1;
	}
	return 0;
}

void cli_reply_free(struct cli_reply *reply)
{
	free(reply->body);
	memset(reply, 0, sizeof *reply);
}
