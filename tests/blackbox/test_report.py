"""The day's report: GET /v1/events/{ev}/report.csv and report.json.

antred-test with the test clock, so that every time in the report is
known: a day of eight tickets is played through the stations at set times
(done, deferred, refused, cancelled, transferred back, skipped, still
waiting, still serving), then the CSV is checked byte for byte for some
rows and field by field for all, the JSON likewise, with the totals; then
other days, bad dates, roles, and that nothing personal leaves Redis."""

import copy
import csv
import datetime
import io
import json
import time

from harness import ANTRED_TEST, DEMO_EVENT, TOKENS, Antred, Redis, assert_error, wait_until

redis = None
d = None

WIB = datetime.timezone(datetime.timedelta(hours=7))
NIK_YOUNG = "3171021505000003"       # 317102, 15 May 2000
NIK_OLD_MAN = "3273011507550001"     # 327301, 15 July 1955: elderly
AREA_COMMA = "RT 01, Sukamaju"
AREA_QUOTE = 'Desa "Maju" Jaya'

STAGES = ["registration", "screening", "vaccination", "observation"]
HEADER = (["code", "service", "priority", "area", "issued_at"] +
          ["%s_%s_at" % (s, w) for s in STAGES for w in ("called", "completed")] +
          ["outcome", "wait_s", "service_s"])


def event(eid):
    ev = copy.deepcopy(DEMO_EVENT)     # observation holds 30 minutes
    ev["id"] = eid
    return ev


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=[event("rep"), event("later"), event("big")],
               binary=ANTRED_TEST, extra=["test-clock 1"])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- helpers ----------------------------------------------------------------

def at(hh, mm, ss=0, msec=0, day=23):
    """Epoch ms of an event-local time in November 2026."""
    dt = datetime.datetime(2026, 11, day, hh, mm, ss, msec * 1000, tzinfo=WIB)
    return int(dt.timestamp()) * 1000 + msec


def clock(ev, ms):
    redis.cli("SET", "antre:{%s}:test:clock" % ev, ms)


def rfc(hh, mm, ss=0, msec=0, day=23):
    s = "2026-11-%02dT%02d:%02d:%02d" % (day, hh, mm, ss)
    return s + (".%03d" % msec if msec else "") + "+07:00"


def issue(ev, **body):
    st, _, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def station(ev, sid, op, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, sid, op), body, role="station")
    assert st == 200 and b["ticket"], (sid, op, st, b)
    return b["ticket"]


def report(ev, fmt, query="", role="organiser"):
    return d.get("/v1/events/%s/report.%s%s" % (ev, fmt, query), role=role)


def csv_rows(body):
    """The CSV as a list of dicts, after checking its framing."""
    assert isinstance(body, bytes), body
    assert not body.startswith(b"\xef\xbb\xbf"), "no BOM"
    assert body.endswith(b"\r\n"), body[-40:]
    assert b"\n" not in body.replace(b"\r\n", b""), "every line ends CRLF"
    text = body.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert rows[0] == HEADER, rows[0]
    assert all(len(r) == len(HEADER) for r in rows), rows
    return [dict(zip(HEADER, r)) for r in rows[1:]]


# ---- the day ------------------------------------------------------------------
#
# Eight tickets of 23 November 2026 (event-local), in order of issue:
#   A-001 through every stage; its observation wait runs out (the sweep) at 08:45
#   A-002 elderly, deferred at screening; registration called at .500 s
#   A-003 refused at registration
#   A-004 cancelled while waiting
#   B-001 transferred from vaccination back to screening, vaccinated, then in
#         observation until 08:50 (still waiting at the end)
#   A-005 skipped at registration (a no-show)
#   C-001 elderly by its NIK, area from the NIK, never called
#   A-006 being served at registration
# Each step: (time, action, arguments).

