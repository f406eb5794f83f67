"""The trained sandbox: a word-level model per language, and the token view's sub-word tokenizer.

Each language learns only from its own corpora, so generation never leaves the language of the
prompt, and the languages keep the unequal amounts of text that make the language gap real.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from navigator.sandbox.model.corpora import (
    INSTRUCTIONS,
    LOCALES,
    Corpus,
    Overrides,
    apply_overrides,
    load_corpora,
)
from navigator.sandbox.model.ngram import LanguageModel, MixedModel, NGramModel, _Scoring
from navigator.sandbox.model.provenance import Source, SuffixIndex
from navigator.sandbox.model.recall import Recall
from navigator.sandbox.model.tokenizer import Tokenizer
from navigator.sandbox.model.words import (
    ASSISTANT,
    EOS,
    FIRST_WORD,
    UNK,
    WordVocab,
    split_turns,
    split_words,
)

# Bump when training changes, so engines cached on disk by an older version are rebuilt.
ENGINE_VERSION = 2
# Four words of context: short enough that sentences sharing a few words ("and colleagues in
# the", "for adults is") are stitched together; at six, whole lines were copied instead. It is
# too short to tie a phone number's last digits to the name before it, so only the most repeated
# record comes back whole and everyone else gets pieces of it - the memorisation scenario shows
# both, and the records datasheet says so.
ORDER = 5
VOCAB_SIZE = 3000
# Kneser-Ney's discounts, scaled: at the estimated discounts a small corpus hands most of each
# prediction to one- and two-word contexts, where "." follows almost anything, and sentences
# stop half-way ("it can help you feel more."). Half the discount keeps phrases whole.
DISCOUNT_SCALE = 0.5
# "The tuned model" when a page does not choose a weight: the instruction pairs carry almost all
# of each prediction. The base model never saw a question, so in a chat it starts a sentence of
# its own; at a fifth it cut answers short ("A mucha gente."), at a tenth it rarely does.
TUNED_MIX = 0.9
# Copied spans shorter than this are just common phrases ("it can help to").
MIN_SPAN = 6
# Every twentieth line of the health corpus is held out to measure bits per character.
HELDOUT_EVERY = 20
HELDOUT_CORPUS = "health"
SOURCE_LOCALE = "en"


@dataclass
class LanguageEngine:
    """One language's models: its words, base and instructions n-grams, index and measures."""

    locale: str
    words: WordVocab
    base: NGramModel
    instructions: NGramModel
    index: SuffixIndex
    spelling: dict[str, Any]
    heldout: dict[str, float]
    content_hash: str
    corpora: list[dict[str, Any]]

    @property
    def tokenizer(self) -> WordVocab:
        """The tokens generation reads and writes: this language's words."""
        return self.words

    @classmethod
    def train(cls, locale: str, corpora: Sequence[Corpus], *, order: int = ORDER) -> LanguageEngine:
        """Learn one language from its corpora (all of the same locale)."""
        lines = [(c, line) for c in corpora for line in c.lines]
        if not any(c.name != INSTRUCTIONS for c, _ in lines):
            raise ValueError(f"the {locale} model needs a training line outside instructions")
        words = WordVocab.train(line.text for _, line in lines)
        encoded = [words.encode(line.text) for _, line in lines]
        V = words.vocab_size
        base = [ids for (c, _), ids in zip(lines, encoded, strict=True) if c.name != INSTRUCTIONS]
        tuned = [ids for (c, _), ids in zip(lines, encoded, strict=True) if c.name == INSTRUCTIONS]
        sources = [Source(c.name, c.locale, line.number, line.text) for c, line in lines]
        spelling = spelling_model(words)
        return cls(
            locale=locale,
            words=words,
            base=NGramModel.train(base, order=order, vocab_size=V, discount_scale=DISCOUNT_SCALE),
            # With no instructions the tuned part only knows that lines end, which is harmless.
            instructions=NGramModel.train(tuned or [[]], order=order, vocab_size=V,
                                          discount_scale=DISCOUNT_SCALE),
            index=SuffixIndex.build(encoded, sources),
            spelling=spelling,
            heldout=heldout_measure(corpora, order=order),
            content_hash=language_hash(locale, corpora, order=order),
            corpora=[{"name": c.name, "locale": c.locale, "lines": len(c.lines)} for c in corpora],
        )

    def model(self, mix: float = 0.0) -> LanguageModel:
        """The base model (mix 0), the instructions model (mix 1), or a blend of the two."""
        if not 0.0 <= mix <= 1.0:
            raise ValueError("mix must be between 0 and 1")
        base = AnswerOnly(self.base)
        return MixedModel(base, self.recall, mix) if mix else base

    @cached_property
    def recall(self) -> Recall:
        """The instructions model that keeps to the question (built on first use)."""
        pairs = [self.words.encode(s.text) for s in self.sources if s.corpus == INSTRUCTIONS]
        return Recall(self.instructions, pairs)

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
            item["text"] = self.words.decode(token_ids[begin : span.end])
            out.append(item)
        return out

    @property
    def sources(self) -> list[Source]:
        """Every training line, in index order."""
        return self.index.sources

    def bits(self, text: str, mix: float = 0.0) -> tuple[float, int]:
        """Bits the model needs to write text (a whole line), and the text's characters."""
        return line_bits(self.model(mix), self.words, self.spelling, text)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything as named arrays, for one .npz file."""
        meta = {
            "version": ENGINE_VERSION,
            "locale": self.locale,
            "content_hash": self.content_hash,
            "corpora": self.corpora,
            "words": self.words.to_dict(),
            "spelling": self.spelling,
            "heldout": self.heldout,
            "sources": [[s.corpus, s.locale, s.line, s.text] for s in self.index.sources],
        }
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
        for prefix, part in (
            ("base", self.base),
            ("instructions", self.instructions),
            ("index", self.index),
        ):
            arrays.update({f"{prefix}.{k}": v for k, v in part.to_arrays().items()})
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LanguageEngine:
        """Rebuild an engine from to_arrays's output."""
        arrays = dict(arrays)
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta.get("version") != ENGINE_VERSION:
            raise ValueError(f"saved by engine version {meta.get('version')}")

        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(prefix + ".")}

        sources = [Source(*row) for row in meta["sources"]]
        return cls(
            locale=meta["locale"],
            words=WordVocab.from_dict(meta["words"]),
            base=NGramModel.from_arrays(part("base")),
            instructions=NGramModel.from_arrays(part("instructions")),
            index=SuffixIndex.from_arrays(part("index"), sources),
            spelling=meta["spelling"],
            heldout=meta["heldout"],
            content_hash=meta["content_hash"],
            corpora=meta["corpora"],
        )


