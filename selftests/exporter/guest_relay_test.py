#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_relay_test.py - a dial-out place through nmb-server's relay, with
# exporter and agent each behind its own NAT, in the QEMU guest with the
# real nmb_watch module, usbip-host and vhci-hcd (TAP):
#
#   [root ns: nmb-exporter, board 1-1, echo 127.0.0.1]  198.18.20.2
#        | (no port open; outbound only)
#   [natx: 198.18.20.1 | 198.18.21.1, nft masquerade, new inbound dropped]
#        |
#   [wan: nmb-server 198.18.21.2:2092, relay :2093, place ports; and
#         198.18.22.2; no route to either LAN]
#        |
#   [nata: 198.18.22.1 | 198.18.23.1, nft masquerade, new inbound dropped]
#        |
#   [ragent 198.18.23.2: agent_rpc.py (reserve), import_client, vhci]
#
# USB serial and a TCP part through the relay, a not-my-board style
# CONNECT, re-attach after a board reboot, 403 for another peer without
# the exporter hearing of it, and the server killed mid-transfer: the
# export ends in the exporter's kernel (usbip-host available again) and
# the agent's vhci port is free; the agent or the exporter killed
# mid-transfer frees the vhci port too. Faults across the NATs: an
# exporter that does not dial in (504 after 5 s, logged with the place,
# its late data connection refused as its relay id expired) and a flood
# of half-open connections from the agent's NAT address (the per-source
# limit closes the excess at once, one log line, the relay still answers
# another source, and the holder gets through once the flood ends).
#
# Usage: guest_relay_test.py EXPORTER IMPORT_CLIENT NMB_WATCH_KO SERVER

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True     # the guest sees the repository read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_test as g  # noqa: E402
from nmbtest import (diag, no_sanitizer_report, ok, sh,  # noqa: E402
                     sigterm, summary, tap)

SERVER = sys.argv[4]
HERE = os.path.dirname(os.path.abspath(__file__))
HUB = "198.18.21.2"
ECHO_PORT = 7007
PORT_NUM = 20

NAT = """table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "%s" masquerade; }
}
table ip filter {
  chain lan_only { type filter hook forward priority 0; policy drop;
    ct state established,related accept; iifname "%s" accept; }
}
"""


def ns(name, cmd):
    return sh("ip netns exec %s %s" % (name, cmd))


def setup_nets():
    good = sh("modprobe -a veth nf_tables nft_chain_nat nft_masq "
              "nf_conntrack")
    for n in ("natx", "wan", "nata", "ragent"):
        good = good and sh("ip netns add " + n)
    links = (("rx0", None, "198.18.20.2", "rx1", "natx", "198.18.20.1"),
             ("rx2", "natx", "198.18.21.1", "rx3", "wan", HUB),
             ("ra3", "wan", "198.18.22.2", "ra2", "nata", "198.18.22.1"),
             ("ra1", "nata", "198.18.23.1", "ra0", "ragent", "198.18.23.2"))
    for a, nsa, ipa, b, nsb, ipb in links:
        good = good and sh("ip link add %s type veth peer name %s" % (a, b))
        for dev, n, ip in ((a, nsa, ipa), (b, nsb, ipb)):
            if n:
                good = good and sh("ip link set %s netns %s" % (dev, n))
            pre = "ip -n %s " % n if n else "ip "
            good = good and sh(pre + "addr add %s/24 dev %s" % (ip, dev))
            good = good and sh(pre + "link set %s up" % dev)
    for n in ("natx", "wan", "nata", "ragent"):
        good = good and sh("ip -n %s link set lo up" % n)
    good = good and sh("ip route add 198.18.21.0/24 via 198.18.20.1")
    good = good and sh("ip -n natx route add default via " + HUB)
    good = good and sh("ip -n nata route add default via 198.18.22.2")
    good = good and sh("ip -n ragent route add default via 198.18.23.1")
    for n, lan, wan in (("natx", "rx1", "rx2"), ("nata", "ra1", "ra2")):
        good = good and ns(n, "sysctl -qw net.ipv4.ip_forward=1")
        path = os.path.join(g.TMP, n + ".nft")
        g.write(path, NAT % (wan, lan))
        good = good and ns(n, "nft -f " + path)
    return good


def reachable(netns, host, port):
    return subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c",
         "import socket; socket.create_connection((%r, %d), timeout=3)"
         % (host, port)], capture_output=True).returncode == 0


def echo_server():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", ECHO_PORT))
    srv.listen(4)
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
    try:
        with urllib.request.urlopen("http://%s:2092/api/v1/places" % HUB,
                                    timeout=5) as r:
            return [p for p in json.loads(r.read())["places"]
                    if p["name"] == "far-board"]
    except OSError:
        return []


