/* text_cells.c: text for an 80-column terminal (text_cells.h). */
#include "text_cells.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "protocol.h"

const char *cells_int(long long v, char *buf, size_t size)
{
	if (v < 0)
		return "-";
	snprintf(buf, size, "%lld", v);
	return buf;
}

const char *cells_dec(double v, char *buf, size_t size)
{
	double r = round(v * 10) / 10;

	if (v < 0)
		return "-";
	if (r == floor(r))
		snprintf(buf, size, "%.0f", r);
	else
		snprintf(buf, size, "%.1f", r);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = ',';
	return buf;
}

const char *cells_min(long long seconds, char *buf, size_t size)
{
	return seconds < 0 ? "-" : cells_dec((double)seconds / 60, buf, size);
}

const char *cells_duration(double minutes, char *buf, size_t size)
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

int cells_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		w += (*p & 0xc0) != 0x80;
	return w;
}

void cells_put(FILE *out, const char *s, int width, int right)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int w = cells_width((const char *)p), cut = width > 0 && w > width;
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

void cells_wrap(FILE *out, const char *text, int indent)
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
		w = cells_width(word);
		if (!first && col + 1 + w > CELLS_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			first = 1;
		}
		if (!first) {
			fputc(' ', out);
			col++;
		}
		cells_put(out, word, 0, 0);
		col += w;
		first = 0;
	}
	fputc('\n', out);
}

void cells_label(FILE *out, const char *l)
{
	char buf[64];

	snprintf(buf, sizeof buf, "%s:", l);
	cells_put(out, buf, CELLS_LABEL_W, 0);
}

const char *cells_hhmm(int64_t ms, int off, char *buf, size_t size, char date[11])
{
	char full[40];

	if (ms == 0)
		return NULL;
	proto_time_format(ms, off, full, sizeof full);
	if (date)
		snprintf(date, 11, "%.10s", full);
	snprintf(buf, size, "%.5s", full + 11);
	return buf;
}

int cells_minutes_of(const char *hm)
{
	int h, m;

	if (hm == NULL || sscanf(hm, "%2d:%2d", &h, &m) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

void cells_lower(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
}

int cells_report_open(FILE **out, char **text, size_t *len)
{
	*text = NULL;
	if ((*out = open_memstream(text, len)) == NULL) {
		cli_warnx("out of memory");
		return -1;
	}
	return 0;
}

int cells_report_close(FILE *out, char **text, size_t *len)
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

void cells_bar(FILE *out, double v, double most)
{
	static const char *const eighths[] = { "", "\xe2\x96\x8f", "\xe2\x96\x8e",
		"\xe2\x96\x8d", "\xe2\x96\x8c", "\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89" };
	long n = most > 0 ? lround(v / most * CELLS_BAR_W * 8) : 0;
	int cells = 0;

	if (n == 0 && v > 0)
		n = 1;
	for (; n >= 8; n -= 8, cells++)
		fputs("\xe2\x96\x88", out);
	if (n > 0) {
		fputs(eighths[n], out);
		cells++;
	}
	fprintf(out, "%*s", CELLS_BAR_W - cells, "");
}
