# SPDX-License-Identifier: GPL-2.0
# web_test.py - the farm page of nmb-server in headless Chromium, against
# a farm on loopback: nmb-server with tokens, fake exporters (JSON-RPC
# peers) registering TCP-only places, the real nmb-agent and nmbctl for
# reservations. Checks the token prompt, refused roles, the places, a
# hostile place name shown as text, reservations, queue and recent
# reservations appearing without a reload (polled up to 1 s), filter,
# detail view, a phone-sized viewport, the admin's force return, the
# reconnect after a server restart, and /metrics under promtool. Saves
# screenshots into OUT. Prints TAP.
# Usage: web_test.py NMB_SERVER NMB_AGENT NMB_EXPORTER NMBCTL WORKDIR OUT
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmbpeer import Peer, Server, RpcError, close_all  # noqa: E402
import nmbtest  # noqa: E402
from nmbtest import check, collector, diag  # noqa: E402
from cdp import Browser, Page  # noqa: E402

SERVER, AGENT, EXPORTER, NMBCTL, WORK, OUT = sys.argv[1:7]
TESTS, test = collector()
S = {}
LIVE = 1.0      # the bound: a change is on the page within 1 s

# Place names are printable ASCII without spaces (hardening): the
# classic payload with slashes, which browsers parse the same way.
HOSTILE = "<img/src/onerror=alert(1)>"
TOKENS = {
    "viewer": "viewer-token-0123456789",
    "exporter": "exporter-token-0123456789",
    "importer": "importer-token-0123456789",
    "admin": "admin-token-0123456789abc",
}
CONFIG = """tokens:
  - {name: wally, token: %(viewer)s, roles: [viewer]}
  - {name: lab-exporter, token: %(exporter)s, roles: [exporter]}
  - {name: alice, token: %(importer)s, roles: [importer]}
  - {name: root, token: %(admin)s, roles: [admin, importer]}
""" % TOKENS

PLACES = [
    ("rpi-1", [{"compatible": ["raspberry-pi", "rpi3"],
                "usb": {"serial": {"usbid": "1-1.2"}},
                "tcp": {"ssh": {"host": "192.0.2.10", "port": 22}}},
               {"compatible": ["netio-4"], "usb": {},
                "tcp": {"power": {"host": "192.0.2.11", "port": 23}}}]),
    ("psu-2", [{"compatible": ["bench"], "usb": {},
                "tcp": {"scpi": {"host": "127.0.0.1", "port": 5025}}}]),
    (HOSTILE, [{"compatible": ["<b>bold</b>"], "usb": {},
                "tcp": {"x": {"host": "127.0.0.1", "port": 1}}}]),
]


def bearer(role):
    return {"Authorization": "Bearer " + TOKENS[role]}


async def exporter(name, parts, port=2192):
    peer = await Peer.connect(S["srv"].url(), headers=bearer("exporter"))
    pid = await peer.call("register_place", {"name": name, "port": port,
                                             "parts": parts})
    return peer, pid


async def nmbctl(*args):
    p = await asyncio.create_subprocess_exec(
        NMBCTL, "-s", S["sock"], *args, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    out, _ = await p.communicate()
    check(p.returncode == 0, "nmbctl %s: %s" % (" ".join(args),
                                               out.decode()))
    return out.decode()


def card_js(name, expr):
    """JS: expr evaluated with `c` the card of place name (or null)."""
    return ("(() => { const c = [...document.querySelectorAll('#places .card')]"
            ".find((e) => e.querySelector('.place-name').textContent === "
            "%s); return %s; })()" % (repr_js(name), expr))


def repr_js(s):
    import json
    return json.dumps(s)


async def login(token):
    page = S["page"]
    if not (await page.js("location.href")).startswith("http"):
        await page.goto(S["srv"].url("/", "http"))
    await page.js("sessionStorage.clear()")
    await page.goto(S["srv"].url("/", "http"))
    await page.until("!document.getElementById('login').hidden", 5)
    await page.js("document.getElementById('token').value = %s;"
                  "document.getElementById('login').requestSubmit()" %
                  repr_js(token))


@test
async def page_served_with_csp():
    with urllib.request.urlopen(S["srv"].url("/", "http")) as r:
        csp = r.headers["Content-Security-Policy"]
        body = r.read().decode()
    check(r.status == 200 and "<script src=\"app.js\"" in body, body[:200])
    check(csp and "default-src 'none'" in csp and "script-src 'self'" in csp
          and "unsafe" not in csp, csp)
    with urllib.request.urlopen(S["srv"].url("/app.js", "http")) as r:
        js = r.read().decode()
        check(r.headers["Content-Type"].startswith("text/javascript") and
              r.headers["X-Content-Type-Options"] == "nosniff",
              dict(r.headers))
    for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML",
                "document.write", "eval("):
        check(bad not in js, "app.js uses " + bad)
    return "CSP: " + csp


