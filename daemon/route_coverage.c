/* route_coverage.c: the campaign's coverage (GET /v1/coverage), the
 * elderly list for home visits (GET /v1/coverage/elderly), and the
 * per-kecamatan gauges GET /metrics shows (route_coverage.h).  One read
 * script (scripts/coverage_read.lua) in the campaign's slot; the figures
 * are coverage.c's.  PROTOCOL.md, "Coverage". */
#include "route_coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "coverage.h"
#include "coverage_store.h"
#include "log.h"
#include "store.h"

/* the read script's context: it belongs to no event */
#define READ_CTX "{\"off\":0,\"stages\":[]}"
#define ELDERLY_LIMIT_MAX 10000
#define ELDERLY_LIMIT_DEFAULT 500

enum cov_view { VIEW_AREAS, VIEW_ELDERLY, VIEW_GAUGES };

/* One read in progress; freed when answered. */
struct cov_read {
	struct req *r;                   /* NULL for the gauges' refresh */
	enum cov_view view;
	int level;
	int csv;
	int limit;
	char parent[COV_CODE_MAX + 1];   /* "" for none */
	long long day;
};

/* ---- the query ---- */

/* NULL, or what is wrong with the query (the 400's message). */
static const char *query_read(struct req *r, struct cov_read *q)
{
	char buf[HTTP_PARAM_MAX];
	const char *v;
	char *end;
	long n;

	q->level = COV_DESA;
	q->limit = ELDERLY_LIMIT_DEFAULT;
	if ((v = http_query(r, "level", buf, sizeof buf)) != NULL &&
	    (q->level = coverage_level_parse(v)) < 0)
		return "level: one of kabupaten, kecamatan, desa, rt";
	if ((v = http_query(r, "format", buf, sizeof buf)) != NULL) {
		if (strcmp(v, "csv") != 0 && strcmp(v, "json") != 0)
			return "format: csv or json";
		q->csv = strcmp(v, "csv") == 0;
	}
	if ((v = http_query(r, "parent", buf, sizeof buf)) != NULL) {
		if (!coverage_code_ok(v))
			return "parent: an area code (1 to 32 of A-Z a-z 0-9 . _ -)";
		strcpy(q->parent, v);
	}
	if ((v = http_query(r, "limit", buf, sizeof buf)) != NULL) {
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || n < 1 || n > ELDERLY_LIMIT_MAX)
			return "limit: 1 to 10000";
		q->limit = (int)n;
	}
	return NULL;
}

/* ---- CSV: the same rows and columns as the JSON ---- */

/* RFC 4180 quoting; a text a spreadsheet would run as a formula (= + - @,
 * TAB, CR first) is kept as text by a leading quote mark. */
static void csv_cell(struct evbuffer *out, const char *s)
{
	int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
	int quote = formula || strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		evbuffer_add_printf(out, "\"%s", formula ? "'" : "");
	for (; *s; s++) {
		if (*s == '"')
			evbuffer_add(out, "\"", 1);
		evbuffer_add(out, s, 1);
	}
	if (quote)
		evbuffer_add(out, "\"", 1);
}

static void csv_rows(struct evbuffer *out, const cJSON *rows, const char *const *cols)
{
	const cJSON *row, *v;
	char *num;

	for (int c = 0; cols[c]; c++)
		evbuffer_add_printf(out, "%s%s", c ? "," : "", cols[c]);
	evbuffer_add(out, "\r\n", 2);
	cJSON_ArrayForEach(row, rows) {
		for (int c = 0; cols[c]; c++) {
			if (c)
				evbuffer_add(out, ",", 1);
			v = cJSON_GetObjectItemCaseSensitive(row, cols[c]);
			if (cJSON_IsString(v))
				csv_cell(out, v->valuestring);
			else if (cJSON_IsNumber(v)) {
				/* the JSON's own text of the number */
				if ((num = cJSON_PrintUnformatted(v)) == NULL)
					fatal("cJSON_Print");   /* OOM only */
				evbuffer_add(out, num, strlen(num));
				cJSON_free(num);
			}                /* null: an empty cell */
		}
		evbuffer_add(out, "\r\n", 2);
	}
}

