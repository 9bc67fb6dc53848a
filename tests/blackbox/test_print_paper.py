"""The words on the printed ticket, as a person at the desk reads them: the
priority by its Indonesian name (the event file's "name", else the usual
one of a well-known id, else the id), the area (a NIK's district code said
to be one), a finished or deferred ticket marked, a cancelled or expired
one never printed.  ESC/POS is read with test_print's parser; ticket.png is
searched for each line drawn with the daemon's own PSF font, pixel for
pixel, so that both formats are checked for the same lines.

One Redis and one antred-test (its clock pinned) for the module."""

import gzip

from harness import PINNED_MS, assert_error, set_test_clock
from test_print import escpos_lines, escpos_parse, event, png_decode, start, stop

FONT = "/usr/share/consolefonts/Lat15-TerminusBold16.psf.gz"   # ticket-font's default
NIK_YOUNG = "3171021505000003"       # district 317102, 15 May 2000
ENGLISH = ("regular", "elderly", "disabled", "pregnant", "priority")
DAY_MS = 24 * 3600 * 1000

redis = None
d = None


EVENTS = [
    event("words"),
    event("named", priorities=[{"id": "elderly", "name": "Lanjut usia"}, {"id": "pregnant"},
                               {"id": "vip"}, {"id": "regular", "name": "Warga umum"}]),
    event("area"),
    event("gone"),
    event("old"),
    event("one", stages=[{"id": "vaccination", "name": "Vaksinasi", "stations": 1}]),
]


def setup_module():
    global redis, d
    redis, d = start(EVENTS)


def teardown_module():
    stop(redis, d)


# ---- the font, by hand ---------------------------------------------------------

