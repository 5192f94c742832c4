#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""oidc_idp_test.py - the test identity provider (oidc_idp.py) checked
against PyJWT and the OAuth rules the server, agent and nmbctl tests rely
on, so a wrong provider cannot make their tests pass. TAP on stdout."""
import base64
import hashlib
import hmac
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import jwt
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
IDP = os.path.join(HERE, "oidc_idp.py")
n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    failed += not cond
    print(f"{'' if cond else 'not '}ok {n} - {name}", flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def main():
    d = tempfile.mkdtemp(prefix="nmb-idp-test.")
    srv = subprocess.Popen([sys.executable, IDP, "serve", "--dir", d],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    try:
        run(d, srv)
    finally:
        srv.kill()
        srv.wait()
        shutil.rmtree(d)
    print(f"1..{n}")
    return 1 if failed else 0


def run(d, srv):
    line = srv.stdout.readline().split()
    ok(len(line) == 2 and line[0] == "ready", "provider starts")
    url = line[1]
    tls = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=tls), NoRedirect)

    def get(path, data=None, form=None):
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        try:
            r = opener.open(url + path, data, timeout=10)
            return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    st, _, body = get("/.well-known/openid-configuration")
    disc = json.loads(body)
    ok(st == 200 and disc["issuer"] == url, "discovery names the issuer")
    st, _, body = get("/jwks")
    keys = {k["kid"]: k for k in json.loads(body)["keys"]}
    ok(list(keys) == ["k1"], "the JWKS holds k1 only")
    pub = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(keys["k1"]))

    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    q = dict(response_type="code", client_id="nmb", state="st-1",
             nonce="no-1", redirect_uri="https://hub.test/oidc-callback",
             code_challenge=challenge, code_challenge_method="S256")
    st, hdr, _ = get("/authorize?" + urllib.parse.urlencode(q))
    loc = urllib.parse.urlsplit(hdr.get("Location", ""))
    back = dict(urllib.parse.parse_qsl(loc.query))
    ok(st == 302 and loc.path == "/oidc-callback" and
       back.get("state") == "st-1" and back.get("code"),
       "authorize redirects with state and code")
    code = back.get("code", "")
    exchange = dict(grant_type="authorization_code", code=code,
                    redirect_uri=q["redirect_uri"], client_id="nmb",
                    code_verifier="x" * 43)
    st, _, _ = get("/token", form=exchange)
    ok(st == 400, "a wrong PKCE verifier is refused")
    st, _, _ = get("/authorize?" + urllib.parse.urlencode(q))
    st2, hdr, _ = get("/authorize?" + urllib.parse.urlencode(q))
    code = dict(urllib.parse.parse_qsl(
        urllib.parse.urlsplit(hdr["Location"]).query))["code"]
    exchange.update(code=code, code_verifier=verifier)
    st, _, body = get("/token", form=exchange)
    tok = json.loads(body) if st == 200 else {}
    ok(st == 200 and tok.get("token_type") == "Bearer" and
       tok.get("refresh_token"), "the code is exchanged for tokens")
    claims = jwt.decode(tok["id_token"], pub, algorithms=["RS256"],
                        audience="nmb", issuer=url)
    ok(claims["nonce"] == "no-1" and claims["sub"] == "u-alice" and
       claims["preferred_username"] == "alice",
       "the ID token verifies with the JWKS key and carries the nonce")
    st, _, _ = get("/token", form=exchange)
    ok(st == 400, "a code is single-use")

    get("/control", data=json.dumps(
        {"claims": {"preferred_username": "bob", "groups": ["lab"]}}).encode())
    refresh = dict(grant_type="refresh_token", client_id="nmb",
                   refresh_token=tok["refresh_token"])
    st, _, body = get("/token", form=refresh)
    tok2 = json.loads(body) if st == 200 else {}
    c2 = jwt.decode(tok2.get("id_token", ""), pub, algorithms=["RS256"],
                    audience="nmb") if st == 200 else {}
    ok(c2.get("groups") == ["lab"] and
       tok2.get("refresh_token") != tok["refresh_token"],
       "a refresh gives a new pair with the claims of now")
    st, _, _ = get("/token", form=refresh)
    ok(st == 400, "a used refresh token is refused")

    def mint(*args):
        return subprocess.run([sys.executable, IDP, "mint", "--dir", d,
                               *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    def verifies(token):
        try:
            jwt.decode(token, pub, algorithms=["RS256"], audience="nmb")
            return True
        except jwt.PyJWTError:
            return False

    ok(verifies(mint()), "a minted token verifies")
    ok(not verifies(mint("--ttl", "-60")), "--ttl -60 mints an expired one")
    ok(jwt.get_unverified_header(mint("--alg", "none"))["alg"] == "none" and
       not verifies(mint("--alg", "none")), "--alg none is unsigned")
    hs = mint("--alg", "hs256-pubkey")
    pem = pub.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    head, payload, sig = hs.split(".")
    mac = hmac.new(pem, f"{head}.{payload}".encode(), hashlib.sha256)
    ok(base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode() == sig,
       "--alg hs256-pubkey is an HMAC keyed with the public key")
    rogue = mint("--kid", "k9")
    st, _, body = get("/jwks")
    ok(jwt.get_unverified_header(rogue)["kid"] == "k9" and
       "k9" not in body.decode(), "a new kid is not published by itself")
    get("/control", data=json.dumps({"publish": ["k1", "k9"],
                                     "headers": {"Cache-Control":
                                                 "max-age=60"}}).encode())
    st, hdr, body = get("/jwks")
    ok([k["kid"] for k in json.loads(body)["keys"]] == ["k1", "k9"] and
       hdr.get("Cache-Control") == "max-age=60",
       "control publishes keys and sets cache headers")
    get("/control", data=json.dumps({"fail": {"discovery": 503}}).encode())
    st, _, _ = get("/.well-known/openid-configuration")
    ok(st == 503, "control makes discovery fail")
    st, _, body = get("/control/stats")
    stats = json.loads(body)
    ok(stats["discovery"] == 2 and stats["jwks"] == 3 and
       stats["refresh"] == 2, "stats count requests per endpoint")
    get("/control", data=json.dumps({"deny": "access_denied"}).encode())
    st, hdr, _ = get("/authorize?" + urllib.parse.urlencode(q))
    back = dict(urllib.parse.parse_qsl(
        urllib.parse.urlsplit(hdr.get("Location", "")).query))
    ok(back.get("error") == "access_denied" and "code" not in back,
       "deny redirects with an OAuth error")
    st, _, _ = get("/control", data=b'{"nonsense": 1}')
    ok(st == 400, "an unknown setting is refused")


if __name__ == "__main__":
    sys.exit(main())
