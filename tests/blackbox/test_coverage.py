"""The campaign's coverage (GET /v1/coverage, /v1/coverage/elderly, the
per-kecamatan gauges of GET /metrics) on a synthetic kabupaten: 3 kecamatan
x 4 desa x 3 RT with targets, people with dose 1, 2 and 3 in chosen RTs,
counts recorded on a desa row, codes no row claims, dose-2 due days on both
sides of due and overdue.  The campaign keys are written as COVERAGE_API.md
fixes them (the area table as PUT /v1/areas leaves it, the counts and the
due set as scripts/coverage_apply.lua keeps them); every figure, roll-up,
due and overdue count is checked against a model computed here, on days
moved by the test clock; the sort, CSV equal to JSON, roles, bad
parameters, Redis down."""

import csv
from decimal import ROUND_HALF_UP, Decimal
import io
import json
import socket

from harness import (ANTRED_TEST, DEMO_EVENT, TOKENS, Antred, Redis, assert_error, free_port,
                     set_test_clock, wib_ms)
from test_metrics import parse

redis = None
d = None
EV = "cov"
OVERDUE = 28
T0 = wib_ms(2026, 11, 23, 10, 0)
P = "antre:{campaign}:"


def day_of(ms):
    return (ms // 1000 + 7 * 3600) // 86400


def resp(cmds):
    """Sends Redis commands over one connection (RESP), returns the replies'
    first lines: the seeding is thousands of fields."""
    out = bytearray()
    for c in cmds:
        out += b"*%d\r\n" % len(c)
        for a in c:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", redis.port), timeout=10) as s:
        s.sendall(bytes(out))
        f = s.makefile("rb")
        replies = [f.readline().rstrip(b"\r\n").decode() for _ in cmds]
    assert not any(r.startswith("-") for r in replies), replies
    return replies


# ---- the synthetic kabupaten and its people ---------------------------------

KAB = "32.01"
AREAS = []        # rows as the table holds them
PARENT = {}
LEVEL = {}


def build_table():
    AREAS.append({"code": KAB, "name": "Kabupaten Uji", "parent": "", "level": "kabupaten"})
    for k in range(1, 4):
        kec = "%s.%02d" % (KAB, k)
        AREAS.append({"code": kec, "name": "Kecamatan %d" % k, "parent": KAB,
                      "level": "kecamatan"})
        for s in range(1, 5):
            desa = "%s.%04d" % (kec, 2000 + s)
            AREAS.append({"code": desa, "name": "Desa %d-%d" % (k, s), "parent": kec,
                          "level": "desa"})
            for r in range(1, 4):
                AREAS.append({"code": "%s.%03d" % (desa, r), "name": "RT %03d" % r,
                              "parent": desa, "level": "rt"})
    # targets: each RT its own; a desa, kecamatan and the kabupaten the sum
    # of their children, but desa 3-4's RTs have none (null coverage there)
    for i, a in enumerate(AREAS):
        PARENT[a["code"]] = a["parent"]
        LEVEL[a["code"]] = a["level"]
        if a["level"] == "rt":
            zero = a["code"].startswith(KAB + ".03.2004")
            a["target"] = 0 if zero else 40 + (i * 7) % 30
            a["elderly_target"] = 0 if zero else 8 + (i * 3) % 7
    for lvl in ("desa", "kecamatan", "kabupaten"):
        for a in AREAS:
            if a["level"] == lvl:
                kids = [b for b in AREAS if b["parent"] == a["code"]]
                a["target"] = sum(b["target"] for b in kids)
                a["elderly_target"] = sum(b["elderly_target"] for b in kids)


build_table()
RTS = [a["code"] for a in AREAS if a["level"] == "rt"]

# due offsets from T0's day: overdue, the first overdue day, the last due
# day, due today, not yet due
DUE_OFFSETS = [-40, -OVERDUE, -OVERDUE + 1, 0, 1, 10]


def people():
    """(area, pkey, doses, elderly, due day or None) of everyone seeded:
    RT k has k % 5 * 3 people (so some RTs are never reached); a third of
    them have dose 2, every fourth is elderly, RTs 0 and 7 a booster; a desa
    row holds 4 people directly, and 5 are in codes no row claims."""
    d0 = day_of(T0)
    out = []
    for k, rt in enumerate(RTS):
        n1 = (k % 5) * 3
        for j in range(n1):
            pkey = "%064x" % (k * 100 + j)
            doses = 2 if j < n1 // 3 else 1
            if doses == 2 and k % 7 == 0 and j == 0:
                doses = 3
            due = None if doses >= 2 else d0 + DUE_OFFSETS[(k + j) % len(DUE_OFFSETS)]
            out.append((rt, pkey, doses, int(j % 4 == 0), due))
    desa = KAB + ".02.2003"
    for j in range(4):
        out.append((desa, "%064x" % (90000 + j), 1, 0, d0 - 30 + j))
    for j, area in enumerate(["-", "-", "33.99", "360401", "33.99"]):
        out.append((area, "%064x" % (95000 + j), 1, 1, d0 - 3))
    return out


PEOPLE = people()


def seed():
    cmds = [["DEL", P + "areas", P + "cov:n", P + "cov:due2", P + "cov:due2n"]]
    cmds.append(["HSET", P + "areas"] + [x for a in AREAS for x in (a["code"], json.dumps(a))])
    counts, waiting = {}, {}
    for area, pkey, doses, elderly, due in PEOPLE:
        for n in range(1, doses + 1):
            counts["%s|d%d" % (area, n)] = counts.get("%s|d%d" % (area, n), 0) + 1
        if elderly:
            counts[area + "|e1"] = counts.get(area + "|e1", 0) + 1
        if due is not None:
            cmds.append(["ZADD", P + "cov:due2", due, "%s|%s" % (area, pkey)])
            field = "%s|%d" % (area, due)           # what coverage_apply counts
            waiting[field] = waiting.get(field, 0) + 1
    cmds.append(["HSET", P + "cov:n"] + [x for kv in counts.items() for x in kv])
    if waiting:
        cmds.append(["HSET", P + "cov:due2n"] + [x for kv in waiting.items() for x in kv])
    cmds.append(["SET", P + "areas:version", 1])
    resp(cmds)


# ---- the model ---------------------------------------------------------------

def ancestors(code, parent=None):
    parent = PARENT if parent is None else parent
    out = []
    while code in parent:
        out.append(code)
        code = parent[code]
    return out


def frac(n, t):
    """n/t to 4 places, half up (Python's round() would take half to even)."""
    if t == 0:
        return None
    return float((Decimal(n) / Decimal(t)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


FIGS = ("dose1", "dose2", "dose3", "elderly_dose1", "due_dose2", "overdue_dose2")


def model(day, areas=None, people=None):
    """Every area's figures and the unmapped ones on day D, from the table
    and the people (area, pkey, doses, elderly, due day or None)."""
    areas = AREAS if areas is None else areas
    people = PEOPLE if people is None else people
    parent = {a["code"]: a["parent"] for a in areas}
    figs = {a["code"]: dict.fromkeys(FIGS, 0) for a in areas}
    unmapped = dict.fromkeys(FIGS, 0)
    for area, _, doses, elderly, due in people:
        for f in [figs[c] for c in ancestors(area, parent)] if area in figs else [unmapped]:
            for n in range(1, doses + 1):
                f["dose%d" % n] += 1
            f["elderly_dose1"] += elderly
            if due is not None and due <= day:
                f["due_dose2" if day < due + OVERDUE else "overdue_dose2"] += 1
    rows = {}
    for a in areas:
        r = dict(a, **figs[a["code"]])
        r["coverage_dose1"] = frac(r["dose1"], r["target"])
        r["coverage_dose2"] = frac(r["dose2"], r["target"])
        rows[a["code"]] = r
    return rows, unmapped


def sort_key(r):
    reached = r["dose1"] > 0
    nocov = r["coverage_dose1"] is None
    return (reached, reached and nocov, r["dose1"] / r["target"] if r["target"] else 0,
            r["code"])


def expected(day, level, parent=None, areas=None, people=None):
    rows, unmapped = model(day, areas, people)
    up = {r["code"]: r["parent"] for r in rows.values()}
    sel = [r for r in rows.values() if r["level"] == level and
           (parent is None or parent in ancestors(r["code"], up)[1:])]
    sel.sort(key=sort_key)
    tot = {k: sum(r[k] for r in sel) for k in ("target", "elderly_target") + FIGS}
    tot["coverage_dose1"] = frac(tot["dose1"], tot["target"])
    tot["coverage_dose2"] = frac(tot["dose2"], tot["target"])
    return sel, tot, unmapped


# ---- the module --------------------------------------------------------------

def setup_module():
    global redis, d
    ev = dict(DEMO_EVENT, id=EV)
    redis = Redis(durable=False)
    d = Antred(redis.url, events=(ev,), binary=ANTRED_TEST, extra=["test-clock 1"])
    d.wait_redis_up()
    set_test_clock(redis, EV, T0)
    seed()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def coverage(query="", role="organiser"):
    st, h, b = d.get("/v1/coverage" + query, role=role)
    assert st == 200, (query, st, b)
    return b


COLUMNS = ["code", "name", "level", "parent", "target", "elderly_target", "dose1", "dose2",
           "dose3", "elderly_dose1", "coverage_dose1", "coverage_dose2", "due_dose2",
           "overdue_dose2"]


def check(day, level, parent=None, daemon=None, areas=None, people=None):
    """GET /v1/coverage of that level equals the model, row by row, in its
    order, with its totals and unmapped."""
    q = "?level=" + level + ("&parent=" + parent if parent else "")
    st, _, b = (daemon or d).get("/v1/coverage" + q, role="organiser")
    assert st == 200, (q, st, b)
    sel, tot, unmapped = expected(day, level, parent, areas, people)
    assert b["level"] == level
    assert [a["code"] for a in b["areas"]] == [r["code"] for r in sel], level
    for got, want in zip(b["areas"], sel):
        assert list(got) == COLUMNS, list(got)
        for k in COLUMNS:
            assert got[k] == want[k], (level, got["code"], k, got[k], want[k])
    for k, v in tot.items():
        assert b["totals"][k] == v, (level, k, b["totals"][k], v)
    assert b["unmapped"] == unmapped, (b["unmapped"], unmapped)
    return b


def test_every_figure_at_every_level():
    for level in ("rt", "desa", "kecamatan", "kabupaten"):
        check(day_of(T0), level)
    # the default level is desa, the day the event's calendar day
    b = coverage()
    assert b["level"] == "desa" and b["day"] == "2026-11-23"
    assert len(b["areas"]) == 12


def test_figures_spelled_out():
    """A few figures by hand, apart from the model: the desa row's own 4
    people count in its kecamatan, never in an RT; 5 records unmapped."""
    rt = {a["code"]: a for a in coverage("?level=rt")["areas"]}
    assert rt[KAB + ".01.2001.001"]["dose1"] == 0           # RT k=0: nobody
    assert rt[KAB + ".01.2001.002"]["dose1"] == 3           # k=1: 3 people
    assert rt[KAB + ".01.2001.002"]["dose2"] == 1
    desa = {a["code"]: a for a in coverage("?level=desa")["areas"]}
    d23 = desa[KAB + ".02.2003"]
    kids = [rt[c] for c in rt if c.startswith(KAB + ".02.2003.")]
    assert d23["dose1"] == sum(k["dose1"] for k in kids) + 4
    # desa 3-4 has no target: null coverage, sorted after every target
    zero = desa[KAB + ".03.2004"]
    assert zero["target"] == 0 and zero["coverage_dose1"] is None
    b = coverage("?level=kabupaten")
    assert b["areas"][0]["dose1"] == len(PEOPLE) - 5
    assert b["unmapped"]["dose1"] == 5 and b["unmapped"]["elderly_dose1"] == 5
    assert b["unmapped"]["due_dose2"] == 5 and b["unmapped"]["overdue_dose2"] == 0


def test_sort_never_reached_first_then_coverage():
    for level in ("rt", "desa"):
        areas = coverage("?level=" + level)["areas"]
        reached = [a["dose1"] > 0 for a in areas]
        assert reached == sorted(reached), level            # the unreached first
        covs = [a["coverage_dose1"] for a in areas if a["dose1"] > 0]
        known = [c for c in covs if c is not None]
        assert covs == known + [None] * (len(covs) - len(known))
        assert known == sorted(known)
    assert coverage("?level=rt")["areas"][0]["dose1"] == 0


def test_parent_filter():
    check(day_of(T0), "rt", KAB + ".02")
    check(day_of(T0), "desa", KAB + ".01")
    check(day_of(T0), "rt", KAB + ".03.2002")
    assert coverage("?level=kecamatan&parent=" + KAB + ".01.2001.001")["areas"] == []


def test_due_and_overdue_move_with_the_days():
    try:
        for shift in (1, 2, 10, 27, 28, 40):
            ms = T0 + shift * 86400000
            set_test_clock(redis, EV, ms)
            for level in ("rt", "kecamatan", "kabupaten"):
                check(day_of(ms), level)
        # 40 days on, everyone without dose 2 is overdue
        k = coverage("?level=kabupaten")["areas"][0]
        assert k["due_dose2"] == 0
        assert k["overdue_dose2"] == sum(1 for p in PEOPLE if p[4] is not None) - 5
    finally:
        set_test_clock(redis, EV, T0)


def csv_rows(query):
    st, h, body = d.get(query, role="organiser")
    assert st == 200, (st, body)
    assert h["content-type"] == "text/csv; charset=utf-8", h
    assert "attachment" in h["content-disposition"]
    return list(csv.reader(io.StringIO(body.decode())))


def cell(v):
    if v is None:
        return ""
    return str(v) if not isinstance(v, float) else repr(v).rstrip("0").rstrip(".")


def test_csv_equals_json():
    for level in ("rt", "desa", "kecamatan", "kabupaten"):
        rows = csv_rows("/v1/coverage?format=csv&level=" + level)
        assert rows[0] == COLUMNS
        areas = coverage("?level=" + level)["areas"]
        assert len(rows) == len(areas) + 1
        for r, a in zip(rows[1:], areas):
            for k, v in zip(COLUMNS, r):
                want = a[k]
                if want is None:
                    assert v == "", (k, v)
                elif isinstance(want, str):
                    assert v == want, (k, v, want)
                else:
                    assert float(v) == want, (k, v, want)


def test_elderly_list_largest_gap_first():
    b = d.get("/v1/coverage/elderly", role="organiser")[2]
    rows, _ = model(day_of(T0))
    leaves = [r for r in rows.values() if r["level"] == "rt"]
    gap = {r["code"]: max(0, r["elderly_target"] - r["elderly_dose1"]) for r in leaves}
    want = sorted(gap, key=lambda c: (-gap[c], c))
    assert [a["code"] for a in b["areas"]] == want
    first = b["areas"][0]
    assert list(first) == ["code", "name", "desa", "kecamatan", "elderly_target",
                           "elderly_dose1", "gap"]
    assert first["gap"] == gap[first["code"]]
    assert first["desa"].startswith("Desa ") and first["kecamatan"].startswith("Kecamatan ")
    b = d.get("/v1/coverage/elderly?limit=5", role="admin")[2]
    assert [a["code"] for a in b["areas"]] == want[:5]
    rows = csv_rows("/v1/coverage/elderly?format=csv&limit=5")
    assert rows[0] == ["code", "name", "desa", "kecamatan", "elderly_target",
                       "elderly_dose1", "gap"]
    assert [r[0] for r in rows[1:]] == want[:5]
    assert [int(r[6]) for r in rows[1:]] == [gap[c] for c in want[:5]]


def test_roles():
    for role in ("desk", "station"):
        assert_error(d.get("/v1/coverage", role=role), 403)
        assert_error(d.get("/v1/coverage/elderly", role=role), 403)
    assert_error(d.get("/v1/coverage"), 401)
    assert d.get("/v1/coverage", role="admin")[0] == 200


def test_bad_parameters():
    for q in ("level=dusun", "level=", "level=RT", "format=xml", "format=", "parent=a%20b",
              "parent=" + "x" * 33, "parent=99.99", "limit=0"):
        assert_error(d.get("/v1/coverage?" + q, role="organiser"), 400, "invalid_parameter")
    for q in ("limit=0", "limit=10001", "limit=x", "format=pdf"):
        assert_error(d.get("/v1/coverage/elderly?" + q, role="organiser"), 400,
                     "invalid_parameter")


def test_gauges_per_kecamatan():
    coverage()                               # a read keeps the gauges
    st, _, text = d.get("/metrics")
    assert st == 200
    e = parse(text.decode())
    rows, _ = model(day_of(T0))
    for k in range(1, 4):
        kec = rows["%s.%02d" % (KAB, k)]
        labels = dict(kecamatan=kec["code"], name=kec["name"])
        for fig in ("dose1", "dose2", "target"):
            key = ("antre_coverage_" + fig, tuple(sorted(labels.items())))
            assert e.series[key] == kec[fig], (key, e.series.get(key), kec[fig])


def test_no_table_everything_unmapped():
    other = Redis(durable=False)
    try:
        a = Antred(other.url, events=(dict(DEMO_EVENT, id=EV),), binary=ANTRED_TEST,
                   extra=["test-clock 1"])
        try:
            a.wait_redis_up()
            st, _, b = a.get("/v1/coverage?level=rt", role="organiser")
            assert st == 200 and b["areas"] == [], b
            assert b["totals"]["dose1"] == 0 and b["totals"]["coverage_dose1"] is None
            assert b["unmapped"]["dose1"] == 0
            other.cli("HSET", P + "cov:n", "360401|d1", "3", "-|d2", "1")
            b = a.get("/v1/coverage", role="organiser")[2]
            assert b["unmapped"]["dose1"] == 3 and b["unmapped"]["dose2"] == 1
            text = a.get("/metrics")[2].decode()
            assert "antre_coverage" not in text, text
        finally:
            a.stop()
    finally:
        other.stop()


def test_redis_down_is_503():
    a = Antred("redis://127.0.0.1:%d/0" % free_port(), events=(dict(DEMO_EVENT, id=EV),))
    try:
        assert_error(a.get("/v1/coverage", role="organiser"), 503)
        assert_error(a.get("/v1/coverage/elderly?format=csv", role="organiser"), 503)
    finally:
        a.stop()


# ---- the map's geometry ------------------------------------------------------

def square(code, x, y, size=0.05):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Feature", "properties": {"code": code, "name": code},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


GEO = {"type": "FeatureCollection", "features": [
    square(KAB + ".01", 106.0, -6.2), square(KAB + ".02", 106.05, -6.2),
    dict(square(KAB + ".03", 106.1, -6.2),
         geometry={"type": "MultiPolygon", "coordinates": [
             square("x", 106.1, -6.2)["geometry"]["coordinates"],
             square("x", 106.1, -6.1, 0.01)["geometry"]["coordinates"]]})]}


def put_geometry(doc, role="admin", raw=None):
    data = raw if raw is not None else json.dumps(doc).encode()
    return d.request("PUT", "/v1/areas/geometry", role=role, raw=data,
                     headers={"Content-Type": "application/json"})


def test_geometry_upload_and_read():
    redis.cli("DEL", P + "areas:geometry")
    assert_error(d.get("/v1/areas/geometry", role="organiser"), 404, "no_geometry")
    assert coverage()["geometry"] is False
    assert_error(put_geometry(GEO, role="organiser"), 403)
    assert_error(d.get("/v1/areas/geometry", role="desk"), 403)
    st, _, b = put_geometry(GEO)
    assert st == 200 and b == {"stored": True}, (st, b)
    st, h, body = d.get("/v1/areas/geometry", role="organiser")
    assert st == 200 and h["content-type"] == "application/geo+json", (st, h)
    assert body == json.dumps(GEO).encode()          # kept as received
    assert coverage()["geometry"] is True            # the dashboard asks for it then


def bad_feature(**kw):
    f = square("a", 106.0, -6.2)
    f.update(kw)
    return f


BAD_GEOMETRIES = [
    ({"type": "Feature"}, "FeatureCollection"),
    ({"type": "FeatureCollection", "features": []}, "features"),
    ({"type": "FeatureCollection", "features": [bad_feature(type="Thing")]}, "feature 0"),
    ({"type": "FeatureCollection", "features": [square("a", 1, 1), bad_feature(
        properties={"name": "no code"})]}, "feature 1: properties.code"),
    ({"type": "FeatureCollection", "features": [bad_feature(properties={"code": "a b"})]},
     "properties.code"),
    ({"type": "FeatureCollection", "features": [bad_feature(
        geometry={"type": "Point", "coordinates": [106, -6]})]}, "Polygon or MultiPolygon"),
    ({"type": "FeatureCollection", "features": [bad_feature(
        geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0.5]]]})]},
     "ends where it starts"),
    ({"type": "FeatureCollection", "features": [bad_feature(
        geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]})]},
     "4 positions"),
    ({"type": "FeatureCollection", "features": [bad_feature(
        geometry={"type": "Polygon", "coordinates": [[[0, 95], [1, 0], [1, 1], [0, 95]]]})]},
     "longitude, latitude"),
    ({"type": "FeatureCollection", "features": [bad_feature(
        geometry={"type": "MultiPolygon", "coordinates": []})]}, "MultiPolygon"),
    ({"type": "FeatureCollection", "features": [square("a", 1, 1), square("a", 2, 2)]},
     "twice"),
]


