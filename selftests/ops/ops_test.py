# SPDX-License-Identifier: GPL-2.0
"""ops_test.py - operations of the daemons and nmbctl, as TAP.

* --version of nmb-server, nmb-exporter, nmb-agent and nmbctl prints
  "PROGRAM VERSION" with the content of the file VERSION;
* --check of each daemon accepts its example, refuses an error with
  FILE:LINE: key, a missing file, and starts nothing;
* the old spellings ca-file and log-level are read, each with the warning
  "FILE:LINE: 'ca-file' is deprecated, use 'ca_file'"; both spellings at
  once are an error;
* a .toml configuration or import description is refused with the
  converter's command line (nmb-from-toml FILE > NEW.yaml);
* sd_notify: READY=1 and STATUS= lines, RELOADING=1 then READY=1 around
  the server's reload, WATCHDOG=1 again and again when WATCHDOG_USEC is
  set, STOPPING=1, all read from a fake NOTIFY_SOCKET;
* the system calls of the daemons (strace) are within their units'
  SystemCallFilter=;
* make bench's server step bounds each run of the load tool.

Usage: ops_test.py ASAN_BUILD_DIR [PLAIN_BUILD_DIR]
"""
import os
import re
import signal
import socket
import subprocess
import sys
import shutil
import tempfile
import threading
import time

sys.dont_write_bytecode = True
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "selftests", "lib"))
from nmbtest import ok, diag, summary, free_port, wait, sigterm  # noqa
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from syscalls import outside_filter, stop_traced  # noqa

B = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asan")
EX = os.path.join(ROOT, "Documentation", "examples")
DAEMONS = ("nmb-server", "nmb-exporter", "nmb-agent")
TMP = tempfile.mkdtemp(prefix="nmb-ops-")
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
ENV.pop("NOTIFY_SOCKET", None)
ENV.pop("WATCHDOG_USEC", None)
ENV.pop("WATCHDOG_PID", None)


def run(args, env=None, timeout=30):
    return subprocess.run(args, capture_output=True, text=True,
                          env=env or ENV, timeout=timeout)


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def show(r):
    for line in (r.stdout + r.stderr).splitlines()[-10:]:
        diag(line)


# Smallest valid configuration of each daemon, with room for one more key.
BASE = {
    "nmb-server": "grace: 5\n",
    "nmb-exporter": ("server: ws://127.0.0.1:1\n"
                     "places:\n"
                     "  - name: ops\n"
                     "    port: %d\n"
                     "    parts:\n"
                     "      - compatible: [ops]\n"
                     "        tcp:\n"
                     "          power: {host: 127.0.0.1, port: 9}\n"),
    "nmb-agent": "server: ws://127.0.0.1:1\n",
}


def base(daemon):
    text = BASE[daemon]
    return text % free_port() if "%d" in text else text


# --- --version ------------------------------------------------------------

def test_version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        version = f.read().strip()
    ok(re.fullmatch(r"\d+\.\d+(\.\d+)?([-~+][\w.]+)?", version) is not None,
       "VERSION holds a version (%s)" % version)
    # The Python package carries the same version.
    with open(os.path.join(ROOT, "python", "pyproject.toml")) as f:
        py = re.search(r'^version = "([^"]*)"', f.read(), re.M)
    with open(os.path.join(ROOT, "python", "nmb", "__init__.py")) as f:
        init = re.search(r'^__version__ = "([^"]*)"', f.read(), re.M)
    ok(py and init and py.group(1) == version and init.group(1) == version,
       "python/pyproject.toml and nmb.__version__ say VERSION (%s, %s)" %
       (py and py.group(1), init and init.group(1)))
    for prog in DAEMONS + ("nmbctl",):
        r = run([os.path.join(B, prog), "--version"])
        if not ok(r.returncode == 0 and r.stdout == "%s %s\n" %
                  (prog, version), "%s --version prints '%s %s'" %
                  (prog, prog, version)):
            show(r)


# --- --check ----------------------------------------------------------------

