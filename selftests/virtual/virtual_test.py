#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# virtual_test.py - host TAP tests of virtual places: nmb-exporter boots
# an emulated Raspberry Pi 3B (QEMU, TCG) from the guest of assets.sh and
# serves its console, gpio and power through the place's CONNECT proxy,
# against a fake hub. One board is booted and reused for the login, GPIO
# and power tests; the overlay test boots the next holder's board. Last,
# the same exporter against a real nmb-server and nmb-agent: nmbctl
# status shows the board's power and why QEMU stopped (no boot needed).
#
# Usage: virtual_test.py EXPORTER_BINARY ASSETS_DIR

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "exporter"))
from fake_hub import FakeHub  # noqa: E402
import nmbtest  # noqa: E402
from nmbtest import (agent_api_schemas, diag, free_port,  # noqa: E402
                     no_sanitizer_report, ok, sigterm, summary, wait)

EXPORTER, ASSETS = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nmb-virtual-test-")
OVL = os.path.join(TMP, "overlays")
os.mkdir(OVL)
HUB_PORT = free_port()
PLACE_PORT = free_port()
PLACE2_PORT = free_port()
BOOT_TIMEOUT = 120


def conf(extra="", kernel=None, place2=""):
    return f"""\
server: ws://127.0.0.1:{HUB_PORT}
places:
  - name: pi
    port: {PLACE_PORT}
    parts:
      - compatible: [raspberry-pi]
        virtual:
          kernel: {kernel or ASSETS + "/vmlinuz"}
          dtb: {ASSETS}/bcm2837-rpi-3-b.dtb
          initrd: {ASSETS}/initramfs.gz
          disk: {ASSETS}/disk.img
          overlay_dir: {OVL}
{extra}{place2}"""


