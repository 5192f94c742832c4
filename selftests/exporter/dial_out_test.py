#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# dial_out_test.py - a dial_out place of the real nmb-exporter through
# the real nmb-server's relay (host, TAP; Documentation/protocol.rst,
# "Dial-out places"): the exporter listens nowhere, the place is listed
# with the relay's address, the holder's TCP tunnel works through it
# (CONNECT forwarded, relay_open, the proxy's code on the data
# connection), another IP gets 403 and the exporter hears nothing, a
# return cuts the relayed tunnel, an exporter killed mid-transfer cuts it
# too, and a dial_out place with a port is a configuration error.
# Last, the exporter restarted with `proxy:` reaches the server and its
# relay port only through an HTTP CONNECT proxy (connect_proxy.py).
# Then a server whose relay speaks TLS: relay_open asks for it, the
# exporter's data connection verifies the server with tls.ca_file and
# runs TLS (kernel or user space, logged), a TLS agent and a plain one
# both get through; with a CA that does not match, the data connection
# is refused with a log line naming the place and the agent gets 504.
#
#   agent (python) --CONNECT--> nmb-server relay <--dials-- nmb-exporter
#
# Usage: dial_out_test.py EXPORTER SERVER

import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websockets

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import nmbtest  # noqa: E402
from connect_proxy import ConnectProxy  # noqa: E402
from nmbtest import (diag, free_port, free_range,  # noqa: E402
                     no_sanitizer_report, ok,
                     sigterm, summary, tap)

EXPORTER, SERVER = sys.argv[1:3]
TMP = tempfile.mkdtemp(prefix="nmb-dial-out-")
ECHO_PORT = free_port()


SRV_PORT = free_range(3)    # hub, relay (+1), place ports (+2, +3)


def echo_server():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", ECHO_PORT))
    srv.listen(8)
    while True:
        c, _ = srv.accept()

        def serve(c):
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
            except OSError:
                pass
            c.close()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def places():
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/places"
                                % SRV_PORT, timeout=10) as r:
        return json.loads(r.read())["places"]


def tunnel(place, src="127.0.0.1", ca=None):
    """(status, socket) of a CONNECT to the echo target via the place;
    over TLS verified with ca if given."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect((place["host"], place["port"]))
    if ca:
        s = ssl.create_default_context(cafile=ca).wrap_socket(
            s, server_hostname=place["host"])
    t = b"127.0.0.1:%d" % ECHO_PORT
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (t, t))
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            d = s.recv(1)
            if not d:
                break
            head += d
    except OSError:
        pass
    m = re.match(rb"HTTP/1\.1 (\d+) ", head)
    return (int(m.group(1)) if m else None), s


def listening_inodes():
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                for line in f.readlines()[1:]:
                    x = line.split()
                    if x[3] == "0A":
                        inodes.add(x[9])
        except OSError:
            pass
    return inodes


def listens(pid):
    lis = listening_inodes()
    fds = "/proc/%d/fd" % pid
    for fd in os.listdir(fds):
        try:
            link = os.readlink(os.path.join(fds, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m and m.group(1) in lis:
            return True
    return False


class Agent:
    """A WebSocket JSON-RPC client on its own asyncio loop."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def connect():
            return await websockets.connect("ws://127.0.0.1:%d/ws"
                                            % SRV_PORT)
        self.ws = self.run(connect())
        self.id = 0

    def run(self, coro, timeout=20):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
            timeout)

    def call(self, method, params):
        self.id += 1

        async def go(rid):
            await self.ws.send(json.dumps({"jsonrpc": "2.0", "id": rid,
                                           "method": method,
                                           "params": params}))
            while True:
                msg = json.loads(await self.ws.recv())
                if msg.get("id") == rid:
                    return msg
        return self.run(go(self.id))


def write_config(path, place_extra, top=""):
    with open(path, "w") as f:
        f.write(top + """\
server: ws://127.0.0.1:%d
state_dir: %s
places:
  - name: far
%s    parts:
      - compatible: [echo]
        tcp:
          echo: {host: 127.0.0.1, port: %d}
""" % (SRV_PORT, TMP, place_extra, ECHO_PORT))


