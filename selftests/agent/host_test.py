# SPDX-License-Identifier: GPL-2.0
# host_test.py - nmb-agent on the host, against a real nmb-server: the
# control socket API (Documentation/agent-api.rst), import description
# errors, matching, port conflicts, the queue, TCP forwarding through a
# fake exporter (a CONNECT proxy registered with a real WebSocket), and
# a clean stop. No vhci here: USB attach can only time out (the guest
# suite does the real thing). Prints TAP.
# Usage: host_test.py NMB_SERVER NMB_AGENT WORKDIR
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmbpeer import Peer, Server, SANITIZER_MARKS, free_port  # noqa: E402
from py_hub import PyHub, PlacesFront  # noqa: E402
import nmbtest  # noqa: E402
from nmbtest import check, collector  # noqa: E402
from connect_proxy import ConnectProxy  # noqa: E402

SERVER, AGENT, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
TESTS, test = collector()


SCHEMAS = nmbtest.agent_api_schemas()
CHECKED = {"list": 0, "status": 0}


def check_schema(method, result):
    """Every list()/status()/attach() answer matches agent-api.rst."""
    kind = "reservation" if method == "list" else "interface-status"
    check(isinstance(result, list), "%s: not a list: %r" % (method, result))
    for e in result:
        errs = [x.message for x in SCHEMAS[kind].iter_errors(e)]
        check(not errs, "%s: %s does not match the schema: %s" %
              (method, e, errs))
    CHECKED["list" if method == "list" else "status"] += len(result)


class Agent:
    def __init__(self, url, name="agent", config=None, wait=True,
                 env=None):
        self.sock = os.path.join(WORK, name + ".sock")
        self.log_path = os.path.join(WORK, name + ".log")
        self.log = open(self.log_path, "w")
        conf = "/dev/null"
        if config is not None:
            conf = os.path.join(WORK, name + ".yaml")
            with open(conf, "w") as f:
                f.write(config)
        env = dict(os.environ, **(env or {}))
        for k in [k for k, v in env.items() if v is None]:
            del env[k]      # None: unset
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(
            [AGENT, "-c", conf, "--server", url, "--socket",
             self.sock, "-v"], stderr=self.log, stdout=subprocess.DEVNULL,
            env=env)
        end = time.time() + 10
        while time.time() < end and not self.ready(wait):
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)

    def ready(self, connected):
        if not connected:       # the socket accepts (bound is not enough)
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                return True
            except OSError:
                return False
            finally:
                s.close()
        t = self.text()
        return "connected to server" in t or "has no hello" in t

    async def started(self, timeout=10):
        """Waits for the first connection without blocking the event
        loop, for a hub or proxy served by this test's own loop (made
        with wait=False). Returns self."""
        end = time.time() + timeout
        while time.time() < end and not self.ready(True):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.02)
        return self

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    async def open(self):
        r, w = await asyncio.open_unix_connection(self.sock,
                                                  limit=1 << 20)
        return r, w

    async def call(self, method, _timeout=10, conn=None, **params):
        r, w = conn or await self.open()
        w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                             "params": params}) + "\n").encode())
        await w.drain()
        line = await asyncio.wait_for(r.readline(), _timeout)
        if conn is None:
            w.close()
        msg = json.loads(line)
        return msg

    async def ok(self, method, **params):
        msg = await self.call(method, **params)
        check("result" in msg, "%s: %s" % (method, msg))
        if method in ("list", "status", "attach"):
            check_schema(method, msg["result"])
        return msg["result"]

    async def err(self, method, kind, **params):
        msg = await self.call(method, **params)
        check("error" in msg, "%s should fail: %s" % (method, msg))
        e = msg["error"]
        check(e["code"] == -32603 and e.get("data", {}).get("kind") == kind,
              "%s: expected kind %s: %s" % (method, kind, e))
        return e["message"]

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        bad = [l for l in self.text().splitlines()
               if any(m in l for m in SANITIZER_MARKS)]
        return self.proc.returncode, ("\n".join(bad) or None)


class Proxy:
    """A TCP proxy in front of the server whose connections can be cut."""

    async def start(self, port):
        self.target = port
        self.pairs = []
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def serve(self, r, w):
        tr, tw = await asyncio.open_connection("127.0.0.1", self.target)
        self.pairs.append((w, tw))
        await nmbtest.relay_streams(r, w, tr, tw)

    def cut(self):
        for w, tw in self.pairs:
            w.transport.abort()
            tw.transport.abort()
        self.pairs = []


class Exporter:
    """A fake exporter: registers a place and runs a CONNECT proxy."""

    def __init__(self, name, parts, secrets=False):
        self.name = name
        self.parts = parts
        self.allowed = []
        self.targets = []
        self.auths = []         # each CONNECT's Proxy-Authorization or None
        self.secrets = secrets  # asks the server for secrets (hello)
        self.server = None

    async def start(self, srv):
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        self.peer = await Peer.connect(srv.url())
        if self.secrets:
            await self.peer.call("hello", features=["secret"])
        self.id = await self.peer.call("register_place", {
            "name": self.name, "port": self.port, "parts": self.parts})
        return self

    async def serve(self, r, w):
        head = b""
        while b"\r\n\r\n" not in head:
            d = await r.read(1)
            if not d:
                w.close()
                return
            head += d
        target = head.split(b" ")[1].decode()
        self.targets.append(target)
        auth = None
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"proxy-authorization:"):
                auth = line.split(b":", 1)[1].strip().decode()
        self.auths.append(auth)
        allowed = self.peer.allowed[-1] if self.peer.allowed else []
        secret = self.peer.secrets[-1] if self.peer.secrets else None
        if "127.0.0.1" not in allowed or \
                (secret and auth != "Bearer " + secret):
            w.write(b"HTTP/1.1 403 \r\nConnection: close\r\n\r\n")
            w.close()
            return
        if target.startswith("usb."):
            w.close()   # a USB import this fake cannot serve
            return
        host, port = target.split(":")
        tr, tw = await asyncio.open_connection(host, int(port))
        w.write(b"HTTP/1.1 200 \r\nConnection: close\r\n\r\n")

        async def pipe(a, b):
            while True:
                d = await a.read(65536)
                if not d:
                    b.write_eof()
                    return
                b.write(d)
                await b.drain()
        await asyncio.gather(pipe(r, tw), pipe(tr, w))
        w.close()
        tw.close()

    async def stop(self):
        await self.peer.ws.close()
        self.server.close()


