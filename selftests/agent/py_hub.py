# SPDX-License-Identifier: GPL-2.0
# py_hub.py - a not-my-board 0.13 hub as the agent sees it (wire note
# §1-§4), with no nmb extension: no hello (Method not found), no
# notifications. It serves GET /api/v1/places from a list the test edits
# and answers reserve, return_reservation and get_reservations. A place
# that is removed is dropped without a word to its holder, as the Python
# hub does when an exporter disconnects. Runs on the test's asyncio loop.
#
# With auth (an AuthConf), it also plays not-my-board's hub with OpenID
# Connect (auth note §1-§4, §8): /api/v1/auth-info, /oidc-callback relayed
# to get_authentication_response, and get_id_token called back on the
# same connection while the client's reserve/return/get_reservations
# waits; the token is checked with PyJWT against the test provider's key.
import asyncio
import http
import itertools
import json
import urllib.parse

import websockets

import nmbtest  # selftests/lib, on the path of the test that imports this


class AuthConf:
    """The hub's [auth]: issuer, client_id, show_claims (None: unset),
    and key(): the provider's public key that signs the tokens."""

    def __init__(self, issuer, client_id, key, show_claims=None):
        self.issuer = issuer
        self.client_id = client_id
        self.key = key
        self.show_claims = show_claims

    def info(self):
        i = {"issuer": self.issuer, "client_id": self.client_id}
        if self.show_claims is not None:
            i["show_claims"] = self.show_claims
        return i

    def check(self, token):
        """The claims of a valid token; raises with PyJWT's message."""
        import jwt
        return jwt.decode(token, self.key, algorithms=["RS256"],
                          audience=self.client_id, issuer=self.issuer,
                          leeway=0, options={"require": ["exp", "iat",
                                                         "sub"]})


PROTECTED = ("reserve", "return_reservation", "get_reservations",
             "get_place_stats", "register_place")


class PyHub:
    """grant: "now" answers reserve with the first candidate at once;
    "hold" keeps it pending; "cross" keeps it pending, and on rpc.cancel
    sends the grant first and then the cancel's reply, as when the grant
    crosses the cancel on the wire."""

    def __init__(self, auth=None):
        self.places = []            # place descriptions with "id", "host"
        self.grant = "now"
        self.calls = []             # (method, params)
        self.pending = {}           # reserve id -> candidate ids
        self.held = {}              # place id -> connection number
        self.conns = 0
        self.auth = auth
        self.tokens = {}            # connection number -> (token, claims)
        self.received = []          # (connection number, token) of every
        self.token_errors = []      # get_id_token answer / its errors
        self.logins = {}            # state -> future of the callback
        self.socks = {}             # connection number -> ws
        self.asked = {}             # our request id -> future
        self.ids = itertools.count(1)

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
        if self.auth and path == "/api/v1/auth-info":
            body = json.dumps(self.auth.info()).encode()
            return (http.HTTPStatus.OK,
                    [("Content-Type", "application/json"),
                     ("Content-Length", str(len(body)))], body)
        if self.auth and path.startswith("/oidc-callback"):
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path)
                                            .query))
            fut = self.logins.get(q.get("state"))
            if fut is None:
                return (http.HTTPStatus.INTERNAL_SERVER_ERROR, [], b"")
            if not fut.done():
                fut.set_result(q)
            return (http.HTTPStatus.OK, [("Content-Type", "text/plain")],
                    b"Continue in not-my-board CLI")
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
        self.socks[conn] = ws
        tasks = set()
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if "method" not in msg:
                    fut = self.asked.pop(msg.get("id"), None)
                    if fut and not fut.done():
                        fut.set_result(msg)
                    continue
                if not self.auth:
                    await self._call(ws, conn, msg)
                    continue
                # Each request runs on its own, as the Python hub's do.
                t = asyncio.ensure_future(self._call(ws, conn, msg))
                tasks.add(t)
                t.add_done_callback(tasks.discard)
        except websockets.ConnectionClosed:
            pass
        for t in list(tasks):
            t.cancel()
        self.socks.pop(conn, None)
        self.tokens.pop(conn, None)
        for pid in [p for p, c in self.held.items() if c == conn]:
            del self.held[pid]

    async def ask_token(self, conn, timeout=15):
        """get_id_token() on connection conn, as the hub does at the
        first protected call and again after exp + 30 s: returns the
        validated claims, or raises with the reason."""
        ws = self.socks[conn]
        rid = next(self.ids)
        fut = asyncio.get_event_loop().create_future()
        self.asked[rid] = fut
        await self._send(ws, {"jsonrpc": "2.0", "id": rid,
                              "method": "get_id_token", "params": {}})
        msg = await asyncio.wait_for(fut, timeout)
        if "error" in msg:
            self.token_errors.append(msg["error"]["message"])
            raise RuntimeError(msg["error"]["message"])
        token = msg["result"]
        self.received.append((conn, token))
        claims = self.auth.check(token)
        self.tokens[conn] = (token, claims)
        return claims

    async def _login(self, ws, msg):
        """get_authentication_response(state), auth note §8.5, §8.7."""
        params = msg.get("params")
        state = params[0] if isinstance(params, list) else params["state"]
        fut = asyncio.get_event_loop().create_future()
        self.logins[state] = fut
        try:
            await self._send(ws, {"jsonrpc": "2.0",
                                  "method": "oidc_callback_registered",
                                  "params": {}})
            result = await fut
        finally:
            del self.logins[state]
        await self._send(ws, {"jsonrpc": "2.0", "id": msg["id"],
                              "result": result})

    async def _call(self, ws, conn, msg):
        method, params, rid = msg["method"], msg.get("params"), msg.get("id")
        self.calls.append((method, params))
        if self.auth and method == "get_authentication_response":
            return await self._login(ws, msg)
        if self.auth and method in PROTECTED and conn not in self.tokens:
            try:
                await self.ask_token(conn)
            except Exception as e:
                await self._send(ws, {"jsonrpc": "2.0", "id": rid, "error": {
                    "code": -32603, "message": str(e)}})
                return
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
