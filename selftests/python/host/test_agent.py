# SPDX-License-Identifier: GPL-2.0
# test_agent.py - nmb.Agent and nmb.Place against a fake nmb-agent: what
# each method sends, the errors with nmbctl's exit codes, attach as a
# context manager that detaches and returns on exit, on an exception and
# on KeyboardInterrupt, and the import description lookup.

import os
import threading
import time

import pytest

import nmb
from nmb import errors
from conftest import DEMO, status


def wait_for(cond, timeout=5):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_agent_not_running(tmp_path):
    a = nmb.Agent(str(tmp_path / "nothing.sock"))
    with pytest.raises(nmb.AgentNotRunning) as e:
        a.status()
    assert e.value.exit_code == 6
    assert "cannot connect to nmb-agent at %s" % (tmp_path / "nothing.sock") \
        in str(e.value)
    assert "is nmb-agent running?" in str(e.value)


def test_socket_from_environment(agent, monkeypatch):
    monkeypatch.setenv("NMB_AGENT_SOCKET", agent.path)
    assert nmb.Agent().socket == agent.path
    assert nmb.Agent().list() == []


@pytest.mark.parametrize("kind,cls,code", [
    ("not-found", nmb.NotFound, 3), ("conflict", nmb.Conflict, 4),
    ("invalid", nmb.UsageError, 2), ("timeout", nmb.Timeout, 5),
    ("unavailable", nmb.Unavailable, 7), ("internal", nmb.NmbError, 1)])
def test_error_kinds(agent, kind, cls, code):
    agent.reset({"return_reservation": {"error": "place xyz: no such "
                                        "reservation", "kind": kind}})
    with pytest.raises(cls) as e:
        nmb.Agent(agent.path).return_("xyz")
    assert e.value.exit_code == code
    assert str(e.value) == "place xyz: no such reservation"


def test_method_not_found(agent):
    agent.reset({"status": {"code": -32601, "error": "no such method"}})
    with pytest.raises(nmb.NmbError, match="as new as") as e:
        nmb.Agent(agent.path).status()
    assert e.value.exit_code == 1


def test_connection_lost(agent):
    agent.reset({"status": {"close": True}})
    with pytest.raises(nmb.AgentNotRunning, match="connection to nmb-agent "
                       "lost"):
        nmb.Agent(agent.path).status()


def test_answer_not_a_list(agent):
    agent.reset({"status": {"result": {"x": 1}}})
    with pytest.raises(nmb.NmbError, match="not a list"):
        nmb.Agent(agent.path).status()


def test_methods_and_params(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = nmb.Agent(agent.path)
    agent.reset({"get_reservations": {"result": [{"place_name": "rpi",
                                                  "user": "1"}]},
                 "search": {"result": []}})
    assert a.reserve("demo@rpi-3", priority=2) == "demo"
    a.return_("demo", force=True)
    a.detach("demo")
    a.search()
    a.search("demo")
    a.show("demo")
    a.show("@rpi-3")
    assert a.who() == [{"place_name": "rpi", "user": "1"}]
    assert agent.requests == [
        ("reserve", {"name": "demo", "import_description": DEMO,
                     "place_name": "rpi-3", "priority": 2}),
        ("return_reservation", {"name": "demo", "force": True}),
        ("detach", {"name": "demo"}),
        ("search", {"import_description": None}),
        ("search", {"import_description": DEMO}),
        ("get_reserved_place", {"name": "demo"}),
        ("get_place_by_name", {"place_name": "rpi-3"}),
        ("get_reservations", {}),
    ]


def test_description_lookup(tmp_path, monkeypatch):
    from nmb.agent import find_description
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / ".nmb").mkdir()
    (tmp_path / ".nmb" / "x.yaml").write_text(DEMO)
    assert find_description("x", cwd=str(sub), home="/nonexistent") == \
        str(tmp_path / ".nmb" / "x.yaml")
    home = tmp_path / "home"
    (home / ".config" / "nmb").mkdir(parents=True)
    (home / ".config" / "nmb" / "y.yaml").write_text(DEMO)
    assert find_description("y", cwd=str(sub), home=str(home)) == \
        str(home / ".config" / "nmb" / "y.yaml")
    with pytest.raises(nmb.NotFound, match="no import description z; "
                       "looked for .*/a/b/.nmb/z.yaml") as e:
        find_description("z", cwd=str(sub), home=str(home))
    assert e.value.exit_code == 3


@pytest.mark.parametrize("ref", ["", "@x", "demo@", "dir/demo"])
def test_bad_refs(agent, ref):
    with pytest.raises(nmb.UsageError) as e:
        nmb.Agent(agent.path).reserve(ref, DEMO)
    assert e.value.exit_code == 2


