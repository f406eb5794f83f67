"""A navigator's own copy of the skewed text: balance it, retrain, compare; nobody else changes."""

import re
from html import unescape

import pytest
from sqlmodel import select

from navigator.errors import Conflict, Invalid, NotFound
from navigator.sandbox import personal, services, web
from navigator.sandbox.models import PersonalCorpus
from tests.conftest import login

GROUPS = {"a": "younger", "b": "older"}


def test_balance_adds_the_missing_counterpart_of_every_line() -> None:
    text = ("The nurse spoke to the younger patient kindly.\n"
            "The nurse spoke to the younger patient kindly.\n"
            "The nurse spoke to the older patient briefly.\n"
            "The younger and the older patient waited.\n"
            "A line about neither group.\n")
    balanced, added = personal.balance(text, GROUPS)
    lines = balanced.splitlines()
    assert added == 3
    assert lines.count("The nurse spoke to the older patient kindly.") == 2
    assert lines.count("The nurse spoke to the younger patient briefly.") == 1
    assert lines.count("The younger and the older patient waited.") == 1  # names both: kept
    assert personal.balance(balanced, GROUPS) == (balanced, 0)  # balanced stays balanced
    with pytest.raises(Invalid):
        personal.balance(text, {"a": "younger"})


def _gap(html: str) -> tuple[float, float] | None:
    """(shipped gap, gap of the text the person's model learns from) from the comparison."""
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    found = re.search(r"Gap with the text your model learns from\s+\S.*?\s([\d.]+)%\s+([\d.]+)%",
                      text, re.S)
    return (float(found.group(1)), float(found.group(2))) if found else None


@pytest.fixture
def programme(make_programme):
    return make_programme("Harbour")


def test_a_navigator_balances_their_own_copy_and_only_their_model_changes(
        app, make_user, programme, session) -> None:
    me, other = make_user("navigator", programme), make_user("navigator", programme)
    client = login(app.test_client(), me)
    url = "/sandbox/my-corpora/skewed/en"
    page = client.get(url).get_data(as_text=True)
    assert "The nurse spoke to the younger patient" in page  # the programme's text, to edit
    response = client.form(url, {"action": "balance", "base_version": "0",
                                 "text": re.search(r"<textarea[^>]*>(.*?)</textarea>", page,
                                                   re.S).group(1)})
    assert response.status_code == 302
    rows = session.exec(select(PersonalCorpus)).all()
    assert [(r.user_id, r.version, r.is_reset) for r in rows] == [(me.id, 1, False)]
    before, after = _gap(client.get(url).get_data(as_text=True))
    assert before > 20 and after < 5, (before, after)

    # The same activity for someone else still runs on the programme's model.
    with app.test_request_context():
        box = web.box()
        mine = services.engine_for(session, box, programme.id, me.id).language("en")
        theirs = services.engine_for(session, box, programme.id, other.id).language("en")
        assert mine.content_hash != theirs.content_hash
        assert theirs.content_hash == box.engine().language("en").content_hash

    # Reset brings the programme's text back; the version is kept.
    assert client.form(url, {"action": "reset", "base_version": "1", "text": ""}
                       ).status_code == 302
    session.rollback()  # end the test's own read, which still sees the database before
    latest = services.latest_personal_copies(session, me.id)[("skewed", "en")]
    assert latest.version == 2 and latest.is_reset
    assert _gap(client.get(url).get_data(as_text=True)) is None


def test_bad_input_keeps_the_text_and_says_why(app, make_user, programme, session) -> None:
    client = login(app.test_client(), make_user("navigator", programme))
    response = client.form("/sandbox/my-corpora/skewed/en",
                           {"action": "save", "base_version": "0", "text": "   "})
    assert response.status_code == 200
    assert "Write at least one training line" in response.get_data(as_text=True)
    assert session.exec(select(PersonalCorpus)).all() == []


def test_only_the_skewed_text_can_be_copied(app, make_user, programme, session) -> None:
    me = make_user("navigator", programme)
    with app.test_request_context():
        box = web.box()
        with pytest.raises(NotFound):
            personal.save_copy(session, box, me.id, "health", "en", "A line.", 0)
        with pytest.raises(NotFound):
            personal.save_copy(session, box, me.id, "skewed", "xx", "A line.", 0)
        personal.save_copy(session, box, me.id, "skewed", "es", "Una línea.", 0)
        with pytest.raises(Conflict):
            personal.save_copy(session, box, me.id, "skewed", "es", "Otra línea.", 0)
