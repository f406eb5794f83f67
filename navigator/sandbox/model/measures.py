"""Bits per character: what writing a line costs a model, and a language's held-out measure."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from navigator.sandbox.model.corpora import INSTRUCTIONS, Corpus
from navigator.sandbox.model.engine_settings import (
    DISCOUNT_SCALE,
    HELDOUT_CORPUS,
    HELDOUT_EVERY,
    ORDER,
)
from navigator.sandbox.model.ngram import LanguageModel, NGramModel
from navigator.sandbox.model.words import EOS, FIRST_WORD, UNK, WordVocab


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
