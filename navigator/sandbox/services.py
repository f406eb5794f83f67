"""The sandbox domain: the model, scenarios and corpora in force for a programme, and runs.

Everything here is plain Python taking a database session, ids and plain data, so a real
model's client can later run the same inputs beside the embedded one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from navigator.accounts.models import Programme
from navigator.accounts.services import Principal
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.sandbox.caches import Sandbox, folder_signature
from navigator.sandbox.model.corpora import LOCALES, Corpus, load_corpora, read_datasheet
from navigator.sandbox.model.engine import TUNED_MIX, SandboxEngine
from navigator.sandbox.models import CorpusEdit, PersonalCorpus, ScenarioEdit
from navigator.sandbox.scenario_runs import run_scenario
from navigator.sandbox.scenarios import INSIDE_KINDS, SCENARIO_NAMES, Scenario, load_scenarios

MAX_PROMPT = 2000


# --- the programme a person works in ------------------------------------------------------------

def programme_for(s: Session, actor: Principal, chosen: int | None) -> Programme | None:
    """The programme whose model the person sees: their choice if theirs, else their first."""
    ids = actor.programme_ids()
    if chosen is not None and (chosen in ids or actor.user.is_admin):
        programme = s.get(Programme, chosen)
        if programme is not None:
            return programme
    return s.get(Programme, min(ids)) if ids else None


@cache
def _programmes(every: bool):
    """The statement behind programmes_of, built once per shape: the sandbox page runs it on
    every view, and building a statement costs more than running it."""
    query = select(Programme).order_by(Programme.name)
    return query if every else query.where(
        col(Programme.id).in_(sa.bindparam("ids", expanding=True)))


def programmes_of(s: Session, actor: Principal, *roles: str) -> list[Programme]:
    """The programmes where the person holds one of the roles (administrators: all)."""
    if actor.user.is_admin:
        return list(s.exec(_programmes(True)))
    return list(s.exec(_programmes(False),
                       params={"ids": sorted(actor.programme_ids(*roles)) or [-1]}))


def programmes_in_role(actor: Principal, programmes: list[Programme],
                       *roles: str) -> list[Programme]:
    """Those of programmes_of()'s list where the person holds one of the roles (admins: all)."""
    if actor.user.is_admin:
        return list(programmes)
    ids = actor.programme_ids(*roles)
    return [p for p in programmes if p.id in ids]


# --- corpora and scenarios in force -------------------------------------------------------------

def latest_corpus_edits(s: Session, programme_id: int | None) -> dict[tuple[str, str], CorpusEdit]:
    """The newest version of each edited corpus text in a programme (resets included)."""
    if programme_id is None:
        return {}
    rows = s.exec(select(CorpusEdit.id, CorpusEdit.corpus, CorpusEdit.locale, CorpusEdit.version,
                         CorpusEdit.is_reset)
                  .where(CorpusEdit.programme_id == programme_id)
                  .order_by(col(CorpusEdit.version))).all()
    latest = {}
    for row_id, corpus, locale, version, is_reset in rows:
        latest[(corpus, locale)] = CorpusEdit(id=row_id, programme_id=programme_id, corpus=corpus,
                                              locale=locale, version=version, is_reset=is_reset)
    return latest


def engine_for(s: Session, sandbox: Sandbox, programme_id: int | None,
               user_id: int | None = None) -> SandboxEngine:
    """The model a person sees: shipped corpora, the trainers' edits, then their own copies.

    Retrains only when the texts in force change, then only the languages that changed.
    """
    live = {k: ("programme", e.id)
            for k, e in latest_corpus_edits(s, programme_id).items() if not e.is_reset}
    if user_id is not None:
        live.update({k: ("personal", e.id)
                     for k, e in latest_personal_copies(s, user_id).items() if not e.is_reset})
    key = tuple(sorted(live.items()))
    if not live:
        return sandbox.engine()

    def texts() -> dict[tuple[str, str], str]:
        found = {}
        for kind, table in (("programme", CorpusEdit), ("personal", PersonalCorpus)):
            ids = [i for k, i in live.values() if k == kind]
            if ids:
                for r in s.exec(select(table).where(col(table.id).in_(ids))).all():
                    found[(r.corpus, r.locale)] = r.text
        return found

    return sandbox.engine(key, texts)


def latest_personal_copies(s: Session, user_id: int) -> dict[tuple[str, str], PersonalCorpus]:
    """The newest version of each corpus text a person copied and edited (resets included)."""
    rows = s.exec(select(PersonalCorpus.id, PersonalCorpus.corpus, PersonalCorpus.locale,
                         PersonalCorpus.version, PersonalCorpus.is_reset)
                  .where(PersonalCorpus.user_id == user_id)
                  .order_by(col(PersonalCorpus.version))).all()
    latest = {}
    for row_id, corpus, locale, version, is_reset in rows:
        latest[(corpus, locale)] = PersonalCorpus(id=row_id, user_id=user_id, corpus=corpus,
                                                  locale=locale, version=version,
                                                  is_reset=is_reset)
    return latest


