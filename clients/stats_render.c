/*
 * stats_render.c: one event's figures for a terminal (stats_render.h).
 *
 * Times are printed with the event's UTC offset, so they are the event's
 * local clock whatever the terminal's zone.  Strings from the server go
 * through cells_put, so a name cannot move the cursor or change the
 * terminal's state.
 */
#include "stats_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "text_cells.h"

#define AREAS_SHOWN 10

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(member(o, name));
}

static const char *tz_label(const struct stats_info *in, int off, char *buf, size_t size)
{
	static const char *const zones[][2] = {
		{ "Asia/Jakarta", "WIB" }, { "Asia/Pontianak", "WIB" },
		{ "Asia/Makassar", "WITA" }, { "Asia/Jayapura", "WIT" },
	};
	const char *tz = str_of(in->ev, "timezone");

	for (size_t i = 0; tz && i < sizeof zones / sizeof zones[0]; i++)
		if (strcmp(zones[i][0], tz) == 0)
			return zones[i][1];
	if (off == 7 * 3600)
		return "WIB";
	if (off == 8 * 3600)
		return "WITA";
	if (off == 9 * 3600)
		return "WIT";
	snprintf(buf, size, "UTC%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
	    abs(off) % 3600 / 60);
	return buf;
}

/* "Senin, 23 November 2026" from "2026-11-23". */
static const char *long_date(const char *day, char *buf, size_t size)
{
	static const char *const days[] = { "Minggu", "Senin", "Selasa", "Rabu", "Kamis",
		"Jumat", "Sabtu" };
	static const char *const months[] = { "Januari", "Februari", "Maret", "April", "Mei",
		"Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember" };
	struct tm tm;
	int y, mo, d;
	time_t t;

	if (day == NULL || sscanf(day, "%4d-%2d-%2d", &y, &mo, &d) != 3 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31) {
		snprintf(buf, size, "%s", day ? day : "-");
		return buf;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s, %d %s %d", days[tm.tm_wday], d, months[mo - 1], y);
	return buf;
}

/* The name the event gives an object of `list` ("services", "stages"),
 * else its id. */
static const char *name_in(const struct stats_info *in, const char *list, const char *id)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, member(in->ev, list)) {
		const char *oid = str_of(o, "id"), *name = str_of(o, "name");

		if (oid && strcmp(oid, id) == 0 && name && *name)
			return name;
	}
	return id;
}

/* A stage's name from the figures themselves (they carry it), else its id. */
static const char *stage_name(const struct stats *s, const char *id)
{
	for (int i = 0; i < s->nstages; i++)
		if (strcmp(s->stages[i].id, id) == 0 && s->stages[i].name[0])
			return s->stages[i].name;
	return id;
}

/* Priorities have ids only; the usual ones have Indonesian names. */
static const char *priority_name(const struct stats_info *in, const char *id)
{
	static const char *const names[][2] = {
		{ "elderly", "Lansia" }, { "disabled", "Penyandang disabilitas" },
		{ "pregnant", "Ibu hamil" }, { "health_worker", "Tenaga kesehatan" },
		{ "child", "Anak" }, { "regular", "Umum" },
	};
	const char *named = name_in(in, "priorities", id);

	if (named != id)
		return named;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i][0], id) == 0)
			return names[i][1];
	return id;
}

/* The timed wait of a stage in minutes (observation), 0 for none. */
static double hold_minutes(const struct stats_info *in, const char *stage)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, member(in->ev, "stages")) {
		const char *id = str_of(o, "id");

		const cJSON *h = member(o, "hold_minutes");

		if (id && strcmp(id, stage) == 0)
			return cJSON_IsNumber(h) ? h->valuedouble : 0;
	}
	return 0;
}

/* "3" of "vaccination-3". */
static const char *desk_number(const char *station)
{
	const char *dash = station ? strrchr(station, '-') : NULL;

	return dash ? dash + 1 : station ? station : "?";
}

/* ---- the sections -------------------------------------------------------- */

