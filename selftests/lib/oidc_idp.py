#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""oidc_idp.py - a small OpenID Connect identity provider for the tests.

It serves, over HTTPS on loopback, what nmb-server, nmb-agent,
nmb-exporter and `nmbctl login` need from a provider: discovery, JWKS,
an authorization endpoint that approves at once (it redirects to
redirect_uri?state=..&code=.. as a browser would after a sign-in) and a
token endpoint (authorization_code with PKCE S256, refresh_token). Keys
and certificates come from Debian's python3-cryptography, tokens from
python3-jwt.

  oidc_idp.py serve --dir DIR [--port 0] [--client-id nmb]
      Makes DIR's TLS certificate (DIR/ca.pem: trust it; SAN 127.0.0.1,
      ::1, localhost) and signing key k1 unless they exist, so a provider
      restarted on the same port and DIR is the same provider. Prints
      "ready URL" on stdout when it listens and writes URL to DIR/url;
      URL (https://127.0.0.1:PORT) is the issuer.

  oidc_idp.py mint --dir DIR [--kid k1]
                   [--alg RS256|RS384|PS256|none|hs256-pubkey]
                   [--iss URL] [--aud A] [--sub S] [--ttl SECONDS]
                   [--iat-offset S] [--nbf-offset S] [--nonce N]
                   [--claims JSON] [--omit CLAIM ...]
      Prints one ID token. --iss defaults to DIR/url. A --kid whose key
      does not exist yet is made (and not published until /control says
      so): a token from a key the JWKS does not list. --alg none and
      hs256-pubkey (HMAC keyed with the public key's PEM) make the two
      classic forgeries.

Endpoints (besides discovery at /.well-known/openid-configuration, /jwks,
/authorize and /token):

  POST /control   a JSON object; each key present changes one setting:
      sub, claims (object merged into every token's claims), ttl
      (seconds), aud, publish (list of kids in the JWKS; keys are made if
      missing), headers (extra response headers of discovery and JWKS,
      e.g. {"Cache-Control": "max-age=60"}), fail ({"discovery": 503,
      "jwks": 500, "token": 400}: answer that status instead), delay
      (seconds before every answer), discovery_issuer (the `issuer` the
      discovery document claims; default the real one), deny (an OAuth
      error code /authorize redirects with instead of a code).
      Answers the whole settings object.
  GET /control/stats  {"discovery": n, "jwks": n, "authorize": n,
      "token": n, "refresh": n}: requests served per endpoint.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


# ---- keys and certificates, kept in DIR so `mint` and `serve` share them

def key_path(d, kid):
    if not kid.replace("-", "").replace("_", "").isalnum():
        raise SystemExit(f"bad kid {kid!r}")
    return os.path.join(d, "keys", kid + ".pem")


def load_key(d, kid, make=True):
    path = key_path(d, kid)
    if not os.path.exists(path):
        if not make:
            return None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def jwk(key, kid):
    pub = key.public_key().public_numbers()
    return dict(kty="RSA", kid=kid, use="sig", alg="RS256",
                n=uint(pub.n), e=uint(pub.e))


def make_tls(d):
    cert_path = os.path.join(d, "ca.pem")
    key_file = os.path.join(d, "tls-key.pem")
    if os.path.exists(cert_path) and os.path.exists(key_file):
        return cert_path, key_file
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # a name of its own: two providers' CAs in one bundle must differ
    name = x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, "nmb test identity provider " +
        secrets.token_hex(4))])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.DNSName("localhost")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_file


# ---- tokens

def sign(d, payload, kid="k1", alg="RS256"):
    key = load_key(d, kid)
    header = {"kid": kid}
    if alg in ("RS256", "RS384", "PS256"):
        return jwt.encode(payload, key, algorithm=alg, headers=header)
    head = dict(header, typ="JWT")
    if alg == "none":
        head["alg"] = "none"
        return (b64(json.dumps(head).encode()) + "." +
                b64(json.dumps(payload).encode()) + ".")
    if alg == "hs256-pubkey":
        head["alg"] = "HS256"
        secret = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = (b64(json.dumps(head).encode()) + "." +
                         b64(json.dumps(payload).encode()))
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256)
        return signing_input + "." + b64(mac.digest())
    raise SystemExit(f"unknown --alg {alg}")


