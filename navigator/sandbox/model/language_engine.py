"""One language's trained models: its words, base and instructions n-grams, index and measures.

Each language learns only from its own corpora, so generation never leaves the language of the
prompt, and the languages keep the unequal amounts of text that make the language gap real.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from navigator.sandbox.model.corpora import INSTRUCTIONS, Corpus
from navigator.sandbox.model.engine_settings import DISCOUNT_SCALE, ENGINE_VERSION, MIN_SPAN, ORDER
from navigator.sandbox.model.measures import heldout_measure, line_bits, spelling_model
from navigator.sandbox.model.ngram import LanguageModel, MixedModel, NGramModel, _Scoring
from navigator.sandbox.model.provenance import Source, SuffixIndex
from navigator.sandbox.model.recall import Recall
from navigator.sandbox.model.training_inputs import language_hash
from navigator.sandbox.model.words import ASSISTANT, WordVocab


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
