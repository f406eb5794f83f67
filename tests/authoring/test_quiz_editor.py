"""The question editor: the shipped quizzes round-trip unchanged through the form, buttons
work without JavaScript and keep what was typed, messages sit beside their fields,
translations are edited beside their source, and surface cues show as hints."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import select

from navigator.accounts.services import principal
from navigator.authoring import quizedit, services
from navigator.learning import package, quizcheck
from navigator.learning import services as learning
from navigator.learning.models import Module, Quiz
from tests.conftest import login
from tests.test_curricula import tiny

SHIPPED = Path(__file__).resolve().parents[2] / "curricula" / "llm-literacy"


class FormReader(HTMLParser):
    """The fields a browser would send from the question editor's form, unchanged."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.inside = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.buffer = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "quiz-editor" in (a.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and "disabled" not in a:
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.buffer = a["name"], ""
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a["value"]))

    def handle_data(self, data):
        if self.textarea is not None:
            self.buffer += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops one newline right after <textarea>.
            value = self.buffer[1:] if self.buffer.startswith("\n") else self.buffer
            self.fields.append((self.textarea, html.unescape(value)))
            self.textarea = None
        elif tag == "select":
            self.select = None


def read_form(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.convert_charrefs = True
    reader.feed(page)
    return dict(reader.fields)


@pytest.fixture
def trainer_world(session, make_programme, make_user):
    programme = make_programme("Editors")
    trainer = make_user("trainer", programme)
    return programme, trainer


def _draft_of(session, app, root: Path, programme) -> tuple:
    """A package imported, published, offered, and a draft started from it."""
    version, _new = learning.import_package(session, package.load_package(root))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    course = services.get_course(session, principal(session, _trainer(session, programme)),
                                 version.course_id)
    with app.app_context():
        draft = services.start_draft(session, course)
        session.commit()
    return course, draft


def _trainer(session, programme):
    from navigator.accounts.models import Membership, User

    return session.exec(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.programme_id == programme.id, Membership.role == "trainer")).first()


def _url(draft, module=None, locale=None):
    url = f"/author/versions/{draft.id}/quiz"
    args = [f"module={module.id}"] if module else []
    args += [f"locale={locale}"] if locale else []
    return url + ("?" + "&".join(args) if args else "")


def _send(client, url, fields, action="save"):
    return client.post(url, data={**fields, "action": action})


def test_shipped_quizzes_round_trip_unchanged_through_the_editor(app, session, trainer_world):
    """Every quiz of the shipped course, opened in the editor and saved as it is, in the main
    language and every translation, exports the same files byte for byte."""
    programme, trainer = trainer_world
    course, draft = _draft_of(session, app, SHIPPED, programme)
    with app.app_context():
        before = learning.export_files(session, draft)
    client = login(app.test_client(), trainer)
    modules = {m.id: m for m in learning.modules_of(session, draft.id)}
    quizzes = session.exec(select(Quiz).where(Quiz.version_id == draft.id)).all()
    assert len(quizzes) >= 10
    saved = 0
    for quiz in quizzes:
        module = modules.get(quiz.module_id)
        for locale in sorted(quiz.texts):
            url = _url(draft, module, None if locale == course.default_locale else locale)
            page = client.get(url)
            assert page.status_code == 200, url
            response = _send(client, url, read_form(page.get_data(as_text=True)))
            assert response.status_code == 302, (url, re.findall(
                r'<p class="error"[^>]*>(.*?)</p>|<code>(.*?)</code>',
                response.get_data(as_text=True))[:5])
            saved += 1
    assert saved >= 70
    with app.app_context():
        after = learning.export_files(session, draft)
    changed = [path for path in before if before[path] != after.get(path)]
    assert changed == [] and set(after) == set(before)
    on_disk = {p.relative_to(SHIPPED).as_posix(): p.read_bytes()
               for p in SHIPPED.rglob("quiz*.yaml")}
    assert {p: after[p] for p in on_disk} == on_disk  # and the package files are canonical


def test_the_model_round_trips_every_shipped_quiz_file():
    pkg = package.load_package(SHIPPED)
    for quiz, folder, stem in quizcheck.quizzes(pkg):
        for locale, texts in quiz.texts.items():
            draft = quizedit.from_quiz(quiz.pass_mark, quiz.key, texts["questions"])
            pass_mark, key, questions = quizedit.to_quiz(draft)
            assert package.quiz_key_file(pass_mark, key) == (folder / f"{stem}.yaml").read_text()
            written = package.quiz_text_file(
                questions, "" if locale == pkg.default_locale else texts["source_hash"],
                texts["reviewed_by"])
            assert written == (folder / f"{stem}.{locale}.yaml").read_text(), (folder, locale)


