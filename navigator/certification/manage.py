"""Managers' side of certificates: the register and its filters, revoking and reissuing."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal
from navigator.certification import certificates, codes, issuing
from navigator.certification.certificates import NAME_LENGTH, REASON_LENGTH, STATUSES
from navigator.certification.eligibility import Track
from navigator.certification.models import Certificate, CertificateEvent
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _
from navigator.learning.models import Course
from navigator.learning.services import offered_course_ids, published_version
from navigator.paging import PER_PAGE, page_of


def managed_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose certificates the actor manages: their own; every one for admins."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids("manager")


def get_managed(s: Session, actor: Principal, cert_id: int) -> Certificate:
    """A certificate of a programme the actor manages; NotFound otherwise."""
    cert = s.get(Certificate, cert_id)
    if cert is None or cert.programme_id not in managed_programme_ids(s, actor):
        raise NotFound()
    return cert


def revoke(s: Session, actor: Principal, cert_id: int, reason: str) -> Certificate:
    """Revoke a certificate with a reason; the verification page says so from now on."""
    cert = get_managed(s, actor, cert_id)
    reason = reason.strip()[:REASON_LENGTH]
    if not reason:
        raise Invalid(_("Give the reason for revoking this certificate."), field="reason")
    now = utcnow()
    # A conditional update, so two managers revoking at once record it once.
    changed = s.execute(sa.update(Certificate).where(
        Certificate.id == cert.id, Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None)).values(
        revoked_at=now, revoked_by=actor.user.id, revoke_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("This certificate was already revoked or replaced."))
    issuing.log_event(s, cert.id, "revoked", actor.user.id, reason)
    s.flush()
    s.refresh(cert)
    return cert


def reissue(s: Session, actor: Principal, cert_id: int, *, printed_name: str, locale: str,
            reason: str) -> Certificate:
    """Replace a certificate (e.g. a corrected name): a new code; the old one is superseded."""
    old = get_managed(s, actor, cert_id)
    printed_name, reason = printed_name.strip(), reason.strip()[:REASON_LENGTH]
    if not printed_name:
        raise Invalid(_("Give the name to print on the certificate."), field="printed_name")
    if len(printed_name) > NAME_LENGTH:
        raise Invalid(_("Use at most %(n)d characters.", n=NAME_LENGTH), field="printed_name")
    if locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."), field="locale")
    if not reason:
        raise Invalid(_("Give the reason for reissuing this certificate."), field="reason")
    if old.revoked_at is not None:
        raise Conflict(_("A revoked certificate cannot be reissued."))
    key = old.completion_key
    now = utcnow()
    changed = s.execute(sa.update(Certificate).where(
        Certificate.id == old.id, Certificate.superseded_at.is_(None),
        Certificate.revoked_at.is_(None)).values(superseded_at=now, completion_key=None)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("This certificate was already revoked or replaced."))
    new, _created = issuing.store(s, lambda code: Certificate(
        code=code, completion_key=key, user_id=old.user_id, programme_id=old.programme_id,
        course_id=old.course_id, version_id=old.version_id, track_id=old.track_id,
        cycle=old.cycle, printed_name=printed_name, locale=locale, issued_on=old.issued_on,
        expires_on=old.expires_on, issued_by=actor.user.id))
    s.execute(sa.update(Certificate).where(Certificate.id == old.id).values(superseded_by=new.id)
              .execution_options(synchronize_session=False))
    issuing.log_event(s, new.id, "reissued", actor.user.id, reason, related_id=old.id)
    issuing.log_event(s, old.id, "superseded", actor.user.id, reason, related_id=new.id)
    s.flush()
    s.refresh(old)
    return new


@dataclass
class EventRow:
    """An audit-trail entry with the name of who did it (None: the system)."""

    event: CertificateEvent
    actor: str | None
    related_code: str | None


def audit_trail(s: Session, cert_id: int) -> list[EventRow]:
    """A certificate's history, oldest first."""
    related = aliased(Certificate)
    rows = s.exec(select(CertificateEvent, User.display_name, related.code)
                  .join(User, User.id == CertificateEvent.actor_id, isouter=True)
                  .join(related, related.id == CertificateEvent.related_id, isouter=True)
                  .where(CertificateEvent.certificate_id == cert_id)
                  .order_by(CertificateEvent.created_at, CertificateEvent.id)).all()
    return [EventRow(event, name, codes.display(code) if code else None)
            for event, name, code in rows]


