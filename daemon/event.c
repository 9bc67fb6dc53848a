/* event.c: event files, parsed and validated with cJSON. */
#include "event.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define EVENT_FILE_MAX (256 * 1024)

int event_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* 1 for a regular file that starts with the TZif magic. */
static int is_zone_file(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	int ok;

	if (f == NULL)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

int event_tz_offset(const char *tz, time_t t, int *offset_s)
{
	char path[256], *saved = NULL;
	const char *old;
	struct tm tm;

	/* An unknown TZ silently means UTC to libc, so check that the zone is
	 * a real zone file (directories and tables are not). */
	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") ||
	    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz) >= (int)sizeof path ||
	    !is_zone_file(path))
		return -1;
	if ((old = getenv("TZ")) != NULL && (saved = strdup(old)) == NULL)
		return -1;
	setenv("TZ", tz, 1);
	tzset();
	localtime_r(&t, &tm);
	*offset_s = (int)tm.tm_gmtoff;
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	return 0;
}

/* Copies a required string member into dst; 0 or -1 with err set. */
static int get_string(const cJSON *obj, const char *where, const char *name,
    char *dst, size_t size, int required, char *err)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (j == NULL || cJSON_IsNull(j)) {
		if (!required)
			return 0;
		snprintf(err, EVENT_ERR_MAX, "%s%s: missing", where, name);
		return -1;
	}
	if (!cJSON_IsString(j)) {
		snprintf(err, EVENT_ERR_MAX, "%s%s: expected a string", where, name);
		return -1;
	}
	if (strlen(j->valuestring) == 0 || strlen(j->valuestring) >= size) {
		snprintf(err, EVENT_ERR_MAX, "%s%s: must be 1 to %zu characters",
		    where, name, size - 1);
		return -1;
	}
	strcpy(dst, j->valuestring);
	return 0;
}

/* Reads an integer member within [min, max]; a missing optional one keeps *dst. */
static int get_int(const cJSON *obj, const char *where, const char *name,
    int *dst, int min, int max, int required, char *err)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (j == NULL) {
		if (!required)
			return 0;
		snprintf(err, EVENT_ERR_MAX, "%s%s: missing", where, name);
		return -1;
	}
	/* range first: converting an out-of-range double is undefined */
	if (!cJSON_IsNumber(j) || !(j->valuedouble >= min && j->valuedouble <= max) ||
	    j->valuedouble != (double)(long long)j->valuedouble) {
		snprintf(err, EVENT_ERR_MAX, "%s%s: expected a whole number from %d to %d",
		    where, name, min, max);
		return -1;
	}
	*dst = (int)j->valuedouble;
	return 0;
}

static int get_id(const cJSON *obj, const char *where, const char *name,
    char *dst, size_t size, char *err)
{
	if (get_string(obj, where, name, dst, size, 1, err) == -1)
		return -1;
	if (!event_id_valid(dst)) {
		snprintf(err, EVENT_ERR_MAX,
		    "%s%s: '%s' must be 1 to 32 of a-z, 0-9, '-' and '_'", where, name, dst);
		return -1;
	}
	return 0;
}

/* "HH:MM" into minutes after midnight. */
static int parse_hhmm(const char *s, int *min)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

/* Fetches an array member with 1..max entries. */
static const cJSON *get_array(const cJSON *obj, const char *name, int max, char *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
	int n;

	if (!cJSON_IsArray(a)) {
		snprintf(err, EVENT_ERR_MAX, "%s: expected an array", name);
		return NULL;
	}
	n = cJSON_GetArraySize(a);
	if (n < 1 || n > max) {
		snprintf(err, EVENT_ERR_MAX, "%s: expected 1 to %d entries", name, max);
		return NULL;
	}
	return a;
}

/* Reads one entry of an array of objects into ev (counting it there);
 * where names the entry for the messages ("stages[2]."). */
typedef int entry_parse(const cJSON *item, struct event_def *ev, const char *where,
    char *err);

