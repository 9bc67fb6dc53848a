/* Unit tests for daemon/config.c.  Run from the repository top (fixtures are
 * found as tests/unit/fixtures/...); other config files are written to /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define FIXTURE_FULL "tests/unit/fixtures/antred-full.conf"

/* struct config is some 25 KiB: one shared instance keeps the stack small. */
static struct config cfg;
static char err[CONFIG_ERR_MAX];

/* Writes text to a fresh file under /tmp; its name goes into path. */
static void write_tmp(char path[64], const char *text)
{
	int fd;
	size_t len = strlen(text);

	strcpy(path, "/tmp/antre-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* config_load of text; 0 or -1 as config_load returns. */
static int load_text(const char *text)
{
	char path[64];
	int rc;

	write_tmp(path, text);
	memset(err, 0, sizeof err);
	rc = config_load(&cfg, path, err);
	unlink(path);
	return rc;
}

/* Loading text must fail with "PATH:line: ..." and mention `reason`. */
static void expect_fail(const char *text, int line, const char *reason)
{
	char path[64], prefix[96];

	write_tmp(path, text);
	memset(err, 0, sizeof err);
	assert_int_equal(config_load(&cfg, path, err), -1);
	unlink(path);
	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("err '%s' does not start with '%s'", err, prefix);
	if (strstr(err, reason) == NULL)
		fail_msg("err '%s' does not mention '%s'", err, reason);
}

/* --- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
	(void)state;
	config_defaults(&cfg);

	/* listen has no table default: it is filled in by config_load only */
	assert_int_equal(cfg.nlisten, 0);
	assert_int_equal(cfg.ntokens, 0);
	assert_int_equal(cfg.max_connections_per_address, 4096);
	assert_int_equal(cfg.max_streams_per_address, 2048);
	assert_int_equal(cfg.staff_reserve_connections, 512);
	assert_int_equal(cfg.auth_fail_limit, 10);
	assert_int_equal(cfg.auth_fail_window_s, 60);
	assert_string_equal(cfg.redis.host, "127.0.0.1");
	assert_int_equal(cfg.redis.port, 6379);
	assert_int_equal(cfg.redis.db, 0);
	assert_string_equal(cfg.redis.unix_path, "");
	assert_string_equal(cfg.secret_file, "/var/lib/antre/secret");
	assert_string_equal(cfg.events_dir, "/etc/antre/events");
	assert_string_equal(cfg.web_root, "/usr/local/share/antre/web");
	assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.max_body_bytes, 16384);
	assert_int_equal(cfg.max_header_bytes, 8192);
	assert_int_equal(cfg.http_timeout_s, 30);
	assert_int_equal(cfg.max_connections, 16000);
	assert_int_equal(cfg.redis_timeout_ms, 2000);
}

static void test_empty_file_listen_fallback(void **state)
{
	(void)state;
	assert_int_equal(load_text("# nothing but a comment\n\n"), 0);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0].host, "127.0.0.1");
	assert_int_equal(cfg.listen[0].port, 8080);
	assert_int_equal(cfg.max_body_bytes, 16384);

	/* a listen line replaces the fallback rather than adding to it */
	assert_int_equal(load_text("listen 10.0.0.1:9000\n"), 0);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0].host, "10.0.0.1");
	assert_int_equal(cfg.listen[0].port, 9000);
}

/* --- a full valid file --------------------------------------------------- */

