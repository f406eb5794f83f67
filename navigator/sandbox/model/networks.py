"""The shipped transformers: which languages have one, what each learns from, and its weights file.

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
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from navigator.sandbox.model.corpora import INSTRUCTIONS, Corpus
from navigator.sandbox.model.engine import HELDOUT_CORPUS, HELDOUT_EVERY
from navigator.sandbox.model.ngram import NGramModel
from navigator.sandbox.model.tokenizer import EOS
from navigator.sandbox.model.transformer import Config, TransformerModel
from navigator.sandbox.model.transformer_training import Run, Schedule, sequence, train
from navigator.sandbox.model.words import FIRST_WORD, UNK, WordVocab

VERSION = 1
MODELS_DIR = "models"  # beside corpora/ and scenarios/ in a package's sandbox folder
PRETRAINED, WATCH = "pretrained", "watch"
# The watch run's checkpoints, in the order training reaches them.
CHECKPOINTS = ("just_trained", "best", "last")
SERVED = "best"


@dataclass(frozen=True)
class Recipe:
    """A language's network and how long each run trains."""

    pretrain: Schedule
    watch: Schedule
    watch_lines: int
    context: int = 64
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 512

    def config(self, vocab_size: int) -> Config:
        return Config(vocab_size=vocab_size, context=self.context, d_model=self.d_model,
                      n_heads=self.n_heads, n_layers=self.n_layers, d_ff=self.d_ff)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pretrain"], out["watch"] = self.pretrain.to_dict(), self.watch.to_dict()
        return out


# A language gets a transformer when it predicts held-out text better than the language's
# n-gram (lower loss per word on the same held-out lines), so it is worth serving. English,
# with 8,700 health lines (about 170,000 words), does: 3.61 nats per word against 3.81. The
# other languages have about 1,300 training lines (25,000 words). Measured with the same
# schedule: Spanish with this network 4.02 against 3.84; with half as many numbers per word,
# French 3.99 against 3.79, Swahili 4.74 against 4.36. Too little text for a transformer to
# beat counting, as for real ones; and each would add 2.4 MB to the package.
RECIPES: dict[str, Recipe] = {
    "en": Recipe(
        pretrain=Schedule(steps=2000, batch_size=32, lr=3e-3, warmup=100, eval_every=100,
                          seed=15),
        watch=Schedule(steps=800, batch_size=16, lr=3e-3, warmup=50, eval_every=25, seed=15),
        watch_lines=300,
    ),
}
# A configuration small enough for tests: seconds, not minutes.
TINY = Recipe(
    pretrain=Schedule(steps=60, batch_size=16, lr=5e-3, warmup=10, eval_every=20, seed=1),
    watch=Schedule(steps=60, batch_size=8, lr=5e-3, warmup=10, eval_every=20, seed=1),
    watch_lines=40, context=32, d_model=16, n_heads=2, n_layers=1, d_ff=32,
)


# --- the text each run learns from -----------------------------------------------------------

@dataclass
class TrainingText:
    """One language's words and lines (as token ids) for both runs."""

    locale: str
    words: WordVocab
    train: list[list[int]]
    heldout: list[list[int]]
    watch: list[list[int]]
    digest: str
    watch_texts: list[str] = field(default_factory=list)