static void show_title(FILE *out, const struct stats *s, const struct stats_info *in, int off)
{
	const char *name = str_of(in->ev, "name");
	const cJSON *hours = member(in->ev, "hours");
	char d[64], t[8], tz[16], line[256];
	int n;

	if (name && *name && strcmp(name, s->event) != 0)
		snprintf(line, sizeof line, "%s (%s)", name, s->event);
	else
		snprintf(line, sizeof line, "%s", s->event);
	cells_put(out, line, CELLS_WIDTH, 0);
	fputc('\n', out);
	n = snprintf(line, sizeof line, "%s", long_date(s->day, d, sizeof d));
	if (cells_hhmm(s->at, off, t, sizeof t, NULL))
		n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 pukul %s %s", t,
		    tz_label(in, off, tz, sizeof tz));
	if (in->open_min >= 0 && in->close_min >= 0)
		snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 layanan %s\xe2\x80\x93%s",
		    str_of(hours, "open"), str_of(hours, "close"));
	cells_put(out, line, CELLS_WIDTH, 0);
	fputs("\n\n", out);
}

/* The event-local minute of `at`, -1 when unknown. */
static int minute_now(const struct stats *s, int off)
{
	char t[8];

	return cells_hhmm(s->at, off, t, sizeof t, NULL) ? cells_minutes_of(t) : -1;
}

static void show_counts(FILE *out, const struct stats *s)
{
	const struct stats_today *today = &s->today;
	char b1[32], b2[32], b3[32];

	cells_label(out, "Dosis hari ini");
	if (s->target > 0)
		fprintf(out, "%lld / %lld (%.0f%%)\n", today->doses, s->target,
		    floor((double)today->doses * 100 / (double)s->target));
	else
		fprintf(out, "%lld\n", today->doses);
	cells_label(out, "Tiket diterbitkan");
	fprintf(out, "%s \xc2\xb7 menunggu sekarang %s\n",
	    cells_int(today->issued, b1, sizeof b1), cells_int(today->waiting, b2, sizeof b2));
	cells_label(out, "Ditunda / ditolak");
	fprintf(out, "%s / %s \xc2\xb7 tidak hadir %s\n",
	    cells_int(today->deferred, b1, sizeof b1), cells_int(today->refused, b2, sizeof b2),
	    cells_int(today->no_show, b3, sizeof b3));
	fputc('\n', out);
}

/* When the target is reached at the current rate. */
static void show_target(FILE *out, const struct stats *s, const struct stats_info *in,
    int off)
{
	const struct stats_forecast *fc = &s->forecast;
	int now = minute_now(s, off);
	int closed = in->close_min >= 0 && now >= in->close_min;
	int before = in->open_min >= 0 && now >= 0 && now < in->open_min;
	char t[8], date[11];

	cells_label(out, "Target tercapai");
	if (fc->reached) {
		if (s->today.doses > s->target)
			fprintf(out, "sudah (lebih %lld dosis dari target)\n",
			    s->today.doses - s->target);
		else
			fputs("sudah\n", out);
	} else if (cells_hhmm(fc->target_at, off, t, sizeof t, date)) {
		int same = strcmp(s->day, date) == 0;
		int late = !same || (in->close_min >= 0 && cells_minutes_of(t) > in->close_min);

		if (same)
			fprintf(out, "pukul %s", t);
		else
			fputs("tidak hari ini", out);
		fputs(late ? ", setelah jam tutup: perlu lebih cepat\n" :
		    ", dengan kecepatan sekarang\n", out);
	} else {
		fprintf(out, "- (%s)\n", before ? "layanan belum buka" :
		    closed ? "layanan sudah tutup" : "belum ada dosis dalam satu jam terakhir");
	}
}

static void show_today(FILE *out, const struct stats *s, const struct stats_info *in, int off)
{
	const struct stats_forecast *fc = &s->forecast;
	int now = minute_now(s, off);
	char b1[32], b2[32], b3[32];

	show_counts(out, s);
	cells_label(out, "Perkiraan saat tutup");
	fprintf(out, "%s", cells_int(fc->expected_at_close, b1, sizeof b1));
	if (fc->low != fc->high)             /* the range the model gives */
		fprintf(out, " (%s\xe2\x80\x93%s)", cells_int(fc->low, b2, sizeof b2),
		    cells_int(fc->high, b3, sizeof b3));
	fputs(" \xe2\x80\x94 ", out);
	if (fc->margin < 0)
		fprintf(out, "kurang %lld dari target", -fc->margin);
	else if (fc->margin > 0)
		fprintf(out, "lebih %lld dari target", fc->margin);
	else
		fputs("tepat sesuai target", out);
	if (in->close_min >= 0 && now >= in->close_min)
		fputs(" \xc2\xb7 layanan sudah tutup", out);
	else if (in->close_min >= 0)
		fprintf(out, " \xc2\xb7 tutup pukul %s", str_of(member(in->ev, "hours"), "close"));
	fputc('\n', out);
	show_target(out, s, in, off);
	cells_label(out, "Kecepatan");
	fprintf(out, "%s dosis/jam", cells_dec(fc->rate_per_hour, b1, sizeof b1));
	fprintf(out, " (30 mnt terakhir: %s/jam \xc2\xb7 60 mnt: %s/jam)\n",
	    cells_int(fc->rate_per_hour_30, b2, sizeof b2),
	    cells_int(fc->rate_per_hour_60, b3, sizeof b3));
	cells_label(out, "Sisa waktu layanan");
	fprintf(out, "%s\n", cells_duration(fc->hours_left * 60, b1, sizeof b1));
}