/* The array `name` of 1..max objects, each read by parse in turn. */
static int parse_objects(const cJSON *root, const char *name, int max,
    struct event_def *ev, entry_parse *parse, char *err)
{
	const cJSON *a = get_array(root, name, max, err), *item;
	char where[64];
	int i = 0;

	if (a == NULL)
		return -1;
	cJSON_ArrayForEach(item, a) {
		snprintf(where, sizeof where, "%s[%d].", name, i);
		if (!cJSON_IsObject(item)) {
			snprintf(err, EVENT_ERR_MAX, "%s[%d]: expected an object", name, i);
			return -1;
		}
		if (parse(item, ev, where, err) == -1)
			return -1;
		i++;
	}
	return 0;
}

static int service_parse(const cJSON *s, struct event_def *ev, const char *where, char *err)
{
	struct event_service *sv = &ev->services[ev->nservices];

	if (get_id(s, where, "id", sv->id, sizeof sv->id, err) == -1 ||
	    get_string(s, where, "prefix", sv->prefix, 4, 1, err) == -1 ||
	    get_string(s, where, "name", sv->name, sizeof sv->name, 1, err) == -1)
		return -1;
	sv->dose = 1;                    /* optional: dose 1, no next dose (ctx "svc") */
	if (get_int(s, where, "dose", &sv->dose, 1, 3, 0, err) == -1 ||
	    get_int(s, where, "next_dose_after_days", &sv->next_after_days, 0, 365, 0, err) == -1)
		return -1;
	for (const char *p = sv->prefix; *p; p++)
		if (!isupper((unsigned char)*p)) {
			snprintf(err, EVENT_ERR_MAX, "%sprefix: 1 to 3 capital letters", where);
			return -1;
		}
	for (int i = 0; i < ev->nservices; i++) {
		const char *field = strcmp(ev->services[i].id, sv->id) == 0 ? "id" :
		    strcmp(ev->services[i].prefix, sv->prefix) == 0 ? "prefix" : NULL;
		if (field) {
			snprintf(err, EVENT_ERR_MAX, "%s%s: used twice", where, field);
			return -1;
		}
	}
	ev->nservices++;
	return 0;
}

/* The names of well-known priority ids: those of the web pages (common.js)
 * and the CLI, but for disabled the desk's short "Disabilitas", which fits
 * a 58 mm line.  The event file's "name" wins. */
static const struct {
	const char *id, *name;
} usual_priority_names[] = {
	{ "regular", "Umum" },
	{ "elderly", "Lansia" },
	{ "disabled", "Disabilitas" },
	{ "pregnant", "Ibu hamil" },
	{ "health_worker", "Tenaga kesehatan" },
	{ "child", "Anak" },
};

static const char *usual_priority_name(const char *id)
{
	for (size_t i = 0; i < sizeof usual_priority_names / sizeof usual_priority_names[0]; i++)
		if (strcmp(usual_priority_names[i].id, id) == 0)
			return usual_priority_names[i].name;
	return id;
}

static int priority_parse(const cJSON *p, struct event_def *ev, const char *where, char *err)
{
	char *dst = ev->priorities[ev->npriorities];
	char *name = ev->priority_names[ev->npriorities];

	if (get_id(p, where, "id", dst, PROTO_ID_MAX, err) == -1)
		return -1;
	if (event_priority_index(ev, dst) != -1) {
		snprintf(err, EVENT_ERR_MAX, "%sid: '%s' used twice", where, dst);
		return -1;
	}
	/* optional: without it, the usual name of the id */
	snprintf(name, PROTO_NAME_MAX, "%s", usual_priority_name(dst));
	if (get_string(p, where, "name", name, PROTO_NAME_MAX, 0, err) == -1)
		return -1;
	ev->npriorities++;
	return 0;
}

