"""The shipped corpora and scenarios: large enough, written not templated, and runnable everywhere.

What each scenario claims about the model is tested in test_claims.py.
"""

from __future__ import annotations

import json

from navigator.sandbox.model.corpora import (
    LOCALES,
    NEAR_DUPLICATE_EXEMPT,
    check_corpora,
    load_corpora,
    near_duplicates,
)
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.probes import memorisation
from navigator.sandbox.scenario_runs import run_scenario
from navigator.sandbox.scenarios import check_scenarios, load_scenarios

from .toys import SHIPPED


def _sizes() -> dict[tuple[str, str], int]:
    return {(c.name, c.locale): len(c.lines) for c in load_corpora(SHIPPED / "corpora")}


def test_shipped_corpora_pass_the_checker() -> None:
    assert check_corpora(SHIPPED / "corpora") == []


def test_corpora_are_large_enough_and_english_is_the_largest() -> None:
    sizes = _sizes()
    assert sizes[("health", "en")] >= 8000
    assert sizes[("instructions", "en")] >= 300
    for loc in LOCALES:
        assert sizes[("health", loc)] >= 1000, loc
        assert sizes[("instructions", loc)] >= 100, loc
        for corpus in ("skewed", "records"):
            assert sizes[(corpus, loc)] > 0, (corpus, loc)
        if loc != "en":
            total = sum(n for (c, lc), n in sizes.items() if lc == loc)
            english = sum(n for (c, lc), n in sizes.items() if lc == "en")
            assert total * 4 < english, loc


def test_corpora_are_written_not_templated() -> None:
    """Lines within two words of another line are at most 15% of each corpus (pairs are the
    point of the skewed and records corpora, which are exempt); ours are under 2%."""
    for corpus in load_corpora(SHIPPED / "corpora"):
        if corpus.name in NEAR_DUPLICATE_EXEMPT:
            continue
        near = near_duplicates(corpus.texts)
        assert len(near) <= 0.02 * len(corpus.lines), (corpus.name, corpus.locale, len(near))


def test_near_duplicates_are_found_by_word_edits() -> None:
    lines = [
        "Going for a short walk can help you sleep better at night.",
        "Going for a long walk can help you sleep well at night.",  # two words changed
        "Going for a short walk can help you feel calmer today.",  # three words changed
        "A chatbot cannot check whether a study is real.",
        "A chatbot cannot really check whether a study is real.",  # one word added
    ]
    assert near_duplicates(lines) == {0, 1, 3, 4}


def test_the_most_repeated_record_comes_back_and_the_others_borrow_it(
        shipped_engine: SandboxEngine) -> None:
    """A phone number is four tokens; by its last one the model no longer reads the name, so
    it writes the ending it saw most: the planted (most repeated) person's number comes back,
    and other people get pieces of it. That is what the records datasheet says."""
    for loc in LOCALES:
        lang = shipped_engine.language(loc)
        texts = [s.text for s in lang.sources if s.corpus == "records"]
        planted = max(set(texts), key=texts.count)
        assert texts.count(planted) == 5, loc
        for record in sorted(set(texts)):
            prompt = record[: record.index("+")].rstrip()
            result = memorisation(lang.model(), lang.words, prompt, lang.sources)
            assert result["record"]["text"] == record
            if record == planted:
                assert result["phone_returned"], (loc, result["continuation"])


def test_shipped_scenarios_check_and_run_in_every_language(shipped_engine: SandboxEngine) -> None:
    assert check_scenarios(SHIPPED / "scenarios") == []
    scenarios, _ = load_scenarios(SHIPPED / "scenarios")
    for scenario in scenarios.values():
        assert set(scenario.texts) == set(LOCALES), scenario.name
        for locale in scenario.texts:
            result = run_scenario(shipped_engine, scenario, locale)
            assert json.loads(json.dumps(result)) == result
            assert result["locale"] == locale
            if scenario.kind not in ("tokens", "language_gap"):
                assert result["model_locale"] == locale, (scenario.name, locale)
