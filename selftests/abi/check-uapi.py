#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Keeps include/uapi/linux/nmb_watch.h in step with the netlink spec: reads
# the YAML, writes the names and values the ynl generator would produce as
# C static assertions, and lets the compiler check them against the header.
import re
import subprocess
import sys
import tempfile

import yaml


def c_name(*parts):
    return "_".join(p.upper().replace("-", "_") for p in parts if p)


def expectations(spec):
    fam = spec["name"]
    out = []   # (C expression, expected value or string)
    out.append((c_name(fam, "family-name"), '"%s"' % fam))
    out.append((c_name(fam, "family-version"), str(spec.get("version", 1))))
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            out.append((c_name(fam, d["name"]), str(d["value"])))
        elif d["type"] == "enum":
            val = d.get("value-start", 0)
            for e in d["entries"]:
                name = e["name"] if isinstance(e, dict) else e
                out.append((c_name(fam, d["name"], name), str(val)))
                val += 1
    for aset in spec["attribute-sets"]:
        val = 1
        for a in aset["attributes"]:
            val = a.get("value", val)
            out.append((c_name(fam, "a", aset["name"], a["name"]), str(val)))
            val += 1
        out.append((c_name(fam, "a", aset["name"], "max"), str(val - 1)))
    val = 1
    for op in spec["operations"]["list"]:
        val = op.get("value", val)
        out.append((c_name(fam, "cmd", op["name"]), str(val)))
        val += 1
    out.append((c_name(fam, "cmd", "max"), str(val - 1)))
    for g in spec["mcast-groups"]["list"]:
        out.append((c_name(fam, "mcgrp", g["name"]), '"%s"' % g["name"]))
    return out


def main():
    spec_path, header = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    checks = expectations(spec)
    lines = ['#include <string.h>', '#include "%s"' % header]
    for i, (name, value) in enumerate(checks):
        if value.startswith('"'):
            lines.append('_Static_assert(sizeof(%s) == sizeof(%s), '
                         '"%s: spec says %s");'
                         % (name, value, name, value.replace('"', "'")))
            lines.append('static const char s%d[] = %s;' % (i, name))
        else:
            lines.append('_Static_assert((%s) == %s, "%s: spec says %s");'
                         % (name, value, name, value))
    # String values are compared at run time (strcmp is not constant).
    lines.append('int main(void) { int bad = 0;')
    for i, (name, value) in enumerate(checks):
        if value.startswith('"'):
            lines.append('if (strcmp(s%d, %s)) bad = 1;' % (i, value))
    lines.append('return bad; }')
    # Every NMB_WATCH_* name the header defines must come from the spec.
    with open(header) as f:
        text = f.read()
    defined = set(re.findall(r'\b(NMB_WATCH_[A-Z0-9_]+)\b', text))
    defined -= {n for n in defined if n.startswith("__")}
    expected = {name for name, _ in checks}
    extra = sorted(n for n in defined - expected
                   if not n.startswith("_UAPI") and n != "NMB_WATCH_H")
    with tempfile.TemporaryDirectory() as tmp:
        src = tmp + "/check.c"
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        cc = subprocess.run(["cc", "-std=c11", "-Werror", "-o",
                             tmp + "/check", src],
                            capture_output=True, text=True)
        if cc.returncode:
            print(cc.stderr, file=sys.stderr)
            return 1
        if subprocess.run([tmp + "/check"]).returncode:
            print("string values differ", file=sys.stderr)
            return 1
    if extra:
        print("names in the header but not in the spec: " + ", ".join(extra),
              file=sys.stderr)
        return 1
    print("# %d names and values agree" % len(checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
