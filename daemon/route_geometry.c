/* route_geometry.c: the areas' boundaries for the dashboard's map: PUT
 * /v1/areas/geometry (admin) keeps a GeoJSON FeatureCollection as received
 * once every feature is checked; GET /v1/areas/geometry gives it back.  One
 * key, antre:{campaign}:areas:geometry (COVERAGE_API.md); its size is
 * bounded by max-body-bytes.  PROTOCOL.md, "Coverage". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "coverage.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "queue.h"

/* the most features a file may have (one an area of the table at most) */
#define GEOMETRY_FEATURES_MAX COV_AREAS_MAX

/* 0 for a GeoJSON position [lon, lat, …] within the globe, else -1. */
static int position_ok(const cJSON *p)
{
	const cJSON *lon = cJSON_GetArrayItem(p, 0), *lat = cJSON_GetArrayItem(p, 1);

	if (!cJSON_IsArray(p) || !cJSON_IsNumber(lon) || !cJSON_IsNumber(lat))
		return -1;
	return lon->valuedouble >= -180 && lon->valuedouble <= 180 &&
	    lat->valuedouble >= -90 && lat->valuedouble <= 90 ? 0 : -1;
}

/* A Polygon's coordinates: rings of 4 positions or more, each closed. */
static const char *polygon_check(const cJSON *rings)
{
	const cJSON *ring, *p;

	if (!cJSON_IsArray(rings) || cJSON_GetArraySize(rings) < 1)
		return "a Polygon needs an array of rings";
	cJSON_ArrayForEach(ring, rings) {
		int n = cJSON_GetArraySize(ring);
		if (!cJSON_IsArray(ring) || n < 4)
			return "a ring needs 4 positions or more";
		cJSON_ArrayForEach(p, ring)
			if (position_ok(p) == -1)
				return "a position is [longitude, latitude] in degrees";
		if (!cJSON_Compare(cJSON_GetArrayItem(ring, 0), cJSON_GetArrayItem(ring, n - 1), 1))
			return "a ring ends where it starts";
	}
	return NULL;
}

static const char *geometry_check(const cJSON *g)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(g, "type");
	const cJSON *coords = cJSON_GetObjectItemCaseSensitive(g, "coordinates"), *poly;
	const char *bad;

	if (!cJSON_IsObject(g) || !cJSON_IsString(type))
		return "geometry: an object with a type";
	if (strcmp(type->valuestring, "Polygon") == 0)
		return polygon_check(coords);
	if (strcmp(type->valuestring, "MultiPolygon") != 0)
		return "geometry: Polygon or MultiPolygon";
	if (!cJSON_IsArray(coords) || cJSON_GetArraySize(coords) < 1)
		return "a MultiPolygon needs an array of polygons";
	cJSON_ArrayForEach(poly, coords)
		if ((bad = polygon_check(poly)) != NULL)
			return bad;
	return NULL;
}

static int code_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NULL when fc is a FeatureCollection of good features with distinct
 * codes; else the reason (in buf, naming the feature).  codes has room
 * for GEOMETRY_FEATURES_MAX. */
static const char *collection_check(const cJSON *fc, const char **codes, char *buf,
    size_t size)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(fc, "type");
	const cJSON *features = cJSON_GetObjectItemCaseSensitive(fc, "features"), *f;
	const char *bad;
	int i = 0;

	if (!cJSON_IsString(type) || strcmp(type->valuestring, "FeatureCollection") != 0)
		return "the file must be a GeoJSON FeatureCollection";
	if (!cJSON_IsArray(features) || cJSON_GetArraySize(features) < 1)
		return "features: an array of one feature or more";
	if (cJSON_GetArraySize(features) > GEOMETRY_FEATURES_MAX)
		return "features: 100000 at most";
	cJSON_ArrayForEach(f, features) {
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(f, "properties");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(props, "code");
		bad = NULL;
		if (!cJSON_IsObject(f) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "type")) ||
		    strcmp(cJSON_GetObjectItemCaseSensitive(f, "type")->valuestring, "Feature") != 0)
			bad = "not a Feature";
		else if (!cJSON_IsString(code) || !coverage_code_ok(code->valuestring))
			bad = "properties.code: an area code (1 to 32 of A-Z a-z 0-9 . _ -)";
		else
			bad = geometry_check(cJSON_GetObjectItemCaseSensitive(f, "geometry"));
		if (bad != NULL) {
			snprintf(buf, size, "feature %d: %s", i, bad);
			return buf;
		}
		codes[i++] = code->valuestring;
	}
	qsort(codes, (size_t)i, sizeof *codes, code_cmp);
	for (int k = 1; k < i; k++)
		if (strcmp(codes[k - 1], codes[k]) == 0) {
			snprintf(buf, size, "properties.code %s: twice", codes[k]);
			return buf;
		}
	return NULL;
}

