"""A report of a big day never holds Redis: report.csv and report.json of
50,000 tickets are read while a desk keeps issuing, and no issue fails or
waits; Redis's SLOWLOG (threshold 20 ms) shows no script; the report has
every ticket once.  Then clients that stop reading: at most two reports are
built at a time (the third is told to come back), and a stalled one is cut
off after http-timeout, freeing its place."""

import csv
import datetime
import http.client
import io
import json
import socket
import threading
import time

from harness import (ANTRED, ANTRED_TEST, PINNED_MS, Antred, Redis, TOKENS, assert_error,
                     pin_clocks, wait_until)

redis = None
d = None
N = 50000
FILL_STEP = 5000
WIB = datetime.timezone(datetime.timedelta(hours=7))    # the demo event's zone
# loose bounds: a sanitizer build is several times slower on a loaded machine
SLOW = 3 if "/san/" in ANTRED else 1

# N tickets of service dose2 (prefix B) as issue.lua stores them, numbered
# from ARGV[2], on day ARGV[3].
FILL = """
local P, n, first, day, t0 = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3],
	tonumber(ARGV[4])
for i = first, first + n - 1 do
	local code = string.format('B-%03d', i)
	local id = day .. '-B' .. string.format('%03d', i)
	local q = t0 + i
	local visits = string.format('[{"stage":"registration","station":"registration-1",' ..
		'"queued_at":%d,"called_at":%d,"completed_at":%d,"outcome":"done"},' ..
		'{"stage":"screening","queued_at":%d}]', q, q + 60000, q + 120000, q + 120000)
	redis.call('HSET', P .. 't:' .. id, 'id', id, 'code', code, 'service', 'dose2',
		'priority', 'regular', 'prio', 2, 'area', 'RT ' .. (i % 50), 'issued_at', q,
		'person', '', 'day', day, 'state', 'waiting', 'stage', 'screening',
		'station', '', 'hold_until', 0, 'recalls', 0, 'visits', visits)
	redis.call('HSET', P .. 'codes:' .. day, code, id)
end
redis.call('SET', P .. 'num:' .. day .. ':dose2', first + n - 1)
return n
"""


def setup_module():
    global redis, d
    redis = Redis()
    # the day filled here is the day the desk issues on and the report
    # reads: the event's clock is pinned
    pin_clocks(redis, ["demo"])
    d = Antred(redis.url, binary=ANTRED_TEST, extra=["http-timeout 3", "test-clock 1"])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def today():
    """The event's day, by the clock its scripts read."""
    return datetime.datetime.fromtimestamp(PINNED_MS / 1000, WIB).strftime("%Y%m%d")


def test_fill():
    day = today()
    t0 = PINNED_MS - 3600 * 1000
    for first in range(1, N + 1, FILL_STEP):
        assert redis.cli("EVAL", FILL, 1, "antre:{demo}:", FILL_STEP, first, day, t0) == \
            str(FILL_STEP)
    assert redis.cli("HLEN", "antre:{demo}:codes:" + day) == str(N)
    redis.cli("CONFIG", "SET", "slowlog-log-slower-than", "20000")
    redis.cli("SLOWLOG", "RESET")


def issuer(stop, results):
    """Issues tickets one after another until told to stop (bounded)."""
    deadline = time.monotonic() + 90
    while not stop.is_set() and time.monotonic() < deadline and len(results) < 5000:
        t = time.monotonic()
        try:
            st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk",
                                 timeout=10)
        except Exception as e:          # noqa: BLE001 - recorded as a failure
            st, body = None, repr(e)
        results.append((st, time.monotonic() - t, body))


def check_codes(codes):
    b = [c for c in codes if c.startswith("B-")]
    assert len(b) == N, (len(b), N)
    assert len(set(codes)) == len(codes), "a ticket twice"
    assert set(b) == {"B-%03d" % i for i in range(1, N + 1)}
    # in order of issue: the filled tickets were issued 1 ms apart
    assert b == ["B-%03d" % i for i in range(1, N + 1)]


def fetch_raw(path):
    """status, headers, body bytes: parsed later, so that parsing 50,000
    rows (holding Python's GIL) does not stall the issuing thread."""
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=120)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + TOKENS["organiser"]})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_reports_while_issuing():
    stop, results = threading.Event(), []
    th = threading.Thread(target=issuer, args=(stop, results))
    th.start()
    try:
        time.sleep(0.3)
        t = time.monotonic()
        st, h, body = fetch_raw("/v1/events/demo/report.csv")
        csv_s = time.monotonic() - t
        t = time.monotonic()
        jst, _, jbody = fetch_raw("/v1/events/demo/report.json")
        json_s = time.monotonic() - t
        time.sleep(0.3)
    finally:
        stop.set()
        th.join()
    assert st == 200, body[:300]
    assert h["content-type"].startswith("text/csv"), h
    assert jst == 200, jbody[:300]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    js = json.loads(jbody)
    check_codes([r["code"] for r in rows])
    check_codes([t["code"] for t in js["tickets"]])
    assert js["totals"]["issued"] == len(js["tickets"]), js["totals"]
    assert js["totals"]["open"] == len(js["tickets"]), js["totals"]
    failed = [r for r in results if r[0] != 201]
    assert not failed, failed[:5]
    slow = max(r[1] for r in results)
    assert len(results) >= 10, len(results)
    assert slow < 1.0 * SLOW, "an issue took %.3f s during the report" % slow
    print("     %d tickets: csv %.2f s, json %.2f s; %d issues meanwhile, slowest %.0f ms"
          % (N, csv_s, json_s, len(results), slow * 1000))
    # SLOWLOG (20 ms threshold): one script over the whole day took 1.3 s
    # on a quiet machine.  A page takes a few ms, but on a loaded machine
    # (2 cores, many processes) Redis is preempted mid-script (311 ms seen),
    # so the check is only that no script comes near a whole-day read;
    # what passed 20 ms is printed, and make bench has the exact figures.
    lines = redis.cli("SLOWLOG", "GET", "1000").split("\n")
    took = [int(lines[i + 2]) for i in range(len(lines) - 3)
            if lines[i + 3] in ("FCALL", "EVALSHA", "EVAL") and lines[i + 2].isdigit()
            and lines[i + 1].isdigit() and lines[i].isdigit()]
    print("     SLOWLOG: %d scripts over 20 ms, longest %.1f ms"
          % (len(took), max(took, default=0) / 1000))
    assert max(took, default=0) < 1000000, took


def stalled_report(fmt):
    """A report request whose client then reads nothing."""
    s = socket.create_connection(("127.0.0.1", d.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(("GET /v1/events/demo/report.%s HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\n\r\n" % (fmt, TOKENS["organiser"])).encode())
    return s


def test_stalled_clients_are_bounded_and_cut_off():
    a, b = stalled_report("json"), stalled_report("json")
    try:
        time.sleep(1.0)
        # both are being built or sent: a third waits its turn
        st, h, body = d.get("/v1/events/demo/report.csv", role="organiser")
        assert_error((st, h, body), 503, "report_busy")
        assert h.get("retry-after") == "5", h
        # the desks are not disturbed
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
        assert st == 201, body
        # http-timeout (3 s) without a byte taken: antred lets them go
        wait_until(lambda: d.get("/v1/events/demo/report.csv", role="organiser",
                                 timeout=60)[0] == 200, timeout=30 * SLOW, step=0.5,
                   what="a report after the stalled ones were cut off")
    finally:
        a.close()
        b.close()
    assert "panic" not in d.logtext()
