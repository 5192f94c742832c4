# SPDX-License-Identifier: GPL-2.0
# server_test.py - loopback tests of nmb-server (wire protocol §1-§5 and
# the extensions of Documentation/protocol.rst) with real WebSocket
# clients. Prints TAP. Usage: server_test.py NMB_SERVER_BINARY WORKDIR
import asyncio
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time

import websockets

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
from nmbpeer import Peer, RpcError, Server, call_error, close_all, place_desc  # noqa
import nmbtest  # noqa: E402
from nmbtest import (check, collector, run_tests, servers_line,  # noqa: E402
                     settle)

BIN, WORK = sys.argv[1], sys.argv[2]
TESTS, test = collector()
servers = []


def new_server(**kw):
    s = Server(BIN, WORK, **kw)
    servers.append(s)
    return s


def http_get(srv, path, method="GET", scheme="http", ctx=None):
    if scheme == "https":
        c = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=5,
                                        context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("content-type"), body


def metric(srv, name):
    _, _, body = http_get(srv, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


async def no_message(peer, timeout=0.3):
    try:
        msg = await peer.expect_raw(timeout)
        return msg is None
    except asyncio.TimeoutError:
        return True


S = None  # the shared server, no configuration file


async def exporter(srv, name, **kw):
    e = await Peer.connect(srv.url())
    pid = await e.call("register_place", place_desc(name, **kw))
    return e, pid


# --- §1 HTTP ------------------------------------------------------------------

@test
async def http_routes():
    st, ct, body = http_get(S, "/api/v1/places")
    check(st == 200 and ct == "application/json", (st, ct))
    check(json.loads(body) == {"places": []}, body)
    st, ct, body = http_get(S, "/api/v1/auth-info")
    check(st == 200 and json.loads(body) == {}, body)
    st, ct, body = http_get(S, "/metrics")
    check(st == 200 and ct.startswith("text/plain; version=0.0.4"), ct)
    for name in ("nmb_places_registered 0.0", "nmb_places_reserved 0.0",
                 "nmb_reservation_queue_length 0.0"):
        check(name in body.decode(), name)
    st, ct, body = http_get(S, "/nope")
    check(st == 404 and body == b"Page not found", (st, body))
    st, _, _ = http_get(S, "/ws")
    check(st == 404, "plain GET /ws is 404")
    st, _, body = http_get(S, "/api/v1/places", method="POST")
    check(st == 200, "method is not checked")
    st, _, _ = http_get(S, "/oidc-callback?state=x")
    check(st == 500, "unknown oidc state is 500")
    check(S.text().count("authentication off") == 1, "warned once")
    return "places, auth-info, metrics, 404, POST, /oidc-callback"


@test
async def upgrade_other_path_403():
    try:
        await websockets.connect(S.url("/other"))
    except websockets.InvalidStatusCode as e:
        check(e.status_code == 403, e.status_code)
        return "WebSocket upgrade on /other is 403"
    raise AssertionError("upgrade accepted")


@test
async def handshake_no_subprotocol_no_extension():
    ws = await websockets.connect(S.url(), compression="deflate")
    check(ws.subprotocol is None, ws.subprotocol)
    check(not ws.extensions, ws.extensions)
    await ws.close()
    return "no subprotocol, no permessage-deflate even when offered"


# --- §2 connection counter, §4 register_place ----------------------------------

@test
async def one_counter_for_all_connections():
    a = await Peer.connect(S.url())
    b = await Peer.connect(S.url())
    e, pid = await exporter(S, "counter")
    st, _, body = http_get(S, "/api/v1/places")
    ids = [p["id"] for p in json.loads(body)["places"]]
    r = await a.call("get_reservations")
    await a.close()
    await b.close()
    await e.close()
    check(pid in ids, ids)
    check(r == {"reservations": []}, r)
    hello = await Peer.connect(S.url())
    res = await hello.call("hello")
    await hello.close()
    check(res["connection"] > pid and pid >= 3, (pid, res))
    return "place id is the exporter's connection number (%d)" % pid


@test
async def register_and_list():
    e = await Peer.connect(S.url())
    desc = place_desc("rpi-lab-3", port=2192)
    desc["extra"] = "dropped"
    desc["parts"].append({"compatible": ["bench-psu"], "junk": 1})
    pid = await e.call("register_place", desc)
    st, _, body = http_get(S, "/api/v1/places")
    places = json.loads(body)["places"]
    await e.close()
    want = {"name": "rpi-lab-3", "port": 2192, "parts": [
        {"compatible": ["raspberry-pi"],
         "usb": {"serial": {"usbid": "1-4.2"}},
         "tcp": {"ssh": {"host": "192.168.7.20", "port": 22}}},
        {"compatible": ["bench-psu"], "usb": {}, "tcp": {}}],
        "id": pid, "host": "127.0.0.1"}
    check(places == [want], places)
    check(list(places[0].keys()) == list(want.keys()), places[0].keys())
    return "normalised description, id and unmapped IPv4 host"


@test
async def register_twice_and_duplicate_name():
    e, pid = await exporter(S, "dup")
    err = await call_error(e.call("register_place", place_desc("other")))
    check(err and err.code == -32603 and
          err.message == "Place already registered", err)
    e2 = await Peer.connect(S.url())
    err = await call_error(e2.call("register_place", place_desc("dup")))
    check(err and err.message == 'Place with name "dup" already registered',
          err)
    await e.close()
    # A name becomes free again when its exporter disconnects.
    await settle(lambda: metric(S, "nmb_places_registered") == 0)
    pid2 = await e2.call("register_place", place_desc("dup"))
    await e2.close()
    check(pid2 != pid, "new id")
    return "second registration and duplicate name rejected; name reusable"


@test
async def register_validation():
    e = await Peer.connect(S.url())
    bad = [
        dict(place_desc("v1"), id=3),
        dict(place_desc("v2"), host="x"),
        dict(place_desc("v3"), port=0),
        dict(place_desc("v4"), port="22"),
        {"name": 5, "port": 1, "parts": []},
        {"port": 1, "parts": []},
        {"name": "v7", "port": 1, "parts": {}},
        {"name": "v8", "port": 1, "parts": [{"compatible": "x"}]},
        {"name": "v9", "port": 1, "parts": [{}]},
        {"name": "v10", "port": 1, "parts": [
            {"compatible": [], "usb": {"a": {"usbid": "0-1"}}}]},
        {"name": "v11", "port": 1, "parts": [
            {"compatible": [], "usb": {"a": {"usbid": "1-1."}}}]},
        {"name": "v12", "port": 1, "parts": [
            {"compatible": [], "tcp": {"a": {"host": "h", "port": -1}}}]},
        {"name": "v13", "port": 1, "parts": [
            {"compatible": [], "tcp": {"a": {"port": 1}}}]},
        "string",
    ]
    for d in bad:
        err = await call_error(e.call("register_place", d))
        check(err and err.code == -32603, (d, err))
    err = await call_error(e.call("register_place"))
    check(err and err.code == -32603 and "missing" in err.message, err)
    ok = await e.call("register_place", {"name": "e", "port": True,
                                         "parts": [{"compatible": [],
                                                    "usb": {"a": {"usbid": "3-1.2.10"}}}]})
    await e.close()
    check(isinstance(ok, int), ok)
    return "%d invalid descriptions rejected with -32603; edge cases pass" \
        % len(bad)


# --- §4 reserve / return ---------------------------------------------------------

@test
async def reserve_waits_for_allowed_ips():
    e, pid = await exporter(S, "ack")
    e.allow_delay = 0.4
    a = await Peer.connect(S.url())
    t0 = time.time()
    got = await a.call("reserve", [pid, 999999])
    dt = time.time() - t0
    check(got == pid, got)
    check(e.allowed == [["127.0.0.1"]], e.allowed)
    check(dt >= 0.4, "reserve answered after %.2fs, before the ack" % dt)
    e.allow_delay = 0.4
    t0 = time.time()
    r = await a.call("return_reservation", pid)
    dt = time.time() - t0
    check(r is None and e.allowed[-1] == [], e.allowed)
    check(dt >= 0.4, "return answered before set_allowed_ips([]) ack")
    await a.close()
    await e.close()
    return "reserve after set_allowed_ips([ip]) ack, return after [] ack"


@test
async def reserve_errors():
    a = await Peer.connect(S.url())
    err = await call_error(a.call("reserve", [987654]))
    check(err and err.code == -32603 and
          err.message == "None of the candidates exist anymore", err)
    err = await call_error(a.call("reserve", []))
    check(err and err.message == "None of the candidates exist anymore",
          err)
    err = await call_error(a.call("reserve", "x"))
    check(err and err.code == -32603, err)
    err = await call_error(a.call("reserve", [1.5]))
    check(err and err.code == -32603, err)
    err = await call_error(a.call("reserve", [1], 2, 3, 4))
    check(err and err.code == -32603, err)
    err = await call_error(a.call("reserve", bogus=[1]))
    check(err and err.code == -32603, err)
    err = await call_error(a.call("return_reservation", 424242))
    check(err and err.code == -32603 and err.message == "424242", err)
    err = await call_error(a.call("get_place_stats", 12))
    check(err and err.code == -32603 and err.message == "12", err)
    await a.close()
    return "no candidates, wrong types, not held, unknown stats id"


@test
async def exporter_error_passed_on():
    e, pid = await exporter(S, "refuse")
    e.allow_error = "invalid IP"
    a = await Peer.connect(S.url())
    err = await call_error(a.call("reserve", [pid]))
    check(err and err.code == -32603 and err.message == "invalid IP", err)
    r = await a.call("get_reservations")
    check(r == {"reservations": []}, r)
    e.allow_error = None
    got = await a.call("reserve", [pid])
    check(got == pid, "place was returned after the failure")
    await a.close()
    await e.close()
    return "set_allowed_ips error reaches the agent; place returned"


@test
async def return_not_held():
    e, pid = await exporter(S, "nothold")
    a = await Peer.connect(S.url())
    b = await Peer.connect(S.url())
    await a.call("reserve", [pid])
    err = await call_error(b.call("return_reservation", pid))
    check(err and err.code == -32603 and err.message == str(pid), err)
    r = await b.call("get_reservations")
    check(len(r["reservations"]) == 1 and
          r["reservations"][0]["place_id"] == pid and
          r["reservations"][0]["user"].startswith("<"), r)
    await a.close()
    await b.close()
    await e.close()
    return "returning another connection's place: -32603 '%d'" % pid


@test
async def uniqueness_ema():
    s = new_server()
    e1, p1 = await exporter(s, "u1")
    e2, p2 = await exporter(s, "u2")
    a = await Peer.connect(s.url())
    await a.call("reserve", [p1])
    st = await a.call("get_place_stats", p1)
    check(st == {"uniqueness": 0.5}, st)
    await a.call("return_reservation", p1)
    got = await a.call("reserve", [p1, p2])
    s1 = await a.call("get_place_stats", p1)
    s2 = await a.call("get_place_stats", p2)
    check(s1["uniqueness"] == 0.375 and s2["uniqueness"] == 0.0, (s1, s2))
    # Three places, one candidate: u = 2/3, written as Python writes it.
    e3, p3 = await exporter(s, "u3")
    await a.call("return_reservation", got)
    await a.call("reserve", [p3])
    ws = await websockets.connect(s.url())
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                              "method": "get_place_stats", "params": [p3]}))
    raw = (await asyncio.wait_for(ws.recv(), 3)).decode()
    await ws.close()
    check('"uniqueness":0.6666666666666667}' in raw, raw)
    check(got == p2, "lowest EMA chosen")
    _, _, body = http_get(s, "/metrics")
    check(b"nmb_places_reserved 1.0" in body, body)
    for p in (a, e1, e2, e3):
        await p.close()
    return "EMA alpha 0.25, first sample sets it, lowest EMA chosen; " \
        "floats written as Python does"


