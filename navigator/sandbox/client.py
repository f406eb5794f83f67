"""An OpenAI-compatible chat client on httpx: timeouts, bounded retries, no redirects, typed errors.

Works with Ollama, llama.cpp server, vLLM, hosted APIs and the platform's own /v1 API. Every way
an endpoint can fail ends in one of the EndpointError classes (client_errors), never in a crash;
their text never holds the API key (views turn them into localized messages).

Where it may connect: the host is resolved first and every address it resolves to is checked
(address_kind); the connection then goes to the checked address itself, so a name cannot
resolve to something else a moment later. Link-local and cloud-metadata addresses are refused
always; loopback and private networks only unless allow_private. Redirects are never followed.

How long it may take: one deadline bounds the whole call (resolving, connecting, retries, waits
and a slowly dripping answer); at the deadline the connection is cut, whatever it is doing.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from navigator.sandbox.chat_wire import (
    Completion,
    Delta,
    _chat_body,
    _completion,
    _decode,
    _delta,
    _retry_after,
    _sse_data,
)
from navigator.sandbox.client_errors import (
    EndpointBadResponse,
    EndpointError,
    EndpointForbidden,
    EndpointRateLimited,
    EndpointRejected,
    EndpointTimeout,
    EndpointUnavailable,
)
from navigator.sandbox.deadlines import Cutter, capped

TIMEOUT = httpx.Timeout(connect=5, read=30, write=10, pool=5)
RETRIES = 2
BACKOFF = 0.5            # seconds before the first retry; doubled for each one after
MAX_RETRY_AFTER = 10.0   # the longest Retry-After waited out; a longer one is reported instead
DEADLINE = 20.0          # one whole call: retries, waits and a slowly dripping answer included
MAX_BYTES = 4 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


# --- where the client may connect --------------------------------------------------------------

# Cloud providers' instance-metadata services (they hand out credentials): AWS, GCP, Azure,
# Oracle, DigitalOcean (169.254.169.254), AWS over IPv6, Alibaba, Oracle's legacy address.
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
SHARED = ipaddress.ip_network("100.64.0.0/10")      # carrier-grade NAT: a provider's private net
NAT64 = ipaddress.ip_network("64:ff9b::/96")        # IPv6 addresses that carry an IPv4 one
SITE_LOCAL = ipaddress.ip_network("fec0::/10")      # deprecated IPv6 private addresses


def address_kind(address: str) -> str:
    """"public", "private" (loopback and private networks) or "forbidden" (link-local, cloud
    metadata, multicast, unspecified, reserved and other special addresses)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(str(embedded))
        ip = ipaddress.IPv6Address(int(ip))  # without a zone (fe80::1%eth0)
    if ip in METADATA or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return "forbidden"
    if ip.is_loopback:  # before is_reserved: IPv6's ::1 lies in the reserved ::/8
        return "private"
    if ip.is_reserved:
        return "forbidden"
    if ip.is_private or ip in SHARED or ip in SITE_LOCAL:
        return "private"
    return "public" if ip.is_global else "forbidden"


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name (or address, in any notation) stands for, as strings.

    A module-level function, so tests can stand in a resolver for names they cannot register.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_host(host: str, port: int, *, allow_private: bool, timeout: float) -> str:
    """The address to connect to for host, after checking every address it resolves to.

    Raises EndpointForbidden for a refused address, EndpointUnavailable when the name does not
    resolve, EndpointTimeout when resolving takes longer than timeout.
    """
    found: dict[str, object] = {}

    def look_up() -> None:
        try:
            found["addresses"] = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    # getaddrinfo has no timeout of its own; a thread lets the deadline hold while DNS hangs.
    worker = threading.Thread(target=look_up, daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise EndpointTimeout("the name did not resolve in time")
    if "error" in found or not found.get("addresses"):
        raise EndpointUnavailable("the name does not resolve")
    addresses = found["addresses"]
    kinds = {address_kind(a) for a in addresses}
    # Every address must pass, not just the first: a name listing a public and a metadata
    # address could otherwise reach the metadata service on a retry.
    if "forbidden" in kinds:
        raise EndpointForbidden("the address is link-local, cloud metadata or special",
                                "forbidden")
    if "private" in kinds and not allow_private:
        raise EndpointForbidden("the address is on loopback or a private network", "private")
    return addresses[0]


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
        allow_private: bool = False,
        until: float | None = None,
    ) -> None:
        """until: a time.monotonic() no call may outlast, shared by several calls of a page."""
        headers = {"Accept": "application/json", "User-Agent": "navigator-sandbox"}
        if api_key:
            # Only ever sent in this header: httpx masks it in reprs and never logs headers.
            headers["Authorization"] = f"Bearer {api_key}"
        self.retries, self.backoff = retries, backoff
        self.max_retry_after, self.deadline, self.max_bytes = max_retry_after, deadline, max_bytes
        self.allow_private, self.until, self.timeout = allow_private, until, timeout
        self._cutter: Cutter | None = None
        # trust_env=False: proxy variables and .netrc on the server must not redirect or
        # decorate calls an administrator configured.
        try:
            self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers,
                                      timeout=timeout, follow_redirects=False, trust_env=False)
        except (httpx.InvalidURL, ValueError):
            # httpx refuses some spellings of addresses (e.g. with octal parts) outright.
            raise EndpointUnavailable("the address is not one httpx accepts") from None

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

    def _ends_at(self) -> float:
        ends_at = time.monotonic() + self.deadline
        return ends_at if self.until is None else min(ends_at, self.until)

    def _request(self, method: str, path: str, body: dict[str, Any] | None,
                 ends_at: float) -> httpx.Request:
        """The request, addressed to the checked address of the host, within the deadline."""
        try:
            request = self._http.build_request(method, path, json=body)
        except (httpx.InvalidURL, ValueError):
            # httpx refuses some spellings of addresses (e.g. octal parts) outright.
            raise EndpointUnavailable("the address is not one httpx accepts") from None
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            raise EndpointTimeout("no time was left to call the endpoint")
        url = request.url
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        address = check_host(host, port, allow_private=self.allow_private,
                             timeout=min(remaining, self.timeout.connect or remaining))
        # The Host header keeps the name (built above); TLS checks the certificate against it.
        request.url = url.copy_with(host=address)
        if url.scheme == "https":
            request.extensions["sni_hostname"] = host
        request.extensions["timeout"] = capped(self.timeout, ends_at - time.monotonic())
        return request

    @contextmanager
    def _open(self, method: str, path: str, body: dict[str, Any] | None = None):
        """Send with bounded retries; yields a 2xx response (still streaming) and the deadline."""
        ends_at = self._ends_at()
        attempt = 0
        while True:
            request = self._request(method, path, body, ends_at)
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
                self._cutter = Cutter(response, ends_at)
                try:
                    yield response, ends_at
                except httpx.TimeoutException:
                    raise EndpointTimeout("the endpoint stopped sending in time", status) from None
                except httpx.HTTPError:
                    if self._cutter.fired:
                        raise EndpointTimeout("the answer took too long", status) from None
                    raise EndpointBadResponse("the answer broke off", status) from None
                finally:
                    self._cutter.cancel()
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
            if time.monotonic() > ends_at or (self._cutter and self._cutter.fired):
                raise EndpointTimeout("the answer took too long", response.status_code)
            yield chunk
        if self._cutter and self._cutter.fired:
            # A body that ends with the connection looks complete when the cut ends it.
            raise EndpointTimeout("the answer took too long", response.status_code)

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



# EndpointError stays importable from here, beside the client: the checks and endpoints read it.
__all__ = [
    "ChatClient", "EndpointBadResponse", "EndpointError", "EndpointForbidden",
    "EndpointRateLimited", "EndpointRejected", "EndpointTimeout", "EndpointUnavailable",
    "address_kind", "check_host", "resolve",
]
