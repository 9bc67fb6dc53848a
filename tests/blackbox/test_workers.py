"""`workers 2`: two antred processes on one port (SO_REUSEPORT) under a
parent that starts them again when one dies and stops them together.
Both serve; a display stream on either gets a call made through any
connection; a worker killed with SIGKILL is started again and no
acknowledged ticket is lost; SIGTERM to the parent stops every worker
cleanly; SIGHUP reloads each; the per-address limits hold for the daemon
as a whole; a worker that cannot listen stops the daemon with status 1."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import ANTRED, Antred, Redis, wait_until
from test_lifecycle import issue_loop
from test_stream import Stream

redis = None


def setup_module():
    global redis
    redis = Redis()


def teardown_module():
    redis.stop()


def daemon(*extra):
    d = Antred(redis.url, extra=["workers 2", "log-level info"] + list(extra))
    d.wait_redis_up()
    wait_until(lambda: "workers: 2 workers ready" in d.logtext(), what="two workers ready")
    assert len(workers_of(d)) == 2
    return d


def workers_of(d):
    """The parent's children: the workers' pids."""
    try:
        with open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)) as f:
            return sorted(int(p) for p in f.read().split())
    except FileNotFoundError:
        return []


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def seen_workers(d, tries=200):
    """The worker numbers /healthz names over fresh connections."""
    seen = set()
    for _ in range(tries):
        st, _, b = d.get("/healthz")
        assert st == 200, (st, b)
        seen.add(b["worker"])
        if seen == {1, 2}:
            break
    return seen


def workers_ready_lines(d):
    """How many times a worker has said it is ready (listening and serving)."""
    return len(re.findall(r" antred\.[1-9][0-9]* info: antred \S+ ready: ", d.logtext()))


def issue(d):
    st, _, b = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
    assert st == 201, (st, b)
    return b


def test_both_workers_serve_and_a_stream_on_either_gets_a_call():
    d = daemon()
    try:
        assert seen_workers(d) == {1, 2}
        assert all(alive(p) for p in workers_of(d))
        # 16 streams: both workers hold some (all on one: 2 in 65536)
        streams = [Stream(d.port, "/v1/events/demo/stream").wait_started() for _ in range(16)]
        t = issue(d)["ticket"]
        st, _, b = d.post("/v1/events/demo/stations/registration-1/call", None, role="station")
        assert st == 200 and b["ticket"]["id"] == t["id"], (st, b)
        for s in streams:
            s.wait(lambda s: any(e.type == "call" and t["code"] in e.data for e in s.events),
                   10, "the call")
            s.close()
        log = d.logtext()
        assert "antred.1 info: antred" in log and "antred.2 info: antred" in log, log
        assert "antred.0 info: workers: 2 workers ready" in log, log
    finally:
        d.stop()


def test_a_killed_worker_is_started_again_and_no_ticket_is_lost():
    d = daemon()
    try:
        before = workers_of(d)
        results, stop = [], threading.Event()
        threads = [threading.Thread(target=issue_loop,
                                    args=(d, results, stop, time.monotonic() + 20))
                   for _ in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(results) >= 20, timeout=10, what="tickets issued")
        os.kill(before[0], signal.SIGKILL)
        wait_until(lambda: len(workers_of(d)) == 2 and workers_of(d) != before, timeout=10,
                   what="the worker started again")
        # its process is there before it listens: on a busy machine the
        # other worker can serve every request of the wait below alone
        wait_until(lambda: workers_ready_lines(d) == 3, timeout=20,
                   what="the worker started again to be ready")
        n = len(results)
        wait_until(lambda: len(results) >= n + 20, timeout=10, what="tickets after the restart")
        stop.set()
        for t in threads:
            t.join()
        assert before[1] in workers_of(d)            # the other one never stopped
        assert seen_workers(d) == {1, 2}
        ok = [t for kind, t in results if kind == "ok"]
        # Not acknowledged, so nothing lost: the killed worker's requests,
        # cut; and a 503 from the new worker before its Redis connection is
        # up (as from any antred that starts), which changes nothing.
        errors = [r for r in results if r[0] == "error" and not r[1].startswith("cut:")
                  and "Connection" not in r[1]
                  and not (r[1].startswith("503 ") and "store_unavailable" in r[1])]
        assert not errors, errors[:5]
        # every acknowledged ticket is there, each once
        assert len({t["id"] for t in ok}) == len(ok)
        for t in ok:
            st, _, b = d.get("/v1/events/demo/tickets/%s" % t["id"], role="desk")
            assert st == 200 and b["ticket"]["code"] == t["code"], (st, b)
        assert "killed by signal 9; starting it again" in d.logtext()
    finally:
        d.stop()


def test_sigterm_to_the_parent_stops_every_worker():
    d = daemon()
    pids = workers_of(d)
    log = d.stop()                       # SIGTERM, exit 0, no sanitizer report
    for p in pids:
        assert not alive(p), "worker %d outlived the parent" % p
    assert "antred.0 info: workers: stopped" in log, log
    assert log.count("worker 1 exited with status 0") == 1, log
    assert log.count("worker 2 exited with status 0") == 1, log


def test_sighup_reloads_every_worker():
    d = daemon()
    try:
        d.send_signal(signal.SIGHUP)
        wait_until(lambda: "antred.1 info: reloaded" in d.logtext() and
                   "antred.2 info: reloaded" in d.logtext(), what="both reloaded")
        assert seen_workers(d) == {1, 2}
    finally:
        d.stop()


def test_a_worker_started_again_after_a_reload_has_the_new_configuration():
    d = daemon()
    try:
        new = "desk-" + "7c3e9a1f5b2d8046c7e3a9f1b5d28046"
        with open(d.conf, "a") as f:
            f.write("token desk %s\n" % new)
        d.send_signal(signal.SIGHUP)
        wait_until(lambda: d.logtext().count("info: reloaded") == 2, what="both reloaded")
        before = workers_of(d)
        os.kill(before[0], signal.SIGKILL)
        wait_until(lambda: len(workers_of(d)) == 2 and workers_of(d) != before, timeout=10,
                   what="the worker started again")
        wait_until(lambda: d.logtext().count("info: reloaded") == 3, what="the new one reloaded")
        d.wait_redis_up()
        # the new token on 40 fresh connections (all on the worker that
        # was not killed: 1 in 2**40): both workers know it
        for _ in range(40):
            st, _, b = d.get("/v1/whoami", token=new)
            assert st == 200 and b["role"] == "desk", (st, b)
        assert seen_workers(d) == {1, 2}
    finally:
        d.stop()


def test_per_address_stream_limit_holds_across_workers():
    # 8 for the daemon: 4 a worker.  Without the share each worker would
    # let 8 through: 16 for the daemon.
    d = daemon("max-streams-per-address 8")
    streams = []
    try:
        ok = refused = 0
        for _ in range(24):
            s = Stream(d.port, "/v1/events/demo/stream")
            wait_until(lambda: s.status is not None, what="a status")
            if s.status == 200:
                ok += 1
                streams.append(s)
            else:
                assert s.status == 429, s.status
                refused += 1
                s.close()
        assert ok <= 8 and refused >= 16, (ok, refused)
        assert ok >= 4, ok                   # one worker's share at least
    finally:
        for s in streams:
            s.close()
        d.stop()


def test_a_worker_that_cannot_listen_stops_the_daemon():
    d = Antred(redis.url, extra=["workers 2"], start=False)
    blocker = socket.socket()            # no SO_REUSEPORT: the port is taken
    blocker.bind(("127.0.0.1", d.port))
    blocker.listen()
    try:
        p = subprocess.run([ANTRED, "-c", d.conf], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        out = p.stdout.decode()
        assert p.returncode == 1, (p.returncode, out)
        assert "cannot listen" in out, out
        assert "workers: starting" not in out, out   # found before any fork
    finally:
        blocker.close()
        shutil.rmtree(d.tmp, ignore_errors=True)


def test_a_second_daemon_does_not_join_a_running_one():
    """SO_REUSEPORT lets a second daemon of the same user bind the port a
    running one has: started by mistake with another configuration (a
    test Redis) it took part of the live requests.  It stops instead."""
    d = daemon()
    second = Antred(redis.url, extra=["workers 2"], start=False)
    try:
        with open(second.conf) as f:
            text = f.read().replace("127.0.0.1:%d" % second.port, "127.0.0.1:%d" % d.port)
        with open(second.conf, "w") as f:
            f.write(text)
        p = subprocess.run([ANTRED, "-c", second.conf], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        out = p.stdout.decode()
        assert p.returncode == 1, (p.returncode, out)
        assert "cannot listen on 127.0.0.1:%d" % d.port in out, out
        assert seen_workers(d) == {1, 2}                 # the first serves on
    finally:
        shutil.rmtree(second.tmp, ignore_errors=True)
        d.stop()


def test_a_desk_that_mistypes_its_token_is_not_locked_out():
    """A desk's keep-alive connection stays on one worker.  auth-fail-limit
    2: two wrong tokens on it, then the right one is served.  With the
    limit shared out over two workers (1 each) the right token got 429
    too_many_auth_failures for the whole window."""
    import http.client
    import json
    from harness import TOKENS
    d = daemon("auth-fail-limit 2", "auth-fail-window 60")
    try:
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        for token in ("desk-wrong-1", "desk-wrong-2"):
            c.request("GET", "/v1/whoami", headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            assert r.status == 401, r.status
        c.request("GET", "/v1/whoami", headers={"Authorization": "Bearer " + TOKENS["desk"]})
        r = c.getresponse()
        body = json.loads(r.read() or b"{}")
        assert r.status == 200, (r.status, body)
        c.close()
    finally:
        d.stop()


def test_a_hung_worker_is_killed_and_started_again():
    """A worker that stops answering (SIGSTOP here; a loop or a blocking
    call at a venue) keeps its share of the port's new connections, which
    would hang with it.  Silent for ten seconds, it is killed and started
    again; the other serves on throughout."""
    d = daemon()
    try:
        before = workers_of(d)
        os.kill(before[0], signal.SIGSTOP)
        wait_until(lambda: "worker" in d.logtext() and "hung?); killing it" in d.logtext(),
                   timeout=40, what="the silent worker killed")
        wait_until(lambda: len(workers_of(d)) == 2 and before[0] not in workers_of(d),
                   timeout=20, what="the worker started again")
        assert before[1] in workers_of(d)
        def both_serve():
            try:
                return seen_workers(d, tries=50) == {1, 2}
            except AssertionError:           # the new one before its Redis is up
                return False
        wait_until(both_serve, timeout=20, what="both serve again")
        issue(d)
    finally:
        try:
            os.kill(before[0], signal.SIGCONT)
        except ProcessLookupError:
            pass
        d.stop()


def test_the_parent_outlives_a_closed_log_pipe():
    """antred's log piped to a reader that went away (`antred | tee` ended):
    the parent's next line (a worker started again) must not kill it with
    SIGPIPE, and every worker with it."""
    d = Antred(redis.url, extra=["workers 2", "log-level info"], start=False)
    d.proc = subprocess.Popen([ANTRED, "-c", d.conf], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        wait_until(d._listening, what="antred to listen")
        up = set()

        def both_up():
            st, _, b = d.get("/healthz")
            if st == 200:
                up.add(b["worker"])
            return up == {1, 2}
        wait_until(both_up, what="both workers up")
        d.proc.stdout.close()           # the reader is gone
        before = workers_of(d)
        os.kill(before[0], signal.SIGKILL)
        wait_until(lambda: len(workers_of(d)) == 2 and workers_of(d) != before, timeout=10,
                   what="the worker started again (parent %s)" % d.proc.poll())
        assert d.proc.poll() is None, d.proc.returncode
        up.clear()
        wait_until(both_up, what="both workers up again")
    finally:
        if d.proc.poll() is None:
            d.proc.terminate()
            d.proc.wait(10)
        shutil.rmtree(d.tmp, ignore_errors=True)


def test_a_stop_does_not_wait_for_ever_on_a_hung_worker():
    """A worker hung when the daemon is told to stop (systemctl stop, ^C):
    the parent kills it ten seconds into the stop, and stops."""
    d = daemon()
    pids = workers_of(d)
    try:
        os.kill(pids[0], signal.SIGSTOP)
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(timeout=30)
        log = d.logtext()
        assert "still running 10 s into the stop; killing them" in log, log
        assert "antred.0 info: workers: stopped" in log, log
        for p in pids:
            assert not alive(p), "worker %d outlived the parent" % p
    finally:
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)
        shutil.rmtree(d.tmp, ignore_errors=True)