static void test_full_file(void **state)
{
	(void)state;
	memset(err, 0, sizeof err);
	if (config_load(&cfg, FIXTURE_FULL, err) != 0)
		fail_msg("%s", err);

	assert_string_equal(cfg.path, FIXTURE_FULL);
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0].host, "0.0.0.0");
	assert_int_equal(cfg.listen[0].port, 8081);
	assert_string_equal(cfg.listen[1].host, "::1");
	assert_int_equal(cfg.listen[1].port, 8082);

	assert_string_equal(cfg.redis.host, "redis.local");
	assert_int_equal(cfg.redis.port, 6380);
	assert_int_equal(cfg.redis.db, 2);
	assert_string_equal(cfg.redis.unix_path, "");

	assert_string_equal(cfg.secret_file, "/srv/antre/secret");
	assert_int_equal(cfg.ntokens, 4);
	assert_int_equal(cfg.tokens[0].role, ROLE_DESK);
	assert_string_equal(cfg.tokens[0].value, "desk-token-1-0f9e8d7c6b5a");
	assert_int_equal(cfg.tokens[1].role, ROLE_STATION);
	assert_string_equal(cfg.tokens[1].value, "station-token-2-0f9e8d7c6b5a");
	assert_int_equal(cfg.tokens[2].role, ROLE_ORGANISER);
	assert_string_equal(cfg.tokens[2].value, "organiser-token-3-0f9e8d7c6b5a");
	assert_int_equal(cfg.tokens[3].role, ROLE_ADMIN);
	assert_string_equal(cfg.tokens[3].value, "admin-token-4-0f9e8d7c6b5a");

	assert_string_equal(cfg.events_dir, "/srv/antre/events");
	assert_string_equal(cfg.web_root, "/srv/antre/web");
	assert_string_equal(cfg.public_url, "https://antrian.example.id");
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(cfg.max_body_bytes, 65536);
	assert_int_equal(cfg.max_header_bytes, 4096);
	assert_int_equal(cfg.http_timeout_s, 45);
	assert_int_equal(cfg.max_connections, 500);
	assert_int_equal(cfg.redis_timeout_ms, 750);
}

/* A last line without its newline is still read. */
static void test_no_final_newline(void **state)
{
	(void)state;
	assert_int_equal(load_text("http-timeout 12"), 0);
	assert_int_equal(cfg.http_timeout_s, 12);
}

/* --- repeatable keys ----------------------------------------------------- */

static void test_listen_repeat(void **state)
{
	char text[512] = "";

	(void)state;
	for (int i = 1; i <= CONFIG_MAX_LISTEN; i++) {
		char line[64];
		snprintf(line, sizeof line, "listen 127.0.0.%d:80%02d\n", i, i);
		strcat(text, line);
	}
	assert_int_equal(load_text(text), 0);
	assert_int_equal(cfg.nlisten, CONFIG_MAX_LISTEN);
	assert_string_equal(cfg.listen[0].host, "127.0.0.1");
	assert_int_equal(cfg.listen[0].port, 8001);
	assert_string_equal(cfg.listen[7].host, "127.0.0.8");
	assert_int_equal(cfg.listen[7].port, 8008);

	strcat(text, "listen 127.0.0.9:8009\n");
	expect_fail(text, 9, "at most 8");
}

static void test_token_repeat(void **state)
{
	(void)state;
	assert_int_equal(load_text(
	    "token desk 123456789012345678901234567890123456789\n"
	    "token desk abcdefghijklmnopqrstuv\n"
	    "token admin ZZZZZZZZZZZZZZZZZZZZZZ\n"), 0);
	assert_int_equal(cfg.ntokens, 3);
	assert_int_equal(cfg.tokens[0].role, ROLE_DESK);
	assert_string_equal(cfg.tokens[0].value, "123456789012345678901234567890123456789");
	assert_int_equal(cfg.tokens[1].role, ROLE_DESK);
	assert_string_equal(cfg.tokens[1].value, "abcdefghijklmnopqrstuv");
	assert_int_equal(cfg.tokens[2].role, ROLE_ADMIN);
	assert_string_equal(cfg.tokens[2].value, "ZZZZZZZZZZZZZZZZZZZZZZ");
}

/* --- failures, each "path:LINE: reason" ---------------------------------- */

static void test_fail_unknown_key(void **state)
{
	(void)state;
	expect_fail("# antred.conf\n\nlisten 127.0.0.1:80\nlisen 127.0.0.1:81\n",
	    4, "unknown key 'lisen'");
	expect_fail("Listen 127.0.0.1:80\n", 1, "unknown key 'Listen'");
}

