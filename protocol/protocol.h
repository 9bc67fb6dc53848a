/*
 * protocol.h: the antre v1 wire types and their JSON codecs.
 *
 * Shared by the daemon (which encodes) and the clients (which decode).
 * Every type has an encode/decode pair over cJSON.  Encoders return a new
 * cJSON object owned by the caller (NULL only when out of memory).
 * Decoders fill a caller-provided struct and return 0, or -1 with a short
 * reason in `err` (at least PROTO_ERR_MAX bytes); unknown fields are
 * ignored, wrong types and out-of-range values are errors.
 *
 * Times travel as RFC 3339 strings with the event's UTC offset
 * ("2026-11-23T08:15:02+07:00"); inside C they are milliseconds since the
 * Unix epoch, 0 meaning "not set".
 */
#ifndef ANTRE_PROTOCOL_H
#define ANTRE_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

#define ANTRE_PROTOCOL_VERSION 1

#define PROTO_ERR_MAX 128
#define PROTO_ID_MAX 40      /* ids of events, services, stages, priorities */
#define PROTO_TICKET_ID_MAX 40
#define PROTO_CODE_MAX 16    /* "A-017" */
#define PROTO_STATION_MAX 48 /* "vaccination-3" */
#define PROTO_AREA_MAX 64
#define PROTO_NAME_MAX 96
#define PROTO_MAX_STAGES 8
#define PROTO_MAX_STATIONS 128 /* over all stages of one event */
#define PROTO_MAX_CALLS 10    /* last calls on a board */
#define PROTO_MAX_HOLDS 50    /* people in a timed wait on a board */
#define PROTO_MAX_SERVICES 16
#define PROTO_MAX_PRIORITIES 8
#define PROTO_MAX_QUARTERS 96 /* quarter hours of a day */
#define PROTO_MAX_AREAS 100000 /* areas in one day's figures */
#define PROTO_ADVICE_MAX 384

enum ticket_state {
	TICKET_WAITING,
	TICKET_CALLED,
	TICKET_SERVING,
	TICKET_SKIPPED,
	TICKET_DONE,
	TICKET_DEFERRED,
	TICKET_REFUSED,
	TICKET_CANCELLED,
	TICKET_EXPIRED,   /* left unfinished when its event day ended */
	TICKET_STATE_COUNT
};

/* "waiting", "called", ...; NULL for an out-of-range value. */
const char *proto_ticket_state_name(enum ticket_state s);
/* 0 and *out set, or -1 for an unknown name. */
int proto_ticket_state_parse(const char *name, enum ticket_state *out);

/* One stage a ticket has passed through or is at: the time of each transition. */
struct ticket_visit {
	char stage[PROTO_ID_MAX];
	char station[PROTO_STATION_MAX]; /* "" until called */
	int64_t queued_at;               /* entered the stage's queue */
	int64_t called_at;
	int64_t started_at;
	int64_t completed_at;
	char outcome[16];                /* "", "done", "deferred", "refused", "transferred" */
};

struct ticket {
	char id[PROTO_TICKET_ID_MAX];
	char code[PROTO_CODE_MAX];
	char service[PROTO_ID_MAX];
	char priority[PROTO_ID_MAX];
	char area[PROTO_AREA_MAX];       /* "" = none */
	enum ticket_state state;
	char stage[PROTO_ID_MAX];        /* current (or last) stage */
	char station[PROTO_STATION_MAX]; /* holding station, "" when none */
	int64_t issued_at;
	int64_t hold_until;              /* observation end, 0 = none */
	int position;                    /* ahead of it at its stage; -1 = n/a */
	int eta_s;                       /* estimated wait; -1 = unknown (null) */
	int eta_range_s[2];              /* its range [low, high]; -1 = unknown (null) */
	int leave_eta_s;                 /* estimated time until it may leave; -1 = unknown */
	int recalls;
	int nvisits;
	struct ticket_visit visits[PROTO_MAX_STAGES * 2];
};

enum station_state { STATION_OPEN, STATION_PAUSED };

struct station {
	char id[PROTO_STATION_MAX];      /* "STAGE-N" */
	char stage[PROTO_ID_MAX];
	int number;                      /* N, from 1 */
	enum station_state state;
	char ticket_id[PROTO_TICKET_ID_MAX]; /* held ticket, "" when none */
	char ticket_code[PROTO_CODE_MAX];
	char ticket_state[16];           /* "called" or "serving"; "" when not known */
};