@test
async def fifo_queue_and_direct_handover():
    e, pid = await exporter(S, "fifo")
    a, b, c = [await Peer.connect(S.url()) for _ in range(3)]
    await a.call("reserve", [pid])
    rb, fb = b.start("reserve", [pid])
    await asyncio.sleep(0.1)
    rc, fc = c.start("reserve", [pid])
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 2)
    check(metric(S, "nmb_reservation_queue_length") == 2, "2 waiting")
    await a.call("return_reservation", pid)
    check(Peer.result(await asyncio.wait_for(fb, 3)) == pid, "b first")
    check(not fc.done(), "c still waits")
    check(e.allowed == [["127.0.0.1"]] * 2, e.allowed)
    await b.call("return_reservation", pid)
    check(Peer.result(await asyncio.wait_for(fc, 3)) == pid, "c next")
    check([] not in e.allowed, "no [] between holders: %s" % e.allowed)
    for p in (a, b, c, e):
        await p.close()
    return "FIFO; the place passes straight on, no [] in between"


@test
async def queue_first_entry_that_wants_the_place():
    e1, p1 = await exporter(S, "w1")
    e2, p2 = await exporter(S, "w2")
    h, b, c = [await Peer.connect(S.url()) for _ in range(3)]
    await h.call("reserve", [p1])
    await h.call("reserve", [p2])
    _, fb = b.start("reserve", [p2])
    await asyncio.sleep(0.05)
    _, fc = c.start("reserve", [p1])
    await asyncio.sleep(0.1)
    await h.call("return_reservation", p1)
    check(Peer.result(await asyncio.wait_for(fc, 3)) == p1, "c gets p1")
    check(not fb.done(), "b still waits for p2")
    # A place registered later never satisfies a waiting entry.
    e3, p3 = await exporter(S, "w3")
    await asyncio.sleep(0.1)
    check(not fb.done(), "b ignores later places")
    await h.call("return_reservation", p2)
    check(Peer.result(await asyncio.wait_for(fb, 3)) == p2, "b gets p2")
    for p in (h, b, c, e1, e2, e3):
        await p.close()
    return "served by the first entry wanting the returned place"