/* A stage; dose_stage is -1 until a stage says "dose": true. */
static int stage_parse(const cJSON *s, struct event_def *ev, const char *where, char *err)
{
	struct event_stage *st = &ev->stages[ev->nstages];
	const cJSON *hold = cJSON_GetObjectItemCaseSensitive(s, "hold_minutes");
	const cJSON *dose = cJSON_GetObjectItemCaseSensitive(s, "dose");

	if (get_id(s, where, "id", st->id, sizeof st->id, err) == -1 ||
	    get_string(s, where, "name", st->name, sizeof st->name, 1, err) == -1 ||
	    get_int(s, where, "stations", &st->stations, 1,
		EVENT_MAX_STATIONS_PER_STAGE, 1, err) == -1)
		return -1;
	/* the advice's bound on desks to add; by default twice the stations */
	st->max_stations = 2 * st->stations;
	if (get_int(s, where, "max_stations", &st->max_stations, st->stations,
	    4 * EVENT_MAX_STATIONS_PER_STAGE, 0, err) == -1)
		return -1;
	/* minutes, fractions allowed (a test event holds for seconds) */
	if (hold != NULL && (!cJSON_IsNumber(hold) ||
	    !(hold->valuedouble >= 0 && hold->valuedouble <= 24 * 60))) {
		snprintf(err, EVENT_ERR_MAX, "%shold_minutes: expected a number from 0 to 1440", where);
		return -1;
	}
	st->hold_ms = hold ? (int64_t)(hold->valuedouble * 60000) : 0;
	if (dose != NULL && !cJSON_IsBool(dose)) {
		snprintf(err, EVENT_ERR_MAX, "%sdose: expected true or false", where);
		return -1;
	}
	if (cJSON_IsTrue(dose)) {
		if (ev->dose_stage != -1) {
			snprintf(err, EVENT_ERR_MAX, "%sdose: only one stage gives the dose", where);
			return -1;
		}
		ev->dose_stage = ev->nstages;
	}
	if (event_stage_index(ev, st->id) != -1) {
		snprintf(err, EVENT_ERR_MAX, "%sid: '%s' used twice", where, st->id);
		return -1;
	}
	ev->nstages++;
	return 0;
}

static int parse_stages(const cJSON *root, struct event_def *ev, char *err)
{
	int total = 0;

	ev->dose_stage = -1;
	if (parse_objects(root, "stages", PROTO_MAX_STAGES, ev, stage_parse, err) == -1)
		return -1;
	for (int i = 0; i < ev->nstages; i++)
		total += ev->stages[i].stations;
	if (total > PROTO_MAX_STATIONS) {
		snprintf(err, EVENT_ERR_MAX, "stages: at most %d stations in all", PROTO_MAX_STATIONS);
		return -1;
	}
	/* Without "dose": true, the dose is given at "vaccination", or else at
	 * the last stage. */
	if (ev->dose_stage == -1) {
		int v = event_stage_index(ev, "vaccination");
		ev->dose_stage = v >= 0 ? v : ev->nstages - 1;
	}
	return 0;
}

static int parse_policy(const cJSON *root, struct event_def *ev, char *err)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "priority_policy");
	char mode[16];

	ev->policy = POLICY_STRICT;
	if (p == NULL)
		return 0;
	if (!cJSON_IsObject(p)) {
		snprintf(err, EVENT_ERR_MAX, "priority_policy: expected an object");
		return -1;
	}
	if (get_string(p, "priority_policy.", "mode", mode, sizeof mode, 1, err) == -1)
		return -1;
	if (strcmp(mode, "strict") == 0)
		return 0;
	if (strcmp(mode, "interleaved") != 0) {
		snprintf(err, EVENT_ERR_MAX, "priority_policy.mode: 'strict' or 'interleaved'");
		return -1;
	}
	ev->policy = POLICY_INTERLEAVED;
	return get_int(p, "priority_policy.", "every", &ev->interleave_every, 1, 100, 1, err);
}

