/* areas.c: the area file read strictly, the rows' JSON, the table's index
 * and search (areas.h). */
#include "areas.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

#define AREA_HEADER "code,name,parent,level,target,elderly_target"
#define AREA_FIELDS 6
#define FIELD_BUF 128                    /* past every field's limit */

static const char *const level_names[AREA_NLEVELS] = { "kabupaten", "kecamatan", "desa", "rt" };

const char *area_level_name(enum area_level l)
{
	return (unsigned)l < AREA_NLEVELS ? level_names[l] : NULL;
}

int area_level_parse(const char *s)
{
	for (int i = 0; i < AREA_NLEVELS; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

/* ---- the index ---------------------------------------------------------- */

static uint64_t code_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;    /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot holding code, or the empty slot where it would go. */
static size_t slot_of(const struct area_table *t, const char *code)
{
	size_t i = (size_t)code_hash(code) & (t->nslots - 1);

	while (t->slots[i] && strcmp(t->rows[t->slots[i] - 1].code, code) != 0)
		i = (i + 1) & (t->nslots - 1);
	return i;
}

static void index_grow(struct area_table *t)
{
	size_t size = t->nslots ? t->nslots * 2 : 64;

	free(t->slots);
	if ((t->slots = calloc(size, sizeof *t->slots)) == NULL)
		fatal("calloc");   /* OOM only: rows are bounded by areas-max-rows */
	t->nslots = size;
	for (size_t i = 0; i < t->n; i++)
		t->slots[slot_of(t, t->rows[i].code)] = (long)i + 1;
}

long areas_find(const struct area_table *t, const char *code)
{
	if (t->nslots == 0)
		return -1;
	return t->slots[slot_of(t, code)] - 1;
}

int areas_add(struct area_table *t, const struct area *a)
{
	if (areas_find(t, a->code) >= 0)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct area *rows = realloc(t->rows, cap * sizeof *rows);
		if (rows == NULL)
			fatal("realloc");   /* OOM only: rows are bounded by areas-max-rows */
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->n] = *a;
	t->rows[t->n].parent_index = -1;
	t->n++;
	if ((t->n + 1) * 2 > t->nslots)
		index_grow(t);
	else
		t->slots[slot_of(t, a->code)] = (long)t->n;
	return 0;
}

int areas_link(struct area_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct area *a = &t->rows[i];
		a->parent_index = -1;
		if (a->parent[0] && (a->parent_index = areas_find(t, a->parent)) < 0)
			return -1;
	}
	return 0;
}

void areas_free(struct area_table *t)
{
	free(t->rows);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

/* ---- the fields --------------------------------------------------------- */

static int code_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= AREA_CODE_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The length of the well-formed UTF-8 sequence at s (n > 0 bytes left)
 * and its code point, or 0 when there is none there (Unicode 15, table
 * 3-7: the second byte's range rules out overlongs and surrogates). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : lo, hi = c == 0xed ? 0x9f : hi;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : lo, hi = c == 0xf4 ? 0x8f : hi;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	*cp = c & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return len;
}

/* 1..AREA_NAME_MAX bytes of well-formed UTF-8 without control characters
 * (C0, DEL, C1). */
static int name_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	unsigned cp;

	if (n == 0 || n > AREA_NAME_MAX)
		return 0;
	for (; i < n; i += k)
		if ((k = utf8_seq(p + i, n - i, &cp)) == 0 || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f))
			return 0;
	return 1;
}

/* A whole number 0 .. AREA_TARGET_MAX, digits only; 0 or -1. */
static int target_parse(const char *s, long long *out)
{
	size_t n = strlen(s);
	long long v = 0;

	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	if (v > AREA_TARGET_MAX)
		return -1;
	*out = v;
	return 0;
}

static int fail(struct area_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct area_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof err->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * One CSV field of the line [*p, e) into buf (FIELD_BUF bytes): plain, or
 * in double quotes with "" for a quote.  *p moves past the field and its
 * comma; *more says whether a comma followed.  0, or -1 with err's reason.
 */
static int csv_field(const char **p, const char *e, char *buf, int *more,
    struct area_error *err)
{
	const char *s = *p;
	size_t n = 0;

	if (s < e && *s == '"') {
		for (s++;; s++) {
			if (s == e)
				return fail(err, "a quoted field does not end on its line");
			if (*s == '"' && s + 1 < e && s[1] == '"')
				s++;
			else if (*s == '"')
				break;
			if (n + 1 < FIELD_BUF)
				buf[n++] = *s;
			else
				return fail(err, "a field is too long");
		}
		s++;
		if (s < e && *s != ',')
			return fail(err, "a closing quote must end its field");
	} else
		for (; s < e && *s != ','; s++) {
			if (*s == '"')
				return fail(err, "a quote inside an unquoted field "
				    "(quote the whole field and double the quote)");
			if (*s == '\0' || *s == '\r')
				return fail(err, "a NUL or CR inside a line");
			if (n + 1 >= FIELD_BUF)
				return fail(err, "a field is too long");
			buf[n++] = *s;
		}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL)
		return fail(err, "a NUL inside a field");
	*more = s < e;
	*p = s < e ? s + 1 : s;
	return 0;
}