@test
async def token_asked_for():
    page = S["page"]
    await page.goto(S["srv"].url("/", "http"))
    await page.until("!document.getElementById('login').hidden", 5)
    n = await page.js("document.querySelectorAll('.card').length")
    check(n == 0, "%d place cards without a token" % n)
    return "the page asks for a token and shows no place"


@test
async def unknown_token_refused():
    page = S["page"]
    await login("not-a-token-of-this-server")
    why, _ = await page.until(
        "!document.getElementById('login').hidden && "
        "document.getElementById('login-why').textContent.includes("
        "'did not accept') && document.getElementById('login-why')"
        ".textContent", 5)
    check(await page.js("document.querySelectorAll('.card').length") == 0,
          "cards shown")
    check(await page.js("sessionStorage.getItem('nmb-token')") is None,
          "a refused token is kept")
    return why


@test
async def wrong_role_refused():
    page = S["page"]
    await login(TOKENS["exporter"])
    err, _ = await page.until(
        "document.getElementById('status').textContent === 'refused' && "
        "document.getElementById('error').textContent", 5)
    check("Permission denied" in err and "viewer" in err, err)
    check(await page.js("document.querySelectorAll('.card').length") == 0,
          "cards shown to an exporter token")
    # The same over a plain WebSocket, and a viewer cannot reserve.
    peer = await Peer.connect(S["srv"].url(), headers=bearer("exporter"))
    try:
        await peer.call("subscribe_farm")
        check(False, "exporter token subscribed")
    except RpcError as e:
        check("Permission denied" in e.message, e.message)
    viewer = await Peer.connect(S["srv"].url(), headers=bearer("viewer"))
    try:
        await viewer.call("reserve", [S["ids"]["psu-2"]])
        check(False, "a viewer reserved")
    except RpcError as e:
        check("Permission denied" in e.message, e.message)
    await peer.close()
    await viewer.close()
    return err


@test
async def places_listed():
    page = S["page"]
    await login(TOKENS["viewer"])
    await page.until("document.getElementById('status').textContent === "
                     "'live'", 5)
    names = await page.js("[...document.querySelectorAll('.place-name')]"
                          ".map((e) => e.textContent)")
    check(sorted(names) == sorted(n for n, _ in PLACES), names)
    text = await page.js(card_js("rpi-1", "c.textContent"))
    for want in ("free", "raspberry-pi", "netio-4", "serial USB 1-1.2",
                 "power TCP 192.0.2.11:23", "127.0.0.1", "connected"):
        check(want in text, "%r not in the rpi-1 card: %s" % (want, text))
    who = await page.js("document.getElementById('who').textContent")
    check(who == "as wally", who)
    check(await page.js("document.querySelectorAll('button.force').length")
          == 0, "a viewer sees force return")
    return "%d places, token kept in sessionStorage" % len(names)


