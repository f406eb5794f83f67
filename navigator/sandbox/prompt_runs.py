"""Runs on a person's own prompt: its tokens, the next word, a continuation, and their shades."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from navigator.errors import Invalid
from navigator.i18n import _
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.model.words import EOS
from navigator.sandbox.scenarios import SOURCE_LOCALE, Scenario
from navigator.sandbox.services import run

# Upper bounds of the probability shades: below 5 %, 20 %, 50 %, 80 %, and the rest.
SHADES = (0.05, 0.2, 0.5, 0.8)


def new_seed() -> int:
    """A seed for a run the person did not seed, so the run can be repeated and saved."""
    return secrets.randbelow(2**31)


def _adhoc(kind: str, settings: Mapping[str, Any], texts: dict | None = None) -> Scenario:
    try:
        parsed = Settings.from_mapping(settings)
    except (ValueError, TypeError) as exc:
        raise Invalid(_("The model cannot run with these settings: %(reason)s",
                        reason=str(exc))) from None
    return Scenario("custom", kind, settings=parsed, texts={SOURCE_LOCALE: texts or {}})


def generation(engine: SandboxEngine, prompt: str, settings: Mapping[str, Any],
               mix: float = 0.0, locale: str = SOURCE_LOCALE) -> dict:
    """Continue a prompt in its language: each token with its probability, and its sources."""
    return run(engine, _adhoc("generate", settings), locale, prompt=prompt, mix=mix)


def next_tokens(engine: SandboxEngine, prompt: str, temperature: float, mix: float = 0.0,
                locale: str = SOURCE_LOCALE, top_k: int = 0, top_p: float = 1.0) -> dict:
    """The likeliest next words as the model gives them and as the settings reshape them."""
    settings = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
    return run(engine, _adhoc("step", settings), locale, prompt=prompt, mix=mix)["table"]


def sample_next(engine: SandboxEngine, prompt: str, temperature: float, mix: float,
                seed: int, locale: str = SOURCE_LOCALE) -> str | None:
    """One word sampled after prompt, as text; None when the model ends the line."""
    lang = engine.language(engine.detect(prompt, prefer=locale))
    settings = Settings(temperature=temperature, max_tokens=1, seed=seed)
    gen = generate(lang.model(mix), lang.words, prompt, settings)
    return gen.text if gen.tokens else None


def piece_of(engine: SandboxEngine, prompt: str, token_id: int,
             locale: str = SOURCE_LOCALE) -> str | None:
    """The text a chosen word adds after prompt; None for the end of the line; Invalid if none."""
    if token_id == EOS:
        return None
    words = engine.language(engine.detect(prompt, prefer=locale)).words
    if not 0 <= token_id < words.vocab_size or not words.is_text(token_id):
        raise Invalid(_("Choose one of the tokens in the table."))
    return words.piece(token_id)


def token_view(engine: SandboxEngine, text: str, samples: Mapping[str, str]) -> dict:
    """The pieces of a text, and the same sentence in several languages with their counts."""
    result = run(engine, _adhoc("tokens", {}, {"samples": dict(samples)}), SOURCE_LOCALE,
                 prompt=text)
    result["count"] = len(result["prompt_pieces"])
    return result


def sample_sentences(scenarios: Mapping[str, Scenario], locale: str) -> dict[str, str]:
    """The same sentence in several languages, from the token-view activity."""
    for scenario in scenarios.values():
        if scenario.kind == "tokens":
            samples = scenario.texts_for(locale)[1].get("samples") or {}
            if samples:
                return dict(samples)
    return {}


def shade(prob: float) -> int:
    """A confidence shade from 0 (under 5 %) to 4 (80 % or more)."""
    return sum(prob >= bound for bound in SHADES)


def segments(gen: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Generated tokens grouped into copied and recombined spans, each token with its shade."""
    tokens = gen.get("tokens") or []
    out, at = [], 0
    for span in gen.get("provenance") or []:
        start, end = max(span["start"], at), min(span["end"], len(tokens))
        if start >= end:
            continue
        if start > at:
            out.append(_segment(tokens[at:start], None))
        out.append(_segment(tokens[start:end], span))
        at = end
    if at < len(tokens):
        out.append(_segment(tokens[at:], None))
    return out


def _segment(tokens: list[dict], span: Mapping[str, Any] | None) -> dict[str, Any]:
    copied = bool(span and span.get("copied"))
    return {
        "copied": copied,
        "source": span.get("source") if copied else None,
        "occurrences": span.get("occurrences", 0) if copied else 0,
        "text": "".join(t["piece"] for t in tokens),
        "tokens": [{"piece": t["piece"], "prob": t["prob"], "shade": shade(t["prob"]),
                    "alternatives": t.get("alternatives") or []} for t in tokens],
    }