static void reply_csv(struct req *r, const cJSON *body, const char *const *cols,
    const char *file)
{
	struct evbuffer *out = evbuffer_new();
	char disposition[64];

	if (out == NULL)
		fatal("evbuffer_new");   /* OOM only: an empty buffer */
	csv_rows(out, cJSON_GetObjectItemCaseSensitive(body, "areas"), cols);
	snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", file);
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Content-Disposition", disposition);
	http_reply_raw(r, 200, "text/csv; charset=utf-8", evbuffer_pullup(out, -1),
	    evbuffer_get_length(out));
	evbuffer_free(out);
}

/* ---- the gauges for GET /metrics ---- */

struct gauge {
	char code[COV_CODE_MAX + 1];
	char name[COV_NAME_MAX + 1];
	long long dose1, dose2, target;
};

/* the kecamatan of the last read, for the scrapes: at most GAUGES_MAX */
#define GAUGES_MAX 1000
#define GAUGES_MAX_AGE 60
static struct gauge *gauges;
static int ngauges;
static time_t gauges_at;             /* 0: never read */
static int gauges_reading;

static void gauges_keep(const struct coverage *c)
{
	int *rows = c->n ? calloc((size_t)c->n, sizeof *rows) : NULL;
	int n = 0;

	if (c->n && rows == NULL)
		fatal("calloc");          /* OOM only: an int per area */
	for (int i = 0; i < c->n && n < GAUGES_MAX; i++)
		if (c->areas[i].level == COV_KECAMATAN)
			rows[n++] = i;
	free(gauges);
	gauges = n ? calloc((size_t)n, sizeof *gauges) : NULL;
	if (n && gauges == NULL)
		fatal("calloc");          /* OOM only: bounded by GAUGES_MAX */
	for (int k = 0; k < n; k++) {
		const struct cov_area *a = &c->areas[rows[k]];
		strcpy(gauges[k].code, a->code);
		strcpy(gauges[k].name, a->name);
		gauges[k].dose1 = a->fig[COV_DOSE1];
		gauges[k].dose2 = a->fig[COV_DOSE2];
		gauges[k].target = a->target;
	}
	ngauges = n;
	gauges_at = time(NULL);
	free(rows);
}

/* A Prometheus label value: backslash, quote and line feed escaped. */
static void label_value(struct evbuffer *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(out, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, s, 1);
	}
}

void coverage_metrics_write(struct evbuffer *out)
{
	static const char *const names[] = { "dose1", "dose2", "target" };
	static const char *const help[] = {
		"people with dose 1 in the kecamatan and below, over the campaign",
		"people with dose 2 in the kecamatan and below, over the campaign",
		"the kecamatan's target (people to vaccinate), from the area table",
	};

	if (ngauges == 0)
		return;                  /* no table, or no kecamatan in it */
	for (int m = 0; m < 3; m++) {
		evbuffer_add_printf(out, "# HELP antre_coverage_%s %s\n"
		    "# TYPE antre_coverage_%s gauge\n", names[m], help[m], names[m]);
		for (int k = 0; k < ngauges; k++) {
			const struct gauge *g = &gauges[k];
			evbuffer_add_printf(out, "antre_coverage_%s{kecamatan=\"", names[m]);
			label_value(out, g->code);
			evbuffer_add(out, "\",name=\"", 8);
			label_value(out, g->name);
			evbuffer_add_printf(out, "\"} %lld\n",
			    m == 0 ? g->dose1 : m == 1 ? g->dose2 : g->target);
		}
	}
	evbuffer_add_printf(out, "# HELP antre_coverage_age_seconds seconds since "
	    "the coverage gauges were read\n# TYPE antre_coverage_age_seconds gauge\n"
	    "antre_coverage_age_seconds %lld\n", (long long)(time(NULL) - gauges_at));
}

/* ---- the read ---- */

