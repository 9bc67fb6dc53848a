/* coverage.c: the campaign's coverage from the table, the counts and the
 * due days (coverage.h); pure, so that the unit tests hold every figure. */
#include "coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* the ancestors a row may have: the four levels, with room for a table
 * whose parents loop (areas14 refuses one; a read must still end) */
#define COV_DEPTH_MAX 8

static const char *const level_names[COV_NLEVELS] = {
	"kabupaten", "kecamatan", "desa", "rt"
};

/* the count fields of cov:n, as figures ("e2" is kept but not shown) */
static const struct {
	const char *suffix;
	enum cov_fig fig;
} count_fields[] = {
	{ "d1", COV_DOSE1 }, { "d2", COV_DOSE2 }, { "d3", COV_DOSE3 },
	{ "e1", COV_ELDERLY1 },
};

/* the figures' names on the wire, in enum cov_fig's order */
static const char *const fig_names[COV_NFIGS] = {
	"dose1", "dose2", "dose3", "elderly_dose1", "due_dose2", "overdue_dose2"
};

const char *const coverage_columns[] = {
	"code", "name", "level", "parent", "target", "elderly_target",
	"dose1", "dose2", "dose3", "elderly_dose1", "coverage_dose1",
	"coverage_dose2", "due_dose2", "overdue_dose2", NULL
};

const char *const coverage_elderly_columns[] = {
	"code", "name", "desa", "kecamatan", "elderly_target", "elderly_dose1",
	"gap", NULL
};

int coverage_level_parse(const char *s)
{
	for (int i = 0; i < COV_NLEVELS; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *coverage_level_name(enum cov_level l)
{
	return (unsigned)l < COV_NLEVELS ? level_names[l] : "";
}

int coverage_code_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COV_CODE_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

double coverage_fraction(long long dose, long long target)
{
	long long n;

	if (target <= 0)
		return -1;
	/* half away from zero, exactly: in integers, not in the double's
	 * nearest value of the quotient (2/64 is 0.0313) */
	n = (20000 * dose + target) / (2 * target);
	return (double)n / 10000.0;
}

/* Days since 1970-01-01 as "YYYY-MM-DD" (Hinnant's civil_from_days). */
static void day_text(long long days, char buf[48])
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	snprintf(buf, 48, "%04d-%02d-%02d", (int)(y % 100000), (int)m % 100, (int)d % 100);
}

static int area_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cov_area *)a)->code, ((const struct cov_area *)b)->code);
}

int coverage_find(const struct coverage *c, const char *code)
{
	struct cov_area key;
	const struct cov_area *hit;

	if (strlen(code) > COV_CODE_MAX || c->n == 0)
		return -1;
	strcpy(key.code, code);
	hit = bsearch(&key, c->areas, (size_t)c->n, sizeof *c->areas, area_cmp);
	return hit ? (int)(hit - c->areas) : -1;
}

/* A count as the script gives it: a number or its text; -1 if neither. */
static long long count_of(const cJSON *v)
{
	char *end;
	long long n;

	if (cJSON_IsNumber(v))
		return v->valuedouble >= 0 ? (long long)v->valuedouble : -1;
	if (!cJSON_IsString(v))
		return -1;
	n = strtoll(v->valuestring, &end, 10);
	return end != v->valuestring && *end == '\0' && n >= 0 ? n : -1;
}

static int copy_text(char *dst, size_t size, const cJSON *v)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
		return -1;
	strcpy(dst, v->valuestring);
	return 0;
}

