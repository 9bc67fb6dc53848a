/* queue.c: script runs for requests, refusals to statuses, store tickets to wire. */
#include "queue.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "log.h"
#include "protocol.h"
#include "store.h"

/* What each refusal a script can give means in HTTP. */
static const struct {
	const char *code;
	int status;
} refusals[] = {
	{ "duplicate_person", 409 },
	{ "station_busy", 409 },
	{ "station_paused", 409 },
	{ "invalid_transition", 409 },
	{ "wrong_stage", 409 },
	{ "no_ticket", 409 },
	{ "ticket_not_found", 404 },
	{ "unknown_stage", 422 },
	{ "invalid_outcome", 422 },
	{ "idempotency_key_reused", 422 },
};

static int refusal_status(const char *code)
{
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
		if (strcmp(refusals[i].code, code) == 0)
			return refusals[i].status;
	return 500;
}

static void key_prefix(const char *event, char *buf, size_t size)
{
	snprintf(buf, size, "antre:{%s}:", event);
}

/* The script's result text: a string, or on a replayed Idempotency-Key
 * {result, "replayed"} (_lib.lua idempotent()); NULL for anything else. */
static const redisReply *result_text(const redisReply *reply, int *replayed)
{
	*replayed = 0;
	if (reply->type == REDIS_REPLY_STRING)
		return reply;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[1]->str, "replayed") == 0) {
		*replayed = 1;
		return reply->element[0];
	}
	return NULL;
}

/* Owned by the store: reply dies after return.  arg is the request. */
static void queue_on_reply(const redisReply *reply, void *arg)
{
	struct req *r = arg;
	const redisReply *text;
	const cJSON *err;
	cJSON *result;
	int replayed;

	if (store_reply_unavailable(reply)) {
		if (reply == NULL) {
			http_reply_unavailable(r);
			return;
		}
		log_warnx("redis refused %s: %s", r->route->name, reply->str);
		http_reply_refused(r);
		return;
	}
	if ((text = result_text(reply, &replayed)) == NULL ||
	    (result = cJSON_ParseWithLength(text->str, text->len)) == NULL) {
		log_warnx("script for %s failed: %s", r->route->name,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	/* A replayed result goes through the same mapping as the first time:
	 * the statuses and bodies below depend on the result and the event's
	 * settings only, never on the time or on what Redis holds now. */
	if (replayed)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "Idempotency-Replayed", "true");
	err = cJSON_GetObjectItemCaseSensitive(result, "err");
	if (cJSON_IsString(err)) {
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(result, "msg");
		int status = refusal_status(err->valuestring);
		if (status == 500)
			log_warnx("script for %s: unexpected refusal %s", r->route->name,
			    err->valuestring);
		http_reply_error(r, status, err->valuestring,
		    cJSON_IsString(msg) ? msg->valuestring : err->valuestring);
	} else
		r->on_result(r, result);
	cJSON_Delete(result);
}

/* KEYS[1] the event's prefix, KEYS[2] (idem_key, may be NULL) the record
 * of an Idempotency-Key, then fp as the last ARGV. */
static void queue_eval(struct req *r, const char *script, int nargs, const char **args,
    const char *idem_key, const char *fp, queue_done *done)
{
	char prefix[PROTO_ID_MAX + 16];
	const char *keys[2] = { prefix, idem_key };
	/* the most any caller passes: stats' day and every service of the
	 * event (event files may have EVENT_MAX_SERVICES), with the context
	 * and fp; more is a bug in a caller, never something a request or an
	 * event file can cause */
	const char *argv[3 + EVENT_MAX_SERVICES];
	int n = 0;

	if (nargs > 1 + EVENT_MAX_SERVICES)
		fatalx("queue_run: too many arguments");
	key_prefix(r->event->id, prefix, sizeof prefix);
	argv[n++] = r->event->script_ctx;
	for (int i = 0; i < nargs; i++)
		argv[n++] = args[i];
	if (idem_key)
		argv[n++] = fp;
	r->on_result = done;
	if (store_eval(server.store, store_script_get(script), idem_key ? 2 : 1, keys, n,
	    argv, NULL, queue_on_reply, r) == -1)
		http_reply_unavailable(r);
}

void queue_run(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done)
{
	queue_eval(r, script, nargs, args, NULL, NULL, done);
}

/* ---- Idempotency-Key ---------------------------------------------------- */

#define IDEM_KEY_MAX 64

/* The request's Idempotency-Key into key (IDEM_KEY_MAX + 1 bytes, "" when
 * there is none); 0, or -1 when it is malformed or given twice. */
static int idem_key_get(struct req *r, char *key)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
	const struct evkeyval *kv;
	const char *found = NULL;
	size_t n;

	key[0] = '\0';
	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, "Idempotency-Key") != 0)
			continue;
		if (found)
			return -1;
		found = kv->value;
	}
	if (found == NULL)
		return 0;
	n = strlen(found);
	if (n == 0 || n > IDEM_KEY_MAX || strspn(found, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._:-") != n)
		return -1;
	memcpy(key, found, n + 1);
	return 0;
}

int queue_idem_check(struct req *r)
{
	char key[IDEM_KEY_MAX + 1];

	if (idem_key_get(r, key) == 0)
		return 0;
	http_reply_error(r, 400, "invalid_idempotency_key",
	    "Idempotency-Key must be given once, 1 to 64 of A-Z a-z 0-9 . _ : -");
	return -1;
}

/* SHA-256 of method, path, NUL and body, hex: what makes two requests the
 * same request for one key. */
static void idem_fingerprint(struct req *r, char *hex)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const unsigned char *body = len ? evbuffer_pullup(in, -1) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (path == NULL)
		path = "";
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, r->route->method, strlen(r->route->method)) != 1 ||
	    EVP_DigestUpdate(c, path, strlen(path) + 1) != 1 ||   /* with its NUL */
	    (len && EVP_DigestUpdate(c, body, len) != 1) ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatalx("sha-256 failed");   /* OOM only: SHA-256 of bounded bytes cannot fail otherwise */
	EVP_MD_CTX_free(c);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void queue_write(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done)
{
	char key[IDEM_KEY_MAX + 1], rec[PROTO_ID_MAX + IDEM_KEY_MAX + 24];
	char fp[2 * EVP_MAX_MD_SIZE + 1];

	if (idem_key_get(r, key) == -1) {
		/* handlers check first (queue_idem_check); this is the backstop */
		queue_idem_check(r);
		return;
	}
	if (key[0] == '\0') {
		queue_run(r, script, nargs, args, done);
		return;
	}
	snprintf(rec, sizeof rec, "antre:{%s}:idem:%s", r->event->id, key);
	idem_fingerprint(r, fp);
	queue_eval(r, script, nargs, args, rec, fp, done);
}

