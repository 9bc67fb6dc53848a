/* config.c: the configuration table and its parser. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum key_type { KEY_INT, KEY_PATH, KEY_STRING, KEY_LISTEN, KEY_REDIS,
	KEY_TOKEN, KEY_LOG_LEVEL, KEY_ECC, KEY_ADDR, KEY_WORKERS };

struct config_key {
	const char *name;
	enum key_type type;
	size_t offset;          /* into struct config */
	size_t size;            /* of the target, for strings */
	const char *def;        /* default as it would be written in the file */
	long min, max;          /* bounds, for KEY_INT */
	const char *help;
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

/* Every key antred knows.  Repeatable keys (listen, token) have no default
 * here: listen falls back to 127.0.0.1:8080 after the file is read. */
static const struct config_key config_keys[] = {
	{ "listen", KEY_LISTEN, F(listen), NULL, 0, 0, "HOST:PORT to serve HTTP on (repeatable)" },
	{ "redis", KEY_REDIS, F(redis), "redis://127.0.0.1:6379/0", 0, 0, "redis://[USER:PASSWORD@]HOST:PORT/DB, unix:/path[?db=N&user=U&password=P] or redis-sentinel://[USER:PASSWORD@]HOST:PORT,HOST:PORT.../DB?master=NAME" },
	{ "secret-file", KEY_PATH, F(secret_file), "/var/lib/antre/secret", 0, 0, "HMAC key, created if missing" },
	{ "token", KEY_TOKEN, F(tokens), NULL, 0, 0, "ROLE VALUE (repeatable)" },
	{ "events-dir", KEY_PATH, F(events_dir), "/etc/antre/events", 0, 0, "one JSON file per event" },
	{ "web-root", KEY_PATH, F(web_root), "/usr/local/share/antre/web", 0, 0, "static web pages" },
	{ "public-url", KEY_STRING, F(public_url), "http://127.0.0.1:8080", 0, 0, "base URL printed in QR links" },
	{ "log-level", KEY_LOG_LEVEL, F(log_level), "info", 0, 0, "error, warn, info or debug" },
	{ "max-body-bytes", KEY_INT, F(max_body_bytes), "16384", 256, 1 << 20, "largest request body" },
	{ "areas-max-rows", KEY_INT, F(areas_max_rows), "100000", 1, 100000, "rows an area file (PUT /v1/areas) may have at most; its bytes are bounded by max-body-bytes" },
	{ "max-header-bytes", KEY_INT, F(max_header_bytes), "8192", 1024, 1 << 16, "largest request head" },
	{ "http-timeout", KEY_INT, F(http_timeout_s), "30", 1, 3600, "seconds a connection may stay silent, or take to send a whole request" },
	{ "workers", KEY_WORKERS, F(workers), "1", 1, CONFIG_MAX_WORKERS, "processes serving on the same ports (SO_REUSEPORT): 1 to 64, or auto for one a core" },
	{ "max-connections", KEY_INT, F(max_connections), "16000", 1, 1000000, "open HTTP connections at most" },
	{ "max-connections-per-address", KEY_INT, F(max_connections_per_address), "4096", 1, 1000000, "open HTTP connections from one client address (an IPv6 /64) at most" },
	{ "max-streams-per-address", KEY_INT, F(max_streams_per_address), "2048", 1, 1000000, "live streams opened without a token from one client address at most" },
	{ "staff-reserve-connections", KEY_INT, F(staff_reserve_connections), "512", 0, 1000000, "connections of max-connections kept for token holders (at most half)" },
	{ "auth-fail-limit", KEY_INT, F(auth_fail_limit), "10", 1, 100000, "wrong bearer tokens one address may send in auth-fail-window before 429" },
	{ "auth-fail-window", KEY_INT, F(auth_fail_window_s), "60", 1, 86400, "seconds of the failed-token window" },
	{ "redis-timeout-ms", KEY_INT, F(redis_timeout_ms), "2000", 50, 60000, "Redis reply deadline before 503" },
	{ "trusted-proxy", KEY_ADDR, F(trusted_proxy), NULL, 0, 0, "the reverse proxy's IP address: the per-address limits count X-Forwarded-For's client on its connections" },
	{ "redis-min-replicas", KEY_INT, F(redis_min_replicas), "0", 0, 16, "replicas every write must reach (WAIT, within redis-timeout-ms / 2) before it is answered; short of them, 503" },
	{ "sse-max-buffer", KEY_INT, F(sse_max_buffer), "65536", 4096, 16 << 20, "bytes a live stream may fall behind before it is cut" },
	{ "sse-heartbeat", KEY_INT, F(sse_heartbeat_s), "15", 1, 300, "seconds between keep-alive comments on streams" },
	{ "retention-days", KEY_INT, F(retention_days), "30", 1, 3650, "days a ticket is kept in Redis after its day's last issue" },
	{ "coverage-retention-days", KEY_INT, F(coverage_retention_days), "730", 1, 3650, "days a person's dose records are kept after their last dose (the campaign's coverage)" },
	{ "dose-overdue-after-days", KEY_INT, F(dose_overdue_after_days), "28", 1, 365, "days after dose 2 falls due before it counts as overdue" },
	{ "sse-board-every", KEY_INT, F(sse_board_every_s), "30", 1, 3600, "seconds between whole boards on a display stream while things change (the changes go as `delta` events between)" },
	{ "sse-max-lifetime", KEY_INT, F(sse_max_lifetime_s), "3600", 5, 86400, "seconds a live stream lasts before it is ended (clients reconnect with Last-Event-ID)" },
	{ "idle-minutes", KEY_INT, F(idle_minutes), "5", 1, 240, "minutes without a call before an open station with people waiting is idle" },
#ifdef ANTRE_TEST_CLOCK
	/* only in antred-test, the tests' build: never in a production binary */
	{ "test-clock", KEY_INT, F(test_clock), "0", 0, 1, "scripts take the time from the key test:clock" },
#endif
	{ "qr-ecc", KEY_ECC, F(qr_ecc), "M", 0, 0, "QR error correction: L, M, Q or H" },
	{ "ticket-font", KEY_PATH, F(ticket_font), "/usr/share/consolefonts/Lat15-TerminusBold16.psf.gz", 0, 0, "PSF font for ticket.png" },
	{ "speech", KEY_INT, F(speech), "1", 0, 1, "1: calls are said as WAV (libespeak-ng) for TVs without an Indonesian voice; 0: not" },
	{ "speech-voice", KEY_STRING, F(speech_voice), "id", 0, 0, "the espeak-ng voice of the calls" },
	{ "speech-rate", KEY_INT, F(speech_rate_wpm), "150", 80, 400, "words a minute of the calls" },
	{ "speech-data", KEY_PATH, F(speech_data), NULL, 0, 0, "espeak-ng-data directory (or its parent); unset: espeak-ng's own" },
};

