# SPDX-License-Identifier: GPL-2.0
# test_login.py - nmb.Agent.login() against a fake nmb-agent: the
# login_url notification reaches on_url (or stdout, as nmbctl prints it)
# before the result, hub is passed on, the errors keep nmbctl's exit
# codes, other notifications are ignored, and nothing but the claims
# comes back. The real agent's login is in selftests/agent/farm_auth_test.py.

import pytest

import nmb

URL = "https://idp.example/authorize?state=s1&nonce=n1"
HUB = "http://hub.example:2092"
RESULT = {"hub": HUB, "claims": {"sub": "u-1", "preferred_username": "al"}}


def login_answer(**extra):
    return dict({"notify": [["progress", {"text": "x"}],
                            ["login_url", {"url": URL, "hub": HUB}]],
                 "result": RESULT}, **extra)


def test_login_streams_url_then_result(agent):
    agent.reset({"login": login_answer()})
    seen = []
    r = nmb.Agent(agent.path).login(on_url=lambda u, h: seen.append((u, h)))
    assert seen == [(URL, HUB)]
    assert r == RESULT
    assert agent.requests == [("login", {})]


def test_login_hub_and_default_printing(agent, capsys):
    agent.reset({"login": login_answer()})
    r = nmb.Agent(agent.path).login(hub=HUB)
    assert agent.requests == [("login", {"hub": HUB})]
    out = capsys.readouterr().out
    assert out.startswith("Open this URL in a browser to log in to %s:\n\n"
                          "    %s\n" % (HUB, URL))
    assert r["claims"] == RESULT["claims"]


def test_login_result_without_claims(agent):
    agent.reset({"login": {"result": {"hub": HUB}}})
    assert nmb.Agent(agent.path).login(on_url=print) == {"hub": HUB,
                                                         "claims": {}}


def test_login_answer_not_an_object(agent):
    agent.reset({"login": {"result": ["x"]}})
    with pytest.raises(nmb.NmbError, match="not an object"):
        nmb.Agent(agent.path).login(on_url=print)


@pytest.mark.parametrize("kind,cls,code,msg", [
    ("invalid", nmb.UsageError, 2,
     "Authentication error: the user denied it (access_denied)"),
    ("unavailable", nmb.Unavailable, 7,
     "identity provider unreachable: https://idp.example: refused"),
    ("conflict", nmb.Conflict, 4, "a login is running already")])
def test_login_errors(agent, kind, cls, code, msg):
    agent.reset({"login": {"error": msg, "kind": kind}})
    with pytest.raises(cls) as e:
        nmb.Agent(agent.path).login(on_url=print)
    assert e.value.exit_code == code and str(e.value) == msg


def test_login_timeout(agent):
    agent.reset({"login": {"hang": True,
                           "notify": [["login_url", {"url": URL}]]}})
    seen = []
    with pytest.raises(nmb.Timeout):
        nmb.Agent(agent.path).login(on_url=lambda u, h: seen.append(h),
                                    timeout=0.5)
    assert seen == [None]
