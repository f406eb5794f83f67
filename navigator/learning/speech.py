"""A lesson as a voice reads it: the page's reading order, in words a speech engine can say.

The order is the lesson's own: its title, then headings, paragraphs and list items as they
come, with a pause after each. Pictures are read by their alt text; a code example, a table or
a sandbox activity is named in one sentence (the page holds it, and the page is the
transcript); footnotes are not read. What the voice adds is said in the lesson's language.

The result is SSML for espeak-ng: plain text, escaped, with <break> pauses between parts.
"""

from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from navigator.i18n import _, force_locale, ngettext
from navigator.learning.render import ADMONITIONS

# Raised whenever what is said for a lesson changes, so every narration is made again.
VERSION = 1
ENDS = tuple(".!?:;…।؟")  # a part ending otherwise gets a full stop, for the voice's tune
QUOTES = "\"'”’»)"


@dataclass(frozen=True)
class Part:
    """Something said, and the pause after it, in milliseconds."""

    text: str
    pause: int


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = (MarkdownIt("commonmark", {"html": False}).enable("table")
          .use(front_matter_plugin).use(footnote_plugin))
    for name in ADMONITIONS:
        md.use(container_plugin, name)
    return md


def _inline(token: Token) -> str:
    """An inline run as words: link texts, alt texts of pictures; footnote marks left out."""
    words = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif child.type == "image":
            alt = child.content.strip()
            if alt:
                words.append(" " + _("Picture: %(description)s.", description=alt) + " ")
    return " ".join("".join(words).split())


def _sentence(text: str) -> str:
    """The text ending as a sentence does: "a, b, c," and "Heading" both end in a full stop."""
    text = text.rstrip(" ,;-–—")
    if not text or text.rstrip(QUOTES).endswith(ENDS):
        return text
    return text + "."


def _table(tokens: list[Token], start: int) -> tuple[str, int]:
    """One sentence for a table: its column headings and how many rows; the index after it."""
    headings, rows, i = [], 0, start
    while tokens[i].type != "table_close":
        token = tokens[i]
        if token.type == "th_open":
            headings.append(_inline(tokens[i + 1]))
        elif token.type == "tr_open" and tokens[i + 1].type == "td_open":
            rows += 1
        i += 1
    columns = ", ".join(h for h in headings if h)
    said = ngettext("A table with %(num)d row is on the page here.",
                    "A table with %(num)d rows is on the page here.", rows)
    if columns:
        said += " " + _("Its columns: %(columns)s.", columns=columns)
    return said, i + 1


def parts(title: str, body: str, locale: str) -> list[Part]:
    """What a voice says for a lesson, in order, with the words it adds in the locale."""
    with force_locale(locale):
        return _parts(title, body)


def _parts(title: str, body: str) -> list[Part]:
    said = [Part(_sentence(title.strip()), 800)]
    tokens = _parser().parse(body)
    numbers: list[int | None] = []  # the open lists: the next item's number, None for bullets
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "footnote_block_open":  # notes and sources: on the page, not read
            while tokens[i].type != "footnote_block_close":
                i += 1
        elif kind == "table_open":
            sentence, i = _table(tokens, i)
            said.append(Part(sentence, 500))
            continue
        elif kind == "fence" and token.info.strip() == "sandbox":
            said.append(Part(_("A sandbox activity is on the page here."), 500))
        elif kind in ("fence", "code_block"):
            said.append(Part(_("An example in code is on the page here; it is not read "
                               "aloud."), 500))
        elif kind.startswith("container_") and kind.endswith("_open"):
            name = kind.removeprefix("container_").removesuffix("_open")
            if name in ADMONITIONS:
                said.append(Part(_sentence(str(ADMONITIONS[name])), 300))
        elif kind == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif kind == "bullet_list_open":
            numbers.append(None)
        elif kind in ("ordered_list_close", "bullet_list_close"):
            numbers.pop()
        elif kind == "list_item_open" and numbers and numbers[-1] is not None:
            said.append(Part(f"{numbers[-1]}.", 150))
            numbers[-1] += 1
        elif kind == "heading_open":
            said.append(Part(_sentence(_inline(tokens[i + 1])), 700))
            i += 3
            continue
        elif kind == "inline":
            text = _inline(token)
            if text:
                said.append(Part(_sentence(text), 350 if numbers else 450))
        elif kind == "hr":
            said.append(Part("", 700))
        i += 1
    return [p for p in said if p.text or p.pause]


def ssml(parts_: list[Part], lang: str) -> str:
    """The parts as SSML for espeak-ng (-m): escaped text, a <break> after each part."""
    lines = [f'<speak xml:lang="{escape(lang)}">']
    for part in parts_:
        text = escape(part.text)
        lines.append(f'{text}<break time="{part.pause}ms"/>' if part.pause else text)
    lines.append("</speak>")
    return "\n".join(lines)


def words(parts_: list[Part]) -> int:
    """How many words are said: what a plausible length is measured against."""
    return sum(len(part.text.split()) for part in parts_)
