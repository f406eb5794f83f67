"""The translation status matrix: each module's quiz and the final assessment have rows, with
the states the strict curricula check and the question editor agree on, linked to the editor."""

import html
import re
from html.parser import HTMLParser

from sqlmodel import select

from navigator.accounts.services import principal
from navigator.authoring import services
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import Course, Module
from tests.authoring.test_quiz_editor import read_form
from tests.conftest import login
from tests.test_curricula import tiny


class MatrixReader(HTMLParser):
    """The matrix as a person reads it: row header → [(cell class, cell text, link)]."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[tuple[str, str, str | None]]] = {}
        self.header: str | None = None
        self.cell: list | None = None
        self.text = ""
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "th":
            self.text, self.header = "", None
        elif self.in_body and tag == "td":
            self.text, self.cell = "", [a.get("class", ""), "", None]
        elif tag == "a" and self.cell is not None:
            self.cell[2] = html.unescape(a["href"])

    def handle_data(self, data):
        self.text += data

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif self.in_body and tag == "th":
            self.header = " ".join(self.text.split())
            self.rows[self.header] = []
        elif self.in_body and tag == "td" and self.cell is not None:
            self.cell[1] = " ".join(self.text.split())
            self.rows[self.header].append(tuple(self.cell))
            self.cell = None


def matrix(page: str) -> dict[str, dict[str, tuple[str, str, str | None]]]:
    """Row header → locale → (class, text, link), the locales in the table's column order."""
    reader = MatrixReader()
    reader.feed(page)
    codes = [code for code, _name in
             re.findall(r'<th scope="col" lang="([^"]+)">([^<]+)</th>', page)]
    return {header: {code.replace("-", "_"): cell for code, cell in zip(codes, cells,
                                                                         strict=True)}
            for header, cells in reader.rows.items()}