/* The line's fields, exactly AREA_FIELDS of them. */
static int csv_row(const char *s, const char *e, char f[AREA_FIELDS][FIELD_BUF],
    struct area_error *err)
{
	int more = 1, n = 0;

	while (more) {
		if (n == AREA_FIELDS)
			return fail(err, "more than %d fields", AREA_FIELDS);
		if (csv_field(&s, e, f[n++], &more, err) == -1)
			return -1;
	}
	if (n < AREA_FIELDS)
		return fail(err, "%d fields, %d wanted (%s)", n, AREA_FIELDS, AREA_HEADER);
	return 0;
}

/* The fields of a row as an area, checked alone (not against the table). */
static int area_fields(char f[AREA_FIELDS][FIELD_BUF], struct area *a,
    struct area_error *err)
{
	int level;

	if (!code_valid(f[0]))
		return fail(err, "code \"%.40s\" must be 1 to %d of A-Z a-z 0-9 . _ -",
		    f[0], AREA_CODE_MAX);
	if (!name_valid(f[1]))
		return fail(err, "the name of %s must be 1 to %d bytes of printable UTF-8",
		    f[0], AREA_NAME_MAX);
	if (f[2][0] && !code_valid(f[2]))
		return fail(err, "parent \"%.40s\" is not a valid code", f[2]);
	if ((level = area_level_parse(f[3])) < 0)
		return fail(err, "unknown level \"%.20s\" (kabupaten, kecamatan, desa or rt)", f[3]);
	if (target_parse(f[4], &a->target) == -1)
		return fail(err, "target \"%.20s\" must be a whole number 0 to %lld", f[4],
		    AREA_TARGET_MAX);
	if (target_parse(f[5], &a->elderly_target) == -1)
		return fail(err, "elderly_target \"%.20s\" must be a whole number 0 to %lld",
		    f[5], AREA_TARGET_MAX);
	if (a->elderly_target > a->target)
		return fail(err, "elderly_target %lld is more than target %lld",
		    a->elderly_target, a->target);
	strcpy(a->code, f[0]);
	strcpy(a->name, f[1]);
	strcpy(a->parent, f[2]);
	a->level = (enum area_level)level;
	a->parent_index = -1;
	return 0;
}

/* A row against the rows before it: a new code, a parent above it. */
static int area_place(struct area_table *t, const struct area *a, struct area_error *err)
{
	long pi = -1;

	if (areas_find(t, a->code) >= 0)
		return fail(err, "code %s is already on line %ld", a->code,
		    areas_find(t, a->code) + 2);
	if (a->parent[0]) {
		if ((pi = areas_find(t, a->parent)) < 0)
			return fail(err, "parent %s is not on an earlier line", a->parent);
		if (t->rows[pi].level >= a->level)
			return fail(err, "parent %s is a %s, not above a %s", a->parent,
			    level_names[t->rows[pi].level], level_names[a->level]);
	}
	areas_add(t, a);
	t->rows[t->n - 1].parent_index = pi;
	return 0;
}

/* The next line of [*p, end): its bounds without the CRLF or LF. */
static void next_line(const char **p, const char *end, const char **s, const char **e)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	*s = *p;
	*e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	if (*e > *s && (*e)[-1] == '\r')
		(*e)--;
}

int areas_parse(const char *text, size_t len, size_t max_rows, struct area_table *t,
    struct area_error *err)
{
	const char *p = text, *end = text + len, *s, *e;
	char f[AREA_FIELDS][FIELD_BUF];
	struct area a;

	memset(t, 0, sizeof *t);
	err->line = 1;
	err->reason[0] = '\0';
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;                          /* a UTF-8 BOM, as spreadsheets write */
	next_line(&p, end, &s, &e);
	if ((size_t)(e - s) != strlen(AREA_HEADER) || memcmp(s, AREA_HEADER, (size_t)(e - s)) != 0)
		return fail(err, "the header must be exactly " AREA_HEADER);
	while (p < end) {
		err->line++;
		next_line(&p, end, &s, &e);
		if (s == e) {
			fail(err, "an empty line");
			goto fail;
		}
		if (t->n == max_rows) {
			fail(err, "more than %zu rows", max_rows);
			goto fail;
		}
		if (csv_row(s, e, f, err) == -1 || area_fields(f, &a, err) == -1 ||
		    area_place(t, &a, err) == -1)
			goto fail;
	}
	return 0;
fail:
	areas_free(t);
	return -1;
}

/* ---- the rows' JSON ----------------------------------------------------- */

