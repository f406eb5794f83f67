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
from navigator.sandbox.scenario_runs import run_scenario
from navigator.sandbox.scenarios import load_scenarios

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


# --- attention -----------------------------------------------------------------------------

def probe_runs(engine: SandboxEngine, name: str) -> list[dict[str, Any]]:
    """The attention activity on each of its built-in probes (attention needs no seed)."""
    scenario = scenarios()[name]
    return [run_scenario(engine, scenario, "en", prompt=p, networks=networks())
            for p in scenario.texts["en"]["probes"]]


def looks_at(result: dict, layer: int, head: int) -> str:
    """The word (not a marker) that a head of a layer (counted from 1) looks at most."""
    view = result["attention"]
    index = view["layers"][layer - 1]["heads"][head - 1]["top"]
    return view["tokens"][index]["piece"].strip()


def _share(result: dict, layer: int, head: int, word: str) -> float:
    """The share of a head's attention that a word of the prompt gets."""
    view = result["attention"]
    shares = view["layers"][layer - 1]["heads"][head - 1]["last"]
    return sum(s for t, s in zip(view["tokens"], shares, strict=True)
               if t["piece"].strip() == word)


def test_before_a_dose_heads_look_back_at_the_medicine_and_dose(
        shipped_engine: SandboxEngine) -> None:
    """attention-medicine: after "The usual dose of <medicine> for adults is", head 3 of layer
    2 looks only at "dose"; head 1 looks at the medicine's name and at "dose", giving each name
    a large share; heads 2 and 4 look at "adults" and "for"."""
    results = [r for r in probe_runs(shipped_engine, "attention-medicine")
               if r["prompt"].startswith("The usual dose")]
    assert len(results) == SEEDS
    named = [(r, r["prompt"].split("dose of ", 1)[1].split(" ")[0]) for r in results]
    assert holds(results, lambda r: _share(r, 2, 3, "dose") > 0.9) >= MUST_HOLD
    assert holds(named, lambda rm: _share(rm[0], 2, 1, rm[1]) + _share(rm[0], 2, 1, "dose")
                 > 0.8) >= MUST_HOLD
    assert holds(named, lambda rm: _share(rm[0], 2, 1, rm[1]) >= 0.2) >= MUST_HOLD
    assert holds(results, lambda r: looks_at(r, 2, 2) == "adults") >= MUST_HOLD
    assert holds(results, lambda r: looks_at(r, 2, 4) == "for") >= MUST_HOLD
    shown = run_scenario(shipped_engine, scenarios()["attention-medicine"], "en",
                         networks=networks())
    assert looks_at(shown, 2, 1) == "Brevasol" and looks_at(shown, 2, 3) == "dose"


# What "they" stands for in each probe (the words of the noun phrase).
THEY = {
    "Panic attacks can feel frightening, but they": {"Panic", "attacks"},
    "Sleep trackers can be fun, but they": {"Sleep", "trackers"},
    "Support groups do not replace medical care, but they": {"Support", "groups"},
    "Clinicians are human too, and they": {"Clinicians"},
    "Digital navigators are not therapists, but they": {"Digital", "navigators"},
    "Voice assistants can help people who find typing hard, but they": {"Voice", "assistants"},
    "Reviews in an app store can be helpful, but they": {"Reviews"},
    "Jealousy and envy are uncomfortable, but they": {"Jealousy", "envy"},
    "Interpreters can be used in therapy, and they": {"Interpreters"},
    "Slips are common in recovery, and they": {"Slips"},
}
WRONG_LINK = "Sleep needs change across a lifetime, and they"


def test_a_head_links_they_to_its_noun_by_habit(shipped_engine: SandboxEngine) -> None:
    """attention-pronoun: reading "they", head 3 of layer 1 looks most at the noun "they"
    stands for ("Panic" in the first sentence), in most sentences; in "Sleep needs change across
    a lifetime, and they" it looks at "lifetime", the wrong word."""
    results = {r["prompt"]: r for r in probe_runs(shipped_engine, "attention-pronoun")}
    assert set(results) == {*THEY, WRONG_LINK}
    assert holds(list(THEY.items()),
                 lambda item: looks_at(results[item[0]], 1, 3) in item[1]) >= MUST_HOLD
    assert looks_at(results["Panic attacks can feel frightening, but they"], 1, 3) == "Panic"
    assert looks_at(results[WRONG_LINK], 1, 3) == "lifetime"


def test_the_probes_are_phrasings_of_the_training_text() -> None:
    """Every "they" probe is the start of a training line; the medicine probes, but for their
    last word, begin dozens of lines (with any medicine in place of this one), so the patterns
    are real."""
    import re

    from navigator.sandbox.model.corpora import load_corpora

    lines = [t for c in load_corpora(SHIPPED / "corpora") if c.locale == "en" for t in c.texts]
    for probe in scenarios()["attention-pronoun"].texts["en"]["probes"]:
        assert any(ln.startswith(probe) for ln in lines), probe
    for probe in scenarios()["attention-medicine"].texts["en"]["probes"]:
        medicine = re.search(r"dose of (\w+)", probe)[1]
        assert any(medicine in ln for ln in lines), medicine
        phrasing = probe.rsplit(" ", 1)[0]
        pattern = re.compile(re.escape(phrasing).replace(medicine, r"[A-Z][a-z]+"))
        assert sum(bool(pattern.match(ln)) for ln in lines) >= 20, probe


