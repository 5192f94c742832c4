# SPDX-License-Identifier: GPL-2.0
# restart_test.py - nmb-server restarts with a state file (state_file in
# server.yaml, Documentation/protocol.rst "Server restart"): sessions,
# places and reservations survive a SIGTERM or SIGKILL within the grace
# window, a waiting agent does not win a held place, and what is not
# resumed in time goes by the ordinary grace rules. Prints TAP.
# Usage: restart_test.py NMB_SERVER_BINARY WORKDIR
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
from nmbpeer import (Peer, Server, call_error, close_all,  # noqa
                     free_port, place_desc)
from nmbtest import (check, collector, run_tests, servers_line,  # noqa: E402
                     settle)

BIN, WORK = sys.argv[1], sys.argv[2]
TESTS, test = collector()
servers = []     # (server, expected exit code)


class Farm:
    """One state file and port, and the server processes run on them."""

    count = 0

    def __init__(self, grace=3, extra=""):
        Farm.count += 1
        self.state = os.path.join(WORK, "state-%d.json" % Farm.count)
        self.config = "grace: %d\nstate_file: %s\n%s" % (grace, self.state,
                                                          extra)
        self.port = None
        self.runs = 0
        self.srv = None

    def start(self):
        self.runs += 1
        name = "restart-%d-%d.log" % (Farm.count, self.runs)
        self.t_start = time.time()
        self.srv = Server(BIN, WORK, config=self.config, port=self.port,
                          log_name=name)
        self.port = self.srv.port
        servers.append(self.srv)
        # The file is read after the listeners are up: wait for its line.
        end = time.time() + 10
        while time.time() < end and self.srv.proc.poll() is None and \
                "state file " not in self.srv.text():
            time.sleep(0.02)
        return self.srv

    def saved(self):
        try:
            with open(self.state) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def get(srv, path):
    with urllib.request.urlopen(srv.url(path, scheme="http"),
                                timeout=5) as r:
        return json.loads(r.read())


async def hello(peer, session=None):
    kw = {"features": ["grace", "notify"]}
    if session:
        kw["session"] = session
    return await peer.call("hello", **kw)


async def held_farm(farm, name):
    """Exporter and holder with hello, a second agent queued."""
    s = farm.start()
    e = await Peer.connect(s.url())
    etok = (await hello(e))["session"]
    pid = await e.call("register_place", place_desc(name))
    a = await Peer.connect(s.url())
    atok = (await hello(a))["session"]
    check(await a.call("reserve", [pid]) == pid, "a holds")
    b = await Peer.connect(s.url())
    bh = await hello(b)
    _, fb = b.start("reserve", [pid])
    ok = await settle(lambda: (farm.saved() or {}).get("reservations"))
    check(ok, "reservation in the state file: %s" % farm.saved())
    return s, e, etok, pid, a, atok, b, bh, fb


async def resumed_farm(farm, s, etok, pid, atok, bh):
    """After the restart: the queued agent first, then both resume."""
    places = get(s, "/api/v1/places")["places"]
    check([p["id"] for p in places] == [pid], "place kept its id: %s"
          % places)
    b2 = await Peer.connect(s.url())
    bh2 = await hello(b2, bh["session"])
    check(bh2["resumed"] is False, "a queued session is not kept: %s" % bh2)
    check(bh2["connection"] > bh["connection"], "counter restored: %s" % bh2)
    _, fb2 = b2.start("reserve", [pid])
    e2 = await Peer.connect(s.url())
    check((await hello(e2, etok))["resumed"], "exporter resumed")
    check(await settle(lambda: e2.allowed == [["127.0.0.1"]]),
          "holder's IP allowed again: %s" % e2.allowed)
    r = await b2.call("get_reservations")
    check([x["place_id"] for x in r["reservations"]] == [pid],
          "reservation listed: %s" % r)
    await asyncio.sleep(0.3)
    check(not fb2.done(), "queued agent did not get the held place")
    return b2, fb2, e2


