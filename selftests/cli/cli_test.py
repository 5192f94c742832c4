#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# cli_test.py - TAP tests of nmbctl against fake_agent.py: the method and
# params every subcommand sends, the import description lookup, --json,
# exit codes, Ctrl-C, edit, the man page and the bash completion.
#
# Usage: cli_test.py NMBCTL_BINARY

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no .pyc files next to the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_agent import FakeAgent  # noqa: E402
from nmbtest import diag, ok, summary  # noqa: E402
import nmbtest  # noqa: E402

NMBCTL = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TMP = tempfile.mkdtemp(prefix="nmbctl-test-")
SOCK = os.path.join(TMP, "agent.sock")
HOME = os.path.join(TMP, "home")

DEMO = "parts:\n  board:\n    compatible: [raspberry-pi]\n" \
       "    usb:\n      serial: {port_num: 3}\n"
STATUS = [
    {"place": "demo", "part": "board", "interface": "serial",
     "type": "USB", "attached": True, "port": 3, "up": True,
     "busid": "3-4", "nodes": ["/dev/ttyACM0",
                               "/dev/serial/by-path/x-usb-0:4:1.0"],
     "remote_busid": "1-2", "vhci_port": 3, "connections": None,
     "target": None, "error": None, "power": None, "power_reason": None,
     "power_since": None},
    {"place": "demo", "part": "psu", "interface": "scpi", "type": "TCP",
     "attached": True, "port": 5025, "up": True, "busid": None,
     "nodes": None, "remote_busid": None, "vhci_port": None,
     "connections": 0, "target": "10.0.0.3:5025", "error": None,
     "power": "off", "power_reason": "QEMU killed by signal 9 (Killed)",
     "power_since": 1796459390},
]
PLACE = {"id": 4, "name": "rpi-3", "host": "10.0.0.3", "port": 2092,
         "parts": [{"compatible": ["raspberry-pi"],
                    "usb": {"serial": {"usbid": "1-2"}},
                    "tcp": {"ssh": {"host": "10.0.0.3", "port": 22}}}],
         "stats": {"uniqueness": 0.5}}


class Run:
    def __init__(self, p, out, err):
        self.rc = p.returncode
        self.out = out
        self.err = err


def run(*args, cwd=None, env=None, inp=None):
    e = dict(os.environ, HOME=HOME, NMB_AGENT_SOCKET=SOCK,
             ASAN_OPTIONS="detect_leaks=1")
    e.pop("VISUAL", None)
    e.pop("EDITOR", None)
    e.update(env or {})
    p = subprocess.Popen([NMBCTL] + list(args), cwd=cwd or TMP, env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=20)
    r = Run(p, out, err)
    if re.search(r"Sanitizer|runtime error", err):
        ok(False, "no sanitizer report from nmbctl %s" % " ".join(args))
        diag(err)
    return r


def check(r, rc, name):
    good = ok(r.rc == rc, name)
    if not good:
        diag("exit %d, expected %d" % (r.rc, rc))
        diag("stdout: " + r.out)
        diag("stderr: " + r.err)
    return good


def write(path, text):
    nmbtest.write(path, text, parents=True)


def one_line_error(r, prefix):
    lines = r.err.splitlines()
    return len(lines) == 1 and lines[0].startswith(prefix)


agent = FakeAgent(SOCK)


def expect(responses, *args, **kw):
    agent.reset(responses)
    return run(*args, **kw)


# --- usage -----------------------------------------------------------------

def test_usage():
    r = run("--help")
    check(r, 0, "--help exits 0")
    r2 = run("--version")
    check(r2, 0, "--version exits 0")
    ok(r2.out.startswith("nmbctl "), "--version prints nmbctl VERSION")
    for args, what in [((), "no command"), (("frobnicate",), "unknown command"),
                       (("--bogus", "list"), "unknown global option"),
                       (("list", "--bogus"), "unknown option"),
                       (("list", "extra"), "list with an argument"),
                       (("attach",), "attach without NAME"),
                       (("attach", "a", "b"), "attach with two NAMEs"),
                       (("attach", "-t"), "attach -t without SECONDS"),
                       (("attach", "-t", "soon", "demo"), "attach -t soon"),
                       (("--json", "attach", "demo"), "--json on attach"),
                       (("reserve", "a/b"), "NAME with a slash"),
                       (("reserve", "demo@"), "empty @PLACE"),
                       (("show", "@"), "show @ without PLACE"),
                       (("return",), "return without NAME"),
                       (("edit",), "edit without NAME"),
                       (("-s",), "-s without PATH")]:
        agent.reset()
        r = run(*args)
        check(r, 2, "usage error exits 2: " + what)
    ok(agent.requests == [], "usage errors send nothing to the agent")
    r = run("attach", "--help")
    check(r, 0, "attach --help exits 0")
    ok("--keep-others" in r.out and "--timeout" in r.out,
       "attach --help lists its options from the table")


