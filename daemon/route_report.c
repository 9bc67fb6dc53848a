/* route_report.c: the day's report for the health office: every ticket of
 * one event day with its times at each stage, as CSV to file or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "protocol.h"
#include "queue.h"

/* code, service, priority, area, issued_at, two a stage, outcome, wait_s,
 * service_s */
#define REPORT_MAX_COLS (8 + 2 * PROTO_MAX_STAGES)

/* One ticket's line, worked out from the store's record. */
struct report_row {
	struct ticket t;                 /* visits unused: see row_from_store */
	int64_t called[PROTO_MAX_STAGES];    /* of the last visit there, 0 = none */
	int64_t completed[PROTO_MAX_STAGES];
	int64_t wait_s, service_s;
	int dose;                        /* done at the dose stage */
};

struct report_totals {
	int issued, done, deferred, refused, cancelled, open, doses;
};

enum cell_kind { CELL_TEXT, CELL_TIME, CELL_SECONDS };

struct report_cell {
	const char *name;
	enum cell_kind kind;
	const char *text;                /* CELL_TEXT, CELL_TIME; "" = none */
	int64_t seconds;                 /* CELL_SECONDS */
};

/*
 * The columns of one event's report and one row laid out on them: CSV and
 * JSON both write the cells, so the two never disagree.  The cells point
 * into the sheet and into the row last given to sheet_fill.
 */
struct report_sheet {
	const struct event_def *ev;
	int ncols;
	char stage_cols[PROTO_MAX_STAGES][2][PROTO_ID_MAX + 16];
	char times[1 + 2 * PROTO_MAX_STAGES][32];
	struct report_cell cells[REPORT_MAX_COLS];
};

static void sheet_init(struct report_sheet *sh, const struct event_def *ev)
{
	sh->ev = ev;
	for (int i = 0; i < ev->nstages; i++) {
		snprintf(sh->stage_cols[i][0], sizeof sh->stage_cols[i][0], "%s_called_at",
		    ev->stages[i].id);
		snprintf(sh->stage_cols[i][1], sizeof sh->stage_cols[i][1], "%s_completed_at",
		    ev->stages[i].id);
	}
}

static const char *sheet_time(struct report_sheet *sh, int slot, int64_t ms)
{
	if (ms == 0)
		return "";
	return proto_time_format(ms, sh->ev->utc_offset_s, sh->times[slot], sizeof sh->times[slot]);
}

static void sheet_add(struct report_sheet *sh, const char *name, enum cell_kind kind,
    const char *text, int64_t seconds)
{
	sh->cells[sh->ncols++] = (struct report_cell){ name, kind, text, seconds };
}

/* Lays the row out on the sheet's cells (a zeroed row gives the names). */
static void sheet_fill(struct report_sheet *sh, const struct report_row *row)
{
	const struct ticket *t = &row->t;
	const char *outcome = proto_ticket_state_name(t->state);

	sh->ncols = 0;
	sheet_add(sh, "code", CELL_TEXT, t->code, 0);
	sheet_add(sh, "service", CELL_TEXT, t->service, 0);
	sheet_add(sh, "priority", CELL_TEXT, t->priority, 0);
	sheet_add(sh, "area", CELL_TEXT, t->area, 0);
	sheet_add(sh, "issued_at", CELL_TIME, sheet_time(sh, 0, t->issued_at), 0);
	for (int i = 0; i < sh->ev->nstages; i++) {
		sheet_add(sh, sh->stage_cols[i][0], CELL_TIME,
		    sheet_time(sh, 1 + 2 * i, row->called[i]), 0);
		sheet_add(sh, sh->stage_cols[i][1], CELL_TIME,
		    sheet_time(sh, 2 + 2 * i, row->completed[i]), 0);
	}
	sheet_add(sh, "outcome", CELL_TEXT, outcome ? outcome : "", 0);
	sheet_add(sh, "wait_s", CELL_SECONDS, "", row->wait_s);
	sheet_add(sh, "service_s", CELL_SECONDS, "", row->service_s);
}

static int64_t visit_ms(const cJSON *v, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(v, name);

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : 0;
}

/* Milliseconds to whole seconds, half away from zero. */
static int64_t round_s(int64_t ms)
{
	return ms >= 0 ? (ms + 500) / 1000 : -((-ms + 500) / 1000);
}

