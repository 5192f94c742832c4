# SPDX-License-Identifier: GPL-2.0
# nmbpeer.py - test helpers: a running nmb-server process and a JSON-RPC
# peer over a real WebSocket that behaves like the not-my-board clients
# (binary frames, ids from 1, "params": {} for calls without arguments).
import asyncio
import json
import os
import signal
import socket
import subprocess
import time

import websockets

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "ERROR: LeakSanitizer", "SUMMARY: UndefinedBehavior")


def free_port():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One nmb-server process; stderr goes to a log file."""

    def __init__(self, binary, workdir, config=None, listen=None, args=(),
                 env=None, port=None, log_name=None):
        self.binary = binary
        self.port = port or free_port()
        self.log_path = os.path.join(workdir, log_name or
                                     "server-%d.log" % self.port)
        cmd = [binary]
        if config is not None:
            path = os.path.join(workdir, "server-%d.yaml" % self.port)
            self.config_path = path
            with open(path, "w") as f:
                f.write(config.replace("@PORT@", str(self.port)))
            cmd += ["-c", path]
        for l in (listen if listen is not None else ["[::]:%d" % self.port]):
            cmd += ["--listen", l.replace("@PORT@", str(self.port))]
        cmd += list(args)
        self.log = open(self.log_path, "w")
        env = dict(os.environ, **(env or {}))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.proc = subprocess.Popen(cmd, stderr=self.log,
                                     stdout=subprocess.DEVNULL, env=env)
        self.wait_ready()

    def wait_ready(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return
            if "listening on" in self.text():
                return
            time.sleep(0.02)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def url(self, path="/ws", scheme="ws", host="127.0.0.1"):
        return "%s://%s:%d%s" % (scheme, host, self.port, path)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Returns (exit code, sanitizer report or None)."""
        if sig is None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
            sig = signal.SIGTERM
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        text = self.text()
        bad = [l for l in text.splitlines()
               if any(m in l for m in SANITIZER_MARKS)]
        return self.proc.returncode, ("\n".join(bad) or None)


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__("%s %s" % (code, message))
        self.code = code
        self.message = message


class Peer:
    """A JSON-RPC peer: calls, answers the hub's calls, records all."""

    every = []  # each peer made, so that a test can close what it left

    def __init__(self, ws, ip_answer=None):
        self.ws = ws
        self.next_id = 1
        self.pending = {}
        self.incoming = []          # requests and notifications from hub
        self.raw = asyncio.Queue()  # every message that is not a response
        self.handlers = {"set_allowed_ips": self._allowed_ips}
        self.allowed = []           # each set_allowed_ips argument
        self.secrets = []           # and its secret (None: none sent)
        self.allow_delay = 0
        self.allow_error = None
        self.closed = asyncio.get_event_loop().create_future()
        self.reader = asyncio.ensure_future(self._read())
        Peer.every.append(self)

    @classmethod
    async def connect(cls, url, headers=None, ssl=None):
        # Like not-my-board's clients: answer pings, never send any (§2).
        # Pings of our own could time out on a busy host and kill the
        # connection in the middle of a test.
        ws = await websockets.connect(url, extra_headers=headers or {},
                                      ssl=ssl, max_size=2 ** 24,
                                      compression=None, ping_interval=None)
        return cls(ws)

    async def _allowed_ips(self, ips, secret=None):
        self.allowed.append(ips)
        self.secrets.append(secret)
        if self.allow_delay:
            await asyncio.sleep(self.allow_delay)
        if self.allow_error:
            raise RpcError(-32603, self.allow_error)
        return None

    async def _read(self):
        try:
            async for data in self.ws:
                msg = json.loads(data)
                if isinstance(msg, dict) and "method" not in msg and \
                        msg.get("id") in self.pending:
                    fut = self.pending.pop(msg["id"])
                    if not fut.done():
                        fut.set_result(msg)
                    continue
                self.raw.put_nowait(msg)
                if isinstance(msg, dict) and "method" in msg:
                    self.incoming.append(msg)
                    asyncio.ensure_future(self._serve(msg))
        except websockets.ConnectionClosed:
            pass
        finally:
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_result({"error": {"code": 0, "message":
                                              "Connection closed"}})
            if not self.closed.done():
                self.closed.set_result(self.ws.close_code)

    async def _serve(self, msg):
        h = self.handlers.get(msg["method"])
        if h is None or msg.get("id") is None:
            return
        try:
            params = msg.get("params", [])
            if isinstance(params, dict):
                res = await h(**params)
            else:
                res = await h(*params)
            out = {"jsonrpc": "2.0", "id": msg["id"], "result": res}
        except asyncio.CancelledError:
            return
        except RpcError as e:
            out = {"jsonrpc": "2.0", "id": msg["id"],
                   "error": {"code": e.code, "message": e.message}}
        try:
            await self.send(out)
        except websockets.ConnectionClosed:
            pass

    async def send(self, obj, text=False):
        data = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
        if isinstance(data, str) and not text:
            data = data.encode()
        await self.ws.send(data)

    def start(self, method, *args, **kwargs):
        """Sends a request; returns (id, future of the raw response)."""
        rid = self.next_id
        self.next_id += 1
        params = kwargs if kwargs or not args else list(args)
        fut = asyncio.get_event_loop().create_future()
        self.pending[rid] = fut
        asyncio.ensure_future(self.send({"jsonrpc": "2.0", "id": rid,
                                         "method": method,
                                         "params": params}))
        return rid, fut

    async def call(self, method, *args, timeout=5, **kwargs):
        _, fut = self.start(method, *args, **kwargs)
        return self.result(await asyncio.wait_for(fut, timeout))

    @staticmethod
    def result(msg):
        if "error" in msg:
            raise RpcError(msg["error"]["code"], msg["error"]["message"])
        return msg["result"]

    async def cancel(self, rid):
        self.pending.pop(rid, None)
        return await self.call("rpc.cancel", rid)

    async def expect_raw(self, timeout=3):
        return await asyncio.wait_for(self.raw.get(), timeout)

    async def close(self):
        await self.ws.close()
        await self.closed


async def call_error(coro):
    """Awaits coro, returns the RpcError it raised (or None)."""
    try:
        await coro
    except RpcError as e:
        return e
    return None


def place_desc(name, port=2192, **extra):
    d = {"name": name, "port": port,
         "parts": [{"compatible": ["raspberry-pi"],
                    "usb": {"serial": {"usbid": "1-4.2"}},
                    "tcp": {"ssh": {"host": "192.168.7.20", "port": 22}}}]}
    d.update(extra)
    return d


async def close_all():
    """Closes every peer still open (after a test, pass or fail)."""
    for p in Peer.every:
        if not p.closed.done():
            try:
                await asyncio.wait_for(p.close(), 3)
            except Exception:
                pass
    Peer.every.clear()