@pytest.fixture
def tiny_draft(app, session, tmp_path, trainer_world):
    programme, trainer = trainer_world
    course, draft = _draft_of(session, app, tiny(tmp_path), programme)
    module = session.exec(select(Module).where(Module.version_id == draft.id)).one()
    return course, draft, module, login(app.test_client(), trainer)


def test_buttons_add_move_and_remove_without_losing_what_was_typed(session, tiny_draft):
    _course, draft, module, client = tiny_draft
    url = _url(draft, module)
    fields = read_form(client.get(url).get_data(as_text=True))
    fields["q0-prompt"] = "Typed, not saved yet"
    page = _send(client, url, fields, "add-question")
    assert page.status_code == 200
    fields = read_form(page.get_data(as_text=True))
    assert fields["q0-prompt"] == "Typed, not saved yet"
    assert fields["q2-id"] == "q3" and fields["q2-type"] == "single"
    assert [fields[f"q2-o{j}-id"] for j in range(3)] == ["a", "b", "c"]
    fields["q2-prompt"] = "A third question"
    fields.update({"q2-o0-text": "Red", "q2-o1-text": "Green", "q2-o2-text": "Blue",
                   "q2-correct": "b"})
    fields = read_form(_send(client, url, fields, "up-question:2").get_data(as_text=True))
    assert fields["q1-prompt"] == "A third question" and fields["q1-correct"] == "b"
    fields = read_form(_send(client, url, fields, "down-option:1:0").get_data(as_text=True))
    assert [fields[f"q1-o{j}-text"] for j in range(3)] == ["Green", "Red", "Blue"]
    assert fields["q1-correct"] == "b"  # the mark moves with its option
    fields = read_form(_send(client, url, fields, "remove-option:1:2").get_data(as_text=True))
    assert "q1-o2-id" not in fields
    fields = read_form(_send(client, url, fields, "add-option:1").get_data(as_text=True))
    assert fields["q1-o2-id"] == "c" and fields["q1-o2-text"] == ""
    fields["q1-o2-text"] = "Yellow"
    # Still nothing saved: the stored quiz has its two questions.
    assert len(services.quiz_of(session, draft.id, module.id).key["questions"]) == 2
    assert _send(client, url, fields).status_code == 302
    session.commit()  # end the read: a stale snapshot would not see the save
    session.expire_all()
    quiz = services.quiz_of(session, draft.id, module.id)
    assert [q["id"] for q in quiz.key["questions"]] == ["q1", "q3", "q2"]
    assert quiz.key["questions"][1] == {"id": "q3", "type": "single",
                                        "options": ["b", "a", "c"], "correct": ["b"]}
    assert quiz.texts["en"]["questions"]["q3"]["options"]["c"] == {"text": "Yellow"}
    assert quiz.texts["en"]["questions"]["q1"]["prompt"] == "Typed, not saved yet"


def test_messages_sit_beside_their_fields_and_keep_what_was_typed(tiny_draft):
    _course, draft, module, client = tiny_draft
    url = _url(draft, module)
    fields = read_form(client.get(url).get_data(as_text=True))
    fields.update({"q0-prompt": "", "q0-o1-text": "Kept as typed", "q0-o0-text": "",
                   "pass_mark": "150"})
    fields.pop("q0-correct")
    page = _send(client, url, fields)
    body = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="q0-prompt-error">Write the question.' in body
    assert 'id="q0-o0-text-error">Write the option, or remove it.' in body
    assert "Mark the correct answer." in body and 'href="#q0-options"' in body
    assert 'id="pass_mark-error">Enter a whole number from 1 to 100.' in body
    assert 'aria-invalid="true"' in body
    kept = read_form(body)
    assert kept["q0-o1-text"] == "Kept as typed" and kept["pass_mark"] == "150"


def test_type_change_gives_the_options_of_the_type(tiny_draft):
    _course, draft, module, client = tiny_draft
    url = _url(draft, module)
    fields = read_form(client.get(url).get_data(as_text=True))
    fields["q0-type"] = "true_false"
    fields = read_form(_send(client, url, fields, "refresh").get_data(as_text=True))
    assert [fields["q0-o0-id"], fields["q0-o1-id"]] == ["true", "false"]
    assert "q0-o0-text" not in fields  # true and false need no text, only feedback
    fields["q0-type"] = "multiple"
    fields = read_form(_send(client, url, fields, "refresh").get_data(as_text=True))
    assert [fields[f"q0-o{j}-id"] for j in range(3)] == ["a", "b", "c"]


