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
# The relay speaks TLS (tls.cert for an IP certificate of the hub): the
# exporter's data connections run TLS 1.2 with kernel TLS, so usbip-host
# gets a kTLS socket and the server splices between kTLS and plain
# sockets; /proc/net/tls_stat's software TX and RX counters must rise.
# The agent (import_client, not-my-board style) stays plain; a TLS
# agent (tls_bulk.py) sends 2 MiB to the TCP part and ends with
# close_notify, which the kTLS splice must take for its EOF.
#
# nmb-agent (in ragent, tls.ca_file) reserves the place and attaches its
# USB serial part over TLS: the kTLS socket goes to vhci-hcd; bytes both
# ways; then the server is killed mid-transfer.
#
# Usage: guest_relay_test.py EXPORTER IMPORT_CLIENT NMB_WATCH_KO SERVER AGENT

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
                     sigterm, summary, tap, vhci_ports)

SERVER, AGENT = sys.argv[4:6]
HERE = os.path.dirname(os.path.abspath(__file__))
HUB = "198.18.21.2"
ECHO_PORT = 7007
PORT_NUM = 20
BULK = 2 << 20      # bytes through the relay over TLS

CERT = None
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
    return [p for p, sta, _ in vhci_ports() if sta != "004"]


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


def acall(sock, method, **params):
    """One request on nmb-agent's control socket (agent-api.rst)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sock)
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": params}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf) if buf else {}


def nmb_agent_attach():
    """nmb-agent in ragent reserves far-board and attaches its USB serial
    part through the TLS relay; (process, log, vhci port or None)."""
    conf = os.path.join(g.TMP, "relay-agent.yaml")
    sock = os.path.join(g.TMP, "relay-agent.sock")
    g.write(conf, "server: ws://%s:2092\ntls: {ca_file: %s}\nsocket: %s\n"
            % (HUB, CERT[0], sock))
    log = open(os.path.join(g.TMP, "relay-agent.log"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", "ragent", AGENT, "-c", conf,
                          "-v"], stdout=log, stderr=log)
    found = g.wait(lambda: os.path.exists(sock) and [
        x for x in acall(sock, "search").get("result") or []
        if x.get("name") == "far-board"], 60)
    if not ok(bool(found), "nmb-agent lists far-board"):
        return p, log, None
    r = acall(sock, "reserve", name="tls", import_description=(
        "parts:\n  board:\n    compatible: [cdc-acm-board]\n    usb:\n"
        "      serial: {port_num: %d}\n" % (PORT_NUM + 1)))
    if not ok("result" in r, "nmb-agent reserved far-board: %s" % r):
        return p, log, None
    before = g.tty_devs()
    r = acall(sock, "attach", name="tls")
    st = (r.get("result") or [{}])[0]
    acm = g.wait(lambda: g.tty_devs() - before, 30)
    ok(st.get("up") and bool(acm) and g.serial_round_trip(sorted(acm)[0]),
       "nmb-agent: USB serial over the TLS relay into vhci-hcd, bytes both "
       "ways: %s" % r)
    ok(re.search(r"relay [^ ]+: TLS 1\.2, kernel TLS both ways",
                 open(log.name).read()),
       "nmb-agent: the socket handed to vhci-hcd is kernel TLS")
    return p, log, st.get("vhci_port")


def make_cert():
    """A self-signed certificate for the hub's IP; (cert, key)."""
    crt = os.path.join(g.TMP, "hub.crt")
    key = os.path.join(g.TMP, "hub.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "1",
                    "-subj", "/CN=nmb-hub", "-addext",
                    "subjectAltName=IP:%s" % HUB], check=True,
                   capture_output=True)
    return crt, key


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
    conf = os.path.join(g.TMP, "relay-server.yaml")
    g.write(conf, "listen:\n  - {address: \"[::]:2092\", plain: true}\n"
            "tls: {cert: %s, key: %s}\n" % CERT)
    return subprocess.Popen(["ip", "netns", "exec", "wan", SERVER,
                             "-c", conf], stdout=log, stderr=log)


def tls_stat():
    """/proc/net/tls_stat as {name: value} (empty without the module)."""
    try:
        return {k: int(v) for k, v in (line.split() for line in
                open("/proc/net/tls_stat").read().splitlines())}
    except OSError:
        return {}


