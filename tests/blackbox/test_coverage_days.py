"""Issue 14's "Done when": a synthetic kabupaten (3 kecamatan x 4 desa x 3 RT
with targets) uploaded through PUT /v1/areas, then several simulated days
through the real API on antred-test's test clock: dose 1 for people with
NIKs in chosen RTs (some elderly by their birth date), some recorded on a
desa row, some on the kecamatan their NIK's region names, one without area;
dose 2 after the 28-day interval for some of them; and on each day every
coverage figure, roll-up, due and overdue count of GET /v1/coverage at
every level equals the model (test_coverage.model) of what was done; the
sort, CSV equal to JSON; the per-kecamatan gauges; the elderly list."""

import copy
import csv
import datetime
import io
import json

from harness import ANTRED_TEST, DEMO_EVENT, Antred, Redis, set_test_clock, wib_ms
from test_coverage import COLUMNS, check, model

redis = None
d = None
EV = "kampanye"
KAB = "31.71"
AREAS = []
PEOPLE = []          # (area, nik, doses, elderly, due day or None), as the model wants
DAY1 = (2026, 11, 2)


def epoch_day(y, m, day):
    return (datetime.date(y, m, day) - datetime.date(1970, 1, 1)).days


def table():
    rows = [(KAB, "Kota Uji", "", "kabupaten")]
    for k in range(1, 4):
        kec = "%s.%02d" % (KAB, k)
        rows.append((kec, "Kecamatan %d" % k, KAB, "kecamatan"))
        for s in range(1, 5):
            desa = "%s.%04d" % (kec, 1000 + s)
            rows.append((desa, "Desa %d-%d" % (k, s), kec, "desa"))
            for r in range(1, 4):
                rows.append(("%s.%03d" % (desa, r), "RT %03d" % r, desa, "rt"))
    out = []
    for i, (code, name, parent, level) in enumerate(rows):
        out.append({"code": code, "name": name, "parent": parent, "level": level,
                    "target": {"rt": 20 + i % 9, "desa": 90, "kecamatan": 400,
                               "kabupaten": 1200}[level],
                    "elderly_target": {"rt": 4 + i % 3, "desa": 18, "kecamatan": 80,
                                       "kabupaten": 240}[level]})
    return out


def event():
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = EV
    ev["services"] = [
        {"id": "dose1", "prefix": "A", "name": "Dosis 1", "dose": 1, "next_dose_after_days": 28},
        {"id": "dose2", "prefix": "B", "name": "Dosis 2", "dose": 2},
    ]
    return ev


def setup_module():
    global redis, d
    AREAS.extend(table())
    redis = Redis(durable=False)
    d = Antred(redis.url, events=(event(),), binary=ANTRED_TEST,
               extra=["test-clock 1", "max-body-bytes 65536"])
    d.wait_redis_up()
    lines = ["code,name,parent,level,target,elderly_target"] + [
        ",".join(str(a[k]) for k in ("code", "name", "parent", "level", "target",
                                      "elderly_target")) for a in AREAS]
    st, _, b = d.request("PUT", "/v1/areas", raw=("\n".join(lines) + "\n").encode(),
                         role="admin", headers={"Content-Type": "text/csv"})
    assert st == 200, (st, b)


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def at(y, m, day):
    set_test_clock(redis, EV, wib_ms(y, m, day, 9))


def op(station, name, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (EV, station, name), body,
                      role="station")
    assert st == 200, (station, name, st, b)
    return b


def vaccinate(service, nik, area):
    body = {"service": service, "nik": nik}
    if area is not None:
        body["area"] = area
    st, _, b = d.post("/v1/events/%s/tickets" % EV, body, role="desk")
    assert st == 201, (st, b)
    code = b["ticket"]["code"]
    for stage in ("registration", "screening", "vaccination"):
        assert op(stage + "-1", "call", {"ticket": code})["ticket"]["code"] == code
        op(stage + "-1", "start")
        op(stage + "-1", "complete", {"outcome": "done"})
    return b["ticket"]


def nik(kec, serial, elderly):
    """A NIK of kecamatan 3171 0kec: born 15 May 1990, or 1 January 1950
    (a woman: day + 40) when elderly."""
    born = "410150" if elderly else "150590"
    return "31710%d%s%04d" % (kec, born, serial)


def rts():
    return [a["code"] for a in AREAS if a["level"] == "rt"]


def group(first, count, day):
    """count people from serial first: RTs in turn (every fifth RT never),
    every third elderly; two on a desa row, one on its NIK's kecamatan."""
    out = []
    chosen = [c for i, c in enumerate(rts()) if i % 5 != 4]
    for j in range(count):
        serial = first + j
        area = chosen[(serial * 7) % len(chosen)]
        if j == 0:
            area = area.rsplit(".", 1)[0]          # the RT's desa
        kec = int(area.split(".")[2])
        record = area
        if j == 1:
            area, record = None, "%s.%02d" % (KAB, kec)   # the NIK's region: its kecamatan
        out.append([record, nik(kec, serial, serial % 3 == 0), 1, int(serial % 3 == 0),
                    day + 28, area])
    return out


