"""The area table (issue 14): PUT /v1/areas with a CSV file (a synthetic
kabupaten of 3 kecamatan x 4 desa x 3 RT with targets), every refusal a
422 invalid_area_file with its line that changes nothing, the replace seen
at once by a second daemon on the same Redis, GET /v1/areas searched
without case and with the parents' names, a ticket's area checked against
the table (422 unknown_area, nothing issued), a NIK's region mapped to its
kecamatan, the printed ticket with the area's name, and who may do what."""

import copy
import os
import subprocess
import tempfile

from harness import DEMO_EVENT, SANITIZER_MARKS, TOKENS, TOP, Antred, Redis, assert_error

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))

redis = None
d = None
EV = "demo"
KEC = [("36.04.01", "Kec. Cikande"), ("36.04.02", "Kec. Kibin"), ("36.04.03", "Kec. Serang")]
# "Sukamaju" is a desa of two kecamatan: the picker tells them apart
DESA = ["Sukamaju", "Cijeruk", "Mekarsari", "Tegalsari"]
NIK_CIKANDE = "3604011505000003"     # region 360401, 15 May 2000
NIK_ELSEWHERE = "3171021505000003"   # region 317102: no kecamatan of the table


def kabupaten(scale=1):
    """The synthetic kabupaten's rows, parents first, and its CSV."""
    rows = [("36.04", "Kab. Serang", "", "kabupaten", 36000 * scale, 3600 * scale)]
    for kc, kn in KEC:
        rows.append((kc, kn, "36.04", "kecamatan", 12000 * scale, 1200 * scale))
        for j, dn in enumerate(DESA):
            if kc == "36.04.03" and dn == "Sukamaju":
                dn = "Sukamulya"
            dc = "%s.%d" % (kc, 2001 + j)
            rows.append((dc, dn, kc, "desa", 3000 * scale, 300 * scale))
            for rt in range(1, 4):
                rows.append(("%s.%03d" % (dc, rt), "RT %02d" % rt, dc, "rt", 1000 * scale,
                             100 * scale))
    return rows


def csv_of(rows, header="code,name,parent,level,target,elderly_target", eol="\n"):
    lines = [header] + [",".join(str(x) for x in r) for r in rows]
    return (eol.join(lines) + eol).encode()


def put(body, role="admin", daemon=None):
    return (daemon or d).request("PUT", "/v1/areas", raw=body, role=role,
                                 headers={"Content-Type": "text/csv"})


def areas(query="", role="desk", daemon=None):
    st, _, b = (daemon or d).get("/v1/areas" + query, role=role)
    assert st == 200, (query, st, b)
    return b


def issue(body, daemon=None):
    return (daemon or d).post("/v1/events/%s/tickets" % EV, body, role="desk")


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=(copy.deepcopy(DEMO_EVENT),),
               extra=["max-body-bytes 65536", "areas-max-rows 200"])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def test_no_table_answers_empty_and_tickets_are_as_before():
    b = areas()
    assert b["areas"] == [], b
    assert areas("?q=RT")["areas"] == []
    st, _, t = issue({"service": "dose1", "area": "Desa bebas 7"})
    assert st == 201 and t["ticket"]["area"] == "Desa bebas 7", t
    st, _, t = issue({"service": "dose1", "nik": NIK_CIKANDE})
    assert st == 201 and t["ticket"]["area"] == "360401", t


def test_upload_the_kabupaten():
    st, _, b = put(csv_of(kabupaten()))
    assert st == 200, b
    assert b["areas"] == 1 + 3 + 12 + 36, b
    assert b["levels"] == {"kabupaten": 1, "kecamatan": 3, "desa": 12, "rt": 36}, b
    assert isinstance(b["version"], int) and b["version"] >= 1
    assert redis.cli("HLEN", "antre:{campaign}:areas") == "52"
    assert redis.cli("GET", "antre:{campaign}:areas:version") == str(b["version"])
    every = areas()
    assert every["total"] == 52 and len(every["areas"]) == 52, every
    assert every["areas"][0]["code"] == "36.04" and every["areas"][0]["level"] == "kabupaten"
    rt = next(a for a in every["areas"] if a["code"] == "36.04.02.2001.003")
    assert rt == {"code": "36.04.02.2001.003", "name": "RT 03", "level": "rt",
                  "parent": "36.04.02.2001", "target": 1000, "elderly_target": 100,
                  "parents": ["Sukamaju", "Kec. Kibin", "Kab. Serang"],
                  "label": "RT 03, Sukamaju, Kec. Kibin"}, rt


def version_now():
    return areas()["version"]


