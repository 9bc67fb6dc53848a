/*
 * proto_json.c: the field readers and writers of the codecs (proto_json.h).
 */
#include "proto_json.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"

/* Integers beyond 2^53 are not exact in a JSON number. */
#define PJ_LL_MAX 9007199254740992.0

/* ---- decoding ----------------------------------------------------------- */

int pj_fail(char *err, const char *ctx, const char *field, const char *fmt, ...)
{
	if (!err)
		return -1;
	int n = field ? snprintf(err, PROTO_ERR_MAX, "%s.%s: ", ctx, field)
		      : snprintf(err, PROTO_ERR_MAX, "%s: ", ctx);
	if (n >= 0 && n < PROTO_ERR_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, PROTO_ERR_MAX - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const cJSON *pj_field(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNull(it) ? NULL : it;
}

int pj_need_object(const cJSON *j, const char *ctx, char *err)
{
	return cJSON_IsObject(j) ? 0 : pj_fail(err, ctx, NULL, "expected an object");
}

/* The member, NULL when absent or null (then *rc is 0, or -1 when it is
 * required) or not of the type `is` accepts (then *rc is -1). */
static const cJSON *typed(const cJSON *o, const char *ctx, const char *name, int req,
    cJSON_bool (*is)(const cJSON *), const char *what, int *rc, char *err)
{
	const cJSON *it = pj_field(o, name);

	*rc = 0;
	if (!it) {
		if (req)
			*rc = pj_fail(err, ctx, name, "missing");
		return NULL;
	}
	if (!is(it)) {
		*rc = pj_fail(err, ctx, name, "expected %s", what);
		return NULL;
	}
	return it;
}

int pj_get_str(const cJSON *o, const char *ctx, const char *name, int req,
    char *dst, size_t size, char *err)
{
	int rc;
	const cJSON *it = typed(o, ctx, name, req, cJSON_IsString, "a string", &rc, err);

	dst[0] = '\0';
	if (!it || !it->valuestring)
		return rc;
	size_t len = strlen(it->valuestring);
	if (len >= size)
		return pj_fail(err, ctx, name, "too long (max %zu bytes)", size - 1);
	memcpy(dst, it->valuestring, len + 1);
	return 0;
}

/* A number in [min, max], whole when `whole`; NULL when absent or bad. */
static const cJSON *number(const cJSON *o, const char *ctx, const char *name, int req,
    double min, double max, int whole, int *rc, char *err)
{
	const cJSON *it = typed(o, ctx, name, req, cJSON_IsNumber,
	    whole ? "an integer" : "a number", rc, err);
	double v = it ? it->valuedouble : 0;

	if (it && !(v >= min && v <= max)) /* also rejects NaN */
		*rc = pj_fail(err, ctx, name, "out of range (min %.0f)", min);
	else if (it && whole && floor(v) != v)
		*rc = pj_fail(err, ctx, name, "expected an integer");
	return *rc ? NULL : it;
}

/* A whole number in [min, max], `dflt` when optional and absent. */
static int whole(const cJSON *o, const char *ctx, const char *name, int req,
    double min, double max, long long dflt, long long *out, char *err)
{
	int rc;
	const cJSON *it = number(o, ctx, name, req, min, max, 1, &rc, err);

	*out = it ? (long long)it->valuedouble : dflt;
	return rc;
}

int pj_get_int(const cJSON *o, const char *ctx, const char *name, int req,
    int min, int dflt, int *out, char *err)
{
	long long v;
	int rc = whole(o, ctx, name, req, min, INT_MAX, dflt, &v, err);

	*out = (int)v;
	return rc;
}

int pj_get_ll(const cJSON *o, const char *ctx, const char *name, int req,
    long long min, long long dflt, long long *out, char *err)
{
	return whole(o, ctx, name, req, (double)min, PJ_LL_MAX, dflt, out, err);
}

int pj_get_num(const cJSON *o, const char *ctx, const char *name, int req,
    double min, double dflt, double *out, char *err)
{
	int rc;
	const cJSON *it = number(o, ctx, name, req, min, DBL_MAX, 0, &rc, err);

	*out = it ? it->valuedouble : dflt;
	return rc;
}

int pj_get_bool(const cJSON *o, const char *ctx, const char *name, int req,
    bool *out, char *err)
{
	int rc;
	const cJSON *it = typed(o, ctx, name, req, cJSON_IsBool, "a boolean", &rc, err);

	*out = it && cJSON_IsTrue(it);
	return rc;
}

int pj_get_time(const cJSON *o, const char *ctx, const char *name, int req,
    int64_t *out, char *err)
{
	int rc;
	const cJSON *it = typed(o, ctx, name, req, cJSON_IsString,
	    "an RFC 3339 time string", &rc, err);

	*out = 0;
	if (it && (!it->valuestring || proto_time_parse(it->valuestring, out) != 0))
		return pj_fail(err, ctx, name, "invalid RFC 3339 time");
	return rc;
}

int pj_get_array(const cJSON *o, const char *ctx, const char *name, int req,
    int max, const cJSON **arr, int *n, char *err)
{
	int rc;
	const cJSON *it = typed(o, ctx, name, req, cJSON_IsArray, "an array", &rc, err);

	*arr = NULL;
	*n = 0;
	if (!it)
		return rc;
	int count = cJSON_GetArraySize(it);
	if (count > max)
		return pj_fail(err, ctx, name, "too many entries (max %d)", max);
	*arr = it;
	*n = count;
	return 0;
}

int pj_decode_each(const cJSON *arr, const char *ctx, void *base, size_t size,
    pj_decode_fn fn, const struct pj_table *t, char *err)
{
	const cJSON *it;
	char sub[64];
	int i = 0;

	cJSON_ArrayForEach(it, arr) {
		snprintf(sub, sizeof sub, "%s[%d]", ctx, i);
		void *dst = (char *)base + (size_t)i++ * size;
		if (pj_need_object(it, sub, err) ||
		    (fn ? fn(it, sub, dst, err) : pj_decode_table(it, sub, dst, t, err)))
			return -1;
	}
	return 0;
}

/* ---- encoding ----------------------------------------------------------- */

int pj_add_to_array(cJSON *arr, cJSON *item)
{
	if (!item)
		return -1;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

/* Member names are string literals, or names from the codecs' static
 * tables: the tree points at them rather than copying each (a copy and a
 * free per member of every reply). */
static int add_item(cJSON *o, const char *name, cJSON *item)
{
	if (!item)
		return -1;
	if (!cJSON_AddItemToObjectCS(o, name, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

static int add_null(cJSON *o, const char *name)
{
	return add_item(o, name, cJSON_CreateNull());
}

int pj_add_str(cJSON *o, const char *name, const char *s)
{
	return add_item(o, name, cJSON_CreateString(s));
}

int pj_add_opt_str(cJSON *o, const char *name, const char *s)
{
	return !s || !s[0] ? add_null(o, name) : pj_add_str(o, name, s);
}

int pj_add_num(cJSON *o, const char *name, double v)
{
	return add_item(o, name, cJSON_CreateNumber(v));
}

int pj_add_opt_num(cJSON *o, const char *name, double v)
{
	return v < 0 ? add_null(o, name) : pj_add_num(o, name, v);
}

int pj_add_int(cJSON *o, const char *name, int v)
{
	return pj_add_num(o, name, v);
}

int pj_add_opt_int(cJSON *o, const char *name, int v)
{
	return pj_add_opt_num(o, name, v);
}

int pj_add_ll(cJSON *o, const char *name, long long v)
{
	return pj_add_num(o, name, (double)v);
}

int pj_add_opt_ll(cJSON *o, const char *name, long long v)
{
	return pj_add_opt_num(o, name, (double)v);
}

int pj_add_bool(cJSON *o, const char *name, bool v)
{
	return add_item(o, name, cJSON_CreateBool(v));
}

int pj_add_time(cJSON *o, const char *name, int64_t ms, int off)
{
	char buf[48];
	return pj_add_str(o, name, proto_time_format(ms, off, buf, sizeof buf));
}

int pj_add_opt_time(cJSON *o, const char *name, int64_t ms, int off)
{
	return ms == 0 ? add_null(o, name) : pj_add_time(o, name, ms, off);
}

int pj_clamp_count(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

cJSON *pj_finish(cJSON *o, int failed)
{
	if (failed) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- members laid out as a table ---------------------------------------- */

static int encode_member(cJSON *o, const char *p, const struct pj_member *m, int off)
{
	const long long *ll = (const long long *)p;
	const double *d = (const double *)p;
	const int64_t *t = (const int64_t *)p;
	cJSON *sub;

	switch (m->kind) {
	case PJ_STRING: return pj_add_str(o, m->name, p);
	case PJ_STRING_OR_NULL: return pj_add_opt_str(o, m->name, p);
	case PJ_COUNT: case PJ_SIGNED: return pj_add_ll(o, m->name, *ll);
	case PJ_COUNT_OR_NULL: return pj_add_opt_ll(o, m->name, *ll);
	case PJ_NUMBER: return pj_add_num(o, m->name, *d);
	case PJ_NUMBER_OR_NULL: return pj_add_opt_num(o, m->name, *d);
	case PJ_BOOL: return pj_add_bool(o, m->name, *(const bool *)p);
	case PJ_TIME: return pj_add_time(o, m->name, *t, off);
	case PJ_TIME_OR_NULL: return pj_add_opt_time(o, m->name, *t, off);
	case PJ_OPEN_PAUSED:
		return pj_add_str(o, m->name,
		    *(const enum station_state *)p == STATION_PAUSED ? "paused" : "open");
	case PJ_OBJECT:
		return !(sub = cJSON_AddObjectToObject(o, m->name)) ||
		    pj_encode_table(sub, p, m->sub, off) ? -1 : 0;
	}
	return -1;
}

int pj_encode_table(cJSON *o, const void *base, const struct pj_table *t, int off)
{
	for (int i = 0; i < t->n; i++)
		if (encode_member(o, (const char *)base + t->m[i].offset, &t->m[i], off))
			return -1;
	return 0;
}

static int decode_state(const cJSON *j, const char *ctx, const char *name,
    enum station_state *out, char *err)
{
	char state[16];

	*out = STATION_OPEN;
	if (pj_get_str(j, ctx, name, PJ_OPTIONAL, state, sizeof state, err))
		return -1;
	if (strcmp(state, "paused") == 0)
		*out = STATION_PAUSED;
	else if (state[0] && strcmp(state, "open") != 0)
		return pj_fail(err, ctx, name, "unknown state \"%s\"", state);
	return 0;
}

static int decode_object(const cJSON *j, const char *ctx, const struct pj_member *m,
    char *p, char *err)
{
	const cJSON *sub = pj_field(j, m->name);
	char name[80];

	snprintf(name, sizeof name, "%s.%s", ctx, m->name);
	if (!sub)
		return pj_fail(err, ctx, m->name, "missing");
	return pj_need_object(sub, name, err) || pj_decode_table(sub, name, p, m->sub, err);
}

static int decode_member(const cJSON *j, const char *ctx, const struct pj_member *m,
    char *p, char *err)
{
	long long *ll = (long long *)p;
	double *d = (double *)p;
	int64_t *t = (int64_t *)p;
	const char *n = m->name;

	switch (m->kind) {
	case PJ_STRING: return pj_get_str(j, ctx, n, PJ_REQUIRED, p, m->size, err);
	case PJ_STRING_OR_NULL: return pj_get_str(j, ctx, n, PJ_OPTIONAL, p, m->size, err);
	case PJ_COUNT: return pj_get_ll(j, ctx, n, PJ_OPTIONAL, 0, 0, ll, err);
	case PJ_COUNT_OR_NULL: return pj_get_ll(j, ctx, n, PJ_OPTIONAL, 0, -1, ll, err);
	case PJ_SIGNED: return pj_get_ll(j, ctx, n, PJ_OPTIONAL, (long long)-PJ_LL_MAX, 0, ll, err);
	case PJ_NUMBER: return pj_get_num(j, ctx, n, PJ_OPTIONAL, 0, 0, d, err);
	case PJ_NUMBER_OR_NULL: return pj_get_num(j, ctx, n, PJ_OPTIONAL, 0, -1, d, err);
	case PJ_BOOL: return pj_get_bool(j, ctx, n, PJ_OPTIONAL, (bool *)p, err);
	case PJ_TIME: return pj_get_time(j, ctx, n, PJ_REQUIRED, t, err);
	case PJ_TIME_OR_NULL: return pj_get_time(j, ctx, n, PJ_OPTIONAL, t, err);
	case PJ_OPEN_PAUSED: return decode_state(j, ctx, n, (enum station_state *)p, err);
	case PJ_OBJECT: return decode_object(j, ctx, m, p, err);
	}
	return -1;
}

int pj_decode_table(const cJSON *j, const char *ctx, void *base,
    const struct pj_table *t, char *err)
{
	for (int i = 0; i < t->n; i++)
		if (decode_member(j, ctx, &t->m[i], (char *)base + t->m[i].offset, err))
			return -1;
	return 0;
}
