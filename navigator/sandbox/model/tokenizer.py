"""Byte-pair encoding tokenizer shared by every language, with a byte fallback."""

from __future__ import annotations

import heapq
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

BOS = 0
EOS = 1
SPECIALS = ("<bos>", "<eos>")
BYTE_OFFSET = len(SPECIALS)
FIRST_CHAR = BYTE_OFFSET + 256
FORMAT = 1
# Planes 0, 1 and 14 hold every combining mark Unicode has assigned; scanning only them keeps the
# one-off pattern build under a tenth of a second.
_MARK_PLANES = (range(0, 0x20000), range(0xE0000, min(0xF0000, sys.maxunicode + 1)))
_CACHE_LIMIT = 50_000


@cache
def _pretokenizer() -> re.Pattern[str]:
    """Compile the pre-tokenising pattern: words with their leading space, numbers, punctuation."""
    ranges: list[tuple[int, int]] = []
    for plane in _MARK_PLANES:
        for code in plane:
            if unicodedata.category(chr(code)).startswith("M"):
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1] = (ranges[-1][0], code)
                else:
                    ranges.append((code, code))
    # Python's \w leaves out combining marks, which would cut Devanagari and Arabic words apart.
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    word = rf"(?:[^\W\d_]|[{marks}])+"
    punct = rf"(?:[^\s\w{marks}]|_)+"
    return re.compile(rf" ?{word}| ?\d+| ?{punct}|\s+(?!\S)|\s+")


def pretokenize(text: str) -> list[str]:
    """Split text into the chunks that merges never cross; they join back to the text."""
    return _pretokenizer().findall(text)


def visible(piece: str) -> str:
    """A piece as the token view shows it: spaces as ▁, line breaks as ↵, tabs as →."""
    return piece.replace(" ", "▁").replace("\n", "↵").replace("\t", "→")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class Tokenizer:
    """A learned subword vocabulary: characters seen in training, merges, and 256 byte tokens."""

    first_text = FIRST_CHAR  # ids below this are specials and lone bytes, never written

    def __init__(self, chars: Sequence[str], merges: Sequence[tuple[int, int]]) -> None:
        self.chars = list(chars)
        self.merges = [(int(a), int(b)) for a, b in merges]
        self.vocab: list[str] = [*SPECIALS, *(f"<0x{b:02X}>" for b in range(256)), *self.chars]
        self._ranks: dict[tuple[int, int], tuple[int, int]] = {}
        for rank, (a, b) in enumerate(self.merges):
            self._ranks[(a, b)] = (rank, len(self.vocab))
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self._char_ids = {c: FIRST_CHAR + i for i, c in enumerate(self.chars)}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """Number of token ids, specials and byte tokens included."""
        return len(self.vocab)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 3000) -> Tokenizer:
        """Learn merges from word frequencies until the vocabulary reaches vocab_size."""
        words = Counter(chunk for text in texts for chunk in pretokenize(text))
        char_counts: Counter[str] = Counter()
        for word, freq in words.items():
            for ch in word:
                char_counts[ch] += freq
        # Frequent characters first so ids are stable and readable; ties by code point.
        chars = sorted(char_counts, key=lambda c: (-char_counts[c], c))
        char_ids = {c: FIRST_CHAR + i for i, c in enumerate(chars)}
        seqs = [[char_ids[c] for c in word] for word in words]
        freqs = list(words.values())
        n_merges = max(0, vocab_size - FIRST_CHAR - len(chars))
        merges = _learn_merges(seqs, freqs, FIRST_CHAR + len(chars), n_merges)
        tokenizer = cls(chars, merges)
        # Training already cut every word exactly as encode() would; keep those cuts.
        tokenizer._cache.update(zip(words, seqs, strict=True))
        return tokenizer

    def encode(self, text: str) -> list[int]:
        """Token ids for text; characters never seen in training become byte tokens."""
        ids: list[int] = []
        for chunk in pretokenize(text):
            ids.extend(self._encode_chunk(chunk))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Text for token ids; special tokens add nothing, stray bytes become U+FFFD."""
        data = bytearray()
        for i in ids:
            i = int(i)
            if i < BYTE_OFFSET:
                continue
            if i < FIRST_CHAR:
                data.append(i - BYTE_OFFSET)
            else:
                data.extend(_utf8(self.vocab[i]))
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return data.decode("utf-8", "replace")

    def piece(self, token_id: int) -> str:
        """The visible piece of one token: its text, or <0xNN> for a byte, <eos> for a special."""
        return self.vocab[int(token_id)]

    def pieces(self, text: str) -> list[str]:
        """The visible pieces text is cut into, in order (spaces kept as real spaces)."""
        return [self.vocab[i] for i in self.encode(text)]

    def is_text(self, token_id: int) -> bool:
        """Whether a token stands for whole characters (not a special or a lone byte)."""
        return int(token_id) >= FIRST_CHAR

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description that from_dict turns back into an identical tokenizer."""
        return {"format": FORMAT, "chars": self.chars, "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokenizer:
        """Rebuild a tokenizer saved with to_dict."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported tokenizer format {data.get('format')!r}")
        return cls(data["chars"], [tuple(m) for m in data["merges"]])

    def _encode_chunk(self, chunk: str) -> list[int]:
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        ids: list[int] = []
        for ch in chunk:
            cid = self._char_ids.get(ch)
            if cid is None:
                ids.extend(BYTE_OFFSET + b for b in _utf8(ch))
            else:
                ids.append(cid)
        ids = self._apply_merges(ids)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[chunk] = ids
        return ids

    def _apply_merges(self, ids: list[int]) -> list[int]:
        # Apply the earliest-learned merge first, as training did, until none applies.
        unmerged = (sys.maxsize, 0)
        while len(ids) > 1:
            rank, new = min(self._ranks.get(p, unmerged) for p in zip(ids, ids[1:], strict=False))
            if rank == sys.maxsize:
                break
            ids = _merge(ids, self.merges[rank], new)
        return ids


def _learn_merges(
    seqs: list[list[int]], freqs: list[int], next_id: int, n_merges: int
) -> list[tuple[int, int]]:
    """Classic BPE, updating pair counts only for the words a merge touches (seqs in place)."""
    counts: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], set[int]] = {}
    for wi, seq in enumerate(seqs):
        for pair in zip(seq, seq[1:], strict=False):
            counts[pair] = counts.get(pair, 0) + freqs[wi]
            where.setdefault(pair, set()).add(wi)
    heap = [(-n, pair) for pair, n in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # stale entry: the count changed after it was pushed
        if -neg < 2:
            break  # a pair seen once teaches nothing beyond its characters
        merges.append(pair)
        touched: set[tuple[int, int]] = set()
        # A word listed here may no longer hold the pair; merging it then changes nothing.
        for wi in where.pop(pair):
            old = seqs[wi]
            new = _merge(old, pair, next_id)
            if len(new) == len(old):
                continue
            f = freqs[wi]
            for p in zip(old, old[1:], strict=False):
                counts[p] -= f
                touched.add(p)
            for p in zip(new, new[1:], strict=False):
                counts[p] = counts.get(p, 0) + f
                where.setdefault(p, set()).add(wi)
                touched.add(p)
            seqs[wi] = new
        next_id += 1
        counts.pop(pair, None)
        touched.discard(pair)
        for p in touched:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
    return merges


def _merge(seq: list[int], pair: tuple[int, int], new: int) -> list[int]:
    a, b = pair
    out: list[int] = []
    i = 0
    while i < len(seq):
        if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return out
