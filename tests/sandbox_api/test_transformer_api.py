"""The tiny transformer on /v1: its own model id, English only, the same knobs."""

from __future__ import annotations

import openai
import pytest

from navigator.sandbox.api_request import MODELS, TRANSFORMER


@pytest.fixture
def ai(live, token) -> openai.OpenAI:
    with openai.DefaultHttpxClient(trust_env=False) as http:
        yield openai.OpenAI(api_key=token, base_url=live.url, max_retries=0, timeout=20,
                            http_client=http)


def test_the_transformer_is_listed_and_completes_english_text(ai):
    assert TRANSFORMER in MODELS
    assert TRANSFORMER in {m.id for m in ai.models.list()}

    def ask():
        return ai.completions.create(model=TRANSFORMER, prompt="The usual dose of Brevasol for",
                                     seed=3, temperature=0.8, max_tokens=12, logprobs=3)

    first, again = ask(), ask()
    choice = first.choices[0]
    assert first.model == TRANSFORMER and choice.text.strip()
    assert again.choices[0].text == choice.text
    assert len(choice.logprobs.tokens) == first.usage.completion_tokens
    assert all(len(top) <= 3 for top in choice.logprobs.top_logprobs)


def test_a_chat_with_the_transformer_streams(ai):
    chunks = list(ai.chat.completions.create(
        model=TRANSFORMER, messages=[{"role": "user", "content": "How can I sleep better?"}],
        seed=1, max_tokens=15, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() and chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_a_language_without_a_transformer_is_refused_clearly(ai):
    with pytest.raises(openai.BadRequestError) as caught:
        ai.completions.create(model=TRANSFORMER, prompt="Je, kutembea kunasaidia hisia zangu?",
                              max_tokens=5)
    error = caught.value.body
    assert error["code"] == "language_not_supported" and error["param"] == "model"
    assert "en" in error["message"]