# --- agent unreachable -----------------------------------------------------

def test_no_agent():
    missing = os.path.join(TMP, "nothing.sock")
    r = run("list", env={"NMB_AGENT_SOCKET": missing})
    check(r, 6, "agent not running: exit 6")
    ok("is nmb-agent running?" in r.err and missing in r.err and
       one_line_error(r, "nmbctl: list: "),
       "agent not running: one line naming the socket, with the hint")
    agent.reset({"list": {"result": []}})
    r = run("-s", SOCK, "list", env={"NMB_AGENT_SOCKET": missing})
    check(r, 0, "-s PATH overrides NMB_AGENT_SOCKET")
    r = run("list", "--socket", SOCK, env={"NMB_AGENT_SOCKET": missing})
    check(r, 0, "--socket after the command works too")
    r = expect({"list": {"close": True}}, "list")
    check(r, 6, "connection lost before the answer: exit 6")


# --- listing commands ------------------------------------------------------

def test_listings():
    lst = [{"place": "demo", "place_name": "rpi-3", "attached": True},
           {"place": "other", "place_name": "rpi-4", "attached": False},
           {"place": "queued", "place_name": None, "attached": False,
            "reserved": False}]
    who = [{"place_name": "rpi-3", "user": "alice"}]
    cases = [
        ("list", ["list"], lst, "list", {}),
        ("status", ["status"], STATUS, "status", {}),
        ("who", ["who"], who, "get_reservations", {}),
        ("search", ["search"], [PLACE], "search",
         {"import_description": None}),
        ("show NAME", ["show", "demo"], PLACE, "get_reserved_place",
         {"name": "demo"}),
        ("show @PLACE", ["show", "@rpi-3"], PLACE, "get_place_by_name",
         {"place_name": "rpi-3"}),
    ]
    for what, args, result, method, params in cases:
        r = expect({method: {"result": result}}, *args)
        check(r, 0, what + ": exit 0")
        ok(agent.requests == [(method, params)],
           "%s: sends %s(%s)" % (what, method, json.dumps(params))) or \
            diag(agent.requests)
        r = expect({method: {"result": result}}, *args, "--json")
        try:
            same = json.loads(r.out) == result
        except ValueError:
            same = False
        ok(r.rc == 0 and same, what + " --json: the agent's JSON as is")
        r = expect({method: {"result": result}}, "--json", *args)
        ok(r.rc == 0 and json.loads(r.out or "0") == result,
           what + ": global --json before the command too")
    r = expect({"list": {"result": lst}}, "list")
    rows = [line.split() for line in r.out.splitlines()]
    ok(rows == [["NAME", "PLACE", "STATE"], ["demo", "rpi-3", "attached"],
                ["other", "rpi-4", "reserved"],
                ["queued", "-", "waiting"]],
       "list: NAME PLACE STATE columns (attached, reserved, waiting)") or diag(r.out)
    cols = [line.index(w) for line, w in
            zip(r.out.splitlines(), ["PLACE", "rpi-", "rpi-", "-"])]
    ok(len(set(cols)) == 1, "list: columns are aligned") or diag(r.out)
    r = expect({"status": {"result": STATUS}}, "status")
    lines = r.out.splitlines()
    ok(lines and lines[0].split() == ["PLACE", "PART", "INTERFACE", "TYPE",
                                      "ATTACHED", "PORT", "UP", "BUSID",
                                      "NODES", "POWER"],
       "status: header has place, part, interface, type, attached, port, "
       "up, busid, nodes, power") or diag(r.out)
    ok(len(lines) == 3 and lines[1].split()[:8] ==
       ["demo", "board", "serial", "USB", "yes", "3", "yes", "3-4"] and
       "/dev/ttyACM0" in lines[1] and lines[2].split()[7] == "-",
       "status: one row per interface with busid and nodes") or diag(r.out)
    since = time.strftime("%H:%M:%S", time.localtime(1796459390))
    ok(len(lines) == 3 and lines[1].split()[-1] == "-" and
       lines[2].endswith(" off since %s: QEMU killed by signal 9 (Killed)"
                         % since) and
       lines[2].index(" off since") == lines[0].index(" POWER"),
       "status: POWER last, '-' without a state, else the state, since "
       "when and why") or diag(r.out)
    r = expect({"status": {"result": []}}, "status")
    ok(r.rc == 0 and r.out == "", "status: nothing reserved, no output")
    r = expect({"get_reservations": {"result": who}}, "who")
    ok("alice" in r.out and "rpi-3" in r.out, "who: place and user")
    r = expect({"get_reservations": {"result": [
        {"place_name": "rpi-3", "user": "<7>", "host": "bench-12",
         "ip": "10.0.0.31"}]}}, "who")
    ok([line.split() for line in r.out.splitlines()] ==
       [["PLACE", "USER", "HOST", "IP"],
        ["rpi-3", "<7>", "bench-12", "10.0.0.31"]],
       "who: the holder's host and IP (no tokens: user <N>)") or diag(r.out)
    two = dict(PLACE, parts=[dict(PLACE["parts"][0],
                                  compatible=["raspberry-pi", "rpi4",
                                              "lab-3"])])
    r = expect({"search": {"result": [two]}}, "search")
    ok("rpi-3" in r.out and
       "raspberry-pi,rpi4,lab-3(usb:serial,tcp:ssh)" in r.out,
       "search: places with their parts and every tag") or diag(r.out)
    for cmd, method, res in (("list", "list", lst),
                             ("status", "status", STATUS),
                             ("who", "get_reservations", who),
                             ("search", "search", [PLACE])):
        r = expect({method: {"result": res}}, cmd, "-n")
        full = expect({method: {"result": res}}, cmd, "--no-header")
        ok(r.rc == 0 and r.out == full.out and
           [x.split() for x in r.out.splitlines()] ==
           [x.split() for x in expect({method: {"result": res}},
                                      cmd).out.splitlines()[1:]],
           "%s -n/--no-header: the table without its header" % cmd) or \
            diag(r.out + r.err)
    queued = [{"place": "q", "place_name": None, "attached": False,
               "reserved": False, "position": 2, "waiting_s": 65},
              {"place": "h", "place_name": None, "attached": False,
               "reserved": False, "position": None, "waiting_s": 3}]
    r = expect({"list": {"result": queued}}, "list", "-n")
    ok(r.out.splitlines() == ["q  -  waiting: position 2, 1:05",
                              "h  -  waiting: 0:03"],
       "list: queued requests with their position and time") or \
        diag(r.out)
    many = [dict(PLACE, name="rpi-%04d" % i, id=i) for i in range(1000)]
    r = expect({"search": {"result": many}}, "search", "--json")
    ok(r.rc == 0 and len(r.out) > 65536 and
       len(json.loads(r.out)) == 1000,
       "search: an answer over 64 KiB (%d bytes) is read whole" %
       len(r.out)) or diag(r.err)
    r = expect({"get_reserved_place": {"result": PLACE}}, "show", "demo")
    ok("usbid 1-2" in r.out and "10.0.0.3:22" in r.out and "0.5" in r.out,
       "show: interfaces and uniqueness") or diag(r.out)
    r = expect({"list": {"result": {"not": "a list"}}}, "list")
    check(r, 1, "a malformed answer fails cleanly (exit 1)")


