# SPDX-License-Identifier: GPL-2.0
# auth_test.py - nmb-server with `auth:` (issue 15, auth note §3-§8)
# against the test identity provider selftests/lib/oidc_idp.py on
# loopback: get_id_token asked on the same connection while the call
# waits, every bad token refused with its reason, a two-role permissions
# table with array claims, unknown kid refetch (rate-limited) and a new
# key accepted, refresh after exp keeping a reservation, Permission
# lost (close code 1008, no session grace), a second issuer trusted
# through a permission's iss (CI), an issuer with a trailing /, tokens
# missing sub/exp/iat, with a changed payload or an RSA algorithm other
# than RS256, a provider down at start, auth-info, the login relay with
# /oidc-callback, user names and show_claims, static tokens beside it,
# and no token in any log line or metric. Prints TAP.
# Usage: auth_test.py NMB_SERVER_BINARY WORKDIR
import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
import oidc_idp  # noqa: E402
from nmbpeer import (Peer, RpcError, Server, call_error,  # noqa: E402
                     close_all, free_port, place_desc)
from nmbtest import (check, collector, run_tests, servers_line,  # noqa: E402
                     settle)

BIN, WORK = sys.argv[1], sys.argv[2]
TESTS, test = collector()
servers = []
minted = []      # every token made: none may reach a log or a metric
IDP_PY = os.path.join(HERE, "..", "lib", "oidc_idp.py")


class Idp:
    """One oidc_idp.py serve process."""

    def __init__(self, name, port=0):
        self.dir = os.path.join(WORK, "idp-" + name)
        self.log = open(os.path.join(WORK, "idp-%s.log" % name), "a")
        self.proc = subprocess.Popen(
            [sys.executable, IDP_PY, "serve", "--dir", self.dir, "--port",
             str(port)], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline().split()
        if line[:1] != ["ready"]:
            raise RuntimeError("oidc_idp.py did not start")
        self.url = line[1]
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(self.dir, "ca.pem"))

    def request(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(self.url + path, data=data, timeout=5,
                                    context=self.ctx) as r:
            return json.loads(r.read())

    def control(self, **kw):
        return self.request("/control", kw)

    def stats(self):
        return self.request("/control/stats")

    def token(self, sub="u-alice", ttl=300, kid="k1", alg="RS256", iss=None,
              aud="nmb", exp_ago=None, nbf_in=None, omit=(), **claims):
        now = int(time.time())
        c = oidc_idp.id_claims(iss or self.url, aud, sub, ttl, claims,
                               now=now)
        if exp_ago is not None:
            c["exp"] = now - exp_ago
        if nbf_in is not None:
            c["nbf"] = now + nbf_in
        for k in omit:
            c.pop(k, None)
        t = oidc_idp.sign(self.dir, c, kid, alg)
        minted.append(t)
        return t

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.log.close()


IDP = None


def auth_config(idp_url, ca, extra="", issuer=None, perms=None):
    issuer = issuer or idp_url
    perms = perms or """
    - claims: {groups: [lab-exporters]}
      roles: [exporter]
    - claims: {groups: [lab-users], email_verified: true}
      roles: [importer]"""
    return """auth:
  issuer: %s
  client_id: nmb
  ca_file: %s
  issuers:
    %s:
      show_claims: [sub, preferred_username, groups]
      user_name_formats: ["${preferred_username}@lab", "$email"]
  permissions:%s
%s""" % (issuer, ca, issuer, perms, extra)


def start_server(config=None, name=None):
    s = Server(BIN, WORK, config=config if config is not None else
               auth_config(IDP.url, os.path.join(IDP.dir, "ca.pem")),
               log_name=name)
    servers.append(s)
    return s


def http_get(s, path):
    try:
        with urllib.request.urlopen(s.url(path, scheme="http"),
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def peer_with(s, token, headers=None):
    """A peer that answers get_id_token with token (a str or a callable)."""
    p = await Peer.connect(s.url(), headers=headers)
    p.asked = 0

    async def get_id_token():
        p.asked += 1
        t = token() if callable(token) else token
        if isinstance(t, Exception):
            raise t
        return t
    p.handlers["get_id_token"] = get_id_token
    return p


def importer_token(**kw):
    kw.setdefault("groups", ["lab-users"])
    kw.setdefault("email_verified", True)
    kw.setdefault("preferred_username", "alice")
    return IDP.token(**kw)


def exporter_token(**kw):
    kw.setdefault("groups", ["lab-exporters"])
    kw.setdefault("sub", "exporter-1")
    kw.setdefault("email", "exp@example.test")
    return IDP.token(**kw)


async def in_thread(fn, *args):
    return await asyncio.get_event_loop().run_in_executor(None, fn, *args)


@test
async def auth_info_and_roles():
    s = start_server()
    st, body = http_get(s, "/api/v1/auth-info")
    check(st == 200 and json.loads(body) == {
        "issuer": IDP.url, "client_id": "nmb",
        "show_claims": ["sub", "preferred_username", "groups"]}, body)
    e = await peer_with(s, exporter_token())
    pid = await e.call("register_place", place_desc("auth-1"))
    err = await call_error(e.call("reserve", [pid]))
    check(err and err.message == 'Permission denied: requires role '
          '"importer"', err)
    check(e.asked == 1, "exporter asked once: %d" % e.asked)
    a = await peer_with(s, importer_token())
    # two protected calls at once: one get_id_token, both served after it
    _, f1 = a.start("get_reservations")
    _, f2 = a.start("reserve", [pid])
    r1, r2 = await asyncio.wait_for(asyncio.gather(f1, f2), 5)
    check(Peer.result(r2) == pid, r2)
    check(a.asked == 1, "one get_id_token for two calls: %d" % a.asked)
    err = await call_error(a.call("register_place", place_desc("auth-x")))
    check(err and 'requires role "exporter"' in err.message, err)
    r = await a.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid, "user": "alice@lab"}]},
          r)
    check(e.allowed == [["127.0.0.1"]], e.allowed)
    text = s.text()
    check("user=alice@lab: ID token accepted" in text, text)
    check("email" not in text.split("user=alice@lab: ID token accepted")[1]
          .splitlines()[0], "show_claims filters the claims logged")
    # anyone may call the login method; nothing else without a token
    n = await peer_with(s, RpcError(-32603, "Login required"))
    err = await call_error(n.call("get_place_stats", pid))
    check(err and err.message == "Login required" and n.asked == 1, err)
    check(not n.closed.done(), "a failed get_id_token keeps the connection")
    return "exporter may register not reserve, importer the opposite"


