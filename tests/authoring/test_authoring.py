"""Authoring: drafts, publishing, translations and their status, packages, learners."""

import io
import zipfile

import pytest
from sqlmodel import select

from navigator.accounts.services import principal
from navigator.authoring import services
from navigator.errors import Conflict, NotFound
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import Enrollment, LessonText
from tests.conftest import login
from tests.test_curricula import tiny


@pytest.fixture
def trainer_world(session, make_programme, make_user):
    programme = make_programme("Authors")
    trainer = make_user("trainer", programme)
    return programme, trainer, principal(session, trainer)


def _published_tiny(session, tmp_path, programme):
    version, _new = learning.import_package(session, package.load_package(tiny(tmp_path)))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    return version


def test_editing_a_published_course_starts_a_draft_and_pins_learners(
        app, session, tmp_path, trainer_world, make_user):
    programme, _trainer, actor = trainer_world
    v1 = _published_tiny(session, tmp_path, programme)
    course = services.get_course(session, actor, v1.course_id)
    navigator = make_user("navigator", programme)
    enrolled = learning.enrollment(session, navigator.id, course)
    session.commit()
    with app.app_context():
        draft = services.start_draft(session, course)
        assert services.start_draft(session, course).id == draft.id  # one draft at a time
        module = learning.modules_of(session, draft.id)[0]
        lesson = learning.lessons_of(session, [module.id])[0]
        services.save_lesson_text(session, course, module, lesson, "en", title="First, new",
                                  body="Changed text.")
        v2 = services.publish(session, actor, draft.id)
        session.commit()
    assert v2.number == 2 and v2.status == "published"
    session.refresh(enrolled)
    assert enrolled.version_id == v1.id  # still on the version they started
    assert session.get(Enrollment, enrolled.id).version_id == v1.id
    with app.app_context(), pytest.raises(Conflict):
        services.save_lesson_text(session, course, module, lesson, "en", title="X", body="Y")


def test_translation_status_follows_the_source(app, session, tmp_path, trainer_world):
    programme, _trainer, actor = trainer_world
    v1 = _published_tiny(session, tmp_path, programme)
    course = services.get_course(session, actor, v1.course_id)
    with app.app_context():
        draft = services.start_draft(session, course)
        module = learning.modules_of(session, draft.id)[0]
        lesson = learning.lessons_of(session, [module.id])[0]
        status = services.translation_matrix(session, draft, "en", "en")[0].cells
        assert status["es"] == "missing" and status["en"] == "source"
        text = services.save_lesson_text(session, course, module, lesson, "es",
                                         title="Primera", body="Hola, navegadora.")
        assert services.translation_matrix(session, draft, "en", "en")[0].cells["es"] == \
            "current"
        services.mark_reviewed(session, module, text, "Ana G.")
        assert services.translation_matrix(session, draft, "en", "en")[0].cells["es"] == \
            "reviewed"
        services.save_lesson_text(session, course, module, lesson, "en", title="First",
                                  body="A changed source.")
        assert services.translation_matrix(session, draft, "en", "en")[0].cells["es"] == \
            "outdated"


def test_quiz_editor_validates_and_keeps_keys_language_independent(app, session, tmp_path,
                                                                   trainer_world):
    programme, _trainer, actor = trainer_world
    course_id = _published_tiny(session, tmp_path, programme).course_id
    course = services.get_course(session, actor, course_id)
    with app.app_context():
        draft = services.start_draft(session, course)
        module = learning.modules_of(session, draft.id)[0]
        quiz = services.quiz_of(session, draft.id, module.id)
        key, texts = services.quiz_files(session, quiz, "en", "en")
        bad = services.save_quiz(session, course, module, draft.id, "en",
                                 key_yaml=key.replace("correct: [b]", "correct: [z]"),
                                 texts_yaml=texts)
        assert bad and "correct must name options" in str(bad[0])
        es = texts.replace("Which is right?", "¿Cuál es correcta?")
        assert services.save_quiz(session, course, module, draft.id, "es", key_yaml=key,
                                  texts_yaml=es) == []
        quiz = services.quiz_of(session, draft.id, module.id)
        assert quiz.texts["es"]["questions"]["q1"]["prompt"] == "¿Cuál es correcta?"
        assert quiz.key["questions"][0]["correct"] == ["b"]