@test
async def hostile_name_is_text():
    page = S["page"]
    name = await page.js(card_js(HOSTILE, "c && c.querySelector("
                                 "'.place-name').textContent"))
    check(name == HOSTILE, name)
    imgs = await page.js("document.images.length")
    bold = await page.js("document.querySelectorAll('.card b').length")
    tag = await page.js(card_js(HOSTILE, "c.querySelector('.tag')"
                                ".textContent"))
    check(imgs == 0 and bold == 0 and tag == "<b>bold</b>",
          (imgs, bold, tag))
    check(not page.dialogs, page.dialogs)
    return "name and tag shown as text, no element made, no alert"


@test
async def reservation_appears_live():
    page = S["page"]
    await nmbctl("reserve", S["bench"])
    t_done = time.monotonic()
    who, _ = await page.until(card_js(
        "psu-2", "c.querySelector('.holder-who') && "
        "c.querySelector('.holder-who').textContent"), LIVE)
    dt = time.monotonic() - t_done
    check(who.startswith("alice (127.0.0.1)"), who)
    check(await page.js(card_js("psu-2", "c.querySelector('.pill')"
                                ".textContent")) == "reserved", "pill")
    return "shown %.0f ms after nmbctl reserve returned" % (dt * 1000)


@test
async def queue_appears_live():
    page = S["page"]
    S["waiter"] = await Peer.connect(S["srv"].url(),
                                     headers=bearer("admin"))
    S["wait_id"], S["wait_fut"] = S["waiter"].start(
        "reserve", candidate_ids=[S["ids"]["psu-2"]], priority=5)
    row, _ = await page.until(
        "[...document.querySelectorAll('#queue tbody tr')].map("
        "(r) => [...r.cells].map((c) => c.textContent).join('|'))"
        ".join('\\n')", LIVE)
    cells = row.split("|")
    check(cells[0] == "1" and cells[1] == "root (127.0.0.1)" and
          cells[3] == "5" and cells[4] == "psu-2", row)
    return row


@test
async def filter_and_detail():
    page = S["page"]
    await page.js("{ const f = document.getElementById('filter');"
                  "f.value = 'BENCH'; f.dispatchEvent(new Event('input')) }")
    names = await page.js("[...document.querySelectorAll('.place-name')]"
                          ".map((e) => e.textContent)")
    check(names == ["psu-2"], names)
    await page.js("{ const f = document.getElementById('filter');"
                  "f.value = 'rpi'; f.dispatchEvent(new Event('input')) }")
    names = await page.js("[...document.querySelectorAll('.place-name')]"
                          ".map((e) => e.textContent)")
    check(names == ["rpi-1"], names)
    await page.js("{ const f = document.getElementById('filter');"
                  "f.value = ''; f.dispatchEvent(new Event('input')) }")
    href = await page.js(card_js(HOSTILE, "c.querySelector('.place-name')"
                                 ".getAttribute('href')"))
    await page.js("location.hash = %s" % repr_js(href))
    facts, _ = await page.until(
        "!document.getElementById('detail').hidden && "
        "document.querySelector('#detail .facts').textContent", 3)
    check("tags<b>bold</b>" in facts, facts)
    # an emulated board's power (part_state), its reason shown as text
    await S["exporters"][1].send({
        "jsonrpc": "2.0", "method": "part_state",
        "params": {"part": 0, "power": "off",
                   "reason": "QEMU killed <i>9</i>"}})
    await page.js("location.hash = '#place=psu-2'")
    facts, _ = await page.until(
        "document.querySelector('#detail .facts') && document.querySelector"
        "('#detail .facts').textContent.includes('held by') && "
        "document.querySelector('#detail .facts').textContent.includes("
        "'part 0 power') && document.querySelector('#detail').textContent",
        3)
    check("alice (127.0.0.1)" in facts and "root (127.0.0.1)" in facts,
          facts)
    check(re.search(r"part 0 poweroff since .+: QEMU killed <i>9</i>",
                    facts) is not None and
          await page.js("document.querySelectorAll('#detail i').length")
          == 0, facts)
    os.makedirs(OUT, exist_ok=True)
    await page.screenshot(os.path.join(OUT, "farm-page-detail.png"))
    await page.js("location.hash = ''")
    await page.until("document.getElementById('detail').hidden", 3)
    return "filter by tag and name; detail view of a place, its power"


