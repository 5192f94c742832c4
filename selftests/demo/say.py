#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# say.py - type lines into a serial console and print what it answers,
# a scriptable stand-in for picocom.
#
# Usage: say.py TTY [LINE...]
#
# Each LINE is sent with a carriage return; the answer is read until the
# board's prompt comes back (10 s at most) and printed without the CRs.
# Exits 0 when every line got its prompt, 1 otherwise. Without LINE, it
# is an interactive terminal on TTY until Ctrl-].
import os
import select
import sys
import termios
import time
import tty

PROMPT = b"root@demo:~# "


def interactive(fd):
    print("connected to %s; Ctrl-] leaves" % sys.argv[1], flush=True)
    saved = termios.tcgetattr(0)
    tty.setraw(0)
    try:
        while True:
            r, _, _ = select.select([0, fd], [], [])
            if 0 in r:
                data = os.read(0, 256)
                if not data or b"\x1d" in data:
                    break
                os.write(fd, data)
            if fd in r:
                try:
                    os.write(1, os.read(fd, 4096))
                except BlockingIOError:
                    pass
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
        print()
    return 0


def main():
    path, lines = sys.argv[1], sys.argv[2:]
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    termios.tcflush(fd, termios.TCIOFLUSH)
    if not lines:
        return interactive(fd)
    good = True
    for line in lines:
        os.write(fd, line.encode() + b"\r")
        got = b""
        end = time.monotonic() + 10
        while not got.endswith(PROMPT) and time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    got += os.read(fd, 4096)
                except BlockingIOError:
                    pass
        sys.stdout.write(got.decode(errors="replace").replace("\r", ""))
        if not got.endswith(PROMPT):
            sys.stdout.write("<no prompt within 10 s>\n")
            good = False
        sys.stdout.flush()
    sys.stdout.write("\n")
    os.close(fd)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