@test
async def priorities():
    e, pid = await exporter(S, "prio")
    h, lo1, hi, lo2 = [await Peer.connect(S.url()) for _ in range(4)]
    await h.call("reserve", [pid])
    _, f1 = lo1.start("reserve", [pid])
    await asyncio.sleep(0.05)
    _, f2 = hi.start("reserve", candidate_ids=[pid], priority=5)
    await asyncio.sleep(0.05)
    _, f3 = lo2.start("reserve", [pid], 0)
    await asyncio.sleep(0.1)
    order = []
    holder = h
    futs = {f1: ("lo1", lo1), f2: ("hi", hi), f3: ("lo2", lo2)}
    for _ in range(3):
        await holder.call("return_reservation", pid)
        await settle(lambda: len([f for f in futs if f.done()]) ==
                     len(order) + 1)
        fut = [f for f in futs if f.done() and f not in order][0]
        order.append(fut)
        holder = futs[fut][1]
    names = [futs[f][0] for f in order]
    check(names == ["hi", "lo1", "lo2"], names)
    for p in (h, lo1, hi, lo2, e):
        await p.close()
    return "priority 5 served first, FIFO within priority 0"


@test
async def cancel_waiting_reserve():
    e, pid = await exporter(S, "cancel")
    h, a = [await Peer.connect(S.url()) for _ in range(2)]
    await h.call("reserve", [pid])
    rid, fut = a.start("reserve", [pid])
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 1)
    r = await a.cancel(rid)
    check(r is None, r)
    check(metric(S, "nmb_reservation_queue_length") == 0, "left the queue")
    await h.call("return_reservation", pid)
    check(await no_message(a, 0.3), "the cancelled reserve got no reply")
    check(e.allowed[-1] == [], "place became free: %s" % e.allowed)
    r = await a.call("rpc.cancel", 12345)
    check(r is None, "cancel of an unknown id answers null")
    for p in (h, a, e):
        await p.close()
    return "rpc.cancel: answered null, no reply, queue left"


@test
async def cancel_during_set_allowed_ips():
    e, pid = await exporter(S, "cancel2")
    e.allow_delay = 2
    a = await Peer.connect(S.url())
    rid, fut = a.start("reserve", [pid])
    await settle(lambda: len(e.allowed) == 1)
    await a.cancel(rid)
    ok = await settle(lambda: any(m["method"] == "rpc.cancel"
                                  for m in e.incoming))
    check(ok, "exporter got rpc.cancel: %s" % e.incoming)
    sa = [m for m in e.incoming if m["method"] == "set_allowed_ips"][0]
    rc = [m for m in e.incoming if m["method"] == "rpc.cancel"][0]
    check(rc["params"] == [sa["id"]], (sa, rc))
    check(await no_message(a, 0.3), "no reply to the cancelled reserve")
    e.allow_delay = 0
    got = await a.call("reserve", [pid])
    check(got == pid, "place free again")
    for p in (a, e):
        await p.close()
    return "cancelling reserve cancels the exporter's set_allowed_ips"


@test
async def returning_agent_gone_still_clears_allow_list():
    e, pid = await exporter(S, "clear")
    a = await Peer.connect(S.url())
    await a.call("reserve", [pid])
    e.allow_delay = 0.5
    a.start("return_reservation", pid)
    await settle(lambda: len(e.allowed) == 2)
    await a.close()
    await asyncio.sleep(0.8)
    check(e.allowed[-1] == [], e.allowed)
    check(not [m for m in e.incoming if m["method"] == "rpc.cancel"],
          "set_allowed_ips([]) not cancelled: %s" % e.incoming)
    e.allow_delay = 0
    b = await Peer.connect(S.url())
    check(await b.call("reserve", [pid]) == pid, "place free")
    return "an agent leaving mid-return does not cancel the []"


@test
async def exporter_disconnect():
    e1, p1 = await exporter(S, "gone1")
    e2, p2 = await exporter(S, "gone2")
    h, w1, w2 = [await Peer.connect(S.url()) for _ in range(3)]
    await h.call("reserve", [p1])
    await h.call("reserve", [p2])
    _, f1 = w1.start("reserve", [p1])
    _, f2 = w2.start("reserve", [p1, p2])
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 2)
    await e1.close()
    res = await asyncio.wait_for(f1, 3)
    check(res["error"]["message"] == "All candidate places are gone", res)
    check(not f2.done(), "entry with p2 left still waits")
    r = await h.call("get_reservations")
    ids = sorted(x["place_id"] for x in r["reservations"])
    check(ids == sorted([p1, p2]), "holder keeps the vanished place: %s" % r)
    places = json.loads(http_get(S, "/api/v1/places")[2])["places"]
    check(p1 not in [p["id"] for p in places], places)
    check(await h.call("return_reservation", p1) is None, "vanished ok")
    await h.call("return_reservation", p2)
    check(Peer.result(await asyncio.wait_for(f2, 3)) == p2, "w2 got p2")
    check(not [m for m in h.incoming], "legacy holder told nothing")
    for p in (h, w1, w2, e2):
        await p.close()
    return "waiters fail, holders keep, returning a vanished place is ok"


@test
async def agent_disconnect():
    e, pid = await exporter(S, "agentgone")
    h, w = [await Peer.connect(S.url()) for _ in range(2)]
    await h.call("reserve", [pid])
    _, fw = w.start("reserve", [pid])
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 1)
    await h.close()
    check(Peer.result(await asyncio.wait_for(fw, 3)) == pid,
          "waiter got the place of the disconnected holder")
    w2 = await Peer.connect(S.url())
    w2.start("reserve", [pid])
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 1)
    await w2.close()
    await settle(lambda: metric(S, "nmb_reservation_queue_length") == 0)
    check(metric(S, "nmb_reservation_queue_length") == 0, "queue left")
    await w.close()
    ok = await settle(lambda: e.allowed and e.allowed[-1] == [])
    check(ok, "place free, [] sent: %s" % e.allowed)
    r = await e.call("get_reservations")
    check(r == {"reservations": []}, r)
    await e.close()
    return "holder's places returned, waiting reserve leaves the queue"


@test
async def one_connection_exports_and_reserves():
    e, pid = await exporter(S, "both")
    got = await e.call("reserve", [pid])
    check(got == pid and e.allowed == [["127.0.0.1"]], e.allowed)
    await e.close()
    return "one connection may export and reserve"


# --- §3 JSON-RPC error rows -------------------------------------------------------

