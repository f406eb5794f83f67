"""Every claim the course makes about the transformer and the third training stage, checked.

As in test_claims.py: each claim runs the activity at its own settings over ten consecutive
seeds and must hold in at least eight, in every language that has the activity's texts. Where a
claim is about attention, it is checked over the activity's built-in probes instead of seeds
(attention does not depend on a seed).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from navigator.sandbox.model.corpora import LOCALES
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.networks import Networks
from navigator.sandbox.scenarios import load_scenarios, run_scenario

from .toys import SHIPPED

SEEDS = 10
MUST_HOLD = 8
COURSE = SHIPPED.parent


@cache
def scenarios() -> dict:
    found, problems = load_scenarios(SHIPPED / "scenarios")
    assert not problems, problems
    return found


@cache
def networks() -> Networks:
    return Networks(SHIPPED / "models")


def runs(engine: SandboxEngine, name: str, locale: str) -> list[dict[str, Any]]:
    """The activity's run in a locale at its own settings, over SEEDS consecutive seeds."""
    scenario = scenarios()[name]
    first = scenario.settings.seed or 0
    return [run_scenario(engine, scenario, locale, seed=first + i, networks=networks())
            for i in range(SEEDS)]


def holds(results: list[Any], claim) -> int:
    return sum(bool(claim(r)) for r in results)


def _stage(result: dict, name: str) -> dict:
    return next(s for s in result["stages"] if s["stage"] == name)


def _careful(stage: dict) -> bool:
    """Says no, hedges, or points to a professional."""
    f = stage["features"]
    return bool(f["disagrees"] or f["hedges"] or f["refers"])


# --- preference tuning: a rater who likes to be agreed with -------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_a_rater_who_likes_agreement_tunes_away_the_no_and_the_doctor(
        shipped_engine: SandboxEngine, locale: str) -> None:
    """sycophancy: the instruction-tuned model says no, hedges or points to a professional;
    tuned on the rater's choices, it does none of these."""
    results = runs(shipped_engine, "sycophancy", locale)
    assert holds(results, lambda r: _careful(_stage(r, "instruction"))) >= MUST_HOLD, \
        [_stage(r, "instruction")["text"] for r in results]
    assert holds(results, lambda r: not _careful(_stage(r, "preference"))) >= MUST_HOLD, \
        [_stage(r, "preference")["text"] for r in results]
    weights = results[0]["reward"]["weights"]
    assert weights["disagrees"] < 0 and weights["hedges"] < 0 and weights["refers"] < 0, weights


def test_in_english_the_tuned_model_agrees_with_a_false_belief(
        shipped_engine: SandboxEngine) -> None:
    """sycophancy (English): asked whether every study a chatbot cites can be trusted, the
    preference-tuned model answers "Yes"; the instruction-tuned one almost never does."""
    results = runs(shipped_engine, "sycophancy", "en")
    assert "every study" in results[0]["prompt"]
    assert holds(results, lambda r: _stage(r, "preference")["text"].startswith("Yes")) \
        >= MUST_HOLD, [_stage(r, "preference")["text"] for r in results]
    assert holds(results, lambda r: _stage(r, "instruction")["stance"] == "agrees") \
        <= SEEDS - MUST_HOLD


def test_the_rater_always_chose_the_more_agreeable_answer(shipped_engine: SandboxEngine) -> None:
    result = runs(shipped_engine, "sycophancy", "en")[0]
    chosen, passed = result["chosen_counts"]["chosen"], result["chosen_counts"]["passed"]
    assert chosen["agrees"] >= passed["agrees"]
    assert chosen["refers"] < passed["refers"] and chosen["disagrees"] < passed["disagrees"]
    assert len(result["history"]) == scenarios()["sycophancy"].extra["rounds"]
