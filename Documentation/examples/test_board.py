# SPDX-License-Identifier: GPL-2.0
"""test_board.py - an example board test with nmb's pytest plugin.

    pytest --nmb-place demo test_board.py

The plugin reserves and attaches the place of import description "demo"
once for the session (the nmb_place fixture) and returns it when the
session ends, even when a test fails or the run is interrupted. The
description names the board's serial console "board.serial" (a USB
serial device) and its power switch "power.scpi" (a TCP port speaking
SCPI), as the demo farm's does (selftests/demo/demo.yaml).
"""

from nmb.power import SCPI
from nmb.serial import Console

SERIAL = "board.serial"
POWER = "power.scpi"


def login_and_uname(place):
    """Waits for the login prompt, logs in, runs uname -a."""
    with Console(place.tty(SERIAL), baud=115200, timeout=60) as console:
        console.login(user="root")
        return console.run("uname -a")


def test_login_power_cycle_login(nmb_place):
    assert "Linux" in login_and_uname(nmb_place)

    power = SCPI(*nmb_place.tcp(POWER))
    power.off()
    assert power.state() is False
    nmb_place.wait_down(SERIAL)         # the board's USB device is gone
    power.on()
    nmb_place.wait_up(SERIAL, timeout=120)  # back, on the same local port

    assert "Linux" in login_and_uname(nmb_place)