PLAN = [
    (at(8, 0), "issue", dict(service="dose1", area=AREA_COMMA, nik=NIK_YOUNG)),
    (at(8, 0, 30), "issue", dict(service="dose1", priority="elderly", area=AREA_QUOTE)),
    (at(8, 1), "issue", dict(service="dose1")),
    (at(8, 1), "call", ("registration-1", "A-001")),
    (at(8, 1, 30), "issue", dict(service="dose1")),
    (at(8, 1, 30), "start", "registration-1"),
    (at(8, 2), "issue", dict(service="dose2")),                                 # B-001
    (at(8, 2, 0, 500), "call", ("registration-2", "A-002")),
    (at(8, 2, 10), "start", "registration-2"),
    (at(8, 3), "issue", dict(service="dose1")),
    (at(8, 3), "complete", ("registration-1", "done")),
    (at(8, 3), "call", ("registration-1", "A-003")),
    (at(8, 3, 20), "start", "registration-1"),
    (at(8, 4), "complete", ("registration-2", "done")),
    (at(8, 4), "call", ("registration-2", "B-001")),
    (at(8, 4, 30), "complete", ("registration-1", "refused")),
    (at(8, 4, 30), "start", "registration-2"),
    (at(8, 5), "complete", ("registration-2", "done")),
    (at(8, 5), "call", ("screening-1", "A-001")),
    (at(8, 5, 10), "start", "screening-1"),
    (at(8, 5, 30), "issue", dict(service="booster", nik=NIK_OLD_MAN)),          # C-001
    (at(8, 6), "issue", dict(service="dose1")),
    (at(8, 6), "call", ("screening-2", "A-002")),
    (at(8, 6, 30), "start", "screening-2"),
    (at(8, 7), "complete", ("screening-1", "done")),
    (at(8, 8), "complete", ("screening-2", "deferred")),
    (at(8, 8), "call", ("screening-1", "B-001")),
    (at(8, 8, 10), "start", "screening-1"),
    (at(8, 9), "complete", ("screening-1", "done")),
    (at(8, 10), "call", ("vaccination-1", "A-001")),
    (at(8, 10, 20), "start", "vaccination-1"),
    (at(8, 12), "complete", ("vaccination-1", "done")),
    (at(8, 13), "call", ("vaccination-1", "B-001")),
    (at(8, 13, 30), "start", "vaccination-1"),
    (at(8, 14), "transfer", ("vaccination-1", "screening")),
    (at(8, 16), "call", ("screening-1", "B-001")),
    (at(8, 16, 20), "start", "screening-1"),
    (at(8, 17), "complete", ("screening-1", "done")),
    (at(8, 18), "call", ("vaccination-1", "B-001")),
    (at(8, 18, 5), "start", "vaccination-1"),
    (at(8, 20), "complete", ("vaccination-1", "done")),
    (at(8, 20), "cancel", "A-004"),
    (at(8, 21), "call", ("registration-1", "A-005")),
    (at(8, 22), "skip", "registration-1"),
    (at(8, 30), "call", ("registration-2", "A-006")),
    (at(8, 30, 30), "start", "registration-2"),
]

E = ""   # not reached


def row(code, service, priority, area, issued, stages, outcome, wait_s, service_s):
    r = {"code": code, "service": service, "priority": priority, "area": area,
         "issued_at": issued, "outcome": outcome, "wait_s": str(wait_s),
         "service_s": str(service_s)}
    for s, (called, completed) in zip(STAGES, stages):
        r[s + "_called_at"], r[s + "_completed_at"] = called, completed
    return r


NONE4 = [(E, E)] * 4
EXPECTED = [
    # wait 60+120+180; service 90+110+100 (observation ran out uncalled)
    row("A-001", "dose1", "regular", AREA_COMMA, rfc(8, 0),
        [(rfc(8, 1), rfc(8, 3)), (rfc(8, 5), rfc(8, 7)), (rfc(8, 10), rfc(8, 12)),
         (E, rfc(8, 45))], "done", 360, 300),
    # wait 90.5+120 rounds to 211; service 110+90
    row("A-002", "dose1", "elderly", AREA_QUOTE, rfc(8, 0, 30),
        [(rfc(8, 2, 0, 500), rfc(8, 4)), (rfc(8, 6), rfc(8, 8)), (E, E), (E, E)],
        "deferred", 211, 200),
    row("A-003", "dose1", "regular", E, rfc(8, 1),
        [(rfc(8, 3), rfc(8, 4, 30))] + [(E, E)] * 3, "refused", 120, 70),
    row("A-004", "dose1", "regular", E, rfc(8, 1, 30), NONE4, "cancelled", 0, 0),
    # the last visit of each stage; wait 120+180+240+120+60, service 30+50+30+40+115
    row("B-001", "dose2", "regular", E, rfc(8, 2),
        [(rfc(8, 4), rfc(8, 5)), (rfc(8, 16), rfc(8, 17)), (rfc(8, 18), rfc(8, 20)), (E, E)],
        "waiting", 720, 265),
    row("A-005", "dose1", "regular", E, rfc(8, 3),
        [(rfc(8, 21), E)] + [(E, E)] * 3, "skipped", 1080, 0),
    row("C-001", "booster", "elderly", "327301", rfc(8, 5, 30), NONE4, "waiting", 0, 0),
    row("A-006", "dose1", "regular", E, rfc(8, 6),
        [(rfc(8, 30), E)] + [(E, E)] * 3, "serving", 1440, 0),
]
TOTALS = {"issued": 8, "done": 1, "deferred": 1, "refused": 1, "cancelled": 1, "expired": 0,
          "open": 4,
          "doses": 2}

