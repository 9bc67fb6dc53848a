/*
 * limit.h: what one client address may hold (connections, streams) and
 * how many wrong tokens it may try, kept per address (an IPv6 /64 is one
 * address: a host owns the whole prefix), plus the descriptor clamp.
 *
 * The table holds an entry only while its address has an open connection
 * or a live window of failed tokens; the second kind is capped
 * (LIMIT_LINGER_MAX), so its memory is bounded whatever clients do.
 */
#ifndef ANTRE_LIMIT_H
#define ANTRE_LIMIT_H

#include <stdint.h>

#include "config.h"

struct sockaddr;

#define LIMIT_LINGER_MAX 4096   /* entries kept for failures alone */
#define LIMIT_FD_RESERVE 64     /* descriptors kept from max-connections */

struct peer {
	int conns;                   /* open connections (all: the entry's life) */
	int public_conns;            /* those not proven by a token: the limit */
	int streams;                 /* live streams opened without a token */
	int fails;                   /* wrong tokens in the window */
	int64_t fail_start_ms;       /* the window's start */
	int logged;                  /* the window's limit has been logged */
	/* private to limit.c */
	struct peer *next;
	uint8_t family;
	uint8_t addr[16];
};

/*
 * The entry for the peer of the connected socket `fd`, created with zero
 * counts if needed; NULL when the address is unknown (not IP) or memory is
 * short.  The caller counts a connection in it (conns++) at once, and
 * calls limit_peer_put after each decrement.
 */
struct peer *limit_peer_get(int fd);
/* The same for an address (AF_INET or AF_INET6); NULL for other families. */
struct peer *limit_peer_get_addr(const struct sockaddr *sa);
/* Frees the entry if nothing holds it any more (no connection, no live
 * window of failures, or too many entries kept for failures alone). */
void limit_peer_put(struct peer *p, int64_t now_ms);

/* Counts a wrong token from p; 1 when the address is now over
 * auth-fail-limit in the window (logged once a window), else 0. */
int limit_auth_failed(struct peer *p, int64_t now_ms);
/* Seconds until p may try tokens again, or 0 when it may now. */
int limit_auth_blocked(const struct peer *p, int64_t now_ms);

/* 1 when p is the address of trusted-proxy (an IPv6 proxy: its /64). */
int limit_peer_is_proxy(const struct peer *p);
/*
 * The entry of the client an X-Forwarded-For value names: its last address
 * (the one the trusted proxy saw; nginx's antre.conf sends only that one),
 * created as limit_peer_get_addr does.  NULL when it is no IP address.
 */
struct peer *limit_peer_forwarded(const char *xff);

/* The address as text for logs ("192.0.2.1", "2001:db8:1:2::/64"). */
const char *limit_peer_name(const struct peer *p, char *buf, int size);

/* Drops failure-only entries whose window has passed; about once a second. */
void limit_sweep(int64_t now_ms);
/* Entries in the table (for tests and the status line). */
int limit_count(void);
void limit_free(void);

/* With `workers N` every process counts on its own: each takes its share
 * (1/N, rounded up) of max-connections, max-connections-per-address,
 * max-streams-per-address, staff-reserve-connections and auth-fail-limit,
 * so the daemon as a whole keeps them (the kernel spreads the connections
 * over the workers).  At start and on reload; nothing with one worker. */
void limit_share(struct config *c);

/* Lowers c->max_connections to what RLIMIT_NOFILE allows, keeping
 * LIMIT_FD_RESERVE descriptors for Redis, files and the listeners, with a
 * warning; at start and on reload. */
void limit_clamp_connections(struct config *c);
/* The connections kept for token holders: staff-reserve-connections, but
 * at most half of max-connections. */
int limit_staff_reserve(const struct config *c);

#endif
