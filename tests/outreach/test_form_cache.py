"""The outreach form's blank fields, rendered once: few statements, never stale, never another's."""


import yaml

from navigator.accounts import services as accounts
from navigator.outreach import services
from tests.conftest import login
from tests.learning.packages import import_and_offer, write_package
from tests.outreach.test_views import form_data, key_of
from tests.statements import statements_of, writes_or_locks


def add_site(session, manager, programme, name: str):
    site = services.add_site(session, accounts.principal(session, manager), programme.id, name)
    session.commit()
    return site


def test_a_warm_form_sends_few_statements_and_writes_nothing(app, client, make_programme,
                                                             make_user, session):
    programme = make_programme("Riverside")
    navigator = make_user("navigator", programme)
    add_site(session, make_user("manager", programme), programme, "Eastside library")
    login(client, navigator)
    client.get("/outreach/new")  # the blank fields rendered and kept
    sent = statements_of(app, client, "/outreach/new")
    assert len(sent) <= 6, sent
    assert not writes_or_locks(sent), sent


def test_sites_changed_by_a_manager_show_at_once(client, make_programme, make_user, session):
    programme = make_programme("Riverside")
    navigator, manager = make_user("navigator", programme), make_user("manager", programme)
    site = add_site(session, manager, programme, "Eastside library")
    login(client, navigator)
    assert "Eastside library" in client.get("/outreach/new").get_data(as_text=True)

    services.update_site(session, site, name="Westside library", archived=False)
    session.commit()
    page = client.get("/outreach/new").get_data(as_text=True)
    assert "Westside library" in page and "Eastside library" not in page

    add_site(session, manager, programme, "Harbour clinic")
    assert "Harbour clinic" in client.get("/outreach/new").get_data(as_text=True)

    services.update_site(session, site, name="Westside library", archived=True)
    session.commit()
    page = client.get("/outreach/new").get_data(as_text=True)
    assert "Westside library" not in page and "Harbour clinic" in page


def test_another_programmes_sites_are_never_shown(app, make_programme, make_user, session):
    river, hill = make_programme("Riverside"), make_programme("Hillside")
    add_site(session, make_user("manager", river), river, "River hall")
    add_site(session, make_user("manager", hill), hill, "Hill hall")
    riverside = login(app.test_client(), make_user("navigator", river))
    hillside = login(app.test_client(), make_user("navigator", hill))
    for _ in range(2):  # the second time from what was kept
        mine = riverside.get("/outreach/new").get_data(as_text=True)
        theirs = hillside.get("/outreach/new").get_data(as_text=True)
        assert "River hall" in mine and "Hill hall" not in mine
        assert "Hill hall" in theirs and "River hall" not in theirs


def test_each_person_gets_their_own_token_and_language(app, make_programme, make_user, session):
    programme = make_programme("Riverside")
    english = login(app.test_client(), make_user("navigator", programme, locale="en"))
    french = login(app.test_client(), make_user("navigator", programme, locale="fr"))
    first, second = (english.get("/outreach/new").get_data(as_text=True) for _ in range(2))
    assert key_of(first) != key_of(second)  # a new submission key on every view
    page = french.get("/outreach/new").get_data(as_text=True)
    assert "Choisissez un cadre" in page and "Choose a setting" not in page
    assert "Choose a setting" in english.get("/outreach/new").get_data(as_text=True)


def test_a_form_from_what_was_kept_still_saves(client, make_programme, make_user, session):
    programme = make_programme("Riverside")
    login(client, make_user("navigator", programme))
    client.get("/outreach/new")
    page = client.get("/outreach/new").get_data(as_text=True)
    assert client.form("/outreach/new", form_data(key_of(page))).status_code == 302


def test_topics_follow_a_newly_published_version(app_factory, tmp_path, make_programme,
                                                 make_user, session):
    curricula = tmp_path / "curricula"
    curricula.mkdir()
    app = app_factory(CURRICULA_PATH=str(curricula))
    programme = make_programme("Learners")
    client = login(app.test_client(), make_user("navigator", programme))
    assert "First module" not in client.get("/outreach/new").get_data(as_text=True)

    root = write_package(curricula)
    import_and_offer(session, root, programme.id)
    assert "First module" in client.get("/outreach/new").get_data(as_text=True)

    module = root / "m1" / "module.yaml"
    module.write_text(yaml.safe_dump({**yaml.safe_load(module.read_text()),
                                      "title": "Tokens, retitled"}), encoding="utf-8")
    (root / "course.yaml").write_text(yaml.safe_dump(
        {**yaml.safe_load((root / "course.yaml").read_text()), "version": 2}), encoding="utf-8")
    import_and_offer(session, root, programme.id)
    page = client.get("/outreach/new").get_data(as_text=True)
    assert "Tokens, retitled" in page and "First module" not in page
