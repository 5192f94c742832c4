# SPDX-License-Identifier: GPL-2.0
"""nmb.from_toml - converts not-my-board's TOML files to nmb's YAML.

    nmb-from-toml [--server URL] PLACE.toml...   an exporter.yaml
    nmb-from-toml IMPORT.toml                    an import description

A place file (``port`` and a list ``[[parts]]`` with ``usb.NAME =
{usbid}`` and ``tcp.NAME = {host, port}``) becomes one entry of
exporter.yaml's ``places``, named after the file as not-my-board does.
An import description (a table ``[parts.NAME]`` with ``usb.NAME =
{port_num}`` and ``tcp.NAME = {local_port}``, optionally
``auto_return_time``) becomes the YAML nmbctl reads from ``.nmb/``.

TOML is parsed by Python's tomllib; the YAML is written with every string
quoted as JSON, which YAML reads as is. Errors name the file and the key.
"""

import json
import os
import re
import sys
import tomllib

FILE_MAX = 1024 * 1024
DURATION = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConvertError(Exception):
    pass


def q(value):
    """A YAML scalar: strings quoted as JSON, numbers as they are."""
    return json.dumps(value, ensure_ascii=False)


class Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, key, msg):
        raise ConvertError("%s: %s: %s" % (self.path, key, msg))

    def table(self, value, key):
        if not isinstance(value, dict):
            self.fail(key, "expected a table, got %s" % kind(value))
        return value

    def known(self, table, key, allowed):
        for k in table:
            if k not in allowed:
                self.fail("%s.%s" % (key, k) if key else k,
                          "unknown key (known: %s)"
                          % ", ".join(sorted(allowed)))

    def string(self, value, key):
        if not isinstance(value, str):
            self.fail(key, "expected a string, got %s" % kind(value))
        return value

    def port(self, value, key):
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 1 <= value <= 65535:
            self.fail(key, "expected a port number 1..65535, got %r"
                      % (value,))
        return value

    def number(self, value, key):
        if isinstance(value, bool) or not isinstance(value, int) or \
                value < 0:
            self.fail(key, "expected a number >= 0, got %r" % (value,))
        return value

    def compatible(self, part, key):
        tags = part.get("compatible")
        if tags is None:
            self.fail(key + ".compatible", "missing (a list of tags)")
        if not isinstance(tags, list) or \
                not all(isinstance(t, str) for t in tags):
            self.fail(key + ".compatible", "expected a list of strings")
        return tags

    def interfaces(self, part, key, kind_, fields):
        """{name: {field: value}} of part[kind_] ("usb" or "tcp");
        fields maps each allowed field to its checker."""
        out = {}
        ifaces = self.table(part.get(kind_, {}), "%s.%s" % (key, kind_))
        for name, iface in ifaces.items():
            ikey = "%s.%s.%s" % (key, kind_, name)
            iface = self.table(iface, ikey)
            self.known(iface, ikey, fields)
            for f, check in fields.items():
                if f not in iface:
                    if check[1]:
                        self.fail("%s.%s" % (ikey, f), "missing")
                    continue
                iface[f] = check[0](iface[f], "%s.%s" % (ikey, f))
            out[name] = iface
        return out


def kind(value):
    return {dict: "a table", list: "an array", str: "a string",
            bool: "a boolean", int: "an integer",
            float: "a float"}.get(type(value), type(value).__name__)


