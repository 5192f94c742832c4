# SPDX-License-Identifier: GPL-2.0
# test_devices.py - nmb.serial.Console on a pty (a local tty) and on TCP,
# against a fake board that echoes and answers a toy shell; nmb.power.SCPI
# against the demo's power switch; nmb.gpio.Shim against a fake shim.

import os
import socket
import subprocess
import sys
import threading
import time
import tty

import pytest

import nmb
from nmb.gpio import Shim
from nmb.power import SCPI
from nmb.serial import Console
from conftest import ROOT


def board(fd_read, fd_write, login=True, stop=None):
    """A fake board: a login prompt on Enter, then a shell prompt;
    characters are echoed; "uname -a" is answered."""
    buf = b""
    logged_in = not login
    while not (stop and stop.is_set()):
        try:
            data = fd_read(256)
        except OSError:
            return
        if not data:
            return
        for c in data:
            ch = bytes([c])
            if ch in b"\r\n":
                line = buf.decode().strip()
                buf = b""
                if not logged_in:
                    if line == "root":
                        logged_in = True
                        fd_write(b"\r\nroot@board:~# ")
                    else:
                        fd_write(b"\r\nboard login: ")
                elif line == "uname -a":
                    fd_write(b"\r\nLinux board 6.1.0 aarch64\r\n"
                             b"root@board:~# ")
                else:
                    fd_write(b"\r\nroot@board:~# ")
            else:
                buf += ch
                fd_write(ch)


@pytest.fixture
def pty_board():
    """A pty whose master side is the board; yields the tty's path."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    tty.setraw(master)
    t = threading.Thread(target=board, args=(
        lambda n: os.read(master, n), lambda b: os.write(master, b)),
        daemon=True)
    t.start()
    yield path
    os.close(slave)
    os.close(master)


def test_console_tty_login_and_run(pty_board, tmp_path):
    log = open(tmp_path / "log", "wb")
    with Console(pty_board, baud=115200, timeout=5, log=log) as con:
        con.login()
        assert con.run("uname -a") == "Linux board 6.1.0 aarch64"
        con.sendline("uname -a")
        assert con.read_until("aarch64").endswith(b"Linux board 6.1.0 "
                                                  b"aarch64")
        i, m = con.expect([r"nothing", rb"board:(\S+)#"])
        assert (i, m.group(1)) == (1, b"~")
    log.close()
    text = (tmp_path / "log").read_bytes()
    assert b"board login: " in text and b"root@board:~# " in text
    assert bytes(con.transcript) == text


def test_console_expect_timeout_shows_tail(pty_board):
    with Console(pty_board, timeout=5) as con:
        con.sendline("x" * 300)
        con.expect("board login: ")
        with pytest.raises(nmb.ExpectTimeout) as e:
            con.expect("never", timeout=0.5)
    assert e.value.exit_code == 5
    assert len(e.value.tail) == 200
    assert e.value.tail.endswith(b"board login: ")
    assert repr(e.value.tail) in str(e.value)


def test_console_login_times_out_on_a_silent_board():
    master, slave = os.openpty()
    try:
        with Console(os.ttyname(slave)) as con:
            t0 = time.monotonic()
            with pytest.raises(nmb.ExpectTimeout, match="no login or shell "
                               "prompt within 1 s"):
                con.login(timeout=1, poke=0.3)
            assert time.monotonic() - t0 < 5
            # it pressed Enter again while waiting
            assert os.read(master, 100).count(b"\r") >= 3
    finally:
        os.close(slave)
        os.close(master)


def test_console_password_prompt():
    master, slave = os.openpty()
    tty.setraw(master)
    try:
        with Console(os.ttyname(slave), timeout=5) as con:
            os.write(master, b"login: ")
            threading.Timer(0.3, os.write, (master, b"Password: ")).start()
            threading.Timer(0.6, os.write, (master, b"\r\n$ ")).start()
            con.login(user="pi", password="secret")
            assert os.read(master, 100) == b"\rpi\rsecret\r"
            os.write(master, b"login: ")
            threading.Timer(0.3, os.write, (master, b"Password: ")).start()
            with pytest.raises(nmb.UsageError, match="asks for a password"):
                con.login()
    finally:
        os.close(slave)
        os.close(master)


def test_console_errors(tmp_path):
    with pytest.raises(nmb.NotFound, match="no such device") as e:
        Console(str(tmp_path / "ttyACM9"))
    assert e.value.exit_code == 3
    (tmp_path / "file").write_text("")
    with pytest.raises(nmb.UsageError, match="not a tty"):
        Console(str(tmp_path / "file"))
    master, slave = os.openpty()
    with pytest.raises(nmb.UsageError, match="baud rate 12345"):
        Console(os.ttyname(slave), baud=12345)
    os.close(slave)
    os.close(master)


def test_console_modem_lines_of_a_pty(pty_board):
    """A pty has no modem lines: one clear error, not an OSError."""
    with Console(pty_board) as con:
        with pytest.raises(nmb.UsageError, match="has no modem lines") \
                as e:
            con.dtr = False
        assert e.value.exit_code == 2
        with pytest.raises(nmb.UsageError, match="has no modem lines"):
            con.modem_lines()
        with pytest.raises(nmb.UsageError, match="cannot be set"):
            con.set_line("cts", True)


def test_console_device_goes_away():
    """The board's USB serial device vanishing is one clear exception."""
    master, slave = os.openpty()
    con = Console(os.ttyname(slave))
    os.close(slave)
    os.close(master)        # the pty hangs up, as an unplugged ttyACM
    with pytest.raises(nmb.ConsoleClosed, match="the device went away") \
            as e:
        con.expect("x", timeout=2)
    assert e.value.exit_code == 7
    con.close()


