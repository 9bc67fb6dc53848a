"""Redis high availability: antred behind Redis Sentinel, and writes that
wait for a replica (redis-min-replicas).

Each test starts one master, one replica and three sentinels on free
loopback ports (quick to decide: down-after 1 s), and antred with a
redis-sentinel:// address.  Desks issue in a loop bounded in count and
time, each ticket with its own Idempotency-Key and retried with it until
acknowledged (2xx), as the desk page does.  What counts as acknowledged: a
2xx reply.  Figures (seconds until antred issued again after the master was
killed, tickets acknowledged, 503s) are printed.
"""

import copy
import os
import signal
import threading
import time
import uuid

from harness import (ANTRED_TEST, DEMO_EVENT, Antred, Redis, ReplicaRedis, Sentinel,
                     assert_error, free_port, pin_clocks, sentinel_url, wait_until)

NAME = "antre"
EV = "ha"


def event():
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = EV
    return ev


class Cluster:
    """A master, a replica of it and three sentinels watching them."""

    def __init__(self):
        self.master = self.replica = None
        self.sentinels = []
        try:
            self.master = Redis()
            self.replica = ReplicaRedis(self.master.port)
            wait_until(lambda: "master_link_status:up" in self.replica.cli("INFO", "replication"),
                       timeout=15, what="the replica to sync")
            self.sentinels = [Sentinel(NAME, self.master.port, down_ms=1000, failover_ms=2000)
                              for _ in range(3)]
            # a failover needs each sentinel to know the replica and the
            # other two (they meet through the master every 2 s)
            for s in self.sentinels:
                wait_until(lambda s=s: self.met(s), timeout=20, step=0.2,
                           what="the sentinels to meet")
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def met(s):
        out = s.cli("SENTINEL", "master", NAME).split("\n")
        info = dict(zip(out[0::2], out[1::2]))
        return info.get("num-other-sentinels") == "2" and info.get("num-slaves") == "1"

    def url(self):
        return sentinel_url(self.sentinels, NAME)

    def stop(self):
        for node in self.sentinels + [self.replica, self.master]:
            if node:
                node.stop()


def antred(cluster, extra=()):
    pin_clocks(cluster.master, [EV])
    return Antred(cluster.url(), events=[event()], binary=ANTRED_TEST,
                  extra=["test-clock 1"] + list(extra))


class Desk:
    """Issues tickets one after another, each with its own key, retried
    with that key until a 2xx: what every acknowledged ticket was, how many
    answers were 503 and when antred last acknowledged one."""

    def __init__(self, d):
        self.d = d
        self.acked = []                  # (key, ticket, when) in order
        self.unavailable = 0
        self.other = []
        self.last_ok = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def issue(self, key):
        try:
            return self.d.post("/v1/events/%s/tickets" % EV, {"service": "dose1"}, role="desk",
                               headers={"Idempotency-Key": key}, timeout=5)
        except OSError as e:
            return (None, {}, str(e))

    def run(self, limit=3000, seconds=60):
        end = time.monotonic() + seconds
        key = uuid.uuid4().hex
        while not self.stop.is_set() and len(self.acked) < limit and time.monotonic() < end:
            st, h, body = self.issue(key)
            if st == 201:
                self.acked.append((key, body["ticket"], time.monotonic()))
                self.last_ok = time.monotonic()
                key = uuid.uuid4().hex
            elif st == 503:
                self.unavailable += 1
                assert h.get("retry-after"), h
                time.sleep(0.05)
            elif st is None:
                time.sleep(0.05)         # a broken connection: the same key again
            else:
                self.other.append((st, body))
                time.sleep(0.05)

    def wait_acked(self, n, timeout, what):
        wait_until(lambda: len(self.acked) >= n, timeout=timeout, step=0.05, what=what)


def check_tickets(d, acked):
    """Every acknowledged ticket is there, with its code, and no code twice."""
    codes = [t["code"] for _, t, _ in acked]
    assert len(set(codes)) == len(codes), "a code issued twice: %r" % sorted(
        c for c in codes if codes.count(c) > 1)
    for _, t, _ in acked:
        st, _, b = d.get("/v1/events/%s/tickets/%s" % (EV, t["id"]), role="desk")
        assert st == 200 and b["ticket"]["code"] == t["code"], (t, st, b)


def test_master_killed_antred_issues_again_by_itself():
    c = Cluster()
    d = None
    desk = None
    try:
        d = antred(c)
        d.wait_redis_up()
        desk = Desk(d)
        desk.thread.start()
        desk.wait_acked(20, 20, "tickets before the failover")
        c.master.kill(signal.SIGKILL)
        killed = time.monotonic()
        before = len(desk.acked)
        # acknowledged again: by antred itself, asking the sentinels
        wait_until(lambda: len(desk.acked) > before + 20, timeout=30, step=0.05,
                   what="antred to issue again after the failover")
        took = desk.acked[before][2] - killed
        desk.stop.set()
        desk.thread.join(15)
        print("  failover: %d tickets acknowledged, %d answers 503, antred issued again "
              "within %.1f s of the kill" % (len(desk.acked), desk.unavailable, took))
        assert not desk.other, desk.other[:3]
        check_tickets(d, desk.acked)
        assert c.replica.role() == "master"
        assert took < 10, "antred took %.1f s to issue again" % took
    finally:
        if desk:
            desk.stop.set()
            desk.thread.join(15)
        try:
            if d:
                d.stop()
        finally:
            c.stop()