@test
async def array_claims_and_user_names():
    s = start_server()
    # no preferred_username: the second template, $email, names the user
    a = await peer_with(s, importer_token(
        groups=["other", "lab-users"], email="bob@example.test",
        omit=("preferred_username",)))
    e = await peer_with(s, exporter_token())
    pid = await e.call("register_place", place_desc("auth-names"))
    check(await a.call("reserve", [pid]) == pid, "reserved")
    r = await a.call("get_reservations")
    check(r == {"reservations": [{"place_id": pid,
                                  "user": "bob@example.test"}]}, r)
    check("user=bob@example.test: ID token accepted" in s.text(), s.text())
    b = await peer_with(s, importer_token(groups=["other"]))
    err = await call_error(b.call("get_reservations"))
    check(err and 'requires role "importer"' in err.message,
          "[other] does not contain [lab-users]: %s" % err)
    c = await peer_with(s, importer_token(groups="lab-users"))
    err = await call_error(c.call("get_reservations"))
    check(err and "Permission denied" in err.message,
          "a string is not an array: %s" % err)
    d = await peer_with(s, importer_token(email_verified="true"))
    err = await call_error(d.call("get_reservations"))
    check(err and "Permission denied" in err.message,
          "'true' is not true: %s" % err)
    check(d.asked == 1, d.asked)
    # refused: the token was thrown away, the next call asks again
    await call_error(d.call("get_reservations"))
    check(d.asked == 2, "asked again: %d" % d.asked)
    # YAML: a quoted scalar is a string, a plain number a number
    s2 = start_server(auth_config(IDP.url, os.path.join(IDP.dir, "ca.pem"),
                                  perms='''
    - claims: {level: "3", tier: 2}
      roles: [importer]'''))
    g = await peer_with(s2, IDP.token(level="3", tier=2.0))
    check((await g.call("get_reservations")) == {"reservations": []},
          "'3' and 2.0 match")
    h = await peer_with(s2, IDP.token(level=3, tier=2))
    err = await call_error(h.call("get_reservations"))
    check(err and "Permission denied" in err.message, "3 is not '3'")
    return "arrays must contain every configured value; names by template"


