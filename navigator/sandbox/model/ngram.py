"""Interpolated modified Kneser-Ney n-gram models over token ids, and their mixtures."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from navigator.sandbox.model.tokenizer import BOS, EOS

# Fallback discounts for counts of one, two and three-or-more when a corpus is too small for the
# count-of-counts estimate (Chen & Goodman) to be defined.
_DEFAULT_DISCOUNTS = (0.5, 1.0, 1.5)


class LanguageModel(Protocol):
    """Anything that gives a full next-token distribution for a context."""

    vocab_size: int
    order: int
    seen: np.ndarray

    def distribution(self, context: Sequence[int]) -> np.ndarray: ...


class _Scoring(ABC):
    """Scores derived from distribution(): log-probabilities, perplexity, top tokens."""

    vocab_size: int

    @abstractmethod
    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The next-token distribution after context."""

    def logprob(self, token_ids: Sequence[int], context: Sequence[int] = ()) -> float:
        """Natural log-probability of token_ids following context, by the chain rule."""
        history = list(context)
        total = 0.0
        for t in token_ids:
            total += math.log(self.distribution(history)[int(t)])
            history.append(int(t))
        return total

    def perplexity(self, sequences: Iterable[Sequence[int]]) -> float:
        """Per-token perplexity of whole lines, each scored from its start through its end."""
        total, count = 0.0, 0
        for seq in sequences:
            total += self.logprob([*seq, EOS])
            count += len(seq) + 1
        if count == 0:
            raise ValueError("perplexity needs at least one sequence")
        return math.exp(-total / count)

    def top(self, context: Sequence[int], k: int = 10) -> list[tuple[int, float]]:
        """The k most probable next tokens with their probabilities, most probable first."""
        p = self.distribution(context)
        return [(int(i), float(p[i])) for i in top_ids(p, k)]


