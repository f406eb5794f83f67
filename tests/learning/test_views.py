"""The navigator's pages through the test client: courses, lessons, quizzes, results, assets."""

import gzip
import re
from pathlib import Path

from flask import render_template

from navigator import db
from navigator.learning import package, package_store, services
from navigator.learning.models import QuizAttempt
from tests.conftest import login
from tests.learning.packages import QUIZ_KEY, import_and_offer, write_package

COURSE = "/learn/demo/"
LESSON = "/learn/demo/modules/m1/lessons/l1"
QUIZ = "/learn/demo/modules/m1/quiz"


def _set_locale(client, code):
    client.form("/language", {"locale": code, "next": "/"})


def _quiz_fields(html):
    """The attempt key, and per question field its option values in the order shown."""
    key = re.search(r'name="attempt_key" type="hidden" value="([^"]+)"', html).group(1)
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="(q\d+)"[^>]*type="(?:radio|checkbox)" value="([^"]+)"',
                                  html):
        fields.setdefault(name, []).append(value)
    return key, fields


def _right_answers(fields):
    """Answers by field name, from the key the test knows and the page never shows."""
    return {f"q{i}": [str(c).lower() for c in q["correct"]]
            for i, q in enumerate(QUIZ_KEY["questions"])}


def test_catalogue_lists_offered_courses(learner):
    html = learner.get("/learn/").get_data(as_text=True)
    assert "Demo course" in html and "Start this course" in html


def test_catalogue_is_for_navigators_only(client, make_user):
    trainer = make_user("trainer")
    assert login(client, trainer).get("/learn/").status_code == 403


def test_course_page_shows_modules_time_and_continue(learner):
    html = learner.get(COURSE).get_data(as_text=True)
    assert "First module" in html and "Second module" in html
    assert "About 12 minutes" in html
    assert "Start with: Tokens and text" in html
    assert "Final assessment" in html
    learner.get(LESSON)
    html = learner.get(COURSE).get_data(as_text=True)
    assert "Continue where you left off: Tokens and text" in html


def test_course_of_another_programme_is_not_found(client, demo, make_user):
    stranger = make_user("navigator")  # a navigator of a programme without the course
    client = login(client, stranger)
    for url in (COURSE, LESSON, QUIZ, "/learn/demo/final", "/learn/demo/assets/pic.png",
                "/learn/demo/print?language=en"):
        assert client.get(url).status_code == 404, url
    assert "Demo course" not in client.get("/learn/").get_data(as_text=True)


def test_lesson_page_renders_the_lesson(learner):
    response = learner.get(LESSON)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Tokens and text</h1>" in html
    assert '<aside class="admonition try">' in html
    assert 'src="/learn/demo/assets/pic.png"' in html
    assert 'href="/learn/demo/modules/m2/"' in html
    assert 'data-scenario="token-view"' in html
    # The module's references, each in its own direction (WeasyPrint ignores dir="auto").
    assert '<li dir="ltr">Ref One. A study of tokens. 2024.</li>' in html
    assert "Next:" in html and "Fluent is not true" in html
    assert "Previous:" not in html


def test_lesson_falls_back_to_the_default_language_with_a_notice(learner):
    _set_locale(learner, "fr")
    html = learner.get(LESSON).get_data(as_text=True)
    assert "<h1>Tokens and text</h1>" in html
    notice = re.search(r'<p class="notice">(.*?)</p>', html, re.S).group(1)
    assert "Français" in notice and "English" in notice
    assert '<article lang="en" dir="ltr"' in html
    # The languages it exists in, each named in itself.
    line = re.search(r'<p class="small lesson-languages">(.*?)</p>', html, re.S).group(1)
    assert "English" in line and "Español" in line and "العربية" in line
    assert "Français" not in line