@test
async def screenshots():
    page = S["page"]
    os.makedirs(OUT, exist_ok=True)
    # A finished reservation for the "recent" table of the picture.
    await nmbctl("reserve", S["rpi"])
    await nmbctl("return", "rpi")
    await page.until("document.querySelectorAll('#recent tbody tr')"
                     ".length > 0", LIVE)
    laptop = os.path.join(OUT, "farm-page.png")
    await page.screenshot(laptop)
    await page.send("Emulation.setDeviceMetricsOverride", width=390,
                    height=844, deviceScaleFactor=2, mobile=True)
    await asyncio.sleep(0.3)
    width = await page.js("document.documentElement.scrollWidth")
    phone = os.path.join(OUT, "farm-page-phone.png")
    await page.screenshot(phone)
    await page.send("Emulation.clearDeviceMetricsOverride")
    check(width <= 390, "the page is %d px wide on a 390 px phone" % width)
    check(os.path.getsize(laptop) > 10000, "screenshot too small")
    return "%s, %s (%d px wide on a phone)" % (laptop, phone, width)


@test
async def return_and_handoff_live():
    page = S["page"]
    await nmbctl("return", "bench")
    row, _ = await page.until(
        "[...document.querySelectorAll('#recent tbody tr')].map("
        "(r) => [...r.cells].map((c) => c.textContent).join('|'))"
        ".find((r) => r.startsWith('psu-2|alice'))", LIVE)
    check(row.split("|")[3] == "returned", row)
    # The waiter got the place: it holds it now, the queue is empty.
    check(Peer.result(await asyncio.wait_for(S["wait_fut"], 5)) ==
          S["ids"]["psu-2"], "waiter not granted")
    try:
        await page.until(card_js(
            "psu-2", "c.querySelector('.holder-who') && "
            "c.querySelector('.holder-who').textContent"
            ".startsWith('root') && document.querySelectorAll("
            "'#queue tbody tr').length === 0"), LIVE)
    except TimeoutError:
        diag(await page.js(card_js("psu-2", "c.textContent")))
        diag("status " + await page.js(
            "document.getElementById('status').textContent"))
        raise
    return row


@test
async def admin_force_return():
    page = S["page"]
    await login(TOKENS["admin"])
    await page.until("document.getElementById('status').textContent === "
                     "'live'", 5)

    async def accept(params):
        await page.send("Page.handleJavaScriptDialog", accept=True)
    page.on_dialog = accept
    n = await page.js("document.querySelectorAll('button.force').length")
    check(n == 1, "%d force buttons, want 1 (psu-2 is reserved)" % n)
    await page.js(card_js("psu-2", "c.querySelector('button.force')"
                          ".click()"))
    row, _ = await page.until(
        "[...document.querySelectorAll('#recent tbody tr')].map("
        "(r) => [...r.cells].map((c) => c.textContent).join('|'))"
        ".find((r) => r.startsWith('psu-2|root'))", 3)
    check(row.split("|")[3] == "force-returned", row)
    confirms = [d for d in page.dialogs if d["type"] == "confirm"]
    alerts = [d for d in page.dialogs if d["type"] != "confirm"]
    check(len(confirms) == 1 and not alerts, page.dialogs)
    await page.until(card_js("psu-2", "c.querySelector('.pill')"
                             ".textContent === 'free'"), LIVE)
    page.on_dialog = None
    return row


@test
async def metrics_pass_promtool():
    with urllib.request.urlopen(S["srv"].url("/metrics", "http")) as r:
        text = r.read().decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    check(p.returncode == 0, p.stdout + p.stderr)
    for want in ('nmb_build_info{program="nmb-server"',
                 'nmb_place_grants_total{place="psu-2"} 2',
                 'nmb_place_reserved{place="psu-2"} 0',
                 'nmb_place_reserved{place="%s"} 0' % HOSTILE,
                 'nmb_place_queue_wait_seconds_count{place="psu-2"} 2',
                 'nmb_connections{role="viewer"} 1'):
        check(want in text, "%r not in /metrics" % want)
    return "promtool check metrics: ok"


