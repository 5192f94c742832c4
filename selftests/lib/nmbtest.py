# SPDX-License-Identifier: GPL-2.0
"""nmbtest - helpers shared by the Python test suites of selftests/.

Offers:
  TAP output    ok(cond, name, todo=None), diag(msg), the counters
                tap.n_test and tap.n_fail, summary() (the "1..N" plan and
                the "# N passed, N failed" line; returns the exit status)
  test lists    collector() -> (TESTS, @test), check(cond, what),
                async run_tests(tests, timeout, after=None) and
                servers_line(n, servers, skip=None) for the "ok N - name:
                note" runners of selftests/server/
  polling       wait(cond, timeout=20, step=0.05), async settle(pred,
                timeout=3)
  asyncio       async relay_streams(r, w, tr, tw): both ways until each
                side ends
  ports, files  free_port(), sh(cmd), write(path, text, parents=False)
  TCP, proxy    read_head(sock), proxy_connect(port, target, src=None,
                timeout=10), echo_server(port)
  serial lines  raw(path), pass_bytes(src, dst, data, timeout=10),
                serial_round_trip(acm, gadget="/dev/ttyGS0")
  processes     sigterm(proc, timeout), no_sanitizer_report(log, name),
                stop_checked(proc, log, what, timeout=20), make_cert(key,
                crt, days=1)
  the end       finish(tmp): summary(), tmp kept only after a failure
  agent API     agent_api_schemas(): the JSON Schemas of
                Documentation/agent-api.rst by :name: (python3-jsonschema)

Import it with sys.dont_write_bytecode = True: the guest suites see the
repository read-only.
"""

import asyncio
import glob
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
import traceback
import tty


# --- TAP ------------------------------------------------------------------

class Tap:
    """Counts "ok N" lines; one per process (the module's `tap`)."""

    def __init__(self):
        self.n_test = 0
        self.n_fail = 0

    def ok(self, cond, name, todo=None):
        """Prints "ok N - name" or "not ok N - name"; a failure with a
        todo reason is printed with "# TODO reason" and not counted as
        failed. Returns cond."""
        self.n_test += 1
        if not cond and not todo:
            self.n_fail += 1
        print("%sok %d - %s%s" % ("" if cond else "not ", self.n_test, name,
                                  " # TODO " + todo if todo and not cond
                                  else ""), flush=True)
        return cond

    def summary(self):
        """The plan and the pass/fail line; returns the exit status."""
        print("1..%d" % self.n_test)
        print("# %d passed, %d failed" % (self.n_test - self.n_fail,
                                          self.n_fail))
        return 1 if self.n_fail else 0


tap = Tap()
ok = tap.ok
summary = tap.summary


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


# --- lists of test functions (selftests/server, selftests/agent host) -----

def collector():
    """TESTS, test = collector(): @test appends a function to TESTS."""
    tests = []

    def test(fn):
        tests.append(fn)
        return fn

    return tests, test


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def run_tests(tests, timeout, after=None):
    """Runs each coroutine function with a timeout, prints "ok N - name:
    note" (note is what it returns) or "not ok N - name: exception" and
    the traceback; awaits after() between tests. Returns N."""
    n = 0
    for fn in tests:
        n += 1
        try:
            note = await asyncio.wait_for(fn(), timeout)
            print("ok %d - %s: %s" % (n, fn.__name__, note))
        except Exception as e:
            print("not ok %d - %s: %r" % (n, fn.__name__, e))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        if after:
            await after()
        sys.stdout.flush()
    return n


def servers_line(n, servers, skip=None):
    """Test n: every nmbpeer.Server stops with exit 0 and no sanitizer
    report (servers for which skip(server) is true are left out)."""
    bad = []
    for s in servers:
        if skip and skip(s):
            continue
        code, report = s.stop()
        if code != 0 or report:
            bad.append("%s: exit %s %s" % (s.log_path, code, report or ""))
    if bad:
        print("not ok %d - every server exited 0 without sanitizer reports"
              % n)
        for b in bad:
            print("# " + b)
    else:
        print("ok %d - %d server processes exited 0 without sanitizer "
              "reports" % (n, len(servers)))


# --- polling --------------------------------------------------------------

