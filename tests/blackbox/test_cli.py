"""The antre command line client against a real antred: issuing (with the
terminal QR code decoded back into modules), printing receipts to a file
and to a network printer listening on a socket, looking tickets up, QR
files, the server's errors, usage errors and event selection.

Two daemons share one Redis: `d1` serves one event (so the client finds it
alone), `d2` two (so it must be told which).  The client is the binary in
ANTRE_CLI (tests/run.sh sets it), by default build/antre."""

import copy
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading

from harness import (ANTRED_TEST, DEMO_EVENT, SANITIZER_MARKS, TOKENS, TOP, Antred, Redis,
                     free_port, set_test_clock, wib_ms)

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))

redis = None
d1 = None
d2 = None
tmp = None

NIK_OLD_MAN = "3273011507550001"     # 327301, 15 July 1955: elderly
NIK_YOUNG = "3171021505000003"       # 317102, 15 May 2000

# Bytes a QR code holds in one 8-bit segment at error correction M, by
# version (ISO/IEC 18004 table 7): the smallest version that fits.
BYTES_M = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412,
           450, 504, 560, 624, 666]
QUIET = 4
HALF_BLOCKS = {" ": (0, 0), "\u2584": (0, 1), "\u2580": (1, 0), "\u2588": (1, 1)}


def setup_module():
    global redis, d1, d2, tmp
    tmp = tempfile.mkdtemp(prefix="antre-cli-")
    redis = Redis()
    # codes are looked up by code (today's ticket of that code): the events'
    # clocks are pinned mid-morning, so a run across midnight WIB does not
    # look up a code on the new day
    for ev in ("demo", "one", "two"):
        set_test_clock(redis, ev, wib_ms(2026, 7, 15, 10, 0, 0))
    d1 = Antred(redis.url, binary=ANTRED_TEST, extra=["test-clock 1"])
    one = copy.deepcopy(DEMO_EVENT)
    one["id"] = "one"
    two = copy.deepcopy(DEMO_EVENT)
    two["id"] = "two"
    d2 = Antred(redis.url, events=(one, two), binary=ANTRED_TEST, extra=["test-clock 1"])
    d1.wait_redis_up()
    d2.wait_redis_up()


def teardown_module():
    try:
        d1.stop()
    finally:
        try:
            d2.stop()
        finally:
            try:
                redis.stop()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


# ---- helpers ---------------------------------------------------------------

