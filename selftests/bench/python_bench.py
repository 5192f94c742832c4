#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# python_bench.py - figures of the nmb Python package and nmbctl console on
# the demo farm (selftests/bench/guest-python.sh runs it on the user's
# host): "bench NAME median=... min=... max=... n=... unit=..." lines.
#
#   py_first_prompt   Agent.attach (reserve + attach) to the board's shell
#                     prompt through nmb.serial.Console, then detach and
#                     return: what the pytest fixture does for a session
#   echo_console      1-byte echo round trip typed into `nmbctl console`
#   echo_picocom      the same through picocom, on the same tty
#
# Usage: python_bench.py RUNS NMBCTL FARM_SH
#        (in the folder with .nmb/demo.yaml; FARM_SH is farm.sh)
#
# A detach resets the gadget, which hangs up the fake board's console:
# between two attaches the board is powered off and on (farm.sh board),
# outside the timed part.

import os
import pty
import select
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import nmb  # noqa: E402
from nmb.serial import Console  # noqa: E402

ECHOES = 50


def emit(name, values, unit, scale=1.0):
    if not values:
        print("# %s: no figures" % name)
        return
    v = [x * scale for x in values]
    print("bench %s median=%.2f min=%.2f max=%.2f n=%d unit=%s"
          % (name, statistics.median(v), min(v), max(v), len(v), unit),
          flush=True)


def power_cycle(farm):
    """Off and on; then time for the fake board's console (a Python
    program) to start, so that its start-up is not counted."""
    for state in ("off", "on"):
        subprocess.run(["bash", farm, "board", state], check=True)
    time.sleep(3)


def first_prompt(runs, farm):
    agent = nmb.Agent()
    times = []
    for i in range(runs):
        if i:
            power_cycle(farm)
        t0 = time.monotonic()
        with agent.attach("demo") as place:
            with Console(place.tty("board.serial"), timeout=60) as con:
                con.login()
                times.append(time.monotonic() - t0)
    return times


def read_for(fd, want, timeout=10):
    """Reads fd until want was seen; returns what was read."""
    out = b""
    deadline = time.monotonic() + timeout
    while want not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no %r in %r" % (want, out[-200:]))
        if select.select([fd], [], [], left)[0]:
            out += os.read(fd, 4096)
    return out


def echo_rtt(argv, ready, quit_keys):
    """Median per run of 1-byte echoes through the terminal program argv
    (on a pty), the board echoing each character."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    try:
        read_for(fd, ready, 30)
        # Enter until the board's prompt shows (a board just powered on
        # may miss the first one), then a quiet line
        for _ in range(20):
            os.write(fd, b"\r")
            try:
                read_for(fd, b"# ", 1)
                break
            except TimeoutError:
                pass
        else:
            raise TimeoutError("no prompt through %s" % argv[0])
        time.sleep(0.5)
        while select.select([fd], [], [], 0)[0]:
            os.read(fd, 4096)
        rtts = []
        for i in range(ECHOES):
            ch = b"abcdefghij"[i % 10:i % 10 + 1]
            t0 = time.monotonic()
            os.write(fd, ch)
            read_for(fd, ch, 10)
            rtts.append(time.monotonic() - t0)
        os.write(fd, b"\x7f" * ECHOES)
        time.sleep(0.3)
        os.write(fd, quit_keys)
        return rtts
    finally:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)


def main():
    runs, nmbctl, farm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    print("# first prompt: Agent.attach + Console.login, %d runs" % runs)
    emit("py_first_prompt", first_prompt(runs, farm), "s")
    power_cycle(farm)
    agent = nmb.Agent()
    with agent.attach("demo") as place:
        tty = place.tty("board.serial")
        print("# echo: %d 1-byte round trips on %s, nmbctl console vs "
              "picocom, %d runs each" % (ECHOES, tty, runs))
        con, pico = [], []
        progs = [(con, [nmbctl, "console", "demo"], b"leaves", b"\x1dq"),
                 (pico, ["picocom", "-l", "-b", "115200", tty],
                  b"Terminal ready", b"\x01\x18")]
        for i in range(runs):
            # each goes first in every other run
            for out, argv, ready, quit_keys in progs[i % 2:] + progs[:i % 2]:
                out.append(statistics.median(echo_rtt(argv, ready,
                                                      quit_keys)))
        emit("echo_console", con, "ms", 1000)
        emit("echo_picocom", pico, "ms", 1000)
        c, p = statistics.median(con), statistics.median(pico)
        if p > 0:
            print("bench echo_console_ratio value=%.2f unit=x (nmbctl "
                  "console / picocom)" % (c / p))


if __name__ == "__main__":
    main()
