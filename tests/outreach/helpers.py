"""Shared test helpers for outreach: a valid activity input and logging one for a user."""

import secrets
from dataclasses import replace
from datetime import date, timedelta

from navigator.accounts import services as accounts
from navigator.db import utcnow
from navigator.outreach import services
from navigator.outreach.services import ActivityInput


def activity_input(**changes) -> ActivityInput:
    """A valid session: yesterday, an hour at a clinic, in English, with twelve people."""
    base = ActivityInput(held_on=utcnow().date() - timedelta(days=1), minutes=60,
                         setting="clinic", site_id=None, languages=["en"], people=12)
    return replace(base, **changes)


def log(session, user, programme, key: str | None = None, **changes):
    """Log an activity as the user through the service, committed; returns it."""
    actor = accounts.principal(session, user)
    activity, _created = services.log_activity(
        session, actor, programme.id, key or secrets.token_urlsafe(18),
        activity_input(**changes), confirm_note=True)
    session.commit()
    return activity


def on(day: int, month: int = 3, year: int = 2024) -> date:
    return date(year, month, day)
