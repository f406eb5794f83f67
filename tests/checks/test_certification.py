"""A certification track can ask for approved chatbot checks as a practical item."""

from __future__ import annotations

import pytest

from navigator.certification.eligibility import Facts, Track, evaluate
from navigator.checks import services
from tests.certification.conftest import (
    TRACK,
    build_version,
    complete,
    issue,
    setup,  # noqa: F401 - a fixture
)
from tests.conftest import login
from tests.test_curricula import tiny

from .conftest import submitted, who


def test_the_track_rule_counts_approved_checks():
    track = Track.parse({"id": "t", "modules": "all", "chatbot_checks": 2})
    assert track.chatbot_checks == 2 and Track.parse({"id": "t"}).chatbot_checks == 0
    facts = Facts(modules=(), has_final=False, final_best=None, final_quiz_mark=None,
                  outreach_sessions=0, chatbot_checks=1)
    result = evaluate(track, facts)
    assert [(r.kind, r.done, r.have, r.need) for r in result.requirements] == \
        [("checks", False, 1, 2)]
    assert evaluate(track, Facts((), False, None, None, 0, chatbot_checks=2)).eligible


def test_a_certificate_waits_for_an_approved_check(app, session, setup, make_user,  # noqa: F811
                                                   proto):
    version = build_version(session, setup.programme, slug="practical",
                            track={**TRACK, "id": "practical", "chatbot_checks": 1})
    complete(session, setup.navigator, version)
    assert issue(session, setup) is None
    client = login(app.test_client(), setup.navigator)
    page = client.get("/certificates/").get_data(as_text=True)
    assert "1 chatbot check approved by a trainer" in page and "You have 0 approved." in page
    check = submitted(session, setup.navigator, setup.programme, proto)
    trainer = make_user("trainer", setup.programme)
    assert issue(session, setup) is None  # submitted is not approved
    services.approve(session, who(session, trainer), check.id)
    session.commit()
    cert = issue(session, setup)
    assert cert is not None and cert.track_id == "practical"


@pytest.mark.parametrize("value", ["two", -1])
def test_the_course_package_checks_the_number(tmp_path, value):
    from navigator.learning import package

    root = tiny(tmp_path)
    course = root / "course.yaml"
    course.write_text(course.read_text() + f"track:\n  id: t\n  chatbot_checks: {value}\n")
    problems = package.load_package(root).problems
    assert any("track chatbot_checks must be a whole number" in p.message for p in problems)