/*
 * The stages' table: a row per stage, one per desk under it.
 *   name 14 | menunggu 8 | dilayani 8 | tunggu rata2 6, p90 6 | layan 6 |
 *   per jam 15 5, 60 5 | meja 5 | kapasitas 7     (79 with the spaces)
 */
static void table_row(FILE *out, const char *name, const char *const v[9])
{
	static const int w[9] = { 8, 8, 6, 6, 6, 5, 5, 5, 7 };

	cells_put(out, name, 14, 0);
	for (int i = 0; i < 9; i++) {
		fputc(' ', out);
		cells_put(out, v[i], w[i], 1);
	}
	fputc('\n', out);
}

/* The counts worth a note ("ditunda 1 · tidak hadir 2"), appended to buf. */
static void append_outcomes(char *buf, size_t size, const struct stats_work *w)
{
	const struct {
		long long v;
		const char *name;
	} counts[] = {
		{ w->deferred, "ditunda" }, { w->refused, "ditolak" }, { w->no_show, "tidak hadir" },
	};

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(buf);

		if (counts[i].v > 0)
			snprintf(buf + n, size - n, "%s%s %lld", n ? " \xc2\xb7 " : "",
			    counts[i].name, counts[i].v);
	}
}

/* The columns a stage and a desk share, into v (b holds the text). */
static void work_cells(const struct stats_work *w, const char *v[9], char b[9][32])
{
	v[1] = cells_int(w->served, b[1], sizeof b[1]);
	v[2] = cells_min(w->avg_wait_s, b[2], sizeof b[2]);
	v[4] = cells_min(w->avg_service_s, b[4], sizeof b[4]);
	v[5] = cells_int(w->throughput.last_15, b[5], sizeof b[5]);
	v[6] = cells_int(w->throughput.last_60, b[6], sizeof b[6]);
}

static void show_desk(FILE *out, const struct stats_station *st, int off)
{
	const char *v[9] = { "", "", "", "", "", "", "", "", "" };
	char b[9][32], desk[48], note[256], t[8];

	snprintf(desk, sizeof desk, "  Meja %s", desk_number(st->id));
	work_cells(&st->work, v, b);
	v[7] = st->state == STATION_PAUSED ? "jeda" : "buka";
	table_row(out, desk, v);
	if (cells_hhmm(st->last_call_at, off, t, sizeof t, NULL))
		snprintf(note, sizeof note, "terakhir memanggil %s", t);
	else
		snprintf(note, sizeof note, "belum memanggil");
	append_outcomes(note, sizeof note, &st->work);
	fputs("      ", out);
	cells_put(out, note, CELLS_WIDTH - 6, 0);
	fputc('\n', out);
}

static void show_stage(FILE *out, const struct stats *s, int si, const struct stats_info *in,
    int off)
{
	const struct stats_stage *sg = &s->stages[si];
	double hold = hold_minutes(in, sg->id);
	const char *v[9];
	char b[9][32], note[256], m[16];
	int ndesks = 0;

	for (int i = 0; i < s->nstations; i++)
		ndesks += s->stations[i].stage == si;
	v[0] = cells_int(sg->waiting, b[0], sizeof b[0]);
	work_cells(&sg->work, v, b);
	v[3] = cells_min(sg->p90_wait_s, b[3], sizeof b[3]);
	snprintf(b[7], sizeof b[7], "%lld/%d", sg->stations_open, ndesks);
	v[7] = b[7];
	v[8] = cells_dec(sg->capacity_per_hour, b[8], sizeof b[8]);
	table_row(out, sg->name[0] ? sg->name : sg->id, v);

	/* under the stage: what the columns leave out */
	snprintf(note, sizeof note, "kedatangan %lld/jam", sg->arrivals_per_hour);
	append_outcomes(note, sizeof note, &sg->work);
	if (hold > 0)
		snprintf(note + strlen(note), sizeof note - strlen(note),
		    " \xc2\xb7 tunggu %s menit", cells_dec(hold, m, sizeof m));
	if (s->bottleneck.set && strcmp(s->bottleneck.stage, sg->id) == 0)
		snprintf(note + strlen(note), sizeof note - strlen(note), " \xc2\xb7 HAMBATAN");
	fputs("    ", out);
	cells_put(out, note, CELLS_WIDTH - 4, 0);
	fputc('\n', out);
	for (int i = 0; i < s->nstations; i++)
		if (s->stations[i].stage == si)
			show_desk(out, &s->stations[i], off);
}

