"""What the desk prints and what the QR codes lead to: qr.png, qr.svg,
ticket.png and ticket.escpos, each decoded back (zbarimg) to the ticket's
signed status link; the signed links themselves (the status page and the
public JSON read) against forged, truncated, borrowed and missing
signatures; and a station calling the ticket whose QR it scanned.

One Redis and one antred for the module; every test has its own event(s).
Only the standard library: a small PNG encoder and decoder and an ESC/POS
parser live here."""

import copy
import json
import datetime
import os
import re
import struct
import subprocess
import tempfile
import urllib.parse
import zlib

from harness import (DEMO_EVENT, SANITIZER_MARKS, TEST_CLOCK, TOP, Antred, Redis, assert_error,
                     pin_clocks)

redis = None
d = None

LONG_NAME = ("Gebyar Vaksinasi Massal Serentak Kabupaten Bandung Barat bersama "
             "Puskesmas Ngamprah Tahun 2026")          # 94: names are 1 to 95 characters
UTF_NAME = "Vaksinasi K\u00e9camatan Cimahi Utara Jawa Barat"
PHRASE = "Pindai untuk melihat antrean Anda"
NIK_YOUNG = "3171021505000003"       # 317102, 15 May 2000
PRIORITY_NAMES = {"elderly": "Lansia", "disabled": "Disabilitas", "regular": "Umum"}


def event(eid, **over):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    ev.update(over)
    return ev


EVENTS = [
    event("prt"),
    event("svg"),
    event("tpng"),
    event("esc"),
    event("wrap", name=LONG_NAME),
    event("utf", name=UTF_NAME),
    event("siga"),
    event("sigb"),
    event("scan"),
    event("scan2"),
]


def start(events, more_clocks=()):
    """A Redis and an antred-test serving events, every clock pinned (and
    those of more_clocks, for events loaded later): (redis, antred)."""
    r = Redis()
    try:
        pin_clocks(r, list(events) + list(more_clocks))
        a = Antred(r.url, events=events, **TEST_CLOCK)
        a.wait_redis_up()
    except Exception:
        r.stop()
        raise
    return r, a


def stop(r, a):
    try:
        a.stop()
    finally:
        r.stop()


def setup_module():
    global redis, d
    # codes resolve among the day's tickets, two events' first tickets
    # share an id: one event day
    redis, d = start(EVENTS, [event("par")])


def teardown_module():
    stop(redis, d)


