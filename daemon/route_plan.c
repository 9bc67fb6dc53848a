/* route_plan.c: GET /v1/events/{ev}/plan, the planner for the day before:
 * the query read strictly, what earlier days measured (scripts/plan.lua),
 * the model (stats_plan.c), the answer (protocol/proto_plan.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "queue.h"
#include "stats_plan.h"

#define PLAN_DEFAULT_WAIT_MIN 15
#define PLAN_DEFAULT_SERVICE_S 60
#define PLAN_DEFAULT_NO_SHOW_PCT 2
#define PLAN_LIST_MAX 1024               /* bytes of a service or curve list */
#define STR_(x) #x
#define STR(x) STR_(x)

/* The query, read and checked; 0 / -1 = not given. */
struct plan_query {
	int target, max_wait_min, open_min, close_min;
	double service_s[PROTO_MAX_STAGES];  /* 0: not given */
	int ncurve;
	double curve[PLAN_MAX_HOURS];
	double no_show_pct;                  /* -1: not given */
};

typedef int plan_param_fn(const struct event_def *ev, const char *v, struct plan_query *q);

/* A whole number of 1..6 digits within lo..hi. */
static int read_int(const char *v, int lo, int hi, int *out)
{
	size_t n = strlen(v);
	int x = 0;

	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

/* A decimal (digits, at most one point, no sign or exponent, <= 12
 * bytes) within lo..hi. */
static int read_num(const char *v, double lo, double hi, double *out)
{
	size_t n = strlen(v), digits = 0, points = 0;
	double x;

	if (n == 0 || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		digits += isdigit((unsigned char)v[i]) != 0;
		points += v[i] == '.';
	}
	if (digits == 0 || digits + points != n || points > 1)
		return -1;
	x = strtod(v, NULL);
	if (!(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

static int read_hhmm(const char *v, int *min)
{
	int h, m;
	char hh[3] = { v[0], v[0] ? v[1] : 0, 0 };

	if (strlen(v) != 5 || v[2] != ':' || read_int(hh, 0, 23, &h) ||
	    read_int(v + 3, 0, 59, &m) || strlen(hh) != 2)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static int param_target(const struct event_def *ev, const char *v, struct plan_query *q)
{
	(void)ev;
	return read_int(v, 1, 100000, &q->target);
}

static int param_wait(const struct event_def *ev, const char *v, struct plan_query *q)
{
	(void)ev;
	return read_int(v, 1, 240, &q->max_wait_min);
}

static int param_open(const struct event_def *ev, const char *v, struct plan_query *q)
{
	(void)ev;
	return read_hhmm(v, &q->open_min);
}

static int param_close(const struct event_def *ev, const char *v, struct plan_query *q)
{
	(void)ev;
	return read_hhmm(v, &q->close_min);
}

static int param_no_show(const struct event_def *ev, const char *v, struct plan_query *q)
{
	(void)ev;
	return read_num(v, 0, 50, &q->no_show_pct);
}

/* A comma list too long for a buffer of `size`, empty, or with an empty
 * item (strtok_r would pass over it). */
static int list_bad(const char *v, size_t size)
{
	size_t n = strlen(v);

	return n == 0 || n >= size || v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,");
}

/* "stageid:SECONDS,..." for desk stages, each once. */
static int param_service(const struct event_def *ev, const char *v, struct plan_query *q)
{
	char buf[PLAN_LIST_MAX], *save = NULL, *it, *colon;
	int si, s;

	if (list_bad(v, sizeof buf))
		return -1;
	strcpy(buf, v);
	for (it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		if ((colon = strchr(it, ':')) == NULL)
			return -1;
		*colon = '\0';
		if ((si = event_stage_index(ev, it)) < 0 || ev->stages[si].hold_ms > 0 ||
		    q->service_s[si] > 0 || read_int(colon + 1, 5, 3600, &s))
			return -1;
		q->service_s[si] = s;
	}
	return 0;
}

/* "a,b,..." relative arrivals per hour, 0 .. 1000 each; the count is
 * checked against the hours once both are known. */
static int param_curve(const struct event_def *ev, const char *v, struct plan_query *q)
{
	char buf[PLAN_LIST_MAX], *save = NULL, *it;

	(void)ev;
	if (list_bad(v, sizeof buf))
		return -1;
	strcpy(buf, v);
	for (it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save))
		if (q->ncurve == PLAN_MAX_HOURS ||
		    read_num(it, 0, 1000, &q->curve[q->ncurve++]))
			return -1;
	return 0;
}

static const struct {
	const char *name;
	plan_param_fn *read;
	const char *message;
} plan_params[] = {
	{ "target", param_target, "\"target\" must be a whole number from 1 to 100000" },
	{ "max_wait_min", param_wait, "\"max_wait_min\" must be a whole number from 1 to 240" },
	{ "open", param_open, "\"open\" must be a time HH:MM from 00:00 to 23:59" },
	{ "close", param_close, "\"close\" must be a time HH:MM from 00:00 to 23:59" },
	{ "service", param_service, "\"service\" must be stage:SECONDS,... with desk stages "
	  "of this event, each once, 5 to 3600 s" },
	{ "curve", param_curve, "\"curve\" must be numbers from 0 to 1000, comma separated" },
	{ "no_show_pct", param_no_show, "\"no_show_pct\" must be a number from 0 to 50" },
};

/* What the parameters together must be (after each is read). */
static const char *query_check(const struct event_def *ev, struct plan_query *q)
{
	int hours, any = 0;

	if (q->target < 0 && (q->target = ev->daily_target) < 1)
		return "\"target\" is needed: the event has no daily_target";
	if (q->target > 100000)
		q->target = 100000;
	q->open_min = q->open_min < 0 ? ev->open_min : q->open_min;
	q->close_min = q->close_min < 0 ? ev->close_min : q->close_min;
	if (q->open_min >= q->close_min)
		return "\"open\" must be before \"close\"";
	hours = (q->close_min - q->open_min + 59) / 60;
	for (int h = 0; h < q->ncurve; h++)
		any |= q->curve[h] > 0;
	if (q->ncurve > 0 && (q->ncurve != hours || !any)) {
		static char msg[128];
		snprintf(msg, sizeof msg, "\"curve\" must have %d values (one an hour open), "
		    "at least one above 0", hours);
		return msg;
	}
	return NULL;
}

/* Reads and checks the query into *q; NULL, or the message of the 400. */
static const char *query_read(struct req *r, struct plan_query *q)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));
	struct evkeyvalq params;
	const char *v, *bad = NULL;

	memset(q, 0, sizeof *q);
	q->target = q->open_min = q->close_min = -1;
	q->no_show_pct = -1;
	q->max_wait_min = PLAN_DEFAULT_WAIT_MIN;
	if (qs != NULL) {
		if (evhttp_parse_query_str(qs, &params) != 0)
			return "the query is not well formed";
		for (size_t i = 0; !bad && i < sizeof plan_params / sizeof plan_params[0]; i++)
			if ((v = evhttp_find_header(&params, plan_params[i].name)) != NULL &&
			    plan_params[i].read(r->event, v, q) == -1)
				bad = plan_params[i].message;
		evhttp_clear_headers(&params);
	}
	return bad ? bad : query_check(r->event, q);
}

/* ---- the model's inputs ---------------------------------------------------- */

static double result_num(const cJSON *o, const char *name, int index)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	if (index >= 0)
		x = cJSON_IsArray(x) ? cJSON_GetArrayItem(x, index) : NULL;
	return cJSON_IsNumber(x) && x->valuedouble > 0 ? x->valuedouble : 0;
}