REFUSALS = [
    # (what, the file's text, line, a word of the reason)
    ("bad header", b"code,name,parent,level,target\n36,Kab,,kabupaten,1\n", 1, "header"),
    ("unknown level", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,Kota,36,kota,5,0\n", 3, "level"),
    ("child before parent", b"code,name,parent,level,target,elderly_target\n"
     b"36.1,Kec,36,kecamatan,5,0\n36,Kab,,kabupaten,10,1\n", 2, "earlier"),
    ("level order", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,Desa,36,desa,5,0\n36.1.1,Kec,36.1,kecamatan,5,0\n",
     4, "not above"),
    ("same level parent", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,desa,10,1\n37,Kab,36,desa,5,0\n", 3, "not above"),
    ("duplicate code", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,A,36,kecamatan,5,0\n36.1,B,36,kecamatan,5,0\n",
     4, "already on line 3"),
    ("negative number", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,-10,1\n", 2, "target"),
    ("decimal number", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1.5\n", 2, "elderly_target"),
    ("empty number", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,,1\n", 2, "target"),
    ("elderly over target", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,Kec,36,kecamatan,5,6\n", 3, "more than target"),
    ("unclosed quote", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,\"Kec, A,36,kecamatan,5,0\n", 3, "quoted"),
    ("quote in a plain field", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n36.1,Kec \"A\",36,kecamatan,5,0\n", 3, "quote"),
    ("text after a closing quote", b"code,name,parent,level,target,elderly_target\n"
     b"36,\"Kab\"x,,kabupaten,10,1\n", 2, "closing quote"),
    ("too few fields", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10\n", 2, "fields"),
    ("bad code", b"code,name,parent,level,target,elderly_target\n"
     b"36/1,Kab,,kabupaten,10,1\n", 2, "code"),
    ("long name", b"code,name,parent,level,target,elderly_target\n"
     b"36," + b"x" * 81 + b",,kabupaten,10,1\n", 2, "name"),
    ("control character", b"code,name,parent,level,target,elderly_target\n"
     b"36,Ka\x07b,,kabupaten,10,1\n", 2, "name"),
    ("not UTF-8", b"code,name,parent,level,target,elderly_target\n"
     b"36,Ka\xffb,,kabupaten,10,1\n", 2, "name"),
    ("empty line", b"code,name,parent,level,target,elderly_target\n"
     b"36,Kab,,kabupaten,10,1\n\n37,Kab,,kabupaten,10,1\n", 3, "empty"),
    ("empty body", b"", 1, "empty"),
]


def test_every_refusal_names_its_line_and_changes_nothing():
    before = areas()
    for what, body, line, word in REFUSALS:
        st, _, b = put(body)
        assert_error((st, {"content-type": "application/json"}, b), 422, "invalid_area_file")
        e = b["error"]
        assert e["line"] == line, (what, e)
        assert word in e["reason"], (what, e)
        assert e["message"].startswith("line %d: " % line), (what, e)
        assert areas() == before, what
    # the last row past the bound of rows (areas-max-rows 200)
    many = [("36", "Kab", "", "kabupaten", 10, 1)] + [
        ("36.%d" % i, "Kec %d" % i, "36", "kecamatan", 1, 0) for i in range(200)]
    st, _, b = put(csv_of(many))
    assert st == 422 and b["error"]["line"] == 202 and "200 rows" in b["error"]["reason"], b
    assert areas() == before


def test_a_body_over_the_bound_is_413():
    before = areas()
    st, _, _ = put(b"code,name,parent,level,target,elderly_target\n" + b"x" * 70000)
    assert st == 413
    assert areas() == before


def test_bom_crlf_and_quoting_are_read():
    before = version_now()
    text = ("\ufeffcode,name,parent,level,target,elderly_target\r\n"
            "36.04,\"Kab. Serang, Banten\",,kabupaten,100,10\r\n"
            "36.04.01,\"Kec. \"\"Lama\"\"\",36.04,kecamatan,50,5\r\n"
            "36.04.01.2001,Désa Ñ,36.04.01,desa,40,4").encode()
    st, _, b = put(text)
    assert st == 200 and b["areas"] == 3 and b["version"] == before + 1, b
    got = {a["code"]: a["name"] for a in areas()["areas"]}
    assert got == {"36.04": "Kab. Serang, Banten", "36.04.01": 'Kec. "Lama"',
                   "36.04.01.2001": "Désa Ñ"}, got
    st, _, b = put(csv_of(kabupaten()))
    assert st == 200, b


def test_search_without_case_with_parents():
    b = areas("?q=sukamaju")
    hits = b["areas"]
    # the two desa first (their names begin with it), then their RTs
    assert [h["code"] for h in hits[:2]] == ["36.04.01.2001", "36.04.02.2001"], hits
    assert {h["label"] for h in hits[:2]} == {"Sukamaju, Kec. Cikande", "Sukamaju, Kec. Kibin"}
    rts = areas("?q=rt%2003&level=rt")["areas"]
    assert len(rts) == 12 and all(h["name"] == "RT 03" and h["level"] == "rt" for h in rts), rts
    assert "RT 03, Sukamaju, Kec. Cikande" in [h["label"] for h in rts]
    # every word in the name with its parents': an RT of one desa
    kibin = areas("?q=rt%2003%20KIBIN")["areas"]
    assert [h["code"] for h in kibin] == ["36.04.02.%d.003" % (2001 + j) for j in range(4)], kibin
    got = areas("?q=sukamaju%20rt%2002")["areas"]
    assert [h["label"] for h in got] == ["RT 02, Sukamaju, Kec. Cikande",
                                         "RT 02, Sukamaju, Kec. Kibin"], got
    assert len(areas("?q=RT&level=rt")["areas"]) == 20            # the default limit
    assert len(areas("?q=RT&level=rt&limit=100")["areas"]) == 36
    assert areas("?q=36.04.03.2004.002")["areas"][0]["label"] == "RT 02, Tegalsari, Kec. Serang"
    assert areas("?q=KEC.%20kib")["areas"][0]["code"] == "36.04.02"
    assert areas("?q=no%20such%20place")["areas"] == []
    paged = areas("?level=desa&offset=10&limit=5")["areas"]
    assert [p["code"] for p in paged] == ["36.04.03.2003", "36.04.03.2004"], paged
    for bad in ("?level=kota", "?q=RT&limit=101", "?limit=-1", "?q=" + "x" * 81, "?offset=x"):
        assert_error(d.get("/v1/areas" + bad, role="desk"), 400, "invalid_parameter")


def ticket_count():
    return int(redis.cli("EVAL", "return #redis.call('KEYS', 'antre:{demo}:t:*')", "0") or 0)


def test_unknown_area_is_refused_before_anything_is_written():
    n = ticket_count()
    for area in ("Desa bebas 7", "36.04.09", "36.04.01.2001.0031"):
        assert_error(issue({"service": "dose1", "area": area}), 422, "unknown_area")
    assert_error(issue({"service": "dose1", "area": "nope", "nik": NIK_CIKANDE}), 422,
                 "unknown_area")
    assert ticket_count() == n
    st, _, t = issue({"service": "dose1", "area": "36.04.01.2001.003"})
    assert st == 201 and t["ticket"]["area"] == "36.04.01.2001.003", t
    assert ticket_count() == n + 1


def test_a_nik_maps_to_its_kecamatan():
    st, _, t = issue({"service": "dose2", "nik": NIK_CIKANDE})
    assert st == 201 and t["ticket"]["area"] == "36.04.01", t
    st, _, t = issue({"service": "dose2", "nik": NIK_ELSEWHERE})
    assert st == 201 and t["ticket"]["area"] is None, t      # "" is null on the wire
    # the desk's pick wins over the NIK's region
    st, _, t = issue({"service": "booster", "nik": NIK_CIKANDE, "area": "36.04.02.2003.001"})
    assert st == 201 and t["ticket"]["area"] == "36.04.02.2003.001", t


def test_the_printed_ticket_names_the_area():
    st, _, t = issue({"service": "dose1", "area": "36.04.02.2001.002"})
    assert st == 201, t
    st, _, paper = d.get("/v1/events/%s/tickets/%s/ticket.escpos" % (EV, t["ticket"]["id"]),
                         role="desk")
    assert st == 200
    assert b"Wilayah: RT 02, Sukamaju" in paper, paper
    assert b"36.04.02.2001.002" not in paper
    st, _, t = issue({"service": "dose1", "area": "36.04.03"})
    st, _, paper = d.get("/v1/events/%s/tickets/%s/ticket.escpos" % (EV, t["ticket"]["id"]),
                         role="desk")
    assert st == 200 and b"Wilayah: Kec. Serang" in paper, paper


def test_a_replace_is_seen_by_another_daemon_at_once():
    d2 = Antred(redis.url, events=(copy.deepcopy(DEMO_EVENT),), extra=["max-body-bytes 65536"])
    try:
        d2.wait_redis_up()
        assert areas(daemon=d2)["total"] == 52
        assert areas("?q=Sukamulya", daemon=d2)["areas"][0]["code"] == "36.04.03.2001"
        small = [("36.04", "Kab. Serang", "", "kabupaten", 10, 1),
                 ("36.04.09", "Kec. Baru", "36.04", "kecamatan", 5, 0)]
        st, _, b = put(csv_of(small), daemon=d2)
        assert st == 200 and b["areas"] == 2, b
        # daemon 1 searches and checks against the new table
        assert areas()["total"] == 2 and areas()["version"] == b["version"]
        assert areas("?q=Sukamulya")["areas"] == []
        assert_error(issue({"service": "dose1", "area": "36.04.01.2001.003"}), 422,
                     "unknown_area")
        st, _, t = issue({"service": "dose1", "area": "36.04.09"})
        assert st == 201 and t["ticket"]["area"] == "36.04.09", t
        # a header alone deletes the table: free text again, on both
        st, _, b = put(b"code,name,parent,level,target,elderly_target\n")
        assert st == 200 and b["areas"] == 0, b
        assert areas(daemon=d2)["areas"] == [] and areas()["areas"] == []
        assert redis.cli("EXISTS", "antre:{campaign}:areas") == "0"
        st, _, t = issue({"service": "dose1", "area": "Desa bebas 7"}, daemon=d2)
        assert st == 201 and t["ticket"]["area"] == "Desa bebas 7", t
        st, _, b = put(csv_of(kabupaten()), daemon=d2)
        assert st == 200 and b["areas"] == 52
    finally:
        d2.stop()


def test_roles():
    body = csv_of(kabupaten())
    for role in ("desk", "station", "organiser"):
        assert_error(put(body, role=role), 403)
    assert_error(d.request("PUT", "/v1/areas", raw=body), 401)
    assert_error(d.get("/v1/areas"), 401)
    assert_error(d.get("/v1/areas", role="station"), 403)
    for role in ("desk", "organiser", "admin"):
        assert areas("?q=RT&limit=1", role=role)["areas"]


def cli(*args, role="admin", stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env["ANTRE_URL"] = "http://127.0.0.1:%d" % d.port
    env["ANTRE_TOKEN"] = TOKENS[role]
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, timeout=60,
                       input=stdin)
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    return p.returncode, p.stdout.decode("utf-8"), err


def test_cli_import_and_show():
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = os.path.join(tmp, "good.csv"), os.path.join(tmp, "bad.csv")
        with open(good, "wb") as f:
            f.write(csv_of(kabupaten(2)))
        with open(bad, "wb") as f:
            f.write(csv_of(kabupaten()[:5] + [("36.04.01.2001", "Lagi", "36.04.01", "desa", 1, 0)]))
        before = areas()
        rc, out, err = cli("areas", "import", bad)
        assert rc == 1 and "line 7: code 36.04.01.2001 is already on line 4" in err, (out, err)
        assert "invalid_area_file" in err and areas() == before
        rc, out, err = cli("areas", "import", good, role="desk")
        assert rc == 1 and "forbidden" in err, err
        rc, out, err = cli("areas", "import", good)
        assert rc == 0, err
        assert out.startswith("52 wilayah dimuat (versi %d): kabupaten 1, kecamatan 3, desa 12, "
                              "rt 36" % (before["version"] + 1)), out
        rc, out, err = cli("areas", "import", "-", stdin=csv_of(kabupaten()))
        assert rc == 0 and "52 wilayah" in out, err
        rc, out, err = cli("areas", "import", os.path.join(tmp, "missing.csv"))
        assert rc == 1 and "cannot open" in err, err
        with open(bad, "wb") as f:
            f.write(b"code,name,parent,level,target,elderly_target\n36,K\0,,kabupaten,1,0\n")
        rc, out, err = cli("areas", "import", bad)
        assert rc == 1 and "NUL" in err, err
    rc, out, err = cli("areas", "show", "--q", "rt 03", "--level", "rt", role="desk")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["Kode", "Tingkat", "Target", "Lansia", "Nama,", "induk"], out
    assert len(lines) == 13, out
    assert any(l.startswith("36.04.02.2001.003") and l.endswith("RT 03, Sukamaju, Kec. Kibin")
               and " 1000 " in l for l in lines), out
    rc, out, err = cli("areas", "show", role="desk")
    assert rc == 0 and len(out.splitlines()) == 53, out
    rc, out, err = cli("areas", "show", "--q", "no such place", role="desk")
    assert rc == 0 and out.strip() == "Tidak ada wilayah.", out
    rc, out, err = cli("areas", "show", "--q", "kibin", "--json", role="desk")
    assert rc == 0 and '"code":"36.04.02"' in out, out
    rc, out, err = cli("areas", "show", "--level", "kota", role="desk")
    assert rc == 1 and "invalid_parameter" in err, err
    rc, out, err = cli("areas", "import", role="admin")
    assert rc == 2 and "FILE" in err, err


def test_redis_away_is_503_and_issues_nothing():
    redis.kill()
    try:
        assert_error(issue({"service": "dose1", "area": "36.04.01"}), 503, "store_unavailable")
        assert_error(d.get("/v1/areas?q=RT", role="desk"), 503, "store_unavailable")
        assert_error(put(csv_of(kabupaten())), 503, "store_unavailable")
    finally:
        redis.start()
    d.wait_redis_up()
    assert areas()["total"] == 52