def wait(cond, timeout=20, step=0.05):
    """Polls cond() every step seconds; its first true value, or its last."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


async def settle(pred, timeout=3):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        await asyncio.sleep(0.02)
    return pred()


async def relay_streams(r, w, tr, tw):
    """Copies r to tw and tr to w (asyncio streams) until each ends."""
    async def pipe(a, b):
        try:
            while True:
                d = await a.read(65536)
                if not d:
                    break
                b.write(d)
                await b.drain()
        except (ConnectionError, OSError):
            pass
        b.close()
    await asyncio.gather(pipe(r, tw), pipe(tr, w))


# --- ports, commands, files -----------------------------------------------

def free_port():
    """A TCP port of 127.0.0.1 in 20000-60000 that nobody has bound."""
    while True:
        p = random.randint(20000, 60000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            s.close()


def free_range(n):
    """A port of 127.0.0.1 whose n following ports are free too (a
    server's listener, its relay port and the relay's place ports)."""
    for _ in range(50):
        base = free_port()
        if base + n > 65535:
            continue
        socks = []
        try:
            for p in range(base, base + n + 1):
                t = socket.socket()
                t.bind(("127.0.0.1", p))
                socks.append(t)
            return base
        except OSError:
            pass
        finally:
            for t in socks:
                t.close()
    raise RuntimeError("no free port range")


def sh(cmd):
    """Runs a shell command; its output goes to diag() when it fails."""
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if r.returncode:
        diag("%s: %s%s" % (cmd, r.stdout, r.stderr))
    return r.returncode == 0


def write(path, text, parents=False):
    if parents:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# --- TCP: the place proxy's CONNECT, an echo target ----------------------

def read_head(s):
    """The bytes of an HTTP head from socket s up to its empty line, read
    one at a time so that nothing after it is taken; what came before
    EOF or an error otherwise."""
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            b = s.recv(1)
            if not b:
                break
            head += b
    except OSError:
        pass
    return head


def proxy_connect(port, target, src=None, timeout=10):
    """CONNECT target ("host:port") through the place proxy listening on
    127.0.0.1:port, from address src if given: (status, socket, head),
    status 0 when no status line came."""
    t = target.encode() if isinstance(target, str) else target
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (t, t))
    head = read_head(s)
    m = re.match(rb"HTTP/1\.[01] (\d+)", head)
    return (int(m.group(1)) if m else 0), s, head


def echo_server(port):
    """A TCP echo server on 127.0.0.1:port, in daemon threads; listening
    when this returns."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)

    def serve(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)

    def accept():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv


# --- serial lines (CDC-ACM board on dummy_hcd, gadget side ttyGS0) ---------

def raw(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def pass_bytes(src, dst, data, timeout=10):
    os.write(src, data)
    got = b""
    end = time.monotonic() + timeout
    while len(got) < len(data) and time.monotonic() < end:
        r, _, _ = select.select([dst], [], [], 0.2)
        if r:
            try:
                got += os.read(dst, 4096)
            except BlockingIOError:
                pass
    return got == data


def vhci_ports():
    """(port, status, local busid) of every vhci-hcd port, from the
    status files; status "004" is VDEV_ST_NULL, a free port."""
    rows = []
    for f in sorted(glob.glob("/sys/devices/platform/vhci_hcd.*/status*")):
        try:
            with open(f) as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 2 and cols[1].isdigit():
                rows.append((int(cols[1]), cols[2],
                             cols[6] if len(cols) > 6 else ""))
    return rows


def serial_round_trip(acm, gadget="/dev/ttyGS0"):
    """Bytes both ways between the agent's ttyACM and the board's tty."""
    a = g = -1
    try:
        a = raw(acm)
        g = raw(gadget)
        up = pass_bytes(a, g, b"nmb agent->board\n")
        down = pass_bytes(g, a, b"nmb board->agent\n")
        return up and down
    except OSError as e:
        diag("serial: %s" % e)
        return False
    finally:
        for fd in (a, g):
            if fd >= 0:
                os.close(fd)


# --- processes, certificates ------------------------------------------------

def sigterm(p, timeout):
    """SIGTERM to a subprocess.Popen: its exit status, or None when it
    had to be killed after timeout seconds."""
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return None


def no_sanitizer_report(log, name="no sanitizer report"):
    """A test that the log (a file opened "w+") holds no ASan or UBSan
    report; returns the log's text."""
    log.seek(0)
    text = log.read()
    ok("ERROR: AddressSanitizer" not in text and
       "runtime error" not in text, name)
    return text


def stop_checked(proc, log, what, timeout=20, name="exporter"):
    """The end of a daemon under test (a subprocess.Popen logging into
    log): SIGTERM if it still runs and a test named what that it exits 0,
    a test that its log holds no sanitizer report, and the log's tail
    when a test failed. Returns the log's text."""
    if proc.poll() is None:
        rc = sigterm(proc, timeout)
        ok(rc == 0, "%s (rc=%s)" % (what, rc))
    text = no_sanitizer_report(log, "no sanitizer report in the log")
    if tap.n_fail:
        diag("%s log:\n" % name + text[-6000:])
    return text


def finish(tmp):
    """summary(); the folder tmp is kept when a test failed (and said so),
    else removed. Returns the exit status."""
    rc = summary()
    if rc:
        print("# files kept in " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


def make_cert(key, crt, days=1):
    """A self-signed certificate for localhost and 127.0.0.1 (openssl);
    returns (crt, key)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", str(days),
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return crt, key


# --- the agent API's schemas -------------------------------------------------

def agent_api_schemas():
    """The JSON Schemas of Documentation/agent-api.rst, by :name: (e.g.
    "interface-status"), as jsonschema validators."""
    import json
    import jsonschema
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "Documentation", "agent-api.rst")
    schemas, name, body = {}, None, None
    for line in open(path).read().splitlines() + [""]:
        if body is not None:
            if line.strip() and not line.startswith("    "):
                schemas[name] = jsonschema.Draft7Validator(
                    json.loads("\n".join(body)))
                body = None
            else:
                body.append(line)
        if line.startswith("   :name: schema-"):
            name, body = line.split("schema-")[1].strip(), []
    return schemas
