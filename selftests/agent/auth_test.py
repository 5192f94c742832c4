# SPDX-License-Identifier: GPL-2.0
# auth_test.py - nmb-agent and nmbctl against a not-my-board hub with
# OpenID Connect (issue 15, auth note §8, §9): py_hub.PyHub with an
# AuthConf calls get_id_token back while the agent's reserve waits, and
# relays /oidc-callback; selftests/lib/oidc_idp.py is the provider
# (HTTPS on loopback). Covers nmbctl login end to end (and a provider's
# token with another nonce or already expired refused), the token store
# (missing entry, expired token refreshed, a world-readable store
# refused), --token-cmd (CI style, substitution, a failing command), an
# unreachable provider, and that no token reaches a log or --json.
# Prints TAP.
# Usage: auth_test.py NMB_AGENT NMBCTL WORKDIR
import asyncio
import json
import os
import re
import ssl
import stat
import subprocess
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmbpeer import SANITIZER_MARKS  # noqa: E402
from py_hub import AuthConf, PyHub  # noqa: E402
from nmbtest import check, collector  # noqa: E402
import oidc_idp  # noqa: E402

AGENT, NMBCTL, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
IDP_PY = os.path.join(HERE, "..", "lib", "oidc_idp.py")
PY = "/usr/bin/python3"
TESTS, test = collector()
S = {}

DESC = """parts:
  board:
    compatible: [rpi]
    usb:
      serial: {port_num: 3}
"""


def board():
    return {"compatible": ["rpi"], "usb": {"serial": {"usbid": "1-1"}},
            "tcp": {}}