/* Copies a string member; "" when absent or null; -1 when too long. */
static int copy_str(const cJSON *o, const char *name, char *dst, size_t size)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	dst[0] = '\0';
	if (!cJSON_IsString(j))
		return 0;
	if (strlen(j->valuestring) >= size)
		return -1;
	strcpy(dst, j->valuestring);
	return 0;
}

static int64_t get_num(const cJSON *o, const char *name, int64_t dflt)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : dflt;
}

int queue_ticket_from_store(const cJSON *j, struct ticket *t)
{
	const cJSON *visits, *v;
	char state[16];

	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(j) ||
	    copy_str(j, "id", t->id, sizeof t->id) || copy_str(j, "code", t->code, sizeof t->code) ||
	    copy_str(j, "service", t->service, sizeof t->service) ||
	    copy_str(j, "priority", t->priority, sizeof t->priority) ||
	    copy_str(j, "area", t->area, sizeof t->area) ||
	    copy_str(j, "stage", t->stage, sizeof t->stage) ||
	    copy_str(j, "station", t->station, sizeof t->station) ||
	    copy_str(j, "state", state, sizeof state) ||
	    proto_ticket_state_parse(state, &t->state) == -1)
		return -1;
	t->issued_at = get_num(j, "issued_at", 0);
	t->hold_until = get_num(j, "hold_until", 0);
	t->recalls = (int)get_num(j, "recalls", 0);
	t->position = (int)get_num(j, "position", -1);
	t->eta_s = (int)get_num(j, "eta_s", -1);
	visits = cJSON_GetObjectItemCaseSensitive(j, "visits");
	cJSON_ArrayForEach(v, visits) {
		struct ticket_visit *tv;
		/* a ticket sent round more stages than fit keeps its latest visits */
		if (t->nvisits == (int)(sizeof t->visits / sizeof t->visits[0])) {
			memmove(t->visits, t->visits + 1, sizeof t->visits - sizeof t->visits[0]);
			t->nvisits--;
		}
		tv = &t->visits[t->nvisits++];
		memset(tv, 0, sizeof *tv);
		if (copy_str(v, "stage", tv->stage, sizeof tv->stage) ||
		    copy_str(v, "station", tv->station, sizeof tv->station) ||
		    copy_str(v, "outcome", tv->outcome, sizeof tv->outcome))
			return -1;
		tv->queued_at = get_num(v, "queued_at", 0);
		tv->called_at = get_num(v, "called_at", 0);
		tv->started_at = get_num(v, "started_at", 0);
		tv->completed_at = get_num(v, "completed_at", 0);
	}
	return 0;
}