/* Owned by the store: reply dies after return.  arg is the request. */
static void put_on_reply(const redisReply *reply, void *arg)
{
	struct req *r = arg;
	cJSON *body;

	if (reply == NULL) {
		http_reply_unavailable(r);
		return;
	}
	if (store_reply_unavailable(reply) || reply->type == REDIS_REPLY_ERROR) {
		log_warnx("geometry: redis refused the write: %s", reply->str);
		http_reply_refused(r);
		return;
	}
	if ((body = cJSON_CreateObject()) == NULL)
		fatalx("out of memory");  /* OOM only: an empty object */
	cJSON_AddBoolToObject(body, "stored", 1);
	queue_answer_replicated(r, body);        /* with redis-min-replicas: after WAIT */
}

static void geometry_put(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	cJSON *fc = http_body_object(r);
	char key[STORE_KEY_MAX], buf[160];
	const char *argv[3] = { "SET", key, NULL }, *bad;
	size_t lens[3];
	const char **codes;
	int features;

	if (fc == NULL)
		return;                   /* answered 400 */
	if ((codes = calloc(GEOMETRY_FEATURES_MAX, sizeof *codes)) == NULL)
		fatal("calloc");          /* OOM only: a fixed 800 KB */
	bad = collection_check(fc, codes, buf, sizeof buf);
	free(codes);
	features = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(fc, "features"));
	cJSON_Delete(fc);
	if (bad != NULL) {
		http_reply_error(r, 422, "invalid_geometry", bad);
		return;
	}
	store_key(key, sizeof key, "campaign", "areas:geometry");
	lens[0] = 3, lens[1] = strlen(key), lens[2] = evbuffer_get_length(in);
	argv[2] = (const char *)evbuffer_pullup(in, -1);
	if (store_command(server.store, put_on_reply, r, 3, argv, lens) == -1)
		http_reply_unavailable(r);
	else
		log_info("geometry: %d features stored", features);
}

/* Owned by the store: reply dies after return.  arg is the request. */
static void get_on_reply(const redisReply *reply, void *arg)
{
	struct req *r = arg;

	if (reply == NULL || store_reply_unavailable(reply))
		http_reply_unavailable(r);
	else if (reply->type == REDIS_REPLY_NIL)
		http_reply_error(r, 404, "no_geometry", "no area boundaries have been uploaded");
	else if (reply->type != REDIS_REPLY_STRING)
		http_reply_error(r, 500, "internal_error", "the store gave an unexpected answer");
	else
		http_reply_raw(r, 200, "application/geo+json", reply->str, reply->len);
}

static void geometry_get(struct req *r)
{
	char key[STORE_KEY_MAX];
	const char *argv[2] = { "GET", key };
	size_t lens[2];

	store_key(key, sizeof key, "campaign", "areas:geometry");
	lens[0] = 3, lens[1] = strlen(key);
	if (store_command(server.store, get_on_reply, r, 2, argv, lens) == -1)
		http_reply_unavailable(r);
}

const struct route geometry_routes[] = {
	{ "PUT", "/v1/areas/geometry", ROLE_BIT(ROLE_ADMIN), geometry_put,
	  "areas_geometry_put", 0 },
	{ "GET", "/v1/areas/geometry", ROLE_BIT(ROLE_ORGANISER), geometry_get,
	  "areas_geometry", 0 },
	{ 0 }                            /* the end */
};