def load(path):
    try:
        with open(path, "rb") as f:
            data = f.read(FILE_MAX + 1)
    except OSError as e:
        raise ConvertError("%s: cannot read: %s" % (path, e.strerror))
    if len(data) > FILE_MAX:
        raise ConvertError("%s: over %d KiB" % (path, FILE_MAX // 1024))
    try:
        return tomllib.loads(data.decode())
    except UnicodeDecodeError:
        raise ConvertError("%s: not UTF-8 text" % path)
    except tomllib.TOMLDecodeError as e:
        raise ConvertError("%s: not TOML: %s" % (path, e))


def is_place(doc):
    """A place file has a list of parts; an import description a table."""
    return isinstance(doc.get("parts"), list) or "port" in doc


def seconds(text, c):
    """not-my-board's auto_return_time ("10h", "1h30m", "1w", "0") in
    seconds."""
    if isinstance(text, int) and not isinstance(text, bool):
        return c.number(text, "auto_return_time")
    text = c.string(text, "auto_return_time").strip()
    if text == "0":
        return 0
    total, pos = 0, 0
    for m in DURATION.finditer(text):
        if m.start() != pos:
            break
        total += int(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        c.fail("auto_return_time", "expected a duration such as 90s, 30m, "
               "1h30m, 2d or 1w, got %r" % text)
    return total


def place_yaml(path, doc):
    """The lines of one exporter.yaml places entry."""
    c = Checker(path)
    c.known(doc, "", {"port", "parts"})
    name = os.path.basename(path)
    name = name[:-len(".toml")] if name.endswith(".toml") else name
    if "port" not in doc:
        c.fail("port", "missing (the place's TCP port)")
    port = c.port(doc["port"], "port")
    parts = doc.get("parts", [])
    if not isinstance(parts, list):
        c.fail("parts", "expected an array of tables ([[parts]])")
    lines = ["  - name: " + q(name), "    port: %d" % port,
             "    parts:" if parts else "    parts: []"]
    for i, part in enumerate(parts):
        key = "parts[%d]" % i
        part = c.table(part, key)
        c.known(part, key, {"compatible", "usb", "tcp"})
        tags = c.compatible(part, key)
        usb = c.interfaces(part, key, "usb", {"usbid": (c.string, True)})
        tcp = c.interfaces(part, key, "tcp", {"host": (c.string, True),
                                              "port": (c.port, True)})
        lines.append("      - compatible: " + q(tags))
        lines += section("        ", "usb", usb)
        lines += section("        ", "tcp", tcp)
    return lines


def section(indent, kind_, ifaces):
    if not ifaces:
        return []
    return [indent + kind_ + ":"] + [
        "%s  %s: %s" % (indent, q(n), q(v)) for n, v in ifaces.items()]


def import_yaml(path, doc):
    """The lines of an import description."""
    c = Checker(path)
    c.known(doc, "", {"parts", "auto_return_time"})
    lines = []
    if "auto_return_time" in doc:
        s = seconds(doc["auto_return_time"], c)
        if s:
            lines.append("auto_return: %ds" % s)
        else:
            lines.append("# auto_return_time 0 (never): no auto_return")
    parts = c.table(doc.get("parts", {}), "parts")
    if not parts:
        c.fail("parts", "missing or empty (a table [parts.NAME])")
    lines.append("parts:")
    for name, part in parts.items():
        key = "parts.%s" % name
        part = c.table(part, key)
        c.known(part, key, {"compatible", "usb", "tcp"})
        tags = c.compatible(part, key)
        usb = c.interfaces(part, key, "usb",
                           {"port_num": (c.number, False)})
        tcp = c.interfaces(part, key, "tcp",
                           {"local_port": (c.port, False)})
        lines.append("  %s:" % q(name))
        lines.append("    compatible: " + q(tags))
        lines += section("    ", "usb", usb)
        lines += section("    ", "tcp", tcp)
    return lines


def convert(paths, server=None):
    """The YAML text for the TOML files paths: an exporter.yaml for place
    files, an import description for one import file."""
    docs = [(p, load(p)) for p in paths]
    places = [is_place(d) for _, d in docs]
    if any(places) and not all(places):
        raise ConvertError("%s: give place files or one import "
                           "description, not both" % ", ".join(paths))
    head = ["# converted by nmb-from-toml from " + ", ".join(
        os.path.basename(p) for p in paths).replace("\n", " ")]
    if all(places):
        names = {}
        lines = head + (["server: " + q(server)] if server else []) + \
            ["places:"]
        for p, d in docs:
            entry = place_yaml(p, d)
            if entry[0] in names:
                raise ConvertError("%s: place name %s also comes from %s"
                                   % (p, entry[0][10:], names[entry[0]]))
            names[entry[0]] = p
            lines += entry
        return "\n".join(lines) + "\n"
    if len(docs) != 1:
        raise ConvertError("one import description at a time, got %d "
                           "files" % len(docs))
    if server:
        raise ConvertError("--server applies to place files only")
    return "\n".join(head + import_yaml(*docs[0])) + "\n"


USAGE = """usage: nmb-from-toml [--server URL] FILE.toml...
Converts not-my-board TOML to nmb YAML on stdout: place files (one or
more) to an exporter.yaml, an import description to .nmb/NAME.yaml.
"""


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    server = None
    paths = []
    while args:
        a = args.pop(0)
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if a == "--server" or a.startswith("--server="):
            server = a[len("--server="):] if "=" in a else \
                (args.pop(0) if args else None)
            if not server:
                sys.stderr.write("nmb-from-toml: --server needs a URL\n"
                                 + USAGE)
                return 2
        elif a.startswith("-") and a != "-":
            sys.stderr.write("nmb-from-toml: unknown option %s\n" % a
                             + USAGE)
            return 2
        else:
            paths.append(a)
    if not paths:
        sys.stderr.write(USAGE)
        return 2
    try:
        sys.stdout.write(convert(paths, server))
    except ConvertError as e:
        sys.stderr.write("nmb-from-toml: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