CSV_HEAD = (b"code,service,priority,area,issued_at,registration_called_at,"
            b"registration_completed_at,screening_called_at,screening_completed_at,"
            b"vaccination_called_at,vaccination_completed_at,observation_called_at,"
            b"observation_completed_at,outcome,wait_s,service_s\r\n")
CSV_A001 = (b'A-001,dose1,regular,"RT 01, Sukamaju",2026-11-23T08:00:00+07:00,'
            b"2026-11-23T08:01:00+07:00,2026-11-23T08:03:00+07:00,"
            b"2026-11-23T08:05:00+07:00,2026-11-23T08:07:00+07:00,"
            b"2026-11-23T08:10:00+07:00,2026-11-23T08:12:00+07:00,"
            b",2026-11-23T08:45:00+07:00,done,360,300\r\n")
CSV_A002 = (b'A-002,dose1,elderly,"Desa ""Maju"" Jaya",2026-11-23T08:00:30+07:00,'
            b"2026-11-23T08:02:00.500+07:00,2026-11-23T08:04:00+07:00,"
            b"2026-11-23T08:06:00+07:00,2026-11-23T08:08:00+07:00,,,,,deferred,211,200\r\n")
CSV_A004 = b"A-004,dose1,regular,,2026-11-23T08:01:30+07:00,,,,,,,,,cancelled,0,0\r\n"

ids = {}            # code -> id of the day's tickets


def test_play_the_day():
    for ms, op, arg in PLAN:
        clock("rep", ms)
        if op == "issue":
            t = issue("rep", **arg)
            assert t["issued_at"] == datetime.datetime.fromtimestamp(ms / 1000, WIB).isoformat()
            ids[t["code"]] = t["id"]
        elif op == "call":
            t = station("rep", arg[0], "call", {"ticket": arg[1]})
            assert t["code"] == arg[1] and t["state"] == "called", t
        elif op == "complete":
            station("rep", arg[0], "complete", {"outcome": arg[1]})
        elif op == "transfer":
            station("rep", arg[0], "transfer", {"stage": arg[1]})
        elif op == "cancel":
            st, _, b = d.post("/v1/events/rep/tickets/%s/cancel" % arg, role="desk")
            assert st == 200 and b["ticket"]["state"] == "cancelled", (st, b)
        else:
            station("rep", arg, op)
    assert list(ids) == ["A-001", "A-002", "A-003", "A-004", "B-001", "A-005", "C-001", "A-006"]
    # A-001's observation ends at 08:45 (the sweep, once a second); B-001's
    # at 08:50, so it still waits there
    clock("rep", at(8, 45))

    def a001_done():
        st, _, b = d.get("/v1/events/rep/tickets/A-001", role="station")
        return b["ticket"]["state"] == "done"
    wait_until(a001_done, timeout=10, what="the sweep to end A-001's observation")
    st, _, b = d.get("/v1/events/rep/tickets/B-001", role="station")
    assert b["ticket"]["state"] == "waiting" and b["ticket"]["stage"] == "observation", b


