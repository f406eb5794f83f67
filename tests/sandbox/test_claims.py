"""Every claim the course makes about the sandbox, checked on the shipped model over many seeds.

A scenario's "what to notice", its explanation and the lesson sentences around its embed say
what the model does. Each claim below runs the scenario at its default settings over ten seeds
and must hold in at least eight, in every language that has the scenario's texts. When a lesson
sentence changes, its fragment here stops matching: re-check the claim, then update both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from navigator.sandbox.model.corpora import LOCALES, load_corpora, read_datasheet
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.words import split_words
from navigator.sandbox.scenario_runs import run_scenario
from navigator.sandbox.scenarios import load_scenarios

from .toys import SHIPPED

SEEDS = 10
MUST_HOLD = 8
COURSE = SHIPPED.parent


@pytest.fixture(scope="module")
def engine(shipped_engine: SandboxEngine) -> SandboxEngine:
    return shipped_engine


@cache
def scenarios() -> dict:
    found, problems = load_scenarios(SHIPPED / "scenarios")
    assert not problems, problems
    return found


@cache
def fiction() -> dict[str, dict[str, list[str]]]:
    """The invented authors, journals and medicines of the health corpus, per locale."""
    meta, _prose = read_datasheet(SHIPPED / "corpora" / "health" / "datasheet.md")
    return meta["fiction"]


@cache
def lines(locale: str) -> list[str]:
    return [t for c in load_corpora(SHIPPED / "corpora") if c.locale == locale for t in c.texts]


def runs(engine: SandboxEngine, name: str, locale: str) -> list[dict[str, Any]]:
    """The scenario's run in a locale at its own settings, over SEEDS consecutive seeds."""
    scenario = scenarios()[name]
    first = scenario.settings.seed or 0
    return [run_scenario(engine, scenario, locale, seed=first + i) for i in range(SEEDS)]


def holds(results: list[Any], claim: Callable[[Any], bool]) -> int:
    return sum(bool(claim(r)) for r in results)


def locales_with(name: str) -> list[str]:
    return [loc for loc in LOCALES if loc in scenarios()[name].texts]


def _found(names: list[str], text: str) -> list[str]:
    """The names that occur in text, in the order they occur."""
    at = {n: m.start() for n in names
          if (m := re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text))}
    return sorted(at, key=at.get)


def _figure(text: str) -> bool:
    return bool(re.search(r"\d+(?:[.,]\d+)?\s*(?:%|\w+)", text))


# --- hallucination: a study that does not exist --------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_the_citation_invents_authors_a_journal_and_a_figure_never_seen_together(
        engine: SandboxEngine, locale: str) -> None:
    """fabricated-citation: names an author, a journal and a figure; no training line has all
    three together; the sentence is stitched from two or more training lines."""
    names = fiction()[locale]
    corpus = lines(locale)

    def invented(r: dict) -> bool:
        text = r["text"]
        authors, journals = _found(names["authors"], text), _found(names["journals"], text)
        figures = [f for f in re.findall(r"\d+", text) if not re.fullmatch(r"(19|20)\d\d", f)]
        if not (authors and journals and figures):
            return False
        # The first author, journal and figure the sentence gives: the study it claims.
        author, journal, figure = authors[0], journals[0], figures[0]
        together = [ln for ln in corpus if author in ln and journal in ln
                    and re.search(rf"(?<!\d){figure}(?!\d)", ln)]
        sources = {s["source"]["line"] for s in r["provenance"] if s["copied"]}
        return not together and len(sources) >= 2 and r["text"].strip() not in " ".join(corpus)

    results = runs(engine, "fabricated-citation", locale)
    assert holds(results, invented) >= MUST_HOLD, [r["text"] for r in results]


def test_no_training_line_holds_the_study_the_prompt_asks_for() -> None:
    for locale in LOCALES:
        topic = fiction()[locale]["missing_study"]
        assert topic in scenarios()["fabricated-citation"].texts[locale]["prompt"], locale
        # An instruction pair may ask about it ("Is there a study on ...?"); none describes one.
        assert not any(topic in ln for ln in lines(locale) if "|| Assistant:" not in ln), locale


# --- hallucination: a dose for a medicine that does not exist ------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_a_dose_is_given_for_a_medicine_no_line_mentions(engine: SandboxEngine,
                                                         locale: str) -> None:
    """confident-wrong-fact: Velunor appears in no training line; the model still states a
    dose with a number, and the sentence ends."""
    assert not any("Velunor" in ln or "فيلونور" in ln or "वेलुनोर" in ln for ln in lines(locale))
    results = runs(engine, "confident-wrong-fact", locale)

    def dose(r: dict) -> bool:
        return bool(re.search(r"\d", r["text"])) and r["finish_reason"] == "eos"

    assert holds(results, dose) >= MUST_HOLD, [r["text"] for r in results]