/* A typical day's arrivals at the share x of the hours open (the shape of
 * the forecast's typical day, stats_model.c): 0.7 of the peak at opening,
 * the peak at a fifth of the day, half of it at midday, none at close. */
static double typical_at(double x)
{
	if (x <= 0.2)
		return 0.7 + 1.5 * x;
	if (x <= 0.5)
		return 1 - (x - 0.2) / 0.6;
	return 0.5 - (x - 0.5);
}

/* The curve: given, else the earlier days' first-stage arrivals by clock
 * hour (each spread over its minutes) within the hours, else typical. */
static const char *curve_fill(const struct plan_query *q, const cJSON *res,
    struct plan_in *in)
{
	int len = q->close_min - q->open_min;
	double sum = 0;

	in->nhours = (len + 59) / 60;
	if (q->ncurve > 0) {
		memcpy(in->curve, q->curve, sizeof in->curve);
		return "given";
	}
	for (int m = 0; m < len; m++) {
		int clock = q->open_min + m;
		double a = result_num(res, "prev", clock / 60) / 60.0;
		in->curve[m / 60] += a;
		sum += a;
	}
	if (sum > 0)
		return "earlier_days";
	for (int m = 0; m < len; m++)
		in->curve[m / 60] += typical_at((m + 0.5) / len);
	return "typical";
}

