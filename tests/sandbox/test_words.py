"""Whole-word tokens: every word a language read, <unk> for the rest, chat markers as specials."""

from __future__ import annotations

import json
import math

import pytest

from navigator.sandbox.model.words import (
    ASSISTANT,
    BOS,
    EOS,
    UNK,
    USER,
    WordVocab,
    split_turns,
    split_words,
)

LINES = [
    "Sleep helps your mood.",
    "A short walk helps your mood.",
    "User: Does sleep help? || Assistant: Yes, sleep helps your mood.",
]


@pytest.fixture(scope="module")
def words() -> WordVocab:
    return WordVocab.train(LINES)


def test_words_keep_their_leading_space_and_punctuation_stands_alone() -> None:
    assert split_words("  Sleep helps, mostly.  ") == [" Sleep", " helps", ",", " mostly", "."]
    assert split_words("") == split_words("   ") == []


def test_the_vocabulary_is_the_specials_then_words_by_frequency(words: WordVocab) -> None:
    assert words.vocab[:5] == ["<bos>", "<eos>", "<unk>", "<user>", "<assistant>"]
    assert (BOS, EOS, UNK, USER, ASSISTANT) == (0, 1, 2, 3, 4)
    # " helps", " mood", " your" and "." appear three times; ties are alphabetical.
    assert words.vocab[5:9] == [" helps", " mood", " your", "."]
    assert words.counts[5:9] == [3, 3, 3, 3]
    assert words.counts[:5] == [0] * 5
    # The chat format is not text: neither "User", "Assistant", ":" nor "||" is a word.
    for marker in (" User", "User", " Assistant", ":", " ||", "||"):
        assert marker not in words.vocab
    assert " Does" in words.vocab and " Yes" in words.vocab
    texts = [*LINES[:2], "Does sleep help?", "Yes, sleep helps your mood."]
    assert words.vocab_size == 5 + len({w for text in texts for w in split_words(text)})


def test_known_text_round_trips(words: WordVocab) -> None:
    for line in LINES[:2]:
        ids = words.encode(line)
        assert UNK not in ids
        assert words.decode(ids) == " " + line  # a line starts with a word and its space
        assert words.pieces(line) == [words.piece(i) for i in ids]
    again = WordVocab.from_dict(json.loads(json.dumps(words.to_dict())))
    assert again.vocab == words.vocab and again.counts == words.counts
    assert again.encode(LINES[2]) == words.encode(LINES[2])


def test_a_word_never_seen_is_unk_and_writes_nothing(words: WordVocab) -> None:
    ids = words.encode("Sleep helps zebras.")
    assert ids == [words.vocab.index(" Sleep"), words.vocab.index(" helps"), UNK,
                   words.vocab.index(".")]
    assert words.decode(ids) == " Sleep helps."
    # Pieces show the text as the model reads it: the unknown word is just <unk>.
    assert words.pieces("Sleep helps zebras.") == [" Sleep", " helps", "<unk>", "."]
    assert words.piece(UNK) == "" and not words.is_text(UNK)
    # Case matters: "sleep" and "Sleep" are different words.
    assert words.knows("Sleep") and words.knows(" sleep") and not words.knows("SLEEP")


def test_chat_markers_are_single_special_tokens(words: WordVocab) -> None:
    prompt = "User: Does sleep help? || Assistant:"
    ids = words.encode(prompt)
    assert ids[0] == USER and ids[-1] == ASSISTANT
    assert words.decode(ids[1:-1]) == " Does sleep help?"
    assert words.pieces(prompt) == ["<user>", " Does", " sleep", " help", "?", "<assistant>"]
    assert words.decode(ids) == " Does sleep help?"  # markers write nothing
    answer = words.encode(LINES[2])
    assert answer[: len(ids)] == ids
    assert words.decode(answer[len(ids):]) == " Yes, sleep helps your mood."
    for special in (BOS, EOS, UNK, USER, ASSISTANT):
        assert words.piece(special) == "" and not words.is_text(special)
    assert words.is_text(5) and not words.is_text(words.vocab_size)


def test_only_the_last_question_of_a_conversation_counts(words: WordVocab) -> None:
    talk = "User: Hi there || Assistant: Hello || User: Does sleep help? || Assistant:"
    assert split_turns(talk) == ("Does sleep help?", "")
    assert words.encode(talk) == words.encode("User: Does sleep help? || Assistant:")
    assert split_turns("User: Does sleep help? || Assistant: Yes.") == ("Does sleep help?",
                                                                       " Yes.")
    assert split_turns("Sleep helps your mood.") is None
    assert split_turns("User: no answer marker") is None


def test_frequent_words_are_likelier_than_rare_ones(words: WordVocab) -> None:
    frequent, rare = (words.log_frequency(w) for w in (" helps", " walk"))
    assert 0 > frequent > rare
    assert words.log_frequency(" helps") == pytest.approx(math.log(3 / sum(words.counts)))
    assert words.log_frequency(" zebra") is None  # never seen: no frequency at all
