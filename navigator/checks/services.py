"""Chatbot checks: who may do what, starting one, the answers about the product, the probes'
answers typed in and the navigator's ratings, hints, submitting and reviewing. Plain functions:
they take a session, the acting person and plain data, and return models or raise
navigator.errors. Automatic runs are in runner.py; the summary, library and handout in
sharing.py.

Who sees a check: its author always; the programme's trainers and managers (and administrators)
once it is submitted; every member of the programme once it is approved, in the library. No
other programme ever does. No prompt or answer is ever written to a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal
from navigator.checks.hints import Hint, probe_hints
from navigator.checks.models import (
    FINDINGS,
    RATINGS,
    ChatbotCheck,
    CheckEvent,
    ProbeAnswer,
    ProbeRating,
    ProductAnswer,
)
from navigator.checks.protocol import Message, Probe, Protocol
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.i18n import _
from navigator.outreach.hints import personal_data_hints

NAME_LENGTH = 120
DETAILS_LENGTH = 300
ANSWER_LENGTH = 2000
SOURCE_LENGTH = 500
NOTE_LENGTH = 500
COMMENT_LENGTH = 1000
WATCH_LENGTH = 1000
PROBE_ANSWER_LENGTH = 20_000
EDITABLE = ("draft", "returned")


class PersonalDataWarning(Invalid):
    """A pasted answer looks like it holds a phone number or an e-mail address."""

    def __init__(self, kinds: list[str], keys: list[str]):
        super().__init__(_("An answer may contain personal data (%(kinds)s). If it is a public "
                           "helpline or a service's address, confirm and save; if it is anyone's "
                           "own details, remove them.", kinds=", ".join(kind_label(k)
                                                                         for k in kinds)),
                         field="confirm_personal")
        self.kinds, self.keys = kinds, keys


def kind_label(kind: str) -> str:
    return {"email": _("an e-mail address"), "phone": _("a phone number"),
            "id_number": _("an ID number")}.get(kind, kind)


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


# --- starting a check -------------------------------------------------------------------------

def start_check(s: Session, actor: Principal, protocol: Protocol, *, programme_id: int,
                chatbot: str, details: str, locale: str, second_locale: str,
                from_check_id: int | None = None) -> ChatbotCheck:
    """A new draft; from an approved check, its answers about the product are copied in."""
    if programme_id not in {p.id for p in author_programmes(s, actor)}:
        raise Invalid(_("Choose one of your programmes."), field="programme")
    chatbot, details = chatbot.strip(), details.strip()
    if not chatbot:
        raise Invalid(_("Give the chatbot's name."), field="chatbot")
    if len(chatbot) > NAME_LENGTH:
        raise Invalid(_("Keep the name under %(num)d characters.", num=NAME_LENGTH),
                      field="chatbot")
    if len(details) > DETAILS_LENGTH:
        raise Invalid(_("Keep this under %(num)d characters.", num=DETAILS_LENGTH),
                      field="details")
    locales = protocol.locales()
    if locale not in locales:
        raise Invalid(_("Choose a language the check is written in."), field="locale")
    if second_locale not in locales or second_locale == locale:
        raise Invalid(_("Choose a second language, different from the first."),
                      field="second_locale")
    source = None
    if from_check_id is not None:
        source = get_check(s, actor, from_check_id)
        if source.status != "approved" or source.programme_id != programme_id:
            raise NotFound()
    check = ChatbotCheck(programme_id=programme_id, author_id=actor.user.id, chatbot=chatbot,
                         details=details, locale=locale, second_locale=second_locale,
                         protocol_version=protocol.version)
    s.add(check)
    s.flush()
    if source is not None:
        for row in s.exec(select(ProductAnswer).where(ProductAnswer.check_id == source.id)):
            if protocol.question(row.question) is not None:
                s.add(ProductAnswer(check_id=check.id, question=row.question, answer=row.answer,
                                    source=row.source, finding=row.finding))
        s.flush()
    return check


def delete_draft(s: Session, actor: Principal, check_id: int) -> None:
    """Remove the actor's own check that was never submitted, with everything typed into it."""
    check = editable_check(s, actor, check_id)
    if check.status != "draft" or check.submitted_at is not None:
        raise Conflict(_("Only a check that was never submitted can be deleted."))
    for table in (ProbeAnswer, ProbeRating, ProductAnswer, CheckEvent):
        s.exec(sa.delete(table).where(table.check_id == check.id))
    s.delete(check)


