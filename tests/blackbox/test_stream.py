"""The live streams (Server-Sent Events): the displays' stream of an event
and the person's stream of one ticket, as a client sees them on the wire.

A small SSE client of its own (raw socket, HTTP/1.1, de-chunking, the SSE
field and comment rules) reads each subscription on a thread and stamps
every event with its arrival time; a second mode connects and never reads,
for the slow-subscriber test.

One Redis and one antred (sse-heartbeat 1) for the module, each test on an
event of its own; tests that need another configuration (a second daemon,
sse-max-buffer 4096, max-connections 5, a Redis to kill, a daemon to
SIGSTOP) start their own daemon and stop it, cleanly and without a
sanitizer report, before they end.  Redis Stream ids are checked against
XRANGE of antre:{ev}:stream, read with redis-cli."""

import codecs
import copy
import datetime
import json
import random
import re
import signal
import socket
import string
import threading
import time

from board_model import kept, without_at
from harness import ANTRED_TEST, DEMO_EVENT, TOKENS, Antred, Redis, pin_clocks, wait_until

redis = None
d = None

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+07:00$")
STREAM_ID = re.compile(r"^\d+-\d+$")
LINE_END = re.compile(r"\r\n|\r|\n")

NIK = "3171021505000003"         # 317102, 15 May 2000: valid
AREA = "RT 07 Kampung Rahasia"
TICKET_EVENT_KEYS = {"id", "code", "state", "stage", "station", "hold_until", "at"}
CALL_KEYS = {"ticket", "code", "station", "stage", "station_number", "recall", "at"}
VIEW_KEYS = {"id", "code", "service", "state", "stage", "station", "issued_at",
             "hold_until", "position", "eta_s", "eta_range_s", "leave_eta_s", "recalls",
             "next_dose_from"}


def event(eid, **over):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    ev.update(over)
    return ev


EVENTS = [event(e) for e in ("disp", "multi", "replay", "slow", "coal", "beat", "mine",
                             "bound", "gap2", "stall", "orgs")]


def setup_module():
    global redis, d
    redis = Redis()
    # "mine" looks a ticket up by its code and "orgs" counts the day's
    # tickets: their clocks are pinned; the others keep Redis's clock (the
    # display test checks a call's time against the real one)
    pin_clocks(redis, ["mine", "orgs"])
    d = Antred(redis.url, events=EVENTS, binary=ANTRED_TEST,
               extra=["sse-heartbeat 1", "test-clock 1"])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- an SSE client -------------------------------------------------------------

class Event:
    """One dispatched SSE event: type, data, the id field of its own block
    (None when it had none), the stream's last event id, arrival time."""

    def __init__(self, type_, data, id_, last_id, t):
        self.type, self.data, self.id, self.last_id, self.t = type_, data, id_, last_id, t
        try:
            self.json = json.loads(data)
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%s id=%s %s>" % (self.type, self.id, self.data[:120])


