"""Accounts and their passwords: creating one, signing in, the profile, changing and resetting
a password. It is also the door other capabilities use: it re-exports the modules named for
what they hold (principal, sessions, people, programmes, invitations, tokens); accounts' own
modules import those names where they live."""

import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select
from zxcvbn import zxcvbn

from navigator.accounts.invitations import (
    accept_invitation,
    get_invitation,
    invite,
    list_invitations,
    open_invitation,
    revoke_invitation,
)
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
from navigator.accounts.people import (
    get_person,
    get_user_by_email,
    list_people,
    managed_programme_ids,
    normalise_email,
    set_active,
    set_roles,
)
from navigator.accounts.principal import Principal, principal
from navigator.accounts.programmes import (
    JOIN_CODE_ALPHABET,
    add_role,
    create_programme,
    find_programme_by_code,
    get_programme,
    join_with_code,
    list_programmes,
    managed_programmes,
    new_join_code,
    regenerate_join_code,
    renew_join_code,
    update_programme,
)
from navigator.accounts.sessions import (
    count_sessions,
    end_all_sessions,
    end_session,
    load_principal,
    open_session,
    start_session,
)
from navigator.accounts.tokens import (
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_digest,
    user_for_api_token,
)
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _

# Every name callers outside accounts use, the tables and query helpers tests reach through
# here included.
__all__ = [
    "ApiToken", "Invitation", "JOIN_CODE_ALPHABET", "Membership", "PasswordReset", "Principal",
    "Programme", "ROLES", "User", "UserSession", "accept_invitation", "add_role", "authenticate",
    "change_password", "check_password_rules", "check_reset_token", "count_sessions",
    "create_api_token", "create_programme", "create_user", "end_all_sessions", "end_session",
    "find_programme_by_code", "finish_password_reset", "get_invitation", "get_person",
    "get_programme", "get_user_by_email", "hash_password", "invite", "join_with_code",
    "list_api_tokens", "list_invitations", "list_people", "list_programmes", "load_principal",
    "managed_programme_ids", "managed_programmes", "new_join_code", "normalise_email",
    "open_invitation", "open_session", "principal", "regenerate_join_code", "renew_join_code",
    "revoke_api_token", "revoke_invitation", "select", "set_active", "set_locale", "set_password",
    "set_roles", "sign_up_with_code", "sign_up_with_invitation", "start_password_reset",
    "start_session", "token_digest", "update_profile", "update_programme", "user_for_api_token",
    "utcnow", "verify_password",
]

# The hasher stays here, beside everything that hashes: tests put cheaper parameters in
# place by setting services._hasher and services._DUMMY_HASH.
# argon2id at OWASP's recommended configuration (19 MiB, 2 passes, 1 lane): about 22 ms of one
# core per sign-in. The library's default (RFC 9106's 64 MiB, 3 passes, 4 lanes) took 190 ms of
# CPU, so a class of thirty signing in together held a 2-core server for three seconds.
# Hashes made with other parameters still verify, and are remade at the next sign-in.
HASHING = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**HASHING)
# Verifying against this keeps unknown e-mails as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not-a-real-password-at-all")


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


def sign_up_with_invitation(session: Session, raw: str, *, email: str, password: str,
                            display_name: str, locale: str,
                            min_length: int) -> tuple[User, Programme]:
    """A new account that uses an invitation up: it gets the invitation's role in its
    programme."""
    user = create_user(session, email=email, password=password, display_name=display_name,
                       locale=locale, min_length=min_length)
    return user, accept_invitation(session, raw, user)


def sign_up_with_code(session: Session, code: str, *, email: str, password: str,
                      display_name: str, locale: str, min_length: int) -> tuple[User, Programme]:
    """A new account that joins a programme as a navigator with its join code."""
    find_programme_by_code(session, code)  # a wrong code is told before anything else
    user = create_user(session, email=email, password=password, display_name=display_name,
                       locale=locale, min_length=min_length)
    return user, join_with_code(session, user, code)


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

