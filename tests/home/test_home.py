"""The signed-in home page: what each role sees, and what it costs in SQL statements."""

import re

import pytest

from navigator.accounts import services as accounts
from tests.conftest import PASSWORD, login
from tests.learning.packages import import_and_offer, write_package
from tests.statements import statements_of, writes_or_locks


@pytest.fixture
def started(app_factory, tmp_path, make_programme, make_user, session):
    """An app, and a client signed in as a navigator halfway through an offered course."""
    curricula = tmp_path / "curricula"
    curricula.mkdir()
    app = app_factory(CURRICULA_PATH=str(curricula))
    programme = make_programme("Riverside")
    import_and_offer(session, write_package(curricula), programme.id)
    client = login(app.test_client(), make_user("navigator", programme))
    assert client.get("/learn/demo/modules/m1/lessons/l1").status_code == 200
    client.get("/")  # warm
    return app, client


def test_a_navigators_home_reads_little_and_writes_nothing(started):
    app, client = started
    sent = statements_of(app, client, "/")
    assert "Continue learning" in client.get("/").get_data(as_text=True)
    assert not writes_or_locks(sent), sent
    # Programme names are not shown to a navigator: not read.
    assert not any(re.search(r"\bFROM programme\b", s) for s in sent), sent
    # BEGIN, the person, their courses, their progress, their outreach this month.
    ours = [s for s in sent if not re.search(r"\bFROM certificate\b", s)]
    assert len(ours) <= 5, ours


def test_a_navigators_home_sends_at_most_six_statements(started):
    app, client = started
    sent = statements_of(app, client, "/")
    assert len(sent) <= 6, sent


def test_managers_see_their_programmes_and_navigators_do_not(client, make_programme,
                                                             make_user):
    programme = make_programme("Riverside")
    page = login(client, make_user("manager", programme)).get("/").get_data(as_text=True)
    assert "Your programmes" in page and "Riverside" in page
    page = login(client, make_user("navigator", programme)).get("/").get_data(as_text=True)
    assert "Your programmes" not in page and "not part of a programme" not in page
    assert "Log an outreach session" in page


def test_someone_without_a_programme_is_asked_to_join(client, session, make_user):
    user = accounts.create_user(session, email="loner@example.org", password=PASSWORD,
                                display_name="Loner", min_length=10)
    session.commit()
    page = login(client, user).get("/").get_data(as_text=True)
    assert "You are not part of a programme yet." in page
