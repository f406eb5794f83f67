"""What is kept between requests is never stale and never one person's for another.

A published version's content is read once and shared (navigator.learning.content); drafts are
read afresh; progress is read per request; a lesson's sandbox example is kept per programme and
per edit. Each test changes something through the platform and looks again.
"""

import re

import sqlalchemy as sa
from markupsafe import Markup

from navigator.learning import content, quiz_page, study
from navigator.learning.models import Enrollment, LessonText
from navigator.sandbox import embed
from navigator.sandbox.models import ScenarioEdit
from tests.conftest import login
from tests.learning.packages import import_and_offer, write_package
from tests.statements import recorded, writes_or_locks

LESSON = "/learn/demo/modules/m1/lessons/l1"
COURSE = "/learn/demo/"


def test_a_draft_is_read_afresh_and_cached_once_published(session, demo, curricula):
    from navigator.authoring import services as authoring

    draft = authoring.start_draft(session, _course(session, demo))
    session.commit()
    lesson_id = content.of(session, draft).ordered[0][1].id
    row = session.exec(sa.select(LessonText).where(LessonText.lesson_id == lesson_id,
                                                   LessonText.locale == "en")).scalar_one()
    row.body = "Edited in the draft."
    session.commit()
    assert content.of(session, draft.id).texts[lesson_id]["en"].body == "Edited in the draft."
    draft.status = "published"  # as authoring.publish does
    session.commit()
    assert content.of(session, draft.id).texts[lesson_id]["en"].body == "Edited in the draft."


def _course(session, demo):
    from navigator.learning.models import Course

    return session.get(Course, demo.version.course_id)


def test_a_newly_published_version_is_seen_at_once(learner, demo, session, curricula):
    assert "Version two text" not in learner.get(LESSON).get_data(as_text=True)
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    html = learner.get(COURSE).get_data(as_text=True)
    assert "A newer version of this course (version 2)" in html
    learner.form("/learn/demo/switch")
    assert "Version two text" in learner.get(LESSON).get_data(as_text=True)


def test_progress_is_each_persons_own(learner, app, demo, session, make_user):
    learner.form(LESSON + "/complete")
    assert "✓" in learner.get("/learn/demo/modules/m1/").get_data(as_text=True)
    other = login(app.test_client(), make_user("navigator", demo.programme))
    for url in (COURSE, "/learn/demo/modules/m1/", LESSON):
        assert 'class="ok"' not in other.get(url).get_data(as_text=True), url
    assert "<span>0% complete" in other.get(COURSE).get_data(as_text=True)
    assert "<span>0% complete" not in learner.get(COURSE).get_data(as_text=True)


def test_where_you_left_off_is_written_only_when_it_moves(learner, demo, session):
    def stamp():
        session.rollback()  # a fresh look, not this session's last snapshot
        return tuple(session.exec(sa.select(Enrollment.last_lesson_id,
                                            Enrollment.updated_at)).one())

    learner.get(LESSON)
    first = stamp()
    learner.get(LESSON)
    assert stamp() == first  # the same lesson again: no write
    learner.get("/learn/demo/modules/m1/lessons/l2")
    assert stamp()[0] != first[0]


def test_a_lesson_page_does_not_take_the_write_lock(learner, app, demo):
    learner.get(LESSON)  # enrolled, and the place to continue from is this lesson
    with recorded(app) as seen:
        learner.get(LESSON)
        learner.get(COURSE)
    assert not writes_or_locks(seen), seen


def test_the_example_run_is_kept_per_programme_and_redone_after_an_edit(
        learner, app, demo, session, curricula, make_programme, make_user, monkeypatch):
    (curricula / "demo" / "sandbox" / "scenarios").mkdir(parents=True)
    (curricula / "demo" / "sandbox" / "corpora").mkdir()
    runs = []

    def render(name, locale, programme_id, stored_as=None):
        runs.append((name, locale, programme_id))
        return Markup("<p>run {} for programme {}</p>").format(len(runs), programme_id)

    monkeypatch.setattr(embed, "_render", render)
    first = learner.get(LESSON).get_data(as_text=True)
    assert f"run 1 for programme {demo.programme.id}" in first
    assert "run 1 for" in learner.get(LESSON).get_data(as_text=True) and len(runs) == 1

    session.add(ScenarioEdit(programme_id=demo.programme.id, name="token-view", version=1,
                             document={}))
    session.commit()
    assert "run 2 for" in learner.get(LESSON).get_data(as_text=True)  # a trainer's edit

    other_programme = make_programme("Elsewhere")
    import_and_offer(session, demo.root, other_programme.id)
    other = login(app.test_client(), make_user("navigator", other_programme))
    html = other.get(LESSON).get_data(as_text=True)
    assert f"for programme {other_programme.id}" in html
    assert f"for programme {demo.programme.id}" not in html
    assert len(runs) == 3


