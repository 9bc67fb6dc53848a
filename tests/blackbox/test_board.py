"""`antre board`, the waiting-room board on a terminal, against a real antred.

`--once` prints one plain frame: the event's name and the waiting per stage
must be what GET /board says.  The live board runs in a detached tmux
session (its own server socket): a call shows within 2 s, a resize redraws
to the new size, a killed antred brings the "TERPUTUS" line, and a new
antred on the same port brings the board back with the call made
meanwhile (through a second daemon on the same Redis).  A relay in front of
antred records the request heads, to see the reconnect send Last-Event-ID.
With sse-board-every 3600 (a third daemon) the board follows the stream's
deltas alone: a call and the counts show without a second whole board.

Needs tmux.  The client is ANTRE_CLI (tests/run.sh sets it), by default
build/antre."""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import (SANITIZER_MARKS, TEST_CLOCK, TOP, Antred, Redis, free_port, pin_clocks,
                     wait_until)

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))
EV = "/v1/events/demo"

redis = None
d1 = None      # the board's server, killed and started again
d2 = None      # the same Redis: calls while d1 is down
tmp = None


def setup_module():
    global redis, d1, d2, tmp
    tmp = tempfile.mkdtemp(prefix="antre-board-")
    redis = Redis()
    # the frames show the day's figures, compared with /board's: one day
    pin_clocks(redis, ["demo"])
    d1 = Antred(redis.url, **TEST_CLOCK)
    d2 = Antred(redis.url, **TEST_CLOCK)
    d1.wait_redis_up()
    d2.wait_redis_up()
    # registration: 3 waiting; screening: 1 (one went through registration)
    for _ in range(4):
        st, _, b = d1.post(EV + "/tickets", {"service": "dose1"}, role="desk")
        assert st == 201, b
    station("registration-1", "call")
    station("registration-1", "start")
    station("registration-1", "complete", {"outcome": "done"})


def teardown_module():
    try:
        d1.stop()
    finally:
        try:
            d2.stop()
        finally:
            redis.stop()
            shutil.rmtree(tmp, ignore_errors=True)


# ---- helpers ---------------------------------------------------------------

def station(st, op, body=None, d=None):
    status, _, b = (d or d1).post(EV + "/stations/%s/%s" % (st, op), body, role="station")
    assert status == 200, (st, op, status, b)
    return b


def board_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ANTRE_") and k not in ("COLUMNS", "LINES")}
    env.update(extra)
    return env


