"""Accounts through HTTP: sign-in, joining, resets, people, forms that keep what was typed."""

import re

from navigator.accounts.models import User
from tests.conftest import PASSWORD, login


def test_sign_in_renews_the_session_and_signs_out(app, client, make_user):
    user = make_user(email="nia@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "from before"
    response = client.form("/sign-in", {"email": "NIA@example.org", "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{user.id}.{user.session_nonce}.")
    assert client.get("/account").status_code == 200
    client.form("/sign-out")
    assert client.get("/account").status_code == 302


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(app, client, make_user):
    make_user(email="nia@example.org")
    client.form("/sign-in", {"email": "nia@example.org", "password": PASSWORD})
    copied = _cookie(client)  # what someone at a shared computer, or a thief, could take
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account").status_code == 200
    client.form("/sign-out")
    assert thief.get("/account").status_code == 302  # sent to sign in
    assert thief.get("/account/password").status_code == 302


def test_a_manager_cookie_copied_before_sign_out_cannot_open_people(app, client, make_user):
    make_user("manager", email="mgr@example.org")
    client.form("/sign-in", {"email": "mgr@example.org", "password": PASSWORD})
    thief = app.test_client()
    thief.set_cookie("session", _cookie(client))
    assert thief.get("/people").status_code == 200
    client.form("/sign-out")
    assert thief.get("/people").status_code == 302


def test_sign_out_everywhere_ends_every_session_and_sign_out_ends_only_its_own(
        app, make_user):
    make_user(email="nia@example.org")
    laptop, phone, tablet = (app.test_client() for _ in range(3))
    for device in (laptop, phone, tablet):
        device.form("/sign-in", {"email": "nia@example.org", "password": PASSWORD})
    page = laptop.get("/account").get_data(as_text=True)
    assert "You are signed in on 3 browsers or devices." in page
    assert "Sign out everywhere" in page
    tablet.form("/sign-out")
    assert laptop.get("/account").status_code == phone.get("/account").status_code == 200
    response = laptop.form("/account/sign-out-everywhere")
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    assert laptop.get("/account").status_code == phone.get("/account").status_code == 302
    # Signing in again works, and starts a fresh session.
    laptop.form("/sign-in", {"email": "nia@example.org", "password": PASSWORD})
    assert laptop.get("/account").status_code == 200


def test_a_session_ends_when_its_time_is_up(app_factory, make_user):
    app = app_factory(SESSION_HOURS=0)
    make_user(email="nia@example.org")
    client = app.test_client()
    assert client.form("/sign-in", {"email": "nia@example.org",
                                    "password": PASSWORD}).status_code == 302
    assert client.get("/account").status_code == 302


def test_failed_sign_in_keeps_the_email_and_says_one_thing(client, make_user):
    make_user(email="nia@example.org")
    wrong = client.form("/sign-in", {"email": "nia@example.org", "password": "nope-nope"})
    unknown = client.form("/sign-in", {"email": "who@example.org", "password": "nope-nope"})
    message = "That e-mail address and password do not match an active account."
    assert wrong.status_code == unknown.status_code == 200
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert 'value="nia@example.org"' in wrong.get_data(as_text=True)


def _from(app, address: str):
    """A browser at one network address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try(client, email: str, password: str) -> int:
    return client.form("/sign-in", {"email": email, "password": password}).status_code


def test_one_client_guessing_at_one_account_is_stopped_soon(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(email="target@example.org")
    guesser = _from(app, "203.0.113.7")
    statuses = [_try(guesser, "target@example.org", f"wrong-{i}") for i in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = guesser.form("/sign-in", {"email": "target@example.org", "password": PASSWORD})
    assert refused.status_code == 429  # even the right password, from this client, for now
    page = refused.get_data(as_text=True)
    assert "Too many failed attempts" in page and "/password/forgot" in page
    assert 'value="target@example.org"' in page and int(refused.headers["Retry-After"]) > 0
    # Another account from the same client is not blocked by this account's limit.
    assert _try(guesser, "other@example.org", "wrong") == 200


def test_guessing_locks_nobody_out_of_their_own_device(app_factory, make_user):
    """The finding: wrong passwords sent to an account used to lock its owner out too."""
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(email="owner@example.org")
    owner = _from(app, "198.51.100.20")
    assert _try(owner, "owner@example.org", PASSWORD) == 302  # the owner's usual browser
    owner.form("/sign-out")
    # Guesses from many addresses: each is slowed, and all of them together stop too.
    statuses = [_try(_from(app, f"203.0.113.{n}"), "owner@example.org", "wrong-guess")
                for n in range(1, 22)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert _try(_from(app, "203.0.113.99"), "owner@example.org", PASSWORD) == 429
    # The owner, on the browser they signed in with before, still gets in at once.
    assert _try(owner, "owner@example.org", PASSWORD) == 302
    assert owner.get("/account").status_code == 200


def test_the_owner_on_a_new_device_gets_in_through_a_reset(app, app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(email="owner@example.org")
    for n in range(1, 22):
        _try(_from(app, f"203.0.113.{n}"), "owner@example.org", "wrong-guess")
    new_phone = _from(app, "198.51.100.30")
    assert _try(new_phone, "owner@example.org", PASSWORD) == 429
    new_phone.form("/password/forgot", {"email": "owner@example.org"})
    mail = app.extensions["navigator.outbox"][-1].get_content()
    link = re.search(r"http://navigator.test(/password/reset/\S+)", mail).group(1)
    new_password = "lantern-orchard-violet-9"
    assert new_phone.form(link, {"password": new_password,
                                 "confirm": new_password}).status_code == 302
    assert _try(new_phone, "owner@example.org", new_password) == 302


def test_rate_limits_are_shared_between_app_instances(app_factory, make_user):
    """Two apps on one database stand for two gunicorn workers: one limit between them."""
    first, second = app_factory(RATELIMIT_ENABLED=True), app_factory(RATELIMIT_ENABLED=True)
    make_user(email="target@example.org")
    clients = [first.test_client(), second.test_client()]
    statuses = [clients[i % 2].form("/sign-in", {"email": "target@example.org",
                                                 "password": "bad"}).status_code
                for i in range(11)]
    assert statuses[-1] == 429


def test_join_by_invitation_creates_account(app, client, session, make_user, make_programme):
    programme = make_programme("Riverside")
    manager = make_user("manager", programme)
    manager_client = login(app.test_client(), manager)
    response = manager_client.form("/people/invite", {"email": "newbie@example.org",
                                                      "programme_id": programme.id,
                                                      "role": "navigator"})
    assert response.status_code == 200
    outbox = app.extensions["navigator.outbox"]
    link = re.search(r"http://navigator.test(/invitation/\S+)", outbox[-1].get_content()).group(1)
    assert outbox[-1]["To"] == "newbie@example.org"
    # A weak password is refused and everything typed except passwords comes back.
    page = client.form(link, {"display_name": "Newbie", "email": "newbie@example.org",
                              "password": "password123", "confirm": "password123"})
    assert page.status_code == 200 and 'value="Newbie"' in page.get_data(as_text=True)
    assert "too common" in page.get_data(as_text=True)
    done = client.form(link, {"display_name": "Newbie", "email": "newbie@example.org",
                              "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 302
    assert client.get(link).status_code == 404  # single use


def test_join_with_code(client, make_programme):
    programme = make_programme()
    response = client.form("/join", {"code": programme.join_code, "display_name": "Ama",
                                     "email": "ama@example.org", "password": PASSWORD,
                                     "confirm": PASSWORD})
    assert response.status_code == 302
    bad = client.form("/sign-out") and client.form("/join", {
        "code": "WRONG123", "display_name": "Kofi", "email": "kofi@example.org",
        "password": PASSWORD, "confirm": PASSWORD})
    assert bad.status_code == 200 and "This join code is not valid" in bad.get_data(as_text=True)
    assert 'value="Kofi"' in bad.get_data(as_text=True)


def test_password_reset_by_email_link(app, client, make_user):
    make_user(email="forgetful@example.org")
    first = client.form("/password/forgot", {"email": "forgetful@example.org"})
    second = client.form("/password/forgot", {"email": "nobody@example.org"})
    assert first.get_data(as_text=True) == second.get_data(as_text=True)  # reveals nothing
    outbox = app.extensions["navigator.outbox"]
    assert len(outbox) == 1
    link = re.search(r"http://navigator.test(/password/reset/\S+)",
                     outbox[0].get_content()).group(1)
    assert client.form(link, {"password": "new-lantern-orchard-7",
                              "confirm": "new-lantern-orchard-7"}).status_code == 302
    assert client.get(link).status_code == 404
    assert client.form("/sign-in", {"email": "forgetful@example.org",
                                    "password": "new-lantern-orchard-7"}).status_code == 302


def test_deactivated_person_is_signed_out(app, session, make_user, make_programme):
    programme = make_programme()
    manager, person = make_user("manager", programme), make_user("navigator", programme)
    person_client = login(app.test_client(), person)
    assert person_client.get("/account").status_code == 200
    manager_client = login(app.test_client(), manager)
    manager_client.form(f"/people/{person.id}/active", {"active": "0"})
    assert person_client.get("/account").status_code == 302
    session.refresh(person)
    assert not person.is_active


def test_security_headers_and_cookies(app_factory, make_user):
    app = app_factory(ENV="production", SECRET_KEY="x" * 40)
    client = app.test_client()
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    with client.get("/static/navigator.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_error_pages_are_localized_and_never_500(client):
    assert client.get("/no/such/page", headers={"Accept-Language": "es"}).status_code == 404
    assert "no encontrada" in client.get("/nope", headers={"Accept-Language": "es"}).get_data(
        as_text=True).lower()
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-in", data={}).status_code == 400          # no CSRF token
    assert client.get("/people/notanumber").status_code == 404
    big = client.post("/sign-in", data={"email": "x" * (9 * 1024 * 1024)})
    assert big.status_code == 413


def test_profile_keeps_input_on_error_and_saves(client, make_user):
    user = make_user()
    login(client, user)
    page = client.form("/account", {"display_name": "", "certificate_name": "Dr Ama Owusu",
                                    "locale": "fr"})
    assert page.status_code == 200 and 'value="Dr Ama Owusu"' in page.get_data(as_text=True)
    client.form("/account", {"display_name": "Ama", "certificate_name": "Dr Ama Owusu",
                             "locale": "fr"})
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)


def test_manager_people_pages(app, make_user, make_programme):
    a, b = make_programme("Alpha"), make_programme("Beta")
    manager = make_user("manager", a)
    make_user("navigator", a, name="Visible Person")
    hidden = make_user("navigator", b, name="Hidden Person")
    client = login(app.test_client(), manager)
    html = client.get("/people?q=person").get_data(as_text=True)
    assert "Visible Person" in html and "Hidden Person" not in html
    assert client.get(f"/people/{hidden.id}").status_code == 404
    # Another programme's id in a form field is refused, not obeyed.
    response = client.form("/people/invite", {"email": "x@example.org", "programme_id": b.id,
                                              "role": "navigator"})
    assert response.status_code == 200 and "x@example.org" in response.get_data(as_text=True)
    assert not app.extensions["navigator.outbox"]


def test_people_list_pages_keep_the_filters(app, make_user, make_programme):
    alpha = make_programme("Alpha")
    manager = make_user("manager", alpha)
    for n in range(51):
        make_user("navigator", alpha, name=f"Cohort Person {n:02}")
    client = login(app.test_client(), manager)
    first = client.get("/people?q=cohort&role=navigator").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Previous page" not in first
    assert "/people?page=2&amp;q=cohort&amp;role=navigator" in first
    second = client.get("/people?q=cohort&role=navigator&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Cohort Person 50" in second
    assert "Next page" not in second and "Previous page" in second


def test_admin_creates_programme(app, session, make_user):
    admin = make_user("admin")
    client = login(app.test_client(), admin)
    response = client.form("/programmes", {"name": "Lakeside clinics", "default_locale": "sw",
                                           "join_code_enabled": "y", "crisis_resources": ""})
    assert response.status_code == 302
    duplicate = client.form("/programmes", {"name": "lakeside CLINICS", "default_locale": "en"})
    assert "already exists" in duplicate.get_data(as_text=True)
    assert session.exec(User.__table__.select()).first() is not None


PRODUCTION = {"ENV": "production", "SECRET_KEY": "x" * 40, "MAIL_WARNINGS": True}


def test_without_a_mail_server_start_up_warns_that_links_go_to_the_console(
        app_factory, caplog):
    app_factory(MAIL_WARNINGS=True)
    assert "No mail server is set" in caplog.text and "printed to this console" in caplog.text


def test_in_production_links_are_never_printed(app_factory, caplog, capsys):
    app = app_factory(**PRODUCTION)
    assert "No mail server is set" in caplog.text and "will not be sent" in caplog.text
    link = "http://navigator.test/password/reset/secret-token-abc"
    with app.app_context():
        from navigator import mail

        mail.send("nia@example.org", "Reset your Navigator password", f"Open {link}")
    printed = capsys.readouterr()
    assert link not in printed.out + printed.err + caplog.text
    assert "nia@example.org" not in caplog.text
    assert "an e-mail was not sent" in caplog.text
    assert app.extensions["navigator.outbox"] == []


def _page_language(client) -> str:
    page = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_a_persons_own_language_beats_the_switcher_which_beats_the_browser(client, make_user):
    assert _page_language(client) == "ar"
    client.form("/language", {"locale": "sw", "next": "/"})
    assert _page_language(client) == "sw"
    login(client, make_user(locale="hi"))
    assert _page_language(client) == "hi"
    login(client, make_user(locale=""))  # no setting of their own: the switcher's stands
    assert _page_language(client) == "sw"
