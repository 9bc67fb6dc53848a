/*
 * qr.h: QR codes (libqrencode) and their renderings: PNG (libpng), SVG,
 * and the grey canvas that printable tickets are drawn on.
 */
#ifndef ANTRE_QR_H
#define ANTRE_QR_H

#include <stddef.h>

#include <qrencode.h>

struct evbuffer;

#define QR_QUIET 4          /* modules of light border, as the standard asks */

/* Encodes text (8-bit mode, auto version) at ecc 'L', 'M', 'Q' or 'H';
 * NULL when it cannot.  Free with QRcode_free. */
QRcode *qr_encode(const char *text, char ecc);

/* 1 when module (x, y) of the code is dark. */
int qr_dark(const QRcode *qr, int x, int y);

/* An 8-bit grey image, 0 black .. 255 white. */
struct canvas {
	int w, h;
	unsigned char *px;
};

/* White canvas; 0 or -1 when out of memory (or absurd size). */
int canvas_init(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
/* Draws the code with its quiet zone, `scale` pixels a module, top left at
 * (x, y); returns the side in pixels. */
int canvas_draw_qr(struct canvas *c, const QRcode *qr, int x, int y, int scale);

/* Appends the canvas as PNG, 1-bit (depth 1, threshold at 128) or 8-bit
 * grey (depth 8).  0 or -1. */
int png_write(const struct canvas *c, int depth, struct evbuffer *out);

/* Appends the code as one SVG path on a white square, a unit a module. */
int qr_write_svg(const QRcode *qr, struct evbuffer *out);

#endif