/* Each stage's service and the no-show share: given, measured over the
 * earlier days (clamped to the bounds of the parameters), else defaults. */
static void inputs_fill(const struct event_def *ev, const struct plan_query *q,
    const cJSON *res, struct plan_in *in, struct plan *p)
{
	double calls = result_num(res, "calls", -1);

	in->nstages = ev->nstages;
	in->dose_stage = ev->dose_stage;
	for (int k = 0; k < ev->nstages; k++) {
		struct plan_stage_in *st = &in->st[k];
		double ms = result_num(res, "serv_ms", k), n = result_num(res, "serv_n", k);
		const char *src = "default";
		st->max_stations = ev->stages[k].max_stations;
		st->hold_min = (int)(ev->stages[k].hold_ms / 60000);
		if (ev->stages[k].hold_ms > 0)
			src = "";
		else if (q->service_s[k] > 0)
			st->service_s = q->service_s[k], src = "given";
		else if (n > 0 && ms > 0)
			st->service_s = fmin(fmax(ms / n / 1000, 5), 3600), src = "measured";
		else
			st->service_s = PLAN_DEFAULT_SERVICE_S;
		snprintf(p->stages[k].service_source, sizeof p->stages[k].service_source, "%s", src);
	}
	p->no_show_pct = PLAN_DEFAULT_NO_SHOW_PCT;
	strcpy(p->no_show_source, "default");
	if (q->no_show_pct >= 0)
		p->no_show_pct = q->no_show_pct, strcpy(p->no_show_source, "given");
	else if (calls > 0) {
		p->no_show_pct = fmin(100 * result_num(res, "no_show", -1) / calls, 50);
		p->no_show_pct = round(p->no_show_pct * 10) / 10;
		strcpy(p->no_show_source, "measured");
	}
	in->no_show = p->no_show_pct / 100;
}

/* ---- the answer ---------------------------------------------------------------- */

static const char *stage_name(const struct event_def *ev, int k)
{
	return ev->stages[k].name[0] ? ev->stages[k].name : ev->stages[k].id;
}

/* One Indonesian sentence: the desks and chairs; when the site cannot
 * staff a stage, which, and the doses its most desks would give. */
static void summary_fill(const struct event_def *ev, const struct plan_out *o,
    struct plan *p)
{
	size_t n, size = sizeof p->summary;
	char *s = p->summary;

	n = (size_t)snprintf(s, size, "Untuk %lld dosis dengan tunggu paling lama %lld menit:",
	    p->target, p->max_wait_min);
	for (int k = 0; k < ev->nstages && n < size; k++)
		n += (size_t)snprintf(s + n, size - n, "%s %s %lld %s", k ? "," : "",
		    stage_name(ev, k), o->st[k].stations >= 0 ? (long long)o->st[k].stations :
		    o->st[k].chairs, o->st[k].stations >= 0 ? "meja" : "kursi");
	if (n < size && o->feasible)
		snprintf(s + n, size - n, ".");
	else if (n < size)
		snprintf(s + n, size - n, ". %s butuh %d meja%s, tetapi paling banyak %d: dengan "
		    "meja terbanyak, sekitar %lld dosis sampai tutup.",
		    stage_name(ev, o->short_stage), o->st[o->short_stage].stations,
		    o->st[o->short_stage].stations >= PLAN_MAX_DESKS ? " atau lebih" : "",
		    ev->stages[o->short_stage].max_stations, o->doses_possible);
}

