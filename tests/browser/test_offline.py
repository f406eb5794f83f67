"""Offline in a real Chromium: a saved module read, its quiz answered and an outreach session
logged without a connection, and each recorded exactly once when the connection returns —
also when the connection drops in the middle of sending; a quiz changed meanwhile is shown, not
swallowed; signing out leaves nothing on the device; the narration player needs no script.

The server runs on its own course folder (the learning tests' small course, with a picture
and a quiz) and its own database. Going offline is Chromium's own (context.set_offline); the
"drop" switch lets the server record a form and then cut the connection before answering.
"""

import re
import secrets
import socket
import time
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme
from navigator.learning import audio, package, study
from navigator.learning import services as learning
from navigator.learning.models import QuizAttempt
from navigator.outreach.models import OutreachActivity
from tests.browser.conftest import LiveServer, new_context, shot
from tests.learning.packages import write_package

PASSWORD = "plum-kettle-harbour-42"
MODULE = "/learn/demo/modules/m1/"
LESSON = MODULE + "lessons/l1"
QUIZ = MODULE + "quiz"
RIGHT = {"What does a model read?": "Tokens", "A fluent answer is a true answer.": "False",
         "Which are safe habits?": ["Check the source", "Ask a professional"],
         "What first?": "Look the study up"}


class Switch:
    """WSGI in front of the app: drop the connection after the server has answered a path."""

    def __init__(self, app):
        self.inner = app.wsgi_app
        self.drop: set[str] = set()  # paths whose next POST is recorded, then cut off

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if environ["REQUEST_METHOD"] == "POST" and path in self.drop:
            self.drop.discard(path)
            body = self.inner(environ, lambda *args, **kwargs: None)
            for _chunk in body:
                pass
            if hasattr(body, "close"):
                body.close()  # the request is over: its transaction committed
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            start_response("500 Dropped", [])
            return []
        return self.inner(environ, start_response)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("offline")
    curricula = folder / "curricula"
    curricula.mkdir()
    write_package(curricula)
    write_package(curricula, slug="other", title="Other course")
    live = LiveServer(folder, CURRICULA_PATH=str(curricula))
    live.switch = Switch(live.app)
    live.app.wsgi_app = live.switch
    yield live
    live.stop()


def writing(server) -> Session:
    return Session(db.write_engine(server.app.extensions["navigator.db"]), expire_on_commit=False)


def new_navigator(server) -> tuple[str, int]:
    """A navigator of the demo programme of their own: (e-mail, id)."""
    email = f"offline-{secrets.token_hex(4)}@example.org"
    with writing(server) as s:
        programme = s.exec(select(Programme).where(Programme.name == "Demo programme")).one()
        user = accounts.create_user(s, email=email, password=PASSWORD,
                                    display_name="Offline Navigator", min_length=10)
        accounts.add_role(s, user, programme, "navigator")
        s.commit()
        return email, user.id


def signed_in(browser, server, javascript: bool = True):
    email, user_id = new_navigator(server)
    context = new_context(browser, javascript=javascript)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page, user_id, errors


def controlled(page) -> None:
    """Wait until the service worker looks after the page."""
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")


def save_module(page, server, module: str = MODULE) -> None:
    page.goto(server.url + module)
    controlled(page)
    page.get_by_role("button", name="Save this module for offline").click()
    saved = re.compile(r"Saved on this device \(.+\), in English\.")
    expect(page.get_by_text(saved)).to_be_visible()


def answer_quiz(page) -> None:
    for prompt, chosen in RIGHT.items():
        group = page.get_by_role("group", name=prompt)
        for option in [chosen] if isinstance(chosen, str) else chosen:
            group.get_by_label(option, exact=True).check()
    page.get_by_role("button", name="Submit answers").click()


def log_session(page, server, people: str) -> None:
    page.goto(server.url + "/outreach/new")
    page.get_by_label("Length in minutes", exact=True).fill("30")
    page.get_by_label("Setting", exact=True).select_option(label="Community centre")
    page.get_by_label("Site", exact=True).select_option(label="Another place, not on the list")
    page.get_by_role("group", name="Languages used").get_by_label("English").check()
    page.get_by_label("Number of people reached", exact=True).fill(people)
    page.get_by_role("button", name="Save this session").click()


def recorded(server, user_id: int) -> tuple[list, list]:
    with Session(server.app.extensions["navigator.db"]) as s:
        attempts = s.exec(select(QuizAttempt).where(QuizAttempt.user_id == user_id)).all()
        sessions = s.exec(select(OutreachActivity)
                          .where(OutreachActivity.navigator_id == user_id)).all()
        return list(attempts), list(sessions)


def wait_for(check, seconds: float = 20.0):
    end = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.2)


def outbox(page) -> list[dict]:
    return page.evaluate("NavigatorStore.all('outbox')")


