/* coverage_store.c: the events' outboxes of dose records applied to the
 * campaign's keys; a person's record read for the desk (coverage_store.h). */
#include "coverage_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "nik.h"
#include "server.h"
#include "store.h"

#define DRAIN_BATCHES 40                 /* one drain: 20,000 lines at most */
#define DAY_S 86400L

/* Someone waiting for the end of a drain. */
struct waiter {
	coverage_done *done;
	void *arg;
	struct waiter *next;
};

/*
 * One event's drain in this daemon: one run at a time.  A run reads a
 * batch of the outbox, applies it, trims it, and goes on while batches are
 * full and it has batches left.  Slots live as long as the daemon (one
 * per event id ever loaded), so a callback's slot is never gone.
 */
struct slot {
	char id[PROTO_ID_MAX];
	int busy;                        /* a run is on */
	int again;                       /* asked for while busy: one run more */
	int batches;                     /* left in this run */
	struct waiter *running;          /* told when this run ends */
	struct waiter *next;             /* told when the next run ends */
	int nlines;                      /* the batch being applied, owned */
	char **lines;
	size_t *lens;
};

static struct slot **slots;
static int nslots;

static void slot_read(struct slot *s);

static struct slot *slot_get(const char *id)
{
	struct slot **grown, *s;

	for (int i = 0; i < nslots; i++)
		if (strcmp(slots[i]->id, id) == 0)
			return slots[i];
	if ((grown = realloc(slots, (size_t)(nslots + 1) * sizeof *slots)) == NULL ||
	    (s = calloc(1, sizeof *s)) == NULL)
		fatal("coverage slot");   /* OOM only: one per event loaded */
	slots = grown;
	snprintf(s->id, sizeof s->id, "%s", id);
	slots[nslots++] = s;
	return s;
}

static void lines_free(struct slot *s)
{
	for (int i = 0; s->lines && i <= s->nlines; i++)   /* [0] is not ours: NULL */
		free(s->lines[i]);
	free(s->lines);
	free(s->lens);
	s->lines = NULL;
	s->lens = NULL;
	s->nlines = 0;
}

static void waiters_tell(struct waiter *w, int ok)
{
	while (w) {
		struct waiter *next = w->next;
		w->done(ok, w->arg);
		free(w);
		w = next;
	}
}

static void slot_start(struct slot *s, int batches)
{
	s->busy = 1;
	s->again = 0;
	s->batches = batches;
	s->running = s->next;
	s->next = NULL;
	slot_read(s);
}

/* The run is over: the next one (if asked for) starts before the waiters
 * hear, so that one who asks again from its callback finds it busy. */
static void slot_finish(struct slot *s, int ok)
{
	struct waiter *told = s->running;

	lines_free(s);
	s->running = NULL;
	s->busy = 0;
	if (s->again)
		slot_start(s, DRAIN_BATCHES);
	waiters_tell(told, ok);
}

/* The campaign's context for coverage_apply.lua: _lib.lua's calendar (the
 * offset of coverage's today) and how long a person's record is kept. */
static void campaign_ctx(char *buf, size_t size)
{
	const struct event_set *set = server.events ? &server.events->set : NULL;

	snprintf(buf, size, "{\"off\":%d,\"stages\":[],\"retention\":%ld}",
	    set && set->n ? set->events[0].utc_offset_s : 0,
	    (long)server.cfg.coverage_retention_days * DAY_S);
}

/* A count member of a script's answer: 0..2^31, else -1 (absent, not a
 * number: no double outside a long's range is ever converted). */
static long count_member(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 2147483647.0 ?
	    (long)v->valuedouble : -1;
}

/* A script's answer {"…": n}: n of member name, or -1 for an error reply
 * (or an answer without it). */
static long script_count(const redisReply *reply, const char *name, const struct slot *s)
{
	cJSON *j;
	long n = -1;

	if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
		log_warnx("coverage: %s: %s", s->id, reply && reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "Redis did not answer");
		return -1;
	}
	if ((j = cJSON_ParseWithLength(reply->str, reply->len)) != NULL)
		n = count_member(j, name);
	if (count_member(j, "bad") > 0)
		log_warnx("coverage: %s: dose records that are not ones skipped: %s", s->id,
		    reply->str);
	cJSON_Delete(j);
	return n;
}

/* Owned by the store: reply dies after return.  arg is the slot. */
static void on_trimmed(const redisReply *reply, void *arg)
{
	struct slot *s = arg;
	int full = s->nlines == COVERAGE_BATCH;

	if (script_count(reply, "trimmed", s) < 0) {
		slot_finish(s, 0);
		return;
	}
	lines_free(s);
	if (full && --s->batches > 0)
		slot_read(s);
	else
		slot_finish(s, 1);
}

