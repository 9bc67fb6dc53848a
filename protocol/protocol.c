/*
 * protocol.c: what every codec of protocol/ stands on (see protocol.h):
 * ticket state names and RFC 3339 times.  The codecs: proto_ticket.c
 * (ticket, station, call, error), proto_board.c, proto_stats.c, with the
 * field readers and writers they share in proto_json.c.
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

/* ---- ticket states ------------------------------------------------------ */

static const char *const state_names[TICKET_STATE_COUNT] = {
	[TICKET_WAITING] = "waiting",
	[TICKET_CALLED] = "called",
	[TICKET_SERVING] = "serving",
	[TICKET_SKIPPED] = "skipped",
	[TICKET_DONE] = "done",
	[TICKET_DEFERRED] = "deferred",
	[TICKET_REFUSED] = "refused",
	[TICKET_CANCELLED] = "cancelled",
	[TICKET_EXPIRED] = "expired",
};

const char *proto_ticket_state_name(enum ticket_state s)
{
	if ((unsigned)s >= TICKET_STATE_COUNT)
		return NULL;
	return state_names[s];
}

int proto_ticket_state_parse(const char *name, enum ticket_state *out)
{
	if (!name)
		return -1;
	for (int i = 0; i < TICKET_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum ticket_state)i;
			return 0;
		}
	}
	return -1;
}

/* ---- times -------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char *put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

char *proto_time_format(int64_t ms, int utc_offset_s, char *buf, size_t size)
{
	/* Split before adding the offset so that no value can overflow. */
	int64_t secs = floor_div(ms, 1000) + utc_offset_s;
	int frac = (int)(ms % 1000);
	if (frac < 0)
		frac += 1000;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	int mo, d;
	civil_from_days(days, &y, &mo, &d);

	int64_t off = utc_offset_s;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	if (y >= 0 && y <= 9999 && size >= 30) {
		/* the common case without printf: it runs for every time in
		 * every ticket the daemon sends */
		char *p = buf;
		p = put2(p, (int)(y / 100));
		p = put2(p, (int)(y % 100));
		*p++ = '-';
		p = put2(p, mo);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		p = put2(p, (int)(sod / 3600));
		*p++ = ':';
		p = put2(p, (int)(sod / 60 % 60));
		*p++ = ':';
		p = put2(p, (int)(sod % 60));
		if (frac != 0) {
			*p++ = '.';
			*p++ = (char)('0' + frac / 100);
			p = put2(p, frac % 100);
		}
		*p++ = sign;
		p = put2(p, (int)(off / 3600 % 100));
		*p++ = ':';
		p = put2(p, (int)(off / 60 % 60));
		*p = '\0';
		return buf;
	}
	char fracbuf[8] = "";
	if (frac != 0)
		snprintf(fracbuf, sizeof fracbuf, ".%03d", frac);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d%s%c%02lld:%02lld",
	    (long long)y, mo, d, (int)(sod / 3600), (int)(sod / 60 % 60),
	    (int)(sod % 60), fracbuf, sign, (long long)(off / 3600),
	    (long long)(off / 60 % 60));
	return buf;
}

/* Reads exactly n digits. */
static int read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = **p;
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int read_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int proto_time_parse(const char *s, int64_t *ms)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, frac = 0, off = 0;
	const char *p = s;

	if (!s || read_digits(&p, 4, &y) || read_char(&p, '-') ||
	    read_digits(&p, 2, &mo) || read_char(&p, '-') ||
	    read_digits(&p, 2, &d) || read_char(&p, 'T') ||
	    read_digits(&p, 2, &h) || read_char(&p, ':') ||
	    read_digits(&p, 2, &mi) || read_char(&p, ':') ||
	    read_digits(&p, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;

	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		}
		if (n < 1 || n > 9)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}

	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (read_digits(&p, 2, &oh) || read_char(&p, ':') ||
		    read_digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;

	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off;
	/* only moments every offset writes back with a four-digit year */
	if (secs < days_from_civil(0, 1, 2) * 86400 || secs >= days_from_civil(9999, 12, 31) * 86400)
		return -1;
	*ms = secs * 1000 + frac;
	return 0;
}
