"""Every endpoint × every kind of person has an expected answer; unlisted endpoints fail."""

import importlib
import pkgutil
import re

import pytest

import tests
from navigator.accounts import services
from tests.conftest import login
from tests.policy import ACTORS, ANY, FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule


def load_policy() -> dict[str, Rule]:
    """Merge the POLICY tables of every tests/<capability>/policy.py."""
    merged: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if info.ispkg:
            try:
                module = importlib.import_module(f"tests.{info.name}.policy")
            except ModuleNotFoundError:
                continue
            clash = merged.keys() & module.POLICY.keys()
            assert not clash, f"endpoints listed twice: {clash}"
            merged.update(module.POLICY)
    return merged


POLICY = load_policy()


def classify(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303) and "/sign-in" in location:
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status >= 500:
        return "server error"
    if status in (401, 405):
        return str(status)
    return OK


def test_every_endpoint_has_a_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - POLICY.keys())
    assert not missing, f"endpoints without a route-policy entry: {missing}"
    stale = sorted(POLICY.keys() - endpoints)
    assert not stale, f"policy entries for endpoints that no longer exist: {stale}"


def test_every_method_has_a_policy(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        listed = set(POLICY[rule.endpoint].methods)
        assert methods == listed, f"{rule.endpoint}: methods {methods}, policy {listed}"


def _prepare(world, session):
    world.extra["session"] = session
    token, _raw = services.create_api_token(session, world.target, "policy")
    services.invite(session, services.principal(session, world.actors["manager"]),
                    programme_id=world.a.id, role="navigator", email="invitee@example.org",
                    days=14)
    session.commit()
    world.extra["api_token"] = token


@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_route_policy(endpoint, app, world, session):
    _prepare(world, session)
    rule = POLICY[endpoint]
    from flask import url_for

    failures = []
    for method, expected in rule.methods.items():
        assert set(expected) == set(ACTORS), f"{endpoint} {method}: give every actor an answer"
        for actor in ACTORS:
            # Built per request: an args function may hand each actor a fresh object to act on.
            with app.test_request_context():
                url = url_for(endpoint, **rule.args(world))
            client = app.test_client()
            user = world.actors[actor]
            if user is not None:
                session.refresh(user)
                login(client, user)
            session.commit()  # end the read: a stale WAL snapshot cannot write afterwards
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": client.csrf()})
            got = classify(response)
            want = expected[actor]
            if want == ANY and got != "server error" or want in (got, response.status_code):
                continue
            title = re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True))
            failures.append(f"{method} {url} as {actor}: expected {want}, got {got} "
                            f"({response.status_code} {title.group(1) if title else ''})")
    assert not failures, "\n".join(failures)


def test_post_endpoints_reject_missing_csrf(app, world, session):
    """Every POST endpoint answers 400 to a signed-in administrator without a CSRF token."""
    _prepare(world, session)
    from flask import url_for

    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not POLICY[rule.endpoint].csrf:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **POLICY[rule.endpoint].args(world))
        client = login(app.test_client(), world.actors["admin"])
        response = client.post(url, data={})
        assert response.status_code == 400, f"{rule.endpoint} accepted a POST without CSRF"
