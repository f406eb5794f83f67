"""Sampling text from a model with the knobs of a real LLM, recording every choice."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from navigator.sandbox.model.ngram import LanguageModel, top_ids
from navigator.sandbox.model.tokenizer import EOS, Tokenizer

MAX_TEMPERATURE = 2.0
MAX_TOKENS = 500
MAX_STOPS = 4
MAX_STOP_CHARS = 50
ALTERNATIVES = 10
# What the sandbox samples with when nobody says otherwise (the API, the Generate page). A
# smoothed n-gram keeps a sliver of probability on every word it knows; sampled untruncated at
# temperature 1 those slivers add up to word salad, so the defaults cut the tail as chat
# services tune theirs.
SAMPLING_DEFAULTS = {"temperature": 0.7, "top_k": 40, "top_p": 0.9}


@dataclass(frozen=True)
class Settings:
    """Decoding settings; the same names and ranges as the OpenAI API where they overlap."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    max_tokens: int = 60
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        _check_number("temperature", self.temperature, float)
        _check_number("top_k", self.top_k, int)
        _check_number("top_p", self.top_p, float)
        _check_number("max_tokens", self.max_tokens, int)
        if not 0.0 <= self.temperature <= MAX_TEMPERATURE:
            raise ValueError(f"temperature must be between 0 and {MAX_TEMPERATURE:g}")
        if self.top_k < 0:
            raise ValueError("top_k must be 0 (off) or a positive whole number")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError("top_p must be greater than 0 and at most 1")
        if not 1 <= self.max_tokens <= MAX_TOKENS:
            raise ValueError(f"max_tokens must be between 1 and {MAX_TOKENS}")
        if isinstance(self.stop, str) or not all(isinstance(s, str) for s in self.stop):
            raise ValueError("stop must be a list of strings")
        if len(self.stop) > MAX_STOPS:
            raise ValueError(f"at most {MAX_STOPS} stop sequences")
        if not all(0 < len(s) <= MAX_STOP_CHARS for s in self.stop):
            raise ValueError(f"each stop sequence must have 1 to {MAX_STOP_CHARS} characters")
        if self.seed is not None:
            _check_number("seed", self.seed, int)
            if not 0 <= self.seed < 2**63:
                raise ValueError("seed must be a whole number from 0 to 2**63 - 1")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Settings | None = None) -> Settings:
        """Settings from plain data (YAML, JSON, form fields as strings) over base's values."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        values = asdict(base) if base is not None else {}
        for name, value in data.items():
            values[name] = _coerce(name, value)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        out = asdict(self)
        out["stop"] = list(self.stop)
        return out


def _check_number(name: str, value: object, kind: type) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float if kind is float else int):
        raise ValueError(f"{name} must be a {'number' if kind is float else 'whole number'}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")


def _coerce(name: str, value: Any) -> Any:
    """Turn form strings into the field's type; leave everything else for validation."""
    if name == "stop":
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)
    if name == "seed" and (value is None or value == ""):
        return None
    if isinstance(value, str):
        try:
            return float(value) if name in ("temperature", "top_p") else int(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be a number, not {value!r}") from None
    return value


@dataclass(frozen=True)
class Alternative:
    """A token the model could have chosen at one step."""

    id: int
    piece: str
    prob: float
    sampled_prob: float


@dataclass(frozen=True)
class TokenRecord:
    """One generated token: what it was, how likely, and what else was on the table."""

    id: int
    piece: str
    prob: float
    sampled_prob: float
    alternatives: list[Alternative]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)


