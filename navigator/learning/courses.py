"""Reading courses: the published version, texts in a language, modules, lessons, offers."""


from sqlmodel import Session, select

from navigator.accounts.models import Membership
from navigator.errors import NotFound
from navigator.learning.models import (
    Course,
    CourseVersion,
    Lesson,
    LessonText,
    Module,
    ProgrammeCourse,
)


def published_version(s: Session, course_id: int) -> CourseVersion | None:
    """The newest published version of a course."""
    return s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id,
                                              CourseVersion.status == "published")
                  .order_by(CourseVersion.number.desc())).first()


def pick(texts: dict, locale: str, default: str) -> tuple[str, dict]:
    """The texts in the wanted locale, else the default locale: (locale used, texts)."""
    if locale in texts:
        return locale, texts[locale]
    if default in texts:
        return default, texts[default]
    first = next(iter(texts), default)
    return first, texts.get(first, {})


def offered_course_ids(s: Session, programme_ids: set[int]) -> set[int]:
    """Courses offered to any of these programmes."""
    return set(s.exec(select(ProgrammeCourse.course_id)
                      .where(ProgrammeCourse.programme_id.in_(programme_ids or {-1}))))


def learner_programme_ids(s: Session, user_id: int) -> set[int]:
    """Programmes where the person is a navigator."""
    return set(s.exec(select(Membership.programme_id).where(
        Membership.user_id == user_id, Membership.role == "navigator")))


def get_course(s: Session, slug: str, user_id: int) -> Course:
    """A course offered to one of the person's programmes; NotFound otherwise."""
    course = s.exec(select(Course).where(Course.slug == slug)).first()
    if course is None or course.id not in offered_course_ids(s, learner_programme_ids(s,
                                                                                       user_id)):
        raise NotFound()
    return course


def modules_of(s: Session, version_id: int) -> list[Module]:
    return list(s.exec(select(Module).where(Module.version_id == version_id)
                       .order_by(Module.position)))


def lessons_of(s: Session, module_ids: list[int]) -> list[Lesson]:
    return list(s.exec(select(Lesson).where(Lesson.module_id.in_(module_ids or [-1]))
                       .order_by(Lesson.module_id, Lesson.position)))


def lesson_texts(s: Session, lesson_ids: list[int]) -> dict[int, dict[str, LessonText]]:
    """Every locale's text of the given lessons."""
    result: dict[int, dict[str, LessonText]] = {}
    for row in s.exec(select(LessonText).where(LessonText.lesson_id.in_(lesson_ids or [-1]))):
        result.setdefault(row.lesson_id, {})[row.locale] = row
    return result


def lesson_titles(s: Session, lesson_ids: list[int], locale: str,
                  default: str) -> dict[int, str]:
    """Each lesson's title in the locale, or the default locale's."""
    titles = {}
    for lesson_id, texts in lesson_texts(s, lesson_ids).items():
        titles[lesson_id] = pick({k: v.title for k, v in texts.items()}, locale, default)[1]
    return titles
