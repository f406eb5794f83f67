"""Courses, progress and quizzes: the learning domain, as plain functions."""

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator import db
from navigator.db import insert_once, utcnow
from navigator.errors import NotFound
from navigator.learning import content
from navigator.learning.attempts import (
    ATTEMPT_KEY,
    attempt_to_submit,
    get_attempt,
    get_quiz,
    grade,
    option_order,
    start_attempt,
    submit_attempt,
)
from navigator.learning.content import ModuleRow
from navigator.learning.courses import (
    get_course,
    learner_programme_ids,
    lesson_texts,
    lesson_titles,
    lessons_of,
    modules_of,
    offered_course_ids,
    pick,
    published_version,
)
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    LessonCompletion,
    Module,
    ProgrammeCourse,
)
from navigator.learning.package_store import (
    export_files,
    import_package,
    offer_course,
    store_package,
)
from navigator.learning.progress import (
    CourseProgress,
    CourseRow,
    ModuleProgress,
    Place,
    best_scores,
    carried_in,
    carried_over,
    completed_lesson_ids,
    course_progress,
    enroll,
    find_place,
    module_signatures,
    places,
    progress_in,
    progress_of,
    remember_visit,
)

# Names kept here for callers: services is learning's door (the quizzes' attempts, reading
# courses, storing packages and progress live in the modules named for them).
__all__ = [
    "ATTEMPT_KEY", "CourseCard", "CourseProgress", "CourseRow", "ModuleProgress", "Place",
    "attempt_to_submit", "best_scores", "carried_in", "carried_over", "catalogue",
    "complete_lesson", "completed_lesson_ids", "completed_module_keys", "course_progress",
    "enroll", "enrollment", "export_files", "find_enrollment", "find_place", "get_attempt",
    "get_course", "get_quiz", "grade", "home_panel_context", "import_package",
    "learner_programme_ids", "lesson_texts", "lesson_titles", "lessons_of", "module_minutes",
    "module_signatures", "module_topics", "modules_of", "offer_course", "offered_course_ids",
    "option_order", "pick", "places", "progress_in", "progress_of", "published_version",
    "remember_visit", "start_attempt", "store_package", "submit_attempt", "switch_version",
]

# --- progress -------------------------------------------------------------------------------

def enrollment(s: Session, user_id: int, course: Course) -> Enrollment:
    """The person's enrollment, made with the newest published version if there is none.

    For jobs, commands and set-ups; pages use find_place() and enroll(), which read less.
    """
    row = find_enrollment(s, user_id, course.id)
    if row is None:
        version = published_version(s, course.id)
        if version is None:
            raise NotFound()
        row = Enrollment(user_id=user_id, course_id=course.id, version_id=version.id)
        if not insert_once(s, row):  # a parallel first visit made it
            row = find_enrollment(s, user_id, course.id)
    return row


def find_enrollment(s: Session, user_id: int, course_id: int) -> Enrollment | None:
    return s.exec(select(Enrollment).where(Enrollment.user_id == user_id,
                                           Enrollment.course_id == course_id)).first()


def switch_version(s: Session, place: Place) -> int:
    """Move a navigator to the newest published version; what they completed stays recorded.

    Returns the version's number.
    """
    if place.enrollment_id is None or place.latest_id is None:
        raise NotFound()
    table = Enrollment.__table__
    db.write_apart(s, sa.update(table).where(table.c.id == place.enrollment_id).values(
        version_id=place.latest_id, last_lesson_id=None, updated_at=utcnow()))
    return place.latest_number


def complete_lesson(s: Session, user_id: int, lesson_id: int) -> bool:
    """Mark a lesson read; a repeat is harmless. True when newly completed."""
    return insert_once(s, LessonCompletion(user_id=user_id, lesson_id=lesson_id))


