"""antre's writes survive a lost answer: `antre ticket issue` and `ticket
cancel` and the `station` operations send one Idempotency-Key per run and, after a 503, a timeout or a
dropped connection, send the same request again with the same key; when no
try is answered they exit 3 and print the key, and a run with
--idempotency-key KEY then gets the ticket the first run made.  `ticket find`
sends the NIK in the body only.

Between antre and antred sits a small HTTP proxy on loopback that, for the
keyed POSTs, follows a plan a try: "503" (answers 503 itself), "lost" (lets
antred do it, then answers 503: the answer is lost), "drop" (closes the
connection before antred sees it), "lost-drop" (antred does it, then the
connection is closed), "hang" (no answer: antre's per-try timeout), and past
the plan it passes the request through; "503-ra" is a 503 with
Retry-After: 1, as antred sends it."""

import http.client
import json
import os
import re
import socket
import socketserver
import subprocess
import threading
import time

from harness import SANITIZER_MARKS, TEST_CLOCK, TOKENS, TOP, Antred, Redis, pin_clocks

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))
NIK = "3273014107900002"             # 327301, 1 July 1990
NOBODY = "3273015208850003"          # nobody's today

redis = None
d = None


def setup_module():
    global redis, d
    redis = Redis()
    # issued_today before and after, codes looked up, a NIK's tickets of the
    # day: one event day, whatever the hour
    pin_clocks(redis, ["demo"])
    d = Antred(redis.url, **TEST_CLOCK)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- the proxy -----------------------------------------------------------------

class Proxy:
    """A loopback HTTP/1.1 proxy to antred, one request a connection
    (Connection: close), with a plan for the keyed POSTs."""

    def __init__(self, plan, hang_s=7.0):
        self.plan = list(plan)
        self.hang_s = hang_s
        self.seen = []          # every request: {method, path, key, body}
        self.lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                proxy.handle(self)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def keyed(self):
        return [s for s in self.seen if s["key"] is not None]

    def handle(self, h):
        line = h.rfile.readline(8192).decode("latin-1")
        if not line:
            return
        method, path, _ = line.split(" ", 2)
        headers = {}
        while True:
            hl = h.rfile.readline(8192).decode("latin-1")
            if hl in ("\r\n", "\n", ""):
                break
            k, v = hl.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        body = h.rfile.read(int(headers.get("content-length", "0") or 0))
        key = headers.get("idempotency-key")
        step = "pass"
        with self.lock:
            if key is not None:
                n = len(self.keyed())
                step = self.plan[n] if n < len(self.plan) else "pass"
            self.seen.append({"method": method, "path": path, "key": key, "body": body})
        if step == "drop":
            return
        if step == "hang":
            time.sleep(self.hang_s)
            return
        if step == "500":
            self.reply(h, 500, "application/json",
                       b'{"error":{"code":"internal_error","message":"odd"}}', {})
            return
        if step in ("503", "503-ra"):
            self.reply(h, 503, "application/json",
                       b'{"error":{"code":"store_unavailable","message":"stalled"}}',
                       {"Retry-After": "1"} if step == "503-ra" else {})
            return
        status, ctype, payload, extra = self.forward(method, path, headers, body)
        if step == "lost":
            self.reply(h, 503, "application/json",
                       b'{"error":{"code":"store_unavailable","message":"lost"}}', {})
        elif step == "lost-drop":
            return
        else:
            self.reply(h, status, ctype, payload, extra)

    def forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        fwd = {k: v for k, v in headers.items()
               if k in ("authorization", "content-type", "idempotency-key")}
        try:
            conn.request(method, path, body=body or None, headers=fwd)
            r = conn.getresponse()
            payload = r.read()
            extra = {}
            if r.getheader("Idempotency-Replayed"):
                extra["Idempotency-Replayed"] = r.getheader("Idempotency-Replayed")
            return r.status, r.getheader("Content-Type", ""), payload, extra
        finally:
            conn.close()

    @staticmethod
    def reply(h, status, ctype, payload, extra):
        head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n" % (
            status, len(payload))
        if ctype:
            head += "Content-Type: %s\r\n" % ctype
        for k, v in extra.items():
            head += "%s: %s\r\n" % (k, v)
        h.wfile.write((head + "\r\n").encode("latin-1") + payload)
        h.wfile.flush()


