# SPDX-License-Identifier: GPL-2.0
# nesting_test.py - deeply nested YAML against the daemons (issue 17,
# defect 1): a config nested 20,000 deep given to nmb-server and to
# nmb-exporter --check, and an import description of 25,000 '[' sent to
# nmb-agent's reserve. Each must answer FILE:LINE and carry on, never
# crash. Prints TAP.
# Usage: nesting_test.py BUILD_DIR WORKDIR
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nmbtest  # noqa: E402
from nmbtest import ok, diag, free_port, wait  # noqa: E402

B, WORK = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1")
DEEP = "[" * 25000 + "]" * 25000
NESTED_MSG = "nested more than 64 deep"


def deep_config(key):
    """key: followed by a map nested 20,000 deep, in flow style."""
    return "%s: %s1%s\n" % (key, "{a: " * 20000, "}" * 20000)


def run(cmd, name):
    log = os.path.join(WORK, name + ".log")
    with open(log, "w") as f:
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                           env=ENV, timeout=60)
    with open(log) as f:
        return p.returncode, f.read()


def refused(rc, text, where, name):
    """where: "FILE:LINE:" expected in the message."""
    good = (rc > 0 and where + " " in text and NESTED_MSG in text and
            "Sanitizer" not in text)
    ok(good, name)
    if not good:
        diag("exit %d, output:\n%s" % (rc, text[-2000:]))


def test_server():
    conf = os.path.join(WORK, "server-deep.yaml")
    with open(conf, "w") as f:
        f.write(deep_config("limits"))
    rc, text = run([B + "/nmb-server", "-c", conf], "server")
    refused(rc, text, conf + ":1:", "nmb-server: a config nested 20,000 deep is "
            "refused with FILE:LINE")


def test_exporter():
    conf = os.path.join(WORK, "exporter-deep.yaml")
    with open(conf, "w") as f:
        f.write("server: ws://127.0.0.1:1\n" + deep_config("places"))
    rc, text = run([B + "/nmb-exporter", "-c", conf, "--check"], "exporter")
    refused(rc, text, conf + ":2:", "nmb-exporter --check: a config nested 20,000 "
            "deep is refused with FILE:LINE")


def agent_call(sock, method, **params):
    """The answer to one request, or None if the agent gave none."""
    buf = b""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(20)
            s.connect(sock)
            s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1,
                                   "method": method,
                                   "params": params}) + "\n").encode())
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return json.loads(buf)
    except (OSError, ValueError) as e:
        diag("%s: %r after %d bytes" % (method, e, len(buf)))
        return None


def test_agent():
    port = free_port()
    srv_log = open(os.path.join(WORK, "agent-server.log"), "w")
    srv = subprocess.Popen([B + "/nmb-server", "-c", "/dev/null",
                            "--listen", "127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL, stderr=srv_log,
                           env=ENV)
    sock = os.path.join(WORK, "agent.sock")
    log_path = os.path.join(WORK, "agent.log")
    log = open(log_path, "w+")
    agent = subprocess.Popen([B + "/nmb-agent", "-c", "/dev/null",
                              "--server", "ws://127.0.0.1:%d" % port,
                              "--socket", sock, "-v"],
                             stdout=subprocess.DEVNULL, stderr=log, env=ENV)
    try:
        wait(lambda: "connected to server" in open(log_path).read() or
             agent.poll() is not None, timeout=20)
        msg = agent_call(sock, "reserve", name="deep",
                         import_description="parts: " + DEEP + "\n")
        err = (msg or {}).get("error", {})
        good = (err.get("data", {}).get("kind") == "invalid" and
                "deep.yaml:1: " in err.get("message", "") and
                NESTED_MSG in err.get("message", ""))
        ok(good, "nmb-agent: reserve with 25,000 nested '[' is refused "
           "with FILE:LINE")
        if not good:
            diag("answer: %.500r" % msg)
        ok(agent.poll() is None, "nmb-agent: still running after it")
        msg = agent_call(sock, "status") if agent.poll() is None else None
        good = bool(msg) and "result" in msg
        ok(good, "nmb-agent: still serves its socket (status answers)")
        if not good:
            diag("status: %.500r" % msg)
    finally:
        for p in (agent, srv):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if agent.returncode not in (0, None):
            diag("agent exit %s; log:\n%s" % (agent.returncode,
                                               open(log_path).read()[-2000:]))
    nmbtest.no_sanitizer_report(log, "nmb-agent: no sanitizer report")


def main():
    print("TAP version 13", flush=True)
    test_server()
    test_exporter()
    test_agent()
    return nmbtest.summary()


if __name__ == "__main__":
    sys.exit(main())
