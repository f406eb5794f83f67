"""Outreach logging: sites, activities, the edit window, corrections with their trail."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, func, select

from navigator.accounts.models import Membership, Programme, User
from navigator.accounts.services import Principal, get_programme
from navigator.db import insert_once, utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.i18n import _, ngettext
from navigator.learning.services import module_topics
from navigator.outreach.hints import personal_data_hints
from navigator.outreach.models import (
    OutreachActivity,
    OutreachChange,
    OutreachFact,
    OutreachSite,
)
from navigator.outreach.reports import Filters
from navigator.outreach.vocabulary import (
    BREAKDOWNS,
    DIGITAL_TASKS,
    LANGUAGE_CODES,
    REFERRAL_KINDS,
    SETTINGS,
)

MAX_MINUTES = 24 * 60
MAX_PEOPLE = 10_000
NOTE_LENGTH = 500
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
# ActivityInput's multi-valued facts, by the kind they are stored under in outreach_fact.
FACT_FIELDS = {"language": "languages", "topic": "topics", "task": "tasks"}


class NoteWarning(Invalid):
    """The note looks like it holds personal data; saving needs the person's confirmation."""

    def __init__(self, kinds: list[str]):
        super().__init__(_("This note may contain personal data. Remove names, phone numbers, "
                           "e-mail addresses and ID numbers, or confirm that it has none."),
                         field="note")
        self.kinds = kinds


@dataclass
class ActivityInput:
    """What a navigator tells us about one session."""

    held_on: date
    minutes: int
    setting: str
    site_id: int | None  # None: a place not on the programme's list
    languages: list[str]
    people: int
    age: dict[str, int] = field(default_factory=dict)      # band → people, where recorded
    gender: dict[str, int] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)        # "course/module" keys
    tasks: list[str] = field(default_factory=list)
    referrals: dict[str, int] = field(default_factory=dict)  # kind → referrals made
    note: str = ""


# --- sites ----------------------------------------------------------------------------------

def list_sites(s: Session, programme_id: int, *, archived: bool = True) -> list[OutreachSite]:
    """A programme's sites by name; without archived ones unless asked."""
    query = select(OutreachSite).where(OutreachSite.programme_id == programme_id)
    if not archived:
        query = query.where(OutreachSite.archived.is_(False))
    return list(s.exec(query.order_by(OutreachSite.name)))


def _check_site_name(s: Session, programme_id: int, name: str, site_id: int | None = None
                     ) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("Give the site a name."), field="name")
    clash = s.exec(select(OutreachSite).where(
        OutreachSite.programme_id == programme_id,
        func.lower(OutreachSite.name) == name.lower(),
        OutreachSite.id != (site_id or -1))).first()
    if clash:
        raise Conflict(_("This programme already has a site with this name."), field="name")
    return name


def add_site(s: Session, actor: Principal, programme_id: int, name: str) -> OutreachSite:
    """Add a site to a programme the actor manages."""
    get_programme(s, actor, programme_id, "manager")
    site = OutreachSite(programme_id=programme_id,
                        name=_check_site_name(s, programme_id, name))
    s.add(site)
    s.flush()
    return site


def get_site(s: Session, actor: Principal, site_id: int) -> OutreachSite:
    """A site of a programme the actor manages; NotFound otherwise."""
    site = s.get(OutreachSite, site_id)
    if site is None:
        raise NotFound()
    get_programme(s, actor, site.programme_id, "manager")
    return site


def update_site(s: Session, site: OutreachSite, *, name: str, archived: bool) -> None:
    """Rename a site, or stop offering it for new activities."""
    site.name = _check_site_name(s, site.programme_id, name, site.id)
    site.archived = archived


