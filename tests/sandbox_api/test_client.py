"""The httpx client over real HTTP: against the app's /v1 API and against a broken server."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from navigator.sandbox import client as client_module
from navigator.sandbox.chat_wire import TokenLogprob
from navigator.sandbox.client import (
    ChatClient,
    EndpointBadResponse,
    EndpointError,
    EndpointRateLimited,
    EndpointRejected,
    EndpointTimeout,
    EndpointUnavailable,
)
from navigator.sandbox.model.generation import SAMPLING_DEFAULTS

from .conftest import KEY

MESSAGES = [{"role": "user", "content": "I feel hopeless."}]
# Small limits so every failure shows within a second. The servers here are on loopback, which
# the client refuses unless told it may (as a server's administrator says with a setting).
FAST = {"timeout": httpx.Timeout(connect=0.5, read=0.3, write=0.5, pool=0.5), "backoff": 0.01,
        "deadline": 2.0, "allow_private": True}


def fast(url: str, **options) -> ChatClient:
    return ChatClient(url, KEY, **{**FAST, **options})


# --- against the platform's own API ------------------------------------------------------------

def test_models_and_chat_against_the_real_api(live, token):
    with ChatClient(live.url, token, allow_private=True) as c:
        assert "navigator-sandbox-tuned" in c.models()
        plain = c.chat(MESSAGES, model="navigator-sandbox-tuned", seed=4, max_tokens=30)
        # The server's own sampling defaults, sent explicitly: the same text comes back.
        detailed = c.chat(MESSAGES, model="navigator-sandbox-tuned", seed=4, max_tokens=30,
                          logprobs=True, top_logprobs=3,
                          temperature=SAMPLING_DEFAULTS["temperature"],
                          top_p=SAMPLING_DEFAULTS["top_p"])
        deltas = list(c.stream_chat(MESSAGES, model="navigator-sandbox-tuned", seed=4,
                                    max_tokens=30, logprobs=True, top_logprobs=2))
    assert plain.logprobs is None  # not asked for, so none detected
    assert plain.text == detailed.text and plain.model == "navigator-sandbox-tuned"
    assert plain.usage["total_tokens"] == plain.usage["prompt_tokens"] + \
        plain.usage["completion_tokens"]
    assert "".join(t.token for t in detailed.logprobs) == detailed.text
    assert all(isinstance(t, TokenLogprob) and len(t.top) == 3 for t in detailed.logprobs)
    assert "".join(d.text for d in deltas) == plain.text
    assert deltas[-1].finish_reason == plain.finish_reason
    assert [t.token for d in deltas for t in d.logprobs or ()] == \
        [t.token for t in detailed.logprobs]


def test_a_wrong_token_is_rejected(live):
    with ChatClient(live.url, "nav_wrong", allow_private=True) as c, \
            pytest.raises(EndpointRejected) as caught:
        c.models()
    assert caught.value.status == 401


# --- against the broken server -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_unavailable_after_bounded_retries():
    started = time.monotonic()
    with fast(f"http://127.0.0.1:{_free_port()}/v1") as c, \
            pytest.raises(EndpointUnavailable):
        c.chat(MESSAGES, model="m")
    assert time.monotonic() - started < 1


def test_a_hang_times_out_without_retrying(broken):
    started = time.monotonic()
    with fast(broken.url("hang")) as c, pytest.raises(EndpointTimeout):
        c.chat(MESSAGES, model="m")
    assert time.monotonic() - started < 1.5
    assert broken.hits["hang"] == 1  # the request may have been processed: never sent twice


def test_server_errors_are_retried_then_succeed(broken):
    with fast(broken.url("flaky")) as c:
        answer = c.chat(MESSAGES, model="m")
    assert answer.text == "Hello there" and broken.hits["flaky"] == 3


def test_server_errors_that_persist_are_unavailable(broken):
    with fast(broken.url("down")) as c, pytest.raises(EndpointUnavailable) as caught:
        c.chat(MESSAGES, model="m")
    assert caught.value.status == 503 and broken.hits["down"] == 1 + client_module.RETRIES


def test_a_long_retry_after_is_reported_not_waited_for(broken):
    started = time.monotonic()
    with fast(broken.url("limited")) as c, pytest.raises(EndpointRateLimited) as caught:
        c.chat(MESSAGES, model="m")
    assert caught.value.retry_after == 120 and broken.hits["limited"] == 1
    assert time.monotonic() - started < 0.5


def test_a_short_retry_after_is_waited_out(broken):
    with fast(broken.url("limited-briefly")) as c:
        assert c.chat(MESSAGES, model="m").text == "Hello there"
    assert broken.hits["limited-briefly"] == 2


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 < client_module._retry_after(format_datetime(when, usegmt=True)) <= 30
    assert client_module._retry_after("soon") is None


@pytest.mark.parametrize("behaviour", ["malformed", "wrong-shape", "html", "huge"])
def test_garbage_is_a_bad_response(broken, behaviour):
    with fast(broken.url(behaviour), max_bytes=100_000) as c, \
            pytest.raises(EndpointBadResponse):
        c.chat(MESSAGES, model="m")


def test_a_garbage_model_list_is_a_bad_response(broken):
    with fast(broken.url("wrong-shape")) as c, pytest.raises(EndpointBadResponse):
        c.models()


def test_redirects_are_not_followed(broken):
    with fast(broken.url("redirect")) as c, pytest.raises(EndpointBadResponse) as caught:
        c.chat(MESSAGES, model="m")
    assert caught.value.status == 302 and broken.hits["ok"] == 0


def test_a_refused_key_is_rejected_and_never_repeated(broken, caplog):
    caplog.set_level(logging.DEBUG)
    with fast(broken.url("refuses-key")) as c, pytest.raises(EndpointRejected) as caught:
        c.chat(MESSAGES, model="m")
    behaviour, headers, _body = broken.requests[0]
    assert headers["Authorization"] == f"Bearer {KEY}"  # it was sent, in the header only
    assert caught.value.status == 401
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert KEY not in caplog.text


def test_logprobs_are_detected_not_assumed(broken):
    with fast(broken.url("ok")) as c:
        asked = c.chat(MESSAGES, model="m", logprobs=True, top_logprobs=2)
        unasked = c.chat(MESSAGES, model="m")
    assert asked.logprobs[0] == TokenLogprob("Hello", -0.1, (("Hello", -0.1), ("Hi", -2.5)))
    assert unasked.logprobs is None and unasked.model == "broken-model"
    assert "logprobs" not in broken.requests[1][2]


def test_a_tidy_stream_parses_across_odd_line_ends_and_split_characters(broken):
    with fast(broken.url("sse-tidy")) as c:
        deltas = list(c.stream_chat(MESSAGES, model="m"))
    assert "".join(d.text for d in deltas) == "Caf\u00e9 au lait"
    assert deltas[-1].finish_reason == "stop"
    assert broken.requests[0][2]["stream"] is True


def test_a_server_that_does_not_stream_still_answers(broken):
    with fast(broken.url("ok")) as c:
        deltas = list(c.stream_chat(MESSAGES, model="m"))
    assert "".join(d.text for d in deltas) == "Hello there"


@pytest.mark.parametrize(("behaviour", "error"), [
    ("sse-junk", EndpointBadResponse),
    ("sse-binary", EndpointBadResponse),
    ("sse-cut", EndpointBadResponse),
    ("sse-error", EndpointUnavailable),
    ("sse-slow", EndpointTimeout),
    ("html", EndpointBadResponse),
])
def test_broken_streams_raise_typed_errors_quickly(broken, behaviour, error):
    started = time.monotonic()
    received = []
    with fast(broken.url(behaviour)) as c, pytest.raises(error):
        for delta in c.stream_chat(MESSAGES, model="m"):
            received.append(delta.text)
    assert time.monotonic() - started < 1.5
    if behaviour.startswith("sse-"):
        assert received[0] == "Hello"  # what came before the fault was delivered


def test_a_stream_that_never_ends_hits_the_deadline(broken):
    started = time.monotonic()
    with fast(broken.url("sse-drip"), deadline=0.5) as c, pytest.raises(EndpointTimeout):
        list(c.stream_chat(MESSAGES, model="m"))
    assert time.monotonic() - started < 1.5


def test_proxy_settings_in_the_environment_are_ignored(broken, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_free_port()}")
    with fast(broken.url("ok")) as c:
        assert c.models() == ["broken-model", "other"]


def test_the_key_never_reaches_logs_or_errors(broken, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[EndpointError] = []
    for behaviour in ("ok", "flaky", "down", "limited", "malformed", "redirect", "refuses-key",
                      "sse-junk", "sse-cut", "hang"):
        with fast(broken.url(behaviour)) as c:
            try:
                c.chat(MESSAGES, model="m")
                list(c.stream_chat(MESSAGES, model="m"))
            except EndpointError as exc:
                errors.append(exc)
    assert len(errors) == 8
    assert KEY not in caplog.text
    assert not [e for e in errors if KEY in f"{e} {e!r} {e.__cause__} {e.__context__}"]


# --- a server that trickles: the whole call ends at the deadline -------------------------------

def test_an_answer_trickling_one_byte_at_a_time_is_cut_at_the_deadline(broken):
    """Each byte comes well within the read timeout, so only the deadline can stop it."""
    started = time.monotonic()
    with fast(broken.url("trickle"), timeout=httpx.Timeout(5), deadline=1.0) as c, \
            pytest.raises(EndpointTimeout):
        c.chat(MESSAGES, model="m")
    assert time.monotonic() - started < 1.5


def test_a_server_that_never_answers_is_cut_at_the_deadline_not_the_read_timeout(broken):
    started = time.monotonic()
    with fast(broken.url("hang"), timeout=httpx.Timeout(30), deadline=1.0) as c, \
            pytest.raises(EndpointTimeout):
        c.models()
    assert time.monotonic() - started < 1.5


def test_several_calls_share_one_deadline(broken):
    """A page's calls together (e.g. a retry without logprobs) end when the page must."""
    until = time.monotonic() + 1.0
    with fast(broken.url("trickle"), timeout=httpx.Timeout(5), deadline=30, until=until) as c:
        for _ in range(2):
            with pytest.raises(EndpointTimeout):
                c.chat(MESSAGES, model="m")
    assert time.monotonic() - until < 0.5