def metrics_text(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
        return r.read().decode()


def metrics_text_server():
    with urllib.request.urlopen(S["srv"].url("/metrics", "http")) as r:
        return r.read().decode()


def promtool(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    check(p.returncode == 0, p.stdout + p.stderr)


@test
async def exporter_and_agent_metrics():
    page = S["page"]

    async def upper(r, w):
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d.upper())
            await w.drain()
        w.close()
    echo = await asyncio.start_server(upper, "127.0.0.1", 0)
    eport = echo.sockets[0].getsockname()[1]
    mport, pport = nmbtest.free_port(), nmbtest.free_port()
    conf = os.path.join(WORK, "exporter.yaml")
    nmbtest.write(conf, "server: %s\ntoken: %s\nmetrics_listen: "
                  "127.0.0.1:%d\nplaces:\n  - name: lab-psu\n"
                  "    port: %d\n    parts:\n      - compatible: [psu]\n"
                  "        tcp:\n          scpi: {host: 127.0.0.1, "
                  "port: %d}\n" % (S["srv"].url("", "http"),
                                    TOKENS["exporter"], mport, pport, eport))
    log = open(os.path.join(WORK, "exporter.log"), "w")
    exp = subprocess.Popen([EXPORTER, "-c", conf], stderr=log,
                           stdout=subprocess.DEVNULL)
    try:
        return await exporter_metrics(exp, log, echo, eport, mport, pport)
    finally:
        if exp.poll() is None:
            exp.kill()
            exp.wait()
        echo.close()


async def exporter_metrics(exp, log, echo, eport, mport, pport):
    page = S["page"]
    # The real exporter's place shows up on the page by itself.
    await page.until(card_js("lab-psu", "c && c.textContent"), 10)
    lport = nmbtest.free_port()
    psu = os.path.join(WORK, "psu.yaml")
    nmbtest.write(psu, "parts:\n  p:\n    compatible: [psu]\n    tcp:\n"
                  "      scpi: {local_port: %d}\n" % lport)
    await nmbctl("attach", psu)
    r, w = await asyncio.open_connection("127.0.0.1", lport)
    w.write(b"*idn?\n")
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 5)
    check(line == b"*IDN?\n", line)
    w.close()
    # A CONNECT without the reservation's secret (the agent's grant has
    # one, so the holder's IP alone is not enough): refused, counted.
    r2, w2 = await asyncio.open_connection("127.0.0.1", pport)
    w2.write(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n")
    await w2.drain()
    await asyncio.wait_for(r2.read(), 5)
    w2.close()
    et = metrics_text(mport)
    at = metrics_text(S["agent_metrics"])
    promtool(et)
    promtool(at)
    for want in ('nmb_build_info{program="nmb-exporter"',
                 'nmb_exporter_tcp_bytes_total{place="lab-psu",part="0",'
                 'interface="scpi",direction="from_peer"} 6',
                 'nmb_exporter_tcp_bytes_total{place="lab-psu",part="0",'
                 'interface="scpi",direction="to_peer"} 6',
                 'nmb_exporter_proxy_refusals_total{place="lab-psu",'
                 'reason="secret_wrong_or_missing"} 1'):
        check(want in et, "%r not in the exporter's /metrics:\n%s" %
              (want, et))
    for want in ('nmb_build_info{program="nmb-agent"',
                 'nmb_agent_tunnel_bytes_total{direction="to_local"} 6',
                 'nmb_agent_tunnel_bytes_total{direction="to_remote"} 6',
                 'nmb_agent_attaches_total{kind="first"} 0',
                 'nmb_agent_reattach_seconds_count 0'):
        check(want in at, "%r not in the agent's /metrics:\n%s" %
              (want, at))
    # Every series the Grafana dashboard asks for exists.
    import json
    import re
    with open(os.path.join(HERE, "..", "..", "Documentation", "examples",
                           "grafana-nmb.json")) as f:
        dash = json.load(f)
    every = et + at + metrics_text_server()
    names = set()
    for panel in dash["panels"]:
        for t in panel["targets"]:
            names |= set(re.findall(r"nmb_[a-z_]+", t["expr"]))
    missing = [m for m in sorted(names)
               if not re.search(r"^(# TYPE )?%s[{ ]" % m, every, re.M)]
    check(not missing, "the dashboard uses unknown series %s" % missing)
    await nmbctl("detach", "psu")
    exp.send_signal(signal.SIGTERM)
    exp.wait(10)
    log.close()
    with open(log.name) as f:
        text = f.read()
    check(exp.returncode == 0 and "Sanitizer" not in text and
          "runtime error" not in text, text[-2000:])
    return "promtool check metrics: ok for nmb-exporter and nmb-agent"


@test
async def lease_and_lost_reservations_in_recent():
    page = S["page"]
    lessee = await Peer.connect(S["srv"].url(), headers=bearer("importer"))
    await lessee.call("reserve", candidate_ids=[S["ids"]["rpi-1"]], lease=2)
    await page.until(card_js("rpi-1", "c.textContent.includes("
                             "'lease ends in')"), LIVE)
    leaver = await Peer.connect(S["srv"].url(), headers=bearer("importer"))
    await leaver.call("reserve", [S["ids"][HOSTILE]])
    await leaver.close()     # no hello: no grace, the reservation ends
    rows, _ = await page.until(
        "(() => { const r = [...document.querySelectorAll("
        "'#recent tbody tr')].map((r) => [...r.cells].map((c) => "
        "c.textContent).join('|')); return r.some((x) => x.startsWith("
        "'rpi-1|alice') && x.includes('|lease ended|')) && r.some((x) => "
        "x.startsWith(%s) && x.includes('|connection lost|')) && "
        "r.join('\\n'); })()" % repr_js(HOSTILE + "|alice"), 5)
    await lessee.close()
    return "lease ended and connection lost shown"


@test
async def metrics_listener_limits():
    port = S["agent_metrics"]
    for method, path, want in (("GET", "/nope", 404), ("POST", "/metrics",
                                                       405)):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                     method=method)
        try:
            urllib.request.urlopen(req)
            check(False, "%s %s answered 200" % (method, path))
        except urllib.error.HTTPError as e:
            check(e.code == want, "%s %s: %d" % (method, path, e.code))
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GARBAGE\r\n\r\n")
    await w.drain()
    head = await asyncio.wait_for(r.read(), 5)
    w.close()
    check(head.startswith(b"HTTP/1.1 400"), head)
    # A bad address in the configuration: FILE:LINE: key, no start.
    conf = os.path.join(WORK, "bad-exporter.yaml")
    nmbtest.write(conf, "server: http://127.0.0.1:1\nmetrics_listen: "
                  "localhost\nplaces:\n  - name: x\n    port: 1\n"
                  "    parts:\n      - compatible: [x]\n")
    p = subprocess.run([EXPORTER, "-c", conf], capture_output=True,
                       text=True, timeout=20)
    check(p.returncode != 0 and "bad-exporter.yaml:2" in p.stderr and
          "metrics_listen" in p.stderr, p.stderr)
    conf = os.path.join(WORK, "bad-agent.yaml")
    nmbtest.write(conf, "metrics_listen: 127.0.0.1:99999\n")
    p = subprocess.run([AGENT, "-c", conf, "--socket",
                        os.path.join(WORK, "bad.sock")],
                       capture_output=True, text=True, timeout=20)
    check(p.returncode != 0 and "bad-agent.yaml:1" in p.stderr and
          "metrics_listen" in p.stderr, p.stderr)
    return "404, 405, 400; bad metrics_listen refused with FILE:LINE"


