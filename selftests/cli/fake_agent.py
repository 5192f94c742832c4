#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# fake_agent.py - a stand-in for nmb-agent's control socket: line-framed
# JSON-RPC 2.0 on a Unix socket (Documentation/agent-api.rst). It answers
# each method from a table and records every request and every closed
# connection, so that tests can check what nmbctl sent.
#
# Usage as a program: fake_agent.py SOCKET [RESPONSES.json]

import json
import os
import socket
import sys
import threading
import time

LINE_MAX = 65536


class FakeAgent:
    """responses maps a method to one of:
    {"result": X}                        answer X
    {"error": "msg", "kind": "conflict"} answer a -32603 error
    {"code": -32601, "error": "msg"}     answer another error code
    {"hang": True}                       never answer
    {"close": True}                      close the connection instead
    a list of the above                  one per call, the last repeats
    Any of them may add "notify": [[method, params], ...], notifications
    sent first, and "delay": seconds to wait before the answer.
    Methods not in the table answer null."""

    def __init__(self, path, responses=None):
        self.path = path
        self.responses = responses or {}
        self.requests = []          # [(method, params)]
        self.events = []            # "connect", "close"
        self.lock = threading.Lock()
        self.calls = {}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)
        self.sock.bind(path)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def reset(self, responses=None):
        with self.lock:
            self.responses = responses or {}
            self.requests = []
            self.events = []
            self.calls = {}

    def methods(self):
        with self.lock:
            return [m for m, _ in self.requests]

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _answer(self, method):
        with self.lock:
            r = self.responses.get(method, {"result": None})
            if isinstance(r, list):
                i = self.calls.get(method, 0)
                self.calls[method] = i + 1
                r = r[min(i, len(r) - 1)]
            return r

    def _serve(self, conn):
        with self.lock:
            self.events.append("connect")
        buf = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                buf += data
                if len(buf) > LINE_MAX and b"\n" not in buf:
                    break
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not self._handle(conn, line):
                        return
        except (OSError, ValueError):
            pass
        finally:
            with self.lock:
                self.events.append("close")
            conn.close()

    def _handle(self, conn, line):
        msg = json.loads(line)
        method = msg.get("method")
        with self.lock:
            self.requests.append((method, msg.get("params")))
        if method == "rpc.cancel":
            reply = {"jsonrpc": "2.0", "id": msg["id"], "result": None}
            conn.sendall(json.dumps(reply).encode() + b"\n")
            return True
        r = self._answer(method)
        for m, p in r.get("notify", []):
            note = {"jsonrpc": "2.0", "method": m, "params": p}
            conn.sendall(json.dumps(note).encode() + b"\n")
        if r.get("delay"):
            time.sleep(r["delay"])
        if r.get("close"):
            return False
        if r.get("hang"):
            return True
        reply = {"jsonrpc": "2.0", "id": msg["id"]}
        if "error" in r:
            err = {"code": r.get("code", -32603), "message": r["error"]}
            if "kind" in r:
                err["data"] = {"kind": r["kind"]}
            reply["error"] = err
        else:
            reply["result"] = r.get("result")
        conn.sendall(json.dumps(reply).encode() + b"\n")
        return True

    def close(self):
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


if __name__ == "__main__":
    responses = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            responses = json.load(f)
    agent = FakeAgent(sys.argv[1], responses)
    print("listening on", sys.argv[1], flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for m, p in agent.requests:
        print(json.dumps({"method": m, "params": p}))
    agent.close()
