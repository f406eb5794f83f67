"""A tiny decoder-only transformer, the kind of network inside every chatbot, small enough to read.

It reads the words of a line so far and gives a probability to every word that could come next,
like the n-gram model beside it, over the same words. Unlike the n-gram it does not look up the
last few words in a table: each word becomes a list of numbers (a vector), and in every layer
each word's vector takes in the vectors of earlier words, weighted by how much they matter to it
(attention). The weights are numbers learned in training (transformer_training.py); nothing
here is written by hand except the recipe below.

The recipe, for the words of one line:
1. Look up each word's vector, and add a vector for its position (first word, second word …).
2. In each layer:
   a. attention: every word asks a question (query); every earlier word offers a label (key)
      and a content (value). How well a key answers a query, turned into shares that add up to
      one, says how much of each earlier word's value flows into this word. Several heads ask
      different questions side by side;
   b. a small two-layer network then reworks each word's vector on its own.
   Both add what they found to the vector (a "residual"), after scaling it to a steady size
   (layer normalisation).
3. Compare the last vector with every word's vector: the more alike, the likelier that word is
   next (a softmax turns the scores into probabilities that add up to one).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from cachetools import LRUCache

from navigator.sandbox.model.tokenizer import BOS
from navigator.sandbox.model.words import WordVocab

PAST_KEPT = 256  # contexts whose keys and values are kept (a few generations' worth)


@dataclass(frozen=True)
class Config:
    """The shape of the network: how many words it knows, reads at once, and numbers per word."""

    vocab_size: int
    context: int = 64  # the most tokens it reads at once
    d_model: int = 128  # numbers per word vector
    n_heads: int = 4  # attention heads per layer
    n_layers: int = 2
    d_ff: int = 512  # width of each layer's small network

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def weight_shapes(config: Config) -> dict[str, tuple[int, ...]]:
    """Every learned array by name, with its shape."""
    d, f = config.d_model, config.d_ff
    shapes: dict[str, tuple[int, ...]] = {
        "embed": (config.vocab_size, d),  # one vector per word; also used to score the next word
        "position": (config.context, d),  # one vector per position in the line
    }
    for i in range(config.n_layers):
        shapes.update({
            f"{i}.norm1.gain": (d,), f"{i}.norm1.bias": (d,),
            f"{i}.query": (d, d), f"{i}.key": (d, d), f"{i}.value": (d, d), f"{i}.out": (d, d),
            f"{i}.norm2.gain": (d,), f"{i}.norm2.bias": (d,),
            f"{i}.up": (d, f), f"{i}.down": (f, d),
        })
    shapes.update({"final.gain": (d,), "final.bias": (d,)})
    return shapes


def layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Scale each vector to mean 0 and spread 1, then by learned gains and shifts."""
    mean = x.mean(axis=-1, keepdims=True)
    spread = np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)
    return (x - mean) / spread * gain + bias


def softmax(scores: np.ndarray) -> np.ndarray:
    """Scores as shares that add up to one (along the last axis)."""
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


KeysValues = tuple[np.ndarray, np.ndarray]  # per layer: keys and values, heads × words × d_head


def attend(w: dict[str, np.ndarray], i: int, h: np.ndarray, n_heads: int,
           past: KeysValues | None = None) -> tuple[np.ndarray, np.ndarray, KeysValues]:
    """Layer i's attention for vectors h (new words × d): what flows in, the shares per head,
    and the keys and values of every word so far (past's, then the new words')."""
    T, d = h.shape[-2:]
    dh = d // n_heads

    def heads(x: np.ndarray) -> np.ndarray:  # (…, T, d) → (…, heads, T, d_head)
        return np.swapaxes(x.reshape(*x.shape[:-1], n_heads, dh), -2, -3)

    q, k, v = heads(h @ w[f"{i}.query"]), heads(h @ w[f"{i}.key"]), heads(h @ w[f"{i}.value"])
    if past is not None:  # the earlier words' keys and values, worked out before
        k, v = np.concatenate([past[0], k], axis=-2), np.concatenate([past[1], v], axis=-2)
    start = k.shape[-2] - T  # how many words came before the new ones
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(dh)  # a plain number keeps float32
    # A word may look at itself and earlier words only: later words are not written yet.
    later = np.triu(np.ones((T, start + T), dtype=bool), k=start + 1)
    shares = softmax(np.where(later, -np.inf, scores))
    mixed = np.swapaxes(shares @ v, -2, -3).reshape(*h.shape)  # heads side by side again
    return mixed @ w[f"{i}.out"], shares, (k, v)


