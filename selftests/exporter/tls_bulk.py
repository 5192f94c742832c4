#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# tls_bulk.py - an agent's TLS tunnel through the relay ending as
# lib/tls_pump (and OpenSSL) ends one: NBYTES to an echo behind a CONNECT,
# then a close_notify alert and the FIN, while the echo is read back to
# its end. With kernel TLS on the relay that alert arrives at a splice();
# it must pass for the agent's EOF, so that the exporter's end and the
# echo see EOF and every byte comes back. Prints "STATUS BYTES_BACK
# INTACT(0/1)".
# Usage: tls_bulk.py HOST PORT TARGET CA_FILE NBYTES
import hashlib
import os
import socket
import ssl
import sys
import threading

def tls_bulk(host, port, target, cafile, nbytes, close_notify=True):
    """CONNECT over TLS, nbytes to an echo, then close_notify (as
    lib/tls_pump does at EOF) and FIN; (status, bytes back, intact).
    One TLS object over memory BIOs, so that the alert goes out while
    the reading goes on; lock: the writer and the reader share it."""
    raw = socket.create_connection((host, port), timeout=60)
    ctx = ssl.create_default_context(cafile=cafile)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=host)

    def flush():
        d = out.read()
        if d:
            raw.sendall(d)

    lock = threading.Lock()

    def feed():
        d = raw.recv(65536)
        with lock:
            if d:
                inc.write(d)
            else:
                inc.write_eof()
        return d

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            flush()
            feed()
    flush()
    tls.write(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
    flush()
    got = b""
    while b"\r\n\r\n" not in got:
        try:
            got += tls.read(65536)
        except ssl.SSLWantReadError:
            if not feed():
                return 0, 0, False
    head, rest = got.split(b"\r\n\r\n", 1)
    st = int(head.split()[1])
    if st != 200:
        return st, 0, False
    data = os.urandom(nbytes)
    h = hashlib.sha256()
    h.update(rest)
    n = [len(rest)]

    def take():
        """Reads what TLS has (under lock); False at its end."""
        d = tls.read(65536)
        h.update(d)
        n[0] += len(d)
        return bool(d)

    def reader():
        while True:
            try:
                with lock:
                    if not take():
                        return
            except ssl.SSLWantReadError:
                if not feed():
                    return
            except (ssl.SSLError, OSError):
                return      # close_notify, or a cut
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    for i in range(0, nbytes, 1 << 16):
        with lock:
            tls.write(data[i:i + (1 << 16)])
            d = out.read()
        raw.sendall(d)
    if close_notify:
        with lock:
            # unwrap() calls SSL_shutdown() twice, and the second one
            # drops the application data it finds: take it all first
            try:
                while take():
                    pass
            except ssl.SSLWantReadError:
                pass
            try:
                tls.unwrap()
            except ssl.SSLWantReadError:
                pass
            d = out.read()
        raw.sendall(d)
    raw.shutdown(socket.SHUT_WR)
    t.join(60)
    return st, n[0], (not t.is_alive() and
                      h.digest() == hashlib.sha256(data).digest())


if __name__ == "__main__":
    host, port, target, ca, n = sys.argv[1:6]
    st, back, intact = tls_bulk(host, int(port), target.encode(), ca, int(n))
    print(st, back, int(intact))
