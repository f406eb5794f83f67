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


# --- a slow model under gunicorn, deployed as the README says ------------------------------------

def _trickling_server():
    """A loopback 'model' that answers one byte a second, and one that never answers."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def _answer(self):
            if self.path.startswith("/never/"):
                stop.wait(120)
                return
            body = json.dumps({"choices": [{"message": {"content": "late"},
                                            "finish_reason": "stop"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for byte in body:
                    if stop.wait(1.0):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:
                pass  # the platform stopped waiting, as it should

        def do_GET(self):
            self._answer()

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, stop


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _signed_in(base: str, email: str):
    import httpx

    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    token = _csrf(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                             "password": "plum-kettle-harbour-42"})
    assert response.status_code == 302, response.text[:500]
    return client


def test_under_gunicorn_a_slow_model_never_ends_in_a_bare_500(tmp_path):
    """gunicorn as the README runs it (30-second worker timeout), the default wait of 20 s:
    a sandbox run on a model trickling one byte a second ends in a page with a message and the
    built-in answer, and the Test button on a model that never answers in a message, both well
    inside the worker timeout."""
    import os
    import socket
    import subprocess
    from pathlib import Path

    from navigator import create_app
    from navigator.accounts import services
    from navigator.sandbox import endpoints

    root = Path(__file__).resolve().parent.parent
    model, stop = _trickling_server()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "NAVIGATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
           "NAVIGATOR_INSTANCE_PATH": str(tmp_path / "instance"),
           "NAVIGATOR_SECRET_KEY": "gunicorn-test-" + "k" * 32,
           "NAVIGATOR_ENDPOINTS_ALLOW_PRIVATE": "true", "NAVIGATOR_RATELIMIT_ENABLED": "false",
           "NAVIGATOR_DEMO": "false"}
    app = create_app({k.removeprefix("NAVIGATOR_"): v for k, v in env.items()
                      if k.startswith("NAVIGATOR_") and k not in (
                          "NAVIGATOR_ENDPOINTS_ALLOW_PRIVATE", "NAVIGATOR_RATELIMIT_ENABLED",
                          "NAVIGATOR_DEMO")} | {"DEMO": False})
    db.upgrade(app.config["DATABASE_URL"], tmp_path)
    with app.app_context(), db.write_session() as s:
        admin = services.create_user(s, email="admin@example.org", is_admin=True,
                                     password="plum-kettle-harbour-42", display_name="Admin",
                                     min_length=10)
        nav = services.create_user(s, email="nav@example.org", password="plum-kettle-harbour-42",
                                   display_name="Nav", min_length=10)
        services.add_role(s, nav, services.create_programme(s, name="P"), "navigator")
        actor = services.principal(s, admin)
        ids = {}
        for name in ("trickle", "never"):
            ids[name] = endpoints.save_endpoint(
                s, actor, None, name=name, base_url=f"http://127.0.0.1:{model.server_port}/"
                f"{name}/v1", model="m", paid=False, enabled=True, api_key="sk-x",
                allow_private=True).id
    app.extensions["navigator.db"].dispose()
    server = subprocess.Popen([str(root / ".venv/bin/gunicorn"), "-w", "2", "-b",
                               f"127.0.0.1:{port}", "app:app"], cwd=root, env=env,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(150):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        navigator, administrator = _signed_in(base, "nav@example.org"), _signed_in(
            base, "admin@example.org")

        def run(endpoint_id):
            token = _csrf(navigator.get("/sandbox/generate").text)
            started = time.monotonic()
            page = navigator.post("/sandbox/generate", data={
                "csrf_token": token, "prompt": "A good night's sleep", "temperature": "0.8",
                "top_k": "40", "top_p": "1", "max_tokens": "12", "seed": "5", "mix": "0",
                "endpoint": str(endpoint_id)})
            return page, time.monotonic() - started

        def test_button():
            token = _csrf(administrator.get(f"/admin/llm-endpoints/{ids['never']}").text)
            started = time.monotonic()
            response = administrator.post(f"/admin/llm-endpoints/{ids['never']}/test",
                                          data={"csrf_token": token})
            took = time.monotonic() - started
            page = administrator.get(f"/admin/llm-endpoints/{ids['never']}")
            return response, page, took

        # One after the other: on SQLite, sandbox runs take turns for the write lock.
        results = [run(ids["trickle"])]
        response, button_page, button_took = test_button()
        navigator.close()
        administrator.close()
    finally:
        stop.set()
        model.shutdown()
        model.server_close()
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert "WORKER TIMEOUT" not in log, log[-6000:]
    for page, took in results:
        html = page.text
        assert page.status_code == 200 and took < 25, (page.status_code, took)
        assert "The model took too long to answer." in html
        assert "What the built-in model wrote" in html
    assert response.status_code == 302 and button_took < 15
    assert "The connection failed: The model took too long" in button_page.text