# --- import descriptions ---------------------------------------------------

def reserved_text(args, cwd, env=None):
    r = expect({}, "reserve", *args, cwd=cwd, env=env)
    reqs = [dict(p) for m, p in agent.requests if m == "reserve"]
    if reqs and reqs[0].pop("progress", None) is not True:
        ok(False, "reserve asks for progress: %s" % reqs[0])
    return r, (reqs[0] if reqs else None)


def test_lookup():
    top = os.path.join(TMP, "proj")
    sub = os.path.join(top, "a", "b")
    os.makedirs(sub)
    write(os.path.join(HOME, ".config", "nmb", "demo.yaml"), "# home\n")
    r, p = reserved_text(["demo"], sub)
    ok(r.rc == 0 and p == {"name": "demo", "import_description": "# home\n"},
       "lookup: ~/.config/nmb/NAME.yaml (via HOME) last") or diag((r.err, p))
    write(os.path.join(top, ".nmb", "demo.yaml"), "# top\n")
    r, p = reserved_text(["demo"], sub)
    ok(p and p["import_description"] == "# top\n",
       "lookup: .nmb/ of a parent folder before ~/.config")
    write(os.path.join(sub, "..", ".nmb", "demo.yaml"), "# a\n")
    r, p = reserved_text(["demo"], sub)
    ok(p and p["import_description"] == "# a\n",
       "lookup: the nearest parent first")
    write(os.path.join(sub, ".nmb", "demo.yaml"), DEMO)
    r, p = reserved_text(["demo"], sub)
    ok(p == {"name": "demo", "import_description": DEMO},
       "lookup: ./.nmb/NAME.yaml first; reserve(name, import_description)")
    r, p = reserved_text(["demo@rpi-3"], sub)
    ok(p == {"name": "demo", "import_description": DEMO,
             "place_name": "rpi-3"}, "reserve NAME@PLACE pins place_name")
    write(os.path.join(TMP, "files", "x@y", "lab.yaml"), "# explicit\n")
    r, p = reserved_text(["../files/x@y/lab.yaml"], os.path.join(TMP, "proj"))
    ok(p == {"name": "lab", "import_description": "# explicit\n"},
       "an explicit PATH.yaml is read as is, named after the file")
    r, p = reserved_text(["../files/x@y/lab.yaml@rpi-4"], top)
    ok(p and p.get("place_name") == "rpi-4" and p["name"] == "lab",
       "PATH.yaml@PLACE pins too")
    r, p = reserved_text(["nosuch"], sub)
    check(r, 3, "missing description: exit 3")
    looked = [os.path.join(sub, ".nmb", "nosuch.yaml"),
              os.path.join(top, "a", ".nmb", "nosuch.yaml"),
              os.path.join(top, ".nmb", "nosuch.yaml"),
              "/.nmb/nosuch.yaml",
              os.path.join(HOME, ".config", "nmb", "nosuch.yaml")]
    ok(one_line_error(r, "nmbctl: reserve nosuch: ") and
       all(x in r.err for x in looked) and p is None,
       "missing description: one line naming every place looked at, "
       "nothing sent") or diag(r.err)
    r, p = reserved_text(["missing.yaml"], sub)
    check(r, 3, "missing explicit PATH.yaml: exit 3")
    write(os.path.join(sub, ".nmb", "big.yaml"), "#" * 70000)
    r, p = reserved_text(["big"], sub)
    check(r, 2, "a description over 60 KiB is refused (exit 2)")


