/* route_areas.c: PUT /v1/areas (the admin's CSV file, read by areas.c,
 * written by scripts/areas.lua) and GET /v1/areas (the desk's picker and
 * `antre areas show`); the table for the issue and print routes
 * (route_areas.h). */
#include "route_areas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "areas.h"
#include "log.h"
#include "protocol.h"
#include "queue.h"
#include "store.h"

#define AREAS_CTX "{\"off\":0}"          /* _lib.lua's context: no event's */
#define AREAS_Q_LIMIT 20                 /* hits of a search by default */
#define AREAS_Q_LIMIT_MAX 100

/* The daemon's copy of the table, for searching: read whole when Redis's
 * version differs from the copy's (another daemon may have replaced it). */
static struct area_table cache;

/* Runs scripts/areas.lua with KEYS[1] the campaign's prefix; as
 * store_eval: -1 when Redis is down (cb not called). */
static int areas_eval(int nargs, const char **args, const size_t *lens,
    store_reply_cb *cb, void *arg)
{
	char prefix[STORE_KEY_MAX];
	const char *keys[] = { prefix };

	store_key(prefix, sizeof prefix, "campaign", "");
	return store_eval(server.store, store_script_get("areas"), 1, keys, nargs, args,
	    lens, cb, arg);
}

/* The script's JSON answer, or NULL (logged) for anything else. */
static cJSON *areas_result(const redisReply *reply, const char *what)
{
	cJSON *j = NULL;

	if (reply && reply->type == REDIS_REPLY_STRING)
		j = cJSON_ParseWithLength(reply->str, reply->len);
	if (j == NULL && reply && !store_reply_unavailable(reply))
		log_warnx("areas %s: unexpected answer %s", what,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
	return j;
}

/* 503 when Redis is away or refusing, else 500 for a bad answer. */
static void areas_reply_failed(struct req *r, const redisReply *reply)
{
	if (reply == NULL)
		http_reply_unavailable(r);
	else if (store_reply_unavailable(reply))
		http_reply_refused(r);
	else
		http_reply_error(r, 500, "internal_error", "the area store gave an unexpected answer");
}

/* ---- PUT /v1/areas ------------------------------------------------------ */

/* 422 invalid_area_file with the line and the reason, also as members. */
static void areas_reply_invalid(struct req *r, const struct area_error *err)
{
	char msg[AREA_REASON_MAX + 32];
	cJSON *body, *e;

	snprintf(msg, sizeof msg, "line %d: %s", err->line, err->reason);
	body = proto_error_encode("invalid_area_file", msg);
	if (body == NULL || (e = cJSON_GetObjectItemCaseSensitive(body, "error")) == NULL ||
	    !cJSON_AddNumberToObject(e, "line", err->line) ||
	    !cJSON_AddStringToObject(e, "reason", err->reason))
		fatalx("out of memory");   /* OOM only */
	http_reply_json(r, 422, body);
}

/* The levels' counts of the uploaded table, kept for the answer. */
struct areas_put {
	struct req *r;
	int levels[AREA_NLEVELS];
};

/* Owned by the store: reply dies after return.  arg is a struct areas_put. */
static void areas_on_put(const redisReply *reply, void *arg)
{
	struct areas_put *put = arg;
	cJSON *res = areas_result(reply, "put"), *body, *lv;

	if (res == NULL) {
		areas_reply_failed(put->r, reply);
		free(put);
		return;
	}
	if ((body = cJSON_CreateObject()) == NULL || (lv = cJSON_CreateObject()) == NULL)
		fatalx("out of memory");   /* OOM only */
	cJSON_AddNumberToObject(body, "areas",
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "areas")));
	cJSON_AddNumberToObject(body, "version",
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "version")));
	for (int i = 0; i < AREA_NLEVELS; i++)
		cJSON_AddNumberToObject(lv, area_level_name((enum area_level)i), put->levels[i]);
	cJSON_AddItemToObject(body, "levels", lv);
	cJSON_Delete(res);
	queue_answer_replicated(put->r, body);   /* with redis-min-replicas: after WAIT */
	free(put);
}

/* A count as a new string. */
static char *count_text(size_t v)
{
	char buf[24], *s;

	snprintf(buf, sizeof buf, "%zu", v);
	if ((s = strdup(buf)) == NULL)
		fatal("strdup");   /* OOM only */
	return s;
}

/* The script's arguments for table t: ctx, "put", N, code/row pairs, M,
 * region/code pairs (the first kecamatan of each NIK region).  *argc set;
 * *owned lists (NULL-terminated) the strings the caller frees. */
