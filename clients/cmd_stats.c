/*
 * cmd_stats.c: antre stats [EVENT] [--json] [--all]: the organisers'
 * figures in a terminal.
 *
 * One event's figures (GET /v1/events/{ev}/stats) laid out for 80 columns
 * in Bahasa Indonesia, the same as the web dashboard shows them: doses
 * against the target, the forecast at closing, the rate, a table of the
 * stages with their desks, the bottleneck and its recommendation, idle
 * desks, doses by area, by service and by priority, and the doses per
 * quarter hour.  The event's definition (GET /v1/events/{ev}, public) only
 * adds names (of the event, services, stages' timed waits) and the hours;
 * without it the ids are shown.  `--all` is the roll-up of every event
 * (GET /v1/stats).  `--json` prints the server's answer as it came.
 *
 * Times are printed as the server wrote them, with the event's UTC offset,
 * so they are the event's local clock whatever the terminal's zone.
 * Strings from the server are printed with control bytes replaced, so a
 * name cannot move the cursor or change the terminal's state.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"

#define WIDTH 79                 /* of every line: fits an 80-column terminal */
#define LABEL_W 22               /* "Perkiraan saat tutup: " */
#define AREAS_SHOWN 10
#define BAR_W 20

enum { OPT_JSON = 256, OPT_ALL };

/* What the event's definition adds to its figures; all optional. */
struct info {
	const cJSON *ev;             /* {"id", "name", "timezone", "hours", …} or NULL */
	int open_min, close_min;     /* -1 when unknown */
};

/* ---- small helpers ------------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(member(o, name));
}

/* A number member, 0 when absent or null. */
static double num(const cJSON *o, const char *name)
{
	const cJSON *j = member(o, name);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/* A whole number, or "-" when absent or null. */
static const char *fmt_int(const cJSON *j, char *buf, size_t size)
{
	if (!cJSON_IsNumber(j))
		return "-";
	snprintf(buf, size, "%.0f", j->valuedouble);
	return buf;
}

/* At most one decimal, with a decimal comma and no ",0": "32,7", "98". */
static const char *fmt_dec(double v, char *buf, size_t size)
{
	double r = round(v * 10) / 10;

	if (r == floor(r))
		snprintf(buf, size, "%.0f", r);
	else
		snprintf(buf, size, "%.1f", r);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = ',';
	return buf;
}

static const char *fmt_dec_j(const cJSON *j, char *buf, size_t size)
{
	return cJSON_IsNumber(j) ? fmt_dec(j->valuedouble, buf, size) : "-";
}

/* Seconds as minutes, one decimal: 540 -> "9", 95 -> "1,6". */
static const char *fmt_min_j(const cJSON *j, char *buf, size_t size)
{
	return cJSON_IsNumber(j) ? fmt_dec(j->valuedouble / 60, buf, size) : "-";
}

/* "3 jam 58 menit", "45 menit". */
static const char *fmt_duration(double minutes, char *buf, size_t size)
{
	long m = lround(minutes);

	if (m < 0)
		m = 0;
	if (m < 60)
		snprintf(buf, size, "%ld menit", m);
	else if (m % 60)
		snprintf(buf, size, "%ld jam %ld menit", m / 60, m % 60);
	else
		snprintf(buf, size, "%ld jam", m / 60);
	return buf;
}

/* Bytes of a UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* Cells `s` takes: one a character (the names here are Latin script). */
static int text_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		w += (*p & 0xc0) != 0x80;
	return w;
}

/*
 * `s` in `width` cells: padded with spaces on the right (left when
 * `right`), or cut with "…" when longer.  width 0: as it is.  Control
 * characters print as '?'.
 */
static void put_cell(FILE *out, const char *s, int width, int right)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int w = text_width((const char *)p), cut = width > 0 && w > width;
	int room = cut ? width - 1 : w;

	if (right && !cut)
		fprintf(out, "%*s", width - w, "");
	for (int n = 0; *p && n < room; n++) {
		size_t len = utf8_len(*p);

		/* C0, DEL, and C1 (U+0080..U+009F: C2 80..C2 9F), which some
		 * terminals obey */
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
			fputc('?', out);
			p += p[0] == 0xc2 ? 2 : 1;
			continue;
		}
		for (size_t i = 0; i < len && *p; i++)
			fputc(*p++, out);
	}
	if (cut)
		fputs("\xe2\x80\xa6", out);
	else if (!right && width > w)
		fprintf(out, "%*s", width - w, "");
}

