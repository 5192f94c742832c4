# SPDX-License-Identifier: GPL-2.0
# fake_hub.py - a not-my-board 0.13 hub reduced to what an exporter sees
# (wire note §2-§4): WebSocket /ws, JSON-RPC in binary frames,
# register_place answered with the connection number, set_allowed_ips
# sent on request. Runs its asyncio loop in a thread for the test driver.
# With auth (selftests/agent/py_hub.AuthConf), register_place first calls
# get_id_token back on the same connection, as not-my-board's hub with
# OpenID Connect does, and /api/v1/auth-info answers.

import asyncio
import http
import itertools
import json
import threading

import websockets


class FakeHub:
    def __init__(self, port, ssl=None, host="127.0.0.1", auth=None):
        self.auth = auth
        self.claims = []        # of every valid token received
        self.token_errors = []  # messages of refused get_id_token calls
        self.port = port
        self.ssl = ssl
        self.host = host
        self.places = {}        # name -> (ws, description, place id)
        self.registered = threading.Condition()
        self.counter = itertools.count(1)
        self.pending = {}
        self.ids = itertools.count(1)
        self.headers = []
        self.methods = []       # every method called or notified
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        started = threading.Event()
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(started),
                                         self.loop).result(60)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _start(self, started):
        self.server = await websockets.serve(
            self._handler, self.host, self.port, ssl=self.ssl,
            ping_interval=None,
            process_request=self._http if self.auth else None)

    async def _http(self, path, headers):
        if path == "/api/v1/auth-info":
            body = json.dumps(self.auth.info()).encode()
            return (http.HTTPStatus.OK,
                    [("Content-Type", "application/json"),
                     ("Content-Length", str(len(body)))], body)
        return None

    async def _register(self, ws, msg, conn_id, state):
        if self.auth:
            try:
                ans = await self._call(ws, "get_id_token", {})
                if "error" in ans:
                    raise RuntimeError(ans["error"]["message"])
                self.claims.append(self.auth.check(ans["result"]))
            except Exception as e:
                self.token_errors.append(str(e))
                await ws.send(json.dumps(
                    {"jsonrpc": "2.0", "id": msg["id"], "error": {
                        "code": -32603, "message": str(e)}}).encode())
                return
        desc = msg["params"][0]
        state["name"] = desc["name"]
        with self.registered:
            self.places[desc["name"]] = (ws, desc, conn_id)
            self.registered.notify_all()
        await ws.send(json.dumps(
            {"jsonrpc": "2.0", "id": msg["id"],
             "result": conn_id}).encode())

    async def _handler(self, ws, path=None):
        path = path if path is not None else ws.path
        if path != "/ws":
            await ws.close()
            return
        self.headers.append({k.lower(): v for k, v in
                             ws.request_headers.raw_items()})
        conn_id = next(self.counter)
        state = {"name": None}
        tasks = set()
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if "method" in msg:
                    self.methods.append(msg["method"])
                    if msg["method"] == "register_place" and self.auth:
                        # its get_id_token answer comes through this loop
                        t = asyncio.ensure_future(
                            self._register(ws, msg, conn_id, state))
                        tasks.add(t)
                        t.add_done_callback(tasks.discard)
                    elif msg["method"] == "register_place":
                        await self._register(ws, msg, conn_id, state)
                    elif "id" in msg:
                        await ws.send(json.dumps(
                            {"jsonrpc": "2.0", "id": msg["id"],
                             "error": {"code": -32601,
                                       "message": "Method not found"}}
                        ).encode())
                elif "id" in msg and msg["id"] in self.pending:
                    self.pending.pop(msg["id"]).set_result(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            for t in list(tasks):
                t.cancel()
            name = state["name"]
            with self.registered:
                if name and self.places.get(name, (None,))[0] is ws:
                    del self.places[name]
                    self.registered.notify_all()

    def wait_place(self, name, timeout=10, not_ws=None):
        with self.registered:
            ok = self.registered.wait_for(
                lambda: name in self.places and
                self.places[name][0] is not not_ws, timeout)
            return self.places[name] if ok else None

    async def _call(self, ws, method, params):
        rid = next(self.ids)
        fut = self.loop.create_future()
        self.pending[rid] = fut
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid,
                                  "method": method,
                                  "params": params}).encode())
        return await asyncio.wait_for(fut, 10)

    def call(self, name, method, params):
        ws = self.places[name][0]
        return asyncio.run_coroutine_threadsafe(
            self._call(ws, method, params), self.loop).result(15)

    def set_allowed_ips(self, name, ips, secret=None):
        return self.call(name, "set_allowed_ips",
                         [ips] if secret is None else [ips, secret])

    def drop(self, name):
        ws = self.places[name][0]
        asyncio.run_coroutine_threadsafe(ws.close(), self.loop).result(10)
        return ws

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