static void show_stages(FILE *out, const struct stats *s, const struct stats_info *in,
    int off)
{
	static const char *const head1[9] = { "Menunggu", "Dilayani", "Tunggu", "Tunggu",
		"Layan", "/jam", "/jam", "Meja", "Kapasi-" };
	static const char *const head2[9] = { "orang", "hari ini", "rata2", "p90", "rata2",
		"15mnt", "60mnt", "buka", "tas/jam" };

	fputs("\nTAHAP DAN MEJA (waktu dalam menit)\n", out);
	table_row(out, "", head1);
	table_row(out, "Tahap / meja", head2);
	for (int si = 0; si < s->nstages; si++)
		show_stage(out, s, si, in, off);
}

static void show_bottleneck(FILE *out, const struct stats *s)
{
	const struct stats_bottleneck *bn = &s->bottleneck;
	char b1[32], b2[32], b3[32], line[256];

	fputc('\n', out);
	cells_label(out, "Hambatan");
	if (!bn->set) {
		fputs("belum cukup data\n", out);
		cells_put(out, "  (dihitung dari meja yang menyelesaikan layanan dalam satu jam "
		    "terakhir)", CELLS_WIDTH, 0);
		fputc('\n', out);
		return;
	}
	snprintf(line, sizeof line, "tahap %s", stage_name(s, bn->stage));
	cells_put(out, line, CELLS_WIDTH - CELLS_LABEL_W, 0);
	fputc('\n', out);
	snprintf(line, sizeof line, "kapasitas %s/jam (%s per meja) \xc2\xb7 kedatangan %s/jam",
	    cells_dec(bn->capacity_per_hour, b1, sizeof b1),
	    cells_dec(bn->per_station_per_hour, b2, sizeof b2),
	    cells_int(bn->arrivals_per_hour, b3, sizeof b3));
	if (bn->extra_stations > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    " \xc2\xb7 perlu %lld meja lagi", bn->extra_stations);
	if (bn->unserved_at_close > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    " \xc2\xb7 %lld tak terlayani", bn->unserved_at_close);
	cells_put(out, "", CELLS_LABEL_W, 0);
	cells_put(out, line, CELLS_WIDTH - CELLS_LABEL_W, 0);
	fputc('\n', out);
	cells_label(out, "Saran");
	cells_wrap(out, bn->recommendation[0] ? bn->recommendation : "-", CELLS_LABEL_W);
}

static void show_idle(FILE *out, const struct stats *s)
{
	char line[256], stage[PROTO_NAME_MAX], b[32];

	cells_label(out, "Meja menganggur");
	if (s->nidle == 0) {
		fputs("tidak ada\n", out);
		return;
	}
	fputc('\n', out);
	for (int i = 0; i < s->nidle; i++) {
		const struct stats_idle *d = &s->idle[i];
		int n;

		cells_lower(d->stage[0] ? stage_name(s, d->stage) : "?", stage, sizeof stage);
		n = snprintf(line, sizeof line, "  Meja %s %s: ", stage, desk_number(d->station));
		if (d->idle_s >= 0)
			n += snprintf(line + n, sizeof line - (size_t)n, "menganggur %s",
			    cells_duration(floor((double)d->idle_s / 60), b, sizeof b));
		else
			n += snprintf(line + n, sizeof line - (size_t)n, "belum memanggil siapa pun");
		snprintf(line + n, sizeof line - (size_t)n, ", %lld orang menunggu", d->waiting);
		cells_put(out, line, CELLS_WIDTH, 0);
		fputc('\n', out);
	}
}

