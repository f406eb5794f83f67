"""Courses and modules as PDF for printing and offline study, with WeasyPrint.

WeasyPrint fetches only what RestrictedFetcher serves: files under the folders it is given
(the platform's static files, the course's images) and data: URIs. Nothing else is read:
no file:// URL, no network, so no redirects either.
"""

import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "learning-print.css"

_local = threading.local()


class RestrictedFetcher(URLFetcher):
    """Serves data: URIs and files below the given URL prefixes; refuses everything else."""

    def __init__(self, roots: dict[str, Path]):
        super().__init__(allow_redirects=False)
        self.roots = {prefix: folder.resolve() for prefix, folder in roots.items()}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if urlsplit(url).scheme.lower() == "data":
            with DataHandler().data_open(Request(url)) as response:
                return URLFetcherResponse(url, response.read(),
                                          {"Content-Type": response.headers["Content-Type"]})
        for prefix, folder in self.roots.items():
            if not url.startswith(prefix):
                continue
            relative = unquote(urlsplit(url[len(prefix):]).path)
            path = (folder / relative).resolve()
            if path.is_relative_to(folder) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError("only the platform's own files are fetched")


def _resources() -> tuple[FontConfiguration, CSS]:
    """The font configuration and parsed stylesheet, made once per thread and reused."""
    if not hasattr(_local, "resources"):
        fonts = FontConfiguration()
        css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts)
        _local.resources = (fonts, css)
    return _local.resources


def write_pdf(html: str, base_url: str, roots: dict[str, Path]) -> bytes:
    """A PDF of the HTML; roots maps URL prefixes to the folders they may read from."""
    fonts, css = _resources()
    document = HTML(string=html, base_url=base_url, url_fetcher=RestrictedFetcher(roots))
    return document.write_pdf(stylesheets=[css], font_config=fonts)
