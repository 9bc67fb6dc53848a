/*
 * cli_qr.h: QR codes in the terminal, as UTF-8 half blocks.
 *
 * Each text line shows two module rows: "█" both lit, "▀" top lit, "▄"
 * bottom lit, " " neither.  "Lit" is drawn in the terminal's foreground
 * colour.  By default the LIGHT modules are lit, so on the usual light
 * text on a dark background a camera sees dark modules on a light field,
 * as printed codes are (what `qrencode -t UTF8` does); `invert` lights the
 * dark modules instead, for dark text on a light background.
 *
 * The code is surrounded by a quiet zone of CLI_QR_MARGIN light modules;
 * module rows are padded with one more light row at the bottom when their
 * count is odd (QR widths always are), so the bottom margin is one row
 * deeper than the top.
 */
#ifndef ANTRE_CLI_QR_H
#define ANTRE_CLI_QR_H

#include <stdio.h>

#define CLI_QR_MARGIN 4

/*
 * Encodes `text` (ECC level M, the smallest version that fits, all of it
 * one 8-bit segment) and prints it to fp.  0, or -1 with errno set (the text
 * does not fit in a QR code, out of memory, or a write error).
 */
int cli_qr_print(FILE *fp, const char *text, int invert);

/*
 * Prints a module grid: `modules` is width x width bytes, row by row, bit 0
 * set for a dark module (libqrencode's layout).  0, or -1 on a write error.
 */
int cli_qr_render(FILE *fp, const unsigned char *modules, int width, int invert);

#endif