def board(*args, url=None, env=None, timeout=30):
    """antre [-u URL] board ARGS: (exit status, stdout, stderr)."""
    cmd = [CLI, "-u", url or "http://127.0.0.1:%d" % d1.port, "board"] + list(args)
    p = subprocess.run(cmd, env=env or board_env(), capture_output=True, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    return p.returncode, p.stdout.decode("utf-8"), err


def waiting_in(frame):
    """{stage name: waiting} as the frame shows it."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^ (\S+)\s+(\d+) orang", frame, re.M)}


# ---- --once ----------------------------------------------------------------

def test_once_matches_board():
    st, _, snap = d1.get(EV + "/board")
    assert st == 200, snap
    want = {s["name"]: s["waiting"] for s in snap["stages"]}
    assert want["Pendaftaran"] == 3 and want["Skrining"] == 1, want

    rc, out, err = board("--once")           # the server's only event
    assert rc == 0, (rc, out, err)
    assert "\x1b" not in out, "escape sequences in --once output"
    lines = out.split("\n")
    assert "Gebyar Vaksinasi Uji" in lines[0], out
    assert waiting_in(out) == want, out
    assert "Dosis hari ini: %d / %d" % (snap["doses_today"], snap["target"]) in out, out
    assert "Tiket hari ini: %d" % snap["issued_today"] in out, out
    # the newest call, the code in block letters and in words
    call = snap["calls"][0]
    assert "SEDANG DIPANGGIL" in out and "\u2588" in out, out
    assert "Nomor %s silakan ke meja Pendaftaran 1" % call["code"] in out, out
    assert max(len(l) for l in lines) <= 80, out

    # the event by name or -e, other widths (COLUMNS, --width)
    rc, out2, err = board("demo", "--once", env=board_env(COLUMNS="120"))
    assert rc == 0, err
    assert waiting_in(out2) == want and max(len(l) for l in out2.split("\n")) <= 120, out2
    assert max(len(l) for l in out2.split("\n")) > 80, out2
    for w in ("40", "24"):
        rc, narrow, err = board("--once", "--width", w)
        assert rc == 0, err
        assert max(len(l) for l in narrow.split("\n")) <= int(w), narrow
        assert "Pendaftaran" in narrow and call["code"] in narrow, narrow
    p = subprocess.run([CLI, "-u", "http://127.0.0.1:%d" % d1.port, "-e", "demo", "board",
                        "--once"], env=board_env(), capture_output=True, text=True)
    assert p.returncode == 0 and waiting_in(p.stdout) == want, (p.stdout, p.stderr)


def test_once_height_fits():
    """--height makes the frame a screen: exactly that many lines, the
    doses on the last, the waiting list kept when the letters shrink."""
    for w, h in ((100, 30), (80, 24), (60, 16), (40, 12)):
        rc, out, err = board("--once", "--width", str(w), "--height", str(h))
        assert rc == 0, err
        lines = out.split("\n")[:-1]
        assert len(lines) == h, (w, h, out)
        assert lines[-1].startswith(" Dosis hari ini:"), (w, h, out)
        assert max(len(l) for l in lines) <= w, (w, h, out)
        assert "Pendaftaran" in out, (w, h, out)


def test_once_errors():
    rc, out, err = board("nope", "--once")
    assert rc == 1 and "unknown_event" in err, (rc, out, err)
    rc, out, err = board("--once", url="http://127.0.0.1:%d" % free_port())
    assert rc == 1 and "antre:" in err, (rc, out, err)
    for args, text in ((("--width", "0"), "--width"), (("--height", "x"), "--height"),
                       (("demo", "extra"), "unexpected argument"), (("--bogus",), "bogus")):
        rc, out, err = board(*args)
        assert rc == 2 and text in err and "antre board --help" in err, (args, rc, err)
    rc, out, err = board("--help")
    assert rc == 0 and out.startswith("Usage: antre ") and "--once" in out, out
    p = subprocess.run([CLI, "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and re.search(r"^  board\s+the waiting-room board", p.stdout,
                                           re.M), p.stdout


# ---- live, without a terminal -----------------------------------------------

def test_live_without_a_terminal():
    """On a pipe the board draws 80x24 frames all the same.  A server that
    is not there is "TERPUTUS" and tried again; SIGTERM ends the board with
    0 and the terminal restored; an event the server does not have ends it
    with 1 and the server's message, the terminal restored first."""
    p = subprocess.Popen([CLI, "-u", "http://127.0.0.1:%d" % free_port(), "board", "demo"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=board_env())
    time.sleep(1.6)              # the first try, and the second after 1 s
    p.terminate()
    out, err = p.communicate(timeout=10)
    out, err = out.decode("utf-8"), err.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    assert p.returncode == 0 and err == "", (p.returncode, err)
    assert out.startswith("\x1b[?1049h") and out.endswith("\x1b[?1049l"), repr(out[-80:])
    assert "Menyambung ke server" in out, out
    assert out.count("TERPUTUS \u2014 menyambung ulang") >= 2, out
    assert "\x1b[24;1H" in out and "\x1b[25;1H" not in out, "not 24 rows"

    rc, out, err = board("nope")
    assert rc == 1 and "unknown_event" in err, (rc, err)
    assert out.endswith("\x1b[?1049l"), repr(out[-80:])


# ---- live, under tmux ------------------------------------------------------

class Relay:
    """A TCP relay to 127.0.0.1:upstream that keeps the head of every
    request it passes on.  When either side closes, both are closed; when
    the upstream cannot be reached, the client is hung up on."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.heads = []
        self.closing = False
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            u = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
        except OSError:
            c.close()
            return
        head = b""
        try:
            while not self.closing:
                r, _, _ = select.select([c, u], [], [], 0.2)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is c:
                        if b"\r\n\r\n" not in head:
                            head += data
                            if b"\r\n\r\n" in head:
                                self.heads.append(head.split(b"\r\n\r\n")[0].decode("latin-1"))
                        u.sendall(data)
                    else:
                        c.sendall(data)
        except OSError:
            return
        finally:
            c.close()
            u.close()

    def close(self):
        self.closing = True
        self.sock.close()


class Tmux:
    """A tmux server of our own (its own socket, no configuration)."""

    def __init__(self, d):
        self.sock = os.path.join(d, "tmux.sock")

    def __call__(self, *args, check=True):
        p = subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", "-u"] + list(args),
                           capture_output=True, text=True, timeout=10,
                           env=board_env(LANG="C.UTF-8", TERM="xterm-256color"))
        assert not check or p.returncode == 0, (args, p.stderr)
        return p.stdout

    def screen(self, escapes=False):
        return self("capture-pane", "-p", "-t", "board", *(["-e"] if escapes else []))

    def wait_screen(self, pred, timeout, what):
        last = [""]

        def check():
            last[0] = self.screen()
            return pred(last[0])
        try:
            wait_until(check, timeout=timeout, step=0.05, what=what)
        except AssertionError:
            raise AssertionError("timed out waiting for %s; the screen:\n%s" % (what, last[0]))
        return last[0]


def stream_tip():
    out = redis.cli("XREVRANGE", "antre:{demo}:stream", "+", "-", "COUNT", "1")
    return out.split("\n")[0].strip()


def id_key(i):
    ms, seq = i.split("-")
    return int(ms), int(seq)


def test_live_board_under_tmux():
    assert shutil.which("tmux"), "tmux is needed (apt-get install tmux)"
    relay = Relay(d1.port)
    tmux = Tmux(tmp)
    err = os.path.join(tmp, "board.err")
    cmd = "exec %s -u http://127.0.0.1:%d board demo 2>%s" % (CLI, relay.port, err)
    try:
        tmux("new-session", "-d", "-s", "board", "-x", "100", "-y", "30", cmd)
        tmux("set-option", "-t", "board", "remain-on-exit", "on")
        scr = tmux.wait_screen(lambda s: "ANTREAN MENUNGGU" in s, 5, "the first board")
        lines = scr.split("\n")
        assert "Gebyar Vaksinasi Uji" in lines[0], scr
        assert lines[2].index("SEDANG DIPANGGIL") == (100 - 16) // 2, scr

        # a call shows within 2 s, in block letters and in words
        code = station("registration-2", "call")["ticket"]["code"]
        t0 = time.monotonic()
        scr = tmux.wait_screen(lambda s: code in s and "pendaftaran 2" in s.lower(), 2,
                               "the call of " + code)
        assert time.monotonic() - t0 < 2
        assert "\u2588" in scr and "Nomor %s silakan ke meja Pendaftaran 2" % code in scr, scr

        # a smaller window: laid out again for 80x24
        tmux("resize-window", "-t", "board", "-x", "80", "-y", "24")
        scr = tmux.wait_screen(
            lambda s: len(s.split("\n")) >= 3 and
            s.split("\n")[2].find("SEDANG DIPANGGIL") == (80 - 16) // 2, 3, "the redraw at 80x24")
        lines = scr.rstrip("\n").split("\n")
        assert len(lines) <= 24 and max(len(l) for l in lines) <= 80, scr
        assert code in scr and "Dosis hari ini:" in lines[-1], scr
        assert "Pendaftaran" in scr and "Skrining" in scr, scr

        # antred dies: the board says so, and keeps its last picture
        time.sleep(0.3)          # the call's ticket entry reaches the board too
        tip = stream_tip()
        d1.proc.kill()
        d1.proc.wait()
        scr = tmux.wait_screen(lambda s: "TERPUTUS" in s, 2, "the TERPUTUS line")
        assert code in scr, scr

        # a call meanwhile (through the other daemon), then antred is back
        missed = station("registration-1", "call", d=d2)["ticket"]["code"]
        d1.start()
        scr = tmux.wait_screen(lambda s: "TERPUTUS" not in s and missed in s, 12,
                               "the reconnect with " + missed)
        assert "Nomor %s silakan ke meja Pendaftaran 1" % missed in scr, scr
        streams = [h for h in relay.heads if h.startswith("GET /v1/events/demo/stream ")]
        assert len(streams) >= 2, relay.heads
        assert not re.search(r"(?im)^Last-Event-ID:", streams[0]), streams[0]
        m = re.search(r"(?im)^Last-Event-ID: (\S+)$", streams[-1])
        assert m, streams[-1]
        assert id_key(m.group(1)) == id_key(tip), (m.group(1), tip)

        # a recall: "panggilan ulang", and the call flashes: its line goes
        # in and out of reverse video
        station("registration-1", "recall")
        tmux.wait_screen(lambda s: "panggilan ulang" in s, 2, "the recall")
        seen = set()

        def flashing():
            for l in tmux.screen(escapes=True).split("\n"):
                if "Nomor " + missed in l:
                    seen.add(bool(re.search(r"\x1b\[(?:[0-9]+;)*7(?:;[0-9]+)*m", l)))
            return seen == {True, False}
        wait_until(flashing, timeout=2.5, step=0.05, what="the flash")

        # Ctrl-C: exit 0, the terminal's own screen back
        tmux("send-keys", "-t", "board", "C-c")
        dead = "#{pane_dead}:#{pane_dead_status}#{pane_dead_signal}"
        # tmux 3.3a (with libutempter) sometimes misses its pane child's
        # SIGCHLD (tmux issue #311): antre has exited but stays an unreaped
        # zombie, pane_dead 1 with no status.  A SIGCHLD to the tmux server
        # makes it reap and report the status.
        def exited():
            out = tmux("display-message", "-p", "-t", "board", dead)
            if out.startswith("1:") and not re.match(r"1:.", out):
                srv = int(tmux("display-message", "-p", "#{pid}").strip())
                os.kill(srv, signal.SIGCHLD)
            return re.match(r"1:.", out)
        wait_until(exited, timeout=10, step=0.2, what="antre to exit")
        status = tmux("display-message", "-p", "-t", "board", dead).strip()[2:]
        scr = tmux.screen()
        with open(err) as f:
            errtext = f.read()
        assert status == "0", (status, errtext)
        assert "SEDANG DIPANGGIL" not in scr, scr
        for mark in SANITIZER_MARKS:
            assert mark not in errtext, "sanitizer report from antre:\n" + errtext
        assert errtext == "", errtext
    finally:
        tmux("kill-server", check=False)
        relay.close()
        if d1.proc.poll() is not None:
            d1.start()


def test_live_board_follows_deltas():
    """With sse-board-every 3600 antred sends the whole board once, then only
    deltas: the board shows a call, its desk and the new counts from them."""
    d3 = Antred(redis.url, binary=TEST_CLOCK["binary"],
                extra=TEST_CLOCK["extra"] + ["sse-board-every 3600"])
    tmux = Tmux(tmp)
    err = os.path.join(tmp, "board3.err")
    cmd = "exec %s -u http://127.0.0.1:%d board demo 2>%s" % (CLI, d3.port, err)
    try:
        d3.wait_redis_up()
        tmux("new-session", "-d", "-s", "board", "-x", "100", "-y", "30", cmd)
        tmux.wait_screen(lambda s: "ANTREAN MENUNGGU" in s, 5, "the first board")

        def shows(want):
            return lambda s: waiting_in(s) == want

        def counts():
            return {s["name"]: s["waiting"] for s in d3.get(EV + "/board")[2]["stages"]}
        tmux.wait_screen(shows(counts()), 5, "the counts of the first board")
        for _ in range(2):
            st, _, b = d3.post(EV + "/tickets", {"service": "dose1"}, role="desk")
            assert st == 201, b
        want = counts()
        tmux.wait_screen(shows(want), 5, "%r from a delta" % want)
        code = station("registration-2", "skip", d=d3) and \
            station("registration-2", "call", d=d3)["ticket"]["code"]
        station("registration-1", "skip", d=d3)
        want = counts()
        scr = tmux.wait_screen(lambda s: waiting_in(s) == want and
                               "Nomor %s silakan ke meja Pendaftaran 2" % code in s, 5,
                               "the call of %s and %r from deltas" % (code, want))
        assert "Tiket hari ini: %d" % d3.get(EV + "/board")[2]["issued_today"] in scr, scr
        tmux("send-keys", "-t", "board", "C-c")
        with open(err) as f:
            errtext = f.read()
        for mark in SANITIZER_MARKS:
            assert mark not in errtext, "sanitizer report from antre:\n" + errtext
    finally:
        tmux("kill-server", check=False)
        d3.stop()