def test_check():
    for daemon in DAEMONS:
        exe = os.path.join(B, daemon)
        name = daemon.split("-")[1] + ".yaml"
        r = run([exe, "-c", os.path.join(EX, name), "--check"])
        if not ok(r.returncode == 0 and "configuration OK" in r.stdout,
                  "%s --check accepts Documentation/examples/%s" %
                  (daemon, name)):
            show(r)
        # line 2 of the file is the unknown key
        text = base(daemon)
        bad = write("bad-" + name, text[:text.index("\n") + 1] +
                    "bogus_key: 1\n" + text[text.index("\n") + 1:])
        r = run([exe, "-c", bad, "--check"])
        if not ok(r.returncode == 1 and
                  ("%s:2: key 'bogus_key'" % bad) in r.stderr and
                  "configuration OK" not in r.stdout,
                  "%s --check: exit 1 with FILE:LINE: key for an unknown key"
                  % daemon):
            show(r)
        missing = os.path.join(TMP, "missing-" + name)
        r = run([exe, "-c", missing, "--check"])
        if not ok(r.returncode == 1 and missing in r.stderr,
                  "%s --check: exit 1 naming a missing file" % daemon):
            show(r)
    # A good configuration is only checked: nothing listens, no socket.
    sock = os.path.join(TMP, "check.sock")
    r = run([os.path.join(B, "nmb-agent"), "-c",
             write("agent-ok.yaml", base("nmb-agent")), "--socket", sock,
             "--check"])
    ok(r.returncode == 0 and not os.path.exists(sock),
       "nmb-agent --check creates no control socket")
    port = free_port()
    r = run([os.path.join(B, "nmb-server"), "-c",
             write("server-ok.yaml", base("nmb-server")), "--listen",
             "127.0.0.1:%d" % port, "--check"])
    s = socket.socket()
    refused = s.connect_ex(("127.0.0.1", port)) != 0
    s.close()
    ok(r.returncode == 0 and refused,
       "nmb-server --check returns at once and listens nowhere")
    # The agent's --check also checks the server URL.
    r = run([os.path.join(B, "nmb-agent"), "-c",
             write("agent-url.yaml", "server: ftp:/x\n"), "--check"])
    ok(r.returncode == 1 and "ftp:/x" in r.stderr,
       "nmb-agent --check refuses a server URL it cannot use")


# --- old key spellings -------------------------------------------------------

def test_aliases():
    # nmb-agent checks at start that the CA bundle is a readable file
    ca = write("ca.pem", "not checked beyond being readable\n")
    for daemon in ("nmb-exporter", "nmb-agent"):
        exe = os.path.join(B, daemon)
        text = base(daemon) + "tls:\n  ca-file: %s\n" % ca + \
            "log-level: notice\n"
        n = len(base(daemon).splitlines())
        f = write("old-%s.yaml" % daemon, text)
        r = run([exe, "-c", f, "--check"])
        want = ["%s:%d: 'ca-file' is deprecated, use 'ca_file'" % (f, n + 2),
                "%s:%d: 'log-level' is deprecated, use 'log_level'" %
                (f, n + 3)]
        if not ok(r.returncode == 0 and all(w in r.stderr for w in want),
                  "%s: ca-file and log-level accepted, each with a warning "
                  "naming the new key" % daemon):
            show(r)
        # The old spelling is read, not ignored: a bad value is reported.
        f = write("oldbad-%s.yaml" % daemon, base(daemon) +
                  "log-level: loud\n")
        r = run([exe, "-c", f, "--check"])
        if not ok(r.returncode == 1 and
                  ("%s:%d: key 'log-level': expected" % (f, n + 1))
                  in r.stderr, "%s: the value of log-level is checked as "
                  "log_level's" % daemon):
            show(r)
        f = write("both-%s.yaml" % daemon, base(daemon) +
                  "tls:\n  ca_file: /a.pem\n  ca-file: /b.pem\n")
        r = run([exe, "-c", f, "--check"])
        if not ok(r.returncode == 1 and
                  ("%s:%d: key 'tls.ca-file': 'ca_file' is set too" %
                   (f, n + 3)) in r.stderr,
                  "%s: ca_file and ca-file together are an error" % daemon):
            show(r)
        f = write("new-%s.yaml" % daemon, base(daemon) +
                  "tls:\n  ca_file: %s\nlog_level: notice\n" % ca)
        r = run([exe, "-c", f, "--check"])
        if not ok(r.returncode == 0 and "deprecated" not in r.stderr,
                  "%s: ca_file and log_level accepted without a warning"
                  % daemon):
            show(r)
    # nmb-agent's check of the CA bundle finds the new spelling's key.
    f = write("ca-agent.yaml", base("nmb-agent") +
              "tls:\n  ca_file: /nonexistent/ca.pem\n")
    r = run([os.path.join(B, "nmb-agent"), "-c", f, "--check"])
    if not ok(r.returncode == 1 and ("%s:3: key 'tls.ca_file': cannot read"
                                     % f) in r.stderr,
              "nmb-agent: an unreadable ca_file is an error at its line"):
        show(r)
    f = write("old-server.yaml", "log-level: info\n")
    r = run([os.path.join(B, "nmb-server"), "-c", f, "--check"])
    if not ok(r.returncode == 0 and
              ("%s:1: 'log-level' is deprecated, use 'log_level'" % f)
              in r.stderr, "nmb-server: log-level accepted with a warning"):
        show(r)