def delete_site(s: Session, site: OutreachSite) -> None:
    """Delete a site no activity names; one in use can only be archived."""
    used = s.exec(select(func.count()).select_from(OutreachActivity)
                  .where(OutreachActivity.site_id == site.id)).one()
    if used:
        raise Conflict(ngettext(
            "%(num)d activity was held at this site, so it cannot be deleted. Archive it "
            "instead: it stays in reports but is no longer offered.",
            "%(num)d activities were held at this site, so it cannot be deleted. Archive it "
            "instead: it stays in reports but is no longer offered.", used))
    s.delete(site)


# --- checking what a navigator entered ------------------------------------------------------

def topic_choices(s: Session, programme_id: int, locale: str,
                  keep: list[str] = ()) -> list[tuple[str, str]]:
    """The programme's curriculum modules as (key, title), plus kept keys no longer offered."""
    topics = module_topics(s, programme_id, locale)
    known = {key for key, _title in topics}
    return topics + [(key, key) for key in keep if key not in known]


def validate(s: Session, programme_id: int, data: ActivityInput, *, keep_site: int | None = None,
             keep_topics: list[str] = (), confirm_note: bool = False) -> None:
    """Raise Invalid naming the first field that breaks a rule."""
    today = utcnow().date()
    # A day's grace: navigators ahead of UTC log sessions held on their own today.
    if data.held_on > today + timedelta(days=1):
        raise Invalid(_("The date cannot be in the future."), field="held_on")
    if data.held_on < date(2000, 1, 1):
        raise Invalid(_("Check the year of the date."), field="held_on")
    if not 1 <= data.minutes <= MAX_MINUTES:
        raise Invalid(_("Give the length in minutes, from 1 to %(n)d.", n=MAX_MINUTES),
                      field="minutes")
    if data.setting not in SETTINGS:
        raise Invalid(_("Choose one of the listed settings."), field="setting")
    if data.site_id is not None:
        site = s.get(OutreachSite, data.site_id)
        if (site is None or site.programme_id != programme_id
                or site.archived and site.id != keep_site):
            raise Invalid(_("Choose one of the listed sites."), field="site")
    if not data.languages:
        raise Invalid(_("Choose at least one language."), field="languages")
    if set(data.languages) - set(LANGUAGE_CODES):
        raise Invalid(_("Choose from the listed languages."), field="languages")
    if not 1 <= data.people <= MAX_PEOPLE:
        raise Invalid(_("Give the number of people, from 1 to %(n)d.", n=MAX_PEOPLE),
                      field="people")
    for dimension, counts in (("age", data.age), ("gender", data.gender)):
        if set(counts) - set(BREAKDOWNS[dimension]) or any(n < 0 for n in counts.values()):
            raise Invalid(_("Give counts of 0 or more."), field=f"{dimension}_total")
        total = sum(counts.values())
        if total > data.people:
            message = (_("The age groups add up to %(sum)d, more than the %(total)d people "
                         "reached.", sum=total, total=data.people) if dimension == "age" else
                       _("The genders add up to %(sum)d, more than the %(total)d people "
                         "reached.", sum=total, total=data.people))
            raise Invalid(message, field=f"{dimension}_total")
    offered = {key for key, _title in topic_choices(s, programme_id, "en", keep_topics)}
    if set(data.topics) - offered:
        raise Invalid(_("Choose from the listed topics."), field="topics")
    if set(data.tasks) - set(DIGITAL_TASKS):
        raise Invalid(_("Choose from the listed digital tasks."), field="tasks")
    if set(data.referrals) - set(REFERRAL_KINDS) or any(n < 0 for n in data.referrals.values()):
        raise Invalid(_("Give counts of 0 or more."), field="referrals")
    if len(data.note) > NOTE_LENGTH:
        raise Invalid(_("Keep the note under %(n)d characters.", n=NOTE_LENGTH), field="note")
    kinds = personal_data_hints(data.note)
    if kinds and not confirm_note:
        raise NoteWarning(kinds)


# --- logging and reading activities ---------------------------------------------------------

