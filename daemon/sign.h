/*
 * sign.h: signed ticket links.  A ticket's public status link carries an
 * HMAC-SHA256 over event, id and issue time with the deployment secret,
 * truncated to 96 bits and base64url-encoded (16 characters) to keep the
 * QR code small.  Also the keyed hash that stands in for a NIK.
 */
#ifndef ANTRE_SIGN_H
#define ANTRE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_LEN 16
#define SIGN_PERSON_LEN 32

/* Writes the signature and a NUL into out (SIGN_LEN + 1 bytes). */
void sign_ticket(const unsigned char *secret, size_t secret_len, const char *event,
    const char *id, int64_t issued_at_ms, char *out);

/* 1 when sig is the ticket's signature, compared in constant time; else 0. */
int sign_ticket_verify(const unsigned char *secret, size_t secret_len,
    const char *event, const char *id, int64_t issued_at_ms, const char *sig);

/* The ticket's public status link, "PUBLIC_URL/t/EVENT/ID?sig=SIG", the
 * payload of its QR code. */
void sign_status_url(const char *public_url, const unsigned char *secret,
    size_t secret_len, const char *event, const char *id, int64_t issued_at_ms,
    char *buf, size_t size);

/* A keyed hash of a NIK, hex (SIGN_PERSON_LEN + 1 bytes): lets the store
 * refuse a second ticket for one person without ever holding the NIK. */
void sign_person(const unsigned char *secret, size_t secret_len, const char *event,
    const char *nik, char *out);

#endif