def _translate(client, draft_id: int, module_id: int | None, locale: str,
               texts: dict[str, str]) -> None:
    """Save a quiz's texts in one language through the question editor, as a trainer would."""
    url = f"/author/versions/{draft_id}/quiz?" + (f"module={module_id}&" if module_id else "") \
        + f"locale={locale}"
    fields = read_form(client.get(url).get_data(as_text=True))
    fields.update(texts)
    response = client.post(url, data={**fields, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)


def _draft(session, course_id: int):
    session.commit()  # end the read: a stale snapshot would not see what requests wrote
    session.expire_all()
    draft = services.draft_of(session, course_id)
    module = session.exec(select(Module).where(Module.version_id == draft.id)).one()
    return draft, module


SPANISH = {"q0-prompt": "¿Cuál es correcta?", "q0-o0-text": "Esta", "q0-o1-text": "Aquella",
           "q1-prompt": "Fluido significa verdadero."}
FINAL_ES = {"q0-prompt": "Elige dos.", "q0-o0-text": "A", "q0-o1-text": "B",
            "q0-o2-text": "C"}
FRENCH = {"q0-prompt": "Laquelle est juste ?", "q0-o0-text": "Celle-ci",
          "q0-o1-text": "Celle-là", "q1-prompt": "Fluide veut dire vrai."}


def test_a_changed_quiz_source_shows_its_translation_outdated_in_the_matrix(
        app, session, tmp_path, make_programme, make_user):
    programme = make_programme("Matrix")
    trainer = make_user("trainer", programme)
    version, _new = learning.import_package(session, package.load_package(tiny(tmp_path)))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    course = session.get(Course, version.course_id)
    client = login(app.test_client(), trainer)
    page = f"/author/courses/{course.id}/translations"

    # Before any quiz translation: the rows are there, every other language missing.
    rows = matrix(client.get(page).get_data(as_text=True))
    assert list(rows) == ["Introduction", "Quiz: Introduction", "Final assessment"]
    assert rows["Quiz: Introduction"]["en"][:2] == ("status-source", "source")
    assert {cell[1] for code, cell in rows["Final assessment"].items() if code != "en"} == \
        {"missing"}

    # Spanish translations of both quizzes, published.
    assert client.form(f"/author/courses/{course.id}/draft").status_code == 302
    draft, module = _draft(session, course.id)
    _translate(client, draft.id, module.id, "es", SPANISH)
    _translate(client, draft.id, None, "es", FINAL_ES)
    assert client.form(f"/author/versions/{draft.id}/publish").status_code == 302
    session.commit()
    session.expire_all()
    assert learning.published_version(session, course.id).id == draft.id
    rows = matrix(client.get(page).get_data(as_text=True))
    assert rows["Quiz: Introduction"]["es"][1] == "up to date, not reviewed"

    # A new draft changes the module quiz's English source; French is translated after it.
    assert client.form(f"/author/courses/{course.id}/draft").status_code == 302
    draft, module = _draft(session, course.id)
    _translate(client, draft.id, module.id, "en", {"q0-prompt": "Which one is right?"})
    _translate(client, draft.id, module.id, "fr", FRENCH)

    response = client.get(page)
    assert response.status_code == 200
    rows = matrix(response.get_data(as_text=True))
    quiz = rows["Quiz: Introduction"]
    assert quiz["es"][:2] == ("status-outdated", "outdated: the source changed")
    assert quiz["fr"][:2] == ("status-current", "up to date, not reviewed")
    assert quiz["sw"][:2] == ("status-missing", "missing")
    assert rows["Final assessment"]["es"][:2] == ("status-current", "up to date, not reviewed")
    # Each state links to that translation in the question editor, beside its source.
    assert quiz["es"][2] == f"/author/versions/{draft.id}/quiz?module={module.id}&locale=es"
    assert rows["Final assessment"]["fr"][2] == f"/author/versions/{draft.id}/quiz?locale=fr"
    editor = client.get(quiz["es"][2]).get_data(as_text=True)
    assert 'class="source" lang="en"' in editor and "Which one is right?" in editor
    # The lessons' row has no quiz states in it, and the strict check agrees with the matrix.
    assert rows["Introduction"]["es"][1] == "missing"
    session.commit()  # end the read: a stale snapshot would not see the editor's saves
    session.expire_all()
    with app.app_context():
        problems = package.translation_problems(
            package.load_files(learning.export_files(session, draft)))
    quiz_problems = {"/".join(p.path.parts[-2:]): p.message for p in problems
                     if p.path.name.startswith("quiz.")}
    assert quiz_problems["intro/quiz.es.yaml"].startswith("translation is outdated")
    assert "intro/quiz.fr.yaml" not in quiz_problems
    assert quiz_problems["intro/quiz.sw.yaml"] == "translation is missing"
    assert "final/quiz.es.yaml" not in quiz_problems


def test_a_reviewed_quiz_translation_reads_reviewed(app, session, tmp_path, make_programme,
                                                     make_user):
    programme = make_programme("Reviewed")
    trainer = make_user("trainer", programme)
    version, _new = learning.import_package(session, package.load_package(tiny(tmp_path)))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    course = services.get_course(session, principal(session, trainer), version.course_id)
    with app.app_context():
        draft = services.start_draft(session, course)
        module = learning.modules_of(session, draft.id)[0]
        quiz = services.quiz_of(session, draft.id, module.id)
        key, texts = services.quiz_files(session, quiz, "en", "en")
        spanish = texts.replace("Which is right?", "¿Cuál es correcta?")
        assert services.save_quiz(session, course, module, draft.id, "es", key_yaml=key,
                                  texts_yaml="reviewed_by: Ana G., 2026-12-07\n" + spanish) == []
        rows = services.translation_matrix(session, draft, "en", "en")
    quiz_row = next(row for row in rows if row.quiz and row.module)
    assert quiz_row.cells["es"] == "reviewed" and quiz_row.cells["fr"] == "missing"
    final_row = rows[-1]
    assert final_row.quiz and final_row.module is None and final_row.cells["es"] == "missing"
