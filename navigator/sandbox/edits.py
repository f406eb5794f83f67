"""Trainers' edits of corpora and scenarios: per programme, versioned, checked, resettable.

The newest version is in force; a reset adds a version that puts the shipped text back, so
nothing a trainer wrote is ever lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from navigator.accounts.models import Programme, User
from navigator.accounts.services import Principal, get_programme
from navigator.db import insert_once
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import _, language
from navigator.sandbox.caches import Sandbox
from navigator.sandbox.model.corpora import INSTRUCTIONS, LOCALES, parse_lines
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.models import CorpusEdit, ScenarioEdit
from navigator.sandbox.scenario_documents import document_of, key_lines, parse_document
from navigator.sandbox.scenarios import SOURCE_LOCALE
from navigator.sandbox.services import (
    latest_corpus_edits,
    latest_scenario_edits,
    scenarios_for,
    shipped_corpus_names,
)

MAX_CORPUS_CHARS = 300_000
MAX_CORPUS_LINES = 5_000
MAX_LINE_CHARS = 1_000
SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
INSTRUCTION_LINE = re.compile(r"^User: .+ \|\| Assistant: .+$")
FORM_TEXT_KEYS = ("title", "prompt", "notice", "explanation", "reflect", "template", "groups",
             "word_sets", "samples")
SETTING_KEYS = ("temperature", "top_k", "top_p", "max_tokens", "seed", "stop")
BASE_KEYS = ("kind", "model", "temperatures", "mix")


class EditProblems(Invalid):
    """Several problems at once, each with the form field it belongs to (None: the form)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


def editable_programme(s: Session, actor: Principal, programme_id: int) -> Programme:
    """A programme whose sandbox the actor may edit (its trainers and managers); else NotFound."""
    return get_programme(s, actor, programme_id, "trainer", "manager")


# --- corpora ---------------------------------------------------------------------------------

def check_corpus_text(name: str, text: str) -> None:
    """Refuse a corpus text that is too large, empty, or (instructions) not in the pair format."""
    if len(text) > MAX_CORPUS_CHARS:
        raise Invalid(_("Use at most %(n)s characters.", n=f"{MAX_CORPUS_CHARS:,}"), "text")
    lines = parse_lines(text)
    if not lines:
        raise Invalid(_("Write at least one training line. To go back to the shipped text, "
                        "use Reset instead."), "text")
    if len(lines) > MAX_CORPUS_LINES:
        raise Invalid(_("Use at most %(n)s training lines.", n=f"{MAX_CORPUS_LINES:,}"), "text")
    long = [line.number for line in lines if len(line.text) > MAX_LINE_CHARS]
    if long:
        raise Invalid(_("Line %(line)d is longer than %(n)d characters.", line=long[0],
                        n=MAX_LINE_CHARS), "text")
    if name == INSTRUCTIONS:
        wrong = [line.number for line in lines if not INSTRUCTION_LINE.match(line.text)]
        if wrong:
            raise Invalid(_("Line %(line)d is not written as “User: … || Assistant: …”.",
                            line=wrong[0]), "text")


def _known_corpus(sandbox: Sandbox, name: str, locale: str) -> None:
    if name not in shipped_corpus_names(sandbox) or locale not in LOCALES:
        raise NotFound()


def save_corpus(s: Session, sandbox: Sandbox, actor_id: int, programme_id: int, name: str,
                locale: str, text: str, base_version: int) -> CorpusEdit:
    """Store a new version of a corpus text for a programme; its model retrains on next use."""
    _known_corpus(sandbox, name, locale)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_corpus_text(name, text)
    latest = latest_corpus_edits(s, programme_id).get((name, locale))
    current = latest.version if latest else 0
    if base_version != current:
        raise Conflict(_("Someone else saved this corpus while you were editing it. Your text is "
                         "still below: compare it with the current version and save again."),
                       "text")
    row = CorpusEdit(programme_id=programme_id, corpus=name, locale=locale, version=current + 1,
                     text=text, created_by=actor_id)
    if not insert_once(s, row):
        raise Conflict(_("Someone else saved this corpus at the same moment. Please save again."),
                       "text")
    return row


