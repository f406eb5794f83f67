"""The sandbox domain: the model and scenarios in force for a programme, runs, and saved runs.

Everything here is plain Python taking a database session, ids and plain data, so a real
model's client can later run the same inputs beside the embedded one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from cachetools import LRUCache, TTLCache
from sqlalchemy import func
from sqlmodel import Session, col, select

from navigator.accounts.models import Programme
from navigator.accounts.services import Principal
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.sandbox.model.corpora import LOCALES, Corpus, Problem, load_corpora, read_datasheet
from navigator.sandbox.model.engine import TUNED_MIX, SandboxEngine, get_engine
from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.model.networks import MODELS_DIR, Networks, networks_at
from navigator.sandbox.model.words import EOS
from navigator.sandbox.models import CorpusEdit, PersonalCorpus, SavedRun, ScenarioEdit
from navigator.sandbox.scenarios import (
    INSIDE_KINDS,
    SCENARIO_NAMES,
    SOURCE_LOCALE,
    Scenario,
    load_scenarios,
    run_scenario,
)

PACKAGE = "llm-literacy"
MAX_PROMPT = 2000
# Upper bounds of the probability shades: below 5 %, 20 %, 50 %, 80 %, and the rest.
SHADES = (0.05, 0.2, 0.5, 0.8)
MAX_SAVED_RESULT = 200_000
_KEEP_ENGINES = 8
_KEEP_RUNS = 128
_KEEP_EDITED = 128
_KEEP_FILES = 28  # seven languages: the shipped ones and a few edited versions of each
_KEEP_PAGES = 256  # (programme, edits in force, locale) combinations in use
# The package's files change only when a course package is installed: look at them again at
# most this often, so a warm page costs no file-system calls.
FILES_RECHECK_SECONDS = 2.0
# Shipped scenarios and example runs depend only on files and content hashes, so every app in
# the process shares them; what depends on a database's rows stays with its app's Sandbox.
_shared_lock = threading.Lock()
_shared_scenarios: dict[Path, tuple[tuple, dict]] = {}
_shared_runs: LRUCache = LRUCache(maxsize=_KEEP_RUNS)


# --- where the sandbox lives, and its caches ---------------------------------------------------

def find_sandbox(curricula: str | Path) -> Path | None:
    """The sandbox folder of a course package: the LLM-literacy course's, else the first found."""
    root = Path(curricula)
    preferred = root / PACKAGE / "sandbox"
    if preferred.is_dir():
        return preferred
    found = sorted(p for p in root.glob("*/sandbox") if p.is_dir()) if root.is_dir() else []
    return found[0] if found else None


