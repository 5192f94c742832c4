# SPDX-License-Identifier: GPL-2.0
# test_console_cmd.py - `nmbctl console` (the ASan build) driven through a
# pty, as a user's terminal: a fake agent reports a "board" that is the
# other end of a second pty (or a TCP port); type a line, see the echo,
# leave with Ctrl-] q, and find the terminal's modes restored on every
# way out (escape, signal, the board going away, the port closed).

import os
import pty
import re
import select
import signal
import socket
import subprocess
import termios
import threading
import time
import tty

import pytest

from conftest import ROOT

BUILD = os.environ.get("NMB_TEST_BUILD", os.path.join(ROOT, "build"))
NMBCTL = os.path.join(BUILD, "asan", "nmbctl")


def echo_board(master, stop):
    """The board: echoes what it gets, answers a line with "ok"."""
    buf = b""
    while not stop.is_set():
        r, _, _ = select.select([master], [], [], 0.1)
        if not r:
            continue
        try:
            data = os.read(master, 1024)
        except OSError:
            return
        for c in data:
            ch = bytes([c])
            if ch == b"\r":
                os.write(master, b"\r\nok: %s\r\nboard# " % buf)
                buf = b""
            else:
                buf += ch
                os.write(master, ch)


class Term:
    """nmbctl console on a pty: the user's terminal."""

    def __init__(self, sock, *args):
        self.master, self.slave = pty.openpty()
        self.before = termios.tcgetattr(self.slave)
        env = dict(os.environ, NMB_AGENT_SOCKET=sock,
                   ASAN_OPTIONS="detect_leaks=1")
        self.p = subprocess.Popen([NMBCTL, "console", *args],
                                  stdin=self.slave, stdout=self.slave,
                                  stderr=self.slave, env=env,
                                  start_new_session=True)
        self.out = b""

    def read_until(self, what, timeout=10):
        deadline = time.monotonic() + timeout
        while what not in self.out:
            left = deadline - time.monotonic()
            assert left > 0, "no %r in %r" % (what, self.out)
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    break
        return self.out

    def type(self, data):
        os.write(self.master, data)

    def finish(self, timeout=10):
        rc = self.p.wait(timeout)
        try:
            while select.select([self.master], [], [], 0.2)[0]:
                data = os.read(self.master, 4096)
                if not data:
                    break
                self.out += data
        except OSError:
            pass
        after = termios.tcgetattr(self.slave)
        os.close(self.slave)
        os.close(self.master)
        assert b"Sanitizer" not in self.out and b"runtime error" \
            not in self.out, self.out
        return rc, after


@pytest.fixture
def board():
    master, slave = os.openpty()
    tty.setraw(master)
    stop = threading.Event()
    t = threading.Thread(target=echo_board, args=(master, stop),
                         daemon=True)
    t.start()
    yield master, os.ttyname(slave), slave
    stop.set()
    t.join()
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def serial_status(tty_path, port="0"):
    return [
        {"place": "demo", "part": "board", "interface": "serial",
         "type": "USB", "attached": True, "port": "3", "up": True,
         "busid": "3-1", "nodes": [tty_path]},
        {"place": "demo", "part": "board", "interface": "disk",
         "type": "USB", "attached": True, "port": "4", "up": True,
         "busid": "3-2", "nodes": ["/dev/sda"]},
        {"place": "demo", "part": "power", "interface": "console",
         "type": "TCP", "attached": True, "port": port, "up": True,
         "busid": None, "nodes": []},
    ]


def test_type_echo_escape_restored(agent, board, tmp_path):
    _, path, _ = board
    agent.reset({"status": {"result": serial_status(path)}})
    log = tmp_path / "console.log"
    t = Term(agent.path, "--baud", "9600", "--log", str(log), "demo")
    t.read_until(b"Ctrl-] q leaves")
    assert b"board.serial of demo (%s, 9600 baud)" % path.encode() in t.out
    # raw while it runs: no echo by the terminal, no line editing
    mode = termios.tcgetattr(t.slave)
    assert not mode[3] & (termios.ECHO | termios.ICANON)
    t.type(b"uname -a\r")
    t.read_until(b"ok: uname -a")
    t.type(b"\x1d")
    time.sleep(0.2)
    t.type(b"q")
    rc, after = t.finish()
    assert rc == 0, t.out
    assert after == t.before
    assert b"Disconnected." in t.out
    assert b"uname -a\r\nok: uname -a" in log.read_bytes()
    speed = termios.tcgetattr(os.open(path, os.O_RDONLY | os.O_NOCTTY))
    assert speed[4] == termios.B9600


def test_escape_twice_and_ctrl_c_reach_the_board(agent, board):
    master, path, _ = board
    agent.reset({"status": {"result": serial_status(path)}})
    t = Term(agent.path, "demo", "board.serial")
    t.read_until(b"leaves")
    t.type(b"a\x1d\x1db\x03\r")       # Ctrl-C goes to the board too
    t.read_until(b"ok: a\x1db\x03")
    assert t.p.poll() is None
    t.type(b"\x1dq")
    rc, after = t.finish()
    assert rc == 0 and after == t.before