def cli(*args, d=None, role="desk", token=None, event=None, stdin=None, binary=False,
        url=None):
    """Runs antre; (exit status, stdout, stderr).  The environment names
    the server and token (as a desk would configure it), never the event
    unless asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env["ANTRE_URL"] = url or "http://127.0.0.1:%d" % (d or d1).port
    if token is None and role:
        token = TOKENS[role]
    if token is not None:
        env["ANTRE_TOKEN"] = token
    if event is not None:
        env["ANTRE_EVENT"] = event
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, timeout=60,
                       input=stdin.encode() if stdin is not None else None)
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    out = p.stdout if binary else p.stdout.decode("utf-8")
    return p.returncode, out, err


def ok(*args, **kw):
    rc, out, err = cli(*args, **kw)
    assert rc == 0, (args, rc, out, err)
    return out


def issue(*extra, **kw):
    """`antre ticket issue --service dose1`: (code, status url, stdout)."""
    out = ok("ticket", "issue", "--service", "dose1", *extra, **kw)
    m = re.search(r"^Nomor antrean:\s+([A-Z]-\d{3})$", out, re.M)
    assert m, out
    u = re.search(r"^Status:\s+(http://\S+)$", out, re.M)
    assert u, out
    return m.group(1), u.group(1), out


def ticket_id(code, d=None, ev="demo"):
    st, _, b = (d or d1).get("/v1/events/%s/tickets/%s" % (ev, code), role="desk")
    assert st == 200, (st, b)
    return b["ticket"]["id"]


def qr_version(nbytes):
    for v, cap in enumerate(BYTES_M, 1):
        if nbytes <= cap:
            return v
    raise AssertionError("too long for the table")


def qr_lines(out):
    """The lines of the half-block QR code in the output: the longest run
    of lines made of half blocks only, as wide as a QR code at least (the
    quiet zone of an inverted code is lines of spaces)."""
    best, run = [], []
    for l in out.split("\n") + [""]:
        if len(l) >= 21 + 2 * QUIET and set(l) <= set(HALF_BLOCKS):
            run.append(l)
            continue
        if len(run) > len(best):
            best = run
        run = []
    assert best, "no QR code in:\n" + out
    return best


def qr_grid(lines, invert=False):
    """Half blocks back into modules: grid[y][x] is True for dark.  Lit
    glyph halves are the light modules, or the dark ones when inverted."""
    width = len(lines[0])
    assert all(len(l) == width for l in lines), "ragged QR lines"
    grid = []
    for l in lines:
        top = [HALF_BLOCKS[ch][0] == (1 if invert else 0) for ch in l]
        bottom = [HALF_BLOCKS[ch][1] == (1 if invert else 0) for ch in l]
        grid += [top, bottom]
    return grid


def check_qr(grid, text):
    """A QR code of the version `text` needs, with its quiet zone and the
    three finder patterns, and the timing patterns between them."""
    side = len(grid[0])
    version = qr_version(len(text.encode()))
    assert side == 17 + 4 * version + 2 * QUIET, (side, version)
    # QR sides are odd: one more light row pads the last line of half blocks
    assert len(grid) == side + 1, (len(grid), side)
    assert not any(grid[side]), "padding row is not light"
    grid = grid[:side]
    for i in range(side):
        for q in range(QUIET):
            for (y, x) in ((q, i), (side - 1 - q, i), (i, q), (i, side - 1 - q)):
                assert not grid[y][x], "dark module in the quiet zone at %d,%d" % (x, y)
    n = side - 2 * QUIET
    for (fy, fx) in ((0, 0), (0, n - 7), (n - 7, 0)):
        for y in range(7):
            for x in range(7):
                ring = max(abs(y - 3), abs(x - 3))
                want = ring != 2              # dark 3x3, light ring, dark border
                got = grid[QUIET + fy + y][QUIET + fx + x]
                assert got == want, "finder at %d,%d wrong at %d,%d" % (fx, fy, x, y)
        # the separator around it is light
        for i in range(-1, 8):
            for (y, x) in ((fy - 1, fx + i), (fy + 7, fx + i), (fy + i, fx - 1), (fy + i, fx + 7)):
                if 0 <= y < n and 0 <= x < n:
                    assert not grid[QUIET + y][QUIET + x], "separator dark at %d,%d" % (x, y)
    for i in range(8, n - 8):
        assert grid[QUIET + 6][QUIET + i] == (i % 2 == 0), "timing row at %d" % i
        assert grid[QUIET + i][QUIET + 6] == (i % 2 == 0), "timing column at %d" % i
    return grid


def svg_grid(svg, side):
    """antred's qr.svg as a module grid (one rectangle a run of dark)."""
    m = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert m and int(m.group(1)) == side, (m and m.group(0), side)
    grid = [[False] * side for _ in range(side)]
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for i in range(int(run)):
            grid[int(y)][int(x) + i] = True
    return grid


