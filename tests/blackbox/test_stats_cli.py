"""`antre stats`: the organisers' figures in a terminal, against a real antred.

antred-test (config "test-clock 1") takes the scripts' time from the Redis
key antre:{EVENT}:test:clock, so the figures the client prints and the ones
read from the API here are taken at the same instant and must agree
number for number; the text is parsed back and compared with
GET /v1/events/{ev}/stats, not with figures worked out again.

One daemon, one Redis, two events:
  sa  registration(2), vaccination(2, the dose), observation(1, a long
      timed wait so that nobody leaves it during the test), a target far
      out of reach (a long recommendation); 14 tickets,
      12 of them given a dose in 11 areas (+ one without), one refused, one
      waiting; a desk paused
  sb  registration(1), vaccination(1); nothing at 07:30, a few tickets later
The client is ANTRE_CLI (by default build/antre)."""

import datetime
import json
import os
import re
import subprocess

from harness import ANTRED_TEST, SANITIZER_MARKS, TOKENS, TOP, Antred, Redis

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))

redis = None
d = None

WIB = datetime.timezone(datetime.timedelta(hours=7))
AREAS = ["RT %02d" % i for i in range(1, 12)]      # 11 areas, and one dose without

SA = {"id": "sa", "name": "Vaksinasi Balai Desa Sukamaju", "timezone": "Asia/Jakarta",
      "daily_target": 1000, "hours": {"open": "08:00", "close": "15:00"},
      "services": [{"id": "dose1", "prefix": "A", "name": "Dosis 1"},
                   {"id": "booster", "prefix": "C", "name": "Booster"}],
      "priorities": [{"id": "elderly"}, {"id": "regular"}],
      "stages": [{"id": "registration", "name": "Pendaftaran", "stations": 2},
                 {"id": "vaccination", "name": "Vaksinasi", "stations": 2},
                 {"id": "observation", "name": "Observasi", "stations": 1,
                  "hold_minutes": 600}]}
SB = {"id": "sb", "name": "Posyandu Melati", "timezone": "Asia/Jakarta",
      "daily_target": 5, "hours": {"open": "08:00", "close": "15:00"},
      "services": [{"id": "dose1", "prefix": "A", "name": "Dosis 1"}],
      "priorities": [{"id": "elderly"}, {"id": "regular"}],
      "stages": [{"id": "registration", "name": "Pendaftaran", "stations": 1},
                 {"id": "vaccination", "name": "Vaksinasi", "stations": 1}]}

SNAP = {}          # name -> (stats body, `antre stats` stdout) at the same instant


# ---- helpers ---------------------------------------------------------------

def clock(ev, hms):
    h, m, s = (int(x) for x in hms.split(":"))
    ms = int(datetime.datetime(2026, 11, 23, h, m, s, tzinfo=WIB).timestamp() * 1000)
    assert redis.cli("SET", "antre:{%s}:test:clock" % ev, ms) == "OK"


def issue(ev, hms, service, priority=None, area=None):
    clock(ev, hms)
    body = {"service": service}
    if priority:
        body["priority"] = priority
    if area:
        body["area"] = area
    st, _, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]["code"]


def op(ev, hms, station, what, ticket=None, outcome=None):
    clock(ev, hms)
    body = None
    if what == "call":
        body = {"ticket": ticket}
    if what == "complete":
        body = {"outcome": outcome}
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, what), body,
                      role="station")
    assert st == 200, (ev, hms, station, what, st, b)


