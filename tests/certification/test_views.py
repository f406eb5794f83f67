"""Certificate pages through the test client: navigators, trainers and managers."""

from flask import render_template
from sqlmodel import select

from navigator.certification import codes, reminders
from navigator.certification.models import Certificate, SignoffRequest
from navigator.learning.models import LessonCompletion
from tests.certification.conftest import TRACK, attempt, build_version, complete, issue
from tests.conftest import login


def test_the_track_page_shows_what_remains_and_issues_when_met(client, session, setup):
    login(client, setup.navigator)
    complete(session, setup.navigator, setup.version, final=70)
    html = client.get("/certificates/").get_data(as_text=True)
    assert "Certified tester" in html and "1 requirement left." in html
    assert "Final assessment: a score of at least 80%" in html and "Your best score: 70%" in html
    attempt(session, setup.navigator, setup.version, "final", 85)
    html = client.get("/certificates/").get_data(as_text=True)
    cert = session.exec(select(Certificate)).one()
    assert "Well done: your certificate" in html and "Certified." in html
    assert codes.display(cert.code) in html


def test_reading_the_last_lesson_issues_the_certificate(client, session, setup):
    """A successful POST to the learning pages checks the tracks, as would a quiz or outreach."""
    complete(session, setup.navigator, setup.version)
    last = session.exec(select(LessonCompletion)).all()[-1]
    session.delete(last)
    session.commit()
    assert issue(session, setup) is None
    login(client, setup.navigator)
    response = client.form("/learn/testing/modules/m2/lessons/l1/complete")
    assert response.status_code in (302, 303)
    cert = session.exec(select(Certificate)).one()
    assert cert.user_id == setup.navigator.id
    assert "Well done: your certificate" in client.get(response.headers["Location"],
                                                       follow_redirects=True).get_data(
        as_text=True)