class Printer:
    """A network printer's raw port: accepts one connection and keeps
    everything it receives until the client closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.data = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                self.data += chunk

    def close(self):
        """Nobody will call: stop waiting for them."""
        self.sock.close()
        self.thread.join(30)

    def received(self):
        self.thread.join(30)
        assert not self.thread.is_alive(), "the printer connection never closed"
        self.sock.close()
        return self.data


# ---- the command line itself -------------------------------------------------

def test_help_and_version():
    out = ok("--help", role=None)
    for cmd in ("ticket issue", "ticket show", "ticket qr", "ticket print", "ANTRE_URL",
                "ANTRE_TOKEN", "ANTRE_EVENT"):
        assert cmd in out, (cmd, out)
    assert re.match(r"^antre \d+\.\d+\.\d+ \(protocol v1\)$", ok("--version", role=None).strip())
    for sub in ("issue", "show", "qr", "print"):
        out = ok("ticket", sub, "--help", role=None)
        assert out.startswith("Usage: antre ") and "ticket " + sub in out, out
    assert "--print DEST" in ok("ticket", "issue", "--help", role=None)


def test_usage_errors_exit_2():
    cases = [
        ((), "Usage"),
        (("frobnicate",), "unknown command 'frobnicate'"),
        (("ticket",), "ticket issue"),
        (("ticket", "frob"), "unknown command 'ticket frob'"),
        (("--bogus", "ticket", "show", "A-001"), "Try 'antre --help'"),
        (("ticket", "issue"), "--service is required"),
        (("ticket", "issue", "--service", "dose1", "--bogus"), "--bogus"),
        (("ticket", "issue", "--service", "dose1", "--width", "70"), "58 or 80"),
        (("ticket", "issue", "--service", "dose1", "extra"), "unexpected argument"),
        (("ticket", "show"), "which ticket"),
        (("ticket", "show", "A-001", "A-002"), "unexpected argument"),
        (("ticket", "qr", "A-001"), "--png"),
        (("ticket", "qr", "A-001", "--png", "x.png", "--scale", "0"), "1 to 32"),
        (("ticket", "qr", "A-001", "--png", "x.png", "--scale", "33"), "1 to 32"),
        (("ticket", "print", "A-001"), "destination"),
        (("-u", "https://example.org", "ticket", "show", "A-001"), "only http://"),
    ]
    for args, text in cases:
        rc, out, err = cli(*args)
        assert rc == 2, (args, rc, out, err)
        assert text in err, (args, err)
    assert not os.path.exists("x.png")


# ---- issue ---------------------------------------------------------------------

def test_issue_shows_code_and_a_qr_of_the_status_link():
    code, url, out = issue()
    assert re.match(r"^http://127\.0\.0\.1:%d/t/demo/\d{8}-A\d{3}\?sig=[A-Za-z0-9_-]+$"
                    % d1.port, url), url
    assert re.search(r"^Layanan:\s+dose1$", out, re.M), out
    assert re.search(r"^Prioritas:\s+regular$", out, re.M), out
    assert re.search(r"^Posisi:\s+\d+ orang di depan", out, re.M), out
    grid = check_qr(qr_grid(qr_lines(out)), url)
    # the very symbol antred draws for the receipt and qr.png
    tid = ticket_id(code)
    path = "/v1/events/demo/tickets/%s/qr.svg" % tid
    st, _, svg = d1.get(path, role="desk")
    assert st == 200, st
    svg = svg.decode() if isinstance(svg, bytes) else svg
    assert svg_grid(svg, len(grid[0])) == grid[:len(grid[0])], "terminal QR differs from qr.svg"


def test_issue_inverted_qr_for_light_terminals():
    code, url, out = issue("--invert")
    lines = qr_lines(out)
    # dark modules are lit now: the quiet zone is blank
    assert lines[0].strip() == "", repr(lines[0])
    check_qr(qr_grid(lines, invert=True), url)
    # read the wrong way round it is no QR code
    try:
        check_qr(qr_grid(lines, invert=False), url)
    except AssertionError:
        pass
    else:
        raise AssertionError("an inverted QR also reads as a plain one")
    code, url, out = issue("--no-qr")
    assert not [l for l in out.split("\n") if "\u2588" in l], out


def test_issue_options_and_nik_never_printed():
    rc, out, err = cli("ticket", "issue", "--service", "dose2", "--priority", "disabled",
                       "--area", "RT 03 Sukamaju")
    assert rc == 0, err
    assert re.search(r"^Nomor antrean:\s+B-\d{3}$", out, re.M), out
    assert re.search(r"^Prioritas:\s+disabled$", out, re.M), out
    assert re.search(r"^Wilayah:\s+RT 03 Sukamaju$", out, re.M), out
    # a NIK of someone over 60 makes the ticket elderly; the NIK is nowhere
    rc, out, err = cli("ticket", "issue", "--service", "booster", "--nik", NIK_OLD_MAN)
    assert rc == 0, err
    assert re.search(r"^Prioritas:\s+elderly$", out, re.M), out
    assert re.search(r"^Wilayah:\s+327301$", out, re.M), out
    assert NIK_OLD_MAN not in out + err
    # "--nik -" reads it from standard input, out of the process list
    rc, out, err = cli("ticket", "issue", "-s", "booster", "--nik", "-", stdin=NIK_YOUNG + "\n")
    assert rc == 0, err
    assert re.search(r"^Wilayah:\s+317102$", out, re.M), out
    assert NIK_YOUNG not in out + err
    rc, out, err = cli("ticket", "issue", "-s", "booster", "--nik", "-", stdin=NIK_YOUNG + "\n")
    assert rc == 1 and out == "", (rc, out, err)
    assert err.endswith("(duplicate_person)\n"), err
    assert NIK_YOUNG not in out + err
    rc, out, err = cli("ticket", "issue", "-s", "dose1", "--nik", "1234")
    assert rc == 1 and "(invalid_nik)" in err and "1234" not in err, (rc, err)


def test_issue_json():
    out = ok("ticket", "issue", "--service", "dose1", "--json")
    b = json.loads(out)
    assert set(b) == {"ticket", "status_url", "qr"}, b
    assert b["ticket"]["code"].startswith("A-"), b


def test_issue_and_print_to_a_file():
    dest = os.path.join(tmp, "receipt.bin")
    with open(dest, "wb") as f:
        f.write(b"x" * 100000)                  # truncated, not overwritten in place
    rc, out, err = cli("ticket", "issue", "--service", "dose1", "--print", dest)
    m = re.search(r"^Nomor antrean:\s+(A-\d{3})$", out, re.M)
    assert m, (out, err)
    tid = ticket_id(m.group(1))
    assert rc == 0, (out, err)
    assert "Dicetak ke %s." % dest in out, out
    with open(dest, "rb") as f:
        data = f.read()
    assert data.startswith(b"\x1b\x40"), data[:16]          # ESC @: initialise
    assert m.group(1).encode() in data, data
    assert b"\x1dVB\x03" in data, data[-16:]                # GS V 66 3: feed and cut
    assert len(data) < 100000
    mode = stat.S_IMODE(os.stat(dest).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o644 & ~umask, oct(mode)
    # a reprint is the server's receipt byte for byte (80 mm, QR as raster)
    os.unlink(dest)
    ok("ticket", "print", tid, dest, "--width", "80", "--raster")
    st, _, want = d1.get("/v1/events/demo/tickets/%s/ticket.escpos?width=80&qr=raster" % tid,
                         role="desk")
    assert st == 200, st
    with open(dest, "rb") as f:
        assert f.read() == want
    assert b"\x1dv0" in want                                # GS v 0: raster image
    # standard output: the receipt's bytes alone, the words on stderr
    rc, out, err = cli("ticket", "issue", "--service", "dose1", "--print", "-", binary=True)
    assert rc == 0, err
    assert out.startswith(b"\x1b\x40"), out[:16]
    assert "Nomor antrean:" in err, err


def test_print_to_a_network_printer():
    printer = Printer()
    rc, out, err = cli("ticket", "issue", "--service", "dose2",
                       "--print", "tcp:127.0.0.1:%d" % printer.port)
    code = re.search(r"^Nomor antrean:\s+(B-\d{3})$", out, re.M).group(1)
    tid = ticket_id(code)
    assert rc == 0, (out, err)
    data = printer.received()
    assert data.startswith(b"\x1b\x40") and code.encode() in data, data[:64]
    st, _, want = d1.get("/v1/events/demo/tickets/%s/ticket.escpos?width=58" % tid, role="desk")
    assert data == want
    # reprint through the same kind of port
    printer = Printer()
    ok("ticket", "print", code, "tcp:127.0.0.1:%d" % printer.port)
    assert printer.received() == want
    # nobody listening: the ticket is issued all the same, and the desk told
    rc, out, err = cli("ticket", "issue", "--service", "dose2",
                       "--print", "tcp:127.0.0.1:%d" % free_port())
    assert rc == 1, (rc, err)
    assert "cannot connect to printer" in err and "was issued but not printed" in err, err
    assert re.search(r"^Nomor antrean:\s+B-\d{3}$", out, re.M), out


def test_print_to_a_missing_device():
    rc, out, err = cli("ticket", "print", "A-001", "/dev/antre-test-no-such-printer")
    assert rc == 1 and "no such device" in err, (rc, err)
    assert not os.path.exists("/dev/antre-test-no-such-printer")


# ---- show, qr ----------------------------------------------------------------

def test_show_a_ticket():
    code, _, _ = issue()
    out = ok("ticket", "show", code)
    assert re.search(r"^Nomor antrean:\s+%s$" % code, out, re.M), out
    assert re.search(r"^Status:\s+menunggu \(waiting\)$", out, re.M), out
    assert re.search(r"^Tahap:\s+registration$", out, re.M), out
    assert re.search(r"^Diterbitkan:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+07:00$", out, re.M), out
    assert re.search(r"^  registration\s+-\s+\d\d:\d\d:\d\d\s+-\s+-\s+-\s+-$", out, re.M), out
    # called at a station, looked up by a station's token, by id
    st, _, b = d1.post("/v1/events/demo/stations/registration-2/call", {"ticket": code},
                       role="station")
    assert st == 200, b
    out = ok("ticket", "show", b["ticket"]["id"], role="station")
    assert re.search(r"^Status:\s+dipanggil \(called\)$", out, re.M), out
    assert re.search(r"^Meja:\s+registration-2$", out, re.M), out
    assert re.search(r"^  registration\s+registration-2\s+\d\d:\d\d:\d\d\s+\d\d:\d\d:\d\d\s+-",
                     out, re.M), out
    # --json: the server's JSON as it came
    out = ok("ticket", "show", code, "--json")
    b = json.loads(out)
    assert b["ticket"]["code"] == code and b["ticket"]["state"] == "called", b
    rc, out, err = cli("ticket", "show", "Z-999")
    assert rc == 1 and out == "" and err.endswith("(ticket_not_found)\n"), (rc, out, err)


LEAVE = r"^Perkiraan selesai:\s+sekitar (\d+) menit lagi \(pukul \d\d:\d\d\)$"


def json_ticket(code, d=None, ev="demo"):
    st, _, b = (d or d1).get("/v1/events/%s/tickets/%s" % (ev, code), role="desk")
    assert st == 200, (st, b)
    return b["ticket"]


def test_show_gives_the_wait_as_a_range_and_when_to_leave():
    # enough ahead at registration (2 desks, 60 s each before any service
    # is measured) for a range past five minutes
    for _ in range(14):
        code, _, _ = issue()
    t = json_ticket(code)
    assert t["state"] == "waiting" and t["position"] >= 13, t
    lo, hi = t["eta_range_s"]
    assert 0 <= lo <= t["eta_s"] <= hi and hi > 5 * 60 and lo % 60 == 0 == hi % 60, t
    assert t["leave_eta_s"] > t["eta_s"], t
    # the test clock is pinned: the show reads the same estimates
    out = ok("ticket", "show", code)
    assert re.search(r"^Perkiraan tunggu:\s+%d–%d menit$" % (lo // 60, hi // 60), out,
                     re.M), (t, out)
    leave = re.search(LEAVE, out, re.M)
    assert leave and int(leave.group(1)) == round(t["leave_eta_s"] / 60), (t, out)
    # called: no wait left at its stage, still on its way
    st, _, c = d1.post("/v1/events/demo/stations/registration-1/call", role="station")
    assert st == 200, c
    out = ok("ticket", "show", c["ticket"]["code"])
    assert "Perkiraan tunggu" not in out and re.search(LEAVE, out, re.M), out
    # cancelled: no estimate at all
    st, _, x = d1.post("/v1/events/demo/tickets/%s/cancel" % code, role="desk")
    assert st == 200 and x["ticket"]["state"] == "cancelled", x
    out = ok("ticket", "show", code)
    assert "Perkiraan" not in out, out


def test_show_a_short_wait_in_words():
    # nobody ahead with desks free: called within a minute, in the person's
    # words (event "one" of d2 has no queue)
    rc, out, err = cli("-e", "one", "ticket", "issue", "--service", "dose1", d=d2)
    assert rc == 0, err
    code = re.search(r"^Nomor antrean:\s+(A-\d{3})$", out, re.M).group(1)
    t = json_ticket(code, d=d2, ev="one")
    assert t["eta_range_s"] == [0, 60], t
    out = ok("ticket", "show", code, d=d2, event="one")
    assert re.search(r"^Perkiraan tunggu:\s+kurang dari 5 menit$", out, re.M), out
    assert re.search(LEAVE, out, re.M), out


def test_qr_files():
    code, url, _ = issue()
    tid = ticket_id(code)
    png = os.path.join(tmp, "qr.png")
    base = "/v1/events/demo/tickets/%s/" % tid
    ok("ticket", "qr", code, "--png", png, "--scale", "3")
    st, _, want = d1.get(base + "qr.png?scale=3", role="desk")
    assert st == 200
    with open(png, "rb") as f:
        data = f.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data == want
    svg = ok("ticket", "qr", code, "--svg", "-")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg, svg[:80]


# ---- the server says no ----------------------------------------------------

def test_bad_token_prints_the_servers_error():
    st, _, b = d1.get("/v1/events/demo/tickets/A-001", token="wrong-token")
    assert st == 401
    rc, out, err = cli("ticket", "show", "A-001", token="wrong-token")
    assert rc == 1 and out == "", (rc, out)
    assert err == "antre: %s (unauthorized)\n" % b["error"]["message"], err
    rc, out, err = cli("-t", "wrong-token", "ticket", "issue", "-s", "dose1")
    assert rc == 1 and err.endswith("(unauthorized)\n"), err
    rc, out, err = cli("ticket", "issue", "-s", "dose1", role="station")
    assert rc == 1 and err.endswith("(forbidden)\n"), err
    rc, out, err = cli("ticket", "issue", "-s", "nope")
    assert rc == 1 and err.endswith("(unknown_service)\n"), err


def test_unreachable_server():
    rc, out, err = cli("ticket", "show", "A-001", url="http://127.0.0.1:%d" % free_port())
    assert rc == 1 and "cannot connect" in err, (rc, err)


def test_a_server_that_is_not_antred():
    """Replies antred never sends: none at all, not HTTP, not JSON."""
    replies = [None, b"garbage\r\n\r\n",
               b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nbad gateway"]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(len(replies))
    srv.settimeout(30)

    def serve():
        for reply in replies:
            conn, _ = srv.accept()
            with conn:
                conn.recv(65536)
                if reply:
                    conn.sendall(reply)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    url = "http://127.0.0.1:%d" % srv.getsockname()[1]
    want = ["closed the connection without a reply", "did not answer in HTTP",
            "the server answered HTTP 502: bad gateway"]
    try:
        for text in want:
            rc, out, err = cli("-e", "demo", "ticket", "show", "A-001", url=url)
            assert rc == 1 and text in err, (rc, err)
    finally:
        t.join(30)
        srv.close()


# ---- which event ---------------------------------------------------------------

def test_event_required_when_the_server_has_two():
    rc, out, err = cli("ticket", "issue", "--service", "dose1", d=d2)
    assert rc == 2, (rc, out, err)
    assert "-e" in err and "one" in err and "two" in err, err
    # -e, or ANTRE_EVENT
    rc, out, err = cli("-e", "two", "ticket", "issue", "--service", "dose1", d=d2)
    assert rc == 0, err
    code = re.search(r"^Nomor antrean:\s+(A-\d{3})$", out, re.M).group(1)
    assert re.search(r"^Status:\s+http://\S+/t/two/", out, re.M), out
    out = ok("ticket", "show", code, d=d2, event="two")
    assert re.search(r"^Nomor antrean:\s+%s$" % code, out, re.M), out
    # -e wins over the environment
    rc, out, err = cli("-e", "nope", "ticket", "show", code, d=d2, event="two")
    assert rc == 1 and err.endswith("(unknown_event)\n"), err
