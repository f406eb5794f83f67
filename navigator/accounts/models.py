"""Tables for people, programmes, memberships, invitations, reset links and API tokens."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow

ROLES = ("navigator", "trainer", "manager")


class Programme(SQLModel, table=True):
    """A training programme: a city, an NGO, a clinic network."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    join_code: str = Field(max_length=16, unique=True, index=True)
    join_code_enabled: bool = True
    default_locale: str = Field(default="en", max_length=8)
    # Shown beside the sandbox when a prompt contains crisis language; the programme's protocol.
    crisis_resources: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A person who signs in. Holds no more personal data than the platform needs."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    display_name: str = Field(max_length=80)
    certificate_name: str = Field(default="", max_length=120)
    locale: str = Field(default="", max_length=8)
    is_admin: bool = False
    is_active: bool = True
    # Changing the nonce ends every session of this person (deactivation, password change).
    session_nonce: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """One role a person holds in one programme."""

    __table_args__ = (UniqueConstraint("user_id", "programme_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    """A single-use, expiring link that lets one person join a programme in a role."""

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    role: str = Field(max_length=16)
    email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = Field(default=None, foreign_key="user.id")
    revoked_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A one-time, expiring password reset link; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A personal token for the platform's OpenAI-compatible API; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=60)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """One signed-in browser. The cookie holds a random key; only its hash is stored here.

    Signing out deletes the row, so a copy of the cookie stops working at once; signing out
    everywhere deletes all of a person's rows.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
