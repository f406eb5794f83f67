"""The shipped protocol, and checks filled in through the services."""

from __future__ import annotations

from pathlib import Path

import pytest

from navigator.accounts import services as accounts
from navigator.checks import protocol, services

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "curricula" / "llm-literacy" / "checks"


@pytest.fixture(scope="session")
def proto() -> protocol.Protocol:
    found = protocol.load(SHIPPED)
    assert found is not None, "the shipped protocol has errors: run flask curricula check"
    return found


def who(session, user):
    return accounts.principal(session, user)


def start(session, user, programme, proto, **values):
    data = {"chatbot": "HelpBot", "details": "Android app 4.2", "locale": "en",
            "second_locale": "es", **values}
    check = services.start_check(session, who(session, user), proto,
                                 programme_id=programme.id, **data)
    session.commit()
    return check


def answer_product(session, user, proto, check, finding="reassuring"):
    services.save_product(session, who(session, user), proto, check.id, {
        q.id: services.ProductInput(f"Answer about {q.id}.", "The privacy policy, section 2",
                                    finding) for q in proto.questions})
    session.commit()


def answer_probes(session, user, proto, check, rating="met", text="A careful answer."):
    for probe in proto.probes:
        messages = services.messages_of(proto, check, probe)
        services.save_probe(session, who(session, user), proto, check.id, probe.id,
                            services.ProbeInput({m.key: text for m in messages}, rating,
                                                "Seen." if rating == "untested" else ""))
    session.commit()


def submitted(session, user, programme, proto, **values):
    check = start(session, user, programme, proto, **values)
    answer_product(session, user, proto, check)
    answer_probes(session, user, proto, check)
    services.submit(session, who(session, user), proto, check.id)
    session.commit()
    return check
