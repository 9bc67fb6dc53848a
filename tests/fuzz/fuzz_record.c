/*
 * fuzz_record.c: daemon/record.c, the decoders of what the Lua scripts
 * return and write to the stream, on arbitrary JSON.
 *
 * The input is parsed with cJSON_ParseWithLength and handed to every
 * decoder; it is also turned into a hiredis reply (arrays stay arrays,
 * strings strings, anything else an integer) for record_stream_entry.  No
 * decoder may crash; what they give must hold: strings NUL-terminated
 * within their fields, counts within the wire limits, an accepted ticket
 * encodable, its public view without area, priority or visits, a stream
 * entry of a known type printed as JSON that parses back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_def ev;
static struct ticket ticket;
static struct station station;
static struct board board;
static struct report_row row;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_record: %s fails at line %d\n", #cond, __LINE__); \
	abort(); } } while (0)

#define TERMINATED(field) CHECK(memchr((field), '\0', sizeof (field)) != NULL)

static void event_init(void)
{
	if (ev.nstages)
		return;
	strcpy(ev.id, "ev1");
	ev.utc_offset_s = 7 * 3600;
	ev.nstages = 2;
	strcpy(ev.stages[0].id, "screen");
	strcpy(ev.stages[0].name, "Skrining");
	strcpy(ev.stages[1].id, "vax");
	strcpy(ev.stages[1].name, "Vaksinasi");
	ev.dose_stage = 1;
}

static void check_ticket(const cJSON *j)
{
	cJSON *full, *pub;

	if (record_ticket(j, &ticket) == -1) {
		CHECK(record_ticket_wire(&ev, j, RECORD_PUBLIC) == NULL);
		return;
	}
	TERMINATED(ticket.id);
	TERMINATED(ticket.area);
	TERMINATED(ticket.station);
	CHECK(ticket.nvisits >= 0 && ticket.nvisits <= PROTO_MAX_STAGES * 2);
	for (int i = 0; i < ticket.nvisits; i++)
		TERMINATED(ticket.visits[i].outcome);
	full = record_ticket_wire(&ev, j, RECORD_FULL);
	pub = record_ticket_wire(&ev, j, RECORD_PUBLIC);
	CHECK(full != NULL && pub != NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(pub, "area") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(pub, "priority") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(pub, "visits") == NULL);
	cJSON_Delete(full);
	cJSON_Delete(pub);
	CHECK(record_report_row(&ev, j, &row) == 0);
}

static void check_board(const cJSON *j)
{
	cJSON *wire;

	record_station(j, &station);
	TERMINATED(station.id);
	TERMINATED(station.ticket_code);
	record_board(&ev, j, &board);
	CHECK(board.nstages <= PROTO_MAX_STAGES && board.nstations <= PROTO_MAX_STATIONS);
	CHECK(board.ncalls <= PROTO_MAX_CALLS && board.nholds <= PROTO_MAX_HOLDS);
	for (int i = 0; i < board.nstages; i++)
		TERMINATED(board.stages[i].name);
	for (int i = 0; i < board.ncalls; i++)
		TERMINATED(board.calls[i].code);
	CHECK((wire = proto_board_encode(&board, ev.utc_offset_s)) != NULL);
	cJSON_Delete(wire);
}

static void check_entries(const cJSON *j)
{
	static const char *types[] = { "call", "ticket", "station" };
	struct report_page pg;

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char *text = record_entry_json(&ev, types[i], j);
		cJSON *back;
		CHECK(text != NULL);
		CHECK((back = cJSON_Parse(text)) != NULL);
		cJSON_Delete(back);
		free(text);
	}
	CHECK(record_entry_json(&ev, "other", j) == NULL);
	if (record_report_page(j, &pg) == 0) {
		CHECK(strlen(pg.day) == 8 && pg.cursor[0] != '\0');
		CHECK(cJSON_IsArray(pg.tickets));
	}
}

/* The JSON as a hiredis reply; NULL when too deep. */
static redisReply *to_reply(const cJSON *j, int depth)
{
	redisReply *r = calloc(1, sizeof *r);
	const cJSON *it;
	size_t n = 0;

	CHECK(r != NULL);
	if (cJSON_IsArray(j) && depth < 8) {
		r->type = REDIS_REPLY_ARRAY;
		r->elements = (size_t)cJSON_GetArraySize(j);
		CHECK((r->element = calloc(r->elements + 1, sizeof *r->element)) != NULL);
		cJSON_ArrayForEach(it, j)
			r->element[n++] = to_reply(it, depth + 1);
	} else if (cJSON_IsString(j)) {
		r->type = REDIS_REPLY_STRING;
		CHECK((r->str = strdup(j->valuestring)) != NULL);
		r->len = strlen(r->str);
	} else {
		r->type = REDIS_REPLY_INTEGER;
		r->integer = (long long)cJSON_IsTrue(j);
	}
	return r;
}

static void reply_free(redisReply *r)
{
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

static void check_stream_entry(const cJSON *j)
{
	redisReply *r = to_reply(j, 0);
	struct stream_entry e;

	if (record_stream_entry(r, &e) == 0) {
		CHECK(e.id != NULL);
		CHECK(e.data == NULL || strlen(e.data) == e.len);
	} else
		CHECK(e.id == NULL);
	reply_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);

	if (j == NULL)
		return 0;
	event_init();
	check_ticket(j);
	check_board(j);
	check_entries(j);
	check_stream_entry(j);
	cJSON_Delete(j);
	return 0;
}