def bad(reason, **kw):
    return (reason, kw)


BAD_TOKENS = [
    bad("token expired", exp_ago=100),
    bad("not valid yet", nbf_in=600),
    bad("Unknown issuer: https://evil.example", iss="https://evil.example"),
    bad("audience", aud="someone-else"),
    bad("audience", aud=["someone-else", "other"]),
    bad("alg none", alg="none"),
    bad("HMAC", alg="hs256-pubkey"),
    bad("algorithm not allowed", alg="RS384"),
    bad("algorithm not allowed", alg="PS256"),
    bad("sub", omit=("sub",)),
    bad("exp", omit=("exp",)),
    bad("iat", omit=("iat",)),
    bad("signature", tamper=True),
]


def tampered(token):
    """token with its payload changed after signing (a group added)."""
    import base64
    head, payload, sig = token.split(".")
    c = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload)
                                                             % 4)))
    c["groups"] = c.get("groups", []) + ["lab-exporters"]
    body = base64.urlsafe_b64encode(json.dumps(c).encode()).rstrip(b"=")
    return "%s.%s.%s" % (head, body.decode(), sig)


@test
async def bad_tokens_refused():
    s = start_server()
    out = []
    for reason, kw in BAD_TOKENS:
        kw = dict(kw)
        tamper = kw.pop("tamper", False)
        t = importer_token(**kw)
        if tamper:
            t = tampered(t)
            minted.append(t)
        p = await peer_with(s, t)
        err = await call_error(p.call("get_reservations"))
        check(err is not None, "refused: %s" % reason)
        out.append(err.message)
        check(not p.closed.done(), "connection stays open")
        await p.close()
    text = s.text()
    for (reason, _), msg in zip(BAD_TOKENS, out):
        low = msg.lower()
        check(any(w.lower() in low for w in reason.split(" / ")) or
              reason.split()[0].lower() in low,
              "message names the reason %r: %r" % (reason, msg))
        check("ID token refused: " in text, "logged")
    # an aud array holding the client id is fine
    p = await peer_with(s, importer_token(aud=["other", "nmb"]))
    check(await p.call("get_reservations") == {"reservations": []},
          "aud [other, nmb] accepted")
    return "; ".join(out)


@test
async def second_issuer_from_permission():
    """The CI case (auth note §9): a second provider is trusted because a
    permission names it in `iss`; its tokens get only that permission's
    roles, named by its own user_name_formats."""
    ci = Idp("ci")
    try:
        bundle = os.path.join(WORK, "ca-bundle.pem")
        with open(bundle, "w") as f:
            for d in (IDP.dir, ci.dir):
                with open(os.path.join(d, "ca.pem")) as c:
                    f.write(c.read())
        perms = """
    - claims: {groups: [lab-exporters]}
      roles: [exporter]
    - claims: {iss: %s, repository: lab/firmware}
      roles: [importer]""" % ci.url
        extra = """    %s:
      user_name_formats: ["ci:${repository}"]
""" % ci.url
        conf = auth_config(IDP.url, bundle, perms=perms).replace(
            "  permissions:", extra + "  permissions:")
        s = start_server(conf)
        job = await peer_with(s, ci.token(sub="repo:lab/firmware:ref",
                                          repository="lab/firmware"))
        r = await job.call("get_reservations")
        check(r == {"reservations": []}, "the CI issuer's token: %s" % r)
        e = await peer_with(s, exporter_token())
        pid = await e.call("register_place", place_desc("auth-ci"))
        check(await job.call("reserve", [pid]) == pid, "CI job reserved")
        r = await job.call("get_reservations")
        check(r["reservations"] == [{"place_id": pid,
                                     "user": "ci:lab/firmware"}], r)
        # the main issuer's token with the same claim: not that rule
        m = await peer_with(s, IDP.token(repository="lab/firmware"))
        err = await call_error(m.call("get_reservations"))
        check(err and 'requires role "importer"' in err.message, err)
        # another repository from the CI issuer: no rule
        o = await peer_with(s, ci.token(repository="lab/other"))
        err = await call_error(o.call("get_reservations"))
        check(err and 'requires role "importer"' in err.message, err)
    finally:
        ci.stop()
    return "ci:lab/firmware reserved; same claim from the main issuer refused"


