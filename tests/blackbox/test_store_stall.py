"""A deadline that passes while antred itself does not run (a stall, a
busy machine) is not a hung Redis: a reply Redis has already sent is read
before the connection is given up.  Before, antred dropped the connection
and answered 503 "nothing was changed" for a ticket Redis had issued."""

import os
import signal
import threading
import time

from harness import Antred, Redis

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
