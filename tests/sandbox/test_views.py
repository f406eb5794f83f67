"""Sandbox pages through the test client: plain forms, languages, edits, privacy, limits."""

import re
from html import unescape

import pytest
from flask_babel import format_decimal
from markupsafe import escape
from sqlmodel import select

from navigator.config import ROOT
from navigator.i18n import _, force_locale, language
from navigator.learning.views import EMBED_EXTENSION
from navigator.sandbox import edits, prompt_runs, services, web
from navigator.sandbox.caches import Sandbox, find_sandbox
from navigator.sandbox.embed import embed
from navigator.sandbox.model.tokenizer import visible
from navigator.sandbox.model.words import EOS, split_words
from navigator.sandbox.models import SavedRun
from navigator.sandbox.scenarios import SCENARIO_NAMES
from tests.conftest import login
from tests.learning.packages import import_and_offer, write_package

from .test_services import balanced_text
from .toys import SHIPPED

CITATION = "A study of ashwagandha for depression found that"


@pytest.fixture
def programme(make_programme):
    return make_programme("Harbour")


@pytest.fixture
def navigator(app, make_user, programme):
    return login(app.test_client(), make_user("navigator", programme))


@pytest.fixture
def trainer(app, make_user, programme):
    return login(app.test_client(), make_user("trainer", programme))


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def gap(html: str) -> float:
    """The measured gap on a bias activity page, as a number."""
    match = re.search(r"Gap in the share of “warm” words: ([\d.]+)%", html)
    assert match, "no gap on the page"
    return float(match.group(1))


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_page_renders(app, make_user, programme, locale):
    client = login(app.test_client(), make_user("trainer", programme, locale=locale))
    urls = ["/sandbox/", "/sandbox/tokens", "/sandbox/step", "/sandbox/generate",
            "/sandbox/runs", "/sandbox/corpora/health/ar",
            f"/sandbox/programmes/{programme.id}/manage",
            f"/sandbox/programmes/{programme.id}/corpora/skewed/en",
            f"/sandbox/programmes/{programme.id}/scenarios/new",
            f"/sandbox/programmes/{programme.id}/scenarios/bias-probe/edit?locale={locale}",
            *(f"/sandbox/scenarios/{name}" for name in SCENARIO_NAMES)]
    for url in urls:
        html = page(client.get(url))
        assert '<p class="notice">' in html, url  # the standing notice
        direction = "rtl" if locale == "ar" else "ltr"
        assert f'<html lang="{locale}" dir="{direction}">' in html, url
        assert 'style="' not in html, url


def test_titles_fall_back_to_english_with_a_notice(app, make_user, programme, session):
    client = login(app.test_client(), make_user("navigator", programme, locale="sw"))
    box = Sandbox(find_sandbox(ROOT / "curricula"))
    swahili = box.shipped_scenarios()["temperature"].texts["sw"]["title"]
    assert str(escape(swahili)) in page(client.get("/sandbox/"))
    base = edits.settings_base("generate", "base", {"temperature": 1.0, "max_tokens": 5}, [], [])
    edits.save_scenario(session, box, None, programme.id, "only-english", base=base,
                        locale="en", texts={"title": "Only in English", "prompt": "Sleep",
                                            "notice": "n", "explanation": "e", "reflect": "r"},
                        base_version=0, creating=True)
    session.commit()
    html = page(client.get("/sandbox/"))
    assert 'lang="en" dir="ltr">Only in English</a>' in html
    with app.test_request_context(), force_locale("sw"):
        notice = _("Some activities are not yet translated into your language. They are shown "
                   "in English.")
    assert str(escape(notice)) in html and notice.startswith("Some") is False


def test_token_view_without_javascript(navigator):
    html = page(navigator.form("/sandbox/tokens", {"text": "Sleep helps."}))
    assert html.count('class="piece c') >= 3
    assert re.search(r"\d+ tokens", html)
    assert "Kiswahili" in html  # the same sentence in several languages


def text_so_far(html: str) -> str:
    """The text in the step page's text box."""
    # WTForms opens a text area with a line break, which browsers drop.
    match = re.search(r'<textarea id="text"[^>]*>(?:\r?\n)?(.*?)</textarea>', html, re.S)
    assert match, "no text box"
    return unescape(match.group(1))


def choices(html: str) -> list[tuple[str, int]]:
    """The (token as shown, id) of each row of the step page's table."""
    found = re.findall(r'<code class="token">([^<]*)</code></th>.*?name="pick" value="(\d+)"',
                       html, re.S)
    return [(unescape(piece), int(token_id)) for piece, token_id in found]