/*
 * `text` from the current column `indent` to WIDTH, broken between words;
 * the lines after the first start at `indent` too.  Ends the line.
 */
static void put_wrapped(FILE *out, const char *text, int indent)
{
	char word[256];
	int col = indent, first = 1;

	while (text && *text) {
		size_t n = strcspn(text, " ");
		int w;

		if (n == 0) {
			text++;
			continue;
		}
		snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1),
		    text);
		text += n;
		w = text_width(word);
		if (!first && col + 1 + w > WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			first = 1;
		}
		if (!first) {
			fputc(' ', out);
			col++;
		}
		put_cell(out, word, 0, 0);
		col += w;
		first = 0;
	}
	fputc('\n', out);
}

/* "Label:" padded to the value column. */
static void label(FILE *out, const char *l)
{
	char buf[64];

	snprintf(buf, sizeof buf, "%s:", l);
	put_cell(out, buf, LABEL_W, 0);
}

/*
 * "HH:MM" of an RFC 3339 time on the event's clock (offset `off`); the date
 * "YYYY-MM-DD" too when `date` is not NULL.  NULL when it is not a time.
 */
static const char *hhmm(const char *t, int off, char *buf, size_t size, char date[11])
{
	char full[40];
	int64_t ms;

	if (t == NULL || proto_time_parse(t, &ms) == -1)
		return NULL;
	proto_time_format(ms, off, full, sizeof full);
	if (date)
		snprintf(date, 11, "%.10s", full);
	snprintf(buf, size, "%.5s", full + 11);
	return buf;
}

/* Minutes since midnight of "HH:MM"; -1 when it is not one. */
static int minutes_of(const char *hm)
{
	int h, m;

	if (hm == NULL || sscanf(hm, "%2d:%2d", &h, &m) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static const char *tz_label(const struct info *in, int off, char *buf, size_t size)
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
static const char *name_in(const struct info *in, const char *list, const char *id)
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
static const char *stage_name(const cJSON *stats, const char *id)
{
	const cJSON *sg;

	cJSON_ArrayForEach(sg, member(stats, "stages")) {
		const char *sid = str_of(sg, "id"), *name = str_of(sg, "name");

		if (sid && strcmp(sid, id) == 0 && name && *name)
			return name;
	}
	return id;
}

/* Priorities have ids only; the usual ones have Indonesian names. */
static const char *priority_name(const struct info *in, const char *id)
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
static double hold_minutes(const struct info *in, const char *stage)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, member(in->ev, "stages")) {
		const char *id = str_of(o, "id");

		if (id && strcmp(id, stage) == 0)
			return num(o, "hold_minutes");
	}
	return 0;
}

/* "3" of "vaccination-3". */
static const char *desk_number(const char *station)
{
	const char *dash = station ? strrchr(station, '-') : NULL;

	return dash ? dash + 1 : station ? station : "?";
}

/* A stage's name in lower case, for a sentence ("Meja vaksinasi 2"). */
static void lower_ascii(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
}

/*
 * The report, written to a memory stream, to standard output with the
 * spaces that pad a line's last cell dropped.  Frees *text.  0 or -1.
 */
static int report_open(FILE **out, char **text, size_t *len)
{
	*text = NULL;
	if ((*out = open_memstream(text, len)) == NULL) {
		cli_warnx("out of memory");
		return -1;
	}
	return 0;
}

static int report_close(FILE *out, char **text, size_t *len)
{
	const char *p, *end, *nl, *last;

	if (fclose(out) == EOF || *text == NULL) {
		free(*text);
		*text = NULL;
		cli_warnx("out of memory");
		return -1;
	}
	for (p = *text, end = *text + *len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		for (last = nl; last > p && last[-1] == ' '; last--)
			;
		fwrite(p, 1, (size_t)(last - p), stdout);
		if (nl < end)
			putchar('\n');
	}
	free(*text);
	*text = NULL;
	return 0;
}

/* ---- one event: the sections --------------------------------------------- */