def main():
    print("TAP version 13", flush=True)
    threading.Thread(target=echo_server, daemon=True).start()
    bad = os.path.join(TMP, "bad.yaml")
    write_config(bad, "    dial_out: true\n    port: 2192\n")
    p = subprocess.run([EXPORTER, "-c", bad, "--check"],
                       capture_output=True, text=True, timeout=20)
    ok(p.returncode != 0 and "a dial_out place has no port" in p.stderr,
       "dial_out with a port: configuration error")
    ecfg = os.path.join(TMP, "exporter.yaml")
    write_config(ecfg, "    dial_out: true\n")
    slog = open(os.path.join(TMP, "server.log"), "w+")
    elog = open(os.path.join(TMP, "exporter.log"), "w+")
    server = subprocess.Popen([SERVER, "--listen", "127.0.0.1:%d" % SRV_PORT],
                              stdout=slog, stderr=slog)
    exporter = None
    try:
        nmbtest.wait(lambda: "relay listening" in open(slog.name).read(),
                     10)
        exporter = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                    stdout=elog, stderr=elog)
        exporter = run(exporter, ecfg, elog)
        exporter = through_proxy(ecfg, elog)
        if exporter and exporter.poll() is None:
            ok(sigterm(exporter, 20) == 0, "exporter: clean exit on SIGTERM")
        server = over_tls(server, slog, ecfg, elog)
        exporter = tls_bad_ca(ecfg, elog)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ok(False, "no exception: %r" % e)
    finally:
        for p, name in ((exporter, "exporter"), (server, "server")):
            if p and p.poll() is None:
                rc = sigterm(p, 20)
                ok(rc == 0, "%s: clean exit on SIGTERM (rc=%s)" % (name, rc))
        no_sanitizer_report(elog)
        no_sanitizer_report(slog)
        if tap.n_fail:
            slog.seek(0)
            elog.seek(0)
            diag("exporter log:\n" + elog.read()[-4000:])
            diag("server log:\n" + slog.read()[-3000:])
    rc = summary()
    if rc:
        print("# files kept in " + TMP)
    else:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)


def run(exporter, ecfg, elog):
    pl = nmbtest.wait(lambda: [p for p in places() if p["name"] == "far"],
                      20)
    if not ok(bool(pl), "dial-out place registered"):
        return exporter
    place = pl[0]
    ok(place["host"] == "127.0.0.1" and
       SRV_PORT + 2 <= place["port"] <= SRV_PORT + 65,
       "listed at the relay: %s:%d" % (place["host"], place["port"]))
    ok(not listens(exporter.pid), "the exporter listens on no TCP port")
    status, s = tunnel(place)
    s.close()
    ok(status == 403, "not reserved: 403 from the relay")
    agent = Agent()
    r = agent.call("reserve", [[place["id"]]])
    ok(r.get("result") == place["id"], "reserved")
    status, s = tunnel(place)
    data = os.urandom(1 << 20)
    got = bytearray()
    if ok(status == 200, "the holder's tunnel: 200 through the relay"):
        threading.Thread(target=s.sendall, args=(data,), daemon=True).start()
        while len(got) < len(data):
            d = s.recv(65536)
            if not d:
                break
            got.extend(d)
    ok(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(),
       "1 MiB echoed through exporter and relay (%d bytes)" % len(got))
    text = open(elog.name).read()
    ok("relay data connection to 127.0.0.1:%d up for peer 127.0.0.1"
       % (SRV_PORT + 1) in text, "the exporter dialled the relay port")
    n_before = text.count("relay data connection")
    status, s2 = tunnel(place, src="127.0.0.2")
    s2.close()
    time.sleep(0.3)
    ok(status == 403 and open(elog.name).read().count(
        "relay data connection") == n_before,
       "another IP: 403, the exporter not asked")
    r = agent.call("return_reservation", [place["id"]])
    s.settimeout(5)
    try:
        cut = s.recv(10) == b""
    except OSError:
        cut = True
    ok("result" in r and cut, "returned: the relayed tunnel is cut")
    s.close()
    ok("no longer allowed; tunnel cut" in open(elog.name).read() or
       "no longer allowed; relayed connection cut" in open(
           os.path.join(TMP, "server.log")).read(), "the cut is logged")
    # killed mid-transfer: the tunnel ends, nothing hangs
    r = agent.call("reserve", [[place["id"]]])
    status, s = tunnel(place)
    ok(status == 200, "reserved again, tunnel up")
    exporter.kill()
    exporter.wait()
    s.settimeout(10)
    try:
        ended = s.recv(10) == b""
    except OSError:
        ended = True
    ok(ended, "exporter killed (-9): the relayed tunnel ends")
    s.close()
    agent.call("return_reservation", [place["id"]])
    return None


