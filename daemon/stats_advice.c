/*
 * stats_advice.c: the bottleneck and the advice (stats.h): the desk stage
 * whose capacity limits the doses, the desks it needs to serve its queue
 * and the arrivals expected by close (a drain model, bounded by the stage's
 * max_stations), who will not be served even then, a desk to move there,
 * and the chairs a timed wait needs.  PROTOCOL.md ("Advice") documents it.
 */
#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Open desks there, and their capacity an hour at the robust rate. */
static double stage_capacity(const struct stats_counters *c, int si)
{
	double rate = stats_desk_rate(c, si);

	return rate > 0 ? rate * c->sg[si].open : -1;
}

/* The desk stage that limits the doses: of those with a queue longer than
 * their open desks, the one that takes longest to serve it (named while it
 * lasts, after close too); else the busiest, by arrivals over capacity in
 * the last hour.  Never a timed wait: its chairs are not desks.  -1: none. */
static int pick_bottleneck(const struct event_def *ev, const struct stats_counters *c)
{
	int worst = -1, queued = 0;
	double worst_score = 0;

	for (int si = 0; si < ev->nstages; si++) {
		const struct stats_stage_counts *sg = &c->sg[si];
		double cap = stage_capacity(c, si), score;
		int q = sg->waiting > sg->open;
		long long load = q ? sg->waiting : sg->arrivals60;
		if (ev->stages[si].hold_ms != 0 || cap < 0 || (queued && !q) || load <= 0)
			continue;
		/* every desk paused: nothing there moves at all */
		score = cap > 0 ? (double)load / cap : HUGE_VAL;
		if (worst < 0 || (q && !queued) || score > worst_score) {
			worst = si;
			worst_score = score;
			queued = q;
		}
	}
	return worst;
}

/* Lower-case copy of a stage name for the recommendation sentence. */
static void lower(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
}

/* A desk to move to the bottleneck: open, holding nobody, at another desk
 * stage with nobody waiting and more than one desk open, no call for
 * idle_minutes; the longest idle.  -1: none. */
static int pick_move(const struct event_def *ev, const struct stats_counters *c, int worst,
    int idle_minutes)
{
	int best = -1;

	for (int i = 0; i < c->nstations; i++) {
		const struct stats_station_counts *st = &c->st[i];
		if (st->stage == worst || ev->stages[st->stage].hold_ms != 0 || !st->open ||
		    st->holding || c->sg[st->stage].waiting > 0 || c->sg[st->stage].open < 2 ||
		    st->last_call <= 0 || c->now - st->last_call < idle_minutes * 60000LL)
			continue;
		if (best < 0 || st->last_call < c->st[best].last_call)
			best = i;
	}
	return best;
}

/* What the advice is made of. */
struct advice {
	int worst, move;
	long long waiting, need, unserved;
	int extra, max, open;
	double hours, rate;
};

/* " — Skrining 2 tanpa antrean 20 menit — pindahkan ke Vaksinasi" */
static void move_text(const struct event_def *ev, const struct stats_counters *c,
    const struct advice *a, char *buf, size_t size)
{
	const struct stats_station_counts *st;
	const char *n;

	buf[0] = '\0';
	if (a->move < 0)
		return;
	st = &c->st[a->move];
	n = strrchr(st->id, '-');
	if (snprintf(buf, size, "; %s %s tanpa antrean %lld menit — pindahkan ke %s",
	    ev->stages[st->stage].name, n ? n + 1 : st->id,
	    (long long)((c->now - st->last_call) / 60000), ev->stages[a->worst].name) < 0)
		buf[0] = '\0';
}

/* A sentence into rec (PROTO_ADVICE_MAX), cut at its size if ever longer. */
static void say(char *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char *rec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec, PROTO_ADVICE_MAX, fmt, ap);
	va_end(ap);
}