def test_csv_today():
    st, h, body = report("rep", "csv")
    assert st == 200, (st, body)
    assert h["content-type"] == "text/csv; charset=utf-8", h
    assert h["content-disposition"] == 'attachment; filename="antre-rep-2026-11-23.csv"', h
    assert h["cache-control"] == "no-store", h
    # byte for byte: the header and some rows (a quoted comma, doubled
    # quotes, milliseconds, empty stages)
    lines = body.split(b"\r\n")
    assert len(lines) == 1 + len(EXPECTED) + 1 and lines[-1] == b"", lines
    assert lines[0] + b"\r\n" == CSV_HEAD, lines[0]
    assert lines[1] + b"\r\n" == CSV_A001, lines[1]
    assert lines[2] + b"\r\n" == CSV_A002, lines[2]
    assert lines[4] + b"\r\n" == CSV_A004, lines[4]
    # and every row, field by field, in order of issue
    rows = csv_rows(body)
    for got, want in zip(rows, EXPECTED):
        assert got == want, "\n%r\n%r" % (got, want)
    assert len(rows) == len(EXPECTED)
    # the same with the date given, and for admin
    assert report("rep", "csv", "?date=2026-11-23")[2] == body
    assert report("rep", "csv", role="admin")[2] == body


def test_json_today():
    st, h, b = report("rep", "json")
    assert st == 200, (st, b)
    assert h["content-type"].startswith("application/json"), h
    assert "content-disposition" not in h, h
    assert set(b) == {"event", "date", "totals", "tickets"}, b
    assert b["event"] == "rep" and b["date"] == "2026-11-23", b
    assert b["totals"] == TOTALS, b["totals"]
    assert len(b["tickets"]) == len(EXPECTED), b
    for got, want in zip(b["tickets"], EXPECTED):
        assert list(got) == HEADER, list(got)     # the CSV's columns, in order
        # empty text and times are null; the seconds numbers
        w = {k: (None if v == "" else v) for k, v in want.items()}
        w["wait_s"], w["service_s"] = int(want["wait_s"]), int(want["service_s"])
        assert got == w, "\n%r\n%r" % (got, w)
    # the board's count agrees on the doses
    st, _, board = d.get("/v1/events/rep/board")
    assert board["doses_today"] == TOTALS["doses"] and board["issued_today"] == TOTALS["issued"]


def test_nothing_personal():
    # the person keys live only in the day's people hash (PROTOCOL.md),
    # never on the ticket
    people = redis.cli("HGETALL", "antre:{rep}:people:20261123").split("\n")
    by_id = dict(zip(people[1::2], people[0::2]))
    person, c001 = by_id[ids["A-001"]], by_id[ids["C-001"]]
    assert len(person) > 16, "issued with a NIK, A-001 has a person key in Redis"
    for code in ("A-001", "C-001"):
        assert redis.cli("HEXISTS", "antre:{rep}:t:%s" % ids[code], "person") == "0"
    for fmt in ("csv", "json"):
        st, _, body = report("rep", fmt)
        text = body.decode() if isinstance(body, bytes) else json.dumps(body)
        for secret in (NIK_YOUNG, NIK_OLD_MAN, person, c001):
            assert secret not in text, (fmt, secret)
        assert "person" not in text and "nik" not in text.lower(), fmt


def test_other_days():
    # no tickets that day: the header alone, and zero totals
    for q, date in (("?date=2026-11-22", "2026-11-22"), ("?date=2026-11-24", "2026-11-24"),
                    ("?date=2024-02-29", "2024-02-29")):
        st, h, body = report("rep", "csv", q)
        assert st == 200 and body == CSV_HEAD, (q, st, body)
        assert h["content-disposition"] == 'attachment; filename="antre-rep-%s.csv"' % date, h
        st, _, b = report("rep", "json", q)
        assert st == 200, b
        assert b == {"event": "rep", "date": date, "tickets": [],
                     "totals": {k: 0 for k in TOTALS}}, b
    # another event whose clock is a day later: its today is the 24th
    clock("later", at(9, 0, day=24))
    t = issue("later", service="dose2", area="RW 2")
    st, h, body = report("later", "csv")
    assert h["content-disposition"] == 'attachment; filename="antre-later-2026-11-24.csv"', h
    assert body == CSV_HEAD + (b"B-001,dose2,regular,RW 2,2026-11-24T09:00:00+07:00,"
                               b",,,,,,,,waiting,0,0\r\n"), body
    st, _, b = report("later", "json")
    assert b["date"] == "2026-11-24" and [x["code"] for x in b["tickets"]] == [t["code"]], b
    assert b["totals"] == dict({k: 0 for k in TOTALS}, issued=1, open=1), b
    assert report("later", "csv", "?date=2026-11-23")[2] == CSV_HEAD


