"""The embedded model on an OpenAI-compatible API: /v1/models, chat and text completions.

Any OpenAI client can use it with a personal API token (Authorization: Bearer ...). Answers,
streams and logprobs take OpenAI's shapes. Prompts are never logged or stored.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Iterator
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from navigator import db
from navigator.accounts import services as accounts
from navigator.errors import TITLES, NotFound
from navigator.i18n import _
from navigator.sandbox import web
from navigator.sandbox.inside import served_transformer
from navigator.sandbox.model.engine import TUNED_MIX, SandboxEngine
from navigator.sandbox.model.generation import (
    MAX_STOPS,
    MAX_TOKENS,
    SAMPLING_DEFAULTS,
    Settings,
    TokenStream,
    stream,
)
from navigator.security import csrf, limiter

bp = Blueprint("sandbox_api", __name__, url_prefix="/v1")
# Callers authenticate with a bearer token, never a cookie, so a cross-site form cannot act
# for them: there is nothing for a CSRF token to protect.
csrf.exempt(bp)

MODELS = {"navigator-sandbox": 0.0, "navigator-sandbox-tuned": TUNED_MIX}
# The tiny transformer, pretrained only, in the languages whose text is large enough for one.
TRANSFORMER = "navigator-sandbox-transformer"
MODELS[TRANSFORMER] = None
RATE_LIMIT = "60 per minute;2000 per day"
MAX_PROMPT_CHARS = 8000
MAX_MESSAGES = 100
MAX_TOKEN_CHARS = 200
DEFAULT_MAX_TOKENS = 120
# OpenAI's upper bound for top_logprobs; each token carries at most generation.ALTERNATIVES.
MAX_TOP_LOGPROBS = 20
# The instructions corpus writes one exchange per line: "User: ... || Assistant: ...".
ROLES = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}
TURN_END = "||"
FINISH = {"eos": "stop", "stop": "stop", "length": "length"}


class ApiError(Exception):
    """An error answered in OpenAI's JSON shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = (
            status, message, param, code, kind)


def _error(status: int, message: str, *, param: str | None = None, code: str | None = None,
           kind: str = "invalid_request_error") -> tuple[dict, int, dict]:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return body, status, headers


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return _error(exc.status, exc.message, param=exc.param, code=exc.code, kind=exc.kind)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    if status == 429:
        return _error(429, _("Too many requests. Please wait a little and try again."),
                      code="rate_limit_exceeded", kind="requests")
    message = str(TITLES.get(status, TITLES[500 if status >= 500 else 400]))
    return _error(status, message, kind="server_error" if status >= 500 else
                  "invalid_request_error")


def _api_user_key() -> str:
    return f"api-user:{g.api_user_id}"


def authenticated(view):
    """Let through requests bearing a valid API token; others get 401 in OpenAI's shape."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        user = None
        if scheme.lower() == "bearer" and 0 < len(raw) <= MAX_TOKEN_CHARS:
            s = db.session()
            user = accounts.user_for_api_token(s, raw)
            s.commit()  # keeps the token's last use, and ends the transaction before generating
        if user is None:
            raise ApiError(401, _("Send a valid API token as Authorization: Bearer <token>. "
                                  "Create one on your account page."), code="invalid_api_key")
        g.api_user_id = user.id
        return view(*args, **kwargs)

    return wrapper


def api_route(rule: str, method: str):
    """A /v1 route: token authentication, then the caller's rate limit."""

    def decorate(view):
        limited = limiter.limit(RATE_LIMIT, key_func=_api_user_key)(view)
        return bp.route(rule, methods=[method])(authenticated(limited))

    return decorate


def _engine() -> SandboxEngine:
    """The model trained on the shipped corpora: a token is not tied to one programme."""
    try:
        return web.box().engine()
    except NotFound:
        raise ApiError(503, _("The sandbox model is not available on this server."),
                       kind="server_error") from None


