# SPDX-License-Identifier: GPL-2.0
# connect_proxy.py - a small HTTP CONNECT proxy for tests of the
# outbound-proxy support (lib/proxy_env, lib/proxy_connect, lib/hub_client):
# it answers "CONNECT host:port" with 200 and relays, records each
# target, and refuses (403) targets not in "allow" when that is set.
# Runs on the test's asyncio loop, or alone:
#   python3 connect_proxy.py ADDR PORT     (prints "ready" when listening,
#                                           then "CONNECT <target>" each)
import asyncio
import sys


class ConnectProxy:
    def __init__(self, allow=None, echo=False):
        self.targets = []           # each CONNECT target, in order
        self.allow = allow          # None: every target
        self.echo = echo            # print each target on stdout
        self.server = None

    async def start(self, host="127.0.0.1", port=0):
        self.server = await asyncio.start_server(self._serve, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    async def _serve(self, r, w):
        try:
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ConnectionError):
            w.close()
            return
        line = head.split(b"\r\n", 1)[0].split(b" ")
        if len(line) != 3 or line[0] != b"CONNECT":
            w.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            w.close()
            return
        target = line[1].decode()
        self.targets.append(target)
        if self.echo:
            print("CONNECT " + target, flush=True)
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if self.allow is not None and target not in self.allow:
            w.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            w.close()
            return
        try:
            tr, tw = await asyncio.open_connection(host, int(port))
        except (OSError, ValueError):
            w.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            w.close()
            return
        w.write(b"HTTP/1.1 200 Connection established\r\n"
                b"Proxy-Agent: connect_proxy.py\r\n\r\n")

        async def pipe(a, b):
            try:
                while True:
                    d = await a.read(65536)
                    if not d:
                        break
                    b.write(d)
                    await b.drain()
            except (ConnectionError, OSError):
                pass
            try:
                b.write_eof()
            except (OSError, RuntimeError):
                b.close()
        await asyncio.gather(pipe(r, tw), pipe(tr, w))
        w.close()
        tw.close()

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


async def _main(addr, port):
    p = await ConnectProxy(echo=True).start(addr, port)
    print("ready", flush=True)
    async with p.server:
        await p.server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2])))
