"""The sandbox home page is kept per programme, locale and edit: never stale, never another's.

Its programme part (activities, corpora, bias gaps) is computed and rendered once and shared
by everyone in the programme; each test changes something through the platform, as a trainer
does in the browser, and looks again.
"""

import re
from html import unescape

import pytest

from navigator.accounts import services as accounts
from tests.conftest import login
from tests.statements import recorded, writes_or_locks

HOME = "/sandbox/"
SCENARIO = {"name": "sleep-facts", "kind": "generate", "model": "base", "temperature": "0.5",
            "top_k": "20", "top_p": "1", "max_tokens": "12", "seed": "2",
            "title": "Sleep facts", "prompt": "Regular sleep", "notice": "Notice this.",
            "explanation": "Because.", "reflect": "Why?", "locale": "en", "base_version": "0"}


@pytest.fixture
def programme(make_programme):
    return make_programme("Harbour")


@pytest.fixture
def navigator(app, make_user, programme):
    return login(app.test_client(), make_user("navigator", programme))


@pytest.fixture
def trainer(app, make_user, programme):
    return login(app.test_client(), make_user("trainer", programme))


@pytest.fixture
def stranger(app, make_user, make_programme):
    """A navigator of another programme."""
    return login(app.test_client(), make_user("navigator", make_programme("Delta")))


def home(client) -> str:
    response = client.get(HOME)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def corpus_item(html: str, name: str, locale: str) -> str:
    """The home page's line for one corpus text: its link, line count and edit mark."""
    match = re.search(rf'<li><a href="/sandbox/corpora/{name}/{locale}">.*?</li>', html)
    assert match, f"no {name}/{locale} on the home page"
    return match.group(0)


def lines_of(item: str) -> int:
    match = re.search(r"\((\d+) lines?", item)
    assert match, item
    return int(match.group(1))


def test_a_corpus_edit_and_its_reset_show_at_once_and_only_in_the_programme(
        trainer, navigator, stranger, programme):
    shipped = corpus_item(home(navigator), "health", "sw")
    assert "edited for your programme" not in shipped
    assert corpus_item(home(stranger), "health", "sw") == shipped  # both warm now

    url = f"/sandbox/programmes/{programme.id}/corpora/health/sw"
    text = "Maji safi ni muhimu.\nKulala vizuri ni afya.\nTembea kila siku.\n"
    assert trainer.form(url, {"text": text, "base_version": "0"}).status_code == 302
    edited = corpus_item(home(navigator), "health", "sw")
    assert lines_of(edited) == 3 and "edited for your programme" in edited
    assert corpus_item(home(stranger), "health", "sw") == shipped

    # A second version of the same text: still a new page, not the first version kept.
    text += "Nawa mikono kabla ya kula.\n"
    assert trainer.form(url, {"text": text, "base_version": "1"}).status_code == 302
    assert lines_of(corpus_item(home(navigator), "health", "sw")) == 4

    assert trainer.form(url + "/reset").status_code == 302
    assert corpus_item(home(navigator), "health", "sw") == shipped


def test_a_new_or_edited_activity_shows_at_once_and_only_in_the_programme(
        trainer, navigator, stranger, programme):
    assert "Sleep facts" not in home(navigator) and "Sleep facts" not in home(stranger)
    new = f"/sandbox/programmes/{programme.id}/scenarios/new"
    assert trainer.form(new, SCENARIO).status_code == 302
    assert "Sleep facts" in home(navigator)
    assert "Sleep facts" not in home(stranger)

    edit = f"/sandbox/programmes/{programme.id}/scenarios/sleep-facts/edit"
    assert trainer.form(edit, {**SCENARIO, "title": "Rest and sleep",
                               "base_version": "1"}).status_code == 302
    html = home(navigator)
    assert "Rest and sleep" in html and "Sleep facts" not in html

    assert trainer.form(f"/sandbox/programmes/{programme.id}/scenarios/sleep-facts/reset"
                        ).status_code == 302
    assert "Rest and sleep" not in home(navigator)


def test_what_is_personal_is_never_shared_with_the_programme(
        app, session, trainer, make_user, programme, make_programme):
    assert "For trainers" in home(trainer)  # the programme's part is cached now
    navigator = make_user("navigator", programme)
    alone = home(login(app.test_client(), navigator))
    assert "For trainers" not in alone and 'action="/sandbox/programme"' not in alone

    other = make_programme("Delta")
    accounts.add_role(session, navigator, other, "navigator")
    session.commit()
    client = login(app.test_client(), navigator)
    both = home(client)
    assert 'action="/sandbox/programme"' in both  # a choice, for this person only
    assert 'action="/sandbox/programme"' not in home(trainer)

    # Choosing the other programme shows its model, not the first one's cached page.
    new = f"/sandbox/programmes/{programme.id}/scenarios/new"
    assert trainer.form(new, SCENARIO).status_code == 302
    assert "Sleep facts" in home(client)
    chosen = client.form("/sandbox/programme", {"programme": str(other.id)})
    assert chosen.status_code == 302
    html = home(client)
    assert "Sleep facts" not in html and "Model of the programme Delta" in html


def test_a_warm_home_page_sends_few_statements_and_writes_nothing(app, navigator):
    home(navigator)
    with recorded(app) as seen:
        home(navigator)
    assert len(seen) <= 6, seen
    assert not writes_or_locks(seen), seen