class NGramModel(_Scoring):
    """Counts of which token followed which context, smoothed so every token keeps some chance.

    Contexts form a trie read right to left: a context of m tokens is node ``parent * V + token``
    where parent is its last m-1 tokens. Each order keeps, per context node, the tokens seen next
    (``ids``) with their discounted probabilities (``alpha``) and the weight left for the shorter
    context (``gamma``), so a distribution costs ``order`` small vector updates.
    """

    def __init__(
        self,
        order: int,
        vocab_size: int,
        ctx_keys: list[np.ndarray],
        offsets: list[np.ndarray],
        ids: list[np.ndarray],
        alpha: list[np.ndarray],
        gamma: list[np.ndarray],
    ) -> None:
        self.order = order
        self.vocab_size = vocab_size
        self._ctx_keys = ctx_keys  # per context length m ≥ 1, sorted node keys
        self._offsets = offsets  # per order k = m + 1
        self._ids = ids
        self._alpha = alpha
        self._gamma = gamma
        self.seen = np.zeros(vocab_size, dtype=bool)
        self.seen[ids[0]] = True

    @classmethod
    def train(
        cls,
        sequences: Iterable[Sequence[int]],
        order: int = 4,
        vocab_size: int | None = None,
        discount_scale: float = 1.0,
    ) -> NGramModel:
        """Count every line (padded with BOS, ended with EOS) and smooth with modified KN.

        discount_scale below 1 keeps more weight on what followed the longer context, less on
        the shorter ones: text that stays closer to whole phrases it read.
        """
        if order < 1:
            raise ValueError("order must be at least 1")
        lines = [np.asarray(s, dtype=np.int64) for s in sequences]
        if not lines:
            raise ValueError("an n-gram model needs at least one line")
        top = max((int(s.max()) for s in lines if len(s)), default=EOS)
        V = int(vocab_size if vocab_size is not None else max(top, EOS) + 1)
        if top >= V:
            raise ValueError(f"token id {top} is outside a vocabulary of {V}")
        stream, pos = _padded_stream(lines, order)
        target = stream[pos]
        ctx_keys, nodes = _context_nodes(stream, pos, order, V)
        # Per order: sorted unique keys (context node * V + token) and raw counts.
        grams = [np.unique(nodes[k - 1] * V + target, return_counts=True)
                 for k in range(1, order + 1)]
        tables = [_order_table(k, order, grams, ctx_keys, V, discount_scale)
                  for k in range(1, order + 1)]
        offsets, ids, alpha, gamma = (list(column) for column in zip(*tables, strict=True))
        return cls(order, V, ctx_keys, offsets, ids, alpha, gamma)

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """P(next token | context) for every token id; context is read as the start of a line."""
        V = self.vocab_size
        history = list(context)[-(self.order - 1) :] if self.order > 1 else []
        history = [BOS] * (self.order - 1 - len(history)) + [int(t) for t in history]
        p = np.full(V, 1.0 / V)
        node = 0
        for k in range(1, self.order + 1):
            if k > 1:
                keys = self._ctx_keys[k - 2]
                key = node * V + history[-(k - 1)]
                i = int(np.searchsorted(keys, key))
                if i == len(keys) or keys[i] != key:
                    break  # a longer context is only known if this one is
                node = i
            s, e = self._offsets[k - 1][node], self._offsets[k - 1][node + 1]
            p *= self._gamma[k - 1][node]
            p[self._ids[k - 1][s:e]] += self._alpha[k - 1][s:e]
        return p

    def context_used(self, context: Sequence[int]) -> int:
        """How many of the last tokens of context the model has seen together (at most order-1).

        Those are the words a prediction really rests on; anything before them is ignored.
        """
        V = self.vocab_size
        history = list(context)[-(self.order - 1) :] if self.order > 1 else []
        history = [BOS] * (self.order - 1 - len(history)) + [int(t) for t in history]
        node, used = 0, 0
        for k in range(2, self.order + 1):
            keys = self._ctx_keys[k - 2]
            key = node * V + history[-(k - 1)]
            i = int(np.searchsorted(keys, key))
            if i == len(keys) or keys[i] != key:
                break
            node, used = i, k - 1
        return min(used, len(list(context)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays that from_arrays turns back into an identical model."""
        out = {"meta": np.array([self.order, self.vocab_size], dtype=np.int64)}
        for m, keys in enumerate(self._ctx_keys, start=1):
            out[f"ctx{m}"] = keys
        for k in range(1, self.order + 1):
            for name in ("offsets", "ids", "alpha", "gamma"):
                out[f"{name}{k}"] = getattr(self, f"_{name}")[k - 1]
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> NGramModel:
        """Rebuild a model saved with to_arrays."""
        order, V = (int(x) for x in arrays["meta"])
        per_order = {
            name: [arrays[f"{name}{k}"] for k in range(1, order + 1)]
            for name in ("offsets", "ids", "alpha", "gamma")
        }
        ctx = [arrays[f"ctx{m}"] for m in range(1, order)]
        return cls(order, V, ctx, **per_order)


class MixedModel(_Scoring):
    """(1 - weight) · base + weight · tuned: tuning shifts behaviour, not what the base knows."""

    def __init__(self, base: LanguageModel, tuned: LanguageModel, weight: float) -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError("mixing weight must be between 0 and 1")
        if base.vocab_size != tuned.vocab_size:
            raise ValueError("mixed models must share one vocabulary")
        self.base, self.tuned, self.weight = base, tuned, weight
        self.vocab_size = base.vocab_size
        self.order = max(base.order, tuned.order)
        self.seen = base.seen | tuned.seen if weight > 0 else base.seen

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The weighted sum of both next-token distributions."""
        if self.weight == 0.0:
            return self.base.distribution(context)
        if self.weight == 1.0:
            return self.tuned.distribution(context)
        w = self.weight
        return (1.0 - w) * self.base.distribution(context) + w * self.tuned.distribution(context)


def _padded_stream(lines: list[np.ndarray], order: int) -> tuple[np.ndarray, np.ndarray]:
    """Every line padded with BOS and ended with EOS, end to end; and the positions to predict."""
    pad = np.full(order - 1, BOS, dtype=np.int64)
    stream = np.concatenate([part for s in lines for part in (pad, s, [EOS])])
    is_target = np.ones(len(stream), dtype=bool)
    starts = np.cumsum([0] + [len(s) + order for s in lines[:-1]])
    for j in range(order - 1):
        is_target[starts + j] = False
    return stream, np.flatnonzero(is_target)


def _context_nodes(stream: np.ndarray, pos: np.ndarray, order: int,
                   V: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Sorted context node keys per length m ≥ 1, and each position's node per length m ≥ 0."""
    # The node of m tokens extends the node of m-1 to the left.
    ctx_keys: list[np.ndarray] = []
    nodes = [np.zeros(len(pos), dtype=np.int64)]
    for m in range(1, order):
        keys, inv = np.unique(nodes[-1] * V + stream[pos - m], return_inverse=True)
        ctx_keys.append(keys)
        nodes.append(inv.reshape(-1))
    return ctx_keys, nodes


def _order_table(k: int, order: int, grams: list[tuple[np.ndarray, np.ndarray]],
                 ctx_keys: list[np.ndarray], V: int,
                 discount_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order k's offsets per context node, tokens seen next, their alpha, and each node's gamma."""
    keys, raw = grams[k - 1]
    node, tok = keys // V, keys % V
    if k == order:
        adjusted = raw
    else:
        # Kneser-Ney: a lower order counts the distinct tokens seen before it, except
        # where nothing can precede it (it starts at BOS), which keeps the raw count.
        longer = grams[k][0]
        parent = ctx_keys[k - 1][longer // V] // V
        # Every gram has a left extension (lines are padded), so both key sets are equal.
        cont = np.unique(parent * V + longer % V, return_counts=True)[1]
        leftmost = ctx_keys[k - 2][node] % V if k > 1 else tok
        adjusted = np.where(leftmost == BOS, raw, cont)
    n_nodes = len(ctx_keys[k - 2]) if k > 1 else 1
    off = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=n_nodes), out=off[1:])
    d = tuple(discount_scale * x for x in _discounts(adjusted))
    disc = np.asarray(d)[np.minimum(adjusted, 3) - 1]
    total = np.add.reduceat(adjusted, off[:-1]).astype(np.float64)
    left = np.add.reduceat(disc, off[:-1])
    alpha = (adjusted - disc) / np.repeat(total, np.diff(off))
    return off, tok.astype(np.int32), alpha, left / total


def top_ids(p: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k most probable tokens, most probable first, ties by lower id."""
    k = min(k, len(p))
    part = np.argpartition(-p, k - 1)[:k]
    # argpartition may cut inside a run of equal probabilities; take every tie, then sort.
    candidates = np.flatnonzero(p >= p[part].min())
    return candidates[np.lexsort((candidates, -p[candidates]))][:k]


def _discounts(counts: np.ndarray) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts for counts 1, 2 and 3+ from the count-of-counts."""
    n1, n2, n3, n4 = (int(np.count_nonzero(counts == c)) for c in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        return _DEFAULT_DISCOUNTS
    y = n1 / (n1 + 2 * n2)
    d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    if not all(0 < di <= c for di, c in zip(d, (1, 2, 3), strict=True)):
        return _DEFAULT_DISCOUNTS
    return d
