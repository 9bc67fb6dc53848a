/*
 * stats_model.c: the models behind the forecast and the advice (stats.h):
 * who is still in the building before the dose, the arrivals still expected
 * until close (scaled from this day's arrivals along the shape of the
 * earlier days, or of a typical day), a desk's robust service rate, and the
 * forecast of the day's doses with its range.  PROTOCOL.md ("Forecast")
 * documents each model and its inputs.
 */
#include "stats.h"

#include <math.h>

/* Hours from now (or opening, before it) to closing, 0 after it. */
double stats_hours_left(const struct event_def *ev, const struct stats_counters *c)
{
	double h = (double)(ev->close_min - (c->minute > ev->open_min ? c->minute :
	    ev->open_min)) / 60.0;

	return h < 0 ? 0 : h;
}

/* The share of those at stage `from` who reach the dose: the product, over
 * the desk stages from there up to it, of the completions among those the
 * desks dealt with (refused and no-shows do not go on); 1 while there is
 * nothing to count. */
double stats_pass(const struct event_def *ev, const struct stats_counters *c, int from)
{
	double p = 1;

	for (int i = from; i <= ev->dose_stage && i < ev->nstages; i++) {
		const struct stats_work_counts *w = &c->sg[i].w;
		long long dealt = w->done + w->refused + w->no_show;
		if (ev->stages[i].hold_ms == 0 && dealt > 0)
			p *= (double)w->done / (double)dealt;
	}
	return p;
}

/* Those in the building who will get the dose: each one before it
 * (waiting, or served now) times the share that passes from there. */
static double building_doses(const struct event_def *ev, const struct stats_counters *c)
{
	double n = 0;

	for (int i = 0; i <= ev->dose_stage && i < ev->nstages; i++)
		n += (double)c->sg[i].waiting * stats_pass(ev, c, i);
	for (int i = 0; i < c->nstations; i++)
		if (c->st[i].holding && c->st[i].stage <= ev->dose_stage)
			n += stats_pass(ev, c, c->st[i].stage);
	return n;
}

/* The people before the dose: waiting at, or served now at, the stages up
 * to and including the dose stage. */
long long stats_in_building(const struct event_def *ev, const struct stats_counters *c)
{
	long long n = 0;

	for (int i = 0; i <= ev->dose_stage && i < ev->nstages; i++)
		n += c->sg[i].waiting;
	for (int i = 0; i < c->nstations; i++)
		n += c->st[i].holding && c->st[i].stage <= ev->dose_stage;
	return n;
}

/* What one desk of stage si completes in an hour: 3,600 s over the day's
 * mean service time there (robust: a lull or a queue does not change it),
 * else the last hour's completions per active desk; -1 with neither. */
double stats_desk_rate(const struct stats_counters *c, int si)
{
	const struct stats_stage_counts *sg = &c->sg[si];

	if (sg->w.serv_n > 0 && sg->w.serv_ms > 0)
		return 3600000.0 * (double)sg->w.serv_n / (double)sg->w.serv_ms;
	return sg->active > 0 ? (double)sg->w.done60 / sg->active : -1;
}

/* A typical day's arrivals, cumulated to the share x of the hours open:
 * 0.7 of the peak at opening, the peak at a fifth of the day, half of it
 * at midday, none at close (straight lines between).  S(1) = 0.52. */
static double typical_cum(double x)
{
	if (x <= 0.2)
		return 0.7 * x + 0.75 * x * x;
	if (x <= 0.5)
		return 0.17 + (x - 0.2) - (x - 0.2) * (x - 0.2) / 1.2;
	return 0.395 + 0.5 * (x - 0.5) - (x - 0.5) * (x - 0.5) / 2;
}

/* The earlier days' arrivals up to minute m of the day (by hour, linear
 * within the hour). */
static double prev_cum(const struct stats_counters *c, int m)
{
	double s = 0;

	for (int h = 0; h < 24 && h * 60 < m; h++)
		s += (double)c->prev[h] * (m >= (h + 1) * 60 ? 1.0 : (m - h * 60) / 60.0);
	return s;
}

/* The minutes of the day's lulls so far: runs of LULL_MINUTES or more with
 * no arrival at the first stage that would have held LULL_MISSED people or
 * more at the day's rate (a quiet event's gaps are no lull), from the
 * first arrival of the opening hours to now, the run still going included. */
#define LULL_MINUTES 15
#define LULL_MISSED 10
static int lull_minutes(const struct event_def *ev, const struct stats_counters *c)
{
	int first = ev->open_min, end = c->minute < 24 * 60 ? c->minute : 24 * 60;
	int total = 0, run = 0;
	long long n = 0;
	double per_min;

	while (first < end && c->first_arrivals[first] == 0)
		first++;                     /* before the first arrival: not a lull */
	for (int m = first; m < end; m++)
		n += c->first_arrivals[m];
	per_min = end > first ? (double)n / (end - first) : 0;
	for (int m = first; m <= end; m++) {
		if (m < end && c->first_arrivals[m] == 0) {
			run++;
			continue;
		}
		if (run >= LULL_MINUTES && run * per_min >= LULL_MISSED)
			total += run;
		run = 0;
	}
	return total;
}

