#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_server_test.py - nmb-exporter, nmb-server and an agent as three
# hosts in the QEMU guest, with the real nmb_watch module (TAP):
#
#   [hub ns 198.18.1.2: nmb-server :2092]
#        | veth 198.18.1.1
#   [root ns: nmb-exporter, proxy 198.18.0.1:2192, board on dummy_hcd 1-1]
#        | veth 198.18.0.1          (root ns routes between the two)
#   [agent ns 198.18.0.2: agent_rpc.py (reserve), import_client, vhci]
#
# A reservation opens the proxy to the agent, the import attaches the
# board over vhci, the return stops the export, a server restart is
# followed by a new registration and a new import.
#
# Usage: guest_server_test.py EXPORTER IMPORT_CLIENT NMB_WATCH_KO SERVER

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True     # the guest sees the repository read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_test as g  # noqa: E402
from nmbtest import (diag, no_sanitizer_report, ok,  # noqa: E402
                     sigterm, summary, tap)

SERVER = sys.argv[4]
HUB = "198.18.1.2"
HERE = os.path.dirname(os.path.abspath(__file__))


def setup_hub_ns():
    if "hub" in subprocess.run(["ip", "netns", "list"], capture_output=True,
                               text=True).stdout:
        return True
    good = True
    for c in ("ip netns add hub",
              "ip link add veth2 type veth peer name veth3",
              "ip link set veth3 netns hub",
              "ip addr add 198.18.1.1/24 dev veth2",
              "ip link set veth2 up",
              "ip -n hub addr add %s/24 dev veth3" % HUB,
              "ip -n hub link set veth3 up",
              "ip -n hub link set lo up",
              "ip -n hub route add 198.18.0.0/24 via 198.18.1.1",
              "ip -n agent route add 198.18.1.0/24 via 198.18.0.1",
              "sysctl -qw net.ipv4.ip_forward=1"):
        good = good and g.sh(c)
    return good


def start_server(log):
    cfg = os.path.join(g.TMP, "server.yaml")
    g.write(cfg, "grace: 0\n")
    return subprocess.Popen(["ip", "netns", "exec", "hub", SERVER, "-c", cfg,
                             "--listen", "%s:2092" % HUB], stdout=log,
                            stderr=log)


def places():
    try:
        with urllib.request.urlopen("http://%s:2092/api/v1/places" % HUB,
                                    timeout=5) as r:
            return [p for p in json.loads(r.read())["places"]
                    if p["name"] == "board"]
    except OSError:
        return []


class Agent:
    def __init__(self):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", "agent", sys.executable,
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


def import_and_talk(what):
    before = g.tty_devs()
    m, out = g.import_end(g.import_start(), 60)
    if not ok(m is not None, "%s: import through the proxy: %s"
              % (what, out.strip())):
        return False
    acm = g.wait(lambda: g.tty_devs() - before, 30)
    return ok(bool(acm) and g.serial_round_trip(sorted(acm)[0]),
              "%s: serial bytes both ways over the import" % what)


AGENTS = []


def main():
    print("TAP version 13", flush=True)
    g.next_port_num = 8
    if not ok(g.setup() and setup_hub_ns(),
              "three hosts: hub, exporter, agent namespaces"):
        print("1..%d" % tap.n_test)
        sys.exit(1)
    slog = open(os.path.join(g.TMP, "server.log"), "w+")
    elog = open(os.path.join(g.TMP, "exporter-s.log"), "w+")
    g.LOG = elog
    conf = os.path.join(g.TMP, "exporter-s.yaml")
    g.write(conf, """\
server: ws://%s:2092
places:
  - name: board
    port: %d
    parts:
      - compatible: [cdc-acm-board]
        usb:
          serial: {usbid: "%s"}
""" % (HUB, g.PLACE_PORT, g.BUSID))
    server = start_server(slog)
    exporter = subprocess.Popen([g.EXPORTER, "-c", conf, "-v"],
                                stdout=elog, stderr=elog)
    try:
        server = run(server, slog)
    finally:
        for p, name in ((exporter, "exporter"), (server, "server")):
            if p.poll() is None:
                rc = sigterm(p, 30)
                ok(rc == 0, "%s: clean exit on SIGTERM (rc=%s)" % (name, rc))
            if name == "exporter":
                ok(g.wait(lambda: g.driver() not in
                          (None, "", "usbip-host"), 20),
                   "board back on its default driver (%s)" % g.driver())
                elog.seek(0)
                ok(not AGENTS or "export to 198.18.0.2 stopped" in
                   elog.read(), "SIGTERM stopped the running export")
                for a in AGENTS:
                    a.close()
        text = no_sanitizer_report(elog)
        if tap.n_fail:
            slog.seek(0)
            diag("exporter log:\n" + text[-6000:])
            diag("server log:\n" + slog.read()[-3000:])
    sys.exit(summary())


def run(server, slog):
    pl = g.wait(places, 30)
    if not ok(bool(pl) and pl[0]["host"] == "198.18.1.1",
              "place registered at nmb-server, host = the exporter's IP"):
        return server
    ok(g.wait(lambda: g.driver() == "usbip-host", 20),
       "board claimed for usbip-host")
    agent = Agent()
    r = agent.call("reserve", [[pl[0]["id"]]])
    if not ok(r.get("result") == pl[0]["id"], "agent reserved the place"):
        diag(r)
        return server
    import_and_talk("reserved")
    r = agent.call("return_reservation", [pl[0]["id"]])
    ok("result" in r, "reservation returned")
    ok(g.wait(lambda: g.read(g.DEV + "/usbip_status") == "1", 20),
       "return: the hub emptied the allow-list, export stopped")
    m, out = g.import_end(g.import_start(), 30)
    ok(m is None and "403" in out, "no reservation: 403")
    agent.close()

    server.send_signal(signal.SIGTERM)
    server.wait(20)
    server = start_server(slog)
    pl2 = g.wait(places, 40)
    ok(bool(pl2), "server restarted: the exporter registered again")
    if pl2:
        agent = Agent()
        r = agent.call("reserve", [[pl2[0]["id"]]])
        ok(r.get("result") == pl2[0]["id"], "reserved after the restart")
        import_and_talk("after the server restart")
        ok(g.read(g.DEV + "/usbip_status") == "2",
           "exported when the exporter gets SIGTERM")
        AGENTS.append(agent)
    return server


if __name__ == "__main__":
    main()