# --- training you can watch ----------------------------------------------------------------

def test_the_memorised_checkpoint_recites_and_the_best_writes_new_lines(
        shipped_engine: SandboxEngine) -> None:
    """overfitting: from the start of one of its 300 lines, the memorised checkpoint recites
    the rest word for word; the checkpoint best on held-out text, and the one just trained,
    write lines that are in no training text."""
    results = runs(shipped_engine, "overfitting", "en")
    assert results[0]["prompt_in_watch"]

    def at(r: dict, checkpoint: str) -> dict:
        return next(run for run in r["runs"] if run["checkpoint"] == checkpoint)

    assert holds(results, lambda r: at(r, "last")["recited"]) >= MUST_HOLD, \
        [at(r, "last")["line"] for r in results]
    assert holds(results, lambda r: not at(r, "best")["in_training"]) >= MUST_HOLD
    assert holds(results, lambda r: not at(r, "just_trained")["in_training"]) >= MUST_HOLD
    log, steps = results[0]["log"], results[0]["steps_at"]
    by_step = {row["step"]: row for row in log}
    best, last = by_step[steps["best"]], by_step[steps["last"]]
    assert last["heldout"] > best["heldout"] and last["train"] < best["train"]
    full = {row["step"]: row for row in results[0]["full_log"]}
    # With all the lines, the held-out loss falls much further before it turns.
    assert full[results[0]["full_steps_at"]["best"]]["heldout"] < best["heldout"] - 1


@pytest.mark.parametrize("locale", LOCALES)
def test_the_transformer_activities_run_in_every_language(shipped_engine: SandboxEngine,
                                                          locale: str) -> None:
    """Every language shows the activities with its own texts; only English has a transformer,
    so the others run the English prompt and say so."""
    for name in ("attention-medicine", "attention-pronoun", "overfitting"):
        result = run_scenario(shipped_engine, scenarios()[name], locale, networks=networks())
        assert result["locale"] == locale and result["model_locale"] == "en"
        assert result["network_fallback"] == (locale != "en")
        assert result["prompt"] == scenarios()[name].texts["en"]["prompt"]


# --- lessons -------------------------------------------------------------------------------

LESSONS = "02-how-llms-are-made/lessons"
# (lesson file, a fragment of an English sentence about the sandbox, the test that proves it)
LESSON_CLAIMS = [
    (f"{LESSONS}/02-transformers-and-attention.en.md",
     "one head links \"they\" to the noun it stands for",
     test_a_head_links_they_to_its_noun_by_habit),
    (f"{LESSONS}/02-transformers-and-attention.en.md",
     "it links \"they\" to the wrong word", test_a_head_links_they_to_its_noun_by_habit),
    (f"{LESSONS}/02-transformers-and-attention.en.md",
     "one head looks back at the medicine's name",
     test_before_a_dose_heads_look_back_at_the_medicine_and_dose),
    (f"{LESSONS}/02-transformers-and-attention.en.md", "it recites the rest word for word",
     test_the_memorised_checkpoint_recites_and_the_best_writes_new_lines),
    (f"{LESSONS}/02-transformers-and-attention.en.md", "writes a line of its own instead",
     test_the_memorised_checkpoint_recites_and_the_best_writes_new_lines),
    (f"{LESSONS}/03-fine-tuning-and-feedback.en.md",
     "to stop saying no and to stop pointing to a professional",
     test_a_rater_who_likes_agreement_tunes_away_the_no_and_the_doctor),
    (f"{LESSONS}/03-fine-tuning-and-feedback.en.md", "it even answers \"Yes\" to a false belief",
     test_in_english_the_tuned_model_agrees_with_a_false_belief),
]


@pytest.mark.parametrize("path,fragment,proof", LESSON_CLAIMS,
                         ids=[f"{c[0].split('/')[-1]}:{i}" for i, c in enumerate(LESSON_CLAIMS)])
def test_lesson_sentences_about_the_new_activities_are_proved_here(path: str, fragment: str,
                                                                   proof) -> None:
    from pathlib import Path

    text = (COURSE / path).read_text(encoding="utf-8")
    assert fragment in text, f"{path} no longer says {fragment!r}: re-check {proof.__name__}"
    assert Path(__file__).read_text(encoding="utf-8").count(f"def {proof.__name__}(") == 1


def test_the_lessons_embed_the_new_activities_in_every_language() -> None:
    for lesson, names in (("02-transformers-and-attention", ("attention-pronoun",
                                                             "attention-medicine",
                                                             "overfitting")),
                          ("03-fine-tuning-and-feedback", ("sycophancy", "base-vs-tuned"))):
        for locale in LOCALES:
            text = (COURSE / LESSONS / f"{lesson}.{locale}.md").read_text(encoding="utf-8")
            for name in names:
                assert f"```sandbox\n{name}\n```" in text, (lesson, locale, name)