/* A call as announced: code, where to go, and whether it is a recall. */
struct call {
	char ticket_id[PROTO_TICKET_ID_MAX];
	char code[PROTO_CODE_MAX];
	char station[PROTO_STATION_MAX];
	char stage[PROTO_ID_MAX];
	int station_number;
	bool recall;
	int64_t at;
};

struct board_stage {
	char id[PROTO_ID_MAX];
	char name[PROTO_NAME_MAX];
	int waiting;
	int eta_s;                       /* -1 = unknown */
	int eta_range_s[2];              /* [low, high] as a ticket's; -1s = unknown */
};

/* Someone in a timed wait (observation) and when they may leave. */
struct board_hold {
	char ticket_id[PROTO_TICKET_ID_MAX];
	char code[PROTO_CODE_MAX];
	char stage[PROTO_ID_MAX];
	int64_t until;
};

/* The waiting-room snapshot. */
struct board {
	char event[PROTO_ID_MAX];
	int64_t at;
	int nstages;
	struct board_stage stages[PROTO_MAX_STAGES];
	int nstations;
	struct station stations[PROTO_MAX_STATIONS];
	int ncalls;
	struct call calls[PROTO_MAX_CALLS]; /* newest first */
	int nholds;
	struct board_hold holds[PROTO_MAX_HOLDS]; /* soonest first */
	int issued_today;
	int doses_today;
	int target;
};

/*
 * What changed on the board from one snapshot to the next (the stream's
 * `delta` event, PROTOCOL.md): the stages and stations whose figures
 * changed, whole; the calls that are new, newest first; the holds that are
 * new and the tickets that left them; the counts when they changed (-1:
 * the same).  A board with the delta applied (proto_board_apply) is the
 * newer board, `at` aside.
 */
struct board_delta {
	int64_t at;
	int nstages;
	struct board_stage stages[PROTO_MAX_STAGES];
	int nstations;
	struct station stations[PROTO_MAX_STATIONS];
	int ncalls;
	struct call calls[PROTO_MAX_CALLS];  /* newest first */
	int nholds;
	struct board_hold holds[PROTO_MAX_HOLDS];
	int ngone;
	char gone[PROTO_MAX_HOLDS][PROTO_TICKET_ID_MAX]; /* left the holds */
	int issued_today, doses_today, target; /* -1: unchanged */
};

/* ---- the organisers' figures (GET /v1/events/{ev}/stats) ---------------
 * Whole numbers are long long; -1 in a field said to be nullable stands for
 * null (no data yet), as 0 does for a time and "" for a string. */

/* The wait histogram's buckets: their upper bounds in minutes, the last
 * bucket open-ended.  The one place they are written: the scripts get them
 * in the event's context (event.c), the figures and /metrics from here. */
#define PROTO_WAIT_BUCKETS 13
extern const int proto_wait_bucket_max_min[PROTO_WAIT_BUCKETS - 1];

struct stats_kind {                  /* by_service / by_priority */
	char id[PROTO_ID_MAX];
	long long issued, doses;
};

struct stats_today {
	long long doses, issued, waiting, deferred, refused, no_show;
	long long expired;               /* left unfinished when the day ended */
	int nservices;
	struct stats_kind by_service[PROTO_MAX_SERVICES];
	int npriorities;
	struct stats_kind by_priority[PROTO_MAX_PRIORITIES];
};

struct stats_forecast {
	long long rate_per_hour_30, rate_per_hour_60;
	double rate_per_hour;            /* one decimal */
	double hours_left;               /* two decimals */
	long long expected_at_close, margin;
	bool reached;
	int64_t target_at;               /* 0 = null */
	long long low, high;             /* the range around expected_at_close */
	long long in_building;           /* before the dose, waiting or served now */
	long long arrivals_expected;     /* at the first stage, from now to close */
	long long capacity_to_close;     /* nullable: doses the dose desks can give */
};

struct stats_throughput {
	long long last_15, last_60;      /* per hour */
};

/* What a station and a stage have alike. */
struct stats_work {
	long long served, calls;
	long long avg_wait_s, avg_service_s; /* nullable */
	struct stats_throughput throughput;
	long long deferred, refused, no_show;
};