#define NKEYS (sizeof config_keys / sizeof config_keys[0])

static const char *const role_names[] = { "none", "desk", "station", "organiser", "admin" };

const char *config_role_name(enum role r)
{
	if ((unsigned)r >= sizeof role_names / sizeof role_names[0])
		return "none";
	return role_names[r];
}

int config_role_parse(const char *name, enum role *out)
{
	for (int i = ROLE_DESK; i <= ROLE_ADMIN; i++)
		if (strcmp(name, role_names[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	return -1;
}

/* s as a whole decimal number (nothing after it, no overflow): 0, or -1. */
static int parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int parse_port(const char *s, int *port)
{
	long v;

	if (!isdigit((unsigned char)*s) || parse_long(s, &v) == -1 || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

int config_parse_listen(const char *s, struct listen_addr *out)
{
	const char *colon, *host = s;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof out->host)
		return -1;
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	return parse_port(colon + 1, &out->port);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes at s, percent-decoded, into dst (size bytes with the NUL); -1 for
 * a bad escape, %00 or too long. */
static int pct_decode(const char *s, size_t n, char *dst, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/* "unix:" query: db=N, user=U, password=P, joined by &. */
static int parse_unix_query(char *q, struct redis_addr *out)
{
	for (char *kv = strtok(q, "&"); kv; kv = strtok(NULL, "&")) {
		char *eq = strchr(kv, '=');
		if (eq == NULL)
			return -1;
		*eq++ = '\0';
		if (strcmp(kv, "db") == 0) {
			long db;
			if (parse_long(eq, &db) == -1 || db < 0 || db > 15)
				return -1;
			out->db = (int)db;
		} else if (strcmp(kv, "user") == 0) {
			if (pct_decode(eq, strlen(eq), out->user, sizeof out->user) == -1 ||
			    out->user[0] == '\0')
				return -1;
		} else if (strcmp(kv, "password") == 0) {
			if (pct_decode(eq, strlen(eq), out->password, sizeof out->password) == -1 ||
			    out->password[0] == '\0')
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* p's "[USER]:PASSWORD@" (the default user without USER; the last @ ends
 * it, so a password may hold a raw @ too), percent-decoded into out;
 * returns what follows it, or NULL when it is malformed. */
static char *parse_userinfo(char *p, struct redis_addr *out)
{
	char *at = strrchr(p, '@'), *sep;

	if (at == NULL)
		return p;
	if ((sep = memchr(p, ':', (size_t)(at - p))) == NULL ||
	    pct_decode(p, (size_t)(sep - p), out->user, sizeof out->user) == -1 ||
	    pct_decode(sep + 1, (size_t)(at - sep - 1), out->password,
	    sizeof out->password) == -1 || out->password[0] == '\0')
		return NULL;
	return at + 1;
}

/* "HOST[:PORT]" or "[V6]:PORT" into host (size bytes) and port (def when
 * none is given); 0 or -1.  p is changed. */
static int parse_hostport(char *p, char *host, size_t size, int *port, int def)
{
	char *colon = strrchr(p, ':');

	*port = def;
	if (p[0] == '[') {
		char *close = strchr(p, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		colon = close[1] == ':' ? close + 1 : NULL;
		*close = '\0';
		p++;
	}
	if (colon != NULL) {
		*colon = '\0';
		if (parse_port(colon + 1, port) == -1)
			return -1;
	}
	if (*p == '\0' || strlen(p) >= size)
		return -1;
	strcpy(host, p);
	return 0;
}

/* After "redis-sentinel://": userinfo, HOST:PORT,HOST:PORT..., /DB,
 * ?master=NAME (required). */
static int parse_sentinel(char *p, struct redis_addr *out)
{
	char *q = strchr(p, '?'), *slash, *node;
	long db = 0;

	if (q == NULL || strncmp(q, "?master=", 8) != 0 ||
	    pct_decode(q + 8, strlen(q + 8), out->master, sizeof out->master) == -1 ||
	    out->master[0] == '\0')
		return -1;
	*q = '\0';
	if ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		if (slash[1] != '\0' && (parse_long(slash + 1, &db) == -1 || db < 0 || db > 15))
			return -1;
	}
	out->db = (int)db;
	if ((p = parse_userinfo(p, out)) == NULL)
		return -1;
	while ((node = strsep(&p, ",")) != NULL) {   /* an empty one fails */
		struct sentinel_node *n = &out->sentinels[out->nsentinels];
		if (out->nsentinels == CONFIG_MAX_SENTINELS ||
		    parse_hostport(node, n->host, sizeof n->host, &n->port, 26379) == -1)
			return -1;
		out->nsentinels++;
	}
	return 0;
}

int config_parse_redis(const char *s, struct redis_addr *out)
{
	char buf[4096];
	char *p, *slash;
	long db = 0;

	memset(out, 0, sizeof *out);
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	if (strncmp(buf, "unix:", 5) == 0) {
		char *q = strchr(buf, '?');
		if (q) {
			*q++ = '\0';
			if (*q == '\0' || parse_unix_query(q, out) == -1)
				goto bad;
		}
		if (buf[5] != '/' || strlen(buf + 5) >= sizeof out->unix_path)
			goto bad;
		strcpy(out->unix_path, buf + 5);
		goto check;
	}
	if (strncmp(buf, "redis-sentinel://", 17) == 0) {
		if (parse_sentinel(buf + 17, out) == -1)
			goto bad;
		goto check;
	}
	if (strncmp(buf, "redis://", 8) != 0)
		return -1;
	p = buf + 8;
	if ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		if (slash[1] != '\0' && (parse_long(slash + 1, &db) == -1 || db < 0 || db > 15))
			goto bad;
	}
	if ((p = parse_userinfo(p, out)) == NULL ||
	    parse_hostport(p, out->host, sizeof out->host, &out->port, 6379) == -1)
		goto bad;
	out->db = (int)db;
check:
	if (out->user[0] && out->password[0] == '\0')
		goto bad;                /* a user without a password cannot AUTH */
	explicit_bzero(buf, sizeof buf);
	return 0;
bad:
	explicit_bzero(buf, sizeof buf);
	explicit_bzero(out, sizeof *out);
	return -1;
}

enum role config_token_role(const struct config *c, const char *token)
{
	return config_token_role_n(c, token, strlen(token));
}

enum role config_token_role_n(const struct config *c, const char *token, size_t len)
{
	unsigned found = ROLE_NONE;

	/* Compare against every token, all bytes, and pick the role without a
	 * branch or an address that depends on the bytes compared, so that
	 * timing tells nothing of which token matched or how much of it
	 * (tests/unit/test_token_ct.c checks this under valgrind). */
	for (int i = 0; i < c->ntokens; i++) {
		const struct token *t = &c->tokens[i];
		size_t tlen = strlen(t->value);
		unsigned diff = (unsigned)(tlen != len);
		unsigned match, role, less;
		for (size_t k = 0; k < tlen; k++)
			diff |= (unsigned char)(t->value[k] ^ (k < len ? token[k] : 0));
		/* 1 when diff is 0: (diff | -diff) has its top bit set otherwise */
		match = ((diff | (0u - diff)) >> (sizeof diff * CHAR_BIT - 1)) ^ 1u;
		role = (unsigned)t->role & (0u - match);
		/* found = max(found, role); both are small, so found - role has
		 * its top bit set exactly when found < role */
		less = (found - role) >> (sizeof found * CHAR_BIT - 1);
		found ^= (found ^ role) & (0u - less);
	}
	return (enum role)found;
}

/*
 * A token's length floor: 128 bits at the bits a character of its alphabet
 * can carry.  Digits only carry log2(10) = 3.3 bits, hex 4, base64url (and
 * anything wider) 6 for this count.  It measures the alphabet, not the
 * randomness: a made-up word of 22 letters passes, so tokens must come
 * from a random source (tools/run.sh, or the command in the message).
 */
static int only_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

static size_t token_min_length(const char *v)
{
	if (only_of(v, "0123456789"))
		return CONFIG_TOKEN_MIN_DIGITS;
	if (only_of(v, "0123456789abcdef") || only_of(v, "0123456789ABCDEF"))
		return CONFIG_TOKEN_MIN_HEX;
	return CONFIG_TOKEN_MIN;
}

static const char *token_alphabet(const char *v)
{
	if (only_of(v, "0123456789"))
		return "a token of digits only";
	if (only_of(v, "0123456789abcdef") || only_of(v, "0123456789ABCDEF"))
		return "a hex token";
	return "a token";
}

/* KEY_INT: a whole number within the key's bounds. */
static int set_int(const struct config_key *k, const char *val, int *dst,
    char *why, size_t whylen)
{
	long v;

	if (parse_long(val, &v) == -1) {
		snprintf(why, whylen, "%s: '%s' is not a whole number", k->name, val);
		return -1;
	}
	if (v < k->min || v > k->max) {
		snprintf(why, whylen, "%s: %ld is outside %ld..%ld", k->name, v, k->min, k->max);
		return -1;
	}
	*dst = (int)v;
	return 0;
}

/* KEY_TOKEN: "ROLE VALUE", one more token. */
static int set_token(struct config *c, const char *val, char *why, size_t whylen)
{
	char role[32], value[CONFIG_TOKEN_MAX + 2];
	struct token *t;

	if (sscanf(val, "%31s %129s", role, value) != 2) {
		snprintf(why, whylen, "token: expected ROLE VALUE");
		return -1;
	}
	if (c->ntokens == CONFIG_MAX_TOKENS) {
		snprintf(why, whylen, "token: at most %d tokens", CONFIG_MAX_TOKENS);
		return -1;
	}
	t = &c->tokens[c->ntokens];
	if (config_role_parse(role, &t->role) == -1) {
		snprintf(why, whylen, "token: unknown role '%s' (desk, station, organiser, admin)", role);
		return -1;
	}
	if (strlen(value) > CONFIG_TOKEN_MAX) {
		snprintf(why, whylen, "token: value must be at most %d characters",
		    CONFIG_TOKEN_MAX);
		return -1;
	}
	if (strlen(value) < token_min_length(value)) {
		snprintf(why, whylen, "token: too short to hold 128 bits: %s needs "
		    "at least %zu characters (make one with: "
		    "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n')",
		    token_alphabet(value), token_min_length(value));
		return -1;
	}
	strcpy(t->value, value);
	c->ntokens++;
	return 0;
}

/* Applies one key's value; 0, or -1 with the reason in why. */
static int config_set(struct config *c, const struct config_key *k,
    const char *val, char *why, size_t whylen)
{
	char *dst = (char *)c + k->offset;

	switch (k->type) {
	case KEY_INT:
		return set_int(k, val, (int *)(void *)dst, why, whylen);
	case KEY_PATH:
	case KEY_STRING:
		if (strlen(val) >= k->size) {
			snprintf(why, whylen, "%s: value too long", k->name);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case KEY_LISTEN:
		if (c->nlisten == CONFIG_MAX_LISTEN) {
			snprintf(why, whylen, "listen: at most %d addresses", CONFIG_MAX_LISTEN);
			return -1;
		}
		if (config_parse_listen(val, &c->listen[c->nlisten]) == -1) {
			snprintf(why, whylen, "listen: '%s' is not HOST:PORT", val);
			return -1;
		}
		c->nlisten++;
		return 0;
	case KEY_REDIS:
		if (config_parse_redis(val, &c->redis) == -1) {
			/* the value is not shown: it may hold a password */
			snprintf(why, whylen, "redis: not redis://[USER:PASSWORD@]HOST:PORT/DB, "
			    "unix:/path[?db=N&user=U&password=P] or "
			    "redis-sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT]/DB?master=NAME");
			return -1;
		}
		return 0;
	case KEY_TOKEN:
		return set_token(c, val, why, whylen);
	case KEY_ADDR: {
		unsigned char bin[16];
		if (strlen(val) >= k->size || (inet_pton(AF_INET, val, bin) != 1 &&
		    inet_pton(AF_INET6, val, bin) != 1)) {
			snprintf(why, whylen, "%s: '%s' is not an IPv4 or IPv6 address", k->name, val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	}
	case KEY_ECC:
		if (strlen(val) != 1 || strchr("LMQH", val[0]) == NULL) {
			snprintf(why, whylen, "%s: '%s' is not L, M, Q or H", k->name, val);
			return -1;
		}
		*dst = val[0];
		return 0;
	case KEY_WORKERS:
		if (strcmp(val, "auto") == 0) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			*(int *)(void *)dst = n < k->min ? (int)k->min : n > k->max ? (int)k->max : (int)n;
			return 0;
		}
		return set_int(k, val, (int *)(void *)dst, why, whylen);
	case KEY_LOG_LEVEL:
		if (log_level_parse(val, (enum log_level *)(void *)dst) == -1) {
			snprintf(why, whylen, "log-level: '%s' is not error, warn, info or debug", val);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct config_key *config_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

void config_defaults(struct config *c)
{
	char why[CONFIG_ERR_MAX];

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++)
		if (config_keys[i].def && config_set(c, &config_keys[i],
		    config_keys[i].def, why, sizeof why) == -1)
			fatalx("built-in default: %s", why);
}

/* Trims leading and trailing blanks in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load(struct config *c, const char *path, char *err)
{
	FILE *f;
	char line[1024], why[256];
	int lineno = 0;

	config_defaults(c);
	if (strlen(path) >= sizeof c->path) {
		snprintf(err, CONFIG_ERR_MAX, "%.200s...: path too long", path);
		return -1;
	}
	strcpy(c->path, path);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, CONFIG_ERR_MAX, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *key, *val, *p;
		const struct config_key *k;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(why, sizeof why, "line too long");
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		for (p = key; *p && !isspace((unsigned char)*p); p++)
			;
		val = trim(p);
		*p = '\0';
		if ((k = config_find(key)) == NULL) {
			snprintf(why, sizeof why, "unknown key '%s'", key);
			goto fail;
		}
		if (*val == '\0') {
			snprintf(why, sizeof why, "%s: missing value", key);
			goto fail;
		}
		if (config_set(c, k, val, why, sizeof why) == -1)
			goto fail;
	}
	if (ferror(f)) {
		snprintf(err, CONFIG_ERR_MAX, "%.200s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (c->nlisten == 0)
		config_parse_listen("127.0.0.1:8080", &c->listen[c->nlisten++]);
	return 0;
fail:
	snprintf(err, CONFIG_ERR_MAX, "%.200s:%d: %s", path, lineno, why);
	fclose(f);
	return -1;
}