def reset_corpus(s: Session, sandbox: Sandbox, actor_id: int, programme_id: int, name: str,
                 locale: str) -> CorpusEdit | None:
    """Put the shipped text back in force (a new version); None when it already is."""
    _known_corpus(sandbox, name, locale)
    latest = latest_corpus_edits(s, programme_id).get((name, locale))
    if latest is None or latest.is_reset:
        return None
    row = CorpusEdit(programme_id=programme_id, corpus=name, locale=locale,
                     version=latest.version + 1, is_reset=True, created_by=actor_id)
    if not insert_once(s, row):
        raise Conflict(_("Someone else changed this corpus at the same moment. Please try "
                         "again."))
    return row


def corpus_history(s: Session, programme_id: int, name: str, locale: str) -> list[dict[str, Any]]:
    """Every version of a corpus text in a programme, newest first, with who saved it."""
    rows = s.exec(select(CorpusEdit.version, CorpusEdit.is_reset, CorpusEdit.created_at,
                         User.display_name)
                  .join(User, col(User.id) == CorpusEdit.created_by, isouter=True)
                  .where(CorpusEdit.programme_id == programme_id, CorpusEdit.corpus == name,
                         CorpusEdit.locale == locale)
                  .order_by(col(CorpusEdit.version).desc())).all()
    return [{"version": v, "is_reset": r, "created_at": at, "by": by or ""}
            for v, r, at, by in rows]


# --- scenarios --------------------------------------------------------------------------------

def scenario_document(s: Session, sandbox: Sandbox, programme_id: int,
                      name: str) -> tuple[dict[str, Any], int]:
    """The scenario in force as a document, and the version it is (0: as shipped)."""
    edit = latest_scenario_edits(s, programme_id).get(name)
    if edit is not None and not edit.is_reset:
        return edit.document, edit.version
    shipped = sandbox.shipped_scenarios().get(name)
    if shipped is None:
        raise NotFound()
    return document_of(shipped), edit.version if edit else 0


def save_scenario(s: Session, sandbox: Sandbox, actor_id: int, programme_id: int, name: str, *,
                  base: Mapping[str, Any], locale: str, texts: Mapping[str, Any],
                  base_version: int, creating: bool = False) -> ScenarioEdit:
    """Store a new version of a scenario (its settings and one locale's texts), once it checks.

    Creating needs a new name and the English texts, which navigators see in any language
    that has none of its own.
    """
    if locale not in LOCALES:
        raise Invalid(_("Choose a language."), "locale")
    latest = latest_scenario_edits(s, programme_id).get(name)
    current = latest.version if latest else 0
    if creating:
        if not SCENARIO_NAME.match(name):
            raise Invalid(_("Use lower-case letters, digits and hyphens, e.g. my-activity."),
                          "name")
        if name in scenarios_for(s, sandbox, programme_id):
            raise Conflict(_("An activity with this name already exists."), "name")
        if locale != SOURCE_LOCALE:
            raise Invalid(_("Write a new activity in English first; add other languages after."),
                          "locale")
        document: dict[str, Any] = {"texts": {}}
    else:
        document, _version = scenario_document(s, sandbox, programme_id, name)
        document = {"texts": {k: dict(v) for k, v in (document.get("texts") or {}).items()}}
        if base_version != current:
            raise Conflict(_("Someone else saved this activity while you were editing it. Your "
                             "changes are still below: check them and save again."))
    document["base"] = dict(base)
    document["texts"][locale] = {k: v for k, v in texts.items() if v not in (None, "", {}, [])}
    scenario, problems = parse_document(name, document)
    if problems or scenario is None:
        raise EditProblems([_problem_field(p, document, locale) for p in problems]
                           or [(None, _("This activity does not pass the checks."))])
    row = ScenarioEdit(programme_id=programme_id, name=name, version=current + 1,
                       document=document, created_by=actor_id)
    if not insert_once(s, row):
        raise Conflict(_("Someone else saved this activity at the same moment. Please save "
                         "again."))
    return row