static void test_fail_missing_value(void **state)
{
	(void)state;
	expect_fail("\n\nredis\n", 3, "redis: missing value");
	expect_fail("log-level debug\nhttp-timeout   # no value\n", 2,
	    "http-timeout: missing value");
}

static void test_fail_int(void **state)
{
	(void)state;
	expect_fail("# one\n# two\nhttp-timeout ten\n", 3, "not a whole number");
	expect_fail("http-timeout 10s\n", 1, "not a whole number");
	expect_fail("max-connections 99999999999999999999\n", 1, "not a whole number");
	expect_fail("\nmax-body-bytes 10\n", 2, "max-body-bytes: 10 is outside 256..1048576");
	expect_fail("max-body-bytes 1048577\n", 1, "outside");
	expect_fail("http-timeout 0\n", 1, "outside 1..3600");
	expect_fail("redis-timeout-ms -5\n", 1, "outside");
	expect_fail("retention-days 0\n", 1, "retention-days: 0 is outside 1..3650");
	expect_fail("retention-days 3651\n", 1, "outside");
	assert_int_equal(load_text("http-timeout 30\n"), 0);
	assert_int_equal(cfg.retention_days, 30);            /* the default */
	assert_int_equal(load_text("retention-days 3650\n"), 0);
	assert_int_equal(cfg.retention_days, 3650);

	/* the bounds themselves are fine */
	assert_int_equal(load_text("max-body-bytes 256\nhttp-timeout 3600\n"), 0);
	assert_int_equal(cfg.max_body_bytes, 256);
	assert_int_equal(cfg.http_timeout_s, 3600);

	/* redis-min-replicas: 0 (answer at once) to 16 */
	assert_int_equal(load_text("listen 127.0.0.1:1\n"), 0);
	assert_int_equal(cfg.redis_min_replicas, 0);
	expect_fail("redis-min-replicas 17\n", 1, "redis-min-replicas: 17 is outside 0..16");
	expect_fail("redis-min-replicas -1\n", 1, "outside");
	assert_int_equal(load_text("redis-min-replicas 16\n"), 0);
	assert_int_equal(cfg.redis_min_replicas, 16);
	/* areas-max-rows: no more than coverage reads (COV_AREAS_MAX) */
	expect_fail("areas-max-rows 100001\n", 1, "areas-max-rows: 100001 is outside 1..100000");
	assert_int_equal(load_text("areas-max-rows 100000\n"), 0);

	/* trusted-proxy: one IPv4 or IPv6 address, no name, no port */
	assert_int_equal(load_text("trusted-proxy 10.0.0.2\n"), 0);
	assert_string_equal(cfg.trusted_proxy, "10.0.0.2");
	assert_int_equal(load_text("trusted-proxy fd00::2\n"), 0);
	assert_string_equal(cfg.trusted_proxy, "fd00::2");
	expect_fail("trusted-proxy nginx.local\n", 1, "trusted-proxy: 'nginx.local' is not an IPv4 or IPv6 address");
	expect_fail("trusted-proxy 10.0.0.2:80\n", 1, "not an IPv4 or IPv6 address");
	expect_fail("trusted-proxy 10.0.0.0/8\n", 1, "not an IPv4 or IPv6 address");
}

/* workers: 1 (no fork) by default, 1..64, or auto for one a core */
static void test_workers(void **state)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	assert_int_equal(load_text("http-timeout 30\n"), 0);
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(load_text("workers 2\n"), 0);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(load_text("workers 64\n"), 0);
	assert_int_equal(cfg.workers, 64);
	assert_int_equal(load_text("workers auto\n"), 0);
	assert_int_equal(cfg.workers, cores < 1 ? 1 : cores > 64 ? 64 : cores);
	expect_fail("workers 0\n", 1, "workers: 0 is outside 1..64");
	expect_fail("workers 65\n", 1, "outside 1..64");
	expect_fail("workers Auto\n", 1, "not a whole number");
	expect_fail("workers two\n", 1, "not a whole number");
	expect_fail("workers 2 cores\n", 1, "not a whole number");
}

