# SPDX-License-Identifier: GPL-2.0
"""nmb.pytest_plugin - board tests in pytest (entry point pytest11 "nmb").

    pytest --nmb-place demo tests/

    def test_login(nmb_place):                    # the attached Place
        with Console(nmb_place.tty("board.serial")) as con:
            con.login()

    @pytest.mark.nmb("other")                     # this test's place
    def test_other(nmb_place): ...

A place is reserved and attached once per session, when the first test
asks for it, and detached and returned when the session ends: after
failing tests, errors and KeyboardInterrupt too.
"""

import pytest

from . import errors
from .agent import Agent


def pytest_addoption(parser):
    group = parser.getgroup("nmb", "nmb board farm")
    group.addoption("--nmb-place", metavar="NAME", default=None,
                    help="import description NAME[@PLACE] to reserve and "
                    "attach for the nmb_place fixture")
    group.addoption("--nmb-socket", metavar="PATH", default=None,
                    help="nmb-agent's control socket (default "
                    "$NMB_AGENT_SOCKET, /run/nmb/agent.sock)")
    group.addoption("--nmb-timeout", metavar="SECONDS", type=int,
                    default=None, help="how long attach waits for USB "
                    "devices (default: the agent's)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "nmb(name): the test runs on place NAME[@PLACE] "
        "(default: --nmb-place)")
    config._nmb_places = Places(config)
    config.add_cleanup(config._nmb_places.close)


class Places:
    """The places of a session, attached on first use."""

    def __init__(self, config):
        self.config = config
        self.attached = {}

    def get(self, ref):
        place = self.attached.get(ref)
        if place is None:
            agent = Agent(self.config.getoption("nmb_socket"))
            failed = None
            try:
                place = agent.attach(
                    ref, timeout=self.config.getoption("nmb_timeout"))
            except errors.NmbError as e:
                failed = "nmb: cannot attach %s: %s" % (ref, e)
            if failed:
                pytest.fail(failed, pytrace=False)
            self.attached[ref] = place
        return place

    def close(self):
        """Detaches and returns every place; an error is reported, the
        others are still returned."""
        failed = []
        while self.attached:
            ref, place = self.attached.popitem()
            try:
                place.close()
            except errors.NmbError as e:
                failed.append("%s: %s" % (ref, e))
        if failed:
            raise errors.NmbError("nmb: could not return " +
                                  "; ".join(failed))


@pytest.fixture(scope="session")
def _nmb_places(request):
    places = request.config._nmb_places
    yield places
    places.close()


@pytest.fixture
def nmb_place(request, _nmb_places):
    """The attached Place named by the test's @pytest.mark.nmb("NAME") or
    by --nmb-place."""
    marker = request.node.get_closest_marker("nmb")
    ref = marker.args[0] if marker and marker.args else \
        request.config.getoption("nmb_place")
    if not ref:
        pytest.fail("nmb: no place for %s; give --nmb-place NAME or mark "
                    "it @pytest.mark.nmb(\"NAME\")" % request.node.nodeid,
                    pytrace=False)
    return _nmb_places.get(ref)
