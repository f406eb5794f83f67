"""Browser fixtures: the real app served on loopback, driven by Debian's Chromium.

Playwright launches /usr/bin/chromium (installed by .ci/install); it never downloads a
browser. Screenshots go to artifacts/screenshots/, which CI keeps.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from navigator import create_app, db, jobs
from navigator.cli import seed_demo
from navigator.config import database_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NAVIGATOR_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-quic"]


class LiveServer:
    """The app on a free loopback port, with the demo programme and a job worker."""

    def __init__(self, tmp: Path, **overrides):
        settings = {"INSTANCE_PATH": str(tmp / "instance"), "SECRET_KEY": "browser-tests",
                    "DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
                    "RATELIMIT_ENABLED": False, **overrides}
        self.app = create_app(settings)
        with self.app.app_context():
            db.upgrade(database_url(self.app.config), tmp / "instance")
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["BASE_URL"] = self.url
        with self.app.app_context():
            self.credentials = {role: (email, password)
                                for role, email, password in seed_demo() or []}
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.worker = jobs.start_worker(self.app, workers=1)

    def stop(self):
        self.worker.stop()
        self.server.shutdown()
        self.app.extensions["navigator.db"].dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run bash .ci/install --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, *, javascript: bool = True, width: int = 360, **kwargs):
    """A fresh browser profile: phone-sized by default, as navigators mostly use."""
    return browser.new_context(java_script_enabled=javascript,
                               viewport={"width": width, "height": 740}, **kwargs)


@pytest.fixture
def page(browser):
    context = new_context(browser)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    """Keep a full-page screenshot as a CI artefact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^a-z0-9_.-]+", "-", name.lower())
    page.screenshot(path=str(SHOTS / f"{safe}.png"), full_page=True)


def sign_in(page, server: LiveServer, role: str) -> None:
    email, password = server.credentials[role]
    page.goto(server.url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/")