static void test_fail_listen(void **state)
{
	(void)state;
	expect_fail("listen 127.0.0.1\n", 1, "listen: '127.0.0.1' is not HOST:PORT");
	expect_fail("\nlisten 127.0.0.1:\n", 2, "not HOST:PORT");
	expect_fail("listen 127.0.0.1:0\n", 1, "not HOST:PORT");
	expect_fail("listen 127.0.0.1:70000\n", 1, "not HOST:PORT");
	expect_fail("listen :8080\n", 1, "not HOST:PORT");
	expect_fail("listen [::1]8080\n", 1, "not HOST:PORT");
	expect_fail("listen [::1\n", 1, "not HOST:PORT");

	assert_int_equal(load_text("listen [::1]:80\n"), 0);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0].host, "::1");
	assert_int_equal(cfg.listen[0].port, 80);
}

static void test_parse_listen(void **state)
{
	struct listen_addr a;

	(void)state;
	assert_int_equal(config_parse_listen("localhost:65535", &a), 0);
	assert_string_equal(a.host, "localhost");
	assert_int_equal(a.port, 65535);
	assert_int_equal(config_parse_listen("[fe80::1]:1", &a), 0);
	assert_string_equal(a.host, "fe80::1");
	assert_int_equal(a.port, 1);
	assert_int_equal(config_parse_listen("[]:80", &a), -1);
	assert_int_equal(config_parse_listen("host:65536", &a), -1);
	assert_int_equal(config_parse_listen("host:-1", &a), -1);
	assert_int_equal(config_parse_listen("host:http", &a), -1);
	assert_int_equal(config_parse_listen("", &a), -1);
}

static void test_fail_redis(void **state)
{
	(void)state;
	expect_fail("redis http://x\n", 1, "redis: not redis://[USER:PASSWORD@]HOST:PORT/DB");
	/* the value is never echoed: it may hold a password */
	expect_fail("redis redis://antred:hunter2@h/16\n", 1, "redis: not");
	assert_null(strstr(err, "hunter2"));
	expect_fail("\n\n\nredis redis://\n", 4, "redis:");
	expect_fail("redis redis://:6379/0\n", 1, "redis:");
	expect_fail("redis redis://h/16\n", 1, "redis:");
	expect_fail("redis redis://h:0\n", 1, "redis:");
	expect_fail("redis unix:relative.sock\n", 1, "unix:/path[?db=N&user=U&password=P]");
	expect_fail("redis unix:/tmp/r.sock?db=16\n", 1, "redis:");
}

static void test_fail_token(void **state)
{
	(void)state;
	expect_fail("token desk abcdefghijklmnopqrstuv\ntoken root abcdefghijklmnopqrstuv\n", 2,
	    "token: unknown role 'root'");
	expect_fail("token none abcdefghijklmnopqrstuv\n", 1, "unknown role 'none'");
	/* 128 bits by the alphabet: 22 of base64url, 32 of hex, 39 of digits */
	expect_fail("\ntoken desk abcdefghijklmnopqrstu\n", 2, "token: too short to hold 128 bits");
	expect_fail("token desk 0123456789abcdef0123456789abcde\n", 1, "a hex token needs at least 32");
	expect_fail("token desk 0123456789ABCDEF0123456789ABCDE\n", 1, "a hex token needs at least 32");
	expect_fail("token desk 12345678901234567890123456789012345678\n", 1,
	    "digits only needs at least 39");
	assert_int_equal(load_text("token desk 0123456789abcdef0123456789abcdef\n"
	    "token desk abcdefghijklmnopqrst-_\n"), 0);
	expect_fail("token desk\n", 1, "token: expected ROLE VALUE");
}

static void test_fail_log_level(void **state)
{
	(void)state;
	expect_fail("log-level warn\nlog-level bogus\n", 2, "log-level: 'bogus'");
	assert_int_equal(load_text("log-level error\n"), 0);
	assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
}

/* The first bad line is the one reported. */
static void test_fail_first_line_wins(void **state)
{
	(void)state;
	expect_fail("http-timeout 5\nnope 1\nhttp-timeout x\n", 2, "unknown key 'nope'");
}

