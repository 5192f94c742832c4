#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# server_test.py - nmb-exporter against the real nmb-server (host, TAP):
# registration, a reservation opening the proxy to the agent, the
# reconnect grace (hello + session) through a connection we can cut, the
# return closing the proxy again, and a kill -9 of the exporter: restarted,
# it resumes its session from state_dir and the holder's tunnel works.
#
#   agent (python, WebSocket) --------------------> nmb-server
#   nmb-exporter --> cutter (python TCP forwarder) --^
#
# Usage: server_test.py EXPORTER SERVER

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websockets

sys.dont_write_bytecode = True     # no .pyc files next to the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import nmbtest  # noqa: E402
from nmbtest import (diag, free_port, no_sanitizer_report, ok,  # noqa: E402
                     sigterm, tap)

EXPORTER, SERVER = sys.argv[1:3]
TMP = tempfile.mkdtemp(prefix="nmb-exporter-server-")

SRV_PORT, CUT_PORT, PLACE_PORT, ECHO_PORT = (free_port() for _ in range(4))


class Cutter:
    """TCP forwarder CUT_PORT -> SRV_PORT whose connections can be cut."""

    def __init__(self):
        self.socks = []
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", CUT_PORT))
        self.srv.listen(8)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.srv.accept()
            try:
                u = socket.create_connection(("127.0.0.1", SRV_PORT))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.socks = []


def tunnel_status():
    status, s, _ = nmbtest.proxy_connect(PLACE_PORT,
                                         "127.0.0.1:%d" % ECHO_PORT)
    echoed = False
    if status == 200:
        s.sendall(b"ping")
        echoed = s.recv(4) == b"ping"
    s.close()
    return status, echoed


def port_open():
    try:
        socket.create_connection(("127.0.0.1", SRV_PORT), timeout=1).close()
        return True
    except OSError:
        return False


