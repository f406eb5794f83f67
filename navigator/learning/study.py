"""The navigator's side of learning: what the course, lesson, quiz and print pages show.

Plain functions over services: they take a session, the navigator's id and plain data, and
return what a page needs, in the navigator's language where a text exists in it. The course's
content comes from navigator.learning.content (read once per published version); what is the
navigator's own is read per request, in one or two statements.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from navigator.errors import NotFound
from navigator.i18n import CODES
from navigator.learning.content import Content, LessonRow, ModuleRow, QuizRow, TextRow, VersionRow
from navigator.learning.courses import pick
from navigator.learning.services import (
    CourseProgress,
    CourseRow,
    ModuleProgress,
    Place,
    best_scores,
    carried_over,
    complete_lesson,
    module_minutes,
    progress_in,
    progress_of,
    remember_visit,
)
from navigator.learning.services import switch_version as _switch
from navigator.learning.study_book import Book, PrintLesson, PrintModule, book, book_of
from navigator.learning.study_place import open_place, title_in
from navigator.learning.study_quiz import (
    Answer,
    Question,
    QuizContext,
    Result,
    attempt_for,
    attempt_result,
    option_texts,
    questions,
    quiz_context,
)

# The quiz and print pages live in study_quiz and study_book; callers reach them here too.
__all__ = [
    "Answer", "Book", "CourseOverview", "LessonView", "ModuleInfo", "ModuleView", "Neighbour",
    "Newer", "PrintLesson", "PrintModule", "Question", "QuizContext", "Result", "Step",
    "attempt_for", "attempt_result", "book", "book_of", "complete_and_continue", "course_overview",
    "lesson_view", "module_view", "option_texts", "questions", "quiz_context", "remember",
    "switch_to_latest",
]


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
    place, c = open_place(s, user_id, slug)
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
    place, _c = open_place(s, user_id, slug)
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
    place, c = open_place(s, user_id, slug)
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
    return ModuleView(place.course, title_in(c.version.texts, locale, default, slug),
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
    place, c = open_place(s, user_id, slug, (module_slug, lesson_slug))
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
        course=place.course, course_title=title_in(c.version.texts, locale, default, slug),
        module=module, module_title=title_in(module.texts, locale, default, module.slug),
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
    place, c = open_place(s, user_id, slug)
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
