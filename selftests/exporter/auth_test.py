# SPDX-License-Identifier: GPL-2.0
# auth_test.py - nmb-exporter against a not-my-board hub with OpenID
# Connect (issue 15, auth note §9): fake_hub.FakeHub with auth calls
# get_id_token back while register_place waits; selftests/lib/oidc_idp.py
# is the provider. Covers --token-cmd (CI style, run again for every
# get_id_token), the token store (expired id token refreshed through the
# provider and the store rewritten 0600, a missing entry), and no token
# in the exporter's log. Prints TAP.
#
# Usage: auth_test.py EXPORTER_BINARY
import base64
import hashlib
import json
import os
import secrets
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))
sys.path.insert(0, HERE)
from fake_hub import FakeHub  # noqa: E402
from py_hub import AuthConf  # noqa: E402
import oidc_idp  # noqa: E402
from nmbtest import (free_port, no_sanitizer_report, ok, sigterm,  # noqa
                     summary, wait)

EXPORTER = sys.argv[1]
PY = "/usr/bin/python3"
IDP_PY = os.path.join(HERE, "..", "lib", "oidc_idp.py")
TMP = tempfile.mkdtemp(prefix="nmb-exporter-auth-")
IDP_DIR = os.path.join(TMP, "idp")
CA = os.path.join(IDP_DIR, "ca.pem")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tokens_by_login(iss):
    """An id and a refresh token from the provider, as nmbctl login gets
    them (authorization code with PKCE), without a hub in between."""
    ctx = ssl.create_default_context(cafile=CA)
    verifier = secrets.token_urlsafe(32)
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": "nmb", "state": "s",
        "redirect_uri": "http://127.0.0.1:9/cb", "nonce": "n",
        "code_challenge": b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a):
            return None
    opener = urllib.request.build_opener(
        Stop, urllib.request.HTTPSHandler(context=ctx))
    try:
        opener.open(iss + "/authorize?" + q, timeout=10)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        loc = e.headers["Location"]
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code["code"],
        "redirect_uri": "http://127.0.0.1:9/cb", "client_id": "nmb",
        "code_verifier": verifier}).encode()
    with urllib.request.urlopen(iss + "/token", data=form, context=ctx,
                                timeout=10) as r:
        return json.loads(r.read())


def mint(*args):
    return subprocess.run([PY, IDP_PY, "mint", "--dir", IDP_DIR] +
                          list(args), check=True, capture_output=True,
                          text=True).stdout.strip()


def refreshes(iss):
    ctx = ssl.create_default_context(cafile=CA)
    with urllib.request.urlopen(iss + "/control/stats", context=ctx,
                                timeout=10) as r:
        return json.loads(r.read())["refresh"]


def exporter(name, hub_port, *args):
    conf = os.path.join(TMP, name + ".yaml")
    with open(conf, "w") as f:
        f.write("server: ws://127.0.0.1:%d\ntls:\n  ca_file: %s\n"
                "state_dir: %s\nplaces:\n  - name: %s\n    port: %d\n"
                "    parts:\n      - compatible: [psu]\n        tcp:\n"
                "          scpi: {host: 127.0.0.1, port: 9}\n"
                % (hub_port, CA, TMP, name, free_port()))
    log = open(os.path.join(TMP, name + ".log"), "w+")
    p = subprocess.Popen([EXPORTER, "-c", conf, "-v"] + list(args),
                         stdout=log, stderr=log)
    return p, log


