"""The page frame (navigation, offline status) kept per language, roles and page: never one
person's links, id or language on another's page, nor stale after sign-out or a role change."""

import re

import pytest
from sqlalchemy import delete

from navigator.accounts import services as accounts
from navigator.accounts.models import Membership
from tests.conftest import PASSWORD, login


def _nav(html: str) -> str:
    match = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', html, re.S)
    return match.group(1) if match else ""


def _page(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_person_sees_their_own_roles_links_and_id(app, make_user):
    navigator, manager = make_user("navigator"), make_user("manager")
    nia, max_ = login(app.test_client(), navigator), login(app.test_client(), manager)
    for _ in range(2):  # the second round is served from what the first kept
        mine, theirs = _page(nia), _page(max_)
        assert "My certificates" in _nav(mine) and "People" not in _nav(mine)
        assert "People" in _nav(theirs) and "My certificates" not in _nav(theirs)
        assert f'data-user="{navigator.id}"' in mine
        assert "data-user=" not in theirs  # the offline status is a navigator's only
    other = login(app.test_client(), make_user("navigator"))
    page = _page(other)
    assert f'data-user="{navigator.id}"' not in page and "data-user=" in page


def test_the_current_page_is_marked_for_the_page_asked(app, make_user):
    nia = login(app.test_client(), make_user("navigator"))
    for _ in range(2):
        home, account = _nav(_page(nia, "/")), _nav(_page(nia, "/account"))
        assert re.search(r'href="/"[^>]*aria-current="page"', home)
        assert 'aria-current="page"' not in account.split("/account")[0]
        assert re.search(r'href="/account"[^>]*aria-current="page"', account)
        assert home.count('aria-current="page"') == account.count('aria-current="page"') == 1


def test_each_language_gets_its_own_frame(app, make_user):
    english = login(app.test_client(), make_user("navigator"))
    french = login(app.test_client(), make_user("navigator", locale="fr"))
    for _ in range(2):
        en, fr = _nav(_page(english)), _nav(_page(french))
        assert "My account" in en and "Mon compte" not in en
        assert "Mon compte" in fr and "My account" not in fr


def test_a_role_change_shows_at_the_next_page(app, session, make_user, make_programme):
    user = make_user("navigator")
    client = login(app.test_client(), user)
    assert "People" not in _nav(_page(client))
    accounts.add_role(session, user, make_programme(), "manager")
    session.commit()
    assert "People" in _nav(_page(client))
    session.execute(delete(Membership).where(Membership.user_id == user.id,
                                          Membership.role == "manager"))
    session.commit()
    assert "People" not in _nav(_page(client))


def test_nothing_of_the_frame_stays_after_signing_out(app, make_user):
    make_user("navigator", email="nia@example.org")
    client = app.test_client()
    client.form("/sign-in", {"email": "nia@example.org", "password": PASSWORD})
    assert "My certificates" in _nav(_page(client))
    client.form("/sign-out")
    page = client.get("/sign-in").get_data(as_text=True)
    assert "<nav" not in page and "My certificates" not in page and "data-user=" not in page


def test_a_frame_partial_cannot_read_the_request(app, make_user):
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_env.loader = ChoiceLoader([
        DictLoader({"frame/_peek.html": "{{ request.path }}", "frame/_ok.html": "{{ n }}"}),
        app.jinja_env.loader])
    frame = app.jinja_env.globals["frame"]
    with app.test_request_context("/somewhere"):
        assert frame("frame/_ok.html", n=3) == "3"
        with pytest.raises(RuntimeError, match="cannot read request"):
            frame("frame/_peek.html")