def tickets_in(node):
    """ids of the event's tickets held by that Redis node."""
    out = node.cli("--scan", "--pattern", "antre:{%s}:t:*" % EV).split()
    return sorted(k.split(":t:", 1)[1] for k in out)


def test_min_replicas_503_while_the_replica_is_stopped():
    """redis-min-replicas 1: a write is answered once a replica has it
    (WAIT).  With the replica SIGSTOPped every write is 503 not_replicated
    with Retry-After, reads still work; after SIGCONT the same request with
    its Idempotency-Key is answered with the one ticket it made, and new
    writes succeed again.  Every acknowledged ticket is on the replica."""
    c = Cluster()
    d = None
    stopped = False
    try:
        d = antred(c, ["redis-min-replicas 1"])
        d.wait_redis_up()
        path = "/v1/events/%s/tickets" % EV
        acked = []
        for i in range(5):
            st, h, b = d.post(path, {"service": "dose1"}, role="desk",
                              headers={"Idempotency-Key": "before-%d" % i})
            assert st == 201, (st, b)
            acked.append(b["ticket"])
        c.replica.kill(signal.SIGSTOP)
        stopped = True
        refused = 0
        for i in range(4):
            t0 = time.monotonic()
            resp = d.post(path, {"service": "dose1"}, role="desk",
                          headers={"Idempotency-Key": "during-%d" % (i % 2)})
            took = time.monotonic() - t0
            assert_error(resp, 503, "not_replicated")
            assert resp[1].get("retry-after") == "1", resp[1]
            assert took < 5, "a 503 took %.1f s" % took
            refused += 1
        # the area table and the boundaries too: written, not yet promised
        area_file = b"code,name,parent,level,target,elderly_target\nK1,Kab. Uji,,kabupaten,10,2\n"
        assert_error(d.request("PUT", "/v1/areas", raw=area_file, role="admin"), 503,
                     "not_replicated")
        square = {"type": "FeatureCollection", "features": [{"type": "Feature",
                  "properties": {"code": "K1"}, "geometry": {"type": "Polygon",
                  "coordinates": [[[106, -6], [107, -6], [107, -7], [106, -6]]]}}]}
        assert_error(d.request("PUT", "/v1/areas/geometry", body=square, role="admin"), 503,
                     "not_replicated")
        # reads need no replica
        st, _, board = d.get("/v1/events/%s/board" % EV)
        assert st == 200, board
        st, _, b = d.get("%s/%s" % (path, acked[0]["id"]), role="desk")
        assert st == 200 and b["ticket"]["code"] == acked[0]["code"], b
        c.replica.kill(signal.SIGCONT)
        stopped = False
        wait_until(lambda: "master_link_status:up" in c.replica.cli("INFO", "replication"),
                   timeout=15, what="the replica to resume")
        # the retries: the ticket each key made, once
        again = {}
        for i in range(2):
            st = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                st, h, b = d.post(path, {"service": "dose1"}, role="desk",
                                  headers={"Idempotency-Key": "during-%d" % i})
                if st != 503:
                    break
                time.sleep(0.2)
            assert st == 201 and h.get("idempotency-replayed") == "true", (st, h, b)
            again[i] = b["ticket"]
            acked.append(b["ticket"])
        assert again[0]["id"] != again[1]["id"]
        for i in range(3):
            # the replica may still be catching up: a desk tries again with
            # the same key, as the 503 says
            deadline = time.monotonic() + 15
            while True:
                st, h, b = d.post(path, {"service": "dose1"}, role="desk",
                                  headers={"Idempotency-Key": "after-%d" % i})
                if st != 503 or time.monotonic() > deadline:
                    break
                assert b["error"]["code"] == "not_replicated", b
                time.sleep(0.2)
            assert st == 201, (st, b)
            acked.append(b["ticket"])
        # one ticket per key, no code twice, every acknowledged one replicated
        master_ids = tickets_in(c.master)
        assert len(master_ids) == 5 + 2 + 3, master_ids
        codes = [t["code"] for t in acked]
        assert len(set(codes)) == len(codes), codes
        wait_until(lambda: tickets_in(c.replica) == master_ids, timeout=10,
                   what="the replica to hold every ticket")
        print("  min-replicas 1: %d writes 503 not_replicated while the replica was "
              "stopped, %d tickets acknowledged, all on the replica" % (refused, len(acked)))
    finally:
        if stopped:
            c.replica.kill(signal.SIGCONT)
        try:
            if d:
                d.stop()
        finally:
            c.stop()


def test_no_sentinel_answers_503_with_retry_after():
    """Sentinels that do not answer (nobody listens on their ports): antred
    starts, /healthz and writes are 503 store_unavailable with Retry-After
    within the deadline, and the log says why, once."""
    url = "redis-sentinel://127.0.0.1:%d,127.0.0.1:%d/0?master=%s" % (
        free_port(), free_port(), NAME)
    d = Antred(url, events=[event()])
    try:
        time.sleep(1.5)              # a few rounds of asking
        st, _, _ = d.get("/healthz")
        assert st == 503
        t0 = time.monotonic()
        resp = d.post("/v1/events/%s/tickets" % EV, {"service": "dose1"}, role="desk")
        assert time.monotonic() - t0 < 2, "a 503 took too long"
        assert_error(resp, 503, "store_unavailable")
        assert resp[1].get("retry-after") == "1", resp[1]
    finally:
        text = d.stop()
    for conn in ("redis", "redis follow"):
        assert text.count("%s: no sentinel names master %s" % (conn, NAME)) == 1, text[-2000:]
    # the start names the master it will ask the sentinels for, not a blank host
    assert "events, redis master %s" % NAME in text, text[-2000:]