def context_pieces(html: str) -> list[str]:
    found = re.search(r'Text so far: <span class="pieces">(.*?)</span></p>', html, re.S)
    assert found, "no context"
    return [unescape(p) for p in re.findall(r'<span class="piece[^"]*">([^<]*)</span>',
                                             found.group(1))]


def test_step_through_pick_and_sample(app, navigator):
    html = page(navigator.get("/sandbox/step"))
    assert choices(html) and 'class="fill w' in html
    shown = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "temperature": "1",
                                                  "action": "show"}))
    assert text_so_far(shown) == "Regular sleep"
    rows = [(piece, i) for piece, i in choices(shown) if piece != "(end of text)"]
    assert len(rows) >= 3
    # Choosing a token that is not the likeliest puts exactly that token after the text.
    piece, token_id = rows[2]
    picked = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "temperature": "1",
                                                   "pick": str(token_id)}))
    word = piece.replace("▁", " ")
    assert text_so_far(picked) == "Regular sleep" + word
    with app.app_context():
        english = web.box().engine().language("en").words
    before = [visible(english.piece(i)) or "<unk>" for i in english.encode("Regular sleep")]
    assert context_pieces(picked) == [*before, piece]
    assert choices(picked) != choices(shown)  # the table is now for the longer text

    end = next((i for p, i in choices(shown) if p == "(end of text)"), EOS)
    ended = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "temperature": "1",
                                                  "pick": str(end)}))
    assert "The model would end the text here." in ended
    assert text_so_far(ended) == "Regular sleep"
    refused = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "pick": "3",
                                                    "temperature": "1"}))
    assert "Choose one of the tokens in the table." in refused  # <user> is not a token to pick
    assert text_so_far(refused) == "Regular sleep"

    cold = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "temperature": "0",
                                                 "action": "show"}))
    first_row = cold.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td>(.*?)</td>", first_row, re.S)
    # At temperature 0 the likeliest token takes it all, whatever the model gave it.
    assert cells[1].endswith(" 100.0%") and cells[2].endswith(" 100.0%")
    sampled = page(navigator.form("/sandbox/step", {"text": "Regular sleep", "temperature": "1",
                                                    "seed": "5", "action": "sample"}))
    seed_field = re.search(r'<input[^>]*name="seed"[^>]*>', sampled).group(0)
    assert re.search(r'value="6"', seed_field), seed_field  # the next draw uses a new seed
    with app.app_context():
        drawn = prompt_runs.sample_next(web.box().engine(), "Regular sleep", 1.0, 0.0, 5, "en")
    assert text_so_far(sampled) == "Regular sleep" + (drawn or "")


def test_step_through_continues_a_swahili_text_with_swahili_words(app, navigator):
    with app.app_context():
        swahili = web.box().engine().language("sw")
    line = next(s.text for s in swahili.sources if s.corpus == "health")
    text = "".join(split_words(line)[:2]).strip()  # the opening of a Swahili training line
    shown = page(navigator.form("/sandbox/step", {"text": text, "temperature": "0",
                                                  "action": "show"}))
    rows = [(p, i) for p, i in choices(shown) if p != "(end of text)"]
    assert rows and all(visible(swahili.words.piece(i)) == p for p, i in rows)
    piece, token_id = rows[-1]
    picked = page(navigator.form("/sandbox/step", {"text": text, "temperature": "0",
                                                   "pick": str(token_id)}))
    assert text_so_far(picked) == text + swahili.words.piece(token_id)


def test_generation_shades_tokens_and_links_copied_spans(navigator):
    html = page(navigator.form("/sandbox/generate", {"prompt": CITATION, "temperature": "1",
                                                     "top_k": "20", "max_tokens": "30",
                                                     "seed": "3"}))
    assert re.search(r'class="tok s[0-4]"', html)
    link = re.search(r'<a class="copied" href="(/sandbox/corpora/[^"]+)"', html)
    assert link
    line = page(navigator.get(link.group(1).replace("&amp;", "&")))
    assert 'class="marked"' in line


def test_errors_keep_what_was_typed(navigator):
    html = page(navigator.form("/sandbox/generate", {"prompt": "My own words", "temperature": "7",
                                                     "max_tokens": "30"}))
    assert "error-summary" in html and "My own words" in html
    assert 'id="temperature-error"' in html