def board(tags=("rpi",), usb=("serial",), tcp=None):
    return {"compatible": list(tags),
            "usb": {u: {"usbid": "1-%d" % (i + 1)} for i, u in enumerate(usb)},
            "tcp": tcp or {}}


DESC = """parts:
  board:
    compatible: [rpi]
    usb:
      serial: {port_num: 3}
"""

S = {}


@test
async def bad_syntax(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="parts:\n  b:\n    compatible: [rpi\n")
    check(m.startswith("x.yaml:4:") and "YAML syntax" in m, m)


@test
async def missing_compatible(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="parts:\n  b:\n    usb: {}\n")
    check(m.startswith("x.yaml:2:") and "'parts.b'" in m and
          "compatible" in m, m)


@test
async def unknown_key(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="parts:\n  b:\n    compatible: [a]\n"
                    "    serial: {}\n")
    check("x.yaml:4:" in m and "'parts.b.serial'" in m and
          "unknown key" in m, m)


@test
async def bad_port_num(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="parts:\n  b:\n    compatible: [a]\n"
                    "    usb:\n      s: {port_num: 999}\n")
    check("x.yaml:5:" in m and "port_num" in m and "0 to 255" in m, m)


@test
async def bad_auto_return(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="auto_return: soon\nparts:\n  b:\n"
                    "    compatible: [a]\n")
    check("x.yaml:1:" in m and "auto_return" in m and "duration" in m, m)


@test
async def durations(a):
    # not-my-board's spellings: auto_return_time, 1h30m, 1w, 0 (never).
    for text, secs in [("auto_return_time: 1h30m", 5400),
                       ("auto_return: 1w", 604800),
                       ("auto_return: 2d12h", 216000),
                       ("auto_return_time: 0", None)]:
        await a.ok("reserve", name="dur", import_description=text + "\n"
                   + DESC)
        await a.ok("return_reservation", name="dur")
        line = [l for l in a.text().splitlines()
                if "dur: reserved place" in l][-1]
        want = "auto_return in %d s" % secs if secs else None
        check((want in line) if want else "auto_return" not in line,
              (text, line))
    for text in ["auto_return: 1h30", "auto_return: 30m1h",
                 "auto_return: 2x", "auto_return: 367d",
                 "auto_return: 1h\nauto_return_time: 1h"]:
        m = await a.err("reserve", "invalid", name="dur",
                        import_description=text + "\n" + DESC)
        check("dur.yaml:" in m and "auto_return" in m, (text, m))


@test
async def port_twice_in_one(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="parts:\n  b:\n    compatible: [a]\n"
                    "    usb:\n      s: {port_num: 1}\n  c:\n"
                    "    compatible: [a]\n    usb:\n      t: {port_num: 1}\n")
    check("port_num 1" in m and "b.s" in m and "c.t" in m, m)


@test
async def no_parts(a):
    m = await a.err("reserve", "invalid", name="x",
                    import_description="auto_return: 1h\n")
    check("parts" in m, m)


@test
async def missing_args(a):
    m = await a.err("reserve", "invalid", name="x")
    check("import_description" in m, m)


@test
async def unknown_reservation(a):
    for method in ("attach", "detach", "return_reservation",
                   "get_import_description", "get_reserved_place"):
        m = await a.err(method, "not-found", name="nope")
        check("nope" in m, m)


@test
async def search_all(a):
    places = await a.ok("search")
    names = sorted(p["name"] for p in places)
    check(names == ["lab-a", "lab-b", "twin"], names)
    check(all("stats" in p and "uniqueness" in p["stats"] for p in places),
          places)


@test
async def search_match(a):
    res = await a.ok("search", import_description=DESC)
    check(sorted(p["name"] for p in res) == ["lab-a", "twin"], res)


@test
async def search_bipartite(a):
    # Two imported parts with the same needs take two exported parts:
    # only "twin" has two.
    two = ("parts:\n  one:\n    compatible: [rpi]\n    usb:\n"
           "      serial: {port_num: 1}\n  two:\n    compatible: [rpi]\n"
           "    usb:\n      serial: {port_num: 2}\n")
    res = await a.ok("search", import_description=two)
    check([p["name"] for p in res] == ["twin"], res)
    # An imported part's interfaces must all be in one exported part.
    res = await a.ok("search", import_description=(
        "parts:\n  b:\n    compatible: [rpi]\n    usb:\n"
        "      serial: {port_num: 1}\n      jtag: {port_num: 2}\n"))
    check(res == [], res)
    # Tags are a subset: psu matches lab-b's psu part.
    res = await a.ok("search", import_description=(
        "parts:\n  p:\n    compatible: [psu]\n    tcp:\n"
        "      scpi: {local_port: 15025}\n"))
    check([p["name"] for p in res] == ["lab-b"], res)


@test
async def get_place_by_name(a):
    p = await a.ok("get_place_by_name", place_name="lab-b")
    check(p["name"] == "lab-b" and "stats" in p, p)
    m = await a.err("get_place_by_name", "not-found", place_name="nope")
    check("nope" in m, m)


@test
async def reserve_no_match(a):
    m = await a.err("reserve", "not-found", name="x",
                    import_description="parts:\n  b:\n    compatible: [zz]\n")
    check("'x'" in m, m)


@test
async def reserve_pinned_unknown(a):
    m = await a.err("reserve", "not-found", name="x", place_name="nope",
                    import_description=DESC)
    check("no place named 'nope'" in m, m)


@test
async def reserve_pinned_mismatch(a):
    m = await a.err("reserve", "not-found", name="x", place_name="lab-b",
                    import_description=DESC)
    check("lab-b" in m, m)