static void show_title(FILE *out, const cJSON *s, const struct info *in, int off)
{
	const char *id = str_of(s, "event"), *name = str_of(in->ev, "name");
	const cJSON *hours = member(in->ev, "hours");
	char d[64], t[8], tz[16], line[256];
	int n;

	if (name && *name && id && strcmp(name, id) != 0)
		snprintf(line, sizeof line, "%s (%s)", name, id);
	else
		snprintf(line, sizeof line, "%s", id ? id : "?");
	put_cell(out, line, WIDTH, 0);
	fputc('\n', out);
	n = snprintf(line, sizeof line, "%s", long_date(str_of(s, "day"), d, sizeof d));
	if (hhmm(str_of(s, "at"), off, t, sizeof t, NULL))
		n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 pukul %s %s", t,
		    tz_label(in, off, tz, sizeof tz));
	if (in->open_min >= 0 && in->close_min >= 0)
		snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 layanan %s\xe2\x80\x93%s",
		    str_of(hours, "open"), str_of(hours, "close"));
	put_cell(out, line, WIDTH, 0);
	fputs("\n\n", out);
}

/* The event-local minute of `at`, -1 when unknown. */
static int minute_now(const cJSON *s, int off)
{
	char t[8];

	return hhmm(str_of(s, "at"), off, t, sizeof t, NULL) ? minutes_of(t) : -1;
}

static void show_today(FILE *out, const cJSON *s, const struct info *in, int off)
{
	const cJSON *today = member(s, "today"), *fc = member(s, "forecast");
	double doses = num(today, "doses"), target = num(s, "target");
	double margin = num(fc, "margin");
	int now = minute_now(s, off);
	int closed = in->close_min >= 0 && now >= in->close_min;
	int before = in->open_min >= 0 && now >= 0 && now < in->open_min;
	const char *target_at = str_of(fc, "target_at");
	char b1[32], b2[32], b3[32], t[8], date[11];

	label(out, "Dosis hari ini");
	if (target > 0)
		fprintf(out, "%.0f / %.0f (%.0f%%)\n", doses, target, floor(doses * 100 / target));
	else
		fprintf(out, "%.0f\n", doses);
	label(out, "Tiket diterbitkan");
	fprintf(out, "%s \xc2\xb7 menunggu sekarang %s\n",
	    fmt_int(member(today, "issued"), b1, sizeof b1),
	    fmt_int(member(today, "waiting"), b2, sizeof b2));
	label(out, "Ditunda / ditolak");
	fprintf(out, "%s / %s \xc2\xb7 tidak hadir %s\n",
	    fmt_int(member(today, "deferred"), b1, sizeof b1),
	    fmt_int(member(today, "refused"), b2, sizeof b2),
	    fmt_int(member(today, "no_show"), b3, sizeof b3));
	fputc('\n', out);

	label(out, "Perkiraan saat tutup");
	fprintf(out, "%s \xe2\x80\x94 ", fmt_int(member(fc, "expected_at_close"), b1, sizeof b1));
	if (margin < 0)
		fprintf(out, "kurang %.0f dari target", -margin);
	else if (margin > 0)
		fprintf(out, "lebih %.0f dari target", margin);
	else
		fputs("tepat sesuai target", out);
	if (closed)
		fputs(" \xc2\xb7 layanan sudah tutup", out);
	else if (in->close_min >= 0)
		fprintf(out, " \xc2\xb7 tutup pukul %s", str_of(member(in->ev, "hours"), "close"));
	fputc('\n', out);

	label(out, "Target tercapai");
	if (cJSON_IsTrue(member(fc, "reached"))) {
		if (doses > target)
			fprintf(out, "sudah (lebih %.0f dosis dari target)\n", doses - target);
		else
			fputs("sudah\n", out);
	} else if (hhmm(target_at, off, t, sizeof t, date)) {
		const char *day = str_of(s, "day");
		int same = day && strcmp(day, date) == 0;
		int late = !same || (in->close_min >= 0 && minutes_of(t) > in->close_min);

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

	label(out, "Kecepatan");
	fprintf(out, "%s dosis/jam", fmt_dec_j(member(fc, "rate_per_hour"), b1, sizeof b1));
	fprintf(out, " (30 mnt terakhir: %s/jam \xc2\xb7 60 mnt: %s/jam)\n",
	    fmt_int(member(fc, "rate_per_hour_30"), b2, sizeof b2),
	    fmt_int(member(fc, "rate_per_hour_60"), b3, sizeof b3));
	label(out, "Sisa waktu layanan");
	fprintf(out, "%s\n", fmt_duration(num(fc, "hours_left") * 60, b1, sizeof b1));
}

/*
 * The stages' table: a row per stage, one per desk under it.
 *   name 14 | menunggu 8 | dilayani 8 | tunggu rata2 6, p90 6 | layan 6 |
 *   per jam 15 5, 60 5 | meja 5 | kapasitas 7     (79 with the spaces)
 */
static void table_row(FILE *out, const char *name, const char *const v[9])
{
	static const int w[9] = { 8, 8, 6, 6, 6, 5, 5, 5, 7 };

	put_cell(out, name, 14, 0);
	for (int i = 0; i < 9; i++) {
		fputc(' ', out);
		put_cell(out, v[i], w[i], 1);
	}
	fputc('\n', out);
}

/* The counts worth a note ("ditunda 1 · tidak hadir 2"), appended to buf. */
static void append_outcomes(char *buf, size_t size, const cJSON *o)
{
	static const char *const keys[][2] = {
		{ "deferred", "ditunda" }, { "refused", "ditolak" }, { "no_show", "tidak hadir" },
	};

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(buf);

		if (num(o, keys[i][0]) > 0)
			snprintf(buf + n, size - n, "%s%s %.0f", n ? " \xc2\xb7 " : "", keys[i][1],
			    num(o, keys[i][0]));
	}
}

