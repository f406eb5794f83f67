"""The /v1 API over real HTTP, called by the official openai client and by raw requests."""

from __future__ import annotations

import logging
import math

import openai
import pytest
from sqlmodel import select

from navigator.accounts import services as accounts
from navigator.accounts.models import ApiToken
from navigator.sandbox import web
from navigator.sandbox.api_request import MODELS, ApiError, flatten
from navigator.sandbox.chat_format import chat_prompt
from navigator.sandbox.model.generation import ALTERNATIVES, MAX_TOKENS, SAMPLING_DEFAULTS
from navigator.sandbox.model.words import split_turns, split_words

QUESTION = "I feel hopeless."
MESSAGES = [{"role": "user", "content": QUESTION}]


@pytest.fixture
def ai(live, token) -> openai.OpenAI:
    """The official client, pointed at the app on loopback."""
    with openai.DefaultHttpxClient(trust_env=False) as http:
        yield openai.OpenAI(api_key=token, base_url=live.url, max_retries=0, timeout=10,
                            http_client=http)


def test_models_lists_the_base_and_tuned_model(ai):
    listed = sorted(m.id for m in ai.models.list())
    assert listed == sorted(MODELS)
    assert {"navigator-sandbox", "navigator-sandbox-tuned"} <= set(listed)


def test_chat_completion_is_seeded_and_counts_its_tokens(ai):
    def ask():
        return ai.chat.completions.create(model="navigator-sandbox-tuned", messages=MESSAGES,
                                          seed=7, temperature=0.7, max_tokens=40)

    first, again = ask(), ask()
    choice = first.choices[0]
    assert first.object == "chat.completion" and first.model == "navigator-sandbox-tuned"
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length") and choice.logprobs is None
    assert again.choices[0].message.content == choice.message.content
    usage = first.usage
    assert usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 40
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert first.system_fingerprint.startswith("fp_")


def test_unset_sampling_settings_take_the_sandboxs_defaults(ai):
    def ask(**settings):
        return ai.chat.completions.create(model="navigator-sandbox-tuned", messages=MESSAGES,
                                          seed=5, max_tokens=30, **settings).choices[0]

    assert SAMPLING_DEFAULTS["top_k"] > 0 and SAMPLING_DEFAULTS["top_p"] < 1
    plain = ask()
    explicit = ask(temperature=SAMPLING_DEFAULTS["temperature"], top_p=SAMPLING_DEFAULTS["top_p"],
                   extra_body={"top_k": SAMPLING_DEFAULTS["top_k"]})
    assert plain.message.content == explicit.message.content
    text = ai.completions.create(model="navigator-sandbox", prompt="Sleep is", seed=5,
                                 max_tokens=12)
    again = ai.completions.create(model="navigator-sandbox", prompt="Sleep is", seed=5,
                                  max_tokens=12, extra_body=dict(SAMPLING_DEFAULTS))
    assert text.choices[0].text == again.choices[0].text


def test_chat_stream_gives_the_same_text_in_openai_chunks(ai):
    settings = {"model": "navigator-sandbox-tuned", "messages": MESSAGES, "seed": 11,
                "max_tokens": 30}
    whole = ai.chat.completions.create(**settings)
    chunks = list(ai.chat.completions.create(**settings, stream=True,
                                             stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].object == "chat.completion.chunk"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and
              c.choices[0].finish_reason]
    assert finals == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == \
        whole.usage.completion_tokens


def test_chat_logprobs_come_in_openai_shape(ai):
    answer = ai.chat.completions.create(model="navigator-sandbox-tuned", messages=MESSAGES,
                                        seed=3, max_tokens=25, logprobs=True, top_logprobs=3)
    content = answer.choices[0].logprobs.content
    assert "".join(t.token for t in content) == answer.choices[0].message.content
    for item in content:
        assert item.logprob <= 0 and bytes(item.bytes).decode() == item.token
        assert len(item.top_logprobs) == 3
        tops = [t.logprob for t in item.top_logprobs]
        assert tops == sorted(tops, reverse=True)
        assert sum(math.exp(t) for t in tops) <= 1 + 1e-9
    streamed = ai.chat.completions.create(model="navigator-sandbox-tuned", messages=MESSAGES,
                                          seed=3, max_tokens=25, logprobs=True,
                                          top_logprobs=1, stream=True)
    tokens = [t.token for c in streamed if c.choices and c.choices[0].logprobs
              for t in c.choices[0].logprobs.content]
    assert tokens == [t.token for t in content]


