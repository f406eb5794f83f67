"""The shipped transformers: training a language's two runs, and writing its weights file.

A language gets a transformer when its text is large enough for one to learn as well as the
n-gram does (held-out loss, measured by `flask sandbox train-transformer`); see RECIPES. Each
language's file, <models>/<locale>.npz beside the corpora in the course package, holds two
training runs of the same network over the same words as that language's n-gram:

- "pretrained": all of the language's text except the instruction pairs and every twentieth
  health line (held out, as for the n-gram's measure). Its best held-out checkpoint is the
  transformer the sandbox serves.
- "watch": the same network on only WATCH lines, trained for as many steps: it learns them by
  heart. Its log and three checkpoints (just trained, best held-out, memorised) show overfitting.

Both runs are seeded: the same corpora and recipe give the same weights on one machine, and
within 1 % of the same held-out loss on another.

Which languages get one and with what network (transformer_recipes), the text each run learns
from (transformer_text) and reading the files back (transformer_files) live in their own
modules; their names are importable from here too.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from navigator.sandbox.model.corpora import Corpus
from navigator.sandbox.model.tokenizer import EOS
from navigator.sandbox.model.transformer_files import (
    LanguageNetworks,
    Networks,
    load,
    networks_at,
    next_token_attention,
)
from navigator.sandbox.model.transformer_recipes import (
    CHECKPOINTS,
    MODELS_DIR,
    PRETRAINED,
    RECIPES,
    SERVED,
    TINY,
    VERSION,
    WATCH,
    Recipe,
)
from navigator.sandbox.model.transformer_text import (
    OverWords,
    TrainingText,
    local_words,
    ngram_loss,
    sub_vocabulary,
    text_hash,
    to_local,
    training_text,
)
from navigator.sandbox.model.transformer_training import Run, sequence, train


@dataclass
class Trained:
    """Both runs of one language, ready to save."""

    locale: str
    recipe: Recipe
    text: TrainingText
    runs: dict[str, Run]
    watch_ids: np.ndarray
    comparison: dict[str, float] = field(default_factory=dict)

    @property
    def heldout_loss(self) -> float:
        """The served checkpoint's held-out loss (nats per token)."""
        return self.runs[PRETRAINED].best()["heldout"]


def train_language(locale: str, corpora: Sequence[Corpus], recipe: Recipe, *,
                   limit: int | None = None,
                   progress: Callable[[str, dict[str, float]], None] | None = None) -> Trained:
    """Run both trainings for one language (minutes for English on one core)."""
    from navigator.sandbox.model.engine import DISCOUNT_SCALE, ORDER

    text = training_text(locale, corpora, recipe.watch_lines, recipe.watch.seed, limit)
    ctx = recipe.context

    def report(name: str) -> Callable[[dict[str, float]], None] | None:
        return (lambda row: progress(name, row)) if progress else None

    pre = train(recipe.config(text.words.vocab_size), recipe.pretrain,
                [sequence(s, ctx) for s in text.train], [sequence(s, ctx) for s in text.heldout],
                progress=report(PRETRAINED))
    ids = sub_vocabulary(text.words, text.watch)
    table = to_local(ids, text.words.vocab_size)
    watch = train(recipe.config(len(ids)), recipe.watch,
                  [sequence(table[s].tolist(), ctx) for s in text.watch],
                  [sequence(table[s].tolist(), ctx) for s in text.heldout],
                  progress=report(WATCH))
    comparison = {"transformer": pre.best()["heldout"],
                  "ngram": round(ngram_loss(text, ORDER, DISCOUNT_SCALE), 5)}
    return Trained(locale, recipe, text, {PRETRAINED: pre, WATCH: watch}, ids, comparison)


def _seen(lines: Sequence[Sequence[int]], vocab_size: int) -> np.ndarray:
    seen = np.zeros(vocab_size, dtype=bool)
    for ids in lines:
        seen[list(ids)] = True
    seen[EOS] = True
    return seen


def to_arrays(trained: Trained) -> dict[str, np.ndarray]:
    """Everything the sandbox needs from a training, as named arrays (weights as float16)."""
    runs = {}
    arrays: dict[str, np.ndarray] = {"watch_ids": trained.watch_ids.astype(np.int32)}
    keep = {PRETRAINED: (SERVED,), WATCH: CHECKPOINTS}
    for name, run in trained.runs.items():
        runs[name] = {"config": run.config.to_dict(), "schedule": run.schedule.to_dict(),
                      "log": run.log, "steps_at": {k: run.steps_at[k] for k in keep[name]},
                      "seconds": round(run.seconds, 1)}
        for checkpoint in keep[name]:
            for key, value in run.checkpoints[checkpoint].items():
                arrays[f"{name}.{checkpoint}.{key}"] = value.astype(np.float16)
    words = trained.text.words
    meta = {
        "version": VERSION, "locale": trained.locale, "text_hash": trained.text.digest,
        "recipe": trained.recipe.to_dict(), "runs": runs, "heldout": trained.comparison,
        "lines": {"train": len(trained.text.train), "heldout": len(trained.text.heldout),
                  "watch": len(trained.text.watch)},
        "watch_texts": trained.text.watch_texts,
        "words": words.to_dict(),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    arrays["seen"] = _seen(trained.text.train, words.vocab_size)
    arrays["watch_seen"] = _seen([to_local(trained.watch_ids, words.vocab_size)[s]
                                  for s in trained.text.watch], len(trained.watch_ids))
    return arrays


def save(trained: Trained, path: str | Path) -> None:
    """Write a language's file atomically (compressed; a reader never sees half of it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **to_arrays(trained))
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        os.chmod(tmp, 0o644)  # package data: every server process reads it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["CHECKPOINTS", "MODELS_DIR", "PRETRAINED", "RECIPES", "SERVED", "TINY", "VERSION",
           "WATCH", "LanguageNetworks", "Networks", "OverWords", "Recipe", "Trained",
           "TrainingText", "load", "local_words", "networks_at", "next_token_attention",
           "ngram_loss", "save", "sub_vocabulary", "text_hash", "to_arrays", "to_local",
           "train_language", "training_text"]