@test
async def jsonrpc_error_rows():
    a = await Peer.connect(S.url())

    async def raw(obj, text=False):
        await a.send(obj, text=text)
        return await a.expect_raw(3)

    for name in ("nope", "_private", "get_places", "communicate",
                 "oidc_callback", "auth_info", "startup", "shutdown"):
        r = await raw({"jsonrpc": "2.0", "id": 900, "method": name,
                       "params": {}})
        check(r == {"jsonrpc": "2.0", "id": 900, "error":
                    {"code": -32601, "message": "Method not found"}},
              (name, r))
    r = await raw({"jsonrpc": "2.0", "id": 901, "method": 5})
    check(r["error"]["code"] == -32600 and r["id"] == 901, r)
    r = await raw({"jsonrpc": "2.0", "id": "s", "method": "get_reservations",
                   "params": "x"})
    check(r["error"] == {"code": -32600, "message": "Invalid Request"} and
          r["id"] == "s", r)
    for junk in ("{not json", '[{"jsonrpc": "2.0", "id": 1, "method": '
                 '"get_reservations"}]', '{"id": 1.5, "method": '
                 '"get_reservations"}', '{"result": 5}',
                 '{"id": 77777, "result": 5}', '"just a string"',
                 '{"method": "get_reservations"}', b"\xff\xfe"):
        await a.send(junk)
    check(await no_message(a, 0.3), "no reply to invalid input")
    r = await raw('{"id": 902, "method": "get_reservations"}', text=True)
    check(r["result"] == {"reservations": []},
          "text frame, missing params and connection still open: %s" % r)
    r = await raw({"id": 903, "method": "get_reservations", "params": []})
    check("result" in r and r["jsonrpc"] == "2.0", r)
    r = await raw({"id": 904, "method": "get_reservations", "params": [1]})
    check(r["error"]["code"] == -32603, r)
    await a.close()
    return "-32601 (incl. hub-internal names), -32600, silence for junk"


@test
async def frames_are_binary_and_fragmented_accepted():
    a = await Peer.connect(S.url())
    msg = json.dumps({"jsonrpc": "2.0", "id": 1,
                      "method": "get_reservations", "params": {}}).encode()
    await a.ws.send([msg[:10], msg[10:30], msg[30:]])
    await a.ws.send(b"")
    r = await a.expect_raw(3)
    check(r["id"] == 1 and "result" in r, r)
    await a.close()
    # The hub's own frames are binary (opcode 2): websockets gives bytes.
    ws = await websockets.connect(S.url())
    await ws.send(msg)
    data = await asyncio.wait_for(ws.recv(), 3)
    await ws.close()
    check(isinstance(data, bytes), "hub sends binary frames")
    return "fragmented message reassembled; replies are binary frames"


@test
async def huge_frame_closes_connection():
    a = await Peer.connect(S.url())
    big = b'{"id": 1, "method": "x", "params": ["' + b"a" * (1 << 20) + \
        b'"]}'
    await a.ws.send(big)
    code = await asyncio.wait_for(a.closed, 5)
    check(code == 1009, "close code %s" % code)
    b = await Peer.connect(S.url())
    check((await b.call("get_reservations")) == {"reservations": []},
          "server still serves")
    await b.close()
    return "message over 1 MiB: closed with 1009"


@test
async def flood():
    a = await Peer.connect(S.url())
    for i in range(3000):
        await a.send('{"junk": %d' % i)
        await a.send({"method": "get_reservations", "params": {}})
    r = await a.call("get_reservations", timeout=10)
    check(r == {"reservations": []}, r)
    await a.close()
    s = new_server(config="max_running: 20\n")
    e, pid = await exporter(s, "flood")
    h = await Peer.connect(s.url())
    await h.call("reserve", [pid])
    f = await Peer.connect(s.url())
    for i in range(30):
        f.start("reserve", [pid])
    code = await asyncio.wait_for(f.closed, 5)
    check(code == 1008, "close code %s" % code)
    check(metric(s, "nmb_reservation_queue_length") == 0, "queue cleaned")
    for p in (e, h):
        await p.close()
    return "6000 junk/notification messages survived; >20 waiting: 1008"


@test
async def ipv6_host_and_many_places():
    e = await Peer.connect(S.url(host="[::1]"))
    pid = await e.call("register_place", place_desc("v6"))
    big = []
    for i in range(300):
        x = await Peer.connect(S.url())
        d = place_desc("bulk-%d" % i)
        d["parts"][0]["compatible"] = ["tag-%d-%s" % (k, "x" * 40)
                                       for k in range(20)]
        await x.call("register_place", d)
        big.append(x)
    st, _, body = http_get(S, "/api/v1/places")
    places = json.loads(body)["places"]
    check(st == 200 and len(places) == 301 and len(body) > 300000,
          (st, len(places), len(body)))
    v6 = [p for p in places if p["id"] == pid][0]
    check(v6["host"] == "::1", v6)
    a = await Peer.connect(S.url())
    got = await a.call("reserve", [p["id"] for p in places])
    check(got in [p["id"] for p in places], got)
    return "IPv6 host '::1'; %d KiB place list; reserve among 301" % \
        (len(body) // 1024)


@test
async def hub_pings_and_drops_silent_peers():
    import socket as so
    s = new_server(config="ping_interval: 1\n")
    c = so.create_connection(("127.0.0.1", s.port))
    c.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: "
              b"dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
              b"\r\n\r\n")
    c.settimeout(6)
    data = b""
    t0 = time.time()
    ping_at = None
    while True:
        chunk = await asyncio.get_event_loop().run_in_executor(
            None, c.recv, 4096)
        if not chunk:
            break
        data += chunk
        head = data.split(b"\r\n\r\n", 1)
        if len(head) == 2 and ping_at is None and b"\x89" in head[1][:1]:
            ping_at = time.time() - t0
    dt = time.time() - t0
    c.close()
    check(data.startswith(b"HTTP/1.1 101"), data[:40])
    check(ping_at is not None and ping_at < 2.5, "ping after %s s" % ping_at)
    check(dt < 5, "silent peer dropped after %.1f s" % dt)
    ok = await Peer.connect(s.url())
    check(await ok.call("get_reservations") == {"reservations": []}, "")
    return "ping after %.1f s; no pong: dropped after %.1f s" % (ping_at, dt)


@test
async def fuzz_keeps_others_state():
    import random
    import socket as so
    rnd = random.Random(2092)
    # Tokens: without them anybody may force-return (admin for all).
    s = new_server(config=TOKENS)
    e = await Peer.connect(s.url(), headers=bearer("exporter-secret-0123456789"))
    pid = await e.call("register_place", place_desc("fuzzed"))
    holder = await Peer.connect(s.url(), headers=bearer("importer-secret-0123456789"))
    await holder.call("reserve", [pid])
    before = await holder.call("get_reservations")
    methods = ["register_place", "reserve", "return_reservation",
               "get_reservations", "get_place_stats", "hello",
               "renew_lease", "rpc.cancel", "set_allowed_ips", "x", ""]

    def value(depth=0):
        k = rnd.randrange(9 if depth < 3 else 6)
        if k == 6:
            return [value(depth + 1) for _ in range(rnd.randrange(3))]
        if k == 7:
            keys = ["name", "port", "parts", "id", "lease", "force",
                    "candidate_ids", "session", "x"]
            return {rnd.choice(keys): value(depth + 1)
                    for _ in range(rnd.randrange(4))}
        return [None, True, rnd.randrange(-5, 2 ** 40), -1.5,
                "s" * rnd.randrange(3), pid, None, None,
                [pid, pid + 1]][k]
    f = await Peer.connect(s.url(), headers=bearer("importer2-secret-0123456789"))
    for i in range(1500):
        msg = {"jsonrpc": "2.0", "method": rnd.choice(methods)}
        if rnd.random() < 0.9:
            msg["id"] = rnd.choice([i, str(i), None, 1.5, [1]])
        if rnd.random() < 0.9:
            msg["params"] = value()
        await f.send(msg, text=rnd.random() < 0.3)
    await f.close()
    for junk in (b"\x00" * 100, b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * 500,
                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):
        c = so.create_connection(("127.0.0.1", s.port))
        c.sendall(junk)
        c.close()
    after = await holder.call("get_reservations")
    mine = [r for r in after["reservations"] if r["place_id"] == pid]
    check(mine == [r for r in before["reservations"]
                   if r["place_id"] == pid], (before, after))
    check(await holder.call("return_reservation", pid) is None, "return")
    return "1500 random requests and raw junk: holder's state intact"


