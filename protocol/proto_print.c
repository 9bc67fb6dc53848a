/*
 * proto_print.c: cJSON trees as compact JSON text, byte for byte what
 * cJSON_PrintUnformatted (1.7.15) gives, only faster.  cJSON prints every
 * number with sprintf("%1.15g") and reads it back with sscanf to check it,
 * and grows its buffer by reallocation: a third of what antred spent
 * turning a ticket into its reply.  Here an integer below 10^15 (every
 * count, position and second antred sends) is written digit by digit, and
 * only other numbers take cJSON's own way.  The same writer (proto_text_*)
 * makes the text of the replies that skip the tree (proto_ticket_text).
 */
#include "protocol.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static char *out_room(struct proto_text *o, size_t n)
{
	if (o->failed)
		return NULL;
	if (o->size - o->len < n + 1) {
		size_t size = o->size ? o->size : 256;
		char *b;

		while (size - o->len < n + 1)
			size *= 2;
		if ((b = realloc(o->buf, size)) == NULL) {
			o->failed = 1;
			return NULL;
		}
		o->buf = b;
		o->size = size;
	}
	return o->buf + o->len;
}

void proto_text_add(struct proto_text *o, const char *s, size_t n)
{
	char *p = out_room(o, n);

	if (p) {
		memcpy(p, s, n);
		o->len += n;
	}
}

static void out_char(struct proto_text *o, char c)
{
	proto_text_add(o, &c, 1);
}

/* cJSON's print_string_ptr: " \ and the C0 controls escaped, the rest as
 * it is (DEL and UTF-8 included); NULL prints as "".  Room for the worst
 * case (every byte \u00XX) is made once, then the bytes go straight in. */
void proto_text_str(struct proto_text *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = s ? strlen(s) : 0;
	char *start = n <= (SIZE_MAX - 2) / 6 ? out_room(o, 6 * n + 2) : NULL, *p = start;

	if (p == NULL) {
		o->failed = 1;
		return;
	}
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e;

		if (c >= 0x20 && c != '"' && c != '\\') {
			*p++ = (char)c;
			continue;
		}
		e = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f' :
		    c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
		if (e) {
			*p++ = '\\';
			*p++ = e;
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		}
	}
	*p++ = '"';
	o->len += (size_t)(p - start);
}

/* cJSON's print_number: NaN and the infinities as null; "%1.15g" when it
 * reads back as the same double, else "%1.17g"; the locale's decimal
 * point as '.'.  An integer of at most 15 digits is what "%1.15g" makes of
 * it, so it is written directly (-0 keeps its sign, as "%g" does). */
void proto_text_num(struct proto_text *o, double d)
{
	char b[32];
	int n;

	if (d * 0 != 0) {
		proto_text_add(o, "null", 4);
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
		unsigned long long v = (unsigned long long)fabs(d);
		char *p = b + sizeof b;

		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		if (d < 0)
			*--p = '-';
		proto_text_add(o, p, (size_t)(b + sizeof b - p));
		return;
	}
	n = snprintf(b, sizeof b, "%1.15g", d);
	{
		double test = 0;
		char dp = localeconv()->decimal_point[0];

		if (sscanf(b, "%lg", &test) != 1 ||
		    !(fabs(test - d) <= fmax(fabs(test), fabs(d)) * DBL_EPSILON))
			n = snprintf(b, sizeof b, "%1.17g", d);
		for (int i = 0; i < n; i++)
			if (b[i] == dp)
				b[i] = '.';
	}
	proto_text_add(o, b, (size_t)n);
}

static void print_value(struct proto_text *o, const cJSON *j);

/* An array's or an object's members between open and close. */
static void print_members(struct proto_text *o, const cJSON *first, int named, char open,
    char close)
{
	out_char(o, open);
	for (const cJSON *c = first; c && !o->failed; c = c->next) {
		if (c != first)
			out_char(o, ',');
		if (named) {
			proto_text_str(o, c->string);   /* NULL: "", as cJSON */
			out_char(o, ':');
		}
		print_value(o, c);
	}
	out_char(o, close);
}

static void print_value(struct proto_text *o, const cJSON *j)
{
	switch (j->type & 0xff) {
	case cJSON_NULL: proto_text_add(o, "null", 4); break;
	case cJSON_False: proto_text_add(o, "false", 5); break;
	case cJSON_True: proto_text_add(o, "true", 4); break;
	case cJSON_Number: proto_text_num(o, j->valuedouble); break;
	case cJSON_String: proto_text_str(o, j->valuestring); break;
	case cJSON_Raw:
		if (j->valuestring == NULL)
			o->failed = 1;
		else
			proto_text_add(o, j->valuestring, strlen(j->valuestring));
		break;
	case cJSON_Array: print_members(o, j->child, 0, '[', ']'); break;
	case cJSON_Object: print_members(o, j->child, 1, '{', '}'); break;
	default: o->failed = 1; break;
	}
}

char *proto_text_end(struct proto_text *o, size_t *len)
{
	if (out_room(o, 0) == NULL) {
		free(o->buf);
		*o = (struct proto_text){ 0 };
		return NULL;
	}
	o->buf[o->len] = '\0';
	if (len)
		*len = o->len;
	return o->buf;
}

char *proto_json_print(const cJSON *j, size_t *len)
{
	struct proto_text o = { 0 };

	if (j == NULL)
		return NULL;
	print_value(&o, j);
	return proto_text_end(&o, len);
}