static void test_fail_unreadable(void **state)
{
	char dir[] = "/tmp/antre-test-config-XXXXXX", path[128];

	(void)state;
	assert_non_null(mkdtemp(dir));

	/* missing file */
	snprintf(path, sizeof path, "%s/missing.conf", dir);
	memset(err, 0, sizeof err);
	assert_int_equal(config_load(&cfg, path, err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));

	/* a directory opens but cannot be read */
	memset(err, 0, sizeof err);
	assert_int_equal(config_load(&cfg, dir, err), -1);
	assert_non_null(strstr(err, dir));

	/* no read permission (root reads anything, so only as a user) */
	if (geteuid() != 0) {
		FILE *f;
		snprintf(path, sizeof path, "%s/locked.conf", dir);
		assert_non_null(f = fopen(path, "w"));
		fclose(f);
		assert_int_equal(chmod(path, 0), 0);
		memset(err, 0, sizeof err);
		assert_int_equal(config_load(&cfg, path, err), -1);
		assert_non_null(strstr(err, path));
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* --- config_parse_redis ------------------------------------------------- */

static void test_parse_redis(void **state)
{
	struct redis_addr r;

	(void)state;
	assert_int_equal(config_parse_redis("redis://h:1234/3", &r), 0);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.port, 1234);
	assert_int_equal(r.db, 3);
	assert_string_equal(r.unix_path, "");

	assert_int_equal(config_parse_redis("redis://h", &r), 0);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.port, 6379);
	assert_int_equal(r.db, 0);

	assert_int_equal(config_parse_redis("redis://h/", &r), 0);
	assert_int_equal(r.db, 0);
	assert_int_equal(config_parse_redis("redis://h/15", &r), 0);
	assert_int_equal(r.db, 15);

	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?db=2", &r), 0);
	assert_string_equal(r.unix_path, "/tmp/r.sock");
	assert_int_equal(r.db, 2);
	assert_string_equal(r.host, "");

	assert_int_equal(config_parse_redis("unix:/tmp/r.sock", &r), 0);
	assert_string_equal(r.unix_path, "/tmp/r.sock");
	assert_int_equal(r.db, 0);

	assert_int_equal(config_parse_redis("http://x", &r), -1);
	assert_int_equal(config_parse_redis("redis://", &r), -1);
	assert_int_equal(config_parse_redis("redis://h/16", &r), -1);
	assert_int_equal(config_parse_redis("redis://h/-1", &r), -1);
	assert_int_equal(config_parse_redis("redis://h/x", &r), -1);
	assert_int_equal(config_parse_redis("redis://h:99999", &r), -1);
	assert_int_equal(config_parse_redis("unix:relative", &r), -1);
	assert_int_equal(config_parse_redis("unix:", &r), -1);
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?db=", &r), -1);
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?x=1", &r), -1);
}

/* User and password (Redis 6 ACL): redis://USER:PASSWORD@..., the default
 * user's password as redis://:PASSWORD@..., percent-decoded; the same as
 * unix: query parameters. */