int event_parse(const char *json, size_t len, struct event_def *ev, char *err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *hours;
	char open[8], close[8];
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	if (root == NULL) {
		snprintf(err, EVENT_ERR_MAX, "not valid JSON");
		return -1;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, EVENT_ERR_MAX, "expected a JSON object");
		goto done;
	}
	if (get_id(root, "", "id", ev->id, sizeof ev->id, err) == -1 ||
	    get_string(root, "", "name", ev->name, sizeof ev->name, 1, err) == -1 ||
	    get_string(root, "", "timezone", ev->timezone, sizeof ev->timezone, 1, err) == -1 ||
	    get_int(root, "", "daily_target", &ev->daily_target, 0, 1000000, 1, err) == -1)
		goto done;
	if (event_tz_offset(ev->timezone, time(NULL), &ev->utc_offset_s) == -1) {
		snprintf(err, EVENT_ERR_MAX, "timezone: unknown zone '%s' (e.g. Asia/Jakarta)", ev->timezone);
		goto done;
	}
	hours = cJSON_GetObjectItemCaseSensitive(root, "hours");
	if (!cJSON_IsObject(hours)) {
		snprintf(err, EVENT_ERR_MAX, "hours: expected {\"open\": \"HH:MM\", \"close\": \"HH:MM\"}");
		goto done;
	}
	if (get_string(hours, "hours.", "open", open, sizeof open, 1, err) == -1 ||
	    get_string(hours, "hours.", "close", close, sizeof close, 1, err) == -1)
		goto done;
	if (parse_hhmm(open, &ev->open_min) == -1 || parse_hhmm(close, &ev->close_min) == -1 ||
	    ev->open_min >= ev->close_min) {
		snprintf(err, EVENT_ERR_MAX, "hours: HH:MM times with open before close");
		goto done;
	}
	if (parse_objects(root, "services", EVENT_MAX_SERVICES, ev, service_parse, err) == -1 ||
	    parse_objects(root, "priorities", EVENT_PRIORITIES_MAX, ev, priority_parse, err) == -1 ||
	    parse_stages(root, ev, err) == -1 || parse_policy(root, ev, err) == -1)
		goto done;
	event_build_script_ctx(ev);
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}

static int retention_days = 30;

void event_set_retention_days(int days)
{
	retention_days = days;
}

void event_build_script_ctx(struct event_def *ev)
{
	char *p = ev->script_ctx, *end = p + sizeof ev->script_ctx;

	/* ids are [a-z0-9_-], so they need no JSON escaping; the buffer holds
	 * the largest event (8 stages of 32-character ids) with room to spare */
	p += snprintf(p, (size_t)(end - p), "{\"off\":%d,\"stages\":[", ev->utc_offset_s);
	for (int i = 0; i < ev->nstages; i++)
		p += snprintf(p, (size_t)(end - p), "%s{\"id\":\"%s\",\"hold\":%lld,\"n\":%d}",
		    i ? "," : "", ev->stages[i].id, (long long)ev->stages[i].hold_ms,
		    ev->stages[i].stations);
	/* the wait histogram's bounds (minutes), for _lib.lua's wait_bucket */
	p += snprintf(p, (size_t)(end - p), "],\"wait\":[");
	for (int i = 0; i < PROTO_WAIT_BUCKETS - 1; i++)
		p += snprintf(p, (size_t)(end - p), "%s%d", i ? "," : "",
		    proto_wait_bucket_max_min[i]);
	p += snprintf(p, (size_t)(end - p), "],\"svc\":{");
	for (int i = 0; i < ev->nservices; i++)
		p += snprintf(p, (size_t)(end - p), "%s\"%s\":[%d,%d]", i ? "," : "",
		    ev->services[i].id, ev->services[i].dose, ev->services[i].next_after_days);
	snprintf(p, (size_t)(end - p),
	    "},\"regular\":%d,\"every\":%d,\"dose\":%d,\"maxlen\":%d,\"retention\":%ld%s}",
	    ev->npriorities - 1, ev->policy == POLICY_INTERLEAVED ? ev->interleave_every : 0,
	    ev->dose_stage, EVENT_STREAM_MAXLEN, (long)retention_days * 86400,
	    event_test_clock() ? ",\"test_clock\":1" : "");
}

static int event_cmp(const void *a, const void *b)
{
	return strcmp(((const struct event_def *)a)->id, ((const struct event_def *)b)->id);
}

