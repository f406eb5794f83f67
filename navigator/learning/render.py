"""Lesson Markdown: the ground's safe renderer (navigator.markdown), with sandbox activities
embedded in lessons, or a link to them where the sandbox gives no embed.

The renderer and its allow-lists live in navigator.markdown so the sandbox's datasheets use the
same one; the names are imported here so learning's callers keep importing them from here.
"""

from collections.abc import Callable

from flask import current_app, has_app_context, url_for
from markupsafe import Markup, escape

from navigator import markdown
from navigator.i18n import _
from navigator.markdown import (
    ADMONITIONS,
    IGNORED_IN_URL,
    IMAGE_NAME,
    LABELS,
    LINK_SCHEMES,
    MARKER,
    SCHEME,
    SLUG,
    Links,
    _html,
    scheme_of,
)

__all__ = ["ADMONITIONS", "IGNORED_IN_URL", "IMAGE_NAME", "LABELS", "LINK_SCHEMES", "MARKER",
           "SCHEME", "SLUG", "Embed", "Links", "_html", "render", "scheme_of"]

Embed = Callable[[str], Markup | None]


def _fallback_embed(name: str) -> Markup:
    if has_app_context() and "sandbox.scenario" in current_app.view_functions:
        return Markup('<p><a href="{}">{}</a></p>').format(
            url_for("sandbox.scenario", name=name),
            _("Open the sandbox activity “%(name)s”", name=name))
    return Markup("<p>{}</p>").format(_("Sandbox activity: %(name)s", name=name))


def _embed(name: str, embed: Embed | None) -> Markup:
    inner = embed(name) if embed else None
    body = escape(inner) if inner is not None else _fallback_embed(name)
    return Markup('<figure class="sandbox-embed" data-scenario="{}">{}</figure>').format(
        name, body)


def render(body: str, *, links: Links | None = None, embed: Embed | None = None,
           doc_id: str | None = None) -> Markup:
    """Lesson markdown as safe HTML; embed(name) may supply a sandbox scenario's HTML."""
    return markdown.render(body, links=links or Links(),
                           embed=lambda name: str(_embed(name, embed)), doc_id=doc_id)
