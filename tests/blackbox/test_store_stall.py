"""A deadline that passes while antred itself does not run (a stall, a
busy machine) is not a hung Redis: a reply Redis has already sent is read
before the connection is given up.  Before, antred dropped the connection
and answered 503 "nothing was changed" for a ticket Redis had issued.

And a command bigger than the socket takes while Redis stalls waits for
room without spinning (daemon/redis_events.c writes a command at once,
and only epoll may say when the rest can go)."""

import os
import signal
import threading
import time

from harness import Antred, Redis
from test_areas import csv_of, kabupaten
from test_faults import rx_queue
from test_hostile import cpu_seconds

BASE = "/v1/events/demo/"


def test_a_reply_waiting_when_antred_wakes_past_the_deadline_is_read():
    r = Redis()
    d = Antred(r.url, extra=["redis-timeout-ms 1000"])
    try:
        d.wait_redis_up()
        st, _, _ = d.post(BASE + "tickets", {"service": "dose1"}, role="desk")
        assert st == 201
        out = []
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            t = threading.Thread(target=lambda: out.append(
                d.post(BASE + "tickets", {"service": "dose1"}, role="desk", timeout=15)),
                daemon=True)
            t.start()
            time.sleep(0.3)                        # antred has sent the call
            os.kill(d.proc.pid, signal.SIGSTOP)
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)    # Redis answers at once
        time.sleep(1.5)                            # past the deadline, antred stopped
        os.kill(d.proc.pid, signal.SIGCONT)
        t.join(15)
        assert out, "no answer"
        st, _, b = out[0]
        assert st == 201, (st, b)
        assert b["ticket"]["code"] == "A-002", b
        assert "no reply within" not in d.logtext()
    finally:
        try:
            os.kill(d.proc.pid, signal.SIGCONT)
        finally:
            d.stop()
            r.stop()


def test_a_command_the_socket_cannot_take_waits_without_spinning():
    r = Redis()
    d = Antred(r.url, extra=["redis-timeout-ms 10000", "max-body-bytes 1048576"])
    try:
        d.wait_redis_up()
        # about 0.9 MiB of rows, some 2.8 MiB as the call to Redis: three
        # of them are more than the socket takes while Redis is stopped
        rows = kabupaten()
        for i in range(17000):
            rows.append(("36.04.01.2001.%03d.%d" % (i % 1000, i), "RT x%d" % i,
                         "36.04.01.2001", "rt", 10, 1))
        body = csv_of(rows)
        assert 800000 < len(body) <= 1048576, len(body)
        out = []

        def put():
            out.append(d.request("PUT", "/v1/areas", raw=body, role="admin",
                                 headers={"Content-Type": "text/csv"}, timeout=30))
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            puts = [threading.Thread(target=put, daemon=True) for _ in range(3)]
            for t in puts:
                t.start()
            # antred reads and parses the three bodies, writes what fits and
            # waits: a second of that costs it nothing, where a loop trying
            # the write again costs the whole second.  The parsing takes
            # seconds under the sanitizers on a busy machine (a first second
            # cost 0.58 s there): some second within 15 must be idle, with
            # a command waiting in Redis's socket.
            spent, waiting = [], 0
            for _ in range(15):
                cpu0 = cpu_seconds(d.proc.pid)
                time.sleep(1.0)
                spent.append(cpu_seconds(d.proc.pid) - cpu0)
                waiting = rx_queue(r.port, "01") or 0   # bytes Redis has not read
                if spent[-1] < 0.3 and waiting > 0:
                    break
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        assert waiting > 0, "no command waiting in Redis's socket"
        assert spent[-1] < 0.3, "antred's CPU each second waiting for Redis: %s" % spent
        for t in puts:
            t.join(30)
        assert len(out) == 3, out
        for st, _, b in out:
            assert st == 200 and b["areas"] == len(rows), (st, b)
        assert r.cli("HLEN", "antre:{campaign}:areas") == str(len(rows))
    finally:
        d.stop()
        r.stop()
