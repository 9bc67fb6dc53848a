/* limit.c: per-address accounting, the failed-token limit, the fd clamp. */
#include "limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "log.h"
#include "server.h"

/* Chained hash table, grown (never shrunk) to keep chains short. */
static struct peer **buckets;
static unsigned nbuckets;
static int npeers;
static int nlinger;                  /* entries with no connection */
static uint32_t seed;

static uint32_t peer_hash(uint8_t family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ seed;

	h = (h ^ family) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h ^ (h >> 15);
}

static int table_grow(void)
{
	unsigned n = nbuckets ? nbuckets * 2 : 1024;
	struct peer **b = calloc(n, sizeof *b);

	if (b == NULL)
		return -1;
	if (nbuckets == 0 && getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (uint32_t)(uintptr_t)b;
	for (unsigned i = 0; i < nbuckets; i++) {
		struct peer *p = buckets[i], *next;
		for (; p; p = next) {
			unsigned k = peer_hash(p->family, p->addr) & (n - 1);
			next = p->next;
			p->next = b[k];
			b[k] = p;
		}
	}
	free(buckets);
	buckets = b;
	nbuckets = n;
	return 0;
}

/* The key of an address: IPv4 (also IPv4-mapped IPv6) whole, IPv6 its /64. */
static int peer_key(const struct sockaddr *sa, uint8_t *family, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		*family = 4;
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		if (memcmp(a, mapped, 12) == 0) {
			*family = 4;
			memcpy(addr, a + 12, 4);
		} else {
			*family = 6;
			memcpy(addr, a, 8);
		}
		return 0;
	}
	return -1;
}

int limit_peer_is_proxy(const struct peer *p)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	uint8_t family, addr[16];
	const char *a = server.cfg.trusted_proxy;

	if (p == NULL || a[0] == '\0')
		return 0;
	if (inet_pton(AF_INET, a, &s4.sin_addr) == 1)
		peer_key((struct sockaddr *)&s4, &family, addr);
	else if (inet_pton(AF_INET6, a, &s6.sin6_addr) == 1)
		peer_key((struct sockaddr *)&s6, &family, addr);
	else
		return 0;                /* config.c checked it: not reached */
	return p->family == family && memcmp(p->addr, addr, 16) == 0;
}

struct peer *limit_peer_forwarded(const char *xff)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	const char *last = strrchr(xff, ',');
	char buf[INET6_ADDRSTRLEN];
	size_t n;

	last = last ? last + 1 : xff;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof buf || last[n + strspn(last + n, " \t")] != '\0')
		return NULL;
	memcpy(buf, last, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &s4.sin_addr) == 1)
		return limit_peer_get_addr((struct sockaddr *)&s4);
	if (inet_pton(AF_INET6, buf, &s6.sin6_addr) == 1)
		return limit_peer_get_addr((struct sockaddr *)&s6);
	return NULL;
}

struct peer *limit_peer_get(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return NULL;
	return limit_peer_get_addr((struct sockaddr *)&ss);
}

struct peer *limit_peer_get_addr(const struct sockaddr *sa)
{
	uint8_t family, addr[16];
	struct peer *p;
	unsigned k;

	if (peer_key(sa, &family, addr) == -1)
		return NULL;
	if (nbuckets == 0 && table_grow() == -1)
		return NULL;
	k = peer_hash(family, addr) & (nbuckets - 1);
	for (p = buckets[k]; p; p = p->next)
		if (p->family == family && memcmp(p->addr, addr, 16) == 0) {
			if (p->conns == 0)
				nlinger--;      /* the caller counts a connection now */
			return p;
		}
	if ((unsigned)npeers >= nbuckets && table_grow() == 0)
		k = peer_hash(family, addr) & (nbuckets - 1);
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->family = family;
	memcpy(p->addr, addr, 16);
	p->next = buckets[k];
	buckets[k] = p;
	npeers++;
	return p;
}

static int window_live(const struct peer *p, int64_t now_ms)
{
	return p->fails > 0 &&
	    now_ms - p->fail_start_ms < (int64_t)server.cfg.auth_fail_window_s * 1000;
}

static void peer_unlink(struct peer *p)
{
	struct peer **pp = &buckets[peer_hash(p->family, p->addr) & (nbuckets - 1)];

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	npeers--;
	free(p);
}

