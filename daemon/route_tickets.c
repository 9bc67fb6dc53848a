/* route_tickets.c: issuing, reading and cancelling tickets. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "coverage_store.h"
#include "nik.h"
#include "queue.h"
#include "queue_batch.h"
#include "route_areas.h"
#include "route_public.h"
#include "sign.h"

/* A ticket's signed status link, which is also its QR payload. */
static void tickets_link(struct req *r, const cJSON *st, char *url, size_t size)
{
	sign_status_url(server.cfg.public_url, server.secret, sizeof server.secret,
	    r->event->id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "id")),
	    (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st, "issued_at")),
	    url, size);
}

/* The body for a ticket an operator sees: the ticket, its signed status
 * link and the QR payload (the same link); NULL if the store's was bad. */
static cJSON *tickets_body_with_link(struct req *r, const cJSON *result)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	cJSON *body = queue_ticket_body(r, result, RECORD_FULL);
	char url[512];

	if (body == NULL)
		return NULL;
	tickets_link(r, st, url, sizeof url);
	cJSON_AddStringToObject(body, "status_url", url);
	cJSON_AddStringToObject(body, "qr", url);
	return body;
}

/* The ticket with its link as the answer, with that status; 500 when the
 * store's answer was bad.  The body of a ticket is written as text (the
 * reply to every issue: no tree to build, print and free); anything else
 * (a null ticket, a malformed one) takes the tree, as it always did. */
static void tickets_reply_with_link(struct req *r, const cJSON *result, int status)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	struct proto_text out = { 0 };
	cJSON *body;
	char url[512], *text;
	size_t len;

	proto_text_add(&out, "{\"ticket\":", 10);
	if (cJSON_IsObject(st) && record_ticket_text(r->event, st, RECORD_FULL, &out) == 0) {
		tickets_link(r, st, url, sizeof url);
		proto_text_add(&out, ",\"status_url\":", 14);
		proto_text_str(&out, url);
		proto_text_add(&out, ",\"qr\":", 6);
		proto_text_str(&out, url);
		proto_text_add(&out, "}", 1);
		if ((text = proto_text_end(&out, &len)) == NULL)
			fatalx("out of memory");   /* OOM only: one ticket */
		http_reply_json_text(r, status, text, len);
		free(text);
		return;
	}
	free(out.buf);
	if ((body = tickets_body_with_link(r, result)) == NULL)
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
	else
		http_reply_json(r, status, body);
}

static void tickets_on_issued(struct req *r, const cJSON *result)
{
	tickets_reply_with_link(r, result, 201);
}

/* An optional string member: NULL when absent or null; 0 and *out set when
 * it is a string; -1 (request answered 400) for another type. */
static int opt_string(struct req *r, const cJSON *body, const char *name, const char **out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(body, name);
	char msg[96];

	*out = NULL;
	if (j == NULL || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j)) {
		snprintf(msg, sizeof msg, "\"%s\" must be a string", name);
		http_reply_error(r, 400, "invalid_field", msg);
		return -1;
	}
	*out = j->valuestring;
	return 0;
}

/* An area: desa / RT code or name as entered, printable, at most 63 bytes. */
static int area_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PROTO_AREA_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Parses a NIK against the event's today (into *today); 0, or -1 when the
 * request has been answered `status` invalid_nik.  The NIK itself is never
 * logged nor echoed. */
static int tickets_nik(struct req *r, const char *nik, int status, struct nik_info *info,
    struct tm *today)
{
	time_t now = event_now(r->event) + r->event->utc_offset_s;   /* the event's day */
	enum nik_result res;

	gmtime_r(&now, today);
	res = nik_parse(nik, today->tm_year + 1900, today->tm_mon + 1, today->tm_mday, info);
	if (res == NIK_OK)
		return 0;
	http_reply_error(r, status, "invalid_nik", nik_result_message(res));
	return -1;
}

/*
 * The person key of a NIK in this event on this event day, without its
 * ":service" (out: NIK_PERSON_LEN + 1 bytes): issue.lua's duplicate check
 * and lookup.lua.  Per day, so it links nobody across days; the service is
 * appended rather than hashed in, as the desk's lookup finds a person's
 * tickets of the day in every service with one key.  -1 (answered 500)
 * when libcrypto fails.
 */
