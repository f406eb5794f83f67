"""Renewal after a new course version: only what changed, progress carried over, a deadline.

The whole path goes through the app as a navigator would: certified on version 1, a trainer
publishes version 2 (one module unchanged, one changed, one new), the certificates page says
what renewal needs, the navigator moves to version 2 on the course page, completes only what
changed, and is certified on version 2 without taking the unchanged module again.
"""

from sqlmodel import select

from navigator.certification import ledger, tracks
from navigator.certification.models import Certificate
from navigator.learning.models import Lesson, LessonText, Module
from tests.certification.conftest import attempt, build_version, complete, read_lessons
from tests.conftest import login


def publish_v2(session, setup):
    """Version 2: m1 as it was, m2 with a rewritten lesson, m3 new."""
    v2 = build_version(session, setup.programme, number=2, modules=("m1", "m2", "m3"))
    m2 = session.exec(select(Module).where(Module.version_id == v2.id,
                                           Module.slug == "m2")).one()
    text = session.exec(select(LessonText).join(Lesson, Lesson.id == LessonText.lesson_id)
                        .where(Lesson.module_id == m2.id)).one()
    text.body = "A lesson, rewritten for version 2."
    session.commit()
    return v2


def test_unchanged_modules_carry_over_and_changed_ones_are_listed(session, setup, certified):
    v2 = publish_v2(session, setup)
    course = setup.course
    assert tracks.carried_over(session, setup.navigator.id, course, v2) == {"m1": 1}
    changes = {c.slug: (c.change, c.done, c.carried) for c in tracks.renewal_changes(
        session, setup.navigator.id, course, setup.version, v2, "en")}
    assert changes == {"m1": ("same", True, True), "m2": ("changed", False, False),
                       "m3": ("new", False, False)}


def test_a_revoked_certificate_carries_nothing_over(session, setup, certified):
    certified.revoked_at = certified.issued_at
    session.commit()
    v2 = publish_v2(session, setup)
    assert tracks.carried_over(session, setup.navigator.id, setup.course, v2) == {}


def test_renewal_through_a_version_switch(client, session, setup, certified):
    v2 = publish_v2(session, setup)
    deadline = certified.expires_on
    login(client, setup.navigator)
    html = client.get("/certificates/").get_data(as_text=True)
    renewal = " ".join(html[html.index("Renewing with version 2"):
                            html.index("Your certificates")].split())
    assert f"Renew by {services_date(deadline)}, when your current certificate expires." \
        in renewal
    # Exactly what renewal needs: the changed and the new module, and the final assessment.
    assert "Module: Module m2" in renewal and "Changed since your version." in renewal
    assert "Module: Module m3" in renewal and "New module." in renewal
    assert "Module: Module m1" not in renewal
    assert "The final assessment of the new version: a score of at least 80%" in renewal
    assert "1 module is unchanged and you completed it, so your progress carries over:" \
        " Module m1." in renewal
    assert renewal.count("To do") == 3  # m2, m3, the final: not every module again

    # The navigator moves to version 2 on the course page.
    response = client.form("/learn/testing/switch")
    assert response.status_code in (302, 303)
    html = " ".join(client.get("/certificates/").get_data(as_text=True).split())
    assert "You are renewing your certificate on version 2 of the course." in html
    assert "3 requirements left." in html
    assert "Completed in version 1 and unchanged since: your progress carries over." in html

    # Only what changed is taken; m1 is not read again.
    for slug in ("m2", "m3"):
        read_lessons(session, setup.navigator, v2, slug)
        attempt(session, setup.navigator, v2, f"{slug}/quiz", 100)
    attempt(session, setup.navigator, v2, "final", 90)
    html = client.get("/certificates/").get_data(as_text=True)
    assert "Well done: your certificate" in html
    renewed = session.exec(select(Certificate).where(Certificate.version_id == v2.id)).one()
    assert renewed.user_id == setup.navigator.id and renewed.cycle == 0


def _module_item(html: str, title: str) -> str:
    """The course page's list item for a module, its whitespace collapsed."""
    start = html.index(f">{title}</a>")
    return " ".join(html[start:html.index("</li>", start)].split())


CARRIED = "Completed in version 1 and unchanged since: your progress carries over."


def test_course_and_module_pages_show_carried_modules_as_certification_counts(
        client, session, setup, certified):
    v2 = publish_v2(session, setup)
    login(client, setup.navigator)
    assert client.form("/learn/testing/switch").status_code in (302, 303)
    html = client.get("/learn/testing/").get_data(as_text=True)
    m1, m2, m3 = (_module_item(html, f"Module {slug}") for slug in ("m1", "m2", "m3"))
    # m1 is the same in version 2 and was completed in version 1: done, not read again.
    assert "✓" in m1 and CARRIED in m1 and "lesson read" not in m1
    # m2 changed and m3 is new: to do, as the certificates page says.
    for item in (m2, m3):
        assert "✓" not in item and CARRIED not in item
        assert "0 of 1 lesson read" in item and "Not taken yet" in item
    assert "1 of 3 modules complete." in " ".join(html.split())
    # m1's lesson and quiz count toward the progress bar, here and in the course list.
    assert "29% complete" in html
    assert "29% complete" in client.get("/learn/").get_data(as_text=True)
    # "Continue" leads past the carried module, to the first lesson that is still to do.
    assert 'href="/learn/testing/modules/m2/lessons/l1"' in html
    assert 'href="/learn/testing/modules/m1/lessons/l1"' not in html.split("<h2>")[0]
    module = " ".join(client.get("/learn/testing/modules/m1/").get_data(as_text=True).split())
    assert CARRIED in module
    module = " ".join(client.get("/learn/testing/modules/m2/").get_data(as_text=True).split())
    assert CARRIED not in module

    # The same modules certification counts.
    assessment = ledger.assess(session, setup.navigator.id, setup.course, v2)
    done = {r.key: r.done for r in assessment.evaluation.requirements if r.kind == "module"}
    assert done == {"m1": True, "m2": False, "m3": False}

    # Reading m2 through the app moves it to done; m1 stays carried.
    client.form("/learn/testing/modules/m2/lessons/l1/complete")
    html = client.get("/learn/testing/").get_data(as_text=True)
    assert "1 of 1 lesson read" in _module_item(html, "Module m2")
    assert CARRIED in _module_item(html, "Module m1")


def test_nothing_carries_over_on_the_course_page_without_a_certificate(
        client, session, setup):
    """Certification counts progress from certified versions only; so does the course page."""
    complete(session, setup.navigator, setup.version, final=None)
    publish_v2(session, setup)
    login(client, setup.navigator)
    client.form("/learn/testing/switch")
    html = client.get("/learn/testing/").get_data(as_text=True)
    assert CARRIED not in html and "0 of 3 modules complete." in " ".join(html.split())


def test_a_revoked_certificate_carries_nothing_over_on_the_course_page(
        client, session, setup, certified):
    certified.revoked_at = certified.issued_at
    session.commit()
    publish_v2(session, setup)
    login(client, setup.navigator)
    client.form("/learn/testing/switch")
    assert CARRIED not in client.get("/learn/testing/").get_data(as_text=True)


def services_date(day) -> str:
    from babel.dates import format_date

    return format_date(day, "long", locale="en")
