/*
 * fuzz_protocol.c: the wire decoders of protocol/ (ticket, station, call,
 * board, delta, error) on arbitrary JSON.
 *
 * The input is parsed with cJSON_ParseWithLength and handed to every
 * decoder.  A decoder must not crash, must leave a NUL-terminated reason in
 * err when it fails, and whatever it accepts must survive the trip the
 * daemon and clients make: encode, print, parse, decode again, and come back
 * byte for byte equal (the decoders memset their struct first, so memcmp is
 * exact).  The trip is made at three UTC offsets, as events have different
 * ones.  Also: proto_json_print prints every input as cJSON_PrintUnformatted
 * does, and proto_ticket_text writes an accepted ticket as its encoder's
 * tree prints.  A failure prints what went in and what came back (for tickets and
 * boards, the array element that differs) and aborts: libFuzzer reports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* UTC, Asia/Jakarta, and a negative half-hour one (Newfoundland). */
static const int offsets[] = { 0, 7 * 3600, -(3 * 3600 + 30 * 60) };

/* The decoded structs are large (a board is ~40 KiB): kept off the stack. */
static struct ticket ticket_a, ticket_b;
static struct station station_a, station_b;
static struct call call_a, call_b;
static struct board board_a, board_b;
static struct board_delta delta_a, delta_b;
static struct proto_error error_a, error_b;

/* Index of the first of n elements of size `elem` that differ, or -1. */
static int first_diff(const void *a, const void *b, size_t elem, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp((const char *)a + i * elem, (const char *)b + i * elem, elem) != 0)
			return (int)i;
	return -1;
}

/* Which array element of a ticket or board came back different, if any. */
static const char *locate(const char *what, int *index)
{
	if (strcmp(what, "ticket") == 0 &&
	    (*index = first_diff(ticket_a.visits, ticket_b.visits,
		sizeof ticket_a.visits[0], PROTO_MAX_STAGES * 2)) >= 0)
		return "visits";
	if (strcmp(what, "board") != 0)
		return NULL;
	if ((*index = first_diff(board_a.stages, board_b.stages,
	    sizeof board_a.stages[0], PROTO_MAX_STAGES)) >= 0)
		return "stages";
	if ((*index = first_diff(board_a.stations, board_b.stations,
	    sizeof board_a.stations[0], PROTO_MAX_STATIONS)) >= 0)
		return "stations";
	if ((*index = first_diff(board_a.calls, board_b.calls,
	    sizeof board_a.calls[0], PROTO_MAX_CALLS)) >= 0)
		return "calls";
	if ((*index = first_diff(board_a.holds, board_b.holds,
	    sizeof board_a.holds[0], PROTO_MAX_HOLDS)) >= 0)
		return "holds";
	return NULL;
}

/* Prints j (or its array element) on one line, at most 600 bytes of it. */
static void put_json(const char *label, const cJSON *j, const char *array, int index)
{
	char *text;

	if (j && array)
		j = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, array), index);
	text = j ? cJSON_PrintUnformatted(j) : NULL;
	fprintf(stderr, "  %s: %.600s%s\n", label, text ? text : "(null)",
	    text && strlen(text) > 600 ? "..." : "");
	free(text);
}

static void fail_trip(const char *what, const cJSON *in, const cJSON *out, const char *why)
{
	const char *array = NULL;
	int index = -1;

	if (out && strcmp(why, "decoded values differ") == 0)
		array = locate(what, &index);
	if (array)
		fprintf(stderr, "fuzz_protocol: %s round trip: %s in %s.%s[%d]\n",
		    what, why, what, array, index);
	else
		fprintf(stderr, "fuzz_protocol: %s round trip: %s\n", what, why);
	put_json("in ", in, array, index);
	put_json("out", out, array, index);
	abort();
}

/* A failed decode must leave a terminated, non-empty reason. */
static void check_err(const char *what, const char *err)
{
	if (memchr(err, '\0', PROTO_ERR_MAX) == NULL || err[0] == '\0') {
		fprintf(stderr, "fuzz_protocol: %s: decode failed without a reason\n", what);
		abort();
	}
}

