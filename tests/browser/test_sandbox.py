"""The sandbox in a real Chromium: live updates under the strict CSP, and no axe violations."""

import pytest

from tests.browser.conftest import new_context, shot, sign_in
from tests.browser.test_accessibility import axe, describe

PAGES = ["/sandbox/", "/sandbox/tokens", "/sandbox/step", "/sandbox/generate", "/sandbox/runs",
         "/sandbox/corpora/skewed/en", "/sandbox/scenarios/bias-probe",
         "/sandbox/scenarios/language-gap", "/sandbox/scenarios/memorisation",
         "/sandbox/scenarios/base-vs-tuned", "/sandbox/scenarios/temperature"]


def test_the_mixing_slider_reruns_in_place(browser, live_server):
    context = new_context(browser)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        sign_in(page, live_server, "navigator")
        page.goto(live_server.url + "/sandbox/scenarios/base-vs-tuned")
        page.evaluate("window.stayed = true")  # lost if the page were loaded again
        page.click("details.panel summary")
        page.locator("#mix").fill("0.3")
        page.wait_for_selector("#results h3:has-text('Mixing weight 0.3')")
        assert page.evaluate("window.stayed") is True
        assert page.locator("output.range-value").inner_text() == "0.3"

        page.goto(live_server.url + "/sandbox/tokens")
        page.evaluate("window.stayed = true")
        page.fill("#text", "Hydration helps")
        page.locator("#results", has_text="\u2581helps").wait_for()
        assert page.evaluate("window.stayed") is True
        assert not errors, errors  # a CSP refusal would show here
    except Exception:
        shot(page, "sandbox-live")
        raise
    finally:
        context.close()


def test_the_step_through_works_without_javascript(browser, live_server):
    context = new_context(browser, javascript=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "navigator")
        page.goto(live_server.url + "/sandbox/step")
        before = page.input_value("#text")
        page.click("button[name=action][value=sample]")
        assert len(page.input_value("#text")) > len(before)
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["ar"])  # right to left: the harder layout
def test_sandbox_pages_pass_axe(browser, live_server, locale):
    context = new_context(browser, locale=locale, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "navigator")
        failures = []
        for path in PAGES:
            page.goto(live_server.url + path)
            violations = axe(page)
            if violations:
                shot(page, f"axe-sandbox-{locale}-{path}")
                failures.append(f"{path} ({locale}):\n{describe(violations)}")
        assert not failures, "\n".join(failures)
    finally:
        context.close()
