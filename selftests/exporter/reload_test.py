#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# reload_test.py - host-side TAP tests of SIGHUP (exporter_reload): a
# place added registers, a place removed leaves the hub and its port, a
# changed place registers again with its new description, an unchanged
# place keeps its hub connection, its allow-list and an open tunnel, and
# a broken file changes nothing and names FILE:LINE.
#
# Usage: reload_test.py EXPORTER_BINARY

import os
import signal
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True     # no .pyc files next to the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_hub import FakeHub  # noqa: E402
import nmbtest  # noqa: E402
from nmbtest import free_port, ok, wait  # noqa: E402

EXPORTER = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="nmb-exporter-reload-")
HUB_PORT = free_port()
ECHO_PORT = free_port()
PORTS = {name: free_port() for name in ("kept", "changed", "changed2",
                                        "removed", "added")}
CONF = os.path.join(TMP, "exporter.yaml")


def place(name, port, usb=None):
    text = f"""\
  - name: {name}
    port: {port}
    parts:
      - compatible: [board]
        tcp:
          echo: {{host: 127.0.0.1, port: {ECHO_PORT}}}
"""
    if usb:
        text += f"""\
        usb:
          serial: {{usbid: "{usb}"}}
"""
    return text


def write_conf(*places):
    with open(CONF, "w") as f:
        f.write(f"server: ws://127.0.0.1:{HUB_PORT}\nplaces:\n" +
                "".join(places))


def tunnel(port):
    """A TCP tunnel to the echo server through the place on port."""
    status, s, _ = nmbtest.proxy_connect(port, "127.0.0.1:%d" % ECHO_PORT,
                                         timeout=5)
    if status != 200:
        s.close()
        return None
    return s


def echoes(s, data=b"ping"):
    try:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(len(data) - len(got))
            if not b:
                break
            got += b
        return got == data
    except OSError:
        return False


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def log_after(log, mark, text):
    """Waits until text shows in the log after offset mark."""
    def seen():
        log.seek(mark)
        return text in log.read()
    return wait(seen, 20)


def reload(proc, log, done="reloaded:"):
    log.seek(0, os.SEEK_END)
    mark = log.tell()
    proc.send_signal(signal.SIGHUP)
    return mark, log_after(log, mark, done)


def run(hub, proc, log):
    names = ("kept", "changed", "removed")
    if not ok(all(hub.wait_place(n, 15) for n in names),
              "three places registered"):
        return
    ws = {n: hub.places[n][0] for n in names}
    hub.set_allowed_ips("kept", ["127.0.0.1"])
    s = tunnel(PORTS["kept"])
    if not ok(s is not None and echoes(s), "tunnel through 'kept' open"):
        return

    # add, remove, change: one SIGHUP
    write_conf(place("kept", PORTS["kept"]),
               place("changed", PORTS["changed2"], usb="1-1"),
               place("added", PORTS["added"]))
    mark, done = reload(proc, log)
    ok(done, "SIGHUP: the exporter says it reloaded")
    log.seek(mark)
    text = log.read()
    ok("1 place(s) added, 1 changed, 1 removed, 1 unchanged" in text,
       "reload counts the places added, changed, removed, unchanged")
    ok(hub.wait_place("added", 15) is not None,
       "a place added registers at the hub")
    ok(wait(lambda: "removed" not in hub.places, 15),
       "a place removed leaves the hub")
    ok(refused(PORTS["removed"]), "a place removed no longer listens")
    new = hub.wait_place("changed", 15, not_ws=ws["changed"])
    ok(new is not None and new[1]["port"] == PORTS["changed2"] and
       new[1]["parts"][0]["usb"] == {"serial": {"usbid": "1-1"}},
       "a place changed registers again with its new description")
    ok(refused(PORTS["changed"]) and not refused(PORTS["changed2"]),
       "a place changed moved to its new port")
    ok(hub.places["kept"][0] is ws["kept"],
       "an unchanged place keeps its hub connection")
    ok(echoes(s, b"after reload"), "an unchanged place keeps its tunnel")
    s2 = tunnel(PORTS["kept"])
    ok(s2 is not None and echoes(s2),
       "an unchanged place keeps its allow-list")
    if s2:
        s2.close()

    # a broken file: nothing changes
    with open(CONF, "a") as f:
        f.write("  - name: broken\n    port: 0\n    parts: []\n")
    lines = open(CONF).read().count("\n")
    mark, done = reload(proc, log, "not reloaded")
    log.seek(mark)
    text = log.read()
    ok(done and "%s:%d:" % (CONF, lines - 1) in text,
       "a broken file: FILE:LINE: what, not reloaded")
    ok(all(n in hub.places for n in ("kept", "changed", "added")) and
       "broken" not in hub.places and hub.places["kept"][0] is ws["kept"],
       "a broken file changes no place")
    ok(echoes(s, b"after the broken file"),
       "a broken file leaves the tunnels alone")
    s.close()

    # back to one place: the others stop, the exporter still runs
    write_conf(place("kept", PORTS["kept"]))
    mark, done = reload(proc, log)
    ok(done and wait(lambda: set(hub.places) == {"kept"}, 15) and
       proc.poll() is None, "reload down to one place")


def main():
    print("TAP version 13", flush=True)
    nmbtest.echo_server(ECHO_PORT)
    write_conf(place("kept", PORTS["kept"]),
               place("changed", PORTS["changed"]),
               place("removed", PORTS["removed"], usb="1-2"))
    hub = FakeHub(HUB_PORT)
    log = open(os.path.join(TMP, "exporter.log"), "w+")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               STATE_DIRECTORY=TMP)
    proc = subprocess.Popen([EXPORTER, "-c", CONF, "-v",
                             "--test-without-nmb-watch"],
                            stderr=log, stdout=log, env=env)
    try:
        run(hub, proc, log)
    finally:
        nmbtest.stop_checked(proc, log,
                             "SIGTERM after reloads: clean exit, no leak")
        hub.stop()
    sys.exit(nmbtest.finish(TMP))


main()