/*
 * A store record (report.lua) into a row; 0 or -1 when malformed.  The
 * visits are read here rather than from struct ticket, which keeps only the
 * latest PROTO_MAX_STAGES * 2 of them: the sums cover every visit.
 */
static int row_from_store(const struct event_def *ev, const cJSON *j, struct report_row *row)
{
	int64_t wait_ms = 0, service_ms = 0;
	const cJSON *v;

	memset(row->called, 0, sizeof row->called);
	memset(row->completed, 0, sizeof row->completed);
	row->dose = 0;
	if (queue_ticket_from_store(j, &row->t) == -1)
		return -1;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "visits")) {
		const char *stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "stage"));
		const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "outcome"));
		int64_t queued = visit_ms(v, "queued_at"), called = visit_ms(v, "called_at");
		int64_t started = visit_ms(v, "started_at"), completed = visit_ms(v, "completed_at");
		int si = stage ? event_stage_index(ev, stage) : -1;

		if (queued && called)
			wait_ms += called - queued;
		/* a timed wait that ran out was never called: no service time */
		if (completed && (started || called))
			service_ms += completed - (started ? started : called);
		if (si >= 0) {           /* a stage of the event no longer: no column */
			row->called[si] = called;
			row->completed[si] = completed;
			if (si == ev->dose_stage && outcome && strcmp(outcome, "done") == 0)
				row->dose = 1;
		}
	}
	row->wait_s = round_s(wait_ms);
	row->service_s = round_s(service_ms);
	return 0;
}

static void totals_add(struct report_totals *tot, const struct report_row *row)
{
	tot->issued++;
	tot->doses += row->dose;
	switch (row->t.state) {
	case TICKET_DONE: tot->done++; break;
	case TICKET_DEFERRED: tot->deferred++; break;
	case TICKET_REFUSED: tot->refused++; break;
	case TICKET_CANCELLED: tot->cancelled++; break;
	default: tot->open++; break;
	}
}

/* RFC 4180: quoted, with quotes doubled, when it holds a comma, a quote or
 * a line break. */
static void csv_add_field(struct evbuffer *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(out, s, strlen(s));
		return;
	}
	evbuffer_add(out, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		evbuffer_add(out, s, (size_t)(q - s) + 1);
		evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\"", 1);
}

/* The header line (names) or the sheet's current row, CRLF-terminated. */
static void csv_add_line(struct evbuffer *out, const struct report_sheet *sh, int names)
{
	char num[24];

	for (int i = 0; i < sh->ncols; i++) {
		const struct report_cell *c = &sh->cells[i];
		if (i)
			evbuffer_add(out, ",", 1);
		if (names)
			csv_add_field(out, c->name);
		else if (c->kind == CELL_SECONDS) {
			snprintf(num, sizeof num, "%lld", (long long)c->seconds);
			csv_add_field(out, num);
		} else
			csv_add_field(out, c->text);
	}
	evbuffer_add(out, "\r\n", 2);
}

/* The sheet's current row as an object: empty text and times are null. */
static cJSON *json_row(const struct report_sheet *sh)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	for (int i = 0; i < sh->ncols; i++) {
		const struct report_cell *c = &sh->cells[i];
		cJSON *item = c->kind == CELL_SECONDS ? cJSON_CreateNumber((double)c->seconds) :
		    c->text[0] ? cJSON_CreateString(c->text) : cJSON_CreateNull();
		if (item == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(o, c->name, item);
	}
	return o;
}

static cJSON *json_totals(const struct report_totals *tot)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    !cJSON_AddNumberToObject(o, "issued", tot->issued) ||
	    !cJSON_AddNumberToObject(o, "done", tot->done) ||
	    !cJSON_AddNumberToObject(o, "deferred", tot->deferred) ||
	    !cJSON_AddNumberToObject(o, "refused", tot->refused) ||
	    !cJSON_AddNumberToObject(o, "cancelled", tot->cancelled) ||
	    !cJSON_AddNumberToObject(o, "open", tot->open) ||
	    !cJSON_AddNumberToObject(o, "doses", tot->doses))
		fatalx("out of memory");
	return o;
}

/* The script's result (lives until return) into the report the route asks
 * for: r->params[1] is "csv" or "json", checked by report_get. */