def test_the_default_deadline_ends_well_inside_gunicorns_worker_timeout():
    from gunicorn.config import Config

    worker_timeout = Config().timeout  # what `gunicorn app:app` in the README uses
    assert client_module.DEADLINE + client_module.TIMEOUT.connect <= worker_timeout * 0.85


# --- where the client may connect --------------------------------------------------------------

METADATA_FORMS = [
    "169.254.169.254",            # the address as usually written
    "2852039166",                 # the same as one decimal integer
    "0xa9fea9fe",                 # in hexadecimal
    "169.254.43518",              # with the last two parts run together
    "[::ffff:169.254.169.254]",   # IPv4-mapped IPv6
    "[::ffff:a9fe:a9fe]",         # the same, all in hexadecimal
    "[64:ff9b::a9fe:a9fe]",       # through NAT64
    "[fe80::1]",                  # IPv6 link-local
    "[fd00:ec2::254]",            # AWS's IPv6 metadata service
    "100.100.100.200",            # Alibaba Cloud's metadata service
    "0.0.0.0",                    # "this host"
]
PRIVATE_FORMS = ["127.0.0.1", "2130706433", "127.1", "[::1]", "10.0.0.5", "192.168.1.20",
                 "172.16.4.4", "[fd12:3456::1]", "[::ffff:127.0.0.1]", "localhost"]


