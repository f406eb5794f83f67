"""Issuing, once and only once; sign-off; revoking; reissuing; renewal; the manager's reach."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.services import principal
from navigator.certification import (
    certificates,
    codes,
    issuing,
    ledger,
    manage,
    signoff,
    tracks,
)
from navigator.certification import reminders as certificate_reminders
from navigator.certification.models import Certificate, CertificateEvent, SignoffRequest
from navigator.errors import Conflict, Invalid, NotFound
from tests.certification.conftest import (
    TRACK,
    attempt,
    build_version,
    complete,
    days_ago,
    issue,
    log_outreach,
)


def _certs(s: Session, user_id: int) -> list[Certificate]:
    s.expire_all()
    return list(s.exec(select(Certificate).where(Certificate.user_id == user_id)))


def test_nothing_is_issued_until_every_requirement_is_met(session, setup):
    complete(session, setup.navigator, setup.version, skip=("m2",))
    assert issue(session, setup) is None
    attempt(session, setup.navigator, setup.version, "m2/quiz", 100)  # lesson still unread
    assert issue(session, setup) is None
    assert _certs(session, setup.navigator.id) == []


def test_the_final_must_reach_the_tracks_pass_mark(session, setup):
    complete(session, setup.navigator, setup.version, final=75)  # quiz passes at 50, track: 80
    assert issue(session, setup) is None
    attempt(session, setup.navigator, setup.version, "final", 80)
    assert issue(session, setup) is not None


def test_an_issued_certificate_records_what_the_issue_asks(session, setup, certified):
    setup.navigator.certificate_name = "Amina B. Yusuf"
    cert = certified
    assert cert.printed_name == "Amina Yusuf"  # the name as it was when issued
    assert (cert.programme_id, cert.course_id, cert.version_id, cert.track_id) == (
        setup.programme.id, setup.course.id, setup.version.id, "tester")
    assert cert.locale == "en" and cert.issued_by is None
    assert cert.expires_on == cert.issued_on.replace(year=cert.issued_on.year + 2)
    assert codes.normalise(cert.code) == cert.code and len(cert.code) == 10
    trail = manage.audit_trail(session, cert.id)
    assert [(r.event.action, r.actor) for r in trail] == [("issued", None)]
    assert certificates.status_of(cert) == "valid"


def test_checking_again_issues_nothing_more(session, setup, certified):
    assert issue(session, setup) is None
    assert [c.id for c in _certs(session, setup.navigator.id)] == [certified.id]


def test_concurrent_checks_store_one_certificate(app, session, setup):
    """Eight requests find the same completion at once: one row, the same answer for all."""
    complete(session, setup.navigator, setup.version)
    engine = app.extensions["navigator.db"]
    barrier = threading.Barrier(8)
    results, errors = [], []

    def check():
        try:
            barrier.wait(timeout=10)
            with app.app_context(), db.write_session(engine) as s:
                _a, outcome = issuing.issue_if_eligible(s, setup.navigator.id, setup.course,
                                                         setup.version)
                head = _a.head
                results.append((head.id, outcome is not None))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    certs = _certs(session, setup.navigator.id)
    assert len(certs) == 1
    assert {cert_id for cert_id, _created in results} == {certs[0].id}
    assert sum(created for _id, created in results) == 1  # one caller issued, seven found it
    assert len(session.exec(select(CertificateEvent)).all()) == 1


def test_the_database_refuses_a_second_certificate_for_one_completion(session, certified):
    twin = Certificate(**{**certified.model_dump(exclude={"id"}), "code": codes.new_code()})
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    same_code = Certificate(**{**certified.model_dump(exclude={"id"}), "completion_key": None})
    session.add(same_code)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_outreach_sessions_count_toward_the_practical_requirement(session, setup, make_user):
    version = build_version(session, setup.programme, slug="practical",
                            track={**TRACK, "id": "practical", "outreach_sessions": 3})
    complete(session, setup.navigator, version)
    log_outreach(session, setup.navigator, setup.programme, 2)
    assert issue(session, setup) is None
    log_outreach(session, setup.navigator, setup.programme, 1)
    cert = issue(session, setup)
    assert cert is not None and cert.track_id == "practical"


def test_a_track_asking_for_sign_off_waits_for_a_trainer(session, setup, make_user,
                                                         make_programme):
    version = build_version(session, setup.programme, slug="signed",
                            track={**TRACK, "id": "signed", "trainer_signoff": True})
    complete(session, setup.navigator, version)
    assert issue(session, setup) is None
    request = session.exec(select(SignoffRequest)).one()
    assert (request.status, request.programme_id) == ("pending", setup.programme.id)
    assert issue(session, setup) is None  # asked once
    assert len(session.exec(select(SignoffRequest)).all()) == 1

    stranger = principal(session, make_user("trainer", make_programme()))
    with pytest.raises(NotFound):
        signoff.approve_signoff(session, stranger, request.id)
    trainer_user = make_user("trainer", setup.programme)
    trainer = principal(session, trainer_user)
    with pytest.raises(Invalid):
        signoff.decline_signoff(session, trainer, request.id, "  ")
    signoff.decline_signoff(session, trainer, request.id, "Come to one more supervised session.")
    session.commit()
    assert issue(session, setup) is None  # declined: nothing issued, nothing asked again
    cert = signoff.approve_signoff(session, trainer, request.id)
    session.commit()
    assert cert.issued_by == trainer_user.id and cert.track_id == "signed"
    assert [(r.event.action, r.actor) for r in manage.audit_trail(session, cert.id)] == [
        ("issued", trainer_user.display_name)]
    with pytest.raises(Conflict):
        signoff.approve_signoff(session, trainer, request.id)


def test_revoking_needs_a_reason_and_happens_once(session, setup, certified, make_user):
    manager_user = make_user("manager", setup.programme)
    manager = principal(session, manager_user)
    with pytest.raises(Invalid):
        manage.revoke(session, manager, certified.id, " ")
    cert = manage.revoke(session, manager, certified.id, "Obtained by copying answers.")
    session.commit()
    assert certificates.status_of(cert) == "revoked" and cert.revoked_by == manager_user.id
    with pytest.raises(Conflict):
        manage.revoke(session, manager, certified.id, "again")
    trail = manage.audit_trail(session, cert.id)
    assert [(r.event.action, r.actor, r.event.reason) for r in trail][-1] == (
        "revoked", manager_user.display_name, "Obtained by copying answers.")
    # A revoked completion is not issued again automatically.
    assert issue(session, setup) is None


def test_reissuing_supersedes_the_old_certificate(session, setup, certified, make_user):
    manager = principal(session, make_user("manager", setup.programme))
    key = certified.completion_key
    new = manage.reissue(session, manager, certified.id, printed_name="Amina Bello Yusuf",
                         locale="ar", reason="The family name was missing.")
    session.commit()
    old = session.get(Certificate, certified.id)
    session.refresh(old)
    assert certificates.status_of(old) == "superseded" and old.superseded_by == new.id
    assert old.completion_key is None and new.completion_key == key
    assert new.code != old.code and new.printed_name == "Amina Bello Yusuf"
    assert (new.issued_on, new.expires_on, new.locale) == (old.issued_on, old.expires_on, "ar")
    assert [r.event.action for r in manage.audit_trail(session, old.id)] == [
        "issued", "superseded"]
    assert [(r.event.action, r.related_code) for r in manage.audit_trail(session, new.id)] == [
        ("reissued", codes.display(old.code))]
    with pytest.raises(Conflict):
        manage.reissue(session, manager, old.id, printed_name="X", locale="en", reason="r")
    assert issue(session, setup) is None  # the completion already has its certificate
    with pytest.raises(Invalid):
        manage.reissue(session, manager, new.id, printed_name="", locale="en", reason="r")


def test_managers_reach_only_their_programmes(session, setup, certified, make_user,
                                              make_programme):
    other = principal(session, make_user("manager", make_programme("Elsewhere")))
    with pytest.raises(NotFound):
        manage.get_managed(session, other, certified.id)
    with pytest.raises(NotFound):
        manage.revoke(session, other, certified.id, "no")
    with pytest.raises(NotFound):
        manage.filters_for(session, other, programme_id=setup.programme.id)
    mine = manage.filters_for(session, other, programme_id=None)
    assert manage.register(session, mine)[1] == 0
    admin = principal(session, make_user("admin"))
    assert manage.get_managed(session, admin, certified.id).id == certified.id


def test_renewal_opens_before_expiry_and_asks_for_the_final_again(session, setup):
    complete(session, setup.navigator, setup.version, when=days_ago(700))
    issued_on = date.today() - timedelta(days=700)  # expires in about 30 days
    first = issue(session, setup, on=issued_on)
    assert first.expires_on - date.today() < timedelta(days=60)
    assert issue(session, setup) is None  # in the window, but no fresh pass yet
    reminders = certificate_reminders.reminders(session, setup.navigator.id, "ar")
    assert [(r.title, r.status) for r in reminders] == [("مختبر معتمد", "valid")]
    attempt(session, setup.navigator, setup.version, "final", 95)
    renewed = issue(session, setup)
    assert renewed is not None and renewed.cycle == 1 and renewed.issued_on == date.today()
    assert certificate_reminders.reminders(session, setup.navigator.id, "en") == []
    context = certificate_reminders.home_panel_context(session, setup.navigator.id, "en")
    assert context["certificates_held"] == 2 and context["certificate_reminders"] == []


def test_a_new_course_version_shows_what_must_be_retaken(session, setup, certified):
    newer = build_version(session, setup.programme, number=2, modules=("m1", "m2", "m3"),
                          body="A lesson, rewritten.")
    views = tracks.track_views(session, setup.navigator.id, "en")
    assert len(views) == 1 and views[0].newer.id == newer.id
    assert [(c.slug, c.change, c.done) for c in views[0].changes] == [
        ("m1", "changed", False), ("m2", "changed", False), ("m3", "new", False)]
    # Completing the new version earns a certificate for it.
    complete(session, setup.navigator, newer)
    cert = issue(session, setup)
    assert cert.version_id == newer.id and cert.cycle == 0
    assert tracks.track_views(session, setup.navigator.id, "en")[0].newer is None


def test_track_views_show_progress_before_enrolling(session, setup):
    views = tracks.track_views(session, setup.navigator.id, "en")
    assert [v.title for v in views] == ["Certified tester"]
    remaining = views[0].assessment.evaluation.remaining
    assert [r.kind for r in remaining] == ["module", "module", "final"]
    assert views[0].module_titles == {"m1": "Module m1", "m2": "Module m2"}


def test_certificates_go_to_a_programme_offering_the_course(session, setup, make_programme):
    programme = make_programme("Not offering")
    accounts.add_role(session, setup.navigator, programme, "navigator")
    session.commit()
    assert ledger.certificate_programme(session, setup.navigator.id,
                                          setup.course.id) == setup.programme.id


def test_outreach_reports_learn_who_is_certified(app, session, setup, certified):
    hook = app.extensions["navigator.outreach.certified_ids"]
    assert hook(session, setup.programme.id) == {setup.navigator.id}
