#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_nat_test.py - per-reservation secrets against a shared NAT address
# (Documentation/protocol.rst, "Per-reservation secrets"), in the QEMU
# guest (TAP):
#
#   [a1 ns 198.18.3.2: nmb-agent]   [a2 ns 198.18.4.2: nmb-agent]
#            | veth                            | veth
#            +------ [nat ns: 198.18.3.1, 198.18.4.1; masquerade] ------+
#                              | veth 198.18.2.2
#   [root ns 198.18.2.1: nmb-server :2092, nmb-exporter (TCP places)]
#
# The exporter sees both agents as 198.18.2.2. Two nmb-agents hold two
# places; each tunnels through its own, and neither gets into the
# other's (no secret, or its own: 403). Without secrets the address is
# all there is: a not-my-board 0.13 agent's place (an IP-only grant) is
# open to the other user behind the same NAT, unless the place says
# ip_fallback: false.
#
# Usage: guest_nat_test.py EXPORTER SERVER AGENT

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the guest sees the repository read-only
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmbtest import (diag, echo_server, no_sanitizer_report,  # noqa: E402
                     ok, sigterm, summary)

EXPORTER, SERVER, AGENT = sys.argv[1:4]
TMP = tempfile.mkdtemp(prefix="nmb-nat-guest-")
SRV = "198.18.2.1"
NATTED = "198.18.2.2"
PORTS = {"p1": 2201, "p2": 2202, "old": 2203, "sealed": 2204}
ECHO = {"p1": 7101, "p2": 7102, "old": 7103, "sealed": 7104}
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           http_proxy="", https_proxy="", HTTP_PROXY="", HTTPS_PROXY="")


def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if r.returncode:
        diag("%s: %s" % (cmd, r.stderr.strip()))
    return r.returncode == 0


def setup():
    cmds = ["ip netns add nat", "ip netns add a1", "ip netns add a2",
            "ip link add out0 type veth peer name up0",
            "ip link set out0 netns nat",
            "ip addr add %s/24 dev up0" % SRV, "ip link set up0 up",
            "ip -n nat addr add %s/24 dev out0" % NATTED,
            "ip -n nat link set out0 up", "ip -n nat link set lo up",
            "ip netns exec nat sysctl -qw net.ipv4.ip_forward=1"]
    for i, ns in ((3, "a1"), (4, "a2")):
        cmds += ["ip link add in%d type veth peer name eth%d" % (i, i),
                 "ip link set in%d netns nat" % i,
                 "ip link set eth%d netns %s" % (i, ns),
                 "ip -n nat addr add 198.18.%d.1/24 dev in%d" % (i, i),
                 "ip -n nat link set in%d up" % i,
                 "ip -n %s addr add 198.18.%d.2/24 dev eth%d" % (ns, i, i),
                 "ip -n %s link set eth%d up" % (ns, i),
                 "ip -n %s link set lo up" % ns,
                 "ip -n %s route add default via 198.18.%d.1" % (ns, i)]
    cmds += ["ip netns exec nat nft add table ip nat",
             "ip netns exec nat nft 'add chain ip nat post { type nat "
             "hook postrouting priority 100 ; }'",
             "ip netns exec nat nft add rule ip nat post oifname out0 "
             "masquerade"]
    return all(sh(c) for c in cmds)


def cleanup():
    for ns in ("a1", "a2", "nat"):
        sh("ip netns del %s 2>/dev/null || true" % ns)


def exporter_conf():
    text = "server: ws://%s:2092\nplaces:\n" % SRV
    for name, port in PORTS.items():
        text += ("  - name: %s\n    port: %d\n%s    parts:\n"
                 "      - compatible: [nat-%s]\n        tcp:\n"
                 "          echo: {host: 127.0.0.1, port: %d}\n" %
                 (name, port, "    ip_fallback: false\n"
                  if name == "sealed" else "", name, ECHO[name]))
    path = os.path.join(TMP, "exporter.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def in_ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd


def raw_connect(ns, place, auth=None):
    """A CONNECT from namespace ns to place, as another program of that
    host could send it; returns the status."""
    code = (
        "import socket,sys\n"
        "s=socket.create_connection((%r,%d),timeout=10)\n"
        "t=b'127.0.0.1:%d'\n"
        "h=b'CONNECT '+t+b' HTTP/1.1\\r\\nHost: '+t+b'\\r\\n'\n"
        "%s"
        "s.sendall(h+b'\\r\\n')\n"
        "d=b''\n"
        "while b'\\r\\n\\r\\n' not in d:\n"
        "    b=s.recv(4096)\n"
        "    if not b: break\n"
        "    d+=b\n"
        "p=d.split(b' ')\n"
        "print(p[1].decode() if len(p)>1 else 'none')\n" %
        (SRV, PORTS[place], ECHO[place],
         "h+=b'Proxy-Authorization: Bearer %s\\r\\n'\n" % auth
         if auth else ""))
    r = subprocess.run(in_ns(ns, [sys.executable, "-c", code]),
                       capture_output=True, text=True, timeout=30)
    out = r.stdout.strip()
    return int(out) if out.isdigit() else out or r.stderr.strip()[-200:]


class Agent:
    def __init__(self, ns):
        self.ns = ns
        self.sock = os.path.join(TMP, ns + ".sock")
        self.log = open(os.path.join(TMP, ns + ".log"), "w+")
        self.p = subprocess.Popen(in_ns(ns, [
            AGENT, "-c", "/dev/null", "--server", "ws://%s:2092" % SRV,
            "--socket", self.sock, "-v"]), stdout=self.log,
            stderr=self.log, env=ENV)

    def call(self, method, **params):
        end = time.time() + 30
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(60)
                s.connect(self.sock)
                break
            except OSError:
                s.close()
                if time.time() > end:
                    raise
                time.sleep(0.2)
        with s:
            s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1,
                                   "method": method, "params": params}) +
                       "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                b = s.recv(65536)
                if not b:
                    break
                buf += b
        return json.loads(buf)

    def text(self):
        self.log.seek(0)
        return self.log.read()


