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


PAPERS = {"a4": "A4", "letter": "letter"}  # the paper sizes a PDF comes in, as CSS names them


def _resources(paper: str) -> tuple[FontConfiguration, list[CSS]]:
    """The font configuration and parsed stylesheets, made once per thread and reused."""
    if not hasattr(_local, "resources"):
        fonts = FontConfiguration()
        css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts)
        sizes = {name: CSS(string=f"@page {{ size: {size}; }}", font_config=fonts)
                 for name, size in PAPERS.items()}
        _local.resources = (fonts, css, sizes)
    fonts, css, sizes = _local.resources
    return fonts, [css, sizes.get(paper, sizes["a4"])]


def write_pdf(html: str, base_url: str, roots: dict[str, Path], paper: str = "a4") -> bytes:
    """A PDF of the HTML; roots maps URL prefixes to the folders it may read from."""
    fonts, stylesheets = _resources(paper)
    document = HTML(string=html, base_url=base_url, url_fetcher=RestrictedFetcher(roots))
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts)