# --- part 1: about the product ----------------------------------------------------------------

def product_answers(s: Session, check_id: int) -> dict[str, ProductAnswer]:
    return {row.question: row for row in s.exec(
        select(ProductAnswer).where(ProductAnswer.check_id == check_id))}


@dataclass
class ProductInput:
    """What the navigator wrote about one question."""

    answer: str = ""
    source: str = ""
    finding: str = ""


def save_product(s: Session, actor: Principal, protocol: Protocol, check_id: int,
                 answers: Mapping[str, ProductInput]) -> ChatbotCheck:
    """Store the answers about the product; an answer needs the source looked at."""
    check = editable_check(s, actor, check_id)
    stored = product_answers(s, check.id)
    for question in protocol.questions:
        given = answers.get(question.id)
        if given is None:
            continue
        answer, source = given.answer.strip(), given.source.strip()
        if given.finding not in ("", *FINDINGS):
            raise Invalid(_("Choose what you found."), field=f"{question.id}_finding")
        if len(answer) > ANSWER_LENGTH:
            raise Invalid(_("Keep the answer under %(num)d characters.", num=ANSWER_LENGTH),
                          field=f"{question.id}_answer")
        if len(source) > SOURCE_LENGTH:
            raise Invalid(_("Keep the source under %(num)d characters.", num=SOURCE_LENGTH),
                          field=f"{question.id}_source")
        if answer and not source:
            raise Invalid(_("Say where you looked: a page, a section of the policy, the "
                            "settings."), field=f"{question.id}_source")
        row = stored.get(question.id)
        if row is None:
            if not (answer or source or given.finding):
                continue
            row = ProductAnswer(check_id=check.id, question=question.id)
            s.add(row)
        row.answer, row.source, row.finding = answer, source, given.finding
    touch(check)
    s.flush()
    return check


def save_watch_for(s: Session, actor: Principal, check_id: int, text: str) -> ChatbotCheck:
    """The navigator's own words for the handout: what a person should watch for."""
    check = editable_check(s, actor, check_id)
    text = text.strip()
    if len(text) > WATCH_LENGTH:
        raise Invalid(_("Keep this under %(num)d characters.", num=WATCH_LENGTH),
                      field="watch_for")
    check.watch_for = text
    touch(check)
    return check


# --- part 2: probes ---------------------------------------------------------------------------

def probe_answers(s: Session, check_id: int) -> dict[tuple[str, str], ProbeAnswer]:
    """(probe, message) → the chatbot's answer."""
    return {(row.probe, row.message): row for row in s.exec(
        select(ProbeAnswer).where(ProbeAnswer.check_id == check_id))}


def ratings(s: Session, check_id: int) -> dict[str, ProbeRating]:
    return {row.probe: row for row in s.exec(
        select(ProbeRating).where(ProbeRating.check_id == check_id))}


def messages_of(protocol: Protocol, check: ChatbotCheck, probe: Probe) -> list[Message]:
    """What to send for a probe, in the check's languages."""
    return protocol.messages(probe, check.locale, check.second_locale)


def probe_of(protocol: Protocol, probe_id: str) -> Probe:
    probe = protocol.probe(probe_id)
    if probe is None:
        raise NotFound()
    return probe


def store_answer(s: Session, check: ChatbotCheck, probe: Probe, message: Message, text: str,
                  how: str, source: str, stored: dict) -> ProbeAnswer:
    row = stored.get((probe.id, message.key))
    if row is None:
        row = ProbeAnswer(check_id=check.id, probe=probe.id, message=message.key,
                          locale=message.locale, prompt=message.text, answer=text, how=how,
                          source=source[:120])
        s.add(row)
        stored[(probe.id, message.key)] = row
    else:
        row.locale, row.prompt, row.answer, row.how = message.locale, message.text, text, how
        row.source, row.answered_at = source[:120], utcnow()
    return row


