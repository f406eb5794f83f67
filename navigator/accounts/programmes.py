"""Programmes: creating and changing them, who may see them, roles in them, join codes."""

import secrets

from sqlalchemy import func
from sqlmodel import Session, select

from navigator.accounts.models import ROLES, Membership, Programme, User
from navigator.accounts.principal import Principal
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room


def new_join_code() -> str:
    """An 8-character code that is easy to read out and type."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def _check_name_free(session: Session, name: str, programme_id: int | None = None) -> None:
    clash = session.exec(select(Programme).where(func.lower(Programme.name) == name.lower(),
                                                 Programme.id != (programme_id or -1))).first()
    if clash:
        raise Conflict(_("A programme with this name already exists."), field="name")


def create_programme(session: Session, *, name: str, default_locale: str = "en",
                     join_code_enabled: bool = True, crisis_resources: str = "") -> Programme:
    """Create a programme with a fresh join code."""
    name = name.strip()
    _check_name_free(session, name)
    programme = Programme(name=name, join_code=new_join_code(),
                          default_locale=default_locale if default_locale in CODES else "en",
                          join_code_enabled=join_code_enabled,
                          crisis_resources=crisis_resources.strip())
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


def managed_programmes(session: Session, actor: Principal) -> dict[int, str]:
    """Programmes the actor manages (administrators: all), id → name, by name."""
    return {p.id: p.name for p in list_programmes(session, actor)
            if actor.user.is_admin or p.id in actor.programme_ids("manager")}


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


def renew_join_code(session: Session, actor: Principal, programme_id: int) -> Programme:
    """Replace the join code of a programme the actor manages (administrators: any)."""
    programme = get_programme(session, actor, programme_id, "manager")
    regenerate_join_code(programme)
    return programme


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

