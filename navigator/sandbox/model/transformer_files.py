"""The shipped transformer files as the sandbox reads them: each language's checkpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from navigator.sandbox.model.transformer import Config, TransformerModel
from navigator.sandbox.model.transformer_recipes import PRETRAINED, SERVED, VERSION, WATCH
from navigator.sandbox.model.transformer_text import OverWords, local_words
from navigator.sandbox.model.words import WordVocab


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