def _signature(folder: Path) -> tuple:
    """Names, sizes and times of a folder's files two levels down: cheap change detection."""
    out = []
    for path in sorted(folder.glob("*")) + sorted(folder.glob("*/*")):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            out.append((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def _prune(cache_dir: Path, engine: SandboxEngine) -> None:
    """Keep the cached language files used most recently; edits add new ones for a language."""
    try:
        for lang in engine.languages.values():
            current = cache_dir / f"sandbox-{lang.locale}-{lang.content_hash[:32]}.npz"
            if current.is_file():
                os.utime(current)
        files = sorted(cache_dir.glob("sandbox-*.npz"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        for old in files[_KEEP_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another worker pruned at the same moment; the next miss tidies up


@dataclass
class Sandbox:
    """A package's sandbox folder and the caches that keep pages fast (one per app).

    Nothing is trained or read when it is made: the first page that needs the model does it.
    """

    root: Path
    cache_dir: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _engines: LRUCache = field(default_factory=lambda: LRUCache(_KEEP_ENGINES), repr=False)
    _edited: LRUCache = field(default_factory=lambda: LRUCache(_KEEP_EDITED), repr=False)
    # What pages show, derived from the files and a programme's edits: keyed by both.
    _derived: LRUCache = field(default_factory=lambda: LRUCache(_KEEP_PAGES), repr=False)
    _files: TTLCache = field(default_factory=lambda: TTLCache(1, FILES_RECHECK_SECONDS),
                             repr=False)

    @property
    def corpora_dir(self) -> Path:
        return self.root / "corpora"

    @property
    def scenarios_dir(self) -> Path:
        return self.root / "scenarios"

    @property
    def models_dir(self) -> Path:
        return self.root / MODELS_DIR

    def networks(self) -> Networks:
        """The package's trained transformers (each language's file read on first use)."""
        return networks_at(self.models_dir)

    def engine(self, key: tuple = (),
               overrides: Callable[[], Mapping[tuple[str, str], str]] | None = None
               ) -> SandboxEngine:
        """The engine for the files plus overrides (read only when training); key names them."""
        memo = (_signature(self.corpora_dir), key)
        with self._lock:
            hit = self._engines.get(memo)
        if hit is not None:
            return hit
        engine = get_engine(self.corpora_dir, self.cache_dir, overrides() if overrides else None)
        with self._lock:
            self._engines[memo] = engine
        if self.cache_dir is not None:
            _prune(self.cache_dir, engine)
        return engine

    def files(self) -> str:
        """A digest of the shipped scenarios', corpora's and models' names, sizes and times.

        Looked at again at most every FILES_RECHECK_SECONDS: a package installed on disk shows
        within that time; trainers' edits live in the database and show at once.
        """
        with self._lock:
            found = self._files.get(self.root)
        if found is None:
            signature = (_signature(self.scenarios_dir), _signature(self.corpora_dir),
                         _signature(self.models_dir))
            found = hashlib.sha256(repr(signature).encode()).hexdigest()[:32]
            with self._lock:
                self._files[self.root] = found
        return found

    def derived(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """A value computed once per key; the key must name everything the value depends on."""
        with self._lock:
            hit = self._derived.get(key)
        if hit is not None:
            return hit
        value = compute()
        with self._lock:
            self._derived[key] = value
        return value

    def shipped_scenarios(self) -> dict[str, Scenario]:
        """The package's scenarios, read again only when their files change."""
        signature = _signature(self.scenarios_dir)
        with _shared_lock:
            known = _shared_scenarios.get(self.scenarios_dir)
            if known is not None and known[0] == signature:
                return known[1]
        scenarios, _problems = load_scenarios(self.scenarios_dir)
        with _shared_lock:
            _shared_scenarios[self.scenarios_dir] = (signature, scenarios)
        return scenarios

    def edited_scenario(self, edit: ScenarioEdit) -> Scenario | None:
        """A stored scenario version as a Scenario (None if it no longer passes the checks)."""
        with self._lock:
            if edit.id in self._edited:
                return self._edited[edit.id]
        scenario, _problems = parse_document(edit.name, edit.document)
        with self._lock:
            self._edited[edit.id] = scenario
        return scenario

    @staticmethod
    def cached_run(key: tuple, compute: Callable[[], dict]) -> dict:
        """A run computed once per key (engine, scenario and locale), kept while used."""
        with _shared_lock:
            hit = _shared_runs.get(key)
        if hit is not None:
            return hit
        result = compute()
        with _shared_lock:
            _shared_runs[key] = result
        return result


# --- the programme a person works in ------------------------------------------------------------

def programme_for(s: Session, actor: Principal, chosen: int | None) -> Programme | None:
    """The programme whose model the person sees: their choice if theirs, else their first."""
    ids = actor.programme_ids()
    if chosen is not None and (chosen in ids or actor.user.is_admin):
        programme = s.get(Programme, chosen)
        if programme is not None:
            return programme
    return s.get(Programme, min(ids)) if ids else None


def programmes_of(s: Session, actor: Principal, *roles: str) -> list[Programme]:
    """The programmes where the person holds one of the roles (administrators: all)."""
    query = select(Programme).order_by(Programme.name)
    if not actor.user.is_admin:
        query = query.where(col(Programme.id).in_(actor.programme_ids(*roles) or {-1}))
    return list(s.exec(query))


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
        key += (_signature(sandbox.models_dir),)  # retrained weights make a new example
    return sandbox.cached_run(key, lambda: run(engine, scenario, locale,
                                               networks=sandbox.networks()))


def new_seed() -> int:
    """A seed for a run the person did not seed, so the run can be repeated and saved."""
    return secrets.randbelow(2**31)


def _adhoc(kind: str, settings: Mapping[str, Any], texts: dict | None = None) -> Scenario:
    try:
        parsed = Settings.from_mapping(settings)
    except (ValueError, TypeError) as exc:
        raise Invalid(_("The model cannot run with these settings: %(reason)s",
                        reason=str(exc))) from None
    return Scenario("custom", kind, settings=parsed, texts={SOURCE_LOCALE: texts or {}})


def generation(engine: SandboxEngine, prompt: str, settings: Mapping[str, Any],
               mix: float = 0.0, locale: str = SOURCE_LOCALE) -> dict:
    """Continue a prompt in its language: each token with its probability, and its sources."""
    return run(engine, _adhoc("generate", settings), locale, prompt=prompt, mix=mix)


def next_tokens(engine: SandboxEngine, prompt: str, temperature: float, mix: float = 0.0,
                locale: str = SOURCE_LOCALE, top_k: int = 0, top_p: float = 1.0) -> dict:
    """The likeliest next words as the model gives them and as the settings reshape them."""
    settings = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
    return run(engine, _adhoc("step", settings), locale, prompt=prompt, mix=mix)["table"]


def sample_next(engine: SandboxEngine, prompt: str, temperature: float, mix: float,
                seed: int, locale: str = SOURCE_LOCALE) -> str | None:
    """One word sampled after prompt, as text; None when the model ends the line."""
    lang = engine.language(engine.detect(prompt, prefer=locale))
    settings = Settings(temperature=temperature, max_tokens=1, seed=seed)
    gen = generate(lang.model(mix), lang.words, prompt, settings)
    return gen.text if gen.tokens else None


def piece_of(engine: SandboxEngine, prompt: str, token_id: int,
             locale: str = SOURCE_LOCALE) -> str | None:
    """The text a chosen word adds after prompt; None for the end of the line; Invalid if none."""
    if token_id == EOS:
        return None
    words = engine.language(engine.detect(prompt, prefer=locale)).words
    if not 0 <= token_id < words.vocab_size or not words.is_text(token_id):
        raise Invalid(_("Choose one of the tokens in the table."))
    return words.piece(token_id)


def token_view(engine: SandboxEngine, text: str, samples: Mapping[str, str]) -> dict:
    """The pieces of a text, and the same sentence in several languages with their counts."""
    result = run(engine, _adhoc("tokens", {}, {"samples": dict(samples)}), SOURCE_LOCALE,
                 prompt=text)
    result["count"] = len(result["prompt_pieces"])
    return result


def sample_sentences(scenarios: Mapping[str, Scenario], locale: str) -> dict[str, str]:
    """The same sentence in several languages, from the token-view activity."""
    for scenario in scenarios.values():
        if scenario.kind == "tokens":
            samples = scenario.texts_for(locale)[1].get("samples") or {}
            if samples:
                return dict(samples)
    return {}


def shade(prob: float) -> int:
    """A confidence shade from 0 (under 5 %) to 4 (80 % or more)."""
    return sum(prob >= bound for bound in SHADES)


def segments(gen: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Generated tokens grouped into copied and recombined spans, each token with its shade."""
    tokens = gen.get("tokens") or []
    out, at = [], 0
    for span in gen.get("provenance") or []:
        start, end = max(span["start"], at), min(span["end"], len(tokens))
        if start >= end:
            continue
        if start > at:
            out.append(_segment(tokens[at:start], None))
        out.append(_segment(tokens[start:end], span))
        at = end
    if at < len(tokens):
        out.append(_segment(tokens[at:], None))
    return out


def _segment(tokens: list[dict], span: Mapping[str, Any] | None) -> dict[str, Any]:
    copied = bool(span and span.get("copied"))
    return {
        "copied": copied,
        "source": span.get("source") if copied else None,
        "occurrences": span.get("occurrences", 0) if copied else 0,
        "text": "".join(t["piece"] for t in tokens),
        "tokens": [{"piece": t["piece"], "prob": t["prob"], "shade": shade(t["prob"]),
                    "alternatives": t.get("alternatives") or []} for t in tokens],
    }


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


# --- saved runs ----------------------------------------------------------------------------------

def _compact(value: Any) -> Any:
    """A result without the per-token alternatives, which only the live page needs."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if k != "alternatives"}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def save_run(s: Session, user_id: int, *, kind: str, scenario: str, title: str, prompt: str,
             settings: Mapping[str, Any], result: Mapping[str, Any]) -> SavedRun:
    """Keep a run the person chose to save: the only way a prompt is ever stored."""
    compact = _compact(dict(result))
    if len(json.dumps(compact, ensure_ascii=False)) > MAX_SAVED_RESULT:
        raise Invalid(_("This run is too large to save. Try fewer tokens."))
    row = SavedRun(user_id=user_id, kind=kind, scenario=scenario, title=title[:200],
                   prompt=prompt[:MAX_PROMPT], settings=dict(settings), result=compact,
                   engine=str(result.get("engine", ""))[:64])
    s.add(row)
    s.flush()
    return row


def list_runs(s: Session, user_id: int) -> list[SavedRun]:
    """The person's saved runs, newest first."""
    return list(s.exec(select(SavedRun).where(SavedRun.user_id == user_id)
                       .order_by(col(SavedRun.created_at).desc(), col(SavedRun.id).desc())))


def get_run(s: Session, user_id: int, run_id: int) -> SavedRun:
    """One of the person's saved runs; anyone else's is NotFound."""
    row = s.get(SavedRun, run_id)
    if row is None or row.user_id != user_id:
        raise NotFound()
    return row


def delete_run(s: Session, user_id: int, run_id: int) -> None:
    """Delete one of the person's saved runs."""
    s.delete(get_run(s, user_id, run_id))
    s.flush()


# --- scenario documents (settings and texts, as trainers edit them) -----------------------------

def document_of(scenario: Scenario) -> dict[str, Any]:
    """A scenario as a plain document: its language-independent part and texts per locale."""
    base: dict[str, Any] = {"kind": scenario.kind, "model": scenario.model,
                            "settings": _settings_doc(scenario.settings)}
    if scenario.temperatures:
        base["temperatures"] = list(scenario.temperatures)
    if scenario.mix:
        base["mix"] = list(scenario.mix)
    return {"base": base, "texts": {k: dict(v) for k, v in scenario.texts.items()}}


def _settings_doc(settings: Settings) -> dict[str, Any]:
    out = settings.to_dict()
    if out["seed"] is None:
        out.pop("seed")
    if not out["stop"]:
        out.pop("stop")
    return out


def parse_document(name: str, document: Mapping[str, Any]) -> tuple[Scenario | None, list[Problem]]:
    """Check a scenario document with the package checker: the scenario, or its problems.

    The checker reads files, so the document is written to a private temporary folder;
    problems name "base" or the locale as their file.
    """
    with tempfile.TemporaryDirectory(prefix="sandbox-scenario-") as tmp:
        folder = Path(tmp)
        files = {folder / f"{name}.yaml": "base"}
        _dump(folder / f"{name}.yaml", document.get("base") or {})
        for locale, texts in (document.get("texts") or {}).items():
            path = folder / f"{name}.{locale}.yaml"
            files[path] = locale
            _dump(path, texts)
        scenarios, problems = load_scenarios(folder)
        named = [(files.get(Path(p), os.path.basename(p)), line, msg) for p, line, msg in problems]
    return scenarios.get(name), named


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def key_lines(data: Mapping[str, Any]) -> dict[int, str]:
    """The line each top-level key of data starts on, once dumped as the checker reads it."""
    text = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.start_mark.line + 1: str(k.value) for k, _v in node.value}
