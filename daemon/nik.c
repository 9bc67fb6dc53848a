/*
 * nik.c: parsing and checking of Indonesian NIKs, and their keyed hash
 * (see nik.h).  Nothing here stores, logs or prints the NIK.
 */
#include "nik.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#define PERSON_INFO "antre person key v1"
#define CAMPAIGN_INFO "antre campaign person v1"
#define INT_MAX_LEN 0x7fffffff   /* OpenSSL takes these lengths as int */

#define NIK_LEN 16

/* Value of the n decimal digits at s (already checked to be digits). */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Province codes in use: Aceh..Babel, Kepri, Java, Nusa Tenggara,
 * Kalimantan, Sulawesi, Maluku, and the Papua provinces. */
static bool province_known(int p)
{
	return (p >= 11 && p <= 19) || p == 21 || (p >= 31 && p <= 36) ||
	    (p >= 51 && p <= 53) || (p >= 61 && p <= 65) ||
	    (p >= 71 && p <= 76) || (p >= 81 && p <= 82) ||
	    (p >= 91 && p <= 96);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Negative, zero or positive as y1-m1-d1 is before, on or after y2-m2-d2. */
static int date_cmp(int y1, int m1, int d1, int y2, int m2, int d2)
{
	if (y1 != y2)
		return y1 < y2 ? -1 : 1;
	if (m1 != m2)
		return m1 < m2 ? -1 : 1;
	if (d1 != d2)
		return d1 < d2 ? -1 : 1;
	return 0;
}

/* A NULL out only validates. */
enum nik_result nik_parse(const char *s, int today_y, int today_m, int today_d,
    struct nik_info *out)
{
	if (s == NULL || strnlen(s, NIK_LEN + 1) != NIK_LEN)
		return NIK_BAD_LENGTH;
	for (int i = 0; i < NIK_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return NIK_BAD_DIGIT;

	if (!province_known(digits(s, 2)) || digits(s + 2, 2) == 0 ||
	    digits(s + 4, 2) == 0)
		return NIK_BAD_REGION;

	int day = digits(s + 6, 2);
	int month = digits(s + 8, 2);
	int year = 2000 + digits(s + 10, 2);
	bool female = day > 40;

	if (female)
		day -= 40;
	if (day < 1 || day > 31 || month < 1 || month > 12)
		return NIK_BAD_DATE;
	if (date_cmp(year, month, day, today_y, today_m, today_d) > 0)
		year -= 100;
	if (day > days_in_month(year, month) ||
	    date_cmp(year, month, day, today_y, today_m, today_d) > 0)
		return NIK_BAD_DATE;

	int serial = digits(s + 12, 4);

	if (serial == 0)
		return NIK_BAD_SERIAL;

	if (out != NULL) {
		memcpy(out->district, s, 6);
		out->district[6] = '\0';
		out->birth_year = year;
		out->birth_month = month;
		out->birth_day = day;
		out->female = female;
		out->serial = serial;
	}
	return NIK_OK;
}

/* Someone born on 29 February turns a year older on 1 March in other years. */
int nik_age(const struct nik_info *n, int y, int m, int d)
{
	int age = y - n->birth_year;

	if (date_cmp(0, m, d, 0, n->birth_month, n->birth_day) < 0)
		age--;
	return age;
}

const char *nik_result_message(enum nik_result r)
{
	switch (r) {
	case NIK_OK:
		return "NIK is valid";
	case NIK_BAD_LENGTH:
		return "NIK must be 16 digits";
	case NIK_BAD_DIGIT:
		return "NIK must contain only digits";
	case NIK_BAD_REGION:
		return "NIK has an unknown region code";
	case NIK_BAD_DATE:
		return "NIK has an invalid birth date";
	case NIK_BAD_SERIAL:
		return "NIK has an invalid serial number";
	}
	return "NIK is invalid";
}

int nik_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
    const unsigned char *salt, size_t salt_len,
    const unsigned char *info, size_t info_len,
    unsigned char *out, size_t out_len)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t len = out_len;
	int rc = -1;

	if (pctx == NULL || ikm_len > (size_t)INT_MAX_LEN || salt_len > (size_t)INT_MAX_LEN ||
	    info_len > (size_t)INT_MAX_LEN)
		goto done;
	if (EVP_PKEY_derive_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(pctx, ikm, (int)ikm_len) <= 0 ||
	    (salt_len > 0 && EVP_PKEY_CTX_set1_hkdf_salt(pctx, salt, (int)salt_len) <= 0) ||
	    (info_len > 0 && EVP_PKEY_CTX_add1_hkdf_info(pctx, info, (int)info_len) <= 0) ||
	    EVP_PKEY_derive(pctx, out, &len) <= 0 || len != out_len)
		goto done;
	rc = 0;
done:
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* HMAC-SHA256 of msg under the key HKDF derives from secret with info,
 * as hex into out; 0 or -1 (out ""). */
static int keyed_hex(const unsigned char *secret, size_t secret_len, const char *info,
    const char *msg, size_t len, char *out)
{
	unsigned char key[32], mac[32];
	unsigned int maclen = 0;
	int rc = -1;

	out[0] = '\0';
	/* one key for each purpose: the secret's own HMAC signs tickets */
	if (nik_hkdf_sha256(secret, secret_len, NULL, 0, (const unsigned char *)info,
	    strlen(info), key, sizeof key) == -1)
		return -1;
	if (HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)msg, len,
	    mac, &maclen) != NULL && maclen == sizeof mac) {
		for (size_t i = 0; i < sizeof mac; i++)
			sprintf(out + 2 * i, "%02x", mac[i]);
		rc = 0;
	}
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

int nik_person_key(const unsigned char *secret, size_t secret_len, const char *event,
    const char *day, const char *nik, char *out)
{
	char msg[192];
	int n, rc = -1;

	out[0] = '\0';
	n = snprintf(msg, sizeof msg, "%s\n%s\n%s", event, day, nik);
	if (n > 0 && (size_t)n < sizeof msg)
		rc = keyed_hex(secret, secret_len, PERSON_INFO, msg, (size_t)n, out);
	OPENSSL_cleanse(msg, sizeof msg);
	return rc;
}

int nik_campaign_key(const unsigned char *secret, size_t secret_len, const char *nik,
    char *out)
{
	return keyed_hex(secret, secret_len, CAMPAIGN_INFO, nik, strlen(nik), out);
}
