"""People, programmes, invitations, passwords and profiles: the accounts domain."""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_
from sqlmodel import Session, select
from zxcvbn import zxcvbn

from navigator.accounts.models import (
    ROLES,
    ApiToken,
    Invitation,
    Membership,
    PasswordReset,
    Programme,
    User,
    UserSession,
)
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.i18n import CODES, _

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verifying against this keeps unknown e-mails as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not-a-real-password-at-all")
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room


@dataclass
class Principal:
    """The signed-in person as Flask-Login sees them: the user and their roles."""

    user: User
    memberships: list[tuple[int, str]] = field(default_factory=list)

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    session_key: str = ""  # this browser's session, as in the cookie

    def get_id(self) -> str:
        return f"{self.user.id}.{self.user.session_nonce}.{self.session_key}"

    def __getattr__(self, name):
        return getattr(self.user, name)

    @property
    def roles(self) -> set[str]:
        """Every role held in any programme, plus 'admin' for administrators."""
        return {role for _, role in self.memberships} | ({"admin"} if self.user.is_admin else set())

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def programme_ids(self, *roles: str) -> set[int]:
        """Programmes where the person holds any of the roles (any role when none given)."""
        return {pid for pid, role in self.memberships if not roles or role in roles}


def token_digest(raw: str) -> str:
    """The stored form of a secret token: only its SHA-256."""
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased e-mail address."""
    return email.strip().lower()


# --- passwords ------------------------------------------------------------------------------

def check_password_rules(password: str, *, min_length: int, hints: tuple[str, ...] = ()) -> None:
    """Raise Invalid when a password is too short or too easy to guess."""
    if len(password) < min_length:
        raise Invalid(_("Use at least %(n)d characters.", n=min_length), field="password")
    if len(password) > 256:
        raise Invalid(_("Use at most %(n)d characters.", n=256), field="password")
    # zxcvbn knows common passwords, words, dates and keyboard patterns; the person's own
    # name and e-mail words count as guessable too.
    words = {w for h in hints for w in re.split(r"[^\w]+", h.lower()) if len(w) > 2}
    if zxcvbn(password[:100], user_inputs=sorted(words))["score"] < 2:
        raise Invalid(_("This password is too common or too easy to guess. Try a few unrelated "
                        "words together."), field="password")


def hash_password(password: str) -> str:
    """An argon2id hash."""
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True when the password matches; takes as long for unknown users as for known ones."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    """Store a new hash and end the person's other sessions."""
    user.password_hash = hash_password(password)
    user.session_nonce = secrets.token_hex(8)


# --- users ----------------------------------------------------------------------------------

def principal(session: Session, user: User) -> Principal:
    """The user with their memberships, for Flask-Login."""
    rows = session.exec(select(Membership.programme_id, Membership.role)
                        .where(Membership.user_id == user.id)).all()
    return Principal(user, [(pid, role) for pid, role in rows])


@cache
def _signed_in():
    """The person, their browser's session and their memberships: one statement, built once.

    Every page a signed-in person opens runs it first, so it is kept to one round trip."""
    return (sa.select(User, UserSession.expires_at, Membership.programme_id, Membership.role)
            .join(UserSession, sa.and_(UserSession.user_id == User.id,
                                       UserSession.key_hash == sa.bindparam("key_hash")))
            .outerjoin(Membership, Membership.user_id == User.id)
            .where(User.id == sa.bindparam("user_id")))


