# SPDX-License-Identifier: GPL-2.0
"""nmb.power - a network power switch speaking the SCPI subset of the
demo's switch and of virtual boards' power port: "OUTP ON", "OUTP OFF",
"OUTP?" (answers 1 or 0), "*IDN?".

    power = SCPI(*place.tcp("power.scpi"))
    power.cycle()
"""

import socket
import time

from . import errors

LINE_MAX = 4096


class SCPI:
    """The switch at (host, port); one connection per call."""

    def __init__(self, host, port, timeout=15):
        self.host = host
        self.port = int(port)
        self.timeout = timeout

    @property
    def name(self):
        return "power switch %s:%d" % (self.host, self.port)

    def _session(self, commands):
        """Sends each command line; returns the answers of the queries
        (commands ending in "?")."""
        answers = []
        try:
            with socket.create_connection((self.host, self.port),
                                          self.timeout) as s:
                f = s.makefile("rwb")
                for cmd in commands:
                    f.write(cmd.encode() + b"\n")
                    f.flush()
                    if not cmd.endswith("?"):
                        continue
                    line = f.readline(LINE_MAX)
                    if not line.endswith(b"\n"):
                        raise errors.Unavailable(
                            "%s: no answer to %s; is the place attached?"
                            % (self.name, cmd))
                    answers.append(line.decode(errors="replace").strip())
        except socket.timeout:
            raise errors.Timeout("%s: no answer within %g s"
                                 % (self.name, self.timeout))
        except OSError as e:
            raise errors.Unavailable("%s: %s; is the place attached?"
                                     % (self.name, e.strerror or e))
        for cmd, a in zip([c for c in commands if c.endswith("?")],
                          answers):
            if a.upper().startswith("ERR"):
                raise errors.NmbError("%s: %s: %s" % (self.name, cmd, a))
        return answers

    def _switch(self, on):
        # The query after the command is answered once the switch has
        # switched: the state is known when this returns.
        a = self._session(["OUTP ON" if on else "OUTP OFF", "OUTP?"])[0]
        if a != ("1" if on else "0"):
            raise errors.NmbError("%s: still %s after OUTP %s (answered "
                                  "%r)" % (self.name, "off" if on else "on",
                                           "ON" if on else "OFF", a))

    def on(self):
        self._switch(True)

    def off(self):
        self._switch(False)

    def state(self):
        """True when the output is on."""
        a = self._session(["OUTP?"])[0]
        if a not in ("0", "1"):
            raise errors.NmbError("%s: OUTP? answered %r, not 0 or 1"
                                  % (self.name, a))
        return a == "1"

    def identify(self):
        return self._session(["*IDN?"])[0]

    def cycle(self, off_time=2.0):
        """Off, off_time seconds, on."""
        self.off()
        time.sleep(off_time)
        self.on()