def latest_scenario_edits(s: Session, programme_id: int | None) -> dict[str, ScenarioEdit]:
    """The newest version of each edited or created scenario in a programme."""
    if programme_id is None:
        return {}
    rows = s.exec(select(ScenarioEdit).where(ScenarioEdit.programme_id == programme_id)
                  .order_by(col(ScenarioEdit.version))).all()
    return {row.name: row for row in rows}


def scenarios_for(s: Session, sandbox: Sandbox, programme_id: int | None) -> dict[str, Scenario]:
    """Every scenario in force for a programme, shipped ones first in the lessons' order."""
    found = dict(sandbox.shipped_scenarios())
    for name, edit in latest_scenario_edits(s, programme_id).items():
        edited = None if edit.is_reset else sandbox.edited_scenario(edit)
        if edited is not None:
            found[name] = edited
    order = [n for n in SCENARIO_NAMES if n in found] + sorted(set(found) - set(SCENARIO_NAMES))
    return {name: found[name] for name in order}


def scenario_for(s: Session, sandbox: Sandbox, programme_id: int | None, name: str) -> Scenario:
    """One scenario in force, or NotFound."""
    scenario = scenarios_for(s, sandbox, programme_id).get(name)
    if scenario is None:
        raise NotFound(_("There is no sandbox activity with this name."))
    return scenario


def scenario_list(scenarios: Mapping[str, Scenario], locale: str) -> list[dict[str, Any]]:
    """Name, kind, title and the title's locale of each scenario, for a listing."""
    out = []
    for name, scenario in scenarios.items():
        used, texts = scenario.texts_for(locale)
        out.append({"name": name, "kind": scenario.kind, "title": texts.get("title") or name,
                    "locale": used, "fallback": used != locale})
    return out


@cache
def _newest_edits_query() -> sa.Select:
    programme_id = sa.bindparam("programme_id", type_=sa.Integer)
    return sa.select(*(sa.select(func.max(table.c.id)).where(table.c.programme_id == programme_id)
                       .scalar_subquery()
                       for table in (CorpusEdit.__table__, ScenarioEdit.__table__)))


def newest_edits(s: Session, programme_id: int | None) -> tuple[int | None, int | None]:
    """The newest corpus edit and scenario edit of a programme: one statement (built once).

    Edits are only ever added (a reset is a new row too), so these two ids change with every
    save, reset or new activity: a key for whatever a programme's edits decide.
    """
    if programme_id is None:
        return (None, None)
    row = s.connection().execute(_newest_edits_query(), {"programme_id": programme_id}).one()
    return (row[0], row[1])


def overview_key(s: Session, sandbox: Sandbox, programme_id: int | None,
                 locale: str) -> tuple:
    """Everything overview() depends on: programme, locale, newest edits, package files."""
    return ("overview", programme_id, locale, newest_edits(s, programme_id), sandbox.files())


def overview(s: Session, sandbox: Sandbox, programme_id: int | None, locale: str,
             key: tuple | None = None) -> dict[str, Any]:
    """What the sandbox's home page shows of a programme: activities, corpora, bias gaps.

    Computed once per overview_key() (pass it when already known); a warm page costs one
    statement here. Nothing personal is in it (personal copies show on their own page).
    """
    key = key or overview_key(s, sandbox, programme_id, locale)

    def compute() -> dict[str, Any]:
        scenarios = scenario_list(scenarios_for(s, sandbox, programme_id), locale)
        return {"scenarios": scenarios, "fallback": any(sc["fallback"] for sc in scenarios),
                "corpora": corpora_in_force(s, sandbox, programme_id),
                "bias": bias_comparison(s, sandbox, programme_id, locale)}

    return sandbox.derived(key, compute)


# --- corpora as people read them ---------------------------------------------------------------

@dataclass
class CorpusView:
    """One corpus text in force for a programme, with its datasheet."""

    name: str
    locale: str
    corpus: Corpus
    datasheet: dict[str, Any]
    prose: str
    edit: CorpusEdit | None

    @property
    def edited(self) -> bool:
        return self.edit is not None and not self.edit.is_reset


def corpora_in_force(s: Session, sandbox: Sandbox, programme_id: int | None,
                     edits: Mapping[tuple[str, str], CorpusEdit] | None = None) -> list[Corpus]:
    """Every corpus text the programme's model learns from, read once per files and edits.

    An edit is a new row (a reset too), so the ids of the edits in force name the texts;
    pass latest_corpus_edits() when already read.
    """
    edits = latest_corpus_edits(s, programme_id) if edits is None else edits
    live = tuple(sorted(e.id for e in edits.values() if not e.is_reset))

    def read() -> list[Corpus]:
        rows = s.exec(select(CorpusEdit.corpus, CorpusEdit.locale, CorpusEdit.text)
                      .where(col(CorpusEdit.id).in_(live))).all() if live else []
        return load_corpora(sandbox.corpora_dir, {(c, loc): text for c, loc, text in rows})

    return sandbox.derived(("corpora", sandbox.files(), live), read)


