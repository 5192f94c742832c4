#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# host_test.py - host-side TAP tests of nmb-exporter (no kernel module):
# the CONNECT proxy of wire note §6 against a fake hub, TCP relays, the
# allow-list, USB requests up to the point where nmb_watch would be
# needed (--test-without-nmb-watch), configuration errors.
#
# Usage: host_test.py EXPORTER_BINARY

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True     # no .pyc files next to the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_hub import FakeHub  # noqa: E402
import nmbtest  # noqa: E402
from nmbtest import diag, free_port, ok, tap  # noqa: E402

EXPORTER = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="nmb-exporter-test-")

HUB_PORT = free_port()
PLACE_PORT = free_port()
SEALED_PORT = free_port()
SINK_PORT = free_port()
SOURCE_PORT = free_port()
USB_TARGET = b"usb.not-my-board.localhost:3240"


def write_conf(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


CONF = write_conf("exporter.yaml", f"""\
server: ws://127.0.0.1:{HUB_PORT}
places:
  - name: rpi-3
    port: {PLACE_PORT}
    parts:
      - compatible: [raspberry-pi]
        usb:
          serial: {{usbid: "1-1"}}
        tcp:
          sink: {{host: 127.0.0.1, port: {SINK_PORT}}}
      - compatible: [bench-psu]
        tcp:
          source: {{host: localhost, port: {SOURCE_PORT}}}
  - name: sealed
    port: {SEALED_PORT}
    ip_fallback: false
    parts:
      - compatible: [bench-psu]
        tcp:
          sink: {{host: 127.0.0.1, port: {SINK_PORT}}}
""")


# --- TCP targets ----------------------------------------------------------

def sink_server():
    """Reads to EOF, answers the SHA-256 of what it got, closes."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", SINK_PORT))
    srv.listen(16)

    def serve(c):
        h = hashlib.sha256()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b)
        c.sendall(h.hexdigest().encode())
        c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def source_server():
    """Streams 1 MiB blocks until the peer goes away."""
    srv = socket.socket(socket.AF_INET6 if socket.has_ipv6 else
                        socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::" if srv.family == socket.AF_INET6 else "", SOURCE_PORT))
    srv.listen(16)
    block = os.urandom(1 << 20)

    def serve(c):
        try:
            while True:
                c.sendall(block)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


for fn in (sink_server, source_server):
    threading.Thread(target=fn, daemon=True).start()


# --- helpers --------------------------------------------------------------

def connect(src="127.0.0.1", dst="127.0.0.1", port=None):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((dst, port or PLACE_PORT))
    return s


def read_head(s):
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def status_of(head):
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def request(data, src="127.0.0.1", dst="127.0.0.1"):
    s = connect(src, dst)
    s.sendall(data)
    head, _ = read_head(s)
    s.close()
    return head


def connect_req(target):
    return b"CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: python-h11/0.14.0\r\n\r\n" % (target, target)


def connect_req_auth(target, secret):
    return b"CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: " \
        b"Bearer %s\r\nUser-Agent: nmb-agent\r\n\r\n" % (
            target, target, secret.encode())


def closed_without_reply(s, timeout=3):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


# --- configuration errors ---------------------------------------------------

def run_conf(text, name):
    path = write_conf(name, text)
    p = subprocess.run([EXPORTER, "-c", path], capture_output=True,
                       text=True, timeout=30)
    return path, p


def test_config():
    cases = [
        ("missing port", """\
server: ws://127.0.0.1:1
places:
  - name: a
    parts: []
""", ":3: key 'places[0]", "port"),
        ("bad usbid", """\
server: ws://127.0.0.1:1
places:
  - name: a
    port: 3000
    parts:
      - compatible: [x]
        usb:
          serial: {usbid: "1-0"}
""", ":8:", "places[0].parts[0].usb.serial.usbid"),
        ("unknown key", """\
server: ws://127.0.0.1:1
places:
  - name: a
    port: 3000
    prot: 4
    parts: []
""", ":5:", "prot"),
        ("port out of range", """\
server: ws://127.0.0.1:1
places:
  - name: a
    port: 70000
    parts: []
""", ":4:", "port"),
        ("duplicate busid", """\
server: ws://127.0.0.1:1
places:
  - name: a
    port: 3000
    parts:
      - compatible: [x]
        usb: {s: {usbid: "1-1"}}
  - name: b
    port: 3001
    parts:
      - compatible: [x]
        usb: {s: {usbid: "1-1"}}
""", ":8:", "exported twice"),
        ("tcp port not an integer", """\
server: ws://127.0.0.1:1
places:
  - name: a
    port: 3000
    parts:
      - compatible: [x]
        tcp: {t: {host: h, port: abc}}
""", ":7:", "places[0].parts[0].tcp.t.port"),
        ("place name with a space", """\
server: ws://127.0.0.1:1
places:
  - name: a b
    port: 3000
    parts: []
""", ":3:", "1 to 64 printable ASCII characters"),
        ("place name of 65 characters", """\
server: ws://127.0.0.1:1
places:
  - name: %s
    port: 3000
    parts: []
""" % ("x" * 65), ":3:", "65 bytes long"),
    ]
    for i, (what, text, line, key) in enumerate(cases):
        path, p = run_conf(text, "bad%d.yaml" % i)
        good = (p.returncode != 0 and (path + line) in p.stderr and
                key in p.stderr and "CONNECT proxy" not in p.stderr)
        if not ok(good, "config error reported with file:line:key: " + what):
            diag(p.stderr)
    p = subprocess.run([EXPORTER, "-c", os.path.join(TMP, "none.yaml")],
                       capture_output=True, text=True, timeout=30)
    ok(p.returncode != 0 and "none.yaml" in p.stderr,
       "missing configuration file reported")
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "../../Documentation/examples/exporter.yaml")
    if os.path.exists(example):
        p = subprocess.run([EXPORTER, "--check", "-c", example],
                           capture_output=True, text=True, timeout=30)
        if not ok(p.returncode == 0 and "configuration OK" in p.stdout,
                  "Documentation/examples/exporter.yaml passes --check"):
            diag(p.stdout + p.stderr)
    p = subprocess.run([EXPORTER, "-c", CONF], capture_output=True,
                       text=True, timeout=30)
    if not ok(p.returncode != 0 and
              "nmb_watch is not loaded: run 'modprobe nmb_watch'" in p.stderr
              and "CONNECT proxy" not in p.stderr,
              "USB place without nmb_watch: refuses to start, says what to do"):
        diag(p.stderr)


# --- TLS and token ----------------------------------------------------------

def make_cert(name):
    return nmbtest.make_cert(os.path.join(TMP, name + ".key"),
                             os.path.join(TMP, name + ".pem"), days=2)


def test_tls():
    import ssl
    try:
        crt, key = make_cert("hub")
        other, _ = make_cert("other")
    except (OSError, subprocess.CalledProcessError) as e:
        print("ok %d - # SKIP no openssl: %s" % (tap.n_test + 1, e))
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    port = free_port()
    hub = FakeHub(port, ssl=ctx, host="localhost")
    try:
        for ca, expect, what in ((crt, True, "wss with ca-file: registered,"
                                  " token sent as Bearer"),
                                 (other, False, "wss with the wrong CA: "
                                  "refused")):
            conf = write_conf("tls.yaml", f"""\
server: wss://localhost:{port}
token: s3cret-token-0123456789
tls:
  ca-file: {ca}
places:
  - name: tls-place
    port: {free_port()}
    parts: []
""")
            log = open(os.path.join(TMP, "tls.log"), "w+")
            p = subprocess.Popen([EXPORTER, "-c", conf], stdout=log,
                                 stderr=log)
            place = hub.wait_place("tls-place", 8 if expect else 4)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(20)
            h = hub.headers[-1] if hub.headers else {}
            if expect:
                good = (place is not None and h.get("authorization") ==
                        "Bearer s3cret-token-0123456789")
            else:
                good = place is None
            if not ok(good and rc == 0, what):
                log.seek(0)
                diag(log.read()[-2000:])
            hub.headers.clear()
    finally:
        hub.stop()


def test_unresolvable_hub():
    port = free_port()
    conf = write_conf("nohub.yaml", f"""\
server: ws://nmb-hub.invalid:2092
places:
  - name: lonely
    port: {port}
    parts: []
""")
    log = open(os.path.join(TMP, "nohub.log"), "w+")
    p = subprocess.Popen([EXPORTER, "-c", conf], stdout=log, stderr=log)
    end = time.time() + 10
    text = ""
    while time.time() < end and "cannot resolve" not in text:
        time.sleep(0.2)
        log.seek(0)
        text = log.read()
    t0 = time.time()
    try:
        status = status_of(request_to(port))
    except OSError:
        status = None
    p.send_signal(signal.SIGTERM)
    rc = p.wait(20)
    if not ok("cannot resolve nmb-hub.invalid" in text and status == 403
              and time.time() - t0 < 2 and rc == 0,
              "hub name that does not resolve: logged, retried, the proxy "
              "keeps answering"):
        diag(text[-2000:])


def test_fd_exhaustion(hub):
    """Out of fds: accept pauses instead of spinning; it recovers."""
    port = free_port()
    conf = write_conf("fds.yaml", f"""\
server: ws://127.0.0.1:{HUB_PORT}
places:
  - name: tight
    port: {port}
    parts:
      - compatible: [x]
        tcp:
          sink: {{host: 127.0.0.1, port: {SINK_PORT}}}
""")
    log = open(os.path.join(TMP, "fds.log"), "w+")
    p = subprocess.Popen(["prlimit", "--nofile=64:64", EXPORTER, "-c", conf],
                         stdout=log, stderr=log)
    try:
        if not hub.wait_place("tight", 10):
            ok(False, "fd exhaustion: place registered")
            return
        hub.set_allowed_ips("tight", ["127.0.0.1"])
        # Idle connections: each costs the exporter exactly one fd (its
        # accepted socket), so accept4() itself must hit EMFILE; tunnels
        # would spend fds on sinks and fail there first, by chance.
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5)
                 for _ in range(80)]
        time.sleep(1)
        with open("/proc/%d/stat" % p.pid) as f:
            t0 = sum(int(x) for x in f.read().split()[13:15])
        time.sleep(1)
        with open("/proc/%d/stat" % p.pid) as f:
            t1 = sum(int(x) for x in f.read().split()[13:15])
        for s in socks:
            s.close()
        time.sleep(1.5)
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(connect_req(b"127.0.0.1:%d" % SINK_PORT))
        head, _ = read_head(s)
        s.close()
        log.seek(0)
        text = log.read()
        if not ok("pausing new connections" in text and t1 - t0 < 50 and
                  status_of(head) == 200 and p.poll() is None,
                  "out of fds: accept pauses (cpu %d ticks/s), recovers"
                  % (t1 - t0)):
            diag(text[-2000:])
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(20)


def test_request_deadline():
    """Slowloris: a head never completed is answered 408, a USB tunnel
    without its OP_REQ_IMPORT is closed (PROXY_REQUEST_TIMEOUT_MS, 10 s)."""
    silent, dripping, usb = connect(), connect(), connect()
    dripping.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost:" % SINK_PORT)
    usb.sendall(connect_req(USB_TARGET))
    usb_head, _ = read_head(usb)
    t0 = time.monotonic()
    for s in (silent, dripping, usb):
        s.settimeout(30)
    for i in range(5):      # bytes keep coming, the deadline stays
        time.sleep(1)
        dripping.sendall(b" ")
    heads = [read_head(s)[0] for s in (silent, dripping)]
    ok([status_of(h) for h in heads] == [408, 408],
       "no complete head within the deadline: 408 (%s)" % heads)
    ok(status_of(usb_head) == 200 and closed_without_reply(usb, 30),
       "USB tunnel without OP_REQ_IMPORT: closed")
    diag("request deadline hit after %.1f s" % (time.monotonic() - t0))
    for s in (silent, dripping, usb):
        s.close()


def is_cut(s, timeout=5):
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(1 << 16):
                return True
    except (ConnectionResetError, socket.timeout):
        return False


def test_secrets(hub):
    """Per-reservation secrets (protocol.rst): the grant's secret lets in
    whoever sends it, from any address; without it, or with another one,
    403; grants without a secret fall back to the IP unless the place
    says ip_fallback: false."""
    sink = b"127.0.0.1:%d" % SINK_PORT
    src = b"localhost:%d" % SOURCE_PORT
    s1, s2 = "A" * 22 + "b-_9" + "c" * 17, "Z" * 43
    r = hub.set_allowed_ips("rpi-3", ["127.0.0.1"], "short")
    ok("error" in r and "secret" in r["error"]["message"],
       "set_allowed_ips with a malformed secret: error")
    r = hub.set_allowed_ips("rpi-3", ["127.0.0.1"], s1)
    ok(r.get("result", "x") is None, "set_allowed_ips(ips, secret): null")
    ok(status_of(request(connect_req_auth(sink, s1))) == 200,
       "right secret: 200")
    ok(status_of(request(connect_req_auth(sink, s1),
                         src="127.0.0.2")) == 200,
       "right secret from another address (NAT, relay): 200")
    ok(status_of(request(connect_req_auth(sink, s2))) == 403,
       "wrong secret from the holder's own IP: 403")
    ok(status_of(request(connect_req(sink))) == 403,
       "no secret though the grant has one, holder's IP: 403")
    ok(status_of(request(connect_req_auth(sink, s1[:-1]))) == 403,
       "secret one character short: 403")
    # a tunnel let in by the secret lives as long as that grant
    t = connect("127.0.0.2")
    t.sendall(connect_req_auth(src, s1))
    head, _ = read_head(t)
    t.recv(1 << 16)
    hub.set_allowed_ips("rpi-3", ["127.0.0.1"], s1)
    t.settimeout(2)
    try:
        alive = len(t.recv(1 << 16)) > 0
    except OSError:
        alive = False
    ok(status_of(head) == 200 and alive,
       "the same grant sent again (a resume): its tunnel keeps running")
    hub.set_allowed_ips("rpi-3", ["127.0.0.1"], s2)
    ok(is_cut(t), "a new grant (new secret, same IP): the old tunnel is cut")
    t.close()
    ok(status_of(request(connect_req_auth(sink, s1))) == 403,
       "the previous grant's secret: 403")
    # grants without a secret: not-my-board 0.13 holders, by IP
    t = connect()
    t.sendall(connect_req_auth(src, s2))
    read_head(t)
    hub.set_allowed_ips("rpi-3", ["127.0.0.1"])
    ok(is_cut(t), "grant without a secret: tunnels let in by secret cut")
    t.close()
    ok(status_of(request(connect_req(sink))) == 200,
       "grant without a secret: IP fallback, 200")
    ok(status_of(request(connect_req_auth(sink, s2))) == 403,
       "grant without a secret, a stale secret sent: 403")
    ok(status_of(request(connect_req(sink), src="127.0.0.2")) == 403,
       "grant without a secret, other IP: 403")
    # ip_fallback: false
    if not ok(hub.wait_place("sealed") is not None, "place 'sealed' up"):
        return
    hub.set_allowed_ips("sealed", ["127.0.0.1"])
    s = connect(port=SEALED_PORT)
    s.sendall(connect_req(sink))
    head, _ = read_head(s)
    s.close()
    ok(status_of(head) == 403, "ip_fallback: false, IP-only grant: 403")
    hub.set_allowed_ips("sealed", ["127.0.0.1"], s1)
    s = connect(port=SEALED_PORT)
    s.sendall(connect_req_auth(sink, s1))
    head, _ = read_head(s)
    s.close()
    ok(status_of(head) == 200, "ip_fallback: false, right secret: 200")
    hub.set_allowed_ips("sealed", [])
    hub.set_allowed_ips("rpi-3", ["127.0.0.1"])


def test_outbound_proxy(hub):
    """proxy: in exporter.yaml: the hub connection goes through the
    CONNECT proxy; with the proxy gone, the log names it."""
    pport, port = free_port(), free_port()
    here = os.path.dirname(os.path.abspath(__file__))
    cp = subprocess.Popen([sys.executable, os.path.join(
        here, "..", "lib", "connect_proxy.py"), "127.0.0.1", str(pport)],
        stdout=subprocess.PIPE, text=True)
    ok(cp.stdout.readline().strip() == "ready", "CONNECT proxy up")
    conf = write_conf("proxied.yaml", f"""\
server: ws://127.0.0.1:{HUB_PORT}
proxy: http://127.0.0.1:{pport}
places:
  - name: behind-proxy
    port: {port}
    parts:
      - compatible: [bench-psu]
        tcp:
          sink: {{host: 127.0.0.1, port: {SINK_PORT}}}
""")
    log = open(os.path.join(TMP, "proxied.log"), "w+")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               http_proxy="http://127.0.0.1:1", no_proxy="")
    proc = subprocess.Popen([EXPORTER, "-c", conf, "-v",
                             "--test-without-nmb-watch"],
                            stderr=log, stdout=log, env=env)
    try:
        place = hub.wait_place("behind-proxy", 15)
        ok(place is not None, "registered through the proxy: key's proxy")
        line = cp.stdout.readline().strip()
        ok(line == "CONNECT 127.0.0.1:%d" % HUB_PORT,
           "the proxy saw CONNECT to the hub: %r" % line)
        cp.terminate()
        cp.wait(10)
        try:    # the proxy's end may have closed it already
            hub.drop("behind-proxy")
        except Exception:
            pass
        want = "through proxy http://127.0.0.1:%d (proxy:)" % pport
        text = ""
        for _ in range(100):
            log.seek(0)
            text = log.read()
            if want in text:
                break
            time.sleep(0.1)
        ok(want in text, "proxy gone: the log names it")
    finally:
        if cp.poll() is None:
            cp.kill()
            cp.wait()
        rc = nmbtest.sigterm(proc, 20)
        ok(rc == 0, "proxied exporter: clean exit (rc=%s)" % rc)
        nmbtest.no_sanitizer_report(log,
                                    "proxied exporter: no sanitizer report")


def request_to(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    head, _ = read_head(s)
    s.close()
    return head


# --- the running exporter ---------------------------------------------------

def main():
    print("TAP version 13", flush=True)
    test_config()
    test_tls()
    test_unresolvable_hub()

    hub = FakeHub(HUB_PORT)
    log = open(os.path.join(TMP, "exporter.log"), "w+")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
    proc = subprocess.Popen([EXPORTER, "-c", CONF, "-v",
                             "--test-without-nmb-watch"],
                            stderr=log, stdout=log, env=env)
    try:
        run(hub, proc)
    finally:
        text = nmbtest.stop_checked(proc, log,
                                    "SIGTERM: clean exit, no ASan/LSan report")
        ok("A" * 22 + "b-_9" not in text and "Z" * 43 not in text,
           "no secret in the exporter's log")
        hub.stop()
    sys.exit(nmbtest.finish(TMP))


def run(hub, proc):
    place = hub.wait_place("rpi-3")
    if not ok(place is not None, "place registered at the hub"):
        return
    test_fd_exhaustion(hub)
    ws, desc, pid = place
    expect = {"name": "rpi-3", "port": PLACE_PORT, "parts": [
        {"compatible": ["raspberry-pi"], "usb": {"serial": {"usbid": "1-1"}},
         "tcp": {"sink": {"host": "127.0.0.1", "port": SINK_PORT}}},
        {"compatible": ["bench-psu"], "usb": {},
         "tcp": {"source": {"host": "localhost", "port": SOURCE_PORT}}}]}
    if not ok(desc == expect, "register_place sends the §5 wire form"):
        diag(json.dumps(desc))
    h = hub.headers[-1]
    ok("sec-websocket-protocol" not in h and
       "sec-websocket-extensions" not in h and "upgrade" in h,
       "no WebSocket subprotocol or extension offered")

    # nobody allowed yet
    ok(status_of(request(connect_req(b"127.0.0.1:%d" % SINK_PORT))) == 403,
       "empty allow-list: 403")
    r = hub.set_allowed_ips("rpi-3", ["127.0.0.1", "::ffff:127.0.0.3"])
    ok(r.get("result", "x") is None, "set_allowed_ips answers null")
    r = hub.set_allowed_ips("rpi-3", ["127.0.0.1", "not-an-ip"])
    ok("error" in r and "not-an-ip" in r["error"]["message"],
       "set_allowed_ips with an invalid IP: error")
    r = hub.set_allowed_ips("rpi-3", ["127.0.0.1", "::ffff:127.0.0.3"])

    s = connect("127.0.0.2")
    head, _ = read_head(s)
    s.close()
    ok(status_of(head) == 403, "403 for a non-allowed IP before any byte")
    ok(status_of(request(connect_req(b"127.0.0.1:%d" % SINK_PORT),
                         src="127.0.0.3")) == 200,
       "IPv4-mapped entry of the allow-list matches the plain IPv4 peer")

    head = request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    ok(status_of(head) == 405 and b"\r\nAllow: CONNECT\r\n" in head,
       "GET: 405 with Allow: CONNECT")
    ok(status_of(request(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n"
                         % SINK_PORT)) == 400,
       "HTTP/1.1 without Host: 400")
    ok(status_of(request(b"CONNECT\r\n\r\n")) == 400,
       "malformed request line: 400")
    s = connect()
    try:
        s.sendall(b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 17000)
    except OSError:
        pass
    head, _ = read_head(s)
    s.close()
    ok(status_of(head) == 431, "head over 16 KiB: 431")
    ok(status_of(request(b"\x16\x03\x01\x00\x05hello\r\n\r\n")) == 400,
       "binary garbage (TLS hello): 400")
    test_request_deadline()
    s = connect()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in connect_req(b"127.0.0.1:%d" % SINK_PORT):
        s.sendall(bytes([b]))
        time.sleep(0.001)
    head, _ = read_head(s)
    s.close()
    ok(status_of(head) == 200, "head sent one byte at a time: 200")
    ok(status_of(request(connect_req(b"127.0.0.1:22"))) == 403,
       "target not exported: 403")
    ok(status_of(request(connect_req(b"127.0.0.1:%d " % SINK_PORT))) in
       (400, 403), "target compared byte for byte")
    head = request(connect_req(b"127.0.0.1:%d" % SINK_PORT))
    ok(head.startswith(b"HTTP/1.1 200 \r\n") and
       b"Connection: close" in head and b"Date: " in head,
       "200 with an empty reason phrase, Date and Connection: close")

    # TCP relay, 100 MB with early bytes
    s = connect()
    data = os.urandom(1 << 20)
    total = 100 * (1 << 20)
    h = hashlib.sha256()
    t0 = time.time()
    s.sendall(connect_req(b"127.0.0.1:%d" % SINK_PORT) + data[:1000])
    h.update(data[:1000])
    sent = 1000
    head, rest = read_head(s)
    ok(status_of(head) == 200 and rest == b"", "TCP tunnel: 200")
    while sent < total:
        n = min(len(data), total - sent)
        s.sendall(data[:n])
        h.update(data[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    s.settimeout(60)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    ok(got.decode() == h.hexdigest(),
       "TCP relay: 100 MB plus early bytes, SHA-256 matches, half-close "
       "passed on (%.1f s)" % (time.time() - t0))

    # downstream through a name resolved at connect time, over IPv6
    hub.set_allowed_ips("rpi-3", ["127.0.0.1", "::1", "127.0.0.2"])
    s = connect("::1", "::1")
    s.sendall(connect_req(b"localhost:%d" % SOURCE_PORT))
    head, rest = read_head(s)
    n = len(rest)
    while n < 20 * (1 << 20):
        b = s.recv(1 << 20)
        if not b:
            break
        n += len(b)
    ok(status_of(head) == 200 and n >= 20 * (1 << 20),
       "IPv6 peer, target by name: 20 MiB relayed downstream")

    # allow-list cut during a transfer
    keep = connect("127.0.0.2")
    keep.sendall(connect_req(b"localhost:%d" % SOURCE_PORT))
    khead, _ = read_head(keep)
    keep.recv(1 << 16)
    t0 = time.time()
    hub.set_allowed_ips("rpi-3", ["127.0.0.2"])
    s.settimeout(5)
    cut = False
    try:
        while time.time() - t0 < 5:
            if not s.recv(1 << 20):
                cut = True
                break
    except (ConnectionResetError, socket.timeout):
        cut = True
    s.close()
    ok(cut and time.time() - t0 < 3,
       "allow-list cut: the running tunnel of the removed IP ends at once")
    got = 0
    keep.settimeout(5)
    try:
        while got < 4 * (1 << 20):
            b = keep.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except OSError:
        pass
    keep.close()
    ok(status_of(khead) == 200 and got >= 4 * (1 << 20),
       "a tunnel from an IP still allowed keeps running")
    ok(status_of(request(connect_req(b"127.0.0.1:%d" % SINK_PORT))) == 403,
       "removed IP gets 403 afterwards")
    hub.set_allowed_ips("rpi-3", ["127.0.0.1", "127.0.0.2"])

    # connect failure after the 200
    s = connect()
    s.sendall(connect_req(b"127.0.0.1:%d" % SINK_PORT))
    head, _ = read_head(s)
    s.close()

    # USB tunnels (no device can get ready without nmb_watch)
    s = connect()
    s.sendall(connect_req(USB_TARGET))
    head, _ = read_head(s)
    ok(status_of(head) == 200, "USB tunnel: 200")
    s.sendall(b"\x01\x11\x80\x05" + b"\0" * 36)
    ok(closed_without_reply(s), "malformed OP_REQ_IMPORT (DEVLIST code): "
       "closed without a reply")
    s.close()
    s = connect()
    s.sendall(connect_req(USB_TARGET))
    read_head(s)
    s.sendall(b"\x01\x11\x80\x03\0\0\0\0" + b"x" * 32)
    ok(closed_without_reply(s), "busid without NUL: closed without a reply")
    s.close()
    s = connect()
    s.sendall(connect_req(USB_TARGET))
    read_head(s)
    s.sendall(b"\x01\x11\x80\x03\0\0\0\0" + b"2-7".ljust(32, b"\0"))
    ok(closed_without_reply(s), "busid not exported: closed without a reply")
    s.close()
    s = connect()
    s.sendall(connect_req(USB_TARGET) + b"\x01")
    head, _ = read_head(s)
    ok(status_of(head) is None, "early byte on a USB tunnel: closed, no 200")
    s.close()
    s = connect()
    s.sendall(connect_req(USB_TARGET))
    read_head(s)
    s.sendall(b"\x01\x11\x80\x03\0\0\0\0" + b"1-1".ljust(32, b"\0"))
    ok(not closed_without_reply(s, 1),
       "valid import of an absent device blocks")
    s.sendall(b"\x00")
    ok(closed_without_reply(s), "a byte while waiting closes the tunnel")
    s.close()
    s = connect()
    s.sendall(connect_req(USB_TARGET))
    read_head(s)
    s.sendall(b"\x01\x11\x80\x03\0\0\0\0" + b"1-1".ljust(32, b"\0"))
    time.sleep(0.3)
    hub.set_allowed_ips("rpi-3", ["127.0.0.2"])
    ok(closed_without_reply(s), "allow-list cut ends a waiting USB import")
    s.close()
    hub.set_allowed_ips("rpi-3", ["127.0.0.1"])

    test_secrets(hub)
    test_outbound_proxy(hub)

    # garbage and abrupt closes do not disturb the proxy
    for junk in (b"\0" * 100, b"\r\n" * 10 + b"CONNECT", os.urandom(5000)):
        s = connect()
        s.sendall(junk)
        s.close()
    ok(status_of(request(connect_req(b"127.0.0.1:%d" % SINK_PORT))) == 200,
       "still serving after junk and abrupt closes")

    # hub goes away: reconnect, re-register, allow-list kept
    old = hub.drop("rpi-3")
    ok(status_of(request(connect_req(b"127.0.0.1:%d" % SINK_PORT))) == 200,
       "hub gone: allow-list kept")
    place = hub.wait_place("rpi-3", timeout=15, not_ws=old)
    ok(place is not None and place[1] == expect,
       "reconnected and registered again")
    ok(proc.poll() is None, "exporter still running")


if __name__ == "__main__":
    main()