@dataclass
class Filters:
    """Which certificates a register or export covers; programme ids already checked."""

    programme_ids: list[int]
    track_id: str = ""
    status: str = ""
    issued_from: date | None = None
    issued_to: date | None = None

    def as_dict(self) -> dict:
        return {"programme_ids": self.programme_ids, "track_id": self.track_id,
                "status": self.status,
                "issued_from": self.issued_from.isoformat() if self.issued_from else "",
                "issued_to": self.issued_to.isoformat() if self.issued_to else ""}

    @classmethod
    def from_dict(cls, data: dict) -> "Filters":
        day = date.fromisoformat
        return cls(list(data["programme_ids"]), data.get("track_id", ""),
                   data.get("status", ""),
                   day(data["issued_from"]) if data.get("issued_from") else None,
                   day(data["issued_to"]) if data.get("issued_to") else None)


def filters_for(s: Session, actor: Principal, *, programme_id: int | None, track_id: str = "",
                status: str = "", issued_from: date | None = None,
                issued_to: date | None = None) -> Filters:
    """Filters limited to the actor's programmes; another programme's id is NotFound."""
    mine = managed_programme_ids(s, actor)
    if programme_id is not None and programme_id not in mine:
        raise NotFound()
    if status and status not in STATUSES:
        raise Invalid(_("Choose one of the listed statuses."), field="status")
    ids = [programme_id] if programme_id is not None else sorted(mine)
    return Filters(ids, track_id, status, issued_from, issued_to)


def _status_clause(status: str, on: date):
    live = sa.and_(Certificate.superseded_at.is_(None), Certificate.revoked_at.is_(None))
    return {
        "superseded": Certificate.superseded_at.is_not(None),
        "revoked": sa.and_(Certificate.superseded_at.is_(None),
                           Certificate.revoked_at.is_not(None)),
        "expired": sa.and_(live, Certificate.expires_on <= on),
        "valid": sa.and_(live, sa.or_(Certificate.expires_on.is_(None),
                                      Certificate.expires_on > on)),
    }[status]


def register_query(filters: Filters, on: date | None = None):
    """The certificates the filters select, newest first, with their programme's name."""
    query = (select(Certificate, Programme.name)
             .join(Programme, Programme.id == Certificate.programme_id)
             .where(Certificate.programme_id.in_(filters.programme_ids or [-1])))
    if filters.track_id:
        query = query.where(Certificate.track_id == filters.track_id)
    if filters.status:
        query = query.where(_status_clause(filters.status, on or certificates.today()))
    if filters.issued_from:
        query = query.where(Certificate.issued_on >= filters.issued_from)
    if filters.issued_to:
        query = query.where(Certificate.issued_on <= filters.issued_to)
    return query.order_by(Certificate.issued_on.desc(), Certificate.id.desc())


def register(s: Session, filters: Filters, *, page: int = 1, per_page: int = PER_PAGE,
             on: date | None = None) -> tuple[list[tuple[Certificate, str, str]], int]:
    """A page of the register: (certificate, programme name, status), and the total count."""
    on = on or certificates.today()
    rows, total = page_of(s, register_query(filters, on), page, per_page)
    return [(cert, name, certificates.status_of(cert, on)) for cert, name in rows], total


def track_choices(s: Session, programme_ids: set[int], locale: str) -> list[tuple[str, str]]:
    """(track id, title) of the tracks of courses offered to these programmes."""
    found: dict[str, str] = {}
    for course_id in sorted(offered_course_ids(s, programme_ids)):
        course, version = s.get(Course, course_id), published_version(s, course_id)
        track = Track.parse(version.track) if version else None
        if track is not None:
            found.setdefault(track.id, certificates.track_title(version, track, locale,
                                                   course.default_locale))
    return sorted(found.items(), key=lambda pair: pair[1])


def certified_ids(s: Session, programme_id: int) -> set[int]:
    """Navigators of a programme holding a valid certificate (for outreach's reports)."""
    return set(s.exec(select(Certificate.user_id).where(
        Certificate.programme_id == programme_id,
        _status_clause("valid", certificates.today()))).all())


def printable(s: Session, actor: Principal, cert_id: int) -> Certificate:
    """A certificate the actor may print: their own current one, or one they manage."""
    cert = s.get(Certificate, cert_id)
    if cert is not None and cert.user_id == actor.user.id and cert.superseded_at is None \
            and cert.revoked_at is None:
        return cert
    return get_managed(s, actor, cert_id)