# --- reserve, return, attach, detach ---------------------------------------

def test_reserve_attach():
    cwd = os.path.join(TMP, "proj", "a", "b")
    others = [{"place": "old", "place_name": "rpi-1", "attached": True},
              {"place": "older", "place_name": "rpi-2", "attached": False}]
    r = expect({"return_reservation": {"result": None}}, "return", "demo")
    ok(r.rc == 0 and agent.requests ==
       [("return_reservation", {"name": "demo", "force": False})],
       "return NAME: return_reservation(name, force=false)")
    r = expect({}, "return", "-f", "demo")
    ok(r.rc == 0 and agent.requests ==
       [("return_reservation", {"name": "demo", "force": True})],
       "return -f NAME: force=true")

    r = expect({"list": {"result": others},
                "attach": {"result": STATUS}}, "attach", "demo", cwd=cwd)
    check(r, 0, "attach: exit 0")
    ok(agent.methods() == ["list", "return_reservation",
                           "return_reservation", "reserve", "attach"],
       "attach: list, return the others, reserve, attach") or \
        diag(agent.requests)
    ok(agent.requests[1][1] == {"name": "old", "force": True} and
       agent.requests[2][1] == {"name": "older", "force": True},
       "attach: others returned with force=true")
    ok(agent.requests[3][1] == {"name": "demo", "import_description": DEMO,
                                "progress": True}
       and agent.requests[4][1] == {"name": "demo"},
       "attach: reserve(demo, text) then attach(demo)")
    lines = [line.split() for line in r.out.splitlines()]
    ok(len(lines) == 2 and lines[0][:5] ==
       ["board.serial", "USB", "port", "3", "3-4"] and
       "/dev/ttyACM0" in lines[0][5] and
       lines[1][:4] == ["psu.scpi", "TCP", "port", "5025"] and
       "localhost:5025" in r.out,
       "attach prints the nodes and ports the agent reported") or \
        diag(r.out)

    r = expect({"list": {"result": others}}, "attach", "-k", "demo@rpi-3",
               cwd=cwd)
    ok(r.rc == 0 and agent.methods() == ["list", "reserve", "attach"] and
       agent.requests[1][1].get("place_name") == "rpi-3",
       "attach -k NAME@PLACE: keeps the others, pins the place") or \
        diag(agent.requests)

    mine = [{"place": "demo", "place_name": "rpi-3", "attached": False}]
    r = expect({"list": {"result": mine + others}}, "attach", "demo",
               "--timeout", "30", cwd=TMP)
    ok(r.rc == 0 and agent.methods() == ["list", "return_reservation",
                                         "return_reservation", "attach"] and
       agent.requests[-1][1] == {"name": "demo", "timeout": 30},
       "attach of a reserved NAME: no reserve, no description needed, "
       "timeout passed") or diag((r.err, agent.requests))
    r = expect({"list": {"result": mine}}, "attach", "demo@rpi-9", cwd=TMP)
    check(r, 4, "attach NAME@PLACE reserved elsewhere: conflict, exit 4")

    r = expect({"list": {"result": others}}, "attach", "nosuch", cwd=cwd)
    ok(r.rc == 3 and agent.methods() == ["list"],
       "attach with a missing description returns nothing (exit 3)")

    r = expect({"list": {"result": []},
                "attach": {"error": "attach demo: board.serial did not "
                           "enumerate within 20 s", "kind": "timeout"}},
               "attach", "demo", cwd=cwd)
    check(r, 5, "attach timeout: exit 5")
    ok(one_line_error(r, "nmbctl: attach demo: attach demo: board.serial"),
       "attach timeout: the agent's message on one line") or diag(r.err)

    lst = [{"place": "a", "place_name": "p1", "attached": True},
           {"place": "b", "place_name": "p2", "attached": False}]
    r = expect({"list": {"result": lst}}, "detach")
    ok(r.rc == 0 and agent.requests ==
       [("list", {}), ("detach", {"name": "a"}),
        ("return_reservation", {"name": "a", "force": False}),
        ("return_reservation", {"name": "b", "force": False})],
       "detach: detaches the attached, returns all") or \
        diag(agent.requests)
    r = expect({"list": {"result": lst}}, "detach", "-k")
    ok(r.rc == 0 and agent.requests == [("list", {}),
                                        ("detach", {"name": "a"})],
       "detach -k: detaches all, returns nothing")
    r = expect({}, "detach", "x", "y")
    ok(r.rc == 0 and agent.requests ==
       [("detach", {"name": "x"}),
        ("return_reservation", {"name": "x", "force": False}),
        ("detach", {"name": "y"}),
        ("return_reservation", {"name": "y", "force": False})],
       "detach NAME...: detach and return each")
    r = expect({}, "detach", "--keep", "x")
    ok(r.rc == 0 and agent.requests == [("detach", {"name": "x"})],
       "detach --keep NAME: detach only")
    r = expect({"detach": [{"error": "x is not reserved",
                            "kind": "not-found"}, {"result": None}]},
               "detach", "x", "y")
    ok(r.rc == 3 and ("detach", {"name": "y"}) in agent.requests,
       "detach carries on after a failed NAME and exits with its code")


