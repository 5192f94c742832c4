# SPDX-License-Identifier: GPL-2.0
"""check_docs.py - docs coverage, as TAP.

Everything that the code accepts must be documented:

* every nmbctl subcommand (cli/main.c's dispatch table and `nmbctl
  --help`) in nmbctl(1) and in Documentation/user-guide.rst;
* every configuration key that the parsers ask for (the conf_*() calls
  of daemon/*/config.c, the key tables of lib/match.c) in the right
  section of Documentation/configuration.rst and of nmb.yaml(5);
* every option of each daemon's --help in its man page;
* every man page renders without a warning;
* the example configurations are accepted by the daemons, and the
  example import description by nmb-agent (through nmbctl);
* so is every YAML example in the .rst documents and in nmb.yaml(5)
  (with a throw-away certificate and token files put in);
* the links of README.md and Documentation/index.rst lead to files;
* the udev rules are checked where udevadm can (systemd >= 253).

Usage: check_docs.py [BUILD_DIR]

It also runs the key checks against a copy of the documentation with one
key removed, and fails unless they notice.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Source of keys -> (section of configuration.rst, section of nmb.yaml.5).
KEY_SOURCES = {
    "daemon/server/config.c": ("server.yaml", "SERVER.YAML"),
    "daemon/server/auth_config.c": ("server.yaml", "SERVER.YAML"),
    "daemon/exporter/config.c": ("exporter.yaml", "EXPORTER.YAML"),
    "daemon/exporter/virtual_conf.c": ("exporter.yaml", "EXPORTER.YAML"),
    "daemon/agent/config.c": ("agent.yaml", "AGENT.YAML"),
    "lib/match.c": ("Import descriptions", "IMPORT DESCRIPTIONS"),
}
DAEMON_MAN = {
    "nmb-server": "Documentation/man/nmb-server.8",
    "nmb-exporter": "Documentation/man/nmb-exporter.8",
    "nmb-agent": "Documentation/man/nmb-agent.8",
}

n = 0
failed = 0


def tap(ok, desc, diag=()):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, desc))
    for line in diag:
        print("# " + line)
    if not ok:
        failed += 1
    sys.stdout.flush()


def read(path):
    """The file's text; "" (and a diagnostic) when it does not exist."""
    try:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        print("# %s: no such file" % path)
        return ""


def strip_c_comments(src):
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    return re.sub(r"//[^\n]*", " ", src)


# --- what the code accepts ----------------------------------------------

def config_keys(path):
    """Keys a parser asks for: the string argument of the conf_ getters,
    and the entries of static key tables (lib/match.c)."""
    src = strip_c_comments(read(path))
    keys = set(re.findall(
        r'\bconf_(?:get|str|int|double|bool)\s*\(\s*[^,()]+,\s*"([^"]+)"',
        src))
    for table in re.findall(
            r'static\s+const\s+char\s*\*\s*const\s+\w*keys\s*\[\s*\]\s*='
            r'\s*\{([^}]*)\}', src):
        keys.update(re.findall(r'"([^"]+)"', table))
    return keys


def nmbctl_commands(build):
    src = strip_c_comments(read("cli/main.c"))
    cmds = set(re.findall(r'\{\s*"([a-z][a-z-]*)"\s*,\s*\w+_main\b', src))
    nmbctl = os.path.join(build, "nmbctl")
    if os.access(nmbctl, os.X_OK):
        out = subprocess.run([nmbctl, "--help"], capture_output=True,
                             text=True).stdout
        m = re.search(r"^Commands:\n(.*?)\n\n", out, re.S | re.M)
        if m:
            cmds.update(re.findall(r"^\s+([a-z][a-z-]*)\s", m.group(1),
                                   re.M))
    return cmds


def daemon_options(build, daemon):
    out = subprocess.run([os.path.join(build, daemon), "--help"],
                         capture_output=True, text=True).stdout
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", out))


# --- what the documentation says ----------------------------------------

