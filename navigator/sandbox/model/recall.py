"""How the tuned model keeps to the question: it leans on the answers to the most similar questions.

An n-gram reads only a few words back, so by the fifth word of an answer it has forgotten the
question. Real chat models attend to the whole prompt; ours does the nearest thing it can
explain in two sentences: it finds the training questions that share the most (rare) words with
yours, and mixes an n-gram of their answers into every prediction.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache

from navigator.sandbox.model.ngram import NGramModel, _Scoring
from navigator.sandbox.model.words import ASSISTANT, FIRST_WORD, USER

NEAREST = 6
CLOSE = 0.6
# Share of each prediction taken from the nearest answers when a question matches perfectly.
WEIGHT = 0.85


def question_of(ids: Sequence[int]) -> list[int]:
    """The words between the last <user> and the <assistant> after it ([] outside a chat)."""
    ids = list(ids)
    if ASSISTANT not in ids:
        return []
    end = len(ids) - 1 - ids[::-1].index(ASSISTANT)
    start = max((i for i in range(end) if ids[i] == USER), default=-1) + 1
    return [t for t in ids[start:end] if t >= FIRST_WORD]


class Recall(_Scoring):
    """The instructions model, mixed with an n-gram of the answers to the nearest questions."""

    def __init__(self, instructions: NGramModel, pairs: Sequence[Sequence[int]]) -> None:
        self.instructions = instructions
        self.vocab_size, self.order = instructions.vocab_size, instructions.order
        self.seen = instructions.seen
        self.pairs = [list(p) for p in pairs if ASSISTANT in p]
        bags = [Counter(question_of(p)) for p in self.pairs]
        df = Counter(t for bag in bags for t in bag)
        n = max(1, len(bags))
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self.vectors = [self._vector(bag) for bag in bags]
        self._local: LRUCache = LRUCache(maxsize=64)
        self._lock = threading.Lock()

    def _vector(self, bag: Counter) -> dict[int, float]:
        vec = {t: c * self.idf.get(t, 0.0) for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def nearest(self, question: Sequence[int], k: int = NEAREST) -> list[tuple[float, int]]:
        """(similarity, pair index) of the k training questions most like question."""
        q = self._vector(Counter(question))
        sims = [(sum(w * v.get(t, 0.0) for t, w in q.items()), i)
                for i, v in enumerate(self.vectors)]
        return sorted((s for s in sims if s[0] > 0), reverse=True)[:k]

    def _local_model(self, question: tuple[int, ...]) -> tuple[float, NGramModel | None]:
        with self._lock:
            hit = self._local.get(question)
        if hit is not None:
            return hit
        found = self.nearest(question)
        # Only questions nearly as close as the closest: one asked word for word is not
        # outvoted by five that merely share a few words with it.
        found = [(sim, i) for sim, i in found if sim >= CLOSE * found[0][0]] if found else []
        if not found:
            hit = (0.0, None)
        else:
            # Closer questions count more: an answer is repeated by how close its question is.
            lines = [self.pairs[i] for sim, i in found for _ in range(max(1, round(10 * sim**6)))]
            model = NGramModel.train(lines, order=self.order, vocab_size=self.vocab_size)
            hit = (WEIGHT * found[0][0], model)
        with self._lock:
            self._local[question] = hit
        return hit

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """P(next | context): the global instructions model, pulled toward the nearest answers."""
        p = self.instructions.distribution(context)
        question = tuple(question_of(context))
        if not question:
            return p
        weight, local = self._local_model(question)
        if local is None or weight <= 0:
            return p
        return (1.0 - weight) * p + weight * local.distribution(context)