/* One table value (the JSON text areas14 writes) into a; 0 or -1. */
static int area_decode(const char *text, struct cov_area *a)
{
	cJSON *o = cJSON_Parse(text);
	long long t, e;
	int level, rc = -1;

	memset(a, 0, sizeof *a);
	if (o == NULL)
		return -1;
	if (copy_text(a->code, sizeof a->code, cJSON_GetObjectItemCaseSensitive(o, "code")) ||
	    !coverage_code_ok(a->code) ||
	    copy_text(a->name, sizeof a->name, cJSON_GetObjectItemCaseSensitive(o, "name")) ||
	    copy_text(a->parent, sizeof a->parent, cJSON_GetObjectItemCaseSensitive(o, "parent")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "level")))
		goto done;
	level = coverage_level_parse(cJSON_GetObjectItemCaseSensitive(o, "level")->valuestring);
	t = count_of(cJSON_GetObjectItemCaseSensitive(o, "target"));
	e = count_of(cJSON_GetObjectItemCaseSensitive(o, "elderly_target"));
	if (level < 0 || t < 0 || e < 0)
		goto done;
	a->level = (enum cov_level)level;
	a->target = t;
	a->elderly_target = e;
	a->up = -1;
	a->leaf = 1;
	rc = 0;
done:
	cJSON_Delete(o);
	return rc;
}

static int read_areas(const cJSON *list, struct coverage *c)
{
	const cJSON *v;
	int n = cJSON_GetArraySize(list);

	if (n > COV_AREAS_MAX)
		return -1;
	if (n > 0 && (c->areas = calloc((size_t)n, sizeof *c->areas)) == NULL)
		return -1;
	cJSON_ArrayForEach(v, list) {
		if (cJSON_IsString(v) && area_decode(v->valuestring, &c->areas[c->n]) == 0)
			c->n++;
		else
			c->bad_rows++;
	}
	if (c->n > 1)                    /* qsort's base may not be NULL */
		qsort(c->areas, (size_t)c->n, sizeof *c->areas, area_cmp);
	/* a code twice (not from areas14's writer) keeps its first row */
	for (int i = 1; i < c->n; i++)
		if (strcmp(c->areas[i].code, c->areas[i - 1].code) == 0) {
			memmove(&c->areas[i], &c->areas[i + 1],
			    (size_t)(c->n - i - 1) * sizeof *c->areas);
			c->n--, c->bad_rows++, i--;
		}
	for (int i = 0; i < c->n; i++) {
		struct cov_area *a = &c->areas[i];
		if (a->parent[0] && (a->up = coverage_find(c, a->parent)) >= 0)
			c->areas[a->up].leaf = 0;
	}
	return 0;
}

/* Adds count to the figure of area (a code, "-" for none): its row's own,
 * or the unmapped. */
static void count_add(struct coverage *c, const char *area, enum cov_fig fig,
    long long count)
{
	int i = coverage_find(c, area);

	if (i >= 0)
		c->areas[i].own[fig] += count;
	else
		c->unmapped[fig] += count;
}

static int read_counts(const cJSON *list, struct coverage *c)
{
	int n = cJSON_GetArraySize(list);

	if (n % 2)
		return -1;
	for (int i = 0; i < n; i += 2) {
		const cJSON *f = cJSON_GetArrayItem(list, i);
		long long count = count_of(cJSON_GetArrayItem(list, i + 1));
		char area[COV_CODE_MAX + 2];
		const char *bar;
		size_t len;

		if (!cJSON_IsString(f) || count < 0)
			return -1;
		if ((bar = strrchr(f->valuestring, '|')) == NULL)
			continue;                /* not a count of ours */
		len = (size_t)(bar - f->valuestring);
		for (size_t k = 0; k < sizeof count_fields / sizeof count_fields[0]; k++)
			if (strcmp(bar + 1, count_fields[k].suffix) == 0) {
				/* a code too long for the table is unmapped as "" is */
				if (len > COV_CODE_MAX)
					len = 0;
				memcpy(area, f->valuestring, len);
				area[len] = '\0';
				count_add(c, area, count_fields[k].fig, count);
			}
	}
	return 0;
}

static int read_due(const cJSON *list, long long day, int overdue_after,
    struct coverage *c)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, list) {
		const cJSON *area = cJSON_GetArrayItem(t, 0);
		long long due = count_of(cJSON_GetArrayItem(t, 1));
		long long count = count_of(cJSON_GetArrayItem(t, 2));

		if (!cJSON_IsString(area) || due < 0 || count < 0)
			return -1;
		if (due > day)
			continue;                /* not yet due */
		count_add(c, strlen(area->valuestring) > COV_CODE_MAX ? "" : area->valuestring,
		    day < due + overdue_after ? COV_DUE2 : COV_OVERDUE2, count);
	}
	return 0;
}

