/*
 * route_public.h: what the other routes share of route_public.c: the check
 * of a ticket's signed link, for the routes a person (or a station scanning
 * a QR code) opens with ?sig= instead of a token; and the web files' way of
 * answering, for other bytes that are sent like them (the spoken calls).
 */
#ifndef ANTRE_ROUTE_PUBLIC_H
#define ANTRE_ROUTE_PUBLIC_H

#include "queue.h"

/* 1 when the request's ?sig= belongs to this store ticket of this event;
 * constant time. */
int public_signature_ok(const struct req *r, const struct event_def *ev,
    const struct cJSON *ticket);

/* 200 with len bytes of buf (the caller's) as a web file is sent:
 * Cache-Control no-cache and an ETag of the bytes, or 304 when the
 * request's If-None-Match names it. */
void public_reply_cacheable(struct req *r, const char *type, const void *buf, size_t len);

#endif