@test
async def reserve_pinned(a):
    await a.ok("reserve", name="demo", place_name="twin",
               import_description=DESC)
    lst = await a.ok("list")
    check(lst == [{"place": "demo", "place_name": "twin", "attached": False,
                   "reserved": True, "position": None, "waiting_s": None}],
          lst)
    text = await a.ok("get_import_description", name="demo")
    check(text == DESC, text)
    p = await a.ok("get_reserved_place", name="demo")
    check(p["name"] == "twin" and "stats" in p, p)
    res = await a.ok("get_reservations")
    check(len(res) == 1 and res[0]["place_name"] == "twin", res)
    # nmbctl who: the holder's machine and IP (server feature "hosts")
    check(res[0]["ip"] in ("127.0.0.1", "::ffff:127.0.0.1") and
          res[0]["host"] == socket.gethostname(), res)
    st = await a.ok("status")
    check(len(st) == 1 and st[0]["type"] == "USB" and st[0]["port"] == 3
          and st[0]["up"] is False and st[0]["attached"] is False, st)


@test
async def reserve_twice(a):
    m = await a.err("reserve", "conflict", name="demo",
                    import_description=DESC)
    check("demo" in m, m)


@test
async def port_conflict(a):
    m = await a.err("reserve", "conflict", name="other",
                    import_description=DESC)
    check("port_num 3" in m and "'other'" in m and "'demo'" in m, m)


@test
async def usb_attach_timeout(a):
    # No vhci-hcd on the host: the attach fails naming the interface.
    m = await a.err("attach", "timeout", name="demo", timeout=2)
    check("board" in m and "serial" in m, m)
    st = await a.ok("status")
    check(st[0]["attached"] is True and st[0]["up"] is False, st)
    check(await a.ok("detach", name="demo") is None, "detach")
    st = await a.ok("status")
    check(st[0]["attached"] is False, st)


@test
async def update_description(a):
    new = DESC.replace("port_num: 3", "port_num: 4")
    check(await a.ok("update_import_description", name="demo",
                     import_description=new) is None, "update")
    st = await a.ok("status")
    check(st[0]["port"] == 4, st)
    m = await a.err("update_import_description", "invalid", name="demo",
                    import_description="parts:\n  b:\n    compatible: [zz]\n")
    check("twin" in m, m)


@test
async def queue_and_withdraw(a):
    # twin is held by demo; a pinned reserve waits in the queue, hears
    # its position (reserve_progress), and list() shows it.
    r, w = await a.open()
    w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "reserve",
                         "params": {"name": "q", "place_name": "twin",
                                    "progress": True,
                                    "import_description": DESC.replace(
                                        "port_num: 3", "port_num: 9")}})
             + "\n").encode())
    await w.drain()
    msg = json.loads(await asyncio.wait_for(r.readline(), 5))
    check(msg["method"] == "reserve_progress" and "id" not in msg and
          msg["params"]["name"] == "q" and
          msg["params"]["position"] == 1, msg)
    lst = await a.ok("list")
    check(any(x["place"] == "q" and not x["reserved"] and
              x["position"] == 1 and x["waiting_s"] >= 0 for x in lst), lst)
    # --no-wait: a reserve that would queue fails instead.
    m = await a.err("reserve", "conflict", name="nw", place_name="twin",
                    wait=False, import_description=DESC.replace(
                        "port_num: 3", "port_num: 8"))
    check("taken" in m and "--no-wait" in m, m)
    check(not any(x["place"] == "nw" for x in await a.ok("list")), "nw")
    w.close()
    await asyncio.sleep(0.5)
    lst = await a.ok("list")
    check(not any(x["place"] == "q" for x in lst), lst)


@test
async def queue_served(a):
    r, w = await a.open()
    w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "reserve",
                         "params": {"name": "q", "place_name": "twin",
                                    "import_description": DESC.replace(
                                        "port_num: 3", "port_num: 9")}})
             + "\n").encode())
    await w.drain()
    await asyncio.sleep(0.3)
    check(await a.ok("return_reservation", name="demo") is None, "return")
    msg = json.loads(await asyncio.wait_for(r.readline(), 5))
    w.close()
    check(msg.get("result", 1) is None, msg)
    lst = await a.ok("list")
    check(lst == [{"place": "q", "place_name": "twin", "attached": False,
                   "reserved": True, "position": None, "waiting_s": None}],
          lst)
    check(await a.ok("return_reservation", name="q") is None, "return q")


@test
async def long_name(a):
    # A name longer than a server ticket (64) reserves all the same,
    # only without queue positions.
    name = "n" * 100
    check(await a.ok("reserve", name=name, import_description=DESC)
          is None, "reserve with a long name")
    await a.ok("return_reservation", name=name)


@test
async def tcp_forward(a):
    async def echo(r, w):
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d.upper())
            await w.drain()
        w.close()
    es = await asyncio.start_server(echo, "127.0.0.1", 0)
    eport = es.sockets[0].getsockname()[1]
    ex = await Exporter("psu-1", [{"compatible": ["bench"], "usb": {},
                                   "tcp": {"scpi": {"host": "127.0.0.1",
                                                    "port": eport}}}]
                        ).start(S["srv"])
    lport = 20000 + os.getpid() % 20000
    await a.ok("reserve", name="psu", import_description=(
        "parts:\n  p:\n    compatible: [bench]\n    tcp:\n"
        "      scpi: {local_port: %d}\n" % lport))
    st = await a.ok("attach", name="psu")
    check(len(st) == 1 and st[0]["type"] == "TCP" and st[0]["up"] and
          st[0]["port"] == lport and st[0]["target"] ==
          "127.0.0.1:%d" % eport and st[0]["busid"] is None, st)
    for _ in range(2):  # each connection its own tunnel
        r, w = await asyncio.open_connection("127.0.0.1", lport)
        w.write(b"*idn?\n")
        await w.drain()
        line = await asyncio.wait_for(r.readline(), 5)
        check(line == b"*IDN?\n", line)
        w.close()
    check(ex.targets == ["127.0.0.1:%d" % eport] * 2, ex.targets)
    # The exporter restarts (new place id): the agent reserves the place
    # again by itself and attaches again.
    await ex.stop()
    await asyncio.sleep(0.5)
    lst = await a.ok("list")
    check(lst[-1]["place"] == "psu" and not lst[-1]["reserved"], lst)
    ex2 = await Exporter("psu-1", ex.parts).start(S["srv"])
    lst = None
    for _ in range(50):
        await asyncio.sleep(0.2)
        lst = await a.ok("list")
        if lst[-1]["reserved"] and lst[-1]["attached"]:
            break
    check(lst[-1]["reserved"] and lst[-1]["attached"], lst)
    r, w = await asyncio.open_connection("127.0.0.1", lport)
    w.write(b"again\n")
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 5)
    check(line == b"AGAIN\n", line)
    w.close()
    check(ex2.targets == ["127.0.0.1:%d" % eport], ex2.targets)
    await a.ok("detach", name="psu")
    try:
        await asyncio.open_connection("127.0.0.1", lport)
        check(False, "listener still open after detach")
    except OSError:
        pass
    await a.ok("return_reservation", name="psu")
    await ex2.stop()
    es.close()


