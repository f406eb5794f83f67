"""Whole journeys in a real Chromium, each page kept as a screenshot.

A navigator joins through an invitation and goes all the way to a verified certificate (with
JavaScript, without it, and the key steps by keyboard alone); a trainer edits, translates,
previews and publishes; a manager invites, reads outreach reports and exports certificates.
"""

import io
import re
import secrets
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme
from navigator.certification import services as certification
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import Course, CourseVersion
from tests.browser.conftest import new_context, shot, sign_in
from tests.certification.conftest import complete, log_outreach

COURSE = "browser-journey"
COURSE_TITLE = "Journey course"
LESSON_TITLE = "Why answers change"
TRACK_TITLE = "Certified journey navigator"

# A course small enough to finish in a test: one lesson embedding a shipped sandbox activity,
# a module quiz (pass mark 100, so one wrong answer fails it), a final assessment, and a track
# asking for one outreach session. The answers are below; the tests answer from them.
PACKAGE = {
    "course.yaml": f"""
        id: {COURSE}
        version: 1
        default_locale: en
        title: {COURSE_TITLE}
        description: A short course for the browser tests.
        modules: [basics]
        final_assessment: final
        track:
          id: browser-journey-navigator
          title: {TRACK_TITLE}
          modules: all
          final_pass_mark: 80
          outreach_sessions: 1
          trainer_signoff: false
          valid_months: 24
    """,
    "basics/module.yaml": """
        title: The basics
        summary: How a chatbot picks its words.
        minutes: 5
        lessons: [why-answers-change]
        quiz: quiz
    """,
    "basics/lessons/why-answers-change.en.md": f"""
        ---
        title: {LESSON_TITLE}
        minutes: 5
        ---
        A chatbot picks each next word by chance, weighted by what it has read.

        ```sandbox
        temperature
        ```

        ::: watch
        A different answer to the same question is not a more true one.
        :::
    """,
    "basics/quiz.yaml": """
        pass_mark: 100
        questions:
          - id: q1
            type: single
            options: [a, b, c]
            correct: [b]
          - id: q2
            type: true_false
            correct: [false]
    """,
    "basics/quiz.en.yaml": """
        questions:
          q1:
            prompt: What does a chatbot do at each step?
            options:
              a: {text: It looks the answer up, feedback: No list of facts is kept.}
              b: {text: It picks a likely next word, feedback: Yes.}
              c: {text: It asks a person, feedback: No person is involved.}
            explanation: It predicts, one word at a time.
          q2:
            prompt: The same question always gets the same answer.
            options:
              "true": {feedback: Not with a temperature above zero.}
              "false": {feedback: Right.}
            explanation: Sampling makes answers vary.
    """,
    "final/quiz.yaml": """
        pass_mark: 80
        questions:
          - id: f1
            type: multiple
            options: [a, b, c]
            correct: [a, c]
    """,
    "final/quiz.en.yaml": """
        questions:
          f1:
            prompt: Which settings change how varied the answers are?
            options:
              a: {text: Temperature}
              b: {text: The colour of the chat window}
              c: {text: Top-p}
    """,
}
QUIZ_WRONG = {"What does a chatbot do at each step?": "It looks the answer up",
              "The same question always gets the same answer.": "True"}
QUIZ_RIGHT = {"What does a chatbot do at each step?": "It picks a likely next word",
              "The same question always gets the same answer.": "False"}
FINAL_RIGHT = {"Which settings change how varied the answers are?": ["Temperature", "Top-p"]}


@pytest.fixture(scope="session")
def course(live_server, tmp_path_factory) -> str:
    """The journey course, imported and offered to the demo programme."""
    root = tmp_path_factory.mktemp("package") / COURSE
    for rel, text in PACKAGE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    pkg = package.load_package(root, {"temperature"})
    assert not pkg.errors, pkg.errors
    with live_server.app.app_context(), db.write_session() as s:
        version, _imported = learning.import_package(s, pkg)
        learning.offer_course(s, demo_programme(s).id, version.course_id)
    return COURSE


def demo_programme(s) -> Programme:
    return s.exec(select(Programme).where(Programme.name == "Demo programme")).one()


def unique_email(role: str) -> str:
    return f"{role}-{secrets.token_hex(4)}@example.org"


def new_password() -> str:
    return "harbour-" + secrets.token_hex(8)


