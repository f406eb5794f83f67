"""Every language's engine with the token view's sub-word tokenizer, and training them together."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from navigator.sandbox.model.corpora import INSTRUCTIONS, Corpus, Overrides, apply_overrides
from navigator.sandbox.model.engine_settings import ORDER, SOURCE_LOCALE, VOCAB_SIZE
from navigator.sandbox.model.language_engine import LanguageEngine
from navigator.sandbox.model.tokenizer import Tokenizer
from navigator.sandbox.model.training_inputs import by_locale, tokenizer_hash
from navigator.sandbox.model.words import WordVocab, split_turns, split_words


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
