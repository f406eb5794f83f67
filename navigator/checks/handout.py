"""The one-page handout of an approved check: printable HTML, and PDF with WeasyPrint.

The PDF goes through the platform's PDF pipeline (navigator.learning.pdf.RestrictedFetcher):
WeasyPrint reads only the platform's static files and data: URIs, never the network, a file://
URL or a redirect, so nothing typed into a check can make it fetch anything. Arabic is laid out
right to left and Hindi in Devanagari with the Noto fonts the certificates use.
"""

from __future__ import annotations

import threading
from pathlib import Path

from babel.dates import format_date
from flask import current_app, render_template, url_for

from navigator.checks.sharing import Handout
from navigator.i18n import force_locale, language

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "handout-print.css"
TEMPLATE = "checks/handout.html"
PDF_BASE = "https://navigator.invalid/"
PDF_STATIC = PDF_BASE + "static/"

_local = threading.local()


def _context(doc: Handout) -> dict:
    lang = language(doc.locale)
    return {"doc": doc, "lang": lang.code.replace("_", "-"), "dir": lang.dir,
            "checked": format_date(doc.checked_on, "long", locale=doc.locale)}


def page(doc: Handout, **extra) -> str:
    """The handout as a page to print, in its own language, with the page's own controls."""
    with force_locale(doc.locale):
        return render_template(TEMPLATE, pdf=False, static=url_for("static", filename=""),
                               **_context(doc), **extra)


def _resources():
    # WeasyPrint loads native libraries on import: only PDF requests pay for that.
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_local, "resources"):
        fonts = FontConfiguration()
        _local.resources = (fonts, CSS(string=STYLESHEET.read_text(encoding="utf-8"),
                                       font_config=fonts))
    return _local.resources


def pdf(doc: Handout) -> bytes:
    """The handout as a one-page PDF."""
    from weasyprint import HTML

    from navigator.learning.pdf import RestrictedFetcher

    with force_locale(doc.locale):
        markup = render_template(TEMPLATE, pdf=True, static=PDF_STATIC, **_context(doc))
    fonts, css = _resources()
    document = HTML(string=markup, base_url=PDF_BASE,
                    url_fetcher=RestrictedFetcher({PDF_STATIC: Path(current_app.static_folder)}))
    return document.write_pdf(stylesheets=[css], font_config=fonts)
