"""Real models' endpoints: administrators' settings, and running a prompt on one.

The API key is read only here, to hand it to the client; nothing returned to a view holds it.
In the database it is encrypted (navigator.secretbox.EncryptedText).

Two settings of the server's administrator shape every call, read from the app when the
caller does not pass them: ENDPOINTS_ALLOW_PRIVATE (may endpoints be on loopback or a private
network) and MODEL_WAIT_SECONDS (a page that calls a model gives up on it this many seconds
after the request began, all attempts included, well inside gunicorn's worker timeout).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, g, has_app_context, has_request_context
from limits import parse_many
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from navigator.accounts.services import Principal
from navigator.db import utcnow
from navigator.errors import Forbidden, Invalid, NotFound
from navigator.i18n import _, ngettext
from navigator.sandbox.client import (
    ChatClient,
    EndpointBadResponse,
    EndpointError,
    EndpointForbidden,
    EndpointRateLimited,
    EndpointRejected,
    EndpointTimeout,
    EndpointUnavailable,
    check_host,
)
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.models import LlmEndpoint
from navigator.security import limiter

# Per person and endpoint. Paid endpoints cost the programme money on every call.
LIMITS = {True: "6 per minute;60 per day", False: "20 per minute;500 per day"}
TOP_LOGPROBS = 5
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
WAIT = 20.0        # seconds a page waits on a model when no app setting says otherwise
CHECK_WAIT = 10.0  # the Test button's share of it: one attempt, no retries


class UsageLimited(EndpointRateLimited):
    """This person used this endpoint too often; retry_after says when they may again."""


@dataclass(frozen=True)
class Target:
    """What a call needs, copied out of the row so no database transaction stays open."""

    id: int
    name: str
    base_url: str
    model: str
    api_key: str
    paid: bool


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden()


def _allow_private(allow_private: bool | None) -> bool:
    if allow_private is not None:
        return allow_private
    return bool(has_app_context() and current_app.config["ENDPOINTS_ALLOW_PRIVATE"])


def _wait(wait: float | None) -> float:
    """Seconds left to wait on a model: the setting, less what the request already spent
    (waiting for the database, running the built-in model), and never under one second."""
    if wait is not None:
        return wait
    if not has_app_context():
        return WAIT
    wait = float(current_app.config["MODEL_WAIT_SECONDS"])
    started = g.get("request_started") if has_request_context() else None
    if started is not None:
        wait -= time.monotonic() - started
    return max(wait, 1.0)


def list_endpoints(session: Session, actor: Principal) -> list[LlmEndpoint]:
    """Every configured endpoint, by name (administrators only)."""
    _require_admin(actor)
    return list(session.exec(select(LlmEndpoint).order_by(LlmEndpoint.name)))


def get_endpoint(session: Session, actor: Principal, endpoint_id: int) -> LlmEndpoint:
    """One endpoint (administrators only)."""
    _require_admin(actor)
    endpoint = session.get(LlmEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound()
    return endpoint


def check_base_url(raw: str, *, allow_private: bool | None = None) -> str:
    """The base URL, tidied; Invalid unless it is a plain http(s) address with a host that
    the platform may call (checked again on every call: a name can change what it points at).
    """
    url = raw.strip()
    if _SPACE.search(url):
        raise Invalid(_("The address cannot contain spaces."), field="base_url")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise Invalid(_("The port in the address is not a number."), field="base_url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid(_("Enter an address starting with http:// or https://, for example "
                        "http://localhost:11434/v1."), field="base_url")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs; the key field keeps them out.
        raise Invalid(_("Put the key in the API key field, not in the address."),
                      field="base_url")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise Invalid(_("The address cannot have a query (?) or a fragment (#)."),
                      field="base_url")
    _check_address(parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80),
                   _allow_private(allow_private))
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def _check_address(host: str, port: int, allow_private: bool) -> None:
    """Invalid when the host is, or resolves to, an address the platform may not call.

    A name that does not resolve now is accepted: the Test button will say so.
    """
    try:
        check_host(host, port, allow_private=allow_private, timeout=5)
    except EndpointForbidden as exc:
        raise Invalid(forbidden_message(exc.kind), field="base_url") from None
    except EndpointError:
        pass


def forbidden_message(kind: str) -> str:
    if kind == "private":
        return _("This address is on this server or a private network, which the platform "
                 "does not call unless its administrator allows it: set "
                 "NAVIGATOR_ENDPOINTS_ALLOW_PRIVATE=true on the server (for example for a "
                 "local Ollama).")
    return _("The platform never calls this address: link-local and cloud metadata "
             "addresses are refused, because they can hand out the server's credentials.")


def save_endpoint(session: Session, actor: Principal, endpoint: LlmEndpoint | None, *,
                  name: str, base_url: str, model: str, paid: bool, enabled: bool,
                  api_key: str | None, allow_private: bool | None = None) -> LlmEndpoint:
    """Create (endpoint None) or update an endpoint; api_key None keeps the stored key."""
    _require_admin(actor)
    values = {"name": name.strip(),
              "base_url": check_base_url(base_url, allow_private=allow_private),
              "model": model.strip(), "paid": paid, "enabled": enabled}
    if not values["name"]:
        raise Invalid(_("Give the endpoint a name."), field="name")
    if not values["model"]:
        raise Invalid(_("Enter the model's name."), field="model")
    if api_key is not None:
        values["api_key"] = api_key.strip()
    endpoint = endpoint or LlmEndpoint()
    try:
        # Changed inside the savepoint, so a clash rolls back only these changes.
        with session.begin_nested():
            for key, value in values.items():
                setattr(endpoint, key, value)
            endpoint.updated_at = utcnow()
            session.add(endpoint)
    except IntegrityError:
        raise Invalid(_("Another endpoint already has this name."), field="name") from None
    return endpoint


def delete_endpoint(session: Session, actor: Principal, endpoint_id: int) -> None:
    """Remove an endpoint and its key."""
    session.delete(get_endpoint(session, actor, endpoint_id))


def enabled_endpoints(session: Session) -> list[dict[str, Any]]:
    """The endpoints navigators may run prompts on: id, name, model and whether paid."""
    rows = session.exec(select(LlmEndpoint).where(LlmEndpoint.enabled).order_by(LlmEndpoint.name))
    return [{"id": e.id, "name": e.name, "model": e.model, "paid": e.paid} for e in rows]


def _target(session: Session, endpoint: LlmEndpoint) -> Target:
    target = Target(endpoint.id, endpoint.name, endpoint.base_url, endpoint.model,
                    endpoint.api_key, endpoint.paid)
    # A POST request's transaction holds SQLite's write lock from its start; a call that can
    # take many seconds must not keep every other writer waiting.
    session.commit()
    return target


def check_connection(session: Session, actor: Principal, endpoint_id: int, *,
                     allow_private: bool | None = None,
                     wait: float | None = None) -> dict[str, Any]:
    """Ask the endpoint for its models: how many it lists and whether ours is among them.

    Ends the session's transaction before calling out; raises the client's EndpointError.
    """
    target = _target(session, get_endpoint(session, actor, endpoint_id))
    # No retries: the administrator is waiting for an answer, not for a recovery.
    with ChatClient(target.base_url, target.api_key, retries=0,
                    deadline=min(_wait(wait), CHECK_WAIT),
                    allow_private=_allow_private(allow_private)) as client:
        models = client.models()
    return {"models": len(models), "listed": target.model in models, "model": target.model}


def run_on_endpoint(session: Session, endpoint_id: int, prompt: str, settings: Settings, *,
                    user_id: int | None = None, allow_private: bool | None = None,
                    wait: float | None = None) -> dict[str, Any]:
    """Send prompt as a user's message to an enabled endpoint under the same settings.

    Returns the text, finish_reason, and tokens with probabilities and alternatives when the
    server gives logprobs (else None); top_k, which OpenAI's API lacks, is listed in "unsent".
    Ends the session's transaction before calling out. With user_id, that person's limits for
    the endpoint apply (UsageLimited). Raises NotFound or the client's EndpointError.
    All of it, the retry without logprobs included, ends within the wait (EndpointTimeout).
    """
    until = time.monotonic() + _wait(wait)
    endpoint = session.get(LlmEndpoint, endpoint_id)
    if endpoint is None or not endpoint.enabled:
        raise NotFound()
    target = _target(session, endpoint)
    if user_id is not None:
        _spend(target, user_id)
    options = {"temperature": settings.temperature, "top_p": settings.top_p,
               "seed": settings.seed, "max_tokens": settings.max_tokens, "stop": settings.stop}
    messages = [{"role": "user", "content": prompt}]
    with ChatClient(target.base_url, target.api_key, until=until,
                    allow_private=_allow_private(allow_private)) as client:
        try:
            answer = client.chat(messages, model=target.model, logprobs=True,
                                 top_logprobs=TOP_LOGPROBS, **options)
        except EndpointRejected as exc:
            if exc.status != 400:
                raise
            # Some servers refuse logprobs outright; without them the answer still teaches.
            answer = client.chat(messages, model=target.model, **options)
    tokens = None
    if answer.logprobs is not None:
        tokens = [{"piece": t.token, "logprob": t.logprob, "prob": _prob(t.logprob),
                   "alternatives": [{"piece": p, "logprob": lp, "prob": _prob(lp)}
                                    for p, lp in t.top]}
                  for t in answer.logprobs]
    return {"endpoint": target.name, "model": answer.model, "text": answer.text,
            "finish_reason": answer.finish_reason, "tokens": tokens,
            "unsent": ["top_k"] if settings.top_k else []}


def _prob(logprob: float) -> float:
    return math.exp(min(logprob, 0.0))


def _spend(target: Target, user_id: int) -> None:
    """Count one call against the person's limits for this endpoint."""
    if not (limiter.enabled and limiter.initialized):
        return
    keys = ("llm-endpoint", str(target.id), str(user_id))
    for item in parse_many(LIMITS[target.paid]):
        if not limiter.limiter.hit(item, *keys):
            reset = limiter.limiter.get_window_stats(item, *keys).reset_time
            raise UsageLimited("this person's limit for the endpoint is reached", None,
                               max(1.0, reset - time.time()))


