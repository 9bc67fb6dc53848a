/*
 * sse_load.c: the load client of make bench's live-display part.
 *
 * Opens N Server-Sent Events subscribers to one URL on 127.0.0.1 (client
 * addresses spread over 127.0.0.2 onwards, so that ports never run out),
 * waits until every one has its response head, measures the server's
 * resident memory per idle subscriber, then publishes K calls itself, one
 * every INTERVAL ms, and reports per call the time from just before the
 * publishing request is written until the first, the median, the 99th
 * percentile and the last subscriber has read it.
 *
 * Two publishers:
 *   antre  issues K tickets first (desk token), then per round calls one of
 *          them by code (station token) at the next of -x stations of a
 *          stage, round robin; when there are fewer stations than calls,
 *          each call is followed by a skip, once every subscriber has it,
 *          to free the station for its next turn;
 *   nchan  POSTs "seq=R" to a publisher location.
 * A call is recognised in a stream by a marker (-m), then a key (-K), then
 * the first number after it: the ticket's code number for antre
 * ("event: call\n", "\"code\":\"" -> A-017 -> 17), R for nchan.
 *
 * The client must not be what is measured: subscribers are plain
 * non-blocking sockets on libevent (epoll), one event each, read into one
 * fixed buffer per thread and scanned in place (memmem, then a KMP step for
 * a marker split between two reads); nothing is allocated after the
 * connections are open.  -t splits them over several threads, each with
 * its own event base.  Every wait is bounded.
 *
 * With -F it is instead the bare reference server (see serve(); -t 2: two
 * threads), which the nchan publisher mode drives as well.
 *
 * Loopback only.  Prints a RESULT line for bench.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define MAX_THREADS 8
#define MAX_ROUNDS 1000
#define MAX_PIDS 16
#define READ_BUF (64 * 1024)

/* ---- options ------------------------------------------------------------ */

static int opt_port, opt_n = 1000, opt_threads = 1, opt_rounds = 20, opt_interval = 300;
static int opt_window = 100, opt_addrs = 199, opt_idle_ms = 2000, opt_round_ms = 5000;
static int opt_connect_s = 120, opt_quiet, opt_serve;
static const char *opt_path = "/v1/events/demo/stream";
static const char *opt_mode = "antre";
static const char *opt_marker = "event: call\n", *opt_key = "\"code\":\"";
static const char *opt_desk, *opt_station_token, *opt_event = "demo";
static const char *opt_stage = "registration", *opt_pub = "/pub";
static int opt_stations = 1;
static const char *opt_label = "server";
static int pids[MAX_PIDS], npids;

/* ---- time --------------------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns <= 0)
		return;
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	nanosleep(&ts, NULL);
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* ---- streaming pattern match -------------------------------------------- */

struct pat {
	const char *s;
	unsigned len;
	unsigned fail[64];
};

static void pat_init(struct pat *p, const char *s)
{
	unsigned k = 0;

	p->s = s;
	p->len = (unsigned)strlen(s);
	if (p->len >= 64) {
		fprintf(stderr, "sse_load: pattern too long: %s\n", s);
		exit(2);
	}
	if (p->len)
		p->fail[0] = 0;
	for (unsigned i = 1; i < p->len; i++) {
		while (k > 0 && s[i] != s[k])
			k = p->fail[k - 1];
		if (s[i] == s[k])
			k++;
		p->fail[i] = k;
	}
}

static unsigned pat_step(const struct pat *p, unsigned j, char c)
{
	while (j > 0 && p->s[j] != c)
		j = p->fail[j - 1];
	if (p->s[j] == c)
		j++;
	return j;
}

/*
 * Feeds b[0..n) to the matcher whose progress is *pos; returns the bytes
 * consumed: up to the end of the first match (*hit = 1), else all of them,
 * with *pos the length of the pattern's prefix the data ends with.
 */
static size_t pat_feed(const struct pat *p, unsigned *pos, const char *b, size_t n, int *hit)
{
	size_t i = 0;
	unsigned j = *pos;

	*hit = 0;
	while (i < n) {
		if (j == 0) {
			const char *m = memmem(b + i, n - i, p->s, p->len);
			size_t start;
			if (m) {
				*pos = 0;
				*hit = 1;
				return (size_t)(m - b) + p->len;
			}
			/* no whole match: what the data ends with may begin one */
			start = n - i > p->len - 1 ? n - (p->len - 1) : i;
			for (i = start; i < n; i++)
				j = pat_step(p, j, b[i]);
			*pos = j;
			return n;
		}
		j = pat_step(p, j, b[i++]);
		if (j == p->len) {
			*pos = 0;
			*hit = 1;
			return i;
		}
	}
	*pos = j;
	return n;
}

static struct pat pat_head, pat_marker, pat_key;