static const char **areas_put_args(const struct area_table *t, int *argc, char ***owned)
{
	struct area_table regions = { 0 };
	const char **args = calloc(5 + 4 * t->n, sizeof *args);
	char **own = calloc(2 * t->n + 3, sizeof *own);
	size_t n = 0, no = 0, mpos;

	if (args == NULL || own == NULL)
		fatal("calloc");   /* OOM only: rows bounded by areas-max-rows */
	args[n++] = AREAS_CTX;
	args[n++] = "put";
	args[n++] = own[no++] = count_text(t->n);
	for (size_t i = 0; i < t->n; i++) {
		if ((own[no] = area_to_json(&t->rows[i])) == NULL)
			fatalx("out of memory");   /* OOM only */
		args[n++] = t->rows[i].code;
		args[n++] = own[no++];
	}
	mpos = n++;
	for (size_t i = 0; i < t->n; i++) {
		struct area reg = { 0 };
		if (t->rows[i].level != AREA_KECAMATAN || area_region(&t->rows[i], reg.code) == -1 ||
		    areas_add(&regions, &reg) == -1)
			continue;            /* not a region, or one an earlier row has */
		if ((own[no] = strdup(reg.code)) == NULL)
			fatal("strdup");   /* OOM only */
		args[n++] = own[no++];
		args[n++] = t->rows[i].code;
	}
	args[mpos] = own[no++] = count_text(regions.n);
	areas_free(&regions);
	own[no] = NULL;
	*argc = (int)n;
	*owned = own;
	return args;
}

static void areas_put(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	struct area_table t;
	struct area_error err;
	struct areas_put *put;
	const char **args;
	char **owned;
	int argc;

	if (len == 0) {
		err.line = 1;
		snprintf(err.reason, sizeof err.reason, "the file is empty (a header is needed)");
		areas_reply_invalid(r, &err);
		return;
	}
	if (areas_parse((const char *)evbuffer_pullup(in, -1), len,
	    (size_t)server.cfg.areas_max_rows, &t, &err) == -1) {
		areas_reply_invalid(r, &err);
		return;
	}
	if ((put = calloc(1, sizeof *put)) == NULL)
		fatal("calloc");   /* OOM only */
	put->r = r;
	for (size_t i = 0; i < t.n; i++)
		put->levels[t.rows[i].level]++;
	args = areas_put_args(&t, &argc, &owned);
	if (areas_eval(argc, args, NULL, areas_on_put, put) == -1) {
		free(put);
		http_reply_unavailable(r);
	}
	for (size_t i = 0; owned[i]; i++)
		free(owned[i]);
	free(owned);
	free(args);
	areas_free(&t);
}

/* ---- GET /v1/areas ------------------------------------------------------ */

/* What a search asks, read before Redis is asked. */
struct areas_query {
	struct req *r;
	char q[AREA_NAME_MAX + 1];
	int level;                       /* -1: any */
	size_t limit, offset;
	int search;                      /* q given */
};

/* One row as the picker shows it. */
static cJSON *area_hit(const struct area_table *t, long i)
{
	const struct area *a = &t->rows[i];
	char label[AREA_LABEL_MAX];
	cJSON *o = cJSON_CreateObject(), *parents = cJSON_CreateArray();

	if (o == NULL || parents == NULL)
		fatalx("out of memory");   /* OOM only */
	areas_label(t, i, label, sizeof label);
	cJSON_AddStringToObject(o, "code", a->code);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "level", area_level_name(a->level));
	cJSON_AddStringToObject(o, "parent", a->parent);
	cJSON_AddNumberToObject(o, "target", (double)a->target);
	cJSON_AddNumberToObject(o, "elderly_target", (double)a->elderly_target);
	for (long p = a->parent_index, d = 0; p >= 0 && d < AREA_NLEVELS;
	    p = t->rows[p].parent_index, d++)
		cJSON_AddItemToArray(parents, cJSON_CreateString(t->rows[p].name));
	cJSON_AddItemToObject(o, "parents", parents);
	cJSON_AddStringToObject(o, "label", label);
	return o;
}

/* The answer from the copy, which is current. */
static void areas_answer(struct areas_query *aq)
{
	size_t cap = aq->offset + aq->limit, n;
	long *hits;
	cJSON *body = cJSON_CreateObject(), *list = cJSON_CreateArray();

	if (cap > cache.n)
		cap = cache.n;
	if (body == NULL || list == NULL || (hits = calloc(cap + 1, sizeof *hits)) == NULL)
		fatalx("out of memory");   /* OOM only: bounded by the table */
	n = areas_search(&cache, aq->q, aq->level, cap, hits);
	for (size_t i = aq->offset; i < n; i++)
		cJSON_AddItemToArray(list, area_hit(&cache, hits[i]));
	free(hits);
	cJSON_AddItemToObject(body, "areas", list);
	cJSON_AddNumberToObject(body, "version", (double)cache.version);
	cJSON_AddNumberToObject(body, "total", (double)cache.n);
	http_reply_json(aq->r, 200, body);
	free(aq);
}