def generated(html: str) -> list[str]:
    """The text the model wrote in each generation shown on a page, in order."""
    return ["".join(unescape(t) for t in re.findall(r'<span class="tok s[0-4]"[^>]*>([^<]*)</span>',
                                                     block))
            for block in re.findall(r'<p class="generated">(.*?)</p>', html, re.S)]


def test_scenario_runs_again_with_a_new_prompt_and_mix(app, navigator):
    html = page(navigator.form("/sandbox/scenarios/fabricated-citation",
                               {"prompt": "Drinking water", "seed": "4", "max_tokens": "12"}))
    with app.app_context():
        box = web.box()
        engine, scenarios = box.engine(), box.shipped_scenarios()
        citation = services.run(engine, scenarios["fabricated-citation"], "en",
                                prompt="Drinking water", seed=4, max_tokens=12)
        tuning = services.run(engine, scenarios["base-vs-tuned"], "en", mix=[0.0, 0.3, 0.5, 1.0],
                              seed=4, max_tokens=20)
    assert '<span class="prompt-text">Drinking water</span>' in html
    assert citation["text"] and generated(html)[0] == citation["text"]
    html = page(navigator.form("/sandbox/scenarios/base-vs-tuned", {"mix": "0.3", "seed": "4",
                                                                   "max_tokens": "20"}))
    weights = re.findall(r"Mixing weight ([\d.]+)", html)
    assert weights == ["0", "0.3", "0.5", "1"]
    assert generated(html) == [run["text"] for run in tuning["runs"]]
    assert len(set(generated(html))) > 1  # the weight changes what the model writes


def test_memorisation_explains_why_personal_data_stays_out(app, navigator):
    html = page(navigator.get("/sandbox/scenarios/memorisation"))
    assert "Why you must never type personal data into a chatbot" in html
    with app.test_request_context():
        box = web.box()
        scenario = box.shipped_scenarios()["memorisation"]
        run = services.example_run(box, box.engine(), scenario, "en")["memorisation"]
    assert run["record"] and run["record"]["text"].startswith(run["prompt"])
    shown = f'<span class="prompt-text">{escape(run["prompt"])}</span> ' \
        f'<mark>{escape(run["continuation"])}</mark>'
    assert run["continuation"].strip() and shown in html
    record = re.search(r'Training record: <a href="([^"]+)">', html)
    line = run["record"]["line"]
    assert record and record.group(1) == f"/sandbox/corpora/records/en?line={line}#L{line}"


def test_language_gap_and_bias_show_their_numbers(app, navigator):
    html = page(navigator.get("/sandbox/scenarios/language-gap"))
    assert "Surprise on unseen text (bits per character)" in html and "Perplexity" not in html
    table = html.split("The same question in each language", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)<br>.*?</th>\s*<td>(\d+)</td>\s*<td>[^<]*</td>'
                      r'\s*<td>([\d,]+)</td>\s*<td>([\d.]+)</td>', table, re.S)
    with app.test_request_context():
        engine = web.box().engine()
        expected = [(language(loc).native, format_decimal(sum(c["lines"] for c in lang.corpora)),
                     format_decimal(lang.heldout["bits_per_char"]))
                    for loc, lang in engine.languages.items()]
    assert [(name, lines, bits) for name, _tokens, lines, bits in rows] == expected
    assert "हिन्दी" in html and len(rows) == 7
    html = page(navigator.get("/sandbox/scenarios/bias-probe"))
    assert "<svg" in html and "<title" in html and "The numbers behind the chart" in html
    assert gap(html) > 30


def test_a_trainers_balanced_corpus_shrinks_the_programmes_bias(app, trainer, navigator,
                                                                programme, make_user):
    before = gap(page(navigator.get("/sandbox/scenarios/bias-probe")))
    url = f"/sandbox/programmes/{programme.id}/corpora/skewed/en"
    form = page(trainer.get(url))
    assert 'name="base_version" type="hidden" value="0"' in form
    response = trainer.form(url, {"text": balanced_text(), "base_version": "0"})
    assert response.status_code == 302
    edited = page(trainer.get(url))
    assert "Gap with the text your model learns from" in edited and "smaller" in edited
    after = gap(page(navigator.get("/sandbox/scenarios/bias-probe")))
    assert after < before / 5
    # Another programme still sees the shipped model.
    stranger = login(app.test_client(), make_user("navigator"))
    assert gap(page(stranger.get("/sandbox/scenarios/bias-probe"))) == before

    assert trainer.form(url + "/reset").status_code == 302
    assert gap(page(navigator.get("/sandbox/scenarios/bias-probe"))) == before
    assert "reset to the shipped text" in page(trainer.get(url))


