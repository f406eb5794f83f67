"""Kneser-Ney n-gram models: proper distributions that match a plain reference implementation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from navigator.sandbox.model.ngram import MixedModel, NGramModel, top_ids
from navigator.sandbox.model.tokenizer import BOS, EOS

V = 12


def random_lines(seed: int, n: int = 120) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    # A skewed choice of tokens so that some grams repeat and some are seen once.
    weights = 1.0 / np.arange(1, V - 1)
    weights /= weights.sum()
    return [list(rng.choice(np.arange(2, V), size=rng.integers(0, 8), p=weights)) for _ in range(n)]


def reference_distribution(lines: list[list[int]], order: int, context: list[int]) -> np.ndarray:
    """Interpolated modified Kneser-Ney written out with plain dictionaries."""
    raw: dict[int, Counter[tuple[int, ...]]] = {k: Counter() for k in range(1, order + 1)}
    for line in lines:
        s = [BOS] * (order - 1) + line + [EOS]
        for i in range(order - 1, len(s)):
            for k in range(1, order + 1):
                raw[k][tuple(s[i - k + 1 : i + 1])] += 1
    adjusted = {order: raw[order]}
    for k in range(order - 1, 0, -1):
        left = Counter(g[1:] for g in raw[k + 1])
        adjusted[k] = Counter({g: raw[k][g] if g[0] == BOS else left[g] for g in raw[k]})

    def discounts(counts: Counter[tuple[int, ...]]) -> tuple[float, ...]:
        n = [sum(1 for c in counts.values() if c == i) for i in (1, 2, 3, 4)]
        if min(n) == 0:
            return (0.5, 1.0, 1.5)
        y = n[0] / (n[0] + 2 * n[1])
        d = (1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2])
        return d if all(0 < di <= i + 1 for i, di in enumerate(d)) else (0.5, 1.0, 1.5)

    history = ([BOS] * (order - 1) + context)[-(order - 1) :] if order > 1 else []
    p = np.full(V, 1.0 / V)
    for k in range(1, order + 1):
        h = tuple(history[len(history) - (k - 1) :]) if k > 1 else ()
        grams = {g[-1]: c for g, c in adjusted[k].items() if g[:-1] == h}
        if not grams:
            break
        d = discounts(adjusted[k])
        total = sum(grams.values())
        gamma = sum(d[min(c, 3) - 1] for c in grams.values()) / total
        p = gamma * p
        for w, c in grams.items():
            p[w] += (c - d[min(c, 3) - 1]) / total
    return p


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_matches_the_reference_implementation(order: int) -> None:
    lines = random_lines(order)
    model = NGramModel.train(lines, order=order, vocab_size=V)
    for context in ([], [2], [2, 3], lines[0][:5], lines[1], [11, 11, 11, 11], [3, 2, 2, 3, 2]):
        np.testing.assert_allclose(
            model.distribution(context), reference_distribution(lines, order, context), rtol=1e-12
        )


@pytest.mark.parametrize("order", [1, 4, 10])
def test_distributions_are_proper(order: int) -> None:
    model = NGramModel.train(random_lines(7), order=order, vocab_size=V)
    for context in ([], [2, 3, 4], [11] * 12, list(range(2, V))):
        p = model.distribution(context)
        assert p.shape == (V,) and p.dtype == np.float64
        assert (p > 0).all()
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)


def test_what_always_followed_is_most_likely() -> None:
    model = NGramModel.train([[2, 3, 4, 5]] * 5 + [[2, 3, 9]], order=4, vocab_size=V)
    assert model.top([2, 3], 1)[0][0] == 4
    assert model.top([2, 3, 4], 1)[0][0] == 5
    assert model.top([2, 3, 4, 5], 1)[0][0] == EOS
    top = model.top([2, 3], 3)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)


def test_logprob_is_the_chain_rule() -> None:
    model = NGramModel.train(random_lines(3), order=3, vocab_size=V)
    seq = [2, 3, 2, 5]
    manual = sum(math.log(model.distribution(seq[:i])[t]) for i, t in enumerate(seq))
    assert math.isclose(model.logprob(seq), manual)
    assert math.isclose(
        model.logprob([5], context=seq[:3]), math.log(model.distribution(seq[:3])[5])
    )


def test_perplexity_is_lower_on_text_like_the_training_text() -> None:
    lines = [[2, 3, 4, 5, 6]] * 20 + [[6, 5, 4, 3, 2]] * 20
    model = NGramModel.train(lines, order=3, vocab_size=V)
    assert model.perplexity(lines[:5]) < model.perplexity([[9, 2, 11, 7, 10]])
    with pytest.raises(ValueError):
        model.perplexity([])


def test_saved_arrays_give_identical_distributions() -> None:
    model = NGramModel.train(random_lines(5), order=4, vocab_size=V)
    again = NGramModel.from_arrays({k: v.copy() for k, v in model.to_arrays().items()})
    for context in ([], [2], [2, 3, 4], [5, 5, 5]):
        assert np.array_equal(model.distribution(context), again.distribution(context))


def test_mixture_is_the_weighted_sum() -> None:
    base = NGramModel.train([[2, 3, 4]] * 10, order=3, vocab_size=V)
    tuned = NGramModel.train([[2, 5, 6]] * 10, order=3, vocab_size=V)
    ctx = [2]
    assert np.array_equal(MixedModel(base, tuned, 0.0).distribution(ctx), base.distribution(ctx))
    assert np.array_equal(MixedModel(base, tuned, 1.0).distribution(ctx), tuned.distribution(ctx))
    half = MixedModel(base, tuned, 0.5).distribution(ctx)
    np.testing.assert_allclose(half, (base.distribution(ctx) + tuned.distribution(ctx)) / 2)
    assert math.isclose(half.sum(), 1.0)
    assert MixedModel(base, tuned, 0.5).seen[5] and not MixedModel(base, tuned, 0.0).seen[5]


def test_bad_inputs_are_refused() -> None:
    base = NGramModel.train([[2, 3]], order=2, vocab_size=V)
    with pytest.raises(ValueError, match="between 0 and 1"):
        MixedModel(base, base, 1.5)
    with pytest.raises(ValueError, match="vocabulary"):
        MixedModel(base, NGramModel.train([[2, 3]], order=2, vocab_size=V + 1), 0.5)
    with pytest.raises(ValueError, match="outside"):
        NGramModel.train([[2, V]], vocab_size=V)
    with pytest.raises(ValueError):
        NGramModel.train([], vocab_size=V)
    with pytest.raises(ValueError):
        NGramModel.train([[2]], order=0, vocab_size=V)


def test_top_ids_orders_by_probability_then_id() -> None:
    p = np.array([0.1, 0.3, 0.1, 0.3, 0.2])
    assert top_ids(p, 3).tolist() == [1, 3, 4]
    assert top_ids(p, 5).tolist() == [1, 3, 4, 0, 2]
    assert top_ids(p, 9).tolist() == [1, 3, 4, 0, 2]