def _store_facts(s: Session, activity: OutreachActivity, data: ActivityInput) -> None:
    """Set an activity's facts; its fact rows are written afresh with its filter columns."""
    activity.held_on = data.held_on
    activity.minutes = data.minutes
    activity.setting = data.setting
    activity.site_id = data.site_id
    activity.people = data.people
    activity.note = data.note.strip()
    for dimension, counts in (("age", data.age), ("gender", data.gender)):
        for band in BREAKDOWNS[dimension]:
            setattr(activity, f"{dimension}_{band}", counts.get(band))
    s.exec(sa.delete(OutreachFact).where(OutreachFact.activity_id == activity.id))
    copied = {"programme_id": activity.programme_id, "held_on": activity.held_on,
              "site_id": activity.site_id, "setting": activity.setting,
              "navigator_id": activity.navigator_id, "people": activity.people}
    for kind, name in FACT_FIELDS.items():
        for key in sorted(set(getattr(data, name))):
            s.add(OutreachFact(activity_id=activity.id, kind=kind, key=key, **copied))
    for kind, count in sorted(data.referrals.items()):
        if count:
            s.add(OutreachFact(activity_id=activity.id, kind="referral", key=kind,
                               count=count, **copied))
    s.flush()


def navigator_programme_ids(actor: Principal) -> set[int]:
    """Programmes where the person logs outreach."""
    return actor.programme_ids("navigator")


@dataclass(frozen=True)
class OpenSite:
    """A site offered for new activities."""

    id: int
    name: str


@dataclass
class LoggingPlace:
    """A programme where the person logs outreach, with the sites it offers."""

    name: str
    sites: list[OpenSite] = field(default_factory=list)


def logging_places(s: Session, actor: Principal) -> dict[int, LoggingPlace]:
    """The programmes where the person logs outreach, by id in name order, each with its
    open sites by name: one statement, for the new-activity form."""
    ids = navigator_programme_ids(actor)
    if not ids:
        return {}
    places: dict[int, LoggingPlace] = {}
    for programme_id, programme_name, site_id, site_name in s.connection().execute(
            _places_statement(), {"ids": sorted(ids)}):
        place = places.setdefault(programme_id, LoggingPlace(programme_name))
        if site_id is not None:
            place.sites.append(OpenSite(site_id, site_name))
    return places


@cache
def _places_statement():
    # Built once: constructing the statement cost more than running it (a page asks it often).
    p, site = Programme.__table__.c, OutreachSite.__table__.c
    return (sa.select(p.id, p.name, site.id, site.name)
            .outerjoin(OutreachSite.__table__, sa.and_(site.programme_id == p.id,
                                                       site.archived.is_(False)))
            .where(p.id.in_(sa.bindparam("ids", expanding=True)))
            .order_by(p.name, p.id, site.name))


def log_activity(s: Session, actor: Principal, programme_id: int, submission_key: str,
                 data: ActivityInput, *, confirm_note: bool = False
                 ) -> tuple[OutreachActivity, bool]:
    """Record a session once per submission key: (activity, newly created).

    A form sent twice (a double tap, a retry on a poor connection) carries the same key and
    gets back the activity the first one made.
    """
    if not SUBMISSION_KEY.match(submission_key or ""):
        raise Invalid(_("The form was incomplete. Please reload the page and send it again."))
    earlier = _by_key(s, submission_key)
    if earlier is not None:
        return _own_earlier(actor, earlier), False
    if programme_id not in navigator_programme_ids(actor):
        raise NotFound()
    validate(s, programme_id, data, confirm_note=confirm_note)
    activity = OutreachActivity(submission_key=submission_key, programme_id=programme_id,
                                navigator_id=actor.user.id, held_on=data.held_on,
                                minutes=data.minutes, setting=data.setting, people=data.people)
    if not insert_once(s, activity):  # the same form, sent in parallel, won the race
        return _own_earlier(actor, _by_key(s, submission_key)), False
    _store_facts(s, activity, data)
    return activity, True


