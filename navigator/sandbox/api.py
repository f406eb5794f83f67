"""The embedded model on an OpenAI-compatible API: /v1/models, chat and text completions.

Any OpenAI client can use it with a personal API token (Authorization: Bearer ...). Answers,
streams and logprobs take OpenAI's shapes. Prompts are never logged or stored.
"""

from __future__ import annotations

import secrets
import time
from functools import wraps
from typing import Any

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException

from navigator import db
from navigator.accounts import services as accounts
from navigator.errors import TITLES, NotFound
from navigator.i18n import _
from navigator.sandbox import web
from navigator.sandbox.api_answer import (
    FINISH,
    _chat_events,
    _chat_logprob,
    _sse,
    _text_events,
    _text_logprobs,
    _usage,
)
from navigator.sandbox.api_request import (
    MAX_TOP_LOGPROBS,
    MODELS,
    TRANSFORMER,
    ApiError,
    _body,
    _chat_top_logprobs,
    _include_usage,
    _int_or_none,
    _model,
    _prompt,
    _settings,
    _streaming,
    flatten,
)
from navigator.sandbox.inside import served_transformer
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.generation import stream
from navigator.security import csrf, limiter

bp = Blueprint("sandbox_api", __name__, url_prefix="/v1")
# Callers authenticate with a bearer token, never a cookie, so a cross-site form cannot act
# for them: there is nothing for a CSRF token to protect.
csrf.exempt(bp)

RATE_LIMIT = "60 per minute;2000 per day"
MAX_TOKEN_CHARS = 200


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