# --- the not-my-board sequence on the wire --------------------------------------

@test
async def not_my_board_sequence():
    s = new_server()
    ex = await websockets.connect(s.url())
    ag = await websockets.connect(s.url())
    desc = {"name": "rpi-lab-3", "port": 2192, "parts": [
        {"compatible": ["raspberry-pi"],
         "usb": {"serial": {"usbid": "1-4.2"}}, "tcp": {}}]}
    await ex.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                              "method": "register_place",
                              "params": [desc]}).encode())
    r = json.loads(await ex.recv())
    check(r == {"jsonrpc": "2.0", "id": 1, "result": 1}, r)
    st, _, body = http_get(s, "/api/v1/places")
    places = json.loads(body)["places"]
    check(places[0]["id"] == 1 and places[0]["host"] == "127.0.0.1", places)
    await ag.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                              "method": "get_reservations",
                              "params": {}}).encode())
    check(json.loads(await ag.recv()) == {"jsonrpc": "2.0", "id": 1,
                                          "result": {"reservations": []}},
          "get_reservations")
    await ag.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "reserve",
                              "params": [[1, 11]]}).encode())
    raw = await ex.recv()
    check(isinstance(raw, bytes), "binary frame")
    req = json.loads(raw)
    check(req == {"jsonrpc": "2.0", "id": 1, "method": "set_allowed_ips",
                  "params": [["127.0.0.1"]]}, req)
    await ex.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                              "result": None}).encode())
    r = json.loads(await ag.recv())
    check(r == {"jsonrpc": "2.0", "id": 2, "result": 1}, r)
    await ag.send(json.dumps({"jsonrpc": "2.0", "id": 3,
                              "method": "get_place_stats",
                              "params": [1]}).encode())
    r = json.loads(await ag.recv())
    check(r == {"jsonrpc": "2.0", "id": 3, "result": {"uniqueness": 0.0}},
          r)
    await ag.send(json.dumps({"jsonrpc": "2.0", "id": 4,
                              "method": "return_reservation",
                              "params": [1]}).encode())
    req = json.loads(await ex.recv())
    check(req == {"jsonrpc": "2.0", "id": 2, "method": "set_allowed_ips",
                  "params": [[]]}, req)
    await ex.send(json.dumps({"jsonrpc": "2.0", "id": 2,
                              "result": None}).encode())
    r = json.loads(await ag.recv())
    check(r == {"jsonrpc": "2.0", "id": 4, "result": None}, r)
    await ag.close()
    await ex.close()
    return "register, places, reserve, set_allowed_ips, return: byte-exact"


# --- extensions -------------------------------------------------------------------

GRACE = "grace: 2\nlease_max: 60\n"


@test
async def grace_exporter_resume():
    s = new_server(config=GRACE)
    e = await Peer.connect(s.url())
    hello = await e.call("hello", features=["notify"])
    check(hello["resumed"] is False and len(hello["session"]) == 32, hello)
    pid = await e.call("register_place", place_desc("graceful"))
    a = await Peer.connect(s.url())
    await a.call("reserve", [pid])
    await e.close()
    await asyncio.sleep(0.2)
    places = json.loads(http_get(s, "/api/v1/places")[2])["places"]
    check([p["id"] for p in places] == [pid], "place offline, not gone")
    r = await a.call("get_reservations")
    check(r["reservations"][0]["place_id"] == pid, r)
    e2 = await Peer.connect(s.url())
    h2 = await e2.call("hello", session=hello["session"])
    check(h2["resumed"] is True and h2["session"] == hello["session"], h2)
    ok = await settle(lambda: e2.allowed == [["127.0.0.1"]])
    check(ok, "resync of the allow-list: %s" % e2.allowed)
    check(await a.call("return_reservation", pid) is None, "return works")
    check(await settle(lambda: e2.allowed[-1:] == [[]]), e2.allowed)
    for p in (a, e2):
        await p.close()
    return "exporter resumes its place within the grace window"


@test
async def grace_waiter_served_after_resume():
    s = new_server(config=GRACE)
    e = await Peer.connect(s.url())
    tok = (await e.call("hello"))["session"]
    pid = await e.call("register_place", place_desc("resumeq"))
    a, b = [await Peer.connect(s.url()) for _ in range(2)]
    await a.call("reserve", [pid])
    _, fb = b.start("reserve", [pid])
    await settle(lambda: metric(s, "nmb_reservation_queue_length") == 1)
    await e.close()
    await asyncio.sleep(0.1)
    check(await a.call("return_reservation", pid) is None, "return offline")
    await asyncio.sleep(0.2)
    check(not fb.done(), "nobody gets an offline place")
    e2 = await Peer.connect(s.url())
    check((await e2.call("hello", session=tok))["resumed"], "resumed")
    check(Peer.result(await asyncio.wait_for(fb, 3)) == pid, "b served")
    check(e2.allowed == [["127.0.0.1"]], e2.allowed)
    return "a waiter is served when the exporter comes back"


@test
async def grace_expiry_tells_holder():
    s = new_server(config="grace: 1\n")
    e = await Peer.connect(s.url())
    await e.call("hello")
    pid = await e.call("register_place", place_desc("expiring"))
    a = await Peer.connect(s.url())
    await a.call("hello", features=["notify"])
    await a.call("reserve", [pid])
    await e.close()
    msg = await a.expect_raw(4)
    check(msg == {"jsonrpc": "2.0", "method": "reservation_lost",
                  "params": {"place_id": pid, "reason": "gone"}}, msg)
    places = json.loads(http_get(s, "/api/v1/places")[2])["places"]
    check(places == [], places)
    check(await a.call("return_reservation", pid) is None, "vanished ok")
    await a.close()
    return "after the window the place goes; hello'd holder notified"