/* Reads a whole small file; the caller frees. */
static char *read_file(const char *path, size_t *len, char *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	if (f == NULL) {
		snprintf(err, EVENT_ERR_MAX, "%s", strerror(errno));
		return NULL;
	}
	if ((buf = malloc(EVENT_FILE_MAX + 1)) == NULL) {
		snprintf(err, EVENT_ERR_MAX, "out of memory");
		goto fail;
	}
	*len = fread(buf, 1, EVENT_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, EVENT_ERR_MAX, "read error");
		goto fail;
	}
	if (*len > EVENT_FILE_MAX) {
		snprintf(err, EVENT_ERR_MAX, "larger than %d bytes", EVENT_FILE_MAX);
		goto fail;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

int event_load_dir(const char *dir, struct event_set *set, char *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX], why[EVENT_ERR_MAX];
	struct event_set s = { 0, NULL };

	if (d == NULL) {
		snprintf(err, EVENT_ERR_MAX, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name), len;
		struct event_def *grown;
		char *text;

		if (nlen < 6 || de->d_name[0] == '.' || strcmp(de->d_name + nlen - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((grown = realloc(s.events, (size_t)(s.n + 1) * sizeof *s.events)) == NULL) {
			snprintf(why, sizeof why, "out of memory");
			goto fail;
		}
		s.events = grown;
		if ((text = read_file(path, &len, why)) == NULL)
			goto fail;
		if (event_parse(text, len, &s.events[s.n], why) == -1) {
			free(text);
			goto fail;
		}
		free(text);
		if (event_find(&s, s.events[s.n].id) != NULL) {
			snprintf(why, sizeof why, "event id '%s' defined twice", s.events[s.n].id);
			goto fail;
		}
		s.n++;
		/* keep sorted so that event_find can search and listings are stable */
		qsort(s.events, (size_t)s.n, sizeof *s.events, event_cmp);
	}
	closedir(d);
	*set = s;
	return 0;
fail:
	snprintf(err, EVENT_ERR_MAX, "%.120s: %.120s", path, why);
	closedir(d);
	free(s.events);
	return -1;
}

void event_set_free(struct event_set *set)
{
	free(set->events);
	set->events = NULL;
	set->n = 0;
}

const struct event_def *event_find(const struct event_set *set, const char *id)
{
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->events[i].id, id) == 0)
			return &set->events[i];
	return NULL;
}

int event_service_index(const struct event_def *ev, const char *id)
{
	for (int i = 0; i < ev->nservices; i++)
		if (strcmp(ev->services[i].id, id) == 0)
			return i;
	return -1;
}

int event_stage_index(const struct event_def *ev, const char *id)
{
	for (int i = 0; i < ev->nstages; i++)
		if (strcmp(ev->stages[i].id, id) == 0)
			return i;
	return -1;
}

int event_priority_index(const struct event_def *ev, const char *id)
{
	for (int i = 0; i < ev->npriorities; i++)
		if (strcmp(ev->priorities[i], id) == 0)
			return i;
	return -1;
}

const char *event_priority_name(const struct event_def *ev, const char *id)
{
	int i = event_priority_index(ev, id);

	return i >= 0 ? ev->priority_names[i] : usual_priority_name(id);
}

int event_station_parse(const struct event_def *ev, const char *station,
    int *stage, int *number)
{
	const char *dash = strrchr(station, '-');
	char sid[PROTO_ID_MAX];
	char *end;
	long n;

	if (dash == NULL || dash == station || (size_t)(dash - station) >= sizeof sid ||
	    !isdigit((unsigned char)dash[1]) || dash[1] == '0')
		return -1;
	memcpy(sid, station, (size_t)(dash - station));
	sid[dash - station] = '\0';
	n = strtol(dash + 1, &end, 10);
	if (*end || (*stage = event_stage_index(ev, sid)) == -1 ||
	    n < 1 || n > ev->stages[*stage].stations)
		return -1;
	*number = (int)n;
	return 0;
}
