"""Outreach through HTTP: logging on a phone, editing, sites, reports, exports."""

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlmodel import select

from navigator.accounts import services as accounts
from navigator.db import utcnow
from navigator.outreach import sample, services
from navigator.outreach.models import OutreachActivity, OutreachChange
from tests.conftest import login
from tests.outreach.helpers import log


@pytest.fixture
def team(make_programme, make_user):
    programme = make_programme("Riverside")
    return programme, {role: make_user(role, programme)
                       for role in ("navigator", "manager", "trainer")}


def key_of(page: str) -> str:
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)


def form_data(key: str, **changes) -> dict:
    data = {"submission_key": key, "held_on": (utcnow().date() - timedelta(days=1)).isoformat(),
            "minutes": "60", "setting": "community_centre", "site": "other",
            "languages": ["en", "sw"], "people": "14", "age_under_18": "4", "age_18_29": "",
            "gender_woman": "9", "tasks": ["privacy"], "referral_crisis": "1",
            "note": "Lots of questions about chatbots."}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def activities(session):
    session.commit()  # end the test's read snapshot: the app wrote in its own transaction
    return session.exec(select(OutreachActivity)).all()


def test_logging_a_session_twice_makes_one(app, client, session, team):
    _programme, people = team
    login(client, people["navigator"])
    page = client.get("/outreach/new").get_data(as_text=True)
    assert "Never write down the names" in page and 'inputmode="numeric"' in page
    key = key_of(page)
    first = client.form("/outreach/new", form_data(key))
    assert first.status_code == 302
    again = client.form("/outreach/new", form_data(key))  # a double tap, or a retry
    assert again.headers["Location"] == first.headers["Location"]
    [activity] = activities(session)
    assert activity.people == 14 and activity.age_under_18 == 4 and activity.age_18_29 is None
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already saved" in shown and "Lots of questions about chatbots." in shown
    assert "Kiswahili" in shown and "Crisis line or emergency service: 1" in shown
    # A fresh form gets a fresh key.
    assert key_of(client.get("/outreach/new").get_data(as_text=True)) != key


