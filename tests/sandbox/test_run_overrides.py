"""What a person's run changes in a scenario: scenario_runs.run_overrides, without HTTP."""

from __future__ import annotations

from decimal import Decimal

from navigator.sandbox.model.generation import Settings
from navigator.sandbox.scenario_runs import has_mix, run_overrides
from navigator.sandbox.scenarios import Scenario

SEEDED = Settings(seed=7)


def overrides(scenario: Scenario, settings: dict | None = None, prompt: str | None = None,
              network: str | None = None, weight: float | Decimal | None = None) -> dict:
    return run_overrides(settings or {}, prompt, network, weight, scenario, fresh_seed=42)


def test_the_settings_filled_in_override_and_the_form_keeps_its_own() -> None:
    chosen = {"temperature": 0.3, "top_k": 5}
    found = overrides(Scenario("g", "generate", settings=SEEDED), chosen)
    assert found == {"temperature": 0.3, "top_k": 5}
    found["prompt"] = "changed"
    assert chosen == {"temperature": 0.3, "top_k": 5}


def test_the_temperature_activity_keeps_its_own_temperatures() -> None:
    found = overrides(Scenario("t", "temperature", settings=SEEDED),
                      {"temperature": 1.5, "max_tokens": 20})
    assert found == {"max_tokens": 20}


def test_a_typed_prompt_counts_except_where_the_activity_reads_its_own_texts() -> None:
    typed = "  A short walk \n"
    assert overrides(Scenario("g", "generate", settings=SEEDED), prompt=typed) == {
        "prompt": "A short walk"}
    assert overrides(Scenario("v", "tokens", settings=SEEDED), prompt=typed) == {
        "prompt": "A short walk"}
    assert overrides(Scenario("b", "bias", settings=SEEDED), prompt=typed) == {}
    assert overrides(Scenario("g", "generate", settings=SEEDED), prompt="   ") == {}
    assert overrides(Scenario("g", "generate", settings=SEEDED), prompt=None) == {}


def test_the_network_is_chosen_only_where_a_kind_runs_on_both() -> None:
    assert overrides(Scenario("s", "step", settings=SEEDED), network="transformer") == {
        "network": "transformer"}
    assert overrides(Scenario("v", "tokens", settings=SEEDED), network="transformer") == {}
    assert overrides(Scenario("s", "step", settings=SEEDED), network="") == {}


def test_the_mix_weight_is_rounded_and_joins_the_tuning_activitys_weights() -> None:
    tuned = Scenario("g", "generate", model="tuned", settings=SEEDED)
    assert has_mix(tuned)
    assert overrides(tuned, weight=Decimal("0.456")) == {"mix": 0.46}
    tuning = Scenario("c", "tuning", settings=SEEDED, mix=(0.0, 0.5, 1.0))
    assert has_mix(tuning)
    assert overrides(tuning, weight=0.25) == {"mix": [0.0, 0.25, 0.5, 1.0]}
    assert overrides(tuning, weight=0.5) == {"mix": [0.0, 0.5, 1.0]}
    base = Scenario("g", "generate", settings=SEEDED)
    assert not has_mix(base)
    assert overrides(base, weight=0.5) == {}
    assert overrides(tuned, weight=None) == {}


def test_a_run_nobody_seeded_gets_the_fresh_seed() -> None:
    unseeded = Scenario("g", "generate")
    assert overrides(unseeded) == {"seed": 42}
    assert overrides(unseeded, {"seed": 3}) == {"seed": 3}
    assert overrides(Scenario("g", "generate", settings=SEEDED)) == {}