@test
async def part_power(a):
    # The exporter tells the state of its part 1 (an emulated board):
    # the holder's status shows it on the interfaces of the imported part
    # matched to it, null on the others, and follows its changes.
    ex = await Exporter("vpi-1", [
        {"compatible": ["psu"], "usb": {},
         "tcp": {"scpi": {"host": "127.0.0.1", "port": 9}}},
        {"compatible": ["vpi"], "usb": {},
         "tcp": {"console": {"host": "127.0.0.1", "port": 9}}}]
        ).start(S["srv"])

    async def tell(**params):
        await ex.peer.send({"jsonrpc": "2.0", "method": "part_state",
                            "params": params})

    await tell(part=1, power="off", since=1796459390123,
               reason="QEMU killed by signal 9 (Killed)")
    await a.ok("reserve", name="vpi", import_description=(
        "parts:\n  board:\n    compatible: [vpi]\n    tcp:\n"
        "      console: {local_port: %d}\n"
        "  supply:\n    compatible: [psu]\n    tcp:\n"
        "      scpi: {local_port: %d}\n" % (free_port(), free_port())))

    async def power():
        st = await a.ok("status")
        return {e["part"]: (e["power"], e["power_reason"], e["power_since"])
                for e in st if e["place"] == "vpi"}
    got = None
    for _ in range(50):
        got = await power()
        if got.get("board", (None,))[0]:
            break
        await asyncio.sleep(0.1)
    check(got == {"board": ("off", "QEMU killed by signal 9 (Killed)",
                            1796459390),
                  "supply": (None, None, None)}, got)
    await tell(part=1, power="on")
    for _ in range(50):
        got = await power()
        if got["board"][0] == "on":
            break
        await asyncio.sleep(0.1)
    check(got["board"][0] == "on" and got["board"][1] is None and
          abs(got["board"][2] - time.time()) < 60, got)
    await a.ok("return_reservation", name="vpi")
    await ex.stop()


@test
async def server_connection_cut(a):
    # The agent's server connection breaks; it reconnects with its
    # session within the grace time and keeps its reservation.
    await a.ok("reserve", name="g", import_description=DESC)
    res = await S["watcher"].call("get_reservations")
    check(len(res["reservations"]) == 1, res)
    ga = S["gagent"]
    await ga.ok("reserve", name="g2", import_description=DESC.replace(
        "port_num: 3", "port_num: 5"))
    S["proxy"].cut()
    await asyncio.sleep(0.3)
    # A reserve while the connection is down waits for it (connect_wait).
    g3 = asyncio.ensure_future(ga.call(
        "reserve", _timeout=25, name="g3",
        import_description=DESC.replace("port_num: 3", "port_num: 6")))
    for _ in range(50):
        await asyncio.sleep(0.2)
        if "session resumed" in ga.text():
            break
    check("session resumed" in ga.text(), "no resume in the log")
    for _ in range(50):     # g3 runs once connected: place list, queue
        lst = await ga.ok("list")
        if len(lst) == 2:
            break
        await asyncio.sleep(0.1)
    check(len(lst) == 2 and lst[0]["reserved"] and not lst[1]["reserved"],
          lst)
    res = await S["watcher"].call("get_reservations")
    check(len(res["reservations"]) == 2, res)
    # g3 is queued behind g and g2 now: it gets g2's place.
    await ga.ok("return_reservation", name="g2")
    msg = await g3
    check(msg.get("result", 1) is None, msg)
    await ga.ok("return_reservation", name="g3")
    await a.ok("return_reservation", name="g")
    res = await S["watcher"].call("get_reservations")
    check(res["reservations"] == [], res)


@test
async def local_port_in_use(a):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    busy = s.getsockname()[1]
    ex = await Exporter("psu-2", [{"compatible": ["bench"], "usb": {},
                                   "tcp": {"scpi": {"host": "127.0.0.1",
                                                    "port": 9}}}]
                        ).start(S["srv"])
    await a.ok("reserve", name="psu2", import_description=(
        "parts:\n  p:\n    compatible: [bench]\n    tcp:\n"
        "      scpi: {local_port: %d}\n" % busy))
    m = await a.err("attach", "conflict", name="psu2")
    check(str(busy) in m and "local_port" in m, m)
    await a.ok("return_reservation", name="psu2")
    await ex.stop()
    s.close()


@test
async def auto_return(a):
    await a.ok("reserve", name="ar", import_description="auto_return: 1s\n"
               + DESC)
    check(len(await a.ok("list")) == 1, "reserved")
    await asyncio.sleep(2)
    lst = await a.ok("list")
    check(lst == [], lst)
    res = await a.ok("get_reservations")
    check(res == [], res)


def make_cert():
    return nmbtest.make_cert(os.path.join(WORK, "key.pem"),
                             os.path.join(WORK, "cert.pem"))


