# SPDX-License-Identifier: GPL-2.0
# hardening_test.py - nmb-server against hostile peers: descriptor
# exhaustion (bounded log, still serving), place names that would forge log
# lines, peer strings escaped in the log, repeated lines summarised,
# WebSocket version, UTF-8 of text frames, and bad HTTP answered 400.
# Prints TAP. Usage: hardening_test.py NMB_SERVER_BINARY WORKDIR
import asyncio
import json
import os
import socket
import sys
import time

import websockets

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
from nmbpeer import Peer, Server, call_error, close_all, place_desc  # noqa
from nmbtest import check, collector, run_tests, servers_line  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
TESTS, test = collector()
servers = []
S = None


def new_server(binary=BIN, **kw):
    s = Server(binary, WORK, **kw)
    servers.append(s)
    return s


def raw_request(port, data, timeout=3):
    """Sends data on a fresh TCP connection; everything until EOF."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out


UPGRADE = ("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: %s\r\n\r\n")


@test
async def descriptor_limit_bounded_log():
    # A wrapper lowers soft and hard limit, so the server cannot raise it.
    wrapper = os.path.join(WORK, "ulimit-server.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nulimit -n 64 || exit 99\nexec %s \"$@\"\n" % BIN)
    os.chmod(wrapper, 0o755)
    s = new_server(binary=wrapper, log_name="fd-limit.log")
    socks = []
    for _ in range(300):
        try:
            socks.append(socket.create_connection(("127.0.0.1", s.port),
                                                  timeout=2))
        except OSError:
            break
    await asyncio.sleep(3)
    lines = len(s.text().splitlines())
    for k in socks:
        k.close()
    check(s.proc.poll() is None, "server still running")
    check(lines < 100, "%d log lines with the limit reached" % lines)
    # The descriptors are back: the server serves again.
    ok = False
    for _ in range(100):
        try:
            p = await Peer.connect(s.url())
            ok = await p.call("get_reservations") == {"reservations": []}
            await p.close()
            break
        except Exception:
            await asyncio.sleep(0.1)
    check(ok, "serves again once the connections are gone")
    return "%d connections against 64 descriptors: %d log lines, then " \
        "serving again" % (len(socks), lines)


@test
async def place_names_validated():
    e = await Peer.connect(S.url())
    refused = []
    for name in ("evil\nnmb-server: error: forged", "esc\x1b[31mred",
                 "with space", "", "x" * 65, "tab\there", "é"):
        err = await call_error(e.call("register_place", place_desc(name)))
        check(err and err.code == -32603 and
              "name: Invalid value" in err.message and
              "1 to 64 printable ASCII characters" in err.message,
              (name, err))
        refused.append(err)
    pid = await e.call("register_place", place_desc("a" * 64))
    check(isinstance(pid, int), pid)
    await e.close()
    log = S.text()
    check("forged" not in log and "\x1b" not in log, "nothing logged raw")
    return "%d names refused (%s); 64 characters accepted" % (
        len(refused), refused[0].message)


@test
async def peer_strings_escaped_in_log():
    p = await Peer.connect(S.url())
    await p.send({"jsonrpc": "2.0", "method":
                  "x\nnmb-server: error: forged\x1b[2J\x85"})
    await p.call("get_reservations")
    await p.close()
    log = S.text()
    check("forged" in log, "logged")
    check("\nnmb-server: error: forged" not in log, "no forged line")
    check("x\\nnmb-server: error: forged\\e[2J\\u0085" in log,
          [l for l in log.splitlines() if "forged" in l])
    check("\x1b" not in log, "no escape character")
    return "newline, ESC and U+0085 logged as \\n, \\e and \\u0085"


@test
async def repeated_lines_summarised():
    p = await Peer.connect(S.url())
    for _ in range(50):
        await p.send({"jsonrpc": "2.0", "method": "same-unknown"})
    await p.call("get_reservations")
    await p.close()
    await asyncio.sleep(0.3)
    log = S.text()
    n = log.count("notification for unknown method same-unknown")
    check(n == 1, "%d copies" % n)
    check("last message repeated 49 times" in log, log[-600:])
    return "50 identical lines: 1 written, then 'repeated 49 times'"


@test
async def websocket_version_13_only():
    out = raw_request(S.port, (UPGRADE % "99").encode())
    check(out.startswith(b"HTTP/1.1 426 "), out[:60])
    check(b"sec-websocket-version: 13" in out.lower(), out)
    out = raw_request(S.port, (UPGRADE % "13").encode(), timeout=1)
    check(out.startswith(b"HTTP/1.1 101 "), out[:60])
    return "version 99 answered 426 with Sec-WebSocket-Version: 13"


@test
async def text_frames_must_be_utf8():
    ws = await websockets.connect(S.url(), compression=None)
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                              "method": "get_reservations"}))
    check(json.loads(await ws.recv())["id"] == 1, "text frame served")
    # websockets refuses to send a str that is not UTF-8: bypass it.
    await ws.write_frame(True, websockets.frames.OP_TEXT, b"{\xff\xfe}")
    try:
        await asyncio.wait_for(ws.recv(), 5)
        raise AssertionError("connection not closed")
    except websockets.ConnectionClosed as e:
        check(e.code == 1007, e.code)
    return "invalid UTF-8 in a text frame closes with 1007"


@test
async def bad_http_is_400():
    for data in (b"GARBAGE\r\n\r\n", b"\x16\x03\x01\x00\x05hello",
                 b"\x00\x01\x02\r\n\r\n"):
        out = raw_request(S.port, data)
        check(out.startswith(b"HTTP/1.1 400 "), (data, out[:80]))
    out = raw_request(S.port, b"GET /api/v1/places HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
    check(b" 200 " in out.split(b"\r\n")[0], out[:60])
    return "unknown method, TLS on the plain port, binary: 400"


async def main():
    global S
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    S = new_server()
    n = await run_tests(TESTS, 60, close_all)
    servers_line(n + 1, servers)


asyncio.run(main())