/* Owned by the store: reply dies after return.  arg is the slot.  Applied:
 * now the lines may go, those still at the head of the outbox. */
static void on_applied(const redisReply *reply, void *arg)
{
	struct slot *s = arg;
	const struct event_def *ev = event_find(&server.events->set, s->id);
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	int rc;

	if (script_count(reply, "applied", s) < 0) {
		slot_finish(s, 0);
		return;
	}
	if (ev == NULL) {                /* unloaded meanwhile: left for its return */
		slot_finish(s, 1);
		return;
	}
	/* the event's context first, as every event script's */
	s->lines[0] = (char *)ev->script_ctx;
	s->lens[0] = strlen(ev->script_ctx);
	store_key(prefix, sizeof prefix, s->id, "");
	rc = store_eval(server.store, store_script_get("coverage_trim"), 1, keys,
	    s->nlines + 1, (const char **)s->lines, s->lens, on_trimmed, s);
	s->lines[0] = NULL;              /* not ours: store_eval copied it */
	if (rc == -1)
		slot_finish(s, 0);
}

/* Copies the batch into s->lines[1..] (lines[0]: the script's context). */
static void lines_copy(struct slot *s, const redisReply *reply)
{
	s->nlines = (int)reply->elements;
	if ((s->lines = calloc((size_t)s->nlines + 1, sizeof *s->lines)) == NULL ||
	    (s->lens = calloc((size_t)s->nlines + 1, sizeof *s->lens)) == NULL)
		fatal("coverage batch");   /* OOM only: COVERAGE_BATCH lines at most */
	for (int i = 0; i < s->nlines; i++) {
		const redisReply *e = reply->element[i];
		const char *str = e->type == REDIS_REPLY_STRING ? e->str : "";
		size_t len = e->type == REDIS_REPLY_STRING ? e->len : 0;
		if ((s->lines[i + 1] = malloc(len + 1)) == NULL)
			fatal("coverage line");   /* OOM only: a line the scripts wrote, small */
		memcpy(s->lines[i + 1], str, len);
		s->lines[i + 1][len] = '\0';
		s->lens[i + 1] = len;
	}
}

/* Owned by the store: reply dies after return (the lines are copied).
 * arg is the slot. */
static void on_read(const redisReply *reply, void *arg)
{
	struct slot *s = arg;
	char prefix[STORE_KEY_MAX], ctx[160];
	const char *keys[1] = { prefix };
	int rc;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		slot_finish(s, 0);
		return;
	}
	if (reply->elements == 0) {
		slot_finish(s, 1);
		return;
	}
	lines_copy(s, reply);
	campaign_ctx(ctx, sizeof ctx);
	s->lines[0] = ctx;
	s->lens[0] = strlen(ctx);
	store_key(prefix, sizeof prefix, COVERAGE_CAMPAIGN, "");
	rc = store_eval(server.store, store_script_get("coverage_apply"), 1, keys,
	    s->nlines + 1, (const char **)s->lines, s->lens, on_applied, s);
	s->lines[0] = NULL;              /* on the stack: store_eval copied it */
	if (rc == -1)
		slot_finish(s, 0);
}

static void slot_read(struct slot *s)
{
	char key[STORE_KEY_MAX], last[16];
	const char *argv[4] = { "LRANGE", key, "0", last };

	store_key(key, sizeof key, s->id, "cov:outbox");
	snprintf(last, sizeof last, "%d", COVERAGE_BATCH - 1);
	if (store_command(server.store, on_read, s, 4, argv, NULL) == -1)
		slot_finish(s, 0);
}

/* Asks for a run of slot s; w (may be NULL) is told when it ends. */
static void slot_want(struct slot *s, struct waiter *w, int batches)
{
	if (w) {
		w->next = s->next;
		s->next = w;
	}
	if (s->busy)
		s->again = 1;
	else
		slot_start(s, batches);
}

void coverage_drain(const char *event)
{
	slot_want(slot_get(event), NULL, DRAIN_BATCHES);
}

void coverage_drain_tick(void)
{
	const struct event_set *set = &server.events->set;

	if (!store_is_up(server.store))
		return;
	for (int i = 0; i < set->n; i++) {
		struct slot *s = slot_get(set->events[i].id);
		if (!s->busy)
			slot_start(s, 1);
	}
}

/* Every event's drain, counted down to done. */
struct drain_all {
	int left;
	int ok;
	coverage_done *done;
	void *arg;
};

static void all_one(int ok, void *arg)
{
	struct drain_all *a = arg;

	a->ok = a->ok && ok;
	if (--a->left > 0)
		return;
	a->done(a->ok, a->arg);
	free(a);
}