class Stream:
    """An HTTP/1.1 GET on a raw socket, read as an event stream.

    read=True: a thread reads the response head, de-chunks the body and
    parses it as SSE (fields id, event, data, retry; comments), appending
    to .items / .events / .comments with arrival times.  A reply that is
    not a stream (an error) is kept whole in .body.
    read=False: connects, sends the request and never reads (slow client);
    drain() reads it later."""

    def __init__(self, port, path, headers=None, read=True, rcvbuf=None, maxseg=None,
                 version="HTTP/1.1"):
        self.port, self.path = port, path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if maxseg:
            # a small MSS in our SYN keeps the daemon's send buffer small
            # (Linux sizes it from the peer's MSS), so that a few hundred
            # KiB fill it rather than the 4 MiB loopback would allow
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        req = ["GET %s %s" % (path, version), "Host: 127.0.0.1:%d" % port,
               "Accept: text/event-stream", "Cache-Control: no-cache"]
        req += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
        self.t0 = time.monotonic()
        self.cond = threading.Condition()
        self.status = None
        self.headers = {}
        self.head_at = None
        self.body = b""
        self.raw = bytearray()            # the de-chunked body as received
        self.items = []                   # ("retry"|"comment"|"event", value, t)
        self.events = []
        self.comments = []
        self.retries = []
        self.last_event_id = ""
        self.eof = False
        self.eof_at = None
        self.error = None
        self._stop = False
        self._dec = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._first = True
        self._type, self._data, self._idf = "", [], None
        self.thread = None
        if read:
            self.sock.settimeout(0.2)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    # -- the reader thread --

    def _recv(self):
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise EOFError("connection closed")
            return data
        raise EOFError("stopped")

    def _run(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                buf += self._recv()
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            hdrs = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            with self.cond:
                self.status, self.headers, self.head_at = status, hdrs, time.monotonic()
                self.cond.notify_all()
            if hdrs.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    while b"\r\n" not in buf:
                        buf += self._recv()
                    size_line, buf = buf.split(b"\r\n", 1)
                    size = int(size_line.split(b";")[0].strip(), 16)
                    while len(buf) < size + 2:
                        buf += self._recv()
                    chunk, crlf, buf = buf[:size], buf[size:size + 2], buf[size + 2:]
                    assert crlf == b"\r\n", "bad chunk trailer %r" % crlf
                    if size == 0:
                        break
                    self._feed(chunk, hdrs)
            elif "content-length" in hdrs:
                n = int(hdrs["content-length"])
                while len(buf) < n:
                    buf += self._recv()
                with self.cond:
                    self.body = buf[:n]
            else:
                if buf:
                    self._feed(buf, hdrs)
                while True:
                    self._feed(self._recv(), hdrs)
        except EOFError:
            pass
        except Exception as e:  # noqa: BLE001 - kept for the test to report
            self.error = repr(e)
        finally:
            with self.cond:
                self.eof = True
                self.eof_at = time.monotonic()
                self.cond.notify_all()

    def _feed(self, data, hdrs):
        if not hdrs.get("content-type", "").startswith("text/event-stream"):
            with self.cond:
                self.body += data
            return
        with self.cond:
            self.raw += data
            self._text += self._dec.decode(data)
            if self._first and self._text:
                self._first = False
                if self._text[0] == "\ufeff":
                    self._text = self._text[1:]
            while True:
                m = LINE_END.search(self._text)
                if not m or (m.group() == "\r" and m.end() == len(self._text)):
                    break                 # a CR may be half of a CRLF still coming
                line, self._text = self._text[:m.start()], self._text[m.end():]
                self._line(line)
            self.cond.notify_all()

    def _line(self, line):
        now = time.monotonic()
        if line == "":
            if self._data:
                ev = Event(self._type or "message", "\n".join(self._data), self._idf,
                           self.last_event_id, now)
                self.events.append(ev)
                self.items.append(("event", ev, now))
            self._type, self._data, self._idf = "", [], None
            return
        if line.startswith(":"):
            self.comments.append((line[1:], now))
            self.items.append(("comment", line[1:], now))
            return
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\0" not in value:
                self._idf = value
                self.last_event_id = value
        elif field == "retry":
            if value and all(c in string.digits for c in value):
                self.retries.append(int(value))
                self.items.append(("retry", int(value), now))

    # -- for the tests --

    def wait(self, pred, timeout=5.0, what="stream condition"):
        with self.cond:
            ok = self.cond.wait_for(lambda: pred(self), timeout)
            if not ok:
                raise AssertionError("timed out (%.1f s) waiting for %s on %s; status %s, "
                                     "eof %s, error %s, last items %r"
                                     % (timeout, what, self.path, self.status, self.eof,
                                        self.error, self.items[-8:]))

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def of(self, type_):
        with self.cond:
            return [e for e in self.events if e.type == type_]

    def live(self):
        """call, ticket and station events: the ones with stream ids."""
        with self.cond:
            return [e for e in self.events if e.type in ("call", "ticket", "station")]

    def wait_started(self, timeout=5.0, still_open=True):
        """Waits for the 200 head and the first retry field."""
        self.wait(lambda s: s.retries or s.eof, timeout, "the stream to start")
        assert self.status == 200 and self.retries == [3000], \
            (self.status, self.error, self.body, self.retries)
        assert not (still_open and self.eof), "the stream ended at once: %r" % self.items
        return self

    def json(self):
        self.wait(lambda s: s.eof or (s.status is not None and s.body and
                                      len(s.body) >= int(s.headers.get("content-length", 1 << 30))),
                  5, "a whole reply")
        return json.loads(self.body)

    def drain(self, timeout):
        """For a never-read client: reads all there is until EOF, a reset or
        the timeout; (bytes, "eof" | "reset" | "timeout")."""
        data = bytearray()
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return bytes(data), "reset"
            if not chunk:
                return bytes(data), "eof"
            data += chunk
        return bytes(data), "timeout"

    def close(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.thread:
            self.thread.join(5)
        self.sock.close()


def subscribe(daemon, ev, last_id=None, query="", **kw):
    headers = {"Last-Event-ID": last_id} if last_id is not None else None
    return Stream(daemon.port, "/v1/events/%s/stream%s" % (ev, query), headers=headers, **kw)


# ---- helpers ------------------------------------------------------------------------

def sid(s):
    """A Redis Stream id as a comparable pair."""
    assert isinstance(s, str) and STREAM_ID.match(s), s
    a, b = s.split("-")
    return int(a), int(b)


def issue(ev, daemon=None, **body):
    body.setdefault("service", "dose1")
    st, _, b = (daemon or d).post("/v1/events/%s/tickets" % ev, body, role="desk")
    # a 503 here came twice under the sanitizers in full runs and never
    # alone: what antred logged and what Redis says of its fsyncs and
    # latency go with it, to tell antred's side from Redis's
    assert st == 201, (st, b, (daemon or d).logtext()[-3000:],
                       redis.cli("INFO", "persistence")[-900:], redis.cli("LATENCY", "LATEST"))
    return b


def call(ev, station, ref=None, daemon=None):
    st, _, b = (daemon or d).post("/v1/events/%s/stations/%s/call" % (ev, station),
                                  {"ticket": ref} if ref else None, role="station")
    assert st == 200, (st, b)
    return b["ticket"]


def act(ev, station, op, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, op), body, role="station")
    assert st == 200, (op, st, b)
    return b["ticket"]


def get_board(ev, daemon=None):
    st, _, b = (daemon or d).get("/v1/events/%s/board" % ev)
    assert st == 200, (st, b)
    return b


def issue_many(ev, n, threads=8, daemon=None):
    """n tickets from `threads` desks at once (services in turn); the tickets."""
    out, errors = [], []
    lock = threading.Lock()
    services = ["dose1", "dose2", "booster"]

    def desk(k):
        try:
            for i in range(k, n, threads):
                b = issue(ev, daemon=daemon, service=services[i % 3])
                with lock:
                    out.append(b["ticket"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=desk, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors[:3]
    assert len(out) == n, len(out)
    return out


def xrange(ev, start="-", r=None):
    """[(id, type, data)] of the event's Redis Stream, read with redis-cli."""
    out = (r or redis).cli("XRANGE", "antre:{%s}:stream" % ev, start, "+")
    entries, cur = [], None
    lines = out.split("\n") if out else []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if STREAM_ID.match(ln):
            cur = [ln, None, None]
            entries.append(cur)
            i += 1
            continue
        assert cur is not None and i + 1 < len(lines), out[:500]
        if ln == "type":
            cur[1] = lines[i + 1]
        elif ln == "data":
            cur[2] = json.loads(lines[i + 1])
        i += 2
    return [tuple(e) for e in entries]


def to_ms(s):
    """An RFC 3339 time with the event's +07:00 into epoch milliseconds."""
    assert isinstance(s, str) and RFC3339.match(s), s
    return round(datetime.datetime.fromisoformat(s).timestamp() * 1000)


def check_ids_increase(evs):
    ids = [sid(e.id) for e in evs]
    assert all(a < b for a, b in zip(ids, ids[1:])), "ids not increasing: %r" % [e.id for e in evs]


def check_no_personal_data(s):
    text = bytes(s.raw).decode("utf-8", "replace")
    assert NIK not in text and AREA not in text, "personal data on a public stream"
    for e in s.events:
        if e.type in ("call", "ticket"):
            assert e.json is not None, e
            for k in ("area", "nik", "priority", "visits"):
                assert k not in e.json, (k, e)


def stop_clean(daemon):
    """Stops a test's own daemon; a sanitizer report or unclean exit fails."""
    return daemon.stop()


# ---- 1. the display stream on one daemon ---------------------------------------

def test_display_stream_order_ids_times_board():
    ev = "disp"
    s = subscribe(d, ev).wait_started()
    old = Stream(d.port, "/v1/events/%s/stream" % ev, version="HTTP/1.0").wait_started()
    try:
        assert s.headers["content-type"].startswith("text/event-stream"), s.headers
        assert s.headers.get("transfer-encoding", "").lower() == "chunked", s.headers
        assert "no-store" in s.headers.get("cache-control", "") or \
            "no-cache" in s.headers.get("cache-control", ""), s.headers
        assert s.items[0][0] == "retry" and s.items[0][1] == 3000, s.items[:3]
        # a board comes without any change (the daemon fetches one for the newcomer)
        s.wait(lambda s: s.of("board"), 3, "a first board")
        b0 = s.of("board")[0]
        assert b0.id is None, "a board event must have no id: %r" % b0
        assert [st["waiting"] for st in b0.json["stages"]] == [0, 0, 0, 0], b0

        t = issue(ev, nik=NIK, area=AREA)["ticket"]
        s.wait(lambda s: any(e.json["id"] == t["id"] for e in s.of("ticket")), 3,
               "the issued ticket's event")
        c = call(ev, "registration-2")
        assert c["id"] == t["id"], c
        s.wait(lambda s: len(s.live()) >= 3, 3, "the call and ticket events of the call")
        time.sleep(0.3)
        live = s.live()
        assert [e.type for e in live] == ["ticket", "call", "ticket"], live
        check_ids_increase(live)
        entries = xrange(ev)
        assert [(e.id, e.type) for e in live] == [(i, ty) for i, ty, _ in entries], (live, entries)
        for e in live:
            assert e.last_id == e.id, e
        issued, called_, after = (e.json for e in live)
        assert set(issued) == TICKET_EVENT_KEYS, issued
        assert issued["id"] == t["id"] and issued["code"] == t["code"], issued
        assert issued["state"] == "waiting" and issued["stage"] == "registration", issued
        assert issued["station"] is None and issued["hold_until"] is None, issued
        assert set(called_) == CALL_KEYS, called_
        assert called_ == {"ticket": t["id"], "code": t["code"], "station": "registration-2",
                           "stage": "registration", "station_number": 2, "recall": False,
                           "at": called_["at"]}, called_
        assert set(after) == TICKET_EVENT_KEYS, after
        assert after["state"] == "called" and after["station"] == "registration-2", after
        assert to_ms(issued["at"]) <= to_ms(called_["at"]) == to_ms(after["at"]), \
            (issued, called_, after)
        assert abs(to_ms(called_["at"]) - time.time() * 1000) < 60000, called_
        check_no_personal_data(s)

        # the board and its deltas: none with an id, and the board a client
        # keeps from them matches GET /board once quiet
        time.sleep(0.6)
        want = get_board(ev)
        s.wait(lambda s: without_at(kept(s.snapshot())) == without_at(want), 2,
               "the board kept from board and delta events equal to GET /board (%r)" % want)
        last = kept(s.snapshot())
        assert [x["waiting"] for x in last["stages"]] == [x["waiting"] for x in want["stages"]]
        assert last["calls"][0]["ticket"] == t["id"], last
        assert len(s.of("board")) == 1 and s.of("delta"), s.events
        for b in s.of("board") + s.of("delta"):
            assert b.id is None, b
            to_ms(b.json["at"])
        # a delta showed the ticket waiting between the issue and the call, or the
        # changes were coalesced into the final one: either way never a wrong count
        for b in s.of("board") + s.of("delta"):
            for st in b.json.get("stages", []):
                assert st["id"] != "registration" or st["waiting"] in (0, 1), b
        assert s.error is None and not s.eof, (s.error, s.eof)

        # an HTTP/1.0 client gets the same stream, not chunked
        assert "transfer-encoding" not in old.headers, old.headers
        assert old.headers["content-type"].startswith("text/event-stream"), old.headers
        assert [(e.id, e.type, e.data) for e in old.live()] == \
            [(e.id, e.type, e.data) for e in live], old.live()
        old.wait(lambda s: without_at(kept(s.snapshot())) == without_at(want), 2,
                 "the HTTP/1.0 client's board equal to GET /board")
        assert old.error is None and not old.eof, (old.error, old.items)
    finally:
        s.close()
        old.close()


# ---- 2. two daemons on one Redis ------------------------------------------------

def test_two_daemons_one_redis():
    ev = "multi"
    b = Antred(redis.url, events=EVENTS, extra=["sse-heartbeat 1"])
    sa = sb = None
    try:
        b.wait_redis_up()
        sb = subscribe(b, ev).wait_started()
        sa = subscribe(d, ev).wait_started()
        t = issue(ev)["ticket"]
        for s in (sa, sb):
            s.wait(lambda s: s.of("ticket"), 2, "the ticket event")
        time.sleep(0.1)
        c = call(ev, "registration-1", daemon=d)
        t_done = time.monotonic()
        for s in (sb, sa):
            s.wait(lambda s: s.of("call"), max(0.05, t_done + 1.0 - time.monotonic()),
                   "the call made through daemon A, within 1 s")
        for s in (sa, sb):
            ce = s.of("call")[0]
            assert ce.json["ticket"] == t["id"] == c["id"], ce
        # both saw the same entries with the same ids
        for s in (sa, sb):
            s.wait(lambda s: len(s.live()) >= 3, 2, "the ticket event of the call")
        assert [(e.id, e.type) for e in sa.live()] == [(e.id, e.type) for e in sb.live()]
        # and the other way: a call through B reaches A's display
        t2 = issue(ev, daemon=b)["ticket"]
        call(ev, "registration-2", daemon=b)
        t_done = time.monotonic()
        sa.wait(lambda s: len(s.of("call")) >= 2, max(0.05, t_done + 1.0 - time.monotonic()),
                "a call through B on A's display")
        assert sa.of("call")[1].json["ticket"] == t2["id"], sa.of("call")
        time.sleep(0.3)
        assert [(e.id, e.type) for e in sa.live()] == [(e.id, e.type) for e in sb.live()]
        assert [(e.id, e.type) for e in sa.live()] == [(i, ty) for i, ty, _ in xrange(ev)]
        check_ids_increase(sa.live())
    finally:
        for s in (sa, sb):
            if s:
                s.close()
        stop_clean(b)


# ---- 3. reconnecting with Last-Event-ID -------------------------------------------

def test_reconnect_with_last_event_id_replays_the_gap_then_goes_live():
    ev = "replay"
    s = subscribe(d, ev).wait_started()
    try:
        issue(ev)
        issue(ev)
        call(ev, "registration-1")
        s.wait(lambda s: len(s.live()) >= 4, 3, "four events")
        time.sleep(0.2)
        seen = s.live()
        last = seen[-1].id
    finally:
        s.close()
    assert len(seen) == 4, seen

    # 10 changes while away: 6 issues, 2 calls (2 entries each)
    for _ in range(6):
        issue(ev)
    act(ev, "registration-1", "start")
    act(ev, "registration-1", "complete", {"outcome": "done"})   # a ticket event
    call(ev, "registration-1")
    call(ev, "registration-2")
    missed = [e for e in xrange(ev) if sid(e[0]) > sid(last)]
    assert len(missed) == 6 + 1 + 1 + 2 + 2, missed
    assert len(missed) >= 10

    r = subscribe(d, ev, last_id=last).wait_started()
    q = None
    try:
        r.wait(lambda s: len(s.live()) >= len(missed), 3, "the replay")
        r.wait(lambda s: s.of("board"), 2, "a fresh board after the replay")
        time.sleep(0.3)
        got = r.live()
        assert [(e.id, e.type) for e in got] == [(i, ty) for i, ty, _ in missed], (got, missed)
        check_ids_increase(got)
        for e, (_, ty, data) in zip(got, missed):
            key = "ticket" if ty == "call" else "id"
            assert e.json[key] == data[key], (e, data)
            assert e.json["code"] == data["code"], (e, data)
        # the board comes after the replayed entries
        kinds = [x[1].type for x in r.items if x[0] == "event"]
        assert kinds.index("board") >= len(missed), kinds

        # the same with ?last_event_id= (for clients that cannot set headers)
        q = subscribe(d, ev, query="?last_event_id=" + last).wait_started()
        q.wait(lambda s: len(s.live()) >= len(missed), 3, "the replay by query")
        time.sleep(0.2)
        assert [(e.id, e.type) for e in q.live()] == [(i, ty) for i, ty, _ in missed]

        # then live: a new call arrives once, not twice
        act(ev, "registration-2", "skip")
        c = call(ev, "registration-2")
        for x in (r, q):
            x.wait(lambda s: len(s.live()) >= len(missed) + 3, 3, "the new call live")
        time.sleep(0.5)
        for x in (r, q):
            new = x.live()[len(missed):]
            assert [e.type for e in new] == ["ticket", "call", "ticket"], new
            assert new[1].json["ticket"] == c["id"], new
            check_ids_increase(x.live())
        assert [e.id for e in r.live()] == [i for i, _, _ in xrange(ev) if sid(i) > sid(last)]
        assert r.error is None and not r.eof
    finally:
        r.close()
        if q:
            q.close()

    # an id that is not a stream id: a fresh subscription, no replay
    for bad in ("garbage", "12", "1-2-3", "-1-0"):
        g = subscribe(d, ev, last_id=bad).wait_started()
        try:
            g.wait(lambda s: s.of("board"), 3, "a board for Last-Event-ID %r" % bad)
            time.sleep(0.2)
            assert g.live() == [], (bad, g.live())
        finally:
            g.close()


# ---- 4. a slow subscriber is cut off -----------------------------------------------

def test_slow_subscriber_is_cut_off_and_others_get_everything():
    ev = "slow"
    sd = Antred(redis.url, events=EVENTS, extra=["sse-max-buffer 4096"])
    slow = fast = None
    try:
        sd.wait_redis_up()
        fast = subscribe(sd, ev).wait_started()
        fast.wait(lambda s: s.of("board"), 3, "a board (the stream is live)")
        # never reads, never closes; small buffers on both sides (see Stream)
        slow = subscribe(sd, ev, read=False, rcvbuf=4096, maxseg=536)
        time.sleep(0.3)
        # 400 tickets (about 80 KB of events) usually overflow the kernel's
        # buffers and 4 KiB; the daemon's send buffer autotunes, so more
        # follow in batches, up to 2000, until the cut shows in its log
        tickets = issue_many(ev, 400, threads=8, daemon=sd)
        deadline = time.monotonic() + 12
        while True:
            n = len(tickets)
            fast.wait(lambda s: len(s.of("ticket")) >= n, 10,
                      "all %d ticket events on the normal reader" % n)
            try:
                wait_until(lambda: "cutting off a slow subscriber" in sd.logtext(), timeout=1,
                           what="the daemon to cut the slow subscriber off")
                break
            except AssertionError:
                if n >= 2000 or time.monotonic() > deadline:
                    raise
            tickets += issue_many(ev, 200, threads=8, daemon=sd)
        time.sleep(0.3)
        ids = {t["id"] for t in tickets}
        got = [e.json["id"] for e in fast.of("ticket")]
        assert len(got) == n and set(got) == ids, (len(got), len(set(got)))
        check_ids_increase(fast.live())
        assert fast.error is None and not fast.eof, (fast.error, fast.eof)
        assert sd.logtext().count("cutting off a slow subscriber") == 1, \
            "more than the slow subscriber was cut off"
        # the slow one's socket ends (EOF or reset) once read, short of the whole
        data, how = slow.drain(10)
        assert how in ("eof", "reset"), "the slow subscriber was never closed (%d bytes)" % len(data)
        slow_ids = set(re.findall(r'"id":"([^"]+)","code"', data.decode("utf-8", "replace")))
        assert len(slow_ids) < n, "the slow subscriber got everything: it was not cut"
        # the daemon goes on: the reader still gets news
        call(ev, "registration-1", daemon=sd)
        fast.wait(lambda s: s.of("call"), 3, "a call after the cut")
        assert sd.proc.poll() is None
    finally:
        for s in (slow, fast):
            if s:
                s.close()
        stop_clean(sd)


# ---- 4b. catching up more than sse-max-buffer ---------------------------------------

def test_catch_up_larger_than_sse_max_buffer():
    """A display cut off (or away a while) comes back with Last-Event-ID and
    must catch up, however long the gap (the stream keeps 10,000)."""
    # Catch-up is paced by the subscriber's backlog (sse.c sub_on_range):
    # once sse-max-buffer is queued it waits for the client to read, so a
    # gap of any size comes through (it once cut the subscriber instead).
    ev = "gap"
    gd = Antred(redis.url, events=[event(ev)], extra=["sse-max-buffer 4096"])
    subs = []
    try:
        gd.wait_redis_up()
        issue_many(ev, 600, threads=8, daemon=gd)
        entries = xrange(ev)
        assert len(entries) == 600, len(entries)
        # sse-max-buffer 4096: 60 missed entries, about 12 KB
        a = subscribe(gd, ev, last_id=entries[539][0]).wait_started(still_open=False)
        subs.append(a)
        # the default 64 KiB: all 600 from the start, about 120 KB, two batches
        b = subscribe(d, "gap2").wait_started()
        subs.append(b)
        issue_many("gap2", 600, threads=8)
        b.wait(lambda s: len(s.of("ticket")) >= 600, 10, "600 live ticket events")
        whole = subscribe(d, "gap2", last_id="0-0").wait_started(still_open=False)
        subs.append(whole)
        a.wait(lambda s: len(s.live()) >= 60 or s.eof, 5, "the catch-up of 60 entries")
        whole.wait(lambda s: len(s.live()) >= 600 or s.eof, 10, "the replay of 600 entries")
        cut = gd.logtext().count("cutting off") + d.logtext().count("cutting off")
        assert not a.eof and not whole.eof, \
            "cut off while catching up: %d of 60 and %d of 600 received; %d cut(s) logged" \
            % (len(a.live()), len(whole.live()), cut)
        assert [e.id for e in a.live()] == [i for i, _, _ in entries[540:]]
        assert [e.id for e in whole.live()] == [e.id for e in b.live()] == \
            [i for i, _, _ in xrange("gap2")]
    finally:
        for x in subs:
            x.close()
        stop_clean(gd)


def test_a_backlog_read_at_once_does_not_cut_a_reader_that_keeps_up():
    """A daemon that stalled a moment (here SIGSTOP) reads the changes made
    meanwhile through another daemon in one XREAD (up to 500): its readers,
    who read everything promptly, must get them all, not be cut off."""
    # A subscriber is "behind" only by what it left unread before a fan-out
    # round (sse.c sub_send), not by a burst read from Redis at once.
    ev = "stall"
    b = Antred(redis.url, events=EVENTS)
    s = None
    stopped = False
    try:
        b.wait_redis_up()
        s = subscribe(b, ev).wait_started()
        s.wait(lambda s: s.of("board"), 3, "a board (the stream is live)")
        b.send_signal(signal.SIGSTOP)
        stopped = True
        tickets = issue_many(ev, 600, threads=8)
        b.send_signal(signal.SIGCONT)
        stopped = False
        s.wait(lambda s: len(s.of("ticket")) >= 600 or s.eof, 10, "600 ticket events")
        assert not s.eof, "a reader that keeps up was cut off after %d of 600 events (%s)" % (
            len(s.of("ticket")), "logged" if "cutting off" in b.logtext() else "not logged")
        assert {e.json["id"] for e in s.of("ticket")} == {t["id"] for t in tickets}
        check_ids_increase(s.live())
    finally:
        if stopped:
            b.send_signal(signal.SIGCONT)
        if s:
            s.close()
        stop_clean(b)


# ---- 5. board changes are coalesced -------------------------------------------------

def test_board_deltas_are_coalesced_under_a_burst():
    ev = "coal"
    s = subscribe(d, ev).wait_started()
    try:
        s.wait(lambda s: s.of("board"), 3, "a first board")
        n = 1000
        t0 = time.monotonic()
        tickets = issue_many(ev, n, threads=16)
        t_issued = time.monotonic()
        s.wait(lambda s: len(s.of("ticket")) >= n, 15, "all %d ticket events" % n)
        # the board kept from the deltas shows the final count (coalescing
        # loses no final state)
        s.wait(lambda s: kept(s.snapshot())["stages"][0]["waiting"] == n, 3,
               "a delta with all %d waiting" % n)
        t_end = time.monotonic() + 0.5
        time.sleep(0.5)
        got = [e.json["id"] for e in s.of("ticket")]
        assert len(got) == n and set(got) == {t["id"] for t in tickets}, (len(got), len(set(got)))
        check_ids_increase(s.live())
        changes = [e for e in s.of("board") + s.of("delta") if e.t >= t0]
        changes.sort(key=lambda e: e.t)
        elapsed = t_end - t0
        assert 1 <= len(changes) <= 5 * elapsed + 2, \
            "%d board and delta events in %.2f s (issuing took %.2f s)" % (
                len(changes), elapsed, t_issued - t0)
        assert len(s.of("board")) == 1, "a whole board came again before sse-board-every"
        gaps = [b.t - a.t for a, b in zip(changes, changes[1:])]
        assert not gaps or min(gaps) > 0.15, "deltas %.3f s apart" % min(gaps)
        waiting = [st["waiting"] for e in changes for st in e.json.get("stages", [])
                   if st["id"] == "registration"]
        assert waiting == sorted(waiting), waiting
        assert s.error is None and not s.eof
    finally:
        s.close()


# ---- 6. heartbeats ------------------------------------------------------------------

def test_heartbeat_comments_on_an_idle_stream():
    s = subscribe(d, "beat").wait_started()
    try:
        # how often, said in the head (the web pages tell a stall by it)
        assert s.headers["x-antre-heartbeat"] == "1", s.headers
        time.sleep(3.6)
        pings = [(c, t) for c, t in s.comments]
        assert all(c == " ping" for c, _ in pings), pings
        assert 3 <= len(pings) <= 5, pings
        times = [t for _, t in pings]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(0.6 <= g <= 1.5 for g in gaps), gaps
        assert times[0] - s.head_at <= 1.5, times[0] - s.head_at
        assert s.live() == [], s.live()
    finally:
        s.close()


# ---- 7. one ticket's stream ------------------------------------------------------------

def ticket_stream(ev, ref, sig=None, token=None, last_id=None):
    path = "/v1/events/%s/tickets/%s/stream" % (ev, ref)
    if sig is not None:
        path += "?sig=" + sig
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if last_id:
        headers["Last-Event-ID"] = last_id
    return Stream(d.port, path, headers=headers)


def test_ticket_stream_follows_one_ticket():
    ev = "mine"
    first = issue(ev)["ticket"]
    b = issue(ev, nik=NIK, area=AREA)
    mine = b["ticket"]
    sig = b["status_url"].split("?sig=")[1]
    other = issue(ev)["ticket"]
    s = ticket_stream(ev, mine["id"], sig=sig).wait_started()
    streams = [s]
    try:
        assert s.headers["content-type"].startswith("text/event-stream"), s.headers
        s.wait(lambda s: s.of("ticket"), 3, "the first view")
        v = s.of("ticket")[0]
        assert v.id is None, v
        assert "area" not in v.json and "priority" not in v.json and "visits" not in v.json, v
        assert set(v.json) == VIEW_KEYS, v.json
        assert v.json["id"] == mine["id"] and v.json["code"] == mine["code"], v
        assert v.json["state"] == "waiting" and v.json["stage"] == "registration", v
        assert v.json["position"] == 1 and v.json["station"] is None, v
        st, _, pub = d.get("/v1/events/%s/tickets/%s?sig=%s" % (ev, mine["id"], sig))
        assert st == 200 and pub["ticket"] == v.json, (pub, v.json)

        # the one ahead is called: position 0 within about 2 s
        call(ev, "registration-1")
        t_call = time.monotonic()
        s.wait(lambda s: any(e.json["position"] == 0 for e in s.of("ticket")), 2.5,
               "a view with position 0")
        v0 = [e for e in s.of("ticket") if e.json["position"] == 0][0]
        assert v0.t - t_call <= 2.0, v0.t - t_call
        assert s.of("call") == [], "another ticket's call on this stream: %r" % s.of("call")

        # this one is called
        c = call(ev, "registration-2")
        assert c["id"] == mine["id"], c
        s.wait(lambda s: s.of("call") and any(e.json["state"] == "called" for e in s.of("ticket")),
               3, "its call and a called view")
        ce = s.of("call")[0]
        assert ce.json["ticket"] == mine["id"] and ce.json["station"] == "registration-2", ce
        assert ce.id is not None and STREAM_ID.match(ce.id), ce
        called = [e for e in s.of("ticket") if e.json["state"] == "called"][0]
        assert called.json["station"] == "registration-2" and called.json["position"] is None, called

        # other tickets' changes never show
        act(ev, "registration-1", "start")
        act(ev, "registration-1", "complete", {"outcome": "done"})
        assert call(ev, "registration-1")["id"] == other["id"]
        time.sleep(1.5)
        assert s.events[0].type == "start", s.events[:1]
        for e in s.events[1:]:
            key = "ticket" if e.type == "call" else "id"
            assert e.type in ("ticket", "call") and e.json[key] == mine["id"], e
        assert len(s.of("call")) == 1, s.of("call")
        views = s.of("ticket")
        gaps = [b.t - a.t for a, b in zip(views, views[1:])]
        assert all(g >= 0.7 for g in gaps), "views more often than once a second: %r" % gaps
        check_no_personal_data(s)

        # a reconnect with Last-Event-ID replays its own missed calls only
        r = ticket_stream(ev, mine["id"], sig=sig, last_id="0-0").wait_started()
        streams.append(r)
        r.wait(lambda s: s.of("call") and s.of("ticket"), 3, "the replayed call and a view")
        time.sleep(0.3)
        assert [e.json["ticket"] for e in r.of("call")] == [mine["id"]], r.of("call")
        assert r.of("call")[0].id == ce.id, (r.of("call"), ce)

        # a station token and today's code work too, following the canonical id
        k = ticket_stream(ev, mine["code"], token=TOKENS["station"]).wait_started()
        streams.append(k)
        k.wait(lambda s: s.of("ticket"), 3, "a view by code with a token")
        assert k.of("ticket")[0].json["id"] == mine["id"], k.of("ticket")
    finally:
        for x in streams:
            x.close()

    # bad signatures: 403 JSON before any stream
    bad = ("A" if sig[0] != "A" else "B") + sig[1:]
    for ref, sg in ((mine["id"], bad), (mine["id"], sig[:-2]), (other["id"], sig),
                    (mine["id"][:-3] + "999", sig),
                    ("20200101-A001", "".join(random.choice(string.ascii_letters)
                                              for _ in range(16)))):
        x = ticket_stream(ev, ref, sig=sg)
        try:
            body = x.json()
            assert x.status == 403, (ref, sg, x.status, body)
            assert x.headers["content-type"].startswith("application/json"), x.headers
            assert body["error"]["code"] == "invalid_signature", body
            assert x.events == [], x.events
        finally:
            x.close()
    # no signature and no token; an empty one; a token and no such ticket;
    # no such event
    for path, headers, status, code in (
            ("/v1/events/mine/tickets/%s/stream" % mine["id"], None, 401, "unauthorized"),
            ("/v1/events/mine/tickets/%s/stream?sig=" % mine["id"], None, 403, "invalid_signature"),
            ("/v1/events/mine/tickets/20200101-Z999/stream",
             {"Authorization": "Bearer " + TOKENS["desk"]}, 404, "ticket_not_found"),
            ("/v1/events/nope/tickets/%s/stream?sig=%s" % (mine["id"], sig), None, 404,
             "unknown_event"),
            ("/v1/events/nope/stream", None, 404, "unknown_event")):
        x = Stream(d.port, path, headers=headers)
        try:
            body = x.json()
            assert x.status == status and body["error"]["code"] == code, (path, x.status, body)
        finally:
            x.close()


# ---- 8. Redis restarts under a subscriber ------------------------------------------------

def test_redis_restart_under_a_subscriber():
    r8 = Redis()
    d8 = Antred(r8.url, events=[event("rr")], extra=["sse-heartbeat 1"])
    subs = []
    try:
        d8.wait_redis_up()
        s = subscribe(d8, "rr").wait_started()
        subs.append(s)
        issue("rr", daemon=d8)
        call("rr", "registration-1", daemon=d8)
        s.wait(lambda s: s.of("call"), 3, "a call before the restart")
        s.wait(lambda s: len(s.live()) >= 3, 2, "three events")
        before = s.live()
        first_id = before[0].id

        r8.kill()
        wait_until(lambda: d8.get("/healthz")[0] == 503, timeout=5, what="healthz 503")
        # newcomers while Redis is away: a fresh one, and one catching up
        fresh = subscribe(d8, "rr").wait_started()
        subs.append(fresh)
        catching = subscribe(d8, "rr", last_id=first_id).wait_started()
        subs.append(catching)
        time.sleep(0.3)
        r8.start()
        d8.wait_redis_up()

        t = issue("rr", daemon=d8)["ticket"]
        c = call("rr", "registration-2", daemon=d8)
        assert c["id"] == t["id"], c
        if s.eof:
            # cut while Redis was away: come back with the last id
            print("note: the display stream was closed when Redis went away")
            s = subscribe(d8, "rr", last_id=before[-1].id).wait_started()
            subs.append(s)
        else:
            print("note: the display stream stayed connected over the Redis restart")
        for x in (s, fresh, catching):
            x.wait(lambda x: any(e.json["ticket"] == c["id"] for e in x.of("call")), 6,
                   "the call after the restart")
        time.sleep(0.3)
        entries = xrange("rr", r=r8)
        # still connected: it has every entry; reconnected: the two halves do
        seen = [e.id for e in subs[0].live()] + \
            ([e.id for e in s.live()] if s is not subs[0] else [])
        assert seen == [i for i, _, _ in entries], seen
        assert [e.id for e in catching.live()] == [i for i, _, _ in entries if sid(i) > sid(first_id)]
        new_calls = [e for e in fresh.of("call")]
        assert [e.json["ticket"] for e in new_calls] == [c["id"]], new_calls
        for x in subs:
            check_ids_increase(x.live())
        assert d8.proc.poll() is None, "antred died"
    finally:
        for x in subs:
            x.close()
        try:
            stop_clean(d8)
        finally:
            r8.stop()


# ---- 9. streams count against max-connections ----------------------------------------------

def test_streams_count_against_max_connections():
    # no staff reserve: the bound alone (test_hostile tests the reserve)
    bd = Antred(redis.url, events=EVENTS, extra=["max-connections 5", "staff-reserve-connections 0"])
    subs = []
    sixth = None
    try:
        bd.wait_redis_up()
        time.sleep(0.2)
        for _ in range(5):
            subs.append(subscribe(bd, "bound").wait_started())
        sixth = subscribe(bd, "bound")
        time.sleep(0.5)
        assert sixth.status is None and not sixth.retries, \
            "a sixth connection was served beyond max-connections 5"
        t_close = time.monotonic()
        subs[0].close()
        sixth.wait(lambda s: s.retries or s.eof, 3, "the sixth to be served once one closed")
        assert sixth.status == 200, (sixth.status, sixth.body)
        print("note: the sixth was served %.2f s after a stream closed" %
              (sixth.head_at - t_close))
    finally:
        for x in subs + ([sixth] if sixth else []):
            x.close()
        stop_clean(bd)


# ---- 10. organisers' figures on the stream -------------------------------------------

def test_organisers_get_stats_events_and_others_do_not():
    """A display stream opened with an organiser token (?token=, since
    EventSource sends no headers) also gets `stats`: at once, then again
    after changes, at most every 5 s; a public one never does."""
    from harness import TOKENS
    ev = "orgs"
    org = subscribe(d, ev, query="?token=" + TOKENS["organiser"])
    pub = subscribe(d, ev)
    desk = subscribe(d, ev, query="?token=" + TOKENS["desk"])
    try:
        for s in (org, pub, desk):
            s.wait_started()
        org.wait(lambda s: s.of("stats"), timeout=5, what="the first stats")
        figures = json.loads(org.of("stats")[0].data)
        assert figures["event"] == ev and figures["today"]["issued"] == 0, figures
        issue(ev)
        call(ev, "registration-1")
        def after_call(s):
            return [e for e in s.of("stats") if json.loads(e.data)["stages"][0]["calls"] == 1]
        try:
            org.wait(after_call, timeout=8, what="stats after the call")
        except AssertionError:
            print([(round(e.t, 2), e.type, e.data[:80]) for e in org.snapshot()])
            raise
        assert json.loads(after_call(org)[0].data)["today"]["issued"] == 1
        stats = org.of("stats")
        gaps = [b.t - a.t for a, b in zip(stats, stats[1:])]
        # the first figures and those after the call at least: all() over no
        # gap at all would pass whatever the spacing
        assert len(gaps) >= 1, stats
        assert all(g >= 4.5 for g in gaps), gaps
        # the others had the call, and no stats
        pub.wait(lambda s: s.of("call"), timeout=3, what="the call on the public stream")
        assert not pub.of("stats") and not desk.of("stats")
    finally:
        for s in (org, pub, desk):
            s.close()