def test_import_export_round_trip_and_invalid_package_changes_nothing(app, session, tmp_path,
                                                                       trainer_world):
    programme, _trainer, actor = trainer_world
    root = tiny(tmp_path)
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
             if p.is_file()}
    with app.app_context():
        version, problems = services.import_zip(session, actor,
                                                package.write_zip(files, "tiny"), programme.id)
        assert problems == [] and version.status == "draft"
        session.commit()
        name, data = services.export_zip(session, version)
    assert name == "tiny-v1.zip"
    exported = package.read_zip(data)
    # Canonical form: importing the export and exporting again gives identical bytes.
    with app.app_context():
        services.discard_draft(session, version.id)
        session.commit()
        again, _problems = services.import_zip(session, actor, data, programme.id)
        session.commit()
        assert package.read_zip(services.export_zip(session, again)[1]) == exported
        services.discard_draft(session, again.id)
        session.commit()
        broken = dict(files)
        broken["intro/quiz.yaml"] = b"questions: []\n"
        del broken["intro/lessons/first.en.md"]
        before = session.exec(services.select(LessonText)).all()
        nothing, problems = services.import_zip(session, actor,
                                                package.write_zip(broken, "tiny"), programme.id)
    assert nothing is None and len(problems) >= 2
    assert any("intro/quiz.yaml:1" in p for p in problems)
    assert session.exec(services.select(LessonText)).all() == before


def test_unsafe_archives_are_refused(app, session, trainer_world):
    _programme, _trainer, actor = trainer_world
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/evil.yaml", "x")
    with app.app_context():
        version, problems = services.import_zip(session, actor, buffer.getvalue(),
                                                trainer_world[0].id)
        assert version is None and "unsafe path" in problems[0]
        version, problems = services.import_zip(session, actor, b"not a zip",
                                                trainer_world[0].id)
        assert version is None and "not a zip" in problems[0]


def test_trainers_of_other_programmes_cannot_reach_the_course(app, session, tmp_path,
                                                              trainer_world, make_user,
                                                              make_programme):
    programme, _trainer, _actor = trainer_world
    course_id = _published_tiny(session, tmp_path, programme).course_id
    outsider = principal(session, make_user("trainer", make_programme()))
    with pytest.raises(NotFound):
        services.get_course(session, outsider, course_id)
    client = login(app.test_client(), outsider.user)
    assert client.get(f"/author/courses/{course_id}").status_code == 404


