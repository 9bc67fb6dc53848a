"""Redis authentication: antred against a Redis whose default user is off
and whose user "antred" has only the minimal ACL from README.md (the
commands antred and its scripts use, keys antre:*).  Issue, call, the
stream, the report, stats and healthz all work.  With a wrong password
healthz is 503, the log says AUTH was refused, antred keeps retrying, and
the password is never in the log."""

import os
import re
import socket
import time

from harness import PINNED_MS, TEST_CLOCK, TOP, Antred, Redis, wait_until

redis = None
ADMIN = ("admin", "admin-pw-0001")
PASS = "an+tred p@ss:w/rd%"           # special characters, percent-encoded in the URL


def acl_from_readme():
    """The ACL rule the README gives, without its user and password."""
    with open(os.path.join(TOP, "README.md")) as f:
        text = f.read()
    m = re.search(r"^user antred on >PASSWORD (.+)$", text, re.M)
    assert m, "README.md gives no 'user antred on >PASSWORD ...' line"
    return m.group(1).split()


def cli(*args):
    import subprocess
    out = subprocess.run(["redis-cli", "--no-auth-warning", "-p", str(redis.port),
                          "--user", ADMIN[0], "--pass", ADMIN[1]] + [str(a) for a in args],
                         capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def pct(s):
    return "".join(c if c.isalnum() else "%%%02X" % ord(c) for c in s)


def setup_module():
    global redis
    redis = Redis()
    assert redis.cli("ACL", "SETUSER", ADMIN[0], "on", ">" + ADMIN[1], "~*", "&*",
                     "+@all") == "OK"
    assert cli("ACL", "SETUSER", "antred", "reset", "on", ">" + PASS, *acl_from_readme()) == "OK"
    assert cli("ACL", "SETUSER", "default", "off") == "OK"
    assert redis.cli("PING") != "PONG"        # nobody gets in without a password


def teardown_module():
    redis.stop()


def url(user, password):
    return "redis://%s:%s@127.0.0.1:%d/0" % (user, pct(password), redis.port)


def sse_first_call(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(b"GET /v1/events/demo/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    return s


def test_everything_works_with_the_minimal_acl():
    # the duplicate check and the day's report: one event day, pinned (the
    # test clock is read as the user antred too)
    assert cli("SET", "antre:{demo}:test:clock", PINNED_MS) == "OK"
    d = Antred(url("antred", PASS), **TEST_CLOCK)
    try:
        d.wait_redis_up()
        stream = sse_first_call(d.port)
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1",
                                                          "nik": "3171021505000003"}, role="desk")
        assert st == 201, body
        code = body["ticket"]["code"]
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1",
                                                          "nik": "3171021505000003"}, role="desk")
        assert st == 409, body                  # the duplicate check ran (SADD)
        st, _, body = d.post("/v1/events/demo/stations/registration-1/call", {}, role="station")
        assert st == 200 and body["ticket"]["code"] == code, body
        got, deadline = b"", time.monotonic() + 10
        while b"event: call" not in got and time.monotonic() < deadline:
            got += stream.recv(65536)
        stream.close()
        assert b"event: call" in got and code.encode() in got, got[-2000:]
        for path in ("/v1/events/demo/report.csv", "/v1/events/demo/report.json",
                     "/v1/events/demo/stats", "/v1/events/demo/board"):
            st, _, body = d.get(path, role="organiser")
            assert st == 200, (path, body)
        st, _, body = d.get("/v1/events/demo/report.json", role="organiser")
        assert [t["code"] for t in body["tickets"]] == [code], body
        # 59 on the pinned day (60 the next): the daemon's own reading of the
        # clock, with AUTH, is the pinned one too
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1",
                                                          "nik": "3273011607660001"}, role="desk")
        assert st == 201 and body["ticket"]["priority"] == "regular", body
        # the area table (scripts/areas.lua: HSET, RENAME, INCR …), replaced
        # twice (the second RENAMEs over the first), searched, checked at issue
        table = (b"code,name,parent,level,target,elderly_target\n"
                 b"32.73,Kota Bandung,,kabupaten,10,1\n32.73.01,Kec. Sukasari,32.73,kecamatan,5,0\n")
        for _ in range(2):
            st, _, body = d.request("PUT", "/v1/areas", raw=table, role="admin")
            assert st == 200 and body["areas"] == 2, body
        st, _, body = d.get("/v1/areas?q=sukasari", role="desk")
        assert st == 200 and body["areas"][0]["code"] == "32.73.01", body
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose2",
                                                          "nik": "3273011607660001"}, role="desk")
        assert st == 201 and body["ticket"]["area"] == "32.73.01", body
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "booster",
                                                          "area": "nope"}, role="desk")
        assert st == 422, body
        st, _, _ = d.get("/healthz")
        assert st == 200
    finally:
        log = d.stop()
    assert "NOPERM" not in log and "refused" not in log, log[-3000:]
    assert PASS not in log and pct(PASS) not in log


def test_wrong_password_is_503_and_retried_quietly():
    wrong = "not-the-pass-w0rd"
    d = Antred(url("antred", wrong))
    try:
        wait_until(lambda: "AUTH as antred refused" in d.logtext(), timeout=10,
                   what="the AUTH refusal in the log")
        time.sleep(2.0)                         # a few retries with backoff
        st, _, _ = d.get("/healthz")
        assert st == 503
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1"}, role="desk")
        assert st == 503, body
    finally:
        log = d.stop()
    assert wrong not in log, log
    assert "WRONGPASS" in log, log[-2000:]
    # logged once a connection (every 30th attempt), but retried with
    # backoff: Redis saw several failed AUTHs
    assert log.count("redis: AUTH as antred refused") == 1, log[-3000:]
    assert log.count("redis follow: AUTH as antred refused") == 1, log[-3000:]
    lines = cli("ACL", "LOG").split("\n")
    counts = [int(lines[i + 1]) for i, l in enumerate(lines[:-1]) if l == "count"]
    assert counts and max(counts) >= 3, lines


def test_check_config_shows_no_password():
    import subprocess
    d = Antred(url("antred", PASS), start=False)
    try:
        p = subprocess.run([d.binary, "-c", d.conf, "--check-config"], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        out = p.stdout + p.stderr
        assert PASS not in out and pct(PASS) not in out, out
        p = subprocess.run([d.binary, "-c", d.conf, "--check-config", "--redis",
                            "redis://antred:hunter2@h/99"], capture_output=True, text=True,
                           timeout=10)
        assert p.returncode == 2 and "hunter2" not in p.stdout + p.stderr, p.stderr
    finally:
        import shutil
        shutil.rmtree(d.tmp, ignore_errors=True)
