/*
 * nik.h: the Indonesian national identity number (NIK, 16 digits).
 *
 * Layout: PP KK DD  DDMMYY  SSSS
 *   PP province, KK regency/city, DD district (kecamatan) code;
 *   DDMMYY date of birth, with 40 added to the day for women;
 *   SSSS a serial, 0001..9999.
 * The NIK itself is never stored, logged or returned by antre: callers keep
 * only what nik_parse extracts (age band, kecamatan code) and a keyed hash.
 */
#ifndef ANTRE_NIK_H
#define ANTRE_NIK_H

#include <stdbool.h>
#include <stddef.h>

#define NIK_PERSON_LEN 64    /* hex digits of a person key */

enum nik_result {
	NIK_OK = 0,
	NIK_BAD_LENGTH,  /* not exactly 16 characters */
	NIK_BAD_DIGIT,   /* a character that is not 0-9 */
	NIK_BAD_REGION,  /* unknown province, or regency/district 00 */
	NIK_BAD_DATE,    /* no such birth date, or one in the future */
	NIK_BAD_SERIAL   /* serial 0000 */
};

struct nik_info {
	char district[7];    /* kecamatan code "PPKKDD", NUL-terminated */
	int birth_year;      /* four digits, century resolved against today */
	int birth_month;     /* 1..12 */
	int birth_day;       /* 1..31, the 40 for women already removed */
	bool female;
	int serial;
};

/*
 * Parses and checks `s` against today's date (year, month 1..12, day 1..31,
 * event-local).  A two-digit birth year is taken in this century unless that
 * would be after today, then in the previous one.  Fills *out on NIK_OK.
 */
enum nik_result nik_parse(const char *s, int today_y, int today_m, int today_d,
    struct nik_info *out);

/* Age in whole years on the given date. */
int nik_age(const struct nik_info *n, int y, int m, int d);

/* A short English reason for a result, for error messages. */
const char *nik_result_message(enum nik_result r);

/*
 * HKDF-SHA256 (RFC 5869), extract then expand, through OpenSSL's
 * EVP_PKEY_HKDF: out_len (at most 255 * 32) bytes of keying material from
 * ikm, salt (may be empty) and info.  0, or -1 when libcrypto fails.
 */
int nik_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
    const unsigned char *salt, size_t salt_len,
    const unsigned char *info, size_t info_len,
    unsigned char *out, size_t out_len);

/*
 * The person key of a NIK: HMAC-SHA256, keyed with a key derived from the
 * deployment secret for this one purpose (HKDF, info "antre person key
 * v1"), over the event and the event-local day (YYYYMMDD).  The same for
 * one person on one day of one event, and unrelated across days and
 * events: it cannot link a person's visits.  out gets NIK_PERSON_LEN hex
 * digits and a NUL.  0, or -1 when libcrypto fails (out is then "").
 */
int nik_person_key(const unsigned char *secret, size_t secret_len, const char *event,
    const char *day, const char *nik, char *out);

/*
 * The campaign person key of a NIK: HMAC-SHA256 of the NIK alone, keyed
 * with a key derived from the deployment secret for this purpose only
 * (HKDF, info "antre campaign person v1").  The same person at every event
 * and on every day, so that a second dose finds the first (the coverage
 * records, kept coverage-retention-days); unrelated to nik_person_key.  out
 * gets NIK_PERSON_LEN hex digits and a NUL.  0, or -1 when libcrypto fails
 * (out is then "").
 */
int nik_campaign_key(const unsigned char *secret, size_t secret_len, const char *nik,
    char *out);

#endif
