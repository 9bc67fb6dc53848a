/*
 * coverage_store.h: the campaign's dose records (PROTOCOL.md, "Coverage
 * across the campaign").
 *
 * The script that completes a dose writes its record to the event's outbox
 * (antre:{EVENT}:cov:outbox, _lib.lua dose_record), in the event's slot.
 * This module applies the outbox to the campaign's keys
 * (antre:{campaign}:cov:*, another slot) with scripts/coverage_apply.lua,
 * and only then removes the lines it applied (scripts/coverage_trim.lua).
 * A failure between the two leaves the lines for the next drain, whose
 * apply finds them marked (on the person's record, or in the day's
 * cov:seen:DAY) and counts nothing twice: nothing is lost,
 * nothing is counted twice, whatever fails where.
 *
 * One drain at a time per event in a daemon (a request for more while one
 * runs is served by one more run after it); several daemons may drain the
 * same outbox at once, as the trim removes only the lines it was given
 * while they are still at the head.
 */
#ifndef ANTRE_COVERAGE_STORE_H
#define ANTRE_COVERAGE_STORE_H

#include "event.h"

struct cJSON;

/* The campaign's key prefix's tag: antre:{campaign}:. */
#define COVERAGE_CAMPAIGN "campaign"
/* Outbox lines applied by one script run at most. */
#define COVERAGE_BATCH 500

/* Called once when the drains asked for are over: ok 1 when every outbox
 * asked for was emptied (up to the bound), 0 when Redis failed on the way. */
typedef void coverage_done(int ok, void *arg);

/* Starts draining the outbox of the event with that id (after a dose is
 * completed there): until it is empty, at most a bounded number of
 * batches.  Nobody waits for the result: a failure is retried by the
 * housekeeping. */
void coverage_drain(const char *event);

/* Housekeeping (about once a second): one batch of every loaded event's
 * outbox, each event not being drained already. */
void coverage_drain_tick(void);

/* Drains every loaded event's outbox until empty (bounded), then done(ok,
 * arg), maybe before this returns (no events, or Redis down).  For reads
 * of the campaign's figures (GET /v1/coverage, the desk's dose status). */
void coverage_drain_all(coverage_done *done, void *arg);

/* Today for coverage, D of the due and overdue counts, as days since
 * 1970-01-01: the calendar day of the first loaded event (by id), by its
 * UTC offset and its clock (event_now: its test clock in antred-test),
 * else of UTC now.  Its YYYYMMDD form into ymd (9 bytes) when not NULL. */
long coverage_today(char *ymd);

/* A person's record (antre:{campaign}:cov:p:PKEY), each day YYYYMMDD or "". */
struct coverage_person {
	char d1[9], d2[9], d3[9];        /* first recorded day of each dose */
	char due2[9];                    /* dose 2 falls due */
};

/* "none", "not_yet_due", "due", "overdue" or "done" for a person on day
 * `today` (days since 1970-01-01), overdue dose-overdue-after-days after
 * the due day (PROTOCOL.md). */
const char *coverage_status(const struct coverage_person *p, long today, int overdue_days);

/* The desk's dose_status object of a person, owned by the caller. */
struct cJSON *coverage_status_json(const struct coverage_person *p, long today,
    int overdue_days);

/* Called once: p NULL when Redis failed; p dies after return. */
typedef void coverage_person_cb(const struct coverage_person *p, void *arg);

/* Drains every outbox (coverage_drain_all), then reads the person of
 * campaign key pkey (NIK_PERSON_LEN hex digits); cb(p or NULL, arg),
 * maybe before this returns. */
void coverage_person_read(const char *pkey, coverage_person_cb *cb, void *arg);

#endif
