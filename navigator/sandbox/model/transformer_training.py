"""Training the tiny transformer: hand-written backpropagation, Adam, and a seeded training run.

Backpropagation walks the forward pass of transformer.py backwards: for every number the loss
depends on, how much would the loss change if that number grew a little (its gradient)? Adam
then moves every weight a small step against its gradient. tests/sandbox/test_transformer.py
checks every gradient here against finite differences.

A run is seeded and deterministic on one machine: the same corpora, configuration and seed give
the same weights. Every eval_every steps it writes the loss on training lines and on held-out
lines to a log, and keeps the weights at three checkpoints: just trained (after the first
evaluation), best held-out (the lowest held-out loss) and the last step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from navigator.sandbox.model.tokenizer import BOS, EOS
from navigator.sandbox.model.transformer import Config, softmax, weight_shapes
from navigator.sandbox.model.words import UNK

Weights = dict[str, np.ndarray]


def init_weights(config: Config, seed: int, dtype: Any = np.float32) -> Weights:
    """Small random weights (normal), gains of one and biases of zero, from a seed."""
    rng = np.random.Generator(np.random.PCG64(seed))
    w: Weights = {}
    for name, shape in weight_shapes(config).items():
        if name.endswith(".gain"):
            w[name] = np.ones(shape, dtype=dtype)
        elif name.endswith(".bias"):
            w[name] = np.zeros(shape, dtype=dtype)
        else:
            std = 0.02 if name in ("embed", "position") else 1.0 / math.sqrt(shape[0])
            if name.endswith((".out", ".down")):  # each layer adds to the residual: keep it calm
                std /= math.sqrt(2 * config.n_layers)
            w[name] = (rng.standard_normal(shape) * std).astype(dtype)
    return w


# --- forward with everything backward needs -------------------------------------------------

def _norm_forward(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, tuple]:
    mean = x.mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)
    xhat = (x - mean) * inv
    return xhat * gain + bias, (xhat, inv, gain)


def _norm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xhat, inv, gain = cache
    axes = tuple(range(dy.ndim - 1))
    dgain, dbias = (dy * xhat).sum(axis=axes), dy.sum(axis=axes)
    dxhat = dy * gain
    d = dy.shape[-1]
    dx = inv / d * (d * dxhat - dxhat.sum(axis=-1, keepdims=True)
                    - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True))
    return dx, dgain, dbias


def _forward(w: Weights, config: Config,
             inputs: np.ndarray) -> tuple[np.ndarray, tuple, np.ndarray, list[tuple]]:
    """The forward pass: final states, their norm cache, probabilities, each layer's cache."""
    B, T = inputs.shape
    H, dh = config.n_heads, config.d_head
    later = np.triu(np.ones((T, T), dtype=bool), k=1)
    x = w["embed"][inputs] + w["position"][:T]
    caches = []
    for i in range(config.n_layers):
        h1, n1 = _norm_forward(x, w[f"{i}.norm1.gain"], w[f"{i}.norm1.bias"])
        q, k, v = ((h1 @ w[f"{i}.{n}"]).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        shares = softmax(np.where(later, -np.inf, q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)))
        mixed = (shares @ v).transpose(0, 2, 1, 3).reshape(B, T, -1)
        x = x + mixed @ w[f"{i}.out"]
        h2, n2 = _norm_forward(x, w[f"{i}.norm2.gain"], w[f"{i}.norm2.bias"])
        up = h2 @ w[f"{i}.up"]
        relu = np.maximum(up, 0.0)
        x = x + relu @ w[f"{i}.down"]
        caches.append((h1, n1, q, k, v, shares, mixed, h2, n2, up, relu))
    hf, nf = _norm_forward(x, w["final.gain"], w["final.bias"])
    logits = hf @ w["embed"].T
    return hf, nf, softmax(logits), caches


def _layer_backward(w: Weights, config: Config, i: int, cache: tuple, dx: np.ndarray,
                    g: Weights) -> np.ndarray:
    """Layer i's weight gradients (into g), and the gradient of the residual stream below it."""
    h1, n1, q, k, v, shares, mixed, h2, n2, up, relu = cache
    B, T = h1.shape[:2]
    H, dh = config.n_heads, config.d_head
    # The small network: x += relu(h2 @ up) @ down.
    g[f"{i}.down"] = relu.reshape(-1, relu.shape[-1]).T @ dx.reshape(-1, dx.shape[-1])
    dup = (dx @ w[f"{i}.down"].T) * (up > 0)
    g[f"{i}.up"] = h2.reshape(-1, h2.shape[-1]).T @ dup.reshape(-1, dup.shape[-1])
    dh2, g[f"{i}.norm2.gain"], g[f"{i}.norm2.bias"] = _norm_backward(dup @ w[f"{i}.up"].T, n2)
    dx = dx + dh2
    # Attention: x += mixed @ out, mixed = shares @ v per head.
    g[f"{i}.out"] = mixed.reshape(-1, mixed.shape[-1]).T @ dx.reshape(-1, dx.shape[-1])
    dmixed = (dx @ w[f"{i}.out"].T).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
    dshares = dmixed @ v.transpose(0, 1, 3, 2)
    dv = shares.transpose(0, 1, 3, 2) @ dmixed
    # Softmax backward: d scores = shares · (d shares − Σ shares · d shares).
    dscores = shares * (dshares - (dshares * shares).sum(axis=-1, keepdims=True))
    dscores /= math.sqrt(dh)
    dq, dk = dscores @ k, dscores.transpose(0, 1, 3, 2) @ q
    dh1 = np.zeros_like(h1)
    flat_h1 = h1.reshape(-1, h1.shape[-1])
    for name, d in (("query", dq), ("key", dk), ("value", dv)):
        d = d.transpose(0, 2, 1, 3).reshape(B, T, -1)
        g[f"{i}.{name}"] = flat_h1.T @ d.reshape(-1, d.shape[-1])
        dh1 += d @ w[f"{i}.{name}"].T
    dnorm, g[f"{i}.norm1.gain"], g[f"{i}.norm1.bias"] = _norm_backward(dh1, n1)
    return dx + dnorm


