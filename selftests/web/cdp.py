# SPDX-License-Identifier: GPL-2.0
# cdp.py - headless Chromium driven over the DevTools protocol (a
# WebSocket): start it, open a page, evaluate JavaScript, watch events,
# take screenshots. Only what the web suite needs.
import asyncio
import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request

import websockets


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium process with its own profile directory."""

    def __init__(self, workdir, width=1280, height=900):
        self.profile = os.path.join(workdir, "chromium-profile")
        os.makedirs(self.profile, exist_ok=True)
        self.log = open(os.path.join(workdir, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            [chromium_binary(), "--headless=new", "--no-sandbox",
             "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking",
             "--disable-dev-shm-usage", "--hide-scrollbars",
             "--window-size=%d,%d" % (width, height),
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + 30
        while not os.path.exists(port_file):
            if time.time() > end or self.proc.poll() is not None:
                raise RuntimeError("chromium did not start (see %s)" %
                                   self.log.name)
            time.sleep(0.05)
        time.sleep(0.1)
        with open(port_file) as f:
            self.port = int(f.readline())

    def page_ws_url(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" %
                                    self.port) as r:
            for t in json.load(r):
                if t["type"] == "page":
                    return t["webSocketDebuggerUrl"]
        raise RuntimeError("no page target")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Page:
    """A DevTools session on one page target."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.pending = {}
        self.events = []
        self.dialogs = []
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, browser):
        ws = await websockets.connect(browser.page_ws_url(), max_size=2 ** 26,
                                      ping_interval=None)
        page = cls(ws)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        return page

    async def _read(self):
        async for data in self.ws:
            msg = json.loads(data)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
                continue
            self.events.append(msg)
            if msg.get("method") == "Page.javascriptDialogOpening":
                self.dialogs.append(msg["params"])
                if self.on_dialog:
                    asyncio.ensure_future(self.on_dialog(msg["params"]))

    on_dialog = None

    async def send(self, method, **params):
        rid = self.next_id
        self.next_id += 1
        fut = asyncio.get_event_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(json.dumps({"id": rid, "method": method,
                                       "params": params}))
        msg = await asyncio.wait_for(fut, 20)
        if "error" in msg:
            raise RuntimeError("%s: %s" % (method, msg["error"]))
        return msg.get("result", {})

    async def js(self, expr):
        """Evaluates expr (awaiting a promise) and returns its value."""
        r = await self.send("Runtime.evaluate", expression=expr,
                            returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    async def goto(self, url):
        await self.send("Page.navigate", url=url)
        await self.until("document.readyState === 'complete'", 10)

    async def until(self, expr, timeout, step=0.02):
        """Polls expr until it is truthy; returns (value, seconds) or
        raises TimeoutError with the last value."""
        t0 = time.monotonic()
        value = None
        while True:
            value = await self.js(expr)
            if value:
                return value, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("%s still %r after %.1f s" %
                                   (expr, value, timeout))
            await asyncio.sleep(step)

    async def screenshot(self, path):
        r = await self.send("Page.captureScreenshot", format="png",
                            captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    async def close(self):
        await self.ws.close()
