"""Sampling: validated settings, reproducible seeds, and knobs that do what they say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.generation import (
    Settings,
    generate,
    next_token_table,
    reshape,
    sampleable,
    stream,
)
from navigator.sandbox.model.words import EOS, UNK, USER, WordVocab

PROMPT = "A short walk"


def english(engine: SandboxEngine):
    """The English base model and its words."""
    lang = engine.language("en")
    return lang.model(), lang.words


def writable(model, words: WordVocab) -> np.ndarray:
    """Words seen in training and the end of the line: what generation may write."""
    allowed = model.seen.copy()
    allowed[: words.first_text] = False
    allowed[EOS] = True
    return allowed


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
    model, tok = english(toy_engine)
    first = generate(model, tok, PROMPT, Settings(seed=7, temperature=1.5))
    again = generate(model, tok, PROMPT, Settings(seed=7, temperature=1.5))
    assert first.text == again.text and first.ids == again.ids
    others = {
        generate(model, tok, PROMPT, Settings(seed=s, temperature=1.5)).text for s in range(8)
    }
    assert len(others) > 1


def test_temperature_zero_is_greedy(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    gen = generate(model, tok, PROMPT, Settings(temperature=0.0, seed=1))
    context = tok.encode(PROMPT)
    for record in gen.tokens:
        p = model.distribution(context)
        assert record.id == int(np.argmax(np.where(writable(model, tok), p, 0)))
        assert record.sampled_prob == 1.0 and math.isclose(record.prob, p[record.id])
        context.append(record.id)
    assert generate(model, tok, PROMPT, Settings(top_k=1, seed=99)).text == gen.text


def test_records_show_the_alternatives(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    gen = generate(model, tok, PROMPT, Settings(seed=3))
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
    model, tok = english(toy_engine)
    gen = generate(model, tok, PROMPT, Settings(top_k=3, temperature=2.0, seed=5, max_tokens=40))
    context = tok.encode(PROMPT)
    for record in gen.tokens:
        p = model.distribution(context)
        assert record.id in np.argsort(-np.where(writable(model, tok), p, 0), kind="stable")[:3]
        context.append(record.id)


def test_stop_sequences_end_the_text(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    free = generate(model, tok, PROMPT, Settings(seed=2, temperature=0))
    assert " " in free.text
    stop = free.text[free.text.index(" ", 1) :][:4]
    gen = generate(model, tok, PROMPT, Settings(seed=2, temperature=0, stop=(stop,)))
    assert gen.finish_reason == "stop"
    assert gen.text == free.text[: free.text.index(stop)]
    assert "".join(t.piece for t in gen.tokens) == gen.text


def test_streaming_never_takes_a_token_back(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    for seed in range(6):
        settings = Settings(seed=seed, temperature=1.2, stop=(" mood", "."))
        tokens = stream(model, tok, PROMPT, settings)
        streamed = "".join(t.piece for t in tokens)
        final = generate(model, tok, PROMPT, settings)
        assert streamed == final.text == tokens.text
        assert tokens.finish_reason == final.finish_reason
        assert " mood" not in final.text and "." not in final.text


def test_finish_reasons(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    assert generate(model, tok, PROMPT, Settings(max_tokens=1, seed=0)).finish_reason == "length"
    ended = generate(model, tok, PROMPT, Settings(temperature=0, max_tokens=50))
    assert ended.finish_reason == "eos" and ended.text.endswith(".")


def test_next_token_table_reshapes_with_temperature(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    warm = next_token_table(model, tok, PROMPT, 1.0)
    cold = next_token_table(model, tok, PROMPT, Settings(temperature=0.3))
    frozen = next_token_table(model, tok, PROMPT, 0.0)
    assert len(warm["rows"]) == 10
    assert [r["id"] for r in warm["rows"]] == [r["id"] for r in cold["rows"]]
    assert cold["rows"][0]["prob_at_temperature"] > warm["rows"][0]["prob_at_temperature"]
    assert frozen["rows"][0]["prob_at_temperature"] == 1.0
    assert math.isclose(
        sum(r["prob"] for r in warm["rows"]) + warm["rest"]["prob"], 1.0, rel_tol=1e-9
    )
    assert warm["prompt_pieces"] == tok.pieces(PROMPT)


def test_generation_writes_only_words_it_read(toy_engine: SandboxEngine) -> None:
    model, tok = english(toy_engine)
    allowed = sampleable(model, tok)
    assert [i for i in range(tok.first_text) if allowed[i]] == [EOS]
    assert np.array_equal(allowed[tok.first_text :], model.seen[tok.first_text :])
    # The base model never read the instruction pairs, so it never writes their words;
    # the tuned model may.
    [clinician] = tok.encode("clinician")
    assert not allowed[clinician]
    assert sampleable(toy_engine.language("en").model(0.8), tok)[clinician]
    # Even a prompt of unknown words, read as <unk>, never makes the model write <unk>.
    prompt = "Zebras quarrel loudly about"
    assert tok.encode(prompt) == [UNK] * 4
    for seed in range(5):
        gen = generate(model, tok, prompt, Settings(seed=seed, temperature=2.0, max_tokens=20))
        assert gen.tokens and all(tok.is_text(t.id) for t in gen.tokens)
        assert all(tok.knows(t.piece) for t in gen.tokens)


# --- the next-token table: what the cut-offs remove, and what the model reads -----------------

TABLE_WORDS = WordVocab([" a", " b", " c", " d", " e", " f"], [6, 5, 4, 3, 2, 1])
A, B, C, D, E, F = range(5, 11)


class Fixed:
    """A model that always gives the same distribution, with " f" never seen in training."""

    vocab_size, order = TABLE_WORDS.vocab_size, 3
    p = np.array([0.0, 0.10, 0.05, 0.0, 0.0, 0.35, 0.20, 0.15, 0.10, 0.05, 0.0])
    seen = np.array([True] * 10 + [False])

    def distribution(self, context) -> np.ndarray:
        return self.p.copy()


def table(settings: Settings | float, prompt: str = " a b c d", **kw) -> dict:
    return next_token_table(Fixed(), TABLE_WORDS, prompt, settings, k=7, **kw)


def rows(result: dict) -> dict[int, dict]:
    return {r["id"]: r for r in result["rows"]}


def test_next_token_table_marks_what_top_k_cuts() -> None:
    result = table(Settings(temperature=1.0, top_k=3))
    by_id = rows(result)
    assert [r["id"] for r in result["rows"]] == [A, B, C, EOS, D, UNK, E]
    assert {i: r["cut"] for i, r in by_id.items()} == {
        A: None, B: None, C: None, EOS: "top_k", D: "top_k", E: "top_k", UNK: "never"}
    writable = 0.95  # everything but <unk>
    assert by_id[A]["prob"] == pytest.approx(0.35)
    assert by_id[A]["prob_at_temperature"] == pytest.approx(0.35 / writable)
    assert by_id[UNK]["prob_at_temperature"] == 0.0 and by_id[UNK]["prob"] == 0.05
    assert by_id[A]["prob_sampled"] == pytest.approx(0.35 / 0.70)
    assert by_id[C]["prob_sampled"] == pytest.approx(0.15 / 0.70)
    assert by_id[EOS]["prob_sampled"] == 0.0
    assert result["top_k"] == 3 and result["top_p"] == 1.0
    assert result["rest"]["prob"] == pytest.approx(0.0, abs=1e-12)
    assert by_id[EOS]["piece"] == "" and by_id[A]["piece"] == " a"


def test_next_token_table_marks_what_top_p_cuts() -> None:
    by_id = rows(table(Settings(temperature=1.0, top_p=0.6)))
    # Tempered: a .368, b .211, c .158 (together .737 ≥ .6; before c only .579 < .6).
    assert {i: r["cut"] for i, r in by_id.items()} == {
        A: None, B: None, C: None, EOS: "top_p", D: "top_p", E: "top_p", UNK: "never"}
    assert sum(by_id[i]["prob_sampled"] for i in (A, B, C)) == pytest.approx(1.0)
    assert by_id[B]["prob_sampled"] == pytest.approx(0.20 / 0.70)

    # Both: top-k keeps a and b, then b falls outside top-p (a alone is .636 ≥ .6).
    both = rows(table(Settings(temperature=1.0, top_k=2, top_p=0.6)))
    assert [both[i]["cut"] for i in (A, B, C, EOS)] == [None, "top_p", "top_k", "top_k"]
    assert both[A]["prob_sampled"] == pytest.approx(1.0)


def test_next_token_table_at_temperature_zero_keeps_only_the_likeliest() -> None:
    by_id = rows(table(0.0))
    assert by_id[A]["prob_at_temperature"] == by_id[A]["prob_sampled"] == 1.0
    assert by_id[A]["cut"] is None
    assert all(by_id[i]["prob_sampled"] == 0.0 and by_id[i]["cut"] == "temperature"
               for i in (B, C, D, E, EOS))
    assert by_id[UNK]["cut"] == "never"
    plain = rows(table(1.0))
    assert all(r["cut"] is None for i, r in plain.items() if i != UNK)
    assert plain[B]["prob_sampled"] == plain[B]["prob_at_temperature"] == pytest.approx(0.2 / 0.95)


def test_next_token_table_marks_the_words_the_model_reads() -> None:
    whole = table(1.0, " a b zebra c d")
    assert whole["window"] == 5
    # A word the model never saw is shown as typed, and marked unknown.
    assert [(c["piece"], c["known"]) for c in whole["context"]] == [
        (" a", True), (" b", True), (" zebra", False), (" c", True), (" d", True)]
    assert all(c["in_window"] for c in whole["context"])
    assert whole["prompt_pieces"] == [" a", " b", " zebra", " c", " d"]
    last_two = table(1.0, " a b zebra c d", window=2)
    assert last_two["window"] == 2
    assert [c["in_window"] for c in last_two["context"]] == [False, False, False, True, True]
    nothing = table(1.0, " a b", window=0)
    assert [c["in_window"] for c in nothing["context"]] == [False, False]


def test_next_token_table_shows_chat_markers_as_markers() -> None:
    result = table(1.0, "User: a b || Assistant: c")
    assert TABLE_WORDS.encode("User: a b || Assistant: c")[0] == USER
    assert [c["piece"] for c in result["context"]] == TABLE_WORDS.pieces(
        "User: a b || Assistant: c") == ["<user>", " a", " b", "<assistant>", " c"]
    assert [c["known"] for c in result["context"]] == [False, True, True, False, True]