def nav(page, name: str):
    """A link in the main navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def invite(page, email: str, name: str) -> str:
    """A signed-in manager invites a navigator; the link the "Invitation sent" page shows."""
    nav(page, "People").click()
    page.get_by_role("link", name="Invite someone").click()
    shot(page, f"{name}-invite")
    page.get_by_label("E-mail address of the person").fill(email)
    page.get_by_label("Programme").select_option(label="Demo programme")
    page.get_by_label("Role").select_option(label="Navigator")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("heading", name="Invitation sent")).to_be_visible()
    shot(page, f"{name}-invitation-sent")
    return page.get_by_label("Invitation link").input_value()


def answer(page, answers: dict) -> None:
    """Choose answers by the question's text and the options' labels, then submit."""
    for prompt, chosen in answers.items():
        group = page.get_by_role("group", name=prompt)
        for option in [chosen] if isinstance(chosen, str) else chosen:
            group.get_by_label(option, exact=True).check()
    page.get_by_role("button", name="Submit answers").click()


def qr_url(pdf: Path) -> str:
    """The text of the QR code on a PDF's first page."""
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(pdf.with_suffix(""))], check=True, timeout=60)
    image = Image.open(next(pdf.parent.glob(pdf.stem + "*.png")))
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1, f"{len(codes)} codes found on the certificate"
    return codes[0].text