/* ---- rounds (calls) and what arrived ------------------------------------ */

static int nrounds;
static uint32_t round_seq[MAX_ROUNDS];     /* the number each call carries */
static char round_code[MAX_ROUNDS][32];
static int64_t round_t0[MAX_ROUNDS], round_reply[MAX_ROUNDS];
static int64_t *arrival;                   /* [round * N + subscriber], 0: not yet */
static atomic_int round_count[MAX_ROUNDS];
static atomic_int round_open[MAX_ROUNDS];  /* set just before t0 */
static atomic_long unknown_calls;

static int round_of(uint32_t seq)
{
	for (int r = 0; r < nrounds; r++)
		if (round_seq[r] == seq)
			return r;
	return -1;
}

/* ---- subscribers -------------------------------------------------------- */

enum { PH_CONNECTING, PH_HEAD, PH_MARK, PH_KEY, PH_NUM, PH_DEAD };

struct conn {
	int fd;
	int idx;
	uint8_t phase;
	uint8_t skipped;
	uint8_t ndigits;
	unsigned pos;
	uint32_t num;
	uint64_t bytes;
	struct event *ev;
	struct worker *w;
};

struct worker {
	int id;
	pthread_t thread;
	struct event_base *base;
	struct event *tick;
	int first, count, next;     /* its subscribers: conns[first + k * nthreads] */
	int inflight;
	char *buf;
	atomic_ullong bytes;         /* read by its subscribers */
};

static struct conn *conns;
static struct worker workers[MAX_THREADS];
static atomic_int nconnected, nfailed, nclosed;
static atomic_int stopping;
static char request[512];
static size_t request_len;

static void conn_start(struct worker *w);

static void conn_fail(struct conn *c, const char *why, int err)
{
	static atomic_int reported;

	if (atomic_fetch_add(&reported, 1) < 5)
		fprintf(stderr, "sse_load: subscriber %d: %s%s%s\n", c->idx, why,
		    err ? ": " : "", err ? strerror(err) : "");
	if (c->phase < PH_MARK) {
		atomic_fetch_add(&nfailed, 1);
		c->w->inflight--;
	} else
		atomic_fetch_add(&nclosed, 1);
	c->phase = PH_DEAD;
	event_del(c->ev);
	close(c->fd);
	c->fd = -1;
	if (c->w->inflight >= 0)
		conn_start(c->w);
}

static void on_arrival(struct conn *c, uint32_t seq, int64_t t)
{
	int r = round_of(seq);

	/* a number of no round, or of one not yet published (a server that
	 * kept messages of an earlier run) */
	if (r < 0 || !atomic_load_explicit(&round_open[r], memory_order_acquire)) {
		atomic_fetch_add(&unknown_calls, 1);
		return;
	}
	if (arrival[(size_t)r * (size_t)opt_n + (size_t)c->idx] == 0) {
		arrival[(size_t)r * (size_t)opt_n + (size_t)c->idx] = t;
		atomic_fetch_add_explicit(&round_count[r], 1, memory_order_release);
	}
}