def test_corpus_form_errors_keep_the_text(trainer, programme):
    url = f"/sandbox/programmes/{programme.id}/corpora/instructions/en"
    html = page(trainer.form(url, {"text": "A line without the format", "base_version": "0"}))
    assert "User: … || Assistant: …" in html and "A line without the format" in html
    html = page(trainer.form(url, {"text": "User: Hi || Assistant: Hello", "base_version": "5"}))
    assert "Someone else saved" in html


def test_trainer_creates_a_scenario_in_the_browser(trainer, navigator, programme):
    url = f"/sandbox/programmes/{programme.id}/scenarios/new"
    fields = {"name": "sleep-facts", "kind": "generate", "model": "base", "temperature": "0.5",
              "top_k": "20", "top_p": "1", "max_tokens": "12", "seed": "2",
              "title": "Sleep facts", "prompt": "Regular sleep", "notice": "Notice this.",
              "explanation": "Because.", "reflect": "Why?", "locale": "en", "base_version": "0"}
    html = page(trainer.form(url, {**fields, "kind": "bias"}))
    assert "error-summary" in html and 'id="template-error"' in html
    assert 'value="Sleep facts"' in html  # what was typed stays
    assert trainer.form(url, fields).status_code == 302
    html = page(navigator.get("/sandbox/scenarios/sleep-facts"))
    assert "Sleep facts" in html and "Regular sleep" in html
    edit = f"/sandbox/programmes/{programme.id}/scenarios/sleep-facts/edit"
    assert trainer.form(edit + "?locale=fr", {**fields, "title": "Le sommeil", "locale": "fr",
                                               "base_version": "1"}).status_code == 302
    assert "Le sommeil" in page(trainer.get(edit + "?locale=fr"))
    assert 'value="Sleep facts"' in page(trainer.get(edit + "?locale=en"))
    assert trainer.form(f"/sandbox/programmes/{programme.id}/scenarios/sleep-facts/reset"
                        ).status_code == 302
    assert navigator.get("/sandbox/scenarios/sleep-facts").status_code == 404


def test_saved_runs_are_private(app, navigator, make_user, session):
    response = navigator.form("/sandbox/generate", {"prompt": "Regular sleep", "seed": "1",
                                                    "temperature": "1", "max_tokens": "8",
                                                    "action": "save"})
    assert response.status_code == 302
    row = session.exec(select(SavedRun)).one()
    assert row.prompt == "Regular sleep"
    html = page(navigator.get(response.headers["Location"]))
    assert "Regular sleep" in html
    assert "Regular sleep" in page(navigator.get("/sandbox/runs"))
    other = login(app.test_client(), make_user("navigator"))
    assert other.get(f"/sandbox/runs/{row.id}").status_code == 404
    assert other.form(f"/sandbox/runs/{row.id}/delete").status_code == 404
    assert "Regular sleep" not in other.get("/sandbox/runs").get_data(as_text=True)
    assert navigator.form(f"/sandbox/runs/{row.id}/delete").status_code == 302
    assert navigator.get(f"/sandbox/runs/{row.id}").status_code == 404


def test_prompts_are_not_stored_without_saving(navigator, session):
    navigator.form("/sandbox/generate", {"prompt": "Something private", "temperature": "1",
                                         "max_tokens": "5"})
    navigator.form("/sandbox/scenarios/temperature", {"prompt": "Something private"})
    assert session.exec(select(SavedRun)).all() == []


def test_crisis_prompts_show_the_programmes_resources(navigator, programme, session):
    html = page(navigator.form("/sandbox/generate", {"prompt": "I want to kill myself",
                                                     "temperature": "1", "max_tokens": "5"}))
    assert 'class="crisis"' in html and "emergency services" in html
    programme.crisis_resources = "Call the Harbour line: 0800 555 010."
    session.add(programme)
    session.commit()
    html = page(navigator.form("/sandbox/tokens", {"text": "Pienso en el suicidio"}))
    assert "Call the Harbour line: 0800 555 010." in html
    calm = page(navigator.form("/sandbox/tokens", {"text": "Sleep helps."}))
    assert 'class="crisis"' not in calm