@test
async def unknown_kid_refetch_and_new_key():
    IDP.control(headers={"Cache-Control": "max-age=600"}, publish=["k1"])
    try:
        before = IDP.stats()["jwks"]
        s = start_server()
        check(await settle(lambda: IDP.stats()["jwks"] == before + 1, 5),
              "fetched at start")
        j0 = before + 1
        p = await peer_with(s, importer_token(kid="k9"))
        err = await call_error(p.call("get_reservations"))
        check(err and "kid" in err.message, err)
        j1 = (await in_thread(IDP.stats))["jwks"]
        check(j1 == j0 + 1, "refetched once: %d -> %d" % (j0, j1))
        q = await peer_with(s, importer_token(kid="k8"))
        err = await call_error(q.call("get_reservations"))
        check(err and "kid" in err.message, err)
        j2 = (await in_thread(IDP.stats))["jwks"]
        check(j2 == j1, "rate-limited: %d -> %d" % (j1, j2))
        check('unknown kid \\"k9\\"' in s.text() or
              'unknown kid "k9"' in s.text(), "logged")
        # a new key: a fresh server's first unknown kid refetches
        s2 = start_server()
        await asyncio.sleep(0.5)
        await in_thread(lambda: IDP.control(publish=["k1", "k2"]))
        r = await peer_with(s2, importer_token(kid="k2"))
        check((await r.call("get_reservations")) == {"reservations": []},
              "k2 accepted")
        # a cache that is stale anyway is refetched without any kid
        await in_thread(lambda: IDP.control(
            headers={"Cache-Control": "no-store"}))
    finally:
        IDP.control(headers={}, publish=["k1", "k2"])
    return "k9 refetched once, k8 not again, k2 accepted after refetch"


@test
async def discovery_issuer_checked():
    IDP.control(discovery_issuer="https://other.example")
    try:
        s = start_server()
        check(await settle(lambda: "discovery document refused"
                           in s.text(), 5), s.text())
        p = await peer_with(s, importer_token())
        t0 = time.time()
        err = await call_error(p.call("get_reservations"))
        check(err and "identity provider unreachable" in err.message, err)
        check(time.time() - t0 < 2, "fails fast")
    finally:
        IDP.control(discovery_issuer=None)
    return err.message


@test
async def trailing_slash_issuer():
    """An issuer written with a trailing / (auth note §5.3): discovery is
    fetched from <issuer without />/.well-known/..., and iss must be the
    string as configured."""
    iss = IDP.url + "/"
    IDP.control(discovery_issuer=iss)
    try:
        s = start_server(auth_config(iss, os.path.join(IDP.dir, "ca.pem")))
        p = await peer_with(s, importer_token(iss=iss))
        r = await p.call("get_reservations")
        check(r == {"reservations": []}, "accepted: %s" % r)
        q = await peer_with(s, importer_token())
        err = await call_error(q.call("get_reservations"))
        check(err and err.message == "Unknown issuer: %s" % IDP.url,
              "iss without / is another issuer: %s" % err)
    finally:
        IDP.control(discovery_issuer=None)
    return "issuer %s: discovery found, tokens accepted" % iss


@test
async def refresh_keeps_reservation():
    s = start_server()
    e = await peer_with(s, exporter_token())
    pid = await e.call("register_place", place_desc("auth-long"))
    # valid only thanks to the 30 s leeway: refresh due in about 4 s
    tokens = [importer_token(exp_ago=26), importer_token()]
    a = await peer_with(s, lambda: tokens[min(a.asked - 1, 1)])
    check(await a.call("reserve", [pid]) == pid, "reserved")
    check(await settle(lambda: a.asked == 2, 10), "asked again after exp")
    check(await settle(lambda: "ID token refreshed" in s.text(), 3),
          s.text())
    r = await a.call("get_reservations")
    check(r["reservations"] == [{"place_id": pid, "user": "alice@lab"}], r)
    check(not a.closed.done() and e.allowed == [["127.0.0.1"]],
          "reservation kept: %s" % e.allowed)
    return "refreshed at exp + 30 s, reservation kept"


