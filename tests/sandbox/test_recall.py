"""Recall: the tuned model leans on the answers to the training questions most like yours."""

from __future__ import annotations

import numpy as np
import pytest

from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.model.ngram import NGramModel
from navigator.sandbox.model.recall import NEAREST, WEIGHT, Recall, question_of
from navigator.sandbox.model.words import ASSISTANT, USER, WordVocab

from .toys import SWAHILI_INSTRUCTIONS

# Every answer about medicine ends with a pharmacist, every answer about studies with a
# librarian, and all of them share their first seven words, more than the n-gram reads back:
# after "Please check with a" only the question can tell which one comes next.
MEDICINE = [
    "What dose of this medicine should I take?",
    "Can I take this medicine with food?",
    "Is this medicine safe with my other pills?",
    "How often should I take this medicine?",
]
STUDIES = [
    "Is this study about sleep real?",
    "Who wrote this study about mood?",
    "Was this study about walking published?",
    "Is this study about diet trustworthy?",
]
PAIRS = [
    *(f"User: {q} || Assistant: I cannot say. Please check with a pharmacist." for q in MEDICINE),
    *(f"User: {q} || Assistant: I cannot say. Please check with a librarian." for q in STUDIES),
    "User: Can walking help my mood? || Assistant: Yes. A short walk often helps.",
]
ANSWER_SO_FAR = " I cannot say. Please check with a"


@pytest.fixture(scope="module")
def words() -> WordVocab:
    return WordVocab.train(PAIRS)


@pytest.fixture(scope="module")
def recall(words: WordVocab) -> Recall:
    encoded = [words.encode(p) for p in PAIRS]
    instructions = NGramModel.train(encoded, order=5, vocab_size=words.vocab_size)
    return Recall(instructions, encoded)


def ask(words: WordVocab, question: str, answer: str = "") -> list[int]:
    return words.encode(f"User: {question} || Assistant:{answer}")


def test_the_question_is_the_words_between_the_last_markers(words: WordVocab) -> None:
    ids = ask(words, "Is this study real?", " I cannot")
    assert question_of(ids) == words.encode("Is this study real?")
    talk = words.encode("User: Can walking help? || Assistant: Yes. || User: Is this real? "
                        "|| Assistant:")
    assert question_of(talk) == words.encode("Is this real?")
    assert question_of([USER, *words.encode("Is this real?")]) == []  # no answer started
    assert question_of(words.encode("A short walk often helps.")) == []
    assert question_of([USER, ASSISTANT]) == []


def test_the_nearest_question_is_chosen(recall: Recall, words: WordVocab) -> None:
    def nearest(question: str) -> int:
        found = recall.nearest(words.encode(question))
        assert found and found == sorted(found, reverse=True)
        return found[0][1]

    assert nearest("What dose of this medicine should I take?") == 0
    assert nearest("Can I take the medicine after food?") == 1
    assert nearest("Who wrote the study I read about mood?") == 5
    assert nearest("Does walking help?") == 8
    assert recall.nearest(words.encode("Zebras quarrel loudly")) == []  # no shared word
    # The same question matches itself perfectly.
    top, index = recall.nearest(question_of(words.encode(PAIRS[6])))[0]
    assert index == 6 and top == pytest.approx(1.0)
    assert len(recall.nearest(words.encode("Is this medicine real?"))) == NEAREST


def test_answer_words_are_pulled_toward_the_nearest_answer(
    recall: Recall, words: WordVocab
) -> None:
    pharmacist, librarian = words.encode("pharmacist librarian")
    plain = recall.instructions

    dose = ask(words, "How much of this medicine should I take?", ANSWER_SO_FAR)
    study = ask(words, "Is the study I read about sleep real?", ANSWER_SO_FAR)
    # The n-gram alone cannot tell the two questions apart this far into the answer.
    assert np.array_equal(plain.distribution(dose), plain.distribution(study))
    assert plain.distribution(dose)[pharmacist] == pytest.approx(
        plain.distribution(dose)[librarian])

    before = plain.distribution(dose)
    after_dose, after_study = recall.distribution(dose), recall.distribution(study)
    assert after_dose[pharmacist] > after_dose[librarian] + 0.1
    assert after_study[librarian] > after_study[pharmacist] + 0.1
    assert after_dose[pharmacist] > before[pharmacist] and after_dose[librarian] < before[librarian]
    for p in (after_dose, after_study):
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()

    # A question that matches perfectly moves WEIGHT of the probability to the local model.
    exact = ask(words, "What dose of this medicine should I take?", ANSWER_SO_FAR)
    weight, local = recall._local_model(tuple(question_of(exact)))
    assert weight == pytest.approx(WEIGHT) and local is not None
    np.testing.assert_allclose(
        recall.distribution(exact),
        (1 - WEIGHT) * plain.distribution(exact) + WEIGHT * local.distribution(exact),
    )


def test_a_question_asked_word_for_word_gets_its_own_answer() -> None:
    pairs = ["User: What dose should I take? || Assistant: I cannot say. Please check with a "
             "pharmacist."]
    pairs += [f"User: Is study {n} real? || Assistant: I cannot say. Please check with a "
              "librarian." for n in ("one", "two", "three", "four", "five")]
    words = WordVocab.train(pairs)
    encoded = [words.encode(p) for p in pairs]
    recall = Recall(NGramModel.train(encoded, order=5, vocab_size=words.vocab_size), encoded)
    pharmacist, librarian = words.encode("pharmacist librarian")
    p = recall.distribution(ask(words, "What dose should I take?", ANSWER_SO_FAR))
    assert p[pharmacist] > p[librarian]


def test_the_toy_swahili_model_answers_its_own_training_question(
    toy_engine: SandboxEngine,
) -> None:
    sw = toy_engine.language("sw")
    for pair in SWAHILI_INSTRUCTIONS:
        question, answer = pair.split(" || Assistant: ")
        gen = generate(sw.model(1.0), sw.words, f"{question} || Assistant:",
                       Settings(temperature=0))
        assert gen.text == " " + answer


def test_outside_a_chat_or_without_a_match_recall_is_the_instructions_model(
    recall: Recall, words: WordVocab
) -> None:
    plain = recall.instructions
    for ids in (words.encode("Please check with a"), [],
                ask(words, "Zebras quarrel loudly", ANSWER_SO_FAR)):
        assert np.array_equal(recall.distribution(ids), plain.distribution(ids))


def test_the_tuned_engine_keeps_to_the_question(toy_engine: SandboxEngine) -> None:
    en = toy_engine.language("en")
    assert en.recall is en.recall  # built once
    dose = generate(en.model(1.0), en.words, "User: What dose should I take? || Assistant:",
                    Settings(temperature=0))
    hopeless = generate(en.model(1.0), en.words, "User: I feel hopeless. || Assistant:",
                        Settings(temperature=0))
    assert "pharmacist" in dose.text and "crisis line" not in dose.text
    assert "crisis line" in hopeless.text and "pharmacist" not in hopeless.text