static int tickets_person(struct req *r, const struct event_def *ev, const char *nik,
    const struct tm *today, char *out)
{
	char day[40];

	snprintf(day, sizeof day, "%04d%02d%02d", today->tm_year + 1900, today->tm_mon + 1,
	    today->tm_mday);
	if (nik_person_key(server.secret, sizeof server.secret, ev->id, day, nik, out) == 0)
		return 0;
	log_warnx("libcrypto could not derive a person key");
	http_reply_error(r, 500, "internal_error", "cannot derive the person key now");
	return -1;
}

/*
 * The dose records' part of an issue (PROTOCOL.md, "Coverage across the
 * campaign"): the NIK's campaign key into ckey (NIK_PERSON_LEN + 1 bytes;
 * "" without a NIK) and whether the person counts as elderly: 60 or over
 * on the event's today by the NIK's birth date, or, without a NIK, of the
 * priority "elderly" or "lansia".  0, or -1 (answered 500) when libcrypto
 * fails.
 */
static int tickets_campaign(struct req *r, const char *nik, const struct nik_info *info,
    const struct tm *today, const char *priority, char *ckey, const char **elderly)
{
	ckey[0] = '\0';
	if (nik == NULL) {
		*elderly = strcmp(priority, "elderly") == 0 || strcmp(priority, "lansia") == 0 ?
		    "1" : "0";
		return 0;
	}
	*elderly = nik_age(info, today->tm_year + 1900, today->tm_mon + 1, today->tm_mday) >= 60 ?
	    "1" : "0";
	if (nik_campaign_key(server.secret, sizeof server.secret, nik, ckey) == 0)
		return 0;
	log_warnx("libcrypto could not derive a campaign key");
	http_reply_error(r, 500, "internal_error", "cannot derive the person key now");
	return -1;
}

/* ---- the area table (route_areas.h) ------------------------------------ */

#define ISSUE_ARGS_MAX 12

/* An issue waiting for the area table's answer: the script's arguments,
 * copied (the body they point into is freed before the answer comes). */
struct issue_wait {
	int nargs, area_arg;             /* args[area_arg] is the ticket's area */
	char *args[ISSUE_ARGS_MAX];
};

static void issue_wait_free(struct issue_wait *w)
{
	for (int i = 0; i < w->nargs; i++)
		free(w->args[i]);
	free(w);
}

/* The table's answer: an area it does not know is refused before anything
 * is written; a NIK's region becomes its kecamatan's code (or ""). */
static void tickets_on_area(struct req *r, void *arg, enum areas_check_result res,
    const char *code)
{
	struct issue_wait *w = arg;

	switch (res) {
	case AREAS_FAILED:
		http_reply_unavailable(r);
		break;
	case AREAS_UNKNOWN:
		http_reply_error(r, 422, "unknown_area",
		    "\"area\" is not a code of the area table (GET /v1/areas?q= finds it)");
		break;
	case AREAS_OK:
		free(w->args[w->area_arg]);
		if ((w->args[w->area_arg] = strdup(code)) == NULL)
			fatal("strdup");   /* OOM only */
		/* FALLTHROUGH */
	case AREAS_NO_TABLE:
		queue_write_batch(r, "issue", w->nargs, (const char **)w->args, tickets_on_issued);
		break;
	}
	issue_wait_free(w);
}

/* Issues with args (args[area_arg] the area) once the area is checked
 * against the table: code is the desk's area, region a NIK's 6 digits when
 * the desk gave none; with neither there is nothing to check. */
static void tickets_issue_area(struct req *r, int nargs, const char **args, int area_arg,
    const char *code, const char *region)
{
	struct issue_wait *w;

	if (code == NULL && region == NULL) {
		queue_write_batch(r, "issue", nargs, args, tickets_on_issued);
		return;
	}
	if (nargs > ISSUE_ARGS_MAX || (w = calloc(1, sizeof *w)) == NULL)
		fatalx("tickets_issue_area: out of memory or too many arguments");   /* a bug or OOM */
	w->nargs = nargs;
	w->area_arg = area_arg;
	for (int i = 0; i < nargs; i++)
		if ((w->args[i] = strdup(args[i])) == NULL)
			fatal("strdup");   /* OOM only */
	areas_check(r, code, region, tickets_on_area, w);
}

