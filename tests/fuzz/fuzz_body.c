/*
 * fuzz_body.c: the request body path, http_body_object, on arbitrary bytes.
 *
 * The daemon's own function is driven: a bare evhttp_request (no
 * connection) carries the input as its body inside a struct req.  On
 * refusal http_body_object answers 400 through http_reply_error, and with no
 * connection libevent frees the request there, and req_free frees the req;
 * on acceptance both are ours to free.
 *
 * The contract checked against an independent reference:
 *   accepted  => the body is non-empty, well-formed UTF-8 (checked here by
 *                the table of well-formed byte sequences, Unicode 15 §3.9,
 *                table 3-7), has no NUL byte and no \u0000 escape, and is
 *                one JSON object with nothing after it but white space;
 *   refused   => at least one of those does not hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Well-formed UTF-8 by the byte-range table, not by decoding. */
static int utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t k;

		if (b <= 0x7f) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			k = 1;
		else if (b == 0xe0)
			k = 2, lo = 0xa0;
		else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
			k = 2;
		else if (b == 0xed)
			k = 2, hi = 0x9f;
		else if (b == 0xf0)
			k = 3, lo = 0x90;
		else if (b >= 0xf1 && b <= 0xf3)
			k = 3;
		else if (b == 0xf4)
			k = 3, hi = 0x8f;
		else
			return 0;
		if (i + k >= n)         /* fewer than k bytes follow */
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* One JSON object and only JSON white space after it. */
static int one_object(const uint8_t *s, size_t n)
{
	const char *end = NULL, *text = (const char *)s;
	cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
	int ok = cJSON_IsObject(j);

	cJSON_Delete(j);
	if (!ok)
		return 0;
	for (; end < text + n; end++)
		if (!(*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
			return 0;
	return 1;
}

static int expect_accept(const uint8_t *s, size_t n)
{
	return n > 0 && utf8_ok(s, n) && memchr(s, '\0', n) == NULL &&
	    memmem(s, n, "\\u0000", 6) == NULL && one_object(s, n);
}

static void fail_body(const char *what, const uint8_t *s, size_t n)
{
	fprintf(stderr, "fuzz_body: %s (%zu bytes:", what, n);
	for (size_t i = 0; i < n && i < 48; i++)
		fprintf(stderr, " %02x", s[i]);
	fprintf(stderr, "%s)\n", n > 48 ? " ..." : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evhttp_request *ev;
	struct req *r;
	struct timeval tv;
	cJSON *j;
	int want = expect_accept(data, size);

	if ((ev = evhttp_request_new(NULL, NULL)) == NULL ||
	    (r = calloc(1, sizeof *r)) == NULL)
		abort();
	if (evbuffer_add(evhttp_request_get_input_buffer(ev), data, size) != 0)
		abort();
	r->ev = ev;
	/* as on_request sets them: the reply adds now - start_us to the
	 * latency metrics, which must not overflow over millions of runs */
	gettimeofday(&tv, NULL);
	r->start_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	server.inflight++;

	j = http_body_object(r);         /* NULL: answered, ev and r are freed */
	if (j != NULL) {
		if (!want)
			fail_body("accepted a body the contract refuses", data, size);
		if (!cJSON_IsObject(j))
			fail_body("returned something that is not an object", data, size);
		cJSON_Delete(j);
		evhttp_request_free(ev);
		free(r);
		server.inflight--;
	} else if (want) {
		fail_body("refused a body the contract accepts", data, size);
	}
	return 0;
}