def id_claims(iss, aud, sub, ttl, extra, nonce=None, now=None):
    now = int(time.time()) if now is None else now
    c = dict(iss=iss, aud=aud, sub=sub, iat=now, exp=now + ttl)
    if nonce is not None:
        c["nonce"] = nonce
    c.update(extra)
    return c


# ---- the provider

class Provider:
    def __init__(self, d, url, client_id):
        self.dir = d
        self.url = url
        self.lock = threading.Lock()
        self.settings = dict(sub="u-alice", claims={
            "preferred_username": "alice", "email": "alice@example.test"},
            ttl=300, aud=client_id, publish=["k1"], headers={}, fail={},
            delay=0, discovery_issuer=None, deny=None)
        self.stats = dict(discovery=0, jwks=0, authorize=0, token=0,
                          refresh=0)
        self.codes = {}		# code -> request of /authorize
        self.refresh = {}	# refresh token -> (sub, claims, aud, nonce)

    def discovery(self):
        s = self.settings
        return {"issuer": s["discovery_issuer"] or self.url,
                "jwks_uri": self.url + "/jwks",
                "authorization_endpoint": self.url + "/authorize?kc_idp_hint=test",
                "token_endpoint": self.url + "/token",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def jwks(self):
        return {"keys": [jwk(load_key(self.dir, kid), kid)
                         for kid in self.settings["publish"]]}

    def tokens(self, sub, claims, aud, nonce):
        s = self.settings
        idt = sign(self.dir, id_claims(self.url, aud, sub, s["ttl"], claims,
                                       nonce))
        rt = secrets.token_urlsafe(24)
        self.refresh[rt] = (sub, claims, aud, nonce)
        return {"access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer", "expires_in": s["ttl"],
                "id_token": idt, "refresh_token": rt}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oidc_idp/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("oidc_idp: " + (fmt % args) + "\n")

    @property
    def p(self):
        return self.server.provider

    def send(self, status, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else (
            json.dumps(body).encode() if ctype == "application/json"
            else body.encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def failing(self, what):
        code = self.p.settings["fail"].get(what)
        if code:
            self.send(int(code), {"error": f"{what} made to fail"})
            return True
        return False

    def pause(self):
        delay = self.p.settings["delay"]
        if delay:
            time.sleep(delay)

    def do_GET(self):
        self.pause()
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        p = self.p
        with p.lock:
            if u.path == "/.well-known/openid-configuration":
                p.stats["discovery"] += 1
                if not self.failing("discovery"):
                    self.send(200, p.discovery(),
                              headers=p.settings["headers"])
            elif u.path == "/jwks":
                p.stats["jwks"] += 1
                if not self.failing("jwks"):
                    self.send(200, p.jwks(), headers=p.settings["headers"])
            elif u.path == "/authorize":
                p.stats["authorize"] += 1
                self.authorize(q)
            elif u.path == "/control/stats":
                self.send(200, p.stats)
            else:
                self.send(404, {"error": "not found"})

    def authorize(self, q):
        p = self.p
        need = ("response_type", "client_id", "redirect_uri", "state",
                "nonce", "code_challenge", "code_challenge_method")
        missing = [k for k in need if not q.get(k)]
        if missing:
            self.send(400, {"error": "invalid_request",
                            "error_description": "missing " +
                            ", ".join(missing)})
            return
        if (q["response_type"] != "code" or
                q["code_challenge_method"] != "S256" or
                q["client_id"] != p.settings["aud"]):
            self.send(400, {"error": "invalid_request"})
            return
        back = {"state": q["state"], "session_state": "s-1"}
        if p.settings["deny"]:
            back = {"state": q["state"], "error": p.settings["deny"],
                    "error_description": "the test denied it"}
        else:
            code = secrets.token_urlsafe(16)
            p.codes[code] = q
            back["code"] = code
        sep = "&" if "?" in q["redirect_uri"] else "?"
        self.send(302, "", "text/plain", headers={
            "Location": q["redirect_uri"] + sep +
            urllib.parse.urlencode(back)})

    def do_POST(self):
        self.pause()
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        if n > 65536:
            self.send(413, {"error": "too large"})
            return
        body = self.rfile.read(n)
        p = self.p
        with p.lock:
            if u.path == "/control":
                change = json.loads(body)
                for kid in change.get("publish", []):
                    load_key(p.dir, kid)
                for k, v in change.items():
                    if k not in p.settings:
                        self.send(400, {"error": f"unknown setting {k}"})
                        return
                    p.settings[k] = v
                self.send(200, p.settings)
            elif u.path == "/token":
                p.stats["token"] += 1
                if not self.failing("token"):
                    self.token(dict(urllib.parse.parse_qsl(body.decode())))
            else:
                self.send(404, {"error": "not found"})

    def token(self, f):
        p = self.p
        bad = {"error": "invalid_grant"}
        if f.get("grant_type") == "authorization_code":
            q = p.codes.pop(f.get("code", ""), None)
            verifier = f.get("code_verifier", "")
            challenge = b64(hashlib.sha256(verifier.encode()).digest())
            if (q is None or f.get("client_id") != q["client_id"] or
                    f.get("redirect_uri") != q["redirect_uri"] or
                    challenge != q["code_challenge"]):
                self.send(400, bad)
                return
            s = p.settings
            self.send(200, p.tokens(s["sub"], dict(s["claims"]), s["aud"],
                                    q["nonce"]))
        elif f.get("grant_type") == "refresh_token":
            p.stats["refresh"] += 1
            old = p.refresh.pop(f.get("refresh_token", ""), None)
            if old is None or f.get("client_id") != old[2]:
                self.send(400, bad)
                return
            sub, _, aud, nonce = old
            # Claims as they are now: a refresh may change roles.
            self.send(200, p.tokens(sub, dict(p.settings["claims"]), aud,
                                    nonce))
        else:
            self.send(400, {"error": "unsupported_grant_type"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    cert, key = make_tls(args.dir)
    load_key(args.dir, "k1")
    srv = Server((args.host, args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    url = f"https://{args.host}:{srv.server_address[1]}"
    srv.provider = Provider(args.dir, url, args.client_id)
    with open(os.path.join(args.dir, "url"), "w") as f:
        f.write(url)
    print("ready", url, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def mint(args):
    iss = args.iss
    if iss is None:
        with open(os.path.join(args.dir, "url")) as f:
            iss = f.read().strip()
    now = int(time.time())
    c = id_claims(iss, args.aud, args.sub, args.ttl,
                  json.loads(args.claims), args.nonce, now)
    c["iat"] = now + args.iat_offset
    if args.nbf_offset is not None:
        c["nbf"] = now + args.nbf_offset
    for k in args.omit:
        c.pop(k, None)
    print(sign(args.dir, c, args.kid, args.alg))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--client-id", default="nmb")
    m = sub.add_parser("mint")
    m.add_argument("--dir", required=True)
    m.add_argument("--kid", default="k1")
    m.add_argument("--alg", default="RS256")
    m.add_argument("--iss")
    m.add_argument("--aud", default="nmb")
    m.add_argument("--sub", default="u-alice")
    m.add_argument("--ttl", type=int, default=300)
    m.add_argument("--iat-offset", type=int, default=0)
    m.add_argument("--nbf-offset", type=int)
    m.add_argument("--nonce")
    m.add_argument("--claims", default='{"preferred_username": "alice"}')
    m.add_argument("--omit", nargs="*", default=[])
    args = ap.parse_args()
    serve(args) if args.cmd == "serve" else mint(args)


if __name__ == "__main__":
    main()