@api_route("/models", "GET")
def models():
    # created is 0: the model has no release date, it is retrained from the corpora.
    return {"object": "list", "data": [
        {"id": name, "object": "model", "created": 0, "owned_by": "navigator"}
        for name in MODELS]}


@api_route("/chat/completions", "POST")
def chat_completions():
    body = _body()
    name, mix = _model(body)
    prompt = flatten(body.get("messages"))
    top = _chat_top_logprobs(body)
    settings = _settings(body, chat=True)
    engine = _engine()
    # Answer in the language of the question: each language has its own model.
    model, words = _language_model(engine, name, mix, prompt, chat=True)
    tokens = stream(model, words, prompt, settings)
    head = {"id": f"chatcmpl-{secrets.token_hex(12)}", "created": int(time.time()),
            "model": name, "system_fingerprint": f"fp_{engine.content_hash[:12]}"}
    if _streaming(body):
        return _sse(_chat_events(tokens, head, top, _include_usage(body)))
    list(tokens)
    logprobs = None if top is None else {"content": [_chat_logprob(r, top)
                                                    for r in tokens.tokens]}
    return {**head, "object": "chat.completion", "choices": [{
        "index": 0, "message": {"role": "assistant", "content": tokens.text},
        "logprobs": logprobs, "finish_reason": FINISH[tokens.finish_reason or "length"]}],
        "usage": _usage(tokens)}


@api_route("/completions", "POST")
def completions():
    body = _body()
    name, mix = _model(body)
    prompt = _prompt(body.get("prompt", ""))
    if body.get("echo"):
        raise ApiError(400, _("echo is not supported."), param="echo")
    if body.get("suffix"):
        raise ApiError(400, _("suffix is not supported."), param="suffix")
    top = _int_or_none(body, "logprobs", MAX_TOP_LOGPROBS)
    settings = _settings(body, chat=False)
    engine = _engine()
    model, words = _language_model(engine, name, mix, prompt, chat=False)
    tokens = stream(model, words, prompt, settings)
    head = {"id": f"cmpl-{secrets.token_hex(12)}", "created": int(time.time()), "model": name,
            "system_fingerprint": f"fp_{engine.content_hash[:12]}"}
    if _streaming(body):
        return _sse(_text_events(tokens, head, top, len(prompt), _include_usage(body)))
    list(tokens)
    logprobs = None if top is None else _text_logprobs(tokens.tokens, top, len(prompt))
    return {**head, "object": "text_completion", "choices": [{
        "index": 0, "text": tokens.text, "logprobs": logprobs,
        "finish_reason": FINISH[tokens.finish_reason or "length"]}],
        "usage": _usage(tokens)}


def _language_model(engine: SandboxEngine, name: str, mix: float | None, prompt: str, *,
                    chat: bool) -> tuple[Any, Any]:
    """The model and words that answer a prompt: its language's n-gram, or its transformer."""
    locale = engine.detect(prompt)
    if name != TRANSFORMER:
        lang = engine.language(locale)
        return lang.model(mix or 0.0), lang.words
    try:
        return served_transformer(web.box().networks(), locale, chat=chat)
    except ValueError:
        available = web.box().networks().locales
        raise ApiError(400, _("%(model)s has learned only these languages: %(languages)s. "
                              "Write in one of them, or use navigator-sandbox.",
                              model=TRANSFORMER, languages=", ".join(available) or "-"),
                       param="model", code="language_not_supported") from None


# --- reading the request ---------------------------------------------------------------------

def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, _("Send a JSON object as the request body."))
    return body


def _model(body: dict[str, Any]) -> tuple[str, float | None]:
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise ApiError(400, _("Name a model, for example navigator-sandbox."), param="model")
    if name not in MODELS:
        raise ApiError(404, _("The model %(model)s does not exist. Available: %(models)s.",
                              model=name[:100], models=", ".join(MODELS)),
                       param="model", code="model_not_found")
    return name, MODELS[name]