@test
async def permission_lost_returns_places():
    s = start_server()
    e = await peer_with(s, exporter_token())
    pid = await e.call("register_place", place_desc("auth-lost"))
    tokens = [importer_token(exp_ago=27), exporter_token(sub="u-alice")]
    a = await peer_with(s, lambda: tokens[min(a.asked - 1, 1)])
    # a session that a reconnect could resume within the grace time
    session = (await a.call("hello", features=["notify"]))["session"]
    check(await a.call("reserve", [pid]) == pid, "reserved")
    code = await asyncio.wait_for(a.closed, 10)
    # a close frame (not 1006, a dropped socket) with the reason
    check(code == 1008 and a.ws.close_reason == "Permission lost",
          "close code %s %r" % (code, a.ws.close_reason))
    check(await settle(lambda: "closing conn=" in s.text() and
                       ": Permission lost" in s.text(), 3), s.text())
    check("Permission lost" in s.text(), s.text())
    check(await settle(lambda: e.allowed == [["127.0.0.1"], []], 3),
          "place returned: %s" % e.allowed)
    check("detached; kept for" not in s.text(), "no grace for the session")
    r = await (await peer_with(s, "unused")).call("hello", session=session)
    check(r["resumed"] is False, "the session is gone: %s" % r)
    b = await peer_with(s, importer_token())
    check(await b.call("reserve", [pid]) == pid, "free again")
    return "closed with 1008, place returned at once although importer " \
        "was lost"


@test
async def refresh_refused_closes_1008():
    s = start_server()
    # the refresh answers a token that is expired already
    tokens = [importer_token(exp_ago=27), importer_token(exp_ago=100)]
    a = await peer_with(s, lambda: tokens[min(a.asked - 1, 1)])
    check(await a.call("get_reservations") == {"reservations": []}, "ok")
    code = await asyncio.wait_for(a.closed, 10)
    check(code == 1008 and a.ws.close_reason == "ID token refresh failed",
          "close code %s %r" % (code, a.ws.close_reason))
    check("ID token refresh failed: " in s.text(), s.text())
    return "%d %s" % (code, a.ws.close_reason)


@test
async def provider_down_at_start():
    port = free_port()
    url = "https://127.0.0.1:%d" % port
    d = os.path.join(WORK, "idp-late")
    # the provider's CA exists before it runs: make it with a first run
    first = Idp("late", port)
    first.stop()
    s = start_server(auth_config(url, os.path.join(d, "ca.pem")))
    check(await settle(lambda: "unreachable" in s.text(), 5), s.text())
    check(s.proc.poll() is None, "server runs")
    late = None

    def tok():
        now = int(time.time())
        t = oidc_idp.sign(d, oidc_idp.id_claims(
            url, "nmb", "u-l", 300, {"groups": ["lab-users"],
                                     "email_verified": True}, now=now))
        minted.append(t)
        return t
    p = await peer_with(s, tok)
    t0 = time.time()
    err = await call_error(p.call("get_reservations"))
    check(err and "identity provider unreachable" in err.message, err)
    check(time.time() - t0 < 2, "fails fast: %.1f s" % (time.time() - t0))
    up = 'nmb_identity_provider_up{issuer="%s"} ' % url
    check(up + "0" in http_get(s, "/metrics")[1], "metric says down")
    try:
        late = Idp("late", port)
        ok = await settle(lambda: "reachable again" in s.text(), 15)
        check(ok, "retried: %s" % s.text())
        r = await p.call("get_reservations")
        check(r == {"reservations": []}, r)
        m = http_get(s, "/metrics")[1]
        check(up + "1" in m and
              'nmb_id_tokens_total{result="accepted"} 1' in m and
              'nmb_id_tokens_total{result="refused"} 1' in m, m)
        p = subprocess.run(["promtool", "check", "metrics"], input=m,
                           capture_output=True, text=True)
        check(p.returncode == 0, p.stdout + p.stderr)
    finally:
        if late:
            late.stop()
    return err.message


