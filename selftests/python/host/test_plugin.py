# SPDX-License-Identifier: GPL-2.0
# test_plugin.py - the pytest plugin run by pytest itself (pytester, in a
# subprocess as a user runs it) against a fake agent: one reservation per
# session, returned after passing and failing tests and after a
# KeyboardInterrupt; --nmb-place, the marker, and the errors.

import os

import pytest

from conftest import status

TESTS = """
import os, signal, pytest

def test_first(nmb_place):
    assert nmb_place.tty("board.serial") == "/dev/ttyACM0"

def test_second(nmb_place):
    assert nmb_place.tcp("power.scpi") == ("localhost", 5025)

def test_fails(nmb_place):
    assert False, "the board said no"

@pytest.mark.nmb("other")
def test_marked(nmb_place):
    assert nmb_place.name == "other"

def test_interrupted(nmb_place):
    if os.environ.get("INTERRUPT"):
        os.kill(os.getpid(), signal.SIGINT)
"""


def run(pytester, agent, *args, env=None):
    pytester.makepyfile(test_board=TESTS)
    for k, v in (env or {}).items():
        os.environ[k] = v
    try:
        return pytester.runpytest_subprocess(
            "-p", "nmb.pytest_plugin", "--nmb-socket", agent.path, *args,
            timeout=60)
    finally:
        for k in env or {}:
            del os.environ[k]


def attached(agent):
    return {"attach": {"result": status() + status(place="other")}}


def test_returned_after_failing_test(pytester, agent):
    (pytester.path / ".nmb").mkdir()
    (pytester.path / ".nmb" / "demo.yaml").write_text(
        (agent_descr := "parts: {}\n"))
    (pytester.path / ".nmb" / "other.yaml").write_text(agent_descr)
    agent.reset(attached(agent))
    r = run(pytester, agent, "--nmb-place", "demo")
    r.assert_outcomes(passed=4, failed=1)
    m = agent.methods()
    # one reservation per place and session, both returned at the end
    assert m.count("reserve") == 2 and m.count("attach") == 2
    returned = [p["name"] for meth, p in agent.requests
                if meth == "return_reservation"]
    assert sorted(returned) == ["demo", "other"]
    assert m[-4:].count("return_reservation") == 2


def test_returned_after_keyboard_interrupt(pytester, agent):
    (pytester.path / ".nmb").mkdir()
    (pytester.path / ".nmb" / "demo.yaml").write_text("parts: {}\n")
    agent.reset(attached(agent))
    r = run(pytester, agent, "--nmb-place", "demo", "-k",
            "first or interrupted", env={"INTERRUPT": "1"})
    assert r.ret == 2
    r.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert ("return_reservation", {"name": "demo", "force": True}) in \
        agent.requests
    assert agent.methods()[-1] == "return_reservation"


def test_no_place_given(pytester, agent):
    r = run(pytester, agent, "-k", "first")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*no place for*give --nmb-place NAME or mark "
                            "it @pytest.mark.nmb*"])
    assert agent.requests == []


def test_agent_not_running(pytester, tmp_path):
    class Nowhere:
        path = str(tmp_path / "none.sock")
    r = run(pytester, Nowhere, "--nmb-place", "demo", "-k", "first")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*nmb: cannot attach demo: cannot connect to "
                            "nmb-agent at*is nmb-agent running?*"])


def test_unknown_place(pytester, agent):
    (pytester.path / ".nmb").mkdir()
    (pytester.path / ".nmb" / "demo.yaml").write_text("parts: {}\n")
    agent.reset({"reserve": {"error": "no place matches demo",
                             "kind": "not-found"}})
    r = run(pytester, agent, "--nmb-place", "demo", "-k", "first")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*nmb: cannot attach demo: no place matches "
                            "demo*"])
    assert "Traceback" not in r.stdout.str()
    assert "During handling" not in r.stdout.str()


def test_options_and_marker_documented(pytester):
    r = pytester.runpytest_subprocess("-p", "nmb.pytest_plugin", "--help")
    r.stdout.fnmatch_lines(["*--nmb-place=NAME*", "*--nmb-socket=PATH*"])
    r = pytester.runpytest_subprocess("-p", "nmb.pytest_plugin",
                                      "--markers")
    r.stdout.fnmatch_lines(["@pytest.mark.nmb(name)*"])