def test_text_completion_with_logprobs(ai):
    prompt = "Sleep is"
    answer = ai.completions.create(model="navigator-sandbox", prompt=prompt, max_tokens=8,
                                   seed=5, logprobs=2)
    choice = answer.choices[0]
    lp = choice.logprobs
    assert answer.object == "text_completion" and "".join(lp.tokens) == choice.text
    assert len(lp.token_logprobs) == len(lp.tokens) == len(lp.top_logprobs)
    assert all(v <= 0 for v in lp.token_logprobs)
    assert all(len(top) <= 2 for top in lp.top_logprobs)
    assert lp.text_offset[0] == len(prompt)
    assert lp.text_offset == [len(prompt) + len("".join(lp.tokens[:i]))
                              for i in range(len(lp.tokens))]
    streamed = list(ai.completions.create(model="navigator-sandbox", prompt=prompt,
                                          max_tokens=8, seed=5, stream=True))
    assert "".join(c.choices[0].text for c in streamed) == choice.text
    assert streamed[-1].choices[0].finish_reason == choice.finish_reason


def test_stop_sequences_and_the_end_of_a_turn(ai):
    answer = ai.chat.completions.create(model="navigator-sandbox", max_tokens=200, seed=2,
                                        messages=MESSAGES, stop=["."])
    assert "." not in answer.choices[0].message.content
    assert "||" not in answer.choices[0].message.content  # never writes the user's next turn


def test_tokens_are_required_checked_and_revocable(live, ai, session, api_user):
    with openai.DefaultHttpxClient(trust_env=False) as http:
        stranger = openai.OpenAI(api_key="nav_not-a-real-token", base_url=live.url,
                                 max_retries=0, http_client=http)
        with pytest.raises(openai.AuthenticationError) as caught:
            stranger.models.list()
    assert caught.value.body["code"] == "invalid_api_key"
    ai.models.list()
    row = session.exec(select(ApiToken).where(ApiToken.user_id == api_user.id)).one()
    session.refresh(row)
    assert row.last_used_at is not None
    accounts.revoke_api_token(session, api_user, row.id)
    session.commit()
    with pytest.raises(openai.AuthenticationError):
        ai.models.list()