class Agent:
    def __init__(self, name, hub_url, store=None, token_cmd=None,
                 extra=""):
        self.name = name
        self.sock = os.path.join(WORK, name + ".sock")
        self.log_path = os.path.join(WORK, name + ".log")
        self.store = store or os.path.join(WORK, name + "-tokens.json")
        conf = os.path.join(WORK, name + ".yaml")
        with open(conf, "w") as f:
            f.write("server: %s\ntoken_store: %s\ntls:\n  ca_file: %s\n%s"
                    % (hub_url, self.store, S["ca"], extra))
        args = [AGENT, "-c", conf, "--socket", self.sock, "-v"]
        if token_cmd:
            args += ["--token-cmd", token_cmd]
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stderr=self.log,
                                     stdout=subprocess.DEVNULL, env=env)

    async def started(self, timeout=10):
        """Waits for the hub's answer without blocking the event loop
        (the hub runs on it). Returns self."""
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            if "has no hello" in self.text():
                break
            await asyncio.sleep(0.02)
        return self

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    async def ctl(self, *args, browser=None):
        """Runs nmbctl; browser(url) plays the user's browser (the URL
        is on stdout, on stderr with --json)."""
        p = await asyncio.create_subprocess_exec(
            NMBCTL, "-s", self.sock, *args, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        shown = b""
        try:
            src = p.stderr if "--json" in args else p.stdout
            while browser:
                line = await asyncio.wait_for(src.readline(), 20)
                shown += line
                check(line, "nmbctl printed no URL: %r" % shown)
                m = re.match(rb"\s+(https://\S+)", line)
                if m:
                    await asyncio.get_event_loop().run_in_executor(
                        None, browser, m.group(1).decode())
                    break
            out, err = await asyncio.wait_for(p.communicate(), 20)
        finally:
            if p.returncode is None:
                p.kill()
                await p.wait()
        if "--json" in args:
            err = shown + err
        else:
            out = shown + out
        return p.returncode, out.decode(), err.decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        bad = [x for x in self.text().splitlines()
               if any(m in x for m in SANITIZER_MARKS)]
        return "\n".join(bad) or None


def browser(url):
    """The user's browser: the provider approves and redirects to the
    hub's /oidc-callback, which answers the CLI's text."""
    ctx = ssl.create_default_context(cafile=S["ca"])
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        body = r.read().decode()
        S["callback"] = (r.status, r.geturl(), body)


def idp(path, obj=None):
    ctx = ssl.create_default_context(cafile=S["ca"])
    data = json.dumps(obj).encode() if obj is not None else None
    with urllib.request.urlopen(S["iss"] + path, data=data, context=ctx,
                                timeout=10) as r:
        return json.loads(r.read())


def mint(*args):
    return subprocess.run([PY, IDP_PY, "mint", "--dir", S["dir"]] +
                          list(args), check=True, capture_output=True,
                          text=True).stdout.strip()


def read_store(path):
    st = os.stat(path)
    with open(path) as f:
        return json.load(f), stat.S_IMODE(st.st_mode)


def secrets_of(store):
    out = []
    for e in store.values():
        out += [e.get("id"), e.get("refresh")]
    return [x for x in out if x]


async def reserve(a, name="n"):
    return await a.ctl("reserve", os.path.join(WORK, "board.yaml") +
                       "@py-1", "-n", name)


@test
async def login_end_to_end():
    a = S["agent"]
    rc, out, err = await a.ctl("login", browser=browser)
    check(rc == 0, "login: %d %s %s" % (rc, out, err))
    status, where, body = S["callback"]
    check(status == 200 and "/oidc-callback?" in where and
          body == "Continue in not-my-board CLI", S["callback"])
    check("sub: u-alice" in out and "preferred_username: alice" in out,
          out)
    check("iss:" not in out and "aud:" not in out,
          "show_claims lets only sub and preferred_username through: " + out)
    store, mode = read_store(a.store)
    check(mode == 0o600, "store mode %o" % mode)
    check(list(store) == [S["hub"].url()], store)
    e = store[S["hub"].url()]
    claims = S["auth"].check(e["id"])
    check(claims["sub"] == "u-alice" and claims.get("nonce"), claims)
    check(e["refresh"], e)
    for s in secrets_of(store):
        check(s not in out and s not in err, "a token printed")
    S["outputs"].append(out + err)
    # --json: the claims, never a token
    rc, out, err = await a.ctl("--json", "login", browser=browser)
    check(rc == 0, "login --json: %d %s" % (rc, err))
    o = json.loads(out)
    check(o == {"hub": S["hub"].url(), "claims": {
        "sub": "u-alice", "preferred_username": "alice"}}, o)
    store, _ = read_store(a.store)
    for s in secrets_of(store):
        check(s not in out and s not in err, "a token in --json output")
    S["outputs"].append(out + err)
    S["secrets"] += secrets_of(store)


@test
async def login_denied():
    idp("/control", {"deny": "access_denied"})
    try:
        rc, out, err = await S["agent"].ctl("login", browser=browser)
    finally:
        idp("/control", {"deny": None})
    check(rc != 0 and "Authentication error: the test denied it "
          "(access_denied)" in err, "%d %s %s" % (rc, out, err))


@test
async def login_token_refused():
    # the provider's ID token must carry the login's nonce, and be valid
    # now without leeway (auth note §8.10); nothing is stored otherwise
    a = S["agent"]
    before = open(a.store).read()
    claims = {"preferred_username": "alice", "email": "alice@example.test"}
    cases = [({"claims": dict(claims, nonce="not-the-login-nonce")},
              "Nonce in the ID token doesn't match the one in the "
              "authorization request"),
             ({"ttl": -5}, "expired")]
    for change, want in cases:
        idp("/control", change)
        try:
            rc, out, err = await a.ctl("login", browser=browser)
        finally:
            idp("/control", {"claims": claims, "ttl": 300})
        check(rc == 2 and want in err, "%s: %d %s %s" % (want, rc, out, err))
        check(open(a.store).read() == before, "store unchanged")
        S["outputs"].append(out + err)


@test
async def login_discovery_names_another_issuer():
    # nmb: the discovery document must name the hub's issuer (not-my-
    # board does not compare it).
    idp("/control", {"discovery_issuer": "https://evil.example"})
    try:
        rc, out, err = await S["agent"].ctl("login")
    finally:
        idp("/control", {"discovery_issuer": None})
    check(rc != 0 and "identity provider %s" % S["iss"] in err and
          "issuer" in err, "%d %s %s" % (rc, out, err))


@test
async def login_provider_unreachable():
    hub = await PyHub(auth=AuthConf("https://127.0.0.1:1", "nmb",
                                    None)).start()
    a = await Agent("deadidp", hub.url()).started()
    S["more"].append(a)
    try:
        rc, out, err = await a.ctl("login")
    finally:
        await hub.stop()
    check(rc == 7 and "identity provider unreachable: https://127.0.0.1:1"
          in err, "%d %s %s" % (rc, out, err))


@test
async def reserve_with_stored_token():
    a, hub = S["agent"], S["hub"]
    rc, out, err = await reserve(a)
    check(rc == 0, "reserve: %d %s %s" % (rc, out, err))
    store, _ = read_store(a.store)
    conn, token = hub.received[-1]
    check(token == store[hub.url()]["id"], "the stored id token was sent")
    S["agent_conn"] = conn
    rc, out, err = await a.ctl("return", "n")
    check(rc == 0, err)


@test
async def expired_token_refreshed():
    # The hub asks again after exp + 30 s (auth note §4): an expired id
    # token in the store is refreshed at the provider first.
    a, hub = S["agent"], S["hub"]
    store, _ = read_store(a.store)
    old_refresh = store[hub.url()]["refresh"]
    expired = mint("--ttl", "-60", "--iat-offset", "-120")
    store[hub.url()]["id"] = expired
    with open(a.store, "w") as f:
        json.dump(store, f)
    before = idp("/control/stats")["refresh"]
    claims = await hub.ask_token(S["agent_conn"])
    check(claims["sub"] == "u-alice", claims)
    check(idp("/control/stats")["refresh"] == before + 1, "one refresh")
    store, mode = read_store(a.store)
    e = store[hub.url()]
    check(mode == 0o600, "mode %o after the rewrite" % mode)
    check(e["id"] != expired and e["refresh"] != old_refresh,
          "store rewritten with the new tokens")
    check(hub.received[-1][1] == e["id"], "the new token was sent")
    S["secrets"] += [e["id"], e["refresh"], expired, old_refresh]


@test
async def store_missing_entry():
    a = S["agent2"]
    with open(a.store, "w") as f:
        json.dump({"https://other.example": {"id": "x.y.z",
                                             "refresh": "r"}}, f)
    os.chmod(a.store, 0o600)
    rc, out, err = await reserve(a)
    check(rc != 0 and "Login required: run nmbctl login" in err,
          "%d %s" % (rc, err))
    check("the server refused the reservation of place py-1: Login "
          "required" in err, err)


@test
async def world_readable_store_refused():
    a = S["agent2"]
    os.chmod(a.store, 0o644)
    rc, out, err = await reserve(a)
    check(rc != 0 and ("chmod 600 %s" % a.store) in err,
          "%d %s" % (rc, err))
    os.chmod(a.store, 0o600)


@test
async def provider_unreachable():
    a = S["agent2"]
    expired = mint("--ttl", "-60", "--iat-offset", "-120", "--iss",
                   "https://127.0.0.1:1")
    with open(a.store, "w") as f:
        json.dump({S["hub"].url(): {"id": expired, "refresh": "r-1"}}, f)
    rc, out, err = await reserve(a)
    check(rc != 0 and "identity provider unreachable: "
          "https://127.0.0.1:1" in err, "%d %s" % (rc, err))


@test
async def token_cmd_ci():
    hub = S["hub"]
    cmd = ("%s %s mint --dir %s --iss $issuer --aud ${client_id} "
           "--sub ci-job --claims '{\"cost\": \"$$5\"}'"
           % (PY, IDP_PY, S["dir"]))
    a = await Agent("ci", hub.url(), token_cmd=cmd).started()
    S["more"].append(a)
    n = len(hub.received)
    rc, out, err = await reserve(a, "ci")
    check(rc == 0, "reserve: %d %s %s" % (rc, out, err))
    check(len(hub.received) == n + 1, "one token asked")
    claims = S["auth"].check(hub.received[-1][1])
    check(claims["sub"] == "ci-job" and claims["cost"] == "$5", claims)
    # every get_id_token runs the command again
    conn = hub.received[-1][0]
    claims2 = await hub.ask_token(conn)
    check(claims2["sub"] == "ci-job" and
          hub.received[-1][1] != hub.received[-2][1] or
          claims2["iat"] >= claims["iat"], "a second run")
    S["secrets"] += [t for _, t in hub.received[n:]]
    rc, out, err = await a.ctl("return", "ci")
    check(rc == 0, err)


@test
async def token_cmd_fails():
    a = await Agent("cifail", S["hub"].url(),
                    token_cmd="echo oops >&2; exit 3").started()
    S["more"].append(a)
    rc, out, err = await reserve(a, "f")
    check(rc != 0 and "'echo oops >&2; exit 3' exited with 3" in err,
          "%d %s" % (rc, err))


@test
async def token_requests_bounded():
    # A hub that asks 20 times at once: 16 run, the others are refused.
    hub = S["hub"]
    before = set(hub.socks)
    a = await Agent("slow", hub.url(),
                    token_cmd="sleep 1; exit 1").started()
    S["more"].append(a)
    for _ in range(100):
        if set(hub.socks) - before:
            break
        await asyncio.sleep(0.05)
    conn = max(set(hub.socks) - before)
    answers = await asyncio.gather(*[hub.ask_token(conn) for _ in
                                     range(20)], return_exceptions=True)
    msgs = sorted(str(x) for x in answers)
    busy = [m for m in msgs if m == "too many get_id_token requests at once"]
    ran = [m for m in msgs if m == "'sleep 1; exit 1' exited with 1"]
    check(len(busy) == 4 and len(ran) == 16, msgs)


@test
async def no_token_in_logs():
    texts = [x.text() for x in [S["agent"], S["agent2"]] + S["more"]]
    texts += S["outputs"]
    secrets = [s for s in S["secrets"] if s and len(s) > 8]
    check(len(secrets) >= 4, "secrets collected: %d" % len(secrets))
    for t in texts:
        for s in secrets:
            check(s not in t, "a token in a log or output")
        check("eyJ" not in t, "something like a JWT in a log")


async def main():
    os.makedirs(WORK, exist_ok=True)
    S["dir"] = os.path.join(WORK, "idp")
    idp_log = open(os.path.join(WORK, "idp.log"), "w")
    idp_proc = subprocess.Popen([PY, IDP_PY, "serve", "--dir", S["dir"],
                                 "--client-id", "nmb"],
                                stdout=subprocess.PIPE, stderr=idp_log,
                                text=True)
    line = idp_proc.stdout.readline().split()
    S["iss"] = line[1]
    S["ca"] = os.path.join(S["dir"], "ca.pem")
    key = oidc_idp.load_key(S["dir"], "k1").public_key()
    S["auth"] = AuthConf(S["iss"], "nmb", key,
                         show_claims=["sub", "preferred_username"])
    hub = S["hub"] = await PyHub(auth=S["auth"]).start()
    hub.add("py-1", 5, [board()])
    with open(os.path.join(WORK, "board.yaml"), "w") as f:
        f.write(DESC)
    S["outputs"], S["secrets"], S["more"] = [], [], []
    S["agent"] = await Agent("agent", hub.url()).started()
    S["agent2"] = await Agent("agent2", hub.url()).started()
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    failed = 0
    for i, t in enumerate(TESTS, 1):
        try:
            await asyncio.wait_for(t(), 60)
            print("ok %d - %s" % (i, t.__name__))
        except Exception as e:
            failed += 1
            print("not ok %d - %s" % (i, t.__name__))
            for line in (traceback.format_exc().splitlines() +
                         [str(e)])[-6:]:
                print("# " + line)
        sys.stdout.flush()
    bad = [x.stop() for x in [S["agent"], S["agent2"]] + S["more"]]
    bad = "\n".join(b for b in bad if b)
    await hub.stop()
    idp_proc.terminate()
    idp_proc.wait()
    print("%s %d - no sanitizer reports" % ("not ok" if bad else "ok",
                                            len(TESTS) + 1))
    for line in bad.splitlines():
        print("# " + line)
    return failed + (1 if bad else 0)


sys.exit(1 if asyncio.run(main()) else 0)
