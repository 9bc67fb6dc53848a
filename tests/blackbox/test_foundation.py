"""Foundation: start-up, configuration errors, health, Redis loss and return,
HTTP limits, reload and stop."""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

from harness import ANTRED, DEMO_EVENT, Antred, Redis, assert_error, free_port, wait_until

redis = None
d = None


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url)
    d.wait_redis_up()


def teardown_module():
    d.stop()
    redis.stop()


def run_antred(*args):
    return subprocess.run([ANTRED] + list(args), capture_output=True, text=True, timeout=20)


def write_conf(text):
    fd, path = tempfile.mkstemp(prefix="antre-conf-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def test_healthz_up():
    st, h, body = d.get("/healthz")
    assert st == 200 and body == {"status": "ok", "redis": "up"}, body
    assert h["content-type"].startswith("application/json")


def test_unknown_path_and_method():
    assert_error(d.get("/nope"), 404, "not_found")
    assert_error(d.post("/healthz", {}), 405, "method_not_allowed")


def test_secret_created_private():
    path = os.path.join(d.tmp, "secret")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_size == 32


def test_version_and_help():
    r = run_antred("--version")
    assert r.returncode == 0 and r.stdout.startswith("antred "), r
    r = run_antred("--help")
    assert r.returncode == 0 and "--check-config" in r.stdout
    r = run_antred("--bogus")
    assert r.returncode == 2
    r = run_antred()
    assert r.returncode == 2 and "usage" in r.stderr


def test_check_config_ok():
    r = run_antred("-c", d.conf, "--check-config")
    assert r.returncode == 0, r.stderr
    assert "configuration OK: 1 events, 4 tokens" in r.stdout, r.stdout


def test_bad_config_names_file_and_line():
    cases = [
        ("listen 127.0.0.1:1\nbogus-key 1\n", ":2: unknown key 'bogus-key'"),
        ("# c\n\nmax-body-bytes 10\n", ":3: max-body-bytes: 10 is outside"),
        ("listen nowhere\n", ":1: listen:"),
        ("redis http://x\n", ":1: redis:"),
        ("token king abcdefghij\n", ":1: token: unknown role"),
        ("log-level loud\n", ":1: log-level:"),
        ("http-timeout\n", ":1: http-timeout: missing value"),
    ]
    for text, want in cases:
        path = write_conf(text)
        try:
            r = run_antred("-c", path, "--check-config")
            assert r.returncode == 2, (text, r)
            assert path + want in r.stderr, (text, r.stderr)
        finally:
            os.unlink(path)
    r = run_antred("-c", "/nonexistent/antred.conf")
    assert r.returncode == 2 and "/nonexistent/antred.conf" in r.stderr


def test_bad_event_file_fails_start():
    evdir = tempfile.mkdtemp(prefix="antre-ev-")
    bad = dict(DEMO_EVENT, timezone="Mars/Base")
    with open(os.path.join(evdir, "demo.json"), "w") as f:
        json.dump(bad, f)
    path = write_conf("events-dir %s\nsecret-file %s/secret\n" % (evdir, evdir))
    try:
        r = run_antred("-c", path, "--check-config")
        assert r.returncode == 2
        assert "demo.json" in r.stderr and "timezone" in r.stderr, r.stderr
    finally:
        os.unlink(path)
        shutil.rmtree(evdir, ignore_errors=True)


def test_redis_loss_and_return():
    """Killing Redis turns /healthz to 503 within a second; restarting it
    brings 200 back within a few seconds, without restarting antred."""
    r2 = Redis()
    d2 = Antred(r2.url)
    try:
        d2.wait_redis_up()
        r2.kill(signal.SIGKILL)
        t0 = time.monotonic()
        wait_until(lambda: d2.get("/healthz")[0] == 503, timeout=1.0, what="503 after kill")
        st, _, body = d2.get("/healthz")
        assert st == 503 and body["redis"] == "down", body
        assert time.monotonic() - t0 < 1.0
        r2.start()
        wait_until(lambda: d2.get("/healthz")[0] == 200, timeout=5.0, what="200 after restart")
    finally:
        d2.stop()
        r2.stop()


def test_hung_redis_gets_503_not_a_hang():
    r2 = Redis()
    d2 = Antred(r2.url)   # redis-timeout-ms 1000
    try:
        d2.wait_redis_up()
        r2.kill(signal.SIGSTOP)
        t0 = time.monotonic()
        st, _, body = d2.get("/healthz", timeout=5)
        assert st == 503, body
        assert time.monotonic() - t0 < 2.5
        r2.kill(signal.SIGCONT)
        wait_until(lambda: d2.get("/healthz")[0] == 200, timeout=8.0, what="200 after SIGCONT")
    finally:
        r2.kill(signal.SIGCONT)
        d2.stop()
        r2.stop()


def test_cli_overrides_listen_and_redis():
    d2 = Antred("redis://127.0.0.1:1/0", start=False)
    port = d2.port
    other = Redis()
    # the file listens on another free port: a daemon that ignored --listen
    # would be found there, and not on `port`
    file_port = free_port()
    while file_port == port:
        file_port = free_port()
    with open(d2.conf) as f:
        conf = f.read()
    assert "listen 127.0.0.1:%d\n" % port in conf
    with open(d2.conf, "w") as f:
        f.write(conf.replace("listen 127.0.0.1:%d\n" % port, "listen 127.0.0.1:%d\n" % file_port))
    try:
        # the file says port 1 for Redis; --redis points it at the real one
        d2.proc = subprocess.Popen([ANTRED, "-c", d2.conf, "--redis", other.url,
                                    "--listen", "127.0.0.1:%d" % port],
                                   stdout=open(d2.log, "ab"), stderr=subprocess.STDOUT)
        d2.logf = open(d2.log, "ab")
        wait_until(d2._listening, what="listen on the --listen port")
        d2.wait_redis_up()
        try:
            socket.create_connection(("127.0.0.1", file_port), timeout=1).close()
            raise AssertionError("antred listens on the file's port despite --listen")
        except ConnectionRefusedError:
            pass
        assert "listening on http://127.0.0.1:%d" % port in d2.logtext()
        assert "listening on http://127.0.0.1:%d" % file_port not in d2.logtext()
    finally:
        d2.stop()
        other.stop()


def test_oversized_body_and_headers():
    d2 = Antred(redis.url, extra=["max-body-bytes 1024", "max-header-bytes 2048"])
    try:
        st, _, _ = d2.request("POST", "/healthz", raw=b"x" * 5000)
        assert st == 413, st
        st, _, _ = d2.get("/healthz", headers={"X-Big": "y" * 4000})
        assert st in (400, 413, 431), st
        d2.wait_redis_up()          # served still (its Redis may connect late on a busy machine)
    finally:
        d2.stop()


def test_connection_limit_is_enforced_and_released():
    # no staff reserve: the bound alone (test_hostile tests the reserve)
    d2 = Antred(redis.url, extra=["max-connections 3", "staff-reserve-connections 0"])
    try:
        d2.wait_redis_up()
        # many short connections: the count must come back down each time
        for _ in range(30):
            assert d2.get("/healthz")[0] == 200
        idle = [socket.create_connection(("127.0.0.1", d2.port)) for _ in range(3)]
        time.sleep(0.2)
        try:
            d2.get("/healthz", timeout=0.7)
            raise AssertionError("a fourth connection was served over the limit")
        except (socket.timeout, TimeoutError):
            pass
        idle[0].close()
        assert d2.get("/healthz", timeout=3)[0] == 200
        for s in idle[1:]:
            s.close()
    finally:
        d2.stop()


def test_sighup_reload_keeps_old_config_on_error():
    d2 = Antred(redis.url)
    try:
        ev2 = dict(DEMO_EVENT, id="second")
        with open(os.path.join(d2.events_dir, "second.json"), "w") as f:
            json.dump(ev2, f)
        d2.send_signal(signal.SIGHUP)
        wait_until(lambda: "reloaded: 2 events" in d2.logtext(), what="reload")
        with open(os.path.join(d2.events_dir, "broken.json"), "w") as f:
            f.write("{not json")
        d2.send_signal(signal.SIGHUP)
        wait_until(lambda: "keeping the running configuration" in d2.logtext(), what="refusal")
        assert "broken.json" in d2.logtext()
        assert d2.get("/healthz")[0] == 200
    finally:
        d2.stop()


def test_sigterm_exits_zero():
    d2 = Antred(redis.url)
    text = d2.stop(signal.SIGTERM)
    assert "stopped" in text