def test_an_example_run_is_stored_for_every_process(app):
    """Computed once, read back by any process (another worker's cache starts empty)."""
    result = {"locale": "sw", "tokens": [["na", 0.5]], "title": "Mfano"}
    with app.test_request_context("/"):
        assert embed._stored_run("sandbox-example-x.json") is None
        embed._store_run("sandbox-example-x.json", result)
        assert embed._stored_run("sandbox-example-x.json") == result


def test_a_quiz_page_view_leaves_no_row(learner, session):
    from navigator.learning.models import QuizAttempt

    for _ in range(3):
        assert learner.get("/learn/demo/modules/m1/quiz").status_code == 200
    assert session.exec(sa.select(sa.func.count()).select_from(QuizAttempt)).scalar_one() == 0


def test_lesson_views_read_the_version_the_navigator_follows(session, demo, curricula):
    uid = demo.navigator.id
    before = study.lesson_view(session, uid, "demo", "m1", "l1", "en")
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    after = study.lesson_view(session, uid, "demo", "m1", "l1", "en")
    assert after.lesson.id == before.lesson.id and "Version two" not in after.text.body


QUIZ = "/learn/demo/modules/m1/quiz"


def _attempt_key(html: str) -> str:
    return re.search(r'name="attempt_key" type="hidden" value="([^"]+)"', html).group(1)


def test_a_quiz_page_keeps_nobodys_answers_or_errors_for_another(learner, app, demo,
                                                                   make_user):
    first = learner.get(QUIZ).get_data(as_text=True)
    assert "<input checked" not in first and 'class="error"' not in first
    # One answer of four: the page comes back with it ticked and the others marked missing.
    sent = learner.form(QUIZ, {"attempt_key": _attempt_key(first), "q0": "b"})
    answered = sent.get_data(as_text=True)
    assert sent.status_code == 400 and answered.count("<input checked") == 1
    assert 'class="error"' in answered
    other = login(app.test_client(), make_user("navigator", demo.programme))
    for client in (other, learner):
        for _ in range(3):  # the options' order changes per attempt: ask several times
            page = client.get(QUIZ).get_data(as_text=True)
            assert "<input checked" not in page and 'class="error"' not in page
            assert "invalid" not in page


def test_a_new_versions_quiz_text_is_seen_at_once(learner, demo, session, curricula):
    assert "Which are safe habits?" in learner.get(QUIZ).get_data(as_text=True)
    root = write_package(curricula, version=2)
    edited = (root / "m1" / "quiz.en.yaml").read_text(encoding="utf-8")
    (root / "m1" / "quiz.en.yaml").write_text(
        edited.replace("Which are safe habits?", "Which habits keep people safe?"),
        encoding="utf-8")
    import_and_offer(session, root, demo.programme.id)
    learner.form("/learn/demo/switch")
    page = learner.get(QUIZ).get_data(as_text=True)
    assert "Which habits keep people safe?" in page and "Which are safe habits?" not in page


def test_a_quiz_pages_words_follow_the_page_language(learner, app, session, demo):
    assert "Question 1" in learner.get(QUIZ).get_data(as_text=True)
    learner.form("/language", {"locale": "es", "next": "/"})
    page = learner.get(QUIZ).get_data(as_text=True)
    assert "Pregunta 1" in page and "Question 1" not in page
    # The same quiz, questions and order, asked for in two page languages: two answers.
    quiz = next(iter(content.of(session, demo.version.id).quizzes.values()))
    shown = study.questions(quiz, None, "en", "en")
    for header, heading in (("es", "Pregunta 1"), ("en", "Question 1"), ("es", "Pregunta 1")):
        with app.test_request_context("/", headers={"Accept-Language": header}):
            assert heading in quiz_page.blank_questions(quiz, "en", shown)[0]
