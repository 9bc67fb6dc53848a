/* http_guard.c: each connection's request heads read strictly, as bytes
 * arrive (see http_guard.h for why evhttp's own parse cannot be used).
 *
 * What is refused (RFC 9112, sections 2.2, 5, 6; RFC 9110, 5.5 and 8.6):
 * - a line of the head that ends in a bare LF, and a CR not followed by LF;
 * - a control character (C0 other than HT, or DEL) anywhere in the head,
 *   HT included in the request line;
 * - a header line that begins with SP or HT (obs-fold, or white space
 *   before the first field);
 * - a field name that is not a token directly followed by ':' (so
 *   "Content-Length : 5" is refused, as the RFC requires);
 * - a Content-Length that is not 1*DIGIT once the optional white space
 *   around a field value is trimmed ("+19", "-1", "1 9", "5, 5" are
 *   refused; " 19 " is 19), or a second Content-Length field;
 * - Transfer-Encoding: with Content-Length 400, alone 411 (a request body
 *   needs a length; antred's clients never send chunked bodies, and a
 *   framing antred does not follow here is one it cannot check);
 * - a body on HEAD (evhttp reads none, so it would be taken for the next
 *   request).
 * The scanner follows Content-Length to skip each body to the next head, as
 * evhttp does, and stops at the first unsound head: its reply closes the
 * connection, so nothing after it is ever served.
 */
#include "http_guard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "log.h"

enum guard_state {
	G_LINE,          /* in the request line */
	G_FIELD,         /* at the start of a header line, or of the empty line */
	G_NAME,          /* in a field name */
	G_VALUE,         /* in a field value */
	G_LF,            /* after CR: LF must come */
	G_BODY,          /* skipping a body */
	G_STOP           /* an unsound head was seen: nothing more is read */
};

enum guard_eol { EOL_LINE, EOL_FIELD, EOL_HEAD };
enum guard_field { F_OTHER, F_CONTENT_LENGTH, F_TRANSFER_ENCODING };
enum guard_cl { CL_LEAD, CL_DIGITS, CL_TRAIL };

struct guard {
	struct bufferevent *bev;
	enum guard_state state;
	enum guard_eol eol;          /* what the CR in G_LF ends */
	unsigned head;               /* the number of the head being read, from 1 */
	unsigned served;             /* requests evhttp has handed over */
	unsigned bad_head;           /* the first unsound head's number, 0: none */
	int bad_status;
	const char *bad_message;
	/* the head being read */
	char method[8];
	size_t method_len, line_len, name_len;
	int method_done;
	char name[20];               /* the field name, lower case, cut short */
	enum guard_field field;
	enum guard_cl cl_state;
	int ncl, te;
	uint64_t cl, body_left;
};

/* The guards, keyed by their bufferevent (open addressing, linear probing,
 * at most half full).  A guard lives from on_new_bev to the connection's
 * close; the bufferevent is the one thing known at both ends. */
static struct guard **map;
static size_t map_size, map_used;

static size_t map_slot(const struct bufferevent *bev)
{
	uint64_t h = (uint64_t)(uintptr_t)bev;

	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (map_size - 1);
}

static struct guard **map_find(const struct bufferevent *bev)
{
	if (map_size == 0)
		return NULL;
	for (size_t i = map_slot(bev);; i = (i + 1) & (map_size - 1)) {
		if (map[i] == NULL)
			return NULL;
		if (map[i]->bev == bev)
			return &map[i];
	}
}

static void map_put(struct guard *g)
{
	size_t i;

	if ((map_used + 1) * 2 > map_size) {
		struct guard **old = map;
		size_t old_size = map_size;

		map_size = map_size ? map_size * 2 : 1024;
		if ((map = calloc(map_size, sizeof *map)) == NULL)
			fatal("calloc");   /* OOM only: entries <= open connections, bounded by max-connections */
		map_used = 0;
		for (size_t j = 0; j < old_size; j++)
			if (old[j])
				map_put(old[j]);
		free(old);
	}
	for (i = map_slot(g->bev); map[i]; i = (i + 1) & (map_size - 1))
		;
	map[i] = g;
	map_used++;
}

/* Removes the entry at *p, moving later entries of its run back so that
 * every one stays reachable from its home slot. */
