"""Public verification of a certificate by its code, and what its PDF says."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from navigator.accounts.models import Programme
from navigator.certification import codes
from navigator.certification.certificates import status_of, track_title, verify_url
from navigator.certification.eligibility import Track
from navigator.certification.models import Certificate
from navigator.certification.pdf import CertificateDoc
from navigator.errors import NotFound
from navigator.i18n import CODES
from navigator.learning.models import Course, CourseVersion


@dataclass
class Verification:
    """What the public verification page shows: the status and minimal personal data."""

    code: str
    status: str
    printed_name: str
    track: str
    programme: str
    issued_on: date
    expires_on: date | None
    revoked_on: date | None

    def as_json(self) -> dict:
        return {"code": self.code, "status": self.status, "name": self.printed_name,
                "track": self.track, "programme": self.programme,
                "issued_on": self.issued_on.isoformat(),
                "expires_on": self.expires_on.isoformat() if self.expires_on else None,
                "revoked_on": self.revoked_on.isoformat() if self.revoked_on else None}


def find_by_code(s: Session, raw: str) -> Certificate:
    """The certificate with a typed code; NotFound for anything else, malformed or unknown."""
    code = codes.normalise(raw)
    cert = code and s.exec(select(Certificate).where(Certificate.code == code)).first()
    if not cert:
        raise NotFound()
    return cert


def verify(s: Session, raw: str, locale: str, on: date | None = None) -> Verification:
    """The public facts of a certificate, in the visitor's language."""
    cert = find_by_code(s, raw)
    version, course = s.get(CourseVersion, cert.version_id), s.get(Course, cert.course_id)
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    return Verification(codes.display(cert.code), status_of(cert, on), cert.printed_name,
                        track_title(version, track, locale, course.default_locale),
                        s.get(Programme, cert.programme_id).name, cert.issued_on,
                        cert.expires_on, cert.revoked_at.date() if cert.revoked_at else None)


def document(s: Session, cert: Certificate, base_url: str,
             locale: str | None = None) -> CertificateDoc:
    """What the certificate's PDF says: in the language asked for, else the certificate's."""
    locale = locale if locale in CODES else cert.locale
    version, course = s.get(CourseVersion, cert.version_id), s.get(Course, cert.course_id)
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    return CertificateDoc(codes.display(cert.code), verify_url(base_url, cert.code),
                          cert.printed_name,
                          track_title(version, track, locale, course.default_locale),
                          s.get(Programme, cert.programme_id).name, version.number, locale,
                          cert.issued_on, cert.expires_on)
