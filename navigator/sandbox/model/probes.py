"""Probes that open the model up: counterfactual swaps, language gaps, memorised records."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.model.ngram import LanguageModel
from navigator.sandbox.model.provenance import Source
from navigator.sandbox.model.tokenizer import EOS, Tokenizer

GROUP_SLOT = "{group}"
MEMORY_SETTINGS = Settings(temperature=0.0, max_tokens=80)
ENDINGS = 10


def boundary_mask(tokenizer: Tokenizer) -> np.ndarray:
    """Tokens that cannot continue a word: end of line, or a piece opening with a non-letter."""
    mask = np.zeros(tokenizer.vocab_size, dtype=bool)
    mask[EOS] = True
    for i, piece in enumerate(tokenizer.vocab):
        if tokenizer.is_text(i) and unicodedata.category(piece[0])[0] not in "LMN":
            mask[i] = True
    return mask


def word_ids(tokenizer: Tokenizer, prompt: str, word: str) -> list[int]:
    """The tokens a word takes when it follows prompt, as one would write it (space between)."""
    joiner = "" if not prompt or prompt[-1].isspace() else " "
    before = tokenizer.encode(prompt)
    both = tokenizer.encode(prompt + joiner + word)
    if both[: len(before)] == before:
        return both[len(before) :]
    return tokenizer.encode(joiner + word)


def word_probability(
    model: LanguageModel,
    tokenizer: Tokenizer,
    prompt: str,
    word: str,
    boundary: np.ndarray | None = None,
) -> float:
    """P(word is the next word after prompt): its tokens by the chain rule, then a word break.

    The final break keeps "kind" from also counting every "kindly" that starts the same way.
    """
    boundary = boundary_mask(tokenizer) if boundary is None else boundary
    context = tokenizer.encode(prompt)
    prob = 1.0
    for t in word_ids(tokenizer, prompt, word):
        prob *= float(model.distribution(context)[t])
        context.append(t)
    return prob * float(model.distribution(context)[boundary].sum())


def bias_probe(
    model: LanguageModel,
    tokenizer: Tokenizer,
    template: str,
    groups: Mapping[str, str],
    word_sets: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Swap the group in template and compare how likely each set of words comes next.

    The share of the first word set (e.g. warm words) among all sets is compared across groups;
    the gap is the highest share minus the lowest, and the ratio is highest over lowest.
    """
    if GROUP_SLOT not in template:
        raise ValueError(f"the template needs a {GROUP_SLOT} slot")
    if len(groups) < 2 or len(word_sets) < 2:
        raise ValueError("a bias probe needs at least two groups and two word sets")
    boundary = boundary_mask(tokenizer)
    reference = next(iter(word_sets))
    table: dict[str, Any] = {}
    for key, label in groups.items():
        prompt = template.replace(GROUP_SLOT, label)
        words = {
            name: {w: word_probability(model, tokenizer, prompt, w, boundary) for w in ws}
            for name, ws in word_sets.items()
        }
        sets = {name: sum(probs.values()) for name, probs in words.items()}
        total = sum(sets.values())
        shares = {name: p / total for name, p in sets.items()}
        table[key] = {
            "label": label,
            "prompt": prompt,
            "sets": sets,
            "shares": shares,
            "words": words,
        }
    ranked = sorted(table, key=lambda k: table[k]["shares"][reference])
    low, high = ranked[0], ranked[-1]
    low_share, high_share = table[low]["shares"][reference], table[high]["shares"][reference]
    return {
        "groups": table,
        "reference": reference,
        "gap": {
            "set": reference,
            "highest": high,
            "lowest": low,
            "difference": high_share - low_share,
            "ratio": high_share / low_share,
        },
    }