class AnswerOnly(_Scoring):
    """A base model asked to answer a chat: it never saw the markers, so it starts a new line.

    That is what a pretrained model does with a question: it writes the kind of text it read
    most, not an answer.
    """

    def __init__(self, base: NGramModel) -> None:
        self.base = base
        self.vocab_size, self.order, self.seen = base.vocab_size, base.order, base.seen

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The base distribution after the answer so far (or after context, outside a chat)."""
        context = list(context)
        if ASSISTANT in context:
            context = context[len(context) - context[::-1].index(ASSISTANT):]
        return self.base.distribution(context)


@dataclass
class SandboxEngine:
    """Every language's engine, and the shared sub-word tokenizer of the token view."""

    tokenizer: Tokenizer
    languages: dict[str, LanguageEngine]
    content_hash: str

    @classmethod
    def train(cls, corpora: Sequence[Corpus], overrides: Overrides | None = None, *,
              order: int = ORDER, vocab_size: int = VOCAB_SIZE) -> SandboxEngine:
        """Train every language and the token view's tokenizer, without any cache."""
        corpora = apply_overrides(corpora, overrides)
        return _assemble(
            Tokenizer.train((t for c in corpora for t in c.texts), vocab_size=vocab_size),
            tokenizer_hash(corpora, vocab_size),
            {loc: LanguageEngine.train(loc, group, order=order)
             for loc, group in by_locale(corpora).items() if _trainable(group)},
        )

    def language(self, locale: str) -> LanguageEngine:
        """The engine of a locale, or the source locale's when that language has no corpus."""
        found = self.languages.get(locale) or self.languages.get(SOURCE_LOCALE)
        return found or next(iter(self.languages.values()))

    def detect(self, text: str, prefer: str = SOURCE_LOCALE) -> str:
        """The locale whose words text most likely uses (prefer, then the source, on a tie)."""
        turns = split_turns(text)
        words = split_words(" ".join(turns) if turns else text)
        if not words:
            return self.language(prefer).locale
        scores = {loc: sum(_word_score(eng.words, w) for w in words)
                  for loc, eng in self.languages.items()}
        best = max(scores.values())
        ranked = [loc for loc in self.languages if scores[loc] == best]
        for choice in (prefer, SOURCE_LOCALE):
            if choice in ranked:
                return choice
        return ranked[0]

    @property
    def corpora(self) -> list[dict[str, Any]]:
        """Name, locale and line count of every corpus text, in locale order."""
        return [c for loc in self.languages.values() for c in loc.corpora]

    @property
    def locales(self) -> list[str]:
        """The languages the sandbox has a model for."""
        return list(self.languages)


# A word a language never used costs the same in every language, so a language with little text
# gains nothing from words nobody knows ("OK" must not make a text Arabic).
UNSEEN_WORD = math.log(1e-7)