def load_principal(session: Session, user_id: str) -> Principal | None:
    """Resolve a session's id ('<id>.<nonce>.<key>'); None once that session has ended.

    A session ends when its person signs out of it (its row goes), signs out everywhere or
    changes their password (the nonce changes), is deactivated, or its time is up.
    """
    ident, _sep, rest = user_id.partition(".")
    nonce, _sep, key = rest.partition(".")
    if not ident.isdigit() or not key:
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


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(session: Session, *, email: str, password: str, display_name: str,
                min_length: int, locale: str = "", is_admin: bool = False) -> User:
    """Create an account after checking the e-mail is free and the password acceptable."""
    email = normalise_email(email)
    if get_user_by_email(session, email):
        raise Conflict(_("An account with this e-mail address already exists. Please sign in."),
                       field="email")
    check_password_rules(password, min_length=min_length, hints=(email, display_name))
    user = User(email=email, password_hash=hash_password(password),
                display_name=display_name.strip(), certificate_name=display_name.strip(),
                locale=locale if locale in CODES else "", is_admin=is_admin,
                session_nonce=secrets.token_hex(8))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with these credentials; one message for every kind of failure."""
    user = get_user_by_email(session, email)
    if not verify_password(user, password) or not user.is_active:
        raise Invalid(_("That e-mail address and password do not match an active account."))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user: User, *, current: str, new: str, min_length: int) -> None:
    """Change a password after checking the current one."""
    if not verify_password(user, current):
        raise Invalid(_("Your current password is not right."), field="current_password")
    check_password_rules(new, min_length=min_length, hints=(user.email, user.display_name))
    set_password(user, new)


def update_profile(user: User, *, display_name: str, certificate_name: str, locale: str) -> None:
    """Update the few things a person tells us about themselves."""
    if locale and locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."), field="locale")
    user.display_name = display_name.strip()
    user.certificate_name = certificate_name.strip() or user.display_name
    user.locale = locale


def set_locale(user: User, locale: str) -> None:
    """Remember the language a signed-in person chose with the switcher."""
    if locale in CODES:
        user.locale = locale


# --- password reset -------------------------------------------------------------------------

def start_password_reset(session: Session, email: str, *, hours: int) -> tuple[User, str] | None:
    """A fresh reset token for an active account, or None (the caller says the same either way)."""
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    raw = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=token_digest(raw),
                              expires_at=utcnow() + timedelta(hours=hours)))
    return user, raw


def _usable_reset(session: Session, raw: str) -> PasswordReset:
    reset = session.exec(select(PasswordReset)
                         .where(PasswordReset.token_hash == token_digest(raw))).first()
    if reset is None or reset.used_at or reset.expires_at < utcnow():
        raise NotFound(_("This reset link is not valid any more. Please ask for a new one."))
    return reset


def check_reset_token(session: Session, raw: str) -> None:
    """Raise NotFound unless the reset link can still be used."""
    _usable_reset(session, raw)


def finish_password_reset(session: Session, raw: str, password: str, *, min_length: int) -> User:
    """Set a new password through a reset link, using the link up."""
    reset = _usable_reset(session, raw)
    user = session.get(User, reset.user_id)
    check_password_rules(password, min_length=min_length, hints=(user.email, user.display_name))
    set_password(user, password)
    reset.used_at = utcnow()
    return user


# --- programmes -----------------------------------------------------------------------------

def new_join_code() -> str:
    """An 8-character code that is easy to read out and type."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def _check_name_free(session: Session, name: str, programme_id: int | None = None) -> None:
    clash = session.exec(select(Programme).where(func.lower(Programme.name) == name.lower(),
                                                 Programme.id != (programme_id or -1))).first()
    if clash:
        raise Conflict(_("A programme with this name already exists."), field="name")


def create_programme(session: Session, *, name: str, default_locale: str = "en") -> Programme:
    """Create a programme with a fresh join code."""
    name = name.strip()
    _check_name_free(session, name)
    programme = Programme(name=name, join_code=new_join_code(),
                          default_locale=default_locale if default_locale in CODES else "en")
    session.add(programme)
    session.flush()
    return programme


def list_programmes(session: Session, actor: Principal) -> list[Programme]:
    """Programmes the actor may see: all for administrators, else their own."""
    query = select(Programme).order_by(Programme.name)
    if not actor.user.is_admin:
        query = query.where(Programme.id.in_(actor.programme_ids() or {-1}))
    return list(session.exec(query))


