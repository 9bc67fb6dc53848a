"""Installation: `make install DESTDIR=… PREFIX=/usr` lays out every file,
the installed antred accepts the installed example configuration and
serves the installed web pages, the man pages render without a warning,
and the systemd unit is valid and hardened (systemd-analyze, when it can
run here).  Then antred under a service manager: the sd_notify messages it
sends to a NOTIFY_SOCKET made by the test (READY, STATUS, RELOADING,
STOPPING, WATCHDOG)."""

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

from harness import ANTRED, SANITIZER_MARKS, TOP, Antred, Redis, free_port, wait_until

dest = None          # the DESTDIR of the installation under test
tmp = None           # scratch space of this module


def setup_module():
    global dest, tmp
    tmp = tempfile.mkdtemp(prefix="antre-install-")
    dest = os.path.join(tmp, "root")
    out = make_install()
    assert out.returncode == 0, "make install failed:\n" + out.stdout + out.stderr


def teardown_module():
    shutil.rmtree(tmp, ignore_errors=True)


def make_install():
    """make install into dest, from the build the suite is testing (the
    sanitizer build installs itself with SAN=1)."""
    args = ["make", "--no-print-directory", "install", "DESTDIR=" + dest, "PREFIX=/usr"]
    if os.path.relpath(os.path.dirname(os.path.abspath(ANTRED)), TOP) == os.path.join("build", "san"):
        args.append("SAN=1")
    # a make above us (make test) must not hand its jobserver down
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(args, cwd=TOP, env=env, capture_output=True, text=True, timeout=600)


def path(p):
    return os.path.join(dest, p.lstrip("/"))


def mode(p):
    return stat.S_IMODE(os.stat(path(p)).st_mode)


def read(p):
    with open(path(p)) as f:
        return f.read()


