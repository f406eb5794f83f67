"""How a call to a real model's endpoint can fail: the EndpointError classes."""

from __future__ import annotations


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


class EndpointForbidden(EndpointError):
    """The address is one the platform may not call; kind is "forbidden" or "private"."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