/* Scans what arrived: the response head, then markers, keys and numbers. */
static void conn_scan(struct conn *c, const char *b, size_t n, int64_t t)
{
	size_t off = 0;
	int hit;

	if (c->phase == PH_HEAD && c->bytes == n && n >= 12 &&
	    (memcmp(b, "HTTP/1.", 7) != 0 || memcmp(b + 8, " 200", 4) != 0)) {
		char line[64];
		const char *eol = memchr(b, '\r', n);
		size_t l = eol ? (size_t)(eol - b) : n;
		snprintf(line, sizeof line, "%.*s", (int)(l < 60 ? l : 60), b);
		conn_fail(c, line, 0);
		return;
	}
	while (off < n) {
		switch (c->phase) {
		case PH_HEAD:
			off += pat_feed(&pat_head, &c->pos, b + off, n - off, &hit);
			if (hit) {
				c->phase = PH_MARK;
				c->w->inflight--;
				atomic_fetch_add(&nconnected, 1);
				conn_start(c->w);
			}
			break;
		case PH_MARK:
			off += pat_feed(&pat_marker, &c->pos, b + off, n - off, &hit);
			if (hit) {
				c->phase = pat_key.len ? PH_KEY : PH_NUM;
				c->num = 0;
				c->ndigits = 0;
				c->skipped = 0;
			}
			break;
		case PH_KEY:
			off += pat_feed(&pat_key, &c->pos, b + off, n - off, &hit);
			if (hit)
				c->phase = PH_NUM;
			break;
		case PH_NUM:
			for (; off < n && c->phase == PH_NUM; off++) {
				char ch = b[off];
				if (ch >= '0' && ch <= '9') {
					c->num = c->num * 10 + (uint32_t)(ch - '0');
					if (++c->ndigits > 9)
						c->phase = PH_MARK;
				} else if (c->ndigits > 0) {
					on_arrival(c, c->num, t);
					c->phase = PH_MARK;
				} else if (++c->skipped > 16)
					c->phase = PH_MARK;   /* no number after the key */
			}
			break;
		default:
			return;
		}
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct worker *w = c->w;
	ssize_t n;

	(void)what;
	/* level-triggered: what does not fit now comes next round */
	n = read(fd, w->buf, READ_BUF);
	if (n > 0) {
		int64_t t = now_ns();
		c->bytes += (uint64_t)n;
		atomic_fetch_add_explicit(&w->bytes, (unsigned long long)n, memory_order_relaxed);
		conn_scan(c, w->buf, (size_t)n, t);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	conn_fail(c, n == 0 ? "closed by the server" : "read", n == 0 ? 0 : errno);
}

static void on_connected(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int err = 0;
	socklen_t len = sizeof err;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err) {
		conn_fail(c, "connect", err);
		return;
	}
	/* the request is a few hundred bytes: it fits the socket buffer */
	if (write(fd, request, request_len) != (ssize_t)request_len) {
		conn_fail(c, "write", errno);
		return;
	}
	c->phase = PH_HEAD;
	event_del(c->ev);
	event_assign(c->ev, c->w->base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_add(c->ev, NULL);
}

/* Opens the worker's next subscribers while fewer than the window (-w,
 * 100) are still waiting for their response head: a server's accept
 * backlog is finite (evhttp listens with 128), and a SYN beyond it is
 * dropped and sent again a second later, which would measure the backlog. */
static void conn_start(struct worker *w)
{
	int window = opt_window / opt_threads > 0 ? opt_window / opt_threads : 1;

	while (w->inflight < window && w->next < w->count) {
		int i = w->first + w->next++ * opt_threads;
		struct conn *c = &conns[i];
		struct sockaddr_in src = { 0 }, dst = { 0 };
		int one = 1, fd;

		c->idx = i;
		c->w = w;
		c->phase = PH_CONNECTING;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			atomic_fetch_add(&nfailed, 1);
			c->phase = PH_DEAD;
			if (atomic_load(&nfailed) <= 5)
				perror("sse_load: socket");
			continue;
		}
		c->fd = fd;
		w->inflight++;
		/* the port is chosen at connect, per source address and destination */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i % opt_addrs));
		dst.sin_family = AF_INET;
		dst.sin_port = htons((uint16_t)opt_port);
		dst.sin_addr.s_addr = htonl(0x7f000001u);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) == -1) {
			c->ev = event_new(w->base, fd, EV_WRITE, on_connected, c);
			conn_fail(c, "bind", errno);
			continue;
		}
		c->ev = event_new(w->base, fd, EV_WRITE, on_connected, c);
		if (c->ev == NULL) {
			fprintf(stderr, "sse_load: event_new failed\n");
			exit(1);
		}
		if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == -1 && errno != EINPROGRESS) {
			conn_fail(c, "connect", errno);
			continue;
		}
		event_add(c->ev, NULL);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&stopping))
		event_base_loopbreak(w->base);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	conn_start(w);
	event_base_dispatch(w->base);
	return NULL;
}

/* ---- the server's memory and CPU ---------------------------------------- */

/* Sum over the server's processes of a "Key:  N kB" line of a /proc file. */
static long proc_kb(const char *file, const char *key)
{
	long sum = 0;
	size_t kl = strlen(key);

	for (int i = 0; i < npids; i++) {
		char path[64], line[256];
		FILE *f;
		snprintf(path, sizeof path, "/proc/%d/%s", pids[i], file);
		if ((f = fopen(path, "r")) == NULL)
			return -1;
		while (fgets(line, sizeof line, f))
			if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
				sum += strtol(line + kl + 1, NULL, 10);
				break;
			}
		fclose(f);
	}
	return sum;
}

/* CPU time (user + system) of the server's processes, ms. */
static double proc_cpu_ms(void)
{
	double sum = 0;
	long hz = sysconf(_SC_CLK_TCK);

	for (int i = 0; i < npids; i++) {
		char path[64], buf[1024], *p;
		unsigned long ut = 0, st = 0;
		FILE *f;
		size_t n;
		snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			return -1;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* fields after the command's closing parenthesis: state is 3rd */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
			return -1;
		sum += (double)(ut + st) * 1000.0 / (double)hz;
	}
	return sum;
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec * 1000 + (double)ru.ru_utime.tv_usec / 1000 +
	    (double)ru.ru_stime.tv_sec * 1000 + (double)ru.ru_stime.tv_usec / 1000;
}