@test
async def tls(a):
    # wss for the hub, https for the place list, with the CA from the
    # agent's configuration; a wrong CA is refused.
    import ssl
    crt, key = make_cert()
    srv = Server(SERVER, WORK, config="tls:\n  cert: %s\n  key: %s\n" %
                 (crt, key))
    ctx = ssl.create_default_context(cafile=crt)
    peer = await Peer.connect(srv.url(scheme="wss"), ssl=ctx)
    await peer.call("register_place", {"name": "secure", "port": 9,
                                       "parts": [board()]})
    url = "wss://127.0.0.1:%d" % srv.port
    ta = Agent(url, "tls-agent", "tls:\n  ca-file: %s\n" % crt)
    bad = Agent(url, "tls-bad", "tls:\n  ca-file: /etc/ssl/certs/"
                "ca-certificates.crt\nconnect_wait: 2s\n", wait=False)
    try:
        places = await ta.ok("search")
        check([p["name"] for p in places] == ["secure"], places)
        check(await ta.ok("reserve", name="s", import_description=DESC)
              is None, "reserve over wss")
        await ta.ok("return_reservation", name="s")
        m = await bad.err("search", "unavailable")
        check("TLS" in m or "SSL" in m or "certificate" in m, m)
        # wss and https through an outbound proxy (https_proxy): TLS
        # inside the CONNECT tunnel, the certificate still checked
        cp = await ConnectProxy().start()
        env = {"https_proxy": cp.url(), "no_proxy": None, "NO_PROXY": None,
               "HTTPS_PROXY": None, "http_proxy": None, "HTTP_PROXY": None}
        pa = await Agent(url, "tls-proxied", "tls:\n  ca_file: %s\n" % crt,
                         env=env, wait=False).started()
        try:
            places = await pa.ok("search")
            check([p["name"] for p in places] == ["secure"], places)
            check(cp.targets.count("127.0.0.1:%d" % srv.port) >= 2,
                  "wss and https through the proxy: %s" % cp.targets)
        finally:
            rc, rep = pa.stop()
            check(not rep, rep)
            await cp.stop()
    finally:
        for x in (ta, bad):
            rc, rep = x.stop()
            check(not rep, rep)
        await peer.ws.close()
        srv.stop()


@test
async def bad_params(a):
    # Wrong types, extra and missing arguments: errors, never a crash.
    for method, params in [
            ("reserve", {"name": 3, "import_description": DESC}),
            ("reserve", {"name": "x", "import_description": ["a"]}),
            ("reserve", {"name": "x", "import_description": DESC,
                         "priority": "high"}),
            ("reserve", {"name": "x", "import_description": DESC,
                         "place_name": 7}),
            ("reserve", ["x"]),
            ("attach", {"name": None}),
            ("attach", {"name": "x", "timeout": "soon"}),
            ("search", {"import_description": 5}),
            ("search", {"import_description": "- a\n- b\n"}),
            ("list", {"extra": 1}),
            ("get_place_by_name", {}),
            ("update_import_description", {"name": "x"}),
            ("nonexistent", {})]:
        msg = await a.call(method, **params) if isinstance(params, dict) \
            else None
        if msg is None:
            r, w = await a.open()
            w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                 "params": params}) + "\n").encode())
            msg = json.loads(await asyncio.wait_for(r.readline(), 5))
            w.close()
        check("error" in msg, "%s %s: %s" % (method, params, msg))
    r, w = await a.open()
    w.write(b'{"jsonrpc": "2.0", "id": 1, "method": \n[1,2]\n\n\x00\xff\n')
    await w.drain()
    w.close()
    check(await a.ok("list") == [], "still serving")


@test
async def line_too_long(a):
    r, w = await a.open()
    w.write(b"x" * 70000)
    await w.drain()
    try:
        d = await asyncio.wait_for(r.read(), 5)
    except ConnectionResetError:
        d = b""
    check(d == b"", d)
    check(await a.ok("list") == [], "agent still serving")


@test
async def waits_for_server(a):
    # The agent runs before its server: a reserve sent at once waits for
    # the first connection instead of failing, and then succeeds.
    port = free_port()
    ea = Agent("ws://127.0.0.1:%d" % port, "early", wait=False)
    srv = ex = None
    try:
        task = asyncio.ensure_future(ea.call(
            "reserve", _timeout=30, name="e", import_description=DESC))
        await asyncio.sleep(1)
        check(not task.done(), "answered before the server ran: %s" %
              (task.result() if task.done() else ""))
        srv = Server(SERVER, WORK, port=port)
        ex = await Exporter("late", [board()]).start(srv)
        msg = await task
        check(msg.get("result", 1) is None, msg)
        lst = await ea.ok("list")
        check(lst[0]["place_name"] == "late" and lst[0]["reserved"], lst)
        await ea.ok("return_reservation", name="e")
    finally:
        rc, bad = ea.stop()
        check(not bad, bad)
        if ex:
            await ex.stop()
        if srv:
            srv.stop()


@test
async def socket_activation_waits(a):
    # With socket activation the socket exists before the agent runs:
    # the first request starts it, and waits for its first connection.
    port = free_port()
    sock = os.path.join(WORK, "act.sock")
    log_path = os.path.join(WORK, "act.log")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["systemd-socket-activate", "-l", sock, AGENT, "-c",
             "/dev/null", "--server", "ws://127.0.0.1:%d" % port, "-v"],
            stderr=log, stdout=subprocess.DEVNULL, env=env)
    srv = ex = None
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            await asyncio.sleep(0.02)
        r, w = await asyncio.open_unix_connection(sock)
        w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "reserve",
                             "params": {"name": "sa",
                                        "import_description": DESC}})
                 + "\n").encode())
        await w.drain()
        await asyncio.sleep(1)
        srv = Server(SERVER, WORK, port=port)
        ex = await Exporter("activated", [board()]).start(srv)
        msg = json.loads(await asyncio.wait_for(r.readline(), 30))
        w.close()
        check(msg.get("result", 1) is None, msg)
        text = open(log_path).read()
        check("control socket from systemd" in text, text)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        bad = [l for l in open(log_path).read().splitlines()
               if any(m in l for m in SANITIZER_MARKS)]
        check(not bad, bad)
        if ex:
            await ex.stop()
        if srv:
            srv.stop()


