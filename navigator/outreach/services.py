"""Outreach logging, by its old address: sites, the activity log, corrections and the lists.

Each name lives in the module named for what it holds (activity_input, sites, activity_log,
corrections); code outside outreach, and the tests, import them from here. The lists and counts
of activities are kept here.
"""

from datetime import date

from sqlmodel import Session, func, select

from navigator.accounts.models import Membership, User
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
from navigator.outreach.models import OutreachActivity
from navigator.outreach.reports import Filters
from navigator.outreach.sites import add_site, delete_site, get_site, list_sites, update_site

__all__ = [
    "FACT_FIELDS", "MAX_MINUTES", "MAX_PEOPLE", "NOTE_LENGTH", "SUBMISSION_KEY", "ActivityInput",
    "Filters", "LoggingPlace", "NoteWarning", "OpenSite", "add_site", "changes",
    "check_editable", "count_sessions", "count_since", "delete_site", "edit_deadline",
    "edit_role", "facts", "get_activity", "get_site", "list_sites", "log_activity",
    "logging_places", "navigator_programme_ids", "own_activities", "personal_data_hints",
    "programme_activities", "programme_navigators", "topic_choices", "update_activity",
    "update_site", "validate",
]


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
