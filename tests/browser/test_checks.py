"""Chatbot checks in a real Chromium on a 360-pixel phone: the whole journey without JavaScript,
and axe-core on every checks page in every platform language."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session, select

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme, User
from navigator.checks import protocol, services
from navigator.i18n import CODES
from tests.browser.conftest import new_context, shot, sign_in
from tests.browser.test_accessibility import axe, describe

PROTOCOL = protocol.load(Path(__file__).resolve().parents[2] / "curricula" / "llm-literacy"
                         / "checks")
PASTED = "I hear you. Please call a crisis line now: 0800 123 4567. You are not alone."


def _users(server) -> dict:
    with Session(server.app.extensions["navigator.db"], expire_on_commit=False) as s:
        return {role: s.exec(select(User).where(User.email == email)).one()
                for role, (email, _password) in server.credentials.items() if "@" in email}


@pytest.fixture(scope="module")
def checks(live_server) -> dict:
    """A draft, a submitted and an approved check of the demo navigator, made once."""
    users = _users(live_server)
    with db.write_session(live_server.app.extensions["navigator.db"]) as s:
        programme = s.exec(select(Programme.id)).first()
        me = accounts.principal(s, s.get(User, users["navigator"].id))
        trainer = accounts.principal(s, s.get(User, users["trainer"].id))
        made = {}
        for name in ("draft", "submitted", "approved"):
            check = services.start_check(s, me, PROTOCOL, programme_id=programme,
                                         chatbot=f"Axe {name}", details="Web", locale="en",
                                         second_locale="hi")
            s.commit()
            made[name] = check.id
            if name == "draft":
                continue
            services.save_product(s, me, PROTOCOL, check.id, {
                q.id: services.ProductInput("Kept 30 days.", "Privacy policy",
                                            "concern" if q.id == "sharing" else "reassuring")
                for q in PROTOCOL.questions})
            for probe in PROTOCOL.probes:
                messages = services.messages_of(PROTOCOL, check, probe)
                services.save_probe(s, me, PROTOCOL, check.id, probe.id, services.ProbeInput(
                    {m.key: "Please talk to a doctor. Smith et al. (2019)." for m in messages},
                    "not_met" if probe.id == "citation" else "met",
                    "Made up." if probe.id == "citation" else ""))
            services.submit(s, me, PROTOCOL, check.id)
            s.commit()
            if name == "approved":
                services.approve(s, trainer, check.id)
                s.commit()
        return made


PAGES = {
    "navigator": ["/checks/", "/checks/new", "/checks/{draft}", "/checks/{draft}/product",
                  "/checks/{draft}/probes/crisis", "/checks/{draft}/probes/language",
                  "/checks/{approved}", "/checks/library", "/checks/{approved}/handout"],
    "trainer": ["/checks/reviews", "/checks/{submitted}", "/checks/library"],
}


@pytest.mark.parametrize("locale", CODES)
@pytest.mark.parametrize("role", sorted(PAGES))
def test_checks_pages_pass_axe_on_a_phone(browser, live_server, checks, locale, role):
    context = new_context(browser, locale=locale.replace("_", "-"), bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, role)
        failures = []
        for path in (p.format(**checks) for p in PAGES[role]):
            response = page.goto(live_server.url + path)
            if response.status != 200:
                failures.append(f"{path} ({locale}): HTTP {response.status}")
                continue
            lang = locale.replace("_", "-")
            if page.get_attribute("html", "lang") != lang:
                failures.append(f"{path}: html lang is not {lang}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                failures.append(f"{path} ({locale}): {width} px wide on a 360 px phone")
            violations = axe(page)
            if violations:
                shot(page, f"axe-checks-{locale}-{role}-{path}")
                failures.append(f"{path} ({locale}, {role}):\n{describe(violations)}")
        assert not failures, "\n".join(failures)
    finally:
        context.close()


def _rate(page, server, check_id: int, probe_id: str, rating: str = "met") -> None:
    page.goto(f"{server.url}/checks/{check_id}/probes/{probe_id}")
    page.check(f"#rating-{['met', 'partly', 'not_met', 'untested'].index(rating)}")
    page.click("form:has(#rating) button.primary")
    page.wait_for_url(re.compile(rf"/checks/{check_id}(#.*)?$"))


def test_check_submit_return_fix_approve_without_javascript(browser, live_server, tmp_path):
    from navigator.sandbox import web

    with live_server.app.app_context():
        web.box().engine()  # trained once per process, as any sandbox page would
    nav_context = new_context(browser, javascript=False)
    page = nav_context.new_page()
    sign_in(page, live_server, "navigator")
    page.goto(live_server.url + "/checks/")
    page.click("text=Start a check")
    page.fill("#chatbot", "Journey sandbox model")
    page.fill("#details", "The platform's own model")
    page.select_option("#second_locale", "sw")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/checks/\d+$"))
    check_id = int(page.url.rsplit("/", 1)[1])
    shot(page, "checks-01-started")

    # Part 1, about the product.
    page.click("text=Answer the questions about the product")
    for q in PROTOCOL.questions:
        page.fill(f"#{q.id}_answer", f"The sandbox model: {q.id} is described in its datasheet.")
        page.fill(f"#{q.id}_source", "The corpus datasheets in the course package")
        page.check(f"#{q.id}_finding-0")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(rf"/checks/{check_id}#part-1$"))

    # By hand: one answer pasted, with a phone number the platform asks about first.
    page.goto(f"{live_server.url}/checks/{check_id}/probes/crisis")
    page.fill("#answer_ask", PASTED)
    page.check("#rating-0")
    page.click("form:has(#rating) button.primary")
    assert "may contain personal data" in page.inner_text(".error-summary")
    shot(page, "checks-02-personal-data")
    page.check("#confirm_personal")
    page.click("form:has(#rating) button.primary")
    page.wait_for_url(re.compile(rf"/checks/{check_id}#probe-crisis$"))

    # Automatically: the rest, sent to the embedded model.
    page.select_option("#target", "embedded")
    page.click("text=Send the unanswered messages automatically")
    assert "Answers received" in page.inner_text(".flashes")
    for _again in range(3):  # the model trains on first use: what did not fit is sent again
        if "left)" not in page.inner_text(".flashes"):
            break
        page.click("text=Send the unanswered messages automatically")
    assert "left)" not in page.inner_text(".flashes")
    shot(page, "checks-03-answers-received")
    for probe in PROTOCOL.probes[1:]:
        _rate(page, live_server, check_id, probe.id,
              "partly" if probe.id == "citation" else "met")
    page.goto(f"{live_server.url}/checks/{check_id}")
    page.click("text=Submit the check")
    assert "Submitted" in page.inner_text(".flashes")

    # The trainer returns it with a comment.
    trainer_context = new_context(browser, javascript=False)
    trainer = trainer_context.new_page()
    sign_in(trainer, live_server, "trainer")
    trainer.goto(live_server.url + "/checks/reviews")
    trainer.click("text=Journey sandbox model")
    trainer.fill("#return-note", "Add what a person should watch for.")
    trainer.click("text=Return it with your comment")
    assert "Returned" in trainer.inner_text(".flashes")

    # The navigator fixes it and submits again; the trainer approves.
    page.goto(f"{live_server.url}/checks/{check_id}")
    assert "Add what a person should watch for." in page.inner_text("main")
    page.fill("#watch_for", "It answers in English more fully than in Kiswahili.")
    page.click("form:has(#watch_for) button")
    page.click("text=Submit the check")
    trainer.goto(f"{live_server.url}/checks/{check_id}")
    trainer.click("text=Approve: add it to the library")
    assert "Approved" in trainer.inner_text(".flashes")
    shot(trainer, "checks-04-approved")

    # The handout as PDF: rendered and read back.
    page.goto(f"{live_server.url}/checks/{check_id}")
    with page.expect_download() as download:
        page.click("text=Download the handout (PDF)")
    path = tmp_path / "handout.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "Journey sandbox model" in flat
    assert "It answers in English more fully than in Kiswahili." in flat
    assert " ".join(PROTOCOL.probe_text("citation", "en")["watch"].split()) in flat

    # The library lists it for the programme.
    page.goto(live_server.url + "/checks/library?q=journey")
    card = page.inner_text("main .cards")
    assert "Journey sandbox model" in card and "Concerns:" in card
    shot(page, "checks-05-library")
    trainer_context.close()
    nav_context.close()
