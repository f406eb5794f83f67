"""The navigator's side of learning, without HTTP: quizzes, progress, versions, printing."""

import re
from collections import Counter

import pytest

from navigator.errors import Invalid, NotFound
from navigator.learning import attempts, services, study, study_book, study_quiz
from navigator.learning.models import Lesson, QuizAttempt
from tests.learning.packages import import_and_offer, write_package

RIGHT = {"q1": ["b"], "q2": ["false"], "q3": ["a", "d"], "q4": ["c"]}


def _quiz(s, demo, module="m1"):
    return study_quiz.quiz_context(s, demo.navigator.id, "demo", module, "en")


def test_options_are_shuffled_per_attempt(session, demo):
    quiz = _quiz(session, demo).quiz
    orders = [attempts.start_attempt(session, demo.navigator.id, quiz, "en").order
              for _ in range(60)]
    firsts = Counter(order["q1"][0] for order in orders)
    # 60 shuffles of five options: each option leads at least once (fails ~1 in 100,000 runs).
    assert set(firsts) == {"a", "b", "c", "d", "e"}
    assert len({tuple(order["q1"]) for order in orders}) > 10
    assert all(sorted(order["q1"]) == ["a", "b", "c", "d", "e"] for order in orders)
    assert all(order["q2"] == ["true", "false"] for order in orders)


def test_questions_follow_the_attempt_order_and_hold_no_key(session, demo):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    shown = study_quiz.questions(context.quiz, attempt.order, "en", "en")
    assert [oid for oid, _text in shown[0].options] == attempt.order["q1"]
    assert shown[1].options == [("true", "True"), ("false", "False")]
    assert shown[3].case.startswith("Amina")
    assert not any(hasattr(q, "correct") or hasattr(q, "feedback") for q in shown)


def test_grading_is_all_or_nothing_per_question(session, demo):
    key = _quiz(session, demo).quiz.key
    assert attempts.grade(key, RIGHT) == ({"q1": True, "q2": True, "q3": True, "q4": True}, 100)
    partly = {**RIGHT, "q3": ["a"], "q4": ["a"]}
    assert attempts.grade(key, partly)[1] == 50


def _send(s, demo, context, attempt, answers):
    """Submit an attempt as the quiz form does: named by its key."""
    found = study_quiz.attempt_for(s, demo.navigator.id, context, attempt.attempt_key, "en")
    return attempts.submit_attempt(s, demo.navigator.id, context.quiz, found, answers)


def test_submitting_twice_records_once(session, demo):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    first = _send(session, demo, context, attempt, RIGHT)
    session.commit()
    again = _send(session, demo, context, attempt, {**RIGHT, "q1": ["a"]})
    session.commit()
    assert again.id == first.id and again.score == 100
    rows = session.exec(services.select(QuizAttempt).where(
        QuizAttempt.submitted_at.is_not(None))).all()
    assert len(rows) == 1


def test_an_attempt_is_stored_only_when_sent(session, demo):
    context = _quiz(session, demo)
    for _ in range(3):
        attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    session.commit()
    assert session.exec(services.select(QuizAttempt)).all() == []


def test_the_option_order_follows_the_attempt_key(session, demo):
    context = _quiz(session, demo)
    shown = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    sent = study_quiz.attempt_for(session, demo.navigator.id, context, shown.attempt_key, "en")
    assert sent.order == shown.order and sent.id is None
    stored = _send(session, demo, context, shown, RIGHT)
    assert stored.order == shown.order and stored.id is not None


def test_an_attempt_key_names_one_persons_attempt_at_one_quiz(session, demo, make_user):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    _send(session, demo, context, attempt, RIGHT)
    session.commit()
    other = make_user("navigator", demo.programme)
    with pytest.raises(NotFound):
        study_quiz.attempt_for(session, other.id, _quiz(session, demo), attempt.attempt_key, "en")
    with pytest.raises(NotFound):
        study_quiz.attempt_for(session, demo.navigator.id, _quiz(session, demo, None),
                          attempt.attempt_key, "en")
    with pytest.raises(NotFound):
        study_quiz.attempt_for(session, demo.navigator.id, context, "not a key!", "en")


def test_missing_answers_are_refused(session, demo):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    with pytest.raises(Invalid):
        _send(session, demo, context, attempt, {"q1": ["b"]})


def test_best_score_and_pass_are_kept(session, demo):
    context = _quiz(session, demo)
    for answers in (RIGHT, {**RIGHT, "q1": ["a"], "q2": ["true"], "q3": ["b"]}):
        attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
        _send(session, demo, context, attempt, answers)
    session.commit()
    again = _quiz(session, demo)
    assert (again.best, again.passed) == (100, True)
    overview = study.course_overview(session, demo.navigator.id, "demo", "en")
    assert overview.modules[0].progress.best_score == 100


def test_result_shows_feedback_for_chosen_options_only(session, demo):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    _send(session, demo, context, attempt, {**RIGHT, "q1": ["a"]})
    result = study_quiz.attempt_result(session, demo.navigator.id, "demo", attempt.attempt_key,
                                       "en")
    first = result.answers[0]
    assert not first.right and first.chosen == [("Letters", "No: pieces.")]
    assert first.question.explanation.startswith("Models read tokens")
    assert result.answers[2].right and len(result.answers[2].chosen) == 2


def test_an_unsubmitted_attempt_has_no_result(session, demo):
    attempt = attempts.start_attempt(session, demo.navigator.id, _quiz(session, demo).quiz, "en")
    with pytest.raises(NotFound):
        study_quiz.attempt_result(session, demo.navigator.id, "demo", attempt.attempt_key, "en")


