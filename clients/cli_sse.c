/* cli_sse.c: the Server-Sent Events parser (cli_sse.h). */
#include "cli_sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends n bytes (and keeps a NUL after them); -1 past CLI_SSE_MAX or out
 * of memory. */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > CLI_SSE_MAX)
		return -1;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 1024;
		char *q;

		while (*len + n + 1 > c)
			c *= 2;
		if ((q = realloc(*buf, c)) == NULL)
			return -1;
		*buf = q;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

void cli_sse_reset(struct cli_sse *s)
{
	s->len = 0;
	s->dlen = 0;
	s->after_cr = 0;
	s->type[0] = '\0';
}

void cli_sse_free(struct cli_sse *s)
{
	free(s->line);
	free(s->data);
}

/* A blank line: the event is complete.  1 when the reader says stop. */
static int sse_dispatch(struct cli_sse *s)
{
	const char *data = NULL;
	int stop;

	if (s->dlen > 0) {
		s->data[--s->dlen] = '\0';      /* the last line's '\n' */
		data = s->data;
	}
	stop = s->on_event(s->arg, s->type, data, s->dlen, s->id);
	s->type[0] = '\0';
	s->dlen = 0;
	return stop;
}

/* One line (without its end), NUL-terminated in s->line: 0, 1 when the
 * reader says stop, -1 for too much data. */
static int sse_line(struct cli_sse *s)
{
	char *value, *colon;
	const char *field = s->line ? s->line : "";

	if (s->len == 0)
		return sse_dispatch(s);
	if (field[0] == ':')
		return 0;                /* a comment: ": ping" */
	if ((colon = strchr(s->line, ':')) != NULL) {
		*colon = '\0';
		value = colon + 1;
		if (*value == ' ')
			value++;
	} else
		value = s->line + s->len;        /* "" */
	if (strcmp(field, "event") == 0)
		snprintf(s->type, sizeof s->type, "%s", value);
	else if (strcmp(field, "data") == 0)
		return buf_add(&s->data, &s->dlen, &s->dcap, value, strlen(value)) == -1 ||
		    buf_add(&s->data, &s->dlen, &s->dcap, "\n", 1) == -1 ? -1 : 0;
	else if (strcmp(field, "id") == 0 && strlen(value) < sizeof s->id)
		snprintf(s->id, sizeof s->id, "%s", value);
	/* retry: the reader keeps its own backoff; other fields are ignored */
	return 0;
}

int cli_sse_feed(struct cli_sse *s, const char *p, size_t n)
{
	while (n > 0) {
		size_t k = 0;
		int rc;

		if (s->after_cr) {
			s->after_cr = 0;
			if (*p == '\n') {
				p++;
				n--;
				continue;
			}
		}
		while (k < n && p[k] != '\r' && p[k] != '\n')
			k++;
		if (buf_add(&s->line, &s->len, &s->cap, p, k) == -1)
			return -1;
		if (k == n)
			return 0;
		s->after_cr = p[k] == '\r';
		p += k + 1;
		n -= k + 1;
		if ((rc = sse_line(s)) == -1)
			return -1;
		s->len = 0;
		if (rc == 1)
			return 0;
	}
	return 0;
}