def test_geometry_refused_whole():
    assert put_geometry(GEO)[0] == 200
    for doc, reason in BAD_GEOMETRIES:
        r = put_geometry(doc)
        assert_error(r, 422, "invalid_geometry")
        assert reason in r[2]["error"]["message"], (reason, r[2])
    assert_error(put_geometry(None, raw=b"{not json"), 400, "invalid_json")
    assert_error(put_geometry(None, raw=b"[1]"), 400, "invalid_json")
    # past max-body-bytes (16384 here): evhttp's 413, nothing kept
    big = dict(GEO, features=[square("s%d" % i, 100 + i * 0.01, 0) for i in range(200)])
    assert put_geometry(big)[0] == 413
    assert d.get("/v1/areas/geometry", role="organiser")[2] == json.dumps(GEO).encode()


# ---- antre coverage ------------------------------------------------------------

def antre(*args, role="organiser"):
    import os
    import subprocess
    from harness import SANITIZER_MARKS, TOP
    binary = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env.update(ANTRE_URL="http://127.0.0.1:%d" % d.port, ANTRE_TOKEN=TOKENS[role])
    p = subprocess.run([binary, "coverage"] + list(args), env=env, capture_output=True,
                       timeout=60)
    err = p.stderr.decode()
    assert not any(m in err for m in SANITIZER_MARKS), err
    return p.returncode, p.stdout.decode(), err