# ---- helpers ---------------------------------------------------------------

def cli(*args, url, stdin=None, timeout=90, role="desk"):
    """Runs antre as a desk (or `role`): (exit status, stdout, stderr, seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env["ANTRE_URL"] = url
    env["ANTRE_TOKEN"] = TOKENS[role]
    t0 = time.monotonic()
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, timeout=timeout,
                       input=stdin.encode() if stdin is not None else None)
    secs = time.monotonic() - t0
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    return p.returncode, p.stdout.decode("utf-8"), err, secs


def issued_today():
    st, _, b = d.get("/v1/events/demo/board")
    assert st == 200, st
    return b["issued_today"]


def code_of(out):
    m = re.search(r"^Nomor antrean:\s+([A-Z]-\d{3})$", out, re.M)
    assert m, out
    return m.group(1)


def one_key(p, n):
    """The proxy saw n keyed tries, all with one random key and one body."""
    k = p.keyed()
    assert len(k) == n, [(s["path"], s["key"]) for s in k]
    assert re.fullmatch(r"[0-9a-f]{32}", k[0]["key"]), k[0]["key"]
    assert all(s["key"] == k[0]["key"] and s["body"] == k[0]["body"] for s in k), k
    return k[0]["key"]


# ---- tests -----------------------------------------------------------------

def test_issue_retries_with_one_key():
    """A 503 (its Retry-After honoured), an answer lost after the write, a try with no answer (the
    per-try timeout), a dropped connection: antre says each, tries again
    with the same key, and ends with the one ticket the first try made."""
    p = Proxy(["503-ra", "lost", "hang", "drop", "lost-drop"])
    try:
        before = issued_today()
        rc, out, err, secs = cli("ticket", "issue", "--service", "dose1", "--no-qr", url=p.url)
        assert rc == 0, (rc, out, err)
        one_key(p, 6)
        assert err.count("trying again in") == 5, err
        assert "(try 2 of 6)" in err and "(try 6 of 6)" in err, err
        assert "HTTP 503; trying again in 1.0 s" in err, err    # Retry-After: 1 honoured
        assert "within 5 s" in err, err              # the hung try, cut off
        assert "had done this already" in err, err   # the last try found the first's ticket
        assert issued_today() == before + 1, "one ticket, not %d" % (issued_today() - before)
        code = code_of(out)
        st, _, b = d.get("/v1/events/demo/tickets/" + code, role="desk")
        assert st == 200 and b["ticket"]["service"] == "dose1", (st, b)
        assert secs < 30, secs
    finally:
        p.stop()


def test_unknown_outcome_exits_3_and_the_key_finds_it():
    """Every try unanswered (the first did issue): exit 3, "not known", the
    key printed; the same command with --idempotency-key KEY gets that
    ticket, and nothing is issued twice."""
    p = Proxy(["lost", "503", "drop", "503", "503", "503"])
    try:
        before = issued_today()
        rc, out, err, secs = cli("ticket", "issue", "--service", "booster", "--no-qr",
                                 url=p.url)
        assert rc == 3, (rc, out, err)
        key = one_key(p, 6)
        assert "is not known" in err and "--idempotency-key " + key in err, err
        assert "Nomor antrean" not in out, out
        assert issued_today() == before + 1
        assert secs < 25, secs
    finally:
        p.stop()
    rc, out, err, _ = cli("ticket", "issue", "--service", "booster", "--no-qr",
                          "--idempotency-key", key, url="http://127.0.0.1:%d" % d.port)
    assert rc == 0, (rc, out, err)
    assert "had done this already" in err, err
    assert issued_today() == before + 1, "still one ticket"
    st, _, b = d.get("/v1/events/demo/tickets/" + code_of(out), role="desk")
    assert st == 200 and b["ticket"]["service"] == "booster", (st, b)
    # the same key for another request: refused, and said
    rc, out, err, _ = cli("ticket", "issue", "--service", "dose2", "--no-qr",
                          "--idempotency-key", key, url="http://127.0.0.1:%d" % d.port)
    assert rc == 1 and "idempotency_key_reused" in err, (rc, out, err)
    assert issued_today() == before + 1


def test_refusals_are_not_retried():
    """A 4xx is the server's word: one try, exit 1, nothing issued."""
    p = Proxy([])
    try:
        before = issued_today()
        rc, out, err, _ = cli("ticket", "issue", "--service", "nonesuch", url=p.url)
        assert rc == 1 and "unknown_service" in err, (rc, out, err)
        assert len(p.keyed()) == 1 and "trying again" not in err, err
        assert issued_today() == before
    finally:
        p.stop()