# --- errors ----------------------------------------------------------------

def test_errors():
    cwd = os.path.join(TMP, "proj", "a", "b")
    for kind, rc in [("not-found", 3), ("conflict", 4), ("invalid", 2),
                     ("timeout", 5), ("unavailable", 7), ("internal", 1),
                     ("something-new", 1)]:
        msg = "demo: it went %s" % kind
        r = expect({"reserve": {"error": msg, "kind": kind}},
                   "reserve", "demo", cwd=cwd)
        check(r, rc, "error kind %s: exit %d" % (kind, rc))
        ok(r.err == "nmbctl: reserve demo: %s\n" % msg,
           "error kind %s: one line nmbctl: reserve demo: <message>" % kind) \
            or diag(r.err)
    r = expect({"list": {"error": "Method not found", "code": -32601}},
               "list")
    check(r, 1, "Method not found: exit 1")


# --- Ctrl-C ------------------------------------------------------------------

def test_interrupt():
    cwd = os.path.join(TMP, "proj", "a", "b")
    agent.reset({"reserve": {"hang": True}})
    e = dict(os.environ, HOME=HOME, NMB_AGENT_SOCKET=SOCK)
    p = subprocess.Popen([NMBCTL, "reserve", "demo"], cwd=cwd, env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    for _ in range(200):
        if "reserve" in agent.methods():
            break
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    # the fake agent's events go on from earlier tests: wait for a close
    # after the cancel, not any close
    for _ in range(250):
        if agent.methods()[-1:] == ["rpc.cancel"] and \
                agent.events[-1:] == ["close"]:
            break
        time.sleep(0.02)
    ok(p.returncode == 130, "Ctrl-C while reserve waits: exit 130") or \
        diag(err)
    ok("interrupted" in err and "Sanitizer" not in err,
       "Ctrl-C: says it was interrupted") or diag(err)
    ok(agent.methods()[-1] == "rpc.cancel" and
       agent.requests[-1][1] == [1] and "close" in agent.events,
       "Ctrl-C: rpc.cancel of the reserve, then the connection closes") or \
        diag((agent.requests, agent.events))


# --- queue feedback, options from not-my-board, FIFO, jq ------------------

def test_queue():
    cwd = os.path.join(TMP, "proj", "a", "b")
    note = ["reserve_progress", {"name": "demo", "position": 2,
                                 "waiting_s": 5}]
    r = expect({"reserve": {"notify": [note], "delay": 1.5,
                            "result": None}}, "reserve", "demo", cwd=cwd)
    ok(r.rc == 0 and r.err.splitlines() ==
       ["nmbctl: reserve demo: waiting for a place, position 2 in the "
        "queue, 0:05"],
       "reserve waiting: position and time, one plain line when stderr "
       "is no terminal") or diag(r.err)
    # on a terminal: one line, redrawn every second, cleared at the end
    master, slave = os.openpty()
    agent.reset({"reserve": {"notify": [note], "delay": 2.5,
                             "result": None}})
    e = dict(os.environ, HOME=HOME, NMB_AGENT_SOCKET=SOCK)
    p = subprocess.Popen([NMBCTL, "reserve", "demo"], cwd=cwd, env=e,
                         stdout=subprocess.PIPE, stderr=slave)
    p.wait(20)
    os.close(slave)
    tty = b""
    try:
        while True:
            d = os.read(master, 4096)
            if not d:
                break
            tty += d
    except OSError:
        pass
    os.close(master)
    tty = tty.decode(errors="replace")
    ok(p.returncode == 0 and tty.count("\r") >= 3 and "\033[K" in tty and
       "position 2" in tty and "0:06" in tty and "\n" not in tty,
       "reserve waiting on a terminal: one updating line") or diag(repr(tty))
    r = expect({"reserve": {"hang": True}}, "reserve", "--timeout", "1",
               "demo", cwd=cwd)
    ok(r.rc == 5 and one_line_error(r, "nmbctl: reserve demo: no place "
                                    "after 1 s (--timeout)"),
       "reserve --timeout: gives up, exit 5") or diag(r.err)
    for _ in range(100):
        if "close" in agent.events:
            break
        time.sleep(0.02)
    ok(agent.methods() == ["reserve", "rpc.cancel"] and
       "close" in agent.events,
       "reserve --timeout: the request is withdrawn") or \
        diag(agent.requests)
    r = expect({"reserve": {"error": "demo: every matching place is taken",
                            "kind": "conflict"}},
               "reserve", "--no-wait", "-p", "-5", "demo", cwd=cwd)
    p = agent.requests[0][1]
    ok(r.rc == 4 and p.get("wait") is False and p.get("priority") == -5,
       "reserve --no-wait --priority: wait=false, priority; busy: exit 4") \
        or diag((r.rc, p))
    r = expect({"list": {"result": []}, "attach": {"result": STATUS}},
               "attach", "--priority", "7", "--no-wait", "demo", cwd=cwd)
    p = [x for m, x in agent.requests if m == "reserve"]
    ok(r.rc == 0 and p and p[0].get("priority") == 7 and
       p[0].get("wait") is False,
       "attach --priority --no-wait reach the reserve") or diag(p)
    r = expect({}, "reserve", "-n", "mine", "demo", cwd=cwd)
    p = agent.requests[0][1]
    ok(r.rc == 0 and p["name"] == "mine" and
       p["import_description"] == DEMO,
       "reserve -n NAME: demo's description, reserved as NAME") or diag(p)
    r = expect({}, "reserve", "--with-name", "a/b", "demo", cwd=cwd)
    check(r, 2, "reserve --with-name with a slash: usage error")
    r = expect({}, "reserve", "--priority", "high", "demo", cwd=cwd)
    check(r, 2, "reserve --priority high: usage error")


def test_fifo():
    cwd = os.path.join(TMP, "proj", "a", "b")
    os.mkfifo(os.path.join(cwd, ".nmb", "pipe.yaml"))
    r = expect({}, "reserve", "pipe", cwd=cwd)
    ok(r.rc == 2 and one_line_error(r, "nmbctl: reserve pipe: import "
                                    "description ") and
       "not a regular file" in r.err and agent.requests == [],
       "a FIFO as description: refused at once, not read") or diag(r.err)


def test_jq_example():
    man = open(os.path.join(SRC, "Documentation", "man", "nmbctl.1")).read()
    m = re.search(r"^\$ (nmbctl status .*jq.*)$", man, re.M)
    ok(m is not None, "nmbctl(1) has a jq example")
    if not m:
        return
    cmd = m.group(1).replace("\\-", "-")
    agent.reset({"status": {"result": STATUS}})
    e = dict(os.environ, PATH=os.path.dirname(NMBCTL) + ":" +
             os.environ["PATH"], NMB_AGENT_SOCKET=SOCK, HOME=HOME)
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd],
                       capture_output=True, text=True, env=e, timeout=20)
    ok(p.returncode == 0 and p.stdout.split() == STATUS[0]["nodes"],
       "the jq example of nmbctl(1) works: %s" % cmd) or \
        diag(p.stdout + p.stderr)