def through_local_port(ns, port):
    code = ("import socket\n"
            "s=socket.create_connection(('127.0.0.1',%d),timeout=10)\n"
            "s.sendall(b'nat-ping\\n')\n"
            "print(s.recv(100).decode().strip())\n" % port)
    r = subprocess.run(in_ns(ns, [sys.executable, "-c", code]),
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def old_agent(ns):
    """A not-my-board 0.13 agent (no hello: no secret), IP only."""
    return subprocess.Popen(in_ns(ns, [
        sys.executable, os.path.join(HERE, "agent_rpc.py"),
        "ws://%s:2092/ws" % SRV]), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)


def old_call(p, method, params):
    p.stdin.write(json.dumps({"method": method, "params": params}) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())


def place_ids():
    import urllib.request
    with urllib.request.urlopen("http://%s:2092/api/v1/places" % SRV,
                                timeout=10) as r:
        return {p["name"]: p["id"] for p in json.loads(r.read())["places"]}


def run(agents):
    ids = {}
    for _ in range(150):
        try:
            ids = place_ids()
        except OSError:
            pass
        if all(n in ids for n in PORTS):
            break
        time.sleep(0.2)
    if not ok(all(n in ids for n in PORTS), "four places registered"):
        return
    a1, a2 = agents
    local = {"p1": 7201, "p2": 7202}
    for a, place in ((a1, "p1"), (a2, "p2")):
        desc = ("parts:\n  x:\n    compatible: [nat-%s]\n    tcp:\n"
                "      echo: {local_port: %d}\n" % (place, local[place]))
        r = a.call("reserve", name="n", import_description=desc,
                   place_name=place)
        ok("result" in r, "%s reserves %s: %s" % (a.ns, place, r))
        r = a.call("attach", name="n")
        ok("result" in r, "%s attaches %s" % (a.ns, place))
    for a, place in ((a1, "p1"), (a2, "p2")):
        ok(through_local_port(a.ns, local[place]) == "nat-ping",
           "%s: its own place works through the NAT (secret sent)" % a.ns)
    for ns, place in (("a1", "p2"), ("a2", "p1")):
        st = raw_connect(ns, place)
        ok(st == 403, "%s into the other's place %s, same NAT address, "
           "no secret: %s" % (ns, place, st))
        st = raw_connect(ns, place, "A" * 43)
        ok(st == 403, "%s into %s with a made-up secret: %s"
           % (ns, place, st))
    # Without secrets: a not-my-board 0.13 agent behind the same NAT
    old = old_agent("a2")
    try:
        r = old_call(old, "reserve", [[ids["old"]]])
        ok(r.get("result") == ids["old"], "0.13 agent reserves 'old' "
           "(an IP-only grant): %s" % r)
        st = raw_connect("a1", "old")
        ok(st == 200, "without secrets the address is all there is: the "
           "other user behind the NAT gets into 'old' (%s)" % st)
        r = old_call(old, "reserve", [[ids["sealed"]]])
        ok(r.get("result") == ids["sealed"], "0.13 agent reserves "
           "'sealed' (ip_fallback: false): %s" % r)
        st = raw_connect("a1", "sealed")
        ok(st == 403, "ip_fallback: false: no way in by address (%s)" % st)
    finally:
        old.stdin.close()
        old.wait(10)
    for a in agents:
        a.call("detach", name="n")
        a.call("return_reservation", name="n")


def main():
    print("TAP version 13", flush=True)
    if not ok(setup(), "namespaces a1, a2 behind one NAT (nft masquerade)"):
        cleanup()
        sys.exit(summary())
    for port in ECHO.values():
        echo_server(port)
    slog = open(os.path.join(TMP, "server.log"), "w+")
    elog = open(os.path.join(TMP, "exporter.log"), "w+")
    srv = subprocess.Popen([SERVER, "--listen", "%s:2092" % SRV],
                           stdout=slog, stderr=slog, env=ENV)
    exp = subprocess.Popen([EXPORTER, "-c", exporter_conf(), "-v",
                            "--test-without-nmb-watch"], stdout=elog,
                           stderr=elog, env=ENV)
    agents = [Agent("a1"), Agent("a2")]
    try:
        run(agents)
    finally:
        for a in agents:
            rc = sigterm(a.p, 20)
            ok(rc == 0, "%s: clean exit (rc=%s)" % (a.ns, rc))
            no_sanitizer_report(a.log, "%s: no sanitizer report" % a.ns)
        for name, p, log in (("exporter", exp, elog), ("server", srv, slog)):
            rc = sigterm(p, 20)
            ok(rc == 0, "%s: clean exit (rc=%s)" % (name, rc))
            no_sanitizer_report(log, "%s: no sanitizer report" % name)
        elog.seek(0)
        text = elog.read()
        ok("from 198.18.2.2" in text or "peer 198.18.2.2" in text,
           "the exporter saw both agents as 198.18.2.2")
        cleanup()
    rc = summary()
    if not rc:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print("# files kept in " + TMP)
    sys.exit(rc)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
