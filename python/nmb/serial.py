# SPDX-License-Identifier: GPL-2.0
"""nmb.serial - a serial console on a tty or a TCP port, and the modem
lines of a tty, through termios and fcntl.ioctl. Works on a farm's
attached /dev/ttyACM0 and on a board plugged in locally alike.

    with Console("/dev/ttyACM0", baud=115200) as con:
        con.login()                     # waits for a prompt, logs in
        con.sendline("uname -a")
        con.expect(r"Linux \\S+")
        con.dtr = False                 # TIOCMBIC; a board reset line
    con.transcript                      # every byte read
"""

import array
import errno
import fcntl
import os
import re
import select
import socket
import termios
import time

from . import errors

TAIL = 200                  # transcript bytes shown in a timeout error

BAUDS = {b: getattr(termios, "B%d" % b) for b in (
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
    19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
    1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000,
    4000000) if hasattr(termios, "B%d" % b)}

# Modem lines (TIOCM_*), by name.
LINES = {"dtr": termios.TIOCM_DTR, "rts": termios.TIOCM_RTS,
         "cts": termios.TIOCM_CTS, "dsr": termios.TIOCM_DSR,
         "cd": termios.TIOCM_CAR, "ri": termios.TIOCM_RNG}


def _ioctl_int(fd, request, value=0):
    buf = array.array("i", [value])
    fcntl.ioctl(fd, request, buf, True)
    return buf[0]


def modem_get(fd):
    """The modem lines of tty fd (TIOCMGET) as {"dtr": bool, ...}."""
    bits = _ioctl_int(fd, termios.TIOCMGET)
    return {name: bool(bits & bit) for name, bit in LINES.items()}


def modem_set(fd, line, on):
    """Raises (TIOCMBIS) or drops (TIOCMBIC) modem line "dtr" or "rts"
    of tty fd."""
    if line not in ("dtr", "rts"):
        raise errors.UsageError("modem line %r cannot be set; dtr or rts"
                                % line)
    _ioctl_int(fd, termios.TIOCMBIS if on else termios.TIOCMBIC,
               LINES[line])


def set_raw(fd, baud):
    """Raw mode (no echo, no line editing, 8N1, no flow control) at baud
    on tty fd."""
    speed = BAUDS.get(baud)
    if speed is None:
        raise errors.UsageError("baud rate %r is not one termios knows "
                                "(e.g. 9600, 115200, 921600)" % (baud,))
    attr = termios.tcgetattr(fd)
    iflag, oflag, cflag, lflag = attr[0:4]
    iflag &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK |
               termios.ISTRIP | termios.INLCR | termios.IGNCR |
               termios.ICRNL | termios.IXON | termios.IXOFF)
    oflag &= ~termios.OPOST
    lflag &= ~(termios.ECHO | termios.ECHONL | termios.ICANON |
               termios.ISIG | termios.IEXTEN)
    cflag &= ~(termios.CSIZE | termios.PARENB | termios.CSTOPB |
               termios.CRTSCTS)
    cflag |= termios.CS8 | termios.CREAD | termios.CLOCAL
    attr[0:4] = [iflag, oflag, cflag, lflag]
    attr[4] = attr[5] = speed
    attr[6][termios.VMIN] = 0
    attr[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attr)


def _pattern(p):
    if isinstance(p, re.Pattern):
        if isinstance(p.pattern, str):
            return re.compile(p.pattern.encode(), p.flags & ~re.UNICODE)
        return p
    if isinstance(p, str):
        p = p.encode()
    if isinstance(p, bytes):
        return re.compile(p)
    raise errors.UsageError("expect: %r is no str, bytes or pattern" % (p,))