/* Each row's own counts into its figures and those of every ancestor. */
static void roll_up(struct coverage *c)
{
	for (int i = 0; i < c->n; i++)
		for (int j = i, depth = 0; j >= 0 && depth < COV_DEPTH_MAX;
		    j = c->areas[j].up, depth++)
			for (int f = 0; f < COV_NFIGS; f++)
				c->areas[j].fig[f] += c->areas[i].own[f];
}

int coverage_build(const cJSON *result, long long day, int overdue_after,
    struct coverage *c)
{
	const cJSON *areas = cJSON_GetObjectItemCaseSensitive(result, "areas");
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(result, "n");
	const cJSON *due = cJSON_GetObjectItemCaseSensitive(result, "due");

	memset(c, 0, sizeof *c);
	c->day = day;
	if (!cJSON_IsArray(areas) || !cJSON_IsArray(counts) || !cJSON_IsArray(due) ||
	    read_areas(areas, c) || read_counts(counts, c) ||
	    read_due(due, day, overdue_after, c)) {
		coverage_free(c);
		return -1;
	}
	c->geometry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "geometry"));
	roll_up(c);
	return 0;
}

void coverage_free(struct coverage *c)
{
	free(c->areas);
	memset(c, 0, sizeof *c);
}

static int has_ancestor(const struct coverage *c, int i, int under)
{
	for (int j = c->areas[i].up, depth = 0; j >= 0 && depth < COV_DEPTH_MAX;
	    j = c->areas[j].up, depth++)
		if (j == under)
			return 1;
	return 0;
}

/* qsort has no context: the rows being sorted are those of sort_of */
static const struct coverage *sort_of;

/* never reached first, then dose1/target ascending (no target last), code */
static int select_cmp(const void *pa, const void *pb)
{
	const struct cov_area *a = &sort_of->areas[*(const int *)pa];
	const struct cov_area *b = &sort_of->areas[*(const int *)pb];
	int ra = a->fig[COV_DOSE1] > 0, rb = b->fig[COV_DOSE1] > 0;
	long double x, y;

	if (ra != rb)
		return ra - rb;
	if (ra && (a->target > 0) != (b->target > 0))
		return a->target > 0 ? -1 : 1;
	if (ra && a->target > 0) {
		/* exact: the cross products of the fractions */
		x = (long double)a->fig[COV_DOSE1] * (long double)b->target;
		y = (long double)b->fig[COV_DOSE1] * (long double)a->target;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return strcmp(a->code, b->code);
}

int coverage_select(const struct coverage *c, enum cov_level level, int under,
    int *rows)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		if (c->areas[i].level == level && (under < 0 || has_ancestor(c, i, under)))
			rows[n++] = i;
	sort_of = c;
	if (n > 1)
		qsort(rows, (size_t)n, sizeof *rows, select_cmp);
	sort_of = NULL;
	return n;
}

static void add_fraction(cJSON *o, const char *name, long long dose, long long target)
{
	double f = coverage_fraction(dose, target);

	if (f < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, f);
}

/* The figures of a row (or of the totals) into o, in the columns' order. */
static void add_figures(cJSON *o, long long target, long long elderly_target,
    const long long *fig)
{
	cJSON_AddNumberToObject(o, "target", (double)target);
	cJSON_AddNumberToObject(o, "elderly_target", (double)elderly_target);
	for (int f = COV_DOSE1; f <= COV_ELDERLY1; f++)
		cJSON_AddNumberToObject(o, fig_names[f], (double)fig[f]);
	add_fraction(o, "coverage_dose1", fig[COV_DOSE1], target);
	add_fraction(o, "coverage_dose2", fig[COV_DOSE2], target);
	cJSON_AddNumberToObject(o, "due_dose2", (double)fig[COV_DUE2]);
	cJSON_AddNumberToObject(o, "overdue_dose2", (double)fig[COV_OVERDUE2]);
}

