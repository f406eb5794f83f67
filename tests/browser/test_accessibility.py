"""axe-core on every page type, in every platform language, on a 360 px phone: no WCAG 2.2 AA
violations, and nothing wider than the screen."""

import json

import pytest

from navigator.i18n import CODES
from tests.browser.conftest import AXE, new_context, shot, sign_in

WIDTH = 360  # new_context's default: a small phone
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

PUBLIC = ["/", "/sign-in", "/join", "/password/forgot", "/verify/", "/verify/NOTAC-ODE23",
          "/no-such-page"]
COURSE = "/learn/llm-literacy"
MODULE = f"{COURSE}/modules/03-hallucinations"
BY_ROLE = {
    "navigator": ["/", "/account", "/account/password", "/learn/", f"{COURSE}/", f"{MODULE}/",
                  f"{MODULE}/lessons/02-fabricated-references", f"{MODULE}/quiz",
                  f"{COURSE}/modules/01-what-is-an-llm/lessons/02-tokens",
                  f"{COURSE}/final", "/sandbox/", "/sandbox/tokens", "/sandbox/step",
                  "/sandbox/generate", "/sandbox/scenarios/bias-probe",
                  "/sandbox/scenarios/language-gap", "/sandbox/scenarios/memorisation",
                  "/sandbox/runs", "/outreach/", "/outreach/new", "/certificates/",
                  "/offline/"],
    "trainer": ["/author/", "/author/courses/{course}", "/author/courses/{course}/translations",
                "/author/courses/{course}/learners", "/author/lessons/{lesson}",
                "/author/lessons/{lesson}/narration",
                "/sandbox/programmes/{programme}/manage",
                "/outreach/programmes/{programme}/report", "/certificates/signoffs"],
    "manager": ["/people", "/people/invite", "/people/{person}", "/programmes",
                "/programmes/{programme}", "/outreach/programmes/{programme}/report",
                "/outreach/programmes/{programme}/activities",
                "/outreach/programmes/{programme}/sites", "/certificates/register"],
    "admin": ["/admin/llm-endpoints", "/admin/llm-endpoints/new"],
}


def ids(server) -> dict:
    """Ids of the demo programme, course, a lesson and a person, for the page addresses."""
    from sqlmodel import Session, select

    from navigator.accounts.models import Programme, User
    from navigator.learning.models import Course, Lesson

    with Session(server.app.extensions["navigator.db"]) as s:
        return {"programme": s.exec(select(Programme.id)).first(),
                "course": s.exec(select(Course.id)).first(),
                "lesson": s.exec(select(Lesson.id)).first(),
                "person": s.exec(select(User.id).where(
                    User.email == server.credentials["navigator"][0])).first()}


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
        for path in (p.format(**ids(server)) for p in paths):
            response = page.goto(server.url + path)
            if response.status >= 500 or (response.status >= 400 and "no-such" not in path
                                          and "NOTAC" not in path):
                failures.append(f"{path} ({locale}, {role}): HTTP {response.status}")
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                shot(page, f"wide-{locale}-{role or 'anon'}-{path}")
                failures.append(f"{path} ({locale}, {role}): {width} px wide on a {WIDTH} px phone")
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
