"""Outreach logging, by its old address: sites, the activity log, corrections and the lists.

Each name lives in the module named for what it holds (activity_input, sites, activity_log,
corrections); code outside outreach, and the tests, import them from here. The lists and counts
of activities are kept here, and what an activity's page shows (one call for its view).
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, func, select

from navigator.accounts.models import Membership, Programme, User
from navigator.accounts.services import Principal
from navigator.outreach.activity_input import (
    FACT_FIELDS,
    MAX_MINUTES,
    MAX_PEOPLE,
    NOTE_LENGTH,
    SUBMISSION_KEY,
    ActivityInput,
    NoteWarning,
    topic_choices,
    validate,
)
from navigator.outreach.activity_log import (
    LoggingPlace,
    OpenSite,
    facts,
    get_activity,
    log_activity,
    logging_places,
    navigator_programme_ids,
)
from navigator.outreach.corrections import (
    changes,
    check_editable,
    edit_deadline,
    edit_role,
    update_activity,
)
from navigator.outreach.hints import personal_data_hints
from navigator.outreach.models import OutreachActivity, OutreachChange
from navigator.outreach.reports import Filters
from navigator.outreach.sites import add_site, delete_site, get_site, list_sites, update_site
from navigator.paging import PER_PAGE, page_of

__all__ = [
    "ActivityInput", "ActivityPage", "FACT_FIELDS", "Filters", "LoggingPlace", "MAX_MINUTES",
    "MAX_PEOPLE", "NOTE_LENGTH", "NoteWarning", "OpenSite", "SUBMISSION_KEY", "activity_page",
    "add_site", "changes", "check_editable", "count_sessions", "count_since", "delete_site",
    "edit_deadline", "edit_role", "facts", "get_activity", "get_site", "list_sites", "log_activity",
    "logging_places", "navigator_programme_ids", "own_activities", "personal_data_hints",
    "programme_activities", "programme_navigators", "topic_choices", "update_activity",
    "update_site", "validate",
]


def own_activities(s: Session, user_id: int, *, page: int = 1, per_page: int = PER_PAGE
                   ) -> tuple[list[OutreachActivity], int]:
    """A navigator's own activities, newest first, and how many there are."""
    return page_of(s, select(OutreachActivity).where(OutreachActivity.navigator_id == user_id)
                   .order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc()),
                   page, per_page)


@cache
def _count(in_programme: bool, since: bool):
    """The statement behind count_sessions and count_since, built once per shape: the
    certificates and home pages count on every view, and building costs more than counting."""
    query = select(func.count()).select_from(OutreachActivity).where(
        OutreachActivity.navigator_id == sa.bindparam("user_id"))
    if in_programme:
        query = query.where(OutreachActivity.programme_id == sa.bindparam("programme_id"))
    if since:
        query = query.where(OutreachActivity.held_on >= sa.bindparam("since", type_=sa.Date))
    return query


def count_sessions(s: Session, user_id: int, programme_id: int | None = None) -> int:
    """How many outreach activities a navigator has logged (in one programme, if given)."""
    return s.exec(_count(programme_id is not None, False),
                  params={"user_id": user_id, "programme_id": programme_id}).one()


def count_since(s: Session, user_id: int, since: date) -> int:
    """A navigator's activities held on or after a date (the home panel's 'this month')."""
    return s.exec(_count(False, True), params={"user_id": user_id, "since": since}).one()


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
                         per_page: int = PER_PAGE
                         ) -> tuple[list[tuple[OutreachActivity, str]], int]:
    """A programme's activities matching the filters, newest first, with navigators' names."""
    rows, total = page_of(s, select(OutreachActivity, User.display_name)
                          .join(User, User.id == OutreachActivity.navigator_id)
                          .where(*filters.where(programme_id))
                          .order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc()),
                          page, per_page)
    return [(a, name) for a, name in rows], total


@dataclass
class ActivityPage:
    """What an activity's page shows: its facts, the names they refer to, editing, its trail."""

    activity: OutreachActivity
    facts: ActivityInput
    topics: dict[str, str]   # topic key → title, with keys no longer offered kept as they are
    sites: dict[int, str]    # the programme's sites by id, archived ones too
    site_name: str | None    # None: a place not on the programme's list
    edit_role: str | None
    deadline: datetime
    own: bool
    changes: list[tuple[OutreachChange, str]]
    navigator: User | None
    programme: Programme | None


def activity_page(s: Session, actor: Principal, activity_id: int, *, edit_days: int,
                  locale: str) -> ActivityPage:
    """An activity the actor may see, with everything its page shows; NotFound otherwise."""
    item = get_activity(s, actor, activity_id)
    recorded = facts(s, item)
    topics = dict(topic_choices(s, item.programme_id, locale, recorded.topics))
    sites = {site.id: site.name for site in list_sites(s, item.programme_id)}
    return ActivityPage(
        activity=item, facts=recorded, topics=topics, sites=sites,
        site_name=sites.get(item.site_id),
        edit_role=edit_role(actor, item, edit_days=edit_days),
        deadline=edit_deadline(item, edit_days), own=item.navigator_id == actor.user.id,
        changes=changes(s, item.id), navigator=s.get(User, item.navigator_id),
        programme=s.get(Programme, item.programme_id))
