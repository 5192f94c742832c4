# SPDX-License-Identifier: GPL-2.0
"""guest_syscalls.py - in the QEMU guest: the system calls of nmb-exporter
and nmb-agent on the USB/IP path are within their units' filters. TAP.

A CDC-ACM gadget board on dummy_hcd; nmb_watch inserted, usbip-host and
vhci-hcd left for the daemons to load (their modprobe runs under the
trace too). nmb-server, nmb-exporter and nmb-agent (plain builds) on
loopback, each under strace -f, while nmbctl attaches the board (the
exporter hands the socket to usbip-host, the agent to vhci-hcd), its
ttyACM appears, and nmbctl detaches it. Then every system call of each
daemon must be in the expansion of its unit's SystemCallFilter=.

Usage: guest_syscalls.py PLAIN_BUILD_DIR NMB_WATCH_KO
"""
import glob
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # the guest sees the repository read-only
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from nmbtest import diag, ok, sh, summary, wait, write  # noqa
from syscalls import outside_filter, stop_traced  # noqa

B, KO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="nmb-ops-guest-")
GADGET = "/sys/kernel/config/usb_gadget/g1"


def setup():
    good = sh("modprobe -a dummy_hcd libcomposite usb_f_acm cdc-acm") and \
        (os.path.exists("/sys/module/nmb_watch") or sh("insmod " + KO))
    if not os.path.ismount("/sys/kernel/config"):
        good = good and sh("mount -t configfs none /sys/kernel/config")
    os.makedirs(GADGET + "/strings/0x409", exist_ok=True)
    write(GADGET + "/idVendor", "0x1d6b")
    write(GADGET + "/idProduct", "0x0104")
    write(GADGET + "/strings/0x409/product", "ops board")
    os.makedirs(GADGET + "/configs/c.1", exist_ok=True)
    os.makedirs(GADGET + "/functions/acm.usb0", exist_ok=True)
    if not os.path.exists(GADGET + "/configs/c.1/acm.usb0"):
        os.symlink(GADGET + "/functions/acm.usb0",
                   GADGET + "/configs/c.1/acm.usb0")
    write(GADGET + "/UDC", "dummy_udc.0\n")
    sh("ip link set lo up")
    return good


def busid():
    for d in glob.glob("/sys/devices/platform/dummy_hcd.0/usb*"):
        return os.path.basename(d)[3:] + "-1"
    return None


def main():
    print("TAP version 13", flush=True)
    if not ok(setup() and wait(busid, 10), "guest: gadget board on "
              "dummy_hcd, nmb_watch inserted"):
        return summary()
    server = os.path.join(TMP, "server.yaml")
    write(server, "grace: 1\n")
    exporter = os.path.join(TMP, "exporter.yaml")
    write(exporter, "server: ws://127.0.0.1:2092\nplaces:\n  - name: board\n"
          "    port: 2192\n    parts:\n      - compatible: [ops-board]\n"
          "        usb:\n          serial: {usbid: \"%s\"}\n" % busid())
    agent = os.path.join(TMP, "agent.yaml")
    write(agent, "server: ws://127.0.0.1:2092\n")
    desc = os.path.join(TMP, "board.yaml")
    write(desc, "parts:\n  b:\n    compatible: [ops-board]\n    usb:\n"
          "      serial: {port_num: 2}\n")
    sock = os.path.join(TMP, "agent.sock")
    procs = {}
    for name, args in (("nmb-server", ["-c", server]),
                       ("nmb-exporter", ["-c", exporter]),
                       ("nmb-agent", ["-c", agent, "--socket", sock])):
        log = os.path.join(TMP, "strace-%s.log" % name)
        procs[name] = (subprocess.Popen(
            ["strace", "-f", "-qq", "-o", log, os.path.join(B, name)] + args,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(TMP, name + ".log"), "w")), log)
        if name == "nmb-server":
            wait(lambda: socket.socket().connect_ex(("127.0.0.1", 2092))
                 == 0, 30)
    wait(lambda: os.path.exists(sock), 60)
    r = None
    for _ in range(60):
        r = subprocess.run([os.path.join(B, "nmbctl"), "-s", sock, "attach",
                            desc], capture_output=True, text=True,
                           timeout=120)
        if r.returncode == 0:
            break
        time.sleep(1)
    if not ok(r.returncode == 0 and "/dev/ttyACM" in r.stdout,
              "guest: the traced farm attaches the board over USB/IP"):
        for line in (r.stdout + r.stderr).splitlines()[-10:]:
            diag(line)
        for name in procs:
            with open(os.path.join(TMP, name + ".log")) as f:
                for line in f.read().splitlines()[-8:]:
                    diag("%s: %s" % (name, line))
    subprocess.run([os.path.join(B, "nmbctl"), "-s", sock, "detach"],
                   capture_output=True, timeout=120)
    for name in ("nmb-agent", "nmb-exporter", "nmb-server"):
        stop_traced(procs[name][0], 30)
    for name in ("nmb-exporter", "nmb-agent"):
        used, outside = outside_filter(procs[name][1], name + ".service")
        with open(procs[name][1]) as f:
            log = f.read()
        diag("%s: %d system calls; finit_module %s" %
             (name, len(used), "traced" if "finit_module(" in log or
              "init_module(" in log else "not traced (module loaded)"))
        if not ok(len(used) > 20 and not outside,
                  "guest: %s on the USB/IP path: its %d system calls are "
                  "all in %s.service's SystemCallFilter" %
                  (name, len(used), name)):
            diag("outside the filter: %s" % " ".join(outside))
    write(GADGET + "/UDC", "\n")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