@test
async def place_label_bounded():
    """1010 place names: at most 1000 label values, then place="_other"."""
    async def one(i):
        peer = await Peer.connect(S["srv"].url(), headers=bearer("exporter"))
        await peer.call("register_place", {"name": "churn-%04d" % i,
                                           "port": 1, "parts": []})
        await peer.close()
    for i in range(0, 1010, 50):
        await asyncio.gather(*(one(k) for k in range(i, min(i + 50, 1010))))
    text = metrics_text_server()
    labels = set()
    for line in text.splitlines():
        if line.startswith("nmb_place_grants_total{"):
            labels.add(line.split('"')[1])
    check(len(labels) == 1001 and "_other" in labels,
          "%d place label values" % len(labels))
    promtool(text)
    return "%d label values, _other included" % len(labels)


class RawSubscriber:
    """subscribe_farm over a hand-made WebSocket with a tiny receive
    buffer, that does not read until told to: a page that cannot keep
    up."""

    def __init__(self, port):
        import base64
        import socket
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n"
            "\r\n" % (key, TOKENS["viewer"])).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        check(head.startswith(b"HTTP/1.1 101"), head)
        msg = b'{"jsonrpc":"2.0","id":1,"method":"subscribe_farm",' \
              b'"params":{}}'
        mask = os.urandom(4)
        self.sock.sendall(bytes([0x82, 0x80 | len(msg)]) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(msg)))

    def read_all(self, quiet=1.0):
        """Every message until quiet seconds pass without data."""
        self.sock.settimeout(quiet)
        try:
            while True:
                d = self.sock.recv(1 << 20)
                if not d:
                    break
                self.buf += d
        except OSError:
            pass
        msgs = []
        b = self.buf
        while len(b) >= 2:
            n, off = b[1] & 0x7f, 2
            if n == 126:
                n, off = int.from_bytes(b[2:4], "big"), 4
            elif n == 127:
                n, off = int.from_bytes(b[2:10], "big"), 10
            if len(b) < off + n:
                break
            if b[0] & 0x0f in (1, 2):
                msgs.append(json.loads(b[off:off + n]))
            b = b[off + n:]
        self.sock.close()
        return msgs


