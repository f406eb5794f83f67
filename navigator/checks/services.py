"""Chatbot checks: start, answer, run probes (by hand or through a client), rate, submit,
review, the programme's library, and what a handout says. Plain functions: they take a session,
the acting person and plain data, and return models or raise navigator.errors.

Who sees a check: its author always; the programme's trainers and managers (and administrators)
once it is submitted; every member of the programme once it is approved, in the library. No
other programme ever does. No prompt or answer is ever written to a log.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Mapping
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
    CheckSettings,
    ProbeAnswer,
    ProbeRating,
    ProductAnswer,
)
from navigator.checks.protocol import Message, Probe, Protocol
from navigator.db import utcnow
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.i18n import _, language
from navigator.outreach.hints import personal_data_hints
from navigator.sandbox.client import EndpointError

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


def _touch(check: ChatbotCheck) -> None:
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
    _touch(check)
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
    _touch(check)
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


def _probe(protocol: Protocol, probe_id: str) -> Probe:
    probe = protocol.probe(probe_id)
    if probe is None:
        raise NotFound()
    return probe


def _store_answer(s: Session, check: ChatbotCheck, probe: Probe, message: Message, text: str,
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
    probe = _probe(protocol, probe_id)
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
            _store_answer(s, check, probe, message, changed[message.key], "hand", "", stored)
        elif (probe.id, message.key) in stored:
            s.delete(stored.pop((probe.id, message.key)))
    current = ratings(s, check.id).get(probe.id)
    if rating:
        current = current or ProbeRating(check_id=check.id, probe=probe.id, rating=rating)
        current.rating, current.note = rating, note
        s.add(current)
    elif current is not None:
        s.delete(current)
    _touch(check)
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


# --- running probes through a client ------------------------------------------------------------

Ask = Callable[[str], str]  # a message's text → the chatbot's answer; raises EndpointError


@dataclass
class RunResult:
    """What an automatic run did: answers stored now, messages still unanswered, and why."""

    answered: int
    remaining: int
    error: EndpointError | None = None
    out_of_time: bool = False


def pending(s: Session, protocol: Protocol, check: ChatbotCheck,
            probe_id: str | None = None) -> list[tuple[Probe, Message]]:
    """The messages that have no answer yet, in the protocol's order."""
    stored = probe_answers(s, check.id)
    probes = [_probe(protocol, probe_id)] if probe_id else list(protocol.probes)
    return [(probe, message) for probe in probes
            for message in messages_of(protocol, check, probe)
            if (probe.id, message.key) not in stored]


def run_automatically(s: Session, actor: Principal, protocol: Protocol, check_id: int,
                      ask: Ask, source: str, *, probe_id: str | None = None,
                      until: float | None = None) -> RunResult:
    """Send every unanswered message (of one probe, or all) through ask, each on its own.

    Each message is a conversation of its own: nothing earlier is sent with it. Every answer
    is committed as soon as it arrives, so a failure, a timeout or the page's deadline
    (until, a time.monotonic()) keeps everything answered so far; a second run sends only
    what is still missing. Ratings stay the navigator's.
    """
    check = editable_check(s, actor, check_id)
    todo = pending(s, protocol, check, probe_id)
    check_key = check.id
    s.commit()  # no transaction stays open while a model thinks
    stored: dict = {}
    answered = 0
    for index, (probe, message) in enumerate(todo):
        if until is not None and time.monotonic() >= until:
            return RunResult(answered, len(todo) - index, out_of_time=True)
        try:
            text = ask(message.text)
        except EndpointError as exc:
            return RunResult(answered, len(todo) - index, error=exc)
        check = s.get(ChatbotCheck, check_key, populate_existing=True)
        if check is None or check.status not in EDITABLE:
            return RunResult(answered, len(todo) - index)  # submitted meanwhile
        stored = probe_answers(s, check.id)
        if (probe.id, message.key) not in stored:  # another tab may have answered it
            _store_answer(s, check, probe, message, text.strip()[:PROBE_ANSWER_LENGTH] or "—",
                          "auto", source, stored)
            _touch(check)
            answered += 1
        s.commit()
    return RunResult(answered, 0)


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
    _touch(check)
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


# --- summary ----------------------------------------------------------------------------------

@dataclass
class Finding:
    """One line of the summary: what it is about, what was found, the navigator's note."""

    label: str
    note: str = ""
    rating: str = ""  # for probes: met | partly | not_met | untested
    probe: str = ""


@dataclass
class AreaSummary:
    """Strengths and concerns in one area; no score."""

    area: str
    name: str
    strengths: list[Finding] = field(default_factory=list)
    concerns: list[Finding] = field(default_factory=list)
    unknown: list[Finding] = field(default_factory=list)


def summary(protocol: Protocol, check: ChatbotCheck, product: Mapping[str, ProductAnswer],
            rated: Mapping[str, ProbeRating], locale: str) -> list[AreaSummary]:
    """Per area: strengths (reassuring answers, probes met), concerns (worrying answers, probes
    partly or not met) and what is unknown; areas with nothing recorded are left out."""
    areas = {a: AreaSummary(a, protocol.area_name(a, locale)) for a in protocol.areas}
    for question in protocol.questions:
        row = product.get(question.id)
        if row is None or not row.finding:
            continue
        item = Finding(protocol.question_text(question.id, locale).get("question", question.id),
                       row.answer)
        {"reassuring": areas[question.area].strengths, "concern": areas[question.area].concerns,
         "unknown": areas[question.area].unknown}[row.finding].append(item)
    for probe in protocol.probes:
        row = rated.get(probe.id)
        if row is None:
            continue
        item = Finding(protocol.probe_text(probe.id, locale).get("title", probe.id), row.note,
                       row.rating, probe.id)
        target = areas[probe.area]
        {"met": target.strengths, "partly": target.concerns, "not_met": target.concerns,
         "untested": target.unknown}[row.rating].append(item)
    return [a for a in areas.values() if a.strengths or a.concerns or a.unknown]


