/* main.c: antred's command line, start-up, signals and housekeeping. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "http.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "coverage_store.h"
#include "follow.h"
#include "queue.h"
#include "queue_batch.h"
#include "routes.h"
#include "sse.h"
#include "server.h"
#include "speech.h"
#include "store.h"
#include "workers.h"

#define ANTRE_VERSION "0.1.0"
#define STOP_GRACE_MS 5000
#define STOP_FLUSH_MS 500       /* after the grace: for the 503s to go out */
#define STOP_SETTLE_MS 300      /* no request for this long: none is coming */
#define STOP_TWICE_MS 1000      /* a worker's second stop signal sooner: the same */

/* jemalloc's settings (Makefile: the daemon allocates with it; without it
 * nothing reads this).  Freed pages go back to the system within a second
 * or so: with the default ten seconds, and pages only marked free kept in
 * the resident size, the memory of a crowd of connections that had closed
 * stayed, and a second crowd grew it further (test_faults). */
const char *malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";

/* Command-line overrides, applied over the file at start and on reload. */
static struct {
	int nlisten;
	struct listen_addr listen[CONFIG_MAX_LISTEN];
	int has_redis;
	struct redis_addr redis;
} overrides;

static struct event *cron_event;
static int64_t stop_deadline_ms;
static int64_t stop_flush_ms;           /* 0 until the grace has run out */
static int64_t stop_idle_ms;            /* since when none was in flight, or 0 */

static struct event *fanout_event;      /* at SERVER_PRIO_FANOUT */
static int64_t fanout_hold_ms;          /* the fan-out waits until then, or 0 */

#define FANOUT_HOLD_MS 5
#define FANOUT_STARVE_MS 100

static int64_t mono_ms(void);

/*
 * The follower's read ends with the fan-out, which sends to every
 * subscriber at once.  Redis may write a call's stream entry to the
 * follower before the call's reply to the store (both come from the one
 * script): sending at once would make that reply wait for the whole
 * fan-out.  So the sending is an event of its own, at the fan-out's
 * priority, that waits while the store has replies due, for at most
 * FANOUT_HOLD_MS (under load some always are): the reply goes first.
 */
static void on_fanout(evutil_socket_t fd, short what, void *arg)
{
	struct timeval again = { 0, 1000 };

	(void)fd;
	(void)what;
	(void)arg;
	if (store_waiting(server.store) && mono_ms() < fanout_hold_ms) {
		evtimer_add(fanout_event, &again);
		return;
	}
	fanout_hold_ms = 0;
	sse_flush();
}

static void fanout_soon(void)
{
	if (fanout_hold_ms == 0) {
		fanout_hold_ms = mono_ms() + FANOUT_HOLD_MS;
		event_active(fanout_event, EV_TIMEOUT, 0);
	}
}

/* The follower hands every new stream entry to the fan-out (follow.h). */
static const struct follow_sink sse_sink = { sse_round, sse_publish, fanout_soon };

/* The event loop.  With epoll's changelist, an event removed and added
 * again within one turn of the loop (hiredis's read event, a connection's
 * read and write as a request is read and answered) costs no epoll_ctl:
 * the changes are made once, before the next wait.  (Its one hazard, a
 * descriptor dup()ed under a watched one, antred never does.) */
static struct event_base *new_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: antred -c FILE [--listen HOST:PORT]... [--redis URL] [--check-config]\n"
	    "\n"
	    "  -c, --config FILE     configuration file (antred.conf(5))\n"
	    "  -l, --listen ADDR     HOST:PORT to serve on, replaces the file's listen lines\n"
	    "  -r, --redis URL       redis://[USER:PASSWORD@]HOST:PORT/DB or unix:/path,\n"
	    "                        overrides the file (a password is better in the file)\n"
	    "  -t, --check-config    check the configuration and events, then exit\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         the version\n"
	    "\n"
	    "Exit status: 0 on a clean stop, 1 on a runtime failure, 2 for bad\n"
	    "configuration or usage.\n");
}

static void apply_overrides(struct config *c)
{
	if (overrides.nlisten) {
		c->nlisten = overrides.nlisten;
		memcpy(c->listen, overrides.listen, sizeof overrides.listen);
	}
	if (overrides.has_redis)
		c->redis = overrides.redis;
}