def module_topics(s: Session, programme_id: int, locale: str) -> list[tuple[str, str]]:
    """Modules of the courses a programme offers, as (course/module key, title) for outreach.

    One statement (the courses with their newest published version); the modules come from
    the versions' shared content."""
    topics = []
    for slug, default, version_id in s.connection().execute(_offered_versions(),
                                                            {"programme_id": programme_id}):
        if version_id is None:
            continue
        for module in content.of(s, version_id).modules:
            title = pick(module.texts, locale, default)[1].get("title", module.slug)
            topics.append((f"{slug}/{module.slug}", title))
    return topics


@cache
def _offered_versions():
    course, pc, v = Course.__table__.c, ProgrammeCourse.__table__.c, CourseVersion.__table__.c
    newest = (sa.select(v.id).where(v.course_id == course.id, v.status == "published")
              .order_by(v.number.desc()).limit(1).scalar_subquery())
    return (sa.select(course.slug, course.default_locale, newest)
            .join(ProgrammeCourse.__table__, pc.course_id == course.id)
            .where(pc.programme_id == sa.bindparam("programme_id")).order_by(course.id))


def completed_module_keys(s: Session, user_id: int) -> set[str]:
    """Modules (course/module keys) the person has completed in any version they took."""
    keys = set()
    rows = s.exec(select(Enrollment.version_id, Course.slug)
                  .join(Course, Course.id == Enrollment.course_id)
                  .where(Enrollment.user_id == user_id)).all()
    for version_id, slug in rows:
        for mp in course_progress(s, user_id, version_id).modules:
            if mp.complete:
                keys.add(f"{slug}/{mp.module.slug}")
    return keys


# --- the navigator's pages ------------------------------------------------------------------

def module_minutes(module: Module | ModuleRow, lessons: list) -> int:
    """A module's estimated study time: as declared, else the sum of its lessons'."""
    return module.minutes or sum(lesson.minutes for lesson in lessons
                                 if lesson.module_id == module.id)


@dataclass
class CourseCard:
    """A course as the catalogue and the home page show it."""

    course: CourseRow
    title: str
    description: str
    minutes: int
    progress: CourseProgress | None  # None until the navigator first opens the course
    next_title: str = ""


def catalogue(s: Session, user_id: int, locale: str, counted=None) -> list[CourseCard]:
    """The courses offered to the navigator's programmes, with their progress: two statements
    (the courses with the person's enrollments; what they read and passed in all of them),
    and two more per course followed in a later version when `counted` (study.Counted: which
    earlier versions count, as certification says) may carry modules over from them."""
    found = [p for p in places(s, user_id) if p.version_id or p.latest_id]
    contents = {p.course.id: content.of(s, p.version_id or p.latest_id) for p in found}
    enrolled = [contents[p.course.id] for p in found if p.version_id]
    done, scores = progress_of(s, user_id, [x.id for c in enrolled for x in c.lessons],
                               [q for c in enrolled for q in c.quiz_ids])
    cards = []
    for p in found:
        c, default = contents[p.course.id], p.course.default_locale
        texts = pick(c.version.texts, locale, default)[1]
        progress, next_title = None, ""
        if p.version_id:
            carried = {}
            if counted is not None and c.version.number > 1:
                carried = carried_over(s, user_id, default, c.version.id,
                                       counted(s, user_id, p.course.id, c.version.number))
            progress = progress_in(c, done, scores, p.last_lesson_id, carried=carried)
            if progress.next_lesson:
                next_title = c.title(progress.next_lesson[1].id, locale, default)
        cards.append(CourseCard(p.course, texts.get("title") or p.course.slug,
                                texts.get("description", ""),
                                sum(module_minutes(m, c.lessons) for m in c.modules), progress,
                                next_title))
    return cards


def home_panel_context(s: Session, user_id: int, locale: str, counted=None) -> dict:
    """What learning/home_panel.html needs: the navigator's courses, started ones first
    (`counted`: as for catalogue)."""
    cards = catalogue(s, user_id, locale, counted)
    cards.sort(key=lambda c: (c.progress is None, c.progress is not None and c.progress.complete))
    return {"learning_cards": cards}
