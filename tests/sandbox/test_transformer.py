"""The tiny transformer: gradients against finite differences, training, files, the command."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from navigator.sandbox.model import networks
from navigator.sandbox.model.corpora import load_corpora
from navigator.sandbox.model.engine import by_locale
from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.model.transformer import Config, TransformerModel, forward, weight_shapes
from navigator.sandbox.model.transformer_training import (
    Schedule,
    batch,
    init_weights,
    loss_and_grads,
    sequence,
    train,
)
from navigator.sandbox.model.words import WordVocab

from .toys import SHIPPED

TINY = Config(vocab_size=13, context=8, d_model=8, n_heads=2, n_layers=2, d_ff=12)
LINES = [[5, 6, 7, 8], [9, 10], [3, 11, 12, 5, 6, 7]]


def _weights(seed: int = 1) -> dict[str, np.ndarray]:
    w = init_weights(TINY, seed, np.float64)
    rng = np.random.default_rng(seed)
    # Away from the initial values, so every part of the network is in play (gains not 1).
    return {k: v + rng.standard_normal(v.shape) * 0.1 for k, v in w.items()}


def test_every_gradient_matches_finite_differences() -> None:
    w = _weights()
    inputs, targets, mask = batch([sequence(s, TINY.context) for s in LINES], [0, 2, 0])
    _loss, grads = loss_and_grads(w, TINY, inputs, targets, mask)
    assert set(grads) == set(weight_shapes(TINY))
    eps, worst = 1e-6, 0.0
    for name, value in w.items():
        for index in np.ndindex(value.shape):
            old = value[index]
            value[index] = old + eps
            up, _ = loss_and_grads(w, TINY, inputs, targets, mask, grads=False)
            value[index] = old - eps
            down, _ = loss_and_grads(w, TINY, inputs, targets, mask, grads=False)
            value[index] = old
            worst = max(worst, abs((up - down) / (2 * eps) - grads[name][index]))
    assert worst < 1e-7, worst


def test_the_training_pass_and_the_readable_pass_agree() -> None:
    w = _weights(2)
    seqs = [sequence(s, TINY.context) for s in LINES]
    inputs, targets, mask = batch(seqs)
    loss, _ = loss_and_grads(w, TINY, inputs, targets, mask, grads=False)
    total = count = 0.0
    for seq in seqs:
        logits, _, _ = forward(w, TINY, seq[:-1])
        top = logits.max(-1, keepdims=True)
        logp = logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))
        total -= sum(logp[t, seq[t + 1]] for t in range(len(seq) - 1))
        count += len(seq) - 1
    assert loss == pytest.approx(total / count, rel=1e-9)


def test_a_word_never_sees_the_words_after_it() -> None:
    w = _weights(3)
    a, shares, _ = forward(w, TINY, [0, 5, 6, 7, 8])
    b, _, _ = forward(w, TINY, [0, 5, 6, 7, 12])
    assert np.allclose(a[:4], b[:4]) and not np.allclose(a[4], b[4])
    for layer in shares:
        assert layer.shape == (TINY.n_heads, 5, 5)
        assert np.allclose(np.triu(layer, k=1), 0) and np.allclose(layer.sum(-1), 1)


def test_each_new_word_reuses_the_keys_and_values_of_the_words_before() -> None:
    w = _weights(4)
    full, shares, _ = forward(w, TINY, [0, 5, 6, 7, 8])
    _, _, past = forward(w, TINY, [0, 5, 6])
    more, rows, _ = forward(w, TINY, [7, 8], past)
    assert np.allclose(more, full[3:]) and all(
        np.allclose(r, s[:, 3:]) for r, s in zip(rows, shares, strict=True))


def test_the_model_gives_a_distribution_over_the_words() -> None:
    words = WordVocab([" a", " b", " c", " d", " e", " f", " g", " h"], [8, 7, 6, 5, 4, 3, 2, 1])
    config = Config(vocab_size=words.vocab_size, context=4, d_model=8, n_heads=2, n_layers=1,
                    d_ff=8)
    model = TransformerModel(config, init_weights(config, 0), words,
                             np.ones(words.vocab_size, dtype=bool))
    for context in ([], [5], [5, 6, 7, 8, 9, 10, 11]):  # longer than it reads: cut to fit
        p = model.distribution(context)
        assert p.shape == (words.vocab_size,) and p.sum() == pytest.approx(1.0)
    assert len(model.inputs([5, 6, 7, 8, 9])) == 4
    # The same context gives the same numbers, reached word by word or all at once.
    fresh = TransformerModel(config, model.weights, words, model.seen)
    assert np.array_equal(fresh.distribution([5, 6]), model.distribution([5, 6]))
    logits, _, _ = forward(model.weights, config, [0, 5, 6])
    expected = np.exp(logits[-1] - logits[-1].max())
    assert np.allclose(model.distribution([5, 6]), expected / expected.sum(), atol=1e-6)


def test_training_is_seeded_and_learns() -> None:
    seqs = [sequence(s, TINY.context) for s in LINES * 4]
    schedule = Schedule(steps=40, batch_size=4, lr=1e-2, warmup=5, eval_every=10, seed=7)
    first = train(TINY, schedule, seqs, seqs[:3])
    again = train(TINY, schedule, seqs, seqs[:3])
    assert first.log == again.log
    assert all(np.array_equal(first.checkpoints["last"][k], again.checkpoints["last"][k])
               for k in first.checkpoints["last"])
    assert first.log[-1]["train"] < 0.6 * first.log[0]["train"]
    assert first.steps_at["just_trained"] == 10
    assert first.best()["heldout"] == min(row["heldout"] for row in first.log)


@pytest.fixture(scope="module")
def english():
    return by_locale(load_corpora(SHIPPED / "corpora"))["en"]


def test_a_tiny_run_saves_loads_and_generates(english, tmp_path: Path) -> None:
    trained = networks.train_language("en", english, networks.TINY, limit=120)
    path = tmp_path / "en.npz"
    networks.save(trained, path)
    found = networks.Networks(tmp_path).language("en")
    assert found is not None and found.locale == "en"
    assert found.words.vocab == trained.text.words.vocab
    assert [row["step"] for row in found.log("watch")][-1] == networks.TINY.watch.steps
    assert set(found.steps_at("watch")) == set(networks.CHECKPOINTS)
    served = found.model()
    saved = trained.runs["pretrained"].checkpoints["best"]
    context = found.words.encode("Sleep helps")
    expected, _, _ = forward({k: v.astype(np.float16).astype(np.float32) for k, v in saved.items()},
                          served.config, served.inputs(context))
    assert np.allclose(np.log(served.distribution(context)),
                       expected[-1] - np.log(np.exp(expected[-1]).sum()), atol=1e-4)
    memorised = found.model("watch", "last")
    p = memorised.distribution(context)
    assert p.shape == (found.words.vocab_size,) and p.sum() == pytest.approx(1.0)
    # Only words of its own lines: the sub-vocabulary maps back to the language's ids.
    outside = np.ones(found.words.vocab_size, dtype=bool)
    outside[memorised.ids] = False
    assert outside.any() and not p[outside].any()
    text = generate(memorised, found.words, "Sleep helps", Settings(seed=1, max_tokens=8)).text
    assert text and all(w in found.meta["words"]["words"] for w in found.words.words_of(text))


def _heldout(output: str) -> float:
    return float(re.search(r"held-out loss ([\d.]+) nats", output)[1])


def test_the_command_is_reproducible(app, tmp_path: Path) -> None:
    """Twice from the shipped corpora, a tiny network: the same held-out loss, and the second
    run reports how far it is from the file it replaces (0 %)."""
    runner = app.test_cli_runner()
    args = ["sandbox", "train-transformer", "--size", "tiny", "--limit", "150",
            "--out", str(tmp_path)]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert _heldout(first.output) == pytest.approx(_heldout(second.output), rel=0.01)
    assert "a difference of 0.00%" in second.output
    refused = runner.invoke(args=["sandbox", "train-transformer", "--locale", "sw",
                                  "--out", str(tmp_path)])
    assert refused.exit_code != 0 and "too small" in refused.output


def test_the_cut_offs_keep_what_a_full_stable_sort_keeps() -> None:
    """Top-k and top-p no longer sort the whole vocabulary (a transformer's probabilities are
    all different, which made that sort the slowest part of a step); they keep exactly the same
    tokens, ties broken by token id."""
    from navigator.sandbox.model.generation import Settings, reshape

    def reference(p: np.ndarray, settings: Settings) -> np.ndarray:
        logits = np.log(np.where(p > 0, p, 1e-300)) / settings.temperature
        q = np.where(p > 0, np.exp(logits - logits.max()), 0.0)
        if 0 < settings.top_k < len(q):
            keep = np.argsort(-q, kind="stable")[: settings.top_k]
            q = np.where(np.isin(np.arange(len(q)), keep), q, 0.0)
        q /= q.sum()
        if settings.top_p < 1.0:
            order = np.argsort(-q, kind="stable")
            before = np.cumsum(q[order]) - q[order]
            keep = order[before < settings.top_p]
            q = np.where(np.isin(np.arange(len(q)), keep), q, 0.0)
            q /= q.sum()
        return q

    rng = np.random.default_rng(0)
    for _ in range(300):
        p = rng.random(int(rng.integers(5, 300)))
        p[rng.random(len(p)) < 0.3] = p[0]  # ties
        p[rng.random(len(p)) < 0.2] = 0.0
        p[0] = 1.0
        p /= p.sum()
        for top_k in (0, 1, 3, 40):
            for top_p in (1.0, 0.9, 0.5):
                settings = Settings(temperature=0.8, top_k=top_k, top_p=top_p)
                got = reshape(p, settings)
                assert np.array_equal(got > 0, reference(p, settings) > 0)
                assert np.allclose(got, reference(p, settings))