@pytest.mark.parametrize("host", METADATA_FORMS)
def test_link_local_and_metadata_addresses_are_refused_even_when_private_ones_are_allowed(
        host, broken):
    with fast(f"http://{host}:{broken.port}/ok/v1") as c, \
            pytest.raises(client_module.EndpointForbidden) as caught:
        c.models()
    assert caught.value.kind == "forbidden"
    assert not broken.requests  # nothing was sent anywhere, the key least of all


def test_an_octal_address_is_refused_before_anything_is_sent(broken):
    # httpx does not take this spelling of 169.254.169.254; the endpoint form resolves it and
    # says why (test_endpoints).
    with pytest.raises(EndpointUnavailable):
        fast(f"http://0251.0376.0251.0376:{broken.port}/ok/v1")
    assert not broken.requests


@pytest.mark.parametrize("host", PRIVATE_FORMS)
def test_loopback_and_private_addresses_are_refused_unless_allowed(host, broken):
    with fast(f"http://{host}:{broken.port}/ok/v1", allow_private=False) as c, \
            pytest.raises(client_module.EndpointForbidden) as caught:
        c.models()
    assert caught.value.kind == "private"
    assert not broken.requests


def test_loopback_works_when_allowed(broken):
    for host in ("127.0.0.1", "localhost", "2130706433"):
        with fast(f"http://{host}:{broken.port}/ok/v1") as c:
            assert c.models() == ["broken-model", "other"]


