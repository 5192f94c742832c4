# SPDX-License-Identifier: GPL-2.0
# relay_test.py - nmb-server's relay of dial-out places
# (Documentation/protocol.rst, "Dial-out places") on loopback, with a
# fake exporter in Python that registers a dial_out place and answers
# relay_open by dialling the relay port: the place listed with the
# relay's address, a relayed tunnel (bytes both ways, through splice),
# the not-my-board agent's exact CONNECT, 403 without the exporter
# hearing of it, 504 when it does not dial, single-use and expiring ids,
# malformed heads, the half-open limits under a flood, and cuts when the
# reservation ends or the exporter goes; TLS on the relay (agents and
# data connections, plain still accepted or refused with relay.tls:
# required, the handshake under the head timeout). Prints TAP.
# Usage: relay_test.py NMB_SERVER_BINARY WORKDIR
import asyncio
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
from nmbpeer import (Peer, RpcError, Server, close_all,  # noqa: E402
                     place_desc)
from nmbtest import (check, collector, free_range, make_cert,  # noqa: E402
                     run_tests, servers_line)

BIN, WORK = sys.argv[1], sys.argv[2]
TESTS, test = collector()
servers = []
PY_CONNECT = (b"CONNECT usb.not-my-board.localhost:3240 HTTP/1.1\r\n"
              b"Host: usb.not-my-board.localhost:3240\r\n"
              b"User-Agent: python-h11/0.14.0\r\n\r\n")
TCP_CONNECT = (b"CONNECT 192.168.7.20:22 HTTP/1.1\r\n"
               b"Host: 192.168.7.20:22\r\n\r\n")


def new_server(extra=""):
    base = free_range(6)
    conf = ("relay:\n  listen: 127.0.0.1:%d\n  ports: %d-%d\n%s"
            % (base, base + 1, base + 5, extra))
    s = Server(BIN, WORK, config=conf, listen=["127.0.0.1:@PORT@"])
    s.relay_port = base
    servers.append(s)
    return s


CERT = None


def tls_server(tls_mode="auto"):
    """A server whose hub listener is plain but whose relay speaks TLS
    with tls.cert (relay.tls: tls_mode)."""
    global CERT
    if not CERT:
        CERT = make_cert(os.path.join(WORK, "relay.key"),
                         os.path.join(WORK, "relay.crt"))
    base = free_range(6)
    conf = ("listen:\n  - {address: \"127.0.0.1:@PORT@\", plain: true}\n"
            "tls:\n  cert: %s\n  key: %s\n"
            "relay:\n  listen: 127.0.0.1:%d\n  ports: %d-%d\n  tls: %s\n"
            % (CERT[0], CERT[1], base, base + 1, base + 5, tls_mode))
    s = Server(BIN, WORK, config=conf, listen=[])
    s.relay_port = base
    for _ in range(100):    # "listening on" of the hub may come first
        if "relay listening" in s.text():
            break
        time.sleep(0.05)
    servers.append(s)
    return s


def client_tls():
    ctx = ssl.create_default_context(cafile=CERT[0])
    return ctx


def metrics(srv):
    with urllib.request.urlopen(srv.url("/metrics", scheme="http"),
                                timeout=5) as r:
        return r.read().decode()


def places(srv):
    with urllib.request.urlopen(srv.url("/api/v1/places", scheme="http"),
                                timeout=5) as r:
        return json.loads(r.read())["places"]