static cJSON *area_json(const struct cov_area *a)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "code", a->code);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "level", level_names[a->level]);
	cJSON_AddStringToObject(o, "parent", a->parent);
	add_figures(o, a->target, a->elderly_target, a->fig);
	return o;
}

cJSON *coverage_json(const struct coverage *c, enum cov_level level,
    const int *rows, int n)
{
	cJSON *body = cJSON_CreateObject(), *list, *o;
	long long fig[COV_NFIGS] = { 0 }, target = 0, etarget = 0;
	char day[48];

	if (body == NULL || (list = cJSON_AddArrayToObject(body, "areas")) == NULL)
		goto fail;
	cJSON_AddStringToObject(body, "level", level_names[level]);
	day_text(c->day, day);
	cJSON_AddStringToObject(body, "day", day);
	for (int i = 0; i < n; i++) {
		const struct cov_area *a = &c->areas[rows[i]];
		if ((o = area_json(a)) == NULL)
			goto fail;
		cJSON_AddItemToArray(list, o);
		target += a->target;
		etarget += a->elderly_target;
		for (int f = 0; f < COV_NFIGS; f++)
			fig[f] += a->fig[f];
	}
	if ((o = cJSON_AddObjectToObject(body, "totals")) == NULL)
		goto fail;
	add_figures(o, target, etarget, fig);
	if ((o = cJSON_AddObjectToObject(body, "unmapped")) == NULL)
		goto fail;
	for (int f = 0; f < COV_NFIGS; f++)
		cJSON_AddNumberToObject(o, fig_names[f], (double)c->unmapped[f]);
	cJSON_AddBoolToObject(body, "geometry", c->geometry);
	return body;
fail:
	cJSON_Delete(body);
	return NULL;
}

static long long elderly_gap(const struct cov_area *a)
{
	long long gap = a->elderly_target - a->fig[COV_ELDERLY1];

	return gap > 0 ? gap : 0;
}

static int elderly_cmp(const void *pa, const void *pb)
{
	const struct cov_area *a = &sort_of->areas[*(const int *)pa];
	const struct cov_area *b = &sort_of->areas[*(const int *)pb];
	long long ga = elderly_gap(a), gb = elderly_gap(b);

	if (ga != gb)
		return ga > gb ? -1 : 1;
	return strcmp(a->code, b->code);
}

int coverage_elderly(const struct coverage *c, int limit, int *rows)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		if (c->areas[i].leaf)
			rows[n++] = i;
	sort_of = c;
	if (n > 1)
		qsort(rows, (size_t)n, sizeof *rows, elderly_cmp);
	sort_of = NULL;
	return n < limit ? n : limit;
}

/* The name of a row's ancestor at that level, or "". */
static const char *ancestor_name(const struct coverage *c, int i, enum cov_level level)
{
	for (int j = c->areas[i].up, depth = 0; j >= 0 && depth < COV_DEPTH_MAX;
	    j = c->areas[j].up, depth++)
		if (c->areas[j].level == level)
			return c->areas[j].name;
	return "";
}

cJSON *coverage_elderly_json(const struct coverage *c, const int *rows, int n)
{
	cJSON *body = cJSON_CreateObject(), *list, *o;
	char day[48];

	if (body == NULL || (list = cJSON_AddArrayToObject(body, "areas")) == NULL)
		goto fail;
	day_text(c->day, day);
	cJSON_AddStringToObject(body, "day", day);
	for (int i = 0; i < n; i++) {
		const struct cov_area *a = &c->areas[rows[i]];
		if ((o = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "code", a->code);
		cJSON_AddStringToObject(o, "name", a->name);
		cJSON_AddStringToObject(o, "desa", ancestor_name(c, rows[i], COV_DESA));
		cJSON_AddStringToObject(o, "kecamatan", ancestor_name(c, rows[i], COV_KECAMATAN));
		cJSON_AddNumberToObject(o, "elderly_target", (double)a->elderly_target);
		cJSON_AddNumberToObject(o, "elderly_dose1", (double)a->fig[COV_ELDERLY1]);
		cJSON_AddNumberToObject(o, "gap", (double)elderly_gap(a));
	}
	return body;
fail:
	cJSON_Delete(body);
	return NULL;
}