# --- edit --------------------------------------------------------------------

def test_edit():
    text = "parts:\n  board:\n    compatible: [old-board]\n"
    resp = {"get_import_description": {"result": text}}
    r = expect(resp, "edit", "demo",
               env={"VISUAL": "sed -i s/old-board/new-board/"})
    ok(r.rc == 0 and agent.requests ==
       [("get_import_description", {"name": "demo"}),
        ("update_import_description",
         ["demo", text.replace("old", "new")])],
       "edit: get, $VISUAL on a temporary file, update") or \
        diag((r.err, agent.requests))
    r = expect(resp, "edit", "demo",
               env={"EDITOR": "sed -i s/old-board/ed-board/"})
    ok(r.rc == 0 and agent.methods()[-1] == "update_import_description" and
       "ed-board" in agent.requests[-1][1][1], "edit: $EDITOR")
    r = expect(resp, "edit", "demo", env={"VISUAL": "true"})
    ok(r.rc == 0 and agent.methods() == ["get_import_description"],
       "edit: unchanged text is not sent")
    r = expect(resp, "edit", "demo", env={"VISUAL": "false"})
    ok(r.rc == 1 and agent.methods() == ["get_import_description"],
       "edit: a failing editor changes nothing (exit 1)")
    resp["update_import_description"] = {
        "error": "line 3: compatible: expected a list", "kind": "invalid"}
    tmpdir = os.path.join(TMP, "edit-tmp")
    os.makedirs(tmpdir)
    r = expect(resp, "edit", "demo", env={"VISUAL": "sed -i s/old/new/",
                                          "TMPDIR": tmpdir})
    kept = os.listdir(tmpdir)
    ok(r.rc == 2 and "line 3" in r.err and len(kept) == 1 and
       kept[0] in r.err,
       "edit: a rejected text exits 2 and is kept for the user") or \
        diag((r.err, kept))
    r = expect({"get_import_description": {"error": "no reservation demo",
                                           "kind": "not-found"}},
               "edit", "demo", env={"VISUAL": "true"})
    check(r, 3, "edit of an unknown reservation: exit 3")