@test
async def slow_page_gets_the_latest():
    # The browser's page stays out of this flood of big snapshots.
    await S["page"].goto("about:blank")
    fast = await Peer.connect(S["srv"].url(), headers=bearer("viewer"))
    await fast.call("subscribe_farm")
    slow = RawSubscriber(S["srv"].port)
    await asyncio.sleep(0.3)
    # 40 big places: snapshots of about 400 KB.
    tags = ["tag-%03d-" % i + "x" * 120 for i in range(60)]
    big = []
    for i in range(40):
        peer, pid = await exporter("big-%02d" % i, [{"compatible": tags}])
        big.append((peer, pid))
    user = await Peer.connect(S["srv"].url(), headers=bearer("importer"))
    for peer, pid in big[:20]:
        await user.call("reserve", [pid])
        await asyncio.sleep(0.06)
        await user.call("return_reservation", pid)
        await asyncio.sleep(0.06)
    await asyncio.sleep(0.5)
    msgs = await asyncio.get_event_loop().run_in_executor(None,
                                                          slow.read_all)
    slow_snaps = [m["params"] for m in msgs if m.get("method") == "farm"]
    fast_snaps = [m["params"] for m in fast.incoming
                  if m.get("method") == "farm"]

    def last(snap):
        """The big places' holders and the last three reservations."""
        return ([(p["name"], p["holder"]) for p in snap["places"]
                 if p["name"].startswith("big-")], snap["recent"][:3])
    for peer, _ in big:
        await peer.close()
    await user.close()
    await fast.close()
    await login(TOKENS["viewer"])
    await S["page"].until("document.getElementById('status').textContent "
                          "=== 'live'", 5)
    check(slow_snaps and last(slow_snaps[-1]) == last(fast_snaps[-1]),
          "the slow page's last snapshot is not the latest")
    check(slow_snaps[-1]["recent"][0]["place"] == "big-19",
          slow_snaps[-1]["recent"][0])
    check(len(slow_snaps) < len(fast_snaps) / 2,
          "slow page got %d snapshots, fast %d" % (len(slow_snaps),
                                                   len(fast_snaps)))
    return "slow page: %d snapshots, fast: %d, both end on the latest" % (
        len(slow_snaps), len(fast_snaps))