@test
async def reserve_queued_positions():
    # A reserve with a ticket from a hello'd peer hears its queue position
    # (reserve_queued) when it queues and whenever it moves up; waiters
    # for other places do not count; a peer without ticket hears nothing.
    s = new_server()
    e, pid = await exporter(s, "queued")
    e2, other = await exporter(s, "queued-other")
    holder = await Peer.connect(s.url())
    await holder.call("reserve", [pid])
    await holder.call("reserve", [other])
    plain = await Peer.connect(s.url())
    _, fp = plain.start("reserve", [pid])
    await asyncio.sleep(0.1)
    elsewhere = await Peer.connect(s.url())
    await elsewhere.call("hello", features=["notify", "queue"])
    _, fe = elsewhere.start("reserve", candidate_ids=[other], ticket="e")
    a = await Peer.connect(s.url())
    hello = await a.call("hello", features=["notify", "queue"])
    check("queue" in hello["features"], hello)
    _, fa = a.start("reserve", candidate_ids=[pid], ticket="t-1")
    msg = await a.expect_raw(3)
    check(msg == {"jsonrpc": "2.0", "method": "reserve_queued",
                  "params": {"ticket": "t-1", "position": 2}}, msg)
    msg = await elsewhere.expect_raw(3)
    check(msg["params"] == {"ticket": "e", "position": 1}, msg)
    err = await call_error(a.call("reserve", candidate_ids=[pid],
                                  ticket=""))
    check(err and "ticket" in str(err), err)
    await plain.close()         # the waiter ahead leaves: position 1
    msg = await a.expect_raw(3)
    check(msg["params"] == {"ticket": "t-1", "position": 1}, msg)
    check(await no_message(elsewhere), "elsewhere did not move")
    await holder.call("return_reservation", pid)
    check(Peer.result(await asyncio.wait_for(fa, 3)) == pid, "served")
    for p in (a, elsewhere, holder, e, e2):
        await p.close()
    del fp, fe
    return "queued reserves with a ticket hear their position"


@test
async def part_state_to_holder():
    # An exporter tells a part's state (part_state); the holder that said
    # hello gets the kept states after its reserve is answered, then each
    # change; a holder without hello and other peers hear nothing.
    s = new_server()
    e = await Peer.connect(s.url())
    hello = await e.call("hello", features=["part_state"])
    check("part_state" in hello["features"], hello)
    pid = await e.call("register_place", place_desc(
        "pstate", parts=[place_desc("x")["parts"][0]] * 2))
    off = {"part": 1, "power": "off", "reason": None, "since": 1000}
    await e.send({"jsonrpc": "2.0", "method": "part_state", "params": off})
    check(await e.call("part_state", part=0, power="on") is None,
          "a call with an id is answered null")
    a = await Peer.connect(s.url())
    await a.call("hello", features=["notify"])
    check(await a.call("reserve", [pid]) == pid, "granted")
    msgs = [await a.expect_raw(3), await a.expect_raw(3)]
    by_part = {m["params"]["part"]: m for m in msgs}
    check(all(m["method"] == "part_state" for m in msgs) and
          by_part[1]["params"] == dict(off, place_id=pid) and
          by_part[0]["params"]["power"] == "on" and
          by_part[0]["params"]["reason"] is None and
          by_part[0]["params"]["since"] > 1.7e12, msgs)
    dead = {"part": 0, "power": "off", "since": 2000,
            "reason": "QEMU killed by signal 9 (Killed) \u00e9"}
    await e.send({"jsonrpc": "2.0", "method": "part_state", "params": dead})
    msg = await a.expect_raw(3)
    check(msg == {"jsonrpc": "2.0", "method": "part_state",
                  "params": dict(dead, place_id=pid)}, msg)
    await e.send({"jsonrpc": "2.0", "method": "part_state", "params": dead})
    check(await no_message(a), "the same state again is not passed on")
    # the farm page lists them
    v = await Peer.connect(s.url())
    snap = await v.call("subscribe_farm")
    power = {x["part"]: x for x in snap["places"][0]["power"]}
    check(power[0] == dead and power[1] == off, snap["places"][0])
    # a holder without hello hears nothing; nor does the exporter
    await a.call("return_reservation", pid)
    plain = await Peer.connect(s.url())
    check(await plain.call("reserve", [pid]) == pid, "granted again")
    await e.send({"jsonrpc": "2.0", "method": "part_state",
                  "params": {"part": 0, "power": "starting"}})
    check(await no_message(plain), "no notification without hello")
    check(not [m for m in e.incoming if m["method"] == "part_state"],
          e.incoming)
    for p in (plain, a, v, e):
        await p.close()
    return "part_state kept, replayed after the grant, changes passed on"


@test
async def part_state_bad_input():
    s = new_server()
    e = await Peer.connect(s.url())
    await e.call("hello")
    err = await call_error(e.call("part_state", part=0, power="on"))
    check(err and "not registered a place" in err.message, err)
    pid = await e.call("register_place", place_desc(
        "pbad", parts=[place_desc("x")["parts"][0]] * 17))
    a = await Peer.connect(s.url())
    await a.call("hello")
    await a.call("reserve", [pid])
    bad = [({"part": 17, "power": "on"}, "has 17 part(s)"),
           ({"part": -1, "power": "on"}, "part: Expected int"),
           ({"part": True, "power": "on"}, "part: Expected int"),
           ({"part": 2 ** 40, "power": "on"}, "part: Expected int"),
           ({"part": 0, "power": "ON"}, "power: Expected one of"),
           ({"part": 0}, "missing required argument: 'power'"),
           ({"part": 0, "power": "on", "reason": 5}, "reason: Expected"),
           ({"part": 0, "power": "off", "reason": "x" * 161},
            "longer than 160 bytes"),
           ({"part": 0, "power": "off", "reason": "\u00e9" * 81},
            "longer than 160 bytes"),
           ({"part": 0, "power": "off", "reason": "a\nb"},
            "without control characters"),
           ({"part": 0, "power": "off", "reason": "a\x1b[2Jb"},
            "without control characters"),
           ({"part": 0, "power": "on", "since": -5}, "since: Expected"),
           ({"part": 0, "power": "on", "since": 1.5}, "since: Expected"),
           ({"part": 0, "power": "on", "place_id": 3},
            "unexpected keyword argument 'place_id'"),
           ([0, "on", None, None, "extra"], "positional arguments")]
    for params, want in bad:
        err = await call_error(e.call("part_state", *params) if
                               isinstance(params, list) else
                               e.call("part_state", **params))
        check(err and err.code == -32603 and want in err.message,
              (params, err))
    await e.send({"jsonrpc": "2.0", "method": "part_state",
                  "params": {"part": 0, "power": "off",
                             "reason": "evil\nline"}})
    await settle(lambda: "bad part_state" in s.text(), 3)
    check("evil\\nline" not in s.text() and "evil\nline" not in s.text(),
          "control characters never reach the log as they are")
    check(await no_message(a), "nothing bad reaches the holder")
    # at most 16 parts' states a place
    for i in range(16):
        check(await e.call("part_state", part=i, power="on") is None, i)
    err = await call_error(e.call("part_state", part=16, power="on"))
    check(err and "16 parts kept" in err.message, err)
    check(await e.call("part_state", part=3, power="off") is None,
          "a kept part still changes")
    n = 0
    while True:
        try:
            m = await a.expect_raw(0.5)
        except asyncio.TimeoutError:
            break
        n += m["method"] == "part_state"
    check(n == 17, "the hello'd holder got the 17 changes: %d" % n)
    # a connection without a place may not tell states
    agent_only = await Peer.connect(s.url())
    err = await call_error(agent_only.call("part_state", part=0,
                                           power="on"))
    check(err and "not registered a place" in err.message, err)
    for p in (agent_only, a, e):
        await p.close()
    return "bad part_state refused with the reason, limits kept"


