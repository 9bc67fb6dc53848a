/*
 * phone_load.c: the load client of make bench's phone part.
 *
 * A venue's crowd on its own ticket pages, at ten times a venue's size:
 * issues N tickets through the API (desk token), opens N signed ticket
 * streams (GET /v1/events/EV/tickets/ID/stream?sig=…, one per ticket, as
 * every phone does after scanning its QR), waits until every phone has its
 * first view, measures antred's resident memory per phone stream, then
 * makes K calls (station token), one every INTERVAL ms, at -x stations of
 * the first stage in turn (each call followed by a skip to free the
 * station), and reports:
 *   - the time from just before a call's request is written until the
 *     called phone has read its `call` event (p50, p99, max);
 *   - antred's RSS delta over the streams, per stream;
 *   - CPU seconds per second of antred (with its workers) and of Redis (-r PID,PID) while
 *     the calls go on, per 1,000 watched tickets, and the views the
 *     phones got meanwhile (every waiting phone's position moves).
 *
 * One thread, plain epoll over non-blocking sockets; client addresses are
 * spread over 127.0.0.2 onwards so that ports never run out.  Every wait is
 * bounded.  Loopback only.  Prints a RESULT line for bench.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define MAX_CALLS 1000
#define READ_BUF (64 * 1024)

static int opt_port, opt_n = 10000, opt_calls = 50, opt_interval = 200, opt_stations = 2;
static int opt_addrs = 199, opt_setup_s = 300;
static const char *opt_event = "bench", *opt_stage = "registration";
static const char *opt_desk, *opt_station;
static int pids[2], npids;

struct phone {
	int fd;
	int head;                    /* the response head has come */
	int views;                   /* `ticket` events read */
	int64_t call_at;             /* when its call was read; 0 not yet */
	unsigned mpos, cpos;         /* partial matches across reads */
	char id[48];
	char path[256];
};

static struct phone *phones;
static int ep;
static char buf[READ_BUF];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- the server's processes ---------------------------------------------- */

static long proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static double proc_cpu_s(int pid)
{
	char path[64], b[1024], *p;
	unsigned long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(b, 1, sizeof b - 1, f);
	fclose(f);
	b[n] = '\0';
	if ((p = strrchr(b, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The process and its children (antred's workers, `workers N`): its
 * resident KiB (what) or CPU seconds, summed. */
static double proc_tree(int pid, int cpu)
{
	char path[64];
	double sum = cpu ? proc_cpu_s(pid) : (double)proc_rss_kb(pid);
	int child;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "r")) == NULL)
		return sum;
	while (fscanf(f, "%d", &child) == 1)
		sum += cpu ? proc_cpu_s(child) : (double)proc_rss_kb(child);
	fclose(f);
	return sum;
}

/* ---- short blocking requests ---------------------------------------------- */

/* One request on a fresh connection, read to the end; the status (body in
 * `body`, NUL-terminated), or -1. */
static int http_do(const char *method, const char *path, const char *token,
    const char *json, char *body, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port) };
	char req[1024];
	size_t got = 0;
	int fd, n, status = -1;
	char *p;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    method, path, token, strlen(json), json);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (got + 1 < size) {
		ssize_t k = read(fd, body + got, size - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	body[got] = '\0';
	if (sscanf(body, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if ((p = strstr(body, "\r\n\r\n")) != NULL)
		memmove(body, p + 4, strlen(p + 4) + 1);
	return status;
}

/* Issues phone i's ticket: its id and its stream's signed path. */
static int issue(int i)
{
	static char body[16384];
	char path[128];
	const char *id, *url, *sig;
	cJSON *j;
	int st;

	snprintf(path, sizeof path, "/v1/events/%s/tickets", opt_event);
	if ((st = http_do("POST", path, opt_desk, "{\"service\":\"dose1\"}", body,
	    sizeof body)) != 201) {
		fprintf(stderr, "phone_load: issue %d: status %d\n", i, st);
		return -1;
	}
	if ((j = cJSON_Parse(body)) == NULL)
		return -1;
	id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ticket"), "id"));
	url = cJSON_GetStringValue(cJSON_GetObjectItem(j, "status_url"));
	if (id == NULL || url == NULL || (sig = strstr(url, "?sig=")) == NULL) {
		cJSON_Delete(j);
		return -1;
	}
	snprintf(phones[i].id, sizeof phones[i].id, "%s", id);
	snprintf(phones[i].path, sizeof phones[i].path, "/v1/events/%s/tickets/%s/stream%s",
	    opt_event, id, sig);
	cJSON_Delete(j);
	return 0;
}

/* ---- the streams --------------------------------------------------------- */

static int phone_open(int i)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct epoll_event e = { .events = EPOLLIN };
	char req[512];
	int fd, n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (uint32_t)(i % opt_addrs));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "phone_load: phone %d: %s\n", i, strerror(errno));
		return -1;
	}
	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n\r\n", phones[i].path);
	if (write(fd, req, (size_t)n) != n)
		return -1;
	phones[i].fd = fd;
	e.data.u32 = (uint32_t)i;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* Counts `m` in the stream, across reads.  The markers begin SSE lines,
 * which begin with the field name, so restarting a partial match at the
 * mismatch is exact here (no KMP needed). */
