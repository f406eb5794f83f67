"""Certificates due for renewal, for the home page."""

from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.certification.certificates import status_of, today, track_title
from navigator.certification.eligibility import Track, renewal_opens
from navigator.certification.models import Certificate
from navigator.learning.models import Course, CourseVersion


@dataclass
class Reminder:
    """A certificate on the home page: expiring soon, or expired without a newer one."""

    certificate: Certificate
    title: str
    status: str
    days_left: int


@cache
def _in_force():
    """The statement behind _current, built once: the home page runs it on every view."""
    return select(Certificate).where(
        Certificate.user_id == sa.bindparam("user_id"), Certificate.superseded_at.is_(None),
        Certificate.revoked_at.is_(None)).order_by(Certificate.issued_on.desc())


def _current(s: Session, user_id: int) -> list[Certificate]:
    """The navigator's certificates neither superseded nor revoked, newest first."""
    return list(s.exec(_in_force(), params={"user_id": user_id}).all())


def reminders(s: Session, user_id: int, locale: str, on: date | None = None,
              current: list[Certificate] | None = None) -> list[Reminder]:
    """The navigator's certificates that are due for renewal, soonest first (`current`: their
    certificates in force, when the caller has read them already)."""
    on = on or today()
    newest: dict[str, Certificate] = {}
    for cert in _current(s, user_id) if current is None else current:
        if cert.expires_on is not None:
            newest.setdefault(cert.track_id, cert)
    due = []
    for cert in newest.values():
        opens = renewal_opens(cert.expires_on)
        if opens is not None and on >= opens:
            version = s.get(CourseVersion, cert.version_id)
            course = s.get(Course, cert.course_id)
            title = track_title(version, Track.parse(version.track) or Track.parse(
                {"id": cert.track_id}), locale, course.default_locale)
            due.append(Reminder(cert, title, status_of(cert, on), (cert.expires_on - on).days))
    return sorted(due, key=lambda r: r.days_left)


def home_panel_context(s: Session, user_id: int, locale: str, on: date | None = None) -> dict:
    """What certification/home_panel.html needs: renewal reminders and certificates held, from
    one read of the navigator's certificates."""
    on = on or today()
    current = _current(s, user_id)
    held = sum(1 for c in current if c.expires_on is None or c.expires_on > on)
    return {"certificate_reminders": reminders(s, user_id, locale, on, current),
            "certificates_held": held}
