"""The shipped transformer weights: within budget, trained on the shipped text, as claimed."""

from __future__ import annotations

import pytest

from navigator.sandbox.model import networks
from navigator.sandbox.model.corpora import load_corpora
from navigator.sandbox.model.engine import by_locale
from navigator.sandbox.model.words import WordVocab

from .toys import SHIPPED

MODELS = SHIPPED / "models"


def test_the_shipped_weights_fit_the_budget_and_the_text() -> None:
    files = sorted(MODELS.glob("*.npz"))
    assert [f.stem for f in files] == list(networks.RECIPES)
    assert sum(f.stat().st_size for f in files) <= 10_000_000
    groups = by_locale(load_corpora(SHIPPED / "corpora"))
    for path in files:
        found = networks.load(path)
        recipe = networks.RECIPES[found.locale]
        text = networks.training_text(found.locale, groups[found.locale], recipe.watch_lines,
                                      recipe.watch.seed)
        assert found.meta["text_hash"] == text.digest, (
            f"{path.name} was trained on other text: run flask sandbox train-transformer")
        assert found.meta["recipe"] == recipe.to_dict()
        # The same words, in the same order, as the language's n-gram.
        assert found.words.vocab == WordVocab.train(
            line.text for c in groups[found.locale] for line in c.lines).vocab
        assert found.meta["watch_texts"] == text.watch_texts


def test_english_is_large_enough_for_a_transformer() -> None:
    """The reason RECIPES holds English: its transformer predicts held-out health lines better
    than the n-gram trained on the same lines (lower loss in nats per word)."""
    found = networks.load(MODELS / "en.npz")
    assert found.heldout["transformer"] < found.heldout["ngram"]
    best = min(row["heldout"] for row in found.log("pretrained"))
    assert found.heldout["transformer"] == best


def test_the_watch_run_learns_its_lines_by_heart() -> None:
    found = networks.load(MODELS / "en.npz")
    log, at = found.log("watch"), found.steps_at("watch")
    assert at["just_trained"] < at["best"] < at["last"]
    by_step = {row["step"]: row for row in log}
    best, last = by_step[at["best"]], by_step[at["last"]]
    assert last["train"] < 0.5 < best["train"]  # memorised: nearly no surprise on its lines
    assert last["heldout"] > best["heldout"] + 1  # and far more on lines it never saw


def test_the_served_engine_vocabulary_matches(shipped_engine) -> None:
    found = networks.load(MODELS / "en.npz")
    assert found.words.vocab == shipped_engine.language("en").words.vocab


# --- the same scenarios on either model ------------------------------------------------------

def _pieces(result: dict) -> list[str]:
    """Every token the model wrote in a run, whatever its kind."""
    runs = [result, *result.get("runs", [])]
    if "memorisation" in result:
        runs.append(result["memorisation"]["generation"])
    return [t["piece"] for run in runs for t in run.get("tokens", [])]


@pytest.mark.parametrize("name", ["next-token-step", "confident-wrong-fact", "temperature",
                                  "bias-probe", "memorisation"])
def test_the_n_gram_scenarios_run_on_the_transformer(shipped_engine, name: str) -> None:
    """The knobs and the scenarios are the same; only the network changes. Every word the
    transformer writes is a word of the English training text; a language without a
    transformer says so."""
    from navigator.sandbox.scenario_runs import run_scenario
    from navigator.sandbox.scenarios import load_scenarios

    scenario = load_scenarios(SHIPPED / "scenarios")[0][name]
    nets = networks.Networks(MODELS)
    result = run_scenario(shipped_engine, scenario, "en", networks=nets, network="transformer")
    assert result["network"] == "transformer" and result["order"] == 64
    assert "network" not in run_scenario(shipped_engine, scenario, "en", networks=nets)
    vocabulary = set(nets.language("en").words.vocab)
    assert all(p in vocabulary for p in _pieces(result))
    if scenario.kind == "step":
        assert result["table"]["window"] == len(nets.language("en").words.encode(
            result["prompt"]))
    with pytest.raises(ValueError, match="no transformer for sw"):
        run_scenario(shipped_engine, scenario, "sw", networks=nets, network="transformer")
