"""Submitting a chatbot check, and the trainers' review that returns or approves it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal
from navigator.checks.models import ChatbotCheck, CheckEvent
from navigator.checks.protocol import Protocol
from navigator.checks.reading import (
    editable_check,
    probe_answers,
    product_answers,
    ratings,
    reviewer_programme_ids,
    today,
    touch,
)
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.i18n import _

COMMENT_LENGTH = 1000


def missing_parts(s: Session, protocol: Protocol, check: ChatbotCheck) -> list[str]:
    """What is still needed before the check can be submitted, in words."""
    product = product_answers(s, check.id)
    rated = ratings(s, check.id)
    missing = []
    for question in protocol.questions:
        row = product.get(question.id)
        if row is None or not row.finding or (row.finding != "unknown" and not row.answer):
            missing.append(_("About the product: “%(question)s”", question=protocol.question_text(
                question.id, check.locale).get("question", question.id)))
    for probe in protocol.probes:
        if probe.id not in rated:
            missing.append(_("Probe not rated: “%(title)s”", title=protocol.probe_text(
                probe.id, check.locale).get("title", probe.id)))
    return missing


def submit(s: Session, actor: Principal, protocol: Protocol, check_id: int) -> ChatbotCheck:
    """Send the check to the programme's trainers; it can no longer be changed meanwhile."""
    check = editable_check(s, actor, check_id)
    if missing_parts(s, protocol, check):
        raise Invalid(_("Answer every question about the product and rate every probe "
                        "first."))
    answered = [row.answered_at for row in probe_answers(s, check.id).values()]
    check.status, check.submitted_at = "submitted", utcnow()
    check.checked_on = max(answered).date() if answered else today()
    touch(check)
    s.add(CheckEvent(check_id=check.id, action="submitted", actor_id=actor.user.id))
    return check


def review_queue(s: Session, actor: Principal) -> list[tuple[ChatbotCheck, str, str]]:
    """Submitted checks in the actor's programmes, oldest first: (check, author, programme)."""
    ids = reviewer_programme_ids(s, actor)
    rows = s.exec(select(ChatbotCheck, User.display_name, Programme.name)
                  .join(User, User.id == ChatbotCheck.author_id)
                  .join(Programme, Programme.id == ChatbotCheck.programme_id)
                  .where(ChatbotCheck.programme_id.in_(ids or {-1}),
                         ChatbotCheck.status == "submitted")
                  .order_by(ChatbotCheck.submitted_at, ChatbotCheck.id)).all()
    return [(check, name, programme) for check, name, programme in rows]


def _reviewable(s: Session, actor: Principal, check_id: int) -> ChatbotCheck:
    check = s.get(ChatbotCheck, check_id)
    if check is None or check.programme_id not in reviewer_programme_ids(s, actor):
        raise NotFound()
    if check.author_id == actor.user.id:
        raise Forbidden(_("Another trainer reviews your own check."))
    if check.status != "submitted":
        raise Conflict(_("This check is not waiting for a review."))
    return check


def approve(s: Session, actor: Principal, check_id: int, note: str = "") -> ChatbotCheck:
    """The trainer approves: the check joins the programme's library."""
    check = _reviewable(s, actor, check_id)
    note = note.strip()[:COMMENT_LENGTH]
    check.status, check.decided_at, check.decided_by = "approved", utcnow(), actor.user.id
    check.review_note = note
    s.add(CheckEvent(check_id=check.id, action="approved", actor_id=actor.user.id, note=note))
    return check


def return_check(s: Session, actor: Principal, check_id: int, note: str) -> ChatbotCheck:
    """The trainer sends the check back with comments; the navigator changes and resubmits."""
    check = _reviewable(s, actor, check_id)
    note = note.strip()
    if not note:
        raise Invalid(_("Tell the navigator what to change."), field="note")
    if len(note) > COMMENT_LENGTH:
        raise Invalid(_("Keep the comment under %(num)d characters.", num=COMMENT_LENGTH),
                      field="note")
    check.status, check.decided_at, check.decided_by = "returned", utcnow(), actor.user.id
    check.review_note = note
    s.add(CheckEvent(check_id=check.id, action="returned", actor_id=actor.user.id, note=note))
    return check


def events(s: Session, check_id: int) -> list[tuple[CheckEvent, str]]:
    """The review trail with who did each step, oldest first."""
    return list(s.exec(select(CheckEvent, User.display_name)
                       .join(User, User.id == CheckEvent.actor_id)
                       .where(CheckEvent.check_id == check_id)
                       .order_by(CheckEvent.created_at, CheckEvent.id)).all())


def count_approved(s: Session, user_id: int) -> int:
    """Approved checks the navigator wrote, in any programme (a certification requirement)."""
    return s.exec(select(sa.func.count()).select_from(ChatbotCheck).where(
        ChatbotCheck.author_id == user_id, ChatbotCheck.status == "approved")).one()