def shipped_corpus_names(sandbox: Sandbox) -> list[str]:
    """The corpora the package ships (folders with a datasheet or texts)."""
    root = sandbox.corpora_dir
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def corpus_view(s: Session, sandbox: Sandbox, programme_id: int | None, name: str, locale: str,
                *, allow_new: bool = False) -> CorpusView:
    """A corpus text in force; allow_new gives an empty one for a locale the package lacks."""
    if name not in shipped_corpus_names(sandbox) or locale not in LOCALES:
        raise NotFound()
    edits = latest_corpus_edits(s, programme_id)
    edit = edits.get((name, locale))
    if edit is not None:
        edit = s.get(CorpusEdit, edit.id)
    corpus = next((c for c in corpora_in_force(s, sandbox, programme_id, edits)
                   if c.name == name and c.locale == locale), None)
    if corpus is None:
        if not allow_new:
            raise NotFound()
        corpus = Corpus(name, locale, ())
    meta, prose = sandbox.derived(("datasheet", sandbox.files(), name),
                                  lambda: _datasheet(sandbox.corpora_dir / name / "datasheet.md"))
    return CorpusView(name, locale, corpus, meta, prose, edit)


def _datasheet(path: Path) -> tuple[dict[str, Any], str]:
    # A broken datasheet is the package checker's business: the page shows none.
    try:
        return read_datasheet(path) if path.is_file() else ({}, "")
    except (ValueError, yaml.YAMLError):
        return {}, ""


def shipped_text(sandbox: Sandbox, name: str, locale: str) -> str:
    """The corpus file as the package ships it ('' for a locale it does not ship)."""
    path = sandbox.corpora_dir / name / f"{locale}.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def corpus_text(view: CorpusView, sandbox: Sandbox) -> str:
    """The full text in force, comments and blank lines kept, as a trainer edits it."""
    if view.edited:
        return view.edit.text
    return shipped_text(sandbox, view.name, view.locale)


# --- runs ----------------------------------------------------------------------------------------

def fingerprint(scenario: Scenario) -> str:
    """A hash of everything a scenario's run depends on."""
    payload = [scenario.name, scenario.kind, scenario.model, scenario.settings.to_dict(),
               list(scenario.temperatures), list(scenario.mix), scenario.texts]
    if scenario.extra:
        payload.append(scenario.extra)
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def run(engine: SandboxEngine, scenario: Scenario, locale: str, **overrides: Any) -> dict:
    """Run a scenario; settings the engine refuses become an Invalid for the form."""
    try:
        return run_scenario(engine, scenario, locale, **overrides)
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(_("The model cannot run with these settings: %(reason)s",
                        reason=str(exc))) from None


def example_run(sandbox: Sandbox, engine: SandboxEngine, scenario: Scenario, locale: str) -> dict:
    """A scenario's run with its own settings, computed once per engine, scenario and locale."""
    key = (engine.content_hash, fingerprint(scenario), locale)
    if scenario.kind in INSIDE_KINDS or scenario.model == "transformer":
        key += (folder_signature(sandbox.models_dir),)  # retrained weights make a new example
    return sandbox.cached_run(key, lambda: run(engine, scenario, locale,
                                               networks=sandbox.networks()))


def default_mix(scenario: Scenario) -> float:
    """The mixing weight a scenario's model uses when the person does not choose one."""
    return TUNED_MIX if scenario.model == "tuned" else 0.0


def bias_gap(result: Mapping[str, Any]) -> float | None:
    """The measured gap of a bias run (share of the first word set, highest minus lowest)."""
    probe = result.get("probe") or {}
    gap = probe.get("gap") or {}
    return gap.get("difference")


def bias_comparison(s: Session, sandbox: Sandbox, programme_id: int | None,
                    locale: str, user_id: int | None = None) -> list[dict[str, Any]]:
    """Each bias activity's gap with the shipped corpora and with the texts the person sees."""
    edits = [*latest_corpus_edits(s, programme_id).values(),
             *(latest_personal_copies(s, user_id).values() if user_id is not None else [])]
    if not any(not e.is_reset for e in edits):
        return []
    shipped, edited = sandbox.engine(), engine_for(s, sandbox, programme_id, user_id)
    rows = []
    for name, scenario in scenarios_for(s, sandbox, programme_id).items():
        if scenario.kind != "bias":
            continue
        before = bias_gap(example_run(sandbox, shipped, scenario, locale))
        after = bias_gap(example_run(sandbox, edited, scenario, locale))
        title = scenario.texts_for(locale)[1].get("title") or name
        rows.append({"name": name, "title": title, "before": before, "after": after})
    return rows


# load_scenarios stays importable here: the benchmarks read it from this module.
__all__ = [
    "MAX_PROMPT", "CorpusView", "bias_comparison", "bias_gap", "corpora_in_force", "corpus_text",
    "corpus_view", "default_mix", "engine_for", "example_run", "fingerprint",
    "latest_corpus_edits", "latest_personal_copies", "latest_scenario_edits", "load_scenarios",
    "newest_edits", "overview", "overview_key", "programme_for", "programmes_in_role",
    "programmes_of", "run", "scenario_for", "scenario_list", "scenarios_for",
    "shipped_corpus_names", "shipped_text",
]