static void show_areas(FILE *out, const struct stats *s)
{
	double total = 0, most = 0, rest = 0;

	fputs("\nDOSIS PER WILAYAH\n", out);
	for (int i = 0; i < s->nareas; i++) {
		total += (double)s->areas[i].doses;
		if ((double)s->areas[i].doses > most)
			most = (double)s->areas[i].doses;
	}
	if (s->nareas == 0) {
		fputs("  belum ada dosis hari ini\n", out);
		return;
	}
	for (int i = 0; i < s->nareas; i++) {
		double v = (double)s->areas[i].doses;

		if (i >= AREAS_SHOWN) {
			rest += v;
			continue;
		}
		fputs("  ", out);
		cells_put(out, s->areas[i].area[0] ? s->areas[i].area : "(tanpa wilayah)", 30, 0);
		fprintf(out, " %7.0f  ", v);
		cells_bar(out, v, most);
		fprintf(out, " %3.0f%%\n", total > 0 ? v * 100 / total : 0);
	}
	if (s->nareas > AREAS_SHOWN)
		fprintf(out, "  +%d lagi (%.0f dosis)\n", s->nareas - AREAS_SHOWN, rest);
}

static void kind_row(FILE *out, const char *name, const struct stats_kind *k)
{
	char b1[32], b2[32];

	fputs("  ", out);
	cells_put(out, name, 34, 0);
	fprintf(out, " %8s %8s\n", cells_int(k->issued, b1, sizeof b1),
	    cells_int(k->doses, b2, sizeof b2));
}

static void show_kinds(FILE *out, const struct stats *s, const struct stats_info *in)
{
	fputs("\nHARI INI PER LAYANAN                   Tiket    Dosis\n", out);
	for (int i = 0; i < s->today.nservices; i++)
		kind_row(out, name_in(in, "services", s->today.by_service[i].id),
		    &s->today.by_service[i]);
	fputs("PER PRIORITAS\n", out);
	for (int i = 0; i < s->today.npriorities; i++)
		kind_row(out, priority_name(in, s->today.by_priority[i].id),
		    &s->today.by_priority[i]);
}

/* One hour's line of the quarter hours: blocks, counts and their sum. */
static void series_line(FILE *out, int hour, const double v[4], const int have[4],
    double most)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	double sum = 0;

	fprintf(out, "  %02d:00  ", hour);
	for (int i = 0; i < 4; i++) {
		if (!have[i])
			fputc(' ', out);
		else if (v[i] <= 0)
			fputs("\xc2\xb7", out);
		else
			fputs(blocks[(int)ceil(v[i] * 8 / most) - 1], out);
	}
	fputs("  ", out);
	for (int i = 0; i < 4; i++) {
		if (have[i])
			fprintf(out, " %5.0f", v[i]);
		else
			fputs("      ", out);
		sum += have[i] ? v[i] : 0;
	}
	fprintf(out, "   = %.0f\n", sum);
}

/*
 * Doses per quarter hour: a line an hour, "08:00  ▂▅▇▆    8   21   30   25
 * = 84", the blocks against the busiest quarter of the day.
 */
static void show_series(FILE *out, const struct stats *s, int off)
{
	double most = 0, v[4] = { 0 };
	int have[4] = { 0 }, hour = -1;
	char t[8];

	for (int i = 0; i < s->nseries; i++)
		if ((double)s->series[i].doses > most)
			most = (double)s->series[i].doses;
	fprintf(out, "\nDOSIS PER 15 MENIT (puncak %.0f)\n", most);
	if (s->nseries == 0) {
		fputs("  belum ada (layanan belum buka)\n", out);
		return;
	}
	/* one pass; a line is printed when the next hour starts, and at the end */
	for (int i = 0; i < s->nseries; i++) {
		int m = cells_hhmm(s->series[i].start, off, t, sizeof t, NULL) ?
		    cells_minutes_of(t) : -1;

		if (m < 0)
			continue;
		if (hour >= 0 && m / 60 != hour)
			series_line(out, hour, v, have, most);
		if (hour != m / 60) {
			hour = m / 60;
			memset(have, 0, sizeof have);
		}
		have[m % 60 / 15] = 1;
		v[m % 60 / 15] = (double)s->series[i].doses;
	}
	if (hour >= 0)
		series_line(out, hour, v, have, most);
}

void stats_render(FILE *out, const struct stats *s, const struct stats_info *in, int off)
{
	show_title(out, s, in, off);
	show_today(out, s, in, off);
	show_stages(out, s, in, off);
	show_bottleneck(out, s);
	show_idle(out, s);
	show_areas(out, s);
	show_kinds(out, s, in);
	show_series(out, s, off);
}