def hms(minute, second=0):
    return "%02d:%02d:%02d" % (minute // 60, minute % 60, second)


def cli(*args, role="organiser", token=None, tz=None):
    """Runs antre with the server and token in the environment (never the
    event unless given); (exit status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env["ANTRE_URL"] = "http://127.0.0.1:%d" % d.port
    if token is None and role:
        token = TOKENS[role]
    if token is not None:
        env["ANTRE_TOKEN"] = token
    if tz:
        env["TZ"] = tz
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, timeout=60)
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    return p.returncode, out, err


def api_stats(ev):
    st, _, b = d.get("/v1/events/%s/stats" % ev, role="organiser")
    assert st == 200, (st, b)
    return b


def snap(name, ev, at, *args):
    """The API's figures and `antre stats` at one instant of the test clock."""
    clock(ev, at)
    b = api_stats(ev)
    rc, out, err = cli("stats", ev, *args, tz="America/New_York")
    assert rc == 0 and err == "", (rc, out, err)
    assert api_stats(ev) == b, "the figures moved while the client read them"
    SNAP[name] = (b, out)


def line(out, label):
    """The value after "Label:" on its line."""
    m = re.search(r"^%s:\s+(.*)$" % re.escape(label), out, re.M)
    assert m, "no %r line in:\n%s" % (label, out)
    return m.group(1)


def section(out, title):
    """The lines after a section's title up to the next blank line."""
    lines = out.split("\n")
    i = lines.index(title) if title in lines else \
        [k for k, l in enumerate(lines) if l.startswith(title)][0]
    rest = []
    for l in lines[i + 1:]:
        if not l.strip():
            break
        rest.append(l)
    return rest


def minutes(s):
    """The client's minutes of a number of seconds: one decimal, a comma."""
    if s is None:
        return "-"
    r = round(s / 60 + 1e-9, 1)
    return ("%d" % r) if r == int(r) else ("%.1f" % r).replace(".", ",")


def dec(v):
    if v is None:
        return "-"
    r = round(v + 1e-9, 1)
    return ("%d" % r) if r == int(r) else ("%.1f" % r).replace(".", ",")


def table_rows(out):
    """The stages' table: {stage name: (cells, [(desk number, cells)])}."""
    lines = section(out, "TAHAP DAN MEJA (waktu dalam menit)")
    assert lines[1].startswith("Tahap / meja"), lines[:2]
    rows, cur = {}, None
    for l in lines[2:]:
        if l.startswith("  Meja "):
            num = l[7:14].strip()
            rows[cur][1].append((num, l[14:].split()))
        elif l.startswith("    "):
            continue                            # a note under a stage or a desk
        else:
            cur = l[:14].strip()
            rows[cur] = (l[14:].split(), [])
    return rows


# ---- the flow --------------------------------------------------------------

def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=(SA, SB), binary=ANTRED_TEST, extra=["test-clock 1"])
    d.wait_redis_up()

    # sb before opening: nothing yet
    snap("sb_early", "sb", "07:30:00")

    # sa: 14 tickets from 08:00, 20 s apart
    codes = []
    for i in range(14):
        area = AREAS[i] if i < 11 else None
        codes.append(issue("sa", hms(480 + i * 20 // 60, i * 20 % 60),
                           "booster" if i % 4 == 3 else "dose1",
                           "elderly" if i % 3 == 0 else None, area))
    # 12 doses, the first at 08:12, then one every 3 minutes (desk 1 and 2 in turn)
    for i in range(13):
        m = 490 + 3 * i
        reg, vac = "registration-%d" % (1 + i % 2), "vaccination-%d" % (1 + i % 2)
        op("sa", hms(m), reg, "call", codes[i])
        op("sa", hms(m, 10), reg, "start")
        op("sa", hms(m + 1), reg, "complete", outcome="done")
        op("sa", hms(m + 1, 10), vac, "call", codes[i])
        op("sa", hms(m + 1, 20), vac, "start")
        op("sa", hms(m + 2, 30), vac, "complete", outcome="refused" if i == 12 else "done")
    op("sa", "08:50:00", "vaccination-2", "pause")
    snap("sa", "sa", "09:00:00")

    # sb: three tickets, one dose
    for i in range(3):
        issue("sb", "10:0%d:00" % i, "dose1")
    op("sb", "10:05:00", "registration-1", "call", "A-001")
    op("sb", "10:05:10", "registration-1", "start")
    op("sb", "10:06:00", "registration-1", "complete", outcome="done")
    op("sb", "10:07:00", "vaccination-1", "call", "A-001")
    op("sb", "10:07:10", "vaccination-1", "start")
    op("sb", "10:09:00", "vaccination-1", "complete", outcome="done")
    clock("sb", "10:30:00")


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- one event as text -----------------------------------------------------

def test_headline_figures_are_the_apis():
    b, out = SNAP["sa"]
    t, f = b["today"], b["forecast"]
    assert t["doses"] == 12 and t["issued"] == 14, t        # the flow did what it says
    assert line(out, "Dosis hari ini") == "%d / %d (%d%%)" % (
        t["doses"], b["target"], t["doses"] * 100 // b["target"]), out
    assert line(out, "Tiket diterbitkan") == "%d \u00b7 menunggu sekarang %d" % (
        t["issued"], t["waiting"]), out
    assert line(out, "Ditunda / ditolak") == "%d / %d \u00b7 tidak hadir %d" % (
        t["deferred"], t["refused"], t["no_show"]), out
    m = f["margin"]
    rng = " (%d\u2013%d)" % (f["low"], f["high"]) if f["low"] != f["high"] else ""
    assert f["low"] <= f["expected_at_close"] <= f["high"], f
    assert line(out, "Perkiraan saat tutup") == "%d%s \u2014 %s \u00b7 tutup pukul 15:00" % (
        f["expected_at_close"], rng, "kurang %d dari target" % -m if m < 0 else
        "lebih %d dari target" % m if m > 0 else "tepat sesuai target"), out
    assert line(out, "Kecepatan") == "%s dosis/jam (30 mnt terakhir: %d/jam \u00b7 60 mnt: " \
        "%d/jam)" % (dec(f["rate_per_hour"]), f["rate_per_hour_30"], f["rate_per_hour_60"]), out
    left = round(f["hours_left"] * 60)
    assert line(out, "Sisa waktu layanan") == "%d jam" % (left // 60) + (
        " %d menit" % (left % 60) if left % 60 else ""), out


def test_times_are_the_events_clock_whatever_the_terminals_zone():
    b, out = SNAP["sa"]
    # the client ran with TZ=America/New_York; the event is WIB (UTC+7)
    assert out.split("\n")[0] == "Vaksinasi Balai Desa Sukamaju (sa)", out
    assert out.split("\n")[1] == ("Senin, 23 November 2026 \u00b7 pukul %s WIB \u00b7 layanan "
                                  "08:00\u201315:00" % b["at"][11:16]), out
    f = b["forecast"]
    assert f["target_at"] and not f["reached"], f
    late = f["target_at"][:10] != b["day"] or f["target_at"][11:16] > "15:00"
    want = ("pukul %s" % f["target_at"][11:16] if f["target_at"][:10] == b["day"]
            else "tidak hari ini")
    want += ", setelah jam tutup: perlu lebih cepat" if late else ", dengan kecepatan sekarang"
    assert line(out, "Target tercapai") == want, out
    # each desk's last call, as the API has it
    notes = [l.strip() for l in section(out, "TAHAP DAN MEJA (waktu dalam menit)")[2:]
             if l.startswith("      ")]
    want = []
    for sg in b["stages"]:
        for st in sg["stations"]:
            n = "terakhir memanggil %s" % st["last_call_at"][11:16] if st["last_call_at"] \
                else "belum memanggil"
            for k, word in (("deferred", "ditunda"), ("refused", "ditolak"),
                            ("no_show", "tidak hadir")):
                if st[k]:
                    n += " \u00b7 %s %d" % (word, st[k])
            want.append(n)
    assert notes == want, (notes, want)


def test_stage_and_desk_rows_are_the_apis():
    b, out = SNAP["sa"]
    rows = table_rows(out)
    assert list(rows) == [sg["name"] for sg in b["stages"]], rows
    for sg in b["stages"]:
        cells, desks = rows[sg["name"]]
        tp = sg["throughput_per_hour"]
        assert cells == [str(sg["waiting"]), str(sg["served"]), minutes(sg["avg_wait_s"]),
                         minutes(sg["p90_wait_s"]), minutes(sg["avg_service_s"]),
                         str(tp["last_15"]), str(tp["last_60"]),
                         "%d/%d" % (sg["stations_open"], len(sg["stations"])),
                         dec(sg["capacity_per_hour"])], (sg["id"], cells, sg)
        assert len(desks) == len(sg["stations"]), desks
        for (num, dc), st in zip(desks, sg["stations"]):
            sp = st["throughput_per_hour"]
            assert num == st["id"].rsplit("-", 1)[1], (num, st)
            assert dc == [str(st["served"]), minutes(st["avg_wait_s"]),
                          minutes(st["avg_service_s"]), str(sp["last_15"]), str(sp["last_60"]),
                          "jeda" if st["state"] == "paused" else "buka"], (st["id"], dc, st)
    # the flow: 12 doses at vaccination, one refused; vaccination-2 paused
    v = [sg for sg in b["stages"] if sg["id"] == "vaccination"][0]
    assert v["served"] == 12 and v["refused"] == 1 and v["stations_open"] == 1, v
    assert rows["Vaksinasi"][1][1][1][-1] == "jeda"
    # what the columns leave out, under the stage
    lines = section(out, "TAHAP DAN MEJA (waktu dalam menit)")
    note = lines[lines.index([l for l in lines if l.startswith("Vaksinasi ")][0]) + 1]
    assert note.startswith("    kedatangan %d/jam \u00b7 ditolak 1" % v["arrivals_per_hour"]), note
    o = [sg for sg in b["stages"] if sg["id"] == "observation"][0]
    assert "    kedatangan %d/jam \u00b7 tunggu 600 menit" % o["arrivals_per_hour"] in lines, out


def test_bottleneck_and_recommendation_are_the_apis():
    b, out = SNAP["sa"]
    bn = b["bottleneck"]
    assert bn and bn["recommendation"], b
    stage = [sg for sg in b["stages"] if sg["id"] == bn["stage"]][0]
    assert line(out, "Hambatan") == "tahap %s" % stage["name"], out
    lines = out.split("\n")
    i = [k for k, l in enumerate(lines) if l.startswith("Saran:")][0]
    text = [lines[i][22:]] + [l[22:] for l in lines[i + 1:] if l.startswith(" " * 22)]
    # a long recommendation is broken between words, never cut
    assert " ".join(text) == bn["recommendation"], (text, bn)
    assert len(bn["recommendation"]) > 2 * (79 - 22) and len(text) == 3, (text, bn)
    detail = lines[lines.index("Hambatan:             tahap %s" % stage["name"]) + 1].strip()
    want = "kapasitas %s/jam (%s per meja) \u00b7 kedatangan %d/jam" % (
        dec(bn["capacity_per_hour"]), dec(bn["per_station_per_hour"]), bn["arrivals_per_hour"])
    if bn["extra_stations"] > 0:
        want += " \u00b7 perlu %d meja lagi" % bn["extra_stations"]
    if bn["unserved_at_close"] > 0:
        want += " \u00b7 %d tak terlayani" % bn["unserved_at_close"]
    assert detail == want, (detail, want)
    # the bottleneck's stage is marked in the table
    assert any(l.startswith("    ") and l.endswith("HAMBATAN") for l in lines), out


def test_idle_desks_are_the_apis():
    b, out = SNAP["sa"]
    idle = b["idle"]
    assert idle, "the flow leaves people waiting at registration with idle desks"
    got = section(out, "Meja menganggur:")
    names = {sg["id"]: sg["name"].lower() for sg in b["stages"]}
    want = []
    for x in idle:
        if x["idle_s"] is None:
            what = "belum memanggil siapa pun"
        else:
            assert x["idle_s"] < 3600, x       # "N jam M menit" is not exercised here
            what = "menganggur %d menit" % (x["idle_s"] // 60)
        want.append("  Meja %s %s: %s, %d orang menunggu" % (
            names[x["stage"]], x["station"].rsplit("-", 1)[1], what, x["waiting"]))
    assert got == want, (got, want)


def test_areas_top_ten_then_the_rest():
    b, out = SNAP["sa"]
    areas = b["areas"]
    assert len(areas) == 12 and sum(a["doses"] for a in areas) == 12, areas
    got = section(out, "DOSIS PER WILAYAH")
    assert len(got) == 11, got
    for l, a in zip(got, areas[:10]):
        name = a["area"] if a["area"] is not None else "(tanpa wilayah)"
        assert l[2:32].rstrip() == name and l[32:40].strip() == str(a["doses"]), (l, a)
        assert l.endswith("%d%%" % round(a["doses"] * 100 / 12)), l
    assert got[10] == "  +2 lagi (%d dosis)" % sum(a["doses"] for a in areas[10:]), got


def test_counts_by_service_and_priority_are_the_apis():
    b, out = SNAP["sa"]
    t = b["today"]
    got = section(out, "HARI INI PER LAYANAN")
    names = {"dose1": "Dosis 1", "booster": "Booster", "elderly": "Lansia", "regular": "Umum"}
    want = ["  %-34s %8d %8d" % (names[k], v["issued"], v["doses"])
            for k, v in t["by_service"].items()]
    want += ["PER PRIORITAS"]
    want += ["  %-34s %8d %8d" % (names[k], v["issued"], v["doses"])
             for k, v in t["by_priority"].items()]
    assert got == want, (got, want)


def test_quarter_hours_an_hour_a_line():
    b, out = SNAP["sa"]
    series = b["series"]
    most = max(q["doses"] for q in series)
    got = section(out, "DOSIS PER 15 MENIT (puncak %d)" % most)
    hours = {}
    for q in series:
        hours.setdefault(q["start"][11:13], []).append(q["doses"])
    assert [l[2:7] for l in got] == ["%s:00" % h for h in hours], got
    for l, (h, doses) in zip(got, hours.items()):
        assert l.endswith("= %d" % sum(doses)), (l, doses)
        assert [int(x) for x in l[13:].split("=")[0].split()] == doses, (l, doses)


def test_fits_80_columns_without_control_characters():
    for name in ("sa", "sb_early"):
        out = SNAP[name][1]
        for l in out.split("\n"):
            assert len(l) <= 79, (name, l)
            assert l == l.rstrip(), "trailing blanks: %r" % l
            assert not any(ord(ch) < 32 for ch in l), (name, l)


def test_an_event_before_opening():
    b, out = SNAP["sb_early"]
    assert b["today"]["doses"] == 0 and b["bottleneck"] is None and b["series"] == [], b
    assert line(out, "Dosis hari ini") == "0 / 5 (0%)", out
    assert line(out, "Target tercapai") == "- (layanan belum buka)", out
    assert line(out, "Hambatan") == "belum cukup data", out
    assert line(out, "Meja menganggur") == "tidak ada", out
    assert section(out, "DOSIS PER WILAYAH") == ["  belum ada dosis hari ini"], out
    assert section(out, "DOSIS PER 15 MENIT (puncak 0)") == [
        "  belum ada (layanan belum buka)"], out


# ---- --json, --all -----------------------------------------------------------

def test_json_is_the_servers_answer():
    for ev, at in (("sa", "09:00:00"), ("sb", "10:30:00")):
        clock(ev, at)
        rc, out, err = cli("stats", ev, "--json")
        assert rc == 0 and err == "", (rc, err)
        assert json.loads(out) == api_stats(ev), out
    # -e before the command, and the admin token
    rc, out, err = cli("-e", "sa", "stats", "--json", role="admin")
    assert rc == 0 and json.loads(out) == api_stats("sa"), (rc, err)


def test_all_lists_every_event():
    clock("sa", "09:00:00")
    clock("sb", "10:30:00")
    st, _, roll = d.get("/v1/stats", role="organiser")
    assert st == 200, roll
    rc, out, err = cli("stats", "--all")
    assert rc == 0 and err == "", (rc, out, err)
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == "SEMUA KEGIATAN HARI INI", out
    assert lines[1].split() == ["Kegiatan", "Dosis", "Target", "Perkiraan", "Selisih",
                                "Menunggu"], out
    rows = {l.split()[0]: l for l in lines[2:]}
    assert set(rows) == {"sa", "sb", "Jumlah"}, out
    for e in roll["events"]:
        l = rows[e["event"]]
        name = e["name"] if len(e["name"]) <= 22 else e["name"][:21] + "\u2026"
        assert l[9:31].rstrip() == name, (l, e)
        margin = "+%d" % e["margin"] if e["margin"] > 0 else "%d" % e["margin"]
        assert l[31:].split() == [str(e["doses"]), str(e["target"]),
                                  str(e["expected_at_close"]), margin, str(e["waiting"])], (l, e)
    total = [sum(e[k] for e in roll["events"]) for k in ("doses", "target", "expected_at_close",
                                                          "margin", "waiting")]
    assert rows["Jumlah"].split() == ["Jumlah", "2", "kegiatan"] + [
        ("+%d" % v if i == 3 and v > 0 else str(v)) for i, v in enumerate(total)], out
    rc, out, err = cli("stats", "--all", "--json")
    assert rc == 0 and json.loads(out) == roll, (rc, err)


# ---- errors --------------------------------------------------------------------

def test_a_desk_token_is_refused_with_the_servers_message():
    st, _, b = d.get("/v1/events/sa/stats", role="desk")
    assert st == 403, b
    for args in (("stats", "sa"), ("stats", "sa", "--json"), ("stats", "--all")):
        rc, out, err = cli(*args, role="desk")
        assert rc == 1 and out == "", (args, rc, out)
        assert err == "antre: %s (forbidden)\n" % b["error"]["message"], (args, err)


def test_no_token_is_refused():
    st, _, b = d.get("/v1/events/sa/stats")
    assert st == 401, b
    for args in (("stats", "sa"), ("stats", "--all")):
        rc, out, err = cli(*args, role=None)
        assert rc == 1 and out == "", (args, rc, out)
        first, hint = err.rstrip("\n").split("\n")
        assert first == "antre: %s (unauthorized)" % b["error"]["message"], err
        assert "organiser" in hint and "ANTRE_TOKEN" in hint, err


def test_unknown_event_and_usage_errors():
    rc, out, err = cli("stats", "nope")
    assert rc == 1 and err == "antre: no such event (unknown_event)\n", (rc, err)
    # two events and none chosen: the command line is wrong
    rc, out, err = cli("stats")
    assert rc == 2 and "choose one with -e EVENT" in err and out == "", (rc, err)
    for args in (("stats", "sa", "sb"), ("stats", "--all", "sa"), ("stats", "--bogus"),
                 ("stats", "")):
        rc, out, err = cli(*args)
        assert rc == 2 and out == "" and "antre stats --help" in err, (args, rc, err)
    rc, out, err = cli("stats", "--help", role=None)
    assert rc == 0 and out.startswith("Usage: antre") and "--all" in out, (rc, out)
    rc, out, err = cli("--help", role=None)
    assert rc == 0 and re.search(r"^  stats\s+", out, re.M), out
