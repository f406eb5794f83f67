"""The trained sandbox: tokenizer, base and instructions models, suffix index, and their cache."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from navigator.sandbox.corpora import INSTRUCTIONS, Corpus, Overrides, apply_overrides, load_corpora
from navigator.sandbox.ngram import LanguageModel, MixedModel, NGramModel
from navigator.sandbox.provenance import Source, SuffixIndex
from navigator.sandbox.tokenizer import Tokenizer

# Bump when training changes, so engines cached on disk by an older version are rebuilt.
ENGINE_VERSION = 1
# Ten tokens of context: enough to tie a planted phone number to the name nine pieces before it
# (at order 4 to 8 every record prompt got the same, most frequent number), while unseen
# contexts still back off and recombine fragments.
ORDER = 10
VOCAB_SIZE = 3000
# "The tuned model" when a page does not choose a weight: at 0.5 the base model's guesses still
# break into the answers often (measured on the base-vs-tuned prompt); at 0.8 they rarely do,
# and the base model's knowledge still carries a fifth of every prediction.
TUNED_MIX = 0.8
MIN_SPAN = 4


@dataclass
class SandboxEngine:
    """Everything the sandbox needs to tokenize, predict, generate and trace provenance."""

    tokenizer: Tokenizer
    base: NGramModel
    instructions: NGramModel
    index: SuffixIndex
    content_hash: str
    corpora: list[dict[str, Any]]

    @classmethod
    def train(
        cls,
        corpora: Sequence[Corpus],
        overrides: Overrides | None = None,
        *,
        order: int = ORDER,
        vocab_size: int = VOCAB_SIZE,
    ) -> SandboxEngine:
        """Learn the tokenizer on all corpora, then the base and instructions models and index."""
        corpora = apply_overrides(corpora, overrides)
        lines = [(c, line) for c in corpora for line in c.lines]
        if not any(c.name != INSTRUCTIONS for c, _ in lines):
            raise ValueError("the sandbox needs at least one training line outside instructions")
        tokenizer = Tokenizer.train((line.text for _, line in lines), vocab_size=vocab_size)
        encoded = [tokenizer.encode(line.text) for _, line in lines]
        V = tokenizer.vocab_size
        base = [ids for (c, _), ids in zip(lines, encoded, strict=True) if c.name != INSTRUCTIONS]
        tuned = [ids for (c, _), ids in zip(lines, encoded, strict=True) if c.name == INSTRUCTIONS]
        sources = [Source(c.name, c.locale, line.number, line.text) for c, line in lines]
        return cls(
            tokenizer=tokenizer,
            base=NGramModel.train(base, order=order, vocab_size=V),
            # With no instructions the tuned part only knows that lines end, which is harmless.
            instructions=NGramModel.train(tuned or [[]], order=order, vocab_size=V),
            index=SuffixIndex.build(encoded, sources),
            content_hash=content_hash(corpora, order=order, vocab_size=vocab_size),
            corpora=[{"name": c.name, "locale": c.locale, "lines": len(c.lines)} for c in corpora],
        )

    def model(self, mix: float = 0.0) -> LanguageModel:
        """The base model (mix 0), the instructions model (mix 1), or a blend of the two."""
        if not 0.0 <= mix <= 1.0:
            raise ValueError("mix must be between 0 and 1")
        return MixedModel(self.base, self.instructions, mix) if mix else self.base

    def provenance(
        self, token_ids: Sequence[int], start: int = 0, min_len: int = MIN_SPAN
    ) -> list[dict[str, Any]]:
        """Spans of token_ids[start:] marked copied (with their line) or recombined.

        Matching runs over the whole sequence so a span copied across the end of the prompt
        still links to its line; spans are then clipped to the part after start.
        """
        out = []
        for span in self.index.spans(token_ids, min_len=min_len):
            if span.end <= start:
                continue
            begin = max(span.start, start)
            item = span.to_dict()
            item["start"], item["end"] = begin - start, span.end - start
            item["text"] = self.tokenizer.decode(token_ids[begin : span.end])
            out.append(item)
        return out

    @property
    def sources(self) -> list[Source]:
        """Every training line, in index order."""
        return self.index.sources

    def save(self, path: str | Path) -> None:
        """Write the engine to one .npz file, atomically so readers never see half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "version": ENGINE_VERSION,
            "content_hash": self.content_hash,
            "corpora": self.corpora,
            "tokenizer": self.tokenizer.to_dict(),
            "sources": [[s.corpus, s.locale, s.line, s.text] for s in self.index.sources],
        }
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
        for prefix, part in (
            ("base", self.base),
            ("instructions", self.instructions),
            ("index", self.index),
        ):
            arrays.update({f"{prefix}.{k}": v for k, v in part.to_arrays().items()})
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> SandboxEngine:
        """Read an engine written by save."""
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta.get("version") != ENGINE_VERSION:
            raise ValueError(f"{path} was saved by engine version {meta.get('version')}")

        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(prefix + ".")}

        sources = [Source(*row) for row in meta["sources"]]
        return cls(
            tokenizer=Tokenizer.from_dict(meta["tokenizer"]),
            base=NGramModel.from_arrays(part("base")),
            instructions=NGramModel.from_arrays(part("instructions")),
            index=SuffixIndex.from_arrays(part("index"), sources),
            content_hash=meta["content_hash"],
            corpora=meta["corpora"],
        )


def content_hash(
    corpora: Sequence[Corpus], *, order: int = ORDER, vocab_size: int = VOCAB_SIZE
) -> str:
    """A hash of everything training depends on: the lines, their numbers, the settings."""
    payload = [
        ENGINE_VERSION,
        order,
        vocab_size,
        [[c.name, c.locale, [[ln.number, ln.text] for ln in c.lines]] for c in corpora],
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


class EngineCache:
    """Trained engines kept in memory (least recently used dropped) and on disk, by content hash.

    Safe to share between threads: an engine is trained once even when many requests for the
    same corpora arrive together.
    """

    def __init__(self, maxsize: int = 4) -> None:
        self.maxsize = maxsize
        self._engines: OrderedDict[str, SandboxEngine] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(
        self,
        corpora_dir: str | Path,
        cache_dir: str | Path | None = None,
        overrides: Overrides | None = None,
    ) -> SandboxEngine:
        """The engine for these corpora and overrides: from memory, from disk, or trained now."""
        corpora = load_corpora(corpora_dir, overrides)
        key = content_hash(corpora)
        with self._lock:
            engine = self._hit(key)
            if engine is not None:
                return engine
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                engine = self._hit(key)
            if engine is None:
                engine = self._load_or_train(corpora, key, cache_dir)
            with self._lock:
                self._engines[key] = engine
                self._engines.move_to_end(key)
                while len(self._engines) > self.maxsize:
                    self._engines.popitem(last=False)
                self._building.pop(key, None)
        return engine

    def _hit(self, key: str) -> SandboxEngine | None:
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
        return engine

    @staticmethod
    def _load_or_train(
        corpora: list[Corpus], key: str, cache_dir: str | Path | None
    ) -> SandboxEngine:
        path = Path(cache_dir) / f"sandbox-{key[:32]}.npz" if cache_dir else None
        if path is not None and path.is_file():
            try:
                engine = SandboxEngine.load(path)
                if engine.content_hash == key:
                    return engine
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                pass  # a stale or damaged cache file is rebuilt below
        engine = SandboxEngine.train(corpora)
        if path is not None:
            try:
                engine.save(path)
            except OSError:
                pass  # an unwritable cache only costs the next process a retrain
        return engine


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
