# SPDX-License-Identifier: GPL-2.0
# py_hub.py - a not-my-board 0.13 hub as the agent sees it (wire note
# §1-§4), with no nmb extension: no hello (Method not found), no
# notifications. It serves GET /api/v1/places from a list the test edits
# and answers reserve, return_reservation and get_reservations. A place
# that is removed is dropped without a word to its holder, as the Python
# hub does when an exporter disconnects. Runs on the test's asyncio loop.
import asyncio
import http
import json

import websockets

import nmbtest  # selftests/lib, on the path of the test that imports this


class PyHub:
    """grant: "now" answers reserve with the first candidate at once;
    "hold" keeps it pending; "cross" keeps it pending, and on rpc.cancel
    sends the grant first and then the cancel's reply, as when the grant
    crosses the cancel on the wire."""

    def __init__(self):
        self.places = []            # place descriptions with "id", "host"
        self.grant = "now"
        self.calls = []             # (method, params)
        self.pending = {}           # reserve id -> candidate ids
        self.held = {}              # place id -> connection number
        self.conns = 0

    async def start(self):
        self.server = await websockets.serve(
            self._handler, "127.0.0.1", 0, ping_interval=None,
            process_request=self._http)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self):
        return "ws://127.0.0.1:%d" % self.port

    def add(self, name, pid, parts):
        self.places.append({"name": name, "port": 9, "parts": parts,
                            "id": pid, "host": "127.0.0.1"})

    def remove(self, name):
        self.places = [p for p in self.places if p["name"] != name]

    def methods(self, name):
        return [p for m, p in self.calls if m == name]

    async def _http(self, path, headers):
        if path == "/api/v1/places":
            body = json.dumps({"places": self.places}).encode()
            return (http.HTTPStatus.OK,
                    [("Content-Type", "application/json"),
                     ("Content-Length", str(len(body))),
                     ("Connection", "close")], body)
        if path != "/ws":
            return (http.HTTPStatus.NOT_FOUND, [], b"Page not found")
        return None

    async def _send(self, ws, obj):
        await ws.send(json.dumps(obj).encode())

    async def _handler(self, ws, path=None):
        self.conns += 1
        conn = self.conns
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if "method" not in msg:
                    continue
                await self._call(ws, conn, msg)
        except websockets.ConnectionClosed:
            pass
        for pid in [p for p, c in self.held.items() if c == conn]:
            del self.held[pid]

    async def _call(self, ws, conn, msg):
        method, params, rid = msg["method"], msg.get("params"), msg.get("id")
        self.calls.append((method, params))
        reply = {"jsonrpc": "2.0", "id": rid, "result": None}
        if method == "reserve":
            cands = params[0] if isinstance(params, list) else \
                params["candidate_ids"]
            if self.grant != "now":
                self.pending[rid] = cands
                return
            self.held[cands[0]] = conn
            reply["result"] = cands[0]
        elif method == "rpc.cancel":
            target = params[0]
            cands = self.pending.pop(target, None)
            if cands and self.grant == "cross":
                self.held[cands[0]] = conn
                await self._send(ws, {"jsonrpc": "2.0", "id": target,
                                      "result": cands[0]})
        elif method == "return_reservation":
            pid = params[0] if isinstance(params, list) else \
                params["place_id"]
            self.held.pop(pid, None)
        elif method == "get_reservations":
            reply["result"] = {"reservations": [
                {"place_id": p, "user": "<%d>" % c}
                for p, c in self.held.items()]}
        else:
            reply = {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32601, "message": "Method not found"}}
        if rid is not None:
            await self._send(ws, reply)

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


class PlacesFront:
    """A TCP front for a hub: GET /api/v1/places is answered here, the
    rest (the WebSocket) goes through to the hub. mode: "chunked" (the
    body in several chunks, split across writes), "length"
    (Content-Length), "close" (neither: the body ends with the
    connection), "stall" (half the head, then nothing), "stall-body" (the
    head, then nothing)."""

    def __init__(self, hub):
        self.hub = hub
        self.mode = "chunked"
        self.stalled = []

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self):
        return "ws://127.0.0.1:%d" % self.port

    async def _serve(self, r, w):
        head = b""
        while b"\r\n\r\n" not in head:
            d = await r.read(1)
            if not d:
                w.close()
                return
            head += d
        if head.startswith(b"GET /api/v1/places "):
            return await self._places(w)
        tr, tw = await asyncio.open_connection("127.0.0.1", self.hub.port)
        tw.write(head)
        await nmbtest.relay_streams(r, w, tr, tw)

    async def _places(self, w):
        body = json.dumps({"places": self.hub.places}).encode()
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        if self.mode.startswith("stall"):
            if self.mode == "stall-body":
                ok += b"Content-Length: %d\r\n\r\n" % len(body)
            w.write(ok)
            await w.drain()
            self.stalled.append(w)
            return
        if self.mode == "length":
            w.write(ok + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif self.mode == "close":
            w.write(ok + b"Connection: close\r\n\r\n" + body)
        else:
            w.write(ok + b"Transfer-Encoding: chunked\r\n\r\n")
            step = max(1, len(body) // 3)
            for i in range(0, len(body), step):
                chunk = body[i:i + step]
                msg = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
                w.write(msg[:5])
                await w.drain()
                await asyncio.sleep(0.02)
                w.write(msg[5:])
            w.write(b"0\r\n\r\n")
        await w.drain()
        w.close()

    async def stop(self):
        for w in self.stalled:
            w.close()
        self.server.close()