def test_translation_is_edited_beside_its_source(session, tiny_draft):
    course, draft, module, client = tiny_draft
    url = _url(draft, module, "es")
    page = client.get(url).get_data(as_text=True)
    assert 'class="source" lang="en"' in page and "Which is right?" in page
    assert "q0-type" not in read_form(page) and 'name="q0-correct"' not in page
    fields = read_form(page)
    fields.update({"q0-prompt": "¿Cuál es correcta?", "q0-o0-text": "Esta",
                   "q0-o1-text": "Aquella", "q1-prompt": "Fluido significa verdadero."})
    assert _send(client, url, fields).status_code == 302
    session.commit()  # end the read: a stale snapshot would not see the save
    session.expire_all()
    quiz = services.quiz_of(session, draft.id, module.id)
    assert quiz.texts["es"]["questions"]["q1"]["prompt"] == \
        "¿Cuál es correcta?"
    assert services.quiz_status(quiz, "es", "en") == "current"
    assert quiz.key["questions"][0]["correct"] == ["b"]  # a translation never changes it
    # The source gains a question: the translation keeps its texts, takes the source's for
    # the new one, and shows as outdated; the package stays valid.
    source_url = _url(draft, module)
    fields = read_form(client.get(source_url).get_data(as_text=True))
    fields = read_form(_send(client, source_url, fields, "add-question").get_data(as_text=True))
    fields.update({"q2-prompt": "New?", "q2-o0-text": "One", "q2-o1-text": "Two",
                   "q2-o2-text": "Three", "q2-correct": "a"})
    assert _send(client, source_url, fields).status_code == 302
    session.commit()  # end the read: a stale snapshot would not see the save
    session.expire_all()
    quiz = services.quiz_of(session, draft.id, module.id)
    spanish = quiz.texts["es"]["questions"]
    assert spanish["q1"]["prompt"] == "¿Cuál es correcta?" and spanish["q3"]["prompt"] == "New?"
    assert services.quiz_status(quiz, "es", "en") == "outdated"
    with client.application.app_context():
        assert services.version_problems(session, draft) == []
    page = client.get(url).get_data(as_text=True)
    assert "Same as the source: not translated yet." in page


def test_surface_cues_show_as_hints(tiny_draft):
    _course, draft, module, client = tiny_draft
    url = _url(draft, module)
    fields = read_form(client.get(url).get_data(as_text=True))
    for _ in range(2):
        fields = read_form(_send(client, url, fields, "add-question").get_data(as_text=True))
    for i in (2, 3):
        fields.update({f"q{i}-prompt": f"Question {i}?", f"q{i}-o0-text": "Short",
                       f"q{i}-o1-text": "A much longer and more careful option",
                       f"q{i}-o2-text": "Brief", f"q{i}-correct": "b"})
    fields["q0-o1-text"] = "That one, the longest of them all"
    page = _send(client, url, fields, "preview").get_data(as_text=True)
    assert ("The correct answer is the longest option in 3 of 3 single-choice and scenario "
            "questions; keep it to 1 at most") in page
    assert "Surface cue: the correct answer is the longest option" in page
    # The preview shows the questions as navigators see them, options and all.
    assert "Preview: what navigators see" in page and "Question 3?" in page
    assert '<input type="radio" disabled> A much longer and more careful option' in page


def test_a_module_without_a_quiz_gets_one(session, tiny_draft):
    _course, draft, module, client = tiny_draft
    from navigator.authoring import services as authoring

    session.commit()  # end the fixture's read before writing
    new = authoring.add_module(session, draft.id, slug="second", title="Second", locale="en")
    authoring.add_lesson(session, new, slug="one", title="One", locale="en")
    session.commit()
    lesson = learning.lessons_of(session, [new.id])[0]
    with client.application.app_context():
        authoring.save_lesson_text(session, _course_for(session, draft), new, lesson, "en",
                                   title="One", body="Text.")
        session.commit()
    url = _url(draft, new)
    fields = read_form(client.get(url).get_data(as_text=True))
    assert fields["q0-id"] == "q1"
    fields.update({"q0-prompt": "Is it new?", "q0-o0-text": "Yes", "q0-o1-text": "No",
                   "q0-o2-text": "Maybe", "q0-correct": "a"})
    assert _send(client, url, fields).status_code == 302
    quiz = services.quiz_of(session, draft.id, new.id)
    assert quiz.slug == "second/quiz" and quiz.key["questions"][0]["correct"] == ["a"]


def _course_for(session, draft):
    from navigator.learning.models import Course

    return session.get(Course, draft.course_id)


def test_a_published_version_shows_its_quiz_without_a_form(session, tiny_draft):
    _course, draft, module, client = tiny_draft
    published = learning.published_version(session, draft.course_id)
    old_module = session.exec(select(Module).where(Module.version_id == published.id)).one()
    page = client.get(_url(published, old_module)).get_data(as_text=True)
    assert "cannot change" in page and "quiz-editor" not in page and "Which is right?" in page
    sent = client.form(_url(published, old_module), {"action": "save", "q0-prompt": "Changed"})
    assert sent.status_code == 200 and "Changed" not in sent.get_data(as_text=True)
