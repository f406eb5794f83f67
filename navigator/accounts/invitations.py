"""Invitations: single-use links that let one person join a programme in a role."""

import secrets
from datetime import timedelta

from sqlmodel import Session, select

from navigator.accounts.models import ROLES, Invitation, Programme, User
from navigator.accounts.people import normalise_email
from navigator.accounts.principal import Principal
from navigator.accounts.programmes import add_role, get_programme
from navigator.accounts.tokens import token_digest
from navigator.db import utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import _


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


def open_invitation(session: Session, raw: str) -> tuple[Invitation, Programme]:
    """An invitation that can still be used, with its programme; NotFound otherwise."""
    invitation = get_invitation(session, raw)
    return invitation, session.get(Programme, invitation.programme_id)


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