class Agent:
    def __init__(self):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", "ragent", sys.executable,
             os.path.join(HERE, "agent_rpc.py"), "ws://%s:2092/ws" % HUB],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def call(self, method, params):
        self.p.stdin.write(json.dumps({"method": method, "params": params})
                           + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        return json.loads(line) if line else {}

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def connect_from(netns, place, head):
    """CONNECT from a namespace; (status, echo of b'ping' or None)."""
    code = r"""
import re, socket, sys
s = socket.create_connection((%r, %d), timeout=10)
s.sendall(%r)
h = b""
while b"\r\n\r\n" not in h:
    d = s.recv(1)
    if not d:
        break
    h += d
m = re.match(rb"HTTP/1\.1 (\d+) ", h)
st = int(m.group(1)) if m else 0
e = b""
if st == 200:
    s.sendall(b"ping")
    e = s.recv(4)
print(st, e.decode())
""" % (place["host"], place["port"], head)
    p = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c",
                        code], capture_output=True, text=True, timeout=30)
    out = p.stdout.split()
    return (int(out[0]) if out else None), (out[1] if len(out) > 1
                                            else None)


def import_board(place):
    p = subprocess.run(["ip", "netns", "exec", "ragent", g.CLIENT,
                        place["host"], str(place["port"]), g.BUSID,
                        str(PORT_NUM)], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"attached port=(\d+)", p.stdout)
    return (int(m.group(1)) if m else None), p.stdout + p.stderr


def vhci_used():
    """vhci ports in use (any state but 004, VDEV_ST_NULL)."""
    used = []
    base = "/sys/devices/platform"
    for d in sorted(os.listdir(base)):
        if not d.startswith("vhci_hcd."):
            continue
        for f in os.listdir(os.path.join(base, d)):
            if not f.startswith("status"):
                continue
            for line in g.read(os.path.join(base, d, f)).splitlines()[1:]:
                x = line.split()
                if len(x) > 2 and x[2] != "004":
                    used.append(int(x[1]))
    return used


def attach_and_talk(place, what):
    before = g.tty_devs()
    port, out = import_board(place)
    if not ok(port is not None, "%s: USB import through the relay: %s"
              % (what, out.strip()[-200:])):
        return None
    acm = g.wait(lambda: g.tty_devs() - before, 30)
    ok(bool(acm) and g.serial_round_trip(sorted(acm)[0]),
       "%s: serial bytes both ways" % what)
    return port


FLOOD = r"""
import socket, sys
held, closed = [], 0
for i in range(%d):
    s = socket.create_connection((%r, %d), timeout=5)
    s.settimeout(0.3)
    try:
        closed += s.recv(1) == b""
    except socket.timeout:
        held.append(s)
    except ConnectionError:
        closed += 1
print(len(held), closed, flush=True)
sys.stdin.readline()
"""


