#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# demo.py - the virtual place part of `make demo`, on the host (no nested
# emulation): nmb-server, an nmb-exporter whose place "virtual-pi" is an
# emulated Raspberry Pi 3B, and an nmb-agent, all on loopback. It narrates:
# nmbctl attach and status, the Pi's Linux boot on the console through
# nmb, uname -m, a GPIO pin set and read back both ways, a power cycle,
# and a file written in one reservation and gone in the next.
#
# Usage: demo.py BUILD_DIR ASSETS_DIR

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmbtest import free_port, sigterm, wait  # noqa: E402

BUILD, ASSETS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="nmb-virtual-demo-")
SRV, PLACE = free_port(), free_port()
CON, GPIO, PWR = free_port(), free_port(), free_port()
SOCK = os.path.join(TMP, "agent.sock")
failed = 0


def say(text):
    print("\n\033[1m==> %s\033[0m" % text, flush=True)


def check(cond, what):
    global failed
    print("    %s %s" % ("ok:" if cond else "FAILED:", what), flush=True)
    failed += not cond
    return cond


def nmbctl(*args):
    print("    $ nmbctl " + " ".join(args), flush=True)
    r = subprocess.run([os.path.join(BUILD, "nmbctl"), "-s", SOCK, *args],
                       cwd=TMP, capture_output=True, text=True, timeout=120)
    for line in (r.stdout + r.stderr).splitlines():
        print("    " + line)
    return r.returncode == 0


class Port:
    """A forwarded localhost port, printing what the board says."""

    def __init__(self, port, show=True):
        self.s = socket.create_connection(("127.0.0.1", port), 10)
        self.buf = ""
        self.show = show

    def expect(self, pattern, timeout=180):
        end = time.time() + timeout
        while not re.search(pattern, self.buf):
            if time.time() > end:
                return None
            self.s.settimeout(1)
            try:
                b = self.s.recv(65536).decode(errors="replace")
            except socket.timeout:
                continue
            if not b:
                return None
            if self.show:
                sys.stdout.write(b.replace("\x1b[6n", ""))
                sys.stdout.flush()
            self.buf += b
        m = re.search(pattern, self.buf)
        self.buf = self.buf[m.end():]
        return m

    def cmd(self, text, pattern, timeout=60):
        self.s.sendall(text.encode() + b"\n")
        return self.expect(pattern, timeout)

    def shell(self):
        if not self.expect(r"init done"):
            return False
        for _ in range(20):	# until the shell answers what is typed
            self.s.sendall(b"echo sh-$((6*7))\n")
            if self.expect(r"sh-42", 5):
                self.expect(r"rpi:/# ", 5)
                return True
        return False


def daemon(name, args):
    log = open(os.path.join(TMP, name + ".log"), "w")
    return subprocess.Popen([os.path.join(BUILD, name)] + args, stdout=log,
                            stderr=subprocess.STDOUT)


