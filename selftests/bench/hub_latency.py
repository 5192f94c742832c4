#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hub_latency.py - time from a hub message's arrival to its handling, in
nmb-agent and nmb-exporter (issue 10), on the host over loopback.

A fake hub (plain sockets, a minimal RFC 6455 server, no asyncio: nothing
of Python's scheduling sits inside the measured interval) accepts the
daemon's WebSocket, answers what the daemon sends first (hello,
register_place), then sends N requests one at a time, each a moment after
the previous answer: reserve_queued (a ticket the agent does not hold: it
looks it up and answers null) to the agent, set_allowed_ips([]) (the
place's allow-list is replaced and logged) to the exporter.

What is measured, per request:
  round trip = kernel receive timestamp of the answer (SO_TIMESTAMPNS,
               taken when the segment reaches the hub's socket, before
               Python wakes up) - CLOCK_REALTIME just before send().
It holds the send() syscall, the loopback transit both ways, and the
daemon's time from the request's arrival on its socket to its answer on
the wire (waking up, libwebsockets, JSON-RPC parse, handler, reply).

Network, measured apart: the same size of message between two loopback
sockets of this process, send() to the receiver's kernel timestamp, as
above: one transit. daemon = round trip - 2 x that transit's median, so
the daemon figure is what is left once the loopback is taken out; it is
an estimate (the transit varies by a few microseconds), never below 0.

Prints "bench NAME key=value ..." lines for selftests/bench/table.py:
hub_latency_{agent,exporter}_{p50,p99} (daemon time) and
hub_rtt_{agent,exporter}_p99 (whole round trip), hub_loopback_transit.

Usage: hub_latency.py BUILD_DIR WORKDIR [N]   (N default 1000)
"""
import base64
import hashlib
import json
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def stamped(sock):
    """Blocking recv with the kernel's arrival time of the data."""
    data, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16))
    t = None
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", raw[:16])
            t = sec * 1000000000 + nsec
    if not data:
        raise EOFError("the daemon closed the WebSocket")
    return data, t


class Plain:
    """TCP as it is."""

    def __init__(self, sock):
        self.sock = sock

    def sendall(self, *chunks):
        self.sock.sendall(b"".join(chunks))

    def recv(self):
        return stamped(self.sock)


class Tls:
    """TLS through memory BIOs, so that the TCP segments keep their
    kernel timestamps: the time of a record is that of its first
    segment."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.last = None
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data, _ = stamped(sock)
                self.inc.write(data)
        self._flush()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def sendall(self, *chunks):
        """One TLS record per chunk, all in one TCP write."""
        for c in chunks:
            self.obj.write(c)
        self._flush()

    def recv(self):
        first = None
        while True:
            try:
                data = self.obj.read(65536)
                if not data:
                    raise EOFError("the daemon closed the TLS session")
                self._flush()
                # a record already here came with the last segment read
                return data, first if first is not None else self.last
            except ssl.SSLWantReadError:
                data, t = stamped(self.sock)
                first = t if first is None else first
                self.last = t
                self.inc.write(data)


class Peer:
    """The hub's end of one WebSocket: unmasked frames out, masked in."""

    def __init__(self, transport):
        self.sock = transport
        self.buf = b""
        self.stamp = None       # arrival of the first byte of buf

    def handshake(self):
        while b"\r\n\r\n" not in self.buf:
            data, _ = self.sock.recv()
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        key = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    @staticmethod
    def frame(obj):
        payload = json.dumps(obj).encode()
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x82, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x82, 126, n)
        else:
            head = struct.pack("!BBQ", 0x82, 127, n)
        return head + payload

    def send(self, *objs):
        """Sends the messages in one write; the time just before it."""
        frames = [self.frame(o) for o in objs]
        t0 = now_ns()
        self.sock.sendall(*frames)
        return t0

    def _frame(self):
        """One complete frame from buf, or None."""
        b = self.buf
        if len(b) < 2:
            return None
        op, n = b[0] & 0x0F, b[1] & 0x7F
        off = 2
        if n == 126:
            if len(b) < 4:
                return None
            n, off = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, off = struct.unpack("!Q", b[2:10])[0], 10
        masked = b[1] & 0x80
        mask = b[off:off + 4] if masked else b"\0\0\0\0"
        off += 4 if masked else 0
        if len(b) < off + n:
            return None
        data = bytes(c ^ mask[i % 4] for i, c in enumerate(b[off:off + n]))
        self.buf = b[off + n:]
        return op, data

    def recv(self):
        """Next JSON message and the arrival time of its first segment."""
        while True:
            f = self._frame()
            if f:
                op, data = f
                t, self.stamp = self.stamp, None
                if self.buf:
                    self.stamp = t
                if op in (1, 2):
                    return json.loads(data), t
                if op == 8:
                    raise EOFError("the daemon closed the WebSocket")
                if op == 9:     # ping: pong
                    self.sock.sendall(struct.pack("!BB", 0x8A, len(data))
                                      + data)
                continue
            data, t = self.sock.recv()
            if not self.buf:
                self.stamp = t
            self.buf += data


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    return s