def test_bad_dates():
    for q in ("?date=", "?date=2026-13-01", "?date=2026-02-29", "?date=2026-11-31",
              "?date=2026-00-10", "?date=2026-11-00", "?date=20261123", "?date=2026-1-23",
              "?date=2026-11-23x", "?date=+2026-11-2", "?date=2026/11/23", "?date=1969-12-31",
              "?date=" + "9" * 300, "?date=%202026-11-2"):
        for fmt in ("csv", "json"):
            assert_error(report("rep", fmt, q), 400, "invalid_parameter")
    # other parameters are ignored
    st, _, b = report("rep", "json", "?foo=bar")
    assert st == 200 and b["date"] == "2026-11-23", b


def test_roles_and_paths():
    for fmt in ("csv", "json"):
        path = "/v1/events/rep/report." + fmt
        resp = d.get(path)
        assert_error(resp, 401, "unauthorized")
        assert resp[1].get("www-authenticate") == "Bearer", resp[1]
        assert_error(d.get(path, token="not-a-token"), 401, "unauthorized")
        assert_error(d.get(path, role="desk"), 403, "forbidden")
        assert_error(d.get(path, role="station"), 403, "forbidden")
        for role in ("organiser", "admin"):
            st, _, _ = d.get(path, role=role)
            assert st == 200, (role, st)
        assert_error(d.post(path, {}, role="admin"), 405, "method_not_allowed")
        assert_error(d.get("/v1/events/nosuch/report." + fmt, role="organiser"), 404,
                     "unknown_event")
    for bad in ("report.xml", "report.", "report", "report.csv/x", "reports.csv"):
        assert_error(d.get("/v1/events/rep/" + bad, role="organiser"), 404)


# ---- a large day ------------------------------------------------------------------

BIG = 2000
# Fills the event "big" with BIG tickets of the 23rd as issue.lua stores
# them, each through registration and screening, with a person key.
FILL = """
local P, n, t0 = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, n do
	local code = string.format('A-%03d', i)
	local id = '20261123-A' .. string.format('%03d', i)
	local q = t0 + i * 1000
	local visits = string.format('[{"stage":"registration","station":"registration-1",' ..
		'"queued_at":%d,"called_at":%d,"started_at":%d,"completed_at":%d,"outcome":"done"},' ..
		'{"stage":"screening","queued_at":%d}]', q, q + 60000, q + 61000, q + 120000, q + 120000)
	redis.call('HSET', P .. 't:' .. id, 'id', id, 'code', code, 'service', 'dose1',
		'priority', 'regular', 'prio', 2, 'area', 'RT ' .. (i % 7) .. ', Desa', 'issued_at', q,
		'person', 'secret-person-key-' .. i, 'day', '20261123', 'state', 'waiting',
		'stage', 'screening', 'station', '', 'hold_until', 0, 'recalls', 0, 'visits', visits)
	redis.call('HSET', P .. 'codes:20261123', code, id)
end
return n
"""


def test_large_day():
    t0 = at(7, 0)
    assert redis.cli("EVAL", FILL, 1, "antre:{big}:", BIG, t0) == str(BIG)
    clock("big", at(12, 0))
    started = time.monotonic()
    st, _, body = report("big", "csv")
    csv_s = time.monotonic() - started
    assert st == 200, body
    rows = csv_rows(body)
    assert len(rows) == BIG
    assert [r["code"] for r in rows] == ["A-%03d" % i for i in range(1, BIG + 1)]
    assert rows[0]["area"] == "RT 1, Desa" and rows[0]["wait_s"] == "60", rows[0]
    assert rows[0]["service_s"] == "59" and rows[0]["outcome"] == "waiting", rows[0]
    assert b"secret-person-key" not in body
    started = time.monotonic()
    st, _, b = report("big", "json")
    json_s = time.monotonic() - started
    assert st == 200 and len(b["tickets"]) == BIG and b["totals"]["open"] == BIG, b["totals"]
    print("     %d tickets: csv %.3f s, json %.3f s, %d bytes of CSV" %
          (BIG, csv_s, json_s, len(body)))
    assert csv_s < 5 and json_s < 5, (csv_s, json_s)