def test_console_tcp_and_closed_by_exporter():
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        f = conn.makefile("rwb", buffering=0)
        board(f.read1 if hasattr(f, "read1") else f.read, conn.sendall,
              login=False)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    with Console(("127.0.0.1", port), timeout=5) as con:
        con.login()
        assert con.run("uname -a") == "Linux board 6.1.0 aarch64"
        with pytest.raises(nmb.UsageError, match="no modem lines"):
            con.dtr = False
        con.sock.shutdown(socket.SHUT_WR)     # the board side ends
        with pytest.raises(nmb.ConsoleClosed, match="the exporter closed "
                           "the console port"):
            con.expect("never", timeout=5)
    srv.close()
    with pytest.raises(nmb.Unavailable, match="cannot connect"):
        Console(("127.0.0.1", port))


@pytest.fixture
def power_switch(tmp_path):
    """The demo's power switch; its hooks write on/off into a file."""
    state = tmp_path / "board"
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen([sys.executable, os.path.join(
        ROOT, "selftests/demo/power_switch.py"), "127.0.0.1", str(port),
        "echo on >> %s" % state, "echo off >> %s" % state],
        stdout=subprocess.PIPE, text=True)
    assert "listening" in p.stdout.readline()
    yield port, state
    p.terminate()
    p.wait()


def test_scpi_power(power_switch):
    port, state = power_switch
    power = SCPI("127.0.0.1", port)
    assert power.state() is True
    assert "fake power switch" in power.identify()
    power.off()
    assert state.read_text() == "off\n"
    assert power.state() is False
    power.on()
    assert power.state() is True
    power.cycle(off_time=0.1)
    assert state.read_text() == "off\non\noff\non\n"


def test_scpi_unreachable():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(nmb.Unavailable, match="power switch 127.0.0.1:%d: "
                       ".*is the place attached" % port) as e:
        SCPI("127.0.0.1", port).on()
    assert e.value.exit_code == 7


def test_scpi_error_answer():
    srv = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = srv.accept()
        conn.makefile("rb").readline()
        conn.sendall(b"ERR unknown command\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    with pytest.raises(nmb.NmbError, match="OUTP\\?: ERR unknown"):
        SCPI("127.0.0.1", srv.getsockname()[1]).state()
    srv.close()


def test_gpio_shim():
    """SET lines go out, GPIO reports come back; garbage is kept apart."""
    srv = socket.create_server(("127.0.0.1", 0))
    got = []

    def serve():
        conn, _ = srv.accept()
        conn.sendall(b"GPIO 4 0\n")
        for line in conn.makefile("rb"):
            got.append(line)
            pin, value = line.split()[1:]
            conn.sendall(b"GPIO %s %s\nERR what\n" % (pin, value))
            if len(got) == 2:
                break
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    with Shim("127.0.0.1", srv.getsockname()[1], timeout=5) as gpio:
        assert gpio.get(4) == 0
        gpio.set(17, 1)
        gpio.wait(17, 1)
        gpio.set(17, False)
        gpio.wait(17, 0)
        assert got == [b"SET 17 1\n", b"SET 17 0\n"]
        assert gpio.errors[0] == "ERR what"
        with pytest.raises(nmb.UsageError):
            gpio.set(-1, 1)
        with pytest.raises(nmb.UsageError):
            gpio.set(3, 2)
        with pytest.raises((nmb.ConsoleClosed, nmb.Timeout)):
            gpio.wait(5, 1, timeout=2)
    srv.close()
