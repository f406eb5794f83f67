"""Holding a call to its deadline: timeouts capped to the time left, a connection cut at the end."""

from __future__ import annotations

import socket
import threading
import time

import httpx


def capped(timeout: httpx.Timeout, remaining: float) -> dict[str, float | None]:
    """The client's timeouts, none longer than what is left of the deadline."""
    remaining = max(remaining, 0.001)
    return {name: remaining if value is None else min(value, remaining)
            for name, value in timeout.as_dict().items()}


class Cutter:
    """Cuts a streaming response's connection at the deadline, so no read outlives it.

    Per-read timeouts alone cannot bound a whole answer: a server sending one byte a second
    never trips them. Shutting the socket down from a timer ends the blocked read at once.
    """

    def __init__(self, response: httpx.Response, ends_at: float) -> None:
        self.fired = False
        self._response = response
        self._timer = threading.Timer(max(ends_at - time.monotonic(), 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            try:
                # The plain socket's shutdown, even under TLS: it unblocks the reader.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()