@test
async def reservations_with_hosts():
    # get_reservations(hosts=true): the holder's hello host and its IP;
    # without it, the answer stays not-my-board's; a bad host is refused.
    s = new_server()
    e, pid = await exporter(s, "hosts")
    a = await Peer.connect(s.url())
    err = await call_error(a.call("hello", host="evil\nhost"))
    check(err and "host" in str(err), err)
    await a.call("hello", host="bench-12.lab")
    await a.call("reserve", [pid])
    r = await a.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid, "user": "<2>"}]}, r)
    r = await a.call("get_reservations", hosts=True)
    got = r["reservations"][0]
    check(got["host"] == "bench-12.lab" and
          got["ip"] in ("127.0.0.1", "::ffff:127.0.0.1"), r)
    for p in (a, e):
        await p.close()
    return "get_reservations tells host and IP on request"


@test
async def grace_agent_resume():
    s = new_server(config=GRACE)
    e, pid = await exporter(s, "agentgrace")
    a = await Peer.connect(s.url())
    tok = (await a.call("hello"))["session"]
    await a.call("reserve", [pid])
    await a.close()
    await asyncio.sleep(0.2)
    r = await e.call("get_reservations")
    check(len(r["reservations"]) == 1, "kept during grace: %s" % r)
    a2 = await Peer.connect(s.url())
    check((await a2.call("hello", session=tok))["resumed"], "resumed")
    check(await a2.call("return_reservation", pid) is None, "returns it")
    err = await call_error(a2.call("hello", session="0" * 32))
    check(err is None, "unknown token: fresh session")
    for p in (a2, e):
        await p.close()
    return "agent resumes its reservation within the grace window"


@test
async def grant_secrets():
    # Per-reservation secrets (protocol.rst): a fresh one per grant, in
    # the reserve result and in set_allowed_ips, only when both the
    # holder and the exporter listed feature "secret"; never logged.
    s = new_server(config=GRACE, args=["-v"])
    e = await Peer.connect(s.url())
    h = await e.call("hello", features=["secret"])
    check("secret" in h["features"], h)
    pid = await e.call("register_place", place_desc("secretive"))
    a = await Peer.connect(s.url())
    await a.call("hello", features=["secret"])
    seen = []
    for _ in range(3):
        got = await a.call("reserve", [pid])
        check(isinstance(got, dict) and got["place_id"] == pid, got)
        sec = got["secret"]
        check(len(sec) == 43 and all(c.isalnum() or c in "-_"
                                     for c in sec), "base64url: %r" % sec)
        check(e.allowed[-1] == ["127.0.0.1"] and e.secrets[-1] == sec,
              "exporter got the same secret: %s" % e.secrets)
        seen.append(sec)
        check(await a.call("return_reservation", pid) is None, "returned")
        check(e.allowed[-1] == [] and e.secrets[-1] is None,
              "[] carries no secret")
    check(len(set(seen)) == 3, "a fresh secret per grant")
    # a direct hand-over to a waiter mints a new one too
    got = await a.call("reserve", [pid])
    b = await Peer.connect(s.url())
    await b.call("hello", features=["secret"])
    _, fut = b.start("reserve", [pid])
    await asyncio.sleep(0.2)
    await a.call("return_reservation", pid)
    got_b = Peer.result(await asyncio.wait_for(fut, 5))
    check(got_b["secret"] not in seen + [got["secret"]],
          "hand-over: new secret")
    check(e.secrets[-1] == got_b["secret"], "exporter told the new one")
    seen += [got["secret"], got_b["secret"]]
    await b.call("return_reservation", pid)
    # an agent without the feature gets the plain id; the exporter none
    plain = await Peer.connect(s.url())
    got = await plain.call("reserve", [pid])
    check(got == pid and e.secrets[-1] is None, (got, e.secrets[-1]))
    await plain.call("return_reservation", pid)
    # an exporter without the feature: no secret to anyone (a 0.13
    # exporter would fail on an unknown parameter)
    old = await Peer.connect(s.url())
    pid2 = await old.call("register_place", place_desc("oldexp"))
    got = await a.call("reserve", [pid2])
    check(got == pid2 and old.secrets == [None], (got, old.secrets))
    for p in (a, b, plain, old, e):
        await p.close()
    await asyncio.sleep(0.2)
    text = s.text()
    check("reserved place=secretive" in text, "debug log is on")
    leaked = [x for x in seen if x in text]
    check(not leaked, "secret in the server log")
    return "a fresh secret per grant, to agent and exporter, never logged"


@test
async def lease_expiry():
    s = new_server(config=GRACE)
    e, pid = await exporter(s, "lease")
    a = await Peer.connect(s.url())
    await a.call("hello")
    await a.call("reserve", candidate_ids=[pid], lease=1)
    t0 = time.time()
    msg = await a.expect_raw(4)
    check(msg["method"] == "reservation_lost" and
          msg["params"] == {"place_id": pid, "reason": "lease"}, msg)
    check(time.time() - t0 > 0.7, "not before the lease")
    check(await settle(lambda: e.allowed[-1:] == [[]]), e.allowed)
    r = await a.call("get_reservations")
    check(r == {"reservations": []}, r)
    await a.call("reserve", candidate_ids=[pid], lease=1)
    check(await a.call("renew_lease", pid, 30) == 30, "renewed")
    await asyncio.sleep(1.3)
    r = await a.call("get_reservations")
    check(len(r["reservations"]) == 1, "renewed lease holds: %s" % r)
    for p in (a, e):
        await p.close()
    return "lease expiry notifies then returns; renew_lease extends"


@test
async def sigterm_returns_everything():
    s = new_server()
    e, pid = await exporter(s, "term")
    a = await Peer.connect(s.url())
    await a.call("reserve", [pid])
    w = await Peer.connect(s.url())
    _, fw = w.start("reserve", [pid])
    await asyncio.sleep(0.1)
    s.proc.send_signal(signal.SIGTERM)
    res = await asyncio.wait_for(fw, 3)
    check(res["error"]["message"] == "Server is shutting down", res)
    check(await settle(lambda: e.allowed[-1:] == [[]]), e.allowed)
    code, bad = s.stop(sig=None)
    check(code == 0 and not bad, (code, bad))
    return "SIGTERM: waiters told, exporter told [] before exit 0"


@test
async def sighup_reloads_limits():
    s = new_server(config="grace: 5\n")
    e, pid = await exporter(s, "hup")
    with open(s.config_path, "w") as f:
        f.write("grace: 5\nlease_default: 1\nbogus: [\n")
    s.proc.send_signal(signal.SIGHUP)
    await settle(lambda: "not reloaded" in s.text())
    check("not reloaded" in s.text(), "bad file rejected")
    with open(s.config_path, "w") as f:
        f.write("grace: 5\nlease_default: 1\n")
    s.proc.send_signal(signal.SIGHUP)
    await settle(lambda: "reloaded;" in s.text())
    a = await Peer.connect(s.url())
    await a.call("hello")
    await a.call("reserve", [pid])
    msg = await a.expect_raw(4)
    check(msg["params"] == {"place_id": pid, "reason": "lease"}, msg)
    check(s.proc.poll() is None, "still running")
    return "SIGHUP: broken file keeps the old settings; lease_default applied"


