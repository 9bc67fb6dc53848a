"""A call whose reply asks for it to go again (store.c's op_retry: its
context as text, the library loaded again, a read as its write) when the
connection can no longer take it: the caller hears what a lost connection
says (503, nothing lost), not Redis's request for the retry (500).

Behind sentinels, a demoted reply (READONLY) makes antred drop the
connection at once; another reply of the same read, ANTRE_NOCTX, then
finds the connection disconnecting and its retry refused by hiredis.  A
fake Sentinel on loopback names a relay in front of a real redis-server;
the relay holds Redis's replies, then hands them to antred in one send,
the first rewritten to READONLY."""

import select
import socket
import threading
import time

from harness import Antred, Redis, assert_error, sentinel_url, wait_until
from test_faults import resp_end
from test_fcall_ctx import library_text, reload_library

NAME = "antre"
BASE = "/v1/events/demo/"
READONLY = b"-READONLY You can't write against a read only replica.\r\n"


def resp_args(buf, i=0):
    """The arguments of the RESP command (an array of bulk strings) at
    buf[i], as bytes."""
    j = buf.find(b"\r\n", i)
    args, k = [], j + 2
    for _ in range(int(buf[i + 1:j])):
        e = buf.find(b"\r\n", k)
        n = int(buf[k + 1:e])
        args.append(bytes(buf[e + 2:e + 2 + n]))
        k = e + 2 + n + 2
    return args


def split(buf):
    """Where each complete RESP message at the start of buf ends."""
    ends, i = [], 0
    for _ in range(100000):
        if i >= len(buf):
            break
        e = resp_end(buf, i)
        if e is None:
            break
        ends.append(e)
        i = e
    return ends


