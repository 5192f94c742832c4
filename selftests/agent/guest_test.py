#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_test.py - the real chain inside the QEMU guest of
# selftests/qemu/run.sh: nmb-server, nmb-exporter (nmb_watch, usbip-host)
# and nmb-agent (vhci-hcd) in network namespaces, a CDC-ACM gadget board
# on dummy_hcd. TAP.
#
#   ns server   198.18.0.1  nmb-server :2092
#   ns exporter 198.18.0.2  nmb-exporter, place "board" :2192, busid 1-1
#   ns user1    198.18.0.3  nmb-agent, control socket in /tmp
#
# Checks: attach answers once the vhci device is up and names its
# ttyACM; bytes both ways with the gadget's ttyGS0; a board reboot (UDC
# unbind/bind) comes back on the same vhci port by itself, serial works
# again; detach frees the port; SIGTERM detaches and returns. Prints the
# measured attach and re-attach times.
#
# Usage: guest_test.py BUILD_DIR NMB_WATCH_KO

import glob
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
import tty

B, KO = sys.argv[1:3]
TMP = tempfile.mkdtemp(prefix="nmb-agent-guest-")
GADGET = "/sys/kernel/config/usb_gadget/g1"
SOCK = os.path.join(TMP, "agent1.sock")
PORT_NUM = 2
MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")
n_test = n_fail = 0
procs = {}


def ok(cond, name):
    global n_test, n_fail
    n_test += 1
    if not cond:
        n_fail += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_test, name),
          flush=True)
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if r.returncode:
        diag("%s: %s%s" % (cmd, r.stdout, r.stderr))
    return r.returncode == 0


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def wait(cond, timeout=20, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def plug(on):
    write(GADGET + "/UDC", "dummy_udc.0\n" if on else "\n")


def setup():
    good = sh("modprobe -a dummy_hcd libcomposite usb_f_acm usbip-host "
              "vhci-hcd cdc-acm veth bridge")
    good = good and (os.path.exists("/sys/module/nmb_watch") or
                     sh("insmod " + KO))
    if not os.path.ismount("/sys/kernel/config"):
        good = good and sh("mount -t configfs none /sys/kernel/config")
    os.makedirs(GADGET + "/strings/0x409", exist_ok=True)
    write(GADGET + "/idVendor", "0x1d6b")
    write(GADGET + "/idProduct", "0x0104")
    write(GADGET + "/strings/0x409/manufacturer", "nmb")
    write(GADGET + "/strings/0x409/product", "agent test board")
    write(GADGET + "/strings/0x409/serialnumber", "nmb-agent-1")
    os.makedirs(GADGET + "/configs/c.1", exist_ok=True)
    os.makedirs(GADGET + "/functions/acm.usb0", exist_ok=True)
    if not os.path.exists(GADGET + "/configs/c.1/acm.usb0"):
        os.symlink(GADGET + "/functions/acm.usb0",
                   GADGET + "/configs/c.1/acm.usb0")
    plug(True)
    cmds = ["ip link add br0 type bridge", "ip link set br0 up",
            "ip link set lo up"]
    for i, ns in enumerate(("server", "exporter", "user1"), 1):
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
    log = open(os.path.join(TMP, name + ".log"), "w+")
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


def call(method, timeout=60, **params):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(SOCK)
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


def raw(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def pass_bytes(src, dst, data, timeout=10):
    os.write(src, data)
    got = b""
    end = time.monotonic() + timeout
    while len(got) < len(data) and time.monotonic() < end:
        r, _, _ = select.select([dst], [], [], 0.2)
        if r:
            try:
                got += os.read(dst, 4096)
            except BlockingIOError:
                pass
    return got == data


def serial_round_trip(acm):
    a = g = -1
    try:
        a = raw(acm)
        g = raw("/dev/ttyGS0")
        up = pass_bytes(a, g, b"nmb agent->board\n")
        down = pass_bytes(g, a, b"nmb board->agent\n")
        return up and down
    except OSError as e:
        diag("serial: %s" % e)
        return False
    finally:
        for fd in (a, g):
            if fd >= 0:
                os.close(fd)


def usb_status():
    st = call("status").get("result") or []
    return st[0] if st else {}


def tty_of(st):
    ttys = [n for n in st.get("nodes") or [] if n.startswith("/dev/ttyACM")]
    return ttys[0] if ttys else None


def vhci_used(port):
    for f in glob.glob("/sys/devices/platform/vhci_hcd.*/status*"):
        with open(f) as fh:
            for line in fh.read().splitlines()[1:]:
                cols = line.split()
                if len(cols) > 2 and cols[1].isdigit() and \
                        int(cols[1]) == port:
                    return cols[2] != "004"
    return False


DESC = """parts:
  board:
    compatible: [cdc-acm-board]
    usb:
      serial: {port_num: %d}
""" % PORT_NUM


def run():
    start("server", "server", [B + "/nmb-server", "-c", "/dev/null"])
    conf = os.path.join(TMP, "exporter.yaml")
    write(conf, """\
server: ws://198.18.0.1:2092
places:
  - name: board
    port: 2192
    parts:
      - compatible: [cdc-acm-board]
        usb:
          serial: {usbid: "1-1"}
""")
    time.sleep(1)
    start("exporter", "exporter", [B + "/nmb-exporter", "-c", conf, "-v"])
    start("agent", "user1", [B + "/nmb-agent", "-c", "/dev/null",
                             "--server", "ws://198.18.0.1:2092",
                             "--socket", SOCK, "-v"])
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

    r = call("detach", name="demo")
    ok("result" in r and wait(lambda: not vhci_used(vport), 10),
       "detach frees vhci port %s" % vport)
    ok(wait(lambda: not glob.glob("/dev/ttyACM*"), 10),
       "no ttyACM left after detach")
    # Attach again, then stop the agent: it detaches and returns.
    r = call("attach", name="demo")
    ok("result" in r and r["result"][0].get("up"), "attach again: %s" % r)
    rc = stop("agent")
    ok(rc == 0, "SIGTERM: agent exits 0 (rc=%s)" % rc)
    ok(wait(lambda: not vhci_used(vport), 10),
       "SIGTERM detached vhci port %s" % vport)
    ok("returning place board" in log_text("agent"),
       "SIGTERM returned the reservation")


def main():
    print("TAP version 13", flush=True)
    if ok(setup(), "guest set up: modules, nmb_watch, gadget, netns"):
        try:
            run()
        except Exception as e:  # noqa: BLE001
            ok(False, "exception: %r" % e)
    for name in ("agent", "exporter", "server"):
        if name in procs:
            stop(name)
    bad = []
    for name in procs:
        bad += [name + ": " + line for line in log_text(name).splitlines()
                if any(m in line for m in MARKS)]
    ok(not bad, "no sanitizer reports")
    if "agent" in procs:
        for line in log_text("agent").splitlines():
            if "attached on vhci" in line or "vhci event" in line:
                diag(line)
    if n_fail:
        for name in procs:
            diag("--- %s log" % name)
            diag(log_text(name)[-6000:])
    print("1..%d" % n_test)
    print("# %d passed, %d failed" % (n_test - n_fail, n_fail))
    sys.exit(1 if n_fail else 0)


if __name__ == "__main__":
    main()
