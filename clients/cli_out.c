/* cli_out.c: writing fetched bytes to a printer, a device or a file. */
#include "cli_out.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A socket gets MSG_NOSIGNAL: a printer that hangs up must not kill us
 * with SIGPIPE before we can say what happened. */
static int write_all(int fd, const void *buf, size_t len, int is_socket)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = is_socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errno = ETIMEDOUT;      /* SO_SNDTIMEO ran out */
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port; 0 or -1. */
static int tcp_split(const char *spec, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon, *h = spec;
	size_t hlen;
	char *end;
	long p;

	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - spec);
	}
	p = strtol(colon + 1, &end, 10);
	if (hlen == 0 || hlen >= hsize || colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, psize, "%ld", p);
	return 0;
}

/* A non-blocking connect that gives up after CLI_OUT_TIMEOUT_S; the socket
 * is left blocking, with the same timeout on sends.  fd or -1 (errno). */
static int tcp_connect_one(const struct addrinfo *ai)
{
	struct timeval tv = { CLI_OUT_TIMEOUT_S, 0 };
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, flags, soerr = 0, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			rc = poll(&pfd, 1, CLI_OUT_TIMEOUT_S * 1000);
		while (rc == -1 && errno == EINTR);
		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
		goto fail;
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

/*
 * After our last byte, shut down our side and read until the printer
 * closes (at most 2 s).  Closing a socket with unread input resets the
 * connection, and a reset can discard what is still in our send buffer;
 * printers that report status on the raw port would lose the receipt's end.
 */
static void tcp_linger(int fd)
{
	int64_t deadline = now_ms() + 2000;
	char sink[512];
	struct pollfd pfd = { fd, POLLIN, 0 };

	shutdown(fd, SHUT_WR);
	for (int64_t left; (left = deadline - now_ms()) > 0;) {
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		if (recv(fd, sink, sizeof sink, 0) <= 0)
			break;
	}
}

static int out_tcp(const char *spec, const void *buf, size_t len, char *err, size_t errsize)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[8];
	int fd = -1, rc, saved = 0;

	if (tcp_split(spec, host, sizeof host, port, sizeof port) == -1) {
		snprintf(err, errsize, "expected tcp:HOST:PORT, not tcp:%s", spec);
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errsize, "cannot resolve printer %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd == -1; ai = ai->ai_next)
		if ((fd = tcp_connect_one(ai)) == -1)
			saved = errno;
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errsize, "cannot connect to printer %s port %s: %s", host, port,
		    strerror(saved));
		return -1;
	}
	if (write_all(fd, buf, len, 1) == -1) {
		snprintf(err, errsize, "sending to printer %s port %s failed: %s", host, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	tcp_linger(fd);
	close(fd);
	return 0;
}

static int out_path(const char *path, const void *buf, size_t len, char *err, size_t errsize)
{
	struct stat st;
	int exists = stat(path, &st) == 0, fd;

	if (exists && !S_ISREG(st.st_mode)) {
		/* a device (or a FIFO): as it is, no truncating or creating */
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	} else if (!exists && errno == ENOENT && strncmp(path, "/dev/", 5) == 0) {
		snprintf(err, errsize, "%s: no such device (is the printer plugged in and on?)",
		    path);
		return -1;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
	}
	if (fd == -1) {
		snprintf(err, errsize, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (write_all(fd, buf, len, 0) == -1) {
		snprintf(err, errsize, "writing %s failed: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errsize, "writing %s failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cli_out_write(const char *dest, const void *buf, size_t len, char *err, size_t errsize)
{
	if (strncmp(dest, "tcp:", 4) == 0)
		return out_tcp(dest + 4, buf, len, err, errsize);
	if (strcmp(dest, "-") == 0) {
		fflush(stdout);         /* what was printed before comes first */
		if (write_all(STDOUT_FILENO, buf, len, 0) == -1) {
			snprintf(err, errsize, "writing to standard output failed: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (*dest == '\0') {
		snprintf(err, errsize, "empty destination");
		return -1;
	}
	return out_path(dest, buf, len, err, errsize);
}
