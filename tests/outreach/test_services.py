"""Outreach logging without HTTP: validation, one activity per submission, edit window, trail."""

from datetime import timedelta

import pytest
from sqlmodel import select

from navigator.accounts import services as accounts
from navigator.accounts.models import Membership
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.outreach import services
from navigator.outreach.models import OutreachActivity, OutreachChange, OutreachFact
from navigator.outreach.services import NoteWarning
from tests.outreach.helpers import activity_input, log

KEY = "k" * 24


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def team(make_programme, make_user, session):
    """A programme with a manager, a trainer and two navigators, and a site."""
    programme = make_programme("Riverside")
    people = {role: make_user(role, programme) for role in ("manager", "trainer", "navigator")}
    people["colleague"] = make_user("navigator", programme)
    site = services.add_site(session, accounts.principal(session, people["manager"]),
                             programme.id, "Central library")
    session.commit()
    return programme, people, site


def actor(session, user):
    return accounts.principal(session, user)


def test_logging_stores_every_fact(ctx, session, team):
    programme, people, site = team
    data = activity_input(site_id=site.id, languages=["en", "other"], people=20,
                          age={"under_18": 5, "18_29": 10}, gender={"woman": 12, "man": 8},
                          tasks=["privacy", "install_app"], referrals={"crisis": 1, "social": 0},
                          note="Good questions about chatbots.")
    activity, created = services.log_activity(session, actor(session, people["navigator"]),
                                              programme.id, KEY, data)
    session.commit()
    assert created and activity.age_under_18 == 5 and activity.gender_man == 8
    assert activity.age_65_plus is None  # not counted is not zero
    stored = services.facts(session, activity)
    assert stored.languages == ["en", "other"] and stored.tasks == ["install_app", "privacy"]
    assert stored.referrals == {"crisis": 1}  # a zero count is no referral
    assert stored.age == {"under_18": 5, "18_29": 10}
    # Facts carry the activity's filter columns, for reports.
    facts = session.exec(select(OutreachFact)
                         .where(OutreachFact.activity_id == activity.id)).all()
    assert {(f.kind, f.key) for f in facts} == {
        ("language", "en"), ("language", "other"), ("task", "install_app"),
        ("task", "privacy"), ("referral", "crisis")}
    assert {(f.people, f.site_id, f.held_on) for f in facts} == {
        (20, site.id, data.held_on)}


def test_a_resubmitted_form_makes_one_activity(ctx, session, team):
    programme, people, _site = team
    me = actor(session, people["navigator"])
    first, created = services.log_activity(session, me, programme.id, KEY, activity_input())
    session.commit()
    again, created_again = services.log_activity(session, me, programme.id, KEY,
                                                 activity_input(people=99))
    assert created and not created_again and again.id == first.id and again.people == 12
    assert services.count_sessions(session, people["navigator"].id) == 1
    # Someone else sending that key learns nothing about the activity.
    with pytest.raises(NotFound):
        services.log_activity(session, actor(session, people["colleague"]), programme.id, KEY,
                              activity_input())


def test_a_submission_key_is_required(ctx, session, team):
    programme, people, _site = team
    with pytest.raises(Invalid):
        services.log_activity(session, actor(session, people["navigator"]), programme.id,
                              "short", activity_input())


def test_only_the_programmes_navigators_log(ctx, session, team, make_programme):
    programme, people, _site = team
    with pytest.raises(NotFound):
        services.log_activity(session, actor(session, people["manager"]), programme.id, KEY,
                              activity_input())
    with pytest.raises(NotFound):
        services.log_activity(session, actor(session, people["navigator"]),
                              make_programme().id, KEY, activity_input())


INVALID = [
    ({"held_on": utcnow().date() + timedelta(days=3)}, "held_on", "future"),
    ({"minutes": 0}, "minutes", "minutes"),
    ({"minutes": 24 * 60 + 1}, "minutes", "minutes"),
    ({"setting": "beach"}, "setting", "settings"),
    ({"languages": []}, "languages", "language"),
    ({"languages": ["xx"]}, "languages", "languages"),
    ({"people": 0}, "people", "people"),
    ({"age": {"under_18": 10, "30_49": 5}}, "age_total", "add up to 15, more than the 12"),
    ({"gender": {"woman": 13}}, "gender_total", "add up to 13, more than the 12"),
    ({"age": {"under_5": 1}}, "age_total", "0 or more"),
    ({"topics": ["no-such/module"]}, "topics", "topics"),
    ({"tasks": ["juggling"]}, "tasks", "digital tasks"),
    ({"referrals": {"crisis": -1}}, "referrals", "0 or more"),
    ({"note": "x" * 501}, "note", "500"),
]


def test_invalid_input_names_the_field(ctx, session, team):
    programme, people, _site = team
    me = actor(session, people["navigator"])
    for changes, field, words in INVALID:
        with pytest.raises(Invalid) as info:
            services.log_activity(session, me, programme.id, KEY, activity_input(**changes))
        assert (info.value.field, words in info.value.message) == (field, True), changes
    assert session.exec(select(OutreachActivity)).first() is None


