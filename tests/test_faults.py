"""The database briefly locked: requests wait and succeed; locked too long: a clear answer."""

import re
import sqlite3
import threading
import time

from navigator import db
from navigator.accounts.models import User
from tests.conftest import login


def _sqlite_app(app_factory, tmp_path, **settings):
    """An app on its own SQLite file, whatever database the rest of the suite uses."""
    path = tmp_path / "locked.db"
    db.upgrade(f"sqlite:///{path}", tmp_path)
    return app_factory(DATABASE_URL=f"sqlite:///{path}", **settings), path


def _hold_write_lock(path, seconds: float) -> threading.Thread:
    """Another process's writer: it takes SQLite's write lock and keeps it a while."""
    ready = threading.Event()

    def hold():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait()
    return thread


def _profile(client, name: str):
    return client.form("/account", {"display_name": name, "certificate_name": "",
                                    "locale": ""})


def _make_user(app, email: str) -> User:
    from navigator.accounts import services

    with app.app_context(), db.write_session() as s:
        return services.create_user(s, email=email, password="plum-kettle-harbour-42",
                                    display_name="Before", min_length=10)


def test_a_briefly_locked_database_makes_requests_wait_not_fail(app_factory, tmp_path):
    app, path = _sqlite_app(app_factory, tmp_path)
    user = _make_user(app, "wait@example.org")
    client = login(app.test_client(), user)
    holder = _hold_write_lock(path, 1.0)
    started = time.monotonic()
    response = _profile(client, "After the wait")
    holder.join()
    assert response.status_code == 302 and time.monotonic() - started >= 0.9
    assert "After the wait" in client.get("/account").get_data(as_text=True)


def test_a_database_locked_too_long_gets_a_clear_answer_and_keeps_nothing_half_done(
        app_factory, tmp_path):
    app, path = _sqlite_app(app_factory, tmp_path, SQLITE_BUSY_SECONDS=0.3)
    user = _make_user(app, "busy@example.org")
    client = login(app.test_client(), user)
    holder = _hold_write_lock(path, 2.0)
    response = _profile(client, "Lost?")
    holder.join()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "The platform is busy" in html
    assert "Lost?" not in client.get("/account").get_data(as_text=True)  # nothing half-saved
    assert _profile(client, "Sent again").status_code == 302  # and it works again
    assert client.get("/health").status_code == 200


def test_the_busy_page_gives_back_the_form_as_typed_and_says_when_to_retry(
        app_factory, tmp_path):
    app, path = _sqlite_app(app_factory, tmp_path, SQLITE_BUSY_SECONDS=0.3)
    user = _make_user(app, "busy-form@example.org")
    client = login(app.test_client(), user)
    holder = _hold_write_lock(path, 2.0)  # another process holds SQLite's write lock
    response = client.form("/account", {"display_name": "Amani Wanjiru",
                                        "certificate_name": "Amani W. Wanjiru", "locale": "sw"})
    holder.join()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "The platform is busy" in html
    assert int(response.headers["Retry-After"]) > 0
    # The same page, its form filled in as it was sent, saying what happened.
    assert 'action="/account"' in html and 'name="csrf_token"' in html
    assert 'value="Amani Wanjiru"' in html and 'value="Amani W. Wanjiru"' in html
    assert re.search(r'<option[^>]* selected value="sw">', html)
    assert "nothing was saved yet" in html
    # Sending it again from that page works once the lock is gone.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    again = client.post("/account", data={"csrf_token": token, "display_name": "Amani Wanjiru",
                                          "certificate_name": "Amani W. Wanjiru",
                                          "locale": "sw"})
    assert again.status_code == 302


def test_a_busy_answer_to_a_form_of_another_page_keeps_that_form(app_factory, tmp_path):
    app, path = _sqlite_app(app_factory, tmp_path, SQLITE_BUSY_SECONDS=0.3)
    user = _make_user(app, "busy-token@example.org")
    client = login(app.test_client(), user)
    holder = _hold_write_lock(path, 2.0)
    response = client.form("/account/tokens", {"name": "My notebook"})
    holder.join()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and 'action="/account/tokens"' in html
    assert 'value="My notebook"' in html and response.headers["Retry-After"]
    assert "nothing was saved yet" in html


def test_a_busy_answer_without_a_form_to_give_back_still_says_when_to_retry(
        app_factory, tmp_path):
    app, path = _sqlite_app(app_factory, tmp_path, SQLITE_BUSY_SECONDS=0.3)
    user = _make_user(app, "busy-out@example.org")
    client = login(app.test_client(), user)
    holder = _hold_write_lock(path, 2.0)
    response = client.form("/sign-out")  # a button, not a form: nothing typed to keep
    holder.join()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "The platform is busy" in response.get_data(as_text=True)
