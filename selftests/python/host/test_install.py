# SPDX-License-Identifier: GPL-2.0
# test_install.py - the package installed two ways, each then used from
# outside the source tree: `make python-install DESTDIR=...` (what `make
# install` runs: Debian's dist-packages, the pytest11 entry point, the
# nmb-from-toml command) and `pip install ./python` (offline, with
# Debian's setuptools).

import os
import shutil
import subprocess
import sys

from conftest import ROOT

PI = "[parts.pi]\ncompatible = [\"raspberry-pi\"]\n"


def check_installed(site, script, tmp_path):
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    r = subprocess.run([sys.executable, "-c", "import nmb; "
                        "print(nmb.__file__)"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=30)
    assert r.stdout.startswith(site), r.stdout + r.stderr
    # the plugin is found through its pytest11 entry point alone
    r = subprocess.run([sys.executable, "-m", "pytest", "-p",
                        "no:cacheprovider", "--help"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=60)
    assert "--nmb-place=NAME" in r.stdout, r.stdout + r.stderr
    (tmp_path / "pi.toml").write_text(PI)
    r = subprocess.run([script, str(tmp_path / "pi.toml")],
                       capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 0 and "compatible: [\"raspberry-pi\"]" \
        in r.stdout, r.stderr


def test_make_install(tmp_path):
    dest = tmp_path / "dest"
    r = subprocess.run(["make", "-s", "-C", ROOT, "python-install",
                        "DESTDIR=%s" % dest], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    site = str(dest / "usr/lib/python3/dist-packages")
    # Debian's python3 looks there
    assert "/usr/lib/python3/dist-packages" in subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print(sys.path)"],
        capture_output=True, text=True).stdout
    check_installed(site, str(dest / "usr/bin/nmb-from-toml"), tmp_path)


def test_pip_install(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "python"), src)
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                        "--no-build-isolation", "--no-deps", "--no-index",
                        "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    check_installed(str(site), str(site / "bin" / "nmb-from-toml"),
                    tmp_path)


def test_standard_library_only():
    """Everything but the pytest plugin imports without site-packages."""
    r = subprocess.run(
        ["/usr/bin/python3", "-S", "-I", "-c",
         "import sys; sys.path.insert(0, %r); import nmb, nmb.agent, "
         "nmb.place, nmb.serial, nmb.power, nmb.gpio, nmb.from_toml, "
         "nmb.errors; print(sorted(m for m in sys.modules if "
         "m.startswith('yaml') or m.startswith('pytest')))"
         % os.path.join(ROOT, "python")],
        capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr
