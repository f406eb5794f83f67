"""Reading chatbot checks: who may see or change which, and what is stored in one.

Who sees a check: its author always; the programme's trainers and managers (and administrators)
once it is submitted; every member of the programme once it is approved, in the library. No
other programme ever does.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from navigator.accounts.models import Programme
from navigator.accounts.services import Principal
from navigator.checks.models import ChatbotCheck, ProbeAnswer, ProbeRating, ProductAnswer
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, NotFound
from navigator.i18n import _

EDITABLE = ("draft", "returned")


def today() -> date:
    return utcnow().date()


# --- who may do what --------------------------------------------------------------------------

def author_programmes(s: Session, actor: Principal) -> list[Programme]:
    """The programmes a navigator may record checks in: those where they are a navigator."""
    ids = actor.programme_ids("navigator")
    return list(s.exec(select(Programme).where(Programme.id.in_(ids or {-1}))
                       .order_by(Programme.name)))


def reviewer_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose checks the actor reviews: their trainer programmes; all for admins."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids("trainer")


def staff_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose submitted checks the actor may read: trainers and managers; admins all."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids("trainer", "manager")


def library_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose library the actor reads: any role there; administrators all."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids()


def library_programmes(s: Session, actor: Principal) -> list[Programme]:
    ids = library_programme_ids(s, actor)
    return list(s.exec(select(Programme).where(Programme.id.in_(ids or {-1}))
                       .order_by(Programme.name)))


def can_read(s: Session, actor: Principal, check: ChatbotCheck) -> bool:
    if check.author_id == actor.user.id:
        return True
    if check.status == "approved" and check.programme_id in library_programme_ids(s, actor):
        return True
    return check.status != "draft" and check.programme_id in staff_programme_ids(s, actor)


def get_check(s: Session, actor: Principal, check_id: int) -> ChatbotCheck:
    """A check the actor may read; NotFound for any other, so none is revealed to exist."""
    check = s.get(ChatbotCheck, check_id)
    if check is None or not can_read(s, actor, check):
        raise NotFound()
    return check


def editable_check(s: Session, actor: Principal, check_id: int) -> ChatbotCheck:
    """The actor's own check while it is a draft or returned; Conflict once submitted."""
    check = s.get(ChatbotCheck, check_id)
    if check is None or check.author_id != actor.user.id:
        if check is not None and can_read(s, actor, check):
            raise Forbidden()
        raise NotFound()
    if check.status not in EDITABLE:
        raise Conflict(_("This check was submitted, so it can no longer be changed."))
    return check


def touch(check: ChatbotCheck) -> None:
    check.updated_at = utcnow()


def product_answers(s: Session, check_id: int) -> dict[str, ProductAnswer]:
    return {row.question: row for row in s.exec(
        select(ProductAnswer).where(ProductAnswer.check_id == check_id))}



def probe_answers(s: Session, check_id: int) -> dict[tuple[str, str], ProbeAnswer]:
    """(probe, message) → the chatbot's answer."""
    return {(row.probe, row.message): row for row in s.exec(
        select(ProbeAnswer).where(ProbeAnswer.check_id == check_id))}


def ratings(s: Session, check_id: int) -> dict[str, ProbeRating]:
    return {row.probe: row for row in s.exec(
        select(ProbeRating).where(ProbeRating.check_id == check_id))}


def my_checks(s: Session, actor: Principal) -> list[ChatbotCheck]:
    return list(s.exec(select(ChatbotCheck).where(ChatbotCheck.author_id == actor.user.id)
                       .order_by(ChatbotCheck.updated_at.desc(), ChatbotCheck.id.desc())))
