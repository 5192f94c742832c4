# SPDX-License-Identifier: GPL-2.0
# test_from_toml.py - nmb-from-toml on not-my-board-style place and import
# files: the YAML it prints (read back with python3-yaml) holds the same
# place, nmb-exporter --check accepts the exporter.yaml, and bad files get
# one line naming the file and the key.

import os
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

PLACE = """\
port = 2192

[[parts]]
compatible = ["raspberry-pi"]
usb.serial = { usbid = "1-4.2" }
tcp.ssh = { host = "10.0.0.3", port = 22 }

[[parts]]
compatible = ["my-power-supply", "quote\\"d: tag"]
tcp.scpi = { host = "192.168.116.8", port = 5025 }
"""

PLACE2 = """\
port = 2193
parts = []
"""

IMPORT = """\
auto_return_time = "1h30m"

[parts.pi]
compatible = ["raspberry-pi"]
usb.serial = { port_num = 1 }

[parts.power]
compatible = ["my-power-supply"]
tcp.scpi = { local_port = 5025 }

[parts."odd: name"]
compatible = ["x"]
usb.otg = {}
"""


def convert(tmp_path, *files, args=()):
    paths = []
    for name, text in files:
        p = tmp_path / name
        p.write_text(text)
        paths.append(str(p))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-m", "nmb.from_toml", *args,
                           *paths], capture_output=True, text=True,
                          env=env, timeout=30)


def test_place_files(tmp_path):
    r = convert(tmp_path, ("rpi-3.toml", PLACE), ("empty.toml", PLACE2),
                args=("--server", "ws://198.18.0.1:2092"))
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(r.stdout)
    assert doc == {
        "server": "ws://198.18.0.1:2092",
        "places": [
            {"name": "rpi-3", "port": 2192, "parts": [
                {"compatible": ["raspberry-pi"],
                 "usb": {"serial": {"usbid": "1-4.2"}},
                 "tcp": {"ssh": {"host": "10.0.0.3", "port": 22}}},
                {"compatible": ["my-power-supply", 'quote"d: tag'],
                 "tcp": {"scpi": {"host": "192.168.116.8",
                                  "port": 5025}}}]},
            {"name": "empty", "port": 2193, "parts": []}]}
    out = tmp_path / "exporter.yaml"
    out.write_text(r.stdout)
    exporter = os.path.join(os.environ.get("NMB_TEST_BUILD",
                                           os.path.join(ROOT, "build")),
                            "nmb-exporter")
    if not os.path.exists(exporter):
        pytest.fail("%s is not built" % exporter)
    c = subprocess.run([exporter, "-c", str(out), "--check"],
                       capture_output=True, text=True, timeout=30)
    assert c.returncode == 0, c.stderr + c.stdout


def test_import_description(tmp_path):
    r = convert(tmp_path, ("pi.toml", IMPORT))
    assert r.returncode == 0, r.stderr
    assert yaml.safe_load(r.stdout) == {
        "auto_return": "5400s",
        "parts": {
            "pi": {"compatible": ["raspberry-pi"],
                   "usb": {"serial": {"port_num": 1}}},
            "power": {"compatible": ["my-power-supply"],
                      "tcp": {"scpi": {"local_port": 5025}}},
            "odd: name": {"compatible": ["x"], "usb": {"otg": {}}}}}


@pytest.mark.parametrize("value,seconds", [
    ('"90s"', "90s"), ('"1w"', "604800s"), ('"2d3h"', "183600s"),
    ("600", "600s")])
def test_durations(tmp_path, value, seconds):
    r = convert(tmp_path, ("d.toml", "auto_return_time = %s\n[parts.a]\n"
                           "compatible = []\n" % value))
    assert yaml.safe_load(r.stdout)["auto_return"] == seconds


def test_duration_zero_means_none(tmp_path):
    r = convert(tmp_path, ("d.toml", 'auto_return_time = "0"\n[parts.a]\n'
                           'compatible = []\n'))
    assert "auto_return" not in yaml.safe_load(r.stdout)


@pytest.mark.parametrize("name,text,message", [
    ("bad.toml", "port = 2192\n[[parts]\n",
     "bad.toml: not TOML: .*line 2"),
    ("p.toml", "port = 0\n", "p.toml: port: expected a port number"),
    ("p.toml", "port = 1\n[[parts]]\ncompatible = 'x'\n",
     r"p.toml: parts\[0\].compatible: expected a list of strings"),
    ("p.toml", "port = 1\n[[parts]]\nusb.a = {}\n",
     r"p.toml: parts\[0\].compatible: missing"),
    ("p.toml", "port = 1\n[[parts]]\ncompatible = []\nusb.a = {}\n",
     r"p.toml: parts\[0\].usb.a.usbid: missing"),
    ("p.toml", "port = 1\n[[parts]]\ncompatible = []\n"
     "tcp.a = {host = 'h', port = 'x'}\n",
     r"p.toml: parts\[0\].tcp.a.port: expected a port number"),
    ("p.toml", "port = 1\nhost = 'x'\n",
     "p.toml: host: unknown key"),
    ("i.toml", "[parts.a]\ncompatible = []\nusb.s = {port_num = -1}\n",
     "i.toml: parts.a.usb.s.port_num: expected a number >= 0"),
    ("i.toml", "auto_return_time = '5 min'\n[parts.a]\ncompatible = []\n",
     "i.toml: auto_return_time: expected a duration"),
    ("i.toml", "[parts.a]\ncompatible = []\nusb = 3\n",
     "i.toml: parts.a.usb: expected a table, got an integer"),
    ("i.toml", "auto_return_time = '1h'\n",
     "i.toml: parts: missing or empty"),
    ("bin.toml", "\xff", "bin.toml: not UTF-8"),
])
def test_bad_files(tmp_path, name, text, message):
    p = tmp_path / name
    p.write_bytes(text.encode("latin-1") if "\xff" in text
                  else text.encode())
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-m", "nmb.from_toml", str(p)],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    import re
    assert re.search("nmb-from-toml: .*" + message, lines[0]), lines[0]


def test_usage_errors(tmp_path):
    r = convert(tmp_path)
    assert r.returncode == 2 and "usage: nmb-from-toml" in r.stderr
    r = convert(tmp_path, ("p.toml", PLACE), ("i.toml", IMPORT))
    assert r.returncode == 1 and "not both" in r.stderr
    r = convert(tmp_path, ("i.toml", IMPORT), args=("--server", "ws://x"))
    assert r.returncode == 1 and "place files only" in r.stderr
    r = convert(tmp_path, ("a.toml", PLACE), ("b/a.toml", PLACE)) \
        if (tmp_path / "b").mkdir() is None else None
    assert r.returncode == 1 and "place name \"a\" also comes from" \
        in r.stderr
    r = convert(tmp_path, args=("--bogus",))
    assert r.returncode == 2