static void report_on_result(struct req *r, const cJSON *result)
{
	const struct event_def *ev = r->event;
	const char *day = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "day"));
	const cJSON *tickets = cJSON_GetObjectItemCaseSensitive(result, "tickets"), *j;
	int csv = strcmp(r->params[1], "csv") == 0;
	struct report_sheet sheet, *sh = &sheet;
	struct report_row row;
	struct report_totals tot = { 0 };
	struct evbuffer *out = NULL;
	cJSON *body = NULL, *rows = NULL;
	char date[16], disposition[PROTO_ID_MAX + 64];

	if (day == NULL || strlen(day) != 8 || strspn(day, "0123456789") != 8 ||
	    !cJSON_IsArray(tickets)) {
		log_warnx("report: the store gave an unexpected answer");
		goto bad;
	}
	snprintf(date, sizeof date, "%.4s-%.2s-%.2s", day, day + 4, day + 6);
	memset(&row, 0, sizeof row);
	sheet_init(sh, ev);
	if (csv) {
		if ((out = evbuffer_new()) == NULL)
			fatalx("out of memory");
		sheet_fill(sh, &row);
		csv_add_line(out, sh, 1);
	} else if ((body = cJSON_CreateObject()) == NULL ||
	    (rows = cJSON_CreateArray()) == NULL)
		fatalx("out of memory");
	cJSON_ArrayForEach(j, tickets) {
		if (row_from_store(ev, j, &row) == -1) {
			log_warnx("report: the store returned a malformed ticket");
			goto bad;
		}
		totals_add(&tot, &row);
		sheet_fill(sh, &row);
		if (csv)
			csv_add_line(out, sh, 0);
		else {
			cJSON *o = json_row(sh);
			if (o == NULL)
				fatalx("out of memory");
			cJSON_AddItemToArray(rows, o);
		}
	}
	if (csv) {
		snprintf(disposition, sizeof disposition,
		    "attachment; filename=\"antre-%s-%s.csv\"", ev->id, date);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "Content-Disposition", disposition);
		http_reply_raw(r, 200, "text/csv; charset=utf-8", evbuffer_pullup(out, -1),
		    evbuffer_get_length(out));
	} else {
		if (!cJSON_AddStringToObject(body, "event", ev->id) ||
		    !cJSON_AddStringToObject(body, "date", date))
			fatalx("out of memory");
		cJSON_AddItemToObject(body, "totals", json_totals(&tot));
		cJSON_AddItemToObject(body, "tickets", rows);
		rows = NULL;
		http_reply_json(r, 200, body);
		body = NULL;
	}
	goto done;
bad:
	http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
done:
	if (out)
		evbuffer_free(out);
	cJSON_Delete(rows);
	cJSON_Delete(body);
}

static int leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD", a real calendar day, into "YYYYMMDD"; 0 or -1. */
static int report_date_parse(const char *s, char day[9])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap_year(y)))
		return -1;
	snprintf(day, 9, "%.4s%.2s%.2s", s, s + 5, s + 8);
	return 0;
}

/* ?date= into "YYYYMMDD", or "" (today) when absent; -1 (and the request
 * answered 400) when present but not a date.  Parsed here rather than with
 * http_query, which cannot tell an over-long value from a missing one. */
static int report_query_day(struct req *r, char day[9])
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));
	struct evkeyvalq params;
	const char *v;
	int rc = 0;

	day[0] = '\0';
	if (q == NULL)
		return 0;
	if (evhttp_parse_query_str(q, &params) != 0)
		rc = -1;
	else {
		if ((v = evhttp_find_header(&params, "date")) != NULL)
			rc = report_date_parse(v, day);
		evhttp_clear_headers(&params);
	}
	if (rc == -1)
		http_reply_error(r, 400, "invalid_parameter",
		    "\"date\" must be a calendar day, YYYY-MM-DD");
	return rc;
}

static void report_get(struct req *r)
{
	char day[9];
	const char *args[1] = { day };

	if (strcmp(r->params[1], "csv") != 0 && strcmp(r->params[1], "json") != 0) {
		http_reply_error(r, 404, "not_found", "no such endpoint");
		return;
	}
	if (report_query_day(r, day) == -1)
		return;
	queue_run(r, "report", 1, args, report_on_result);
}

/* report.csv and report.json: one row, the format from the path. */
const struct route route_event_report = { "GET", "/v1/events/{ev}/report.{fmt}",
	ROLE_BIT(ROLE_ORGANISER), report_get, "event_report", 0 };
