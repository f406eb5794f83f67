"""The navigator's side of learning: what the course, lesson, quiz and print pages show.

Plain functions over services: they take a session, the navigator's id and plain data, and
return what a page needs, in the navigator's language where a text exists in it. The course's
content comes from navigator.learning.content (read once per published version); what is the
navigator's own is read per request, in one or two statements.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session

from navigator.errors import NotFound
from navigator.i18n import CODES, _
from navigator.learning import content
from navigator.learning.content import Content, LessonRow, ModuleRow, QuizRow, TextRow, VersionRow
from navigator.learning.models import Quiz, QuizAttempt
from navigator.learning.services import (
    CourseProgress,
    CourseRow,
    ModuleProgress,
    Place,
    attempt_to_submit,
    best_scores,
    carried_over,
    complete_lesson,
    enroll,
    find_place,
    grade,
    module_minutes,
    pick,
    progress_in,
    progress_of,
    remember_visit,
)
from navigator.learning.services import switch_version as _switch


def _title(texts: dict, locale: str, default: str, fallback: str) -> str:
    return pick(texts, locale, default)[1].get("title") or fallback


def _open(s: Session, user_id: int, slug: str,
          lesson: tuple[str, str] | None = None) -> tuple[Place, Content]:
    """The navigator's place in a course (enrolled on their first visit) and the content of
    the version they follow."""
    place = enroll(s, find_place(s, user_id, slug, lesson), lesson)
    return place, content.of(s, place.version_id)


# --- course and module pages ----------------------------------------------------------------

@dataclass
class ModuleInfo:
    """A module with its texts in the navigator's language and its progress."""

    module: ModuleRow
    title: str
    summary: str
    minutes: int
    progress: ModuleProgress
    lessons: list[tuple[LessonRow, str]]  # (lesson, title)


@dataclass(frozen=True)
class Newer:
    """A newer published version the navigator could switch to."""

    id: int
    number: int


@dataclass
class CourseOverview:
    """Everything the course page shows."""

    course: CourseRow
    version: VersionRow
    title: str
    description: str
    progress: CourseProgress
    modules: list[ModuleInfo]
    minutes: int
    newer: Newer | None  # a newer published version the navigator could switch to
    next_title: str
    started: bool


def _module_info(c: Content, course: CourseRow, mp: ModuleProgress, locale: str) -> ModuleInfo:
    default = course.default_locale
    texts = pick(mp.module.texts, locale, default)[1]
    lessons = c.lessons_of(mp.module.id)
    return ModuleInfo(mp.module, texts.get("title") or mp.module.slug, texts.get("summary", ""),
                      module_minutes(mp.module, lessons), mp,
                      [(x, c.title(x.id, locale, default) or x.slug) for x in lessons])


# Which earlier versions of a course count for carry-over: (session, user id, course id, the
# version's number) → version ids. Certification decides (learning cannot import it); without
# one, nothing carries over.
Counted = Callable[[Session, int, int, int], list[int]]


def _carried(s: Session, user_id: int, place: Place, c: Content,
             counted: Counted | None) -> dict[str, int]:
    """Modules of the version followed that carry over from an earlier one: no statement on a
    first version, two otherwise (which versions count; the progress in them)."""
    if counted is None or c.version.number <= 1:
        return {}
    earlier = counted(s, user_id, place.course.id, c.version.number)
    return carried_over(s, user_id, place.course.default_locale, c.version.id, earlier)


def course_overview(s: Session, user_id: int, slug: str, locale: str,
                    counted: Counted | None = None) -> CourseOverview:
    """The course page; the first visit enrolls the navigator in the newest published version.
    Modules completed in an earlier version that `counted` names, and unchanged since, show as
    complete."""
    place, c = _open(s, user_id, slug)
    done, scores = progress_of(s, user_id, [x.id for x in c.lessons], c.quiz_ids)
    progress = progress_in(c, done, scores, place.last_lesson_id,
                           carried=_carried(s, user_id, place, c, counted))
    modules = [_module_info(c, place.course, mp, locale) for mp in progress.modules]
    default = place.course.default_locale
    next_title = ""
    if progress.next_lesson:
        next_title = c.title(progress.next_lesson[1].id, locale, default)
    newer = None
    if place.latest_id and place.latest_number > c.version.number:
        newer = Newer(place.latest_id, place.latest_number)
    texts = pick(c.version.texts, locale, default)[1]
    return CourseOverview(
        place.course, c.version, texts.get("title") or slug, texts.get("description", ""),
        progress, modules, sum(m.minutes for m in modules), newer, next_title,
        bool(progress.done_lessons) or place.last_lesson_id is not None)


