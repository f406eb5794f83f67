"""Reading a /v1 request: its model, messages or prompt, and settings, or an ApiError."""

from __future__ import annotations

from typing import Any

from flask import request

from navigator.i18n import _
from navigator.sandbox.model.engine import TUNED_MIX
from navigator.sandbox.model.generation import MAX_STOPS, MAX_TOKENS, SAMPLING_DEFAULTS, Settings

MODELS = {"navigator-sandbox": 0.0, "navigator-sandbox-tuned": TUNED_MIX}
# The tiny transformer, pretrained only, in the languages whose text is large enough for one.
TRANSFORMER = "navigator-sandbox-transformer"
MODELS[TRANSFORMER] = None
MAX_PROMPT_CHARS = 8000
MAX_MESSAGES = 100
DEFAULT_MAX_TOKENS = 120
# OpenAI's upper bound for top_logprobs; each token carries at most generation.ALTERNATIVES.
MAX_TOP_LOGPROBS = 20
# The instructions corpus writes one exchange per line: "User: ... || Assistant: ...".
ROLES = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}
TURN_END = "||"


class ApiError(Exception):
    """An error answered in OpenAI's JSON shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = (
            status, message, param, code, kind)


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