void coverage_drain_all(coverage_done *done, void *arg)
{
	const struct event_set *set = &server.events->set;
	struct drain_all *a = malloc(sizeof *a);

	if (a == NULL)
		fatal("coverage drain");   /* OOM only */
	*a = (struct drain_all){ set->n + 1, 1, done, arg };   /* +1: until all asked */
	for (int i = 0; i < set->n; i++) {
		struct waiter *w = malloc(sizeof *w);
		if (w == NULL)
			fatal("coverage waiter");
		*w = (struct waiter){ all_one, a, NULL };
		slot_want(slot_get(set->events[i].id), w, DRAIN_BATCHES);
	}
	all_one(1, a);
}

/* ---- the calendar and a person's status ---------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Days of a YYYYMMDD day; -1 when it is not one. */
static long day_num(const char *ymd)
{
	int y, m, d;

	if (strlen(ymd) != 8 || strspn(ymd, "0123456789") != 8 ||
	    sscanf(ymd, "%4d%2d%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	return days_from_civil(y, m, d);
}

long coverage_today(char *ymd)
{
	const struct event_set *set = server.events ? &server.events->set : NULL;
	time_t t = time(NULL);
	long days;
	struct tm tm;

	if (set && set->n)
		t = event_now(&set->events[0]) + set->events[0].utc_offset_s;
	days = (long)(t >= 0 ? t / DAY_S : (t - DAY_S + 1) / DAY_S);
	if (ymd) {
		time_t at = (time_t)days * DAY_S;
		gmtime_r(&at, &tm);
		if (strftime(ymd, 9, "%Y%m%d", &tm) != 8)
			ymd[0] = '\0';
	}
	return days;
}

const char *coverage_status(const struct coverage_person *p, long today, int overdue_days)
{
	long due = day_num(p->due2);

	if (!p->d1[0] && !p->d2[0] && !p->d3[0])
		return "none";
	if (p->d2[0] || p->d3[0] || due < 0)
		return "done";
	if (today < due)
		return "not_yet_due";
	return today < due + overdue_days ? "due" : "overdue";
}

/* "YYYY-MM-DD" of a YYYYMMDD day, or null. */
static void add_day(cJSON *o, const char *name, const char *ymd)
{
	char iso[16];

	if (day_num(ymd) < 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
	cJSON_AddStringToObject(o, name, iso);
}

cJSON *coverage_status_json(const struct coverage_person *p, long today, int overdue_days)
{
	const char *status = coverage_status(p, today, overdue_days);
	int waiting = strcmp(status, "none") != 0 && strcmp(status, "done") != 0;
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		fatalx("out of memory");   /* OOM only: one small object */
	add_day(o, "dose1", p->d1);
	add_day(o, "dose2", p->d2);
	add_day(o, "dose3", p->d3);
	add_day(o, "next_due", waiting ? p->due2 : "");
	cJSON_AddStringToObject(o, "status", status);
	return o;
}

/* ---- a person's record for the desk -------------------------------------- */

struct person_read {
	char key[STORE_KEY_MAX];
	coverage_person_cb *cb;
	void *arg;
};

/* Owned by the store: reply dies after return.  arg is the read. */
static void on_person(const redisReply *reply, void *arg)
{
	struct person_read *pr = arg;
	struct coverage_person p;

	memset(&p, 0, sizeof p);
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		pr->cb(NULL, pr->arg);
		free(pr);
		return;
	}
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		const redisReply *f = reply->element[i], *v = reply->element[i + 1];
		char *dst = NULL;
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || v->len != 8)
			continue;
		dst = strcmp(f->str, "d1") == 0 ? p.d1 : strcmp(f->str, "d2") == 0 ? p.d2 :
		    strcmp(f->str, "d3") == 0 ? p.d3 : strcmp(f->str, "due2") == 0 ? p.due2 : NULL;
		if (dst && day_num(v->str) >= 0)
			memcpy(dst, v->str, 9);
	}
	pr->cb(&p, pr->arg);
	free(pr);
}

static void person_drained(int ok, void *arg)
{
	struct person_read *pr = arg;
	const char *argv[2] = { "HGETALL", pr->key };

	if (!ok || store_command(server.store, on_person, pr, 2, argv, NULL) == -1) {
		pr->cb(NULL, pr->arg);
		free(pr);
	}
}

void coverage_person_read(const char *pkey, coverage_person_cb *cb, void *arg)
{
	struct person_read *pr = malloc(sizeof *pr);
	char suffix[NIK_PERSON_LEN + 8];

	if (pr == NULL)
		fatal("coverage person");   /* OOM only */
	snprintf(suffix, sizeof suffix, "cov:p:%.*s", NIK_PERSON_LEN, pkey);
	store_key(pr->key, sizeof pr->key, COVERAGE_CAMPAIGN, suffix);
	pr->cb = cb;
	pr->arg = arg;
	coverage_drain_all(person_drained, pr);
}
