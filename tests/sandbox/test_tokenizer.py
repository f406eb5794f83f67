"""The shared BPE tokenizer: exact round trips in every script, and learned merges."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navigator.sandbox.model.tokenizer import FIRST_CHAR, Tokenizer, pretokenize, visible

TRAINING = [
    "Sleep helps your mood and your memory.",
    "A short walk helps your mood on a busy day.",
    "Talking to a friend helps when the day is hard.",
    "النوم الجيد يساعد على الصحة النفسية.",
    "अच्छी नींद मानसिक स्वास्थ्य में मदद करती है।",
] * 3


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.train(TRAINING, vocab_size=400)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Sleep helps your mood.",
        "  leading and trailing spaces  ",
        "tabs\tand\nnew lines\r\n and   runs of spaces",
        "النوم الجيد يساعد على الصحة النفسية.",
        "अच्छी नींद मानसिक स्वास्थ्य में मदद करती है।",
        "Zzyzx: never seen ✓ 😀 漢字 Ωμέγα",
        "a lone surrogate \ud800 survives",
        "digits 2019, +1 555 0142 and snake_case_words",
    ],
)
def test_round_trip_is_exact(tok: Tokenizer, text: str) -> None:
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_round_trip_any_text(tok: Tokenizer, text: str) -> None:
    assert "".join(pretokenize(text)) == text
    assert tok.decode(tok.encode(text)) == text


def test_unseen_characters_fall_back_to_bytes(tok: Tokenizer) -> None:
    pieces = tok.pieces("😀")
    assert pieces == ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]
    assert all(not tok.is_text(i) for i in tok.encode("😀"))


def test_pieces_keep_the_leading_space_and_join_back(tok: Tokenizer) -> None:
    text = "Sleep helps your mood."
    pieces = tok.pieces(text)
    assert "".join(pieces) == text
    assert " helps" in pieces and " mood" in pieces
    assert visible(" helps") == "▁helps" and visible("\n\t") == "↵→"


def test_words_keep_their_combining_marks() -> None:
    assert pretokenize("मानसिक स्वास्थ्य") == ["मानसिक", " स्वास्थ्य"]
    assert pretokenize("النوم الجيد.") == ["النوم", " الجيد", "."]


def test_frequent_words_become_single_tokens(tok: Tokenizer) -> None:
    assert len(tok.encode(" helps")) == 1
    assert tok.vocab_size <= 400
    assert len(tok.merges) == tok.vocab_size - FIRST_CHAR - len(tok.chars)


def test_the_language_with_less_data_costs_more_tokens() -> None:
    english = "Sleep helps your mood and your memory."
    swahili = "Usingizi husaidia hisia na kumbukumbu yako."
    tok = Tokenizer.train([english] * 50 + [swahili] * 2, vocab_size=330)
    assert len(tok.encode(english)) < len(tok.encode(swahili))


def test_saved_tokenizer_encodes_identically(tok: Tokenizer) -> None:
    data = json.loads(json.dumps(tok.to_dict()))
    again = Tokenizer.from_dict(data)
    for text in [*TRAINING, "unseen words here", "😀 mixed الجيد"]:
        assert again.encode(text) == tok.encode(text)
    assert again.vocab == tok.vocab


def test_training_is_deterministic() -> None:
    a = Tokenizer.train(TRAINING, vocab_size=350).to_dict()
    b = Tokenizer.train(list(TRAINING), vocab_size=350).to_dict()
    assert a == b


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        Tokenizer.from_dict({"format": 99, "chars": [], "merges": []})
