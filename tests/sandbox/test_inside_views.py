"""The transformer's and the third stage's pages: attention, preferences, three stages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlmodel import select

from navigator.sandbox.models import PreferenceChoice
from tests.conftest import login


@pytest.fixture
def programme(make_programme):
    return make_programme("Harbour")


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def answers(html: str) -> list[str]:
    return [unescape(a) for a in re.findall(r'<p class="generated"[^>]*>(.*?)</p>', html, re.S)]


def test_choices_tune_only_the_choosers_model_and_reset_deletes_them(app, make_user,
                                                                     programme, session):
    me, other = make_user("navigator", programme), make_user("navigator", programme)
    mine, theirs = login(app.test_client(), me), login(app.test_client(), other)
    html = page(mine.get("/sandbox/preferences"))
    assert "Round 1: which answer is better?" in html
    assert html.count('name="pick"') == 2 and 'name="round" value="0"' in html
    assert "You have not made any choices yet" in html
    first = answers(html)[:2]
    assert page(mine.get("/sandbox/preferences")).count(first[1]) >= 1  # the same pair again

    response = mine.form("/sandbox/preferences/choose", {"round": "0", "pick": "1"})
    assert response.status_code == 302
    again = mine.form("/sandbox/preferences/choose", {"round": "0", "pick": "0"})  # sent twice
    assert again.status_code == 302
    rows = session.exec(select(PreferenceChoice).where(PreferenceChoice.user_id == me.id)).all()
    assert len(rows) == 1 and rows[0].chosen == first[1] and rows[0].passed == first[0]
    stale = mine.form("/sandbox/preferences/choose", {"round": "5", "pick": "0"})
    assert "out of date" in page(mine.get(stale.headers["Location"]))

    html = page(mine.get("/sandbox/preferences"))
    assert "Round 2" in html and "You have made 1 choice." in html
    assert "What the reward model learned" in html and "Before and after" in html
    assert "Round 1" in page(theirs.get("/sandbox/preferences"))  # nobody else's model moved
    stages = page(theirs.get("/sandbox/stages"))
    assert "you have not rated any answers yet" in stages

    assert page(mine.get("/sandbox/stages")).count('class="run-card"') == 3
    done = mine.form("/sandbox/preferences/reset", {})
    assert "Your choices were deleted" in page(mine.get(done.headers["Location"]))
    session.commit()  # a fresh look, after the request's own transaction
    assert session.exec(select(PreferenceChoice)
                        .where(PreferenceChoice.user_id == me.id)).all() == []


def test_a_choice_needs_a_pick(app, make_user, programme):
    client = login(app.test_client(), make_user("navigator", programme))
    response = client.form("/sandbox/preferences/choose", {"round": "0"})
    assert "Choose one of the two answers." in page(client.get(response.headers["Location"]))


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_three_stages_answer_a_typed_question(app, make_user, programme, locale):
    client = login(app.test_client(), make_user("navigator", programme, locale=locale))
    html = page(client.form("/sandbox/stages", {"prompt": "Can a chatbot be wrong?"}))
    assert html.count('class="run-card"') == 3
    assert "What changed" in html or "ما الذي تغيّر" in html or "<table" in html
    direction = "rtl" if locale == "ar" else "ltr"
    assert f'dir="{direction}"' in html
    assert 'style="' not in html
    empty = client.form("/sandbox/stages", {"prompt": ""})
    assert empty.status_code == 200 and 'class="run-card"' not in empty.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_attention_page_shows_every_head_as_a_table_of_numbers(app, make_user, programme,
                                                                  locale):
    client = login(app.test_client(), make_user("navigator", programme, locale=locale))
    html = page(client.get("/sandbox/attention"))
    assert html.count('<table tabindex="0" class="attention">') == 2  # one per layer
    assert "probe=10" in html and "The usual dose of Jorvane" in html
    # Numbers in every cell, shades only repeating them; English words keep their direction.
    cells = re.findall(r'<td class="num heat h(\d)[^"]*">(\d+)\s?%', html)
    assert cells and all(0 <= int(n) <= 100 for _shade, n in cells)
    assert 'lang="en" dir="ltr"' in html and 'style="' not in html
    typed = page(client.form("/sandbox/attention",
                             {"prompt": "Sleep trackers can be fun, but they"}))
    assert "trackers" in typed
    probe = page(client.get("/sandbox/attention?probe=0"))
    assert "Panic attacks" in unescape(probe) or "The usual dose" in probe
    if locale == "en":
        swahili = client.form("/sandbox/attention",
                              {"prompt": "Je, kutembea kunasaidia hisia zangu?"})
        assert "English only" in page(swahili)


@pytest.mark.parametrize("name", ["attention-pronoun", "overfitting", "sycophancy"])
def test_the_activity_pages_render_in_arabic(app, make_user, programme, name):
    client = login(app.test_client(), make_user("navigator", programme, locale="ar"))
    html = page(client.get(f"/sandbox/scenarios/{name}"))
    assert '<html lang="ar" dir="rtl">' in html and 'style="' not in html
    if name == "overfitting":
        assert html.count('<svg class="chart loss-chart"') == 2 and 'direction="rtl"' in html
        assert html.count('class="run-card"') == 3
    if name == "sycophancy":
        assert html.count('class="run-card"') == 3


def test_the_scenario_editor_leaves_the_new_activities_to_the_package(app, make_user,
                                                                     programme):
    client = login(app.test_client(), make_user("trainer", programme))
    response = client.get(f"/sandbox/programmes/{programme.id}/scenarios/sycophancy/edit")
    assert response.status_code == 302
    assert "edited in the course package" in page(client.get(response.headers["Location"]))
    assert client.get(f"/sandbox/programmes/{programme.id}/scenarios/temperature/edit"
                      ).status_code == 200
