/* sign.c: HMAC-SHA256 ticket signatures and person keys. */
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

/*
 * HMAC-SHA256 of msg under key.  OpenSSL 3's one-shot HMAC() fetches the
 * algorithm and derives the key's pads on every call, which was a tenth of
 * antred's work per ticket issued; the daemon signs with one secret, so a
 * context keyed with the last key is kept (per thread) and re-initialised
 * with that key per message.  Another key (the tests use two) rekeys it.
 */
static _Thread_local struct {
	EVP_MAC_CTX *ctx;
	unsigned char key[64];
	size_t keylen;
} mac_cache;

static EVP_MAC_CTX *hmac_ctx(const unsigned char *key, size_t keylen)
{
	static _Thread_local EVP_MAC *mac;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_END
	};

	if (keylen > sizeof mac_cache.key)
		return NULL;
	if (mac_cache.ctx && mac_cache.keylen == keylen && memcmp(mac_cache.key, key, keylen) == 0)
		return EVP_MAC_init(mac_cache.ctx, NULL, 0, NULL) == 1 ? mac_cache.ctx : NULL;
	if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	if (mac_cache.ctx == NULL && (mac_cache.ctx = EVP_MAC_CTX_new(mac)) == NULL)
		return NULL;
	mac_cache.keylen = 0;
	if (EVP_MAC_init(mac_cache.ctx, key, keylen, params) != 1)
		return NULL;
	memcpy(mac_cache.key, key, keylen);
	mac_cache.keylen = keylen;
	return mac_cache.ctx;
}

static void hmac(const unsigned char *key, size_t keylen, const char *msg,
    unsigned char out[32])
{
	EVP_MAC_CTX *c = hmac_ctx(key, keylen);
	unsigned int len = 32;
	size_t n = 0;

	if (c && EVP_MAC_update(c, (const unsigned char *)msg, strlen(msg)) == 1 &&
	    EVP_MAC_final(c, out, &n, 32) == 1 && n == 32)
		return;
	/* a key longer than the cache holds, or OpenSSL out of memory */
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    strlen(msg), out, &len) == NULL)
		memset(out, 0, 32);    /* cannot happen with SHA-256; never verifies */
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

void sign_ticket(const unsigned char *secret, size_t secret_len, const char *event,
    const char *id, int64_t issued_at_ms, char *out)
{
	char buf[256], *msg = buf;
	unsigned char mac[32];
	int n;

	/* the event and the issue time are in the message, so a signature
	 * is worth nothing for another event or a reissued id; the whole of
	 * it is signed, however long (a cut message would verify for others) */
	n = snprintf(buf, sizeof buf, "antre-ticket\n%s\n%s\n%lld", event, id,
	    (long long)issued_at_ms);
	if (n >= (int)sizeof buf) {
		if ((msg = malloc((size_t)n + 1)) == NULL)
			abort();             /* out of memory: nothing sane to sign */
		snprintf(msg, (size_t)n + 1, "antre-ticket\n%s\n%s\n%lld", event, id,
		    (long long)issued_at_ms);
	}
	hmac(secret, secret_len, msg, mac);
	if (msg != buf)
		free(msg);
	base64url(mac, SIGN_LEN / 4 * 3, out);
}

int sign_ticket_verify(const unsigned char *secret, size_t secret_len,
    const char *event, const char *id, int64_t issued_at_ms, const char *sig)
{
	char want[SIGN_LEN + 1];

	if (sig == NULL || strlen(sig) != SIGN_LEN)
		return 0;
	sign_ticket(secret, secret_len, event, id, issued_at_ms, want);
	return CRYPTO_memcmp(want, sig, SIGN_LEN) == 0;
}

void sign_status_url(const char *public_url, const unsigned char *secret,
    size_t secret_len, const char *event, const char *id, int64_t issued_at_ms,
    char *buf, size_t size)
{
	char sig[SIGN_LEN + 1];

	sign_ticket(secret, secret_len, event, id, issued_at_ms, sig);
	snprintf(buf, size, "%s/t/%s/%s?sig=%s", public_url, event, id, sig);
}

void sign_person(const unsigned char *secret, size_t secret_len, const char *event,
    const char *nik, char *out)
{
	char msg[128];
	unsigned char mac[32];

	snprintf(msg, sizeof msg, "antre-person\n%s\n%s", event, nik);
	hmac(secret, secret_len, msg, mac);
	for (int i = 0; i < SIGN_PERSON_LEN / 2; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	OPENSSL_cleanse(msg, sizeof msg);
}