# --- memorisation and leaks ----------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_a_planted_record_comes_back_and_an_unknown_name_gets_someone_elses(
        engine: SandboxEngine, locale: str) -> None:
    """memorisation: the planted person's phone number comes back exactly; a name not in the
    records gets another person's contact details, and the page names that record."""
    results = runs(engine, "memorisation", locale)
    assert holds(results, lambda r: r["memorisation"]["phone_returned"]) >= MUST_HOLD, \
        [r["memorisation"]["continuation"] for r in results]
    assert holds(results, lambda r: r["unseen"]["leaks"]) >= MUST_HOLD, \
        [r["unseen"]["continuation"] for r in results]


# --- bias ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_the_skew_in_the_text_becomes_a_gap_in_the_model(engine: SandboxEngine,
                                                        locale: str) -> None:
    """bias-probe: the younger group gets the warm words far more often, in the probabilities
    and in the endings the model writes."""
    results = runs(engine, "bias-probe", locale)
    first = results[0]
    gap = first["probe"]["gap"]
    assert gap["highest"] == "a" and gap["difference"] > 0.2, gap
    warm = next(iter(first["probe"]["groups"]["a"]["sets"]))

    def warmer(r: dict) -> bool:
        counts = {k: g["counts"][warm] for k, g in r["samples"].items()}
        return counts["a"] > counts["b"]

    assert holds(results, warmer) >= MUST_HOLD
    for r in results:  # the page shows the sentences filled in, never the raw slot
        assert all("{group}" not in g["prompt"] for g in r["probe"]["groups"].values())


# --- the language gap ----------------------------------------------------------------------------

def test_english_knows_its_language_best_per_character(engine: SandboxEngine) -> None:
    """language-gap: each language answers in its own words; English has the most training
    text and the lowest bits per character on held-out lines of every language."""
    rows = runs(engine, "language-gap", "en")[0]["rows"]
    by = {r["locale"]: r for r in rows}
    assert set(by) == set(LOCALES)
    english = by.pop("en")
    for loc, row in by.items():
        assert row["bits_per_char"] > english["bits_per_char"], loc
        assert row["training_lines"] < english["training_lines"], loc


def test_every_language_answers_in_that_language(engine: SandboxEngine) -> None:
    """Every word of each answer is a word of that language's training text, and a reader of
    the words (the language detector, from word frequencies) agrees which language it is."""
    results = runs(engine, "language-gap", "en")
    for loc in LOCALES:
        vocabulary = {w for ln in lines(loc) for w in split_words(ln)}

        def own(r: dict, loc: str = loc, vocabulary: set = vocabulary) -> bool:
            row = next(x for x in r["rows"] if x["locale"] == loc)
            words = split_words(row["answer"]["text"])
            return (len(words) >= 4 and all(w in vocabulary for w in words)
                    and engine.detect(row["answer"]["text"], prefer=loc) == loc)
        assert holds(results, own) >= MUST_HOLD, (loc, [
            next(x for x in r["rows"] if x["locale"] == loc)["answer"]["text"] for r in results])


# --- temperature ---------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_low_temperature_takes_the_likeliest_words_and_high_temperature_wanders(
        engine: SandboxEngine, locale: str) -> None:
    """temperature: at 0.2 nearly every word is one of the model's three likeliest; at 1.6 some
    are not, and the sentences are ones no training line contains; every word at every
    setting is a word of the training text."""
    results = runs(engine, "temperature", locale)
    corpus = " ".join(lines(locale))
    low = [r["runs"][0] for r in results]
    high = [r["runs"][-1] for r in results]

    def likeliest(g: dict) -> float:
        # Share of words at least as likely as the third likeliest (ties count as likeliest).
        top3 = [sorted((a["prob"] for a in t["alternatives"]), reverse=True)[:3][-1]
                for t in g["tokens"]]
        hits = [t["prob"] >= cut - 1e-12 for t, cut in zip(g["tokens"], top3, strict=True)]
        return sum(hits) / max(1, len(hits))

    assert holds(low, lambda g: likeliest(g) >= 0.9) >= MUST_HOLD
    assert holds(high, lambda g: likeliest(g) < 1.0) >= MUST_HOLD
    assert holds(high, lambda g: g["text"].strip() not in corpus) >= MUST_HOLD, \
        [g["text"] for g in high]
    vocabulary = {w for ln in lines(locale) for w in split_words(ln)}
    for g in low + high:
        assert all(t["piece"] in vocabulary for t in g["tokens"]), g["text"]


# --- base versus tuned ---------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_tuning_turns_text_into_an_answer(engine: SandboxEngine, locale: str) -> None:
    """base-vs-tuned: at mix 0 the model starts a sentence of its training text and never
    addresses the person; fully tuned it answers with words from its example answers."""
    results = runs(engine, "base-vs-tuned", locale)
    answers = [ln.split("|| Assistant:", 1)[1] for ln in lines(locale) if "|| Assistant:" in ln]

    def base_is_plain_text(r: dict) -> bool:
        text = r["runs"][0]["text"]
        return bool(text.strip()) and text.strip() not in " ".join(answers)

    openings = {" ".join(split_words(a)[:3]) for a in answers}

    def tuned_answers(r: dict) -> bool:
        text = r["runs"][-1]["text"].strip()
        return bool(text) and " ".join(split_words(text)[:3]) in openings

    assert holds(results, base_is_plain_text) >= MUST_HOLD, [r["runs"][0]["text"]
                                                            for r in results]
    assert holds(results, tuned_answers) >= MUST_HOLD, [r["runs"][-1]["text"] for r in results]


