"""OpenAI's chat format on the wire: request bodies, answers, stream events, Retry-After."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from navigator.sandbox.client_errors import EndpointBadResponse


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token, its log-probability and the alternatives the server listed."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Completion:
    """A whole chat answer; logprobs is None when the server sent none."""

    text: str
    finish_reason: str | None
    model: str
    logprobs: tuple[TokenLogprob, ...] | None
    usage: dict[str, int] | None


@dataclass(frozen=True)
class Delta:
    """One piece of a streamed chat answer."""

    text: str
    logprobs: tuple[TokenLogprob, ...] | None
    finish_reason: str | None


def _decode(line: bytes, status: int) -> str:
    try:
        return line.removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise EndpointBadResponse("the stream is not UTF-8 text", status) from None


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The data of each server-sent event (data lines joined), per the EventSource rules."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # a comment, e.g. a keep-alive
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from a number or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _chat_body(messages: Sequence[Mapping[str, str]], model: str, options: dict[str, Any],
               *, stream: bool) -> dict[str, Any]:
    known = {"temperature", "top_p", "seed", "max_tokens", "stop", "logprobs", "top_logprobs"}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown chat option {sorted(unknown)[0]!r}")
    body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
    body.update({k: v for k, v in options.items() if v is not None and v != ()})
    if "stop" in body:
        body["stop"] = list(body["stop"])
    if not body.get("logprobs"):
        body.pop("logprobs", None)
        body.pop("top_logprobs", None)
    if stream:
        body["stream"] = True
    return body


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def _logprobs(value: object) -> tuple[TokenLogprob, ...] | None:
    """Per-token logprobs in OpenAI's chat shape; None when absent or in a shape we do not know.

    Logprobs are an extra some servers add: an unfamiliar shape means none, not a broken answer.
    """
    content = value.get("content") if isinstance(value, dict) else None
    if not isinstance(content, list):
        return None
    out = []
    for item in content:
        if not (isinstance(item, dict) and isinstance(item.get("token"), str)
                and _number(item.get("logprob"))):
            return None
        top = tuple(
            (alt["token"], float(alt["logprob"]))
            for alt in item.get("top_logprobs") or ()
            if isinstance(alt, dict) and isinstance(alt.get("token"), str)
            and _number(alt.get("logprob"))
        )
        out.append(TokenLogprob(item["token"], float(item["logprob"]), top))
    return tuple(out)


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EndpointBadResponse("the answer has no choices")
    choice = choices[0]
    finish = choice.get("finish_reason")
    if finish is not None and not isinstance(finish, str):
        raise EndpointBadResponse("the finish reason is not text")
    return choice


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EndpointBadResponse("the answer's content is not text")
    return value


def _completion(data: dict[str, Any], model: str) -> Completion:
    choice = _first_choice(data)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise EndpointBadResponse("the answer has no message")
    usage = data.get("usage")
    if isinstance(usage, dict):
        usage = {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
    else:
        usage = None
    answered = data.get("model")
    return Completion(
        text=_text(message.get("content")),
        finish_reason=choice.get("finish_reason"),
        model=answered if isinstance(answered, str) and answered else model,
        logprobs=_logprobs(choice.get("logprobs")),
        usage=usage,
    )


def _delta(chunk: dict[str, Any]) -> Delta | None:
    if chunk.get("choices") == []:
        return None
    choice = _first_choice(chunk)
    delta = choice.get("delta", {})
    if not isinstance(delta, dict):
        raise EndpointBadResponse("a stream chunk has no delta")
    return Delta(_text(delta.get("content")), _logprobs(choice.get("logprobs")),
                 choice.get("finish_reason"))