def test_signal_restores(agent, board):
    _, path, _ = board
    agent.reset({"status": {"result": serial_status(path)}})
    t = Term(agent.path, "demo")
    t.read_until(b"leaves")
    t.p.send_signal(signal.SIGTERM)
    rc, after = t.finish()
    assert rc == 130 and after == t.before
    assert b"interrupted by a signal" in t.out


def test_board_goes_away(agent, board):
    master, path, slave = board
    agent.reset({"status": {"result": serial_status(path)}})
    t = Term(agent.path, "demo")
    t.read_until(b"leaves")
    os.close(slave)
    os.close(master)        # hangup, as an unplugged ttyACM
    rc, after = t.finish()
    assert rc == 7 and after == t.before
    assert b"went away: was the board powered off or unplugged?" in t.out


def test_tcp_console_closed_by_exporter(agent):
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        data = b""
        while not data.endswith(b"\r"):
            data += conn.recv(100)
        conn.sendall(b"got " + data + b"\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    agent.reset({"status": {"result": serial_status("/dev/null",
                                                    str(port))}})
    t = Term(agent.path, "demo", "power.console")
    t.read_until(b"(localhost:%d)" % port)
    t.type(b"hello\r")
    t.read_until(b"got hello")
    rc, after = t.finish()
    assert rc == 7 and after == t.before
    assert b"power.console: the exporter closed the console port" in t.out
    srv.close()


def run_plain(agent, *args, stdin=subprocess.DEVNULL):
    env = dict(os.environ, NMB_AGENT_SOCKET=agent.path)
    return subprocess.run([NMBCTL, "console", *args], stdin=stdin,
                          capture_output=True, text=True, env=env,
                          timeout=20)


def test_refuses_non_tty_stdin(agent):
    r = run_plain(agent, "demo")
    assert r.returncode == 2
    assert r.stderr == "nmbctl: console demo: stdin is not a terminal; " \
        "for scripts use the Python package (nmb.serial.Console)\n"
    assert agent.requests == []


def term_error(agent, *args):
    t = Term(agent.path, *args)
    rc, after = t.finish()
    assert after == t.before
    return rc, t.out.decode()


def test_refuses_wrong_interfaces(agent, board):
    _, path, _ = board
    st = serial_status(path)
    agent.reset({"status": {"result": st}})
    rc, out = term_error(agent, "demo", "board.disk")
    assert rc == 2
    assert "board.disk is not a serial interface (device nodes: " \
        "/dev/sda)" in out
    rc, out = term_error(agent, "demo", "board.nope")
    assert rc == 3
    assert "no interface board.nope; the place has: board.serial, " \
        "board.disk, power.console" in out
    rc, out = term_error(agent, "other")
    assert rc == 3 and "no such reservation attached; nmbctl attach " \
        "other" in out
    two = st + [dict(st[0], interface="uart2", nodes=["/dev/ttyUSB0"])]
    agent.reset({"status": {"result": two}})
    rc, out = term_error(agent, "demo")
    assert rc == 2 and "several serial interfaces; name one of: " \
        "board.serial, board.uart2\r\n" in out
    st[0]["up"] = False
    agent.reset({"status": {"result": st}})
    rc, out = term_error(agent, "demo")
    assert rc == 7 and "board.serial is not up" in out
    st[0]["nodes"] = ["/dev/sdb"]
    agent.reset({"status": {"result": st}})
    rc, out = term_error(agent, "demo")
    assert rc == 2 and "no USB serial interface; name a TCP serial one " \
        "of:" in out
    rc, out = term_error(agent, "demo", "--baud", "12345")
    assert rc == 2 and "--baud 12345 is not a standard rate" in out


def test_agent_not_running(tmp_path):
    class Nowhere:
        path = str(tmp_path / "none.sock")
    rc, out = term_error(Nowhere, "demo")
    assert rc == 6 and "cannot connect to nmb-agent" in out
    assert re.search(r"is nmb-agent running\?", out)


def complete(agent, line):
    script = os.path.join(ROOT, "cli", "completion", "nmbctl.bash")
    words = line.split(" ")
    prog = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMP_LINE='%s'\n"
            "COMP_POINT=${#COMP_LINE}\n_nmbctl\n"
            "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" %
            (script, " ".join("'%s'" % w for w in words), len(words) - 1,
             line))
    env = dict(os.environ, PATH=os.path.dirname(NMBCTL) + ":" +
               os.environ["PATH"], NMB_AGENT_SOCKET=agent.path)
    p = subprocess.run(["bash", "-c", prog], capture_output=True,
                       text=True, env=env, timeout=20)
    return sorted(p.stdout.split())


def test_completion(agent):
    agent.reset({"list": {"result": [
        {"place": "demo", "place_name": "p", "attached": True}]},
        "status": {"result": serial_status("/dev/ttyACM0") + [
            {"place": "lab", "part": "x", "interface": "y", "type": "TCP",
             "attached": True, "port": "1", "up": True, "busid": None,
             "nodes": []}]}})
    assert complete(agent, "nmbctl con") == ["console"]
    assert complete(agent, "nmbctl console ") == ["demo"]
    assert complete(agent, "nmbctl console --baud 9600 demo ") == [
        "board.disk", "board.serial", "power.console"]
    assert complete(agent, "nmbctl console demo board.s") == [
        "board.serial"]
    assert complete(agent, "nmbctl console --") == ["--baud", "--help",
                                                    "--log", "--socket"]