def loss_and_grads(w: Weights, config: Config, inputs: np.ndarray, targets: np.ndarray,
                   mask: np.ndarray, *, grads: bool = True) -> tuple[float, Weights]:
    """Mean cross-entropy of targets over the masked positions, and its gradient per weight.

    inputs, targets, mask: (batch × tokens); mask is 1 where a target counts.
    """
    T = inputs.shape[1]
    hf, nf, probs, caches = _forward(w, config, inputs)
    count = max(float(mask.sum()), 1.0)
    picked = np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0]
    loss = float(-(np.log(np.maximum(picked, 1e-30)) * mask).sum() / count)
    if not grads:
        return loss, {}

    g: Weights = {}
    # Softmax then cross-entropy: the gradient of the scores is (probabilities − one-hot).
    dlogits = probs
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1.0, axis=-1)
    dlogits *= (mask.astype(probs.dtype) / count)[..., None]
    flat_h = hf.reshape(-1, hf.shape[-1])
    flat_d = dlogits.reshape(-1, dlogits.shape[-1])
    g["embed"] = flat_d.T @ flat_h
    dx, g["final.gain"], g["final.bias"] = _norm_backward(dlogits @ w["embed"], nf)
    for i in reversed(range(config.n_layers)):
        dx = _layer_backward(w, config, i, caches[i], dx, g)
    # The input: word vectors (added into the same embed gradient) and position vectors.
    np.add.at(g["embed"], inputs.reshape(-1), dx.reshape(-1, dx.shape[-1]))
    g["position"] = np.zeros_like(w["position"])
    g["position"][:T] = dx.sum(axis=0)
    return loss, {name: g[name].astype(w[name].dtype, copy=False) for name in w}


# --- Adam ------------------------------------------------------------------------------------

@dataclass
class Adam:
    """Adam: steps scaled by running averages of each weight's gradient and its square."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.99
    eps: float = 1e-8
    clip: float = 1.0  # the largest gradient length a step may follow
    t: int = 0
    m: Weights = field(default_factory=dict)
    v: Weights = field(default_factory=dict)

    def step(self, w: Weights, g: Weights, lr: float | None = None) -> None:
        self.t += 1
        norm = math.sqrt(sum(float((x.astype(np.float64) ** 2).sum()) for x in g.values()))
        scale = min(1.0, self.clip / norm) if norm > 0 else 1.0
        lr = self.lr if lr is None else lr
        a = lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        for name, grad in g.items():
            grad = grad * scale
            m = self.m.setdefault(name, np.zeros_like(grad))
            v = self.v.setdefault(name, np.zeros_like(grad))
            m *= self.beta1
            m += (1 - self.beta1) * grad
            v *= self.beta2
            v += (1 - self.beta2) * grad * grad
            w[name] -= (a * m / (np.sqrt(v) + self.eps)).astype(w[name].dtype)


# --- lines into batches --------------------------------------------------------------------

def sequence(ids: Sequence[int], context: int) -> list[int]:
    """A line as the network trains on it: BOS, its tokens, EOS; cut to context + 1 tokens."""
    return [BOS, *ids, EOS][: context + 1]


def answer_start(ids: Sequence[int], marker: int) -> int:
    """The position of the first answer token (after the marker), where the loss starts."""
    ids = list(ids)
    return ids.index(marker) + 1 if marker in ids else 0


def batch(seqs: Sequence[Sequence[int]], starts: Sequence[int] | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, targets and mask for lines of different lengths, padded at the end.

    starts[j] (optional) is the first target of line j that counts: for instruction pairs,
    only the answer is learned, not the question.
    """
    T = max(len(s) for s in seqs) - 1
    inputs = np.full((len(seqs), T), EOS, dtype=np.int64)
    targets = np.full((len(seqs), T), EOS, dtype=np.int64)
    mask = np.zeros((len(seqs), T), dtype=np.float32)
    for j, s in enumerate(seqs):
        n = len(s) - 1
        inputs[j, :n], targets[j, :n] = s[:-1], s[1:]
        first = max(0, (starts[j] if starts else 0) - 1)
        mask[j, first:n] = 1.0
    # A word outside the network's vocabulary cannot be predicted; it is left out of the loss.
    mask[targets == UNK] = 0.0
    return inputs, targets, mask