def test_a_breakdown_may_be_partial(ctx, session, team):
    programme, people, _site = team
    activity, _ = services.log_activity(
        session, actor(session, people["navigator"]), programme.id, KEY,
        activity_input(people=12, age={"under_18": 12}, gender={"woman": 3}))
    assert activity.age_under_18 == 12 and activity.gender_woman == 3


def test_sites_must_be_the_programmes_and_offered(ctx, session, team, make_user,
                                                  make_programme):
    programme, people, site = team
    elsewhere = make_programme()
    other_site = services.add_site(session, actor(session, make_user("manager", elsewhere)),
                                   elsewhere.id, "Far away")
    me = actor(session, people["navigator"])
    with pytest.raises(Invalid) as info:
        services.log_activity(session, me, programme.id, KEY,
                              activity_input(site_id=other_site.id))
    assert info.value.field == "site"
    services.update_site(session, site, name=site.name, archived=True)
    with pytest.raises(Invalid):
        services.log_activity(session, me, programme.id, KEY, activity_input(site_id=site.id))


def test_notes_with_personal_data_need_confirmation(ctx, session, team):
    programme, people, _site = team
    me = actor(session, people["navigator"])
    note = "Asked me to call her back on 0712 345 678"
    with pytest.raises(NoteWarning) as info:
        services.log_activity(session, me, programme.id, KEY, activity_input(note=note))
    assert info.value.kinds == ["phone"] and info.value.field == "note"
    activity, created = services.log_activity(session, me, programme.id, KEY,
                                              activity_input(note=note), confirm_note=True)
    assert created and activity.note == note


def test_navigators_edit_their_own_within_the_window(ctx, session, team):
    programme, people, _site = team
    activity = log(session, people["navigator"], programme, minutes=45)
    me = actor(session, people["navigator"])
    change = services.update_activity(session, me, activity, activity_input(minutes=90),
                                      edit_days=14)
    session.commit()
    assert activity.minutes == 90 and change.before == {"minutes": 45}
    assert change.after == {"minutes": 90} and change.changed_by == people["navigator"].id
    # Sending the same values again changes nothing and records nothing.
    assert services.update_activity(session, me, activity, activity_input(minutes=90),
                                    edit_days=14) is None
    activity.created_at = utcnow() - timedelta(days=15)
    session.commit()
    with pytest.raises(Forbidden) as info:
        services.update_activity(session, me, activity, activity_input(minutes=30),
                                 edit_days=14)
    assert "14 days" in info.value.message
    assert services.edit_role(me, activity, edit_days=14) is None
    assert services.edit_role(me, activity, edit_days=16) == "owner"


def test_managers_correct_with_a_trail(ctx, session, team):
    programme, people, site = team
    activity = log(session, people["navigator"], programme, note="Mentioned 0712 345 678",
                   languages=["en"])
    activity.created_at = utcnow() - timedelta(days=400)
    session.commit()
    manager = actor(session, people["manager"])
    assert services.edit_role(manager, activity, edit_days=14) == "manager"
    services.update_activity(session, manager, activity,
                             activity_input(note="Questions about apps.", site_id=site.id,
                                            languages=["en", "sw"]),
                             edit_days=14, reason="Removed a phone number")
    session.commit()
    [(change, name)] = services.changes(session, activity.id)
    assert name == people["manager"].display_name and change.reason == "Removed a phone number"
    assert set(change.after) == {"note", "site_id", "languages"}
    assert change.before["site_id"] is None and change.after["site_id"] == site.id
    assert change.after["languages"] == ["en", "sw"]
    # The trail keeps no note text, so a removed phone number is gone for good.
    assert change.before["note"] == {"characters": len("Mentioned 0712 345 678")}
    assert "0712" not in str(change.before) + str(change.after)


def test_trainers_and_colleagues_cannot_edit(ctx, session, team):
    programme, people, _site = team
    activity = log(session, people["navigator"], programme)
    with pytest.raises(Forbidden):
        services.check_editable(actor(session, people["trainer"]), activity, edit_days=14)
    with pytest.raises(Forbidden):
        services.check_editable(actor(session, people["colleague"]), activity, edit_days=14)


def test_who_sees_an_activity(ctx, session, team, make_user, make_programme):
    programme, people, _site = team
    activity = log(session, people["navigator"], programme)
    for role in ("navigator", "manager", "trainer"):
        assert services.get_activity(session, actor(session, people[role]), activity.id)
    assert services.get_activity(session, actor(session, make_user("admin")), activity.id)
    for outsider in (people["colleague"], make_user("manager", make_programme())):
        with pytest.raises(NotFound):
            services.get_activity(session, actor(session, outsider), activity.id)


