/*
 * proto_board_delta.c: the board's changes from one snapshot to the next
 * (struct board_delta, the stream's `delta` event), and a kept board
 * brought up to date by them and by the stream's calls, so that a client
 * that applies them holds what the next whole board will say.
 */
#include "protocol.h"

#include <string.h>

static int same_stage(const struct board_stage *a, const struct board_stage *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 &&
	    a->waiting == b->waiting && a->eta_s == b->eta_s &&
	    a->eta_range_s[0] == b->eta_range_s[0] && a->eta_range_s[1] == b->eta_range_s[1];
}

static int same_station(const struct station *a, const struct station *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->stage, b->stage) == 0 &&
	    a->number == b->number && a->state == b->state &&
	    strcmp(a->ticket_id, b->ticket_id) == 0 &&
	    strcmp(a->ticket_code, b->ticket_code) == 0 &&
	    strcmp(a->ticket_state, b->ticket_state) == 0;
}

/* One call and another: the same announcement (a recall is another). */
static int same_call(const struct call *a, const struct call *b)
{
	return a->at == b->at && a->recall == b->recall &&
	    strcmp(a->ticket_id, b->ticket_id) == 0 && strcmp(a->station, b->station) == 0;
}

static int same_hold(const struct board_hold *a, const struct board_hold *b)
{
	return a->until == b->until && strcmp(a->ticket_id, b->ticket_id) == 0 &&
	    strcmp(a->code, b->code) == 0 && strcmp(a->stage, b->stage) == 0;
}

/* How many of b's calls are new in front of a's (the rest are a's first
 * ones, as many as fit); -1 when b's are not a's with new ones in front. */
static int calls_new(const struct board *a, const struct board *b)
{
	for (int k = 0; k <= b->ncalls; k++) {
		int keep = b->ncalls - k, i;
		int fit = PROTO_MAX_CALLS - k < a->ncalls ? PROTO_MAX_CALLS - k : a->ncalls;
		if (keep != fit)
			continue;
		for (i = 0; i < keep && same_call(&b->calls[k + i], &a->calls[i]); i++)
			;
		if (i == keep)
			return k;
	}
	return -1;
}

/* b's holds that a has not (as they are), and a's tickets that b has not. */
static void holds_diff(const struct board *a, const struct board *b, struct board_delta *d)
{
	for (int i = 0; i < b->nholds; i++) {
		int j = 0;
		while (j < a->nholds && !same_hold(&a->holds[j], &b->holds[i]))
			j++;
		if (j == a->nholds)
			d->holds[d->nholds++] = b->holds[i];
	}
	for (int j = 0; j < a->nholds; j++) {
		int i = 0;
		while (i < b->nholds && !same_hold(&a->holds[j], &b->holds[i]))
			i++;
		if (i == b->nholds)
			memcpy(d->gone[d->ngone++], a->holds[j].ticket_id, PROTO_TICKET_ID_MAX);
	}
}

int proto_board_diff(const struct board *a, const struct board *b, struct board_delta *d)
{
	int k = calls_new(a, b);

	if (k < 0 || a->nstages != b->nstages || a->nstations != b->nstations)
		return -1;
	for (int i = 0; i < b->nstages; i++)
		if (strcmp(a->stages[i].id, b->stages[i].id) != 0)
			return -1;
	for (int i = 0; i < b->nstations; i++)
		if (strcmp(a->stations[i].id, b->stations[i].id) != 0)
			return -1;
	memset(d, 0, sizeof *d);
	d->at = b->at;
	for (int i = 0; i < b->nstages; i++)
		if (!same_stage(&a->stages[i], &b->stages[i]))
			d->stages[d->nstages++] = b->stages[i];
	for (int i = 0; i < b->nstations; i++)
		if (!same_station(&a->stations[i], &b->stations[i]))
			d->stations[d->nstations++] = b->stations[i];
	for (int i = 0; i < k; i++)
		d->calls[d->ncalls++] = b->calls[i];
	holds_diff(a, b, d);
	d->issued_today = a->issued_today != b->issued_today ? b->issued_today : -1;
	d->doses_today = a->doses_today != b->doses_today ? b->doses_today : -1;
	d->target = a->target != b->target ? b->target : -1;
	return d->nstages || d->nstations || d->ncalls || d->nholds || d->ngone ||
	    d->issued_today >= 0 || d->doses_today >= 0 || d->target >= 0;
}

int proto_board_add_call(struct board *b, const struct call *c)
{
	int at = 0;

	for (int i = 0; i < b->ncalls; i++)
		if (same_call(&b->calls[i], c))
			return 0;
	/* newest first: after any newer one (a call that raced a snapshot) */
	while (at < b->ncalls && b->calls[at].at > c->at)
		at++;
	if (at == PROTO_MAX_CALLS)
		return 0;                /* older than all ten: not on the board */
	if (b->ncalls == PROTO_MAX_CALLS)
		b->ncalls--;
	memmove(&b->calls[at + 1], &b->calls[at], (size_t)(b->ncalls - at) * sizeof b->calls[0]);
	b->calls[at] = *c;
	b->ncalls++;
	return 1;
}

int proto_board_set_station(struct board *b, const struct station *s)
{
	for (int i = 0; i < b->nstations; i++)
		if (strcmp(b->stations[i].id, s->id) == 0) {
			b->stations[i] = *s;
			return 1;
		}
	return 0;
}

/* Soonest first, as the store keeps them: by time, then ticket id. */
static int hold_before(const struct board_hold *a, const struct board_hold *b)
{
	return a->until < b->until || (a->until == b->until && strcmp(a->ticket_id, b->ticket_id) < 0);
}

static void holds_drop(struct board *b, const char *ticket)
{
	for (int i = 0; i < b->nholds; i++)
		if (strcmp(b->holds[i].ticket_id, ticket) == 0) {
			memmove(&b->holds[i], &b->holds[i + 1],
			    (size_t)(b->nholds - i - 1) * sizeof b->holds[0]);
			b->nholds--;
			return;
		}
}

static void holds_add(struct board *b, const struct board_hold *h)
{
	int at = 0;

	holds_drop(b, h->ticket_id);
	while (at < b->nholds && hold_before(&b->holds[at], h))
		at++;
	if (at == PROTO_MAX_HOLDS)
		return;
	if (b->nholds == PROTO_MAX_HOLDS)
		b->nholds--;
	memmove(&b->holds[at + 1], &b->holds[at], (size_t)(b->nholds - at) * sizeof b->holds[0]);
	b->holds[at] = *h;
	b->nholds++;
}

void proto_board_apply(struct board *b, const struct board_delta *d)
{
	b->at = d->at;
	for (int i = 0; i < d->nstages; i++)
		for (int j = 0; j < b->nstages; j++)
			if (strcmp(b->stages[j].id, d->stages[i].id) == 0)
				b->stages[j] = d->stages[i];
	for (int i = 0; i < d->nstations; i++)
		for (int j = 0; j < b->nstations; j++)
			if (strcmp(b->stations[j].id, d->stations[i].id) == 0)
				b->stations[j] = d->stations[i];
	for (int i = d->ncalls - 1; i >= 0; i--)
		proto_board_add_call(b, &d->calls[i]);
	for (int i = 0; i < d->ngone; i++)
		holds_drop(b, d->gone[i]);
	for (int i = 0; i < d->nholds; i++)
		holds_add(b, &d->holds[i]);
	if (d->issued_today >= 0)
		b->issued_today = d->issued_today;
	if (d->doses_today >= 0)
		b->doses_today = d->doses_today;
	if (d->target >= 0)
		b->target = d->target;
}