def rst_sections(text):
    """{title: body} for every section title of an .rst text."""
    lines = text.split("\n")
    heads = []
    for i in range(1, len(lines)):
        t, u = lines[i - 1].strip(), lines[i].strip()
        if t and len(u) >= len(t) and re.fullmatch(r"([=\-~^\"'`#*+])\1*", u):
            heads.append((i - 1, t))
    out = {}
    for k, (i, t) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        out[t] = "\n".join(lines[i:end])
    return out


def rst_section(text, name):
    for title, body in rst_sections(text).items():
        if title.replace("``", "").lower() == name.lower():
            return body
    return None


def rst_has(text, word):
    return ("``%s``" % word) in text


def man_plain(text):
    return text.replace("\\-", "-").replace("\\(hy", "-")


def man_section(text, name):
    text = man_plain(text)
    m = re.search(r'^\.SH\s+"?%s"?\s*$(.*?)(?=^\.SH\s|\Z)' % re.escape(name),
                  text, re.S | re.M)
    return m.group(1) if m else None


def man_has(text, word):
    w = re.escape(word)
    return re.search(r'(\\fB%s\\f[PR]|^\.B[RI]?\s+"?%s"?(\s|$))' % (w, w),
                     text, re.M) is not None


# --- checks --------------------------------------------------------------

def check_keys(conf_rst, man5, label=""):
    all_ok = True
    for src, (rsec, msec) in KEY_SOURCES.items():
        keys = sorted(config_keys(src))
        rbody = rst_section(conf_rst, rsec)
        mbody = man_section(man5, msec)
        miss_r = [k for k in keys if rbody is None or not rst_has(rbody, k)]
        miss_m = [k for k in keys if mbody is None or not man_has(mbody, k)]
        ok = bool(keys) and not miss_r and not miss_m
        diag = []
        if not keys:
            diag.append("no keys found in %s: has the parser changed?" % src)
        if rbody is None:
            diag.append("configuration.rst has no section '%s'" % rsec)
        elif miss_r:
            diag.append("configuration.rst, section '%s', lacks: %s" %
                        (rsec, " ".join(miss_r)))
        if mbody is None:
            diag.append("nmb.yaml.5 has no section '%s'" % msec)
        elif miss_m:
            diag.append("nmb.yaml.5, section %s, lacks: %s" %
                        (msec, " ".join(miss_m)))
        tap(ok, "%severy key of %s (%d) is in configuration.rst and "
            "nmb.yaml(5)" % (label, src, len(keys)), diag)
        all_ok = all_ok and ok
    return all_ok


def key_aliases():
    """(new, old) spelling pairs of lib/conf_alias.c's table."""
    src = strip_c_comments(read("lib/conf_alias.c"))
    return re.findall(r'\{\s*"([a-z_]+)"\s*,\s*"([^"]+)"\s*\}', src)


def check_aliases(conf_rst, man5):
    """Every old spelling is documented as such, and no example in the
    documentation or in Documentation/examples/ still uses one."""
    pairs = key_aliases()
    plain = man_plain(man5)
    undoc = [o for k, o in pairs if ("``%s``" % o) not in conf_rst or
             o not in plain]
    tap(bool(pairs) and not undoc,
        "the old key spellings (%s) are documented in configuration.rst "
        "and nmb.yaml(5)" % " ".join(o for k, o in pairs),
        ["not documented: " + " ".join(undoc)] if undoc else
        ["no aliases found in lib/conf_alias.c"] if not pairs else [])
    texts = [(where, text) for where, kind, text in doc_yaml_examples()]
    ex = os.path.join(ROOT, "Documentation/examples")
    for f in sorted(os.listdir(ex)):
        texts.append(("Documentation/examples/" + f,
                      read("Documentation/examples/" + f)))
    uses = sorted(set("%s: %s" % (where, o) for where, text in texts
                      for k, o in pairs
                      if re.search(r"^\s*#?\s*%s:" % re.escape(o), text,
                                   re.M)))
    tap(bool(texts) and not uses, "no example (%d) uses an old key "
        "spelling" % len(texts), uses)


