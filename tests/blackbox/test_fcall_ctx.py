"""What antred sends Redis with a call (store_script.c, _lib.lua's
context()): an event's context as its reference, "#" and 16 hex digits, a
few bytes instead of hundreds; a library that has lost the decoded context
(reloaded, Redis restarted) asks for its text before doing anything, and
the call goes again once with it: nothing lost, nothing done twice."""

import os
import re
import socket
import subprocess
import time

from harness import TOP, Antred, Redis
from test_functions import BASE, issue, libraries, number


def library_text():
    files = sorted(os.path.join(TOP, "daemon", "scripts", n)
                   for n in os.listdir(os.path.join(TOP, "daemon", "scripts"))
                   if n.endswith(".lua"))
    return subprocess.run(["sh", os.path.join(TOP, "tools", "embed-scripts.sh"), "--lua"] +
                          files, capture_output=True, text=True, check=True, timeout=60).stdout


def reload_library(r, text):
    """FUNCTION LOAD REPLACE of the very text: the library's Lua state, and
    the contexts it had decoded, start afresh."""
    out = subprocess.run(["redis-cli", "-p", str(r.port), "-x", "FUNCTION", "LOAD", "REPLACE"],
                         input=text, capture_output=True, text=True, timeout=10).stdout
    assert re.fullmatch(r"antre_[0-9a-f]{12}", out.strip()), out


def noctx_count(r):
    m = re.search(r"errorstat_ANTRE_NOCTX:count=(\d+)", r.cli("INFO", "errorstats"))
    return int(m.group(1)) if m else 0


def test_library_reloaded_call_goes_again_with_the_context():
    r = Redis()
    d = Antred(r.url)
    text = library_text()
    try:
        d.wait_redis_up()
        first = [issue(d) for _ in range(3)]
        asked = noctx_count(r)
        reload_library(r, text)
        t = issue(d)
        assert number(t["code"]) == number(first[-1]["code"]) + 1, (t, first[-1])
        # the library asked for the context (the issue's, or the sweep's)
        assert noctx_count(r) > asked
        assert len(libraries(r)) == 1
        # a read (no-writes first) and a station's call, each after a reload
        reload_library(r, text)
        st, _, b = d.get(BASE + "tickets/" + t["id"], role="desk")
        assert st == 200 and b["ticket"]["id"] == t["id"], (st, b)
        reload_library(r, text)
        st, _, c = d.post(BASE + "stations/registration-1/call", role="station")
        assert st == 200 and c["ticket"]["id"] == first[0]["id"], (st, c)
        # each once: four tickets, one call
        assert r.cli("HLEN", "antre:{demo}:codes:" + t["id"].split("-")[0]) == "4"
        assert r.cli("ZCARD", "antre:{demo}:q:registration") == "3"
        assert r.cli("LLEN", "antre:{demo}:lastcalls") == "1"
        # an Idempotency-Key's replay after a reload: the same ticket again
        key = {"Idempotency-Key": "ctx-reload-1"}
        st, _, a = d.post(BASE + "tickets", {"service": "dose1"}, role="desk", headers=key)
        assert st == 201, (st, a)
        reload_library(r, text)
        st, _, b = d.post(BASE + "tickets", {"service": "dose1"}, role="desk", headers=key)
        assert st in (200, 201) and b["ticket"]["id"] == a["ticket"]["id"], (st, a, b)
        assert r.cli("HLEN", "antre:{demo}:codes:" + t["id"].split("-")[0]) == "5"
    finally:
        d.stop()
        r.stop()


def unescape_len(arg):
    """Bytes of one of MONITOR's quoted arguments (\\xHH, \\n ... one each)."""
    return len(re.sub(r"\\x[0-9a-fA-F]{2}|\\.", "_", arg))


def resp_len(line):
    """Bytes of the RESP array of the command of a MONITOR line."""
    args = re.findall(r'"((?:[^"\\]|\\.)*)"', line.split("] ", 1)[1])
    total = len("*%d\r\n" % len(args))
    for a in args:
        n = unescape_len(a)
        total += len("$%d\r\n" % n) + n + 2
    return total


def test_issue_call_bytes():
    """An issue's FCALL is a few hundred bytes at most: the context (about
    350 bytes of JSON) goes as its reference."""
    r = Redis()
    d = Antred(r.url)
    try:
        d.wait_redis_up()
        issue(d)
        s = socket.create_connection(("127.0.0.1", r.port), timeout=0.5)
        s.sendall(b"MONITOR\r\n")
        assert s.recv(5) == b"+OK\r\n"
        for _ in range(3):
            issue(d)
        data, end = b"", time.time() + 5
        while time.time() < end and data.count(b"_issue_batch\"") < 3:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
        s.close()
        calls = [ln for ln in data.decode("latin-1").split("\r\n")
                 if '"FCALL"' in ln and '_issue_batch"' in ln]
        assert len(calls) == 3, data[-2000:]
        sizes = [resp_len(ln) for ln in calls]
        print("issue FCALL bytes:", sizes, calls[0].split("] ", 1)[1])
        assert all(n < 330 for n in sizes), (sizes, calls[0])
        assert all(re.search(r'"#[0-9a-f]{16}"', ln) for ln in calls), calls[0]
    finally:
        d.stop()
        r.stop()


def expiry_writes(r):
    """How many EXPIRE and EXPIREAT calls Redis has run."""
    stats = r.cli("INFO", "commandstats")
    out = []
    for cmd in ("expire", "expireat"):
        m = re.search(r"cmdstat_%s:calls=(\d+)" % cmd, stats)
        out.append(int(m.group(1)) if m else 0)
    return out


def test_two_daemons_with_different_contexts_of_one_event():
    """Two daemons on one Redis whose contexts of one event differ (here
    retention-days; as after one has reloaded a changed event file): each
    call runs with its own daemon's context, however they interleave (the
    reference is a hash of the text, not the event's name)."""
    r = Redis()
    d1 = Antred(r.url, extra=["retention-days 3"])
    d2 = Antred(r.url, extra=["retention-days 5"])
    try:
        d1.wait_redis_up()
        d2.wait_redis_up()
        most = 0
        for _ in range(2):
            for d, days in ((d1, 3), (d2, 5), (d1, 3)):
                t = issue(d)
                ttl = int(r.cli("TTL", "antre:{demo}:t:" + t["id"]))
                assert days * 86400 - 60 < ttl <= days * 86400, (days, ttl)
                # the day's codes: the longest retention of the day's
                # issues, from the end of the day (a shorter one after a
                # longer one moves nothing)
                most = max(most, days)
                ttl = int(r.cli("TTL", "antre:{demo}:codes:" + t["id"].split("-")[0]))
                assert most * 86400 - 60 < ttl <= (most + 1) * 86400, (most, ttl)
        # and the day's later issues write no expiry but their tickets' (one
        # a day, not one an issue): on Redis's clock the day's end stays
        codes = "antre:{demo}:codes:" + t["id"].split("-")[0]
        at, (expire, expireat) = r.cli("EXPIRETIME", codes), expiry_writes(r)
        for d in (d1, d2, d1):
            issue(d)
        assert r.cli("EXPIRETIME", codes) == at
        assert expiry_writes(r) == [expire + 3, expireat]
    finally:
        d1.stop()
        d2.stop()
        r.stop()
