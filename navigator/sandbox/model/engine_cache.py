"""Trained engines kept: each language's .npz file, and a cache in memory and on disk."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from navigator.sandbox.model.corpora import Corpus, Overrides, apply_overrides, load_corpora
from navigator.sandbox.model.engine_settings import VOCAB_SIZE
from navigator.sandbox.model.language_engine import LanguageEngine
from navigator.sandbox.model.sandbox_engine import SandboxEngine, _assemble, _trainable
from navigator.sandbox.model.tokenizer import Tokenizer
from navigator.sandbox.model.training_inputs import by_locale, language_hash, tokenizer_hash


def _write_atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_language(engine: LanguageEngine, path: str | Path) -> None:
    """Write one language's engine to a .npz file, atomically so readers never see half."""
    _write_atomic(Path(path), lambda fh: np.savez(fh, **engine.to_arrays()))


def load_language(path: str | Path) -> LanguageEngine:
    """Read a language engine written by save_language."""
    with np.load(path, allow_pickle=False) as data:
        return LanguageEngine.from_arrays({k: data[k] for k in data.files})


class EngineCache:
    """Trained languages and tokenizers kept in memory (least recently used dropped) and on disk.

    Keyed by content hash, so editing one language's corpus retrains that language only. Safe
    to share between threads: each part is trained once even when requests arrive together.
    """

    def __init__(self, maxsize: int = 24) -> None:
        self._parts: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, corpora_dir: str | Path, cache_dir: str | Path | None = None,
            overrides: Overrides | None = None) -> SandboxEngine:
        """The engine for these corpora and overrides: from memory, from disk, or trained now."""
        shipped = load_corpora(corpora_dir)
        corpora = apply_overrides(shipped, overrides) if overrides else shipped
        cache = Path(cache_dir) if cache_dir else None
        # The token view's tokenizer learns from the shipped text only: an edit changes no token.
        tok_key = tokenizer_hash(shipped)
        tokenizer = self._part(f"tok-{tok_key}", lambda: self._tokenizer(shipped, tok_key, cache))
        languages = {}
        for loc, group in by_locale(corpora).items():
            if not _trainable(group):
                continue
            key = language_hash(loc, group)
            languages[loc] = self._part(
                f"lang-{key}", lambda loc=loc, group=group, key=key: self._language(
                    loc, group, key, cache))
        return _assemble(tokenizer, tok_key, languages)

    def _part(self, key: str, build: Any) -> Any:
        with self._lock:
            if key in self._parts:
                return self._parts[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._parts:
                    return self._parts[key]
            value = build()
            with self._lock:
                self._parts[key] = value
                self._building.pop(key, None)
        return value

    @staticmethod
    def _language(locale: str, group: list[Corpus], key: str, cache: Path | None) -> LanguageEngine:
        path = cache / f"sandbox-{locale}-{key[:32]}.npz" if cache else None
        if path is not None and path.is_file():
            try:
                engine = load_language(path)
                if engine.content_hash == key:
                    return engine
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                pass  # a stale or damaged cache file is rebuilt below
        engine = LanguageEngine.train(locale, group)
        if path is not None:
            try:
                save_language(engine, path)
            except OSError:
                pass  # an unwritable cache only costs the next process a retrain
        return engine

    @staticmethod
    def _tokenizer(corpora: list[Corpus], key: str, cache: Path | None) -> Tokenizer:
        path = cache / f"tokenizer-{key[:32]}.json" if cache else None
        if path is not None and path.is_file():
            try:
                return Tokenizer.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):
                pass
        tokenizer = Tokenizer.train((t for c in corpora for t in c.texts), vocab_size=VOCAB_SIZE)
        if path is not None:
            try:
                data = json.dumps(tokenizer.to_dict()).encode("utf-8")
                _write_atomic(path, lambda fh: fh.write(data))
            except OSError:
                pass
        return tokenizer


_default_cache: EngineCache | None = None
_default_lock = threading.Lock()


def get_engine(
    corpora_dir: str | Path,
    cache_dir: str | Path | None = None,
    overrides: Overrides | None = None,
) -> SandboxEngine:
    """The engine for a corpora folder, from a process-wide cache created on first use."""
    global _default_cache
    with _default_lock:
        if _default_cache is None:
            _default_cache = EngineCache()
        cache = _default_cache
    return cache.get(corpora_dir, cache_dir, overrides)
