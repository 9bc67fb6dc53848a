/* route_print.c: what the desk prints: the QR code as PNG and SVG, and the
 * whole ticket for ESC/POS thermal printers or as a PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "font.h"
#include "log.h"
#include "qr.h"
#include "queue.h"
#include "record.h"
#include "route_areas.h"
#include "sign.h"
#include "ticket_print.h"

/* A whole-number query parameter within [min, max], or dflt when absent;
 * -1 (and the request answered 400) when it is there but wrong. */
static int query_int(struct req *r, const char *name, int min, int max, int dflt)
{
	char buf[16], msg[96], *end;
	long v;

	if (http_query(r, name, buf, sizeof buf) == NULL)
		return dflt;
	v = strtol(buf, &end, 10);
	if (end == buf || *end || v < min || v > max) {
		snprintf(msg, sizeof msg, "\"%s\" must be a whole number from %d to %d", name, min, max);
		http_reply_error(r, 400, "invalid_parameter", msg);
		return -1;
	}
	return (int)v;
}

/* The event-local issue time for paper: "23/11/2026 08:15 WIB". */
static void format_issued(const struct event_def *ev, int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000) + ev->utc_offset_s;
	struct tm tm;
	const char *zone = ev->utc_offset_s == 7 * 3600 ? "WIB" :
	    ev->utc_offset_s == 8 * 3600 ? "WITA" : ev->utc_offset_s == 9 * 3600 ? "WIT" : "";
	char z[16];

	if (*zone == '\0') {
		snprintf(z, sizeof z, "UTC%+d", ev->utc_offset_s / 3600);
		zone = z;
	}
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%02d/%02d/%04d %02d:%02d %s", tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, zone);
}

/* A ticket that is out of every queue for good prints never (cancelled,
 * or left unfinished when its day ended): paper with a valid-looking number
 * would be handed over.  A finished or deferred one reprints for the
 * person's records, marked with its state (the desk list's words) so that
 * no one takes it for a place in a queue.  0, or -1 when the request has
 * been answered 409. */
static int print_state(struct req *r, const struct ticket *t, const char **mark)
{
	*mark = t->state == TICKET_DONE ? "SELESAI" : t->state == TICKET_REFUSED ? "DITOLAK" :
	    t->state == TICKET_DEFERRED ? "DITUNDA" : NULL;
	if (t->state == TICKET_CANCELLED)
		http_reply_error(r, 409, "ticket_cancelled",
		    "this ticket was cancelled; a cancelled ticket is not printed");
	else if (t->state == TICKET_EXPIRED)
		http_reply_error(r, 409, "ticket_expired",
		    "this ticket's day has ended; an expired ticket is not printed");
	else
		return 0;
	return -1;
}

static void send_buffer(struct req *r, const char *type, struct evbuffer *out)
{
	size_t len = evbuffer_get_length(out);

	http_reply_raw(r, 200, type, evbuffer_pullup(out, -1), len);
	evbuffer_free(out);
}

/* The ticket is known (and its area's name, or NULL): render what the
 * route asks for. */
