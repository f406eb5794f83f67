"""Chatbot checks: starting one, the navigator's answers about the product and to the probes,
answers typed in and the navigator's ratings, hints. Plain functions: they take a session, the
acting person and plain data, and return models or raise navigator.errors. Who may see or change
a check is in reading.py; submitting and reviewing in review.py; automatic runs in runner.py;
the summary, library and handout in sharing.py. No prompt or answer is ever written to a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

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
from navigator.checks.reading import (
    EDITABLE,
    author_programmes,
    can_read,
    editable_check,
    get_check,
    library_programme_ids,
    library_programmes,
    my_checks,
    probe_answers,
    product_answers,
    ratings,
    reviewer_programme_ids,
    staff_programme_ids,
    today,
    touch,
)
from navigator.checks.review import (
    COMMENT_LENGTH,
    _reviewable,
    approve,
    count_approved,
    events,
    missing_parts,
    return_check,
    review_queue,
    submit,
)
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import _
from navigator.outreach.hints import personal_data_hints

__all__ = [
    "ANSWER_LENGTH", "COMMENT_LENGTH", "DETAILS_LENGTH", "EDITABLE", "NAME_LENGTH", "NOTE_LENGTH",
    "PROBE_ANSWER_LENGTH", "SOURCE_LENGTH", "WATCH_LENGTH", "PersonalDataWarning", "ProbeInput",
    "ProductInput", "_reviewable", "approve", "author_programmes", "can_read", "count_approved",
    "delete_draft", "editable_check", "events", "get_check", "hints_for", "kind_label",
    "library_programme_ids", "library_programmes", "messages_of", "missing_parts", "my_checks",
    "personal_data_hints", "probe_answers", "probe_of", "product_answers", "ratings",
    "return_check", "review_queue", "reviewer_programme_ids", "save_probe", "save_product",
    "save_watch_for", "staff_programme_ids", "start_check", "store_answer", "submit", "today",
    "touch",
]

NAME_LENGTH = 120
DETAILS_LENGTH = 300
ANSWER_LENGTH = 2000
SOURCE_LENGTH = 500
NOTE_LENGTH = 500
WATCH_LENGTH = 1000
PROBE_ANSWER_LENGTH = 20_000


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
    changed = _changed_answers(probe, messages, stored, data)
    rating, note = data.rating, data.note.strip()
    _check_rating(probe, messages, stored, changed, rating, note)
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


def _changed_answers(probe: Probe, messages: list[Message], stored: dict,
                     data: ProbeInput) -> dict[str, str]:
    """The answers that differ from those stored, by message key; PersonalDataWarning first."""
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
    return changed


def _check_rating(probe: Probe, messages: list[Message], stored: dict, changed: dict[str, str],
                  rating: str, note: str) -> None:
    """A rating is one of RATINGS, with a note that fits; only with every message answered."""
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


def hints_for(protocol: Protocol, check: ChatbotCheck, probe: Probe,
              answers: Mapping[tuple[str, str], ProbeAnswer]) -> list[Hint]:
    """What the platform noticed in a probe's answers: hints, never a rating."""
    messages = messages_of(protocol, check, probe)
    texts = {m.key: answers[(probe.id, m.key)].answer for m in messages
             if (probe.id, m.key) in answers}
    return probe_hints(probe, texts, protocol.look_for(probe, [check.locale, check.second_locale]),
                       prompts={m.key: m.text for m in messages},
                       locales={m.key: m.locale for m in messages})

