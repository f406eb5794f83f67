"""A certificate's OpenBadgeCredential (Open Badges 3.0 on the VC Data Model 2.0), signed as a
VC-JOSE compact JWS the way Open Badges 3.0 §8.2 defines it.

The JWT payload is the credential itself, its members at the top level, with the registered
claims OB 3.0 requires beside them: iss (issuer.id), jti (id), sub (credentialSubject.id), nbf
(validFrom) and exp (validUntil). The JOSE header holds only alg, kid and typ "JWT", as OB 3.0
allows. The holder appears as little as the standard allows: a random subject id, a salted
SHA-256 of the e-mail address, and the name printed on the certificate.

Credentials are minted once per certificate and stored as signed: later downloads give the same
bytes, and a key rotation leaves them alone. Everything here takes plain data and a session and
needs an app context only for translations (the certificate's own language).
"""

import base64
import hashlib
import json
import secrets
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.certification import codes
from navigator.certification.badges import status
from navigator.certification.badges.keys import Keyring
from navigator.certification.eligibility import Track
from navigator.certification.models import BadgeCredential, Certificate
from navigator.db import insert_once
from navigator.i18n import _, force_locale, ngettext
from navigator.learning.models import Course, CourseVersion
from navigator.learning.services import modules_of, pick

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = [VC_CONTEXT, OB_CONTEXT]
OB_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
             "ob_v3p0_achievementcredential_schema.json")
MEDIA_TYPE = "application/vc+jwt"


def iso(moment: datetime) -> str:
    """A DateTimeZ as OB 3.0 writes it: seconds, UTC, a trailing Z."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def issuer_id(base_url: str, programme_id: int) -> str:
    return f"{base_url.rstrip('/')}/badges/issuers/{programme_id}"


def issuer_profile(base_url: str, programme: Programme) -> dict:
    """The issuer: the programme that awards the certificate, on this platform."""
    return {"id": issuer_id(base_url, programme.id), "type": ["Profile"],
            "name": programme.name, "url": base_url.rstrip("/")}


def issuer_document(base_url: str, programme: Programme) -> dict:
    """The issuer profile served at its id, with the contexts that define its terms."""
    return {"@context": CONTEXTS, **issuer_profile(base_url, programme)}


def achievement_id(base_url: str, course: Course, track: Track, version: CourseVersion) -> str:
    return (f"{base_url.rstrip('/')}/badges/achievements/{course.slug}/{track.id}/"
            f"{version.number}")


def _percent(value: int) -> str:
    return _("%(mark)s%%", mark=value)


def criteria(s: Session, version: CourseVersion, course: Course, track: Track,
             locale: str) -> str:
    """The track's requirements in plain words (markdown), in the current locale."""
    lines = [_("To earn this certificate, a digital navigator must:")]
    modules = [m for m in modules_of(s, version.id) if track.requires(m.slug)]
    if modules:
        lines.append("- " + _("complete each of these modules: read every lesson and pass its "
                              "quiz at its pass mark:"))
        for m in modules:
            title = pick(m.texts, locale, course.default_locale)[1].get("title") or m.slug
            lines.append(f"  - {title}")
    if version.final_quiz_slug:
        if track.final_pass_mark is not None:
            lines.append("- " + _("pass the final assessment with a score of at least "
                                  "%(mark)s.", mark=_percent(track.final_pass_mark)))
        else:
            lines.append("- " + _("pass the final assessment at its pass mark."))
    if track.outreach_sessions:
        lines.append("- " + ngettext("log %(num)d outreach session with the community.",
                                     "log %(num)d outreach sessions with the community.",
                                     track.outreach_sessions))
    if track.chatbot_checks:
        lines.append("- " + ngettext("check %(num)d chatbot with the platform's chatbot check, "
                                     "approved by a trainer.",
                                     "check %(num)d chatbots with the platform's chatbot check, "
                                     "approved by a trainer.", track.chatbot_checks))
    if track.trainer_signoff:
        lines.append("- " + _("be signed off by a trainer."))
    if track.valid_months:
        lines.append("")
        lines.append(ngettext("The certificate is valid for %(num)d month; renewing it asks "
                              "for the final assessment again.",
                              "The certificate is valid for %(num)d months; renewing it asks "
                              "for the final assessment again.", track.valid_months))
    return "\n".join(lines)


def achievement(s: Session, base_url: str, course: Course, version: CourseVersion,
                track: Track, locale: str) -> dict:
    """The track as an OB 3.0 Achievement, in the locale (needs an app context)."""
    used, texts = pick(version.texts, locale, course.default_locale)
    title = texts.get("track_title") or track.title
    course_title = texts.get("title") or course.slug
    with force_locale(used):
        return {
            "id": achievement_id(base_url, course, track, version),
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": title,
            "description": _("The certification track of the course “%(course)s”, version "
                             "%(number)s.", course=course_title, number=version.number),
            "criteria": {"narrative": criteria(s, version, course, track, used)},
            "humanCode": track.id,
            "inLanguage": used.replace("_", "-"),
            "version": str(version.number),
        }