def _by_key(s: Session, submission_key: str) -> OutreachActivity | None:
    return s.exec(select(OutreachActivity)
                  .where(OutreachActivity.submission_key == submission_key)).first()


def _own_earlier(actor: Principal, activity: OutreachActivity) -> OutreachActivity:
    if activity.navigator_id != actor.user.id:
        raise NotFound()
    return activity


def get_activity(s: Session, actor: Principal, activity_id: int) -> OutreachActivity:
    """An activity the actor may see: their own, or their programme's as manager or trainer."""
    activity = s.get(OutreachActivity, activity_id)
    if activity is None or not (
            activity.navigator_id == actor.user.id or actor.user.is_admin
            or activity.programme_id in actor.programme_ids("manager", "trainer")):
        raise NotFound()
    return activity


def edit_deadline(activity: OutreachActivity, edit_days: int) -> datetime:
    """Until when the navigator may change their own activity."""
    return activity.created_at + timedelta(days=edit_days)


def edit_role(actor: Principal, activity: OutreachActivity, *, edit_days: int,
              now: datetime | None = None) -> str | None:
    """'manager' when the actor may correct it, 'owner' within the edit window, else None."""
    if actor.user.is_admin or activity.programme_id in actor.programme_ids("manager"):
        return "manager"
    if activity.navigator_id == actor.user.id and (now or utcnow()) <= edit_deadline(
            activity, edit_days):
        return "owner"
    return None


def check_editable(actor: Principal, activity: OutreachActivity, *, edit_days: int) -> str:
    """The actor's editing role; Forbidden with the reason when they may not edit."""
    role = edit_role(actor, activity, edit_days=edit_days)
    if role is None:
        if activity.navigator_id == actor.user.id:
            raise Forbidden(ngettext(
                "Activities can be changed for %(num)d day after they are logged. Ask your "
                "programme manager to correct this one.",
                "Activities can be changed for %(num)d days after they are logged. Ask your "
                "programme manager to correct this one.", edit_days))
        raise Forbidden()
    return role


def facts(s: Session, activity: OutreachActivity) -> ActivityInput:
    """An activity's facts, as the input that would record them."""
    multi: dict[str, dict[str, int]] = {kind: {} for kind in (*FACT_FIELDS, "referral")}
    for kind, key, count in s.exec(select(OutreachFact.kind, OutreachFact.key, OutreachFact.count)
                                   .where(OutreachFact.activity_id == activity.id)):
        multi.setdefault(kind, {})[key] = count
    breakdown = {dimension: {band: getattr(activity, f"{dimension}_{band}")
                             for band in bands
                             if getattr(activity, f"{dimension}_{band}") is not None}
                 for dimension, bands in BREAKDOWNS.items()}
    return ActivityInput(
        held_on=activity.held_on, minutes=activity.minutes, setting=activity.setting,
        site_id=activity.site_id, people=activity.people, note=activity.note,
        languages=sorted(multi["language"]), topics=sorted(multi["topic"]),
        tasks=sorted(multi["task"]), referrals=dict(sorted(multi["referral"].items())),
        age=breakdown["age"], gender=breakdown["gender"])


def _snapshot(data: ActivityInput) -> dict:
    return {"held_on": data.held_on.isoformat(), "minutes": data.minutes,
            "setting": data.setting, "site_id": data.site_id,
            "languages": sorted(set(data.languages)), "people": data.people,
            "age": {k: v for k, v in sorted(data.age.items())},
            "gender": {k: v for k, v in sorted(data.gender.items())},
            "topics": sorted(set(data.topics)), "tasks": sorted(set(data.tasks)),
            "referrals": {k: v for k, v in sorted(data.referrals.items()) if v},
            "note": data.note.strip()}