# --- TOML -------------------------------------------------------------------

def test_toml():
    for daemon in DAEMONS:
        f = write(daemon + ".toml", "[server]\nurl = 'ws://x'\n")
        stem = f[:-len(".toml")]
        r = run([os.path.join(B, daemon), "-c", f, "--check"])
        if not ok(r.returncode == 1 and
                  ("nmb-from-toml %s > %s.yaml" % (f, stem)) in r.stderr,
                  "%s -c FILE.toml names the converter" % daemon):
            show(r)
    f = write("rpi.toml", "[[parts]]\ncompatible = ['rpi']\n")
    for cmd in ("reserve", "attach", "search"):
        r = run([os.path.join(B, "nmbctl"), "-s",
                 os.path.join(TMP, "none.sock"), cmd, f])
        if not ok(r.returncode == 2 and
                  ("nmb-from-toml %s > %s.yaml" % (f, f[:-5])) in r.stderr,
                  "nmbctl %s FILE.toml names the converter" % cmd):
            show(r)


# --- sd_notify --------------------------------------------------------------

class Notify:
    """A fake systemd: a datagram socket that collects notifications. A
    thread reads it at once, as systemd does: sd_notify() blocks when the
    socket's queue (10 datagrams) is full."""

    def __init__(self, name):
        self.path = os.path.join(TMP, name + ".notify")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.msgs = []
        self.lock = threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            data = self.s.recv(4096)
            with self.lock:
                self.msgs.extend(data.decode().splitlines())

    def poll(self):
        with self.lock:
            return list(self.msgs)

    def seen(self, pred, timeout=20):
        return wait(lambda: any(pred(m) for m in self.poll()), timeout)

    def count(self, msg):
        return sum(1 for m in self.poll() if m == msg)

    def env(self, watchdog_usec=None):
        env = dict(ENV, NOTIFY_SOCKET=self.path)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        return env


# Every process start() started, stopped by stop_started() on any exit.
STARTED = []


def start(args, env, log):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(TMP, log), "w"),
                         env=env)
    STARTED.append(p)
    return p


def stop_started():
    """Stops what start() started and still runs, with the daemons
    under strace: a failed or interrupted test leaves nothing behind."""
    for p in STARTED:
        if p.poll() is None and p.args[0] == "strace":
            stop_traced(p, 10)
        elif p.poll() is None:
            sigterm(p, 10)