def reset_scenario(s: Session, sandbox: Sandbox, actor_id: int, programme_id: int,
                   name: str) -> ScenarioEdit | None:
    """Go back to the shipped scenario, or remove a created one; None when nothing changes."""
    latest = latest_scenario_edits(s, programme_id).get(name)
    if latest is None or latest.is_reset:
        if name not in sandbox.shipped_scenarios():
            raise NotFound()
        return None
    row = ScenarioEdit(programme_id=programme_id, name=name, version=latest.version + 1,
                       is_reset=True, created_by=actor_id)
    if not insert_once(s, row):
        raise Conflict(_("Someone else changed this activity at the same moment. Please try "
                         "again."))
    return row


def scenario_status(s: Session, sandbox: Sandbox, programme_id: int) -> dict[str, str]:
    """'shipped', 'edited' or 'created' for each scenario in force in a programme."""
    shipped = sandbox.shipped_scenarios()
    edits = latest_scenario_edits(s, programme_id)
    out = {}
    for name in scenarios_for(s, sandbox, programme_id):
        edited = name in edits and not edits[name].is_reset
        out[name] = ("edited" if name in shipped else "created") if edited else "shipped"
    return out


def _problem_field(problem: tuple[str, int, str], document: Mapping[str, Any],
                   locale: str) -> tuple[str | None, str]:
    """The form field a checker problem belongs to, and the message to show."""
    section, line, message = problem
    if section not in ("base", locale):
        name = language(section).native if section in LOCALES else section
        return None, _("Texts in %(language)s: %(message)s", language=name, message=message)
    known = (*BASE_KEYS, *SETTING_KEYS) if section == "base" else FORM_TEXT_KEYS
    quoted = re.findall(r"'(\w+)'|\b(\w+) must\b|needs (\w+)", message)
    for groups in quoted:
        for word in groups:
            if word in known:
                return word, message
    if section == "base" and message.startswith("settings"):
        setting = next((k for k in SETTING_KEYS if k in message), "temperature")
        return setting, message
    data = document.get("base") if section == "base" else document["texts"].get(locale, {})
    key = key_lines(data or {}).get(line)
    if key == "settings":
        return "temperature", message
    return (key if key in known else None), message


def parse_pairs(text: str, field: str) -> dict[str, str]:
    """Lines of "key: value" as a mapping, for groups, word sets and samples."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        key, sep, value = raw.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise Invalid(_("Line %(line)d: write it as “name: text”.", line=number), field)
        if key in out:
            raise Invalid(_("Line %(line)d repeats “%(name)s”.", line=number, name=key), field)
        out[key] = value
    return out


def format_pairs(data: Mapping[str, Any] | None) -> str:
    """A mapping as lines of "key: value" (lists joined with commas)."""
    lines = []
    for key, value in (data or {}).items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)


def settings_base(kind: str, model: str, settings: Mapping[str, Any],
                  temperatures: list[float], mix: list[float]) -> dict[str, Any]:
    """The language-independent part of a scenario document."""
    clean = {k: v for k, v in settings.items() if v not in (None, "", [], ())}
    base: dict[str, Any] = {"kind": kind, "model": model, "settings": clean}
    if temperatures:
        base["temperatures"] = temperatures
    if mix:
        base["mix"] = mix
    try:
        Settings.from_mapping(clean)
    except (TypeError, ValueError) as exc:
        field = next((k for k in SETTING_KEYS if k in str(exc)), "temperature")
        raise Invalid(str(exc), field) from None
    return base