def write_conf(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_check(text, env=None):
    path = write_conf("check.yaml", text)
    r = subprocess.run([EXPORTER, "--check", "-c", path], env=env,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr, path


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid) as f:
        return f.read().replace("\0", " ")


def qemu_pids(where=None):
    """QEMUs with an overlay in where (default: place pi's overlay_dir)."""
    r = subprocess.run(["pgrep", "-f", "qemu-system-aarch64.*" +
                        (where or OVL)],
                       capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


# --- the proxy's tunnels ----------------------------------------------------

def tunnel(port, target_port, src="127.0.0.1"):
    """CONNECT through the place's proxy; (status, socket)."""
    status, s, _ = nmbtest.proxy_connect(port, "127.0.0.1:%d" % target_port,
                                         src=src)
    return status, s


class Line:
    """A tunnel read as text, with expect()."""

    def __init__(self, sock):
        self.s = sock
        self.buf = ""
        self.all = ""       # everything received

    def send(self, text):
        self.s.sendall(text.encode())

    def expect(self, pattern, timeout=BOOT_TIMEOUT):
        end = time.time() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = end - time.time()
            if left <= 0:
                diag("expected %r; last output: %r" %
                     (pattern, self.buf[-300:]))
                return None
            self.s.settimeout(min(left, 1))
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not b:
                diag("tunnel closed while expecting %r" % pattern)
                return None
            self.buf += b.decode(errors="replace")
            self.all += b.decode(errors="replace")

    def ask(self, cmd, pattern, timeout=30):
        self.send(cmd + "\n")
        return self.expect(pattern, timeout)

    def close(self):
        self.s.close()


def iface_ports(hub, name):
    desc = hub.wait_place(name, 30)[1]
    tcp = {}
    for part in desc["parts"]:
        tcp.update(part["tcp"])
    return tcp


def open_iface(tcp, name, port=PLACE_PORT, src="127.0.0.1"):
    status, s = tunnel(port, tcp[name]["port"], src)
    return status, Line(s)


def shell(console):
    """Waits for the board's shell on the console; True once it answers."""
    if not console.expect(r"init done"):
        return False
    for _ in range(12):
        console.send("\n")
        if console.expect(r"rpi:/# ", 5):
            return True
    return False


def gpio_set(gpio, pin, val):
    """SET, confirmed by the shim; the mini UART may lose a first line
    sent while the board's tty was being set up, so it is sent again
    every 3 s, for up to 30 s (a confirmation takes well under 1 s)."""
    for _ in range(10):
        if gpio.ask("SET %d %d" % (pin, val), r"GPIO %d %d\r?\n" %
                    (pin, val), 3):
            return True
    return False


def marks(console):
    """How many times the mark is on the SD card's first block."""
    m = console.ask("while [ ! -b /dev/mmcblk0 ]; do sleep 1; done; "
                    "dd if=/dev/mmcblk0 bs=512 count=1 2>/dev/null | "
                    "tr -d '\\000' | grep -c nmb-mark-1", r"\n(\d+)\r?\n",
                    30)
    return int(m.group(1)) if m else -1


# --- bad configurations: --check and start ----------------------------------

def test_check():
    rc, out, _ = run_check(conf())
    ok(rc == 0, "--check accepts the example board")
    rc, out, path = run_check(conf(kernel=TMP + "/no-vmlinuz"))
    ok(rc == 1 and re.search(re.escape(path) + r":\d+: key "
                             r"'places\[0\]\.parts\[0\]\.virtual\.kernel'.*"
                             r"no-vmlinuz: No such file", out) is not None,
       "--check: missing kernel named as FILE:LINE: key with the file")
    rc, out, path = run_check(conf().replace("initramfs.gz", "nope.gz"))
    ok(rc == 1 and "virtual.initrd'" in out and "nope.gz" in out,
       "--check: missing initrd named")
    rc, out, path = run_check(conf().replace("disk.img", "nodisk.img"))
    ok(rc == 1 and "virtual.disk'" in out and "nodisk.img" in out,
       "--check: missing disk named")
    rc, out, path = run_check(conf("          machine: pc\n"
                                   "          qemu_args: [-nic, user]\n"
                                   "          cpu_count: 2\n"))
    ok(rc == 1 and "virtual.machine'" in out and "cpu_count" in out and
       "'-nic' is set by the exporter" in out,
       "--check: bad machine, qemu_args and unknown key")
    rc, out, path = run_check(conf("          memory: 2G\n"))
    ok(rc == 1 and "virtual.memory': raspi3b has exactly 1G" in out,
       "--check: raspi3b memory other than 1G")
    rc, out, path = run_check(conf().replace(ASSETS + "/vmlinuz",
                                             os.path.relpath(
                                                 ASSETS + "/vmlinuz", TMP)))
    ok(rc == 0, "--check: a relative path is taken from the file's folder")
    rc, out, path = run_check(conf(), env={"PATH": TMP})
    ok(rc == 1 and "apt-get install qemu-system-arm" in out and
       "apt-get install qemu-utils" in out,
       "--check: missing QEMU names its Debian packages")
    path = write_conf("start.yaml", conf(kernel=TMP + "/gone"))
    r = subprocess.run([EXPORTER, "-c", path], capture_output=True,
                       text=True, timeout=60)
    ok(r.returncode == 1 and "gone: No such file" in r.stderr,
       "start: missing kernel reported, nothing started")


# --- the running board --------------------------------------------------------

def start_exporter(path, log):
    return subprocess.Popen([EXPORTER, "-v", "-c", path], stdout=log,
                            stderr=subprocess.STDOUT)


# --- nmbctl status through nmb-server and nmb-agent -------------------------

BIN = os.path.dirname(os.path.abspath(EXPORTER))


def nmbctl(sock, *args):
    r = subprocess.run([os.path.join(BIN, "nmbctl"), "-s", sock, *args],
                       cwd=TMP, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def power_rows(sock):
    """nmbctl status --json: the interfaces' (power, reason, since)."""
    rc, out = nmbctl(sock, "--json", "status")
    try:
        st = json.loads(out) if rc == 0 else []
    except ValueError:
        diag("nmbctl status --json: %r" % out)
        return []
    return [(e["power"], e["power_reason"], e["power_since"]) for e in st]


def power_is(sock, power, reason=None):
    rows = power_rows(sock)
    return rows and all(r[0] == power and (reason is None or
                                           re.match(reason, r[1] or ""))
                        for r in rows)


def run_stack(path, log):
    """QEMU dies during a reservation held through nmb-server."""
    t0 = time.monotonic()
    srv_port = free_port()
    sock = os.path.join(TMP, "agent.sock")
    os.makedirs(os.path.join(TMP, ".nmb"))
    with open(os.path.join(TMP, ".nmb", "vpi.yaml"), "w") as f:
        f.write("parts:\n  board:\n    compatible: [raspberry-pi]\n"
                "    tcp:\n      console: {local_port: %d}\n"
                "      power: {local_port: %d}\n" % (free_port(),
                                                       free_port()))
    url = "ws://127.0.0.1:%d" % srv_port
    procs = []
    logs = {n: open(os.path.join(TMP, n + ".log"), "w+")
            for n in ("nmb-server", "nmb-agent")}
    try:
        procs.append(subprocess.Popen(
            [os.path.join(BIN, "nmb-server"), "--listen",
             "127.0.0.1:%d" % srv_port], stdout=logs["nmb-server"],
            stderr=subprocess.STDOUT))
        time.sleep(0.5)
        procs.append(subprocess.Popen(
            [EXPORTER, "-v", "-c", path, "--server", url], stdout=log,
            stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            [os.path.join(BIN, "nmb-agent"), "-v", "-c", "/dev/null",
             "--server", url, "--socket", sock], stdout=logs["nmb-agent"],
            stderr=subprocess.STDOUT))
        # attach reserves; it fails until the exporter has registered pi
        ok(wait(lambda: nmbctl(sock, "attach", "vpi@pi")[0] == 0, 30,
                0.5) and wait(lambda: power_is(sock, "on"), 30),
           "stack: attach through nmb-server; status shows power on")
        schema = agent_api_schemas()["interface-status"]
        rc, out = nmbctl(sock, "--json", "status")
        st = json.loads(out) if rc == 0 else []
        errs = [x.message for e in st for x in schema.iter_errors(e)]
        ok(len(st) == 2 and not errs and
           all(abs(e["power_since"] - time.time()) < 120 for e in st),
           "stack: status --json matches agent-api.rst's schema, with "
           "power_since") or diag("%s %s" % (out, errs))
        pids = qemu_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        ok(len(pids) == 1 and
           wait(lambda: power_is(sock, "off", r"QEMU killed by signal 9"),
                15),
           "stack: QEMU killed: status --json says power off, "
           "killed by signal 9") or diag(str(power_rows(sock)))
        rc, out = nmbctl(sock, "status")
        lines = out.splitlines()
        ok(rc == 0 and lines[0].split()[-1] == "POWER" and
           len(lines) == 3 and
           all(re.search(r" off since \d\d:\d\d:\d\d: QEMU killed by "
                         r"signal 9 \(Killed\)$", ln) for ln in lines[1:]),
           "stack: nmbctl status shows power off and the exit reason") or \
            diag(out)
        rc, out = nmbctl(sock, "list")
        ok(rc == 0 and re.search(r"vpi\s+pi\s+attached", out) is not None,
           "stack: the holder keeps the reservation") or diag(out)
        pwr = socket.create_connection(
            ("127.0.0.1", int(re.search(r"power: \{local_port: (\d+)",
                                        open(os.path.join(
                                            TMP, ".nmb", "vpi.yaml")
                                        ).read()).group(1))), 10)
        pwr = Line(pwr)
        pwr.send("OUTP ON\n")
        ok(wait(lambda: len(qemu_pids()) == 1 and
                qemu_pids() != pids, 15) and
           wait(lambda: power_is(sock, "on"), 30) and
           pwr.ask("STAT?", r"on: QEMU running, boot 2,") is not None,
           "stack: power on through the agent starts a new QEMU; "
           "status says on again") or diag(str(power_rows(sock)))
        pwr.close()
        exp = procs[1]
        ok(sigterm(exp, 20) == 0 and wait(lambda: qemu_pids() == [], 15),
           "stack: SIGTERM of the exporter while the board is held: "
           "exit 0, QEMU gone")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                sigterm(p, 20)
        for n, f in logs.items():
            no_sanitizer_report(f, "stack: no sanitizer report of " + n)
        diag("nmb-server + nmb-agent part: %.1f s" % (time.monotonic() - t0))


def main():
    test_check()
    hub = FakeHub(HUB_PORT)
    full = os.path.join(TMP, "full")
    os.mkdir(full)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m",
                              "nmb-test", full]).returncode == 0
    place2 = f"""\
  - name: pi-full
    port: {PLACE2_PORT}
    parts:
      - compatible: [raspberry-pi]
        virtual:
          kernel: {ASSETS}/vmlinuz
          dtb: {ASSETS}/bcm2837-rpi-3-b.dtb
          initrd: {ASSETS}/initramfs.gz
          disk: {ASSETS}/disk.img
          overlay_dir: {full}
          ssh: true
"""
    path = write_conf("exporter.yaml", conf(place2=place2))
    stale = os.path.join(OVL, "nmb-overlay-pi.0.qcow2")
    open(stale, "w").write("left by a dead run")
    log = open(os.path.join(TMP, "exporter.log"), "w+")
    exp = start_exporter(path, log)
    try:
        run_board(hub, exp, log, mounted, full, path)
        run_stack(path, log)
    finally:
        if exp.poll() is None:
            sigterm(exp, 20)
        for pid in qemu_pids():
            os.kill(pid, signal.SIGKILL)
        if mounted:
            subprocess.run(["umount", full])
        hub.stop()
    text = no_sanitizer_report(log)
    if tap_failed():
        diag("exporter log:\n" + text[-4000:])


def tap_failed():
    return nmbtest.tap.n_fail > 0


def run_board(hub, exp, log, mounted, full, path):
    tcp = iface_ports(hub, "pi")
    ok(all(tcp[n]["host"] == "127.0.0.1" and tcp[n]["port"] > 0
           for n in ("console", "gpio", "power")) and "ssh" not in tcp,
       "register_place lists console, gpio, power on 127.0.0.1")
    ok(not os.path.exists(os.path.join(OVL, "nmb-overlay-pi.0.qcow2")),
       "a stale overlay is removed at start")
    ok(qemu_pids() == [], "no QEMU before a reservation")
    # nothing on a wildcard address: every listener of the exporter
    r = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True)
    mine = [ln.split()[3] for ln in r.stdout.splitlines()
            if "pid=%d," % exp.pid in ln]
    ports = {tcp[n]["port"] for n in tcp}
    ok(mine and all(a.startswith("127.0.0.1:") for a in mine
                    if int(a.rsplit(":", 1)[1]) in ports),
       "board endpoints listen on 127.0.0.1 only")

    hub.set_allowed_ips("pi", ["127.0.0.1"])
    ok(wait(lambda: len(qemu_pids()) == 1, 10), "grant powers the board on")
    ok(os.path.exists(os.path.join(OVL, "nmb-overlay-pi.0.qcow2")),
       "grant made a fresh overlay")
    status, _ = open_iface(tcp, "console", src="127.0.0.2")
    ok(status == 403, "holder-only: a foreign IP gets 403 on the console")
    status, con = open_iface(tcp, "console")
    ok(status == 200 and con.expect(r"Machine model: Raspberry Pi 3 Model B",
                                    60) is not None,
       "console through the proxy shows the Pi's Linux boot")
    ok(shell(con) and con.ask("uname -m", r"aarch64") is not None,
       "console login: uname -m answers aarch64")

    # GPIO round trip, both ways
    status, gpio = open_iface(tcp, "gpio")
    ok(status == 200 and gpio_set(gpio, 17, 1) and
       con.ask("gpio 17", r"\n1\r?\n") is not None,
       "gpio: SET 17 1 confirmed and read on the board")
    con.send("gpio 4 1\n")
    ok(gpio.expect(r"GPIO 4 1\r?\n", 10) is not None,
       "gpio: the board's pin change reaches the host")
    ok(gpio.ask("SET 99 1", r"ERR [^\n]*\n") is not None and
       gpio.ask("\x01\x02garbage", r"ERR [^\n]*\n") is not None and
       gpio.ask("A" * 5000, r"ERR line too long") is not None and
       gpio.ask("SET 17 0", r"GPIO 17 0\r?\n") is not None,
       "gpio: garbage gets an error line, the shim carries on")

    # a mark on the holder's disk
    ok(con.ask("echo nmb-mark-1 | dd of=/dev/mmcblk0 bs=512 count=1 "
               "conv=sync 2>/dev/null; sync; echo written",
               r"\nwritten") is not None and marks(con) == 1,
       "wrote a mark on the SD card")

    status, pwr = open_iface(tcp, "power")
    ok(status == 200 and pwr.ask("OUTP?", r"^1\r?\n") is not None and
       pwr.ask("*IDN?", r"nmb,virtual raspi3b") is not None,
       "power: OUTP? says 1 while the board runs")
    ok(pwr.ask("OUTP FOO", r"ERR unknown command") is not None and
       pwr.ask("OUTP?", r"1\r?\n") is not None,
       "power: garbage gets an error line, the board keeps running")
    old = qemu_pids()
    pwr.send("OUTP OFF\n")
    ok(wait(lambda: qemu_pids() == [], 10) and
       wait(lambda: pwr.ask("STAT?", r"(.*)\n").group(1).startswith("off"),
            10) and
       pwr.ask("OUTP?", r"0\r?\n") is not None and
       pwr.ask("STAT?", r"off: QEMU exited with status 0 after "
               r"host-qmp-quit") is not None,
       "power: OUTP OFF quits QEMU over QMP")
    pwr.send("OUTP ON\n")
    ok(wait(lambda: len(qemu_pids()) == 1, 10) and qemu_pids() != old and
       pwr.ask("OUTP?", r"1\r?\n") is not None, "power: OUTP ON boots again")
    ok(shell(con) and marks(con) == 1,
       "power cycle keeps the holder's disk within the reservation")
    ok("hello" in hub.methods and "part_state" not in hub.methods,
       "a hub whose hello fails (not-my-board) is told no part_state")
    ok(pwr.ask("STAT?", r"on: QEMU running, boot \d+, 0 reset\(s\)")
       is not None, "power: STAT? shows QMP's run state")
    pwr.send("RESET\n")
    ok(wait(lambda: pwr.ask("STAT?", r"(.*)\n").group(1).endswith(
        ", 1 reset(s)"), 20),
       "power: RESET is a QMP system_reset (its RESET event seen)")
    old = qemu_pids()
    pwr.send("CYCLE\n")
    ok(wait(lambda: len(qemu_pids()) == 1 and qemu_pids() != old, 15) and
       con.expect(r"Booting Linux", 60) is not None,
       "power: CYCLE starts a new QEMU")

    # QEMU dies during the reservation
    os.kill(qemu_pids()[0], signal.SIGKILL)
    wait(lambda: pwr.ask("STAT?", r"(.*)\n").group(1).startswith("off"), 10)
    ok(pwr.ask("STAT?", r"off: QEMU killed by signal 9") is not None and
       pwr.ask("OUTP?", r"0\r?\n") is not None,
       "QEMU killed: the power state and the exit reason are shown")
    st, probe = open_iface(tcp, "power")
    ok(st == 200, "QEMU killed: the holder keeps the reservation")
    probe.close()
    pwr.send("OUTP ON\n")
    ok(wait(lambda: len(qemu_pids()) == 1, 10) and
       con.expect(r"Booting Linux", 60) is not None,
       "QEMU killed: the next power-on starts afresh")

    # return, then the next holder
    for x in (con, gpio, pwr):
        x.close()
    hub.set_allowed_ips("pi", [])
    ok(wait(lambda: qemu_pids() == [], 10) and
       not os.path.exists(os.path.join(OVL, "nmb-overlay-pi.0.qcow2")),
       "return powers off and discards the overlay")
    hub.set_allowed_ips("pi", ["127.0.0.1"])
    status, con = open_iface(tcp, "console")
    ok(status == 200 and shell(con) and marks(con) == 0,
       "overlay freshness: the next holder does not see the mark")

    # a return and a grant at once: the old board's output stays with it,
    # even while its QEMU is still going (stopped here: killed after 3 s)
    con.close()
    stuck = qemu_pids()
    for pid in stuck:
        os.kill(pid, signal.SIGSTOP)
    hub.set_allowed_ips("pi", [])
    hub.set_allowed_ips("pi", ["127.0.0.1"])
    status, con = open_iface(tcp, "console")
    con.expect(r"never printed", 3)
    ok(status == 200 and "nmb-mark-1" not in con.all,
       "the next holder's console shows nothing of the last one's")
    con.close()
    for pid in stuck:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    # overlay directory full, then read-only
    if mounted:
        tcp2 = iface_ports(hub, "pi-full")
        with open(os.path.join(full, "filler"), "wb") as f:
            try:
                f.write(b"x" * (1 << 20))
            except OSError:
                pass
        hub.set_allowed_ips("pi-full", ["127.0.0.1"])
        st, p2 = open_iface(tcp2, "power", port=PLACE2_PORT)
        ok(st == 200 and p2.ask("OUTP?", r"0\r?\n") is not None and
           p2.ask("OUTP ON", r"ERR [^\n]*(No space|space)") is not None,
           "overlay dir full: the place reports the error, stays reserved")
        os.unlink(os.path.join(full, "filler"))
        subprocess.run(["mount", "-o", "remount,ro", full])
        ok(p2.ask("OUTP ON", r"ERR [^\n]*[Rr]ead-only") is not None,
           "overlay dir read-only: the error is reported")
        subprocess.run(["mount", "-o", "remount,rw", full])
        p2.send("OUTP ON\n")
        ok(p2.ask("OUTP?", r"1\r?\n") is not None,
           "fixed: the same reservation powers on")
        ssh = tcp2.get("ssh", {})
        lines = [cmdline(pid) for pid in qemu_pids(TMP)]
        ok(ssh.get("host") == "127.0.0.1" and
           any("user,hostfwd=tcp:127.0.0.1:%d-:22" % ssh.get("port", 0)
               in ln for ln in lines) and
           any("-nic none" in ln for ln in lines),
           "ssh: true forwards guest port 22 from 127.0.0.1 only; "
           "otherwise -nic none")
        p2.send("OUTP OFF\n")
        p2.close()
        hub.set_allowed_ips("pi-full", [])
    else:
        for name in ("overlay dir full", "overlay dir read-only", "fixed"):
            ok(True, name + " # SKIP cannot mount a tmpfs here")

    # kill -9 of the exporter: no orphan, the overlay is cleaned next time
    ok(wait(lambda: len(qemu_pids()) == 1, 10), "one board running")
    exp.send_signal(signal.SIGKILL)
    exp.wait()
    ok(wait(lambda: qemu_pids() == [], 10),
       "kill -9 of the exporter leaves no QEMU (PR_SET_PDEATHSIG)")
    ok(os.path.exists(os.path.join(OVL, "nmb-overlay-pi.0.qcow2")),
       "the dead run's overlay is still there")
    exp2 = start_exporter(path, log)
    iface_ports_ok = wait(lambda: hub.wait_place("pi", 1) is not None and
                          not os.path.exists(os.path.join(
                              OVL, "nmb-overlay-pi.0.qcow2")), 30)
    ok(iface_ports_ok, "restart removes the dead run's overlay")
    sigterm(exp2, 20)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(summary())
