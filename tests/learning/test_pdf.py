"""Courses and modules as PDF: the text is there in each script, and nothing else is fetched."""

import subprocess
import unicodedata
from pathlib import Path

import pytest

from navigator.learning.pdf import RestrictedFetcher, write_pdf

STATIC = Path(__file__).resolve().parents[2] / "navigator" / "static"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(unicodedata.normalize("NFKC", out).split())


def squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.parametrize(("language", "titles"), [
    ("en", ["Demo course", "Tokens and text", "What does a model read?", "Ref One"]),
    ("ar", ["دورة تجريبية", "الرموز والنص", "Fluent is not true"]),
])
def test_course_pdf_holds_the_lessons(learner, tmp_path, language, titles):
    response = learner.get(f"/learn/demo/print?language={language}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"demo-{language}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data(), tmp_path)
    for title in titles:
        assert squeeze(title) in text, title
    assert "Yes: tokens." not in text and "Models read tokens" not in text  # no answers
    if language == "en":  # the English lesson shows a picture from the course's assets
        images = subprocess.run(["pdfimages", "-list", str(tmp_path / "out.pdf")], check=True,
                                capture_output=True, text=True).stdout.splitlines()
        assert len(images) > 2  # two header lines, then the picture (and its alpha mask)


def test_module_pdf_holds_only_that_module(learner, tmp_path):
    response = learner.get("/learn/demo/print?language=en&module=m2")
    text = pdf_text(response.get_data(), tmp_path)
    assert "Keepdetailsout" in text and "Tokensandtext" not in text


def test_pdf_language_must_be_a_platform_language(learner):
    assert learner.get("/learn/demo/print?language=xx").status_code == 400
    assert learner.get("/learn/demo/print?language=en&module=nope").status_code == 404


def test_fetcher_refuses_files_and_the_network(tmp_path):
    fetcher = RestrictedFetcher({"http://navigator.test/static/": STATIC})
    for url in ("file:///etc/passwd", "http://example.org/x.png", "https://example.org/a.css",
                "http://127.0.0.1:9/x.png", "ftp://example.org/x",
                "http://navigator.test/static/../../../etc/passwd",
                "http://navigator.test/static/%2e%2e/%2e%2e/pyproject.toml",
                "http://navigator.test/other/navigator.css"):
        with pytest.raises(ValueError):
            fetcher(url)


def test_fetcher_serves_own_static_files_and_data_uris():
    fetcher = RestrictedFetcher({"http://navigator.test/static/": STATIC})
    response = fetcher("http://navigator.test/static/favicon.svg")
    assert response.content_type == "image/svg+xml" and response.read().startswith(b"<")
    response = fetcher("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"


def test_write_pdf_survives_refused_resources(tmp_path):
    html = ('<p>Hello</p><img src="file:///etc/hostname"><img src="http://example.org/x.png">'
            '<link rel="stylesheet" href="file:///etc/passwd">')
    data = write_pdf(html, "http://navigator.test/", {"http://navigator.test/static/": STATIC})
    assert data.startswith(b"%PDF")
