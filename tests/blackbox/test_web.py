"""GET /web/{file}: the static pages' files, and everything that is not one.

antred runs with its own temporary web root holding a page, a stylesheet,
a hidden file, a directory, a symlink to a file outside the root, a
symlink inside it, and a FIFO, next to a secret file outside the root.
Only regular files in the root itself are served; the rest are 404, and a
FIFO (which a plain open() would block on until a writer came) leaves the
loop free: /healthz answers at once after it."""

import http.client
import os
import shutil
import socket
import tempfile
import threading

from harness import TOP, Antred, Redis, assert_error

redis = None
d = None
tmp = None

PAGE = b"<!doctype html><title>t</title><p>ok</p>\n"
CSS = b"body { color: #123; }\n"
SECRET = b"secret outside the web root\n"


def setup_module():
    global redis, d, tmp
    tmp = tempfile.mkdtemp(prefix="antre-web-")
    root = os.path.join(tmp, "web")
    os.mkdir(root)
    with open(os.path.join(tmp, "secret.html"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(root, "page.html"), "wb") as f:
        f.write(PAGE)
    with open(os.path.join(root, "style.css"), "wb") as f:
        f.write(CSS)
    with open(os.path.join(root, ".hidden.css"), "wb") as f:
        f.write(CSS)
    # status.html: the status page's file
    shutil.copy(os.path.join(TOP, "clients", "web", "status.html"), root)
    os.mkdir(os.path.join(root, "dir.html"))
    os.symlink(os.path.join(tmp, "secret.html"), os.path.join(root, "out.html"))
    os.symlink("../secret.html", os.path.join(root, "rel.html"))
    os.symlink("page.html", os.path.join(root, "alias.html"))
    os.symlink("/dev/zero", os.path.join(root, "zero.css"))
    os.mkfifo(os.path.join(root, "fifo.html"))
    redis = Redis()                  # started by its constructor
    # the harness's web-root line comes first; the last one holds
    d = Antred(redis.url, extra=["web-root %s" % root])
    d.wait_redis_up()


def unblock_fifo():
    """Opens the FIFO's write end (if antred is blocked opening its read end,
    that frees it), so a failing run can still stop antred."""
    try:
        fd = os.open(os.path.join(tmp, "web", "fifo.html"), os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def teardown_module():
    try:
        unblock_fifo()
        d.stop()
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def raw_get(path, timeout=5):
    """GET with the path sent exactly as given (no client normalisation)."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path)
        out = b""
        while True:
            data = s.recv(65536)
            if not data:
                return out
            out += data
    finally:
        s.close()


def test_files_served():
    st, h, body = d.get("/web/page.html")
    assert st == 200 and body == PAGE, (st, body)
    assert h["content-type"] == "text/html; charset=utf-8", h
    st, h, body = d.get("/web/style.css")
    assert st == 200 and body == CSS and h["content-type"].startswith("text/css"), (st, h)
    # HEAD: the same, headers only
    st, h, body = d.request("HEAD", "/web/style.css")
    assert st == 200 and body == b"" and h["content-length"] == str(len(CSS)), (st, h)


def test_traversal_refused():
    for path in (b"/web/../secret.html", b"/web/..%2Fsecret.html", b"/web/%2e%2e%2fsecret.html",
                 b"/web/%2E%2E/secret.html", b"/web/..%5csecret.html", b"/web/....html",
                 b"/web/..", b"/web/%2e%2e", b"/web/page.html%00.css", b"/web/page%2ehtml",
                 b"/web//secret.html", b"/web/./page.html", b"/web/web/page.html"):
        out = raw_get(path)
        assert out.startswith(b"HTTP/1.1 404 ") or out.startswith(b"HTTP/1.1 400 "), (path, out)
        assert SECRET not in out and PAGE not in out, (path, out)


def test_hidden_files_refused():
    assert_error(d.get("/web/.hidden.css"), 404, "not_found")
    assert_error(d.get("/web/.page.html"), 404, "not_found")


def test_directory_refused():
    assert_error(d.get("/web/dir.html"), 404, "not_found")


def test_symlinks_refused():
    # out of the root, absolute and relative, and a device
    for name in ("out.html", "rel.html", "zero.css"):
        st, h, body = d.get("/web/" + name)
        assert st == 404 and body["error"]["code"] == "not_found", (name, st, body)
    # even one that stays inside: the root's files are regular files
    assert_error(d.get("/web/alias.html"), 404, "not_found")


def test_fifo_does_not_block_the_loop():
    """A request for the FIFO, then /healthz on another connection: both
    answer at once (the old open() waited for a writer, with the loop)."""
    result = {}

    def fifo():
        try:
            result["fifo"] = d.get("/web/fifo.html", timeout=5)
        except Exception as e:                       # reported below
            result["fifo"] = e

    t = threading.Thread(target=fifo)
    t.start()
    try:
        st, _, body = d.get("/healthz", timeout=3)
        assert st == 200, (st, body)
    finally:
        unblock_fifo()
        t.join(10)
    assert not t.is_alive()
    got = result["fifo"]
    assert not isinstance(got, Exception), got
    assert_error(got, 404, "not_found")
    # and twice more, the loop still free
    for _ in range(2):
        assert_error(d.get("/web/fifo.html", timeout=3), 404, "not_found")


def test_status_page_from_the_root():
    """The signed status page is web-root/status.html, with the same rules."""
    st, _, b = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
    assert st == 201, b
    path = b["status_url"].split("127.0.0.1:%d" % d.port, 1)[1]
    st, h, page = d.get(path)
    with open(os.path.join(TOP, "clients", "web", "status.html"), "rb") as f:
        assert st == 200 and page == f.read(), (st, page[:200])
    assert h["content-security-policy"].startswith("default-src 'self'"), h


def test_files_cached_by_etag():
    """Web files: cacheable but checked on every use (no-cache) with an
    ETag; the same copy is 304 without a body, a changed file a new tag;
    the API stays no-store."""
    st, h, body = d.get("/web/page.html")
    assert st == 200 and h["cache-control"] == "no-cache", h
    tag = h["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2, tag
    assert d.get("/web/page.html")[1]["etag"] == tag, "the same file, the same tag"
    assert d.get("/web/style.css")[1]["etag"] != tag, "another file, another tag"
    for inm in (tag, "W/" + tag, '"nope", ' + tag, '"nope" ,W/%s , "x"' % tag, "*"):
        st, h, body = d.get("/web/page.html", headers={"If-None-Match": inm})
        assert st == 304 and body == b"", (inm, st, body)
        assert h["etag"] == tag and h["cache-control"] == "no-cache", (inm, h)
        assert "content-length" not in h or h["content-length"] == "0", h
        assert h["content-security-policy"].startswith("default-src 'self'"), h
    for inm in ('"nope"', tag[:-2] + '"', tag + "x", "W/", ""):
        st, h, body = d.get("/web/page.html", headers={"If-None-Match": inm})
        assert st == 200 and body == PAGE, (inm, st)
    # HEAD answers 304 likewise, with no length of a body it does not send
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("HEAD", "/web/page.html", headers={"If-None-Match": tag})
        resp = conn.getresponse()
        assert resp.status == 304 and resp.read() == b"", resp.status
        assert resp.getheader("content-length") in (None, "0"), resp.getheaders()
    finally:
        conn.close()
    # changed in place, same size: a new tag, and the old one gets the file
    path = os.path.join(tmp, "web", "page.html")
    with open(path, "wb") as f:
        f.write(PAGE.replace(b"ok", b"OK"))
    try:
        st, h, body = d.get("/web/page.html", headers={"If-None-Match": tag})
        assert st == 200 and body == PAGE.replace(b"ok", b"OK") and h["etag"] != tag, (st, h)
    finally:
        with open(path, "wb") as f:
            f.write(PAGE)
    # errors and the API are never kept
    st, h, _ = d.get("/web/missing.html", headers={"If-None-Match": "*"})
    assert st == 404 and h["cache-control"] == "no-store" and "etag" not in h, (st, h)
    st, h, _ = d.get("/v1/events")
    assert st == 200 and h["cache-control"] == "no-store" and "etag" not in h, h


def test_favicon_and_worker_from_the_root():
    """/favicon.ico (browsers ask the root) and /sw.js (its scope is the
    root) are web-root files; none there, 404 as for any missing file."""
    assert_error(d.get("/favicon.ico"), 404, "not_found")
    assert_error(d.get("/sw.js"), 404, "not_found")
    ico = b"\x00\x00\x01\x00\x01\x00" + b"\x00" * 16
    js = b"self.addEventListener('fetch', function () {});\n"
    with open(os.path.join(tmp, "web", "favicon.ico"), "wb") as f:
        f.write(ico)
    with open(os.path.join(tmp, "web", "sw.js"), "wb") as f:
        f.write(js)
    st, h, body = d.get("/favicon.ico")
    assert st == 200 and body == ico and h["content-type"] == "image/x-icon", (st, h)
    assert h["cache-control"] == "no-cache" and d.get(
        "/favicon.ico", headers={"If-None-Match": h["etag"]})[0] == 304, h
    st, h, body = d.get("/sw.js")
    assert st == 200 and body == js and h["content-type"].startswith("text/javascript"), (st, h)
    # the icon the pages ship is one (an ICO header, small)
    with open(os.path.join(TOP, "clients", "web", "favicon.ico"), "rb") as f:
        shipped = f.read()
    assert shipped[:6] == b"\x00\x00\x01\x00\x01\x00" and len(shipped) < 4096, shipped[:8]
