/*
 * stats_plan.h: the planner for the day before (GET /v1/events/{ev}/plan,
 * `antre plan`): given the doses wanted, the hours, each stage's service
 * time and the day's arrival curve, the fewest desks per stage that keep
 * the waits within a bound, and the chairs of a timed wait.  Pure: no
 * Redis, no event; PROTOCOL.md ("GET /v1/events/{ev}/plan") documents the
 * model.
 */
#ifndef ANTRE_STATS_PLAN_H
#define ANTRE_STATS_PLAN_H

#include "protocol.h"

#define PLAN_SLOT_MIN 15             /* the model's step: a quarter hour */
#define PLAN_MAX_DESKS 1000          /* desks searched at one stage at most */
#define PLAN_MAX_HOURS 24
#define PLAN_HORIZON_S 3600.0        /* a queue's memory: see stats_plan.c */

struct plan_stage_in {
	double service_s;            /* desk stage: mean service, s; 0: timed wait */
	int hold_min;                /* timed wait: minutes; 0 at a desk stage */
	int max_stations;            /* the site's limit */
};

struct plan_in {
	int open_min, close_min;     /* minutes after midnight, open < close */
	int target;                  /* doses wanted, >= 1 */
	double max_wait_s;           /* the p90 wait allowed at each desk stage */
	double no_show;              /* share who do not come when called, 0 .. 0.5 */
	int nhours;                  /* ceil((close - open) / 60) */
	double curve[PLAN_MAX_HOURS];/* relative arrivals per hour from opening */
	int nstages;
	struct plan_stage_in st[PROTO_MAX_STAGES];
	int dose_stage;              /* completing it is a dose */
};

struct plan_stage_out {
	int stations;                /* desks; -1 at a timed wait */
	double utilisation;          /* at the busiest quarter hour; -1 timed */
	double p90_wait_s;           /* the worst quarter hour's; -1 timed */
	long long chairs;            /* timed wait; -1 at a desk stage */
};

struct plan_out {
	long long people;            /* arrivals needed for target doses */
	long long per_hour[PLAN_MAX_HOURS]; /* people per hour, summing to people */
	long long peak_per_hour;
	struct plan_stage_out st[PROTO_MAX_STAGES];
	int feasible;                /* every stage within its max_stations */
	int short_stage;             /* the first stage beyond it, -1 none */
	long long doses_possible;    /* by close, with at most max_stations each */
};

/* Erlang C: the chance that an arrival waits, c desks offered a Erlangs
 * (a = arrival rate x service time); 1 when a >= c. */
double plan_erlang_c(int c, double a);

/* The people who must come for target doses when a share no_show of them
 * do not come when called. */
long long plan_people(int target, double no_show);

/* Fills *out (zeroed here) from *in, which must be within the bounds above
 * (the route checks them).  Bounded: at most PLAN_MAX_DESKS desks at a
 * stage, found by bisection; a stage needing more reports that many and
 * the plan infeasible. */
void plan_solve(const struct plan_in *in, struct plan_out *out);

#endif