def navigator_journey(browser, server, tmp_path: Path, *, javascript: bool) -> None:
    """Invitation to verified certificate, as a new navigator on a phone."""
    tag = "navigator-js" if javascript else "navigator-nojs"
    email = unique_email(tag)
    context = new_context(browser, javascript=javascript)
    try:
        manager = context.new_page()
        sign_in(manager, server, "manager")
        link = invite(manager, email, f"{tag}-00-manager")
    finally:
        context.close()
    context = new_context(browser, javascript=javascript, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(link)
        expect(page.get_by_role("heading", name="Join Demo programme")).to_be_visible()
        shot(page, f"{tag}-01-invitation")
        expect(page.get_by_label("E-mail address")).to_have_value(email)
        page.get_by_label("Your name").fill("Rosa Navigator")
        password = new_password()
        page.get_by_label("Choose a password").fill(password)
        page.get_by_label("Type the password again").fill(password)
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_text("Welcome! You have joined Demo programme.")).to_be_visible()
        shot(page, f"{tag}-02-home")

        # The footer's language switcher: Spanish, then Arabic, right to left.
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        shot(page, f"{tag}-03-home-es")
        page.get_by_role("button", name="العربية").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        shot(page, f"{tag}-04-home-ar")

        # Read the lesson in Arabic: it has no Arabic text yet, so it says so and shows English.
        page.get_by_role("navigation").locator("a[href='/learn/']").click()
        page.get_by_role("link", name=COURSE_TITLE).first.click()
        shot(page, f"{tag}-05-course-ar")
        page.locator("main a.button.primary").click()
        lesson = page.locator("article.lesson")
        expect(lesson.get_by_role("heading", name=LESSON_TITLE)).to_be_visible()
        expect(lesson).to_have_attribute("dir", "ltr")
        expect(page.locator("main p.notice")).to_be_visible()
        shot(page, f"{tag}-06-lesson-ar")
        lesson_url = page.url

        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        assert page.url == lesson_url
        shot(page, f"{tag}-07-lesson-en")

        # The lesson's embedded activity, opened in the sandbox and run with a new prompt.
        page.get_by_role("link", name="Open in the sandbox").click()
        expect(page.get_by_role("heading", name="The run")).to_be_visible()
        shot(page, f"{tag}-08-sandbox")
        page.get_by_text("Change the prompt or the settings and run it again").click()
        page.get_by_label("Prompt").fill("Sleep helps when")
        if javascript:
            page.evaluate("window.stayed = true")  # lost if the page were loaded again
        page.get_by_role("button", name="Run again").click()
        expect(page.locator("#results .prompt-text")).to_have_text("Sleep helps when")
        expect(page.locator("#results h3").first).to_contain_text("Temperature")
        if javascript:  # the run replaced the results in place
            assert page.evaluate("window.stayed") is True
        shot(page, f"{tag}-09-sandbox-run")

        # Back to the lesson the way a person finds it again: through the course page.
        nav(page, "Courses").click()
        page.get_by_role("link", name=COURSE_TITLE).first.click()
        page.get_by_role("link", name=f"Continue where you left off: {LESSON_TITLE}").click()
        page.get_by_role("button", name="Mark as read and continue").click()
        expect(page.get_by_role("heading", name="Quiz: The basics")).to_be_visible()
        shot(page, f"{tag}-10-quiz")

        answer(page, QUIZ_WRONG)
        expect(page.get_by_text("You did not pass this time.")).to_be_visible()
        shot(page, f"{tag}-11-quiz-failed")
        page.get_by_role("link", name="Try again").click()
        answer(page, QUIZ_RIGHT)
        expect(page.get_by_text("You passed.")).to_be_visible()
        shot(page, f"{tag}-12-quiz-passed")

        page.get_by_role("link", name="Back to the course").click()
        page.get_by_role("link", name="Take the final assessment").click()
        shot(page, f"{tag}-13-final")
        answer(page, FINAL_RIGHT)
        expect(page.get_by_text("You passed.")).to_be_visible()
        shot(page, f"{tag}-14-final-passed")

        # One outreach session completes the track: the certificate is issued on saving it.
        nav(page, "My outreach").click()
        page.get_by_role("link", name="Log an outreach session").click()
        shot(page, f"{tag}-15-outreach-form")
        page.get_by_label("Length in minutes", exact=True).fill("45")
        page.get_by_label("Setting", exact=True).select_option(label="Community centre")
        page.get_by_label("Site", exact=True).select_option(label="Another place, not on the list")
        page.get_by_role("group", name="Languages used").get_by_label("English").check()
        page.get_by_label("Number of people reached", exact=True).fill("4")
        page.get_by_role("button", name="Save this session").click()
        expect(page.get_by_text("Your outreach session is saved. Thank you!")).to_be_visible()
        expect(page.get_by_text(f"Well done: your certificate for “{TRACK_TITLE}”")).to_be_visible()
        shot(page, f"{tag}-16-outreach-saved")

        nav(page, "My certificates").click()
        expect(page.get_by_text("Certified.")).to_be_visible()
        shot(page, f"{tag}-17-certificates")
        # The language and paper are chosen at download; the certificate's own are preselected.
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the PDF").click()
        pdf = tmp_path / "certificate.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        # The Open Badge: a badge image with the signed credential baked in, which the
        # verification page checks when it is uploaded.
        with page.expect_download() as download:
            page.get_by_role("link", name="badge image (PNG)").click()
        badge = tmp_path / "badge.png"
        download.value.save_as(badge)
        page.goto(server.url + "/verify/")
        page.get_by_label("Or choose the file").set_input_files(badge)
        page.get_by_role("button", name="Check the credential").click()
        expect(page.get_by_text("This credential is genuine and valid.")).to_be_visible()
        shot(page, f"{tag}-17b-badge-verified")

        url = qr_url(pdf)
        assert url.startswith(server.url + "/verify/"), url
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(url.rsplit("/", 1)[1])
        expect(page.get_by_text("This certificate is valid.")).to_be_visible()
        expect(page.get_by_text("Rosa Navigator")).to_be_visible()
        shot(page, f"{tag}-18-verified")
        assert not errors, errors  # a CSP refusal would show here
    except Exception:
        shot(page, f"{tag}-failure")
        raise
    finally:
        context.close()


def test_navigator_journey(browser, live_server, course, tmp_path):
    navigator_journey(browser, live_server, tmp_path, javascript=True)


def test_navigator_journey_without_javascript(browser, live_server, course, tmp_path):
    navigator_journey(browser, live_server, tmp_path, javascript=False)


# --- by keyboard alone ------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id,
          text: (el.innerText || el.value || '').trim(), label: label.trim(),
          group: el.closest('fieldset') ? el.closest('fieldset').querySelector('legend')
                 .innerText.trim() : '',
          outline: style.outlineStyle, shadow: style.boxShadow};
}"""


def focused(page) -> dict:
    """What has the focus, and whether a sighted keyboard user can see it."""
    info = page.evaluate(FOCUSED)
    assert info["outline"] != "none" or info["shadow"] != "none", f"focus not visible: {info}"
    return info


def tab_to(page, matches, limit: int = 80) -> dict:
    """Press Tab until the focused element matches; every stop on the way must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if matches(info):
            return info
    raise AssertionError("Tab never reached the element")


