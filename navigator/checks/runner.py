"""Who answers a check's probes automatically: the embedded model, a configured endpoint, or any
OpenAI-compatible address (the embedded model's own /v1 over loopback, in tests).

Each returns an Ask: one message's text in, the chatbot's answer out, or the client's
EndpointError. Every message is sent alone, as a new conversation, and no call outlasts the
page's deadline. Nothing here logs a prompt or an answer.
"""

from __future__ import annotations

import time

from sqlmodel import Session

from navigator.checks.services import Ask
from navigator.sandbox import endpoints
from navigator.sandbox.client import ChatClient, EndpointTimeout
from navigator.sandbox.model.engine import TUNED_MIX, SandboxEngine
from navigator.sandbox.model.generation import Settings, stream

EMBEDDED = "embedded"
# Settings a chatbot product typically answers with; long enough for a careful answer.
SETTINGS = Settings(temperature=0.7, top_p=0.95, max_tokens=300)
EMBEDDED_SETTINGS = Settings(temperature=0.7, top_k=40, top_p=0.95, max_tokens=80, stop=("||",))


def _left(until: float) -> float:
    left = until - time.monotonic()
    if left <= 0:
        raise EndpointTimeout("the page's time for the model ran out")
    return left


def embedded_asker(engine: SandboxEngine, *, until: float) -> Ask:
    """The platform's own instruction-tuned model, in-process, in each message's language."""

    def ask(text: str) -> str:
        _left(until)
        prompt = "User: " + " ".join(text.split()) + " || Assistant:"
        lang = engine.language(engine.detect(prompt))
        tokens = stream(lang.model(TUNED_MIX), lang.words, prompt, EMBEDDED_SETTINGS)
        list(tokens)
        return tokens.text.strip()

    return ask


def endpoint_asker(s: Session, endpoint_id: int, user_id: int, *, until: float,
                   allow_private: bool | None = None) -> Ask:
    """An administrator's endpoint, under the person's usage limits for it."""

    def ask(text: str) -> str:
        result = endpoints.run_on_endpoint(s, endpoint_id, text, SETTINGS, user_id=user_id,
                                           allow_private=allow_private, wait=_left(until))
        return result["text"]

    return ask


def client_asker(base_url: str, api_key: str, model: str, *, until: float,
                 allow_private: bool = False) -> Ask:
    """Any OpenAI-compatible address, through the platform's client and its address checks."""

    def ask(text: str) -> str:
        left = _left(until)
        with ChatClient(base_url, api_key, until=time.monotonic() + left, deadline=left,
                        allow_private=allow_private) as client:
            answer = client.chat([{"role": "user", "content": text}], model=model,
                                 temperature=SETTINGS.temperature, top_p=SETTINGS.top_p,
                                 max_tokens=SETTINGS.max_tokens)
        return answer.text

    return ask