def faults(place, exporter, slog):
    def log():
        return open(slog.name).read()

    target = b"127.0.0.1:%d" % ECHO_PORT
    head = b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)
    expired = log().count("names an unknown, used or expired relay id")
    os.kill(exporter.pid, signal.SIGSTOP)
    t0 = time.monotonic()
    try:
        st, _ = connect_from("ragent", place, head)
    finally:
        waited = time.monotonic() - t0
        os.kill(exporter.pid, signal.SIGCONT)
    ok(st == 504 and 4.5 <= waited < 9 and
       "place far-board: the exporter did not open its data connection "
       "within 5 s" in log(),
       "exporter silent: 504 after %.1f s, the log names the place (%s)"
       % (waited, st))
    ok(g.wait(lambda: log().count("names an unknown, used or expired "
                                  "relay id") > expired, 15),
       "the exporter's late data connection is refused: its id expired")

    floods = log().count("closed at once")
    fl = subprocess.Popen(["ip", "netns", "exec", "ragent", sys.executable,
                           "-c", FLOOD % (20, place["host"], place["port"])],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
    try:
        counts = fl.stdout.readline().split()
        ok(counts == ["16", "4"],
           "flood from the agent's NAT address: 16 half-open held, the "
           "other 4 closed at once (%s)" % counts)
        t0 = time.monotonic()
        st, _ = connect_from("natx", place, head)
        ok(st == 403 and time.monotonic() - t0 < 3,
           "during the flood another source is answered (%s in %.1f s)"
           % (st, time.monotonic() - t0))
        ok(log().count("closed at once") == floods + 1,
           "the refusals are logged once, not per connection")
    finally:
        fl.stdin.write("\n")
        fl.stdin.close()
        fl.wait(10)
    st, echo = connect_from("ragent", place, head)
    ok(st == 200 and echo == "ping",
       "flood over: the holder gets through again (%s %s)" % (st, echo))


def start_server(log):
    return subprocess.Popen(["ip", "netns", "exec", "wan", SERVER,
                             "--listen", "[::]:2092"], stdout=log,
                            stderr=log)


def main():
    print("TAP version 13", flush=True)
    g.setup()
    if not ok(setup_nets(), "exporter and agent behind their own NATs, "
              "server between"):
        print("1..%d" % tap.n_test)
        sys.exit(1)
    threading.Thread(target=echo_server, daemon=True).start()
    slog = open(os.path.join(g.TMP, "relay-server.log"), "w+")
    elog = open(os.path.join(g.TMP, "relay-exporter.log"), "w+")
    conf = os.path.join(g.TMP, "relay-exporter.yaml")
    g.write(conf, """\
server: ws://%s:2092
state_dir: %s
places:
  - name: far-board
    dial_out: true
    parts:
      - compatible: [cdc-acm-board]
        usb:
          serial: {usbid: "%s"}
        tcp:
          echo: {host: 127.0.0.1, port: %d}
""" % (HUB, g.TMP, g.BUSID, ECHO_PORT))
    server = start_server(slog)
    exporter = subprocess.Popen([g.EXPORTER, "-c", conf, "-v"],
                                stdout=elog, stderr=elog)
    agent = None
    try:
        server, agent = run(server, slog, elog, exporter)
    finally:
        for p, name in ((exporter, "exporter"), (server, "server")):
            if p.poll() is None:
                rc = sigterm(p, 30)
                ok(rc == 0, "%s: clean exit on SIGTERM (rc=%s)" % (name, rc))
        ok(g.wait(lambda: g.driver() not in (None, "", "usbip-host"), 20),
           "board back on its default driver (%s)" % g.driver())
        if agent:
            agent.close()
        text = no_sanitizer_report(elog)
        no_sanitizer_report(slog, "server: no sanitizer report")
        if tap.n_fail:
            slog.seek(0)
            diag("exporter log:\n" + text[-5000:])
            diag("server log:\n" + slog.read()[-4000:])
    sys.exit(summary())


def run(server, slog, elog, exporter):
    pl = g.wait(places, 30)
    if not ok(bool(pl) and pl[0]["host"] == HUB,
              "dial-out place listed at the relay: %s" % pl):
        return server, None
    place = pl[0]
    ok(not reachable("wan", "198.18.20.2", 22) and
       not reachable("wan", "198.18.23.2", 22),
       "the server cannot reach either LAN")
    ok(g.wait(lambda: g.driver() == "usbip-host", 20),
       "board claimed for usbip-host")
    agent = Agent()
    r = agent.call("reserve", [[place["id"]]])
    if not ok(r.get("result") == place["id"], "agent reserved the place"):
        diag(r)
        return server, agent
    attach_and_talk(place, "relayed")
    target = b"127.0.0.1:%d" % ECHO_PORT
    st, echo = connect_from(
        "ragent", place, b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
        b"User-Agent: python-h11/0.14.0\r\n\r\n" % (target, target))
    ok(st == 200 and echo == "ping",
       "TCP part through the relay, not-my-board's CONNECT: %s %s"
       % (st, echo))

    # board reboot: unplugged and plugged again, imported again
    before = g.tty_devs()
    g.plug(False)
    ok(g.wait(lambda: not vhci_used(), 20), "board unplugged: vhci port free")
    g.plug(True)
    ok(g.wait(lambda: g.driver() == "usbip-host", 20), "board back, claimed")
    port = attach_and_talk(place, "after the board reboot")

    dials = open(elog.name).read().count("relay data connection to")
    st, _ = connect_from("natx", place, b"CONNECT %s HTTP/1.1\r\nHost: "
                         b"%s\r\n\r\n" % (target, target))
    time.sleep(0.5)
    ok(st == 403 and open(elog.name).read().count(
        "relay data connection to") == dials,
       "another peer: 403, the exporter not asked (%s)" % st)

    faults(place, exporter, slog)

    # the server killed mid-transfer
    server.kill()
    server.wait()
    ok(g.wait(lambda: g.read(g.DEV + "/usbip_status") == "1", 30),
       "server killed: usbip-host available again, no stuck export")
    ok(g.wait(lambda: port not in vhci_used(), 30),
       "server killed: the agent's vhci port is free (%s)" % vhci_used())
    agent.close()
    server = start_server(slog)
    pl = g.wait(places, 40)
    if not ok(bool(pl), "server restarted: the place is back"):
        return server, None
    place = pl[0]

    # the agent killed mid-transfer: its reservation ends, so do the
    # export and the relayed connection
    agent = Agent()
    ok(agent.call("reserve", [[place["id"]]]).get("result") == place["id"],
       "reserved after the server restart")
    port = attach_and_talk(place, "after the server restart")
    agent.p.kill()
    agent.p.wait()
    ok(g.wait(lambda: g.read(g.DEV + "/usbip_status") == "1", 30),
       "agent killed: usbip-host available again")
    ok(g.wait(lambda: port not in vhci_used(), 30),
       "agent killed: its vhci port is free (%s)" % vhci_used())

    # the exporter killed mid-transfer: the device leaves usbip-host
    agent = Agent()
    ok(agent.call("reserve", [[place["id"]]]).get("result") == place["id"],
       "reserved again")
    port = attach_and_talk(place, "before the exporter is killed")
    exporter.kill()
    exporter.wait()
    ok(g.wait(lambda: port not in vhci_used(), 30),
       "exporter killed: the agent's vhci port is free (%s)" % vhci_used())
    return server, agent


if __name__ == "__main__":
    main()
