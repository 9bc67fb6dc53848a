/*
 * fuzz_sign.c: sign_ticket_verify on arbitrary event, id, time, signature
 * and key.
 *
 * Input layout:  K key[K % 65]  time[8, little endian]  event \0 id \0 sig
 * (missing parts are empty; a sig part that is absent means "NULL").
 *
 * Verification must never crash, and must accept exactly one signature:
 * the one recomputed here, independently of sign.c, as the first 96 bits
 * of HMAC-SHA256(key, "antre-ticket\nEVENT\nID\nTIME") in base64url.  So
 * the fuzzed sig must verify iff it equals that; sign_ticket's own output
 * must equal it and verify; and that signature with any one character
 * changed must not verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_MAX 64

/* Up to 60 bytes of s, C-escaped. */
static void put_escaped(const char *label, const char *s)
{
	size_t n = strlen(s);

	fprintf(stderr, "  %s (%zu bytes) \"", label, n);
	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "%s\"\n", n > 60 ? "..." : "");
}

static void fail_sign(const char *what, const char *event, const char *id,
    int64_t t, const char *sig, const char *want)
{
	fprintf(stderr, "fuzz_sign: %s\n", what);
	put_escaped("event", event);
	put_escaped("id", id);
	fprintf(stderr, "  time %lld\n", (long long)t);
	put_escaped("sig", sig ? sig : "(NULL)");
	fprintf(stderr, "  want \"%s\"\n", want);
	abort();
}

/* The reference signature, over the whole message whatever its length. */
static void reference(const unsigned char *key, size_t keylen, const char *event,
    const char *id, int64_t t, char out[SIGN_LEN + 1])
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *msg;
	int n;

	n = snprintf(NULL, 0, "antre-ticket\n%s\n%s\n%lld", event, id, (long long)t);
	if (n < 0 || (msg = malloc((size_t)n + 1)) == NULL)
		abort();
	snprintf(msg, (size_t)n + 1, "antre-ticket\n%s\n%s\n%lld", event, id, (long long)t);
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, (size_t)n,
	    mac, &maclen) == NULL || maclen != 32)
		abort();
	free(msg);
	/* 12 bytes, 16 characters: 6 bits each, most significant first */
	for (int i = 0; i < SIGN_LEN; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)mac[byte] << 8 | (byte + 1 < 12 ? mac[byte + 1] : 0);
		out[i] = a[(v >> (10 - shift)) & 63];
	}
	out[SIGN_LEN] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[KEY_MAX];
	size_t keylen, off = 0;
	uint64_t u = 0;
	int64_t t;
	char *rest, *event, *id, *sig = NULL, *nul;
	char want[SIGN_LEN + 1], got[SIGN_LEN + 1], bad[SIGN_LEN + 1];

	if (size < 1)
		return 0;
	keylen = data[off++] % (KEY_MAX + 1);
	if (size - off < keylen + 8)
		return 0;
	memcpy(key, data + off, keylen);
	off += keylen;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)data[off + i] << (8 * i);
	off += 8;
	memcpy(&t, &u, sizeof t);

	/* event \0 id \0 sig: one NUL-terminated copy, split in place */
	if ((rest = malloc(size - off + 1)) == NULL)
		abort();
	memcpy(rest, data + off, size - off);
	rest[size - off] = '\0';
	event = rest;
	id = rest + strlen(rest);             /* "" unless a NUL follows */
	if ((size_t)(id - rest) < size - off) {
		id++;
		nul = id + strlen(id);
		if ((size_t)(nul - rest) < size - off)
			sig = nul + 1;
	}

	reference(key, keylen, event, id, t, want);
	if (sign_ticket_verify(key, keylen, event, id, t, sig) !=
	    (sig != NULL && strcmp(sig, want) == 0))
		fail_sign("verify disagrees with the reference", event, id, t, sig, want);

	sign_ticket(key, keylen, event, id, t, got);
	if (strcmp(got, want) != 0)
		fail_sign("sign_ticket differs from the reference", event, id, t, got, want);
	if (!sign_ticket_verify(key, keylen, event, id, t, want))
		fail_sign("the exact signature is refused", event, id, t, want, want);
	for (int i = 0; i < SIGN_LEN; i++) {
		memcpy(bad, want, sizeof bad);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (sign_ticket_verify(key, keylen, event, id, t, bad))
			fail_sign("a changed signature is accepted", event, id, t, bad, want);
	}
	free(rest);
	return 0;
}
