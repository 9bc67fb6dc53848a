/* route_report.c: the day's report for the health office: every ticket of
 * one event day with its times at each stage, as CSV to file or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "metrics.h"
#include "protocol.h"
#include "queue.h"
#include "record.h"
#include "store.h"

/* code, service, priority, area, issued_at, two a stage, outcome, wait_s,
 * service_s */
#define REPORT_MAX_COLS (8 + 2 * PROTO_MAX_STAGES)

struct report_totals {
	int issued, done, deferred, refused, cancelled, expired, open, doses;
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

static void totals_add(struct report_totals *tot, const struct report_row *row)
{
	tot->issued++;
	tot->doses += row->dose;
	switch (row->t.state) {
	case TICKET_DONE: tot->done++; break;
	case TICKET_DEFERRED: tot->deferred++; break;
	case TICKET_REFUSED: tot->refused++; break;
	case TICKET_CANCELLED: tot->cancelled++; break;
	case TICKET_EXPIRED: tot->expired++; break;
	default: tot->open++; break;
	}
}

/*
 * RFC 4180: quoted, with quotes doubled, when it holds a comma, a quote or
 * a line break.  A text cell that a spreadsheet would take for a formula
 * (it begins with = + - @, TAB or CR: OWASP's CSV injection rule) gets a
 * leading single quote and is quoted, so that it shows as the text it is.
 * The numbers antred writes itself (wait_s, service_s) go out as they are.
 */
static void csv_add_field(struct evbuffer *out, const char *s, int text)
{
	int formula = text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(out, s, strlen(s));
		return;
	}
	evbuffer_add(out, formula ? "\"'" : "\"", formula ? 2 : 1);
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
			csv_add_field(out, c->name, 1);
		else if (c->kind == CELL_SECONDS) {
			snprintf(num, sizeof num, "%lld", (long long)c->seconds);
			csv_add_field(out, num, 0);
		} else
			csv_add_field(out, c->text, 1);
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
	    !cJSON_AddNumberToObject(o, "expired", tot->expired) ||
	    !cJSON_AddNumberToObject(o, "open", tot->open) ||
	    !cJSON_AddNumberToObject(o, "doses", tot->doses))
		fatalx("out of memory");
	return o;
}

/*
 * A report is built page by page: report.lua reads one HSCAN page of the
 * day (a few ms of Redis each), every ticket is laid out at once as its
 * line of output (a CSV line or a JSON object) and kept with its sort key;
 * when the cursor comes back to 0 the lines are sorted (issue time, then
 * id), HSCAN's duplicates dropped, and the answer streamed out in chunks,
 * the next one only when the client has taken the last (backpressure).
 * Memory: at most REPORT_MAX_BUSY reports at a time, each at most
 * REPORT_MAX_BYTES of lines, freed as they go out; a client that stops
 * reading is cut off after http-timeout (write timeout) and its report
 * freed.  Each ticket's line is read in one script call, so a row is
 * always self-consistent; a day still being written gives every ticket
 * that existed throughout the read, each once.
 */
#define REPORT_MAX_BUSY 2
#define REPORT_MAX_BYTES (128u << 20)
#define REPORT_CHUNK 65536

struct report_line {
	int64_t at;                      /* issued_at, ms */
	char id[PROTO_TICKET_ID_MAX];
	unsigned char state, dose;
	size_t len;
	char text[];                     /* the output line, len bytes */
};

struct report_job {
	struct req *r;                   /* until the reply starts */
	struct evhttp_request *req;      /* from then on */
	struct evhttp_connection *evcon;
	int csv;
	char day[9];
	char cursor[32];
	char head[PROTO_ID_MAX + 64];    /* JSON: "event" and "date" */
	struct evbuffer *first;          /* the CSV header / JSON opening */
	struct report_line **lines;
	size_t nlines, cap, next, bytes;
	int tail_sent;                   /* JSON: the closing "]}" is out */
	int ended;                       /* evhttp_send_reply_end called */
	struct report_sheet sheet;
	struct report_row row;
};

static int reports_busy;

static void job_free(struct report_job *job)
{
	if (job->lines) {
		for (size_t i = job->next; i < job->nlines; i++)
			free(job->lines[i]);
		free(job->lines);
	}
	if (job->first)
		evbuffer_free(job->first);
	free(job);
	reports_busy--;
}

