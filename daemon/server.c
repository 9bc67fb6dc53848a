/* server.c: the global state and what it owns. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"

struct server server;

struct event_ref *server_events_hold(void)
{
	server.events->refs++;
	return server.events;
}

void server_events_release(struct event_ref *ref)
{
	if (ref && --ref->refs == 0) {
		event_set_free(&ref->set);
		free(ref);
	}
}

void server_events_replace(struct event_set *set)
{
	struct event_ref *ref = calloc(1, sizeof *ref);

	if (ref == NULL)
		fatal("calloc");
	ref->refs = 1;
	ref->set = *set;
	server_events_release(server.events);
	server.events = ref;
}

int server_load_secret(const char *path, unsigned char *secret, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd == -1 && errno == ENOENT) {
		if (RAND_bytes(secret, SECRET_LEN) != 1) {
			snprintf(err, 256, "no random bytes for a new secret");
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1) {
			snprintf(err, 256, "%s: cannot create: %s", path, strerror(errno));
			return -1;
		}
		if (write(fd, secret, SECRET_LEN) != SECRET_LEN || fsync(fd) == -1) {
			snprintf(err, 256, "%s: cannot write: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		close(fd);
		log_info("created a new secret in %s", path);
		return 0;
	}
	if (fd == -1) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Checked on the opened file, not the name, so nothing can be swapped
	 * in between.  Whoever can read the secret can forge tickets and link
	 * person keys; whoever can write it can make them. */
	if (fstat(fd, &st) == -1) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, 256, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, 256, "%s: mode %04o lets group or others at the secret; "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	n = read(fd, secret, SECRET_LEN);
	close(fd);
	if (n != SECRET_LEN) {
		snprintf(err, 256, "%s: expected %d bytes of secret", path, SECRET_LEN);
		return -1;
	}
	return 0;
}
