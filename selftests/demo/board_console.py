#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# board_console.py - the fake board's serial console, on the gadget side
# of its CDC-ACM function (/dev/ttyGS0).
#
# Usage: board_console.py TTY BOOT_NUMBER
#
# Like a real board's console it says nothing until spoken to (an echoing
# host tty would otherwise bounce the banner back as input). An empty line
# gets the login banner and a prompt; characters are echoed as typed; a
# line is answered by a toy shell (uname -a, uptime, anything else: not
# found). It exits on SIGTERM or when the gadget is unplugged (hangup).
import os
import sys
import time
import tty

PROMPT = b"root@demo:~# "


def answer(line, boot, t0):
    if not line:
        return (b"nmb demo board (fake), boot #%d\r\n"
                b"demo login: root (automatic login)\r\n" % boot)
    if line == "uname -a":
        return b"Linux demo 6.1.0-demo #1 SMP armv7l GNU/Linux (fake)\r\n"
    if line == "uptime":
        return (b"up %.1f s, boot #%d\r\n" %
                (time.monotonic() - t0, boot))
    return b"-sh: %s: command not found\r\n" % line.split()[0].encode()


def main():
    path, boot = sys.argv[1], int(sys.argv[2])
    t0 = time.monotonic()
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    buf = b""
    while True:
        try:
            data = os.read(fd, 256)
        except OSError:
            break
        if not data:
            break
        for c in data:
            ch = bytes([c])
            if ch in (b"\r", b"\n"):
                os.write(fd, b"\r\n" + answer(buf.decode(errors="replace")
                                              .strip(), boot, t0) + PROMPT)
                buf = b""
            elif ch in (b"\x7f", b"\b"):
                if buf:
                    buf = buf[:-1]
                    os.write(fd, b"\b \b")
            elif c >= 0x20:
                buf += ch
                os.write(fd, ch)


if __name__ == "__main__":
    main()
