#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make_tokens.py - keys, JWKS, discovery documents and ID tokens, good
and bad, for selftests/lib/jwt_test.c (lib/jwt_verify, lib/jwks).

Usage: make_tokens.py DIR

Writes into DIR (which must exist): jwks.json (two signing keys: RSA
kid "rsa1", EC P-256 kid "ec1"), jwks-*.json variants, discovery-*.json,
and one <name>.jwt per token. Every token is made at NOW (below, also
written to DIR/now) for ISSUER and AUDIENCE, with Debian's python3-jwt
and python3-cryptography; the ones PyJWT refuses to make (alg none, an
HMAC keyed with the public key) are assembled by hand.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

NOW = 1700000000
ISSUER = "https://idp.example.test/realms/lab"
AUDIENCE = "nmb"
NONCE = "n-0S6_WzA2Mj"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))


def rsa_jwk(key, kid, **extra):
    pub = key.public_key().public_numbers()
    return dict(kty="RSA", kid=kid, use="sig", alg="RS256",
                n=uint(pub.n), e=uint(pub.e), **extra)


def ec_jwk(key, kid):
    pub = key.public_key().public_numbers()
    return dict(kty="EC", kid=kid, crv="P-256", x=uint(pub.x, 32),
                y=uint(pub.y, 32))


def claims(**over):
    c = dict(iss=ISSUER, aud=AUDIENCE, sub="u-1234",
             preferred_username="alice", iat=NOW - 60, exp=NOW + 3600)
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def unsigned(header, payload, sig=b""):
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(payload).encode())
    return f"{h}.{p}.{b64(sig)}"


def main():
    out = sys.argv[1]
    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec1 = ec.generate_private_key(ec.SECP256R1())
    rsa_pem = rsa1.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)

    def write(name, text):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)

    def rs(name, payload, kid="rsa1", key=rsa1, **hdr):
        if kid is not None:
            hdr["kid"] = kid
        write(name + ".jwt", jwt.encode(payload, key, algorithm="RS256",
                                        headers=hdr))

    jwks = {"keys": [rsa_jwk(rsa1, "rsa1"), ec_jwk(ec1, "ec1")]}
    write("jwks.json", json.dumps(jwks))
    write("now", str(NOW))
    # key sets that must be refused or skipped in part
    write("jwks-weak.json", json.dumps({"keys": [rsa_jwk(weak, "weak")]}))
    write("jwks-mixed.json", json.dumps({"keys": [
        rsa_jwk(weak, "weak"),                      # skipped: 1024 bits
        dict(rsa_jwk(other, "enc"), use="enc"),     # skipped: not sig
        dict(kty="oct", kid="hmac", k=b64(b"secret")),  # skipped
        dict(rsa_jwk(other, "rsa1")),               # kept: first rsa1
        rsa_jwk(rsa1, "rsa1"),                      # skipped: dup kid
        dict(ec_jwk(ec1, "ec-off"), y=uint(1, 32)),  # not on curve
        "not an object"]}))
    write("jwks-toomany.json", json.dumps(
        {"keys": [rsa_jwk(rsa1, f"k{i}") for i in range(33)]}))
    write("jwks-nokeys.json", json.dumps({"keys": {}}))
    # discovery documents
    disc = dict(issuer=ISSUER, jwks_uri=ISSUER + "/certs",
                authorization_endpoint=ISSUER + "/auth",
                token_endpoint=ISSUER + "/token")
    write("discovery-good.json", json.dumps(disc))
    write("discovery-bad-issuer.json",
          json.dumps(dict(disc, issuer="https://evil.example.test")))
    write("discovery-slash-issuer.json",
          json.dumps(dict(disc, issuer=ISSUER + "/")))
    write("discovery-no-jwks.json",
          json.dumps({k: v for k, v in disc.items() if k != "jwks_uri"}))
    write("discovery-no-login.json", json.dumps(
        dict(issuer=ISSUER, jwks_uri=ISSUER + "/certs")))
    # good tokens
    rs("good-rs256", claims(groups=["lab", "ci"]))
    write("good-es256.jwt", jwt.encode(claims(), ec1, algorithm="ES256",
                                       headers=dict(kid="ec1")))
    rs("aud-array", claims(aud=["other", AUDIENCE]))
    rs("nonce", claims(nonce=NONCE))
    rs("float-dates", claims(exp=NOW + 3600.5, iat=NOW - 0.5))
    # time
    rs("expired", claims(exp=NOW - 3600))
    rs("expired-in-skew", claims(exp=NOW - 10))
    rs("nbf-future", claims(nbf=NOW + 3600))
    rs("nbf-in-skew", claims(nbf=NOW + 10))
    rs("iat-future", claims(iat=NOW + 3600))
    rs("no-exp", claims(exp=None))
    rs("no-iat", claims(iat=None))
    rs("exp-string", claims(exp=str(NOW + 3600)))
    # who for whom
    rs("wrong-iss", claims(iss="https://evil.example.test"))
    rs("no-iss", claims(iss=None))
    rs("wrong-aud", claims(aud="other"))
    rs("aud-array-wrong", claims(aud=["other", "nmb2"]))
    rs("aud-array-number", claims(aud=[AUDIENCE, 7]))
    rs("no-aud", claims(aud=None))
    rs("no-sub", claims(sub=None))
    rs("nonce-wrong", claims(nonce="n-other"))
    # algorithms and keys
    write("alg-none.jwt", unsigned(dict(alg="none", kid="rsa1"), claims()))
    write("alg-none-upper.jwt",
          unsigned(dict(alg="None", kid="rsa1"), claims()))
    h = b64(json.dumps(dict(alg="HS256", kid="rsa1")).encode())
    p = b64(json.dumps(claims()).encode())
    mac = hmac.new(rsa_pem, f"{h}.{p}".encode(), hashlib.sha256).digest()
    write("hmac-pubkey.jwt", f"{h}.{p}.{b64(mac)}")
    write("alg-ps256.jwt", unsigned(dict(alg="PS256", kid="rsa1"), claims(),
                                    b"x" * 256))
    rs("unknown-kid", claims(), kid="rsa9", key=other)
    rs("no-kid", claims(), kid=None)
    rs("bad-signature", claims(), key=other)
    good = open(os.path.join(out, "good-rs256.jwt")).read()
    h, p, s = good.split(".")
    tampered = b64(json.dumps(claims(sub="root", groups=["lab", "ci"]))
                   .encode())
    write("tampered.jwt", f"{h}.{tampered}.{s}")
    # RS256 header naming the EC key
    rs("key-alg-mismatch", claims(), kid="ec1")
    rs("crit", claims(), crit=["exp"])
    rs("oversize", claims(pad="x" * 20000))
    write("garbage.jwt", "this is not a token")
    write("two-dots-empty.jwt", "..")
    write("four-parts.jwt", good + ".AAAA")
    write("padded.jwt", good + "==")


if __name__ == "__main__":
    main()