def start_proxy():
    """A CONNECT proxy on its own thread and loop; returns it."""
    loop = asyncio.new_event_loop()
    proxy = ConnectProxy()
    loop.run_until_complete(proxy.start())
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return proxy


def through_proxy(ecfg, elog):
    proxy = start_proxy()
    write_config(ecfg, "    dial_out: true\n", top="proxy: %s\n" % proxy.url())
    exporter = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                stdout=elog, stderr=elog)
    hub = "127.0.0.1:%d" % SRV_PORT
    ok(nmbtest.wait(lambda: hub in proxy.targets and
                    [p for p in places() if p["name"] == "far"], 30),
       "through proxy: the hub connection went through it (%s)"
       % proxy.targets)
    pl = [p for p in places() if p["name"] == "far"]
    if not pl:
        return exporter
    agent = Agent()
    r = agent.call("reserve", [[pl[0]["id"]]])
    ok(r.get("result") == pl[0]["id"], "through proxy: reserved (%s)" % r)
    status, s = tunnel(pl[0])
    got = b""
    if status == 200:
        s.sendall(b"ping through the proxy")
        s.settimeout(10)
        while len(got) < 22:
            d = s.recv(64)
            if not d:
                break
            got += d
    s.close()
    relay = "127.0.0.1:%d" % (SRV_PORT + 1)
    ok(status == 200 and got == b"ping through the proxy" and
       relay in proxy.targets,
       "through proxy: the relay data connection went through it too "
       "(status %s, targets %s)" % (status, proxy.targets))
    ok(re.search(r"relay data connection to 127\.0\.0\.1:%d via "
                 r"http://127\.0\.0\.1:%d up" % (SRV_PORT + 1, proxy.port),
                 open(elog.name).read()) is not None,
       "through proxy: the log names the proxy")
    agent.call("return_reservation", [pl[0]["id"]])
    return exporter


TLS_CERT = None


def over_tls(server, slog, ecfg, elog):
    """The relay with TLS: a new server (hub plain, relay TLS)."""
    global SRV_PORT, TLS_CERT
    ok(sigterm(server, 20) == 0, "plain server: clean exit on SIGTERM")
    TLS_CERT = nmbtest.make_cert(os.path.join(TMP, "s.key"),
                                 os.path.join(TMP, "s.crt"))
    SRV_PORT = free_range(3)
    scfg = os.path.join(TMP, "server-tls.yaml")
    with open(scfg, "w") as f:
        f.write("listen:\n  - {address: \"127.0.0.1:%d\", plain: true}\n"
                "tls: {cert: %s, key: %s}\n" % ((SRV_PORT,) + TLS_CERT))
    server = subprocess.Popen([SERVER, "-c", scfg], stdout=slog,
                              stderr=slog)
    nmbtest.wait(lambda: "TLS or plain" in open(slog.name).read(), 10)
    write_config(ecfg, "    dial_out: true\n",
                 top="tls: {ca_file: %s}\n" % TLS_CERT[0])
    exporter = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                stdout=elog, stderr=elog)
    pl = nmbtest.wait(lambda: [p for p in places() if p["name"] == "far"],
                      20)
    if not ok(bool(pl) and pl[0].get("relay_tls") is True,
              "TLS relay: the place is listed with relay_tls (%s)" % pl):
        ok(sigterm(exporter, 20) == 0, "exporter: clean exit on SIGTERM")
        return server
    agent = Agent()
    r = agent.call("reserve", [[pl[0]["id"]]])
    status, s = tunnel(pl[0], ca=TLS_CERT[0])
    data = os.urandom(1 << 20)
    got = bytearray()
    if ok(status == 200, "TLS relay: a TLS agent's tunnel: %s" % status):
        threading.Thread(target=s.sendall, args=(data,), daemon=True).start()
        while len(got) < len(data):
            d = s.recv(65536)
            if not d:
                break
            got.extend(d)
    s.close()
    ok(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(),
       "TLS relay: 1 MiB echoed over TLS both sides (%d bytes)" % len(got))
    m = re.search(r"place far: relay data connection to 127\.0\.0\.1:%d: "
                  r"TLS 1\.2, (kernel TLS both ways|user-space TLS)"
                  % (SRV_PORT + 1), open(elog.name).read())
    ok(m is not None, "TLS relay: the exporter logs its TLS path")
    status, s = tunnel(pl[0])
    if status == 200:
        s.sendall(b"plain")
        got = s.recv(5)
    s.close()
    ok(status == 200 and got == b"plain",
       "TLS relay: a plain (not-my-board) agent still gets through")
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % SRV_PORT,
                                timeout=10) as r:
        t = dict(re.findall(r'nmb_relay_transport_total\{transport="(\w+)"'
                            r'\} (\d+)', r.read().decode()))
    ok(int(t.get("ktls", 0)) + int(t.get("userspace_tls", 0)) == 3 and
       t.get("plain") == "1",
       "TLS relay: agent and 2 data connections over TLS, 1 plain: %s" % t)
    agent.call("return_reservation", [pl[0]["id"]])
    nmb_agent_over_tls()
    ok(sigterm(exporter, 20) == 0, "exporter: clean exit on SIGTERM")
    diag("TLS path of the exporter: %s" % (m.group(1) if m else None))
    return server