# --- tokens --------------------------------------------------------------------------------------

def test_english_needs_the_fewest_tokens_for_the_same_sentence(engine: SandboxEngine) -> None:
    """token-view: the same sentence costs more tokens in every other language than English."""
    result = runs(engine, "token-view", "en")[0]
    counts = {row["locale"]: row["tokens"] for row in result["samples"]}
    assert min(counts, key=counts.get) == "en", counts


@pytest.mark.parametrize("locale", LOCALES)
def test_balancing_the_skewed_text_closes_the_gap(engine: SandboxEngine, locale: str) -> None:
    """bias-probe: after "Balance it for me" (every sentence about one group added for the
    other), the retrained model's gap shrinks to almost nothing (under 5 points)."""
    from navigator.sandbox.model.engine import by_locale
    from navigator.sandbox.personal import balance

    scenario = scenarios()["bias-probe"]
    texts = scenario.texts[locale]
    skewed = (SHIPPED / "corpora" / "skewed" / f"{locale}.txt").read_text(encoding="utf-8")
    balanced, added = balance(skewed, texts["groups"])
    assert added > 0
    corpora = by_locale(load_corpora(SHIPPED / "corpora", {("skewed", locale): balanced}))
    retrained = SandboxEngine.train(corpora[locale])
    before = run_scenario(engine, scenario, locale)["probe"]["gap"]["difference"]
    after = run_scenario(retrained, scenario, locale)["probe"]["gap"]["difference"]
    assert before > 0.2 and after < 0.05, (before, after)


# --- lessons -------------------------------------------------------------------------------------

# (lesson file, a fragment of an English sentence about the sandbox, the test that proves it)
LESSON_CLAIMS = [
    ("03-hallucinations/lessons/02-fabricated-references.en.md", "joins the authors of one",
     test_the_citation_invents_authors_a_journal_and_a_figure_never_seen_together),
    ("08-the-navigators-role/lessons/02-skills-for-the-chatbot-age.en.md",
     "authors, a journal, a year and a number",
     test_the_citation_invents_authors_a_journal_and_a_figure_never_seen_together),
    ("03-hallucinations/lessons/01-plausible-but-false.en.md", "states a \"fact\"",
     test_a_dose_is_given_for_a_medicine_no_line_mentions),
    ("09-costs-and-accountability/lessons/04-when-things-go-wrong.en.md",
     "the medicine does not exist", test_a_dose_is_given_for_a_medicine_no_line_mentions),
    ("06-privacy-and-data/lessons/01-what-models-remember.en.md",
     "someone else's phone number",
     test_a_planted_record_comes_back_and_an_unknown_name_gets_someone_elses),
    ("05-language-and-culture/lessons/01-better-to-ask-in-english.en.md",
     "English has the most text and the lowest score",
     test_english_knows_its_language_best_per_character),
    ("09-costs-and-accountability/lessons/02-low-resource-settings.en.md",
     "Each language has its own small model", test_every_language_answers_in_that_language),
    ("03-hallucinations/lessons/03-why-it-happens.en.md", "still a real word it read",
     test_low_temperature_takes_the_likeliest_words_and_high_temperature_wanders),
    ("08-the-navigators-role/lessons/03-checking-a-tool-together.en.md",
     "the low setting sticks to the likeliest words",
     test_low_temperature_takes_the_likeliest_words_and_high_temperature_wanders),
    ("02-how-llms-are-made/lessons/03-fine-tuning-and-feedback.en.md",
     "the base model ignores the question", test_tuning_turns_text_into_an_answer),
    ("07-good-uses-and-red-lines/lessons/03-a-helper-inside-care.en.md",
     "the base model ignores the question", test_tuning_turns_text_into_an_answer),
    ("04-bias-and-fairness/lessons/02-gaps-in-empathy.en.md", "watch the gap shrink",
     test_balancing_the_skewed_text_closes_the_gap),
    ("09-costs-and-accountability/lessons/03-what-went-into-the-model.en.md",
     "whether one group gets warmer words", test_the_skew_in_the_text_becomes_a_gap_in_the_model),
    ("05-language-and-culture/lessons/02-tokens-and-language.en.md",
     "Which language needs the fewest tokens?",
     test_english_needs_the_fewest_tokens_for_the_same_sentence),
]


@pytest.mark.parametrize("path,fragment,proof", LESSON_CLAIMS,
                         ids=[c[0].split("/")[-1] for c in LESSON_CLAIMS])
def test_lesson_sentences_about_the_sandbox_are_proved_here(path: str, fragment: str,
                                                           proof: Callable) -> None:
    text = (COURSE / path).read_text(encoding="utf-8")
    assert fragment in text, f"{path} no longer says {fragment!r}: re-check {proof.__name__}"
    assert Path(__file__).read_text(encoding="utf-8").count(f"def {proof.__name__}(") == 1