def accept(lsock, timeout=20):
    lsock.settimeout(timeout)
    c, _ = lsock.accept()
    c.settimeout(timeout)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    return c


def answer_startup(peer, want):
    """Answers the daemon's first requests until `want` was seen."""
    while True:
        msg, _ = peer.recv()
        m = msg.get("method")
        if "id" not in msg:
            continue
        if m == "register_place":
            peer.send({"jsonrpc": "2.0", "id": msg["id"], "result": 1})
        elif m == "hello":
            peer.send({"jsonrpc": "2.0", "id": msg["id"],
                       "result": {"session": "bench", "resumed": False,
                                  "grace": 30, "features": []}})
        else:
            peer.send({"jsonrpc": "2.0", "id": msg["id"],
                       "error": {"code": -32601,
                                 "message": "Method not found"}})
        if m == want:
            return


def rounds(peer, method, params, n, burst):
    """
    n rounds, one at a time: a request (or, with burst, two requests in
    one write: both are there at once, as when the hub was quick to send
    them); the round trip of the (last) answer, in ns.
    """
    out = []
    for i in range(n + 20):
        rid = 100000 + 2 * i
        reqs = [{"jsonrpc": "2.0", "id": rid + k, "method": method,
                 "params": params} for k in range(2 if burst else 1)]
        want = reqs[-1]["id"]
        t0 = peer.send(*reqs)
        while True:
            msg, t1 = peer.recv()
            if "error" in msg:
                raise RuntimeError("%s answered %r" % (method, msg["error"]))
            if msg.get("id") == want and "method" not in msg:
                break
        if i >= 20:             # the first 20 warm up
            out.append(t1 - t0)
        time.sleep(random.uniform(0.001, 0.003))
    return out


def loopback_transit(size, n=1000):
    """send() to the peer's kernel timestamp, same size, in ns."""
    lsock = listener()
    a = socket.create_connection(lsock.getsockname())
    b = accept(lsock)
    a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b"x" * size
    out = []
    for _ in range(n):
        t0 = now_ns()
        a.sendall(payload)
        got = 0
        t1 = None
        while got < size:
            data, t = stamped(b)
            t1 = t if t1 is None else t1
            got += len(data)
        out.append(t1 - t0)
        time.sleep(0.0005)
    a.close()
    b.close()
    lsock.close()
    return out


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def run_daemon(argv, log):
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def connect(lsock, tls):
    sock = accept(lsock)
    return Peer(Tls(sock, tls) if tls else Plain(sock))


def tls_lines(tls, work):
    return ("tls:\n  ca_file: %s\n" % os.path.join(work, "hub.pem")
            if tls else "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# name -> (its configuration after "server: URL\n", what it asks first,
#          the request the hub times)
DAEMONS = {
    "agent": ("socket: {work}/agent.sock\n{tls}", "hello",
              ("reserve_queued", {"ticket": "no-such-ticket",
                                  "position": 1})),
    "exporter": ("state_dir: {work}\n{tls}places:\n  - name: bench\n"
                 "    port: {port}\n    parts: []\n", "register_place",
                 ("set_allowed_ips", [[]])),
}


def bench(name, build, work, n, tls, burst):
    """The round trips of n rounds with nmb-<name> on a fresh hub."""
    rest, first, (method, params) = DAEMONS[name]
    lsock = listener()
    conf = os.path.join(work, name + ".yaml")
    with open(conf, "w") as f:
        f.write("server: %s://127.0.0.1:%d\n" %
                ("wss" if tls else "ws", lsock.getsockname()[1]) +
                rest.format(work=work, tls=tls_lines(tls, work),
                            port=free_port()))
    log = open(os.path.join(work, name + ".log"), "w")
    p = run_daemon([os.path.join(build, "nmb-" + name), "-c", conf], log)
    try:
        peer = connect(lsock, tls)
        peer.handshake()
        answer_startup(peer, first)
        return rounds(peer, method, params, n, burst)
    finally:
        stop(p)
        lsock.close()


def tls_context(work):
    pem = os.path.join(work, "hub.pem")
    key = os.path.join(work, "hub.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", pem],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem, key)
    return ctx


def main():
    build, work = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    transit = pct(loopback_transit(120), 50)
    print("bench hub_loopback_transit value=%.1f unit=us n=1000" %
          (transit / 1000.0), flush=True)
    tls = tls_context(work)
    for name in DAEMONS:
        for kind, ctx, burst in (("", None, False), ("_tls", tls, False),
                                 ("_tls_burst", tls, True)):
            rtt = bench(name, build, work, n, ctx, burst)
            daemon = [max(0, r - 2 * transit) for r in rtt]
            for q in (50, 99):
                print("bench hub_latency_%s%s_p%d value=%.3f unit=ms n=%d" %
                      (name, kind, q, pct(daemon, q) / 1e6, len(daemon)),
                      flush=True)
            print("bench hub_rtt_%s%s_p99 value=%.3f unit=ms n=%d" %
                  (name, kind, pct(rtt, 99) / 1e6, len(rtt)), flush=True)


if __name__ == "__main__":
    main()