@test
async def waiting_hurries_reconnect(a):
    # After 8 s without a server the agent's backoff has grown (attempts
    # 1, 3 and 7 s after start, the next at 15 s). A request that waits
    # makes it try every second: with connect_wait 5 s it still gets the
    # server that comes up just after it was sent.
    port = free_port()
    ha = Agent("ws://127.0.0.1:%d" % port, "hurry", "connect_wait: 5s\n",
               wait=False)
    srv = ex = None
    try:
        await asyncio.sleep(8)
        task = asyncio.ensure_future(ha.call(
            "reserve", _timeout=20, name="h", import_description=DESC))
        await asyncio.sleep(0.5)
        srv = Server(SERVER, WORK, port=port)
        ex = await Exporter("hurried", [board()]).start(srv)
        msg = await task
        check(msg.get("result", 1) is None, msg)
        await ha.ok("return_reservation", name="h")
    finally:
        rc, bad = ha.stop()
        check(not bad, bad)
        if ex:
            await ex.stop()
        if srv:
            srv.stop()


@test
async def connect_wait_bound(a):
    # connect_wait bounds the wait: then the request fails, saying why.
    wa = Agent("ws://127.0.0.1:%d" % free_port(), "nowhere",
               "connect_wait: 1s\n", wait=False)
    try:
        m = await wa.err("reserve", "unavailable", name="x",
                         import_description=DESC)
        check("connect_wait" in m and "1 s" in m, m)
    finally:
        rc, bad = wa.stop()
        check(not bad, bad)


async def polled(probe, done, tries, interval):
    """Calls probe() (a coroutine function) every interval seconds, at most
    tries times, until done(result); returns the last result."""
    res = None
    for _ in range(tries):
        await asyncio.sleep(interval)
        res = await probe()
        if done(res):
            break
    return res


async def listed(pa, done):
    """The agent's list, polled for 10 s until done(list)."""
    return await polled(lambda: pa.ok("list"), done, 100, 0.1)


async def hub_saw(cond):
    """cond() polled for 5 s."""
    async def probe():
        return cond()
    return await polled(probe, bool, 100, 0.05)


@test
async def grant_secret_sent(a):
    # Per-reservation secrets: the agent says hello with feature
    # "secret", takes the secret from the reserve result and sends it as
    # Proxy-Authorization: Bearer on every CONNECT; a fresh one after a
    # new grant; nothing to an exporter that did not ask for secrets.
    async def echo(r, w):
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d)
            await w.drain()
        w.close()
    es = await asyncio.start_server(echo, "127.0.0.1", 0)
    eport = es.sockets[0].getsockname()[1]
    parts = [{"compatible": ["sealed"], "usb": {},
              "tcp": {"echo": {"host": "127.0.0.1", "port": eport}}}]
    lport = 20000 + (os.getpid() + 7) % 20000
    desc = ("parts:\n  p:\n    compatible: [sealed]\n    tcp:\n"
            "      echo: {local_port: %d}\n" % lport)

    async def one_round(ex):
        await a.ok("reserve", name="sec", import_description=desc)
        await a.ok("attach", name="sec")
        r, w = await asyncio.open_connection("127.0.0.1", lport)
        w.write(b"ping\n")
        await w.drain()
        line = await asyncio.wait_for(r.readline(), 5)
        w.close()
        await a.ok("detach", name="sec")
        await a.ok("return_reservation", name="sec")
        return line

    ex = await Exporter("sealed-1", parts, secrets=True).start(S["srv"])
    try:
        secrets = []
        for _ in range(2):
            line = await one_round(ex)
            sec = ex.peer.secrets[-2] if ex.peer.secrets[-1] is None \
                else ex.peer.secrets[-1]
            check(line == b"ping\n", "tunnel works with the secret: %r"
                  % line)
            check(sec and ex.auths[-1] == "Bearer " + sec,
                  "CONNECT carried the grant's secret: %s" % ex.auths)
            secrets.append(sec)
        check(secrets[0] != secrets[1], "a new grant, a new secret")
        log = a.text()
        check(not any(s in log for s in secrets), "secret in the agent log")
    finally:
        await ex.stop()
    old = await Exporter("plain-1", parts).start(S["srv"])
    try:
        line = await one_round(old)
        check(line == b"ping\n" and old.auths == [None],
              "exporter without secrets: no Proxy-Authorization: %s"
              % old.auths)
    finally:
        await old.stop()
        es.close()


@test
async def outbound_http_proxy(a):
    # http_proxy (no_proxy not covering the server): the WebSocket and
    # the place list go through the CONNECT proxy; the proxy down, the
    # log names it.
    cp = await ConnectProxy().start()
    srv = S["srv"]
    env = {"http_proxy": cp.url(), "no_proxy": None, "NO_PROXY": None,
           "https_proxy": None, "HTTPS_PROXY": None, "HTTP_PROXY": None}
    pa = await Agent(srv.url(path=""), "proxied-agent", env=env,
                     wait=False).started()
    try:
        places = await pa.ok("search")
        check(any(p["name"] == "lab-a" for p in places), places)
        want = "127.0.0.1:%d" % srv.port
        check(cp.targets.count(want) >= 2,
              "WebSocket and place list through the proxy: %s"
              % cp.targets)
        check("reached through proxy %s (http_proxy)" % cp.url()
              in pa.text(), "the log says so")
    finally:
        rc, bad = pa.stop()
        check(not bad, bad)
        await cp.stop()
    # no_proxy covers the server: direct, whatever http_proxy says
    env["no_proxy"] = "localhost,127.0.0.0/8"
    env["http_proxy"] = "http://127.0.0.1:1"
    pa = Agent(srv.url(path=""), "noproxy-agent", env=env)
    try:
        places = await pa.ok("search")
        check(any(p["name"] == "lab-a" for p in places),
              "no_proxy: direct: %s" % places)
    finally:
        pa.stop()
    # the proxy is down: the log names it
    dead = free_port()
    env = dict(env, no_proxy=None, http_proxy="http://127.0.0.1:%d" % dead)
    pa = Agent(srv.url(path=""), "deadproxy-agent", env=env, wait=False)
    try:
        text = ""
        for _ in range(50):
            await asyncio.sleep(0.1)
            text = pa.text()
            if "through proxy" in text and "127.0.0.1:%d" % dead in text \
                    and "connect" in text.lower():
                break
        check("through proxy http://127.0.0.1:%d (http_proxy)" % dead
              in text, "log names the proxy: %s" % text[-800:])
    finally:
        pa.stop()