def test_version_pinning(session, demo, curricula, make_user):
    uid = demo.navigator.id
    before = study.lesson_view(session, uid, "demo", "m1", "l1", "en")
    session.commit()
    import_and_offer(session, write_package(curricula, version=2, extra="Version two text"),
                     demo.programme.id)
    pinned = study.lesson_view(session, uid, "demo", "m1", "l1", "en")
    assert "Version two text" not in pinned.text.body
    assert pinned.lesson.id == before.lesson.id
    overview = study.course_overview(session, uid, "demo", "en")
    assert overview.newer is not None and overview.newer.number == 2
    study.switch_to_latest(session, uid, "demo")
    session.commit()
    assert "Version two text" in study.lesson_view(session, uid, "demo", "m1", "l1",
                                                   "en").text.body
    assert study.course_overview(session, uid, "demo", "en").newer is None


def test_lesson_languages_fallback_and_review(session, demo):
    uid = demo.navigator.id
    french = study.lesson_view(session, uid, "demo", "m1", "l1", "fr")
    assert french.fallback and french.text.locale == "en" and not french.unreviewed
    assert french.locales == ["en", "es", "ar"]
    spanish = study.lesson_view(session, uid, "demo", "m1", "l1", "es")
    assert not spanish.fallback and spanish.unreviewed and not spanish.outdated
    arabic = study.lesson_view(session, uid, "demo", "m1", "l1", "ar")
    assert not arabic.unreviewed
    second = study.lesson_view(session, uid, "demo", "m1", "l2", "es")
    assert second.fallback and second.quiz is not None
    assert second.previous.title == "Tokens y texto" and second.next.module.slug == "m2"


def test_outdated_translation_is_flagged(session, curricula, make_programme, make_user):
    root = write_package(curricula, slug="old")
    spanish = root / "m1" / "lessons" / "l1.es.md"
    spanish.write_text(re.sub(r"source_hash: \w+", "source_hash: 000000000000",
                              spanish.read_text()))
    programme = make_programme()
    import_and_offer(session, root, programme.id)
    navigator = make_user("navigator", programme)
    view = study.lesson_view(session, navigator.id, "old", "m1", "l1", "es")
    assert view.outdated and view.unreviewed and not view.fallback


def test_continue_after_reading(session, demo):
    uid = demo.navigator.id
    steps = [study.complete_and_continue(session, uid, "demo", m, lesson)
             for m, lesson in (("m1", "l1"), ("m1", "l2"), ("m2", "l1"))]
    assert [s.kind for s in steps] == ["lesson", "quiz", "final"]
    assert (steps[0].module_slug, steps[0].lesson_slug) == ("m1", "l2")
    progress = study.course_overview(session, uid, "demo", "en").progress
    assert progress.next_lesson is None and len(progress.done_lessons) == 3


def test_catalogue_and_home_panel(session, demo, make_user):
    uid = demo.navigator.id
    cards = services.catalogue(session, uid, "es")
    assert [c.title for c in cards] == ["Curso de prueba"] and cards[0].progress is None
    assert cards[0].minutes == 17
    study.lesson_view(session, uid, "demo", "m1", "l1", "en")
    context = services.home_panel_context(session, uid, "en")
    card = context["learning_cards"][0]
    assert card.progress is not None and card.next_title == "Tokens and text"
    assert services.catalogue(session, make_user("navigator").id, "en") == []


def test_courses_are_only_for_their_programmes_navigators(session, demo, make_user):
    for user in (make_user("navigator"), make_user("trainer", demo.programme)):
        with pytest.raises(NotFound):
            study.course_overview(session, user.id, "demo", "en")


def test_book_has_lessons_questions_and_references(session, demo):
    book = study_book.book(session, demo.navigator.id, "demo", "es")
    assert book.title == "Curso de prueba" and len(book.modules) == 2
    first = book.modules[0]
    assert [(p.text.title, p.fallback) for p in first.lessons] == [
        ("Tokens y texto", False), ("Fluent is not true", True)]
    assert len(first.questions) == 4 and first.references[0]["key"] == "ref1"
    assert book.final and book.final[0].prompt == "Final question?"
    single = study_book.book(session, demo.navigator.id, "demo", "en", "m2")
    assert [m.module.slug for m in single.modules] == ["m2"] and single.final == []
    with pytest.raises(NotFound):
        study_book.book(session, demo.navigator.id, "demo", "en", "nope")


def test_progress_is_read_per_person_and_only_for_what_was_asked(session, demo, make_user):
    context = _quiz(session, demo)
    attempt = attempts.start_attempt(session, demo.navigator.id, context.quiz, "en")
    _send(session, demo, context, attempt, RIGHT)
    lessons = [x.id for x in session.exec(services.select(Lesson)).all()]
    services.complete_lesson(session, demo.navigator.id, lessons[0])
    services.complete_lesson(session, demo.navigator.id, lessons[1])
    session.commit()
    quiz = context.quiz.id
    assert services.progress_of(session, demo.navigator.id, lessons, [quiz]) == (
        {lessons[0], lessons[1]}, {quiz: (100, True)})
    # Only the lessons and quizzes asked about come back, though the read takes all of them.
    assert services.progress_of(session, demo.navigator.id, lessons[1:], []) == ({lessons[1]}, {})
    other = make_user("navigator", demo.programme)
    assert services.progress_of(session, other.id, lessons, [quiz]) == (set(), {})
