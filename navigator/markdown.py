"""Safe Markdown for any page: CommonMark, tables, footnotes, admonitions, anchors, embeds.

Raw HTML is off, so every `<` an author types is escaped; links and images then pass an
allow-list. Rendering is cached per body; what depends on the request (translated admonition
headings, sandbox embeds) is filled into markers afterwards. The markers are HTML comments,
which only this module can produce: markdown text cannot contain an unescaped `<`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import PurePosixPath
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from navigator.i18n import _l

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(png|jpe?g|svg|webp)$", re.I)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
ADMONITIONS = {"try": _l("Try this"), "watch": _l("Watch out")}
LABELS = {**ADMONITIONS, "notes": _l("Notes")}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# Browsers ignore tabs, newlines and control characters inside a URL's scheme.
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")
MARKER = re.compile(r"<!--(sandbox|label):([a-z0-9-]{1,80})-->")

@dataclass(frozen=True)
class Links:
    """Where `module:<slug>` links and images point: format strings, or None to drop them."""

    module: str | None = None  # e.g. "/learn/llm-literacy/modules/{slug}/"
    asset: str | None = None   # e.g. "/learn/llm-literacy/assets/{name}"


def scheme_of(url: str) -> str:
    """A URL's scheme as a browser would read it ('' for a relative URL)."""
    probe = IGNORED_IN_URL.sub("", unquote(url)).lower()
    match = SCHEME.match(probe)
    return match.group(1) if match else ""


def _link_target(href: str, links: Links) -> str | None:
    scheme = scheme_of(href)
    if scheme == "module":
        slug, _hash, fragment = unquote(href.split(":", 1)[1]).partition("#")
        if links.module is None or not SLUG.match(slug):
            return None
        return links.module.format(slug=slug) + (f"#{fragment}" if fragment else "")
    return href if scheme in LINK_SCHEMES or scheme == "" else None


def _image_source(src: str, links: Links) -> str | None:
    """Images come only from the course's assets: a relative path to a known kind of file."""
    if links.asset is None or scheme_of(src) or src.startswith(("/", "\\")):
        return None
    name = PurePosixPath(unquote(src).replace("\\", "/")).name
    return links.asset.format(name=name) if IMAGE_NAME.match(name) else None


def _clean_inline(children: list[Token], links: Links) -> list[Token]:
    """Links and images through the allow-list; a refused link keeps its text."""
    kept, dropping = [], False
    for token in children:
        if token.type == "link_open":
            target = _link_target(str(token.attrGet("href") or ""), links)
            if target is None:
                dropping = True
                continue
            token.attrSet("href", target)
        elif token.type == "link_close" and dropping:
            dropping = False
            continue
        elif token.type == "image":
            source = _image_source(str(token.attrGet("src") or ""), links)
            if source is None:
                text = Token("text", "", 0)
                text.content = token.content  # the alt text, escaped when rendered
                token = text
            else:
                token.attrSet("src", source)
                token.attrSet("loading", "lazy")
        kept.append(token)
    return kept


def _secure(state) -> None:
    """The last core rule: allow-listed URLs, alignment as classes, sandbox markers."""
    links = state.env.get("links") or Links()
    for i, token in enumerate(state.tokens):
        if token.children:
            token.children = _clean_inline(token.children, links)
        if token.type in ("th_open", "td_open") and token.attrGet("style"):
            # A strict CSP refuses style attributes; a class carries the alignment.
            align = str(token.attrGet("style")).removeprefix("text-align:")
            token.attrs.pop("style")
            token.attrSet("class", f"align-{align}")
        elif token.type == "fence" and token.info.strip() == "sandbox":
            name = token.content.strip()
            if SLUG.match(name):
                marker = Token("html_block", "", 0)
                marker.content = f"<!--sandbox:{name}-->\n"
                state.tokens[i] = marker


def _admonition(name: str):
    def render(self, tokens, idx, _options, _env) -> str:
        if tokens[idx].nesting == 1:
            return (f'<aside class="admonition {name}">\n'
                    f'<p class="admonition-title"><!--label:{name}--></p>\n')
        return "</aside>\n"

    return render


def _footnotes_open(self, tokens, idx, _options, _env) -> str:
    return '<section class="footnotes">\n<h2><!--label:notes--></h2>\n<ol class="footnotes-list">\n'


def _footnote_caption(self, tokens, idx, _options, _env) -> str:
    return f"[{tokens[idx].meta['id'] + 1}]"  # a second citation of [1] reads [1], not [1:1]


@cache
def _parser() -> MarkdownIt:
    md = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
          .enable("table")
          .use(front_matter_plugin)
          .use(footnote_plugin)
          .use(anchors_plugin, min_level=2, max_level=3))
    for name in ADMONITIONS:
        md.use(container_plugin, name, render=_admonition(name))
    md.add_render_rule("footnote_block_open", _footnotes_open)
    md.add_render_rule("footnote_caption", _footnote_caption)
    # Refused URLs never become links at all: the markdown stays visible as plain text.
    md.validateLink = lambda url: scheme_of(url) in LINK_SCHEMES | {"", "module"}
    md.core.ruler.push("navigator_secure", _secure)
    return md


@lru_cache(maxsize=512)
def _html(body: str, links: Links, doc_id: str | None) -> str:
    env: dict = {"links": links}
    if doc_id:
        env["docId"] = doc_id  # footnote ids stay unique when several lessons share a page
    return _parser().render(body, env)


def render(body: str, *, links: Links = Links(), embed: Callable[[str], str] | None = None,
           doc_id: str | None = None) -> Markup:
    """Markdown as safe HTML; embed(name) gives the HTML of a ```sandbox block (none: left out)."""

    def fill(match: re.Match) -> str:
        kind, name = match.groups()
        if kind == "label":
            return str(escape(str(LABELS[name]))) if name in LABELS else ""
        return embed(name) if embed else ""

    return Markup(MARKER.sub(fill, _html(body, links, doc_id)))