@test
async def py_hub_place_vanishes(a):
    # A not-my-board hub drops a place whose exporter went away and tells
    # nobody: the agent notices from the place list, returns the dead
    # reservation and reserves the place again once it is back.
    hub = await PyHub().start()
    hub.add("py-1", 7, [board()])
    pa = await Agent(hub.url(), "py-agent", wait=False).started()
    try:
        await pa.ok("reserve", name="v", import_description=DESC)
        check(list(hub.held) == [7], dict(hub.held))
        hub.remove("py-1")
        lst = await listed(pa, lambda lst: not lst[0]["reserved"])
        check(not lst[0]["reserved"], lst)
        check([7] in hub.methods("return_reservation"), hub.calls)
        hub.add("py-1", 9, [board()])
        lst = await listed(pa, lambda lst: lst[0]["reserved"])
        check(lst[0]["reserved"] and list(hub.held) == [9],
              (lst, dict(hub.held)))
        await pa.ok("return_reservation", name="v")
        check(hub.held == {}, hub.held)
    finally:
        rc, bad = pa.stop()
        check(not bad, bad)
        await hub.stop()


@test
async def py_hub_grant_crosses_cancel(a):
    # A queued reserve is withdrawn (nmbctl goes away) while the hub
    # grants it: the grant arrives after the cancel, and the agent must
    # return that place at once instead of holding it unlisted.
    hub = await PyHub().start()
    hub.add("py-2", 4, [board()])
    hub.grant = "cross"
    pa = await Agent(hub.url(), "py-agent2", wait=False).started()
    try:
        r, w = await pa.open()
        w.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "reserve",
                             "params": {"name": "c",
                                        "import_description": DESC}})
                 + "\n").encode())
        await w.drain()
        await hub_saw(lambda: hub.pending)
        check(hub.pending, "the reserve did not reach the hub")
        w.close()
        await hub_saw(lambda: hub.methods("return_reservation"))
        check(hub.methods("return_reservation") == [[4]], hub.calls)
        check(hub.held == {}, hub.held)
        check(await pa.ok("list") == [], "listed")
    finally:
        rc, bad = pa.stop()
        check(not bad, bad)
        await hub.stop()


@test
async def py_hub_no_wait(a):
    # --no-wait at a hub without the queue extension: decided from
    # get_reservations; a free place is reserved as usual.
    hub = await PyHub().start()
    hub.add("py-3", 5, [board()])
    hub.held[5] = 99
    pa = await Agent(hub.url(), "py-agent3", wait=False).started()
    try:
        m = await pa.err("reserve", "conflict", name="n", wait=False,
                         import_description=DESC)
        check("taken" in m, m)
        check(hub.methods("reserve") == [], hub.calls)
        del hub.held[5]
        check(await pa.ok("reserve", name="n", wait=False,
                          import_description=DESC) is None, "free")
        check(list(hub.held) == [5], dict(hub.held))
        await pa.ok("return_reservation", name="n")
    finally:
        rc, bad = pa.stop()
        check(not bad, bad)
        await hub.stop()


@test
async def place_list_http(a):
    # The place list through libwebsockets' HTTP client: a chunked body
    # (chunks split across writes), Content-Length, a body that ends with
    # the connection, and a server that stalls in the head or the body
    # (an error, and the next request works).
    hub = await PyHub().start()
    hub.add("py-h", 11, [board()])
    front = await PlacesFront(hub).start()
    pa = await Agent(front.url(), "py-agent-http",
                     wait=False).started()
    try:
        for mode in ("chunked", "length", "close", "chunked"):
            front.mode = mode
            places = await pa.ok("search")
            check([p["name"] for p in places] == ["py-h"], (mode, places))
        # libwebsockets gives up on a head after 5 s, the agent on a body
        # after 10 s
        for mode, text, least in (("stall", "no answer", 4),
                                  ("stall-body", "after 10 s", 9.5)):
            front.mode = mode
            t0 = time.monotonic()
            m = await pa.err("search", "unavailable", _timeout=20)
            took = time.monotonic() - t0
            check(text in m and least < took < 14, (mode, m, took))
        front.mode = "chunked"
        check(await pa.ok("reserve", name="h", import_description=DESC)
              is None, "reserve after a stall")
        check(list(hub.held) == [11], dict(hub.held))
        await pa.ok("return_reservation", name="h")
    finally:
        rc, bad = pa.stop()
        check(not bad, bad)
        await front.stop()
        await hub.stop()


@test
async def schema_checked(a):
    # The schema checks above did run, on both kinds of answers.
    check(CHECKED["list"] > 5 and CHECKED["status"] > 3, CHECKED)


@test
async def config_errors_at_start(a):
    # A missing -c file and a missing ca-file stop the agent at start,
    # saying what and where (issue 17: it exited 1 silently, or ran).
    def run(*args):
        p = subprocess.run([AGENT, "--server", "ws://127.0.0.1:9",
                            "--socket", os.path.join(WORK, "no.sock")]
                           + list(args), capture_output=True, text=True,
                           timeout=20)
        return p.returncode, p.stderr
    missing = os.path.join(WORK, "missing.yaml")
    rc, err = run("-c", missing)
    check(rc == 1 and missing in err and "no such configuration file" in err,
          (rc, err))
    conf = os.path.join(WORK, "noca.yaml")
    with open(conf, "w") as f:
        f.write("tls:\n  ca-file: %s/nope.pem\n" % WORK)
    rc, err = run("-c", conf)
    check(rc == 1 and "%s:2:" % conf in err and "nope.pem" in err and
          "ca-file" in err, (rc, err))
    with open(conf, "w") as f:
        f.write("connect_wait: soon\n")
    rc, err = run("-c", conf)
    check(rc == 1 and "%s:1:" % conf in err and "connect_wait" in err,
          (rc, err))


