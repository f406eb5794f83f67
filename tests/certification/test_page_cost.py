"""The certificates page: what a warm request costs in SQL, and that what it reuses is safe.

It reads a navigator's certificates, their courses and their progress in a handful of
statements, and takes the versions' content from learning's shared cache (keyed by version id).
Neither may show one person's progress to another, nor a track as it was before a trainer
published a new version.
"""


from tests.certification.conftest import TEXTS, TRACK, build_version, complete, read_lessons
from tests.certification.test_renewal import publish_v2
from tests.conftest import login
from tests.statements import statements_of, writes_or_locks


def _text(client) -> str:
    response = client.get("/certificates/")
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def test_a_warm_certificates_page_sends_few_statements_and_writes_nothing(
        app, client, session, setup, certified):
    publish_v2(session, setup)  # a renewal to show: the newer version and carried modules
    login(client, setup.navigator)
    assert "Renewing with version 2" in _text(client)  # warm: content and statements cached
    seen = statements_of(app, client, "/certificates/")
    assert len(seen) <= 6, seen
    assert not writes_or_locks(seen), seen


def test_the_page_shows_each_navigator_their_own_progress(
        client, session, setup, make_user, make_programme):
    other_programme = make_programme("Hillside")
    other = make_user("navigator", other_programme, name="Bo Chen")
    build_version(session, other_programme, slug="other", texts={
        "en": {"title": "Other course", "track_title": "Other track"}},
        track={**TRACK, "id": "other-track", "title": "Other track"})
    read_lessons(session, setup.navigator, setup.version, "m1")

    login(client, setup.navigator)
    mine = _text(client)
    assert "Certified tester" in mine and "Other track" not in mine
    assert "1 of 1 lessons read." in mine

    login(client, other)
    theirs = _text(client)  # the same worker, its caches warm from the first person
    assert "Other track" in theirs and "Certified tester" not in theirs
    assert "1 of 1 lessons read." not in theirs


def test_a_new_version_s_track_shows_at_once(client, session, setup):
    login(client, setup.navigator)  # not enrolled yet: the page shows the newest version
    assert "Certified tester" in _text(client)
    build_version(session, setup.programme, number=2,
                  texts={**TEXTS, "en": {"title": "Testing course",
                                         "track_title": "Certified tester, second edition"}},
                  track={**TRACK, "outreach_sessions": 2})
    html = _text(client)
    assert "Certified tester, second edition" in html
    assert "2 outreach sessions logged" in html


def test_a_certificate_issued_shows_at_once(client, session, setup):
    login(client, setup.navigator)
    assert "Your certificates" not in _text(client)
    complete(session, setup.navigator, setup.version)
    html = _text(client)  # the page itself issues it
    assert "Well done: your certificate" in html and "Your certificates" in html
