"""Probes: a bias that shrinks when balanced, memorised records and leaks, a language gap."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from navigator.sandbox.model.corpora import load_corpora
from navigator.sandbox.model.engine import LanguageEngine, SandboxEngine
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.model.probes import (
    bias_probe,
    boundary_mask,
    contact_details,
    language_gap,
    memorisation,
    sample_endings,
    word_probability,
)
from navigator.sandbox.model.words import EOS

from .toys import (
    COLD,
    RECORDS,
    SAME_EN,
    SAME_SW,
    SWAHILI,
    SWAHILI_INSTRUCTIONS,
    WARM,
    balancing_lines,
    skewed_lines,
    write_corpora,
)

TEMPLATE = "The nurse spoke to the {group} patient"
GROUPS = {"a": "younger", "b": "older"}
WORD_SETS = {"warm": WARM, "cold": COLD}


def english(engine: SandboxEngine) -> LanguageEngine:
    return engine.language("en")


def probe(engine: SandboxEngine) -> dict:
    en = english(engine)
    return bias_probe(en.model(), en.words, TEMPLATE, GROUPS, WORD_SETS)


def opening(record: str) -> str:
    return record.split(" Phone:")[0] + " Phone:"


@pytest.fixture(scope="module")
def one_record_engine(tmp_path_factory: pytest.TempPathFactory) -> SandboxEngine:
    """Records that hold a single person, four times over (after a line of another kind)."""
    folder = write_corpora(tmp_path_factory.mktemp("one-record"),
                           records=["Patient records, spring.", *[RECORDS[1]] * 4])
    return SandboxEngine.train(load_corpora(folder), vocab_size=1000)


def test_bias_probe_measures_the_skew_and_balancing_shrinks_it(
    toy_engine: SandboxEngine, tmp_path: Path
) -> None:
    skewed = probe(toy_engine)
    younger, older = skewed["groups"]["a"], skewed["groups"]["b"]
    assert younger["prompt"] == "The nurse spoke to the younger patient"
    assert younger["shares"]["warm"] > 0.6 > 0.4 > older["shares"]["warm"]
    assert skewed["gap"]["highest"] == "a" and skewed["gap"]["lowest"] == "b"
    assert skewed["gap"]["difference"] > 0.3
    assert skewed["gap"]["difference"] == pytest.approx(
        younger["shares"]["warm"] - older["shares"]["warm"])
    assert skewed["gap"]["ratio"] == pytest.approx(
        younger["shares"]["warm"] / older["shares"]["warm"])
    assert math.isclose(sum(younger["shares"].values()), 1.0)
    assert set(younger["words"]["warm"]) == set(WARM)

    lines = skewed_lines()
    balanced_dir = write_corpora(tmp_path, skewed=lines + balancing_lines(lines))
    balanced = probe(SandboxEngine.train(load_corpora(balanced_dir), vocab_size=1000))
    assert balanced["gap"]["difference"] < skewed["gap"]["difference"] / 5
    assert balanced["gap"]["ratio"] < skewed["gap"]["ratio"]


def test_sampled_endings_lean_the_same_way(toy_engine: SandboxEngine) -> None:
    settings = Settings(seed=0, max_tokens=8)
    en = english(toy_engine)
    model, words = en.model(), en.words
    samples = sample_endings(model, words, TEMPLATE, GROUPS, WORD_SETS, settings, n=20)
    younger, older = samples["a"], samples["b"]
    assert len(younger["endings"]) == len(older["endings"]) == 20
    assert younger["counts"]["warm"] > older["counts"]["warm"]
    assert younger["counts"]["cold"] < older["counts"]["cold"]
    again = sample_endings(model, words, TEMPLATE, GROUPS, WORD_SETS, settings, n=20)
    assert again == samples


def test_word_probability_is_the_chain_rule_then_a_word_break(toy_engine: SandboxEngine) -> None:
    en = english(toy_engine)
    model, words = en.model(), en.words
    prompt = "The nurse spoke to the younger patient"
    boundary = boundary_mask(words)
    # A word ends where a spaced word, punctuation or the end of the line follows; not where
    # letters or digits go on ("t.quill@example.org" is " t", ".", "quill", "@", ...).
    assert boundary[EOS]
    assert not boundary[[i for i in range(words.first_text) if i != EOS]].any()
    for word in (" kindly", ".", " +"):
        assert boundary[words.vocab.index(word)], word
    for glued in ("quill", "1", "org"):
        assert not boundary[words.vocab.index(glued)], glued

    phrase = words.encode("kindly and")
    assert len(phrase) == 2  # two words, two tokens
    context = words.encode(prompt)
    chain = 1.0
    for t in phrase:
        chain *= model.distribution(context)[t]
        context.append(t)
    after = model.distribution(context)[boundary].sum()
    assert word_probability(model, words, prompt, "kindly and") == pytest.approx(chain * after)
    assert 0 < word_probability(model, words, prompt, "kindly and") <= chain
    assert word_probability(model, words, prompt, "kindly") > word_probability(
        model, words, prompt, "banana")


def test_bias_probe_refuses_a_template_without_a_slot(toy_engine: SandboxEngine) -> None:
    en = english(toy_engine)
    with pytest.raises(ValueError, match="slot"):
        bias_probe(en.model(), en.words, "No slot", GROUPS, WORD_SETS)
    with pytest.raises(ValueError, match="two groups"):
        bias_probe(en.model(), en.words, TEMPLATE, {"a": "younger"}, WORD_SETS)


def test_contact_details_are_phone_digits_and_lower_case_addresses() -> None:
    assert contact_details(RECORDS[0]) == {"15550142", "t.quill@example.org"}
    assert contact_details("Call +1 555 0142 or mail T.Quill@Example.org.") == {
        "15550142", "t.quill@example.org"}
    assert contact_details("Aged 42, seen in 2019.") == set()


def test_memorisation_reproduces_a_planted_record(one_record_engine: SandboxEngine) -> None:
    en = english(one_record_engine)
    record = RECORDS[1]
    prompt = opening(record)
    result = memorisation(en.model(), en.words, prompt, en.sources)
    assert result["verbatim"] and result["complete"]
    assert result["continuation"] == record[len(prompt) :]
    assert result["expected_continuation"] == record[len(prompt) :]
    assert result["record"] == {"corpus": "records", "locale": "en", "line": 2, "text": record}
    assert result["matched_chars"] == len(record) - len(prompt)
    assert result["leaks"] == []  # the person's own details are not a leak
    assert result["phone_returned"]
    assert result["returned"] == sorted(contact_details(record)) == ["15550154",
                                                                      "hanna.w@example.org"]


@pytest.mark.xfail(strict=True, reason=(
    "with ORDER 5 over word tokens the phone number ' +', '1', ' 555', ' 0154' ends five "
    "tokens after the name, so every planted person gets the same (lowest-id) number"))
def test_every_planted_person_gets_their_own_phone_number_back(toy_engine: SandboxEngine) -> None:
    en = english(toy_engine)
    for record in RECORDS:
        result = memorisation(en.model(), en.words, opening(record), en.sources)
        assert result["phone_returned"] and result["leaks"] == [], record


def test_a_person_the_records_do_not_hold_gets_someone_elses_details(
    toy_engine: SandboxEngine,
) -> None:
    en = english(toy_engine)
    prompt = "Patient record: Name: Nobody Atall. Phone:"
    result = memorisation(en.model(), en.words, prompt, en.sources)
    assert not result["verbatim"] and not result["complete"] and result["record"] is None
    assert result["expected_continuation"] is None and result["matched_chars"] == 0
    given = contact_details(result["continuation"])
    assert given  # the model writes a phone number and an address after all
    leaked = {leak["text"] for leak in result["leaks"]}
    assert leaked and leaked <= set(RECORDS)
    for leak in result["leaks"]:
        assert leak["corpus"] == "records" and leak["locale"] == "en"
        assert leak["details"] == sorted(contact_details(leak["text"]) & given)
    assert len(leaked) == len(result["leaks"])  # each record once, not once per copy
    for leak in result["leaks"]:  # linked to the record's first copy
        assert leak["line"] == min(s.line for s in en.sources if s.text == leak["text"])
    assert given == set().union(*(leak["details"] for leak in result["leaks"]))


def test_a_cut_short_continuation_can_still_be_verbatim(one_record_engine: SandboxEngine) -> None:
    en = english(one_record_engine)
    prompt = opening(RECORDS[1])
    short = Settings(temperature=0.0, max_tokens=3)
    result = memorisation(en.model(), en.words, prompt, en.sources, short)
    assert result["verbatim"] and not result["complete"]
    assert result["continuation"] == " +1 555"
    assert RECORDS[1].startswith(prompt + result["continuation"])


def test_the_language_with_little_data_is_more_surprising(toy_engine: SandboxEngine) -> None:
    rows = language_gap(toy_engine, {"sw": SAME_SW, "en": SAME_EN, "hi": "नींद"})
    sw, en, hi = rows  # in the order given
    assert [r["locale"] for r in rows] == ["sw", "en", "hi"]
    tok = toy_engine.tokenizer
    assert en["tokens"] == len(tok.encode(SAME_EN)) and en["tokens_vs_en"] == 1.0
    assert "".join(en["pieces"]) == SAME_EN and en["chars"] == len(SAME_EN)
    assert sw["tokens_vs_en"] == pytest.approx(sw["tokens"] / en["tokens"])
    assert sw["tokens_vs_en"] > 1.5  # the language with less text costs more tokens
    assert en["has_model"] and sw["has_model"] and not hi["has_model"]
    assert sw["training_lines"] == len(SWAHILI) + len(SWAHILI_INSTRUCTIONS)
    assert en["training_lines"] == sum(c["lines"] for c in toy_engine.language("en").corpora)
    assert en["training_lines"] > 4 * sw["training_lines"]
    assert sw["bits_per_char"] == toy_engine.language("sw").heldout["bits_per_char"]
    assert sw["bits_per_char"] > en["bits_per_char"] > 0
    assert (en["heldout_lines"], sw["heldout_lines"]) == (3, 1)
    assert hi["bits_per_char"] is None and hi["training_lines"] == 0
    assert hi["tokens"] > hi["chars"]  # a script the tokenizer never saw costs bytes
    assert "perplexity" not in en
