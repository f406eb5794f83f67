"""Renewal after a new course version: only what changed, progress carried over, a deadline.

The whole path goes through the app as a navigator would: certified on version 1, a trainer
publishes version 2 (one module unchanged, one changed, one new), the certificates page says
what renewal needs, the navigator moves to version 2 on the course page, completes only what
changed, and is certified on version 2 without taking the unchanged module again.
"""

from sqlmodel import select

from navigator.certification import services
from navigator.certification.models import Certificate
from navigator.learning.models import Lesson, LessonText, Module
from tests.certification.conftest import attempt, build_version, read_lessons
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
    assert services.carried_over(session, setup.navigator.id, course, v2) == {"m1": 1}
    changes = {c.slug: (c.change, c.done, c.carried) for c in services.renewal_changes(
        session, setup.navigator.id, course, setup.version, v2, "en")}
    assert changes == {"m1": ("same", True, True), "m2": ("changed", False, False),
                       "m3": ("new", False, False)}


def test_a_revoked_certificate_carries_nothing_over(session, setup, certified):
    certified.revoked_at = certified.issued_at
    session.commit()
    v2 = publish_v2(session, setup)
    assert services.carried_over(session, setup.navigator.id, setup.course, v2) == {}


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


def services_date(day) -> str:
    from babel.dates import format_date

    return format_date(day, "long", locale="en")