def check_commands(build):
    cmds = sorted(nmbctl_commands(build))
    man1 = man_section(read("Documentation/man/nmbctl.1"), "COMMANDS") or ""
    guide = read("Documentation/user-guide.rst")
    miss_m = [c for c in cmds if not man_has(man1, c)]
    miss_g = [c for c in cmds if ("``nmbctl %s" % c) not in guide]
    diag = []
    if miss_m:
        diag.append("nmbctl.1 COMMANDS lacks: " + " ".join(miss_m))
    if miss_g:
        diag.append("user-guide.rst lacks ``nmbctl CMD ...`` for: " +
                    " ".join(miss_g))
    tap(len(cmds) >= 5 and not miss_m and not miss_g,
        "every nmbctl subcommand (%d) is in nmbctl(1) and the user guide"
        % len(cmds), diag)


def check_options(build):
    for daemon, page in DAEMON_MAN.items():
        opts = sorted(daemon_options(build, daemon))
        text = man_section(read(page), "OPTIONS") or ""
        miss = [o for o in opts if not man_has(text, o)]
        tap(len(opts) >= 4 and not miss,
            "every option of %s --help (%d) is in %s" %
            (daemon, len(opts), os.path.basename(page)),
            ["missing: " + " ".join(miss)] if miss else [])


def check_man_render():
    pages = sorted(p for p in os.listdir(os.path.join(ROOT,
                                                      "Documentation/man"))
                   if re.search(r"\.[158]$", p))
    for p in pages:
        path = os.path.join(ROOT, "Documentation/man", p)
        first = open(path, encoding="utf-8").readline().rstrip("\n")
        errs = []
        if first != '.\\" SPDX-License-Identifier: GPL-2.0':
            errs.append("first line is not the SPDX tag")
        r = subprocess.run(["groff", "-man", "-ww", "-z", path],
                           capture_output=True, text=True)
        errs += r.stderr.splitlines()
        if shutil.which("man"):
            env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
            r = subprocess.run(["man", "--warnings", "-l", path],
                               capture_output=True, text=True, env=env)
            errs += r.stderr.splitlines()
            if r.returncode:
                errs.append("man exited %d" % r.returncode)
        tap(not errs, "man page %s renders without warnings" % p, errs)


def check_links():
    """Relative links of README.md and the files named by index.rst
    exist."""
    readme = read("README.md")
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)\)", readme)
               if "://" not in t]
    index = read("Documentation/index.rst")
    targets += [os.path.normpath(os.path.join("Documentation", t))
                for t in re.findall(r"^``([^`\s]+\.(?:rst|md|yaml|[158]))``",
                                    index, re.M)]
    missing = sorted(set(t for t in targets
                         if not os.path.exists(os.path.join(ROOT, t))))
    tap(bool(targets) and not missing,
        "the links of README.md and index.rst (%d) lead to files" %
        len(targets), ["missing: " + " ".join(missing)] if missing else [])


def check_udev():
    """udevadm verify (systemd >= 253) checks the rules; older udevadm
    has no offline check, so the test is skipped there."""
    rules = sorted(os.path.join(ROOT, "udev", r)
                   for r in os.listdir(os.path.join(ROOT, "udev"))
                   if r.endswith(".rules"))
    if not rules:
        tap(True, "udev rules verified # SKIP no rules in udev/")
        return
    bad = [os.path.basename(r) for r in rules
           if not open(r).readline().startswith(
               "# SPDX-License-Identifier: GPL-2.0")]
    r = subprocess.run(["udevadm", "verify", "--help"],
                       capture_output=True, text=True)
    if r.returncode:
        tap(not bad, "udev rules start with the SPDX tag"
            + ("" if bad else " # SKIP udevadm verify needs systemd >= 253"),
            ["no SPDX tag: " + " ".join(bad)] if bad else [])
        return
    r = subprocess.run(["udevadm", "verify"] + rules, capture_output=True,
                       text=True)
    tap(r.returncode == 0 and not bad, "udevadm verify accepts udev/*.rules",
        (r.stdout + r.stderr).splitlines()[-8:])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    def __init__(self, tmp, name, args):
        self.log = os.path.join(tmp, name + ".log")
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                  stderr=open(self.log, "w"))

    def alive_after(self, seconds):
        try:
            self.p.wait(seconds)
            return False
        except subprocess.TimeoutExpired:
            return True

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def text(self):
        with open(self.log) as f:
            return f.read()