def get_programme(session: Session, actor: Principal, programme_id: int,
                  *roles: str) -> Programme:
    """A programme the actor holds one of the roles in (administrators: any); else NotFound."""
    programme = session.get(Programme, programme_id)
    if programme is None or not (actor.user.is_admin
                                 or programme_id in actor.programme_ids(*roles)):
        raise NotFound()
    return programme


def update_programme(session: Session, programme: Programme, *, name: str, default_locale: str,
                     join_code_enabled: bool, crisis_resources: str) -> None:
    """Change a programme's settings."""
    _check_name_free(session, name.strip(), programme.id)
    programme.name = name.strip()
    programme.default_locale = default_locale if default_locale in CODES else "en"
    programme.join_code_enabled = join_code_enabled
    programme.crisis_resources = crisis_resources.strip()


def regenerate_join_code(programme: Programme) -> None:
    """Replace the join code; the old one stops working at once."""
    programme.join_code = new_join_code()


def add_role(session: Session, user: User, programme: Programme, role: str) -> None:
    """Give a person a role in a programme (no-op when held)."""
    if role not in ROLES:
        raise Invalid(_("Unknown role."), field="role")
    exists = session.exec(select(Membership).where(
        Membership.user_id == user.id, Membership.programme_id == programme.id,
        Membership.role == role)).first()
    if not exists:
        session.add(Membership(user_id=user.id, programme_id=programme.id, role=role))
        session.flush()


def find_programme_by_code(session: Session, code: str) -> Programme:
    """The programme whose enabled join code this is; Invalid otherwise."""
    code = code.strip().upper().replace(" ", "").replace("-", "")
    programme = session.exec(select(Programme).where(Programme.join_code == code)).first()
    if programme is None or not programme.join_code_enabled:
        raise Invalid(_("This join code is not valid. Check it with your programme."),
                      field="code")
    return programme


def join_with_code(session: Session, user: User, code: str) -> Programme:
    """Join a programme as a navigator with its join code."""
    programme = find_programme_by_code(session, code)
    add_role(session, user, programme, "navigator")
    return programme


# --- invitations ----------------------------------------------------------------------------

def invite(session: Session, actor: Principal, *, programme_id: int, role: str, email: str,
           days: int) -> tuple[Invitation, str]:
    """Create an invitation; managers invite to their programmes, administrators anywhere."""
    get_programme(session, actor, programme_id, "manager")
    if role not in ROLES:
        raise Invalid(_("Unknown role."), field="role")
    raw = secrets.token_urlsafe(24)
    invitation = Invitation(programme_id=programme_id, role=role, email=normalise_email(email),
                            token_hash=token_digest(raw), created_by=actor.user.id,
                            expires_at=utcnow() + timedelta(days=days))
    session.add(invitation)
    session.flush()
    return invitation, raw


def get_invitation(session: Session, raw: str) -> Invitation:
    """An invitation that can still be used; NotFound otherwise."""
    invitation = session.exec(select(Invitation)
                              .where(Invitation.token_hash == token_digest(raw))).first()
    if (invitation is None or invitation.used_at or invitation.revoked_at
            or invitation.expires_at < utcnow()):
        raise NotFound(_("This invitation link is not valid any more. Ask your programme "
                         "manager for a new one."))
    return invitation


def accept_invitation(session: Session, raw: str, user: User) -> Programme:
    """Use an invitation up: the user gets its role in its programme."""
    invitation = get_invitation(session, raw)
    programme = session.get(Programme, invitation.programme_id)
    add_role(session, user, programme, invitation.role)
    invitation.used_at = utcnow()
    invitation.used_by = user.id
    return programme


def list_invitations(session: Session, actor: Principal,
                     programme_ids: set[int]) -> list[Invitation]:
    """Open invitations of programmes the actor manages."""
    ids = programme_ids if actor.user.is_admin else programme_ids & actor.programme_ids("manager")
    return list(session.exec(
        select(Invitation).where(Invitation.programme_id.in_(ids or {-1}),
                                 Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
                                 Invitation.expires_at >= utcnow())
        .order_by(Invitation.created_at.desc())))


