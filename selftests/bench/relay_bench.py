#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# relay_bench.py - issue 13 on the host (selftests/bench/host-relay.sh):
# TCP throughput through nmb-exporter's proxy, direct and through
# nmb-server's relay (a dial_out place), side by side in each run over
# loopback; the server's CPU time per relayed GB (/proc/PID/stat utime +
# stime) and its read/write bytes (/proc/PID/io rchar, wchar) while it
# relays; and, in one run under strace -c, its splice() calls against
# read/write/recv/send ones: the proof that the relay copies nothing in
# user space. Prints "bench NAME median=... unit=..." lines.
#
# A second server, whose relay speaks TLS (tls.cert), with its own
# exporter, runs beside: the same transfer through it over TLS (agent
# and exporter data connection both TLS 1.2), its CPU time per GB and
# its read/write bytes per byte, and which path its connections took
# (nmb_relay_transport_total: ktls where the tls module is loaded, as in
# the QEMU guest; userspace_tls where it is not). NMB_BENCH_PREFIX is
# put before every row name (the guest run uses "guest_");
# NMB_BENCH_TLS_AGENT=0 keeps the bench's own connection plain (only the
# exporter's data connection is TLS).
#
# Usage: relay_bench.py SERVER EXPORTER RUNS MIB
import asyncio
import json
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from nmbtest import free_range, make_cert  # noqa: E402

SERVER, EXPORTER = sys.argv[1:3]
RUNS, MIB = int(sys.argv[3]), int(sys.argv[4])
TMP = tempfile.mkdtemp(prefix="nmb-relay-bench-")
CHUNK = 1 << 20
PREFIX = os.environ.get("NMB_BENCH_PREFIX", "")
CERT = None


def sink(srv):
    """Reads each connection to its end, then closes it."""
    while True:
        c, _ = srv.accept()

        def drain(c):
            buf = bytearray(CHUNK)
            try:
                while c.recv_into(buf):
                    pass
            except OSError:
                pass
            c.close()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        x = f.read().rsplit(")", 1)[1].split()
    return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")


def io(pid):
    out = {}
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v)
    return out


def send_through(place, target, nbytes):
    """MB/s of nbytes through a CONNECT tunnel to the sink (over TLS
    when the place is listed with relay_tls)."""
    s = socket.create_connection((place["host"], place["port"]), timeout=120)
    if place.get("relay_tls") and os.environ.get("NMB_BENCH_TLS_AGENT",
                                                 "1") == "1":
        s = ssl.create_default_context(cafile=CERT[0]).wrap_socket(
            s, server_hostname=place["host"])
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)
        if not d:
            raise RuntimeError("tunnel closed: %r" % head)
        head += d
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("tunnel refused: %r" % head)
    data = memoryview(bytearray(os.urandom(CHUNK)))
    t0 = time.monotonic()
    for _ in range(nbytes // CHUNK):
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):    # the sink closes once it read everything
        pass
    took = time.monotonic() - t0
    s.close()
    return nbytes / took / 1e6


def places(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/places" % port,
                                timeout=10) as r:
        return {p["name"]: p for p in json.loads(r.read())["places"]}


def bench(name, values, unit):
    v = sorted(values)
    print("bench %s%s median=%.6g min=%.6g max=%.6g n=%d unit=%s"
          % (PREFIX, name, statistics.median(v), v[0], v[-1], len(v), unit),
          flush=True)


async def reserve(port, ids):
    ws = await websockets.connect("ws://127.0.0.1:%d/ws" % port,
                                  ping_interval=None)
    for i, pid in enumerate(ids):
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": i + 1,
                                  "method": "reserve", "params": [[pid]]}))
        json.loads(await ws.recv())
    return ws