@dataclass
class Generation:
    """The result of one generation: continuation text, per-token records and why it stopped."""

    prompt: str
    prompt_ids: list[int]
    text: str
    tokens: list[TokenRecord]
    finish_reason: str
    settings: Settings
    ids: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = [t.id for t in self.tokens]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready generation."""
        return {
            "prompt": self.prompt,
            "text": self.text,
            "tokens": [t.to_dict() for t in self.tokens],
            "finish_reason": self.finish_reason,
            "settings": self.settings.to_dict(),
        }


def sampleable(model: LanguageModel, tokenizer: Any = None) -> np.ndarray:
    """Tokens generation may pick: text seen in training, and the end of a line.

    Tokens never seen (BOS, unknown words, byte fallbacks) and markers keep a sliver of
    probability for scoring but are not text the model ever wrote.
    """
    allowed = model.seen.copy()
    if tokenizer is not None:
        allowed[: tokenizer.first_text] = False
    allowed[EOS] = True
    return allowed


def reshape(p: np.ndarray, settings: Settings, allowed: np.ndarray | None = None) -> np.ndarray:
    """The distribution actually sampled from: allowed tokens, temperature, then top-k, top-p."""
    q = p if allowed is None else np.where(allowed, p, 0.0)
    if settings.temperature == 0.0:
        out = np.zeros_like(q)
        out[int(np.argmax(q))] = 1.0
        return out
    with np.errstate(divide="ignore"):
        logits = np.log(q) / settings.temperature
    q = np.exp(logits - logits.max())
    if 0 < settings.top_k < len(q):
        # The k likeliest, ties broken by token id as argmax does for temperature 0 (the same
        # as a stable sort, without sorting every token of a large vocabulary).
        keep = top_ids(q, settings.top_k)
        kept = np.zeros_like(q)
        kept[keep] = q[keep]
        q = kept
    q /= q.sum()
    if settings.top_p < 1.0:
        # Tokens already cut weigh nothing: sorting the others gives the same cut.
        live = np.flatnonzero(q)
        order = live[np.argsort(-q[live], kind="stable")]
        before = np.cumsum(q[order]) - q[order]
        # Keep the smallest set of most likely tokens whose mass reaches top_p.
        keep = order[before < settings.top_p]
        kept = np.zeros_like(q)
        kept[keep] = q[keep]
        q = kept / kept.sum()
    return q


class TokenStream:
    """Iterates over generated tokens as they are sampled; finish_reason is set at the end.

    Text that might be the start of a stop sequence is held back until it is clear, so a
    streamed token is never taken back.
    """

    def __init__(
        self, model: LanguageModel, tokenizer: Tokenizer, prompt: str, settings: Settings
    ) -> None:
        self.model, self.tokenizer, self.settings = model, tokenizer, settings
        self.prompt = prompt
        self.prompt_ids = tokenizer.encode(prompt)
        self.finish_reason: str | None = None
        self.text = ""
        self.tokens: list[TokenRecord] = []
        self._allowed = sampleable(model, tokenizer)

    def __iter__(self) -> Iterator[TokenRecord]:
        rng = np.random.Generator(np.random.PCG64(self.settings.seed))
        stops = self.settings.stop
        context = list(self.prompt_ids)
        text = ""
        pending: list[tuple[int, TokenRecord]] = []  # (offset in text, record) not yet emitted
        for _ in range(self.settings.max_tokens):
            record = self._step(context, rng)
            if record.id == EOS:
                self.finish_reason = "eos"
                break
            context.append(record.id)
            pending.append((len(text), record))
            text += record.piece
            cut = _first_stop(text, stops, pending[0][0])
            if cut is not None:
                self.finish_reason = "stop"
                yield from self._emit(pending, cut)
                return
            safe = len(text) - _held_back(text, stops)
            ready = [(at, rec) for at, rec in pending if at + len(rec.piece) <= safe]
            pending = pending[len(ready) :]
            yield from self._emit(ready, safe)
        else:
            self.finish_reason = "length"
        yield from self._emit(pending, len(text))

    def _emit(self, items: list[tuple[int, TokenRecord]], limit: int) -> Iterator[TokenRecord]:
        """Emit records up to character offset limit, trimming one that runs past it."""
        for at, rec in items:
            if at >= limit:
                break
            if at + len(rec.piece) > limit:
                rec = replace(rec, piece=rec.piece[: limit - at])
            self.tokens.append(rec)
            self.text += rec.piece
            yield rec

    def _step(self, context: list[int], rng: np.random.Generator) -> TokenRecord:
        p = self.model.distribution(context)
        q = reshape(p, self.settings, self._allowed)
        cumulative = np.cumsum(q)
        choice = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
        if choice >= len(q) or q[choice] == 0.0:  # round-off at the very end of the sum
            choice = int(np.flatnonzero(q)[-1])
        top = top_ids(p, ALTERNATIVES)
        piece = self.tokenizer.piece
        alternatives = [Alternative(int(i), piece(i), float(p[i]), float(q[i])) for i in top]
        return TokenRecord(choice, piece(choice), float(p[choice]), float(q[choice]), alternatives)


def _first_stop(text: str, stops: tuple[str, ...], start: int) -> int | None:
    """Offset of the earliest stop sequence in text at or after start."""
    found = [i for i in (text.find(s, start) for s in stops) if i >= 0]
    return min(found) if found else None


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest end of text that could still grow into a stop sequence."""
    return max(
        (j for s in stops for j in range(len(s) - 1, 0, -1) if text.endswith(s[:j])), default=0
    )


