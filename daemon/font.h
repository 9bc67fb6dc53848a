/*
 * font.h: console bitmap fonts (PSF1 and PSF2, gzipped or not, such as
 * Debian's /usr/share/consolefonts/Lat15-TerminusBold16.psf.gz), to draw
 * text on printable ticket images.
 */
#ifndef ANTRE_FONT_H
#define ANTRE_FONT_H

#include "qr.h"

#define FONT_MAP_SIZE 0x2500   /* code points mapped: Latin, punctuation, boxes */

struct font {
	int w, h;                /* glyph size in pixels */
	int row_bytes;           /* bytes per glyph row */
	int nglyphs;
	int glyph_bytes;
	unsigned char *glyphs;
	int map[FONT_MAP_SIZE];  /* code point to glyph, -1 when absent */
};

/* Loads a PSF font; 0, or -1 with the reason in err (128 bytes). */
int font_load(const char *path, struct font *f, char *err);
void font_free(struct font *f);

/* Width in pixels of UTF-8 text at a whole-number scale. */
int font_text_width(const struct font *f, const char *text, int scale);
/* Draws UTF-8 text in black, top left at (x, y); unknown characters as '?'. */
void font_draw(const struct font *f, struct canvas *c, int x, int y, int scale,
    const char *text);

/* The next code point of UTF-8 text (advancing *s); U+FFFD for bad bytes. */
unsigned font_next_codepoint(const char **s);

#endif