# ---- PNG, by hand ------------------------------------------------------------

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _chunk(typ, body):
    return (struct.pack(">I", len(body)) + typ + body +
            struct.pack(">I", zlib.crc32(typ + body) & 0xffffffff))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_encode(rows, filters=(0,)):
    """8-bit grey PNG of `rows` (equal-length bytes, 0 black .. 255 white);
    row y uses filter type filters[y % len(filters)]."""
    h, w = len(rows), len(rows[0])
    out = bytearray()
    prev = bytes(w)
    for y, row in enumerate(rows):
        assert len(row) == w
        ft = filters[y % len(filters)]
        line = bytearray(w)
        for x in range(w):
            a = row[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[ft]
            line[x] = (row[x] - pred) & 0xff
        out.append(ft)
        out += line
        prev = row
    return (PNG_SIG + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            _chunk(b"IDAT", zlib.compress(bytes(out))) + _chunk(b"IEND", b""))


_BITS = [bytes(255 if v >> (7 - i) & 1 else 0 for i in range(8)) for v in range(256)]


def png_decode(data):
    """(width, height, bit depth, rows of 8-bit grey bytes) of a grey PNG,
    1- or 8-bit, not interlaced, any filter types; checks every CRC."""
    assert data[:8] == PNG_SIG, "not a PNG: %r" % data[:16]
    pos, ihdr, idat, seen = 8, None, bytearray(), []
    while True:
        assert pos + 12 <= len(data), "PNG ends inside a chunk"
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        typ, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert len(body) == n and zlib.crc32(typ + body) & 0xffffffff == crc, \
            "bad CRC in %r chunk" % typ
        seen.append(typ)
        pos += 12 + n
        if typ == b"IHDR":
            ihdr = body
        elif typ == b"IDAT":
            idat += body
        elif typ == b"IEND":
            break
    assert pos == len(data), "bytes after IEND"
    assert seen[0] == b"IHDR" and ihdr is not None and idat, seen
    w, h, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", ihdr)
    assert ctype == 0 and depth in (1, 8), "not 1- or 8-bit grey: %r" % (ihdr,)
    assert comp == 0 and filt == 0 and inter == 0, ihdr
    raw = zlib.decompress(bytes(idat))
    stride = (w * depth + 7) // 8
    assert len(raw) == h * (stride + 1), (len(raw), w, h, depth)
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        off = y * (stride + 1)
        ft, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        assert ft <= 4, "unknown filter type %d in row %d" % (ft, y)
        for x in range(stride):
            a = line[x - 1] if x else 0
            b = prev[x]
            if ft == 1:
                line[x] = (line[x] + a) & 0xff
            elif ft == 2:
                line[x] = (line[x] + b) & 0xff
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif ft == 4:
                line[x] = (line[x] + _paeth(a, b, prev[x - 1] if x else 0)) & 0xff
        prev = line
        if depth == 8:
            rows.append(bytes(line))
        else:
            rows.append(b"".join(_BITS[v] for v in line)[:w])
    return w, h, depth, rows


def grid_to_rows(grid, scale):
    """A module grid (True = dark) as 8-bit grey rows, `scale` pixels a module."""
    rows = []
    for g in grid:
        row = b"".join((b"\x00" if dark else b"\xff") * scale for dark in g)
        rows.extend([row] * scale)
    return rows


def zbar(png):
    """What zbarimg reads in the PNG: (exit status, stdout text)."""
    fd, path = tempfile.mkstemp(prefix="antre-qr-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(png)
        p = subprocess.run(["zbarimg", "-q", "--raw", path], capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    finally:
        os.unlink(path)


def assert_decodes_to(png, url, what):
    rc, text = zbar(png)
    assert rc == 0 and text == url + "\n", "%s: zbarimg gave %d %r, want %r" % (what, rc, text, url)


def module_grid(rows, scale):
    """The module grid of a QR image drawn `scale` pixels a module; every
    module must be one solid black or white square."""
    side = len(rows)
    assert side % scale == 0 and all(len(r) == side for r in rows), (side, scale)
    n = side // scale
    grid = []
    for my in range(n):
        g = []
        for mx in range(n):
            v = rows[my * scale][mx * scale]
            assert v in (0, 255), "grey pixel %d at module (%d, %d)" % (v, mx, my)
            block = bytes([v]) * scale
            for dy in range(scale):
                assert rows[my * scale + dy][mx * scale:(mx + 1) * scale] == block, \
                    "module (%d, %d) is not one solid square" % (mx, my)
            g.append(v == 0)
        grid.append(g)
    return grid


def check_quiet_zone(grid):
    """4 light modules all round, then the finder patterns' dark corners."""
    n = len(grid)
    modules = n - 8
    assert modules >= 21 and (modules - 21) % 4 == 0, "not a QR size: %d modules" % modules
    for y in range(n):
        for x in range(n):
            if x < 4 or y < 4 or x >= n - 4 or y >= n - 4:
                assert not grid[y][x], "dark module (%d, %d) in the quiet zone" % (x, y)
    for x, y in ((4, 4), (n - 5, 4), (4, n - 5), (10, 10), (n - 11, 10), (10, n - 11)):
        assert grid[y][x], "finder pattern corner (%d, %d) is not dark" % (x, y)
    return modules


# ---- ESC/POS, by hand ----------------------------------------------------------

ESC, GS = 0x1b, 0x1d


def escpos_parse(data):
    """The stream as a list of commands; fails on any byte sequence it does
    not know.  ("text", str) is a run of printable ASCII."""
    toks, text, i = [], bytearray(), 0

    def need(k):
        assert i + k <= len(data), "command at %d cut short: %r" % (i, data[i:i + 16])

    while i < len(data):
        b = data[i]
        if 0x20 <= b < 0x7f:
            text.append(b)
            i += 1
            continue
        if text:
            toks.append(("text", text.decode("ascii")))
            text = bytearray()
        if b == 0x0a:
            toks.append(("lf",))
            i += 1
        elif b == ESC:
            need(2)
            c = data[i + 1]
            if c == 0x40:
                toks.append(("init",))
                i += 2
            elif c == ord("a"):
                need(3)
                assert data[i + 2] in (0, 1, 2, 48, 49, 50), "ESC a %d" % data[i + 2]
                toks.append(("align", data[i + 2] % 48))
                i += 3
            elif c == ord("E"):
                need(3)
                toks.append(("bold", data[i + 2] & 1))
                i += 3
            else:
                raise AssertionError("unknown ESC 0x%02x at %d" % (c, i))
        elif b == GS:
            need(2)
            c = data[i + 1]
            if c == ord("!"):
                need(3)
                n = data[i + 2]
                assert n & 0x88 == 0, "GS ! 0x%02x: size out of range" % n
                toks.append(("size", n))
                i += 3
            elif c == ord("(") and i + 2 < len(data) and data[i + 2] == ord("k"):
                need(5)
                n = data[i + 3] + data[i + 4] * 256
                need(5 + n)
                assert n >= 2, "GS ( k with %d bytes" % n
                toks.append(("qr", bytes(data[i + 5:i + 5 + n])))
                i += 5 + n
            elif c == ord("v") and i + 2 < len(data) and data[i + 2] == ord("0"):
                need(8)
                m = data[i + 3]
                xb = data[i + 4] + data[i + 5] * 256
                yn = data[i + 6] + data[i + 7] * 256
                need(8 + xb * yn)
                toks.append(("raster", m, xb, yn, bytes(data[i + 8:i + 8 + xb * yn])))
                i += 8 + xb * yn
            elif c == ord("V"):
                need(3)
                m = data[i + 2]
                if m in (65, 66):
                    need(4)
                    toks.append(("cut", m, data[i + 3]))
                    i += 4
                elif m in (0, 1, 48, 49):
                    toks.append(("cut", m, None))
                    i += 3
                else:
                    raise AssertionError("GS V %d at %d" % (m, i))
            else:
                raise AssertionError("unknown GS 0x%02x at %d" % (c, i))
        else:
            raise AssertionError("unknown byte 0x%02x at %d: %r" % (b, i, data[max(0, i - 8):i + 8]))
    if text:
        toks.append(("text", text.decode("ascii")))
    return toks


def escpos_lines(toks):
    """The printed lines: [(text, [GS ! size of each text run], bold)], one per LF."""
    lines, cur, sizes, size, bold, lbold = [], "", [], 0, 0, 0
    for t in toks:
        if t[0] == "text":
            cur += t[1]
            sizes.append(size)
            lbold = bold
        elif t[0] == "size":
            size = t[1]
        elif t[0] == "bold":
            bold = t[1]
        elif t[0] == "lf":
            lines.append((cur, sizes, lbold))
            cur, sizes, lbold = "", [], 0
    if cur:
        lines.append((cur, sizes, lbold))
    return lines


def wrap(text, cols):
    """The wrapping the protocol describes: at spaces, greedily, to cols."""
    lines, line = [], ""
    for w in [w for w in text.split(" ") if w]:
        if line and len(line) + 1 + len(w) > cols:
            lines.append(line)
            line = ""
        line = line + " " + w if line else w
    lines.append(line)
    return lines


# ---- helpers ------------------------------------------------------------------

def issue(ev, **body):
    body.setdefault("service", "dose1")
    st, h, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (st, b)
    assert b["qr"] == b["status_url"], b
    assert re.match(r"^http://127\.0\.0\.1:%d/t/%s/%s\?sig=[A-Za-z0-9_-]{16}$"
                    % (d.port, re.escape(ev), re.escape(b["ticket"]["id"])), b["status_url"]), b
    return b["ticket"], b["status_url"]


def local(url):
    """The path and query of a status_url, to ask antred for."""
    u = urllib.parse.urlsplit(url)
    return u.path + "?" + u.query


def sig_of(url):
    return url.rsplit("?sig=", 1)[1]


def pr(ev, tid, what, query="", role="desk"):
    path = "/v1/events/%s/tickets/%s/%s" % (ev, tid, what)
    return d.get(path + ("?" + query if query else ""), role=role)


def get_ticket(ev, ref):
    st, _, b = d.get("/v1/events/%s/tickets/%s" % (ev, ref), role="station")
    assert st == 200, (st, b)
    return b["ticket"]


def board_station(ev, sid):
    st, _, b = d.get("/v1/events/%s/board" % ev)
    assert st == 200, (st, b)
    return [s for s in b["stations"] if s["id"] == sid][0]


def qr_png(ev, tid, scale, depth):
    st, h, body = pr(ev, tid, "qr.png", "scale=%d&depth=%d" % (scale, depth))
    assert st == 200, (st, body)
    assert h["content-type"] == "image/png", h
    w, hh, dep, rows = png_decode(body)
    return body, w, hh, dep, rows


def escpos(ev, tid, query=""):
    st, h, body = pr(ev, tid, "ticket.escpos", query)
    assert st == 200, (st, body)
    assert h["content-type"] == "application/vnd.escpos", h
    assert isinstance(body, bytes) and body, body
    return escpos_parse(body)


# ---- 0. the codec itself -------------------------------------------------------

def test_png_codec_round_trip_with_every_filter():
    rows = [bytes((x * 37 + y * 11 + (x * y) % 7) & 0xff for x in range(13)) for y in range(9)]
    for filters in ((0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)):
        w, h, depth, back = png_decode(png_encode(rows, filters))
        assert (w, h, depth) == (13, 9, 8) and back == rows, filters
    # 1-bit, packed MSB first, 1 = white, a width that is not a multiple of 8
    bits = [[(x + y) % 3 == 0 for x in range(11)] for y in range(3)]
    raw = b""
    for row in bits:
        v = 0
        for x, white in enumerate(row):
            v |= white << (15 - x)
        raw += b"\x00" + struct.pack(">H", v)
    png = (PNG_SIG + _chunk(b"IHDR", struct.pack(">IIBBBBB", 11, 3, 1, 0, 0, 0, 0)) +
           _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))
    w, h, depth, back = png_decode(png)
    assert (w, h, depth) == (11, 3, 1), (w, h, depth)
    assert back == [bytes(255 if b else 0 for b in row) for row in bits], back
    # zbarimg reads what the encoder writes: 4 is "read the image, found no
    # symbol" (a white square); 1 would be an image it could not read, which
    # "anything but 0" let pass
    rc, text = zbar(png_encode([b"\xff" * 40] * 40))
    assert rc == 4 and text == "", (rc, text)


# ---- 1. qr.png -----------------------------------------------------------------

def test_qr_png_decodes_to_the_status_url_at_every_scale_and_depth():
    ev = "prt"
    t, url = issue(ev)
    grids = {}
    for scale in (4, 8):
        for depth in (1, 8):
            png, w, h, dep, rows = qr_png(ev, t["id"], scale, depth)
            assert dep == depth and w == h, (scale, depth, w, h, dep)
            assert w % scale == 0, (w, scale)
            grid = module_grid(rows, scale)
            modules = check_quiet_zone(grid)
            assert w == (modules + 8) * scale, (w, modules, scale)
            grids[(scale, depth)] = grid
            assert_decodes_to(png, url, "qr.png scale %d depth %d" % (scale, depth))
    first = grids[(4, 1)]
    assert all(g == first for g in grids.values()), "scale or depth changed the code itself"
    # the default: scale 8, 1-bit
    st, h, png = pr(ev, t["id"], "qr.png")
    assert st == 200 and h["content-type"] == "image/png", (st, h)
    w, _, dep, rows = png_decode(png)
    assert dep == 1 and module_grid(rows, 8) == first, (w, dep)
    # by code as well as by id: the same code
    st, h, png2 = pr(ev, t["code"], "qr.png", "scale=4&depth=1")
    assert st == 200 and module_grid(png_decode(png2)[3], 4) == first
    # scale 1 and 32, the ends of the range
    for scale in (1, 32):
        png, w, h, dep, rows = qr_png(ev, t["id"], scale, 1)
        assert w == h == len(first) * scale, (scale, w, h)
        assert module_grid(rows, scale) == first
    assert_decodes_to(png, url, "qr.png scale 32")


def test_print_parameters_out_of_range_are_refused():
    # Its own antred, so that a crash here does not take the other tests'
    # daemon with it (print_get once wrote to the freed request after
    # query_int had answered 400).
    global d
    shared, d = d, Antred(redis.url, events=[event("par")], **TEST_CLOCK)
    failure = None
    try:
        d.wait_redis_up()
        ev = "par"
        t, _ = issue(ev)
        bad = [("qr.png", q) for q in ("scale=0", "scale=33", "scale=x", "scale=", "scale=4x",
                                       "scale=-1", "depth=4", "depth=0", "depth=2", "depth=16",
                                       "scale=8&depth=4")]
        bad += [(w, q) for w in ("ticket.escpos", "ticket.png")
                for q in ("width=60", "width=0", "width=57", "width=81", "width=x", "width=")]
        bad += [("ticket.escpos", q) for q in ("qr=foo", "qr=", "qr=NATIVE", "width=80&qr=foo")]
        bad += [("ticket.png", "qr=foo")]
        for what, q in bad:
            resp = pr(ev, t["id"], what, q)
            assert_error(resp, 400, "invalid_parameter")
        # checked before the store is asked: the same for a ticket that is not there
        assert_error(pr(ev, "20000101-A999", "qr.png", "scale=0"), 400, "invalid_parameter")
        assert_error(pr(ev, "20000101-A999", "ticket.escpos", "qr=foo"), 400, "invalid_parameter")
        # and the daemon is still well
        assert pr(ev, t["id"], "qr.png")[0] == 200
    except Exception as e:          # reported below, after any sanitizer report
        failure = e
    finally:
        dd, d = d, shared
        log = dd.stop(check=False)
    for mark in SANITIZER_MARKS:
        assert mark not in log, "sanitizer report from antred:\n" + log[-4000:]
    if failure is not None:
        raise failure
    assert dd.proc.returncode == 0, "antred exit %s:\n%s" % (dd.proc.returncode, log[-3000:])


def test_print_routes_are_the_desks():
    ev = "prt"
    t, url = issue(ev)
    assert_error(pr(ev, "20000101-A999", "qr.png"), 404, "ticket_not_found")
    assert_error(pr(ev, "20000101-A999", "qr.svg"), 404, "ticket_not_found")
    assert_error(pr(ev, "20000101-A999", "ticket.escpos"), 404, "ticket_not_found")
    # no token, a station token, or the ticket's signature alone will not do
    for what in ("qr.png", "qr.svg", "ticket.escpos", "ticket.png"):
        assert_error(d.get("/v1/events/%s/tickets/%s/%s" % (ev, t["id"], what)), 401, "unauthorized")
        assert_error(pr(ev, t["id"], what, role="station"), 403, "forbidden")
        assert_error(d.get("/v1/events/%s/tickets/%s/%s?sig=%s" % (ev, t["id"], what,
                                                                   sig_of(url))),
                     401, "unauthorized")
        st, _, body = pr(ev, t["id"], what, role="admin")
        assert st == 200 and body, (what, st)


# ---- 2. qr.svg -----------------------------------------------------------------

def svg_grid(svg):
    m = re.fullmatch(r'<\?xml version="1\.0" encoding="UTF-8"\?>\n'
                     r'<svg xmlns="http://www\.w3\.org/2000/svg" viewBox="0 0 (\d+) (\d+)" '
                     r'shape-rendering="crispEdges">\n'
                     r'<rect width="(\d+)" height="(\d+)" fill="#fff"/>\n'
                     r'<path fill="#000" d="([^"]*)"/>\n</svg>\n', svg)
    assert m, "unexpected SVG:\n" + svg[:600]
    n = int(m.group(1))
    assert m.group(2) == m.group(3) == m.group(4) == str(n), m.groups()[:4]
    assert svg.count("<path") == 1
    path = m.group(5)
    grid = [[False] * n for _ in range(n)]
    pos = 0
    cmd = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")
    while pos < len(path):
        c = cmd.match(path, pos)
        assert c, "unknown path command at %d: %r" % (pos, path[pos:pos + 40])
        x, y, run, back = map(int, c.groups())
        assert run == back and run >= 1 and x + run <= n and y < n, c.group(0)
        assert not grid[y][x - 1] if x else True, "two runs touch: " + c.group(0)
        for i in range(run):
            assert not grid[y][x + i], "overlapping runs: " + c.group(0)
            grid[y][x + i] = True
        assert x + run == n or not grid[y][x + run], "two runs touch: " + c.group(0)
        pos = c.end()
    return n, grid


def test_qr_svg_is_the_same_code_and_decodes_to_the_status_url():
    ev = "svg"
    t, url = issue(ev)
    st, h, body = pr(ev, t["id"], "qr.svg")
    assert st == 200 and h["content-type"] == "image/svg+xml", (st, h)
    svg = body.decode("utf-8")
    n, grid = svg_grid(svg)
    modules = check_quiet_zone(grid)
    assert n == modules + 8, (n, modules)
    _, _, _, _, rows = qr_png(ev, t["id"], 4, 1)
    assert grid == module_grid(rows, 4), "qr.svg and qr.png draw different codes"
    assert_decodes_to(png_encode(grid_to_rows(grid, 8)), url, "qr.svg rendered at scale 8")
    # scale and depth mean nothing to the SVG
    st, _, again = pr(ev, t["id"], "qr.svg", "scale=2&depth=8")
    assert st == 200 and again == body


# ---- 3. ticket.png -------------------------------------------------------------

def test_ticket_png_is_paper_wide_and_decodes_to_the_status_url():
    ev = "tpng"
    t, url = issue(ev)
    for width, px in ((58, 384), (80, 576), (None, 384)):
        st, h, png = pr(ev, t["id"], "ticket.png", "width=%d" % width if width else "")
        assert st == 200 and h["content-type"] == "image/png", (st, h, png[:200])
        w, hh, depth, rows = png_decode(png)
        assert (w, depth) == (px, 1), (width, w, depth)
        assert 200 < hh < 2400, (width, hh)
        assert all(v in (0, 255) for v in rows[0]) and rows[0] == b"\xff" * w, "top margin"
        assert rows[-1] == b"\xff" * w, "bottom margin"
        assert_decodes_to(png, url, "ticket.png width %s" % width)


# ---- 4. ticket.escpos ----------------------------------------------------------

def check_ticket_stream(toks, t, url, name, width, raster, position):
    cols = 32 if width == 58 else 48
    assert toks[0] == ("init",), toks[:3]
    assert toks[-1] == ("cut", 66, 3), toks[-3:]
    assert ("init",) not in toks[1:] and sum(x[0] == "cut" for x in toks) == 1
    assert ("align", 1) in toks[:3], toks[:4]
    lines = escpos_lines(toks)
    for text, sizes, _ in lines:
        mult = max([(s >> 4) + 1 for s in sizes] or [1])
        assert len(text) * mult <= cols, "line wider than %d columns: %r" % (cols, text)
    # the event name, bold, wrapped
    bold = [text for text, _, b in lines if b]
    assert bold == wrap(name, cols), (bold, wrap(name, cols))
    texts = [text for text, _, _ in lines]
    assert "NOMOR ANTREAN" in texts, texts
    # the code, large: GS ! 0x33 before it, GS ! 0 after it
    k = toks.index(("text", t["code"]))
    assert toks[k - 1] == ("size", 0x33) and toks[k + 1] == ("size", 0), toks[k - 2:k + 3]
    assert texts.index(t["code"]) > texts.index("NOMOR ANTREAN")
    # the service at double height
    k = toks.index(("text", "Dosis 1"))
    assert toks[k - 1] == ("size", 0x01) and toks[k + 1] in (("lf",), ("size", 0)), toks[k - 2:k + 3]
    # by its Indonesian name (test_print_paper has the rest of the words)
    assert "Prioritas: " + PRIORITY_NAMES[t["priority"]] in texts, texts
    issued = datetime.datetime.fromisoformat(t["issued_at"])
    assert issued.strftime("Diambil: %d/%m/%Y %H:%M WIB") in texts, (t["issued_at"], texts)
    ahead = [x for x in texts if x.startswith("Antrean di depan Anda")]
    if position is None:
        assert ahead == [], texts
    else:
        assert ahead == ["Antrean di depan Anda: %d" % position], texts
    # the QR
    qrs = [i for i, x in enumerate(toks) if x[0] == "qr"]
    rasters = [i for i, x in enumerate(toks) if x[0] == "raster"]
    module = 8 if width == 80 else 6
    if raster:
        assert qrs == [] and len(rasters) == 1, (qrs, rasters)
        qi = rasters[0]
    else:
        assert rasters == [] and len(qrs) == 5 and qrs == list(range(qrs[0], qrs[0] + 5)), qrs
        payloads = [toks[i][1] for i in qrs]
        assert payloads[0] == bytes([49, 65, 50, 0]), payloads[0]          # model 2
        assert payloads[1] == bytes([49, 67, module]), payloads[1]         # module size
        assert payloads[2] == bytes([49, 69, 49]), payloads[2]             # M (qr-ecc default)
        assert payloads[3][:3] == bytes([49, 80, 48]), payloads[3][:3]     # store
        assert payloads[3][3:] == url.encode(), (payloads[3][3:], url)
        assert payloads[4] == bytes([49, 81, 48]), payloads[4]             # print
        qi = qrs[0]
    # after the QR, the phrase (wrapped as any other line), then the cut
    after = escpos_lines(toks[qi:])
    after_text = [x for x, _, _ in after if x]
    assert after_text == wrap(PHRASE, cols), (after_text, wrap(PHRASE, cols))
    assert PHRASE in " ".join(after_text)
    before = [x for x, _, _ in escpos_lines(toks[:qi])]
    assert not any("Pindai" in x for x in before), before
    return lines


def raster_png(tok, dots):
    _, m, xb, yn, img = tok
    assert m == 0, "GS v 0 mode %d" % m
    assert xb * 8 <= dots, "raster %d dots wide on %d-dot paper" % (xb * 8, dots)
    rows = []
    for y in range(yn):
        line = img[y * xb:(y + 1) * xb]
        rows.append(bytes(255 - v for v in b"".join(_BITS[b] for b in line)))   # 1 = black
    return rows


def test_escpos_native_qr():
    ev = "esc"
    t, url = issue(ev)
    t2, url2 = issue(ev)
    for width in (58, 80):
        toks = escpos(ev, t2["id"], "width=%d" % width)
        check_ticket_stream(toks, t2, url2, DEMO_EVENT["name"], width, False, 1)
        toks = escpos(ev, t["id"], "width=%d&qr=native" % width)
        check_ticket_stream(toks, t, url, DEMO_EVENT["name"], width, False, 0)
    # the defaults: 58 mm, native
    assert escpos(ev, t["id"]) == escpos(ev, t["id"], "width=58&qr=native")
    # once called, no position line
    st, _, b = d.post("/v1/events/%s/stations/registration-1/call" % ev, {"ticket": t["id"]},
                      role="station")
    assert st == 200 and b["ticket"]["state"] == "called", (st, b)
    check_ticket_stream(escpos(ev, t["id"]), b["ticket"], url, DEMO_EVENT["name"], 58, False, None)


def test_escpos_raster_qr_decodes_to_the_status_url():
    ev = "esc"
    t, url = issue(ev)
    _, _, _, _, rows = qr_png(ev, t["id"], 1, 1)
    grid = module_grid(rows, 1)
    for width, dots, scale in ((58, 384, 6), (80, 576, 8)):
        toks = escpos(ev, t["id"], "width=%d&qr=raster" % width)
        check_ticket_stream(toks, t, url, DEMO_EVENT["name"], width, True, t["position"])
        tok = [x for x in toks if x[0] == "raster"][0]
        img = raster_png(tok, dots)
        side = len(grid) * scale
        assert tok[3] == side and tok[2] == (side + 7) // 8, (tok[2], tok[3], side)
        assert all(r[side:] == b"\xff" * (len(r) - side) for r in img), "padding bits set"
        img = [r[:side] for r in img]
        assert module_grid(img, scale) == grid, "the raster QR is not the qr.png code"
        assert_decodes_to(png_encode(img), url, "GS v 0 raster at %d mm" % width)


def test_escpos_wraps_at_the_paper_width():
    ev = "wrap"
    t, url = issue(ev)
    assert wrap(LONG_NAME, 32) != wrap(LONG_NAME, 48)
    assert any(len(x) > 32 for x in wrap(LONG_NAME, 48))
    got = {}
    for width in (58, 80):
        for mode in ("native", "raster"):
            toks = escpos(ev, t["id"], "width=%d&qr=%s" % (width, mode))
            lines = check_ticket_stream(toks, t, url, LONG_NAME, width, mode == "raster", 0)
            got[width] = [x for x, _, b in lines if b]
    assert got[58] == wrap(LONG_NAME, 32) and got[80] == wrap(LONG_NAME, 48), got
    assert " ".join(got[58]) == " ".join(got[80]) == LONG_NAME
    assert got[58] != got[80] and max(map(len, got[80])) > 32, got


def test_escpos_text_is_ascii_and_wraps_by_printed_characters():
    ev = "utf"
    t, url = issue(ev)
    name = UTF_NAME.replace("\u00e9", "?")
    assert len("Vaksinasi K?camatan Cimahi Utara") == 32
    for width in (58, 80):
        toks = escpos(ev, t["id"], "width=%d" % width)      # the parser refuses bytes >= 0x80
        got = [x for x, _, b in escpos_lines(toks) if b]
        assert " ".join(got) == name, got
        # lines are measured in printed characters ("\u00e9" is two bytes,
        # one '?'), so a 32-character line with an accent still fits 58 mm
        assert got == wrap(name, 32 if width == 58 else 48), (width, got)


# ---- 5. signed links -------------------------------------------------------------

def status_page(path):
    return d.get(path)


def assert_invalid_page(resp, secrets, what):
    st, h, body = resp
    assert st == 403, "%s: status page %d, want 403: %r" % (what, st, body[:300])
    assert h.get("content-type", "").startswith("text/html"), (what, h)
    text = body.decode("utf-8")
    assert "Tiket tidak valid" in text, (what, text)
    for s in secrets:
        assert s not in text, "%s: the 403 page gives away %r" % (what, s)


def assert_invalid_json(resp, secrets, what):
    st, h, body = resp
    assert st == 403, "%s: JSON read %d, want 403 invalid_signature: %r" % (what, st, body)
    assert_error(resp, 403, "invalid_signature")
    assert set(body) == {"error"}, body
    text = str(body)
    for s in secrets:
        assert s not in text, "%s: the 403 gives away %r" % (what, s)


def bad_links(ev_a, ev_b):
    """(what, event, id, query) for every forged or borrowed link, and the
    tickets they are about."""
    ta, url_a = issue(ev_a, nik=NIK_YOUNG)
    tb, url_b = issue(ev_a)
    ua, url_ua = issue(ev_b)
    sa, sb, sua = sig_of(url_a), sig_of(url_b), sig_of(url_ua)
    assert ta["id"] == ua["id"], "both events' first tickets share an id: %r %r" % (ta, ua)
    assert len({sa, sb, sua}) == 3
    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bad = []
    for i in range(len(sa)):
        c = abc[(abc.index(sa[i]) + 1) % 64]
        bad.append(("sig with character %d changed" % i, ev_a, ta["id"],
                    "sig=" + sa[:i] + c + sa[i + 1:]))
    bad += [
        ("truncated sig", ev_a, ta["id"], "sig=" + sa[:-1]),
        ("half a sig", ev_a, ta["id"], "sig=" + sa[:8]),
        ("sig one character too long", ev_a, ta["id"], "sig=" + sa + "A"),
        ("sig with base64 padding", ev_a, ta["id"], "sig=" + sa + "%3D%3D"),
        ("sig in lower case", ev_a, ta["id"], "sig=" + sa.lower()),
        ("empty sig", ev_a, ta["id"], "sig="),
        ("another ticket's sig", ev_a, ta["id"], "sig=" + sb),
        ("this ticket's sig on another ticket", ev_a, tb["id"], "sig=" + sa),
        ("event A's sig under event B", ev_b, ta["id"], "sig=" + sa),
        ("event B's sig under event A", ev_a, ua["id"], "sig=" + sua),
        ("unknown ticket, random sig", ev_a, "20000101-A999", "sig=Zm9yZ2VkLWxpbmstMDE"),
        ("unknown ticket, a real sig", ev_a, "20000101-A999", "sig=" + sa),
        ("by code with another ticket's sig", ev_a, ta["code"], "sig=" + sb),
        ("unknown event", "nosuch", ta["id"], "sig=" + sa),
    ]
    if sa.lower() == sa:
        bad = [x for x in bad if x[0] != "sig in lower case"]
    return ta, url_a, tb, ua, bad


def test_signed_links_hold_only_for_their_own_ticket():
    ta, url_a, tb, ua, bad = bad_links("siga", "sigb")
    secrets = [ta["code"], tb["code"], ta["id"] + '"', NIK_YOUNG, "317102"]
    # the real link: the status page and the public JSON
    st, h, body = status_page(local(url_a))
    assert st == 200 and h["content-type"].startswith("text/html"), (st, h, body[:300])
    with open(os.path.join(TOP, "clients", "web", "status.html"), "rb") as f:
        assert body == f.read()
    st, h, b = d.get("/v1/events/siga/tickets/%s?sig=%s" % (ta["id"], sig_of(url_a)))
    assert st == 200, (st, b)
    pub = b["ticket"]
    assert set(b) == {"ticket"}, b
    full = get_ticket("siga", ta["id"])
    assert full["area"] == "317102" and full["visits"], full       # from the NIK
    want = {k: v for k, v in full.items() if k not in ("area", "priority", "visits")}
    assert pub == want, (pub, want)
    assert not {"area", "priority", "visits", "nik"} & set(pub), pub
    assert NIK_YOUNG not in str(b) and "317102" not in str(b), b
    # with a token, the whole ticket, signature or not
    for q in ("", "?sig=" + sig_of(url_a), "?sig=forged"):
        st, _, b = d.get("/v1/events/siga/tickets/%s%s" % (ta["id"], q), role="desk")
        assert st == 200 and b["ticket"] == full, (q, st, b)
        assert NIK_YOUNG not in str(b)
    # every bad link: 403 both ways, nothing about the ticket in the answer
    for what, ev, tid, q in bad:
        assert_invalid_page(status_page("/t/%s/%s?%s" % (ev, tid, q)), secrets, what)
        if ev != "nosuch":
            assert_invalid_json(d.get("/v1/events/%s/tickets/%s?%s" % (ev, tid, q)), secrets, what)
    assert_error(d.get("/v1/events/nosuch/tickets/%s?sig=%s" % (ta["id"], sig_of(url_a))),
                 404, "unknown_event")
    # the right links still work after all that, for both events
    assert status_page(local(url_a))[0] == 200
    st, _, b = d.get(local(url_a).replace("/t/siga/", "/v1/events/siga/tickets/"))
    assert st == 200 and b["ticket"]["id"] == ta["id"], (st, b)


def test_missing_signature_is_refused_like_a_forged_one():
    t, url = issue("siga")
    secrets = [t["code"]]
    over_long = "sig=" + "A" * 200                      # too long to be read at all
    cases = [("no sig", "/t/siga/%s" % t["id"], "/v1/events/siga/tickets/%s" % t["id"]),
             ("no sig, another parameter", "/t/siga/%s?x=1" % t["id"],
              "/v1/events/siga/tickets/%s?x=1" % t["id"]),
             ("over-long sig", "/t/siga/%s?%s" % (t["id"], over_long),
              "/v1/events/siga/tickets/%s?%s" % (t["id"], over_long))]
    for what, page, api in cases:
        assert_invalid_page(status_page(page), secrets, what)
    # The JSON form without a token and without any sig is simply an
    # unauthenticated operator request (401); a sig that is there but cannot
    # be right, however long, is a bad link (403).
    for what, page, api in cases:
        if what.startswith("no sig"):
            st, _, body = d.get(api)
            assert st == 401 and body["error"]["code"] == "unauthorized", (what, st, body)
            assert t["code"] not in json.dumps(body)
        else:
            assert_invalid_json(d.get(api), secrets, what)


# ---- 6. scanning at a station ------------------------------------------------------

def test_station_calls_the_ticket_whose_qr_it_scans():
    ev, sid = "scan", "registration-1"
    path = "/v1/events/%s/stations/%s/call" % (ev, sid)
    t1, u1 = issue(ev)
    t2, u2 = issue(ev)
    t3, u3 = issue(ev)
    o1, uo = issue("scan2")
    assert o1["id"] == t1["id"]
    s3 = sig_of(u3)
    forged = u3[:-1] + ("A" if s3[-1] != "A" else "B")
    before = {t["id"]: get_ticket(ev, t["id"]) for t in (t1, t2, t3)}
    refusals = [
        ({"qr": forged}, 403, "invalid_signature"),
        ({"qr": u3[:-1]}, 403, "invalid_signature"),
        ({"qr": u3 + "x"}, 403, "invalid_signature"),
        ({"qr": u3.split("?sig=")[0]}, 403, "invalid_signature"),
        ({"qr": u3.split("?sig=")[0] + "?sig="}, 403, "invalid_signature"),
        ({"qr": u3.replace(t3["id"], t1["id"])}, 403, "invalid_signature"),
        ({"qr": uo}, 403, "invalid_signature"),                         # another event's
        ({"qr": uo.replace("/t/scan2/", "/t/scan/")}, 403, "invalid_signature"),
        ({"qr": u3.replace("/t/scan/", "/t/scan2/")}, 403, "invalid_signature"),
        ({"qr": u3.replace(t3["id"], "20000101-A999")}, 403, "invalid_signature"),
        ({"qr": "hello"}, 403, "invalid_signature"),
        ({"qr": ""}, 403, "invalid_signature"),
        ({"qr": 5}, 400, "invalid_field"),
        ({"qr": ["x"]}, 400, "invalid_field"),
        ({"qr": {"url": u3}}, 400, "invalid_field"),
        ({"qr": True}, 400, "invalid_field"),
    ]
    for body, status, code in refusals:
        resp = d.post(path, body, role="station")
        assert_error(resp, status, code)
        assert t3["code"] not in str(resp[2]), (body, resp)
        assert board_station(ev, sid)["ticket"] is None, body
        for tid, b in before.items():
            assert get_ticket(ev, tid) == b, "a refused scan changed %s: %r" % (tid, body)
    # the real QR of the third: that one is called, not the first in line
    st, _, b = d.post(path, {"qr": u3}, role="station")
    assert st == 200, (st, b)
    c = b["ticket"]
    assert c["id"] == t3["id"] and c["code"] == t3["code"], c
    assert c["state"] == "called" and c["station"] == sid, c
    assert board_station(ev, sid)["ticket"] == {"id": t3["id"], "code": t3["code"],
                                                 "state": "called"}
    g1, g2 = get_ticket(ev, t1["id"]), get_ticket(ev, t2["id"])
    assert g1["state"] == g2["state"] == "waiting", (g1, g2)
    assert (g1["position"], g2["position"]) == (0, 1), (g1, g2)
    assert get_ticket(ev, t3["id"]) == c
    # the station is busy now: a good scan is refused as any call would be
    assert_error(d.post(path, {"qr": u1}, role="station"), 409, "station_busy")
    assert get_ticket(ev, t1["id"]) == g1
    # scanning the called ticket at another station: it cannot be called twice
    assert_error(d.post("/v1/events/%s/stations/registration-2/call" % ev, {"qr": u3},
                        role="station"), 409, "invalid_transition")
    # only a station may scan
    assert_error(d.post(path, {"qr": u1}, role="desk"), 403, "forbidden")
    # a plain call afterwards still takes the first in line
    st, _, b = d.post("/v1/events/%s/stations/registration-2/call" % ev, None, role="station")
    assert st == 200 and b["ticket"]["id"] == t1["id"], (st, b)
