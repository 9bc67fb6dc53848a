"""Strict HTTP on the wire: HEAD, 405's Allow, security headers, request
heads that evhttp's parser would smooth over, and raw UTF-8 bodies.

Every exchange here is a raw socket, so that what antred sends is read
byte for byte: a HEAD reply that carried a body would make the next reply
on the connection unreadable, and a refused head must end its connection.
Each refused request is a ticket issue with a valid body; the ticket
numbers issued just before and after it prove nothing was written.
"""

import json
import re
import socket
import time

from harness import TEST_CLOCK, TOKENS, Antred, Redis, assert_error, pin_clocks

redis = None
d = None

DESK = b"Authorization: Bearer " + TOKENS["desk"].encode() + b"\r\n"
ISSUE_BODY = b'{"service":"dose1"}'
CSP = ("default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


def setup_module():
    global redis, d
    redis = Redis()                  # started by its constructor
    # numbers that follow on, the day's report: one event day
    pin_clocks(redis, ["demo"])
    d = Antred(redis.url, **TEST_CLOCK)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- a raw HTTP/1.1 connection ----------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r %r>" % (self.status, self.headers, self.body[:200])


class Conn:
    """One TCP connection; replies are read strictly in order, each by its
    Content-Length (none after HEAD, 204 or 304)."""

    def __init__(self, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("connection closed; unread: %r" % self.buf)
        self.buf += data

    def reply(self, method="GET"):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ", lines[0])
        assert m, "not a status line: %r (then %r)" % (lines[0], lines[1:])
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            k, sep, v = line.partition(b":")
            assert sep and k == k.strip(), "bad header line %r" % line
            headers.setdefault(k.decode().lower(), []).append(v.strip().decode("latin-1"))
        if method == "HEAD" or status in (204, 304):
            n = 0
        else:
            assert len(headers.get("content-length", [])) == 1, headers
            n = int(headers["content-length"][0])
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Resp(status, headers, body)

    def closed(self, timeout=5.0):
        """True when antred closes the connection with nothing more sent."""
        self.s.settimeout(timeout)
        try:
            while True:
                data = self.s.recv(65536)
                if not data:
                    return self.buf == b""
                self.buf += data
        except socket.timeout:
            return False
        except ConnectionResetError:
            return self.buf == b""

    def close(self):
        self.s.close()


def get(path, extra=b""):
    return b"GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (path.encode(), extra)


def issue_request(cl=None, extra=b"", body=ISSUE_BODY, eol=b"\r\n"):
    """POST an issue; `extra` goes after the Content-Length line."""
    lines = [b"POST /v1/events/demo/tickets HTTP/1.1", b"Host: t", DESK.rstrip(),
             b"Content-Type: application/json"]
    if cl is not False:
        lines.append(b"Content-Length: " + (str(len(body)).encode() if cl is None else cl))
    head = eol.join(lines) + eol + extra + eol
    return head + body


def ticket_number():
    """Issues a dose1 ticket and returns its number (A-017 -> 17)."""
    c = Conn()
    try:
        c.send(issue_request())
        r = c.reply("POST")
        assert r.status == 201, r
        return int(r.json()["ticket"]["code"].split("-")[1])
    finally:
        c.close()


def assert_refused(request, status=400, code="bad_request", writes=b""):
    """`request` on a fresh connection is refused with `status` and its
    connection closed, and no ticket was issued."""
    before = ticket_number()
    c = Conn()
    try:
        if writes:
            for i in range(len(request)):     # a byte per write
                c.send(request[i:i + 1])
                time.sleep(0.001)
        else:
            c.send(request)
        r = c.reply("POST")
        assert r.status == status, (request, r)
        if code:
            assert r.header("content-type").startswith("application/json"), r
            assert r.json()["error"]["code"] == code, r
            assert r.json()["error"]["message"], r
            assert r.header("connection") == "close", r
        assert c.closed(), "connection left open after %r" % request
    finally:
        c.close()
    assert ticket_number() == before + 1, "a refused request issued a ticket: %r" % request


def assert_issued(request):
    c = Conn()
    try:
        c.send(request)
        r = c.reply("POST")
        assert r.status == 201, (request, r)
        # and the connection still serves
        c.send(get("/healthz"))
        assert c.reply().status == 200
    finally:
        c.close()


# ---- HEAD -------------------------------------------------------------------

def test_head_then_get_on_one_connection():
    """HEAD answers as GET does, headers only: the GET after it on the same
    connection (pipelined, or after the HEAD's reply) reads cleanly."""
    for path in ("/healthz", "/v1/events", "/v1/events/demo", "/web/status.html",
                 "/web/style.css", "/nosuch", "/v1/events/nosuch/board"):
        g = Conn()
        g.send(get(path))
        want = g.reply()
        g.close()
        # pipelined: HEAD, GET, HEAD in one write
        c = Conn()
        c.send(b"HEAD %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode() + get(path) +
               b"HEAD %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        h1, g1, h2 = c.reply("HEAD"), c.reply("GET"), c.reply("HEAD")
        for h in (h1, h2):
            assert h.status == want.status, (path, h, want)
            assert h.header("content-type") == want.header("content-type"), (path, h)
            assert h.header("content-length") == str(len(want.body)), (path, h, want)
        assert g1.status == want.status and g1.body == want.body, (path, g1, want)
        # one at a time, still the same connection
        c.send(b"HEAD %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        assert c.reply("HEAD").header("content-length") == str(len(want.body))
        c.send(get("/healthz", b"Connection: close\r\n"))
        assert c.reply().status == 200
        assert c.closed(), "bytes after the replies: %r" % c.buf
        c.close()


def test_head_on_operator_and_stream_routes():
    # an operator GET: organiser token, the report's headers only
    c = Conn()
    auth = b"Authorization: Bearer " + TOKENS["organiser"].encode() + b"\r\n"
    c.send(b"HEAD /v1/events/demo/report.csv HTTP/1.1\r\nHost: t\r\n" + auth + b"\r\n" +
           b"HEAD /v1/events/demo/report.csv HTTP/1.1\r\nHost: t\r\n\r\n" +
           get("/v1/events/demo/stream").replace(b"GET", b"HEAD", 1) +
           b"HEAD /v1/events/demo/tickets/A-001/stream?sig=x HTTP/1.1\r\nHost: t\r\n\r\n" +
           get("/healthz"))
    r = c.reply("HEAD")
    assert r.status == 200 and r.header("content-type").startswith("text/csv"), r
    assert int(r.header("content-length")) > 0, r
    r = c.reply("HEAD")
    assert r.status == 401 and r.header("www-authenticate") == "Bearer", r
    # a stream: its headers, no stream
    r = c.reply("HEAD")
    assert r.status == 200 and r.header("content-type").startswith("text/event-stream"), r
    r = c.reply("HEAD")
    assert r.status in (403, 404), r
    r = c.reply("GET")
    assert r.status == 200 and r.json()["status"] == "ok", r
    c.close()


# ---- 405 and Allow ----------------------------------------------------------

def test_405_lists_allowed_methods():
    cases = [
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/v1/events", "GET, HEAD"),
        ("PUT", "/web/style.css", "GET, HEAD"),
        ("GET", "/v1/events/demo/tickets", "POST"),
        ("HEAD", "/v1/events/demo/tickets", "POST"),
        ("PATCH", "/v1/events/demo/tickets/A-001", "GET, HEAD"),
        ("GET", "/v1/events/demo/stations/vaccination-1/call", "POST"),
        ("OPTIONS", "/v1/events/demo/board", "GET, HEAD"),
    ]
    for method, path, allow in cases:
        c = Conn()
        c.send(b"%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" %
               (method.encode(), path.encode()) + get("/healthz"))
        r = c.reply(method)
        assert r.status == 405, (method, path, r)
        assert r.header("allow") == allow, (method, path, r)
        if method != "HEAD":
            assert r.json()["error"]["code"] == "method_not_allowed", r
        assert c.reply().status == 200          # the connection goes on
        c.close()


# ---- security headers -------------------------------------------------------

def test_security_headers_on_every_answer():
    requests = [
        get("/healthz"), get("/v1/events"), get("/web/status.html"), get("/web/desk.js"),
        get("/web/nosuch.html"), get("/nosuch"), get("/t/demo/A-001?sig=forged"),
        get("/t/demo/A-001"), get("/v1/events/demo/stats"),
        b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        issue_request(body=b'{"service":"nosuch"}'),
        b"HEAD /web/display.html HTTP/1.1\r\nHost: t\r\n\r\n",
        get("/metrics"),
    ]
    for req in requests:
        c = Conn()
        c.send(req)
        r = c.reply(req.split(b" ", 1)[0].decode())
        c.close()
        assert r.header("content-security-policy") == CSP, (req, r)
        assert r.header("referrer-policy") == "no-referrer", (req, r)
        assert r.header("x-frame-options") == "DENY", (req, r)
        assert r.header("x-content-type-options") == "nosniff", (req, r)
    # the status page itself (a real ticket, its signed link)
    st, _, b = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
    assert st == 201, b
    path = b["status_url"].split("127.0.0.1:%d" % d.port, 1)[1]
    st, h, page = d.get(path)
    assert st == 200 and h["content-type"].startswith("text/html"), (st, h)
    assert h["content-security-policy"] == CSP and h["referrer-policy"] == "no-referrer", h
    # a refused head carries them too
    c = Conn()
    c.send(get("/healthz", b"X-A: a\x01b\r\n"))
    r = c.reply()
    c.close()
    assert r.status == 400 and r.header("content-security-policy") == CSP, r


# ---- refused request heads --------------------------------------------------

def test_repeated_content_length():
    n = str(len(ISSUE_BODY)).encode()
    assert_refused(issue_request(extra=b"Content-Length: " + n + b"\r\n"))
    assert_refused(issue_request(extra=b"Content-Length: 1\r\n"))
    assert_refused(issue_request(extra=b"content-length: " + n + b"\r\n"), writes=True)
    # a list is not digits either (evhttp's own 400)
    assert_refused(issue_request(cl=n + b", " + n), code=None)


def test_signed_or_odd_content_length():
    n = str(len(ISSUE_BODY)).encode()
    # evhttp's strtoll reads "+19" as 19: only antred's own check refuses it
    assert_refused(issue_request(cl=b"+" + n))
    assert_refused(issue_request(cl=b"+" + n), writes=True)
    # these evhttp refuses itself (its own 400 page), closing too; either
    # way the answer is 400 and the connection ends
    for cl in (b"-1", b"0x13", n + b"x", n[:1] + b" " + n[1:], b"", b"\xd9\xa1\xd9\xa9"):
        assert_refused(issue_request(cl=cl), code=None)
    # white space around the value is not part of it (RFC 9110 5.5)
    assert_issued(issue_request(cl=b"  " + n + b" "))
    assert_issued(issue_request(cl=b"\t" + n + b"\t"))
    assert_issued(issue_request(cl=b"00" + n))


def test_space_before_colon():
    assert_refused(issue_request(cl=False, extra=b"Content-Length : %d\r\n" % len(ISSUE_BODY)))


def test_transfer_encoding():
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(ISSUE_BODY), ISSUE_BODY)
    # with Content-Length: which one frames the body is the smuggler's
    # question (Debian's evhttp 2.1.12 refuses these itself, and antred
    # would if it did not)
    assert_refused(issue_request(cl=str(len(chunked)).encode(),
                                 extra=b"Transfer-Encoding: chunked\r\n", body=chunked), code=None)
    assert_refused(issue_request(extra=b"Transfer-Encoding: identity\r\n"), code=None)
    # alone: a body needs a length here
    assert_refused(issue_request(cl=False, extra=b"Transfer-Encoding: chunked\r\n",
                                 body=chunked), status=411, code="length_required")
    assert_refused(issue_request(cl=False, extra=b"transfer-encoding: gzip, chunked\r\n",
                                 body=chunked), status=411, code="length_required")


def test_obs_fold():
    assert_refused(issue_request(extra=b"X-Note: a\r\n folded\r\n"))
    assert_refused(issue_request(extra=b"X-Note: a\r\n\tfolded\r\n"))
    # white space before the first field
    req = issue_request()
    i = req.index(b"\r\n") + 2
    assert_refused(req[:i] + b" X-Note: a\r\n" + req[i:], code=None)   # evhttp's 400


def test_bare_lf():
    assert_refused(issue_request(eol=b"\n"))
    # one bare LF among CRLFs: after the request line, or a field
    req = issue_request()
    assert_refused(req.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\n", 1))
    assert_refused(req.replace(b"Host: t\r\n", b"Host: t\n", 1))
    # a bare CR (evhttp's own 400)
    assert_refused(issue_request(extra=b"X-Note: a\rX-Other: b\r\n"), code=None)


def test_control_bytes():
    for value in (b"a\x00b", b"a\x01b", b"a\x1bb", b"a\x7fb", b"a\x00"):
        assert_refused(issue_request(extra=b"X-Note: " + value + b"\r\n"))
    assert_refused(issue_request(extra=b"X-Note: a\x00b\r\n"), writes=True)
    # in a name or the request line, evhttp's own parse fails first (400)
    assert_refused(issue_request(extra=b"X-N\x00te: a\r\n"), code=None)
    assert_refused(issue_request().replace(b"/tickets", b"/tick\x00ets", 1), code=None)
    assert_refused(issue_request().replace(b"POST ", b"POST\t", 1), code=None)
    assert_refused(issue_request(extra=b"X-N\x01te: a\r\n"))
    # HT and obs-text in a value are allowed
    assert_issued(issue_request(extra=b"X-Note: a\tb\r\n"))
    assert_issued(issue_request(extra="X-Note: Desa Sukamaju \u2014 RT 03\r\n".encode()))


def test_head_with_a_body():
    c = Conn()
    c.send(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n" +
           get("/healthz")[:5] + get("/healthz"))
    r = c.reply("HEAD")
    assert r.status == 400, r
    assert c.closed()
    c.close()


def test_pipelined_bad_request_after_good_ones():
    """The sound requests before it are served; the unsound one is refused
    and ends the connection; nothing after it is read."""
    before = ticket_number()
    c = Conn()
    c.send(get("/healthz") + issue_request() +
           issue_request().replace(b"Host: t\r\n", b"Host: t\n", 1) +
           issue_request() + get("/healthz"))
    assert c.reply().status == 200
    assert c.reply("POST").status == 201
    r = c.reply("POST")
    assert r.status == 400 and r.json()["error"]["code"] == "bad_request", r
    assert c.closed()
    c.close()
    assert ticket_number() == before + 2
    # the same, the bad head in a later write on a kept-alive connection
    c = Conn()
    c.send(get("/healthz"))
    assert c.reply().status == 200
    c.send(issue_request(extra=b"X-Note: a\r\n folded\r\n") + get("/healthz"))
    assert c.reply("POST").status == 400
    assert c.closed()
    c.close()
    assert ticket_number() == before + 3


def test_pipelined_valid_requests():
    """Sound requests, with bodies, pipelined in one write and byte by byte:
    each answered in order."""
    before = ticket_number()
    reqs = (issue_request() + get("/healthz") +
            issue_request(body=b'{"service":"dose1", "area":"RT 01"}') +
            b"HEAD /v1/events HTTP/1.1\r\nHost: t\r\n\r\n" + issue_request() +
            # a GET with a body: evhttp reads it, and so does the guard
            get("/v1/events/demo", b"Content-Length: 19\r\n") + b"GET /healthz HTTP/1" +
            get("/healthz"))
    for bytewise in (False, True):
        c = Conn()
        if bytewise:
            for i in range(0, len(reqs), 7):
                c.send(reqs[i:i + 7])
                time.sleep(0.001)
        else:
            c.send(reqs)
        nums = []
        for m in ("POST", "GET", "POST", "HEAD", "POST", "GET", "GET"):
            r = c.reply(m)
            assert r.status == (201 if m == "POST" else 200), (m, r)
            if m == "POST":
                nums.append(int(r.json()["ticket"]["code"].split("-")[1]))
        c.close()
        assert nums == [before + 1, before + 2, before + 3], nums
        before += 3


# ---- raw UTF-8 bodies -------------------------------------------------------

AREA = "Desa Sukamaju \u2014 RT 03 / \u00c4\u00d6 \u4e2d\u6587 \U0001f642"


def test_raw_utf8_round_trip():
    area = AREA.encode("utf-8")
    body = b'{"service":"booster","area":"' + area + b'"}'
    assert body.isascii() is False and b"\\u" not in body
    c = Conn()
    c.send(issue_request(body=body))
    r = c.reply("POST")
    c.close()
    assert r.status == 201, r
    assert area in r.body, r.body          # raw bytes back, not \u escapes
    t = r.json()["ticket"]
    assert t["area"] == AREA, t
    st, _, got = d.get("/v1/events/demo/tickets/" + t["id"], role="station")
    assert st == 200 and got["ticket"]["area"] == AREA, got
    # the day's report, CSV and JSON, byte for byte
    auth = b"Authorization: Bearer " + TOKENS["organiser"].encode() + b"\r\n"
    # (a report ends its connection: one connection each)
    replies = []
    for path in ("/v1/events/demo/report.csv", "/v1/events/demo/report.json"):
        c = Conn()
        c.send(get(path, auth))
        replies.append(c.reply())
        c.close()
    csv_r, json_r = replies
    assert csv_r.status == 200 and json_r.status == 200, (csv_r, json_r)
    rows = [line.rstrip(b"\r") for line in csv_r.body.split(b"\n")
            if line.startswith(t["code"].encode() + b",")]
    assert len(rows) == 1 and b"," + area + b"," in rows[0], rows
    assert area in json_r.body, json_r.body[:500]
    mine = [x for x in json_r.json()["tickets"] if x["code"] == t["code"]]
    assert len(mine) == 1 and mine[0]["area"] == AREA, mine


def test_invalid_utf8_refused():
    for bad in (b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
                b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\x80", b"RT \xe4\xb8"):
        before = ticket_number()
        body = b'{"service":"dose1","area":"RT ' + bad + b' 03"}'
        c = Conn()
        c.send(issue_request(body=body))
        r = c.reply("POST")
        c.close()
        assert r.status == 400 and r.json()["error"]["code"] == "invalid_json", (bad, r)
        assert ticket_number() == before + 1, "a ticket was written for %r" % bad


def test_mutated_heads_never_hurt():
    """Sound requests with bytes inserted at random (seeded, 300 of them):
    each gets answers or a close, never a hang; antred stays up."""
    import random
    rnd = random.Random(1017)
    base = (get("/healthz", b"X-Note: a b\r\nContent-Length: 3\r\n") + b"abc" +
            b"HEAD /v1/events HTTP/1.1\r\nHost: t\r\n\r\n" + get("/healthz"))
    alphabet = [b"\r", b"\n", b"\r\n", b"\x00", b" ", b"\t", b":", b"a", b"\x7f", b"\xff",
                b"0", b"9", b"+", b"-", b",", b"\r\n ", b"\r\n\r\n"]
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(data) + 1)
            data[i:i] = rnd.choice(alphabet)
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        try:
            s.sendall(bytes(data))
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
        finally:
            s.close()
    st, _, body = d.get("/healthz")
    assert st == 200, (st, body)