/* The recommendation, in Bahasa Indonesia, into rec (PROTO_ADVICE_MAX). */
static void advise(const struct event_def *ev, const struct stats_counters *c,
    const struct advice *a, const struct stats_forecast *f, char *rec)
{
	char name[PROTO_NAME_MAX], move[PROTO_ADVICE_MAX / 2];
	long long left = ev->daily_target - c->doses;
	/* the extra time: with every desk the site has before close; after it,
	 * with the desks open (or all of them, when none is) */
	int desks = a->hours <= 0 && a->open > 0 ? a->open : a->max;
	int more = a->unserved > 0 && a->rate > 0 ?
	    (int)ceil((double)a->unserved / (a->rate * desks) * 60.0 - 1e-9) : 0;

	lower(ev->stages[a->worst].name, name, sizeof name);
	move_text(ev, c, a, move, sizeof move);
	if (a->unserved > 0 && a->hours <= 0)
		say(rec, "waktu layanan habis; %lld orang masih menunggu di %s: "
		    "perpanjang %d menit dengan %d meja, atau minta mereka datang di hari lain",
		    a->unserved, name, more, desks);
	else if (a->unserved > 0)
		say(rec, "%lld orang tidak akan terlayani di %s sebelum tutup, bahkan "
		    "dengan %d meja; pilihan: hentikan pengambilan nomor sekarang, perpanjang jam "
		    "layanan %d menit, atau minta warga datang di hari lain%s",
		    a->unserved, name, a->max, more, move);
	else if (a->extra > 0)
		say(rec, "buka %d meja %s lagi agar antrean terlayani sebelum tutup%s",
		    a->extra, name, move);
	else if (left > 0 && a->hours <= 0)
		say(rec, "waktu layanan habis; target tidak tercapai hari ini");
	else if (left > 0 && f->expected_at_close < ev->daily_target &&
	    (f->capacity_to_close < 0 || f->capacity_to_close >= left))
		say(rec, "peserta yang datang kurang untuk mencapai target; "
		    "perluas ajakan ke warga");
	else if (f->expected_at_close < ev->daily_target) {
		lower(ev->stages[ev->dose_stage].name, name, sizeof name);
		say(rec, "kecepatan sekarang belum cukup untuk mencapai target: sampai tutup meja "
		    "%s dapat memberi sekitar %lld dosis lagi", name, f->capacity_to_close);
	}
	else
		say(rec, "alur lancar; target tercapai dengan kecepatan sekarang");
}

/* The drain model: desks to serve the queue and the arrivals expected by
 * close there, up to max_stations; who is left unserved even then. */
static void drain(const struct event_def *ev, const struct stats_counters *c,
    const struct stats_forecast *f, struct advice *a)
{
	const struct stats_stage_counts *sg = &c->sg[a->worst];
	double expected = (double)f->arrivals_expected * stats_pass(ev, c, 0);
	double desk_hours = a->rate * a->hours;

	a->waiting = sg->waiting;
	a->open = sg->open;
	a->max = ev->stages[a->worst].max_stations;
	a->need = a->waiting + llround(expected);
	if (desk_hours <= 0) {
		a->unserved = a->waiting;        /* after close: the queue left */
		return;
	}
	a->extra = (int)ceil((double)a->need / desk_hours - 1e-9) - a->open;
	if (a->extra > a->max - a->open)
		a->extra = a->max - a->open;
	if (a->extra < 0)
		a->extra = 0;
	if ((double)a->need > desk_hours * a->max)
		a->unserved = (long long)ceil((double)a->need - desk_hours * a->max);
}

void stats_advice_fill(const struct event_def *ev, const struct stats_counters *c,
    int idle_minutes, struct stats *s)
{
	struct stats_bottleneck *b = &s->bottleneck;
	struct advice a = { .worst = pick_bottleneck(ev, c), .move = -1 };

	if (a.worst < 0)
		return;
	a.rate = stats_desk_rate(c, a.worst);
	a.hours = stats_hours_left(ev, c);
	drain(ev, c, &s->forecast, &a);
	if (a.extra > 0 || a.unserved > 0)
		a.move = pick_move(ev, c, a.worst, idle_minutes);
	b->set = true;
	snprintf(b->stage, sizeof b->stage, "%s", ev->stages[a.worst].id);
	b->capacity_per_hour = round(a.rate * a.open * 10) / 10;
	b->arrivals_per_hour = c->sg[a.worst].arrivals60;
	b->per_station_per_hour = round(a.rate * 10) / 10;
	b->extra_stations = a.extra;
	b->max_stations = a.max;
	b->unserved_at_close = a.unserved;
	if (a.move >= 0)
		snprintf(b->move_station, sizeof b->move_station, "%s", c->st[a.move].id);
	advise(ev, c, &a, &s->forecast, b->recommendation);
}

/* A timed wait's chairs: who arrives in an hour times the hours they sit
 * (Little's law), and never fewer than sit there now; -1 at a desk stage. */
long long stats_chairs(const struct event_def *ev, const struct stats_counters *c, int si)
{
	double h = (double)ev->stages[si].hold_ms / 3600000.0;
	long long n;

	if (ev->stages[si].hold_ms == 0)
		return -1;
	n = (long long)ceil((double)c->sg[si].arrivals60 * h - 1e-9);
	return n > c->sg[si].waiting ? n : c->sg[si].waiting;
}
