"""Issuing certificates and asking for trainer sign-off, when a track's requirements are met.

Issuing is idempotent: a certificate's completion_key is unique, so however many requests
find the same completion at once, one row is stored and every caller gets that row back.
On SQLite callers hold a write transaction (BEGIN IMMEDIATE); on PostgreSQL the unique index
makes the later insert fail inside a savepoint, and the caller reads the winner's row.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.certification import codes
from navigator.certification.certificates import NAME_LENGTH, today, track_title
from navigator.certification.eligibility import expiry
from navigator.certification.ledger import Assessment, assess
from navigator.certification.models import Certificate, CertificateEvent, SignoffRequest
from navigator.db import insert_once
from navigator.i18n import CODES
from navigator.learning.models import Course, CourseVersion, Enrollment


def _by_key(s: Session, key: str) -> Certificate | None:
    return s.exec(select(Certificate).where(Certificate.completion_key == key)).first()


def store(s: Session, make) -> tuple[Certificate, bool]:
    """Insert make(code) with a fresh code: (it, True), or (the one stored first, False)."""
    # A clash of random codes draws again; a clash of completion keys means another request
    # stored this completion meanwhile.
    for _attempt in range(5):
        cert = make(codes.new_code())
        if insert_once(s, cert):
            return cert, True
        if cert.completion_key and (existing := _by_key(s, cert.completion_key)):
            return existing, False
    raise RuntimeError("could not draw an unused verification code")


def log_event(s: Session, cert_id: int, action: str, actor_id: int | None, reason: str = "",
         related_id: int | None = None) -> None:
    s.add(CertificateEvent(certificate_id=cert_id, action=action, actor_id=actor_id,
                           reason=reason, related_id=related_id))


def _issue(s: Session, a: Assessment, actor_id: int | None, on: date) -> tuple[Certificate, bool]:
    """The certificate for the assessed completion: stored now, or the one already there."""
    key = a.completion_key
    existing = _by_key(s, key)
    if existing is not None:
        return existing, False
    user = s.get(User, a.user_id)
    programme = s.get(Programme, a.programme_id)
    locale = next((c for c in (user.locale, programme.default_locale) if c in CODES), "en")
    cert, created = store(s, lambda code: Certificate(
        code=code, completion_key=key, user_id=user.id, programme_id=programme.id,
        course_id=a.course.id, version_id=a.version.id, track_id=a.track.id, cycle=a.cycle,
        printed_name=(user.certificate_name or user.display_name)[:NAME_LENGTH], locale=locale,
        issued_on=on, expires_on=expiry(a.track, on), issued_by=actor_id))
    if created:
        log_event(s, cert.id, "issued", actor_id)
        s.flush()
    return cert, created


@dataclass
class Outcome:
    """What checking a navigator's tracks newly produced."""

    kind: str  # issued | signoff
    assessment: Assessment
    certificate: Certificate | None = None
    request: SignoffRequest | None = None


def issue_if_eligible(s: Session, user_id: int, course: Course, version: CourseVersion,
                      on: date | None = None) -> tuple[Assessment | None, Outcome | None]:
    """Issue the track's certificate, or ask for a trainer's sign-off, when requirements are met."""
    on = on or today()
    a = assess(s, user_id, course, version, on)
    if not is_due(a):
        return a, None
    if not a.evaluation.eligible:  # met, waiting for a trainer
        if a.signoff is not None:
            return a, None
        request = SignoffRequest(user_id=user_id, programme_id=a.programme_id,
                                 course_id=course.id, version_id=version.id,
                                 track_id=a.track.id, cycle=a.cycle)
        if not insert_once(s, request):
            return a, None
        a.signoff = request
        return a, Outcome("signoff", a, request=request)
    actor = a.signoff.decided_by if a.signoff is not None else None
    cert, created = _issue(s, a, actor, on)
    a.head, a.blocked = cert, "certified"
    return a, Outcome("issued", a, certificate=cert) if created else None


def is_due(a: Assessment | None) -> bool:
    """Whether issue_if_eligible would write: a certificate to issue or a sign-off to ask for."""
    if a is None or a.blocked or not a.evaluation.met or a.programme_id is None:
        return False
    return a.evaluation.eligible or a.signoff is None


def anything_due(s: Session, user_id: int, on: date | None = None) -> bool:
    """Whether check_navigator would issue or ask for anything: it only reads, so a page can
    look first holding no write lock and take one only when there is something to write."""
    on = on or today()
    return any(is_due(assess(s, user_id, course, version, on))
               for course, version in enrolled_courses(s, user_id))


def enrolled_courses(s: Session, user_id: int) -> list[tuple[Course, CourseVersion]]:
    """The courses a navigator follows, with the version they follow."""
    rows = s.exec(select(Course, CourseVersion).join(Enrollment, Enrollment.course_id == Course.id)
                  .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
                  .where(Enrollment.user_id == user_id).order_by(Course.slug)).all()
    return [(course, version) for course, version in rows]


def check_navigator(s: Session, user_id: int, on: date | None = None) -> list[Outcome]:
    """Check every track the navigator follows; issue or queue what has become due."""
    outcomes = []
    for course, version in enrolled_courses(s, user_id):
        _a, outcome = issue_if_eligible(s, user_id, course, version, on)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def outcome_title(outcome: Outcome, locale: str) -> str:
    """The name of the track an outcome is about, in the locale."""
    a = outcome.assessment
    return track_title(a.version, a.track, locale, a.course.default_locale)
