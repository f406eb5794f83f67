"""The shipped corpora and scenarios teach what the lessons say they teach."""

from __future__ import annotations

import json

from navigator.sandbox.corpora import check_corpora, load_corpora
from navigator.sandbox.engine import SandboxEngine
from navigator.sandbox.generation import Settings, generate
from navigator.sandbox.probes import bias_probe, language_gap, memorisation
from navigator.sandbox.scenarios import check_scenarios, load_scenarios, run_scenario

from .toys import SHIPPED, balancing_lines

# The frame and word sets the skewed corpus's datasheet describes.
TEMPLATE = "The nurse spoke to the {group} patient"
GROUPS = {"a": "younger", "b": "older"}
WORD_SETS = {
    "warm": ["kindly", "gently", "warmly", "patiently", "softly"],
    "cold": ["briefly", "quickly", "curtly", "flatly", "hurriedly"],
}
SAME_SENTENCE = {
    "en": "Sleep is important for your mental health.",
    "es": "El sueño es importante para tu salud mental.",
    "ar": "النوم مهم لصحتك النفسية.",
    "sw": "Usingizi ni muhimu kwa afya yako ya akili.",
    "hi": "नींद आपके मानसिक स्वास्थ्य के लिए महत्वपूर्ण है।",
}


def test_shipped_corpora_pass_the_checker() -> None:
    assert check_corpora(SHIPPED / "corpora") == []


def test_balancing_the_skewed_corpus_shrinks_the_bias_gap(shipped_engine: SandboxEngine) -> None:
    skewed = bias_probe(
        shipped_engine.model(), shipped_engine.tokenizer, TEMPLATE, GROUPS, WORD_SETS
    )
    assert skewed["gap"]["highest"] == "a" and skewed["gap"]["difference"] > 0.3

    text = (SHIPPED / "corpora" / "skewed" / "en.txt").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if "younger patient" in ln or "older patient" in ln]
    balanced_text = text + "\n" + "\n".join(balancing_lines(lines))
    corpora = load_corpora(SHIPPED / "corpora")
    balanced_engine = SandboxEngine.train(corpora, {("skewed", "en"): balanced_text})
    balanced = bias_probe(
        balanced_engine.model(), balanced_engine.tokenizer, TEMPLATE, GROUPS, WORD_SETS
    )
    assert balanced["gap"]["difference"] < skewed["gap"]["difference"] / 5


def test_every_shipped_record_is_memorised(shipped_engine: SandboxEngine) -> None:
    records = sorted({s.text for s in shipped_engine.sources if s.corpus == "records"})
    assert 6 <= len(records) <= 10
    for record in records:
        prompt = record.split(" Phone:")[0] + " Phone:"
        result = memorisation(
            shipped_engine.model(), shipped_engine.tokenizer, prompt, shipped_engine.sources
        )
        assert result["verbatim"], record
        assert result["record"]["text"] == record and result["record"]["corpus"] == "records"


def test_english_is_cheapest_and_least_surprising(shipped_engine: SandboxEngine) -> None:
    rows = language_gap(shipped_engine.model(), shipped_engine.tokenizer, SAME_SENTENCE)
    en = rows[0]
    assert en["locale"] == "en"
    for row in rows[1:]:
        assert row["tokens"] >= en["tokens"], row["locale"]
        assert row["bits_per_char"] > en["bits_per_char"], row["locale"]
    assert max(r["tokens_vs_en"] for r in rows) > 1.5


def test_fluent_citations_are_stitched_from_copied_pieces(shipped_engine: SandboxEngine) -> None:
    lines = {s.text for s in shipped_engine.sources}
    prompt = "A study of ashwagandha for depression found that"
    stitched = 0
    for seed in range(10):
        gen = generate(
            shipped_engine.model(), shipped_engine.tokenizer, prompt, Settings(seed=seed, top_k=20)
        )
        spans = shipped_engine.provenance(gen.prompt_ids + gen.ids, start=len(gen.prompt_ids))
        sources = {s["source"]["line"] for s in spans if s["copied"]}
        if (prompt + gen.text) not in lines and len(sources) >= 2:
            stitched += 1
    assert stitched >= 3


def test_shipped_scenarios_check_and_run(shipped_engine: SandboxEngine) -> None:
    assert check_scenarios(SHIPPED / "scenarios") == []
    scenarios, _ = load_scenarios(SHIPPED / "scenarios")
    for scenario in scenarios.values():
        for locale in scenario.texts:
            result = run_scenario(shipped_engine, scenario, locale)
            assert json.loads(json.dumps(result)) == result
            assert result["locale"] == locale
