/* route_public.c: what people open without a token: the status page a
 * ticket's QR code links to, and the web pages' files. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "queue.h"
#include "route_public.h"
#include "sign.h"

#define WEB_FILE_MAX (1 << 20)

static const char invalid_page[] =
    "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>Tiket tidak valid</title><link rel=\"stylesheet\" href=\"/web/style.css\">"
    "</head><body class=\"status invalid\"><main><h1>Tiket tidak valid</h1>"
    "<p>Tautan ini tidak dikenali. Pindai lagi kode QR pada tiket Anda, "
    "atau tanyakan kepada petugas di meja pendaftaran.</p>"
    "<p lang=\"en\"><small>This ticket link is not valid.</small></p>"
    "</main></body></html>\n";

static const struct {
	const char *ext, *type;
} web_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".wav", "audio/wav" },
	{ ".mp3", "audio/mpeg" },
};

/* A file name the web root may serve: one path component of letters,
 * digits, '-', '_' and '.', not hidden, no "..". */
static int web_name_ok(const char *name)
{
	if (name[0] == '.' || strstr(name, "..") != NULL)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/*
 * Opens web-root/name for reading: -1 unless it is a regular file there.
 * Opened relative to the web root with O_NOFOLLOW (a symlink, even one
 * pointing inside, is refused: nothing placed in the web root can lead out
 * of it) and O_NONBLOCK (a FIFO opens at once instead of blocking the loop
 * until a writer comes; fstat then refuses it, as it refuses directories
 * and devices).
 */
static int web_open(const char *name, struct stat *st)
{
	int dir, fd;

	if ((dir = open(server.cfg.web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) || st->st_size > WEB_FILE_MAX) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file's entity tag: a 64-bit FNV-1a of its bytes, quoted, so that a
 * file changed in place (same size, same second) gets a new one. */
static void web_etag(const char *buf, size_t len, char *out, size_t size)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
	snprintf(out, size, "\"%016llx\"", (unsigned long long)h);
}

/* 1 when If-None-Match names etag (or is "*"): the weak comparison of RFC
 * 9110 13.1.2, a W/ prefix set aside.  The header is bounded by
 * max-header-bytes. */
static int web_not_modified(struct req *r, const char *etag)
{
	const char *p = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
	    "If-None-Match");
	size_t n = strlen(etag);

	while (p && *p) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || strchr(" \t,", p[n])))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/*
 * Replies with the file's bytes, cacheable but checked on every use
 * (no-cache: a reload is a small 304 and never stale), or 304 when the
 * client's copy is this one.  buf is the caller's.
 */
static void web_reply(struct req *r, int status, const char *type, const char *buf, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	char etag[24];

	web_etag(buf, len, etag, sizeof etag);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "ETag", etag);
	if (status == 200 && web_not_modified(r, etag))
		http_reply_raw(r, 304, NULL, NULL, 0);
	else
		http_reply_raw(r, status, type, buf, len);
}

void public_reply_cacheable(struct req *r, const char *type, const void *buf, size_t len)
{
	web_reply(r, 200, type, buf, len);
}

/* Sends web-root/name with its type; 404 for anything else. */
static void web_send(struct req *r, const char *name, int status)
{
	const char *dot = strrchr(name, '.'), *type = NULL;
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	for (size_t i = 0; dot && i < sizeof web_types / sizeof web_types[0]; i++)
		if (strcmp(dot, web_types[i].ext) == 0)
			type = web_types[i].type;
	if (type == NULL || !web_name_ok(name) || (fd = web_open(name, &st)) == -1) {
		http_reply_error(r, 404, "not_found", "no such file");
		return;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("malloc");
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("web: cannot read %s/%s", server.cfg.web_root, name);
			close(fd);
			free(buf);
			http_reply_error(r, 500, "internal_error", "the file could not be read");
			return;
		}
		got += (size_t)n;
	}
	close(fd);
	web_reply(r, status, type, buf, got);
	free(buf);
}

static void web_get(struct req *r)
{
	web_send(r, r->params[0], 200);
}

/* GET /favicon.ico: browsers ask the root for it (the TV and status pages
 * name no icon). */
static void favicon_get(struct req *r)
{
	web_send(r, "favicon.ico", 200);
}

/* GET /sw.js: the pages' service worker, from the root so that its scope
 * covers /web/ and /t/ alike. */
static void worker_get(struct req *r)
{
	web_send(r, "sw.js", 200);
}

/* 1 when the request's signature belongs to this ticket of this event. */
int public_signature_ok(const struct req *r, const struct event_def *ev, const cJSON *ticket)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(ticket, "id");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(ticket, "issued_at");

	return cJSON_IsString(id) && cJSON_IsNumber(at) &&
	    sign_ticket_verify(server.secret, sizeof server.secret, ev->id,
		id->valuestring, (int64_t)at->valuedouble, r->sig);
}

static void status_on_ticket(struct req *r, const cJSON *result)
{
	if (!public_signature_ok(r, r->event, cJSON_GetObjectItemCaseSensitive(result, "ticket"))) {
		http_reply_raw(r, 403, "text/html; charset=utf-8", invalid_page, sizeof invalid_page - 1);
		return;
	}
	web_send(r, "status.html", 200);
}

/* GET /t/{ev}/{id}?sig=: the person's page, once the link is proven theirs. */
static void status_get(struct req *r)
{
	const char *args[] = { r->params[1], "soft" };

	if ((r->event = event_find(&r->events->set, r->params[0])) == NULL ||
	    http_query(r, "sig", r->sig, sizeof r->sig) == NULL) {
		http_reply_raw(r, 403, "text/html; charset=utf-8", invalid_page, sizeof invalid_page - 1);
		return;
	}
	queue_run(r, "ticket", 2, args, status_on_ticket);
}

const struct route public_routes[] = {
	{ "GET", "/t/{ev}/{id}", ROLES_PUBLIC,
	  status_get, "status_page", 0 },
	{ "GET", "/web/{file}", ROLES_PUBLIC, web_get, "web", 0 },
	{ "GET", "/favicon.ico", ROLES_PUBLIC, favicon_get, "favicon", 0 },
	{ "GET", "/sw.js", ROLES_PUBLIC, worker_get, "service_worker", 0 },
	{ 0 }                            /* the end */
};
