# SPDX-License-Identifier: GPL-2.0
# farm_auth_test.py - nmb's own programs together with OpenID Connect
# (issue 15): nmb-server with `auth:` (two roles) trusting
# selftests/lib/oidc_idp.py on loopback, an nmb-exporter registering a
# TCP place with --token-cmd (role exporter), and two nmb-agents:
#
#   oidc_idp.py (HTTPS) <--- nmb-server <--- nmb-exporter --token-cmd
#        ^   ^                  ^   ^            | TCP echo server
#        |   +-- agent "alice" -+   |
#        +------ agent "bob" -------+
#
# alice runs `nmbctl login` (the test plays the browser: the provider's
# authorize redirect reaches the server's /oidc-callback), then reserves
# and attaches the TCP part and sends data through the tunnel. Her
# provider issues 3 s tokens: 30 s after exp the server asks again, her
# agent refreshes at the provider and the reservation stays. bob logs in
# through the Python package (nmb.Agent.login) with a token lacking
# `importer`: his reserve is refused with the reason. A CI job's agent
# reserves with --token-cmd; when the command's token loses `importer`
# at the refresh, the server closes with 1008 "Permission lost" and the
# place is free again. `nmbctl who` shows
# alice as user_name_formats names her; login prints only show_claims;
# no token reaches a log, /metrics or --json output. Prints TAP.
#
# Usage: farm_auth_test.py NMB_SERVER NMB_EXPORTER NMB_AGENT NMBCTL WORKDIR
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True
sys.path[:0] = [os.path.join(ROOT, "selftests", "lib"),
                os.path.join(ROOT, "python")]
import nmb  # noqa: E402
from nmbtest import free_port, ok, sigterm, summary, wait  # noqa: E402

SERVER, EXPORTER, AGENT, NMBCTL, WORK = sys.argv[1:6]
PY = "/usr/bin/python3"
IDP_PY = os.path.join(ROOT, "selftests", "lib", "oidc_idp.py")
SANITIZER = ("ERROR: AddressSanitizer", "runtime error:",
             "ERROR: LeakSanitizer")
ALICE = {"preferred_username": "alice", "groups": ["lab-users"],
         "email": "alice@example.test"}
BOB = {"preferred_username": "bob", "groups": ["lab-guests"],
       "email": "bob@example.test"}
TTL = 3                 # alice's tokens: the server asks again at exp + 30 s
outputs = []            # nmbctl's outputs, for the token check
procs = []              # (name, Popen, log path)


def log_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def start(name, args):
    path = os.path.join(WORK, name + ".log")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=open(path, "w"), env=env)
    procs.append((name, p, path))
    return path


