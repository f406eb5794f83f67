"""A suffix index over the training lines: which stretches of output were copied, and from where."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Source:
    """One training line: its corpus, locale, line number in the file, and text."""

    corpus: str
    locale: str
    line: int
    text: str


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) of a sequence: copied from a training line, or recombined."""

    start: int
    end: int
    copied: bool
    source: Source | None = None
    occurrences: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready span."""
        return asdict(self)


class SuffixIndex:
    """Suffix array over every training line's tokens, lines kept apart by unique separators."""

    def __init__(
        self, text: np.ndarray, sa: np.ndarray, line_starts: np.ndarray, sources: list[Source]
    ) -> None:
        self._text = text
        self._sa = sa
        self._first = text[sa]  # first token of each suffix, for the opening binary search
        self._line_starts = line_starts
        self.sources = sources

    @classmethod
    def build(cls, lines_tokens: Sequence[Sequence[int]], sources: Sequence[Source]) -> SuffixIndex:
        """Index lines (token ids) with the source of each, in the same order."""
        if len(lines_tokens) != len(sources):
            raise ValueError("one source is needed per line")
        parts, starts, at = [], [], 0
        for i, line in enumerate(lines_tokens):
            starts.append(at)
            # A negative separator unique to each line: no match can run across two lines.
            parts.append(np.append(np.asarray(line, dtype=np.int64), -(i + 1)))
            at += len(line) + 1
        text = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return cls(text, _suffix_array(text), np.asarray(starts, dtype=np.int64), list(sources))

    def longest_match(self, query: Sequence[int], start: int = 0) -> tuple[int, int, int]:
        """Length of the longest prefix of query[start:] found in training, and its SA range."""
        lo, hi, length = 0, len(self._sa), 0
        while start + length < len(query) and lo < hi:
            tok = int(query[start + length])
            column = self._first[lo:hi] if length == 0 else self._text[self._sa[lo:hi] + length]
            a = int(np.searchsorted(column, tok, side="left"))
            b = int(np.searchsorted(column, tok, side="right"))
            if a == b:
                break
            lo, hi, length = lo + a, lo + b, length + 1
        return length, lo, hi

    def spans(self, token_ids: Sequence[int], min_len: int = 4) -> list[Span]:
        """Cut token_ids greedily into the longest copied stretches; the rest is recombined."""
        out: list[Span] = []
        i, n = 0, len(token_ids)
        while i < n:
            length, lo, hi = self.longest_match(token_ids, i)
            if length >= min_len:
                out.append(Span(i, i + length, True, self._source_of(lo, hi), hi - lo))
                i += length
                continue
            if out and not out[-1].copied:
                out[-1] = Span(out[-1].start, i + 1, False)
            else:
                out.append(Span(i, i + 1, False))
            i += 1
        return out

    def count(self, token_ids: Sequence[int]) -> int:
        """How many times token_ids occurs in the training lines."""
        length, lo, hi = self.longest_match(token_ids)
        return hi - lo if length == len(token_ids) else 0

    def _source_of(self, lo: int, hi: int) -> Source:
        # The earliest occurrence, so the same span always links to the same line.
        pos = int(self._sa[lo:hi].min())
        return self.sources[int(np.searchsorted(self._line_starts, pos, side="right")) - 1]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays that from_arrays (with the same sources) turns back into this index."""
        return {"text": self._text, "sa": self._sa, "line_starts": self._line_starts}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], sources: list[Source]) -> SuffixIndex:
        """Rebuild an index saved with to_arrays."""
        return cls(arrays["text"], arrays["sa"], arrays["line_starts"], sources)


def _suffix_array(text: np.ndarray) -> np.ndarray:
    """Suffix array by prefix doubling: sort by rank pairs until every rank is distinct."""
    n = len(text)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.unique(text, return_inverse=True)[1].reshape(-1).astype(np.int64)
    step = 1
    while True:
        second = np.full(n, -1, dtype=np.int64)
        second[: n - step] = rank[step:]
        sa = np.lexsort((second, rank))
        r1, r2 = rank[sa], second[sa]
        new_group = np.empty(n, dtype=np.int64)
        new_group[0] = 0
        new_group[1:] = np.cumsum((r1[1:] != r1[:-1]) | (r2[1:] != r2[:-1]))
        rank = np.empty(n, dtype=np.int64)
        rank[sa] = new_group
        if new_group[-1] == n - 1 or step >= n:
            return sa
        step *= 2
