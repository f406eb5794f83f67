"""Real servers on loopback: the app's /v1 API, and a deliberately broken OpenAI look-alike."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from navigator.accounts import services as accounts
from navigator.sandbox import endpoints, web
from navigator.sandbox.models import LlmEndpoint

KEY = "sk-test-9f2c41d07b6e4a58"  # what an administrator would paste; must never leak


@dataclass
class Live:
    """The app served over real HTTP."""

    url: str  # the /v1 base URL


@pytest.fixture
def app(app_factory):
    """The app, allowed to call model endpoints on loopback: every server here is on it."""
    return app_factory(ENDPOINTS_ALLOW_PRIVATE=True)


@pytest.fixture
def live(app) -> Iterator[Live]:
    """The test's app on a loopback port, served from a background thread.

    The built-in model is trained first, so that no request waits seconds for it: the clients
    under test give up on a server that is slow to answer.
    """
    with app.app_context():
        web.box().engine()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutting the server down waits for at most one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield Live(f"http://127.0.0.1:{server.server_port}/v1")
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_user(make_user):
    return make_user("navigator")


@pytest.fixture
def token(session, api_user) -> str:
    """A fresh API token of a navigator."""
    _row, raw = accounts.create_api_token(session, api_user, "tests")
    session.commit()
    return raw


# --- the broken server -------------------------------------------------------------------------

CHAT = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "broken-model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                 "finish_reason": "stop"}],
}
LOGPROBS = {"content": [
    {"token": "Hello", "logprob": -0.1, "top_logprobs": [{"token": "Hello", "logprob": -0.1},
                                                        {"token": "Hi", "logprob": -2.5}]},
    {"token": " there", "logprob": -0.7, "top_logprobs": []},
]}


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    body = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


@dataclass
class Broken:
    """A loopback server whose first path segment picks how it misbehaves."""

    port: int
    hits: Counter = field(default_factory=Counter)
    requests: list = field(default_factory=list)  # (behaviour, headers, body)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.port}/{behaviour}/v1"


class Handler(BaseHTTPRequestHandler):
    """Answers as the behaviour named in the path; HTTP/1.0, so each answer ends the connection."""

    broken: Broken
    behaviours: dict[str, Callable]

    def log_message(self, *_args) -> None:
        pass  # quiet: the tests read the requests from Broken instead

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def _answer(self, raw: bytes) -> None:
        behaviour, _, rest = self.path.lstrip("/").partition("/")
        broken = self.broken
        broken.hits[behaviour] += 1
        body = json.loads(raw) if raw else {}
        broken.requests.append((behaviour, dict(self.headers), body))
        try:
            self.behaviours[behaviour](self, body, broken.hits[behaviour], rest)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as it should

    def send(self, status: int, body: bytes | dict, content_type: str = "application/json",
             headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()  # no length: the stream ends when the connection closes

    def write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


def ok(h: Handler, body: dict, _hit: int, rest: str) -> None:
    if rest.endswith("models"):
        h.send(200, {"object": "list", "data": [{"id": "broken-model"}, {"id": "other"}]})
    elif body.get("stream"):
        h.start_stream()
        h.write(chunk("Hello") + chunk(" there") + chunk(finish="stop") + b"data: [DONE]\n\n")
    else:
        h.send(200, {**CHAT, "choices": [{**CHAT["choices"][0], "logprobs": LOGPROBS}]}
               if body.get("logprobs") else CHAT)


def hang(h: Handler, body: dict, hit: int, rest: str) -> None:
    h.broken.release.wait(5)
    ok(h, body, hit, rest)


def flaky(h: Handler, body: dict, hit: int, rest: str) -> None:
    if hit <= 2:
        h.send(500, {"error": {"message": "try again"}})
    else:
        ok(h, body, hit, rest)


def down(h: Handler, *_args) -> None:
    h.send(503, {"error": {"message": "overloaded"}})


def limited(h: Handler, *_args) -> None:
    h.send(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "120"})


def limited_briefly(h: Handler, body: dict, hit: int, rest: str) -> None:
    if hit == 1:
        h.send(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"})
    else:
        ok(h, body, hit, rest)


def malformed(h: Handler, *_args) -> None:
    h.send(200, b'{"choices": [{"message": {"content": "Hel', "application/json")


def wrong_shape(h: Handler, *_args) -> None:
    h.send(200, {"choices": "none today"})


def html(h: Handler, *_args) -> None:
    h.send(200, b"<html><body>Welcome to the captive portal</body></html>", "text/html")


def huge(h: Handler, *_args) -> None:
    h.send(200, b'{"pad": "' + b"x" * 200_000 + b'"}')


def redirect(h: Handler, *_args) -> None:
    h.send(302, b"", "text/plain",
           headers={"Location": f"http://127.0.0.1:{h.broken.port}/ok/v1/chat/completions"})


def refuses_key(h: Handler, *_args) -> None:
    # Some services echo the key they refused; it must not travel on into our errors or logs.
    key = h.headers.get("Authorization", "").removeprefix("Bearer ")
    h.send(401, {"error": {"message": f"Incorrect API key provided: {key}"}})


def refuses_logprobs(h: Handler, body: dict, hit: int, rest: str) -> None:
    if "logprobs" in body:
        h.send(400, {"error": {"message": "logprobs are not supported"}})
    else:
        ok(h, body, hit, rest)


def sse_tidy(h: Handler, *_args) -> None:
    # CRLF line ends, a keep-alive comment, and a two-byte character cut between two writes:
    # all legal, all must parse.
    h.start_stream()
    h.write(b": keep-alive\r\n\r\n")
    first = chunk("Caf\u00e9").replace(b"\n", b"\r\n")
    cut = first.index("\u00e9".encode()) + 1  # between the two bytes of the é
    h.write(first[:cut])
    time.sleep(0.02)
    h.write(first[cut:])
    h.write(chunk(" au lait") + chunk(finish="stop") + b"data: [DONE]\n\n")


def sse_junk(h: Handler, *_args) -> None:
    h.start_stream()
    h.write(chunk("Hello") + b"data: %%% this is not json %%%\n\n")


def sse_binary(h: Handler, *_args) -> None:
    h.start_stream()
    h.write(chunk("Hello") + b"data: \xff\xfe\xfd\n\n")


def sse_cut(h: Handler, *_args) -> None:
    h.start_stream()
    h.write(chunk("Hello") + chunk(" the"))  # then the connection closes: no end, no [DONE]


def sse_error(h: Handler, *_args) -> None:
    h.start_stream()
    h.write(chunk("Hello") + b'data: {"error": {"message": "out of memory"}}\n\n')


def sse_slow(h: Handler, *_args) -> None:
    h.start_stream()
    h.write(chunk("Hello"))
    h.broken.release.wait(5)  # far longer than the client's read timeout
    h.write(chunk(finish="stop") + b"data: [DONE]\n\n")


def trickle(h: Handler, *_args) -> None:
    # A valid answer, one byte at a time: each byte well within any read timeout.
    data = json.dumps(CHAT).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    for byte in data:
        if h.broken.release.wait(0.2):
            return
        h.write(bytes([byte]))


def sse_drip(h: Handler, *_args) -> None:
    # Each piece arrives within the read timeout, but the answer never ends.
    h.start_stream()
    while not h.broken.release.wait(0.05):
        h.write(b": still thinking\n\n")


BEHAVIOURS = {f.__name__.replace("_", "-"): f for f in (
    ok, hang, flaky, down, limited, limited_briefly, malformed, wrong_shape, html, huge,
    redirect, refuses_key, refuses_logprobs, sse_tidy, sse_junk, sse_binary, sse_cut, sse_error,
    sse_slow, sse_drip, trickle)}


@pytest.fixture
def broken() -> Iterator[Broken]:
    """The broken server on a loopback port; hanging answers are let go at the end."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Broken(server.server_port)
    server.RequestHandlerClass = type("BoundHandler", (Handler,),
                                      {"broken": state, "behaviours": BEHAVIOURS})
    # A short poll interval: shutting the server down waits for at most one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


# --- administrators and their endpoints --------------------------------------------------------

@pytest.fixture
def admin(make_user, session):
    return accounts.principal(session, make_user("admin"))


def add(session, admin, *, name="Local", base_url="http://127.0.0.1:9/v1", model="m",
        api_key=KEY, paid=False, enabled=True) -> LlmEndpoint:
    endpoint = endpoints.save_endpoint(session, admin, None, name=name, base_url=base_url,
                                       model=model, paid=paid, enabled=enabled, api_key=api_key,
                                       allow_private=True)
    session.commit()
    return endpoint
