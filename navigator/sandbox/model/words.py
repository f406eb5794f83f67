"""Whole-word tokens for one language: the units the sandbox's n-gram models read and write.

A sub-word model that backs off glues pieces of words into words no language has; a model over
whole words can only ever write words it read. The token view keeps the sub-word tokenizer
(tokenizer.py) to teach what real models pay per script; generation uses these.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from navigator.sandbox.model.tokenizer import BOS, EOS, pretokenize

UNK = 2
USER = 3
ASSISTANT = 4
SPECIALS = ("<bos>", "<eos>", "<unk>", "<user>", "<assistant>")
FIRST_WORD = len(SPECIALS)
# An instruction pair, or a chat prompt waiting for its answer: "User: ... || Assistant: ...".
# In a conversation only the last question counts: the model reads a few words back, no more.
_PAIR = re.compile(
    r"^(?:.*\|\|\s*)?User:\s*(?P<user>(?:(?!\|\|).)*?)\s*\|\|\s*Assistant:"
    r"(?P<assistant>(?:(?!\|\|).)*)$",
    re.S,
)


def split_words(text: str) -> list[str]:
    """A line as word tokens, each word carrying the space before it (the line gets one too)."""
    text = text.strip()
    return pretokenize(" " + text) if text else []


def split_turns(text: str) -> tuple[str, str] | None:
    """The question and answer of an instruction pair or chat prompt; None for plain text."""
    match = _PAIR.match(text)
    return (match["user"], match["assistant"]) if match else None


class WordVocab:
    """The words of one language's training text, most frequent first, with their counts."""

    first_text = FIRST_WORD  # ids below this are specials, never written

    def __init__(self, words: Sequence[str], counts: Sequence[int]) -> None:
        self.vocab: list[str] = [*SPECIALS, *words]
        self.counts = [0] * FIRST_WORD + [int(c) for c in counts]
        self._ids = {w: i for i, w in enumerate(self.vocab) if i >= FIRST_WORD}
        self._total = sum(self.counts)

    @classmethod
    def train(cls, texts: Iterable[str]) -> WordVocab:
        """Every distinct word token of texts, by falling frequency then alphabetically."""
        counts = Counter(w for text in texts for part in (split_turns(text) or (text,))
                         for w in split_words(part))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls([w for w, _ in ranked], [c for _, c in ranked])

    @property
    def vocab_size(self) -> int:
        """Number of token ids, specials included."""
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Token ids of text; a word never seen becomes <unk>; chat markers become specials.

        The markers are single tokens so the last words of a question sit right next to the
        start of its answer, inside the model's few words of context.
        """
        turns = split_turns(text)
        if turns is None:
            return self._ids_of(text)
        return [USER, *self._ids_of(turns[0]), ASSISTANT, *self._ids_of(turns[1])]

    def _ids_of(self, text: str) -> list[int]:
        return [self._ids.get(w, UNK) for w in split_words(text)]

    def knows(self, word: str) -> bool:
        """Whether word (with or without its leading space) is in the vocabulary."""
        return word in self._ids or (" " + word) in self._ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of token ids; specials write nothing."""
        return "".join(self.piece(i) for i in ids)

    def piece(self, token_id: int) -> str:
        """The text one token adds ('' for specials)."""
        return self.vocab[token_id] if token_id >= FIRST_WORD else ""

    def pieces(self, text: str) -> list[str]:
        """Text cut into word tokens as the model reads it (chat markers shown as specials)."""
        return [self.vocab[i] if i < FIRST_WORD else w
                for i, w in zip(self.encode(text), self._words_of(text), strict=True)]

    def words_of(self, text: str) -> list[str]:
        """The words of text as written, one per token (chat markers by their special names)."""
        return self._words_of(text)

    @staticmethod
    def _words_of(text: str) -> list[str]:
        turns = split_turns(text)
        if turns is None:
            return split_words(text)
        return [SPECIALS[USER], *split_words(turns[0]), SPECIALS[ASSISTANT],
                *split_words(turns[1])]

    def is_text(self, token_id: int) -> bool:
        """Whether a token id is a word (not a special)."""
        return FIRST_WORD <= token_id < len(self.vocab)

    def log_frequency(self, word: str) -> float | None:
        """Natural log of the word's relative frequency in training; None if never seen."""
        if word not in self._ids:
            return None
        return math.log(self.counts[self._ids[word]] / self._total)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready vocabulary."""
        return {"words": self.vocab[FIRST_WORD:], "counts": self.counts[FIRST_WORD:]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordVocab:
        """Rebuild a vocabulary saved with to_dict."""
        return cls(data["words"], data["counts"])


__all__ = ["ASSISTANT", "BOS", "EOS", "UNK", "USER", "WordVocab", "split_turns", "split_words"]