class Console:
    """A console on target: a tty path (opened raw at baud) or a (host,
    port) TCP serial port. timeout is the default of read_until/expect.
    log is an open binary file that gets every byte read, as it comes."""

    def __init__(self, target, baud=115200, timeout=30, log=None):
        self.target = target
        self.timeout = timeout
        self.log = log
        self.transcript = bytearray()   # every byte read
        self.buffer = bytearray()       # read, not yet consumed by expect
        self.fd = None
        self.sock = None
        self.closed_by_peer = False
        if isinstance(target, (tuple, list)):
            host, port = target
            self.name = "%s:%s" % (host, port)
            try:
                self.sock = socket.create_connection((host, port), timeout)
            except OSError as e:
                raise errors.Unavailable("console %s: cannot connect: %s"
                                         % (self.name, e.strerror or e))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
            self.fd = self.sock.fileno()
        else:
            self.name = str(target)
            try:
                self.fd = os.open(self.name, os.O_RDWR | os.O_NOCTTY |
                                  os.O_NONBLOCK | os.O_CLOEXEC)
            except FileNotFoundError:
                raise errors.NotFound("console %s: no such device; is it "
                                      "attached?" % self.name)
            except OSError as e:
                raise errors.Unavailable("console %s: cannot open: %s"
                                         % (self.name, e.strerror))
            try:
                if not os.isatty(self.fd):
                    raise errors.UsageError("console %s: not a tty"
                                            % self.name)
                set_raw(self.fd, baud)
            except BaseException:
                os.close(self.fd)
                self.fd = None
                raise

    # --- plumbing -----------------------------------------------------

    def fileno(self):
        return self.fd

    def close(self):
        if self.sock:
            self.sock.close()
        elif self.fd is not None:
            os.close(self.fd)
        self.fd = self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self.fd is None:
            raise errors.ConsoleClosed("console %s is closed" % self.name)

    def _closed(self, why):
        self.closed_by_peer = True
        if self.sock:
            return errors.ConsoleClosed(
                "console %s: the exporter closed the console port (%s); "
                "is the place still attached?" % (self.name, why))
        return errors.ConsoleClosed(
            "console %s: the device went away (%s); was the board "
            "powered off or unplugged?" % (self.name, why))

    def write(self, data):
        """Writes all of data (str is UTF-8 encoded)."""
        self._check_open()
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise errors.Timeout("console %s: write blocked for "
                                         "%g s" % (self.name, self.timeout))
                select.select([], [self.fd], [], left)
            except OSError as e:
                raise self._closed(e.strerror)

    def sendline(self, line=""):
        """Writes line and a carriage return, as typed on a terminal."""
        self.write((line.encode() if isinstance(line, str) else line)
                   + b"\r")

    def read(self, timeout=0):
        """The bytes that arrive within timeout seconds (b"" if none);
        they also go to the transcript and the buffer expect searches."""
        self._check_open()
        r, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not r:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return b""
        except OSError as e:
            raise self._closed(e.strerror)
        if not data:
            raise self._closed("end of file")
        self.transcript += data
        self.buffer += data
        if self.log:
            self.log.write(data)
            self.log.flush()
        return data

    def expect(self, patterns, timeout=None):
        """Waits until one of patterns (str, bytes or regular
        expressions; one or a list) matches the unread output. Returns
        (index, match) and consumes the output up to the match's end.
        Raises ExpectTimeout with the transcript's last 200 bytes."""
        single = not isinstance(patterns, (list, tuple))
        pats = [_pattern(p) for p in ([patterns] if single else patterns)]
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            best = None
            data = bytes(self.buffer)
            for i, p in enumerate(pats):
                m = p.search(data)
                if m and (best is None or m.start() < best[1].start()):
                    best = (i, m)
            if best:
                del self.buffer[:best[1].end()]
                return best
            left = deadline - time.monotonic()
            if left <= 0:
                tail = bytes(self.transcript[-TAIL:])
                raise errors.ExpectTimeout(
                    "console %s: none of %s within %g s; last %d bytes: %r"
                    % (self.name, [p.pattern for p in pats], timeout,
                       len(tail), tail), tail)
            self.read(left)

    def read_until(self, pattern, timeout=None):
        """The output up to and including the first match of pattern."""
        _, m = self.expect(pattern, timeout)
        return m.string[:m.end()]

    def login(self, user="root", password=None, prompt=rb"[#$] \Z",
              login_prompt=rb"login: ?\Z",
              password_prompt=rb"[Pp]assword: ?\Z", timeout=None,
              poke=2.0):
        """Gets a shell prompt: presses Enter every poke seconds until a
        login or shell prompt shows, answers the login (and password)
        prompt, and returns once the shell prompt is there."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        pats = [prompt, login_prompt, password_prompt]
        self.buffer.clear()
        self.sendline()
        while True:
            left = deadline - time.monotonic()
            try:
                i, _ = self.expect(pats, max(0, min(poke, left)))
            except errors.ExpectTimeout as e:
                if time.monotonic() >= deadline:
                    raise errors.ExpectTimeout(
                        "console %s: no login or shell prompt within %g "
                        "s; last %d bytes: %r" % (self.name, timeout,
                                                  len(e.tail), e.tail),
                        e.tail)
                self.sendline()
                continue
            if i == 0:
                return
            if i == 1:
                self.sendline(user)
            elif password is None:
                raise errors.UsageError("console %s: the board asks for a "
                                        "password; pass password="
                                        % self.name)
            else:
                self.sendline(password)

    def run(self, command, prompt=rb"[#$] \Z", timeout=None):
        """Types command, waits for the next shell prompt and returns the
        output between (the echoed command line left out), as text."""
        self.buffer.clear()
        self.sendline(command)
        out = self.read_until(prompt, timeout)
        text = out.decode(errors="replace").replace("\r\n", "\n")
        lines = text.split("\n")
        if lines and command in lines[0]:
            lines = lines[1:]
        return "\n".join(lines[:-1])

    # --- modem lines (ttys only) --------------------------------------

    def _tty_fd(self):
        self._check_open()
        if self.sock:
            raise errors.UsageError("console %s: a TCP console has no "
                                    "modem lines" % self.name)
        return self.fd

    def _modem_error(self, e):
        if e.errno in (errno.ENOTTY, errno.EINVAL):
            return errors.UsageError("console %s has no modem lines (%s); "
                                     "is it a pty?" % (self.name,
                                                       e.strerror))
        return self._closed(e.strerror)

    def modem_lines(self):
        """{"dtr", "rts", "cts", "dsr", "cd", "ri"} -> bool (TIOCMGET)."""
        try:
            return modem_get(self._tty_fd())
        except OSError as e:
            raise self._modem_error(e) from None

    def set_line(self, line, on):
        try:
            modem_set(self._tty_fd(), line, on)
        except OSError as e:
            raise self._modem_error(e) from None

    @property
    def dtr(self):
        return self.modem_lines()["dtr"]

    @dtr.setter
    def dtr(self, on):
        self.set_line("dtr", on)

    @property
    def rts(self):
        return self.modem_lines()["rts"]

    @rts.setter
    def rts(self, on):
        self.set_line("rts", on)

    def pulse(self, line="dtr", seconds=0.1):
        """Drops line for seconds and raises it again (a reset pulse)."""
        self.set_line(line, False)
        time.sleep(seconds)
        self.set_line(line, True)