async def metrics_answer(port):
    """The agent's /metrics body, or None if nothing listens on port."""
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    w.write(b"GET /metrics HTTP/1.0\r\n\r\n")
    body = await asyncio.wait_for(r.read(), 5)
    w.close()
    return body.decode(errors="replace")


@test
async def sighup_reloads(a):
    # SIGHUP re-reads the file: log_level, connect_wait and metrics_listen
    # apply at once, a reservation stays reserved, settings that need a
    # restart get one log line each, command-line options keep winning,
    # and a file that does not parse keeps the old settings.
    srv = S["srv"]
    ra = Agent(srv.url(path=""), "reload-agent", config="connect_wait: 2s\n")
    conf = os.path.join(WORK, "reload-agent.yaml")

    async def hup(marker):
        n = ra.text().count(marker)
        ra.proc.send_signal(signal.SIGHUP)
        await hub_saw(lambda: ra.text().count(marker) > n)
        check(ra.text().count(marker) > n, "no '%s' after SIGHUP" % marker)
    try:
        await ra.ok("reserve", name="reload", import_description=DESC)
        port = free_port()
        check(await metrics_answer(port) is None, "port %d in use" % port)
        with open(conf, "w") as f:
            f.write("connect_wait: 5s\nlog_level: err\n"
                    "metrics_listen: 127.0.0.1:%d\n"
                    "server: ws://elsewhere.invalid:1\n"
                    "socket: %s/elsewhere.sock\n"
                    "token: changed\ngroup: wheel\n" % (port, WORK))
        await hup(": reloaded")
        t = ra.text()
        for key in ("token", "group"):
            check(t.count("%s: %s changed; restart nmb-agent" % (conf, key))
                  == 1, "%s: %s" % (key, t[-2000:]))
        # --server and --socket were given: the file's do not count
        check("server changed" not in t and "socket changed" not in t, t)
        check("connect_wait is now 5 s" in t, t[-2000:])
        body = await metrics_answer(port)
        check(body and "nmb_agent_attaches_total" in body, body)
        # -v keeps debug lines whatever log_level says
        check("log_level applied" not in t, t[-2000:])
        lst = await ra.ok("list")
        check([(r["place"], r["reserved"]) for r in lst] ==
              [("reload", True)], lst)
        check("returning place" not in ra.text(), "a reload returned")
        # A file that does not parse: FILE:LINE: what, nothing changes.
        with open(conf, "w") as f:
            f.write("metrics_listen: 127.0.0.1:1\nconnect_wait: soon\n")
        await hup("not reloaded")
        check("%s:2:" % conf in ra.text(), ra.text()[-2000:])
        body = await metrics_answer(port)
        check(body and "nmb_agent_attaches_total" in body,
              "old listener kept: %s" % body)
        # metrics_listen removed: the listener closes.
        with open(conf, "w") as f:
            f.write("token: changed\ngroup: wheel\n")
        await hup("metrics_listen removed")
        check(await metrics_answer(port) is None, "still listening")
        # still not applied: said again, once
        check(ra.text().count("%s: token changed" % conf) == 2,
              "token again: %s" % ra.text()[-2000:])
        await ra.ok("return_reservation", name="reload")
    finally:
        rc, bad = ra.stop()
        check(rc == 0 and not bad, "exit %s %s" % (rc, bad))


@test
async def stop_returns(a):
    await a.ok("reserve", name="demo", import_description=DESC)
    rc, bad = a.stop()
    check(rc == 0 and not bad, "exit %s %s" % (rc, bad))
    check("returning place" in a.text(), "no return in the log")
    await asyncio.sleep(0.3)
    res = await S["watcher"].call("get_reservations")
    check(res == {"reservations": []}, res)


async def main():
    srv = Server(SERVER, WORK)
    S["srv"] = srv
    exps = [await Exporter("lab-a", [board()]).start(srv),
            await Exporter("lab-b", [board(("rpi", "cm4"), ("jtag",)),
                                     board(("psu",), (), {"scpi": {
                                         "host": "127.0.0.1", "port": 9}})]
                           ).start(srv),
            await Exporter("twin", [board(), board()]).start(srv)]
    S["watcher"] = await Peer.connect(srv.url())
    a = Agent(srv.url(path=""))
    S["proxy"] = await Proxy().start(srv.port)
    S["gagent"] = await Agent("ws://127.0.0.1:%d" % S["proxy"].port,
                               "gagent", wait=False).started()
    only = os.environ.get("NMB_TESTS")     # name,name: run only those
    if only:
        TESTS[:] = [t for t in TESTS if t.__name__ in only.split(",")]
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    failed = 0
    for i, t in enumerate(TESTS, 1):
        try:
            await asyncio.wait_for(t(a), 30)
            print("ok %d - %s" % (i, t.__name__))
        except Exception as e:
            failed += 1
            print("not ok %d - %s" % (i, t.__name__))
            for line in (traceback.format_exc().splitlines() +
                         [str(e)])[-6:]:
                print("# " + line)
    rc, bad = a.stop()
    grc, gbad = S["gagent"].stop()
    bad = (bad or "") + (gbad or "")
    for e in exps:
        await e.stop()
    src, sbad = srv.stop()
    ok = not bad and not sbad
    print("%s %d - no sanitizer reports" % ("ok" if ok else "not ok",
                                            len(TESTS) + 1))
    if not ok:
        failed += 1
        for line in ((bad or "") + "\n" + (sbad or "")).splitlines():
            print("# " + line)
    print("# agent log: %s" % a.log_path)
    return failed


sys.exit(1 if asyncio.run(main()) else 0)
