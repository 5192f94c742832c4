#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_test.py - the real chain inside the QEMU guest of
# selftests/qemu/run.sh: nmb-server, nmb-exporter (nmb_watch, usbip-host)
# and nmb-agent (vhci-hcd) in network namespaces, a CDC-ACM gadget board
# on dummy_hcd. TAP.
#
#   ns server   198.18.0.1  nmb-server :2092
#   ns exporter 198.18.0.2  nmb-exporter, place "board" :2192, busid 1-1
#   ns exporter 198.18.0.2  place "disk" :2193, a mass-storage gadget
#   ns user1    198.18.0.3  nmb-agent, control socket in /tmp
#   ns user2    198.18.0.4  a second nmb-agent
#
# Checks: attach answers once the vhci device is up and names its
# ttyACM; bytes both ways with the gadget's ttyGS0; a board reboot (UDC
# unbind/bind) comes back on the same vhci port by itself, serial works
# again; an exporter restart too; nmbctl attach prints the node; a
# mass-storage board's disk is found and read; a server restart within
# grace (state file) loses no reservation: the board stays on its vhci
# port and a second user stays in the queue; that user gets the place
# when the first detaches and returns it, and again when the first
# user's agent is killed (-9), whose access the exporter cuts; detach
# frees the port; SIGTERM detaches and returns. Prints the measured
# attach and re-attach times.
#
# NMB_TEST_SUBSET=attach-reboot (run_all.sh's subset_debian13= setting)
# stops after attach, serial both ways and the board reboot re-attached on
# the same vhci port, then detaches: the farm's core on a second kernel.
#
# Usage: guest_test.py BUILD_DIR NMB_WATCH_KO

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the guest sees the repository read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from nmbtest import (diag, ok, serial_round_trip, sh,  # noqa: E402
                     summary, tap, vhci_ports, wait, write)

B, KO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="nmb-agent-guest-")
GADGET = "/sys/kernel/config/usb_gadget/g1"
SOCK = os.path.join(TMP, "agent1.sock")
SOCK2 = os.path.join(TMP, "agent2.sock")
DISK_GADGET = "/sys/kernel/config/usb_gadget/g2"
DISK_IMG = os.path.join(TMP, "disk.img")
DISK_MAGIC = b"nmb disk board sector zero\n".ljust(512, b"\0")
NMBCTL = None
PORT_NUM = 2
SUBSET = os.environ.get("NMB_TEST_SUBSET", "")
MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")
procs = {}


def plug(on, gadget=GADGET, udc="dummy_udc.0"):
    write(gadget + "/UDC", udc + "\n" if on else "\n")


def dummy_busid(n):
    for d in glob.glob("/sys/devices/platform/dummy_hcd.%d/usb*" % n):
        return os.path.basename(d)[3:] + "-1"
    return None


def make_gadget(g, product, func):
    os.makedirs(g + "/strings/0x409", exist_ok=True)
    write(g + "/idVendor", "0x1d6b")
    write(g + "/idProduct", "0x0104")
    write(g + "/strings/0x409/manufacturer", "nmb")
    write(g + "/strings/0x409/product", product)
    write(g + "/strings/0x409/serialnumber", "nmb-" + product[-1])
    os.makedirs(g + "/configs/c.1", exist_ok=True)
    os.makedirs(g + "/functions/" + func, exist_ok=True)


def setup():
    good = sh("modprobe dummy_hcd num=2") and sh(
        "modprobe -a libcomposite usb_f_acm usb_f_mass_storage usbip-host "
        "vhci-hcd cdc-acm usb-storage sd_mod veth bridge")
    good = good and (os.path.exists("/sys/module/nmb_watch") or
                     sh("insmod " + KO))
    if not os.path.ismount("/sys/kernel/config"):
        good = good and sh("mount -t configfs none /sys/kernel/config")
    make_gadget(GADGET, "agent test board 1", "acm.usb0")
    if not os.path.exists(GADGET + "/configs/c.1/acm.usb0"):
        os.symlink(GADGET + "/functions/acm.usb0",
                   GADGET + "/configs/c.1/acm.usb0")
    with open(DISK_IMG, "wb") as f:
        f.write(DISK_MAGIC)
        f.truncate(4 << 20)
    make_gadget(DISK_GADGET, "agent test disk 2", "mass_storage.usb0")
    f = DISK_GADGET + "/functions/mass_storage.usb0/lun.0/"
    write(f + "removable", "1")
    write(f + "file", DISK_IMG)
    if not os.path.exists(DISK_GADGET + "/configs/c.1/mass_storage.usb0"):
        os.symlink(DISK_GADGET + "/functions/mass_storage.usb0",
                   DISK_GADGET + "/configs/c.1/mass_storage.usb0")
    plug(True)
    plug(True, DISK_GADGET, "dummy_udc.1")
    cmds = ["ip link add br0 type bridge", "ip link set br0 up",
            "ip link set lo up"]
    for i, ns in enumerate(("server", "exporter", "user1", "user2"), 1):
        cmds += ["ip netns add %s" % ns,
                 "ip link add v%s type veth peer name eth0 netns %s" % (i, ns),
                 "ip link set v%s master br0" % i,
                 "ip link set v%s up" % i,
                 "ip -n %s addr add 198.18.0.%d/24 dev eth0" % (ns, i),
                 "ip -n %s link set eth0 up" % ns,
                 "ip -n %s link set lo up" % ns]
    for c in cmds:
        good = good and sh(c)
    return good


