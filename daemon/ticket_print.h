/*
 * ticket_print.h: the whole printable ticket, for 58 mm and 80 mm ESC/POS
 * thermal printers and as a PNG of the same layout.
 */
#ifndef ANTRE_TICKET_PRINT_H
#define ANTRE_TICKET_PRINT_H

struct evbuffer;
struct font;

/* What goes on paper; every string UTF-8 and owned by the caller. */
struct print_ticket {
	const char *event_name;
	const char *code;
	const char *service_name;
	const char *priority;    /* its name for people: "Lansia" */
	const char *area;        /* its name, or a NIK's district code; "" = none */
	const char *mark;        /* NULL, or a word in large print under the code:
				  * what became of a ticket no longer waiting its turn */
	const char *issued;      /* "23/11/2026 08:15 WIB" */
	int position;            /* ahead at its stage, -1 to leave out */
	const char *url;         /* the QR payload: the signed status link */
};

/*
 * Appends the ESC/POS byte stream: initialise, event name, the code in
 * large print, the mark, service, priority, area, time, position, the QR
 * (the printer's own GS ( k command, or with raster set a GS v 0 bitmap
 * drawn here), a line in Bahasa Indonesia, feed and cut.  Every word not
 * the caller's is Bahasa Indonesia.  width_mm is 58 or 80.  0 or -1.
 */
int ticket_print_escpos(const struct print_ticket *t, int width_mm, int raster,
    char ecc, struct evbuffer *out);

/* Appends the same layout, its lines from the same text, as a 1-bit PNG,
 * 384 or 576 pixels wide (the printers' dot widths).  0 or -1. */
int ticket_print_png(const struct print_ticket *t, int width_mm, const struct font *font,
    char ecc, struct evbuffer *out);

#endif