def go_offline_and_answer(page, server, context, people: str) -> None:
    """Offline: the saved lesson and its picture, the quiz answered, a session logged."""
    context.set_offline(True)
    page.goto(server.url + LESSON)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tokens and text")
    expect(page.get_by_text("You are offline: this is the copy saved")).to_be_visible()
    assert page.evaluate("document.querySelector('article img').naturalWidth") == 1
    page.get_by_role("link", name="Next: Fluent is not true").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fluent is not true")
    page.get_by_role("link", name="Take the module quiz").click()
    answer_quiz(page)
    expect(page.get_by_text("Kept on this device: Quiz: First module.")).to_be_visible()
    log_session(page, server, people)
    expect(page.get_by_text(re.compile("Kept on this device: Log an outreach"))).to_be_visible()
    expect(page.locator("#offline-status")).to_contain_text("Waiting to be sent: 2")


def test_a_saved_module_is_read_answered_and_sent_once(browser, server):
    context, page, user_id, errors = signed_in(browser, server)
    try:
        save_module(page, server)
        kept = page.evaluate("""async () => {
            const names = await caches.keys();
            const urls = [];
            for (const name of names) for (const r of await (await caches.open(name)).keys())
                urls.push(new URL(r.url).pathname + new URL(r.url).search);
            return urls; }""")
        for path in (LESSON, MODULE + "lessons/l2", QUIZ, "/learn/demo/assets/pic.png",
                     "/outreach/new", "/offline/"):
            assert path in kept, (path, kept)
        assert any(path.startswith("/static/navigator.css") for path in kept), kept
        assert not any("/m2/" in path for path in kept)  # only the module saved

        go_offline_and_answer(page, server, context, people="6")
        shot(page, "offline-01-kept")
        assert recorded(server, user_id) == ([], [])

        context.set_offline(False)  # the browser says "online": what waits is sent
        assert wait_for(lambda: all(recorded(server, user_id)))
        expect(page.locator("#offline-status")).to_contain_text("Sent just now")
        page.reload()  # the next page asks again: nothing is sent twice
        expect(page.get_by_role("link", name="See your result")).to_be_visible()
        expect(page.get_by_role("link", name="See the session")).to_be_visible()
        expect(page.get_by_text("Nothing is waiting to be sent.")).to_be_visible()
        shot(page, "offline-02-sent")
        time.sleep(1)
        attempts, sessions = recorded(server, user_id)
        assert len(attempts) == 1 and attempts[0].score == 100 and attempts[0].passed
        assert len(sessions) == 1 and sessions[0].people == 6
        assert sessions[0].held_on == date.today()
        page.get_by_role("link", name="See your result").click()
        expect(page.get_by_text("You passed.")).to_be_visible()

        # The saved quiz now carries a new attempt: answered offline again, it is a second one.
        context.set_offline(True)
        page.goto(server.url + QUIZ)
        expect(page.get_by_role("button", name="Submit answers")).to_be_enabled()
        assert page.locator("input[name=attempt_key]").input_value() != attempts[0].attempt_key
        context.set_offline(False)
        assert not errors, errors
    finally:
        context.close()


def test_a_connection_dropped_while_sending_still_records_once(browser, server):
    context, page, user_id, errors = signed_in(browser, server)
    try:
        save_module(page, server)
        go_offline_and_answer(page, server, context, people="4")
        # Each form reaches the server and is recorded, then the answer never comes back.
        server.switch.drop = {QUIZ, "/outreach/new"}
        context.set_offline(False)
        assert wait_for(lambda: recorded(server, user_id)[0])  # the quiz got through
        page.wait_for_timeout(500)
        assert {item["note"] for item in outbox(page)} >= {"interrupted"}
        end = time.monotonic() + 60
        while outbox(page) and time.monotonic() < end:  # each page asks again
            page.goto(server.url + "/offline/")
            page.wait_for_timeout(2000)
        assert outbox(page) == []
        expect(page.get_by_text("Nothing is waiting to be sent.")).to_be_visible()
        attempts, sessions = recorded(server, user_id)
        assert len(attempts) == 1 and len(sessions) == 1
        assert server.switch.drop == set()  # both were cut off once
        assert not [e for e in errors if "ERR_" not in e and "Failed to load" not in e], errors
    finally:
        server.switch.drop = set()
        context.close()