def error_message(exc: EndpointError) -> str:
    """What went wrong, in the reader's language, for a page to show."""
    wait = None
    if isinstance(exc, EndpointRateLimited) and exc.retry_after:
        wait = math.ceil(exc.retry_after)
    if isinstance(exc, UsageLimited):
        return ngettext("You have used this model a lot in a short time. Please try again in "
                        "%(num)d second.",
                        "You have used this model a lot in a short time. Please try again in "
                        "%(num)d seconds.", wait or 1)
    if isinstance(exc, EndpointRateLimited):
        if wait:
            return ngettext("The model's service is busy or has reached its limit. Please try "
                            "again in %(num)d second.",
                            "The model's service is busy or has reached its limit. Please try "
                            "again in %(num)d seconds.", wait)
        return _("The model's service is busy or has reached its limit. Please try again later.")
    if isinstance(exc, EndpointForbidden):
        return forbidden_message(exc.kind)
    if isinstance(exc, EndpointTimeout):
        return _("The model took too long to answer. Please try again later.")
    if isinstance(exc, EndpointUnavailable):
        return _("The model cannot be reached right now. Please try again later.")
    if isinstance(exc, EndpointRejected):
        if exc.status in (401, 403):
            return _("The model's service did not accept the API key. An administrator needs "
                     "to check it.")
        if exc.status == 404:
            return _("The model's service does not know this model or address. An "
                     "administrator needs to check the settings.")
        return _("The model's service refused the request (error %(status)s).",
                 status=exc.status)
    if isinstance(exc, EndpointBadResponse):
        return _("The model's service sent an answer that could not be read.")
    return _("The model cannot be reached right now. Please try again later.")
