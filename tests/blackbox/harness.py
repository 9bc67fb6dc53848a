"""Black-box test harness: a real redis-server and a real antred on free
loopback ports, started and stopped by the tests, spoken to over HTTP."""

import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANTRED = os.environ.get("ANTRED", os.path.join(TOP, "build", "antred"))
# antred-test: the same daemon, but its scripts may read the time from the
# Redis key antre:{EVENT}:test:clock (config "test-clock 1"); never installed
ANTRED_TEST = ANTRED + "-test"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

DEMO_EVENT = {
    "id": "demo",
    "name": "Gebyar Vaksinasi Uji",
    "timezone": "Asia/Jakarta",
    "daily_target": 1000,
    "hours": {"open": "08:00", "close": "15:00"},
    "services": [
        {"id": "dose1", "prefix": "A", "name": "Dosis 1"},
        {"id": "dose2", "prefix": "B", "name": "Dosis 2"},
        {"id": "booster", "prefix": "C", "name": "Booster"},
    ],
    "priorities": [{"id": "elderly"}, {"id": "disabled"}, {"id": "regular"}],
    "stages": [
        {"id": "registration", "name": "Pendaftaran", "stations": 2},
        {"id": "screening", "name": "Skrining", "stations": 2},
        {"id": "vaccination", "name": "Vaksinasi", "stations": 3},
        {"id": "observation", "name": "Observasi", "stations": 1, "hold_minutes": 30},
    ],
}

TOKENS = {
    "desk": "desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248",
    "station": "station-2b8e5d1f7a3c9064e2b1d8f5a7c3e190",
    "organiser": "organiser-9d4a7c1e3f6b8025d9a4c7e1f3b6a852",
    "admin": "admin-5e2f8b1d9c6a3074e5f2b8d1c9a6e347",
}


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=5.0, step=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


