# SPDX-License-Identifier: GPL-2.0
# conftest.py - fixtures of the host tests of the nmb Python package: a
# fake nmb-agent (selftests/cli/fake_agent.py) on a temporary socket, the
# repository's paths, and pytester for the plugin's tests.

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "selftests", "cli"))
sys.path.insert(0, os.path.join(ROOT, "python"))

from fake_agent import FakeAgent  # noqa: E402


DEMO = ("parts:\n  board:\n    compatible: [demo-board]\n"
        "    usb:\n      serial: {port_num: 3}\n")


def status(tty="/dev/ttyACM0", scpi_port="5025", place="demo"):
    """The agent's status for the demo place."""
    return [
        {"place": place, "part": "board", "interface": "serial",
         "type": "USB", "attached": True, "port": "3", "up": True,
         "busid": "3-1", "nodes": [tty, "/dev/serial/by-path/x-usb-0:1:1.0"]},
        {"place": place, "part": "power", "interface": "scpi",
         "type": "TCP", "attached": True, "port": scpi_port, "up": True,
         "busid": None, "nodes": []},
    ]


class Agent(FakeAgent):
    """A FakeAgent whose list and status answer [] unless told."""

    def reset(self, responses=None):
        super().reset(dict({"list": {"result": []},
                            "status": {"result": []}}, **(responses or {})))


@pytest.fixture
def agent(tmp_path):
    """A fake agent on tmp_path/agent.sock; tmp_path/.nmb/demo.yaml."""
    (tmp_path / ".nmb").mkdir()
    (tmp_path / ".nmb" / "demo.yaml").write_text(DEMO)
    a = Agent(str(tmp_path / "agent.sock"))
    a.reset()
    yield a
    a.close()


@pytest.fixture
def root():
    return ROOT