class Loop:
    """A loopback listener served by one thread with select, bounded in
    rounds; subclasses say what to do with an accepted socket and its
    bytes."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.socks = {}                  # socket -> its connection's state
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        for _ in range(10 ** 6):         # 10 ms each at most: ends with stop()
            if self.stopped:
                return
            with self.lock:
                socks = [self.lsock] + list(self.socks)
            r, _, _ = select.select(socks, [], [], 0.01)
            with self.lock:
                for s in r:
                    if s is self.lsock:
                        self.accepted(s.accept()[0])
                    elif s in self.socks:
                        try:
                            data = s.recv(65536)
                        except OSError:
                            data = b""
                        self.got(s, data)

    def stop(self):
        self.stopped = True
        self.thread.join(5)
        with self.lock:
            for s in list(self.socks) + [self.lsock]:
                s.close()
            self.socks.clear()


class FakeSentinel(Loop):
    """Answers SENTINEL get-master-addr-by-name NAME with the relay's
    address (what daemon/sentinel.c asks), PING with PONG."""

    def __init__(self, master_port):
        self.master_port = master_port
        self.asked = 0
        super().__init__()

    def accepted(self, s):
        self.socks[s] = bytearray()

    def got(self, s, data):
        if not data:
            del self.socks[s]
            s.close()
            return
        buf = self.socks[s]
        buf += data
        ends = split(buf)
        start = 0
        for e in ends:
            args = [a.lower() for a in resp_args(buf, start)]
            start = e
            if args == [b"sentinel", b"get-master-addr-by-name", NAME.encode()]:
                self.asked += 1
                port = str(self.master_port).encode()
                s.sendall(b"*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n" % (len(port), port))
            elif args == [b"ping"]:
                s.sendall(b"+PONG\r\n")
            else:
                s.sendall(b"-ERR unknown command\r\n")
        del buf[:start]


class Relay(Loop):
    """Every connection passed through to Redis; while `hold` is set,
    Redis's replies wait in the relay, per connection, and what each
    connection sends is noted."""

    def __init__(self, redis_port):
        self.redis_port = redis_port
        self.hold = False
        self.conns = []                  # [client, upstream, held, sent while held]
        super().__init__()

    def accepted(self, s):
        c = [s, socket.create_connection(("127.0.0.1", self.redis_port)), bytearray(),
             bytearray()]
        self.conns.append(c)
        self.socks[c[0]] = c
        self.socks[c[1]] = c

    def got(self, s, data):
        c = self.socks[s]
        if not data:                     # either side closed: both go
            for x in c[:2]:
                self.socks.pop(x, None)
                x.close()
            self.conns.remove(c)
        elif s is c[0]:
            if self.hold:
                c[3] += data
            c[1].sendall(data)
        elif self.hold:
            c[2] += data
        else:
            c[0].sendall(data)

    def held(self):
        """The connection whose held replies answer every command it sent
        while held, two reads of a ticket among them, each refused with
        ANTRE_NOCTX; None while there is none."""
        with self.lock:
            for c in self.conns:
                sent, held = split(c[3]), split(c[2])
                noctx = [e for i, e in enumerate(held)
                         if c[2].startswith(b"-ANTRE_NOCTX", held[i - 1] if i else 0)]
                reads = c[3].count(b"_ticket_ro\r\n")
                if reads >= 2 and len(noctx) >= 2 and len(held) >= len(sent):
                    return c
        return None

    def release(self, c):
        """Hands every held reply to antred in one send per connection,
        c's first ANTRE_NOCTX rewritten as a demoted master's READONLY."""
        with self.lock:
            self.hold = False
            for x in self.conns:
                out = bytes(x[2])
                if x is c:
                    start = 0
                    for e in split(x[2]):
                        if out.startswith(b"-ANTRE_NOCTX", start):
                            out = out[:start] + READONLY + out[e:]
                            break
                        start = e
                x[0].sendall(out)
                x[2].clear()
                x[3].clear()


def read_ticket(d, tid, out, i):
    try:
        out[i] = d.get(BASE + "tickets/" + tid, role="desk", timeout=15)
    except OSError as e:
        out[i] = e


def test_a_retry_the_disconnecting_connection_refuses_is_a_503():
    r = Redis()
    relay = Relay(r.port)
    sentinel = FakeSentinel(relay.port)
    d = None
    text = library_text()
    try:
        # a long deadline: the held replies must not look like a hung Redis
        d = Antred(sentinel_url([sentinel], NAME), extra=["redis-timeout-ms 5000"])
        d.wait_redis_up()
        ids = []
        for _ in range(2):
            st, _, b = d.post(BASE + "tickets", {"service": "dose1"}, role="desk")
            assert st == 201, (st, b)
            ids.append(b["ticket"]["id"])
        asked = sentinel.asked
        # held from now: no reply reaches antred, so no call sends the
        # context's text to the reloaded library before both reads ran
        relay.hold = True
        reload_library(r, text)
        out = [None, None]
        readers = [threading.Thread(target=read_ticket, args=(d, tid, out, i), daemon=True)
                   for i, tid in enumerate(ids)]
        for t in readers:
            t.start()
        held = {}

        def both_held():
            held["conn"] = relay.held()
            return held["conn"] is not None
        wait_until(both_held, timeout=10, what="both reads refused with ANTRE_NOCTX, held")
        relay.release(held["conn"])
        for t in readers:
            t.join(20)
        for resp in out:
            assert isinstance(resp, tuple), out
            assert_error(resp, 503, "store_unavailable")
            assert resp[1].get("retry-after"), resp
        # by itself: the sentinels asked again, a new connection, both there
        wait_until(lambda: sentinel.asked > asked, timeout=10, what="antred to ask the sentinel")
        d.wait_redis_up(timeout=15)
        for tid in ids:
            st, _, b = d.get(BASE + "tickets/" + tid, role="desk")
            assert st == 200 and b["ticket"]["id"] == tid, (st, b)
        assert "asking the sentinels again" in d.logtext()
    finally:
        if d:
            d.stop()
        relay.stop()
        sentinel.stop()
        r.stop()