/* Open descriptors of each server process, "a+b" (how nginx spread them). */
static void proc_fds(char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < npids && o < size; i++) {
		char path[64];
		int n = -1;
		DIR *d;
		snprintf(path, sizeof path, "/proc/%d/fd", pids[i]);
		if ((d = opendir(path)) != NULL) {
			for (n = 0; readdir(d); n++)
				;
			closedir(d);
			n -= 2;              /* . and .. */
		}
		o += (size_t)snprintf(out + o, size - o, "%s%d", i ? "+" : "", n);
	}
}

/* ---- the publisher: short blocking HTTP requests ------------------------ */

/*
 * One request on a fresh connection (Connection: close), read to the end.
 * *t0 is taken once connected, just before the request is written; *t1 when
 * the whole reply has been read.  Returns the status, or -1.
 */
static int http_do(const char *method, const char *path, const char *token,
    const char *body, char *reply, size_t size, int64_t *t0, int64_t *t1)
{
	struct sockaddr_in dst = { 0 };
	struct timeval tv = { 10, 0 };
	char req[1024];
	size_t got = 0, blen = body ? strlen(body) : 0;
	int fd, n, status = -1, one = 1;

	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)opt_port);
	dst.sin_addr.s_addr = htonl(0x7f000001u);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == -1) {
		perror("sse_load: publisher connect");
		close(fd);
		return -1;
	}
	n = snprintf(req, sizeof req,
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
	    "%s%s%s"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, opt_port,
	    token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
	    strcmp(opt_mode, "nchan") == 0 ? "text/plain" : "application/json", blen,
	    body ? body : "");
	if (t0)
		*t0 = now_ns();
	if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (got + 1 < size) {
		ssize_t r = read(fd, reply + got, size - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (t1)
		*t1 = now_ns();
	reply[got] = '\0';
	close(fd);
	if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	return status;
}

static const char *reply_body(const char *reply)
{
	const char *b = strstr(reply, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* antre: K tickets to call, each one's code and its number. */
static int antre_setup(void)
{
	char path[256], reply[8192];

	snprintf(path, sizeof path, "/v1/events/%s/tickets", opt_event);
	for (int r = 0; r < nrounds; r++) {
		const char *b, *code;
		int st = http_do("POST", path, opt_desk, "{\"service\":\"dose1\"}", reply,
		    sizeof reply, NULL, NULL);
		b = reply_body(reply);
		if (st != 201 || (code = strstr(b, "\"code\":\"")) == NULL) {
			fprintf(stderr, "sse_load: issuing a ticket: %d %s\n", st, b);
			return -1;
		}
		code += 8;
		snprintf(round_code[r], sizeof round_code[r], "%.*s", (int)strcspn(code, "\""), code);
		if (sscanf(round_code[r], "%*[^0-9]%" SCNu32, &round_seq[r]) != 1) {
			fprintf(stderr, "sse_load: a code without a number: %s\n", round_code[r]);
			return -1;
		}
	}
	return 0;
}

static char pub_reply[8192];

/* Publishes round r's call; its status (the reply in pub_reply). */
static int publish(int r)
{
	char path[256], body[128], *reply = pub_reply;

	if (strcmp(opt_mode, "nchan") == 0) {
		snprintf(body, sizeof body, "seq=%" PRIu32, round_seq[r]);
		return http_do("POST", opt_pub, NULL, body, reply, sizeof pub_reply,
		    &round_t0[r], &round_reply[r]);
	}
	snprintf(path, sizeof path, "/v1/events/%s/stations/%s-%d/call", opt_event, opt_stage,
	    r % opt_stations + 1);
	snprintf(body, sizeof body, "{\"ticket\":\"%s\"}", round_code[r]);
	return http_do("POST", path, opt_station_token, body, reply, sizeof pub_reply,
	    &round_t0[r], &round_reply[r]);
}

/* After round r: frees its station when it is needed again (antre). */
static int unpublish(int r)
{
	char path[256], *reply = pub_reply;

	if (strcmp(opt_mode, "nchan") == 0 || opt_stations >= nrounds)
		return 200;
	snprintf(path, sizeof path, "/v1/events/%s/stations/%s-%d/skip", opt_event, opt_stage,
	    r % opt_stations + 1);
	return http_do("POST", path, opt_station_token, NULL, reply, sizeof pub_reply, NULL, NULL);
}

/* ---- report ------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_dbl);
	return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- -F: the bare reference server -------------------------------------- */

/*
 * The least a server can do per message: epoll, and one send() per
 * subscriber, nothing else (no HTTP library, no buffering).  A GET becomes
 * a stream; a POST's body goes to every stream as "event: call\ndata:
 * BODY\n\n".  With -t 2 two threads, each with its own epoll, its own
 * listening socket on the port (SO_REUSEPORT: the kernel spreads the
 * connections) and its own subscribers, as antred's two workers: the
 * thread that reads a POST passes the message to the other through a
 * pipe, then sends it to its own.  What it takes to
 * reach N subscribers is this machine's floor for that many threads.
 * Runs until SIGTERM or SIGINT.
 */
static volatile sig_atomic_t serve_stop;

static void on_serve_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

#define SERVE_MSG 1100

struct server_thread {
	int lfd, ep, from_peer, to_peer;   /* to_peer -1: alone */
	int nsubs, cap, *subs;
};

static void serve_fan_out(struct server_thread *t, const char *msg, int len)
{
	for (int k = 0; k < t->nsubs; k++)
		if (send(t->subs[k], msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) != len) {
			close(t->subs[k]);         /* gone, or too far behind */
			t->subs[k--] = t->subs[--t->nsubs];
		}
}

/* A connection's request: a GET stays as a stream, a POST is published. */
static void serve_request(struct server_thread *t, int fd)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
	static const char ok[] = "HTTP/1.1 202 Accepted\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	char buf[4096], msg[SERVE_MSG];
	/* a request comes whole in one read: it is small, and new */
	ssize_t r = read(fd, buf, sizeof buf - 1);
	const char *body;
	int len, *grown;

	epoll_ctl(t->ep, EPOLL_CTL_DEL, fd, NULL);
	if (r <= 0) {
		close(fd);
		return;
	}
	buf[r] = '\0';
	if (strncmp(buf, "GET ", 4) == 0) {
		if (t->nsubs == t->cap) {
			if ((grown = realloc(t->subs, (size_t)t->cap * 2 * sizeof *grown)) == NULL) {
				close(fd);
				return;
			}
			t->subs = grown;
			t->cap *= 2;
		}
		if (send(fd, head, sizeof head - 1, MSG_NOSIGNAL) != (ssize_t)sizeof head - 1) {
			close(fd);
			return;
		}
		t->subs[t->nsubs++] = fd;
		return;
	}
	body = strstr(buf, "\r\n\r\n");
	len = snprintf(msg, sizeof msg, "event: call\ndata: %.1000s\n\n", body ? body + 4 : "");
	/* a pipe takes a message this small whole, at once */
	if (t->to_peer != -1 && write(t->to_peer, msg, (size_t)len) != len)
		perror("bench-sse -F: pipe");
	serve_fan_out(t, msg, len);
	if (send(fd, ok, sizeof ok - 1, MSG_NOSIGNAL) < 0)
		perror("bench-sse -F: reply");
	close(fd);
}

static void *serve_thread(void *arg)
{
	struct server_thread *t = arg;
	struct epoll_event ev = { 0 }, evs[256];
	char msg[SERVE_MSG];

	ev.events = EPOLLIN;
	ev.data.fd = t->lfd;
	epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lfd, &ev);
	if (t->from_peer != -1) {
		ev.events = EPOLLIN;
		ev.data.fd = t->from_peer;
		epoll_ctl(t->ep, EPOLL_CTL_ADD, t->from_peer, &ev);
	}
	while (!serve_stop) {
		int n = epoll_wait(t->ep, evs, 256, 1000);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c;
			ssize_t r;
			if (fd == t->lfd) {
				while ((c = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(t->ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else if (fd == t->from_peer) {
				if ((r = read(fd, msg, sizeof msg)) > 0)
					serve_fan_out(t, msg, (int)r);
			} else {
				serve_request(t, fd);
			}
		}
	}
	return NULL;
}

static int serve(void)
{
	struct sockaddr_in a = { 0 };
	struct server_thread th[2];
	pthread_t tid[2];
	int one = 1, n = opt_threads >= 2 ? 2 : 1, p[2][2];

	signal(SIGTERM, on_serve_signal);
	signal(SIGINT, on_serve_signal);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)opt_port);
	a.sin_addr.s_addr = htonl(0x7f000001u);
	if (n == 2 && (pipe2(p[0], O_CLOEXEC) == -1 || pipe2(p[1], O_CLOEXEC) == -1)) {
		perror("bench-sse -F: pipe");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		th[i] = (struct server_thread){ .lfd = lfd, .from_peer = -1, .to_peer = -1,
			.cap = 1024, .ep = epoll_create1(EPOLL_CLOEXEC) };
		th[i].subs = malloc((size_t)th[i].cap * sizeof *th[i].subs);
		if (lfd == -1 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
		    setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1 ||
		    bind(lfd, (struct sockaddr *)&a, sizeof a) == -1 || listen(lfd, 4096) == -1 ||
		    th[i].ep == -1 || th[i].subs == NULL) {
			perror("bench-sse -F");
			return 1;
		}
		if (n == 2) {                 /* thread i reads p[i], writes the other's */
			th[i].from_peer = p[i][0];
			th[i].to_peer = p[1 - i][1];
		}
	}
	for (int i = 1; i < n; i++)
		if (pthread_create(&tid[i], NULL, serve_thread, &th[i]) != 0) {
			perror("bench-sse -F: thread");
			return 1;
		}
	serve_thread(&th[0]);
	for (int i = 1; i < n; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < th[i].nsubs; k++)
			close(th[i].subs[k]);
		free(th[i].subs);
		close(th[i].ep);
		close(th[i].lfd);
	}
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
	    "usage: bench-sse -p PORT [-n N] [-u PATH] [-t THREADS] [-k CALLS] [-i MS]\n"
	    "    [-M antre|nchan] [-m MARKER] [-K KEY] [-D DESK-TOKEN] [-S STATION-TOKEN]\n"
	    "    [-e EVENT] [-s STAGE] [-x STATIONS] [-P PUBLISH-PATH] [-r PID,PID...]\n"
	    "    [-w WINDOW] [-a ADDRESSES] [-I IDLE-MS] [-W ROUND-TIMEOUT-MS]\n"
	    "    [-C CONNECT-TIMEOUT-S] [-L LABEL] [-q]\n"
	    "       bench-sse -F -p PORT [-t 1|2]   (the bare reference server)\n"
	    "MARKER and KEY take \\n, \\r, \\t and \\\\.\n");
	exit(2);
}