def wait_for(path, seconds=5):
    end = time.time() + seconds
    while time.time() < end and not os.path.exists(path):
        time.sleep(0.05)
    return os.path.exists(path)


def rst_literal_blocks(text):
    """The literal blocks (after a paragraph ending in ::) of an .rst."""
    lines = text.split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip().endswith("::") and \
                not lines[i].lstrip().startswith(".."):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            ind = len(lines[i]) - len(lines[i].lstrip())
            body = []
            while j < len(lines) and (not lines[j].strip() or
                                      len(lines[j]) - len(lines[j].lstrip())
                                      > ind):
                body.append(lines[j])
                j += 1
            while body and not body[-1].strip():
                body.pop()
            if body:
                cut = min(len(l) - len(l.lstrip()) for l in body if l.strip())
                blocks.append("\n".join(l[cut:] for l in body) + "\n")
            i = j
        else:
            i += 1
    return blocks


def man_examples(text):
    """The .nf/.fi blocks of the EXAMPLES section of a man page."""
    sec = man_section(text, "EXAMPLES") or ""
    return [b.replace("\\e", "\\") + "\n" for b in
            re.findall(r"^\.nf\n(.*?)\n\.fi$", sec, re.S | re.M)]


def doc_yaml_examples():
    """(where, kind, text) of every configuration or import description
    example in the documentation; kind is server, exporter, agent or
    import, told by the top-level keys."""
    out = []
    sources = [(p, rst_literal_blocks(read(p))) for p in (
        "Documentation/configuration.rst", "Documentation/user-guide.rst",
        "Documentation/migration.rst", "Documentation/admin-guide.rst")]
    sources.append(("Documentation/man/nmb.yaml.5",
                    man_examples(read("Documentation/man/nmb.yaml.5"))))
    for where, blocks in sources:
        for b in blocks:
            top = set(re.findall(r"^([a-z_-]+):", b, re.M))
            if not top or re.search(r"^(\$ |python|\[|port =)", b, re.M):
                continue
            if "places" in top:
                kind = "exporter"
            elif top & {"listen", "tokens", "grace", "lease_max"}:
                kind = "server"
            elif "parts" in top:
                kind = "import"
            elif "server" in top:
                kind = "agent"
            else:
                continue
            out.append((where, kind, b))
    return out