def forward(w: dict[str, np.ndarray], config: Config, ids: Sequence[int] | np.ndarray,
            past: list[KeysValues] | None = None, *, last_only: bool = False
            ) -> tuple[np.ndarray, list[np.ndarray], list[KeysValues]]:
    """Scores for the next word after every position, each layer's attention shares, and the
    keys and values to pass as past when more words follow.

    ids: token ids (the first usually BOS); with past, only the words after those past holds
    (real chatbots do the same: each new word reuses the work done for the words before it).
    At most config.context words in all. Returns logits (new words × vocabulary; with
    last_only, the last word's only: all that picking the next word needs) and per layer
    an array (heads × new words × all words): row t says how much the word at t took from each
    word up to t.
    """
    ids = np.asarray(ids)
    start = 0 if past is None else past[0][0].shape[-2]
    x = w["embed"][ids] + w["position"][start: start + ids.shape[-1]]
    attention, kept = [], []
    for i in range(config.n_layers):
        found, shares, keys_values = attend(
            w, i, layer_norm(x, w[f"{i}.norm1.gain"], w[f"{i}.norm1.bias"]), config.n_heads,
            None if past is None else past[i])
        x = x + found
        h = layer_norm(x, w[f"{i}.norm2.gain"], w[f"{i}.norm2.bias"])
        x = x + np.maximum(h @ w[f"{i}.up"], 0.0) @ w[f"{i}.down"]
        attention.append(shares)
        kept.append(keys_values)
    if last_only:
        x = x[..., -1:, :]
    x = layer_norm(x, w["final.gain"], w["final.bias"])
    return x @ w["embed"].T, attention, kept


class TransformerModel:
    """A trained transformer as a language model over one language's words.

    It gives distribution(context) like the n-gram models, so generation, the knobs and the
    scenarios run on it unchanged. context is read as the start of a line (after BOS); only the
    last config.context tokens fit.
    """

    def __init__(self, config: Config, weights: dict[str, np.ndarray], words: WordVocab,
                 seen: np.ndarray, name: str = "") -> None:
        if words.vocab_size != config.vocab_size:
            raise ValueError("the vocabulary does not match the network")
        self.config, self.weights, self.words, self.name = config, weights, words, name
        self.vocab_size = config.vocab_size
        self.order = config.context  # how many tokens it reads, as order is for an n-gram
        self.seen = seen
        # Keys and values of recent contexts, so each generated word costs one word's work.
        self._past: LRUCache = LRUCache(maxsize=PAST_KEPT)
        self._lock = threading.Lock()

    def inputs(self, context: Sequence[int]) -> list[int]:
        """The tokens the network reads for this context: BOS then the line, cut to fit."""
        return [BOS, *(int(t) for t in context)][-self.config.context:]

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """P(next token | context) for every token id.

        Word by word, each reusing the keys and values of the words before it, so the same
        context always gives the same numbers however it was reached. Once the window is full
        it slides (every position shifts) and the whole window is worked out at once.
        """
        ids = self.inputs(context)
        if len(ids) == self.config.context:
            logits, _, _ = forward(self.weights, self.config, ids, last_only=True)
            return softmax(logits[-1].astype(np.float64))
        with self._lock:
            known = next((n for n in range(len(ids) - 1, 0, -1)
                          if tuple(ids[:n]) in self._past), 0)
            past = self._past.get(tuple(ids[:known])) if known else None
        for n in range(known, len(ids)):
            logits, _, past = forward(self.weights, self.config, ids[n: n + 1], past)
            with self._lock:
                self._past[tuple(ids[: n + 1])] = past
        return softmax(logits[-1].astype(np.float64))

    def attention(self, context: Sequence[int]) -> tuple[list[int], list[np.ndarray]]:
        """The tokens read and, per layer, the attention shares (heads × tokens × tokens)."""
        ids = self.inputs(context)
        _, shares, _ = forward(self.weights, self.config, ids)
        return ids, shares