def people_now():
    return [(p[0], p[1], p[2], p[3], p[4] if p[2] == 1 else None) for p in PEOPLE]


def check_all(day):
    for level in ("rt", "desa", "kecamatan", "kabupaten"):
        check(day, level, daemon=d, areas=AREAS, people=people_now())
    check(day, "rt", KAB + ".02", daemon=d, areas=AREAS, people=people_now())


def test_days_of_a_campaign():
    d1 = epoch_day(*DAY1)
    # day 1: 14 people, dose 1
    at(*DAY1)
    g1 = group(1, 14, d1)
    for p in g1:
        vaccinate("dose1", p[1], p[5])
    PEOPLE.extend(g1)
    check_all(d1)
    # day 5: 10 more, dose 1; someone with no area and no NIK region match
    at(2026, 11, 6)
    g2 = group(100, 10, d1 + 4)
    for p in g2:
        vaccinate("dose1", p[1], p[5])
    PEOPLE.extend(g2)
    st, _, b = d.post("/v1/events/%s/tickets" % EV, {"service": "dose1"}, role="desk")
    assert st == 201
    code = b["ticket"]["code"]
    for stage in ("registration", "screening", "vaccination"):
        op(stage + "-1", "call", {"ticket": code})
        op(stage + "-1", "start")
        op(stage + "-1", "complete", {"outcome": "done"})
    PEOPLE.append(["-", "", 1, 0, None, None])       # no NIK: no due day, unmapped
    check_all(d1 + 4)
    # day 29 (dose 2 due for day 1's people): half of them come back
    at(2026, 11, 30)
    check_all(d1 + 28)
    for p in g1[::2]:
        vaccinate("dose2", p[1], p[5])
        p[2] = 2
    check_all(d1 + 28)
    # day 33: day 5's people due; 28 days after, day 1's rest overdue
    for shift in (32, 55, 56, 60):
        day = datetime.date(*DAY1) + datetime.timedelta(days=shift)
        at(day.year, day.month, day.day)
        check_all(d1 + shift)
    rows, _ = model(d1 + 60, AREAS, people_now())
    kab = rows[KAB]
    assert kab["overdue_dose2"] == len(g1) - len(g1[::2]) + len(g2)
    assert kab["dose2"] == len(g1[::2]) and kab["dose1"] == len(g1) + len(g2)


def test_csv_gauges_and_elderly_after_the_days():
    for level in ("rt", "kecamatan"):
        st, h, body = d.get("/v1/coverage?format=csv&level=" + level, role="organiser")
        assert st == 200 and h["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(body.decode())))
        b = d.get("/v1/coverage?level=" + level, role="organiser")[2]
        assert rows[0] == COLUMNS and len(rows) == len(b["areas"]) + 1
        for r, a in zip(rows[1:], b["areas"]):
            assert r[0] == a["code"] and int(r[6]) == a["dose1"]
            assert r[10] == ("" if a["coverage_dose1"] is None else json.dumps(a["coverage_dose1"]))
    st, _, text = d.get("/metrics")
    rows, _ = model(epoch_day(*DAY1) + 60, AREAS, people_now())
    for k in range(1, 4):
        kec = rows["%s.%02d" % (KAB, k)]
        want = 'antre_coverage_dose1{kecamatan="%s",name="%s"} %d' % (
            kec["code"], kec["name"], kec["dose1"])
        if want not in text.decode():                 # the first scrape starts the read
            text = d.get("/metrics")[2]
        assert want in text.decode(), (want, text.decode()[-800:])
    b = d.get("/v1/coverage/elderly?limit=5", role="organiser")[2]
    gaps = [a["gap"] for a in b["areas"]]
    assert gaps == sorted(gaps, reverse=True) and len(gaps) == 5
    for a in b["areas"]:
        r = rows[a["code"]]
        assert a["gap"] == max(0, r["elderly_target"] - r["elderly_dose1"])


def test_a_read_counts_what_the_outbox_still_holds():
    """A dose record still in the event's outbox (the housekeeping drains
    once a second) is counted by the next read: GET /v1/coverage drains the
    outboxes first.  Ten records pushed and read at once, each time."""
    rt = rts()[4]                                    # an RT nobody else uses
    for i in range(10):
        before = d.get("/v1/coverage?level=rt", role="organiser")[2]
        was = [a for a in before["areas"] if a["code"] == rt][0]["dose1"]
        line = json.dumps({"t": "Z-%d" % i, "ev": EV, "day": "20261102", "at": 1, "dose": 1,
                           "next_after": 0, "area": rt, "elderly": 0, "pkey": ""})
        redis.cli("RPUSH", "antre:{%s}:cov:outbox" % EV, line)
        after = d.get("/v1/coverage?level=rt", role="organiser")[2]
        now = [a for a in after["areas"] if a["code"] == rt][0]["dose1"]
        assert now == was + 1, (i, was, now)