def identity_hash(email: str, salt: str) -> str:
    """OB's IdentityHash: "sha256$" and the hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def build(s: Session, cert: Certificate, base_url: str, *, credential_id: str,
          subject_id: str, salt: str, status_list: int, status_index: int) -> dict:
    """The OpenBadgeCredential of a certificate, unsigned (needs an app context)."""
    version, course = s.get(CourseVersion, cert.version_id), s.get(Course, cert.course_id)
    programme, holder = s.get(Programme, cert.programme_id), s.get(User, cert.user_id)
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    badge = achievement(s, base_url, course, version, track, cert.locale)
    verify_url = f"{base_url.rstrip('/')}/verify/{codes.display(cert.code)}"
    with force_locale(cert.locale):
        evidence = [{
            "id": verify_url, "type": ["Evidence"],
            "name": _("Certificate %(code)s", code=codes.display(cert.code)),
            "narrative": _("Every requirement of the track was met on the platform; the "
                           "certificate's public page says whether it is still valid."),
        }]
    credential = {
        "@context": CONTEXTS,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge["name"],
        "issuer": issuer_profile(base_url, programme),
        "validFrom": iso(cert.issued_at),
        "awardedDate": iso(cert.issued_at),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": identity_hash(holder.email, salt), "salt": salt},
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": cert.printed_name},
            ],
            "achievement": badge,
        },
        "evidence": evidence,
        "credentialStatus": status.entry(base_url, cert.programme_id, status_list,
                                         status_index),
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if cert.expires_on is not None:
        credential["validUntil"] = iso(day_start(cert.expires_on))
    return credential


def claims(credential: dict) -> dict:
    """The JWT payload: the credential with OB 3.0's registered claims beside it."""
    payload = dict(credential)
    payload.update(iss=credential["issuer"]["id"], jti=credential["id"],
                   sub=credential["credentialSubject"]["id"],
                   nbf=int(datetime.fromisoformat(credential["validFrom"]).timestamp()))
    if "validUntil" in credential:
        payload["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return payload


def sign(keyring: Keyring, credential: dict) -> str:
    payload = json.dumps(claims(credential), ensure_ascii=False, separators=(",", ":"))
    return keyring.sign({"typ": "JWT"}, payload.encode())


def stored(s: Session, certificate_id: int) -> BadgeCredential | None:
    """The certificate's credential as signed and stored; None when none is yet."""
    return s.exec(select(BadgeCredential).where(
        BadgeCredential.certificate_id == certificate_id)).first()


def get_or_mint(s: Session, cert: Certificate, keyring: Keyring,
                base_url: str) -> BadgeCredential:
    """The certificate's stored credential, minted and signed when there is none."""
    found = stored(s, cert.id)
    if found is not None:
        return found
    for _attempt in range(5):
        number, index = status.allocate(s, cert.programme_id)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        body = build(s, cert, base_url, credential_id=credential_id,
                     subject_id=f"urn:uuid:{uuid.uuid4()}", salt=secrets.token_hex(16),
                     status_list=number, status_index=index)
        row = BadgeCredential(certificate_id=cert.id, credential_id=credential_id,
                              programme_id=cert.programme_id, status_list=number,
                              status_index=index,
                              kid=keyring.signing.kid, jws=sign(keyring, body))
        if insert_once(s, row):
            return row
        found = s.exec(select(BadgeCredential).where(
            BadgeCredential.certificate_id == cert.id)).first()
        if found is not None:  # another request minted it first
            return found
    raise RuntimeError("no free status list index found")  # practically unreachable


def payload_of(token: str) -> dict:
    """The JSON payload of a compact JWS, unverified (to show what a token says)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def credential_of(row: BadgeCredential) -> dict:
    """The credential a stored JWS carries, without the JWT's registered claims."""
    payload = payload_of(row.jws)
    for claim in ("iss", "jti", "sub", "nbf", "exp", "iat"):
        payload.pop(claim, None)
    return payload


def status_list_credential(s: Session, keyring: Keyring, base_url: str, programme_id: int,
                           number: int, now: datetime) -> tuple[dict, str]:
    """A programme's BitstringStatusListCredential: (credential, compact JWS), signed by the
    same issuer as the credentials it speaks about."""
    url = status.list_url(base_url, programme_id, number)
    credential = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(base_url, programme_id),
        "validFrom": iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status.PURPOSE,
            "encodedList": status.encode(status.set_bits(s, programme_id, number)),
        },
    }
    payload = {**credential, "iss": credential["issuer"], "jti": url,
               "nbf": int(now.timestamp())}
    token = keyring.sign({"typ": "JWT"}, json.dumps(payload, separators=(",", ":")).encode())
    return credential, token


def envelope(token: str) -> dict:
    """The signed credential as JSON: an EnvelopedVerifiableCredential (VC Data Model 2.0)."""
    return {"@context": VC_CONTEXT, "id": f"data:{MEDIA_TYPE},{token}",
            "type": "EnvelopedVerifiableCredential"}


DATA = Path(__file__).resolve().parent / "data"
# The JSON-LD contexts the credentials use, by URL, as shipped (never fetched).
CONTEXT_FILES = {VC_CONTEXT: DATA / "credentials-v2.jsonld",
                 OB_CONTEXT: DATA / "ob-v3p0-context-3.0.3.json"}
SCHEMA_FILE = DATA / "ob_v3p0_achievementcredential_schema.json"


def load_context(url: str) -> dict:
    """A JSON-LD context the platform uses, from the package; KeyError for any other."""
    return json.loads(CONTEXT_FILES[url].read_text(encoding="utf-8"))