def test_generation_is_rate_limited_per_person(app_factory, make_user, programme):
    app = app_factory(RATELIMIT_ENABLED=True, SANDBOX_RATE_LIMIT="2 per minute")
    client = login(app.test_client(), make_user("navigator", programme))
    data = {"text": "Sleep helps."}
    assert [client.form("/sandbox/tokens", data).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/sandbox/tokens").status_code == 200  # reading pages is not limited
    other = login(app.test_client(), make_user("navigator", programme))
    assert other.form("/sandbox/tokens", data).status_code == 200


def test_lessons_embed_a_precomputed_run(app, make_user, programme):
    client = login(app.test_client(), make_user("navigator", programme))
    with app.test_request_context("/"):
        html = str(embed("temperature", "es"))
        assert "Open in the sandbox" in html
        assert 'href="/sandbox/scenarios/temperature"' in html
        assert re.search(r'class="tok s[0-4]"', html)
        assert embed("no-such-activity", "en") is None
        assert app.extensions[EMBED_EXTENSION]("bias-probe") is not None
    assert client.get("/sandbox/").status_code == 200


def test_train_command_warms_the_cache(app):
    result = app.test_cli_runner().invoke(args=["sandbox", "train"])
    assert result.exit_code == 0, result.output
    assert "Shipped corpora: model" in result.output


def test_a_lesson_shows_the_embedded_activity(app_factory, tmp_path, session, make_programme,
                                              make_user):
    curricula = tmp_path / "curricula"
    root = write_package(curricula)
    (root / "sandbox").symlink_to(SHIPPED)  # the package ships the sandbox beside its lessons
    app = app_factory(CURRICULA_PATH=str(curricula))
    programme = make_programme("Learners")
    learner = make_user("navigator", programme)
    import_and_offer(session, root, programme.id)
    html = page(login(app.test_client(), learner).get("/learn/demo/modules/m1/lessons/l1"))
    embedded = html.split('data-scenario="token-view">', 1)[1].split("</figure>", 1)[0]
    assert 'class="piece c0"' in embedded and "Kiswahili" in embedded
    assert 'href="/sandbox/scenarios/token-view"' in embedded


@pytest.mark.parametrize("name", ["bias-probe", "language-gap", "next-token-step", "token-view"])
def test_saved_activity_runs_show_like_the_activity(navigator, name):
    response = navigator.form(f"/sandbox/scenarios/{name}", {"seed": "3", "action": "save"})
    assert response.status_code == 302
    html = page(navigator.get(response.headers["Location"]))
    assert f'href="/sandbox/scenarios/{name}"' in html and "<table" in html


def test_a_datasheet_is_rendered_by_the_safe_markdown(app_factory, tmp_path, make_user):
    """The shipped sandbox, with its health datasheet given a hostile link and raw HTML."""
    sandbox = tmp_path / "curricula" / "llm-literacy" / "sandbox"
    health = sandbox / "corpora" / "health"
    health.mkdir(parents=True)
    for entry in SHIPPED.iterdir():
        if entry.name != "corpora":
            (sandbox / entry.name).symlink_to(entry)
    for entry in (SHIPPED / "corpora").iterdir():
        if entry.name != "health":
            (sandbox / "corpora" / entry.name).symlink_to(entry)
    for entry in (SHIPPED / "corpora" / "health").iterdir():
        if entry.name != "datasheet.md":
            (health / entry.name).symlink_to(entry)
    shipped = (SHIPPED / "corpora" / "health" / "datasheet.md").read_text(encoding="utf-8")
    (health / "datasheet.md").write_text(shipped + (
        "\n\nRead [the source](https://example.org/source) *carefully*, not "
        "[this](javascript:alert(1)), nor ![a tracker](data:image/png;base64,iVBORw0KGgo=).\n\n"
        '<script>alert(3)</script>\n\n<img src="x" onerror="alert(4)">\n'), encoding="utf-8")
    app = app_factory(CURRICULA_PATH=str(tmp_path / "curricula"))
    html = page(login(app.test_client(), make_user("navigator")).get(
        "/sandbox/corpora/health/en"))
    assert '<a href="https://example.org/source">the source</a> <em>carefully</em>' in html
    assert "[this](javascript:alert(1))" in html  # kept as text, never a link
    assert not re.search(r"href=\"\s*javascript", html, re.I)
    assert "nor ![a tracker](data:" in html and '<img src="data:' not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html and "<script>alert(3)" not in html
    assert "&lt;img src=&quot;x&quot;" in html and 'onerror="alert(4)"' not in html
    assert "<th>Lines (sentences)</th>" in html  # the shipped table, as a table