def main():
    idp_log = open(os.path.join(TMP, "idp.log"), "w")
    idp = subprocess.Popen([PY, IDP_PY, "serve", "--dir", IDP_DIR,
                            "--client-id", "nmb"], stdout=subprocess.PIPE,
                           stderr=idp_log, text=True)
    iss = idp.stdout.readline().split()[1]
    key = oidc_idp.load_key(IDP_DIR, "k1").public_key()
    auth = AuthConf(iss, "nmb", key)
    hub_port = free_port()
    hub = FakeHub(hub_port, auth=auth)
    secrets_seen, logs, procs = [], [], []
    print("TAP version 13")

    # --token-cmd, CI style: $issuer and ${client_id} from auth-info
    cmd = ("%s %s mint --dir %s --iss $issuer --aud ${client_id} "
           "--sub exporter-ci" % (PY, IDP_PY, IDP_DIR))
    p, log = exporter("ci-place", hub_port, "--token-cmd", cmd)
    procs.append(p)
    logs.append(log)
    place = hub.wait_place("ci-place", 20)
    ok(place and hub.claims and hub.claims[-1]["sub"] == "exporter-ci" and
       hub.claims[-1]["iss"] == iss,
       "--token-cmd: registered with the command's token (%s)" %
       (hub.token_errors[-1:] or "ok"))
    if place:
        a = hub.call("ci-place", "get_id_token", {})
        b = hub.call("ci-place", "get_id_token", {})
        ok("result" in a and "result" in b and
           auth.check(a["result"])["sub"] == "exporter-ci",
           "--token-cmd: every get_id_token runs the command")
        secrets_seen += [a.get("result"), b.get("result")]

    # the token store: an expired id token is refreshed first
    t = tokens_by_login(iss)
    expired = mint("--ttl", "-60", "--iat-offset", "-120")
    store = os.path.join(TMP, "store.json")
    hub_url = "ws://127.0.0.1:%d" % hub_port
    with open(store, "w") as f:
        json.dump({hub_url: {"id": expired,
                             "refresh": t["refresh_token"]}}, f)
    os.chmod(store, 0o600)
    before = refreshes(iss)
    n = len(hub.claims)
    p, log = exporter("store-place", hub_port, "--token-store", store)
    procs.append(p)
    logs.append(log)
    place = hub.wait_place("store-place", 20)
    with open(store) as f:
        e = json.load(f)[hub_url]
    mode = stat.S_IMODE(os.stat(store).st_mode)
    ok(place and len(hub.claims) > n and refreshes(iss) == before + 1 and
       e["id"] != expired and e["refresh"] != t["refresh_token"] and
       mode == 0o600,
       "token store: expired id token refreshed, store rewritten 0600 "
       "(%s)" % (hub.token_errors[-1:] or "ok"))
    secrets_seen += [expired, t["refresh_token"], t["id_token"], e["id"],
                     e["refresh"]]

    # a store without the hub's entry: Login required
    empty = os.path.join(TMP, "empty.json")
    with open(empty, "w") as f:
        f.write("{}")
    os.chmod(empty, 0o600)
    n = len(hub.token_errors)
    p, log = exporter("nologin-place", hub_port, "--token-store", empty)
    procs.append(p)
    logs.append(log)
    wait(lambda: len(hub.token_errors) > n, 20)
    ok(len(hub.token_errors) > n and
       hub.token_errors[n].startswith("Login required: run nmbctl login"),
       "token store without the hub: Login required (%s)" %
       hub.token_errors[n:n + 1])
    wait(lambda: "refused the registration: Login required" in
         open(log.name).read(), 10)
    log.seek(0)
    ok("place nologin-place: the hub refused the registration: Login "
       "required" in log.read(), "the exporter's log names the place")

    for p in procs:
        sigterm(p, 15)
    texts = []
    for log in logs:
        texts.append(no_sanitizer_report(log, "%s: no sanitizer report" %
                                         os.path.basename(log.name)))
    secrets_seen = [s for s in secrets_seen if s]
    ok(len(secrets_seen) >= 5 and
       not any(s in x for s in secrets_seen for x in texts) and
       not any("eyJ" in x for x in texts), "no token in the logs")
    hub.stop()
    idp.terminate()
    idp.wait()
    shutil.rmtree(TMP, ignore_errors=True)
    return summary()


sys.exit(main())
