"""Where a package's sandbox lives on disk, and the caches that keep its pages fast."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cachetools import LRUCache, TTLCache

from navigator.sandbox.model.engine import SandboxEngine, get_engine
from navigator.sandbox.model.networks import MODELS_DIR, Networks, networks_at
from navigator.sandbox.models import ScenarioEdit
from navigator.sandbox.scenario_documents import parse_document
from navigator.sandbox.scenarios import Scenario, load_scenarios

PACKAGE = "llm-literacy"
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


def find_sandbox(curricula: str | Path) -> Path | None:
    """The sandbox folder of a course package: the LLM-literacy course's, else the first found."""
    root = Path(curricula)
    preferred = root / PACKAGE / "sandbox"
    if preferred.is_dir():
        return preferred
    found = sorted(p for p in root.glob("*/sandbox") if p.is_dir()) if root.is_dir() else []
    return found[0] if found else None


def folder_signature(folder: Path) -> tuple:
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
        memo = (folder_signature(self.corpora_dir), key)
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
            signature = (folder_signature(self.scenarios_dir), folder_signature(self.corpora_dir),
                         folder_signature(self.models_dir))
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
        signature = folder_signature(self.scenarios_dir)
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