def training_text(locale: str, corpora: Sequence[Corpus], watch_lines: int,
                  seed: int = 0, limit: int | None = None) -> TrainingText:
    """Lines of the language's corpora (instructions aside): training, held-out and watch.

    The words are learned from every line, instructions included, exactly as the n-gram's are,
    so both models read and write the same tokens. limit keeps only the first lines of each
    corpus (for tests).
    """
    words = WordVocab.train(line.text for c in corpora for line in c.lines)
    train_ids: list[list[int]] = []
    texts: list[str] = []
    heldout: list[list[int]] = []
    health: list[int] = []
    for c in corpora:
        if c.name == INSTRUCTIONS:
            continue
        for i, line in enumerate(c.lines[:limit]):
            ids = words.encode(line.text)
            if c.name == HELDOUT_CORPUS and i % HELDOUT_EVERY == HELDOUT_EVERY - 1:
                heldout.append(ids)
            else:
                if c.name == HELDOUT_CORPUS:
                    health.append(len(train_ids))
                train_ids.append(ids)
                texts.append(line.text)
    rng = np.random.Generator(np.random.PCG64(seed))
    pick = sorted(rng.choice(len(health), size=min(watch_lines, len(health)), replace=False))
    watch = [train_ids[health[j]] for j in pick]
    digest = text_hash(locale, corpora, limit)
    return TrainingText(locale, words, train_ids, heldout, watch, digest,
                        [texts[health[j]] for j in pick])