# --- documentation and completion ---------------------------------------------

def commands_of_help():
    out = run("--help").out
    block = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()]


def test_login():
    url = "https://idp.example/auth?client_id=nmb&state=s"
    note = ["login_url", {"url": url, "hub": "wss://hub.example"}]
    answer = {"hub": "wss://hub.example",
              "claims": {"sub": "u-1", "groups": ["lab", "ci"]}}
    r = expect({"login": {"notify": [note], "result": answer}}, "login")
    check(r, 0, "login exits 0")
    ok(url in r.out and "log in to wss://hub.example" in r.out and
       "Logged in to wss://hub.example." in r.out and
       "  sub: u-1" in r.out and "  groups: lab,ci" in r.out,
       "login prints the URL, then the claims") or diag(r.out)
    ok(agent.requests == [("login", {})], "login sends login({})") or \
        diag(agent.requests)
    r = expect({"login": {"notify": [note], "result": answer}}, "--json",
               "login", "wss://hub.example")
    check(r, 0, "login --json exits 0")
    ok(json.loads(r.out) == answer and url in r.err,
       "login --json: the answer on stdout, the URL on stderr") or \
        diag(r.out + r.err)
    ok(agent.requests == [("login", {"hub": "wss://hub.example"})],
       "login HUB_URL passes hub") or diag(agent.requests)
    r = expect({"login": {"error": "identity provider unreachable: "
                          "https://idp: connection refused",
                          "kind": "unavailable"}}, "login")
    check(r, 7, "login: provider unreachable exits 7")
    ok("identity provider unreachable" in r.err, "its message") or \
        diag(r.err)
    r = run("login", "a", "b")
    check(r, 2, "login with two arguments is a usage error")


