"""The quiz pages: questions in the attempt's order, the quiz's context, and an attempt's result."""

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session

from navigator.errors import NotFound
from navigator.i18n import _
from navigator.learning import content
from navigator.learning.attempts import attempt_to_submit, grade
from navigator.learning.content import Content, ModuleRow, QuizRow
from navigator.learning.courses import pick
from navigator.learning.models import Quiz, QuizAttempt
from navigator.learning.services import CourseRow, best_scores, find_place
from navigator.learning.study_place import open_place, title_in


def option_texts(question: dict) -> dict[str, dict]:
    """A question's option texts by option id (YAML may read true/false keys as booleans)."""
    options = question.get("options") or {}
    return {(str(k).lower() if isinstance(k, bool) else str(k)): (v if isinstance(v, dict) else {})
            for k, v in options.items()}


@dataclass
class Question:
    """A question as shown: texts in one language, options in the attempt's order, no key."""

    id: str
    type: str
    prompt: str
    case: str
    options: list[tuple[str, str]]  # (option id, text)
    explanation: str


def questions(quiz: Quiz, order: dict | None, locale: str, default: str) -> list[Question]:
    """The quiz's questions in the given language, options in the attempt's order."""
    texts = pick(quiz.texts, locale, default)[1].get("questions") or {}
    boolean = {"true": _("True"), "false": _("False")}
    shown = []
    for q in quiz.key["questions"]:
        text = texts.get(q["id"]) or {}
        options = option_texts(text)
        ids = (order or {}).get(q["id"]) or q["options"]
        shown.append(Question(
            q["id"], q["type"], str(text.get("prompt", "")), str(text.get("case", "")),
            [(oid, str(options.get(oid, {}).get("text") or boolean.get(oid, oid)))
             for oid in ids],
            str(text.get("explanation", ""))))
    return shown


@dataclass
class QuizContext:
    """A quiz with where it sits and how the navigator has done on it so far."""

    course: CourseRow
    course_title: str
    module: ModuleRow | None  # None for the final assessment
    module_title: str
    quiz: QuizRow
    best: int | None
    passed: bool
    language: str  # the language its texts are shown in: the navigator's, else the default


def _context(course: CourseRow, c: Content, quiz: QuizRow, best: int | None, passed: bool,
             locale: str) -> QuizContext:
    default = course.default_locale
    module = next((m for m in c.modules if m.id == quiz.module_id), None)
    return QuizContext(course, title_in(c.version.texts, locale, default, course.slug), module,
                       title_in(module.texts, locale, default, module.slug) if module else "",
                       quiz, best, passed, pick(quiz.texts, locale, default)[0])


def quiz_context(s: Session, user_id: int, slug: str, module_slug: str | None,
                 locale: str) -> QuizContext:
    """A module's quiz, or the final assessment when module_slug is None."""
    place, c = open_place(s, user_id, slug)
    if module_slug is None:
        quiz = c.quizzes.get(None)
    else:
        module = c.module(module_slug)
        quiz = c.quizzes.get(module.id) if module else None
    if quiz is None:
        raise NotFound()
    best, passed = best_scores(s, user_id, [quiz.id]).get(quiz.id, (None, False))
    return _context(place.course, c, quiz, best, passed, locale)


def attempt_for(s: Session, user_id: int, context: QuizContext, attempt_key: str,
                locale: str) -> QuizAttempt:
    """The attempt a submitted quiz form names: the navigator's own at this quiz, stored if it
    was sent before; anything else does not exist."""
    return attempt_to_submit(s, user_id, context.quiz, attempt_key, locale)


@dataclass
class Answer:
    """One question of a submitted attempt: right or not, what was chosen and its feedback."""

    question: Question
    right: bool
    chosen: list[tuple[str, str]]  # (option text, feedback)


@dataclass
class Result:
    """A submitted attempt, graded on the server."""

    context: QuizContext
    attempt: QuizAttempt
    answers: list[Answer]


@cache
def _attempt_with_best():
    """An attempt, its quiz's version, and the person's best score and pass at that quiz: one
    statement, built once."""
    other = aliased(QuizAttempt)
    mine = sa.and_(other.user_id == sa.bindparam("user_id"),
                   other.quiz_id == QuizAttempt.quiz_id, other.submitted_at.is_not(None))
    return (sa.select(QuizAttempt, Quiz.version_id,
                      sa.select(func.max(other.score)).where(mine).scalar_subquery(),
                      sa.select(other.id).where(mine, other.passed).exists())
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .where(QuizAttempt.attempt_key == sa.bindparam("key")))


def attempt_result(s: Session, user_id: int, slug: str, attempt_key: str,
                   locale: str) -> Result:
    """A submitted attempt of the navigator's, with feedback and explanations."""
    row = s.execute(_attempt_with_best(), {"user_id": user_id, "key": attempt_key}).first()
    if row is None or row[0].user_id != user_id or row[0].submitted_at is None:
        raise NotFound()  # another person's attempt does not exist, as far as you know
    attempt, version_id, best, passed = row
    place = find_place(s, user_id, slug)
    c = content.of(s, version_id)
    quiz = next((q for q in c.quizzes.values() if q.id == attempt.quiz_id), None)
    if c.version.course_id != place.course.id or quiz is None:
        raise NotFound()
    default = place.course.default_locale
    right, _score = grade(quiz.key, attempt.answers)
    texts = pick(quiz.texts, locale, default)[1].get("questions") or {}
    answers = []
    for q in questions(quiz, attempt.order, locale, default):
        labels, feedback = dict(q.options), option_texts(texts.get(q.id) or {})
        mine_ = attempt.answers.get(q.id, [])
        chosen = [oid for oid in attempt.order.get(q.id, []) if oid in mine_]
        answers.append(Answer(q, right[q.id], [
            (labels.get(oid, oid), str(feedback.get(oid, {}).get("feedback", "")))
            for oid in chosen]))
    return Result(_context(place.course, c, quiz, best, bool(passed), locale), attempt, answers)