@test
async def sigterm_keeps_reservations():
    farm = Farm()
    s, e, etok, pid, a, atok, b, bh, fb = await held_farm(farm, "kept")
    user = (await a.call("get_reservations"))["reservations"][0]["user"]
    s.proc.send_signal(signal.SIGTERM)
    code, bad = s.stop(sig=None)
    check(code == 0 and not bad, (code, bad))
    check(e.allowed == [["127.0.0.1"]], "exporter not told []: %s"
          % e.allowed)
    res = await asyncio.wait_for(fb, 3)
    check(res["error"]["message"] == "Connection closed", res)
    check("keeping 1 reservation(s) for the next start" in s.text(),
          "log says why")
    s = farm.start()
    check("restored 2 session(s), 1 place(s), 1 reservation(s)"
          in s.text(), s.text())
    b2, fb2, e2 = await resumed_farm(farm, s, etok, pid, atok, bh)
    a2 = await Peer.connect(s.url())
    check((await hello(a2, atok))["resumed"], "holder resumed")
    r = await a2.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid, "user": user}]}, r)
    check(await a2.call("return_reservation", pid) is None, "returned")
    got = Peer.result(await asyncio.wait_for(fb2, 3))
    check(got == pid, "the queued agent gets it once returned")
    return "SIGTERM saves; after restart place %d keeps its holder, the " \
        "re-queued agent waits and is served on return" % pid


@test
async def sigkill_then_grace_expiry():
    farm = Farm(grace=2)
    s, e, etok, pid, a, atok, b, bh, fb = await held_farm(farm, "killed")
    s.proc.kill()
    s.stop(sig=None)
    s = farm.start()
    check("restored 2 session(s)" in s.text(), s.text())
    b2, fb2, e2 = await resumed_farm(farm, s, etok, pid, atok, bh)
    got = Peer.result(await asyncio.wait_for(fb2, 5))
    dt = time.time() - farm.t_start
    check(got == pid, got)
    check(dt > 1.9, "not before the grace window ended: %.1f s" % dt)
    check(await settle(lambda: e2.allowed[-1:] == [["127.0.0.1"]]),
          e2.allowed)
    check("not resumed within 2s" in s.text(), "log")
    a2 = await Peer.connect(s.url())
    check((await hello(a2, atok))["resumed"] is False, "too late")
    return "SIGKILL after a write: kept; holder gone for the window: " \
        "the queued agent gets place %d" % pid


@test
async def holder_first_then_exporter():
    farm = Farm()
    s, e, etok, pid, a, atok, b, bh, fb = await held_farm(farm, "order")
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    s = farm.start()
    a2 = await Peer.connect(s.url())
    check((await hello(a2, atok))["resumed"], "holder resumed first")
    b2 = await Peer.connect(s.url())
    await hello(b2)
    _, fb2 = b2.start("reserve", [pid])
    await asyncio.sleep(0.2)
    e2 = await Peer.connect(s.url())
    check((await hello(e2, etok))["resumed"], "exporter resumed")
    check(await settle(lambda: e2.allowed == [["127.0.0.1"]]), e2.allowed)
    await asyncio.sleep(0.3)
    check(not fb2.done(), "place stays with its holder")
    check(await a2.call("return_reservation", pid) is None, "returned")
    check(Peer.result(await asyncio.wait_for(fb2, 3)) == pid, "served")
    return "holder resumes before its exporter: reservation intact"


@test
async def not_my_board_peers_start_anew():
    farm = Farm()
    s = farm.start()
    e = await Peer.connect(s.url())
    etok = (await hello(e))["session"]
    pid = await e.call("register_place", place_desc("mixed"))
    plain = await Peer.connect(s.url())
    ppid = await plain.call("register_place", place_desc("plain"))
    nmb_agent = await Peer.connect(s.url())
    check(await nmb_agent.call("reserve", [pid]) == pid, "no-hello holder")
    ok = await settle(lambda: len((farm.saved() or {})
                                  .get("places", [])) == 1)
    check(ok, farm.saved())
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    s = farm.start()
    places = get(s, "/api/v1/places")["places"]
    check([p["id"] for p in places] == [pid], "only the hello'd place: %s"
          % places)
    check(ppid not in [p["id"] for p in places], "no-hello place not kept")
    a = await Peer.connect(s.url())
    check((await a.call("get_reservations"))["reservations"] == [],
          "a no-hello reservation is not kept")
    e2 = await Peer.connect(s.url())
    check((await hello(e2, etok))["resumed"], "resumed")
    check(await settle(lambda: e2.allowed == [[]]), e2.allowed)
    check(await a.call("reserve", [pid]) == pid, "free for anyone")
    plain2 = await Peer.connect(s.url())
    p2 = await plain2.call("register_place", place_desc("plain"))
    check(p2 > max(pid, ppid), "ids not reused: %d" % p2)
    return "no-hello peers register/reserve anew; ids not reused"


