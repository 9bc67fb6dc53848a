"""antred's scripts as one Redis Functions library (store_script.c,
tools/embed-scripts.sh): loaded on connecting, loaded again when a call
finds its function missing (FUNCTION FLUSH, a Redis restarted without its
data), the call then done once and nothing lost; a library of another
version on the same Redis left alone and not in the way; reads registered
no-writes answering while Redis refuses writes, and going to their write
variant when they must close out a day."""

import json
import os
import re
import subprocess

from harness import TEST_CLOCK, TOP, Antred, Redis, pin_clocks, wait_until, wib_ms

BASE = "/v1/events/demo/"


def issue(d, **body):
    st, _, b = d.post(BASE + "tickets", dict({"service": "dose1"}, **body), role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def number(code):
    return int(code.split("-")[1])


def libraries(r):
    """The names of the libraries Redis holds."""
    return re.findall(r"^library_name\n(\S+)$", r.cli("FUNCTION", "LIST"), re.M)


def test_loaded_on_connect_with_its_version():
    r = Redis()
    d = Antred(r.url)
    try:
        d.wait_redis_up()
        wait_until(lambda: libraries(r), what="the library in Redis")
        [name] = libraries(r)
        assert re.fullmatch(r"antre_[0-9a-f]{12}", name), name
        assert "redis: library %s loaded" % name in d.logtext()
        issue(d)
        # every call went by FCALL, none by EVAL
        stats = r.cli("INFO", "commandstats")
        assert "cmdstat_fcall:" in stats and "cmdstat_eval" not in stats, stats
    finally:
        d.stop()
        r.stop()


def test_function_flush_while_running_loses_nothing():
    """FUNCTION FLUSH under a running antred (as a Redis that lost its
    functions): the next write and the next read each load the library
    again and succeed, once: the numbers run on with no gap and no repeat."""
    r = Redis()
    d = Antred(r.url)
    try:
        d.wait_redis_up()
        first = [issue(d) for _ in range(3)]
        # (antred's sweep, once a second, may find it missing first)
        assert r.cli("FUNCTION", "FLUSH") == "OK"
        t = issue(d)
        assert number(t["code"]) == number(first[-1]["code"]) + 1, (t, first[-1])
        assert len(libraries(r)) == 1
        assert "loaded again" in d.logtext()
        # a read (a no-writes function) after a flush, too
        assert r.cli("FUNCTION", "FLUSH") == "OK"
        st, _, b = d.get(BASE + "tickets/" + t["id"], role="desk")
        assert st == 200 and b["ticket"]["id"] == t["id"], (st, b)
        st, _, board = d.get(BASE + "board")
        assert st == 200 and board["stages"][0]["waiting"] == 4, (st, board)
        # a call, a write that changes a ticket, after a flush
        assert r.cli("FUNCTION", "FLUSH") == "OK"
        st, _, c = d.post(BASE + "stations/registration-1/call", role="station")
        assert st == 200 and c["ticket"]["id"] == first[0]["id"], (st, c)
        # each op was done once: four tickets, one call
        assert r.cli("HLEN", "antre:{demo}:codes:" + t["id"].split("-")[0]) == "4"
        assert r.cli("ZCARD", "antre:{demo}:q:registration") == "3"
        assert r.cli("LLEN", "antre:{demo}:lastcalls") == "1"
    finally:
        d.stop()
        r.stop()


def test_redis_restarted_without_its_data():
    """Redis killed and started again empty on the same port: antred
    reconnects, loads the library and issues from A-001 again."""
    r = Redis(durable=False)
    d = Antred(r.url)
    try:
        d.wait_redis_up()
        issue(d)
        r.kill()
        r.start()
        wait_until(lambda: d.post(BASE + "tickets", {"service": "dose1"},
                                  role="desk")[0] == 201, timeout=15, what="an issue")
        assert len(libraries(r)) == 1
        # loaded into each empty Redis once (by the main connection or the
        # stream follower's, whichever came first; the other finds it there)
        assert len(re.findall(r"redis( follow)?: library antre_\w+ loaded\n",
                              d.logtext())) == 2, d.logtext()
        st, _, board = d.get(BASE + "board")
        assert st == 200 and board["stages"][0]["waiting"] == 1, (st, board)
    finally:
        d.stop()
        r.stop()


def other_version(text):
    """The library as another build of antred would load it: another version
    in its name and its functions' names, and an issue of its own."""
    name = re.match(r"#!lua name=(antre_[0-9a-f]{12})\n", text).group(1)
    other = text.replace(name, "antre_0ther0version")
    assert other.count("SCRIPTS['issue'] = function()\n") == 1
    return other.replace("SCRIPTS['issue'] = function()\n",
                         "SCRIPTS['issue'] = function()\n"
                         "\tif ARGV[2] == 'other' then return json({ other = true }) end\n"), name


def test_another_version_on_the_same_redis():
    """A library of another version (another build of antred, as it loads
    it) on the same Redis: loaded beside ours, it replaces nothing; antred
    keeps using its own functions, restarts without touching the other's,
    and the other's still answer as they did."""
    files = sorted(os.path.join(TOP, "daemon", "scripts", n)
                   for n in os.listdir(os.path.join(TOP, "daemon", "scripts"))
                   if n.endswith(".lua"))
    text = subprocess.run(["sh", os.path.join(TOP, "tools", "embed-scripts.sh"), "--lua"] +
                          files, capture_output=True, text=True, check=True, timeout=60).stdout
    other, ours = other_version(text)
    r = Redis()
    d = Antred(r.url)
    try:
        d.wait_redis_up()
        t1 = issue(d)
        out = subprocess.run(["redis-cli", "-p", str(r.port), "-x", "FUNCTION", "LOAD"],
                             input=other, capture_output=True, text=True, timeout=10).stdout
        assert out.strip() == "antre_0ther0version", out
        assert sorted(libraries(r)) == sorted([ours, "antre_0ther0version"])
        t2 = issue(d)
        assert number(t2["code"]) == number(t1["code"]) + 1
        # antred restarted: it loads its own (there already), not REPLACE
        d.stop()
        d = Antred(r.url)
        d.wait_redis_up()
        t3 = issue(d)
        assert number(t3["code"]) == number(t2["code"]) + 1
        assert sorted(libraries(r)) == sorted([ours, "antre_0ther0version"])
        ctx = json.dumps({"off": 25200, "stages": [], "retention": 60})
        got = r.cli("FCALL", "antre_0ther0version_issue", 1, "antre:{other}:", ctx, "other")
        assert json.loads(got) == {"other": True}, got
        # and ours, flushed alone, comes back without the other's going
        assert r.cli("FUNCTION", "DELETE", ours) == "OK"
        t4 = issue(d)
        assert number(t4["code"]) == number(t3["code"]) + 1
        assert sorted(libraries(r)) == sorted([ours, "antre_0ther0version"])
    finally:
        d.stop()
        r.stop()


def test_reads_answer_while_writes_are_refused_and_close_out_a_day():
    """min-replicas-to-write with no replica: Redis refuses every write
    (NOREPLICAS).  Reads still answer (their functions are no-writes).  On a
    new day a read must close out the last one, a write: it answers 503 and
    changes nothing; once writes are taken again the same read closes the
    day out and answers."""
    r = Redis()
    pin_clocks(r, ["demo"])
    d = Antred(r.url, **TEST_CLOCK)
    try:
        d.wait_redis_up()
        t = issue(d)
        assert r.cli("CONFIG", "SET", "min-replicas-to-write", "1") == "OK"
        st, _, b = d.post(BASE + "tickets", {"service": "dose1"}, role="desk")
        assert st == 503 and b["error"]["code"] == "store_unavailable", (st, b)
        st, _, b = d.get(BASE + "tickets/" + t["id"], role="desk")
        assert st == 200 and b["ticket"]["state"] == "waiting", (st, b)
        st, _, board = d.get(BASE + "board")
        assert st == 200 and board["stages"][0]["waiting"] == 1, (st, board)
        # the next morning: the read must close out the day first (the
        # clock moved with writes refused at once: antred's sweep, a write,
        # would close it out in between)
        assert r.cli("CONFIG", "SET", "min-replicas-to-write", "0") == "OK"
        out = subprocess.run(["redis-cli", "-p", str(r.port)], input=(
            "MULTI\nSET antre:{demo}:test:clock %d\nCONFIG SET min-replicas-to-write 1\n"
            "EXEC\n" % wib_ms(2026, 7, 16, 8, 0, 0)), capture_output=True, text=True,
            timeout=10).stdout
        assert out.split() == ["OK", "QUEUED", "QUEUED", "OK", "OK"], out
        keys = r.cli("DBSIZE")
        st, _, b = d.get(BASE + "board")
        assert st == 503 and b["error"]["code"] == "store_unavailable", (st, b)
        assert r.cli("DBSIZE") == keys and r.cli("GET", "antre:{demo}:day") == "20260715"
        assert r.cli("HGET", "antre:{demo}:t:" + t["id"], "state") == "waiting"
        assert r.cli("CONFIG", "SET", "min-replicas-to-write", "0") == "OK"
        st, _, board = d.get(BASE + "board")
        assert st == 200 and board["stages"][0]["waiting"] == 0, (st, board)
        st, _, b = d.get(BASE + "tickets/" + t["id"], role="desk")
        assert st == 200 and b["ticket"]["state"] == "expired", (st, b)
        assert r.cli("GET", "antre:{demo}:day") == ""
    finally:
        r.cli("CONFIG", "SET", "min-replicas-to-write", "0")
        d.stop()
        r.stop()
