"""The third training stage, learning from human preferences, in a form that fits in two sentences.

A reward model learns from the choices: each answer is described by a few features (how many of
its words agree, sound sure, hedge, disagree or send the person to a professional), and the
weights are fitted so the chosen answers score higher than the ones passed over (a
Bradley-Terry model, as real reward models are trained). The tuned model then multiplies the
chance of every word by e^(its reward ÷ strength), so words with features that were chosen
become likelier and the others rarer; the model before tuning stays unchanged underneath.

That is the closed-form answer to "get as much reward as you can without moving far from the
model before" (the objective real preference tuning optimises), applied one word at a time.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from navigator.sandbox.model.words import FIRST_WORD, WordVocab, split_words

FEATURES = ("agrees", "sure", "hedges", "disagrees", "refers")
# How strongly the reward may reshape the model before tuning: a larger value keeps it closer.
STRENGTH = 1.0
# Pulls the weights towards zero, as if every feature started with one tie: a first choice
# moves them a little, many consistent choices a lot.
L2 = 1.0
FIT_STEPS = 500

Lexicon = Mapping[str, Sequence[str]]


def word_key(word: str) -> str:
    """A word as the lexicons list it: no surrounding spaces or punctuation, lower case.

    Only punctuation and symbols are stripped, never a letter's marks (Hindi's vowel signs).
    """
    word = word.strip()
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] in "PSZ":
        end -= 1
    return word[start:end].casefold()


def check_lexicon(lexicon: object) -> str | None:
    """Why a lexicon cannot be used (None when it can): features mapped to lists of words."""
    if not isinstance(lexicon, Mapping) or not lexicon:
        return "features must map feature names to lists of words"
    for name, words in lexicon.items():
        if name not in FEATURES:
            return f"unknown feature {name!r}; known: {', '.join(FEATURES)}"
        if (not isinstance(words, list) or not words
                or not all(isinstance(w, str) and word_key(w) for w in words)):
            return f"{name}: give a list of words"
    return None


def features(text: str, lexicon: Lexicon) -> dict[str, int]:
    """How many words of text each feature's list holds."""
    keys = [word_key(w) for w in split_words(text)]
    sets = {name: {word_key(w) for w in words} for name, words in lexicon.items()}
    return {name: sum(k in sets.get(name, ()) for k in keys) for name in FEATURES}


@dataclass(frozen=True)
class RewardModel:
    """A weight per feature: an answer's reward is the sum of its feature counts × weights."""

    weights: dict[str, float]
    choices: int = 0

    def score(self, counts: Mapping[str, int]) -> float:
        return sum(self.weights.get(f, 0.0) * counts.get(f, 0) for f in FEATURES)

    def to_dict(self) -> dict[str, object]:
        return {"weights": dict(self.weights), "choices": self.choices}


NO_REWARD = RewardModel({f: 0.0 for f in FEATURES})


def fit(pairs: Sequence[tuple[Mapping[str, int], Mapping[str, int]]]) -> RewardModel:
    """Weights that make each chosen answer (first of a pair) likelier to win (Bradley-Terry).

    P(chosen wins) = σ(reward(chosen) − reward(other)); gradient ascent on the sum of the logs
    of that over all choices, from zero weights with a pull back to zero (L2): the same
    choices always give the same weights, and more of them move the weights further.
    """
    if not pairs:
        return NO_REWARD
    diffs = np.array([[a.get(f, 0) - b.get(f, 0) for f in FEATURES] for a, b in pairs],
                     dtype=np.float64)
    w = np.zeros(len(FEATURES))
    # A step no larger than the curvature allows, so the ascent never overshoots.
    rate = 1.0 / (0.25 * float(np.linalg.norm(diffs, 2)) ** 2 + L2)
    for _ in range(FIT_STEPS):
        wrong = 1.0 / (1.0 + np.exp(diffs @ w))  # 1 − σ(margin): how far each choice is from won
        w += rate * (diffs.T @ wrong - L2 * w)
    return RewardModel({f: round(float(x), 4) for f, x in zip(FEATURES, w, strict=True)},
                       len(pairs))


def word_rewards(words: WordVocab, reward: RewardModel, lexicon: Lexicon) -> np.ndarray:
    """The reward each token adds to an answer: the weights of the features it belongs to."""
    out = np.zeros(words.vocab_size)
    sets = {name: {word_key(w) for w in ws} for name, ws in lexicon.items()}
    for i in range(FIRST_WORD, words.vocab_size):
        key = word_key(words.vocab[i])
        out[i] = sum(reward.weights.get(name, 0.0) for name, s in sets.items() if key in s)
    return out


class PreferenceTuned:
    """The model before tuning, with every word's chance × e^(reward ÷ strength), renormalised."""

    def __init__(self, model, words: WordVocab, reward: RewardModel, lexicon: Lexicon,
                 strength: float = STRENGTH) -> None:
        if strength <= 0:
            raise ValueError("strength must be positive")
        self.base, self.reward, self.strength = model, reward, strength
        self.vocab_size, self.order, self.seen = model.vocab_size, model.order, model.seen
        self.bonus = np.exp(word_rewards(words, reward, lexicon) / strength)

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        p = self.base.distribution(context) * self.bonus
        return p / p.sum()


def simulated_choice(a: Mapping[str, int], b: Mapping[str, int], prefers: Sequence[str],
                     avoids: Sequence[str]) -> int:
    """Which answer (0 or 1) a rater picks who likes the features prefers and dislikes avoids.

    Ties go to the first answer: the rater has no other reason to choose.
    """
    def liking(c: Mapping[str, int]) -> int:
        return sum(c.get(f, 0) for f in prefers) - sum(c.get(f, 0) for f in avoids)

    return 1 if liking(b) > liking(a) else 0


def agreement(counts: Mapping[str, int]) -> str:
    """A one-word reading of an answer's stance: agrees, disagrees, or neither."""
    if counts.get("agrees", 0) > counts.get("disagrees", 0):
        return "agrees"
    if counts.get("disagrees", 0) > counts.get("agrees", 0):
        return "disagrees"
    return "neither"


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
