#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# virtual_bench.py - make bench rows for virtual places (issue 11), on the
# host: nmb-exporter with emulated Raspberry Pi 3B boards (QEMU, TCG)
# behind a fake hub. Prints "bench NAME value=V unit=U" lines, one per
# measurement, for host-virtual.sh to reduce to medians:
#   virtual_reserve_prompt  grant (set_allowed_ips) to the shell prompt
#                           on the console, through the place's proxy
#   virtual_cycle_prompt    CYCLE on the power port to the prompt
#   virtual_rss             VmRSS of one board's QEMU at its prompt
#   virtual_echo_N          median console echo round trip ("echo x")
#                           with N boards running at once
#   virtual_boards_100ms    the most boards (of those tried) whose echo
#                           medians all stay under 100 ms
#
# Usage: virtual_bench.py EXPORTER ASSETS_DIR RUNS MAX_BOARDS

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "exporter"))
from fake_hub import FakeHub  # noqa: E402
from nmbtest import free_port, sigterm  # noqa: E402

EXPORTER, ASSETS = sys.argv[1], sys.argv[2]
RUNS, MAX_BOARDS = int(sys.argv[3]), int(sys.argv[4])
TMP = tempfile.mkdtemp(prefix="nmb-virtual-bench-")
HUB_PORT = free_port()
PORTS = [free_port() for _ in range(MAX_BOARDS)]


def out(name, value, unit):
    print("bench %s value=%.6g unit=%s" % (name, value, unit), flush=True)


class Console:
    def __init__(self, place_port, target_port):
        self.s = socket.create_connection(("127.0.0.1", place_port), 10)
        self.s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
                       b"Host: 127.0.0.1:%d\r\n\r\n" %
                       (target_port, target_port))
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        self.buf = b""

    def expect(self, pattern, timeout=180):
        end = time.time() + timeout
        while not re.search(pattern, self.buf):
            self.s.settimeout(max(0.05, min(1, end - time.time())))
            if time.time() > end:
                return False
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                continue
            if not b:
                return False
            self.buf += b
        self.buf = b""
        return True

    def prompt(self, timeout=180):
        """The shell's prompt, poking it with newlines once init is done."""
        if not self.expect(rb"init done", timeout):
            return False
        for _ in range(30):
            self.s.sendall(b"\n")
            if self.expect(rb"rpi:/# ", 2):
                return True
        return False

    def echo_rtt(self):
        t = time.monotonic()
        self.s.sendall(b"echo x\n")
        self.expect(rb"\nx\r?\n", 10)
        return time.monotonic() - t


def qemu_rss(ovl):
    r = subprocess.run(["pgrep", "-f", "qemu-system-aarch64.*" + ovl],
                       capture_output=True, text=True)
    for pid in r.stdout.split():
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    return None


def main():
    ovl = os.path.join(TMP, "overlays")
    os.mkdir(ovl)
    places = "".join(f"""\
  - name: vb{i}
    port: {PORTS[i]}
    parts:
      - compatible: [raspberry-pi]
        virtual:
          kernel: {ASSETS}/vmlinuz
          dtb: {ASSETS}/bcm2837-rpi-3-b.dtb
          initrd: {ASSETS}/initramfs.gz
          disk: {ASSETS}/disk.img
          overlay_dir: {ovl}
""" for i in range(MAX_BOARDS))
    conf = os.path.join(TMP, "exporter.yaml")
    with open(conf, "w") as f:
        f.write(f"server: ws://127.0.0.1:{HUB_PORT}\nplaces:\n{places}")
    hub = FakeHub(HUB_PORT)
    log = open(os.path.join(TMP, "exporter.log"), "w")
    exp = subprocess.Popen([EXPORTER, "-c", conf], stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        tcp = []
        for i in range(MAX_BOARDS):
            desc = hub.wait_place("vb%d" % i, 30)[1]
            tcp.append(desc["parts"][0]["tcp"])
        for _ in range(RUNS):
            t = time.monotonic()
            hub.set_allowed_ips("vb0", ["127.0.0.1"])
            con = Console(PORTS[0], tcp[0]["console"]["port"])
            if con.prompt():
                out("virtual_reserve_prompt", time.monotonic() - t, "s")
                rss = qemu_rss(ovl)
                if rss:
                    out("virtual_rss", rss, "MiB")
            pwr = Console(PORTS[0], tcp[0]["power"]["port"])
            t = time.monotonic()
            pwr.s.sendall(b"CYCLE\n")
            if con.prompt():
                out("virtual_cycle_prompt", time.monotonic() - t, "s")
            con.s.close()
            pwr.s.close()
            hub.set_allowed_ips("vb0", [])
            time.sleep(1)
        best = 0
        for n in range(1, MAX_BOARDS + 1):
            cons = []
            for i in range(n):
                hub.set_allowed_ips("vb%d" % i, ["127.0.0.1"])
                cons.append(Console(PORTS[i], tcp[i]["console"]["port"]))
            if not all(c.prompt(300) for c in cons):
                print("# %d boards: not all reached a prompt" % n)
                break
            medians = [statistics.median(c.echo_rtt() for _ in range(7))
                       for c in cons]
            worst = max(medians) * 1000
            out("virtual_echo_%d" % n, worst, "ms")
            if worst < 100:
                best = n
            for i, c in enumerate(cons):
                c.s.close()
                hub.set_allowed_ips("vb%d" % i, [])
            time.sleep(2)
        out("virtual_boards_100ms", best, "boards")
    finally:
        sigterm(exp, 20)
        hub.stop()


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