/* Ends the request with an error (before the reply started). */
static void job_fail(struct report_job *job, int status, const char *code, const char *msg)
{
	if (status == 503 && msg == NULL)
		http_reply_unavailable(job->r);
	else
		http_reply_error(job->r, status, code, msg);
	job_free(job);
}

/* The sheet's current row as its line of output, kept with its sort key;
 * -1 when the report would pass REPORT_MAX_BYTES. */
static int job_keep_line(struct report_job *job, struct evbuffer *tmp)
{
	struct report_line *l;
	size_t len;

	evbuffer_drain(tmp, evbuffer_get_length(tmp));
	if (job->csv)
		csv_add_line(tmp, &job->sheet, 0);
	else {
		cJSON *o = json_row(&job->sheet);
		char *text = o ? cJSON_PrintUnformatted(o) : NULL;
		if (text == NULL)
			fatalx("out of memory");   /* OOM only: one ticket's row */
		evbuffer_add(tmp, text, strlen(text));
		cJSON_free(text);
		cJSON_Delete(o);
	}
	len = evbuffer_get_length(tmp);
	if (job->bytes + len > REPORT_MAX_BYTES)
		return -1;
	if (job->nlines == job->cap) {
		size_t cap = job->cap ? job->cap * 2 : 1024;
		struct report_line **grown = realloc(job->lines, cap * sizeof *grown);
		if (grown == NULL)
			fatal("realloc");   /* OOM only: the report is capped at REPORT_MAX_BYTES above */
		job->lines = grown;
		job->cap = cap;
	}
	if ((l = malloc(sizeof *l + len)) == NULL)
		fatal("malloc");   /* OOM only: one row, within the cap */
	l->at = job->row.t.issued_at;
	snprintf(l->id, sizeof l->id, "%s", job->row.t.id);
	l->state = (unsigned char)job->row.t.state;
	l->dose = (unsigned char)job->row.dose;
	l->len = len;
	evbuffer_remove(tmp, l->text, len);
	job->lines[job->nlines++] = l;
	job->bytes += len;
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	const struct report_line *x = *(struct report_line *const *)a;
	const struct report_line *y = *(struct report_line *const *)b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void job_next_page(struct report_job *job);
static void job_send(struct report_job *job);

/* Owned by the store: reply dies after return.  arg is the job. */
static void report_on_page(const redisReply *reply, void *arg)
{
	struct report_job *job = arg;
	const struct event_def *ev = job->r->event;
	struct report_page pg;
	struct evbuffer *tmp = NULL;
	cJSON *res = NULL;
	const cJSON *j;

	if (store_reply_unavailable(reply)) {
		if (reply)
			log_warnx("redis refused the report: %s", reply->str);
		job_fail(job, 503, NULL, NULL);
		return;
	}
	if (reply->type != REDIS_REPLY_STRING ||
	    (res = cJSON_ParseWithLength(reply->str, reply->len)) == NULL) {
		log_warnx("report: script failed: %s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		goto bad;
	}
	if (record_report_page(res, &pg) == -1 ||
	    (job->day[0] && strcmp(job->day, pg.day) != 0)) {
		log_warnx("report: the store gave an unexpected answer");
		goto bad;
	}
	/* "today" is fixed by the first page: a report read across midnight
	 * stays on one day */
	memcpy(job->day, pg.day, sizeof job->day);
	memcpy(job->cursor, pg.cursor, sizeof job->cursor);
	if ((tmp = evbuffer_new()) == NULL)
		fatal("evbuffer_new");   /* OOM only */
	cJSON_ArrayForEach(j, pg.tickets) {
		if (record_report_row(ev, j, &job->row) == -1) {
			log_warnx("report: the store returned a malformed ticket");
			goto bad;
		}
		sheet_fill(&job->sheet, &job->row);
		if (job_keep_line(job, tmp) == -1) {
			evbuffer_free(tmp);
			cJSON_Delete(res);
			log_warnx("report: %s %s passes %u MiB, refused", ev->id, job->day,
			    REPORT_MAX_BYTES >> 20);
			job_fail(job, 422, "report_too_large",
			    "this day's report is too large to build");
			return;
		}
	}
	evbuffer_free(tmp);
	cJSON_Delete(res);
	if (strcmp(job->cursor, "0") == 0)
		job_send(job);
	else
		job_next_page(job);
	return;
bad:
	if (tmp)
		evbuffer_free(tmp);
	cJSON_Delete(res);
	job_fail(job, 500, "internal_error", "the queue store gave an unexpected answer");
}

static void job_next_page(struct report_job *job)
{
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	const char *argv[3] = { job->r->event->script_ctx, job->day, job->cursor };

	store_key(prefix, sizeof prefix, job->r->event->id, "");
	if (store_eval(server.store, store_script_get("report"), 1, keys, 3, argv, NULL,
	    report_on_page, job) == -1)
		job_fail(job, 503, NULL, NULL);
}

/*
 * The connection is going (sent, client gone, cut off or shutdown).  A
 * request libevent already detached from the connection is ours to end.
 */
static void report_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct report_job *job = arg;

	http_connection_gone(evcon);
	if (!job->ended && evhttp_request_get_connection(job->req) == NULL)
		evhttp_send_reply_end(job->req);
	job_free(job);
}

static void report_on_flushed(struct evhttp_connection *evcon, void *arg);

/* Sends the next chunk, or ends the reply when all is out; the connection
 * closes after the reply (report_on_close frees the job). */
static void job_pump(struct report_job *job)
{
	struct evbuffer *buf;

	if (job->next == job->nlines && job->first == NULL) {
		if (!job->csv && !job->tail_sent) {
			/* the JSON's end goes in its own, last chunk */
			job->tail_sent = 1;
			if ((buf = evbuffer_new()) == NULL)
				fatal("evbuffer_new");   /* OOM only */
			evbuffer_add(buf, "]}", 2);
			evhttp_send_reply_chunk_with_cb(job->req, buf, report_on_flushed, job);
			evbuffer_free(buf);
			return;
		}
		job->ended = 1;
		evhttp_send_reply_end(job->req);  /* may free the job (on close) */
		return;
	}
	if ((buf = evbuffer_new()) == NULL)
		fatal("evbuffer_new");   /* OOM only */
	if (job->first) {
		evbuffer_add_buffer(buf, job->first);
		evbuffer_free(job->first);
		job->first = NULL;
	}
	while (job->next < job->nlines && evbuffer_get_length(buf) < REPORT_CHUNK) {
		struct report_line *l = job->lines[job->next++];
		if (!job->csv && job->next > 1)
			evbuffer_add(buf, ",", 1);
		evbuffer_add(buf, l->text, l->len);
		free(l);
	}
	evhttp_send_reply_chunk_with_cb(job->req, buf, report_on_flushed, job);
	evbuffer_free(buf);
}

/* The last chunk has gone to the kernel: the next one. */
static void report_on_flushed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	job_pump(arg);
}