@pytest.fixture
def dns(monkeypatch):
    """A stand-in resolver: these names cannot be registered for a test, so the client's
    resolve() is replaced (the check itself, and the connection to the checked address, are
    the real ones)."""
    table: dict[str, list[str]] = {}

    def resolve(host, port):
        if host not in table:
            raise socket.gaierror("unknown name")
        return table[host]

    monkeypatch.setattr(client_module, "resolve", resolve)
    return table


@pytest.mark.parametrize("addresses", [["169.254.169.254"], ["::ffff:169.254.169.254"],
                                       ["fe80::a9fe:a9fe"], ["93.184.216.34", "169.254.169.254"]])
def test_names_resolving_to_metadata_addresses_are_refused(addresses, dns, broken):
    dns["metadata.attacker.example"] = addresses
    with fast(f"http://metadata.attacker.example:{broken.port}/ok/v1") as c, \
            pytest.raises(client_module.EndpointForbidden) as caught:
        c.models()
    assert caught.value.kind == "forbidden" and not broken.requests


def test_names_resolving_to_private_addresses_need_the_setting(dns, broken):
    dns["ollama.internal.example"] = ["127.0.0.1"]
    with fast(f"http://ollama.internal.example:{broken.port}/ok/v1", allow_private=False) as c, \
            pytest.raises(client_module.EndpointForbidden):
        c.models()
    assert not broken.requests
    # Allowed, the connection goes to the address that was checked, naming the host.
    with fast(f"http://ollama.internal.example:{broken.port}/ok/v1") as c:
        assert c.models() == ["broken-model", "other"]
    assert broken.requests[-1][1]["Host"] == f"ollama.internal.example:{broken.port}"


def test_a_name_is_checked_again_on_every_call(dns, broken):
    """A name that passed once and then points at the metadata service (DNS rebinding)."""
    dns["rebind.attacker.example"] = ["127.0.0.1"]
    with fast(f"http://rebind.attacker.example:{broken.port}/ok/v1") as c:
        assert c.models()
        dns["rebind.attacker.example"] = ["169.254.169.254"]
        with pytest.raises(client_module.EndpointForbidden):
            c.models()
    assert len(broken.requests) == 1


@pytest.mark.parametrize(("address", "kind"), [
    ("8.8.8.8", "public"), ("2606:4700:4700::1111", "public"), ("169.254.1.1", "forbidden"),
    ("224.0.0.1", "forbidden"), ("255.255.255.255", "forbidden"), ("240.0.0.1", "forbidden"),
    ("::", "forbidden"), ("2002:a9fe:a9fe::1", "forbidden"), ("100.64.0.1", "private"),
    ("fe80::1%eth0", "forbidden"), ("fec0::1", "private"), ("::ffff:8.8.8.8", "public"),
])
def test_address_kinds(address, kind):
    assert client_module.address_kind(address) == kind