class FakeExporter:
    """A dial_out place over a real WebSocket; relay_open dials the
    relay (or not: mode "ignore") and then serves the tunnel: 200 to
    the CONNECT, then echo."""

    def __init__(self, peer, mode="serve"):
        self.peer = peer
        self.mode = mode
        self.opens = []      # relay_open params
        self.heads = []      # CONNECT heads as the exporter got them
        self.tasks = []
        peer.handlers["relay_open"] = self.relay_open

    @classmethod
    async def start(cls, srv, name="relay-1", mode="serve", features=()):
        peer = await Peer.connect(srv.url())
        if features:
            await peer.call("hello", features=list(features))
        fe = cls(peer, mode)
        desc = place_desc(name)
        del desc["port"]
        desc["dial_out"] = True
        fe.place_id = await peer.call("register_place", desc)
        return fe

    async def relay_open(self, relay_id, place_id, ip, port, tls=False):
        self.opens.append({"relay_id": relay_id, "place_id": place_id,
                           "ip": ip, "port": port, "tls": tls})
        if self.mode == "serve":
            self.tasks.append(asyncio.ensure_future(
                self.serve(relay_id, port, tls)))
        return None

    async def dial(self, relay_id, port, tls=False):
        r, w = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_tls() if tls else None)
        w.write(b"NMB-RELAY /%s HTTP/1.1\r\nHost: nmb-relay\r\n\r\n"
                % relay_id.encode())
        await w.drain()
        return r, w

    async def serve(self, relay_id, port, tls=False):
        r, w = await self.dial(relay_id, port, tls)
        try:
            head = await r.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            w.write(b"HTTP/1.1 200 \r\n\r\n")
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()


class OldExporter(FakeExporter):
    """An exporter from before TLS on the relay: no relay_tls in its
    hello, and relay_open refuses arguments it does not know, as
    nmb-exporter's rpc_args() did."""

    async def relay_open(self, relay_id, place_id, ip, port, **more):
        if more:
            raise RpcError(-32603, "got an unexpected keyword argument "
                           "'%s'" % sorted(more)[0])
        return await super().relay_open(relay_id, place_id, ip, port)


async def reserved(srv, name="relay-1", mode="serve", features=(),
                   cls=FakeExporter):
    fe = await cls.start(srv, name, mode, features)
    agent = await Peer.connect(srv.url())
    check(await agent.call("reserve", [fe.place_id]) == fe.place_id,
          "reserved")
    place = [p for p in places(srv) if p["id"] == fe.place_id][0]
    return fe, agent, place


async def connect(place, head, src="127.0.0.1", tls=False):
    """A CONNECT to the place's address; (status line, reader, writer)."""
    s = socket.socket()
    s.bind((src, 0))
    s.setblocking(False)
    await asyncio.get_event_loop().sock_connect(s, (place["host"],
                                                    place["port"]))
    if tls:
        r, w = await asyncio.open_connection(
            sock=s, ssl=client_tls(), server_hostname=place["host"])
    else:
        r, w = await asyncio.open_connection(sock=s)
    w.write(head)
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 10)
    try:
        while True:     # the rest of the answer's head
            more = await asyncio.wait_for(r.readline(), 10)
            if more in (b"\r\n", b"\n", b""):
                break
    except ConnectionResetError:
        pass            # an error answer to an unread request: RST
    return line, r, w


@test
async def listed_with_relay_address():
    srv = new_server()
    fe = await FakeExporter.start(srv)
    p = places(srv)[0]
    check(p["host"] == "127.0.0.1", p)
    check(srv.relay_port < p["port"] <= srv.relay_port + 5, p)
    check("dial_out" not in p, "dial_out is not listed: %s" % p)
    check("relay_tls" not in p, "no relay_tls without TLS: %s" % p)
    check(fe.opens == [], "nothing asked yet")
    return "host %s port %d" % (p["host"], p["port"])


@test
async def relayed_tunnel_both_ways():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    line, r, w = await connect(place, TCP_CONNECT)
    check(line.startswith(b"HTTP/1.1 200"), line)
    check(fe.opens and fe.opens[0]["ip"] == "127.0.0.1" and
          fe.opens[0]["place_id"] == fe.place_id and
          fe.opens[0]["port"] == srv.relay_port, fe.opens)
    check(len(fe.opens[0]["relay_id"]) == 32, fe.opens)
    check(fe.heads == [TCP_CONNECT], "CONNECT forwarded as sent: %s"
          % fe.heads)
    check(await echo_check(r, w, 4 << 20), "4 MiB echoed intact")
    w.close()
    check("joined to the exporter's data connection" in srv.text(),
          "join logged")
    await asyncio.sleep(0.3)
    m = metrics(srv)
    check('nmb_relay_connections_total{outcome="joined"} 1' in m and
          re.search(r"nmb_relay_bytes_total (\d+)", m) and
          int(re.search(r"nmb_relay_bytes_total (\d+)", m).group(1)) >=
          2 * (4 << 20), "metrics: %s" % m[-600:])
    return "4 MiB through the relay and back"