class Redis:
    """A throwaway durable redis-server (AOF, appendfsync always); with
    durable=False no AOF at all (in memory only: for tests of figures, not
    of what survives a crash)."""

    def __init__(self, tmp=None, port=None, durable=True):
        self.tmp = tmp or tempfile.mkdtemp(prefix="antre-redis-")
        self.durable = durable
        self.port = port or free_port()
        self.proc = None
        # free_port() can race with another process taking the port before
        # redis-server binds it: a port we chose is chosen again
        for attempt in range(3):
            try:
                self.start()
                return
            except AssertionError:
                if port or attempt == 2 or self.proc.poll() is None:
                    raise
                self.port = free_port()

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self):
        aof = (["--appendonly", "yes", "--appendfsync", "always"] if self.durable
               else ["--appendonly", "no"])
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.tmp] + aof +
            # latency over 100 ms is recorded (LATENCY LATEST: a failing
            # test can say whether Redis stalled, in an fsync say)
            ["--save", "", "--daemonize", "no", "--logfile", os.path.join(self.tmp, "redis.log"),
             "--latency-monitor-threshold", "100"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s" % self.proc.returncode)
            return self.ping()
        wait_until(up, what="redis-server to answer")

    def ping(self):
        try:
            return self.cli("PING") == "PONG"
        except Exception:
            return False

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Antred:
    """antred with its own config, events dir and secret in a temp dir."""

    def __init__(self, redis_url, events=(DEMO_EVENT,), extra=(), tokens=TOKENS, start=True,
                 binary=None):
        self.binary = binary or ANTRED
        self.tmp = tempfile.mkdtemp(prefix="antre-d-")
        self.port = free_port()
        self.events_dir = os.path.join(self.tmp, "events")
        os.mkdir(self.events_dir)
        for ev in events:
            with open(os.path.join(self.events_dir, ev["id"] + ".json"), "w") as f:
                json.dump(ev, f)
        self.conf = os.path.join(self.tmp, "antred.conf")
        lines = ["listen 127.0.0.1:%d" % self.port,
                 "redis %s" % redis_url,
                 "secret-file %s" % os.path.join(self.tmp, "secret"),
                 "events-dir %s" % self.events_dir,
                 "web-root %s" % os.path.join(TOP, "clients", "web"),
                 "public-url http://127.0.0.1:%d" % self.port,
                 "redis-timeout-ms 1000",
                 "log-level debug",
                 # tests send wrong tokens on purpose, all from 127.0.0.1;
                 # test_hostile tests the limit with its own
                 "auth-fail-limit 100000"]
        lines += ["token %s %s" % (r, t) for r, t in tokens.items()]
        lines += list(extra)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = os.path.join(self.tmp, "antred.log")
        self.proc = None
        if start:
            # free_port() can race with another process binding the port
            # first: then the same daemon is started on another port
            for attempt in range(3):
                try:
                    self.start()
                    return
                except AssertionError:
                    if attempt == 2 or "Address already in use" not in self.logtext():
                        raise
                    self._move_to(free_port())

    def _move_to(self, port):
        with open(self.conf) as f:
            text = f.read()
        text = text.replace("127.0.0.1:%d" % self.port, "127.0.0.1:%d" % port)
        with open(self.conf, "w") as f:
            f.write(text)
        with open(self.log, "wb"):
            pass
        self.port = port

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.binary, "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        wait_until(self._listening, what="antred to listen")

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError("antred exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_redis_up(self, timeout=10):
        wait_until(lambda: self.get("/healthz")[0] == 200, timeout=timeout, what="healthz 200")

    def request(self, method, path, body=None, token=None, role=None, headers=None, raw=None,
                timeout=10):
        """One HTTP request on a new connection: (status, headers, parsed body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = dict(headers or {})
        if role:
            token = TOKENS[role]
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            h = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        ctype = h.get("content-type", "")
        if ctype.startswith("application/json"):
            payload = json.loads(payload)
        return resp.status, h, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, check=True):
        """Stops antred and checks it exited cleanly with no sanitizer report."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("antred did not stop within 15 s")
        if self.proc:
            self.logf.close()
        text = self.logtext()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if check:
            for mark in SANITIZER_MARKS:
                assert mark not in text, "sanitizer report from antred:\n" + text[-6000:]
            if sig in (signal.SIGTERM, signal.SIGINT):
                assert self.proc.returncode == 0, "antred exit %s:\n%s" % (
                    self.proc.returncode, text[-3000:])
        return text


def assert_error(resp, status, code=None):
    st, h, body = resp
    assert st == status, "expected %d, got %d: %r" % (status, st, body)
    assert h.get("content-type", "").startswith("application/json"), h
    assert isinstance(body, dict) and "error" in body, body
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"], body
    if code:
        assert body["error"]["code"] == code, "expected code %s, got %r" % (code, body)


# ---- the test clock (antred-test, "test-clock 1") ---------------------------
# Tests that check calendar figures (issued today, doses today, a NIK's age
# today, a day's report) set the event's clock rather than read the real
# one, so that they pass at any hour, on any day, 29 February included.

WIB = datetime.timezone(datetime.timedelta(hours=7))


def wib_ms(y, mo, d, h=0, mi=0, s=0, ms=0):
    """Milliseconds since the epoch of a wall-clock time in Jakarta (WIB)."""
    return int(datetime.datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=WIB).timestamp() * 1000)


def set_test_clock(redis, event, ms):
    """Sets event's clock (key antre:{EVENT}:test:clock, milliseconds):
    antred-test's scripts and its calendar logic in C read it from now on."""
    assert redis.cli("SET", "antre:{%s}:test:clock" % event, int(ms)) == "OK"


def clear_test_clock(redis, event):
    """Back to the real clock for that event."""
    redis.cli("DEL", "antre:{%s}:test:clock" % event)


# A Wednesday mid-morning in Jakarta, inside the demo event's hours: where a
# module pins its events' clocks (antred-test, "test-clock 1") so that its
# calendar figures, numbering, codes and duplicate checks hold at any hour.
PINNED_MS = wib_ms(2026, 7, 15, 10, 0, 0)
# Antred(..., **TEST_CLOCK): antred-test with its scripts reading test:clock
TEST_CLOCK = {"binary": ANTRED_TEST, "extra": ["test-clock 1"]}


def pin_clocks(redis, events, ms=PINNED_MS):
    """Pins the clock of each event (an id or an event dict) to ms."""
    for ev in events:
        set_test_clock(redis, ev if isinstance(ev, str) else ev["id"], ms)


# ---- Redis replication and Sentinel (test_sentinel) -------------------------

class ReplicaRedis(Redis):
    """A durable redis-server replicating the one on master_port (AOF with
    appendfsync always, as every node of a failover set should run)."""

    def __init__(self, master_port, tmp=None, port=None):
        self.master_port = master_port
        super().__init__(tmp=tmp, port=port)

    def start(self):
        super().start()
        assert self.cli("REPLICAOF", "127.0.0.1", self.master_port) == "OK"

    def role(self):
        return self.cli("ROLE").split("\n")[0]


class Sentinel:
    """A redis-server in sentinel mode on a free loopback port, watching the
    master named `name`: quick to decide (down_ms), quick to fail over."""

    def __init__(self, name, master_port, quorum=2, down_ms=1500, failover_ms=3000):
        self.tmp = tempfile.mkdtemp(prefix="antre-sentinel-")
        self.name = name
        self.conf = os.path.join(self.tmp, "sentinel.conf")
        self.proc = None
        for attempt in range(3):
            self.port = free_port()
            with open(self.conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndir %s\n"
                        "sentinel monitor %s 127.0.0.1 %d %d\n"
                        "sentinel down-after-milliseconds %s %d\n"
                        "sentinel failover-timeout %s %d\n"
                        "sentinel parallel-syncs %s 1\n" % (
                            self.port, self.tmp, name, master_port, quorum,
                            name, down_ms, name, failover_ms, name))
            self.proc = subprocess.Popen(
                ["redis-server", self.conf, "--sentinel", "--logfile",
                 os.path.join(self.tmp, "sentinel.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until(self.ping, what="redis sentinel to answer")
                return
            except AssertionError:
                if attempt == 2 or self.proc.poll() is None:
                    raise

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def ping(self):
        if self.proc.poll() is not None:
            raise AssertionError("sentinel exited with %s" % self.proc.returncode)
        try:
            return self.cli("PING") == "PONG"
        except Exception:
            return False

    def master_port(self):
        """The port this sentinel names for the master now, or None."""
        out = self.cli("SENTINEL", "get-master-addr-by-name", self.name).split()
        return int(out[1]) if len(out) == 2 else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def sentinel_url(sentinels, name, db=0):
    """antred's redis-sentinel:// address for these sentinels."""
    return "redis-sentinel://%s/%d?master=%s" % (
        ",".join("127.0.0.1:%d" % s.port for s in sentinels), db, name)


# ---- nginx in front of several antred (test_proxy) ---------------------------

class Nginx:
    """nginx on a free loopback port with the repository's site
    configuration (tools/nginx/antre.conf), its upstream pointed at the
    given antred ports; everything under a temporary directory."""

    SITE = os.path.join(TOP, "tools", "nginx", "antre.conf")

    def __init__(self, upstream_ports):
        self.tmp = tempfile.mkdtemp(prefix="antre-nginx-")
        os.chmod(self.tmp, 0o755)         # the workers run as nobody
        self.proc = None
        for attempt in range(3):
            self.port = free_port()
            self._write(upstream_ports)
            self.proc = subprocess.Popen(
                ["nginx", "-p", self.tmp, "-c", self.conf, "-e",
                 os.path.join(self.tmp, "error.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until(self._listening, what="nginx to listen")
                return
            except AssertionError:
                if attempt == 2 or self.proc.poll() is None:
                    raise

    def site(self, upstream_ports):
        """The repository's site file, listening here, proxying to ours."""
        with open(self.SITE) as f:
            text = f.read()
        lines, out = text.split("\n"), []
        servers = ["\tserver 127.0.0.1:%d max_fails=1 fail_timeout=5s;" % p
                   for p in upstream_ports]
        for ln in lines:
            if ln.strip().startswith("server 127.0.0.1:"):
                out += servers
                servers = []
            elif ln.strip() == "listen 80;":
                out.append("\tlisten 127.0.0.1:%d;" % self.port)
            else:
                out.append(ln)
        return "\n".join(out)

    def _write(self, upstream_ports):
        self.conf = os.path.join(self.tmp, "nginx.conf")
        user = "user nobody nogroup;\n" if os.getuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write("%sworker_processes 1;\ndaemon off;\nmaster_process on;\n"
                    "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
                    "events { worker_connections 512; }\nhttp {\naccess_log off;\n" % (
                        user, self.tmp, self.tmp))
            for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                f.write("%s_temp_path %s/%s;\n" % (t, self.tmp, t))
            f.write(self.site(upstream_ports) + "\n}\n")

    def _listening(self):
        if self.proc.poll() is not None:
            with open(os.path.join(self.tmp, "error.log"), errors="replace") as f:
                raise AssertionError("nginx exited with %s: %s" % (self.proc.returncode,
                                                                    f.read()[-2000:]))
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)     # fast: the workers end too
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