@test
async def poll_loop_fallback():
    s = new_server(config="event_loop: poll\n")
    e, pid = await exporter(s, "pollmode")
    a = await Peer.connect(s.url())
    check(await a.call("reserve", [pid]) == pid, "reserve")
    s.proc.send_signal(signal.SIGHUP)
    check(await settle(lambda: "reloaded;" in s.text()), "reload")
    s.proc.send_signal(signal.SIGTERM)
    check(await settle(lambda: e.allowed[-1:] == [[]]), e.allowed)
    code, bad = s.stop(sig=None)
    check(code == 0 and not bad, (code, bad))
    return "event_loop: poll serves, reloads and stops cleanly"


@test
async def sd_notify_ready_and_stopping():
    import socket as so
    path = os.path.join(WORK, "notify.sock")
    if os.path.exists(path):
        os.unlink(path)
    sock = so.socket(so.AF_UNIX, so.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    s = new_server(env={"NOTIFY_SOCKET": path})
    msgs = [sock.recv(256)]
    s.proc.send_signal(signal.SIGTERM)
    # STATUS= lines come between (selftests/ops checks them)
    while msgs[-1] != b"STOPPING=1":
        msgs.append(sock.recv(256))
    sock.close()
    check(msgs[0] == b"READY=1" and b"READY=1" not in msgs[1:], msgs)
    code, bad = s.stop(sig=None)
    check(code == 0 and not bad, (code, bad))
    return "READY=1 once listening, STOPPING=1 on SIGTERM"


# --- TLS, tokens, configuration -------------------------------------------------

def make_cert():
    key = os.path.join(WORK, "key.pem")
    crt = os.path.join(WORK, "cert.pem")
    if not os.path.exists(crt):
        nmbtest.make_cert(key, crt)
    return crt, key


@test
async def tls():
    crt, key = make_cert()
    plain_port = __import__("nmbpeer").free_port()
    s = new_server(config="tls:\n  cert: %s\n  key: %s\nlisten:\n"
                   "  - \"[::]:@PORT@\"\n  - address: 127.0.0.1:%d\n"
                   "    plain: true\n" % (crt, key, plain_port),
                   listen=[])
    ctx = ssl.create_default_context(cafile=crt)
    st, _, body = http_get(s, "/api/v1/places", scheme="https", ctx=ctx)
    check(st == 200, st)
    a = await Peer.connect(s.url(scheme="wss"), ssl=ctx)
    check((await a.call("get_reservations")) == {"reservations": []}, "wss")
    await a.close()
    try:
        http_get(s, "/api/v1/places")
        raise AssertionError("plain HTTP answered on the TLS port")
    except (http.client.HTTPException, ConnectionError, OSError):
        pass
    c = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=5)
    c.request("GET", "/api/v1/auth-info")
    check(c.getresponse().status == 200, "plain listener")
    return "https/wss with a throwaway cert; plain only where configured"


TOKEN_FILE = os.path.join(WORK, "exporter.token")
with open(TOKEN_FILE, "w") as _f:
    _f.write("exporter-secret-0123456789\n")

TOKENS = """tokens:
  - name: exp
    token_file: %s
    roles: [exporter]
  - name: alice
    token: importer-secret-0123456789
    roles: [importer]
  - name: bob
    token: importer2-secret-0123456789
    roles: [importer]
  - name: root
    token: admin-secret-0123456789ab
    roles: [admin]
""" % TOKEN_FILE


def bearer(t):
    return {"Authorization": "Bearer " + t}


@test
async def tokens_and_roles():
    s = new_server(config=TOKENS)
    for hdr in ({}, bearer("wrong-secret-0123456789")):
        try:
            await websockets.connect(s.url(), extra_headers=hdr)
            raise AssertionError("upgrade without a valid token accepted")
        except websockets.InvalidStatusCode as e:
            check(e.status_code == 401, e.status_code)
    check(http_get(s, "/api/v1/places")[0] == 200, "public GET")
    e = await Peer.connect(s.url(), headers=bearer("exporter-secret-0123456789"))
    pid = await e.call("register_place", place_desc("secure"))
    err = await call_error(e.call("reserve", [pid]))
    check(err and "Permission denied" in err.message, err)
    a = await Peer.connect(s.url(), headers=bearer("importer-secret-0123456789"))
    err = await call_error(a.call("register_place", place_desc("x")))
    check(err and "Permission denied" in err.message, err)
    check(await a.call("reserve", [pid]) == pid, "importer reserves")
    b = await Peer.connect(s.url(), headers=bearer("importer2-secret-0123456789"))
    r = await b.call("get_reservations")
    check(r == {"reservations": []}, "bob sees only his own: %s" % r)
    err = await call_error(b.call("return_reservation", place_id=pid, force=True))
    check(err and "Permission denied" in err.message, err)
    err = await call_error(a.call("part_state", part=0, power="on"))
    check(err and "Permission denied: part_state needs a token with the "
          "exporter role" in err.message, err)
    check(await e.call("part_state", part=0, power="on") is None,
          "the exporter role tells part states")
    root = await Peer.connect(s.url(), headers=bearer("admin-secret-0123456789ab"))
    r = await root.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid, "user": "alice"}]}, r)
    check(await root.call("return_reservation", place_id=pid, force=True) is None,
          "admin force-returns")
    r = await a.call("get_reservations")
    check(r == {"reservations": []}, r)
    for p in (e, a, b, root):
        await p.close()
    return "401 without token; exporter/importer/admin roles enforced, " \
        "part_state only by exporters"


@test
async def config_errors_are_reported():
    path = os.path.join(WORK, "bad.yaml")
    with open(path, "w") as f:
        f.write("grace: 10\nlisten:\n  - nonsense\nbogus: 1\n")
    p = subprocess.run([BIN, "-c", path], capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 1, p.returncode)
    check("bad.yaml:3: key 'listen[0]': expected ADDR:PORT" in p.stderr and
          "bad.yaml:4: key 'bogus': unknown key" in p.stderr, p.stderr)
    p = subprocess.run([BIN, "-c", os.path.join(WORK, "missing.yaml")],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "no such file" in p.stderr, p.stderr)
    return "FILE:LINE: key '...' errors, exit 1"


@test
async def metrics_after_activity():
    s = new_server()
    e, pid = await exporter(s, "m")
    a = await Peer.connect(s.url())
    await a.call("reserve", [pid])
    await a.call("return_reservation", pid)
    await call_error(a.call("reserve", [4242]))
    _, _, body = http_get(s, "/metrics")
    text = body.decode()
    for want in ('nmb_connections{role="exporter"} 1.0',
                 'nmb_connections{role="agent"} 1.0',
                 'nmb_reservations_total{outcome="granted"} 1',
                 'nmb_reservations_total{outcome="no_candidates"} 1',
                 'nmb_reserve_wait_seconds_count 1',
                 'nmb_reserve_wait_seconds_bucket{le="+Inf"} 1'):
        check(want in text, want)
    for p in (a, e):
        await p.close()
    return "connections by role, outcomes, wait histogram"


async def main():
    global S
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    S = new_server()

    async def after():
        await close_all()
        await settle(lambda: metric(S, "nmb_places_registered") == 0 and
                     metric(S, "nmb_places_reserved") == 0)

    n = await run_tests(TESTS, 30, after)
    servers_line(n + 1, servers)


asyncio.run(main())
