"""A course or one of its modules, ready to print in one language."""

from dataclasses import dataclass

from sqlmodel import Session

from navigator.errors import NotFound
from navigator.learning.content import Content, LessonRow, ModuleRow, TextRow, VersionRow
from navigator.learning.courses import pick
from navigator.learning.services import CourseRow, Place, module_minutes
from navigator.learning.study_place import open_place
from navigator.learning.study_quiz import Question, questions


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
    place, c = open_place(s, user_id, slug)
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
