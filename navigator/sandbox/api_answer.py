"""Writing a /v1 answer in OpenAI's shapes: logprobs, usage and server-sent events."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from flask import Response

from navigator.sandbox.model.generation import TokenStream

FINISH = {"eos": "stop", "stop": "stop", "length": "length"}


# --- writing the answer ----------------------------------------------------------------------

def _logprob(prob: float) -> float:
    return math.log(prob) if prob > 0 else -9999.0  # OpenAI's stand-in for "never"


def _chat_logprob(record, top: int) -> dict[str, Any]:
    def entry(piece: str, prob: float) -> dict[str, Any]:
        return {"token": piece, "logprob": _logprob(prob), "bytes": list(piece.encode("utf-8"))}

    return {**entry(record.piece, record.prob),
            "top_logprobs": [entry(a.piece, a.prob) for a in record.alternatives[:top]]}


def _text_logprobs(records, top: int, offset: int) -> dict[str, Any]:
    offsets = []
    for record in records:
        offsets.append(offset)
        offset += len(record.piece)
    return {
        "tokens": [r.piece for r in records],
        "token_logprobs": [_logprob(r.prob) for r in records],
        "top_logprobs": [{a.piece: _logprob(a.prob) for a in r.alternatives[:top]}
                         for r in records],
        "text_offset": offsets,
    }


def _usage(tokens: TokenStream) -> dict[str, int]:
    prompt, completion = len(tokens.prompt_ids), len(tokens.tokens)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def _sse(events: Iterator[str]) -> Response:
    # X-Accel-Buffering: a reverse proxy passes each piece on as it comes.
    return Response(events, mimetype="text/event-stream", headers={"X-Accel-Buffering": "no"})


def _chat_events(tokens: TokenStream, head: dict, top: int | None,
                 usage: bool) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, logprobs: dict | None = None) -> str:
        return _event({**head, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]})

    yield chunk({"role": "assistant", "content": ""})
    for record in tokens:
        logprobs = None if top is None else {"content": [_chat_logprob(record, top)]}
        yield chunk({"content": record.piece}, logprobs=logprobs)
    yield chunk({}, FINISH[tokens.finish_reason or "length"])
    if usage:
        yield _event({**head, "object": "chat.completion.chunk", "choices": [],
                      "usage": _usage(tokens)})
    yield "data: [DONE]\n\n"


def _text_events(tokens: TokenStream, head: dict, top: int | None, offset: int,
                 usage: bool) -> Iterator[str]:
    def chunk(text: str, finish: str | None = None, logprobs: dict | None = None) -> str:
        return _event({**head, "object": "text_completion", "choices": [
            {"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish}]})

    for record in tokens:
        logprobs = None if top is None else _text_logprobs([record], top, offset)
        offset += len(record.piece)
        yield chunk(record.piece, logprobs=logprobs)
    yield chunk("", FINISH[tokens.finish_reason or "length"])
    if usage:
        yield _event({**head, "object": "text_completion", "choices": [],
                      "usage": _usage(tokens)})
    yield "data: [DONE]\n\n"
