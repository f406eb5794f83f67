"""The question editor and item analysis in a real Chromium on a 360-pixel phone: the editor
without JavaScript, and both pages free of axe-core violations in English and Arabic."""

import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme
from navigator.authoring import services as authoring
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import Course, Module, Quiz
from tests.browser.conftest import new_context, shot, sign_in
from tests.browser.test_accessibility import axe, describe
from tests.test_curricula import tiny


@pytest.fixture(scope="module")
def tiny_course(live_server, tmp_path_factory) -> dict:
    """The tiny course, published, offered to the demo programme, with a draft to edit and
    attempts at its quiz from eight navigators; the addresses the tests open."""
    root = tiny(tmp_path_factory.mktemp("editor"))
    with live_server.app.app_context(), db.write_session() as s:
        version, _new = learning.import_package(s, package.load_package(root))
        programme = s.exec(select(Programme).where(Programme.name == "Demo programme")).one()
        learning.offer_course(s, programme.id, version.course_id)
        quiz = s.exec(select(Quiz).where(Quiz.version_id == version.id,
                                         Quiz.module_id.is_not(None))).one()
        for n in range(8):
            user = accounts.create_user(s, email=f"items-{secrets.token_hex(4)}@example.org",
                                        password="harbour-" + secrets.token_hex(8),
                                        display_name=f"Items {n}", min_length=10)
            accounts.add_role(s, user, programme, "navigator")
            attempt = learning.start_attempt(s, user.id, quiz, "ar" if n % 3 == 0 else "en")
            learning.submit_attempt(s, user.id, quiz, attempt, {
                "q1": ["b" if n % 2 else "a"], "q2": ["false" if n % 4 else "true"]})
        draft = authoring.start_draft(s, s.get(Course, version.course_id))
        s.flush()
        module = s.exec(select(Module).where(Module.version_id == draft.id)).one()
        return {"editor": f"/author/versions/{draft.id}/quiz?module={module.id}",
                "items": f"/author/courses/{version.course_id}/items/{quiz.id}"}


def test_question_editor_works_without_javascript_on_a_phone(browser, live_server,
                                                             tiny_course):
    context = new_context(browser, javascript=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        page.goto(live_server.url + tiny_course["editor"])
        expect(page.get_by_role("heading", name="Edit the quiz")).to_be_visible()
        question = page.get_by_label("Question", exact=True).first
        question.fill("Which one does a model write?")
        page.get_by_role("button", name=re.compile(r"^Add an option\W+question 1$")).click()
        # The whole form came back: what was typed is there, and a third option to fill.
        expect(page.get_by_label("Question", exact=True).first).to_have_value(
            "Which one does a model write?")
        page.get_by_label("Option C", exact=True).fill("A third, added in the browser")
        page.get_by_role("button", name=re.compile(r"^Move up\W+option C of question 1$")).click()
        expect(page.get_by_label("Option B", exact=True)).to_have_value(
            "A third, added in the browser")
        page.get_by_role("button", name="Preview").first.click()
        expect(page.get_by_role("heading", name="Preview: what navigators see")).to_be_visible()
        expect(page.locator("section[aria-labelledby=preview-h]")).to_contain_text(
            "Which one does a model write?")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the editor is {width} px wide on a 360 px phone"
        shot(page, "editor-01-preview-phone-nojs")
        page.get_by_label("Option A", exact=True).fill("")
        page.get_by_role("button", name="Save").first.click()
        # A message beside the empty field, and the rest as typed.
        expect(page.locator("#q0-o0-text-error")).to_have_text("Write the option, or remove it.")
        expect(page.get_by_label("Option B", exact=True)).to_have_value(
            "A third, added in the browser")
        shot(page, "editor-02-message-phone-nojs")
        page.get_by_role("button", name=re.compile(r"^Remove\W+option A of question 1$")).click()
        page.get_by_role("button", name="Save").first.click()
        expect(page.get_by_text("Quiz saved.")).to_be_visible()
        expect(page.get_by_label("Option A", exact=True)).to_have_value(
            "A third, added in the browser")
        expect(page.get_by_label("Option B", exact=True)).to_have_value("That one")
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_editor_and_item_analysis_pass_axe(browser, live_server, tiny_course, locale):
    context = new_context(browser, locale=locale, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        failures = []
        for name, path in (("editor", tiny_course["editor"]),
                           ("translation", tiny_course["editor"] + "&locale=es"),
                           ("items", tiny_course["items"])):
            response = page.goto(live_server.url + path)
            assert response.status == 200, (path, response.status)
            if name == "items":
                assert page.locator("svg.chart").count() == 3
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, f"item analysis is {width} px wide on a 360 px phone"
            shot(page, f"{name}-{locale}-phone")
            violations = axe(page)
            if violations:
                failures.append(f"{path} ({locale}):\n{describe(violations)}")
        assert not failures, "\n".join(failures)
    finally:
        context.close()