def choose_by_arrows(page, group: str, option: str) -> None:
    """Tab into a radio group, then move with the arrow keys to the option."""
    tab_to(page, lambda f: f["type"] == "radio" and f["group"] == group)
    for _ in range(6):
        info = focused(page)
        if info["label"] == option:
            page.keyboard.press("Space")  # a radio reached by Tab is focused, not yet chosen
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{option!r} not found in {group!r}")


def test_keyboard_only(browser, live_server, course):
    email, password = unique_email("keyboard"), new_password()
    with live_server.app.app_context(), db.write_session() as s:
        user = accounts.create_user(s, email=email, password=password,
                                    display_name="Kofi Keys", min_length=10)
        accounts.add_role(s, user, demo_programme(s), "navigator")
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/sign-in")
        tab_to(page, lambda f: f["id"] == "email")
        page.keyboard.type(email)
        tab_to(page, lambda f: f["id"] == "password")
        page.keyboard.type(password)
        page.keyboard.press("Enter")
        page.wait_for_url(live_server.url + "/")
        shot(page, "keyboard-01-home")

        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Courses")
        page.keyboard.press("Enter")
        page.wait_for_url("**/learn/")
        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == COURSE_TITLE)
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/learn/{COURSE}/")
        tab_to(page, lambda f: f["text"] == f"Start with: {LESSON_TITLE}")
        shot(page, "keyboard-02-course")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=LESSON_TITLE)).to_be_visible()
        # The embedded activity's link is on the way, reachable like everything else.
        tab_to(page, lambda f: f["text"] == "Open in the sandbox")
        tab_to(page, lambda f: f["text"] == "Mark as read and continue")
        shot(page, "keyboard-03-lesson")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Quiz: The basics")).to_be_visible()

        for prompt, option in QUIZ_RIGHT.items():
            choose_by_arrows(page, prompt, option)
        for prompt, option in QUIZ_RIGHT.items():
            expect(page.get_by_role("group", name=prompt).get_by_label(option, exact=True)
                   ).to_be_checked()
        tab_to(page, lambda f: f["text"] == "Submit answers")
        shot(page, "keyboard-04-quiz")
        page.keyboard.press("Enter")
        expect(page.get_by_text("You passed.")).to_be_visible()
        shot(page, "keyboard-05-result")
        # Back up the page with Shift+Tab: focus stays visible going backwards too.
        page.keyboard.press("Shift+Tab")
        focused(page)
    except Exception:
        shot(page, "keyboard-failure")
        raise
    finally:
        context.close()


# --- trainer --------------------------------------------------------------------------------

def matrix_cell(page, module: str, language: str):
    """A cell of the translation matrix: the module's row, the language's column."""
    header = page.locator("table.matrix thead th")
    column = header.all_inner_texts().index(language)
    return page.locator("table.matrix tbody tr", has=page.get_by_role(
        "rowheader", name=module, exact=True)).locator("th, td").nth(column)


def test_trainer_journey(browser, live_server):
    context = new_context(browser, width=1280)  # trainers write at a desk
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        nav(page, "Authoring").click()
        shot(page, "trainer-01-authoring")
        page.get_by_role("link", name="LLMs and mental health", exact=False).first.click()
        page.get_by_role("button", name="Start a new draft").click()
        expect(page.get_by_text("A new draft is ready.")).to_be_visible()
        shot(page, "trainer-02-draft")
        course_url = page.url

        page.get_by_role("link", name="Translation status").first.click()
        module = page.locator("table.matrix tbody th").first.inner_text()
        expect(matrix_cell(page, module, "Español")).to_have_text(
            re.compile(r"^(up to date, not reviewed|reviewed)$"))
        shot(page, "trainer-03-matrix-before")
        page.get_by_role("link", name="Back to the course").click()

        # The first lesson of the first module, English source.
        page.get_by_role("link", name=module, exact=True).click()
        shot(page, "trainer-04-module")
        page.locator("main ol.editable > li > a").first.click()
        body = page.get_by_label("Lesson text", exact=False)
        added = "A short note added in the browser test."
        body.fill(body.input_value() + "\n\n" + added)
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview")).to_contain_text(added)
        shot(page, "trainer-05-preview")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Saved.")).to_be_visible()
        lesson_url = page.url

        page.goto(course_url)
        page.get_by_role("link", name="Translation status").first.click()
        expect(matrix_cell(page, module, "Español")).to_have_text("outdated: the source changed")
        shot(page, "trainer-06-matrix-outdated")

        # The Spanish translation beside its source, brought up to date.
        page.goto(lesson_url)
        page.get_by_role("navigation", name="Edit in another language").get_by_role(
            "link", name="Español").click()
        expect(page.get_by_role("heading", name="Source text")).to_be_visible()
        expect(page.get_by_text("outdated: the source changed")).to_be_visible()
        body = page.get_by_label("Lesson text", exact=False)
        body.fill(body.input_value() + "\n\nUna nota breve añadida en la prueba del navegador.")
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview")).to_contain_text("Una nota breve")
        shot(page, "trainer-07-translation")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("up to date, not reviewed")).to_be_visible()

        page.goto(course_url)
        page.get_by_role("link", name="Translation status").first.click()
        # Saved but not yet reviewed by a second person: the matrix says so.
        expect(matrix_cell(page, module, "Español")).to_have_text("up to date, not reviewed")
        shot(page, "trainer-08-matrix-current")
        page.get_by_role("link", name="Back to the course").click()
        page.get_by_role("button", name="Publish version").click()
        expect(page.get_by_text("is published.")).to_be_visible()
        shot(page, "trainer-09-published")
    except Exception:
        shot(page, "trainer-failure")
        raise
    finally:
        context.close()