/* Loads configuration and events into the out parameters; 0, or -1 with
 * the reason printed. */
static int load_all(const char *path, struct config *c, struct event_set *set)
{
	char err[CONFIG_ERR_MAX], eerr[EVENT_ERR_MAX];

	if (config_load(c, path, err) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	apply_overrides(c);
	if (server.cfg.workers && c->workers != server.cfg.workers) {
		log_warnx("workers changes only on restart");
		c->workers = server.cfg.workers;
	}
	limit_share(c);
	limit_clamp_connections(c);
	event_set_test_clock(c->test_clock, &c->redis);
	event_set_retention_days(c->retention_days);
	if (event_load_dir(c->events_dir, set, eerr) == -1) {
		log_warnx("events: %s", eerr);
		return -1;
	}
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The ticket font is optional: without it only ticket.png is unavailable. */
static void load_font(void)
{
	char err[128];

	font_free(&server.font);
	if (font_load(server.cfg.ticket_font, &server.font, err) == -1)
		log_warnx("ticket-font: %s; ticket.png is unavailable", err);
}

static void reload(void)
{
	struct config c;
	struct event_set set;

	log_info("reloading %s", server.cfg.path);
	if (load_all(server.cfg.path, &c, &set) == -1) {
		log_warnx("reload failed; keeping the running configuration");
		return;
	}
	if (c.nlisten != server.cfg.nlisten ||
	    memcmp(c.listen, server.cfg.listen, sizeof c.listen) != 0)
		log_warnx("listen addresses change only on restart");
	memcpy(c.listen, server.cfg.listen, sizeof c.listen);
	c.nlisten = server.cfg.nlisten;
	log_set_level(c.log_level);
	store_set_addr(server.store, &c.redis, c.redis_timeout_ms);
	follow_set_addr(&c.redis, c.redis_timeout_ms);
	server.cfg = c;
	server_events_replace(&set);
	load_font();
	log_info("reloaded: %d events, %d tokens", set.n, c.ntokens);
}

/* The status line `systemctl status` shows: local counts only, so cheap. */
static void report_status(void)
{
	notify_status("%d events, %d streams, %d connections, Redis %s",
	    server.events->set.n, sse_count(), server.connections,
	    store_is_up(server.store) ? "up" : "down");
}

/*
 * The grace has run out (or a second signal came) with requests still
 * waiting, nearly always on Redis.  Freeing the connections under them would
 * leave their callbacks a freed request, so the store lets go of Redis first:
 * every waiting callback hears NULL and answers 503 (with Connection: close,
 * as everything while stopping), and the loop runs a little longer to send
 * those answers before it ends.
 */
static void stop_give_up(int64_t now)
{
	log_warnx("stopping with %d requests unanswered: dropping Redis, answering 503",
	    server.inflight);
	store_close(server.store);
	stop_flush_ms = now + STOP_FLUSH_MS;
}

/* The one periodic timer: keeps zone offsets current, ends a graceful stop,
 * answers the service manager's watchdog. */
static void on_cron(evutil_socket_t fd, short what, void *arg)
{
	static int64_t last_tz_ms, last_sweep_ms, last_status_ms;
	int64_t now = mono_ms();

	(void)fd;
	(void)what;
	(void)arg;
	notify_watchdog(now);
	workers_alive(now);
	if (server.stopping) {
		if (server.inflight && now >= stop_deadline_ms && stop_flush_ms == 0) {
			stop_give_up(now);
			return;          /* the answers go out on the next turns */
		}
		/* A connection accepted just before the stop may have its
		 * request on the way, not yet read: ending the moment nothing
		 * is in flight would close it unanswered.  So nothing must
		 * have been in flight for a little while. */
		if (server.inflight)
			stop_idle_ms = 0;
		else if (stop_idle_ms == 0)
			stop_idle_ms = now;
		/* after giving up: until every connection closed (the 503s
		 * carry Connection: close) or the flush time is over */
		if ((stop_idle_ms && now - stop_idle_ms >= STOP_SETTLE_MS && stop_flush_ms == 0) ||
		    (stop_flush_ms && server.connections == 0) ||
		    (stop_flush_ms && now >= stop_flush_ms)) {
			if (server.inflight)
				log_warnx("stopping with %d requests still unanswered", server.inflight);
			event_base_loopexit(server.base, NULL);
		}
		return;
	}
	/* a load that keeps the requests' queue busy every round would hold
	 * the fan-out (below them) for good: not longer than this */
	if (fanout_hold_ms && now - fanout_hold_ms >= FANOUT_STARVE_MS) {
		fanout_hold_ms = 0;
		sse_flush();
	}
	follow_tick();
	sse_tick();
	http_tick();
	if (now - last_status_ms >= 1000) {
		report_status();
		last_status_ms = now;
	}
	/* the day-end sweep and the outbox drain write: one worker does them
	 * (the first, started again under its number if it dies) */
	if (server.worker <= 1 && now - last_sweep_ms >= 1000) {
		queue_sweep();
		coverage_drain_tick();   /* dose records left by a failure */
		last_sweep_ms = now;
	}
	if (now - last_tz_ms >= 60000) {
		/* offsets change only with daylight saving, which WIB/WITA/WIT
		 * do not have, but other zones might */
		struct event_set *set = &server.events->set;
		for (int i = 0; i < set->n; i++) {
			event_tz_offset(set->events[i].timezone, time(NULL),
			    &set->events[i].utc_offset_s);
			event_build_script_ctx(&set->events[i]);
		}
		last_tz_ms = now;
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP && server.stopping) {
		log_info("stopping: reload ignored");
		return;
	}
	if (sig == SIGHUP) {
		notify_reloading();
		reload();
		notify_ready();
		report_status();
		return;
	}
	/* a worker hears a stop twice when the service manager signals the
	 * whole group and the parent passes its own on: one stop */
	if (server.stopping && server.worker &&
	    mono_ms() - (stop_deadline_ms - STOP_GRACE_MS) < STOP_TWICE_MS)
		return;
	if (server.stopping) {
		log_info("second signal, stopping now");
		if (server.inflight == 0)
			event_base_loopexit(server.base, NULL);
		else if (stop_flush_ms == 0)
			stop_give_up(mono_ms());   /* on_cron ends the loop */
		return;
	}
	log_info("stopping: no new connections, finishing %d requests", server.inflight);
	server.stopping = 1;
	stop_deadline_ms = mono_ms() + STOP_GRACE_MS;
	notify_stopping();
	notify_status("stopping: finishing %d requests", server.inflight);
	http_stop_accepting();
}

/* The command line into conf, check and the overrides: -1 to go on, or
 * the exit status (--help, --version, a bad argument). */
static int parse_args(int argc, char **argv, const char **conf, int *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "redis", required_argument, NULL, 'r' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:l:r:thV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 'l':
			if (overrides.nlisten == CONFIG_MAX_LISTEN ||
			    config_parse_listen(optarg, &overrides.listen[overrides.nlisten]) == -1) {
				fprintf(stderr, "antred: --listen: '%s' is not HOST:PORT\n", optarg);
				return 2;
			}
			overrides.nlisten++;
			break;
		case 'r':
			if (config_parse_redis(optarg, &overrides.redis) == -1) {
				/* not echoed: it may hold a password */
				fprintf(stderr, "antred: --redis: not redis://[USER:PASSWORD@]HOST:PORT/DB"
				    " or unix:/path[?db=N&user=U&password=P]\n");
				return 2;
			}
			overrides.has_redis = 1;
			break;
		case 't':
			*check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("antred %s (protocol v%d)\n", ANTRE_VERSION, ANTRE_PROTOCOL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (*conf == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* After the loop, everything main started.  Redis first: a callback
 * still waiting (a stream's start) then meets live requests and
 * connections, not freed ones. */
static void stop_free(struct event **sigs, const int *signums)
{
	store_close(server.store);
	queue_batch_stop();          /* issues still waiting for the turn's end */
	sse_flush();                 /* a fan-out still waiting for its turn */
	event_free(fanout_event);
	sse_shutdown();
	follow_stop();
	http_free();
	metrics_free();
	store_free(server.store);
	event_free(cron_event);
	for (int i = 0; signums[i]; i++)
		event_free(sigs[i]);
	server_events_release(server.events);
	font_free(&server.font);
	speech_close();
	event_base_free(server.base);
}

/* Before the workers share the listen addresses: each free for this daemon
 * (http_conn_port_free says why). */
static int listen_free(const struct config *c)
{
	for (int i = 0; i < c->nlisten; i++)
		if (http_conn_port_free(c->listen[i].host, c->listen[i].port) == -1) {
			log_warn("http: cannot listen on %s:%d", c->listen[i].host,
			    c->listen[i].port);
			return -1;
		}
	return 0;
}

/* With workers N: the parent stays in workers_start; each worker goes on
 * from here, named in the log.  -1 when a listen address is taken. */
static int start_workers(void)
{
	char name[32];

	if (server.cfg.workers > 1 && listen_free(&server.cfg) == -1)
		return -1;
	if ((server.worker = workers_start(server.cfg.workers)) != 0) {
		snprintf(name, sizeof name, "antred.%d", server.worker);
		log_set_name(name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int check = 0, rc;
	struct event_set set;
	struct event *sigs[4];
	const int signums[4] = { SIGTERM, SIGINT, SIGHUP, 0 };
	char err[256];
	struct timeval tick = { 0, 100 * 1000 };

	if ((rc = parse_args(argc, argv, &conf, &check)) != -1)
		return rc;
	if (load_all(conf, &server.cfg, &set) == -1)
		return 2;
	log_set_level(server.cfg.log_level);
	if (check) {
		if (access(server.cfg.secret_file, R_OK) != 0)
			log_info("secret file %s will be created at start", server.cfg.secret_file);
		printf("%s: configuration OK: %d events, %d tokens, %d listen addresses\n",
		    conf, set.n, server.cfg.ntokens, server.cfg.nlisten);
		event_set_free(&set);
		return 0;
	}
	if (server_load_secret(server.cfg.secret_file, server.secret, err) == -1) {
		log_warnx("secret-file: %s", err);
		event_set_free(&set);
		return 2;
	}
	server_events_replace(&set);
	load_font();
	/* before the workers: the parent, which stays in start_workers, must
	 * not die of a log line to a closed pipe (and take them with it) */
	signal(SIGPIPE, SIG_IGN);
	if (start_workers() == -1)
		return 1;

	log_capture_libevent();
	notify_init();
	if ((server.base = new_base()) == NULL ||
	    event_base_priority_init(server.base, SERVER_PRIORITIES) == -1)
		fatalx("event_base_new failed");
	for (int i = 0; signums[i]; i++) {
		sigs[i] = evsignal_new(server.base, signums[i], on_signal, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("cannot watch signal %d", signums[i]);
	}
	if ((cron_event = event_new(server.base, -1, EV_PERSIST, on_cron, NULL)) == NULL ||
	    evtimer_add(cron_event, &tick) == -1)
		fatalx("cannot start the housekeeping timer");
	if ((fanout_event = event_new(server.base, -1, 0, on_fanout, NULL)) == NULL ||
	    event_priority_set(fanout_event, SERVER_PRIO_FANOUT) == -1)
		fatalx("out of memory");   /* at start only: one event, before any request */
	if ((server.store = store_new(server.base, "redis", &server.cfg.redis,
	    server.cfg.redis_timeout_ms)) == NULL)
		fatalx("out of memory");
	if (follow_start(&server.cfg.redis, server.cfg.redis_timeout_ms, &sse_sink) == -1)
		fatalx("out of memory");
	sse_init();
	size_t nroutes;
	const struct route *const *routes = routes_list(&nroutes);
	if (http_start(routes, nroutes) == -1)
		return 1;
	const struct redis_addr *ra = &server.cfg.redis;
	log_info("antred %s ready: %d events, redis %s%s", ANTRE_VERSION, server.events->set.n,
	    ra->nsentinels ? "master " : "",     /* found through the sentinels */
	    ra->nsentinels ? ra->master : ra->unix_path[0] ? ra->unix_path : ra->host);
	notify_ready();
	if (workers_ready(server.worker))
		reload();
	report_status();

	event_base_dispatch(server.base);

	stop_free(sigs, signums);
	log_info("stopped");
	return 0;
}