static void test_parse_redis_auth(void **state)
{
	struct redis_addr r;

	(void)state;
	assert_int_equal(config_parse_redis("redis://antred:s3cret@h:1234/3", &r), 0);
	assert_string_equal(r.user, "antred");
	assert_string_equal(r.password, "s3cret");
	assert_string_equal(r.host, "h");
	assert_int_equal(r.port, 1234);
	assert_int_equal(r.db, 3);

	assert_int_equal(config_parse_redis("redis://:pw@h", &r), 0);
	assert_string_equal(r.user, "");
	assert_string_equal(r.password, "pw");
	assert_string_equal(r.host, "h");
	assert_int_equal(r.port, 6379);

	/* special characters: escaped, and a raw @ or : in the password */
	assert_int_equal(config_parse_redis("redis://u%3Ax:p%40%2F%25%3a%20@h:7000/1", &r), 0);
	assert_string_equal(r.user, "u:x");
	assert_string_equal(r.password, "p@/%: ");
	assert_string_equal(r.host, "h");
	assert_int_equal(r.port, 7000);
	assert_int_equal(config_parse_redis("redis://u:a@b:c@h", &r), 0);
	assert_string_equal(r.user, "u");
	assert_string_equal(r.password, "a@b:c");
	assert_string_equal(r.host, "h");

	/* no userinfo: no AUTH */
	assert_int_equal(config_parse_redis("redis://h", &r), 0);
	assert_string_equal(r.user, "");
	assert_string_equal(r.password, "");

	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?db=2&user=antred&password=a%26b%3D", &r), 0);
	assert_string_equal(r.unix_path, "/tmp/r.sock");
	assert_int_equal(r.db, 2);
	assert_string_equal(r.user, "antred");
	assert_string_equal(r.password, "a&b=");
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?password=pw", &r), 0);
	assert_string_equal(r.user, "");
	assert_string_equal(r.password, "pw");
	assert_int_equal(r.db, 0);

	/* refused, and nothing of the password left behind */
	assert_int_equal(config_parse_redis("redis://u@h", &r), -1);        /* no password */
	assert_string_equal(r.password, "");
	assert_int_equal(config_parse_redis("redis://u:@h", &r), -1);       /* empty one */
	assert_int_equal(config_parse_redis("redis://:pw@", &r), -1);       /* no host */
	assert_int_equal(config_parse_redis("redis://:p%4@h", &r), -1);     /* bad escape */
	assert_int_equal(config_parse_redis("redis://:p%zz@h", &r), -1);
	assert_int_equal(config_parse_redis("redis://:p%00w@h", &r), -1);   /* NUL */
	assert_int_equal(config_parse_redis("redis://:pw%@h", &r), -1);
	assert_int_equal(config_parse_redis("redis://:pw@h/16", &r), -1);
	assert_string_equal(r.password, "");
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?user=antred", &r), -1);
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?password=", &r), -1);
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?password=pw&x=1", &r), -1);
	assert_string_equal(r.password, "");
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?password", &r), -1);
	assert_int_equal(config_parse_redis("unix:/tmp/r.sock?", &r), -1);
}

/* --- tokens and roles ---------------------------------------------------- */

static void add_token(enum role r, const char *value)
{
	cfg.tokens[cfg.ntokens].role = r;
	strcpy(cfg.tokens[cfg.ntokens].value, value);
	cfg.ntokens++;
}

static void test_token_role(void **state)
{
	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_token_role(&cfg, "anything"), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, ""), ROLE_NONE);

	add_token(ROLE_STATION, "station-secret");
	add_token(ROLE_ADMIN, "admin-secret");

	assert_int_equal(config_token_role(&cfg, "station-secret"), ROLE_STATION);
	assert_int_equal(config_token_role(&cfg, "admin-secret"), ROLE_ADMIN);

	/* exact match only */
	assert_int_equal(config_token_role(&cfg, "station-secre"), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, "station"), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, "station-secret2"), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, "admin-secret "), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, "Admin-secret"), ROLE_NONE);
	assert_int_equal(config_token_role(&cfg, ""), ROLE_NONE);
}