static void show_stages(FILE *out, const cJSON *s, const struct info *in, int off)
{
	static const char *const head1[9] = { "Menunggu", "Dilayani", "Tunggu", "Tunggu",
		"Layan", "/jam", "/jam", "Meja", "Kapasi-" };
	static const char *const head2[9] = { "orang", "hari ini", "rata2", "p90", "rata2",
		"15mnt", "60mnt", "buka", "tas/jam" };
	const cJSON *bn = member(s, "bottleneck"), *sg, *st;
	const char *bstage = str_of(bn, "stage");
	char b[9][32], note[256], t[8];

	fputs("\nTAHAP DAN MEJA (waktu dalam menit)\n", out);
	table_row(out, "", head1);
	table_row(out, "Tahap / meja", head2);
	cJSON_ArrayForEach(sg, member(s, "stages")) {
		const cJSON *tp = member(sg, "throughput_per_hour");
		const char *id = str_of(sg, "id"), *name = str_of(sg, "name");
		int ndesks = cJSON_GetArraySize(member(sg, "stations"));
		double hold = id ? hold_minutes(in, id) : 0;
		const char *v[9];

		v[0] = fmt_int(member(sg, "waiting"), b[0], sizeof b[0]);
		v[1] = fmt_int(member(sg, "served"), b[1], sizeof b[1]);
		v[2] = fmt_min_j(member(sg, "avg_wait_s"), b[2], sizeof b[2]);
		v[3] = fmt_min_j(member(sg, "p90_wait_s"), b[3], sizeof b[3]);
		v[4] = fmt_min_j(member(sg, "avg_service_s"), b[4], sizeof b[4]);
		v[5] = fmt_int(member(tp, "last_15"), b[5], sizeof b[5]);
		v[6] = fmt_int(member(tp, "last_60"), b[6], sizeof b[6]);
		snprintf(b[7], sizeof b[7], "%.0f/%d", num(sg, "stations_open"), ndesks);
		v[7] = b[7];
		v[8] = fmt_dec_j(member(sg, "capacity_per_hour"), b[8], sizeof b[8]);
		table_row(out, name && *name ? name : id, v);

		/* under the stage: what the columns leave out */
		snprintf(note, sizeof note, "kedatangan %.0f/jam", num(sg, "arrivals_per_hour"));
		append_outcomes(note, sizeof note, sg);
		if (hold > 0) {
			char m[16];

			snprintf(note + strlen(note), sizeof note - strlen(note),
			    " \xc2\xb7 tunggu %s menit", fmt_dec(hold, m, sizeof m));
		}
		if (bstage && id && strcmp(bstage, id) == 0)
			snprintf(note + strlen(note), sizeof note - strlen(note),
			    " \xc2\xb7 HAMBATAN");
		fputs("    ", out);
		put_cell(out, note, WIDTH - 4, 0);
		fputc('\n', out);

		cJSON_ArrayForEach(st, member(sg, "stations")) {
			const cJSON *sp = member(st, "throughput_per_hour");
			const char *state = str_of(st, "state");
			char desk[48];

			snprintf(desk, sizeof desk, "  Meja %s", desk_number(str_of(st, "id")));
			v[0] = "";
			v[1] = fmt_int(member(st, "served"), b[1], sizeof b[1]);
			v[2] = fmt_min_j(member(st, "avg_wait_s"), b[2], sizeof b[2]);
			v[3] = "";
			v[4] = fmt_min_j(member(st, "avg_service_s"), b[4], sizeof b[4]);
			v[5] = fmt_int(member(sp, "last_15"), b[5], sizeof b[5]);
			v[6] = fmt_int(member(sp, "last_60"), b[6], sizeof b[6]);
			v[7] = state && strcmp(state, "paused") == 0 ? "jeda" : "buka";
			v[8] = "";
			table_row(out, desk, v);
			if (hhmm(str_of(st, "last_call_at"), off, t, sizeof t, NULL))
				snprintf(note, sizeof note, "terakhir memanggil %s", t);
			else
				snprintf(note, sizeof note, "belum memanggil");
			append_outcomes(note, sizeof note, st);
			fputs("      ", out);
			put_cell(out, note, WIDTH - 6, 0);
			fputc('\n', out);
		}
	}
}