# --- manager --------------------------------------------------------------------------------

def certify_someone(server) -> str:
    """A navigator of the demo programme who holds a certificate: the register has a row."""
    name = f"Certified {secrets.token_hex(3)}"
    with server.app.app_context(), db.write_session() as s:
        programme = demo_programme(s)
        user = accounts.create_user(s, email=unique_email("certified"), password=new_password(),
                                    display_name=name, min_length=10)
        accounts.add_role(s, user, programme, "navigator")
        version = s.exec(select(CourseVersion).join(Course).where(Course.slug == COURSE)).one()
        complete(s, user, version)
        log_outreach(s, user, programme, 1)
        outcomes = certification.check_navigator(s, user.id)
        assert [o.kind for o in outcomes] == ["issued"]
    return name


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_manager_journey(browser, live_server, course, tmp_path, javascript):
    tag = "manager-js" if javascript else "manager-nojs"
    holder = certify_someone(live_server)
    context = new_context(browser, javascript=javascript, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        sign_in(page, live_server, "manager")
        email = unique_email("invited")
        assert "/invitation/" in invite(page, email, f"{tag}-01")
        page.get_by_role("link", name="Invite someone else").click()
        expect(page.get_by_role("cell", name=email)).to_be_visible()  # now an open invitation
        shot(page, f"{tag}-02-open-invitations")
        nav(page, "Outreach reports").click()
        shot(page, f"{tag}-03-outreach-reports")
        page.get_by_role("link", name="Report", exact=True).first.click()
        expect(page.get_by_role("heading", name="Outreach report")).to_be_visible()
        shot(page, f"{tag}-04-outreach-report")

        nav(page, "Certificates").click()
        expect(page.get_by_role("rowheader", name=holder)).to_be_visible()
        shot(page, f"{tag}-05-register")
        page.get_by_label("Format").select_option(
            label="Certificates as PDF, with the register (ZIP)")
        page.get_by_role("button", name="Start the export").click()
        expect(page.get_by_role("heading", name="Certificate export")).to_be_visible()
        shot(page, f"{tag}-06-export-progress")
        if javascript:
            page.evaluate("window.stayed = true")  # lost if the page were loaded again
        # The progress updates by itself (in place, or by reloading without JavaScript).
        download_link = page.get_by_role("link", name="Download", exact=True)
        expect(download_link).to_be_visible(timeout=60_000)
        if javascript:
            assert page.evaluate("window.stayed") is True
            expect(page.get_by_text("This page refreshes by itself")).to_have_count(0)
        shot(page, f"{tag}-07-export-ready")
        with page.expect_download() as download:
            download_link.click()
        path = tmp_path / "certificates.zip"
        download.value.save_as(path)
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
            names = archive.namelist()
        assert any(n.endswith(".pdf") for n in names), names
        assert any(n.endswith(".csv") for n in names), names
        assert not errors, errors  # a CSP refusal would show here
    except Exception:
        shot(page, "manager-failure")
        raise
    finally:
        context.close()