static int scan(const char *m, unsigned *pos, const char *b, size_t n)
{
	size_t ml = strlen(m);
	int hits = 0;

	for (size_t k = 0; k < n; k++) {
		if (b[k] == m[*pos])
			(*pos)++;
		else
			*pos = b[k] == m[0];
		if (*pos == ml) {
			hits++;
			*pos = 0;
		}
	}
	return hits;
}

static long views_total, closed_total;

/* Reads whatever the streams have, for up to `ms`. */
static void pump(int ms)
{
	struct epoll_event ev[256];
	int64_t end = now_ns() + (int64_t)ms * 1000000;

	for (;;) {
		int64_t left = (end - now_ns()) / 1000000;
		int n = epoll_wait(ep, ev, 256, left > 0 ? (int)left : 0);
		int64_t t = now_ns();
		for (int k = 0; k < n; k++) {
			struct phone *p = &phones[ev[k].data.u32];
			ssize_t got = read(p->fd, buf, sizeof buf);
			int v;
			if (got <= 0) {
				if (got < 0 && errno == EAGAIN)
					continue;
				epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
				closed_total++;
				continue;
			}
			p->head = 1;
			v = scan("event: ticket\n", &p->mpos, buf, (size_t)got);
			p->views += v;
			views_total += v;
			if (scan("event: call\n", &p->cpos, buf, (size_t)got) && p->call_at == 0)
				p->call_at = t;
		}
		if (left <= 0)
			return;
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: phone_load -p PORT -D DESK -S STATION [-e EVENT] [-s STAGE]\n"
	    "  [-x STATIONS] [-n PHONES] [-k CALLS] [-i INTERVAL_MS] [-r ANTRED_PID,REDIS_PID]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static double lat[MAX_CALLS];
	static char body[16384];
	int called[MAX_CALLS], ncalled = 0, opt, ready;
	long rss0, rss1;
	double cpu0[2] = { 0 }, cpu1[2] = { 0 };
	int64_t t_issue, t_open, t_calls0, t_calls1;
	long views0;

	while ((opt = getopt(argc, argv, "p:D:S:e:s:x:n:k:i:r:")) != -1) {
		switch (opt) {
		case 'p': opt_port = atoi(optarg); break;
		case 'D': opt_desk = optarg; break;
		case 'S': opt_station = optarg; break;
		case 'e': opt_event = optarg; break;
		case 's': opt_stage = optarg; break;
		case 'x': opt_stations = atoi(optarg); break;
		case 'n': opt_n = atoi(optarg); break;
		case 'k': opt_calls = atoi(optarg); break;
		case 'i': opt_interval = atoi(optarg); break;
		case 'r':
			npids = sscanf(optarg, "%d,%d", &pids[0], &pids[1]);
			break;
		default: usage();
		}
	}
	if (opt_port <= 0 || opt_desk == NULL || opt_station == NULL || npids != 2 ||
	    opt_n < 1 || opt_calls < 1 || opt_calls > MAX_CALLS || opt_calls > opt_n ||
	    opt_stations < 1)
		usage();
	if ((phones = calloc((size_t)opt_n, sizeof *phones)) == NULL ||
	    (ep = epoll_create1(0)) < 0)
		return 1;

	t_issue = now_ns();
	for (int i = 0; i < opt_n; i++)
		if (issue(i) == -1)
			return 1;
	printf("issued %d tickets in %.1f s\n", opt_n, (double)(now_ns() - t_issue) / 1e9);
	sleep_ms(500);
	rss0 = (long)proc_tree(pids[0], 0);

	t_open = now_ns();
	/* a hundred at a time, each lot answered before the next: more at
	 * once would overflow the listen backlog (128), and a dropped SYN
	 * costs a phone a second, which measures the client, not antred */
	for (int i = 0; i < opt_n; i++) {
		if (phone_open(i) == -1)
			return 1;
		if (i % 100 == 99 || i == opt_n - 1) {
			int64_t t = now_ns();
			for (int k = i - i % 100; k <= i && now_ns() - t < 10000000000LL;)
				if (phones[k].head)
					k++;
				else
					pump(5);
		}
	}
	for (ready = 0; ready < opt_n && now_ns() - t_open < (int64_t)opt_setup_s * 1000000000;) {
		pump(100);
		ready = 0;
		for (int i = 0; i < opt_n; i++)
			ready += phones[i].views > 0;
	}
	if (ready < opt_n || closed_total) {
		fprintf(stderr, "phone_load: %d of %d phones got a first view, %ld closed\n",
		    ready, opt_n, closed_total);
		return 1;
	}
	printf("%d phone streams open, each with its first view, in %.1f s\n", opt_n,
	    (double)(now_ns() - t_open) / 1e9);
	pump(2000);                  /* idle: nothing changes */
	rss1 = (long)proc_tree(pids[0], 0);

	views0 = views_total;
	t_calls0 = now_ns();
	for (int i = 0; i < 2; i++)
		cpu0[i] = i ? proc_cpu_s(pids[i]) : proc_tree(pids[i], 1);
	for (int k = 0; k < opt_calls; k++) {
		char path[256], station[80];
		int64_t t0, t_reply, next = t_calls0 + (int64_t)k * opt_interval * 1000000;
		const char *id;
		cJSON *j;
		int st, who = -1;
		while (now_ns() < next)
			pump((int)((next - now_ns()) / 1000000) + 1);
		snprintf(station, sizeof station, "%s-%d", opt_stage, 1 + k % opt_stations);
		snprintf(path, sizeof path, "/v1/events/%s/stations/%s/call", opt_event, station);
		t0 = now_ns();
		if ((st = http_do("POST", path, opt_station, "{}", body, sizeof body)) != 200 ||
		    (j = cJSON_Parse(body)) == NULL) {
			fprintf(stderr, "phone_load: call %d: status %d\n", k, st);
			return 1;
		}
		t_reply = now_ns();
		id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ticket"), "id"));
		for (int i = 0; id && i < opt_n && who < 0; i++)
			if (strcmp(phones[i].id, id) == 0)
				who = i;
		cJSON_Delete(j);
		if (who < 0) {
			fprintf(stderr, "phone_load: call %d: not one of the phones' tickets\n", k);
			return 1;
		}
		/* the phone's own read of it, within 5 s */
		while (phones[who].call_at == 0 && now_ns() - t0 < 5000000000LL)
			pump(1);
		if (phones[who].call_at == 0) {
			fprintf(stderr, "phone_load: call %d: the phone never got it\n", k);
			return 1;
		}
		lat[ncalled] = (double)(phones[who].call_at - t0) / 1e6;
		if (lat[ncalled] > 250)
			printf("call %d: %.1f ms to its phone (the call's reply after %.1f ms)\n", k,
			    lat[ncalled], (double)(t_reply - t0) / 1e6);
		called[ncalled++] = who;
		snprintf(path, sizeof path, "/v1/events/%s/stations/%s/skip", opt_event, station);
		if ((st = http_do("POST", path, opt_station, "{}", body, sizeof body)) != 200) {
			fprintf(stderr, "phone_load: skip %d: status %d\n", k, st);
			return 1;
		}
	}
	pump(1000);                  /* the last round of views */
	t_calls1 = now_ns();
	for (int i = 0; i < 2; i++)
		cpu1[i] = i ? proc_cpu_s(pids[i]) : proc_tree(pids[i], 1);
	(void)called;
	if (closed_total) {
		fprintf(stderr, "phone_load: %ld phone streams were closed\n", closed_total);
		return 1;
	}

	{
		double wall = (double)(t_calls1 - t_calls0) / 1e9, per = opt_n / 1000.0;
		double acpu = (cpu1[0] - cpu0[0]) / wall, rcpu = (cpu1[1] - cpu0[1]) / wall;
		double kib = (double)(rss1 - rss0) / opt_n;
		double p50, p99;
		qsort(lat, (size_t)ncalled, sizeof lat[0], cmp_dbl);
		p50 = lat[ncalled / 2];
		p99 = lat[(ncalled * 99 + 99) / 100 - 1];
		printf("%d calls, one every %d ms: call to the called phone p50 %.1f ms, "
		    "p99 %.1f ms, max %.1f ms\n", ncalled, opt_interval, p50, p99, lat[ncalled - 1]);
		printf("antred memory: %.2f KiB per phone stream (RSS %ld -> %ld KiB)\n",
		    kib, rss0, rss1);
		printf("while calls go on (%.1f s): antred %.3f, Redis %.3f CPU s/s "
		    "(%.4f and %.4f per 1,000 watched tickets); %.0f views/s to the phones\n",
		    wall, acpu, rcpu, acpu / per, rcpu / per, (double)(views_total - views0) / wall);
		printf("RESULT phones=%d calls=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
		    "kib_per_phone=%.2f antred_cpu_per_1000=%.4f redis_cpu_per_1000=%.4f\n",
		    opt_n, ncalled, p50, p99, lat[ncalled - 1], kib, acpu / per, rcpu / per);
	}
	return 0;
}