def test_unreviewed_translation_is_marked(learner):
    _set_locale(learner, "es")
    html = learner.get(LESSON).get_data(as_text=True)
    assert "<h1>Tokens y texto</h1>" in html
    assert '<p class="notice">' in html  # not yet checked by a fluent reader
    _set_locale(learner, "ar")
    html = learner.get(LESSON).get_data(as_text=True)
    assert "<h1>الرموز والنص</h1>" in html
    assert '<article lang="ar" dir="rtl"' in html
    assert '<p class="notice">' not in html  # reviewed


def test_mark_as_read_continues_to_the_next_lesson_then_the_quiz(learner):
    response = learner.form(LESSON + "/complete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/learn/demo/modules/m1/lessons/l2")
    response = learner.form("/learn/demo/modules/m1/lessons/l2/complete")
    assert response.headers["Location"].endswith(QUIZ)
    html = learner.get(COURSE).get_data(as_text=True)
    assert "2 of 2 lessons read" in html


def test_last_lesson_of_a_module_links_its_quiz(learner):
    html = learner.get("/learn/demo/modules/m1/lessons/l2").get_data(as_text=True)
    assert 'href="/learn/demo/modules/m1/quiz"' in html


def test_quiz_never_sends_the_answer_key(learner, demo):
    html = learner.get(QUIZ).get_data(as_text=True)
    key, fields = _quiz_fields(html)
    assert set(fields) == {"q0", "q1", "q2", "q3"}
    assert 'type="checkbox"' in html and 'type="radio"' in html
    assert "Amina shows you a chatbot" in html  # the scenario's case
    for word in ("correct", "feedback", "Yes: tokens.", "Models read tokens"):
        assert word not in html, word


def test_quiz_submission_is_graded_and_recorded_once(learner, session):
    key, fields = _quiz_fields(learner.get(QUIZ).get_data(as_text=True))
    data = {"attempt_key": key, **_right_answers(fields)}
    first = learner.form(QUIZ, data)
    assert first.status_code == 303
    again = learner.form(QUIZ, {**data, "q0": ["a"]})  # a retry, even with other answers
    assert again.headers["Location"] == first.headers["Location"]
    html = learner.get(first.headers["Location"]).get_data(as_text=True)
    assert "You scored 100%." in html and "You passed." in html
    assert "Yes: tokens." in html and "Models read tokens" in html
    attempts = session.exec(services.select(QuizAttempt).where(
        QuizAttempt.attempt_key == key)).all()
    assert len(attempts) == 1 and attempts[0].score == 100


