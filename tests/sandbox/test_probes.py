"""Probes: a measurable bias that shrinks when balanced, memorised records, a language gap."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from navigator.sandbox.corpora import load_corpora
from navigator.sandbox.engine import SandboxEngine
from navigator.sandbox.generation import Settings
from navigator.sandbox.probes import (
    bias_probe,
    language_gap,
    memorisation,
    sample_endings,
    word_probability,
)

from .toys import (
    COLD,
    HELD_OUT_EN,
    HELD_OUT_SW,
    RECORDS,
    WARM,
    balancing_lines,
    skewed_lines,
    write_corpora,
)

TEMPLATE = "The nurse spoke to the {group} patient"
GROUPS = {"a": "younger", "b": "older"}
WORD_SETS = {"warm": WARM, "cold": COLD}


def probe(engine: SandboxEngine) -> dict:
    return bias_probe(engine.model(), engine.tokenizer, TEMPLATE, GROUPS, WORD_SETS)


def test_bias_probe_measures_the_skew_and_balancing_shrinks_it(
    toy_engine: SandboxEngine, tmp_path: Path
) -> None:
    skewed = probe(toy_engine)
    younger, older = skewed["groups"]["a"], skewed["groups"]["b"]
    assert younger["prompt"] == "The nurse spoke to the younger patient"
    assert younger["shares"]["warm"] > 0.6 > 0.4 > older["shares"]["warm"]
    assert skewed["gap"]["highest"] == "a" and skewed["gap"]["difference"] > 0.3
    assert math.isclose(sum(younger["shares"].values()), 1.0)

    lines = skewed_lines()
    balanced_dir = write_corpora(tmp_path, skewed=lines + balancing_lines(lines))
    balanced = probe(SandboxEngine.train(load_corpora(balanced_dir), vocab_size=1000))
    assert balanced["gap"]["difference"] < skewed["gap"]["difference"] / 5
    assert balanced["gap"]["ratio"] < skewed["gap"]["ratio"]


def test_sampled_endings_lean_the_same_way(toy_engine: SandboxEngine) -> None:
    settings = Settings(seed=0, max_tokens=8)
    model, tok = toy_engine.model(), toy_engine.tokenizer
    samples = sample_endings(model, tok, TEMPLATE, GROUPS, WORD_SETS, settings, n=20)
    younger, older = samples["a"], samples["b"]
    assert len(younger["endings"]) == len(older["endings"]) == 20
    assert younger["counts"]["warm"] > older["counts"]["warm"]
    assert younger["counts"]["cold"] < older["counts"]["cold"]
    again = sample_endings(model, tok, TEMPLATE, GROUPS, WORD_SETS, settings, n=20)
    assert again == samples


def test_word_probability_is_the_chain_rule_then_a_word_break(toy_engine: SandboxEngine) -> None:
    model, tok = toy_engine.model(), toy_engine.tokenizer
    prompt = "The nurse spoke to the younger patient"
    ids = tok.encode(prompt + " unhurriedly")[len(tok.encode(prompt)) :]
    assert len(ids) > 1  # a word that takes more than one token
    context = tok.encode(prompt)
    chain = 1.0
    for t in ids:
        chain *= model.distribution(context)[t]
        context.append(t)
    assert 0 < word_probability(model, tok, prompt, "unhurriedly") <= chain
    assert word_probability(model, tok, prompt, "kindly") > word_probability(
        model, tok, prompt, "banana"
    )


def test_bias_probe_refuses_a_template_without_a_slot(toy_engine: SandboxEngine) -> None:
    with pytest.raises(ValueError, match="slot"):
        bias_probe(toy_engine.model(), toy_engine.tokenizer, "No slot", GROUPS, WORD_SETS)


def test_memorisation_reproduces_a_planted_record(toy_engine: SandboxEngine) -> None:
    record = RECORDS[1]
    prompt = record.split(" Phone:")[0] + " Phone:"
    result = memorisation(toy_engine.model(), toy_engine.tokenizer, prompt, toy_engine.sources)
    assert result["verbatim"] and result["complete"]
    assert result["continuation"] == record[len(prompt) :]
    assert result["record"]["corpus"] == "records" and result["record"]["text"] == record
    assert result["record"]["line"] == 5  # its first copy, after four of the first record
    assert result["matched_chars"] == len(record) - len(prompt)


def test_memorisation_reports_no_match_for_an_unplanted_name(toy_engine: SandboxEngine) -> None:
    prompt = "Patient record: Name: Nobody Atall. Phone:"
    result = memorisation(toy_engine.model(), toy_engine.tokenizer, prompt, toy_engine.sources)
    assert not result["verbatim"] and not result["complete"] and result["record"] is None


def test_a_cut_short_continuation_can_still_be_verbatim(toy_engine: SandboxEngine) -> None:
    prompt = RECORDS[0].split(" Phone:")[0] + " Phone:"
    short = Settings(temperature=0.0, max_tokens=6)
    result = memorisation(
        toy_engine.model(), toy_engine.tokenizer, prompt, toy_engine.sources, short
    )
    assert result["verbatim"] and not result["complete"]
    assert RECORDS[0].startswith(prompt + result["continuation"])


def test_the_language_with_little_data_is_more_surprising(toy_engine: SandboxEngine) -> None:
    rows = language_gap(
        toy_engine.model(), toy_engine.tokenizer, {"en": HELD_OUT_EN, "sw": HELD_OUT_SW}
    )
    en, sw = rows
    assert (en["locale"], sw["locale"]) == ("en", "sw")
    assert sw["tokens"] > en["tokens"] and sw["tokens_vs_en"] > 1
    assert sw["perplexity"] > en["perplexity"]
    assert sw["bits_per_char"] > en["bits_per_char"]
    assert "".join(en["pieces"]) == HELD_OUT_EN