def test_sites_are_managed_per_programme(ctx, session, team, make_user, make_programme):
    programme, people, site = team
    manager = actor(session, people["manager"])
    with pytest.raises(Conflict):
        services.add_site(session, manager, programme.id, "  central   LIBRARY ")
    with pytest.raises(Invalid):
        services.add_site(session, manager, programme.id, "   ")
    other = actor(session, make_user("manager", make_programme()))
    with pytest.raises(NotFound):
        services.get_site(session, other, site.id)
    with pytest.raises(NotFound):
        services.add_site(session, actor(session, people["trainer"]), programme.id, "Clinic")
    spare = services.add_site(session, manager, programme.id, "Spare room")
    services.delete_site(session, spare)
    log(session, people["navigator"], programme, site_id=site.id)
    with pytest.raises(Conflict) as info:
        services.delete_site(session, services.get_site(session, manager, site.id))
    assert "Archive" in info.value.message
    assert [s.name for s in services.list_sites(session, programme.id)] == ["Central library"]


def test_counts_for_certification_and_the_home_panel(ctx, session, team, make_programme):
    programme, people, _site = team
    navigator = people["navigator"]
    second = make_programme()
    accounts.add_role(session, navigator, second, "navigator")
    session.commit()
    log(session, navigator, programme)
    log(session, navigator, programme, held_on=utcnow().date() - timedelta(days=60))
    log(session, navigator, second)
    assert services.count_sessions(session, navigator.id) == 3
    assert services.count_sessions(session, navigator.id, programme.id) == 2
    assert services.count_sessions(session, people["colleague"].id) == 0
    since = utcnow().date() - timedelta(days=30)
    assert services.count_since(session, navigator.id, since) == 2


def test_programme_navigators_include_those_who_left(ctx, session, team, make_user):
    programme, people, _site = team
    log(session, people["colleague"], programme)
    membership = session.exec(select(Membership).where(
        Membership.user_id == people["colleague"].id)).one()
    session.delete(membership)
    session.commit()
    ids = {uid for uid, _name in services.programme_navigators(session, programme.id)}
    assert ids == {people["navigator"].id, people["colleague"].id}


def test_the_audit_rows_belong_to_their_activity(ctx, session, team):
    programme, people, _site = team
    activity = log(session, people["navigator"], programme)
    services.update_activity(session, actor(session, people["navigator"]), activity,
                             activity_input(people=13), edit_days=14)
    session.commit()
    rows = session.exec(select(OutreachChange)).all()
    assert [r.activity_id for r in rows] == [activity.id]


def test_logging_places_are_where_one_navigates_with_their_open_sites(
        session, make_programme, make_user):
    river, hill, town = (make_programme(n) for n in ("Riverside", "Hillside", "Townside"))
    person = make_user("navigator", river)
    accounts.add_role(session, person, hill, "navigator")
    accounts.add_role(session, person, town, "manager")
    session.commit()
    manager = actor(session, make_user("admin"))
    services.add_site(session, manager, river.id, "Riverside library")
    services.add_site(session, manager, river.id, "Harbour clinic")
    gone = services.add_site(session, manager, river.id, "Old hall")
    services.add_site(session, manager, town.id, "Town hall")
    services.update_site(session, gone, name="Old hall", archived=True)
    session.commit()
    places = services.logging_places(session, actor(session, person))
    assert list(places) == [hill.id, river.id]  # by name; not where one only manages
    assert places[hill.id].name == "Hillside" and places[hill.id].sites == []
    assert [site.name for site in places[river.id].sites] == ["Harbour clinic",
                                                              "Riverside library"]
    assert services.logging_places(session, actor(session, make_user("manager", town))) == {}


def test_an_activitys_page_is_read_in_one_call(ctx, session, team, make_user, make_programme):
    programme, people, site = team
    activity = log(session, people["navigator"], programme, site_id=site.id, languages=["en"])
    manager = actor(session, people["manager"])
    services.update_activity(session, manager, activity,
                             activity_input(site_id=None, languages=["en", "sw"]),
                             edit_days=14, reason="Held elsewhere")
    session.commit()

    own = services.activity_page(session, actor(session, people["navigator"]), activity.id,
                                 edit_days=14, locale="en")
    assert own.activity.id == activity.id and own.own and own.edit_role == "owner"
    assert own.facts.languages == ["en", "sw"] and own.site_name is None
    assert own.sites == {site.id: "Central library"}
    assert own.deadline == services.edit_deadline(activity, 14)
    assert own.navigator.id == people["navigator"].id and own.programme.id == programme.id
    [(change, name)] = own.changes
    assert change.reason == "Held elsewhere" and name == people["manager"].display_name

    managing = services.activity_page(session, manager, activity.id, edit_days=14, locale="en")
    assert not managing.own and managing.edit_role == "manager"
    trainer = services.activity_page(session, actor(session, people["trainer"]), activity.id,
                                     edit_days=14, locale="en")
    assert trainer.edit_role is None
    with pytest.raises(NotFound):
        services.activity_page(session, actor(session, people["colleague"]), activity.id,
                               edit_days=14, locale="en")