def flatten(messages: object) -> str:
    """Chat messages as one prompt in the instructions corpus's format, ending "Assistant:"."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, _("messages must be a non-empty list."), param="messages")
    if len(messages) > MAX_MESSAGES:
        raise ApiError(400, _("Send at most %(count)d messages.", count=MAX_MESSAGES),
                       param="messages")
    turns = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise ApiError(400, _("Each message needs a role: system, user or assistant."),
                           param="messages")
        turns.append(f"{ROLES[role]}: {_content(message.get('content'))}")
    # The model reads a few words back: it answers the last thing the user said.
    last = next((t for t in reversed(turns) if t.startswith("User:")), turns[-1])
    prompt = f"{last} || Assistant:"
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApiError(400, _("The messages are too long: at most %(count)d characters.",
                              count=MAX_PROMPT_CHARS), param="messages")
    return prompt


def _content(content: object) -> str:
    """A message's text on one line, as the corpus writes it; text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in content
    ):
        content = " ".join(p["text"] for p in content)
    if not isinstance(content, str):
        raise ApiError(400, _("Only text messages are supported."), param="messages")
    # "||" separates turns in the instructions format: a user's own "||" must not end a turn.
    return " ".join(content.replace("||", "|").split())


def _prompt(prompt: object) -> str:
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ApiError(400, _("prompt must be one piece of text."), param="prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApiError(400, _("The prompt is too long: at most %(count)d characters.",
                              count=MAX_PROMPT_CHARS), param="prompt")
    return prompt


def _int_or_none(body: dict[str, Any], key: str, most: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise ApiError(400, _("%(name)s must be a whole number from 0 to %(most)d.",
                              name=key, most=most), param=key)
    return value


def _chat_top_logprobs(body: dict[str, Any]) -> int | None:
    """How many alternatives to list per token, or None when logprobs were not asked for."""
    wanted = body.get("logprobs")
    if wanted is not None and not isinstance(wanted, bool):
        raise ApiError(400, _("logprobs must be true or false."), param="logprobs")
    top = _int_or_none(body, "top_logprobs", MAX_TOP_LOGPROBS)
    if top is not None and not wanted:
        raise ApiError(400, _("top_logprobs needs logprobs set to true."), param="top_logprobs")
    return (top or 0) if wanted else None


def _settings(body: dict[str, Any], *, chat: bool) -> Settings:
    if body.get("n", 1) not in (1, None) or isinstance(body.get("n"), bool):
        raise ApiError(400, _("Only one choice (n = 1) is supported."), param="n")
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else stop or ()
    if not isinstance(stops, list | tuple):
        raise ApiError(400, _("stop must be text or a list of texts."), param="stop")
    stops = tuple(stops)
    if chat and len(stops) < MAX_STOPS:
        stops += (TURN_END,)  # the end of the assistant's turn, as a chat template has
    values = {
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "top_k": body.get("top_k"),  # not OpenAI's, but vLLM and llama.cpp accept it too
        "max_tokens": _capped(body.get("max_completion_tokens", body.get("max_tokens"))),
        "seed": body.get("seed"),
        "stop": stops,
    }
    values = {k: v for k, v in values.items() if v is not None}
    values.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    for name, default in SAMPLING_DEFAULTS.items():
        values.setdefault(name, default)
    try:
        return Settings(**values)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, str(exc)) from None


def _capped(max_tokens: object) -> object:
    """Clients often ask for thousands of tokens; the answer stops at the model's limit."""
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        return min(max_tokens, MAX_TOKENS)
    return max_tokens


def _streaming(body: dict[str, Any]) -> bool:
    value = body.get("stream", False)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, _("stream must be true or false."), param="stream")
    return bool(value)


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options") or {}
    return isinstance(options, dict) and options.get("include_usage") is True


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