@test
async def not_my_board_connect():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    line, r, w = await connect(place, PY_CONNECT)
    check(line.startswith(b"HTTP/1.1 200"), line)
    check(fe.heads == [PY_CONNECT], fe.heads)
    w.write(b"ping")
    check(await asyncio.wait_for(r.readexactly(4), 5) == b"ping", "echo")
    w.close()
    return "python-h11's CONNECT relayed byte for byte"


@test
async def foreign_peer_403_exporter_not_told():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    line, r, w = await connect(place, TCP_CONNECT, src="127.0.0.2")
    check(line.startswith(b"HTTP/1.1 403"), line)
    w.close()
    other = await FakeExporter.start(srv, "relay-2")
    p2 = [p for p in places(srv) if p["id"] == other.place_id][0]
    line, r, w = await connect(p2, TCP_CONNECT)
    check(line.startswith(b"HTTP/1.1 403"), "unreserved place: %s" % line)
    w.close()
    await asyncio.sleep(0.2)
    check(fe.opens == [] and other.opens == [],
          "no relay_open: %s %s" % (fe.opens, other.opens))
    check("peer IP is not the holder's; answered 403" in srv.text(),
          "logged")
    return "403 for another IP and an unreserved place, no relay_open"


@test
async def secret_admits_any_address():
    # Per-reservation secrets: with one in the grant, the relay admits
    # the CONNECT that carries it (from any address: agents behind NAT)
    # and refuses one without it or with another, before relay_open.
    srv = new_server()
    fe = await FakeExporter.start(srv, features=["secret"])
    agent = await Peer.connect(srv.url())
    await agent.call("hello", features=["secret"])
    got = await agent.call("reserve", [fe.place_id])
    check(isinstance(got, dict) and len(got.get("secret", "")) == 43, got)
    sec = got["secret"].encode()
    place = [p for p in places(srv) if p["id"] == fe.place_id][0]
    bearer = b"Proxy-Authorization: Bearer %s\r\n\r\n"
    for head, src, why in (
            (TCP_CONNECT, "127.0.0.1", "holder's IP without the secret"),
            (TCP_CONNECT[:-2] + bearer % (b"A" * 43), "127.0.0.1",
             "a wrong secret")):
        line, r, w = await connect(place, head, src)
        check(line.startswith(b"HTTP/1.1 403"), "%s: %s" % (why, line))
        w.close()
    await asyncio.sleep(0.2)
    check(fe.opens == [], "no relay_open for refusals: %s" % fe.opens)
    check(got["secret"] not in srv.text(), "the secret is never logged")
    head = TCP_CONNECT[:-2] + bearer % sec
    line, r, w = await connect(place, head, src="127.0.0.2")
    check(line.startswith(b"HTTP/1.1 200"), "secret from another IP: %s"
          % line)
    check(fe.heads == [head], "CONNECT forwarded with its header")
    w.write(b"ping")
    check(await asyncio.wait_for(r.readexactly(4), 5) == b"ping", "echo")
    w.close()
    return "secret admits from 127.0.0.2; none or a wrong one: 403"


@test
async def silent_exporter_504():
    srv = new_server()
    fe, agent, place = await reserved(srv, "mute", mode="ignore")
    t0 = time.monotonic()
    line, r, w = await connect(place, TCP_CONNECT)
    took = time.monotonic() - t0
    check(line.startswith(b"HTTP/1.1 504"), line)
    check(4.5 < took < 8, "after about 5 s: %.1f s" % took)
    check(len(fe.opens) == 1, fe.opens)
    check("place mute: the exporter did not open its data connection"
          in srv.text(), "log names the place")
    check('nmb_relay_connections_total{outcome="timeout"} 1' in
          metrics(srv), "timeout counted")
    w.close()
    # the id expired with the wait: a late data connection is refused
    r2, w2 = await fe.dial(fe.opens[0]["relay_id"], srv.relay_port)
    check(await asyncio.wait_for(r2.read(100), 5) == b"",
          "expired id: closed")
    w2.close()
    return "504 after %.1f s; the expired id is refused" % took