@test
async def too_late_starts_empty():
    farm = Farm(grace=1)
    s, e, etok, pid, a, atok, b, bh, fb = await held_farm(farm, "late")
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    await close_all()
    await asyncio.sleep(1.3)
    s = farm.start()
    check("longer than the grace window" in s.text(), s.text())
    check(get(s, "/api/v1/places")["places"] == [], "nothing restored")
    e2 = await Peer.connect(s.url())
    h = await hello(e2, etok)
    check(h["resumed"] is False and h["connection"] > pid, h)
    return "down longer than grace: nothing restored, counter kept"


@test
async def sigusr1_returns_everything():
    farm = Farm()
    s, e, etok, pid, a, atok, b, bh, fb = await held_farm(farm, "drain")
    s.proc.send_signal(signal.SIGUSR1)
    res = await asyncio.wait_for(fb, 3)
    check(res["error"]["message"] == "Server is shutting down", res)
    check(await settle(lambda: e.allowed[-1:] == [[]]), e.allowed)
    code, bad = s.stop(sig=None)
    check(code == 0 and not bad, (code, bad))
    saved = farm.saved()
    check(saved and saved["reservations"] == [] and
          saved["next_connection"] > pid, saved)
    s = farm.start()
    check(get(s, "/api/v1/places")["places"] == [], "nothing restored")
    return "SIGUSR1: every reservation returned, state file cleared"


@test
async def lease_survives_restart():
    farm = Farm(grace=5)
    s = farm.start()
    e = await Peer.connect(s.url())
    etok = (await hello(e))["session"]
    pid = await e.call("register_place", place_desc("leased"))
    a = await Peer.connect(s.url())
    atok = (await hello(a))["session"]
    await a.call("reserve", candidate_ids=[pid], lease=3)
    t0 = time.time()
    check(await settle(lambda: (farm.saved() or {}).get("reservations")),
          farm.saved())
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    s = farm.start()
    e2 = await Peer.connect(s.url())
    await hello(e2, etok)
    a2 = await Peer.connect(s.url())
    check((await hello(a2, atok))["resumed"], "resumed")
    msg = await a2.expect_raw(6)
    check(msg["method"] == "reservation_lost" and
          msg["params"] == {"place_id": pid, "reason": "lease"}, msg)
    dt = time.time() - t0
    check(dt > 2.5, "lease ran out after %.1f s" % dt)
    return "a lease keeps running out after a restart (%.1f s)" % dt


@test
async def secret_survives_restart():
    # The grant's secret is kept in the state file (mode 0600), so that
    # the exporter resumed after a restart admits the agent that still
    # holds it; the server's log never shows it.
    farm = Farm(grace=5)
    s = farm.start()
    feat = {"features": ["grace", "notify", "secret"]}
    e = await Peer.connect(s.url())
    etok = (await e.call("hello", **feat))["session"]
    pid = await e.call("register_place", place_desc("sealed"))
    a = await Peer.connect(s.url())
    atok = (await a.call("hello", **feat))["session"]
    got = await a.call("reserve", [pid])
    sec = got["secret"]
    check(await settle(lambda: (farm.saved() or {}).get("reservations")),
          farm.saved())
    mode = os.stat(farm.state).st_mode & 0o777
    check(mode == 0o600, "state file mode %o" % mode)
    check(farm.saved()["reservations"][0].get("secret") == sec,
          "secret saved with its reservation")
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    s = farm.start()
    e2 = await Peer.connect(s.url())
    await e2.call("hello", session=etok, **feat)
    check(await settle(lambda: e2.secrets == [sec]),
          "resumed exporter told the same secret: %s" % e2.secrets)
    a2 = await Peer.connect(s.url())
    check((await a2.call("hello", session=atok, **feat))["resumed"],
          "holder resumed")
    check(await a2.call("return_reservation", pid) is None, "returned")
    for p in (a2, e2):
        await p.close()
    for srv in servers:
        if sec in srv.text():
            check(False, "secret in %s" % srv.log_path)
    return "the grant's secret survives a restart in a 0600 state file"