def test_docs():
    cmds = commands_of_help()
    ok(len(cmds) == 12 and "console" in cmds and "login" in cmds,
       "nmbctl --help lists 12 commands") or diag(cmds)
    with open(os.path.join(SRC, "Documentation", "man", "nmbctl.1")) as f:
        man = f.read()
    tps = re.findall(r"^\.TP\n\\fB([a-z]+)\\fP", man, re.M)
    sections = re.findall(r"^\.SH (.+)$", man, re.M)
    missing = [c for c in cmds if c not in tps]
    ok(not missing, "nmbctl(1) has a .TP entry for every command") or \
        diag(missing)
    for s in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
              "IMPORT DESCRIPTIONS", "ENVIRONMENT", "EXIT STATUS",
              "EXAMPLES", "SEE ALSO"]:
        ok(s in sections, "nmbctl(1) has section " + s)
    undocumented = []
    for c in cmds:
        for opt in re.findall(r"--[a-z-]+", run(c, "--help").out):
            if "\\-\\-" + opt[2:].replace("-", "\\-") not in man:
                undocumented.append(c + " " + opt)
    ok(not undocumented, "nmbctl(1) documents every option") or \
        diag(undocumented)
    codes = sorted(set(int(x) for x in re.findall(
        r"^\.TP\n\.B (\d+)$", man, re.M)))
    ok(codes == [0, 1, 2, 3, 4, 5, 6, 7, 130],
       "nmbctl(1) documents the exit codes 0-7 and 130") or diag(codes)
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                            os.path.join(SRC, "Documentation", "man",
                                         "nmbctl.1")],
                           capture_output=True, text=True)
        ok(p.returncode == 0 and not p.stderr.strip(),
           "groff -man renders nmbctl(1) without warnings") or diag(p.stderr)


def complete(line):
    script = os.path.join(SRC, "cli", "completion", "nmbctl.bash")
    words = line.split(" ")
    prog = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMP_LINE=%s\n"
            "COMP_POINT=${#COMP_LINE}\n_nmbctl\n"
            "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" %
            (script, " ".join("'%s'" % w for w in words), len(words) - 1,
             "'%s'" % line))
    e = dict(os.environ, PATH=os.path.dirname(NMBCTL) + ":" +
             os.environ["PATH"], NMB_AGENT_SOCKET=SOCK, HOME=HOME)
    p = subprocess.run(["bash", "-c", prog], capture_output=True, text=True,
                       env=e)
    return p.returncode, sorted(p.stdout.split())


def test_completion():
    script = os.path.join(SRC, "cli", "completion", "nmbctl.bash")
    p = subprocess.run(["bash", "-n", script], capture_output=True)
    ok(p.returncode == 0, "completion: bash -n accepts the script")
    rc, words = complete("nmbctl at")
    ok(words == ["attach"], "completion: commands") or diag(words)
    rc, words = complete("nmbctl detach --k")
    ok(words == ["--keep"], "completion: options of a command") or \
        diag(words)
    agent.reset({"list": {"result": [
        {"place": "demo", "place_name": "p", "attached": True},
        {"place": "lab", "place_name": "q", "attached": False}]}})
    rc, words = complete("nmbctl detach ")
    ok(words == ["demo", "lab"] and "list" in agent.methods(),
       "completion: live reservation names from nmbctl list --json") or \
        diag(words)
    agent.reset({"search": {"result": [PLACE, dict(PLACE, name="rpi-4")]}})
    rc, words = complete("nmbctl show @rpi")
    ok(words == ["@rpi-3", "@rpi-4"] and "search" in agent.methods(),
       "completion: show @PLACE from nmbctl search --json") or diag(words)
    agent.reset({"search": {"result": [PLACE]}})
    rc, words = complete("nmbctl show @ r")
    ok(words == ["rpi-3"],
       "completion: show @ PLACE when bash splits at '@'") or diag(words)


def main():
    print("TAP version 13", flush=True)
    os.makedirs(HOME)
    try:
        test_usage()
        test_no_agent()
        test_listings()
        test_lookup()
        test_reserve_attach()
        test_errors()
        test_interrupt()
        test_queue()
        test_fifo()
        test_jq_example()
        test_edit()
        test_login()
        test_docs()
        test_completion()
    finally:
        agent.close()
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