def start(name, ns, argv):
    log = open(os.path.join(TMP, name + "-%d.log" % len(procs)), "w+")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    procs[name] = (subprocess.Popen(["ip", "netns", "exec", ns] + argv,
                                    stdout=log, stderr=log, env=env), log)


def log_text(name):
    log = procs[name][1]
    log.flush()
    with open(log.name) as f:
        return f.read()


def stop(name, sig=signal.SIGTERM, timeout=30):
    p, log = procs[name]
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def call(method, timeout=60, sock=None, **params):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock or SOCK)
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": params}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf) if buf else {"error": {"message": "EOF"}}


def usb_status(sock=None, name="demo"):
    st = call("status", sock=sock).get("result") or []
    st = [x for x in st if x.get("place") == name]
    return st[0] if st else {}


def up_status(sock=None, name="demo", node="/dev/ttyACM"):
    s = usb_status(sock, name)
    return s if s.get("up") and [n for n in s.get("nodes") or []
                                 if n.startswith(node)] else None


def tty_of(st):
    ttys = [n for n in st.get("nodes") or [] if n.startswith("/dev/ttyACM")]
    return ttys[0] if ttys else None


def vhci_used(port):
    return any(p == port and sta != "004" for p, sta, _ in vhci_ports())


DESC = """parts:
  board:
    compatible: [cdc-acm-board]
    usb:
      serial: {port_num: %d}
    tcp:
      console: {local_port: 15025}
""" % PORT_NUM
DESC2 = DESC.replace("port_num: %d" % PORT_NUM, "port_num: 4").replace(
    "15025", "15026")
ECHO = """
import socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("198.18.0.2", 7777), H).serve_forever()
"""
CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"nmb tcp part\\n")
print(s.makefile().readline().strip())
"""
DISK_DESC = """parts:
  disk:
    compatible: [usb-disk]
    usb:
      disk: {port_num: 6}
"""


def run():
    global SOCK
    sconf = os.path.join(TMP, "server.yaml")
    write(sconf, "grace: 3\nstate_file: %s\n" %
          os.path.join(TMP, "server-state.json"))
    start("server", "server", [B + "/nmb-server", "-c", sconf])
    conf = os.path.join(TMP, "exporter.yaml")
    write(conf, """\
server: ws://198.18.0.1:2092
places:
  - name: board
    port: 2192
    parts:
      - compatible: [cdc-acm-board]
        usb:
          serial: {usbid: "%s"}
        tcp:
          console: {host: 198.18.0.2, port: 7777}
  - name: disk
    port: 2193
    parts:
      - compatible: [usb-disk]
        usb:
          disk: {usbid: "%s"}
