/*
 * fuzz_config.c: config_load on arbitrary antred.conf text.
 *
 * config_load reads a path, so the input goes into a memfd (no disk, no
 * leftover files) opened as /proc/self/fd/N.  It must not crash; on failure
 * err must be "PATH:..." and terminated; on success every value must lie
 * within what the key table allows and every string must be terminated
 * inside its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* struct config is some 25 KiB: static, not on the stack. */
static struct config cfg;
static char err[CONFIG_ERR_MAX];
static char path[64];
static int fd = -1;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: %s\n", what);
		abort();
	}
}

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)
#define WITHIN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))

static void check_loaded(void)
{
	check(WITHIN(cfg.nlisten, 1, CONFIG_MAX_LISTEN), "nlisten out of range");
	for (int i = 0; i < cfg.nlisten; i++) {
		check(TERMINATED(cfg.listen[i].host) && cfg.listen[i].host[0] != '\0',
		    "listen host empty or unterminated");
		check(WITHIN(cfg.listen[i].port, 1, 65535), "listen port out of range");
	}
	check(TERMINATED(cfg.redis.host) && TERMINATED(cfg.redis.unix_path),
	    "redis address unterminated");
	/* exactly one of a host, a unix path and sentinels (which name the
	 * master's host when antred connects) */
	check((cfg.redis.host[0] != '\0') + (cfg.redis.unix_path[0] != '\0') +
	    (cfg.redis.nsentinels > 0) == 1,
	    "redis: not exactly one of host, unix path and sentinels");
	check(cfg.redis.host[0] == '\0' || WITHIN(cfg.redis.port, 1, 65535),
	    "redis port out of range");
	check(WITHIN(cfg.redis.nsentinels, 0, CONFIG_MAX_SENTINELS), "nsentinels out of range");
	check(TERMINATED(cfg.redis.master) &&
	    (cfg.redis.nsentinels == 0) == (cfg.redis.master[0] == '\0'),
	    "redis: a master name without sentinels, or sentinels without one");
	for (int i = 0; i < cfg.redis.nsentinels; i++) {
		check(TERMINATED(cfg.redis.sentinels[i].host) && cfg.redis.sentinels[i].host[0] != '\0',
		    "sentinel host empty or unterminated");
		check(WITHIN(cfg.redis.sentinels[i].port, 1, 65535), "sentinel port out of range");
	}
	check(WITHIN(cfg.redis.db, 0, 15), "redis db out of range");
	check(WITHIN(cfg.ntokens, 0, CONFIG_MAX_TOKENS), "ntokens out of range");
	for (int i = 0; i < cfg.ntokens; i++) {
		size_t n = strnlen(cfg.tokens[i].value, sizeof cfg.tokens[i].value);
		check(WITHIN(n, CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX), "token length out of range");
		check(WITHIN(cfg.tokens[i].role, ROLE_DESK, ROLE_ADMIN), "token role out of range");
		/* a configured token is recognised, at least at its own role */
		check(config_token_role(&cfg, cfg.tokens[i].value) >= cfg.tokens[i].role,
		    "a configured token is not recognised");
	}
	check(TERMINATED(cfg.secret_file) && TERMINATED(cfg.events_dir) &&
	    TERMINATED(cfg.web_root) && TERMINATED(cfg.public_url) &&
	    TERMINATED(cfg.ticket_font) && TERMINATED(cfg.path), "a string is unterminated");
	check(WITHIN(cfg.log_level, LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG), "log-level out of range");
	check(WITHIN(cfg.max_body_bytes, 256, 1 << 20), "max-body-bytes out of range");
	check(WITHIN(cfg.max_header_bytes, 1024, 1 << 16), "max-header-bytes out of range");
	check(WITHIN(cfg.http_timeout_s, 1, 3600), "http-timeout out of range");
	check(WITHIN(cfg.max_connections, 1, 1000000), "max-connections out of range");
	check(WITHIN(cfg.redis_timeout_ms, 50, 60000), "redis-timeout-ms out of range");
	check(WITHIN(cfg.sse_max_buffer, 4096, 16 << 20), "sse-max-buffer out of range");
	check(WITHIN(cfg.sse_heartbeat_s, 1, 300), "sse-heartbeat out of range");
	check(WITHIN(cfg.idle_minutes, 1, 240), "idle-minutes out of range");
	check(cfg.qr_ecc != '\0' && strchr("LMQH", cfg.qr_ecc) != NULL, "qr-ecc out of range");
	check(cfg.test_clock == 0, "test-clock set in a production build");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fd == -1) {
		if ((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) == -1) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_config: memfd");
		abort();
	}

	memset(err, 0, sizeof err);
	if (config_load(&cfg, path, err) == 0) {
		check_loaded();
	} else {
		check(TERMINATED(err), "err unterminated");
		check(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
		    "err does not start with \"PATH:\"");
	}
	return 0;
}
