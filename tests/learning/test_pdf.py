"""Courses and modules as PDF: the text is there in each script, and nothing else is fetched."""

import subprocess
import time
import unicodedata
from pathlib import Path

import pytest

from navigator.learning import pdf
from navigator.learning.pdf import RestrictedFetcher, write_pdf
from tests.conftest import login
from tests.learning.packages import import_and_offer, write_package

STATIC = Path(__file__).resolve().parents[2] / "navigator" / "static"


@pytest.fixture
def app(app_factory, curricula):
    """Jobs run as they are queued: the first request for a PDF makes it, and sends it."""
    return app_factory(CURRICULA_PATH=str(curricula), JOBS_IMMEDIATE=True)


@pytest.fixture
def renders(monkeypatch):
    """Every PDF WeasyPrint makes, as (paper size, first bytes)."""
    made = []
    real = pdf.write_pdf

    def counted(html, base_url, roots, paper="a4"):
        made.append(paper)
        return real(html, base_url, roots, paper)

    monkeypatch.setattr(pdf, "write_pdf", counted)
    return made


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


def test_a_pdf_is_made_once_and_then_sent_from_storage(learner, app, demo, make_user, renders,
                                                       tmp_path):
    first = learner.get("/learn/demo/print?language=en")
    again = learner.get("/learn/demo/print?language=en")
    other = login(app.test_client(), make_user("navigator", demo.programme))
    theirs = other.get("/learn/demo/print?language=en")
    assert first.get_data() == again.get_data() == theirs.get_data()
    assert renders == ["a4"]  # one render for everyone who follows that version
    learner.get("/learn/demo/print?language=en&module=m2")
    learner.get("/learn/demo/print?language=ar")
    assert len(renders) == 3  # one per module (or whole course) and language


def test_us_letter(learner, renders, tmp_path):
    response = learner.get("/learn/demo/print?language=en&paper=letter")
    assert renders == ["letter"] and "demo-en-letter.pdf" in response.headers[
        "Content-Disposition"]
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.get_data())
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    assert "612 x 792 pts" in info
    assert learner.get("/learn/demo/print?language=en&paper=a3").status_code == 400


def test_a_newly_published_version_prints_afresh(learner, demo, session, curricula, tmp_path):
    learner.get("/learn/demo/print?language=en&module=m1")
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    kept = learner.get("/learn/demo/print?language=en&module=m1").get_data()
    assert "Versiontwotext" not in pdf_text(kept, tmp_path)  # still on version 1
    learner.form("/learn/demo/switch")
    fresh = learner.get("/learn/demo/print?language=en&module=m1").get_data()
    assert "Versiontwotext" in pdf_text(fresh, tmp_path)


def test_the_first_request_waits_for_the_queue_not_for_the_renderer(
        app_factory, curricula, demo, renders):
    from navigator import jobs

    app = app_factory(CURRICULA_PATH=str(curricula))  # jobs wait for a worker, as in production
    client = login(app.test_client(), demo.navigator)
    waiting = client.get("/learn/demo/print?language=en")
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 202 and renders == []
    assert 'http-equiv="refresh"' in html and "Preparing your PDF" in html
    assert client.get("/learn/demo/print?language=en").status_code == 202  # asked for once
    worker = jobs.start_worker(app, workers=1)
    try:
        for _ in range(300):
            response = client.get("/learn/demo/print?language=en")
            if response.status_code == 200:
                break
            time.sleep(0.1)
    finally:
        worker.stop(graceful=True)
    assert response.mimetype == "application/pdf" and renders == ["a4"]


def test_the_pdf_forms_offer_every_language_with_the_pages_chosen(learner):
    learner.form("/language", {"locale": "fr", "next": "/"})
    for url, module in (("/learn/demo/", ""), ("/learn/demo/modules/m2/", "m2")):
        html = learner.get(url).get_data(as_text=True)
        form = html[html.index('class="print-form"'):]
        form = form[:form.index("</form>")]
        assert form.count("<option lang=") == 7
        assert '<option lang="fr" selected value="fr">' in form
        assert f'name="module" type="hidden" value="{module}"' in form