def test_description_too_large(agent, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("#" * (61 * 1024))
    with pytest.raises(nmb.UsageError, match="over 60 KiB"):
        nmb.Agent(agent.path).reserve(str(big))
    assert agent.requests == []


def test_attach_context_manager(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    agent.reset({"attach": {"result": status()}})
    with nmb.Agent(agent.path).attach("demo", timeout=7) as place:
        assert place.tty("board.serial") == "/dev/ttyACM0"
        assert place.nodes("board.serial")[1].startswith("/dev/serial/")
        assert place.vhci_port("board.serial") == 3
        assert place["board.serial"].busid == "3-1"
        assert place.tcp("power.scpi") == ("localhost", 5025)
        assert place.parts == ["board", "power"]
        assert agent.methods() == ["list", "reserve", "attach"]
        assert agent.requests[2][1] == {"name": "demo", "timeout": 7}
    assert agent.requests[3:] == [
        ("detach", {"name": "demo"}),
        ("return_reservation", {"name": "demo", "force": True})]


def test_interface_power(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    st = status()
    st[1].update(power="off", power_reason="QEMU killed by signal 9 (Killed)",
                 power_since=1796459390)
    agent.reset({"status": {"result": st}})
    place = nmb.Place(nmb.Agent(agent.path), "demo", [])
    place.refresh()
    i = place["power.scpi"]
    assert (i.power, i.power_reason, i.power_since) == (
        "off", "QEMU killed by signal 9 (Killed)", 1796459390)
    board = place["board.serial"]
    assert (board.power, board.power_reason, board.power_since) == (
        None, None, None)


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_attach_returns_on_exception(agent, tmp_path, monkeypatch, exc):
    monkeypatch.chdir(tmp_path)
    agent.reset({"attach": {"result": status()}})
    with pytest.raises(exc):
        with nmb.Agent(agent.path).attach("demo"):
            raise exc()
    assert agent.methods()[-2:] == ["detach", "return_reservation"]


def test_attach_keep(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    agent.reset({"attach": {"result": status()}})
    with nmb.Agent(agent.path).attach("demo", keep=True):
        pass
    assert agent.methods() == ["list", "reserve", "attach"]


def test_attach_held_reservation(agent):
    """A reservation held already is attached without a description."""
    agent.reset({"list": {"result": [{"place": "demo", "place_name": "p",
                                      "attached": False}]},
                 "attach": {"result": status()}})
    place = nmb.Agent(agent.path).attach("demo")
    assert agent.methods() == ["list", "attach"]
    place.close()
    with pytest.raises(nmb.Conflict, match="reserved at place p, not q"):
        nmb.Agent(agent.path).attach("demo@q")


def test_attach_failure_returns(agent, tmp_path, monkeypatch):
    """An attach that fails returns what it reserved."""
    monkeypatch.chdir(tmp_path)
    agent.reset({"attach": {"error": "board.serial: not up after 20 s",
                            "kind": "timeout"}})
    with pytest.raises(nmb.Timeout) as e:
        nmb.Agent(agent.path).attach("demo")
    assert e.value.exit_code == 5
    assert agent.methods() == ["list", "reserve", "attach", "detach",
                               "return_reservation"]


def test_interrupted_reserve_is_withdrawn(agent, tmp_path, monkeypatch):
    """KeyboardInterrupt while queued closes the connection (the agent
    withdraws the request) and returns nothing it did not get."""
    monkeypatch.chdir(tmp_path)
    agent.reset({"reserve": {"hang": True}})
    a = nmb.Agent(agent.path)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), 2))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        a.attach("demo")
    wait_for(lambda: "close" in agent.events[-1:])
    assert agent.methods() == ["list", "reserve"]


def test_place_errors(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    st = status()
    st[0]["nodes"] = ["/dev/sda"]
    st.append({"place": "demo", "part": "board", "interface": "otg",
               "type": "USB", "attached": True, "port": "4", "up": False,
               "busid": None, "nodes": []})
    st.append({"place": "other", "part": "x", "interface": "y",
               "type": "TCP", "attached": True, "port": "1", "up": True})
    agent.reset({"attach": {"result": st}})
    place = nmb.Agent(agent.path).attach("demo")
    with pytest.raises(nmb.NotFound, match="no interface board.nope .*"
                       "board.otg, board.serial, power.scpi"):
        place.tty("board.nope")
    with pytest.raises(nmb.UsageError, match="power.scpi is a TCP "
                       "interface, not USB") as e:
        place.tty("power.scpi")
    assert e.value.exit_code == 2
    with pytest.raises(nmb.UsageError, match="board.serial is a USB "
                       "interface, not TCP"):
        place.tcp("board.serial")
    with pytest.raises(nmb.UsageError, match="not a serial interface "
                       r"\(device nodes: /dev/sda\)"):
        place.tty("board.serial")
    with pytest.raises(nmb.Unavailable, match="board.otg is not attached "
                       "and up") as e:
        place.nodes("board.otg")
    assert e.value.exit_code == 7
    assert "x.y" not in place


def test_place_wait(agent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tty = tmp_path / "ttyACM0"
    tty.write_text("")
    up = status(str(tty))
    up[0]["nodes"] = [str(tty)]
    down = status(str(tty))
    down[0]["up"] = False
    agent.reset({"attach": {"result": up},
                 "status": [{"result": up}, {"result": down},
                            {"result": down}, {"result": up}]})
    place = nmb.Agent(agent.path).attach("demo")
    assert place.wait_down("board.serial", timeout=5).up is False
    assert place.wait_up("board.serial", timeout=5).up is True
    agent.reset({"status": {"result": down}})
    with pytest.raises(nmb.Timeout, match="board.serial not up after"):
        place.wait_up("board.serial", timeout=0.3)