static void plan_fill(const struct event_def *ev, const struct plan_in *in,
    const struct plan_out *o, struct plan *p)
{
	snprintf(p->event, sizeof p->event, "%s", ev->id);
	snprintf(p->open, sizeof p->open, "%02d:%02d", in->open_min / 60, in->open_min % 60);
	snprintf(p->close, sizeof p->close, "%02d:%02d", in->close_min / 60, in->close_min % 60);
	p->people = o->people;
	p->curve.nhours = in->nhours;
	memcpy(p->curve.per_hour, o->per_hour, sizeof p->curve.per_hour);
	p->peak_per_hour = o->peak_per_hour;
	p->nstages = ev->nstages;
	for (int k = 0; k < ev->nstages; k++) {
		struct plan_stage *w = &p->stages[k];
		int desk = in->st[k].service_s > 0;
		snprintf(w->id, sizeof w->id, "%s", ev->stages[k].id);
		snprintf(w->name, sizeof w->name, "%s", ev->stages[k].name);
		w->service_s = desk ? llround(in->st[k].service_s) : -1;
		w->hold_minutes = desk ? -1 : in->st[k].hold_min;
		w->stations = o->st[k].stations;
		w->max_stations = desk ? in->st[k].max_stations : -1;
		w->utilisation = desk ? round(o->st[k].utilisation * 100) / 100 : -1;
		w->p90_wait_s = desk ? llround(o->st[k].p90_wait_s) : -1;
		w->chairs = o->st[k].chairs;
	}
	p->feasible = o->feasible;
	p->doses_possible = o->doses_possible;
	summary_fill(ev, o, p);
}

/* The script's result lives until return. */
static void plan_on_result(struct req *r, const cJSON *result)
{
	struct plan_query q;
	struct plan_in in;
	struct plan_out out;
	struct plan *p = calloc(1, sizeof *p);
	const char *bad = query_read(r, &q);   /* read again: it passed before */
	cJSON *body;

	if (p == NULL)
		fatal("calloc");   /* OOM only: one plan */
	if (bad != NULL) {
		free(p);
		http_reply_error(r, 400, "invalid_parameter", bad);
		return;
	}
	memset(&in, 0, sizeof in);
	in.open_min = q.open_min;
	in.close_min = q.close_min;
	in.target = q.target;
	in.max_wait_s = q.max_wait_min * 60.0;
	snprintf(p->curve.source, sizeof p->curve.source, "%s", curve_fill(&q, result, &in));
	inputs_fill(r->event, &q, result, &in, p);
	plan_solve(&in, &out);
	p->target = q.target;
	p->max_wait_min = q.max_wait_min;
	plan_fill(r->event, &in, &out, p);
	if ((body = proto_plan_encode(p)) == NULL)
		fatalx("out of memory");   /* OOM only: the plan is bounded (8 stages, 24 hours) */
	free(p);
	http_reply_json(r, 200, body);
}

static void plan_get(struct req *r)
{
	static const char *args[1] = { STR(EVENT_MAX_STATIONS_PER_STAGE) };
	const char *bad = query_read(r, &(struct plan_query){ 0 });

	if (bad != NULL) {
		http_reply_error(r, 400, "invalid_parameter", bad);
		return;
	}
	queue_run(r, "plan", 1, args, plan_on_result);
}

const struct route plan_routes[] = {
	{ "GET", "/v1/events/{ev}/plan", ROLE_BIT(ROLE_ORGANISER), plan_get, "event_plan", 0 },
	{ 0 }                            /* the end */
};