def test_notify():
    n = Notify("server")
    port = free_port()
    url = "ws://127.0.0.1:%d" % port
    srv = start([os.path.join(B, "nmb-server"), "-c",
                 write("notify-server.yaml", base("nmb-server")),
                 "--listen", "127.0.0.1:%d" % port],
                n.env(watchdog_usec=400000), "notify-server.log")
    exp = agent = None
    try:
        ok(n.seen(lambda m: m == "READY=1"), "nmb-server: READY=1")
        ok(n.seen(lambda m: m == "STATUS=0 places registered, 0 reserved, "
                  "0 waiting"), "nmb-server: STATUS=0 places registered, "
           "0 reserved, 0 waiting")
        ok(wait(lambda: n.count("WATCHDOG=1") >= 3),
           "nmb-server: WATCHDOG=1 again and again with WATCHDOG_USEC set")
        ready = n.count("READY=1")
        srv.send_signal(signal.SIGHUP)
        ok(n.seen(lambda m: m == "RELOADING=1") and
           wait(lambda: n.count("READY=1") == ready + 1) and
           n.poll().index("RELOADING=1") < len(n.poll()) - 1 -
           n.poll()[::-1].index("READY=1"),
           "nmb-server: SIGHUP sends RELOADING=1, then READY=1")

        ne = Notify("exporter")
        exp = start([os.path.join(B, "nmb-exporter"), "-c",
                     write("notify-exporter.yaml", base("nmb-exporter")),
                     "--server", url, "--test-without-nmb-watch"],
                    ne.env(watchdog_usec=400000), "notify-exporter.log")
        ok(ne.seen(lambda m: m == "READY=1"), "nmb-exporter: READY=1")
        ok(ne.seen(lambda m: m == "STATUS=1 place: 1 registered, "
                   "0 reserved"),
           "nmb-exporter: STATUS=1 place: 1 registered, 0 reserved")
        ok(wait(lambda: ne.count("WATCHDOG=1") >= 3),
           "nmb-exporter: WATCHDOG=1 again and again")
        ok(n.seen(lambda m: m == "STATUS=1 place registered, 0 reserved, "
                  "0 waiting"),
           "nmb-server: STATUS follows: 1 place registered")

        na = Notify("agent")
        agent = start([os.path.join(B, "nmb-agent"), "-c",
                       write("notify-agent.yaml", "server: %s\n" % url),
                       "--socket", os.path.join(TMP, "agent.sock")],
                      na.env(watchdog_usec=400000), "notify-agent.log")
        ok(na.seen(lambda m: m == "READY=1"), "nmb-agent: READY=1")
        ok(na.seen(lambda m: m == "STATUS=connected, 0 reservations: "
                   "0 attached, 0 waiting"),
           "nmb-agent: STATUS=connected, 0 reservations: ...")
        ok(wait(lambda: na.count("WATCHDOG=1") >= 3),
           "nmb-agent: WATCHDOG=1 again and again")
        for name, p, nn in (("nmb-agent", agent, na),
                            ("nmb-exporter", exp, ne)):
            rc = sigterm(p, 15)
            ok(rc == 0 and nn.seen(lambda m: m == "STOPPING=1", 5),
               "%s: STOPPING=1 and exit 0 on SIGTERM" % name)
        agent = exp = None
    finally:
        for p in (agent, exp):
            if p:
                sigterm(p, 10)
        rc = sigterm(srv, 15)
    ok(rc == 0 and n.seen(lambda m: m == "STOPPING=1", 5),
       "nmb-server: STOPPING=1 and exit 0 on SIGTERM")
    # Without WATCHDOG_USEC there is no watchdog, but there is a status.
    n2 = Notify("server2")
    srv = start([os.path.join(B, "nmb-server"), "-c",
                 write("notify-server2.yaml", base("nmb-server")),
                 "--listen", "127.0.0.1:%d" % free_port()],
                n2.env(), "notify-server2.log")
    got = n2.seen(lambda m: m.startswith("STATUS="))
    sigterm(srv, 15)
    ok(got and n2.count("WATCHDOG=1") == 0,
       "nmb-server: no WATCHDOG=1 without WATCHDOG_USEC")
    for log in ("notify-server.log", "notify-exporter.log",
                "notify-agent.log", "notify-server2.log"):
        with open(os.path.join(TMP, log)) as f:
            text = f.read()
        if not ok("ERROR: AddressSanitizer" not in text and
                  "runtime error" not in text,
                  "%s: no sanitizer report" % log):
            diag(text[-2000:])


# --- system call filters of the units -----------------------------------------

