"""Idempotent writes (Idempotency-Key), the desk's lookup by NIK, and how
long tickets and person keys are kept.

A key with the same request within 24 h gets the first answer again, status
and body, with Idempotency-Replayed: true; with another request, 422.  The
record is written by the same script as the change.  The last test issues
200 tickets with keys while Redis is stopped for 3 s and later killed: every
action ends with exactly one ticket.

One Redis and one antred for the module (each test its own event); the
fault test starts its own."""

import copy
import http.client
import json
import signal
import socket
import threading
import time
import uuid

from harness import (ANTRED_TEST, DEMO_EVENT, PINNED_MS, TOKENS, Antred, Redis, assert_error,
                     pin_clocks, wait_until)

redis = None
d = None

NIK_A = "3171021505000003"       # 317102, 15 May 2000
NIK_B = "3273011507550001"       # 327301, 15 July 1955
NIK_NONE = "3171024208010004"    # 317102, 2 August 2001: never issued
RETENTION_DAYS = 2


def event(eid):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    return ev


EVENTS = [event(e) for e in ("issue", "reuse", "badkey", "cancel", "ops", "refusal",
                             "conc", "look", "keep", "drop", "oom",
                             "gone")]


def setup_module():
    global redis, d
    redis = Redis()
    # numbers, codes, duplicate persons and the people key's end of day are
    # the event day's: the events' clocks are pinned
    pin_clocks(redis, EVENTS)
    d = Antred(redis.url, events=EVENTS, binary=ANTRED_TEST,
               extra=["retention-days %d" % RETENTION_DAYS, "test-clock 1"])
    d.wait_redis_up()


def teardown_module():
    try:
        if d:
            d.stop()
    finally:
        if redis:
            redis.stop()


def post(path, body=None, key=None, role="desk", raw=None, headers=None):
    h = dict(headers or {})
    if key is not None:
        h["Idempotency-Key"] = key
    return d.request("POST", path, body=body, role=role, raw=raw, headers=h)


def replayed(resp):
    return resp[1].get("idempotency-replayed") == "true"


def tickets_in_redis(ev):
    """ids of the event's tickets, straight from Redis."""
    out = redis.cli("--scan", "--pattern", "antre:{%s}:t:*" % ev).split()
    return sorted(k.split(":t:", 1)[1] for k in out)


def day_keys(ev, kind):
    return redis.cli("--scan", "--pattern", "antre:{%s}:%s:*" % (ev, kind)).split()


def test_issue_replayed():
    path = "/v1/events/issue/tickets"
    first = post(path, {"service": "dose1", "area": "RT 01"}, key="desk-1:0001")
    assert first[0] == 201, first
    assert not replayed(first), first[1]
    # a later change (another ticket) must not alter the replayed answer
    assert post(path, {"service": "dose1"})[0] == 201
    for _ in range(2):
        again = post(path, {"service": "dose1", "area": "RT 01"}, key="desk-1:0001")
        assert again[0] == 201 and again[2] == first[2], (first, again)
        assert replayed(again), again[1]
        assert again[1]["content-type"] == first[1]["content-type"]
    assert len(tickets_in_redis("issue")) == 2
    # without the header it is a new ticket each time, as before
    other = post(path, {"service": "dose1", "area": "RT 01"})
    assert other[0] == 201 and other[2]["ticket"]["code"] == "A-003", other
    # another key: another ticket
    assert post(path, {"service": "dose1", "area": "RT 01"}, key="desk-1:0002")[2][
        "ticket"]["code"] == "A-004"
    rec = "antre:{issue}:idem:desk-1:0001"
    ttl = int(redis.cli("TTL", rec))
    assert 86400 - 120 < ttl <= 86400, ttl
    # a replay writes: its record's expiry set again, so that with
    # redis-min-replicas its WAIT covers the first answer's write (a replay
    # that wrote nothing would pass WAIT at once on a new connection)
    assert redis.cli("EXPIRE", rec, 100) == "1"
    again = post(path, {"service": "dose1", "area": "RT 01"}, key="desk-1:0001")
    assert replayed(again) and again[2] == first[2], again
    ttl = int(redis.cli("TTL", rec))
    assert 86400 - 120 < ttl <= 86400, ttl