def test_a_quiz_changed_meanwhile_is_shown_not_swallowed(browser, server):
    context, page, user_id, _errors = signed_in(browser, server)
    try:
        save_module(page, server, "/learn/other/modules/m1/")
        context.set_offline(True)
        page.goto(server.url + "/learn/other/modules/m1/quiz")
        answer_quiz(page)
        expect(page.get_by_text("Kept on this device: Quiz: First module.")).to_be_visible()
        # Meanwhile the course has a new version, and the navigator follows it.
        with writing(server) as s:
            pkg = package.load_package(Path(server.app.config["CURRICULA_PATH"]) / "other")
            pkg.version = 2
            learning.import_package(s, pkg)
            s.commit()
            study.switch_to_latest(s, user_id, "other")
            s.commit()
        context.set_offline(False)
        changed = page.get_by_text("This quiz has changed since you saved it")
        end = time.monotonic() + 60
        while not changed.is_visible() and time.monotonic() < end:
            page.goto(server.url + "/offline/")  # the next page asks again, if need be
            page.wait_for_timeout(2000)
        expect(changed).to_be_visible()
        expect(page.get_by_role("link", name="Take the quiz again")).to_be_visible()
        expect(page.locator("#offline-status")).to_contain_text("Needs your attention: 1")
        shot(page, "offline-03-conflict")
        assert recorded(server, user_id)[0] == []
        page.get_by_role("button", name="Delete it from this device").click()
        expect(page.get_by_text("This quiz has changed since you saved it")).to_be_hidden()
    finally:
        context.close()


def test_signing_out_leaves_nothing_on_the_device(browser, server):
    context, page, _user_id, _errors = signed_in(browser, server)
    try:
        save_module(page, server)
        context.set_offline(True)
        page.goto(server.url + QUIZ)
        answer_quiz(page)
        expect(page.get_by_text("Kept on this device: Quiz: First module.")).to_be_visible()
        context.set_offline(False)
        server.switch.drop = set()
        page.goto(server.url + "/learn/")
        page.wait_for_timeout(1500)  # sent meanwhile, or still waiting: either way it goes
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r".*/sign-in"))
        left = page.evaluate("""async () => ({
            caches: await caches.keys(),
            dbs: (await indexedDB.databases()).map(d => d.name),
            workers: (await navigator.serviceWorker.getRegistrations()).length})""")
        assert left["caches"] == [], left
        if "navigator-offline" in left["dbs"]:
            for store in ("modules", "outbox", "sent", "meta"):
                assert page.evaluate(f"""() => new Promise(done => {{
                    const r = indexedDB.open('navigator-offline', 1);
                    r.onsuccess = () => {{ const q = r.result.transaction('{store}')
                        .objectStore('{store}').count(); q.onsuccess = () => done(q.result); }};
                    r.onupgradeneeded = () => {{}}; }})""") == 0
    finally:
        context.close()


def test_the_narration_player_works_without_javascript(browser, server):
    if not _voices(server):
        pytest.skip("espeak-ng and opusenc are not installed (bash .ci/install)")
    context, page, _user_id, _errors = signed_in(browser, server, javascript=False)
    try:
        page.goto(server.url + LESSON)
        expect(page.get_by_text("Computer voice: read by a machine")).to_be_visible()
        for _ in range(60):  # the job queue makes it once, in the background
            if page.locator("audio[controls]").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        player = page.locator("audio[controls]")
        expect(player).to_have_count(1)
        src = player.get_attribute("src")
        response = page.request.get(server.url + src)
        assert response.ok and response.headers["content-type"] == "audio/ogg"
        assert audio.ogg_seconds(response.body()) > 3
        shot(page, "offline-04-player-nojs")
    finally:
        context.close()


def _voices(server) -> bool:
    with server.app.app_context():
        from navigator.learning import narration

        return narration.synthesis_on()


def test_narrations_are_kept_with_the_module_and_play_offline(browser, server):
    if not _voices(server):
        pytest.skip("espeak-ng and opusenc are not installed (bash .ci/install)")
    context, page, _user_id, errors = signed_in(browser, server)
    try:
        # Asking for the module's list asks for its voices; the job queue makes them.
        listing = server.url + "/offline/modules/demo/m1.json"
        assert wait_for(lambda: page.request.get(listing).json()["narrations_pending"] == 0,
                        90)
        save_module(page, server)
        context.set_offline(True)
        page.goto(server.url + LESSON)
        expect(page.get_by_text("You are offline: this is the copy saved")).to_be_visible()
        seconds = page.evaluate("""() => new Promise((done, fail) => {
            const player = document.querySelector('audio[controls]');
            player.addEventListener('loadedmetadata', () => done(player.duration));
            player.addEventListener('error', () => fail(String(player.error && player.error.code)));
            player.preload = 'metadata';
            player.load(); })""")
        assert seconds > 3
        player = page.locator("audio[controls]")
        player.focus()  # the browser's own controls: reachable and played from the keyboard
        page.keyboard.press("Space")
        assert wait_for(lambda: page.evaluate("document.querySelector('audio').currentTime") > 0,
                        10)
        assert not errors, errors
    finally:
        context.set_offline(False)
        context.close()