def test_syscalls():
    """Every system call the daemons make while a place is registered,
    reserved, attached (a TCP tunnel carries bytes) and returned is in the
    SystemCallFilter= of their unit: with the filter, nothing they do on
    this path would fail with EPERM. Plain (not ASan) binaries, traced
    with strace -f; the USB/IP paths add only sysfs reads and writes."""
    plain = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else \
        os.path.dirname(B)
    if not shutil.which("strace") or not shutil.which("systemd-analyze"):
        ok(False, "system calls within the units' filters: strace and "
           "systemd-analyze are needed (make deps)")
        return
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(4)
    echo_port = echo.getsockname()[1]

    def serve_echo():
        while True:
            try:
                c, _ = echo.accept()
            except OSError:
                return
            data = c.recv(100)
            c.sendall(data)
            c.close()
    threading.Thread(target=serve_echo, daemon=True).start()
    port, proxy, local = free_port(), free_port(), free_port()
    url = "ws://127.0.0.1:%d" % port
    sock = os.path.join(TMP, "sys-agent.sock")
    exp_yaml = write("sys-exporter.yaml", (
        "server: %s\nplaces:\n  - name: sys\n    port: %d\n    parts:\n"
        "      - compatible: [sys]\n        tcp:\n"
        "          echo: {host: 127.0.0.1, port: %d}\n") %
        (url, proxy, echo_port))
    imp = write("sys.yaml", "parts:\n  p:\n    compatible: [sys]\n"
                "    tcp:\n      echo: {local_port: %d}\n" % local)
    procs = {}
    for name, args in (
            ("nmb-server", ["-c", write("sys-server.yaml", "grace: 1\n"),
                            "--listen", "127.0.0.1:%d" % port]),
            ("nmb-exporter", ["-c", exp_yaml]),
            ("nmb-agent", ["-c", write("sys-agent.yaml", "server: %s\n" %
                                       url), "--socket", sock])):
        log = os.path.join(TMP, "strace-%s.log" % name)
        procs[name] = (start(["strace", "-f", "-qq", "-o", log,
                              os.path.join(plain, name)] + args, ENV,
                             "sys-%s.log" % name), log)
        if name == "nmb-server":
            wait(lambda: socket.socket().connect_ex(("127.0.0.1", port))
                 == 0, 20)
    ctl = os.path.join(plain, "nmbctl")
    wait(lambda: os.path.exists(sock), 20)
    r = None
    for _ in range(20):
        r = run([ctl, "-s", sock, "attach", imp], timeout=60)
        if r.returncode == 0:
            break
        time.sleep(0.5)
    got = b""
    if r.returncode == 0:
        c = socket.create_connection(("127.0.0.1", local), timeout=10)
        c.sendall(b"ping")
        got = c.recv(100)
        c.close()
    ok(r.returncode == 0 and got == b"ping",
       "system calls: the traced farm attaches and tunnels TCP")
    if r.returncode:
        show(r)
    run([ctl, "-s", sock, "detach"], timeout=60)
    for name in ("nmb-agent", "nmb-exporter", "nmb-server"):
        stop_traced(procs[name][0], 20)
    echo.close()
    for name, unit in (("nmb-server", "nmb-server.service"),
                       ("nmb-exporter", "nmb-exporter.service"),
                       ("nmb-agent", "nmb-agent.service")):
        used, outside = outside_filter(procs[name][1], unit)
        if not ok(len(used) > 20 and not outside,
                  "%s: its %d system calls are all in %s's "
                  "SystemCallFilter" % (name, len(used), unit)):
            diag("outside the filter: %s" % " ".join(outside))


# --- make bench: a hanging load tool ---------------------------------------

def test_bench_timeout():
    """selftests/bench/host-server.sh bounds each run of the load tool: a
    fake one that prints two lines and hangs is killed, with the process
    it started, and reported as a failed run with its last lines."""
    marker = "ops-fake-load-%d" % os.getpid()
    fake = write("load", "#!/bin/bash\necho 'step 1: %s'\n"
                 "echo 'idle: connecting'\nexec -a %s sleep 600 &\n"
                 "wait\n" % (marker, marker))
    os.chmod(fake, 0o755)
    env = dict(ENV, NMB_BENCH_LOAD=fake, NMB_BENCH_SERVER="/bin/true",
               NMB_BENCH_RUNS="2", NMB_BENCH_LOAD_TIMEOUT="2")
    try:
        r = run([os.path.join(ROOT, "selftests/bench/host-server.sh")],
                env=env, timeout=120)
    except subprocess.TimeoutExpired:
        ok(False, "bench host-server.sh bounds a hanging load tool")
        subprocess.run(["pkill", "-f", marker])
        return
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True,
                          text=True).stdout.split()
    if not ok(r.returncode == 0 and
              r.stdout.count("hung, killed after 2 s") == 2 and
              ("#   step 1: %s" % marker) in r.stdout and
              "2 of 2 load runs failed" in r.stdout and not left,
              "bench host-server.sh bounds a hanging load tool: each run "
              "killed and reported with its last lines"):
        show(r)
        diag("left running: %s" % left)


def main():
    # SIGTERM (run_all.sh's timeout) unwinds through the finally below.
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    print("TAP version 13", flush=True)
    try:
        test_version()
        test_check()
        test_aliases()
        test_toml()
        test_notify()
        test_syscalls()
        test_bench_timeout()
    finally:
        stop_started()
        subprocess.run(["rm", "-rf", TMP])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