static void show_bottleneck(FILE *out, const cJSON *s)
{
	const cJSON *bn = member(s, "bottleneck");
	const char *stage = str_of(bn, "stage"), *rec = str_of(bn, "recommendation");
	char b1[32], b2[32], b3[32], line[256];

	fputc('\n', out);
	if (!cJSON_IsObject(bn) || stage == NULL) {
		label(out, "Hambatan");
		fputs("belum cukup data\n", out);
		put_cell(out, "  (dihitung dari meja yang menyelesaikan layanan dalam satu jam "
		    "terakhir)", WIDTH, 0);
		fputc('\n', out);
		return;
	}
	label(out, "Hambatan");
	snprintf(line, sizeof line, "tahap %s", stage_name(s, stage));
	put_cell(out, line, WIDTH - LABEL_W, 0);
	fputc('\n', out);
	snprintf(line, sizeof line, "kapasitas %s/jam (%s per meja) \xc2\xb7 kedatangan %s/jam",
	    fmt_dec_j(member(bn, "capacity_per_hour"), b1, sizeof b1),
	    fmt_dec_j(member(bn, "per_station_per_hour"), b2, sizeof b2),
	    fmt_int(member(bn, "arrivals_per_hour"), b3, sizeof b3));
	if (num(bn, "extra_stations") > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    " \xc2\xb7 perlu %.0f meja lagi", num(bn, "extra_stations"));
	put_cell(out, "", LABEL_W, 0);
	put_cell(out, line, WIDTH - LABEL_W, 0);
	fputc('\n', out);
	label(out, "Saran");
	put_wrapped(out, rec ? rec : "-", LABEL_W);
}

static void show_idle(FILE *out, const cJSON *s)
{
	const cJSON *d;
	char line[256], stage[PROTO_NAME_MAX], b[32];

	label(out, "Meja menganggur");
	if (cJSON_GetArraySize(member(s, "idle")) == 0) {
		fputs("tidak ada\n", out);
		return;
	}
	fputc('\n', out);
	cJSON_ArrayForEach(d, member(s, "idle")) {
		const char *sid = str_of(d, "stage"), *station = str_of(d, "station");
		const cJSON *idle = member(d, "idle_s");
		int n;

		lower_ascii(sid ? stage_name(s, sid) : "?", stage, sizeof stage);
		n = snprintf(line, sizeof line, "  Meja %s %s: ", stage, desk_number(station));
		if (cJSON_IsNumber(idle))
			n += snprintf(line + n, sizeof line - (size_t)n, "menganggur %s",
			    fmt_duration(floor(idle->valuedouble / 60), b, sizeof b));
		else
			n += snprintf(line + n, sizeof line - (size_t)n, "belum memanggil siapa pun");
		snprintf(line + n, sizeof line - (size_t)n, ", %.0f orang menunggu",
		    num(d, "waiting"));
		put_cell(out, line, WIDTH, 0);
		fputc('\n', out);
	}
}

/* A bar of `v` against `most` in BAR_W cells of eighths. */
static void bar(FILE *out, double v, double most)
{
	static const char *const eighths[] = { "", "\xe2\x96\x8f", "\xe2\x96\x8e",
		"\xe2\x96\x8d", "\xe2\x96\x8c", "\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89" };
	long n = most > 0 ? lround(v / most * BAR_W * 8) : 0;
	int cells = 0;

	if (n == 0 && v > 0)
		n = 1;
	for (; n >= 8; n -= 8, cells++)
		fputs("\xe2\x96\x88", out);
	if (n > 0) {
		fputs(eighths[n], out);
		cells++;
	}
	fprintf(out, "%*s", BAR_W - cells, "");
}

