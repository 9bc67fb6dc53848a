/*
 * stats_plan.c: the planner's queue model (stats_plan.h).
 *
 * The day is cut into quarter hours from opening.  The people come along
 * the curve (each hour's share spread evenly within it); each stage sees
 * what the stage before it let through (the first stage's no-shows go no
 * further).  At a desk stage with c desks, in each quarter hour:
 *
 *   backlog    a fluid queue carried from quarter to quarter: what came
 *              and was not served for want of capacity c/s (the part of
 *              the wait a peak above capacity builds);
 *   the noise  the queue that randomness builds on top: the stationary
 *              Erlang C 90th percentile at the quarter's rate, but never
 *              more than what a queue at that load builds within an hour
 *              (1.645 sd of a reflected random walk over PLAN_HORIZON_S:
 *              the p90 of |N(0, (lambda + c mu) H)| in people, over c mu).
 *
 * Stationary Erlang C alone would staff every short peak as if it lasted
 * for ever (and cannot speak of a quarter above capacity at all); the
 * fluid backlog alone would ignore randomness (a desk at 99% never waits).
 * The hybrid's p90 (backlog wait + noise) falls with every desk added and
 * rises with the rate and the service time, so the fewest desks are found
 * by bisection and are monotonic in the target, the service time and the
 * wait allowed.  Desks must also leave no backlog at close.  Service times
 * are taken as exponential (as varied as they come): desks whose times
 * vary less wait less than planned.
 *
 * A timed wait needs chairs for everyone in it: the most arrivals within
 * any hold window (minute by minute), plus a Poisson margin of 2.326 sd
 * (99% of the time enough).
 */
#include "stats_plan.h"

#include <math.h>
#include <string.h>

#define PLAN_MAX_SLOTS (24 * 60 / PLAN_SLOT_MIN)
#define Z90 1.645                    /* the standard normal's 90th percentile */
#define Z99 2.326

/* Arrivals at one stage, by quarter hour. */
struct plan_flow {
	int n;
	double len_s[PLAN_MAX_SLOTS];
	double arr[PLAN_MAX_SLOTS];
};

/* One desk stage played with c desks. */
struct plan_run {
	double p90_s;                /* the worst quarter's */
	double util;                 /* at the busiest quarter */
	double backlog_end;          /* people still waiting at close */
	double served;               /* over the day */
	struct plan_flow out;        /* what it lets through, by quarter */
};

double plan_erlang_c(int c, double a)
{
	double b = 1;

	if (c <= 0 || a >= c)
		return 1;
	if (a <= 0)
		return 0;
	for (int k = 1; k <= c; k++)     /* Erlang B, the stable recursion */
		b = a * b / (k + a * b);
	return c * b / (c - a * (1 - b));
}

long long plan_people(int target, double no_show)
{
	return (long long)ceil((double)target / (1 - no_show) - 1e-9);
}

/* The p90 wait (s) of one quarter: the backlog ahead cleared at c/s, plus
 * the noise (see the top). */
static double slot_p90(int c, double lam, double s, double backlog)
{
	double cap = c / s;
	double noise = Z90 * sqrt((lam + cap) * PLAN_HORIZON_S) / cap;

	if (lam < cap) {
		double pw = plan_erlang_c(c, lam * s);
		double erl = pw > 0.1 ? log(10 * pw) / (cap - lam) : 0;
		noise = erl < noise ? erl : noise;
	}
	return backlog / cap + noise;
}

static void run_desks(const struct plan_flow *f, int c, double s, struct plan_run *r)
{
	double b = 0, peak = -1;

	memset(r, 0, sizeof *r);
	r->out.n = f->n;
	for (int i = 0; i < f->n; i++) {
		double lam = f->arr[i] / f->len_s[i], cap = c * f->len_s[i] / s;
		double in = b + f->arr[i], served = in < cap ? in : cap;
		double p90 = slot_p90(c, lam, s, in - served > b ? in - served : b);

		r->p90_s = p90 > r->p90_s ? p90 : r->p90_s;
		if (lam > peak) {
			peak = lam;
			r->util = lam * s / c;
		}
		b = in - served;
		r->served += served;
		r->out.len_s[i] = f->len_s[i];
		r->out.arr[i] = served;
	}
	r->backlog_end = b;
}

static int desks_enough(const struct plan_flow *f, int c, double s, double max_wait_s,
    struct plan_run *r)
{
	run_desks(f, c, s, r);
	return r->p90_s <= max_wait_s && r->backlog_end <= 0.5;
}

/* The fewest desks (bisection over 1 .. PLAN_MAX_DESKS: enough at c means
 * enough at c + 1); PLAN_MAX_DESKS when even that is not enough.  *r holds
 * the run at the answer. */
static int desks_fewest(const struct plan_flow *f, double s, double max_wait_s,
    struct plan_run *r)
{
	int lo = 1, hi = PLAN_MAX_DESKS;