def stream(
    model: LanguageModel, tokenizer: Tokenizer, prompt: str, settings: Settings
) -> TokenStream:
    """Generate lazily: iterate for tokens, then read finish_reason."""
    return TokenStream(model, tokenizer, prompt, settings)


def generate(
    model: LanguageModel, tokenizer: Tokenizer, prompt: str, settings: Settings
) -> Generation:
    """Continue prompt under settings; the same seed and settings give the same text."""
    tokens = stream(model, tokenizer, prompt, settings)
    records = list(tokens)
    return Generation(
        prompt=prompt,
        prompt_ids=tokens.prompt_ids,
        text=tokens.text,
        tokens=records,
        finish_reason=tokens.finish_reason or "length",
        settings=settings,
    )


def next_token_table(
    model: LanguageModel,
    tokenizer: Any,
    prompt: str,
    settings: Settings | float,
    k: int = ALTERNATIVES,
    window: int | None = None,
) -> dict[str, Any]:
    """The k likeliest next tokens: as the model gives them, after temperature, after the cut-offs.

    ``window`` is how many of the prompt's last tokens the model conditions on; the prompt's
    tokens come back marked as inside or outside it.
    """
    if not isinstance(settings, Settings):
        settings = Settings(temperature=float(settings))
    ids = tokenizer.encode(prompt)
    allowed = sampleable(model, tokenizer)
    p = model.distribution(ids)
    tempered = reshape(p, Settings(temperature=settings.temperature), allowed)
    final = reshape(p, settings, allowed)
    top = top_ids(p, k)
    rows = _table_rows(tokenizer, settings, top, (p, tempered, final), allowed)
    shown = window if window is not None else len(ids)
    pieces = _prompt_pieces(tokenizer, prompt, ids)
    return {
        "prompt": prompt,
        "prompt_pieces": pieces,
        "context": [
            {"piece": piece, "in_window": n >= len(ids) - shown,
             "known": tokenizer.is_text(ids[n])}
            for n, piece in enumerate(pieces)
        ],
        "window": shown,
        "temperature": settings.temperature,
        "top_k": settings.top_k,
        "top_p": settings.top_p,
        "rows": rows,
        "rest": {
            "prob": max(0.0, 1.0 - float(p[top].sum())),
            "prob_at_temperature": max(0.0, 1.0 - float(tempered[top].sum())),
            "prob_sampled": max(0.0, 1.0 - float(final[top].sum())),
        },
    }


def _table_rows(tokenizer: Any, settings: Settings, top: np.ndarray,
                probs: tuple[np.ndarray, np.ndarray, np.ndarray],
                allowed: np.ndarray) -> list[dict[str, Any]]:
    """One row per token of top: as the model gives it, after temperature, sampled; what cut it."""
    p, tempered, final = probs
    in_top_k = set()
    if settings.top_k:
        in_top_k = {int(i) for i in np.argsort(-tempered, kind="stable")[: settings.top_k]}

    def cut(i: int) -> str | None:
        if final[i] > 0:
            return None
        if not allowed[i]:
            return "never"
        if settings.top_k and i not in in_top_k:
            return "top_k"
        return "top_p" if settings.top_p < 1.0 else "temperature"

    return [
        {
            "id": int(i),
            "piece": tokenizer.piece(i),
            "prob": float(p[i]),
            "prob_at_temperature": float(tempered[i]),
            "prob_sampled": float(final[i]),
            "cut": cut(int(i)),
        }
        for i in top
    ]


def _prompt_pieces(tokenizer: Any, prompt: str, ids: list[int]) -> list[str]:
    """The prompt's tokens as shown: words the model never saw as typed, markers by name."""
    written = tokenizer.words_of(prompt) if hasattr(tokenizer, "words_of") else None
    return [tokenizer.piece(i) or (written[n] if written else tokenizer.vocab[i])
            for n, i in enumerate(ids)]