def write(name, text):
    path = os.path.join(TMP, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    write("server.yaml", f'listen: ["127.0.0.1:{SRV}"]\n')
    write("agent.yaml", f"server: ws://127.0.0.1:{SRV}\n")
    write("exporter.yaml", f"""\
server: ws://127.0.0.1:{SRV}
places:
  - name: virtual-pi
    port: {PLACE}
    parts:
      - compatible: [raspberry-pi, virtual]
        virtual:
          kernel: {ASSETS}/vmlinuz
          dtb: {ASSETS}/bcm2837-rpi-3-b.dtb
          initrd: {ASSETS}/initramfs.gz
          disk: {ASSETS}/disk.img
          overlay_dir: {TMP}
""")
    write(".nmb/pi.yaml", f"""\
parts:
  pi:
    compatible: [raspberry-pi]
    tcp:
      console: {{local_port: {CON}}}
      gpio: {{local_port: {GPIO}}}
      power: {{local_port: {PWR}}}
""")
    say("starting nmb-server, nmb-exporter (place virtual-pi: an emulated "
        "Raspberry Pi 3B in QEMU) and nmb-agent on 127.0.0.1")
    procs = [daemon("nmb-server", ["-c", TMP + "/server.yaml"])]
    time.sleep(1)
    procs.append(daemon("nmb-exporter", ["-c", TMP + "/exporter.yaml"]))
    procs.append(daemon("nmb-agent", ["-c", TMP + "/agent.yaml",
                                      "--socket", SOCK]))
    try:
        wait(lambda: os.path.exists(SOCK), 10)
        wait(lambda: subprocess.run(
            [os.path.join(BUILD, "nmbctl"), "-s", SOCK, "search"],
            capture_output=True, text=True).stdout.count("virtual-pi"), 20)
        run(procs)
    finally:
        for p in reversed(procs):
            sigterm(p, 20)
    print("\nvirtual place demo: %s" % ("done" if not failed else
                                       "%d step(s) FAILED (logs in %s)" %
                                       (failed, TMP)))
    return 1 if failed else 0


def run(procs):
    say("the import description .nmb/pi.yaml asks for a raspberry-pi with "
        "console, gpio and power: the same as for a real board")
    check(nmbctl("attach", "pi"), "attached: the exporter powered the "
          "board on from a fresh overlay")
    nmbctl("status")
    say("the console (localhost:%d): the Pi's Linux boot, through nmb" % CON)
    con = Port(CON)
    check(con.expect(r"Machine model: Raspberry Pi 3 Model B") is not None,
          "the kernel found a Raspberry Pi 3 Model B")
    check(con.shell(), "a shell on the console")
    check(con.cmd("uname -m", r"aarch64") is not None, "uname -m: aarch64")
    say("GPIO (localhost:%d): SET 17 1 from the host, read on the board; "
        "gpio 4 1 on the board, seen by the host" % GPIO)
    gpio = Port(GPIO, show=False)
    for _ in range(3):	# a first line may be lost while ttyS1 is set up
        gpio.s.sendall(b"SET 17 1\n")
        m = gpio.expect(r"GPIO 17 1", 10)
        if m:
            break
    print("    host <- %s" % (m.group(0) if m else "(nothing)"))
    check(m is not None and con.cmd("gpio 17", r"\n1\r?\n") is not None,
          "pin 17 is 1 on the board")
    con.s.sendall(b"gpio 4 1\n")
    m = gpio.expect(r"GPIO 4 1", 20)
    print("    host <- %s" % (m.group(0) if m else "(nothing)"))
    check(m is not None, "the host saw pin 4 go to 1")
    say("a file on the SD card, then a power cycle (localhost:%d: "
        "OUTP OFF, OUTP ON)" % PWR)
    con.cmd("echo hello-from-reservation-1 | dd of=/dev/mmcblk0 bs=512 "
            "count=1 conv=sync 2>/dev/null; sync; echo stored", r"\nstored")
    pwr = Port(PWR, show=False)
    pwr.s.sendall(b"OUTP OFF\n")
    time.sleep(2)
    m = pwr.cmd("OUTP?", r"[01]\r?\n", 10)
    print("    OUTP? -> %s" % (m.group(0).strip() if m else "?"))
    pwr.s.sendall(b"OUTP ON\n")
    check(con.expect(r"Booting Linux") is not None and con.shell(),
          "booted again after the power cycle")
    check(con.cmd("dd if=/dev/mmcblk0 bs=512 count=1 2>/dev/null | "
                  "tr -d '\\000'; echo", r"hello-from-reservation-1")
          is not None, "the file survived the power cycle (same holder)")
    for p in (con, gpio, pwr):
        p.s.close()
    say("return the place and take it again: the next holder gets a fresh "
        "overlay of the base image")
    check(nmbctl("detach", "pi"), "returned: the board is off, the overlay "
          "deleted")
    check(nmbctl("attach", "pi"), "attached again")
    con = Port(CON)
    check(con.shell(), "a shell on the new board")
    m = con.cmd("dd if=/dev/mmcblk0 bs=512 count=1 2>/dev/null | "
                "tr -d '\\000' | grep -c hello-from; echo end",
                r"\n(\d+)\r?\nend", 60)
    check(m is not None and m.group(1) == "0",
          "the file of the first reservation is gone")
    con.s.close()
    nmbctl("detach", "pi")


if __name__ == "__main__":
    sys.exit(main())
