"""The signed-in person (`Principal`): a user together with their memberships."""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from navigator.accounts.models import Membership, User


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


def principal(session: Session, user: User) -> Principal:
    """The user with their memberships, for Flask-Login."""
    rows = session.exec(select(Membership.programme_id, Membership.role)
                        .where(Membership.user_id == user.id)).all()
    return Principal(user, [(pid, role) for pid, role in rows])

