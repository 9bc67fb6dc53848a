/* workers.c: `workers N`: N processes on the same ports, and the parent
 * that starts them, restarts one that died and stops them together. */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define RESTART_REST_MS 1000     /* a worker that died sooner waits this long */
#define ALIVE_EVERY_MS 1000      /* a ready worker says it is alive this often */
/* A ready worker silent this long is hung (a loop, a blocking call): its
 * share of the port's new connections would hang with it, so it is
 * killed and started again.  Far above any pause of a working loop. */
#define SILENT_MS 10000
/* A stop that a worker has not finished this long after it began (its own
 * graceful stop takes under 6 s) ends with SIGKILL: a hung worker must not
 * hold the daemon's stop for ever. */
#define STOP_KILL_MS 10000

struct worker {
	pid_t pid;               /* 0: not running */
	int64_t started_ms;
	int64_t restart_ms;      /* when to start it again, or 0 */
	int ready;               /* it said so since its last start */
	int ever_ready;
	int64_t seen_ms;         /* when it last said it is alive */
};

static struct worker workers[CONFIG_MAX_WORKERS + 1];    /* 1..n */
static int nworkers;
static int ready_pipe[2] = { -1, -1 };
static int sigfd = -1;
static sigset_t old_mask;
static int reloads;              /* SIGHUPs the parent passed on */
static int stale;                /* in a worker: the parent's configuration is old */
static int self;                 /* in a worker: its number */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts worker i; in the child it returns 0, in the parent the pid. */
static pid_t spawn(int i)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == -1) {
		log_warn("workers: cannot start worker %d", i);
		workers[i].restart_ms = mono_ms() + RESTART_REST_MS;
		return -1;
	}
	if (pid == 0) {
		/* A terminal's ^C reaches the parent alone, which passes it on
		 * once (a second would mean "stop now"); a worker whose parent
		 * died (SIGKILL) stops too. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		close(sigfd);
		close(ready_pipe[0]);
		/* the stop and reload signals wait (pending) until the worker
		 * watches them: workers_ready */
		sigset_t m = old_mask;
		sigaddset(&m, SIGTERM);
		sigaddset(&m, SIGINT);
		sigaddset(&m, SIGHUP);
		sigprocmask(SIG_SETMASK, &m, NULL);
		stale = reloads > 0;
		self = i;
		/* the parent alone speaks to the service manager */
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		return 0;
	}
	workers[i] = (struct worker){ .pid = pid, .started_ms = mono_ms(),
	    .ever_ready = workers[i].ever_ready };
	return pid;
}

int workers_ready(int id)
{
	unsigned char b = (unsigned char)id;

	if (ready_pipe[1] == -1)
		return 0;
	if (write(ready_pipe[1], &b, 1) != 1)
		log_warn("workers: cannot tell the parent this worker is ready");
	/* kept open for workers_alive; never to block the loop */
	fcntl(ready_pipe[1], F_SETFL, fcntl(ready_pipe[1], F_GETFL) | O_NONBLOCK);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return stale;
}

void workers_alive(int64_t now_ms)
{
	static int64_t last;
	unsigned char b = (unsigned char)self;

	if (self == 0 || ready_pipe[1] == -1 || now_ms - last < ALIVE_EVERY_MS)
		return;
	last = now_ms;
	if (write(ready_pipe[1], &b, 1) != 1 && errno != EAGAIN)
		log_warn("workers: cannot tell the parent this worker is alive");
}

static void signal_all(int sig)
{
	for (int i = 1; i <= nworkers; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, sig);
}

static int running(void)
{
	int n = 0;

	for (int i = 1; i <= nworkers; i++)
		n += workers[i].pid > 0;
	return n;
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * A worker ended.  While stopping that is expected.  One that never became
 * ready (it could not listen, say) would fail again: everything stops with
 * its status.  Any other is started again, after a rest if it died young.
 * Returns the status to exit with, or -1 to go on.
 */
static int on_exit_of(int i, int status, int stopping)
{
	struct worker *w = &workers[i];
	char how[64];
	int64_t now = mono_ms();

	describe(status, how, sizeof how);
	w->pid = 0;
	if (stopping) {
		log_info("workers: worker %d %s", i, how);
		return -1;
	}
	if (!w->ever_ready) {
		log_warnx("workers: worker %d %s before it was ready; stopping", i, how);
		return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
	}
	w->restart_ms = now - w->started_ms < RESTART_REST_MS ? now + RESTART_REST_MS : now;
	log_warnx("workers: worker %d %s; starting it again%s", i, how,
	    w->restart_ms > now ? " in a second" : "");
	return -1;
}

/* Reaps every ended worker; the status to exit with, or -1. */
static int reap(int stopping)
{
	int status, rc = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 1; i <= nworkers; i++)
			if (workers[i].pid == pid) {
				int r = on_exit_of(i, status, stopping);
				if (r != -1 && rc == -1)
					rc = r;
			}
	return rc;
}

