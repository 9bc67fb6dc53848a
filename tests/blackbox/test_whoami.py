"""GET /v1/whoami: what a bearer token is (its role, the events it may
use), for the pages' token check; anything but a valid token is 401, and
wrong tokens count against the address's auth-fail limit like any other."""

import copy
import http.client

from harness import DEMO_EVENT, TOKENS, Antred, Redis, assert_error

redis = None
d = None

OTHER = copy.deepcopy(DEMO_EVENT)
OTHER["id"] = "other"
OTHER["name"] = "Kegiatan Lain"

WRONG = "wrong-" + "7" * 30


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=(DEMO_EVENT, OTHER))
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def test_every_role_told_its_role_and_events():
    for role in ("desk", "station", "organiser", "admin"):
        st, h, body = d.get("/v1/whoami", role=role)
        assert st == 200, (role, st, body)
        assert h["content-type"].startswith("application/json"), h
        assert h["cache-control"] == "no-store", h
        # tokens are per role: every loaded event, in id order
        assert body == {"role": role, "events": ["demo", "other"]}, (role, body)


def test_head_as_get():
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("HEAD", "/v1/whoami", headers={"Authorization": "Bearer " + TOKENS["station"]})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"", resp.status
        assert int(resp.getheader("content-length")) == \
            len(b'{"role":"station","events":["demo","other"]}'), resp.getheaders()
    finally:
        conn.close()


def test_no_token_or_a_wrong_one_is_401():
    for kw in ({}, {"token": WRONG}, {"headers": {"Authorization": "Basic " + TOKENS["desk"]}},
               {"headers": {"Authorization": "Bearer "}}):
        st, h, body = d.get("/v1/whoami", **kw)
        assert_error((st, h, body), 401, "unauthorized")
        assert h.get("www-authenticate") == "Bearer", h
    # a token only in the query does not count here (it is the streams' way)
    assert_error(d.get("/v1/whoami?token=" + TOKENS["desk"]), 401, "unauthorized")


def test_only_get():
    st, h, body = d.post("/v1/whoami", {}, role="admin")
    assert_error((st, h, body), 405, "method_not_allowed")
    assert h["allow"] == "GET, HEAD", h


def test_wrong_tokens_limited():
    """Trying tokens on whoami is what the auth-fail limit is for: after
    auth-fail-limit wrong ones, 429, the right token included."""
    r = Redis()
    lim = Antred(r.url, extra=["auth-fail-limit 3", "auth-fail-window 60"])
    try:
        lim.wait_redis_up()
        assert lim.get("/v1/whoami", role="desk")[0] == 200
        for _ in range(3):
            assert_error(lim.get("/v1/whoami", token=WRONG), 401, "unauthorized")
        st, h, body = lim.get("/v1/whoami", token=WRONG)
        assert_error((st, h, body), 429, "too_many_auth_failures")
        assert 1 <= int(h["retry-after"]) <= 60, h
        assert_error(lim.get("/v1/whoami", role="desk"), 429, "too_many_auth_failures")
        # no token at all is not trying one: still 401, not 429
        assert_error(lim.get("/v1/whoami"), 401, "unauthorized")
    finally:
        try:
            lim.stop()
        finally:
            r.stop()