struct stats_station {
	int stage;                       /* index in stats.stages */
	char id[PROTO_STATION_MAX];
	enum station_state state;
	struct stats_work work;
	int64_t last_call_at;            /* 0 = null */
};

struct stats_stage {
	char id[PROTO_ID_MAX];
	char name[PROTO_NAME_MAX];
	long long waiting;
	long long expired;               /* left unfinished when the day ended */
	struct stats_work work;
	long long p50_wait_s, p90_wait_s; /* nullable */
	long long arrivals_per_hour;
	long long stations_open;
	double capacity_per_hour;        /* nullable; one decimal */
	long long chairs_needed;         /* nullable: a timed wait's chairs */
};

struct stats_bottleneck {
	bool set;                        /* false: null */
	char stage[PROTO_ID_MAX];
	double capacity_per_hour;
	long long arrivals_per_hour;
	double per_station_per_hour;
	long long extra_stations;
	long long max_stations;
	long long unserved_at_close;
	char move_station[PROTO_STATION_MAX]; /* "" = null: a desk to move here */
	char recommendation[PROTO_ADVICE_MAX];
};

struct stats_idle {
	char station[PROTO_STATION_MAX];
	char stage[PROTO_ID_MAX];
	long long idle_s;                /* nullable: never called */
	long long waiting;
};

struct stats_area {
	char area[PROTO_AREA_MAX];       /* "" = null (none given) */
	long long doses;
};

struct stats_quarter {
	int64_t start;
	long long doses;
};

/* One event's figures of one day.  areas is allocated (by the decoder or
 * whoever fills it): release with proto_stats_free. */
struct stats {
	char event[PROTO_ID_MAX];
	int64_t at;                      /* 0 = null */
	char day[16];                    /* "YYYY-MM-DD" */
	struct stats_today today;
	long long target;
	struct stats_forecast forecast;
	int nstages;
	struct stats_stage stages[PROTO_MAX_STAGES];
	int nstations;                   /* over all stages, grouped by stage */
	struct stats_station stations[PROTO_MAX_STATIONS];
	struct stats_bottleneck bottleneck;
	int nidle;
	struct stats_idle idle[PROTO_MAX_STATIONS];
	int nareas;
	struct stats_area *areas;        /* most doses first */
	int nseries;
	struct stats_quarter series[PROTO_MAX_QUARTERS];
};

/* ---- the planner (GET /v1/events/{ev}/plan) ------------------------------
 * Integers are long long, -1 for null; PROTOCOL.md shows the answer. */
#define PROTO_PLAN_MAX_HOURS 24
#define PROTO_PLAN_SUMMARY_MAX 2048

struct plan_stage {
	char id[PROTO_ID_MAX];
	char name[PROTO_NAME_MAX];
	long long service_s;             /* desk stage; -1 at a timed wait */
	char service_source[16];         /* "given", "measured", "default"; "" */
	long long hold_minutes;          /* timed wait; -1 at a desk stage */
	long long stations, max_stations;/* desk stage; -1 at a timed wait */
	double utilisation;              /* at the busiest quarter hour; -1 */
	long long p90_wait_s;            /* the worst quarter hour's; -1 */
	long long chairs;                /* timed wait; -1 at a desk stage */
};

struct plan_curve {
	char source[16];                 /* "given", "earlier_days", "typical" */
	int nhours;
	long long per_hour[PROTO_PLAN_MAX_HOURS]; /* people, from opening */
};

struct plan {
	char event[PROTO_ID_MAX];
	long long target, max_wait_min;
	char open[16], close[16];        /* "HH:MM" */
	double no_show_pct;
	char no_show_source[16];         /* "given", "measured", "default" */
	long long people;
	struct plan_curve curve;
	long long peak_per_hour;
	int nstages;
	struct plan_stage stages[PROTO_MAX_STAGES];
	bool feasible;
	long long doses_possible;        /* by close, with at most max_stations */
	char summary[PROTO_PLAN_SUMMARY_MAX];
};

struct proto_error {
	char code[48];
	char message[160];
};

