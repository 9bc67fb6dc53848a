/*
 * event.h: event definitions, one JSON file per event in events-dir.
 * An event is one site on one day (or a few): its services, priorities,
 * stages with their station counts, opening hours and daily target.
 */
#ifndef ANTRE_EVENT_H
#define ANTRE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol.h"

#define EVENT_MAX_SERVICES 16
#define EVENT_PRIORITIES_MAX 8
#define EVENT_MAX_STATIONS_PER_STAGE 64
#define EVENT_ERR_MAX 256
#define EVENT_STREAM_MAXLEN 10000        /* changes kept for reconnecting displays */

struct event_service {
	char id[PROTO_ID_MAX];
	char prefix[8];                  /* ticket code prefix, "A" */
	char name[PROTO_NAME_MAX];
	int dose;                        /* 1, 2, or 3 (a booster); the file's "dose", 1 if absent */
	int next_after_days;             /* the next dose falls due this many days on, 0 = none */
};

struct event_stage {
	char id[PROTO_ID_MAX];
	char name[PROTO_NAME_MAX];
	int stations;                    /* addressed "ID-1" .. "ID-N" */
	int max_stations;                /* the most desks the site can open here */
	int64_t hold_ms;                 /* timed wait after entering, 0 = none */
};

enum priority_policy { POLICY_STRICT, POLICY_INTERLEAVED };

struct event_def {
	char id[PROTO_ID_MAX];
	char name[PROTO_NAME_MAX];
	char timezone[64];               /* IANA, "Asia/Jakarta" */
	int utc_offset_s;                /* of timezone, refreshed by event_refresh_offset */
	int daily_target;
	int open_min, close_min;         /* event-local minutes after midnight */
	int nservices;
	struct event_service services[EVENT_MAX_SERVICES];
	int npriorities;                 /* highest precedence first; last is default */
	char priorities[EVENT_PRIORITIES_MAX][PROTO_ID_MAX];
	char priority_names[EVENT_PRIORITIES_MAX][PROTO_NAME_MAX];   /* for people: "Lansia" */
	int nstages;
	struct event_stage stages[PROTO_MAX_STAGES];
	enum priority_policy policy;
	int interleave_every;            /* POLICY_INTERLEAVED: one priority after N regular */
	int dose_stage;                  /* completing this stage is a dose given */
	char script_ctx[3072];           /* the event as the Lua scripts read it */
};

struct event_set {
	int n;
	struct event_def *events;        /* owned, n entries, sorted by id */
};

/*
 * Parses one event file's text.  0, or -1 with the reason in err
 * (EVENT_ERR_MAX bytes), naming the field that is wrong.
 */
int event_parse(const char *json, size_t len, struct event_def *ev, char *err);

/* Loads every *.json in dir into *set (empty on entry).  0, or -1 with
 * "file: why" in err; *set is then left empty. */
int event_load_dir(const char *dir, struct event_set *set, char *err);
void event_set_free(struct event_set *set);

const struct event_def *event_find(const struct event_set *set, const char *id);
/* Index of the service / stage / priority with that id, or -1. */
int event_service_index(const struct event_def *ev, const char *id);
int event_stage_index(const struct event_def *ev, const char *id);
int event_priority_index(const struct event_def *ev, const char *id);

/* What people read for a priority (on paper): the event's name for it
 * (its file's "name", else the usual Indonesian one of a well-known id:
 * regular "Umum", elderly "Lansia", disabled "Disabilitas", ...), and for an
 * id the event does not list, that usual name or else the id itself. */
const char *event_priority_name(const struct event_def *ev, const char *id);

/* "STAGE-N" into stage index and N; 0, or -1 when no such station. */
int event_station_parse(const struct event_def *ev, const char *station,
    int *stage, int *number);

/* The UTC offset of an IANA zone at time t; 0 or -1 for an unknown zone. */
int event_tz_offset(const char *tz, time_t t, int *offset_s);

struct redis_addr;

/* antred-test only: contexts built from now on tell the scripts to read
 * the test clock, and event_now reads it from the Redis at `redis`. */
void event_set_test_clock(int on, const struct redis_addr *redis);

/* Now, for the calendar logic done in C (a NIK's age today): the real
 * clock; in antred-test with test-clock on, the event's key test:clock
 * when it is set, the very clock its scripts read. */
time_t event_now(const struct event_def *ev);

/* Whether scripts are told to read the test clock (event_set_test_clock). */
bool event_test_clock(void);

/* Contexts built from now on tell the scripts to keep a ticket this many
 * days (config retention-days; 30 until set). */
void event_set_retention_days(int days);

/* Rebuilds ev->script_ctx (after its UTC offset changed). */
void event_build_script_ctx(struct event_def *ev);

/* True when s is a valid id: 1..32 of [a-z0-9_-], starting with a letter or digit. */
int event_id_valid(const char *s);

#endif
