"""Trainers' sign-off: the requests in their programmes, approved or declined."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal
from navigator.certification.certificates import REASON_LENGTH, track_title
from navigator.certification.eligibility import Track
from navigator.certification.issuing import issue_if_eligible
from navigator.certification.models import Certificate, SignoffRequest
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import _
from navigator.learning.models import Course, CourseVersion


def signoff_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose sign-offs the actor gives: their trainer programmes; all for admins."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids("trainer")


@dataclass
class SignoffRow:
    """A sign-off request with what a trainer needs to decide."""

    request: SignoffRequest
    navigator: str
    programme: str
    title: str


def list_signoffs(s: Session, actor: Principal, locale: str) -> list[SignoffRow]:
    """Open and declined sign-off requests in the actor's programmes, oldest first."""
    rows = s.exec(select(SignoffRequest, User.display_name, Programme.name, CourseVersion, Course)
                  .join(User, User.id == SignoffRequest.user_id)
                  .join(Programme, Programme.id == SignoffRequest.programme_id)
                  .join(CourseVersion, CourseVersion.id == SignoffRequest.version_id)
                  .join(Course, Course.id == SignoffRequest.course_id)
                  .where(SignoffRequest.programme_id.in_(signoff_programme_ids(s, actor) or {-1}),
                         SignoffRequest.status != "approved")
                  .order_by(SignoffRequest.requested_at, SignoffRequest.id)).all()
    return [SignoffRow(req, name, programme, track_title(
        version, Track.parse(version.track) or Track.parse({"id": req.track_id}), locale,
        course.default_locale)) for req, name, programme, version, course in rows]


def get_signoff(s: Session, actor: Principal, request_id: int) -> SignoffRequest:
    """A sign-off request in one of the actor's programmes; NotFound otherwise."""
    request = s.get(SignoffRequest, request_id)
    if request is None or request.programme_id not in signoff_programme_ids(s, actor):
        raise NotFound()
    return request


def approve_signoff(s: Session, actor: Principal, request_id: int,
                    on: date | None = None) -> Certificate:
    """A trainer signs off: the certificate is issued in the trainer's name."""
    request = get_signoff(s, actor, request_id)
    if request.status == "approved":
        raise Conflict(_("This sign-off was already given."))
    request.status, request.decided_by, request.decided_at = "approved", actor.user.id, utcnow()
    request.note = ""
    s.flush()
    course, version = s.get(Course, request.course_id), s.get(CourseVersion, request.version_id)
    a, _outcome = issue_if_eligible(s, request.user_id, course, version, on)
    if a is not None and a.head is not None and a.cycle == request.cycle:
        return a.head
    raise Conflict(_("The navigator no longer meets the other requirements of this track."))


def decline_signoff(s: Session, actor: Principal, request_id: int, note: str) -> SignoffRequest:
    """A trainer asks for more before signing off; the navigator sees the note."""
    request = get_signoff(s, actor, request_id)
    if request.status != "pending":
        raise Conflict(_("This sign-off was already decided."))
    note = note.strip()
    if not note:
        raise Invalid(_("Tell the navigator what is still needed."), field="note")
    request.status, request.decided_by, request.decided_at = "declined", actor.user.id, utcnow()
    request.note = note[:REASON_LENGTH]
    return request
