# SPDX-License-Identifier: GPL-2.0
# config_test.py - the values of configuration files that one parser
# checks for every daemon (issue 17, defect 7): server URLs through
# lib/url (no ftp://, IPv6 in brackets, which work against a real
# nmb-server on [::1]), IPv6 TCP targets refused clearly, and paths that
# must look like paths ("socket: 5").
# Prints TAP.
# Usage: config_test.py BUILD_DIR WORKDIR   (BUILD_DIR: the ASan build)
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nmbtest  # noqa: E402
from nmbtest import ok, diag, free_port, wait  # noqa: E402

B, WORK = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1")
PLACE = """\
places:
  - name: v6
    port: %d
    parts:
      - compatible: [board]
        tcp:
          ssh: {host: 127.0.0.1, port: 22}
"""


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(cmd, timeout=30):
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def expect(cmd, want, name):
    """cmd must exit non-zero, its output holding every string of want."""
    try:
        rc, out = run(cmd)
    except subprocess.TimeoutExpired:
        rc, out = None, "(still running after 30 s)"
    good = rc is not None and rc > 0 and all(w in out for w in want) and \
        "Sanitizer" not in out
    ok(good, name)
    if not good:
        diag("exit %s, expected %r in:\n%s" % (rc, want, out[-1500:]))


def test_exporter_urls():
    conf = write("ftp.yaml", "server: ftp://hub.example/\n" + PLACE % 3000)
    expect([B + "/nmb-exporter", "-c", conf, "--check"],
           [conf + ":1: key 'server': 'ftp://hub.example/': expected ws://"],
           "nmb-exporter --check: server: ftp:// refused with FILE:LINE")
    conf = write("ok.yaml", "server: ws://hub.example\n" + PLACE % 3000)
    expect([B + "/nmb-exporter", "-c", conf, "--check", "--server",
            "ftp://h"], ["--server 'ftp://h': expected ws://"],
           "nmb-exporter --check --server ftp:// refused")
    conf = write("v6bare.yaml", "server: ws://::1:2092\n" + PLACE % 3000)
    expect([B + "/nmb-exporter", "-c", conf, "--check"],
           [conf + ":1: key 'server'", "IPv6 addresses go in brackets"],
           "nmb-exporter --check: an IPv6 address without brackets "
           "refused")
    for host in ("'[::1]'", "'::1'"):
        conf = write("tcp6.yaml", "server: ws://h\n" + PLACE.replace(
            "127.0.0.1", host) % 3000)
        expect([B + "/nmb-exporter", "-c", conf, "--check"],
               [conf + ":8: key 'places[0].parts[0].tcp.ssh.host'",
                "IPv6 addresses are not supported here"],
               "nmb-exporter --check: TCP target host %s refused clearly"
               % host)
    conf = write("v6.yaml", "server: ws://[::1]:2092/farm\n" + PLACE % 3000)
    rc, out = run([B + "/nmb-exporter", "-c", conf, "--check"])
    ok(rc == 0, "nmb-exporter --check: ws://[::1]:2092/farm accepted")
    if rc:
        diag(out)


def test_agent_config():
    conf = write("sock5.yaml", "socket: 5\n")
    expect([B + "/nmb-agent", "-c", conf, "--server", "ws://127.0.0.1:1"],
           [conf + ":1: key 'socket': expected a path", "got '5'"],
           "nmb-agent: socket: 5 refused with FILE:LINE")
    conf = write("sockname.yaml", "socket: agent.sock\ntls:\n"
                 "  ca-file: 7\n")
    expect([B + "/nmb-agent", "-c", conf, "--server", "ws://127.0.0.1:1"],
           [conf + ":1: key 'socket'", conf + ":3: key 'tls.ca-file'"],
           "nmb-agent: a socket and a ca-file without '/' refused")
    conf = write("aftp.yaml", "server: ftp://h\n")
    expect([B + "/nmb-agent", "-c", conf],
           [conf + ":1: key 'server': 'ftp://h': expected ws://"],
           "nmb-agent: server: ftp:// refused with FILE:LINE")
    expect([B + "/nmb-agent", "-c", "/dev/null", "--server", "ws://h:0"],
           ["server URL 'ws://h:0': the port is a number from 1 to 65535"],
           "nmb-agent: --server with port 0 refused")


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_ipv6():
    if not has_ipv6_loopback():
        for what in ("agent", "exporter"):
            print("ok - %s connects to ws://[::1] # SKIP no IPv6 "
                  "loopback" % what)
        return
    port = free_port()
    logs = {n: open(os.path.join(WORK, n + ".log"), "w+")
            for n in ("server", "agent", "exporter")}
    procs = [subprocess.Popen([B + "/nmb-server", "-c", "/dev/null",
                               "--listen", "[::1]:%d" % port],
                              stdout=subprocess.DEVNULL,
                              stderr=logs["server"], env=ENV)]
    url = "ws://[::1]:%d" % port
    try:
        procs.append(subprocess.Popen(
            [B + "/nmb-agent", "-c", "/dev/null", "--server", url,
             "--socket", os.path.join(WORK, "agent.sock"), "-v"],
            stdout=subprocess.DEVNULL, stderr=logs["agent"], env=ENV))
        conf = write("exp6.yaml", "server: %s\n" % url +
                     PLACE % free_port())
        procs.append(subprocess.Popen(
            [B + "/nmb-exporter", "-c", conf, "-v",
             "--test-without-nmb-watch"],
            stdout=logs["exporter"], stderr=logs["exporter"], env=ENV))

        def text(n):
            logs[n].seek(0)
            return logs[n].read()
        good = wait(lambda: "connected to server" in text("agent"), 20)
        ok(good, "nmb-agent connects to %s" % url)
        if not good:
            diag(text("agent")[-1500:])
        good = wait(lambda: "registered at the hub" in text("exporter"), 20)
        ok(good, "nmb-exporter registers its place at %s" % url)
        if not good:
            diag(text("exporter")[-1500:])
    finally:
        for p in reversed(procs):
            stop(p)
    for n, log in logs.items():
        nmbtest.no_sanitizer_report(log, "IPv6: no sanitizer report (%s)"
                                    % n)


def main():
    print("TAP version 13", flush=True)
    test_exporter_urls()
    test_agent_config()
    test_ipv6()
    return nmbtest.summary()


if __name__ == "__main__":
    sys.exit(main())
