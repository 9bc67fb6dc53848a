"""Issues that one turn of antred's event loop reads go to Redis in one
call (daemon/queue_batch.c, the script's issue_batch function): desks'
requests that arrive while antred is stopped go together when it runs
again, and each desk gets what it would have got alone: its own ticket, a
retry of an Idempotency-Key the first ticket replayed, a second ticket of
the same person refused."""

import http.client
import json
import os
import signal
import socket
import time

from harness import TOKENS, Antred, Redis

redis = None


def setup_module():
    global redis
    redis = Redis()


def teardown_module():
    redis.stop()


def monitor(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    s.sendall(b"MONITOR\r\n")
    assert s.recv(5) == b"+OK\r\n"
    return s


def issue_calls(s, until):
    """The issue FCALLs MONITOR has shown, until `until` returns True of them."""
    data, end = b"", time.time() + 10
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            chunk = b""
        data += chunk
        calls = [ln for ln in data.decode("latin-1").split("\r\n")
                 if '"FCALL"' in ln and '_issue' in ln]
        if until(calls):
            return calls
    raise AssertionError("MONITOR showed: %r" % data[-3000:])


def post(c, body, key=None):
    headers = {"Authorization": "Bearer " + TOKENS["desk"], "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    c.request("POST", "/v1/events/demo/tickets", body=json.dumps(body), headers=headers)


def test_issues_of_one_turn_go_in_one_call():
    d = Antred(redis.url)
    conns = []
    try:
        d.wait_redis_up()
        # the library has the event's context (else the first call goes twice)
        assert d.post("/v1/events/demo/tickets", {"service": "booster"}, role="desk")[0] == 201
        # six desks, each on its keep-alive connection (accepted already)
        for _ in range(6):
            c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
            c.request("GET", "/healthz")
            assert c.getresponse().read() and True
            conns.append(c)
        m = monitor(redis.port)
        nik = "3201014501900001"                      # born 1990: not elderly
        bodies = [({"service": "dose1"}, None), ({"service": "dose1"}, "desk-1-retry"),
                  ({"service": "dose1"}, "desk-1-retry"), ({"service": "dose1", "nik": nik}, None),
                  ({"service": "dose1", "nik": nik}, None), ({"service": "dose2"}, None)]
        d.send_signal(signal.SIGSTOP)
        try:
            for c, (body, key) in zip(conns, bodies):
                post(c, body, key)
            time.sleep(0.3)                            # all six in antred's sockets
        finally:
            d.send_signal(signal.SIGCONT)
        replies = []
        for c in conns:
            r = c.getresponse()
            replies.append((r.status, r.getheader("Idempotency-Replayed"), json.loads(r.read())))
        calls = issue_calls(m, lambda calls: len(calls) >= 2)
        m.close()
        # one call of issue_batch with the four without a NIK (N 4, eight
        # arguments each), one with the two whose NIK's region was looked up
        # first (their answers came in one turn too)
        assert len(calls) == 2, calls
        assert all('_issue_batch" ' in c for c in calls), calls
        assert '"4" "8"' in calls[0] and '"2" "8"' in calls[1], calls
        (s0, _, b0), (s1, r1, b1), (s2, r2, b2), (s3, _, b3), (s4, _, b4), (s5, _, b5) = replies
        assert [s0, s1, s2, s3, s4, s5] == [201, 201, 201, 201, 409, 201], replies
        assert r1 is None and r2 == "true", replies                # the retry: replayed
        assert b2["ticket"]["id"] == b1["ticket"]["id"], (b1, b2)
        assert b4["error"]["code"] == "duplicate_person", b4
        codes = [b["ticket"]["code"] for b in (b0, b1, b3)]
        assert codes == ["A-001", "A-002", "A-003"], codes         # in the order they came
        assert b5["ticket"]["code"] == "B-001", b5
    finally:
        for c in conns:
            c.close()
        d.stop()


def test_a_lone_issue_goes_at_once():
    """One desk alone: its issue is one call of one request, answered at
    once (no wait for company)."""
    d = Antred(redis.url)
    try:
        d.wait_redis_up()
        m = monitor(redis.port)
        t0 = time.monotonic()
        st, _, b = d.post("/v1/events/demo/tickets", {"service": "booster"}, role="desk")
        assert st == 201, (st, b)
        assert time.monotonic() - t0 < 2
        calls = issue_calls(m, lambda calls: len(calls) >= 1)
        m.close()
        assert len(calls) == 1 and '"1" "8"' in calls[0], calls
    finally:
        d.stop()
