"""Running a check's probes automatically, and who answers them: the embedded model, a
configured endpoint, or any OpenAI-compatible address (the embedded model's own /v1 over
loopback, in tests).

Each returns an Ask: one message's text in, the chatbot's answer out, or the client's
EndpointError. Every message is sent alone, as a new conversation, and no call outlasts the
page's deadline. Nothing here logs a prompt or an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from navigator.accounts.services import Principal
from navigator.checks.models import ChatbotCheck
from navigator.checks.protocol import Message, Probe, Protocol
from navigator.checks.services import (
    EDITABLE,
    PROBE_ANSWER_LENGTH,
    editable_check,
    messages_of,
    probe_answers,
    probe_of,
    store_answer,
    touch,
)
from navigator.sandbox import endpoints
from navigator.sandbox.client import ChatClient, EndpointError, EndpointTimeout
from navigator.sandbox.model.engine import TUNED_MIX, SandboxEngine
from navigator.sandbox.model.generation import Settings, stream

Ask = Callable[[str], str]  # a message's text → the chatbot's answer; raises EndpointError
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


# --- running a check's probes -------------------------------------------------------------------

@dataclass
class RunResult:
    """What an automatic run did: answers stored now, messages still unanswered, and why."""

    answered: int
    remaining: int
    error: EndpointError | None = None
    out_of_time: bool = False


def pending(s: Session, protocol: Protocol, check: ChatbotCheck,
            probe_id: str | None = None) -> list[tuple[Probe, Message]]:
    """The messages that have no answer yet, in the protocol's order."""
    stored = probe_answers(s, check.id)
    probes = [probe_of(protocol, probe_id)] if probe_id else list(protocol.probes)
    return [(probe, message) for probe in probes
            for message in messages_of(protocol, check, probe)
            if (probe.id, message.key) not in stored]


def run_automatically(s: Session, actor: Principal, protocol: Protocol, check_id: int,
                      ask: Ask, source: str, *, probe_id: str | None = None,
                      until: float | None = None) -> RunResult:
    """Send every unanswered message (of one probe, or all) through ask, each on its own.

    Each message is a conversation of its own: nothing earlier is sent with it. Every answer
    is committed as soon as it arrives, so a failure, a timeout or the page's deadline
    (until, a time.monotonic()) keeps everything answered so far; a second run sends only
    what is still missing. Ratings stay the navigator's.
    """
    check = editable_check(s, actor, check_id)
    todo = pending(s, protocol, check, probe_id)
    check_key = check.id
    s.commit()  # no transaction stays open while a model thinks
    stored: dict = {}
    answered = 0
    for index, (probe, message) in enumerate(todo):
        if until is not None and time.monotonic() >= until:
            return RunResult(answered, len(todo) - index, out_of_time=True)
        try:
            text = ask(message.text)
        except EndpointError as exc:
            return RunResult(answered, len(todo) - index, error=exc)
        check = s.get(ChatbotCheck, check_key, populate_existing=True)
        if check is None or check.status not in EDITABLE:
            return RunResult(answered, len(todo) - index)  # submitted meanwhile
        stored = probe_answers(s, check.id)
        if (probe.id, message.key) not in stored:  # another tab may have answered it
            store_answer(s, check, probe, message, text.strip()[:PROBE_ANSWER_LENGTH] or "—",
                          "auto", source, stored)
            touch(check)
            answered += 1
        s.commit()
    return RunResult(answered, 0)