static void show_areas(FILE *out, const cJSON *s)
{
	const cJSON *areas = member(s, "areas"), *a;
	double total = 0, most = 0, rest = 0;
	int n = cJSON_GetArraySize(areas), i = 0;

	fputs("\nDOSIS PER WILAYAH\n", out);
	cJSON_ArrayForEach(a, areas) {
		total += num(a, "doses");
		if (num(a, "doses") > most)
			most = num(a, "doses");
	}
	if (n == 0) {
		fputs("  belum ada dosis hari ini\n", out);
		return;
	}
	cJSON_ArrayForEach(a, areas) {
		const cJSON *name = member(a, "area");
		double v = num(a, "doses");

		if (i++ >= AREAS_SHOWN) {
			rest += v;
			continue;
		}
		fputs("  ", out);
		put_cell(out, cJSON_IsString(name) ? name->valuestring : "(tanpa wilayah)", 30, 0);
		fprintf(out, " %7.0f  ", v);
		bar(out, v, most);
		fprintf(out, " %3.0f%%\n", total > 0 ? v * 100 / total : 0);
	}
	if (n > AREAS_SHOWN)
		fprintf(out, "  +%d lagi (%.0f dosis)\n", n - AREAS_SHOWN, rest);
}

static void show_kinds(FILE *out, const cJSON *s, const struct info *in)
{
	const cJSON *today = member(s, "today"), *k;
	char b1[32], b2[32];

	fputs("\nHARI INI PER LAYANAN                   Tiket    Dosis\n", out);
	cJSON_ArrayForEach(k, member(today, "by_service")) {
		fputs("  ", out);
		put_cell(out, name_in(in, "services", k->string), 34, 0);
		fprintf(out, " %8s %8s\n", fmt_int(member(k, "issued"), b1, sizeof b1),
		    fmt_int(member(k, "doses"), b2, sizeof b2));
	}
	fputs("PER PRIORITAS\n", out);
	cJSON_ArrayForEach(k, member(today, "by_priority")) {
		fputs("  ", out);
		put_cell(out, priority_name(in, k->string), 34, 0);
		fprintf(out, " %8s %8s\n", fmt_int(member(k, "issued"), b1, sizeof b1),
		    fmt_int(member(k, "doses"), b2, sizeof b2));
	}
}

/*
 * Doses per quarter hour: a line an hour, "08:00  ▂▅▇▆    8   21   30   25
 * = 84", the blocks against the busiest quarter of the day.
 */
static void show_series(FILE *out, const cJSON *s, int off)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	const cJSON *series = member(s, "series"), *q;
	double most = 0, v[4] = { 0 };
	int have[4] = { 0 }, hour = -1;
	char t[8];

	cJSON_ArrayForEach(q, series)
		if (num(q, "doses") > most)
			most = num(q, "doses");
	fprintf(out, "\nDOSIS PER 15 MENIT (puncak %.0f)\n", most);
	if (cJSON_GetArraySize(series) == 0) {
		fputs("  belum ada (layanan belum buka)\n", out);
		return;
	}
	/* one pass; a line is printed when the next hour starts, and at the end */
	for (q = series ? series->child : NULL;; q = q->next) {
		int m = q && hhmm(str_of(q, "start"), off, t, sizeof t, NULL) ? minutes_of(t) : -1;

		if (q != NULL && m < 0)
			continue;
		if (hour >= 0 && (q == NULL || m / 60 != hour)) {
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
		if (q == NULL)
			break;
		if (hour != m / 60) {
			hour = m / 60;
			memset(have, 0, sizeof have);
		}
		have[m % 60 / 15] = 1;
		v[m % 60 / 15] = num(q, "doses");
	}
}

/* ---- fetching ------------------------------------------------------------ */

/*
 * The event's definition, for names and hours: GET /v1/events/{ev}.  It is
 * only decoration, so a failure is silent (the ids are shown).  Called
 * after the figures came, so the connection is open.  *j is the caller's.
 */