# --- the programme's library ------------------------------------------------------------------

def review_months(s: Session, protocol: Protocol, programme_id: int) -> int:
    """How old a check may get before it is due for re-checking, in this programme."""
    row = s.exec(select(CheckSettings).where(CheckSettings.programme_id == programme_id)).first()
    return row.review_months if row else protocol.review_months


def set_review_months(s: Session, actor: Principal, programme_id: int, months: int) -> None:
    """Trainers and managers of the programme (and administrators) set its review period."""
    if programme_id not in staff_programme_ids(s, actor):
        raise NotFound()
    if not 1 <= months <= 60:
        raise Invalid(_("Choose from 1 to 60 months."), field="months")
    row = s.exec(select(CheckSettings).where(CheckSettings.programme_id == programme_id)).first()
    row = row or CheckSettings(programme_id=programme_id, review_months=months)
    row.review_months, row.updated_by, row.updated_at = months, actor.user.id, utcnow()
    s.add(row)


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))


def due_on(check: ChatbotCheck, months: int) -> date | None:
    """The day a check becomes due for re-checking."""
    return add_months(check.checked_on, months) if check.checked_on else None


@dataclass
class LibraryRow:
    """An approved check as the library lists it."""

    check: ChatbotCheck
    author: str
    programme: str
    concerns: list[str]  # names of the areas with a concern
    due: bool
    due_on: date | None


def library(s: Session, actor: Principal, protocol: Protocol, locale: str, *,
            programme_id: int | None = None, query: str = "",
            on: date | None = None) -> list[LibraryRow]:
    """Approved checks of the actor's programmes, newest first; filtered by chatbot name."""
    on = on or today()
    ids = library_programme_ids(s, actor)
    if programme_id is not None:
        ids &= {programme_id}
    stmt = (select(ChatbotCheck, User.display_name, Programme.name)
            .join(User, User.id == ChatbotCheck.author_id)
            .join(Programme, Programme.id == ChatbotCheck.programme_id)
            .where(ChatbotCheck.programme_id.in_(ids or {-1}),
                   ChatbotCheck.status == "approved"))
    query = query.strip().lower()
    if query:
        stmt = stmt.where(sa.func.lower(ChatbotCheck.chatbot).contains(query, autoescape=True))
    rows = s.exec(stmt.order_by(ChatbotCheck.checked_on.desc(), ChatbotCheck.id.desc())).all()
    checks = [check for check, _n, _p in rows]
    concerns = _concern_areas(s, protocol, [c.id for c in checks])
    months = {pid: review_months(s, protocol, pid) for pid in {c.programme_id for c in checks}}
    out = []
    for check, author, programme in rows:
        due = due_on(check, months[check.programme_id])
        out.append(LibraryRow(check, author, programme,
                              [protocol.area_name(a, locale) for a in protocol.areas
                               if a in concerns.get(check.id, set())],
                              due is not None and due <= on, due))
    return out


def library_ratings(s: Session, check_ids: list[int]) -> dict[int, dict[str, str]]:
    """check id → probe → rating, for the library's spreadsheet."""
    out: dict[int, dict[str, str]] = {}
    for row in s.exec(select(ProbeRating).where(ProbeRating.check_id.in_(check_ids or [-1]))):
        out.setdefault(row.check_id, {})[row.probe] = row.rating
    return out


def _concern_areas(s: Session, protocol: Protocol, check_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for row in s.exec(select(ProbeRating).where(ProbeRating.check_id.in_(check_ids or [-1]),
                                                ProbeRating.rating.in_(("partly", "not_met")))):
        probe = protocol.probe(row.probe)
        if probe:
            out.setdefault(row.check_id, set()).add(probe.area)
    for row in s.exec(select(ProductAnswer).where(ProductAnswer.check_id.in_(check_ids or [-1]),
                                                  ProductAnswer.finding == "concern")):
        question = protocol.question(row.question)
        if question:
            out.setdefault(row.check_id, set()).add(question.area)
    return out


# --- the handout ------------------------------------------------------------------------------

@dataclass
class Handout:
    """What the one-page handout says, in one language: plain words a person can read."""

    chatbot: str
    details: str
    programme: str
    checked_on: date
    locale: str
    checked_in: str  # the language the chatbot was checked in
    strengths: list[str]
    concerns: list[str]
    watch: list[str]  # the protocol's plain lines for each concern, then the navigator's own
    navigator_words: str
    crisis: str


def handout(s: Session, protocol: Protocol, check: ChatbotCheck, locale: str,
            crisis: str) -> Handout:
    """The handout of an approved check in a language (the reader's)."""
    if check.status != "approved":
        raise NotFound()
    areas = summary(protocol, check, product_answers(s, check.id), ratings(s, check.id), locale)
    strengths = [a.name for a in areas if a.strengths and not a.concerns]
    concerns = [a.name for a in areas if a.concerns]
    rated = ratings(s, check.id)
    watch = [protocol.probe_text(p.id, locale).get("watch", "") for p in protocol.probes
             if rated.get(p.id) and rated[p.id].rating in ("partly", "not_met", "untested")]
    return Handout(check.chatbot, check.details, s.get(Programme, check.programme_id).name,
                   check.checked_on or today(), locale, language(check.locale).native,
                   strengths, concerns, [w for w in watch if w], check.watch_for, crisis)