def conf_for_here(secret_dir, extra=()):
    """The installed /etc/antre/antred.conf with its paths moved into dest
    (and the secret into secret_dir), as it would run on the real root."""
    lines = []
    for line in read("/etc/antre/antred.conf").splitlines():
        key = line.split(None, 1)[0] if line.strip() and not line.startswith("#") else ""
        if key in ("events-dir", "web-root"):
            k, v = line.split(None, 1)
            line = "%s %s" % (k, path(v.strip()))
        elif key == "secret-file":
            line = "secret-file " + os.path.join(secret_dir, "secret")
        lines.append(line)
    lines += list(extra)
    conf = os.path.join(secret_dir, "antred.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


# --- make install -----------------------------------------------------------

def test_layout():
    execs = ["/usr/sbin/antred", "/usr/bin/antre"]
    files = execs + [
        "/usr/share/doc/antre/examples/antred.conf",
        "/usr/share/doc/antre/examples/demo.json",
        "/usr/share/doc/antre/examples/antre-redis.conf",
        "/etc/antre/antred.conf",
        "/etc/antre/events/demo.json",
        "/etc/antre/redis.conf",
        "/usr/share/man/man1/antre.1",
        "/usr/share/man/man5/antred.conf.5",
        "/usr/share/man/man8/antred.8",
        "/usr/lib/systemd/system/antred.service",
        "/usr/lib/sysusers.d/antred.conf",
        "/usr/lib/tmpfiles.d/antred.conf",
    ]
    web = sorted(os.listdir(os.path.join(TOP, "clients", "web")))
    assert "display.html" in web and "status.html" in web, web
    files += ["/usr/share/antre/web/" + f for f in web]
    missing = [f for f in files if not os.path.isfile(path(f))]
    assert not missing, "not installed: %s" % missing
    for f in execs:
        assert mode(f) == 0o755, (f, oct(mode(f)))
    for f in files:
        if f not in execs and f != "/etc/antre/antred.conf":
            assert mode(f) == 0o644, (f, oct(mode(f)))
    # the tokens will go in there: not for every local user to read
    assert mode("/etc/antre/antred.conf") == 0o640, oct(mode("/etc/antre/antred.conf"))
    # the installed files are the sources' (not a stale copy)
    for f in web:
        with open(os.path.join(TOP, "clients", "web", f), "rb") as a, \
                open(path("/usr/share/antre/web/" + f), "rb") as b:
            assert a.read() == b.read(), f
    # nothing else strays into the root: everything under usr/ and etc/antre
    assert sorted(os.listdir(dest)) == ["etc", "usr"], os.listdir(dest)
    assert os.listdir(path("/etc")) == ["antre"], os.listdir(path("/etc"))


def test_paths_follow_prefix():
    # antred's built-in web-root is /usr/local/…: the example says where it is
    for f in ("/etc/antre/antred.conf", "/usr/share/doc/antre/examples/antred.conf"):
        text = read(f)
        assert re.search(r"^web-root /usr/share/antre/web$", text, re.M), text
        assert re.search(r"^events-dir /etc/antre/events$", text, re.M), text
        assert re.search(r"^secret-file /var/lib/antre/secret$", text, re.M), text
    unit = read("/usr/lib/systemd/system/antred.service")
    assert "ExecStart=/usr/sbin/antred -c /etc/antre/antred.conf\n" in unit, unit
    assert "ExecStartPre=/usr/sbin/antred -c /etc/antre/antred.conf --check-config\n" in unit
    assert "/usr/local" not in unit
    with open(os.path.join(TOP, "tools", "demo", "events", "demo.json")) as f:
        assert read("/etc/antre/events/demo.json") == f.read()


def test_reinstall_keeps_configuration():
    """A second make install must not overwrite what the admin edited."""
    edited = read("/etc/antre/antred.conf") + "token desk edited-by-admin-0001-5d2c9e7f1a3b\n"
    with open(path("/etc/antre/antred.conf"), "w") as f:
        f.write(edited)
    out = make_install()
    assert out.returncode == 0, out.stdout + out.stderr
    assert read("/etc/antre/antred.conf") == edited


def test_redis_conf_durable():
    text = read("/etc/antre/redis.conf")
    settings = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            k, _, v = line.strip().partition(" ")
            settings[k] = v
    assert settings.get("appendonly") == "yes", settings
    assert settings.get("appendfsync") == "always", settings
    assert settings.get("maxmemory-policy") == "noeviction", settings
    assert settings.get("bind", "").split() == ["127.0.0.1", "-::1"], settings
    assert settings.get("protected-mode") == "yes", settings


def test_installed_antred_checks_installed_config():
    d = tempfile.mkdtemp(dir=tmp)
    conf = conf_for_here(d)
    out = subprocess.run([path("/usr/sbin/antred"), "-c", conf, "--check-config"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "configuration OK: 1 events" in out.stdout, out.stdout
    # the shipped file as is, with paths that do not exist here, is refused
    # with the reason (the unit's ExecStartPre relies on that)
    out = subprocess.run([path("/usr/sbin/antred"), "-c", path("/etc/antre/antred.conf"),
                          "--check-config"], capture_output=True, text=True, timeout=20)
    if not os.path.isdir("/etc/antre/events"):
        assert out.returncode == 2, out.stdout + out.stderr
        assert "/etc/antre/events" in out.stderr, out.stderr
    out = subprocess.run([path("/usr/bin/antre"), "--version"], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.startswith("antre "), out


def test_installed_antred_serves_installed_pages():
    """The installed daemon with the installed configuration serves the
    installed web pages (no Redis needed for them)."""
    d = tempfile.mkdtemp(dir=tmp)
    port = free_port()
    conf = conf_for_here(d, ["listen 127.0.0.1:%d" % port,
                             "redis redis://127.0.0.1:%d/0" % free_port()])
    log = open(os.path.join(d, "log"), "wb")
    proc = subprocess.Popen([path("/usr/sbin/antred"), "-c", conf], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        def up():
            assert proc.poll() is None, "antred exited %s" % proc.returncode
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_until(up, what="installed antred to listen")
        for page in ("display.html", "style.css"):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/web/" + page)
            r = c.getresponse()
            body = r.read()
            c.close()
            with open(path("/usr/share/antre/web/" + page), "rb") as f:
                assert r.status == 200 and body == f.read(), (page, r.status)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        log.close()
    with open(os.path.join(d, "log"), errors="replace") as f:
        text = f.read()
    assert rc == 0, text
    assert not any(m in text for m in SANITIZER_MARKS), text
    assert os.path.getsize(os.path.join(d, "secret")) == 32


def test_man_pages_render_cleanly():
    groff = shutil.which("groff")
    assert groff, "groff is missing (Debian: groff-base, in tools/deps.sh)"
    pages = ["/usr/share/man/man1/antre.1", "/usr/share/man/man5/antred.conf.5",
             "/usr/share/man/man8/antred.8"]
    for p in pages:
        out = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", path(p)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stderr == "", (p, out.stderr)
        text = read(p)
        name = os.path.basename(p).rsplit(".", 1)
        assert text.startswith(".TH %s %s " % (name[0].upper(), name[1])), p
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            assert "\n.SH %s\n" % section in text, (p, section)
    if shutil.which("man"):
        env = dict(os.environ, MANWIDTH="80", MAN_DISABLE_SECCOMP="1")
        out = subprocess.run(["man", "-l", path("/usr/share/man/man8/antred.8")],
                             capture_output=True, text=True, timeout=30, env=env)
        assert out.returncode == 0 and "--check-config" in out.stdout, out.stderr
    else:
        print("     (man is missing: only groff checked)")
    # every option of the programs is in their pages
    for prog, page in (("/usr/sbin/antred", "/usr/share/man/man8/antred.8"),
                       ("/usr/bin/antre", "/usr/share/man/man1/antre.1")):
        usage = subprocess.run([path(prog), "--help"], capture_output=True, text=True).stdout
        text = read(page).replace("\\-", "-")
        for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", usage))):
            assert opt in text, "%s is not in %s" % (opt, page)
    # and every key of the configuration in antred.conf(5)
    with open(os.path.join(TOP, "daemon", "config.c")) as f:
        keys = re.findall(r'^\t\{ "([a-z-]+)", KEY_', f.read(), re.M)
    assert len(keys) > 10, keys
    text = read("/usr/share/man/man5/antred.conf.5").replace("\\-", "-")
    for k in keys:
        if k != "test-clock":
            assert re.search(r"^\.BI %s " % re.escape(k), text, re.M), "%s not documented" % k


def analyze(*args):
    """systemd-analyze ARGS, or None (with the reason printed) when it cannot
    run here.  Under CI (CI=true) it must run: tools/deps.sh installs it,
    and a check skipped there would pass without checking anything."""
    ci = os.environ.get("CI", "") not in ("", "0", "false")
    exe = shutil.which("systemd-analyze")
    if exe is None:
        assert not ci, "systemd-analyze is not installed (tools/deps.sh installs systemd)"
        print("     (skipped: systemd-analyze is not installed)")
        return None
    out = subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=60)
    if out.returncode != 0 and not out.stdout:
        assert not ci, "systemd-analyze %s cannot run under CI: %s" % (
            args[0], out.stderr.strip()[:200])
        print("     (skipped: systemd-analyze %s cannot run here: %s)"
              % (args[0], out.stderr.strip()[:200]))
        return None
    return out


def test_unit_valid():
    # point the unit at the installed binary, which systemd-analyze checks
    unit = os.path.join(tmp, "antred.service")
    with open(unit, "w") as f:
        f.write(read("/usr/lib/systemd/system/antred.service")
                .replace("/usr/sbin/antred", path("/usr/sbin/antred")))
    out = analyze("verify", "--man=no", unit)
    if out is not None:
        assert out.returncode == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr
    text = read("/usr/lib/systemd/system/antred.service")
    for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                 "After=network-online.target redis-server.service",
                 "Wants=network-online.target redis-server.service",
                 "DynamicUser=yes", "StateDirectory=antre", "ConfigurationDirectory=antre",
                 "ProtectSystem=strict", "RestrictAddressFamilies=", "SystemCallFilter="):
        assert "\n" + line in text, line


def test_unit_security_score():
    out = analyze("security", "--offline=true", path("/usr/lib/systemd/system/antred.service"))
    if out is None:
        return
    m = re.search(r"Overall exposure level for antred\.service: ([0-9.]+)", out.stdout)
    assert m, out.stdout + out.stderr
    print("     (systemd-analyze security: %s)" % m.group(1))
    assert float(m.group(1)) <= 1.0, out.stdout


# --- sd_notify --------------------------------------------------------------

class NotifySocket:
    """The service manager's end: a Unix datagram socket, and the messages
    (one dict of assignments each) received on it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="antre-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []       # (monotonic time, {key: value})

    def poll(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        msg = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
        self.messages.append((time.monotonic(), msg))
        return msg

    def wait_for(self, pred, timeout=10, what="message"):
        """Reads until a message satisfies pred; returns it."""
        for _, msg in self.messages:
            if pred(msg):
                return msg
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.poll(max(0.01, deadline - time.monotonic()))
            if msg is not None and pred(msg):
                return msg
        raise AssertionError("no %s in %r" % (what, [m for _, m in self.messages][-20:]))

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll(max(0.01, deadline - time.monotonic()))

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def environ(**kw):
    saved = {k: os.environ.get(k) for k in kw}
    os.environ.update({k: v for k, v in kw.items() if v is not None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


STATUS_RE = re.compile(r"^(\d+) events, (\d+) streams, (\d+) connections, Redis (up|down)$")


def test_notify_ready_status_reload_stop():
    redis = Redis()
    ns = NotifySocket()
    d = Antred(redis.url, start=False)
    stream = None
    try:
        with environ(NOTIFY_SOCKET=ns.path, WATCHDOG_USEC="2000000"):
            d.start()
        # READY=1 only once it listens: the port answers when it comes
        ns.wait_for(lambda m: m.get("READY") == "1", what="READY=1")
        socket.create_connection(("127.0.0.1", d.port), timeout=2).close()
        st = ns.wait_for(lambda m: STATUS_RE.match(m.get("STATUS", "")) and
                         m["STATUS"].endswith("Redis up"), what="STATUS … Redis up")
        assert STATUS_RE.match(st["STATUS"]).group(1) == "1", st

        # a display's live stream shows in the status line
        stream = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        stream.sendall(b"GET /v1/events/demo/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        ns.wait_for(lambda m: STATUS_RE.match(m.get("STATUS", "")) and
                    STATUS_RE.match(m["STATUS"]).group(2) == "1", what="STATUS with 1 stream")

        # the watchdog: WATCHDOG=1 well within the 2 s interval
        n0 = len(ns.messages)
        ns.drain(3.0)
        pings = [t for t, m in ns.messages[n0:] if m.get("WATCHDOG") == "1"]
        assert len(pings) >= 3, ns.messages[n0:]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) < 1.5, gaps

        # reload: RELOADING=1 (with the time, for systemd 253+), then READY=1
        n0 = len(ns.messages)
        d.send_signal(signal.SIGHUP)
        ns.wait_for(lambda m: m.get("READY") == "1" and
                    any(x.get("RELOADING") == "1" for _, x in ns.messages[n0:]), what="reload")
        rel = [m for _, m in ns.messages[n0:] if m.get("RELOADING") == "1"][0]
        assert int(rel["MONOTONIC_USEC"]) > 0, rel
        order = [k for _, m in ns.messages[n0:] for k in m if k in ("RELOADING", "READY")]
        assert order[:2] == ["RELOADING", "READY"], order

        stream.close()
        stream = None
        d.send_signal(signal.SIGTERM)
        ns.wait_for(lambda m: m.get("STOPPING") == "1", what="STOPPING=1")
    finally:
        if stream:
            stream.close()
        d.stop()
        ns.close()
        redis.stop()


def test_notify_no_watchdog_unless_asked():
    """A WATCHDOG_USEC meant for another process (WATCHDOG_PID) is not
    answered; the status line says when Redis is down."""
    ns = NotifySocket()
    d = Antred("redis://127.0.0.1:%d/0" % free_port(), start=False)
    try:
        with environ(NOTIFY_SOCKET=ns.path, WATCHDOG_USEC="300000", WATCHDOG_PID="1"):
            d.start()
        ns.wait_for(lambda m: m.get("READY") == "1", what="READY=1")
        ns.drain(1.0)
        assert not any("WATCHDOG" in m for _, m in ns.messages), ns.messages
        st = [m["STATUS"] for _, m in ns.messages if "STATUS" in m]
        assert st and st[-1].endswith("Redis down"), st
    finally:
        d.stop()
        ns.close()