def test_key_reused_for_another_request():
    path = "/v1/events/reuse/tickets"
    first = post(path, {"service": "dose1"}, key="k1")
    assert first[0] == 201
    before = tickets_in_redis("reuse")
    # another body (even one byte), another path, another op: 422, nothing done
    for p, body, raw in ((path, {"service": "dose2"}, None),
                         (path, None, b'{"service": "dose1"} '),
                         (path + "/" + first[2]["ticket"]["id"] + "/cancel", None, None)):
        resp = post(p, body, key="k1", raw=raw)
        assert_error(resp, 422, "idempotency_key_reused")
        assert not replayed(resp)
    assert tickets_in_redis("reuse") == before
    st, _, t = d.get("/v1/events/reuse/tickets/" + first[2]["ticket"]["id"], role="desk")
    assert st == 200 and t["ticket"]["state"] == "waiting", t
    # keys are per event: the same key in another event is a new request
    assert post("/v1/events/issue/tickets", {"service": "dose2"}, key="k1")[0] == 201
    # the original request still gets its answer
    again = post(path, {"service": "dose1"}, key="k1")
    assert again[2] == first[2] and replayed(again)


def test_invalid_key():
    path = "/v1/events/badkey/tickets"
    bad = ["", "a" * 65, "with space", "ключ", "semi;colon", "a/b", "quote\"", "tab\tx"]
    for key in bad:
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        try:
            conn.putrequest("POST", path)
            conn.putheader("Authorization", "Bearer " + TOKENS["desk"])
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Idempotency-Key", key.encode("utf-8"))
            body = b'{"service":"dose1"}'
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            status, payload = resp.status, json.loads(resp.read())
        finally:
            conn.close()
        assert status == 400 and payload["error"]["code"] == "invalid_idempotency_key", (
            key, status, payload)
    # given twice: refused, even when both are the same
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Authorization", "Bearer " + TOKENS["desk"])
        conn.putheader("Idempotency-Key", "same")
        conn.putheader("Idempotency-Key", "same")
        body = b'{"service":"dose1"}'
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        status, payload = resp.status, json.loads(resp.read())
    finally:
        conn.close()
    assert status == 400 and payload["error"]["code"] == "invalid_idempotency_key", payload
    # the longest and every allowed character are fine
    ok = post(path, {"service": "dose1"}, key="Az09._:-" + "x" * 56)
    assert ok[0] == 201, ok
    assert_error(post(path + "/" + ok[2]["ticket"]["id"] + "/cancel", key="a b"),
                 400, "invalid_idempotency_key")
    assert_error(post("/v1/events/badkey/stations/registration-1/call", key="a b",
                      role="station"), 400, "invalid_idempotency_key")
    assert tickets_in_redis("badkey") == [ok[2]["ticket"]["id"]]
    assert d.get("/v1/events/badkey/board")[2]["stations"][0].get("ticket") is None


def test_cancel_replayed():
    base = "/v1/events/cancel/tickets"
    t = post(base, {"service": "dose1"})[2]["ticket"]
    first = post(base + "/" + t["id"] + "/cancel", key="c-1")
    assert first[0] == 200 and first[2]["ticket"]["state"] == "cancelled", first
    # without a key a second cancel is refused; with the same key it is the first answer
    assert_error(post(base + "/" + t["id"] + "/cancel"), 409, "invalid_transition")
    again = post(base + "/" + t["id"] + "/cancel", key="c-1")
    assert again[0] == 200 and again[2] == first[2] and replayed(again), again
    # a cancel of a missing ticket: the refusal is recorded and replayed
    miss = post(base + "/20990101-A001/cancel", key="c-2")
    assert_error(miss, 404, "ticket_not_found")
    again = post(base + "/20990101-A001/cancel", key="c-2")
    assert again[0] == 404 and again[2] == miss[2] and replayed(again)