static void info_fetch(struct cli *c, struct info *in, cJSON **j)
{
	const char *segs[] = { "v1", "events", c->event, NULL };
	const cJSON *hours;
	struct cli_reply reply;
	char path[CLI_HTTP_PATH_MAX];

	in->ev = NULL;
	in->open_min = in->close_min = -1;
	*j = NULL;
	if (c->http == NULL || cli_http_path(path, sizeof path, segs, NULL) == -1 ||
	    cli_http_request(c->http, "GET", path, NULL, &reply) == -1)
		return;
	if (reply.status == 200 && reply.body)
		*j = cJSON_ParseWithLength(reply.body, reply.len);
	cli_reply_free(&reply);
	in->ev = member(*j, "event");
	if (!cJSON_IsObject(in->ev)) {
		in->ev = NULL;
		return;
	}
	hours = member(in->ev, "hours");
	in->open_min = minutes_of(str_of(hours, "open"));
	in->close_min = minutes_of(str_of(hours, "close"));
	if (in->open_min < 0 || in->close_min < 0)
		in->open_min = in->close_min = -1;
}

/* After a failure without a token: what is missing (also when the server
 * could not be reached: it will be needed). */
static int token_hint(const struct cli *c, int rc)
{
	if (rc == CLI_EXIT_FAIL && c->token == NULL)
		cli_warnx("no token given: the figures need an organiser (or admin) token, "
		    "with -t TOKEN or ANTRE_TOKEN");
	return rc;
}

/*
 * GET `segs` (NULL-ended): with --json the answer printed as it came (and
 * *j NULL), else parsed into *j, which the caller frees.  CLI_EXIT_OK, or
 * an exit status with the problem printed (and *j NULL).
 */
static int stats_get(struct cli *c, const char *const *segs, int json, cJSON **j)
{
	struct cli_reply reply;
	int rc;

	*j = NULL;
	if ((rc = cli_request(c, "GET", segs, NULL, NULL, &reply)) != CLI_EXIT_OK)
		return token_hint(c, rc);
	if (json)
		cli_print_raw(&reply);
	else if ((*j = cli_reply_json(&reply)) == NULL)
		rc = CLI_EXIT_FAIL;
	cli_reply_free(&reply);
	return rc;
}

