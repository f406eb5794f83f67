"""Certificates as PDF with WeasyPrint: A4 or US Letter, in the certificate's own language.

WeasyPrint reads only what RestrictedFetcher serves: data: URIs (the QR code) and the files
under navigator/static/, addressed through STATIC_URL, a name that never resolves. No file://
URL, no network, no redirects: a name or title holding markup cannot make the renderer fetch,
read or attach anything. The stylesheet is parsed once and the font configuration made once;
renders share them under a lock, since WeasyPrint does not promise they are thread-safe.
"""

import mimetypes
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

import segno
from babel import support
from babel.dates import format_date
from flask import current_app
from jinja2 import Environment, FileSystemLoader
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from navigator.i18n import force_locale, language

STATIC = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STYLESHEET = STATIC / "certificate-print.css"
STATIC_URL = "https://static.navigator.invalid/"
TEMPLATE = "certification/pdf/certificate.html"
PAPERS = ("a4", "letter")

_lock = threading.Lock()
_resources: tuple[FontConfiguration, CSS] | None = None


class RestrictedFetcher(URLFetcher):
    """Serves data: URIs and the platform's static files; refuses every other URL."""

    def __init__(self):
        super().__init__(allow_redirects=False, allowed_protocols=("data", "https"))

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if urlsplit(url).scheme.lower() == "data":
            with DataHandler().data_open(Request(url)) as response:
                return URLFetcherResponse(url, response.read(),
                                          {"Content-Type": response.headers["Content-Type"]})
        if url.startswith(STATIC_URL):
            relative = unquote(urlsplit(url).path).lstrip("/")
            path = (STATIC / relative).resolve()
            if path.is_relative_to(STATIC) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError("only the platform's own files are fetched")


def resources() -> tuple[FontConfiguration, CSS]:
    """The font configuration and the parsed stylesheet, made on first use and then reused."""
    global _resources
    if _resources is None:
        with _lock:
            if _resources is None:
                fonts = FontConfiguration()
                css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts,
                          url_fetcher=RestrictedFetcher(), base_url=STATIC_URL)
                _resources = (fonts, css)
    return _resources


@dataclass(frozen=True)
class CertificateDoc:
    """What a certificate says, ready to print."""

    code: str  # as printed: ABCDE-FGHJK
    url: str  # the public verification page
    printed_name: str
    track: str
    programme: str
    version: int
    locale: str
    issued_on: date
    expires_on: date | None


def qr_data_uri(url: str) -> str:
    """The URL as a QR code, an SVG data: URI (vector, so it stays sharp when printed)."""
    return segno.make(url, error="m").svg_data_uri(border=0)


def _context(doc: CertificateDoc, paper: str) -> dict:
    lang = language(doc.locale)
    return {"doc": doc, "paper": paper if paper in PAPERS else "a4", "qr": qr_data_uri(doc.url),
            "lang": lang.code.replace("_", "-"), "dir": lang.dir, "static": STATIC_URL,
            "issued": format_date(doc.issued_on, "long", locale=doc.locale),
            "expires": format_date(doc.expires_on, "long", locale=doc.locale)
            if doc.expires_on else ""}


def html(doc: CertificateDoc, paper: str = "a4") -> str:
    """The certificate as HTML in its own language (needs an app context for the template)."""
    with force_locale(doc.locale):
        return current_app.jinja_env.get_template(TEMPLATE).render(**_context(doc, paper))


class Renderer:
    """Certificates from HTML to PDF without the web app: what an export's helper processes
    run, so the process that writes the ZIP only hands out documents and collects PDFs.

    The same template and catalogues as html(), in a Jinja environment of its own.
    """

    def __init__(self, translations_path: str) -> None:
        self.translations_path = translations_path
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                               trim_blocks=True, lstrip_blocks=True,
                               extensions=["jinja2.ext.i18n"])
        self._catalogues: dict[str, support.Translations] = {}

    def html(self, doc: CertificateDoc, paper: str = "a4") -> str:
        catalogue = self._catalogues.get(doc.locale)
        if catalogue is None:
            catalogue = self._catalogues[doc.locale] = support.Translations.load(
                self.translations_path, [doc.locale])
        self.env.install_gettext_translations(catalogue, newstyle=True)
        return self.env.get_template(TEMPLATE).render(**_context(doc, paper))

    def pdf(self, doc: CertificateDoc, paper: str = "a4") -> bytes:
        return write_pdf(self.html(doc, paper))


def write_pdf(markup: str) -> bytes:
    """Render HTML with the certificate stylesheet, fetching only the platform's own files."""
    fonts, css = resources()
    document = HTML(string=markup, base_url=STATIC_URL, url_fetcher=RestrictedFetcher())
    with _lock:
        return document.write_pdf(stylesheets=[css], font_config=fonts)


def render(doc: CertificateDoc, paper: str = "a4") -> bytes:
    """A certificate as PDF bytes."""
    return write_pdf(html(doc, paper))
