"""Several antred behind one address: nginx with the repository's site
configuration (tools/nginx/antre.conf) in front of two antred on one Redis.

A display attached through the proxy to one daemon sees the calls made
through the proxy that the other daemon served: the streams pass nginx
unbuffered, and every daemon follows the same Redis streams.  Which daemon
served what is read from each daemon's own /metrics.  Every loop is
bounded in count and time.
"""

import copy
import http.client
import re
import time

from harness import DEMO_EVENT, Antred, Nginx, Redis, TOKENS
from test_stream import Stream

EV = "proxied"


def event():
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = EV
    ev["stages"] = [{"id": "registration", "name": "Pendaftaran", "stations": 8}]
    return ev


def metric(d, pattern):
    """The sum of the /metrics samples of daemon d whose line matches."""
    st, _, body = d.get("/metrics")
    assert st == 200
    text = body.decode() if isinstance(body, bytes) else body
    return sum(float(m.group(1)) for m in re.finditer(pattern + r" (\S+)$", text, re.M))


def subscribers(d):
    return metric(d, r"^antre_sse_subscribers")


def calls_served(d):
    return metric(d, r'^antre_http_requests_total\{route="station_call",code="200"\}')


class Via:
    """An Antred-like front for the proxy's port (harness requests)."""

    def __init__(self, port):
        self.port = port

    request = Antred.request
    get = Antred.get
    post = Antred.post


def test_call_through_one_daemon_reaches_a_display_on_the_other():
    r = Redis(durable=False)
    daemons, streams, ng = [], [], None
    try:
        for _ in range(2):
            daemons.append(Antred(r.url, events=[event()], extra=["sse-heartbeat 1"]))
        for d in daemons:
            d.wait_redis_up()
        ng = Nginx([d.port for d in daemons])
        via = Via(ng.port)
        st, _, _ = via.get("/healthz")
        assert st == 200
        # a display on each daemon, both attached through nginx (round
        # robin: at most a few tries until each daemon holds one)
        on = {}
        for _ in range(8):
            before = [subscribers(d) for d in daemons]
            s = Stream(ng.port, "/v1/events/%s/stream" % EV)
            streams.append(s)
            s.wait_started()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                grew = [i for i, d in enumerate(daemons) if subscribers(d) > before[i]]
                if grew:
                    break
                time.sleep(0.05)
            assert len(grew) == 1, grew
            on.setdefault(grew[0], s)
            if len(on) == 2:
                break
        assert len(on) == 2, "nginx sent every display to one daemon"
        # calls through nginx until each daemon has served one; every call
        # reaches both displays
        for _ in range(8):
            st, _, b = via.post("/v1/events/%s/tickets" % EV, {"service": "dose1"},
                                headers={"Authorization": "Bearer " + TOKENS["desk"]})
            assert st == 201, (st, b)
        served = {}
        for n in range(1, 9):
            before = [calls_served(d) for d in daemons]
            st, _, c = via.post("/v1/events/%s/stations/registration-%d/call" % (EV, n),
                                headers={"Authorization": "Bearer " + TOKENS["station"]})
            assert st == 200, (st, c)
            who = [i for i, d in enumerate(daemons) if calls_served(d) > before[i]]
            assert len(who) == 1, who
            for s in on.values():
                s.wait(lambda s, t=c["ticket"]["id"]: any(e.json and e.json.get("ticket") == t
                                                          for e in s.of("call")),
                       5, "call %s on a display" % c["ticket"]["code"])
            served.setdefault(who[0], c["ticket"]["id"])
            if len(served) == 2:
                break
        assert len(served) == 2, "nginx sent every call to one daemon"
        # the displays heard calls their own daemon never served
        for i, s in on.items():
            other = served[1 - i]
            assert any(e.json.get("ticket") == other for e in s.of("call"))
        # HTTP/1.1 keep-alive upstream: nginx keeps connections to each
        # daemon open between requests (beside the streams' own); the
        # /metrics reads here are direct, one connection each, closed
        for d in daemons:
            assert metric(d, r"^antre_http_connections") >= subscribers(d) + 2, \
                "no kept-alive upstream connection to daemon :%d" % d.port
        # unbuffered: the heartbeats come through one by one
        s = on[0]
        seen = len(s.comments)
        s.wait(lambda s: len(s.comments) >= seen + 2, 5, "two heartbeats through nginx")
        print("  through nginx: displays on both daemons, calls served by both, "
              "each call on both displays")
    finally:
        for s in streams:
            s.close()
        if ng:
            ng.stop()
        for d in daemons:
            d.stop()
        r.stop()


def from_addr(src, port, path, token, headers=None):
    """GET path on 127.0.0.1:port from the loopback address src: status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(src, 0))
    try:
        conn.request("GET", path, headers=dict(headers or {}, Authorization="Bearer " + token))
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_trusted_proxy_limits_count_the_forwarded_client():
    """trusted-proxy 127.0.0.1 (nginx): the wrong-token limit counts each
    client nginx forwards (X-Forwarded-For), not nginx; a client that
    connects directly cannot pass a forged X-Forwarded-For off as another."""
    r = Redis(durable=False)
    d = ng = None
    try:
        d = Antred(r.url, events=[event()], extra=["trusted-proxy 127.0.0.1",
                                                   "auth-fail-limit 3"])
        d.wait_redis_up()
        ng = Nginx([d.port])
        wrong = "wrong-0123456789abcdef0123456789"
        # client .2 through nginx: three wrong tokens, then blocked
        got = [from_addr("127.0.0.2", ng.port, "/v1/whoami", wrong) for _ in range(4)]
        assert got == [401, 401, 401, 429], got
        assert from_addr("127.0.0.2", ng.port, "/v1/whoami", TOKENS["desk"]) == 429
        # client .3 through the same nginx (the same upstream connections):
        # its own count, untouched
        assert from_addr("127.0.0.3", ng.port, "/v1/whoami", TOKENS["desk"]) == 200
        # client .4 directly, naming .3 in X-Forwarded-For: counted as .4
        forged = {"X-Forwarded-For": "127.0.0.3"}
        got = [from_addr("127.0.0.4", d.port, "/v1/whoami", wrong, forged) for _ in range(4)]
        assert got == [401, 401, 401, 429], got
        assert from_addr("127.0.0.4", d.port, "/v1/whoami", TOKENS["desk"], forged) == 429
        assert from_addr("127.0.0.3", ng.port, "/v1/whoami", TOKENS["desk"]) == 200
        print("  trusted-proxy: a client blocked behind nginx, its neighbour served; "
              "a forged X-Forwarded-For counted against its sender")
    finally:
        if ng:
            ng.stop()
        if d:
            d.stop()
        r.stop()
