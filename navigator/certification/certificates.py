"""A certificate's status and dates, and the track title it prints."""

from datetime import date

from navigator.certification import codes
from navigator.certification.eligibility import Track
from navigator.certification.models import Certificate
from navigator.db import utcnow
from navigator.learning.models import CourseVersion
from navigator.learning.services import pick

STATUSES = ("valid", "expired", "revoked", "superseded")
REASON_LENGTH = 500
NAME_LENGTH = 120


def today() -> date:
    """Today's date in UTC: issue and expiry dates are UTC days."""
    return utcnow().date()


def status_of(cert: Certificate, on: date | None = None) -> str:
    """valid, expired, revoked or superseded; a certificate expires on its expiry date."""
    if cert.superseded_at is not None:
        return "superseded"
    if cert.revoked_at is not None:
        return "revoked"
    if cert.expires_on is not None and cert.expires_on <= (on or today()):
        return "expired"
    return "valid"


def verify_url(base_url: str, code: str) -> str:
    """The public page that says whether a certificate is valid (printed as a QR code)."""
    return f"{base_url.rstrip('/')}/verify/{codes.display(code)}"


def track_title(version: CourseVersion, track: Track, locale: str, default: str) -> str:
    """The track's name in the locale, else in the course's default language."""
    return pick(version.texts, locale, default)[1].get("track_title") or track.title