/* Prints `enc` (consuming it) and parses the text back, as the wire does. */
static cJSON *over_the_wire(const char *what, const cJSON *in, cJSON *enc)
{
	char *text;
	cJSON *back;

	if (enc == NULL)
		fail_trip(what, in, NULL, "encoder returned NULL");
	if ((text = cJSON_PrintUnformatted(enc)) == NULL)
		abort();
	cJSON_Delete(enc);
	back = cJSON_Parse(text);
	free(text);
	if (back == NULL)
		fail_trip(what, in, NULL, "encoder output is not JSON");
	return back;
}

/* Decodes the re-parsed text into b and compares it with a. */
#define TRIP(what, in, enc, decode, a, b) do {				\
	char err_[PROTO_ERR_MAX] = "";					\
	cJSON *back_ = over_the_wire((what), (in), (enc));		\
	if (decode(back_, &(b), err_) != 0)				\
		fail_trip((what), (in), back_, err_);			\
	if (memcmp(&(a), &(b), sizeof(a)) != 0)				\
		fail_trip((what), (in), back_, "decoded values differ");	\
	cJSON_Delete(back_);						\
} while (0)

/* The same text, or a report and abort. */
static void same_text(const char *what, const char *want, char *got)
{
	if (want == NULL || got == NULL || strcmp(want, got) != 0) {
		fprintf(stderr, "fuzz_protocol: %s differs\n  want: %.600s\n  got:  %.600s\n", what,
		    want ? want : "(null)", got ? got : "(null)");
		abort();
	}
	free(got);
}

/* proto_json_print against cJSON's printer, on the input as parsed. */
static void check_print(const cJSON *j)
{
	char *want = cJSON_PrintUnformatted(j);

	same_text("proto_json_print", want, proto_json_print(j, NULL));
	free(want);
}

/* proto_ticket_text against the printed tree of proto_ticket_encode. */
static void check_ticket_text(const struct ticket *t, int off)
{
	cJSON *tree = proto_ticket_encode(t, off);
	char *want = tree ? proto_json_print(tree, NULL) : NULL;
	struct proto_text out = { 0 };

	proto_text_add(&out, "{", 1);
	proto_ticket_text(&out, t, off, true);
	proto_text_add(&out, "}", 1);
	same_text("proto_ticket_text", want, proto_text_end(&out, NULL));
	free(want);
	cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	char err[PROTO_ERR_MAX];

	if (j == NULL)
		return 0;
	check_print(j);

	memset(err, 0, sizeof err);
	if (proto_ticket_decode(j, &ticket_a, err) == 0) {
		for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
			check_ticket_text(&ticket_a, offsets[i]);
			TRIP("ticket", j, proto_ticket_encode(&ticket_a, offsets[i]),
			    proto_ticket_decode, ticket_a, ticket_b);
		}
	} else
		check_err("ticket", err);

	memset(err, 0, sizeof err);
	if (proto_station_decode(j, &station_a, err) == 0)
		TRIP("station", j, proto_station_encode(&station_a),
		    proto_station_decode, station_a, station_b);
	else
		check_err("station", err);

	memset(err, 0, sizeof err);
	if (proto_call_decode(j, &call_a, err) == 0) {
		for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
			TRIP("call", j, proto_call_encode(&call_a, offsets[i]),
			    proto_call_decode, call_a, call_b);
	} else
		check_err("call", err);

	memset(err, 0, sizeof err);
	if (proto_board_decode(j, &board_a, err) == 0) {
		for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
			TRIP("board", j, proto_board_encode(&board_a, offsets[i]),
			    proto_board_decode, board_a, board_b);
	} else
		check_err("board", err);

	memset(err, 0, sizeof err);
	if (proto_board_delta_decode(j, &delta_a, err) == 0) {
		for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
			TRIP("delta", j, proto_board_delta_encode(&delta_a, offsets[i]),
			    proto_board_delta_decode, delta_a, delta_b);
		/* applied to whatever board the input made (or the last) */
		proto_board_apply(&board_a, &delta_a);
	} else
		check_err("delta", err);

	memset(err, 0, sizeof err);
	if (proto_error_decode(j, &error_a, err) == 0)
		TRIP("error", j, proto_error_encode(error_a.code, error_a.message),
		    proto_error_decode, error_a, error_b);
	else
		check_err("error", err);

	cJSON_Delete(j);
	return 0;
}