static void map_remove(struct guard **p)
{
	size_t i = (size_t)(p - map), j = i;

	map[i] = NULL;
	map_used--;
	for (;;) {
		size_t k;

		j = (j + 1) & (map_size - 1);
		if (map[j] == NULL)
			return;
		k = map_slot(map[j]->bev);
		/* leave map[j] where it is when its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		map[i] = map[j];
		map[j] = NULL;
		i = j;
	}
}

static void head_begin(struct guard *g)
{
	g->head++;
	g->state = G_LINE;
	g->method_len = g->line_len = 0;
	g->method_done = 0;
	g->ncl = g->te = 0;
	g->cl = 0;
}

static void guard_refuse(struct guard *g, int status, const char *message)
{
	g->state = G_STOP;
	g->bad_head = g->head;
	g->bad_status = status;
	g->bad_message = message;
	log_debug("http: refusing request %u on a connection: %s", g->head, message);
}

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void field_begin(struct guard *g)
{
	g->state = G_NAME;
	g->name_len = 0;
	g->field = F_OTHER;
}

/* The name has been read up to its ':'. */
static void field_named(struct guard *g)
{
	g->name[g->name_len < sizeof g->name ? g->name_len : 0] = '\0';
	if (g->name_len == sizeof "content-length" - 1 &&
	    strcmp(g->name, "content-length") == 0) {
		if (++g->ncl > 1) {
			guard_refuse(g, 400, "Content-Length must appear once");
			return;
		}
		g->field = F_CONTENT_LENGTH;
		g->cl_state = CL_LEAD;
	} else if (g->name_len == sizeof "transfer-encoding" - 1 &&
	    strcmp(g->name, "transfer-encoding") == 0) {
		g->field = F_TRANSFER_ENCODING;
		g->te = 1;
	}
	g->state = G_VALUE;
}

/* The field line has ended (CRLF seen). */
static void field_end(struct guard *g)
{
	if (g->field == F_CONTENT_LENGTH && g->cl_state == CL_LEAD) {
		guard_refuse(g, 400, "Content-Length must be a number of bytes (digits only)");
		return;
	}
	g->state = G_FIELD;
}

/* The empty line has ended: the head is whole. */
static void head_end(struct guard *g)
{
	if (g->te && g->ncl) {
		guard_refuse(g, 400, "Content-Length and Transfer-Encoding together are not accepted");
		return;
	}
	if (g->te) {
		guard_refuse(g, 411, "a request body needs Content-Length; "
		    "Transfer-Encoding (chunked) is not accepted");
		return;
	}
	if (g->cl > 0 && g->method_len == 4 && memcmp(g->method, "HEAD", 4) == 0) {
		guard_refuse(g, 400, "a HEAD request has no body");
		return;
	}
	if (g->cl > 0) {
		g->state = G_BODY;
		g->body_left = g->cl;
	} else
		head_begin(g);
}

static void value_byte(struct guard *g, unsigned char c)
{
	if (g->field != F_CONTENT_LENGTH)
		return;
	if (c == ' ' || c == '\t') {
		if (g->cl_state == CL_DIGITS)
			g->cl_state = CL_TRAIL;
		return;
	}
	if (c < '0' || c > '9' || g->cl_state == CL_TRAIL) {
		guard_refuse(g, 400, "Content-Length must be a number of bytes (digits only)");
		return;
	}
	g->cl_state = CL_DIGITS;
	/* a length past any body limit is refused by evhttp (413) */
	g->cl = g->cl > (UINT64_MAX - 9) / 10 ? UINT64_MAX : g->cl * 10 + (c - '0');
}

/* The bytes that end or spoil a line of the head: a CR (LF must come
 * next; eol says what the pair ends), a bare LF, a control character (HT
 * too unless tab_ok).  1 when c was one of them, 0 for any other byte. */
static int line_control(struct guard *g, unsigned char c, enum guard_eol eol,
    int tab_ok, const char *ctl_message)
{
	if (c == '\r') {
		g->state = G_LF;
		g->eol = eol;
	} else if (c == '\n')
		guard_refuse(g, 400, "a line of the request head ends in a bare LF");
	else if (is_ctl(c) || (c == '\t' && !tab_ok))
		guard_refuse(g, 400, ctl_message);
	else
		return 0;
	return 1;
}

/* G_LINE: a byte of the request line; the method is kept (for HEAD). */
static void line_byte(struct guard *g, unsigned char c)
{
	if (line_control(g, c, EOL_LINE, 0, "a control character in the request line"))
		return;
	g->line_len++;
	if (c == ' ')
		g->method_done = 1;
	else if (!g->method_done && g->method_len < sizeof g->method)
		g->method[g->method_len++] = (char)c;
	else if (!g->method_done)
		g->method_len = sizeof g->method + 1;   /* not HEAD */
}

/* G_FIELD: the first byte of a header line, or the CR of the empty line;
 * 1 when c is to be read again as the first byte of a field name. */
static int field_first_byte(struct guard *g, unsigned char c)
{
	if (c == '\r') {
		g->state = G_LF;
		g->eol = EOL_HEAD;
	} else if (c == ' ' || c == '\t')
		guard_refuse(g, 400, "a header line begins with white space "
		    "(obs-fold is not accepted)");
	else {
		field_begin(g);
		return 1;
	}
	return 0;
}

/* G_NAME: a byte of a field name, kept in lower case (cut short). */
static void name_byte(struct guard *g, unsigned char c)
{
	if (c == ':') {
		if (g->name_len == 0)
			guard_refuse(g, 400, "a header line has no name");
		else
			field_named(g);
	} else if (is_tchar(c)) {
		if (g->name_len < sizeof g->name - 1)
			g->name[g->name_len] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		g->name_len++;
	} else if (c == '\n')
		guard_refuse(g, 400, "a line of the request head ends in a bare LF");
	else
		guard_refuse(g, 400, "a header name must be a token followed by ':'");
}

/* G_LF: the LF after a CR, which ends the line eol says. */
static void lf_byte(struct guard *g, unsigned char c)
{
	if (c != '\n')
		guard_refuse(g, 400, "a CR in the request head not followed by LF");
	else if (g->eol == EOL_LINE) {
		/* evhttp refuses an empty request line itself */
		if (g->line_len == 0)
			guard_refuse(g, 400, "an empty request line");
		else
			g->state = G_FIELD;
	} else if (g->eol == EOL_FIELD)
		field_end(g);
	else
		head_end(g);
}

/* The bytes at p that end or spoil nothing (no CR, LF, other control
 * character, nor HT unless tab_ok): what line_byte past the method and
 * value_byte outside Content-Length only count or pass over, skipped a run
 * at a time rather than a byte at a time (most of a head is such runs). */
static size_t plain_run(const unsigned char *p, size_t n, int tab_ok)
{
	size_t i = 0;

	while (i < n && ((p[i] >= 0x20 && p[i] != 0x7f) || (tab_ok && p[i] == '\t')))
		i++;
	return i;
}

/* Reads n bytes of the connection's input; stops at the first fault. */
static void guard_scan(struct guard *g, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n && g->state != G_STOP; i++) {
		unsigned char c = p[i];
		size_t run;

		switch (g->state) {
		case G_BODY: {
			size_t take = n - i < g->body_left ? n - i : (size_t)g->body_left;

			g->body_left -= take;
			i += take - 1;
			if (g->body_left == 0)
				head_begin(g);
			break;
		}
		case G_LINE:
			if (g->method_done && (run = plain_run(p + i, n - i, 0)) > 0) {
				g->line_len += run;
				i += run - 1;    /* the loop's i++ reads the byte after */
				break;
			}
			line_byte(g, c);
			break;
		case G_FIELD:
			if (field_first_byte(g, c))
				i--;             /* read it as the name's first byte */
			break;
		case G_NAME:
			name_byte(g, c);
			break;
		case G_VALUE:
			if (g->field == F_OTHER && (run = plain_run(p + i, n - i, 1)) > 0) {
				i += run - 1;
				break;
			}
			if (!line_control(g, c, EOL_FIELD, 1, "a control character in a header value"))
				value_byte(g, c);
			break;
		case G_LF:
			lf_byte(g, c);
			break;
		case G_STOP:
			break;
		}
	}
}

/* evbuffer callback on the connection's input: runs as soon as bytes are
 * added (bufferevent_sock does not defer input callbacks), before evhttp's
 * read callback parses them.  Drains (n_deleted) are of bytes seen before.
 * g belongs to the map, not to the callback. */
static void guard_on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct guard *g = arg;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec vec[8];
	size_t left = info->n_added;

	if (left == 0 || g->state == G_STOP)
		return;
	/* the added bytes are the last ones: evhttp never prepends */
	if (evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - left, EVBUFFER_PTR_SET) == -1)
		return;
	while (left > 0 && g->state != G_STOP) {
		int nvec = evbuffer_peek(buf, (ev_ssize_t)left, &pos, vec, 8);
		size_t done = 0;

		if (nvec <= 0)
			return;
		for (int i = 0; i < nvec && i < 8 && done < left; i++) {
			size_t len = vec[i].iov_len < left - done ? vec[i].iov_len : left - done;

			guard_scan(g, vec[i].iov_base, len);
			done += len;
		}
		left -= done;
		if (left > 0 && evbuffer_ptr_set(buf, &pos, done, EVBUFFER_PTR_ADD) == -1)
			return;
	}
}