static int cmp_area(const void *a, const void *b)
{
	const struct area *x = a, *y = b;

	if (x->level != y->level)
		return (int)x->level - (int)y->level;
	return strcmp(x->code, y->code);
}

/* The copy replaced by the script's [version, code, row, …]; 0 or -1 (a
 * row that is not one, or a missing parent: the old copy stays). */
static int cache_load(const redisReply *reply)
{
	struct area_table t = { 0 };
	struct area *rows;
	size_t n;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || reply->elements % 2 != 1 ||
	    reply->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	n = reply->elements / 2;
	if ((rows = calloc(n + 1, sizeof *rows)) == NULL)
		fatal("calloc");   /* OOM only */
	for (size_t i = 0; i < n; i++) {
		const redisReply *v = reply->element[2 + 2 * i];
		if (v->type != REDIS_REPLY_STRING || area_from_json(v->str, v->len, &rows[i]) == -1)
			goto fail;
	}
	/* kabupaten first, by code: the order the picker lists them in */
	qsort(rows, n, sizeof *rows, cmp_area);
	for (size_t i = 0; i < n; i++)
		if (areas_add(&t, &rows[i]) == -1)
			goto fail;
	if (areas_link(&t) == -1)
		goto fail;
	t.version = strtoll(reply->element[0]->str, NULL, 10);
	free(rows);
	areas_free(&cache);
	cache = t;
	return 0;
fail:
	free(rows);
	areas_free(&t);
	return -1;
}

/* Owned by the store: reply dies after return.  arg is a struct areas_query. */
static void areas_on_all(const redisReply *reply, void *arg)
{
	struct areas_query *aq = arg;

	if (reply == NULL || store_reply_unavailable(reply) || cache_load(reply) == -1) {
		if (reply && !store_reply_unavailable(reply))
			log_warnx("areas: the table in Redis is not readable");
		areas_reply_failed(aq->r, reply);
		free(aq);
		return;
	}
	areas_answer(aq);
}

/* Owned by the store: reply dies after return.  arg is a struct areas_query. */
static void areas_on_version(const redisReply *reply, void *arg)
{
	struct areas_query *aq = arg;
	long long v;
	const char *args[] = { AREAS_CTX, "all" };

	if (reply == NULL || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
		areas_reply_failed(aq->r, reply);
		free(aq);
		return;
	}
	v = reply->type == REDIS_REPLY_NIL ? 0 : strtoll(reply->str, NULL, 10);
	if (v == cache.version) {
		areas_answer(aq);
		return;
	}
	if (areas_eval(2, args, NULL, areas_on_all, aq) == -1) {
		http_reply_unavailable(aq->r);
		free(aq);
	}
}

/* A whole number query parameter 0 .. max, dflt when absent; -1 (answered
 * 400) when bad. */
static long query_count(struct req *r, const char *name, long max, long dflt)
{
	char buf[16], msg[96], *end;
	long v;

	if (http_query(r, name, buf, sizeof buf) == NULL)
		return dflt;
	v = strtol(buf, &end, 10);
	if (end == buf || *end || buf[0] == '-' || buf[0] == '+' || v < 0 || v > max) {
		snprintf(msg, sizeof msg, "\"%s\" must be a whole number from 0 to %ld", name, max);
		http_reply_error(r, 400, "invalid_parameter", msg);
		return -1;
	}
	return v;
}

/* A text query parameter into buf: 1 when given, 0 when not, -1 when
 * longer than size - 1 bytes. */
static int query_text(struct req *r, const char *name, char *buf, size_t size)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev)), *v;
	struct evkeyvalq params;
	int rc = 0;

	buf[0] = '\0';
	if (q == NULL || evhttp_parse_query_str(q, &params) != 0)
		return 0;
	if ((v = evhttp_find_header(&params, name)) != NULL) {
		rc = strlen(v) < size ? 1 : -1;
		if (rc == 1)
			strcpy(buf, v);
	}
	evhttp_clear_headers(&params);
	return rc;
}