@test
async def login_relay():
    s = start_server()
    p = await peer_with(s, "unused")
    state = "s" * 43
    _, fut = p.start("get_authentication_response", state)
    msg = await p.expect_raw()
    check(msg.get("method") == "oidc_callback_registered" and
          msg.get("params") == {}, msg)
    check(http_get(s, "/oidc-callback?state=nope&code=1")[0] == 500,
          "unknown state")
    check(http_get(s, "/oidc-callback?code=1")[0] == 500, "no state")
    st, body = http_get(s, "/oidc-callback?state=%s&code=c1&"
                        "session_state=x&code=c2" % state)
    check(st == 200 and body == "Continue in not-my-board CLI", body)
    r = Peer.result(await asyncio.wait_for(fut, 3))
    check(r == {"state": state, "code": "c2", "session_state": "x"}, r)
    check(http_get(s, "/oidc-callback?state=%s&code=c3" % state)[0] == 200,
          "repeat: 200, ignored")
    check(p.asked == 0, "no token needed")
    for bad_state in ("a b", "a\x00b", "", "x" * 513, 5):
        err = await call_error(p.call("get_authentication_response",
                                      bad_state))
        check(err and "state" in err.message, (bad_state, err))
    for i in range(4):
        p.start("get_authentication_response", "st-%d" % i)
    err = await call_error(p.call("get_authentication_response", "st-4"))
    check(err and "Too many logins" in err.message, err)
    await p.close()
    await asyncio.sleep(0.2)
    check(http_get(s, "/oidc-callback?state=st-1&code=1")[0] == 500,
          "a dropped connection's login is gone")
    check(http_get(s, "/oidc-callback?state=st-2&" + "a=1&" * 70)[0] == 500,
          "too many parameters")
    try:
        st = http_get(s, "/oidc-callback?state=st-2&" + "a=1&" * 3000)[0]
    except OSError:
        st = "closed"
    check(st != 200, "query too large: %s" % st)
    return "500 unknown, 200 relayed, 200 repeat, gone on close"


@test
async def login_end_to_end():
    """not-my-board login's steps (auth note §8) with the test provider:
    the browser's redirect reaches the server's /oidc-callback, the code
    comes back on the WebSocket, and the ID token it buys is accepted."""
    import base64
    import hashlib
    import secrets
    import urllib.parse
    s = start_server()
    info = json.loads(http_get(s, "/api/v1/auth-info")[1])
    disc = IDP.request("/.well-known/openid-configuration")

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    state, nonce, verifier = (b64(secrets.token_bytes(32)) for _ in "abc")
    redirect = "http://127.0.0.1:%d/oidc-callback" % s.port
    p = await Peer.connect(s.url())
    _, fut = p.start("get_authentication_response", state)
    msg = await p.expect_raw()
    check(msg.get("method") == "oidc_callback_registered", msg)
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": info["client_id"],
        "scope": "openid profile email offline_access",
        "redirect_uri": redirect, "state": state, "nonce": nonce,
        "code_challenge": b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})
    url = disc["authorization_endpoint"] + "&" + q
    # the "browser": follows the provider's redirect to the server
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=IDP.ctx))
    page = await in_thread(lambda: opener.open(url, timeout=5).read())
    check(page == b"Continue in not-my-board CLI", page)
    r = Peer.result(await asyncio.wait_for(fut, 3))
    check(r["state"] == state and r["code"], r)
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": r["code"],
        "redirect_uri": redirect, "client_id": info["client_id"],
        "code_verifier": verifier}).encode()
    with urllib.request.urlopen(disc["token_endpoint"], data=form,
                                timeout=5, context=IDP.ctx) as t:
        tokens = json.loads(t.read())
    minted.append(tokens["id_token"])
    minted.append(tokens["refresh_token"])
    await p.close()
    await in_thread(lambda: IDP.control(claims={
        "preferred_username": "alice", "groups": ["lab-users"],
        "email_verified": True}))
    try:
        form = urllib.parse.urlencode({
            "grant_type": "refresh_token", "client_id": info["client_id"],
            "refresh_token": tokens["refresh_token"]}).encode()
        with urllib.request.urlopen(disc["token_endpoint"], data=form,
                                    timeout=5, context=IDP.ctx) as t:
            fresh = json.loads(t.read())
    finally:
        IDP.control(claims={"preferred_username": "alice",
                            "email": "alice@example.test"})
    minted.append(fresh["id_token"])
    a = await peer_with(s, fresh["id_token"])
    check((await a.call("get_reservations")) == {"reservations": []},
          "the login's token works")
    return "authorize -> /oidc-callback -> code -> token -> accepted"


