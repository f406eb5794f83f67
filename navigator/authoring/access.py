"""Authoring access: the courses, modules and lessons a trainer may author, and their drafts."""

from sqlmodel import Session, select

from navigator.accounts.services import Principal
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _
from navigator.learning import services as learning
from navigator.learning.models import Course, CourseVersion, Lesson, Module, ProgrammeCourse

# --- access ---------------------------------------------------------------------------------


def trainer_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose courses the actor may author (all for administrators)."""
    if actor.user.is_admin:
        return set(s.exec(select(ProgrammeCourse.programme_id)))
    return actor.programme_ids("trainer")


def authorable_courses(s: Session, actor: Principal) -> list[Course]:
    """Courses offered to a programme the actor trains in (every course for administrators)."""
    query = select(Course).order_by(Course.slug)
    if not actor.user.is_admin:
        ids = learning.offered_course_ids(s, actor.programme_ids("trainer"))
        query = query.where(Course.id.in_(ids or {-1}))
    return list(s.exec(query))


def get_course(s: Session, actor: Principal, course_id: int) -> Course:
    """A course the actor may author; NotFound otherwise."""
    course = s.get(Course, course_id)
    if course is None or course not in authorable_courses(s, actor):
        raise NotFound()
    return course


def versions(s: Session, course_id: int) -> list[CourseVersion]:
    return list(s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id)
                       .order_by(CourseVersion.number.desc())))


def draft_of(s: Session, course_id: int) -> CourseVersion | None:
    return s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id,
                                              CourseVersion.status == "draft")).first()


def _draft(s: Session, version_id: int) -> CourseVersion:
    version = s.get(CourseVersion, version_id)
    if version is None:
        raise NotFound()
    if version.status != "draft":
        raise Conflict(_("A published version cannot change. Start a new draft to edit."))
    return version


def get_module(s: Session, actor: Principal, module_id: int) -> tuple[Course, CourseVersion,
                                                                       Module]:
    """A module of a course the actor may author, with its course and version."""
    module = s.get(Module, module_id)
    if module is None:
        raise NotFound()
    version = s.get(CourseVersion, module.version_id)
    return get_course(s, actor, version.course_id), version, module


def get_lesson(s: Session, actor: Principal, lesson_id: int
               ) -> tuple[Course, CourseVersion, Module, Lesson]:
    lesson = s.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound()
    course, version, module = get_module(s, actor, lesson.module_id)
    return course, version, module, lesson


def _locale(locale: str) -> None:
    if locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."), field="locale")