def test_bad_requests_get_openai_errors(ai):
    with pytest.raises(openai.NotFoundError) as caught:
        ai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert caught.value.body["code"] == "model_not_found"
    bad = [
        {"temperature": 5},
        {"top_p": 0},
        {"n": 2},
        {"logprobs": True, "top_logprobs": 50},
        {"top_logprobs": 2},
        {"max_tokens": 0},
        {"seed": -1},
        {"stop": ["a", "b", "c", "d", "e"]},
    ]
    for extra in bad:
        with pytest.raises(openai.BadRequestError) as caught:
            ai.chat.completions.create(model="navigator-sandbox", messages=MESSAGES, **extra)
        assert caught.value.body["type"] == "invalid_request_error", extra
    with pytest.raises(openai.BadRequestError):
        ai.chat.completions.create(model="navigator-sandbox", messages=[{"role": "robot",
                                                                        "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        ai.completions.create(model="navigator-sandbox", prompt=[1, 2, 3])
    with pytest.raises(openai.BadRequestError):
        ai.completions.create(model="navigator-sandbox", prompt="Hi", echo=True)


def test_generous_requests_are_served_within_the_models_limits(ai):
    answer = ai.chat.completions.create(model="navigator-sandbox", messages=MESSAGES, seed=1,
                                        max_tokens=4096, logprobs=True, top_logprobs=20)
    assert answer.usage.completion_tokens <= MAX_TOKENS
    assert all(len(t.top_logprobs) == ALTERNATIVES for t in answer.choices[0].logprobs.content)


def test_garbage_bodies_get_json_errors(client, token):
    auth = {"Authorization": f"Bearer {token}"}
    for data in (b"{not json", b"[1, 2]", b""):
        response = client.post("/v1/chat/completions", data=data, headers=auth,
                               content_type="application/json")
        assert response.status_code == 400 and response.json["error"]["message"]
    response = client.get("/v1/chat/completions", headers=auth)
    assert response.status_code == 405 and "error" in response.json


def test_unauthorised_answers_say_how_to_authenticate(client):
    response = client.post("/v1/chat/completions", json={"model": "navigator-sandbox",
                                                         "messages": MESSAGES})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert set(response.json["error"]) == {"message", "type", "param", "code"}


def test_rate_limit_is_per_user(app_factory, make_user, session):
    app = app_factory(RATELIMIT_ENABLED=True)
    tokens = []
    for _ in range(2):
        _row, raw = accounts.create_api_token(session, make_user("navigator"), "t")
        tokens.append(raw)
    session.commit()
    client = app.test_client()
    first, second = ({"Authorization": f"Bearer {t}"} for t in tokens)
    statuses = [client.get("/v1/models", headers=first).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    limited = client.get("/v1/models", headers=first)
    assert limited.json["error"]["code"] == "rate_limit_exceeded"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/v1/models", headers=second).status_code == 200


def test_chat_messages_become_the_instructions_format():
    assert flatten(MESSAGES) == chat_prompt(QUESTION) == "User: I feel hopeless. || Assistant:"
    # The model reads a few words back, so only the last thing the user said is asked.
    assert flatten([
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hello there"},
        {"role": "assistant", "content": "Hi.\n How  can I help?"},
        {"role": "user", "content": [{"type": "text", "text": "I feel"},
                                     {"type": "text", "text": "low.\n  Help?"}]},
    ]) == "User: I feel low. Help? || Assistant:"
    assert flatten([
        {"role": "user", "content": "I feel low."},
        {"role": "assistant", "content": "I am sorry."},
    ]) == "User: I feel low. || Assistant:"
    assert split_turns(flatten(MESSAGES)) == (QUESTION, "")
    with pytest.raises(ApiError):
        flatten([])
    with pytest.raises(ApiError):
        flatten([{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}])


def test_a_question_containing_the_turn_marker_is_still_a_question():
    prompt = flatten([{"role": "user", "content": "Sleep || or walk?"}])
    assert split_turns(prompt) is not None


def test_each_language_is_answered_by_its_own_model(app, ai):
    with app.app_context():
        engine = web.box().engine()
    swahili, english = engine.language("sw").words, engine.language("en").words
    sources = engine.language("sw").sources
    question = next(s.text for s in sources if s.corpus == "instructions")
    question = split_turns(question)[0]
    opening = "".join(split_words(next(s.text for s in sources if s.corpus == "health"))[:2])

    def tokens(question: str) -> list[str]:
        answer = ai.chat.completions.create(
            model="navigator-sandbox-tuned", messages=[{"role": "user", "content": question}],
            seed=3, max_tokens=30, temperature=0, logprobs=True)
        pieces = [t.token for t in answer.choices[0].logprobs.content]
        assert "".join(pieces) == answer.choices[0].message.content and pieces
        return pieces

    answer = tokens(question)
    assert all(swahili.knows(t) for t in answer)
    assert not all(english.knows(t) for t in answer)
    answer = tokens(QUESTION)
    assert all(english.knows(t) for t in answer)
    assert not all(swahili.knows(t) for t in answer)

    text = ai.completions.create(model="navigator-sandbox", prompt=opening.strip(), seed=3,
                                 max_tokens=12, temperature=0, logprobs=1)
    assert all(swahili.knows(t) for t in text.choices[0].logprobs.tokens)
    assert text.usage.prompt_tokens == 2  # two Swahili words, as the Swahili model reads them


def test_a_prompt_no_model_knows_is_answered_in_english(app, ai):
    with app.app_context():
        english = web.box().engine().language("en").words
    answer = ai.chat.completions.create(
        model="navigator-sandbox-tuned", messages=[{"role": "user", "content": "Zzyzx"}],
        seed=3, max_tokens=12, temperature=0, logprobs=True)
    tokens = [t.token for t in answer.choices[0].logprobs.content]
    assert tokens and all(english.knows(t) for t in tokens)


def test_prompts_are_never_logged(ai, caplog):
    secret = "my neighbour Ingrid Quarlesworth feels hopeless"
    caplog.set_level(logging.DEBUG)
    ai.chat.completions.create(model="navigator-sandbox", max_tokens=5,
                               messages=[{"role": "user", "content": secret}])
    ai.completions.create(model="navigator-sandbox", prompt=secret, max_tokens=5)
    assert "Quarlesworth" not in caplog.text