def psf_load(path):
    """(width, height, {code point: rows of bits}) of a PSF1 or PSF2 font
    with its Unicode table (sequences skipped, as font.c does)."""
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    if data[:2] == b"\x36\x04":
        n, h, w, rb, off = 512 if data[2] & 1 else 256, data[3], 8, 1, 4
        assert data[2] & 6, "PSF1 without a Unicode table"
        size, width16 = h, True
    else:
        assert data[:4] == b"\x72\xb5\x4a\x86", "not a PSF font"
        off, flags, n, size, h, w = (int.from_bytes(data[i:i + 4], "little")
                                     for i in range(8, 32, 4))
        assert flags & 1, "PSF2 without a Unicode table"
        rb, width16 = (w + 7) // 8, False
    glyphs = [data[off + g * size:off + (g + 1) * size] for g in range(n)]
    table, pos, cmap = off + n * size, 0, {}
    for g in range(n):
        in_seq = False
        while True:
            if width16:
                u = int.from_bytes(data[table + pos:table + pos + 2], "little")
                pos += 2
                if u == 0xffff:
                    break
                if u == 0xfffe:
                    in_seq = True
                elif not in_seq:
                    cmap.setdefault(u, g)
            else:
                b = data[table + pos]
                if b == 0xff:
                    pos += 1
                    break
                if b == 0xfe:
                    in_seq = True
                    pos += 1
                    continue
                k = 1 if b < 0x80 else 2 if b < 0xe0 else 3 if b < 0xf0 else 4
                u = ord(data[table + pos:table + pos + k].decode("utf-8"))
                pos += k
                if not in_seq:
                    cmap.setdefault(u, g)
    font = {}
    for u, g in cmap.items():
        font[u] = [[bool(glyphs[g][y * rb + x // 8] & (0x80 >> (x % 8))) for x in range(w)]
                   for y in range(h)]
    return w, h, font


_font = None


def render(text, scale):
    """text as the daemon draws it: 8-bit grey rows, 0 for ink."""
    global _font
    if _font is None:
        _font = psf_load(FONT)
    w, h, font = _font
    rows = []
    for y in range(h):
        row = b"".join((b"\x00" if px else b"\xff") * scale
                       for c in text for px in font.get(ord(c), font[ord("?")])[y])
        rows.extend([row] * scale)
    return rows


def png_has(png_rows, text, scale=1):
    """Whether ticket.png has the line drawn centred at that scale, every
    pixel of it (ink and paper) as the font draws it."""
    want = render(text, scale)
    x = (len(png_rows[0]) - len(want[0])) // 2
    for y in range(len(png_rows) - len(want) + 1):
        if all(png_rows[y + i][x:x + len(want[0])] == want[i] for i in range(len(want))):
            return True
    return False


# ---- helpers -------------------------------------------------------------------

def issue(ev, **body):
    body.setdefault("service", "dose1")
    st, _, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def pr(ev, tid, what, query=""):
    return d.get("/v1/events/%s/tickets/%s/%s%s" % (ev, tid, what, "?" + query if query else ""),
                 role="desk")


def paper(ev, tid, query=""):
    """(the ESC/POS lines' texts, [(text, sizes, bold)]) of a ticket."""
    st, h, body = pr(ev, tid, "ticket.escpos", query)
    assert st == 200 and h["content-type"] == "application/vnd.escpos", (st, body)
    lines = escpos_lines(escpos_parse(body))
    return [x for x, _, _ in lines], lines


def png_rows(ev, tid, query=""):
    st, h, body = pr(ev, tid, "ticket.png", query)
    assert st == 200 and h["content-type"] == "image/png", (st, body[:200])
    return png_decode(body)[3]


def assert_printed(ev, tid, present, absent=()):
    """Each line of `present` on the ESC/POS ticket and in ticket.png, at
    both widths; no line of `absent` in either, and no English priority
    word anywhere on the ESC/POS paper."""
    for width in (58, 80):
        texts, _ = paper(ev, tid, "width=%d" % width)
        rows = png_rows(ev, tid, "width=%d" % width)
        for line in present:
            assert line in texts, (width, line, texts)
            assert png_has(rows, line), "ticket.png at %d mm lacks %r" % (width, line)
        for line in absent:
            assert line not in texts, (width, line, texts)
            assert not png_has(rows, line), "ticket.png at %d mm has %r" % (width, line)
        low = " ".join(texts).lower()
        assert not [w for w in ENGLISH if w in low], (width, texts)


def station(ev, sid, name, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, sid, name), body, role="station")
    assert st == 200, (name, st, b)
    return b


# ---- the priority ----------------------------------------------------------------

def test_png_search_finds_only_what_is_drawn():
    # the search itself: a line is found where drawn, not elsewhere
    t = issue("words")
    rows = png_rows("words", t["id"])
    assert png_has(rows, "NOMOR ANTREAN") and png_has(rows, t["code"], 5)
    assert not png_has(rows, "NOMOR ANTRIAN") and not png_has(rows, t["code"], 4)


def test_priorities_print_by_their_indonesian_names():
    for prio, name in (("elderly", "Lansia"), ("disabled", "Disabilitas"), ("regular", "Umum")):
        t = issue("words", priority=prio)
        assert t["priority"] == prio, t
        assert_printed("words", t["id"], ["Prioritas: " + name],
                       ["Prioritas: " + prio])
    # the default priority, given none: Umum
    t = issue("words")
    assert_printed("words", t["id"], ["Prioritas: Umum"])


def test_priority_names_from_the_event_file_and_the_fallbacks():
    # named in the file; pregnant by its usual name; an id with no usual
    # name prints as the id
    for prio, name in (("elderly", "Lanjut usia"), ("pregnant", "Ibu hamil"), ("vip", "vip"),
                       ("regular", "Warga umum")):
        t = issue("named", priority=prio)
        texts, _ = paper("named", t["id"])
        assert "Prioritas: " + name in texts, (prio, texts)
        assert png_has(png_rows("named", t["id"]), "Prioritas: " + name), prio
    # the file's name wins over the usual one
    t = issue("named", priority="elderly")
    assert "Prioritas: Lansia" not in paper("named", t["id"])[0]


def test_the_event_says_each_priority_by_the_name_it_prints():
    # the pages name a priority as the paper does: the event answers each
    # priority's name (the file's, else the usual one, else the id)
    st, _, b = d.get("/v1/events/named")
    assert st == 200, b
    names = [(p["id"], p.get("name")) for p in b["event"]["priorities"]]
    assert names == [("elderly", "Lanjut usia"), ("pregnant", "Ibu hamil"), ("vip", "vip"),
                     ("regular", "Warga umum")], names
    st, _, b = d.get("/v1/events")
    assert st == 200, b
    words = [e for e in b["events"] if e["id"] == "words"][0]
    assert [p["name"] for p in words["priorities"]] == ["Lansia", "Disabilitas", "Umum"], words


# ---- the area -------------------------------------------------------------------

def test_area_prints_with_a_label_and_a_nik_district_as_one():
    t = issue("area", nik=NIK_YOUNG)
    assert t["area"] == "317102", t
    assert_printed("area", t["id"], ["Wilayah: Kec. 317102"], ["Wilayah: 317102"])
    t = issue("area", area="RT 03 Sukamaju")
    assert_printed("area", t["id"], ["Wilayah: RT 03 Sukamaju"])
    # no area, no line
    t = issue("area")
    texts, _ = paper("area", t["id"])
    assert not [x for x in texts if x.startswith("Wilayah")], texts


# ---- tickets out of the queue ------------------------------------------------------

def assert_not_printed(ev, tid, code):
    for what in ("ticket.escpos", "ticket.png"):
        for q in ("", "width=80", "width=58&qr=raster"):
            resp = pr(ev, tid, what, q)
            assert_error(resp, 409, code)
            assert isinstance(resp[2], dict) and set(resp[2]) == {"error"}, resp


def test_a_cancelled_ticket_is_not_printed():
    t = issue("gone")
    assert paper("gone", t["id"])[0]                     # printable while it waits
    st, _, b = d.post("/v1/events/gone/tickets/%s/cancel" % t["id"], role="desk")
    assert st == 200 and b["ticket"]["state"] == "cancelled", (st, b)
    assert_not_printed("gone", t["id"], "ticket_cancelled")
    assert_not_printed("gone", t["code"], "ticket_cancelled")
    # its QR still leads to its page, which says it is cancelled
    assert pr("gone", t["id"], "qr.png")[0] == 200


def test_an_expired_ticket_is_not_printed():
    t = issue("old")
    set_test_clock(redis, "old", PINNED_MS + DAY_MS)       # the next day
    st, _, b = d.get("/v1/events/old/board")
    assert st == 200, (st, b)
    st, _, b = d.get("/v1/events/old/tickets/%s" % t["id"], role="desk")
    assert st == 200 and b["ticket"]["state"] == "expired", (st, b)
    assert_not_printed("old", t["id"], "ticket_expired")


def test_a_finished_or_deferred_ticket_reprints_marked():
    sid = "vaccination-1"
    for outcome, mark in (("done", "SELESAI"), ("refused", "DITOLAK"), ("deferred", "DITUNDA")):
        t = issue("one")
        assert station("one", sid, "call")["ticket"]["id"] == t["id"]
        station("one", sid, "start")
        b = station("one", sid, "complete", {"outcome": outcome})
        assert b["ticket"]["state"] == outcome, b
        for width in (58, 80):
            texts, lines = paper("one", t["id"], "width=%d" % width)
            marked = [(x, s, bold) for x, s, bold in lines if x == mark]
            # bold, double width and height, between the code and the service
            assert marked == [(mark, [0x11], 1)], (mark, lines)
            assert texts.index(t["code"]) < texts.index(mark) < texts.index("Dosis 1"), texts
            assert not [x for x in texts if x.startswith("Antrean di depan")], texts
            assert png_has(png_rows("one", t["id"], "width=%d" % width), mark, 3), mark
    # a ticket still in the queue carries no mark
    t = issue("one")
    texts, _ = paper("one", t["id"])
    assert not {"SELESAI", "DITOLAK", "DITUNDA"} & set(texts), texts
    assert not png_has(png_rows("one", t["id"]), "SELESAI", 3)