def text_hash(locale: str, corpora: Sequence[Corpus], limit: int | None = None) -> str:
    """A hash of every line a language's transformer learns its words and weights from."""
    payload = [VERSION, locale, limit, [[c.name, c.texts] for c in corpora]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def ngram_loss(text: TrainingText, order: int, discount_scale: float) -> float:
    """The n-gram's held-out loss (nats per token) when it learns from the same lines."""
    model = NGramModel.train(text.train, order=order, vocab_size=text.words.vocab_size,
                             discount_scale=discount_scale)
    total = count = 0
    for ids in text.heldout:
        total -= model.logprob([*ids, EOS])
        count += len(ids) + 1
    return total / max(count, 1)


# --- a smaller vocabulary for the watch run ------------------------------------------------

def sub_vocabulary(words: WordVocab, lines: Sequence[Sequence[int]]) -> np.ndarray:
    """The ids (in words) of the specials and of every word in lines, in vocabulary order."""
    used = {t for ids in lines for t in ids}
    return np.array([*range(FIRST_WORD), *sorted(t for t in used if t >= FIRST_WORD)],
                    dtype=np.int32)


def local_words(words: WordVocab, ids: np.ndarray) -> WordVocab:
    """A WordVocab of only the words ids names (specials first, as always)."""
    keep = [int(i) for i in ids if i >= FIRST_WORD]
    return WordVocab([words.vocab[i] for i in keep], [words.counts[i] for i in keep])


def to_local(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """A lookup from full token ids to the sub-vocabulary's (UNK for words outside it)."""
    table = np.full(vocab_size, UNK, dtype=np.int64)
    table[ids] = np.arange(len(ids))
    return table


class OverWords:
    """A network trained on a sub-vocabulary, read and written in the full vocabulary's ids."""

    def __init__(self, model: TransformerModel, ids: np.ndarray, words: WordVocab) -> None:
        self.model, self.ids, self.words = model, ids, words
        self.vocab_size = words.vocab_size
        self.order = model.order
        self.config = model.config
        self._table = to_local(ids, words.vocab_size)
        self.seen = np.zeros(words.vocab_size, dtype=bool)
        self.seen[ids] = model.seen

    def inputs(self, context: Sequence[int]) -> list[int]:
        """The full-vocabulary tokens the network reads (words it never learned as <unk>)."""
        local = self.model.inputs(self._table[np.asarray(context, dtype=np.int64)].tolist())
        return self.ids[np.asarray(local)].tolist()

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        local = self.model.distribution(self._table[np.asarray(context, dtype=np.int64)])
        p = np.zeros(self.vocab_size)
        p[self.ids] = local
        return p

    def attention(self, context: Sequence[int]) -> tuple[list[int], list[np.ndarray]]:
        local, shares = self.model.attention(self._table[np.asarray(context, dtype=np.int64)])
        return self.ids[np.asarray(local)].tolist(), shares


# --- training both runs ----------------------------------------------------------------------

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


# --- the shipped files, as the sandbox reads them --------------------------------------------

class LanguageNetworks:
    """One language's saved runs: the words, the logs, and each checkpoint as a model."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if self.meta.get("version") != VERSION:
            raise ValueError(f"saved by version {self.meta.get('version')}")
        self.locale: str = self.meta["locale"]
        self.words = WordVocab.from_dict(self.meta["words"])
        self._arrays = arrays
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def config(self, run: str) -> Config:
        return Config(**self.meta["runs"][run]["config"])

    def log(self, run: str) -> list[dict[str, float]]:
        return self.meta["runs"][run]["log"]

    def steps_at(self, run: str) -> dict[str, int]:
        return self.meta["runs"][run]["steps_at"]

    @property
    def heldout(self) -> dict[str, float]:
        """Held-out loss (nats per token) of the served transformer and of the n-gram."""
        return self.meta["heldout"]

    @property
    def watch_words(self) -> WordVocab:
        return local_words(self.words, self._arrays["watch_ids"])

    def model(self, run: str = PRETRAINED, checkpoint: str = SERVED) -> Any:
        """A checkpoint as a language model over this language's words (made on first use)."""
        key = f"{run}.{checkpoint}"
        with self._lock:
            if key in self._models:
                return self._models[key]
        prefix = key + "."
        weights = {k[len(prefix):]: v.astype(np.float32) for k, v in self._arrays.items()
                   if k.startswith(prefix)}
        if not weights:
            raise KeyError(f"no checkpoint {key}")
        if run == WATCH:
            ids = self._arrays["watch_ids"]
            inner = TransformerModel(self.config(run), weights, local_words(self.words, ids),
                                     self._arrays["watch_seen"], key)
            model: Any = OverWords(inner, ids, self.words)
        else:
            model = TransformerModel(self.config(run), weights, self.words, self._arrays["seen"],
                                     key)
        with self._lock:
            return self._models.setdefault(key, model)


def load(path: str | Path) -> LanguageNetworks:
    """Read a language's file written by save()."""
    with np.load(path, allow_pickle=False) as data:
        return LanguageNetworks({k: data[k] for k in data.files})


class Networks:
    """The transformers of a course package's sandbox: one file per language, read on first use."""

    def __init__(self, models_dir: str | Path) -> None:
        self.dir = Path(models_dir)
        self._loaded: dict[str, tuple[tuple[int, int], LanguageNetworks]] = {}
        self._lock = threading.Lock()

    @property
    def locales(self) -> list[str]:
        """The languages with a transformer file."""
        from navigator.sandbox.model.corpora import LOCALES

        return [loc for loc in LOCALES if (self.dir / f"{loc}.npz").is_file()]

    def language(self, locale: str) -> LanguageNetworks | None:
        """A language's networks, read again only when its file changes; None without one."""
        path = self.dir / f"{locale}.npz"
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            known = self._loaded.get(locale)
            if known is not None and known[0] == stamp:
                return known[1]
        found = load(path)
        with self._lock:
            self._loaded[locale] = (stamp, found)
        return found


_shared: dict[Path, Networks] = {}
_shared_lock = threading.Lock()


def networks_at(models_dir: str | Path) -> Networks:
    """The process-wide Networks of a folder (weights are read once, whichever app asks)."""
    key = Path(models_dir).resolve()
    with _shared_lock:
        return _shared.setdefault(key, Networks(key))


def next_token_attention(model: Any, context: Sequence[int]) -> dict[str, Any]:
    """What each head of each layer looks at when predicting the token after context.

    Returns the tokens read (ids, BOS first) and per layer a (heads × tokens) array: the last
    row of that layer's attention, the shares of each earlier token in the next prediction.
    """
    ids, shares = model.attention(context)
    return {"ids": ids, "layers": [s[:, -1, :] for s in shares]}


__all__ = ["CHECKPOINTS", "PRETRAINED", "RECIPES", "TINY", "WATCH", "LanguageNetworks",
           "Networks", "Recipe", "Trained", "load", "networks_at", "save", "train_language",
           "training_text"]