void queue_station_from_store(const cJSON *j, struct station *s)
{
	char state[16];

	memset(s, 0, sizeof *s);
	/* ids were checked by the daemon before they reached the store, so
	 * they fit (copy_str leaves a field empty rather than overrun it) */
	copy_str(j, "id", s->id, sizeof s->id);
	copy_str(j, "stage", s->stage, sizeof s->stage);
	s->number = (int)get_num(j, "number", 0);
	copy_str(j, "state", state, sizeof state);
	s->state = strcmp(state, "paused") == 0 ? STATION_PAUSED : STATION_OPEN;
	copy_str(j, "ticket_id", s->ticket_id, sizeof s->ticket_id);
	copy_str(j, "ticket_code", s->ticket_code, sizeof s->ticket_code);
}

void queue_board_from_store(const struct event_def *ev, const cJSON *res, struct board *b)
{
	const cJSON *it;

	memset(b, 0, sizeof *b);
	snprintf(b->event, sizeof b->event, "%s", ev->id);
	b->at = get_num(res, "at", 0);
	b->target = ev->daily_target;
	b->doses_today = (int)get_num(res, "doses_today", 0);
	b->issued_today = (int)get_num(res, "issued_today", 0);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "stages")) {
		struct board_stage *s;
		int i;
		if (b->nstages == PROTO_MAX_STAGES)
			break;
		s = &b->stages[b->nstages++];
		copy_str(it, "id", s->id, sizeof s->id);
		i = event_stage_index(ev, s->id);
		snprintf(s->name, sizeof s->name, "%s", i >= 0 ? ev->stages[i].name : s->id);
		s->waiting = (int)get_num(it, "waiting", 0);
		s->eta_s = (int)get_num(it, "eta_s", 0);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "stations")) {
		if (b->nstations == PROTO_MAX_STATIONS)
			break;
		queue_station_from_store(it, &b->stations[b->nstations++]);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "calls")) {
		struct call *c;
		if (b->ncalls == PROTO_MAX_CALLS)
			break;
		c = &b->calls[b->ncalls++];
		copy_str(it, "ticket", c->ticket_id, sizeof c->ticket_id);
		copy_str(it, "code", c->code, sizeof c->code);
		copy_str(it, "station", c->station, sizeof c->station);
		copy_str(it, "stage", c->stage, sizeof c->stage);
		c->station_number = (int)get_num(it, "station_number", 0);
		c->recall = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "recall"));
		c->at = get_num(it, "at", 0);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "holds")) {
		struct board_hold *h;
		if (b->nholds == PROTO_MAX_HOLDS)
			break;
		h = &b->holds[b->nholds++];
		copy_str(it, "ticket", h->ticket_id, sizeof h->ticket_id);
		copy_str(it, "code", h->code, sizeof h->code);
		copy_str(it, "stage", h->stage, sizeof h->stage);
		h->until = get_num(it, "hold_until", 0);
	}
}

cJSON *queue_ticket_body(struct req *r, const cJSON *result)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	struct ticket t;
	cJSON *body = cJSON_CreateObject(), *wire;

	if (body == NULL)
		fatalx("out of memory");
	if (cJSON_IsNull(st) || st == NULL) {
		cJSON_AddNullToObject(body, "ticket");
		return body;
	}
	if (queue_ticket_from_store(st, &t) == -1) {
		log_warnx("the store returned a malformed ticket");
		cJSON_Delete(body);
		return NULL;
	}
	if ((wire = proto_ticket_encode(&t, r->event->utc_offset_s)) == NULL)
		fatalx("out of memory");
	cJSON_AddItemToObject(body, "ticket", wire);
	return body;
}

/* ---- housekeeping ------------------------------------------------------- */

static int sweeps_in_flight;

/* Owned by the store: reply dies after return. */
static void queue_on_sweep(const redisReply *reply, void *arg)
{
	(void)arg;
	sweeps_in_flight--;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warnx("observation sweep: %s", reply->str);
	else if (reply && reply->type == REDIS_REPLY_STRING && strstr(reply->str, "\"moved\":0") == NULL)
		log_debug("observation sweep: %s", reply->str);
}

void queue_sweep(void)
{
	const struct event_set *set = &server.events->set;
	char prefix[PROTO_ID_MAX + 16];
	const char *keys[1] = { prefix };

	/* one round at a time: a slow Redis must not pile sweeps up */
	if (sweeps_in_flight > 0 || !store_is_up(server.store))
		return;
	for (int i = 0; i < set->n; i++) {
		const char *argv[1] = { set->events[i].script_ctx };
		key_prefix(set->events[i].id, prefix, sizeof prefix);
		if (store_eval(server.store, store_script_get("sweep"), 1, keys, 1, argv,
		    NULL, queue_on_sweep, NULL) == 0)
			sweeps_in_flight++;
	}
}