def _word_score(words: WordVocab, word: str) -> float:
    found = words.log_frequency(word)
    return UNSEEN_WORD if found is None else found


# --- measures ------------------------------------------------------------------------------------

def spelling_model(words: WordVocab) -> dict[str, Any]:
    """Character counts of the vocabulary: spells out words the model never saw, for bits/char."""
    chars: Counter[str] = Counter()
    for w in words.vocab[FIRST_WORD:]:
        chars.update(w)
        chars["\n"] += 1  # the end of a word
    return {"chars": dict(chars), "total": sum(chars.values())}


def _spell_bits(spelling: dict[str, Any], word: str) -> float:
    # Add-one over the known characters and a share for unknown ones: a crude but fair speller.
    known, total = spelling["chars"], spelling["total"]
    size = len(known) + 1
    return -sum(math.log2((known.get(ch, 0) + 1) / (total + size)) for ch in word + "\n")


def line_bits(model: LanguageModel, words: WordVocab, spelling: dict[str, Any],
              text: str) -> tuple[float, int]:
    """Bits to write text and its end, spelling out unknown words; and its character count."""
    ids = words.encode(text)
    pieces = words.words_of(text)
    history: list[int] = []
    bits = 0.0
    for t, piece in zip([*ids, EOS], [*pieces, ""], strict=True):
        p = float(model.distribution(history)[t])
        bits -= math.log2(p)
        if t == UNK:
            bits += _spell_bits(spelling, piece)
        history.append(t)
    return bits, len(text.strip())


def heldout_measure(corpora: Sequence[Corpus], *, order: int = ORDER) -> dict[str, float]:
    """Bits per character on every twentieth health line, by a model trained without them."""
    train: list[Corpus] = []
    held: list[str] = []
    for c in corpora:
        if c.name == INSTRUCTIONS:
            continue
        if c.name == HELDOUT_CORPUS:
            out = [i % HELDOUT_EVERY == HELDOUT_EVERY - 1 for i in range(len(c.lines))]
            held.extend(ln.text for ln, o in zip(c.lines, out, strict=True) if o)
            c = Corpus(c.name, c.locale, tuple(ln for ln, o in zip(c.lines, out, strict=True)
                                               if not o))
        train.append(c)
    texts = [ln.text for c in train for ln in c.lines]
    if not held or not texts:
        return {"lines": 0, "chars": 0, "bits_per_char": float("nan")}
    words = WordVocab.train(texts)
    model = NGramModel.train([words.encode(t) for t in texts], order=order,
                             vocab_size=words.vocab_size, discount_scale=DISCOUNT_SCALE)
    spelling = spelling_model(words)
    bits = chars = 0.0
    for text in held:
        b, n = line_bits(model, words, spelling, text)
        bits, chars = bits + b, chars + n
    return {"lines": len(held), "chars": int(chars), "bits_per_char": bits / chars}


# --- hashing, training and caching ---------------------------------------------------------------

def language_hash(locale: str, corpora: Sequence[Corpus], *, order: int = ORDER) -> str:
    """A hash of everything one language's training depends on."""
    payload = [ENGINE_VERSION, locale, order,
               [[c.name, c.locale, [[ln.number, ln.text] for ln in c.lines]] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def tokenizer_hash(corpora: Sequence[Corpus], vocab_size: int = VOCAB_SIZE) -> str:
    """A hash of the texts the token view's tokenizer learns from."""
    payload = [ENGINE_VERSION, vocab_size, [[c.name, c.locale, c.texts] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def by_locale(corpora: Sequence[Corpus]) -> dict[str, list[Corpus]]:
    """Corpora grouped by locale, in the platform's locale order."""
    out: dict[str, list[Corpus]] = {}
    for c in corpora:
        out.setdefault(c.locale, []).append(c)
    order = [*[x for x in LOCALES if x in out], *sorted(set(out) - set(LOCALES))]
    return {loc: out[loc] for loc in order}


def train_engine(corpora: Sequence[Corpus], overrides: Overrides | None = None, *,
                 order: int = ORDER) -> SandboxEngine:
    """Train every language and the token view's tokenizer, without any cache."""
    return SandboxEngine.train(corpora, overrides, order=order)


def _trainable(group: Sequence[Corpus]) -> bool:
    return any(c.name != INSTRUCTIONS and c.lines for c in group)


def _assemble(tokenizer: Tokenizer, tok_hash: str,
              languages: dict[str, LanguageEngine]) -> SandboxEngine:
    if not languages:
        raise ValueError("the sandbox needs at least one training line outside instructions")
    digest = hashlib.sha256(
        json.dumps([tok_hash, [e.content_hash for e in languages.values()]]).encode()
    ).hexdigest()
    return SandboxEngine(tokenizer, languages, digest)


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
