/* route_public.c: what people open without a token: the status page a
 * ticket's QR code links to, and the web pages' files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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
	http_reply_raw(r, status, type, buf, got);
	free(buf);
}

static void web_get(struct req *r)
{
	web_send(r, r->params[0], 200);
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
	{ 0 }                            /* the end */
};