static char *unescape(const char *s)
{
	char *out = strdup(s), *o = out;

	if (out == NULL)
		exit(1);
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

static unsigned long long bytes_read(void)
{
	unsigned long long sum = 0;

	for (int t = 0; t < opt_threads; t++)
		sum += atomic_load_explicit(&workers[t].bytes, memory_order_relaxed);
	return sum;
}

static void stop_workers(void)
{
	atomic_store(&stopping, 1);
	for (int t = 0; t < opt_threads; t++)
		pthread_join(workers[t].thread, NULL);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int ch, failed = 0;
	long rss0, rss1, pss0, pss1;
	double srv_cpu0, srv_cpu1, cli_cpu0, cli_cpu1;
	int64_t t_start, t_conn, deadline;
	unsigned long long bytes0, bytes1;
	char fds[128];

	while ((ch = getopt(argc, argv, "p:n:u:t:k:i:M:m:K:D:S:e:s:x:P:r:w:a:I:W:C:L:qF")) != -1) {
		switch (ch) {
		case 'p': opt_port = atoi(optarg); break;
		case 'n': opt_n = atoi(optarg); break;
		case 'u': opt_path = optarg; break;
		case 't': opt_threads = atoi(optarg); break;
		case 'k': opt_rounds = atoi(optarg); break;
		case 'i': opt_interval = atoi(optarg); break;
		case 'M': opt_mode = optarg; break;
		case 'm': opt_marker = unescape(optarg); break;
		case 'K': opt_key = unescape(optarg); break;
		case 'D': opt_desk = optarg; break;
		case 'S': opt_station_token = optarg; break;
		case 'e': opt_event = optarg; break;
		case 's': opt_stage = optarg; break;
		case 'x': opt_stations = atoi(optarg); break;
		case 'P': opt_pub = optarg; break;
		case 'r':
			for (char *p = optarg; *p && npids < MAX_PIDS; ) {
				pids[npids++] = (int)strtol(p, &p, 10);
				while (*p == ',' || *p == ' ')
					p++;
			}
			break;
		case 'w': opt_window = atoi(optarg); break;
		case 'a': opt_addrs = atoi(optarg); break;
		case 'I': opt_idle_ms = atoi(optarg); break;
		case 'W': opt_round_ms = atoi(optarg); break;
		case 'C': opt_connect_s = atoi(optarg); break;
		case 'L': opt_label = optarg; break;
		case 'q': opt_quiet = 1; break;
		case 'F': opt_serve = 1; break;
		default: usage();
		}
	}
	if (opt_serve && opt_port > 0 && opt_port <= 65535) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		signal(SIGPIPE, SIG_IGN);
		return serve();
	}
	if (opt_port <= 0 || opt_port > 65535 || opt_n < 1 || opt_threads < 1 ||
	    opt_threads > MAX_THREADS || opt_rounds < 1 || opt_rounds > MAX_ROUNDS ||
	    opt_addrs < 1 || opt_addrs > 250 || opt_interval < 0 || opt_window < 1 ||
	    opt_round_ms < 1 || opt_connect_s < 1 || opt_stations < 1 || *opt_marker == '\0' ||
	    (strcmp(opt_mode, "antre") != 0 && strcmp(opt_mode, "nchan") != 0) ||
	    (strcmp(opt_mode, "antre") == 0 && (opt_desk == NULL || opt_station_token == NULL)))
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* every subscriber is a descriptor: as many as we may */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt_n + 64) {
		fprintf(stderr, "sse_load: %d subscribers need %d descriptors; the limit is %lu\n",
		    opt_n, opt_n + 64, (unsigned long)rl.rlim_cur);
		return 1;
	}

	pat_init(&pat_head, "\r\n\r\n");
	pat_init(&pat_marker, opt_marker);
	pat_init(&pat_key, opt_key);
	request_len = (size_t)snprintf(request, sizeof request,
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
	    "Cache-Control: no-cache\r\n\r\n", opt_path, opt_port);

	nrounds = opt_rounds;
	if (strcmp(opt_mode, "antre") == 0) {
		if (antre_setup() == -1)
			return 1;
	} else
		for (int r = 0; r < nrounds; r++) {
			round_seq[r] = (uint32_t)r + 1;
			snprintf(round_code[r], sizeof round_code[r], "seq=%d", r + 1);
		}

	conns = calloc((size_t)opt_n, sizeof *conns);
	arrival = calloc((size_t)opt_n * (size_t)nrounds, sizeof *arrival);
	if (conns == NULL || arrival == NULL) {
		fprintf(stderr, "sse_load: out of memory\n");
		return 1;
	}
	for (int i = 0; i < opt_n; i++)
		conns[i].fd = -1;

	sleep_ns(200 * 1000000LL);
	rss0 = proc_kb("status", "VmRSS");
	pss0 = proc_kb("smaps_rollup", "Pss");

	/* subscribers, spread over the workers */
	t_start = now_ns();
	for (int t = 0; t < opt_threads; t++) {
		struct worker *w = &workers[t];
		struct timeval tv = { 0, 50000 };
		w->id = t;
		w->first = t;
		w->count = opt_n / opt_threads + (t < opt_n % opt_threads);
		if ((w->base = event_base_new()) == NULL ||
		    (w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w)) == NULL ||
		    (w->buf = malloc(READ_BUF)) == NULL) {
			fprintf(stderr, "sse_load: libevent setup failed\n");
			return 1;
		}
		event_add(w->tick, &tv);
		if (pthread_create(&w->thread, NULL, worker_run, w) != 0) {
			fprintf(stderr, "sse_load: pthread_create failed\n");
			return 1;
		}
	}
	deadline = t_start + (int64_t)opt_connect_s * 1000000000;
	while (atomic_load(&nconnected) + atomic_load(&nfailed) < opt_n && now_ns() < deadline)
		sleep_ns(5 * 1000000LL);
	t_conn = now_ns();
	printf("%s: %d/%d subscribers connected in %.2f s (%d threads, %d addresses)\n",
	    opt_label, atomic_load(&nconnected), opt_n, (double)(t_conn - t_start) / 1e9,
	    opt_threads, opt_addrs);
	if (atomic_load(&nconnected) < opt_n) {
		fprintf(stderr, "sse_load: %s: %d subscribers failed, %d never answered\n",
		    opt_label, atomic_load(&nfailed),
		    opt_n - atomic_load(&nconnected) - atomic_load(&nfailed));
		stop_workers();
		return 1;
	}

	/* idle: what the server keeps per subscriber */
	sleep_ns((int64_t)opt_idle_ms * 1000000);
	rss1 = proc_kb("status", "VmRSS");
	pss1 = proc_kb("smaps_rollup", "Pss");
	proc_fds(fds, sizeof fds);
	if (npids)
		printf("%s: RSS %ld -> %ld KiB (%.2f KiB/subscriber), PSS %ld -> %ld KiB "
		    "(%.2f KiB/subscriber); descriptors per process %s\n", opt_label,
		    rss0, rss1, (double)(rss1 - rss0) / opt_n, pss0, pss1,
		    (double)(pss1 - pss0) / opt_n, fds);

	/* the calls */
	srv_cpu0 = proc_cpu_ms();
	cli_cpu0 = self_cpu_ms();
	bytes0 = bytes_read();
	for (int r = 0; r < nrounds; r++) {
		int64_t next = r ? round_t0[r - 1] + (int64_t)opt_interval * 1000000 : 0, end;
		int st;
		sleep_ns(next - now_ns());
		if (atomic_load(&nclosed) > 0) {
			fprintf(stderr, "sse_load: %s: %d subscribers were disconnected\n",
			    opt_label, atomic_load(&nclosed));
			failed = 1;
			break;
		}
		atomic_store_explicit(&round_open[r], 1, memory_order_release);
		st = publish(r);
		if (st < 200 || st > 299) {
			fprintf(stderr, "sse_load: %s: publishing call %d: status %d %s\n",
			    opt_label, r + 1, st, reply_body(pub_reply));
			failed = 1;
			break;
		}
		end = round_t0[r] + (int64_t)opt_round_ms * 1000000;
		while (atomic_load_explicit(&round_count[r], memory_order_acquire) < opt_n &&
		    now_ns() < end)
			sleep_ns(200000);
		st = unpublish(r);
		if (st < 200 || st > 299) {
			fprintf(stderr, "sse_load: %s: after call %d: status %d %s\n",
			    opt_label, r + 1, st, reply_body(pub_reply));
			failed = 1;
			break;
		}
	}
	/* the last round's stragglers, and what the server does after */
	sleep_ns(100 * 1000000LL);
	srv_cpu1 = proc_cpu_ms();
	cli_cpu1 = self_cpu_ms();
	bytes1 = bytes_read();
	stop_workers();

	{
		int64_t *d = malloc((size_t)opt_n * sizeof *d);
		double *alls = malloc((size_t)nrounds * sizeof *alls);
		double *p50s = malloc((size_t)nrounds * sizeof *p50s);
		double *firsts = malloc((size_t)nrounds * sizeof *firsts);
		double *replies = malloc((size_t)nrounds * sizeof *replies);
		double worst = 0;
		int done = 0, complete = 0;

		if (d == NULL || alls == NULL || p50s == NULL || firsts == NULL || replies == NULL)
			return 1;
		for (int r = 0; r < nrounds && round_t0[r]; r++) {
			int got = 0;
			for (int i = 0; i < opt_n; i++) {
				int64_t a = arrival[(size_t)r * (size_t)opt_n + (size_t)i];
				if (a)
					d[got++] = a - round_t0[r];
			}
			qsort(d, (size_t)got, sizeof *d, cmp_i64);
			if (got == 0) {
				printf("%s: call %2d (%s): reply %.1f ms, no subscriber got it\n",
				    opt_label, r + 1, round_code[r], ms(round_reply[r] - round_t0[r]));
				done++;
				continue;
			}
			if (!opt_quiet)
				printf("%s: call %2d (%s): reply %6.1f ms; reached first %6.1f, "
				    "p50 %6.1f, p99 %6.1f, all %6.1f ms (%d/%d)\n", opt_label, r + 1,
				    round_code[r], ms(round_reply[r] - round_t0[r]), ms(d[0]),
				    ms(d[(size_t)(got - 1) / 2]), ms(d[(size_t)((got - 1) * 99) / 100]),
				    ms(d[got - 1]), got, opt_n);
			p50s[done] = ms(d[(size_t)(got - 1) / 2]);
			firsts[done] = ms(d[0]);
			replies[done] = ms(round_reply[r] - round_t0[r]);
			if (got == opt_n) {
				alls[complete++] = ms(d[got - 1]);
				if (ms(d[got - 1]) > worst)
					worst = ms(d[got - 1]);
			} else
				failed = 1;
			done++;
		}
		if (complete < done)
			fprintf(stderr, "sse_load: %s: %d calls did not reach every subscriber "
			    "within %d ms\n", opt_label, done - complete, opt_round_ms);
		if (atomic_load(&unknown_calls))
			fprintf(stderr, "sse_load: %s: %ld calls of no round, or before it, seen\n", opt_label,
			    (long)atomic_load(&unknown_calls));
		{
			double med_all = median(alls, complete), med_p50 = median(p50s, done);
			printf("%s: %d subscribers, %d calls every %d ms: all reached in median "
			    "%.1f ms (worst %.1f ms); medians of the first subscriber %.1f ms, "
			    "of the p50 one %.1f ms, of the publisher's reply %.1f ms\n",
			    opt_label, opt_n, done, opt_interval, med_all, worst,
			    median(firsts, done), med_p50, median(replies, done));
			printf("%s: a call: %.0f bytes to each subscriber (all it got during the "
			    "calls, over their number), CPU: server %.0f ms, client %.0f ms\n", opt_label,
			    done ? (double)(bytes1 - bytes0) / opt_n / done : 0.0,
			    done ? (srv_cpu1 - srv_cpu0) / done : 0.0,
			    done ? (cli_cpu1 - cli_cpu0) / done : 0.0);
			printf("RESULT label=%s n=%d calls=%d complete=%d connect_s=%.2f "
			    "kib_per_sub=%.2f pss_kib_per_sub=%.2f median_all_ms=%.1f "
			    "worst_all_ms=%.1f median_p50_ms=%.1f median_reply_ms=%.1f\n", opt_label,
			    opt_n, done, complete, (double)(t_conn - t_start) / 1e9,
			    npids ? (double)(rss1 - rss0) / opt_n : -1.0,
			    npids ? (double)(pss1 - pss0) / opt_n : -1.0, med_all, worst, med_p50,
			    median(replies, done));
		}
		free(d);
		free(alls);
		free(p50s);
		free(firsts);
		free(replies);
	}
	return failed;
}