	if (!desks_enough(f, hi, s, max_wait_s, r))
		return hi;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (desks_enough(f, mid, s, max_wait_s, r))
			hi = mid;
		else
			lo = mid + 1;
	}
	desks_enough(f, lo, s, max_wait_s, r);
	return lo;
}

/* The most people in a hold of h minutes at once, 99% of the time. */
static long long chairs_needed(const struct plan_flow *f, int h)
{
	double per_min[24 * 60], in = 0, peak = 0;
	int n = 0;

	for (int i = 0; i < f->n; i++) {
		int len = (int)lround(f->len_s[i] / 60);
		for (int m = 0; m < len && n < 24 * 60; m++)
			per_min[n++] = f->arr[i] / len;
	}
	for (int m = 0; m < n; m++) {
		in += per_min[m] - (m >= h ? per_min[m - h] : 0);
		peak = in > peak ? in : peak;
	}
	return peak > 1e-9 ? (long long)ceil(peak + Z99 * sqrt(peak) - 1e-9) : 0;
}

/* The first stage's arrivals: each hour's people spread evenly over its
 * open minutes.  Fills out->people and per_hour too. */
static void plan_arrivals(const struct plan_in *in, struct plan_out *out,
    struct plan_flow *f)
{
	int len = in->close_min - in->open_min;
	double sum = 0, rem[PLAN_MAX_HOURS];
	long long given = 0;

	out->people = plan_people(in->target, in->no_show);
	for (int h = 0; h < in->nhours; h++)
		sum += in->curve[h];
	f->n = (len + PLAN_SLOT_MIN - 1) / PLAN_SLOT_MIN;
	for (int i = 0; i < f->n; i++) {
		int start = i * PLAN_SLOT_MIN, h = start / 60;
		int slot = len - start < PLAN_SLOT_MIN ? len - start : PLAN_SLOT_MIN;
		int hour = len - h * 60 < 60 ? len - h * 60 : 60;
		f->len_s[i] = slot * 60.0;
		f->arr[i] = (double)out->people * in->curve[h] / sum * slot / hour;
	}
	/* whole people per hour, by largest remainder, summing to people */
	for (int h = 0; h < in->nhours; h++) {
		double x = (double)out->people * in->curve[h] / sum;
		out->per_hour[h] = (long long)floor(x);
		rem[h] = x - floor(x);
		given += out->per_hour[h];
	}
	for (; given < out->people; given++) {
		int best = 0;
		for (int h = 1; h < in->nhours; h++)
			best = rem[h] > rem[best] ? h : best;
		out->per_hour[best]++;
		rem[best] = -1;
	}
	for (int h = 0; h < in->nhours; h++)
		out->peak_per_hour = out->per_hour[h] > out->peak_per_hour ?
		    out->per_hour[h] : out->peak_per_hour;
}

/* Plays the stages in order with desks[k] (0: find the fewest, written
 * back) and returns the doses by close; fills out->st. */
static double plan_chain(const struct plan_in *in, const struct plan_flow *first,
    int desks[PROTO_MAX_STAGES], struct plan_out *out)
{
	struct plan_flow f;
	struct plan_run r;
	double doses = 0;

	f = *first;
	for (int k = 0; k < in->nstages; k++) {
		const struct plan_stage_in *st = &in->st[k];
		struct plan_stage_out *o = &out->st[k];
		if (st->service_s <= 0) {
			*o = (struct plan_stage_out){ -1, -1, -1, chairs_needed(&f, st->hold_min) };
			if (k == in->dose_stage)
				for (int i = 0; i < f.n; i++)
					doses += f.arr[i];
		} else {
			if (desks[k] == 0)
				desks[k] = desks_fewest(&f, st->service_s, in->max_wait_s, &r);
			else
				run_desks(&f, desks[k], st->service_s, &r);
			*o = (struct plan_stage_out){ desks[k], r.util, r.p90_s, -1 };
			doses = k == in->dose_stage ? r.served : doses;
			f = r.out;
		}
		for (int i = 0; k == 0 && i < f.n; i++)
			f.arr[i] *= 1 - in->no_show;   /* no-shows go no further */
	}
	return doses;
}

void plan_solve(const struct plan_in *in, struct plan_out *out)
{
	struct plan_flow first;
	struct plan_out capped;
	int desks[PROTO_MAX_STAGES] = { 0 };

	memset(out, 0, sizeof *out);
	plan_arrivals(in, out, &first);
	plan_chain(in, &first, desks, out);
	out->feasible = 1;
	out->short_stage = -1;
	for (int k = 0; k < in->nstages; k++)
		if (desks[k] > in->st[k].max_stations || desks[k] >= PLAN_MAX_DESKS) {
			if (out->feasible)
				out->short_stage = k;
			out->feasible = 0;
			desks[k] = in->st[k].max_stations > 0 ? in->st[k].max_stations : 1;
		}
	capped = *out;
	out->doses_possible = llround(plan_chain(in, &first, desks, &capped));
	if (out->doses_possible > in->target)
		out->doses_possible = in->target;
}
