"""Preference tuning: features, the reward model's fit, and how it reshapes a model."""

from __future__ import annotations

import numpy as np
import pytest

from navigator.sandbox.model.preferences import (
    FEATURES,
    NO_REWARD,
    PreferenceTuned,
    RewardModel,
    agreement,
    check_lexicon,
    features,
    fit,
    simulated_choice,
    word_key,
    word_rewards,
)
from navigator.sandbox.model.words import WordVocab

LEXICON = {"agrees": ["yes"], "sure": ["always"], "hedges": ["may"], "disagrees": ["no", "not"],
           "refers": ["doctor"]}


def test_words_are_counted_without_case_or_punctuation() -> None:
    counts = features("Yes! It always works, yes. Ask a doctor? No.", LEXICON)
    assert counts == {"agrees": 2, "sure": 1, "hedges": 0, "disagrees": 1, "refers": 1}
    assert word_key(" «Oui»,") == "oui"
    assert word_key(" नहीं।") == "नहीं"  # a vowel sign is part of the word, not punctuation


def test_lexicons_are_checked() -> None:
    assert check_lexicon(LEXICON) is None
    assert "unknown feature" in check_lexicon({"polite": ["please"]})
    assert check_lexicon({"agrees": []}) and check_lexicon({"agrees": [True]})
    assert check_lexicon([]) is not None


def test_the_reward_model_learns_what_was_chosen() -> None:
    yes = features("Yes, always.", LEXICON)
    no = features("No, ask a doctor.", LEXICON)
    reward = fit([(yes, no)] * 10)
    assert reward.weights["agrees"] > 0 and reward.weights["sure"] > 0
    assert reward.weights["disagrees"] < 0 and reward.weights["refers"] < 0
    assert reward.weights["hedges"] == 0
    assert reward.score(yes) > reward.score(no) and reward.choices == 10
    assert fit([(yes, no)] * 10) == reward  # the same choices, the same weights
    opposite = fit([(no, yes)] * 10)
    assert opposite.weights["agrees"] == pytest.approx(-reward.weights["agrees"])
    assert fit([]) == NO_REWARD


def test_more_consistent_choices_give_larger_weights_but_not_without_bound() -> None:
    yes, no = features("Yes.", LEXICON), features("No.", LEXICON)
    few, many = fit([(yes, no)] * 2), fit([(yes, no)] * 200)
    assert 0 < few.weights["agrees"] < many.weights["agrees"] < 10


class Flat:
    """A model that gives every word the same chance."""

    def __init__(self, size: int) -> None:
        self.vocab_size, self.order = size, 1
        self.seen = np.ones(size, dtype=bool)

    def distribution(self, context):
        return np.full(self.vocab_size, 1.0 / self.vocab_size)


def test_tuning_multiplies_each_words_chance_by_its_reward() -> None:
    words = WordVocab([" yes", " no", " doctor", " tea"], [1, 1, 1, 1])
    reward = RewardModel({"agrees": 1.0, "disagrees": -1.0, "refers": -0.5})
    bonus = word_rewards(words, reward, LEXICON)
    assert list(bonus[5:]) == [1.0, -1.0, -0.5, 0.0]
    base = Flat(words.vocab_size)
    tuned = PreferenceTuned(base, words, reward, LEXICON, strength=0.5)
    p = tuned.distribution([])
    assert p.sum() == pytest.approx(1.0)
    assert p[5] / p[8] == pytest.approx(np.exp(2.0))  # yes against tea: e^(1 ÷ 0.5)
    assert p[6] / p[8] == pytest.approx(np.exp(-2.0))
    same = PreferenceTuned(base, words, NO_REWARD, LEXICON)
    assert np.allclose(same.distribution([]), base.distribution([]))
    with pytest.raises(ValueError):
        PreferenceTuned(base, words, reward, LEXICON, strength=0)


def test_the_simulated_rater_and_stances() -> None:
    agreeable, careful = features("Yes, always.", LEXICON), features("It may not.", LEXICON)
    prefers, avoids = ["agrees", "sure"], ["hedges", "disagrees"]
    assert simulated_choice(careful, agreeable, prefers, avoids) == 1
    assert simulated_choice(agreeable, careful, prefers, avoids) == 0
    assert simulated_choice(careful, careful, prefers, avoids) == 0  # a tie: the first
    assert agreement(agreeable) == "agrees" and agreement(careful) == "disagrees"
    assert agreement(dict.fromkeys(FEATURES, 0)) == "neither"