/* The ready and alive bytes: each is a worker's number; all ready:
 * READY=1 once. */
static void read_ready(void)
{
	static int told;
	unsigned char buf[64];
	ssize_t n = read(ready_pipe[0], buf, sizeof buf);
	int all = 1;
	int64_t now = mono_ms();

	for (ssize_t k = 0; k < n; k++)
		if (buf[k] >= 1 && buf[k] <= nworkers && workers[buf[k]].pid > 0) {
			workers[buf[k]].ready = workers[buf[k]].ever_ready = 1;
			workers[buf[k]].seen_ms = now;
		}
	for (int i = 1; i <= nworkers; i++)
		all &= workers[i].ready;
	if (all && !told) {
		log_info("workers: %d workers ready", nworkers);
		notify_ready();
		told = 1;
	}
}

/* Kills a ready worker silent for SILENT_MS (reap starts it again). */
static void kill_silent(int64_t now)
{
	for (int i = 1; i <= nworkers; i++) {
		struct worker *w = &workers[i];
		if (w->pid <= 0 || !w->ready || now - w->seen_ms < SILENT_MS)
			continue;
		log_warnx("workers: worker %d silent for %d s (hung?); killing it", i,
		    (int)((now - w->seen_ms) / 1000));
		kill(w->pid, SIGKILL);
		w->seen_ms = now;        /* once: its end comes through SIGCHLD */
	}
}

/* Starts the workers due again; in a child, its number, else 0. */
static int restart_due(int64_t now, int *timeout)
{
	for (int i = 1; i <= nworkers; i++) {
		struct worker *w = &workers[i];
		if (w->pid || w->restart_ms == 0)
			continue;
		if (w->restart_ms > now) {
			int left = (int)(w->restart_ms - now);
			*timeout = left < *timeout ? left : *timeout;
			continue;
		}
		if (spawn(i) == 0)
			return i;
	}
	return 0;
}

/* A signal for the parent: SIGTERM and SIGINT stop every worker (a second
 * one, forwarded, makes them stop at once), SIGHUP reloads them. */
static void on_signal(int sig, int *stopping)
{
	if (sig == SIGCHLD)
		return;
	if (sig == SIGHUP) {
		if (!*stopping) {
			reloads++;
			signal_all(SIGHUP);
		}
		return;
	}
	if (!*stopping) {
		log_info("workers: stopping %d workers", running());
		notify_stopping();
	}
	*stopping = 1;
	signal_all(sig);
}

/* The parent's loop; in a restarted child, returns its number. */
static int supervise(void)
{
	int stopping = 0, rc = 0, killed = 0;
	int64_t stop_ms = 0;

	for (;;) {
		struct pollfd p[2] = { { sigfd, POLLIN, 0 }, { ready_pipe[0], POLLIN, 0 } };
		struct signalfd_siginfo si;
		int timeout = 1000, id, r;

		if (!stopping && (id = restart_due(mono_ms(), &timeout)) != 0)
			return id;
		if (poll(p, 2, timeout) == -1 && errno != EINTR)
			fatal("workers: poll");
		notify_watchdog(mono_ms());
		if (p[1].revents & POLLIN)
			read_ready();
		if (!stopping)
			kill_silent(mono_ms());
		if (p[0].revents & POLLIN &&
		    read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
			on_signal((int)si.ssi_signo, &stopping);
		if ((r = reap(stopping)) != -1 && !stopping) {
			rc = r;
			stopping = 1;
			signal_all(SIGTERM);
		}
		if (stopping && stop_ms == 0)
			stop_ms = mono_ms();
		if (stopping && !killed && mono_ms() - stop_ms >= STOP_KILL_MS) {
			log_warnx("workers: %d still running %d s into the stop; killing them",
			    running(), STOP_KILL_MS / 1000);
			signal_all(SIGKILL);
			killed = 1;
		}
		if (stopping && running() == 0) {
			log_info("workers: stopped");
			exit(rc);
		}
	}
}

int workers_start(int n)
{
	sigset_t set;

	if (n <= 1)
		return 0;
	nworkers = n > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : n;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &old_mask) == -1 ||
	    (sigfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1 ||
	    pipe2(ready_pipe, O_CLOEXEC) == -1)
		fatal("workers: cannot start");
	notify_init();
	log_set_name("antred.0");
	log_info("workers: starting %d workers", nworkers);
	for (int i = 1; i <= nworkers; i++)
		if (spawn(i) == 0)
			return i;
	return supervise();
}