def check_doc_examples(build, tmp, url, sock):
    """Every example in the documentation is accepted by the code."""
    secrets = os.path.join(tmp, "secrets")
    os.makedirs(secrets, exist_ok=True)
    crt, key = os.path.join(secrets, "server.crt"), \
        os.path.join(secrets, "server.key")
    have_tls = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-keyout", key, "-out", crt],
        capture_output=True).returncode == 0
    exporter_check = "--check" in daemon_options(build, "nmb-exporter")
    for k, (where, kind, text) in enumerate(doc_yaml_examples()):
        desc = "the %s example %d of %s is accepted" % (kind, k, where)
        if kind == "server":
            for path in set(re.findall(r"(/\S+\.token)\b", text)):
                tf = os.path.join(secrets, os.path.basename(path))
                with open(tf, "w") as f:
                    f.write("0123456789abcdef0123456789abcdef\n")
                text = text.replace(path, tf)
            text = re.sub(r"^(\s*state_file:\s*)\S+", lambda m: m.group(1)
                          + os.path.join(tmp, "state%d.json" % k), text,
                          flags=re.M)
            text = re.sub(r"^(\s*cert:\s*)\S+", lambda m: m.group(1) + crt,
                          text, flags=re.M)
            text = re.sub(r"^(\s*key:\s*)\S+", lambda m: m.group(1) + key,
                          text, flags=re.M)
            if "tls:" in text and not have_tls:
                tap(True, desc + " # SKIP openssl cannot make a certificate")
                continue
        if kind in ("agent", "exporter"):
            # the daemons refuse a ca-file they cannot read
            text = re.sub(r"^(\s*ca[-_]file:\s*)\S+",
                          lambda m: m.group(1) + crt, text, flags=re.M)
        f = os.path.join(tmp, "ex%d.yaml" % k)
        with open(f, "w") as fh:
            fh.write(text)
        if kind == "import":
            r = subprocess.run([os.path.join(build, "nmbctl"), "-s", sock,
                                "search", f], capture_output=True, text=True)
            tap(r.returncode == 0, desc, r.stderr.splitlines() +
                text.splitlines() if r.returncode else [])
            continue
        if kind == "exporter" and exporter_check:
            r = subprocess.run([os.path.join(build, "nmb-exporter"), "-c", f,
                                "--check"], capture_output=True, text=True)
            tap(r.returncode == 0, desc, (r.stdout + r.stderr).splitlines() +
                text.splitlines() if r.returncode else [])
            continue
        if kind == "server":
            args = [os.path.join(build, "nmb-server"), "-c", f, "--listen",
                    "127.0.0.1:%d" % free_port()]
        elif kind == "agent":
            args = [os.path.join(build, "nmb-agent"), "-c", f, "--socket",
                    os.path.join(tmp, "ex%d.sock" % k)]
        else:
            args = [os.path.join(build, "nmb-exporter"), "-c", f,
                    "--server", url, "--test-without-nmb-watch"]
        d = Daemon(tmp, "ex%d" % k, args)
        alive = d.alive_after(1.5)
        d.stop()
        log = d.text().splitlines()
        errs = [l for l in log if "ex%d.yaml" % k in l and "error" in l]
        tap(alive and not errs, desc, log[-8:] + text.splitlines()
            if not alive or errs else [])