def strace_counts(pid, place, target, nbytes):
    """Syscall counts of the server while it relays nbytes once."""
    out = os.path.join(TMP, "strace.txt")
    st = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(pid)],
                          stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    send_through(place, target, nbytes)
    time.sleep(0.2)
    st.send_signal(2)
    st.wait(30)
    counts = {}
    with open(out) as f:
        for line in f:
            x = line.split()
            if len(x) >= 5 and re.match(r"^[\d.]+$", x[0]):
                counts[x[-1]] = int(x[3])
    return counts


def start_tls_pair(sport, logs):
    """A server with a TLS relay and an exporter with one dial-out
    place, "relayed_tls"; (server, exporter, hub port)."""
    global CERT
    CERT = make_cert(os.path.join(TMP, "s.key"), os.path.join(TMP, "s.crt"))
    base = free_range(3)
    scfg = os.path.join(TMP, "server-tls.yaml")
    with open(scfg, "w") as f:
        f.write("listen:\n  - {address: \"127.0.0.1:%d\", plain: true}\n"
                "tls: {cert: %s, key: %s}\n"
                # the reserving WebSocket sleeps while a slow (TCG)
                # transfer runs: no ping may drop it
                "ping_interval: 3600\n" % ((base,) + CERT))
    ecfg = os.path.join(TMP, "exporter-tls.yaml")
    with open(ecfg, "w") as f:
        f.write("""\
server: ws://127.0.0.1:%d
tls: {ca_file: %s}
state_dir: %s/tls
places:
  - name: relayed_tls
    dial_out: true
    parts:
      - compatible: [sink]
        tcp: {sink: {host: 127.0.0.1, port: %d}}
""" % (base, CERT[0], TMP, sport))
    os.makedirs(os.path.join(TMP, "tls"), exist_ok=True)
    srv = subprocess.Popen([SERVER, "-c", scfg], stderr=logs[0],
                           stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    exp = subprocess.Popen([EXPORTER, "-c", ecfg], stderr=logs[1],
                           stdout=subprocess.DEVNULL)
    return srv, exp, base


def transports(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=10) as r:
        return dict(re.findall(r'nmb_relay_transport_total\{transport="(\w+)"'
                               r'\} (\d+)', r.read().decode()))


def main():
    base = free_range(3)
    sink_srv = socket.socket()
    sink_srv.bind(("127.0.0.1", 0))
    sink_srv.listen(8)
    sport = sink_srv.getsockname()[1]
    threading.Thread(target=sink, args=(sink_srv,), daemon=True).start()
    direct_port = free_range(0)
    ecfg = os.path.join(TMP, "exporter.yaml")
    with open(ecfg, "w") as f:
        f.write("""\
server: ws://127.0.0.1:%d
state_dir: %s
places:
  - name: direct
    port: %d
    parts:
      - compatible: [sink]
        tcp: {sink: {host: 127.0.0.1, port: %d}}
  - name: relayed
    dial_out: true
    parts:
      - compatible: [sink]
        tcp: {sink: {host: 127.0.0.1, port: %d}}
""" % (base, TMP, direct_port, sport, sport))
    logs = [open(os.path.join(TMP, n), "w") for n in ("s.log", "e.log",
                                                       "st.log", "et.log")]
    pcfg = os.path.join(TMP, "server.yaml")
    with open(pcfg, "w") as f:
        f.write("ping_interval: 3600\n")   # as in start_tls_pair()
    srv = subprocess.Popen([SERVER, "-c", pcfg, "--listen",
                            "127.0.0.1:%d" % base],
                           stderr=logs[0], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    exp = subprocess.Popen([EXPORTER, "-c", ecfg], stderr=logs[1],
                           stdout=subprocess.DEVNULL)
    tsrv, texp, tbase = start_tls_pair(sport, logs[2:])
    try:
        run(base, srv, sport, tbase, tsrv)
    except Exception:
        for log in logs:
            log.flush()
            with open(log.name) as f:
                tail = f.read().splitlines()[-12:]
            print("# --- %s ---\n# " % os.path.basename(log.name) +
                  "\n# ".join(tail))
        raise
    finally:
        for p in (exp, srv, texp, tsrv):
            p.terminate()
            p.wait(20)


def wait_places(port, n):
    pl = {}
    end = time.time() + 20
    while time.time() < end and len(pl) < n:
        try:
            pl = places(port)
        except OSError:
            pass
        time.sleep(0.2)
    return pl


def relayed_once(srv, place, target, nbytes):
    """(MB/s, server CPU s per GB, server rchar + wchar per byte)."""
    c0, io0 = cpu_s(srv.pid), io(srv.pid)
    r = send_through(place, target, nbytes)
    c1, io1 = cpu_s(srv.pid), io(srv.pid)
    return r, (c1 - c0) / (nbytes / 1e9), (
        io1["rchar"] - io0["rchar"] + io1["wchar"] - io0["wchar"]) / nbytes


def run(base, srv, sport, tbase, tsrv):
    pl = wait_places(base, 2)
    tpl = wait_places(tbase, 1)
    if len(pl) < 2 or not tpl:
        print("# relay bench: the places did not register; no rows")
        return
    loop = asyncio.new_event_loop()
    ws = loop.run_until_complete(reserve(base, [pl["direct"]["id"],
                                                pl["relayed"]["id"]]))
    tws = loop.run_until_complete(reserve(tbase,
                                          [tpl["relayed_tls"]["id"]]))
    target = b"127.0.0.1:%d" % sport
    nbytes = MIB * CHUNK
    direct, relayed, ratio, cpu, rchar = [], [], [], [], []
    trelayed, tratio, tcpu, trchar = [], [], [], []
    send_through(pl["relayed"], target, 16 * CHUNK)     # warm-up
    try:    # OpenSSL's first handshakes are slow under TCG: may 504
        send_through(tpl["relayed_tls"], target, 16 * CHUNK)
    except RuntimeError as e:
        print("# relay bench: TLS warm-up: %s; once more" % e)
        send_through(tpl["relayed_tls"], target, 16 * CHUNK)
    for _ in range(RUNS):
        d = send_through(pl["direct"], target, nbytes)
        r, c, rw = relayed_once(srv, pl["relayed"], target, nbytes)
        tr, tc, trw = relayed_once(tsrv, tpl["relayed_tls"], target, nbytes)
        direct.append(d)
        relayed.append(r)
        ratio.append(r / d)
        cpu.append(c)
        rchar.append(rw)
        trelayed.append(tr)
        tratio.append(tr / d)
        tcpu.append(tc)
        trchar.append(trw)
    print("# relay bench: %d runs of %d MiB each way, loopback" % (RUNS, MIB))
    bench("relay_tcp_direct", direct, "MB/s")
    bench("relay_tcp_relayed", relayed, "MB/s")
    bench("relay_tcp_ratio", ratio, "x")
    bench("relay_cpu_per_gb", cpu, "s")
    bench("relay_rwchar_per_byte", rchar, "bytes")
    t = transports(tbase)
    path = "ktls" if int(t.get("ktls", 0)) else "userspace_tls"
    print("# relay bench: TLS relay transports %s" % t)
    bench("relay_tls_tcp_relayed_%s" % path, trelayed, "MB/s")
    bench("relay_tls_tcp_ratio_%s" % path, tratio, "x")
    bench("relay_tls_cpu_per_gb_%s" % path, tcpu, "s")
    bench("relay_tls_rwchar_per_byte_%s" % path, trchar, "bytes")
    loop.run_until_complete(tws.close())
    counts = strace_counts(srv.pid, pl["relayed"], target, 64 * CHUNK)
    copies = sum(counts.get(k, 0) for k in ("read", "write", "recvfrom",
                                             "sendto", "recvmsg", "sendmsg",
                                             "readv", "writev"))
    print("# relay bench: strace -c of the server relaying 64 MiB: "
          + ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    bench("relay_splice_calls_64m", [counts.get("splice", 0)], "calls")
    bench("relay_copy_calls_64m", [copies], "calls")
    loop.run_until_complete(ws.close())


if __name__ == "__main__":
    main()