/* Sorts the lines (issue time, then id) and drops HSCAN's duplicates. */
static void job_sort_lines(struct report_job *job)
{
	size_t n = 0;

	if (job->nlines > 0)
		qsort(job->lines, job->nlines, sizeof *job->lines, line_cmp);
	/* HSCAN gives a ticket twice when the hash grew meanwhile: same key,
	 * so the copies are next to each other */
	for (size_t i = 0; i < job->nlines; i++) {
		if (n > 0 && strcmp(job->lines[n - 1]->id, job->lines[i]->id) == 0) {
			free(job->lines[i]);
			continue;
		}
		job->lines[n++] = job->lines[i];
	}
	job->nlines = n;
}

/* What goes before the lines: the CSV header, or the JSON's opening with
 * the day's totals.  Returns the Content-Type. */
static const char *job_first(struct report_job *job, const char *date)
{
	const struct event_def *ev = job->r->event;
	struct report_totals tot = { 0 };
	char disposition[PROTO_ID_MAX + 64];
	cJSON *t;
	char *text;

	if ((job->first = evbuffer_new()) == NULL)
		fatal("evbuffer_new");   /* OOM only */
	if (job->csv) {
		memset(&job->row, 0, sizeof job->row);
		sheet_fill(&job->sheet, &job->row);
		csv_add_line(job->first, &job->sheet, 1);
		snprintf(disposition, sizeof disposition,
		    "attachment; filename=\"antre-%s-%s.csv\"", ev->id, date);
		evhttp_add_header(evhttp_request_get_output_headers(job->r->ev),
		    "Content-Disposition", disposition);
		return "text/csv; charset=utf-8";
	}
	for (size_t i = 0; i < job->nlines; i++) {
		job->row.t.state = (enum ticket_state)job->lines[i]->state;
		job->row.dose = job->lines[i]->dose;
		totals_add(&tot, &job->row);
	}
	t = json_totals(&tot);
	if ((text = cJSON_PrintUnformatted(t)) == NULL)
		fatalx("out of memory");   /* OOM only: the day's totals */
	/* event ids are [A-Za-z0-9_-] (event.c), safe in a JSON string */
	evbuffer_add_printf(job->first, "{\"event\":\"%s\",\"date\":\"%s\",\"totals\":%s,"
	    "\"tickets\":[", ev->id, date, text);
	cJSON_free(text);
	cJSON_Delete(t);
	return "application/json; charset=utf-8";
}

