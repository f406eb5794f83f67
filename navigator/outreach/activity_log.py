"""The activity log: recording a session once, reading it back, and its facts."""

from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Programme
from navigator.accounts.services import Principal
from navigator.db import insert_once
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.outreach.activity_input import (
    FACT_FIELDS,
    SUBMISSION_KEY,
    ActivityInput,
    validate,
)
from navigator.outreach.models import OutreachActivity, OutreachFact, OutreachSite
from navigator.outreach.vocabulary import BREAKDOWNS


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