static void tickets_issue(struct req *r)
{
	const struct event_def *ev = r->event;
	cJSON *body;
	const char *service, *priority, *area, *nik;
	char prio_index[16], person[NIK_PERSON_LEN + PROTO_ID_MAX + 2] = "", district[8];
	char ckey[NIK_PERSON_LEN + 1];
	const char *elderly_flag;
	struct nik_info info;
	struct tm today;
	const char *desk_area;
	int si, pi;

	if (queue_idem_check(r) == -1 || (body = http_body_object(r)) == NULL)
		return;
	if (opt_string(r, body, "service", &service) || opt_string(r, body, "priority", &priority) ||
	    opt_string(r, body, "area", &area) || opt_string(r, body, "nik", &nik))
		goto done;
	if (service == NULL) {
		http_reply_error(r, 400, "invalid_field", "\"service\" is required");
		goto done;
	}
	if ((si = event_service_index(ev, service)) == -1) {
		http_reply_error(r, 422, "unknown_service", "this event has no such service");
		goto done;
	}
	pi = ev->npriorities - 1;
	if (priority && (pi = event_priority_index(ev, priority)) == -1) {
		http_reply_error(r, 422, "unknown_priority", "this event has no such priority");
		goto done;
	}
	if (area && !area_valid(area)) {
		http_reply_error(r, 422, "invalid_area", "\"area\" must be 1 to 63 printable bytes");
		goto done;
	}
	desk_area = area;
	if (nik) {
		int elderly = event_priority_index(ev, "elderly");

		if (tickets_nik(r, nik, 422, &info, &today) == -1)
			goto done;
		/* 60 and over are elderly, unless already of a higher priority */
		if (elderly >= 0 && elderly < pi &&
		    nik_age(&info, today.tm_year + 1900, today.tm_mon + 1, today.tm_mday) >= 60)
			pi = elderly;
		if (area == NULL) {
			memcpy(district, info.district, sizeof info.district);
			district[sizeof info.district] = '\0';
			area = district;
		}
		if (tickets_person(r, ev, nik, &today, person) == -1)
			goto done;
		strcat(person, ":");
		strcat(person, service);
	}
	if (tickets_campaign(r, nik, &info, &today, ev->priorities[pi], ckey, &elderly_flag) == -1)
		goto done;
	snprintf(prio_index, sizeof prio_index, "%d", pi);
	const char *args[] = { service, ev->services[si].prefix, ev->priorities[pi],
		prio_index, area ? area : "", person, ckey, elderly_flag };
	tickets_issue_area(r, 8, args, 4, desk_area, desk_area == NULL && nik ? district : NULL);
done:
	cJSON_Delete(body);
}

static void tickets_on_ticket(struct req *r, const cJSON *result)
{
	tickets_reply_with_link(r, result, 200);
}

/* Without a token, a valid signature shows what the person may see of
 * their own ticket; a missing ticket looks the same as a forged link. */
static void tickets_on_signed(struct req *r, const cJSON *result)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	cJSON *body;

	if (!public_signature_ok(r, r->event, st)) {
		http_reply_error(r, 403, "invalid_signature", "this ticket link is not valid");
		return;
	}
	if ((body = queue_ticket_body(r, result, RECORD_PUBLIC)) == NULL) {
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	http_reply_json(r, 200, body);
}

static void tickets_get(struct req *r)
{
	const char *args[] = { r->params[1], "soft" };

	if (r->sig[0] || r->role == ROLE_NONE)
		queue_run(r, "ticket", 2, args, tickets_on_signed);
	else
		queue_run(r, "ticket", 1, args, tickets_on_ticket);
}

static void tickets_cancel(struct req *r)
{
	const char *args[] = { r->params[1] };

	if (queue_idem_check(r) == 0)
		queue_write(r, "cancel", 1, args, tickets_on_ticket);
}

/* The lookup's answer waiting for the person's dose records. */
struct lookup_wait {
	struct req *r;
	cJSON *body;                     /* {"tickets": [...]}, owned */
};

/* The person's dose records read (p NULL: Redis failed): the answer.  p
 * dies after return. */
static void tickets_on_dose_status(const struct coverage_person *p, void *arg)
{
	struct lookup_wait *w = arg;

	if (p == NULL) {
		cJSON_Delete(w->body);
		http_reply_unavailable(w->r);
	} else {
		cJSON_AddItemToObject(w->body, "dose_status",
		    coverage_status_json(p, coverage_today(NULL),
		    server.cfg.dose_overdue_after_days));
		http_reply_json(w->r, 200, w->body);
	}
	free(w);
}