static void print_render(struct req *r, const cJSON *result, const char *area_name)
{
	const struct event_def *ev = r->event;
	const char *what = r->route->name;
	struct ticket t;
	struct evbuffer *out = evbuffer_new();
	char url[512];
	int rc = -1;

	if (out == NULL)
		fatalx("out of memory");
	if (record_ticket(cJSON_GetObjectItemCaseSensitive(result, "ticket"), &t) == -1) {
		evbuffer_free(out);
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	sign_status_url(server.cfg.public_url, server.secret, sizeof server.secret,
	    ev->id, t.id, t.issued_at, url, sizeof url);

	if (strcmp(what, "ticket_qr_png") == 0 || strcmp(what, "ticket_qr_svg") == 0) {
		QRcode *qr = qr_encode(url, server.cfg.qr_ecc);
		if (qr && what[10] == 'p') {
			struct canvas c;
			int scale = r->print_scale;
			int side = (qr->width + 2 * QR_QUIET) * scale;
			if (canvas_init(&c, side, side) == 0) {
				canvas_draw_qr(&c, qr, 0, 0, scale);
				rc = png_write(&c, r->print_depth, out);
				canvas_free(&c);
			}
		} else if (qr)
			rc = qr_write_svg(qr, out);
		if (qr)
			QRcode_free(qr);
	} else {
		char issued[96];
		int si = event_service_index(ev, t.service);
		struct print_ticket p = {
			.event_name = ev->name,
			.code = t.code,
			.service_name = si >= 0 ? ev->services[si].name : t.service,
			.priority = event_priority_name(ev, t.priority),
			/* the area table's name for the code; else the code a
			 * NIK gave, or what the desk typed */
			.area = area_name ? area_name : t.area,
			.issued = issued,
			.position = t.state == TICKET_WAITING ? t.position : -1,
			.url = url,
		};
		if (print_state(r, &t, &p.mark) == -1) {
			evbuffer_free(out);
			return;
		}
		format_issued(ev, t.issued_at, issued, sizeof issued);
		if (strcmp(what, "ticket_escpos") == 0)
			rc = ticket_print_escpos(&p, r->print_width, r->print_raster,
			    server.cfg.qr_ecc, out);
		else if (server.font.glyphs == NULL) {
			evbuffer_free(out);
			http_reply_error(r, 503, "font_unavailable",
			    "the ticket font is not installed (ticket-font)");
			return;
		} else
			rc = ticket_print_png(&p, r->print_width, &server.font,
			    server.cfg.qr_ecc, out);
	}
	if (rc == -1) {
		evbuffer_free(out);
		http_reply_error(r, 500, "internal_error", "the ticket could not be rendered");
		return;
	}
	send_buffer(r, strcmp(what, "ticket_qr_svg") == 0 ? "image/svg+xml" :
	    strcmp(what, "ticket_escpos") == 0 ? "application/vnd.escpos" : "image/png", out);
}

/* The area's name has come (NULL: none): the ticket is printed with it.
 * arg is the script's result, copied; freed here. */
static void print_on_label(struct req *r, void *arg, const char *label)
{
	cJSON *result = arg;

	print_render(r, result, label);
	cJSON_Delete(result);
}

/* A ticket on paper names its area: the table's name is asked for first. */
static void print_on_ticket(struct req *r, const cJSON *result)
{
	const char *what = r->route->name;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	const char *area = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "area"));
	cJSON *copy;

	if (area == NULL || area[0] == '\0' ||
	    (strcmp(what, "ticket_escpos") != 0 && strcmp(what, "ticket_png") != 0)) {
		print_render(r, result, NULL);
		return;
	}
	if ((copy = cJSON_Duplicate(result, 1)) == NULL)
		fatalx("out of memory");   /* OOM only: one ticket */
	st = cJSON_GetObjectItemCaseSensitive(copy, "ticket");
	area = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "area"));
	areas_label_get(r, area, print_on_label, copy);
}

static void print_get(struct req *r)
{
	const char *what = r->route->name;
	const char *args[] = { r->params[1] };
	char qr[16];

	/* validate every parameter before going to Redis; query_int has
	 * answered (and freed r) when it returns -1 */
	if (strcmp(what, "ticket_qr_png") == 0) {
		int scale, depth;
		if ((scale = query_int(r, "scale", 1, 32, 8)) == -1 ||
		    (depth = query_int(r, "depth", 1, 8, 1)) == -1)
			return;
		if (depth != 1 && depth != 8) {
			http_reply_error(r, 400, "invalid_parameter", "\"depth\" must be 1 or 8");
			return;
		}
		r->print_scale = scale;
		r->print_depth = depth;
	} else if (strcmp(what, "ticket_escpos") == 0 || strcmp(what, "ticket_png") == 0) {
		int width = query_int(r, "width", 58, 80, 58);
		if (width == -1)
			return;
		if (width != 58 && width != 80) {
			http_reply_error(r, 400, "invalid_parameter", "\"width\" must be 58 or 80");
			return;
		}
		r->print_width = width;
		if (http_query(r, "qr", qr, sizeof qr) != NULL) {
			if (strcmp(qr, "raster") != 0 && strcmp(qr, "native") != 0) {
				http_reply_error(r, 400, "invalid_parameter", "\"qr\" must be native or raster");
				return;
			}
			r->print_raster = qr[0] == 'r';
		}
	}
	queue_run(r, "ticket", 1, args, print_on_ticket);
}

#define PRINT_ROUTE(file, name) { "GET", "/v1/events/{ev}/tickets/{id}/" file, \
	ROLE_BIT(ROLE_DESK), print_get, name, 0 }

const struct route print_routes[] = {
	PRINT_ROUTE("qr.png", "ticket_qr_png"),
	PRINT_ROUTE("qr.svg", "ticket_qr_svg"),
	PRINT_ROUTE("ticket.escpos", "ticket_escpos"),
	PRINT_ROUTE("ticket.png", "ticket_png"),
	{ 0 }                            /* the end */
};