def switch_to_latest(s: Session, user_id: int, slug: str) -> int:
    """Move the navigator to the newest published version of a course; its number."""
    place, _c = _open(s, user_id, slug)
    return _switch(s, place)


@dataclass
class ModuleView:
    """The module page: its lessons, quiz and references."""

    course: CourseRow
    course_title: str
    info: ModuleInfo
    done: set[int]


def module_view(s: Session, user_id: int, slug: str, module_slug: str,
                locale: str, counted: Counted | None = None) -> ModuleView:
    """A module of the navigator's version, with its lessons in the navigator's language."""
    place, c = _open(s, user_id, slug)
    module = c.module(module_slug)
    if module is None:
        raise NotFound()
    quiz = c.quizzes.get(module.id)
    done, scores = progress_of(s, user_id, [x.id for x in c.lessons_of(module.id)],
                               [quiz.id] if quiz else [])
    carried = _carried(s, user_id, place, c, counted)
    mp = next(m for m in progress_in(c, done, scores, carried=carried).modules
              if m.module.id == module.id)
    default = place.course.default_locale
    return ModuleView(place.course, _title(c.version.texts, locale, default, slug),
                      _module_info(c, place.course, mp, locale), done)


# --- lessons --------------------------------------------------------------------------------

@dataclass
class Neighbour:
    """A lesson before or after the current one."""

    module: ModuleRow
    lesson: LessonRow
    title: str


@dataclass
class LessonView:
    """Everything the lesson page shows."""

    course: CourseRow
    course_title: str
    module: ModuleRow
    module_title: str
    lesson: LessonRow
    text: TextRow           # what is shown: the navigator's language, else the default
    wanted: str             # the navigator's language
    fallback: bool          # shown in another language because the translation is missing
    unreviewed: bool        # a translation no fluent reader has checked yet
    outdated: bool          # a translation made from an older source text
    locales: list[str]      # the languages this lesson exists in
    previous: Neighbour | None
    next: Neighbour | None
    quiz: QuizRow | None    # the module's quiz, when this is the module's last lesson
    done: bool
    number: int             # position in the module, from 1
    count: int              # lessons in the module
    place: Place            # the navigator's enrollment, for remember_visit


def lesson_view(s: Session, user_id: int, slug: str, module_slug: str, lesson_slug: str,
                locale: str) -> LessonView:
    """A lesson in the navigator's version and language. Reads only: remember_visit() keeps
    it as the place to return to."""
    place, c = _open(s, user_id, slug, (module_slug, lesson_slug))
    default = place.course.default_locale
    here = c.place_of(module_slug, lesson_slug)
    if here is None:
        raise NotFound()
    module, lesson = c.ordered[here]
    before = c.ordered[here - 1] if here else None
    after = c.ordered[here + 1] if here + 1 < len(c.ordered) else None
    texts = c.texts.get(lesson.id) or {}
    if not texts:
        raise NotFound()
    used, text = pick(texts, locale, default)
    translated = used != default

    def neighbour(pair) -> Neighbour | None:
        return pair and Neighbour(pair[0], pair[1], c.title(pair[1].id, locale, default))

    in_module = c.lessons_of(module.id)
    return LessonView(
        course=place.course, course_title=_title(c.version.texts, locale, default, slug),
        module=module, module_title=_title(module.texts, locale, default, module.slug),
        lesson=lesson, text=text, wanted=locale, fallback=used != locale,
        unreviewed=translated and not text.reviewed_by,
        outdated=translated and default in texts
        and text.source_hash != c.source_hash(lesson.id, default),
        locales=[code for code in CODES if code in texts],
        previous=neighbour(before), next=neighbour(after),
        quiz=c.quizzes.get(module.id) if in_module[-1].id == lesson.id else None,
        done=place.lesson_done, number=in_module.index(lesson) + 1, count=len(in_module),
        place=place)


