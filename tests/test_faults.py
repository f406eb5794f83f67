"""The database briefly locked: requests wait and succeed; locked too long: a clear answer."""

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
