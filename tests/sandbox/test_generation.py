"""Sampling: validated settings, reproducible seeds, and knobs that do what they say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from navigator.sandbox.engine import SandboxEngine
from navigator.sandbox.generation import Settings, generate, next_token_table, reshape, stream
from navigator.sandbox.tokenizer import EOS

PROMPT = "A short walk"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": float("nan")}, "finite"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_k": -1}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 10_000}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": [""]}, "stop"),
        ({"stop": [3]}, "stop"),
        ({"seed": -1}, "seed"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
    ],
)
def test_invalid_settings_are_explained(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_mapping(values)


def test_settings_from_form_strings() -> None:
    s = Settings.from_mapping(
        {"temperature": "0.7", "top_k": "40", "top_p": "0.9", "seed": "", "stop": "."}
    )
    assert s == Settings(temperature=0.7, top_k=40, top_p=0.9, seed=None, stop=(".",))
    assert Settings.from_mapping({"seed": 3}, base=s).seed == 3
    assert s.to_dict()["stop"] == ["."]


def test_same_seed_same_text_and_different_seeds_differ(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    first = generate(model, tok, PROMPT, Settings(seed=7, temperature=1.5))
    again = generate(model, tok, PROMPT, Settings(seed=7, temperature=1.5))
    assert first.text == again.text and first.ids == again.ids
    others = {
        generate(model, tok, PROMPT, Settings(seed=s, temperature=1.5)).text for s in range(8)
    }
    assert len(others) > 1


def test_temperature_zero_is_greedy(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    gen = generate(model, tok, PROMPT, Settings(temperature=0.0, seed=1))
    context = tok.encode(PROMPT)
    for record in gen.tokens:
        p = model.distribution(context)
        allowed = model.seen.copy()
        allowed[EOS] = True
        assert record.id == int(np.argmax(np.where(allowed, p, 0)))
        assert record.sampled_prob == 1.0 and math.isclose(record.prob, p[record.id])
        context.append(record.id)
    assert generate(model, tok, PROMPT, Settings(top_k=1, seed=99)).text == gen.text


def test_records_show_the_alternatives(toy_engine: SandboxEngine) -> None:
    gen = generate(toy_engine.model(), toy_engine.tokenizer, PROMPT, Settings(seed=3))
    assert gen.tokens
    for record in gen.tokens:
        probs = [a.prob for a in record.alternatives]
        assert len(record.alternatives) == 10 and probs == sorted(probs, reverse=True)
        assert 0 < record.prob <= probs[0] and 0 < record.sampled_prob <= 1
    assert "".join(t.piece for t in gen.tokens) == gen.text


def test_reshape_applies_temperature_top_k_and_top_p() -> None:
    p = np.array([0.5, 0.25, 0.15, 0.07, 0.03])
    cold = reshape(p, Settings(temperature=0.5))
    hot = reshape(p, Settings(temperature=1.5))

    def entropy(q: np.ndarray) -> float:
        q = q[q > 0]
        return float(-(q * np.log(q)).sum())

    assert entropy(cold) < entropy(p) < entropy(hot)
    np.testing.assert_allclose(reshape(p, Settings()), p)
    assert np.count_nonzero(reshape(p, Settings(top_k=2))) == 2
    kept = reshape(p, Settings(top_p=0.8))
    assert np.count_nonzero(kept) == 3  # 0.5 + 0.25 < 0.8 <= 0.5 + 0.25 + 0.15
    np.testing.assert_allclose(kept[:3], p[:3] / p[:3].sum())
    assert reshape(p, Settings(top_p=0.01)).tolist() == [1.0, 0, 0, 0, 0]
    assert np.array_equal(reshape(p, Settings(temperature=0)), [1.0, 0, 0, 0, 0])
    allowed = np.array([False, True, True, True, True])
    assert reshape(p, Settings(), allowed)[0] == 0.0


def test_top_k_limits_every_choice(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    gen = generate(model, tok, PROMPT, Settings(top_k=3, temperature=2.0, seed=5, max_tokens=40))
    context = tok.encode(PROMPT)
    for record in gen.tokens:
        p = model.distribution(context)
        allowed = model.seen.copy()
        allowed[EOS] = True
        assert record.id in np.argsort(-np.where(allowed, p, 0), kind="stable")[:3]
        context.append(record.id)


def test_stop_sequences_end_the_text(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    free = generate(model, tok, PROMPT, Settings(seed=2, temperature=0))
    assert " " in free.text
    stop = free.text[free.text.index(" ", 1) :][:4]
    gen = generate(model, tok, PROMPT, Settings(seed=2, temperature=0, stop=(stop,)))
    assert gen.finish_reason == "stop"
    assert gen.text == free.text[: free.text.index(stop)]
    assert "".join(t.piece for t in gen.tokens) == gen.text


def test_streaming_never_takes_a_token_back(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    for seed in range(6):
        settings = Settings(seed=seed, temperature=1.2, stop=(" mood", "."))
        tokens = stream(model, tok, PROMPT, settings)
        streamed = "".join(t.piece for t in tokens)
        final = generate(model, tok, PROMPT, settings)
        assert streamed == final.text == tokens.text
        assert tokens.finish_reason == final.finish_reason
        assert " mood" not in final.text and "." not in final.text


def test_finish_reasons(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    assert generate(model, tok, PROMPT, Settings(max_tokens=1, seed=0)).finish_reason == "length"
    ended = generate(model, tok, PROMPT, Settings(temperature=0, max_tokens=50))
    assert ended.finish_reason == "eos" and ended.text.endswith(".")


def test_next_token_table_reshapes_with_temperature(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    warm = next_token_table(model, tok, PROMPT, temperature=1.0)
    cold = next_token_table(model, tok, PROMPT, temperature=0.3)
    frozen = next_token_table(model, tok, PROMPT, temperature=0.0)
    assert len(warm["rows"]) == 10
    assert [r["id"] for r in warm["rows"]] == [r["id"] for r in cold["rows"]]
    assert cold["rows"][0]["prob_at_temperature"] > warm["rows"][0]["prob_at_temperature"]
    assert frozen["rows"][0]["prob_at_temperature"] == 1.0
    assert math.isclose(
        sum(r["prob"] for r in warm["rows"]) + warm["rest"]["prob"], 1.0, rel_tol=1e-9
    )
    assert warm["prompt_pieces"] == tok.pieces(PROMPT)
