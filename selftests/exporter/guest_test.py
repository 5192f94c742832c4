#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# guest_test.py - nmb-exporter with the real nmb_watch module, inside the
# QEMU guest of selftests/qemu/run.sh (root, Debian's kernel). TAP.
#
#   [fake hub 127.0.0.1] -- [exporter, root ns, 198.18.0.1:2192]
#                                 | veth
#                           [agent ns 198.18.0.2: import_client, vhci]
#   board: CDC-ACM gadget on dummy_hcd, busid 1-1 (host side ttyACM*,
#   gadget side ttyGS0); the vhci-attached copy gives the agent its
#   ttyACM*.
#
# Usage: guest_test.py EXPORTER IMPORT_CLIENT NMB_WATCH_KO

import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the guest sees the repository read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_hub import FakeHub  # noqa: E402
from nmbtest import (diag, no_sanitizer_report, ok,  # noqa: E402
                     serial_round_trip, sh, sigterm, summary, tap,
                     vhci_ports, wait, write)

EXPORTER, CLIENT, KO = sys.argv[1:4]
TMP = tempfile.mkdtemp(prefix="nmb-exporter-guest-")
HUB_PORT = 2092
PLACE_PORT = 2192
BUSID = "1-1"
DEV = "/sys/bus/usb/devices/" + BUSID
GADGET = "/sys/kernel/config/usb_gadget/g1"
next_port_num = 0


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def driver():
    try:
        return os.path.basename(os.readlink(DEV + "/driver"))
    except OSError:
        return "" if os.path.exists(DEV) else None


def plug(on):
    write(GADGET + "/UDC", "dummy_udc.0\n" if on else "\n")


def setup():
    good = sh("modprobe -a dummy_hcd libcomposite usb_f_acm usbip-host "
              "vhci-hcd cdc-acm veth")
    good = good and (os.path.exists("/sys/module/nmb_watch") or
                     sh("insmod " + KO))
    if not os.path.ismount("/sys/kernel/config"):
        good = good and sh("mount -t configfs none /sys/kernel/config")
    os.makedirs(GADGET + "/strings/0x409", exist_ok=True)
    write(GADGET + "/idVendor", "0x1d6b")
    write(GADGET + "/idProduct", "0x0104")
    write(GADGET + "/strings/0x409/manufacturer", "nmb")
    write(GADGET + "/strings/0x409/product", "test board")
    write(GADGET + "/strings/0x409/serialnumber", "nmb-1")
    os.makedirs(GADGET + "/configs/c.1", exist_ok=True)
    os.makedirs(GADGET + "/functions/acm.usb0", exist_ok=True)
    if not os.path.exists(GADGET + "/configs/c.1/acm.usb0"):
        os.symlink(GADGET + "/functions/acm.usb0",
                   GADGET + "/configs/c.1/acm.usb0")
    if not read(GADGET + "/UDC"):
        plug(True)
    if "agent" in subprocess.run(["ip", "netns", "list"],
                                 capture_output=True, text=True).stdout:
        return good     # set up by an earlier script of this boot
    for c in ("ip netns add agent",
              "ip link add veth0 type veth peer name veth1",
              "ip link set veth1 netns agent",
              "ip addr add 198.18.0.1/24 dev veth0",
              "ip link set veth0 up",
              "ip link set lo up",
              "ip -n agent addr add 198.18.0.2/24 dev veth1",
              "ip -n agent link set veth1 up",
              "ip -n agent link set lo up"):
        good = good and sh(c)
    return good


def tty_devs():
    return set(glob.glob("/dev/ttyACM*"))