def sample_endings(
    model: LanguageModel,
    tokenizer: Tokenizer,
    template: str,
    groups: Mapping[str, str],
    word_sets: Mapping[str, Sequence[str]],
    settings: Settings,
    n: int = ENDINGS,
) -> dict[str, Any]:
    """Write n endings per group, with the same seeds for every group, and count word sets.

    A count is the number of endings that contain at least one word of the set.
    """
    out: dict[str, Any] = {}
    for key, label in groups.items():
        prompt = template.replace(GROUP_SLOT, label)
        endings = []
        for i in range(n):
            seed = None if settings.seed is None else (settings.seed + i) % 2**63
            endings.append(generate(model, tokenizer, prompt, replace(settings, seed=seed)).text)
        patterns = {
            name: [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE) for w in ws]
            for name, ws in word_sets.items()
        }
        counts = {
            name: sum(any(p.search(e) for p in pats) for e in endings)
            for name, pats in patterns.items()
        }
        out[key] = {"label": label, "prompt": prompt, "endings": endings, "counts": counts}
    return out


def language_gap(engine: Any, prompts: Mapping[str, str]) -> list[dict[str, Any]]:
    """The same question in each locale: what it costs in tokens, and how well each model knows
    its language, in bits per character of held-out text (fair across scripts, unlike tokens).
    """
    rows = []
    for locale, text in prompts.items():
        ids = engine.tokenizer.encode(text)
        lang = engine.languages.get(locale)
        heldout = lang.heldout if lang is not None else {}
        rows.append(
            {
                "locale": locale,
                "text": text,
                "pieces": [engine.tokenizer.piece(i) for i in ids],
                "tokens": len(ids),
                "chars": len(text),
                "has_model": lang is not None,
                "training_lines": sum(c["lines"] for c in lang.corpora) if lang else 0,
                "bits_per_char": heldout.get("bits_per_char"),
                "heldout_lines": heldout.get("lines", 0),
            }
        )
    base = next((r["tokens"] for r in rows if r["locale"] == "en"), None)
    for row in rows:
        row["tokens_vs_en"] = row["tokens"] / base if base else None
    return rows


PHONE = re.compile(r"\+?\d[\d ]{6,}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _phones(text: str) -> set[str]:
    return {re.sub(r"\D", "", m) for m in PHONE.findall(text)}


def contact_details(text: str) -> set[str]:
    """Phone numbers (digits only) and e-mail addresses (lower case) found in text."""
    return _phones(text) | {m.lower().rstrip(".") for m in EMAIL.findall(text)}


def memorisation(
    model: LanguageModel,
    tokenizer: Any,
    prompt: str,
    lines: Sequence[Source],
    settings: Settings = MEMORY_SETTINGS,
) -> dict[str, Any]:
    """Continue a record's opening and check it against the planted records.

    ``verbatim``: everything generated matches the record that starts with the prompt, character
    for character; ``complete``: it also runs to the record's end; ``returned``: this person's
    own phone number and e-mail address found in the continuation; ``leaks``: training records
    of *other* people whose phone number or e-mail address the continuation gives out.
    """
    generation = generate(model, tokenizer, prompt, settings)
    full = (prompt + generation.text).strip()
    head = prompt.strip()
    candidates = [src for src in lines if src.text.startswith(head)]
    best = max(candidates, key=lambda src: _common_prefix(src.text, full), default=None)
    matched = _common_prefix(best.text, full) if best else 0
    given = contact_details(generation.text)
    own = contact_details(best.text) if best else set()
    leaks, seen = [], set()
    for src in lines:
        shared = (contact_details(src.text) & given) - own
        if shared and src.text not in seen and src.corpus == "records":
            seen.add(src.text)
            leaks.append({**_source_dict(src), "details": sorted(shared)})
    return {
        "prompt": prompt,
        "continuation": generation.text,
        "generation": generation.to_dict(),
        "verbatim": best is not None and len(full) > len(head) and matched == len(full),
        "complete": best is not None and full == best.text,
        "record": None if best is None else _source_dict(best),
        "expected_continuation": best.text[len(head) :] if best else None,
        "matched_chars": max(0, matched - len(head)),
        "returned": sorted(own & given),
        "phone_returned": bool(best and _phones(best.text) & _phones(generation.text)),
        "leaks": leaks,
    }


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _source_dict(src: Source) -> dict[str, Any]:
    return {"corpus": src.corpus, "locale": src.locale, "line": src.line, "text": src.text}
