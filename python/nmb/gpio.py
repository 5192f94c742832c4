# SPDX-License-Identifier: GPL-2.0
"""nmb.gpio - a virtual board's GPIO shim, a line protocol on a TCP port:
the host sends "SET <bcm_pin> <0|1>\\n", the board reports
"GPIO <bcm_pin> <0|1>\\n" whenever a pin changes or is read.

    with Shim(*place.tcp("board.gpio")) as gpio:
        gpio.set(17, 1)
        gpio.wait(17, 1)
"""

import re
import select
import socket
import time

from . import errors

LINE_MAX = 4096
REPORT = re.compile(rb"GPIO (\d+) ([01])")


class Shim:
    """The shim at (host, port); one connection for its lifetime."""

    def __init__(self, host, port, timeout=10):
        self.name = "GPIO shim %s:%s" % (host, port)
        self.timeout = timeout
        self.pins = {}          # last reported value of each pin
        self.errors = []        # lines the shim sent that are no report
        self.buf = b""
        try:
            self.sock = socket.create_connection((host, int(port)),
                                                 timeout)
        except OSError as e:
            raise errors.Unavailable("%s: cannot connect: %s; is the "
                                     "place attached?"
                                     % (self.name, e.strerror or e))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def set(self, pin, value):
        """Drives pin (BCM number) to value (0 or 1)."""
        if not isinstance(pin, int) or pin < 0 or value not in (0, 1,
                                                                 True,
                                                                 False):
            raise errors.UsageError("%s: set(%r, %r): pin is a BCM number, "
                                    "value 0 or 1" % (self.name, pin,
                                                      value))
        try:
            self.sock.sendall(b"SET %d %d\n" % (pin, int(value)))
        except OSError as e:
            raise errors.ConsoleClosed("%s: %s" % (self.name, e.strerror))

    def poll(self, timeout=0):
        """Reads the reports that arrive within timeout seconds."""
        r, _, _ = select.select([self.sock], [], [], max(0, timeout))
        if not r:
            return
        data = self.sock.recv(65536)
        if not data:
            raise errors.ConsoleClosed("%s: the exporter closed the port"
                                       % self.name)
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            m = REPORT.fullmatch(line.strip())
            if m:
                self.pins[int(m.group(1))] = int(m.group(2))
            elif line.strip():
                self.errors.append(line.decode(errors="replace"))
        if len(self.buf) > LINE_MAX:
            self.buf = b""

    def get(self, pin, timeout=None):
        """The last reported value of pin, waiting up to timeout seconds
        for a first report."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.poll()
        while pin not in self.pins:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.Timeout("%s: no report of pin %d within %g s"
                                     % (self.name, pin, timeout))
            self.poll(left)
        return self.pins[pin]

    def wait(self, pin, value, timeout=None):
        """Waits until the shim reports pin at value."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.poll()
        while self.pins.get(pin) != value:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.Timeout("%s: pin %d not %d within %g s (last "
                                     "report: %s)" % (self.name, pin, value,
                                                      timeout,
                                                      self.pins.get(pin)))
            self.poll(left)