def test_cli_table_csv_and_elderly():
    rc, out, err = antre("--level", "kecamatan")
    assert rc == 0, (rc, out, err)
    b = coverage("?level=kecamatan")
    lines = out.splitlines()
    assert lines[0] == "CAKUPAN per kecamatan, hari 2026-11-23", lines[0]
    rows = [ln for ln in lines if ln.startswith("Kecamatan ")]
    assert [r.split()[1] for r in rows] == [a["name"].split()[1] for a in b["areas"]]
    for r, a in zip(rows, b["areas"]):
        w = r.split()
        assert w[2] == str(a["target"]) and w[3] == str(a["dose1"]), (r, a)
        assert w[4] == "%.1f%%" % (a["coverage_dose1"] * 100), (r, a)
        assert w[-2:] == [str(a["due_dose2"]), str(a["overdue_dose2"])], (r, a)
    total = [ln for ln in lines if ln.startswith("Jumlah")][0].split()
    assert total[2] == str(b["totals"]["dose1"]), total
    assert "Di luar tabel wilayah: dosis 1 5" in out
    rc, out, _ = antre("--csv", "--level", "rt", "--parent", KAB + ".01")
    assert rc == 0
    st, _, body = d.get("/v1/coverage?format=csv&level=rt&parent=" + KAB + ".01",
                        role="organiser")
    assert out.encode() == body, (out[:200], body[:200])
    rc, out, _ = antre("--json")
    assert rc == 0 and json.loads(out)["level"] == "desa"
    rc, out, _ = antre("--elderly", "--limit", "3")
    assert rc == 0
    want = d.get("/v1/coverage/elderly?limit=3", role="organiser")[2]["areas"]
    rows = [ln for ln in out.splitlines() if ln.startswith("RT ")][1:]
    assert len(rows) == 3 and [r.split()[-1] for r in rows] == [str(a["gap"]) for a in want]


def test_cli_refusals():
    assert antre("--level", "a b")[0] == 2
    assert antre("--csv", "--json")[0] == 2
    assert antre("--elderly", "--level", "rt")[0] == 2
    assert antre("--limit", "0")[0] == 2
    assert antre("extra")[0] == 2
    rc, _, err = antre("--level", "dusun")
    assert rc == 1 and "invalid_parameter" in err, err
    rc, _, err = antre(role="desk")
    assert rc == 1 and ("403" in err or "forbidden" in err), err
