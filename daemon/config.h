/*
 * config.h: antred.conf, in the redis.conf manner ("key value", # comments),
 * read through one table of known keys with defaults and bounds.
 */
#ifndef ANTRE_CONFIG_H
#define ANTRE_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "log.h"

#define CONFIG_MAX_LISTEN 8
#define CONFIG_MAX_WORKERS 64
#define CONFIG_MAX_TOKENS 64
/* A token must carry at least 128 bits by its alphabet: 22 characters of
 * base64url or wider, 32 of hex, 39 of digits (config_token_strength). */
#define CONFIG_TOKEN_MIN 22
#define CONFIG_TOKEN_MIN_HEX 32
#define CONFIG_TOKEN_MIN_DIGITS 39
#define CONFIG_TOKEN_MAX 128
#define CONFIG_ERR_MAX 512

/* Roles, weakest first; admin may do everything. */
enum role { ROLE_NONE, ROLE_DESK, ROLE_STATION, ROLE_ORGANISER, ROLE_ADMIN };

struct listen_addr {
	char host[64];
	int port;
};

#define CONFIG_MAX_SENTINELS 8

/* One Redis Sentinel, asked where the master is. */
struct sentinel_node {
	char host[256];
	int port;
};

/* Where Redis is: TCP host:port, a unix socket path, or the master named
 * `master` that the sentinels know (nsentinels > 0, host "" then); and who
 * antred is there (AUTH before SELECT on every connection when password is
 * set; the sentinels themselves are asked without AUTH). */
struct redis_addr {
	char host[256];
	int port;
	char unix_path[108];
	int db;
	char user[128];                  /* "" = the default user */
	char password[256];              /* "" = no AUTH; never logged */
	char master[128];                /* the sentinels' name for the master */
	int nsentinels;
	struct sentinel_node sentinels[CONFIG_MAX_SENTINELS];
};

struct token {
	enum role role;
	char value[CONFIG_TOKEN_MAX + 1];
};

struct config {
	char path[PATH_MAX];
	int nlisten;
	struct listen_addr listen[CONFIG_MAX_LISTEN];
	struct redis_addr redis;
	char secret_file[PATH_MAX];
	int ntokens;
	struct token tokens[CONFIG_MAX_TOKENS];
	char events_dir[PATH_MAX];
	char web_root[PATH_MAX];
	char public_url[256];
	enum log_level log_level;
	int max_body_bytes;
	int areas_max_rows;              /* rows of an area file at most */
	int max_header_bytes;
	int http_timeout_s;
	int workers;                     /* processes (SO_REUSEPORT); 1: no fork */
	int max_connections;
	int max_connections_per_address; /* open connections from one address */
	int max_streams_per_address;     /* live streams without a token from one address */
	int staff_reserve_connections;   /* of max-connections, kept for token holders */
	int auth_fail_limit;             /* wrong tokens an address may send in a window */
	int auth_fail_window_s;          /* that window */
	int redis_timeout_ms;
	int redis_min_replicas;          /* replicas a write must reach (WAIT) before it is answered */
	char trusted_proxy[64];          /* its X-Forwarded-For is believed; "" = none */
	char qr_ecc;                     /* 'L', 'M', 'Q' or 'H' */
	int sse_max_buffer;              /* bytes a stream may fall behind */
	int sse_heartbeat_s;             /* a comment on every stream this often */
	int retention_days;              /* a ticket is kept this long (EXPIRE at issue) */
	int coverage_retention_days;     /* a person's dose records, after their last dose */
	int dose_overdue_after_days;     /* dose 2 due this long is overdue */
	int sse_board_every_s;           /* a whole board at most this often after deltas */
	int sse_max_lifetime_s;          /* a stream ends after this long */
	int idle_minutes;                /* an open station this long without a call is idle */
	int test_clock;                  /* antred-test only: scripts read test:clock */
	char ticket_font[PATH_MAX];
	int speech;                      /* 1: GET .../speech.wav says calls */
	char speech_voice[64];           /* espeak-ng voice, "id" */
	int speech_rate_wpm;             /* words a minute */
	char speech_data[PATH_MAX];      /* espeak-ng-data, "" = espeak-ng's own */
};

/* Sets every key to its default. */
void config_defaults(struct config *c);

/*
 * Reads `path` over the defaults.  0, or -1 with "path:line: why" in err
 * (CONFIG_ERR_MAX bytes) for an unreadable file, an unknown key or a bad
 * value; *c is then unusable.
 */
int config_load(struct config *c, const char *path, char *err);

/* "HOST:PORT" (IPv6 as "[::1]:8080"); 0 or -1. */
int config_parse_listen(const char *s, struct listen_addr *out);
/* "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]",
 * "unix:/path[?db=N][&user=U][&password=P]" or
 * "redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]]...[/DB]?master=NAME"
 * (sentinels' port 26379 unless given), user and password percent-decoded;
 * 0 or -1. */
int config_parse_redis(const char *s, struct redis_addr *out);

/* The role a bearer token grants (ROLE_NONE when unknown); constant time in
 * the token's content. */
enum role config_token_role(const struct config *c, const char *token);
/* The same for a token of len bytes (not NUL-terminated). */
enum role config_token_role_n(const struct config *c, const char *token, size_t len);

const char *config_role_name(enum role r);
int config_role_parse(const char *name, enum role *out);

#endif