@test
async def ids_single_use():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    line, r, w = await connect(place, TCP_CONNECT)
    check(line.startswith(b"HTTP/1.1 200"), line)
    r2, w2 = await fe.dial(fe.opens[0]["relay_id"], srv.relay_port)
    check(await asyncio.wait_for(r2.read(100), 5) == b"",
          "second use of the id: closed")
    w2.close()
    r3, w3 = await fe.dial("0" * 32, srv.relay_port)
    check(await asyncio.wait_for(r3.read(100), 5) == b"", "unknown id")
    w3.close()
    r4, w4 = await asyncio.open_connection("127.0.0.1", srv.relay_port)
    w4.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    check(await asyncio.wait_for(r4.read(100), 5) == b"", "not a hello")
    w4.close()
    w.write(b"still")
    check(await asyncio.wait_for(r.readexactly(5), 5) == b"still",
          "the first tunnel is unharmed")
    w.close()
    check("names an unknown, used or expired relay id" in srv.text(), "log")
    return "used, unknown and non-hello data connections closed"


@test
async def malformed_heads():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    got = []
    for head, want in ((b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b" 405"),
                       (b"CONNECT a:1 HTTP/1.1\r\n\r\n", b" 400"),
                       (b"\x16\x03\x01\x00\xff\x01\r\n\r\n", b" 400"),
                       (b"CONNECT a:1 HTTP/1.1\r\nX: " + b"y" * 17000 +
                        b"\r\n\r\n", b" 431")):
        line, r, w = await connect(place, head)
        got.append(line[8:12])
        check(line[8:12] == want, "%r -> %r" % (head[:20], line))
        w.close()
    check(fe.opens == [], "exporter not asked: %s" % fe.opens)
    return "405, 400, 400, 431"


@test
async def flood_half_open():
    srv = new_server("  max_half_open_per_ip: 4\n  max_half_open: 50\n")
    fe, agent, place = await reserved(srv)
    socks = []
    for _ in range(30):
        s = socket.socket()
        s.bind(("127.0.0.3", 0))
        s.connect((place["host"], place["port"]))
        socks.append(s)
    time.sleep(0.5)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except ConnectionError:
            closed += 1
    check(closed == 26, "all but 4 closed at once: %d" % closed)
    t0 = time.monotonic()
    line, r, w = await connect(place, TCP_CONNECT)
    took = time.monotonic() - t0
    check(line.startswith(b"HTTP/1.1 200"), "holder still served: %s" % line)
    w.close()
    for s in socks:
        s.close()
    check("half-open from it (limit 4)" in srv.text(), "flood logged")
    return "26 of 30 closed at once; the holder served in %.0f ms" % (
        took * 1000)


@test
async def return_cuts_relayed():
    srv = new_server()
    fe, agent, place = await reserved(srv)
    line, r, w = await connect(place, TCP_CONNECT)
    check(line.startswith(b"HTTP/1.1 200"), line)
    await agent.call("return_reservation", fe.place_id)
    check(await asyncio.wait_for(r.read(100), 5) == b"", "cut")
    w.close()
    check("no longer allowed; relayed connection cut" in srv.text(), "log")
    # the exporter leaving closes the place's port
    await agent.call("reserve", [fe.place_id])
    line, r, w = await connect(place, TCP_CONNECT)
    await fe.peer.close()
    check(await asyncio.wait_for(r.read(100), 5) == b"", "cut with place")
    w.close()
    # the place goes on the server's next turn after the cut: poll
    for _ in range(30):
        s = socket.socket()
        err = s.connect_ex((place["host"], place["port"]))
        s.close()
        if err:
            break
        await asyncio.sleep(0.1)
    check(err != 0, "port closed within 3 s: %d" % err)
    return "return and exporter exit cut relayed tunnels"