def test_a_500_is_not_retried_but_not_known():
    """A 500 may come after the write: not tried again, exit 3, the key
    printed to find out."""
    p = Proxy(["500"])
    try:
        rc, out, err, _ = cli("ticket", "issue", "--service", "dose1", url=p.url)
        assert rc == 3, (rc, out, err)
        key = one_key(p, 1)
        assert "internal_error" in err and "--idempotency-key " + key in err, err
    finally:
        p.stop()


def test_bad_idempotency_keys_are_usage_errors():
    for bad in ("", "a b", "k" * 65, "caf\u00e9", "x/y"):
        rc, out, err, _ = cli("ticket", "issue", "-s", "dose1", "--idempotency-key", bad,
                              url="http://127.0.0.1:%d" % d.port)
        assert rc == 2 and "--idempotency-key" in err, (bad, rc, err)
    rc, out, err, _ = cli("ticket", "issue", "-s", "dose1", "--no-qr", "--idempotency-key",
                          "desk-1:2026.11.23_" + "k" * 46, url="http://127.0.0.1:%d" % d.port)
    assert rc == 0, (rc, err)


def test_cancel_retries_with_one_key():
    """A cancel whose answer is lost is sent again with its key: the server
    answers with the cancel it did, not "cannot cancel a cancelled ticket"."""
    st, _, b = d.post("/v1/events/demo/tickets", {"service": "dose2"}, role="desk")
    assert st == 201, (st, b)
    code = b["ticket"]["code"]
    p = Proxy(["lost", "drop"])
    try:
        rc, out, err, _ = cli("ticket", "cancel", code, url=p.url)
        assert rc == 0, (rc, out, err)
        assert out == "Tiket %s dibatalkan.\n" % code, out
        one_key(p, 3)
        assert all(s["path"].endswith("/tickets/%s/cancel" % code) for s in p.keyed())
    finally:
        p.stop()
    st, _, b = d.get("/v1/events/demo/tickets/" + code, role="desk")
    assert b["ticket"]["state"] == "cancelled", b


def test_find_by_nik_from_stdin():
    """`ticket find --nik -`: the NIK read from standard input, sent in the
    body only (never in a path); today's tickets listed; none said so."""
    st, _, b = d.post("/v1/events/demo/tickets", {"service": "dose1", "nik": NIK}, role="desk")
    assert st == 201, (st, b)
    code, tid = b["ticket"]["code"], b["ticket"]["id"]
    p = Proxy([])
    try:
        rc, out, err, _ = cli("ticket", "find", "--nik", "-", url=p.url, stdin=NIK + "\n")
        assert rc == 0, (rc, out, err)
        lines = out.splitlines()
        assert lines[0].split() == ["Nomor", "Tiket", "Layanan", "Status", "Diambil"], out
        row = [ln for ln in lines if ln.startswith(code + " ")]
        assert len(row) == 1 and tid in row[0] and "dose1" in row[0] and "menunggu" in row[0], out
        assert "Status: http" in out, out
        rc, out, err, _ = cli("ticket", "find", "--nik", NOBODY, "--json", url=p.url)
        assert rc == 0 and json.loads(out)["tickets"] == [], (rc, out, err)
        rc, out, err, _ = cli("ticket", "find", "--nik", NOBODY, url=p.url)
        assert rc == 0 and out == "Tidak ada tiket hari ini untuk NIK ini.\n", (rc, out, err)
        rc, out, err, _ = cli("ticket", "find", "--nik", "12345", url=p.url)
        assert rc == 1 and "invalid_nik" in err, (rc, out, err)
        assert NIK not in err and NIK not in out
        for s in p.seen:
            assert NIK not in s["path"] and NOBODY not in s["path"], s["path"]
        finds = [s for s in p.seen if s["path"].endswith("/tickets/lookup")]
        assert len(finds) == 4 and all(s["method"] == "POST" for s in finds), finds
        assert json.loads(finds[0]["body"]) == {"nik": NIK}, finds[0]
    finally:
        p.stop()
    rc, out, err, _ = cli("ticket", "find", url="http://127.0.0.1:%d" % d.port)
    assert rc == 2 and "--nik" in err, (rc, err)
    rc, out, err, _ = cli("ticket", "find", "--nik", "-", url="http://127.0.0.1:%d" % d.port,
                          stdin="")
    assert rc == 2 and "standard input" in err, (rc, err)