/* Each found ticket as the issue reply is: {"ticket", "status_url", "qr"};
 * then the person's dose_status, read under the NIK's campaign key (the
 * NIK read again from the body, never kept). */
static void tickets_on_lookup(struct req *r, const cJSON *result)
{
	const cJSON *it;
	cJSON *body = cJSON_CreateObject(), *list = cJSON_CreateArray(), *req;
	char ckey[NIK_PERSON_LEN + 1] = "";
	const char *nik;
	struct lookup_wait *w;

	if (body == NULL || list == NULL)
		fatalx("out of memory");   /* OOM only */
	cJSON_AddItemToObject(body, "tickets", list);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(result, "tickets")) {
		cJSON *one, *wrap = cJSON_CreateObject();
		if (wrap == NULL)
			fatalx("out of memory");   /* OOM only: one per service at most */
		/* tickets_body_with_link reads {"ticket": …}: lend it the item */
		cJSON_AddItemReferenceToObject(wrap, "ticket", (cJSON *)it);
		one = tickets_body_with_link(r, wrap);
		cJSON_Delete(wrap);
		if (one == NULL) {
			cJSON_Delete(body);
			http_reply_error(r, 500, "internal_error",
			    "the queue store gave an unexpected answer");
			return;
		}
		cJSON_AddItemToArray(list, one);
	}
	if ((req = http_body_object(r)) == NULL) {   /* read once already: cannot fail */
		cJSON_Delete(body);
		return;
	}
	nik = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "nik"));
	if (nik != NULL)   /* checked by tickets_lookup */
		nik_campaign_key(server.secret, sizeof server.secret, nik, ckey);
	cJSON_Delete(req);
	if (strlen(ckey) != NIK_PERSON_LEN) {
		cJSON_Delete(body);
		http_reply_error(r, 500, "internal_error", "cannot derive the person key now");
		return;
	}
	if ((w = malloc(sizeof *w)) == NULL)
		fatal("malloc");   /* OOM only */
	*w = (struct lookup_wait){ r, body };
	coverage_person_read(ckey, tickets_on_dose_status, w);
}

/* POST …/tickets/lookup {"nik", "service"?}: today's tickets of that person.
 * The NIK comes in a body, never a URL, so no access log holds it. */
static void tickets_lookup(struct req *r)
{
	const struct event_def *ev = r->event;
	cJSON *body;
	const char *nik, *service;
	char person[NIK_PERSON_LEN + 1];
	char services[EVENT_MAX_SERVICES * (PROTO_ID_MAX + 1) + 1] = "";
	struct nik_info info;
	struct tm today;

	if ((body = http_body_object(r)) == NULL)
		return;
	if (opt_string(r, body, "nik", &nik) || opt_string(r, body, "service", &service))
		goto done;
	if (nik == NULL) {
		http_reply_error(r, 400, "invalid_field", "\"nik\" is required");
		goto done;
	}
	if (tickets_nik(r, nik, 400, &info, &today) == -1)
		goto done;
	if (service) {
		if (event_service_index(ev, service) == -1) {
			http_reply_error(r, 422, "unknown_service", "this event has no such service");
			goto done;
		}
		snprintf(services, sizeof services, "%s", service);
	} else
		for (int i = 0; i < ev->nservices; i++) {
			strcat(services, i ? "," : "");
			strcat(services, ev->services[i].id);
		}
	if (tickets_person(r, ev, nik, &today, person) == -1)
		goto done;
	const char *args[] = { person, services };
	queue_run(r, "lookup", 2, args, tickets_on_lookup);
done:
	cJSON_Delete(body);
}

/* tickets/lookup before tickets/{id}: a fixed segment before a {param} */
const struct route ticket_routes[] = {
	{ "POST", "/v1/events/{ev}/tickets",
	  ROLE_BIT(ROLE_DESK), tickets_issue, "ticket_issue", 0 },
	{ "POST", "/v1/events/{ev}/tickets/lookup",
	  ROLE_BIT(ROLE_DESK), tickets_lookup, "ticket_lookup", 0 },
	{ "GET", "/v1/events/{ev}/tickets/{id}",
	  ROLE_BIT(ROLE_STATION) | ROLE_BIT(ROLE_DESK), tickets_get, "ticket_get", 1 },
	{ "POST", "/v1/events/{ev}/tickets/{id}/cancel",
	  ROLE_BIT(ROLE_DESK), tickets_cancel, "ticket_cancel", 0 },
	{ 0 }                            /* the end */
};