def batches(seqs: Sequence[Sequence[int]], size: int, rng: np.random.Generator,
            starts: Sequence[int] | None = None) -> list[list[int]]:
    """One pass over the lines in random batches of similar length (little padding)."""
    order = rng.permutation(len(seqs))
    pool = size * 50
    out: list[list[int]] = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p: p + pool], key=lambda j: len(seqs[j]))
        out.extend([int(j) for j in chunk[b: b + size]] for b in range(0, len(chunk), size))
    return [out[i] for i in rng.permutation(len(out))]


def mean_loss(w: Weights, config: Config, seqs: Sequence[Sequence[int]],
              starts: Sequence[int] | None = None, size: int = 64) -> float:
    """Loss per counted token over whole lines (nats), in batches sorted by length."""
    if not seqs:
        return float("nan")
    order = sorted(range(len(seqs)), key=lambda j: len(seqs[j]))
    total = count = 0.0
    for b in range(0, len(order), size):
        idx = order[b: b + size]
        inputs, targets, mask = batch([seqs[j] for j in idx],
                                      [starts[j] for j in idx] if starts else None)
        loss, _ = loss_and_grads(w, config, inputs, targets, mask, grads=False)
        n = float(mask.sum())
        total, count = total + loss * n, count + n
    return total / max(count, 1.0)


# --- a run -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """How long and how fast a run learns."""

    steps: int
    batch_size: int = 32
    lr: float = 3e-3
    warmup: int = 100
    eval_every: int = 50
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lr_at(self, step: int) -> float:
        return self.lr * min(1.0, (step + 1) / max(1, self.warmup))


@dataclass
class Run:
    """What a run leaves: its log and the weights at its checkpoints."""

    config: Config
    schedule: Schedule
    log: list[dict[str, float]]
    checkpoints: dict[str, Weights]
    steps_at: dict[str, int]
    seconds: float = 0.0

    def best(self) -> dict[str, float]:
        return min(self.log, key=lambda row: row["heldout"])


def train(config: Config, schedule: Schedule, train_seqs: Sequence[Sequence[int]],
          heldout_seqs: Sequence[Sequence[int]], *, train_starts: Sequence[int] | None = None,
          heldout_starts: Sequence[int] | None = None, start: Weights | None = None,
          progress: Callable[[dict[str, float]], None] | None = None,
          keep_checkpoints: bool = True) -> Run:
    """Train from start (or fresh seeded weights) for schedule.steps steps, logging the losses.

    The training loss in the log is measured like the held-out one: on a fixed sample of
    training lines (the same number of lines), with the weights of that moment.
    """
    rng = np.random.Generator(np.random.PCG64(schedule.seed))
    w = {k: v.copy() for k, v in start.items()} if start else init_weights(config, schedule.seed)
    sample = rng.choice(len(train_seqs), size=min(len(train_seqs), max(len(heldout_seqs), 1)),
                        replace=False)
    sample_seqs = [train_seqs[j] for j in sample]
    sample_starts = [train_starts[j] for j in sample] if train_starts else None
    adam = Adam(schedule.lr)
    log: list[dict[str, float]] = []
    checkpoints: dict[str, Weights] = {}
    steps_at: dict[str, int] = {}
    queue: list[list[int]] = []
    began = time.perf_counter()

    def evaluate(step: int) -> None:
        row = {"step": step,
               "train": round(mean_loss(w, config, sample_seqs, sample_starts), 5),
               "heldout": round(mean_loss(w, config, heldout_seqs, heldout_starts), 5)}
        log.append(row)
        if keep_checkpoints:
            if len(log) == 2:  # the first evaluation after some learning
                checkpoints["just_trained"], steps_at["just_trained"] = _copy(w), step
            if row["heldout"] <= min(r["heldout"] for r in log):
                checkpoints["best"], steps_at["best"] = _copy(w), step
        if progress:
            progress(row)

    for step in range(schedule.steps):
        if step % schedule.eval_every == 0:
            evaluate(step)
        if not queue:
            queue = batches(train_seqs, schedule.batch_size, rng, train_starts)
        idx = queue.pop()
        inputs, targets, mask = batch([train_seqs[j] for j in idx],
                                      [train_starts[j] for j in idx] if train_starts else None)
        _loss, g = loss_and_grads(w, config, inputs, targets, mask)
        adam.step(w, g, schedule.lr_at(step))
    evaluate(schedule.steps)
    checkpoints["last"], steps_at["last"] = _copy(w), schedule.steps
    return Run(config, schedule, log, checkpoints, steps_at, time.perf_counter() - began)


def _copy(w: Weights) -> Weights:
    return {k: v.copy() for k, v in w.items()}


__all__ = ["Adam", "Run", "Schedule", "batch", "init_weights", "loss_and_grads",
           "mean_loss", "train"]