/* The share of a day's arrivals still to come after now, over the share
 * come so far: from the earlier days when they had arrivals by now, else
 * from the typical day.  A lull is no time of the day's shape: those it
 * kept away come later (the shape's now is now less the lulls).  The first
 * tenth of the hours counts as a tenth: a few early arrivals do not make a
 * day. */
static double still_to_come(const struct event_def *ev, const struct stats_counters *c,
    int *from_prev)
{
	int len = ev->close_min - ev->open_min, shape = c->minute - lull_minutes(ev, c);
	int now = shape > ev->open_min + len / 10 ? shape : ev->open_min + len / 10;
	double before = prev_cum(c, now), total = prev_cum(c, ev->close_min);
	double x = len > 0 ? (double)(now - ev->open_min) / len : 1;

	*from_prev = c->prev_days > 0 && before > 0;
	if (now >= ev->close_min || c->minute >= ev->close_min)
		return 0;
	if (*from_prev)
		return (total - before) / before;
	return (typical_cum(1) - typical_cum(x)) / typical_cum(x);
}

/* The first stage's arrivals an hour now: of the last hour, or of the time
 * open when less. */
static double arrival_rate(const struct event_def *ev, const struct stats_counters *c)
{
	int since_open = c->minute - ev->open_min;

	if (since_open >= 60 || since_open <= 0)
		return (double)c->sg[0].arrivals60;
	return (double)c->sg[0].arrivals60 * 60.0 / since_open;
}

/* Arrivals expected at the first stage from now to close, and their
 * standard deviation (Poisson, plus the shape's own uncertainty).  Two
 * guesses blended by the share of the day seen, x: the day's shape scaled
 * to this day's arrivals so far (weight 1 - x), and this day's rate of the
 * last hour falling in a line to none at close (weight x; x / 2 when the
 * shape is the earlier days' own). */
double stats_arrivals_expected(const struct event_def *ev, const struct stats_counters *c,
    double *sd)
{
	long long so_far = 0;
	int from_prev, len = ev->close_min - ev->open_min;
	double ratio = still_to_come(ev, c, &from_prev), e, w;
	double hours = stats_hours_left(ev, c);

	for (int m = 0; m <= c->minute && m < 24 * 60; m++)
		so_far += c->first_arrivals[m];
	w = len > 0 && c->minute > ev->open_min ? (double)(c->minute - ev->open_min) / len : 0;
	w = w > 1 ? 1 : from_prev ? w / 2 : w;
	e = (1 - w) * (double)so_far * ratio + w * arrival_rate(ev, c) * hours / 2;
	*sd = sqrt(e) + e * (from_prev ? 0.08 : 0.15);
	return e;
}

/* Doses per hour: of the last hour once open an hour, of the last half
 * hour after half an hour, else of the time open (the pace, for target_at). */
static double dose_rate(const struct event_def *ev, const struct stats_counters *c)
{
	int since_open = c->minute - ev->open_min;

	if (since_open >= 60)
		return (double)c->doses60;
	if (since_open >= 30)
		return (double)c->doses30 * 2;
	if (since_open > 0)
		return (double)c->doses * 60.0 / since_open;
	return 0;
}

/* Doses by close for a given number of arrivals still to come: everyone
 * before the dose, who passes, up to the dose desks' capacity. */
static double doses_by_close(const struct stats_counters *c, double pass, double building,
    double arrivals, double supply)
{
	double demand = (double)c->doses + building + pass * (arrivals > 0 ? arrivals : 0);

	return supply >= 0 && supply < demand ? supply : demand;
}

void stats_forecast_fill(const struct event_def *ev, const struct stats_counters *c,
    struct stats_forecast *f)
{
	double hours = stats_hours_left(ev, c), sd, pass = stats_pass(ev, c, 0);
	double ae = stats_arrivals_expected(ev, c, &sd);
	double rate = stats_desk_rate(c, ev->dose_stage), cap = -1, supply = -1, spread = 0;
	double pace = dose_rate(ev, c);
	double building = building_doses(ev, c);

	if (rate > 0) {
		cap = rate * c->sg[ev->dose_stage].open * hours;
		supply = (double)c->doses + cap;
		spread = sqrt(cap);
	}
	f->rate_per_hour_30 = c->doses30 * 2;
	f->rate_per_hour_60 = c->doses60;
	f->rate_per_hour = round(pace * 10) / 10;
	f->hours_left = round(hours * 100) / 100;
	f->in_building = stats_in_building(ev, c);
	f->arrivals_expected = llround(ae);
	f->capacity_to_close = cap >= 0 ? llround(cap) : -1;
	f->expected_at_close = llround(doses_by_close(c, pass, building, ae, supply));
	f->low = llround(doses_by_close(c, pass, building, ae - sd,
	    supply >= 0 ? supply - spread : -1));
	f->high = llround(doses_by_close(c, pass, building, ae + sd,
	    supply >= 0 ? supply + spread : -1));
	f->low = f->low < c->doses ? c->doses : f->low;
	f->low = f->low > f->expected_at_close ? f->expected_at_close : f->low;
	f->high = f->high < f->expected_at_close ? f->expected_at_close : f->high;
	f->margin = f->expected_at_close - ev->daily_target;
	f->reached = c->doses >= ev->daily_target;
	if (c->doses < ev->daily_target && pace > 0)
		f->target_at = (int64_t)((double)c->now +
		    (double)(ev->daily_target - c->doses) / pace * 3600000.0);
}
