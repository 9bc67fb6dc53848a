/*
 * fuzz_plan.c: the planner's answer decoder (protocol/proto_plan.c) on
 * arbitrary JSON, as `antre plan` reads it from the server.
 *
 * A decode must not crash, must leave a NUL-terminated reason in err when
 * it fails, and what it accepts must survive the trip the daemon and the
 * client make: encode, print, parse, decode again, and encoded and printed
 * again it is the same text.  A failure prints both sides and aborts:
 * libFuzzer reports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plan plan_a, plan_b;   /* ~6 KiB each: off the stack */

static void fail(const cJSON *in, const char *text, const char *why)
{
	char *was = in ? cJSON_PrintUnformatted(in) : NULL;

	fprintf(stderr, "fuzz_plan: round trip: %s\n  in : %.600s\n  out: %.600s\n", why,
	    was ? was : "(null)", text ? text : "(null)");
	free(was);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size), *enc, *back;
	char err[PROTO_ERR_MAX], *text, *again;

	if (j == NULL)
		return 0;
	memset(err, 0, sizeof err);
	if (proto_plan_decode(j, &plan_a, err) != 0) {
		if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
			fail(j, NULL, "decode failed without a reason");
		cJSON_Delete(j);
		return 0;
	}
	if ((enc = proto_plan_encode(&plan_a)) == NULL)
		fail(j, NULL, "encoder returned NULL");
	if ((text = cJSON_PrintUnformatted(enc)) == NULL)
		abort();   /* a fuzzer's failure (cJSON out of memory): libFuzzer reports it */
	cJSON_Delete(enc);
	if ((back = cJSON_Parse(text)) == NULL)
		fail(j, text, "encoder output is not JSON");
	if (proto_plan_decode(back, &plan_b, err) != 0)
		fail(j, text, err);
	/* The text is the fixed point, not the struct: cJSON prints a double
	 * with 15 digits when they read back within its epsilon (a plan's
	 * utilisation of 4.1600707676998496e+17 came back 1 ulp away, seed
	 * plan-utilisation-15-digits.json); printed again, it is the same. */
	if ((enc = proto_plan_encode(&plan_b)) == NULL || (again = cJSON_PrintUnformatted(enc)) == NULL)
		abort();   /* a fuzzer's failure: libFuzzer reports it */
	cJSON_Delete(enc);
	if (strcmp(text, again) != 0)
		fail(j, text, "encoded again, it differs");
	free(again);
	free(text);
	cJSON_Delete(back);
	cJSON_Delete(j);
	return 0;
}