static void areas_get(struct req *r)
{
	struct areas_query *aq = calloc(1, sizeof *aq);
	char level[16], key[STORE_KEY_MAX];
	const char *argv[] = { "GET", key };
	long limit, offset, rows = server.cfg.areas_max_rows;

	if (aq == NULL)
		fatal("calloc");   /* OOM only */
	aq->r = r;
	aq->level = -1;
	if ((aq->search = query_text(r, "q", aq->q, sizeof aq->q)) == -1) {
		http_reply_error(r, 400, "invalid_parameter", "\"q\" must be at most 80 bytes");
		goto fail;
	}
	if (http_query(r, "level", level, sizeof level) &&
	    (aq->level = area_level_parse(level)) < 0) {
		http_reply_error(r, 400, "invalid_parameter",
		    "\"level\" must be kabupaten, kecamatan, desa or rt");
		goto fail;
	}
	if ((limit = query_count(r, "limit", aq->search ? AREAS_Q_LIMIT_MAX : rows,
	    aq->search ? AREAS_Q_LIMIT : rows)) == -1 ||
	    (offset = query_count(r, "offset", rows, 0)) == -1)
		goto fail;
	aq->limit = (size_t)limit;
	aq->offset = (size_t)offset;
	store_key(key, sizeof key, "campaign", "areas:version");
	if (store_command(server.store, areas_on_version, aq, 2, argv, NULL) == -1) {
		http_reply_unavailable(r);
		goto fail;
	}
	return;
fail:
	free(aq);
}

/* ---- for the issue and print routes ------------------------------------- */

struct areas_call {
	struct req *r;
	void *arg;
	areas_check_done *check;
	areas_label_done *label;
	int given;                       /* a code was given (not a region) */
};

/* Owned by the store: reply dies after return.  arg is a struct areas_call. */
static void areas_on_check(const redisReply *reply, void *arg)
{
	struct areas_call *c = arg;
	cJSON *res = areas_result(reply, "check");
	const cJSON *table = cJSON_GetObjectItemCaseSensitive(res, "table");
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "code"));

	if (res == NULL || !cJSON_IsBool(table) || (cJSON_IsTrue(table) && code == NULL))
		c->check(c->r, c->arg, AREAS_FAILED, NULL);
	else if (!cJSON_IsTrue(table))
		c->check(c->r, c->arg, AREAS_NO_TABLE, NULL);
	else if (c->given && code[0] == '\0')
		c->check(c->r, c->arg, AREAS_UNKNOWN, NULL);
	else
		c->check(c->r, c->arg, AREAS_OK, code);
	cJSON_Delete(res);
	free(c);
}

void areas_check(struct req *r, const char *code, const char *region,
    areas_check_done *done, void *arg)
{
	struct areas_call *c = calloc(1, sizeof *c);
	const char *args[] = { AREAS_CTX, "check", code ? code : "", region ? region : "" };

	if (c == NULL)
		fatal("calloc");   /* OOM only */
	c->r = r;
	c->arg = arg;
	c->check = done;
	c->given = code != NULL;
	if (areas_eval(4, args, NULL, areas_on_check, c) == -1) {
		free(c);
		done(r, arg, AREAS_FAILED, NULL);
	}
}

/* Owned by the store: reply dies after return.  arg is a struct areas_call. */
static void areas_on_label(const redisReply *reply, void *arg)
{
	struct areas_call *c = arg;
	cJSON *res = areas_result(reply, "label");
	const char *row = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "row"));
	const char *parent = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "parent"));
	struct area a, p;
	char label[2 * AREA_NAME_MAX + 3];

	if (row && area_from_json(row, strlen(row), &a) == 0) {
		if (a.level == AREA_RT && parent && area_from_json(parent, strlen(parent), &p) == 0)
			snprintf(label, sizeof label, "%s, %s", a.name, p.name);
		else
			snprintf(label, sizeof label, "%s", a.name);
		c->label(c->r, c->arg, label);
	} else
		c->label(c->r, c->arg, NULL);
	cJSON_Delete(res);
	free(c);
}

void areas_label_get(struct req *r, const char *code, areas_label_done *done, void *arg)
{
	struct areas_call *c;
	const char *args[] = { AREAS_CTX, "label", code };

	if (code[0] == '\0' || strlen(code) > AREA_CODE_MAX) {
		done(r, arg, NULL);
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		fatal("calloc");   /* OOM only */
	c->r = r;
	c->arg = arg;
	c->label = done;
	if (areas_eval(3, args, NULL, areas_on_label, c) == -1) {
		free(c);
		done(r, arg, NULL);
	}
}

const struct route area_routes[] = {
	{ "PUT", "/v1/areas", ROLE_BIT(ROLE_ADMIN), areas_put, "areas_put", 0 },
	{ "GET", "/v1/areas", ROLE_BIT(ROLE_DESK), areas_get, "areas_get", 0 },
	{ 0 }                            /* the end */
};
