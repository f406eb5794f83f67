"""Tables for certificates, their audit trail, trainer sign-offs and manager exports."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow


class Certificate(SQLModel, table=True):
    """A certificate for one completion of a track.

    completion_key ("user:track:version:cycle") is unique while the certificate is the current
    one for that completion, so concurrent issuing stores one row. A reissue clears the old
    row's key and hands it to the new one; the old row stays, marked superseded.
    """

    __table_args__ = (Index("ix_certificate_register", "programme_id", "issued_on"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)  # canonical: 10 characters, no separators
    completion_key: str | None = Field(default=None, max_length=160, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    programme_id: int = Field(foreign_key="programme.id")
    course_id: int = Field(foreign_key="course.id")
    version_id: int = Field(foreign_key="courseversion.id")
    track_id: str = Field(max_length=80, index=True)
    cycle: int = 0  # 0: first completion of this version; n: its n-th renewal
    printed_name: str = Field(max_length=120)
    locale: str = Field(max_length=8)
    issued_on: date
    expires_on: date | None = None  # None: the track never expires
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="user.id")
    revoke_reason: str = Field(default="", max_length=500)
    superseded_at: datetime | None = None
    superseded_by: int | None = Field(default=None, foreign_key="certificate.id")


class CertificateEvent(SQLModel, table=True):
    """One entry of a certificate's audit trail: what happened, by whom, when and why."""

    __tablename__ = "certificate_event"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    action: str = Field(max_length=16)  # issued | revoked | reissued | superseded
    actor_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    related_id: int | None = Field(default=None, foreign_key="certificate.id")
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class SignoffRequest(SQLModel, table=True):
    """A completion waiting for (or given) a trainer's sign-off, one per completion."""

    __tablename__ = "signoff_request"
    __table_args__ = (UniqueConstraint("user_id", "track_id", "version_id", "cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    course_id: int = Field(foreign_key="course.id")
    version_id: int = Field(foreign_key="courseversion.id")
    track_id: str = Field(max_length=80)
    cycle: int = 0
    status: str = Field(default="pending", max_length=12)  # pending | approved | declined
    requested_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(default="", max_length=500)  # the trainer's words when declining


class ExportJob(SQLModel, table=True):
    """A manager's background export of certificates: its filters, progress and result."""

    __tablename__ = "certificate_export"

    id: int | None = Field(default=None, primary_key=True)
    requested_by: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=8)  # csv | zip
    # What was asked for: {"programme_ids": [...], "track_id": "", "status": "",
    # "issued_from": "", "issued_to": "", "paper": "a4" | "letter",
    # "locale": the manager's language, for the CSV's headings}
    filters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=12)  # queued | running | done | failed
    done: int = 0
    total: int = 0
    error: str = Field(default="", max_length=500)
    file_name: str = Field(default="", max_length=120)  # its name in the file storage
    # Which job worker (host:pid) is building it, and how many times one started it: a worker
    # that dies mid-export leaves it to be started again, or failed after the last attempt.
    worker: str = Field(default="", max_length=120)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)  # a running export's heartbeat
    finished_at: datetime | None = None


class BadgeCredential(SQLModel, table=True):
    """A certificate as a signed Open Badges 3.0 credential, minted once and then kept.

    The compact JWS is stored as signed, so every download hands out the same bytes and a
    rotated key never changes a credential already given out. Its place on its programme's
    Bitstring Status List (list, index) is unique and picked at random, so the list reveals
    no issuing order.
    """

    __tablename__ = "badge_credential"
    __table_args__ = (UniqueConstraint("programme_id", "status_list", "status_index"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", unique=True)
    credential_id: str = Field(max_length=64, unique=True)  # urn:uuid:…, the credential's id
    programme_id: int = Field(foreign_key="programme.id")  # the issuer, who owns the list
    status_list: int = 1
    status_index: int
    kid: str = Field(max_length=300)  # the key that signed it
    jws: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
