"""Sign-in sessions: starting one, resolving a cookie to its person, counting and ending them."""

import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, select

from navigator.accounts.models import Membership, User, UserSession
from navigator.accounts.principal import Principal, principal
from navigator.accounts.tokens import token_digest
from navigator.db import utcnow


@cache
def _signed_in():
    """The person, their browser's session and their memberships: one statement, built once.

    Every page a signed-in person opens runs it first, so it is kept to one round trip."""
    return (sa.select(User, UserSession.expires_at, Membership.programme_id, Membership.role)
            .join(UserSession, sa.and_(UserSession.user_id == User.id,
                                       UserSession.key_hash == sa.bindparam("key_hash")))
            .outerjoin(Membership, Membership.user_id == User.id)
            .where(User.id == sa.bindparam("user_id")))


def person_of(session_id: str) -> int | None:
    """The person a session's id ('<id>.<nonce>.<key>') names, unchecked; None if malformed."""
    ident = session_id.partition(".")[0]
    return int(ident) if ident.isdigit() else None


def load_principal(session: Session, user_id: str) -> Principal | None:
    """Resolve a session's id ('<id>.<nonce>.<key>'); None once that session has ended.

    A session ends when its person signs out of it (its row goes), signs out everywhere or
    changes their password (the nonce changes), is deactivated, or its time is up.
    """
    ident, _sep, rest = user_id.partition(".")
    nonce, _sep, key = rest.partition(".")
    if person_of(user_id) is None or not key:
        return None
    rows = session.execute(_signed_in(), {"user_id": int(ident),
                                          "key_hash": token_digest(key)}).all()
    if not rows:
        return None
    user, expires_at = rows[0][0], rows[0][1]
    if (not user.is_active or not secrets.compare_digest(user.session_nonce, nonce)
            or expires_at < utcnow()):
        return None
    found = Principal(user, [(pid, role) for _u, _e, pid, role in rows if pid is not None])
    found.session_key = key
    return found


def start_session(session: Session, user: User, *, hours: int) -> str:
    """Record a new signed-in browser for the user; returns the key its cookie will hold."""
    now = utcnow()
    # Sessions that ran out are swept here, at sign-in, rather than on every request.
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.expires_at < now))
    key = secrets.token_urlsafe(24)
    session.add(UserSession(user_id=user.id, key_hash=token_digest(key),
                            expires_at=now + timedelta(hours=hours)))
    session.flush()
    return key


def open_session(session: Session, user: User, *, hours: int) -> Principal:
    """Start a signed-in browser for the user: the Principal whose id its cookie will hold."""
    key = start_session(session, user, hours=hours)
    signed_in = principal(session, user)
    signed_in.session_key = key
    return signed_in


def end_session(session: Session, key: str) -> None:
    """Sign one browser out: its cookie, and every copy of it, stops working."""
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == token_digest(key)))


def end_all_sessions(session: Session, user: User) -> None:
    """Sign a person out of every browser and device."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.session_nonce = secrets.token_hex(8)


def count_sessions(session: Session, user: User) -> int:
    """How many browsers the person is signed in on now."""
    return session.exec(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.expires_at >= utcnow())).one()