def test_connection_refused_is_retried_then_unknown():
    """Nobody listening: each try fails to connect; bounded, exit 3."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # nothing listens there now
    rc, out, err, secs = cli("-e", "demo", "ticket", "issue", "-s", "dose1",
                             url="http://127.0.0.1:%d" % port)
    assert rc == 3, (rc, out, err)
    assert err.count("trying again in") == 5 and "is not known" in err, err
    assert secs < 25, secs


def test_station_operations_retry_with_one_key():
    """`station call` whose answer is lost, then a dropped try: one call
    (the next ticket still waits), the answer is the called ticket; then
    start and complete, each retried after a lost answer, are done once."""
    direct = "http://127.0.0.1:%d" % d.port
    st = "screening-2"
    for _ in range(2):
        s, _, b = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
        assert s == 201, (s, b)
    for _ in range(40):         # all of registration's queue on to screening
        s, _, b = d.post("/v1/events/demo/stations/registration-2/call", role="station")
        if s == 204:
            break
        code = b["ticket"]["code"]
        for op, body in (("start", None), ("complete", {"outcome": "done"})):
            s, _, b = d.post("/v1/events/demo/stations/registration-2/" + op, body,
                             role="station")
            assert s == 200, (op, s, b)
    # two tickets (at least) waiting at screening now
    s, _, ev = d.get("/v1/events/demo")
    waiting = [g["waiting"] for g in ev["event"]["stages"] if g["id"] == "screening"][0]
    assert waiting >= 2, ev["event"]["stages"]
    p = Proxy(["lost", "drop"])
    try:
        rc, out, err, _ = cli("station", "call", st, url=p.url, role="station")
        assert rc == 0, (rc, out, err)
        one_key(p, 3)
        m = re.search(r"^Nomor antrean:\s+([A-Z]-\d{3})$", out, re.M)
        assert m and "dipanggil (called)" in out and "Meja:            " + st in out, out
        called = m.group(1)
    finally:
        p.stop()
    s, _, ev = d.get("/v1/events/demo")
    now = [g["waiting"] for g in ev["event"]["stages"] if g["id"] == "screening"][0]
    assert now == waiting - 1, "one call, not %d" % (waiting - now)
    for args in (("start", st), ("complete", st, "done")):
        p = Proxy(["lost"])
        try:
            rc, out, err, _ = cli("station", *args, url=p.url, role="station")
            assert rc == 0, (args, rc, out, err)
            one_key(p, 2)
            assert "had done this already" in err, err
        finally:
            p.stop()
    s, _, b = d.get("/v1/events/demo/tickets/" + called, role="station")
    assert b["ticket"]["stage"] == "vaccination", b
    # usage: the outcome is needed; --ticket only for call
    rc, out, err, _ = cli("station", "complete", st, url=direct, role="station")
    assert rc == 2 and "outcome" in err, (rc, err)
    rc, out, err, _ = cli("station", "start", st, "--ticket", "A-001", url=direct,
                          role="station")
    assert rc == 2 and "--ticket" in err, (rc, err)
    # pause and resume answer with the station
    rc, out, err, _ = cli("station", "pause", st, url=direct, role="station")
    assert rc == 0 and out == "Meja %s: dijeda (paused)\n" % st, (rc, out, err)
    rc, out, err, _ = cli("station", "resume", st, url=direct, role="station")
    assert rc == 0 and "Meja %s: " % st in out, (rc, out, err)
