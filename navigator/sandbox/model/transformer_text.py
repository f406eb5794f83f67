"""The text each transformer run learns from, and the watch run's smaller vocabulary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from navigator.sandbox.model.corpora import INSTRUCTIONS, Corpus
from navigator.sandbox.model.engine_settings import HELDOUT_CORPUS, HELDOUT_EVERY
from navigator.sandbox.model.ngram import NGramModel
from navigator.sandbox.model.tokenizer import EOS
from navigator.sandbox.model.transformer import TransformerModel
from navigator.sandbox.model.transformer_recipes import VERSION
from navigator.sandbox.model.words import FIRST_WORD, UNK, WordVocab


@dataclass
class TrainingText:
    """One language's words and lines (as token ids) for both runs."""

    locale: str
    words: WordVocab
    train: list[list[int]]
    heldout: list[list[int]]
    watch: list[list[int]]
    digest: str
    watch_texts: list[str] = field(default_factory=list)


def training_text(locale: str, corpora: Sequence[Corpus], watch_lines: int,
                  seed: int = 0, limit: int | None = None) -> TrainingText:
    """Lines of the language's corpora (instructions aside): training, held-out and watch.

    The words are learned from every line, instructions included, exactly as the n-gram's are,
    so both models read and write the same tokens. limit keeps only the first lines of each
    corpus (for tests).
    """
    words = WordVocab.train(line.text for c in corpora for line in c.lines)
    train_ids: list[list[int]] = []
    texts: list[str] = []
    heldout: list[list[int]] = []
    health: list[int] = []
    for c in corpora:
        if c.name == INSTRUCTIONS:
            continue
        for i, line in enumerate(c.lines[:limit]):
            ids = words.encode(line.text)
            if c.name == HELDOUT_CORPUS and i % HELDOUT_EVERY == HELDOUT_EVERY - 1:
                heldout.append(ids)
            else:
                if c.name == HELDOUT_CORPUS:
                    health.append(len(train_ids))
                train_ids.append(ids)
                texts.append(line.text)
    rng = np.random.Generator(np.random.PCG64(seed))
    pick = sorted(rng.choice(len(health), size=min(watch_lines, len(health)), replace=False))
    watch = [train_ids[health[j]] for j in pick]
    digest = text_hash(locale, corpora, limit)
    return TrainingText(locale, words, train_ids, heldout, watch, digest,
                        [texts[health[j]] for j in pick])


def text_hash(locale: str, corpora: Sequence[Corpus], limit: int | None = None) -> str:
    """A hash of every line a language's transformer learns its words and weights from."""
    payload = [VERSION, locale, limit, [[c.name, c.texts] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def ngram_loss(text: TrainingText, order: int, discount_scale: float) -> float:
    """The n-gram's held-out loss (nats per token) when it learns from the same lines."""
    model = NGramModel.train(text.train, order=order, vocab_size=text.words.vocab_size,
                             discount_scale=discount_scale)
    total = count = 0
    for ids in text.heldout:
        total -= model.logprob([*ids, EOS])
        count += len(ids) + 1
    return total / max(count, 1)


# --- a smaller vocabulary for the watch run ------------------------------------------------

def sub_vocabulary(words: WordVocab, lines: Sequence[Sequence[int]]) -> np.ndarray:
    """The ids (in words) of the specials and of every word in lines, in vocabulary order."""
    used = {t for ids in lines for t in ids}
    return np.array([*range(FIRST_WORD), *sorted(t for t in used if t >= FIRST_WORD)],
                    dtype=np.int32)


def local_words(words: WordVocab, ids: np.ndarray) -> WordVocab:
    """A WordVocab of only the words ids names (specials first, as always)."""
    keep = [int(i) for i in ids if i >= FIRST_WORD]
    return WordVocab([words.vocab[i] for i in keep], [words.counts[i] for i in keep])


def to_local(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """A lookup from full token ids to the sub-vocabulary's (UNK for words outside it)."""
    table = np.full(vocab_size, UNK, dtype=np.int64)
    table[ids] = np.arange(len(ids))
    return table


class OverWords:
    """A network trained on a sub-vocabulary, read and written in the full vocabulary's ids."""

    def __init__(self, model: TransformerModel, ids: np.ndarray, words: WordVocab) -> None:
        self.model, self.ids, self.words = model, ids, words
        self.vocab_size = words.vocab_size
        self.order = model.order
        self.config = model.config
        self._table = to_local(ids, words.vocab_size)
        self.seen = np.zeros(words.vocab_size, dtype=bool)
        self.seen[ids] = model.seen

    def inputs(self, context: Sequence[int]) -> list[int]:
        """The full-vocabulary tokens the network reads (words it never learned as <unk>)."""
        local = self.model.inputs(self._table[np.asarray(context, dtype=np.int64)].tolist())
        return self.ids[np.asarray(local)].tolist()

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        local = self.model.distribution(self._table[np.asarray(context, dtype=np.int64)])
        p = np.zeros(self.vocab_size)
        p[self.ids] = local
        return p

    def attention(self, context: Sequence[int]) -> tuple[list[int], list[np.ndarray]]:
        local, shares = self.model.attention(self._table[np.asarray(context, dtype=np.int64)])
        return self.ids[np.asarray(local)].tolist(), shares
