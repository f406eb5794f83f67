"""Catalogues: every language complete, consistent with the source, and compiled."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from navigator.i18n import CODES, LANGUAGES, text_direction

ROOT = Path(__file__).resolve().parent.parent / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


def catalogue(locale: str):
    with open(ROOT / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def source_ids() -> set:
    with open(ROOT / "messages.pot", "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) | {m.group(0) for m in PLACEHOLDER.finditer(text)}


@pytest.mark.parametrize("locale", [c for c in CODES if c != "en"])
def test_catalogue_is_complete_and_consistent(locale):
    cat = catalogue(locale)
    wanted = source_ids()
    present = {m.id for m in cat if m.id}
    missing = wanted - present
    assert not missing, (f"{locale}: {len(missing)} messages missing, "
                         f"e.g. {sorted(map(str, missing))[:3]}")
    problems = []
    for message in cat:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(not s for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        expected = _placeholders(ids[-1])
        for s in strings:
            if _placeholders(s) != expected and not (
                    len(ids) > 1 and _placeholders(s) == expected - {"%(num)d", "num"}):
                problems.append(f"placeholders differ in {ids[0]!r}: {s!r}")
    assert not problems, f"{locale}:\n" + "\n".join(problems[:20])


def test_every_platform_language_has_a_catalogue():
    for lang in LANGUAGES:
        if lang.code != "en":
            assert (ROOT / lang.code / "LC_MESSAGES" / "messages.po").exists(), lang.code


def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """messages.pot holds every string in the code: extraction finds nothing new."""
    from babel.messages.frontend import CommandLineInterface

    out = tmp_path / "fresh.pot"
    root = ROOT.parent
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"),
                                "-k", "_l", "--no-location", "--sort-output", "-o", str(out),
                                "--project", "Navigator", str(root)])
    with open(out, "rb") as f:
        fresh = {m.id for m in read_po(f) if m.id}
    assert fresh == source_ids(), (
        f"run `flask i18n update`: new {sorted(map(str, fresh - source_ids()))[:5]}, "
        f"gone {sorted(map(str, source_ids() - fresh))[:5]}")


def test_rtl_and_locale_selection(client, make_user):
    from tests.conftest import login

    assert 'dir="rtl"' in client.get("/", headers={"Accept-Language": "ar"}).get_data(
        as_text=True)
    assert 'lang="pt-BR"' in client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"}
                                        ).get_data(as_text=True)
    client.form("/language", {"locale": "sw", "next": "/"})
    assert 'lang="sw"' in client.get("/", headers={"Accept-Language": "ar"}).get_data(
        as_text=True)  # the switcher beats the browser
    user = make_user(locale="hi")
    login(client, user)
    assert 'lang="hi"' in client.get("/").get_data(as_text=True)  # the profile beats both


def test_template_translation_calls_fill_in_and_escape_as_jinja_does(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        html = app.jinja_env.from_string(
            "{% autoescape true %}{{ _('Download') }}|{{ _('You have %(have)s approved.', "
            "have='<b>') }}|{{ _('100%%') }}|{{ ngettext('%(num)d question.', "
            "'%(num)d questions.', 3) }}{% endautoescape %}").render()
        text = app.jinja_env.from_string(
            "{% autoescape false %}{{ _('You have %(have)s approved.', have='<b>') }}"
            "{% endautoescape %}").render()
    assert html == "Descargar|Llevas &lt;b&gt; aprobadas.|100%|3 preguntas."
    assert text == "Llevas <b> aprobadas."


def test_a_texts_direction_comes_from_its_first_letter():
    assert text_direction("Sharma A, et al. 2024.") == "ltr"
    assert text_direction("2021. منظمة الصحة العالمية") == "rtl"  # digits decide nothing
    assert text_direction("हिन्दी") == "ltr"
    assert text_direction("2024 — (…)") == "auto"