def update_activity(s: Session, actor: Principal, activity: OutreachActivity,
                    data: ActivityInput, *, edit_days: int, reason: str = "",
                    confirm_note: bool = False) -> OutreachChange | None:
    """Change an activity, recording who changed what; None when nothing changed."""
    check_editable(actor, activity, edit_days=edit_days)
    before = facts(s, activity)
    validate(s, activity.programme_id, data, keep_site=before.site_id,
             keep_topics=before.topics, confirm_note=confirm_note)
    old, new = _snapshot(before), _snapshot(data)
    changed = [k for k in old if old[k] != new[k]]
    if not changed:
        return None
    # A correction that removes personal data from a note must not keep it in the trail:
    # only the note's length is recorded.
    for snapshot in (old, new):
        snapshot["note"] = {"characters": len(snapshot["note"])}
    _store_facts(s, activity, data)
    activity.updated_at = utcnow()
    change = OutreachChange(activity_id=activity.id, changed_by=actor.user.id,
                            before={k: old[k] for k in changed},
                            after={k: new[k] for k in changed}, reason=reason.strip()[:200])
    s.add(change)
    s.flush()
    return change


def changes(s: Session, activity_id: int) -> list[tuple[OutreachChange, str]]:
    """An activity's trail of edits, oldest first, with the name of who made each."""
    rows = s.exec(select(OutreachChange, User.display_name)
                  .join(User, User.id == OutreachChange.changed_by)
                  .where(OutreachChange.activity_id == activity_id)
                  .order_by(OutreachChange.changed_at, OutreachChange.id)).all()
    return [(change, name) for change, name in rows]


def own_activities(s: Session, user_id: int, *, page: int = 1, per_page: int = 50
                   ) -> tuple[list[OutreachActivity], int]:
    """A navigator's own activities, newest first, and how many there are."""
    where = OutreachActivity.navigator_id == user_id
    total = s.exec(select(func.count()).select_from(OutreachActivity).where(where)).one()
    rows = s.exec(select(OutreachActivity).where(where)
                  .order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc())
                  .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def count_sessions(s: Session, user_id: int, programme_id: int | None = None) -> int:
    """How many outreach activities a navigator has logged (in one programme, if given)."""
    query = select(func.count()).select_from(OutreachActivity).where(
        OutreachActivity.navigator_id == user_id)
    if programme_id is not None:
        query = query.where(OutreachActivity.programme_id == programme_id)
    return s.exec(query).one()


def count_since(s: Session, user_id: int, since: date) -> int:
    """A navigator's activities held on or after a date (the home panel's 'this month')."""
    return s.exec(select(func.count()).select_from(OutreachActivity).where(
        OutreachActivity.navigator_id == user_id, OutreachActivity.held_on >= since)).one()


def programme_navigators(s: Session, programme_id: int) -> list[tuple[int, str]]:
    """(user id, name) of everyone who logged outreach in, or navigates for, the programme."""
    members = select(Membership.user_id).where(Membership.programme_id == programme_id,
                                               Membership.role == "navigator")
    loggers = select(OutreachActivity.navigator_id).where(
        OutreachActivity.programme_id == programme_id).distinct()
    rows = s.exec(select(User.id, User.display_name)
                  .where(User.id.in_(members.union(loggers)))
                  .order_by(User.display_name, User.id)).all()
    return [(uid, name) for uid, name in rows]


def programme_activities(s: Session, programme_id: int, filters: Filters, *, page: int = 1,
                         per_page: int = 50) -> tuple[list[tuple[OutreachActivity, str]], int]:
    """A programme's activities matching the filters, newest first, with navigators' names."""
    where = filters.where(programme_id)
    total = s.exec(select(func.count()).select_from(OutreachActivity).where(*where)).one()
    rows = s.exec(select(OutreachActivity, User.display_name)
                  .join(User, User.id == OutreachActivity.navigator_id).where(*where)
                  .order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc())
                  .offset((page - 1) * per_page).limit(per_page)).all()
    return [(a, name) for a, name in rows], total
