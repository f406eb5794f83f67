"""Secret tokens kept only as digests, and the API tokens people make for themselves."""

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from navigator.accounts.models import ApiToken, User
from navigator.db import utcnow
from navigator.errors import NotFound


def token_digest(raw: str) -> str:
    """The stored form of a secret token: only its SHA-256."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; the raw value is returned once and never stored."""
    raw = "nav_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:60] or "token", prefix=raw[:10],
                     token_hash=token_digest(raw))
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    """A person's tokens that are not revoked."""
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                                    ApiToken.revoked_at.is_(None))
                             .order_by(ApiToken.created_at.desc())))


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of the person's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    token.revoked_at = utcnow()


def user_for_api_token(session: Session, raw: str) -> User | None:
    """The active owner of a valid API token, noting when it was used."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(raw),
                                                ApiToken.revoked_at.is_(None))).first()
    if token is None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # not on every call: keeps API reads from becoming writes
    return user