def test_missing_answers_keep_what_was_chosen(learner):
    key, fields = _quiz_fields(learner.get(QUIZ).get_data(as_text=True))
    response = learner.form(QUIZ, {"attempt_key": key, "q0": "b"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose an answer." in html and "Choose at least one answer." in html
    assert re.search(r'<input checked[^>]*name="q0"[^>]*value="b"', html)  # kept
    assert f'value="{key}"' in html


def test_wrong_answers_fail_and_best_score_is_kept(learner):
    key, fields = _quiz_fields(learner.get(QUIZ).get_data(as_text=True))
    right = _right_answers(fields)
    learner.form(QUIZ, {"attempt_key": key, **right})
    key, fields = _quiz_fields(learner.get(QUIZ).get_data(as_text=True))
    wrong = {**right, "q0": ["a"], "q1": ["true"]}
    response = learner.form(QUIZ, {"attempt_key": key, **wrong})
    html = learner.get(response.headers["Location"]).get_data(as_text=True)
    assert "You scored 50%." in html and "did not pass" in html
    assert "No: pieces." in html  # feedback on the option chosen
    assert "Your best score: 100%." in html
    assert "Best score: 100%." in learner.get(COURSE).get_data(as_text=True)


def test_someone_elses_attempt_cannot_be_submitted_or_seen(learner, client, app, demo,
                                                            make_user, session):
    key, fields = _quiz_fields(learner.get(QUIZ).get_data(as_text=True))
    other = make_user("navigator", demo.programme)
    other_client = login(app.test_client(), other)
    response = other_client.form(QUIZ, {"attempt_key": key, **_right_answers(fields)})
    assert response.status_code == 404
    learner.form(QUIZ, {"attempt_key": key, **_right_answers(fields)})
    assert other_client.get(f"/learn/demo/results/{key}").status_code == 404


def test_final_assessment(learner):
    html = learner.get("/learn/demo/final").get_data(as_text=True)
    key, fields = _quiz_fields(html)
    response = learner.form("/learn/demo/final", {"attempt_key": key, "q0": "a"})
    html = learner.get(response.headers["Location"]).get_data(as_text=True)
    assert "final assessment" in html and "You passed." in html
    assert "Passed." in learner.get(COURSE).get_data(as_text=True)


def test_version_pinning_until_the_navigator_switches(learner, demo, session, curricula):
    assert "Version two text" not in learner.get(LESSON).get_data(as_text=True)
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    assert "Version two text" not in learner.get(LESSON).get_data(as_text=True)
    html = learner.get(COURSE).get_data(as_text=True)
    assert "A newer version of this course (version 2)" in html
    response = learner.form("/learn/demo/switch")
    assert response.status_code == 302
    assert "Version two text" in learner.get(LESSON).get_data(as_text=True)
    assert "A newer version" not in learner.get(COURSE).get_data(as_text=True)


def test_new_navigators_start_on_the_newest_version(client, demo, session, curricula,
                                                    make_user):
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    newcomer = login(client, make_user("navigator", demo.programme))
    assert "Version two text" in newcomer.get(LESSON).get_data(as_text=True)


def test_assets_are_served_and_others_refused(learner):
    with learner.get("/learn/demo/assets/pic.png") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    assert learner.get("/learn/demo/assets/../course.yaml").status_code == 404
    assert learner.get("/learn/demo/assets/course.yaml").status_code == 404
    assert learner.get("/learn/demo/assets/missing.png").status_code == 404


def test_lesson_page_weighs_under_30_kb_with_its_stylesheet(learner):
    sizes = []
    for url in (LESSON, "/static/navigator.css"):
        with learner.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            body = response.get_data()
            assert response.headers.get("Content-Encoding") == "gzip"  # both, as sent
            if url == LESSON:
                assert b"Tokens and text" in gzip.decompress(body)
            sizes.append(len(body))
    assert sum(sizes) < 30 * 1024, sizes


def test_home_panel_continues_learning(learner, demo, app):
    learner.get(LESSON)
    with app.test_request_context():
        context = services.home_panel_context(db.session(), demo.navigator.id, "en")
        html = render_template("learning/home_panel.html", **context)
    assert "Continue learning" in html and "Continue: Tokens and text" in html
    assert 'href="/learn/demo/modules/m1/lessons/l1"' in html


def test_the_shipped_course_reads_well(client, session, make_programme, make_user):
    """The real llm-literacy package: its lessons render, light, in English and Arabic."""
    programme = make_programme()
    pkg = package.load_package(Path(__file__).resolve().parents[2] / "curricula"
                               / "llm-literacy")
    version, _imported = package_store.import_package(session, pkg)
    package_store.offer_course(session, programme.id, version.course_id)
    session.commit()
    navigator = login(client, make_user("navigator", programme))
    url = "/learn/llm-literacy/modules/01-what-is-an-llm/lessons/02-tokens"
    for locale in ("en", "ar"):
        _set_locale(navigator, locale)
        with navigator.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status_code == 200
            assert len(response.get_data()) < 20 * 1024
        html = navigator.get(url).get_data(as_text=True)
        assert 'class="sandbox-embed" data-scenario="token-view"' in html
        assert 'class="footnotes"' in html and '<aside class="admonition try">' in html
    quiz = navigator.get("/learn/llm-literacy/modules/01-what-is-an-llm/quiz")
    assert quiz.status_code == 200
    assert navigator.get("/learn/llm-literacy/").status_code == 200