void http_guard_attach(struct bufferevent *bev)
{
	struct guard *g = calloc(1, sizeof *g), **old;

	if (g == NULL)
		fatal("calloc");   /* OOM only: one small guard per accepted connection */
	g->bev = bev;
	head_begin(g);
	/* a connection whose close was never reported: its bufferevent is
	 * gone, and the address is being reused */
	if ((old = map_find(bev)) != NULL) {
		free(*old);
		map_remove(old);
	}
	map_put(g);
	if (evbuffer_add_cb(bufferevent_get_input(bev), guard_on_input, g) == NULL)
		fatal("evbuffer_add_cb");   /* OOM only: it fails only when malloc does */
}

void http_guard_forget(struct bufferevent *bev)
{
	struct guard **p = map_find(bev);

	if (p) {
		free(*p);
		map_remove(p);
	}
}

int http_guard_refusal(struct evhttp_request *ev, int *status, const char **code,
    const char **message)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct guard **p;

	if (evcon == NULL ||
	    (p = map_find(evhttp_connection_get_bufferevent(evcon))) == NULL)
		return 0;
	(*p)->served++;
	if ((*p)->bad_head == 0 || (*p)->served < (*p)->bad_head)
		return 0;
	*status = (*p)->bad_status;
	*code = *status == 411 ? "length_required" : "bad_request";
	*message = (*p)->bad_message;
	return -1;
}

void http_guard_free(void)
{
	for (size_t i = 0; i < map_size; i++)
		free(map[i]);
	free(map);
	map = NULL;
	map_size = map_used = 0;
}
