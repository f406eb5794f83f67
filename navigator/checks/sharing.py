"""What a check found and how it is shared: the summary per area (no single score), the
programme's library with what is due for re-checking, and what a handout says."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal
from navigator.checks.models import (
    ChatbotCheck,
    CheckSettings,
    ProbeRating,
    ProductAnswer,
)
from navigator.checks.protocol import Protocol
from navigator.checks.services import (
    library_programme_ids,
    product_answers,
    ratings,
    staff_programme_ids,
    today,
)
from navigator.db import utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import _, language

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