def test_errors_keep_everything_typed(client, session, team):
    _programme, people = team
    login(client, people["navigator"])
    key = key_of(client.get("/outreach/new").get_data(as_text=True))
    response = client.form("/outreach/new", form_data(key, setting="", age_under_18="10",
                                                      age_30_49="9", minutes="sixty"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and not activities(session)
    assert "The age groups add up to 19, more than the 14 people reached." in page
    assert "This field is required." in page and "Enter a whole number." in page
    assert 'value="10"' in page and 'value="9"' in page and "Lots of questions" in page
    assert re.search(r'value="sw"[^>]*checked|checked[^>]*value="sw"', page)
    assert key_of(page) == key  # the retry still finds the same activity


def test_a_note_with_personal_data_asks_before_saving(client, session, team):
    _programme, people = team
    login(client, people["navigator"])
    key = key_of(client.get("/outreach/new").get_data(as_text=True))
    note = "Her number is ٠٧١٢ ٣٤٥ ٦٧٨, email amina@example.org"
    warned = client.form("/outreach/new", form_data(key, note=note))
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200 and not activities(session)
    assert "a phone number" in page and "an e-mail address" in page
    assert 'name="confirm_note"' in page and note in page
    # The warning comes with other errors too, before the note ever reaches the service.
    both = client.form("/outreach/new", form_data(key, note=note, setting=""))
    assert "a phone number" in both.get_data(as_text=True)
    saved = client.form("/outreach/new", form_data(key, note=note, confirm_note="y"))
    assert saved.status_code == 302 and activities(session)[0].note == note


def test_navigators_of_two_programmes_choose_one(client, session, team, make_programme):
    programme, people = team
    second = make_programme("Hillside")
    accounts.add_role(session, people["navigator"], second, "navigator")
    session.commit()
    login(client, people["navigator"])
    chooser = client.get("/outreach/new").get_data(as_text=True)
    assert "Riverside" in chooser and "Hillside" in chooser
    assert client.get(f"/outreach/new?programme={second.id}").status_code == 200
    assert client.get(f"/outreach/new?programme={make_programme().id}").status_code == 404


def test_the_edit_window_closes(app_factory, session, team):
    programme, people = team
    activity = log(session, people["navigator"], programme, minutes=45)
    open_app = app_factory()
    client = login(open_app.test_client(), people["navigator"])
    page = client.get(f"/outreach/{activity.id}/edit").get_data(as_text=True)
    assert 'value="45"' in page
    data = form_data("", minutes="50", note="", age_under_18=None, gender_woman=None,
                     referral_crisis=None)
    assert client.form(f"/outreach/{activity.id}/edit", data).status_code == 302
    closed = login(app_factory(OUTREACH_EDIT_DAYS=0).test_client(), people["navigator"])
    locked = closed.get(f"/outreach/{activity.id}/edit")
    assert locked.status_code == 403 and "0 days" in locked.get_data(as_text=True)
    assert "locked" in closed.get(f"/outreach/{activity.id}").get_data(as_text=True)
    assert closed.form(f"/outreach/{activity.id}/edit", data).status_code == 403


def test_managers_correct_and_the_change_is_shown(client, session, team):
    programme, people = team
    activity = log(session, people["navigator"], programme, minutes=60)
    activity.created_at = utcnow() - timedelta(days=90)
    session.commit()
    login(client, people["manager"])
    page = client.get(f"/outreach/{activity.id}/edit").get_data(as_text=True)
    assert "What you corrected and why" in page
    data = form_data("", minutes="90", setting="clinic", languages=["en"], people="12",
                     age_under_18=None, gender_woman=None, referral_crisis=None, tasks=None,
                     note=None, reason="Typed 60 for 90")
    assert client.form(f"/outreach/{activity.id}/edit", data).status_code == 302
    shown = client.get(f"/outreach/{activity.id}").get_data(as_text=True)
    assert "Manager" in shown and "Length in minutes: 60 → 90" in shown
    assert "Typed 60 for 90" in shown
    assert len(session.exec(select(OutreachChange)).all()) == 1


def test_own_list_shows_what_can_still_be_changed(client, session, team):
    programme, people = team
    fresh = log(session, people["navigator"], programme)
    old = log(session, people["navigator"], programme, held_on=utcnow().date() - timedelta(
        days=40))
    old.created_at = utcnow() - timedelta(days=40)
    session.commit()
    page = login(client, people["navigator"]).get("/outreach/").get_data(as_text=True)
    assert f"/outreach/{fresh.id}/edit" in page and f"/outreach/{old.id}/edit" not in page
    assert "Locked" in page and "2 sessions logged" in page


def test_sites_are_managed_by_managers(client, session, team):
    programme, people = team
    login(client, people["manager"])
    url = f"/outreach/programmes/{programme.id}/sites"
    assert client.form(url, {"name": "Eastside library"}).status_code == 302
    clash = client.form(url, {"name": "eastside LIBRARY"})
    assert clash.status_code == 200 and "already has a site" in clash.get_data(as_text=True)
    assert 'value="eastside LIBRARY"' in clash.get_data(as_text=True)
    site = services.list_sites(session, programme.id)[0]
    assert client.form(f"/outreach/sites/{site.id}", {"name": "East library",
                                                      "archived": "y"}).status_code == 302
    session.commit()
    session.refresh(site)
    assert site.name == "East library" and site.archived
    # An archived site is not offered to navigators any more.
    form = login(client, people["navigator"]).get("/outreach/new").get_data(as_text=True)
    assert "East library" not in form
    login(client, people["manager"])
    log(session, people["navigator"], programme)  # at another place: the site stays unused
    assert client.form(f"/outreach/sites/{site.id}/delete").status_code == 302
    assert services.list_sites(session, programme.id) == []


def test_a_site_in_use_is_not_deleted(client, session, team):
    programme, people = team
    manager = accounts.principal(session, people["manager"])
    site = services.add_site(session, manager, programme.id, "Harbour clinic")
    session.commit()
    log(session, people["navigator"], programme, site_id=site.id)
    login(client, people["manager"])
    response = client.form(f"/outreach/sites/{site.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in response.get_data(as_text=True)
    assert services.list_sites(session, programme.id)


@pytest.fixture
def sampled(app, session, team):
    programme, people = team
    with app.test_request_context():
        sample.generate(session, programme_name=programme.name, activities=60, navigators=8,
                        months=3, seed=5)
    session.commit()
    return programme, people


def test_the_report_page_is_accessible(client, sampled):
    programme, people = sampled
    login(client, people["trainer"])
    page = client.get(f"/outreach/programmes/{programme.id}/report").get_data(as_text=True)
    assert page.count('role="img"') >= 9
    for chart_id in re.findall(r'<svg class="chart" id="([^"]+)"', page):
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in page
        assert f'<title id="{chart_id}-title">' in page and f'<desc id="{chart_id}-desc">' in page
    assert '<th scope="col">' in page and '<th scope="row">' in page
    assert "Age group by month" in page and "Sample navigator" in page
    assert 'style="' not in page and "<script" not in page


def test_report_filters_with_errors_are_explained(client, sampled):
    programme, people = sampled
    login(client, people["manager"])
    url = f"/outreach/programmes/{programme.id}/report"
    response = client.get(url + "?date_from=2024-05-01&date_to=2024-04-01&setting=beach")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end date is before the start date." in page and "Not a valid choice" in page
    only_clinic = client.get(url + "?setting=clinic").get_data(as_text=True)
    assert only_clinic != page


def test_a_shared_report_hides_small_counts_and_names(client, sampled):
    programme, people = sampled
    login(client, people["manager"])
    page = client.get(f"/outreach/programmes/{programme.id}/report?share=y").get_data(
        as_text=True)
    navigators = re.search(r'<section aria-labelledby="navigator">.*?</section>', page,
                           re.S).group(0)
    assert "&lt;5" in page and "Navigator 1" in navigators
    assert "Sample navigator" not in navigators
    assert "Prepared for sharing outside the programme" in page
    assert "kind=activities" not in page.replace("&amp;", "&")


def test_the_report_reads_right_to_left_in_arabic(client, session, sampled):
    programme, people = sampled
    people["manager"].locale = "ar"
    session.add(people["manager"])
    session.commit()
    login(client, people["manager"])
    page = client.get(f"/outreach/programmes/{programme.id}/report").get_data(as_text=True)
    assert 'dir="rtl"' in page
    chart = re.search(r'<svg class="chart" id="chart-setting".*?</svg>', page, re.S).group(0)
    rect = re.search(r'<rect x="([\d.]+)%" y="[\d.]+" width="([\d.]+)%"', chart)
    assert abs(float(rect.group(1)) + float(rect.group(2)) - 100) < 0.01  # from the right


def test_csv_exports(client, session, sampled):
    programme, people = sampled
    activity = session.exec(select(OutreachActivity)).first()
    activity.note = "=HYPERLINK(\"http://evil.example\")"
    session.commit()
    login(client, people["manager"])
    base = f"/outreach/programmes/{programme.id}/export"
    summary = client.get(base + "/summary.csv")
    assert summary.mimetype == "text/csv" and "attachment" in summary.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(summary.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Table", "Row", "Measure", "Value"]
    assert ["Summary", "", "Activities", "60"] in rows
    shared = client.get(base + "/summary.csv?share=y").get_data().decode("utf-8-sig")
    assert "<5" in shared and "Sample navigator" not in shared
    full = client.get(base + "/activities.csv")
    lines = list(csv.reader(io.StringIO(full.get_data().decode("utf-8-sig"))))
    assert len(lines) == 61 and lines[0][0] == "Activity"
    assert "'=HYPERLINK(\"http://evil.example\")" in [cell for line in lines for cell in line]
    assert client.get(base + "/activities.csv?share=y").status_code == 400
    assert client.get(base + "/secrets.csv").status_code == 404
    filtered = client.get(base + "/activities.csv?setting=clinic").get_data().decode(
        "utf-8-sig")
    clinic = session.exec(select(OutreachActivity).where(
        OutreachActivity.setting == "clinic")).all()
    assert len(list(csv.reader(io.StringIO(filtered)))) == len(clinic) + 1


def test_activity_list_for_managers_and_trainers(client, sampled):
    programme, people = sampled
    login(client, people["trainer"])
    page = client.get(f"/outreach/programmes/{programme.id}/activities").get_data(as_text=True)
    assert "60 sessions" in page and page.count("/outreach/") > 50
    assert "Older sessions" in page and "Newer sessions" not in page and "Page 1 of 2" in page
    # The pager keeps the list's filters on its links.
    url = f"/outreach/programmes/{programme.id}/activities?date_from=2000-01-01"
    first = client.get(url).get_data(as_text=True)
    older = f"/outreach/programmes/{programme.id}/activities?page=2&amp;date_from=2000-01-01"
    assert older in first
    second = client.get(url + "&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Newer sessions" in second
    assert "Older sessions" not in second


def test_training_page_and_the_certification_hook(app, client, sampled):
    programme, people = sampled
    login(client, people["manager"])
    url = f"/outreach/programmes/{programme.id}/training"
    app.extensions.pop("navigator.outreach.certified_ids", None)
    page = client.get(url).get_data(as_text=True)
    assert "Modules completed and topics covered" in page and "Not yet certified" not in page
    # Certification registers who is certified; outreach never imports it.
    certified = {people["navigator"].id}
    app.extensions["navigator.outreach.certified_ids"] = lambda s, pid: certified
    page = client.get(url).get_data(as_text=True)
    assert "Not yet certified" in page


def test_programme_list_and_navigation(client, team, make_programme, make_user):
    programme, people = team
    login(client, people["trainer"])
    page = client.get("/outreach/programmes").get_data(as_text=True)
    assert "Riverside" in page and f"/outreach/programmes/{programme.id}/sites" not in page
    assert "Outreach reports" in page
    navigator_home = login(client, people["navigator"]).get("/").get_data(as_text=True)
    assert "My outreach" in navigator_home and "Outreach reports" not in navigator_home


def test_home_panel_counts_this_month(app, session, team):
    programme, people = team
    log(session, people["navigator"], programme, held_on=utcnow().date())
    log(session, people["navigator"], programme, held_on=utcnow().date() - timedelta(days=62))
    with app.test_request_context():
        login_user(accounts.principal(session, people["navigator"]))
        html = render_template("outreach/home_panel.html")
    assert "You logged 1 outreach session this month." in html
    assert "Log an outreach session" in html
