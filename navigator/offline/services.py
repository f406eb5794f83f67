"""What a device keeps of a module: its lessons in the navigator's language, their pictures and
narrations, its quiz; read through learning's services, never its pages."""

from dataclasses import dataclass

from sqlmodel import Session

from navigator.learning import content, narration, study
from navigator.learning.content import LessonRow, TextRow
from navigator.learning.narration import Narration
from navigator.learning.services import pick


@dataclass
class KeptLesson:
    lesson: LessonRow
    text: TextRow
    narration: Narration | None


@dataclass
class KeptModule:
    course_slug: str
    course_title: str
    module_slug: str
    module_title: str
    locale: str
    lessons: list[KeptLesson]
    has_quiz: bool


def module_to_keep(s: Session, user_id: int, slug: str, module_slug: str,
                   locale: str) -> KeptModule:
    """A module of the navigator's version, as a device keeps it (NotFound when not theirs)."""
    view = study.module_view(s, user_id, slug, module_slug, locale)
    info = view.info
    c = content.of(s, info.module.version_id)
    default = view.course.default_locale
    lessons = []
    for lesson, _title in info.lessons:
        _used, text = pick(c.texts[lesson.id], locale, default)
        lessons.append(KeptLesson(lesson, text, narration.for_lesson(
            s, c.version, module_slug, lesson.slug, text)))
    return KeptModule(slug, view.course_title, module_slug, info.title, locale, lessons,
                      info.progress.quiz is not None)