def agent_rpc(sock, method, **params):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(20)
    c.connect(sock)
    c.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": params}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(65536)
        if not d:
            break
        buf += d
    c.close()
    return json.loads(buf) if buf else {}


def nmb_agent_over_tls():
    """nmb-agent sees relay_tls and runs its CONNECT inside TLS."""
    binary = os.path.join(os.path.dirname(EXPORTER), "nmb-agent")
    sock = os.path.join(TMP, "agent.sock")
    conf = os.path.join(TMP, "agent.yaml")
    with open(conf, "w") as f:
        f.write("tls: {ca_file: %s}\n" % TLS_CERT[0])
    alog = open(os.path.join(TMP, "agent.log"), "w+")
    agent = subprocess.Popen([binary, "-c", conf, "--server",
                              "ws://127.0.0.1:%d" % SRV_PORT, "--socket",
                              sock, "-v"], stdout=alog, stderr=alog)
    try:
        nmbtest.wait(lambda: "connected to server" in
                     open(alog.name).read(), 10)
        lport = free_port()
        r = agent_rpc(sock, "reserve", name="far", import_description=(
            "parts:\n  p:\n    compatible: [echo]\n    tcp:\n"
            "      echo: {local_port: %d}\n" % lport))
        ok("result" in r, "nmb-agent: reserved the TLS-relayed place (%s)"
           % r)
        r = agent_rpc(sock, "attach", name="far")
        got = b""
        try:
            c = socket.create_connection(("127.0.0.1", lport), timeout=10)
            c.sendall(b"through TLS")
            while len(got) < 11:
                d = c.recv(64)
                if not d:
                    break
                got += d
            c.close()
        except OSError as e:
            diag("agent forward: %r" % e)
        ok(got == b"through TLS",
           "nmb-agent: TCP part through the TLS relay (%r)" % got)
        text = open(alog.name).read()
        ok(re.search(r"relay 127\.0\.0\.1:\d+: TLS 1\.2(, kernel TLS both"
                     r" ways| in user space, the slower path)", text)
           is not None, "nmb-agent: logs its TLS path")
        agent_rpc(sock, "return_reservation", name="far")
    finally:
        ok(sigterm(agent, 20) == 0, "nmb-agent: clean exit on SIGTERM")
        text = no_sanitizer_report(alog, "nmb-agent: no sanitizer report")
        if tap.n_fail:
            diag("agent log:\n" + text[-3000:])


def tls_bad_ca(ecfg, elog):
    """The exporter trusts another CA: its data connection is refused."""
    other = nmbtest.make_cert(os.path.join(TMP, "o.key"),
                              os.path.join(TMP, "o.crt"))
    write_config(ecfg, "    dial_out: true\n",
                 top="tls: {ca_file: %s}\n" % other[0])
    exporter = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                stdout=elog, stderr=elog)
    pl = nmbtest.wait(lambda: [p for p in places() if p["name"] == "far"],
                      20)
    if not pl:
        ok(False, "bad CA: place registered")
        return exporter
    agent = Agent()
    agent.call("reserve", [[pl[0]["id"]]])
    status, s = tunnel(pl[0], ca=TLS_CERT[0])
    s.close()
    ok(status == 504, "bad CA: the agent gets 504 (%s)" % status)
    ok(re.search(r"place far: relay data connection to [^ ]+: the "
                 r"certificate was refused: .*; closed",
                 open(elog.name).read()) is not None,
       "bad CA: the exporter refuses the certificate, naming the place")
    agent.call("return_reservation", [pl[0]["id"]])
    return exporter


if __name__ == "__main__":
    main()
