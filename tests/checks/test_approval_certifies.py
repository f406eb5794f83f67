"""A trainer's approval of the check a navigator's track still needed issues the certificate at
once, with its signed Open Badge, without the navigator opening any page."""

from __future__ import annotations

from sqlmodel import select

from navigator.certification.models import BadgeCredential, Certificate, SignoffRequest
from navigator.checks.models import ChatbotCheck
from navigator.checks.views_review import APPROVED_HOOK
from tests.certification.conftest import (
    TRACK,
    build_version,
    complete,
    setup,  # noqa: F401 - a fixture
)
from tests.conftest import login

from .conftest import submitted

PRACTICAL = {**TRACK, "id": "practical", "chatbot_checks": 1}


def _approve(app, trainer, check_id: int) -> str:
    """Approve through the trainer's form; the page the trainer lands on."""
    client = login(app.test_client(), trainer)
    response = client.form(f"/checks/{check_id}/approve", {"approve-note": "Thorough."})
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _certificates(session, version_id: int) -> list[Certificate]:
    session.rollback()  # a fresh snapshot, to see what the request wrote
    session.expire_all()
    return session.exec(select(Certificate).where(Certificate.version_id == version_id)).all()


def _status(session, check_id: int) -> str:
    session.rollback()
    session.expire_all()
    return session.get(ChatbotCheck, check_id).status


def test_approving_the_last_check_issues_the_certificate_at_once(
        app, session, setup, make_user, proto):  # noqa: F811
    version = build_version(session, setup.programme, slug="practical", track=PRACTICAL)
    complete(session, setup.navigator, version)
    check = submitted(session, setup.navigator, setup.programme, proto)
    assert _certificates(session, version.id) == []

    page = _approve(app, make_user("trainer", setup.programme), check.id)

    [cert] = _certificates(session, version.id)  # the navigator opened nothing
    assert cert.user_id == setup.navigator.id and cert.track_id == "practical"
    assert session.exec(select(BadgeCredential).where(
        BadgeCredential.certificate_id == cert.id)).first() is not None
    assert "in the programme&#39;s library" in page
    assert ("With this check the navigator has completed “Certified tester”: their certificate "
            "is issued.") in page
    assert "Amina" not in page  # the flash names no one


def test_a_navigator_still_missing_a_module_is_not_certified_by_the_approval(
        app, session, setup, make_user, proto):  # noqa: F811
    version = build_version(session, setup.programme, slug="practical", track=PRACTICAL)
    complete(session, setup.navigator, version, skip=("m2",))
    check = submitted(session, setup.navigator, setup.programme, proto)

    page = _approve(app, make_user("trainer", setup.programme), check.id)

    assert _status(session, check.id) == "approved"
    assert _certificates(session, version.id) == []
    assert "in the programme&#39;s library" in page and "With this check" not in page


def test_a_track_with_a_sign_off_asks_for_it_at_once(app, session, setup, make_user,  # noqa: F811
                                                      proto):
    version = build_version(session, setup.programme, slug="practical",
                            track={**PRACTICAL, "trainer_signoff": True})
    complete(session, setup.navigator, version)
    check = submitted(session, setup.navigator, setup.programme, proto)

    page = _approve(app, make_user("trainer", setup.programme), check.id)

    assert _certificates(session, version.id) == []
    request = session.exec(select(SignoffRequest)).one()
    assert request.user_id == setup.navigator.id and request.status == "pending"
    assert "their certificate now waits for a trainer&#39;s sign-off." in page


def test_when_issuing_fails_the_approval_stands(app, session, setup, make_user,  # noqa: F811
                                                proto):
    version = build_version(session, setup.programme, slug="practical", track=PRACTICAL)
    complete(session, setup.navigator, version)
    check = submitted(session, setup.navigator, setup.programme, proto)
    real = app.extensions[APPROVED_HOOK]

    def breaks_after_writing(s, user_id):
        # A fault injected into the app's own hook: it issues, then fails unexpectedly, so
        # the test sees that what it wrote is undone and the approval is not.
        real(s, user_id)
        raise RuntimeError("issuing broke")

    app.extensions[APPROVED_HOOK] = breaks_after_writing
    page = _approve(app, make_user("trainer", setup.programme), check.id)

    assert _status(session, check.id) == "approved"
    assert _certificates(session, version.id) == []
    assert "in the programme&#39;s library" in page and "With this check" not in page
    # As before: the navigator's next visit to the certificates page issues it.
    navigator = login(app.test_client(), setup.navigator)
    assert "Well done: your certificate" in navigator.get("/certificates/").get_data(as_text=True)
    assert len(_certificates(session, version.id)) == 1


def test_without_certification_the_approval_only_approves(app, session, setup,  # noqa: F811
                                                          make_user, proto):
    version = build_version(session, setup.programme, slug="practical", track=PRACTICAL)
    complete(session, setup.navigator, version)
    check = submitted(session, setup.navigator, setup.programme, proto)
    del app.extensions[APPROVED_HOOK]  # as when the certification blueprint is not registered

    page = _approve(app, make_user("trainer", setup.programme), check.id)

    assert _status(session, check.id) == "approved"
    assert _certificates(session, version.id) == []
    assert "in the programme&#39;s library" in page
