#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# agent_rpc.py - the hub side of an agent for the tests: one WebSocket to
# the hub, kept open (a reservation lives as long as it), driven by
# lines on stdin: {"method": M, "params": P} -> one JSON line on stdout
# with the answer. EOF closes the connection.
#
# Usage: agent_rpc.py ws://HUB:PORT/ws

import asyncio
import json
import sys

import websockets


async def main(url):
    loop = asyncio.get_running_loop()
    async with websockets.connect(url, ping_interval=None) as ws:
        rid = 0
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            req = json.loads(line)
            rid += 1
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid,
                                      "method": req["method"],
                                      "params": req.get("params", {})}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == rid:
                    print(json.dumps(msg), flush=True)
                    break


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
