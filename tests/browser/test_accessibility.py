"""axe-core on every page type, in every platform language: no WCAG 2.2 AA violations."""

import json

import pytest

from navigator.i18n import CODES
from tests.browser.conftest import AXE, new_context, shot, sign_in

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

PUBLIC = ["/", "/sign-in", "/join", "/password/forgot", "/no-such-page"]
BY_ROLE = {
    "navigator": ["/", "/account", "/account/password", "/learn/"],
    "trainer": ["/author/"],
    "manager": ["/people", "/people/invite", "/programmes"],
}


def axe(page) -> list[dict]:
    """Run axe-core in the page and return its violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations],
                      indent=1)


def check_pages(browser, server, locale: str, role: str | None, paths: list[str]):
    # Axe is injected as a script: the test profile bypasses the page's CSP to allow it.
    context = new_context(browser, locale=locale.replace("_", "-"), bypass_csp=True)
    page = context.new_page()
    try:
        if role:
            sign_in(page, server, role)
        failures = []
        for path in paths:
            page.goto(server.url + path)
            violations = axe(page)
            if violations:
                shot(page, f"axe-{locale}-{role or 'anon'}-{path}")
                failures.append(f"{path} ({locale}, {role or 'anonymous'}):\n"
                                f"{describe(violations)}")
        assert not failures, "\n".join(failures)
    finally:
        context.close()


@pytest.mark.parametrize("locale", CODES)
def test_public_pages(browser, live_server, locale):
    check_pages(browser, live_server, locale, None, PUBLIC)


@pytest.mark.parametrize("locale", CODES)
@pytest.mark.parametrize("role", sorted(BY_ROLE))
def test_signed_in_pages(browser, live_server, locale, role):
    check_pages(browser, live_server, locale, role, BY_ROLE[role])