def places():
    req = urllib.request.Request(
        "http://127.0.0.1:%d/api/v1/places" % SRV_PORT,
        headers={"Authorization": "Bearer alice-token-0123456789ab"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["places"]


def wait(cond, timeout=20):
    return nmbtest.wait(cond, timeout, step=0.1)


class Agent:
    """A WebSocket JSON-RPC client on its own asyncio loop."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        async def connect():
            return await websockets.connect(
                "ws://127.0.0.1:%d/ws" % SRV_PORT, extra_headers={
                    "Authorization": "Bearer alice-token-0123456789ab"})
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


def main():
    print("TAP version 13", flush=True)
    nmbtest.echo_server(ECHO_PORT)
    scfg = os.path.join(TMP, "server.yaml")
    with open(scfg, "w") as f:
        f.write("""\
grace: 30
ping_interval: 1
tokens:
  - name: lab-exporters
    token: exporter-token-0123456789
    roles: [exporter]
  - name: alice
    token: alice-token-0123456789ab
    roles: [importer]
""")
    ecfg = os.path.join(TMP, "exporter.yaml")
    with open(ecfg, "w") as f:
        f.write("""\
server: ws://127.0.0.1:%d
token: exporter-token-0123456789
state_dir: %s
places:
  - name: bench
    port: %d
    parts:
      - compatible: [echo]
        tcp:
          echo: {host: 127.0.0.1, port: %d}
""" % (CUT_PORT, os.path.join(TMP, "state"), PLACE_PORT, ECHO_PORT))
    os.mkdir(os.path.join(TMP, "state"))
    slog = open(os.path.join(TMP, "server.log"), "w+")
    elog = open(os.path.join(TMP, "exporter.log"), "w+")
    server = subprocess.Popen([SERVER, "-c", scfg, "--listen",
                               "127.0.0.1:%d" % SRV_PORT], stdout=slog,
                              stderr=slog)
    cutter = Cutter()
    procs = {}
    try:
        ok(wait(port_open, 20), "nmb-server up")
        procs["exporter"] = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                             stdout=elog, stderr=elog)
        run(cutter)
        crash(procs, ecfg)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ok(False, "no exception: %r" % e)
    finally:
        for p, name in ((procs.get("exporter"), "exporter"),
                        (server, "server")):
            if p and p.poll() is None:
                rc = sigterm(p, 20)
                ok(rc == 0, "%s: clean exit on SIGTERM (rc=%s)" % (name, rc))
        text = no_sanitizer_report(elog)
        if tap.n_fail:
            slog.seek(0)
            diag("exporter log:\n" + text[-5000:])
            diag("server log:\n" + slog.read()[-3000:])
    sys.exit(nmbtest.finish(TMP))


def run(cutter):
    pl = wait(lambda: [p for p in places() if p["name"] == "bench"], 20)
    if not ok(bool(pl), "place registered at nmb-server with the "
              "exporter's token"):
        return
    pid = pl[0]["id"]
    ok(pl[0]["port"] == PLACE_PORT and pl[0]["parts"][0]["tcp"] ==
       {"echo": {"host": "127.0.0.1", "port": ECHO_PORT}},
       "listed with its §5 description")
    ok(tunnel_status()[0] == 403, "not reserved: 403")
    time.sleep(3.5)
    ok("hub connection:" not in open(os.path.join(TMP,
                                                  "exporter.log")).read(),
       "the server's pings (every 1 s) are answered: still connected")

    agent = Agent()
    r = agent.call("reserve", [[pid]])
    ok(r.get("result") == pid, "reserve answered after set_allowed_ips")
    ok(tunnel_status() == (200, True), "reserved: the agent's tunnel works")

    cutter.cut()
    ok(wait(lambda: "session resumed" in open(
        os.path.join(TMP, "exporter.log")).read(), 30),
       "connection cut: the exporter resumed its session (hello)")
    pl = [p for p in places() if p["name"] == "bench"]
    ok(bool(pl) and pl[0]["id"] == pid, "same place id after the resume")
    r = agent.call("get_reservations", {})
    ok(any(x["place_id"] == pid for x in
           r.get("result", {}).get("reservations", [])),
       "the reservation survived the cut")
    ok(tunnel_status() == (200, True), "tunnel still admitted")

    r = agent.call("return_reservation", [pid])
    ok("result" in r, "return_reservation")
    ok(tunnel_status()[0] == 403, "returned: 403 again")

    bad = os.path.join(TMP, "bad-token.yaml")
    with open(bad, "w") as f:
        f.write("""\
server: ws://127.0.0.1:%d
token: not-the-right-token-000000
places:
  - name: intruder
    port: %d
    parts: []
""" % (SRV_PORT, free_port()))
    blog = open(os.path.join(TMP, "bad-token.log"), "w+")
    p = subprocess.Popen([EXPORTER, "-c", bad], stdout=blog, stderr=blog)
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    p.wait(20)
    blog.seek(0)
    text = blog.read()
    if not ok(not [x for x in places() if x["name"] == "intruder"] and
              "the hub refused the connection" in text and "token" in text,
              "wrong token: not registered, the refusal is logged"):
        diag(text[-1500:])


def tunnel_works():
    try:
        return tunnel_status() == (200, True)
    except OSError:
        return False


def crash(procs, ecfg):
    """kill -9 of the exporter while the place is reserved."""
    pid = [p for p in places() if p["name"] == "bench"][0]["id"]
    agent = Agent()
    r = agent.call("reserve", [[pid]])
    ok(r.get("result") == pid and tunnel_works(), "reserved again")
    saved = os.path.join(TMP, "state", "sessions.json")
    ok(wait(lambda: os.path.exists(saved), 10) and
       oct(os.stat(saved).st_mode & 0o777) == "0o600" and
       json.load(open(saved))["places"]["bench"]["place_id"] == pid,
       "session and place id saved in state_dir (0600)")
    procs["exporter"].kill()
    procs["exporter"].wait()
    ok(wait(lambda: not tunnel_works(), 10), "exporter killed (-9)")
    path = os.path.join(TMP, "exporter-restarted.log")
    log = open(path, "w+")
    t0 = time.monotonic()
    procs["exporter"] = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                         stdout=log, stderr=log)
    back = wait(tunnel_works, 20)
    took = time.monotonic() - t0
    text = open(path).read()
    if not ok(back, "restarted: the holder's tunnel works again, well "
              "within the server's grace (30 s)"):
        diag(text[-2000:])
    diag("kill -9 to tunnel admitted again: %.2f s after the restart" % took)
    ok("session resumed, still place %d" % pid in text and
       "already registered" not in text, "resumed from sessions.json, "
       "not refused as already registered")
    pl = [p for p in places() if p["name"] == "bench"]
    ok(len(pl) == 1 and pl[0]["id"] == pid, "same place id")
    r = agent.call("return_reservation", [pid])
    ok("result" in r, "returned after the crash")
    edited(procs, ecfg)


def edited(procs, ecfg):
    """A configuration edited between crash and restart: the saved session
    holds the old description, so the exporter registers anew instead of
    resuming a place the hub would keep describing the old way."""
    saved = os.path.join(TMP, "state", "sessions.json")
    ok("desc" in json.load(open(saved))["places"]["bench"],
       "the saved session keeps the description it was registered with")
    procs["exporter"].kill()
    procs["exporter"].wait()
    text = open(ecfg).read()
    with open(ecfg, "w") as f:
        f.write(text.replace("compatible: [echo]", "compatible: [echo, v2]"))
    path = os.path.join(TMP, "exporter-edited.log")
    log = open(path, "w+")
    procs["exporter"] = subprocess.Popen([EXPORTER, "-c", ecfg, "-v"],
                                         stdout=log, stderr=log)
    changed = "description changed since the saved session"
    wait(lambda: changed in open(path).read(), 10)
    text = open(path).read()
    if not ok(changed in text and "session resumed" not in text,
              "edited configuration: not resumed, registers anew"):
        diag(text[-2000:])


if __name__ == "__main__":
    main()
