"""Automatic runs over real HTTP: the embedded model's own /v1 on loopback, and a deliberately
broken server (down, slow, garbage). Whatever happens, the answers already received stay."""

from __future__ import annotations

import time

import pytest

from navigator.checks import runner, services
from navigator.sandbox import web
from navigator.sandbox.client import EndpointBadResponse, EndpointTimeout, EndpointUnavailable
from tests.sandbox_api.conftest import api_user, broken, live, token  # noqa: F401 - fixtures

from .conftest import start, who


@pytest.fixture
def app(app_factory):
    """Allowed to call endpoints on loopback: every server here is on it."""
    return app_factory(ENDPOINTS_ALLOW_PRIVATE=True)


@pytest.fixture
def navigator(make_programme, make_user):
    return make_user("navigator", make_programme("Alpha"))


def _count(proto, check) -> int:
    return sum(len(services.messages_of(proto, check, p)) for p in proto.probes)


def test_the_embedded_model_answers_every_probe_over_its_own_api(app, session, navigator, proto,
                                                                  live, token):  # noqa: F811
    with app.app_context():
        web.box().engine()  # trained once per process: the first answer is not kept waiting
    check = start(session, navigator, navigator_programme(session, navigator), proto,
                  locale="sw", second_locale="en")
    ask = runner.client_asker(live.url, token, "navigator-sandbox-tuned",
                              until=time.monotonic() + 60, allow_private=True)
    result = runner.run_automatically(session, who(session, navigator), proto, check.id, ask,
                                        "navigator-sandbox-tuned")
    assert (result.answered, result.remaining, result.error) == (_count(proto, check), 0, None)
    stored = services.probe_answers(session, check.id)
    assert all(row.answer.strip() and row.how == "auto" for row in stored.values())
    # Each message went in its own language: the Swahili probe, and the English second one.
    assert stored[("language", "ask")].locale == "sw"
    assert stored[("language", "other_language")].locale == "en"


def navigator_programme(session, user):
    from sqlmodel import select

    from navigator.accounts.models import Membership, Programme

    pid = session.exec(select(Membership.programme_id).where(Membership.user_id == user.id)).one()
    return session.get(Programme, pid)


def _then(first_url: str, then_url: str, *, until: float, answered_first: int = 2):
    """An asker that sends the first messages to one server and the rest to another."""
    good = runner.client_asker(first_url, "k", "broken-model", until=until, allow_private=True)
    bad = runner.client_asker(then_url, "k", "broken-model", until=until, allow_private=True)
    calls = []

    def ask(text: str) -> str:
        calls.append(text)
        return (good if len(calls) <= answered_first else bad)(text)

    return ask


@pytest.mark.parametrize("behaviour, error", [
    ("down", EndpointUnavailable), ("hang", EndpointTimeout), ("malformed", EndpointBadResponse),
    ("html", EndpointBadResponse)])
def test_a_broken_server_keeps_what_was_answered(session, navigator, proto, broken,  # noqa: F811
                                                 behaviour, error):
    check = start(session, navigator, navigator_programme(session, navigator), proto)
    me = who(session, navigator)
    began = time.monotonic()
    ask = _then(broken.url("ok"), broken.url(behaviour), until=began + 2)
    result = runner.run_automatically(session, me, proto, check.id, ask, "broken-model")
    assert time.monotonic() - began < 6
    assert result.answered == 2 and isinstance(result.error, error)
    assert result.remaining == _count(proto, check) - 2
    assert [row.answer for row in services.probe_answers(session, check.id).values()] == \
        ["Hello there", "Hello there"]
    # Later, with the server back, only the rest is sent.
    sent_before = broken.hits["ok"]
    ask = runner.client_asker(broken.url("ok"), "k", "broken-model",
                              until=time.monotonic() + 10, allow_private=True)
    again = runner.run_automatically(session, me, proto, check.id, ask, "broken-model")
    assert again.answered == _count(proto, check) - 2 and again.error is None
    assert broken.hits["ok"] - sent_before == _count(proto, check) - 2


def test_an_address_the_platform_may_not_call_is_refused(session, navigator, proto):
    check = start(session, navigator, navigator_programme(session, navigator), proto)
    ask = runner.client_asker("http://169.254.169.254/v1", "k", "m",
                              until=time.monotonic() + 5, allow_private=True)
    result = runner.run_automatically(session, who(session, navigator), proto, check.id, ask,
                                        "metadata")
    assert result.answered == 0 and result.error is not None
    assert services.probe_answers(session, check.id) == {}
