#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# run_pytest.py - runs Debian's pytest on test files and prints the result
# as TAP for selftests/run_all.sh: pytest's own output as "# " comments,
# then one "ok N - test" line per test case from pytest's JUnit XML.
#
# Usage: run_pytest.py [PYTEST ARGS...]   (run with /usr/bin/python3)
#
# NMB_TAP_FIRST=K numbers the results from K and leaves the plan and the
# summary to the caller (a suite with results of its own around them).

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    # The plugin is loaded with -p from the tree, never also through the
    # entry point of a copy installed on this machine.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, "python"), HERE] +
        [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    with tempfile.TemporaryDirectory(prefix="nmb-pytest-") as tmp:
        xml = os.path.join(tmp, "junit.xml")
        p = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
             "-o", "junit_family=xunit1", "--junitxml", xml, "-rfE",
             "--basetemp", os.path.join(tmp, "base")] + sys.argv[1:],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace")
        for line in p.stdout:
            print("# " + line.rstrip("\n"), flush=True)
        rc = p.wait()
        try:
            cases = ET.parse(xml).getroot().iter("testcase")
        except (OSError, ET.ParseError) as e:
            print("not ok 1 - pytest wrote no results (exit %d): %s"
                  % (rc, e))
            print("1..1")
            return 1
        first = int(os.environ.get("NMB_TAP_FIRST", "1"))
        n = failed = 0
        for c in cases:
            n += 1
            k = first + n - 1
            name = "%s::%s" % (c.get("classname"), c.get("name"))
            bad = c.find("failure")
            if bad is None:
                bad = c.find("error")
            skip = c.find("skipped")
            if bad is not None:
                failed += 1
                print("not ok %d - %s" % (k, name))
                for line in (bad.get("message") or "").splitlines()[:20]:
                    print("#   " + line)
            elif skip is not None:
                print("ok %d - %s # SKIP %s" % (k, name,
                                                 skip.get("message", "")))
            else:
                print("ok %d - %s" % (k, name))
        if n == 0:
            print("not ok %d - pytest ran no test (exit %d)" % (first, rc))
            n, failed = 1, 1
        if first == 1:
            print("1..%d" % n)
            print("# %d passed, %d failed" % (n - failed, failed))
        return 1 if failed or rc not in (0, 1) else 0


if __name__ == "__main__":
    sys.exit(main())