def import_start(netns="agent", port_num=None):
    global next_port_num
    if port_num is None:
        port_num = next_port_num
        next_port_num += 1
    cmd = ["ip", "netns", "exec", netns, CLIENT, "198.18.0.1",
           str(PLACE_PORT), BUSID, str(port_num)]
    if netns is None:
        cmd = cmd[4:]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def import_end(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, "timeout " + err
    m = re.search(r"attached port=(\d+) .*ms=([\d.]+)", out)
    return (m, out + err)


STOP_RACE_CYCLES = int(os.environ.get("NMB_STOP_RACE_CYCLES", "6"))
STOP_RACE_DELAYS = (0, 0.05, 0.1, 0.15, 0.2, 0.25)
VHCI_DETACH = "/sys/devices/platform/vhci_hcd.0/detach"


def kernel_log_count(text):
    out = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    return out.count(text)


def vhci_detach(port):
    try:
        with open(VHCI_DETACH, "w") as f:
            f.write(str(port))
        return True
    except OSError:
        return False


def tty_on_vhci_port(port):
    """The ttyACM of the device on vhci port (global number), or None."""
    for p, _, busid in vhci_ports():
        if p == int(port):
            ttys = glob.glob("/sys/bus/usb/devices/%s:*/tty/ttyACM*" % busid)
            return "/dev/" + os.path.basename(ttys[0]) if ttys else None
    return None


def cut_while_torn_down(hub, cycle):
    """User 1 (agent ns) holds the board, user 2 (root ns) waits in the
    exporter's queue; user 1 detaches and the grant moves to user 2 at
    once. True when user 2's import comes up and carries bytes."""
    hub.set_allowed_ips("board", ["198.18.0.2", "198.18.0.1"])
    m, out = import_end(import_start(port_num=5), 60)
    if not (m and wait(lambda: tty_on_vhci_port(m.group(1)), 30)):
        diag("cycle %d: user 1 import failed: %s" % (cycle, out.strip()))
        return False
    second = import_start(None, port_num=6)
    time.sleep(0.5)
    if not vhci_detach(m.group(1)):
        diag("cycle %d: cannot detach vhci port %s" % (cycle, m.group(1)))
        second.kill()
        second.communicate()
        return False
    # usbip-host's teardown: a few ms of shutdown, then ~250 ms of
    # device reset under TCG; the cut lands in each part in turn.
    time.sleep(STOP_RACE_DELAYS[cycle % len(STOP_RACE_DELAYS)])
    hub.set_allowed_ips("board", ["198.18.0.1"])
    m2, out2 = import_end(second, 60)
    tty = m2 and wait(lambda: tty_on_vhci_port(m2.group(1)), 30)
    good = bool(tty) and serial_round_trip(tty)
    if not good:
        diag("cycle %d: user 2 import %s, tty %s, usbip_status %s" %
             (cycle, out2.strip(), tty, read(DEV + "/usbip_status")))
    if m2:
        vhci_detach(m2.group(1))
    wait(lambda: read(DEV + "/usbip_status") == "1", 20)
    return good


def proxy_status(data):
    s = socket.create_connection(("198.18.0.1", PLACE_PORT), timeout=10)
    s.sendall(data)
    try:
        head = s.recv(4096)
    except OSError:
        head = b""
    s.close()
    m = re.match(rb"HTTP/1\.1 (\d+) ", head)
    return int(m.group(1)) if m else None


LOG = None


def exporter_times(since, timeout=5):
    """mono ms of the first 'ready' and 'exported' lines after since."""
    ready = sent = None
    end = time.monotonic() + timeout
    while time.monotonic() < end and (ready is None or sent is None):
        LOG.seek(0)
        for line in LOG.read().splitlines():
            m = re.search(r"mono=([\d.]+) ms", line)
            if not m or float(m.group(1)) < since * 1000:
                continue
            if "ready, usbip_status 1" in line and ready is None:
                ready = float(m.group(1))
            if "exported to" in line and sent is None:
                sent = float(m.group(1))
        time.sleep(0.1)
    return ready, sent


def report_times(what, t_plug):
    ready, sent = exporter_times(t_plug)
    if ready is not None and sent is not None:
        diag("%s: plug -> usbip_status 1: %.1f ms, plug -> reply sent: "
             "%.1f ms" % (what, ready - t_plug * 1000,
                          sent - t_plug * 1000))
    return ready is not None and sent is not None


def main():
    global LOG
    print("TAP version 13", flush=True)
    if not ok(setup(), "guest set up: modules, nmb_watch, gadget, netns"):
        print("1..%d" % tap.n_test)
        sys.exit(1)
    ok(wait(lambda: driver() not in (None, "")) not in ("usbip-host",),
       "board plugged before the exporter: default driver (%s)" % driver())

    conf = os.path.join(TMP, "exporter.yaml")
    write(conf, """\
server: ws://127.0.0.1:%d
places:
  - name: board
    port: %d
    parts:
      - compatible: [cdc-acm-board]
        usb:
          serial: {usbid: "%s"}
""" % (HUB_PORT, PLACE_PORT, BUSID))
    hub = FakeHub(HUB_PORT)
    logf = open(os.path.join(TMP, "exporter.log"), "w+")
    LOG = logf
    proc = subprocess.Popen([EXPORTER, "-c", conf, "-v"], stdout=logf,
                            stderr=logf)
    try:
        hub = run(hub, proc)
    finally:
        if proc.poll() is None:
            rc = sigterm(proc, 30)
            ok(rc == 0, "SIGTERM: clean exit (rc=%s)" % rc)
            ok(wait(lambda: driver() not in (None, "", "usbip-host"), 20),
               "after SIGTERM the board is back on its default driver "
               "(%s)" % driver())
            ok(bool(wait(lambda: tty_devs(), 20)),
               "host driver cdc_acm took the board again (%s)" %
               sorted(tty_devs()))
        text = no_sanitizer_report(logf)
        if tap.n_fail:
            diag("exporter log:\n" + text[-8000:])
        hub.stop()
    sys.exit(summary())


def run(hub, proc):
    if not ok(hub.wait_place("board", 30) is not None,
              "place registered at the hub"):
        return hub
    ok(wait(lambda: driver() == "usbip-host" and
            read(DEV + "/usbip_status") == "1", 20),
       "claimed at start: the present board moved to usbip-host, "
       "usbip_status 1")
    ok(wait(lambda: not tty_devs(), 10),
       "no host driver keeps the board (no ttyACM)")

    # 403 before the allow-list names the agent
    p = import_start()
    m, out = import_end(p, 30)
    ok(m is None and "403" in out, "agent not allowed yet: 403")

    hub.set_allowed_ips("board", ["198.18.0.2", "198.18.0.1"])
    ok(proxy_status(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 405, "405")
    ok(proxy_status(b"CONNECT usb.not-my-board.localhost:3240 HTTP/1.1"
                    b"\r\n\r\n") == 400, "400 without Host")

    # malformed OP_REQ_IMPORT
    s = socket.create_connection(("198.18.0.1", PLACE_PORT), timeout=10)
    s.sendall(b"CONNECT usb.not-my-board.localhost:3240 HTTP/1.1\r\n"
              b"Host: usb.not-my-board.localhost:3240\r\n\r\n")
    head = s.recv(4096)
    s.sendall(b"\x01\x11\x80\x03\0\0\0\x01" + b"1-1".ljust(32, b"\0"))
    try:
        closed = s.recv(1) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    s.close()
    ok(head.startswith(b"HTTP/1.1 200 ") and closed,
       "malformed OP_REQ_IMPORT (status 1): closed without a reply")
    ok(read(DEV + "/usbip_status") == "1",
       "device untouched by the malformed request")

    # the import
    before = tty_devs()
    p = import_start()
    m, out = import_end(p, 60)
    if not ok(m is not None, "import through the proxy, vhci attach: %s"
              % out.strip()):
        return hub
    diag("request to reply: %s ms" % m.group(2))
    ok(read(DEV + "/usbip_status") == "2", "usbip_status 2 while exported")
    acm = wait(lambda: tty_devs() - before, 30)
    if ok(bool(acm), "agent side ttyACM appeared (%s)" % acm):
        ok(serial_round_trip(sorted(acm)[0]),
           "bytes agent ttyACM -> board ttyGS0 and back")

    # pending second import + board reboot
    p2 = import_start()
    time.sleep(3)
    ok(p2.poll() is None, "second import of the busy device blocks")
    plug(False)
    time.sleep(1)
    before = tty_devs()
    t_plug = time.monotonic()
    plug(True)
    m, out = import_end(p2, 60)
    report_times("board reboot", t_plug)
    ok(m is not None, "board reboot: the pending import is served "
       "(%.0f ms after plug): %s" % ((time.monotonic() - t_plug) * 1000,
                                     out.strip()))
    acm = wait(lambda: tty_devs() - before, 30)
    if ok(bool(acm), "ttyACM back after the reboot (%s)" % acm):
        ok(serial_round_trip(sorted(acm)[0]),
           "serial round trip after the reboot")

    # device absent at import time
    plug(False)
    ok(wait(lambda: driver() is None, 20), "board unplugged")
    p3 = import_start()
    time.sleep(3)
    ok(p3.poll() is None, "import of an absent device blocks")
    t_plug = time.monotonic()
    plug(True)
    m, out = import_end(p3, 60)
    ok(report_times("absent device plugged", t_plug),
       "plug -> usbip_status 1 -> reply, times in the exporter log")
    ok(m is not None, "plugged: the waiting import is served "
       "(%.0f ms after plug): %s" % ((time.monotonic() - t_plug) * 1000,
                                     out.strip()))

    # allow-list cut with the export running
    time.sleep(1)
    hub.set_allowed_ips("board", ["198.18.0.1"])
    ok(wait(lambda: read(DEV + "/usbip_status") == "1", 20),
       "allow-list cut: export stopped, usbip_status 1 again")

    # The grant moves while usbip-host still tears down the export the
    # agent just left, with the next user's import queued: that import
    # must come up. The exporter used to stop an export by writing "-1"
    # to usbip_sockfd; landing during usbip-host's device reset, that
    # ran a second teardown after the reset, which cut the next user's
    # fresh connection (usbip_status stayed 2, no device on vhci).
    # The window is microseconds wide, so the cycles alone rarely catch
    # it; the kernel log shows whether any teardown was queued from
    # outside ("stub down" is usbip-host's line for a "-1").
    downs = kernel_log_count("stub down")
    served = 0
    for cycle in range(STOP_RACE_CYCLES):
        if not cut_while_torn_down(hub, cycle):
            break
        served += 1
    ok(served == STOP_RACE_CYCLES,
       "grant moved during usbip-host's teardown, next user's import "
       "came up: %d of %d cycles" % (served, STOP_RACE_CYCLES))
    downs = kernel_log_count("stub down") - downs
    ok(downs == 0, "each cut shut the export's socket down: usbip-host "
       "saw no \"-1\" (%d \"stub down\" lines)" % downs)

    # hub restart
    hub.stop()
    hub = FakeHub(HUB_PORT)
    ok(hub.wait_place("board", 40) is not None,
       "hub restarted: the exporter reconnected and registered again")
    ok(driver() == "usbip-host", "device stayed on usbip-host meanwhile")
    return hub


if __name__ == "__main__":
    main()