class Idp:
    def __init__(self):
        self.dir = os.path.join(WORK, "idp")
        self.log = open(os.path.join(WORK, "idp.log"), "w")
        self.proc = subprocess.Popen([PY, IDP_PY, "serve", "--dir",
                                      self.dir, "--client-id", "nmb"],
                                     stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.url = self.proc.stdout.readline().split()[1]
        self.ca = os.path.join(self.dir, "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)

    def request(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(self.url + path, data=data, timeout=10,
                                    context=self.ctx) as r:
            return json.loads(r.read())

    def user(self, sub, claims, ttl):
        self.request("/control", {"sub": sub, "claims": claims, "ttl": ttl})


def browser(idp):
    """The user's browser: the provider approves at once and redirects to
    the server's /oidc-callback, whose page it returns."""
    def go(url, hub=None):
        with urllib.request.urlopen(url, context=idp.ctx, timeout=10) as r:
            go.pages.append((r.geturl(), r.read().decode()))
    go.pages = []
    return go


def nmbctl(sock, *args, on_url=None, timeout=30):
    p = subprocess.Popen([NMBCTL, "-s", sock] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    shown = ""
    if on_url:
        src = p.stderr if "--json" in args else p.stdout
        for line in src:
            shown += line
            m = re.match(r"\s+(https://\S+)", line)
            if m:
                on_url(m.group(1))
                break
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    if "--json" in args:
        err = shown + err
    else:
        out = shown + out
    outputs.append(out + err)
    return p.returncode, out, err


def echo_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d.upper())

    def accept():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    return srv


def through_tunnel(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            d = s.recv(65536)
            if not d:
                break
            got += d
        return got


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=10) as r:
        return r.read().decode()


def main():
    os.makedirs(WORK, exist_ok=True)
    print("TAP version 13", flush=True)
    idp = Idp()
    echo = echo_server()
    srv_port, place_port, local_port = free_port(), free_port(), free_port()
    hub = "http://127.0.0.1:%d" % srv_port
    with open(os.path.join(WORK, "server.yaml"), "w") as f:
        f.write("""auth:
  issuer: %(iss)s
  client_id: nmb
  ca_file: %(ca)s
  issuers:
    %(iss)s:
      show_claims: [sub, preferred_username, groups]
      user_name_formats: ["${preferred_username}@lab", "$email"]
  permissions:
    - claims: {groups: [lab-exporters]}
      roles: [exporter]
    - claims: {groups: [lab-users]}
      roles: [importer]
""" % {"iss": idp.url, "ca": idp.ca})
    slog = start("server", [SERVER, "-c", os.path.join(WORK, "server.yaml"),
                            "--listen", "127.0.0.1:%d" % srv_port, "-v"])
    ok(wait(lambda: "listening on" in log_text(slog), 15), "server up")

    # the exporter: a fresh token from a command for every get_id_token
    os.makedirs(os.path.join(WORK, "state"), exist_ok=True)
    with open(os.path.join(WORK, "exporter.yaml"), "w") as f:
        f.write("""server: %s
state_dir: %s
places:
  - name: farm-1
    port: %d
    parts:
      - compatible: [echo]
        tcp:
          echo: {host: 127.0.0.1, port: %d}
""" % (hub, os.path.join(WORK, "state"), place_port,
            echo.getsockname()[1]))
    token_cmd = ("%s %s mint --dir %s --iss $issuer --aud ${client_id} "
                 "--sub exporter-1 --claims '{\"groups\": "
                 "[\"lab-exporters\"]}'" % (PY, IDP_PY, idp.dir))
    elog = start("exporter", [EXPORTER, "-c",
                              os.path.join(WORK, "exporter.yaml"), "-v",
                              "--token-cmd", token_cmd])
    ok(wait(lambda: "place registered place=farm-1" in log_text(slog), 20)
       and re.search(r"user=exporter-1@\S+: ID token accepted from \S+, "
                     r"roles exporter,", log_text(slog)),
       "exporter registered with its --token-cmd token")

    # the CI job's agent: its token from a command; tokens valid only
    # thanks to the server's 30 s leeway, so it asks again in about 6 s
    ci_claims = os.path.join(WORK, "ci-claims.json")
    with open(ci_claims, "w") as f:
        json.dump({"preferred_username": "ci-bot", "groups": ["lab-users"]},
                  f)
    ci_cmd = ("%s %s mint --dir %s --iss $issuer --aud ${client_id} "
              "--sub ci-job --ttl -24 --iat-offset -60 "
              "--claims \"$(cat %s)\"" % (PY, IDP_PY, idp.dir, ci_claims))
    agents = {}
    for name in ("alice", "bob", "ci"):
        conf = os.path.join(WORK, name + ".yaml")
        with open(conf, "w") as f:
            f.write("server: %s\ntoken_store: %s\ntls:\n  ca_file: %s\n"
                    % (hub, os.path.join(WORK, name + "-tokens.json"),
                       idp.ca))
        sock = os.path.join(WORK, name + ".sock")
        log = start("agent-" + name, [AGENT, "-c", conf, "--socket", sock,
                                      "-v"] +
                    (["--token-cmd", ci_cmd] if name == "ci" else []))
        agents[name] = (sock, log)
        ok(wait(lambda: "connected to" in log_text(log), 15),
           "agent %s connected" % name)

    # alice: nmbctl login through the browser and the server's callback
    idp.user("u-alice", ALICE, TTL)
    asock = agents["alice"][0]
    b = browser(idp)
    rc, out, err = nmbctl(asock, "login", on_url=b)
    ok(rc == 0 and b.pages and "/oidc-callback?" in b.pages[0][0] and
       b.pages[0][1] == "Continue in not-my-board CLI",
       "nmbctl login: the provider redirected to the server's "
       "/oidc-callback (%d %s)" % (rc, err.strip()))
    claims = out.partition("Claims:\n")[2]
    ok(claims == "  sub: u-alice\n  preferred_username: alice\n"
       "  groups: lab-users\n",
       "login shows the show_claims claims only: %r" % claims)
    store = os.path.join(WORK, "alice-tokens.json")
    ok(os.path.exists(store) and os.stat(store).st_mode & 0o777 == 0o600,
       "alice's token store is 0600")

    # reserve and attach the TCP part; data through the tunnel
    descr = os.path.join(WORK, "echo.yaml")
    with open(descr, "w") as f:
        f.write("parts:\n  p:\n    compatible: [echo]\n    tcp:\n"
                "      echo: {local_port: %d}\n" % local_port)
    rc, out, err = nmbctl(asock, "reserve", descr + "@farm-1", "-t", "20")
    ok(rc == 0, "alice reserves farm-1 (%d %s)" % (rc, err.strip()))
    t_reserved = time.monotonic()
    rc, out, err = nmbctl(asock, "attach", "echo")
    ok(rc == 0 and str(local_port) in out,
       "alice attaches the TCP part (%d %s)" % (rc, err.strip()))
    got = through_tunnel(local_port, b"hello farm\n")
    ok(got == b"HELLO FARM\n", "data through the tunnel: %r" % got)

    # bob: the Python package's login; his token lacks importer
    idp.user("u-bob", BOB, 300)
    bsock = agents["bob"][0]
    bb = browser(idp)
    try:
        res = nmb.Agent(bsock).login(on_url=bb, timeout=30)
    except nmb.NmbError as e:
        res = {"error": str(e)}
    ok(res.get("hub") == hub and res.get("claims") == {
        "sub": "u-bob", "preferred_username": "bob",
        "groups": ["lab-guests"]} and len(bb.pages) == 1,
       "nmb.Agent.login: URL streamed, then the show_claims claims: %s"
       % res)
    outputs.append(json.dumps(res))
    idp.user("u-alice", ALICE, TTL)     # claims of alice's refresh
    rc, out, err = nmbctl(bsock, "reserve", descr + "@farm-1", "-n", "b",
                          "--no-wait")
    ok(rc != 0 and 'Permission denied: requires role "importer"' in err,
       "bob's reserve refused with the reason: %d %s" % (rc, err.strip()))

    # who: the name by user_name_formats; no token in --json output
    rc, out, err = nmbctl(asock, "who")
    ok(rc == 0 and re.search(r"farm-1\s+alice@lab", out),
       "nmbctl who names alice@lab: %r" % out)
    rc, out, err = nmbctl(asock, "--json", "who")
    try:
        who = json.loads(out)
    except ValueError:
        who = None
    ok(rc == 0 and isinstance(who, list) and
       [e.get("user") for e in who] == ["alice@lab"],
       "nmbctl --json who: %r" % out)
    nmbctl(asock, "--json", "status")
    nmbctl(asock, "--json", "list")

    # the refresh: 30 s after exp the server asks again; alice's agent
    # gets a new token from the provider; the reservation stays
    before = idp.request("/control/stats")["refresh"]
    left = TTL + 30 + 15 - (time.monotonic() - t_reserved)
    refreshed = wait(lambda: "user=alice@lab: ID token refreshed" in
                     log_text(slog), max(left, 1), 0.2)
    ok(refreshed and idp.request("/control/stats")["refresh"] > before,
       "the server asked again after exp; alice's agent refreshed at the "
       "provider")
    rc, out, err = nmbctl(asock, "--json", "list")
    try:
        lst = json.loads(out)
    except ValueError:
        lst = []
    ok(rc == 0 and len(lst) == 1 and lst[0].get("reserved") and
       lst[0].get("attached"), "reservation kept: %r" % out)
    got = through_tunnel(local_port, b"after refresh\n")
    ok(got == b"AFTER REFRESH\n", "the tunnel works after the refresh")
    ok("closing conn=" not in log_text(slog),
       "no connection was closed by the server")

    # no token anywhere; claims outside show_claims not logged
    texts = [log_text(path) for _, _, path in procs]
    texts += outputs + [metrics(srv_port)]
    secrets = []
    for name in ("alice", "bob"):
        with open(os.path.join(WORK, name + "-tokens.json")) as f:
            for e in json.load(f).values():
                secrets += [e.get("id"), e.get("refresh")]
    secrets = [s for s in secrets if s]
    leaks = [t[:200] for t in texts for s in secrets if s in t]
    leaks += [t[t.index("eyJ"):][:80] for t in texts if "eyJ" in t]
    ok(len(secrets) == 4 and not leaks,
       "no token in %d logs, outputs and /metrics: %s" % (len(texts), leaks))
    accepted = [line for line in log_text(slog).splitlines()
                if "ID token accepted" in line]
    ok(accepted and not any("email" in line for line in accepted),
       "the server logs only show_claims claims")
    rc, out, err = nmbctl(asock, "return", "-f", "echo")
    ok(rc == 0, "alice returns farm-1 (%d %s)" % (rc, err.strip()))

    # CI: a reserve with --token-cmd; then the command's token loses
    # importer: the server closes with 1008, the agent logs why, and the
    # place is free again (auth note §10.4: not-my-board keeps it)
    csock, clog = agents["ci"]
    rc, out, err = nmbctl(csock, "reserve", descr + "@farm-1", "-n", "ci",
                          "-t", "20")
    ok(rc == 0, "CI job reserves with --token-cmd (%d %s)" % (rc,
                                                               err.strip()))
    rc, out, err = nmbctl(csock, "who")
    ok(re.search(r"farm-1\s+ci-bot@lab", out), "who: ci-bot@lab: %r" % out)
    with open(ci_claims, "w") as f:
        json.dump({"preferred_username": "ci-bot",
                   "groups": ["lab-exporters"]}, f)
    lost = "the hub closed the connection: 1008 Permission lost"
    ok(wait(lambda: lost in log_text(clog), 20, 0.2) and
       re.search(r"closing conn=\d+ peer=\S+: Permission lost",
                 log_text(slog)),
       "Permission lost: closed with 1008, the agent logs it")
    rc, out, err = nmbctl(asock, "reserve", descr + "@farm-1", "--no-wait")
    ok(rc == 0, "the place was returned (%d %s)" % (rc, err.strip()))
    bad = [line for line in log_text(slog).splitlines()
           if "error: libwebsockets" in line]
    ok(not bad, "the close left libwebsockets nothing to complain "
       "about: %s" % bad)
    nmbctl(asock, "return", "echo")

    for name, p, path in reversed(procs):
        rc = sigterm(p, 20)
        text = log_text(path)
        bad = [line for line in text.splitlines()
               if any(m in line for m in SANITIZER)]
        ok(rc == 0 and not bad, "%s: exit 0 on SIGTERM, no sanitizer "
           "report (rc=%s) %s" % (name, rc, "\n".join(bad[:3])))
    idp.proc.terminate()
    idp.proc.wait()
    echo.close()
    return summary()


sys.exit(main())