TOKENS = """tokens:
  - name: exp
    token: exporter-secret-0123456789
    roles: [exporter]
  - name: alice
    token: importer-secret-0123456789
    roles: [importer]
  - name: bob
    token: importer2-secret-0123456789
    roles: [importer]
"""


def bearer(t):
    return {"Authorization": "Bearer " + t}


EXP = bearer("exporter-secret-0123456789")
ALICE = bearer("importer-secret-0123456789")
BOB = bearer("importer2-secret-0123456789")


@test
async def tokens_bind_restored_sessions():
    farm = Farm(extra=TOKENS)
    s = farm.start()
    e = await Peer.connect(s.url(), headers=EXP)
    etok = (await hello(e))["session"]
    pid = await e.call("register_place", place_desc("secured"))
    a = await Peer.connect(s.url(), headers=ALICE)
    atok = (await hello(a))["session"]
    await a.call("reserve", [pid])
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    s = farm.start()
    b = await Peer.connect(s.url(), headers=BOB)
    err = await call_error(hello(b, atok))
    check(err and "session belongs to another token" in err.message, err)
    e2 = await Peer.connect(s.url(), headers=EXP)
    check((await hello(e2, etok))["resumed"], "exporter resumed")
    a2 = await Peer.connect(s.url(), headers=ALICE)
    check((await hello(a2, atok))["resumed"], "alice resumed")
    r = await a2.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid, "user": "alice"}]}, r)
    return "with tokens a restored session is resumed only by its token"


@test
async def bad_state_files():
    farm = Farm()
    with open(farm.state, "w") as f:
        f.write("{ not json")
    s = farm.start()
    check("not an nmb-server state" in s.text(), s.text())
    check(s.proc.poll() is None, "runs")
    check(await settle(lambda: farm.saved() is not None), "overwritten")
    s.proc.send_signal(signal.SIGTERM)
    s.stop(sig=None)
    junk = {"version": 1, "next_connection": "x",
            "sessions": [{"token": "t" * 40, "user": 1}, 7,
                         {"token": "abc", "user": "<1>", "ip": "::1",
                          "grace_end_ms": "soon"}],
            "places": [{"id": 5, "session": "abc", "desc": {"name": 3}},
                       None],
            "reservations": "no"}
    with open(farm.state, "w") as f:
        json.dump(junk, f)
    s = farm.start()
    check(s.proc.poll() is None and "malformed" in s.text(), s.text())
    check(get(s, "/api/v1/places")["places"] == [], "nothing restored")
    path = os.path.join(WORK, "bad-state.yaml")
    with open(path, "w") as f:
        f.write("state_file: relative.json\n")
    p = subprocess.run([BIN, "-c", path, "--listen", "127.0.0.1:1"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "key 'state_file': expected an absolute"
          in p.stderr, p.stderr)
    notdir = os.path.join(WORK, "bad-state.yaml", "state.json")
    with open(path, "w") as f:
        f.write("state_file: %s\n" % notdir)
    p = subprocess.run([BIN, "-c", path, "--listen",
                        "127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "StateDirectory=nmb" in p.stderr, p.stderr)
    return "junk and foreign files start empty; unwritable path: exit 1"


async def main():
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    n = await run_tests(TESTS, 40, close_all)
    # servers killed on purpose are not asked to stop
    servers_line(n + 1, servers, skip=lambda s: s.proc.returncode is not None
                 and s.proc.returncode < 0)


asyncio.run(main())