@test
async def reconnects_after_restart():
    page = S["page"]
    srv = S["srv"]
    for peer in S["exporters"]:
        await peer.close()
    await S["waiter"].close()
    code, report = srv.stop()
    check(code == 0 and not report, "first server: exit %s %s" %
          (code, report))
    await page.until("document.getElementById('status').textContent === "
                     "'reconnecting'", 5)
    S["srv"] = Server(SERVER, WORK, config=CONFIG, port=srv.port,
                      listen=["127.0.0.1:@PORT@"], log_name="server2.log")
    peer, _ = await exporter("after-restart", PLACES[1][1])
    S["exporters"] = [peer]
    try:
        names, dt = await page.until(
            "document.getElementById('status').textContent === 'live' && "
            "[...document.querySelectorAll('.place-name')]"
            ".map((e) => e.textContent).join(',') === 'after-restart'", 15)
    except TimeoutError:
        diag(await page.js(
            "document.getElementById('status').textContent + ' ' + "
            "[...document.querySelectorAll('.place-name')]"
            ".map((e) => e.textContent).join(',')"))
        raise
    check(not page.dialogs or all(d["type"] == "confirm"
                                  for d in page.dialogs), page.dialogs)
    return "live again %.1f s after the restart, no reload" % dt


async def setup():
    S["srv"] = Server(SERVER, WORK, config=CONFIG,
                      listen=["127.0.0.1:@PORT@"], log_name="server1.log",
                      args=["-v"])
    S["ids"] = {}
    S["exporters"] = []
    for name, parts in PLACES:
        peer, pid = await exporter(name, parts)
        S["ids"][name] = pid
        S["exporters"].append(peer)
    S["sock"] = os.path.join(WORK, "agent.sock")
    conf = os.path.join(WORK, "agent.yaml")
    S["agent_metrics"] = nmbtest.free_port()
    nmbtest.write(conf, "token: %s\nmetrics_listen: 127.0.0.1:%d\n" %
                  (TOKENS["importer"], S["agent_metrics"]))
    S["agent_log"] = open(os.path.join(WORK, "agent.log"), "w")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    S["agent"] = subprocess.Popen(
        [AGENT, "-c", conf, "--server", S["srv"].url("", "http"), "--socket",
         S["sock"], "-v"], stderr=S["agent_log"], stdout=subprocess.DEVNULL,
        env=env)
    end = time.time() + 10
    while time.time() < end:
        with open(S["agent_log"].name) as f:
            if "connected to server" in f.read():
                break
        time.sleep(0.05)
    S["bench"] = os.path.join(WORK, "bench.yaml")
    nmbtest.write(S["bench"], "parts:\n  p:\n    compatible: [bench]\n"
                  "    tcp:\n      scpi: {local_port: %d}\n" %
                  nmbtest.free_port())
    S["rpi"] = os.path.join(WORK, "rpi.yaml")
    nmbtest.write(S["rpi"], "parts:\n  board:\n    compatible: [rpi3]\n")
    S["browser"] = Browser(WORK)
    S["page"] = await Page.open(S["browser"])


async def main():
    await setup()
    n = await nmbtest.run_tests(TESTS, 60)
    await S["page"].close()
    S["browser"].close()
    S["agent"].send_signal(signal.SIGTERM)
    try:
        S["agent"].wait(10)
    except subprocess.TimeoutExpired:
        S["agent"].kill()
    await close_all()
    nmbtest.servers_line(n + 1, [S["srv"]])
    with open(S["agent_log"].name) as f:
        log = f.read()
    bad = [m for m in ("ERROR: AddressSanitizer", "runtime error:",
                       "ERROR: LeakSanitizer") if m in log]
    print("%sok %d - nmb-agent exited %s without sanitizer reports" %
          ("not " if bad or S["agent"].returncode else "", n + 2,
           S["agent"].returncode))
    print("1..%d" % (n + 2))


asyncio.run(main())
