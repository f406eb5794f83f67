"""People: finding one by e-mail, and the people of the programmes a person manages (listing
them, their roles, deactivating them)."""

import secrets

from sqlalchemy import func, or_
from sqlmodel import Session, select

from navigator.accounts.models import ROLES, Membership, Programme, User
from navigator.accounts.principal import Principal
from navigator.errors import Forbidden, Invalid, NotFound
from navigator.i18n import _
from navigator.paging import PER_PAGE, page_of


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased e-mail address."""
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def managed_programme_ids(session: Session, actor: Principal) -> set[int]:
    """Programmes whose people the actor manages."""
    if actor.user.is_admin:
        return set(session.exec(select(Programme.id)))
    return actor.programme_ids("manager")


def list_people(session: Session, actor: Principal, *, programme_id: int | None = None,
                query: str = "", role: str = "", page: int = 1,
                per_page: int = PER_PAGE) -> tuple[list[tuple[User, list[Membership]]], int]:
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
    users, total = page_of(session, base.order_by(func.lower(User.display_name)), page, per_page)
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