async def echo_check(r, w, size):
    data = os.urandom(size)
    got = bytearray()

    async def reader():
        while len(got) < len(data):
            chunk = await r.read(1 << 16)
            if not chunk:
                break
            got.extend(chunk)

    rt = asyncio.ensure_future(reader())
    for i in range(0, len(data), 1 << 16):
        w.write(data[i:i + (1 << 16)])
        await w.drain()
    await asyncio.wait_for(rt, 20)
    return hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def transports(srv):
    return {k: int(v) for k, v in re.findall(
        r'nmb_relay_transport_total\{transport="(\w+)"\} (\d+)',
        metrics(srv))}


@test
async def tls_relay_both_ways():
    srv = tls_server()
    check("place ports %d-%d, TLS or plain" % (srv.relay_port + 1,
                                               srv.relay_port + 5)
          in srv.text(), "relay logs TLS or plain")
    fe, agent, place = await reserved(srv, features=["relay_tls"])
    check(place.get("relay_tls") is True, "listed with relay_tls: %s" % place)
    line, r, w = await connect(place, TCP_CONNECT, tls=True)
    check(line.startswith(b"HTTP/1.1 200"), line)
    check(fe.opens and fe.opens[0]["tls"] is True,
          "relay_open asks for TLS: %s" % fe.opens)
    check(fe.heads == [TCP_CONNECT], "CONNECT forwarded: %s" % fe.heads)
    check(await echo_check(r, w, 2 << 20), "2 MiB echoed intact over TLS")
    w.close()
    # a plain agent (not-my-board 0.13) still gets through
    line, r, w = await connect(place, PY_CONNECT)
    check(line.startswith(b"HTTP/1.1 200"), "plain agent: %s" % line)
    w.write(b"ping")
    check(await asyncio.wait_for(r.readexactly(4), 5) == b"ping", "echo")
    w.close()
    await asyncio.sleep(0.3)
    t = transports(srv)
    tls = t.get("ktls", 0) + t.get("userspace_tls", 0)
    # the agent and the exporter over TLS; the plain agent's exporter
    # connection was TLS too (relay_open asks for it)
    check(tls == 3 and t.get("plain") == 1 and t.get("tls_failed") == 0,
          "transports %s" % t)
    path = "ktls" if t.get("ktls") else "userspace"
    check(re.search(r"peer 127\.0\.0\.1: TLS 1\.2, (kernel|user-space) TLS",
                    srv.text()), "the path is logged per connection")
    return "TLS agent and exporter (%s), plain agent too; %s" % (path, t)


@test
async def tls_required_refuses_plain():
    srv = tls_server("required")
    check("TLS only" in srv.text(), "relay logs TLS only")
    fe, agent, place = await reserved(srv, features=["relay_tls"])
    line, r, w = await connect(place, TCP_CONNECT)
    check(line.startswith(b"HTTP/1.1 426"), "plain: %s" % line)
    w.close()
    check("relay.tls is required; the agent must connect with TLS"
          in srv.text(), "log says why")
    await asyncio.sleep(0.2)
    check(fe.opens == [], "exporter not asked: %s" % fe.opens)
    # a plain data connection is closed too
    r2, w2 = await fe.dial("0" * 32, srv.relay_port)
    try:
        got = await asyncio.wait_for(r2.read(100), 5)
    except ConnectionResetError:
        got = b""   # closed with the hello unread
    check(got == b"", "plain data connection closed: %r" % got)
    w2.close()
    check("is plain, and relay.tls is required" in srv.text(), "logged")
    line, r, w = await connect(place, TCP_CONNECT, tls=True)
    check(line.startswith(b"HTTP/1.1 200"), "TLS agent: %s" % line)
    w.write(b"ping")
    check(await asyncio.wait_for(r.readexactly(4), 5) == b"ping", "echo")
    w.close()
    # 403 over TLS reaches the agent before the close
    line, r, w = await connect(place, TCP_CONNECT, src="127.0.0.2",
                               tls=True)
    check(line.startswith(b"HTTP/1.1 403"), "TLS 403: %s" % line)
    w.close()
    return "426 for plain, TLS served, 403 over TLS delivered"