static void job_send(struct report_job *job)
{
	struct req *r = job->r;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	struct timeval tv = { server.cfg.http_timeout_s, 0 }, now;
	char date[16], length[24];
	const char *type;
	size_t total;

	job_sort_lines(job);
	snprintf(date, sizeof date, "%.4s-%.2s-%.2s", job->day, job->day + 4, job->day + 6);
	type = job_first(job, date);
	/* every line is here already: the length is known, so the answer
	 * is not chunked, and HEAD gets it without the body */
	total = evbuffer_get_length(job->first);
	for (size_t i = 0; i < job->nlines; i++)
		total += job->lines[i]->len;
	if (!job->csv)
		total += (job->nlines > 0 ? job->nlines - 1 : 0) + 2;   /* commas, "]}" */
	if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
		job->r = NULL;
		http_reply_raw(r, 200, type, NULL, total);
		job_free(job);
		return;
	}
	snprintf(length, sizeof length, "%zu", total);
	http_add_common_headers(r->ev, type);
	evhttp_add_header(h, "Content-Length", length);
	/* the connection ends with the report: report_on_close frees the job */
	evhttp_add_header(h, "Connection", "close");
	job->req = r->ev;
	job->evcon = evhttp_request_get_connection(r->ev);
	gettimeofday(&now, NULL);
	metrics_http_observe(r->route->name, 200,
	    (int64_t)now.tv_sec * 1000000 + now.tv_usec - r->start_us);
	job->r = NULL;
	http_detach(r);              /* the job owns the request from here */
	if (job->evcon == NULL) {    /* the client left while we read */
		job->ended = 1;
		evhttp_send_reply_end(job->req);
		job_free(job);
		return;
	}
	evhttp_send_reply_start(job->req, 200, "OK");
	/* no read timeout while we write; a write that cannot go out for
	 * http-timeout seconds ends it */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(job->evcon), NULL, &tv);
	evhttp_connection_set_closecb(job->evcon, report_on_close, job);
	job_pump(job);
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
	struct report_job *job;

	if (strcmp(r->params[1], "csv") != 0 && strcmp(r->params[1], "json") != 0) {
		http_reply_error(r, 404, "not_found", "no such endpoint");
		return;
	}
	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");   /* OOM only: at most two reports at a time */
	if (report_query_day(r, job->day) == -1) {
		free(job);
		return;
	}
	if (reports_busy >= REPORT_MAX_BUSY) {
		free(job);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "5");
		http_reply_error(r, 503, "report_busy",
		    "other reports are being built; try again in a few seconds");
		return;
	}
	reports_busy++;
	job->r = r;
	job->csv = strcmp(r->params[1], "csv") == 0;
	strcpy(job->cursor, "0");
	sheet_init(&job->sheet, r->event);
	job_next_page(job);
}

/* report.csv and report.json: one row, the format from the path. */
const struct route report_routes[] = {
	{ "GET", "/v1/events/{ev}/report.{fmt}",
	  ROLE_BIT(ROLE_ORGANISER), report_get, "event_report", 0 },
	{ 0 }                            /* the end */
};
