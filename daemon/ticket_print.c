/* ticket_print.c: ESC/POS and PNG tickets. */
#include "ticket_print.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "font.h"
#include "qr.h"

#define ESC 0x1b
#define GS 0x1d

/* Dots across the paper and characters a line in font A (12 dots wide). */
static int dots_of(int width_mm)
{
	return width_mm == 80 ? 576 : 384;
}

/* Receipt printers' code pages differ; plain ASCII prints everywhere.
 * Other characters become '?' (accents are rare in names here). */
static void add_ascii(struct evbuffer *out, const char *text)
{
	while (*text) {
		unsigned cp = font_next_codepoint(&text);
		char c = cp >= 0x20 && cp < 0x7f ? (char)cp : '?';
		evbuffer_add(out, &c, 1);
	}
}

/* Printed characters in UTF-8 text: each code point prints as one. */
static int printed_len(const char *s, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

/* Adds text wrapped at word boundaries to `cols` printed columns, each
 * line ended. */
static void add_wrapped(struct evbuffer *out, const char *text, int cols)
{
	char line[256];
	size_t n = 0;

	while (*text) {
		size_t wl = strcspn(text, " ");
		if (n > 0 && printed_len(line, n) + 1 + printed_len(text, wl) > cols) {
			line[n] = '\0';
			add_ascii(out, line);
			evbuffer_add(out, "\n", 1);
			n = 0;
		}
		if (n > 0 && n < sizeof line - 1)
			line[n++] = ' ';
		for (size_t i = 0; i < wl && n < sizeof line - 1; i++)
			line[n++] = text[i];
		text += wl;
		while (*text == ' ')
			text++;
	}
	line[n] = '\0';
	add_ascii(out, line);
	evbuffer_add(out, "\n", 1);
}

static void add_bytes(struct evbuffer *out, int n, ...)
{
	va_list ap;
	unsigned char b[16];

	va_start(ap, n);
	for (int i = 0; i < n && i < 16; i++)
		b[i] = (unsigned char)va_arg(ap, int);
	va_end(ap);
	evbuffer_add(out, b, (size_t)n);
}

/* The printer's own QR: model 2, module size, error correction, store, print. */
static void add_native_qr(struct evbuffer *out, const char *url, int module, char ecc)
{
	size_t len = strlen(url) + 3;
	int e = ecc == 'L' ? 48 : ecc == 'Q' ? 50 : ecc == 'H' ? 51 : 49;

	add_bytes(out, 9, GS, '(', 'k', 4, 0, 49, 65, 50, 0);
	add_bytes(out, 8, GS, '(', 'k', 3, 0, 49, 67, module);
	add_bytes(out, 8, GS, '(', 'k', 3, 0, 49, 69, e);
	add_bytes(out, 8, GS, '(', 'k', (int)(len & 0xff), (int)(len >> 8), 49, 80, 48);
	evbuffer_add(out, url, strlen(url));
	add_bytes(out, 8, GS, '(', 'k', 3, 0, 49, 81, 48);
}

/* A QR drawn here and sent as a GS v 0 raster bit image (1 = black). */
static int add_raster_qr(struct evbuffer *out, const QRcode *qr, int scale)
{
	struct canvas c;
	int side = (qr->width + 2 * QR_QUIET) * scale, wb = (side + 7) / 8;
	unsigned char row[1024];

	if (wb > (int)sizeof row || canvas_init(&c, side, side) == -1)
		return -1;
	canvas_draw_qr(&c, qr, 0, 0, scale);
	add_bytes(out, 8, GS, 'v', '0', 0, wb & 0xff, wb >> 8, side & 0xff, side >> 8);
	for (int y = 0; y < side; y++) {
		memset(row, 0, (size_t)wb);
		for (int x = 0; x < side; x++)
			if (c.px[(size_t)y * (size_t)side + (size_t)x] < 128)
				row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
		evbuffer_add(out, row, (size_t)wb);
	}
	canvas_free(&c);
	return 0;
}

/* The lines under the service, the same on paper and in the PNG. */
#define INFO_MAX 4
#define INFO_LEN 192

/* Six digits are a NIK's district (kecamatan) code: said so, not left bare. */
static int is_district_code(const char *area)
{
	size_t n = strspn(area, "0123456789");

	return n == 6 && area[n] == '\0';
}

static int info_lines(const struct print_ticket *t, char lines[INFO_MAX][INFO_LEN])
{
	int n = 0;

	snprintf(lines[n++], INFO_LEN, "Prioritas: %s", t->priority);
	if (t->area != NULL && *t->area)
		snprintf(lines[n++], INFO_LEN, "Wilayah: %s%s",
		    is_district_code(t->area) ? "Kec. " : "", t->area);
	snprintf(lines[n++], INFO_LEN, "Diambil: %s", t->issued);
	if (t->position >= 0)
		snprintf(lines[n++], INFO_LEN, "Antrean di depan Anda: %d", t->position);
	return n;
}

int ticket_print_escpos(const struct print_ticket *t, int width_mm, int raster,
    char ecc, struct evbuffer *out)
{
	int cols = dots_of(width_mm) / 12, n;
	char lines[INFO_MAX][INFO_LEN];

	add_bytes(out, 2, ESC, '@');                     /* initialise */
	add_bytes(out, 3, ESC, 'a', 1);                  /* centre */
	add_bytes(out, 3, ESC, 'E', 1);                  /* bold */
	add_wrapped(out, t->event_name, cols);
	add_bytes(out, 3, ESC, 'E', 0);
	evbuffer_add_printf(out, "\nNOMOR ANTREAN\n");
	/* the code as large as the paper allows: 4x, or 3x for long codes */
	add_bytes(out, 3, GS, '!', strlen(t->code) * 12 * 4 <= (size_t)dots_of(width_mm) ? 0x33 : 0x22);
	add_ascii(out, t->code);
	add_bytes(out, 3, GS, '!', 0);
	evbuffer_add(out, "\n\n", 2);
	if (t->mark != NULL) {                           /* bold, double size */
		add_bytes(out, 3, ESC, 'E', 1);
		add_bytes(out, 3, GS, '!', 0x11);
		add_wrapped(out, t->mark, cols / 2);
		add_bytes(out, 3, GS, '!', 0);
		add_bytes(out, 3, ESC, 'E', 0);
		evbuffer_add(out, "\n", 1);
	}
	add_bytes(out, 3, GS, '!', 0x01);                /* double height */
	add_wrapped(out, t->service_name, cols);
	add_bytes(out, 3, GS, '!', 0);
	n = info_lines(t, lines);
	for (int i = 0; i < n; i++)
		add_wrapped(out, lines[i], cols);
	evbuffer_add(out, "\n", 1);
	if (raster) {
		QRcode *qr = qr_encode(t->url, ecc);
		int rc;
		if (qr == NULL)
			return -1;
		rc = add_raster_qr(out, qr, width_mm == 80 ? 8 : 6);
		QRcode_free(qr);
		if (rc == -1)
			return -1;
	} else
		add_native_qr(out, t->url, width_mm == 80 ? 8 : 6, ecc);
	evbuffer_add(out, "\n", 1);
	add_wrapped(out, "Pindai untuk melihat antrean Anda", cols);
	add_bytes(out, 4, GS, 'V', 66, 3);               /* feed 3 lines, cut */
	return 0;
}

/* Draws a line of text centred, scaled down until it fits; returns the y below it. */
static int draw_centred(struct canvas *c, const struct font *f, int y, int scale,
    const char *text)
{
	int w;

	while ((w = font_text_width(f, text, scale)) > c->w - 16 && scale > 1)
		scale--;
	font_draw(f, c, (c->w - w) / 2, y, scale, text);
	return y + f->h * scale + 4;
}

/* Wraps text at spaces to lines that fit, centred; returns the y below. */
static int draw_wrapped(struct canvas *c, const struct font *f, int y, int scale,
    const char *text)
{
	char line[256];
	size_t n = 0;

	while (*text) {
		size_t wl = strcspn(text, " ");
		char trial[256];
		snprintf(trial, sizeof trial, "%.*s%s%.*s", (int)n, line, n ? " " : "",
		    (int)wl, text);
		if (n > 0 && font_text_width(f, trial, scale) > c->w - 16) {
			line[n] = '\0';
			y = draw_centred(c, f, y, scale, line);
			snprintf(line, sizeof line, "%.*s", (int)wl, text);
		} else
			snprintf(line, sizeof line, "%s", trial);
		n = strlen(line);
		text += wl;
		while (*text == ' ')
			text++;
	}
	if (n)
		y = draw_centred(c, f, y, scale, line);
	return y;
}

int ticket_print_png(const struct print_ticket *t, int width_mm, const struct font *f,
    char ecc, struct evbuffer *out)
{
	struct canvas c;
	QRcode *qr = qr_encode(t->url, ecc);
	int w = dots_of(width_mm), y = 16, scale, rc, n;
	char lines[INFO_MAX][INFO_LEN];

	if (qr == NULL)
		return -1;
	scale = (w - 32) / (qr->width + 2 * QR_QUIET);
	if (scale > 8)
		scale = 8;
	/* tall enough for everything; cropped to what was drawn below */
	if (canvas_init(&c, w, 2400) == -1) {
		QRcode_free(qr);
		return -1;
	}
	y = draw_wrapped(&c, f, y, 1, t->event_name);
	y = draw_centred(&c, f, y + 8, 1, "NOMOR ANTREAN");
	y = draw_centred(&c, f, y, 5, t->code);
	if (t->mark != NULL)
		y = draw_wrapped(&c, f, y + 4, 3, t->mark);
	y = draw_wrapped(&c, f, y + 4, 2, t->service_name);
	n = info_lines(t, lines);
	for (int i = 0; i < n; i++)
		y = draw_wrapped(&c, f, y, 1, lines[i]);
	y += 4;
	y += canvas_draw_qr(&c, qr, (w - (qr->width + 2 * QR_QUIET) * scale) / 2, y, scale);
	y = draw_wrapped(&c, f, y, 1, "Pindai untuk melihat antrean Anda");
	QRcode_free(qr);
	c.h = y + 16 < 2400 ? y + 16 : 2400;
	rc = png_write(&c, 1, out);
	canvas_free(&c);
	return rc;
}