/* Time helpers: RFC 3339 with the given UTC offset in seconds. */
/* Writes at most `size` bytes (32 is always enough); returns buf. */
char *proto_time_format(int64_t ms, int utc_offset_s, char *buf, size_t size);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)"; 0 or -1. */
int proto_time_parse(const char *s, int64_t *ms);

struct cJSON *proto_ticket_encode(const struct ticket *t, int utc_offset_s);
int proto_ticket_decode(const struct cJSON *j, struct ticket *t, char *err);

struct cJSON *proto_station_encode(const struct station *s);
int proto_station_decode(const struct cJSON *j, struct station *s, char *err);

struct cJSON *proto_call_encode(const struct call *c, int utc_offset_s);
int proto_call_decode(const struct cJSON *j, struct call *c, char *err);

struct cJSON *proto_board_encode(const struct board *b, int utc_offset_s);
int proto_board_decode(const struct cJSON *j, struct board *b, char *err);

/* The delta's codec (protocol/proto_board.c); decoding checks each entry
 * as the board's decoder does. */
struct cJSON *proto_board_delta_encode(const struct board_delta *d, int utc_offset_s);
int proto_board_delta_decode(const struct cJSON *j, struct board_delta *d, char *err);
/* The changes from board a to board b into d (protocol/proto_board_delta.c):
 * 1 when something changed, 0 when nothing did (`at` aside), -1 when b
 * cannot be told as changes of a (other stages or stations, or calls that
 * are not a's with new ones in front, as when a new day clears them): send
 * b whole. */
int proto_board_diff(const struct board *a, const struct board *b, struct board_delta *d);
/* Applies a delta to a board kept by a client: stages and stations
 * replaced by id, new calls and holds merged in their order (newest call
 * first, soonest hold first), the lists cut to the board's maximum. */
void proto_board_apply(struct board *b, const struct board_delta *d);
/* A call event into a kept board: first among its calls, unless it is
 * there already (the same ticket, station, time and recall); 1 when added. */
int proto_board_add_call(struct board *b, const struct call *c);
/* A station event into a kept board: that station replaced; 1 when the
 * board has it. */
int proto_board_set_station(struct board *b, const struct station *s);

/* The stats decoder allocates s->areas (NULL when there are none); after
 * a failed decode nothing is left to free.  proto_stats_free frees it and
 * may be called on a zeroed struct. */
struct cJSON *proto_stats_encode(const struct stats *s, int utc_offset_s);
int proto_stats_decode(const struct cJSON *j, struct stats *s, char *err);
void proto_stats_free(struct stats *s);

/* The plan's codec (protocol/proto_plan.c); nothing allocated. */
struct cJSON *proto_plan_encode(const struct plan *p);
int proto_plan_decode(const struct cJSON *j, struct plan *p, char *err);

/* {"error":{"code":..,"message":..}} */
struct cJSON *proto_error_encode(const char *code, const char *message);
int proto_error_decode(const struct cJSON *j, struct proto_error *e, char *err);

/* j as compact JSON text, the same bytes as cJSON_PrintUnformatted(j) but
 * faster (protocol/proto_print.c); malloc'd, its length in *len (may be
 * NULL); NULL when out of memory or when cJSON could not print j either. */
char *proto_json_print(const struct cJSON *j, size_t *len);

/*
 * JSON text written directly, for the hot replies that skip the cJSON tree
 * (an issued ticket): start from a zeroed struct, add, then proto_text_end
 * gives the malloc'd text (NUL-terminated, its length in *len, may be
 * NULL), or NULL when an allocation failed on the way (nothing to free).
 * Strings and numbers come out as proto_json_print prints them.
 */
struct proto_text {
	char *buf;
	size_t len, size;
	int failed;
};
void proto_text_add(struct proto_text *t, const char *s, size_t n);   /* as it is */
void proto_text_str(struct proto_text *t, const char *s);   /* a JSON string; NULL: "" */
void proto_text_num(struct proto_text *t, double v);
char *proto_text_end(struct proto_text *t, size_t *len);

/* The members of proto_ticket_encode's object, in its order, as text
 * without the braces; without priority, area and visits unless full.
 * Byte for byte proto_json_print(proto_ticket_encode(t)) (less those
 * three), which test_protocol checks. */
void proto_ticket_text(struct proto_text *out, const struct ticket *t, int utc_offset_s,
    bool full);

#endif