int area_region(const struct area *a, char *out)
{
	size_t n = 0;

	for (const char *s = a->code; *s; s++) {
		if (*s == '.')
			continue;
		if (*s < '0' || *s > '9' || n == 6)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return n == 6 ? 0 : -1;
}

char *area_to_json(const struct area *a)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	if (o && cJSON_AddStringToObject(o, "code", a->code) &&
	    cJSON_AddStringToObject(o, "name", a->name) &&
	    cJSON_AddStringToObject(o, "parent", a->parent) &&
	    cJSON_AddStringToObject(o, "level", level_names[a->level]) &&
	    cJSON_AddNumberToObject(o, "target", (double)a->target) &&
	    cJSON_AddNumberToObject(o, "elderly_target", (double)a->elderly_target))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* A member as text into f (FIELD_BUF): strings as they are, whole numbers
 * written out; -1 for anything else. */
static int member_text(const cJSON *o, const char *name, char *f)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(j) && strlen(j->valuestring) < FIELD_BUF) {
		strcpy(f, j->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(j) && j->valuedouble >= 0 && j->valuedouble <= (double)AREA_TARGET_MAX &&
	    j->valuedouble == (double)(long long)j->valuedouble) {
		snprintf(f, FIELD_BUF, "%lld", (long long)j->valuedouble);
		return 0;
	}
	return -1;
}

int area_from_json(const char *text, size_t len, struct area *a)
{
	static const char *const names[AREA_FIELDS] = { "code", "name", "parent", "level",
		"target", "elderly_target" };
	char f[AREA_FIELDS][FIELD_BUF];
	struct area_error err;
	cJSON *o = cJSON_ParseWithLength(text, len);
	int rc = -1;

	if (!cJSON_IsObject(o))
		goto done;
	for (int i = 0; i < AREA_FIELDS; i++)
		if (member_text(o, names[i], f[i]) == -1)
			goto done;
	rc = area_fields(f, a, &err);
done:
	cJSON_Delete(o);
	return rc;
}

/* ---- search ------------------------------------------------------------- */

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Where q (already folded) is in s, ASCII case ignored: 0 at the start,
 * 1 further in, -1 not at all. */
static int match_at(const char *s, const char *q, size_t qn)
{
	for (size_t i = 0; s[i]; i++) {
		size_t k = 0;
		while (k < qn && s[i + k] && fold((unsigned char)s[i + k]) == (unsigned char)q[k])
			k++;
		if (k == qn)
			return i == 0 ? 0 : 1;
	}
	return qn == 0 ? 0 : -1;
}

#define SEARCH_WORDS 8

/* Every word of q (folded, split at spaces) is in the label. */
static int words_in(const char *label, char *const *w, int nw)
{
	for (int i = 0; i < nw; i++)
		if (match_at(label, w[i], strlen(w[i])) < 0)
			return 0;
	return 1;
}

size_t areas_search(const struct area_table *t, const char *q, int level, size_t limit,
    long *out)
{
	char fq[AREA_NAME_MAX + 1], words[AREA_NAME_MAX + 1], *w[SEARCH_WORDS], *save = NULL;
	char label[AREA_LABEL_MAX];
	size_t qn = strlen(q), n = 0;
	int nw = 0;

	if (qn > AREA_NAME_MAX)
		return 0;
	for (size_t i = 0; i <= qn; i++)
		fq[i] = (char)fold((unsigned char)q[i]);
	strcpy(words, fq);
	for (char *it = strtok_r(words, " ", &save); it && nw < SEARCH_WORDS;
	    it = strtok_r(NULL, " ", &save))
		w[nw++] = it;
	/* pass 0: the name or code begins with q; pass 1: every word of q is
	 * in the name with its parents' ("rt 03 kibin"), or q in the code */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->n && n < limit; i++) {
			const struct area *a = &t->rows[i];
			int first;
			if (level >= 0 && (int)a->level != level)
				continue;
			first = match_at(a->name, fq, qn) == 0 || match_at(a->code, fq, qn) == 0;
			if (pass == 0 && first)
				out[n++] = (long)i;
			else if (pass == 1 && !first) {
				areas_label(t, (long)i, label, sizeof label);
				if (match_at(a->code, fq, qn) > 0 || words_in(label, w, nw))
					out[n++] = (long)i;
			}
		}
	return n;
}

void areas_label(const struct area_table *t, long i, char *buf, size_t size)
{
	size_t used = 0;
	int depth = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	/* depth bounds a loop a spoilt table could make (4 levels, strictly
	 * ordered, when the file was checked) */
	for (; i >= 0 && (size_t)i < t->n && depth < AREA_NLEVELS; i = t->rows[i].parent_index, depth++) {
		const struct area *a = &t->rows[i];
		int w;
		if (depth > 0 && a->level == AREA_KABUPATEN)
			break;
		w = snprintf(buf + used, size - used, "%s%s", depth ? ", " : "", a->name);
		if (w < 0 || (size_t)w >= size - used) {
			buf[used] = '\0';       /* whole names only */
			break;
		}
		used += (size_t)w;
	}
}