def remember(s: Session, view: LessonView) -> None:
    """Keep the lesson as the place to continue from: a write only when the navigator moved."""
    remember_visit(s, view.place, view.lesson.id)


@dataclass
class Step:
    """Where 'mark as read and continue' leads: a lesson, a quiz, or back to the course."""

    kind: str  # lesson | quiz | final | course
    module_slug: str = ""
    lesson_slug: str = ""


def complete_and_continue(s: Session, user_id: int, slug: str, module_slug: str,
                          lesson_slug: str) -> Step:
    """Mark a lesson read and say what comes next: the module's quiz, the next lesson, …"""
    place, c = _open(s, user_id, slug)
    here = c.place_of(module_slug, lesson_slug)
    if here is None:
        raise NotFound()
    module, lesson = c.ordered[here]
    complete_lesson(s, user_id, lesson.id)
    remember_visit(s, place, lesson.id)
    after = c.ordered[here + 1] if here + 1 < len(c.ordered) else None
    if after is None or after[0].id != module.id:
        quiz = c.quizzes.get(module.id)
        if quiz and not best_scores(s, user_id, [quiz.id]).get(quiz.id, (0, False))[1]:
            return Step("quiz", module.slug)
    if after:
        return Step("lesson", after[0].slug, after[1].slug)
    final = c.quizzes.get(None)
    if final and not best_scores(s, user_id, [final.id]).get(final.id, (0, False))[1]:
        return Step("final")
    return Step("course")


# --- quizzes --------------------------------------------------------------------------------

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
    return QuizContext(course, _title(c.version.texts, locale, default, course.slug), module,
                       _title(module.texts, locale, default, module.slug) if module else "",
                       quiz, best, passed, pick(quiz.texts, locale, default)[0])


def quiz_context(s: Session, user_id: int, slug: str, module_slug: str | None,
                 locale: str) -> QuizContext:
    """A module's quiz, or the final assessment when module_slug is None."""
    place, c = _open(s, user_id, slug)
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


# --- printing -------------------------------------------------------------------------------

@dataclass
class PrintLesson:
    """A lesson in the printed language, or the default one where it is not translated."""

    lesson: LessonRow
    text: TextRow
    fallback: bool


@dataclass
class PrintModule:
    """A module for printing: lessons, quiz questions without answers, references."""

    module: ModuleRow
    title: str
    summary: str
    lessons: list[PrintLesson]
    questions: list[Question]
    references: list[dict]


@dataclass
class Book:
    """A course or one module, ready to print in one language."""

    course: CourseRow
    version: VersionRow
    title: str
    description: str
    locale: str
    modules: list[PrintModule]
    final: list[Question]  # the final assessment's questions; empty for a single module
    minutes: int = 0  # the whole course's study time, for {duration} in its description


def book(s: Session, user_id: int, slug: str, locale: str,
         module_slug: str | None = None) -> Book:
    """The navigator's version of a course, or one of its modules, in a language, to print."""
    place, c = _open(s, user_id, slug)
    return book_of(place, c, locale, module_slug)


def book_of(place: Place, c: Content, locale: str, module_slug: str | None = None) -> Book:
    """A version of the place's course, or one of its modules, ready to print (no query)."""
    slug = place.course.slug
    default = place.course.default_locale
    modules = [m for m in c.modules if module_slug in (None, m.slug)]
    if not modules:
        raise NotFound()
    printed = []
    for module in modules:
        mtexts = pick(module.texts, locale, default)[1]
        mine = []
        for lesson in c.lessons_of(module.id):
            used, text = pick(c.texts[lesson.id], locale, default)
            mine.append(PrintLesson(lesson, text, used != locale))
        quiz = c.quizzes.get(module.id)
        printed.append(PrintModule(module, mtexts.get("title") or module.slug,
                                   mtexts.get("summary", ""), mine,
                                   questions(quiz, None, locale, default) if quiz else [],
                                   module.references))
    final = c.quizzes.get(None) if module_slug is None else None
    vtexts = pick(c.version.texts, locale, default)[1]
    return Book(place.course, c.version, vtexts.get("title") or slug,
                vtexts.get("description", ""), locale, printed,
                questions(final, None, locale, default) if final else [],
                sum(module_minutes(m, c.lessons) for m in c.modules))