static void read_answer(struct cov_read *q, const struct coverage *c)
{
	struct req *r = q->r;
	int under = -1, n, *rows = c->n ? calloc((size_t)c->n, sizeof *rows) : NULL;
	cJSON *body;

	if (c->n && rows == NULL)
		fatal("calloc");          /* OOM only: an int per area */
	if (q->parent[0] && (under = coverage_find(c, q->parent)) < 0) {
		http_reply_error(r, 400, "invalid_parameter", "parent: no such area");
		free(rows);
		return;
	}
	if (q->view == VIEW_ELDERLY) {
		n = coverage_elderly(c, q->limit, rows);
		body = coverage_elderly_json(c, rows, n);
	} else {
		n = coverage_select(c, (enum cov_level)q->level, under, rows);
		body = coverage_json(c, (enum cov_level)q->level, rows, n);
	}
	free(rows);
	if (body == NULL)
		fatalx("out of memory");  /* OOM only: the table is bounded */
	if (q->csv)
		reply_csv(r, body, q->view == VIEW_ELDERLY ? coverage_elderly_columns :
		    coverage_columns, q->view == VIEW_ELDERLY ? "lansia.csv" : "cakupan.csv");
	else {
		http_reply_json(r, 200, body);
		return;
	}
	cJSON_Delete(body);
}

/* Owned by the store: reply dies after return.  arg is the read. */
static void read_on_reply(const redisReply *reply, void *arg)
{
	struct cov_read *q = arg;
	cJSON *raw = NULL;
	struct coverage c;

	if (reply == NULL || store_reply_unavailable(reply)) {
		if (q->r)
			http_reply_unavailable(q->r);
		goto done;
	}
	if (reply->type != REDIS_REPLY_STRING ||
	    (raw = cJSON_ParseWithLength(reply->str, reply->len)) == NULL ||
	    coverage_build(raw, q->day, server.cfg.dose_overdue_after_days, &c) == -1) {
		log_warnx("coverage: unexpected read: %s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "not the script's shape");
		if (q->r)
			http_reply_error(q->r, 500, "internal_error",
			    "the coverage store gave an unexpected answer");
		goto done;
	}
	if (c.bad_rows)
		log_warnx("coverage: %d rows of the area table unreadable", c.bad_rows);
	gauges_keep(&c);
	if (q->r)
		read_answer(q, &c);
	coverage_free(&c);
done:
	if (q->r == NULL)
		gauges_reading = 0;
	cJSON_Delete(raw);
	free(q);
}

/* Sends the read; -1 when Redis is down (nothing sent, q still owned). */
static int read_send(struct cov_read *q)
{
	char prefix[STORE_KEY_MAX], day[24];
	const char *keys[1] = { prefix };
	const char *args[2] = { READ_CTX, day };

	q->day = coverage_today(NULL);
	snprintf(day, sizeof day, "%lld", q->day);
	store_key(prefix, sizeof prefix, COVERAGE_CAMPAIGN, "");
	return store_eval(server.store, store_script_get("coverage_read"), 1, keys,
	    2, args, NULL, read_on_reply, q);
}

void coverage_gauges_refresh(void)
{
	struct cov_read *q;

	if (gauges_reading || (gauges_at != 0 && time(NULL) - gauges_at < GAUGES_MAX_AGE))
		return;
	if ((q = calloc(1, sizeof *q)) == NULL)
		fatal("calloc");
	q->view = VIEW_GAUGES;
	if (read_send(q) == -1) {
		free(q);
		return;
	}
	gauges_reading = 1;
}

/* The outboxes drained (ok 0: Redis failed on the way): the read. */
static void on_drained(int ok, void *arg)
{
	struct cov_read *q = arg;

	if (!ok || read_send(q) == -1) {
		http_reply_unavailable(q->r);
		free(q);
	}
}

static void coverage_start(struct req *r, enum cov_view view)
{
	struct cov_read *q = calloc(1, sizeof *q);
	const char *bad;

	if (q == NULL)
		fatal("calloc");          /* OOM only: one read */
	q->r = r;
	q->view = view;
	if ((bad = query_read(r, q)) != NULL) {
		free(q);
		http_reply_error(r, 400, "invalid_parameter", bad);
		return;
	}
	/* what the events' outboxes still hold is counted first */
	coverage_drain_all(on_drained, q);
}

static void coverage_get(struct req *r)
{
	coverage_start(r, VIEW_AREAS);
}

static void elderly_get(struct req *r)
{
	coverage_start(r, VIEW_ELDERLY);
}

const struct route coverage_routes[] = {
	{ "GET", "/v1/coverage", ROLE_BIT(ROLE_ORGANISER),
	  coverage_get, "coverage", 0 },
	{ "GET", "/v1/coverage/elderly", ROLE_BIT(ROLE_ORGANISER),
	  elderly_get, "coverage_elderly", 0 },
	{ 0 }                            /* the end */
};