def test_the_owner_and_the_programmes_managers_download_the_pdf(client, session, setup,
                                                                 certified, make_user,
                                                                 make_programme):
    url = f"/certificates/{certified.id}/certificate.pdf"
    login(client, setup.navigator)
    response = client.get(url, query_string={"paper": "letter"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "letter" in response.headers[
        "Content-Disposition"]
    assert client.get(url, query_string={"paper": "a3"}).status_code == 200  # A4 instead
    for stranger in (make_user("navigator", setup.programme),
                     make_user("manager", make_programme("Far away"))):
        assert login(client, stranger).get(url).status_code == 404
    assert login(client, make_user("manager", setup.programme)).get(url).status_code == 200


def test_the_home_panel_reminds_before_expiry(app, session, setup, certified):
    context = reminders.home_panel_context(session, setup.navigator.id, "en",
                                          on=certified.expires_on.replace(day=1))
    with app.test_request_context():
        html = render_template("certification/home_panel.html", **context)
    assert "expires in" in html and "See how to renew it" in html
    later = reminders.home_panel_context(session, setup.navigator.id, "en",
                                        on=certified.expires_on)
    with app.test_request_context():
        assert "expired on" in render_template("certification/home_panel.html", **later)


def test_a_trainer_signs_off_from_the_sign_off_page(client, session, setup, make_user):
    version = build_version(session, setup.programme, slug="signed",
                            track={**TRACK, "id": "signed", "trainer_signoff": True})
    complete(session, setup.navigator, version)
    login(client, setup.navigator)
    assert "A trainer will now sign off" in client.get("/certificates/").get_data(as_text=True)
    request = session.exec(select(SignoffRequest)).one()
    trainer = make_user("trainer", setup.programme, name="Tomas Trainer")
    login(client, trainer)
    page = client.get("/certificates/signoffs").get_data(as_text=True)
    assert "Amina Yusuf" in page
    empty = client.form(f"/certificates/signoffs/{request.id}/decline", {f"r{request.id}-note": ""})
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    response = client.form(f"/certificates/signoffs/{request.id}/approve")
    assert response.status_code == 302
    cert = session.exec(select(Certificate)).one()
    assert cert.issued_by == trainer.id
    assert "Nobody is waiting" in client.get("/certificates/signoffs").get_data(as_text=True)


def test_a_manager_revokes_and_reissues_with_field_errors_kept(client, session, setup,
                                                               certified, make_user):
    login(client, make_user("manager", setup.programme))
    page = client.get(f"/certificates/manage/{certified.id}").get_data(as_text=True)
    assert "Issued" in page and "The platform, automatically" in page
    bad = client.form(f"/certificates/manage/{certified.id}/reissue",
                      {"printed_name": "Amina Bello", "locale": "xx", "reason": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'value="Amina Bello"' in html
    assert "This field is required." in html
    ok = client.form(f"/certificates/manage/{certified.id}/reissue",
                     {"printed_name": "Amina Bello", "locale": "ar", "reason": "Name fixed."})
    assert ok.status_code == 302
    new = session.exec(select(Certificate).where(Certificate.id != certified.id)).one()
    assert ok.headers["Location"].endswith(f"/certificates/manage/{new.id}")
    empty = client.form(f"/certificates/manage/{new.id}/revoke", {"reason": ""})
    assert empty.status_code == 400
    done = client.form(f"/certificates/manage/{new.id}/revoke", {"reason": "Copied answers."})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Copied answers." in page and "Revoked" in page
    again = client.form(f"/certificates/manage/{new.id}/revoke", {"reason": "Twice."},
                        follow_redirects=True)
    assert "already revoked" in again.get_data(as_text=True)


def test_the_register_filters_by_status_and_dates(client, session, setup, certified, make_user,
                                                  make_programme):
    login(client, make_user("manager", setup.programme))
    html = client.get("/certificates/register").get_data(as_text=True)
    assert "1 certificate." in html and "Amina Yusuf" in html
    day = certified.issued_on.isoformat()
    for query, shown in ((f"status=valid&issued_from={day}", True), ("status=revoked", False),
                         (f"issued_to={certified.issued_on.replace(year=2000)}", False),
                         ("track=tester", True)):
        page = client.get(f"/certificates/register?{query}").get_data(as_text=True)
        assert ("Amina Yusuf" in page) is shown, query
    wrong = client.get(f"/certificates/register?issued_from={day}&issued_to=2000-01-01")
    assert "The end date is before the start date." in wrong.get_data(as_text=True)
    elsewhere = make_programme("Elsewhere")
    assert client.get(f"/certificates/register?programme={elsewhere.id}").status_code == 404
    login(client, make_user("manager", elsewhere))
    assert "Amina Yusuf" not in client.get("/certificates/register").get_data(as_text=True)


def test_the_pdf_comes_in_the_language_chosen_at_download(client, session, setup, certified,
                                                           tmp_path):
    from tests.certification.test_pdf import pdftotext

    url = f"/certificates/{certified.id}/certificate.pdf"
    login(client, setup.navigator)
    page = client.get("/certificates/").get_data(as_text=True)
    assert f'<option value="{certified.locale}" lang="en" selected>' in page
    assert "हिन्दी" in page and "US Letter" in page
    response = client.get(url, query_string={"lang": "hi", "paper": "letter"})
    assert response.status_code == 200
    assert f"certificate-{certified.code}-hi-letter.pdf" in response.headers[
        "Content-Disposition"]
    assert "जारीकरनेकीतारीख़" in pdftotext(response.data, tmp_path)  # "Issued on" in Hindi
    fallback = client.get(url, query_string={"lang": "xx"})
    assert f"-{certified.locale}-a4.pdf" in fallback.headers["Content-Disposition"]


def test_the_register_says_each_certificates_language(client, session, setup, certified,
                                                      make_user):
    certified.locale = "ar"
    session.commit()
    login(client, make_user("manager", setup.programme))
    html = client.get("/certificates/register").get_data(as_text=True)
    assert '<span lang="ar">العربية</span>' in html


def test_export_dates_are_written_in_the_readers_language(client, session, setup, make_user):
    from babel.dates import format_datetime

    from navigator.certification.models import ExportJob

    manager = make_user("manager", setup.programme)
    manager.locale = "fr"
    job = ExportJob(requested_by=manager.id, kind="csv",
                    filters={"programme_ids": [setup.programme.id]})
    session.add(job)
    session.commit()
    login(client, manager)
    html = client.get(f"/certificates/exports/{job.id}").get_data(as_text=True)
    assert format_datetime(job.created_at, "long", locale="fr", tzinfo="UTC") in html
    assert "/" not in format_datetime(job.created_at, "long", locale="fr", tzinfo="UTC")
