# SPDX-License-Identifier: GPL-2.0
# test_farm.py - the pytest plugin and the package against the demo farm
# in the QEMU guest (selftests/python/run-guest.sh starts it): log into the
# board's console through the nmb_place fixture, toggle DTR on the
# attached ttyACM and see SET_CONTROL_LINE_STATE on the exporter's USB bus
# (usbmon), power-cycle the board through the forwarded SCPI switch.
#
# Environment: NMB_USBMON (usbmon's text file of the board's bus),
# NMB_FIGURES (a file that gets the measured times, for the suite's log).

import os
import re
import threading
import time

from nmb.power import SCPI
from nmb.serial import Console

SERIAL = "board.serial"
POWER = "power.scpi"


def figure(text):
    with open(os.environ["NMB_FIGURES"], "a") as f:
        f.write(text + "\n")


def test_first_prompt_through_the_fixture(request):
    t0 = time.monotonic()
    place = request.getfixturevalue("nmb_place")
    t1 = time.monotonic()
    with Console(place.tty(SERIAL), timeout=60) as con:
        con.login()
        t2 = time.monotonic()
        assert "boot #1" in con.transcript.decode(errors="replace")
    figure("fixture (reserve + attach): %.2f s; first prompt: %.2f s"
           % (t1 - t0, t2 - t0))


class Usbmon:
    """Collects usbmon's text lines of one bus from a thread."""

    def __init__(self, path):
        self.f = open(path, "rb", buffering=0)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            data = self.f.read(65536)
            if not data:
                return
            self.lines += data.decode(errors="replace").splitlines()

    def control(self, value, since=0, timeout=10):
        """Waits for a SET_CONTROL_LINE_STATE (class request 0x22 to the
        interface, 0x21) with wValue value; returns its line index."""
        pat = re.compile(r" S Co:\S+ s 21 22 %04x " % value)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines[since:], since):
                if pat.search(line):
                    return i
            time.sleep(0.05)
        raise AssertionError("no SET_CONTROL_LINE_STATE %04x on the bus; "
                             "saw: %s" % (value, self.lines[-10:]))


def test_dtr_reaches_the_board(nmb_place):
    mon = Usbmon(os.environ["NMB_USBMON"])
    with Console(nmb_place.tty(SERIAL), timeout=30) as con:
        con.login()
        assert con.modem_lines()["dtr"] and con.rts
        start = len(mon.lines)
        con.dtr = False                         # TIOCMBIC
        assert con.modem_lines()["dtr"] is False  # TIOCMGET
        off = mon.control(0x0002, start)        # RTS still up, DTR down
        con.dtr = True                          # TIOCMBIS
        assert con.dtr is True
        on = mon.control(0x0003, off)
        assert on > off
        con.pulse("rts", 0.05)
        mon.control(0x0001, on)
        # the console still works
        assert "Linux demo" in con.run("uname -a")


def test_power_cycle(nmb_place):
    before = nmb_place["board.serial"]
    power = SCPI(*nmb_place.tcp(POWER))
    assert "fake power switch" in power.identify()
    power.off()
    assert power.state() is False
    nmb_place.wait_down(SERIAL)
    power.on()
    assert power.state() is True
    after = nmb_place.wait_up(SERIAL, timeout=90)
    assert (after.port, after.busid) == (before.port, before.busid)
    with Console(nmb_place.tty(SERIAL), timeout=60) as con:
        con.login()
        assert "boot #2" in con.run("uptime")