static int stats_one(struct cli *c, int json)
{
	struct info in;
	cJSON *j = NULL, *ij = NULL;
	FILE *out;
	char *text;
	size_t len;
	int rc, off;

	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;

	const char *segs[] = { "v1", "events", c->event, "stats", NULL };

	if ((rc = stats_get(c, segs, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (!cJSON_IsObject(member(j, "today")) || !cJSON_IsArray(member(j, "stages"))) {
		cli_warnx("the server's figures have no \"today\" or \"stages\"");
		goto done;
	}
	info_fetch(c, &in, &ij);
	off = cli_utc_offset(str_of(j, "at"));
	if (report_open(&out, &text, &len) == -1)
		goto done;
	show_title(out, j, &in, off);
	show_today(out, j, &in, off);
	show_stages(out, j, &in, off);
	show_bottleneck(out, j);
	show_idle(out, j);
	show_areas(out, j);
	show_kinds(out, j, &in);
	show_series(out, j, off);
	if (report_close(out, &text, &len) == 0)
		rc = CLI_EXIT_OK;
done:
	cJSON_Delete(ij);
	cJSON_Delete(j);
	return rc;
}

/*
 * The roll-up: one line an event.
 *   id + name 31 | dosis 7 | target 7 | perkiraan 9 | selisih 7 | menunggu 8
 */
static void rollup_row(FILE *out, int idw, const char *id, const char *name,
    const char *const v[5])
{
	static const int w[5] = { 7, 7, 9, 7, 8 };

	put_cell(out, id, idw, 0);
	fputc(' ', out);
	put_cell(out, name, 31 - idw - 1, 0);
	for (int i = 0; i < 5; i++) {
		fputc(' ', out);
		put_cell(out, v[i], w[i], 1);
	}
	fputc('\n', out);
}

static int stats_all(struct cli *c, int json)
{
	static const char *const segs[] = { "v1", "stats", NULL };
	static const char *const head[5] = { "Dosis", "Target", "Perkiraan", "Selisih",
		"Menunggu" };
	const cJSON *events, *e;
	cJSON *j = NULL;
	FILE *out;
	char *text;
	size_t len;
	double sum[5] = { 0 };
	int rc, idw = 8, n = 0;
	char b[5][32];

	if ((rc = stats_get(c, segs, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (!cJSON_IsArray(events = member(j, "events"))) {
		cli_warnx("the server's roll-up has no \"events\" array");
		goto done;
	}
	cJSON_ArrayForEach(e, events) {
		const char *id = str_of(e, "event");
		int w = id ? text_width(id) : 0;

		if (w > idw)
			idw = w;
	}
	if (idw > 14)
		idw = 14;
	if (report_open(&out, &text, &len) == -1)
		goto done;
	fputs("SEMUA KEGIATAN HARI INI\n", out);
	rollup_row(out, idw, "Kegiatan", "", head);
	cJSON_ArrayForEach(e, events) {
		static const char *const keys[5] = { "doses", "target", "expected_at_close",
			"margin", "waiting" };
		const char *v[5];

		if (!cJSON_IsObject(e))     /* an event whose figures failed */
			continue;
		for (int i = 0; i < 5; i++) {
			v[i] = fmt_int(member(e, keys[i]), b[i], sizeof b[i]);
			sum[i] += num(e, keys[i]);
		}
		if (num(e, "margin") > 0) {
			snprintf(b[3], sizeof b[3], "+%.0f", num(e, "margin"));
			v[3] = b[3];
		}
		rollup_row(out, idw, str_of(e, "event"), str_of(e, "name"), v);
		n++;
	}
	if (n == 0) {
		fputs("  tidak ada kegiatan\n", out);
	} else if (n > 1) {
		const char *v[5];
		char name[48];

		for (int i = 0; i < 5; i++) {
			snprintf(b[i], sizeof b[i], i == 3 && sum[i] > 0 ? "+%.0f" : "%.0f", sum[i]);
			v[i] = b[i];
		}
		snprintf(name, sizeof name, "Jumlah %d kegiatan", n);
		rollup_row(out, idw, "", name, v);
	}
	if (report_close(out, &text, &len) == 0)
		rc = CLI_EXIT_OK;
done:
	cJSON_Delete(j);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static int stats_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, json = 0, all = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case OPT_ALL: all = 1; break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (argc - optind > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (all && argc - optind == 1)
		return cli_usage(cmd, "--all shows every event: no EVENT with it");
	if (argc - optind == 1) {
		if (argv[optind][0] == '\0')
			return cli_usage(cmd, "an empty event id");
		c->event_opt = argv[optind];
	}
	return all ? stats_all(c, json) : stats_one(c, json);
}

const struct cli_cmd cmd_stats = {
	"stats", "",
	"[EVENT] [--json] | --all [--json]",
	"today's figures of an event, or of every event (organiser)",
	"Today's figures, as the organisers' web dashboard shows them, for an\n"
	"80-column terminal.  It needs an organiser (or admin) token: -t TOKEN before\n"
	"'stats', or ANTRE_TOKEN.  EVENT (or -e EVENT) is needed when the server has\n"
	"several events.\n"
	"\n"
	"Options:\n"
	"      --json   the server's answer as JSON, unchanged (for scripts)\n"
	"      --all    every event of the server side by side, one line each\n"
	"  -h, --help   this help\n"
	"\n"
	"Labels: Dosis hari ini (doses today / target), Tiket diterbitkan (tickets\n"
	"issued), menunggu (waiting), ditunda / ditolak (deferred / refused), tidak\n"
	"hadir (no-shows), Perkiraan saat tutup (expected at closing; kurang / lebih:\n"
	"short of / over the target), Target tercapai (when the target is reached at\n"
	"the current rate), Kecepatan (doses an hour; of the last 30 and 60 minutes),\n"
	"Sisa waktu layanan (time left until closing).\n"
	"Stages and desks (Tahap, Meja), times in minutes: Menunggu (waiting now),\n"
	"Dilayani (served today), Tunggu rata2 / p90 (average and 90th percentile\n"
	"wait), Layan rata2 (average service), /jam 15mnt, 60mnt (completed an hour,\n"
	"over the last 15 and 60 minutes), Meja buka (desks open / desks; buka open,\n"
	"jeda paused), Kapasitas/jam (what the open desks complete an hour),\n"
	"kedatangan (arrivals an hour), terakhir memanggil (last call).\n"
	"Hambatan (the bottleneck) and Saran (the recommendation), Meja menganggur\n"
	"(idle desks while people wait), Dosis per wilayah (doses by area, the first\n"
	"10), per layanan / prioritas (by service / priority: tickets, doses), Dosis\n"
	"per 15 menit (doses per quarter hour, an hour a line).\n"
	"With --all: Dosis, Target, Perkiraan (expected at closing), Selisih (that\n"
	"less the target), Menunggu (waiting now).\n"
	"Times are the event's local time.\n",
	stats_exec,
};