def test_every_station_operation_replayed():
    ev = "ops"
    base = "/v1/events/%s/" % ev
    a = post(base + "tickets", {"service": "dose1"})[2]["ticket"]
    b = post(base + "tickets", {"service": "dose2"})[2]["ticket"]
    st = base + "stations/registration-1/"
    steps = [("call", None), ("recall", None), ("start", None),
             ("complete", {"outcome": "done"}),            # a: on to screening
             ("call", None),                               # b
             ("skip", None),
             ("call", {"ticket": b["code"]}),              # b, brought back
             ("transfer", {"stage": "vaccination"}),
             ("call", None),                               # nobody waits: 204
             ("pause", None), ("resume", None)]
    done = []
    for i, (op, body) in enumerate(steps):
        key = "st-%d" % i
        first = post(st + op, body, key=key, role="station")
        assert first[0] in (200, 204), (op, first)
        assert not replayed(first)
        again = post(st + op, body, key=key, role="station")
        assert (again[0], again[2]) == (first[0], first[2]) and replayed(again), (op, first, again)
        done.append((op, body, key, first))
    assert done[0][3][2]["ticket"]["id"] == a["id"]
    assert done[4][3][2]["ticket"]["id"] == b["id"]
    assert done[8][3][0] == 204
    assert done[9][3][2]["station"]["state"] == "paused"
    # long after, and with the queue moved on, each still gets its first answer
    post(base + "tickets", {"service": "booster"})
    for op, body, key, first in done:
        again = post(st + op, body, key=key, role="station")
        assert (again[0], again[2]) == (first[0], first[2]) and replayed(again), (op, again)
    # and nothing was done twice: b went to vaccination once, a is at screening
    st_, _, tb = d.get(base + "tickets/" + b["id"], role="station")
    assert tb["ticket"]["stage"] == "vaccination" and len(tb["ticket"]["visits"]) == 2, tb
    st_, _, ta = d.get(base + "tickets/" + a["id"], role="station")
    assert ta["ticket"]["stage"] == "screening" and ta["ticket"]["recalls"] == 1, ta
    stations = d.get("/v1/events/" + ev)[2]["event"]["stations"]
    me = [s for s in stations if s["id"] == "registration-1"][0]
    assert me["state"] == "open" and me.get("ticket") is None, me


def test_refusal_recorded_and_replayed():
    ev = "refusal"
    base = "/v1/events/%s/" % ev
    post(base + "tickets", {"service": "dose1"})
    st = base + "stations/registration-1/"
    assert post(st + "pause", role="station")[0] == 200
    first = post(st + "call", key="r-1", role="station")
    assert_error(first, 409, "station_paused")
    assert post(st + "resume", role="station")[0] == 200
    # a call would succeed now, but the key's answer was the refusal
    again = post(st + "call", key="r-1", role="station")
    assert again[0] == 409 and again[2] == first[2] and replayed(again), again
    assert d.get(base + "board")[2]["calls"] == []
    # a refusal in antred itself (before any script) is not recorded: the
    # same key may then carry the corrected request
    assert_error(post(st + "complete", {"outcome": "maybe"}, key="r-2", role="station"),
                 422, "invalid_outcome")
    assert post(st + "call", key="r-3", role="station")[0] == 200
    assert post(st + "start", key="r-4", role="station")[0] == 200
    ok = post(st + "complete", {"outcome": "done"}, key="r-2", role="station")
    assert ok[0] == 200 and not replayed(ok), ok


