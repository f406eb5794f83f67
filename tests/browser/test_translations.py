"""No interface string left in English: every page type, in every other platform language.

Each page is read twice, in English and in the language under test. A piece of text (or a
title, label or alternative text) that is the same in both and holds a word of the English
interface that the language's own catalogue never uses is English left behind. Text marked
as another language (lang="en" on course content or activities shown with their fallback
notice, content in the language a trainer edits), a module's references and a lesson's
footnotes (bibliographic, in the language of the source), code, and the names
of languages, programmes, people and sites are not interface strings and are left out.
"""

import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from navigator.i18n import CODES, LANGUAGES
from tests.browser.conftest import ROOT, LiveServer, new_context, shot, sign_in
from tests.browser.test_accessibility import ids

COURSE = "/learn/llm-literacy"
MODULE = f"{COURSE}/modules/03-hallucinations"
PAGES = {
    None: ["/", "/sign-in", "/join", "/password/forgot", "/verify/", "/no-such-page"],
    "navigator": ["/", "/account", "/account/password", "/learn/", f"{COURSE}/", f"{MODULE}/",
                  f"{MODULE}/lessons/01-plausible-but-false",
                  f"{MODULE}/lessons/02-fabricated-references", f"{MODULE}/quiz",
                  f"{COURSE}/modules/04-bias-and-fairness/quiz", f"{COURSE}/final",
                  "/sandbox/", "/sandbox/tokens", "/sandbox/step", "/sandbox/generate",
                  "/sandbox/runs", "/sandbox/scenarios/bias-probe",
                  "/sandbox/scenarios/language-gap", "/sandbox/scenarios/memorisation",
                  "/sandbox/scenarios/base-vs-tuned", "/sandbox/scenarios/temperature",
                  "/sandbox/corpora/health/{locale}", "/outreach/", "/outreach/new",
                  "/certificates/", "/offline/"],
    "trainer": ["/author/", "/author/courses/{course}", "/author/courses/{course}/translations",
                "/author/courses/{course}/learners", "/author/courses/{course}/items",
                "/author/lessons/{lesson}", "/sandbox/programmes/{programme}/manage",
                "/certificates/signoffs"],
    "manager": ["/people", "/people/invite", "/people/{person}", "/programmes",
                "/programmes/{programme}", "/outreach/programmes/{programme}/report",
                "/outreach/programmes/{programme}/activities",
                "/outreach/programmes/{programme}/training",
                "/outreach/programmes/{programme}/sites", "/certificates/register"],
    "admin": ["/admin/llm-endpoints", "/admin/llm-endpoints/new"],
}
WORD = re.compile(r"[^\W\d_]{3,}")
OTHER_SCRIPTS = {"ar", "hi"}  # languages not written in Latin letters

# The text a person reads or hears: text nodes, and the attributes read out or shown.
READ_TEXT = """pageLang => {
  const out = [];
  const other = el => {
    const marked = el.closest('[lang]');
    return marked && marked.getAttribute('lang') !== pageLang;
  };
  const skip = 'script, style, code, pre, kbd, samp, textarea, [translate=no], '
    + '.references, .footnotes';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || other(el)) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (other(el) || el.closest(skip)) continue;
    for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
      const value = (el.getAttribute(name) || '').replace(/\\s+/g, ' ').trim();
      if (value) out.push(value);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server of its own: other modules' English-only test courses are content, not interface."""
    server = LiveServer(tmp_path_factory.mktemp("own-server"))
    yield server
    server.stop()


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


@cache
def english_words() -> frozenset[str]:
    """Every word of the English interface: the catalogue template's message ids."""
    with open(ROOT / "translations" / "messages.pot", "rb") as f:
        catalog = read_po(f)
    words: set[str] = set()
    for message in catalog:
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            words |= _words(msgid)
    return frozenset(words)


@cache
def own_words(locale: str) -> frozenset[str]:
    """The words a language's translations use. A translation the same as the English counts
    where the language shares its alphabet ("Total", "Module", "Licence"), not in Arabic or
    Hindi, where Latin letters are English left behind."""
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    words: set[str] = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text and (text not in ids or locale not in OTHER_SCRIPTS):
                words |= _words(text)
    return frozenset(words)


def names(server) -> list[str]:
    """Names, not interface strings: the platform's and its languages' own, and those of the
    programmes, people and sites in the database (the demo's and other tests'), longest first."""
    from sqlmodel import Session, select

    from navigator.accounts.models import Programme, User
    from navigator.outreach.models import OutreachSite

    with Session(server.app.extensions["navigator.db"]) as s:
        found = [*s.exec(select(Programme.name)), *s.exec(select(User.display_name)),
                 *s.exec(select(User.email)), *s.exec(select(OutreachSite.name)),
                 *(lang.native for lang in LANGUAGES), "Navigator"]
    return sorted({n for n in found if n}, key=len, reverse=True)


def english_left(text: str, locale: str, known: list[str]) -> set[str]:
    """The words of `text` that are English interface words and not words of `locale`."""
    for name in known:
        text = text.replace(name, " ")
    return _words(text) & english_words() - own_words(locale)


def read(page, url: str, locale: str) -> list[str]:
    response = page.goto(url)
    assert response.status < 500, f"{url}: HTTP {response.status}"
    lang = locale.replace("_", "-")
    assert page.get_attribute("html", "lang") == lang, f"{url} is not in {locale}"
    return page.evaluate(READ_TEXT, lang)


def pages_in(browser, server, role, locale):
    """(address, texts, page) for each of the role's pages, in a profile asking for `locale`."""
    context = new_context(browser, locale=locale.replace("_", "-"), width=1280)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the first sandbox page trains the models
    try:
        if role:
            sign_in(page, server, role)
        for path in PAGES[role]:
            address = path.format(locale=locale, **ids(server))
            yield address, read(page, server.url + address, locale), page
    finally:
        context.close()


@pytest.mark.parametrize("locale", [code for code in CODES if code != "en"])
@pytest.mark.parametrize("role", [None, "navigator", "trainer", "manager", "admin"],
                         ids=["anonymous", "navigator", "trainer", "manager", "admin"])
def test_no_interface_string_is_left_in_english(browser, live_server, role, locale):
    english = {path.replace("/en", f"/{locale}") if "/corpora/" in path else path: set(texts)
               for path, texts, _page in pages_in(browser, live_server, role, "en")}
    assert english
    failures, known = [], names(live_server)
    for path, texts, page in pages_in(browser, live_server, role, locale):
        left = sorted({(text, ", ".join(sorted(words))) for text in texts
                       if text in english.get(path, ())
                       and (words := english_left(text, locale, known))})
        if left:
            shot(page, f"english-{locale}-{role or 'anon'}-{path}")
            failures.append(f"{path} ({locale}): " + "; ".join(
                f"“{text[:80]}” [{words}]" for text, words in left))
    assert not failures, "English left in the interface:\n" + "\n".join(failures)