def check_examples(build, tmp):
    ex = os.path.join(ROOT, "Documentation/examples")
    port = free_port()
    url = "ws://127.0.0.1:%d" % port
    sock = os.path.join(tmp, "agent.sock")
    started = []

    def start(name, args):
        d = Daemon(tmp, name, args)
        started.append(d)
        return d

    def accepted(d, file, what):
        alive = d.alive_after(1.5)
        log = d.text()
        conf_err = [l for l in log.splitlines()
                    if "error" in l and os.path.basename(file) in l]
        tap(alive and not conf_err, "%s accepts %s" %
            (what, os.path.relpath(file, ROOT)),
            log.splitlines()[-8:] if not alive or conf_err else [])
        return alive

    # A daemon with a configuration check option checks its example too.
    for daemon, name in (("nmb-server", "server.yaml"),
                         ("nmb-exporter", "exporter.yaml"),
                         ("nmb-agent", "agent.yaml")):
        if "--check" not in daemon_options(build, daemon):
            continue
        f = os.path.join(ex, name)
        r = subprocess.run([os.path.join(build, daemon), "-c", f, "--check"],
                           capture_output=True, text=True)
        tap(r.returncode == 0, "%s --check accepts %s" %
            (daemon, os.path.relpath(f, ROOT)),
            (r.stdout + r.stderr).splitlines()[-8:] if r.returncode else [])
    # The virtual place's example boots the guest of `make deps`.
    f = os.path.join(ex, "exporter-virtual.yaml")
    if not os.path.exists(os.path.join(ROOT, "build/virtual/vmlinuz")):
        tap(True, "nmb-exporter --check accepts %s # SKIP no guest in "
            "build/virtual (make deps)" % os.path.relpath(f, ROOT))
    else:
        r = subprocess.run([os.path.join(build, "nmb-exporter"), "-c", f,
                            "--check"], capture_output=True, text=True)
        tap(r.returncode == 0, "nmb-exporter --check accepts %s" %
            os.path.relpath(f, ROOT),
            (r.stdout + r.stderr).splitlines()[-8:] if r.returncode else [])
    try:
        f = os.path.join(ex, "server.yaml")
        srv = start("server", [os.path.join(build, "nmb-server"), "-c", f,
                               "--listen", "127.0.0.1:%d" % port])
        accepted(srv, f, "nmb-server")
        f = os.path.join(ex, "agent.yaml")
        agent = start("agent", [os.path.join(build, "nmb-agent"), "-c", f,
                                "--server", url, "--socket", sock])
        accepted(agent, f, "nmb-agent")
        # The example's place on the server above; its USB interface is
        # parsed but not served (no nmb_watch on the host).
        f = os.path.join(ex, "exporter.yaml")
        exp = start("exporter", [os.path.join(build, "nmb-exporter"), "-c",
                                 f, "--server", url,
                                 "--test-without-nmb-watch"])
        if accepted(exp, f, "nmb-exporter"):
            names = []
            for _ in range(50):
                r = subprocess.run([os.path.join(build, "nmbctl"), "-s",
                                    sock, "--json", "search"],
                                   capture_output=True, text=True)
                names = re.findall(r'"name":\s*"([^"]+)"', r.stdout)
                if names:
                    break
                time.sleep(0.1)
            tap(bool(names), "the exporter example's places reach the "
                "server (%s)" % ", ".join(names) or "none",
                exp.text().splitlines()[-5:] if not names else [])
        else:
            tap(False, "the exporter example's places reach the server")
        f = os.path.join(ex, "demo.yaml")
        if wait_for(sock):
            r = subprocess.run([os.path.join(build, "nmbctl"), "-s", sock,
                                "search", f], capture_output=True, text=True)
            tap(r.returncode == 0, "nmb-agent accepts the import description "
                "Documentation/examples/demo.yaml",
                (r.stderr.splitlines() + ["exit %d" % r.returncode])
                if r.returncode else [])
        else:
            tap(False, "nmb-agent accepts the import description "
                "Documentation/examples/demo.yaml", ["no agent socket"])
        exp.stop()
        check_doc_examples(build, tmp, url, sock)
    finally:
        for d in reversed(started):
            d.stop()


def self_test():
    """The key checks must fail when one key is missing."""
    conf_rst = read("Documentation/configuration.rst")
    man5 = read("Documentation/man/nmb.yaml.5")
    key = sorted(config_keys("daemon/exporter/config.c"))[0]
    broken_rst = conf_rst.replace("``%s``" % key, "``x%s``" % key)
    broken_man = man_plain(man5).replace("\\fB%s\\fP" % key,
                                         "\\fBx%s\\fP" % key)
    broken_man = re.sub(r"^(\.B\s+)%s\s*$" % re.escape(key), r"\1x" + key,
                        broken_man, flags=re.M)
    global n, failed
    saved = (n, failed)
    out = sys.stdout
    sys.stdout = open(os.devnull, "w")
    try:
        rst_ok = check_keys(broken_rst, man5)
        man_ok = check_keys(conf_rst, broken_man)
    finally:
        sys.stdout.close()
        sys.stdout = out
        n, failed = saved
    tap(not rst_ok and not man_ok,
        "the key check notices the key '%s' removed from configuration.rst "
        "or from nmb.yaml(5)" % key)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    build = os.path.abspath(args[0] if args else os.path.join(ROOT, "build"))
    print("TAP version 13")
    check_commands(build)
    check_keys(read("Documentation/configuration.rst"),
               read("Documentation/man/nmb.yaml.5"))
    self_test()
    check_aliases(read("Documentation/configuration.rst"),
                  read("Documentation/man/nmb.yaml.5"))
    check_options(build)
    check_man_render()
    check_links()
    check_udev()
    tmp = tempfile.mkdtemp(prefix="nmb-docs.")
    try:
        check_examples(build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)
    print("# %d passed, %d failed" % (n - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