@test
async def static_tokens_beside_auth():
    extra = "tokens:\n  - name: ci-bot\n    token: 0123456789abcdef0\n" \
            "    roles: [importer]\n"
    s = start_server(auth_config(IDP.url, os.path.join(IDP.dir, "ca.pem"),
                                 extra))
    p = await peer_with(s, "unused",
                        {"Authorization": "Bearer 0123456789abcdef0"})
    r = await p.call("get_reservations")
    check(r == {"reservations": []} and p.asked == 0, (r, p.asked))
    try:
        await Peer.connect(s.url(), headers={
            "Authorization": "Bearer wrong-token-wrong"})
        check(False, "a wrong static token is refused")
    except Exception as e:
        check("401" in str(e), e)
    q = await peer_with(s, importer_token())
    check((await q.call("get_reservations")) == {"reservations": []} and
          q.asked == 1, "OIDC beside")
    return "bearer without get_id_token, wrong bearer 401, OIDC beside"


@test
async def id_token_timeout():
    s = start_server(auth_config(IDP.url, os.path.join(IDP.dir, "ca.pem"),
                                 issuer=None).replace(
        "  client_id: nmb\n", "  client_id: nmb\n  id_token_timeout: 1\n"))
    p = await Peer.connect(s.url())
    p.handlers["get_id_token"] = lambda: asyncio.sleep(3600)
    t0 = time.time()
    err = await call_error(p.call("get_reservations", timeout=5))
    check(err and "no valid answer within 1 s" in err.message, err)
    check(time.time() - t0 < 3, "gave up after 1 s")
    msg = None
    while msg is None or msg.get("method") != "rpc.cancel":
        msg = await p.expect_raw()
    check(not p.closed.done(), "the connection stays open")
    return err.message


@test
async def bad_config():
    path = os.path.join(WORK, "auth-bad.yaml")
    with open(path, "w") as f:
        f.write("auth:\n  issuer: http://idp.example\n  permissions:\n"
                "    - claims: {sub: a}\n")
    r = subprocess.run([BIN, "-c", path, "--check"], capture_output=True,
                       text=True, timeout=10)
    for want in ("auth-bad.yaml:2: key 'auth.issuer'",
                 "key 'auth.client_id': missing",
                 "auth-bad.yaml:4: key 'auth.permissions[0].roles'"):
        check(want in r.stderr, "%s in %s" % (want, r.stderr))
    check(r.returncode == 1, r.returncode)
    with open(path, "w") as f:
        f.write(auth_config(IDP.url, "/nonexistent/ca.pem"))
    r = subprocess.run([BIN, "-c", path, "--check"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 1 and "key 'auth.ca_file': cannot read "
          "/nonexistent/ca.pem" in r.stderr, r.stderr)
    with open(path, "w") as f:
        f.write("auth: {}\n")
    r = subprocess.run([BIN, "-c", path, "--check"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 0 and "auth off" in r.stdout, r.stdout)
    return "FILE:LINE for each; auth: {} is off"


@test
async def no_token_in_logs_or_metrics():
    texts = [s.text() for s in servers]
    texts += [http_get(s, "/metrics")[1] for s in servers
              if s.proc.poll() is None]
    for t in minted:
        sig = t.rsplit(".", 1)[-1]
        for text in texts:
            check(t not in text and (len(sig) < 16 or sig not in text),
                  "a token reached a log or /metrics")
    return "%d tokens, %d texts" % (len(minted), len(texts))


async def main():
    global IDP
    print("TAP version 13")
    print("1..%d" % (len(TESTS) + 1))
    IDP = Idp("main")
    try:
        n = await run_tests(TESTS, 40, close_all)
    finally:
        IDP.stop()
    servers_line(n + 1, servers)


asyncio.run(main())