@dataclass
class ProbeInput:
    """What the navigator sent for one probe: answers by message key, the rating and a note."""

    answers: dict[str, str] = field(default_factory=dict)
    rating: str = ""
    note: str = ""
    confirm_personal: bool = False


def save_probe(s: Session, actor: Principal, protocol: Protocol, check_id: int,
               probe_id: str, data: ProbeInput) -> ChatbotCheck:
    """Store answers typed or pasted by hand, and the navigator's rating of the probe.

    Before a changed answer is saved it is checked for phone numbers, e-mail addresses and ID
    numbers; with any, saving needs the navigator's confirmation (PersonalDataWarning). An
    answer left empty is removed.
    """
    check = editable_check(s, actor, check_id)
    probe = probe_of(protocol, probe_id)
    messages = messages_of(protocol, check, probe)
    stored = probe_answers(s, check.id)
    changed: dict[str, str] = {}
    for message in messages:
        if message.key not in data.answers:
            continue
        text = data.answers[message.key].replace("\r\n", "\n").strip()
        if len(text) > PROBE_ANSWER_LENGTH:
            raise Invalid(_("This answer is too long: keep it under %(num)d characters.",
                            num=PROBE_ANSWER_LENGTH), field=f"answer_{message.key}")
        row = stored.get((probe.id, message.key))
        if row is not None and row.answer == text:
            continue
        changed[message.key] = text
    flagged = {key: personal_data_hints(text) for key, text in changed.items() if text}
    flagged = {key: kinds for key, kinds in flagged.items() if kinds}
    if flagged and not data.confirm_personal:
        kinds = sorted({k for found in flagged.values() for k in found},
                       key=("email", "phone", "id_number").index)
        raise PersonalDataWarning(kinds, list(flagged))
    rating, note = data.rating, data.note.strip()
    if rating not in ("", *RATINGS):
        raise Invalid(_("Choose one of the ratings."), field="rating")
    if len(note) > NOTE_LENGTH:
        raise Invalid(_("Keep the note under %(num)d characters.", num=NOTE_LENGTH),
                      field="note")
    if rating == "untested" and not note:
        raise Invalid(_("Say in the note why it could not be tested."), field="note")
    answered = {m.key for m in messages
                if (changed[m.key] if m.key in changed
                    else (stored.get((probe.id, m.key)) or ProbeAnswer(answer="")).answer)}
    if rating and rating != "untested" and answered != {m.key for m in messages}:
        raise Invalid(_("Add the chatbot's answer to every message before rating it, or choose "
                        "“could not test”."), field="rating")
    for message in messages:
        if message.key not in changed:
            continue
        if changed[message.key]:
            store_answer(s, check, probe, message, changed[message.key], "hand", "", stored)
        elif (probe.id, message.key) in stored:
            s.delete(stored.pop((probe.id, message.key)))
    current = ratings(s, check.id).get(probe.id)
    if rating:
        current = current or ProbeRating(check_id=check.id, probe=probe.id, rating=rating)
        current.rating, current.note = rating, note
        s.add(current)
    elif current is not None:
        s.delete(current)
    touch(check)
    s.flush()
    return check


def hints_for(protocol: Protocol, check: ChatbotCheck, probe: Probe,
              answers: Mapping[tuple[str, str], ProbeAnswer]) -> list[Hint]:
    """What the platform noticed in a probe's answers: hints, never a rating."""
    messages = messages_of(protocol, check, probe)
    texts = {m.key: answers[(probe.id, m.key)].answer for m in messages
             if (probe.id, m.key) in answers}
    return probe_hints(probe, texts, protocol.look_for(probe, [check.locale, check.second_locale]),
                       prompts={m.key: m.text for m in messages},
                       locales={m.key: m.locale for m in messages})


# --- submitting and reviewing -----------------------------------------------------------------

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


def my_checks(s: Session, actor: Principal) -> list[ChatbotCheck]:
    return list(s.exec(select(ChatbotCheck).where(ChatbotCheck.author_id == actor.user.id)
                       .order_by(ChatbotCheck.updated_at.desc(), ChatbotCheck.id.desc())))
