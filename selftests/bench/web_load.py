# SPDX-License-Identifier: GPL-2.0
# web_load.py - make bench: nmb-server with 100 farm pages open (100
# subscribe_farm WebSockets, as the web page makes) next to 20 places and
# an agent reserving and returning: the server's RSS and file descriptors
# per page, the size of one snapshot, the time until all 100 subscribers
# saw a reservation (p50, p99 over the cycles), and the server's CPU time
# per change. Prints "bench NAME median=... min=... max=... n=... unit=..."
# lines, medians over RUNS runs.
# Usage: web_load.py NMB_SERVER WORKDIR RUNS
import asyncio
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from nmbpeer import Peer, Server, close_all  # noqa: E402
import websockets  # noqa: E402

SERVER, WORK, RUNS = sys.argv[1], sys.argv[2], int(sys.argv[3])
PAGES = 100
PLACES = 20
CYCLES = 30


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, fds, cpu


class Page:
    """One subscriber: remembers when it first saw each holder change."""

    def __init__(self, ws):
        self.ws = ws
        self.seen = {}          # (place id, holder user) -> time
        self.size = 0
        self.task = asyncio.ensure_future(self.read())

    async def read(self):
        async for data in self.ws:
            now = time.monotonic()
            msg = json.loads(data)
            snap = msg.get("params") if msg.get("method") == "farm" else \
                msg.get("result")
            if not isinstance(snap, dict):
                continue
            self.size = len(data)
            for p in snap["places"]:
                key = (p["id"], (p["holder"] or {}).get("user"),
                       bool(p["holder"] and p["holder"].get("since")))
                self.seen.setdefault(key, now)


async def one_run():
    srv = Server(SERVER, WORK, listen=["127.0.0.1:@PORT@"],
                 log_name="web-bench.log")
    exporters = []
    for i in range(PLACES):
        peer = await Peer.connect(srv.url())
        pid = await peer.call("register_place", {
            "name": "board-%02d" % i, "port": 2000 + i,
            "parts": [{"compatible": ["board", "rev%d" % (i % 3)],
                       "usb": {"serial": {"usbid": "1-%d" % (i + 1)}},
                       "tcp": {"power": {"host": "192.0.2.1",
                                         "port": 5000 + i}}}]})
        exporters.append((peer, pid))
    agent = await Peer.connect(srv.url())
    user = (await agent.call("hello"))["connection"]
    user = "<%d>" % user
    await asyncio.sleep(0.2)
    rss0, fds0, _ = proc_status(srv.proc.pid)
    pages = []
    for _ in range(PAGES):
        ws = await websockets.connect(srv.url(), subprotocols=["nmb"],
                                      max_size=2 ** 24, compression=None,
                                      ping_interval=None)
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1,
                                  "method": "subscribe_farm",
                                  "params": {}}))
        pages.append(Page(ws))
    while any(not p.size for p in pages):
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    rss1, fds1, cpu0 = proc_status(srv.proc.pid)
    lat = []
    for k in range(CYCLES):
        peer, pid = exporters[k % PLACES]
        t0 = time.monotonic()
        await agent.call("reserve", [pid])
        key = (pid, user, True)
        while any(key not in p.seen for p in pages):
            await asyncio.sleep(0.001)
        lat.append(max(p.seen[key] for p in pages) - t0)
        await agent.call("return_reservation", pid)
        for p in pages:
            p.seen.clear()
        await asyncio.sleep(0.06)      # let the return's snapshot go out
    _, _, cpu1 = proc_status(srv.proc.pid)
    size = max(p.size for p in pages)
    for p in pages:
        await p.ws.close()
        p.task.cancel()
    await close_all()
    code, report = srv.stop()
    if code != 0:
        raise RuntimeError("server exited %s %s" % (code, report))
    lat.sort()
    return {
        "web_rss_per_page": (rss1 - rss0) / PAGES,
        "web_fds_per_page": (fds1 - fds0) / PAGES,
        "web_snapshot_bytes": size,
        "web_fanout_p50": lat[len(lat) // 2] * 1000,
        "web_fanout_p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] *
        1000,
        # a cycle is two changes: the grant and the return
        "web_cpu_per_change": (cpu1 - cpu0) * 1000 / (2 * CYCLES),
    }


UNITS = {"web_rss_per_page": "KiB", "web_fds_per_page": "fds",
         "web_snapshot_bytes": "bytes", "web_fanout_p50": "ms",
         "web_fanout_p99": "ms", "web_cpu_per_change": "ms"}


async def main():
    results = {k: [] for k in UNITS}
    print("# farm page load: %d pages, %d places, %d reserve+return cycles, "
          "%d runs" % (PAGES, PLACES, CYCLES, RUNS))
    for i in range(RUNS):
        try:
            r = await one_run()
        except Exception as e:
            print("# web load run %d failed: %r" % (i, e))
            continue
        for k, v in r.items():
            results[k].append(v)
    for k, unit in UNITS.items():
        v = sorted(results[k])
        if not v:
            print("# %s: no figures" % k)
            continue
        print("bench %s median=%.4g min=%.4g max=%.4g n=%d unit=%s" %
              (k, statistics.median(v), v[0], v[-1], len(v), unit))


asyncio.run(main())
