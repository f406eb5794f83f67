"""What an engine's training depends on: corpora grouped by locale, and hashes of them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from navigator.sandbox.model.corpora import LOCALES, Corpus
from navigator.sandbox.model.engine_settings import ENGINE_VERSION, ORDER, VOCAB_SIZE


def language_hash(locale: str, corpora: Sequence[Corpus], *, order: int = ORDER) -> str:
    """A hash of everything one language's training depends on."""
    payload = [ENGINE_VERSION, locale, order,
               [[c.name, c.locale, [[ln.number, ln.text] for ln in c.lines]] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def tokenizer_hash(corpora: Sequence[Corpus], vocab_size: int = VOCAB_SIZE) -> str:
    """A hash of the texts the token view's tokenizer learns from."""
    payload = [ENGINE_VERSION, vocab_size, [[c.name, c.locale, c.texts] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def by_locale(corpora: Sequence[Corpus]) -> dict[str, list[Corpus]]:
    """Corpora grouped by locale, in the platform's locale order."""
    out: dict[str, list[Corpus]] = {}
    for c in corpora:
        out.setdefault(c.locale, []).append(c)
    order = [*[x for x in LOCALES if x in out], *sorted(set(out) - set(LOCALES))]
    return {loc: out[loc] for loc in order}