def revoke_invitation(session: Session, actor: Principal, invitation_id: int) -> None:
    """Withdraw an unused invitation."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    get_programme(session, actor, invitation.programme_id, "manager")
    invitation.revoked_at = utcnow()


# --- people (managers) ----------------------------------------------------------------------

def managed_programme_ids(session: Session, actor: Principal) -> set[int]:
    """Programmes whose people the actor manages."""
    if actor.user.is_admin:
        return set(session.exec(select(Programme.id)))
    return actor.programme_ids("manager")


def list_people(session: Session, actor: Principal, *, programme_id: int | None = None,
                query: str = "", role: str = "", page: int = 1,
                per_page: int = 50) -> tuple[list[tuple[User, list[Membership]]], int]:
    """People in the actor's managed programmes, filtered and paged; and the total count."""
    ids = managed_programme_ids(session, actor)
    if programme_id is not None:
        ids &= {programme_id}
    member_filter = [Membership.programme_id.in_(ids or {-1})]
    if role in ROLES:
        member_filter.append(Membership.role == role)
    user_ids = select(Membership.user_id).where(*member_filter)
    base = select(User).where(User.id.in_(user_ids))
    if query.strip():
        like = f"%{query.strip().lower()}%"
        base = base.where(or_(func.lower(User.display_name).like(like),
                              func.lower(User.email).like(like)))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    users = list(session.exec(base.order_by(func.lower(User.display_name))
                              .offset((max(page, 1) - 1) * per_page).limit(per_page)))
    memberships = session.exec(select(Membership).where(
        Membership.user_id.in_([u.id for u in users] or [-1]),
        Membership.programme_id.in_(ids or {-1}))).all()
    by_user: dict[int, list[Membership]] = {}
    for m in memberships:
        by_user.setdefault(m.user_id, []).append(m)
    return [(u, by_user.get(u.id, [])) for u in users], total


def get_person(session: Session, actor: Principal, user_id: int) -> tuple[User, list[Membership]]:
    """A person in one of the actor's managed programmes, with those memberships."""
    ids = managed_programme_ids(session, actor)
    memberships = list(session.exec(select(Membership).where(
        Membership.user_id == user_id, Membership.programme_id.in_(ids or {-1}))))
    user = session.get(User, user_id)
    if user is None or not (memberships or actor.user.is_admin):
        raise NotFound()
    return user, memberships


def set_roles(session: Session, actor: Principal, *, user_id: int, programme_id: int,
              roles: set[str]) -> None:
    """Make the person's roles in one managed programme exactly these."""
    get_person(session, actor, user_id)
    if programme_id not in managed_programme_ids(session, actor):
        raise NotFound()
    if not roles <= set(ROLES):
        raise Invalid(_("Unknown role."), field="roles")
    if user_id == actor.user.id and "manager" not in roles and not actor.user.is_admin:
        raise Invalid(_("You cannot remove your own manager role."), field="roles")
    current = session.exec(select(Membership).where(
        Membership.user_id == user_id, Membership.programme_id == programme_id)).all()
    for m in current:
        if m.role not in roles:
            session.delete(m)
    for role in roles - {m.role for m in current}:
        session.add(Membership(user_id=user_id, programme_id=programme_id, role=role))


def set_active(session: Session, actor: Principal, *, user_id: int, active: bool) -> User:
    """Deactivate (ending their sessions) or reactivate a person; nothing is deleted."""
    user, _memberships = get_person(session, actor, user_id)
    if user.id == actor.user.id:
        raise Forbidden(_("You cannot deactivate your own account."))
    if user.is_admin and not actor.user.is_admin:
        raise Forbidden()
    user.is_active = active
    if not active:
        user.session_nonce = secrets.token_hex(8)
    return user


# --- API tokens -----------------------------------------------------------------------------

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
