/*
 * cli_http.h: the antre client's HTTP, through libevent's evhttp client.
 *
 * One connection to one server, one request at a time: each call runs the
 * event loop until its reply (or a failure) is in.  The connection is kept
 * alive between requests and reopened by evhttp when the server closed it.
 * Errors without an HTTP reply (refused, timed out, malformed reply) leave
 * a message in the context, read with cli_http_error().
 */
#ifndef ANTRE_CLI_HTTP_H
#define ANTRE_CLI_HTTP_H

#include <stddef.h>

#define CLI_HTTP_TIMEOUT_S 10               /* connect, send, and each read */
#define CLI_HTTP_MAX_BODY (16 * 1024 * 1024) /* a reply larger than this fails */
#define CLI_HTTP_PATH_MAX 1024

struct cli_http;
struct event_base;
struct evhttp_connection;

/* The server a URL names: what a connection to it needs.  Owned by whoever
 * filled it; freed with cli_http_target_free. */
struct cli_http_target {
	char *url;                 /* as given, for messages */
	char *host;                /* for getaddrinfo: no IPv6 brackets */
	char *host_header;         /* "host[:port]" as in the URL */
	int port;
	char *prefix;              /* the URL's path, no trailing '/' */
};

/* A reply as received: owned by the caller, freed with cli_reply_free. */
struct cli_reply {
	int status;                /* the HTTP status */
	char *body;                /* len bytes plus a NUL (binary bodies too) */
	size_t len;
	char content_type[96];     /* "" when none was sent */
	int replayed;              /* "Idempotency-Replayed: true": an earlier try's result */
	int retry_after_s;         /* Retry-After in seconds, 0 when none */
};

/*
 * Reads `url` ("http://host[:port][/prefix]"; "host:port" alone means
 * http://) into *t, copying what it keeps.  0, or -1 with the reason in err
 * (errsize bytes) and *t empty.
 */
int cli_http_target_parse(const char *url, struct cli_http_target *t, char *err,
    size_t errsize);
/* Frees what *t holds and empties it (an empty *t is fine). */
void cli_http_target_free(struct cli_http_target *t);

/*
 * A new evhttp connection on `base` to t's host, resolved here to a numeric
 * address so that evhttp never resolves (synchronously, failing from inside
 * evhttp_make_request); `timeout_s` for connect, send and reads, no retries.
 * The caller frees it with evhttp_connection_free.  NULL with the reason in
 * err (errsize bytes).
 */
struct evhttp_connection *cli_http_target_connect(const struct cli_http_target *t,
    struct event_base *base, int timeout_s, char *err, size_t errsize);

/*
 * A client for `url` ("http://host[:port][/prefix]"), sending `token` (may
 * be NULL) as a bearer token with every request.  Nothing is connected yet.
 * NULL with a message in err (errsize bytes) for an unusable URL or when
 * out of memory.  The strings are copied.
 */
struct cli_http *cli_http_new(const char *url, const char *token, char *err, size_t errsize);
void cli_http_free(struct cli_http *h);

/* The URL as given, for messages. */
const char *cli_http_url(const struct cli_http *h);
/* Why the last request got no reply. */
const char *cli_http_error(const struct cli_http *h);

/* "&name=value" (no "&" first) percent-encoded onto the query q, of size
 * bytes; 0, or -1 when it does not fit. */
int cli_query_add(char *q, size_t size, const char *name, const char *v);

/*
 * Builds "/SEG/SEG...[?query]" into buf, each segment percent-encoded (so
 * an id from the command line cannot change the path); `segs` ends with
 * NULL, query may be NULL.  0, or -1 when it does not fit.
 */
int cli_http_path(char *buf, size_t size, const char *const *segs, const char *query);

/*
 * Sends `method` ("GET", "POST") to the server's prefix + path, with
 * `json` (NUL-terminated, may be NULL) as an application/json body, and
 * waits for the reply.  0 with *reply filled whatever its status; -1 when
 * no reply came (cli_http_error says why; *reply is then empty).
 */
int cli_http_request(struct cli_http *h, const char *method, const char *path,
    const char *json, struct cli_reply *reply);

/*
 * As cli_http_request, with an Idempotency-Key header (`key`, may be NULL)
 * and `timeout_s` for connect, send and each read of this request.
 */
int cli_http_send(struct cli_http *h, const char *method, const char *path,
    const char *json, const char *key, int timeout_s, struct cli_reply *reply);

void cli_reply_free(struct cli_reply *reply);

#endif
