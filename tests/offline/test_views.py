"""Offline, the server's side: the manifest, the service worker at the root, what a device
fetches to keep a module, who may send what was kept, and sign-out clearing the device."""

import json
import re

from navigator.accounts.models import User
from tests.conftest import login

MODULE = "/offline/modules/demo/m1.json"


def test_the_manifest_makes_an_installable_app(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "es"})
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Navigator" and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "es"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"any", "192x192", "512x512"}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == icon["type"]


def test_the_service_worker_is_ours_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"  # a new version is found at once
    script = response.get_data(as_text=True)
    assert "importScripts(\"static/offline-store.js\")" in script
    assert not re.search(r"https?://", script)  # nothing from anywhere else
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_pages_of_signed_in_navigators_carry_the_scripts_others_do_not(client, learner):
    anonymous = client.application.test_client().get("/sign-in").get_data(as_text=True)
    assert "offline.js" not in anonymous and 'rel="manifest"' in anonymous
    page = learner.get("/learn/demo/modules/m1/").get_data(as_text=True)
    assert re.search(r'<script src="/static/offline-store\.js\?v=\w+" defer>', page)
    assert re.search(r'<script src="/static/offline\.js\?v=\w+" defer>', page)
    assert "<script>" not in page  # nothing inline: the CSP stays strict
    # Without JavaScript nothing offline shows: the section and the status line are hidden.
    assert re.search(r'<section class="offline-save" hidden', page)
    assert re.search(r'<p id="offline-status"[^>]* hidden', page)
    assert 'data-offline-module="/offline/modules/demo/m1.json"' in page


def test_a_module_to_keep_lists_its_own_pages_and_what_all_share(learner):
    listing = learner.get(MODULE).get_json()
    assert listing["key"] == "demo/m1" and listing["title"] == "First module"
    own = listing["module"]
    assert own[0] == "/learn/demo/modules/m1/"
    assert "/learn/demo/modules/m1/lessons/l1" in own and "/learn/demo/modules/m1/lessons/l2" \
        in own
    assert "/learn/demo/assets/pic.png" in own and "/learn/demo/modules/m1/quiz" in own
    assert not any("/m2/" in url for url in own)
    shared = listing["shared"]
    assert any(url.startswith("/static/navigator.css?v=") for url in shared)
    assert "/outreach/new" in shared and "/offline/" in shared and "/learn/demo/" in shared
    for url in own + shared:  # every address answers, as the device will ask for it
        with learner.get(url) as response:
            assert response.status_code == 200, url


def test_a_module_is_kept_in_the_language_the_navigator_reads(learner, demo, session):
    user = session.get(User, demo.navigator.id)
    user.locale = "es"
    session.commit()
    listing = learner.get(MODULE).get_json()
    assert listing["locale"] == "es" and listing["title"] == "Primer módulo"
    # The Spanish lesson has no picture: none is fetched for it; the English one keeps its own.
    assert "/learn/demo/assets/pic.png" not in listing["module"]


def test_only_the_navigators_own_modules_are_listed(learner, client):
    assert learner.get("/offline/modules/demo/nope.json").status_code == 404
    assert learner.get("/offline/modules/other/m1.json").status_code == 404
    assert client.application.test_client().get(MODULE).status_code == 302  # sign in first


def test_the_state_names_who_may_send_what_was_kept(client, learner, demo):
    assert client.application.test_client().get("/offline/state").get_json() == {"user": None}
    state = learner.get("/offline/state").get_json()
    assert state["user"] == demo.navigator.id and len(state["csrf"]) > 20
    assert learner.get("/offline/state").headers["Cache-Control"] == "no-store"


def test_the_page_of_what_a_device_keeps(learner):
    page = learner.get("/offline/").get_data(as_text=True)
    assert "What this device keeps" in page and "Waiting to be sent" in page
    assert "Keeping modules on this device needs JavaScript." in page  # in <noscript>


def test_signing_out_clears_the_device(learner):
    response = learner.form("/sign-out")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_lesson_page_on_a_saved_copy_hides_what_needs_the_server(learner):
    page = learner.get("/learn/demo/modules/m1/lessons/l1").get_data(as_text=True)
    assert 'class="offline-notice"' in page  # shown by the stylesheet only on a saved copy
    with learner.get(re.search(r'href="(/static/navigator\.css[^"]*)"', page).group(1)) as css:
        text = css.get_data(as_text=True)
    assert 'html[data-offline] form.next-step { display: none; }' in text
    assert '.offline-notice, .offline-missing { display: none;' in text


def test_the_quiz_page_can_say_it_was_answered_offline(learner):
    page = learner.get("/learn/demo/modules/m1/quiz").get_data(as_text=True)
    assert re.search(r'<p class="notice" data-offline-answered hidden>', page)


def test_nobody_but_navigators_see_the_device_page(app, make_user):
    manager = login(app.test_client(), make_user("manager"))
    assert manager.get("/offline/").status_code == 403