def test_lesson_editor_previews_without_javascript_and_keeps_the_text(app, session, tmp_path,
                                                                      trainer_world):
    programme, trainer, actor = trainer_world
    course_id = _published_tiny(session, tmp_path, programme).course_id
    client = login(app.test_client(), trainer)
    client.form(f"/author/courses/{course_id}/draft")
    draft = services.draft_of(session, course_id)
    lesson = learning.lessons_of(session, [learning.modules_of(session, draft.id)[0].id])[0]
    typed = "# Hello\n\n<script>alert(1)</script> **bold**"
    page = client.form(f"/author/lessons/{lesson.id}", {"title": "First", "body": typed,
                                                        "minutes": "5", "action": "preview"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    saved = client.form(f"/author/lessons/{lesson.id}", {"title": "First", "body": typed,
                                                         "minutes": "5", "action": "save"})
    assert saved.status_code == 302
    empty_title = client.form(f"/author/lessons/{lesson.id}", {"title": "", "body": "Kept",
                                                               "action": "save"})
    assert empty_title.status_code == 400 and "Kept" in empty_title.get_data(as_text=True)


def test_learners_page_and_csv(app, session, tmp_path, trainer_world, make_user):
    programme, trainer, _actor = trainer_world
    version = _published_tiny(session, tmp_path, programme)
    navigator = make_user("navigator", programme, name="=HYPERLINK(evil)")
    course = learning.get_course(session, "tiny", navigator.id)
    learning.enrollment(session, navigator.id, course)
    session.commit()
    client = login(app.test_client(), trainer)
    page = client.get(f"/author/courses/{version.course_id}/learners")
    assert page.status_code == 200 and "HYPERLINK" in page.get_data(as_text=True)
    csv_text = client.get(f"/author/courses/{version.course_id}/learners?format=csv").get_data(
        as_text=True)
    assert "'=HYPERLINK(evil)" in csv_text


def test_a_trainer_builds_a_course_by_hand_and_each_refusal_shows_on_its_form(
        app, session, trainer_world):
    from navigator.learning.models import Course, CourseVersion

    programme, trainer, _actor = trainer_world
    client = login(app.test_client(), trainer)
    course_data = {"slug": "by-hand", "title": "By hand", "programme_id": programme.id,
                   "default_locale": "en"}
    bad = client.form("/author/courses", {**course_data, "slug": "Not A Slug"})
    assert bad.status_code == 400 and "Use lower-case letters" in bad.get_data(as_text=True)
    made = client.form("/author/courses", course_data, follow_redirects=True)
    assert "Course created as a draft" in made.get_data(as_text=True)
    course = session.exec(select(Course).where(Course.slug == "by-hand")).one()
    draft = services.draft_of(session, course.id)
    session.commit()
    assert made.request.path == f"/author/courses/{course.id}"

    added = client.form(f"/author/versions/{draft.id}/modules", {"slug": "one", "title": "One"})
    session.commit()  # a fresh read: each page wrote in a transaction of its own
    first = learning.modules_of(session, draft.id)[0]
    assert added.headers["Location"].endswith(f"/author/modules/{first.id}")
    again = client.form(f"/author/versions/{draft.id}/modules", {"slug": "one", "title": "Two"})
    assert again.status_code == 400
    assert "already has a module with this id" in again.get_data(as_text=True)
    client.form(f"/author/versions/{draft.id}/modules", {"slug": "two", "title": "Two"})
    saved = client.form(f"/author/modules/{first.id}?locale=en",
                        {"title": "One, renamed", "summary": "", "minutes": "12"},
                        follow_redirects=True)
    assert saved.request.path == f"/author/modules/{first.id}"
    assert "Saved." in saved.get_data(as_text=True)

    for slug in ("a", "b"):
        lesson = client.form(f"/author/modules/{first.id}/lessons", {"slug": slug, "title": slug})
        assert "/author/lessons/" in lesson.headers["Location"]
    twice = client.form(f"/author/modules/{first.id}/lessons", {"slug": "a", "title": "A"})
    assert twice.status_code == 400
    assert "already has a lesson with this id" in twice.get_data(as_text=True)
    session.commit()
    b = learning.lessons_of(session, [first.id])[1]
    moved = client.form(f"/author/lessons/{b.id}/move", {"direction": "up"})
    assert moved.headers["Location"].endswith(f"/author/modules/{first.id}")
    session.commit()
    assert [x.slug for x in learning.lessons_of(session, [first.id])] == ["b", "a"]
    session.commit()

    second = learning.modules_of(session, draft.id)[1]
    assert client.form(f"/author/modules/{second.id}/move", {"direction": "up"}) \
        .status_code == 302
    session.commit()
    assert [m.slug for m in learning.modules_of(session, draft.id)] == ["two", "one"]
    removed = client.form(f"/author/modules/{second.id}/remove", follow_redirects=True)
    assert "The module is removed from the draft." in removed.get_data(as_text=True)
    texts = client.form(f"/author/versions/{draft.id}/texts?locale=en",
                        {"title": "By hand, renamed"}, follow_redirects=True)
    assert "Saved." in texts.get_data(as_text=True)
    session.commit()
    assert [m.slug for m in learning.modules_of(session, draft.id)] == ["one"]
    session.expire_all()
    assert session.get(CourseVersion, draft.id).texts["en"]["title"] == "By hand, renamed"
    discarded = client.form(f"/author/versions/{draft.id}/discard", follow_redirects=True)
    assert "The draft is discarded." in discarded.get_data(as_text=True)