@test
async def tls_old_exporter():
    # an exporter without relay_tls in its hello is not asked for TLS
    # (it would refuse the argument): a TLS agent still gets through,
    # the data connection plain; with relay.tls: required a 502 at once
    srv = tls_server()
    fe, agent, place = await reserved(srv, features=["secret"],
                                      cls=OldExporter)
    check(place.get("relay_tls") is True, "listed with relay_tls: %s" % place)
    line, r, w = await connect(place, TCP_CONNECT, tls=True)
    check(line.startswith(b"HTTP/1.1 200"), "TLS agent: %s" % line)
    check(len(fe.opens) == 1 and fe.opens[0]["tls"] is False,
          "relay_open without tls: %s" % fe.opens)
    check(await echo_check(r, w, 1 << 20), "1 MiB echoed intact")
    w.close()
    await asyncio.sleep(0.3)
    t = transports(srv)
    check(t.get("ktls", 0) + t.get("userspace_tls", 0) == 1 and
          t.get("plain") == 1, "agent TLS, exporter plain: %s" % t)
    srv = tls_server("required")
    fe, agent, place = await reserved(srv, features=["secret"],
                                      cls=OldExporter)
    t0 = time.monotonic()
    line, r, w = await connect(place, TCP_CONNECT, tls=True)
    check(line.startswith(b"HTTP/1.1 502") and time.monotonic() - t0 < 4,
          "required: %s after %.1f s" % (line, time.monotonic() - t0))
    w.close()
    check(fe.opens == [], "old exporter not asked: %s" % fe.opens)
    check("its hello lacks the feature relay_tls" in srv.text(),
          "the log says why")
    return "old exporter: plain data connection under a TLS agent; 502 " \
        "when TLS is required"


@test
async def tls_handshake_timeout():
    srv = tls_server()
    fe, agent, place = await reserved(srv)
    t0 = time.monotonic()
    s = socket.create_connection((place["host"], place["port"]))
    s.sendall(b"\x16\x03\x01\x02\x00\x01")    # a ClientHello that stops
    await asyncio.sleep(0.3)
    check('state="half_open"} 1.0' in metrics(srv),
          "the handshake counts as half-open")
    s.settimeout(15)
    check(s.recv(100) == b"", "closed")
    took = time.monotonic() - t0
    s.close()
    check(9 < took < 13, "after the 10 s head timeout: %.1f s" % took)
    check("TLS handshake not done within 10 s" in srv.text(), "logged")
    check(transports(srv).get("tls_failed") == 1, "counted")
    # garbage after the record header: refused by the handshake
    s = socket.create_connection((place["host"], place["port"]))
    s.sendall(b"\x16\x03\x01\x00\x05hello")
    s.settimeout(5)
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    check(got == b"" or got[:1] == b"\x15", "closed, or an alert: %r" % got)
    s.close()
    await asyncio.sleep(0.3)
    check(transports(srv).get("tls_failed") == 2, "bad hello counted")
    check(fe.opens == [], "exporter never asked")
    return "closed after %.1f s; a bad ClientHello refused" % took


@test
async def options_and_defaults():
    import subprocess
    path = os.path.join(WORK, "bad-relay.yaml")
    with open(path, "w") as f:
        f.write("relay:\n  ports: 10-5\n  host: relay.example\n")
    p = subprocess.run([BIN, "-c", path, "--check"], capture_output=True,
                       text=True, timeout=10)
    check(p.returncode == 1 and "expected FIRST-LAST" in p.stderr and
          "IP address agents reach" in p.stderr, p.stderr)
    p = subprocess.run([BIN, "--relay-listen", "nowhere"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "--relay-listen" in p.stderr, p.stderr)
    base = free_range(3)
    s = Server(BIN, WORK, listen=["127.0.0.1:%d" % base], port=base)
    servers.append(s)
    check("relay listening on 127.0.0.1:%d, place ports %d-%d"
          % (base + 1, base + 2, base + 65) in s.text(), s.text())
    s2 = Server(BIN, WORK, listen=["127.0.0.1:@PORT@"],
                args=["--relay-listen", "off"])
    servers.append(s2)
    check("relay off" in s2.text(), s2.text())
    return "bad keys refused; default port + 1; off"


async def main():
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    n = await run_tests(TESTS, 40, close_all)
    servers_line(n + 1, servers)


asyncio.run(main())