static void test_role_names(void **state)
{
	enum role r;

	(void)state;
	for (int i = ROLE_DESK; i <= ROLE_ADMIN; i++) {
		const char *name = config_role_name((enum role)i);
		assert_int_equal(config_role_parse(name, &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(config_role_name(ROLE_DESK), "desk");
	assert_string_equal(config_role_name(ROLE_STATION), "station");
	assert_string_equal(config_role_name(ROLE_ORGANISER), "organiser");
	assert_string_equal(config_role_name(ROLE_ADMIN), "admin");
	assert_string_equal(config_role_name(ROLE_NONE), "none");
	assert_string_equal(config_role_name((enum role)42), "none");

	/* "none" is a name, not a role one can grant */
	r = ROLE_DESK;
	assert_int_equal(config_role_parse("none", &r), -1);
	assert_int_equal(config_role_parse("", &r), -1);
	assert_int_equal(config_role_parse("Admin", &r), -1);
	assert_int_equal(config_role_parse("organizer", &r), -1);
	assert_int_equal(r, ROLE_DESK);
}

/* redis-sentinel://[USER:PASSWORD@]HOST[:PORT],...[/DB]?master=NAME: the
 * sentinels in order (port 26379 unless given), the credentials for the
 * master, the master's name required. */
static void test_parse_redis_sentinel(void **state)
{
	struct redis_addr r;

	(void)state;
	assert_int_equal(config_parse_redis(
	    "redis-sentinel://s1:26380,s2,[::1]:26390/4?master=antre", &r), 0);
	assert_int_equal(r.nsentinels, 3);
	assert_string_equal(r.sentinels[0].host, "s1");
	assert_int_equal(r.sentinels[0].port, 26380);
	assert_string_equal(r.sentinels[1].host, "s2");
	assert_int_equal(r.sentinels[1].port, 26379);
	assert_string_equal(r.sentinels[2].host, "::1");
	assert_int_equal(r.sentinels[2].port, 26390);
	assert_int_equal(r.db, 4);
	assert_string_equal(r.master, "antre");
	assert_string_equal(r.host, "");
	assert_string_equal(r.unix_path, "");
	assert_string_equal(r.password, "");

	assert_int_equal(config_parse_redis(
	    "redis-sentinel://antred:p%40ss@127.0.0.1:1?master=m%20x", &r), 0);
	assert_int_equal(r.nsentinels, 1);
	assert_string_equal(r.user, "antred");
	assert_string_equal(r.password, "p@ss");
	assert_string_equal(r.master, "m x");
	assert_int_equal(r.db, 0);
	assert_int_equal(config_parse_redis("redis-sentinel://:pw@h?master=m", &r), 0);
	assert_string_equal(r.user, "");
	assert_string_equal(r.password, "pw");

	/* a plain redis:// address has no sentinels */
	assert_int_equal(config_parse_redis("redis://h:1/2", &r), 0);
	assert_int_equal(r.nsentinels, 0);
	assert_string_equal(r.master, "");

	static const char *const bad[] = {
		"redis-sentinel://h",                    /* no master */
		"redis-sentinel://h?master=",
		"redis-sentinel://h?name=m",
		"redis-sentinel://?master=m",            /* no sentinel */
		"redis-sentinel://h,?master=m",
		"redis-sentinel://h,,k?master=m",
		"redis-sentinel://h:0?master=m",
		"redis-sentinel://h:x?master=m",
		"redis-sentinel://h/16?master=m",
		"redis-sentinel://[::1?master=m",
		"redis-sentinel://u:@h?master=m",        /* a user without a password */
		"redis-sentinel://u:pw@h?master=m%zz",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(config_parse_redis(bad[i], &r), -1);
	assert_string_equal(r.password, "");
	/* at most CONFIG_MAX_SENTINELS */
	assert_int_equal(config_parse_redis(
	    "redis-sentinel://a,b,c,d,e,f,g,h?master=m", &r), 0);
	assert_int_equal(r.nsentinels, CONFIG_MAX_SENTINELS);
	assert_int_equal(config_parse_redis(
	    "redis-sentinel://a,b,c,d,e,f,g,h,i?master=m", &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_redis_sentinel),
		cmocka_unit_test(test_empty_file_listen_fallback),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_listen_repeat),
		cmocka_unit_test(test_token_repeat),
		cmocka_unit_test(test_fail_unknown_key),
		cmocka_unit_test(test_fail_missing_value),
		cmocka_unit_test(test_fail_int),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_fail_listen),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_fail_redis),
		cmocka_unit_test(test_fail_token),
		cmocka_unit_test(test_fail_log_level),
		cmocka_unit_test(test_fail_first_line_wins),
		cmocka_unit_test(test_fail_unreadable),
		cmocka_unit_test(test_parse_redis),
		cmocka_unit_test(test_parse_redis_auth),
		cmocka_unit_test(test_token_role),
		cmocka_unit_test(test_role_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
