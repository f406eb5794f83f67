"""Renewal through a version switch, in the browser: only what changed is asked for again.

A navigator certified on version 1 of a small course (two modules and a final) sees, once a
trainer publishes version 2 with module m2 rewritten and m3 new, what renewal needs on the
certificates page; switches on the course page; sees m1 carried over (done, not to read again)
and m2 and m3 to do; reads the changed lessons; and is certified on version 2.

The course is built in the server's database with the certification tests' helpers, and quiz
attempts are stored directly: the quiz pages have browser tests of their own.
"""

import pytest
from sqlmodel import Session, select

from navigator import db
from navigator.accounts.models import Programme, User
from navigator.certification import services as certification
from navigator.certification.models import Certificate
from navigator.learning.models import Lesson, LessonText, Module
from tests.browser.conftest import LiveServer, new_context, shot, sign_in
from tests.certification.conftest import attempt, build_version, complete


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server of its own, with no shipped course: this module's course is the only one."""
    tmp = tmp_path_factory.mktemp("renewal-server")
    (tmp / "curricula").mkdir()
    server = LiveServer(tmp, CURRICULA_PATH=str(tmp / "curricula"))
    yield server
    server.stop()


def _session(server: LiveServer) -> Session:
    """A session that writes: on SQLite it takes the write lock first, as jobs do, because a
    transaction that has read cannot start writing once the server's job worker has written."""
    return Session(db.write_engine(server.app.extensions["navigator.db"]), expire_on_commit=False)


def _text(page) -> str:
    return " ".join(page.inner_text("main").split())


def test_renewing_after_a_new_version_asks_only_for_what_changed(browser, live_server):
    url = live_server.url
    with _session(live_server) as s:
        programme = s.exec(select(Programme).where(Programme.name == "Demo programme")).one()
        navigator = s.exec(select(User).where(User.email == "navigator@example.org")).one()
        v1 = build_version(s, programme)
        complete(s, navigator, v1)
        certification.check_navigator(s, navigator.id)
        s.commit()
        first = s.exec(select(Certificate).where(Certificate.version_id == v1.id)).one()

    context = new_context(browser, width=1280)
    page = context.new_page()
    try:
        sign_in(page, live_server, "navigator")
        page.goto(url + "/certificates/")
        assert "Certified." in _text(page)

        with _session(live_server) as s:  # a trainer publishes version 2
            v2 = build_version(s, programme, number=2, modules=("m1", "m2", "m3"))
            m2 = s.exec(select(Module).where(Module.version_id == v2.id,
                                             Module.slug == "m2")).one()
            text = s.exec(select(LessonText).join(Lesson, Lesson.id == LessonText.lesson_id)
                          .where(Lesson.module_id == m2.id)).one()
            text.body = "A lesson, rewritten for version 2."
            s.commit()

        page.goto(url + "/certificates/")
        renewal = _text(page)
        assert "Renewing with version 2 of the course" in renewal
        assert "Changed since your version." in renewal and "New module." in renewal
        assert "progress carries over: Module m1." in renewal
        shot(page, "renewal-certificates-before-switch")

        page.goto(url + "/learn/testing/")
        page.get_by_role("button", name="Switch to version 2").click()
        page.wait_for_url(url + "/learn/testing/")
        course = _text(page)
        assert "1 of 3 modules complete." in course
        m1 = page.locator("ol.modules > li").nth(0)
        assert "Completed in version 1 and unchanged since" in m1.inner_text()
        for n in (1, 2):
            item = page.locator("ol.modules > li").nth(n).inner_text()
            assert "0 of 1 lesson read" in item and "Completed in version" not in item
        shot(page, "renewal-course-after-switch")

        # "Continue" leads to the changed module, not back into the carried one.
        page.get_by_role("link", name="Continue where you left off").or_(
            page.get_by_role("link", name="Start with")).first.click()
        assert "/modules/m2/lessons/l1" in page.url
        page.get_by_role("button", name="Mark as read and continue").click()
        page.goto(url + "/learn/testing/modules/m3/lessons/l1")
        page.get_by_role("button", name="Mark as read and continue").click()

        with _session(live_server) as s:
            for slug in ("m2/quiz", "m3/quiz"):
                attempt(s, navigator, v2, slug, 100)
            attempt(s, navigator, v2, "final", 90)

        page.goto(url + "/certificates/")
        assert "Well done: your certificate" in _text(page)
        shot(page, "renewal-certified-on-version-2")
        with _session(live_server) as s:
            renewed = s.exec(select(Certificate).where(Certificate.version_id == v2.id)).one()
            assert renewed.user_id == navigator.id and renewed.id != first.id
    finally:
        context.close()