def test_under_oom():
    """Redis out of memory: a write with a key is 503 and records nothing
    (the retry does it once memory is back); a refusal is still a refusal."""
    ev = "oom"
    path = "/v1/events/%s/tickets" % ev
    assert post(path, {"service": "dose1", "nik": NIK_A})[0] == 201
    used = int(dict(l.split(":", 1) for l in redis.cli("INFO", "memory").split()
                    if ":" in l)["used_memory"])
    try:
        assert redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction") == "OK"
        assert redis.cli("CONFIG", "SET", "maxmemory", used // 2) == "OK"
        assert_error(post(path, {"service": "dose2"}, key="oom-1"), 503, "store_unavailable")
        dup = post(path, {"service": "dose1", "nik": NIK_A}, key="oom-2")
        assert_error(dup, 409, "duplicate_person")
    finally:
        redis.cli("CONFIG", "SET", "maxmemory", "0")
    assert redis.cli("EXISTS", "antre:{oom}:idem:oom-1") == "0"
    ok = post(path, {"service": "dose2"}, key="oom-1")
    assert ok[0] == 201 and not replayed(ok), ok
    assert len(tickets_in_redis(ev)) == 2


def test_concurrent_identical_requests_make_one_ticket():
    ev = "conc"
    path = "/v1/events/%s/tickets" % ev
    results, lock = [], threading.Lock()
    go = threading.Event()

    def send():
        go.wait(5)
        r = post(path, {"service": "dose1", "nik": NIK_A}, key="same-action")
        with lock:
            results.append(r)

    threads = [threading.Thread(target=send) for _ in range(16)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(30)
    assert len(results) == 16
    assert all(r[0] == 201 for r in results), [(r[0], r[2]) for r in results]
    assert len({json.dumps(r[2], sort_keys=True) for r in results}) == 1
    assert sum(1 for r in results if not replayed(r)) == 1
    assert len(tickets_in_redis(ev)) == 1


def test_lookup_by_nik():
    ev = "look"
    base = "/v1/events/%s/tickets" % ev
    a1 = post(base, {"service": "dose1", "nik": NIK_A})
    b2 = post(base, {"service": "dose2", "nik": NIK_A})
    other = post(base, {"service": "dose1", "nik": NIK_B})
    assert a1[0] == b2[0] == other[0] == 201
    found = post(base + "/lookup", {"nik": NIK_A})
    assert found[0] == 200, found
    assert [x["ticket"]["code"] for x in found[2]["tickets"]] == ["A-001", "B-001"], found
    # each as the issue reply was: ticket, signed status link, QR payload
    assert found[2]["tickets"][0]["ticket"]["id"] == a1[2]["ticket"]["id"]
    for got, issued in zip(found[2]["tickets"], (a1[2], b2[2])):
        assert got["status_url"] == issued["status_url"] and got["qr"] == issued["qr"]
        assert d.get(got["status_url"].split(str(d.port), 1)[1])[0] == 200
    one = post(base + "/lookup", {"nik": NIK_A, "service": "dose2"})
    assert [x["ticket"]["code"] for x in one[2]["tickets"]] == ["B-001"], one
    none = post(base + "/lookup", {"nik": NIK_NONE})
    assert none[0] == 200 and none[2]["tickets"] == [], none
    assert none[2]["dose_status"]["status"] == "none", none      # test_doses: the rest
    # a cancelled ticket is shown as cancelled; a new one replaces it
    post(base + "/" + a1[2]["ticket"]["id"] + "/cancel")
    st_ = post(base + "/lookup", {"nik": NIK_A, "service": "dose1"})[2]["tickets"]
    assert st_[0]["ticket"]["state"] == "cancelled"
    a2 = post(base, {"service": "dose1", "nik": NIK_A})
    assert a2[0] == 201
    st_ = post(base + "/lookup", {"nik": NIK_A, "service": "dose1"})[2]["tickets"]
    assert [x["ticket"]["code"] for x in st_] == ["A-003"], st_
    # bad requests
    for body in ({"nik": "123"}, {"nik": "3171021505000003x"}, {"nik": "9999991505000003"},
                 {"nik": 3171021505000003}, {}):
        resp = post(base + "/lookup", body)
        assert resp[0] == 400 and resp[2]["error"]["code"] in ("invalid_nik", "invalid_field"), (
            body, resp)
    assert_error(post(base + "/lookup", {"nik": NIK_A, "service": "dose9"}), 422,
                 "unknown_service")
    assert_error(post(base + "/lookup", {"nik": NIK_A}, role="station"), 403, "forbidden")
    assert_error(post(base + "/lookup", {"nik": NIK_A}, role=None), 401)
    assert post(base + "/lookup", {"nik": NIK_A}, role="admin")[0] == 200
    # the NIK is nowhere in the log (debug level) nor in Redis
    log = d.logtext()
    assert "ticket_lookup" in log, "the access log is at debug level"
    for nik in (NIK_A, NIK_B, NIK_NONE):
        assert nik not in log
        assert nik[6:] not in log
    for k in redis.cli("--scan", "--pattern", "antre:{look}:*").split():
        if redis.cli("TYPE", k) in ("hash", "string"):
            dump = redis.cli("HGETALL", k) if redis.cli("TYPE", k) == "hash" else redis.cli("GET", k)
            assert NIK_A not in dump and NIK_B not in dump, k


def test_retention():
    ev = "keep"
    base = "/v1/events/%s/tickets" % ev
    t = post(base, {"service": "dose1", "nik": NIK_A})[2]["ticket"]
    key = "antre:{%s}:t:%s" % (ev, t["id"])
    # no person key on the ticket; the ticket is kept retention-days
    fields = redis.cli("HKEYS", key).split()
    assert "person" not in fields and "code" in fields, fields
    keep = RETENTION_DAYS * 86400
    ttl = int(redis.cli("TTL", key))
    assert keep - 120 < ttl <= keep, (key, ttl)
    # the day's codes and numbers: retention-days from the end of the event
    # day (Asia/Jakarta, UTC+7), past the day's last ticket
    now = PINNED_MS / 1000              # the event's clock, as issue.lua read it
    end = (int((now + 7 * 3600) // 86400) + 1) * 86400 - 7 * 3600
    day_keep = day_keys(ev, "codes") + day_keys(ev, "num")
    assert len(day_keep) == 2, day_keep
    for k in day_keep:
        ttl = int(redis.cli("TTL", k))
        assert abs(ttl - (end - now + keep)) < 120, (k, ttl, end - now + keep)
    # the person key: only in the day's people hash, gone an hour after the
    # event day ends
    people = day_keys(ev, "people")
    assert len(people) == 1, people
    assert redis.cli("HVALS", people[0]).split() == [t["id"]]
    ttl = int(redis.cli("TTL", people[0]))
    assert abs(ttl - (end + 3600 - now)) < 120, (ttl, end + 3600 - now)
    # the day's statistics: a week (set with the hash's first field)
    stats = day_keys(ev, "stats")
    assert len(stats) == 1, stats
    assert 7 * 86400 < int(redis.cli("TTL", stats[0])) <= 8 * 86400


def raw_issue(port, path, body, key):
    """Sends an issue and returns the socket without reading the reply."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                  "Idempotency-Key: %s\r\nContent-Type: application/json\r\n"
                  "Content-Length: %d\r\n\r\n" % (path, TOKENS["desk"], key, len(data))
                  ).encode() + data)
    return sock


def test_dropped_connection_then_retry():
    ev = "drop"
    path = "/v1/events/%s/tickets" % ev
    body = {"service": "dose1", "nik": NIK_B}
    # the desk sends, and its connection drops before the reply
    raw_issue(d.port, path, body, "drop-1").close()
    time.sleep(0.3)
    again = post(path, body, key="drop-1")
    assert again[0] == 201, again
    assert len(tickets_in_redis(ev)) == 1


def test_antred_killed_between_write_and_reply():
    """Redis is stopped, an issue reaches it, antred is killed (kill -9),
    Redis goes on and runs the script: the reply is lost with antred.  The
    retry with the same key, to the restarted antred, gets that ticket."""
    ev = "crash"
    r = Redis()
    dd = Antred(r.url, events=[event(ev)])
    path = "/v1/events/%s/tickets" % ev
    # no NIK nor area: with either, antred first reads the area table
    # (route_areas.c) and sends the issue only on its answer, so nothing
    # would reach the stopped Redis but that read
    body = {"service": "dose2"}
    stopped = False
    try:
        dd.wait_redis_up()
        assert dd.post(path, {"service": "dose1"}, role="desk")[0] == 201   # scripts loaded
        r.kill(signal.SIGSTOP)
        stopped = True
        sock = raw_issue(dd.port, path, body, "crash-1")
        time.sleep(1.0)                # antred has sent the script to the stopped Redis
        dd.proc.kill()
        dd.proc.wait()
        sock.close()
        r.kill(signal.SIGCONT)
        stopped = False
        wait_until(r.ping, what="redis after SIGCONT")
        ids = lambda: r.cli("--scan", "--pattern", "antre:{%s}:t:*" % ev).split()
        # Redis ran the issue whose reply was lost (it reads what a client
        # sent before it sees the close)
        assert len(ids()) == 2, "the lost issue did not reach Redis: %r" % ids()
        dd.logf.close()
        dd.start()
        dd.wait_redis_up()
        again = dd.post(path, body, role="desk", headers={"Idempotency-Key": "crash-1"})
        assert again[0] == 201, again
        assert replayed(again), again[1]
        assert len(ids()) == 2, ids()
        assert again[2]["ticket"]["code"] == "B-001", again
    finally:
        if stopped:
            r.kill(signal.SIGCONT)
        try:
            dd.stop(check=False) if dd.proc.poll() is not None else dd.stop()
        finally:
            r.stop()


def test_expired_ticket_in_a_queue_or_at_a_station():
    """A ticket gone with retention-days while queued is dropped from the
    queue, not called; one gone while a station holds it lets it go."""
    ev = "gone"
    base = "/v1/events/%s/" % ev
    a = post(base + "tickets", {"service": "dose1"})[2]["ticket"]
    b = post(base + "tickets", {"service": "dose1"})[2]["ticket"]
    c = post(base + "tickets", {"service": "dose1"})[2]["ticket"]
    redis.cli("DEL", "antre:{%s}:t:%s" % (ev, a["id"]))        # as EXPIRE would
    st = base + "stations/registration-1/"
    got = post(st + "call", role="station")
    assert got[0] == 200 and got[2]["ticket"]["id"] == b["id"], got
    assert redis.cli("ZSCORE", "antre:{%s}:q:registration" % ev, a["id"]) == ""
    redis.cli("DEL", "antre:{%s}:t:%s" % (ev, b["id"]))
    assert_error(post(st + "start", role="station"), 409, "no_ticket")
    got = post(st + "call", role="station")
    assert got[0] == 200 and got[2]["ticket"]["id"] == c["id"], got


# ---- the fault test ------------------------------------------------------------------

def nik_of(i):
    """A valid NIK for action i: 317102, born 15 May 2000, serial i+1."""
    return "3171021505" + "00" + "%04d" % (i + 1)


def test_no_ghost_and_no_double_ticket_under_redis_faults():
    """200 issues with keys from 8 desks while Redis is SIGSTOPped for 3 s
    and later killed (kill -9) and restarted: each desk retries its action
    with the same key (bounded, with backoff) until it gets an answer other
    than 503 or a dropped connection.  Every action ends with exactly one
    ticket: none refused as a duplicate of its own ghost, none lost, none
    made twice; Redis holds exactly the tickets the desks were given."""
    ev, n_desks, per_desk = "fault", 8, 25
    r = Redis()
    dd = Antred(r.url, events=[event(ev)], extra=["redis-timeout-ms 500"])
    path = "/v1/events/%s/tickets" % ev
    lock = threading.Lock()
    outcome = {}                      # action -> (status, body, replayed)
    attempts = {"total": 0, "retries": 0, "replayed": 0}
    stop = threading.Event()
    deadline = time.monotonic() + 90

    def action(i):
        body = {"service": ("dose1", "dose2", "booster")[i % 3]}
        if i % 2 == 0:
            body["nik"] = nik_of(i)   # half with a NIK: a ghost would make a duplicate
        key = "desk%d:%s" % (i % n_desks, uuid.uuid4().hex)
        pause = 0.05
        for attempt in range(120):
            if stop.is_set() or time.monotonic() > deadline:
                break
            try:
                st, h, b = dd.request("POST", path, body=body, role="desk", timeout=5,
                                      headers={"Idempotency-Key": key})
            except (OSError, http.client.HTTPException, ValueError):
                st, h, b = None, {}, None
            with lock:
                attempts["total"] += 1
                attempts["retries"] += attempt > 0
            if st is not None and st != 503:
                with lock:
                    outcome[i] = (st, b, h.get("idempotency-replayed") == "true")
                    attempts["replayed"] += h.get("idempotency-replayed") == "true"
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def desk(k):
        for j in range(per_desk):
            if stop.is_set():
                return
            action(k + j * n_desks)
            time.sleep(0.12)

    def faults():
        time.sleep(0.6)
        r.kill(signal.SIGSTOP)
        time.sleep(3.0)
        r.kill(signal.SIGCONT)
        time.sleep(1.0)
        r.kill(signal.SIGKILL)
        time.sleep(1.0)
        r.start()

    threads = []
    try:
        dd.wait_redis_up()
        # the script is loaded before the faults
        assert dd.post(path, {"service": "dose1"}, role="desk", timeout=5)[0] == 201
        redis_ids = lambda: sorted(k.split(":t:", 1)[1] for k in r.cli(
            "--scan", "--pattern", "antre:{%s}:t:*" % ev).split())
        warm = redis_ids()
        threads = [threading.Thread(target=desk, args=(k,)) for k in range(n_desks)]
        threads.append(threading.Thread(target=faults))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a desk did not finish"
        total = n_desks * per_desk
        missing = [i for i in range(total) if i not in outcome]
        assert not missing, "actions without an answer: %r" % missing[:10]
        bad = [(i, outcome[i][0], outcome[i][1]) for i in range(total) if outcome[i][0] != 201]
        assert not bad, "actions not ending with their ticket: %d, e.g. %r" % (len(bad), bad[:5])
        got = sorted(outcome[i][1]["ticket"]["id"] for i in range(total))
        assert len(set(got)) == total, "two actions were given the same ticket"
        wait_until(lambda: r.ping(), timeout=10, what="redis back")
        have = [x for x in redis_ids() if x not in warm]
        extra = sorted(set(have) - set(got))
        lost = sorted(set(got) - set(have))
        assert not lost, "tickets acknowledged but not in Redis: %r" % lost[:10]
        assert not extra, "tickets in Redis that no desk was given: %d, e.g. %r" % (
            len(extra), extra[:5])
        assert len(have) == total
        # codes agree with Redis, and every NIK has its one ticket in the people hash
        for i in range(total):
            t = outcome[i][1]["ticket"]
            assert r.cli("HGET", "antre:{%s}:t:%s" % (ev, t["id"]), "code") == t["code"]
        # (by the day in each ticket's id: a run across midnight has two)
        days = {}
        for i in range(0, total, 2):
            day = outcome[i][1]["ticket"]["id"].split("-")[0]
            days[day] = days.get(day, 0) + 1
        people = sorted(r.cli("--scan", "--pattern", "antre:{%s}:people:*" % ev).split())
        assert people == ["antre:{%s}:people:%s" % (ev, k) for k in sorted(days)], (people, days)
        for k, n in days.items():
            assert int(r.cli("HLEN", "antre:{%s}:people:%s" % (ev, k))) == n, (k, n, people)
        # the faults did catch requests in flight: some answers were replays
        assert attempts["replayed"] >= 1, attempts
        print("    %d actions, %d requests (%d retries), %d answered by replay; "
              "%d tickets in Redis, none lost, none twice"
              % (total, attempts["total"], attempts["retries"], attempts["replayed"], len(have)))
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        try:
            r.kill(signal.SIGCONT)
        except Exception:
            pass
        try:
            dd.stop()
        finally:
            r.stop()
