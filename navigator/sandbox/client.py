"""An OpenAI-compatible chat client on httpx: timeouts, bounded retries, no redirects, typed errors.

Works with Ollama, llama.cpp server, vLLM, hosted APIs and the platform's own /v1 API. Every way
an endpoint can fail ends in one of the EndpointError classes below, never in a crash; their
text never holds the API key (views turn them into localized messages).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(connect=5, read=30, write=10, pool=5)
RETRIES = 2
BACKOFF = 0.5            # seconds before the first retry; doubled for each one after
MAX_RETRY_AFTER = 10.0   # the longest Retry-After waited out; a longer one is reported instead
DEADLINE = 90.0          # one whole call: retries, waits and a slowly dripping answer included
MAX_BYTES = 4 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class EndpointError(Exception):
    """A real model's endpoint gave no usable answer; the subclass says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EndpointUnavailable(EndpointError):
    """Nothing answers at the address, or the service kept failing (5xx)."""


class EndpointTimeout(EndpointError):
    """The endpoint took too long to connect, to answer or to finish its answer."""


class EndpointRateLimited(EndpointError):
    """The service said too many requests (429); retry_after is its wait in seconds, if given."""

    def __init__(self, message: str, status: int | None = 429,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class EndpointRejected(EndpointError):
    """The service refused the request (4xx): a wrong key, an unknown model, a bad setting."""


class EndpointBadResponse(EndpointError):
    """The answer is not an OpenAI-compatible one: garbage, a redirect, a stream cut short."""


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


class ChatClient:
    """A client for one OpenAI-compatible base URL (e.g. http://localhost:11434/v1)."""

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        timeout: httpx.Timeout = TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        max_retry_after: float = MAX_RETRY_AFTER,
        deadline: float = DEADLINE,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "navigator-sandbox"}
        if api_key:
            # Only ever sent in this header: httpx masks it in reprs and never logs headers.
            headers["Authorization"] = f"Bearer {api_key}"
        self.retries, self.backoff = retries, backoff
        self.max_retry_after, self.deadline, self.max_bytes = max_retry_after, deadline, max_bytes
        # trust_env=False: proxy variables and .netrc on the server must not redirect or
        # decorate calls an administrator configured.
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers,
                                  timeout=timeout, follow_redirects=False, trust_env=False)

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def models(self) -> list[str]:
        """The ids of the models the endpoint lists."""
        with self._open("GET", "models") as (response, ends_at):
            data = self._read_json(response, ends_at)
        listed = data.get("data")
        if not isinstance(listed, list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), str) for m in listed
        ):
            raise EndpointBadResponse("the model list is not in the OpenAI format")
        return [m["id"] for m in listed]

    def chat(self, messages: Sequence[Mapping[str, str]], *, model: str,
             **options: Any) -> Completion:
        """One chat completion; options named as in OpenAI's API are sent only when given."""
        body = _chat_body(messages, model, options, stream=False)
        with self._open("POST", "chat/completions", body) as (response, ends_at):
            data = self._read_json(response, ends_at)
        return _completion(data, model)

    def stream_chat(self, messages: Sequence[Mapping[str, str]], *, model: str,
                    **options: Any) -> Iterator[Delta]:
        """A chat completion streamed as server-sent events, one Delta per piece of text."""
        body = _chat_body(messages, model, options, stream=True)
        with self._open("POST", "chat/completions", body) as (response, ends_at):
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind == "application/json":
                # A server that does not stream answers in one piece; take it as one delta.
                whole = _completion(self._read_json(response, ends_at), model)
                yield Delta(whole.text, whole.logprobs, whole.finish_reason or "stop")
                return
            if kind != "text/event-stream":
                raise EndpointBadResponse("the answer is not an event stream", response.status_code)
            yield from self._events(response, ends_at)

    # --- transport ----------------------------------------------------------------------------

    @contextmanager
    def _open(self, method: str, path: str, body: dict[str, Any] | None = None):
        """Send with bounded retries; yields a 2xx response (still streaming) and the deadline."""
        ends_at = time.monotonic() + self.deadline
        attempt = 0
        while True:
            request = self._http.build_request(method, path, json=body)
            try:
                response = self._http.send(request, stream=True)
            except httpx.ConnectError as exc:
                wait = self._retry_wait(attempt, None, ends_at)
                if wait is None:
                    raise EndpointUnavailable(f"cannot connect: {exc}") from None
                time.sleep(wait)
                attempt += 1
                continue
            except httpx.TimeoutException:
                raise EndpointTimeout("the endpoint did not connect or answer in time") from None
            except httpx.RemoteProtocolError:
                raise EndpointBadResponse("the endpoint broke the HTTP protocol") from None
            except httpx.HTTPError as exc:
                raise EndpointUnavailable(f"the request failed: {type(exc).__name__}") from None
            status = response.status_code
            if 200 <= status < 300:
                try:
                    yield response, ends_at
                except httpx.TimeoutException:
                    raise EndpointTimeout("the endpoint stopped sending in time", status) from None
                except httpx.HTTPError:
                    raise EndpointBadResponse("the answer broke off", status) from None
                finally:
                    response.close()
                return
            response.close()
            retry_after = _retry_after(response.headers.get("retry-after"))
            if status in RETRY_STATUSES:
                wait = self._retry_wait(attempt, retry_after, ends_at)
                if wait is not None:
                    time.sleep(wait)
                    attempt += 1
                    continue
                if status == 429:
                    raise EndpointRateLimited("the endpoint is rate limiting us", status,
                                              retry_after)
                raise EndpointUnavailable(f"the endpoint failed with HTTP {status}", status)
            if 300 <= status < 400:
                raise EndpointBadResponse(f"the endpoint redirected (HTTP {status}); "
                                          "redirects are not followed", status)
            raise EndpointRejected(f"the endpoint refused the request (HTTP {status})", status)

    def _retry_wait(self, attempt: int, retry_after: float | None, ends_at: float) -> float | None:
        """Seconds to wait before the next attempt, or None when no retry is left or allowed."""
        if attempt >= self.retries:
            return None
        wait = self.backoff * 2**attempt if retry_after is None else retry_after
        if wait > self.max_retry_after or time.monotonic() + wait >= ends_at:
            return None
        return wait

    def _chunks(self, response: httpx.Response, ends_at: float) -> Iterator[bytes]:
        """The body's bytes, stopping at the size limit and the deadline."""
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise EndpointBadResponse("the answer is too large", response.status_code)
            if time.monotonic() > ends_at:
                raise EndpointTimeout("the answer took too long", response.status_code)
            yield chunk

    def _read_json(self, response: httpx.Response, ends_at: float) -> dict[str, Any]:
        raw = b"".join(self._chunks(response, ends_at))
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise EndpointBadResponse("the answer is not JSON", response.status_code) from None
        if not isinstance(data, dict):
            raise EndpointBadResponse("the answer is not a JSON object", response.status_code)
        return data

    def _events(self, response: httpx.Response, ends_at: float) -> Iterator[Delta]:
        """Parse server-sent events into deltas until [DONE]."""
        finished = False
        for data in _sse_data(self._lines(response, ends_at)):
            if data.strip() == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except ValueError:
                raise EndpointBadResponse("an event is not JSON", response.status_code) from None
            if not isinstance(chunk, dict):
                raise EndpointBadResponse("an event is not a JSON object", response.status_code)
            if "error" in chunk:
                raise EndpointUnavailable("the endpoint reported an error mid-answer",
                                          response.status_code)
            delta = _delta(chunk)
            if delta is None:
                continue  # e.g. the usage chunk, which has no choices
            finished = finished or delta.finish_reason is not None
            yield delta
        if not finished:
            raise EndpointBadResponse("the stream stopped before the answer ended",
                                      response.status_code)

    def _lines(self, response: httpx.Response, ends_at: float) -> Iterator[str]:
        """Decoded lines of the stream; a line that is not UTF-8 makes it a bad response."""
        buffer = b""
        for chunk in self._chunks(response, ends_at):
            # Split bytes before decoding: in UTF-8 a newline byte is never part of a character.
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in lines:
                yield _decode(line, response.status_code)
        if buffer:
            yield _decode(buffer, response.status_code)


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