def main():
    print("TAP version 13", flush=True)
    g.setup()
    if not ok(setup_nets(), "exporter and agent behind their own NATs, "
              "server between"):
        print("1..%d" % tap.n_test)
        sys.exit(1)
    threading.Thread(target=echo_server, daemon=True).start()
    global CERT
    ok(sh("modprobe tls"), "kernel TLS module loaded")
    CERT = make_cert()
    slog = open(os.path.join(g.TMP, "relay-server.log"), "w+")
    elog = open(os.path.join(g.TMP, "relay-exporter.log"), "w+")
    conf = os.path.join(g.TMP, "relay-exporter.yaml")
    g.write(conf, """\
server: ws://%s:2092
tls: {ca_file: %s}
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
""" % (HUB, CERT[0], g.TMP, g.BUSID, ECHO_PORT))
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
    ok(pl[0].get("relay_tls") is True, "the relay offers TLS (relay_tls)")
    # OpenSSL's first handshakes (algorithm fetches, key exchange) take
    # seconds under TCG and can miss the relay's 5 s wait: one CONNECT
    # first, its answer not checked, warms the exporter and the server
    warm = b"127.0.0.1:%d" % ECHO_PORT
    connect_from("ragent", place, b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                 % (warm, warm))
    t0 = tls_stat()
    attach_and_talk(place, "relayed")
    t1 = tls_stat()
    ok(t1.get("TlsTxSw", 0) > t0.get("TlsTxSw", 0) and
       t1.get("TlsRxSw", 0) > t0.get("TlsRxSw", 0),
       "kTLS in use: TlsTxSw %s -> %s, TlsRxSw %s -> %s" % (
           t0.get("TlsTxSw"), t1.get("TlsTxSw"), t0.get("TlsRxSw"),
           t1.get("TlsRxSw")))
    ok(re.search(r"place far-board: relay data connection to [^ ]+: TLS "
                 r"1\.2, kernel TLS both ways", open(elog.name).read()) and
       re.search(r"data connection from [^ ]+: TLS 1\.2, kernel TLS both "
                 r"ways", open(slog.name).read()),
       "exporter and server: the data connection on kernel TLS")
    target = b"127.0.0.1:%d" % ECHO_PORT
    st, echo = connect_from(
        "ragent", place, b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
        b"User-Agent: python-h11/0.14.0\r\n\r\n" % (target, target))
    ok(st == 200 and echo == "ping",
       "TCP part through the relay, not-my-board's CONNECT: %s %s"
       % (st, echo))
    # an agent over TLS ending with close_notify, as lib/tls_pump does:
    # the server's kTLS socket gets the alert at a splice(), which must
    # pass it on as EOF (the exporter's end then closes, all comes back)
    t0 = time.monotonic()
    p = subprocess.run(["ip", "netns", "exec", "ragent", sys.executable,
                        os.path.join(HERE, "tls_bulk.py"), place["host"],
                        str(place["port"]), target.decode(), CERT[0],
                        str(BULK)], capture_output=True, text=True,
                       timeout=120)
    ok(p.stdout.split() == ["200", str(BULK), "1"] and
       "relayed connection ended after %d bytes" % (BULK + len(target) * 2
                                                    + 29)
       in open(slog.name).read(),
       "TLS agent, %d MiB echoed through kTLS relay and exporter, then "
       "close_notify: EOF passed on, all back in %.1f s: %s" % (
           BULK >> 20, time.monotonic() - t0, (p.stdout + p.stderr)[-300:]))

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

    # the place returned; nmb-agent takes it over TLS (kTLS to vhci-hcd)
    agent.close()
    ok(g.wait(lambda: port not in vhci_used(), 30),
       "place returned: import_client's vhci port is free")
    nagent, nlog, port = nmb_agent_attach()

    # the server killed mid-transfer
    server.kill()
    server.wait()
    ok(g.wait(lambda: g.read(g.DEV + "/usbip_status") == "1", 30),
       "server killed: usbip-host available again, no stuck export")
    ok(port is not None and g.wait(lambda: port not in vhci_used(), 30),
       "server killed: nmb-agent's vhci port %s is free (%s)"
       % (port, vhci_used()))
    rc = sigterm(nagent, 30)
    ok(rc == 0, "nmb-agent: clean exit on SIGTERM (rc=%s)" % rc)
    no_sanitizer_report(nlog, "nmb-agent: no sanitizer report")
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