void limit_peer_put(struct peer *p, int64_t now_ms)
{
	if (p == NULL || p->conns > 0)
		return;
	/* Kept only to remember failures, and only so many of those: past
	 * the cap an address starts a fresh window, which is all it gains. */
	if (window_live(p, now_ms) && nlinger < LIMIT_LINGER_MAX) {
		nlinger++;
		return;
	}
	peer_unlink(p);
}

int limit_auth_failed(struct peer *p, int64_t now_ms)
{
	char name[64];

	if (!window_live(p, now_ms)) {
		p->fails = 0;
		p->fail_start_ms = now_ms;
		p->logged = 0;
	}
	if (p->fails < INT32_MAX)
		p->fails++;
	if (p->fails <= server.cfg.auth_fail_limit)
		return 0;
	if (!p->logged) {
		/* the address only: a token, even a wrong one, is never logged */
		log_warnx("auth: %s sent %d wrong tokens within %d s; its tokens are "
		    "refused (429) until the window ends",
		    limit_peer_name(p, name, sizeof name), p->fails,
		    server.cfg.auth_fail_window_s);
		p->logged = 1;
	}
	return 1;
}

int limit_auth_blocked(const struct peer *p, int64_t now_ms)
{
	int64_t left;

	if (p == NULL || p->fails <= server.cfg.auth_fail_limit || !window_live(p, now_ms))
		return 0;
	left = p->fail_start_ms + (int64_t)server.cfg.auth_fail_window_s * 1000 - now_ms;
	return (int)((left + 999) / 1000);
}

const char *limit_peer_name(const struct peer *p, char *buf, int size)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, text, sizeof text) == NULL)
		snprintf(text, sizeof text, "?");
	snprintf(buf, (size_t)size, "%s%s", text, p->family == 6 ? "/64" : "");
	return buf;
}

void limit_sweep(int64_t now_ms)
{
	for (unsigned i = 0; i < nbuckets && nlinger > 0; i++) {
		struct peer *p = buckets[i], *next;
		for (; p; p = next) {
			next = p->next;
			if (p->conns == 0 && !window_live(p, now_ms)) {
				nlinger--;
				peer_unlink(p);
			}
		}
	}
}

int limit_count(void)
{
	return npeers;
}

void limit_free(void)
{
	for (unsigned i = 0; i < nbuckets; i++) {
		struct peer *p = buckets[i], *next;
		for (; p; p = next) {
			next = p->next;
			free(p);
		}
	}
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
	npeers = nlinger = 0;
}

void limit_clamp_connections(struct config *c)
{
	struct rlimit rl;
	long avail;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return;
	/* each connection is one descriptor; the rest of antred needs some */
	avail = (long)rl.rlim_cur > 2 * LIMIT_FD_RESERVE ?
	    (long)rl.rlim_cur - LIMIT_FD_RESERVE : (long)rl.rlim_cur / 2;
	if (avail < 1)
		avail = 1;
	if (c->max_connections <= avail)
		return;
	log_warnx("max-connections %d is above the descriptor limit (RLIMIT_NOFILE %ld) "
	    "less %d kept for Redis and files; using %ld (raise LimitNOFILE= to allow more)",
	    c->max_connections, (long)rl.rlim_cur, LIMIT_FD_RESERVE, avail);
	c->max_connections = (int)avail;
}

int limit_staff_reserve(const struct config *c)
{
	int half = c->max_connections / 2;

	return c->staff_reserve_connections < half ? c->staff_reserve_connections : half;
}

/* Of a daemon-wide limit, one worker's share: rounded up, so never 0. */
static int limit_one_share(int limit, int n)
{
	return (int)(((long)limit + n - 1) / n);
}

void limit_share(struct config *c)
{
	int n = c->workers > 1 ? c->workers : 1;

	c->max_connections = limit_one_share(c->max_connections, n);
	c->max_connections_per_address = limit_one_share(c->max_connections_per_address, n);
	c->max_streams_per_address = limit_one_share(c->max_streams_per_address, n);
	c->staff_reserve_connections = limit_one_share(c->staff_reserve_connections, n);
	/* auth-fail-limit is not shared out: a desk's keep-alive connection
	 * stays on one worker, so a share would lock a clinic's desks out
	 * after a mistyped token or two; N times the guesses against a
	 * 256-bit token changes nothing. */
}
