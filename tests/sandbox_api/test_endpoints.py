"""Administrators' model endpoints: services, pages, running prompts on them, the token command."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from navigator import secretbox
from navigator.accounts import services as accounts
from navigator.config import database_url
from navigator.db import utcnow
from navigator.errors import Forbidden, Invalid, NotFound
from navigator.i18n import force_locale
from navigator.sandbox import client as client_module
from navigator.sandbox import endpoints, web
from navigator.sandbox.api_request import MODELS
from navigator.sandbox.client import (
    EndpointBadResponse,
    EndpointRateLimited,
    EndpointRejected,
    EndpointTimeout,
    EndpointUnavailable,
)
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.models import LlmEndpoint
from tests.conftest import login
from tests.sandbox_api.conftest import add

from .conftest import KEY

BASE = "/admin/llm-endpoints"


# --- services ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "ftp://example.org/v1", "localhost:11434/v1", "http:///v1", "javascript:alert(1)",
    "http://user:pass@example.org/v1", "http://example.org/v1?key=abc", "http://exa mple.org",
    "http://example.org:port/v1", "file:///etc/passwd",
])
def test_only_plain_http_addresses_are_accepted(url):
    with pytest.raises(Invalid) as caught:
        endpoints.check_base_url(url)
    assert caught.value.field == "base_url"


def test_addresses_are_tidied():
    assert endpoints.check_base_url(" HTTPS://api.example.org/v1/ ") == \
        "https://api.example.org/v1"
    assert endpoints.check_base_url("http://[::1]:8080", allow_private=True) == \
        "http://[::1]:8080"


def test_only_administrators_manage_endpoints(session, admin, make_user):
    manager = accounts.principal(session, make_user("manager"))
    with pytest.raises(Forbidden):
        endpoints.save_endpoint(session, manager, None, name="x", base_url="http://a/v1",
                                model="m", paid=False, enabled=True, api_key=None)
    endpoint = add(session, admin)
    with pytest.raises(Forbidden):
        endpoints.get_endpoint(session, manager, endpoint.id)
    with pytest.raises(Invalid) as caught:
        add(session, admin)  # the same name again
    assert caught.value.field == "name"


def test_navigators_see_enabled_endpoints_without_keys(session, admin):
    paid = add(session, admin, name="B paid", paid=True)
    add(session, admin, name="A off", enabled=False)
    assert endpoints.enabled_endpoints(session) == [
        {"id": paid.id, "name": "B paid", "model": "m", "paid": True}]


def _settings(**values) -> Settings:
    return Settings(**{"max_tokens": 20, "seed": 9, **values})


def test_run_on_the_platforms_own_api_returns_text_and_probabilities(session, admin, live,
                                                                     token):
    endpoint = add(session, admin, base_url=live.url, model="navigator-sandbox-tuned",
                   api_key=token)
    result = endpoints.run_on_endpoint(session, endpoint.id, "I feel hopeless.",
                                       _settings(top_k=5), allow_private=True)
    assert result["endpoint"] == "Local" and result["model"] == "navigator-sandbox-tuned"
    assert result["text"] and result["finish_reason"] in ("stop", "length")
    assert "".join(t["piece"] for t in result["tokens"]) == result["text"]
    first = result["tokens"][0]
    assert 0 < first["prob"] <= 1 and len(first["alternatives"]) == endpoints.TOP_LOGPROBS
    assert result["unsent"] == ["top_k"]


def test_run_without_logprobs_when_the_server_refuses_them(session, admin, broken):
    endpoint = add(session, admin, base_url=broken.url("refuses-logprobs"))
    result = endpoints.run_on_endpoint(session, endpoint.id, "Hi", _settings(),
                                       allow_private=True)
    assert result["text"] == "Hello there" and result["tokens"] is None
    sent = broken.requests[0][2]
    assert sent["seed"] == 9 and sent["max_tokens"] == 20 and sent["logprobs"] is True
    assert sent["messages"] == [{"role": "user", "content": "Hi"}]


def test_run_raises_typed_errors(session, admin, broken):
    refused = add(session, admin, name="refused", base_url=broken.url("refuses-key"))
    garbage = add(session, admin, name="garbage", base_url=broken.url("malformed"))
    off = add(session, admin, name="off", enabled=False, base_url=broken.url("ok"))
    with pytest.raises(EndpointRejected):
        endpoints.run_on_endpoint(session, refused.id, "Hi", _settings(), allow_private=True)
    with pytest.raises(EndpointBadResponse):
        endpoints.run_on_endpoint(session, garbage.id, "Hi", _settings(), allow_private=True)
    for missing in (off.id, 999):
        with pytest.raises(NotFound):
            endpoints.run_on_endpoint(session, missing, "Hi", _settings())


def test_paid_endpoints_have_stricter_limits_per_person(app_factory, session, admin, broken,
                                                        make_user):
    app = app_factory(RATELIMIT_ENABLED=True, ENDPOINTS_ALLOW_PRIVATE=True)
    paid = add(session, admin, name="paid", paid=True, base_url=broken.url("ok"))
    free = add(session, admin, name="free", base_url=broken.url("ok"))
    nia, sam = make_user("navigator"), make_user("navigator")
    with app.app_context():
        for _ in range(6):
            endpoints.run_on_endpoint(session, paid.id, "Hi", _settings(), user_id=nia.id)
        with pytest.raises(endpoints.UsageLimited) as caught:
            endpoints.run_on_endpoint(session, paid.id, "Hi", _settings(), user_id=nia.id)
        assert 0 < caught.value.retry_after <= 60
        endpoints.run_on_endpoint(session, paid.id, "Hi", _settings(), user_id=sam.id)
        for _ in range(7):
            endpoints.run_on_endpoint(session, free.id, "Hi", _settings(), user_id=nia.id)
    assert broken.hits["ok"] == 6 + 1 + 7  # the refused call never reached the service


def test_error_messages_are_plain_words(app):
    cases = [
        (endpoints.UsageLimited("x", None, 30), "30 seconds"),
        (EndpointRateLimited("x", 429, 1.2), "2 seconds"),
        (EndpointRateLimited("x"), "try again later"),
        (EndpointTimeout("x"), "too long"),
        (EndpointUnavailable("x", 503), "cannot be reached"),
        (EndpointRejected("x", 401), "API key"),
        (EndpointRejected("x", 404), "does not know this model"),
        (EndpointRejected("x", 422), "error 422"),
        (EndpointBadResponse("x"), "could not be read"),
    ]
    with app.test_request_context(), force_locale("en"):
        for exc, words in cases:
            assert words in endpoints.error_message(exc), exc


# --- pages -------------------------------------------------------------------------------------

FORM = {"name": "Local Llama", "base_url": "http://127.0.0.1:9/v1", "model": "llama3.2",
        "api_key": KEY, "enabled": "y"}


def _stored(session, endpoint_id) -> LlmEndpoint:
    session.rollback()  # a fresh transaction sees what the requests committed
    return session.get(LlmEndpoint, endpoint_id)


def test_an_administrator_adds_and_edits_an_endpoint_without_seeing_the_key(
        client, make_user, session, caplog):
    caplog.set_level(logging.DEBUG)
    login(client, make_user("admin"))
    created = client.form(f"{BASE}/new", FORM)
    assert created.status_code == 302
    endpoint_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _stored(session, endpoint_id).api_key == KEY
    pages = [client.get(BASE), client.get(f"{BASE}/{endpoint_id}")]
    assert "Set" in pages[0].get_data(as_text=True)
    assert "API key: set." in pages[1].get_data(as_text=True)
    # Saving without typing a key keeps it; typing one replaces it; ticking the box clears it.
    pages.append(client.form(f"{BASE}/{endpoint_id}", {**FORM, "api_key": "", "paid": "y"}))
    stored = _stored(session, endpoint_id)
    assert stored.api_key == KEY and stored.paid
    client.form(f"{BASE}/{endpoint_id}", {**FORM, "api_key": "sk-new-key-000"})
    assert _stored(session, endpoint_id).api_key == "sk-new-key-000"
    client.form(f"{BASE}/{endpoint_id}", {**FORM, "api_key": "", "clear_key": "y"})
    assert _stored(session, endpoint_id).api_key == ""
    pages.append(client.get(f"{BASE}/{endpoint_id}"))
    assert "API key: not set." in pages[-1].get_data(as_text=True)
    for page in pages:
        assert KEY not in page.get_data(as_text=True)
        assert "sk-new-key-000" not in page.get_data(as_text=True)
    assert KEY not in caplog.text and "sk-new-key-000" not in caplog.text


def test_mistakes_are_shown_beside_the_fields_and_the_typing_is_kept(client, make_user,
                                                                      session, admin):
    login(client, make_user("admin"))
    add(session, admin, name="Taken")
    response = client.form(f"{BASE}/new", {**FORM, "base_url": "ftp://files.example.org",
                                           "model": "my-model"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter an address starting with http://" in html
    assert 'value="ftp://files.example.org"' in html and 'value="my-model"' in html
    assert KEY not in html  # a typed key is not sent back either
    response = client.form(f"{BASE}/new", {**FORM, "name": "Taken"})
    assert "Another endpoint already has this name." in response.get_data(as_text=True)
    html = client.form(f"{BASE}/new", {**FORM, "name": "", "model": ""}).get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="model-error"' in html
    assert [e.name for e in session.exec(select(LlmEndpoint))] == ["Taken"]


def test_a_failed_edit_keeps_the_stored_endpoint(client, make_user, session, admin):
    login(client, make_user("admin"))
    endpoint = add(session, admin)
    add(session, admin, name="Other")
    response = client.form(f"{BASE}/{endpoint.id}", {**FORM, "name": "Other",
                                                      "api_key": "sk-typed"})
    assert "Another endpoint already has this name." in response.get_data(as_text=True)
    stored = _stored(session, endpoint.id)
    assert stored.name == "Local" and stored.api_key == KEY


def test_test_connection_against_the_real_api_and_a_dead_address(client, make_user, session,
                                                                 admin, live, token):
    login(client, make_user("admin"))
    good = add(session, admin, name="Sandbox", base_url=live.url, model="navigator-sandbox",
               api_key=token)
    typo = add(session, admin, name="Typo", base_url=live.url, model="navigator-sandbx",
               api_key=token)
    dead = add(session, admin, name="Dead")
    answer = client.form(f"{BASE}/{good.id}/test", follow_redirects=True)
    assert f"Connected. The service lists {len(MODELS)} models, including navigator-sandbox." \
        in answer.get_data(as_text=True)
    answer = client.form(f"{BASE}/{typo.id}/test", follow_redirects=True)
    assert f"navigator-sandbx is not among the {len(MODELS)} models" in \
        answer.get_data(as_text=True)
    answer = client.form(f"{BASE}/{dead.id}/test", follow_redirects=True)
    assert "The connection failed: The model cannot be reached right now." in \
        answer.get_data(as_text=True)
    assert token not in answer.get_data(as_text=True)


def test_removing_an_endpoint(client, make_user, session, admin):
    login(client, make_user("admin"))
    endpoint_id = add(session, admin).id
    response = client.form(f"{BASE}/{endpoint_id}/delete")
    assert response.status_code == 302 and _stored(session, endpoint_id) is None
    assert client.get(f"{BASE}/{endpoint_id}").status_code == 404


def test_only_administrators_see_the_nav_link(client, make_user):
    login(client, make_user("manager"))
    assert BASE not in client.get("/").get_data(as_text=True)
    login(client, make_user("admin"))
    assert f'href="{BASE}"' in client.get("/").get_data(as_text=True)


# --- the token command -------------------------------------------------------------------------

def test_the_token_command_prints_a_working_token(app, session, make_user):
    user = make_user("navigator", email="nia@example.org")
    result = app.test_cli_runner().invoke(args=["sandbox", "token", "NIA@example.org"])
    assert result.exit_code == 0
    raw = result.output.strip()
    assert accounts.user_for_api_token(session, raw).id == user.id
    missing = app.test_cli_runner().invoke(args=["sandbox", "token", "who@example.org"])
    assert missing.exit_code == 1 and "No active account" in missing.output


# --- the key at rest ---------------------------------------------------------------------------

def _raw_keys(app) -> list[str]:
    """The api_key column as the database holds it, read past the model."""
    engine = sa.create_engine(database_url(app.config))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT api_key FROM llmendpoint ORDER BY id")).scalars()
        values = list(rows)
    engine.dispose()
    return values


def test_the_key_is_stored_encrypted_with_a_key_outside_the_database(app, session, admin):
    add(session, admin)
    raw = _raw_keys(app)
    assert raw and raw[0].startswith("fernet:") and KEY not in raw[0]
    # The key that reads it is in the instance folder (or the environment), not the database.
    keys_file = Path(app.instance_path) / "encryption.keys"
    assert keys_file.stat().st_mode & 0o077 == 0  # readable by the platform's user only
    ring = secretbox.Keyring(secretbox.load_keys("", app.instance_path))
    assert ring.decrypt(raw[0]) == KEY
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.Keyring([Fernet.generate_key().decode()]).decrypt(raw[0])
    session.expire_all()
    assert session.exec(select(LlmEndpoint)).one().api_key == KEY  # the model reads it plain


def test_keys_rotate_without_losing_a_stored_key(app_factory, session, admin):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = app_factory(ENCRYPTION_KEYS=old)
    with Session(first.extensions["navigator.db"]) as s:
        add(s, accounts.principal(s, s.get(accounts.User, admin.user.id)))
    before = _raw_keys(first)[0]
    # A plain value written before encryption existed is picked up by the rotation too.
    engine = sa.create_engine(database_url(first.config))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO llmendpoint (name, base_url, model, api_key, paid, "
                             "enabled, created_at, updated_at) VALUES ('Legacy', "
                             "'http://example.org/v1', 'm', 'sk-legacy-plain', :no, :yes, "
                             ":now, :now)"), {"no": False, "yes": True, "now": utcnow()})
    engine.dispose()
    both = app_factory(ENCRYPTION_KEYS=f"{new},{old}")  # the new key first
    result = both.test_cli_runner().invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0 and "2 stored secret(s)" in result.output
    after = _raw_keys(both)
    assert after[0] != before and all(v.startswith("fernet:") for v in after)
    assert "sk-legacy-plain" not in "".join(after)
    only_new = app_factory(ENCRYPTION_KEYS=new)  # the old key dropped
    with Session(only_new.extensions["navigator.db"]) as s:
        assert [e.api_key for e in s.exec(select(LlmEndpoint).order_by(LlmEndpoint.id))] == \
            [KEY, "sk-legacy-plain"]


def test_a_bad_encryption_key_stops_the_start_with_a_clear_message(app_factory):
    with pytest.raises(SystemExit) as caught:
        app_factory(ENCRYPTION_KEYS="not-a-key")
    assert "NAVIGATOR_ENCRYPTION_KEYS" in str(caught.value)


def test_the_key_is_in_no_database_dump(app, session, admin):
    add(session, admin)
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the SQLite dump stands for any backup")
    import sqlite3

    conn = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "llmendpoint" in dump and KEY not in dump


# --- addresses the platform may call -----------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data", "http://2852039166/v1", "http://0xa9fea9fe/v1",
    "http://0251.0376.0251.0376/v1", "http://[::ffff:169.254.169.254]/v1",
    "http://[fe80::1]:11434/v1", "http://[fd00:ec2::254]/v1",
])
def test_link_local_and_metadata_addresses_are_refused_at_the_form(app_factory, client, url,
                                                                    make_user, session):
    login(client, make_user("admin"))
    html = client.form(f"{BASE}/new", {**FORM, "base_url": url}).get_data(as_text=True)
    assert "link-local and cloud metadata addresses are refused" in html
    assert not list(session.exec(select(LlmEndpoint)))


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434/v1", "http://2130706433/v1",
                                 "http://[::1]/v1", "http://10.1.2.3/v1", "http://localhost/v1"])
def test_private_addresses_need_the_administrators_setting(app_factory, url, make_user,
                                                          session):
    strict = app_factory()  # the default: not allowed
    client = login(strict.test_client(), make_user("admin"))
    html = client.form(f"{BASE}/new", {**FORM, "base_url": url}).get_data(as_text=True)
    assert "NAVIGATOR_ENDPOINTS_ALLOW_PRIVATE=true" in html
    assert not list(session.exec(select(LlmEndpoint)))
    allowed = app_factory(ENDPOINTS_ALLOW_PRIVATE=True)
    client = login(allowed.test_client(), make_user("admin"))
    assert client.form(f"{BASE}/new", {**FORM, "base_url": url}).status_code == 302


def test_a_name_resolving_to_the_metadata_service_is_refused(client, make_user, session,
                                                             monkeypatch):
    # The test cannot register a DNS name, so the client's resolver is replaced; the check
    # that runs on what it returns is the real one.
    monkeypatch.setattr(client_module, "resolve", lambda host, port: ["169.254.169.254"])
    login(client, make_user("admin"))
    html = client.form(f"{BASE}/new", {**FORM, "base_url": "http://models.example.com/v1"}
                       ).get_data(as_text=True)
    assert "link-local and cloud metadata addresses are refused" in html


def test_a_stored_endpoint_on_loopback_gets_nothing_once_the_setting_is_off(
        app_factory, session, admin, broken, make_user):
    """Saved while allowed (or before this check existed): calls are checked, not just forms."""
    endpoint = add(session, admin, name="Was allowed", base_url=broken.url("ok"))
    strict = app_factory()
    client = login(strict.test_client(), make_user("admin"))
    answer = client.form(f"{BASE}/{endpoint.id}/test", follow_redirects=True)
    assert "NAVIGATOR_ENDPOINTS_ALLOW_PRIVATE=true" in answer.get_data(as_text=True)
    navigator = login(strict.test_client(), make_user("navigator"))
    page = navigator.form("/sandbox/generate", {**RUN, "endpoint": str(endpoint.id)})
    assert "What the built-in model wrote" in page.get_data(as_text=True)
    assert not broken.requests  # the key was sent nowhere


# --- a slow model never costs the page ---------------------------------------------------------

RUN = {"prompt": "A good night's sleep", "temperature": "0.8", "top_k": "40", "top_p": "1",
       "max_tokens": "12", "seed": "5", "mix": "0"}


@pytest.mark.parametrize("behaviour", ["trickle", "hang"])
def test_a_slow_model_ends_the_wait_with_a_message_and_the_built_in_answer(
        app_factory, session, admin, broken, make_user, behaviour):
    app = app_factory(ENDPOINTS_ALLOW_PRIVATE=True, MODEL_WAIT_SECONDS=1.5)
    endpoint = add(session, admin, name=behaviour, base_url=broken.url(behaviour))
    client = login(app.test_client(), make_user("navigator"))
    with app.app_context():
        web.box().engine()  # the built-in model's first training is not the wait measured here
    started = time.monotonic()
    page = client.form("/sandbox/generate", {**RUN, "endpoint": str(endpoint.id)})
    took = time.monotonic() - started
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and took < 1.5 + 2.0
    assert "The model took too long to answer." in html
    assert "What the built-in model wrote" in html
    assert "The built-in model's answer is still shown." in html


def test_the_test_button_gives_up_within_the_wait(app_factory, session, admin, broken,
                                                  make_user):
    app = app_factory(ENDPOINTS_ALLOW_PRIVATE=True, MODEL_WAIT_SECONDS=1)
    endpoint = add(session, admin, name="trickle", base_url=broken.url("trickle"))
    client = login(app.test_client(), make_user("admin"))
    started = time.monotonic()
    answer = client.form(f"{BASE}/{endpoint.id}/test", follow_redirects=True)
    assert time.monotonic() - started < 1 + 2.0
    assert "The connection failed: The model took too long" in answer.get_data(as_text=True)