""" % (dummy_busid(0), dummy_busid(1)))
    time.sleep(1)
    start("exporter", "exporter", [B + "/nmb-exporter", "-c", conf, "-v"])
    start("echo", "exporter", ["/usr/bin/python3", "-c", ECHO])
    start("agent", "user1", [B + "/nmb-agent", "-c", "/dev/null",
                             "--server", "ws://198.18.0.1:2092",
                             "--socket", SOCK, "-v"])
    wait(lambda: "connected to server" in log_text("agent"), 60, 0.2)
    found = wait(lambda: os.path.exists(SOCK) and
                 [p for p in call("search").get("result") or []
                  if p.get("name") == "board"], 60, 0.5)
    if not ok(bool(found), "place 'board' listed through the agent"):
        return
    r = call("reserve", name="demo", import_description=DESC)
    if not ok("result" in r, "reserve: %s" % r):
        return
    t0 = time.monotonic()
    r = call("attach", name="demo")
    t_attach = (time.monotonic() - t0) * 1000
    st = (r.get("result") or [{}])[0]
    if not ok("result" in r and st.get("up") and tty_of(st),
              "attach answers with the interface up and its ttyACM: %s" %
              r):
        return
    diag("attach: %.0f ms from the call to the answer" % t_attach)
    busid, vport, acm = st["busid"], st.get("vhci_port"), tty_of(st)
    ok(vport == PORT_NUM, "vhci port %s for port_num %d (high speed)" %
       (vport, PORT_NUM))
    ok(os.path.exists("/sys/bus/usb/devices/%s" % busid),
       "local busid %s exists" % busid)
    ok(serial_round_trip(acm), "%s <-> ttyGS0 both ways" % acm)
    r = subprocess.run(["ip", "netns", "exec", "user1", "/usr/bin/python3",
                        "-c", CLIENT, "15025"], capture_output=True,
                       text=True, timeout=30)
    ok(r.stdout.strip() == "NMB TCP PART",
       "TCP part: localhost:15025 reaches the board's console through "
       "the exporter: %r %s" % (r.stdout, r.stderr[-300:]))

    # Board reboot: unplug, plug; the queued import brings it back.
    plug(False)
    ok(wait(lambda: not usb_status().get("up"), 20),
       "board unplugged: status says down")
    time.sleep(1)
    t0 = time.monotonic()
    plug(True)
    st = wait(lambda: (lambda s: s if s.get("up") and tty_of(s) else None)(
        usb_status()), 60, 0.02)
    t_re = (time.monotonic() - t0) * 1000
    if ok(bool(st), "after the reboot the board is up again without "
          "anyone acting: %s" % st):
        diag("re-attach: %.0f ms from plug to up (status polled)" % t_re)
        ok(st.get("vhci_port") == vport and st.get("busid") == busid,
           "same vhci port %s and busid %s" % (st.get("vhci_port"),
                                               st.get("busid")))
        ok(serial_round_trip(tty_of(st)), "serial works again (%s)" %
           tty_of(st))
    if SUBSET == "attach-reboot":
        r = call("detach", name="demo")
        ok("result" in r and wait(lambda: not vhci_used(vport), 10),
           "detach frees vhci port %s" % vport)
        return

    # Exporter restart: the place comes back with a new id; the agent
    # reserves it again and re-attaches by itself.
    rc = stop("exporter")
    procs["exporter-1"] = procs.pop("exporter")
    ok(rc == 0, "exporter stopped (rc=%s)" % rc)
    ok(wait(lambda: not usb_status().get("up"), 20),
       "exporter gone: status says down")
    t0 = time.monotonic()
    start("exporter", "exporter", [B + "/nmb-exporter", "-c",
                                   os.path.join(TMP, "exporter.yaml"),
                                   "-v"])
    st = wait(lambda: up_status(), 60, 0.1)
    if ok(bool(st), "exporter restart: reserved and attached again by "
          "itself: %s" % st):
        diag("exporter restart: %.0f ms from exporter start to up" %
             ((time.monotonic() - t0) * 1000))
        ok(st.get("vhci_port") == vport, "same vhci port %s" %
           st.get("vhci_port"))
        ok(serial_round_trip(tty_of(st)), "serial works again (%s)" %
           tty_of(st))

    r = call("detach", name="demo")
    ok("result" in r and wait(lambda: not vhci_used(vport), 10),
       "detach frees vhci port %s" % vport)
    ok(wait(lambda: not usb_status().get("nodes"), 10),
       "no node left after detach")

    # nmbctl attach (the CLI) prints the device node.
    if NMBCTL and os.access(NMBCTL, os.X_OK):
        r = subprocess.run([NMBCTL, "-s", SOCK, "attach", "-k", "demo"],
                           capture_output=True, text=True, timeout=60,
                           cwd=TMP)
        ok(r.returncode == 0 and "/dev/ttyACM" in r.stdout,
           "nmbctl attach prints the node: rc=%d %s%s" %
           (r.returncode, r.stdout, r.stderr))
        call("detach", name="demo")
        wait(lambda: not vhci_used(vport), 10)

    # A mass-storage board: attach waits for the disk, which is read.
    r = call("reserve", name="disk", import_description=DISK_DESC)
    ok("result" in r, "reserve disk: %s" % r)
    t0 = time.monotonic()
    r = call("attach", name="disk")
    st = (r.get("result") or [{}])[0]
    sd = [n for n in st.get("nodes") or [] if n.startswith("/dev/sd")]
    if ok("result" in r and st.get("up") and sd,
          "attach answers once the disk exists: %s" % r):
        diag("disk attach: %.0f ms" % ((time.monotonic() - t0) * 1000))
        try:
            with open(sorted(sd)[0], "rb") as f:
                data = f.read(512)
        except OSError as e:
            data = repr(e).encode()
        ok(data == DISK_MAGIC, "disk %s reads the board's sector 0" %
           sorted(sd)[0])
    call("detach", name="disk")
    call("return_reservation", name="disk")

    r = call("attach", name="demo")
    ok("result" in r and r["result"][0].get("up"), "attach again: %s" % r)
    start("agent2", "user2", [B + "/nmb-agent", "-c", "/dev/null",
                              "--server", "ws://198.18.0.1:2092",
                              "--socket", SOCK2, "-v"])
    wait(lambda: "connected to server" in log_text("agent2"), 60, 0.2)
    res2 = {}

    def reserve2():
        res2["r"] = call("reserve", sock=SOCK2, name="demo2",
                         import_description=DESC2, timeout=120)
    import threading
    th = threading.Thread(target=reserve2)
    th.start()
    time.sleep(2)
    ok(th.is_alive(), "second user's reserve waits in the queue")

    # Server restart within grace: the state file keeps the first user's
    # reservation; both agents and the exporter reconnect; the board
    # stays on its vhci port and the second user does not get it.
    resumed = log_text("agent").count("session resumed")
    ex_resumed = log_text("exporter").count("session resumed")
    devnum_path = "/sys/bus/usb/devices/%s/devnum" % busid
    devnum = open(devnum_path).read().strip()
    gaps, watching = [], [True]

    def watch():
        while watching[0]:
            if not vhci_used(vport):
                gaps.append(time.monotonic())
            time.sleep(0.05)
    watcher = threading.Thread(target=watch)
    watcher.start()
    rc = stop("server")
    procs["server-1"] = procs.pop("server")
    ok(rc == 0 and "keeping 1 reservation(s)" in log_text("server-1"),
       "server SIGTERM with a state file keeps the reservation (rc=%s)" %
       rc)
    # The agents' reconnect backoff (1 s, then 2, 4, ...) and a slow
    # start under TCG could overrun 3 s: the restarted server gives the
    # restored sessions 10 s (its own grace), as a production one gives 30.
    write(sconf, "grace: 10\nstate_file: %s\n" %
          os.path.join(TMP, "server-state.json"))
    t0 = time.monotonic()
    start("server", "server", [B + "/nmb-server", "-c", sconf])
    ok(wait(lambda: "restored 3 session(s), 2 place(s), 1 reservation(s)"
            in log_text("server"), 20),
       "restarted server restored the holder's session and both places")
    th.join(30)
    ok(not th.is_alive() and "result" not in res2.get("r", {}),
       "the waiting reserve did not get the place across the restart: %s"
       % res2.get("r"))
    ok(wait(lambda: log_text("agent").count("session resumed") > resumed,
            20, 0.1), "first user's agent resumed its session")
    ok(wait(lambda: log_text("exporter").count("session resumed") >
            ex_resumed, 20, 0.1), "exporter resumed its place")
    diag("server restart: %.0f ms from start to both resumed" %
         ((time.monotonic() - t0) * 1000))
    time.sleep(1)
    watching[0] = False
    watcher.join()
    try:
        devnum2 = open(devnum_path).read().strip()
    except OSError as e:
        devnum2 = repr(e)
    ok(not gaps and devnum2 == devnum,
       "the board stayed attached through the restart: vhci port %s "
       "never free (%d gaps), devnum %s -> %s" % (vport, len(gaps),
                                                  devnum, devnum2))
    st = up_status()
    ok(st and st.get("vhci_port") == vport and st.get("busid") == busid,
       "the board is on vhci port %s, busid %s: %s" % (vport, busid, st))
    ok(st and serial_round_trip(tty_of(st)), "serial still works")
    wait(lambda: log_text("agent2").count("connected to server") > 1, 20,
         0.1)
    res2 = {}
    th = threading.Thread(target=reserve2)
    th.start()
    time.sleep(4)
    ok(th.is_alive(), "4 s after the restart, the holder having resumed, "
       "the second user, queued again, still waits: no reservation lost")

    # The first user detaches and returns: the waiting user gets it.
    r = call("detach", name="demo")
    ok("result" in r and wait(lambda: not vhci_used(vport), 10),
       "first user detached (vhci port %s free)" % vport)
    r = call("return_reservation", name="demo")
    th.join(30)
    ok("result" in r and res2.get("r", {}).get("result", 1) is None,
       "second user gets the place once the first detaches and returns "
       "it: %s %s" % (r, res2.get("r")))
    r = call("attach", sock=SOCK2, name="demo2")
    st2 = (r.get("result") or [{}])[0]
    ok("result" in r and st2.get("up") and tty_of(st2) and
       serial_round_trip(tty_of(st2)),
       "second user attached, serial works: %s" % r)
    call("detach", sock=SOCK2, name="demo2")
    call("return_reservation", sock=SOCK2, name="demo2")
    ok(wait(lambda: not vhci_used(st2.get("vhci_port", 0)), 10),
       "second user detached and returned")

    # A second user waits; the first user's agent dies (-9): after the
    # server's grace the place goes to the waiting user and the exporter
    # cuts the first user's access.
    r = call("reserve", name="demo", import_description=DESC)
    r = "result" in r and call("attach", name="demo") or r
    ok("result" in r and r["result"][0].get("up"),
       "first user reserves and attaches again: %s" % r)
    res2 = {}
    th = threading.Thread(target=reserve2)
    th.start()
    time.sleep(2)
    ok(th.is_alive(), "second user's reserve waits in the queue")
    t0 = time.monotonic()
    procs["agent"][0].kill()
    procs["agent"][0].wait()
    th.join(60)
    ok(res2.get("r", {}).get("result", 1) is None,
       "after kill -9 of the holder's agent, the second user gets the "
       "place (%.1f s, server grace 10 s): %s" % (time.monotonic() - t0,
                                                res2.get("r")))
    ok(wait(lambda: not vhci_used(vport), 20),
       "the exporter cut the killed agent's import (vhci port %d free)" %
       vport)
    t0 = time.monotonic()
    r = call("attach", sock=SOCK2, name="demo2")
    st = (r.get("result") or [{}])[0]
    if ok("result" in r and st.get("up") and tty_of(st),
          "second user attached: %s" % r):
        diag("second user attach: %.0f ms" %
             ((time.monotonic() - t0) * 1000))
        ok(serial_round_trip(tty_of(st)), "second user's serial works")
    SOCK = SOCK2
    procs["agent-1"] = procs.pop("agent")
    procs["agent"] = procs.pop("agent2")
    vport = st.get("vhci_port", vport)
    # Stop the (second) agent while attached: it detaches and returns.
    rc = stop("agent")
    ok(rc == 0, "SIGTERM: agent exits 0 (rc=%s)" % rc)
    ok(wait(lambda: not vhci_used(vport), 10),
       "SIGTERM detached vhci port %s" % vport)
    ok("returning place board" in log_text("agent"),
       "SIGTERM returned the reservation")


def main():
    global NMBCTL
    NMBCTL = B + "/nmbctl"
    os.makedirs(os.path.join(TMP, ".nmb"), exist_ok=True)
    write(os.path.join(TMP, ".nmb", "demo.yaml"), DESC)
    print("TAP version 13", flush=True)
    if SUBSET not in ("", "attach-reboot"):
        ok(False, "unknown NMB_TEST_SUBSET %r (attach-reboot)" % SUBSET)
        sys.exit(summary())
    if SUBSET:
        diag("subset %s, kernel %s" % (SUBSET, os.uname().release))
    if ok(setup(), "guest set up: modules, nmb_watch, gadget, netns"):
        try:
            run()
        except Exception as e:  # noqa: BLE001
            ok(False, "exception: %r" % e)
            import traceback
            diag(traceback.format_exc())
    for name in ("agent", "agent2", "exporter", "server", "echo"):
        if name in procs:
            stop(name)
    bad = []
    for name in procs:
        bad += [name + ": " + line for line in log_text(name).splitlines()
                if any(m in line for m in MARKS)]
    ok(not bad, "no sanitizer reports")
    if os.environ.get("NMB_AGENT_TEST_LOGS"):
        for name in procs:
            diag("--- %s log" % name)
            diag("\n".join(l for l in log_text(name).splitlines()
                           if ": debug: " not in l))
    if tap.n_fail:
        for name in procs:
            diag("--- %s log" % name)
            diag(log_text(name)[-6000:])
    sys.exit(summary())


if __name__ == "__main__":
    main()
