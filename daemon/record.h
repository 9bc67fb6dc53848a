/*
 * record.h: what the Lua scripts return, and what they write to an event's
 * stream, decoded into the wire types of protocol.h.  Every script result
 * the daemon reads is decoded here and nowhere else, and the public view of
 * a ticket (what a person's own page may see) is cut here, once.
 *
 * Pure code: no I/O and no state.  The cJSON trees and hiredis replies
 * given are only read; results point into them only where a comment says
 * so.  Store records come from our own scripts, but they are decoded as
 * untrusted: a wrong type reads as missing, and an over-long string is
 * refused (tickets) or left empty (the rest), never copied past its field.
 */
#ifndef ANTRE_RECORD_H
#define ANTRE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "protocol.h"

struct cJSON;
struct redisReply;

/*
 * A ticket as the scripts return it (times in ms) into the wire type; 0, or
 * -1 when it is not an object, a string member does not fit its field or
 * its state is unknown.  Missing members read as "", 0, and -1 for position
 * and eta_s, leave_eta_s, -1s (null) for eta_range_s; a ticket with more visits than fit keeps its latest ones.
 */
int record_ticket(const struct cJSON *j, struct ticket *t);

/* An issue's reply as the scripts give it, a flat array (_lib.lua's
 * flat_reply), as the JSON of the other scripts: {"ticket": {...}}, owned
 * by the caller; NULL when a is not one (its first element is not
 * "ticket", or it is short).  Numbers may come as integers or as text (a
 * replayed one was kept as JSON). */
struct cJSON *record_flat_ticket(const struct redisReply *a);

/* A station as the scripts return it ({"id", "stage", "number", "state",
 * "ticket_id", "ticket_code"}) into the wire type. */
void record_station(const struct cJSON *j, struct station *s);

/* The board script's result into the wire board of that event; the lists
 * are cut at protocol.h's maxima. */
void record_board(const struct event_def *ev, const struct cJSON *res, struct board *b);

enum record_view {
	RECORD_FULL,                     /* what staff see */
	RECORD_PUBLIC                    /* a person's own page: no area, priority or visits */
};

/* A store ticket as the wire ticket object in that view, owned by the
 * caller; NULL when record_ticket refuses it. */
struct cJSON *record_ticket_wire(const struct event_def *ev, const struct cJSON *j,
    enum record_view view);

/* The same ticket object as text, appended to out: the bytes
 * proto_json_print(record_ticket_wire(ev, j, view)) gives, without the
 * tree (test_record checks they agree).  0, or -1 (out unchanged) when
 * record_ticket refuses it. */
int record_ticket_text(const struct event_def *ev, const struct cJSON *j,
    enum record_view view, struct proto_text *out);

/* A stream entry's data (times in ms) as the wire JSON text the displays
 * get for its type ("call", "ticket", "station"), owned by the caller (free
 * it); NULL for a type this daemon does not know. */
char *record_entry_json(const struct event_def *ev, const char *type, const struct cJSON *d);

/* One entry of an XREAD or XRANGE reply: [id, [field, value, ...]].  The
 * pointers are into the reply and die with it; type and data are NULL when
 * the entry has no such field. */
struct stream_entry {
	const char *id;
	const char *type;
	const char *data;
	size_t len;                      /* of data */
};

/* 0, or -1 when e is not an entry (no id). */
int record_stream_entry(const struct redisReply *e, struct stream_entry *out);

/* One ticket's line of the day's report, worked out from the store's record. */
struct report_row {
	struct ticket t;                 /* visits unused: see record_report_row */
	int64_t called[PROTO_MAX_STAGES];    /* of the last visit there, 0 = none */
	int64_t completed[PROTO_MAX_STAGES];
	int64_t wait_s, service_s;
	int dose;                        /* done at the dose stage */
};

/* A ticket of the report script's page into a row; 0, or -1 as for
 * record_ticket. */
int record_report_row(const struct event_def *ev, const struct cJSON *j,
    struct report_row *row);

/* One page of the report script: {"day": "YYYYMMDD", "cursor": HSCAN's
 * cursor, "tickets": [...]}.  tickets points into the result. */
struct report_page {
	char day[9];
	char cursor[32];
	const struct cJSON *tickets;
};

/* 0, or -1 when the page is malformed (a day that is not 8 digits, a
 * cursor that is not 1 to 31 digits, no array of tickets). */
int record_report_page(const struct cJSON *res, struct report_page *pg);

#endif
