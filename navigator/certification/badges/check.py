"""Verifying a credential someone presents: pasted text, a .jwt or .json file, a baked image.

The answer is one of: valid, expired, revoked, superseded (replaced by a newer certificate),
tampered (the signature does not match the content, or the content contradicts itself),
foreign (not signed by any key of this platform) or unreadable (no credential found).
The signature is checked first; nothing the credential says is believed before that.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, select

from navigator.certification import certificates
from navigator.certification.badges import baking
from navigator.certification.badges.credential import claims, payload_of
from navigator.certification.badges.keys import Keyring
from navigator.certification.models import BadgeCredential, Certificate

STATES = ("valid", "expired", "revoked", "superseded", "tampered", "foreign", "unreadable")
LIMIT = 1 << 20  # a credential is a few kilobytes; a megabyte is plenty, images included
REGISTERED = ("iss", "jti", "sub", "nbf", "exp")
COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


@dataclass
class Checked:
    state: str
    credential: dict = field(default_factory=dict)
    certificate: Certificate | None = None
    detail: str = ""  # for the log and tests, never for the page

    @property
    def subject_name(self) -> str:
        ids = self.credential.get("credentialSubject", {}).get("identifier", [])
        return next((i.get("identityHash", "") for i in ids if isinstance(i, dict)
                     and i.get("identityType") == "name" and not i.get("hashed")), "")

    @property
    def achievement_name(self) -> str:
        return self.credential.get("credentialSubject", {}).get("achievement", {}).get("name", "")

    @property
    def issuer_name(self) -> str:
        issuer = self.credential.get("issuer", {})
        return issuer.get("name", "") if isinstance(issuer, dict) else ""

    def moment(self, name: str) -> datetime | None:
        try:
            return datetime.fromisoformat(self.credential[name])
        except (KeyError, TypeError, ValueError):
            return None


def token_from(data: bytes | str) -> str | None:
    """The compact JWS in what was presented: the text itself, or baked into an image."""
    if isinstance(data, str):
        data = data.encode()
    data = data[:LIMIT]
    text = baking.extract(data)
    if text is None:
        text = data.decode("utf-8", "replace")
    text = "".join(text.split())
    if text.startswith("{"):
        # An EnvelopedVerifiableCredential (VC Data Model 2.0 §4.13): the JWS in a data: URL
        # as its id; or a wallet's wrapper holding the JWS as one of its values.
        try:
            wrapped = json.loads(text)
        except ValueError:
            return None
        values = [v for v in wrapped.values() if isinstance(v, str)] \
            if isinstance(wrapped, dict) else []
        values = [v.partition(",")[2] if v.startswith("data:") else v for v in values]
        text = next((v for v in values if COMPACT.match(v)), "")
    return text if COMPACT.match(text) else None


def _consistent(payload: dict) -> bool:
    """OB 3.0 §8.2.4: the registered claims say what the credential says."""
    try:
        expected = claims({k: v for k, v in payload.items() if k not in REGISTERED})
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return all(payload.get(c) == expected.get(c) for c in REGISTERED)


def check(s: Session, keyring: Keyring, presented: bytes | str,
          now: datetime | None = None) -> Checked:
    """What a presented credential is worth, today."""
    now = now or datetime.now(UTC)
    token = token_from(presented)
    if token is None:
        return Checked("unreadable", detail="no compact JWS found")
    try:
        shown = payload_of(token)
        if not isinstance(shown, dict):
            raise ValueError
    except ValueError:
        return Checked("unreadable", detail="the payload is not JSON")
    verified = keyring.verify(token)
    if verified is None:
        try:
            header = json.loads(_b64(token.split(".")[0]))
        except ValueError:
            header = {}
        known = isinstance(header, dict) and keyring.by_kid(str(header.get("kid", "")))
        return Checked("tampered" if known else "foreign", shown,
                       detail="bad signature" if known else "unknown key")
    _header, raw, _key = verified
    payload = json.loads(raw)
    if not _consistent(payload) or "OpenBadgeCredential" not in payload.get("type", []):
        return Checked("tampered", payload, detail="claims disagree with the credential")
    row = s.exec(select(BadgeCredential).where(
        BadgeCredential.credential_id == payload["id"])).first()
    cert = s.get(Certificate, row.certificate_id) if row else None
    result = Checked("valid", payload, cert)
    if cert is None:
        result.state, result.detail = "foreign", "signed here, but not in the records"
        return result
    state = certificates.status_of(cert, now.date())
    until = result.moment("validUntil")
    if state == "valid" and until is not None and now >= until:
        state = "expired"
    result.state = state
    return result


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
